//! PMD worker threads: one per configured core, pinned, each polling the rx
//! queues assigned to it.
//!
//! Packet path per iteration (`poll.rs`): rx burst → parse → megaflow
//! lookup / upcall → execute actions into per-port batches → tx bursts →
//! counters.
mod assign;
pub mod mailbox;
mod poll;

pub use assign::{assign_rx_queues, RxqAssignment};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::datapath::SharedDatapath;
use crate::dpdk::{Eal, RxQueue, TxQueue};
use crate::error::{Error, Result};
use crate::stats::PmdStats;

/// What one PMD thread is given at start.
pub struct PmdSpec {
    pub core: usize,
    /// (dense input port index, queue handle).
    pub rxqs: Vec<(u16, RxQueue)>,
    /// Indexed by dense port index: this PMD's own tx queue on each port.
    pub txqs: Vec<TxQueue>,
    /// Exact-match cache entries per bridge (0: no EMC).
    pub emc_entries: usize,
    /// Megaflows per bridge at most.
    pub flow_limit: usize,
}

/// A running PMD thread.
pub struct Pmd {
    core: usize,
    rxqs: Vec<(u16, u16)>,
    stats: Arc<PmdStats>,
    mailbox: Arc<mailbox::Mailbox>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pmd {
    /// Starts a PMD thread pinned to `spec.core`. Returns once the thread
    /// has pinned itself and registered with DPDK, or with the reason it
    /// could not.
    pub fn spawn(eal: &Eal, spec: PmdSpec, datapath: SharedDatapath) -> Result<Pmd> {
        let core = spec.core;
        let n_ports = spec.txqs.len();
        let stats = Arc::new(PmdStats::new(core, n_ports));
        let stop = Arc::new(AtomicBool::new(false));
        let mailbox = Arc::new(mailbox::Mailbox::default());
        let rxqs = spec
            .rxqs
            .iter()
            .map(|(_, q)| (q.port_id(), q.queue_id()))
            .collect();
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<Result<()>>(1);
        let eal = eal.clone();
        let thread = {
            let stats = stats.clone();
            let stop = stop.clone();
            let mailbox = mailbox.clone();
            std::thread::Builder::new()
                .name(format!("pmd-c{core}"))
                .spawn(move || {
                    if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
                        let _ = ready_tx.send(Err(Error::Pmd {
                            core,
                            message: "cannot pin the thread to this core".into(),
                        }));
                        return;
                    }
                    let reg = match eal.register_thread() {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = ready_tx.send(Err(Error::Pmd {
                                core,
                                message: e.to_string(),
                            }));
                            return;
                        }
                    };
                    stats.lcore.store(reg.lcore_id(), Ordering::Relaxed);
                    let _ = ready_tx.send(Ok(()));
                    poll::run(spec, &datapath, &stats, &stop, &mailbox);
                    drop(reg);
                })
                .map_err(|e| Error::Pmd {
                    core,
                    message: format!("cannot spawn thread: {e}"),
                })?
        };
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(Error::Pmd {
                core,
                message: "thread exited during start-up".into(),
            })
        });
        let mut pmd = Pmd {
            core,
            rxqs,
            stats,
            mailbox,
            stop,
            thread: Some(thread),
        };
        match ready {
            Ok(()) => Ok(pmd),
            Err(e) => {
                pmd.stop_and_join();
                Err(e)
            }
        }
    }

    pub fn core(&self) -> usize {
        self.core
    }

    /// (DPDK port id, queue id) of the rx queues this PMD polls.
    pub fn rx_queues(&self) -> &[(u16, u16)] {
        &self.rxqs
    }

    pub fn stats(&self) -> &Arc<PmdStats> {
        &self.stats
    }

    /// For requests only the PMD can answer (megaflow dumps).
    pub fn mailbox(&self) -> &Arc<mailbox::Mailbox> {
        &self.mailbox
    }

    /// Asks the thread to stop and waits for it. Its queue handles are
    /// dropped on the way out, which lets ports close afterwards.
    pub fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("PMD thread on core {} panicked", self.core);
            }
        }
    }
}

impl Drop for Pmd {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
