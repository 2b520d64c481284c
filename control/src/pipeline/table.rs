//! Flow entries, their counters, and the flow-mod commands (OpenFlow
//! 1.3.5 §6.4) applied to a pipeline snapshot under construction.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::classifier::Classifier;
use super::model::{
    flow_flags, Action, FlowMatch, FlowMod, FlowModCommand, Instruction, GROUP_ANY, N_TABLES,
    TABLE_ALL,
};
use super::validate;
use super::{PipelineConfig, PipelineSnapshot};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};

/// Packet/byte counters and last-use time of a flow entry, group or
/// bucket. Shared (`Arc`) by every snapshot holding the object, and handed
/// to the datapath through [`EntryRef`].
#[derive(Debug)]
pub(crate) struct Counters {
    packets: AtomicU64,
    bytes: AtomicU64,
    /// Nanoseconds after `base` of the last hit, plus one (0: never).
    used_ns: AtomicU64,
    base: Instant,
}

impl Counters {
    pub(crate) fn new(base: Instant) -> Arc<Self> {
        Arc::new(Counters {
            packets: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            used_ns: AtomicU64::new(0),
            base,
        })
    }

    pub(crate) fn packets(&self) -> u64 {
        self.packets.load(Ordering::Relaxed)
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// When the entry was last hit, if ever.
    pub(crate) fn last_used(&self) -> Option<Instant> {
        match self.used_ns.load(Ordering::Relaxed) {
            0 => None,
            n => Some(self.base + Duration::from_nanos(n - 1)),
        }
    }

    pub(crate) fn reset(&self) {
        self.packets.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
    }
}

/// A cheap handle to an entry's (or group's, or bucket's) counters, so the
/// datapath can credit megaflow hits to the OpenFlow objects they came
/// from.
#[derive(Clone)]
pub struct EntryRef(pub(crate) Arc<Counters>);

impl EntryRef {
    /// Adds `packets` and `bytes` to the counters.
    #[inline]
    pub fn credit(&self, packets: u64, bytes: u64) {
        self.0.packets.fetch_add(packets, Ordering::Relaxed);
        self.0.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records a hit at `now` (for idle timeouts).
    #[inline]
    pub fn touch(&self, now: Instant) {
        let ns = now.saturating_duration_since(self.0.base).as_nanos();
        let ns = u64::try_from(ns).unwrap_or(u64::MAX - 1) + 1;
        self.0.used_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// `credit` and `touch` together.
    #[inline]
    pub fn credit_at(&self, packets: u64, bytes: u64, now: Instant) {
        self.credit(packets, bytes);
        self.touch(now);
    }

    pub fn packets(&self) -> u64 {
        self.0.packets()
    }

    pub fn bytes(&self) -> u64 {
        self.0.bytes()
    }

    /// Whether both handles refer to the same counters.
    pub fn same(&self, other: &EntryRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for EntryRef {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl Eq for EntryRef {}

impl std::fmt::Debug for EntryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EntryRef({:p}: {} packets, {} bytes)",
            Arc::as_ptr(&self.0),
            self.packets(),
            self.bytes()
        )
    }
}

/// A flow entry. Immutable once in a snapshot; a modify builds a new
/// `Entry` sharing the counters.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Insertion sequence number (kept across modifies): dump order.
    pub(crate) id: u64,
    pub(crate) table_id: u8,
    pub(crate) priority: u16,
    pub(crate) match_: FlowMatch,
    pub(crate) cookie: u64,
    pub(crate) idle_timeout: u16,
    pub(crate) hard_timeout: u16,
    pub(crate) flags: u16,
    pub(crate) instructions: Vec<Instruction>,
    pub(crate) installed: Instant,
    pub(crate) counters: Arc<Counters>,
}

impl Entry {
    /// Actions of apply-actions and write-actions instructions.
    pub(crate) fn actions(&self) -> impl Iterator<Item = &Action> {
        self.instructions.iter().flat_map(|i| match i {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
            _ => &[],
        })
    }

    /// Whether an output action sends to `port` (ANY: always true).
    pub(crate) fn outputs_to(&self, port: PortNo) -> bool {
        port == PortNo::ANY
            || self
                .actions()
                .any(|a| matches!(a, Action::Output { port: p, .. } if *p == port))
    }

    /// Whether a group action uses `group` (GROUP_ANY: always true).
    pub(crate) fn uses_group(&self, group: u32) -> bool {
        group == GROUP_ANY
            || self
                .actions()
                .any(|a| matches!(a, Action::Group(g) if *g == group))
    }

    /// Whether the entry references any group.
    pub(crate) fn uses_any_group(&self) -> bool {
        self.actions().any(|a| matches!(a, Action::Group(_)))
    }

    pub(crate) fn meter(&self) -> Option<u32> {
        self.instructions.iter().find_map(|i| match i {
            Instruction::Meter(m) => Some(*m),
            _ => None,
        })
    }

    /// The table-miss entry: lowest priority, wildcards everything.
    pub(crate) fn is_table_miss(&self) -> bool {
        self.priority == 0 && self.match_.mask.is_zero()
    }

    pub(crate) fn cookie_matches(&self, cookie: u64, mask: u64) -> bool {
        (self.cookie ^ cookie) & mask == 0
    }

    /// Start of the idle period: the last hit, or installation.
    pub(crate) fn last_active(&self) -> Instant {
        match self.counters.last_used() {
            Some(t) if t > self.installed => t,
            _ => self.installed,
        }
    }

    pub(crate) fn removed(&self, reason: RemovedReason, now: Instant) -> RemovedFlow {
        RemovedFlow {
            table_id: self.table_id,
            priority: self.priority,
            cookie: self.cookie,
            match_: self.match_,
            reason,
            duration: now.saturating_duration_since(self.installed),
            idle_timeout: self.idle_timeout,
            hard_timeout: self.hard_timeout,
            flags: self.flags,
            packet_count: self.counters.packets(),
            byte_count: self.counters.bytes(),
        }
    }

    pub(crate) fn stats(&self, now: Instant) -> FlowStats {
        FlowStats {
            table_id: self.table_id,
            priority: self.priority,
            cookie: self.cookie,
            match_: self.match_,
            instructions: self.instructions.clone(),
            duration: now.saturating_duration_since(self.installed),
            idle_age: now.saturating_duration_since(self.last_active()),
            n_packets: self.counters.packets(),
            n_bytes: self.counters.bytes(),
            idle_timeout: self.idle_timeout,
            hard_timeout: self.hard_timeout,
            flags: self.flags,
        }
    }

    fn has_timeout(&self) -> bool {
        self.idle_timeout != 0 || self.hard_timeout != 0
    }

    /// Why the entry has expired at `now`, if it has.
    pub(crate) fn expired(&self, now: Instant) -> Option<RemovedReason> {
        let hard = (self.hard_timeout != 0)
            .then(|| self.installed + Duration::from_secs(self.hard_timeout.into()));
        let idle = (self.idle_timeout != 0)
            .then(|| self.last_active() + Duration::from_secs(self.idle_timeout.into()));
        match (hard, idle) {
            (Some(h), Some(i)) if h <= now && i <= now => Some(if h <= i {
                RemovedReason::HardTimeout
            } else {
                RemovedReason::IdleTimeout
            }),
            (Some(h), _) if h <= now => Some(RemovedReason::HardTimeout),
            (_, Some(i)) if i <= now => Some(RemovedReason::IdleTimeout),
            _ => None,
        }
    }
}

/// One flow table.
#[derive(Clone, Default)]
pub(crate) struct Table {
    pub(crate) cls: Classifier,
    /// Entries with an idle or hard timeout (so `expire` can skip tables).
    pub(crate) n_timed: usize,
}

impl Table {
    pub(crate) fn insert(&mut self, e: Arc<Entry>) -> Option<Arc<Entry>> {
        let timed = e.has_timeout();
        let old = self.cls.insert(e);
        if timed {
            self.n_timed += 1;
        }
        if old.as_ref().is_some_and(|o| o.has_timeout()) {
            self.n_timed -= 1;
        }
        old
    }

    pub(crate) fn remove(&mut self, m: &FlowMatch, priority: u16) -> Option<Arc<Entry>> {
        let old = self.cls.remove(m, priority);
        if old.as_ref().is_some_and(|o| o.has_timeout()) {
            self.n_timed -= 1;
        }
        old
    }
}

/// OFPRR_*: why a flow entry was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedReason {
    IdleTimeout,
    HardTimeout,
    Delete,
    /// Its group was deleted.
    GroupDelete,
    /// Its meter was deleted.
    MeterDelete,
}

impl RemovedReason {
    /// The OpenFlow 1.3 `ofp_flow_removed_reason` (1.3 has no
    /// METER_DELETE: such removals are reported as DELETE).
    pub fn ofp13_code(self) -> u8 {
        match self {
            RemovedReason::IdleTimeout => 0,
            RemovedReason::HardTimeout => 1,
            RemovedReason::Delete | RemovedReason::MeterDelete => 2,
            RemovedReason::GroupDelete => 3,
        }
    }
}

/// A removed flow entry, with what an OFPT_FLOW_REMOVED message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedFlow {
    pub table_id: u8,
    pub priority: u16,
    pub cookie: u64,
    pub match_: FlowMatch,
    pub reason: RemovedReason,
    pub duration: Duration,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
    pub packet_count: u64,
    pub byte_count: u64,
}

impl RemovedFlow {
    /// Whether the controller asked for a FLOW_REMOVED (OFPFF_SEND_FLOW_REM).
    pub fn send_flow_rem(&self) -> bool {
        self.flags & flow_flags::SEND_FLOW_REM != 0
    }
}

/// What a flow mod did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowModOutcome {
    /// Whether the tables changed (a new snapshot was published).
    pub changed: bool,
    /// ADD: a new entry was inserted.
    pub added: bool,
    /// ADD: an identical entry (match and priority) was replaced.
    pub replaced: bool,
    /// MODIFY*: number of entries whose instructions were replaced.
    pub modified: usize,
    /// DELETE*: the removed entries (reason DELETE). Send FLOW_REMOVED
    /// for those with [`RemovedFlow::send_flow_rem`].
    pub removed: Vec<RemovedFlow>,
}

/// One entry as dump-flows / flow-stats report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStats {
    pub table_id: u8,
    pub priority: u16,
    pub cookie: u64,
    pub match_: FlowMatch,
    pub instructions: Vec<Instruction>,
    pub duration: Duration,
    /// Time since the last hit (or installation).
    pub idle_age: Duration,
    pub n_packets: u64,
    pub n_bytes: u64,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
}

/// Which entries a flow-stats request (dump-flows) wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFilter {
    /// A table, or TABLE_ALL.
    pub table_id: u8,
    /// Entries at least as specific as this (OpenFlow non-strict
    /// semantics); `FlowMatch::ANY` selects all.
    pub match_: FlowMatch,
    /// `Some(priority)`: strict — identical match and this priority.
    pub strict: Option<u16>,
    /// Only entries that output to this port (ANY: no restriction).
    pub out_port: PortNo,
    /// Only entries that use this group (GROUP_ANY: no restriction).
    pub out_group: u32,
    pub cookie: u64,
    pub cookie_mask: u64,
}

impl Default for FlowFilter {
    fn default() -> Self {
        FlowFilter {
            table_id: TABLE_ALL,
            match_: FlowMatch::ANY,
            strict: None,
            out_port: PortNo::ANY,
            out_group: GROUP_ANY,
            cookie: 0,
            cookie_mask: 0,
        }
    }
}

impl FlowFilter {
    pub(crate) fn selects(&self, e: &Entry) -> bool {
        let by_match = match self.strict {
            Some(p) => e.priority == p && e.match_ == self.match_,
            None => subsumes(&self.match_, &e.match_),
        };
        by_match
            && e.cookie_matches(self.cookie, self.cookie_mask)
            && e.outputs_to(self.out_port)
            && e.uses_group(self.out_group)
    }
}

/// Whether `general` matches every packet `specific` matches (OpenFlow's
/// non-strict selection: the entry is at least as specific as the
/// request).
pub(crate) fn subsumes(general: &FlowMatch, specific: &FlowMatch) -> bool {
    general.mask.is_subset_of(&specific.mask) && specific.key.masked(&general.mask) == general.key
}

/// Whether some packet matches both.
pub(crate) fn overlap(a: &FlowMatch, b: &FlowMatch) -> bool {
    let common = a.mask.masked(&b.mask);
    a.key.eq_masked(&b.key, &common)
}

/// The result of applying a flow mod to a working snapshot.
pub(crate) struct FlowModApplied {
    pub(crate) outcome: FlowModOutcome,
    /// Counters to clear once the snapshot is published
    /// (OFPFF_RESET_COUNTS).
    pub(crate) resets: Vec<Arc<Counters>>,
}

fn bad_table(id: u8) -> OfpError {
    OfpError::new(
        OfpErrorKind::FlowModFailed(code::FM_BAD_TABLE_ID),
        format!("table {id} does not exist (tables are 0 to 254)"),
    )
}

/// Applies `fm` to `work`, a private copy of the published snapshot: a
/// table (and a classifier shard) it shares with the published one is
/// copied on its first change, and changed in place after that, so a
/// batch of mods copies each shard it touches once. On error `work` is
/// unchanged (every check comes before the first change).
pub(crate) fn apply_flow_mod(
    work: &mut PipelineSnapshot,
    fm: &FlowMod,
    now: Instant,
    cfg: &PipelineConfig,
    next_id: &mut u64,
) -> Result<FlowModApplied, OfpError> {
    validate::check_flow_flags(fm.flags)?;
    validate::check_match(&fm.match_)?;
    let env = work.env();
    match fm.command {
        FlowModCommand::Add => {
            if usize::from(fm.table_id) >= N_TABLES {
                return Err(bad_table(fm.table_id));
            }
            validate::check_instructions(&env, fm.table_id, &fm.match_, &fm.instructions)?;
            add(work, fm, now, cfg, next_id)
        }
        FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
            if usize::from(fm.table_id) >= N_TABLES {
                return Err(bad_table(fm.table_id));
            }
            validate::check_instructions(&env, fm.table_id, &fm.match_, &fm.instructions)?;
            Ok(modify(work, fm, fm.command == FlowModCommand::ModifyStrict))
        }
        FlowModCommand::Delete | FlowModCommand::DeleteStrict => Ok(delete(
            work,
            fm,
            fm.command == FlowModCommand::DeleteStrict,
            now,
        )),
    }
}

fn add(
    work: &mut PipelineSnapshot,
    fm: &FlowMod,
    now: Instant,
    cfg: &PipelineConfig,
    next_id: &mut u64,
) -> Result<FlowModApplied, OfpError> {
    let tid = usize::from(fm.table_id);
    let table = &work.tables[tid];
    let existing = table.cls.find_exact(&fm.match_, fm.priority).cloned();
    if fm.flags & flow_flags::CHECK_OVERLAP != 0 {
        if let Some(o) = table
            .cls
            .iter()
            .find(|e| e.priority == fm.priority && overlap(&e.match_, &fm.match_))
        {
            return Err(OfpError::new(
                OfpErrorKind::FlowModFailed(code::OVERLAP),
                format!(
                    "an entry of table {} with priority {} (cookie {:#x}) overlaps",
                    fm.table_id, o.priority, o.cookie
                ),
            ));
        }
    }
    if existing.is_none() && table.cls.len() >= cfg.max_entries_per_table {
        return Err(OfpError::new(
            OfpErrorKind::FlowModFailed(code::TABLE_FULL),
            format!(
                "table {} is full ({} entries)",
                fm.table_id, cfg.max_entries_per_table
            ),
        ));
    }
    let mut resets = Vec::new();
    let (id, counters) = match &existing {
        // OF 1.3.5 §6.4: the replaced entry's counters are copied to the
        // new one unless OFPFF_RESET_COUNTS; its duration restarts.
        Some(old) => {
            if fm.flags & flow_flags::RESET_COUNTS != 0 {
                resets.push(old.counters.clone());
            }
            (old.id, old.counters.clone())
        }
        None => {
            *next_id += 1;
            (*next_id, Counters::new(now))
        }
    };
    let entry = Arc::new(Entry {
        id,
        table_id: fm.table_id,
        priority: fm.priority,
        match_: fm.match_,
        cookie: fm.cookie,
        idle_timeout: fm.idle_timeout,
        hard_timeout: fm.hard_timeout,
        flags: fm.flags,
        instructions: fm.instructions.clone(),
        installed: now,
        counters,
    });
    Arc::make_mut(&mut work.tables[tid]).insert(entry);
    Ok(FlowModApplied {
        outcome: FlowModOutcome {
            changed: true,
            added: existing.is_none(),
            replaced: existing.is_some(),
            ..Default::default()
        },
        resets,
    })
}

fn modify(work: &mut PipelineSnapshot, fm: &FlowMod, strict: bool) -> FlowModApplied {
    let tid = usize::from(fm.table_id);
    let table = &work.tables[tid];
    let selected: Vec<Arc<Entry>> = if strict {
        table
            .cls
            .find_exact(&fm.match_, fm.priority)
            .filter(|e| e.cookie_matches(fm.cookie, fm.cookie_mask))
            .cloned()
            .into_iter()
            .collect()
    } else {
        table
            .cls
            .iter()
            .filter(|e| {
                subsumes(&fm.match_, &e.match_) && e.cookie_matches(fm.cookie, fm.cookie_mask)
            })
            .cloned()
            .collect()
    };
    // OF 1.3: a modify that matches nothing does not add an entry.
    if selected.is_empty() {
        return FlowModApplied {
            outcome: FlowModOutcome::default(),
            resets: Vec::new(),
        };
    }
    let t = Arc::make_mut(&mut work.tables[tid]);
    let mut resets = Vec::new();
    for old in &selected {
        // OF 1.3.5 §6.4: only the instructions change; cookie, timeouts,
        // flags, counters and duration stay (counters are cleared with
        // OFPFF_RESET_COUNTS).
        if fm.flags & flow_flags::RESET_COUNTS != 0 {
            resets.push(old.counters.clone());
        }
        t.insert(Arc::new(Entry {
            id: old.id,
            table_id: old.table_id,
            priority: old.priority,
            match_: old.match_,
            cookie: old.cookie,
            idle_timeout: old.idle_timeout,
            hard_timeout: old.hard_timeout,
            flags: old.flags,
            instructions: fm.instructions.clone(),
            installed: old.installed,
            counters: old.counters.clone(),
        }));
    }
    FlowModApplied {
        outcome: FlowModOutcome {
            changed: true,
            modified: selected.len(),
            ..Default::default()
        },
        resets,
    }
}

fn delete(work: &mut PipelineSnapshot, fm: &FlowMod, strict: bool, now: Instant) -> FlowModApplied {
    let filter = FlowFilter {
        table_id: fm.table_id,
        match_: fm.match_,
        strict: strict.then_some(fm.priority),
        out_port: fm.out_port,
        out_group: fm.out_group,
        cookie: fm.cookie,
        cookie_mask: fm.cookie_mask,
    };
    let mut removed = Vec::new();
    let changed = remove_in_place(
        work,
        fm.table_id,
        |e| filter.selects(e),
        |e| removed.push(e.removed(RemovedReason::Delete, now)),
    );
    FlowModApplied {
        outcome: FlowModOutcome {
            changed,
            removed,
            ..Default::default()
        },
        resets: Vec::new(),
    }
}

/// Removes the entries of `table_id` (or all tables) that `pred` selects,
/// calling `on_removed` for each. None when nothing was removed.
pub(crate) fn remove_where(
    cur: &PipelineSnapshot,
    table_id: u8,
    pred: impl Fn(&Entry) -> bool,
    on_removed: impl FnMut(&Entry),
) -> Option<PipelineSnapshot> {
    let mut next = cur.clone();
    remove_in_place(&mut next, table_id, pred, on_removed).then_some(next)
}

/// [`remove_where`] on a working snapshot; whether anything went.
fn remove_in_place(
    work: &mut PipelineSnapshot,
    table_id: u8,
    pred: impl Fn(&Entry) -> bool,
    mut on_removed: impl FnMut(&Entry),
) -> bool {
    let tables: Vec<usize> = if table_id == TABLE_ALL {
        (0..N_TABLES).collect()
    } else if usize::from(table_id) < N_TABLES {
        vec![usize::from(table_id)]
    } else {
        Vec::new()
    };
    let mut changed = false;
    for tid in tables {
        let mut victims: Vec<Arc<Entry>> = work.tables[tid]
            .cls
            .iter()
            .filter(|e| pred(e))
            .cloned()
            .collect();
        if victims.is_empty() {
            continue;
        }
        victims.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
        let t = Arc::make_mut(&mut work.tables[tid]);
        for v in victims {
            if t.remove(&v.match_, v.priority).is_some() {
                on_removed(&v);
                changed = true;
            }
        }
    }
    changed
}
