//! Truncation at every length: an error exactly when cut, naming the cut
//! header, and no invented fields.

use super::testdata::{self as td, hex};
use super::*;
use crate::flow::{Field as F, FlowKey, FIELDS};

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
            let (mut k, mut l) = (FlowKey::ALL, PacketLayout::default());
            let valid = is_valid(&pkt[..len], &META, &mut k, &mut l);
            assert_eq!(valid, res.is_ok(), "{name} cut at {len}: the check alone");
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
