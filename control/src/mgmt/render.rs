//! Human-readable tables for ferroctl's default output.
use std::fmt::Write;

use super::proto::{PmdStatsReply, PortStatsReply, ShowReply};

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
    out
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
    let mut t = Table::new(&[
        "core",
        "lcore",
        "packets",
        "busy%",
        "cycles/pkt",
        "iterations",
        "busy_cycles",
        "idle_cycles",
        "rx queues",
    ]);
    for p in &r.pmds {
        let qs: Vec<String> = p
            .rx_queues
            .iter()
            .map(|q| format!("{}:{}", q.port, q.queue))
            .collect();
        t.row(vec![
            p.core.to_string(),
            p.lcore.to_string(),
            p.packets.to_string(),
            format!("{:.1}", p.busy_percent),
            format!("{:.0}", p.cycles_per_packet),
            p.iterations.to_string(),
            p.busy_cycles.to_string(),
            p.idle_cycles.to_string(),
            qs.join(" "),
        ]);
    }
    format!("TSC {:.3} GHz\n{}", r.tsc_hz as f64 / 1e9, t.render(""))
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
}
