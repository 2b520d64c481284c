//! OpenFlow meters, run by the PMDs without locks.
//!
//! # Buckets
//! Each band of a meter is a token bucket at the band's rate: an
//! `AtomicU64` token count (bits for kbps meters, packets for pktps ones)
//! and an `AtomicU64` TSC of the last refill. Tokens are consumed by a CAS
//! loop (`fetch_update`: take `cost` if there are that many). Refilling
//! converts the time since `last` into whole tokens and advances `last` by
//! exactly the time those tokens represent (rounded up), with one CAS on
//! `last`: the PMD whose CAS succeeds owns that interval and credits its
//! tokens (capped at the burst size); the others see the new `last` and
//! have nothing left to credit. The fractional remainder stays behind
//! `last` for the next refill, so nothing is lost to rounding at any rate.
//! A PMD whose TSC reading is older than `last` (it read the clock before
//! another PMD refilled) simply does not refill.
//!
//! # Why one shared bucket rather than rate/N per PMD
//! The alternative, giving each of N PMDs its own bucket at rate/N, needs
//! no shared cache line, but it is only right when the metered traffic is
//! spread evenly over the PMDs, which RSS does not promise: one elephant
//! flow lands on one queue, so that PMD's share caps it at rate/N while the
//! others' shares go unused, and the aggregate rate depends on how flows
//! hash. OpenFlow defines the meter on the aggregate, so the buckets are
//! shared: every PMD draws from the same atomics and the aggregate rate is
//! exact whatever the traffic distribution (the tests check two threads
//! against one bucket within 2%). The cost is a contended cache line per
//! band when several PMDs hit one meter at once; it is a CAS, never a lock
//! or a wait, and each band's bucket sits on its own cache line
//! (`CachePadded`) so that counters and other bands do not add false
//! sharing. The one transient imprecision: between a refill's CAS on `last`
//! and its credit of the tokens, another PMD can find the bucket a few
//! tokens short; that packet sees the bucket as it was a moment earlier.
//!
//! # Which band applies
//! OpenFlow 1.3.5 §5.7.1: the band with the highest rate lower than the
//! current measured rate. A band's bucket measures traffic against the
//! band's rate: it is short of tokens exactly when that traffic has
//! exceeded the rate for longer than the burst allows. Bands are kept
//! sorted by rate, highest first, and a packet goes down them as in a
//! two-rate three-colour marker (RFC 2698, generalised to N rates): each
//! band that has the packet's cost in tokens takes it and passes the packet
//! on to the next lower band; the first band without the tokens applies,
//! and the lower bands are not charged. A packet that every band can cover
//! passes. So the highest exceeded band applies, and each lower band meters
//! what the higher bands let through: with input above every rate, about
//! `rate_low` packets/s pass, `rate_high - rate_low` get the lower band's
//! treatment and the rest the higher band's, independent of how the
//! buckets' refills happen to line up. (Charging every band with every
//! packet, as OVS does, makes that split depend on refill phase: a low
//! band's token can be spent on a packet the high band drops.)
//!
//! # Burst
//! With `OFPMF_BURST` and a non-zero `burst_size`, a bucket holds
//! `burst_size` kilobits (1000 bits) or packets. Otherwise it holds 10 ms
//! at the band's rate, and at least one maximum-size frame
//! ([`MAX_FRAME_BYTES`]) or one packet, so that a meter never drops every
//! large packet. Buckets start full. A configured burst smaller than a
//! frame is honoured: such frames always exceed the band.
//!
//! # Counters
//! With `OFPMF_STATS`, per-meter input packets/bytes and per-band packets/
//! bytes (of packets the band applied to) are atomics; without it, no
//! counter is touched (the meter's stats stay zero). Replacing a meter's
//! configuration (OFPMC_MODIFY) keeps its counters, its bands' counters by
//! position, and its age; the buckets start full again.
//!
//! # Table
//! The table is an `ArcSwap` of a map from id to `Arc<Meter>`, replaced
//! copy-on-write by the control side; `apply` loads it without blocking.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use hashbrown::HashMap;

/// The largest frame a default burst must let through (bytes; a 9000-byte
/// MTU jumbo frame with Ethernet and VLAN headers fits).
pub const MAX_FRAME_BYTES: u64 = 9216;
/// The default burst, in milliseconds at the band's rate.
pub const DEFAULT_BURST_MS: u64 = 10;

/// A meter as installed (OpenFlow meter-mod, already validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    pub id: u32,
    /// OFPMF_KBPS: rates in kb/s (else packets/s, OFPMF_PKTPS).
    pub kbps: bool,
    /// OFPMF_BURST: use the bands' `burst_size`.
    pub burst: bool,
    /// OFPMF_STATS: keep counters.
    pub stats: bool,
    pub bands: Vec<BandConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandConfig {
    /// kb/s or packets/s.
    pub rate: u32,
    /// kilobits or packets; used with OFPMF_BURST.
    pub burst_size: u32,
    pub kind: BandKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandKind {
    Drop,
    /// Raise the DSCP drop precedence by `prec_level`.
    DscpRemark {
        prec_level: u8,
    },
}

/// What a meter says about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterVerdict {
    Pass,
    Drop,
    Remark { prec_level: u8 },
}

/// A meter's counters (OpenFlow meter stats; flow_count is the control
/// side's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterStats {
    pub packet_in_count: u64,
    pub byte_in_count: u64,
    /// Since the meter was first added.
    pub duration: Duration,
    /// In configuration order.
    pub bands: Vec<BandStats>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BandStats {
    pub packet_band_count: u64,
    pub byte_band_count: u64,
}

/// A token bucket shared by every PMD.
#[derive(Debug)]
struct Bucket {
    tokens: AtomicU64,
    /// TSC up to which time has been turned into tokens.
    last: AtomicU64,
}

impl Bucket {
    fn full(capacity: u64) -> Self {
        Bucket {
            tokens: AtomicU64::new(capacity),
            last: AtomicU64::new(0),
        }
    }

    /// Credits the tokens earned since the last refill (lock-free: one
    /// winner per interval, see the module doc).
    #[inline]
    fn refill(&self, rate: u64, capacity: u64, now: u64, hz: u64) {
        if rate == 0 || hz == 0 {
            return;
        }
        let (rate128, hz128) = (u128::from(rate), u128::from(hz));
        let mut last = self.last.load(Ordering::Acquire);
        loop {
            if now <= last {
                return;
            }
            let elapsed = now - last;
            let earned = u128::from(elapsed) * rate128 / hz128;
            if earned == 0 {
                return;
            }
            let (new_last, credit) = if earned >= u128::from(capacity) {
                // Enough to fill the bucket: the remainder is moot.
                (now, capacity)
            } else {
                // The time `earned` tokens take, rounded up (≤ elapsed).
                let used = (earned * hz128).div_ceil(rate128);
                let used = u64::try_from(used).unwrap_or(elapsed).min(elapsed);
                (last + used, earned as u64)
            };
            match self.last.compare_exchange_weak(
                last,
                new_last,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let _ = self
                        .tokens
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                            Some(t.saturating_add(credit).min(capacity))
                        });
                    return;
                }
                Err(seen) => last = seen,
            }
        }
    }

    /// Takes `cost` tokens if the bucket has them.
    #[inline]
    fn take(&self, cost: u64) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }
}

#[derive(Debug, Default)]
struct Counters {
    packets: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    #[inline]
    fn add(&self, bytes: u32) {
        self.packets.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(u64::from(bytes), Ordering::Relaxed);
    }

    fn read(&self) -> (u64, u64) {
        (
            self.packets.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug)]
struct MeterCounters {
    input: Counters,
    created: Instant,
}

#[derive(Debug)]
struct Band {
    /// Tokens per second.
    rate: u64,
    /// Bucket size in tokens.
    capacity: u64,
    kind: BandKind,
    bucket: CachePadded<Bucket>,
    counters: Arc<CachePadded<Counters>>,
}

/// One installed meter.
#[derive(Debug)]
struct Meter {
    config: MeterConfig,
    /// Sorted by rate, highest first.
    bands: Box<[Band]>,
    /// Band counters in configuration order (shared with `bands`).
    band_counters: Box<[Arc<CachePadded<Counters>>]>,
    counters: Arc<CachePadded<MeterCounters>>,
}

impl Meter {
    /// A meter for `config`, keeping `old`'s counters (modify).
    fn new(config: MeterConfig, old: Option<&Meter>) -> Meter {
        let counters = old.map_or_else(
            || {
                Arc::new(CachePadded::new(MeterCounters {
                    input: Counters::default(),
                    created: Instant::now(),
                }))
            },
            |o| Arc::clone(&o.counters),
        );
        let band_counters: Box<[_]> = (0..config.bands.len())
            .map(|i| {
                old.and_then(|o| o.band_counters.get(i).cloned())
                    .unwrap_or_default()
            })
            .collect();
        let mut bands: Vec<Band> = config
            .bands
            .iter()
            .zip(band_counters.iter())
            .map(|(b, c)| {
                let (rate, capacity) = bucket_params(config.kbps, config.burst, b);
                Band {
                    rate,
                    capacity,
                    kind: b.kind,
                    bucket: CachePadded::new(Bucket::full(capacity)),
                    counters: Arc::clone(c),
                }
            })
            .collect();
        bands.sort_by_key(|b| std::cmp::Reverse(b.rate));
        Meter {
            config,
            bands: bands.into_boxed_slice(),
            band_counters,
            counters,
        }
    }

    #[inline]
    fn apply(&self, pkt_len: u32, now: u64, hz: u64) -> MeterVerdict {
        let cost = if self.config.kbps {
            u64::from(pkt_len) * 8
        } else {
            1
        };
        if self.config.stats {
            self.counters.input.add(pkt_len);
        }
        let Some(band) = self.bands.iter().find(|band| {
            band.bucket.refill(band.rate, band.capacity, now, hz);
            !band.bucket.take(cost)
        }) else {
            return MeterVerdict::Pass;
        };
        if self.config.stats {
            band.counters.add(pkt_len);
        }
        match band.kind {
            BandKind::Drop => MeterVerdict::Drop,
            BandKind::DscpRemark { prec_level } => MeterVerdict::Remark { prec_level },
        }
    }

    fn stats(&self) -> MeterStats {
        let (packet_in_count, byte_in_count) = self.counters.input.read();
        MeterStats {
            packet_in_count,
            byte_in_count,
            duration: self.counters.created.elapsed(),
            bands: self
                .band_counters
                .iter()
                .map(|c| {
                    let (p, b) = c.read();
                    BandStats {
                        packet_band_count: p,
                        byte_band_count: b,
                    }
                })
                .collect(),
        }
    }
}

/// (tokens per second, bucket size in tokens) of a band.
fn bucket_params(kbps: bool, burst: bool, b: &BandConfig) -> (u64, u64) {
    let rate = u64::from(b.rate);
    if kbps {
        let bits_per_s = rate * 1000;
        let capacity = if burst && b.burst_size > 0 {
            u64::from(b.burst_size) * 1000
        } else {
            (bits_per_s * DEFAULT_BURST_MS / 1000).max(MAX_FRAME_BYTES * 8)
        };
        (bits_per_s, capacity)
    } else {
        let capacity = if burst && b.burst_size > 0 {
            u64::from(b.burst_size)
        } else {
            (rate * DEFAULT_BURST_MS / 1000).max(1)
        };
        (rate, capacity)
    }
}

/// Every meter of a bridge, shared by its PMDs (`Arc<MeterTable>`).
pub struct MeterTable {
    meters: ArcSwap<HashMap<u32, Arc<Meter>>>,
}

impl Default for MeterTable {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MeterTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self.meters.load();
        let mut ids: Vec<u32> = map.keys().copied().collect();
        ids.sort_unstable();
        f.debug_struct("MeterTable").field("ids", &ids).finish()
    }
}

impl MeterTable {
    pub fn new() -> Self {
        MeterTable {
            meters: ArcSwap::from_pointee(HashMap::new()),
        }
    }

    /// Adds meter `cfg.id`, or replaces its configuration keeping its
    /// counters (control side; copy-on-write, never blocks `apply`).
    pub fn install(&self, cfg: MeterConfig) {
        self.meters.rcu(|cur| {
            let mut map = HashMap::clone(cur);
            let meter = Meter::new(cfg.clone(), cur.get(&cfg.id).map(|m| &**m));
            map.insert(cfg.id, Arc::new(meter));
            map
        });
    }

    /// Removes meter `id` (no-op if absent).
    pub fn remove(&self, id: u32) {
        if !self.meters.load().contains_key(&id) {
            return;
        }
        self.meters.rcu(|cur| {
            let mut map = HashMap::clone(cur);
            map.remove(&id);
            map
        });
    }

    /// Runs a packet of `pkt_len` bytes through meter `id` at TSC `now_tsc`
    /// (`tsc_hz` ticks per second). An unknown meter passes everything.
    /// Lock-free; called by the PMDs.
    #[inline]
    pub fn apply(&self, id: u32, pkt_len: u32, now_tsc: u64, tsc_hz: u64) -> MeterVerdict {
        match self.meters.load().get(&id) {
            Some(m) => m.apply(pkt_len, now_tsc, tsc_hz),
            None => MeterVerdict::Pass,
        }
    }

    /// The counters of meter `id`.
    pub fn stats(&self, id: u32) -> Option<MeterStats> {
        self.meters.load().get(&id).map(|m| m.stats())
    }

    /// The configuration of meter `id`.
    pub fn config(&self, id: u32) -> Option<MeterConfig> {
        self.meters.load().get(&id).map(|m| m.config.clone())
    }

    pub fn contains(&self, id: u32) -> bool {
        self.meters.load().contains_key(&id)
    }

    /// Installed meter ids, ascending.
    pub fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.meters.load().keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ: u64 = 2_500_000_000;
    /// A TSC far from zero, as on a running machine.
    const T0: u64 = 1 << 40;

    fn meter(id: u32, kbps: bool, burst: bool, bands: &[(u32, u32, BandKind)]) -> MeterConfig {
        MeterConfig {
            id,
            kbps,
            burst,
            stats: true,
            bands: bands
                .iter()
                .map(|&(rate, burst_size, kind)| BandConfig {
                    rate,
                    burst_size,
                    kind,
                })
                .collect(),
        }
    }

    /// Offers `n` packets evenly over `secs` simulated seconds from `t0`.
    fn offer(t: &MeterTable, id: u32, n: u64, secs: u64, t0: u64, len: u32) -> (u64, u64, u64) {
        let (mut pass, mut drop, mut remark) = (0, 0, 0);
        for k in 0..n {
            let now = t0 + (u128::from(k) * u128::from(secs * HZ) / u128::from(n)) as u64;
            match t.apply(id, len, now, HZ) {
                MeterVerdict::Pass => pass += 1,
                MeterVerdict::Drop => drop += 1,
                MeterVerdict::Remark { .. } => remark += 1,
            }
        }
        (pass, drop, remark)
    }

    fn within(actual: u64, expected: u64, pct: f64) -> bool {
        (actual as f64 - expected as f64).abs() <= expected as f64 * pct / 100.0
    }

    #[test]
    fn pktps_rate_and_default_burst() {
        let t = MeterTable::new();
        t.install(meter(1, false, false, &[(10_000, 0, BandKind::Drop)]));
        // 10x the rate for one second: rate + default burst (10 ms) pass.
        let (pass, drop, _) = offer(&t, 1, 100_000, 1, T0, 64);
        let expected = 10_000 + 100;
        assert!(within(pass, expected, 1.0), "pass {pass}, want ≈{expected}");
        assert_eq!(pass + drop, 100_000);
        let s = t.stats(1).unwrap();
        assert_eq!(s.packet_in_count, 100_000);
        assert_eq!(s.byte_in_count, 100_000 * 64);
        assert_eq!(s.bands[0].packet_band_count, drop);
        assert_eq!(s.bands[0].byte_band_count, drop * 64);
    }

    #[test]
    fn pktps_explicit_burst_then_steady() {
        let t = MeterTable::new();
        t.install(meter(7, false, true, &[(1_000, 500, BandKind::Drop)]));
        // Everything at one instant: exactly the burst passes.
        let mut pass = 0;
        for _ in 0..2_000 {
            if t.apply(7, 100, T0, HZ) == MeterVerdict::Pass {
                pass += 1;
            }
        }
        assert_eq!(pass, 500);
        // Then 2 s at 5x the rate: the rate passes (bucket starts empty).
        let (pass, _, _) = offer(&t, 7, 10_000, 2, T0 + 1, 100);
        assert!(within(pass, 2_000, 1.0), "pass {pass}");
    }

    #[test]
    fn below_rate_everything_passes() {
        let t = MeterTable::new();
        t.install(meter(2, false, false, &[(10_000, 0, BandKind::Drop)]));
        let (pass, drop, _) = offer(&t, 2, 9_000, 1, T0, 1500);
        assert_eq!((pass, drop), (9_000, 0));
    }

    #[test]
    fn kbps_counts_bits() {
        let t = MeterTable::new();
        // 1 Mb/s, burst 100 kb; 125-byte packets = 1000 bits: 1000 pkt/s.
        t.install(meter(3, true, true, &[(1_000, 100, BandKind::Drop)]));
        let (pass, _, _) = offer(&t, 3, 10_000, 1, T0, 125);
        assert!(within(pass, 1_000 + 100, 1.0), "pass {pass}");
        // Twice the bytes per packet: half the packets.
        let t = MeterTable::new();
        t.install(meter(3, true, true, &[(1_000, 100, BandKind::Drop)]));
        let (pass, _, _) = offer(&t, 3, 10_000, 1, T0, 250);
        assert!(within(pass, 500 + 50, 1.0), "pass {pass}");
    }

    #[test]
    fn kbps_default_burst_holds_a_jumbo_frame() {
        let t = MeterTable::new();
        // 64 kb/s: 10 ms would be 640 bits, less than one frame.
        t.install(meter(4, true, false, &[(64, 0, BandKind::Drop)]));
        assert_eq!(t.apply(4, 9000, T0, HZ), MeterVerdict::Pass);
        assert_eq!(t.apply(4, 9000, T0, HZ), MeterVerdict::Drop);
        // 9000*8 bits at 64 kb/s take 1.125 s to come back.
        assert_eq!(t.apply(4, 9000, T0 + HZ, HZ), MeterVerdict::Drop);
        assert_eq!(t.apply(4, 9000, T0 + HZ * 2, HZ), MeterVerdict::Pass);
    }

    #[test]
    fn two_threads_share_one_rate() {
        let t = MeterTable::new();
        let rate = 100_000u64;
        t.install(meter(5, false, false, &[(rate as u32, 0, BandKind::Drop)]));
        let per_thread = 500_000u64; // 10x the rate in total
        let barrier = std::sync::Barrier::new(2);
        let passes: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2u64)
                .map(|i| {
                    let (t, barrier) = (&t, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        // Interleaved timestamps: thread i at odd/even slots.
                        let mut pass = 0;
                        for k in 0..per_thread {
                            let slot = 2 * k + i;
                            let now = T0
                                + (u128::from(slot) * u128::from(HZ) / u128::from(2 * per_thread))
                                    as u64;
                            if t.apply(5, 64, now, HZ) == MeterVerdict::Pass {
                                pass += 1;
                            }
                        }
                        pass
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let total: u64 = passes.iter().sum();
        let expected = rate + rate / 100;
        assert!(
            within(total, expected, 2.0),
            "aggregate {total} ({passes:?}), want ≈{expected}"
        );
        assert_eq!(t.stats(5).unwrap().packet_in_count, 2 * per_thread);
    }

    #[test]
    fn highest_exceeded_band_applies() {
        let t = MeterTable::new();
        // Bands out of order on purpose.
        t.install(meter(
            6,
            false,
            false,
            &[
                (500, 0, BandKind::DscpRemark { prec_level: 1 }),
                (1_000, 0, BandKind::Drop),
            ],
        ));
        assert_eq!(
            t.config(6).unwrap().bands[0].kind,
            BandKind::DscpRemark { prec_level: 1 }
        );
        // At 750 pkt/s only the 500 band is exceeded: remark, never drop.
        let (pass, drop, remark) = offer(&t, 6, 750, 1, T0, 64);
        assert_eq!(drop, 0);
        assert!(within(pass, 505, 1.0), "pass {pass}");
        assert_eq!(pass + remark, 750);
        // At 10000 pkt/s both are: the 1000 band (drop) applies to all but
        // the 1000 it lets through, of which the 500 band passes 500 and
        // remarks the rest.
        let (pass2, drop2, remark2) = offer(&t, 6, 10_000, 1, T0 + HZ, 64);
        assert!(within(pass2 + remark2, 1_000, 2.0), "{pass2} + {remark2}");
        assert!(within(pass2, 500, 2.0), "pass {pass2}");
        assert!(within(remark2, 500, 3.0), "remark {remark2}");
        assert_eq!(pass2 + drop2 + remark2, 10_000);
        // Band counters are per band, in configuration order.
        let s = t.stats(6).unwrap();
        assert_eq!(s.bands[0].packet_band_count, remark + remark2);
        assert_eq!(s.bands[1].packet_band_count, drop2);
        assert_eq!(s.packet_in_count, 10_750);
    }

    #[test]
    fn modify_keeps_counters_remove_forgets() {
        let t = MeterTable::new();
        t.install(meter(9, false, true, &[(10, 1, BandKind::Drop)]));
        assert_eq!(t.apply(9, 100, T0, HZ), MeterVerdict::Pass);
        assert_eq!(t.apply(9, 100, T0, HZ), MeterVerdict::Drop);
        t.install(meter(
            9,
            false,
            true,
            &[(10, 1, BandKind::Drop), (5, 1, BandKind::Drop)],
        ));
        // New buckets start full.
        assert_eq!(t.apply(9, 100, T0, HZ), MeterVerdict::Pass);
        let s = t.stats(9).unwrap();
        assert_eq!(s.packet_in_count, 3);
        assert_eq!(s.byte_in_count, 300);
        assert_eq!(s.bands.len(), 2);
        assert_eq!(s.bands[0].packet_band_count, 1);
        assert_eq!(s.bands[1].packet_band_count, 0);
        assert_eq!(t.ids(), vec![9]);
        t.remove(9);
        assert!(!t.contains(9));
        assert_eq!(t.stats(9), None);
        assert_eq!(t.apply(9, 100, T0, HZ), MeterVerdict::Pass);
        // Unknown meters pass; removing one is a no-op.
        t.remove(12345);
        assert_eq!(t.apply(12345, 100, T0, HZ), MeterVerdict::Pass);
    }

    #[test]
    fn no_stats_flag_no_counters() {
        let t = MeterTable::new();
        let mut cfg = meter(10, false, true, &[(10, 1, BandKind::Drop)]);
        cfg.stats = false;
        t.install(cfg);
        t.apply(10, 100, T0, HZ);
        t.apply(10, 100, T0, HZ);
        let s = t.stats(10).unwrap();
        assert_eq!((s.packet_in_count, s.bands[0].packet_band_count), (0, 0));
    }

    #[test]
    fn degenerate_configs_do_not_panic() {
        let t = MeterTable::new();
        t.install(meter(11, false, false, &[]));
        assert_eq!(t.apply(11, 64, T0, HZ), MeterVerdict::Pass);
        t.install(meter(12, true, false, &[(0, 0, BandKind::Drop)]));
        t.install(meter(
            13,
            true,
            true,
            &[(u32::MAX, u32::MAX, BandKind::Drop)],
        ));
        for now in [0, T0, u64::MAX, 1] {
            for id in [12, 13] {
                let _ = t.apply(id, u32::MAX, now, HZ);
                let _ = t.apply(id, 64, now, 0);
            }
        }
        // A clock going backwards neither refills nor panics.
        assert_eq!(t.apply(13, 64, 5, HZ), MeterVerdict::Pass);
    }
}
