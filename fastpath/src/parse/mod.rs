//! Packet parsing into a [`FlowKey`], smoltcp-style: each header has a
//! checked view over bytes; after one length check no accessor can panic
//! or read out of bounds. A malformed or truncated packet yields a key of
//! what could be parsed and a [`ParseError`] to count; never a panic.
mod layout;

pub use layout::{L3Kind, PacketLayout};
