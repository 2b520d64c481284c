//! Which PMD sends a port's packets, when the port's peer does not take
//! packets on every tx queue.
//!
//! Each PMD owns one tx queue per port (queue k for PMD k), so no two
//! threads ever send on one queue and no lock is needed. A vhost-user
//! guest, though, receives only on the queue pairs it enabled: a guest with
//! one queue pair and a switch with two PMDs would lose what PMD 1 sends.
//! Instead of sharing the queue under a lock (OVS's dynamic tx queues), a
//! PMD whose queue is not enabled hands its packets for that port to a PMD
//! whose queue is, through a lock-free queue that the owner drains and
//! sends on its own tx queue.
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::dpdk::Mbuf;

/// Packets other PMDs hand to one PMD for one port's tx queue.
pub type TxInbox = Arc<ArrayQueue<Mbuf>>;

/// Packets an inbox holds at most: a few bursts of the sending PMDs; more
/// means the owner is behind, and the sender drops and counts them.
pub const TX_INBOX_PACKETS: usize = 1024;

/// A new, empty inbox.
pub fn tx_inbox() -> TxInbox {
    Arc::new(ArrayQueue::new(TX_INBOX_PACKETS))
}

/// The PMD that sends PMD `k`'s packets for a port whose peer enabled the
/// tx queues in `enabled` (bit q: queue q), with `n_pmds` PMDs; None: PMD
/// `k` sends on its own queue.
///
/// PMDs whose queue is enabled send themselves. The others are spread
/// round-robin over those, in PMD order. With nothing enabled among the
/// PMDs' queues (no guest, or one that enabled only queues beyond them)
/// every PMD sends on its own queue, and the driver refuses the packets
/// (counted as tx_dropped), as before any guest attached.
pub fn tx_owner(enabled: u64, n_pmds: usize, k: usize) -> Option<usize> {
    let is_enabled = |j: usize| j < 64 && enabled & (1u64 << j) != 0;
    if k >= n_pmds || is_enabled(k) {
        return None;
    }
    let owners: Vec<usize> = (0..n_pmds).filter(|&j| is_enabled(j)).collect();
    if owners.is_empty() {
        return None;
    }
    let rank = (0..k).filter(|&j| !is_enabled(j)).count();
    owners.get(rank % owners.len()).copied()
}

/// Whether some other PMD hands PMD `k` its packets for such a port (then
/// PMD `k` drains that port's inbox).
pub fn has_senders(enabled: u64, n_pmds: usize, k: usize) -> bool {
    (0..n_pmds).any(|j| tx_owner(enabled, n_pmds, j) == Some(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(enabled: u64, n: usize) -> Vec<Option<usize>> {
        (0..n).map(|k| tx_owner(enabled, n, k)).collect()
    }

    #[test]
    fn every_queue_enabled_means_every_pmd_sends_itself() {
        assert_eq!(owners(0b11, 2), [None, None]);
        assert_eq!(owners(u64::MAX, 4), [None; 4]);
        // More queues enabled than PMDs: the extra ones stay unused.
        assert_eq!(owners(0b1111, 2), [None, None]);
    }

    #[test]
    fn pmds_without_an_enabled_queue_hand_off_round_robin() {
        assert_eq!(owners(0b1, 2), [None, Some(0)]);
        assert_eq!(owners(0b1, 4), [None, Some(0), Some(0), Some(0)]);
        assert_eq!(owners(0b11, 4), [None, None, Some(0), Some(1)]);
        assert_eq!(owners(0b101, 4), [None, Some(0), None, Some(2)]);
        // Queue 0 disabled, queue 1 enabled.
        assert_eq!(owners(0b10, 3), [Some(1), None, Some(1)]);
    }

    #[test]
    fn nothing_enabled_among_the_pmds_queues_means_no_handoff() {
        assert_eq!(owners(0, 2), [None, None]);
        // Only queue 3 enabled, two PMDs: no PMD owns it.
        assert_eq!(owners(0b1000, 2), [None, None]);
        assert_eq!(tx_owner(0b1, 2, 5), None);
    }

    #[test]
    fn an_owner_never_hands_off_itself() {
        for enabled in 0..64u64 {
            for n in 1..7 {
                for k in 0..n {
                    if let Some(o) = tx_owner(enabled, n, k) {
                        assert_ne!(o, k);
                        assert_eq!(tx_owner(enabled, n, o), None, "{enabled:b} {n} {k}");
                    }
                }
            }
        }
    }
}
