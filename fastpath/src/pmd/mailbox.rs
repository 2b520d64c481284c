//! Requests from the control side that only a PMD can answer (its caches
//! are its own), through lock-free queues checked between bursts. The PMD
//! never waits; the control side polls for the reply with a timeout.
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::actions::DpAction;
use crate::flow::{FlowKey, FlowMask};

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

/// A PMD's mailbox.
pub struct Mailbox {
    pub requests: ArrayQueue<Request>,
    pub replies: ArrayQueue<Reply>,
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox {
            requests: ArrayQueue::new(4),
            replies: ArrayQueue::new(4),
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
