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
}

/// The OpenFlow pipeline as the datapath sees it.
pub trait Translator: Send + Sync {
    /// Translates `key`. Called from PMD threads on a megaflow miss; must
    /// not block on the control side (the pipeline is an RCU snapshot).
    fn translate(&self, key: &FlowKey) -> Upcall;

    /// Bumped whenever a translation could change (flow, group, meter or
    /// port changes). Megaflows made under an older generation are stale.
    fn generation(&self) -> u64;
}
