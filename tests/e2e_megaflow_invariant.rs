//! The megaflow invariant end to end: random rule sets and random traffic
//! through the full switch (parse → megaflow cache → upcall → execute) give
//! exactly the output of translating every packet through the pipeline
//! alone and executing it, port by port and byte for byte.
mod common;

use std::collections::BTreeMap;
use std::path::Path;
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
        flows.push(random_flow(rng, i));
    }
    flows.push("table=1,priority=0,actions=output:3".into());
    flows
}

/// One random flow; every fourth (`i % 4 == 3`) goes to table 1.
fn random_flow(rng: &mut Rng, i: u64) -> String {
    {
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
        format!("{},actions={actions}", m.join(","))
    }
}

/// UDP frames over the same value domain, with random TTLs (some 1, which
/// dec_ttl drops), many in trains of one flow.
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
    // Trains: half the frames copy the one before (the switch then
    // compares headers instead of parsing), some of those with another IP
    // identification (allowed to differ), and some with another TTL (which
    // must not share the megaflow of the frame before).
    for i in 1..frames.len() {
        let r = rng.below(8);
        if r >= 5 {
            continue;
        }
        let mut f = frames[i - 1].clone();
        match r {
            0 | 1 => f[18..20].copy_from_slice(&(rng.below(65536) as u16).to_be_bytes()),
            2 => f[22] = [1, 63, 64][rng.below(3) as usize],
            _ => {}
        }
        f[24..26].copy_from_slice(&[0, 0]);
        let c = fastpath::actions::internet_checksum(&[&f[14..34]]);
        f[24..26].copy_from_slice(&c.to_be_bytes());
        frames[i] = f;
    }
    frames
}

/// A pipeline alone, with ports 1-3, as the model of the switch.
fn model_pipeline() -> Pipeline {
    let ports = (1..=3)
        .map(|n| PortInfo {
            ofport: n,
            index: (n - 1) as u16,
            live: true,
            no_flood: false,
        })
        .collect();
    Pipeline::new(BridgePorts::new(ports))
}

/// Applies flow mods in ovs-ofctl syntax to the model.
fn model_apply(p: &Pipeline, flows: &[String], command: FlowModCommand) {
    let fms: Vec<_> = flows
        .iter()
        .map(|f| parse_flow_mod(f, command, &NoPortNames).unwrap())
        .collect();
    p.flow_mods(&fms, Instant::now()).unwrap();
}

/// What the pipeline alone says: output port (ofport) → packets, in order.
fn expected(flows: &[String], frames: &[Vec<u8>]) -> BTreeMap<u32, Vec<Vec<u8>>> {
    let p = model_pipeline();
    model_apply(&p, flows, FlowModCommand::Add);
    let mut out = BTreeMap::new();
    model_outputs(&p, frames, &mut out);
    out
}

/// Appends what `p` does with `frames` to `out`.
fn model_outputs(p: &Pipeline, frames: &[Vec<u8>], out: &mut BTreeMap<u32, Vec<Vec<u8>>>) {
    let meters = MeterTable::new();
    let ctx = ExecContext {
        meters: &meters,
        now_tsc: 0,
        tsc_hz: 1,
    };
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
        let in_devargs = format!("{},rx_pcap={}", unique("net_pcap"), input.display());
        let mut sw = Switch::with_pcap_outputs(&flows, &in_devargs, &o2, &o3);
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

/// Sends `frames` into the kernel side of tap `iface` (AF_PACKET), so the
/// switch receives them on that port, in order.
fn inject(iface: &str, frames: &[Vec<u8>], dir: &Path) {
    let f = dir.join("inject.pcap");
    pcap::write(&f, frames);
    let script = r#"
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
d = open(sys.argv[2], "rb").read()
i = 24
while i < len(d):
    n = struct.unpack("<I", d[i + 8:i + 12])[0]
    s.send(d[i + 16:i + 16 + n])
    i += 16 + n
"#;
    let st = std::process::Command::new("python3")
        .args(["-c", script, iface])
        .arg(&f)
        .status()
        .expect("python3");
    assert!(st.success(), "inject into {iface}");
}

/// The invariant while rules change mid-stream: rounds of traffic, each
/// followed by random adds and deletes (acknowledged by ferroctl before
/// the next round). Megaflows made before a change must never be used
/// after it unless the change cannot affect them (selective
/// revalidation), so each round's output must equal the model's with
/// the rules of that round.
#[test]
fn switch_output_equals_pipeline_alone_across_rule_changes() {
    let mut rng = Rng(0x5eed_cafe);
    let flows = random_flows(&mut rng);
    let model = model_pipeline();
    model_apply(&model, &flows, FlowModCommand::Add);
    let dir = tempfile::tempdir().unwrap();
    let (o2, o3) = (dir.path().join("o2.pcap"), dir.path().join("o3.pcap"));
    let iface = unique("fsmi");
    let in_devargs = format!("{},iface={iface}", unique("net_tap"));
    let mut sw = Switch::with_pcap_outputs(&flows, &in_devargs, &o2, &o3);
    // No kernel chatter (IPv6 DAD, router solicitations) on the tap.
    let sh = |cmd: &str| {
        let ok = std::process::Command::new("sh")
            .args(["-c", cmd])
            .status()
            .unwrap()
            .success();
        assert!(ok, "{cmd}");
    };
    sh(&format!("sysctl -qw net.ipv6.conf.{iface}.disable_ipv6=1"));
    sh(&format!("ip link set dev {iface} up"));

    let mut want: BTreeMap<u32, Vec<Vec<u8>>> = BTreeMap::new();
    let mut sent = 0u64;
    let mut revalidated_some_away = false;
    for round in 0..6u64 {
        let frames = random_frames(&mut rng, 150);
        inject(&iface, &frames, dir.path());
        sent += frames.len() as u64;
        sw.wait_port_stats("in", "round's frames received", |s| {
            s["rx_packets"].as_u64() >= Some(sent)
        });
        model_outputs(&model, &frames, &mut want);
        // Change the rules: a few adds (both tables), then a delete.
        let adds: Vec<String> = (0..3)
            .map(|i| random_flow(&mut rng, round * 3 + i))
            .collect();
        let file = dir.path().join(format!("round{round}.flows"));
        std::fs::write(&file, adds.join("\n")).unwrap();
        let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        model_apply(&model, &adds, FlowModCommand::Add);
        let del = format!("table=0,udp,tp_dst={}", 50 + rng.below(6));
        let out = sw.ctl_text(&["del-flows", "br0", &del]);
        assert!(out.status.success(), "{out:?}");
        model_apply(&model, std::slice::from_ref(&del), FlowModCommand::Delete);
        // A rule on in_port alone over all the others for two rounds: its
        // megaflows match whole bursts at once (one output, then two).
        match round {
            1 | 2 => {
                let out = if round == 1 {
                    "output:3"
                } else {
                    "output:2,output:3"
                };
                let rule = format!("table=0,priority=300,in_port=1,actions={out}");
                let out = sw.ctl_text(&["add-flow", "br0", &rule]);
                assert!(out.status.success(), "{out:?}");
                model_apply(&model, &[rule], FlowModCommand::Add);
            }
            3 => {
                let out = sw.ctl_text(&["del-flows", "br0", "table=0,in_port=1"]);
                assert!(out.status.success(), "{out:?}");
                model_apply(
                    &model,
                    &["table=0,in_port=1".into()],
                    FlowModCommand::Delete,
                );
            }
            _ => {}
        }
        let pmd = sw.ctl(&["pmd-stats"]);
        revalidated_some_away |= pmd["pmds"][0]["megaflows_revalidated"].as_u64() > Some(0);
    }
    let want2 = want.get(&2).map_or(0, Vec::len) as u64;
    let want3 = want.get(&3).map_or(0, Vec::len) as u64;
    sw.wait_port_stats("o2", "expected count on o2", |s| {
        s["tx_packets"].as_u64() >= Some(want2)
    });
    sw.wait_port_stats("o3", "expected count on o3", |s| {
        s["tx_packets"].as_u64() >= Some(want3)
    });
    let (status, log) = sw.stop();
    assert!(status.success(), "{log}");
    assert!(revalidated_some_away, "changes removed megaflows");
    // Only IPv4 frames are ours: the kernel may have sent IPv6 chatter
    // into the tap before its IPv6 was turned off.
    let ours = |f: &std::path::Path| -> Vec<Vec<u8>> {
        pcap::read(f)
            .into_iter()
            .filter(|p| p.get(12..14) == Some(&[0x08, 0x00]))
            .collect()
    };
    assert!(
        ours(&o2) == want.get(&2).cloned().unwrap_or_default(),
        "port 2 differs from the model"
    );
    assert!(
        ours(&o3) == want.get(&3).cloned().unwrap_or_default(),
        "port 3 differs from the model"
    );
}
