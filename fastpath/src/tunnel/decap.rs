//! The fixed pre-classification of packets received on the underlay port:
//! tunnel packets for the underlay address are decapsulated here, before
//! the megaflow lookup, so that only the inner packet is looked up.
use super::{geneve, gre, vxlan, TunnelDp, TunnelKind};
use crate::actions::{DropReason, Outputs, PacketBuf};
use crate::dpdk::Mbuf;
use crate::parse::PacketMeta;

const ETH_LEN: usize = 14;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const UDP_LEN: usize = 8;
/// An inner frame must hold at least an Ethernet header.
const MIN_INNER: usize = ETH_LEN;

/// What to do with a packet received on the underlay port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingress {
    /// Not for us: the bridge pipeline handles it as it is.
    Pass,
    /// ARP for the underlay address: to the control side.
    Punt,
    /// A tunnel packet: strip `outer_len` bytes and look the rest up with
    /// this metadata.
    Decap { meta: PacketMeta, outer_len: u16 },
    /// A bad tunnel packet: dropped and counted.
    Drop(DropReason),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Classifies `frame` (received on the underlay port). Never panics; a
/// packet that is not IPv4/ARP to the underlay address is `Pass`.
pub fn classify(t: &TunnelDp, frame: &[u8]) -> Ingress {
    let Some(ethertype) = be16(frame, 12) else {
        return Ingress::Pass;
    };
    if ethertype == ETHERTYPE_ARP {
        // Target protocol address of an Ethernet/IPv4 ARP.
        return match be32(frame, ETH_LEN + 24) {
            Some(tpa) if tpa == t.underlay_ip => Ingress::Punt,
            _ => Ingress::Pass,
        };
    }
    if ethertype != ETHERTYPE_IPV4 {
        return Ingress::Pass;
    }
    let ip = frame.get(ETH_LEN..).unwrap_or_default();
    let (Some(&ver_ihl), Some(dst)) = (ip.first(), be32(ip, 16)) else {
        return Ingress::Pass;
    };
    if dst != t.underlay_ip || ver_ihl >> 4 != 4 {
        return Ingress::Pass;
    }
    let ihl = usize::from(ver_ihl & 0x0f) * 4;
    let (Some(total), Some(frag), Some(&proto), Some(src)) =
        (be16(ip, 2), be16(ip, 6), ip.get(9), be32(ip, 12))
    else {
        return Ingress::Pass;
    };
    let udp_kind = match proto {
        17 => be16(ip, ihl + 2).and_then(|p| t.udp_kind(p)),
        _ => None,
    };
    let is_tunnel = udp_kind.is_some() || (proto == gre::IP_PROTO && t.has_gre());
    if !is_tunnel {
        return Ingress::Pass;
    }
    // From here on it is ours: anything wrong is a counted drop.
    let total = usize::from(total);
    if ihl < 20 || total < ihl || total > ip.len() {
        return Ingress::Drop(DropReason::TunnelMalformed);
    }
    // More-fragments or an offset: we do not reassemble.
    if frag & 0x3fff != 0 {
        return Ingress::Drop(DropReason::TunnelMalformed);
    }
    let payload = ip.get(ihl..total).unwrap_or_default();
    let (kind, dst_port, key, hdr_len) = if udp_kind == Some(TunnelKind::Geneve) {
        let dst_port = be16(payload, 2).unwrap_or(0);
        let g = match geneve::GenevePacket::new_checked(payload.get(UDP_LEN..).unwrap_or_default())
        {
            Ok(g) => g,
            Err(geneve::Error::Truncated) => return Ingress::Drop(DropReason::TunnelMalformed),
            Err(geneve::Error::Unsupported) => return Ingress::Drop(DropReason::TunnelUnsupported),
        };
        (
            TunnelKind::Geneve,
            dst_port,
            u64::from(g.vni()),
            UDP_LEN + g.header_len(),
        )
    } else if proto == 17 {
        let dst_port = be16(payload, 2).unwrap_or(0);
        let v = match vxlan::VxlanPacket::new_checked(payload.get(UDP_LEN..).unwrap_or_default()) {
            Ok(v) => v,
            Err(vxlan::Error::Truncated) => return Ingress::Drop(DropReason::TunnelMalformed),
            Err(vxlan::Error::BadFlags) => return Ingress::Drop(DropReason::TunnelUnsupported),
        };
        (
            TunnelKind::Vxlan,
            dst_port,
            u64::from(v.vni()),
            UDP_LEN + vxlan::HEADER_LEN,
        )
    } else {
        let g = match gre::GrePacket::new_checked(payload) {
            Ok(g) => g,
            Err(gre::Error::Truncated) | Err(gre::Error::BadChecksum) => {
                return Ingress::Drop(DropReason::TunnelMalformed)
            }
            Err(gre::Error::UnsupportedFlags) | Err(gre::Error::UnknownProtocol) => {
                return Ingress::Drop(DropReason::TunnelUnsupported)
            }
        };
        (
            TunnelKind::Gre,
            0,
            u64::from(g.key().unwrap_or(0)),
            g.header_len(),
        )
    };
    if payload.len() < hdr_len + MIN_INNER {
        return Ingress::Drop(DropReason::TunnelMalformed);
    }
    let Some(ofport) = t.find(kind, dst_port, key, src) else {
        return Ingress::Drop(DropReason::TunnelNoPort);
    };
    let outer_len = ETH_LEN + ihl + hdr_len;
    Ingress::Decap {
        meta: PacketMeta {
            in_port: ofport,
            tun_id: key,
            tun_src: src,
            tun_dst: dst,
        },
        outer_len: u16::try_from(outer_len).unwrap_or(u16::MAX),
    }
}

/// The PMD's entry point for one received packet: `Some((meta, outer))`
/// to look it up with `meta`, the first `outer` bytes being outer headers
/// still to [`strip`] (0 for an ordinary packet); `None` when it was
/// consumed (ARP to the control side) or dropped (counted in `out`).
/// Nothing is changed in the packet, so a packet deferred for the next
/// burst is classified again the same way.
#[inline]
pub fn ingress(
    t: Option<&TunnelDp>,
    in_idx: u16,
    m: Mbuf,
    meta: &PacketMeta,
    out: &mut impl Outputs<Mbuf>,
) -> Option<(Mbuf, PacketMeta, u16)> {
    let Some(t) = t.filter(|t| t.underlay_port == in_idx) else {
        return Some((m, *meta, 0));
    };
    match classify(t, m.data()) {
        Ingress::Pass => Some((m, *meta, 0)),
        Ingress::Decap { meta, outer_len } => Some((m, meta, outer_len)),
        Ingress::Punt => {
            if t.arp_in.push(m).is_err() {
                out.dropped(DropReason::NoBuffers);
            }
            None
        }
        Ingress::Drop(why) => {
            out.dropped(why);
            None
        }
    }
}

/// Removes the outer headers [`ingress`] found (no-op for 0).
#[inline]
pub fn strip<P: PacketBuf>(pkt: &mut P, outer_len: u16) {
    if outer_len > 0 {
        pkt.remove(0, usize::from(outer_len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunnel::DecapPort;

    const UNDERLAY: u32 = 0xc0a8_3201; // 192.168.50.1
    const REMOTE: u32 = 0xc0a8_3202;

    fn dp() -> TunnelDp {
        TunnelDp::new(
            0,
            UNDERLAY,
            vec![
                DecapPort {
                    kind: TunnelKind::Vxlan,
                    ofport: 10,
                    dst_port: 4789,
                    key: None,
                    remote: None,
                },
                DecapPort {
                    kind: TunnelKind::Vxlan,
                    ofport: 11,
                    dst_port: 4789,
                    key: Some(7),
                    remote: None,
                },
                DecapPort {
                    kind: TunnelKind::Gre,
                    ofport: 20,
                    dst_port: 0,
                    key: Some(5),
                    remote: Some(REMOTE),
                },
            ],
        )
    }

    fn inner() -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[0x45; 30]);
        f
    }

    fn outer_ip(proto: u8, payload: &[u8], dst: u32) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 0xaa, 0x02, 0, 0, 0, 0, 0xbb, 0x08, 0x00];
        let total = (20 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&REMOTE.to_be_bytes());
        f.extend_from_slice(&dst.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn vxlan_frame(vni: u32, flags: u8) -> Vec<u8> {
        let mut p = vec![0xc0, 0x00, 0x12, 0xb5, 0, 0, 0, 0];
        let mut vx = vxlan::emit(vni);
        vx[0] = flags;
        p.extend_from_slice(&vx);
        p.extend_from_slice(&inner());
        let l = (p.len() as u16).to_be_bytes();
        p[4..6].copy_from_slice(&l);
        outer_ip(17, &p, UNDERLAY)
    }

    fn gre_frame(flags: u16, proto: u16, key: u32) -> Vec<u8> {
        let mut p = flags.to_be_bytes().to_vec();
        p.extend_from_slice(&proto.to_be_bytes());
        p.extend_from_slice(&key.to_be_bytes());
        p.extend_from_slice(&inner());
        outer_ip(47, &p, UNDERLAY)
    }

    #[test]
    fn vxlan_flow_key_port_and_fixed_key_port() {
        let t = dp();
        match classify(&t, &vxlan_frame(42, 0x08)) {
            Ingress::Decap { meta, outer_len } => {
                assert_eq!(meta.in_port, 10);
                assert_eq!(meta.tun_id, 42);
                assert_eq!(meta.tun_src, REMOTE);
                assert_eq!(meta.tun_dst, UNDERLAY);
                assert_eq!(outer_len, 50);
            }
            other => panic!("{other:?}"),
        }
        // VNI 7 goes to the fixed-key port, even though the flow port
        // would take it too.
        match classify(&t, &vxlan_frame(7, 0x08)) {
            Ingress::Decap { meta, .. } => assert_eq!(meta.in_port, 11),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_vxlan_is_counted() {
        let t = dp();
        assert_eq!(
            classify(&t, &vxlan_frame(42, 0x00)),
            Ingress::Drop(DropReason::TunnelUnsupported)
        );
        let f = vxlan_frame(42, 0x08);
        // Cut inside the VXLAN header: the IP length no longer fits.
        assert_eq!(
            classify(&t, &f[..14 + 20 + 12]),
            Ingress::Drop(DropReason::TunnelMalformed)
        );
        // IP length says the VXLAN header is cut.
        let mut short = f[..14 + 20 + 12].to_vec();
        short[16..18].copy_from_slice(&32u16.to_be_bytes());
        assert_eq!(
            classify(&t, &short),
            Ingress::Drop(DropReason::TunnelMalformed)
        );
        // A fragment.
        let mut frag = f.clone();
        frag[20] = 0x20;
        assert_eq!(
            classify(&t, &frag),
            Ingress::Drop(DropReason::TunnelMalformed)
        );
        // Every prefix is handled without panicking.
        for n in 0..f.len() {
            let _ = classify(&t, &f[..n]);
        }
    }

    #[test]
    fn gre_key_remote_and_errors() {
        let t = dp();
        match classify(&t, &gre_frame(0x2000, 0x6558, 5)) {
            Ingress::Decap { meta, outer_len } => {
                assert_eq!(meta.in_port, 20);
                assert_eq!(meta.tun_id, 5);
                assert_eq!(outer_len, 14 + 20 + 8);
            }
            other => panic!("{other:?}"),
        }
        // Wrong key: no port.
        assert_eq!(
            classify(&t, &gre_frame(0x2000, 0x6558, 6)),
            Ingress::Drop(DropReason::TunnelNoPort)
        );
        assert_eq!(
            classify(&t, &gre_frame(0x2000, 0x0800, 5)),
            Ingress::Drop(DropReason::TunnelUnsupported)
        );
        assert_eq!(
            classify(&t, &gre_frame(0x6000, 0x6558, 5)),
            Ingress::Drop(DropReason::TunnelUnsupported)
        );
        let f = gre_frame(0x2000, 0x6558, 5);
        for n in 0..f.len() {
            let _ = classify(&t, &f[..n]);
        }
    }

    #[test]
    fn other_traffic_passes_and_arp_punts() {
        let t = dp();
        // Not to the underlay address.
        let mut f = vxlan_frame(42, 0x08);
        f[33] ^= 1;
        assert_eq!(classify(&t, &f), Ingress::Pass);
        // UDP to another port.
        let mut f = vxlan_frame(42, 0x08);
        f[36] = 0;
        assert_eq!(classify(&t, &f), Ingress::Pass);
        // ARP for the underlay address.
        let mut arp = vec![0xff; 6];
        arp.extend_from_slice(&[0x02, 0, 0, 0, 0, 0xbb, 0x08, 0x06]);
        arp.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xbb]);
        arp.extend_from_slice(&REMOTE.to_be_bytes());
        arp.extend_from_slice(&[0; 6]);
        arp.extend_from_slice(&UNDERLAY.to_be_bytes());
        assert_eq!(classify(&t, &arp), Ingress::Punt);
        arp[41] ^= 1;
        assert_eq!(classify(&t, &arp), Ingress::Pass);
        assert_eq!(classify(&t, &[]), Ingress::Pass);
    }
}
