//! Golden packets with every flow-key field and the layout asserted.

use super::testdata as td;
use super::*;
use crate::flow::Field as F;

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
