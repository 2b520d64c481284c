//! Property tests: a model of the edits on random packets; garbage in,
//! no panic.

use proptest::prelude::*;

use super::*;
use crate::actions::testpkt::{self, *};
use crate::actions::DpAction as A;
use crate::flow::{Field, FIELDS};
use crate::meter::MeterTable;
use crate::parse::{L3Kind, PacketLayout};

fn payload(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn arb_nd() -> impl Strategy<Value = L4> {
    (
        prop_oneof![Just(135u8), Just(136u8)],
        any::<[u8; 16]>(),
        any::<bool>(),
        any::<[u8; 6]>(),
        prop_oneof![Just(1u8), Just(2u8)],
        any::<[u8; 6]>(),
    )
        .prop_map(|(ty, target, nonce, nonce_bytes, opt, mac)| {
            let L4::Icmp { ty, code, mut body } = nd(ty, target, None) else {
                unreachable!()
            };
            if nonce {
                body.extend_from_slice(&[14, 1]);
                body.extend_from_slice(&nonce_bytes);
            }
            body.extend_from_slice(&[opt, 1]);
            body.extend_from_slice(&mac);
            L4::Icmp { ty, code, body }
        })
}

fn arb_l4(v6: bool) -> BoxedStrategy<L4> {
    let tcp = (any::<u16>(), any::<u16>(), payload(24)).prop_map(|(src, dst, payload)| L4::Tcp {
        src,
        dst,
        payload,
    });
    let udp = (any::<u16>(), any::<u16>(), payload(24), any::<bool>()).prop_map(
        |(src, dst, payload, zero_csum)| L4::Udp {
            src,
            dst,
            payload,
            zero_csum,
        },
    );
    let sctp = (any::<u16>(), any::<u16>(), payload(24)).prop_map(|(src, dst, payload)| L4::Sctp {
        src,
        dst,
        payload,
    });
    let icmp = (
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 4..28),
    )
        .prop_map(|(ty, code, body)| L4::Icmp { ty, code, body });
    let raw = (prop_oneof![Just(47u8), Just(50u8)], payload(16))
        .prop_map(|(proto, payload)| L4::Raw { proto, payload });
    if v6 {
        prop_oneof![tcp, udp, sctp, icmp, arb_nd(), raw].boxed()
    } else {
        prop_oneof![tcp, udp, sctp, icmp, raw].boxed()
    }
}

fn arb_l3() -> impl Strategy<Value = L3> {
    let v4 = (
        any::<[u8; 4]>(),
        any::<[u8; 4]>(),
        0u8..64,
        0u8..4,
        any::<u8>(),
        any::<u16>(),
        prop_oneof![
            Just(0u16),
            Just(0x4000),
            Just(0x2000),
            Just(0x0010),
            Just(0x2020)
        ],
        any::<bool>(),
        arb_l4(false),
    )
        .prop_map(|(src, dst, dscp, ecn, ttl, id, frag, opts, l4)| {
            // The CRC of a fragmented SCTP packet cannot be fixed (checked
            // by a unit test); keep the model simple.
            let frag = if matches!(l4, L4::Sctp { .. }) {
                0
            } else {
                frag
            };
            L3::Ipv4(testpkt::Ipv4 {
                src,
                dst,
                dscp,
                ecn,
                ttl,
                id,
                frag,
                options: if opts { vec![1, 1, 1, 0] } else { vec![] },
                l4,
            })
        });
    let v6 = (
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        0u8..64,
        0u8..4,
        0u32..0x10_0000,
        any::<u8>(),
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some(1u16)),
            Just(Some(0x0008)),
            Just(Some(0x0019))
        ],
        arb_l4(true),
    )
        .prop_map(|(src, dst, dscp, ecn, label, hlim, hbh, frag, l4)| {
            let frag = if matches!(l4, L4::Sctp { .. }) {
                None
            } else {
                frag
            };
            L3::Ipv6(testpkt::Ipv6 {
                src,
                dst,
                dscp,
                ecn,
                label,
                hlim,
                hbh,
                frag,
                l4,
            })
        });
    let arp = (
        any::<u16>(),
        any::<[u8; 6]>(),
        any::<[u8; 4]>(),
        any::<[u8; 6]>(),
        any::<[u8; 4]>(),
    )
        .prop_map(|(op, sha, spa, tha, tpa)| {
            L3::Arp(testpkt::Arp {
                op,
                sha,
                spa,
                tha,
                tpa,
            })
        });
    let other = payload(40).prop_map(|payload| L3::Other {
        ethertype: 0x88cc,
        payload,
    });
    prop_oneof![4 => v4, 4 => v6, 1 => arp, 1 => other]
}

fn arb_spec() -> impl Strategy<Value = Spec> {
    (
        any::<[u8; 6]>(),
        any::<[u8; 6]>(),
        prop::collection::vec(
            (
                prop_oneof![Just(TPID_8021Q), Just(TPID_8021AD)],
                any::<u16>(),
            ),
            0..3,
        ),
        arb_l3(),
    )
        .prop_map(|(dst, src, vlans, l3)| Spec {
            dst,
            src,
            vlans,
            l3,
        })
}

fn settable_fields() -> Vec<Field> {
    FIELDS
        .iter()
        .filter(|d| d.settable)
        .map(|d| d.field)
        .collect()
}

fn arb_edit() -> impl Strategy<Value = DpAction> {
    prop_oneof![
        8 => (prop::sample::select(settable_fields()), any::<u128>(), any::<bool>())
            .prop_map(|(field, v, small)| sf(field, if small { v & 0xff } else { v })),
        1 => prop_oneof![Just(TPID_8021Q), Just(TPID_8021AD)].prop_map(|tpid| A::PushVlan { tpid }),
        1 => Just(A::PopVlan),
        1 => Just(A::DecTtl),
        1 => any::<u8>().prop_map(A::SetTtl),
    ]
}

/// Fields that apply to packets like `spec` (so that random edits mostly
/// hit headers the packet has).
fn relevant_fields(spec: &Spec) -> Vec<Field> {
    use Field as F;
    let mut f = vec![F::EthDst, F::EthSrc, F::VlanVid, F::VlanPcp];
    let ip = [F::IpDscp, F::IpEcn, F::NwTtl];
    match &spec.l3 {
        L3::Ipv4(h) => {
            f.extend(ip);
            f.extend([F::Ipv4Src, F::Ipv4Dst]);
            f.extend(l4_fields(&h.l4, false));
        }
        L3::Ipv6(h) => {
            f.extend(ip);
            f.extend([F::Ipv6Src, F::Ipv6Dst, F::Ipv6Label]);
            f.extend(l4_fields(&h.l4, true));
        }
        L3::Arp(_) => f.extend([F::ArpOp, F::ArpSha, F::ArpSpa, F::ArpTha, F::ArpTpa]),
        L3::Other { .. } => {}
    }
    f
}

fn l4_fields(l4: &L4, v6: bool) -> Vec<Field> {
    use Field as F;
    match l4 {
        L4::Tcp { .. } => vec![F::TcpSrc, F::TcpDst],
        L4::Udp { .. } => vec![F::UdpSrc, F::UdpDst],
        L4::Sctp { .. } => vec![F::SctpSrc, F::SctpDst],
        L4::Icmp { .. } if v6 => vec![
            F::Icmpv6Type,
            F::Icmpv6Code,
            F::Ipv6NdTarget,
            F::Ipv6NdSll,
            F::Ipv6NdTll,
            F::Ipv6NdTarget,
            F::Ipv6NdSll,
            F::Ipv6NdTll,
        ],
        L4::Icmp { .. } => vec![F::Icmpv4Type, F::Icmpv4Code],
        L4::Raw { .. } => vec![],
    }
}

/// A packet and edits for it: mostly fields it has, some random ones.
fn arb_case() -> impl Strategy<Value = (Spec, Vec<DpAction>)> {
    arb_spec().prop_flat_map(|spec| {
        let relevant = relevant_fields(&spec);
        let targeted = (prop::sample::select(relevant), any::<u128>(), any::<bool>())
            .prop_map(|(field, v, small)| sf(field, if small { v & 0xff } else { v }));
        let edit = prop_oneof![3 => targeted, 2 => arb_edit()];
        (Just(spec), prop::collection::vec(edit, 1..7))
    })
}

/// The L4 header the executor may edit: not in a later fragment.
fn editable_l4(l3: &mut L3) -> Option<(&mut L4, bool)> {
    match l3 {
        L3::Ipv4(h) if !h.later_fragment() => Some((&mut h.l4, false)),
        L3::Ipv6(h) if !h.later_fragment() => Some((&mut h.l4, true)),
        _ => None,
    }
}

/// The model: what each edit does to the packet's description.
fn model_set(s: &mut Spec, f: Field, v: u128) {
    let v = v & f.max_value();
    let mac = |v: u128| {
        let b = (v as u64).to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    };
    match f {
        Field::EthDst => s.dst = mac(v),
        Field::EthSrc => s.src = mac(v),
        Field::VlanVid => {
            if let Some(t) = s.vlans.first_mut() {
                t.1 = (t.1 & 0xf000) | (v as u16 & 0x0fff);
            }
        }
        Field::VlanPcp => {
            if let Some(t) = s.vlans.first_mut() {
                t.1 = (t.1 & 0x1fff) | ((v as u16 & 7) << 13);
            }
        }
        Field::IpDscp | Field::IpEcn | Field::NwTtl => {
            let (dscp, ecn, ttl) = match &mut s.l3 {
                L3::Ipv4(h) => (&mut h.dscp, &mut h.ecn, &mut h.ttl),
                L3::Ipv6(h) => (&mut h.dscp, &mut h.ecn, &mut h.hlim),
                _ => return,
            };
            match f {
                Field::IpDscp => *dscp = v as u8,
                Field::IpEcn => *ecn = v as u8,
                _ => *ttl = v as u8,
            }
        }
        Field::Ipv4Src | Field::Ipv4Dst => {
            if let L3::Ipv4(h) = &mut s.l3 {
                let a = (v as u32).to_be_bytes();
                if f == Field::Ipv4Src {
                    h.src = a;
                } else {
                    h.dst = a;
                }
            }
        }
        Field::Ipv6Src | Field::Ipv6Dst | Field::Ipv6Label => {
            if let L3::Ipv6(h) = &mut s.l3 {
                match f {
                    Field::Ipv6Src => h.src = v.to_be_bytes(),
                    Field::Ipv6Dst => h.dst = v.to_be_bytes(),
                    _ => h.label = v as u32,
                }
            }
        }
        Field::TcpSrc
        | Field::TcpDst
        | Field::UdpSrc
        | Field::UdpDst
        | Field::SctpSrc
        | Field::SctpDst => {
            let port = v as u16;
            match (f, editable_l4(&mut s.l3)) {
                (Field::TcpSrc, Some((L4::Tcp { src, .. }, _)))
                | (Field::UdpSrc, Some((L4::Udp { src, .. }, _)))
                | (Field::SctpSrc, Some((L4::Sctp { src, .. }, _))) => *src = port,
                (Field::TcpDst, Some((L4::Tcp { dst, .. }, _)))
                | (Field::UdpDst, Some((L4::Udp { dst, .. }, _)))
                | (Field::SctpDst, Some((L4::Sctp { dst, .. }, _))) => *dst = port,
                _ => {}
            }
        }
        Field::Icmpv4Type | Field::Icmpv4Code | Field::Icmpv6Type | Field::Icmpv6Code => {
            let want_v6 = matches!(f, Field::Icmpv6Type | Field::Icmpv6Code);
            if let Some((L4::Icmp { ty, code, .. }, is_v6)) = editable_l4(&mut s.l3) {
                if is_v6 == want_v6 {
                    if matches!(f, Field::Icmpv4Type | Field::Icmpv6Type) {
                        *ty = v as u8;
                    } else {
                        *code = v as u8;
                    }
                }
            }
        }
        Field::ArpOp | Field::ArpSha | Field::ArpSpa | Field::ArpTha | Field::ArpTpa => {
            if let L3::Arp(a) = &mut s.l3 {
                match f {
                    Field::ArpOp => a.op = v as u16,
                    Field::ArpSha => a.sha = mac(v),
                    Field::ArpSpa => a.spa = (v as u32).to_be_bytes(),
                    Field::ArpTha => a.tha = mac(v),
                    _ => a.tpa = (v as u32).to_be_bytes(),
                }
            }
        }
        Field::Ipv6NdTarget | Field::Ipv6NdSll | Field::Ipv6NdTll => {
            let Some((L4::Icmp { ty, body, .. }, true)) = editable_l4(&mut s.l3) else {
                return;
            };
            if !(*ty == 135 || *ty == 136) || body.len() < 20 {
                return;
            }
            let (want_ty, want_opt) = match f {
                Field::Ipv6NdTarget => {
                    body[4..20].copy_from_slice(&v.to_be_bytes());
                    return;
                }
                Field::Ipv6NdSll => (135, 1),
                _ => (136, 2),
            };
            if *ty != want_ty {
                return;
            }
            let mut at = 20;
            while at + 2 <= body.len() {
                let (t, len) = (body[at], usize::from(body[at + 1]));
                if len == 0 || at + len * 8 > body.len() {
                    return;
                }
                if t == want_opt && len == 1 {
                    body[at + 2..at + 8].copy_from_slice(&mac(v));
                    return;
                }
                at += len * 8;
            }
        }
        _ => {}
    }
}

fn model(s: &mut Spec, a: &DpAction) -> Result<(), DropReason> {
    match a {
        A::SetField { field, value } => model_set(s, *field, *value),
        A::PushVlan { tpid } => {
            let tci = s.vlans.first().map_or(0, |t| t.1);
            s.vlans.insert(0, (*tpid, tci));
        }
        A::PopVlan => {
            if !s.vlans.is_empty() {
                s.vlans.remove(0);
            }
        }
        A::DecTtl => {
            let ttl = match &mut s.l3 {
                L3::Ipv4(h) => &mut h.ttl,
                L3::Ipv6(h) => &mut h.hlim,
                _ => return Ok(()),
            };
            if *ttl <= 1 {
                return Err(DropReason::TtlExpired);
            }
            *ttl -= 1;
        }
        A::SetTtl(v) => match &mut s.l3 {
            L3::Ipv4(h) => h.ttl = *v,
            L3::Ipv6(h) => h.hlim = *v,
            _ => {}
        },
        other => panic!("not modelled: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random edits on random valid packets: the output is exactly the
    /// packet the model describes, built from scratch; so every checksum
    /// verifies and the layout follows pushes and pops.
    #[test]
    fn edits_match_the_model((spec, edits) in arb_case()) {
        let (bytes, layout) = build(&spec);
        prop_assert_eq!(verify(&bytes), Ok(layout));
        let mut want = spec.clone();
        let outcome = edits.iter().try_for_each(|a| model(&mut want, a));
        let mut prog = edits.clone();
        prog.push(A::Output(1));
        let r = exec_pkt(&MeterTable::new(), VecPacket::new(&bytes), layout, &prog);
        match outcome {
            Err(why) => prop_assert_eq!(r.log, vec![Emitted::Dropped(why)]),
            Ok(()) => {
                let got = only_output(&r);
                let (want_bytes, want_layout) = build(&want);
                prop_assert_eq!(verify(&got), Ok(want_layout));
                prop_assert_eq!(&got, &want_bytes);
                prop_assert_eq!(r.layout, want_layout);
            }
        }
    }

    /// Garbage bytes, garbage layouts, any program: no panic, and the
    /// program either emits or reports a drop.
    #[test]
    fn garbage_never_panics(
        bytes in payload(120),
        headroom in 0usize..8,
        l3_ofs in prop_oneof![0u16..130, any::<u16>()],
        l3 in prop_oneof![Just(L3Kind::None), Just(L3Kind::Ipv4), Just(L3Kind::Ipv6), Just(L3Kind::Arp)],
        l4_ofs in prop_oneof![0u16..130, any::<u16>()],
        l4_proto in prop_oneof![Just(0u8), Just(1), Just(6), Just(17), Just(58), Just(132), any::<u8>()],
        vlan_tags in 0u8..4,
        edits in prop::collection::vec(arb_edit(), 0..10),
        outputs in any::<bool>(),
    ) {
        let layout = PacketLayout { l3_ofs, l3, l4_ofs, l4_proto, vlan_tags };
        let mut prog = edits.clone();
        if outputs {
            prog.insert(prog.len() / 2, A::Output(1));
            prog.push(A::Clone(edits.into()));
            prog.push(A::Output(2));
        }
        let r = exec_pkt(&MeterTable::new(), VecPacket::with_headroom(&bytes, headroom), layout, &prog);
        prop_assert!(!r.log.is_empty());
    }

    /// A garbage-shaped but plausibly laid out packet: real headers with
    /// random bytes after the Ethernet header. Edits must keep the length
    /// (pushes/pops aside) and never panic.
    #[test]
    fn random_bytes_behind_real_layouts(
        spec in arb_spec(),
        noise in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        edits in prop::collection::vec(arb_edit(), 1..7),
    ) {
        let (mut bytes, layout) = build(&spec);
        for (i, b) in noise {
            let at = 14 + i.index(bytes.len() - 14);
            bytes[at] = b;
        }
        let mut prog = edits;
        prog.push(A::Output(1));
        let r = exec_pkt(&MeterTable::new(), VecPacket::new(&bytes), layout, &prog);
        prop_assert!(!r.log.is_empty());
    }
}
