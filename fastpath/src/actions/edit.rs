//! In-place header rewrites for the executor: set-field, TTL, DSCP
//! remarking, with incremental checksum updates.
//!
//! Every function takes the packet's bytes and the parser's
//! [`PacketLayout`], and trusts neither: an offset outside the bytes, a
//! version nibble that does not match, or an L4 header the bytes do not
//! hold whole makes the header "absent", and the edit a no-op. Nothing here
//! allocates, locks, or can panic (all accesses go through `get`/`get_mut`).

use super::csum;
use crate::flow::Field;
use crate::parse::{L3Kind, PacketLayout};

/// Ethernet addresses before the first TPID/ethertype.
pub(crate) const ETH_ADDRS_LEN: usize = 12;
/// One 802.1Q/802.1ad tag.
pub(crate) const VLAN_TAG_LEN: usize = 4;

const IPV4_HDR_LEN: usize = 20;
const IPV6_HDR_LEN: usize = 40;
const TCP_HDR_LEN: usize = 20;
const UDP_HDR_LEN: usize = 8;
const SCTP_HDR_LEN: usize = 12;
/// ICMP type, code and checksum (all the executor touches).
const ICMP_HDR_LEN: usize = 4;
/// ICMPv6 header, reserved/flags word and target address of an NS/NA.
const ND_HDR_LEN: usize = 24;
const ARP_ETH_IPV4_LEN: usize = 28;

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
const PROTO_SCTP: u8 = 132;

const ND_NEIGHBOR_SOLICIT: u8 = 135;
const ND_NEIGHBOR_ADVERT: u8 = 136;
const ND_OPT_SLL: u8 = 1;
const ND_OPT_TLL: u8 = 2;

/// Bounds on header-chain walks, so a crafted packet cannot make one long.
const MAX_IPV6_EXT_HEADERS: usize = 16;
const MAX_ND_OPTIONS: usize = 32;

// ---------------------------------------------------------------------------
// Checked byte access.

#[inline]
pub(crate) fn rd<const N: usize>(d: &[u8], at: usize) -> Option<[u8; N]> {
    d.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[inline]
pub(crate) fn wr<const N: usize>(d: &mut [u8], at: usize, v: [u8; N]) -> bool {
    let Some(end) = at.checked_add(N) else {
        return false;
    };
    match d.get_mut(at..end) {
        Some(s) => match <&mut [u8; N]>::try_from(s) {
            Ok(a) => {
                *a = v;
                true
            }
            Err(_) => false,
        },
        None => false,
    }
}

#[inline]
pub(crate) fn rd16(d: &[u8], at: usize) -> Option<u16> {
    rd::<2>(d, at).map(u16::from_be_bytes)
}

#[inline]
fn byte(d: &[u8], at: usize) -> Option<u8> {
    d.get(at).copied()
}

/// The 48-bit value `v` as a MAC address.
#[inline]
fn mac_bytes(v: u128) -> [u8; 6] {
    let b = (v as u64).to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// Replaces the 16-bit checksum at `at` after the covered words `old`
/// became `new`. With `udp`, a zero checksum means "none" and stays zero,
/// and a computed zero is sent as 0xffff (RFC 768).
#[inline]
fn fix_csum(d: &mut [u8], at: usize, old: &[u8], new: &[u8], udp: bool) {
    let Some(c) = rd16(d, at) else {
        return;
    };
    if udp && c == 0 {
        return;
    }
    let mut n = csum::update(c, old, new);
    if udp && n == 0 {
        n = 0xffff;
    }
    wr(d, at, n.to_be_bytes());
}

// ---------------------------------------------------------------------------
// Locating headers.

/// Offset of a plausible IPv4 header (version 4, IHL ≥ 5, 20 bytes there).
fn ipv4(d: &[u8], lay: &PacketLayout) -> Option<usize> {
    if lay.l3 != L3Kind::Ipv4 {
        return None;
    }
    let l3 = usize::from(lay.l3_ofs);
    let vihl = rd::<IPV4_HDR_LEN>(d, l3)?[0];
    (vihl >> 4 == 4 && vihl & 0xf >= 5).then_some(l3)
}

/// Offset of a plausible IPv6 header (version 6, 40 bytes there).
fn ipv6(d: &[u8], lay: &PacketLayout) -> Option<usize> {
    if lay.l3 != L3Kind::Ipv6 {
        return None;
    }
    let l3 = usize::from(lay.l3_ofs);
    let v = rd::<IPV6_HDR_LEN>(d, l3)?[0];
    (v >> 4 == 6).then_some(l3)
}

/// Where the transport header is, when the bytes hold one the executor may
/// edit: the layout names it, the IP header agrees, and the packet is not
/// a later fragment.
#[derive(Debug, Clone, Copy)]
struct L4 {
    ofs: usize,
    proto: u8,
    /// End of the IP payload, clamped to the bytes present.
    end: usize,
    /// The whole IP payload is in the bytes (needed for SCTP's CRC).
    whole: bool,
    /// A first fragment (more fragments follow).
    fragmented: bool,
    /// IPv6 with a routing header still to visit: the pseudo-header uses
    /// the final destination, not the IPv6 destination address.
    routed: bool,
}

impl L4 {
    /// The header of `proto`, when at least `len` bytes of it are there.
    fn header(self, proto: u8, len: usize) -> Option<Self> {
        (self.proto == proto && self.ofs.checked_add(len)? <= self.end).then_some(self)
    }
}

fn l4(d: &[u8], lay: &PacketLayout) -> Option<L4> {
    if lay.l4_proto == 0 {
        return None;
    }
    let ofs = usize::from(lay.l4_ofs);
    match lay.l3 {
        L3Kind::Ipv4 => {
            let l3 = ipv4(d, lay)?;
            let h = rd::<IPV4_HDR_LEN>(d, l3)?;
            let ihl = usize::from(h[0] & 0xf) * 4;
            let frag = u16::from_be_bytes([h[6], h[7]]);
            if frag & 0x1fff != 0 || h[9] != lay.l4_proto || ofs != l3 + ihl {
                return None;
            }
            let ip_end = l3 + usize::from(u16::from_be_bytes([h[2], h[3]]));
            Some(L4 {
                ofs,
                proto: lay.l4_proto,
                end: ip_end.min(d.len()),
                whole: ip_end <= d.len() && ip_end >= ofs,
                fragmented: frag & 0x2000 != 0,
                routed: false,
            })
        }
        L3Kind::Ipv6 => {
            let l3 = ipv6(d, lay)?;
            let h = rd::<IPV6_HDR_LEN>(d, l3)?;
            let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
            let mut nh = h[6];
            let mut at = l3 + IPV6_HDR_LEN;
            let mut fragmented = false;
            let mut routed = false;
            let mut found = false;
            for _ in 0..MAX_IPV6_EXT_HEADERS {
                if at == ofs {
                    found = nh == lay.l4_proto;
                    break;
                }
                if at > ofs {
                    break;
                }
                match nh {
                    // Hop-by-hop, routing, destination options, mobility,
                    // HIP, shim6: length in 8-byte units, not counting the
                    // first 8.
                    0 | 43 | 60 | 135 | 139 | 140 => {
                        let e = rd::<4>(d, at)?;
                        if nh == 43 && e[3] != 0 {
                            routed = true;
                        }
                        nh = e[0];
                        at += (usize::from(e[1]) + 1) * 8;
                    }
                    // Fragment.
                    44 => {
                        let e = rd::<8>(d, at)?;
                        let off = u16::from_be_bytes([e[2], e[3]]);
                        if off & 0xfff8 != 0 {
                            return None;
                        }
                        fragmented = off & 1 != 0;
                        nh = e[0];
                        at += 8;
                    }
                    // Authentication header: length in 4-byte units, minus 2.
                    51 => {
                        let e = rd::<2>(d, at)?;
                        nh = e[0];
                        at += (usize::from(e[1]) + 2) * 4;
                    }
                    _ => break,
                }
            }
            if !found {
                return None;
            }
            // A zero payload length is a jumbogram: its end is unknown here.
            let ip_end = l3 + IPV6_HDR_LEN + plen;
            let whole = plen != 0 && ip_end <= d.len() && ip_end >= ofs;
            Some(L4 {
                ofs,
                proto: lay.l4_proto,
                end: if plen == 0 {
                    d.len()
                } else {
                    ip_end.min(d.len())
                },
                whole,
                fragmented,
                routed,
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Edits.

/// Writes header field `field` (a value as the flow key holds it: right
/// aligned) into the packet, when the packet has that header. Metadata and
/// fields set-field cannot write are ignored.
pub(crate) fn set_field(d: &mut [u8], lay: &PacketLayout, field: Field, value: u128) {
    let value = value & field.max_value();
    match field {
        Field::EthDst => {
            wr(d, 0, mac_bytes(value));
        }
        Field::EthSrc => {
            wr(d, 6, mac_bytes(value));
        }
        // The VID of the outermost tag (the value carries OFPVID_PRESENT,
        // which is dropped). Without a tag this is a no-op: OpenFlow leaves
        // set-field on an absent header undefined, and translation pushes
        // a tag first when it wants one.
        Field::VlanVid => set_tci(d, lay, 0x0fff, value as u16 & 0x0fff),
        Field::VlanPcp => set_tci(d, lay, 0xe000, (value as u16 & 7) << 13),
        Field::IpDscp => set_traffic_class(d, lay, 0xfc, (value as u8 & 0x3f) << 2),
        Field::IpEcn => set_traffic_class(d, lay, 0x03, value as u8 & 0x03),
        Field::NwTtl => set_ttl(d, lay, value as u8),
        Field::Ipv4Src => set_ipv4_addr(d, lay, 12, (value as u32).to_be_bytes()),
        Field::Ipv4Dst => set_ipv4_addr(d, lay, 16, (value as u32).to_be_bytes()),
        Field::Ipv6Src => set_ipv6_addr(d, lay, 8, value.to_be_bytes(), false),
        Field::Ipv6Dst => set_ipv6_addr(d, lay, 24, value.to_be_bytes(), true),
        Field::Ipv6Label => set_ipv6_label(d, lay, value as u32),
        Field::TcpSrc => set_port(d, lay, PROTO_TCP, 0, value as u16),
        Field::TcpDst => set_port(d, lay, PROTO_TCP, 2, value as u16),
        Field::UdpSrc => set_port(d, lay, PROTO_UDP, 0, value as u16),
        Field::UdpDst => set_port(d, lay, PROTO_UDP, 2, value as u16),
        Field::SctpSrc => set_sctp_port(d, lay, 0, value as u16),
        Field::SctpDst => set_sctp_port(d, lay, 2, value as u16),
        Field::Icmpv4Type => set_icmp(d, lay, false, 0, value as u8),
        Field::Icmpv4Code => set_icmp(d, lay, false, 1, value as u8),
        Field::Icmpv6Type => set_icmp(d, lay, true, 0, value as u8),
        Field::Icmpv6Code => set_icmp(d, lay, true, 1, value as u8),
        Field::ArpOp => set_arp(d, lay, 6, &(value as u16).to_be_bytes()),
        Field::ArpSha => set_arp(d, lay, 8, &mac_bytes(value)),
        Field::ArpSpa => set_arp(d, lay, 14, &(value as u32).to_be_bytes()),
        Field::ArpTha => set_arp(d, lay, 18, &mac_bytes(value)),
        Field::ArpTpa => set_arp(d, lay, 24, &(value as u32).to_be_bytes()),
        Field::Ipv6NdTarget => set_nd_target(d, lay, value.to_be_bytes()),
        Field::Ipv6NdSll => set_nd_ll(d, lay, ND_NEIGHBOR_SOLICIT, ND_OPT_SLL, mac_bytes(value)),
        Field::Ipv6NdTll => set_nd_ll(d, lay, ND_NEIGHBOR_ADVERT, ND_OPT_TLL, mac_bytes(value)),
        // Metadata, registers and tunnel fields are translation's business;
        // the rest are not settable. Never reach here from translation.
        Field::InPort
        | Field::Metadata
        | Field::Reg0
        | Field::Reg1
        | Field::Reg2
        | Field::Reg3
        | Field::Reg4
        | Field::Reg5
        | Field::Reg6
        | Field::Reg7
        | Field::TunnelId
        | Field::TunIpv4Src
        | Field::TunIpv4Dst
        | Field::EthType
        | Field::VlanOuterTci
        | Field::IpProto
        | Field::IpFrag
        | Field::TcpFlags => {}
    }
}

/// Sets the `mask` bits of the outermost tag's TCI to `bits`.
fn set_tci(d: &mut [u8], lay: &PacketLayout, mask: u16, bits: u16) {
    if lay.vlan_tags == 0 {
        return;
    }
    let at = ETH_ADDRS_LEN + 2;
    if let Some(tci) = rd16(d, at) {
        wr(d, at, ((tci & !mask) | (bits & mask)).to_be_bytes());
    }
}

/// Sets the `mask` bits of the IPv4 TOS / IPv6 traffic class to `bits`.
fn set_traffic_class(d: &mut [u8], lay: &PacketLayout, mask: u8, bits: u8) {
    if let Some(l3) = ipv4(d, lay) {
        let Some(old) = rd::<2>(d, l3) else {
            return;
        };
        let new = [old[0], (old[1] & !mask) | (bits & mask)];
        if new != old {
            wr(d, l3, new);
            fix_csum(d, l3 + 10, &old, &new, false);
        }
    } else if let Some(l3) = ipv6(d, lay) {
        let Some(old) = rd::<4>(d, l3) else {
            return;
        };
        let w = u32::from_be_bytes(old);
        let mask = u32::from(mask) << 20;
        let w = (w & !mask) | ((u32::from(bits) << 20) & mask);
        wr(d, l3, w.to_be_bytes());
    }
}

/// The packet's DSCP, when it is IP.
fn dscp(d: &[u8], lay: &PacketLayout) -> Option<u8> {
    if let Some(l3) = ipv4(d, lay) {
        Some(byte(d, l3 + 1)? >> 2)
    } else {
        let l3 = ipv6(d, lay)?;
        let w = u32::from_be_bytes(rd::<4>(d, l3)?);
        Some(((w >> 22) & 0x3f) as u8)
    }
}

/// A meter's DSCP-remark band: raises the drop precedence of an Assured
/// Forwarding codepoint (AFxy, RFC 2597: class x in 1..=4, drop precedence
/// y in 1..=3) by `prec_level`, saturating at 3 (high). Other codepoints
/// (best effort, class selectors, EF) have no drop precedence and are left
/// alone, as the OpenFlow reference switch does.
pub(crate) fn remark_dscp(d: &mut [u8], lay: &PacketLayout, prec_level: u8) {
    let Some(dscp) = dscp(d, lay) else {
        return;
    };
    let class = dscp >> 3;
    let drop = (dscp >> 1) & 3;
    if !(1..=4).contains(&class) || dscp & 1 != 0 || drop == 0 {
        return;
    }
    let drop = drop.saturating_add(prec_level).min(3);
    set_traffic_class(d, lay, 0xfc, ((class << 3) | (drop << 1)) << 2);
}

/// Sets the IPv4 TTL / IPv6 hop limit.
pub(crate) fn set_ttl(d: &mut [u8], lay: &PacketLayout, ttl: u8) {
    if let Some(l3) = ipv4(d, lay) {
        let Some(old) = rd::<2>(d, l3 + 8) else {
            return;
        };
        let new = [ttl, old[1]];
        if new != old {
            wr(d, l3 + 8, new);
            fix_csum(d, l3 + 10, &old, &new, false);
        }
    } else if let Some(l3) = ipv6(d, lay) {
        wr(d, l3 + 7, [ttl]);
    }
}

/// What [`dec_ttl`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TtlOutcome {
    Decremented,
    /// The TTL was 0 or 1: the packet must be dropped.
    Expired,
    /// Not an IP packet: nothing to do.
    NotIp,
}

/// Decrements the IPv4 TTL / IPv6 hop limit.
pub(crate) fn dec_ttl(d: &mut [u8], lay: &PacketLayout) -> TtlOutcome {
    let at = if let Some(l3) = ipv4(d, lay) {
        l3 + 8
    } else if let Some(l3) = ipv6(d, lay) {
        l3 + 7
    } else {
        return TtlOutcome::NotIp;
    };
    match byte(d, at) {
        Some(ttl) if ttl > 1 => {
            set_ttl(d, lay, ttl - 1);
            TtlOutcome::Decremented
        }
        Some(_) => TtlOutcome::Expired,
        None => TtlOutcome::NotIp,
    }
}

fn set_ipv4_addr(d: &mut [u8], lay: &PacketLayout, ofs: usize, new: [u8; 4]) {
    let Some(l3) = ipv4(d, lay) else {
        return;
    };
    let at = l3 + ofs;
    let Some(old) = rd::<4>(d, at) else {
        return;
    };
    if old == new {
        return;
    }
    wr(d, at, new);
    fix_csum(d, l3 + 10, &old, &new, false);
    // The TCP and UDP checksums cover the addresses (pseudo-header).
    let Some(l4) = l4(d, lay) else {
        return;
    };
    if let Some(t) = l4.header(PROTO_TCP, TCP_HDR_LEN) {
        fix_csum(d, t.ofs + 16, &old, &new, false);
    } else if let Some(u) = l4.header(PROTO_UDP, UDP_HDR_LEN) {
        fix_csum(d, u.ofs + 6, &old, &new, true);
    }
}

fn set_ipv6_addr(d: &mut [u8], lay: &PacketLayout, ofs: usize, new: [u8; 16], is_dst: bool) {
    let Some(l3) = ipv6(d, lay) else {
        return;
    };
    let at = l3 + ofs;
    let Some(old) = rd::<16>(d, at) else {
        return;
    };
    if old == new {
        return;
    }
    wr(d, at, new);
    let Some(l4) = l4(d, lay) else {
        return;
    };
    if is_dst && l4.routed {
        return;
    }
    if let Some(t) = l4.header(PROTO_TCP, TCP_HDR_LEN) {
        fix_csum(d, t.ofs + 16, &old, &new, false);
    } else if let Some(u) = l4.header(PROTO_UDP, UDP_HDR_LEN) {
        // A zero UDP checksum over IPv6 is invalid (RFC 8200) except for
        // tunnels that allow it (RFC 6935); either way it is left alone.
        fix_csum(d, u.ofs + 6, &old, &new, true);
    } else if let Some(i) = l4.header(PROTO_ICMPV6, ICMP_HDR_LEN) {
        fix_csum(d, i.ofs + 2, &old, &new, false);
    }
}

fn set_ipv6_label(d: &mut [u8], lay: &PacketLayout, label: u32) {
    let Some(l3) = ipv6(d, lay) else {
        return;
    };
    if let Some(old) = rd::<4>(d, l3) {
        let w = (u32::from_be_bytes(old) & 0xfff0_0000) | (label & 0x000f_ffff);
        wr(d, l3, w.to_be_bytes());
    }
}

/// TCP or UDP source (`which` 0) or destination (2) port.
fn set_port(d: &mut [u8], lay: &PacketLayout, proto: u8, which: usize, port: u16) {
    let (hdr_len, csum_ofs) = if proto == PROTO_TCP {
        (TCP_HDR_LEN, 16)
    } else {
        (UDP_HDR_LEN, 6)
    };
    let Some(t) = l4(d, lay).and_then(|l| l.header(proto, hdr_len)) else {
        return;
    };
    let at = t.ofs + which;
    let Some(old) = rd::<2>(d, at) else {
        return;
    };
    let new = port.to_be_bytes();
    if old == new {
        return;
    }
    wr(d, at, new);
    fix_csum(d, t.ofs + csum_ofs, &old, &new, proto == PROTO_UDP);
}

/// SCTP port. The CRC32c covers the whole SCTP packet, so it is recomputed
/// over it, OVS-style: `new = old ^ crc(before) ^ crc(after)`, which keeps
/// a wrong checksum wrong (a corrupt packet is not made to look good). On
/// a fragment, or when the payload is not all in the first segment, the
/// CRC cannot be computed here and is left as it was.
fn set_sctp_port(d: &mut [u8], lay: &PacketLayout, which: usize, port: u16) {
    let Some(s) = l4(d, lay).and_then(|l| l.header(PROTO_SCTP, SCTP_HDR_LEN)) else {
        return;
    };
    let at = s.ofs + which;
    let Some(old) = rd::<2>(d, at) else {
        return;
    };
    let new = port.to_be_bytes();
    if old == new {
        return;
    }
    let crc_at = s.ofs + 8;
    let fix = s.whole && !s.fragmented;
    let old_crc = match rd::<4>(d, crc_at) {
        Some(c) if fix => c,
        _ => {
            wr(d, at, new);
            return;
        }
    };
    wr(d, crc_at, [0; 4]);
    let before = d.get(s.ofs..s.end).map_or(0, csum::crc32c);
    wr(d, at, new);
    let after = d.get(s.ofs..s.end).map_or(0, csum::crc32c);
    let delta = (before ^ after).to_le_bytes();
    wr(
        d,
        crc_at,
        [
            old_crc[0] ^ delta[0],
            old_crc[1] ^ delta[1],
            old_crc[2] ^ delta[2],
            old_crc[3] ^ delta[3],
        ],
    );
}

/// ICMPv4 / ICMPv6 type (`which` 0) or code (1).
fn set_icmp(d: &mut [u8], lay: &PacketLayout, v6: bool, which: usize, v: u8) {
    let proto = if v6 { PROTO_ICMPV6 } else { PROTO_ICMP };
    let Some(i) = l4(d, lay).and_then(|l| l.header(proto, ICMP_HDR_LEN)) else {
        return;
    };
    let Some(old) = rd::<2>(d, i.ofs) else {
        return;
    };
    let new = if which == 0 { [v, old[1]] } else { [old[0], v] };
    if new == old {
        return;
    }
    wr(d, i.ofs, new);
    fix_csum(d, i.ofs + 2, &old, &new, false);
    // RFC 1624 eqn. 3 yields 0x0000 where a full computation gives 0xffff
    // only when the covered data is all zeros, which (no pseudo-header)
    // an ICMPv4 message can be: an echo reply with id, seq and data zero.
    if !v6 && i.whole && !i.fragmented && rd16(d, i.ofs + 2) == Some(0) {
        let all_zero = d
            .get(i.ofs..i.end)
            .is_some_and(|m| m.iter().all(|&b| b == 0));
        if all_zero {
            wr(d, i.ofs + 2, [0xff, 0xff]);
        }
    }
}

/// ARP (Ethernet/IPv4) field at `ofs` from the ARP header.
fn set_arp(d: &mut [u8], lay: &PacketLayout, ofs: usize, v: &[u8]) {
    if lay.l3 != L3Kind::Arp {
        return;
    }
    let l3 = usize::from(lay.l3_ofs);
    let Some(h) = rd::<ARP_ETH_IPV4_LEN>(d, l3) else {
        return;
    };
    // ptype IPv4, hlen 6, plen 4: the fixed offsets hold.
    if h[2] != 0x08 || h[3] != 0x00 || h[4] != 6 || h[5] != 4 {
        return;
    }
    let at = l3 + ofs;
    if let Some(dst) = at.checked_add(v.len()).and_then(|end| d.get_mut(at..end)) {
        dst.copy_from_slice(v);
    }
}

/// The ICMPv6 header of an NS/NA with a whole target address, and its type.
fn nd(d: &[u8], lay: &PacketLayout) -> Option<(L4, u8)> {
    ipv6(d, lay)?;
    let i = l4(d, lay)?.header(PROTO_ICMPV6, ND_HDR_LEN)?;
    let ty = byte(d, i.ofs)?;
    (ty == ND_NEIGHBOR_SOLICIT || ty == ND_NEIGHBOR_ADVERT).then_some((i, ty))
}

fn set_nd_target(d: &mut [u8], lay: &PacketLayout, new: [u8; 16]) {
    let Some((i, _)) = nd(d, lay) else {
        return;
    };
    let at = i.ofs + 8;
    let Some(old) = rd::<16>(d, at) else {
        return;
    };
    if old != new {
        wr(d, at, new);
        fix_csum(d, i.ofs + 2, &old, &new, false);
    }
}

/// The link-layer address in the first ND option of type `opt` (SLL in an
/// NS, TLL in an NA), modified in place; no-op when there is none.
fn set_nd_ll(d: &mut [u8], lay: &PacketLayout, icmp_type: u8, opt: u8, new: [u8; 6]) {
    let Some((i, ty)) = nd(d, lay) else {
        return;
    };
    if ty != icmp_type {
        return;
    }
    let mut at = i.ofs + ND_HDR_LEN;
    for _ in 0..MAX_ND_OPTIONS {
        let Some([t, len]) = rd::<2>(d, at) else {
            return;
        };
        let olen = usize::from(len) * 8;
        if len == 0 || at + olen > i.end {
            return;
        }
        if t == opt && len == 1 {
            let Some(old) = rd::<6>(d, at + 2) else {
                return;
            };
            if old != new {
                wr(d, at + 2, new);
                // Options start 8-byte aligned in the message, so the
                // address is 16-bit aligned for the checksum.
                fix_csum(d, i.ofs + 2, &old, &new, false);
            }
            return;
        }
        at += olen;
    }
}
