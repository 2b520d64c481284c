//! The common case in one pass: an untagged Ethernet frame carrying a
//! complete, unfragmented IPv4 datagram without options, with a UDP or TCP
//! header. One length check up front, then whole key words are built in
//! registers instead of field by field. Anything else (VLAN tags, options,
//! fragments, other protocols, any inconsistency) returns `None` and goes
//! through the general parser, so this path only has to be right on what
//! it accepts; a test checks it gives exactly the general parser's key and
//! layout there.
use super::{array_ref, ip_proto, tcp, L3Kind, PacketLayout, PacketMeta};
use crate::flow::{Field, FlowKey, FLOW_WORDS};

const ETH_LEN: usize = 14;
const IP_LEN: usize = 20;
const UDP_LEN: usize = 8;
const TCP_LEN: usize = 20;

/// `v` placed at `f`'s position in its word.
#[inline(always)]
const fn at(f: Field, v: u64) -> u64 {
    v << f.slot().1
}

/// `f`'s word index.
#[inline(always)]
const fn word(f: Field) -> usize {
    f.slot().0
}

#[inline(always)]
fn be16(b: &[u8], i: usize) -> u64 {
    match (b.get(i), b.get(i + 1)) {
        (Some(&h), Some(&l)) => u64::from(u16::from_be_bytes([h, l])),
        _ => 0,
    }
}

/// 4 bytes at `i` as one big-endian load (0 if out of range, which the
/// callers' fixed offsets into fixed-size arrays rule out).
#[inline(always)]
fn be32(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 4)
        .and_then(|x| <[u8; 4]>::try_from(x).ok())
        .map_or(0, |x| u64::from(u32::from_be_bytes(x)))
}

/// 8 bytes at `i` as one little-endian load (as `be32`).
#[inline(always)]
fn le64(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8)
        .and_then(|x| <[u8; 8]>::try_from(x).ok())
        .map_or(0, u64::from_le_bytes)
}

/// 8 bytes at `i` as one big-endian load (as `be32`).
#[inline(always)]
fn be64(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8)
        .and_then(|x| <[u8; 8]>::try_from(x).ok())
        .map_or(0, u64::from_be_bytes)
}

/// Parses `pkt` into `key` and `layout` if it is the common case (see the
/// module docs); `false` leaves `key` in an unspecified state for the
/// general parser to overwrite (and `layout` untouched).
#[inline(always)]
pub(super) fn parse_ipv4_l4(
    pkt: &[u8],
    meta: &PacketMeta,
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> bool {
    let Some(l) = fast_l4(pkt, meta, key) else {
        return false;
    };
    layout.l3_ofs = ETH_LEN as u16;
    layout.l3 = L3Kind::Ipv4;
    layout.l4_ofs = l.0;
    layout.l4_proto = l.1;
    layout.vlan_tags = 0;
    true
}

/// Whether `pkt` is the common case this module parses (then the general
/// parser accepts it too): the check alone, for packets whose megaflow is
/// already known and need no key.
#[inline(always)]
pub(super) fn is_ipv4_l4(pkt: &[u8]) -> bool {
    // A UDP packet in two word loads and compares; anything else the long
    // way (a test below checks both agree with `common_case`).
    let Some(h) = array_ref::<{ ETH_LEN + IP_LEN + UDP_LEN }>(pkt) else {
        return false;
    };
    // Bytes 12-19: EtherType, version and header length (the low three
    // bytes); 16-23: total length (the low two), then the MF flag and
    // fragment offset (but for DF and the reserved bit) and the protocol.
    let (q12, q16) = (le64(h, 12), le64(h, 16));
    let total = (q16 as u16).swap_bytes();
    let udp = (q12 & 0x00ff_ffff == 0x0045_0008)
        & (q16 & 0xff00_ff3f_0000_0000 == u64::from(ip_proto::UDP) << 56)
        & (total >= (IP_LEN + UDP_LEN) as u16)
        & (usize::from(total) <= pkt.len() - ETH_LEN);
    udp || common_case(pkt).is_some()
}

/// Whether `pkt` parses exactly as `prev` did (the same key, layout and
/// result), from a compare of their bytes: `prev_layout` is an untagged
/// IPv4 header without options followed by UDP or TCP, both packets have
/// the same length, and every byte the parse reads is equal. The IP
/// identification and checksum, the UDP checksum and TCP's sequence and
/// acknowledgement numbers, window, checksum and urgent pointer may
/// differ: no key field or check uses them (the bytes after the compared
/// words are not compared). (A test checks the claim on random
/// mutations.)
#[inline(always)]
pub(super) fn same_l4_flow(prev: &[u8], prev_layout: &PacketLayout, pkt: &[u8]) -> bool {
    let l = prev_layout;
    if pkt.len() != prev.len()
        || l.l3 != L3Kind::Ipv4
        || usize::from(l.l3_ofs) != ETH_LEN
        || usize::from(l.l4_ofs) != ETH_LEN + IP_LEN
        || l.vlan_tags != 0
    {
        return false;
    }
    // Bytes 0-15 whole; 16-23 but for the identification (18-19); 24-31
    // but for the checksum (24-25); then the transport header.
    let d = |a: &[u8], b: &[u8], i: usize| le64(a, i) ^ le64(b, i);
    let ip = |a: &[u8], b: &[u8]| {
        d(a, b, 0)
            | d(a, b, 8)
            | (d(a, b, 16) & 0xffff_ffff_0000_ffff)
            | (d(a, b, 24) & 0xffff_ffff_ffff_0000)
    };
    match l.l4_proto {
        // Addresses' tail, ports and length (32-39).
        ip_proto::UDP => match (array_ref::<40>(prev), array_ref::<40>(pkt)) {
            (Some(a), Some(b)) => ip(a, b) | d(a, b, 32) == 0,
            _ => false,
        },
        // Addresses' tail and ports (32-37), data offset and flags (46-47).
        ip_proto::TCP => match (array_ref::<48>(prev), array_ref::<48>(pkt)) {
            (Some(a), Some(b)) => {
                ip(a, b)
                    | (d(a, b, 32) & 0x0000_ffff_ffff_ffff)
                    | (d(a, b, 40) & 0xffff_0000_0000_0000)
                    == 0
            }
            _ => false,
        },
        _ => false,
    }
}

/// The checks: the first header bytes, the IP protocol and (source port,
/// destination port, TCP flags) when `pkt` is the common case.
#[inline(always)]
fn common_case(pkt: &[u8]) -> Option<(&[u8; ETH_LEN + IP_LEN + UDP_LEN], u8, [u64; 3])> {
    let h = array_ref::<{ ETH_LEN + IP_LEN + UDP_LEN }>(pkt)?;
    // EtherType 0x0800 and version 4 with a 20-byte header (bytes 12-14),
    // compared as one word; then the MF flag and fragment offset (bytes
    // 20-21 but for the DF and reserved bits): not a fragment.
    let w12 = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    let frag = u16::from_le_bytes([h[20], h[21]]);
    let total = usize::from(u16::from_be_bytes([h[16], h[17]]));
    if w12 & 0x00ff_ffff != 0x0045_0008 || frag & 0xff3f != 0 || total > pkt.len() - ETH_LEN {
        return None;
    }
    let proto = h[23];
    let l4 = ETH_LEN + IP_LEN;
    let ports = match proto {
        ip_proto::UDP if total >= IP_LEN + UDP_LEN => [be16(h, l4), be16(h, l4 + 2), 0],
        ip_proto::TCP => {
            let t = array_ref::<{ ETH_LEN + IP_LEN + TCP_LEN }>(pkt)?;
            let hl = usize::from(t[l4 + 12] >> 4) * 4;
            if hl < TCP_LEN || total < IP_LEN + hl {
                return None;
            }
            let flags = be16(t, l4 + 12) & u64::from(tcp::flags::MASK);
            [be16(t, l4), be16(t, l4 + 2), flags]
        }
        _ => return None,
    };
    Some((h, proto, ports))
}

/// The key, and (l4 offset, IP protocol).
#[inline(always)]
fn fast_l4(pkt: &[u8], meta: &PacketMeta, key: &mut FlowKey) -> Option<(u16, u8)> {
    let (h, proto, [sport, dport, flags]) = common_case(pkt)?;
    let l4 = ETH_LEN + IP_LEN;
    // Whole-word loads: 8 bytes from a MAC's start, the top 6 of them.
    let mac = |i: usize| be64(h, i) >> 16;
    let tos = u64::from(h[15]);
    let w = key.words_mut();
    *w = [0; FLOW_WORDS];
    w[word(Field::InPort)] |= at(Field::InPort, u64::from(meta.in_port));
    w[word(Field::EthType)] |= at(Field::EthType, 0x0800);
    w[word(Field::EthDst)] |= at(Field::EthDst, mac(0));
    w[word(Field::EthSrc)] |= at(Field::EthSrc, mac(6));
    w[word(Field::IpProto)] |= at(Field::IpProto, u64::from(proto));
    w[word(Field::IpDscp)] |= at(Field::IpDscp, tos >> 2);
    w[word(Field::IpEcn)] |= at(Field::IpEcn, tos & 3);
    w[word(Field::NwTtl)] |= at(Field::NwTtl, u64::from(h[22]));
    w[word(Field::Ipv4Src)] |= at(Field::Ipv4Src, be32(h, 26));
    w[word(Field::Ipv4Dst)] |= at(Field::Ipv4Dst, be32(h, 30));
    // UDP and TCP ports share their slots; TCP flags are 0 for UDP.
    w[word(Field::TcpSrc)] |= at(Field::TcpSrc, sport);
    w[word(Field::TcpDst)] |= at(Field::TcpDst, dport);
    w[word(Field::TcpFlags)] |= at(Field::TcpFlags, flags);
    if meta.tun_id != 0 || meta.tun_src != 0 || meta.tun_dst != 0 {
        key.set(Field::TunnelId, u128::from(meta.tun_id));
        key.set(Field::TunIpv4Src, u128::from(meta.tun_src));
        key.set(Field::TunIpv4Dst, u128::from(meta.tun_dst));
    }
    Some((l4 as u16, proto))
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::super::{parse_frame, MAX_PACKET};
    use super::*;

    /// A small deterministic generator for the mutation tests.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// The general parser's result for `pkt`.
    fn general(pkt: &[u8], meta: &PacketMeta) -> (FlowKey, PacketLayout, bool) {
        let mut key = FlowKey::ZERO;
        key.set(Field::InPort, u128::from(meta.in_port));
        key.set(Field::TunnelId, u128::from(meta.tun_id));
        key.set(Field::TunIpv4Src, u128::from(meta.tun_src));
        key.set(Field::TunIpv4Dst, u128::from(meta.tun_dst));
        let mut layout = PacketLayout::default();
        let pkt = pkt.get(..MAX_PACKET).unwrap_or(pkt);
        let ok = parse_frame(pkt, &mut key, &mut layout).is_ok();
        (key, layout, ok)
    }

    /// Whenever the fast path accepts a packet, it agrees with the general
    /// parser exactly, and the general parser finds it valid.
    fn check(pkt: &[u8], meta: &PacketMeta) -> bool {
        let mut key = FlowKey::ALL;
        // Garbage in every field: the fast path must set them all.
        let mut layout = PacketLayout {
            l3_ofs: 0xffff,
            l3: L3Kind::Arp,
            l4_ofs: 0xffff,
            l4_proto: 0xff,
            vlan_tags: 0xff,
        };
        let accepted = parse_ipv4_l4(pkt, meta, &mut key, &mut layout);
        assert_eq!(is_ipv4_l4(pkt), accepted, "the check alone: {pkt:02x?}");
        if !accepted {
            return false;
        }
        let (gkey, glayout, ok) = general(pkt, meta);
        assert!(ok, "fast path accepted what the parser rejects: {pkt:02x?}");
        assert_eq!(key, gkey, "key of {pkt:02x?}");
        assert_eq!(layout, glayout, "layout of {pkt:02x?}");
        true
    }

    #[test]
    fn golden_udp_and_tcp_take_the_fast_path() {
        let meta = PacketMeta {
            in_port: 7,
            ..PacketMeta::default()
        };
        assert!(check(&hex(td::UDP4), &meta));
        // TCP4 has options in its TCP header (data offset 6).
        assert!(check(&hex(td::TCP4), &meta));
        let tunnel = PacketMeta {
            in_port: 3,
            tun_id: 42,
            tun_src: 0x0a00_0001,
            tun_dst: 0x0a00_0002,
        };
        assert!(check(&hex(td::UDP4), &tunnel));
    }

    /// Whenever `same_l4_flow` says two packets parse alike, they do: a
    /// UDP or TCP packet (also with Ethernet padding, as a first or a later
    /// fragment, and cut short), then random changes to a copy, biased to
    /// the bytes it lets differ.
    #[test]
    fn same_flow_packets_parse_alike() {
        let meta = PacketMeta {
            in_port: 1,
            ..PacketMeta::default()
        };
        let mut next = xorshift(0x0bad_cafe_1234_5678);
        // The bytes allowed to differ (IP id and checksum, UDP checksum,
        // TCP seq/ack/window/checksum/urgent), and the ones around them.
        let free = [
            18, 19, 24, 25, 38, 39, 40, 41, 42, 43, 44, 45, 48, 49, 50, 51, 52, 53,
        ];
        let parse = |p: &[u8]| {
            let (mut k, mut l) = (FlowKey::ZERO, PacketLayout::default());
            let ok = super::super::parse_into(p, &meta, &mut k, &mut l).is_ok();
            (k, l, ok)
        };
        let padded = {
            let mut p = hex(td::UDP4);
            p.extend_from_slice(&[0; 8]);
            p
        };
        let first_fragment = {
            let mut p = hex(td::TCP4);
            p[20] |= 0x20;
            p
        };
        let later_fragment = {
            let mut p = hex(td::UDP4);
            p[21] = 3;
            p
        };
        let bases = [
            hex(td::UDP4),
            hex(td::TCP4),
            padded,
            first_fragment,
            later_fragment,
        ];
        let (mut same, mut total) = (0, 0);
        for base in &bases {
            for _ in 0..10_000 {
                let mut base = base.clone();
                if next().is_multiple_of(8) {
                    let cut = (next() as usize) % base.len();
                    base.truncate(cut);
                }
                let (_, layout, ok) = parse(&base);
                if !ok {
                    continue;
                }
                let mut p = base.clone();
                for _ in 0..(1 + next() % 3) {
                    let r = next();
                    let i = if r & 3 != 0 {
                        free[(r >> 8) as usize % free.len()]
                    } else {
                        (r >> 8) as usize % p.len()
                    };
                    if let Some(b) = p.get_mut(i) {
                        *b = (r >> 48) as u8;
                    }
                }
                if next().is_multiple_of(16) {
                    p.pop();
                }
                total += 1;
                if same_l4_flow(&base, &layout, &p) {
                    same += 1;
                    assert_eq!(parse(&p), parse(&base), "{base:02x?} vs {p:02x?}");
                }
            }
        }
        // Both answers were exercised.
        assert!(same > total / 10 && same < total, "{same} of {total}");
        // Other shapes never qualify.
        let (_, mut other, _) = parse(&hex(td::UDP4));
        other.vlan_tags = 1;
        assert!(!same_l4_flow(&hex(td::UDP4), &other, &hex(td::UDP4)));
    }

    #[test]
    fn random_mutations_agree_with_the_general_parser() {
        let meta = PacketMeta {
            in_port: 1,
            ..PacketMeta::default()
        };
        // Bytes whose changes matter to the fast path's decisions.
        let interesting = [12, 13, 14, 16, 17, 20, 21, 23, 46, 47];
        let mut next = xorshift(0x1234_5678_9abc_def0);
        let (mut fast, mut total) = (0, 0);
        for base in [hex(td::UDP4), hex(td::TCP4)] {
            for _ in 0..20_000 {
                let mut p = base.clone();
                for _ in 0..(next() % 3) {
                    let r = next();
                    let i = if r & 1 == 0 {
                        interesting[(r >> 8) as usize % interesting.len()]
                    } else {
                        (r >> 8) as usize % p.len()
                    };
                    if i >= p.len() {
                        continue;
                    }
                    let v = match (r >> 40) % 4 {
                        0 => 0,
                        1 => 0xff,
                        2 => p[i].wrapping_add(1),
                        _ => (r >> 48) as u8,
                    };
                    p[i] = v;
                }
                if next().is_multiple_of(4) {
                    let cut = (next() as usize) % p.len();
                    p.truncate(cut);
                }
                total += 1;
                fast += usize::from(check(&p, &meta));
            }
        }
        // Both paths were exercised.
        assert!(fast > total / 10 && fast < total, "{fast} of {total}");
    }
}
