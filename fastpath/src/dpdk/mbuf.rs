//! Packet buffers: one owned mbuf, and fixed bursts of them.
use std::ptr::{self, NonNull};

use super::Mempool;

/// Packets per rx/tx burst.
pub const BURST_SIZE: usize = 32;

/// An owned packet buffer; freed back to its pool on drop.
///
/// Invariant: the mbuf is single-segment or its first segment is the only
/// one exposed; `data()` never reads past `data_len`. An `Mbuf` must not
/// outlive the pool it came from; the daemon frees every mbuf before it
/// releases pools.
#[repr(transparent)]
pub struct Mbuf {
    ptr: NonNull<dpdk_sys::rte_mbuf>,
}

// SAFETY: an mbuf is exclusively owned by this handle; it may be handed to
// another thread (e.g. through a queue) and freed there, as DPDK allows.
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Allocates an empty mbuf from `pool`; None when the pool is empty.
    pub fn alloc(pool: &Mempool) -> Option<Mbuf> {
        // SAFETY: the pool is alive (borrowed); a NULL result means empty.
        let p = unsafe { dpdk_sys::fs_pktmbuf_alloc(pool.as_ptr()) };
        NonNull::new(p).map(|ptr| Mbuf { ptr })
    }

    /// Builds a packet holding a copy of `bytes`; None if the pool is empty
    /// or the data does not fit in one mbuf.
    pub fn from_slice(pool: &Mempool, bytes: &[u8]) -> Option<Mbuf> {
        let mut m = Mbuf::alloc(pool)?;
        let len = u16::try_from(bytes.len()).ok()?;
        m.append(len)?.copy_from_slice(bytes);
        Some(m)
    }

    /// Start and length of the first segment's data. Read straight from
    /// the mbuf header (layout checked by dpdk-sys's bindgen layout tests)
    /// rather than through the C shim: this runs for every packet.
    #[inline]
    fn raw_data(&self) -> (*mut u8, usize) {
        // SAFETY: the mbuf is valid and owned; buf_addr + data_off is the
        // start of its data, which spans data_len initialised bytes inside
        // the buffer (DPDK's rte_pktmbuf_mtod / rte_pktmbuf_data_len).
        unsafe {
            let m = &*self.ptr.as_ptr();
            let start = (m.buf_addr as *mut u8).add(usize::from(m.data_off));
            (start, usize::from(m.data_len))
        }
    }

    /// A copy of the packet (first segment) in a new mbuf from the same
    /// pool; None when the pool is empty.
    pub fn try_clone(&self) -> Option<Mbuf> {
        // SAFETY: the mbuf is valid; its `pool` field names the live pool
        // it came from (pools outlive their mbufs, see the type's
        // invariant). A NULL result means the pool is empty.
        let p = unsafe { dpdk_sys::fs_pktmbuf_alloc((*self.ptr.as_ptr()).pool) };
        let mut copy = Mbuf {
            ptr: NonNull::new(p)?,
        };
        let data = self.data();
        let len = u16::try_from(data.len()).ok()?;
        copy.append(len)?.copy_from_slice(data);
        Some(copy)
    }

    /// The packet bytes of the first segment.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let (p, len) = self.raw_data();
        // SAFETY: see raw_data; the bytes live as long as &self.
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    /// Mutable packet bytes of the first segment.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let (p, len) = self.raw_data();
        // SAFETY: see raw_data; &mut self guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(p, len) }
    }

    /// Total packet length over all segments.
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        // SAFETY: valid owned mbuf; plain field read.
        unsafe { (*self.ptr.as_ptr()).pkt_len }
    }

    /// The NIC's RSS hash, when the NIC provided one. Read straight from
    /// the header like `raw_data`: it runs for every packet.
    #[inline]
    pub fn rss_hash(&self) -> Option<u32> {
        // `__bindgen_anon_2` is bindgen's name for DPDK 22.11's second
        // unnamed union in rte_mbuf; bindgen's layout tests check the
        // offsets, and another layout would most likely not compile.
        // SAFETY: valid owned mbuf; plain field reads. `hash.rss` is the
        // union member a driver writes when it sets RX_RSS_HASH (DPDK's
        // rules for `hash`), and any u32 bit pattern is a valid u32.
        unsafe {
            let m = &*self.ptr.as_ptr();
            (m.ol_flags & u64::from(dpdk_sys::RTE_MBUF_F_RX_RSS_HASH) != 0)
                .then_some(m.__bindgen_anon_2.hash.rss)
        }
    }

    /// Grows the packet at the front by `len` bytes (e.g. for an
    /// encapsulation header) and returns them; None without headroom.
    pub fn prepend(&mut self, len: u16) -> Option<&mut [u8]> {
        // SAFETY: valid owned mbuf; DPDK returns NULL when headroom is short,
        // otherwise a pointer to `len` bytes inside the buffer.
        unsafe {
            let p = dpdk_sys::fs_pktmbuf_prepend(self.ptr.as_ptr(), len);
            (!p.is_null()).then(|| std::slice::from_raw_parts_mut(p, usize::from(len)))
        }
    }

    /// Grows the packet at the end by `len` bytes and returns them; None
    /// without tailroom.
    pub fn append(&mut self, len: u16) -> Option<&mut [u8]> {
        // SAFETY: as prepend(); the new bytes are inside the buffer.
        unsafe {
            let p = dpdk_sys::fs_pktmbuf_append(self.ptr.as_ptr(), len);
            (!p.is_null()).then(|| std::slice::from_raw_parts_mut(p, usize::from(len)))
        }
    }

    /// Removes `len` bytes from the front; false if the packet is shorter.
    pub fn adj(&mut self, len: u16) -> bool {
        // SAFETY: valid owned mbuf; DPDK checks len against data_len.
        unsafe { !dpdk_sys::fs_pktmbuf_adj(self.ptr.as_ptr(), len).is_null() }
    }

    /// Removes `len` bytes from the end; false if the packet is shorter.
    pub fn trim(&mut self, len: u16) -> bool {
        // SAFETY: valid owned mbuf; DPDK checks len against data_len.
        unsafe { dpdk_sys::fs_pktmbuf_trim(self.ptr.as_ptr(), len) == 0 }
    }

    /// Hints the CPU to load the packet's first cache line.
    #[inline]
    pub fn prefetch(&self) {
        prefetch(self.raw_data().0);
    }

    /// Hints the CPU to load the headroom line just before the data, which
    /// an encapsulation is about to write (a cold line costs a miss).
    #[inline]
    pub fn prefetch_headroom(&self) {
        // wrapping_sub: only an address for the hint, never dereferenced.
        prefetch(self.raw_data().0.wrapping_sub(64));
    }

    fn into_raw(self) -> *mut dpdk_sys::rte_mbuf {
        let p = self.ptr.as_ptr();
        std::mem::forget(self);
        p
    }
}

/// Hints the CPU to load the cache line holding `r` (e.g. a hash bucket a
/// lookup will read soon).
#[inline(always)]
pub fn prefetch_ref<T>(r: &T) {
    prefetch((r as *const T).cast());
}

#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own the mbuf and it is not used after this.
        unsafe { dpdk_sys::fs_pktmbuf_free(self.ptr.as_ptr()) }
    }
}

/// Up to `BURST_SIZE` owned mbufs, filled by an rx burst or by pushes, and
/// drained by a tx burst. Remaining mbufs are freed on drop.
pub struct Burst {
    bufs: [*mut dpdk_sys::rte_mbuf; BURST_SIZE],
    len: usize,
}

// SAFETY: the burst exclusively owns its mbufs (see Mbuf's Send).
unsafe impl Send for Burst {}

impl Default for Burst {
    fn default() -> Self {
        Self::new()
    }
}

impl Burst {
    pub const fn new() -> Self {
        Burst {
            bufs: [ptr::null_mut(); BURST_SIZE],
            len: 0,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == BURST_SIZE
    }

    /// Adds a packet; gives it back when the burst is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf) -> Result<(), Mbuf> {
        if self.len == BURST_SIZE {
            return Err(m);
        }
        self.bufs[self.len] = m.into_raw();
        self.len += 1;
        Ok(())
    }

    /// Moves packets from the front of `from` to the end of this burst, as
    /// many as fit; the rest stay in `from`, in order. Returns how many
    /// moved. (Ownership moves with the pointers; nothing is dereferenced.)
    #[inline]
    pub fn append(&mut self, from: &mut Burst) -> usize {
        let n = from.len.min(BURST_SIZE - self.len);
        self.bufs[self.len..self.len + n].copy_from_slice(&from.bufs[..n]);
        self.len += n;
        from.bufs.copy_within(n..from.len, 0);
        from.len -= n;
        n
    }

    /// Takes every packet out, in order.
    #[inline]
    pub fn drain(&mut self) -> impl Iterator<Item = Mbuf> + '_ {
        let n = std::mem::replace(&mut self.len, 0);
        self.bufs[..n].iter().map(|&p| Mbuf {
            // SAFETY: slots below len hold non-null owned mbufs (set by
            // push() or written by rx_burst); len was reset, so each is
            // handed out exactly once.
            ptr: unsafe { NonNull::new_unchecked(p) },
        })
    }

    /// Hands the packets to `f` in order. When `f` gives a packet back
    /// (`Some`), processing stops: that packet and the ones after it stay
    /// in the burst, in order, for a later call.
    #[inline]
    pub fn process(&mut self, mut f: impl FnMut(Mbuf) -> Option<Mbuf>) {
        // If `f` panics, the packets not yet handed out are leaked, never
        // freed twice.
        let n = std::mem::replace(&mut self.len, 0);
        for i in 0..n {
            let m = Mbuf {
                // SAFETY: slots below the old len hold owned non-null
                // mbufs; each is handed out once (len is 0 meanwhile).
                ptr: unsafe { NonNull::new_unchecked(self.bufs[i]) },
            };
            if let Some(back) = f(m) {
                self.bufs[i] = back.into_raw();
                self.bufs.copy_within(i..n, 0);
                self.len = n - i;
                return;
            }
        }
    }

    /// The packets held, in order, borrowed (e.g. to classify a whole
    /// burst before consuming it with [`Burst::process`]).
    #[inline]
    pub fn as_slice(&self) -> &[Mbuf] {
        // SAFETY: `Mbuf` is a transparent `NonNull<rte_mbuf>`, which has the
        // layout of `*mut rte_mbuf`; the slots below len hold owned non-null
        // mbufs, borrowed here for as long as `self` is.
        unsafe { std::slice::from_raw_parts(self.bufs.as_ptr().cast::<Mbuf>(), self.len) }
    }

    /// Starts loading every packet's first data cache line, so that
    /// classifying them one by one does not stall on each.
    #[inline]
    pub fn prefetch_data(&self) {
        for &p in &self.bufs[..self.len] {
            // SAFETY: slots below len hold valid owned mbufs; only header
            // fields are read to compute the data address.
            let data = unsafe { ((*p).buf_addr as *const u8).add(usize::from((*p).data_off)) };
            prefetch(data);
        }
    }

    /// Total length of the packets held.
    pub fn bytes(&self) -> u64 {
        self.bufs[..self.len]
            .iter()
            // SAFETY: slots below len hold valid owned mbufs.
            .map(|&p| u64::from(unsafe { (*p).pkt_len }))
            .sum()
    }

    /// Frees every packet.
    pub fn clear(&mut self) {
        if self.len > 0 {
            // SAFETY: the first len slots are owned non-null mbufs; len is
            // reset so none is freed twice.
            unsafe { dpdk_sys::rte_pktmbuf_free_bulk(self.bufs.as_mut_ptr(), self.len as u32) };
            self.len = 0;
        }
    }

    /// For rx: the empty slots and a setter for how many were filled.
    pub(crate) fn raw_fill(&mut self) -> (*mut *mut dpdk_sys::rte_mbuf, u16) {
        debug_assert_eq!(self.len, 0);
        (self.bufs.as_mut_ptr(), BURST_SIZE as u16)
    }

    pub(crate) fn set_filled(&mut self, n: usize) {
        debug_assert!(n <= BURST_SIZE);
        self.len = n.min(BURST_SIZE);
    }

    /// For tx: the filled slots. After sending `sent` of them, call
    /// `consume_front(sent)`.
    pub(crate) fn raw_filled(&mut self) -> (*mut *mut dpdk_sys::rte_mbuf, u16) {
        (self.bufs.as_mut_ptr(), self.len as u16)
    }

    /// Forgets the first `n` packets (now owned by the driver) and moves
    /// the rest to the front.
    pub(crate) fn consume_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.bufs.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl Drop for Burst {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Mbuf {
    /// Allocates `out.len()` (at most `BURST_SIZE`) mbufs in one bulk get,
    /// all or none: false, with `out` untouched, when the pool is short.
    /// Used by traffic generators, which fill whole bursts at once.
    pub fn alloc_bulk(pool: &Mempool, out: &mut [Option<Mbuf>]) -> bool {
        let n = out.len().min(BURST_SIZE);
        let mut raw = [ptr::null_mut(); BURST_SIZE];
        // SAFETY: the pool is alive (borrowed); raw has room for n pointers,
        // which DPDK fills with n reset mbufs, or none when it returns non-zero.
        let rc =
            unsafe { dpdk_sys::fs_pktmbuf_alloc_bulk(pool.as_ptr(), raw.as_mut_ptr(), n as u32) };
        if rc != 0 {
            return false;
        }
        for (slot, &p) in out[..n].iter_mut().zip(&raw[..n]) {
            *slot = NonNull::new(p).map(|ptr| Mbuf { ptr });
        }
        true
    }
}
