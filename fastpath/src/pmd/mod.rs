//! PMD worker threads: one per configured core, pinned, each polling the rx
//! queues assigned to it.
//!
//! Packet path per iteration (`poll.rs`): rx burst → parse → megaflow
//! lookup / upcall → execute actions into per-port batches → tx bursts →
//! counters.
mod assign;
mod classify;
pub mod mailbox;
mod pace;
mod poll;
mod tx;
mod txmap;

pub use assign::{assign_rx_queues, assign_rx_queues_keeping, RxqAssignment};
pub use txmap::{has_senders, tx_inbox, tx_owner, TxInbox, TX_INBOX_PACKETS};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::datapath::SharedDatapath;
use crate::dpdk::{Eal, RxQueue, TxQueue};
use crate::error::{Error, Result};
use crate::stats::{PmdStats, PortCounterSet};

/// What one PMD thread is given at start.
pub struct PmdSpec {
    pub core: usize,
    /// This PMD's index: its slot in each port's counter set.
    pub index: usize,
    /// (dense input port index, queue handle).
    pub rxqs: Vec<(u16, RxQueue)>,
    /// Indexed by dense port index: this PMD's own tx queue on each port
    /// (None: a hole left by a deleted port).
    pub txqs: Vec<Option<TxQueue>>,
    /// Indexed by dense port index: each port's counters.
    pub counters: Vec<Option<Arc<PortCounterSet>>>,
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
        let stats = Arc::new(PmdStats::new(core));
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

    /// Gives the running thread a new queue set (ports added or deleted).
    /// It switches between two bursts and hands back what it no longer
    /// uses; the other queues are polled throughout and the caches stay.
    pub fn rewire(
        &mut self,
        rewire: mailbox::Rewire,
        timeout: std::time::Duration,
    ) -> Result<mailbox::Retired> {
        let error = |message: &str| Error::Pmd {
            core: self.core,
            message: message.to_string(),
        };
        let rxqs: Vec<(u16, u16)> = rewire
            .rxqs
            .iter()
            .map(|(_, slot)| match slot {
                mailbox::QueueSlot::Keep { port_id, queue_id } => (*port_id, *queue_id),
                mailbox::QueueSlot::New(q) => (q.port_id(), q.queue_id()),
            })
            .collect();
        while self.mailbox.retired.pop().is_some() {}
        if self.mailbox.rewire.push(Box::new(rewire)).is_err() {
            return Err(error("a port change is already pending"));
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.mailbox.retired.pop() {
                self.rxqs = rxqs;
                return Ok(*r);
            }
            if self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return Err(error("the PMD thread is not running"));
            }
            if std::time::Instant::now() > deadline {
                return Err(error("the PMD thread did not take its new queues in time"));
            }
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
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
