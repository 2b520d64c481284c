//! The running datapath built from the configuration: EAL, mempool, ports,
//! forwarding table and PMD threads, and the management view of them.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fastpath::actions::DpAction;
use fastpath::datapath::{self, Datapath, DpPort, SharedDatapath};
use fastpath::dpdk::{tsc_hz, Eal, Mempool, Port, PortSetup, RxQueue, TxQueue};
use fastpath::flow::{Field, FlowKey};
use fastpath::meter::MeterTable;
use fastpath::pmd::{assign_rx_queues, Pmd, PmdSpec};
use fastpath::stats::{PmdStats, PmdStatsSnapshot, PortCountersSnapshot};
use fastpath::upcall::{Translator, Upcall};
use fsconfig::{Config, Output, PortConfig};

use crate::error::{Error, Result};
use crate::mgmt::proto::{self, Body, Reply, Request};
use crate::mgmt::server::Handler;

/// One port of the switch, at its dense index.
struct SwitchPort {
    bridge: String,
    cfg: PortConfig,
    port: Port,
}

/// What the control side needs to answer queries; shared with the
/// management server.
pub struct SwitchView {
    cfg: Config,
    hugepages: bool,
    dpdk_version: String,
    ports: Vec<SwitchPort>,
    pmds: Vec<PmdView>,
    /// Counters at the last `pmd-stats --clear`.
    pmd_base: Mutex<Vec<PmdStatsSnapshot>>,
}

struct PmdView {
    stats: Arc<PmdStats>,
    /// (dense port index, queue).
    rxqs: Vec<(u16, u16)>,
}

/// The running switch. Dropping it (or `shutdown`) stops the PMDs first,
/// then closes ports, frees the mempool and cleans up EAL.
pub struct Switch {
    pmds: Vec<Pmd>,
    view: Arc<SwitchView>,
    _datapath: SharedDatapath,
    _pool: Mempool,
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
        let mut rxqs: Vec<Vec<RxQueue>> = Vec::new();
        let mut txqs: Vec<Vec<TxQueue>> = Vec::new();
        for (bridge, pc) in all_ports {
            let setup = PortSetup {
                rx_queues: pc.rx_queues,
                tx_queues: n_pmds as u16,
                rx_desc: pc.rx_desc,
                tx_desc: pc.tx_desc,
            };
            let (port, rx, tx) =
                Port::open(&eal, &pc.devargs, &setup, &pool).map_err(|source| Error::Port {
                    port: pc.name.clone(),
                    source,
                })?;
            tracing::info!(
                "port {} (ofport {}) is DPDK port {} ({}), {} rx queue(s)",
                pc.name,
                pc.ofport,
                port.id(),
                port.driver(),
                pc.rx_queues
            );
            ports.push(SwitchPort {
                bridge,
                cfg: pc,
                port,
            });
            rxqs.push(rx);
            txqs.push(tx);
        }

        let dp = datapath::shared(datapath_of(&cfg, &ports));

        // Every PMD gets its own tx queue (index = PMD index) on each port.
        let mut txq_by_pmd: Vec<Vec<TxQueue>> = (0..n_pmds).map(|_| Vec::new()).collect();
        for port_txqs in txqs {
            for (i, q) in port_txqs.into_iter().enumerate() {
                txq_by_pmd[i].push(q);
            }
        }
        let queues_per_port: Vec<u16> = rxqs.iter().map(|q| q.len() as u16).collect();
        let mut rxq_slots: Vec<Vec<Option<RxQueue>>> = rxqs
            .into_iter()
            .map(|v| v.into_iter().map(Some).collect())
            .collect();
        let mut specs: Vec<PmdSpec> = cfg
            .switch
            .pmd_cores
            .iter()
            .zip(txq_by_pmd)
            .map(|(&core, txqs)| PmdSpec {
                core,
                rxqs: Vec::new(),
                txqs,
            })
            .collect();
        let mut views: Vec<Vec<(u16, u16)>> = vec![Vec::new(); n_pmds];
        for a in assign_rx_queues(&queues_per_port, n_pmds) {
            let q = rxq_slots[usize::from(a.port)][usize::from(a.queue)]
                .take()
                .expect("each queue is assigned once");
            specs[a.pmd].rxqs.push((a.port, q));
            views[a.pmd].push((a.port, a.queue));
        }

        let mut pmds = Vec::with_capacity(n_pmds);
        for spec in specs {
            let core = spec.core;
            let pmd = Pmd::spawn(&eal, spec, dp.clone())?;
            tracing::info!(
                "PMD thread started on core {core} (lcore {})",
                pmd.stats().snapshot().lcore
            );
            pmds.push(pmd);
        }

        let view = Arc::new(SwitchView {
            hugepages: eal.has_hugepages(),
            dpdk_version: eal.version(),
            pmd_base: Mutex::new(pmds.iter().map(|p| base_of(p.stats())).collect()),
            pmds: pmds
                .iter()
                .zip(views)
                .map(|(p, rxqs)| PmdView {
                    stats: p.stats().clone(),
                    rxqs,
                })
                .collect(),
            ports,
            cfg,
        });
        Ok(Switch {
            pmds,
            view,
            _datapath: dp,
            _pool: pool,
            eal,
        })
    }

    pub fn view(&self) -> Arc<SwitchView> {
        self.view.clone()
    }

    pub fn eal(&self) -> &Eal {
        &self.eal
    }

    /// Stops the PMDs, then releases ports, mempool and EAL (in that
    /// order, as the handles' reference counts drop).
    pub fn shutdown(mut self) {
        for p in &mut self.pmds {
            p.stop_and_join();
        }
        tracing::info!("PMD threads stopped");
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        for p in &mut self.pmds {
            p.stop_and_join();
        }
    }
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

/// The config's per-port output map as a translator (replaced by the
/// OpenFlow pipeline).
struct OutputMap {
    /// (ofport, actions) of this bridge's ports.
    by_ofport: Vec<(u32, Arc<[DpAction]>)>,
}

impl Translator for OutputMap {
    fn translate(&self, key: &FlowKey) -> Upcall {
        let in_port = key.get(Field::InPort) as u32;
        let actions = self
            .by_ofport
            .iter()
            .find(|(o, _)| *o == in_port)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| Arc::from(Vec::new()));
        Upcall {
            actions,
            mask: FlowKey::field_mask(Field::InPort),
            credits: Arc::from(Vec::new()),
        }
    }

    fn generation(&self) -> u64 {
        0
    }
}

fn datapath_of(cfg: &Config, ports: &[SwitchPort]) -> Datapath {
    let index: HashMap<(&str, &str), u16> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.bridge.as_str(), p.cfg.name.as_str()), i as u16))
        .collect();
    let bridges: Vec<Arc<dyn Translator>> = cfg
        .bridges
        .iter()
        .map(|b| {
            let by_ofport = ports
                .iter()
                .enumerate()
                .filter(|(_, p)| p.bridge == b.name)
                .map(|(i, p)| {
                    let out = match &p.cfg.output {
                        Output::Drop => None,
                        Output::InPort => Some(i as u16),
                        Output::Port(name) => index.get(&(b.name.as_str(), name.as_str())).copied(),
                    };
                    (
                        p.cfg.ofport,
                        out.map(DpAction::Output)
                            .into_iter()
                            .collect::<Vec<_>>()
                            .into(),
                    )
                })
                .collect();
            Arc::new(OutputMap { by_ofport }) as Arc<dyn Translator>
        })
        .collect();
    Datapath {
        ports: ports
            .iter()
            .map(|p| DpPort {
                ofport: p.cfg.ofport,
                bridge: cfg
                    .bridges
                    .iter()
                    .position(|b| b.name == p.bridge)
                    .unwrap_or(0) as u16,
            })
            .collect(),
        bridges,
        meters: Arc::new(MeterTable::new()),
    }
}

fn output_name(o: &Output) -> String {
    match o {
        Output::Drop => "drop".into(),
        Output::InPort => "in_port".into(),
        Output::Port(p) => p.clone(),
    }
}

fn mac_string(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl SwitchView {
    fn rxq_info(&self, rxqs: &[(u16, u16)]) -> Vec<proto::RxqInfo> {
        rxqs.iter()
            .map(|&(port, queue)| proto::RxqInfo {
                port: self.ports[usize::from(port)].cfg.name.clone(),
                queue,
            })
            .collect()
    }

    pub fn show(&self) -> proto::ShowReply {
        let bridges = self
            .cfg
            .bridges
            .iter()
            .map(|b| proto::BridgeInfo {
                name: b.name.clone(),
                datapath_id: format!("{:016x}", b.datapath_id),
                ports: self
                    .ports
                    .iter()
                    .filter(|p| p.bridge == b.name)
                    .map(|p| {
                        let link = p.port.link();
                        proto::PortInfo {
                            name: p.cfg.name.clone(),
                            ofport: p.cfg.ofport,
                            devargs: p.cfg.devargs.clone(),
                            driver: p.port.driver().to_string(),
                            dpdk_port: p.port.id(),
                            mac: mac_string(p.port.mac()),
                            link_up: link.up,
                            link_speed_mbps: link.speed_mbps,
                            rx_queues: p.port.rx_queues(),
                            tx_queues: p.port.tx_queues(),
                            output: output_name(&p.cfg.output),
                        }
                    })
                    .collect(),
            })
            .collect();
        proto::ShowReply {
            version: format!(
                "{} ({})",
                env!("CARGO_PKG_VERSION"),
                option_env!("FERROSWITCH_GIT_REV").unwrap_or("unknown")
            ),
            dpdk_version: self.dpdk_version.clone(),
            pid: std::process::id(),
            hugepages: self.hugepages,
            control_core: self.cfg.switch.control_core,
            bridges,
            pmds: self
                .pmds
                .iter()
                .map(|p| proto::PmdInfo {
                    core: p.stats.core,
                    lcore: p.stats.snapshot().lcore,
                    rx_queues: self.rxq_info(&p.rxqs),
                })
                .collect(),
        }
    }

    pub fn port_stats(&self) -> proto::PortStatsReply {
        let ports = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut sw = PortCountersSnapshot::default();
                for pmd in &self.pmds {
                    sw += pmd.stats.ports[i].snapshot();
                }
                let hw = p.port.stats().unwrap_or_default();
                proto::PortStats {
                    bridge: p.bridge.clone(),
                    name: p.cfg.name.clone(),
                    ofport: p.cfg.ofport,
                    rx_packets: sw.rx_packets,
                    rx_bytes: sw.rx_bytes,
                    rx_dropped: sw.rx_dropped,
                    rx_errors: hw.rx_errors,
                    rx_missed: hw.rx_missed,
                    rx_nombuf: hw.rx_nombuf,
                    tx_packets: sw.tx_packets,
                    tx_bytes: sw.tx_bytes,
                    tx_dropped: sw.tx_dropped,
                    tx_errors: hw.tx_errors,
                }
            })
            .collect();
        proto::PortStatsReply { ports }
    }

    pub fn pmd_stats(&self, clear: bool) -> proto::PmdStatsReply {
        let mut base = self.pmd_base.lock().unwrap_or_else(|e| e.into_inner());
        let pmds = self
            .pmds
            .iter()
            .zip(base.iter_mut())
            .map(|(p, b)| {
                let now = p.stats.snapshot();
                let d = now.since(b);
                if clear {
                    *b = now;
                }
                proto::PmdStats {
                    core: d.core,
                    lcore: d.lcore,
                    iterations: d.iterations,
                    packets: d.packets,
                    busy_cycles: d.busy_cycles,
                    idle_cycles: d.idle_cycles,
                    busy_percent: d.busy_percent(),
                    cycles_per_packet: d.cycles_per_packet(),
                    rx_queues: self.rxq_info(&p.rxqs),
                }
            })
            .collect();
        proto::PmdStatsReply {
            tsc_hz: tsc_hz(),
            pmds,
        }
    }
}

impl Handler for SwitchView {
    fn handle(&self, req: Request) -> Reply {
        Reply::Ok(match req {
            Request::Show => Body::Show(self.show()),
            Request::PortStats => Body::PortStats(self.port_stats()),
            Request::PmdStats { clear } => Body::PmdStats(self.pmd_stats(clear)),
            _ => {
                return Reply::Error(
                    "this command needs the OpenFlow pipeline, which is being wired in".into(),
                )
            }
        })
    }
}
