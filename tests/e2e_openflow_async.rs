//! OpenFlow messages the switch sends on its own, end to end: packet-ins
//! (reasons, miss_send_len, the controller meter, the match they carry)
//! and port status, with the port-mod bits that act on the datapath.
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::free_port;
use common::netns::Netns;
use common::openflow::*;
use common::{unique, Switch};
use control::ofp::codec::{self, port_config, port_reason, role, Message};
use fastpath::flow::Field;

#[test]
fn packet_ins_reach_the_controller() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, ta, tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    ofctl(port, &["add-flow"], &["priority=0,actions=CONTROLLER:128"]);
    let (na, _nb) = hosts(&ta, &tb);
    // ARP requests for 10.0.0.2 miss the (empty) tables → controller.
    let _ = na.exec(&["ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.2"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mac_a: Vec<u8> = MAC_A
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some((_, m)) = c.recv_msg(left) else {
            panic!("no ARP packet-in from port 1");
        };
        let Message::PacketIn {
            buffer_id,
            total_len,
            reason,
            table_id,
            match_,
            data,
            ..
        } = m
        else {
            continue;
        };
        assert_eq!(buffer_id, 0xffff_ffff);
        // b's kernel may send something of its own (IPv6 ND, MLD) too.
        let in_port = match_.get(Field::InPort).map(|(v, _)| v);
        assert!(matches!(in_port, Some(1 | 2)), "in_port {in_port:?}");
        assert!(data.len() <= 128 && usize::from(total_len) >= data.len());
        if data.len() >= 14 && data[12..14] == [0x08, 0x06] && data[6..12] == mac_a[..] {
            assert_eq!(in_port, Some(1), "a's ARP comes in on port 1");
            assert_eq!(reason, 0, "table miss: OFPR_NO_MATCH");
            assert_eq!(table_id, 0);
            break;
        }
    }
    // Port 1 with NO_PACKET_IN: nothing from it; back on: packet-ins again.
    ofctl(port, &["mod-port"], &["1", "no-packet-in"]);
    assert_eq!(
        packet_ins_from(&mut c, &na, 1),
        0,
        "port 1 has NO_PACKET_IN"
    );
    ofctl(port, &["mod-port"], &["1", "packet-in"]);
    assert!(
        packet_ins_from(&mut c, &na, 1) > 0,
        "port 1 sends packet-ins again"
    );
    // A slave does not get packet-ins (default async config).
    let xid = c.send(&Message::RoleRequest {
        role: role::SLAVE,
        generation_id: 1,
    });
    assert!(matches!(c.reply(xid), Message::RoleReply { role: r, .. } if r == role::SLAVE));
    assert_eq!(packet_ins_from(&mut c, &na, 1), 0, "slave got a packet-in");
}

/// Discards what is pending, pings from `ns` (whose packets miss the
/// tables), then counts the packet-ins from `in_port` that arrive.
fn packet_ins_from(c: &mut OfClient, ns: &Netns, in_port: u128) -> usize {
    while c.recv_msg(Duration::from_millis(300)).is_some() {}
    let _ = ns.exec(&["ip", "neigh", "flush", "all"]);
    let _ = ns.exec(&["ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.2"]);
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut n = 0;
    while let Some((_, m)) = c.recv_msg(deadline.saturating_duration_since(Instant::now())) {
        if let Message::PacketIn { match_, .. } = m {
            if match_.get(Field::InPort).map(|(v, _)| v) == Some(in_port) {
                n += 1;
            }
        }
    }
    n
}

/// Packet-ins from port 1 while `n` UDP packets with no matching flow
/// arrive there (the table-miss entry sends them to the controller).
fn udp_packet_ins(c: &mut OfClient, na: &Netns, n: usize) -> usize {
    while c.recv_msg(Duration::from_millis(300)).is_some() {}
    let script = format!("for i in $(seq {n}); do echo x > /dev/udp/10.0.0.2/9; done");
    let (ok, out) = na.exec(&["bash", "-c", &script]);
    assert!(ok, "{out}");
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut got = 0;
    while let Some((_, m)) = c.recv_msg(deadline.saturating_duration_since(Instant::now())) {
        if let Message::PacketIn { data, .. } = m {
            // IPv4/UDP to port 9.
            if data.len() >= 38
                && data[12..14] == [0x08, 0x00]
                && data[23] == 17
                && data[36..38] == [0, 9]
            {
                got += 1;
            }
        }
    }
    got
}

#[test]
fn controller_meter_limits_packet_ins() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, ta, tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    ofctl(port, &["add-flow"], &["priority=0,actions=CONTROLLER:128"]);
    let (na, _nb) = hosts(&ta, &tb);
    // A static neighbour, so the UDP packets themselves reach the switch.
    let (ok, out) = na.exec(&[
        "ip", "neigh", "replace", "10.0.0.2", "lladdr", MAC_B, "dev", &ta,
    ]);
    assert!(ok, "{out}");
    let free = udp_packet_ins(&mut c, &na, 40);
    assert!(
        free >= 35,
        "without a controller meter nearly all 40 arrive: {free}"
    );
    // OFPM_CONTROLLER with a 2 packets/s drop band.
    ofctl(
        port,
        &["add-meter"],
        &["meter=controller,pktps,bands=type=drop,rate=2"],
    );
    let metered = udp_packet_ins(&mut c, &na, 40);
    assert!(
        metered <= 8,
        "the controller meter drops most of them: {metered}"
    );
}

/// Collects packet-ins for `wait`; answers echo requests.
fn collect_packet_ins(c: &mut OfClient, wait: Duration) -> Vec<Message> {
    let deadline = Instant::now() + wait;
    let mut out = Vec::new();
    while let Some((_, m)) = c.recv_msg(deadline.saturating_duration_since(Instant::now())) {
        if matches!(m, Message::PacketIn { .. }) {
            out.push(m);
        }
    }
    out
}

/// (reason, data length, total_len) of each packet-in that carries an
/// IPv4 ICMP packet.
fn icmp_packet_ins(msgs: &[Message]) -> Vec<(u8, usize, u16)> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::PacketIn {
                reason,
                total_len,
                data,
                ..
            } if data.len() >= 24 && data[12..14] == [0x08, 0x00] && data[23] == 1 => {
                Some((*reason, data.len(), *total_len))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn miss_send_len_cuts_invalid_ttl_packet_ins_per_connection() {
    require_ovs_ofctl();
    let port = free_port();
    let (_sw, ta, tb) = two_taps(port, "");
    let mut short = OfClient::connect(port);
    let mut full = OfClient::connect(port);
    // SET_CONFIG is per connection: 64 bytes here, everything there.
    short.send(&Message::SetConfig {
        flags: 0,
        miss_send_len: 64,
    });
    full.send(&Message::SetConfig {
        flags: 0,
        miss_send_len: 0xffff,
    });
    for c in [&mut short, &mut full] {
        let xid = c.send(&Message::GetConfigRequest);
        assert!(matches!(c.reply(xid), Message::GetConfigReply { .. }));
    }
    let xid = short.send(&Message::GetConfigRequest);
    assert_eq!(
        short.reply(xid),
        Message::GetConfigReply {
            flags: 0,
            miss_send_len: 64
        }
    );
    // ARP is forwarded; IP goes through dec_ttl, so TTL-1 pings are
    // invalid-TTL packet-ins (not an output action: miss_send_len applies).
    ofctl(port, &["add-flow"], &["priority=10,arp,actions=FLOOD"]);
    ofctl(
        port,
        &["add-flow"],
        &["priority=10,ip,in_port=1,actions=dec_ttl,output:2"],
    );
    let (na, _nb) = hosts(&ta, &tb);
    let _ = na.exec(&[
        "ping", "-c", "2", "-i", "0.3", "-W", "1", "-t", "1", "-s", "300", "10.0.0.2",
    ]);
    let short_pis = icmp_packet_ins(&collect_packet_ins(&mut short, Duration::from_secs(2)));
    let full_pis = icmp_packet_ins(&collect_packet_ins(&mut full, Duration::from_secs(1)));
    assert!(!short_pis.is_empty(), "no invalid-TTL packet-in");
    assert!(!full_pis.is_empty(), "no invalid-TTL packet-in");
    // 14 (Ethernet) + 20 (IP) + 8 (ICMP) + 300 bytes of payload.
    for (reason, len, total) in &short_pis {
        assert_eq!(*reason, codec::packet_in_reason::INVALID_TTL);
        assert_eq!((*len, *total), (64, 342), "cut to miss_send_len 64");
    }
    for (_, len, total) in &full_pis {
        assert_eq!((*len, *total), (342, 342), "OFPCML_NO_BUFFER: all of it");
    }

    // An output:CONTROLLER action uses its own max_len, not miss_send_len.
    ofctl(
        port,
        &["add-flow"],
        &["priority=20,ip,in_port=1,actions=CONTROLLER:100"],
    );
    let _ = na.exec(&[
        "ping", "-c", "2", "-i", "0.3", "-W", "1", "-s", "300", "10.0.0.2",
    ]);
    let pis = icmp_packet_ins(&collect_packet_ins(&mut full, Duration::from_secs(2)));
    assert!(!pis.is_empty(), "no action packet-in");
    for (reason, len, total) in &pis {
        assert_eq!(*reason, codec::packet_in_reason::ACTION);
        assert_eq!((*len, *total), (100, 342), "cut to the action's max_len");
    }
    let pis = icmp_packet_ins(&collect_packet_ins(&mut short, Duration::from_millis(200)));
    assert!(pis.iter().all(|&(_, len, _)| len == 100), "{pis:?}");
    short.echo_ok("the connection lives on");
}

/// The next PORT_STATUS on `c` for `port_no` whose config has every bit
/// of `config_bits` (within 5 s): (reason, config, state). Others (an
/// earlier change, a link-state report) are skipped.
fn next_port_status(c: &mut OfClient, port_no: u32, config_bits: u32) -> (u8, u32, u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match c.recv_msg(deadline.saturating_duration_since(Instant::now())) {
            Some((_, Message::PortStatus { reason, port }))
                if port.port_no.0 == port_no && port.config & config_bits == config_bits =>
            {
                return (reason, port.config, port.state)
            }
            Some(_) => {}
            None => panic!("no PORT_STATUS for port {port_no}"),
        }
    }
}

#[test]
fn port_mod_config_bits_act_on_the_datapath() {
    require_ovs_ofctl();
    let port = free_port();
    let (sw, ta, tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    ofctl(port, &["add-flow"], &["in_port=1,actions=output:2"]);
    ofctl(port, &["add-flow"], &["in_port=2,actions=output:1"]);
    let (na, _nb) = hosts(&ta, &tb);
    assert_eq!(na.ping("10.0.0.2", 3), 3, "forwarding before any port-mod");
    let flush = || {
        let _ = na.exec(&["ip", "neigh", "flush", "all"]);
    };

    // no-forward on b: nothing goes out of b (megaflows are invalidated
    // before ovs-ofctl's barrier returns), and b reports it.
    ofctl(port, &["mod-port"], &["b", "no-forward"]);
    let (reason, config, _) = next_port_status(&mut c, 2, port_config::NO_FWD);
    assert_eq!(reason, port_reason::MODIFY);
    assert_eq!(config, port_config::NO_FWD);
    let tx_before = sw.port_stats("b")["tx_packets"].as_u64().unwrap();
    assert_eq!(na.ping("10.0.0.2", 2), 0, "b has no-forward");
    assert_eq!(
        sw.port_stats("b")["tx_packets"].as_u64().unwrap(),
        tx_before,
        "not one packet sent out of b"
    );
    ofctl(port, &["mod-port"], &["b", "forward"]);
    flush();
    na.pings_again("10.0.0.2", 3, "b forwards again");

    // no-receive on a: what a sends is dropped on the way in.
    ofctl(port, &["mod-port"], &["a", "no-receive"]);
    let (_, config, _) = next_port_status(&mut c, 1, port_config::NO_RECV);
    assert_eq!(config, port_config::NO_RECV);
    assert_eq!(na.ping("10.0.0.2", 2), 0, "a has no-receive");
    ofctl(port, &["mod-port"], &["a", "receive"]);
    flush();
    na.pings_again("10.0.0.2", 3, "a receives again");

    // down on b: neither direction; the port is reported down.
    ofctl(port, &["mod-port"], &["b", "down"]);
    let (_, config, state) = next_port_status(&mut c, 2, port_config::PORT_DOWN);
    assert_eq!(config & port_config::PORT_DOWN, port_config::PORT_DOWN);
    assert_eq!(state & 1, 1, "OFPPS_LINK_DOWN");
    assert_eq!(na.ping("10.0.0.2", 2), 0, "b is down");
    ofctl(port, &["mod-port"], &["b", "up"]);
    flush();
    na.pings_again("10.0.0.2", 3, "b is up again");

    // FLOOD leaves out a no-forward port.
    ofctl(port, &["del-flows"], &[]);
    ofctl(port, &["add-flow"], &["actions=FLOOD"]);
    ofctl(port, &["mod-port"], &["b", "no-forward"]);
    flush();
    assert_eq!(na.ping("10.0.0.2", 2), 0, "FLOOD skips b");
    ofctl(port, &["mod-port"], &["b", "forward"]);
    flush();
    na.pings_again("10.0.0.2", 3, "FLOOD reaches b again");
    c.echo_ok("the connection lives on");
}

#[test]
fn packet_in_match_carries_metadata() {
    require_ovs_ofctl();
    let port = free_port();
    let (sw, ta, tb) = two_taps(port, "");
    let mut c = OfClient::connect(port);
    ofctl(port, &["add-flow"], &["priority=10,arp,actions=FLOOD"]);
    ofctl(
        port,
        &["add-flow"],
        &["priority=10,ip,actions=write_metadata:0xab00/0xff00,goto_table:1"],
    );
    ofctl(
        port,
        &["add-flow"],
        &["table=1,priority=0,actions=CONTROLLER:128"],
    );
    let (na, _nb) = hosts(&ta, &tb);
    let _ = na.exec(&["ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.2"]);
    let pis = collect_packet_ins(&mut c, Duration::from_secs(2));
    let icmp: Vec<&Message> = pis
        .iter()
        .filter(|m| matches!(m, Message::PacketIn { data, .. } if data.len() > 23 && data[23] == 1))
        .collect();
    assert!(!icmp.is_empty(), "no packet-in from table 1: {pis:?}");
    for m in icmp {
        let Message::PacketIn {
            table_id, match_, ..
        } = m
        else {
            unreachable!()
        };
        assert_eq!(*table_id, 1);
        assert_eq!(match_.get(Field::InPort).map(|(v, _)| v), Some(1));
        assert_eq!(
            match_.get(Field::Metadata),
            Some((0xab00, u128::from(u64::MAX))),
            "metadata written by table 0"
        );
        assert_eq!(match_.get(Field::TunnelId), None, "no tunnel");
    }
    // ovs-ofctl decodes it too: a packet-in printed by `monitor` names the
    // metadata.
    // Line-buffered: `timeout` ends it with SIGTERM, which loses stdio
    // buffers.
    let mon = Command::new("stdbuf")
        .args(["-oL", "timeout", "6", "ovs-ofctl", "-O", "OpenFlow13"])
        .arg(format!("--unixctl={}", sw.path("ofctl.ctl").display()))
        .arg("monitor")
        .arg(format!("tcp:127.0.0.1:{port}"))
        .arg("65534")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ovs-ofctl monitor");
    std::thread::sleep(Duration::from_secs(1));
    let _ = na.exec(&["ping", "-c", "3", "-i", "0.3", "-W", "1", "10.0.0.2"]);
    let out = mon.wait_with_output().expect("monitor output");
    // (It prints packet-ins on stdout or stderr, depending on the version.)
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("metadata=0xab00,in_port=1"),
        "ovs-ofctl monitor: {text}"
    );
}

/// The flags of kernel interface `iface` (`<BROADCAST,...,UP,LOWER_UP>`).
fn link_flags(iface: &str) -> String {
    let out = common::sh("ip", &["-o", "link", "show", iface]);
    out.split(['<', '>']).nth(1).unwrap_or("").to_string()
}

#[test]
fn port_down_takes_the_tap_link_down() {
    require_ovs_ofctl();
    // The tap stays in this namespace, where DPDK's net_tap can reach it.
    let tap = unique("fsd");
    let sw = Switch::start(&format!(
        r#"
[[bridge]]
name = "br0"
listen = []
[[bridge.port]]
name = "a"
ofport = 1
devargs = "net_tap_{tap},iface={tap}"
"#
    ));
    let mgmt = format!("unix:{}", sw.run_dir().join("br0.mgmt").display());
    let ofctl_unix = |args: &[&str]| {
        common::sh(
            "timeout",
            &[&["20", "ovs-ofctl", "-O", "OpenFlow13"], args].concat(),
        )
    };
    let up = |flags: &str| flags.split(',').any(|f| f == "UP");
    assert!(up(&link_flags(&tap)), "{}", link_flags(&tap));
    ofctl_unix(&["mod-port", &mgmt, "a", "down"]);
    assert!(!up(&link_flags(&tap)), "down: {}", link_flags(&tap));
    let desc = ofctl_unix(&["dump-ports-desc", &mgmt]);
    assert!(
        desc.contains("PORT_DOWN") && desc.contains("LINK_DOWN"),
        "{desc}"
    );
    ofctl_unix(&["mod-port", &mgmt, "a", "up"]);
    assert!(up(&link_flags(&tap)), "up again: {}", link_flags(&tap));
}
