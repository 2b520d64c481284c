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
//! - A NIC with two queue pairs and a switch with two PMDs: a 1-CPU guest
//!   enables one pair, and the PMD whose own tx queue it never reads hands
//!   its packets to the other (also after a reboot); a 2-CPU guest sends
//!   on both queues.
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
use common::vm::{Shape, SocketServer, Vm};
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
    switch_with("pmd_cores = [1]\n", vm_keys, "", &["tap", "vm"])
}

/// Like [`switch_with_vm_port`], with the `[switch]` keys `switch_keys`,
/// more keys `tap_keys` for the tap, and the ports in the order `order`
/// (which decides the PMDs' rx queues, `fastpath/src/pmd/assign.rs`).
/// "null" in `order` adds a `net_null` port that receives nothing
/// (ofport 3), which takes a PMD's turn in the assignment.
fn switch_with(
    switch_keys: &str,
    vm_keys: &str,
    tap_keys: &str,
    order: &[&str],
) -> (Switch, Netns, String) {
    let tap = unique("fmt");
    let null = unique("fmn");
    let port = |name: &str| match name {
        "tap" => format!(
            "[[bridge.port]]\nname = \"tap\"\nofport = 1\n\
             devargs = \"net_tap_{tap},iface={tap}\"\n{tap_keys}\noutput = \"vm\"\n"
        ),
        "vm" => {
            format!("[[bridge.port]]\nname = \"vm\"\nofport = 2\n{vm_keys}\noutput = \"tap\"\n")
        }
        "null" => format!(
            "[[bridge.port]]\nname = \"null\"\nofport = 3\ndevargs = \"net_null_{null},no-rx=1\"\n"
        ),
        other => panic!("no port kind {other}"),
    };
    let ports: String = order.iter().map(|name| port(name)).collect();
    let sw =
        Switch::start_with_switch(switch_keys, &format!("[[bridge]]\nname = \"br0\"\n{ports}"));
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
    boot_as(sock, server, Shape::default())
}

/// Boots the guest with `shape` and waits until its eth0 is up.
fn boot_as(sock: &Path, server: SocketServer, shape: Shape) -> Vm {
    let mut vm = Vm::boot_with(
        sock,
        server,
        GUEST_MAC,
        &format!("{GUEST_IP}/24"),
        HOST_IP,
        shape,
    );
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

/// Two PMDs taking turns on core 1 (`pmd_core_sharing`, a testing
/// setting): the smallest switch with more PMDs than a 1-CPU guest enables
/// queue pairs.
const TWO_PMDS: &str = "pmd_cores = [1, 1]\npmd_core_sharing = true\n";

/// net_tap wants as many rx queues as tx queues (one per PMD).
const TAP_QUEUES: &str = "rx_queues = 2";

/// The PMD (index in `show`'s `pmds`) that polls rx queue `rxq`
/// ("port:queue").
fn polled_by(show: &Value, rxq: &str) -> Option<usize> {
    show["pmds"].as_array()?.iter().position(|p| {
        p["rx_queues"].as_array().is_some_and(|qs| {
            qs.iter()
                .any(|q| format!("{}:{}", q["port"].as_str().unwrap_or(""), q["queue"]) == rxq)
        })
    })
}

/// `show`'s tx hand-offs of PMD `k`: (port, PMD that sends for it).
fn handoffs(show: &Value, k: usize) -> Vec<(String, u64)> {
    show["pmds"][k]["tx_handoffs"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h["port"].as_str().unwrap_or("").to_string(),
                        h["to_pmd"].as_u64().unwrap_or(u64::MAX),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the switch has seen the guest enable exactly the tx queues
/// `enabled` of the vm port (it follows the driver's queue events every
/// 100 ms) and routes the two PMDs' packets for it as `routes` says (per
/// PMD: None, it sends on its own tx queue; Some(j), it hands them to PMD
/// j).
fn wait_tx_routes(sw: &Switch, vm: &Vm, enabled: &[u64], routes: [Option<u64>; 2]) {
    let want: Vec<Vec<(String, u64)>> = routes
        .iter()
        .map(|r| r.map(|j| ("vm".to_string(), j)).into_iter().collect())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let show = sw.ctl(&["show"]);
        let got: Vec<u64> = show["bridges"][0]["ports"]
            .as_array()
            .and_then(|ports| ports.iter().find(|p| p["name"] == "vm"))
            .and_then(|p| p["tx_queues_enabled"].as_array())
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let got_routes: Vec<_> = (0..2).map(|k| handoffs(&show, k)).collect();
        if got == enabled && got_routes == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "want the guest's tx queues {enabled:?} and hand-offs {want:?}, have {got:?} and \
             {got_routes:?}:\n{}\nconsole:\n{}",
            stats_text(sw),
            vm.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The guest's driver uses `n` queue pairs: eth0 has tx/rx queues 0..n in
/// sysfs and no more (the driver sets the real queue count to the pairs it
/// enabled).
fn guest_uses_queue_pairs(vm: &mut Vm, n: u32) {
    let q = "/sys/class/net/eth0/queues";
    let cmd = format!(
        "[ -d {q}/tx-{last} ] && [ -d {q}/rx-{last} ] && [ ! -e {q}/tx-{n} ] && [ ! -e {q}/rx-{n} ]",
        last = n - 1
    );
    let rc = vm.run(&cmd, Duration::from_secs(10));
    assert_eq!(
        rc,
        0,
        "the guest uses {n} queue pair(s) ({cmd}); console:\n{}",
        vm.log()
    );
}

/// Two PMDs on core 1, a `dpdkvhostuser` port "vm" with two queue pairs
/// at `sock`, and the tap (two queues), in the port order `order`.
fn two_queue_switch(sock: &Path, order: &[&str]) -> (Switch, Netns, String) {
    switch_with(
        TWO_PMDS,
        &format!(
            "type = \"dpdkvhostuser\"\npath = \"{}\"\nqueues = 2",
            sock.display()
        ),
        TAP_QUEUES,
        order,
    )
}

/// A multi-queue NIC on a 1-CPU guest: Linux's driver enables one of its
/// two queue pairs (as many as CPUs are online), so it never reads the
/// switch's tx queue 1, PMD 1's own. The vm port comes first, so PMD 0
/// polls vm:0 and vm:1 and PMD 1 the tap's two queues: everything the
/// host sends the guest is received by PMD 1, which must hand it to PMD 0
/// to send on tx queue 0. Without the hand-off no ping from the host (and
/// no ping reply) reaches the guest.
#[test]
fn vm_with_two_queue_pairs_and_one_cpu_gets_the_other_pmds_packets() {
    let _one = one_vm_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vm.sock");
    let (sw, ns, _tap) = two_queue_switch(&sock, &["vm", "tap"]);
    let show = sw.ctl(&["show"]);
    assert_eq!(polled_by(&show, "vm:0"), Some(0), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "vm:1"), Some(0), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "tap:0"), Some(1), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "tap:1"), Some(1), "{}", show["pmds"]);
    let port = vm_port(&sw);
    assert_eq!(port["rx_queues"], 2, "{port}");
    assert_eq!(port["tx_queues"], 2, "one tx queue per PMD: {port}");
    assert_eq!(port["tx_queues_enabled"], serde_json::json!([]), "{port}");

    let shape = Shape {
        cpus: 1,
        queue_pairs: 2,
    };
    let before = sw.port_stats("vm");
    let mut vm = boot_as(&sock, SocketServer::Switch, shape);
    wait_link_up(&sw, &vm);
    guest_pinged_host(&sw, &mut vm);
    // The tap's PMD (1) hands its packets for the guest to PMD 0.
    wait_tx_routes(&sw, &vm, &[0], [None, Some(0)]);
    // What the switch sent before it saw the guest's queue (host IPv6
    // chatter, the first ARP answers) may have gone to the disabled queue
    // 1 and been dropped; from now on nothing may be.
    let settled = sw.port_stats("vm");
    guest_uses_queue_pairs(&mut vm, 1);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    guest_pings_host(&mut vm);
    let now = sw.port_stats("vm");
    assert_eq!(
        counter(&now, "tx_dropped"),
        counter(&settled, "tx_dropped"),
        "nothing to the guest dropped once the switch followed its queues: {settled} -> {now}"
    );
    // TCP may lose a few segments (a TCG guest's ring runs full, as with
    // one PMD) and must get everything through all the same.
    tcp_both_ways(&mut vm, &ns);
    vm_port_forwarded(&sw, &before);

    // The guest reboots: its driver resets the device and enables its
    // queue pair again; the switch must follow.
    let before = sw.port_stats("vm");
    vm.send("reboot -f");
    let mac = vm.wait_ready(BOOT_LIMIT);
    assert_eq!(mac, GUEST_MAC);
    guest_pinged_host(&sw, &mut vm);
    wait_tx_routes(&sw, &vm, &[0], [None, Some(0)]);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));
    guest_pings_host(&mut vm);
    vm_port_forwarded(&sw, &before);
}

/// `pmd-stats`' received-packet count of each PMD.
fn pmd_packets(sw: &Switch) -> Vec<u64> {
    let stats = sw.ctl(&["pmd-stats"]);
    stats["pmds"]
        .as_array()
        .unwrap_or_else(|| panic!("pmds in {stats}"))
        .iter()
        .map(|p| counter(p, "packets"))
        .collect()
}

/// A 2-CPU guest enables both queue pairs, and sends on both: the driver
/// maps tx queue i to CPU i (XPS), so a ping pinned to each CPU leaves on
/// its own queue. With a silent null port between the vm port and the
/// tap, PMD 0 polls vm:0 and the tap's queues, and PMD 1 polls the null
/// port and vm:1: PMD 1's packets are the guest's on queue 1, and PMD 0's
/// beyond the tap's are the guest's on queue 0.
#[test]
fn vm_with_two_cpus_sends_on_both_queue_pairs() {
    let _one = one_vm_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vm.sock");
    let (sw, ns, _tap) = two_queue_switch(&sock, &["vm", "null", "tap"]);
    let show = sw.ctl(&["show"]);
    assert_eq!(polled_by(&show, "vm:0"), Some(0), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "tap:0"), Some(0), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "tap:1"), Some(0), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "null:0"), Some(1), "{}", show["pmds"]);
    assert_eq!(polled_by(&show, "vm:1"), Some(1), "{}", show["pmds"]);

    let mut vm = boot_as(
        &sock,
        SocketServer::Switch,
        Shape {
            cpus: 2,
            queue_pairs: 2,
        },
    );
    wait_link_up(&sw, &vm);
    guest_pinged_host(&sw, &mut vm);
    // Both queues enabled: every PMD sends on its own.
    wait_tx_routes(&sw, &vm, &[0, 1], [None, None]);
    guest_uses_queue_pairs(&mut vm, 2);
    host_pings_guest(&sw, &ns, &vm, Duration::from_secs(10));

    let pmds0 = pmd_packets(&sw);
    let tap0 = counter(&sw.port_stats("tap"), "rx_packets");
    const PINGS: u64 = 5;
    let rc = vm.run(
        &format!(
            "taskset 1 ping -c {PINGS} -W 2 {HOST_IP} >/tmp/p0 & \
             taskset 2 ping -c {PINGS} -W 2 {HOST_IP} >/tmp/p1; r1=$?; wait $!; r0=$?; \
             [ $r0 -eq 0 ] && [ $r1 -eq 0 ]"
        ),
        Duration::from_secs(30),
    );
    assert_eq!(rc, 0, "pings from both guest CPUs; console:\n{}", vm.log());
    let pmds1 = pmd_packets(&sw);
    let tap1 = counter(&sw.port_stats("tap"), "rx_packets");
    let queue0 = (pmds1[0] - pmds0[0]).saturating_sub(tap1 - tap0);
    let queue1 = pmds1[1] - pmds0[1];
    eprintln!("the switch received {queue0} packets on vm:0 and {queue1} on vm:1");
    assert!(
        queue0 >= PINGS && queue1 >= PINGS,
        "the guest's pings arrive on both rx queues: vm:0 {queue0}, vm:1 {queue1} \
         (pmd packets {pmds0:?} -> {pmds1:?}, tap rx {tap0} -> {tap1})\n{}",
        stats_text(&sw)
    );
    guest_pings_host(&mut vm);
}
