//! Fuzzes the packet parser: any bytes must parse without panicking, the
//! same way whatever the key held before, with offsets inside the packet
//! and no field whose OpenFlow prerequisites are unmet.
//!
//! Run: `cd fuzz && cargo +nightly fuzz run parse corpus/parse seeds/parse`
//! (`seeds/parse` holds the parser's golden test packets).
#![no_main]

use fastpath::flow::{Field, FlowKey, Prereq, FIELDS};
use fastpath::parse::{parse, L3Kind, PacketMeta};
use libfuzzer_sys::fuzz_target;

fn prereq_holds(key: &FlowKey, p: Prereq) -> bool {
    let et = key.get(Field::EthType);
    let proto = key.get(Field::IpProto);
    let ip = et == 0x0800 || et == 0x86dd;
    match p {
        Prereq::None => true,
        Prereq::Vlan => key.get(Field::VlanVid) & 0x1000 != 0,
        Prereq::EthType(t) => et == u128::from(t),
        Prereq::Ip => ip,
        Prereq::IpProto(n) => ip && proto == u128::from(n),
        Prereq::EthProto(t, n) => et == u128::from(t) && proto == u128::from(n),
        Prereq::Icmpv6Type(types) => {
            let ty = key.get(Field::Icmpv6Type);
            et == 0x86dd && proto == 58 && types.iter().any(|&t| u128::from(t) == ty)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let meta = PacketMeta {
        in_port: 1,
        ..PacketMeta::default()
    };
    let mut key = FlowKey::ALL;
    let (layout, res) = parse(data, &meta, &mut key);
    let mut clean = FlowKey::ZERO;
    let (layout2, res2) = parse(data, &meta, &mut clean);
    assert_eq!((key, layout, res), (clean, layout2, res2));
    assert_eq!(key.get(Field::InPort), 1);

    let len = data.len();
    if layout.l3 != L3Kind::None {
        assert!(usize::from(layout.l3_ofs) < len);
    }
    if layout.l4_proto != 0 {
        assert!(usize::from(layout.l4_ofs) <= len);
        assert_eq!(u128::from(layout.l4_proto), key.get(Field::IpProto));
    }

    // Every set field has its prerequisites, or shares storage with a
    // field that has them (IPv4/ARP addresses, ports/ICMP, ARP/ND MACs).
    for d in FIELDS {
        if key.get(d.field) != 0 {
            assert!(
                FIELDS
                    .iter()
                    .any(|g| (g.field == d.field || g.shares_storage_with(d))
                        && prereq_holds(&key, g.prereq)),
                "{} without its prerequisites: {key:?}",
                d.name
            );
        }
    }
    if key.get(Field::IpFrag) & 2 != 0 {
        assert_eq!(key.get(Field::TcpSrc) | key.get(Field::TcpDst), 0);
    }
});
