//! Start-up failures, single-instance protection and clean shutdown.
mod common;

use std::ffi::OsStr;
use std::time::Duration;

use common::{hugepage_files, run_ferroswitch, unique, Switch};

const NULL_BRIDGE: &str =
    "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"DEV,no-rx=1\"\n";

fn null_bridge() -> String {
    NULL_BRIDGE.replace("DEV", &unique("net_null"))
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let before = hugepage_files();
    let (st, out) = run_ferroswitch(
        &[
            OsStr::new("--config"),
            OsStr::new("/nonexistent/ferro.toml"),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(st.code(), Some(2), "{out}");
    assert!(out.contains("/nonexistent/ferro.toml"), "{out}");
    assert!(out.to_lowercase().contains("no such file"), "{out}");
    assert_eq!(hugepage_files(), before);
}

#[test]
fn bad_config_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[switch]\npmd_cores = [1]\n[[bridge]]\nname = \"br0\"\nportz = 1\n",
    )
    .unwrap();
    let (st, out) = run_ferroswitch(
        &[OsStr::new("--config"), cfg.as_os_str()],
        Duration::from_secs(30),
    );
    assert_eq!(st.code(), Some(2), "{out}");
    assert!(out.contains("bad.toml"), "{out}");
    assert!(out.contains("portz"), "{out}");
    assert!(!dir.path().join("run").exists());
}

#[test]
fn devargs_dpdk_rejects_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let run = dir.path().join("run");
    let dev = unique("net_null");
    // net_null knows no "bogus" argument, so DPDK refuses to probe it.
    std::fs::write(
        &cfg,
        format!(
            "[switch]\npmd_cores = [1]\n[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"good\"\ndevargs = \"{}\"\n[[bridge.port]]\nname = \"broken\"\ndevargs = \"{dev},bogus=1\"\n",
            unique("net_null")
        ),
    )
    .unwrap();
    let before = hugepage_files();
    let prefix = unique("fst");
    let (st, out) = run_ferroswitch(
        &[
            OsStr::new("--config"),
            cfg.as_os_str(),
            OsStr::new("--run-dir"),
            run.as_os_str(),
            OsStr::new("--file-prefix"),
            OsStr::new(&prefix),
        ],
        Duration::from_secs(60),
    );
    assert!(!st.success(), "{out}");
    assert!(out.contains("port \"broken\""), "names the port: {out}");
    assert!(
        out.contains(&format!("{dev},bogus=1")),
        "names the devargs: {out}"
    );
    assert_eq!(hugepage_files(), before, "no hugepage files left behind");
    assert!(!run.join("ferroswitch.pid").exists(), "pid file removed");
    assert!(!run.join("ferroswitch.ctl").exists(), "no socket left");
    assert!(!std::path::Path::new(&format!("/var/run/dpdk/{prefix}")).exists());
}

#[test]
fn second_instance_with_same_run_dir_is_refused() {
    let sw = Switch::start(&null_bridge());
    let cfg = sw.path("ferroswitch.toml");
    let (st, out) = run_ferroswitch(
        &[
            OsStr::new("--config"),
            cfg.as_os_str(),
            OsStr::new("--run-dir"),
            sw.run_dir().as_os_str(),
            OsStr::new("--file-prefix"),
            OsStr::new(&unique("fst")),
        ],
        Duration::from_secs(30),
    );
    assert!(!st.success(), "{out}");
    assert!(out.contains("already running"), "{out}");
    assert!(
        out.contains(&sw.pid().to_string()),
        "names the running pid: {out}"
    );
    // The first one is untouched.
    let show = sw.ctl(&["show"]);
    assert_eq!(show["pid"], sw.pid());
}

#[test]
fn sigint_and_sigterm_shut_down_cleanly() {
    for sig in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        let before = hugepage_files();
        let mut sw = Switch::start(&null_bridge());
        let run = sw.run_dir();
        let (status, log) = sw.stop_with(sig);
        assert_eq!(status.code(), Some(0), "{sig}: {log}");
        assert!(log.contains("ferroswitch stopped"), "{log}");
        assert!(!run.join("ferroswitch.ctl").exists());
        assert!(!run.join("ferroswitch.pid").exists());
        assert_eq!(hugepage_files(), before);
    }
}

#[test]
fn ferroctl_without_daemon_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::FERROCTL)
        .arg("--run-dir")
        .arg(dir.path())
        .arg("show")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to ferroswitch"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}
