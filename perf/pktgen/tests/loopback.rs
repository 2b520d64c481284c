//! The generator against plain loopbacks: a net_ring port (its tx ring is
//! its own rx ring), a net_memif pair in one process (rx on another port),
//! and a net_pcap file checked packet by packet with scapy.
mod common;

use common::{f, pktgen, pktgen_fails, u};

fn stream(j: &serde_json::Value, i: usize) -> &serde_json::Value {
    &j["summary"]["streams"][i]
}

/// Runs the generator (`pktgen`) on a net_ring port, worker on core 1.
fn on_ring(mode: &str, args: &[&str]) -> serde_json::Value {
    pktgen(
        mode,
        &[&["--port", "net_ring0", "--core", "1"], args].concat(),
    )
}

/// Stream 0 of `j` sent `n` packets and received all of them.
fn assert_all_back(j: &serde_json::Value, n: u64) {
    let st = stream(j, 0);
    assert_eq!(u(&st["tx_packets"]), n, "{j:#}");
    assert_eq!(u(&st["rx_packets"]), n, "{j:#}");
}

/// Everything sent comes back once, in order, with a sane latency histogram.
#[test]
fn ring_loopback_sent_equals_received() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("streams.toml");
    std::fs::write(
        &file,
        r#"
[[stream]]
name = "plain"
size = 64
count = 30000
src_ip = "10.0.0.1-10.0.0.200"
dst_port = "random:1-1000"

[[stream]]
name = "imix-vlan"
size = "imix:7x128,4x576,1x1518"
count = 20000
vlan = 42

[[stream]]
name = "vxlan"
size = 256
count = 10000
vxlan = { vni = 7 }
"#,
    )
    .unwrap();
    let j = on_ring("run", &["--streams", file.to_str().unwrap()]);
    let s = &j["summary"];
    assert_eq!(u(&s["tx_packets"]), 60000, "{j:#}");
    assert_eq!(u(&s["rx_packets"]), 60000, "{j:#}");
    assert_eq!(u(&s["lost"]), 0);
    assert_eq!(u(&s["rx_foreign"]), 0);
    for (i, n) in [(0, 30000), (1, 20000), (2, 10000)] {
        let st = stream(&j, i);
        assert_eq!(u(&st["tx_packets"]), n, "{st:#}");
        assert_eq!(u(&st["rx_packets"]), n, "{st:#}");
        assert_eq!(u(&st["out_of_order"]), 0, "{st:#}");
        assert_eq!(u(&st["duplicated"]), 0, "{st:#}");
        let l = &st["latency"];
        assert_eq!(u(&l["samples"]), n);
        let (min, p50, p99, p999, max) = (
            u(&l["min_ns"]),
            u(&l["p50_ns"]),
            u(&l["p99_ns"]),
            u(&l["p999_ns"]),
            u(&l["max_ns"]),
        );
        assert!(min > 0, "latency min {min}");
        assert!(
            min <= p50 && p50 <= p99 && p99 <= p999 && p999 <= max,
            "{l:#}"
        );
        let avg = f(&l["avg_ns"]);
        assert!(avg >= min as f64 && avg <= max as f64, "{l:#}");
    }
    // Bytes on the way back are the frame sizes asked for (FCS counted).
    let imix = stream(&j, 1);
    assert_eq!(imix["rx_bytes"], imix["tx_bytes"]);
    let mean = (7.0 * 128.0 + 4.0 * 576.0 + 1518.0) / 12.0;
    assert!((f(&imix["mean_frame_size"]) - mean).abs() < 1e-9);
}

/// The rate limiter holds the asked rate within 2%, at the sender and as
/// seen by the receiver.
#[test]
fn ring_rate_limiter_holds_the_rate() {
    let j = on_ring("run", &["--rate-pps", "50000", "--count", "100000"]);
    let st = stream(&j, 0);
    assert_eq!(u(&st["rx_packets"]), 100_000, "{st:#}");
    for key in ["tx_pps", "rx_pps"] {
        let rate = f(&st[key]);
        assert!(
            (rate - 50_000.0).abs() <= 50_000.0 * 0.02,
            "{key} {rate} is not within 2% of 50000 pps: {j:#}"
        );
    }
    // A percentage of a given line rate: 1% of 1 Gbit/s at 64 bytes is
    // 14880.95 pps, for one second.
    let j = on_ring(
        "run",
        &[
            "--rate-percent",
            "1",
            "--line-rate-gbps",
            "1",
            "--duration",
            "1",
        ],
    );
    let st = stream(&j, 0);
    let want = 1e9 / ((64.0 + 20.0) * 8.0) / 100.0;
    assert!((f(&st["asked_pps"]) - want).abs() < 0.01, "{st:#}");
    let rate = f(&st["tx_pps"]);
    assert!(
        (rate - want).abs() <= want * 0.02,
        "tx_pps {rate}, want {want}"
    );
    assert_eq!(st["tx_packets"], st["rx_packets"]);
}

/// Receiving on another port than the one sending: a memif pair inside
/// the generator's own process.
#[test]
fn memif_pair_receives_on_the_other_port() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("m.sock");
    let tx = format!("net_memif0,role=server,socket={}", sock.display());
    let rx = format!("net_memif1,role=client,socket={}", sock.display());
    let j = pktgen(
        "run",
        &[
            "--port",
            &tx,
            "--rx-port",
            &rx,
            "--core",
            "1",
            "--count",
            "20000",
            "--size",
            "512",
        ],
    );
    assert_all_back(&j, 20000);
    let st = stream(&j, 0);
    assert_eq!(u(&st["out_of_order"]) + u(&st["duplicated"]), 0);
    assert_eq!(u(&j["rx_port_stats"]["rx_packets"]), 20000, "{j:#}");
}

/// --rx-queues must be 1..=16 (its use, OVS-DPDK sending on tx queue 1, is
/// in suite_smoke.rs).
#[test]
fn rx_queues_out_of_range_is_refused() {
    for n in ["0", "17"] {
        let err = pktgen_fails("run", &["--port", "net_ring0", "--rx-queues", n]);
        assert!(err.contains("--rx-queues"), "{err}");
    }
}

const CHECK_PCAP: &str = r#"
import json, sys
from scapy.all import rdpcap, raw, Ether, Dot1Q, IP, UDP
from scapy.layers.vxlan import VXLAN

def ip_ok(ip):
    c = ip.chksum
    ip2 = IP(raw(ip)); del ip2.chksum
    return IP(raw(ip2)).chksum == c

def udp_ok(ip):
    u = ip[UDP]
    if u.chksum == 0:
        return False
    ip2 = IP(raw(ip)); c = ip2[UDP].chksum; del ip2[UDP].chksum
    return IP(raw(ip2))[UDP].chksum == c

errors, per = [], {}
for i, p in enumerate(rdpcap(sys.argv[1])):
    size = len(p) + 4
    inner = p
    if VXLAN in p:
        outer = p[IP]
        if not ip_ok(outer): errors.append(f"{i}: outer IPv4 checksum")
        if p[UDP].chksum != 0: errors.append(f"{i}: outer UDP checksum not 0")
        if (p[VXLAN].vni, outer.src, outer.dst, p[UDP].dport) != (4242, "192.168.1.1", "192.168.1.2", 4789):
            errors.append(f"{i}: outer header {p[VXLAN].vni} {outer.src} {outer.dst}")
        inner = p[VXLAN].payload
    ip = inner[IP]
    if not ip_ok(ip): errors.append(f"{i}: IPv4 checksum")
    if not udp_ok(ip): errors.append(f"{i}: UDP checksum")
    pl = bytes(ip[UDP].payload)
    magic, sid, seq = int.from_bytes(pl[0:2], "big"), int.from_bytes(pl[2:4], "big"), int.from_bytes(pl[4:8], "big")
    if magic != 0xfe27: errors.append(f"{i}: magic {magic:#x}")
    s = per.setdefault(sid, {"count": 0, "sizes": {}, "seqs": []})
    s["count"] += 1
    s["sizes"][size] = s["sizes"].get(size, 0) + 1
    s["seqs"].append(seq)
    if sid == 0:
        want_dmac = "02:00:00:00:aa:0%d" % (seq % 3)
        if (inner[Ether].dst, ip.src, ip.dst, ip[UDP].sport) != (want_dmac, "10.0.0.%d" % (1 + seq % 4), "10.1.0.1", 1000 + seq % 10):
            errors.append(f"{i}: stream 0 seq {seq}: {inner[Ether].dst} {ip.src} {ip.dst} {ip[UDP].sport}")
        if not 2000 <= ip[UDP].dport <= 2099: errors.append(f"{i}: dport {ip[UDP].dport}")
        if Dot1Q in p: errors.append(f"{i}: unexpected VLAN")
    if sid == 1:
        if Dot1Q not in p or p[Dot1Q].vlan != 100 or p[Dot1Q].prio != 5:
            errors.append(f"{i}: VLAN 100 prio 5 missing")
    if sid == 2:
        if not ip.dst.startswith("10.2.0."): errors.append(f"{i}: inner dst {ip.dst}")
for s in per.values():
    s["in_order"] = s["seqs"] == list(range(len(s["seqs"])))
    del s["seqs"]
print(json.dumps({"errors": errors[:20], "streams": per}))
"#;

/// What lands in a pcap file is exactly the configured streams: counts,
/// sizes, field ranges, VLAN and VXLAN headers, valid checksums and
/// in-order sequence numbers, as scapy reads them.
#[test]
fn pcap_tx_writes_exactly_the_streams() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("streams.toml");
    let pcap = dir.path().join("out.pcap");
    std::fs::write(
        &file,
        r#"
[[stream]]
name = "ranges"
size = 64
count = 40
src_mac = "02:00:00:00:00:01"
dst_mac = "02:00:00:00:aa:00-02:00:00:00:aa:02"
src_ip = "10.0.0.1-10.0.0.4"
dst_ip = "10.1.0.1"
src_port = "1000-1009"
dst_port = "random:2000-2099"

[[stream]]
name = "imix-vlan"
size = "imix:7x128,4x576,1x1518"
count = 24
vlan = 100
vlan_pcp = 5

[[stream]]
name = "vxlan"
size = 200
count = 10
dst_ip = "random:10.2.0.0-10.2.0.255"
vxlan = { vni = 4242, src_ip = "192.168.1.1", dst_ip = "192.168.1.2" }
"#,
    )
    .unwrap();
    let port = format!("net_pcap0,tx_pcap={}", pcap.display());
    let j = pktgen(
        "run",
        &[
            "--port",
            &port,
            "--no-rx",
            "--core",
            "1",
            "--streams",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(u(&j["summary"]["tx_packets"]), 74, "{j:#}");
    let script = dir.path().join("check.py");
    std::fs::write(&script, CHECK_PCAP).unwrap();
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&pcap)
        .output()
        .expect("python3 with scapy (scripts/setup.sh installs python3-scapy)");
    assert!(
        out.status.success(),
        "scapy check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["errors"], serde_json::json!([]), "{r:#}");
    let s = &r["streams"];
    assert_eq!(s["0"]["count"], 40, "{r:#}");
    assert_eq!(s["0"]["sizes"], serde_json::json!({"64": 40}));
    assert_eq!(s["1"]["count"], 24);
    assert_eq!(
        s["1"]["sizes"],
        serde_json::json!({"128": 14, "576": 8, "1518": 2})
    );
    assert_eq!(s["2"]["count"], 10);
    assert_eq!(s["2"]["sizes"], serde_json::json!({"200": 10}));
    for i in ["0", "1", "2"] {
        assert_eq!(s[i]["in_order"], true, "{r:#}");
    }
}

/// Bad input is refused with the stream, the key and the reason.
#[test]
fn bad_streams_are_refused_clearly() {
    let e = pktgen_fails("run", &["--port", "net_ring0", "--size", "32"]);
    assert!(
        e.contains("size") && e.contains("32") && e.contains("64"),
        "{e}"
    );
    let e = pktgen_fails("run", &["--port", "net_ring0", "--src-ip", "10.0.0.999"]);
    assert!(e.contains("src_ip") && e.contains("10.0.0.999"), "{e}");
    let e = pktgen_fails("run", &["--port", "net_bogus0", "--count", "1"]);
    assert!(e.contains("--port net_bogus0"), "{e}");
}

/// The generator as a VM: its net_virtio_user port talks to a vhost-user
/// socket, here served by a net_vhost port of the same process.
#[test]
fn virtio_user_to_vhost_pair() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vhost.sock");
    let rx = format!("net_vhost0,iface={}", sock.display());
    let tx = format!("net_virtio_user0,path={},queues=1", sock.display());
    // vhost-user shares memory with its peer: one file per hugepage
    // segment list instead of the default per-page files.
    let j = pktgen(
        "run",
        &[
            "--rx-port",
            &rx,
            "--port",
            &tx,
            "--core",
            "1",
            "--count",
            "20000",
            "--size",
            "1518",
            "--eal=--single-file-segments",
        ],
    );
    assert_all_back(&j, 20000);
    assert_eq!(u(&stream(&j, 0)["rx_bytes"]), 20000 * 1518);
}

/// Ctrl-C (SIGINT) ends a run early with its summary, not a kill.
#[test]
fn sigint_stops_the_run_with_a_summary() {
    let _one = common::serial();
    let out = std::process::Command::new(common::PKTGEN)
        .args([
            "run",
            "--port",
            "net_ring0",
            "--core",
            "1",
            "--rate-pps",
            "10000",
            "--duration",
            "30",
            "--json",
            "--eal=--no-pci",
            "--file-prefix",
            &common::unique("pg"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run ferro-pktgen");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &out.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let done = out.wait_with_output().unwrap();
    assert!(done.status.success(), "exit {}", done.status);
    let j: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(j["interrupted"], true, "{j:#}");
    let tx = u(&j["summary"]["tx_packets"]);
    assert!(tx > 0 && tx < 300_000, "{tx} packets");
    assert_eq!(u(&j["summary"]["rx_packets"]), tx);
}

/// RFC 2544 over a lossless loopback finds the top of the search range at
/// every size, and the plots are written.
#[test]
fn rfc2544_on_a_lossless_loopback_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let plots = dir.path().join("plots");
    let j = on_ring(
        "rfc2544",
        &[
            "--line-rate-gbps",
            "10",
            "--max-pps",
            "20000",
            "--sizes",
            "64,512",
            "--trial",
            "0.3",
            "--b2b-max",
            "1000",
            "--b2b-reps",
            "1",
            "--plot-dir",
            plots.to_str().unwrap(),
        ],
    );
    let results = j["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for (r, size) in results.iter().zip([64.0, 512.0]) {
        assert_eq!(f(&r["frame_size"]), size);
        assert_eq!(f(&r["ndr"]["pps"]), 20000.0, "{r:#}");
        assert_eq!(f(&r["pdr"]["pps"]), 20000.0, "{r:#}");
        assert_eq!(u(&r["back_to_back"]["frames"]), 1000);
        assert_eq!(r["latency"].as_array().unwrap().len(), 3);
        let line = 10e9 / ((size + 20.0) * 8.0);
        assert!((f(&r["line_rate_pps"]) - line).abs() < 1e-6);
    }
    let svg = std::fs::read_to_string(plots.join("rate_vs_frame_size.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("NDR") && svg.contains("PDR"));

    let j = on_ring(
        "run",
        &["--count", "5000", "--plot-dir", plots.to_str().unwrap()],
    );
    assert_eq!(u(&j["summary"]["rx_packets"]), 5000);
    let svg = std::fs::read_to_string(plots.join("latency_histogram.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<rect"));
}
