//! ferroswitch's data plane.
//!
//! The module tree follows a packet: `dpdk` (EAL, mempool, ports, mbufs:
//! the only unsafe code) → `pmd` (pinned poll threads: rx burst) → `parse`
//! (headers into a `flow` key) → `megaflow` (per-PMD cache) → on a miss
//! `upcall` (the pipeline's translation) → `actions` (execute the compiled
//! program; `meter`) → back to `pmd` (batched tx) → `stats` (per-PMD,
//! per-port counters read by the control side). `datapath` is the snapshot
//! of ports and bridges the PMDs read.
#![deny(unsafe_code)]

pub mod actions;
pub mod datapath;
pub mod dpdk;
pub mod emc;
mod error;
pub mod flow;
pub mod megaflow;
pub mod meter;
pub mod parse;
pub mod pmd;
pub mod punt;
pub mod stats;
pub mod tunnel;
pub mod upcall;

pub use error::{Error, Result};
