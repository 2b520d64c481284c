//! What the PMDs need to know about the switch, as one RCU-style snapshot
//! the control side replaces whole (`arc_swap`): ports by dense index, the
//! pipeline of each bridge (behind the upcall interface) and the meters.
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::meter::MeterTable;
use crate::punt::Punt;
use crate::upcall::Translator;

/// A port as the datapath sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpPort {
    /// OpenFlow port number (the key's in_port).
    pub ofport: u32,
    /// Index into [`Datapath::bridges`].
    pub bridge: u16,
}

/// A bridge as the datapath sees it.
#[derive(Clone)]
pub struct DpBridge {
    /// Its OpenFlow pipeline, for upcalls.
    pub translator: Arc<dyn Translator>,
    /// Its meters (meter ids are per bridge).
    pub meters: Arc<MeterTable>,
}

pub struct Datapath {
    /// By dense port index (the index in `DpAction::Output`). A deleted
    /// port leaves a hole, so the other ports keep their index (and the
    /// megaflows that output to them stay valid while ports come and go).
    pub ports: Vec<Option<DpPort>>,
    pub bridges: Vec<DpBridge>,
    /// Packet-in and packet-out queues (shared by all PMDs; packet-outs
    /// are taken by whichever PMD polls first).
    pub punt: Arc<Punt>,
    /// Tunnel decapsulation state, when an underlay is configured.
    pub tunnel: Option<Arc<crate::tunnel::TunnelDp>>,
    /// Asks the PMDs to credit pending megaflow hits now (one for the
    /// switch's life, like `punt`).
    pub credit_sync: Arc<CreditSync>,
}

/// PMDs credit megaflow hits to OpenFlow entries in batches. Before the
/// control side reads entry counters (flow, aggregate, table and group
/// stats; a deletion's FLOW_REMOVED), it bumps the epoch here and waits
/// until every PMD has credited everything and published that epoch in
/// `PmdStats::credits_synced`.
#[derive(Debug, Default)]
pub struct CreditSync {
    epoch: std::sync::atomic::AtomicU64,
}

impl CreditSync {
    /// Asks for a sync; returns the epoch to wait for.
    pub fn request(&self) -> u64 {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1
    }

    /// The latest epoch asked for (read by the PMDs once per iteration).
    #[inline]
    pub fn requested(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }
}

pub type SharedDatapath = Arc<ArcSwap<Datapath>>;

pub fn shared(dp: Datapath) -> SharedDatapath {
    Arc::new(ArcSwap::from_pointee(dp))
}
