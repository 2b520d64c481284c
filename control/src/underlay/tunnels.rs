//! The tunnel ports of one bridge as translation sees them: output to one
//! becomes `DpAction::TunnelOutput` with an outer header built from the
//! port's options, the flow's tunnel metadata and the underlay tables.
use std::net::Ipv4Addr;
use std::sync::Arc;

use fastpath::actions::DpAction;
use fastpath::tunnel::{TunnelHeader, TunnelKind, TunnelSpec};
use fsconfig::{Inherit, TunnelConfig, TunnelKey, TunnelRemote, TunnelType};

use super::Underlay;

/// A bridge's tunnel ports and the underlay they use.
pub struct BridgeTunnels {
    pub underlay: Arc<Underlay>,
    pub ports: Vec<TunnelConfig>,
}

impl BridgeTunnels {
    /// The tunnel port with OpenFlow number `ofport`.
    pub fn port(&self, ofport: u32) -> Option<&TunnelConfig> {
        self.ports.iter().find(|p| p.ofport == ofport)
    }

    /// The action sending to `port` with this key and remote: the header
    /// is built now (an upcall), with the next hop's MAC if known (else
    /// the packets are counted drops until ARP resolves it).
    pub fn output(&self, port: &TunnelConfig, key: u64, remote: Ipv4Addr) -> DpAction {
        let u = &self.underlay;
        let tables = u.tables();
        let dst_mac = match tables.routes.next_hop(remote) {
            Some(hop) => {
                let mac = tables.neighbours.get(&hop).copied();
                if mac.is_none() {
                    u.request_resolution(hop);
                }
                mac
            }
            None => None,
        };
        let inherit = |v: Inherit| match v {
            Inherit::Inherit => None,
            Inherit::Value(x) => Some(x),
        };
        let spec = TunnelSpec {
            kind: match port.tunnel_type {
                TunnelType::Vxlan => TunnelKind::Vxlan,
                TunnelType::Gre => TunnelKind::Gre,
                TunnelType::Geneve => TunnelKind::Geneve,
            },
            src_mac: u.mac,
            dst_mac,
            src_ip: u32::from(port.local_ip),
            dst_ip: u32::from(remote),
            tos: inherit(port.tos),
            ttl: inherit(port.ttl),
            df: port.df,
            csum: port.csum,
            // GRE carries a key only when one is configured (flow or
            // non-zero), as OVS.
            key: match (port.tunnel_type, port.key) {
                (TunnelType::Gre, TunnelKey::Fixed(0)) => None,
                _ => Some(key),
            },
            dst_port: port.dst_port,
            mtu: u.mtu,
        };
        DpAction::TunnelOutput {
            port: u.port(),
            header: Arc::new(TunnelHeader::build(&spec)),
        }
    }

    /// Whether the port takes its key / remote from the flow.
    pub fn from_flow(port: &TunnelConfig) -> (bool, bool) {
        (
            port.key == TunnelKey::Flow,
            port.remote_ip == TunnelRemote::Flow,
        )
    }
}
