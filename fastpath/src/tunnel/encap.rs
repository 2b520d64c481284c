//! Encapsulation: an outer header template per (tunnel port, remote, key),
//! built at translation time and patched per packet: IPv4 total length
//! and checksum (incremental from the template's partial sum), TOS/TTL
//! when inherited, UDP length and source port (from a hash of the inner
//! flow, for RSS entropy on the receiver), and the optional UDP or GRE
//! checksum.
use super::{geneve, gre, vxlan, TunnelKind};
use crate::actions::{Checksum, DropReason, PacketBuf};
use crate::parse::{L3Kind, PacketLayout};

const ETH_LEN: usize = 14;
const IP_LEN: usize = 20;
const UDP_LEN: usize = 8;
/// The longest outer header: Ethernet + IPv4 + UDP + VXLAN (50), or
/// Ethernet + IPv4 + GRE with checksum and key (46).
pub const MAX_HEADER_LEN: usize = ETH_LEN + IP_LEN + UDP_LEN + vxlan::HEADER_LEN;
/// UDP source ports come from this range (49152..=65535, IANA's dynamic
/// ports), like Linux's default for VXLAN.
const SRC_PORT_BASE: u16 = 0xc000;

/// What an outer header is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelSpec {
    pub kind: TunnelKind,
    pub src_mac: [u8; 6],
    /// The next hop's MAC; None while ARP has not resolved it (packets are
    /// then counted drops, `tunnel_no_neighbour`).
    pub dst_mac: Option<[u8; 6]>,
    /// Host order.
    pub src_ip: u32,
    pub dst_ip: u32,
    /// None: copy the inner IPv4 packet's (0 for non-IPv4).
    pub tos: Option<u8>,
    /// None: copy the inner IPv4 packet's (64 for non-IPv4).
    pub ttl: Option<u8>,
    pub df: bool,
    /// UDP checksum (VXLAN) or GRE checksum.
    pub csum: bool,
    /// VNI (24 bits) or GRE key (32 bits); GRE without a key when None.
    pub key: Option<u64>,
    /// VXLAN's UDP destination port.
    pub dst_port: u16,
    /// Largest outer IPv4 packet (the underlay MTU).
    pub mtu: u16,
}

/// A prebuilt outer header, ready to be patched and prepended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelHeader {
    pub spec: TunnelSpec,
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
    /// One's-complement sum of the IPv4 header words with total length,
    /// checksum (and inherited TOS/TTL) zero.
    ip_partial: u32,
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

impl TunnelHeader {
    pub fn build(spec: &TunnelSpec) -> Self {
        let mut b = [0u8; MAX_HEADER_LEN];
        b[0..6].copy_from_slice(&spec.dst_mac.unwrap_or_default());
        b[6..12].copy_from_slice(&spec.src_mac);
        b[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        let ip = ETH_LEN;
        b[ip] = 0x45;
        b[ip + 1] = spec.tos.unwrap_or(0);
        if spec.df {
            b[ip + 6] = 0x40;
        }
        b[ip + 8] = spec.ttl.unwrap_or(0);
        b[ip + 12..ip + 16].copy_from_slice(&spec.src_ip.to_be_bytes());
        b[ip + 16..ip + 20].copy_from_slice(&spec.dst_ip.to_be_bytes());
        let l4 = ip + IP_LEN;
        let len = match spec.kind {
            TunnelKind::Vxlan => {
                b[ip + 9] = 17;
                b[l4 + 2..l4 + 4].copy_from_slice(&spec.dst_port.to_be_bytes());
                let vni = spec.key.unwrap_or(0) as u32;
                b[l4 + UDP_LEN..l4 + UDP_LEN + vxlan::HEADER_LEN]
                    .copy_from_slice(&vxlan::emit(vni));
                l4 + UDP_LEN + vxlan::HEADER_LEN
            }
            TunnelKind::Geneve => {
                b[ip + 9] = 17;
                b[l4 + 2..l4 + 4].copy_from_slice(&spec.dst_port.to_be_bytes());
                let vni = spec.key.unwrap_or(0) as u32;
                b[l4 + UDP_LEN..l4 + UDP_LEN + geneve::HEADER_LEN]
                    .copy_from_slice(&geneve::emit(vni));
                l4 + UDP_LEN + geneve::HEADER_LEN
            }
            TunnelKind::Gre => {
                b[ip + 9] = gre::IP_PROTO;
                let hl = gre::header_len(spec.csum, spec.key.is_some());
                gre::emit(&mut b[l4..l4 + hl], spec.csum, spec.key.map(|k| k as u32));
                l4 + hl
            }
        };
        let ip_partial = b[ip..ip + IP_LEN]
            .chunks_exact(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        TunnelHeader {
            spec: *spec,
            bytes: b,
            len: len as u8,
            ip_partial,
        }
    }

    /// The template bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the outer IPv4 packet adds to an inner frame.
    pub fn overhead(&self) -> usize {
        self.len() - ETH_LEN
    }
}

/// A hash of the inner flow (IPv4 addresses and L4 ports, else the
/// Ethernet addresses) for the UDP source port.
fn flow_hash(d: &[u8], layout: &PacketLayout) -> u32 {
    let word = |at: usize| {
        d.get(at..at + 4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut h: u32 = 0x9e37_79b9;
    let mut mix = |w: u32| h = (h ^ w).wrapping_mul(0x0100_0193).rotate_left(13);
    if layout.l3 == L3Kind::Ipv4 {
        let l3 = usize::from(layout.l3_ofs);
        mix(word(l3 + 12));
        mix(word(l3 + 16));
        mix(u32::from(layout.l4_proto));
        if matches!(layout.l4_proto, 6 | 17 | 132) {
            mix(word(usize::from(layout.l4_ofs)));
        }
    } else {
        mix(word(0));
        mix(word(4));
        mix(word(8));
    }
    h ^ (h >> 16)
}

/// Prepends `h` (patched for this packet) in front of the inner frame
/// `pkt`, whose headers `layout` locates. Fails, changing nothing, when
/// the neighbour is unresolved, the outer packet would exceed the MTU
/// (we drop rather than fragment) or there is no headroom.
pub fn push<P: PacketBuf>(
    h: &TunnelHeader,
    pkt: &mut P,
    layout: &PacketLayout,
) -> Result<(), DropReason> {
    let s = &h.spec;
    if s.dst_mac.is_none() {
        return Err(DropReason::TunnelNoNeighbour);
    }
    // The whole packet (all segments); the checksums below cover the first
    // segment only, which is the whole packet for every mbuf the ports
    // here produce (data room 2176 > MTU).
    let inner_len = pkt.pkt_len() as usize;
    let ip_total = inner_len + h.overhead();
    if ip_total > usize::from(s.mtu) {
        return Err(DropReason::TunnelTooBig);
    }
    let ip_total = ip_total as u16;
    let (mut tos, mut ttl) = (0u8, 64u8);
    if layout.l3 == L3Kind::Ipv4 && (s.tos.is_none() || s.ttl.is_none()) {
        let l3 = usize::from(layout.l3_ofs);
        let d = pkt.data();
        tos = d.get(l3 + 1).copied().unwrap_or(0);
        ttl = d.get(l3 + 8).copied().unwrap_or(64);
    }
    let hash = if s.kind != TunnelKind::Gre {
        flow_hash(pkt.data(), layout)
    } else {
        0
    };
    let hl = h.len();
    if !pkt.insert(0, hl) {
        return Err(DropReason::NoRoom);
    }
    let d = pkt.data_mut();
    let Some(hdr) = d.get_mut(..hl) else {
        return Err(DropReason::NoRoom);
    };
    hdr.copy_from_slice(h.bytes());
    let ip = ETH_LEN;
    hdr[ip + 2..ip + 4].copy_from_slice(&ip_total.to_be_bytes());
    let mut sum = h.ip_partial + u32::from(ip_total);
    if s.tos.is_none() {
        hdr[ip + 1] = tos;
        sum += u32::from(tos);
    }
    if s.ttl.is_none() {
        hdr[ip + 8] = ttl;
        sum += u32::from(ttl) << 8;
    }
    hdr[ip + 10..ip + 12].copy_from_slice(&(!fold(sum)).to_be_bytes());
    let l4 = ip + IP_LEN;
    let l4_len = usize::from(ip_total) - IP_LEN;
    match s.kind {
        TunnelKind::Vxlan | TunnelKind::Geneve => {
            let sport = SRC_PORT_BASE | (hash as u16 & 0x3fff);
            hdr[l4..l4 + 2].copy_from_slice(&sport.to_be_bytes());
            hdr[l4 + 4..l4 + 6].copy_from_slice(&(l4_len as u16).to_be_bytes());
            if s.csum {
                let mut c = Checksum::new();
                c.add(&s.src_ip.to_be_bytes());
                c.add(&s.dst_ip.to_be_bytes());
                c.add(&[0, 17]);
                c.add(&(l4_len as u16).to_be_bytes());
                c.add(d.get(l4..).unwrap_or_default());
                // 0 means "no checksum" in UDP: send all ones instead.
                let v = match c.finish() {
                    0 => 0xffff,
                    v => v,
                };
                if let Some(f) = d.get_mut(l4 + 6..l4 + 8) {
                    f.copy_from_slice(&v.to_be_bytes());
                }
            }
        }
        TunnelKind::Gre => {
            if s.csum {
                let mut c = Checksum::new();
                c.add(d.get(l4..).unwrap_or_default());
                let v = c.finish();
                if let Some(f) = d.get_mut(l4 + 4..l4 + 6) {
                    f.copy_from_slice(&v.to_be_bytes());
                }
            }
        }
    }
    Ok(())
}

/// A VXLAN-style outer header description for tests (192.168.50.1 to
/// .2, key 42, port 4789), of any `kind`.
#[cfg(test)]
pub(crate) fn example_spec(kind: TunnelKind) -> TunnelSpec {
    TunnelSpec {
        kind,
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: Some([2, 0, 0, 0, 0, 2]),
        src_ip: 0xc0a8_3201,
        dst_ip: 0xc0a8_3202,
        tos: Some(0),
        ttl: Some(64),
        df: true,
        csum: false,
        key: Some(42),
        dst_port: 4789,
        mtu: 1500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{internet_checksum, VecPacket};
    use crate::flow::FlowKey;
    use crate::parse::{parse, PacketMeta};
    use crate::tunnel::{classify, Ingress, TunnelDp};

    const LOCAL: u32 = 0xc0a8_3201;
    const REMOTE: u32 = 0xc0a8_3202;

    fn spec(kind: TunnelKind) -> TunnelSpec {
        let s = example_spec(kind);
        assert_eq!((s.src_ip, s.dst_ip), (LOCAL, REMOTE));
        s
    }

    /// An inner UDP/IPv4 frame with TOS 0x10 and TTL 33.
    fn inner(payload: usize, sport: u16) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 0xb, 0x02, 0, 0, 0, 0, 0xa, 0x08, 0x00];
        let total = (20 + 8 + payload) as u16;
        let mut ip = vec![
            0x45, 0x10, 0, 0, 0, 0, 0, 0, 33, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        let c = internet_checksum(&[&ip]);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&[0, 53]);
        f.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend(std::iter::repeat_n(0x5a, payload));
        f
    }

    fn encap(s: &TunnelSpec, frame: &[u8]) -> Result<Vec<u8>, DropReason> {
        let mut key = FlowKey::ZERO;
        let (layout, _) = parse(frame, &PacketMeta::default(), &mut key);
        let mut p = VecPacket::new(frame);
        push(&TunnelHeader::build(s), &mut p, &layout)?;
        Ok(p.to_vec())
    }

    #[test]
    fn vxlan_header_fields_and_checksums() {
        let f = inner(10, 1000);
        let mut s = spec(TunnelKind::Vxlan);
        s.csum = true;
        let out = encap(&s, &f).unwrap();
        assert_eq!(out.len(), f.len() + 50);
        assert_eq!(&out[50..], &f[..]);
        let ip = &out[14..34];
        assert_eq!(
            usize::from(u16::from_be_bytes([ip[2], ip[3]])),
            out.len() - 14
        );
        assert_eq!(internet_checksum(&[ip]), 0, "outer IPv4 checksum");
        assert_eq!(ip[6], 0x40, "DF");
        assert_eq!(ip[8], 64);
        let udp = &out[34..];
        assert!(u16::from_be_bytes([udp[0], udp[1]]) >= 0xc000);
        assert_eq!(u16::from_be_bytes([udp[2], udp[3]]), 4789);
        assert_eq!(usize::from(u16::from_be_bytes([udp[4], udp[5]])), udp.len());
        let mut pseudo = ip[12..20].to_vec();
        pseudo.extend_from_slice(&[0, 17]);
        pseudo.extend_from_slice(&(udp.len() as u16).to_be_bytes());
        assert_eq!(internet_checksum(&[&pseudo, udp]), 0, "UDP checksum");
        assert_eq!(&udp[8..16], &vxlan::emit(42));
        // Decap of our own output gives back the inner frame.
        let t = TunnelDp::new(
            0,
            REMOTE,
            vec![crate::tunnel::DecapPort {
                kind: TunnelKind::Vxlan,
                ofport: 3,
                dst_port: 4789,
                key: Some(42),
                remote: Some(LOCAL),
            }],
        );
        match classify(&t, &out) {
            Ingress::Decap { meta, outer_len } => {
                assert_eq!((meta.in_port, meta.tun_id), (3, 42));
                assert_eq!(&out[usize::from(outer_len)..], &f[..]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn geneve_round_trip_next_to_vxlan() {
        let f = inner(20, 5);
        let mut s = spec(TunnelKind::Geneve);
        s.dst_port = geneve::DEFAULT_PORT;
        s.key = Some(0x12_3456);
        let out = encap(&s, &f).unwrap();
        assert_eq!(out.len(), f.len() + 50);
        assert_eq!(u16::from_be_bytes([out[36], out[37]]), 6081);
        assert_eq!(&out[42..50], &geneve::emit(0x12_3456));
        assert_eq!(internet_checksum(&[&out[14..34]]), 0);
        let port = |kind, ofport, dst_port| crate::tunnel::DecapPort {
            kind,
            ofport,
            dst_port,
            key: None,
            remote: None,
        };
        let t = TunnelDp::new(
            0,
            REMOTE,
            vec![
                port(TunnelKind::Vxlan, 3, 4789),
                port(TunnelKind::Geneve, 4, 6081),
            ],
        );
        match classify(&t, &out) {
            Ingress::Decap { meta, outer_len } => {
                assert_eq!((meta.in_port, meta.tun_id), (4, 0x12_3456));
                assert_eq!(&out[usize::from(outer_len)..], &f[..]);
            }
            other => panic!("{other:?}"),
        }
        // Critical options: a counted drop; every prefix is safe.
        let mut crit = out.clone();
        crit[43] = 0x40;
        assert_eq!(
            classify(&t, &crit),
            Ingress::Drop(DropReason::TunnelUnsupported)
        );
        for n in 0..out.len() {
            let _ = classify(&t, &out[..n]);
        }
    }

    #[test]
    fn source_port_follows_the_inner_flow() {
        let s = spec(TunnelKind::Vxlan);
        let sport = |p| {
            let o = encap(&s, &inner(4, p)).unwrap();
            u16::from_be_bytes([o[34], o[35]])
        };
        assert_eq!(sport(1000), sport(1000));
        let distinct: std::collections::HashSet<u16> = (1000..1016).map(sport).collect();
        assert!(distinct.len() > 8, "{distinct:?}");
    }

    #[test]
    fn inherited_tos_ttl_and_ip_checksum_patch() {
        let mut s = spec(TunnelKind::Vxlan);
        s.tos = None;
        s.ttl = None;
        s.df = false;
        for payload in [0, 1, 200, 1000] {
            let out = encap(&s, &inner(payload, 7)).unwrap();
            let ip = &out[14..34];
            assert_eq!((ip[1], ip[8], ip[6]), (0x10, 33, 0));
            assert_eq!(internet_checksum(&[ip]), 0);
        }
    }

    #[test]
    fn gre_with_key_and_checksum() {
        let f = inner(11, 9);
        let mut s = spec(TunnelKind::Gre);
        s.csum = true;
        s.key = Some(0x0102_0304);
        let out = encap(&s, &f).unwrap();
        assert_eq!(out.len(), f.len() + 14 + 20 + 12);
        assert_eq!(out[23], 47);
        let g = gre::GrePacket::new_checked(&out[34..]).unwrap();
        assert_eq!(g.key(), Some(0x0102_0304));
        assert_eq!(g.payload(), &f[..]);
        assert_eq!(internet_checksum(&[&out[34..]]), 0);
        // Without key or checksum: 4 bytes of GRE.
        s.csum = false;
        s.key = None;
        let out = encap(&s, &f).unwrap();
        assert_eq!(&out[34..38], &[0, 0, 0x65, 0x58]);
    }

    #[test]
    fn mtu_neighbour_and_headroom() {
        let mut s = spec(TunnelKind::Vxlan);
        // 1450 bytes of inner frame + 36 = 1486 + 14 of outer IP/UDP/VXLAN.
        let ok = inner(1450 - 14 - 28, 1);
        assert_eq!(ok.len() + 36, 1486);
        s.mtu = 1486;
        assert!(encap(&s, &ok).is_ok());
        s.mtu = 1485;
        assert_eq!(encap(&s, &ok), Err(DropReason::TunnelTooBig));
        s.dst_mac = None;
        assert_eq!(encap(&s, &ok), Err(DropReason::TunnelNoNeighbour));
        let f = inner(4, 1);
        let mut p = VecPacket::with_headroom(&f, 20);
        let before = p.to_vec();
        assert_eq!(
            push(
                &TunnelHeader::build(&spec(TunnelKind::Vxlan)),
                &mut p,
                &PacketLayout::default()
            ),
            Err(DropReason::NoRoom)
        );
        assert_eq!(p.to_vec(), before);
    }
}
