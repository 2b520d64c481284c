//! The pipeline and the datapath executor together: flows written in flow
//! syntax, a real packet translated and executed, and the packets that
//! come out checked byte for byte (checksums included).
use std::time::Instant;

use fastpath::actions::{execute, internet_checksum, Emitted, ExecContext, VecPacket};
use fastpath::flow::FlowKey;
use fastpath::meter::MeterTable;
use fastpath::parse::{parse, PacketMeta};

use super::{BridgePorts, Pipeline, PortInfo, TranslateOptions};
use crate::flowsyntax::{parse_flow_mod, parse_group_mod, NoPortNames};
use crate::pipeline::{FlowModCommand, GroupModCommand};

/// Three ports: ofport n at datapath index n - 1.
fn pipeline(flows: &[&str], groups: &[&str]) -> Pipeline {
    let ports = (1..=3)
        .map(|n| PortInfo {
            ofport: n,
            index: (n - 1) as u16,
            live: true,
            no_flood: false,
        })
        .collect();
    let p = Pipeline::new(BridgePorts::new(ports));
    for g in groups {
        let gm = parse_group_mod(g, GroupModCommand::Add, &NoPortNames).unwrap();
        p.group_mod(&gm).unwrap();
    }
    let fms: Vec<_> = flows
        .iter()
        .map(|f| {
            parse_flow_mod(f, FlowModCommand::Add, &NoPortNames)
                .unwrap_or_else(|e| panic!("{f}: {e}"))
        })
        .collect();
    p.flow_mods(&fms, Instant::now()).unwrap();
    p
}

/// Runs `pkt` from `in_port` through the pipeline and the executor;
/// returns (datapath port index, bytes) of every output.
fn run(p: &Pipeline, in_port: u32, pkt: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut key = FlowKey::ZERO;
    let meta = PacketMeta {
        in_port,
        ..Default::default()
    };
    let (mut layout, res) = parse(pkt, &meta, &mut key);
    res.unwrap();
    let t = p.snapshot().translate(&key, &TranslateOptions::default());
    let meters = MeterTable::new();
    let ctx = ExecContext {
        meters: &meters,
        now_tsc: 0,
        tsc_hz: 1_000_000_000,
    };
    let mut out: Vec<Emitted<VecPacket>> = Vec::new();
    execute(
        &t.actions,
        VecPacket::with_headroom(pkt, 64),
        &mut layout,
        &ctx,
        &mut out,
    );
    out.into_iter()
        .filter_map(|e| match e {
            Emitted::Output { port, pkt } => Some((port, pkt.to_vec())),
            _ => None,
        })
        .collect()
}

const MAC_A: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 2];
const MAC_B: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 2];
const GW_A: [u8; 6] = [0x02, 0, 0, 0, 1, 1];
const GW_B: [u8; 6] = [0x02, 0, 0, 0, 2, 1];

/// Ethernet/IPv4/UDP with correct IPv4 and UDP checksums.
fn udp(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    ttl: u8,
    dport: u16,
) -> Vec<u8> {
    let payload = b"ferroswitch";
    let udp_len = 8 + payload.len();
    let mut ip = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, ttl, 17, 0, 0];
    ip[2..4].copy_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = internet_checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut u = Vec::new();
    u.extend_from_slice(&4000u16.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(udp_len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
    let c = internet_checksum(&[&pseudo, &u]);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&u);
    f
}

fn arp(
    op: u16,
    sha: [u8; 6],
    spa: [u8; 4],
    tha: [u8; 6],
    tpa: [u8; 4],
    eth_dst: [u8; 6],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&eth_dst);
    f.extend_from_slice(&sha);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&sha);
    f.extend_from_slice(&spa);
    f.extend_from_slice(&tha);
    f.extend_from_slice(&tpa);
    f
}

#[test]
fn routes_with_mac_rewrite_and_dec_ttl() {
    let p = pipeline(
        &["table=0,priority=50,ip,nw_dst=10.2.0.0/24,actions=set_field:02:00:00:00:02:01->eth_src,set_field:02:bb:00:00:00:02->eth_dst,dec_ttl,output:2"],
        &[],
    );
    let input = udp(GW_A, MAC_A, [10, 1, 0, 2], [10, 2, 0, 2], 64, 53);
    let out = run(&p, 1, &input);
    let expected = udp(MAC_B, GW_B, [10, 1, 0, 2], [10, 2, 0, 2], 63, 53);
    assert_eq!(out, vec![(1, expected)]);
}

#[test]
fn arp_responder_builds_the_reply() {
    let p = pipeline(
        &["table=0,priority=100,arp,in_port=1,arp_op=1,arp_tpa=10.1.0.1,actions=set_field:2->arp_op,set_field:02:00:00:00:01:01->eth_src,set_field:02:aa:00:00:00:02->eth_dst,set_field:02:00:00:00:01:01->arp_sha,set_field:10.1.0.1->arp_spa,set_field:02:aa:00:00:00:02->arp_tha,set_field:10.1.0.2->arp_tpa,IN_PORT"],
        &[],
    );
    let request = arp(1, MAC_A, [10, 1, 0, 2], [0; 6], [10, 1, 0, 1], [0xff; 6]);
    let reply = {
        let mut r = arp(2, GW_A, [10, 1, 0, 1], MAC_A, [10, 1, 0, 2], MAC_A);
        // eth_src is the gateway; arp() copies sha into eth_src already.
        r[6..12].copy_from_slice(&GW_A);
        r
    };
    assert_eq!(
        run(&p, 1, &request),
        vec![(0, reply)],
        "sent back out of the in_port"
    );
    // A request for another address matches nothing: dropped.
    let other = arp(1, MAC_A, [10, 1, 0, 2], [0; 6], [10, 1, 0, 9], [0xff; 6]);
    assert!(run(&p, 1, &other).is_empty());
}

#[test]
fn push_vlan_and_set_vid() {
    let p = pipeline(
        &["table=0,in_port=1,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:3"],
        &[],
    );
    let input = udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
    let mut tagged = input[..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]); // VID 100 (4196 = 0x1000 | 100)
    tagged.extend_from_slice(&input[12..]);
    assert_eq!(run(&p, 1, &input), vec![(2, tagged)]);
}

#[test]
fn group_all_sends_differently_modified_copies() {
    let p = pipeline(
        &["table=0,in_port=1,ip,actions=group:1"],
        &["group_id=1,type=all,bucket=actions=set_field:10.0.0.7->ip_dst,output:2,bucket=actions=set_field:10.0.0.8->ip_dst,output:3"],
    );
    let input = udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
    let out = run(&p, 1, &input);
    assert_eq!(
        out,
        vec![
            (1, udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 7], 64, 53)),
            (2, udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 8], 64, 53)),
        ],
        "each copy with its own destination and correct checksums"
    );
}

#[test]
fn write_actions_run_at_the_end_after_apply_actions_of_later_tables() {
    let p = pipeline(
        &[
            "table=0,udp,actions=write_actions(set_field:10.0.0.9->ip_dst,output:2),goto_table:1",
            "table=1,udp,actions=set_field:5353->udp_dst",
        ],
        &[],
    );
    let input = udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
    let expected = udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 9], 64, 5353);
    assert_eq!(run(&p, 1, &input), vec![(1, expected)]);
}

#[test]
fn flood_and_all_skip_the_input_port() {
    let p = pipeline(&["table=0,in_port=2,actions=FLOOD"], &[]);
    let input = udp(MAC_B, MAC_A, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
    let ports: Vec<u16> = run(&p, 2, &input).into_iter().map(|(p, _)| p).collect();
    assert_eq!(ports, vec![0, 2]);
}
