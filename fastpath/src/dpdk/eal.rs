//! EAL initialisation (once per process), thread registration and the TSC.
use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

static EAL_STARTED: AtomicBool = AtomicBool::new(false);

/// The initialised EAL. Cleaned up when the last clone (held by every
/// mempool and port) is dropped.
#[derive(Clone)]
pub struct Eal {
    _inner: Arc<EalInner>,
}

struct EalInner {
    runtime_dir: String,
}

impl Drop for EalInner {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone, so every port and mempool (which
        // all hold an Eal) has been released; no DPDK call can follow.
        let rc = unsafe { dpdk_sys::rte_eal_cleanup() };
        if rc != 0 {
            tracing::warn!("rte_eal_cleanup failed: {}", super::strerror(rc));
        }
        remove_runtime_dir(&self.runtime_dir);
        tracing::debug!("DPDK EAL cleaned up");
    }
}

/// EAL's runtime directory (/var/run/dpdk/PREFIX), as computed by init.
fn runtime_dir() -> String {
    // SAFETY: returns a pointer to EAL's static path buffer (possibly
    // empty), valid for the process; copied out at once.
    let p = unsafe { dpdk_sys::rte_eal_get_runtime_dir() };
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null, NUL-terminated static buffer.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// EAL leaves its runtime directory behind even in --in-memory mode, and
/// the telemetry socket in it goes only at process exit; remove both, plus
/// nothing else, so nothing of ours outlives the process.
fn remove_runtime_dir(dir: &str) {
    if !dir.is_empty() {
        let _ = std::fs::remove_file(std::path::Path::new(dir).join("dpdk_telemetry.v2"));
        if let Err(e) = std::fs::remove_dir(dir) {
            tracing::debug!("removing DPDK runtime dir {dir}: {e}");
        }
    }
}

impl Eal {
    /// Initialises DPDK's EAL with `args` (without the program name).
    /// DPDK allows this once per process; a second call is an error.
    pub fn init(args: &[String]) -> Result<Eal> {
        if EAL_STARTED.swap(true, Ordering::SeqCst) {
            return Err(Error::EalAlreadyInitialised);
        }
        let mut owned = Vec::with_capacity(args.len() + 1);
        owned.push(CString::new("ferroswitch").expect("literal has no NUL"));
        for a in args {
            owned.push(CString::new(a.as_str()).map_err(|_| Error::EalInit {
                message: format!("EAL argument {a:?} contains a NUL byte"),
            })?);
        }
        // EAL may keep pointers into argv for the life of the process.
        let owned: &'static [CString] = Box::leak(owned.into_boxed_slice());
        let argv: &'static mut [*mut c_char] = Box::leak(
            owned
                .iter()
                .map(|s| s.as_ptr() as *mut c_char)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let argc = argv.len() as i32;
        // SAFETY: argv holds argc valid NUL-terminated strings that live for
        // the rest of the process (leaked above); EAL runs only once (guarded
        // by EAL_STARTED).
        let rc = unsafe { dpdk_sys::rte_eal_init(argc, argv.as_mut_ptr()) };
        if rc < 0 {
            let code = super::errno();
            remove_runtime_dir(&runtime_dir());
            return Err(Error::EalInit {
                message: format!(
                    "rte_eal_init failed: {} (see the EAL messages above)",
                    super::strerror(code)
                ),
            });
        }
        Ok(Eal {
            _inner: Arc::new(EalInner {
                runtime_dir: runtime_dir(),
            }),
        })
    }

    /// Whether EAL runs on hugepages (false with `--no-huge`).
    pub fn has_hugepages(&self) -> bool {
        // SAFETY: EAL is initialised (self exists).
        unsafe { dpdk_sys::rte_eal_has_hugepages() != 0 }
    }

    /// DPDK's version string, e.g. "DPDK 22.11.11".
    pub fn version(&self) -> String {
        // SAFETY: rte_version returns a static NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(dpdk_sys::rte_version()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Registers the calling (non-EAL) thread with DPDK so that it gets an
    /// lcore id, and with it per-lcore mempool caches. Unregistered when the
    /// returned guard drops.
    pub fn register_thread(&self) -> Result<LcoreRegistration> {
        // SAFETY: EAL is initialised; registering the current thread has no
        // other precondition.
        let rc = unsafe { dpdk_sys::rte_thread_register() };
        if rc != 0 {
            return Err(Error::Dpdk {
                op: "rte_thread_register".into(),
                message: super::strerror(super::errno()),
            });
        }
        // SAFETY: plain read of the calling thread's lcore id.
        let lcore = unsafe { dpdk_sys::fs_lcore_id() };
        Ok(LcoreRegistration {
            lcore,
            _eal: self.clone(),
            _not_send: std::marker::PhantomData,
        })
    }
}

/// A thread's DPDK lcore registration; unregisters on drop. Not `Send`: it
/// belongs to the thread that registered.
pub struct LcoreRegistration {
    lcore: u32,
    _eal: Eal,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl LcoreRegistration {
    pub fn lcore_id(&self) -> u32 {
        self.lcore
    }
}

impl Drop for LcoreRegistration {
    fn drop(&mut self) {
        // SAFETY: called on the thread that registered (the guard is !Send).
        unsafe { dpdk_sys::rte_thread_unregister() }
    }
}

/// The time-stamp counter (as DPDK's `rte_rdtsc`, but inlined: the PMD
/// reads it a few times per burst).
#[inline(always)]
pub fn rdtsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC only reads the CPU's time-stamp counter; every
        // x86_64 CPU has it, and no memory is touched.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: reads the CPU's cycle counter; no memory is touched.
        unsafe { dpdk_sys::fs_rdtsc() }
    }
}

/// TSC ticks per second as measured by EAL (0 before EAL init).
pub fn tsc_hz() -> u64 {
    // SAFETY: returns a value computed at EAL init; harmless before it.
    unsafe { dpdk_sys::rte_get_tsc_hz() }
}
