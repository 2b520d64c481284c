//! Groups: all/indirect/select/fast-failover, group-mod errors, chaining,
//! deletion and counters.

use fastpath::actions::DpAction;
use fastpath::flow::Field;

use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};

use Field as F;

#[test]
fn group_all_clones_modifying_buckets_and_inlines_plain_outputs() {
    let p = pipeline();
    p.group_mod(&group(
        1,
        GroupType::All,
        vec![
            bucket(vec![out(2)]),
            bucket(vec![
                Action::SetField {
                    field: F::EthDst,
                    value: 9,
                },
                out(3),
            ]),
        ],
    ))
    .unwrap();
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![apply(vec![Action::Group(1), out(4)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(
        t.actions,
        vec![
            DpAction::Output(1),
            DpAction::Clone(
                vec![
                    DpAction::SetField {
                        field: F::EthDst,
                        value: 9
                    },
                    DpAction::Output(2)
                ]
                .into()
            ),
            DpAction::Output(3),
        ]
    );
    // Entry + group + 2 buckets.
    assert_eq!(t.hits.len(), 4);
}

#[test]
fn group_indirect_and_chaining() {
    let p = pipeline();
    p.group_mod(&group(2, GroupType::Indirect, vec![bucket(vec![out(3)])]))
        .unwrap();
    p.group_mod(&group(
        1,
        GroupType::Indirect,
        vec![bucket(vec![Action::Group(2)])],
    ))
    .unwrap();
    add(
        &p,
        flow(0, 10, FlowMatch::ANY, vec![apply(vec![Action::Group(1)])]),
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(2)]
    );
}

#[test]
fn group_fast_failover_follows_liveness() {
    let p = pipeline();
    let mut b1 = bucket(vec![out(2)]);
    b1.watch_port = PortNo(2);
    let mut b2 = bucket(vec![out(3)]);
    b2.watch_port = PortNo(3);
    p.group_mod(&group(1, GroupType::FastFailover, vec![b1, b2]))
        .unwrap();
    add(
        &p,
        flow(0, 10, FlowMatch::ANY, vec![apply(vec![Action::Group(1)])]),
    );
    let k = tcp_pkt(1, 1, 2, 3, 4);
    assert_eq!(xl(&p, &k).actions, vec![DpAction::Output(1)]);
    let v0 = p.snapshot().version();
    let set_live = |live2: bool, live3: bool| {
        let mut v: Vec<PortInfo> = ports().iter().copied().collect();
        v[1].live = live2;
        v[2].live = live3;
        p.set_ports(BridgePorts::new(v));
    };
    set_live(false, true);
    assert!(p.snapshot().version() > v0);
    assert_eq!(xl(&p, &k).actions, vec![DpAction::Output(2)]);
    set_live(false, false);
    assert!(xl(&p, &k).actions.is_empty());
    // Watch a group: live when that group has a live bucket.
    set_live(true, true);
    let mut w = bucket(vec![out(4)]);
    w.watch_group = 1;
    p.group_mod(&group(3, GroupType::FastFailover, vec![w]))
        .unwrap();
    add(
        &p,
        flow(
            0,
            20,
            exact(&[(F::InPort, 2)]),
            vec![apply(vec![Action::Group(3)])],
        ),
    );
    let k2 = tcp_pkt(2, 1, 2, 3, 4);
    assert_eq!(xl(&p, &k2).actions, vec![DpAction::Output(3)]);
    set_live(false, false);
    assert!(xl(&p, &k2).actions.is_empty());
}

#[test]
fn group_select_is_weighted_and_stable() {
    let p = pipeline();
    let mut b1 = bucket(vec![out(2)]);
    b1.weight = 3;
    let mut b2 = bucket(vec![out(3)]);
    b2.weight = 1;
    p.group_mod(&group(1, GroupType::Select, vec![b1, b2]))
        .unwrap();
    add(
        &p,
        flow(0, 10, FlowMatch::ANY, vec![apply(vec![Action::Group(1)])]),
    );
    let (mut n1, mut n2) = (0, 0);
    for sport in 0..2000u128 {
        let k = tcp_pkt(1, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1024 + sport, 80);
        let a = xl(&p, &k).actions;
        assert_eq!(a, xl(&p, &k).actions, "stable");
        match a[..] {
            [DpAction::Output(1)] => n1 += 1,
            [DpAction::Output(2)] => n2 += 1,
            _ => panic!("{a:?}"),
        }
    }
    assert!(
        n1 > 1300 && n1 < 1700 && n2 > 300,
        "3:1 split, got {n1}:{n2}"
    );
}

#[test]
fn group_mod_errors() {
    let p = pipeline();
    let g = |id, t, b| group(id, t, b);
    p.group_mod(&g(1, GroupType::All, vec![bucket(vec![out(2)])]))
        .unwrap();
    let gm = OfpErrorKind::GroupModFailed;
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(1, GroupType::All, vec![]))),
        gm(code::GROUP_EXISTS)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&GroupMod {
            command: GroupModCommand::Modify,
            ..g(2, GroupType::All, vec![])
        })),
        gm(code::UNKNOWN_GROUP)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(
            3,
            GroupType::Indirect,
            vec![bucket(vec![out(2)]), bucket(vec![out(3)])]
        ))),
        gm(code::INVALID_GROUP)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(3, GroupType::Indirect, vec![]))),
        gm(code::INVALID_GROUP)
    );
    let mut wb = bucket(vec![out(2)]);
    wb.weight = 5;
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(3, GroupType::All, vec![wb]))),
        gm(code::BAD_BUCKET)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(GROUP_ALL, GroupType::All, vec![]))),
        gm(code::INVALID_GROUP)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(
            3,
            GroupType::All,
            vec![bucket(vec![Action::Group(3)])]
        ))),
        gm(code::LOOP)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(
            3,
            GroupType::All,
            vec![bucket(vec![Action::Group(8)])]
        ))),
        OfpErrorKind::BadAction(code::BAD_OUT_GROUP)
    );
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(
            3,
            GroupType::All,
            vec![bucket(vec![out(99)])]
        ))),
        OfpErrorKind::BadAction(code::BAD_OUT_PORT)
    );
    let mut bw = bucket(vec![out(2)]);
    bw.watch_group = 77;
    assert_eq!(
        unchanged(&p, || p.group_mod(&g(3, GroupType::FastFailover, vec![bw]))),
        gm(code::BAD_WATCH)
    );
    // A loop through a modify: 2 -> 1, then 1 -> 2.
    p.group_mod(&g(2, GroupType::All, vec![bucket(vec![Action::Group(1)])]))
        .unwrap();
    let before = view(&p);
    assert_eq!(
        unchanged(&p, || p.group_mod(&GroupMod {
            command: GroupModCommand::Modify,
            ..g(1, GroupType::All, vec![bucket(vec![Action::Group(2)])])
        })),
        gm(code::LOOP)
    );
    assert_eq!(view(&p), before);
    // Group 1 is used by group 2.
    assert_eq!(
        unchanged(&p, || p.group_mod(&GroupMod {
            command: GroupModCommand::Delete,
            ..g(1, GroupType::All, vec![])
        })),
        gm(code::CHAINED_GROUP)
    );
    // Deleting a missing group: success, nothing changes.
    let v = p.snapshot().version();
    p.group_mod(&GroupMod {
        command: GroupModCommand::Delete,
        ..g(55, GroupType::All, vec![])
    })
    .unwrap();
    assert_eq!(p.snapshot().version(), v);
}

#[test]
fn group_chain_depth_is_limited() {
    let p = pipeline();
    p.group_mod(&group(1, GroupType::Indirect, vec![bucket(vec![out(2)])]))
        .unwrap();
    let mut id = 1;
    loop {
        let r = p.group_mod(&group(
            id + 1,
            GroupType::Indirect,
            vec![bucket(vec![Action::Group(id)])],
        ));
        match r {
            Ok(()) => id += 1,
            Err(e) => {
                assert_eq!(
                    e.kind,
                    OfpErrorKind::GroupModFailed(code::CHAINING_UNSUPPORTED)
                );
                break;
            }
        }
    }
    assert_eq!(id as usize, group::MAX_GROUP_DEPTH);
    add(
        &p,
        flow(0, 1, FlowMatch::ANY, vec![apply(vec![Action::Group(id)])]),
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(1)]
    );
}

#[test]
fn group_delete_removes_flows_using_it() {
    let p = pipeline();
    p.group_mod(&group(1, GroupType::All, vec![bucket(vec![out(2)])]))
        .unwrap();
    p.group_mod(&group(2, GroupType::All, vec![bucket(vec![out(3)])]))
        .unwrap();
    add(
        &p,
        FlowMod {
            flags: flow_flags::SEND_FLOW_REM,
            ..flow(
                0,
                10,
                exact(&[(F::InPort, 1)]),
                vec![apply(vec![Action::Group(1)])],
            )
        },
    );
    add(
        &p,
        flow(
            3,
            10,
            exact(&[(F::InPort, 1)]),
            vec![Instruction::WriteActions(vec![Action::Group(1)])],
        ),
    );
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 2)]),
            vec![apply(vec![Action::Group(2)])],
        ),
    );
    let gs = p.snapshot().groups();
    assert_eq!(gs[0].ref_count, 2);
    assert_eq!(gs[1].ref_count, 1);
    let removed = p
        .group_mod_outcome(&GroupMod {
            command: GroupModCommand::Delete,
            ..group(1, GroupType::All, vec![])
        })
        .unwrap();
    assert_eq!(removed.len(), 2);
    assert!(removed
        .iter()
        .all(|r| r.reason == RemovedReason::GroupDelete));
    assert_eq!(removed.iter().filter(|r| r.send_flow_rem()).count(), 1);
    assert_eq!(RemovedReason::GroupDelete.ofp13_code(), 3);
    let s = p.snapshot();
    assert_eq!(s.n_flows(), 1);
    assert_eq!(s.groups().len(), 1);
    // GROUP_ALL removes the rest.
    let removed = p
        .group_mod_outcome(&GroupMod {
            command: GroupModCommand::Delete,
            ..group(GROUP_ALL, GroupType::All, vec![])
        })
        .unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(p.snapshot().n_flows(), 0);
    assert!(p.snapshot().groups().is_empty());
}

#[test]
fn group_counters_are_credited_through_hits() {
    let p = pipeline();
    p.group_mod(&group(1, GroupType::All, vec![bucket(vec![out(2)])]))
        .unwrap();
    add(
        &p,
        flow(0, 10, FlowMatch::ANY, vec![apply(vec![Action::Group(1)])]),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    for h in &t.hits {
        h.credit(2, 300);
    }
    let g = &p.snapshot().groups()[0];
    assert_eq!((g.packet_count, g.byte_count), (2, 300));
    assert_eq!(g.bucket_stats, vec![(2, 300)]);
    let f = &p.snapshot().flows(&FlowFilter::default())[0];
    assert_eq!((f.n_packets, f.n_bytes), (2, 300));
}
