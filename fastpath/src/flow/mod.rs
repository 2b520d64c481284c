//! The flow key: every header field a packet is classified on, in a fixed
//! array of 64-bit words so that masking, hashing and comparing are word
//! loops with no per-field branches.
mod field;
mod key;

pub use field::{Field, FieldDef, Prereq, FIELDS};
pub use key::{FlowKey, FlowMask, FLOW_WORDS, HOT_WORDS};
