//! VLAN push/pop and TTL decrement.

use super::*;
use crate::actions::testpkt::*;
use crate::actions::DpAction as A;
use crate::flow::Field;
use crate::meter::MeterTable;

// VLAN.

#[test]
fn push_vlan_on_untagged() {
    let spec = ipv4(udp(1, 2));
    let mut want = spec.clone();
    want.vlans = vec![(TPID_8021Q, 0)];
    let got = check(&spec, &[A::PushVlan { tpid: TPID_8021Q }], &want);
    assert_eq!(&got[12..18], &[0x81, 0x00, 0x00, 0x00, 0x08, 0x00]);
    // Then set its VID and PCP (the usual push_vlan, set_field sequence).
    want.vlans = vec![(TPID_8021Q, (5 << 13) | 100)];
    let got = check(
        &spec,
        &[
            A::PushVlan { tpid: TPID_8021Q },
            sf(Field::VlanVid, 0x1000 | 100),
            sf(Field::VlanPcp, 5),
        ],
        &want,
    );
    assert_eq!(&got[12..16], &[0x81, 0x00, 0xa0, 0x64]);
}

#[test]
fn push_vlan_copies_outer_tci() {
    let mut spec = ipv6(tcp(1, 2));
    spec.vlans = vec![(TPID_8021Q, 0x6123)];
    let mut want = spec.clone();
    want.vlans = vec![(TPID_8021AD, 0x6123), (TPID_8021Q, 0x6123)];
    check(&spec, &[A::PushVlan { tpid: TPID_8021AD }], &want);
    // VID/PCP act on the outer tag only.
    want.vlans = vec![(TPID_8021AD, 0x6007), (TPID_8021Q, 0x6123)];
    check(
        &spec,
        &[
            A::PushVlan { tpid: TPID_8021AD },
            sf(Field::VlanVid, 0x1007),
        ],
        &want,
    );
}

#[test]
fn pop_vlan() {
    let mut spec = ipv4(tcp(1, 2));
    spec.vlans = vec![(TPID_8021AD, 0x0010), (TPID_8021Q, 0x0020)];
    let mut want = spec.clone();
    want.vlans = vec![(TPID_8021Q, 0x0020)];
    check(&spec, &[A::PopVlan], &want);
    want.vlans = vec![];
    check(&spec, &[A::PopVlan, A::PopVlan], &want);
    // Popping an untagged packet, or editing a tag it lacks: no-ops.
    check(
        &spec,
        &[
            A::PopVlan,
            A::PopVlan,
            A::PopVlan,
            sf(Field::VlanVid, 0x1005),
            sf(Field::VlanPcp, 7),
        ],
        &want,
    );
    // And the headers behind still get edited at the right offsets.
    let mut want2 = want.clone();
    v4(&mut want2).ttl = 63;
    check(&spec, &[A::PopVlan, A::PopVlan, A::DecTtl], &want2);
}

#[test]
fn push_vlan_without_headroom_drops() {
    let (f, layout) = build(&ipv4(tcp(1, 2)));
    let r = exec_pkt(
        &MeterTable::new(),
        VecPacket::with_headroom(&f, 3),
        layout,
        &[A::PushVlan { tpid: TPID_8021Q }, A::Output(1)],
    );
    assert_eq!(r.log, vec![Emitted::Dropped(DropReason::NoRoom)]);
}

// TTL.

#[test]
fn dec_ttl_ipv4_literal_bytes() {
    // Hand-computed: the header of ipv4(udp(1234, 53)) sums to 0x1a328 with
    // TTL 64 (checksum 0x5cd6); with TTL 63, 0x1a228 -> 0xa229, checksum
    // 0x5dd6.
    let spec = ipv4(udp(1234, 53));
    let mut want = spec.clone();
    v4(&mut want).ttl = 63;
    let got = check(&spec, &[A::DecTtl], &want);
    assert_eq!(got[22], 63);
    assert_eq!(&got[24..26], &[0x5d, 0xd6]);
}

#[test]
fn dec_ttl_ipv6() {
    let spec = ipv6(icmp_echo());
    let mut want = spec.clone();
    v6(&mut want).hlim = 62;
    check(&spec, &[A::DecTtl, A::DecTtl], &want);
}

#[test]
fn dec_ttl_expiry_drops() {
    for ttl in [0u8, 1] {
        let mut a = ipv4(tcp(1, 2));
        v4(&mut a).ttl = ttl;
        let mut b = ipv6(tcp(1, 2));
        v6(&mut b).hlim = ttl;
        for spec in [a, b] {
            let r = exec_spec(&spec, &[A::Output(2), A::DecTtl, A::Output(1)]);
            assert_eq!(r.log.len(), 2, "{:?}", r.log);
            assert!(matches!(r.log[0], Emitted::Output { port: 2, .. }));
            assert_eq!(r.log[1], Emitted::Dropped(DropReason::TtlExpired));
        }
    }
    // TTL 2 -> 1 passes.
    let mut spec = ipv4(tcp(1, 2));
    v4(&mut spec).ttl = 2;
    let mut want = spec.clone();
    v4(&mut want).ttl = 1;
    check(&spec, &[A::DecTtl], &want);
}
