//! The OpenFlow 1.3 channel end to end: ovs-ofctl against the switch's
//! listener, flows it installs forwarding between namespaces, a raw client
//! sending malformed and refused messages (exact error type/code, and the
//! connection keeps working), HELLO negotiation and roles. How
//! connections are made (an active controller, a listener whose port is
//! taken): `e2e_openflow_connect.rs`. Packet-ins and ports:
//! `e2e_openflow_async.rs`; loading many flows: `e2e_openflow_flows.rs`.
mod common;

use std::time::{Duration, Instant};

use common::free_port;
use common::openflow::*;
use control::ofp::codec::{
    self, msg_type, port_config, port_reason, role, Message, MultipartReply, MultipartRequest,
    TableFeatures,
};
use control::ofp::{OfpErrorKind, PortNo};
use control::pipeline::{flow_flags, Action, FlowMatch, FlowMod, FlowModCommand, Instruction};
use fastpath::flow::Field;

#[test]
fn ovs_ofctl_manages_the_switch() {
    require_ovs_ofctl();
    let port = free_port();
    let (sw, _, _) = two_taps(port, "");

    let show = ofctl(port, &["show"], &[]);
    for needle in [
        "OFPT_FEATURES_REPLY (OF1.3)",
        "dpid:00000000000000a1",
        "n_tables:255, n_buffers:0",
        "capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS",
        " 1(a): addr:",
        " 2(b): addr:",
        "current:    10GB-FD",
        "frags=normal miss_send_len=128",
    ] {
        assert!(show.contains(needle), "show lacks {needle:?}:\n{show}");
    }

    // A raw client watches for PORT_STATUS and FLOW_REMOVED meanwhile.
    let mut watcher = OfClient::connect(port);

    // add-flow, add-flows, dump-flows (with and without a filter).
    ofctl(port, &["add-flow"], &["in_port=1,actions=output:2"]);
    let file = sw.path("flows.txt");
    std::fs::write(
        &file,
        "table=0,priority=10,in_port=2,ip,nw_dst=10.0.0.1,actions=output:1\n\
         table=1,priority=5,udp,actions=drop\n\
         table=1,priority=6,tcp,tp_dst=80,actions=output:1\n",
    )
    .unwrap();
    ofctl(port, &["add-flows"], &[file.to_str().unwrap()]);
    let dump = ofctl(port, &["dump-flows"], &[]);
    assert!(dump.contains("OFPST_FLOW reply (OF1.3)"), "{dump}");
    assert_eq!(flow_lines(&dump).len(), 4, "{dump}");
    assert!(
        flow_lines(&dump)
            .iter()
            .any(|l| l.contains("table=0,") && l.ends_with(" in_port=1 actions=output:2")),
        "{dump}"
    );
    assert!(
        dump.contains("priority=10,ip,in_port=2,nw_dst=10.0.0.1 actions=output:1"),
        "{dump}"
    );
    let t1 = ofctl(port, &["dump-flows"], &["table=1"]);
    assert_eq!(flow_lines(&t1).len(), 2, "{t1}");
    assert!(
        t1.contains("priority=6,tcp,tp_dst=80 actions=output:1"),
        "{t1}"
    );
    let filtered = ofctl(port, &["dump-flows"], &["in_port=2"]);
    assert_eq!(flow_lines(&filtered).len(), 1, "{filtered}");

    // What ovs-ofctl added shows in ferroctl too.
    let fc = sw.ctl(&["dump-flows", "br0"]);
    let flows = fc["flows"].as_array().expect("flows");
    assert_eq!(flows.len(), 4, "{fc}");
    assert!(
        flows
            .iter()
            .any(|f| f["match"] == "in_port=1" && f["actions"] == "output:2"),
        "{fc}"
    );

    // mod-flows, del-flows --strict, dump-aggregate.
    ofctl(port, &["mod-flows"], &["table=1,udp,actions=output:2"]);
    let t1 = ofctl(port, &["dump-flows"], &["table=1,udp"]);
    assert!(t1.contains("priority=5,udp actions=output:2"), "{t1}");
    // Strict needs the exact priority: a wrong one deletes nothing.
    ofctl(
        port,
        &["del-flows", "--strict"],
        &["table=1,priority=7,tcp,tp_dst=80"],
    );
    assert_eq!(
        flow_lines(&ofctl(port, &["dump-flows"], &["table=1"])).len(),
        2
    );
    ofctl(
        port,
        &["del-flows", "--strict"],
        &["table=1,priority=6,tcp,tp_dst=80"],
    );
    let t1 = ofctl(port, &["dump-flows"], &["table=1"]);
    assert_eq!(flow_lines(&t1).len(), 1, "{t1}");
    let agg = ofctl(port, &["dump-aggregate"], &[]);
    assert!(agg.contains("OFPST_AGGREGATE reply (OF1.3)"), "{agg}");
    assert!(agg.contains("flow_count=3"), "{agg}");

    // Ports and tables.
    let ports = ofctl(port, &["dump-ports"], &[]);
    assert!(ports.contains("OFPST_PORT reply (OF1.3)"), "{ports}");
    assert!(ports.contains("2 ports"), "{ports}");
    assert!(ports.contains("port  1: rx pkts="), "{ports}");
    let p2 = ofctl(port, &["dump-ports"], &["2"]);
    assert!(p2.contains("1 ports") && p2.contains("port  2:"), "{p2}");
    let desc = ofctl(port, &["dump-ports-desc"], &[]);
    assert!(desc.contains("OFPST_PORT_DESC reply (OF1.3)"), "{desc}");
    assert!(
        desc.contains(" 1(a): addr:") && desc.contains(" 2(b): addr:"),
        "{desc}"
    );
    assert!(desc.contains("config:     0"), "{desc}");
    let tables = ofctl(port, &["dump-tables"], &[]);
    assert!(tables.contains("OFPST_TABLE reply (OF1.3)"), "{tables}");
    assert!(tables.contains("table 0:\n    active=2"), "{tables}");
    assert!(tables.contains("table 1:\n    active=1"), "{tables}");
    let tf = ofctl(port, &["dump-table-features"], &[]);
    assert!(tf.contains("table 0 (\"table0\")"), "{tf}");
    assert!(tf.contains("max_entries=1000000"), "{tf}");
    assert!(tf.contains("goto_table"), "{tf}");

    // Groups.
    ofctl(
        port,
        &["add-group"],
        &["group_id=1,type=all,bucket=output:1,bucket=output:2"],
    );
    ofctl(
        port,
        &["mod-group"],
        &["group_id=1,type=all,bucket=output:2"],
    );
    ofctl(
        port,
        &["add-group"],
        &["group_id=2,type=select,bucket=weight:10,output:1,bucket=weight:20,output:2"],
    );
    let groups = ofctl(port, &["dump-groups"], &[]);
    assert!(
        groups.contains("OFPST_GROUP_DESC reply (OF1.3)"),
        "{groups}"
    );
    assert!(
        groups.contains("group_id=1,type=all,bucket=actions=output:2"),
        "{groups}"
    );
    assert!(
        groups.contains(
            "group_id=2,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,actions=output:2"
        ),
        "{groups}"
    );
    ofctl(port, &["add-flow"], &["table=3,priority=1,actions=group:1"]);
    let gs = ofctl(port, &["dump-group-stats"], &[]);
    assert!(gs.contains("OFPST_GROUP reply (OF1.3)"), "{gs}");
    assert!(gs.contains("group_id=1,duration="), "{gs}");
    assert!(gs.contains("ref_count=1,packet_count=0"), "{gs}");
    assert!(gs.contains("bucket1:packet_count=0"), "{gs}");
    // Deleting group 1 takes its flow along.
    ofctl(port, &["del-groups"], &["group_id=1"]);
    let groups = ofctl(port, &["dump-groups"], &[]);
    assert!(!groups.contains("group_id=1,"), "{groups}");
    assert!(groups.contains("group_id=2,"), "{groups}");
    assert!(flow_lines(&ofctl(port, &["dump-flows"], &["table=3"])).is_empty());
    ofctl(port, &["del-groups"], &[]);
    assert!(!ofctl(port, &["dump-groups"], &[]).contains("group_id="));

    // Meters.
    ofctl(
        port,
        &["add-meter"],
        &["meter=1,pktps,burst,stats,bands=type=drop,rate=1000,burst_size=100"],
    );
    let meters = ofctl(port, &["dump-meters"], &[]);
    assert!(
        meters.contains("OFPST_METER_CONFIG reply (OF1.3)"),
        "{meters}"
    );
    assert!(
        meters.contains("meter=1 pktps burst stats bands=\ntype=drop rate=1000 burst_size=100"),
        "{meters}"
    );
    ofctl(
        port,
        &["add-flow"],
        &["table=2,priority=1,actions=meter:1,output:2"],
    );
    let ms = ofctl(port, &["meter-stats"], &[]);
    assert!(ms.contains("OFPST_METER reply (OF1.3)"), "{ms}");
    assert!(
        ms.contains("meter:1 flow_count:1 packet_in_count:0"),
        "{ms}"
    );
    let fm = sw.ctl(&["dump-meters", "br0"]);
    assert_eq!(fm["meters"][0]["meter_id"], 1, "datapath meter: {fm}");

    // packet-out: an ARP request out of port 2, directly and through the
    // tables (in_port=1 → output:2).
    let tx0 = sw.port_stats("b")["tx_packets"].as_u64().unwrap();
    let pkt = "ffffffffffff020f000000010806000108000604000102\
               0f000000010a0000010000000000000a000002";
    ofctl(
        port,
        &["packet-out"],
        &[&format!("in_port=controller packet={pkt} actions=output:2")],
    );
    ofctl(
        port,
        &["packet-out"],
        &[&format!("in_port=1 packet={pkt} actions=table")],
    );
    sw.wait_port_stats("b", "2 packet-outs sent", |s| {
        s["tx_packets"].as_u64().unwrap() >= tx0 + 2
    });
    let (ok, _, err) = ofctl_try(
        port,
        &["packet-out"],
        &[&format!("in_port=1 packet={pkt} actions=output:7")],
    );
    assert!(!ok && err.contains("OFPBAC_BAD_OUT_PORT"), "{err}");

    // mod-port: config bits show in the port description, and a
    // PORT_STATUS goes to the connected controllers.
    ofctl(port, &["mod-port"], &["1", "down"]);
    let desc = ofctl(port, &["dump-ports-desc"], &[]);
    assert!(desc.contains("config:     PORT_DOWN"), "{desc}");
    assert!(desc.contains("state:      LINK_DOWN"), "{desc}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match watcher.recv_msg(left) {
            Some((_, Message::PortStatus { reason, port }))
                if port.port_no == PortNo(1) && port.config != 0 =>
            {
                break (reason, port)
            }
            Some(_) => {}
            None => panic!("no PORT_STATUS after mod-port"),
        }
    };
    assert_eq!(status.0, port_reason::MODIFY);
    assert_eq!(status.1.port_no, PortNo(1));
    assert_eq!(
        status.1.config & port_config::PORT_DOWN,
        port_config::PORT_DOWN
    );
    ofctl(port, &["mod-port"], &["1", "up"]);
    ofctl(port, &["mod-port"], &["b", "no-packet-in"]);
    let desc = ofctl(port, &["dump-ports-desc"], &[]);
    assert!(desc.contains("config:     NO_PACKET_IN"), "{desc}");
    assert!(!desc.contains("PORT_DOWN"), "{desc}");

    // A large dump is split over several replies (REPLY_MORE).
    ofctl(port, &["del-flows"], &[]);
    let many: String = (0..1500)
        .map(|i| {
            format!(
                "table=4,priority=7,ip,nw_dst=10.9.{}.{},actions=output:2\n",
                i / 250,
                i % 250
            )
        })
        .collect();
    let file = sw.path("many.txt");
    std::fs::write(&file, many).unwrap();
    ofctl(port, &["add-flows"], &[file.to_str().unwrap()]);
    let dump = ofctl(port, &["dump-flows"], &[]);
    assert_eq!(flow_lines(&dump).len(), 1500);
    let agg = ofctl(port, &["dump-aggregate"], &[]);
    assert!(agg.contains("flow_count=1500"), "{agg}");
    ofctl(port, &["del-flows"], &[]);
    assert!(flow_lines(&ofctl(port, &["dump-flows"], &[])).is_empty());
    assert_eq!(
        sw.ctl(&["dump-flows", "br0"])["flows"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    watcher.echo_ok("watcher after everything");
}

#[test]
fn flows_from_ovs_ofctl_forward_packets() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, ta, tb) = two_taps(port, "");
    let (na, _nb) = hosts(&ta, &tb);
    assert_eq!(na.ping("10.0.0.2", 2), 0, "no flows: nothing forwarded");
    // Forget the failed ARP resolution (the kernel would wait before
    // retrying).
    let _ = na.exec(&["ip", "neigh", "flush", "all"]);
    ofctl(port, &["add-flow"], &["in_port=1,actions=output:2"]);
    ofctl(port, &["add-flow"], &["in_port=2,actions=output:1"]);
    assert_eq!(na.ping("10.0.0.2", 3), 3, "forwarded by the flows");
    let dump = ofctl(port, &["dump-flows"], &[]);
    assert!(!dump.contains("n_packets=0"), "counters credited: {dump}");
    ofctl(port, &["del-flows"], &[]);
    assert_eq!(
        na.ping("10.0.0.2", 2),
        0,
        "flows deleted: nothing forwarded"
    );
}

#[test]
fn bad_input_gets_exact_errors_and_the_connection_survives() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, ta, tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    c.echo_ok("fresh connection");

    // A length field below 8: BAD_LEN; the 8 header bytes are skipped.
    let short = [4u8, msg_type::ECHO_REQUEST, 0, 4, 0, 0, 0, 77];
    c.send_raw(&short);
    c.expect_error(77, (1, 6), &short, "length 4");
    c.echo_ok("after length < 8");

    // A header too short for its message (flow_mod of 16 bytes).
    let trunc = raw_msg(msg_type::FLOW_MOD, 78, &[0; 8]);
    c.send_raw(&trunc);
    c.expect_error(78, (1, 6), &trunc, "truncated flow_mod");
    c.echo_ok("after a truncated message");

    // A length beyond what was sent: the switch waits for the rest.
    let mut long = raw_msg(msg_type::BARRIER_REQUEST, 79, &[]);
    long[3] = 16;
    c.send_raw(&long);
    assert!(
        c.recv_bytes(Duration::from_millis(500)).is_none(),
        "nothing until the message is complete"
    );
    c.send_raw(&[0; 8]);
    let mut full = long.clone();
    full.extend_from_slice(&[0; 8]);
    c.expect_error(79, (1, 6), &full, "barrier with a body");
    c.echo_ok("after a split message");

    // An unknown message type.
    let unknown = raw_msg(99, 80, &[1, 2, 3, 4]);
    c.send_raw(&unknown);
    c.expect_error(80, (1, 1), &unknown, "type 99");
    c.echo_ok("after an unknown type");

    // FLOW_MODs the codec or the pipeline refuses.
    let refuse = |c: &mut OfClient, fm: FlowMod, tc: (u16, u16), what: &str| {
        let xid = c.next_xid();
        let bytes = codec::encode(xid, &Message::FlowMod(fm));
        c.send_raw(&bytes);
        c.expect_error(xid, tc, &bytes, what);
        c.echo_ok(what);
    };
    refuse(
        &mut c,
        flow_add(1, 1, FlowMatch::ANY, vec![Instruction::GotoTable(0)]),
        (3, 2),
        "goto backwards",
    );
    refuse(
        &mut c,
        flow_add(0, 1, FlowMatch::ANY, vec![output(99)]),
        (2, 4),
        "output:99",
    );
    refuse(
        &mut c,
        flow_add(
            0,
            1,
            FlowMatch::ANY,
            vec![Instruction::ApplyActions(vec![Action::Group(7)])],
        ),
        (2, 9),
        "group 7",
    );
    refuse(
        &mut c,
        flow_add(0, 1, FlowMatch::ANY, vec![Instruction::Meter(3), output(1)]),
        (12, 3),
        "meter 3",
    );
    // A duplicate OXM field (in_port twice), and tcp_dst without its
    // prerequisites (the codec will not encode either), built by hand.
    let dup = raw_flow_mod(
        81,
        &[
            0x80, 0, 0, 4, 0, 0, 0, 1, // in_port=1
            0x80, 0, 0, 4, 0, 0, 0, 2, // in_port=2
        ],
    );
    c.send_raw(&dup);
    c.expect_error(81, (4, 10), &dup, "duplicate in_port");
    let prereq = raw_flow_mod(82, &[0x80, 0, 0x1c, 2, 0, 80]); // tcp_dst=80
    c.send_raw(&prereq);
    c.expect_error(82, (4, 9), &prereq, "tcp_dst without ip_proto");
    c.echo_ok("after a duplicate field");

    // check_overlap against an entry of the same priority.
    let ip = match_of(&[(Field::EthType, 0x0800)]);
    let xid = c.send(&Message::FlowMod(flow_add(0, 10, ip, vec![])));
    c.barrier();
    let _ = xid;
    let mut over = flow_add(
        0,
        10,
        match_of(&[(Field::EthType, 0x0800), (Field::Ipv4Dst, 0x0a00_0001)]),
        vec![],
    );
    over.flags = flow_flags::CHECK_OVERLAP;
    refuse(&mut c, over, (5, 3), "check_overlap");

    // Other refusals: packet-out with a buffer, port-mod of no port,
    // setting table features, queue stats of no port, multipart that
    // cannot be split.
    let xid = c.next_xid();
    let po = codec::encode(
        xid,
        &Message::PacketOut {
            buffer_id: 5,
            in_port: PortNo::CONTROLLER,
            actions: vec![],
            data: vec![],
        },
    );
    c.send_raw(&po);
    c.expect_error(xid, (1, 8), &po, "packet-out buffer 5");
    let xid = c.next_xid();
    let pm = codec::encode(
        xid,
        &Message::PortMod {
            port_no: PortNo(42),
            hw_addr: [0; 6],
            config: port_config::PORT_DOWN,
            mask: port_config::PORT_DOWN,
            advertise: 0,
        },
    );
    c.send_raw(&pm);
    c.expect_error(xid, (7, 0), &pm, "port-mod of port 42");
    let xid = c.next_xid();
    let tf = codec::encode(
        xid,
        &Message::MultipartRequest {
            flags: 0,
            body: MultipartRequest::TableFeatures(vec![TableFeatures {
                table_id: 0,
                name: "t0".into(),
                metadata_match: 0,
                metadata_write: 0,
                config: 0,
                max_entries: 10,
                properties: vec![],
            }]),
        },
    );
    c.send_raw(&tf);
    c.expect_error(xid, (13, 5), &tf, "set table features");
    let xid = c.next_xid();
    let q = codec::encode(
        xid,
        &Message::MultipartRequest {
            flags: 0,
            body: MultipartRequest::Queue {
                port_no: PortNo(42),
                queue_id: 0xffff_ffff,
            },
        },
    );
    c.send_raw(&q);
    c.expect_error(xid, (9, 0), &q, "queue stats of port 42");
    let xid = c.next_xid();
    let more = codec::encode(
        xid,
        &Message::MultipartRequest {
            flags: 1,
            body: MultipartRequest::Desc,
        },
    );
    c.send_raw(&more);
    c.expect_error(xid, (1, 2), &more, "desc with REQ_MORE");
    c.echo_ok("after every refusal");

    // The connection still works for real requests, and so does the
    // datapath.
    let xid = c.send(&Message::MultipartRequest {
        flags: 0,
        body: MultipartRequest::Desc,
    });
    match c.reply(xid) {
        Message::MultipartReply {
            body: MultipartReply::Desc(d),
            ..
        } => {
            assert_eq!(d.mfr_desc, "ferroswitch");
            assert_eq!(d.dp_desc, "br0");
        }
        other => panic!("desc: {other:?}"),
    }
    let (na, _nb) = hosts(&ta, &tb);
    c.send(&Message::FlowMod(flow_add(
        0,
        100,
        match_of(&[(Field::InPort, 1)]),
        vec![output(2)],
    )));
    c.send(&Message::FlowMod(flow_add(
        0,
        100,
        match_of(&[(Field::InPort, 2)]),
        vec![output(1)],
    )));
    c.barrier();
    assert_eq!(na.ping("10.0.0.2", 3), 3, "ping through the switch");
    c.echo_ok("at the end");
}

/// An OFPFC_ADD flow mod (empty match) whose one APPLY_ACTIONS
/// instruction outputs to CONTROLLER with `max_len`, built by hand.
fn raw_controller_flow_mod(xid: u32, max_len: u16) -> Vec<u8> {
    let mut m = raw_flow_mod(xid, &[]);
    m.extend_from_slice(&[0, 4, 0, 24, 0, 0, 0, 0]); // OFPIT_APPLY_ACTIONS, len 24
    m.extend_from_slice(&[0, 0, 0, 16, 0xff, 0xff, 0xff, 0xfd]); // OFPAT_OUTPUT CONTROLLER
    m.extend_from_slice(&max_len.to_be_bytes());
    m.extend_from_slice(&[0; 6]);
    let len = m.len() as u16;
    m[2..4].copy_from_slice(&len.to_be_bytes());
    m
}

#[test]
fn controller_max_len_above_ofpcml_max_is_refused() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, _ta, _tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    // 0xffe6..=0xfffe are reserved (OpenFlow 1.3.5 §7.2.5):
    // OFPET_BAD_ACTION / OFPBAC_BAD_ARGUMENT, and nothing is installed.
    for (xid, max_len) in [(90, 0xffe6), (91, 0xfffe)] {
        let fm = raw_controller_flow_mod(xid, max_len);
        c.send_raw(&fm);
        c.expect_error(xid, (2, 5), &fm, &format!("max_len {max_len:#x}"));
        c.echo_ok("after a reserved max_len");
    }
    // The same action in a PACKET_OUT.
    let xid = c.next_xid();
    let po = codec::encode(
        xid,
        &Message::PacketOut {
            buffer_id: 0xffff_ffff,
            in_port: PortNo::CONTROLLER,
            actions: vec![Action::Output {
                port: PortNo::CONTROLLER,
                max_len: 0xfff0,
            }],
            data: vec![0; 60],
        },
    );
    c.send_raw(&po);
    c.expect_error(xid, (2, 5), &po, "packet-out max_len 0xfff0");
    c.echo_ok("after a packet-out with a reserved max_len");
    assert!(
        flow_lines(&ofctl(port, &["dump-flows"], &[])).is_empty(),
        "nothing installed"
    );

    // The limits themselves are fine.
    for (xid, max_len) in [(92, 0xffe5u16), (93, 0xffff)] {
        c.send_raw(&raw_controller_flow_mod(xid, max_len));
        c.barrier();
        let dump = ofctl(port, &["dump-flows"], &[]);
        let lines = flow_lines(&dump);
        assert_eq!(lines.len(), 1, "{dump}");
        assert!(
            lines[0].ends_with(&format!("actions=CONTROLLER:{max_len}")),
            "{dump}"
        );
    }
    // ovs-ofctl does not check the range itself (neither does OVS's
    // decoder): the switch refuses it.
    let (ok, _, err) = ofctl_try(
        port,
        &["add-flow"],
        &["priority=5,actions=controller:65520"],
    );
    assert!(!ok, "add-flow with max_len 65520 must fail");
    assert!(err.contains("OFPBAC_BAD_ARGUMENT"), "{err}");
    c.echo_ok("at the end");
}

#[test]
fn hello_negotiation_and_roles() {
    let port = free_port();
    let (_sw, _, _) = two_taps(port, "");
    // A peer that says HELLO and then nothing: probed after 5 s, dropped
    // after 15 s (checked at the end).
    let silent_since = Instant::now();
    let mut silent = OfClient::connect_raw(port);
    silent.send(&Message::Hello {
        bitmap: Some(1 << 4),
    });

    // Only OpenFlow 1.0 in the bitmap: HELLO_FAILED/INCOMPATIBLE, closed.
    let mut c = OfClient::connect_raw(port);
    let xid = c.send(&Message::Hello {
        bitmap: Some(1 << 1),
    });
    let _hello = c.recv_msg(Duration::from_secs(5)).expect("switch HELLO");
    match c.reply(xid) {
        Message::Error { kind, .. } => assert_eq!(kind, OfpErrorKind::HelloFailed(0)),
        other => panic!("expected HELLO_FAILED, got {other:?}"),
    }
    assert_eq!(
        c.recv_or_eof(Duration::from_secs(5)),
        Err(()),
        "connection closed"
    );

    // An OpenFlow 1.0 HELLO without a bitmap: same, in version 1.
    let mut c = OfClient::connect_raw(port);
    c.send_raw(&[1, 0, 0, 8, 0, 0, 0, 9]);
    let mut got_error = false;
    while let Ok(Some(m)) = c.recv_or_eof(Duration::from_secs(5)) {
        if m[1] == msg_type::ERROR {
            assert_eq!(m[0], 1, "error in the peer's version");
            assert_eq!(&m[8..12], &[0, 0, 0, 0], "HELLO_FAILED/INCOMPATIBLE");
            got_error = true;
        }
    }
    assert!(got_error);

    // A 1.5 HELLO whose bitmap includes 1.3 is accepted.
    let mut c = OfClient::connect_raw(port);
    let mut h = codec::encode(
        1,
        &Message::Hello {
            bitmap: Some((1 << 4) | (1 << 6)),
        },
    );
    h[0] = 6;
    c.send_raw(&h);
    let xid = c.send(&Message::FeaturesRequest);
    match c.reply(xid) {
        Message::FeaturesReply {
            datapath_id,
            n_buffers,
            capabilities,
            ..
        } => {
            assert_eq!(datapath_id, 0xa1);
            assert_eq!(n_buffers, 0);
            assert_eq!(capabilities, 0xf);
        }
        other => panic!("features: {other:?}"),
    }

    // Roles: generation ids, master demotes master, slaves are refused.
    let mut a = OfClient::connect(port);
    let mut b = OfClient::connect(port);
    let role_req = |c: &mut OfClient, r: u32, g: u64| {
        let xid = c.send(&Message::RoleRequest {
            role: r,
            generation_id: g,
        });
        c.reply(xid)
    };
    assert_eq!(
        role_req(&mut a, role::MASTER, 10),
        Message::RoleReply {
            role: role::MASTER,
            generation_id: 10
        }
    );
    match role_req(&mut b, role::MASTER, 5) {
        Message::Error { kind, .. } => assert_eq!(kind, OfpErrorKind::RoleRequestFailed(0)),
        other => panic!("stale generation id: {other:?}"),
    }
    assert_eq!(
        role_req(&mut b, role::SLAVE, 11),
        Message::RoleReply {
            role: role::SLAVE,
            generation_id: 11
        }
    );
    let xid = b.next_xid();
    let fm = codec::encode(
        xid,
        &Message::FlowMod(flow_add(0, 1, FlowMatch::ANY, vec![output(2)])),
    );
    b.send_raw(&fm);
    b.expect_error(xid, (1, 10), &fm, "slave flow_mod");
    // Async config: defaults, then set and read back.
    let xid = b.send(&Message::GetAsyncRequest);
    match b.reply(xid) {
        Message::GetAsyncReply(cfg) => {
            assert_eq!(cfg.packet_in_mask, [7, 0]);
            assert_eq!(cfg.port_status_mask, [7, 7]);
            assert_eq!(cfg.flow_removed_mask, [15, 0]);
        }
        other => panic!("get_async: {other:?}"),
    }
    let cfg = codec::AsyncConfig {
        packet_in_mask: [1, 1],
        port_status_mask: [4, 4],
        flow_removed_mask: [15, 0],
    };
    b.send(&Message::SetAsync(cfg));
    let xid = b.send(&Message::GetAsyncRequest);
    assert_eq!(b.reply(xid), Message::GetAsyncReply(cfg));
    // b becomes master: a is demoted to slave.
    assert_eq!(
        role_req(&mut b, role::MASTER, 12),
        Message::RoleReply {
            role: role::MASTER,
            generation_id: 12
        }
    );
    assert_eq!(
        role_req(&mut a, role::NOCHANGE, 0),
        Message::RoleReply {
            role: role::SLAVE,
            generation_id: 12
        }
    );
    let xid = b.send(&Message::FlowMod(flow_add(
        0,
        1,
        FlowMatch::ANY,
        vec![output(2)],
    )));
    b.barrier();
    let _ = xid;
    // Config round trip.
    b.send(&Message::SetConfig {
        flags: 0,
        miss_send_len: 256,
    });
    let xid = b.send(&Message::GetConfigRequest);
    assert_eq!(
        b.reply(xid),
        Message::GetConfigReply {
            flags: 0,
            miss_send_len: 256
        }
    );
    a.echo_ok("demoted master");
    b.echo_ok("new master");

    // FLOW_REMOVED for flows with SEND_FLOW_REM: a hard timeout, then a
    // delete; to the master only (slaves get none by default).
    let mut timed = flow_add(5, 9, match_of(&[(Field::InPort, 1)]), vec![output(2)]);
    timed.hard_timeout = 1;
    timed.cookie = 0x77;
    timed.flags = flow_flags::SEND_FLOW_REM;
    b.send(&Message::FlowMod(timed));
    let mut kept = flow_add(5, 8, match_of(&[(Field::InPort, 2)]), vec![output(1)]);
    kept.cookie = 0x78;
    kept.flags = flow_flags::SEND_FLOW_REM;
    b.send(&Message::FlowMod(kept));
    b.barrier();
    let removed = |c: &mut OfClient, cookie: u64| -> (u8, u8) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match c.recv_msg(left) {
                Some((
                    _,
                    Message::FlowRemoved {
                        cookie: k,
                        reason,
                        table_id,
                        ..
                    },
                )) if k == cookie => return (reason, table_id),
                Some(_) => {}
                None => panic!("no FLOW_REMOVED for cookie {cookie:#x}"),
            }
        }
    };
    assert_eq!(removed(&mut b, 0x77), (1, 5), "hard timeout in table 5");
    b.send(&Message::FlowMod(FlowMod {
        command: FlowModCommand::Delete,
        table_id: 5,
        ..FlowMod::default()
    }));
    assert_eq!(removed(&mut b, 0x78), (2, 5), "deleted");
    while let Some((_, m)) = a.recv_msg(Duration::from_millis(300)) {
        assert!(!matches!(m, Message::FlowRemoved { .. }), "slave got {m:?}");
    }

    // The silent peer got an echo request and was then disconnected.
    let mut probed = false;
    loop {
        match silent.recv_or_eof(Duration::from_secs(20)) {
            Ok(Some(m)) => probed |= m[1] == msg_type::ECHO_REQUEST,
            Ok(None) => panic!("the silent peer was not disconnected"),
            Err(()) => break,
        }
    }
    let after = silent_since.elapsed();
    assert!(probed, "inactivity probe sent");
    assert!(
        after >= Duration::from_secs(14) && after < Duration::from_secs(25),
        "disconnected after {after:?}"
    );
}
