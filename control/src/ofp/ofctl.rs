//! ferroctl's flow, group, meter and statistics verbs, done the way
//! ovs-ofctl does them: lines in flow syntax become OpenFlow 1.3 messages
//! sent over the bridge's management socket ([`Client`]), a BARRIER
//! collects the switch's errors (named by line), and dumps are MULTIPART
//! requests. Every verb gives its result both as JSON (the `--json` shape
//! ferroctl always had) and as text like ovs-ofctl's.
use std::fmt::Write as _;

use serde_json::json;

use super::client::{Client, RequestError, CHUNK};
use super::codec::{FlowStatsRequest, Message, MultipartReply, MultipartRequest};
use super::PortNo;
use crate::flowsyntax::{self, PortNames, SyntaxError};
use crate::mgmt::proto::{FlowInfo, FlowsReply, GroupInfo, GroupsReply, MeterInfo, MetersReply};
use crate::mgmt::render;
use crate::pipeline::{
    FlowModCommand, GroupMod, GroupModCommand, MeterMod, MeterModCommand, GROUP_ALL, GROUP_ANY,
    METER_ALL, TABLE_ALL,
};

/// What a verb produced: JSON for `--json`, text otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub json: serde_json::Value,
    pub text: String,
}

impl Output {
    fn done(message: String) -> Output {
        let text = if message.is_empty() {
            String::new()
        } else {
            format!("{message}\n")
        };
        Output {
            json: json!({ "message": message }),
            text,
        }
    }
}

/// Port names of the bridge, from OFPMP_PORT_DESC (names resolve to
/// numbers; numbers print as numbers, as the daemon always printed them).
#[derive(Debug, Clone, Default)]
pub struct PortMap(Vec<(String, u32)>);

impl PortNames for PortMap {
    fn number(&self, name: &str) -> Option<u32> {
        self.0.iter().find(|(n, _)| n == name).map(|&(_, o)| o)
    }
    fn name(&self, _no: u32) -> Option<String> {
        None
    }
}

/// The bridge's port names.
pub fn port_map(c: &mut Client) -> Result<PortMap, String> {
    let mut names = Vec::new();
    for part in c.multipart(MultipartRequest::PortDesc)? {
        if let MultipartReply::PortDesc(ps) = part {
            names.extend(ps.into_iter().map(|p| (p.name, p.port_no.0)));
        }
    }
    Ok(PortMap(names))
}

/// Lines numbered from 1; blank lines and `#` comments skipped.
fn numbered(lines: &[String]) -> impl Iterator<Item = (usize, &str)> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn syntax(what: &str, line: Option<usize>, input: &str, e: &SyntaxError) -> String {
    let at = line.map(|n| format!(" line {n},")).unwrap_or_default();
    format!("{what}:{at} {e}\n{}", e.render(input))
}

/// "line 3: flow refused: OFPET_... (why)\n  LINE" for each error.
fn refused(what: &str, errors: &[(usize, RequestError)], lines: &[(usize, &str)]) -> String {
    let single = lines.len() == 1;
    let mut out = String::new();
    for (i, e) in errors {
        let (n, text) = lines.get(*i).copied().unwrap_or((0, ""));
        if !out.is_empty() {
            out.push('\n');
        }
        if single {
            let _ = write!(out, "{what} refused: {e}\n  {text}");
        } else {
            let _ = write!(out, "line {n}: {what} refused: {e}\n  {text}");
        }
    }
    out
}

fn plural(n: usize, what: &str, verb: &str) -> String {
    format!("{n} {what}{} {verb}", if n == 1 { "" } else { "s" })
}

/// add-flow / add-flows: every line is parsed before anything is sent (a
/// syntax error installs nothing); then the flow mods go out in order,
/// pipelined in chunks of [`CHUNK`] with a barrier after each, and the
/// switch's errors name their lines. As with ovs-ofctl, lines the switch
/// accepted before a refused one stay, and nothing is sent after the
/// refusal is seen (here: after the chunk holding it).
pub fn add_flows(c: &mut Client, lines: &[String]) -> Result<Output, String> {
    let names = port_map(c)?;
    let lines: Vec<(usize, &str)> = numbered(lines).collect();
    let single = lines.len() == 1;
    let mut msgs = Vec::with_capacity(lines.len());
    for &(n, l) in &lines {
        let fm = flowsyntax::parse_flow_mod(l, FlowModCommand::Add, &names)
            .map_err(|e| syntax("bad flow", (!single).then_some(n), l, &e))?;
        msgs.push(Message::FlowMod(fm));
    }
    let done = c.transact_chunked(&msgs, CHUNK)?;
    if !done.errors.is_empty() {
        let mut e = refused("flow", &done.errors, &lines);
        let unsent = &lines[done.sent.min(lines.len())..];
        if let (Some(first), Some(last)) = (unsent.first(), unsent.last()) {
            let _ = write!(
                e,
                "\nstopped at the refusal: {} (lines {} to {})",
                plural(unsent.len(), "flow", "not sent"),
                first.0,
                last.0
            );
        }
        return Err(e);
    }
    Ok(Output::done(plural(msgs.len(), "flow", "added")))
}

/// mod-flows [--strict].
pub fn mod_flows(c: &mut Client, flow: &str, strict: bool) -> Result<Output, String> {
    let names = port_map(c)?;
    let cmd = if strict {
        FlowModCommand::ModifyStrict
    } else {
        FlowModCommand::Modify
    };
    let fm = flowsyntax::parse_flow_mod(flow, cmd, &names)
        .map_err(|e| syntax("bad flow", None, flow, &e))?;
    let errors = c.transact(&[Message::FlowMod(fm)])?;
    if !errors.is_empty() {
        return Err(refused("flow", &errors, &[(1, flow)]));
    }
    Ok(Output::done(String::new()))
}

/// Without `table=`, del-flows and dump-flows cover every table (as in
/// ovs-ofctl).
fn names_table(filter: &str) -> bool {
    filter
        .split(',')
        .any(|t| t.trim_start().starts_with("table"))
}

/// del-flows [--strict] [FILTER].
pub fn del_flows(c: &mut Client, filter: &str, strict: bool) -> Result<Output, String> {
    let names = port_map(c)?;
    let cmd = if strict {
        FlowModCommand::DeleteStrict
    } else {
        FlowModCommand::Delete
    };
    let mut fm = flowsyntax::parse_flow_mod(filter, cmd, &names)
        .map_err(|e| syntax("bad flow", None, filter, &e))?;
    if !names_table(filter) {
        fm.table_id = TABLE_ALL;
    }
    let errors = c.transact(&[Message::FlowMod(fm)])?;
    if !errors.is_empty() {
        return Err(refused("delete", &errors, &[(1, filter)]));
    }
    Ok(Output::done(String::new()))
}

fn flow_stats_request(names: &PortMap, filter: &str) -> Result<FlowStatsRequest, String> {
    let mut req = FlowStatsRequest {
        table_id: TABLE_ALL,
        out_port: PortNo::ANY,
        out_group: GROUP_ANY,
        cookie: 0,
        cookie_mask: 0,
        match_: crate::pipeline::FlowMatch::ANY,
    };
    if !filter.trim().is_empty() {
        let fm = flowsyntax::parse_flow_mod(filter, FlowModCommand::Delete, names)
            .map_err(|e| syntax("bad filter", None, filter, &e))?;
        if names_table(filter) {
            req.table_id = fm.table_id;
        }
        req.match_ = fm.match_;
        req.out_port = fm.out_port;
        req.out_group = fm.out_group;
        req.cookie = fm.cookie;
        req.cookie_mask = fm.cookie_mask;
    }
    Ok(req)
}

/// dump-flows [FILTER]: OFPMP_FLOW, sorted by table then priority
/// (highest first).
pub fn dump_flows(c: &mut Client, filter: &str) -> Result<Output, String> {
    let names = port_map(c)?;
    let req = flow_stats_request(&names, filter)?;
    let mut flows = Vec::new();
    for part in c.multipart(MultipartRequest::Flow(req))? {
        if let MultipartReply::Flow(fs) = part {
            flows.extend(fs);
        }
    }
    flows.sort_by(|a, b| {
        a.table_id
            .cmp(&b.table_id)
            .then(b.priority.cmp(&a.priority))
    });
    let reply = FlowsReply {
        flows: flows
            .into_iter()
            .map(|s| FlowInfo {
                table: s.table_id,
                priority: s.priority,
                cookie: s.cookie,
                duration_s: f64::from(s.duration_sec) + f64::from(s.duration_nsec) / 1e9,
                n_packets: s.packet_count,
                n_bytes: s.byte_count,
                idle_timeout: s.idle_timeout,
                hard_timeout: s.hard_timeout,
                flags: s.flags,
                match_: flowsyntax::format_match(&s.match_, &names),
                actions: flowsyntax::format_actions(&s.instructions, &names),
            })
            .collect(),
    };
    Ok(Output {
        text: render::flows(&reply),
        json: serde_json::to_value(&reply).map_err(|e| e.to_string())?,
    })
}

/// dump-aggregate [FILTER]: OFPMP_AGGREGATE.
pub fn dump_aggregate(c: &mut Client, filter: &str) -> Result<Output, String> {
    let names = port_map(c)?;
    let req = flow_stats_request(&names, filter)?;
    let mut agg = None;
    for part in c.multipart(MultipartRequest::Aggregate(req))? {
        if let MultipartReply::Aggregate(a) = part {
            agg = Some(a);
        }
    }
    let a = agg.ok_or("the switch sent no aggregate statistics")?;
    Ok(Output {
        json: json!({
            "packet_count": a.packet_count,
            "byte_count": a.byte_count,
            "flow_count": a.flow_count,
        }),
        text: format!(
            "OFPST_AGGREGATE reply (OF1.3): packet_count={} byte_count={} flow_count={}\n",
            a.packet_count, a.byte_count, a.flow_count
        ),
    })
}

/// dump-tables: OFPMP_TABLE; the text lists tables that hold entries or
/// saw lookups.
pub fn dump_tables(c: &mut Client) -> Result<Output, String> {
    let mut tables = Vec::new();
    for part in c.multipart(MultipartRequest::Table)? {
        if let MultipartReply::Table(ts) = part {
            tables.extend(ts);
        }
    }
    let mut text = String::from("OFPST_TABLE reply (OF1.3):\n");
    for t in &tables {
        if t.active_count > 0 || t.lookup_count > 0 {
            let _ = writeln!(
                text,
                "  table {}: active={}, lookup={}, matched={}",
                t.table_id, t.active_count, t.lookup_count, t.matched_count
            );
        }
    }
    let json = tables
        .iter()
        .map(|t| {
            json!({
                "table_id": t.table_id,
                "active_count": t.active_count,
                "lookup_count": t.lookup_count,
                "matched_count": t.matched_count,
            })
        })
        .collect::<Vec<_>>();
    Ok(Output {
        json: json!({ "tables": json }),
        text,
    })
}

/// dump-ports [PORT]: OFPMP_PORT_STATS, as ovs-ofctl prints them.
pub fn dump_ports(c: &mut Client, port: Option<&str>) -> Result<Output, String> {
    let names = port_map(c)?;
    let port_no = match port {
        None => PortNo::ANY,
        Some(p) => match names.number(p) {
            Some(n) => PortNo(n),
            None => PortNo(
                p.parse::<u32>()
                    .map_err(|_| format!("no port named {p:?} on this bridge"))?,
            ),
        },
    };
    let mut stats = Vec::new();
    for part in c.multipart(MultipartRequest::PortStats { port_no })? {
        if let MultipartReply::PortStats(ps) = part {
            stats.extend(ps);
        }
    }
    stats.sort_by_key(|s| s.port_no);
    let mut text = format!("OFPST_PORT reply (OF1.3): {} ports\n", stats.len());
    let mut json = Vec::new();
    for s in &stats {
        let _ = writeln!(
            text,
            "  port {:>2}: rx pkts={}, bytes={}, drop={}, errs={}, frame={}, over={}, crc={}\n           tx pkts={}, bytes={}, drop={}, errs={}, coll={}\n           duration={:.3}s",
            s.port_no.0,
            s.rx_packets,
            s.rx_bytes,
            s.rx_dropped,
            s.rx_errors,
            s.rx_frame_err,
            s.rx_over_err,
            s.rx_crc_err,
            s.tx_packets,
            s.tx_bytes,
            s.tx_dropped,
            s.tx_errors,
            s.collisions,
            f64::from(s.duration_sec) + f64::from(s.duration_nsec) / 1e9
        );
        json.push(json!({
            "port_no": s.port_no.0,
            "rx_packets": s.rx_packets,
            "rx_bytes": s.rx_bytes,
            "rx_dropped": s.rx_dropped,
            "rx_errors": s.rx_errors,
            "tx_packets": s.tx_packets,
            "tx_bytes": s.tx_bytes,
            "tx_dropped": s.tx_dropped,
            "tx_errors": s.tx_errors,
        }));
    }
    Ok(Output {
        json: json!({ "ports": json }),
        text,
    })
}

/// Sends group mods and undoes the ones that were added when any is
/// refused (all or nothing, as add-groups always was).
fn group_mods(c: &mut Client, gms: Vec<GroupMod>, lines: &[(usize, &str)]) -> Result<(), String> {
    let msgs: Vec<Message> = gms.iter().cloned().map(Message::GroupMod).collect();
    let errors = c.transact(&msgs)?;
    if errors.is_empty() {
        return Ok(());
    }
    let undo: Vec<Message> = gms
        .iter()
        .enumerate()
        .filter(|(i, g)| g.command == GroupModCommand::Add && !errors.iter().any(|(k, _)| k == i))
        .map(|(_, g)| {
            Message::GroupMod(GroupMod {
                command: GroupModCommand::Delete,
                buckets: Vec::new(),
                ..g.clone()
            })
        })
        .collect();
    if !undo.is_empty() {
        c.transact(&undo)?;
    }
    Err(refused("group", &errors, lines))
}

/// add-group / add-groups: all or nothing.
pub fn add_groups(c: &mut Client, lines: &[String]) -> Result<Output, String> {
    let names = port_map(c)?;
    let lines: Vec<(usize, &str)> = numbered(lines).collect();
    let single = lines.len() == 1;
    let mut gms = Vec::new();
    for &(n, l) in &lines {
        gms.push(
            flowsyntax::parse_group_mod(l, GroupModCommand::Add, &names)
                .map_err(|e| syntax("bad group", (!single).then_some(n), l, &e))?,
        );
    }
    let n = gms.len();
    group_mods(c, gms, &lines)?;
    Ok(Output::done(plural(n, "group", "added")))
}

/// mod-group.
pub fn mod_group(c: &mut Client, line: &str) -> Result<Output, String> {
    let names = port_map(c)?;
    let gm = flowsyntax::parse_group_mod(line, GroupModCommand::Modify, &names)
        .map_err(|e| syntax("bad group", None, line, &e))?;
    group_mods(c, vec![gm], &[(1, line)])?;
    Ok(Output::done(String::new()))
}

/// del-groups [group_id=N]: every group without a filter.
pub fn del_groups(c: &mut Client, filter: &str) -> Result<Output, String> {
    let names = port_map(c)?;
    let filter = if filter.trim().is_empty() {
        "group_id=all"
    } else {
        filter
    };
    let gm = flowsyntax::parse_group_mod(filter, GroupModCommand::Delete, &names)
        .map_err(|e| syntax("bad group", None, filter, &e))?;
    group_mods(c, vec![gm], &[(1, filter)])?;
    Ok(Output::done(String::new()))
}

/// dump-groups: OFPMP_GROUP_DESC with the counters of OFPMP_GROUP.
pub fn dump_groups(c: &mut Client) -> Result<Output, String> {
    let names = port_map(c)?;
    let mut descs = Vec::new();
    for part in c.multipart(MultipartRequest::GroupDesc)? {
        if let MultipartReply::GroupDesc(d) = part {
            descs.extend(d);
        }
    }
    let mut stats = Vec::new();
    for part in c.multipart(MultipartRequest::Group {
        group_id: GROUP_ALL,
    })? {
        if let MultipartReply::Group(s) = part {
            stats.extend(s);
        }
    }
    descs.sort_by_key(|g| g.group_id);
    let reply = GroupsReply {
        groups: descs
            .into_iter()
            .map(|g| {
                let st = stats.iter().find(|s| s.group_id == g.group_id);
                GroupInfo {
                    group_id: g.group_id,
                    desc: flowsyntax::format_group(
                        &GroupMod {
                            command: GroupModCommand::Add,
                            group_type: g.group_type,
                            group_id: g.group_id,
                            buckets: g.buckets,
                        },
                        &names,
                    ),
                    packets: st.map_or(0, |s| s.packet_count),
                    bytes: st.map_or(0, |s| s.byte_count),
                }
            })
            .collect(),
    };
    Ok(Output {
        text: render::groups(&reply),
        json: serde_json::to_value(&reply).map_err(|e| e.to_string())?,
    })
}

/// add-meter.
pub fn add_meters(c: &mut Client, lines: &[String]) -> Result<Output, String> {
    let lines: Vec<(usize, &str)> = numbered(lines).collect();
    let single = lines.len() == 1;
    let mut mms = Vec::new();
    for &(n, l) in &lines {
        mms.push(
            flowsyntax::parse_meter_mod(l, MeterModCommand::Add)
                .map_err(|e| syntax("bad meter", (!single).then_some(n), l, &e))?,
        );
    }
    let msgs: Vec<Message> = mms.iter().cloned().map(Message::MeterMod).collect();
    let errors = c.transact(&msgs)?;
    if !errors.is_empty() {
        let undo: Vec<Message> = mms
            .iter()
            .enumerate()
            .filter(|(i, _)| !errors.iter().any(|(k, _)| k == i))
            .map(|(_, m)| {
                Message::MeterMod(MeterMod {
                    command: MeterModCommand::Delete,
                    ..m.clone()
                })
            })
            .collect();
        if !undo.is_empty() {
            c.transact(&undo)?;
        }
        return Err(refused("meter", &errors, &lines));
    }
    Ok(Output::done(plural(mms.len(), "meter", "added")))
}

/// del-meters [meter=N]: every meter without a filter.
pub fn del_meters(c: &mut Client, filter: &str) -> Result<Output, String> {
    let filter = if filter.trim().is_empty() {
        "meter=all"
    } else {
        filter
    };
    let mm = flowsyntax::parse_meter_mod(filter, MeterModCommand::Delete)
        .map_err(|e| syntax("bad meter", None, filter, &e))?;
    let errors = c.transact(&[Message::MeterMod(mm)])?;
    if !errors.is_empty() {
        return Err(refused("meter delete", &errors, &[(1, filter)]));
    }
    Ok(Output::done(String::new()))
}

/// dump-meters: OFPMP_METER_CONFIG with the counters of OFPMP_METER.
pub fn dump_meters(c: &mut Client) -> Result<Output, String> {
    let mut configs = Vec::new();
    for part in c.multipart(MultipartRequest::MeterConfig {
        meter_id: METER_ALL,
    })? {
        if let MultipartReply::MeterConfig(m) = part {
            configs.extend(m);
        }
    }
    let mut stats = Vec::new();
    for part in c.multipart(MultipartRequest::Meter {
        meter_id: METER_ALL,
    })? {
        if let MultipartReply::Meter(s) = part {
            stats.extend(s);
        }
    }
    configs.sort_by_key(|m| m.meter_id);
    let reply = MetersReply {
        meters: configs
            .into_iter()
            .map(|m| {
                let st = stats.iter().find(|s| s.meter_id == m.meter_id);
                MeterInfo {
                    meter_id: m.meter_id,
                    desc: flowsyntax::format_meter(&MeterMod {
                        command: MeterModCommand::Add,
                        flags: m.flags,
                        meter_id: m.meter_id,
                        bands: m.bands,
                    }),
                    packets_in: st.map_or(0, |s| s.packet_in_count),
                    bytes_in: st.map_or(0, |s| s.byte_in_count),
                    band_packets: st
                        .map(|s| s.band_stats.iter().map(|b| b.packet_band_count).collect())
                        .unwrap_or_default(),
                }
            })
            .collect(),
    };
    Ok(Output {
        text: render::meters(&reply),
        json: serde_json::to_value(&reply).map_err(|e| e.to_string())?,
    })
}

/// mod-port PORT ACTION, as ovs-ofctl: `up`/`down`, `receive`/`no-receive`,
/// `forward`/`no-forward`, `flood`/`no-flood`, `packet-in`/`no-packet-in`.
pub fn mod_port(c: &mut Client, port: &str, action: &str) -> Result<Output, String> {
    use super::codec::port_config as pc;
    let (bit, set) = match action {
        "up" => (pc::PORT_DOWN, false),
        "down" => (pc::PORT_DOWN, true),
        "receive" => (pc::NO_RECV, false),
        "no-receive" => (pc::NO_RECV, true),
        "forward" => (pc::NO_FWD, false),
        "no-forward" => (pc::NO_FWD, true),
        "flood" => (super::channel::NO_FLOOD, false),
        "no-flood" => (super::channel::NO_FLOOD, true),
        "packet-in" => (pc::NO_PACKET_IN, false),
        "no-packet-in" => (pc::NO_PACKET_IN, true),
        other => {
            return Err(format!(
                "unknown mod-port action {other:?}; expected up, down, receive, no-receive, forward, no-forward, flood, no-flood, packet-in or no-packet-in"
            ))
        }
    };
    let mut descs = Vec::new();
    for part in c.multipart(MultipartRequest::PortDesc)? {
        if let MultipartReply::PortDesc(ps) = part {
            descs.extend(ps);
        }
    }
    let d = descs
        .iter()
        .find(|d| d.name == port || port.parse::<u32>().ok() == Some(d.port_no.0))
        .ok_or_else(|| format!("no port {port:?} on this bridge"))?;
    let msg = Message::PortMod {
        port_no: d.port_no,
        hw_addr: d.hw_addr,
        config: if set { bit } else { 0 },
        mask: bit,
        advertise: 0,
    };
    let errors = c.transact(&[msg])?;
    if !errors.is_empty() {
        return Err(refused("port mod", &errors, &[(1, action)]));
    }
    Ok(Output::done(String::new()))
}
