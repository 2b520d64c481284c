//! Loading many flows over OpenFlow: `ferroctl add-flows` in pipelined
//! chunks, and flow adds written together, which the switch publishes as
//! one pipeline version while they behave as applied one by one.
mod common;

use common::free_port;
use common::openflow::*;
use control::ofp::codec::{self, Message, MultipartReply, MultipartRequest};
use control::ofp::PortNo;
use control::pipeline::{FlowMatch, FlowModCommand};
use fastpath::flow::Field;

#[test]
fn ferroctl_add_flows_is_pipelined_and_stops_after_a_refused_chunk() {
    let (sw, _ta, _tb) = common::two_taps("listen = []", false);
    // Line 1 a comment; flows on lines 2..=3501; the one on line 1501
    // (in the second chunk of 1000) outputs to a port the bridge lacks.
    let mut text = String::from("# 3500 flows, one refused\n");
    for k in 0..3500u32 {
        if k == 1499 {
            text.push_str("priority=10,ip,nw_dst=10.99.99.99,actions=output:9\n");
        } else {
            text.push_str(&format!(
                "priority=10,ip,nw_dst=10.1.{}.{},actions=output:2\n",
                k >> 8,
                k & 255
            ));
        }
    }
    let file = sw.path("load.flows");
    std::fs::write(&file, text).unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    assert!(!out.status.success(), "a refused line fails add-flows");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1501: flow refused: OFPET_BAD_ACTION OFPBAC_BAD_OUT_PORT"),
        "{err}"
    );
    assert!(
        err.contains("priority=10,ip,nw_dst=10.99.99.99,actions=output:9"),
        "{err}"
    );
    assert!(
        err.contains("stopped at the refusal: 1500 flows not sent (lines 2002 to 3501)"),
        "{err}"
    );
    // Both chunks sent are installed, but for the refused line.
    let flows = sw.ctl(&["dump-flows", "br0"]);
    let flows = flows["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1999);
    // The same file without its bad line loads whole.
    let good: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("output:9"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&file, good).unwrap();
    let out = sw.ctl_text(&["add-flows", "br0", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        sw.ctl(&["dump-flows", "br0"])["flows"]
            .as_array()
            .unwrap()
            .len(),
        3499
    );
}

/// An aggregate stats request for every flow entry: its xid and bytes.
fn count_request(c: &mut OfClient) -> (u32, Vec<u8>) {
    let xid = c.next_xid();
    let m = Message::MultipartRequest {
        flags: 0,
        body: MultipartRequest::Aggregate(codec::FlowStatsRequest {
            table_id: 0xff,
            out_port: PortNo::ANY,
            out_group: 0xffff_ffff,
            cookie: 0,
            cookie_mask: 0,
            match_: FlowMatch::ANY,
        }),
    };
    (xid, codec::encode(xid, &m))
}

/// The flow count in the aggregate reply to `xid`.
fn flow_count(c: &mut OfClient, xid: u32) -> u32 {
    match c.reply(xid) {
        Message::MultipartReply {
            body: MultipartReply::Aggregate(a),
            ..
        } => a.flow_count,
        other => panic!("expected an aggregate reply, got {other:?}"),
    }
}

/// Flow adds that arrive together are published as one snapshot (each
/// classifier shard copied once), yet behave as if applied one by one: a
/// refused add gets its own error and the others stay, and any other
/// message in the same write (a stats request, a delete, a barrier) sees
/// every add before it.
#[test]
fn flow_adds_in_one_write_behave_as_applied_one_by_one() {
    let port = free_port();
    let (_sw, _ta, _tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    let dst = |k: u128| match_of(&[(Field::EthType, 0x800), (Field::Ipv4Dst, 0x0a01_0000 + k)]);
    let add = |c: &mut OfClient, k: u128, out: u32| {
        let xid = c.next_xid();
        (
            xid,
            codec::encode(
                xid,
                &Message::FlowMod(flow_add(0, 10, dst(k), vec![output(out)])),
            ),
        )
    };
    let mut write = Vec::new();
    for k in 0..50 {
        write.extend(add(&mut c, k, 2).1);
    }
    let (bad_xid, bad) = add(&mut c, 99, 9);
    write.extend(&bad);
    for k in 50..100 {
        write.extend(add(&mut c, k, 2).1);
    }
    let (count, req) = count_request(&mut c);
    write.extend(req);
    c.send_raw(&write);
    c.expect_error(bad_xid, (2, 4), &bad, "output to a missing port");
    assert_eq!(
        flow_count(&mut c, count),
        100,
        "the refused add alone is missing"
    );

    // Adds, a strict delete of one of them, more adds, then a barrier, in
    // one write: the delete sees the adds before it.
    let mut write = Vec::new();
    for k in 100..110 {
        write.extend(add(&mut c, k, 1).1);
    }
    let mut del = flow_add(0, 10, dst(105), vec![]);
    del.command = FlowModCommand::DeleteStrict;
    write.extend(codec::encode(c.next_xid(), &Message::FlowMod(del)));
    for k in 110..120 {
        write.extend(add(&mut c, k, 1).1);
    }
    let (count, req) = count_request(&mut c);
    write.extend(req);
    let barrier = c.next_xid();
    write.extend(codec::encode(barrier, &Message::BarrierRequest));
    c.send_raw(&write);
    assert_eq!(flow_count(&mut c, count), 119);
    assert_eq!(c.reply(barrier), Message::BarrierReply);
    c.echo_ok("the connection lives on");
}
