//! RFC 2544 methods on top of trials: throughput (binary search for the
//! highest rate with no loss, NDR, and with at most a given loss, PDR),
//! back-to-back bursts, and latency at fractions of the found rate.
use std::time::Duration;

use serde::Serialize;

use crate::report::{Latency, RunSummary};

#[derive(Debug, Clone)]
pub struct Options {
    /// Trial length T.
    pub trial: Duration,
    /// Loss accepted for the PDR, in percent (RFC 2544's throughput is 0).
    pub pdr_loss_pct: f64,
    /// The search stops when the bracket is narrower than this (pps).
    pub resolution_pps: f64,
    /// Highest rate tried (pps), usually the line rate.
    pub max_pps: f64,
    /// Longest burst tried by the back-to-back test; 0 skips the test.
    pub b2b_max_frames: u64,
    /// Repetitions of the back-to-back burst found (RFC 2544: at least 50).
    pub b2b_reps: u32,
    /// Times a failed throughput trial is run again at the same rate before
    /// it counts as failed (0: RFC 2544 strict). Filters out interference on
    /// a shared machine.
    pub retries: u32,
    /// Fractions of the found rate the latency test runs at; empty skips it.
    pub latency_at: Vec<f64>,
}

/// One trial: offered rate, what was sent, what was lost.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    pub offered_pps: f64,
    pub tx_pps: f64,
    pub tx_packets: u64,
    pub lost: u64,
    pub loss_pct: f64,
    /// The generator sent less than `MIN_TX_SHARE` of the offered rate: the
    /// trial says nothing about the device and counts as failed.
    pub generator_limited: bool,
}

/// Share of the offered rate a trial must really send to count.
pub const MIN_TX_SHARE: f64 = 0.98;

#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Highest offered rate that passed.
    pub pps: f64,
    /// What the generator achieved at that rate.
    pub tx_pps: f64,
    pub loss_pct: f64,
    pub gbps: f64,
    pub percent_of_line: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackToBack {
    /// Longest burst (frames at the maximum rate) with no loss.
    pub frames: u64,
    /// Its length in seconds at the line rate.
    pub seconds_at_line_rate: f64,
    /// Losses in the repetitions of that burst.
    pub reps: u32,
    pub reps_with_loss: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LatencyPoint {
    pub fraction: f64,
    pub pps: f64,
    pub loss_pct: f64,
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct Result {
    pub frame_size: f64,
    pub line_rate_pps: f64,
    pub trial_seconds: f64,
    pub ndr: Option<Found>,
    pub pdr: Option<Found>,
    pub pdr_loss_pct: f64,
    pub back_to_back: Option<BackToBack>,
    pub latency: Vec<LatencyPoint>,
    pub trials: Vec<Trial>,
    /// Some trial failed because the generator, not the device, fell short:
    /// the rates found may be the generator's limit.
    pub generator_limited: bool,
}

/// What the search needs from a trial runner: run at `pps` (None: as fast
/// as possible), for `duration` or `count` packets.
pub trait Runner {
    fn trial(
        &mut self,
        pps: Option<f64>,
        duration: Option<Duration>,
        count: Option<u64>,
    ) -> RunSummary;
    fn log(&mut self, line: String);
}

fn to_trial(pps: f64, s: &RunSummary) -> Trial {
    Trial {
        offered_pps: pps,
        tx_pps: s.tx_pps,
        tx_packets: s.tx_packets,
        lost: s.lost,
        loss_pct: s.loss_pct,
        generator_limited: s.tx_pps < pps * MIN_TX_SHARE,
    }
}

/// Binary search for the highest offered rate in [lo, hi] whose loss is at
/// most `max_loss_pct` (0: none at all). `lo` is known (or assumed) to pass.
#[allow(clippy::too_many_arguments)]
fn search(
    r: &mut dyn Runner,
    o: &Options,
    label: &str,
    max_loss_pct: f64,
    mut lo: f64,
    frame_size: f64,
    line_pps: f64,
    trials: &mut Vec<Trial>,
) -> Option<Found> {
    let passes = |t: &Trial| {
        t.tx_packets > 0
            && !t.generator_limited
            && if max_loss_pct == 0.0 {
                t.lost == 0
            } else {
                t.loss_pct <= max_loss_pct
            }
    };
    let mut hi = o.max_pps;
    let mut best: Option<Trial> = None;
    let mut rate = o.max_pps;
    let mut retries_left = o.retries;
    loop {
        let s = r.trial(Some(rate), Some(o.trial), None);
        let t = to_trial(rate, &s);
        let ok = passes(&t);
        if !ok && retries_left > 0 {
            retries_left -= 1;
            r.log(format!(
                "{label}: offered {rate:.0} pps, sent {:.0} pps, lost {}: failed, trying again",
                t.tx_pps, t.lost
            ));
            trials.push(t);
            continue;
        }
        retries_left = o.retries;
        r.log(format!(
            "{label}: offered {:.0} pps, sent {:.0} pps, lost {} ({:.4}%): {}",
            rate,
            t.tx_pps,
            t.lost,
            t.loss_pct,
            if ok {
                "pass"
            } else if t.generator_limited {
                "fail (the generator could not send that fast)"
            } else {
                "fail"
            }
        ));
        trials.push(t.clone());
        if ok {
            lo = rate;
            best = Some(t);
        } else {
            hi = rate;
        }
        if rate >= o.max_pps && ok || hi - lo <= o.resolution_pps {
            break;
        }
        rate = (lo + hi) / 2.0;
    }
    best.map(|t| Found {
        pps: t.offered_pps,
        tx_pps: t.tx_pps,
        loss_pct: t.loss_pct,
        gbps: t.offered_pps * (frame_size + 20.0) * 8.0 / 1e9,
        percent_of_line: if line_pps > 0.0 {
            t.offered_pps * 100.0 / line_pps
        } else {
            0.0
        },
    })
}

/// Runs throughput (NDR, PDR), back-to-back and latency for one frame size.
pub fn run(r: &mut dyn Runner, o: &Options, frame_size: f64, line_pps: f64) -> Result {
    let mut trials = Vec::new();
    let ndr = search(r, o, "NDR", 0.0, 0.0, frame_size, line_pps, &mut trials);
    let pdr_start = ndr.as_ref().map_or(0.0, |f| f.pps);
    let pdr = search(
        r,
        o,
        "PDR",
        o.pdr_loss_pct,
        pdr_start,
        frame_size,
        line_pps,
        &mut trials,
    )
    // The NDR also satisfies the PDR when no higher rate did.
    .or_else(|| ndr.clone());
    let back_to_back = (o.b2b_max_frames > 0).then(|| back_to_back(r, o, line_pps));
    let base = ndr.as_ref().or(pdr.as_ref()).map(|f| f.pps);
    let latency = match base {
        Some(base) if base > 0.0 => o
            .latency_at
            .iter()
            .map(|&f| {
                let pps = base * f;
                let s = r.trial(Some(pps), Some(o.trial), None);
                r.log(format!(
                    "latency at {:.0}% ({pps:.0} pps): p50 {} ns, p99 {} ns, max {} ns",
                    f * 100.0,
                    s.latency.p50_ns,
                    s.latency.p99_ns,
                    s.latency.max_ns
                ));
                LatencyPoint {
                    fraction: f,
                    pps,
                    loss_pct: s.loss_pct,
                    latency: s.latency,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Result {
        frame_size,
        line_rate_pps: line_pps,
        trial_seconds: o.trial.as_secs_f64(),
        ndr,
        pdr,
        pdr_loss_pct: o.pdr_loss_pct,
        back_to_back,
        latency,
        generator_limited: trials.iter().any(|t| t.generator_limited),
        trials,
    }
}

/// Longest burst at full speed that gets through without loss: binary
/// search over the burst length, then `b2b_reps` repetitions of it.
fn back_to_back(r: &mut dyn Runner, o: &Options, line_pps: f64) -> BackToBack {
    let burst = |r: &mut dyn Runner, n: u64| {
        let s = r.trial(None, None, Some(n));
        r.log(format!("back-to-back: {n} frames, lost {}", s.lost));
        s.lost == 0 && s.tx_packets == n
    };
    let (mut lo, mut hi) = (0u64, o.b2b_max_frames);
    if burst(r, hi) {
        lo = hi;
    } else {
        let resolution = (o.b2b_max_frames / 100).max(1);
        while hi - lo > resolution {
            let mid = lo + (hi - lo) / 2;
            if burst(r, mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    let mut reps_with_loss = 0;
    if lo > 0 {
        for _ in 0..o.b2b_reps {
            if !burst(r, lo) {
                reps_with_loss += 1;
            }
        }
    }
    BackToBack {
        frames: lo,
        seconds_at_line_rate: if line_pps > 0.0 {
            lo as f64 / line_pps
        } else {
            0.0
        },
        reps: if lo > 0 { o.b2b_reps } else { 0 },
        reps_with_loss,
    }
}

pub fn print(res: &[Result]) {
    println!(
        "{:>7} {:>12} {:>12} {:>7} {:>12} {:>7} {:>10}",
        "size", "line pps", "NDR pps", "NDR %", "PDR pps", "PDR %", "b2b frames"
    );
    for r in res {
        let f = |x: &Option<Found>| {
            x.as_ref()
                .map_or((0.0, 0.0), |f| (f.pps, f.percent_of_line))
        };
        let (n, np) = f(&r.ndr);
        let (p, pp) = f(&r.pdr);
        println!(
            "{:>7.1} {:>12.0} {:>12.0} {:>7.2} {:>12.0} {:>7.2} {:>10}",
            r.frame_size,
            r.line_rate_pps,
            n,
            np,
            p,
            pp,
            r.back_to_back
                .as_ref()
                .map_or("-".to_string(), |b| b.frames.to_string())
        );
        if r.generator_limited {
            println!("        note: some trials failed because the generator could not send the offered rate; the rates may be the generator's limit");
        }
        for l in &r.latency {
            println!(
                "        latency at {:>3.0}% of the found rate ({:.0} pps): min {} avg {:.0} p50 {} p99 {} p99.9 {} max {} ns",
                l.fraction * 100.0,
                l.pps,
                l.latency.min_ns,
                l.latency.avg_ns,
                l.latency.p50_ns,
                l.latency.p99_ns,
                l.latency.p999_ns,
                l.latency.max_ns
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device under test that forwards at most `cap` pps and queues
    /// `buffer` frames of a burst.
    struct Bottleneck {
        cap: f64,
        buffer: u64,
    }

    impl Runner for Bottleneck {
        fn trial(
            &mut self,
            pps: Option<f64>,
            d: Option<Duration>,
            count: Option<u64>,
        ) -> RunSummary {
            let (tx, rx) = match pps {
                Some(p) => {
                    let tx = (p * d.unwrap().as_secs_f64()) as u64;
                    (tx, ((p.min(self.cap)) * d.unwrap().as_secs_f64()) as u64)
                }
                None => {
                    let n = count.unwrap();
                    (n, n.min(self.buffer))
                }
            };
            RunSummary {
                streams: vec![],
                tx_packets: tx,
                rx_packets: rx,
                lost: tx - rx,
                loss_pct: crate::report::pct(tx - rx, tx),
                tx_seconds: 1.0,
                tx_pps: tx as f64,
                tx_gbps: 0.0,
                rx_foreign: 0,
                alloc_failures: 0,
                tx_unsent: 0,
                latency: Latency::default(),
            }
        }
        fn log(&mut self, _: String) {}
    }

    #[test]
    fn finds_the_bottleneck() {
        let o = Options {
            trial: Duration::from_secs(1),
            pdr_loss_pct: 0.5,
            resolution_pps: 100.0,
            max_pps: 1_000_000.0,
            b2b_max_frames: 10_000,
            b2b_reps: 2,
            retries: 1,
            latency_at: vec![0.1, 0.5, 0.9],
        };
        let r = run(
            &mut Bottleneck {
                cap: 123_456.0,
                buffer: 777,
            },
            &o,
            64.0,
            1_488_095.0,
        );
        let ndr = r.ndr.unwrap().pps;
        assert!(ndr <= 123_456.0 && ndr > 123_456.0 - 100.0, "{ndr}");
        let pdr = r.pdr.unwrap().pps;
        assert!(pdr > ndr && pdr <= 123_456.0 / 0.995 + 1.0, "{pdr}");
        let b = r.back_to_back.unwrap();
        assert!(b.frames <= 777 && b.frames >= 777 - 100, "{}", b.frames);
        assert_eq!(r.latency.len(), 3);
    }
}
