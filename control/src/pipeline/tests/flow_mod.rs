//! Flow-mod commands: add, modify, delete (strict and not), filters and
//! timeouts.

use std::time::Duration;

use fastpath::actions::DpAction;
use fastpath::flow::Field;

use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};

use Field as F;

#[test]
fn add_replaces_identical_keeping_counters_unless_reset() {
    let p = pipeline();
    let m = exact(&[(F::InPort, 1)]);
    let o = add(&p, flow(0, 10, m, vec![apply(vec![out(2)])]));
    assert!(o.added && o.changed && !o.replaced);
    xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).hits[0].credit(5, 500);
    let o = add(
        &p,
        FlowMod {
            cookie: 9,
            ..flow(0, 10, m, vec![apply(vec![out(3)])])
        },
    );
    assert!(o.replaced && !o.added);
    let f = p.snapshot().flows(&FlowFilter::default());
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].n_packets, f[0].cookie), (5, 9));
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Output(2)]
    );
    add(
        &p,
        FlowMod {
            flags: flow_flags::RESET_COUNTS,
            ..flow(0, 10, m, vec![apply(vec![out(3)])])
        },
    );
    assert_eq!(p.snapshot().flows(&FlowFilter::default())[0].n_packets, 0);
    // Same match, other priority: a second entry.
    assert!(add(&p, flow(0, 11, m, vec![])).added);
    assert_eq!(p.snapshot().table_len(0), 2);
}

#[test]
fn add_check_overlap() {
    let p = pipeline();
    add(&p, flow(0, 10, exact(&[(F::InPort, 1)]), vec![]));
    let co = |m, prio| FlowMod {
        flags: flow_flags::CHECK_OVERLAP,
        ..flow(0, prio, m, vec![])
    };
    // Same priority, could both match in_port=1,eth_type=ip.
    rejected(
        &p,
        &co(ip_match(&[]), 10),
        OfpErrorKind::FlowModFailed(code::OVERLAP),
    );
    // Identical match overlaps too.
    rejected(
        &p,
        &co(exact(&[(F::InPort, 1)]), 10),
        OfpErrorKind::FlowModFailed(code::OVERLAP),
    );
    // Disjoint, or another priority: fine.
    add(&p, co(exact(&[(F::InPort, 2)]), 10));
    add(&p, co(ip_match(&[]), 11));
}

#[test]
fn table_full() {
    let p = Pipeline::with_config(
        ports(),
        PipelineConfig {
            max_entries_per_table: 2,
            ..Default::default()
        },
    );
    add(&p, flow(0, 1, exact(&[(F::InPort, 1)]), vec![]));
    add(&p, flow(0, 1, exact(&[(F::InPort, 2)]), vec![]));
    rejected(
        &p,
        &flow(0, 1, exact(&[(F::InPort, 3)]), vec![]),
        OfpErrorKind::FlowModFailed(code::TABLE_FULL),
    );
    // Replacing is fine; other tables are separate.
    add(
        &p,
        flow(0, 1, exact(&[(F::InPort, 2)]), vec![apply(vec![out(1)])]),
    );
    add(&p, flow(1, 1, exact(&[(F::InPort, 3)]), vec![]));
}

#[test]
fn modify_non_strict_and_strict() {
    let p = pipeline();
    add(
        &p,
        FlowMod {
            cookie: 1,
            ..flow(
                0,
                10,
                ip_match(&[(F::InPort, 1)]),
                vec![apply(vec![out(2)])],
            )
        },
    );
    add(
        &p,
        FlowMod {
            cookie: 2,
            ..flow(
                0,
                20,
                ip_match(&[(F::InPort, 2)]),
                vec![apply(vec![out(2)])],
            )
        },
    );
    add(
        &p,
        FlowMod {
            cookie: 3,
            ..flow(0, 30, exact(&[(F::InPort, 3)]), vec![apply(vec![out(2)])])
        },
    );
    xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).hits[0].credit(1, 60);
    // Non-strict on eth_type=ip: the two IP entries, any priority; the
    // cookie stays (OF 1.3.5 §6.4), counters too.
    let o = add(
        &p,
        FlowMod {
            command: FlowModCommand::Modify,
            cookie: 0xdead,
            ..flow(0, 0, ip_match(&[]), vec![apply(vec![out(4)])])
        },
    );
    assert_eq!(o.modified, 2);
    let f = p.snapshot().flows(&FlowFilter::default());
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.priority, f.cookie, f.instructions.clone(), f.n_packets))
        .collect();
    assert_eq!(
        got,
        vec![
            (30, 3, vec![apply(vec![out(2)])], 0),
            (20, 2, vec![apply(vec![out(4)])], 0),
            (10, 1, vec![apply(vec![out(4)])], 1),
        ]
    );
    // Cookie filter.
    let o = add(
        &p,
        FlowMod {
            command: FlowModCommand::Modify,
            cookie: 2,
            cookie_mask: u64::MAX,
            ..flow(0, 0, FlowMatch::ANY, vec![])
        },
    );
    assert_eq!(o.modified, 1);
    // Strict: exact match and priority only.
    let strict = |prio| FlowMod {
        command: FlowModCommand::ModifyStrict,
        flags: flow_flags::RESET_COUNTS,
        ..flow(
            0,
            prio,
            ip_match(&[(F::InPort, 1)]),
            vec![apply(vec![out(3)])],
        )
    };
    assert_eq!(add(&p, strict(11)).modified, 0);
    let o = add(&p, strict(10));
    assert_eq!(o.modified, 1);
    let f = p.snapshot().flows(&FlowFilter {
        strict: Some(10),
        match_: ip_match(&[(F::InPort, 1)]),
        ..Default::default()
    });
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].n_packets, 0, "RESET_COUNTS");
    assert_eq!(f[0].instructions, vec![apply(vec![out(3)])]);
}

#[test]
fn modify_of_missing_entry_does_not_add() {
    let p = pipeline();
    let v = p.snapshot().version();
    let o = add(
        &p,
        FlowMod {
            command: FlowModCommand::Modify,
            ..flow(0, 10, exact(&[(F::InPort, 1)]), vec![apply(vec![out(2)])])
        },
    );
    assert_eq!(o, FlowModOutcome::default());
    assert_eq!(p.snapshot().n_flows(), 0);
    assert_eq!(p.snapshot().version(), v);
}

#[test]
fn delete_with_filters() {
    let p = pipeline();
    p.group_mod(&group(1, GroupType::All, vec![bucket(vec![out(2)])]))
        .unwrap();
    let f = |t, prio, port: u128, cookie, a: Vec<Action>| FlowMod {
        cookie,
        flags: flow_flags::SEND_FLOW_REM,
        ..flow(t, prio, exact(&[(F::InPort, port)]), vec![apply(a)])
    };
    add(&p, f(0, 10, 1, 0x100, vec![out(2)]));
    add(&p, f(0, 10, 2, 0x200, vec![out(3)]));
    add(&p, f(0, 20, 3, 0x101, vec![Action::Group(1)]));
    add(&p, f(5, 10, 1, 0x100, vec![out(2)]));
    let del = |cmd, table, prio, m, port, group, cookie, mask| FlowMod {
        command: cmd,
        table_id: table,
        priority: prio,
        match_: m,
        out_port: port,
        out_group: group,
        cookie,
        cookie_mask: mask,
        ..Default::default()
    };
    use FlowModCommand::{Delete, DeleteStrict};
    // out_port filter, one table.
    let o = add(
        &p,
        del(Delete, 0, 0, FlowMatch::ANY, PortNo(3), GROUP_ANY, 0, 0),
    );
    assert_eq!(o.removed.len(), 1);
    assert_eq!(o.removed[0].match_, exact(&[(F::InPort, 2)]));
    assert_eq!(o.removed[0].reason, RemovedReason::Delete);
    assert!(o.removed[0].send_flow_rem());
    // out_group filter.
    let o = add(
        &p,
        del(Delete, TABLE_ALL, 0, FlowMatch::ANY, PortNo::ANY, 1, 0, 0),
    );
    assert_eq!(o.removed.len(), 1);
    assert_eq!(o.removed[0].priority, 20);
    // Strict with the wrong priority: nothing.
    let m1 = exact(&[(F::InPort, 1)]);
    let o = add(
        &p,
        del(DeleteStrict, 0, 11, m1, PortNo::ANY, GROUP_ANY, 0, 0),
    );
    assert!(!o.changed && o.removed.is_empty());
    // Cookie mask: 0x100 in both tables.
    let o = add(
        &p,
        del(
            Delete,
            TABLE_ALL,
            0,
            FlowMatch::ANY,
            PortNo::ANY,
            GROUP_ANY,
            0x100,
            0xf00,
        ),
    );
    assert_eq!(o.removed.len(), 2);
    assert_eq!(p.snapshot().n_flows(), 0);
}

#[test]
fn delete_non_strict_selects_more_specific_entries() {
    let p = pipeline();
    add(&p, flow(0, 10, tcp_match(&[(F::TcpDst, 80)]), vec![]));
    add(&p, flow(0, 11, ip_match(&[]), vec![]));
    add(&p, flow(0, 12, exact(&[(F::InPort, 1)]), vec![]));
    let o = add(
        &p,
        FlowMod {
            command: FlowModCommand::Delete,
            ..flow(0, 0, ip_match(&[]), vec![])
        },
    );
    assert_eq!(o.removed.len(), 2);
    assert_eq!(p.snapshot().n_flows(), 1);
    // DeleteStrict with TABLE_ALL works too.
    let o = add(
        &p,
        FlowMod {
            command: FlowModCommand::DeleteStrict,
            ..flow(TABLE_ALL, 12, exact(&[(F::InPort, 1)]), vec![])
        },
    );
    assert_eq!(o.removed.len(), 1);
}

#[test]
fn flows_filter() {
    let p = pipeline();
    add(
        &p,
        FlowMod {
            cookie: 1,
            ..flow(
                0,
                10,
                tcp_match(&[(F::TcpDst, 80)]),
                vec![apply(vec![out(2)])],
            )
        },
    );
    add(
        &p,
        FlowMod {
            cookie: 2,
            ..flow(1, 10, ip_match(&[]), vec![apply(vec![out(3)])])
        },
    );
    add(
        &p,
        FlowMod {
            cookie: 3,
            ..flow(1, 20, FlowMatch::ANY, vec![])
        },
    );
    let s = p.snapshot();
    let cookies = |f: FlowFilter| s.flows(&f).iter().map(|x| x.cookie).collect::<Vec<_>>();
    assert_eq!(cookies(FlowFilter::default()), vec![1, 3, 2]);
    assert_eq!(
        cookies(FlowFilter {
            table_id: 1,
            ..Default::default()
        }),
        vec![3, 2]
    );
    assert_eq!(
        cookies(FlowFilter {
            match_: ip_match(&[]),
            ..Default::default()
        }),
        vec![1, 2]
    );
    assert_eq!(
        cookies(FlowFilter {
            out_port: PortNo(3),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        cookies(FlowFilter {
            cookie: 2,
            cookie_mask: 2,
            ..Default::default()
        }),
        vec![3, 2]
    );
    let f = &s.flows(&FlowFilter {
        table_id: 0,
        ..Default::default()
    })[0];
    assert_eq!(f.match_, tcp_match(&[(F::TcpDst, 80)]));
    assert_eq!(f.instructions, vec![apply(vec![out(2)])]);
}

#[test]
fn expire_idle_and_hard_timeouts() {
    let p = pipeline();
    let t0 = now();
    let timed = |port, idle, hard| FlowMod {
        idle_timeout: idle,
        hard_timeout: hard,
        flags: flow_flags::SEND_FLOW_REM,
        ..flow(0, 10, exact(&[(F::InPort, port)]), vec![])
    };
    p.flow_mod(&timed(1, 10, 0), t0).unwrap();
    p.flow_mod(&timed(2, 0, 20), t0).unwrap();
    p.flow_mod(&timed(3, 10, 0), t0).unwrap();
    p.flow_mod(&timed(4, 0, 0), t0).unwrap();
    assert!(p.expire(t0 + Duration::from_secs(5)).is_empty());
    // Port 3's entry is hit at 8s: its idle period restarts.
    xl(&p, &tcp_pkt(3, 1, 2, 3, 4)).hits[0].credit_at(1, 64, t0 + Duration::from_secs(8));
    let r = p.expire(t0 + Duration::from_secs(10));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].match_, exact(&[(F::InPort, 1)]));
    assert_eq!(r[0].reason, RemovedReason::IdleTimeout);
    assert_eq!(r[0].duration, Duration::from_secs(10));
    let r = p.expire(t0 + Duration::from_secs(20));
    let mut got: Vec<_> = r
        .iter()
        .map(|x| (x.match_.key.get(F::InPort), x.reason))
        .collect();
    got.sort_by_key(|x| x.0);
    assert_eq!(
        got,
        vec![
            (2, RemovedReason::HardTimeout),
            (3, RemovedReason::IdleTimeout)
        ]
    );
    assert_eq!(
        r.iter()
            .find(|x| x.reason == RemovedReason::IdleTimeout)
            .unwrap()
            .packet_count,
        1
    );
    assert_eq!(p.snapshot().n_flows(), 1);
}
