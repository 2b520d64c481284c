//! The worker: one core that builds, rate-limits and sends bursts of 32 and
//! polls the receive queue between them. Nothing here allocates per packet.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use fastpath::dpdk::{rdtsc, Burst, Mbuf, Mempool, RxQueue, TxQueue, BURST_SIZE};

use crate::packet::{parse_stamp, write_packet, Headers, Stamp, Template};
use crate::rxstats::RxStream;
use crate::spec::Stream;

/// Fixed-point fraction bits of the rate limiter's tick arithmetic.
const FP: u32 = 16;

/// The queues and pool the worker uses.
pub struct Io {
    pub pool: Mempool,
    pub txq: TxQueue,
    /// Where stamped packets come back (all queues of the rx port, polled
    /// in turn); empty: transmit only.
    pub rxqs: Vec<RxQueue>,
    /// The tx port's own rx queue when packets come back on another port:
    /// polled and emptied, not counted.
    pub tx_port_rxq: Option<RxQueue>,
}

/// A stream with its templates built once.
pub struct Prepared {
    pub name: String,
    pub headers: Headers,
    /// One template per distinct frame size.
    pub templates: Vec<Template>,
    /// Per packet index: which template (the IMIX pattern).
    pub pattern: Vec<usize>,
    pub mean_frame_size: f64,
}

impl Prepared {
    pub fn new(s: &Stream) -> Prepared {
        let mut templates: Vec<Template> = Vec::new();
        let pattern = s
            .sizes
            .iter()
            .map(|&size| {
                if let Some(i) = templates.iter().position(|t| t.frame_size as usize == size) {
                    i
                } else {
                    templates.push(Template::build(&s.headers, size));
                    templates.len() - 1
                }
            })
            .collect();
        Prepared {
            name: s.name.clone(),
            headers: s.headers.clone(),
            templates,
            pattern,
            mean_frame_size: s.mean_frame_size(),
        }
    }
}

/// What one trial sends.
#[derive(Debug, Clone)]
pub struct TrialPlan {
    /// Per stream: packets per second (None: as fast as possible).
    pub pps: Vec<Option<f64>>,
    /// Per stream: packets to send (None: until `duration`).
    pub count: Vec<Option<u64>>,
    pub duration: Option<Duration>,
    /// How long to keep receiving after the last transmit.
    pub drain: Duration,
    /// How far a stream may fall behind its schedule (e.g. when the worker
    /// was preempted) and still catch up, at full speed; at least a burst.
    pub catch_up: Duration,
}

/// Counters the main thread reads for live progress.
#[derive(Default)]
pub struct Live {
    pub tx_packets: AtomicU64,
    pub rx_packets: AtomicU64,
    pub tx_bytes: AtomicU64,
    /// Set by the main thread to end the run early.
    pub stop: AtomicBool,
}

pub struct StreamResult {
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub rx: RxStream,
    /// TSC of the first and last packet received.
    pub rx_first_tsc: u64,
    pub rx_last_tsc: u64,
}

pub struct TrialResult {
    pub streams: Vec<StreamResult>,
    /// Ticks from the first to the last transmit.
    pub tx_ticks: u64,
    /// Packets received that carried no stamp of ours.
    pub rx_foreign: u64,
    /// Times a burst could not be allocated (pool empty).
    pub alloc_failures: u64,
    /// Packets the driver never took (freed at the end, not counted sent).
    pub tx_unsent: u64,
}

struct TxState {
    interval_fp: u64,
    /// Most ticks (fixed point) the schedule may lag behind.
    max_debt_fp: u64,
    next_fp: u64,
    limit: u64,
    sent: u64,
    bytes: u64,
    rng: u64,
}

impl TxState {
    /// Whether a rate-limited stream has a packet due at `t_fp`; streams
    /// without a rate never are once their time is up.
    fn due_at(&self, t_fp: u64) -> bool {
        self.interval_fp > 0 && self.sent < self.limit && self.next_fp <= t_fp
    }
}

/// Runs one trial on the calling (worker) thread.
pub fn run_trial(
    io: &mut Io,
    streams: &[Prepared],
    plan: &TrialPlan,
    live: &Live,
    hz: u64,
) -> TrialResult {
    let n = streams.len();
    let mut tx: Vec<TxState> = (0..n)
        .map(|i| {
            let interval_fp = match plan.pps[i] {
                Some(p) if p > 0.0 => ((hz as f64 / p) * f64::from(1u32 << FP)) as u64,
                _ => 0,
            };
            let catch_up_fp = ((plan.catch_up.as_secs_f64() * hz as f64) as u64) << FP;
            TxState {
                interval_fp,
                max_debt_fp: catch_up_fp.max(interval_fp * BURST_SIZE as u64),
                next_fp: 0,
                limit: plan.count[i].unwrap_or(u64::MAX),
                sent: 0,
                bytes: 0,
                rng: 0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1),
            }
        })
        .collect();
    let mut rx: Vec<RxStream> = (0..n).map(|_| RxStream::new()).collect();
    let mut rx_first = vec![0u64; n];
    let mut rx_last = vec![0u64; n];
    // ns = ticks * ns_mult >> 32
    let ns_mult = ((1_000_000_000u128 << 32) / u128::from(hz.max(1))) as u64;
    let end_ticks = plan.duration.map(|d| (d.as_secs_f64() * hz as f64) as u64);
    let drain_ticks = (plan.drain.as_secs_f64() * hz as f64) as u64;
    let publish_ticks = hz / 1000;

    let mut out = Burst::new();
    let mut inb = Burst::new();
    let mut fresh: [Option<Mbuf>; BURST_SIZE] = std::array::from_fn(|_| None);
    let (mut rx_foreign, mut alloc_failures) = (0u64, 0u64);
    let (mut total_tx, mut total_rx, mut total_tx_bytes) = (0u64, 0u64, 0u64);
    let mut rr = 0usize;
    let t0 = rdtsc();
    let mut last_tx = t0;
    let mut next_publish = t0;
    let mut tx_done_at: Option<u64> = None;
    // When sending ended; a driver that still refuses the last burst after
    // the drain time gets it taken back (counted unsent).
    let mut finished_at: Option<u64> = None;
    // When the last rx poll started and whether it got packets: the drain
    // ends with a poll after its deadline that finds nothing (or, with
    // packets still coming, after four drain times), so a worker that was
    // preempted past the deadline still collects what arrived meanwhile.
    let mut last_poll = (0u64, false);

    loop {
        let now = rdtsc();
        let t = now - t0;
        if tx_done_at.is_none() {
            // The schedule stops at the end of the duration; what was due
            // by then (e.g. the worker was preempted just before) still goes.
            let t_sched = end_ticks.map_or(t, |e| t.min(e));
            let time_up =
                end_ticks.is_some_and(|e| t >= e) && tx.iter().all(|s| !s.due_at(t_sched << FP));
            let finished = finished_at.is_some()
                || live.stop.load(Ordering::Relaxed)
                || time_up
                || tx.iter().all(|s| s.sent >= s.limit);
            if finished && finished_at.is_none() {
                finished_at = Some(now);
            }
            let stuck = finished_at.is_some_and(|f| now - f >= drain_ticks);
            if finished && (out.is_empty() || stuck) {
                tx_done_at = Some(now);
            }
            if !finished && out.is_empty() {
                let t_fp = t_sched << FP;
                for k in 0..n {
                    let i = (rr + k) % n;
                    fill(
                        &mut out,
                        &mut fresh,
                        &io.pool,
                        &streams[i],
                        &mut tx[i],
                        i as u16,
                        t_fp,
                        &mut alloc_failures,
                    );
                }
                rr = rr.wrapping_add(1);
            }
            if !out.is_empty() && io.txq.send(&mut out) > 0 {
                last_tx = rdtsc();
            }
        } else if let Some(done) = tx_done_at {
            let received: u64 = rx.iter().map(RxStream::unique).sum();
            let sent: u64 = tx.iter().map(|s| s.sent).sum();
            let (polled, got) = last_poll;
            let after = polled.saturating_sub(done);
            let drained = after >= drain_ticks && (!got || after >= drain_ticks.saturating_mul(4));
            if drained || received >= sent || io.rxqs.is_empty() {
                break;
            }
        }
        last_poll = (now, false);
        for rxq in io.rxqs.iter_mut() {
            if rxq.recv(&mut inb) > 0 {
                last_poll.1 = true;
                let at = rdtsc();
                for m in inb.drain() {
                    match parse_stamp(m.data()) {
                        Some(Stamp { stream, seq, tsc }) if usize::from(stream) < n => {
                            let s = usize::from(stream);
                            let ticks = at.saturating_sub(tsc);
                            let ns = ((u128::from(ticks) * u128::from(ns_mult)) >> 32) as u64;
                            rx[s].record(seq, m.pkt_len() + 4, ns);
                            if rx_first[s] == 0 {
                                rx_first[s] = at;
                            }
                            rx_last[s] = at;
                            total_rx += 1;
                        }
                        _ => rx_foreign += 1,
                    }
                }
            }
        }
        if let Some(q) = io.tx_port_rxq.as_mut() {
            if q.recv(&mut inb) > 0 {
                inb.clear();
            }
        }
        if now >= next_publish {
            next_publish = now + publish_ticks;
            total_tx = tx.iter().map(|s| s.sent).sum::<u64>();
            total_tx_bytes = tx.iter().map(|s| s.bytes).sum::<u64>();
            live.tx_packets.store(total_tx, Ordering::Relaxed);
            live.tx_bytes.store(total_tx_bytes, Ordering::Relaxed);
            live.rx_packets.store(total_rx, Ordering::Relaxed);
        }
    }
    // Whatever the driver never took: not sent.
    let mut tx_unsent = 0;
    for m in out.drain() {
        tx_unsent += 1;
        if let Some(st) = parse_stamp(m.data()) {
            if let Some(s) = tx.get_mut(usize::from(st.stream)) {
                s.sent -= 1;
                s.bytes -= u64::from(m.pkt_len()) + 4;
            }
        }
    }
    live.tx_packets.store(
        total_tx.max(tx.iter().map(|s| s.sent).sum()),
        Ordering::Relaxed,
    );
    live.rx_packets.store(total_rx, Ordering::Relaxed);
    let _ = total_tx_bytes;
    TrialResult {
        streams: tx
            .iter()
            .zip(rx)
            .enumerate()
            .map(|(i, (t, r))| StreamResult {
                tx_packets: t.sent,
                tx_bytes: t.bytes,
                rx: r,
                rx_first_tsc: rx_first[i],
                rx_last_tsc: rx_last[i],
            })
            .collect(),
        tx_ticks: last_tx - t0,
        rx_foreign,
        alloc_failures,
        tx_unsent,
    }
}

/// Adds the packets stream `st` is due at time `t_fp` to `out`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn fill(
    out: &mut Burst,
    fresh: &mut [Option<Mbuf>; BURST_SIZE],
    pool: &Mempool,
    p: &Prepared,
    st: &mut TxState,
    id: u16,
    t_fp: u64,
    alloc_failures: &mut u64,
) {
    let room = (BURST_SIZE - out.len()) as u64;
    let left = st.limit - st.sent;
    let mut due = room.min(left);
    if let Some(interval) = std::num::NonZeroU64::new(st.interval_fp) {
        if t_fp < st.next_fp {
            return;
        }
        // Token bucket: never more than max_debt behind the schedule.
        if t_fp - st.next_fp > st.max_debt_fp {
            st.next_fp = t_fp - st.max_debt_fp;
        }
        due = due.min((t_fp - st.next_fp) / interval + 1);
    }
    if due == 0 {
        return;
    }
    let due = due as usize;
    if !Mbuf::alloc_bulk(pool, &mut fresh[..due]) {
        *alloc_failures += 1;
        return;
    }
    for slot in fresh[..due].iter_mut() {
        let Some(mut m) = slot.take() else { continue };
        let n = st.sent;
        // Neither lookup can miss (the pattern indexes the templates, and
        // the pool's data room fits the largest frame); no panic either way.
        let which = p.pattern.get((n % p.pattern.len().max(1) as u64) as usize);
        let Some(t) = which.and_then(|&i| p.templates.get(i)) else {
            continue;
        };
        let Some(frame) = m.append(t.bytes.len() as u16) else {
            continue;
        };
        frame.copy_from_slice(&t.bytes);
        // Stamped per packet, so that filling the burst is not latency.
        let stamp = Stamp {
            stream: id,
            seq: n as u32,
            tsc: rdtsc(),
        };
        write_packet(frame, t, &p.headers, n, &mut st.rng, &stamp);
        if out.push(m).is_err() {
            break; // cannot happen: due <= room
        }
        st.sent += 1;
        st.bytes += u64::from(t.frame_size);
        st.next_fp += st.interval_fp;
    }
}
