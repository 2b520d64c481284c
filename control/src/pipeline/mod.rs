//! The OpenFlow 1.3 pipeline: flow tables, groups and meters that
//! controllers program, and the translation of a packet's flow key through
//! them into compiled datapath actions plus the wildcard mask of every key
//! bit the translation consulted.
pub mod model;

pub use model::*;
