//! The OpenFlow 1.3 pipeline: flow tables, groups and meters that
//! controllers program, and the translation of a packet's flow key through
//! them into compiled datapath actions plus the wildcard mask of every key
//! bit the translation consulted.
//!
//! # State and concurrency
//!
//! The whole state (255 tables, groups, meters, the bridge's ports) is an
//! immutable [`PipelineSnapshot`] behind an `ArcSwap`. Translating threads
//! load it lock-free and never see half of a mod. A mod (serialized by a
//! mutex on the control side) validates against the current snapshot,
//! builds the next one — sharing, through `Arc`s, every table, subtable and
//! hash shard it does not touch — and swaps it in. On error nothing is
//! published. Counters are `Arc`'d atomics shared across snapshots
//! ([`EntryRef`]), so they survive modifies and are credited by the
//! datapath for megaflow hits.
//!
//! # Wildcard masks
//!
//! [`PipelineSnapshot::translate`] returns, with the program, a mask `M`
//! such that every key `q` with `q & M == p & M` translates to the same
//! program and hits. The argument: translation is a deterministic sequence
//! of steps, and each decision (which entry matches, which bucket, whether
//! TTL is valid, which port is the in_port, ...) reads key bits only
//! through `consult`, which adds them to `M`. So for `q` agreeing with `p`
//! on `M`, every decision comes out the same, by induction over the steps.
//! What is consulted, and why it is no more than needed:
//!
//! * **Table lookups** (tuple-space search, `classifier.rs`). Subtables are
//!   visited in order of the highest priority they hold. A subtable that
//!   cannot beat the match already found is not visited and contributes
//!   nothing: its entries cannot change the answer whatever their keys.
//!   A visited subtable is probed in stages (metadata/in_port, then L2,
//!   L3, L4; OVS's staged lookup). Every stage but the last has an index
//!   of the hashes of its entries' keys cut to the stages so far; when the
//!   packet's hash is absent, no entry of the subtable can match any packet
//!   that agrees on those bits, so only the stages examined are consulted.
//!   A hash collision only makes the probe go on (consulting more), and
//!   the collision itself depends only on consulted bits. A full probe
//!   consults the subtable's whole mask, matched or not — this is what
//!   puts higher-priority entries that did *not* match into the mask.
//! * **Actions** consult what they read: output to a port, IN_PORT, ALL
//!   and FLOOD read in_port (a packet must not go back where it came
//!   from); dec_ttl reads eth_type (IP or not) and nw_ttl (`<= 1`: invalid
//!   TTL); select groups read the 5-tuple (IPv4/IPv6 src, dst, proto, and
//!   L4 ports for TCP/UDP/SCTP; Ethernet addresses for non-IP) plus the
//!   eth_type and ip_proto that chose those fields — but only when more
//!   than one bucket is eligible; set-field reads the bits of its
//!   prerequisites (eth_type, ip_proto, VLAN present bit), checked at run
//!   time since group buckets and the action set are not tied to a match.
//!   Actions that only write (set_field beyond its prerequisites,
//!   set_nw_ttl, push/pop VLAN, write_metadata, meter) read nothing: their
//!   datapath actions do not depend on the packet.
//! * **Modified fields.** Translation works on a copy of the key, and later
//!   tables look up modified values. Bits overwritten with a constant
//!   (set_field, write_metadata, set_nw_ttl, the decremented TTL after its
//!   value was consulted) no longer depend on the packet: a later lookup
//!   reading them consults nothing. Push/pop VLAN compute the new VLAN
//!   bits from the old ones: those bits are *derived*, and their original
//!   sources enter the mask only if a derived bit is read later (a push's
//!   new present bit is a constant). Everything else is the packet's own
//!   bit and is consulted as itself. This keeps `set_field` + `goto` +
//!   lookup on the set field from unwildcarding the packet's old value.
//! * Port liveness (fast failover, select) and the port map are state, not
//!   key bits: they change the snapshot version ([`Translation::version`]),
//!   and the megaflows that depended on a changed port
//!   ([`Translation::ports`]) must be revalidated.
//!
//! The property test in `proptests.rs` checks the invariant on random
//! multi-table rule sets with goto, groups, set-field, push/pop VLAN and
//! dec_ttl, by re-translating packets randomized outside the mask.
pub mod model;

mod classifier;
mod group;
mod meter;
mod table;
mod translate;
mod trie;
mod validate;

#[cfg(test)]
mod packet_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use fastpath::upcall::PipelineChange;

pub use group::GroupStats;
pub use model::*;
pub use table::{EntryRef, FlowFilter, FlowModOutcome, FlowStats, RemovedFlow, RemovedReason};
pub use translate::{TraceStep, TranslateOptions, Translation};

use crate::ofp::OfpError;
use group::GroupTable;
use meter::MeterTable;
use table::Table;
use validate::Env;

/// Most buckets in one group (OFPGMFC_OUT_OF_BUCKETS beyond).
pub const MAX_BUCKETS: usize = 1024;

/// One port of the bridge as the pipeline sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortInfo {
    /// OpenFlow port number.
    pub ofport: u32,
    /// Dense datapath port index (what `DpAction::Output` carries).
    pub index: u16,
    /// Link up and port not administratively down (fast failover).
    pub live: bool,
    /// OFPPC_NO_FLOOD: excluded from output:FLOOD.
    pub no_flood: bool,
}

/// The bridge's ports, by OpenFlow port number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgePorts {
    /// Sorted by `ofport`, unique.
    ports: Vec<PortInfo>,
    /// (ofport, OFPPC_* bits) of the ports PORT_MOD configured, sorted;
    /// translation obeys PORT_DOWN, NO_RECV and NO_FWD.
    admin: Vec<(u32, u32)>,
}

impl BridgePorts {
    /// Builds the map; with duplicate `ofport`s the first wins.
    pub fn new(mut ports: Vec<PortInfo>) -> Self {
        ports.sort_by_key(|p| p.ofport);
        ports.dedup_by_key(|p| p.ofport);
        BridgePorts {
            ports,
            admin: Vec::new(),
        }
    }

    /// The same ports with these OFPPC_* config bits (by ofport).
    pub fn with_config(mut self, config: impl IntoIterator<Item = (u32, u32)>) -> Self {
        self.admin = config.into_iter().filter(|&(_, c)| c != 0).collect();
        self.admin.sort_unstable();
        self.admin.dedup_by_key(|a| a.0);
        self
    }

    /// OFPPC_* bits of `ofport` (0: none).
    pub fn config(&self, ofport: u32) -> u32 {
        self.admin
            .binary_search_by_key(&ofport, |a| a.0)
            .map_or(0, |i| self.admin[i].1)
    }

    /// Whether packets received on `ofport` are dropped (OFPPC_NO_RECV or
    /// OFPPC_PORT_DOWN).
    pub fn drops_rx(&self, ofport: u32) -> bool {
        self.config(ofport) & (admin::NO_RECV | admin::PORT_DOWN) != 0
    }

    /// Whether output to `ofport` is dropped (OFPPC_NO_FWD or
    /// OFPPC_PORT_DOWN).
    pub fn drops_tx(&self, ofport: u32) -> bool {
        self.config(ofport) & (admin::NO_FWD | admin::PORT_DOWN) != 0
    }

    /// Whether any port drops what it receives (then translation matches
    /// on in_port).
    pub fn any_drops_rx(&self) -> bool {
        self.admin
            .iter()
            .any(|&(_, c)| c & (admin::NO_RECV | admin::PORT_DOWN) != 0)
    }

    pub fn get(&self, ofport: u32) -> Option<&PortInfo> {
        self.ports
            .binary_search_by_key(&ofport, |p| p.ofport)
            .ok()
            .map(|i| &self.ports[i])
    }

    /// Whether `ofport` exists and is live.
    pub fn is_live(&self, ofport: u32) -> bool {
        self.get(ofport).is_some_and(|p| p.live)
    }

    /// All ports, by OpenFlow port number.
    pub fn iter(&self) -> impl Iterator<Item = &PortInfo> {
        self.ports.iter()
    }

    /// The ports (`fastpath::upcall::port_bit`s) whose state differs in
    /// `other`: added, removed, or with another index, liveness, flood
    /// flag or PORT_MOD config.
    pub fn changed(&self, other: &BridgePorts) -> u64 {
        use fastpath::upcall::port_bit;
        let mut bits = 0;
        for p in &self.ports {
            if other.get(p.ofport) != Some(p) {
                bits |= port_bit(p.ofport);
            }
        }
        for p in &other.ports {
            if self.get(p.ofport).is_none() {
                bits |= port_bit(p.ofport);
            }
        }
        for &(ofport, _) in self.admin.iter().chain(&other.admin) {
            if self.config(ofport) != other.config(ofport) {
                bits |= port_bit(ofport);
            }
        }
        bits
    }

    /// Datapath indexes output:FLOOD uses for a packet from `in_port`.
    pub fn flood_set(&self, in_port: u32) -> impl Iterator<Item = u16> + '_ {
        self.ports
            .iter()
            .filter(move |p| p.ofport != in_port && !p.no_flood && !self.drops_tx(p.ofport))
            .map(|p| p.index)
    }

    pub fn len(&self) -> usize {
        self.ports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }
}

/// The OFPPC_* bits translation obeys.
pub mod admin {
    pub const PORT_DOWN: u32 = 1 << 0;
    pub const NO_RECV: u32 = 1 << 2;
    pub const NO_FWD: u32 = 1 << 5;
}

impl From<Vec<PortInfo>> for BridgePorts {
    fn from(v: Vec<PortInfo>) -> Self {
        BridgePorts::new(v)
    }
}

/// Limits and supported features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// OFPFMFC_TABLE_FULL beyond this many entries in one table.
    pub max_entries_per_table: usize,
    /// OFPGMFC_OUT_OF_GROUPS beyond.
    pub max_groups: usize,
    /// OFPMMFC_OUT_OF_METERS beyond.
    pub max_meters: usize,
    /// OFPMMFC_OUT_OF_BANDS beyond.
    pub max_meter_bands: usize,
    /// Whether the datapath meters implement DSCP remark bands (else
    /// OFPMMFC_BAD_BAND).
    pub dscp_remark_bands: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            max_entries_per_table: 1_000_000,
            max_groups: 65_536,
            max_meters: 65_536,
            max_meter_bands: 8,
            dscp_remark_bands: true,
        }
    }
}

/// An immutable state of the whole pipeline.
#[derive(Clone)]
pub struct PipelineSnapshot {
    /// `N_TABLES` tables.
    pub(crate) tables: Vec<Arc<Table>>,
    pub(crate) groups: Arc<GroupTable>,
    pub(crate) meters: Arc<MeterTable>,
    pub(crate) ports: Arc<BridgePorts>,
    pub(crate) version: u64,
    /// The last [`CHANGE_LOG_LEN`] versions and what each changed (None:
    /// not known), oldest first, for revalidating megaflows selectively.
    pub(crate) changes: Arc<[ChangeLogEntry]>,
    /// OpenFlow numbers of the bridge's tunnel ports (valid outputs that
    /// are not datapath ports; translation maps them to tunnel pushes).
    pub(crate) tunnel_ports: Arc<[u32]>,
}

/// Versions of pipeline history kept for revalidation.
const CHANGE_LOG_LEN: usize = 64;

/// (version, what that version changed).
pub(crate) type ChangeLogEntry = (u64, Option<Arc<[PipelineChange]>>);

/// What flow mods may change, for the datapath: the match of a table-0
/// mod, or the table of any other. None for a mod on every table.
fn changes_of_flow_mods(fms: &[FlowMod]) -> Option<Vec<PipelineChange>> {
    fms.iter()
        .map(|fm| change_of(fm.table_id, &fm.match_))
        .collect()
}

/// The same for flows removed by timeouts.
fn changes_of_removed(removed: &[RemovedFlow]) -> Option<Vec<PipelineChange>> {
    removed
        .iter()
        .map(|r| change_of(r.table_id, &r.match_))
        .collect()
}

fn change_of(table_id: u8, m: &FlowMatch) -> Option<PipelineChange> {
    match table_id {
        0 => Some(PipelineChange::Table0 {
            key: m.key,
            mask: m.mask,
        }),
        t if usize::from(t) < N_TABLES => Some(PipelineChange::Table(t)),
        _ => None,
    }
}

impl std::fmt::Debug for PipelineSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineSnapshot")
            .field("version", &self.version)
            .field("flows", &self.n_flows())
            .field("groups", &self.groups.iter().count())
            .field("meters", &self.meters.iter().count())
            .field("ports", &self.ports.len())
            .finish()
    }
}

impl PipelineSnapshot {
    fn empty(ports: BridgePorts) -> Self {
        let t = Arc::new(Table::default());
        PipelineSnapshot {
            tables: vec![t; N_TABLES],
            groups: Arc::new(GroupTable::default()),
            meters: Arc::new(MeterTable::default()),
            ports: Arc::new(ports),
            version: 0,
            changes: Arc::from(Vec::new()),
            tunnel_ports: Arc::from([]),
        }
    }

    /// Reports every change after version `since` up to this one through
    /// `f`; false when one is unknown or no longer logged.
    pub fn changes_since(&self, since: u64, f: &mut dyn FnMut(&PipelineChange)) -> bool {
        if since >= self.version {
            return true;
        }
        let Some(first) = self.changes.iter().position(|(v, _)| *v == since + 1) else {
            return false;
        };
        for (_, c) in &self.changes[first..] {
            let Some(c) = c else {
                return false;
            };
            c.iter().for_each(&mut *f);
        }
        true
    }

    pub(crate) fn env(&self) -> Env<'_> {
        Env {
            tunnel_ports: &self.tunnel_ports,
            ports: &self.ports,
            groups: &self.groups,
            meters: &self.meters,
        }
    }

    /// Incremented by every change published.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn ports(&self) -> &BridgePorts {
        &self.ports
    }

    /// Number of flow entries in all tables.
    pub fn n_flows(&self) -> usize {
        self.tables.iter().map(|t| t.cls.len()).sum()
    }

    /// Number of flow entries in table `table_id`.
    pub fn table_len(&self, table_id: u8) -> usize {
        self.tables
            .get(usize::from(table_id))
            .map_or(0, |t| t.cls.len())
    }

    /// Entries selected by `filter`, by table, then priority (highest
    /// first), then installation order.
    pub fn flows(&self, filter: &FlowFilter) -> Vec<FlowStats> {
        let now = Instant::now();
        let tables: Vec<usize> = if filter.table_id == TABLE_ALL {
            (0..N_TABLES).collect()
        } else {
            vec![usize::from(filter.table_id)]
        };
        let mut out = Vec::new();
        for tid in tables {
            let Some(t) = self.tables.get(tid) else {
                continue;
            };
            if t.cls.is_empty() {
                continue;
            }
            let mut es: Vec<_> = t.cls.iter().filter(|e| filter.selects(e)).collect();
            es.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
            out.extend(es.into_iter().map(|e| e.stats(now)));
        }
        out
    }

    /// Every group, by id.
    pub fn groups(&self) -> Vec<GroupStats> {
        group::group_stats(self, Instant::now())
    }

    /// Every meter, by id (command `Add`).
    pub fn meters(&self) -> Vec<MeterMod> {
        self.meters.iter().cloned().collect()
    }

    /// Checks a packet-out's actions (output to TABLE allowed; set-field
    /// prerequisites are checked per packet at translation).
    pub fn validate_packet_out(&self, actions: &[Action]) -> Result<(), OfpError> {
        validate::check_actions(
            &self.env(),
            actions,
            validate::Place::PacketOut,
            None,
            false,
        )
        .map(|_| ())
    }
}

struct Writer {
    next_entry_id: u64,
    /// Flow adds applied but not published yet ([`Pipeline::add_flow_deferred`]).
    pending: Option<Pending>,
}

/// A working copy that collects a run of flow adds, published as one
/// version: each table and classifier shard the run touches is copied
/// once instead of once per add.
struct Pending {
    /// The published snapshot `work` started from (still the current one:
    /// every other change publishes `work` first).
    base: Arc<PipelineSnapshot>,
    work: PipelineSnapshot,
    changed: bool,
    changes: Option<Vec<PipelineChange>>,
    resets: Vec<Arc<table::Counters>>,
}

/// One bridge's OpenFlow pipeline.
pub struct Pipeline {
    current: ArcSwap<PipelineSnapshot>,
    writer: Mutex<Writer>,
    config: PipelineConfig,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("snapshot", &*self.current.load())
            .field("config", &self.config)
            .finish()
    }
}

impl Pipeline {
    pub fn new(ports: BridgePorts) -> Self {
        Self::with_config(ports, PipelineConfig::default())
    }

    pub fn with_config(ports: BridgePorts, config: PipelineConfig) -> Self {
        Pipeline {
            current: ArcSwap::from_pointee(PipelineSnapshot::empty(ports)),
            writer: Mutex::new(Writer {
                next_entry_id: 0,
                pending: None,
            }),
            config,
        }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The current state (lock-free; never blocks on mods).
    pub fn snapshot(&self) -> Arc<PipelineSnapshot> {
        self.current.load_full()
    }

    /// The writer lock, with deferred flow adds published first, so that
    /// every other change applies on top of them.
    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        let mut w = self.lock_raw();
        self.publish_pending(&mut w);
        w
    }

    fn lock_raw(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while building a snapshot publishes nothing, so the
        // state behind a poisoned lock is consistent.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes the deferred flow adds, if they changed anything.
    fn publish_pending(&self, w: &mut Writer) -> bool {
        let Some(p) = w.pending.take() else {
            return false;
        };
        if !p.changed {
            return false;
        }
        self.publish(&p.base, p.work, p.changes);
        for c in p.resets {
            c.reset();
        }
        true
    }

    /// Applies a flow mod like [`Pipeline::flow_mod`], but an ADD is not
    /// published until [`Pipeline::flush`] or the next other change:
    /// readers (and the datapath) keep the previous version meanwhile.
    /// For a run of adds from one OpenFlow read: the caller must flush
    /// before it handles any other message, so that nothing can observe
    /// the difference except speed. Other commands are applied and
    /// published at once.
    pub fn add_flow_deferred(
        &self,
        fm: &FlowMod,
        now: Instant,
    ) -> Result<FlowModOutcome, OfpError> {
        if fm.command != FlowModCommand::Add {
            return self.flow_mod(fm, now);
        }
        let mut w = self.lock_raw();
        let mut p = match w.pending.take() {
            Some(p) => p,
            None => {
                let base = self.current.load_full();
                Pending {
                    work: (*base).clone(),
                    base,
                    changed: false,
                    changes: Some(Vec::new()),
                    resets: Vec::new(),
                }
            }
        };
        let res = table::apply_flow_mod(&mut p.work, fm, now, &self.config, &mut w.next_entry_id);
        if let Ok(applied) = &res {
            if applied.outcome.changed {
                p.changed = true;
                match (
                    &mut p.changes,
                    changes_of_flow_mods(std::slice::from_ref(fm)),
                ) {
                    (Some(all), Some(c)) => all.extend(c),
                    (all, _) => *all = None,
                }
            }
            p.resets.extend(applied.resets.iter().cloned());
        }
        w.pending = Some(p);
        res.map(|a| a.outcome)
    }

    /// Publishes deferred flow adds; whether there were any.
    pub fn flush(&self) -> bool {
        let mut w = self.lock_raw();
        self.publish_pending(&mut w)
    }

    /// Stores `next` as the new version, with `changes` (None: unknown,
    /// such as a group or port change) in its change log.
    fn publish(
        &self,
        cur: &PipelineSnapshot,
        mut next: PipelineSnapshot,
        changes: Option<Vec<PipelineChange>>,
    ) {
        next.version = cur.version + 1;
        let log = &cur.changes;
        let keep = log.len().min(CHANGE_LOG_LEN - 1);
        let mut entries = Vec::with_capacity(keep + 1);
        entries.extend_from_slice(&log[log.len() - keep..]);
        entries.push((next.version, changes.map(Arc::from)));
        next.changes = Arc::from(entries);
        self.current.store(Arc::new(next));
    }

    /// Declares the bridge's tunnel ports (at start-up, before flows).
    pub fn set_tunnel_ports(&self, ofports: Vec<u32>) {
        let _w = self.lock();
        let cur = self.current.load_full();
        let mut next = (*cur).clone();
        next.tunnel_ports = ofports.into();
        self.publish(&cur, next, None);
    }

    /// Replaces the bridge's ports (added, removed, liveness changed).
    pub fn set_ports(&self, ports: BridgePorts) {
        let _w = self.lock();
        let cur = self.current.load_full();
        if *cur.ports == ports {
            return;
        }
        let changed = cur.ports.changed(&ports);
        let mut next = (*cur).clone();
        next.ports = Arc::new(ports);
        self.publish(&cur, next, Some(vec![PipelineChange::Ports(changed)]));
    }

    /// Applies a flow mod (all five commands). On error nothing changes.
    pub fn flow_mod(&self, fm: &FlowMod, now: Instant) -> Result<FlowModOutcome, OfpError> {
        let mut w = self.lock();
        let cur = self.current.load_full();
        let mut next = (*cur).clone();
        let applied =
            table::apply_flow_mod(&mut next, fm, now, &self.config, &mut w.next_entry_id)?;
        if applied.outcome.changed {
            self.publish(&cur, next, changes_of_flow_mods(std::slice::from_ref(fm)));
        }
        for c in applied.resets {
            c.reset();
        }
        Ok(applied.outcome)
    }

    /// Applies several flow mods as one change: all of them or, when one
    /// fails, none (the error carries its index). Readers see either the
    /// old tables or the new ones.
    pub fn flow_mods(
        &self,
        fms: &[FlowMod],
        now: Instant,
    ) -> Result<Vec<FlowModOutcome>, (usize, OfpError)> {
        let mut w = self.lock();
        let cur = self.current.load_full();
        // One working copy for the whole batch: each table and shard it
        // changes is copied once, not once per mod.
        let mut work = (*cur).clone();
        let mut next_id = w.next_entry_id;
        let mut outcomes = Vec::with_capacity(fms.len());
        let mut resets = Vec::new();
        let mut changed = false;
        for (i, fm) in fms.iter().enumerate() {
            let applied = table::apply_flow_mod(&mut work, fm, now, &self.config, &mut next_id)
                .map_err(|e| (i, e))?;
            changed |= applied.outcome.changed;
            resets.extend(applied.resets);
            outcomes.push(applied.outcome);
        }
        w.next_entry_id = next_id;
        if changed {
            self.publish(&cur, work, changes_of_flow_mods(fms));
        }
        for c in resets {
            c.reset();
        }
        Ok(outcomes)
    }

    /// Applies a group mod.
    pub fn group_mod(&self, gm: &GroupMod) -> Result<(), OfpError> {
        self.group_mod_outcome(gm).map(|_| ())
    }

    /// Applies a group mod; returns the flow entries removed because they
    /// used a deleted group (reason GROUP_DELETE).
    pub fn group_mod_outcome(&self, gm: &GroupMod) -> Result<Vec<RemovedFlow>, OfpError> {
        let _w = self.lock();
        let cur = self.current.load_full();
        let (next, removed) = group::apply_group_mod(&cur, gm, &self.config, Instant::now())?;
        if let Some(next) = next {
            self.publish(&cur, next, None);
        }
        Ok(removed)
    }

    /// Applies a meter mod.
    pub fn meter_mod(&self, mm: &MeterMod) -> Result<(), OfpError> {
        self.meter_mod_outcome(mm).map(|_| ())
    }

    /// Applies a meter mod; returns the flow entries removed because they
    /// used a deleted meter.
    pub fn meter_mod_outcome(&self, mm: &MeterMod) -> Result<Vec<RemovedFlow>, OfpError> {
        let _w = self.lock();
        let cur = self.current.load_full();
        let (next, removed) = meter::apply_meter_mod(&cur, mm, &self.config, Instant::now())?;
        if let Some(next) = next {
            self.publish(&cur, next, None);
        }
        Ok(removed)
    }

    /// The meters the fastpath meter table must hold, by id.
    pub fn meter_configs(&self) -> Vec<MeterMod> {
        self.snapshot().meters()
    }

    /// Removes entries whose idle or hard timeout has passed at `now`.
    pub fn expire(&self, now: Instant) -> Vec<RemovedFlow> {
        let _w = self.lock();
        let cur = self.current.load_full();
        let mut removed = Vec::new();
        let mut next: Option<PipelineSnapshot> = None;
        for (tid, t) in cur.tables.iter().enumerate() {
            if t.n_timed == 0 {
                continue;
            }
            let mut victims: Vec<_> = t
                .cls
                .iter()
                .filter_map(|e| e.expired(now).map(|r| (e.clone(), r)))
                .collect();
            if victims.is_empty() {
                continue;
            }
            victims.sort_by(|(a, _), (b, _)| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
            let n = next.get_or_insert_with(|| (*cur).clone());
            let tm = Arc::make_mut(&mut n.tables[tid]);
            for (e, reason) in victims {
                if tm.remove(&e.match_, e.priority).is_some() {
                    removed.push(e.removed(reason, now));
                }
            }
        }
        if let Some(n) = next {
            self.publish(&cur, n, changes_of_removed(&removed));
        }
        removed
    }
}
