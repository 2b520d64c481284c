//! ferroctl as an OpenFlow 1.3 client over the bridge's management socket
//! `<run_dir>/<bridge>.mgmt`, which ovs-ofctl can use too: both see and
//! change the same tables, what they install forwards packets, refused
//! lines are named by OpenFlow type/code and line, and a full table is
//! OFPFMFC_TABLE_FULL on a connection that keeps working.
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::netns::Netns;
use common::openflow::require_ovs_ofctl;
use common::{unique, Switch};
use control::ofp::client::Client;
use control::ofp::codec::{Message, MultipartReply, MultipartRequest};
use control::ofp::error::code;
use control::ofp::OfpErrorKind;
use control::pipeline::{Action, FlowMod, Instruction};

/// `ovs-ofctl -O OpenFlow13 CMD unix:<run_dir>/br0.mgmt ARGS`: stdout.
fn ovs_ofctl(sw: &Switch, cmd: &str, args: &[&str]) -> String {
    let target = format!("unix:{}", sw.run_dir().join("br0.mgmt").display());
    let out = Command::new("timeout")
        .args(["20", "ovs-ofctl", "-O", "OpenFlow13", cmd, &target])
        .args(args)
        .output()
        .expect("run ovs-ofctl");
    assert!(
        out.status.success(),
        "ovs-ofctl {cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ferroctl_and_ovs_ofctl_share_the_management_socket() {
    require_ovs_ofctl();
    let (sw, ta, tb) = common::two_taps("listen = []", false);
    let sock = sw.run_dir().join("br0.mgmt");
    let mode = std::fs::metadata(&sock)
        .expect("br0.mgmt exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only root talks to the switch");

    // Flows by port name, from a file with a comment.
    let file = sw.path("l2.flows");
    std::fs::write(
        &file,
        "# a <-> b\ntable=0,priority=10,in_port=a,actions=goto_table:1\n\
         table=0,priority=10,in_port=b,actions=output:a\n\
         table=1,priority=5,actions=group:1\n",
    )
    .unwrap();
    ok(
        &sw.ctl_text(&[
            "add-group",
            "br0",
            "group_id=1,type=all,bucket=actions=output:b",
        ]),
        "add-group",
    );
    let out = ok(
        &sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]),
        "add-flows",
    );
    assert_eq!(out.trim(), "3 flows added");

    // ovs-ofctl reads what ferroctl wrote over the same socket.
    let dump = ovs_ofctl(&sw, "dump-flows", &[]);
    assert!(
        dump.contains("priority=10,in_port=1 actions=goto_table:1"),
        "{dump}"
    );
    assert!(dump.contains("table=1"), "{dump}");
    assert!(dump.contains("actions=group:1"), "{dump}");
    let groups = ovs_ofctl(&sw, "dump-groups", &[]);
    assert!(groups.contains("group_id=1,type=all"), "{groups}");

    // And the flows forward.
    let (na, nb) = (Netns::new(&unique("nua")), Netns::new(&unique("nub")));
    na.adopt(&ta, "10.81.0.1/24");
    nb.adopt(&tb, "10.81.0.2/24");
    assert_eq!(na.ping("10.81.0.2", 3), 3, "a → b through the group");

    // Counters come back through OFPMP_FLOW / OFPMP_AGGREGATE.
    let flows = sw.ctl(&["dump-flows", "br0", "table=1"]);
    let f = &flows["flows"][0];
    assert_eq!(f["table"], 1);
    assert_eq!(f["actions"], "group:1");
    assert!(f["n_packets"].as_u64().unwrap() >= 3, "{flows}");
    let agg = sw.ctl(&["dump-aggregate", "br0"]);
    assert_eq!(agg["flow_count"], 3, "{agg}");
    assert!(agg["packet_count"].as_u64().unwrap() >= 6, "{agg}");
    let tables = sw.ctl(&["dump-tables", "br0"]);
    assert_eq!(tables["tables"][1]["active_count"], 1, "{tables}");
    let ports = sw.ctl(&["dump-ports", "br0", "a"]);
    assert_eq!(ports["ports"].as_array().unwrap().len(), 1, "{ports}");
    assert!(
        ports["ports"][0]["rx_packets"].as_u64().unwrap() >= 3,
        "{ports}"
    );
    let text = ok(&sw.ctl_text(&["dump-ports", "br0"]), "dump-ports");
    assert!(text.contains("OFPST_PORT reply (OF1.3): 2 ports"), "{text}");
    let groups = sw.ctl(&["dump-groups", "br0"]);
    assert!(
        groups["groups"][0]["packets"].as_u64().unwrap() >= 3,
        "{groups}"
    );

    // What ovs-ofctl adds, ferroctl sees; mod and strict delete work.
    ovs_ofctl(&sw, "add-flow", &["table=2,priority=7,udp,actions=drop"]);
    let t2 = sw.ctl(&["dump-flows", "br0", "table=2"]);
    assert_eq!(t2["flows"][0]["match"], "udp", "{t2}");
    ok(
        &sw.ctl_text(&["mod-flows", "br0", "table=2,udp,actions=output:2"]),
        "mod-flows",
    );
    let dump = ovs_ofctl(&sw, "dump-flows", &["table=2"]);
    assert!(dump.contains("udp actions=output:2"), "{dump}");
    ok(
        &sw.ctl_text(&["del-flows", "br0", "--strict", "table=2,priority=6,udp"]),
        "del-flows --strict (no such priority)",
    );
    assert_eq!(sw.ctl(&["dump-aggregate", "br0"])["flow_count"], 4);
    ok(
        &sw.ctl_text(&["del-flows", "br0", "--strict", "table=2,priority=7,udp"]),
        "del-flows --strict",
    );
    assert_eq!(sw.ctl(&["dump-aggregate", "br0"])["flow_count"], 3);

    // mod-port through ferroctl shows in ovs-ofctl's port descriptions.
    ok(
        &sw.ctl_text(&["mod-port", "br0", "b", "no-forward"]),
        "mod-port",
    );
    let desc = ovs_ofctl(&sw, "dump-ports-desc", &[]);
    assert!(desc.contains("NO_FWD"), "{desc}");
    assert_eq!(na.ping("10.81.0.2", 2), 0, "b does not forward");
    ok(
        &sw.ctl_text(&["mod-port", "br0", "2", "forward"]),
        "mod-port",
    );
    assert!(!ovs_ofctl(&sw, "dump-ports-desc", &[]).contains("NO_FWD"));
    let out = sw.ctl_text(&["mod-port", "br0", "b", "sideways"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown mod-port action"));

    // Meters round-trip.
    ok(
        &sw.ctl_text(&["add-meter", "br0", "meter=3,pktps,bands=type=drop,rate=500"]),
        "add-meter",
    );
    let meters = ovs_ofctl(&sw, "dump-meters", &[]);
    assert!(meters.contains("meter=3 pktps bands="), "{meters}");
    let m = sw.ctl(&["dump-meters", "br0"]);
    assert_eq!(m["meters"][0]["meter_id"], 3, "{m}");
    ok(&sw.ctl_text(&["del-meters", "br0"]), "del-meters");
    assert_eq!(
        sw.ctl(&["dump-meters", "br0"])["meters"],
        serde_json::json!([])
    );

    // mod-group replaces the buckets.
    ok(
        &sw.ctl_text(&[
            "mod-group",
            "br0",
            "group_id=1,type=all,bucket=actions=output:a",
        ]),
        "mod-group",
    );
    let g = sw.ctl(&["dump-groups", "br0"]);
    assert_eq!(
        g["groups"][0]["desc"], "group_id=1,type=all,bucket=actions=output:1",
        "{g}"
    );

    // del-flows without a filter empties every table; del-groups too.
    ok(&sw.ctl_text(&["del-flows", "br0"]), "del-flows");
    ok(&sw.ctl_text(&["del-groups", "br0"]), "del-groups");
    assert!(ovs_ofctl(&sw, "dump-flows", &[]).trim().lines().count() <= 1);
    assert_eq!(
        sw.ctl(&["dump-groups", "br0"])["groups"],
        serde_json::json!([])
    );
    assert_eq!(na.ping("10.81.0.2", 2), 0, "no flows, no forwarding");
}

#[test]
fn refused_lines_name_the_openflow_error_and_the_line() {
    let (sw, _, _) = common::two_taps("listen = []", false);
    let file = sw.path("mixed.flows");
    std::fs::write(
        &file,
        "priority=1,ip,actions=drop\n\npriority=2,arp,actions=output:9\npriority=3,tcp,actions=group:5\n",
    )
    .unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3: flow refused: OFPET_BAD_ACTION OFPBAC_BAD_OUT_PORT"),
        "{err}"
    );
    assert!(err.contains("priority=2,arp,actions=output:9"), "{err}");
    assert!(
        err.contains("line 4: flow refused: OFPET_BAD_ACTION OFPBAC_BAD_OUT_GROUP"),
        "{err}"
    );
    // A syntax error anywhere sends nothing at all.
    std::fs::write(
        &file,
        "priority=5,udp,actions=drop\npriority=6,foo=1,actions=drop\n",
    )
    .unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("line 2"), "{err}");
    let flows = sw.ctl(&["dump-flows", "br0"]);
    assert_eq!(flows["flows"].as_array().unwrap().len(), 1, "{flows}");
    // add-groups is all or nothing: the first group is taken back.
    std::fs::write(
        &file,
        "group_id=1,type=all,bucket=actions=output:1\ngroup_id=1,type=all,bucket=actions=output:2\n",
    )
    .unwrap();
    let out = sw.ctl_text(&["add-groups", "br0", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: group refused: OFPET_GROUP_MOD_FAILED OFPGMFC_GROUP_EXISTS"),
        "{err}"
    );
    assert_eq!(
        sw.ctl(&["dump-groups", "br0"])["groups"],
        serde_json::json!([])
    );
    // An unknown bridge is named.
    let out = sw.ctl_text(&["dump-flows", "br9"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no bridge named \"br9\""), "{err}");
}

fn drop_all(table: u8, priority: u16) -> Message {
    Message::FlowMod(FlowMod {
        table_id: table,
        priority,
        instructions: vec![Instruction::ApplyActions(Vec::<Action>::new())],
        ..FlowMod::default()
    })
}

#[test]
fn a_full_table_is_refused_over_the_wire_and_the_connection_goes_on() {
    let (sw, _, _) = common::two_taps("listen = []\nmax_flows_per_table = 3", false);
    let mut c = Client::connect_unix(&sw.run_dir().join("br0.mgmt")).expect("connect");
    // TABLE_FEATURES reports the configured capacity.
    let parts = c
        .multipart(MultipartRequest::TableFeatures(Vec::new()))
        .expect("table features");
    let max: Vec<u32> = parts
        .iter()
        .flat_map(|p| match p {
            MultipartReply::TableFeatures(t) => t.iter().map(|t| t.max_entries).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert!(!max.is_empty() && max.iter().all(|&m| m == 3), "{max:?}");

    let msgs: Vec<Message> = (1..=4).map(|p| drop_all(0, p)).collect();
    let errors = c.transact(&msgs).expect("flow mods");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 3, "the fourth flow");
    assert_eq!(
        errors[0].1.kind,
        OfpErrorKind::FlowModFailed(code::TABLE_FULL)
    );
    // Replacing an entry of a full table is not an addition.
    assert!(c.transact(&[drop_all(0, 2)]).unwrap().is_empty());
    // The same connection keeps working; other tables have room.
    assert!(c.transact(&[drop_all(1, 1)]).unwrap().is_empty());
    let agg = sw.ctl(&["dump-aggregate", "br0"]);
    assert_eq!(agg["flow_count"], 4, "{agg}");
    // ferroctl says it in OpenFlow's words.
    let out = sw.ctl_text(&["add-flow", "br0", "table=0,priority=9,actions=drop"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("OFPET_FLOW_MOD_FAILED OFPFMFC_TABLE_FULL"),
        "{err}"
    );
}
