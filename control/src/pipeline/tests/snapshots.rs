//! Snapshots and concurrency: copy-on-write tables, whole-state reads,
//! batches and the change log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fastpath::actions::DpAction;
use fastpath::flow::Field;
use fastpath::upcall::port_bit;

use super::*;
use crate::ofp::error::code;
use crate::ofp::OfpErrorKind;

use Field as F;

#[test]
fn flow_mod_copies_only_the_table_it_touches() {
    let p = pipeline();
    add(&p, flow(0, 1, exact(&[(F::InPort, 1)]), vec![]));
    add(&p, flow(1, 1, exact(&[(F::InPort, 1)]), vec![]));
    let a = p.snapshot();
    add(&p, flow(1, 2, exact(&[(F::InPort, 2)]), vec![]));
    let b = p.snapshot();
    assert!(Arc::ptr_eq(&a.tables[0], &b.tables[0]));
    assert!(!Arc::ptr_eq(&a.tables[1], &b.tables[1]));
    assert!(Arc::ptr_eq(&a.tables[2], &b.tables[2]));
    assert!(Arc::ptr_eq(&a.groups, &b.groups));
    assert_eq!(a.table_len(1), 1, "old snapshot unchanged");
    assert_eq!(b.table_len(1), 2);
    assert_eq!(b.version(), a.version() + 1);
}

#[test]
fn concurrent_translation_sees_only_whole_states() {
    let p = Arc::new(pipeline());
    // Each mod replaces the entry with one whose three actions all encode
    // n (eth_dst, output port, eth_src): a reader seeing a half-applied
    // mod, or mixing two states, would see them disagree.
    let fm = |n: u32| FlowMod {
        command: FlowModCommand::Add,
        ..flow(
            0,
            10,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![
                Action::SetField {
                    field: F::EthDst,
                    value: u128::from(n),
                },
                out(2 + n % 3),
                Action::SetField {
                    field: F::EthSrc,
                    value: u128::from(n),
                },
            ])],
        )
    };
    add(&p, fm(0));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let p = p.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let k = tcp_pkt(1, 1, 2, 3, 4);
                let mut n_seen = 0u64;
                let mut last_version = 0;
                while !stop.load(Ordering::Relaxed) {
                    let s = p.snapshot();
                    assert!(s.version() >= last_version, "versions only grow");
                    last_version = s.version();
                    let t = s.translate(&k, &TranslateOptions::default());
                    let [DpAction::SetField { value: a, .. }, DpAction::Output(o), DpAction::SetField { value: b, .. }] =
                        t.actions[..]
                    else {
                        panic!("unexpected {:?}", t.actions);
                    };
                    assert_eq!(a, b, "torn state");
                    assert_eq!(u128::from(o), 1 + a % 3, "torn state");
                    n_seen += 1;
                }
                n_seen
            })
        })
        .collect();
    for n in 1..=1000 {
        add(&p, fm(n));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader panicked") > 0);
    }
    assert_eq!(p.snapshot().n_flows(), 1);
}

#[test]
fn large_subtable_grows_shards_and_stays_consistent() {
    let p = pipeline();
    let n = 6_000u128; // > SHARD_TARGET: the rule map and index grow
    for i in 0..n {
        add(
            &p,
            flow(
                0,
                100,
                ip_match(&[(F::Ipv4Dst, i)]),
                vec![apply(vec![out(2 + (i % 3) as u32)])],
            ),
        );
    }
    // Same match at another priority shares the bucket.
    add(
        &p,
        flow(
            0,
            200,
            ip_match(&[(F::Ipv4Dst, 7)]),
            vec![apply(vec![out(4)])],
        ),
    );
    let s = p.snapshot();
    assert_eq!(s.table_len(0), n as usize + 1);
    for i in (0..n).step_by(97) {
        let want = if i == 7 { 3 } else { 1 + (i % 3) as u16 };
        assert_eq!(
            xl(&p, &tcp_pkt(1, 1, i, 3, 4)).actions,
            vec![DpAction::Output(want)]
        );
    }
    assert!(xl(&p, &tcp_pkt(1, 1, n + 1, 3, 4)).actions.is_empty());
    // Delete the even ones; the others still match.
    for i in (0..n).step_by(2) {
        p.flow_mod(
            &FlowMod {
                command: FlowModCommand::DeleteStrict,
                ..flow(0, 100, ip_match(&[(F::Ipv4Dst, i)]), vec![])
            },
            now(),
        )
        .unwrap();
    }
    assert_eq!(p.snapshot().table_len(0), n as usize / 2 + 1);
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 7, 3, 4)).actions,
        vec![DpAction::Output(3)]
    );
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 9, 3, 4)).actions,
        vec![DpAction::Output(1)]
    );
    assert!(xl(&p, &tcp_pkt(1, 1, 10, 3, 4)).actions.is_empty());
    // The old snapshot is untouched.
    assert_eq!(s.table_len(0), n as usize + 1);
    assert_eq!(
        s.translate(&tcp_pkt(1, 1, 10, 3, 4), &TranslateOptions::default())
            .actions,
        vec![DpAction::Output(2)]
    );
}

#[test]
fn flow_mods_batch_is_all_or_nothing() {
    let p = pipeline();
    let before = view(&p);
    let good = flow(0, 10, FlowMatch::ANY, vec![apply(vec![out(1)])]);
    let mut bad = flow(1, 10, FlowMatch::ANY, vec![Instruction::GotoTable(0)]);
    bad.table_id = 1;
    let (i, e) = p.flow_mods(&[good.clone(), bad], now()).unwrap_err();
    assert_eq!(i, 1, "the failing mod's index");
    assert_eq!(
        e.kind,
        OfpErrorKind::BadInstruction(code::BAD_INST_TABLE_ID)
    );
    assert_eq!(view(&p), before, "nothing applied");
    let v0 = p.snapshot().version();
    let out2 = flow(0, 20, FlowMatch::ANY, vec![apply(vec![out(2)])]);
    let outcomes = p.flow_mods(&[good, out2], now()).unwrap();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(p.snapshot().n_flows(), 2);
    assert_eq!(
        p.snapshot().version(),
        v0 + 1,
        "one new version for the batch"
    );
}

#[test]
fn change_log_reports_flow_mods_and_gives_up_on_other_changes() {
    use fastpath::upcall::{table_bit, PipelineChange};
    let p = pipeline();
    let v0 = p.snapshot().version();
    let m0 = exact(&[(F::InPort, 1)]);
    add(&p, flow(0, 10, m0, vec![Instruction::GotoTable(2)]));
    add(&p, flow(2, 10, FlowMatch::ANY, vec![]));
    let collect = |since: u64| {
        let mut v = Vec::new();
        let known = p.snapshot().changes_since(since, &mut |c| v.push(*c));
        known.then_some(v)
    };
    assert_eq!(
        collect(v0),
        Some(vec![
            PipelineChange::Table0 {
                key: m0.key,
                mask: m0.mask
            },
            PipelineChange::Table(2)
        ])
    );
    let v2 = p.snapshot().version();
    assert_eq!(
        collect(v2),
        Some(vec![]),
        "nothing since the current version"
    );
    // Translations record the tables they looked up.
    let t = xl(&p, &key(&[(F::InPort, 1)]));
    assert_eq!(t.tables, table_bit(0) | table_bit(2));
    // A port change names the ports it changed (here all four went).
    p.set_ports(BridgePorts::new(Vec::new()));
    let gone = (1..=4).map(port_bit).fold(0, |a, b| a | b);
    let v3 = p.snapshot().version();
    assert_eq!(collect(v2), Some(vec![PipelineChange::Ports(gone)]));
    assert_eq!(collect(v3), Some(vec![]));
    // History is bounded.
    for i in 0..70 {
        add(&p, flow(1, i, FlowMatch::ANY, vec![]));
    }
    assert_eq!(collect(v2), None, "older than the log");
    let recent = p.snapshot().version() - 3;
    assert_eq!(collect(recent).map(|v| v.len()), Some(3));
}

#[test]
fn translations_record_the_ports_they_depend_on() {
    let p = pipeline();
    add(
        &p,
        flow(0, 10, exact(&[(F::InPort, 1)]), vec![apply(vec![out(2)])]),
    );
    add(
        &p,
        flow(0, 10, exact(&[(F::InPort, 2)]), vec![apply(vec![out(4)])]),
    );
    add(
        &p,
        flow(
            0,
            10,
            exact(&[(F::InPort, 3)]),
            vec![apply(vec![out(PortNo::FLOOD.0)])],
        ),
    );
    // Its in_port and the port it sends to.
    let t = xl(&p, &key(&[(F::InPort, 1)]));
    assert_eq!(t.ports, port_bit(1) | port_bit(2));
    // A port that no longer exists counts: adding it back changes the
    // program.
    p.set_ports(BridgePorts::new(ports().iter().copied().take(3).collect()));
    let t = xl(&p, &key(&[(F::InPort, 2)]));
    assert!(t.actions.is_empty());
    assert_eq!(t.ports, port_bit(2) | port_bit(4));
    // FLOOD depends on every port.
    assert_eq!(xl(&p, &key(&[(F::InPort, 3)])).ports, u64::MAX);
    // A table miss with in_port wildcarded covers every in_port.
    let q = pipeline();
    add(&q, flow(0, 0, FlowMatch::ANY, vec![]));
    assert_eq!(xl(&q, &key(&[(F::InPort, 1)])).ports, u64::MAX);

    // Dropped on the way in (PORT_MOD NO_RECV): depends on its in_port.
    p.set_ports(ports().with_config([(1, admin::NO_RECV)]));
    let t = xl(&p, &key(&[(F::InPort, 1)]));
    assert_eq!(t.actions, vec![DpAction::Drop]);
    assert_eq!(t.ports, port_bit(1));

    // What set_ports reports: only the ports that differ.
    let mut v: Vec<PortInfo> = ports().iter().copied().collect();
    v[2].live = false;
    v.push(PortInfo {
        ofport: 9,
        index: 8,
        live: true,
        no_flood: false,
    });
    let next = BridgePorts::new(v);
    assert_eq!(ports().changed(&next), port_bit(3) | port_bit(9));
    assert_eq!(next.changed(&ports()), port_bit(3) | port_bit(9));
    let cfg = ports().with_config([(2, admin::NO_FWD)]);
    assert_eq!(ports().changed(&cfg), port_bit(2));
    assert_eq!(ports().changed(&ports()), 0);
}

#[test]
fn deferred_adds_publish_once_and_every_other_change_sees_them() {
    let p = pipeline();
    let v0 = p.snapshot().version();
    let dst = |n: u128| exact(&[(F::EthType, 0x800), (F::Ipv4Dst, n)]);
    for n in 0..10 {
        p.add_flow_deferred(&flow(0, 1, dst(n), vec![apply(vec![out(2)])]), now())
            .expect("add");
    }
    // A refused add changes nothing, and the others stay pending.
    let bad = flow(0, 1, dst(99), vec![apply(vec![out(77)])]);
    assert!(p.add_flow_deferred(&bad, now()).is_err());
    assert_eq!(p.snapshot().n_flows(), 0, "not published yet");
    assert!(p.flush());
    assert!(!p.flush(), "nothing left");
    let s = p.snapshot();
    assert_eq!(s.n_flows(), 10);
    assert_eq!(s.version(), v0 + 1, "one version for the run");
    // Its change log names each add's match, as ten flow mods would.
    let mut changes = Vec::new();
    assert!(s.changes_since(v0, &mut |c| changes.push(*c)));
    assert_eq!(changes.len(), 10);

    // Any other change publishes pending adds first, then applies on top.
    p.add_flow_deferred(&flow(0, 1, dst(10), vec![]), now())
        .expect("add");
    let mut del = flow(0, 1, dst(3), vec![]);
    del.command = FlowModCommand::DeleteStrict;
    let out = p.flow_mod(&del, now()).expect("delete");
    assert_eq!(out.removed.len(), 1);
    let s = p.snapshot();
    assert_eq!(s.n_flows(), 10, "10 added, then 1 deleted");
    assert_eq!(s.version(), v0 + 3);
    // Non-add commands given to add_flow_deferred are applied at once.
    let mut del = flow(0, 1, dst(4), vec![]);
    del.command = FlowModCommand::DeleteStrict;
    p.add_flow_deferred(&del, now()).expect("delete");
    assert_eq!(p.snapshot().n_flows(), 9);
}
