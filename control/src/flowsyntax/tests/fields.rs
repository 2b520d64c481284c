//! Every match field, port names, and packet descriptions.
use super::*;

#[test]
fn match_fields() {
    use Field as F;
    type Expected<'a> = &'a [(Field, u128, u128)];
    let cases: &[(&str, Expected)] = &[
        ("in_port=1", &[(F::InPort, 1, E32)]),
        ("in_port=LOCAL", &[(F::InPort, 0xffff_fffe, E32)]),
        ("in_port=controller", &[(F::InPort, 0xffff_fffd, E32)]),
        ("in_port=0xffffff00", &[(F::InPort, 0xffff_ff00, E32)]),
        ("metadata=0x5/0xff", &[(F::Metadata, 5, 0xff)]),
        ("metadata=18446744073709551615", &[(F::Metadata, E64, E64)]),
        ("reg0=5", &[(F::Reg0, 5, E32)]),
        (
            "reg3=0x10/0xf0,reg7=0xffffffff",
            &[(F::Reg3, 0x10, 0xf0), (F::Reg7, E32, E32)],
        ),
        ("tun_id=0x2a", &[(F::TunnelId, 0x2a, E64)]),
        ("tunnel_id=42/0xff", &[(F::TunnelId, 42, 0xff)]),
        ("tun_src=1.2.3.4", &[(F::TunIpv4Src, 0x0102_0304, E32)]),
        (
            "tun_dst=5.6.7.0/24",
            &[(F::TunIpv4Dst, 0x0506_0700, 0xffff_ff00)],
        ),
        (
            "dl_src=00:11:22:33:44:55",
            &[(F::EthSrc, 0x0011_2233_4455, E48)],
        ),
        ("eth_src=0:1:2:3:4:5", &[(F::EthSrc, 0x0001_0203_0405, E48)]),
        (
            "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
            &[(F::EthDst, 0x0100_0000_0000, 0x0100_0000_0000)],
        ),
        (
            "eth_dst=aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00",
            &[(F::EthDst, 0xaabb_cc00_0000, 0xffff_ff00_0000)],
        ),
        ("dl_type=0x88cc", &[(F::EthType, 0x88cc, E16)]),
        ("eth_type=2048", &[IP]),
        ("dl_type=0x0800/0xffff", &[IP]),
        ("dl_vlan=5", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("dl_vlan=0xffff", &[(F::VlanVid, 0, 0x1fff)]),
        ("vlan_vid=0x1005", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("vlan_vid=0x1000/0x1000", &[(F::VlanVid, 0x1000, 0x1000)]),
        ("vlan_vid=5", &[(F::VlanVid, 5, 0x1fff)]),
        (
            "dl_vlan_pcp=3",
            &[(F::VlanPcp, 3, 7), (F::VlanVid, 0x1000, 0x1000)],
        ),
        (
            "vlan_pcp=3,dl_vlan=5",
            &[(F::VlanPcp, 3, 7), (F::VlanVid, 0x1005, 0x1fff)],
        ),
        (
            "vlan_tci=0xf005",
            &[(F::VlanVid, 0x1005, 0x1fff), (F::VlanPcp, 7, 7)],
        ),
        ("vlan_tci=0x1005/0x1fff", &[(F::VlanVid, 0x1005, 0x1fff)]),
        ("vlan_tci=0x1000/0x1000", &[(F::VlanVid, 0x1000, 0x1000)]),
        ("vlan_tci=0x0000", &[(F::VlanVid, 0, 0x1fff)]),
        ("vlan_tci=0x1005/0x0fff", &[(F::VlanVid, 5, 0xfff)]),
        (
            "ip,nw_src=10.0.0.0/24,nw_dst=10.1.2.3",
            &[
                IP,
                (F::Ipv4Src, 0x0a00_0000, 0xffff_ff00),
                (F::Ipv4Dst, 0x0a01_0203, E32),
            ],
        ),
        (
            "ip,ip_src=10.0.0.1/255.255.0.255,ip_dst=1.2.3.4/0",
            &[IP, (F::Ipv4Src, 0x0a00_0001, 0xffff_00ff)],
        ),
        ("ip,ipv4_dst=1.2.3.4", &[IP, (F::Ipv4Dst, 0x0102_0304, E32)]),
        (
            "arp,arp_spa=10.0.0.0/8,arp_tpa=10.0.0.1,arp_op=2",
            &[
                ARP,
                (F::ArpSpa, 0x0a00_0000, 0xff00_0000),
                (F::ArpTpa, 0x0a00_0001, E32),
                (F::ArpOp, 2, 0xff),
            ],
        ),
        (
            "arp,arp_sha=00:11:22:33:44:55,arp_tha=ff:ff:ff:ff:ff:ff/ff:00:00:00:00:00",
            &[
                ARP,
                (F::ArpSha, 0x0011_2233_4455, E48),
                (F::ArpTha, 0xff00_0000_0000, 0xff00_0000_0000),
            ],
        ),
        // ovs-ofctl's old names: nw_src / nw_proto mean the ARP fields for ARP.
        (
            "arp,nw_src=10.0.0.1,nw_proto=1",
            &[ARP, (F::ArpSpa, 0x0a00_0001, E32), (F::ArpOp, 1, 0xff)],
        ),
        (
            "rarp,arp_op=3",
            &[(F::EthType, 0x8035, E16), (F::ArpOp, 3, 0xff)],
        ),
        ("ip,nw_proto=47", &[IP, proto(47)]),
        ("ipv6,ip_proto=47", &[IP6, proto(47)]),
        ("ip,nw_tos=32", &[IP, (F::IpDscp, 8, 0x3f)]),
        ("ip,nw_tos=33", &[IP, (F::IpDscp, 8, 0x3f)]),
        ("ip,ip_dscp=63", &[IP, (F::IpDscp, 63, 0x3f)]),
        ("ip,nw_ecn=3", &[IP, (F::IpEcn, 3, 3)]),
        ("ipv6,ip_ecn=1", &[IP6, (F::IpEcn, 1, 3)]),
        ("ip,nw_ttl=64", &[IP, (F::NwTtl, 64, 0xff)]),
        ("ip,ip_frag=no", &[IP, (F::IpFrag, 0, 3)]),
        ("ip,ip_frag=yes", &[IP, (F::IpFrag, 1, 1)]),
        ("ip,nw_frag=first", &[IP, (F::IpFrag, 1, 3)]),
        ("ip,ip_frag=later", &[IP, (F::IpFrag, 3, 3)]),
        ("ipv6,ip_frag=not_later", &[IP6, (F::IpFrag, 0, 2)]),
        (
            "ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=0x12345",
            &[
                IP6,
                (
                    F::Ipv6Src,
                    0x2001_0db8_0000_0000_0000_0000_0000_0001,
                    u128::MAX,
                ),
                (F::Ipv6Dst, 0x2001_0db8 << 96, 0xffff_ffff << 96),
                (F::Ipv6Label, 0x12345, 0xfffff),
            ],
        ),
        (
            "ipv6,ipv6_src=::1/ffff::1,ipv6_label=0x5/0xf",
            &[
                IP6,
                (F::Ipv6Src, 1, (0xffff << 112) | 1),
                (F::Ipv6Label, 5, 0xf),
            ],
        ),
        (
            "tcp,tp_src=80,tp_dst=0x100/0xff00",
            &[
                IP,
                proto(6),
                (F::TcpSrc, 80, E16),
                (F::TcpDst, 0x100, 0xff00),
            ],
        ),
        (
            "tcp,tcp_src=1,tcp_dst=2",
            &[IP, proto(6), (F::TcpSrc, 1, E16), (F::TcpDst, 2, E16)],
        ),
        ("udp,udp_src=53", &[IP, proto(17), (F::UdpSrc, 53, E16)]),
        ("tp_dst=53,udp", &[IP, proto(17), (F::UdpDst, 53, E16)]),
        (
            "sctp,sctp_dst=9/0xf",
            &[IP, proto(132), (F::SctpDst, 9, 0xf)],
        ),
        ("sctp6,tp_src=1", &[IP6, proto(132), (F::SctpSrc, 1, E16)]),
        ("tcp6,tcp_dst=22", &[IP6, proto(6), (F::TcpDst, 22, E16)]),
        ("udp6,udp_dst=22", &[IP6, proto(17), (F::UdpDst, 22, E16)]),
        (
            "tcp,tcp_flags=+syn-ack",
            &[IP, proto(6), (F::TcpFlags, 2, 0x12)],
        ),
        (
            "tcp,tcp_flags=syn|ack",
            &[IP, proto(6), (F::TcpFlags, 0x12, 0xfff)],
        ),
        (
            "tcp,tcp_flags=0x12/0x12",
            &[IP, proto(6), (F::TcpFlags, 0x12, 0x12)],
        ),
        ("tcp,tcp_flags=0", &[IP, proto(6), (F::TcpFlags, 0, 0xfff)]),
        (
            "tcp,tcp_flags=+[200]-ns",
            &[IP, proto(6), (F::TcpFlags, 0x200, 0x300)],
        ),
        (
            "icmp,icmp_type=8,icmp_code=0",
            &[
                IP,
                proto(1),
                (F::Icmpv4Type, 8, 0xff),
                (F::Icmpv4Code, 0, 0xff),
            ],
        ),
        ("icmp,tp_src=3", &[IP, proto(1), (F::Icmpv4Type, 3, 0xff)]),
        (
            "icmp,icmpv4_code=3",
            &[IP, proto(1), (F::Icmpv4Code, 3, 0xff)],
        ),
        (
            "icmp6,icmp_type=135,nd_target=2001:db8::1,nd_sll=00:11:22:33:44:55",
            &[
                IP6,
                proto(58),
                (F::Icmpv6Type, 135, 0xff),
                (
                    F::Ipv6NdTarget,
                    0x2001_0db8_0000_0000_0000_0000_0000_0001,
                    u128::MAX,
                ),
                (F::Ipv6NdSll, 0x0011_2233_4455, E48),
            ],
        ),
        (
            "icmp6,icmpv6_type=136,icmpv6_code=0,nd_tll=00:11:22:33:44:55/ff:ff:ff:00:00:00",
            &[
                IP6,
                proto(58),
                (F::Icmpv6Type, 136, 0xff),
                (F::Icmpv6Code, 0, 0xff),
                (F::Ipv6NdTll, 0x0011_2200_0000, 0xffff_ff00_0000),
            ],
        ),
        // Shorthands.
        ("ip", &[IP]),
        ("ipv6", &[IP6]),
        ("arp", &[ARP]),
        ("rarp", &[(F::EthType, 0x8035, E16)]),
        ("mpls", &[(F::EthType, 0x8847, E16)]),
        ("mplsm", &[(F::EthType, 0x8848, E16)]),
        ("icmp", &[IP, proto(1)]),
        ("tcp", &[IP, proto(6)]),
        ("udp", &[IP, proto(17)]),
        ("sctp", &[IP, proto(132)]),
        ("icmp6", &[IP6, proto(58)]),
        ("tcp6", &[IP6, proto(6)]),
        ("udp6", &[IP6, proto(17)]),
        ("sctp6", &[IP6, proto(132)]),
        ("ip,tcp,nw_proto=6,dl_type=0x800", &[IP, proto(6)]),
        ("", &[]),
    ];
    for (input, fields) in cases {
        let m = parse_match(input, N).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(m, matching(fields), "{input}");
        // Printed and parsed back: the same match.
        let printed = format_match(&m, N);
        assert_eq!(
            parse_match(&printed, N),
            Ok(m),
            "{input} printed as {printed}"
        );
    }
}

#[test]
fn port_names() {
    let m = parse_match("in_port=eth1", &Names).unwrap();
    assert_eq!(m, matching(&[(Field::InPort, 2, E32)]));
    assert_eq!(format_match(&m, &Names), "in_port=eth1");
    assert_eq!(format_match(&m, N), "in_port=2");
    let m = parse_match("in_port=\"my port\"", &Names).unwrap();
    assert_eq!(format_match(&m, &Names), "in_port=\"my port\"");
    // A name that looks like a number is quoted when printed.
    let fm = parse_flow_mod(
        "in_port=\"10g\",actions=output:eth0,\"my port\",output:\"10g\"",
        FlowModCommand::Add,
        &Names,
    )
    .unwrap();
    assert_eq!(
        fm.instructions,
        vec![Instruction::ApplyActions(vec![out(1), out(3), out(4)])]
    );
    let s = format_flow_mod(&fm, &Names);
    assert_eq!(
        s,
        "table=0, in_port=\"10g\" actions=output:eth0,output:\"my port\",output:\"10g\""
    );
    assert_eq!(parse_flow_mod(&s, FlowModCommand::Add, &Names), Ok(fm));
    // Columns count characters: "é" is two bytes.
    let e = parse_match("in_port=\"é\",ip,foo=1", &Names).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (16, "unknown field 'foo'"));
    let m = parse_match("in_port=é", &Names).unwrap();
    assert_eq!(format_match(&m, &Names), "in_port=\"é\"");
    // Names that start with a digit need no quotes when parsing.
    assert_eq!(
        parse_match("in_port=10g", &Names),
        Ok(matching(&[(Field::InPort, 4, E32)]))
    );
    assert_eq!(
        parse_flow_mod("actions=10g", FlowModCommand::Add, &Names)
            .unwrap()
            .instructions,
        apply(vec![out(4)])
    );
    let e = parse_match("in_port=10x", &Names).unwrap_err();
    assert_eq!(
        (e.column, e.message.as_str()),
        (9, "unknown port 10x after in_port=")
    );
    let e = parse_match("in_port=eth9", &Names).unwrap_err();
    assert_eq!(e.column, 9);
    assert_eq!(e.message, "unknown port eth9 after in_port=");
}

#[test]
fn packets() {
    let k = parse_packet("in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80", N).unwrap();
    assert_eq!(k.get(Field::InPort), 1);
    assert_eq!(k.get(Field::EthType), 0x0800);
    assert_eq!(k.get(Field::IpProto), 6);
    assert_eq!(k.get(Field::Ipv4Src), 0x0a00_0001);
    assert_eq!(k.get(Field::Ipv4Dst), 0x0a00_0002);
    assert_eq!(k.get(Field::TcpDst), 80);
    assert_eq!(k.get(Field::TcpSrc), 0);
    let k = parse_packet("dl_vlan=5,dl_vlan_pcp=2,ip,ip_frag=later,nw_tos=8", N).unwrap();
    assert_eq!(k.get(Field::VlanVid), 0x1005);
    assert_eq!(k.get(Field::VlanPcp), 2);
    assert_eq!(k.get(Field::IpFrag), 3);
    assert_eq!(k.get(Field::IpDscp), 2);
    let k = parse_packet("vlan_tci=0x0000,arp,arp_op=1,tcp_flags=syn", N);
    assert_eq!(
        k.unwrap_err(),
        SyntaxError {
            column: 30,
            message: "tcp_flags requires ip_proto=6 (add 'tcp')".into()
        }
    );
    for (input, column, message) in [
        (
            "ip,nw_dst=10.0.0.0/24",
            11,
            "nw_dst=10.0.0.0/24 is not an exact value; a packet needs exact values",
        ),
        (
            "ip,ip_frag=yes",
            12,
            "ip_frag=yes is not an exact value; a packet needs exact values",
        ),
        (
            "tcp,tcp_flags=+syn",
            15,
            "tcp_flags=+syn is not an exact value; a packet needs exact values",
        ),
        (
            "tcp,tp_dst=99999",
            12,
            "value 99999 is too large for tp_dst, a 16-bit field",
        ),
    ] {
        let e = parse_packet(input, N).unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (column, message), "{input}");
    }
}
