//! The PMD poll loop. Per packet: no allocation, no locks, no syscalls,
//! except on a megaflow miss, where the upcall translates and caches.
//!
//! For each rx queue: rx burst → parse each packet into its flow key →
//! megaflow lookup (upcall on a miss) → execute the compiled actions into
//! per-port tx batches → one tx burst per port → counters and credits.
use std::sync::atomic::{AtomicBool, Ordering};

use super::PmdSpec;
use crate::actions::{execute, DropReason, ExecContext, Outputs};
use crate::datapath::SharedDatapath;
use crate::dpdk::{rdtsc, tsc_hz, Burst, Mbuf, TxQueue};
use crate::flow::FlowKey;
use crate::megaflow::{MegaflowCache, DEFAULT_FLOW_LIMIT};
use crate::parse::{parse, PacketMeta};
use crate::stats::PmdStats;

/// Megaflows unused this long are removed.
const MEGAFLOW_IDLE_SECS: u64 = 10;
/// Upcalls (pipeline translations) a PMD does per rx burst at most. A
/// flood of new flows then costs the other queues' established flows at
/// most this much translation time per iteration. The rest of the burst
/// waits, in order, for the next iteration (`upcall_deferred`); if the
/// flood persists, the rx ring fills and the NIC drops, as with any
/// overloaded PMD.
const MAX_UPCALLS_PER_BURST: u64 = 8;

/// Per-burst tallies, added to the PMD counters once per burst.
#[derive(Default)]
struct BurstTally {
    malformed: u64,
    hits: u64,
    probes: u64,
    upcalls: u64,
    uncached: u64,
    deferred: u64,
}

impl BurstTally {
    fn publish(&self, stats: &PmdStats) {
        if self.malformed > 0 {
            stats.malformed.add(self.malformed);
        }
        stats.megaflow_hits.add(self.hits);
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
/// Control requests are checked every this many iterations.
const MAILBOX_EVERY: u64 = 1 << 10;
/// Housekeeping (expiry, subtable ranking) every this many iterations.
const HOUSEKEEPING_EVERY: u64 = 1 << 16;

/// Output side of one PMD: a batch per port, flushed once per rx burst
/// (or when a batch fills up), plus per-burst drop tallies.
struct TxStage<'a> {
    txqs: &'a mut [TxQueue],
    bufs: Vec<Burst>,
    /// Bytes queued in each of `bufs`.
    bytes: Vec<u64>,
    /// Ports with packets waiting, in first-use order.
    dirty: Vec<u16>,
    stats: &'a PmdStats,
    drops: [u64; DropReason::COUNT],
    controller: u64,
    /// Where packet-ins go (fixed for the datapath's life).
    punt: std::sync::Arc<crate::punt::Punt>,
    /// Bridge and OpenFlow port the packets being executed came from.
    origin: (u16, u32),
}

impl<'a> TxStage<'a> {
    fn new(
        txqs: &'a mut [TxQueue],
        stats: &'a PmdStats,
        punt: std::sync::Arc<crate::punt::Punt>,
    ) -> Self {
        let n = txqs.len();
        TxStage {
            txqs,
            bufs: (0..n).map(|_| Burst::new()).collect(),
            bytes: vec![0; n],
            dirty: Vec::with_capacity(n),
            stats,
            drops: [0; DropReason::COUNT],
            controller: 0,
            punt,
            origin: (0, 0),
        }
    }

    /// Sends one port's batch; what the driver refuses is freed and counted.
    fn flush_port(&mut self, o: usize) {
        let (Some(buf), Some(txq)) = (self.bufs.get_mut(o), self.txqs.get_mut(o)) else {
            return;
        };
        let bytes = std::mem::take(&mut self.bytes[o]);
        let queued = buf.len();
        if queued == 0 {
            return;
        }
        let sent = txq.send(buf);
        let c = &self.stats.ports[o];
        if sent == queued {
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes);
        } else {
            let left_bytes = buf.bytes();
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes.saturating_sub(left_bytes));
            c.tx_dropped.add((queued - sent) as u64);
            buf.clear();
        }
    }

    fn flush(&mut self) {
        while let Some(o) = self.dirty.pop() {
            self.flush_port(usize::from(o));
        }
    }

    /// Adds this burst's drop tallies to the PMD counters; returns how many
    /// packets were dropped (for the input port's rx_dropped).
    fn take_drops(&mut self) -> u64 {
        let mut total = 0;
        for (i, n) in self.drops.iter_mut().enumerate() {
            if *n > 0 {
                self.stats.drops[i].add(*n);
                // A failed copy does not lose the packet itself.
                if i != DropReason::NoBuffers as usize {
                    total += *n;
                }
                *n = 0;
            }
        }
        if self.controller > 0 {
            self.stats
                .controller
                .add(std::mem::take(&mut self.controller));
        }
        total
    }
}

impl Outputs<Mbuf> for TxStage<'_> {
    #[inline]
    fn output(&mut self, port: u16, pkt: Mbuf) {
        let o = usize::from(port);
        let Some(buf) = self.bufs.get_mut(o) else {
            self.drops[DropReason::NoOutput as usize] += 1;
            return;
        };
        if buf.is_empty() {
            self.dirty.push(port);
        } else if buf.is_full() {
            self.flush_port(o);
            self.dirty.push(port);
        }
        let len = u64::from(pkt.pkt_len());
        if let Some(buf) = self.bufs.get_mut(o) {
            if buf.push(pkt).is_ok() {
                self.bytes[o] += len;
            }
        }
    }

    fn controller(&mut self, pkt: Mbuf, max_len: u16, reason: u8, table_id: u8, cookie: u64) {
        self.controller += 1;
        let (bridge, in_port) = self.origin;
        let pi = crate::punt::PacketIn {
            bridge,
            in_port,
            reason,
            table_id,
            cookie,
            max_len,
            packet: pkt,
        };
        // A full queue means the control side is behind: drop, never wait.
        if self.punt.packet_in.push(pi).is_err() {
            self.drops[DropReason::NoBuffers as usize] += 1;
        }
    }

    #[inline]
    fn dropped(&mut self, why: DropReason) {
        self.drops[why as usize] += 1;
    }
}

pub(super) fn run(
    mut spec: PmdSpec,
    datapath: &SharedDatapath,
    stats: &PmdStats,
    stop: &AtomicBool,
    mailbox: &super::mailbox::Mailbox,
) {
    let hz = tsc_hz();
    // One burst per rx queue: what the upcall budget leaves over stays in
    // it for the next iteration.
    let mut rx_bursts: Vec<Burst> = spec.rxqs.iter().map(|_| Burst::new()).collect();
    let n_bridges = datapath.load().bridges.len();
    let mut caches: Vec<MegaflowCache> = (0..n_bridges)
        .map(|_| MegaflowCache::new(DEFAULT_FLOW_LIMIT))
        .collect();
    let mut hit_list: Vec<(u16, usize)> = Vec::with_capacity(crate::dpdk::BURST_SIZE);
    let mut key = FlowKey::ZERO;
    let punt = datapath.load().punt.clone();
    let mut tx = TxStage::new(&mut spec.txqs, stats, punt);
    let mut iterations = 0u64;
    tracing::info!(
        "PMD on core {} polling {} rx queue(s)",
        spec.core,
        spec.rxqs.len()
    );

    // A local copy of the snapshot, refreshed only when the control side
    // stored a new one: one pointer comparison per iteration.
    let mut dp_cache = arc_swap::cache::Cache::new(datapath.clone());
    while !stop.load(Ordering::Relaxed) {
        let start = rdtsc();
        let dp: &crate::datapath::Datapath = dp_cache.load();
        let mut got = 0u64;
        for ((in_port, rxq), rx) in spec.rxqs.iter_mut().zip(rx_bursts.iter_mut()) {
            // Packets left over by the upcall budget go first, in order.
            if rx.is_empty() {
                let n = rxq.recv(rx);
                if n == 0 {
                    continue;
                }
                got += n as u64;
                if let Some(c) = stats.ports.get(usize::from(*in_port)) {
                    c.rx_packets.add(n as u64);
                    c.rx_bytes.add(rx.bytes());
                }
            }
            let in_idx = usize::from(*in_port);
            let (Some(port), Some(counters)) = (dp.ports.get(in_idx), stats.ports.get(in_idx))
            else {
                rx.clear();
                continue;
            };
            let b = usize::from(port.bridge);
            let (Some(bridge), Some(cache)) = (dp.bridges.get(b), caches.get_mut(b)) else {
                rx.clear();
                continue;
            };
            tx.origin = (port.bridge, port.ofport);
            let translator = &bridge.translator;
            cache.revalidate(translator.generation());
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
            rx.prefetch_data();
            rx.process(|m| {
                let len = u64::from(m.pkt_len());
                // Tunnel packets on the underlay port: decap metadata,
                // outer headers stripped just before execution.
                let (mut m, meta, outer) =
                    crate::tunnel::ingress(dp.tunnel.as_deref(), *in_port, m, &meta, &mut tx)?;
                tx.origin.1 = meta.in_port;
                let inner = m.data().get(usize::from(outer)..).unwrap_or_default();
                let (mut layout, parsed) = parse(inner, &meta, &mut key);
                if parsed.is_err() {
                    t.malformed += 1;
                    return None;
                }
                let (found, p) = cache.lookup(&key);
                t.probes += u64::from(p);
                let i = match found {
                    Some(i) => {
                        t.hits += 1;
                        i
                    }
                    // Budget used: this packet and the rest of the burst
                    // wait for the next iteration.
                    None if t.upcalls >= MAX_UPCALLS_PER_BURST => {
                        t.deferred += 1;
                        return Some(m);
                    }
                    None => {
                        t.upcalls += 1;
                        let up = translator.translate(&key);
                        match cache.insert(&key, &up, start) {
                            Some(i) => i,
                            None => {
                                t.uncached += 1;
                                crate::tunnel::strip(&mut m, outer);
                                execute(&up.actions, m, &mut layout, &ctx, &mut tx);
                                return None;
                            }
                        }
                    }
                };
                // (A stale index cannot happen; if it did, the packet is
                // dropped: `None` means consumed.)
                let mf = cache.get_mut(i)?;
                if mf.hit(len, start) {
                    hit_list.push((port.bridge, i));
                }
                crate::tunnel::strip(&mut m, outer);
                execute(&mf.actions, m, &mut layout, &ctx, &mut tx);
                None
            });
            tx.flush();
            for (b, i) in hit_list.drain(..) {
                if let Some(mf) = caches.get_mut(usize::from(b)).and_then(|c| c.get_mut(i)) {
                    mf.flush_credits();
                }
            }
            let dropped = tx.take_drops() + t.malformed;
            if dropped > 0 {
                counters.rx_dropped.add(dropped);
            }
            t.publish(stats);
        }
        got += packet_outs(dp, &mut tx, start, hz);
        let cycles = rdtsc().wrapping_sub(start);
        stats.iterations.add(1);
        if got > 0 {
            stats.packets.add(got);
            stats.busy_cycles.add(cycles);
        } else {
            stats.idle_cycles.add(cycles);
        }
        iterations += 1;
        if iterations.is_multiple_of(MAILBOX_EVERY) {
            if let Some(req) = mailbox.requests.pop() {
                let _ = mailbox.replies.push(answer(req, &mut caches, start));
            }
        }
        if iterations.is_multiple_of(HOUSEKEEPING_EVERY) {
            housekeeping(&mut caches, stats, start, hz);
        }
    }
    for c in &mut caches {
        c.flush_all_credits();
    }
}

/// Sends the packets the control side queued (OpenFlow packet-out), a
/// bounded number per iteration.
fn packet_outs(dp: &crate::datapath::Datapath, tx: &mut TxStage<'_>, now: u64, hz: u64) -> u64 {
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
                        key: m.key,
                        mask: *mask,
                        packets: m.packets,
                        bytes: m.bytes,
                        idle_tsc: now.saturating_sub(m.last_used_tsc),
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
