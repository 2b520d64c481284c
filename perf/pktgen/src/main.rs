//! ferro-pktgen: a DPDK traffic generator. Streams from a TOML file or the
//! command line, one worker core that transmits and receives, loss and
//! latency per stream, and RFC 2544 throughput / back-to-back / latency.
#![deny(unsafe_code)]

mod cli;
mod engine;
mod field;
mod packet;
mod plot;
mod ports;
mod report;
mod rfc2544;
mod rxstats;
mod spec;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fastpath::dpdk::{tsc_hz, Eal};
use nix::sys::signal::{SigSet, Signal};

use clap::Parser;
use cli::{load_streams, Cli, Common, Mode, Rfc2544Args, RunArgs};
use engine::{Io, Live, Prepared, TrialPlan};
use ports::{line_bps, open_dpdk, Dpdk};
use spec::{line_rate_pps, Stream};

/// Set once SIGINT or SIGTERM arrived: the run stops and reports.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Blocks SIGINT and SIGTERM in every thread (EAL's included: this runs
/// first) and lets one thread wait for them, so that Ctrl-C ends the run
/// with its summary (and a pcap file flushed) instead of killing it.
fn catch_signals() -> Result<()> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block().context("blocking SIGINT/SIGTERM")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            while let Ok(sig) = set.wait() {
                if INTERRUPTED.swap(true, Ordering::SeqCst) {
                    // A second signal: give up at once.
                    std::process::exit(128 + sig as i32);
                }
            }
        })?;
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = catch_signals() {
        eprintln!("ferro-pktgen: {e:#}");
        std::process::exit(1);
    }
    if let Err(e) = run(cli) {
        eprintln!("ferro-pktgen: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.mode {
        Mode::Run(a) => run_mode(a),
        Mode::Rfc2544(a) => rfc2544_mode(a),
    }
}

/// Runs `work` on the worker core while the main thread shows progress.
fn on_worker<T: Send + 'static>(
    c: &Common,
    eal: &Eal,
    live: &Arc<Live>,
    work: impl FnOnce(u64) -> T + Send + 'static,
) -> Result<T> {
    let core = c.core;
    let eal = eal.clone();
    let handle = std::thread::Builder::new()
        .name("pktgen-worker".into())
        .spawn(move || -> Result<T> {
            if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
                bail!("cannot pin the worker to core {core}");
            }
            let _lcore = eal.register_thread()?;
            Ok(work(tsc_hz()))
        })?;
    let progress = std::io::stdout().is_terminal() && !c.json;
    let start = Instant::now();
    let (mut last_tx, mut last_rx, mut last_bytes) = (0u64, 0u64, 0u64);
    let mut next = start + Duration::from_secs(1);
    while !handle.is_finished() {
        std::thread::sleep(Duration::from_millis(50));
        if INTERRUPTED.load(Ordering::Relaxed) {
            live.stop.store(true, Ordering::Relaxed);
        }
        if progress && Instant::now() >= next {
            next += Duration::from_secs(1);
            let tx = live.tx_packets.load(Ordering::Relaxed);
            let rx = live.rx_packets.load(Ordering::Relaxed);
            let bytes = live.tx_bytes.load(Ordering::Relaxed);
            // Counters restart with each trial: show 0 rather than negative.
            print!(
                "\r\x1b[K[{:>4} s] tx {:>9} pps  rx {:>9} pps  {:.3} Gbit/s",
                start.elapsed().as_secs(),
                report::si(tx.saturating_sub(last_tx) as f64),
                report::si(rx.saturating_sub(last_rx) as f64),
                // On the wire: + 20 bytes of preamble and gap per frame.
                (bytes.saturating_sub(last_bytes) + 20 * tx.saturating_sub(last_tx)) as f64 * 8.0
                    / 1e9
            );
            let _ = std::io::Write::flush(&mut std::io::stdout());
            (last_tx, last_rx, last_bytes) = (tx, rx, bytes);
        }
    }
    if progress {
        print!("\r\x1b[K");
    }
    handle
        .join()
        .map_err(|_| anyhow!("the worker thread panicked"))?
}

fn max_frame(streams: &[Stream], extra: &[usize]) -> usize {
    streams
        .iter()
        .flat_map(|s| s.sizes.iter().copied())
        .chain(extra.iter().copied())
        .max()
        .unwrap_or(64)
}

fn run_mode(a: RunArgs) -> Result<()> {
    let c = &a.common;
    let streams = load_streams(c)?;
    if let Some(d) = a.duration {
        if !(d > 0.0 && d.is_finite()) {
            bail!("--duration {d}: must be a positive number of seconds");
        }
    }
    let dpdk = open_dpdk(c, max_frame(&streams, &[]))?;
    let bps = line_bps(c, &dpdk.tx_port);
    let pps: Vec<Option<f64>> = streams.iter().map(|s| s.pps(bps)).collect();
    if streams
        .iter()
        .any(|s| matches!(s.rate, spec::Rate::Percent(_)))
        && bps <= 0.0
    {
        bail!(
            "a rate in percent needs a line rate: port {} reports no link speed; give --line-rate-gbps",
            c.port
        );
    }
    let duration = match a.duration {
        Some(d) => Some(Duration::from_secs_f64(d)),
        None if streams.iter().all(|s| s.count.is_some()) => None,
        None => Some(Duration::from_secs(10)),
    };
    let plan = TrialPlan {
        pps: pps.clone(),
        count: streams.iter().map(|s| s.count).collect(),
        duration,
        drain: Duration::from_millis(c.drain_ms),
        catch_up: Duration::from_micros(c.catch_up_us),
    };
    let prepared: Vec<Prepared> = streams.iter().map(Prepared::new).collect();
    let live = Arc::new(Live::default());
    let Dpdk {
        eal,
        mut io,
        tx_port,
        rx_port,
    } = dpdk;
    let l = live.clone();
    let (result, prepared, io) = on_worker(c, &eal, &live, move |hz| {
        let r = engine::run_trial(&mut io, &prepared, &plan, &l, hz);
        (r, prepared, io)
    })?;
    let hz = tsc_hz();
    let summary = report::summarize(&result, &prepared, &pps, hz, !c.no_rx);
    if let Some(dir) = &c.plot_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut all = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
        for s in &result.streams {
            all.add(&s.rx.latency_ns)?;
        }
        plot::latency_histogram(&all, "latency", &dir.join("latency_histogram.svg"))?;
    }
    if c.json {
        let j = serde_json::json!({
            "mode": "run",
            "interrupted": INTERRUPTED.load(Ordering::Relaxed),
            "port": c.port,
            "rx_port": c.rx_port.as_deref().unwrap_or(&c.port),
            "line_rate_gbps": bps / 1e9,
            "tsc_hz": hz,
            "summary": summary,
            "tx_port_stats": tx_port.stats().ok(),
            "rx_port_stats": rx_port.as_ref().and_then(|p| p.stats().ok()),
        });
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        report::print_run(&summary);
        if INTERRUPTED.load(Ordering::Relaxed) {
            println!("interrupted: the run was cut short");
        }
    }
    drop(io);
    Ok(())
}

/// Trials for the RFC 2544 search, run on the worker.
struct TrialRunner<'a> {
    io: &'a mut Io,
    streams: &'a [Prepared],
    live: &'a Live,
    drain: Duration,
    catch_up: Duration,
    hz: u64,
    log: bool,
}

impl rfc2544::Runner for TrialRunner<'_> {
    fn trial(
        &mut self,
        pps: Option<f64>,
        duration: Option<Duration>,
        count: Option<u64>,
    ) -> report::RunSummary {
        // The rate and count are shared evenly by the streams.
        let n = self.streams.len();
        let per = |x: u64, i: usize| x / n as u64 + u64::from((i as u64) < x % n as u64);
        let plan = TrialPlan {
            pps: vec![pps.map(|p| p / n as f64); n],
            count: (0..n).map(|i| count.map(|c| per(c, i))).collect(),
            duration,
            drain: self.drain,
            catch_up: self.catch_up,
        };
        let r = engine::run_trial(self.io, self.streams, &plan, self.live, self.hz);
        report::summarize(&r, self.streams, &plan.pps, self.hz, true)
    }

    fn log(&mut self, line: String) {
        if self.log {
            eprintln!("{line}");
        }
    }
}

fn rfc2544_mode(a: Rfc2544Args) -> Result<()> {
    let c = &a.common;
    let base = load_streams(c)?;
    if c.no_rx {
        bail!("rfc2544 needs the packets back: drop --no-rx");
    }
    if !(a.trial > 0.0 && a.trial.is_finite()) {
        bail!("--trial {}: must be a positive number of seconds", a.trial);
    }
    // One run per frame size: the streams with that size, or as given.
    let runs: Vec<Vec<Stream>> = if a.sizes.is_empty() {
        vec![base.clone()]
    } else {
        a.sizes
            .iter()
            .map(|&size| {
                base.iter()
                    .map(|s| {
                        let min = s.headers.min_frame_size();
                        if size < min || size > spec::MAX_FRAME {
                            bail!(
                                "--sizes {size}: stream {:?} needs {min}..={}",
                                s.name,
                                spec::MAX_FRAME
                            );
                        }
                        Ok(Stream {
                            sizes: vec![size],
                            ..s.clone()
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?
    };
    let dpdk = open_dpdk(c, max_frame(&base, &a.sizes))?;
    let bps = line_bps(c, &dpdk.tx_port);
    if bps <= 0.0 && a.max_pps.is_none() {
        bail!(
            "port {} reports no link speed: give --line-rate-gbps or --max-pps",
            c.port
        );
    }
    let Dpdk { eal, mut io, .. } = dpdk;
    let live = Arc::new(Live::default());
    let l = live.clone();
    let log = c.verbose || std::io::stderr().is_terminal();
    let drain = Duration::from_millis(c.drain_ms);
    let catch_up = Duration::from_micros(c.catch_up_us);
    let (trial, pdr_loss, resolution, max_pps) = (a.trial, a.pdr_loss, a.resolution, a.max_pps);
    let (b2b_max, b2b_reps, no_latency) = (a.b2b_max, a.b2b_reps, a.no_latency);
    let retries = a.retries;
    let results = on_worker(c, &eal, &live, move |hz| {
        let mut out = Vec::new();
        for streams in &runs {
            let prepared: Vec<Prepared> = streams.iter().map(Prepared::new).collect();
            let mean =
                prepared.iter().map(|p| p.mean_frame_size).sum::<f64>() / prepared.len() as f64;
            let line_pps = line_rate_pps(bps, mean);
            let max = max_pps.unwrap_or(line_pps);
            let o = rfc2544::Options {
                trial: Duration::from_secs_f64(trial),
                pdr_loss_pct: pdr_loss,
                resolution_pps: max * resolution / 100.0,
                max_pps: max,
                b2b_max_frames: b2b_max,
                b2b_reps,
                retries,
                latency_at: if no_latency {
                    vec![]
                } else {
                    vec![0.1, 0.5, 0.9]
                },
            };
            let mut runner = TrialRunner {
                io: &mut io,
                streams: &prepared,
                live: &l,
                drain,
                catch_up,
                hz,
                log,
            };
            out.push(rfc2544::run(&mut runner, &o, mean, line_pps));
        }
        drop(io);
        out
    })?;
    if let Some(dir) = &c.plot_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        plot::rate_vs_size(&results, &dir.join("rate_vs_frame_size.svg"))?;
    }
    if c.json {
        let j = serde_json::json!({
            "mode": "rfc2544",
            "interrupted": INTERRUPTED.load(Ordering::Relaxed),
            "port": c.port,
            "rx_port": c.rx_port.as_deref().unwrap_or(&c.port),
            "line_rate_gbps": bps / 1e9,
            "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        rfc2544::print(&results);
        if INTERRUPTED.load(Ordering::Relaxed) {
            println!(
                "interrupted: trials after the signal sent nothing; these results are incomplete"
            );
        }
    }
    Ok(())
}
