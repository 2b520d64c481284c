//! The megaflow invariant end to end: random rule sets and random traffic
//! through the full switch (parse → megaflow cache → upcall → execute) give
//! exactly the output of translating every packet through the pipeline
//! alone and executing it, port by port and byte for byte.
mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{pcap, unique, Switch};
use control::flowsyntax::{parse_flow_mod, NoPortNames};
use control::pipeline::{BridgePorts, FlowModCommand, Pipeline, PortInfo, TranslateOptions};
use fastpath::actions::{execute, Emitted, ExecContext, VecPacket};
use fastpath::flow::FlowKey;
use fastpath::meter::MeterTable;
use fastpath::parse::{parse, PacketMeta};

/// A small deterministic generator (no extra dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random flows over a small value domain so rules overlap: priorities,
/// nw_dst prefixes, udp ports (some masked), two tables with goto, and
/// rewrites that change later lookups.
fn random_flows(rng: &mut Rng) -> Vec<String> {
    let mut flows = vec!["table=0,priority=0,actions=output:2".to_string()];
    for i in 0..24 {
        let prio = 10 + rng.below(200);
        let mut m = vec![
            format!("table={}", if i % 4 == 3 { 1 } else { 0 }),
            format!("priority={prio}"),
        ];
        m.push("udp".into());
        if rng.below(2) == 0 {
            let len = [8, 16, 24, 32][rng.below(4) as usize];
            m.push(format!(
                "nw_dst=10.{}.{}.{}/{len}",
                rng.below(2),
                rng.below(4),
                rng.below(4)
            ));
        }
        if rng.below(2) == 0 {
            m.push(format!("tp_dst={}", 50 + rng.below(6)));
        }
        if rng.below(3) == 0 {
            m.push(format!("tp_src=0x{:x}/0xf000", rng.below(16) << 12));
        }
        let out = 2 + rng.below(2);
        let actions = match (i % 4 == 3, rng.below(4)) {
            (false, 0) => "goto_table:1".to_string(),
            (_, 1) => format!("set_field:{}->udp_dst,output:{out}", 50 + rng.below(6)),
            (_, 2) => format!("dec_ttl,output:{out}"),
            _ => format!("output:{out}"),
        };
        flows.push(format!("{},actions={actions}", m.join(",")));
    }
    flows.push("table=1,priority=0,actions=output:3".into());
    flows
}

/// UDP frames over the same value domain, with random TTLs (some 1, which
/// dec_ttl drops).
fn random_frames(rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    let mut frames = pcap::udp_frames(n);
    for f in frames.iter_mut() {
        f[22] = [1, 64, 64, 64][rng.below(4) as usize];
        f[30..34].copy_from_slice(&[
            10,
            rng.below(2) as u8,
            rng.below(4) as u8,
            rng.below(4) as u8,
        ]);
        let sport = rng.below(65536) as u16;
        f[34..36].copy_from_slice(&sport.to_be_bytes());
        f[36..38].copy_from_slice(&(50 + rng.below(6) as u16).to_be_bytes());
        // Valid checksums: IPv4 recomputed, UDP zero (none).
        f[24..26].copy_from_slice(&[0, 0]);
        let c = fastpath::actions::internet_checksum(&[&f[14..34]]);
        f[24..26].copy_from_slice(&c.to_be_bytes());
        f[40..42].copy_from_slice(&[0, 0]);
    }
    frames
}

/// What the pipeline alone says: output port (ofport) → packets, in order.
fn expected(flows: &[String], frames: &[Vec<u8>]) -> BTreeMap<u32, Vec<Vec<u8>>> {
    let ports = (1..=3)
        .map(|n| PortInfo {
            ofport: n,
            index: (n - 1) as u16,
            live: true,
            no_flood: false,
        })
        .collect();
    let p = Pipeline::new(BridgePorts::new(ports));
    let fms: Vec<_> = flows
        .iter()
        .map(|f| parse_flow_mod(f, FlowModCommand::Add, &NoPortNames).unwrap())
        .collect();
    p.flow_mods(&fms, Instant::now()).unwrap();
    let meters = MeterTable::new();
    let ctx = ExecContext {
        meters: &meters,
        now_tsc: 0,
        tsc_hz: 1,
    };
    let mut out: BTreeMap<u32, Vec<Vec<u8>>> = BTreeMap::new();
    for f in frames {
        let mut key = FlowKey::ZERO;
        let meta = PacketMeta {
            in_port: 1,
            ..Default::default()
        };
        let (mut layout, res) = parse(f, &meta, &mut key);
        res.unwrap();
        let t = p.snapshot().translate(&key, &TranslateOptions::default());
        let mut emitted: Vec<Emitted<VecPacket>> = Vec::new();
        execute(
            &t.actions,
            VecPacket::with_headroom(f, 64),
            &mut layout,
            &ctx,
            &mut emitted,
        );
        for e in emitted {
            if let Emitted::Output { port, pkt } = e {
                out.entry(u32::from(port) + 1)
                    .or_default()
                    .push(pkt.to_vec());
            }
        }
    }
    out
}

#[test]
fn switch_output_equals_pipeline_alone() {
    for seed in [0x9e37_79b9_7f4a_7c15u64, 42, 7] {
        let mut rng = Rng(seed);
        let flows = random_flows(&mut rng);
        let frames = random_frames(&mut rng, 400);
        let want = expected(&flows, &frames);

        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.pcap");
        pcap::write(&input, &frames);
        let (o2, o3) = (dir.path().join("o2.pcap"), dir.path().join("o3.pcap"));
        let flows_toml: Vec<String> = flows.iter().map(|f| format!("{f:?}")).collect();
        let mut sw = Switch::start(&format!(
            r#"
[[bridge]]
name = "br0"
flows = [{}]
[[bridge.port]]
name = "in"
ofport = 1
devargs = "{},rx_pcap={}"
[[bridge.port]]
name = "o2"
ofport = 2
devargs = "{},tx_pcap={}"
[[bridge.port]]
name = "o3"
ofport = 3
devargs = "{},tx_pcap={}"
"#,
            flows_toml.join(", "),
            unique("net_pcap"),
            input.display(),
            unique("net_pcap"),
            o2.display(),
            unique("net_pcap"),
            o3.display()
        ));
        sw.wait_port_stats("in", "all frames received", |s| {
            s["rx_packets"] == frames.len() as u64
        });
        let n2 = want.get(&2).map_or(0, Vec::len) as u64;
        let n3 = want.get(&3).map_or(0, Vec::len) as u64;
        sw.wait_port_stats("o2", "expected count on o2", |s| {
            s["tx_packets"].as_u64() >= Some(n2)
        });
        sw.wait_port_stats("o3", "expected count on o3", |s| {
            s["tx_packets"].as_u64() >= Some(n3)
        });
        let mf = sw.ctl(&["dump-megaflows"]);
        let (status, log) = sw.stop();
        assert!(status.success(), "{log}");
        let got2 = pcap::read(&o2);
        let got3 = pcap::read(&o3);
        assert_eq!(got2.len() as u64, n2, "seed {seed:#x}: packets on port 2");
        assert_eq!(got3.len() as u64, n3, "seed {seed:#x}: packets on port 3");
        assert!(
            got2 == want.get(&2).cloned().unwrap_or_default(),
            "seed {seed:#x}: port 2 bytes differ"
        );
        assert!(
            got3 == want.get(&3).cloned().unwrap_or_default(),
            "seed {seed:#x}: port 3 bytes differ"
        );
        // The cache did its job: far fewer megaflows than packets.
        let n_mf = mf["megaflows"].as_array().map_or(0, Vec::len);
        assert!(
            n_mf > 0 && n_mf < frames.len(),
            "seed {seed:#x}: {n_mf} megaflows"
        );
    }
}
