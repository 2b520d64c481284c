//! Test packets built by hand from a [`Spec`], with every checksum computed
//! from scratch, and [`verify`], an independent parser that recomputes
//! every checksum and reports where the headers are. For the executor's
//! tests and other pipeline tests in this crate.
#![allow(clippy::indexing_slicing)]

use super::csum::{crc32c, internet_checksum};
use crate::parse::{L3Kind, PacketLayout};

pub(crate) const TPID_8021Q: u16 = 0x8100;
pub(crate) const TPID_8021AD: u16 = 0x88a8;

/// An Ethernet frame, described field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    /// (TPID, TCI), outermost first.
    pub vlans: Vec<(u16, u16)>,
    pub l3: L3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum L3 {
    Ipv4(Ipv4),
    Ipv6(Ipv6),
    Arp(Arp),
    Other { ethertype: u16, payload: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ipv4 {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub dscp: u8,
    pub ecn: u8,
    pub ttl: u8,
    pub id: u16,
    /// Flags and fragment offset (0x4000 DF, 0x2000 MF, low 13 bits offset).
    pub frag: u16,
    /// Options (a multiple of 4 bytes).
    pub options: Vec<u8>,
    pub l4: L4,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ipv6 {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub dscp: u8,
    pub ecn: u8,
    pub label: u32,
    pub hlim: u8,
    /// A hop-by-hop options header (8 bytes of padding) first.
    pub hbh: bool,
    /// A fragment header with this offset/flags word (offset << 3 | M).
    pub frag: Option<u16>,
    pub l4: L4,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arp {
    pub op: u16,
    pub sha: [u8; 6],
    pub spa: [u8; 4],
    pub tha: [u8; 6],
    pub tpa: [u8; 4],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum L4 {
    Tcp {
        src: u16,
        dst: u16,
        payload: Vec<u8>,
    },
    Udp {
        src: u16,
        dst: u16,
        payload: Vec<u8>,
        /// Send a zero ("no") checksum.
        zero_csum: bool,
    },
    Sctp {
        src: u16,
        dst: u16,
        payload: Vec<u8>,
    },
    /// ICMPv4 over IPv4, ICMPv6 over IPv6: type, code, then everything
    /// after the checksum.
    Icmp {
        ty: u8,
        code: u8,
        body: Vec<u8>,
    },
    Raw {
        proto: u8,
        payload: Vec<u8>,
    },
}

impl L4 {
    pub fn proto(&self, v6: bool) -> u8 {
        match self {
            L4::Tcp { .. } => 6,
            L4::Udp { .. } => 17,
            L4::Sctp { .. } => 132,
            L4::Icmp { .. } if v6 => 58,
            L4::Icmp { .. } => 1,
            L4::Raw { proto, .. } => *proto,
        }
    }
}

impl Ipv4 {
    pub fn later_fragment(&self) -> bool {
        self.frag & 0x1fff != 0
    }
}

impl Ipv6 {
    pub fn later_fragment(&self) -> bool {
        self.frag.is_some_and(|f| f & 0xfff8 != 0)
    }
}

// ---------------------------------------------------------------------------
// Ready-made specs.

pub(crate) const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
pub(crate) const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];
pub(crate) const IP4_A: [u8; 4] = [10, 0, 0, 1];
pub(crate) const IP4_B: [u8; 4] = [192, 168, 1, 20];
pub(crate) const IP6_A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub(crate) const IP6_B: [u8; 16] = [
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55,
];

pub(crate) fn eth(l3: L3) -> Spec {
    Spec {
        dst: MAC_B,
        src: MAC_A,
        vlans: Vec::new(),
        l3,
    }
}

pub(crate) fn ipv4(l4: L4) -> Spec {
    eth(L3::Ipv4(Ipv4 {
        src: IP4_A,
        dst: IP4_B,
        dscp: 0,
        ecn: 0,
        ttl: 64,
        id: 0x1234,
        frag: 0x4000,
        options: Vec::new(),
        l4,
    }))
}

pub(crate) fn ipv6(l4: L4) -> Spec {
    eth(L3::Ipv6(Ipv6 {
        src: IP6_A,
        dst: IP6_B,
        dscp: 0,
        ecn: 0,
        label: 0x12345,
        hlim: 64,
        hbh: false,
        frag: None,
        l4,
    }))
}

pub(crate) fn tcp(src: u16, dst: u16) -> L4 {
    L4::Tcp {
        src,
        dst,
        payload: b"GET / HTTP/1.0\r\n\r\n".to_vec(),
    }
}

pub(crate) fn udp(src: u16, dst: u16) -> L4 {
    L4::Udp {
        src,
        dst,
        payload: b"hello, udp".to_vec(),
        zero_csum: false,
    }
}

pub(crate) fn sctp(src: u16, dst: u16) -> L4 {
    // An INIT-like chunk: type 1, flags 0, length 20.
    L4::Sctp {
        src,
        dst,
        payload: vec![
            1, 0, 0, 20, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0xff, 0xff, 0, 10, 0, 10, 0, 0, 0, 1,
        ],
    }
}

pub(crate) fn icmp_echo() -> L4 {
    L4::Icmp {
        ty: 8,
        code: 0,
        body: vec![0x12, 0x34, 0, 1, b'p', b'i', b'n', b'g', b'!'],
    }
}

/// An ICMPv6 neighbour solicitation (135) or advertisement (136) for
/// `target`, with a source (1) or target (2) link-layer address option.
pub(crate) fn nd(ty: u8, target: [u8; 16], opt: Option<(u8, [u8; 6])>) -> L4 {
    let mut body = vec![0u8; 4];
    if ty == 136 {
        body[0] = 0x60; // solicited, override
    }
    body.extend_from_slice(&target);
    if let Some((t, mac)) = opt {
        body.extend_from_slice(&[t, 1]);
        body.extend_from_slice(&mac);
    }
    L4::Icmp { ty, code: 0, body }
}

pub(crate) fn arp(op: u16) -> Spec {
    eth(L3::Arp(Arp {
        op,
        sha: MAC_A,
        spa: IP4_A,
        tha: [0; 6],
        tpa: IP4_B,
    }))
}

// ---------------------------------------------------------------------------
// Building.

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// The L4 segment with its checksum, given the pseudo-header (None: the
/// checksum is not computed, as in a later fragment's payload).
fn build_l4(l4: &L4, pseudo: Option<&[u8]>, v6: bool) -> Vec<u8> {
    let mut s = Vec::new();
    let csum_at = match l4 {
        L4::Tcp { src, dst, payload } => {
            put16(&mut s, *src);
            put16(&mut s, *dst);
            s.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
            s.extend_from_slice(payload);
            16
        }
        L4::Udp {
            src,
            dst,
            payload,
            zero_csum,
        } => {
            put16(&mut s, *src);
            put16(&mut s, *dst);
            put16(&mut s, (8 + payload.len()) as u16);
            put16(&mut s, 0);
            s.extend_from_slice(payload);
            if *zero_csum {
                return s;
            }
            6
        }
        L4::Sctp { src, dst, payload } => {
            put16(&mut s, *src);
            put16(&mut s, *dst);
            s.extend_from_slice(&[0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0]);
            s.extend_from_slice(payload);
            if pseudo.is_some() {
                let crc = crc32c(&s).to_le_bytes();
                s[8..12].copy_from_slice(&crc);
            }
            return s;
        }
        L4::Icmp { ty, code, body } => {
            s.extend_from_slice(&[*ty, *code, 0, 0]);
            s.extend_from_slice(body);
            2
        }
        L4::Raw { payload, .. } => return payload.clone(),
    };
    let Some(pseudo) = pseudo else {
        return s;
    };
    let with_pseudo = !matches!(l4, L4::Icmp { .. }) || v6;
    let mut c = if with_pseudo {
        internet_checksum(&[pseudo, &s])
    } else {
        internet_checksum(&[&s])
    };
    if c == 0 && matches!(l4, L4::Udp { .. }) {
        c = 0xffff;
    }
    s[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());
    s
}

fn pseudo4(src: &[u8; 4], dst: &[u8; 4], proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(src);
    p.extend_from_slice(dst);
    p.extend_from_slice(&[0, proto]);
    put16(&mut p, len as u16);
    p
}

fn pseudo6(src: &[u8; 16], dst: &[u8; 16], nh: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(src);
    p.extend_from_slice(dst);
    p.extend_from_slice(&(len as u32).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, nh]);
    p
}

/// The frame and the layout a parser would report for it. Frames are
/// padded so that without their VLAN tags they are 60 bytes at least, so
/// pushing and popping tags does not change the padding.
pub(crate) fn build(spec: &Spec) -> (Vec<u8>, PacketLayout) {
    let mut f = Vec::new();
    f.extend_from_slice(&spec.dst);
    f.extend_from_slice(&spec.src);
    for &(tpid, tci) in &spec.vlans {
        put16(&mut f, tpid);
        put16(&mut f, tci);
    }
    let l3_ofs = f.len() + 2;
    let mut layout = PacketLayout {
        l3_ofs: l3_ofs as u16,
        vlan_tags: spec.vlans.len() as u8,
        ..PacketLayout::default()
    };
    match &spec.l3 {
        L3::Ipv4(h) => {
            put16(&mut f, 0x0800);
            let proto = h.l4.proto(false);
            let ihl = 20 + h.options.len();
            let l4_len = build_l4(&h.l4, None, false).len();
            let pseudo = pseudo4(&h.src, &h.dst, proto, l4_len);
            let seg = build_l4(&h.l4, (!h.later_fragment()).then_some(&pseudo[..]), false);
            let mut ip = vec![0x40 | (ihl / 4) as u8, (h.dscp << 2) | (h.ecn & 3)];
            put16(&mut ip, (ihl + seg.len()) as u16);
            put16(&mut ip, h.id);
            put16(&mut ip, h.frag);
            ip.extend_from_slice(&[h.ttl, proto, 0, 0]);
            ip.extend_from_slice(&h.src);
            ip.extend_from_slice(&h.dst);
            ip.extend_from_slice(&h.options);
            let c = internet_checksum(&[&ip]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            layout.l3 = L3Kind::Ipv4;
            layout.l4_ofs = (l3_ofs + ihl) as u16;
            layout.l4_proto = proto;
            f.extend_from_slice(&ip);
            f.extend_from_slice(&seg);
        }
        L3::Ipv6(h) => {
            put16(&mut f, 0x86dd);
            let proto = h.l4.proto(true);
            let l4_len = build_l4(&h.l4, None, true).len();
            let pseudo = pseudo6(&h.src, &h.dst, proto, l4_len);
            let seg = build_l4(&h.l4, (!h.later_fragment()).then_some(&pseudo[..]), true);
            // Extension headers, each naming the next.
            let mut chain: Vec<(u8, Vec<u8>)> = Vec::new();
            if h.hbh {
                chain.push((0, vec![0, 0, 1, 4, 0, 0, 0, 0]));
            }
            if let Some(fr) = h.frag {
                let mut e = vec![0, 0];
                put16(&mut e, fr);
                e.extend_from_slice(&[0xca, 0xfe, 0xba, 0xbe]);
                chain.push((44, e));
            }
            let first_nh = chain.first().map_or(proto, |c| c.0);
            let mut ext = Vec::new();
            for (i, (_, bytes)) in chain.iter().enumerate() {
                let mut b = bytes.clone();
                b[0] = chain.get(i + 1).map_or(proto, |c| c.0);
                ext.extend_from_slice(&b);
            }
            let tc = (u32::from(h.dscp) << 2) | u32::from(h.ecn & 3);
            let w = (6u32 << 28) | (tc << 20) | (h.label & 0xfffff);
            f.extend_from_slice(&w.to_be_bytes());
            put16(&mut f, (ext.len() + seg.len()) as u16);
            f.extend_from_slice(&[first_nh, h.hlim]);
            f.extend_from_slice(&h.src);
            f.extend_from_slice(&h.dst);
            layout.l3 = L3Kind::Ipv6;
            layout.l4_ofs = (l3_ofs + 40 + ext.len()) as u16;
            layout.l4_proto = proto;
            f.extend_from_slice(&ext);
            f.extend_from_slice(&seg);
        }
        L3::Arp(a) => {
            put16(&mut f, 0x0806);
            f.extend_from_slice(&[0, 1, 8, 0, 6, 4]);
            put16(&mut f, a.op);
            f.extend_from_slice(&a.sha);
            f.extend_from_slice(&a.spa);
            f.extend_from_slice(&a.tha);
            f.extend_from_slice(&a.tpa);
            layout.l3 = L3Kind::Arp;
        }
        L3::Other { ethertype, payload } => {
            put16(&mut f, *ethertype);
            f.extend_from_slice(payload);
        }
    }
    let untagged = f.len() - 4 * spec.vlans.len();
    if untagged < 60 {
        f.resize(f.len() + 60 - untagged, 0);
    }
    (f, layout)
}

// ---------------------------------------------------------------------------
// Verifying.

fn be16(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|x| u16::from_be_bytes([x[0], x[1]]))
        .ok_or_else(|| format!("truncated at {at}"))
}

fn check_l4(proto: u8, seg: &[u8], pseudo: &[u8], v6: bool, frag: bool) -> Result<(), String> {
    let ok = |what: &str, good: bool| {
        if good {
            Ok(())
        } else {
            Err(format!("bad {what} checksum"))
        }
    };
    match proto {
        6 if seg.len() >= 20 => ok("TCP", internet_checksum(&[pseudo, seg]) == 0),
        17 if seg.len() >= 8 => {
            if seg[6..8] == [0, 0] {
                Ok(())
            } else {
                ok("UDP", internet_checksum(&[pseudo, seg]) == 0)
            }
        }
        132 if seg.len() >= 12 && !frag => {
            let mut z = seg.to_vec();
            z[8..12].copy_from_slice(&[0; 4]);
            ok("SCTP", crc32c(&z).to_le_bytes() == seg[8..12])
        }
        1 if !v6 && seg.len() >= 4 => ok("ICMP", internet_checksum(&[seg]) == 0),
        58 if v6 && seg.len() >= 4 => ok("ICMPv6", internet_checksum(&[pseudo, seg]) == 0),
        _ => Ok(()),
    }
}

/// Parses `frame` independently of the executor, checks every checksum
/// from scratch (IPv4 header, TCP, UDP unless zero, SCTP unless
/// fragmented, ICMP, ICMPv6; not for later fragments) and returns where
/// the headers are, as [`build`] reports them.
pub(crate) fn verify(frame: &[u8]) -> Result<PacketLayout, String> {
    let mut at = 12;
    let mut tags = 0u8;
    let mut et = be16(frame, at)?;
    while et == TPID_8021Q || et == TPID_8021AD {
        at += 4;
        tags += 1;
        et = be16(frame, at)?;
    }
    let l3 = at + 2;
    let mut layout = PacketLayout {
        l3_ofs: l3 as u16,
        vlan_tags: tags,
        ..PacketLayout::default()
    };
    match et {
        0x0800 => {
            let ihl = usize::from(frame.get(l3).ok_or("no IPv4")? & 0xf) * 4;
            let hdr = frame.get(l3..l3 + ihl).ok_or("short IPv4")?;
            if internet_checksum(&[hdr]) != 0 {
                return Err("bad IPv4 header checksum".into());
            }
            let total = usize::from(be16(frame, l3 + 2)?);
            let frag = be16(frame, l3 + 6)?;
            let proto = hdr[9];
            let seg = frame
                .get(l3 + ihl..l3 + total)
                .ok_or("short IPv4 payload")?;
            layout.l3 = L3Kind::Ipv4;
            layout.l4_ofs = (l3 + ihl) as u16;
            layout.l4_proto = proto;
            if frag & 0x1fff == 0 {
                let src: [u8; 4] = hdr[12..16].try_into().unwrap();
                let dst: [u8; 4] = hdr[16..20].try_into().unwrap();
                let pseudo = pseudo4(&src, &dst, proto, seg.len());
                check_l4(proto, seg, &pseudo, false, frag & 0x2000 != 0)?;
            }
        }
        0x86dd => {
            let hdr = frame.get(l3..l3 + 40).ok_or("short IPv6")?;
            let plen = usize::from(be16(hdr, 4)?);
            let mut nh = hdr[6];
            let mut ofs = l3 + 40;
            let mut later = false;
            let mut fragmented = false;
            while matches!(nh, 0 | 43 | 44 | 60) {
                let e = frame.get(ofs..ofs + 8).ok_or("short extension header")?;
                if nh == 44 {
                    let off = u16::from_be_bytes([e[2], e[3]]);
                    later = off & 0xfff8 != 0;
                    fragmented = true;
                    ofs += 8;
                } else {
                    ofs += (usize::from(e[1]) + 1) * 8;
                }
                nh = e[0];
            }
            let seg = frame.get(ofs..l3 + 40 + plen).ok_or("short IPv6 payload")?;
            layout.l3 = L3Kind::Ipv6;
            layout.l4_ofs = ofs as u16;
            layout.l4_proto = nh;
            if !later {
                let src: [u8; 16] = hdr[8..24].try_into().unwrap();
                let dst: [u8; 16] = hdr[24..40].try_into().unwrap();
                let pseudo = pseudo6(&src, &dst, nh, seg.len());
                check_l4(nh, seg, &pseudo, true, fragmented)?;
            }
        }
        0x0806 => {
            frame.get(l3..l3 + 28).ok_or("short ARP")?;
            layout.l3 = L3Kind::Arp;
        }
        _ => {}
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes worked out by hand, so that `build` and `verify` are not only
    /// checked against each other.
    #[test]
    fn build_matches_hand_computed_bytes() {
        let (f, layout) = build(&ipv4(udp(1234, 53)));
        assert_eq!(f.len(), 60);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(&f[14..24], &[0x45, 0, 0, 38, 0x12, 0x34, 0x40, 0, 64, 17]);
        // Sum of the header words with a zero checksum:
        // 4500+0026+1234+4000+4011+0a00+0001+c0a8+0114 = 0x1a328 -> a329.
        assert_eq!(&f[24..26], &[0x5c, 0xd6]);
        // UDP: pseudo-header 0a00+0001+c0a8+0114+0011+0012, header
        // 04d2+0035+0012, payload "hello, udp" = 6865+6c6c+6f2c+2075+6470:
        // sum 0x99dd, checksum 0x6622.
        assert_eq!(
            &f[34..42],
            &[0x04, 0xd2, 0x00, 0x35, 0x00, 0x12, 0x66, 0x22]
        );
        assert_eq!(
            layout,
            PacketLayout {
                l3_ofs: 14,
                l3: L3Kind::Ipv4,
                l4_ofs: 34,
                l4_proto: 17,
                vlan_tags: 0
            }
        );
        assert_eq!(verify(&f), Ok(layout));
        // Corrupting any byte of the UDP segment is noticed.
        let mut bad = f.clone();
        bad[45] ^= 1;
        assert!(verify(&bad).is_err());
    }

    #[test]
    fn every_kind_verifies() {
        let mut tagged = ipv4(tcp(1, 2));
        tagged.vlans = vec![(TPID_8021AD, 0x2064), (TPID_8021Q, 0x0005)];
        let specs = [
            ipv4(tcp(1000, 80)),
            ipv4(udp(1, 2)),
            ipv4(sctp(5000, 6000)),
            ipv4(icmp_echo()),
            ipv6(tcp(1000, 80)),
            ipv6(udp(1, 2)),
            ipv6(sctp(1, 2)),
            ipv6(icmp_echo()),
            ipv6(nd(135, IP6_B, Some((1, MAC_A)))),
            arp(1),
            tagged,
        ];
        for s in &specs {
            let (f, layout) = build(s);
            assert_eq!(verify(&f), Ok(layout), "{s:?}");
        }
    }
}
