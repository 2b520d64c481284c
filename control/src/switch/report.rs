//! What `ferroctl show`, `port-stats` and `pmd-stats` report: the
//! switch's bridges, ports, PMD threads and mempool, and their counters.
use fastpath::dpdk::tsc_hz;
use fsconfig::Output;

use super::SwitchView;
use crate::mgmt::proto;

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
        let ports = self.ports.load();
        rxqs.iter()
            .map(|&(port, queue)| proto::RxqInfo {
                port: ports
                    .iter()
                    .find(|p| p.index == port)
                    .map_or_else(String::new, |p| p.cfg.name.clone()),
                queue,
            })
            .collect()
    }

    pub fn show(&self) -> proto::ShowReply {
        let ports = self.ports.load();
        let pmds = self.pmds.load();
        let bridges = self
            .cfg
            .bridges
            .iter()
            .map(|b| proto::BridgeInfo {
                name: b.name.clone(),
                datapath_id: format!("{:016x}", b.datapath_id),
                ports: ports
                    .iter()
                    .filter(|p| p.bridge == b.name)
                    .map(|p| {
                        let link = p.port.link();
                        proto::PortInfo {
                            name: p.cfg.name.clone(),
                            ofport: p.cfg.ofport,
                            devargs: p.cfg.effective_devargs(pmds.len() as u16),
                            driver: p.port.driver().to_string(),
                            dpdk_port: p.port.id(),
                            mac: mac_string(p.port.mac()),
                            link_up: link.up,
                            link_speed_mbps: link.speed_mbps,
                            rx_queues: p.port.rx_queues(),
                            tx_queues: p.port.tx_queues(),
                            output: output_name(&p.cfg.output),
                            tx_queues_enabled: p.vhost_tx.as_ref().map(|v| v.enabled_queues()),
                        }
                    })
                    .collect(),
            })
            .collect();
        proto::ShowReply {
            version: format!("{} ({})", env!("CARGO_PKG_VERSION"), crate::build_rev()),
            dpdk_version: self.dpdk_version.clone(),
            pid: std::process::id(),
            hugepages: self.hugepages,
            control_core: self.cfg.switch.control_core,
            mempool: proto::MempoolInfo {
                name: self.pool.name().to_string(),
                size: self.pool.size(),
                in_use: self.pool.in_use(),
            },
            bridges,
            // Filled in by the daemon, which runs the OpenFlow channel.
            openflow: Vec::new(),
            pmds: pmds
                .iter()
                .enumerate()
                .map(|(k, p)| proto::PmdInfo {
                    core: p.stats.core,
                    lcore: p.stats.snapshot().lcore,
                    rx_queues: self.rxq_info(&p.rxqs),
                    tx_handoffs: ports
                        .iter()
                        .filter_map(|port| {
                            let v = port.vhost_tx.as_ref()?;
                            let owner = v.owner(self.cfg.switch.pmd_cores.len(), k)?;
                            Some(proto::TxHandoff {
                                port: port.cfg.name.clone(),
                                to_pmd: owner,
                            })
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    pub fn port_stats(&self) -> proto::PortStatsReply {
        let ports = self
            .ports
            .load()
            .iter()
            .map(|p| {
                let sw = p.counters.total();
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
            .load()
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
                    emc_hits: d.emc_hits,
                    megaflow_hits: d.megaflow_hits,
                    megaflow_repeat_hits: d.megaflow_repeat_hits,
                    upcalls: d.upcalls,
                    upcalls_not_cached: d.upcall_not_cached,
                    upcall_deferred: d.upcall_deferred,
                    lookups_per_packet: d.lookups_per_packet(),
                    megaflows: d.megaflows,
                    megaflows_revalidated: d.megaflows_revalidated,
                    malformed: d.malformed,
                    controller: d.controller,
                    drops: fastpath::actions::DropReason::ALL
                        .iter()
                        .map(|r| (r.name().to_string(), d.drops[*r as usize]))
                        .collect(),
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
