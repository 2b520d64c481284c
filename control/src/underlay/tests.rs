//! Translation of outputs to tunnel ports: the header built from the
//! port's options, the flow's tunnel metadata and the underlay tables,
//! and the megaflow mask (tunnel fields only when read from the packet).
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastpath::actions::DpAction;
use fastpath::flow::{Field, FlowKey};
use fsconfig::{Inherit, TunnelConfig, TunnelKey, TunnelRemote, TunnelType, UnderlayConfig};

use super::{BridgeTunnels, NeighbourState, Underlay};
use crate::bridge::Bridge;
use crate::flowsyntax::{self, NoPortNames};
use crate::pipeline::{BridgePorts, PortInfo, TranslateOptions, Translation};

const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 168, 50, 1);
const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

fn tunnel(name: &str, ofport: u32, remote: TunnelRemote, key: TunnelKey) -> TunnelConfig {
    TunnelConfig {
        name: name.into(),
        ofport,
        tunnel_type: TunnelType::Vxlan,
        remote_ip: remote,
        local_ip: LOCAL,
        key,
        dst_port: 4789,
        tos: Inherit::Value(0),
        ttl: Inherit::Inherit,
        df: true,
        csum: false,
    }
}

struct Setup {
    bridge: Bridge,
    tunnels: BridgeTunnels,
}

fn underlay_config(neighbours: Vec<(Ipv4Addr, [u8; 6])>) -> UnderlayConfig {
    UnderlayConfig {
        port: "up".into(),
        ip: LOCAL,
        prefix_len: 24,
        mtu: 1500,
        routes: vec!["10.9.0.0/16 via 192.168.50.254".parse().unwrap()],
        neighbours,
        neighbour_timeout: 60,
    }
}

fn setup(flows: &[&str]) -> Setup {
    let tunnels = vec![
        tunnel(
            "vx0",
            10,
            TunnelRemote::Ip(Ipv4Addr::new(192, 168, 50, 2)),
            TunnelKey::Fixed(42),
        ),
        tunnel("vxf", 11, TunnelRemote::Flow, TunnelKey::Flow),
    ];
    let cfg = underlay_config(Vec::new());
    let underlay = Arc::new(Underlay::new(&cfg, 0, 0, MAC, &tunnels));
    let ports = BridgePorts::new(
        [(1, 0), (2, 1)]
            .iter()
            .map(|&(ofport, index)| PortInfo {
                ofport,
                index,
                live: true,
                no_flood: false,
            })
            .collect(),
    );
    let bridge = Bridge::new("br0", ports, vec![("vx0".into(), 10), ("vxf".into(), 11)]);
    bridge.translator.pipeline().set_tunnel_ports(vec![10, 11]);
    let lines: Vec<String> = flows.iter().map(|s| s.to_string()).collect();
    bridge.add_flows(&lines).unwrap();
    Setup {
        bridge,
        tunnels: BridgeTunnels {
            underlay,
            ports: tunnels,
        },
    }
}

fn xl(s: &Setup, packet: &str) -> Translation {
    let key: FlowKey = flowsyntax::parse_packet(packet, &NoPortNames).unwrap();
    s.bridge
        .translator
        .pipeline()
        .snapshot()
        .translate_with_tunnels(&key, &TranslateOptions::default(), Some(&s.tunnels))
}

fn header(t: &Translation) -> fastpath::tunnel::TunnelSpec {
    match t.actions.as_slice() {
        [DpAction::TunnelOutput { port: 0, header }] => header.spec,
        other => panic!("{other:?}"),
    }
}

#[test]
fn fixed_port_resolves_next_hop_with_arp() {
    let s = setup(&["in_port=2,actions=output:vx0"]);
    let t = xl(&s, "in_port=2,ip,nw_src=10.0.0.1,nw_dst=10.0.0.2");
    let h = header(&t);
    assert_eq!(h.key, Some(42));
    assert_eq!(h.dst_ip, u32::from(Ipv4Addr::new(192, 168, 50, 2)));
    assert_eq!((h.tos, h.ttl), (Some(0), None));
    assert_eq!(h.dst_mac, None, "not resolved yet");
    assert_eq!(t.mask, FlowKey::field_mask(Field::InPort));
    // The translation asked for resolution: the control side ARPs now
    // and again a second later, not before.
    let now = Instant::now();
    let out = s.tunnels.underlay.tick(now);
    assert_eq!(out.send.len(), 1);
    assert_eq!(&out.send[0][..6], &[0xff; 6]);
    assert_eq!(&out.send[0][38..42], &[192, 168, 50, 2]);
    assert!(s.tunnels.underlay.tick(now).send.is_empty());
    assert_eq!(
        s.tunnels
            .underlay
            .tick(now + std::time::Duration::from_secs(1))
            .send
            .len(),
        1
    );
    let n = s.tunnels.underlay.neighbours();
    assert_eq!(
        (n[0].mac, n[0].state),
        (None, NeighbourState::Incomplete { tries: 2 })
    );
    // Learnt: the next translation has the MAC.
    let peer = [2, 0, 0, 0, 0, 2];
    assert!(s
        .tunnels
        .underlay
        .learn(Ipv4Addr::new(192, 168, 50, 2), peer));
    assert!(!s
        .tunnels
        .underlay
        .learn(Ipv4Addr::new(192, 168, 50, 2), peer));
    assert_eq!(header(&xl(&s, "in_port=2,ip")).dst_mac, Some(peer));
    assert!(s
        .tunnels
        .underlay
        .tick(now + std::time::Duration::from_secs(5))
        .send
        .is_empty());
}

#[test]
fn flow_port_takes_metadata_set_by_the_flow_without_unwildcarding() {
    let s =
        setup(&["in_port=2,actions=set_field:7->tun_id,set_field:10.9.3.4->tun_dst,output:vxf"]);
    let t = xl(&s, "in_port=2,ip");
    let h = header(&t);
    assert_eq!(h.key, Some(7));
    assert_eq!(h.dst_ip, u32::from(Ipv4Addr::new(10, 9, 3, 4)));
    // Constants: only in_port in the mask.
    assert_eq!(t.mask, FlowKey::field_mask(Field::InPort));
    // The route via 192.168.50.254 is what gets resolved.
    let out = s.tunnels.underlay.tick(Instant::now());
    assert_eq!(&out.send[0][38..42], &[192, 168, 50, 254]);
}

#[test]
fn flow_port_reading_received_metadata_unwildcards_it() {
    // From one tunnel back out of the flow-based one, with the received
    // VNI and remote.
    let s = setup(&[
        "in_port=10,actions=output:vxf",
        "in_port=11,actions=output:vxf",
    ]);
    let t = xl(&s, "in_port=10,tun_id=0x63,tun_dst=10.9.0.8,ip");
    let h = header(&t);
    assert_eq!(
        (h.key, h.dst_ip),
        (Some(0x63), u32::from(Ipv4Addr::new(10, 9, 0, 8)))
    );
    let mut want = FlowKey::field_mask(Field::InPort);
    want.or_assign(&FlowKey::field_mask(Field::TunnelId));
    want.or_assign(&FlowKey::field_mask(Field::TunIpv4Dst));
    assert_eq!(t.mask, want);
    // No tun_dst: skipped (dropped), not sent to 0.0.0.0.
    assert!(xl(&s, "in_port=10,ip").actions.is_empty());
    // Back out of the tunnel it came from: skipped.
    assert!(xl(&s, "in_port=11,tun_dst=10.9.0.8,ip").actions.is_empty());
}

#[test]
fn routes_change_and_unroutable_remote() {
    let s = setup(&["in_port=2,actions=set_field:172.16.0.1->tun_dst,output:vxf"]);
    // No route: unresolved header, no ARP.
    assert_eq!(header(&xl(&s, "in_port=2")).dst_mac, None);
    assert!(s.tunnels.underlay.tick(Instant::now()).send.is_empty());
    assert!(s
        .tunnels
        .underlay
        .route_add("172.16.0.0/12 via 192.168.50.9".parse().unwrap()));
    let _ = xl(&s, "in_port=2");
    let out = s.tunnels.underlay.tick(Instant::now());
    assert_eq!(&out.send[0][38..42], &[192, 168, 50, 9]);
    assert!(s
        .tunnels
        .underlay
        .route_del(Ipv4Addr::new(172, 16, 0, 0), 12)
        .is_ok());
    assert!(s
        .tunnels
        .underlay
        .route_del(Ipv4Addr::new(172, 16, 0, 0), 12)
        .is_err());
}

/// (eth_dst, ARP op, target IP) of an ARP frame we send.
fn arp_sent(f: &[u8]) -> ([u8; 6], u16, [u8; 4]) {
    (
        f[..6].try_into().unwrap(),
        u16::from_be_bytes([f[20], f[21]]),
        f[38..42].try_into().unwrap(),
    )
}

#[test]
fn learnt_neighbours_are_refreshed_then_expire() {
    let s = setup(&["in_port=2,actions=output:vx0"]);
    let u = &s.tunnels.underlay;
    let remote = Ipv4Addr::new(192, 168, 50, 2);
    let peer = [2, 0, 0, 0, 0, 2];
    let t0 = Instant::now();
    let at = |secs: f64| t0 + Duration::from_secs_f64(secs);
    assert_eq!(header(&xl(&s, "in_port=2,ip")).dst_mac, None);
    assert_eq!(u.tick(t0).send.len(), 1, "resolution");
    assert!(u.learn_at(remote, peer, t0));
    assert_eq!(header(&xl(&s, "in_port=2,ip")).dst_mac, Some(peer));
    // Timeout 60 s: quiet until 3/4 of it.
    let out = u.tick(at(44.9));
    assert!(out.send.is_empty() && !out.changed);
    assert_eq!(
        u.neighbours_at(at(44.9))[0].state,
        NeighbourState::Reachable {
            age: Duration::from_secs_f64(44.9)
        }
    );
    // Then asked for every second: unicast to the known MAC three
    // times, then broadcast; the table (so the datapath) is untouched.
    let mut sent = Vec::new();
    for t in [45.0, 45.5, 46.0, 47.0, 48.0] {
        let out = u.tick(at(t));
        assert!(!out.changed, "at {t} s");
        sent.extend(out.send.iter().map(|f| arp_sent(f)));
    }
    let ip = remote.octets();
    assert_eq!(
        sent,
        vec![
            (peer, 1, ip),
            (peer, 1, ip),
            (peer, 1, ip),
            ([0xff; 6], 1, ip)
        ]
    );
    assert!(matches!(
        u.neighbours_at(at(48.0))[0].state,
        NeighbourState::Refreshing { probes: 4, .. }
    ));
    assert_eq!(header(&xl(&s, "in_port=2,ip")).dst_mac, Some(peer));
    // The reply renews it without a change to publish.
    assert!(!u.learn_at(remote, peer, at(48.5)));
    let out = u.tick(at(100.0));
    assert!(!out.changed, "confirmed at 48.5 s: not expired at 100 s");
    assert_eq!(arp_sent(&out.send[0]), (peer, 1, ip), "probes start over");
    // No answer this time: gone at 48.5 + 60 s, and the next translation
    // resolves it afresh (broadcast).
    assert!(!u.tick(at(108.4)).changed);
    let out = u.tick(at(108.5));
    assert!(out.changed, "expired");
    assert!(u.neighbours_at(at(108.5)).is_empty());
    assert_eq!(header(&xl(&s, "in_port=2,ip")).dst_mac, None);
    let out = u.tick(at(108.6));
    assert_eq!(
        out.send.iter().map(|f| arp_sent(f)).collect::<Vec<_>>(),
        vec![([0xff; 6], 1, ip)]
    );
}

#[test]
fn static_neighbours_never_age_nor_change() {
    let gw = Ipv4Addr::new(192, 168, 50, 254);
    let mac = [2, 0, 0, 0, 0, 0xfe];
    let u = Underlay::new(&underlay_config(vec![(gw, mac)]), 0, 0, MAC, &[]);
    let t0 = Instant::now();
    assert!(
        !u.learn_at(gw, [2, 9, 9, 9, 9, 9], t0),
        "ARP does not override it"
    );
    for secs in [45, 60, 3600, 86400 * 2] {
        let out = u.tick(t0 + Duration::from_secs(secs));
        assert!(out.send.is_empty() && !out.changed);
    }
    let n = u.neighbours_at(t0 + Duration::from_secs(86400 * 2));
    assert_eq!((n[0].mac, n[0].state), (Some(mac), NeighbourState::Static));
}
