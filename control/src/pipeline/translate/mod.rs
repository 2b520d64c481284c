//! Translation of a flow key through the pipeline into a datapath program
//! plus the wildcard mask of every key bit the result depended on. See the
//! module docs of `pipeline` for why the mask is exact.

use fastpath::actions::DpAction;
use fastpath::flow::{Field, FlowKey, FlowMask, Prereq};

use super::model::{Action, FlowMatch, Instruction, N_TABLES, TABLE_ALL};
use super::table::EntryRef;
use super::validate::{ETH_IPV4, ETH_IPV6, VID_PRESENT};
use super::PipelineSnapshot;
use crate::ofp::PortNo;

mod actions;
mod group;
mod track;

use track::{bits_of, fmask, vid_present_mask, Track};

/// How to translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateOptions {
    /// OFPC_INVALID_TTL_TO_CONTROLLER: a dec_ttl that would reach zero
    /// sends the packet to the controller (reason INVALID_TTL) before
    /// dropping it.
    pub send_invalid_ttl: bool,
    /// Bytes of the packet in packet-ins not caused by an output action
    /// (the switch config's miss_send_len).
    pub miss_send_len: u16,
    /// Fill [`Translation::trace`] (for ofproto/trace-like tools); off on
    /// the upcall path.
    pub trace: bool,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        TranslateOptions {
            send_invalid_ttl: false,
            miss_send_len: 128,
            trace: false,
        }
    }
}

/// The result of translating one flow key.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The datapath program (empty: drop).
    pub actions: Vec<DpAction>,
    /// Every key bit the program depends on: any key `q` with
    /// `q & mask == key & mask` translates to the same program and hits.
    pub mask: FlowMask,
    /// Per-table steps, when [`TranslateOptions::trace`] is set.
    pub trace: Vec<TraceStep>,
    /// Counters to credit for every packet the program handles: the flow
    /// entries matched and the groups and buckets used, in the order
    /// translation reached them.
    pub hits: Vec<EntryRef>,
    /// Version of the snapshot translated against (changes with every
    /// applied mod or port change: megaflows from older versions need
    /// revalidation).
    pub version: u64,
    /// The tables looked up (`fastpath::upcall::table_bit`).
    pub tables: u64,
    /// The ports whose state the program depends on
    /// (`fastpath::upcall::port_bit`; all bits for FLOOD, ALL and group
    /// liveness).
    pub ports: u64,
}

/// One table visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// The table (TABLE_ALL for packet-out actions).
    pub table: u8,
    /// (priority, cookie, match, instructions) of the entry matched, or
    /// None on a table miss.
    pub matched: Option<(u16, u64, FlowMatch, Vec<Instruction>)>,
    /// What happened that is not visible in the actions (miss, skipped
    /// actions, group choices, ...).
    pub note: String,
}

/// The packet as translation sees it.
#[derive(Clone)]
struct Work {
    key: FlowKey,
    track: Track,
}

/// Context for packet-ins: the entry whose actions run.
#[derive(Clone, Copy)]
struct Ctx {
    table_id: u8,
    cookie: u64,
    /// OFPR_NO_MATCH (0) for the table-miss entry, else OFPR_ACTION (1).
    reason: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    /// The packet was dropped: nothing after this runs.
    Stop,
}

/// The OpenFlow action set (§5.10): at most one action of each type, one
/// set-field per field.
#[derive(Default)]
struct ActionSet {
    pop_vlan: bool,
    push_vlan: Option<u16>,
    dec_nw_ttl: bool,
    set_nw_ttl: Option<u8>,
    /// Sorted by field.
    set_fields: Vec<(Field, u128)>,
    set_queue: Option<u32>,
    group: Option<u32>,
    output: Option<(PortNo, u16)>,
}

impl ActionSet {
    fn write(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::PopVlan => self.pop_vlan = true,
                Action::PushVlan(t) => self.push_vlan = Some(*t),
                Action::DecNwTtl => self.dec_nw_ttl = true,
                Action::SetNwTtl(t) => self.set_nw_ttl = Some(*t),
                Action::SetField { field, value } => {
                    match self.set_fields.binary_search_by_key(field, |x| x.0) {
                        Ok(i) => self.set_fields[i].1 = *value,
                        Err(i) => self.set_fields.insert(i, (*field, *value)),
                    }
                }
                Action::SetQueue(q) => self.set_queue = Some(*q),
                Action::Group(g) => self.group = Some(*g),
                Action::Output { port, max_len } => self.output = Some((*port, *max_len)),
                // MPLS/PBB/TTL copies are rejected by validation.
                _ => {}
            }
        }
    }

    fn is_empty(&self) -> bool {
        !self.pop_vlan
            && self.push_vlan.is_none()
            && !self.dec_nw_ttl
            && self.set_nw_ttl.is_none()
            && self.set_fields.is_empty()
            && self.set_queue.is_none()
            && self.group.is_none()
            && self.output.is_none()
    }
}

/// Appends a sub-program (group bucket, packet-out TABLE) that must not
/// affect what follows: inline when it only outputs (no packet changes,
/// no drop), else as a `Clone`.
fn emit(out: &mut Vec<DpAction>, prog: Vec<DpAction>) {
    if prog
        .iter()
        .all(|a| matches!(a, DpAction::Output(_) | DpAction::Controller { .. }))
    {
        out.extend(prog);
    } else {
        out.push(DpAction::Clone(prog.into_boxed_slice()));
    }
}

struct Xlate<'a> {
    snap: &'a PipelineSnapshot,
    opts: &'a TranslateOptions,
    mask: FlowMask,
    trace: Vec<TraceStep>,
    hits: Vec<EntryRef>,
    /// Tables looked up, as `table_bit`s.
    tables: u64,
    /// Ports whose state was read, as `port_bit`s.
    ports: u64,
    /// Output to TABLE allowed (top level of a packet-out).
    packet_out: bool,
    /// The bridge's tunnel ports, if it has any.
    tunnels: Option<&'a crate::underlay::BridgeTunnels>,
}

impl<'a> Xlate<'a> {
    fn new(snap: &'a PipelineSnapshot, opts: &'a TranslateOptions, packet_out: bool) -> Self {
        Xlate {
            snap,
            opts,
            mask: FlowMask::ZERO,
            trace: Vec::new(),
            hits: Vec::new(),
            tables: 0,
            ports: 0,
            packet_out,
            tunnels: None,
        }
    }

    fn finish(self, actions: Vec<DpAction>) -> Translation {
        Translation {
            actions,
            mask: self.mask,
            trace: self.trace,
            hits: self.hits,
            version: self.snap.version,
            tables: self.tables,
            ports: self.ports,
        }
    }

    /// The program depends on the state of port `ofport` (whether it
    /// exists, its index, its config).
    pub(super) fn port_read(&mut self, ofport: u32) {
        self.ports |= fastpath::upcall::port_bit(ofport);
    }

    /// The program depends on every port's state (FLOOD, ALL, liveness).
    pub(super) fn all_ports_read(&mut self) {
        self.ports = u64::MAX;
    }

    /// What is received on a port with PORT_MOD NO_RECV (or a port that
    /// goes away) no longer goes in: every program depends on its
    /// in_port's state, or on every port's when its mask covers several
    /// in_ports.
    fn in_port_read(&mut self, key: &FlowKey) {
        let full = FlowKey::field_mask(Field::InPort);
        if full.is_subset_of(&self.mask) {
            self.port_read(key.get(Field::InPort) as u32);
        } else {
            self.all_ports_read();
        }
    }

    fn note(&mut self, f: impl FnOnce() -> String) {
        if self.opts.trace {
            if let Some(s) = self.trace.last_mut() {
                if !s.note.is_empty() {
                    s.note.push_str("; ");
                }
                s.note.push_str(&f());
            }
        }
    }

    #[inline]
    fn consult(&mut self, w: &mut Work, bits: &FlowMask) {
        w.track.consult(&mut self.mask, bits);
    }

    /// Reads a field, recording the dependency.
    #[inline]
    fn read(&mut self, w: &mut Work, f: Field) -> u128 {
        self.consult(w, fmask(f));
        w.key.get(f)
    }

    fn set_const(&mut self, w: &mut Work, f: Field, v: u128) {
        w.key.set(f, v);
        w.track.set_const(fmask(f));
    }

    fn is_ip(&mut self, w: &mut Work) -> bool {
        matches!(self.read(w, Field::EthType), ETH_IPV4 | ETH_IPV6)
    }

    /// Whether the packet meets `p`, reading only what the answer needs.
    fn prereq_ok(&mut self, w: &mut Work, p: Prereq) -> bool {
        match p {
            Prereq::None => true,
            Prereq::Vlan => {
                self.consult(w, vid_present_mask());
                w.key.get(Field::VlanVid) & VID_PRESENT != 0
            }
            Prereq::EthType(t) => self.read(w, Field::EthType) == u128::from(t),
            Prereq::Ip => self.is_ip(w),
            Prereq::IpProto(p) => self.is_ip(w) && self.read(w, Field::IpProto) == u128::from(p),
            Prereq::EthProto(t, p) => {
                self.read(w, Field::EthType) == u128::from(t)
                    && self.read(w, Field::IpProto) == u128::from(p)
            }
            Prereq::Icmpv6Type(types) => {
                self.read(w, Field::EthType) == ETH_IPV6 && self.read(w, Field::IpProto) == 58 && {
                    let t = self.read(w, Field::Icmpv6Type);
                    types.iter().any(|&x| t == u128::from(x))
                }
            }
        }
    }

    /// Runs the pipeline from `start` (§5.1): lookups, instructions in the
    /// spec's order, and the action set at the end.
    fn run_pipeline(&mut self, w: &mut Work, start: u8, out: &mut Vec<DpAction>) -> Flow {
        let snap = self.snap;
        let mut set = ActionSet::default();
        let mut tid = start;
        loop {
            let table = &snap.tables[usize::from(tid)];
            self.tables |= fastpath::upcall::table_bit(tid);
            let found = {
                let mask = &mut self.mask;
                let track = &mut w.track;
                table
                    .cls
                    .lookup(&w.key, &mut |bits| track.consult(mask, bits))
            };
            let Some(e) = found else {
                if self.opts.trace {
                    self.trace.push(TraceStep {
                        table: tid,
                        matched: None,
                        note: "no match (table miss): packet dropped".into(),
                    });
                }
                return Flow::Stop;
            };
            self.hits.push(EntryRef(e.counters.clone()));
            if self.opts.trace {
                self.trace.push(TraceStep {
                    table: tid,
                    matched: Some((e.priority, e.cookie, e.match_, e.instructions.clone())),
                    note: String::new(),
                });
            }
            let ctx = Ctx {
                table_id: tid,
                cookie: e.cookie,
                reason: if e.is_table_miss() { 0 } else { 1 },
            };
            let (mut meter, mut apply, mut clear, mut write, mut md, mut goto) =
                (None, None, false, None, None, None);
            for i in &e.instructions {
                match i {
                    Instruction::Meter(m) => meter = Some(*m),
                    Instruction::ApplyActions(a) => apply = Some(a),
                    Instruction::ClearActions => clear = true,
                    Instruction::WriteActions(a) => write = Some(a),
                    Instruction::WriteMetadata { value, mask } => md = Some((*value, *mask)),
                    Instruction::GotoTable(t) => goto = Some(*t),
                }
            }
            // §5.9: meter, apply-actions, clear-actions, write-actions,
            // write-metadata, goto-table.
            if let Some(m) = meter {
                out.push(DpAction::Meter(m));
            }
            if let Some(a) = apply {
                if self.apply_actions(w, a, ctx, out, 0) == Flow::Stop {
                    return Flow::Stop;
                }
            }
            if clear {
                set = ActionSet::default();
            }
            if let Some(a) = write {
                set.write(a);
            }
            if let Some((value, mask)) = md {
                let cur = w.key.get(Field::Metadata) as u64;
                w.key
                    .set(Field::Metadata, ((cur & !mask) | (value & mask)).into());
                w.track.set_const(&bits_of(Field::Metadata, mask.into()));
            }
            match goto {
                Some(t) if t > tid && usize::from(t) < N_TABLES => tid = t,
                Some(t) => {
                    self.note(|| format!("goto_table:{t} is not forward: packet dropped"));
                    return Flow::Stop;
                }
                None => return self.exec_action_set(w, &set, ctx, out),
            }
        }
    }

    /// Executes the action set in the order of §5.10.
    fn exec_action_set(
        &mut self,
        w: &mut Work,
        set: &ActionSet,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
    ) -> Flow {
        if set.is_empty() {
            return Flow::Go;
        }
        if set.pop_vlan {
            self.pop_vlan(w, out);
        }
        if let Some(t) = set.push_vlan {
            self.push_vlan(w, t, out);
        }
        if set.dec_nw_ttl && self.dec_ttl(w, ctx, out) == Flow::Stop {
            return Flow::Stop;
        }
        if let Some(t) = set.set_nw_ttl {
            self.set_nw_ttl(w, t, out);
        }
        for &(f, v) in &set.set_fields {
            self.set_field(w, f, v, out);
        }
        if let Some(q) = set.set_queue {
            self.note(|| format!("set_queue:{q} ignored (no QoS queues)"));
        }
        if let Some(g) = set.group {
            if set.output.is_some() {
                self.note(|| "action set has a group: its output is ignored".into());
            }
            self.group(w, g, ctx, out, 0);
        } else if let Some((port, max_len)) = set.output {
            self.output(w, port, max_len, ctx, out, 0);
        }
        Flow::Go
    }

    fn apply_actions(
        &mut self,
        w: &mut Work,
        actions: &[Action],
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) -> Flow {
        for a in actions {
            match a {
                Action::Output { port, max_len } => {
                    self.output(w, *port, *max_len, ctx, out, depth)
                }
                Action::Group(g) => self.group(w, *g, ctx, out, depth),
                Action::PushVlan(t) => self.push_vlan(w, *t, out),
                Action::PopVlan => self.pop_vlan(w, out),
                Action::SetField { field, value } => self.set_field(w, *field, *value, out),
                Action::SetNwTtl(t) => self.set_nw_ttl(w, *t, out),
                Action::DecNwTtl => {
                    if self.dec_ttl(w, ctx, out) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Action::SetQueue(q) => {
                    self.note(|| format!("set_queue:{q} ignored (no QoS queues)"))
                }
                other => self.note(|| format!("{other:?}: not supported, skipped")),
            }
        }
        Flow::Go
    }
}

impl PipelineSnapshot {
    /// Translates a packet's flow key through the pipeline from table 0.
    pub fn translate(&self, key: &FlowKey, opts: &TranslateOptions) -> Translation {
        self.translate_with_tunnels(key, opts, None)
    }

    /// [`Self::translate`] for a bridge with tunnel ports: outputs to
    /// them become tunnel pushes.
    pub fn translate_with_tunnels(
        &self,
        key: &FlowKey,
        opts: &TranslateOptions,
        tunnels: Option<&crate::underlay::BridgeTunnels>,
    ) -> Translation {
        let mut x = Xlate::new(self, opts, false);
        x.tunnels = tunnels;
        let mut w = Work {
            key: *key,
            track: Track::default(),
        };
        let mut out = Vec::new();
        // PORT_MOD NO_RECV / PORT_DOWN: nothing received there goes in.
        if self.ports.any_drops_rx() {
            let ip = x.read(&mut w, Field::InPort);
            if self.ports.drops_rx(ip as u32) {
                out.push(DpAction::Drop);
                x.in_port_read(key);
                return x.finish(out);
            }
        }
        x.run_pipeline(&mut w, 0, &mut out);
        x.in_port_read(key);
        x.finish(out)
    }

    /// Translates a packet-out's action list (validate it first with
    /// [`PipelineSnapshot::validate_packet_out`]). Output to TABLE runs
    /// the pipeline from table 0 on a copy of the packet as modified so
    /// far. Packet-ins it causes carry table_id 0xff and cookie
    /// 0xffff_ffff_ffff_ffff.
    pub fn translate_packet_out(
        &self,
        key: &FlowKey,
        actions: &[Action],
        opts: &TranslateOptions,
    ) -> Translation {
        let mut x = Xlate::new(self, opts, true);
        if opts.trace {
            x.trace.push(TraceStep {
                table: TABLE_ALL,
                matched: None,
                note: "packet-out actions".into(),
            });
        }
        let mut w = Work {
            key: *key,
            track: Track::default(),
        };
        let mut out = Vec::new();
        let ctx = Ctx {
            table_id: TABLE_ALL,
            cookie: u64::MAX,
            reason: 1,
        };
        x.apply_actions(&mut w, actions, ctx, &mut out, 0);
        x.finish(out)
    }
}
