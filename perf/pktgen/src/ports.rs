//! The generator's DPDK side: EAL, the mbuf pool, the ports and queues.
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fastpath::dpdk::{Eal, Mempool, Port, PortSetup};

use crate::cli::Common;
use crate::engine::Io;

/// The generator's DPDK side: EAL, pool and queues.
pub struct Dpdk {
    pub eal: Eal,
    pub io: Io,
    pub tx_port: Port,
    pub rx_port: Option<Port>,
}

pub fn open_dpdk(c: &Common, max_frame: usize) -> Result<Dpdk> {
    let prefix = c
        .file_prefix
        .clone()
        .unwrap_or_else(|| format!("ferro-pktgen-{}", std::process::id()));
    let mut args = vec![
        "-l".to_string(),
        c.main_core.to_string(),
        "--main-lcore".into(),
        c.main_core.to_string(),
        format!("--file-prefix={prefix}"),
    ];
    if !c.eal.iter().any(|a| a == "--no-huge") {
        args.push("--in-memory".into());
    }
    args.extend(c.eal.iter().cloned());
    let eal = Eal::init(&args).context("starting DPDK")?;
    let room = (max_frame.max(2048) + 128) as u16;
    let pool = Mempool::create(&eal, "pktgen", c.mbufs, 256, room, -1)?;
    let setup = |rx_queues: u16| PortSetup {
        rx_queues,
        tx_queues: 1,
        rx_desc: 1024,
        tx_desc: 1024,
        // The generator counts what the driver refuses; no retries.
        tx_retries: 0,
        rx_rest_ns: 0,
    };
    // The port where stamped packets come back gets --rx-queues queues.
    let open = |devargs: &str, flag: &str, rx_queues: u16| {
        Port::open(&eal, devargs, &setup(rx_queues), &pool)
            .with_context(|| format!("{flag} {devargs}"))
    };
    // A vhost-user server must exist before a virtio_user port of this
    // process connects to it: when the rx port is one, it goes first.
    let rx_devargs = c.rx_port.as_deref().filter(|d| !c.no_rx && *d != c.port);
    let rx_first = rx_devargs.filter(|d| listens(d) && !listens(&c.port));
    let early_rx = rx_first
        .map(|d| open(d, "--rx-port", c.rx_queues))
        .transpose()?;
    let own_queues = if rx_devargs.is_none() && !c.no_rx {
        c.rx_queues
    } else {
        1
    };
    let (tx_port, own_rxqs, mut txqs) = open(&c.port, "--port", own_queues)?;
    let txq = txqs
        .pop()
        .ok_or_else(|| anyhow!("port {} has no tx queue", c.port))?;
    let rx_opened = match (early_rx, rx_devargs) {
        (Some(p), _) => Some(p),
        (None, Some(d)) => Some(open(d, "--rx-port", c.rx_queues)?),
        (None, None) => None,
    };
    let mut own_rxqs = own_rxqs.into_iter();
    let (rxqs, tx_port_rxq, rx_port) = match rx_opened {
        _ if c.no_rx => (Vec::new(), own_rxqs.next(), None),
        Some((p, rq, _)) => (rq, own_rxqs.next(), Some(p)),
        None => (own_rxqs.collect(), None, None),
    };
    wait_link(&tx_port, c.link_wait_s)?;
    if let Some(p) = &rx_port {
        wait_link(p, c.link_wait_s)?;
    }
    Ok(Dpdk {
        eal,
        io: Io {
            pool,
            txq,
            rxqs,
            tx_port_rxq,
        },
        tx_port,
        rx_port,
    })
}

/// Whether opening the port creates a vhost-user server socket.
fn listens(devargs: &str) -> bool {
    devargs.starts_with("net_vhost") && !devargs.contains("client=1")
}

/// Waits for the link (e.g. a memif or vhost peer connecting).
fn wait_link(port: &Port, secs: f64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while !port.link().up {
        if Instant::now() >= deadline {
            bail!(
                "port {} is still down after {secs} s (is its peer running? see --link-wait-s)",
                port.device_name()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Bits per second of the line: the option, else the link speed.
pub fn line_bps(c: &Common, port: &Port) -> f64 {
    match c.line_rate_gbps {
        Some(g) => g * 1e9,
        None => f64::from(port.link().speed_mbps) * 1e6,
    }
}
