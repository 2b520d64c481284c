//! The forwarding decision for each received packet.
//!
//! This is the spot where the OpenFlow datapath (flow-key parse, exact-match
//! cache, megaflow cache, upcall) plugs in. Until it lands, the decision is
//! a per-input-port output map from the configuration. The PMDs read it as
//! an RCU-style snapshot (`arc_swap`), so the control side can replace it
//! without ever making a PMD wait.
use std::sync::Arc;

use arc_swap::ArcSwap;

/// What to do with one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Drop,
    /// Send out of the port with this dense index.
    Output(u16),
}

/// Per input port (dense index) decisions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForwardTable {
    by_in_port: Vec<Decision>,
}

impl ForwardTable {
    /// `by_in_port[i]` is the decision for packets received on port `i`.
    pub fn new(by_in_port: Vec<Decision>) -> Self {
        ForwardTable { by_in_port }
    }

    /// The decision for a packet received on `in_port`. Unknown ports drop.
    #[inline]
    pub fn classify(&self, in_port: u16, _packet: &[u8]) -> Decision {
        self.by_in_port
            .get(usize::from(in_port))
            .copied()
            .unwrap_or(Decision::Drop)
    }
}

/// The shared, atomically replaceable table.
pub type SharedForwardTable = Arc<ArcSwap<ForwardTable>>;

pub fn shared(table: ForwardTable) -> SharedForwardTable {
    Arc::new(ArcSwap::from_pointee(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_input_port() {
        let t = ForwardTable::new(vec![
            Decision::Output(1),
            Decision::Output(0),
            Decision::Drop,
        ]);
        assert_eq!(t.classify(0, &[]), Decision::Output(1));
        assert_eq!(t.classify(1, &[0; 64]), Decision::Output(0));
        assert_eq!(t.classify(2, &[]), Decision::Drop);
        assert_eq!(t.classify(9, &[]), Decision::Drop, "out of range drops");
    }

    #[test]
    fn snapshot_swap_is_seen_by_readers() {
        let s = shared(ForwardTable::new(vec![Decision::Drop]));
        let before = s.load_full();
        s.store(Arc::new(ForwardTable::new(vec![Decision::Output(0)])));
        assert_eq!(
            before.classify(0, &[]),
            Decision::Drop,
            "old snapshot stays intact"
        );
        assert_eq!(s.load().classify(0, &[]), Decision::Output(0));
    }
}
