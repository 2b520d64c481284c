//! Output and ownership semantics: copies, moves, clones, controller, drops.

use super::*;
use crate::actions::testpkt::*;
use crate::actions::DpAction as A;
use crate::flow::Field;
use crate::meter::MeterTable;

#[test]
fn outputs_see_the_packet_as_it_was_then() {
    let spec = ipv4(tcp(1, 2));
    let r = exec_spec(
        &spec,
        &[
            sf(Field::EthDst, 0x0200_0000_0001),
            A::Output(1),
            sf(Field::EthDst, 0x0200_0000_0002),
            sf(Field::TcpDst, 99),
            A::Output(2),
        ],
    );
    let mut want1 = spec.clone();
    want1.dst = [2, 0, 0, 0, 0, 1];
    let mut want2 = spec.clone();
    want2.dst = [2, 0, 0, 0, 0, 2];
    if let L4::Tcp { dst, .. } = l4(&mut want2) {
        *dst = 99;
    }
    assert_eq!(
        r.log,
        vec![
            Emitted::Output {
                port: 1,
                pkt: VecPacket::new(&build(&want1).0)
            },
            Emitted::Output {
                port: 2,
                pkt: VecPacket::new(&build(&want2).0)
            },
        ]
    );
}

#[test]
fn last_output_moves_the_packet() {
    // duplicate() would fail: a single output must not need it.
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let pkt = VecPacket::new(&f).failing_duplicates();
    let r = exec_pkt(
        &MeterTable::new(),
        pkt,
        layout,
        &[A::Output(4), sf(Field::TcpDst, 9)],
    );
    assert!(matches!(r.log.as_slice(), [Emitted::Output { port: 4, pkt }] if pkt.to_vec() == f));
}

#[test]
fn failed_duplicate_loses_only_that_copy() {
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let pkt = VecPacket::new(&f).failing_duplicates();
    let r = exec_pkt(
        &MeterTable::new(),
        pkt,
        layout,
        &[
            A::Output(1),
            A::Controller(ToController {
                max_len: 128,
                reason: 1,
                table_id: 0,
                cookie: 7,
                ..Default::default()
            }),
            A::Clone(vec![A::Output(5)].into()),
            A::Output(2),
        ],
    );
    assert_eq!(r.log.len(), 4);
    assert_eq!(r.log[0], Emitted::Dropped(DropReason::NoBuffers));
    assert_eq!(r.log[1], Emitted::Dropped(DropReason::NoBuffers));
    assert_eq!(r.log[2], Emitted::Dropped(DropReason::NoBuffers));
    assert!(matches!(&r.log[3], Emitted::Output { port: 2, pkt } if pkt.to_vec() == f));
}

#[test]
fn controller_action() {
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::new(&f),
        layout,
        &[
            A::Controller(ToController {
                max_len: 0xffff,
                reason: 2,
                table_id: 3,
                cookie: 0xc00c1e,
                metadata: 0xfeed,
                tunnel_id: 0,
            }),
            A::Output(1),
            A::Controller(ToController {
                max_len: 64,
                reason: 1,
                table_id: 4,
                cookie: 5,
                metadata: 0,
                tunnel_id: 42,
            }),
        ],
    );
    assert_eq!(
        r.log,
        vec![
            Emitted::Controller {
                pkt: VecPacket::new(&f),
                to: ToController {
                    max_len: 0xffff,
                    reason: 2,
                    table_id: 3,
                    cookie: 0xc00c1e,
                    metadata: 0xfeed,
                    tunnel_id: 0,
                }
            },
            Emitted::Output {
                port: 1,
                pkt: VecPacket::new(&f)
            },
            Emitted::Controller {
                pkt: VecPacket::new(&f),
                to: ToController {
                    max_len: 64,
                    reason: 1,
                    table_id: 4,
                    cookie: 5,
                    metadata: 0,
                    tunnel_id: 42,
                }
            },
        ]
    );
}

#[test]
fn clone_runs_on_a_copy() {
    let spec = ipv4(tcp(1, 2));
    let (f, layout) = build(&spec);
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::new(&f),
        layout,
        &[
            A::Clone(
                vec![
                    A::PushVlan { tpid: TPID_8021Q },
                    sf(Field::VlanVid, 0x1000 | 42),
                    A::Output(1),
                ]
                .into(),
            ),
            sf(Field::TcpSrc, 1234),
            A::Output(2),
        ],
    );
    let mut want1 = spec.clone();
    want1.vlans = vec![(TPID_8021Q, 42)];
    let mut want2 = spec.clone();
    if let L4::Tcp { src, .. } = l4(&mut want2) {
        *src = 1234;
    }
    assert_eq!(
        r.log,
        vec![
            Emitted::Output {
                port: 1,
                pkt: VecPacket::new(&build(&want1).0)
            },
            Emitted::Output {
                port: 2,
                pkt: VecPacket::new(&build(&want2).0)
            },
        ]
    );
    // The original's layout did not see the clone's push.
    assert_eq!(r.layout, layout);
}

#[test]
fn last_clone_takes_the_original() {
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let pkt = VecPacket::new(&f).failing_duplicates();
    let r = exec_pkt(
        &MeterTable::new(),
        pkt,
        layout,
        &[
            // Emits nothing: skipped, no duplicate attempted.
            A::Clone(vec![sf(Field::TcpSrc, 5)].into()),
            A::Clone(vec![A::PushVlan { tpid: TPID_8021Q }, A::Output(3)].into()),
            sf(Field::TcpSrc, 6),
        ],
    );
    assert_eq!(r.log.len(), 1, "{:?}", r.log);
    assert!(
        matches!(&r.log[0], Emitted::Output { port: 3, pkt } if pkt.data().len() == f.len() + 4)
    );
    assert_eq!(r.layout.vlan_tags, 1);
}

#[test]
fn nested_clones_and_their_drops() {
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::new(&f),
        layout,
        &[
            A::Clone(vec![A::Clone(vec![A::Output(1)].into()), A::Output(2), A::Drop].into()),
            A::Clone(vec![A::Output(3), sf(Field::EthDst, 1)].into()),
            A::Output(4),
        ],
    );
    let ports: Vec<u16> = r
        .log
        .iter()
        .filter_map(|e| match e {
            Emitted::Output { port, .. } => Some(*port),
            _ => None,
        })
        .collect();
    assert_eq!(ports, vec![1, 2, 3, 4]);
    assert_eq!(
        r.log.len(),
        4,
        "no drop: Drop after the last output is not reached"
    );
}

#[test]
fn too_deep_clones_do_not_recurse_forever() {
    let mut prog: Box<[DpAction]> = vec![A::Output(1)].into();
    for _ in 0..100 {
        prog = vec![A::Clone(prog), A::Output(2)].into();
    }
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let r = exec_pkt(&MeterTable::new(), VecPacket::new(&f), layout, &prog);
    let outputs = r
        .log
        .iter()
        .filter(|e| matches!(e, Emitted::Output { .. }))
        .count();
    // Every level down to the limit outputs to port 2; below it, nothing.
    assert_eq!(outputs, MAX_CLONE_DEPTH as usize + 1);
    assert!(r.log.contains(&Emitted::Dropped(DropReason::TooDeep)));
}

#[test]
fn drop_and_no_output() {
    let spec = ipv4(tcp(1, 2));
    let r = exec_spec(&spec, &[A::Output(1), A::Drop, A::Output(2)]);
    assert!(matches!(r.log[0], Emitted::Output { port: 1, .. }));
    assert_eq!(r.log[1..], [Emitted::Dropped(DropReason::ExplicitDrop)]);
    let r = exec_spec(&spec, &[sf(Field::TcpDst, 1), A::DecTtl]);
    assert_eq!(r.log, vec![Emitted::Dropped(DropReason::NoOutput)]);
    let r = exec_spec(&spec, &[]);
    assert_eq!(r.log, vec![Emitted::Dropped(DropReason::NoOutput)]);
}

#[test]
fn drop_reason_table() {
    for (i, r) in DropReason::ALL.iter().enumerate() {
        assert_eq!(*r as usize, i);
        assert!(!r.name().is_empty());
    }
}

#[test]
fn vec_packet_insert_remove() {
    let mut p = VecPacket::with_headroom(&[1, 2, 3, 4, 5], 2);
    assert!(!p.insert(1, 3), "no room");
    assert!(!p.insert(6, 1), "past the end");
    assert!(p.insert(2, 2));
    assert_eq!(&p.data()[..2], &[1, 2]);
    assert_eq!(&p.data()[4..], &[3, 4, 5]);
    assert_eq!(p.headroom(), 0);
    assert!(p.remove(2, 2));
    assert_eq!(p.data(), &[1, 2, 3, 4, 5]);
    assert!(!p.remove(4, 2));
    assert!(p.remove(0, 5));
    assert_eq!(p.data(), &[] as &[u8]);
    assert_eq!(p.pkt_len(), 0);
}
