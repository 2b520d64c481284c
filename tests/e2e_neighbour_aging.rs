//! Ageing of the underlay's ARP-learnt neighbours against a real peer
//! (the Linux kernel's VXLAN device in a namespace, answering ARP): with
//! a short `neighbour_timeout` the entry is refreshed by unicast ARP
//! while pings cross the tunnel without a loss; when the peer stops
//! answering ARP the entry expires, and it is resolved again once the
//! peer answers.
mod common;

use std::time::{Duration, Instant};

use common::netns::Netns;
use common::{unique, Switch};
use serde_json::Value;

const TIMEOUT_S: u64 = 4;

fn neighbour(sw: &Switch, ip: &str) -> Option<Value> {
    let n = sw.ctl(&["neigh", "show"]);
    n["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ip"] == ip)
        .cloned()
}

fn pmd_drops(sw: &Switch, reason: &str) -> u64 {
    let p = sw.ctl(&["pmd-stats"]);
    p["pmds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["drops"][reason].as_u64().unwrap_or(0))
        .sum()
}

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn learnt_neighbour_is_refreshed_without_loss_and_expires_without_answers() {
    let (tu, tb) = (unique("fsu"), unique("fsb"));
    let sw = Switch::start(&format!(
        r#"
[underlay]
port = "up"
ip = "192.168.79.1/24"
neighbour_timeout = {TIMEOUT_S}

[[bridge]]
name = "br0"
flows = ["in_port=2,actions=output:vx0", "in_port=10,actions=output:2"]

[[bridge.port]]
name = "up"
ofport = 1
devargs = "net_tap_{tu},iface={tu}"

[[bridge.port]]
name = "b"
ofport = 2
devargs = "net_tap_{tb},iface={tb}"

[[bridge.tunnel]]
name = "vx0"
ofport = 10
type = "vxlan"
remote_ip = "192.168.79.2"
key = 42
"#
    ));
    let vtep = Netns::new(&unique("nsv"));
    let host = Netns::new(&unique("nsh"));
    vtep.adopt(&tu, "192.168.79.2/24");
    for args in [
        vec![
            "ip",
            "link",
            "add",
            "vx42",
            "type",
            "vxlan",
            "id",
            "42",
            "dstport",
            "4789",
            "local",
            "192.168.79.2",
            "remote",
            "192.168.79.1",
            "dev",
            &tu,
        ],
        vec!["ip", "addr", "add", "10.79.0.2/24", "dev", "vx42"],
        vec!["ip", "link", "set", "vx42", "up"],
    ] {
        let (ok, out) = vtep.exec(&args);
        assert!(ok, "{args:?}: {out}");
    }
    host.adopt(&tb, "10.79.0.1/24");
    wait_for("first ping across VXLAN", Duration::from_secs(20), || {
        host.ping("10.79.0.2", 1) == 1
    });
    let n = neighbour(&sw, "192.168.79.2").expect("resolved");
    assert!(n["state"].as_str().unwrap().starts_with("reachable"), "{n}");

    // Three timeouts' worth of pings: every one crosses, and no packet
    // meets a missing neighbour (the refresh never empties the entry).
    let no_neigh = pmd_drops(&sw, "tunnel_no_neighbour");
    let count = (TIMEOUT_S * 3 * 5) as u32;
    assert_eq!(
        host.ping("10.79.0.2", count),
        count,
        "no loss across refreshes"
    );
    assert_eq!(pmd_drops(&sw, "tunnel_no_neighbour"), no_neigh);
    let n = neighbour(&sw, "192.168.79.2").expect("still there");
    assert!(n["mac"].is_string(), "{n}");

    // The peer stops answering ARP: the entry expires within a timeout.
    let (ok, out) = vtep.exec(&["ip", "link", "set", "dev", &tu, "arp", "off"]);
    assert!(ok, "{out}");
    wait_for(
        "the neighbour to expire",
        Duration::from_secs(TIMEOUT_S + 3),
        || neighbour(&sw, "192.168.79.2").is_none_or(|n| n["mac"].is_null()),
    );
    // Traffic asks for it again (broadcast); once the peer answers, the
    // tunnel works again.
    let (ok, out) = vtep.exec(&["ip", "link", "set", "dev", &tu, "arp", "on"]);
    assert!(ok, "{out}");
    wait_for("ping after re-resolution", Duration::from_secs(20), || {
        host.ping("10.79.0.2", 1) == 1
    });
    let n = neighbour(&sw, "192.168.79.2").expect("resolved again");
    assert!(n["state"].as_str().unwrap().starts_with("reachable"), "{n}");
}
