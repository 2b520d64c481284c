//! A real VM on a vhost-user port: QEMU boots Debian's kernel with the
//! small busybox initramfs of `scripts/vm-image.sh`, and the guest's own
//! virtio-net driver talks through the switch to a kernel host (a net_tap
//! port in a network namespace). Both ends ping each other.
//!
//! - `dpdkvhostuser`: the switch serves the socket; the guest also reboots
//!   and must reach the host again afterwards.
//! - `dpdkvhostuserclient`: QEMU serves the socket; the switch restarts
//!   while the VM keeps running (why OVS recommends this mode), then QEMU
//!   restarts while the switch keeps running.
//!
//! The guest boots with KVM when KVM runs it here, else with TCG (about
//! 5 s to a shell); `FS_VM_ACCEL=kvm|tcg` chooses. The image is built (or
//! found in its cache) by `scripts/vm-image.sh` on first use.
mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::netns::Netns;
use common::vm::{SocketServer, Vm};
use common::{unique, Switch};
use serde_json::Value;

const HOST_IP: &str = "10.0.0.1";
const GUEST_IP: &str = "10.0.0.2";
const GUEST_MAC: &str = "52:54:00:f5:00:02";
/// The tap's MAC, set by the test so that it stays the same when the
/// switch restarts (and recreates the tap): the guest's ARP entry stays
/// right, as it would for a real host behind the switch.
const HOST_MAC: &str = "02:f5:00:00:00:01";

/// One VM at a time: two TCG guests and two switches' PMDs at once are
/// too much for a 2-core machine (`--test-threads=2` runs both tests).
static ONE_VM_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_vm_at_a_time() -> MutexGuard<'static, ()> {
    ONE_VM_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Booting, even under TCG with the other tests running, takes seconds.
const BOOT_LIMIT: Duration = Duration::from_secs(90);

/// A switch with a tap port `tap` (1) and the vhost-user port `vm` (2)
/// forwarding to each other; the tap is moved into a namespace as
/// 10.0.0.1. Returns the switch, the namespace and the tap's name.
fn switch_with_vm_port(vm_keys: &str) -> (Switch, Netns, String) {
    let tap = unique("fmt");
    let sw = Switch::start(&format!(
        r#"
[[bridge]]
name = "br0"

[[bridge.port]]
name = "tap"
ofport = 1
devargs = "net_tap_{tap},iface={tap}"
output = "vm"

[[bridge.port]]
name = "vm"
ofport = 2
{vm_keys}
output = "tap"
"#
    ));
    let ns = Netns::new(&unique("nvm"));
    adopt_tap(&ns, &tap);
    (sw, ns, tap)
}

fn adopt_tap(ns: &Netns, tap: &str) {
    ns.adopt(tap, &format!("{HOST_IP}/24"));
    let (ok, out) = ns.exec(&["ip", "link", "set", "dev", tap, "address", HOST_MAC]);
    assert!(ok, "set the tap's MAC: {out}");
}

fn vm_port(sw: &Switch) -> Value {
    let show = sw.ctl(&["show"]);
    show["bridges"][0]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == "vm")
        .cloned()
        .unwrap_or_else(|| panic!("no port vm in {show}"))
}

/// `ferroctl show` and `port-stats` for a failure message (which must not
/// panic itself if the switch does not answer).
fn stats_text(sw: &Switch) -> String {
    ["show", "port-stats"]
        .iter()
        .map(|cmd| {
            let out = sw.ctl_text(&[cmd]);
            format!(
                "ferroctl {cmd}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .collect()
}

fn wait_link_up(sw: &Switch, vm: &Vm) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while vm_port(sw)["link_up"] != true {
        assert!(
            Instant::now() < deadline,
            "vm port link not up in 30 s: {}\nconsole:\n{}",
            stats_text(sw),
            vm.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits for the guest's first ping to the host (sent right after boot)
/// and checks it got through.
fn guest_pinged_host(sw: &Switch, vm: &mut Vm) {
    let line = vm.wait_for("FS-GUEST-PING-", Duration::from_secs(60));
    assert!(
        line.contains("FS-GUEST-PING-OK"),
        "the guest's ping to {HOST_IP} through the switch failed: {line}\n{}\nconsole:\n{}",
        stats_text(sw),
        vm.log()
    );
}

/// The host pings the guest (3 of 3 answered, after up to `settle` of
/// retries while the path comes back), and its ARP entry for the guest
/// holds the guest NIC's MAC: the answer came from the VM.
fn host_pings_guest(sw: &Switch, ns: &Netns, vm: &Vm, settle: Duration) {
    let deadline = Instant::now() + settle;
    while ns.ping(GUEST_IP, 1) == 0 {
        assert!(
            Instant::now() < deadline,
            "the host cannot ping the guest {GUEST_IP}:\n{}\nconsole:\n{}",
            stats_text(sw),
            vm.log()
        );
    }
    let answered = ns.ping(GUEST_IP, 3);
    assert_eq!(
        answered,
        3,
        "host -> guest pings all answered:\n{}\nconsole:\n{}",
        stats_text(sw),
        vm.log()
    );
    let (_, neigh) = ns.exec(&["ip", "neigh", "show", GUEST_IP]);
    assert!(
        neigh.contains(GUEST_MAC),
        "the host learned the guest's MAC {GUEST_MAC}: {neigh}"
    );
}

/// The guest pings the host on command.
fn guest_pings_host(vm: &mut Vm) {
    let rc = vm.run(
        &format!("ping -c 3 -W 2 {HOST_IP} >/dev/null"),
        Duration::from_secs(30),
    );
    assert_eq!(rc, 0, "guest -> host ping; console:\n{}", vm.log());
}

/// Bytes sent each way over TCP by `tcp_both_ways`.
const TCP_BYTES: usize = 1_000_000;

/// Python run by the host inside its namespace: sends `TCP_BYTES` to the
/// guest's port 5001 (retrying the connect while the guest's nc starts).
const HOST_TCP_SEND: &str = r#"
import socket, sys, time
deadline = time.time() + 15
while True:
    try:
        s = socket.create_connection((sys.argv[1], 5001), timeout=5)
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
s.settimeout(30)
s.sendall(b"x" * int(sys.argv[2]))
s.close()
"#;

/// Python run by the host: receives on port 5002 until EOF; prints
/// "listening", then the byte count.
const HOST_TCP_RECEIVE: &str = r#"
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5002))
l.listen(1)
l.settimeout(30)
print("listening", flush=True)
c, _ = l.accept()
c.settimeout(30)
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
print(n, flush=True)
"#;

/// A megabyte of TCP each way between the guest (busybox nc) and the host:
/// full-sized segments with the offload flags the guest's virtio-net
/// driver negotiated, through the switch.
fn tcp_both_ways(vm: &mut Vm, ns: &Netns) {
    // Host -> guest.
    assert_eq!(
        vm.run("nc -l -p 5001 >/tmp/rx &", Duration::from_secs(10)),
        0
    );
    let (ok, out) = ns.exec(&[
        "python3",
        "-c",
        HOST_TCP_SEND,
        GUEST_IP,
        &TCP_BYTES.to_string(),
    ]);
    assert!(ok, "host -> guest TCP send: {out}\nconsole:\n{}", vm.log());
    let rc = vm.run(
        &format!(
            "i=0; while [ $(wc -c </tmp/rx) -lt {TCP_BYTES} ] && [ $i -lt 100 ]; do \
             sleep 0.1; i=$((i + 1)); done; wc -c </tmp/rx; [ $(wc -c </tmp/rx) -eq {TCP_BYTES} ]"
        ),
        Duration::from_secs(30),
    );
    assert_eq!(
        rc,
        0,
        "the guest received {TCP_BYTES} bytes; console:\n{}",
        vm.log()
    );

    // Guest -> host.
    let mut receiver = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "python3",
            "-c",
            HOST_TCP_RECEIVE,
            HOST_IP,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 in the namespace");
    let mut lines = BufReader::new(receiver.stdout.take().expect("stdout")).lines();
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("listening"),
        "host TCP receiver started"
    );
    let rc = vm.run(
        &format!(
            "dd if=/dev/zero bs=1000 count={} 2>/dev/null | nc {HOST_IP} 5002",
            TCP_BYTES / 1000
        ),
        Duration::from_secs(60),
    );
    let got = lines.next().and_then(Result::ok);
    let _ = receiver.wait();
    assert_eq!(rc, 0, "guest -> host nc; console:\n{}", vm.log());
    assert_eq!(
        got.as_deref(),
        Some(TCP_BYTES.to_string().as_str()),
        "the host received {TCP_BYTES} bytes from the guest"
    );
}

fn counter(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"))
}

/// Traffic crossed the vm port both ways since `before`.
fn vm_port_forwarded(sw: &Switch, before: &Value) {
    let now = sw.port_stats("vm");
    for k in ["rx_packets", "tx_packets"] {
        assert!(
            counter(&now, k) > counter(before, k),
            "vm port {k} grew: before {before}, now {now}"
        );
    }
}

fn boot(sock: &Path, server: SocketServer) -> Vm {
    let mut vm = Vm::boot(sock, server, GUEST_MAC, &format!("{GUEST_IP}/24"), HOST_IP);
    let mac = vm.wait_ready(BOOT_LIMIT);
    assert_eq!(mac, GUEST_MAC, "the guest's eth0 is the vhost-user NIC");
    vm
}

#[test]
fn vm_on_server_mode_port_pings_and_survives_a_reboot() {
    let _one = one_vm_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vm.sock");
    let (sw, ns, _tap) = switch_with_vm_port(&format!(
        "type = \"dpdkvhostuser\"\npath = \"{}\"",
        sock.display()
    ));
    assert_eq!(vm_port(&sw)["link_up"], false, "no guest yet");
    let before = sw.port_stats("vm");

    let mut vm = boot(&sock, SocketServer::Switch);
    wait_link_up(&sw, &vm);
    guest_pinged_host(&sw, &mut vm);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    guest_pings_host(&mut vm);
    tcp_both_ways(&mut vm, &ns);
    vm_port_forwarded(&sw, &before);

    // The guest reboots: its driver resets the device and sets it up
    // again, on the same vhost-user connection.
    let before = sw.port_stats("vm");
    vm.send("reboot -f");
    let mac = vm.wait_ready(BOOT_LIMIT);
    assert_eq!(mac, GUEST_MAC);
    guest_pinged_host(&sw, &mut vm);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    vm_port_forwarded(&sw, &before);
}

#[test]
fn vm_on_client_mode_port_survives_switch_and_qemu_restarts() {
    let _one = one_vm_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vm.sock");
    let (mut sw, ns, tap) = switch_with_vm_port(&format!(
        "type = \"dpdkvhostuserclient\"\npath = \"{}\"",
        sock.display()
    ));

    let mut vm = boot(&sock, SocketServer::Qemu);
    wait_link_up(&sw, &vm);
    guest_pinged_host(&sw, &mut vm);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    guest_pings_host(&mut vm);

    // The switch restarts; the VM keeps running and keeps its socket.
    // The switch's tap goes away with it and comes back (a new kernel
    // interface), so it is moved into the namespace again.
    let started = Instant::now();
    sw.restart();
    adopt_tap(&ns, &tap);
    wait_link_up(&sw, &vm);
    let before = sw.port_stats("vm");
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(20));
    guest_pings_host(&mut vm);
    vm_port_forwarded(&sw, &before);
    eprintln!(
        "switch restart: the VM answered again {:.1} s after the stop",
        started.elapsed().as_secs_f64()
    );

    // QEMU restarts (a new VM on the same socket); the switch reconnects.
    vm.kill();
    let _ = std::fs::remove_file(&sock);
    let before = sw.port_stats("vm");
    let mut vm = boot(&sock, SocketServer::Qemu);
    wait_link_up(&sw, &vm);
    guest_pinged_host(&sw, &mut vm);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    vm_port_forwarded(&sw, &before);
}
