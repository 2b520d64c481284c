//! Ports at run time: `ferroctl add-port` / `del-port`, and how a new port
//! list is put into service.
//!
//! The PMD threads keep running. Each gets its new queue set between two
//! bursts ([`Pmd::rewire`]); the queues of the ports that stay are polled
//! throughout, keep their PMD (as OVS keeps its rxq assignment) and keep
//! their dense datapath index, so their megaflows and counters stay valid.
//! Only the new ports' queues are spread, each to the least loaded PMD.
//! A deleted port leaves its index free for a later addition, and is
//! closed when no thread holds its queues any more.
//!
//! Ordering: deleted ports leave the pipeline before the PMDs drop their
//! queues (nothing new is translated to them), and added ports join the
//! pipeline after every PMD has their tx queue (nothing is translated to a
//! port a PMD cannot send to yet).
use std::sync::Arc;
use std::time::Duration;

use fastpath::pmd::mailbox::{QueueSlot, Retired, Rewire};
use fastpath::pmd::{assign_rx_queues_keeping, Pmd, PmdSpec, RxqAssignment};
use fsconfig::PortConfig;

use super::vhost_tx::{drop_stranded, tx_routes};
use super::{base_of, datapath_of, open_switch_port, PmdView, Runtime, SwitchPort, SwitchView};
use crate::error::{Error, Result};
use crate::pipeline::{BridgePorts, PortInfo};

/// How long a PMD may take to switch to its new queues.
const REWIRE_TIMEOUT: Duration = Duration::from_secs(5);

fn claim_error(port: &str, what: String) -> Error {
    Error::Port {
        port: port.to_string(),
        source: fastpath::Error::Config(format!("{what} is still held by a PMD thread")),
    }
}

impl SwitchView {
    /// Stops the PMD threads (shutdown). Counter reads from now on wait
    /// for no PMD (each credited its hits on the way out).
    pub(crate) fn stop_pmds(&self) {
        let mut rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        self.pmds.store(Arc::new(Vec::new()));
        for t in &mut rt.threads {
            t.stop_and_join();
        }
        rt.threads.clear();
    }

    /// Tells each bridge's pipeline which of `ports` it has (OpenFlow port
    /// numbers, dense indices, names) and publishes the change.
    fn publish_ports(&self, ports: &[SwitchPort]) {
        for b in &self.bridges {
            let pipeline = b.pipeline();
            let cur = pipeline.snapshot();
            let mine = || ports.iter().filter(|p| p.bridge == b.name);
            let infos = mine()
                .map(|p| {
                    let prev = cur.ports().get(p.cfg.ofport);
                    PortInfo {
                        ofport: p.cfg.ofport,
                        index: p.index,
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
                    .map(|p| (p.cfg.name.clone(), p.cfg.ofport))
                    .chain(tunnels.iter().map(|t| (t.name.clone(), t.ofport)))
                    .collect(),
            );
            b.translator.publish();
        }
    }

    /// The datapath snapshot for `ports`; the underlay port's index
    /// follows its name, and without that port nothing is decapsulated.
    fn datapath_for(&self, ports: &[SwitchPort]) -> fastpath::datapath::Datapath {
        let mut dp = datapath_of(
            &self.cfg,
            ports,
            &self.bridges,
            &self.punt,
            &self.credit_sync,
        );
        if let Some(u) = &self.underlay {
            match ports.iter().find(|p| p.cfg.name == u.port_name) {
                Some(p) => {
                    u.port_index
                        .store(p.index, std::sync::atomic::Ordering::Relaxed);
                    dp.tunnel = Some(Arc::new(u.datapath()));
                }
                None => dp.tunnel = None,
            }
        }
        dp
    }

    /// Makes `ports` the switch's ports: starts the PMD threads the first
    /// time, then gives the running threads their new queues (see the
    /// module docs).
    pub(super) fn reload(&self, ports: Vec<SwitchPort>) -> Result<()> {
        let mut rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        self.reload_locked(&mut rt, ports)
    }

    /// Gives the PMDs their queues and tx routes again for the ports the
    /// switch has now (after a guest changed its enabled queues).
    pub(super) fn reload_current(&self) -> Result<()> {
        let mut rt = self.runtime.lock().unwrap_or_else(|e| e.into_inner());
        let ports = self.ports.load().iter().cloned().collect();
        self.reload_locked(&mut rt, ports)
    }

    fn reload_locked(&self, rt: &mut Runtime, mut ports: Vec<SwitchPort>) -> Result<()> {
        let old_ports = self.ports.load_full();
        let old_of = |p: &SwitchPort| old_ports.iter().find(|o| o.port.same(&p.port));
        // A port that stays keeps its index; a new one takes the lowest
        // index free both before and after this change (a stale megaflow
        // may still name an index freed now, until it is revalidated).
        let mut taken: Vec<u16> = old_ports.iter().map(|o| o.index).collect();
        let mut added = false;
        for p in ports.iter_mut() {
            if let Some(o) = old_of(p) {
                p.index = o.index;
            } else {
                let free = (0..=u16::MAX)
                    .find(|i| !taken.contains(i))
                    .ok_or_else(|| claim_error(&p.cfg.name, "a port index".into()))?;
                p.index = free;
                taken.push(free);
                added = true;
            }
        }
        let removed = old_ports
            .iter()
            .any(|o| !ports.iter().any(|p| p.port.same(&o.port)));
        let n_pmds = self.cfg.switch.pmd_cores.len();
        let len = ports
            .iter()
            .map(|p| usize::from(p.index) + 1)
            .max()
            .unwrap_or(0);
        let mut queues_per_port = vec![0u16; len];
        for p in &ports {
            queues_per_port[usize::from(p.index)] = p.port.rx_queues();
        }

        if rt.threads.is_empty() {
            // Start-up: idle PMD threads, which get their queues below like
            // after any port change.
            for (k, &core) in self.cfg.switch.pmd_cores.iter().enumerate() {
                let spec = PmdSpec {
                    core,
                    index: k,
                    rxqs: Vec::new(),
                    txqs: Vec::new(),
                    counters: Vec::new(),
                    emc_entries: self.cfg.switch.emc_entries as usize,
                    flow_limit: self.cfg.switch.flow_limit as usize,
                };
                let pmd = Pmd::spawn(&rt.eal, spec, rt.datapath.clone())?;
                tracing::info!(
                    "PMD thread started on core {core} (lcore {})",
                    pmd.stats().snapshot().lcore
                );
                rt.threads.push(pmd);
            }
            *self.pmd_base.lock().unwrap_or_else(|e| e.into_inner()) =
                rt.threads.iter().map(|p| base_of(p.stats())).collect();
        }

        // Every PMD's new queue set, claiming the new ports' queue handles
        // first: a claim that fails leaves the switch as it was.
        let old_views = self.pmds.load_full();
        let kept: Vec<RxqAssignment> = old_views
            .iter()
            .enumerate()
            .flat_map(|(k, v)| {
                v.rxqs.iter().map(move |&(port, queue)| RxqAssignment {
                    port,
                    queue,
                    pmd: k,
                })
            })
            .filter(|a| {
                ports
                    .iter()
                    .any(|p| p.index == a.port && old_of(p).is_some())
            })
            .collect();
        let assignment = assign_rx_queues_keeping(&queues_per_port, n_pmds, &kept);
        let mut rewires = Vec::with_capacity(n_pmds);
        for k in 0..rt.threads.len() {
            let mut txqs: Vec<Option<QueueSlot<fastpath::dpdk::TxQueue>>> =
                (0..len).map(|_| None).collect();
            let mut counters = vec![None; len];
            for p in &ports {
                let i = usize::from(p.index);
                txqs[i] = Some(if old_of(p).is_some() {
                    QueueSlot::Keep {
                        port_id: p.port.id(),
                        queue_id: k as u16,
                    }
                } else {
                    QueueSlot::New(
                        p.port
                            .tx_queue(k as u16)
                            .ok_or_else(|| claim_error(&p.cfg.name, format!("tx queue {k}")))?,
                    )
                });
                counters[i] = Some(p.counters.clone());
            }
            let mut rxqs = Vec::new();
            for a in assignment.iter().filter(|a| a.pmd == k) {
                let p = port_at(&ports, a.port)?;
                let slot =
                    if kept.contains(a) {
                        QueueSlot::Keep {
                            port_id: p.port.id(),
                            queue_id: a.queue,
                        }
                    } else {
                        QueueSlot::New(p.port.rx_queue(a.queue).ok_or_else(|| {
                            claim_error(&p.cfg.name, format!("rx queue {}", a.queue))
                        })?)
                    };
                rxqs.push((a.port, slot));
            }
            let (handoff, inboxes) = tx_routes(&ports, len, n_pmds, k);
            rewires.push(Rewire {
                rxqs,
                txqs,
                counters,
                handoff,
                inboxes,
            });
        }

        if removed {
            let staying: Vec<SwitchPort> = ports
                .iter()
                .filter(|p| old_of(p).is_some())
                .cloned()
                .collect();
            self.publish_ports(&staying);
        }
        rt.datapath.store(Arc::new(self.datapath_for(&ports)));
        let mut retired: Vec<Retired> = Vec::with_capacity(n_pmds);
        let mut views = Vec::with_capacity(n_pmds);
        let mut first_error = None;
        for ((k, pmd), rewire) in rt.threads.iter_mut().enumerate().zip(rewires) {
            match pmd.rewire(rewire, REWIRE_TIMEOUT) {
                Ok(r) => {
                    if r.dropped > 0 {
                        tracing::info!(
                            "PMD on core {}: {} packet(s) of deleted ports dropped",
                            pmd.core(),
                            r.dropped
                        );
                    }
                    retired.push(r);
                }
                Err(e) => {
                    tracing::error!("{e}");
                    first_error.get_or_insert(Error::Fastpath(e));
                }
            }
            views.push(PmdView {
                stats: pmd.stats().clone(),
                mailbox: pmd.mailbox().clone(),
                rxqs: assignment
                    .iter()
                    .filter(|a| a.pmd == k)
                    .map(|a| (a.port, a.queue))
                    .collect(),
            });
        }
        drop_stranded(&ports, n_pmds);
        if added || !removed {
            self.publish_ports(&ports);
        }
        self.ports.store(Arc::new(ports));
        self.pmds.store(Arc::new(views));
        // Handles of deleted ports go first, then the ports themselves
        // close (no thread polls them any more).
        drop(retired);
        drop(old_ports);
        first_error.map_or(Ok(()), Err)
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

/// The port at dense index `index`.
fn port_at(ports: &[SwitchPort], index: u16) -> Result<&SwitchPort> {
    ports
        .iter()
        .find(|p| p.index == index)
        .ok_or_else(|| Error::Port {
            port: format!("#{index}"),
            source: fastpath::Error::Config("no port at this index".into()),
        })
}
