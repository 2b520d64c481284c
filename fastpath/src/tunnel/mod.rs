//! VXLAN, GRE and Geneve tunnels on the PMDs.
//!
//! - **Decap** ([`decap`]): before the megaflow lookup, a packet received
//!   on the underlay port is checked against a fixed classifier: IPv4 to
//!   the underlay address with UDP to a VXLAN or Geneve port (Geneve
//!   options are skipped), or IP protocol 47 (GRE). A match yields the tunnel port's OpenFlow number and the
//!   tunnel metadata (tun_id, tun_src, tun_dst) for the inner packet's key,
//!   and the outer headers are stripped, so only the inner packet is
//!   looked up (one megaflow lookup per packet, not OVS's two with
//!   `tnl_pop` + recirculation). ARP for the underlay address goes to the
//!   control side through [`TunnelDp::arp_in`].
//! - **Encap** ([`encap`]): output to a tunnel port is the compiled action
//!   `DpAction::TunnelOutput` holding a prebuilt outer header
//!   ([`TunnelHeader`]) that is patched per packet and prepended into the
//!   mbuf headroom.
//!
//! Header views ([`vxlan`], [`gre`]) are smoltcp-style: one length check,
//! then accessors that cannot fail.
mod decap;
mod encap;
pub mod geneve;
pub mod gre;
pub mod vxlan;

use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

pub use decap::{classify, ingress, strip, Ingress};
#[cfg(test)]
pub(crate) use encap::example_spec;
pub use encap::{push, TunnelHeader, TunnelSpec, MAX_HEADER_LEN};

use crate::dpdk::Mbuf;

/// ARP packets for the underlay address waiting for the control side.
pub const ARP_QUEUE: usize = 256;

/// Encapsulation type of a tunnel port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    Vxlan,
    Gre,
    Geneve,
}

impl TunnelKind {
    pub const fn name(self) -> &'static str {
        match self {
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::Gre => "gre",
            TunnelKind::Geneve => "geneve",
        }
    }
}

/// A tunnel port as decapsulation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecapPort {
    pub kind: TunnelKind,
    /// OpenFlow port number the inner packets come in on.
    pub ofport: u32,
    /// VXLAN, Geneve: the UDP destination port.
    pub dst_port: u16,
    /// A fixed key (VNI / GRE key) the packets must carry; None: any key
    /// (`key = "flow"`), passed on as tun_id.
    pub key: Option<u64>,
    /// A fixed remote the packets must come from (host order); None: any
    /// (`remote_ip = "flow"`).
    pub remote: Option<u32>,
}

/// The datapath's tunnel state (part of the `Datapath` snapshot).
pub struct TunnelDp {
    /// Dense index of the underlay port.
    pub underlay_port: u16,
    /// The underlay IPv4 address (host order).
    pub underlay_ip: u32,
    /// Tunnel ports to decapsulate for, fixed keys first.
    pub ports: Box<[DecapPort]>,
    /// ARP requests and replies for the underlay address, for the control
    /// side; full means drop (counted as no_buffers).
    pub arp_in: Arc<ArrayQueue<Mbuf>>,
}

impl TunnelDp {
    /// `ports` are sorted so that a port with a fixed key or remote is
    /// preferred over a flow-based one.
    pub fn new(underlay_port: u16, underlay_ip: u32, mut ports: Vec<DecapPort>) -> Self {
        ports.sort_by_key(|p| (p.key.is_none(), p.remote.is_none()));
        TunnelDp {
            underlay_port,
            underlay_ip,
            ports: ports.into_boxed_slice(),
            arp_in: Arc::new(ArrayQueue::new(ARP_QUEUE)),
        }
    }

    /// The port receiving a packet of `kind` with this key from `remote`.
    pub fn find(&self, kind: TunnelKind, dst_port: u16, key: u64, remote: u32) -> Option<u32> {
        self.ports
            .iter()
            .find(|p| {
                p.kind == kind
                    && (kind == TunnelKind::Gre || p.dst_port == dst_port)
                    && p.key.is_none_or(|k| k == key)
                    && p.remote.is_none_or(|r| r == remote)
            })
            .map(|p| p.ofport)
    }

    /// The UDP tunnel type (VXLAN or Geneve) on `dst_port`, if any.
    fn udp_kind(&self, dst_port: u16) -> Option<TunnelKind> {
        self.ports
            .iter()
            .find(|p| p.kind != TunnelKind::Gre && p.dst_port == dst_port)
            .map(|p| p.kind)
    }

    fn has_gre(&self) -> bool {
        self.ports.iter().any(|p| p.kind == TunnelKind::Gre)
    }
}
