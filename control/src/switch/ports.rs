//! Ports at run time: `ferroctl add-port` / `del-port`, and the PMD reload
//! that puts a new port list into service.
//!
//! A reload works like OVS's PMD reload: the PMD threads stop (each drops
//! its queue handles between two bursts), the bridges' port maps and the
//! datapath snapshot are replaced, and new PMD threads start with the rx
//! queues spread again. The other ports stay started throughout; their
//! packets wait in the rx rings for the millisecond or so this takes. A
//! deleted port is closed only after that, when no thread polls it any more.
use std::sync::Arc;

use fastpath::pmd::{assign_rx_queues, Pmd, PmdSpec};
use fastpath::stats::PortCountersSnapshot;
use fsconfig::PortConfig;

use super::{base_of, datapath_of, open_switch_port, PmdView, SwitchPort, SwitchView};
use crate::error::{Error, Result};
use crate::pipeline::{BridgePorts, PortInfo};

fn claim_error(port: &str, what: String) -> Error {
    Error::Port {
        port: port.to_string(),
        source: fastpath::Error::Config(format!("{what} is still held by a PMD thread")),
    }
}

impl SwitchView {
    /// Stops the PMD threads (shutdown).
    pub(crate) fn stop_pmds(&self) {
        let mut rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        for t in &mut rt.threads {
            t.stop_and_join();
        }
        rt.threads.clear();
    }

    /// Makes `ports` (by dense index) the switch's ports and restarts the
    /// PMD threads on them. Counters of ports that stay carry over.
    pub(super) fn reload(&self, mut ports: Vec<SwitchPort>) -> Result<()> {
        let mut rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        let old_ports = self.ports.load_full();
        let old_pmds = self.pmds.load_full();
        // Stopped threads have released every queue handle and their
        // counters are final.
        for t in &mut rt.threads {
            t.stop_and_join();
        }
        rt.threads.clear();
        for p in &mut ports {
            if let Some(i) = old_ports.iter().position(|o| o.cfg.name == p.cfg.name) {
                let mut c: PortCountersSnapshot = old_ports[i].carried;
                for pmd in old_pmds.iter() {
                    if let Some(x) = pmd.stats.ports.get(i) {
                        c += x.snapshot();
                    }
                }
                p.carried = c;
            }
        }

        for b in &self.bridges {
            let pipeline = b.pipeline();
            let cur = pipeline.snapshot();
            let mine = || ports.iter().enumerate().filter(|(_, p)| p.bridge == b.name);
            let infos = mine()
                .map(|(i, p)| {
                    let prev = cur.ports().get(p.cfg.ofport);
                    PortInfo {
                        ofport: p.cfg.ofport,
                        index: i as u16,
                        live: prev.map_or_else(|| p.port.link().up, |x| x.live),
                        no_flood: prev.is_some_and(|x| x.no_flood),
                    }
                })
                .collect();
            let next = BridgePorts::new(infos);
            if next != *cur.ports() {
                pipeline.set_ports(next);
            }
            let tunnels = self
                .cfg
                .bridges
                .iter()
                .find(|bc| bc.name == b.name)
                .map(|bc| bc.tunnels.as_slice())
                .unwrap_or_default();
            b.set_port_names(
                mine()
                    .map(|(_, p)| (p.cfg.name.clone(), p.cfg.ofport))
                    .chain(tunnels.iter().map(|t| (t.name.clone(), t.ofport)))
                    .collect(),
            );
            b.translator.publish();
        }
        let mut dp = datapath_of(&self.cfg, &ports, &self.bridges, &self.punt);
        // Ports may have moved: the underlay port's index follows its name;
        // without that port, nothing is decapsulated.
        if let Some(u) = &self.underlay {
            match ports.iter().position(|p| p.cfg.name == u.port_name) {
                Some(i) => {
                    u.port_index
                        .store(i as u16, std::sync::atomic::Ordering::Relaxed);
                    dp.tunnel = Some(Arc::new(u.datapath()));
                }
                None => dp.tunnel = None,
            }
        }
        rt.datapath.store(Arc::new(dp));

        // Every PMD gets its own tx queue (index = PMD index) on each port.
        let cores = &self.cfg.switch.pmd_cores;
        let mut specs: Vec<PmdSpec> = cores
            .iter()
            .map(|&core| PmdSpec {
                core,
                rxqs: Vec::new(),
                txqs: Vec::new(),
                emc_entries: self.cfg.switch.emc_entries as usize,
                flow_limit: self.cfg.switch.flow_limit as usize,
            })
            .collect();
        for p in &ports {
            for (k, spec) in specs.iter_mut().enumerate() {
                let q = p
                    .port
                    .tx_queue(k as u16)
                    .ok_or_else(|| claim_error(&p.cfg.name, format!("tx queue {k}")))?;
                spec.txqs.push(q);
            }
        }
        let queues_per_port: Vec<u16> = ports.iter().map(|p| p.port.rx_queues()).collect();
        let mut views: Vec<Vec<(u16, u16)>> = vec![Vec::new(); cores.len()];
        for a in assign_rx_queues(&queues_per_port, cores.len()) {
            let p = &ports[usize::from(a.port)];
            let q = p
                .port
                .rx_queue(a.queue)
                .ok_or_else(|| claim_error(&p.cfg.name, format!("rx queue {}", a.queue)))?;
            specs[a.pmd].rxqs.push((a.port, q));
            views[a.pmd].push((a.port, a.queue));
        }
        self.ports.store(Arc::new(ports));
        for spec in specs {
            let core = spec.core;
            let pmd = Pmd::spawn(&rt.eal, spec, rt.datapath.clone())?;
            tracing::info!(
                "PMD thread started on core {core} (lcore {})",
                pmd.stats().snapshot().lcore
            );
            rt.threads.push(pmd);
        }
        *self.pmd_base.lock().unwrap_or_else(|e| e.into_inner()) =
            rt.threads.iter().map(|p| base_of(p.stats())).collect();
        self.pmds.store(Arc::new(
            rt.threads
                .iter()
                .zip(views)
                .map(|(p, rxqs)| PmdView {
                    stats: p.stats().clone(),
                    mailbox: p.mailbox().clone(),
                    rxqs,
                })
                .collect(),
        ));
        // Ports that were deleted close here, polled by no thread.
        drop(old_ports);
        Ok(())
    }

    /// The configuration as it is now: the start-up file with each bridge's
    /// ports replaced by the ports the switch has.
    fn current_config(&self) -> fsconfig::Config {
        let ports = self.ports.load();
        let mut cfg = self.cfg.clone();
        for b in &mut cfg.bridges {
            b.ports = ports
                .iter()
                .filter(|p| p.bridge == b.name)
                .map(|p| p.cfg.clone())
                .collect();
        }
        cfg
    }

    /// `ferroctl add-port BRIDGE NAME KEY=VALUE...`: checks the port like
    /// the configuration file would, opens it and puts it into service.
    pub(crate) fn add_port(
        &self,
        bridge: &str,
        name: &str,
        options: &[String],
    ) -> std::result::Result<String, String> {
        let cfg = self.current_config();
        let pc: PortConfig = fsconfig::port_from_options(&cfg, bridge, name, options)?;
        let (eal, n_pmds) = {
            let rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
            (rt.eal.clone(), self.cfg.switch.pmd_cores.len())
        };
        let ofport = pc.ofport;
        let sp = open_switch_port(&eal, &self.pool, bridge.to_string(), pc, n_pmds)
            .map_err(|e| e.to_string())?;
        let mut ports: Vec<SwitchPort> = self.ports.load().iter().cloned().collect();
        ports.push(sp);
        self.reload(ports).map_err(|e| e.to_string())?;
        Ok(format!("port {name} added to {bridge} as ofport {ofport}"))
    }

    /// `ferroctl del-port NAME`: takes the port out of service, then closes it.
    pub(crate) fn del_port(&self, name: &str) -> std::result::Result<String, String> {
        let ports: Vec<SwitchPort> = self.ports.load().iter().cloned().collect();
        let Some(i) = ports.iter().position(|p| p.cfg.name == name) else {
            let names: Vec<&str> = ports.iter().map(|p| p.cfg.name.as_str()).collect();
            return Err(format!(
                "no port named {name:?} (ports: {})",
                names.join(", ")
            ));
        };
        let mut rest = ports;
        let gone = rest.remove(i);
        let bridge = gone.bridge.clone();
        drop(gone);
        self.reload(rest).map_err(|e| e.to_string())?;
        Ok(format!("port {name} deleted from {bridge}"))
    }
}
