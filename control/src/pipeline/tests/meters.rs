//! Meters: meter-mod validation and deletion.

use fastpath::actions::DpAction;

use super::*;
use crate::ofp::error::code;
use crate::ofp::OfpErrorKind;

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
