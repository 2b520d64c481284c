//! Malformed headers, length bounds and odd-but-valid variants.

use super::testdata::{self as td, hex};
use super::*;
use crate::flow::Field as F;

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
