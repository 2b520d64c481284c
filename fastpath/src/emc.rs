//! Per-PMD exact-match cache (EMC): full-flow-key hash → megaflow.
//!
//! The first level of the lookup, in front of the megaflow cache's
//! tuple-space search. It maps the hash of a packet's whole flow key to the
//! slab index of the megaflow that packet hit last time, so a hit costs one
//! cache line of buckets plus the megaflow itself, however many subtables
//! the megaflow cache has.
//!
//! Design, and why it differs from OVS's EMC:
//! - An entry is 8 bytes (a 32-bit signature and a 32-bit megaflow index),
//!   not a copy of the key. Eight entries share a 64-byte bucket, so a probe
//!   reads one cache line and an insertion writes into the line the probe
//!   just read: inserting is nearly free, and OVS's reason to insert only
//!   1 in 100 misses (the cost of copying a key) does not apply.
//! - A hit is verified against the megaflow itself (the packet's key under
//!   the megaflow's mask must equal the megaflow's key), not against a
//!   stored key. Megaflows never overlap, so a verified hit is exactly the
//!   megaflow the tuple-space search would find. Stale entries (a freed or
//!   reused slab slot, a flushed cache) simply fail verification: nothing
//!   has to be cleared when megaflows go away.
//! - Adaptive: the EMC pays only if its hits save more subtable probes
//!   than it costs. Over each window of lookups, with hit rate `h` and `P`
//!   subtables probed per megaflow-cache lookup, a hit saves about `P`
//!   probes and an EMC lookup (hash of the whole key, probe, verify)
//!   costs about two, so the EMC stays on while `h × P ≥ 2`. Otherwise
//!   (many more flows than entries, or one subtable, which is cheaper than
//!   the EMC) it is bypassed. A bypassed EMC probes and inserts one burst
//!   in [`SAMPLE_MIN`] (up to one in [`SAMPLE_MAX`] while `P < 2.5`,
//!   below) to notice when it would pay again (`h × P ≥ 2.5`), and an
//!   EMC in use steps aside one burst in [`BYPASS_EVERY`] to let the
//!   megaflow cache alone measure `P`.
//! - A sampled burst costs more than a bypassed one (hash, probe, verify,
//!   insert). While `P < 2.5`, when not even a perfect hit rate could
//!   bring the cache back (one subtable), each window doubles the sampling
//!   interval, up to [`SAMPLE_MAX`]. Once `P` allows it, the interval
//!   drops back to [`SAMPLE_MIN`]: then the hit rate decides, and it
//!   depends on the entries the sampled bursts insert (at one burst in
//!   256, 100k flows took 3 s to fill the cache again; `P` itself is
//!   measured on every burst).
use crate::flow::{FlowKey, FLOW_WORDS, HOT_WORDS};

/// Entries per bucket (one 64-byte line of 32-bit signatures and indices).
pub const WAYS: usize = 8;
/// Default number of entries (a power of two): 256 Ki, 2 MiB per PMD and
/// bridge; at 100k flows × 64 rules it serves 98% of packets (64 Ki
/// entries: 41%).
pub const DEFAULT_ENTRIES: usize = 1 << 18;
/// Lookups per measurement window of the adaptive policy.
const WINDOW: u32 = 1 << 14;
/// The sampling interval of a bypassed cache while `P` allows a
/// come-back, and where the back-off starts (see [`Emc::use_for_burst`]);
/// a power of two.
const SAMPLE_MIN: u32 = 16;
/// The longest sampling interval, reached 3 windows after the one that
/// bypasses the cache with `P < 2.5` (at 40 Mpps a window then takes
/// about 7 ms).
const SAMPLE_MAX: u32 = 256;
/// While it is in use, one burst in this many bypasses it to measure the
/// megaflow cache alone: rarer, since each such burst pays full
/// tuple-space searches (about 9 subtables at r64).
const BYPASS_EVERY: u32 = 256;
/// Hits × subtables per megaflow lookup, times 4, that keep the EMC on:
/// an EMC hit costs about two one-subtable probes (hashing the whole key
/// and verifying), so it pays from about 2.
const STAY_ON_X4: u64 = 8;
/// ... and that turn a bypassed one back on.
const COME_BACK_X4: u64 = 10;

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Bucket {
    /// 0 = empty; otherwise the high half of the hash, with bit 0 forced on.
    sig: [u32; WAYS],
    idx: [u32; WAYS],
}

impl Bucket {
    /// A bit per way whose signature is `sig`. All eight compared at once,
    /// without a branch per way (the compiler makes it one vector compare):
    /// with many flows the matching way is random, and a scan that stops
    /// at it mispredicts about once a lookup.
    #[inline(always)]
    fn matching(&self, sig: u32) -> u32 {
        self.sig
            .iter()
            .enumerate()
            .fold(0, |m, (w, &s)| m | (u32::from(s == sig) << w))
    }
}

/// One PMD's exact-match cache for one bridge.
pub struct Emc {
    buckets: Box<[Bucket]>,
    bucket_mask: usize,
    enabled: bool,
    /// Built with 0 entries: never used, not even sampled.
    off: bool,
    window_lookups: u32,
    window_hits: u32,
    /// Megaflow-cache lookups (EMC misses) and subtables they probed.
    window_tss_lookups: u64,
    window_tss_probes: u64,
    bursts: u32,
    /// While bypassed: one burst in this many samples (a power of two,
    /// [`SAMPLE_MIN`]..=[`SAMPLE_MAX`]).
    sample_every: u32,
}

impl Emc {
    /// A cache of `entries` (rounded up to a power of two, at least one
    /// bucket). 0 makes a cache that is never used.
    pub fn new(entries: usize) -> Self {
        let n_buckets = if entries == 0 {
            1
        } else {
            entries.div_ceil(WAYS).next_power_of_two()
        };
        Emc {
            buckets: vec![Bucket::default(); n_buckets].into_boxed_slice(),
            bucket_mask: n_buckets - 1,
            enabled: entries != 0,
            off: entries == 0,
            window_lookups: 0,
            window_hits: 0,
            window_tss_lookups: 0,
            window_tss_probes: 0,
            bursts: 0,
            sample_every: SAMPLE_MIN,
        }
    }

    /// Entries it can hold.
    pub fn capacity(&self) -> usize {
        self.buckets.len() * WAYS
    }

    /// Whether the next burst should use the cache (probe and insert).
    /// Called once per burst. A bypassed cache samples its hit rate one
    /// burst in [`SAMPLE_MIN`] to [`SAMPLE_MAX`]; a cache in use steps
    /// aside one burst in [`BYPASS_EVERY`] so the megaflow cache alone
    /// measures how many subtables a lookup probes.
    #[inline]
    pub fn use_for_burst(&mut self) -> bool {
        if self.off {
            return false;
        }
        self.bursts = self.bursts.wrapping_add(1);
        if self.enabled {
            !self.bursts.is_multiple_of(BYPASS_EVERY)
        } else {
            self.bursts & (self.sample_every - 1) == 0
        }
    }

    /// Whether the cache is currently in use (not bypassed).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Feeds a burst's EMC lookups and hits (0 for a burst that did not
    /// use the EMC), and its megaflow-cache lookups and the subtables they
    /// probed, to the adaptive policy.
    #[inline]
    pub fn account(&mut self, lookups: u32, hits: u32, tss_lookups: u64, tss_probes: u64) {
        self.window_lookups += lookups;
        self.window_hits += hits;
        self.window_tss_lookups += tss_lookups;
        self.window_tss_probes += tss_probes;
        let window = if self.enabled {
            WINDOW
        } else {
            WINDOW / SAMPLE_MIN
        };
        if self.window_lookups < window {
            return;
        }
        let (l, h) = (u64::from(self.window_lookups), u64::from(self.window_hits));
        let (tl, tp) = (self.window_tss_lookups, self.window_tss_probes);
        // h/l × tp/tl against STAY_ON (or COME_BACK when bypassed), in
        // integers: 4·h·tp ≥ need·l·tl.
        let need = if self.enabled {
            STAY_ON_X4
        } else {
            COME_BACK_X4
        };
        if tl > 0 {
            self.enabled = 4 * h * tp >= need * l * tl;
            // Sampling rarely is safe only while even a perfect hit rate
            // could not bring the cache back (P < 2.5, e.g. one subtable);
            // otherwise the hit rate is what decides, and it needs the
            // entries that sampled bursts insert.
            let hopeless = 4 * tp < COME_BACK_X4 * tl;
            self.sample_every = if !self.enabled && hopeless {
                (self.sample_every * 2).min(SAMPLE_MAX)
            } else {
                SAMPLE_MIN
            };
        }
        self.window_lookups = 0;
        self.window_hits = 0;
        self.window_tss_lookups = 0;
        self.window_tss_probes = 0;
    }

    #[inline(always)]
    fn slot(&self, hash: u64) -> (usize, u32) {
        (
            (hash as usize) & self.bucket_mask,
            ((hash >> 32) as u32) | 1,
        )
    }

    /// Starts loading the bucket `hash` maps to, so that a burst's probes
    /// overlap their cache misses instead of taking them one by one.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        let (b, _) = self.slot(hash);
        crate::dpdk::prefetch_ref(&self.buckets[b]);
    }

    /// The first megaflow index cached under `hash`'s signature, unverified
    /// (to prefetch it before verifying).
    #[inline]
    pub fn candidate(&self, hash: u64) -> Option<u32> {
        let (b, sig) = self.slot(hash);
        let bucket = &self.buckets[b];
        let ways = bucket.matching(sig);
        // The lowest matching way: the one `position` would find.
        (ways != 0).then(|| bucket.idx[ways.trailing_zeros() as usize % WAYS])
    }

    /// The megaflow index cached for `hash` that `verify` accepts.
    #[inline]
    pub fn lookup(&self, hash: u64, mut verify: impl FnMut(u32) -> bool) -> Option<u32> {
        let (b, sig) = self.slot(hash);
        let bucket = &self.buckets[b];
        for w in 0..WAYS {
            if bucket.sig[w] == sig && verify(bucket.idx[w]) {
                return Some(bucket.idx[w]);
            }
        }
        None
    }

    /// Caches `idx` for `hash`: replaces an entry with the same signature,
    /// else fills an empty way, else evicts the way the hash's low bits
    /// pick (pseudo-random, so no flow can pin a bucket).
    #[inline]
    pub fn insert(&mut self, hash: u64, idx: u32) {
        let (b, sig) = self.slot(hash);
        let bucket = &mut self.buckets[b];
        let way = bucket
            .sig
            .iter()
            .position(|&s| s == sig)
            .or_else(|| bucket.sig.iter().position(|&s| s == 0))
            .unwrap_or(((hash >> 24) as usize) % WAYS);
        bucket.sig[way] = sig;
        bucket.idx[way] = idx;
    }

    /// Forgets every entry (not needed for correctness; for tests and
    /// `flush`).
    pub fn clear(&mut self) {
        self.buckets.fill(Bucket::default());
    }
}

/// The EMC hash of a whole flow key: independent multiplies over the words
/// the common fields live in (0-4), a rotate-xor fold over the rest (IPv6
/// addresses, metadata, tunnel) when it is not all zero, one final mix. A hash
/// collision costs only a failed verification.
#[inline]
pub fn flow_hash(key: &FlowKey) -> u64 {
    let w = key.words();
    // The rest is all zeros for most traffic (IPv4, no tunnel): an OR of
    // the words (vector instructions) decides whether to fold them.
    let tail = w.get(HOT_WORDS..).unwrap_or_default();
    let mut rest = 0u64;
    if tail.iter().fold(0, |a, &x| a | x) != 0 {
        for (i, &x) in w.iter().enumerate().take(FLOW_WORDS).skip(HOT_WORDS) {
            rest ^= x.rotate_left((i as u32) * 7);
        }
    }
    mix(key, rest)
}

/// [`flow_hash`] of a key whose words past 4 are known to be zero (an
/// IPv4 packet without tunnel metadata): the same value, without reading
/// them.
#[inline]
pub fn flow_hash_ipv4(key: &FlowKey) -> u64 {
    mix(key, 0)
}

#[inline(always)]
fn mix(key: &FlowKey, rest: u64) -> u64 {
    const MUL: [u64; HOT_WORDS] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0x85eb_ca77_c2b2_ae63,
        0x27d4_eb2f_1656_67c5,
    ];
    let w = key.words();
    let mut h = 0u64;
    for i in 0..HOT_WORDS {
        h = h.wrapping_add((w[i] ^ (w[i] >> 31)).wrapping_mul(MUL[i]));
    }
    h = h.wrapping_add((rest ^ (rest >> 29)).wrapping_mul(0xff51_afd7_ed55_8ccd));
    h ^= h >> 32;
    h.wrapping_mul(0xc4ce_b9fe_1a85_ec53) ^ (h >> 29)
}

/// The EMC hash from a NIC's RSS hash (which covers the IP addresses and
/// ports) and the in_port: no key hashing at all.
#[inline]
pub fn rss_flow_hash(rss: u32, in_port: u32) -> u64 {
    let h = (u64::from(rss) << 32 | u64::from(in_port)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Field;

    fn key(port: u32, dst: u32) -> FlowKey {
        let mut k = FlowKey::ZERO;
        k.set(Field::InPort, port.into());
        k.set(Field::Ipv4Dst, dst.into());
        k
    }

    #[test]
    fn hit_only_when_verified() {
        let mut emc = Emc::new(64);
        let h = flow_hash(&key(1, 7));
        assert_eq!(emc.lookup(h, |_| true), None);
        emc.insert(h, 42);
        assert_eq!(emc.lookup(h, |i| i == 42), Some(42));
        // A stale entry (its megaflow went away) is a miss, never a wrong hit.
        assert_eq!(emc.lookup(h, |_| false), None);
        // Same signature: the index is replaced, not duplicated.
        emc.insert(h, 43);
        assert_eq!(emc.lookup(h, |i| i == 42), None);
        assert_eq!(emc.lookup(h, |i| i == 43), Some(43));
    }

    #[test]
    fn candidate_is_the_way_of_the_signature() {
        // One bucket, filled with distinct signatures: the candidate of
        // each is its own index, whichever way it landed in.
        let mut emc = Emc::new(WAYS);
        let hashes: Vec<u64> = (0..WAYS as u64).map(|i| (i + 1) << 33 | i << 24).collect();
        assert_eq!(emc.candidate(hashes[0]), None);
        for (i, &h) in hashes.iter().enumerate() {
            emc.insert(h, 100 + i as u32);
        }
        for (i, &h) in hashes.iter().enumerate() {
            assert_eq!(emc.candidate(h), Some(100 + i as u32), "way of hash {i}");
        }
        // A signature no way holds.
        assert_eq!(emc.candidate(99 << 33), None);
        // The same signature in two ways (written directly: `insert`
        // never makes two): the lowest way is the candidate.
        let (b, sig) = emc.slot(hashes[5]);
        emc.buckets[b].sig[2] = sig;
        emc.buckets[b].idx[2] = 7;
        assert_eq!(emc.candidate(hashes[5]), Some(7));
    }

    #[test]
    fn full_bucket_evicts_and_keeps_the_rest() {
        // One bucket: every hash maps to it.
        let mut emc = Emc::new(WAYS);
        assert_eq!(emc.capacity(), WAYS);
        let hashes: Vec<u64> = (0..WAYS as u64 + 1).map(|i| (i + 1) << 33).collect();
        for (i, &h) in hashes.iter().enumerate() {
            emc.insert(h, i as u32);
        }
        let present = hashes
            .iter()
            .enumerate()
            .filter(|&(i, &h)| emc.lookup(h, |x| x == i as u32).is_some())
            .count();
        assert_eq!(present, WAYS, "one eviction, the others stay");
    }

    #[test]
    fn hashes_differ_by_any_word() {
        let base = key(1, 2);
        let h = flow_hash(&base);
        for w in 0..FLOW_WORDS {
            let mut k = base;
            k.words_mut()[w] ^= 1 << (w % 64);
            assert_ne!(flow_hash(&k), h, "word {w}");
        }
        assert_ne!(rss_flow_hash(5, 1), rss_flow_hash(5, 2));
        // Without words past 4, the IPv4 hash is the same hash.
        assert_eq!(flow_hash_ipv4(&base), flow_hash(&base));
    }

    #[test]
    fn adaptive_bypass_and_return() {
        let mut emc = Emc::new(1024);
        // In use, one burst in BYPASS_EVERY leaves it out (to measure P).
        let used = (0..BYPASS_EVERY * 4)
            .filter(|_| emc.use_for_burst())
            .count();
        assert_eq!(used as u32, BYPASS_EVERY * 4 - 4);
        // All hits in front of one subtable: h·P = 1 < 2, off.
        for _ in 0..WINDOW / 32 {
            emc.account(32, 32, 2, 2);
        }
        assert!(
            !emc.is_enabled(),
            "one subtable: the EMC costs more than it saves"
        );
        // Each window where P < 2.5 (this one too) doubles the interval,
        // up to SAMPLE_MAX.
        let mut interval = SAMPLE_MIN * 2;
        let sampled = (0..interval * 4).filter(|_| emc.use_for_burst()).count();
        assert_eq!(sampled, 4, "just bypassed, P = 1: one burst in 32 samples");
        for _ in 0..8 {
            for _ in 0..WINDOW / SAMPLE_MIN / 32 {
                emc.account(32, 32, 2, 2);
            }
            interval = (interval * 2).min(SAMPLE_MAX);
            let sampled = (0..interval * 4).filter(|_| emc.use_for_burst()).count();
            assert_eq!(sampled, 4, "bypassed: one burst in {interval} samples");
        }
        assert_eq!(interval, SAMPLE_MAX);
        // More subtables (P = 4) but few hits yet: still off, but sampling
        // often again, so that the cache fills and the hit rate shows.
        for _ in 0..WINDOW / SAMPLE_MIN / 32 {
            emc.account(32, 1, 10, 40);
        }
        assert!(!emc.is_enabled());
        let sampled = (0..SAMPLE_MIN * 4).filter(|_| emc.use_for_burst()).count();
        assert_eq!(sampled, 4, "P allows a come-back: one burst in SAMPLE_MIN");
        // Sampled hits in front of 4 subtables turn it back on (h·P ≈ 2.8).
        for _ in 0..WINDOW / SAMPLE_MIN / 32 {
            emc.account(32, 22, 10, 40);
        }
        assert!(emc.is_enabled());
        // ... and a low hit rate turns it off even then (h·P = 0.5).
        for _ in 0..WINDOW / 32 {
            emc.account(32, 4, 28, 112);
        }
        assert!(!emc.is_enabled());
        // ... where P = 4 keeps it sampling often.
        let sampled = (0..SAMPLE_MIN * 4).filter(|_| emc.use_for_burst()).count();
        assert_eq!(sampled, 4, "turned off, P = 4: one burst in SAMPLE_MIN");
        // P = 2.25 (under COME_BACK, over STAY_ON): hopeless for a
        // come-back, so the back-off starts even with every lookup a hit.
        for _ in 0..WINDOW / SAMPLE_MIN / 32 {
            emc.account(32, 32, 4, 9);
        }
        assert!(!emc.is_enabled(), "h·P = 2.25 < 2.5 keeps it off");
        let sampled = (0..SAMPLE_MIN * 8).filter(|_| emc.use_for_burst()).count();
        assert_eq!(sampled, 4, "P = 2.25: one burst in 32");

        // As the PMD loop drives it: every burst reports its megaflow-cache
        // lookups (P probes each), only sampled ones their EMC lookups.
        fn drive(emc: &mut Emc, bursts: u32, hits: u32, p: u64) -> u32 {
            let mut sampled = 0;
            for _ in 0..bursts {
                if emc.use_for_burst() {
                    sampled += 1;
                    let misses = u64::from(32 - hits);
                    emc.account(32, hits, misses, misses * p);
                } else {
                    emc.account(0, 0, 32, 32 * p);
                }
            }
            sampled
        }
        // One subtable: off, and the sampling backs off to SAMPLE_MAX.
        let mut emc = Emc::new(1024);
        drive(&mut emc, 16 * SAMPLE_MAX * WINDOW / SAMPLE_MIN / 32, 32, 1);
        assert!(!emc.is_enabled());
        assert_eq!(
            drive(&mut emc, SAMPLE_MAX * 4, 32, 1),
            4,
            "one in SAMPLE_MAX"
        );
        // Hits in front of 8 subtables bring it back from there (two
        // windows at SAMPLE_MAX: the first may mix in the old traffic).
        drive(&mut emc, 2 * SAMPLE_MAX * WINDOW / SAMPLE_MIN / 32, 30, 8);
        assert!(emc.is_enabled(), "hits in front of 8 subtables");
        // Back to one subtable: the burst that turns it off starts the
        // back-off from the bottom (turning on reset the interval).
        let mut bursts = 0;
        while emc.is_enabled() {
            drive(&mut emc, 1, 32, 1);
            bursts += 1;
            assert!(bursts < 4 * WINDOW, "never turned off");
        }
        assert_eq!(
            drive(&mut emc, SAMPLE_MIN * 8, 32, 1),
            4,
            "one in 32 after turning off"
        );
        // No megaflow-cache lookups to compare with: the state stays.
        let mut all = Emc::new(64);
        for _ in 0..WINDOW / 32 {
            all.account(32, 32, 0, 0);
        }
        assert!(all.is_enabled());
        assert!(Emc::new(0).capacity() >= WAYS);
        let mut off = Emc::new(0);
        assert!(
            !(0..100).any(|_| off.use_for_burst()),
            "0 entries: never used"
        );
    }
}
