//! Receive-side accounting per stream: counts, a sliding window of seen
//! sequence numbers (duplicates and reordering) and an HDR latency histogram.
//! Everything is allocated up front; `record` does not allocate.
use hdrhistogram::Histogram;

/// Sequence numbers remembered behind the highest one seen.
pub const WINDOW: u64 = 4096;
const WORDS: usize = (WINDOW / 64) as usize;
/// Highest latency the histogram tells apart (larger ones saturate): 60 s.
const MAX_LATENCY_NS: u64 = 60_000_000_000;

pub struct RxStream {
    pub received: u64,
    pub bytes: u64,
    pub duplicated: u64,
    /// Arrived after a higher sequence number (and not a duplicate).
    pub out_of_order: u64,
    /// Highest sequence number seen, extended to 64 bits; None before any.
    max_seq: Option<u64>,
    seen: [u64; WORDS],
    pub latency_ns: Histogram<u64>,
}

impl Default for RxStream {
    fn default() -> Self {
        Self::new()
    }
}

impl RxStream {
    pub fn new() -> Self {
        RxStream {
            received: 0,
            bytes: 0,
            duplicated: 0,
            out_of_order: 0,
            max_seq: None,
            seen: [0; WORDS],
            latency_ns: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .expect("constant histogram bounds are valid"),
        }
    }

    /// Packets received once (duplicates not counted).
    pub fn unique(&self) -> u64 {
        self.received - self.duplicated
    }

    /// Accounts one packet with wire sequence number `seq` (32 bits) and
    /// latency `latency_ns`.
    #[inline]
    pub fn record(&mut self, seq: u32, len: u32, latency_ns: u64) {
        self.received += 1;
        self.bytes += u64::from(len);
        self.latency_ns.saturating_record(latency_ns.max(1));
        let Some(max) = self.max_seq else {
            self.max_seq = Some(u64::from(seq));
            self.set(u64::from(seq));
            return;
        };
        // Extend to 64 bits: the nearest value to `max` with these low bits.
        let delta = i64::from(seq.wrapping_sub(max as u32) as i32);
        let Some(s) = max.checked_add_signed(delta) else {
            self.out_of_order += 1;
            return;
        };
        if s > max {
            // Forget the bits the window slides over.
            if s - max >= WINDOW {
                self.seen = [0; WORDS];
            } else {
                for x in max + 1..s {
                    self.clear(x);
                }
            }
            self.set(s);
            self.max_seq = Some(s);
        } else if max - s >= WINDOW {
            // Too old to tell a duplicate from a late packet.
            self.out_of_order += 1;
        } else if self.is_set(s) {
            self.duplicated += 1;
        } else {
            self.set(s);
            self.out_of_order += 1;
        }
    }

    #[inline]
    fn slot(x: u64) -> (usize, u64) {
        let i = x % WINDOW;
        ((i / 64) as usize, 1u64 << (i % 64))
    }
    #[inline]
    fn set(&mut self, x: u64) {
        let (w, b) = Self::slot(x);
        self.seen[w] |= b;
    }
    #[inline]
    fn clear(&mut self, x: u64) {
        let (w, b) = Self::slot(x);
        self.seen[w] &= !b;
    }
    #[inline]
    fn is_set(&self, x: u64) -> bool {
        let (w, b) = Self::slot(x);
        self.seen[w] & b != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dups_reorder_and_wrap() {
        let mut r = RxStream::new();
        for s in [0, 1, 3, 2, 2, 5, 4, 4] {
            r.record(s, 60, 1000);
        }
        assert_eq!(r.received, 8);
        assert_eq!(r.duplicated, 2);
        assert_eq!(r.out_of_order, 2);
        assert_eq!(r.unique(), 6);
        // Across the 32-bit wrap.
        let mut w = RxStream::new();
        for s in [u32::MAX - 1, u32::MAX, 0, 1, u32::MAX] {
            w.record(s, 60, 5);
        }
        assert_eq!((w.duplicated, w.out_of_order), (1, 0));
        // A big gap then a very late packet.
        let mut g = RxStream::new();
        g.record(10, 60, 5);
        g.record(10 + 2 * WINDOW as u32, 60, 5);
        g.record(11, 60, 5);
        assert_eq!((g.duplicated, g.out_of_order), (0, 1));
        assert_eq!(g.latency_ns.min(), 5);
    }
}
