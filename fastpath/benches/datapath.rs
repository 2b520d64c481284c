//! Per-packet costs of the datapath stages, at batch 32: parsing a
//! 64-byte UDP frame into a flow key, and megaflow lookups with 1 and 8
//! subtables. `cargo bench -p fastpath` (ns per packet = time / 32).
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use fastpath::actions::DpAction;
use fastpath::emc::{flow_hash, Emc};
use fastpath::flow::{Field, FlowKey};
use fastpath::megaflow::MegaflowCache;
use fastpath::parse::{parse, PacketMeta};
use fastpath::upcall::Upcall;

/// 64-byte Ethernet/IPv4/UDP frames of `n` flows.
fn frames(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
            f.extend_from_slice(&[0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0]);
            f.extend_from_slice(&[
                172,
                16,
                (i >> 8) as u8,
                i as u8,
                10,
                0,
                (i >> 3) as u8,
                i as u8,
            ]);
            f.extend_from_slice(&(1024 + i as u16).to_be_bytes());
            f.extend_from_slice(&53u16.to_be_bytes());
            f.extend_from_slice(&[0, 30, 0, 0]);
            f.resize(64, 0);
            f
        })
        .collect()
}

fn keys(frames: &[Vec<u8>]) -> Vec<FlowKey> {
    let meta = PacketMeta {
        in_port: 1,
        ..Default::default()
    };
    frames
        .iter()
        .map(|f| {
            let mut k = FlowKey::ZERO;
            let _ = parse(f, &meta, &mut k);
            k
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
    let fr = frames(32);
    let meta = PacketMeta {
        in_port: 1,
        ..Default::default()
    };
    let mut g = c.benchmark_group("per_burst_32");
    g.throughput(Throughput::Elements(32));
    g.bench_function("parse_udp64", |b| {
        let mut k = FlowKey::ZERO;
        b.iter(|| {
            for f in &fr {
                let r = parse(black_box(f), &meta, &mut k);
                let _ = black_box((&k, r));
            }
        })
    });

    let ks = keys(&fr);
    let mut one = MegaflowCache::new(1 << 20);
    one.insert(&ks[0], &upcall(&[Field::InPort]), 0);
    g.bench_function("megaflow_hit_1_subtable", |b| {
        b.iter(|| {
            for k in &ks {
                black_box(one.lookup(black_box(k)));
            }
        })
    });

    // 8 masks; the packets' megaflows sit in the last subtable probed.
    let many = keys(&frames(10_000));
    let mut eight = MegaflowCache::new(1 << 20);
    let shapes: [&[Field]; 8] = [
        &[
            Field::InPort,
            Field::EthType,
            Field::IpProto,
            Field::Ipv4Dst,
            Field::UdpDst,
        ],
        &[Field::InPort, Field::EthType, Field::IpProto, Field::UdpDst],
        &[Field::InPort, Field::EthType, Field::Ipv4Src],
        &[Field::InPort, Field::EthType, Field::IpProto, Field::UdpSrc],
        &[Field::InPort, Field::EthType, Field::IpProto, Field::TcpDst],
        &[Field::InPort, Field::EthSrc],
        &[Field::InPort, Field::EthDst],
        &[Field::InPort, Field::EthType, Field::Ipv4Dst],
    ];
    let mut other = FlowKey::ZERO;
    other.set(Field::InPort, 9);
    for s in &shapes[..7] {
        eight.insert(&other, &upcall(s), 0);
    }
    for k in &many {
        eight.insert(k, &upcall(shapes[7]), 0);
    }
    let probe = keys(&frames(10_000)[..32]);
    g.bench_function("megaflow_hit_8_subtables_10k_flows", |b| {
        b.iter(|| {
            for k in &probe {
                black_box(eight.lookup(black_box(k)));
            }
        })
    });

    // The EMC in front of those 8 subtables: hash, prefetch the burst's
    // buckets, probe and verify against the megaflow.
    let mut emc = Emc::new(1 << 16);
    for k in &probe {
        let (idx, _) = eight.lookup(k);
        emc.insert(flow_hash(k), idx.unwrap() as u32);
    }
    g.bench_function("emc_hit_10k_flows", |b| {
        let mut hashes = [0u64; 32];
        b.iter(|| {
            for (h, k) in hashes.iter_mut().zip(&probe) {
                *h = flow_hash(black_box(k));
                emc.prefetch(*h);
            }
            for (h, k) in hashes.iter().zip(&probe) {
                black_box(emc.lookup(*h, |i| eight.matches(i as usize, k)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
