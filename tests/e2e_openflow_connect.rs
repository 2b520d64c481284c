//! How OpenFlow connections are made: the switch connects out to a
//! configured controller (and back after a drop), and a `listen` port
//! another process holds is bound once it is free; `ferroctl show` tells
//! the state of each.
mod common;

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::free_port;
use common::openflow::*;
use control::ofp::codec::Message;

#[test]
fn connects_to_a_configured_controller() {
    // The test is the controller: the switch connects to it.
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let caddr = l.local_addr().unwrap();
    let port = free_port();
    let (sw, _, _) = two_taps(port, &format!("controllers = [\"tcp:{caddr}\"]"));
    l.set_nonblocking(false).unwrap();
    let (s, _) = accept_within(&l, Duration::from_secs(15));
    s.set_nodelay(true).unwrap();
    let mut c = OfClient {
        s,
        buf: Vec::new(),
        xid: 1,
    };
    let (_, m) = c.recv_msg(Duration::from_secs(5)).expect("HELLO");
    assert!(matches!(m, Message::Hello { .. }), "{m:?}");
    c.send(&Message::Hello {
        bitmap: Some(1 << 4),
    });
    let xid = c.send(&Message::FeaturesRequest);
    match c.reply(xid) {
        Message::FeaturesReply { datapath_id, .. } => assert_eq!(datapath_id, 0xa1),
        other => panic!("features: {other:?}"),
    }
    let xid = c.send(&Message::RoleRequest {
        role: 2,
        generation_id: 1,
    });
    assert!(matches!(c.reply(xid), Message::RoleReply { role: 2, .. }));
    // ferroctl show: the controller is connected, as master; the listener
    // listens.
    let ctrl = format!("tcp:{caddr}");
    let of = openflow_status(&sw);
    assert_eq!(
        endpoint(&of, "controller", &ctrl)["state"],
        "connected",
        "{of}"
    );
    let listen = format!("tcp:127.0.0.1:{port}");
    assert_eq!(
        endpoint(&of, "listen", &listen)["state"],
        "listening",
        "{of}"
    );
    let conns = of["connections"].as_array().expect("connections");
    assert!(
        conns
            .iter()
            .any(|c| c["peer"] == ctrl.as_str() && c["role"] == "master" && c["ready"] == true),
        "{of}"
    );
    let text = String::from_utf8_lossy(&sw.ctl_text(&["show"]).stdout).into_owned();
    assert!(
        text.contains(&format!("    controller {ctrl}: connected ("))
            && text.contains(&format!("    listen {listen}: listening ("))
            && text.contains(&format!("{ctrl}: master, ")),
        "{text}"
    );
    // Dropping the connection: the switch comes back (backoff 1 s).
    drop(c);
    let (s, _) = accept_within(&l, Duration::from_secs(15));
    let mut c = OfClient {
        s,
        buf: Vec::new(),
        xid: 1,
    };
    let (_, m) = c.recv_msg(Duration::from_secs(5)).expect("HELLO again");
    assert!(matches!(m, Message::Hello { .. }), "{m:?}");
}

#[test]
fn a_listener_whose_port_is_taken_opens_once_it_is_free() {
    require_ovs_ofctl();
    // Another process holds the port when the switch starts.
    let port = free_port();
    let holder = TcpListener::bind(("127.0.0.1", port)).expect("bind the port first");
    // And a controller address nothing listens on.
    let dead = free_port();
    let ctrl = format!("tcp:127.0.0.1:{dead}");
    let (sw, _, _) = two_taps(port, &format!("controllers = [\"{ctrl}\"]"));
    // The switch runs meanwhile, and ferroctl show tells why it does not
    // listen, and why the controller is not connected.
    let listen = format!("tcp:127.0.0.1:{port}");
    let of = openflow_status(&sw);
    let l = endpoint(&of, "listen", &listen);
    assert_eq!(l["state"], "cannot bind, retrying", "{of}");
    assert!(
        l["error"].as_str().is_some_and(|e| e.contains("in use")),
        "{of}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let of = openflow_status(&sw);
        let c = endpoint(&of, "controller", &ctrl);
        if c["state"] == "disconnected, retrying" {
            assert!(
                c["error"].as_str().is_some_and(|e| e.contains("refused")),
                "{of}"
            );
            break;
        }
        assert_eq!(c["state"], "connecting", "{of}");
        assert!(Instant::now() < deadline, "never refused: {of}");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(holder);
    // The retries (1, 2, 4, 8 s apart) bind it: a connection that completes
    // is the switch's.
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the switch never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let show = ofctl(port, &["show"], &[]);
    assert!(show.contains("dpid:00000000000000a1"), "{show}");
    let of = openflow_status(&sw);
    assert_eq!(
        endpoint(&of, "listen", &listen)["state"],
        "listening",
        "{of}"
    );
    // The controller has been down since the start (over 2.5 s by now),
    // retried 1 s and then 2 s later: its time counts from the first
    // failure, not from the last attempt.
    std::thread::sleep(Duration::from_millis(1500));
    let of = openflow_status(&sw);
    let c = endpoint(&of, "controller", &ctrl);
    assert_eq!(c["state"], "disconnected, retrying", "{of}");
    assert!(c["secs"].as_u64().is_some_and(|s| s >= 2), "{of}");
    let mut sw = sw;
    let (_, log) = sw.stop_with(nix::sys::signal::Signal::SIGTERM);
    assert!(
        log.contains(&format!("cannot listen on tcp:127.0.0.1:{port}"))
            && log.contains("(after retries)"),
        "the log tells the first bind failed and a retry succeeded:\n{log}"
    );
}

/// `ferroctl show`'s OpenFlow part for the bridge.
fn openflow_status(sw: &common::Switch) -> serde_json::Value {
    let v = sw.ctl(&["show"]);
    let of = &v["openflow"][0];
    assert_eq!(of["bridge"], "br0", "{v}");
    of.clone()
}

/// The listener or controller `addr` in `openflow_status`.
fn endpoint<'a>(of: &'a serde_json::Value, kind: &str, addr: &str) -> &'a serde_json::Value {
    of["endpoints"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"] == kind && e["addr"] == addr))
        .unwrap_or_else(|| panic!("no {kind} {addr}: {of}"))
}

fn accept_within(l: &TcpListener, t: Duration) -> (TcpStream, std::net::SocketAddr) {
    l.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + t;
    loop {
        match l.accept() {
            Ok((s, a)) => {
                s.set_nonblocking(false).unwrap();
                return (s, a);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the switch never connected");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}
