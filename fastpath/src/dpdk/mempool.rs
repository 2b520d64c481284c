//! Packet-buffer pools.
use std::ffi::CString;
use std::ptr::NonNull;
use std::sync::Arc;

use super::Eal;
use crate::error::{Error, Result};

/// A DPDK pktmbuf pool. Cloning shares it; freed with the last clone.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<MempoolInner>,
}

struct MempoolInner {
    ptr: NonNull<dpdk_sys::rte_mempool>,
    name: String,
    size: u32,
    _eal: Eal,
}

// SAFETY: a DPDK mempool is designed to be shared by all threads; get/put
// are thread-safe (per-lcore caches plus a multi-producer/consumer ring).
unsafe impl Send for MempoolInner {}
// SAFETY: as above; all methods take &self and call thread-safe DPDK APIs.
unsafe impl Sync for MempoolInner {}

impl Mempool {
    /// Creates a pool of `n` mbufs with `data_room` bytes each (headroom
    /// included), a per-lcore cache of `cache` and memory from `socket`
    /// (-1: any).
    pub fn create(
        eal: &Eal,
        name: &str,
        n: u32,
        cache: u32,
        data_room: u16,
        socket: i32,
    ) -> Result<Self> {
        let cname = CString::new(name)
            .map_err(|_| Error::Config(format!("mempool name {name:?} has a NUL byte")))?;
        // SAFETY: EAL is initialised (we hold an Eal); cname is a valid C string
        // that DPDK copies.
        let ptr = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(cname.as_ptr(), n, cache, 0, data_room, socket)
        };
        let ptr = NonNull::new(ptr).ok_or_else(|| Error::Dpdk {
            op: format!("creating mempool {name:?} ({n} mbufs of {data_room} bytes)"),
            message: format!(
                "{} (not enough memory? more hugepages or a smaller [mempool] mbufs)",
                super::strerror(super::errno())
            ),
        })?;
        Ok(Mempool {
            inner: Arc::new(MempoolInner {
                ptr,
                name: name.to_string(),
                size: n,
                _eal: eal.clone(),
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn size(&self) -> u32 {
        self.inner.size
    }

    /// Mbufs currently allocated (in rings, caches or in flight).
    pub fn in_use(&self) -> u32 {
        // SAFETY: the pool is alive while self exists.
        unsafe { dpdk_sys::fs_mempool_in_use(self.inner.ptr.as_ptr()) }
    }

    /// Mbufs free in the pool (ring plus caches).
    pub fn available(&self) -> u32 {
        // SAFETY: the pool is alive while self exists.
        unsafe { dpdk_sys::fs_mempool_avail(self.inner.ptr.as_ptr()) }
    }

    pub(crate) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.inner.ptr.as_ptr()
    }
}

impl Drop for MempoolInner {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone; ports (which hold a Mempool) are
        // closed, so no queue refers to the pool any more.
        unsafe { dpdk_sys::rte_mempool_free(self.ptr.as_ptr()) }
    }
}
