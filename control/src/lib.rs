//! ferroswitch's control side. Runs on the control core, never on a PMD
//! core: start-up and shutdown (`daemon`), the EAL command line
//! (`eal_args`), the running datapath and its management view (`switch`),
//! the run directory lock (`rundir`) and the ferroctl socket (`mgmt`).
#![deny(unsafe_code)]

pub mod bridge;
pub mod daemon;
pub mod eal_args;
mod error;
pub mod flowsyntax;
pub mod mgmt;
pub mod ofp;
pub mod pipeline;
pub mod rundir;
pub mod switch;
pub mod underlay;
mod vhost_socket;

pub use error::{Error, Result};

static BUILD_REV: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Records the git revision the binaries were built from (the root
/// package's build.rs knows it; this crate does not).
pub fn set_build_rev(rev: &'static str) {
    let _ = BUILD_REV.set(rev);
}

/// The git revision set by [`set_build_rev`], or "unknown".
pub fn build_rev() -> &'static str {
    BUILD_REV.get().copied().unwrap_or("unknown")
}
