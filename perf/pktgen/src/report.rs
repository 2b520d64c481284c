//! Results for people (a table) and for scripts (JSON).
use serde::Serialize;

use crate::engine::{Prepared, TrialResult};

#[derive(Debug, Clone, Serialize, Default)]
pub struct Latency {
    pub samples: u64,
    pub min_ns: u64,
    pub avg_ns: f64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

impl Latency {
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            samples: h.len(),
            min_ns: h.min(),
            avg_ns: h.mean(),
            p50_ns: h.value_at_quantile(0.5),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamSummary {
    pub name: String,
    pub mean_frame_size: f64,
    /// The rate asked for (None: as fast as possible).
    pub asked_pps: Option<f64>,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Transmit rate over the trial's transmit time.
    pub tx_pps: f64,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// Receive rate between the first and last packet received.
    pub rx_pps: f64,
    pub lost: u64,
    pub loss_pct: f64,
    pub out_of_order: u64,
    pub duplicated: u64,
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub streams: Vec<StreamSummary>,
    pub tx_packets: u64,
    pub rx_packets: u64,
    pub lost: u64,
    pub loss_pct: f64,
    pub tx_seconds: f64,
    pub tx_pps: f64,
    pub tx_gbps: f64,
    pub rx_foreign: u64,
    pub alloc_failures: u64,
    pub tx_unsent: u64,
    pub latency: Latency,
}

pub fn summarize(
    r: &TrialResult,
    streams: &[Prepared],
    asked: &[Option<f64>],
    hz: u64,
    rx_enabled: bool,
) -> RunSummary {
    let secs = r.tx_ticks as f64 / hz as f64;
    let rate = |n: u64, s: f64| if s > 0.0 { n as f64 / s } else { 0.0 };
    let mut all = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
        .expect("constant bounds");
    let out: Vec<StreamSummary> = r
        .streams
        .iter()
        .zip(streams)
        .zip(asked)
        .map(|((s, p), &asked_pps)| {
            let _ = all.add(&s.rx.latency_ns);
            let unique = s.rx.unique();
            // Without a receive side nothing counts as lost.
            let lost = if rx_enabled {
                s.tx_packets.saturating_sub(unique)
            } else {
                0
            };
            let rx_secs = s.rx_last_tsc.saturating_sub(s.rx_first_tsc) as f64 / hz as f64;
            StreamSummary {
                name: p.name.clone(),
                mean_frame_size: p.mean_frame_size,
                asked_pps,
                tx_packets: s.tx_packets,
                tx_bytes: s.tx_bytes,
                tx_pps: rate(s.tx_packets, secs),
                rx_packets: s.rx.received,
                rx_bytes: s.rx.bytes,
                // n packets span n-1 intervals.
                rx_pps: rate(s.rx.received.saturating_sub(1), rx_secs),
                lost,
                loss_pct: pct(lost, s.tx_packets),
                out_of_order: s.rx.out_of_order,
                duplicated: s.rx.duplicated,
                latency: Latency::of(&s.rx.latency_ns),
            }
        })
        .collect();
    let tx: u64 = out.iter().map(|s| s.tx_packets).sum();
    let bytes: u64 = out.iter().map(|s| s.tx_bytes).sum();
    let lost: u64 = out.iter().map(|s| s.lost).sum();
    RunSummary {
        tx_packets: tx,
        rx_packets: out.iter().map(|s| s.rx_packets).sum(),
        lost,
        loss_pct: pct(lost, tx),
        tx_seconds: secs,
        tx_pps: rate(tx, secs),
        // On the wire: + preamble, delimiter and gap (20 bytes a frame).
        tx_gbps: rate((bytes + 20 * tx) * 8, secs) / 1e9,
        rx_foreign: r.rx_foreign,
        alloc_failures: r.alloc_failures,
        tx_unsent: r.tx_unsent,
        latency: Latency::of(&all),
        streams: out,
    }
}

pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Human-readable count: 1234567 -> "1.23M".
pub fn si(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.2}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Nanoseconds as µs with two decimals.
pub fn us(ns: f64) -> String {
    format!("{:.2}", ns / 1000.0)
}

pub fn print_run(s: &RunSummary) {
    println!(
        "{:<12} {:>10} {:>9} {:>10} {:>9} {:>8} {:>7} {:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "stream", "tx", "tx pps", "rx", "rx pps", "lost", "loss%", "ooo", "dup",
        "min µs", "avg µs", "p50 µs", "p99 µs", "p99.9 µs", "max µs"
    );
    for st in &s.streams {
        let l = &st.latency;
        println!(
            "{:<12} {:>10} {:>9} {:>10} {:>9} {:>8} {:>7.3} {:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            st.name,
            st.tx_packets,
            si(st.tx_pps),
            st.rx_packets,
            si(st.rx_pps),
            st.lost,
            st.loss_pct,
            st.out_of_order,
            st.duplicated,
            us(l.min_ns as f64),
            us(l.avg_ns),
            us(l.p50_ns as f64),
            us(l.p99_ns as f64),
            us(l.p999_ns as f64),
            us(l.max_ns as f64),
        );
    }
    println!(
        "total: tx {} pkts in {:.3} s = {} pps, {:.3} Gbit/s on the wire; rx {} pkts; lost {} ({:.3}%)",
        s.tx_packets,
        s.tx_seconds,
        si(s.tx_pps),
        s.tx_gbps,
        s.rx_packets,
        s.lost,
        s.loss_pct
    );
    if s.rx_foreign + s.alloc_failures + s.tx_unsent > 0 {
        println!(
            "note: {} foreign packets received, {} burst allocations failed, {} packets never taken by the driver",
            s.rx_foreign, s.alloc_failures, s.tx_unsent
        );
    }
}
