//! The OpenFlow pipeline end to end: flows loaded with ferroctl route
//! between two namespaces in different subnets (ARP responder, then MAC
//! rewrite + dec_ttl + output), and bad input is refused with tables intact.
mod common;

use common::netns::Netns;
use common::{unique, Switch};

const MAC_A: &str = "02:aa:00:00:00:02";
const MAC_B: &str = "02:bb:00:00:00:02";
const GW_A: &str = "02:00:00:00:01:01";
const GW_B: &str = "02:00:00:00:02:01";

fn router_flows() -> String {
    format!(
        "# table 0: classify
table=0,priority=100,arp,actions=goto_table:1
table=0,priority=100,ip,actions=goto_table:2
table=0,priority=0,actions=drop
# table 1: ARP responder for the two gateway addresses
table=1,priority=100,arp,in_port=1,arp_op=1,arp_tpa=10.1.0.1,actions=set_field:2->arp_op,set_field:{GW_A}->eth_src,set_field:{MAC_A}->eth_dst,set_field:{GW_A}->arp_sha,set_field:10.1.0.1->arp_spa,set_field:{MAC_A}->arp_tha,set_field:10.1.0.2->arp_tpa,IN_PORT
table=1,priority=100,arp,in_port=2,arp_op=1,arp_tpa=10.2.0.1,actions=set_field:2->arp_op,set_field:{GW_B}->eth_src,set_field:{MAC_B}->eth_dst,set_field:{GW_B}->arp_sha,set_field:10.2.0.1->arp_spa,set_field:{MAC_B}->arp_tha,set_field:10.2.0.2->arp_tpa,IN_PORT
# table 2: routes
table=2,priority=50,ip,nw_dst=10.2.0.0/24,actions=set_field:{GW_B}->eth_src,set_field:{MAC_B}->eth_dst,dec_ttl,output:2
table=2,priority=50,ip,nw_dst=10.1.0.0/24,actions=set_field:{GW_A}->eth_src,set_field:{MAC_A}->eth_dst,dec_ttl,output:1
"
    )
}

fn two_taps() -> (Switch, String, String) {
    common::two_taps("", false)
}

fn host(ns: &Netns, iface: &str, mac: &str, cidr: &str, gw: &str) {
    common::sh("ip", &["link", "set", iface, "address", mac]);
    ns.adopt(iface, cidr);
    let (ok, out) = ns.exec(&["ip", "route", "add", "default", "via", gw]);
    assert!(ok, "{out}");
}

fn n_packets(flows: &serde_json::Value, table: u64, needle: &str) -> u64 {
    flows["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .find(|f| f["table"] == table && f["match"].as_str().unwrap_or("").contains(needle))
        .unwrap_or_else(|| panic!("no flow in table {table} matching {needle}: {flows}"))
        ["n_packets"]
        .as_u64()
        .unwrap()
}

#[test]
fn l3_routing_between_subnets() {
    let (sw, ta, tb) = two_taps();
    let file = sw.path("router.flows");
    std::fs::write(&file, router_flows()).unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (na, nb) = (Netns::new(&unique("nra")), Netns::new(&unique("nrb")));
    host(&na, &ta, MAC_A, "10.1.0.2/24", "10.1.0.1");
    host(&nb, &tb, MAC_B, "10.2.0.2/24", "10.2.0.1");

    // The gateway answers ARP, and pings cross subnets with one hop.
    let (ok, out) = na.exec(&["ping", "-c", "4", "-i", "0.2", "-W", "2", "10.2.0.2"]);
    assert!(ok, "a → b across the router: {out}");
    assert!(
        out.contains("ttl=63"),
        "TTL decremented by the switch: {out}"
    );
    assert_eq!(nb.ping("10.1.0.2", 3), 3);
    let (_, neigh) = na.exec(&["ip", "neigh", "show", "10.1.0.1"]);
    assert!(
        neigh.contains(GW_A),
        "ARP resolved to the gateway MAC: {neigh}"
    );

    // Counters: every echo request a→b went through the route to 10.2/24.
    let flows = sw.ctl(&["dump-flows", "br0"]);
    assert!(n_packets(&flows, 2, "nw_dst=10.2.0.0/24") >= 4, "{flows}");
    assert!(n_packets(&flows, 2, "nw_dst=10.1.0.0/24") >= 4, "{flows}");
    assert!(n_packets(&flows, 1, "arp_tpa=10.1.0.1") >= 1, "{flows}");
    let ip_in = n_packets(&flows, 0, "ip");
    let routed =
        n_packets(&flows, 2, "nw_dst=10.2.0.0/24") + n_packets(&flows, 2, "nw_dst=10.1.0.0/24");
    assert_eq!(
        ip_in, routed,
        "table 0's ip entry saw exactly what table 2 routed: {flows}"
    );

    // trace shows the path without sending anything.
    let t = sw.ctl(&[
        "trace",
        "br0",
        "in_port=1,icmp,nw_src=10.1.0.2,nw_dst=10.2.0.2,nw_ttl=64",
    ]);
    let steps = t["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2, "{t}");
    assert_eq!(steps[0]["table"], 0);
    assert_eq!(steps[1]["table"], 2);
    assert!(
        t["datapath_actions"].as_str().unwrap().contains("output"),
        "{t}"
    );
}

#[test]
fn bad_flows_are_refused_and_tables_stay_unchanged() {
    let (sw, _, _) = two_taps();
    let ok = sw.ctl_text(&["add-flow", "br0", "table=0,priority=10,ip,actions=output:2"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = sw.ctl(&["dump-flows", "br0"]);

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "add-flow",
                "br0",
                "table=0,ip,nw_dst=10.0.0.300,actions=drop",
            ],
            "column",
        ),
        (&["add-flow", "br0", "table=1,actions=goto_table:0"], "goto"),
        (&["add-flow", "br0", "table=0,actions=output:99"], "port"),
        (&["add-flow", "br0", "table=0,actions=group:7"], "group"),
        (
            &["add-flow", "br0", "table=0,actions=meter:3,output:1"],
            "meter",
        ),
        (
            &["add-flow", "br0", "table=0,tcp_dst=80,actions=drop"],
            "tcp",
        ),
    ];
    for (args, needle) in cases {
        let out = sw.ctl_text(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(err.to_lowercase().contains(needle), "{args:?}: {err}");
    }
    // A file with one bad line installs nothing and names the line.
    let file = sw.path("bad.flows");
    std::fs::write(
        &file,
        "table=0,priority=5,udp,actions=output:1\ntable=0,priority=6,foo=1,actions=drop\n",
    )
    .unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("line 2"), "{err}");
    let after = sw.ctl(&["dump-flows", "br0"]);
    assert_eq!(rules(&before), rules(&after), "tables unchanged");
    assert_eq!(rules(&after).len(), 1);
}

/// (table, priority, match, actions) of every flow, without counters.
fn rules(v: &serde_json::Value) -> Vec<(u64, u64, String, String)> {
    v["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|f| {
            (
                f["table"].as_u64().unwrap(),
                f["priority"].as_u64().unwrap(),
                f["match"].as_str().unwrap().to_string(),
                f["actions"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
