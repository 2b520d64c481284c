//! Per-packet costs of VXLAN decap and encap at batch 32, 10k inner flows:
//! ferroswitch's decap (fixed pre-classification + one megaflow lookup of
//! the inner packet) against the OVS model (lookup of the outer packet,
//! pop, recirculate, lookup of the inner one), and the encap push.
//! `cargo bench -p fastpath --bench tunnel` (ns per packet = time / 32).
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use fastpath::actions::{DpAction, PacketBuf, VecPacket};
use fastpath::flow::{Field, FlowKey};
use fastpath::megaflow::MegaflowCache;
use fastpath::parse::{parse, PacketMeta};
use fastpath::tunnel::{
    classify, push, vxlan, DecapPort, Ingress, TunnelDp, TunnelHeader, TunnelKind, TunnelSpec,
};
use fastpath::upcall::Upcall;

const UNDERLAY: u32 = 0xc0a8_3201;
const REMOTE: u32 = 0xc0a8_3202;

/// 64-byte inner UDP frames of flow `i`.
fn inner(i: usize) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[172, 16, (i >> 8) as u8, i as u8, 10, 0, 0, 1]);
    f.extend_from_slice(&(1024 + i as u16).to_be_bytes());
    f.extend_from_slice(&53u16.to_be_bytes());
    f.extend_from_slice(&[0, 30, 0, 0]);
    f.resize(64, 0);
    f
}

fn spec() -> TunnelSpec {
    TunnelSpec {
        kind: TunnelKind::Vxlan,
        src_mac: [2, 0, 0, 0, 0, 0xa],
        dst_mac: Some([2, 0, 0, 0, 0, 0xb]),
        src_ip: REMOTE,
        dst_ip: UNDERLAY,
        tos: Some(0),
        ttl: Some(64),
        df: true,
        csum: false,
        key: Some(42),
        dst_port: vxlan::DEFAULT_PORT,
        mtu: 1500,
    }
}

/// VXLAN frames (as the remote VTEP sends them) of 10k inner flows.
fn outer_frames(n: usize) -> Vec<Vec<u8>> {
    let h = TunnelHeader::build(&spec());
    (0..n)
        .map(|i| {
            let f = inner(i);
            let mut key = FlowKey::ZERO;
            let (layout, _) = parse(&f, &PacketMeta::default(), &mut key);
            let mut p = VecPacket::new(&f);
            push(&h, &mut p, &layout).expect("push");
            p.to_vec()
        })
        .collect()
}

fn upcall(fields: &[Field]) -> Upcall {
    let mut mask = FlowKey::ZERO;
    for f in fields {
        mask.or_assign(&FlowKey::field_mask(*f));
    }
    Upcall {
        actions: Arc::from(vec![DpAction::Output(1)]),
        mask,
        credits: Arc::from(Vec::new()),
        tables: 1,
        ports: 0,
    }
}

fn bench(c: &mut Criterion) {
    let dp = TunnelDp::new(
        0,
        UNDERLAY,
        vec![DecapPort {
            kind: TunnelKind::Vxlan,
            ofport: 10,
            dst_port: vxlan::DEFAULT_PORT,
            key: Some(42),
            remote: None,
        }],
    );
    let all = outer_frames(10_000);
    let burst: Vec<&Vec<u8>> = all.iter().step_by(10_000 / 32).take(32).collect();
    let underlay_meta = PacketMeta {
        in_port: 1,
        ..Default::default()
    };
    // Inner megaflows: in_port (tunnel), tun_id, IPv4 source (10k flows).
    let inner_fields = [
        Field::InPort,
        Field::TunnelId,
        Field::EthType,
        Field::Ipv4Src,
    ];
    let mut cache = MegaflowCache::new(1 << 20);
    // The OVS model also caches the outer packet's megaflow (tnl_pop).
    let outer_fields = [
        Field::InPort,
        Field::EthType,
        Field::IpProto,
        Field::Ipv4Dst,
        Field::UdpDst,
    ];
    for f in &all {
        let mut k = FlowKey::ZERO;
        let _ = parse(f, &underlay_meta, &mut k);
        cache.insert(&k, &upcall(&outer_fields), 0);
        if let Ingress::Decap { meta, outer_len } = classify(&dp, f) {
            let mut ik = FlowKey::ZERO;
            let _ = parse(&f[usize::from(outer_len)..], &meta, &mut ik);
            cache.insert(&ik, &upcall(&inner_fields), 0);
        }
    }

    let mut g = c.benchmark_group("vxlan_per_burst_32");
    g.throughput(Throughput::Elements(32));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.bench_function("decap_preclassify_only", |b| {
        b.iter(|| {
            for f in &burst {
                black_box(classify(&dp, black_box(f)));
            }
        })
    });
    g.bench_function("decap_ferroswitch_one_lookup", |b| {
        let mut k = FlowKey::ZERO;
        b.iter(|| {
            for f in &burst {
                if let Ingress::Decap { meta, outer_len } = classify(&dp, black_box(f)) {
                    let _ = parse(&f[usize::from(outer_len)..], &meta, &mut k);
                    black_box(cache.lookup(&k));
                }
            }
        })
    });
    g.bench_function("decap_ovs_model_two_lookups", |b| {
        let mut k = FlowKey::ZERO;
        b.iter(|| {
            for f in &burst {
                let _ = parse(black_box(f), &underlay_meta, &mut k);
                black_box(cache.lookup(&k));
                if let Ingress::Decap { meta, outer_len } = classify(&dp, f) {
                    let _ = parse(&f[usize::from(outer_len)..], &meta, &mut k);
                    black_box(cache.lookup(&k));
                }
            }
        })
    });
    let h = TunnelHeader::build(&spec());
    let mut pkts: Vec<(VecPacket, fastpath::parse::PacketLayout)> = (0..32)
        .map(|i| {
            let f = inner(i * 300);
            let mut key = FlowKey::ZERO;
            let (layout, _) = parse(&f, &PacketMeta::default(), &mut key);
            (VecPacket::new(&f), layout)
        })
        .collect();
    g.bench_function("encap_push_and_patch", |b| {
        b.iter(|| {
            for (p, layout) in pkts.iter_mut() {
                let _ = push(&h, p, layout);
                // Undo, so the next round pushes again.
                p.remove(0, h.len());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
