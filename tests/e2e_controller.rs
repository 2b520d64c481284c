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
    let ok = Command::new("python3")
        .args(["-c", "import os_ken"])
        .status()
        .map(|s| s.success());
    assert_eq!(
        ok.ok(),
        Some(true),
        "os-ken is missing: pip install os-ken (scripts/setup.sh installs it)"
    );
    let port = 26653 + (std::process::id() % 1000) as u16;
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
