//! Human-readable tables for ferroctl's default output.
use std::fmt::Write;

use super::proto::{
    FlowsReply, GroupsReply, MegaflowsReply, MetersReply, OpenFlowInfo, PmdStatsReply,
    PortStatsReply, ShowReply, TraceReply,
};

/// Left-aligned text columns, separated by two spaces.
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, indent: &str) -> String {
        let n = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for r in &self.rows {
            let mut line = indent.to_string();
            for (i, c) in r.iter().enumerate() {
                if i + 1 == r.len() {
                    line.push_str(c);
                } else {
                    let _ = write!(line, "{c:<w$}  ", w = widths[i]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Queue numbers as ethtool lists them ("0,1,3"), or "none".
pub fn queue_list(queues: &[u16]) -> String {
    if queues.is_empty() {
        return "none".into();
    }
    let q: Vec<String> = queues.iter().map(u16::to_string).collect();
    q.join(",")
}

pub fn show(r: &ShowReply) -> String {
    let mut out = format!(
        "ferroswitch {} ({}), pid {}, control core {}, hugepages: {}\n",
        r.version,
        r.dpdk_version,
        r.pid,
        r.control_core,
        if r.hugepages { "yes" } else { "no (--no-huge)" }
    );
    for b in &r.bridges {
        let _ = writeln!(out, "bridge {} (datapath_id {})", b.name, b.datapath_id);
        let mut t = Table::new(&[
            "port", "ofport", "driver", "dpdk", "mac", "link", "rxq", "txq", "output", "devargs",
        ]);
        for p in &b.ports {
            t.row(vec![
                p.name.clone(),
                p.ofport.to_string(),
                p.driver.clone(),
                p.dpdk_port.to_string(),
                p.mac.clone(),
                if p.link_up {
                    format!("up {}", speed(p.link_speed_mbps))
                } else {
                    "down".into()
                },
                p.rx_queues.to_string(),
                p.tx_queues.to_string(),
                p.output.clone(),
                p.devargs.clone(),
            ]);
        }
        out.push_str(&t.render("  "));
        if let Some(of) = r.openflow.iter().find(|o| o.bridge == b.name) {
            openflow(&mut out, of);
        }
    }
    out.push_str("pmd threads\n");
    let mut t = Table::new(&["core", "lcore", "rx queues"]);
    for p in &r.pmds {
        let qs: Vec<String> = p
            .rx_queues
            .iter()
            .map(|q| format!("{}:{}", q.port, q.queue))
            .collect();
        t.row(vec![p.core.to_string(), p.lcore.to_string(), qs.join(" ")]);
    }
    out.push_str(&t.render("  "));
    for b in &r.bridges {
        for p in &b.ports {
            if let Some(q) = &p.tx_queues_enabled {
                let _ = writeln!(
                    out,
                    "port {}: the guest receives on tx queue(s) {}",
                    p.name,
                    queue_list(q)
                );
            }
        }
    }
    for (k, p) in r.pmds.iter().enumerate() {
        for h in &p.tx_handoffs {
            let _ = writeln!(
                out,
                "pmd {k} (core {}) hands its packets for {} to pmd {}, which sends them on tx queue {}",
                p.core, h.port, h.to_pmd, h.to_pmd
            );
        }
    }
    let m = &r.mempool;
    let _ = writeln!(
        out,
        "mempool {}: {} mbufs, {} in use",
        m.name, m.size, m.in_use
    );
    out
}

/// A bridge's OpenFlow listeners, controllers and connections.
fn openflow(out: &mut String, of: &OpenFlowInfo) {
    if of.endpoints.is_empty() && of.connections.is_empty() {
        out.push_str("  openflow: no listener or controller configured\n");
        return;
    }
    out.push_str("  openflow:\n");
    for e in &of.endpoints {
        let _ = write!(out, "    {} {}: {} ({} s)", e.kind, e.addr, e.state, e.secs);
        if let Some(why) = &e.error {
            let _ = write!(out, ": {why}");
        }
        out.push('\n');
    }
    for c in &of.connections {
        let _ = writeln!(
            out,
            "    connection #{} {}: {}{}, {} s, {} packet-ins sent",
            c.id,
            c.peer,
            c.role,
            if c.ready { "" } else { " (no HELLO yet)" },
            c.secs,
            c.packet_ins_sent
        );
    }
}

fn speed(mbps: u32) -> String {
    match mbps {
        0 => String::new(),
        m if m >= 1000 && m % 1000 == 0 => format!("{}G", m / 1000),
        m => format!("{m}M"),
    }
}

pub fn port_stats(r: &PortStatsReply) -> String {
    let mut t = Table::new(&[
        "bridge",
        "port",
        "ofport",
        "rx_pkts",
        "rx_bytes",
        "rx_drop",
        "rx_err",
        "rx_miss",
        "rx_nombuf",
        "tx_pkts",
        "tx_bytes",
        "tx_drop",
        "tx_err",
    ]);
    for p in &r.ports {
        t.row(vec![
            p.bridge.clone(),
            p.name.clone(),
            p.ofport.to_string(),
            p.rx_packets.to_string(),
            p.rx_bytes.to_string(),
            p.rx_dropped.to_string(),
            p.rx_errors.to_string(),
            p.rx_missed.to_string(),
            p.rx_nombuf.to_string(),
            p.tx_packets.to_string(),
            p.tx_bytes.to_string(),
            p.tx_dropped.to_string(),
            p.tx_errors.to_string(),
        ]);
    }
    t.render("")
}

pub fn pmd_stats(r: &PmdStatsReply) -> String {
    let mut out = format!("TSC {:.3} GHz\n", r.tsc_hz as f64 / 1e9);
    for p in &r.pmds {
        let qs: Vec<String> = p
            .rx_queues
            .iter()
            .map(|q| format!("{}:{}", q.port, q.queue))
            .collect();
        let _ = writeln!(
            out,
            "pmd core {} (lcore {}), rx queues {}:",
            p.core,
            p.lcore,
            qs.join(" ")
        );
        let drops: Vec<String> = p
            .drops
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        let mut t = Table::new(&["", ""]);
        for (k, v) in [
            ("packets", p.packets.to_string()),
            ("emc hits", p.emc_hits.to_string()),
            (
                "megaflow hits",
                format!(
                    "{} ({} without a search)",
                    p.megaflow_hits, p.megaflow_repeat_hits
                ),
            ),
            (
                "upcalls",
                format!(
                    "{} ({} not cached, {} deferred by the budget)",
                    p.upcalls, p.upcalls_not_cached, p.upcall_deferred
                ),
            ),
            (
                "subtables per search",
                format!("{:.2}", p.lookups_per_packet),
            ),
            ("megaflows", p.megaflows.to_string()),
            (
                "megaflows revalidated away",
                p.megaflows_revalidated.to_string(),
            ),
            ("malformed", p.malformed.to_string()),
            ("to controller", p.controller.to_string()),
            (
                "drops",
                if drops.is_empty() {
                    "0".into()
                } else {
                    drops.join(" ")
                },
            ),
            ("busy", format!("{:.1}%", p.busy_percent)),
            ("cycles/packet", format!("{:.0}", p.cycles_per_packet)),
            ("iterations", p.iterations.to_string()),
            (
                "busy/idle cycles",
                format!("{}/{}", p.busy_cycles, p.idle_cycles),
            ),
        ] {
            t.row(vec![format!("{k}:"), v]);
        }
        let table = t.render("  ");
        // Skip the empty header row.
        out.push_str(table.split_once('\n').map_or("", |(_, rest)| rest));
    }
    out
}

/// Like `ovs-ofctl dump-flows`: one line per flow.
pub fn flows(r: &FlowsReply) -> String {
    let mut out = String::new();
    for f in &r.flows {
        let mut line = format!(
            " cookie={:#x}, duration={:.3}s, table={}, n_packets={}, n_bytes={}, ",
            f.cookie, f.duration_s, f.table, f.n_packets, f.n_bytes
        );
        if f.idle_timeout > 0 {
            let _ = write!(line, "idle_timeout={}, ", f.idle_timeout);
        }
        if f.hard_timeout > 0 {
            let _ = write!(line, "hard_timeout={}, ", f.hard_timeout);
        }
        let _ = write!(line, "priority={}", f.priority);
        if !f.match_.is_empty() {
            let _ = write!(line, ",{}", f.match_);
        }
        let _ = writeln!(line, " actions={}", f.actions);
        out.push_str(&line);
    }
    out
}

/// Like `ovs-appctl dpctl/dump-flows`: one line per megaflow.
pub fn megaflows(r: &MegaflowsReply) -> String {
    let mut out = String::new();
    for m in &r.megaflows {
        let _ = writeln!(
            out,
            "pmd {} {}: {}, packets:{}, bytes:{}, used:{:.3}s, actions:{}",
            m.pmd, m.bridge, m.match_, m.packets, m.bytes, m.used_s, m.actions
        );
    }
    out
}

pub fn groups(r: &GroupsReply) -> String {
    let mut out = String::new();
    for g in &r.groups {
        let _ = writeln!(
            out,
            " {} (packets={}, bytes={})",
            g.desc, g.packets, g.bytes
        );
    }
    out
}

pub fn meters(r: &MetersReply) -> String {
    let mut out = String::new();
    for m in &r.meters {
        let bands: Vec<String> = m.band_packets.iter().map(|p| p.to_string()).collect();
        let _ = writeln!(
            out,
            " {} (packets_in={}, bytes_in={}, band packets={})",
            m.desc,
            m.packets_in,
            m.bytes_in,
            bands.join("/")
        );
    }
    out
}

/// Like `ovs-appctl ofproto/trace`.
pub fn trace(r: &TraceReply) -> String {
    let mut out = format!("Flow: {}\n", r.flow);
    for s in &r.steps {
        let _ = writeln!(
            out,
            "\n{}. {}",
            s.table,
            s.entry.as_deref().unwrap_or("No match (table miss)")
        );
        if !s.actions.is_empty() {
            let _ = writeln!(out, "    {}", s.actions);
        }
        if !s.note.is_empty() {
            let _ = writeln!(out, "    -> {}", s.note);
        }
    }
    let _ = writeln!(out, "\nMegaflow: {}", r.megaflow);
    let _ = writeln!(out, "Datapath actions: {}", r.datapath_actions);
    out
}

pub fn routes(r: &super::proto::RoutesReply) -> String {
    let mut t = Table::new(&["destination", "via", "origin"]);
    for x in &r.routes {
        t.row(vec![
            x.dest.clone(),
            x.via.clone().unwrap_or_else(|| "on-link".into()),
            x.origin.clone(),
        ]);
    }
    t.render("")
}

pub fn neighbours(r: &super::proto::NeighboursReply) -> String {
    let mut t = Table::new(&["ip", "mac", "state"]);
    for n in &r.neighbours {
        t.row(vec![
            n.ip.clone(),
            n.mac.clone().unwrap_or_else(|| "-".into()),
            n.state.clone(),
        ]);
    }
    format!("underlay port {}\n{}", r.port, t.render("  "))
}

#[cfg(test)]
mod tests {
    use super::super::proto::*;
    use super::*;

    #[test]
    fn table_columns_align() {
        let mut t = Table::new(&["a", "long header", "c"]);
        t.row(vec!["xxxx".into(), "1".into(), "z".into()]);
        assert_eq!(t.render(""), "a     long header  c\nxxxx  1            z\n");
    }

    #[test]
    fn flows_like_ovs_ofctl() {
        let r = FlowsReply {
            flows: vec![FlowInfo {
                table: 0,
                priority: 100,
                cookie: 0,
                duration_s: 1.5,
                n_packets: 3,
                n_bytes: 294,
                idle_timeout: 0,
                hard_timeout: 0,
                flags: 0,
                match_: "ip,nw_dst=10.0.0.0/24".into(),
                actions: "dec_ttl,output:2".into(),
            }],
        };
        assert_eq!(
            flows(&r),
            " cookie=0x0, duration=1.500s, table=0, n_packets=3, n_bytes=294, priority=100,ip,nw_dst=10.0.0.0/24 actions=dec_ttl,output:2\n"
        );
    }

    #[test]
    fn port_stats_lists_every_port() {
        let r = PortStatsReply {
            ports: vec![PortStats {
                bridge: "br0".into(),
                name: "tap0".into(),
                ofport: 1,
                rx_packets: 5,
                rx_bytes: 420,
                rx_dropped: 0,
                rx_errors: 0,
                rx_missed: 0,
                rx_nombuf: 0,
                tx_packets: 7,
                tx_bytes: 588,
                tx_dropped: 1,
                tx_errors: 0,
            }],
        };
        let s = port_stats(&r);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("bridge  port  ofport  rx_pkts"));
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            ["br0", "tap0", "1", "5", "420", "0", "0", "0", "0", "7", "588", "1", "0"]
        );
    }

    #[test]
    fn show_says_which_tx_queues_a_guest_enabled_and_who_sends_for_whom() {
        let port = |name: &str, enabled: Option<Vec<u16>>| PortInfo {
            name: name.into(),
            ofport: 1,
            devargs: String::new(),
            driver: "net_vhost".into(),
            dpdk_port: 0,
            mac: "00:00:00:00:00:00".into(),
            link_up: true,
            link_speed_mbps: 10_000,
            rx_queues: 2,
            tx_queues: 2,
            output: "drop".into(),
            tx_queues_enabled: enabled,
        };
        let pmd = |core: usize, tx_handoffs: Vec<TxHandoff>| PmdInfo {
            core,
            lcore: core as u32,
            rx_queues: vec![],
            tx_handoffs,
        };
        let r = ShowReply {
            version: "v".into(),
            dpdk_version: "d".into(),
            pid: 1,
            hugepages: true,
            control_core: 0,
            bridges: vec![BridgeInfo {
                name: "br0".into(),
                datapath_id: "0".repeat(16),
                ports: vec![
                    port("vm", Some(vec![0])),
                    port("vm2", Some(vec![])),
                    port("tap", None),
                ],
            }],
            pmds: vec![
                pmd(1, vec![]),
                pmd(
                    1,
                    vec![TxHandoff {
                        port: "vm".into(),
                        to_pmd: 0,
                    }],
                ),
            ],
            mempool: MempoolInfo::default(),
            openflow: vec![OpenFlowInfo {
                bridge: "br0".into(),
                endpoints: vec![
                    OpenFlowEndpoint {
                        kind: "listen".into(),
                        addr: "tcp:127.0.0.1:6653".into(),
                        state: "listening".into(),
                        error: None,
                        secs: 30,
                    },
                    OpenFlowEndpoint {
                        kind: "controller".into(),
                        addr: "tcp:10.0.0.9:6653".into(),
                        state: "disconnected, retrying".into(),
                        error: Some("Connection refused (os error 111)".into()),
                        secs: 2,
                    },
                ],
                connections: vec![OpenFlowConnection {
                    id: 3,
                    peer: "tcp:127.0.0.1:40000".into(),
                    role: "master".into(),
                    ready: true,
                    secs: 12,
                    packet_ins_sent: 5,
                }],
            }],
        };
        let s = show(&r);
        assert!(
            s.contains(
                "  openflow:\n    listen tcp:127.0.0.1:6653: listening (30 s)\n    \
                 controller tcp:10.0.0.9:6653: disconnected, retrying (2 s): Connection refused (os error 111)\n    \
                 connection #3 tcp:127.0.0.1:40000: master, 12 s, 5 packet-ins sent\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("port vm: the guest receives on tx queue(s) 0\n"),
            "{s}"
        );
        assert!(
            s.contains("port vm2: the guest receives on tx queue(s) none\n"),
            "{s}"
        );
        assert!(!s.contains("port tap:"), "{s}");
        assert!(
            s.contains("pmd 1 (core 1) hands its packets for vm to pmd 0, which sends them on tx queue 0\n"),
            "{s}"
        );
        // An older reply without the new fields still reads.
        let mut v = serde_json::to_value(&r).unwrap();
        v["pmds"][1].as_object_mut().unwrap().remove("tx_handoffs");
        v["bridges"][0]["ports"][0]
            .as_object_mut()
            .unwrap()
            .remove("tx_queues_enabled");
        let back: ShowReply = serde_json::from_value(v).unwrap();
        assert!(back.pmds[1].tx_handoffs.is_empty());
        assert_eq!(back.bridges[0].ports[0].tx_queues_enabled, None);
    }
}
