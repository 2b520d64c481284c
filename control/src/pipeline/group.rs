//! The group table (OpenFlow 1.3.5 §5.6): group mods, their validation,
//! bucket liveness, and group statistics.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::model::{
    Action, Bucket, GroupMod, GroupModCommand, GroupType, GROUP_ALL, GROUP_ANY, GROUP_MAX,
    TABLE_ALL,
};
use super::table::{remove_where, Counters, RemovedFlow, RemovedReason};
use super::validate::{self, Env, Place};
use super::{BridgePorts, PipelineConfig, PipelineSnapshot};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};

/// Longest allowed chain of groups (a bucket's group action counts as one
/// step), checked at group-mod time; translation also stops there.
pub(crate) const MAX_GROUP_DEPTH: usize = 16;

/// One group.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: u32,
    pub(crate) group_type: GroupType,
    pub(crate) buckets: Vec<Bucket>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) bucket_counters: Vec<Arc<Counters>>,
    pub(crate) installed: Instant,
}

impl Group {
    /// Groups this one forwards to or watches.
    fn edges(&self) -> impl Iterator<Item = u32> + '_ {
        bucket_edges(&self.buckets)
    }
}

fn bucket_edges(buckets: &[Bucket]) -> impl Iterator<Item = u32> + '_ {
    buckets.iter().flat_map(|b| {
        b.actions
            .iter()
            .filter_map(|a| match a {
                Action::Group(g) => Some(*g),
                _ => None,
            })
            .chain((b.watch_group != GROUP_ANY).then_some(b.watch_group))
    })
}

/// All groups, by id.
#[derive(Clone, Default, Debug)]
pub(crate) struct GroupTable {
    map: BTreeMap<u32, Arc<Group>>,
}

impl GroupTable {
    pub(crate) fn get(&self, id: u32) -> Option<&Arc<Group>> {
        self.map.get(&id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Group>> {
        self.map.values()
    }

    /// Whether bucket `b` may be used: its watched port is live and its
    /// watched group has a live bucket (unwatched buckets are live).
    pub(crate) fn bucket_live(&self, ports: &BridgePorts, b: &Bucket, depth: usize) -> bool {
        let port_ok = match b.watch_port {
            PortNo::ANY => true,
            p if p.is_reserved() => false,
            p => ports.get(p.0).is_some_and(|pi| pi.live),
        };
        port_ok && (b.watch_group == GROUP_ANY || self.group_live(ports, b.watch_group, depth + 1))
    }

    /// Whether group `id` exists and has a live bucket.
    pub(crate) fn group_live(&self, ports: &BridgePorts, id: u32, depth: usize) -> bool {
        depth <= MAX_GROUP_DEPTH
            && self
                .get(id)
                .is_some_and(|g| g.buckets.iter().any(|b| self.bucket_live(ports, b, depth)))
    }

    /// Whether `target` can be reached from `from` over bucket group
    /// actions and watch groups.
    fn reaches(&self, from: u32, target: u32) -> bool {
        let mut stack = vec![from];
        let mut seen = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if g == target {
                return true;
            }
            if !seen.insert(g) {
                continue;
            }
            if let Some(gr) = self.get(g) {
                stack.extend(gr.edges());
            }
        }
        false
    }

    /// Length of the longest chain of groups in the table (1: no chaining).
    fn max_depth(&self) -> usize {
        fn depth(t: &GroupTable, g: u32, memo: &mut HashMap<u32, usize>, guard: usize) -> usize {
            if let Some(&d) = memo.get(&g) {
                return d;
            }
            if guard > MAX_GROUP_DEPTH + 1 {
                return guard;
            }
            let d = 1 + t
                .get(g)
                .map(|gr| {
                    gr.edges()
                        .map(|c| depth(t, c, memo, guard + 1))
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            memo.insert(g, d);
            d
        }
        let mut memo = HashMap::new();
        self.map
            .keys()
            .map(|&g| depth(self, g, &mut memo, 0))
            .max()
            .unwrap_or(0)
    }
}

/// Statistics and description of one group (group-desc + group-stats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStats {
    pub group_id: u32,
    pub group_type: GroupType,
    pub buckets: Vec<Bucket>,
    /// Flow entries that use the group.
    pub ref_count: u32,
    pub packet_count: u64,
    pub byte_count: u64,
    /// (packets, bytes) per bucket.
    pub bucket_stats: Vec<(u64, u64)>,
    pub duration: Duration,
}

fn gm_err(c: u16, msg: impl Into<String>) -> OfpError {
    OfpError::new(OfpErrorKind::GroupModFailed(c), msg)
}

/// Applies a group mod to `cur`. Returns the new state (None when nothing
/// changed) and the flow entries removed along with a deleted group.
pub(crate) fn apply_group_mod(
    cur: &PipelineSnapshot,
    gm: &GroupMod,
    cfg: &PipelineConfig,
    now: Instant,
) -> Result<(Option<PipelineSnapshot>, Vec<RemovedFlow>), OfpError> {
    let id = gm.group_id;
    match gm.command {
        GroupModCommand::Delete => {
            if id == GROUP_ALL {
                if cur.groups.map.is_empty() {
                    return Ok((None, Vec::new()));
                }
                let mut removed = Vec::new();
                let mut next = remove_where(
                    cur,
                    TABLE_ALL,
                    |e| e.uses_any_group(),
                    |e| removed.push(e.removed(RemovedReason::GroupDelete, now)),
                )
                .unwrap_or_else(|| cur.clone());
                next.groups = Arc::new(GroupTable::default());
                return Ok((Some(next), removed));
            }
            if id > GROUP_MAX {
                return Err(gm_err(
                    code::INVALID_GROUP,
                    format!("invalid group id {id:#x}"),
                ));
            }
            // OF 1.3.5 §6.5: deleting a missing group is not an error.
            if cur.groups.get(id).is_none() {
                return Ok((None, Vec::new()));
            }
            if let Some(g) = cur
                .groups
                .iter()
                .find(|g| g.id != id && g.edges().any(|e| e == id))
            {
                return Err(gm_err(
                    code::CHAINED_GROUP,
                    format!("group {id} is used by group {}", g.id),
                ));
            }
            let mut removed = Vec::new();
            let mut next = remove_where(
                cur,
                TABLE_ALL,
                |e| e.uses_group(id),
                |e| removed.push(e.removed(RemovedReason::GroupDelete, now)),
            )
            .unwrap_or_else(|| cur.clone());
            let mut groups = (*next.groups).clone();
            groups.map.remove(&id);
            next.groups = Arc::new(groups);
            Ok((Some(next), removed))
        }
        GroupModCommand::Add | GroupModCommand::Modify => {
            if id > GROUP_MAX {
                return Err(gm_err(
                    code::INVALID_GROUP,
                    format!("invalid group id {id:#x}"),
                ));
            }
            let existing = cur.groups.get(id);
            match (gm.command, existing) {
                (GroupModCommand::Add, Some(_)) => {
                    return Err(gm_err(code::GROUP_EXISTS, format!("group {id} exists")));
                }
                (GroupModCommand::Modify, None) => {
                    return Err(gm_err(
                        code::UNKNOWN_GROUP,
                        format!("group {id} does not exist"),
                    ));
                }
                _ => {}
            }
            if existing.is_none() && cur.groups.map.len() >= cfg.max_groups {
                return Err(gm_err(
                    code::OUT_OF_GROUPS,
                    format!("at most {} groups", cfg.max_groups),
                ));
            }
            check_buckets(cur, gm)?;
            let mut groups = (*cur.groups).clone();
            groups.map.insert(
                id,
                Arc::new(Group {
                    id,
                    group_type: gm.group_type,
                    buckets: gm.buckets.clone(),
                    // A modified group keeps its counters (its buckets are new).
                    counters: existing.map_or_else(|| Counters::new(now), |g| g.counters.clone()),
                    bucket_counters: gm.buckets.iter().map(|_| Counters::new(now)).collect(),
                    installed: existing.map_or(now, |g| g.installed),
                }),
            );
            if groups.reaches_from_children(id) {
                return Err(gm_err(
                    code::LOOP,
                    format!("group {id} would forward to or watch itself"),
                ));
            }
            if groups.max_depth() > MAX_GROUP_DEPTH {
                return Err(gm_err(
                    code::CHAINING_UNSUPPORTED,
                    format!("group chains are limited to {MAX_GROUP_DEPTH} groups"),
                ));
            }
            let mut next = cur.clone();
            next.groups = Arc::new(groups);
            Ok((Some(next), Vec::new()))
        }
    }
}

impl GroupTable {
    /// Whether some group `id` forwards to or watches leads back to `id`.
    fn reaches_from_children(&self, id: u32) -> bool {
        self.get(id)
            .is_some_and(|g| g.edges().any(|c| self.reaches(c, id)))
    }
}

fn check_buckets(cur: &PipelineSnapshot, gm: &GroupMod) -> Result<(), OfpError> {
    let id = gm.group_id;
    if gm.buckets.len() > super::MAX_BUCKETS {
        return Err(gm_err(
            code::OUT_OF_BUCKETS,
            format!("at most {} buckets", super::MAX_BUCKETS),
        ));
    }
    if gm.group_type == GroupType::Indirect && gm.buckets.len() != 1 {
        return Err(gm_err(
            code::INVALID_GROUP,
            format!(
                "an indirect group has exactly one bucket ({} given)",
                gm.buckets.len()
            ),
        ));
    }
    let env = Env {
        tunnel_ports: &cur.tunnel_ports,
        ports: &cur.ports,
        groups: &cur.groups,
        meters: &cur.meters,
    };
    for (i, b) in gm.buckets.iter().enumerate() {
        if b.weight != 0 && gm.group_type != GroupType::Select {
            return Err(gm_err(
                code::BAD_BUCKET,
                format!("bucket {i}: weight is only for select groups"),
            ));
        }
        if b.watch_group == id
            || b.actions
                .iter()
                .any(|a| matches!(a, Action::Group(g) if *g == id))
        {
            return Err(gm_err(
                code::LOOP,
                format!("bucket {i} of group {id} refers to the group itself"),
            ));
        }
        if b.watch_group != GROUP_ANY && cur.groups.get(b.watch_group).is_none() {
            return Err(gm_err(
                code::BAD_WATCH,
                format!("bucket {i}: watched group {} does not exist", b.watch_group),
            ));
        }
        if b.watch_port != PortNo::ANY && b.watch_port.is_reserved() {
            return Err(gm_err(
                code::BAD_WATCH,
                format!("bucket {i}: cannot watch port {}", b.watch_port),
            ));
        }
        validate::check_actions(&env, &b.actions, Place::Bucket, None, false)?;
    }
    Ok(())
}

/// Group statistics, with reference counts from the flow tables.
pub(crate) fn group_stats(snap: &PipelineSnapshot, now: Instant) -> Vec<GroupStats> {
    let mut refs: HashMap<u32, u32> = HashMap::new();
    if !snap.groups.map.is_empty() {
        for t in &snap.tables {
            for e in t.cls.iter() {
                let mut seen = Vec::new();
                for a in e.actions() {
                    if let Action::Group(g) = a {
                        if !seen.contains(g) {
                            seen.push(*g);
                            *refs.entry(*g).or_insert(0) += 1;
                        }
                    }
                }
            }
        }
    }
    snap.groups
        .iter()
        .map(|g| GroupStats {
            group_id: g.id,
            group_type: g.group_type,
            buckets: g.buckets.clone(),
            ref_count: refs.get(&g.id).copied().unwrap_or(0),
            packet_count: g.counters.packets(),
            byte_count: g.counters.bytes(),
            bucket_stats: g
                .bucket_counters
                .iter()
                .map(|c| (c.packets(), c.bytes()))
                .collect(),
            duration: now.saturating_duration_since(g.installed),
        })
        .collect()
}
