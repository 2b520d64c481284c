//! End-to-end harness: runs `ferroswitch` as a subprocess (one EAL per
//! process) with a unique run directory and DPDK file prefix, talks to it
//! through `ferroctl --json`, and builds network namespaces as endpoints.
#![allow(dead_code)]

pub mod guest;
pub mod netns;
pub mod openflow;
pub mod pcap;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const FERROSWITCH: &str = env!("CARGO_BIN_EXE_ferroswitch");
pub const FERROCTL: &str = env!("CARGO_BIN_EXE_ferroctl");

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A short name unique to this test process and call, e.g. for interfaces
/// (at most 15 characters) and DPDK file prefixes.
pub fn unique(tag: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{tag}{}{n}", std::process::id() % 100_000)
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A TCP port on 127.0.0.1 that nothing listens on or uses now, for a
/// listener or controller under test. Taken below the kernel's ephemeral
/// range (32768 and up), so no outgoing connection can grab it before the
/// listener binds; each call in a process gets a different one, and
/// processes start at different points.
pub fn free_port() -> u16 {
    const BASE: u16 = 20000;
    const SPAN: u16 = 12000;
    let start = (std::process::id() % 600) as u16 * 20;
    loop {
        let n = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        let port = BASE + ((u32::from(start) + u32::from(n)) % u32::from(SPAN)) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running switch under test.
pub struct Switch {
    pub dir: tempfile::TempDir,
    pub prefix: String,
    child: Option<Child>,
    /// Threads draining the daemon's stdout and stderr as it writes them
    /// (a full pipe would block its logging threads), with what they read.
    output: Option<(JoinHandle<String>, JoinHandle<String>)>,
}

/// Reads `r` to its end on a thread; the thread returns the text.
fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

impl Switch {
    /// Writes `config` (TOML without a [switch] table; one is added with
    /// a PMD on core 1) and starts the daemon; waits until it is ready.
    pub fn start(config: &str) -> Switch {
        Self::start_with_switch("pmd_cores = [1]\n", config)
    }

    /// Bridge br0 with `flows` (ovs-ofctl syntax), input port 1 ("in") from
    /// `in_devargs`, and outputs 2 ("o2") and 3 ("o3") written to the pcap
    /// files `o2` and `o3`.
    pub fn with_pcap_outputs(
        flows: &[String],
        in_devargs: &str,
        o2: &std::path::Path,
        o3: &std::path::Path,
    ) -> Switch {
        let flows_toml: Vec<String> = flows.iter().map(|f| format!("{f:?}")).collect();
        Switch::start(&format!(
            r#"
[[bridge]]
name = "br0"
flows = [{}]
[[bridge.port]]
name = "in"
ofport = 1
devargs = "{in_devargs}"
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
            o2.display(),
            unique("net_pcap"),
            o3.display()
        ))
    }

    pub fn start_with_switch(switch_keys: &str, config: &str) -> Switch {
        let dir = tempfile::tempdir().expect("tempdir");
        let prefix = unique("fst");
        let text = format!("[switch]\n{switch_keys}\n{config}");
        let cfg = dir.path().join("ferroswitch.toml");
        std::fs::write(&cfg, text).expect("write config");
        let child = Command::new(FERROSWITCH)
            .arg("--config")
            .arg(&cfg)
            .arg("--run-dir")
            .arg(dir.path().join("run"))
            .arg("--file-prefix")
            .arg(&prefix)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferroswitch");
        let mut child = child;
        let output = match (child.stdout.take(), child.stderr.take()) {
            (Some(o), Some(e)) => Some((drain(o), drain(e))),
            _ => None,
        };
        let mut s = Switch {
            dir,
            prefix,
            child: Some(child),
            output,
        };
        s.wait_ready();
        s
    }

    pub fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn wait_ready(&mut self) {
        let sock = self.run_dir().join("ferroswitch.ctl");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if sock.exists() && self.try_ctl(&["show"]).is_ok() {
                return;
            }
            if let Some(st) = self.child.as_mut().unwrap().try_wait().expect("try_wait") {
                let (out, err) = self.take_output();
                panic!("ferroswitch exited during start-up ({st}):\n{out}\n{err}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
        let (out, err) = self.take_output();
        panic!("ferroswitch not ready after 60 s:\n{out}\n{err}");
    }

    fn try_ctl(&self, args: &[&str]) -> Result<Value, String> {
        let out = Command::new(FERROCTL)
            .arg("--run-dir")
            .arg(self.run_dir())
            .arg("--json")
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    }

    /// `ferroctl --json ARGS`, parsed.
    pub fn ctl(&self, args: &[&str]) -> Value {
        self.try_ctl(args)
            .unwrap_or_else(|e| panic!("ferroctl {args:?} failed: {e}"))
    }

    /// `ferroctl ARGS` (human output) with its exit status.
    pub fn ctl_text(&self, args: &[&str]) -> Output {
        Command::new(FERROCTL)
            .arg("--run-dir")
            .arg(self.run_dir())
            .args(args)
            .output()
            .expect("run ferroctl")
    }

    /// The port-stats entry of port `name`.
    pub fn port_stats(&self, name: &str) -> Value {
        let v = self.ctl(&["port-stats"]);
        v["ports"]
            .as_array()
            .expect("ports array")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no port {name} in {v}"))
    }

    /// Polls until `cond` holds on port-stats of `name`, or panics.
    pub fn wait_port_stats(&self, name: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.port_stats(name);
            if cond(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("port {name}: {what} not reached in 30 s; last stats {s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends `sig` and waits for exit (at most 30 s). Returns the status
    /// and the daemon's stderr.
    pub fn stop_with(&mut self, sig: nix::sys::signal::Signal) -> (ExitStatus, String) {
        let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
        nix::sys::signal::kill(pid, sig).expect("signal ferroswitch");
        let status = wait_timeout(self.child.as_mut().unwrap(), Duration::from_secs(30))
            .unwrap_or_else(|| {
                self.kill();
                panic!("ferroswitch did not exit within 30 s of {sig}");
            });
        let (_, err) = self.take_output();
        self.child = None;
        (status, err)
    }

    pub fn stop(&mut self) -> (ExitStatus, String) {
        self.stop_with(nix::sys::signal::Signal::SIGTERM)
    }

    fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The daemon's stdout and stderr (once it has exited: the drain
    /// threads end when the pipes close).
    fn take_output(&mut self) -> (String, String) {
        match self.output.take() {
            Some((o, e)) => (o.join().unwrap_or_default(), e.join().unwrap_or_default()),
            None => (String::new(), String::new()),
        }
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        if self.child.is_some() {
            let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            if wait_timeout(self.child.as_mut().unwrap(), Duration::from_secs(20)).is_none() {
                self.kill();
            }
        }
        // A failing test shows what the switch logged (cargo test prints
        // a failing test's stderr).
        if std::thread::panicking() {
            let (out, err) = self.take_output();
            eprintln!("--- ferroswitch stdout ---\n{out}\n--- ferroswitch stderr ---\n{err}");
        }
    }
}

pub fn wait_timeout(child: &mut Child, t: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + t;
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return Some(st);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs ferroswitch to completion (for start-up failures) with a bound on
/// time; returns (status, stdout+stderr).
pub fn run_ferroswitch(args: &[&std::ffi::OsStr], limit: Duration) -> (ExitStatus, String) {
    let mut child = Command::new(FERROSWITCH)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferroswitch");
    let status = match wait_timeout(&mut child, limit) {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ferroswitch hung: still running after {limit:?}");
        }
    };
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    (status, text)
}

/// Files in /dev/hugepages (DPDK's backing files, if any were left).
pub fn hugepage_files() -> Vec<String> {
    std::fs::read_dir("/dev/hugepages")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a command; panics with its output if it fails.
pub fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A switch with one bridge `br0` whose ports `a` (ofport 1) and `b`
/// (ofport 2) are net_tap interfaces; returns their kernel names.
/// `bridge_keys` are extra `[[bridge]]` lines (listen, flows, ...);
/// with `forward`, a and b forward to each other.
pub fn two_taps(bridge_keys: &str, forward: bool) -> (Switch, String, String) {
    let (ta, tb) = (unique("fsa"), unique("fsb"));
    let (oa, ob) = if forward {
        ("output = \"b\"", "output = \"a\"")
    } else {
        ("", "")
    };
    let sw = Switch::start(&format!(
        r#"
[[bridge]]
name = "br0"
{bridge_keys}
[[bridge.port]]
name = "a"
ofport = 1
devargs = "net_tap_{ta},iface={ta}"
{oa}
[[bridge.port]]
name = "b"
ofport = 2
devargs = "net_tap_{tb},iface={tb}"
{ob}
"#
    ));
    (sw, ta, tb)
}

/// Real VMs (QEMU) attached to vhost-user ports.
pub mod vm;

impl Switch {
    /// Stops the daemon (SIGTERM) and starts it again with the same
    /// configuration file, run directory and file prefix, as an operator
    /// restarting the switch; waits until it is ready. Returns the first
    /// run's stderr.
    pub fn restart(&mut self) -> String {
        let (status, err) = self.stop();
        assert!(
            status.success(),
            "ferroswitch stopped with {status}:\n{err}"
        );
        let mut child = Command::new(FERROSWITCH)
            .arg("--config")
            .arg(self.path("ferroswitch.toml"))
            .arg("--run-dir")
            .arg(self.run_dir())
            .arg("--file-prefix")
            .arg(&self.prefix)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferroswitch again");
        self.output = match (child.stdout.take(), child.stderr.take()) {
            (Some(o), Some(e)) => Some((drain(o), drain(e))),
            _ => None,
        };
        self.child = Some(child);
        self.wait_ready();
        err
    }
}
