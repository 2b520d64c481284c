//! `perf/suite.sh` in its tiny mode (SMOKE=1: the phy scenario over memif,
//! 1 s runs; ferroswitch, and OVS-DPDK when it is installed), so the suite
//! cannot silently rot: the generator gets packets back through each
//! switch, loses none at 10 kpps, and the generated section lands in a copy
//! of RESULTS.md between the markers, with the hand-written rest intact.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{f, u};
use serde_json::Value;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// ferroswitch and ferroctl, built next to our ferro-pktgen (same profile).
fn bin_dir() -> PathBuf {
    let profile: &[&str] = if cfg!(debug_assertions) {
        &[]
    } else {
        &["--release"]
    };
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "ferroswitch", "--bins"])
        .args(profile)
        .current_dir(REPO)
        .status()
        .expect("cargo build ferroswitch");
    assert!(status.success(), "building ferroswitch failed");
    let dir = Path::new(common::PKTGEN).parent().unwrap().to_path_buf();
    assert!(dir.join("ferroswitch").exists() && dir.join("ferroctl").exists());
    dir
}

fn json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: bad JSON: {e}", path.display()))
}

#[test]
fn smoke_run_writes_the_results_section() {
    let bins = bin_dir();
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("RESULTS.md");
    let original = std::fs::read_to_string(Path::new(REPO).join("perf/RESULTS.md")).unwrap();
    // Drop any generated section, to see the markers created from scratch.
    let hand_written = match (
        original.find("<!-- suite:begin -->"),
        original.find("<!-- suite:end -->"),
    ) {
        (Some(b), Some(e)) => format!(
            "{}{}",
            &original[..b],
            original[e + "<!-- suite:end -->".len()..].trim_start()
        ),
        _ => original.clone(),
    };
    std::fs::write(&md, &hand_written).unwrap();
    let out = tmp.path().join("out");

    // OVS-DPDK sends on its tx queue 1: this checks that the generator's
    // memif client polls it (--rx-queues 2).
    let with_ovs = Path::new("/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk").exists();
    let switches: &[&str] = if with_ovs {
        &["ferroswitch", "ovs"]
    } else {
        &["ferroswitch"]
    };
    let _one = common::serial();
    let run = Command::new("bash")
        .arg(Path::new(REPO).join("perf/suite.sh"))
        .env("SMOKE", "1")
        .env("SWITCHES", switches.join(" "))
        .env("BIN_DIR", &bins)
        .env("OUT", &out)
        .env("RESULTS_MD", &md)
        .output()
        .expect("run perf/suite.sh");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "perf/suite.sh failed: {}\n{stderr}",
        run.status
    );

    for sw in switches {
        // Packets went through the switch at the maximum rate ...
        let max = json(&out.join(format!("phy/{sw}/max-1.json")));
        assert!(u(&max["summary"]["rx_packets"]) > 1000, "{sw}: {max}");
        // ... and none were lost at 10 kpps, with latency measured.
        let low = json(&out.join(format!("phy/{sw}/latency.json")));
        let s = &low["summary"];
        // (The rate itself is tested in loopback.rs; a debug build on a
        // busy shared core may fall short of it.)
        assert_eq!(f(&s["streams"][0]["asked_pps"]), 10_000.0, "{low}");
        assert!(u(&s["rx_packets"]) >= 1000, "{sw}: {low}");
        assert_eq!(u(&s["lost"]), 0, "{sw}: loss at 10 kpps: {low}");
        assert!(u(&s["latency"]["p50_ns"]) > 0, "{sw}: {low}");
    }

    // The section: markers once each, after the title, then the rest.
    let text = std::fs::read_to_string(&md).unwrap();
    assert_eq!(text.matches("<!-- suite:begin -->").count(), 1);
    assert_eq!(text.matches("<!-- suite:end -->").count(), 1);
    let b = text.find("<!-- suite:begin -->").unwrap();
    let e = text.find("<!-- suite:end -->").unwrap();
    assert!(text.starts_with("# ") && b < e);
    let section = &text[b..e];
    assert!(section.contains("SMOKE=\"1\""), "{section}");
    assert!(section.contains("### phy"), "{section}");
    let row = section
        .lines()
        .find(|l| l.starts_with("| ferroswitch |"))
        .unwrap_or_else(|| panic!("no ferroswitch row:\n{section}"));
    // | switch | offered | **forwarded** | ...
    let forwarded: f64 = row
        .split('|')
        .nth(3)
        .unwrap()
        .trim()
        .trim_matches('*')
        .parse()
        .unwrap();
    assert!(forwarded > 0.0, "{row}");
    if with_ovs {
        let summary = section
            .lines()
            .find(|l| l.starts_with("| phy:"))
            .unwrap_or_else(|| panic!("no summary row:\n{section}"));
        // | scenario | ferroswitch | OVS | testpmd | fs/OVS | fs/testpmd |
        let ratio: f64 = summary.split('|').nth(5).unwrap().trim().parse().unwrap();
        assert!(ratio > 0.0, "{summary}");
    }
    let body = hand_written.split_once('\n').unwrap().1.trim_start();
    assert!(text[e..].contains(body), "the hand-written part changed");

    // Regenerating replaces the section instead of adding one.
    let again = Command::new("python3")
        .arg(Path::new(REPO).join("perf/suite/report.py"))
        .arg(&out)
        .arg(&md)
        .output()
        .unwrap();
    assert!(again.status.success());
    let text2 = std::fs::read_to_string(&md).unwrap();
    assert_eq!(text2.matches("<!-- suite:begin -->").count(), 1);
    assert_eq!(text2.len(), text.len());
}
