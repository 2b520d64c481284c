//! One bridge at run time: its OpenFlow pipeline, and the translator the
//! PMDs call on a megaflow miss.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use fastpath::flow::FlowKey;
use fastpath::upcall::{FlowCredit, PipelineChange, Translator, Upcall};

use crate::pipeline::{EntryRef, Pipeline, PipelineConfig, TranslateOptions};

/// Megaflow hits credit OpenFlow entries (and groups, buckets) through
/// their counter handles; the hit time feeds idle timeouts.
struct Credit(EntryRef);

impl FlowCredit for Credit {
    fn credit(&self, packets: u64, bytes: u64) {
        self.0.credit_at(packets, bytes, coarse_now());
    }
}

/// A clock the PMDs can read for the price of one load: the control side
/// advances it every few milliseconds ([`tick_clock`]); idle timeouts are
/// in seconds, so that is precise enough, and it spares each credit a
/// clock_gettime.
static CLOCK_BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
static CLOCK_NS: AtomicU64 = AtomicU64::new(0);

/// Advances the coarse clock; the daemon calls this every 10 ms.
pub fn tick_clock() {
    let base = *CLOCK_BASE.get_or_init(Instant::now);
    let ns = u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX);
    CLOCK_NS.fetch_max(ns.max(1), Ordering::Relaxed);
}

/// Now, to within one clock tick (the precise time before the first tick).
fn coarse_now() -> Instant {
    match (CLOCK_BASE.get(), CLOCK_NS.load(Ordering::Relaxed)) {
        (Some(base), ns) if ns > 0 => *base + std::time::Duration::from_nanos(ns),
        _ => Instant::now(),
    }
}

/// The datapath's view of a bridge's pipeline.
pub struct BridgeTranslator {
    pipeline: Arc<Pipeline>,
    /// The pipeline version the datapath must obey; bumped (after the new
    /// snapshot is in place) by [`BridgeTranslator::publish`].
    generation: AtomicU64,
    opts: TranslateOptions,
    /// Bumped by underlay changes (neighbours, routes): part of the
    /// generation, so that tunnel headers are rebuilt.
    underlay_epoch: AtomicU64,
    /// The bridge's tunnel ports (set once at start-up).
    tunnels: std::sync::OnceLock<Arc<crate::underlay::BridgeTunnels>>,
    /// The last generations published: (generation, pipeline version,
    /// underlay epoch), to map a PMD's generation back to a version.
    history: arc_swap::ArcSwap<Vec<(u64, u64, u64)>>,
}

/// Generations remembered for selective revalidation.
const GENERATION_HISTORY: usize = 64;

impl BridgeTranslator {
    pub fn new(pipeline: Arc<Pipeline>) -> Self {
        let v = pipeline.snapshot().version();
        let generation = AtomicU64::new(v);
        BridgeTranslator {
            history: arc_swap::ArcSwap::from_pointee(vec![(v, v, 0)]),
            pipeline,
            generation,
            // OpenFlow 1.3 has no config flag for it: invalid-TTL packet-ins
            // are always produced, and each connection's async config and
            // miss_send_len decide what it gets.
            opts: TranslateOptions {
                send_invalid_ttl: true,
                ..TranslateOptions::default()
            },
            underlay_epoch: AtomicU64::new(0),
            tunnels: std::sync::OnceLock::new(),
        }
    }

    /// Gives the bridge its tunnel ports (once, at start-up).
    pub fn set_tunnels(&self, t: Arc<crate::underlay::BridgeTunnels>) {
        let _ = self.tunnels.set(t);
    }

    /// The bridge's tunnel ports, if it has any.
    pub fn tunnels(&self) -> Option<&crate::underlay::BridgeTunnels> {
        self.tunnels.get().map(|t| &**t)
    }

    /// Makes PMDs drop their megaflows after an underlay change (their
    /// tunnel headers may be stale).
    pub fn publish_underlay(&self) -> u64 {
        self.underlay_epoch.fetch_add(1, Ordering::AcqRel);
        self.publish()
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    /// Makes PMDs drop megaflows from older pipeline versions. Returns the
    /// new generation.
    pub fn publish(&self) -> u64 {
        let version = self.pipeline.snapshot().version();
        let epoch = self.underlay_epoch.load(Ordering::Acquire);
        let g = version + epoch;
        if self.generation.fetch_max(g, Ordering::Release) < g {
            self.history.rcu(|h| {
                let mut h = Vec::clone(h);
                h.push((g, version, epoch));
                if h.len() > GENERATION_HISTORY {
                    h.remove(0);
                }
                h
            });
        }
        g
    }
}

impl Translator for BridgeTranslator {
    fn translate(&self, key: &FlowKey) -> Upcall {
        let t = self
            .pipeline
            .snapshot()
            .translate_with_tunnels(key, &self.opts, self.tunnels());
        Upcall {
            actions: t.actions.into(),
            mask: t.mask,
            credits: t
                .hits
                .into_iter()
                .map(|e| Arc::new(Credit(e)) as Arc<dyn FlowCredit>)
                .collect(),
            tables: t.tables,
            ports: t.ports,
        }
    }

    /// Flow changes since the pipeline version of generation `since`;
    /// unknown (false) when the underlay changed since (every tunnel
    /// header may have), or `since` is no longer remembered.
    fn changes_since(&self, since: u64, f: &mut dyn FnMut(&PipelineChange)) -> bool {
        let history = self.history.load();
        let Some(&(_, version, epoch)) = history.iter().find(|(g, _, _)| *g == since) else {
            return false;
        };
        if self.underlay_epoch.load(Ordering::Acquire) != epoch {
            return false;
        }
        self.pipeline.snapshot().changes_since(version, f)
    }

    #[inline]
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

use fastpath::meter::{BandConfig, BandKind, MeterConfig, MeterTable};

use crate::flowsyntax::{self, PortNames, SyntaxError};
use crate::mgmt::proto;
use crate::pipeline::{
    meter_flags, BridgePorts, FlowFilter, FlowMatch, FlowMod, FlowModCommand, GroupMod,
    GroupModCommand, MeterBandType, MeterMod, MeterModCommand, TABLE_ALL,
};

/// Port names of one bridge, for the flow syntax. Names are accepted on
/// input; output prints numbers (like `ovs-ofctl --no-names`), so what
/// dump-flows prints can be fed back unchanged.
/// Replaced when ports are added or deleted at run time (control side only).
#[derive(Debug, Default)]
pub struct BridgeNames(std::sync::RwLock<Vec<(String, u32)>>);

impl PortNames for BridgeNames {
    fn number(&self, name: &str) -> Option<u32> {
        let names = self.0.read().unwrap_or_else(|e| e.into_inner());
        names.iter().find(|(n, _)| n == name).map(|&(_, o)| o)
    }
    fn name(&self, _no: u32) -> Option<String> {
        None
    }
}

/// A bridge: its pipeline, the datapath's translator for it and its
/// datapath meters.
pub struct Bridge {
    pub name: String,
    pub translator: Arc<BridgeTranslator>,
    /// The meters the PMDs apply for this bridge's flows.
    pub meters: Arc<MeterTable>,
    names: BridgeNames,
}

/// Lines of flow syntax are numbered from 1; blank and `#` lines skipped.
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

impl Bridge {
    pub fn new(name: &str, ports: BridgePorts, names: Vec<(String, u32)>) -> Bridge {
        Self::with_config(name, ports, names, PipelineConfig::default())
    }

    /// A bridge whose pipeline has the given limits (e.g. flows per table).
    pub fn with_config(
        name: &str,
        ports: BridgePorts,
        names: Vec<(String, u32)>,
        config: PipelineConfig,
    ) -> Bridge {
        let pipeline = Arc::new(Pipeline::with_config(ports, config));
        Bridge {
            name: name.to_string(),
            translator: Arc::new(BridgeTranslator::new(pipeline)),
            meters: Arc::new(MeterTable::new()),
            names: BridgeNames(std::sync::RwLock::new(names)),
        }
    }

    /// The port names flows may use, after ports were added or deleted.
    pub fn set_port_names(&self, names: Vec<(String, u32)>) {
        *self.names.0.write().unwrap_or_else(|e| e.into_inner()) = names;
    }

    pub fn pipeline(&self) -> &Pipeline {
        self.translator.pipeline()
    }

    /// Parses and applies flow lines as one change (all or nothing).
    pub fn add_flows(&self, lines: &[String]) -> Result<usize, String> {
        let mut mods = Vec::new();
        let mut line_of = Vec::new();
        let single = lines.len() == 1;
        for (n, l) in numbered(lines) {
            let fm = flowsyntax::parse_flow_mod(l, FlowModCommand::Add, &self.names)
                .map_err(|e| syntax("bad flow", (!single).then_some(n), l, &e))?;
            mods.push(fm);
            line_of.push(n);
        }
        self.apply_flow_mods(&mods, |i| (!single).then(|| line_of[i]))?;
        Ok(mods.len())
    }

    fn apply_flow_mods(
        &self,
        mods: &[FlowMod],
        line: impl Fn(usize) -> Option<usize>,
    ) -> Result<(), String> {
        self.pipeline()
            .flow_mods(mods, Instant::now())
            .map_err(|(i, e)| {
                let at = line(i).map(|n| format!("line {n}: ")).unwrap_or_default();
                format!("{at}flow refused: {e}")
            })?;
        self.translator.publish();
        Ok(())
    }

    pub fn mod_flows(&self, flow: &str, strict: bool) -> Result<(), String> {
        let cmd = if strict {
            FlowModCommand::ModifyStrict
        } else {
            FlowModCommand::Modify
        };
        let fm = flowsyntax::parse_flow_mod(flow, cmd, &self.names)
            .map_err(|e| syntax("bad flow", None, flow, &e))?;
        self.apply_flow_mods(&[fm], |_| None)
    }

    pub fn del_flows(&self, filter: &str, strict: bool) -> Result<usize, String> {
        let cmd = if strict {
            FlowModCommand::DeleteStrict
        } else {
            FlowModCommand::Delete
        };
        let mut fm = flowsyntax::parse_flow_mod(filter, cmd, &self.names)
            .map_err(|e| syntax("bad flow", None, filter, &e))?;
        // ovs-ofctl: without table=, del-flows covers every table.
        if !filter
            .split(',')
            .any(|t| t.trim_start().starts_with("table"))
        {
            fm.table_id = TABLE_ALL;
        }
        let out = self
            .pipeline()
            .flow_mods(std::slice::from_ref(&fm), Instant::now())
            .map_err(|(_, e)| format!("delete refused: {e}"))?;
        self.translator.publish();
        Ok(out.first().map_or(0, |o| o.removed.len()))
    }

    pub fn dump_flows(&self, filter: &str) -> Result<proto::FlowsReply, String> {
        let mut f = FlowFilter::default();
        if !filter.trim().is_empty() {
            let fm = flowsyntax::parse_flow_mod(filter, FlowModCommand::Delete, &self.names)
                .map_err(|e| syntax("bad filter", None, filter, &e))?;
            if filter
                .split(',')
                .any(|t| t.trim_start().starts_with("table"))
            {
                f.table_id = fm.table_id;
            }
            f.match_ = fm.match_;
            f.out_port = fm.out_port;
            f.out_group = fm.out_group;
            f.cookie = fm.cookie;
            f.cookie_mask = fm.cookie_mask;
        }
        let mut flows = self.pipeline().snapshot().flows(&f);
        flows.sort_by(|a, b| {
            a.table_id
                .cmp(&b.table_id)
                .then(b.priority.cmp(&a.priority))
        });
        Ok(proto::FlowsReply {
            flows: flows
                .into_iter()
                .map(|s| proto::FlowInfo {
                    table: s.table_id,
                    priority: s.priority,
                    cookie: s.cookie,
                    duration_s: s.duration.as_secs_f64(),
                    n_packets: s.n_packets,
                    n_bytes: s.n_bytes,
                    idle_timeout: s.idle_timeout,
                    hard_timeout: s.hard_timeout,
                    flags: s.flags,
                    match_: flowsyntax::format_match(&s.match_, &self.names),
                    actions: flowsyntax::format_actions(&s.instructions, &self.names),
                })
                .collect(),
        })
    }

    /// Adds groups (`group_id=..` lines), all or nothing.
    pub fn add_groups(&self, lines: &[String]) -> Result<usize, String> {
        let mut n = 0;
        let single = lines.len() == 1;
        let mut parsed = Vec::new();
        for (i, l) in numbered(lines) {
            let gm = flowsyntax::parse_group_mod(l, GroupModCommand::Add, &self.names)
                .map_err(|e| syntax("bad group", (!single).then_some(i), l, &e))?;
            parsed.push((i, gm));
        }
        for (i, gm) in &parsed {
            if let Err(e) = self.pipeline().group_mod(gm) {
                // Undo the ones added so far: all or nothing.
                for (_, done) in parsed.iter().take(n) {
                    let _ = self.pipeline().group_mod(&GroupMod {
                        command: GroupModCommand::Delete,
                        ..done.clone()
                    });
                }
                self.translator.publish();
                let at = if single {
                    String::new()
                } else {
                    format!("line {i}: ")
                };
                return Err(format!("{at}group refused: {e}"));
            }
            n += 1;
        }
        self.translator.publish();
        Ok(n)
    }

    pub fn mod_group(&self, line: &str) -> Result<(), String> {
        let gm = flowsyntax::parse_group_mod(line, GroupModCommand::Modify, &self.names)
            .map_err(|e| syntax("bad group", None, line, &e))?;
        self.pipeline()
            .group_mod(&gm)
            .map_err(|e| format!("group refused: {e}"))?;
        self.translator.publish();
        Ok(())
    }

    pub fn del_groups(&self, filter: &str) -> Result<(), String> {
        let filter = if filter.trim().is_empty() {
            "group_id=all"
        } else {
            filter
        };
        let gm = flowsyntax::parse_group_mod(filter, GroupModCommand::Delete, &self.names)
            .map_err(|e| syntax("bad group", None, filter, &e))?;
        self.pipeline()
            .group_mod(&gm)
            .map_err(|e| format!("group delete refused: {e}"))?;
        self.translator.publish();
        Ok(())
    }

    pub fn dump_groups(&self) -> proto::GroupsReply {
        let mut groups = self.pipeline().snapshot().groups();
        groups.sort_by_key(|g| g.group_id);
        proto::GroupsReply {
            groups: groups
                .into_iter()
                .map(|g| proto::GroupInfo {
                    group_id: g.group_id,
                    desc: flowsyntax::format_group(
                        &GroupMod {
                            command: GroupModCommand::Add,
                            group_type: g.group_type,
                            group_id: g.group_id,
                            buckets: g.buckets,
                        },
                        &self.names,
                    ),
                    packets: g.packet_count,
                    bytes: g.byte_count,
                })
                .collect(),
        }
    }

    /// Adds meters, all or nothing; the datapath applies them at once.
    pub fn add_meters(&self, lines: &[String]) -> Result<usize, String> {
        let single = lines.len() == 1;
        let mut parsed = Vec::new();
        for (i, l) in numbered(lines) {
            let mm = flowsyntax::parse_meter_mod(l, MeterModCommand::Add)
                .map_err(|e| syntax("bad meter", (!single).then_some(i), l, &e))?;
            parsed.push((i, mm));
        }
        for (k, (i, mm)) in parsed.iter().enumerate() {
            if let Err(e) = self.pipeline().meter_mod(mm) {
                for (_, done) in parsed.iter().take(k) {
                    let _ = self.pipeline().meter_mod(&MeterMod {
                        command: MeterModCommand::Delete,
                        ..done.clone()
                    });
                }
                self.sync_meters();
                let at = if single {
                    String::new()
                } else {
                    format!("line {i}: ")
                };
                return Err(format!("{at}meter refused: {e}"));
            }
        }
        self.sync_meters();
        Ok(parsed.len())
    }

    pub fn del_meters(&self, filter: &str) -> Result<(), String> {
        let filter = if filter.trim().is_empty() {
            "meter=all"
        } else {
            filter
        };
        let mm = flowsyntax::parse_meter_mod(filter, MeterModCommand::Delete)
            .map_err(|e| syntax("bad meter", None, filter, &e))?;
        self.pipeline()
            .meter_mod(&mm)
            .map_err(|e| format!("meter delete refused: {e}"))?;
        self.sync_meters();
        Ok(())
    }

    pub fn dump_meters(&self) -> proto::MetersReply {
        let mut meters = self.pipeline().meter_configs();
        meters.sort_by_key(|m| m.meter_id);
        proto::MetersReply {
            meters: meters
                .into_iter()
                .map(|m| {
                    let st = self.meters.stats(m.meter_id);
                    proto::MeterInfo {
                        meter_id: m.meter_id,
                        desc: flowsyntax::format_meter(&m),
                        packets_in: st.as_ref().map_or(0, |s| s.packet_in_count),
                        bytes_in: st.as_ref().map_or(0, |s| s.byte_in_count),
                        band_packets: st
                            .map(|s| s.bands.iter().map(|b| b.packet_band_count).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }

    /// Makes the datapath meter table equal the pipeline's meters, then
    /// publishes the new pipeline version.
    fn sync_meters(&self) {
        let want = self.pipeline().meter_configs();
        for id in self.meters.ids() {
            if !want.iter().any(|m| m.meter_id == id) {
                self.meters.remove(id);
            }
        }
        for m in &want {
            let cfg = meter_config(m);
            if self.meters.config(m.meter_id).as_ref() != Some(&cfg) {
                self.meters.install(cfg);
            }
        }
        self.translator.publish();
    }

    /// Translates a packet given in flow syntax, as `ofproto/trace` does.
    pub fn trace(&self, packet: &str) -> Result<proto::TraceReply, String> {
        let key = flowsyntax::parse_packet(packet, &self.names)
            .map_err(|e| syntax("bad packet", None, packet, &e))?;
        let opts = TranslateOptions {
            trace: true,
            ..TranslateOptions::default()
        };
        let t = self.pipeline().snapshot().translate_with_tunnels(
            &key,
            &opts,
            self.translator.tunnels(),
        );
        // Show the fields the packet sets (plus in_port), not every zero.
        let mut shown = fastpath::flow::FlowKey::field_mask(fastpath::flow::Field::InPort);
        for d in fastpath::flow::FIELDS {
            if key.get(d.field) != 0 {
                shown.or_assign(&fastpath::flow::FlowKey::field_mask(d.field));
            }
        }
        let exact = FlowMatch {
            key: key.masked(&shown),
            mask: shown,
        };
        let snap = self.pipeline().snapshot();
        let megaflow = FlowMatch {
            key: key.masked(&t.mask),
            mask: t.mask,
        };
        Ok(proto::TraceReply {
            flow: flowsyntax::format_match(&exact, &self.names),
            steps: t
                .trace
                .iter()
                .map(|s| proto::TraceStep {
                    table: s.table,
                    entry: s.matched.as_ref().map(|(prio, cookie, m, _)| {
                        let m = flowsyntax::format_match(m, &self.names);
                        let sep = if m.is_empty() { "" } else { "," };
                        format!("priority={prio}{sep}{m}, cookie={cookie:#x}")
                    }),
                    actions: s
                        .matched
                        .as_ref()
                        .map(|(_, _, _, insts)| flowsyntax::format_actions(insts, &self.names))
                        .unwrap_or_default(),
                    note: s.note.clone(),
                })
                .collect(),
            datapath_actions: dp_actions(&t.actions, snap.ports()),
            megaflow: flowsyntax::format_match(&megaflow, &self.names),
        })
    }

    /// The match a flow line would use, for callers that build flows.
    pub fn parse_flow(&self, line: &str, cmd: FlowModCommand) -> Result<FlowMod, String> {
        flowsyntax::parse_flow_mod(line, cmd, &self.names)
            .map_err(|e| syntax("bad flow", None, line, &e))
    }

    /// Applies an OpenFlow meter mod and keeps the datapath meter table in
    /// step (then publishes). Returns the flow entries removed with a
    /// deleted meter.
    pub fn apply_meter_mod(
        &self,
        mm: &MeterMod,
    ) -> Result<Vec<crate::pipeline::RemovedFlow>, crate::ofp::OfpError> {
        let removed = self.pipeline().meter_mod_outcome(mm)?;
        self.sync_meters();
        Ok(removed)
    }
}

/// A compiled program as text, with output ports as OpenFlow numbers.
pub(crate) fn dp_actions(actions: &[fastpath::actions::DpAction], ports: &BridgePorts) -> String {
    use fastpath::actions::DpAction as A;
    if actions.is_empty() {
        return "drop".into();
    }
    let port = |i: u16| {
        ports
            .iter()
            .find(|p| p.index == i)
            .map_or_else(|| format!("dp{i}"), |p| p.ofport.to_string())
    };
    actions
        .iter()
        .map(|a| match a {
            A::Output(i) => format!("output:{}", port(*i)),
            A::Controller(c) => format!("controller(max_len={},reason={})", c.max_len, c.reason),
            A::SetField { field, value } => {
                let mut m = FlowMatch::ANY;
                m.set(*field, *value, field.max_value());
                format!(
                    "set({})",
                    flowsyntax::format_match(&m, &flowsyntax::NoPortNames)
                )
            }
            A::PushVlan { tpid } => format!("push_vlan:{tpid:#06x}"),
            A::PopVlan => "pop_vlan".into(),
            A::DecTtl => "dec_ttl".into(),
            A::SetTtl(t) => format!("set_ttl:{t}"),
            A::Meter(id) => format!("meter:{id}"),
            A::Clone(p) => format!("clone({})", dp_actions(p, ports)),
            A::Drop => "drop".into(),
            A::TunnelOutput { port: p, header } => {
                let s = &header.spec;
                format!(
                    "tnl_push({},dst={},key={}),output:{}",
                    s.kind.name(),
                    std::net::Ipv4Addr::from(s.dst_ip),
                    s.key.unwrap_or(0),
                    port(*p)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The datapath's form of a validated OpenFlow meter.
pub fn meter_config(m: &MeterMod) -> MeterConfig {
    MeterConfig {
        id: m.meter_id,
        kbps: m.flags & meter_flags::KBPS != 0,
        burst: m.flags & meter_flags::BURST != 0,
        stats: m.flags & meter_flags::STATS != 0,
        bands: m
            .bands
            .iter()
            .map(|b| BandConfig {
                rate: b.rate,
                burst_size: b.burst_size,
                kind: match b.band_type {
                    MeterBandType::Drop => BandKind::Drop,
                    MeterBandType::DscpRemark { prec_level } => BandKind::DscpRemark { prec_level },
                },
            })
            .collect(),
    }
}
