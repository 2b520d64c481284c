//! A real OpenFlow controller: os-ken (PyPI) running a small L2 learning
//! app (tests/controllers/osken_l2.py). The switch connects to it, the app
//! learns from packet-ins, installs flows and sends packet-outs, and two
//! namespaces ping through. Killed, the switch keeps forwarding with the
//! flows it has (secure fail mode); restarted, the switch reconnects.
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::netns::Netns;
use common::unique;

struct Controller(Child);

impl Controller {
    fn start(port: u16) -> Controller {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/controllers/osken_l2.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with os-ken (pip install os-ken; scripts/setup.sh does)");
        Controller(child)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn require_osken() {
    let ok = Command::new("python3")
        .args(["-c", "import os_ken"])
        .status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "os-ken is missing: pip install os-ken (scripts/setup.sh installs it)"
    );
}

fn n_flows(sw: &common::Switch) -> usize {
    sw.ctl(&["dump-flows", "br0"])["flows"]
        .as_array()
        .map_or(0, Vec::len)
}

fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn osken_learning_switch_controls_forwarding() {
    require_osken();
    let port = common::free_port();
    let ctl = Controller::start(port);
    let (sw, ta, tb) =
        common::two_taps(&format!("controllers = [\"tcp:127.0.0.1:{port}\"]"), false);
    // The app installs its table-miss entry once the switch connects.
    wait_for("the controller's table-miss flow", 30, || n_flows(&sw) >= 1);

    let (na, nb) = (Netns::new(&unique("nka")), Netns::new(&unique("nkb")));
    na.adopt(&ta, "10.79.0.1/24");
    nb.adopt(&tb, "10.79.0.2/24");
    assert!(
        na.ping("10.79.0.2", 5) >= 4,
        "ping through the learning switch"
    );
    // It learned both MACs and installed flows for them.
    wait_for("learned flows", 10, || n_flows(&sw) >= 3);
    let flows = sw.ctl(&["dump-flows", "br0"]);
    assert!(
        flows.to_string().contains("dl_dst") || flows.to_string().contains("eth_dst"),
        "{flows}"
    );

    // Controller gone: secure mode keeps the flows, and traffic they cover
    // still flows.
    drop(ctl);
    std::thread::sleep(Duration::from_secs(1));
    assert!(n_flows(&sw) >= 3, "flows kept in secure mode");
    assert_eq!(
        na.ping("10.79.0.2", 3),
        3,
        "forwarding without the controller"
    );

    // Back again: the switch reconnects (backoff ≤ 8 s) and the app
    // re-adds its table-miss entry; a fresh pair of hosts learns again.
    let _ctl = Controller::start(port);
    let out = sw.ctl_text(&["del-flows", "br0"]);
    assert!(out.status.success());
    assert_eq!(n_flows(&sw), 0);
    wait_for("reconnection (table-miss flow re-added)", 40, || {
        n_flows(&sw) >= 1
    });
    for ns in [&na, &nb] {
        let _ = ns.exec(&["ip", "neigh", "flush", "all"]);
    }
    assert!(
        na.ping("10.79.0.2", 5) >= 4,
        "ping after the controller came back"
    );
}

#[test]
fn standalone_fail_mode_learns_without_a_controller() {
    let (sw, ta, tb) = common::two_taps("fail_mode = \"standalone\"", false);
    let has_cookie = |v: &serde_json::Value| {
        v["flows"].as_array().map_or(0, |f| {
            f.iter()
                .filter(|x| x["cookie"] == 0xfa11_0000_0000_0000u64)
                .count()
        })
    };
    // No controller for 3 s: the learning agent's table-miss flow appears.
    wait_for("the standalone table-miss flow", 15, || {
        has_cookie(&sw.ctl(&["dump-flows", "br0"])) >= 1
    });
    let (na, nb) = (Netns::new(&unique("nsla")), Netns::new(&unique("nslb")));
    na.adopt(&ta, "10.80.0.1/24");
    nb.adopt(&tb, "10.80.0.2/24");
    assert!(
        na.ping("10.80.0.2", 5) >= 4,
        "a plain learning switch forwards"
    );
    // It learned both hosts: one flow per direction beside the table-miss.
    wait_for("learned MAC flows", 10, || {
        has_cookie(&sw.ctl(&["dump-flows", "br0"])) >= 3
    });
    let flows = sw.ctl(&["dump-flows", "br0"]);
    let learned: Vec<_> = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["priority"] == 1)
        .collect();
    assert!(learned.len() >= 2, "{flows}");
    assert!(learned.iter().all(|f| f["idle_timeout"] == 60), "{flows}");
    assert!(nb.ping("10.80.0.1", 3) >= 3);
}

#[test]
fn standalone_hands_over_to_a_controller_that_comes_up() {
    require_osken();
    let port = common::free_port();
    let (sw, _, _) = common::two_taps(
        &format!("fail_mode = \"standalone\"\ncontrollers = [\"tcp:127.0.0.1:{port}\"]"),
        false,
    );
    let agent_flows = |sw: &common::Switch| {
        sw.ctl(&["dump-flows", "br0"])["flows"]
            .as_array()
            .map_or(0, |f| {
                f.iter()
                    .filter(|x| x["cookie"] == 0xfa11_0000_0000_0000u64)
                    .count()
            })
    };
    wait_for("standalone while the controller is down", 15, || {
        agent_flows(&sw) >= 1
    });
    let _ctl = Controller::start(port);
    // Once the controller's connection has held for 3 s, the agent's flows
    // go and the controller's own table-miss entry (cookie 0) remains.
    wait_for("hand-over to the controller", 30, || {
        agent_flows(&sw) == 0 && n_flows(&sw) >= 1
    });
}
