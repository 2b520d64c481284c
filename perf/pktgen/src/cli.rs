//! The command line: modes, ports and EAL, and one stream's options.
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::spec::{self, SizeDef, Stream, StreamDef, VxlanDef};

#[derive(Parser)]
#[command(name = "ferro-pktgen", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Subcommand)]
pub enum Mode {
    /// Send the streams (for --duration or their counts) and report loss,
    /// reordering and latency per stream.
    Run(RunArgs),
    /// RFC 2544: throughput (NDR/PDR binary search), back-to-back bursts
    /// and latency at 10/50/90% of the found rate.
    Rfc2544(Rfc2544Args),
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: Common,
    /// Seconds to send (streams with a count stop earlier). Default: 10 s
    /// unless every stream has a count.
    #[arg(long)]
    pub duration: Option<f64>,
}

#[derive(Args)]
pub struct Rfc2544Args {
    #[command(flatten)]
    pub common: Common,
    /// Trial duration T in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub trial: f64,
    /// Loss accepted for the PDR, in percent.
    #[arg(long, default_value_t = 0.5)]
    pub pdr_loss: f64,
    /// Search resolution in percent of the highest rate.
    #[arg(long, default_value_t = 0.5)]
    pub resolution: f64,
    /// Highest rate tried (pps); default: the line rate.
    #[arg(long)]
    pub max_pps: Option<f64>,
    /// Frame sizes to test one after the other, e.g. 64,128,256,512,1024,1280,1518
    /// (default: the streams' own sizes).
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<usize>,
    /// Longest back-to-back burst tried; 0 skips the test.
    #[arg(long, default_value_t = 100_000)]
    pub b2b_max: u64,
    /// Repetitions of the longest loss-free burst.
    #[arg(long, default_value_t = 5)]
    pub b2b_reps: u32,
    /// Runs a failed throughput trial again up to this many times before it
    /// counts (0: strict RFC 2544; more filters out interference).
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Skip the latency test at 10/50/90% of the found rate.
    #[arg(long)]
    pub no_latency: bool,
}

#[derive(Args)]
pub struct Common {
    /// Transmit port: DPDK devargs (a PCI address or a vdev such as
    /// net_ring0, net_pcap0,tx_pcap=FILE, net_memif0,..., net_virtio_user0,...).
    #[arg(long)]
    pub port: String,
    /// Receive port, if not the transmit port.
    #[arg(long)]
    pub rx_port: Option<String>,
    /// Receive queues of the port where packets come back, all polled (a
    /// switch with several tx queues, such as OVS-DPDK with a memif port,
    /// sends on queue 1 and up; a memif client must offer those rings).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub rx_queues: u16,
    /// Transmit only (e.g. into a pcap file).
    #[arg(long)]
    pub no_rx: bool,
    /// Core of the worker that transmits and receives.
    #[arg(long, default_value_t = 1)]
    pub core: usize,
    /// Core of the main thread (EAL main lcore, progress output).
    #[arg(long, default_value_t = 0)]
    pub main_core: usize,
    /// DPDK --file-prefix (unique per running DPDK process).
    #[arg(long)]
    pub file_prefix: Option<String>,
    /// Extra EAL argument (repeatable), e.g. --eal=--no-huge.
    #[arg(long = "eal", allow_hyphen_values = true)]
    pub eal: Vec<String>,
    /// Line rate in Gbit/s for --rate-percent and RFC 2544 (default: the
    /// port's link speed; vdevs often report none or a nominal one).
    #[arg(long)]
    pub line_rate_gbps: Option<f64>,
    /// Seconds to wait for the ports' links to come up.
    #[arg(long, default_value_t = 10.0)]
    pub link_wait_s: f64,
    /// Milliseconds to keep receiving after the last transmit.
    #[arg(long, default_value_t = 100)]
    pub drain_ms: u64,
    /// Microseconds a rate-limited stream may fall behind its schedule
    /// (worker preempted, port busy) and then catch up at full speed; the
    /// average rate holds, at the price of a burst.
    #[arg(long, default_value_t = 50_000)]
    pub catch_up_us: u64,
    /// mbufs in the pool.
    #[arg(long, default_value_t = 8191)]
    pub mbufs: u32,
    /// Print the results as JSON (and nothing else on stdout).
    #[arg(long)]
    pub json: bool,
    /// Write SVG plots into this directory.
    #[arg(long)]
    pub plot_dir: Option<PathBuf>,
    /// Print each trial of a search on stderr even when it is not a TTY.
    #[arg(long)]
    pub verbose: bool,
    /// Stream file (TOML, [[stream]] tables); replaces the stream options.
    #[arg(long)]
    pub streams: Option<PathBuf>,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// One stream from the command line (see the stream file for more).
#[derive(Args)]
pub struct StreamArgs {
    /// Frame size with FCS (64..9000), or imix, or imix:7x64,4x576,1x1518.
    #[arg(long)]
    pub size: Option<String>,
    /// Packets per second.
    #[arg(long)]
    pub rate_pps: Option<f64>,
    /// Percent of the line rate.
    #[arg(long)]
    pub rate_percent: Option<f64>,
    /// Packets to send.
    #[arg(long)]
    pub count: Option<u64>,
    /// MAC: A, A-B (incrementing) or random:A-B; likewise for IPs and ports.
    #[arg(long)]
    pub src_mac: Option<String>,
    #[arg(long)]
    pub dst_mac: Option<String>,
    #[arg(long)]
    pub src_ip: Option<String>,
    #[arg(long)]
    pub dst_ip: Option<String>,
    #[arg(long)]
    pub src_port: Option<String>,
    #[arg(long)]
    pub dst_port: Option<String>,
    #[arg(long)]
    pub vlan: Option<u16>,
    #[arg(long)]
    pub vlan_pcp: Option<u8>,
    /// Adds a VXLAN outer header with this VNI.
    #[arg(long)]
    pub vxlan_vni: Option<u32>,
    #[arg(long)]
    pub vxlan_src_ip: Option<String>,
    #[arg(long)]
    pub vxlan_dst_ip: Option<String>,
}

impl StreamArgs {
    pub fn to_def(&self) -> StreamDef {
        StreamDef {
            name: Some("s0".into()),
            size: self.size.clone().map(SizeDef::Text),
            rate_pps: self.rate_pps,
            rate_percent: self.rate_percent,
            count: self.count,
            src_mac: self.src_mac.clone(),
            dst_mac: self.dst_mac.clone(),
            src_ip: self.src_ip.clone(),
            dst_ip: self.dst_ip.clone(),
            src_port: self.src_port.clone(),
            dst_port: self.dst_port.clone(),
            vlan: self.vlan,
            vlan_pcp: self.vlan_pcp,
            vxlan: self.vxlan_vni.map(|vni| VxlanDef {
                vni,
                src_ip: self.vxlan_src_ip.clone(),
                dst_ip: self.vxlan_dst_ip.clone(),
                ..VxlanDef::default()
            }),
        }
    }
}

pub fn load_streams(c: &Common) -> Result<Vec<Stream>> {
    match &c.streams {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading stream file {}", path.display()))?;
            spec::parse_file(&text, &path.display().to_string()).map_err(|e| anyhow!(e))
        }
        None => Ok(vec![c.stream.to_def().check(0).map_err(|e| anyhow!(e))?]),
    }
}
