//! Instructions and actions: spec order, the action set, reserved ports,
//! set-field, packet-out, traces and packet-ins.

use fastpath::actions::{DpAction, ToController};
use fastpath::flow::Field;

use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};

use Field as F;

#[test]
fn instructions_run_in_spec_order() {
    let p = pipeline();
    p.meter_mod(&meter(5, meter_flags::PKTPS, 100)).unwrap();
    // Listed out of order: goto, write, apply, meter.
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![
                Instruction::GotoTable(2),
                Instruction::WriteActions(vec![out(3)]),
                apply(vec![out(2)]),
                Instruction::Meter(5),
            ],
        ),
    );
    add(&p, flow(2, 10, FlowMatch::ANY, vec![]));
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(
        t.actions,
        vec![DpAction::Meter(5), DpAction::Output(1), DpAction::Output(2)]
    );
}

#[test]
fn clear_actions_empties_the_action_set() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![
                Instruction::WriteActions(vec![out(3)]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(
            1,
            10,
            FlowMatch::ANY,
            vec![
                Instruction::ClearActions,
                Instruction::WriteActions(vec![out(4)]),
            ],
        ),
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(3)]
    );
    // Clear without a new write: nothing.
    p.flow_mod(
        &FlowMod {
            command: FlowModCommand::ModifyStrict,
            ..flow(1, 10, FlowMatch::ANY, vec![Instruction::ClearActions])
        },
        now(),
    )
    .unwrap();
    assert!(xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions.is_empty());
}

#[test]
fn write_actions_merge_one_per_type_in_spec_order() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            10,
            ip_match(&[]),
            vec![
                Instruction::WriteActions(vec![
                    out(2),
                    Action::SetField {
                        field: F::Ipv4Src,
                        value: 1,
                    },
                    Action::DecNwTtl,
                ]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(
            1,
            10,
            ip_match(&[]),
            vec![Instruction::WriteActions(vec![
                // Replaces the output and the ipv4_src set; adds a push.
                out(3),
                Action::SetField {
                    field: F::Ipv4Src,
                    value: 7,
                },
                Action::SetField {
                    field: F::EthDst,
                    value: 0x42,
                },
                Action::PushVlan(0x88a8),
            ])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(
        t.actions,
        vec![
            DpAction::PushVlan { tpid: 0x88a8 },
            DpAction::DecTtl,
            DpAction::SetField {
                field: F::EthDst,
                value: 0x42
            },
            DpAction::SetField {
                field: F::Ipv4Src,
                value: 7
            },
            DpAction::Output(2),
        ]
    );
}

#[test]
fn action_set_group_overrides_output() {
    let p = pipeline();
    p.group_mod(&group(9, GroupType::Indirect, vec![bucket(vec![out(4)])]))
        .unwrap();
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![Instruction::WriteActions(vec![out(2), Action::Group(9)])],
        ),
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(3)]
    );
}

#[test]
fn apply_actions_modify_the_packet_for_later_tables() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 1)]),
            vec![
                apply(vec![Action::SetField {
                    field: F::Reg3,
                    value: 77,
                }]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(1, 10, exact(&[(F::Reg3, 77)]), vec![apply(vec![out(2)])]),
    );
    add(&p, flow(1, 5, FlowMatch::ANY, vec![apply(vec![out(3)])]));
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    // Registers: no datapath action.
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
}

/// Tunnel metadata is pipeline state: an output to a tunnel port consumes
/// it at translation (docs/tunnels.md), so no datapath action.
#[test]
fn tunnel_fields_are_not_emitted() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![apply(vec![
                Action::SetField {
                    field: F::TunnelId,
                    value: 5,
                },
                Action::SetField {
                    field: F::Metadata,
                    value: 5,
                },
                out(2),
            ])],
        ),
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(1)]
    );
}

#[test]
fn output_reserved_ports() {
    let p = pipeline();
    let ctl = Action::Output {
        port: PortNo::CONTROLLER,
        max_len: 200,
    };
    let a = |port| Action::Output { port, max_len: 0 };
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![a(PortNo::ALL)])],
        ),
    );
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 2)]),
            vec![apply(vec![a(PortNo::FLOOD)])],
        ),
    );
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 3)]),
            vec![apply(vec![a(PortNo::IN_PORT)])],
        ),
    );
    add(
        &p,
        FlowMod {
            cookie: 0xc0c0,
            ..flow(
                0,
                10,
                exact(&[(F::InPort, 4)]),
                vec![apply(vec![ctl.clone()])],
            )
        },
    );
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 5)]),
            vec![apply(vec![a(PortNo::LOCAL), a(PortNo::NORMAL)])],
        ),
    );
    add(
        &p,
        FlowMod {
            cookie: 7,
            ..flow(0, 0, FlowMatch::ANY, vec![apply(vec![ctl])])
        },
    );
    let o = DpAction::Output;
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![o(1), o(2), o(3)]
    );
    assert_eq!(
        xl(&p, &tcp_pkt(2, 1, 2, 3, 4)).actions,
        vec![o(0), o(2)],
        "FLOOD skips no-flood port 4"
    );
    assert_eq!(xl(&p, &tcp_pkt(3, 1, 2, 3, 4)).actions, vec![o(2)]);
    assert_eq!(
        xl(&p, &tcp_pkt(4, 1, 2, 3, 4)).actions,
        vec![DpAction::Controller(ToController {
            max_len: 200,
            reason: 1,
            table_id: 0,
            cookie: 0xc0c0,
            ..Default::default()
        })]
    );
    let t = xl_trace(&p, &tcp_pkt(5, 1, 2, 3, 4));
    assert!(t.actions.is_empty());
    assert!(t.trace[0].note.contains("LOCAL"), "{}", t.trace[0].note);
    assert!(t.trace[0].note.contains("NORMAL"), "{}", t.trace[0].note);
    // The table-miss entry's packet-ins have reason NO_MATCH.
    assert_eq!(
        xl(&p, &tcp_pkt(9, 1, 2, 3, 4)).actions,
        vec![DpAction::Controller(ToController {
            max_len: 200,
            reason: 0,
            table_id: 0,
            cookie: 7,
            ..Default::default()
        })]
    );
}

#[test]
fn set_field_vlan_and_pop() {
    let p = pipeline();
    let vlan = with_mask(FlowMatch::ANY, F::VlanVid, 0x1000, 0x1000);
    add(
        &p,
        flow(
            0,
            10,
            vlan,
            vec![apply(vec![
                Action::SetField {
                    field: F::VlanVid,
                    value: 0x1000 | 30,
                },
                Action::SetField {
                    field: F::VlanPcp,
                    value: 5,
                },
                out(2),
                Action::PopVlan,
                out(3),
            ])],
        ),
    );
    let mut k = tcp_pkt(1, 1, 2, 3, 4);
    k.set(F::VlanVid, 0x1000 | 10);
    assert_eq!(
        xl(&p, &k).actions,
        vec![
            DpAction::SetField {
                field: F::VlanVid,
                value: 0x1000 | 30
            },
            DpAction::SetField {
                field: F::VlanPcp,
                value: 5
            },
            DpAction::Output(1),
            DpAction::PopVlan,
            DpAction::Output(2),
        ]
    );
}

#[test]
fn packet_out_actions_and_table() {
    let p = pipeline();
    add(
        &p,
        flow(0, 10, exact(&[(F::InPort, 1)]), vec![apply(vec![out(3)])]),
    );
    let s = p.snapshot();
    let acts = vec![
        out(2),
        Action::Output {
            port: PortNo::TABLE,
            max_len: 0,
        },
    ];
    s.validate_packet_out(&acts).unwrap();
    let t = s.translate_packet_out(&tcp_pkt(1, 1, 2, 3, 4), &acts, &TranslateOptions::default());
    assert_eq!(t.actions, vec![DpAction::Output(1), DpAction::Output(2)]);
    assert_eq!(t.hits.len(), 1);
    let e = s
        .validate_packet_out(&[Action::Output {
            port: PortNo::ANY,
            max_len: 0,
        }])
        .unwrap_err();
    assert_eq!(e.kind, OfpErrorKind::BadAction(code::BAD_OUT_PORT));
}

#[test]
fn trace_records_tables_and_entries() {
    let p = pipeline();
    add(
        &p,
        FlowMod {
            cookie: 3,
            ..flow(0, 10, FlowMatch::ANY, vec![Instruction::GotoTable(4)])
        },
    );
    let t = xl_trace(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(t.trace.len(), 2);
    assert_eq!(t.trace[0].table, 0);
    assert_eq!(
        t.trace[0].matched,
        Some((10, 3, FlowMatch::ANY, vec![Instruction::GotoTable(4)]))
    );
    assert_eq!(t.trace[1].table, 4);
    assert_eq!(t.trace[1].matched, None);
    // Without trace: no steps.
    assert!(xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).trace.is_empty());
}

#[test]
fn packet_ins_carry_metadata_and_tunnel_id() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            10,
            FlowMatch::ANY,
            vec![
                Instruction::WriteMetadata {
                    value: 0xab00,
                    mask: 0xff00,
                },
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(
            1,
            0,
            FlowMatch::ANY,
            vec![apply(vec![out(PortNo::CONTROLLER.0)])],
        ),
    );
    let mut k = tcp_pkt(1, 1, 2, 3, 4);
    k.set(F::TunnelId, 77);
    let t = xl(&p, &k);
    let [DpAction::Controller(to)] = t.actions[..] else {
        panic!("{:?}", t.actions);
    };
    assert_eq!((to.table_id, to.metadata, to.tunnel_id), (1, 0xab00, 77));
    // The megaflow covers the tunnel id and the metadata bits no entry
    // wrote (0 on ingress).
    assert_eq!(t.mask.get(F::TunnelId), u128::from(u64::MAX));
    assert_eq!(t.mask.get(F::Metadata), u128::from(!0xff00u64));
}
