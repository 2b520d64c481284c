//! Translation of a flow key through the pipeline into a datapath program
//! plus the wildcard mask of every key bit the result depended on. See the
//! module docs of `pipeline` for why the mask is exact.
use std::sync::OnceLock;

use fastpath::actions::{DpAction, ToController};
use fastpath::flow::{Field, FlowKey, FlowMask, Prereq, FIELDS};

use super::classifier::{and_not_assign, overlaps};
use super::group::{Group, MAX_GROUP_DEPTH};
use super::model::{Action, FlowMatch, GroupType, Instruction, N_TABLES, TABLE_ALL};
use super::table::EntryRef;
use super::validate::{set_prereq, ETH_IPV4, ETH_IPV6, VID_PRESENT};
use super::PipelineSnapshot;
use crate::ofp::PortNo;

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

/// Mask of each field, by `Field as usize`.
fn fmask(f: Field) -> &'static FlowMask {
    static M: OnceLock<Vec<FlowMask>> = OnceLock::new();
    &M.get_or_init(|| {
        FIELDS
            .iter()
            .map(|d| FlowMask::field_mask(d.field))
            .collect()
    })[f as usize]
}

fn bits_of(f: Field, bits: u128) -> FlowMask {
    let mut m = FlowMask::ZERO;
    m.set(f, bits);
    m
}

fn vlan_mask() -> &'static FlowMask {
    static M: OnceLock<FlowMask> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = *fmask(Field::VlanVid);
        m.or_assign(fmask(Field::VlanPcp));
        m.or_assign(fmask(Field::VlanOuterTci));
        m
    })
}

fn vid_present_mask() -> &'static FlowMask {
    static M: OnceLock<FlowMask> = OnceLock::new();
    M.get_or_init(|| bits_of(Field::VlanVid, VID_PRESENT))
}

/// How each bit of the working key relates to the packet's original key.
///
/// A bit is *determined* when its working value is the same for every
/// packet that agrees with this one on the mask built so far (it was
/// consulted, or overwritten with a constant); *derived* when it was
/// computed (push/pop VLAN) from original bits not consulted yet — those
/// sources enter the mask only if the derived bit is consulted later;
/// otherwise it is the original bit (*identity*).
#[derive(Clone, Default)]
struct Track {
    determined: FlowMask,
    /// (derived bits, original bits they were computed from).
    derived: Vec<(FlowMask, FlowMask)>,
}

impl Track {
    /// Records that the translation depends on working bits `bits`: adds
    /// the original bits they come from to `mask`.
    #[inline]
    fn consult(&mut self, mask: &mut FlowMask, bits: &FlowMask) {
        let mut ident = *bits;
        and_not_assign(&mut ident, &self.determined);
        if !self.derived.is_empty() {
            for (d, s) in &mut self.derived {
                if overlaps(d, bits) {
                    mask.or_assign(s);
                }
                and_not_assign(&mut ident, d);
                and_not_assign(d, bits);
            }
            self.derived.retain(|(d, _)| !d.is_zero());
        }
        mask.or_assign(&ident);
        self.determined.or_assign(bits);
    }

    /// `bits` now hold constants.
    fn set_const(&mut self, bits: &FlowMask) {
        self.determined.or_assign(bits);
        if !self.derived.is_empty() {
            for (d, _) in &mut self.derived {
                and_not_assign(d, bits);
            }
            self.derived.retain(|(d, _)| !d.is_zero());
        }
    }

    /// `out` bits now hold a function of the working bits `inputs`.
    fn derive(&mut self, mask: &FlowMask, out: &FlowMask, inputs: &FlowMask) {
        let mut ident = *inputs;
        and_not_assign(&mut ident, &self.determined);
        let mut src = FlowMask::ZERO;
        for (d, s) in &self.derived {
            if overlaps(d, inputs) {
                src.or_assign(s);
            }
            and_not_assign(&mut ident, d);
        }
        src.or_assign(&ident);
        and_not_assign(&mut src, mask);
        for (d, _) in &mut self.derived {
            and_not_assign(d, out);
        }
        self.derived.retain(|(d, _)| !d.is_zero());
        if src.is_zero() {
            self.determined.or_assign(out);
        } else {
            and_not_assign(&mut self.determined, out);
            self.derived.push((*out, src));
        }
    }
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

    /// Push: the new outermost tag copies the previous outermost TCI, or
    /// is zero without one (OpenFlow). Key model (the parser's):
    /// VlanVid/VlanPcp are the outermost tag, VlanOuterTci the second one
    /// (`pcp << 13 | 0x1000 | vid`). The new values are a function of the
    /// old VLAN bits, recorded as derived so that they enter the mask only
    /// if something reads them later; the present bit is now a constant 1.
    fn push_vlan(&mut self, w: &mut Work, tpid: u16, out: &mut Vec<DpAction>) {
        out.push(DpAction::PushVlan { tpid });
        let vid = w.key.get(Field::VlanVid);
        let pcp = w.key.get(Field::VlanPcp);
        if vid & VID_PRESENT == 0 {
            w.key.set(Field::VlanVid, VID_PRESENT);
            w.key.set(Field::VlanPcp, 0);
            w.key.set(Field::VlanOuterTci, 0);
        } else {
            // The old outermost tag becomes the second; the new one has
            // the same TCI, so VlanVid/VlanPcp do not change.
            w.key.set(
                Field::VlanOuterTci,
                (pcp << 13) | VID_PRESENT | (vid & 0xfff),
            );
        }
        w.track.derive(&self.mask, vlan_mask(), vlan_mask());
        w.track.set_const(vid_present_mask());
    }

    /// Pop: the second tag (if any) becomes the outermost.
    fn pop_vlan(&mut self, w: &mut Work, out: &mut Vec<DpAction>) {
        out.push(DpAction::PopVlan);
        if w.key.get(Field::VlanVid) & VID_PRESENT != 0 {
            let second = w.key.get(Field::VlanOuterTci);
            if second & VID_PRESENT != 0 {
                w.key.set(Field::VlanVid, VID_PRESENT | (second & 0xfff));
                w.key.set(Field::VlanPcp, (second >> 13) & 7);
            } else {
                w.key.set(Field::VlanVid, 0);
                w.key.set(Field::VlanPcp, 0);
            }
            w.key.set(Field::VlanOuterTci, 0);
        }
        w.track.derive(&self.mask, vlan_mask(), vlan_mask());
    }

    fn set_field(&mut self, w: &mut Work, field: Field, value: u128, out: &mut Vec<DpAction>) {
        // Validation guarantees flow entries' prerequisites through their
        // match; group buckets and the action set (whose VLAN state other
        // tables may change) are checked here. Either way the bits read
        // are in the mask.
        let p = set_prereq(field);
        if !self.prereq_ok(w, p) {
            self.note(|| {
                format!(
                    "set_field {}: prerequisite {p:?} not met, skipped",
                    field.name()
                )
            });
            return;
        }
        let v = if field == Field::VlanVid {
            (value & 0xfff) | VID_PRESENT
        } else {
            value & field.max_value()
        };
        self.set_const(w, field, v);
        use Field::*;
        match field {
            // Pipeline-only state: nothing for the datapath. Tunnel
            // metadata is consumed by an output to a tunnel port.
            Metadata | Reg0 | Reg1 | Reg2 | Reg3 | Reg4 | Reg5 | Reg6 | Reg7 | TunnelId
            | TunIpv4Src | TunIpv4Dst => {}
            _ => out.push(DpAction::SetField { field, value: v }),
        }
    }

    fn set_nw_ttl(&mut self, w: &mut Work, ttl: u8, out: &mut Vec<DpAction>) {
        // The datapath ignores it for non-IP packets; for them the key's
        // nw_ttl is never matched (nw_ttl requires IP), so no check here.
        out.push(DpAction::SetTtl(ttl));
        self.set_const(w, Field::NwTtl, ttl.into());
    }

    /// A packet-in's fields, with the metadata and tunnel id the packet
    /// has at this point (the PACKET_IN match carries them when nonzero),
    /// so the megaflow depends on them (metadata only on the bits no entry
    /// wrote; it is 0 on ingress, so that never splits megaflows).
    fn packet_in_fields(
        &mut self,
        w: &mut Work,
        max_len: u16,
        reason: u8,
        ctx: Ctx,
    ) -> ToController {
        ToController {
            max_len,
            reason,
            table_id: ctx.table_id,
            cookie: ctx.cookie,
            metadata: self.read(w, Field::Metadata) as u64,
            tunnel_id: self.read(w, Field::TunnelId) as u64,
        }
    }

    fn dec_ttl(&mut self, w: &mut Work, ctx: Ctx, out: &mut Vec<DpAction>) -> Flow {
        if !self.is_ip(w) {
            self.note(|| "dec_ttl: not IP, ignored".into());
            return Flow::Go;
        }
        let ttl = self.read(w, Field::NwTtl);
        if ttl <= 1 {
            if self.opts.send_invalid_ttl {
                let to = self.packet_in_fields(w, self.opts.miss_send_len, 2, ctx);
                out.push(DpAction::Controller(to));
            }
            out.push(DpAction::Drop);
            self.note(|| format!("dec_ttl: ttl {ttl}: invalid TTL, packet dropped"));
            return Flow::Stop;
        }
        out.push(DpAction::DecTtl);
        self.set_const(w, Field::NwTtl, ttl - 1);
        Flow::Go
    }

    fn output(
        &mut self,
        w: &mut Work,
        port: PortNo,
        max_len: u16,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) {
        let snap = self.snap;
        let ports = &*snap.ports;
        match port {
            PortNo::IN_PORT => {
                let ip = self.read(w, Field::InPort);
                match ports.get(ip as u32) {
                    Some(_) if ports.drops_tx(ip as u32) => {
                        self.note(|| format!("output:IN_PORT: port {ip} has no-forward, skipped"))
                    }
                    Some(p) => out.push(DpAction::Output(p.index)),
                    None => {
                        self.note(|| format!("output:IN_PORT: in_port {ip} is not a bridge port"))
                    }
                }
            }
            PortNo::ALL | PortNo::FLOOD => {
                let ip = self.read(w, Field::InPort);
                for p in ports.iter() {
                    if u128::from(p.ofport) == ip
                        || (port == PortNo::FLOOD && p.no_flood)
                        || ports.drops_tx(p.ofport)
                    {
                        continue;
                    }
                    out.push(DpAction::Output(p.index));
                }
            }
            PortNo::CONTROLLER => {
                let to = self.packet_in_fields(w, max_len, ctx.reason, ctx);
                out.push(DpAction::Controller(to));
            }
            PortNo::LOCAL => self.note(|| "output:LOCAL: no local port yet, skipped".into()),
            PortNo::NORMAL => {
                self.note(|| "output:NORMAL: not supported (secure mode), skipped".into())
            }
            PortNo::TABLE if self.packet_out && depth == 0 => {
                self.packet_out = false;
                let mut w2 = w.clone();
                let mut prog = Vec::new();
                self.run_pipeline(&mut w2, 0, &mut prog);
                emit(out, prog);
                self.packet_out = true;
            }
            p if p.is_reserved() => self.note(|| format!("output:{p}: not valid here, skipped")),
            p => match ports.get(p.0) {
                None if self.tunnel_output(w, p.0, out) => {}
                None => self.note(|| format!("output:{p}: no such port, skipped")),
                Some(pi) => {
                    let ip = self.read(w, Field::InPort);
                    if ip == u128::from(p.0) {
                        self.note(|| format!("output:{p}: is the in_port (use IN_PORT), skipped"));
                    } else if ports.drops_tx(p.0) {
                        self.note(|| format!("output:{p}: port has no-forward, skipped"));
                    } else {
                        out.push(DpAction::Output(pi.index));
                    }
                }
            },
        }
    }

    /// Output to tunnel port `ofport`, if it is one: the key and remote
    /// come from the port's options or, for "flow", from the working key
    /// (tun_id / tun_dst), which then enter the mask unless a set_field
    /// made them constant. False when `ofport` is not a tunnel port.
    fn tunnel_output(&mut self, w: &mut Work, ofport: u32, out: &mut Vec<DpAction>) -> bool {
        use fsconfig::{TunnelKey, TunnelRemote};
        let Some(t) = self.tunnels else {
            return false;
        };
        let Some(port) = t.port(ofport) else {
            return false;
        };
        if self.read(w, Field::InPort) == u128::from(ofport) {
            self.note(|| format!("output:{ofport}: is the in_port (use IN_PORT), skipped"));
            return true;
        }
        let key = match port.key {
            TunnelKey::Fixed(k) => k,
            TunnelKey::Flow => self.read(w, Field::TunnelId) as u64,
        };
        let remote = match port.remote_ip {
            TunnelRemote::Ip(ip) => ip,
            TunnelRemote::Flow => std::net::Ipv4Addr::from(self.read(w, Field::TunIpv4Dst) as u32),
        };
        if remote.is_unspecified() {
            self.note(|| format!("output:{ofport}: tunnel without tun_dst, skipped"));
            return true;
        }
        out.push(t.output(port, key, remote));
        true
    }

    fn group(&mut self, w: &mut Work, id: u32, ctx: Ctx, out: &mut Vec<DpAction>, depth: usize) {
        let snap = self.snap;
        let Some(g) = snap.groups.get(id) else {
            self.note(|| format!("group {id} does not exist: skipped"));
            return;
        };
        if depth >= MAX_GROUP_DEPTH {
            self.note(|| format!("group {id}: chain too deep, skipped"));
            return;
        }
        self.hits.push(EntryRef(g.counters.clone()));
        match g.group_type {
            GroupType::All => {
                for i in 0..g.buckets.len() {
                    self.bucket(w, g, i, ctx, out, depth);
                }
            }
            GroupType::Indirect => {
                if !g.buckets.is_empty() {
                    self.bucket(w, g, 0, ctx, out, depth);
                }
            }
            GroupType::FastFailover => {
                match g
                    .buckets
                    .iter()
                    .position(|b| snap.groups.bucket_live(&snap.ports, b, 0))
                {
                    Some(i) => {
                        self.note(|| format!("group {id}: bucket {i} is the first live one"));
                        self.bucket(w, g, i, ctx, out, depth);
                    }
                    None => self.note(|| format!("group {id}: no live bucket, dropped")),
                }
            }
            GroupType::Select => {
                let live: Vec<usize> = (0..g.buckets.len())
                    .filter(|&i| {
                        let b = &g.buckets[i];
                        b.weight > 0 && snap.groups.bucket_live(&snap.ports, b, 0)
                    })
                    .collect();
                let chosen = match live.len() {
                    0 => None,
                    // One candidate: no need to read (and unwildcard) the
                    // hash fields.
                    1 => Some(live[0]),
                    _ => {
                        let h = self.select_hash(w);
                        let total: u64 = live.iter().map(|&i| u64::from(g.buckets[i].weight)).sum();
                        let mut r = h % total;
                        let mut pick = live[live.len() - 1];
                        for &i in &live {
                            let wt = u64::from(g.buckets[i].weight);
                            if r < wt {
                                pick = i;
                                break;
                            }
                            r -= wt;
                        }
                        Some(pick)
                    }
                };
                match chosen {
                    Some(i) => {
                        self.note(|| format!("group {id}: selected bucket {i}"));
                        self.bucket(w, g, i, ctx, out, depth);
                    }
                    None => self.note(|| format!("group {id}: no live bucket, dropped")),
                }
            }
        }
    }

    /// Hash of the 5-tuple (IP) or Ethernet addresses (non-IP), with those
    /// fields (and what decided which ones) added to the mask.
    fn select_hash(&mut self, w: &mut Work) -> u64 {
        let et = self.read(w, Field::EthType);
        let mut m = *fmask(Field::EthType);
        if et == ETH_IPV4 || et == ETH_IPV6 {
            let (s, d) = if et == ETH_IPV4 {
                (Field::Ipv4Src, Field::Ipv4Dst)
            } else {
                (Field::Ipv6Src, Field::Ipv6Dst)
            };
            m.or_assign(fmask(s));
            m.or_assign(fmask(d));
            m.or_assign(fmask(Field::IpProto));
            if matches!(self.read(w, Field::IpProto), 6 | 17 | 132) {
                m.or_assign(fmask(Field::TcpSrc));
                m.or_assign(fmask(Field::TcpDst));
            }
        } else {
            m.or_assign(fmask(Field::EthSrc));
            m.or_assign(fmask(Field::EthDst));
        }
        self.consult(w, &m);
        w.key.hash_masked(&m)
    }

    /// Runs bucket `i` of `g` on a copy of the packet.
    fn bucket(
        &mut self,
        w: &Work,
        g: &'a Group,
        i: usize,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) {
        self.hits.push(EntryRef(g.bucket_counters[i].clone()));
        let mut w2 = w.clone();
        let mut prog = Vec::new();
        self.apply_actions(&mut w2, &g.buckets[i].actions, ctx, &mut prog, depth + 1);
        emit(out, prog);
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
                return x.finish(out);
            }
        }
        x.run_pipeline(&mut w, 0, &mut out);
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
