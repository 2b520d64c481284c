//! Compiled datapath actions: the flat program an upcall's translation
//! produces for a megaflow, and its executor. Executing never consults the
//! OpenFlow pipeline again.
mod csum;
mod edit;
mod exec;
#[cfg(test)]
pub(crate) mod testpkt;

pub use csum::{crc32c, internet_checksum, Checksum};
pub use exec::{
    execute, DropReason, Emitted, ExecContext, Outputs, PacketBuf, VecPacket, MAX_CLONE_DEPTH,
};

use crate::flow::Field;

/// What a packet-in says besides the packet's bytes. Everything here is
/// known at translation time (a function of the megaflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ToController {
    /// Bytes of the packet to include (0xffff: all).
    pub max_len: u16,
    /// OFPR_* reason (0 no-match, 1 action, 2 invalid-ttl).
    pub reason: u8,
    pub table_id: u8,
    pub cookie: u64,
    /// The OpenFlow metadata at the controller action (0: none).
    pub metadata: u64,
    /// The packet's tunnel id (0: none).
    pub tunnel_id: u64,
}

/// One step of a compiled action program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpAction {
    /// Send (a copy of) the packet as it is now out of the port with this
    /// dense index.
    Output(u16),
    /// Hand the packet to the control side as an OpenFlow packet-in.
    Controller(ToController),
    /// Overwrite a header field; L3/L4 checksums are updated
    /// incrementally. Only packet header fields (not metadata, registers
    /// or in_port, which translation handles).
    SetField { field: Field, value: u128 },
    /// Push an 802.1Q/802.1ad tag with this TPID. Its TCI copies the outer
    /// tag's, or is zero when the packet had none (OpenFlow semantics).
    PushVlan { tpid: u16 },
    /// Remove the outermost VLAN tag (no-op without one).
    PopVlan,
    /// Decrement IPv4 TTL / IPv6 hop limit. When it would reach zero the
    /// packet is dropped instead (translation emits a Controller action
    /// before this when the switch is told to report invalid TTLs).
    DecTtl,
    /// Set IPv4 TTL / IPv6 hop limit.
    SetTtl(u8),
    /// Run the packet through meter `id`; on a drop band the program stops.
    Meter(u32),
    /// Run the nested program on a copy of the packet, then continue with
    /// the packet unchanged (group buckets, write-actions sets).
    Clone(Box<[DpAction]>),
    /// Stop here; the packet is dropped.
    Drop,
    /// Encapsulate (a copy of) the packet with this prebuilt outer header
    /// (patched per packet, see `crate::tunnel::push`) and send it out of
    /// the underlay port with this dense index.
    TunnelOutput {
        port: u16,
        header: std::sync::Arc<crate::tunnel::TunnelHeader>,
    },
}

impl DpAction {
    /// Whether this action (or a nested one) pushes a tunnel header.
    pub fn encapsulates(&self) -> bool {
        match self {
            DpAction::TunnelOutput { .. } => true,
            DpAction::Clone(prog) => prog.iter().any(DpAction::encapsulates),
            _ => false,
        }
    }
}
