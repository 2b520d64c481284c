//! Raw bindings to the system DPDK 22.11, generated at build time by bindgen
//! from `shim/shim.h`. The `fs_*` functions are out-of-line wrappers (in
//! `shim/shim.c`) for DPDK's static-inline fast-path API.
//!
//! Everything here is `unsafe` to call; the safe layer lives in
//! `fastpath::dpdk`.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(dead_code, clippy::all)]
// Generated code: its unsafe blocks are bindgen's, not ours.
#![allow(clippy::undocumented_unsafe_blocks)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
