//! Packets between the PMDs and the control side, through bounded
//! lock-free queues so that neither side ever waits for the other:
//! packet-ins go up (to OpenFlow controllers), packet-outs come down
//! (injected by a PMD, which owns the tx queues).
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::actions::DpAction;
use crate::dpdk::Mbuf;

/// Packet-ins waiting for the control side, per datapath.
pub const PACKET_IN_QUEUE: usize = 1024;
/// Packet-outs waiting for a PMD.
pub const PACKET_OUT_QUEUE: usize = 256;

/// A packet the pipeline sent to the controller.
pub struct PacketIn {
    /// Bridge index (`Datapath::bridges`).
    pub bridge: u16,
    pub in_port: u32,
    /// OFPR_* reason.
    pub reason: u8,
    pub table_id: u8,
    pub cookie: u64,
    /// Bytes of the packet the controller asked for (0xffff: all).
    pub max_len: u16,
    /// OpenFlow metadata at the controller action (0: none).
    pub metadata: u64,
    /// The packet's tunnel id (0: none).
    pub tunnel_id: u64,
    pub packet: Mbuf,
}

/// A packet the control side wants sent: `actions` run on it as if it
/// came from OpenFlow port `in_port` of `bridge`.
pub struct PacketOut {
    pub bridge: u16,
    pub in_port: u32,
    pub actions: Arc<[DpAction]>,
    pub packet: Mbuf,
}

/// The two queues.
pub struct Punt {
    pub packet_in: ArrayQueue<PacketIn>,
    pub packet_out: ArrayQueue<PacketOut>,
}

impl Default for Punt {
    fn default() -> Self {
        Punt {
            packet_in: ArrayQueue::new(PACKET_IN_QUEUE),
            packet_out: ArrayQueue::new(PACKET_OUT_QUEUE),
        }
    }
}
