//! Validation errors (tables unchanged) and valid matches with prerequisites.

use fastpath::actions::DpAction;
use fastpath::flow::Field;

use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};

use Field as F;

#[test]
fn flow_mod_errors_leave_tables_unchanged() {
    let p = pipeline();
    p.group_mod(&group(1, GroupType::All, vec![])).unwrap();
    add(
        &p,
        flow(0, 10, exact(&[(F::InPort, 1)]), vec![apply(vec![out(2)])]),
    );
    let bi = OfpErrorKind::BadInstruction;
    let ba = OfpErrorKind::BadAction;
    let bm = OfpErrorKind::BadMatch;
    let fmf = OfpErrorKind::FlowModFailed;
    let a = |acts: Vec<Action>| flow(1, 10, FlowMatch::ANY, vec![apply(acts)]);
    // Tables.
    rejected(
        &p,
        &flow(TABLE_ALL, 1, FlowMatch::ANY, vec![]),
        fmf(code::FM_BAD_TABLE_ID),
    );
    rejected(
        &p,
        &FlowMod {
            command: FlowModCommand::Modify,
            ..flow(TABLE_ALL, 1, FlowMatch::ANY, vec![])
        },
        fmf(code::FM_BAD_TABLE_ID),
    );
    rejected(
        &p,
        &FlowMod {
            flags: 0x100,
            ..flow(0, 1, FlowMatch::ANY, vec![])
        },
        fmf(code::BAD_FLAGS),
    );
    // Goto must go forward, to a table that exists.
    for (t, g) in [(3, 3), (3, 2), (0, 255)] {
        rejected(
            &p,
            &flow(t, 1, FlowMatch::ANY, vec![Instruction::GotoTable(g)]),
            bi(code::BAD_INST_TABLE_ID),
        );
    }
    rejected(
        &p,
        &flow(0, 1, FlowMatch::ANY, vec![apply(vec![]), apply(vec![])]),
        bi(code::UNSUP_INST),
    );
    // Outputs.
    rejected(&p, &a(vec![out(99)]), ba(code::BAD_OUT_PORT));
    rejected(&p, &a(vec![out(0)]), ba(code::BAD_OUT_PORT));
    rejected(
        &p,
        &a(vec![Action::Output {
            port: PortNo::ANY,
            max_len: 0,
        }]),
        ba(code::BAD_OUT_PORT),
    );
    rejected(
        &p,
        &a(vec![Action::Output {
            port: PortNo::TABLE,
            max_len: 0,
        }]),
        ba(code::BAD_OUT_PORT),
    );
    rejected(
        &p,
        &a(vec![Action::Output {
            port: PortNo(0xffff_ff80),
            max_len: 0,
        }]),
        ba(code::BAD_OUT_PORT),
    );
    rejected(&p, &a(vec![Action::Group(2)]), ba(code::BAD_OUT_GROUP));
    rejected(
        &p,
        &flow(
            1,
            1,
            FlowMatch::ANY,
            vec![Instruction::WriteActions(vec![Action::Group(2)])],
        ),
        ba(code::BAD_OUT_GROUP),
    );
    // Set-field.
    rejected(
        &p,
        &a(vec![Action::SetField {
            field: F::InPort,
            value: 1,
        }]),
        ba(code::BAD_SET_TYPE),
    );
    rejected(
        &p,
        &a(vec![Action::SetField {
            field: F::EthType,
            value: 1,
        }]),
        ba(code::BAD_SET_TYPE),
    );
    rejected(
        &p,
        &a(vec![Action::SetField {
            field: F::TcpDst,
            value: 80,
        }]),
        ba(code::MATCH_INCONSISTENT),
    );
    rejected(
        &p,
        &flow(
            1,
            1,
            ip_match(&[]),
            vec![apply(vec![Action::SetField {
                field: F::TcpDst,
                value: 80,
            }])],
        ),
        ba(code::MATCH_INCONSISTENT),
    );
    rejected(
        &p,
        &a(vec![Action::SetField {
            field: F::VlanPcp,
            value: 1,
        }]),
        ba(code::MATCH_INCONSISTENT),
    );
    rejected(
        &p,
        &a(vec![Action::SetField {
            field: F::VlanVid,
            value: 0x1001,
        }]),
        ba(code::MATCH_INCONSISTENT),
    );
    rejected(
        &p,
        &flow(
            1,
            1,
            tcp_match(&[]),
            vec![apply(vec![Action::SetField {
                field: F::TcpDst,
                value: 0x10000,
            }])],
        ),
        ba(code::BAD_SET_ARGUMENT),
    );
    rejected(
        &p,
        &a(vec![
            Action::PopVlan,
            Action::SetField {
                field: F::VlanPcp,
                value: 1,
            },
        ]),
        ba(code::MATCH_INCONSISTENT),
    );
    // Push, MPLS, PBB.
    rejected(
        &p,
        &a(vec![Action::PushVlan(0x0800)]),
        ba(code::BAD_ARGUMENT),
    );
    let e = rejected(
        &p,
        &a(vec![Action::PushMpls(0x8847)]),
        ba(code::BAD_ACTION_TYPE),
    );
    assert!(e.message.contains("MPLS is not supported"), "{}", e.message);
    for x in [
        Action::PopMpls(0x800),
        Action::CopyTtlIn,
        Action::CopyTtlOut,
        Action::SetMplsTtl(3),
        Action::DecMplsTtl,
        Action::PushPbb(0x88e7),
        Action::PopPbb,
    ] {
        rejected(&p, &a(vec![x]), ba(code::BAD_ACTION_TYPE));
    }
    // Matches.
    rejected(
        &p,
        &flow(0, 1, exact(&[(F::IpProto, 6)]), vec![]),
        bm(code::BAD_PREREQ),
    );
    rejected(
        &p,
        &flow(0, 1, exact(&[(F::Ipv4Dst, 1)]), vec![]),
        bm(code::BAD_PREREQ),
    );
    rejected(
        &p,
        &flow(0, 1, ip_match(&[(F::TcpDst, 80)]), vec![]),
        bm(code::BAD_PREREQ),
    );
    rejected(
        &p,
        &flow(
            0,
            1,
            exact(&[(F::EthType, 0x0806), (F::Ipv6Label, 1)]),
            vec![],
        ),
        bm(code::BAD_PREREQ),
    );
    rejected(
        &p,
        &flow(0, 1, exact(&[(F::VlanPcp, 3)]), vec![]),
        bm(code::BAD_PREREQ),
    );
    rejected(
        &p,
        &flow(0, 1, with_mask(FlowMatch::ANY, F::InPort, 1, 0xff), vec![]),
        bm(code::BAD_MASK),
    );
    rejected(
        &p,
        &flow(0, 1, with_mask(ip_match(&[]), F::IpProto, 4, 0x0f), vec![]),
        bm(code::BAD_MASK),
    );
    let mut wild = exact(&[(F::InPort, 1)]);
    wild.key.set(F::EthDst, 5);
    rejected(&p, &flow(0, 1, wild, vec![]), bm(code::BAD_WILDCARDS));
    rejected(
        &p,
        &flow(0, 1, exact(&[(F::VlanVid, 0x0005)]), vec![]),
        bm(code::BAD_VALUE),
    );
    // Still exactly one entry, and it still works.
    assert_eq!(p.snapshot().n_flows(), 1);
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(1)]
    );
}

#[test]
fn valid_matches_with_shared_storage_and_prereqs() {
    let p = pipeline();
    let ok = [
        exact(&[
            (F::EthType, 0x0806),
            (F::ArpSpa, ip4(1, 2, 3, 4)),
            (F::ArpOp, 1),
        ]),
        exact(&[(F::EthType, 0x0800), (F::IpProto, 1), (F::Icmpv4Type, 8)]),
        exact(&[(F::EthType, 0x0800), (F::IpProto, 17), (F::UdpDst, 53)]),
        exact(&[
            (F::EthType, 0x86dd),
            (F::IpProto, 58),
            (F::Icmpv6Type, 135),
            (F::Ipv6NdTarget, 1),
        ]),
        with_mask(exact(&[(F::VlanVid, 0x1000 | 5)]), F::VlanPcp, 3, 7),
        with_mask(FlowMatch::ANY, F::VlanVid, 0x1000, 0x1000),
        exact(&[(F::VlanVid, 0)]),
        with_mask(
            FlowMatch::ANY,
            F::EthDst,
            0x0100_0000_0000,
            0x0100_0000_0000,
        ),
    ];
    for (i, m) in ok.into_iter().enumerate() {
        p.flow_mod(&flow(0, i as u16, m, vec![]), now())
            .unwrap_or_else(|e| panic!("match {i}: {e}"));
    }
    // set_field allowed when the match guarantees the prerequisites, or a
    // push_vlan precedes.
    add(
        &p,
        flow(
            1,
            1,
            tcp_match(&[]),
            vec![apply(vec![
                Action::SetField {
                    field: F::TcpDst,
                    value: 8080,
                },
                Action::PushVlan(0x8100),
                Action::SetField {
                    field: F::VlanPcp,
                    value: 2,
                },
            ])],
        ),
    );
    add(
        &p,
        flow(
            1,
            2,
            FlowMatch::ANY,
            vec![Instruction::WriteActions(vec![
                Action::PushVlan(0x8100),
                Action::SetField {
                    field: F::VlanVid,
                    value: 5,
                },
            ])],
        ),
    );
}
