//! The output side of a PMD: a batch per port, sent once per rx burst,
//! with the per-burst drop tallies and packet-ins.
use std::sync::Arc;

use super::mailbox::QueueSlot;
use super::txmap::TxInbox;
use crate::actions::{DropReason, Outputs};
use crate::dpdk::{Burst, Mbuf, TxQueue};
use crate::stats::{PmdStats, PortCounterSet, PortCounters};

/// Output side of one PMD: a batch per port, flushed once per rx burst
/// (or when a batch fills up), plus per-burst drop tallies.
pub(super) struct TxStage<'a> {
    /// By dense port index (None: a hole left by a deleted port).
    txqs: Vec<Option<TxQueue>>,
    /// By dense port index: each port's counters, of which this PMD
    /// writes slot `pmd`.
    counters: Vec<Option<Arc<PortCounterSet>>>,
    /// By dense port index: another PMD's inbox that takes this port's
    /// packets instead of our own queue (see `txmap`); usually empty.
    handoff: Vec<Option<TxInbox>>,
    /// (dense port index, inbox) of packets other PMDs hand us to send.
    inboxes: Vec<(u16, TxInbox)>,
    pmd: usize,
    bufs: Vec<Burst>,
    /// Bytes queued in each of `bufs`.
    bytes: Vec<u64>,
    /// Ports with packets waiting, in first-use order.
    dirty: Vec<u16>,
    stats: &'a PmdStats,
    drops: [u64; DropReason::COUNT],
    controller: u64,
    /// Where packet-ins go (fixed for the datapath's life).
    punt: Arc<crate::punt::Punt>,
    /// Bridge and OpenFlow port the packets being executed came from.
    pub(super) origin: (u16, u32),
}

impl<'a> TxStage<'a> {
    pub(super) fn new(
        txqs: Vec<Option<TxQueue>>,
        counters: Vec<Option<Arc<PortCounterSet>>>,
        pmd: usize,
        stats: &'a PmdStats,
        punt: Arc<crate::punt::Punt>,
    ) -> Self {
        let n = txqs.len();
        TxStage {
            txqs,
            counters,
            handoff: Vec::new(),
            inboxes: Vec::new(),
            pmd,
            bufs: (0..n).map(|_| Burst::new()).collect(),
            bytes: vec![0; n],
            dirty: Vec::with_capacity(n),
            stats,
            drops: [0; DropReason::COUNT],
            controller: 0,
            punt,
            origin: (0, 0),
        }
    }

    /// This PMD's counters of port `i`.
    #[inline]
    pub(super) fn port_counters(&self, i: usize) -> Option<&PortCounters> {
        self.counters.get(i)?.as_deref()?.pmd(self.pmd)
    }

    /// Takes a new queue set (ports added or deleted, or a peer's enabled
    /// tx queues changed); returns the tx queues no longer used. What the
    /// old inboxes hold is sent first (a bounded number of rounds).
    pub(super) fn rewire(
        &mut self,
        txqs: Vec<Option<QueueSlot<TxQueue>>>,
        counters: Vec<Option<Arc<PortCounterSet>>>,
        handoff: Vec<Option<TxInbox>>,
        inboxes: Vec<(u16, TxInbox)>,
    ) -> Vec<TxQueue> {
        // Bounded: senders may still be handing packets over; what is left
        // goes to the next owner, or is freed by the control side.
        for _ in 0..16 {
            if self.drain_inboxes() == 0 {
                break;
            }
        }
        self.flush();
        self.handoff = handoff;
        self.inboxes = inboxes;
        let mut old = std::mem::take(&mut self.txqs);
        self.txqs = txqs
            .into_iter()
            .map(|slot| match slot? {
                QueueSlot::New(q) => Some(q),
                QueueSlot::Keep { port_id, .. } => old
                    .iter_mut()
                    .find(|q| q.as_ref().is_some_and(|q| q.port_id() == port_id))
                    .and_then(Option::take),
            })
            .collect();
        let n = self.txqs.len();
        self.bufs = (0..n).map(|_| Burst::new()).collect();
        self.bytes = vec![0; n];
        self.dirty = Vec::with_capacity(n);
        self.counters = counters;
        old.into_iter().flatten().collect()
    }

    /// Sends one port's batch; what the driver refuses is freed and counted.
    pub(super) fn flush_port(&mut self, o: usize) {
        let Some(buf) = self.bufs.get_mut(o) else {
            return;
        };
        let bytes = std::mem::take(&mut self.bytes[o]);
        let queued = buf.len();
        if queued == 0 {
            return;
        }
        if let Some(Some(inbox)) = self.handoff.get(o) {
            // Our queue of this port is not enabled: another PMD sends.
            let mut refused = 0u64;
            for m in buf.drain() {
                if inbox.push(m).is_err() {
                    refused += 1;
                }
            }
            if refused > 0 {
                if let Some(c) = self.port_counters(o) {
                    c.tx_dropped.add(refused);
                }
            }
            return;
        }
        // A port deleted a moment ago; its megaflows go at the next
        // revalidation.
        let Some(txq) = self.txqs.get_mut(o).and_then(Option::as_mut) else {
            buf.clear();
            self.drops[DropReason::NoOutput as usize] += queued as u64;
            return;
        };
        let sent = txq.send(buf);
        let (pmd, counters) = (self.pmd, &self.counters);
        let Some(c) = counters
            .get(o)
            .and_then(|c| c.as_deref())
            .and_then(|c| c.pmd(pmd))
        else {
            buf.clear();
            return;
        };
        if sent == queued {
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes);
        } else {
            let left_bytes = buf.bytes();
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(bytes.saturating_sub(left_bytes));
            c.tx_dropped.add((queued - sent) as u64);
            buf.clear();
        }
    }

    /// Moves what other PMDs handed us into our batches (at most two
    /// bursts per inbox per call, so that the rx queues keep their turn)
    /// and sends them. Returns how many packets it took.
    pub(super) fn drain_inboxes(&mut self) -> u64 {
        if self.inboxes.is_empty() {
            return 0;
        }
        let mut taken = 0u64;
        let inboxes = std::mem::take(&mut self.inboxes);
        for (port, inbox) in &inboxes {
            // `pop` on an empty queue runs a full fence; `is_empty` loads.
            if inbox.is_empty() {
                continue;
            }
            for _ in 0..2 * crate::dpdk::BURST_SIZE {
                let Some(m) = inbox.pop() else {
                    break;
                };
                taken += 1;
                self.output(*port, m);
            }
        }
        self.inboxes = inboxes;
        if taken > 0 {
            self.flush();
        }
        taken
    }

    pub(super) fn flush(&mut self) {
        while let Some(o) = self.dirty.pop() {
            self.flush_port(usize::from(o));
        }
    }

    /// Queues every packet of `pkts` (`bytes` in all) for `port`: a whole
    /// burst of one megaflow with a single output moves as one copy of
    /// pointers instead of packet by packet.
    #[inline]
    pub(super) fn output_all(&mut self, port: u16, pkts: &mut Burst, bytes: u64) {
        let o = usize::from(port);
        let Some(buf) = self.bufs.get(o) else {
            self.drops[DropReason::NoOutput as usize] += pkts.len() as u64;
            pkts.clear();
            return;
        };
        if buf.is_empty() {
            self.dirty.push(port);
        } else if buf.len() + pkts.len() > crate::dpdk::BURST_SIZE {
            self.flush_port(o);
            self.dirty.push(port);
        }
        if let (Some(buf), Some(b)) = (self.bufs.get_mut(o), self.bytes.get_mut(o)) {
            // After a flush the batch is empty, and a burst fits whole.
            buf.append(pkts);
            *b += bytes;
        }
    }

    /// Adds this burst's drop tallies to the PMD counters; returns how many
    /// packets were dropped (for the input port's rx_dropped).
    pub(super) fn take_drops(&mut self) -> u64 {
        // Most bursts drop nothing: one vector compare instead of the loop.
        if self.drops == [0; DropReason::COUNT] && self.controller == 0 {
            return 0;
        }
        let mut total = 0;
        for (i, n) in self.drops.iter_mut().enumerate() {
            if *n > 0 {
                self.stats.drops[i].add(*n);
                // A failed copy does not lose the packet itself.
                if i != DropReason::NoBuffers as usize {
                    total += *n;
                }
                *n = 0;
            }
        }
        if self.controller > 0 {
            self.stats
                .controller
                .add(std::mem::take(&mut self.controller));
        }
        total
    }
}

impl Outputs<Mbuf> for TxStage<'_> {
    #[inline(always)]
    fn output(&mut self, port: u16, pkt: Mbuf) {
        let o = usize::from(port);
        let Some(buf) = self.bufs.get_mut(o) else {
            self.drops[DropReason::NoOutput as usize] += 1;
            return;
        };
        if buf.is_empty() {
            self.dirty.push(port);
        } else if buf.is_full() {
            self.flush_port(o);
            self.dirty.push(port);
        }
        let len = u64::from(pkt.pkt_len());
        if let Some(buf) = self.bufs.get_mut(o) {
            if buf.push(pkt).is_ok() {
                self.bytes[o] += len;
            }
        }
    }

    fn controller(&mut self, pkt: Mbuf, to: crate::actions::ToController) {
        self.controller += 1;
        let (bridge, in_port) = self.origin;
        let pi = crate::punt::PacketIn {
            bridge,
            in_port,
            reason: to.reason,
            table_id: to.table_id,
            cookie: to.cookie,
            max_len: to.max_len,
            metadata: to.metadata,
            tunnel_id: to.tunnel_id,
            packet: pkt,
        };
        // A full queue means the control side is behind: drop, never wait.
        if self.punt.packet_in.push(pi).is_err() {
            self.drops[DropReason::NoBuffers as usize] += 1;
        }
    }

    #[inline]
    fn dropped(&mut self, why: DropReason) {
        self.drops[why as usize] += 1;
    }
}
