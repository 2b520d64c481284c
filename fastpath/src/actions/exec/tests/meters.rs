//! Meters: drop and DSCP-remark bands.

use super::*;
use crate::actions::testpkt::*;
use crate::actions::DpAction as A;
use crate::meter::{BandConfig, BandKind, MeterConfig, MeterTable};

fn meter_table(id: u32, kind: BandKind) -> MeterTable {
    let t = MeterTable::new();
    t.install(MeterConfig {
        id,
        kbps: false,
        burst: true,
        stats: true,
        bands: vec![BandConfig {
            rate: 1,
            burst_size: 1,
            kind,
        }],
    });
    t
}

#[test]
fn meter_drop_band() {
    let t = meter_table(1, BandKind::Drop);
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let prog = [A::Meter(1), A::Output(1)];
    let r = exec_pkt(&t, VecPacket::new(&f), layout, &prog);
    assert!(matches!(
        r.log.as_slice(),
        [Emitted::Output { port: 1, .. }]
    ));
    let r = exec_pkt(&t, VecPacket::new(&f), layout, &prog);
    assert_eq!(r.log, vec![Emitted::Dropped(DropReason::Meter)]);
    // An unknown meter passes.
    let r = exec_pkt(&t, VecPacket::new(&f), layout, &[A::Meter(2), A::Output(1)]);
    assert!(matches!(
        r.log.as_slice(),
        [Emitted::Output { port: 1, .. }]
    ));
    let s = t.stats(1).unwrap();
    assert_eq!(s.packet_in_count, 2);
    assert_eq!(s.byte_in_count, 2 * f.len() as u64);
    assert_eq!(s.bands[0].packet_band_count, 1);
}

#[test]
fn meter_dscp_remark_raises_drop_precedence() {
    // (DSCP before, prec_level, DSCP after): AF11 -> AF12, AF11 -> AF13,
    // AF42 saturates at AF43, AF33 stays; EF, CS5 and best effort have no
    // drop precedence.
    let cases = [
        (10u8, 1u8, 12u8),
        (10, 2, 14),
        (36, 5, 38),
        (30, 1, 30),
        (46, 1, 46),
        (40, 1, 40),
        (0, 1, 0),
    ];
    for (before, prec_level, after) in cases {
        for v6_packet in [false, true] {
            let mut spec = if v6_packet {
                ipv6(udp(1, 2))
            } else {
                ipv4(udp(1, 2))
            };
            match &mut spec.l3 {
                L3::Ipv4(h) => {
                    h.dscp = before;
                    h.ecn = 1;
                }
                L3::Ipv6(h) => {
                    h.dscp = before;
                    h.ecn = 1;
                }
                _ => unreachable!(),
            }
            let t = meter_table(7, BandKind::DscpRemark { prec_level });
            let (f, layout) = build(&spec);
            let prog = [A::Meter(7), A::Output(1)];
            // The first packet conforms and is untouched.
            let r = exec_pkt(&t, VecPacket::new(&f), layout, &prog);
            assert_eq!(only_output(&r), f);
            // The second exceeds the band and is remarked.
            let r = exec_pkt(&t, VecPacket::new(&f), layout, &prog);
            let mut want = spec.clone();
            match &mut want.l3 {
                L3::Ipv4(h) => h.dscp = after,
                L3::Ipv6(h) => h.dscp = after,
                _ => unreachable!(),
            }
            let got = only_output(&r);
            assert_eq!(got, build(&want).0, "{before} +{prec_level} v6={v6_packet}");
            assert_eq!(verify(&got), Ok(layout));
        }
    }
}
