//! Set-field, byte for byte, on every protocol the parser knows.

use super::*;
use crate::actions::testpkt::*;
use crate::actions::DpAction as A;
use crate::flow::Field;
use crate::meter::MeterTable;

#[test]
fn ethernet_addresses() {
    let spec = arp(1);
    let mut want = spec.clone();
    want.dst = [0xff; 6];
    want.src = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    check(
        &spec,
        &[
            sf(Field::EthDst, mac([0xff; 6])),
            sf(Field::EthSrc, 0x0011_2233_4455),
        ],
        &want,
    );
}

#[test]
fn tcp4_addresses_and_ports() {
    let spec = ipv4(tcp(1000, 80));
    let mut want = spec.clone();
    v4(&mut want).src = [10, 0, 0, 99];
    v4(&mut want).dst = [172, 16, 0, 1];
    if let L4::Tcp { src, dst, .. } = l4(&mut want) {
        *src = 40000;
        *dst = 8080;
    }
    check(
        &spec,
        &[
            sf(Field::Ipv4Src, 0x0a00_0063),
            sf(Field::Ipv4Dst, 0xac10_0001),
            sf(Field::TcpSrc, 40000),
            sf(Field::TcpDst, 8080),
        ],
        &want,
    );
}

#[test]
fn udp4_ports_and_address() {
    let spec = ipv4(udp(1234, 53));
    let mut want = spec.clone();
    v4(&mut want).dst = [8, 8, 8, 8];
    if let L4::Udp { src, dst, .. } = l4(&mut want) {
        *src = 5353;
        *dst = 5300;
    }
    check(
        &spec,
        &[
            sf(Field::UdpSrc, 5353),
            sf(Field::UdpDst, 5300),
            sf(Field::Ipv4Dst, 0x0808_0808),
        ],
        &want,
    );
}

#[test]
fn udp_zero_checksum_stays_zero() {
    for mut spec in [ipv4(udp(1, 2)), ipv6(udp(1, 2))] {
        if let L4::Udp { zero_csum, .. } = l4(&mut spec) {
            *zero_csum = true;
        }
        let mut want = spec.clone();
        if let L4::Udp { dst, .. } = l4(&mut want) {
            *dst = 4789;
        }
        let is_v4 = matches!(spec.l3, L3::Ipv4(_));
        let (addr, value) = if is_v4 {
            (Field::Ipv4Src, 0x0102_0304u128)
        } else {
            (
                Field::Ipv6Src,
                0x2001_0db8_0000_0000_0000_0000_0000_0099u128,
            )
        };
        match &mut want.l3 {
            L3::Ipv4(h) => h.src = [1, 2, 3, 4],
            L3::Ipv6(h) => h.src = value.to_be_bytes(),
            _ => unreachable!(),
        }
        let got = check(&spec, &[sf(Field::UdpDst, 4789), sf(addr, value)], &want);
        let csum_at = if is_v4 { 14 + 20 + 6 } else { 14 + 40 + 6 };
        assert_eq!(&got[csum_at..csum_at + 2], &[0, 0]);
    }
}

#[test]
fn udp_checksum_that_computes_to_zero_is_sent_as_ffff() {
    // Find a source port for which the full checksum comes out as 0xffff
    // (a computed zero), then reach it by set-field from another port.
    let target = (0..=u16::MAX)
        .find(|&p| {
            let (f, _) = build(&ipv4(udp(p, 53)));
            f[40..42] == [0xff, 0xff]
        })
        .expect("some port sums to zero");
    let spec = ipv4(udp(target.wrapping_add(1), 53));
    let want = ipv4(udp(target, 53));
    let got = check(&spec, &[sf(Field::UdpSrc, u128::from(target))], &want);
    assert_eq!(&got[40..42], &[0xff, 0xff]);
}

#[test]
fn icmp4_type_and_code() {
    let spec = ipv4(icmp_echo());
    let mut want = spec.clone();
    if let L4::Icmp { ty, code, .. } = l4(&mut want) {
        *ty = 0;
        *code = 3;
    }
    check(
        &spec,
        &[sf(Field::Icmpv4Type, 0), sf(Field::Icmpv4Code, 3)],
        &want,
    );
    // ICMPv6 fields on an ICMPv4 packet: no-op.
    check(
        &spec,
        &[sf(Field::Icmpv6Type, 129), sf(Field::Icmpv6Code, 1)],
        &spec,
    );
}

#[test]
fn icmp4_all_zero_message_gets_ffff() {
    let spec = ipv4(L4::Icmp {
        ty: 8,
        code: 0,
        body: vec![0; 4],
    });
    let want = ipv4(L4::Icmp {
        ty: 0,
        code: 0,
        body: vec![0; 4],
    });
    let got = check(&spec, &[sf(Field::Icmpv4Type, 0)], &want);
    assert_eq!(&got[36..38], &[0xff, 0xff]);
}

#[test]
fn ipv4_tos_and_ttl() {
    let spec = ipv4(tcp(1, 2));
    let mut want = spec.clone();
    v4(&mut want).dscp = 46;
    v4(&mut want).ecn = 2;
    v4(&mut want).ttl = 7;
    check(
        &spec,
        &[
            sf(Field::IpDscp, 46),
            sf(Field::IpEcn, 2),
            sf(Field::NwTtl, 7),
        ],
        &want,
    );
    v4(&mut want).ttl = 200;
    check(
        &spec,
        &[sf(Field::IpDscp, 46), sf(Field::IpEcn, 2), A::SetTtl(200)],
        &want,
    );
}

#[test]
fn ipv4_with_options() {
    let mut spec = ipv4(tcp(1, 2));
    v4(&mut spec).options = vec![1, 1, 1, 0];
    let mut want = spec.clone();
    v4(&mut want).src = [1, 1, 1, 1];
    if let L4::Tcp { dst, .. } = l4(&mut want) {
        *dst = 443;
    }
    check(
        &spec,
        &[sf(Field::TcpDst, 443), sf(Field::Ipv4Src, 0x0101_0101)],
        &want,
    );
}

#[test]
fn tcp6_addresses_label_class_hop_limit() {
    let spec = ipv6(tcp(1000, 80));
    let mut want = spec.clone();
    let h = v6(&mut want);
    h.src = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd,
    ];
    h.dst = [0xfd; 16];
    h.label = 0xfffff;
    h.dscp = 10;
    h.ecn = 1;
    h.hlim = 1;
    if let L4::Tcp { src, .. } = &mut h.l4 {
        *src = 22;
    }
    check(
        &spec,
        &[
            sf(Field::Ipv6Src, 0x2001_0db8_0000_0000_0000_0000_0000_abcd),
            sf(Field::Ipv6Dst, u128::from_be_bytes([0xfd; 16])),
            sf(Field::Ipv6Label, 0xfffff),
            sf(Field::IpDscp, 10),
            sf(Field::IpEcn, 1),
            sf(Field::NwTtl, 1),
            sf(Field::TcpSrc, 22),
        ],
        &want,
    );
    // IPv4 fields on IPv6: no-op.
    check(&spec, &[sf(Field::Ipv4Src, 1), sf(Field::ArpOp, 2)], &spec);
}

#[test]
fn ipv6_through_extension_headers() {
    let mut spec = ipv6(udp(7, 9));
    v6(&mut spec).hbh = true;
    v6(&mut spec).frag = Some(0x0001); // first fragment
    let mut want = spec.clone();
    v6(&mut want).dst = [0x11; 16];
    if let L4::Udp { dst, .. } = l4(&mut want) {
        *dst = 10;
    }
    check(
        &spec,
        &[
            sf(Field::Ipv6Dst, u128::from_be_bytes([0x11; 16])),
            sf(Field::UdpDst, 10),
        ],
        &want,
    );
}

#[test]
fn icmpv6_ns_target_and_sll() {
    let spec = ipv6(nd(135, IP6_B, Some((1, MAC_A))));
    let target = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77,
    ];
    let want = ipv6(nd(
        135,
        target,
        Some((1, [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f])),
    ));
    check(
        &spec,
        &[
            sf(Field::Ipv6NdTarget, u128::from_be_bytes(target)),
            sf(Field::Ipv6NdSll, 0x0a0b_0c0d_0e0f),
            // TLL on a solicitation: no-op.
            sf(Field::Ipv6NdTll, 0xffff_ffff_ffff),
        ],
        &want,
    );
    // Without the option, SLL is a no-op (no option is added).
    let bare = ipv6(nd(135, IP6_B, None));
    check(&bare, &[sf(Field::Ipv6NdSll, 0x0a0b_0c0d_0e0f)], &bare);
}

#[test]
fn icmpv6_na_tll_after_another_option() {
    let mut spec = ipv6(nd(136, IP6_A, None));
    if let L4::Icmp { body, .. } = l4(&mut spec) {
        body.extend_from_slice(&[14, 1, 1, 2, 3, 4, 5, 6]); // nonce
        body.extend_from_slice(&[2, 1, 0, 0, 0, 0, 0, 1]); // TLL
    }
    let mut want = spec.clone();
    if let L4::Icmp { body, .. } = l4(&mut want) {
        body[30..36].copy_from_slice(&[0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    }
    check(
        &spec,
        &[
            sf(Field::Ipv6NdTll, 0x02aa_bbcc_ddee),
            sf(Field::Ipv6NdSll, 0x1234), // SLL on an advertisement: no-op
        ],
        &want,
    );
}

#[test]
fn icmpv6_type_code_and_address() {
    let spec = ipv6(L4::Icmp {
        ty: 128,
        code: 0,
        body: vec![0, 1, 0, 2, 0xaa, 0xbb],
    });
    let mut want = spec.clone();
    v6(&mut want).src = [0xfe; 16];
    if let L4::Icmp { ty, code, .. } = l4(&mut want) {
        *ty = 129;
        *code = 5;
    }
    check(
        &spec,
        &[
            sf(Field::Icmpv6Type, 129),
            sf(Field::Icmpv6Code, 5),
            sf(Field::Ipv6Src, u128::from_be_bytes([0xfe; 16])),
            sf(Field::Icmpv4Type, 3), // no-op on ICMPv6
        ],
        &want,
    );
}

#[test]
fn arp_fields() {
    let spec = arp(1);
    let mut want = arp(2);
    if let L3::Arp(a) = &mut want.l3 {
        a.sha = [0x02, 0, 0, 0, 0, 0x99];
        a.spa = [10, 1, 1, 1];
        a.tha = MAC_A;
        a.tpa = [10, 2, 2, 2];
    }
    check(
        &spec,
        &[
            sf(Field::ArpOp, 2),
            sf(Field::ArpSha, 0x0200_0000_0099),
            sf(Field::ArpSpa, 0x0a01_0101),
            sf(Field::ArpTha, mac(MAC_A)),
            sf(Field::ArpTpa, 0x0a02_0202),
            // Not IP: these are no-ops.
            sf(Field::Ipv4Dst, 1),
            sf(Field::IpDscp, 3),
            A::DecTtl,
        ],
        &want,
    );
}

#[test]
fn sctp_ports_recompute_crc32c() {
    for spec in [ipv4(sctp(5000, 6000)), ipv6(sctp(5000, 6000))] {
        let mut want = spec.clone();
        if let L4::Sctp { src, dst, .. } = l4(&mut want) {
            *src = 1;
            *dst = 0xfffe;
        }
        check(
            &spec,
            &[sf(Field::SctpSrc, 1), sf(Field::SctpDst, 0xfffe)],
            &want,
        );
    }
}

#[test]
fn sctp_wrong_crc_stays_wrong() {
    let (mut f, layout) = build(&ipv4(sctp(5000, 6000)));
    let crc_at = 14 + 20 + 8;
    f[crc_at] ^= 0x5a;
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::new(&f),
        layout,
        &[sf(Field::SctpDst, 7), A::Output(1)],
    );
    let got = only_output(&r);
    let (mut want, _) = build(&ipv4(sctp(5000, 7)));
    want[crc_at] ^= 0x5a;
    assert_eq!(got, want);
}

#[test]
fn sctp_first_fragment_port_set_crc_untouched() {
    let mut spec = ipv4(sctp(5000, 6000));
    v4(&mut spec).frag = 0x2000;
    let (f, layout) = build(&spec);
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::new(&f),
        layout,
        &[sf(Field::SctpSrc, 9), A::Output(1)],
    );
    let got = only_output(&r);
    let mut want = f.clone();
    want[34..36].copy_from_slice(&9u16.to_be_bytes());
    assert_eq!(got, want);
}

#[test]
fn fragments() {
    // Later IPv4 fragment: no L4 header; address changes fix only the IPv4
    // header checksum.
    let mut spec = ipv4(tcp(1000, 80));
    v4(&mut spec).frag = 0x0010;
    let mut want = spec.clone();
    v4(&mut want).dst = [1, 2, 3, 4];
    let got = check(
        &spec,
        &[sf(Field::TcpDst, 1), sf(Field::Ipv4Dst, 0x0102_0304)],
        &want,
    );
    assert_eq!(&got[34..54], &build(&spec).0[34..54], "payload untouched");
    // First fragment: the L4 header is there and is edited.
    let mut spec = ipv4(tcp(1000, 80));
    v4(&mut spec).frag = 0x2000;
    let mut want = spec.clone();
    if let L4::Tcp { dst, .. } = l4(&mut want) {
        *dst = 1;
    }
    check(&spec, &[sf(Field::TcpDst, 1)], &want);
    // Later IPv6 fragment.
    let mut spec = ipv6(udp(1, 2));
    v6(&mut spec).frag = Some(0x0008);
    let mut want = spec.clone();
    v6(&mut want).src = [9; 16];
    check(
        &spec,
        &[
            sf(Field::UdpSrc, 77),
            sf(Field::Ipv6Src, u128::from_be_bytes([9; 16])),
        ],
        &want,
    );
}

#[test]
fn metadata_and_unsettable_fields_are_ignored() {
    let spec = ipv4(tcp(1, 2));
    let prog: Vec<DpAction> = [
        Field::InPort,
        Field::Metadata,
        Field::Reg0,
        Field::Reg7,
        Field::TunnelId,
        Field::TunIpv4Src,
        Field::TunIpv4Dst,
        Field::EthType,
        Field::VlanOuterTci,
        Field::IpProto,
        Field::IpFrag,
        Field::TcpFlags,
    ]
    .into_iter()
    .map(|f| sf(f, u128::MAX))
    .collect();
    check(&spec, &prog, &spec);
}

#[test]
fn l4_fields_on_other_protocols_are_noops() {
    for spec in [ipv4(udp(1, 2)), ipv4(icmp_echo()), ipv6(tcp(1, 2)), arp(1)] {
        check(
            &spec,
            &[
                sf(Field::SctpSrc, 5),
                if matches!(&spec.l3, L3::Ipv4(h) if matches!(h.l4, L4::Udp { .. })) {
                    sf(Field::TcpSrc, 5)
                } else {
                    sf(Field::UdpSrc, 5)
                },
                sf(Field::Ipv6NdTarget, 5),
            ],
            &spec,
        );
    }
}
