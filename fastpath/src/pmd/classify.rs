//! Phases 1-3 of a burst: classify every packet to its megaflow. Parse
//! and hash, probe the exact-match cache, search the megaflow cache and
//! upcall on a miss (bounded by the [`UpcallGovernor`]); or, when one
//! megaflow takes the whole burst, only check the packets. The loop that
//! drives them, and phase 4, are in `poll.rs`.

use std::sync::Arc;

use crate::actions::{DpAction, DropReason};
use crate::dpdk::{rdtsc, Burst, BURST_SIZE};
use crate::emc::{flow_hash, flow_hash_ipv4, rss_flow_hash, Emc};
use crate::flow::FlowKey;
use crate::megaflow::MegaflowCache;
use crate::parse::{is_valid, parse_into, same_flow, PacketLayout, PacketMeta};
use crate::stats::PmdStats;
use crate::tunnel::Ingress;
use crate::upcall::FlowCredit;

/// Upcalls (pipeline translations) a PMD does per rx burst at most. A
/// flood of new flows then costs the other queues' established flows at
/// most this much translation time per iteration. The rest of the burst
/// waits, in order, for the next iteration (`upcall_deferred`); if the
/// flood persists, the rx ring fills and the NIC drops, as with any
/// overloaded PMD.
pub(super) const MAX_UPCALLS_PER_BURST: u64 = 8;
/// Upcalls may use at most 1/UPCALL_SHARE_DIV of the PMD's cycles while
/// new flows keep coming, so that established flows keep at least the
/// rest (see [`UpcallGovernor`]).
pub(super) const UPCALL_SHARE_DIV: u64 = 3;

/// A token bucket of cycles for upcalls: it fills at 1/UPCALL_SHARE_DIV of
/// the elapsed cycles, up to one millisecond's worth (so an occasional
/// burst of new flows is translated at once), and every upcall pays the
/// cycles it took. While it is empty, misses wait (in the rx burst, then
/// in the rx ring) instead of taking time from established flows.
pub(super) struct UpcallGovernor {
    pub(super) credit: u64,
    pub(super) max: u64,
    pub(super) last: u64,
}

impl UpcallGovernor {
    pub(super) fn new(hz: u64, now: u64) -> Self {
        let max = hz / 1000;
        UpcallGovernor {
            credit: max,
            max,
            last: now,
        }
    }

    #[inline]
    pub(super) fn refill(&mut self, now: u64) {
        let earned = now.saturating_sub(self.last) / UPCALL_SHARE_DIV;
        self.credit = (self.credit + earned).min(self.max);
        self.last = now;
    }

    #[inline]
    pub(super) fn allows(&self) -> bool {
        self.credit > 0
    }

    #[inline]
    pub(super) fn charge(&mut self, cycles: u64) {
        self.credit = self.credit.saturating_sub(cycles);
    }
}

/// Per-burst tallies, added to the PMD counters once per burst.
#[derive(Default)]
pub(super) struct BurstTally {
    pub(super) malformed: u64,
    pub(super) emc_lookups: u32,
    pub(super) emc_hits: u32,
    /// Megaflow-cache (tuple-space) lookups.
    pub(super) tss_lookups: u64,
    pub(super) hits: u64,
    /// Of `hits`: on the previous packet's megaflow (no search).
    pub(super) repeats: u64,
    pub(super) probes: u64,
    pub(super) upcalls: u64,
    pub(super) uncached: u64,
    pub(super) deferred: u64,
}

impl BurstTally {
    pub(super) fn publish(&self, stats: &PmdStats) {
        if self.malformed > 0 {
            stats.malformed.add(self.malformed);
        }
        if self.emc_hits > 0 {
            stats.emc_hits.add(u64::from(self.emc_hits));
        }
        stats.megaflow_hits.add(self.hits);
        if self.repeats > 0 {
            stats.megaflow_repeat_hits.add(self.repeats);
        }
        stats.megaflow_lookups.add(self.probes);
        if self.upcalls > 0 {
            stats.upcalls.add(self.upcalls);
            stats.upcall_not_cached.add(self.uncached);
        }
        if self.deferred > 0 {
            stats.upcall_deferred.add(self.deferred);
        }
    }
}
/// What phase 1-3 found for each packet of a burst, for phase 4.
pub(super) struct Classified {
    pub(super) keys: Box<[FlowKey; BURST_SIZE]>,
    pub(super) layouts: [PacketLayout; BURST_SIZE],
    pub(super) hashes: [u64; BURST_SIZE],
    /// The megaflow's slab index, or one of the markers below.
    pub(super) found: [u32; BURST_SIZE],
    /// Bytes of tunnel headers to strip before executing (0: none).
    pub(super) outer: [u16; BURST_SIZE],
    /// OpenFlow in_port (a tunnel port for decapsulated packets).
    pub(super) origin: [u32; BURST_SIZE],
    /// Why a `TUNNEL_DROP` packet is dropped.
    pub(super) why: [DropReason; BURST_SIZE],
    /// Translations the megaflow cache refused (at its limit), in packet
    /// order.
    pub(super) uncached: Vec<Uncached>,
}

/// A packet translated but not cached (the flow limit), with the copies
/// of it that follow (`SAME`): phase 4 executes `actions` for each and
/// credits the flow entries itself, as a megaflow would.
pub(super) struct Uncached {
    /// The packets' indexes in the burst: `first..=last`.
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) actions: Arc<[DpAction]>,
    pub(super) credits: Arc<[Arc<dyn FlowCredit>]>,
}

/// `Classified::found` markers.
pub(super) const MALFORMED: u32 = u32::MAX;
pub(super) const MISS: u32 = u32::MAX - 1;
pub(super) const UNCACHED: u32 = u32::MAX - 2;
/// ARP for the underlay address: to the control side.
pub(super) const PUNT: u32 = u32::MAX - 3;
/// A bad tunnel packet (reason in `Classified::why`).
pub(super) const TUNNEL_DROP: u32 = u32::MAX - 4;
/// Parses as the packet before it (`parse::same_flow`): not parsed, and
/// takes that packet's megaflow once it has one. The lowest marker: every
/// `found` value below it is a megaflow index.
pub(super) const SAME: u32 = u32::MAX - 5;

impl Classified {
    pub(super) fn new() -> Self {
        Classified {
            keys: Box::new([FlowKey::ZERO; BURST_SIZE]),
            layouts: [PacketLayout::default(); BURST_SIZE],
            hashes: [0; BURST_SIZE],
            found: [MISS; BURST_SIZE],
            outer: [0; BURST_SIZE],
            origin: [0; BURST_SIZE],
            why: [DropReason::NoOutput; BURST_SIZE],
            // One per upcall at most (SAME packets extend an entry): no
            // allocation per burst.
            uncached: Vec::with_capacity(MAX_UPCALLS_PER_BURST as usize),
        }
    }
}

/// Phase 1 and 2: parses every packet of `rx` into `sc` and, when the EMC
/// is in use, hashes each key, prefetches its bucket, then probes. Returns
/// the number of packets. Out of line: inlined into `run`, changes in it
/// moved the rest of the loop's code and cost up to 7% at 1 flow × r1.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) fn classify(
    rx: &Burst,
    meta: &PacketMeta,
    tunnel: Option<&crate::tunnel::TunnelDp>,
    use_emc: bool,
    emc: &Emc,
    cache: &MegaflowCache,
    sc: &mut Classified,
    t: &mut BurstTally,
) -> usize {
    let pkts = rx.as_slice();
    // Packets of one flow in a row are compared with the one before
    // instead of parsed (not tunnelled ones: their metadata differs); the
    // first that differs ends it for the burst, so mixed traffic pays one
    // compare per burst.
    let mut trains = tunnel.is_none();
    for (j, m) in pkts.iter().enumerate().take(BURST_SIZE) {
        if trains && j > 0 {
            let p = j - 1;
            if let (Some(prev), Some(&pf), Some(&layout)) =
                (pkts.get(p), sc.found.get(p), sc.layouts.get(p))
            {
                if (pf == MISS || pf == SAME) && same_flow(prev.data(), &layout, m.data()) {
                    sc.found[j] = SAME;
                    sc.layouts[j] = layout;
                    sc.hashes[j] = sc.hashes[p];
                    sc.outer[j] = 0;
                    sc.origin[j] = meta.in_port;
                    continue;
                }
            }
            trains = false;
        }
        // On the underlay port, tunnel packets are classified by their
        // inner packet, with the tunnel port and metadata as input.
        // (A reference, not a copy per packet: reading a field back from
        // the copy's wide store stalled; +2.8% on-CPU at 1 flow × r1emc.)
        let decap;
        let (mut pmeta, mut outer) = (meta, 0u16);
        if let Some(t) = tunnel {
            match crate::tunnel::classify(t, m.data()) {
                Ingress::Pass => {}
                Ingress::Decap { meta, outer_len } => {
                    decap = meta;
                    (pmeta, outer) = (&decap, outer_len);
                }
                Ingress::Punt => {
                    sc.found[j] = PUNT;
                    continue;
                }
                Ingress::Drop(why) => {
                    sc.found[j] = TUNNEL_DROP;
                    sc.why[j] = why;
                    continue;
                }
            }
        }
        sc.outer[j] = outer;
        sc.origin[j] = pmeta.in_port;
        let data = m.data().get(usize::from(outer)..).unwrap_or_default();
        let (key, l) = (&mut sc.keys[j], &mut sc.layouts[j]);
        let res = parse_into(data, pmeta, key, l);
        let l3 = l.l3;
        if res.is_err() {
            sc.found[j] = MALFORMED;
            continue;
        }
        sc.found[j] = MISS;
        if use_emc {
            // Only tunnel metadata would put an IPv4 key past the hot
            // words (`flow::HOT_WORDS`).
            let head_only = l3 == crate::parse::L3Kind::Ipv4
                && pmeta.tun_id == 0
                && pmeta.tun_src == 0
                && pmeta.tun_dst == 0;
            let hash = match m.rss_hash() {
                // The NIC hashed the outer headers of a tunnel packet.
                Some(rss) if outer == 0 && l3 != crate::parse::L3Kind::None => {
                    rss_flow_hash(rss, pmeta.in_port)
                }
                _ if head_only => flow_hash_ipv4(key),
                _ => flow_hash(key),
            };
            sc.hashes[j] = hash;
            emc.prefetch(hash);
        }
    }
    if use_emc {
        // Probe every bucket first and prefetch the candidate megaflows,
        // then verify: the megaflows' cache misses overlap too.
        let mut candidates = [u32::MAX; BURST_SIZE];
        for ((cand, found), hash) in candidates
            .iter_mut()
            .zip(sc.found.iter())
            .zip(sc.hashes.iter())
            .take(pkts.len())
        {
            if *found == MISS {
                if let Some(idx) = emc.candidate(*hash) {
                    *cand = idx;
                    cache.prefetch(idx as usize);
                }
            }
        }
        // What the packet before found (a SAME packet takes it).
        let mut before = MISS;
        for (((found, hash), key), cand) in sc
            .found
            .iter_mut()
            .zip(sc.hashes.iter())
            .zip(sc.keys.iter())
            .zip(candidates)
            .take(pkts.len())
        {
            if *found == SAME {
                // Counted as the lookup it replaces (a hit when the packet
                // before hit): the adaptive policy sees trains as before.
                t.emc_lookups += 1;
                if before < SAME {
                    *found = before;
                    t.emc_hits += 1;
                }
            }
            if *found == MISS {
                t.emc_lookups += 1;
                let hit = if cand == u32::MAX {
                    None
                } else if cache.matches(cand as usize, key) {
                    Some(cand)
                } else {
                    // Another way with the same signature (rare).
                    emc.lookup(*hash, |i| cache.matches(i as usize, key))
                };
                if let Some(idx) = hit {
                    *found = idx;
                    t.emc_hits += 1;
                }
            }
            before = *found;
        }
    }
    pkts.len()
}

/// Phase 1-3 when one megaflow takes every well-formed packet of the
/// burst ([`MegaflowCache::ingress_megaflow`]): packets are only checked,
/// not parsed into keys, and none is looked up. Returns a bit per packet,
/// set for the well-formed ones, and their bytes. Out of line, as
/// [`classify`].
#[inline(never)]
pub(super) fn check_burst(rx: &Burst, meta: &PacketMeta, sc: &mut Classified) -> (u32, u64) {
    const _: () = assert!(BURST_SIZE <= 32);
    // Scratch space for the packets the common-case check cannot vouch
    // for (the general parser decides those).
    let (Some(key), Some(layout)) = (sc.keys.first_mut(), sc.layouts.first_mut()) else {
        return (0, 0);
    };
    let (mut valid, mut bytes) = (0u32, 0u64);
    // One bound for the loop (a burst holds at most BURST_SIZE).
    let pkts = rx.as_slice();
    let pkts = pkts.get(..BURST_SIZE).unwrap_or(pkts);
    for (j, m) in pkts.iter().enumerate() {
        if is_valid(m.data(), meta, key, layout) {
            valid |= 1 << j;
            bytes += u64::from(m.pkt_len());
        }
    }
    (valid, bytes)
}

/// A burst [`check_burst`] found malformed packets in: the others go to
/// megaflow `idx` one by one in phase 4.
#[cold]
pub(super) fn mark_ingress(sc: &mut Classified, n: usize, idx: u32, valid: u32, in_port: u32) {
    for (j, ((found, outer), origin)) in sc
        .found
        .iter_mut()
        .zip(sc.outer.iter_mut())
        .zip(sc.origin.iter_mut())
        .enumerate()
        .take(n)
    {
        *found = if valid & (1 << j) != 0 {
            idx
        } else {
            MALFORMED
        };
        *outer = 0;
        *origin = in_port;
    }
}

/// Phase 3: megaflow lookup for the EMC misses, an upcall for the
/// megaflow misses (at most [`MAX_UPCALLS_PER_BURST`], and only while the
/// [`UpcallGovernor`] has cycles; later packets of a
/// flow just translated find its new megaflow, so one flow costs one
/// upcall). When `same_meta` (the burst is not from a tunnel's underlay)
/// and a megaflow matches on fields every packet of the burst shares, it
/// is given to all the remaining packets at once. Returns the index of the
/// first packet that must wait for the next iteration (`n` if none).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn lookup_misses(
    n: usize,
    use_emc: bool,
    emc: &mut Emc,
    cache: &mut MegaflowCache,
    translator: &dyn crate::upcall::Translator,
    sc: &mut Classified,
    t: &mut BurstTally,
    governor: &mut UpcallGovernor,
    now: u64,
    same_meta: bool,
) -> usize {
    // The megaflow of the previous lookup, tried first while it keeps
    // matching: packets come in trains of one flow, and megaflows never
    // overlap, so a match is the answer. After one failure in a burst it
    // is not tried again (mixed traffic pays one compare per burst).
    let mut last: Option<usize> = None;
    let mut gave_up = false;
    for i in 0..n {
        if sc.found[i] == SAME {
            same_as_before(i, cache, sc, t);
            continue;
        }
        if sc.found[i] != MISS {
            continue;
        }
        let key = &sc.keys[i];
        if let Some(prev) = last.take() {
            if !cache.matches(prev, key) {
                gave_up = true;
            } else {
                cache.count_subtable_hits(prev, 1);
                t.hits += 1;
                t.repeats += 1;
                t.tss_lookups += 1;
                sc.found[i] = prev as u32;
                if use_emc {
                    emc.insert(sc.hashes[i], prev as u32);
                }
                last = Some(prev);
                continue;
            }
        }
        let (found, probes) = cache.lookup(key);
        t.probes += u64::from(probes);
        t.tss_lookups += 1;
        let idx = match found {
            Some(idx) => {
                t.hits += 1;
                idx
            }
            None if t.upcalls >= MAX_UPCALLS_PER_BURST || !governor.allows() => {
                t.deferred += (n - i) as u64;
                return i;
            }
            None => {
                t.upcalls += 1;
                let t0 = rdtsc();
                let up = translator.translate(key);
                let inserted = cache.insert(key, &up, now);
                governor.charge(rdtsc().wrapping_sub(t0));
                match inserted {
                    Some(idx) => idx,
                    None => {
                        t.uncached += 1;
                        sc.found[i] = UNCACHED;
                        sc.uncached.push(Uncached {
                            first: i,
                            last: i,
                            actions: up.actions,
                            credits: up.credits,
                        });
                        continue;
                    }
                }
            }
        };
        let Ok(idx32) = u32::try_from(idx) else {
            continue;
        };
        sc.found[i] = idx32;
        cache.prefetch_program(idx);
        if use_emc {
            emc.insert(sc.hashes[i], idx32);
        }
        if same_meta && cache.matches_whole_burst(idx) {
            let rest = (i + 1).min(n)..n;
            let k = match (sc.found.get_mut(rest.clone()), sc.hashes.get(rest)) {
                (Some(found), Some(hashes)) => {
                    fill_rest(idx32, found, hashes, use_emc.then_some(&mut *emc))
                }
                _ => 0,
            };
            cache.count_subtable_hits(idx, k);
            t.hits += k;
            t.repeats += k;
            t.tss_lookups += k;
            return n;
        }
        if !gave_up {
            last = Some(idx);
        }
    }
    n
}

/// Packet `i` parses as packet `i - 1` (`SAME`), which `lookup_misses`
/// has just resolved: it gets the same megaflow, or joins the same
/// uncached entry.
#[inline]
fn same_as_before(i: usize, cache: &mut MegaflowCache, sc: &mut Classified, t: &mut BurstTally) {
    let before = i
        .checked_sub(1)
        .and_then(|p| sc.found.get(p))
        .copied()
        .unwrap_or(MALFORMED);
    let Some(found) = sc.found.get_mut(i) else {
        return;
    };
    if before < SAME {
        *found = before;
        cache.count_subtable_hits(before as usize, 1);
        t.hits += 1;
        t.repeats += 1;
        t.tss_lookups += 1;
    } else if let Some(u) = sc
        .uncached
        .last_mut()
        .filter(|u| before == UNCACHED && u.last + 1 == i)
    {
        *found = UNCACHED;
        u.last = i;
    } else {
        // Cannot happen: the packet before parsed, and was resolved or
        // deferred (and this one with it). Dropped as unparsed if it did.
        debug_assert!(false, "SAME packet {i} after {before:#x}");
        *found = MALFORMED;
    }
}

/// Gives megaflow `idx` (which matches every packet of this burst) to
/// the packets still missing one (and inserts them into `emc` if given);
/// returns how many. Out of line: it runs once per burst at most, and the
/// PMD loop it would be inlined into is sensitive to code layout.
#[inline(never)]
pub(super) fn fill_rest(
    idx: u32,
    found: &mut [u32],
    hashes: &[u64],
    mut emc: Option<&mut Emc>,
) -> u64 {
    let mut k = 0u64;
    for (f, &hash) in found.iter_mut().zip(hashes) {
        if *f == MISS || *f == SAME {
            *f = idx;
            k += 1;
            if let Some(emc) = emc.as_deref_mut() {
                emc.insert(hash, idx);
            }
        }
    }
    k
}
