//! Robustness: layouts that do not match the bytes.

use super::*;
use crate::actions::testpkt::*;
use crate::actions::DpAction as A;
use crate::flow::Field;
use crate::meter::MeterTable;
use crate::parse::{L3Kind, PacketLayout};

#[test]
fn mismatched_layouts_are_harmless() {
    let (f, good) = build(&ipv4(udp(1, 2)));
    let layouts = [
        // Says IPv6 where there is IPv4.
        PacketLayout {
            l3: L3Kind::Ipv6,
            ..good
        },
        // Says TCP where there is UDP.
        PacketLayout {
            l4_proto: 6,
            ..good
        },
        // Offsets past the end.
        PacketLayout {
            l3_ofs: 1000,
            l4_ofs: 1020,
            ..good
        },
        PacketLayout {
            l3_ofs: u16::MAX,
            l4_ofs: u16::MAX,
            vlan_tags: u8::MAX,
            ..good
        },
        // L4 offset off by a few bytes.
        PacketLayout {
            l4_ofs: good.l4_ofs + 2,
            ..good
        },
        // ARP over an IPv4 packet.
        PacketLayout {
            l3: L3Kind::Arp,
            ..good
        },
    ];
    let edits = [
        sf(Field::Ipv4Src, 0x0102_0304),
        sf(Field::Ipv6Dst, 7),
        sf(Field::TcpDst, 7),
        sf(Field::UdpSrc, 7),
        sf(Field::ArpTpa, 7),
        sf(Field::Ipv6NdSll, 7),
        sf(Field::SctpSrc, 7),
        sf(Field::Icmpv4Type, 7),
    ];
    for layout in layouts {
        for e in &edits {
            let r = exec_pkt(
                &MeterTable::new(),
                VecPacket::new(&f),
                layout,
                &[e.clone(), A::Output(1)],
            );
            let got = only_output(&r);
            // Whatever was written, the packet is the same length and no
            // checksum of the real headers broke unless the edit hit them
            // through a layout that is only partly wrong.
            assert_eq!(got.len(), f.len());
            if layout.l3 != L3Kind::Ipv4 || layout.l3_ofs != good.l3_ofs {
                assert_eq!(got, f, "{layout:?} {e:?}");
            }
        }
    }
}
