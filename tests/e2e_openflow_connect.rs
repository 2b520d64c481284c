//! How OpenFlow connections are made: the switch connects out to a
//! configured controller (and back after a drop), and a `listen` port
//! another process holds is bound once it is free.
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
    let (_sw, _, _) = two_taps(port, &format!("controllers = [\"tcp:{caddr}\"]"));
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
    let (sw, _, _) = two_taps(port, "");
    // The switch runs meanwhile (its management socket answers).
    let v = sw.ctl(&["show"]);
    assert!(
        v["bridges"].as_array().is_some_and(|b| !b.is_empty()),
        "{v}"
    );
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
    let mut sw = sw;
    let (_, log) = sw.stop_with(nix::sys::signal::Signal::SIGTERM);
    assert!(
        log.contains(&format!("cannot listen on tcp:127.0.0.1:{port}"))
            && log.contains("(after retries)"),
        "the log tells the first bind failed and a retry succeeded:\n{log}"
    );
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
