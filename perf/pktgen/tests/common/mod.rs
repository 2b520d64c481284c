//! Runs the ferro-pktgen binary as a subprocess (one EAL per process) with
//! a unique DPDK file prefix, and parses its `--json` output.
#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

pub const PKTGEN: &str = env!("CARGO_BIN_EXE_ferro-pktgen");

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A short name unique to this test process and call (other engineers run
/// DPDK tests on this machine at the same time).
pub fn unique(tag: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{tag}{}{n}", std::process::id() % 100_000)
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Held while a generator runs: its worker spins on a core, and two of them
/// on one core (tests run in parallel) would halve each other's rate.
pub fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `ferro-pktgen MODE ARGS --json` with a unique file prefix and
/// returns the parsed JSON; panics with the output when it fails.
pub fn pktgen(mode: &str, args: &[&str]) -> Value {
    let _one = serial();
    let prefix = unique("pg");
    let out = Command::new(PKTGEN)
        .arg(mode)
        .args(args)
        .args(["--json", "--eal=--no-pci", "--file-prefix", &prefix])
        .output()
        .expect("run ferro-pktgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ferro-pktgen {mode} {args:?} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}

/// Runs ferro-pktgen expecting failure; returns stderr.
pub fn pktgen_fails(mode: &str, args: &[&str]) -> String {
    let _one = serial();
    let prefix = unique("pg");
    let out = Command::new(PKTGEN)
        .arg(mode)
        .args(args)
        .args(["--eal=--no-pci", "--file-prefix", &prefix])
        .output()
        .expect("run ferro-pktgen");
    assert!(!out.status.success(), "ferro-pktgen {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
