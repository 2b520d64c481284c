//! Executor tests, one file per subject; this file holds the shared
//! runners. Header edits are checked byte for byte against packets built
//! from scratch (every checksum recomputed independently by
//! `testpkt::verify`).

mod meters;
mod output;
mod proptests;
mod robustness;
mod set_field;
mod vlan_ttl;

use super::*;
use crate::actions::testpkt::{self, *};
use crate::actions::DpAction as A;
use crate::flow::Field;
use crate::meter::MeterTable;
use crate::parse::PacketLayout;

const HZ: u64 = 1_000_000_000;
const T0: u64 = 1 << 40;

fn sf(field: Field, value: u128) -> DpAction {
    A::SetField { field, value }
}

fn mac(m: [u8; 6]) -> u128 {
    m.iter().fold(0, |a, &b| (a << 8) | u128::from(b))
}

struct Run {
    log: Vec<Emitted<VecPacket>>,
    layout: PacketLayout,
}

fn exec_pkt(meters: &MeterTable, pkt: VecPacket, layout: PacketLayout, prog: &[DpAction]) -> Run {
    let mut layout = layout;
    let mut log = Vec::new();
    let ctx = ExecContext {
        meters,
        now_tsc: T0,
        tsc_hz: HZ,
    };
    execute(prog, pkt, &mut layout, &ctx, &mut log);
    Run { log, layout }
}

fn exec_spec(spec: &Spec, prog: &[DpAction]) -> Run {
    let (bytes, layout) = build(spec);
    exec_pkt(&MeterTable::new(), VecPacket::new(&bytes), layout, prog)
}

/// The bytes of the single packet output to port 1.
fn only_output(r: &Run) -> Vec<u8> {
    match r.log.as_slice() {
        [Emitted::Output { port: 1, pkt }] => pkt.to_vec(),
        other => panic!("expected one output to port 1, got {other:?}"),
    }
}

/// Runs `actions` then Output(1) on `spec`; the output must be exactly
/// `build(expected)`, its checksums must verify from scratch, and the
/// executor's layout must be the one `expected` has.
fn check(spec: &Spec, actions: &[DpAction], expected: &Spec) -> Vec<u8> {
    let mut prog = actions.to_vec();
    prog.push(A::Output(1));
    let r = exec_spec(spec, &prog);
    let got = only_output(&r);
    let (want, want_layout) = build(expected);
    assert_eq!(got, want, "after {actions:?}");
    assert_eq!(verify(&got), Ok(want_layout), "checksums after {actions:?}");
    assert_eq!(r.layout, want_layout, "layout after {actions:?}");
    got
}

fn v4(s: &mut Spec) -> &mut testpkt::Ipv4 {
    match &mut s.l3 {
        L3::Ipv4(h) => h,
        _ => panic!("not IPv4"),
    }
}

fn v6(s: &mut Spec) -> &mut testpkt::Ipv6 {
    match &mut s.l3 {
        L3::Ipv6(h) => h,
        _ => panic!("not IPv6"),
    }
}

fn l4(s: &mut Spec) -> &mut L4 {
    match &mut s.l3 {
        L3::Ipv4(h) => &mut h.l4,
        L3::Ipv6(h) => &mut h.l4,
        _ => panic!("no L4"),
    }
}
