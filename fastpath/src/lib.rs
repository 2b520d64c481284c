//! ferroswitch's data plane.
//!
//! The module tree follows a packet: `dpdk` (EAL, mempool, ports, mbufs:
//! the only unsafe code) → `pmd` (pinned poll threads: rx burst) →
//! `classify` (the forwarding decision) → back to `pmd` (batched tx) →
//! `stats` (per-PMD, per-port counters read by the control side).
#![deny(unsafe_code)]

pub mod actions;
pub mod classify;
pub mod dpdk;
mod error;
pub mod flow;
pub mod megaflow;
pub mod parse;
pub mod pmd;
pub mod stats;
pub mod upcall;

pub use error::{Error, Result};
