//! Upcalls: what the datapath asks the OpenFlow pipeline on a cache miss,
//! and what it gets back. The pipeline lives on the control side
//! (`control::pipeline`) and implements [`Translator`]; the fast path only
//! knows this interface.
use std::sync::Arc;

use crate::actions::DpAction;
use crate::flow::{FlowKey, FlowMask};

/// Where the hits of a megaflow are credited: the OpenFlow flow entries
/// (and group buckets) whose translation produced it, so that their
/// counters stay exact.
pub trait FlowCredit: Send + Sync {
    fn credit(&self, packets: u64, bytes: u64);
}

/// The result of translating one flow key through the pipeline.
#[derive(Clone)]
pub struct Upcall {
    /// The compiled program for every packet that agrees with the key on
    /// `mask`.
    pub actions: Arc<[DpAction]>,
    /// Every key bit the translation consulted.
    pub mask: FlowMask,
    /// Counters to credit per packet that uses this translation.
    pub credits: Arc<[Arc<dyn FlowCredit>]>,
    /// The OpenFlow tables the translation looked up (see
    /// [`table_bit`]), for revalidating only what a change can affect.
    pub tables: u64,
    /// The ports whose state the translation depended on (existence,
    /// index, liveness, PORT_MOD config), as [`port_bit`]s; all bits for
    /// FLOOD, ALL and group liveness.
    pub ports: u64,
}

/// The bit of OpenFlow port `ofport` in [`Upcall::ports`] (ports share bits
/// modulo 64: a change to one revalidates the others' megaflows too).
#[inline]
pub const fn port_bit(ofport: u32) -> u64 {
    1 << (ofport % 64)
}

/// The bit of table `t` in [`Upcall::tables`]: tables 63 and up share the
/// top bit.
#[inline]
pub const fn table_bit(t: u8) -> u64 {
    1 << if t < 63 { t } else { 63 }
}

/// What one pipeline change may affect, as the datapath sees it.
// Made per control change, never per packet: the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipelineChange {
    /// Flow entries in table 0 whose match lies within `key`/`mask`
    /// changed (added, modified or deleted). Table 0 sees the packet's own
    /// fields, so only megaflows that overlap the match can be affected.
    Table0 { key: FlowKey, mask: FlowMask },
    /// Entries of this table (not 0) changed: megaflows whose translation
    /// looked it up may be affected (fields may have been rewritten
    /// before it, so their key says nothing).
    Table(u8),
    /// These ports ([`port_bit`]s) came, went, or changed liveness or
    /// config: megaflows whose translation depended on one of them.
    Ports(u64),
}

impl PipelineChange {
    /// Whether a megaflow (`key` under `mask`, having looked up `tables`
    /// and depended on `ports`) may translate differently after this
    /// change.
    #[inline]
    pub fn affects(&self, key: &FlowKey, mask: &FlowMask, tables: u64, ports: u64) -> bool {
        match self {
            PipelineChange::Table0 { key: k, mask: m } => {
                let (a, am, b, bm) = (key.words(), mask.words(), k.words(), m.words());
                // Some packet matches both unless they differ on a bit both
                // masks fix.
                (0..a.len()).all(|i| (a[i] ^ b[i]) & am[i] & bm[i] == 0)
            }
            PipelineChange::Table(t) => tables & table_bit(*t) != 0,
            PipelineChange::Ports(p) => ports & p != 0,
        }
    }
}

/// The OpenFlow pipeline as the datapath sees it.
pub trait Translator: Send + Sync {
    /// Translates `key`. Called from PMD threads on a megaflow miss; must
    /// not block on the control side (the pipeline is an RCU snapshot).
    fn translate(&self, key: &FlowKey) -> Upcall;

    /// Bumped whenever a translation could change (flow, group, meter or
    /// port changes). Megaflows made under an older generation are stale.
    fn generation(&self) -> u64;

    /// Reports every change made after generation `since` through `f`,
    /// and returns true; or returns false when it cannot tell (a change
    /// of another kind, or history no longer kept): then every megaflow
    /// must go. Called by PMDs once per generation change, not per packet.
    fn changes_since(&self, since: u64, f: &mut dyn FnMut(&PipelineChange)) -> bool {
        let _ = (since, f);
        false
    }
}
