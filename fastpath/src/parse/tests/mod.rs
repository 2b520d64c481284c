//! Driver-level parser tests, one file per subject; this file holds the
//! shared helpers and the table of golden packets built by scapy (see
//! `testdata.rs`).

mod golden;
mod malformed;
mod proptests;
mod truncation;

use super::testdata::{self as td, hex};
use super::*;
use crate::flow::{Field as F, FlowKey, FIELDS};
use std::net::{Ipv4Addr, Ipv6Addr};

const META: PacketMeta = PacketMeta {
    in_port: 7,
    tun_id: 0xfeed_0000_beef,
    tun_src: 0xc0a8_0001,
    tun_dst: 0xc0a8_0002,
};

/// Parses into a key full of garbage (the parser must zero it).
fn run(pkt: &[u8]) -> (FlowKey, PacketLayout, Result<(), ParseError>) {
    let mut key = FlowKey::ALL;
    let (layout, res) = parse(pkt, &META, &mut key);
    (key, layout, res)
}

fn run_hex(h: &str) -> (FlowKey, PacketLayout, Result<(), ParseError>) {
    run(&hex(h))
}

fn ip4(s: &str) -> u128 {
    u128::from(u32::from(s.parse::<Ipv4Addr>().unwrap()))
}

fn ip6(s: &str) -> u128 {
    u128::from(s.parse::<Ipv6Addr>().unwrap())
}

fn mac(s: &str) -> u128 {
    u128::from_str_radix(&s.replace(':', ""), 16).unwrap()
}

/// Asserts `key` holds exactly `want` plus [`META`]: every other field is
/// 0 unless it shares storage with a listed one.
#[track_caller]
fn assert_fields(key: &FlowKey, want: &[(F, u128)]) {
    let mut all = vec![
        (F::InPort, u128::from(META.in_port)),
        (F::TunnelId, u128::from(META.tun_id)),
        (F::TunIpv4Src, u128::from(META.tun_src)),
        (F::TunIpv4Dst, u128::from(META.tun_dst)),
    ];
    all.extend_from_slice(want);
    for d in FIELDS {
        match all.iter().find(|(f, _)| *f == d.field) {
            Some(&(_, v)) => assert_eq!(key.get(d.field), v, "{} in {key:?}", d.name),
            None => {
                if !all.iter().any(|(f, _)| f.def().shares_storage_with(d)) {
                    assert_eq!(key.get(d.field), 0, "{} in {key:?}", d.name);
                }
            }
        }
    }
}

fn lay(l3_ofs: u16, l3: L3Kind, l4_ofs: u16, l4_proto: u8, vlan_tags: u8) -> PacketLayout {
    PacketLayout {
        l3_ofs,
        l3,
        l4_ofs,
        l4_proto,
        vlan_tags,
    }
}

fn eth(dst: &str, src: &str, ty: u128) -> Vec<(F, u128)> {
    vec![
        (F::EthDst, mac(dst)),
        (F::EthSrc, mac(src)),
        (F::EthType, ty),
    ]
}

/// The Ethernet addresses most golden packets use.
fn eth_std(ty: u128) -> Vec<(F, u128)> {
    eth("00:11:22:33:44:55", "66:77:88:99:aa:bb", ty)
}

fn with(mut a: Vec<(F, u128)>, b: &[(F, u128)]) -> Vec<(F, u128)> {
    a.extend_from_slice(b);
    a
}

/// IPv4 fields: addresses, protocol, TTL, DSCP, ECN, frag.
fn v4(src: &str, dst: &str, proto: u128, ttl: u128, tos: u128, frag: u128) -> Vec<(F, u128)> {
    vec![
        (F::Ipv4Src, ip4(src)),
        (F::Ipv4Dst, ip4(dst)),
        (F::IpProto, proto),
        (F::NwTtl, ttl),
        (F::IpDscp, tos >> 2),
        (F::IpEcn, tos & 3),
        (F::IpFrag, frag),
    ]
}

/// IPv6 fields: addresses, final protocol, hop limit, traffic class,
/// label, frag.
fn v6(
    src: &str,
    dst: &str,
    proto: u128,
    hlim: u128,
    tc: u128,
    label: u128,
    frag: u128,
) -> Vec<(F, u128)> {
    vec![
        (F::Ipv6Src, ip6(src)),
        (F::Ipv6Dst, ip6(dst)),
        (F::IpProto, proto),
        (F::NwTtl, hlim),
        (F::IpDscp, tc >> 2),
        (F::IpEcn, tc & 3),
        (F::Ipv6Label, label),
        (F::IpFrag, frag),
    ]
}

/// Every golden packet and the length from which it parses without error:
/// the end of the IP datagram for IP packets (a cut anywhere in it is an
/// error: in the cut header, or `Truncated(Ipv4/Ipv6)` when only payload
/// is missing), the end of the last parsed header otherwise.
const GOLDEN: &[(&str, &str, Option<usize>)] = &[
    ("TCP4", td::TCP4, None),
    ("UDP4", td::UDP4, None),
    ("SCTP4", td::SCTP4, None),
    ("ICMP4_ECHO", td::ICMP4_ECHO, None),
    ("ICMP4_UNREACH", td::ICMP4_UNREACH, None),
    ("ARP_REQUEST", td::ARP_REQUEST, Some(42)),
    ("ARP_REPLY", td::ARP_REPLY, Some(42)),
    ("TCP6", td::TCP6, None),
    ("UDP6", td::UDP6, None),
    ("IPV6_HBH_FRAG", td::IPV6_HBH_FRAG, None),
    ("IPV6_LATER_FRAG", td::IPV6_LATER_FRAG, None),
    ("IPV6_RT_DST_AH", td::IPV6_RT_DST_AH, None),
    ("IPV6_ESP", td::IPV6_ESP, None),
    ("ICMP6_NS", td::ICMP6_NS, None),
    ("ICMP6_NA", td::ICMP6_NA, None),
    ("ICMP6_ECHO", td::ICMP6_ECHO, None),
    ("VLAN1", td::VLAN1, None),
    ("VLAN2", td::VLAN2, None),
    ("VLAN3", td::VLAN3, Some(22)),
    ("VLAN_ARP", td::VLAN_ARP, Some(46)),
    ("IPV4_FIRST_FRAG", td::IPV4_FIRST_FRAG, None),
    ("IPV4_LATER_FRAG", td::IPV4_LATER_FRAG, None),
    ("IPV4_TINY_FRAG", td::IPV4_TINY_FRAG, None),
    ("IPV4_OPTIONS", td::IPV4_OPTIONS, None),
    ("IPV4_PADDED", td::IPV4_PADDED, Some(54)),
    ("IPV4_GRE", td::IPV4_GRE, None),
    ("LLC", td::LLC, Some(14)),
    ("LLDP_TYPE", td::LLDP_TYPE, Some(14)),
];
