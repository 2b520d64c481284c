//! Packets through a real running switch: kernel endpoints over net_tap in
//! network namespaces, and pcap files through net_pcap.
mod common;

use common::netns::Netns;
use common::{pcap, unique, Switch};

/// Two namespaces on one subnet ping each other through two tap ports.
#[test]
fn tap_ping_across_the_switch_and_counters() {
    let (sw, ta, tb) = common::two_taps("", true);
    let (na, nb) = (Netns::new(&unique("nsa")), Netns::new(&unique("nsb")));
    na.adopt(&ta, "10.77.0.1/24");
    nb.adopt(&tb, "10.77.0.2/24");

    let replies = na.ping("10.77.0.2", 5);
    assert_eq!(replies, 5, "all 5 pings from a to b answered");
    assert_eq!(nb.ping("10.77.0.1", 3), 3, "and back from b to a");

    // Echo requests plus ARP crossed a→b; the counters must show it. The
    // kernel may send a stray frame (IPv6 ND) between the two ports'
    // counter reads, so read again until a quiet moment (up to 3 s).
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let (a, b) = loop {
        let (a, b) = (sw.port_stats("a"), sw.port_stats("b"));
        let balanced =
            n(&b, "tx_packets") + n(&b, "tx_dropped") == n(&a, "rx_packets") - n(&a, "rx_dropped");
        if balanced || std::time::Instant::now() > deadline {
            break (a, b);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(n(&a, "rx_packets") >= 8, "a received requests: {a}");
    // A packet sent before b was up in its namespace is refused by the kernel (tx_dropped).
    assert_eq!(
        n(&b, "tx_packets") + n(&b, "tx_dropped"),
        n(&a, "rx_packets") - n(&a, "rx_dropped"),
        "everything a received went to b: a={a} b={b}"
    );
    assert!(n(&b, "rx_packets") >= 8, "b received: {b}");
    assert!(
        n(&a, "rx_bytes") >= 8 * 98,
        "ICMP echo frames are 98 bytes: {a}"
    );
    assert!(n(&b, "tx_packets") >= 8, "{b}");

    // show: both ports, links up, every rx queue assigned to the PMD on core 1.
    let show = sw.ctl(&["show"]);
    let ports = show["bridges"][0]["ports"].as_array().expect("ports");
    assert_eq!(ports.len(), 2);
    assert_eq!(ports[0]["name"], "a");
    assert_eq!(ports[0]["driver"], "net_tap");
    assert_eq!(ports[0]["ofport"], 1);
    assert_eq!(ports[1]["ofport"], 2);
    assert_eq!(show["pmds"][0]["core"], 1);
    let rxqs = show["pmds"][0]["rx_queues"].as_array().unwrap();
    assert_eq!(rxqs.len(), 2, "{show}");

    let pmd = sw.ctl(&["pmd-stats"]);
    let p = &pmd["pmds"][0];
    assert!(p["packets"].as_u64().unwrap() >= 16, "{pmd}");
    assert!(p["idle_cycles"].as_u64().unwrap() > 0);
    assert!(p["busy_cycles"].as_u64().unwrap() > 0);

    // --clear resets the PMD counters.
    sw.ctl(&["pmd-stats", "--clear"]);
    let after = sw.ctl(&["pmd-stats"]);
    assert!(
        after["pmds"][0]["packets"].as_u64().unwrap() < 16,
        "{after}"
    );

    // Human-readable tables name the ports too.
    let text = sw.ctl_text(&["port-stats"]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.lines().next().unwrap().contains("rx_pkts"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().nth(1) == Some("a")),
        "{text}"
    );
}

/// rx_pcap → switch → tx_pcap: the output file holds exactly the input.
#[test]
fn pcap_in_equals_pcap_out() {
    let frames = pcap::udp_frames(500);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    let output = dir.path().join("out.pcap");
    pcap::write(&input, &frames);
    let (pi, po) = (unique("net_pcap"), unique("net_pcap"));
    let mut sw = Switch::start(&format!(
        r#"
[[bridge]]
name = "br0"
[[bridge.port]]
name = "in"
devargs = "{pi},rx_pcap={}"
output = "out"
[[bridge.port]]
name = "out"
devargs = "{po},tx_pcap={}"
"#,
        input.display(),
        output.display()
    ));
    sw.wait_port_stats("in", "500 packets received", |s| s["rx_packets"] == 500);
    sw.wait_port_stats("out", "500 packets sent", |s| s["tx_packets"] == 500);
    let bytes: u64 = frames.iter().map(|f| f.len() as u64).sum();
    assert_eq!(sw.port_stats("out")["tx_bytes"], bytes);
    // The pcap writer flushes when the port closes, at shutdown.
    let (status, log) = sw.stop();
    assert!(status.success(), "clean exit: {status}\n{log}");
    let got = pcap::read(&output);
    assert_eq!(got.len(), frames.len());
    assert!(got == frames, "packets differ from the input");
}

/// With hugepages switched off the switch still forwards, and says so.
#[test]
fn runs_without_hugepages_when_told() {
    let frames = pcap::udp_frames(50);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    pcap::write(&input, &frames);
    let mut sw = Switch::start_with_switch(
        "pmd_cores = [1]\nhugepages = \"off\"\n",
        &format!(
            r#"
[[bridge]]
name = "br0"
[[bridge.port]]
name = "in"
devargs = "{},rx_pcap={}"
output = "sink"
[[bridge.port]]
name = "sink"
devargs = "{},no-rx=1"
"#,
            unique("net_pcap"),
            input.display(),
            unique("net_null")
        ),
    );
    assert_eq!(sw.ctl(&["show"])["hugepages"], false);
    sw.wait_port_stats("sink", "50 packets sent", |s| s["tx_packets"] == 50);
    let (status, log) = sw.stop_with(nix::sys::signal::Signal::SIGINT);
    assert!(status.success(), "{log}");
    assert!(log.contains("running without hugepages"), "{log}");
}
