//! The PMD poll loop. Per packet: no allocation, no locks, no syscalls,
//! except on a megaflow miss, where the upcall translates and caches.
//!
//! For each rx queue, one burst at a time, in phases so that a burst's
//! cache misses overlap instead of stalling one by one:
//! 1. parse every packet into its flow key and hash it (RSS hash when the
//!    NIC gave one); prefetch its exact-match-cache bucket;
//! 2. probe the exact-match cache (EMC);
//! 3. EMC misses: tuple-space search in the megaflow cache, and an upcall
//!    (pipeline translation, bounded per burst) on a miss there;
//! 4. execute each packet's compiled actions into per-port tx batches,
//!    counting hits once per run of packets of the same megaflow (a burst
//!    that is all one single-output megaflow moves to its port's batch in
//!    one copy);
//!
//! then one tx burst per port, counters and OpenFlow credits. Phases 1-3
//! are in `classify.rs`; this file drives them and runs phase 4.
use std::sync::atomic::{AtomicBool, Ordering};

use super::classify::{
    check_burst, classify, lookup_misses, mark_ingress, BurstTally, Classified, UpcallGovernor,
    MALFORMED, MISS, PUNT, SAME, TUNNEL_DROP, UNCACHED,
};
use super::mailbox::{QueueSlot, Retired, Rewire};
use super::pace::RxPace;
use super::tx::TxStage;
use super::PmdSpec;
use crate::actions::{execute, DropReason, ExecContext, Outputs};
use crate::datapath::SharedDatapath;
use crate::dpdk::{rdtsc, tsc_hz, Burst, RxQueue, BURST_SIZE};
use crate::emc::Emc;
use crate::flow::FlowKey;
use crate::megaflow::{MegaflowCache, NO_SINGLE_OUTPUT};
use crate::parse::{parse, PacketMeta};
use crate::stats::PmdStats;

/// Megaflows unused this long are removed.
const MEGAFLOW_IDLE_SECS: u64 = 10;

/// Control requests are checked every this many iterations.
const MAILBOX_EVERY: u64 = 1 << 10;
/// Megaflow hits are credited to the OpenFlow entries they came from
/// every this many milliseconds, or at once when the control side asks
/// ([`crate::datapath::CreditSync`]), which it does before it reads or
/// acts on entry counters (stats, dump-flows, timeouts): crediting costs
/// atomic operations and cache misses per megaflow, and with many flows a
/// megaflow has few hits per period. (At 100k flows × r64, crediting every
/// 1 Ki iterations, about 2 ms, took 8% of the PMD; OVS's revalidators
/// pull datapath flow stats every 500 ms.)
const CREDIT_PERIOD_MS: u64 = 100;
/// Megaflows with pending credits remembered per bridge at most (beyond,
/// they are credited at once).
const CREDIT_LIST_MAX: usize = 1 << 16;

/// Port changes are checked every this many iterations (sooner: the
/// control side waits for them).
const REWIRE_EVERY: u64 = 1 << 4;
/// Housekeeping (expiry, subtable ranking) every this many iterations.
const HOUSEKEEPING_EVERY: u64 = 1 << 16;

pub(super) fn run(
    spec: PmdSpec,
    datapath: &SharedDatapath,
    stats: &PmdStats,
    stop: &AtomicBool,
    mailbox: &super::mailbox::Mailbox,
) {
    let hz = tsc_hz();
    // One burst per rx queue: what the upcall budget leaves over stays in
    // it for the next iteration.
    let PmdSpec {
        core,
        index,
        mut rxqs,
        txqs,
        counters,
        emc_entries,
        flow_limit,
    } = spec;
    let mut rx_bursts: Vec<Burst> = rxqs.iter().map(|_| Burst::new()).collect();
    let mut paces: Vec<RxPace> = rxqs.iter().map(|(_, q)| RxPace::of(q, hz)).collect();
    let n_bridges = datapath.load().bridges.len();
    let mut caches: Vec<MegaflowCache> = (0..n_bridges)
        .map(|_| MegaflowCache::new(flow_limit))
        .collect();
    let mut emcs: Vec<Emc> = (0..n_bridges).map(|_| Emc::new(emc_entries)).collect();
    // Per bridge: megaflows with hits not yet credited (each once).
    let mut pending: Vec<Vec<usize>> = (0..n_bridges)
        .map(|_| Vec::with_capacity(flow_limit.min(CREDIT_LIST_MAX)))
        .collect();
    let mut credit_epoch = 0u64;
    let credit_period = hz / 1000 * CREDIT_PERIOD_MS;
    let mut credited_at = rdtsc();
    let mut sc = Classified::new();
    let mut governor = UpcallGovernor::new(hz, rdtsc());
    let punt = datapath.load().punt.clone();
    let mut tx = TxStage::new(txqs, counters, index, stats, punt);
    let mut iterations = 0u64;
    tracing::info!("PMD on core {core} polling {} rx queue(s)", rxqs.len());

    // A local copy of the snapshot, refreshed only when the control side
    // stored a new one: one pointer comparison per iteration.
    let mut dp_cache = arc_swap::cache::Cache::new(datapath.clone());
    // One TSC read per iteration: its end is the next one's start, so the
    // between-iterations work (credits, mailbox) is counted too.
    let mut start = rdtsc();
    while !stop.load(Ordering::Relaxed) {
        let dp: &crate::datapath::Datapath = dp_cache.load();
        governor.refill(start);
        let mut got = 0u64;
        for (((in_port, rxq), rx), pace) in rxqs
            .iter_mut()
            .zip(rx_bursts.iter_mut())
            .zip(paces.iter_mut())
        {
            // Packets left over by the upcall budget go first, in order
            // (and were counted when they came).
            let fresh = rx.is_empty();
            if fresh {
                if !pace.ready(start) {
                    continue;
                }
                let n = rxq.recv(rx);
                pace.received(n, start);
                if n == 0 {
                    continue;
                }
                got += n as u64;
            }
            let in_idx = usize::from(*in_port);
            // The port's rx counters, once its bytes are known.
            let count_rx = |tx: &TxStage<'_>, n: usize, bytes: u64| {
                if let Some(c) = tx.port_counters(in_idx).filter(|_| fresh) {
                    c.rx_packets.add(n as u64);
                    c.rx_bytes.add(bytes);
                }
            };
            let Some(Some(port)) = dp.ports.get(in_idx) else {
                drop_burst(&tx, in_idx, fresh, rx);
                continue;
            };
            let b = usize::from(port.bridge);
            let (Some(bridge), Some(cache), Some(emc), Some(hit_list)) = (
                dp.bridges.get(b),
                caches.get_mut(b),
                emcs.get_mut(b),
                pending.get_mut(b),
            ) else {
                drop_burst(&tx, in_idx, fresh, rx);
                continue;
            };
            tx.origin = (port.bridge, port.ofport);
            let translator = &bridge.translator;
            if let Some(n) = cache.revalidate(translator.generation(), translator.as_ref()) {
                stats.megaflows_revalidated.add(n as u64);
            }
            let meta = PacketMeta {
                in_port: port.ofport,
                ..PacketMeta::default()
            };
            let ctx = ExecContext {
                meters: &bridge.meters,
                now_tsc: start,
                tsc_hz: hz,
            };
            let mut t = BurstTally::default();
            let tunnel = dp.tunnel.as_deref().filter(|t| t.underlay_port == *in_port);
            // A megaflow on in_port alone takes the whole burst: no keys,
            // no lookups.
            let ingress = match tunnel {
                None => cache.ingress_megaflow(port.ofport),
                Some(_) => None,
            };
            let stop_at = if let Some((idx, out)) = ingress {
                // The packets are read here first: no prefetch.
                let n = rx.len();
                let (valid, bytes) = check_burst(rx, &meta, &mut sc);
                let ok = u64::from(valid.count_ones());
                cache.count_subtable_hits(idx as usize, ok);
                t.hits += ok;
                t.repeats += ok;
                if ok == n as u64 {
                    count_rx(&tx, n, bytes);
                    count_run(cache, (idx, ok, bytes), hit_list);
                    tx.output_all(out, rx, bytes);
                } else {
                    count_rx(&tx, n, rx.bytes());
                    mark_ingress(&mut sc, n, idx, valid, port.ofport);
                }
                n
            } else {
                count_rx(&tx, rx.len(), rx.bytes());
                rx.prefetch_data();
                let use_emc = emc.use_for_burst();
                let n = classify(rx, &meta, tunnel, use_emc, emc, cache, &mut sc, &mut t);
                let stop_at = lookup_misses(
                    n,
                    use_emc,
                    emc,
                    cache,
                    translator.as_ref(),
                    &mut sc,
                    &mut t,
                    &mut governor,
                    start,
                    tunnel.is_none(),
                );
                // Every such burst: those without the EMC measure the
                // megaflow cache.
                emc.account(t.emc_lookups, t.emc_hits, t.tss_lookups, t.probes);
                stop_at
            };

            // A burst the ingress megaflow sent whole is done.
            if !rx.is_empty() {
                // Encapsulating megaflows write into the mbuf headroom: start
                // loading those lines for the whole burst first.
                if cache.any_encapsulating() {
                    for (m, &f) in rx.as_slice().iter().zip(&sc.found).take(stop_at) {
                        if cache.get(f as usize).is_some_and(|mf| mf.encapsulates) {
                            m.prefetch_headroom();
                        }
                    }
                }

                // A whole burst of one megaflow with a single output (a train
                // of one flow, or all flows under an in_port-only rule): one
                // count and one copy of pointers.
                send_whole_burst(&sc, stop_at, rx, cache, &mut tx, hit_list);

                // Phase 4: execute, in order; packets from `stop_at` on wait
                // for the next iteration (upcall budget used).
                let mut i = 0usize;
                // The run of consecutive packets of one megaflow being counted.
                let mut run = (MISS, 0u64, 0u64);
                // The next `sc.uncached` entry.
                let mut next_uncached = 0usize;
                let sc = &mut sc;
                rx.process(|m| {
                    let j = i;
                    i += 1;
                    if j >= stop_at {
                        return Some(m);
                    }
                    let (Some(&f), Some(layout)) = (sc.found.get(j), sc.layouts.get_mut(j)) else {
                        return None;
                    };
                    let outer = sc.outer.get(j).copied().unwrap_or(0);
                    tx.origin.1 = sc.origin.get(j).copied().unwrap_or(port.ofport);
                    match f {
                        MALFORMED => {
                            t.malformed += 1;
                            None
                        }
                        PUNT => {
                            if let Some(q) = tunnel.map(|t| &t.arp_in) {
                                if q.push(m).is_err() {
                                    tx.dropped(DropReason::NoBuffers);
                                }
                            }
                            None
                        }
                        TUNNEL_DROP => {
                            tx.dropped(sc.why.get(j).copied().unwrap_or(DropReason::NoOutput));
                            None
                        }
                        UNCACHED => {
                            // Entries are in packet order and cover every
                            // UNCACHED packet (a cursor, not a search).
                            let u = sc
                                .uncached
                                .get(next_uncached)
                                .filter(|u| (u.first..=u.last).contains(&j));
                            debug_assert!(u.is_some(), "uncached packet {j} has no entry");
                            if let Some(u) = u {
                                if j == u.last {
                                    next_uncached += 1;
                                }
                                let mut m = m;
                                crate::tunnel::strip(&mut m, outer);
                                let len = u64::from(m.pkt_len());
                                for c in u.credits.iter() {
                                    c.credit(1, len);
                                }
                                execute(&u.actions, m, layout, &ctx, &mut tx);
                            }
                            None
                        }
                        idx => {
                            let mut m = m;
                            crate::tunnel::strip(&mut m, outer);
                            let len = u64::from(m.pkt_len());
                            if run.0 == idx {
                                run.1 += 1;
                                run.2 += len;
                            } else {
                                count_run(cache, run, hit_list);
                                run = (idx, 1, len);
                            }
                            let mf = cache.get(idx as usize)?;
                            if mf.single_output != NO_SINGLE_OUTPUT {
                                tx.output(mf.single_output, m);
                            } else {
                                execute(&mf.actions, m, layout, &ctx, &mut tx);
                            }
                            None
                        }
                    }
                });
                count_run(cache, run, hit_list);
                sc.uncached.clear();
            }
            tx.flush();
            if hit_list.len() + BURST_SIZE > hit_list.capacity() {
                credit(cache, hit_list, start);
            }
            let dropped = tx.take_drops() + t.malformed;
            if dropped > 0 {
                if let Some(c) = tx.port_counters(in_idx) {
                    c.rx_dropped.add(dropped);
                }
            }
            t.publish(stats);
        }
        got += packet_outs(dp, &mut tx, start, hz);
        // Packets other PMDs received and hand us to send: busy time, but
        // counted as packets by the PMD that received them.
        let handed = tx.drain_inboxes();
        let end = rdtsc();
        let cycles = end.wrapping_sub(std::mem::replace(&mut start, end));
        stats.iterations.add(1);
        if got > 0 || handed > 0 {
            stats.packets.add(got);
            stats.busy_cycles.add(cycles);
        } else {
            stats.idle_cycles.add(cycles);
        }
        iterations += 1;
        let asked = dp.credit_sync.requested();
        if asked != credit_epoch || start.wrapping_sub(credited_at) > credit_period {
            credited_at = start;
            for (cache, list) in caches.iter_mut().zip(pending.iter_mut()) {
                credit(cache, list, start);
            }
            if asked != credit_epoch {
                credit_epoch = asked;
                stats.credits_synced.store(asked, Ordering::Release);
            }
        }
        if iterations.is_multiple_of(REWIRE_EVERY) {
            // Checked first: `pop` on an empty queue runs a full fence.
            if let Some(rw) = (!mailbox.rewire.is_empty())
                .then(|| mailbox.rewire.pop())
                .flatten()
            {
                let retired = rewire(*rw, &mut rxqs, &mut rx_bursts, &mut tx);
                paces = rxqs.iter().map(|(_, q)| RxPace::of(q, hz)).collect();
                tracing::info!("PMD on core {core} now polls {} rx queue(s)", rxqs.len());
                let _ = mailbox.retired.push(Box::new(retired));
            }
        }
        if iterations.is_multiple_of(MAILBOX_EVERY) {
            if let Some(req) = (!mailbox.requests.is_empty())
                .then(|| mailbox.requests.pop())
                .flatten()
            {
                let _ = mailbox.replies.push(answer(req, &mut caches, start));
            }
        }
        if iterations.is_multiple_of(HOUSEKEEPING_EVERY) {
            housekeeping(&mut caches, stats, start, hz);
        }
    }
    for c in &mut caches {
        c.flush_all_credits(rdtsc());
    }
}

/// Drops a burst whose port or bridge is not in the snapshot (being
/// added or deleted): counted as received (when `fresh`, not left over
/// from an earlier iteration) and as dropped on its port.
#[cold]
#[inline(never)]
fn drop_burst(tx: &TxStage<'_>, port: usize, fresh: bool, rx: &mut Burst) {
    if let Some(c) = tx.port_counters(port) {
        if fresh {
            c.rx_packets.add(rx.len() as u64);
            c.rx_bytes.add(rx.bytes());
        }
        c.rx_dropped.add(rx.len() as u64);
    }
    rx.clear();
}

/// Sends the burst whole if [`whole_burst_output`] allows (leaving `rx`
/// empty). Out of line, as `classify::fill_rest`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn send_whole_burst(
    sc: &Classified,
    n: usize,
    rx: &mut Burst,
    cache: &mut MegaflowCache,
    tx: &mut TxStage<'_>,
    hit_list: &mut Vec<usize>,
) {
    if let Some((idx, out)) = whole_burst_output(sc, n, rx.len(), cache) {
        let bytes = rx.bytes();
        count_run(cache, (idx, n as u64, bytes), hit_list);
        tx.output_all(out, rx, bytes);
    }
}

/// The megaflow and its single output port when all `n` packets of a
/// burst of `len` (none waiting for the next iteration, none tunnelled)
/// found the same megaflow and it only outputs to one port.
#[inline]
fn whole_burst_output(
    sc: &Classified,
    n: usize,
    len: usize,
    cache: &MegaflowCache,
) -> Option<(u32, u16)> {
    let (found, outer) = (sc.found.get(..n)?, sc.outer.get(..n)?);
    let &f = found.first()?;
    if n != len || f >= SAME {
        return None;
    }
    if !found.iter().all(|&x| x == f) || outer.iter().any(|&o| o != 0) {
        return None;
    }
    let mf = cache.get(f as usize)?;
    (mf.single_output != NO_SINGLE_OUTPUT).then_some((f, mf.single_output))
}

/// Credits the pending hits of the megaflows in `list` to their OpenFlow
/// entries (`now` becomes their last use), and empties it.
fn credit(cache: &mut MegaflowCache, list: &mut Vec<usize>, now: u64) {
    for i in list.drain(..) {
        if let Some(mf) = cache.get_mut(i) {
            mf.flush_credits(now);
        }
    }
}

/// Counts a run of packets of one megaflow (`(index, packets, bytes)`);
/// remembers the megaflows that now have credits to flush (every
/// [`CREDIT_PERIOD_MS`], or when the list fills up).
#[inline]
fn count_run(cache: &mut MegaflowCache, run: (u32, u64, u64), hit_list: &mut Vec<usize>) {
    if run.1 == 0 {
        return;
    }
    if let Some(mf) = cache.get_mut(run.0 as usize) {
        if mf.hit_n(run.1, run.2) {
            hit_list.push(run.0 as usize);
        }
    }
}

/// Sends the packets the control side queued (OpenFlow packet-out), a
/// bounded number per iteration.
fn packet_outs(dp: &crate::datapath::Datapath, tx: &mut TxStage<'_>, now: u64, hz: u64) -> u64 {
    // `pop` on an empty ArrayQueue runs a full fence (about 10% of the
    // loop at 1 flow); `is_empty` is two loads.
    if dp.punt.packet_out.is_empty() {
        return 0;
    }
    let mut n = 0;
    while n < crate::dpdk::BURST_SIZE as u64 {
        let Some(po) = dp.punt.packet_out.pop() else {
            break;
        };
        n += 1;
        let Some(bridge) = dp.bridges.get(usize::from(po.bridge)) else {
            continue;
        };
        let mut key = FlowKey::ZERO;
        let meta = PacketMeta {
            in_port: po.in_port,
            ..PacketMeta::default()
        };
        let (mut layout, _) = parse(po.packet.data(), &meta, &mut key);
        let ctx = ExecContext {
            meters: &bridge.meters,
            now_tsc: now,
            tsc_hz: hz,
        };
        tx.origin = (po.bridge, po.in_port);
        execute(&po.actions, po.packet, &mut layout, &ctx, tx);
    }
    if n > 0 {
        tx.flush();
        tx.take_drops();
    }
    n
}

/// Switches to a new queue set between two bursts. Queues that stay keep
/// their burst of packets left over by the upcall budget (their port keeps
/// its dense index); those of deleted ports are dropped and counted.
fn rewire(
    rw: Rewire,
    rxqs: &mut Vec<(u16, RxQueue)>,
    rx_bursts: &mut Vec<Burst>,
    tx: &mut TxStage<'_>,
) -> Retired {
    let mut old: Vec<Option<(u16, RxQueue, Burst)>> = std::mem::take(rxqs)
        .into_iter()
        .zip(std::mem::take(rx_bursts))
        .map(|((p, q), b)| Some((p, q, b)))
        .collect();
    for (port, slot) in rw.rxqs {
        let (q, b) = match slot {
            QueueSlot::New(q) => (q, Burst::new()),
            QueueSlot::Keep { port_id, queue_id } => {
                let Some((_, q, b)) = old
                    .iter_mut()
                    .find(|o| {
                        o.as_ref().is_some_and(|(_, q, _)| {
                            q.port_id() == port_id && q.queue_id() == queue_id
                        })
                    })
                    .and_then(Option::take)
                else {
                    continue;
                };
                (q, b)
            }
        };
        rxqs.push((port, q));
        rx_bursts.push(b);
    }
    let mut dropped = 0;
    let mut retired_rx = Vec::new();
    for (port, q, mut b) in old.into_iter().flatten() {
        if !b.is_empty() {
            dropped += b.len() as u64;
            if let Some(c) = tx.port_counters(usize::from(port)) {
                c.rx_dropped.add(b.len() as u64);
            }
            b.clear();
        }
        retired_rx.push(q);
    }
    let txqs = tx.rewire(rw.txqs, rw.counters, rw.handoff, rw.inboxes);
    Retired {
        rxqs: retired_rx,
        txqs,
        dropped,
    }
}

/// Answers a control request (allocation is fine: this is not per packet).
fn answer(
    req: super::mailbox::Request,
    caches: &mut [MegaflowCache],
    now: u64,
) -> super::mailbox::Reply {
    use super::mailbox::{MegaflowDump, Reply, Request};
    match req {
        Request::DumpMegaflows => Reply::Megaflows(
            caches
                .iter()
                .enumerate()
                .flat_map(|(b, c)| {
                    c.iter().map(move |(mask, m)| MegaflowDump {
                        bridge: b as u16,
                        key: m.key(),
                        mask: *mask,
                        packets: m.packets(),
                        bytes: m.bytes(),
                        idle_tsc: now.saturating_sub(m.last_used_tsc(now)),
                        actions: m.actions.clone(),
                    })
                })
                .collect(),
        ),
        Request::FlushMegaflows => {
            for c in caches.iter_mut() {
                c.clear();
            }
            Reply::Flushed
        }
    }
}

/// Expires idle megaflows, re-ranks subtables and publishes the count.
fn housekeeping(caches: &mut [MegaflowCache], stats: &PmdStats, now: u64, hz: u64) {
    let idle = MEGAFLOW_IDLE_SECS.saturating_mul(hz);
    let mut total = 0;
    for c in caches.iter_mut() {
        c.expire(now.saturating_sub(idle));
        c.rank_subtables();
        total += c.len() as u64;
    }
    let cur = stats.megaflows.get();
    // A gauge: store the difference through the single-writer counter.
    stats.megaflows.add(total.wrapping_sub(cur));
}
