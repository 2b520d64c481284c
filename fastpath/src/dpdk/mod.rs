//! The one thin, safe layer over DPDK: EAL, mempools, ethdev ports and mbufs.
//!
//! This is the only module outside `dpdk-sys` that may use `unsafe`. Every
//! unsafe block carries a `// SAFETY:` comment. Ownership is arranged so that
//! safe code cannot free DPDK objects in the wrong order: ports and mempools
//! hold an `Arc` of the EAL, ports hold an `Arc` of their mempool, and queue
//! handles hold an `Arc` of their port, so the port closes only after the
//! last queue handle (held by a PMD thread) is gone.
#![allow(unsafe_code)]

mod eal;
mod mbuf;
mod mempool;
mod port;

pub use eal::{rdtsc, tsc_hz, Eal, LcoreRegistration};
pub use mbuf::{prefetch_ref, Burst, Mbuf, BURST_SIZE};
pub use mempool::Mempool;
pub use port::{EthStats, Link, Port, PortSetup, RxQueue, TxQueue, VhostQueueEvent};

use std::ffi::CStr;

/// Text for a DPDK error number (positive errno or rte_errno value).
pub(crate) fn strerror(code: i32) -> String {
    // SAFETY: rte_strerror returns a pointer to a static or thread-local
    // NUL-terminated string that stays valid until the next call on this
    // thread; it is copied out at once.
    unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(code.abs())) }
        .to_string_lossy()
        .into_owned()
}

/// The calling thread's `rte_errno`.
pub(crate) fn errno() -> i32 {
    // SAFETY: reads the per-thread rte_errno; no preconditions.
    unsafe { dpdk_sys::fs_errno() }
}
