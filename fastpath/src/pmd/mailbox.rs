//! Requests from the control side that only a PMD can answer (its caches
//! are its own), through lock-free queues checked between bursts. The PMD
//! never waits; the control side polls for the reply with a timeout.
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::actions::DpAction;
use crate::dpdk::{RxQueue, TxQueue};
use crate::flow::{FlowKey, FlowMask};
use crate::stats::PortCounterSet;

/// One cached megaflow, as dumped.
#[derive(Debug, Clone)]
pub struct MegaflowDump {
    /// Index into `Datapath::bridges`.
    pub bridge: u16,
    pub key: FlowKey,
    pub mask: FlowMask,
    pub packets: u64,
    pub bytes: u64,
    /// TSC ticks since the last hit.
    pub idle_tsc: u64,
    pub actions: Arc<[DpAction]>,
}

pub enum Request {
    DumpMegaflows,
    /// Drop every cached megaflow (crediting pending hits first).
    FlushMegaflows,
}

pub enum Reply {
    Megaflows(Vec<MegaflowDump>),
    Flushed,
}

/// A queue for a PMD's new queue set: one it already polls (by DPDK port
/// and queue id), or a handle it did not have.
pub enum QueueSlot<Q> {
    Keep { port_id: u16, queue_id: u16 },
    New(Q),
}

/// A PMD's new queues and port counters after ports came or went, applied
/// between two bursts: the PMD keeps running, and so do its caches and the
/// ports it keeps polling.
pub struct Rewire {
    /// (dense port index, rx queue).
    pub rxqs: Vec<(u16, QueueSlot<RxQueue>)>,
    /// By dense port index: this PMD's tx queue on the port (None: a hole).
    pub txqs: Vec<Option<QueueSlot<TxQueue>>>,
    /// By dense port index: the port's counters (None: a hole).
    pub counters: Vec<Option<Arc<PortCounterSet>>>,
    /// By dense port index: where this PMD hands the port's packets
    /// instead of sending them on its own queue, which the port's peer did
    /// not enable (None, or shorter than `txqs`: it sends them itself).
    pub handoff: Vec<Option<super::TxInbox>>,
    /// (dense port index, inbox): packets other PMDs hand to this one, to
    /// send on its own tx queue of that port.
    pub inboxes: Vec<(u16, super::TxInbox)>,
}

/// What a rewired PMD gave back: the handles it no longer uses (dropped on
/// the control side, which may close their ports), and the packets it
/// had left over from the old queues and dropped.
pub struct Retired {
    pub rxqs: Vec<RxQueue>,
    pub txqs: Vec<TxQueue>,
    pub dropped: u64,
}

/// A PMD's mailbox.
pub struct Mailbox {
    pub requests: ArrayQueue<Request>,
    pub replies: ArrayQueue<Reply>,
    /// Port changes, kept apart from `requests` so that a concurrent dump
    /// never takes their reply.
    pub rewire: ArrayQueue<Box<Rewire>>,
    pub retired: ArrayQueue<Box<Retired>>,
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox {
            requests: ArrayQueue::new(4),
            replies: ArrayQueue::new(4),
            rewire: ArrayQueue::new(1),
            retired: ArrayQueue::new(1),
        }
    }
}

impl Mailbox {
    /// Sends `req` and waits up to `timeout` for the PMD's reply.
    pub fn call(&self, req: Request, timeout: std::time::Duration) -> Option<Reply> {
        while self.replies.pop().is_some() {}
        self.requests.push(req).ok()?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.replies.pop() {
                return Some(r);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }
}
