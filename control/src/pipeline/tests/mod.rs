//! Unit tests of the pipeline, one file per subject; this file holds the
//! shared fixtures (ports, matches, packets, flow-mod builders, table views).

mod actions;
mod flow_mod;
mod groups;
mod masks;
mod meters;
mod snapshots;
mod validation;

use std::time::Instant;

use fastpath::flow::{Field, FlowKey, FlowMask};

use super::*;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};

use Field as F;

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
