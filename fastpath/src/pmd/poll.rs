//! The PMD poll loop. Per packet: no allocation, no locks, no syscalls.
use std::sync::atomic::{AtomicBool, Ordering};

use super::PmdSpec;
use crate::classify::{Decision, SharedForwardTable};
use crate::dpdk::{rdtsc, Burst, TxQueue};
use crate::stats::PmdStats;

/// Output batches, one per port, flushed once per rx burst.
struct TxBatches {
    bufs: Vec<Burst>,
    /// Bytes queued in each of `bufs`.
    bytes: Vec<u64>,
    /// Ports with packets waiting, in first-use order.
    dirty: Vec<u16>,
}

impl TxBatches {
    fn new(n_ports: usize) -> Self {
        TxBatches {
            bufs: (0..n_ports).map(|_| Burst::new()).collect(),
            bytes: vec![0; n_ports],
            dirty: Vec::with_capacity(n_ports),
        }
    }
}

pub(super) fn run(
    mut spec: PmdSpec,
    forward: &SharedForwardTable,
    stats: &PmdStats,
    stop: &AtomicBool,
) {
    let mut rx = Burst::new();
    let mut tx = TxBatches::new(spec.txqs.len());
    tracing::info!(
        "PMD on core {} polling {} rx queue(s)",
        spec.core,
        spec.rxqs.len()
    );
    while !stop.load(Ordering::Relaxed) {
        let start = rdtsc();
        let table = forward.load();
        let mut got = 0u64;
        for (in_port, rxq) in spec.rxqs.iter_mut() {
            let n = rxq.recv(&mut rx);
            if n == 0 {
                continue;
            }
            got += n as u64;
            let counters = &stats.ports[usize::from(*in_port)];
            let mut bytes = 0u64;
            let mut dropped = 0u64;
            rx.prefetch_data();
            for m in rx.drain() {
                let len = u64::from(m.pkt_len());
                bytes += len;
                match table.classify(*in_port, m.data()) {
                    Decision::Output(out) => {
                        let Some(buf) = tx.bufs.get_mut(usize::from(out)) else {
                            dropped += 1;
                            continue;
                        };
                        if buf.is_empty() {
                            tx.dirty.push(out);
                        }
                        match buf.push(m) {
                            Ok(()) => tx.bytes[usize::from(out)] += len,
                            Err(_) => dropped += 1,
                        }
                    }
                    Decision::Drop => dropped += 1,
                }
            }
            counters.rx_packets.add(n as u64);
            counters.rx_bytes.add(bytes);
            if dropped > 0 {
                counters.rx_dropped.add(dropped);
            }
            flush(&mut spec.txqs, &mut tx, stats);
        }
        let cycles = rdtsc().wrapping_sub(start);
        stats.iterations.add(1);
        if got > 0 {
            stats.packets.add(got);
            stats.busy_cycles.add(cycles);
        } else {
            stats.idle_cycles.add(cycles);
        }
    }
}

/// Sends every waiting batch; what the driver refuses is freed and counted.
fn flush(txqs: &mut [TxQueue], tx: &mut TxBatches, stats: &PmdStats) {
    for out in tx.dirty.drain(..) {
        let o = usize::from(out);
        let (Some(buf), Some(txq)) = (tx.bufs.get_mut(o), txqs.get_mut(o)) else {
            continue;
        };
        let bytes = std::mem::take(&mut tx.bytes[o]);
        let queued = buf.len();
        let sent = txq.send(buf);
        let c = &stats.ports[o];
        if sent == queued {
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes);
        } else {
            // Rare path: count bytes of the ones that went.
            let left_bytes = buf.bytes();
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes - left_bytes);
            c.tx_dropped.add((queued - sent) as u64);
            buf.clear();
        }
    }
}
