//! Property tests over arbitrary and mutated packets.

use super::testdata::hex;
use super::*;
use crate::flow::{Field as F, FlowKey, Prereq, FIELDS};
use proptest::prelude::*;
use proptest::sample::{select, Index};

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
    // The check without a key agrees.
    let (mut scratch, mut scratch_layout) = (FlowKey::ALL, PacketLayout::default());
    prop_assert_eq!(
        is_valid(pkt, &META, &mut scratch, &mut scratch_layout),
        res.is_ok()
    );

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

    // IPv4 fields all live in words 0-4: past them, an IPv4 packet's key
    // has only the tunnel metadata (the PMD then hashes words 0-4 alone,
    // `emc::flow_hash_ipv4`).
    if layout.l3 == L3Kind::Ipv4 {
        let mut k = key;
        for f in [F::TunnelId, F::TunIpv4Src, F::TunIpv4Dst] {
            k.set(f, 0);
        }
        prop_assert!(
            k.words()[crate::flow::HOT_WORDS..].iter().all(|&w| w == 0),
            "IPv4 key past word 4: {:?}",
            k
        );
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
