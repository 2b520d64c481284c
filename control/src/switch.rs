//! The running switch built from the configuration: EAL, mempool, ports,
//! bridges (OpenFlow pipelines) and PMD threads, and the management view
//! of them (`report`: what ferroctl shows; `requests`: the management
//! requests; `ports`, `reload`: ports at run time).
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use fastpath::datapath::{self, CreditSync, Datapath, DpBridge, DpPort, SharedDatapath};
use fastpath::dpdk::{Eal, Mempool, Port, PortSetup};
use fastpath::pmd::Pmd;
use fastpath::punt::Punt;
use fastpath::stats::{PmdStats, PmdStatsSnapshot, PortCounterSet};
use fastpath::upcall::Translator;
use fsconfig::{Config, Output, PortConfig};

use crate::bridge::Bridge;
use crate::error::{Error, Result};
use crate::mgmt::proto;
use crate::pipeline::{BridgePorts, PortInfo};

mod ports;
mod reload;
mod report;
mod requests;
mod vhost_tx;

pub use reload::ConfigSource;

/// One port of the switch, at its dense index.
#[derive(Clone)]
struct SwitchPort {
    bridge: String,
    cfg: PortConfig,
    port: Port,
    /// Dense datapath index (`DpAction::Output`), kept as long as the port
    /// exists; deleted ports leave holes.
    index: u16,
    /// Traffic counters, a set per PMD; they live as long as the port.
    counters: Arc<PortCounterSet>,
    /// vhost-user ports: the tx queues the guest enabled and the PMDs'
    /// inboxes for one another's packets.
    vhost_tx: Option<Arc<vhost_tx::VhostTx>>,
}

/// What the control side needs to answer queries; shared with the
/// management server.
pub struct SwitchView {
    cfg: Config,
    hugepages: bool,
    dpdk_version: String,
    /// By dense datapath index; replaced whole when ports come and go.
    ports: ArcSwap<Vec<SwitchPort>>,
    bridges: Vec<Bridge>,
    pmds: ArcSwap<Vec<PmdView>>,
    /// Counters at the last `pmd-stats --clear`.
    pmd_base: Mutex<Vec<PmdStatsSnapshot>>,
    punt: Arc<Punt>,
    /// Asks the PMDs to credit megaflow hits (see [`SwitchView::sync_credits`]).
    credit_sync: Arc<CreditSync>,
    pool: Mempool,
    /// The tunnel underlay, when configured.
    underlay: Option<Arc<crate::underlay::Underlay>>,
    /// The PMD threads and what they read; locked by port changes and
    /// shutdown, never by the PMDs.
    runtime: Mutex<Runtime>,
    /// The configuration file, for `ferroctl reload`.
    config_source: Mutex<Option<ConfigSource>>,
}

struct Runtime {
    eal: Eal,
    datapath: SharedDatapath,
    threads: Vec<Pmd>,
}

/// A port as management and OpenFlow see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortView {
    pub name: String,
    pub ofport: u32,
    /// Dense datapath index.
    pub index: u16,
    pub mac: [u8; 6],
    pub link: fastpath::dpdk::Link,
    pub stats: proto::PortStats,
}

struct PmdView {
    stats: Arc<PmdStats>,
    mailbox: Arc<fastpath::pmd::mailbox::Mailbox>,
    /// (dense port index, queue).
    rxqs: Vec<(u16, u16)>,
}

/// The running switch. Dropping it (or `shutdown`) stops the PMDs first,
/// then closes ports, frees the mempool and cleans up EAL.
pub struct Switch {
    view: Arc<SwitchView>,
    eal: Eal,
}

impl Switch {
    pub fn start(cfg: Config, eal: Eal) -> Result<Switch> {
        let m = &cfg.mempool;
        let pool = Mempool::create(&eal, "fs_mbufs", m.mbufs, m.cache_size, m.data_room, -1)?;
        let n_pmds = cfg.switch.pmd_cores.len();
        let all_ports: Vec<(String, PortConfig)> = cfg
            .bridges
            .iter()
            .flat_map(|b| b.ports.iter().map(move |p| (b.name.clone(), p.clone())))
            .collect();

        let mut ports = Vec::with_capacity(all_ports.len());
        for (i, (bridge, pc)) in all_ports.into_iter().enumerate() {
            let mut p = open_switch_port(&eal, &pool, bridge, pc, n_pmds)?;
            p.index = i as u16;
            ports.push(p);
        }

        let bridges = bridges_of(&cfg, &ports);
        let underlay = underlay_of(&cfg, &ports, &bridges);
        for (bc, b) in cfg.bridges.iter().zip(&bridges) {
            initial_flows(bc, b)?;
        }
        let punt = Arc::new(Punt::default());
        let credit_sync = Arc::new(CreditSync::default());
        let mut dp_now = datapath_of(&cfg, &ports, &bridges, &punt, &credit_sync);
        dp_now.tunnel = underlay.as_ref().map(|u| Arc::new(u.datapath()));
        let dp = datapath::shared(dp_now);
        let view = Arc::new(SwitchView {
            hugepages: eal.has_hugepages(),
            dpdk_version: eal.version(),
            pmd_base: Mutex::new(Vec::new()),
            pmds: ArcSwap::from_pointee(Vec::new()),
            ports: ArcSwap::from_pointee(Vec::new()),
            bridges,
            cfg,
            punt,
            credit_sync,
            pool: pool.clone(),
            underlay,
            runtime: Mutex::new(Runtime {
                eal: eal.clone(),
                datapath: dp,
                threads: Vec::new(),
            }),
            config_source: Mutex::new(None),
        });
        view.reload(ports)?;
        Ok(Switch { view, eal })
    }

    pub fn view(&self) -> Arc<SwitchView> {
        self.view.clone()
    }

    pub fn eal(&self) -> &Eal {
        &self.eal
    }

    /// Stops the PMDs, then releases ports, mempool and EAL (in that
    /// order, as the handles' reference counts drop).
    pub fn shutdown(self) {
        self.view.stop_pmds();
        tracing::info!("PMD threads stopped");
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.view.stop_pmds();
    }
}

/// Opens `pc`'s DPDK port for bridge `bridge`.
fn open_switch_port(
    eal: &Eal,
    pool: &Mempool,
    bridge: String,
    pc: PortConfig,
    n_pmds: usize,
) -> Result<SwitchPort> {
    let port = open_port(eal, pool, &pc, n_pmds)?;
    tracing::info!(
        "port {} (ofport {}) is DPDK port {} ({}), {} rx queue(s)",
        pc.name,
        pc.ofport,
        port.id(),
        port.driver(),
        pc.rx_queues
    );
    let vhost_tx = pc
        .vhost
        .is_some()
        .then(|| Arc::new(vhost_tx::VhostTx::new(n_pmds, port.link_downs())));
    Ok(SwitchPort {
        bridge,
        cfg: pc,
        port,
        // Set when the port is put into service (`SwitchView::reload`).
        index: u16::MAX,
        counters: Arc::new(PortCounterSet::new(n_pmds)),
        vhost_tx,
    })
}

/// Tx retries of vhost ports while the guest keeps taking packets (OVS's
/// VHOST_ENQ_RETRY_NUM).
const VHOST_TX_RETRIES: u8 = 8;
/// A vhost-user rx queue that gave less than a full burst rests this long
/// (ns): polls that took one or two packets slowed the guest down (see
/// `docs/vhost.md`, rx pacing).
const VHOST_RX_REST_NS: u64 = 1_000;

/// Probes, configures and starts the DPDK port of `pc` with one tx queue
/// per PMD. A vhost-user server socket is made safe first (stale file
/// removed, anything else refused) and created with the configured mode.
fn open_port(eal: &Eal, pool: &Mempool, pc: &PortConfig, n_pmds: usize) -> Result<Port> {
    let n_pmds = u16::try_from(n_pmds).unwrap_or(u16::MAX);
    let setup = PortSetup {
        rx_queues: pc.rx_queues,
        tx_queues: n_pmds,
        rx_desc: pc.rx_desc,
        tx_desc: pc.tx_desc,
        tx_retries: if pc.vhost.is_some() {
            VHOST_TX_RETRIES
        } else {
            0
        },
        rx_rest_ns: if pc.vhost.is_some() {
            VHOST_RX_REST_NS
        } else {
            0
        },
    };
    let devargs = pc.effective_devargs(n_pmds);
    let port_err = |message: String| Error::Port {
        port: pc.name.clone(),
        source: fastpath::Error::Devargs {
            devargs: devargs.clone(),
            message,
        },
    };
    let server = pc
        .vhost
        .as_ref()
        .filter(|_| !pc.port_type.is_vhost_client());
    let opened = match server {
        Some(v) => {
            crate::vhost_socket::clear_stale(&v.path).map_err(port_err)?;
            let umask = crate::vhost_socket::UmaskGuard::restrict_to(v.socket_mode);
            let opened = Port::open(eal, &devargs, &setup, pool);
            drop(umask);
            if opened.is_ok() {
                crate::vhost_socket::set_mode(&v.path, v.socket_mode).map_err(port_err)?;
            }
            opened
        }
        None => Port::open(eal, &devargs, &setup, pool),
    };
    // The queue handles are claimed again when PMDs are (re)started.
    opened
        .map(|(port, _, _)| port)
        .map_err(|source| Error::Port {
            port: pc.name.clone(),
            source,
        })
}

/// A zero baseline with the PMD's identity, so a first read shows totals.
fn base_of(stats: &PmdStats) -> PmdStatsSnapshot {
    let s = stats.snapshot();
    PmdStatsSnapshot {
        core: s.core,
        lcore: s.lcore,
        ..Default::default()
    }
}

fn bridges_of(cfg: &Config, ports: &[SwitchPort]) -> Vec<Bridge> {
    cfg.bridges
        .iter()
        .map(|b| {
            let mine = || ports.iter().filter(|p| p.bridge == b.name);
            let infos = mine()
                .map(|p| PortInfo {
                    ofport: p.cfg.ofport,
                    index: p.index,
                    live: true,
                    no_flood: false,
                })
                .collect();
            let names = mine()
                .map(|p| (p.cfg.name.clone(), p.cfg.ofport))
                .chain(b.tunnels.iter().map(|t| (t.name.clone(), t.ofport)))
                .collect();
            let limits = crate::pipeline::PipelineConfig {
                max_entries_per_table: b.max_flows_per_table as usize,
                ..Default::default()
            };
            Bridge::with_config(&b.name, BridgePorts::new(infos), names, limits)
        })
        .collect()
}

/// Installs a bridge's configured meters, groups and flows; the ports'
/// `output` settings become priority-0 flows in table 0.
fn initial_flows(cfg: &fsconfig::BridgeConfig, bridge: &Bridge) -> Result<()> {
    let err = |what: &str, e: String| Error::Flows {
        bridge: cfg.name.clone(),
        message: format!("{what}: {e}"),
    };
    bridge
        .add_meters(&cfg.meters)
        .map_err(|e| err("meters", e))?;
    bridge
        .add_groups(&cfg.groups)
        .map_err(|e| err("groups", e))?;
    let mut flows: Vec<String> = cfg
        .ports
        .iter()
        .filter_map(|p| {
            let out = match &p.output {
                Output::Drop => return None,
                Output::InPort => "IN_PORT".to_string(),
                Output::Port(name) => cfg.port(name)?.ofport.to_string(),
            };
            Some(format!(
                "table=0,priority=0,in_port={},actions=output:{out}",
                p.ofport
            ))
        })
        .collect();
    flows.extend(cfg.flows.iter().cloned());
    bridge.add_flows(&flows).map_err(|e| err("flows", e))?;
    Ok(())
}

fn datapath_of(
    cfg: &Config,
    ports: &[SwitchPort],
    bridges: &[Bridge],
    punt: &Arc<Punt>,
    credit_sync: &Arc<CreditSync>,
) -> Datapath {
    let len = ports
        .iter()
        .map(|p| usize::from(p.index) + 1)
        .max()
        .unwrap_or(0);
    let mut dp_ports = vec![None; len];
    for p in ports {
        dp_ports[usize::from(p.index)] = Some(DpPort {
            ofport: p.cfg.ofport,
            bridge: cfg
                .bridges
                .iter()
                .position(|b| b.name == p.bridge)
                .unwrap_or(0) as u16,
        });
    }
    Datapath {
        ports: dp_ports,
        bridges: bridges
            .iter()
            .map(|b| DpBridge {
                translator: b.translator.clone() as Arc<dyn Translator>,
                meters: b.meters.clone(),
            })
            .collect(),
        punt: punt.clone(),
        tunnel: None,
        credit_sync: credit_sync.clone(),
    }
}

/// The underlay, and the tunnel ports given to its bridge's translator.
fn underlay_of(
    cfg: &Config,
    ports: &[SwitchPort],
    bridges: &[Bridge],
) -> Option<Arc<crate::underlay::Underlay>> {
    let u = cfg.underlay.as_ref()?;
    let idx = ports.iter().position(|p| p.cfg.name == u.port)?;
    let b = cfg
        .bridges
        .iter()
        .position(|b| b.name == ports[idx].bridge)?;
    let tunnels = &cfg.bridges[b].tunnels;
    let underlay = Arc::new(crate::underlay::Underlay::new(
        u,
        ports[idx].index,
        b as u16,
        ports[idx].port.mac(),
        tunnels,
    ));
    bridges[b]
        .translator
        .pipeline()
        .set_tunnel_ports(tunnels.iter().map(|t| t.ofport).collect());
    bridges[b]
        .translator
        .set_tunnels(Arc::new(crate::underlay::BridgeTunnels {
            underlay: underlay.clone(),
            ports: tunnels.clone(),
        }));
    tracing::info!(
        "underlay {}/{} on port {}, {} tunnel port(s)",
        u.ip,
        u.prefix_len,
        u.port,
        tunnels.len()
    );
    Some(underlay)
}

impl SwitchView {
    /// The bridges, in configuration order (their index is the datapath's
    /// bridge index).
    pub fn bridges(&self) -> &[Bridge] {
        &self.bridges
    }

    /// The bridge's OpenFlow datapath id.
    pub fn datapath_id(&self, bridge: usize) -> u64 {
        self.cfg.bridges.get(bridge).map_or(0, |b| b.datapath_id)
    }

    /// The `[tls]` keys for `ssl:` OpenFlow addresses.
    pub fn tls_config(&self) -> Option<&fsconfig::TlsConfig> {
        self.cfg.tls.as_ref()
    }

    /// The configured OpenFlow listen and controller addresses of a bridge.
    pub fn bridge_config(&self, bridge: usize) -> Option<&fsconfig::BridgeConfig> {
        self.cfg.bridges.get(bridge)
    }

    /// Sets the DPDK link of port `ofport` of `bridge` up or down
    /// (OpenFlow PORT_DOWN); an error when the port is unknown or the
    /// driver cannot.
    pub fn set_port_link(
        &self,
        bridge: usize,
        ofport: u32,
        up: bool,
    ) -> std::result::Result<(), String> {
        let b = self.cfg.bridges.get(bridge).ok_or("no such bridge")?;
        let ports = self.ports.load();
        let p = ports
            .iter()
            .find(|p| p.bridge == b.name && p.cfg.ofport == ofport)
            .ok_or_else(|| format!("no port {ofport} on {}", b.name))?;
        p.port.set_link(up).map_err(|e| e.to_string())
    }

    /// A bridge's ports with link state and counters.
    pub fn ports_of(&self, bridge: usize) -> Vec<PortView> {
        let Some(b) = self.cfg.bridges.get(bridge) else {
            return Vec::new();
        };
        let stats = self.port_stats().ports;
        self.ports
            .load()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.bridge == b.name)
            .map(|(i, p)| PortView {
                name: p.cfg.name.clone(),
                ofport: p.cfg.ofport,
                index: p.index,
                mac: p.port.mac(),
                link: p.port.link(),
                stats: stats[i].clone(),
            })
            .collect()
    }

    /// Queues `data` to be run through `actions` by a PMD, as if received
    /// on OpenFlow port `in_port` of bridge `bridge` (OpenFlow packet-out).
    pub fn packet_out(
        &self,
        bridge: u16,
        in_port: u32,
        actions: Vec<fastpath::actions::DpAction>,
        data: &[u8],
    ) -> std::result::Result<(), String> {
        let packet = fastpath::dpdk::Mbuf::from_slice(&self.pool, data).ok_or_else(|| {
            "no packet buffer free (or packet too large) for packet-out".to_string()
        })?;
        self.punt
            .packet_out
            .push(fastpath::punt::PacketOut {
                bridge,
                in_port,
                actions: actions.into(),
                packet,
            })
            .map_err(|_| "packet-out queue full".to_string())
    }

    /// The tunnel underlay, when configured (see `crate::underlay::mgmt`).
    pub fn underlay(&self) -> Option<&Arc<crate::underlay::Underlay>> {
        self.underlay.as_ref()
    }

    /// Takes the packet-ins the PMDs queued (at most `max`).
    pub fn take_packet_ins(&self, max: usize) -> Vec<fastpath::punt::PacketIn> {
        std::iter::from_fn(|| self.punt.packet_in.pop())
            .take(max)
            .collect()
    }

    fn bridge(&self, name: &str) -> std::result::Result<&Bridge, String> {
        self.bridges.iter().find(|b| b.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.bridges.iter().map(|b| b.name.as_str()).collect();
            format!("no bridge named {name:?} (bridges: {})", names.join(", "))
        })
    }

    /// Waits until every PMD has credited its pending megaflow hits to the
    /// OpenFlow entries, so their counters are exact (call before reading
    /// them). A PMD does so at its next iteration.
    pub fn sync_credits(&self) {
        let epoch = self.credit_sync.request();
        self.wait_pmds("credit its megaflow hits", |p, _| {
            p.stats
                .credits_synced
                .load(std::sync::atomic::Ordering::Acquire)
                >= epoch
        });
    }

    /// Waits until every PMD has started a loop iteration after this call,
    /// so it has seen the latest pipeline generation and dropped stale
    /// megaflows: once a change is acknowledged, the datapath obeys it.
    pub fn sync_pmds(&self) {
        self.wait_pmds("pick up a pipeline change", |p, start| {
            p.stats.iterations.get() >= start + 2
        });
    }

    /// Polls until `done(pmd, its iteration count at the call)` holds for
    /// every PMD, for at most 2 s (then logs that a PMD did not `what`).
    fn wait_pmds(&self, what: &str, done: impl Fn(&PmdView, u64) -> bool) {
        let pmds = self.pmds.load();
        let start: Vec<u64> = pmds.iter().map(|p| p.stats.iterations.get()).collect();
        let deadline = Instant::now() + Duration::from_secs(2);
        while !pmds.iter().zip(&start).all(|(p, &s)| done(p, s)) {
            if Instant::now() > deadline {
                tracing::warn!("a PMD did not {what} within 2 s");
                return;
            }
            std::thread::sleep(Duration::from_micros(20));
        }
    }
}
