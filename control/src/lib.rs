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

pub use error::{Error, Result};
