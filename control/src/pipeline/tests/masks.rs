//! Hand-checked megaflow masks: exactly the fields a translation read.

use fastpath::actions::{DpAction, ToController};
use fastpath::flow::Field;

use super::*;
use crate::ofp::PortNo;

use Field as F;

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
