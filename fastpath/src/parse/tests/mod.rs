//! Driver-level tests: golden packets built by scapy (see `testdata.rs`)
//! with every flow-key field and the layout asserted; truncation at every
//! length; malformed headers; and property tests over arbitrary and
//! mutated packets.
use super::testdata::{self as td, hex};
use super::*;
use crate::flow::{Field as F, FlowKey, Prereq, FIELDS};
use proptest::prelude::*;
use proptest::sample::{select, Index};
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

// ---------------------------------------------------------------- golden

#[test]
fn golden_ipv4_tcp_with_flags_and_options() {
    let (key, layout, res) = run_hex(td::TCP4);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "192.168.1.254", 6, 63, 0xb9, 0));
    // flags="SAN": SYN | ACK | NS (bit 8, in the data-offset byte).
    want.extend([(F::TcpSrc, 49152), (F::TcpDst, 80), (F::TcpFlags, 0x112)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
}

#[test]
fn golden_ipv4_udp() {
    let (key, layout, res) = run_hex(td::UDP4);
    assert_eq!(res, Ok(()));
    let mut want = eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 0x0800);
    want.extend(v4("172.16.0.1", "172.16.0.2", 17, 1, 0x10, 0));
    want.extend([(F::UdpSrc, 68), (F::UdpDst, 67)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 17, 0));
}

#[test]
fn golden_ipv4_sctp() {
    let (key, layout, res) = run_hex(td::SCTP4);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 132, 64, 0, 0));
    want.extend([(F::SctpSrc, 2905), (F::SctpDst, 2944)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 132, 0));
}

#[test]
fn golden_icmpv4_echo_and_unreachable() {
    let (key, layout, res) = run_hex(td::ICMP4_ECHO);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.1.1.1", "10.1.1.2", 1, 64, 0, 0));
    want.extend([(F::Icmpv4Type, 8), (F::Icmpv4Code, 0)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 1, 0));

    // The quoted IP/UDP headers inside the error are not parsed.
    let (key, layout, res) = run_hex(td::ICMP4_UNREACH);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.1.1.2", "10.1.1.1", 1, 64, 0, 0));
    want.extend([(F::Icmpv4Type, 3), (F::Icmpv4Code, 3)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 1, 0));
}

#[test]
fn golden_arp_request_and_reply() {
    let (key, layout, res) = run_hex(td::ARP_REQUEST);
    assert_eq!(res, Ok(()));
    let want = with(
        eth("ff:ff:ff:ff:ff:ff", "00:00:5e:00:53:01", 0x0806),
        &[
            (F::ArpOp, 1),
            (F::ArpSpa, ip4("192.0.2.1")),
            (F::ArpTpa, ip4("192.0.2.2")),
            (F::ArpSha, mac("00:00:5e:00:53:01")),
            (F::ArpTha, 0),
        ],
    );
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Arp, 0, 0, 0));

    let (key, layout, res) = run_hex(td::ARP_REPLY);
    assert_eq!(res, Ok(()));
    let want = with(
        eth("00:00:5e:00:53:01", "00:00:5e:00:53:02", 0x0806),
        &[
            (F::ArpOp, 2),
            (F::ArpSpa, ip4("192.0.2.2")),
            (F::ArpTpa, ip4("192.0.2.1")),
            (F::ArpSha, mac("00:00:5e:00:53:02")),
            (F::ArpTha, mac("00:00:5e:00:53:01")),
        ],
    );
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Arp, 0, 0, 0));
}

#[test]
fn golden_ipv6_tcp_and_udp() {
    let (key, layout, res) = run_hex(td::TCP6);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 6, 64, 0xb9, 0xabcde, 0));
    want.extend([(F::TcpSrc, 443), (F::TcpDst, 50000), (F::TcpFlags, 0x18)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 54, 6, 0));

    let (key, layout, res) = run_hex(td::UDP6);
    assert_eq!(res, Ok(()));
    let mut want = eth("33:33:00:00:00:fb", "66:77:88:99:aa:bb", 0x86dd);
    want.extend(v6("fe80::1", "ff02::fb", 17, 255, 0, 0, 0));
    want.extend([(F::UdpSrc, 5353), (F::UdpDst, 5353)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 54, 17, 0));
}

#[test]
fn golden_ipv6_hop_by_hop_then_first_fragment() {
    let (key, layout, res) = run_hex(td::IPV6_HBH_FRAG);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 17, 64, 0, 0, 1));
    want.extend([(F::UdpSrc, 1000), (F::UdpDst, 2000)]);
    assert_fields(&key, &want);
    // 40 fixed + 8 hop-by-hop + 8 fragment.
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 70, 17, 0));
}

#[test]
fn golden_ipv6_later_fragment_has_no_l4() {
    let (key, layout, res) = run_hex(td::IPV6_LATER_FRAG);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 17, 64, 0, 0, 3));
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 62, 17, 0));
}

#[test]
fn golden_ipv6_routing_destopts_ah_chain() {
    let (key, layout, res) = run_hex(td::IPV6_RT_DST_AH);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 6, 64, 0, 0, 0));
    want.extend([(F::TcpSrc, 22), (F::TcpDst, 40000), (F::TcpFlags, 0x10)]);
    assert_fields(&key, &want);
    // 40 + routing 24 + destination options 8 + AH 24.
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 110, 6, 0));
}

#[test]
fn golden_ipv6_walk_stops_at_esp() {
    let (key, layout, res) = run_hex(td::IPV6_ESP);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 50, 64, 0, 0, 0));
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 62, 50, 0));
}

#[test]
fn golden_icmpv6_neighbor_solicitation_with_sll() {
    let (key, layout, res) = run_hex(td::ICMP6_NS);
    assert_eq!(res, Ok(()));
    let mut want = eth("33:33:ff:00:00:02", "00:11:22:33:44:55", 0x86dd);
    want.extend(v6("2001:db8::1", "ff02::1:ff00:2", 58, 255, 0, 0, 0));
    want.extend([
        (F::Icmpv6Type, 135),
        (F::Icmpv6Code, 0),
        (F::Ipv6NdTarget, ip6("2001:db8::2")),
        (F::Ipv6NdSll, mac("00:11:22:33:44:55")),
        (F::Ipv6NdTll, 0),
    ]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 54, 58, 0));
}

#[test]
fn golden_icmpv6_neighbor_advertisement_with_tll() {
    let (key, layout, res) = run_hex(td::ICMP6_NA);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::2", "2001:db8::1", 58, 255, 0, 0, 0));
    want.extend([
        (F::Icmpv6Type, 136),
        (F::Icmpv6Code, 0),
        (F::Ipv6NdTarget, ip6("2001:db8::2")),
        (F::Ipv6NdSll, 0),
        (F::Ipv6NdTll, mac("66:77:88:99:aa:bb")),
    ]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 54, 58, 0));
}

#[test]
fn golden_icmpv6_echo() {
    let (key, layout, res) = run_hex(td::ICMP6_ECHO);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 58, 64, 0, 0, 0));
    want.extend([(F::Icmpv6Type, 128), (F::Icmpv6Code, 0)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 54, 58, 0));
}

#[test]
fn golden_single_vlan() {
    let (key, layout, res) = run_hex(td::VLAN1);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend([
        (F::VlanVid, 0x1000 | 100),
        (F::VlanPcp, 5),
        (F::VlanOuterTci, 0),
    ]);
    want.extend(v4("10.0.0.1", "10.0.0.2", 17, 64, 0, 0));
    want.extend([(F::UdpSrc, 1), (F::UdpDst, 2)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(18, L3Kind::Ipv4, 38, 17, 1));
}

#[test]
fn golden_double_vlan_outer_tag_is_vlan_vid() {
    // Dot1AD(vlan=10, prio=3)/Dot1Q(vlan=20, prio=1): VLAN_VID/PCP are the
    // outermost (S-)tag; vlan_outer_tci holds the inner C-tag's TCI.
    let (key, layout, res) = run_hex(td::VLAN2);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend([
        (F::VlanVid, 0x1000 | 10),
        (F::VlanPcp, 3),
        (F::VlanOuterTci, (1 << 13) | 0x1000 | 20),
    ]);
    want.extend(v4("10.0.0.1", "10.0.0.2", 6, 64, 0, 0));
    want.extend([(F::TcpSrc, 1234), (F::TcpDst, 5678), (F::TcpFlags, 0x02)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(22, L3Kind::Ipv4, 42, 6, 2));
}

#[test]
fn golden_third_vlan_tag_is_unsupported_not_an_error() {
    let (key, layout, res) = run_hex(td::VLAN3);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x8100);
    want.extend([
        (F::VlanVid, 0x1001),
        (F::VlanPcp, 0),
        (F::VlanOuterTci, 0x1002),
    ]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(22, L3Kind::None, 0, 0, 2));
    assert!(is_unsupported(&key));
    assert!(!is_unsupported(&run_hex(td::VLAN2).0));
}

#[test]
fn golden_vlan_arp() {
    let (key, layout, res) = run_hex(td::VLAN_ARP);
    assert_eq!(res, Ok(()));
    let mut want = eth("ff:ff:ff:ff:ff:ff", "00:00:5e:00:53:01", 0x0806);
    want.extend([
        (F::VlanVid, 0x1000 | 4094),
        (F::VlanPcp, 7),
        (F::ArpOp, 1),
        (F::ArpSpa, ip4("192.0.2.1")),
        (F::ArpTpa, ip4("192.0.2.2")),
        (F::ArpSha, mac("00:00:5e:00:53:01")),
        (F::ArpTha, 0),
    ]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(18, L3Kind::Arp, 0, 0, 1));
}

#[test]
fn golden_ipv4_first_fragment_parses_l4() {
    let (key, layout, res) = run_hex(td::IPV4_FIRST_FRAG);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 17, 64, 0, 1));
    want.extend([(F::UdpSrc, 4000), (F::UdpDst, 5000)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 17, 0));
}

#[test]
fn golden_ipv4_later_fragment_has_no_l4() {
    let (key, layout, res) = run_hex(td::IPV4_LATER_FRAG);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 17, 64, 0, 3));
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 17, 0));
}

#[test]
fn golden_ipv4_tiny_first_fragment_is_not_an_error() {
    // 8 bytes of TCP in the first fragment: the header continues in the
    // next fragment, so no ports, and no error.
    let (key, layout, res) = run_hex(td::IPV4_TINY_FRAG);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 6, 64, 0, 1));
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
}

#[test]
fn golden_ipv4_options_are_skipped() {
    let (key, layout, res) = run_hex(td::IPV4_OPTIONS);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 6, 64, 0, 0));
    want.extend([(F::TcpSrc, 80), (F::TcpDst, 8080), (F::TcpFlags, 0x11)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 42, 6, 0));
}

#[test]
fn golden_ethernet_padding_is_ignored() {
    let (key, layout, res) = run_hex(td::IPV4_PADDED);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 6, 64, 0, 0));
    want.extend([(F::TcpSrc, 80), (F::TcpDst, 8080), (F::TcpFlags, 0x04)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
}

#[test]
fn golden_unparsed_ip_protocol_and_ethertype() {
    let (key, layout, res) = run_hex(td::IPV4_GRE);
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "10.0.0.2", 47, 64, 0, 0));
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 47, 0));

    let (key, layout, res) = run_hex(td::LLDP_TYPE);
    assert_eq!(res, Ok(()));
    assert_fields(&key, &eth("01:80:c2:00:00:0e", "00:11:22:33:44:55", 0x88cc));
    assert_eq!(layout, lay(14, L3Kind::None, 0, 0, 0));
}

#[test]
fn golden_802_3_llc_frame() {
    let (key, layout, res) = run_hex(td::LLC);
    assert_eq!(res, Ok(()));
    assert_fields(&key, &eth("01:80:c2:00:00:00", "00:11:22:33:44:55", 0x05ff));
    assert_eq!(layout, lay(14, L3Kind::None, 0, 0, 0));
}

// ------------------------------------------------------------ truncation

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

#[test]
fn every_prefix_errors_exactly_when_cut_and_never_invents_fields() {
    for &(name, h, needed) in GOLDEN {
        let pkt = hex(h);
        let needed = needed.unwrap_or(pkt.len());
        let (full, full_layout, full_res) = run(&pkt);
        assert_eq!(full_res, Ok(()), "{name}");
        for len in 0..=pkt.len() {
            let (key, layout, res) = run(&pkt[..len]);
            assert_eq!(res.is_err(), len < needed, "{name} cut at {len}: {res:?}");
            // A prefix's key is the full key with some fields left 0.
            for d in FIELDS {
                let v = key.get(d.field);
                assert!(
                    v == 0 || v == full.get(d.field),
                    "{name} cut at {len}: {} = {v:#x}, full {:#x}",
                    d.name,
                    full.get(d.field)
                );
            }
            if layout.l3 != L3Kind::None {
                assert_eq!(
                    (layout.l3, layout.l3_ofs),
                    (full_layout.l3, full_layout.l3_ofs)
                );
            }
            if layout.l4_proto != 0 {
                assert_eq!(
                    (layout.l4_proto, layout.l4_ofs),
                    (full_layout.l4_proto, full_layout.l4_ofs),
                    "{name} cut at {len}"
                );
            }
            assert!(layout.vlan_tags <= full_layout.vlan_tags);
            if len >= needed {
                assert_eq!((key, layout), (full, full_layout), "{name} cut at {len}");
            }
        }
    }
}

fn cut(h: &str, len: usize) -> (FlowKey, PacketLayout, Result<(), ParseError>) {
    run(&hex(h)[..len])
}

#[test]
fn truncation_names_the_cut_header_and_keeps_outer_fields() {
    use Layer::*;
    use ParseError::Truncated as T;

    for len in [0, 1, 13] {
        let (key, layout, res) = cut(td::TCP4, len);
        assert_eq!(res, Err(T(Ethernet)));
        assert_fields(&key, &[]);
        assert_eq!(layout, PacketLayout::default());
    }

    // Inside the IPv4 header: Ethernet fields only.
    let (key, layout, res) = cut(td::TCP4, 14 + 19);
    assert_eq!(res, Err(T(Ipv4)));
    assert_fields(&key, &eth_std(0x0800));
    assert_eq!(layout, lay(14, L3Kind::None, 0, 0, 0));
    // Inside IPv4 options.
    let (key, _, res) = cut(td::IPV4_OPTIONS, 14 + 25);
    assert_eq!(res, Err(T(Ipv4)));
    assert_fields(&key, &eth_std(0x0800));

    // Inside the TCP header (fixed part, then options): IP fields and
    // ip_proto, ports 0.
    let ip_fields = with(
        eth_std(0x0800),
        &v4("10.0.0.1", "192.168.1.254", 6, 63, 0xb9, 0),
    );
    for len in [34 + 10, 34 + 22] {
        let (key, layout, res) = cut(td::TCP4, len);
        assert_eq!(res, Err(T(Tcp)), "cut at {len}");
        assert_fields(&key, &ip_fields);
        assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
    }
    // Only payload missing: every header parsed, the datagram is short.
    let n = hex(td::TCP4).len();
    let (key, _, res) = cut(td::TCP4, n - 1);
    assert_eq!(res, Err(T(Ipv4)));
    assert_fields(
        &key,
        &with(
            ip_fields,
            &[(F::TcpSrc, 49152), (F::TcpDst, 80), (F::TcpFlags, 0x112)],
        ),
    );

    assert_eq!(cut(td::UDP4, 34 + 4).2, Err(T(Udp)));
    assert_eq!(cut(td::SCTP4, 34 + 11).2, Err(T(Sctp)));
    assert_eq!(cut(td::ICMP4_ECHO, 34 + 7).2, Err(T(Icmpv4)));
    assert_eq!(cut(td::ICMP6_ECHO, 54 + 7).2, Err(T(Icmpv6)));

    // VLAN: inside the first tag, nothing of it; inside the second, the
    // first tag's fields. eth_type is unknown in both cases.
    let (key, layout, res) = cut(td::VLAN2, 15);
    assert_eq!(res, Err(T(Vlan)));
    assert_fields(
        &key,
        &[
            (F::EthDst, mac("00:11:22:33:44:55")),
            (F::EthSrc, mac("66:77:88:99:aa:bb")),
        ],
    );
    assert_eq!(layout.vlan_tags, 0);
    let (key, layout, res) = cut(td::VLAN2, 20);
    assert_eq!(res, Err(T(Vlan)));
    assert_fields(
        &key,
        &[
            (F::EthDst, mac("00:11:22:33:44:55")),
            (F::EthSrc, mac("66:77:88:99:aa:bb")),
            (F::VlanVid, 0x1000 | 10),
            (F::VlanPcp, 3),
        ],
    );
    assert_eq!(layout.vlan_tags, 1);

    for len in [14 + 7, 14 + 27] {
        let (key, layout, res) = cut(td::ARP_REQUEST, len);
        assert_eq!(res, Err(T(Arp)));
        assert_fields(&key, &eth("ff:ff:ff:ff:ff:ff", "00:00:5e:00:53:01", 0x0806));
        assert_eq!(layout.l3, L3Kind::None);
    }

    let (key, _, res) = cut(td::TCP6, 14 + 39);
    assert_eq!(res, Err(T(Ipv6)));
    assert_fields(&key, &eth_std(0x86dd));

    // Inside the hop-by-hop, then the fragment header: the IPv6 header's
    // fields are set, ip_proto (unknown yet) is 0.
    let v6_fields = |frag| {
        let mut f = with(
            eth_std(0x86dd),
            &v6("2001:db8::1", "2001:db8::2", 0, 64, 0, 0, frag),
        );
        f.retain(|(f, _)| *f != F::IpProto);
        f
    };
    for len in [54 + 4, 62 + 4] {
        let (key, layout, res) = cut(td::IPV6_HBH_FRAG, len);
        assert_eq!(res, Err(T(Ipv6Ext)), "cut at {len}");
        assert_fields(&key, &v6_fields(0));
        assert_eq!(layout, lay(14, L3Kind::Ipv6, 0, 0, 0));
    }
    // Inside UDP after a first-fragment header: the fragment itself is cut,
    // so this is a truncated UDP header.
    let (key, layout, res) = cut(td::IPV6_HBH_FRAG, 70 + 4);
    assert_eq!(res, Err(T(Udp)));
    assert_fields(&key, &with(v6_fields(1), &[(F::IpProto, 17)]));
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 70, 17, 0));

    // NS: inside the target, type and code only; inside the option, the
    // target but no link-layer address.
    let ns = |extra: &[(F, u128)]| {
        let mut f = eth("33:33:ff:00:00:02", "00:11:22:33:44:55", 0x86dd);
        f.extend(v6("2001:db8::1", "ff02::1:ff00:2", 58, 255, 0, 0, 0));
        f.extend([(F::Icmpv6Type, 135), (F::Icmpv6Code, 0)]);
        f.extend_from_slice(extra);
        f
    };
    let (key, _, res) = cut(td::ICMP6_NS, 54 + 20);
    assert_eq!(res, Err(T(Icmpv6)));
    assert_fields(&key, &ns(&[]));
    let (key, _, res) = cut(td::ICMP6_NS, 54 + 28);
    assert_eq!(res, Err(T(Icmpv6)));
    assert_fields(
        &key,
        &ns(&[(F::Ipv6NdTarget, ip6("2001:db8::2")), (F::Ipv6NdSll, 0)]),
    );
}

// ------------------------------------------------------------- malformed

fn edited(h: &str, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut p = hex(h);
    for &(i, v) in edits {
        p[i] = v;
    }
    p
}

#[test]
fn malformed_ipv4_headers() {
    use ParseError::Malformed as M;
    for (what, edits) in [
        ("IHL 4", vec![(14, 0x44)]),
        ("IHL 0", vec![(14, 0x40)]),
        ("version 6", vec![(14, 0x65)]),
        ("total length 19", vec![(16, 0), (17, 19)]),
        ("IHL 15 > total length", vec![(14, 0x4f)]),
    ] {
        let (key, layout, res) = run(&edited(td::TCP4, &edits));
        assert_eq!(res, Err(M(Layer::Ipv4)), "{what}");
        assert_fields(&key, &eth_std(0x0800));
        assert_eq!(layout, lay(14, L3Kind::None, 0, 0, 0), "{what}");
    }
}

#[test]
fn ipv4_total_length_beyond_buffer_keeps_all_fields() {
    let pkt = edited(td::TCP4, &[(16, 0x01)]); // total length + 256
    let (key, layout, res) = run(&pkt);
    assert_eq!(res, Err(ParseError::Truncated(Layer::Ipv4)));
    let mut want = eth_std(0x0800);
    want.extend(v4("10.0.0.1", "192.168.1.254", 6, 63, 0xb9, 0));
    want.extend([(F::TcpSrc, 49152), (F::TcpDst, 80), (F::TcpFlags, 0x112)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
}

#[test]
fn malformed_tcp_data_offset() {
    let ip_fields = with(
        eth_std(0x0800),
        &v4("10.0.0.1", "192.168.1.254", 6, 63, 0xb9, 0),
    );
    // Data offset 4 words.
    let (key, layout, res) = run(&edited(td::TCP4, &[(34 + 12, 0x41)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Tcp)));
    assert_fields(&key, &ip_fields);
    assert_eq!(layout, lay(14, L3Kind::Ipv4, 34, 6, 0));
    // Data offset 15 words: past the end of a complete datagram.
    let (key, _, res) = run(&edited(td::TCP4, &[(34 + 12, 0xf1)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Tcp)));
    assert_fields(&key, &ip_fields);
    // ... but cut short by the buffer it is truncated.
    let pkt = edited(td::TCP4, &[(34 + 12, 0xf1), (16, 0x01)]);
    assert_eq!(run(&pkt).2, Err(ParseError::Truncated(Layer::Tcp)));
}

#[test]
fn arp_other_than_ethernet_ipv4_is_malformed() {
    for (what, i, v) in [
        ("htype", 15, 6u8),
        ("ptype", 16, 0x86),
        ("hlen", 18, 8),
        ("plen", 19, 16),
    ] {
        let (key, layout, res) = run(&edited(td::ARP_REQUEST, &[(i, v)]));
        assert_eq!(res, Err(ParseError::Malformed(Layer::Arp)), "{what}");
        assert_fields(&key, &eth("ff:ff:ff:ff:ff:ff", "00:00:5e:00:53:01", 0x0806));
        assert_eq!(layout.l3, L3Kind::None);
    }
}

#[test]
fn malformed_ipv6_and_extension_headers() {
    let (key, layout, res) = run(&edited(td::TCP6, &[(14, 0x4b)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Ipv6)));
    assert_fields(&key, &eth_std(0x86dd));
    assert_eq!(layout.l3, L3Kind::None);

    // Hop-by-hop length 11 (96 bytes) in a 40-byte payload.
    let (key, layout, res) = run(&edited(td::IPV6_HBH_FRAG, &[(55, 11)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Ipv6Ext)));
    let mut want = with(
        eth_std(0x86dd),
        &v6("2001:db8::1", "2001:db8::2", 0, 64, 0, 0, 0),
    );
    want.retain(|(f, _)| *f != F::IpProto);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 0, 0, 0));
}

#[test]
fn neighbor_discovery_options() {
    let ns = |extra: &[(F, u128)]| {
        let mut f = eth("33:33:ff:00:00:02", "00:11:22:33:44:55", 0x86dd);
        f.extend(v6("2001:db8::1", "ff02::1:ff00:2", 58, 255, 0, 0, 0));
        f.extend([(F::Icmpv6Type, 135)]);
        f.extend_from_slice(extra);
        f
    };
    let target = (F::Ipv6NdTarget, ip6("2001:db8::2"));
    // Option length 0: malformed; the target stays, no link-layer address.
    let (key, _, res) = run(&edited(td::ICMP6_NS, &[(54 + 25, 0)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Icmpv6)));
    assert_fields(&key, &ns(&[target, (F::Icmpv6Code, 0), (F::Ipv6NdSll, 0)]));
    // Option length 2 (16 bytes) past the message's end.
    let (key, _, res) = run(&edited(td::ICMP6_NS, &[(54 + 25, 2)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Icmpv6)));
    assert_fields(&key, &ns(&[target, (F::Icmpv6Code, 0), (F::Ipv6NdSll, 0)]));
    // A TLL option in a solicitation is skipped.
    let (key, _, res) = run(&edited(td::ICMP6_NS, &[(54 + 24, 2)]));
    assert_eq!(res, Ok(()));
    assert_fields(
        &key,
        &ns(&[
            target,
            (F::Icmpv6Code, 0),
            (F::Ipv6NdSll, 0),
            (F::Ipv6NdTll, 0),
        ]),
    );
    // An SLL option in an advertisement is skipped.
    let (key, _, res) = run(&edited(td::ICMP6_NA, &[(54 + 24, 1)]));
    assert_eq!(res, Ok(()));
    assert_eq!(key.get(F::Ipv6NdTll), 0);
    assert_eq!(key.get(F::Ipv6NdSll), 0);
    assert_eq!(key.get(F::Ipv6NdTarget), ip6("2001:db8::2"));
    // Code 1: not Neighbor Discovery; type and code only.
    let (key, _, res) = run(&edited(td::ICMP6_NS, &[(55, 1)]));
    assert_eq!(res, Ok(()));
    assert_fields(&key, &ns(&[(F::Icmpv6Code, 1)]));
}

#[test]
fn icmp_needs_the_matching_ip_version() {
    // ICMPv6's number over IPv4 and ICMPv4's over IPv6: ip_proto only.
    let (key, _, res) = run(&edited(td::ICMP4_ECHO, &[(23, 58)]));
    assert_eq!(res, Ok(()));
    assert_fields(
        &key,
        &with(eth_std(0x0800), &v4("10.1.1.1", "10.1.1.2", 58, 64, 0, 0)),
    );
    let (key, _, res) = run(&edited(td::ICMP6_ECHO, &[(20, 1)]));
    assert_eq!(res, Ok(()));
    assert_fields(
        &key,
        &with(
            eth_std(0x86dd),
            &v6("2001:db8::1", "2001:db8::2", 1, 64, 0, 0, 0),
        ),
    );
}

#[test]
fn vlan_variants() {
    // A single 802.1ad tag parses like an 802.1Q one.
    let (key, layout, res) = run(&edited(td::VLAN1, &[(12, 0x88), (13, 0xa8)]));
    let (key1, layout1, _) = run_hex(td::VLAN1);
    assert_eq!((key, layout, res), (key1, layout1, Ok(())));
    // An 802.3 length after a tag.
    let (key, layout, res) = run(&edited(td::VLAN1, &[(16, 0x00), (17, 0x2e)]));
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x05ff);
    want.extend([(F::VlanVid, 0x1000 | 100), (F::VlanPcp, 5)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(18, L3Kind::None, 0, 0, 1));
}

#[test]
fn ip_length_bounds_the_transport_header() {
    // Ethernet padding after a tiny first fragment is not a TCP header.
    let mut pkt = hex(td::IPV4_TINY_FRAG);
    pkt.resize(60, 0xee);
    let (key, layout, res) = run(&pkt);
    assert_eq!((key, layout, res), run_hex(td::IPV4_TINY_FRAG));
    assert_eq!(key.get(F::TcpSrc), 0);

    // A TCP header cut by the IPv4 total length (bytes follow in the
    // buffer) is malformed and yields no ports.
    let (key, _, res) = run(&edited(td::TCP4, &[(17, 30)]));
    assert_eq!(res, Err(ParseError::Malformed(Layer::Tcp)));
    assert_fields(
        &key,
        &with(
            eth_std(0x0800),
            &v4("10.0.0.1", "192.168.1.254", 6, 63, 0xb9, 0),
        ),
    );

    // The IPv6 payload length ends the NS before its SLL option.
    let (key, _, res) = run(&edited(td::ICMP6_NS, &[(19, 24)]));
    assert_eq!(res, Ok(()));
    assert_eq!(key.get(F::Ipv6NdTarget), ip6("2001:db8::2"));
    assert_eq!(key.get(F::Ipv6NdSll), 0);
}

#[test]
fn ipv6_atomic_fragment_is_not_a_fragment() {
    // Fragment header with offset 0 and M clear (RFC 6946).
    let (key, layout, res) = run(&edited(td::IPV6_HBH_FRAG, &[(65, 0)]));
    assert_eq!(res, Ok(()));
    let mut want = eth_std(0x86dd);
    want.extend(v6("2001:db8::1", "2001:db8::2", 17, 64, 0, 0, 0));
    want.extend([(F::UdpSrc, 1000), (F::UdpDst, 2000)]);
    assert_fields(&key, &want);
    assert_eq!(layout, lay(14, L3Kind::Ipv6, 70, 17, 0));
}

#[test]
fn oversized_buffers_are_parsed_up_to_64k() {
    let mut pkt = hex(td::TCP4);
    pkt.resize(100_000, 0);
    let (key, layout, res) = run(&pkt);
    assert_eq!((key, layout, res), run_hex(td::TCP4));
}

#[test]
fn layer_table_and_display() {
    for (i, l) in Layer::ALL.iter().enumerate() {
        assert_eq!(*l as usize, i);
    }
    assert_eq!(
        ParseError::Truncated(Layer::Tcp).to_string(),
        "truncated tcp header"
    );
    assert_eq!(
        ParseError::Malformed(Layer::Ipv6Ext).layer(),
        Layer::Ipv6Ext
    );
}

// ------------------------------------------------------------ properties

fn prereq_holds(key: &FlowKey, p: Prereq) -> bool {
    let et = key.get(F::EthType);
    let proto = key.get(F::IpProto);
    let is_ip = et == 0x0800 || et == 0x86dd;
    match p {
        Prereq::None => true,
        Prereq::Vlan => key.get(F::VlanVid) & 0x1000 != 0,
        Prereq::EthType(t) => et == u128::from(t),
        Prereq::Ip => is_ip,
        Prereq::IpProto(n) => is_ip && proto == u128::from(n),
        Prereq::EthProto(t, n) => et == u128::from(t) && proto == u128::from(n),
        Prereq::Icmpv6Type(types) => {
            et == 0x86dd
                && proto == 58
                && types
                    .iter()
                    .any(|&t| u128::from(t) == key.get(F::Icmpv6Type))
        }
    }
}

/// Everything that must hold for any input.
fn check_invariants(pkt: &[u8]) -> Result<(), TestCaseError> {
    let (key, layout, res) = run(pkt);
    // Independent of the key's previous contents.
    let mut clean = FlowKey::ZERO;
    let (layout2, res2) = parse(pkt, &META, &mut clean);
    prop_assert_eq!((key, layout, res), (clean, layout2, res2));

    prop_assert_eq!(key.get(F::InPort), u128::from(META.in_port));
    prop_assert_eq!(key.get(F::TunnelId), u128::from(META.tun_id));
    prop_assert_eq!(key.get(F::Metadata), 0);
    prop_assert_eq!(key.get(F::Reg0), 0);

    // No field without its prerequisites (a field sharing storage with
    // others is fine when one of them has its prerequisites).
    for d in FIELDS {
        if key.get(d.field) != 0 {
            let ok = FIELDS.iter().any(|g| {
                (g.field == d.field || g.shares_storage_with(d)) && prereq_holds(&key, g.prereq)
            });
            prop_assert!(ok, "{} set without its prerequisites: {:?}", d.name, key);
        }
    }

    let frag = key.get(F::IpFrag);
    prop_assert!(frag == 0 || frag == 1 || frag == 3, "ip_frag {}", frag);
    if frag == 3 {
        for f in [F::TcpSrc, F::TcpDst, F::TcpFlags, F::Ipv6NdTarget] {
            prop_assert_eq!(key.get(f), 0, "{} in a later fragment", f.name());
        }
    }

    prop_assert!(layout.vlan_tags <= 2);
    prop_assert_eq!(key.get(F::VlanVid) != 0, layout.vlan_tags >= 1);
    prop_assert_eq!(key.get(F::VlanOuterTci) != 0, layout.vlan_tags == 2);
    if layout.vlan_tags >= 1 {
        prop_assert!(key.get(F::VlanVid) & 0x1000 != 0);
    }
    if is_unsupported(&key) {
        prop_assert_eq!(layout.vlan_tags, 2);
        prop_assert_eq!(layout.l3, L3Kind::None);
        prop_assert!(res.is_ok());
    }

    let et = key.get(F::EthType);
    let l3_ofs = usize::from(layout.l3_ofs);
    let (want_et, min_len) = match layout.l3 {
        L3Kind::None => (None, 0),
        L3Kind::Ipv4 => (Some(0x0800), 20),
        L3Kind::Ipv6 => (Some(0x86dd), 40),
        L3Kind::Arp => (Some(0x0806), 28),
    };
    if let Some(want) = want_et {
        prop_assert_eq!(et, want);
        prop_assert_eq!(l3_ofs, 14 + 4 * usize::from(layout.vlan_tags));
        prop_assert!(l3_ofs + min_len <= pkt.len());
    } else {
        // No network header, no network fields.
        for f in [
            F::IpProto,
            F::NwTtl,
            F::Ipv4Src,
            F::Ipv6Src,
            F::ArpOp,
            F::ArpSha,
        ] {
            prop_assert_eq!(key.get(f), 0);
        }
        if matches!(et, 0x0800 | 0x86dd | 0x0806) {
            prop_assert!(res.is_err());
        }
    }
    if layout.l4_proto != 0 {
        prop_assert_eq!(u128::from(layout.l4_proto), key.get(F::IpProto));
        prop_assert!(usize::from(layout.l4_ofs) >= l3_ofs + min_len);
        prop_assert!(usize::from(layout.l4_ofs) <= pkt.len());
    }
    if key.get(F::TcpFlags) != 0 || (key.get(F::IpProto) == 6 && key.get(F::TcpDst) != 0) {
        prop_assert!(usize::from(layout.l4_ofs) + 20 <= pkt.len());
    }
    prop_assert_eq!(
        pkt.len() < 14,
        res == Err(ParseError::Truncated(Layer::Ethernet))
    );
    if et == 0 {
        prop_assert!(res.is_err());
    }
    Ok(())
}

/// Bytes that steer the parser: types, protocols, versions, lengths.
const INTERESTING: &[u8] = &[
    0, 1, 2, 4, 5, 6, 8, 0x11, 0x2b, 0x2c, 0x32, 0x33, 0x3a, 0x3b, 0x3c, 0x45, 0x4f, 0x60, 0x81,
    0x84, 0x86, 0x87, 0x88, 0xa8, 0xdd, 0xff,
];

fn golden_mutation() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![any::<u8>(), select(INTERESTING)];
    (
        select(GOLDEN),
        prop::collection::vec((any::<Index>(), byte), 0..6),
        any::<Index>(),
        any::<bool>(),
    )
        .prop_map(|((_, h, _), edits, cut, do_cut)| {
            let mut p = hex(h);
            for (i, v) in edits {
                let i = i.index(p.len());
                p[i] = v;
            }
            if do_cut {
                p.truncate(cut.index(p.len() + 1));
            }
            p
        })
}

fn ethertype_and_junk() -> impl Strategy<Value = Vec<u8>> {
    (
        select(&[0x0800u16, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x0026, 0x88cc][..]),
        prop::collection::vec(any::<u8>(), 0..120),
    )
        .prop_map(|(ty, junk)| {
            let mut p = vec![0u8; 12];
            p.extend_from_slice(&ty.to_be_bytes());
            p.extend(junk);
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic_or_break_prerequisites(
        pkt in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        check_invariants(&pkt)?;
    }

    #[test]
    fn mutated_golden_packets_never_panic_or_break_prerequisites(pkt in golden_mutation()) {
        check_invariants(&pkt)?;
    }

    #[test]
    fn known_ethertypes_with_junk_never_panic_or_break_prerequisites(pkt in ethertype_and_junk()) {
        check_invariants(&pkt)?;
    }
}
