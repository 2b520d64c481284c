//! Unit tests: flow-mod semantics, validation errors, instructions,
//! actions, groups, meters, hand-checked wildcard masks, concurrency.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastpath::actions::{DpAction, ToController};
use fastpath::flow::{Field, FlowKey, FlowMask};

use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};

use Field as F;

// ---- helpers -------------------------------------------------------------

/// Ports 1..=4 with datapath indexes 0..=3; port 4 is no-flood.
fn ports() -> BridgePorts {
    BridgePorts::new(
        (1..=4)
            .map(|i| PortInfo {
                ofport: i,
                index: (i - 1) as u16,
                live: true,
                no_flood: i == 4,
            })
            .collect(),
    )
}

fn pipeline() -> Pipeline {
    Pipeline::new(ports())
}

fn now() -> Instant {
    static T: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *T.get_or_init(Instant::now)
}

fn exact(fields: &[(Field, u128)]) -> FlowMatch {
    let mut m = FlowMatch::ANY;
    for &(f, v) in fields {
        m.set(f, v, f.max_value());
    }
    m
}

fn with_mask(mut m: FlowMatch, f: Field, v: u128, mask: u128) -> FlowMatch {
    m.set(f, v, mask);
    m
}

fn key(fields: &[(Field, u128)]) -> FlowKey {
    let mut k = FlowKey::ZERO;
    for &(f, v) in fields {
        k.set(f, v);
    }
    k
}

fn fields_mask(fields: &[Field]) -> FlowMask {
    let mut m = FlowMask::ZERO;
    for &f in fields {
        m.or_assign(&FlowMask::field_mask(f));
    }
    m
}

fn ip4(a: u8, b: u8, c: u8, d: u8) -> u128 {
    u128::from(u32::from_be_bytes([a, b, c, d]))
}

/// A TCP/IPv4 packet.
fn tcp_pkt(in_port: u128, src: u128, dst: u128, sport: u128, dport: u128) -> FlowKey {
    key(&[
        (F::InPort, in_port),
        (F::EthSrc, 0x0200_0000_0001),
        (F::EthDst, 0x0200_0000_0002),
        (F::EthType, 0x0800),
        (F::IpProto, 6),
        (F::NwTtl, 64),
        (F::Ipv4Src, src),
        (F::Ipv4Dst, dst),
        (F::TcpSrc, sport),
        (F::TcpDst, dport),
    ])
}

fn arp_pkt(in_port: u128) -> FlowKey {
    key(&[
        (F::InPort, in_port),
        (F::EthSrc, 0x0200_0000_0001),
        (F::EthDst, 0xffff_ffff_ffff),
        (F::EthType, 0x0806),
        (F::ArpOp, 1),
        (F::ArpSpa, ip4(10, 0, 0, 1)),
        (F::ArpTpa, ip4(10, 0, 0, 2)),
    ])
}

fn out(p: u32) -> Action {
    Action::Output {
        port: PortNo(p),
        max_len: 0,
    }
}

fn apply(a: Vec<Action>) -> Instruction {
    Instruction::ApplyActions(a)
}

fn flow(table: u8, prio: u16, m: FlowMatch, insts: Vec<Instruction>) -> FlowMod {
    FlowMod {
        table_id: table,
        priority: prio,
        match_: m,
        instructions: insts,
        ..Default::default()
    }
}

fn add(p: &Pipeline, fm: FlowMod) -> FlowModOutcome {
    p.flow_mod(&fm, now()).expect("flow mod")
}

fn xl(p: &Pipeline, k: &FlowKey) -> Translation {
    p.snapshot().translate(k, &TranslateOptions::default())
}

fn xl_trace(p: &Pipeline, k: &FlowKey) -> Translation {
    p.snapshot().translate(
        k,
        &TranslateOptions {
            trace: true,
            ..Default::default()
        },
    )
}

/// Everything observable about the tables except times and counters.
type FlowView = Vec<(u8, u16, u64, FlowMatch, Vec<Instruction>, u16)>;

type GroupView = Vec<(u32, Vec<Bucket>)>;

fn view(p: &Pipeline) -> (u64, FlowView, GroupView, Vec<MeterMod>) {
    let s = p.snapshot();
    (
        s.version(),
        s.flows(&FlowFilter::default())
            .into_iter()
            .map(|f| {
                (
                    f.table_id,
                    f.priority,
                    f.cookie,
                    f.match_,
                    f.instructions,
                    f.flags,
                )
            })
            .collect(),
        s.groups()
            .into_iter()
            .map(|g| (g.group_id, g.buckets))
            .collect(),
        s.meters(),
    )
}

/// Asserts that `fm` fails with `kind` and changes nothing.
fn rejected(p: &Pipeline, fm: &FlowMod, kind: OfpErrorKind) -> OfpError {
    let before = view(p);
    let e = p.flow_mod(fm, now()).expect_err("flow mod should fail");
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(view(p), before, "tables changed after a failed mod");
    e
}

/// Runs a mod that must fail; asserts nothing changed; returns the error.
fn unchanged<T: std::fmt::Debug>(
    p: &Pipeline,
    f: impl FnOnce() -> Result<T, OfpError>,
) -> OfpErrorKind {
    let before = view(p);
    let e = f().expect_err("mod should fail");
    assert_eq!(view(p), before, "state changed after a failed mod: {e}");
    e.kind
}

fn bucket(actions: Vec<Action>) -> Bucket {
    Bucket {
        weight: 0,
        watch_port: PortNo::ANY,
        watch_group: GROUP_ANY,
        actions,
    }
}

fn group(id: u32, t: GroupType, buckets: Vec<Bucket>) -> GroupMod {
    GroupMod {
        command: GroupModCommand::Add,
        group_type: t,
        group_id: id,
        buckets,
    }
}

fn meter(id: u32, flags: u16, rate: u32) -> MeterMod {
    MeterMod {
        command: MeterModCommand::Add,
        flags,
        meter_id: id,
        bands: vec![MeterBand {
            band_type: MeterBandType::Drop,
            rate,
            burst_size: 0,
        }],
    }
}

fn ip_match(extra: &[(Field, u128)]) -> FlowMatch {
    let mut v = vec![(F::EthType, 0x0800)];
    v.extend_from_slice(extra);
    exact(&v)
}

fn tcp_match(extra: &[(Field, u128)]) -> FlowMatch {
    let mut v = vec![(F::EthType, 0x0800), (F::IpProto, 6)];
    v.extend_from_slice(extra);
    exact(&v)
}

// ---- hand-checked masks ----------------------------------------------------

#[test]
fn mask_single_in_port_rule_is_in_port_only() {
    let p = pipeline();
    add(
        &p,
        flow(0, 100, exact(&[(F::InPort, 1)]), vec![apply(vec![out(2)])]),
    );
    let t = xl(&p, &tcp_pkt(1, ip4(1, 1, 1, 1), ip4(2, 2, 2, 2), 10, 20));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
    // A packet from another port misses, on the same bits.
    let t = xl(&p, &tcp_pkt(3, ip4(1, 1, 1, 1), ip4(2, 2, 2, 2), 10, 20));
    assert!(t.actions.is_empty());
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
}

#[test]
fn mask_includes_nonmatching_higher_priority_prefix() {
    let p = pipeline();
    let hi = with_mask(ip_match(&[]), F::Ipv4Dst, ip4(10, 0, 0, 0), 0xffff_ff00);
    add(&p, flow(0, 200, hi, vec![apply(vec![out(1)])]));
    add(&p, flow(0, 0, FlowMatch::ANY, vec![apply(vec![out(2)])]));
    let t = xl(&p, &tcp_pkt(3, ip4(10, 9, 9, 9), ip4(10, 0, 1, 5), 1, 2));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    let mut want = fields_mask(&[F::EthType, F::InPort]);
    want.set(F::Ipv4Dst, 0xffff_ff00);
    assert_eq!(t.mask, want, "/24 of nw_dst, eth_type, in_port (output)");
    assert_eq!(t.mask.get(F::Ipv4Src), 0, "nw_src is not consulted");
    // The matching case consults the same bits.
    let t = xl(&p, &tcp_pkt(3, ip4(10, 9, 9, 9), ip4(10, 0, 0, 5), 1, 2));
    assert_eq!(t.actions, vec![DpAction::Output(0)]);
    assert_eq!(t.mask, want);
}

#[test]
fn mask_staged_lookup_stops_at_l2() {
    let p = pipeline();
    let hi = with_mask(ip_match(&[]), F::Ipv4Dst, ip4(10, 0, 0, 0), 0xffff_ff00);
    add(&p, flow(0, 200, hi, vec![apply(vec![out(1)])]));
    add(&p, flow(0, 0, FlowMatch::ANY, vec![apply(vec![out(2)])]));
    // ARP: the L2 stage (eth_type) already rules the /24 entry out, so no
    // arp_tpa/ipv4_dst bits are consulted.
    let t = xl(&p, &arp_pkt(3));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::EthType, F::InPort]));
}

#[test]
fn mask_skips_subtables_that_cannot_win() {
    let p = pipeline();
    add(
        &p,
        flow(0, 200, exact(&[(F::InPort, 1)]), vec![apply(vec![out(2)])]),
    );
    add(
        &p,
        flow(
            0,
            100,
            ip_match(&[(F::Ipv4Dst, ip4(10, 0, 0, 1))]),
            vec![apply(vec![out(3)])],
        ),
    );
    let pkt = tcp_pkt(1, ip4(1, 1, 1, 1), ip4(10, 0, 0, 1), 5, 6);
    let t = xl(&p, &pkt);
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(
        t.mask,
        fields_mask(&[F::InPort]),
        "lower subtable not probed"
    );
    // From port 2 the high entry misses and the lower one is probed fully.
    let mut pkt2 = pkt;
    pkt2.set(F::InPort, 2);
    let t = xl(&p, &pkt2);
    assert_eq!(t.actions, vec![DpAction::Output(2)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort, F::EthType, F::Ipv4Dst]));
}

#[test]
fn mask_select_group_adds_five_tuple() {
    let p = pipeline();
    let mut b1 = bucket(vec![out(2)]);
    b1.weight = 1;
    let mut b2 = bucket(vec![out(3)]);
    b2.weight = 1;
    p.group_mod(&group(1, GroupType::Select, vec![b1, b2]))
        .unwrap();
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![Action::Group(1)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, ip4(1, 1, 1, 1), ip4(2, 2, 2, 2), 1000, 80));
    assert_eq!(t.actions.len(), 1);
    assert_eq!(
        t.mask,
        fields_mask(&[
            F::InPort,
            F::EthType,
            F::Ipv4Src,
            F::Ipv4Dst,
            F::IpProto,
            F::TcpSrc,
            F::TcpDst
        ])
    );
    // Non-IP: Ethernet addresses.
    let t = xl(&p, &arp_pkt(1));
    assert_eq!(
        t.mask,
        fields_mask(&[F::InPort, F::EthType, F::EthSrc, F::EthDst])
    );
}

#[test]
fn mask_select_group_with_one_live_bucket_reads_no_hash_fields() {
    let p = pipeline();
    let mut b1 = bucket(vec![out(2)]);
    b1.weight = 1;
    b1.watch_port = PortNo(2);
    let mut b2 = bucket(vec![out(3)]);
    b2.weight = 0; // never chosen
    p.group_mod(&group(1, GroupType::Select, vec![b1, b2]))
        .unwrap();
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![Action::Group(1)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
}

#[test]
fn mask_dec_ttl_reads_ttl_and_eth_type() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![Action::DecNwTtl, out(2)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(t.actions, vec![DpAction::DecTtl, DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort, F::EthType, F::NwTtl]));
    // TTL 1: invalid, dropped.
    let mut k = tcp_pkt(1, 1, 2, 3, 4);
    k.set(F::NwTtl, 1);
    assert_eq!(xl(&p, &k).actions, vec![DpAction::Drop]);
    let t = p.snapshot().translate(
        &k,
        &TranslateOptions {
            send_invalid_ttl: true,
            ..Default::default()
        },
    );
    assert_eq!(
        t.actions,
        vec![
            DpAction::Controller(ToController {
                max_len: 128,
                reason: 2,
                table_id: 0,
                cookie: 0,
                ..Default::default()
            }),
            DpAction::Drop
        ]
    );
    // A packet-in carries metadata and tunnel id: the megaflow depends on them.
    assert_eq!(
        t.mask,
        fields_mask(&[F::InPort, F::EthType, F::NwTtl, F::Metadata, F::TunnelId])
    );
    // Non-IP: ignored, only eth_type read.
    let t = xl(&p, &arp_pkt(1));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort, F::EthType]));
}

#[test]
fn mask_field_set_before_lookup_is_not_unwildcarded() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            100,
            ip_match(&[(F::InPort, 1)]),
            vec![
                apply(vec![Action::SetField {
                    field: F::Ipv4Dst,
                    value: ip4(1, 2, 3, 4),
                }]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(
            1,
            100,
            ip_match(&[(F::Ipv4Dst, ip4(1, 2, 3, 4))]),
            vec![apply(vec![out(2)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 5, ip4(9, 9, 9, 9), 1, 2));
    assert_eq!(
        t.actions,
        vec![
            DpAction::SetField {
                field: F::Ipv4Dst,
                value: ip4(1, 2, 3, 4)
            },
            DpAction::Output(1)
        ]
    );
    assert_eq!(t.mask, fields_mask(&[F::InPort, F::EthType]));
    assert_eq!(t.hits.len(), 2);
}

#[test]
fn mask_metadata_written_then_matched_is_not_unwildcarded() {
    let p = pipeline();
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 2)]),
            vec![
                Instruction::WriteMetadata {
                    value: 0xab00,
                    mask: 0xff00,
                },
                Instruction::GotoTable(3),
            ],
        ),
    );
    add(
        &p,
        flow(
            3,
            100,
            with_mask(FlowMatch::ANY, F::Metadata, 0xab00, 0xff00),
            vec![apply(vec![out(1)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(2, 1, 2, 3, 4));
    assert_eq!(t.actions, vec![DpAction::Output(0)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
}

#[test]
fn mask_push_vlan_derives_vlan_bits_only_when_read() {
    let p = pipeline();
    // Port 1: push a tag and output: the old VLAN state is not read.
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 1)]),
            vec![apply(vec![Action::PushVlan(0x8100), out(2)])],
        ),
    );
    // Port 3: push, then a later table matches the tag: the old VLAN bits
    // (from which the new tag's VID/PCP derive) are consulted.
    add(
        &p,
        flow(
            0,
            100,
            exact(&[(F::InPort, 3)]),
            vec![
                apply(vec![Action::PushVlan(0x8100)]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    add(
        &p,
        flow(
            1,
            100,
            exact(&[(F::VlanVid, 0x1000)]),
            vec![apply(vec![out(2)])],
        ),
    );
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(
        t.actions,
        vec![DpAction::PushVlan { tpid: 0x8100 }, DpAction::Output(1)]
    );
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
    let t = xl(&p, &tcp_pkt(3, 1, 2, 3, 4));
    assert_eq!(
        t.actions,
        vec![DpAction::PushVlan { tpid: 0x8100 }, DpAction::Output(1)]
    );
    assert_eq!(
        t.mask,
        fields_mask(&[F::InPort, F::VlanVid, F::VlanPcp, F::VlanOuterTci])
    );
    // A tagged packet (VID 7) keeps VID 7 in the pushed tag: no match.
    let mut k = tcp_pkt(3, 1, 2, 3, 4);
    k.set(F::VlanVid, 0x1007);
    assert_eq!(
        xl(&p, &k).actions,
        vec![DpAction::PushVlan { tpid: 0x8100 }]
    );
}

#[test]
fn mask_output_to_in_port_reads_in_port() {
    let p = pipeline();
    add(&p, flow(0, 0, FlowMatch::ANY, vec![apply(vec![out(2)])]));
    let t = xl(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert_eq!(t.actions, vec![DpAction::Output(1)]);
    assert_eq!(t.mask, fields_mask(&[F::InPort]));
    let t = xl(&p, &tcp_pkt(2, 1, 2, 3, 4));
    assert!(t.actions.is_empty(), "never back out of the in_port");
}

#[test]
fn empty_pipeline_drops_with_empty_mask() {
    let p = pipeline();
    let t = xl_trace(&p, &tcp_pkt(1, 1, 2, 3, 4));
    assert!(t.actions.is_empty());
    assert!(t.mask.is_zero());
    assert_eq!(t.trace.len(), 1);
    assert_eq!(t.trace[0].matched, None);
    assert!(t.trace[0].note.contains("table miss"));
}

#[test]
fn staged_subtable_layout() {
    let p = pipeline();
    let m = with_mask(tcp_match(&[(F::InPort, 1)]), F::TcpDst, 80, 0xffff);
    add(&p, flow(0, 1, m, vec![]));
    let s = p.snapshot();
    let st: Vec<_> = s.tables[0].cls.subtables().collect();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].n_stages(), 4, "metadata, L2, L3, L4");
    assert_eq!(st[0].mask(), &m.mask);
}

// ---- instructions and actions --------------------------------------------

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

// ---- groups ----------------------------------------------------------------

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

// ---- meters ----------------------------------------------------------------

#[test]
fn meter_mod_validation() {
    let p = pipeline();
    let mm = OfpErrorKind::MeterModFailed;
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(1, 0, 10))),
        mm(code::BAD_METER_FLAGS)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(
            1,
            meter_flags::KBPS | meter_flags::PKTPS,
            10
        ))),
        mm(code::BAD_METER_FLAGS)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(1, meter_flags::KBPS | 0x100, 10))),
        mm(code::BAD_METER_FLAGS)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(1, meter_flags::KBPS, 0))),
        mm(code::BAD_RATE)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(0, meter_flags::KBPS, 1))),
        mm(code::INVALID_METER)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(
            METER_MAX + 1,
            meter_flags::KBPS,
            1
        ))),
        mm(code::INVALID_METER)
    );
    p.meter_mod(&meter(METER_CONTROLLER, meter_flags::PKTPS, 100))
        .unwrap();
    p.meter_mod(&meter(METER_MAX, meter_flags::PKTPS, 100))
        .unwrap();
    p.meter_mod(&meter(1, meter_flags::KBPS | meter_flags::BURST, 1000))
        .unwrap();
    assert_eq!(
        unchanged(&p, || p.meter_mod(&meter(1, meter_flags::KBPS, 5))),
        mm(code::METER_EXISTS)
    );
    assert_eq!(
        unchanged(&p, || p.meter_mod(&MeterMod {
            command: MeterModCommand::Modify,
            ..meter(2, meter_flags::KBPS, 5)
        })),
        mm(code::UNKNOWN_METER)
    );
    p.meter_mod(&MeterMod {
        command: MeterModCommand::Modify,
        ..meter(1, meter_flags::KBPS, 5)
    })
    .unwrap();
    let cfgs = p.meter_configs();
    assert_eq!(
        cfgs.iter().map(|m| m.meter_id).collect::<Vec<_>>(),
        vec![1, METER_MAX, METER_CONTROLLER]
    );
    assert_eq!(cfgs[0].bands[0].rate, 5);
    assert_eq!(cfgs[0].command, MeterModCommand::Add);
    let mut many = meter(3, meter_flags::KBPS, 5);
    many.bands = vec![many.bands[0]; 9];
    assert_eq!(unchanged(&p, || p.meter_mod(&many)), mm(code::OUT_OF_BANDS));
    // DSCP remark: rejected when the datapath lacks it.
    let q = Pipeline::with_config(
        ports(),
        PipelineConfig {
            dscp_remark_bands: false,
            ..Default::default()
        },
    );
    let mut remark = meter(3, meter_flags::KBPS, 5);
    remark.bands[0].band_type = MeterBandType::DscpRemark { prec_level: 1 };
    assert_eq!(unchanged(&q, || q.meter_mod(&remark)), mm(code::BAD_BAND));
    p.meter_mod(&remark).unwrap();
}

#[test]
fn meter_delete_removes_flows_and_unknown_meter_is_rejected() {
    let p = pipeline();
    let fm = flow(
        0,
        10,
        FlowMatch::ANY,
        vec![Instruction::Meter(4), apply(vec![out(2)])],
    );
    rejected(&p, &fm, OfpErrorKind::MeterModFailed(code::UNKNOWN_METER));
    p.meter_mod(&meter(4, meter_flags::PKTPS, 10)).unwrap();
    add(&p, fm);
    assert_eq!(
        xl(&p, &tcp_pkt(1, 1, 2, 3, 4)).actions,
        vec![DpAction::Meter(4), DpAction::Output(1)]
    );
    let removed = p
        .meter_mod_outcome(&MeterMod {
            command: MeterModCommand::Delete,
            ..meter(4, 0, 0)
        })
        .unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].reason, RemovedReason::MeterDelete);
    assert_eq!(p.snapshot().n_flows(), 0);
    assert!(p.meter_configs().is_empty());
    // Deleting again: no-op.
    p.meter_mod(&MeterMod {
        command: MeterModCommand::Delete,
        ..meter(4, 0, 0)
    })
    .unwrap();
}

// ---- flow-mod commands -------------------------------------------------------

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

// ---- validation errors ---------------------------------------------------------

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

// ---- snapshots and concurrency ---------------------------------------------------

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
    // A port change is not a flow change: the datapath must flush.
    p.set_ports(BridgePorts::new(Vec::new()));
    assert_eq!(collect(v0), None);
    assert_eq!(collect(v2), None);
    // History is bounded.
    for i in 0..70 {
        add(&p, flow(1, i, FlowMatch::ANY, vec![]));
    }
    assert_eq!(collect(v2), None, "older than the log");
    let recent = p.snapshot().version() - 3;
    assert_eq!(collect(recent).map(|v| v.len()), Some(3));
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
