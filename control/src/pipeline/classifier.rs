//! One flow table's classifier: tuple-space search with staged lookup.
//!
//! Entries are grouped into *subtables*, one per distinct match mask. A
//! subtable maps `key & mask` to the entries with that masked key (same
//! match, different priorities), highest priority first. Subtables are kept
//! sorted by the highest priority they hold, so a lookup can stop as soon
//! as the best match found so far outranks every remaining subtable.
//!
//! Staged lookup (as in OVS): a subtable's mask is split into cumulative
//! stages — metadata (in_port, metadata, registers, tunnel), then L2, then
//! L3, then L4 — and every stage but the last has an index of the hashes
//! of its entries' keys masked to that stage. A lookup checks the stages in
//! order and gives up at the first stage whose masked packet hash is absent
//! from the index: then *no* entry of the subtable can match any packet that
//! agrees with this one on the stage's bits, so only those bits were
//! consulted. A hash collision can only make a lookup go on to the next
//! stage (consulting more bits), never give up wrongly, and is itself a
//! function of the consulted bits, so the result stays deterministic on
//! them.
//!
//! Prefix tries (as in OVS's `check_tries`): per table, a trie of the
//! IPv4/IPv6 source and destination prefixes of all entries (`trie.rs`).
//! When a subtable whose mask on such a field is a prefix of length `p`
//! is probed, right before the stage holding the field (L3; the earlier
//! stages passed), the packet's address is walked down the field's trie;
//! when no entry prefix of length `p` matches, the subtable is given up
//! consulting only the address bits that prove it (`min(p, d + 1)` high
//! bits, `d` the depth the packet follows in the trie) instead of the
//! stage. Without this, any higher-priority /32 rule makes every packet's
//! address exact in its megaflow. Checking at the stage, not before the
//! first one, keeps the path (and so the mask) a function of the bits
//! consulted: a packet that fails an earlier stage never reads the trie.
//!
//! Copy-on-write: subtables, their stage indexes and their rule maps are
//! `Arc`-shared between pipeline snapshots and sharded, so a flow mod
//! copies only the shard it touches (plus small per-subtable metadata).
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use fastpath::flow::{Field, FlowKey, FlowMask, FIELDS, FLOW_WORDS};
use hashbrown::HashTable;

use super::model::FlowMatch;
use super::table::Entry;
use super::trie::{field_prefix_mask, prefix_len, Trie, Walk, N_TRIES, TRIE_FIELDS};

/// Number of lookup stages (metadata, L2, L3, L4).
pub(crate) const N_STAGES: usize = 4;

/// Which lookup stage a field belongs to.
fn stage_of(f: Field) -> usize {
    use Field::*;
    match f {
        InPort | Metadata | Reg0 | Reg1 | Reg2 | Reg3 | Reg4 | Reg5 | Reg6 | Reg7 | TunnelId
        | TunIpv4Src | TunIpv4Dst => 0,
        EthDst | EthSrc | EthType | VlanVid | VlanPcp | VlanOuterTci => 1,
        IpDscp | IpEcn | IpProto | NwTtl | IpFrag | Ipv4Src | Ipv4Dst | ArpOp | ArpSpa | ArpTpa
        | Ipv6Src | Ipv6Dst | Ipv6Label => 2,
        _ => 3,
    }
}

/// The key bits of each stage. The four masks are disjoint and cover
/// every bit of a key (bits no field uses belong to the last stage).
pub(crate) fn stage_masks() -> &'static [FlowMask; N_STAGES] {
    static MASKS: OnceLock<[FlowMask; N_STAGES]> = OnceLock::new();
    MASKS.get_or_init(|| {
        let mut m = [FlowMask::ZERO; N_STAGES];
        for d in FIELDS {
            let s = stage_of(d.field);
            m[s].or_assign(&FlowMask::field_mask(d.field));
        }
        // Make them disjoint (shared storage is always within one stage,
        // but be safe) and give unused bits to the last stage.
        let mut seen = FlowMask::ZERO;
        for s in m.iter_mut().take(N_STAGES - 1) {
            and_not_assign(s, &seen);
            seen.or_assign(s);
        }
        let mut last = FlowMask::ALL;
        and_not_assign(&mut last, &seen);
        m[N_STAGES - 1] = last;
        m
    })
}

/// `a &= !b`.
#[inline]
pub(crate) fn and_not_assign(a: &mut FlowMask, b: &FlowMask) {
    let bw = b.words();
    for (x, y) in a.words_mut().iter_mut().zip(bw.iter()) {
        *x &= !*y;
    }
}

/// `a & b`.
#[inline]
pub(crate) fn and(a: &FlowMask, b: &FlowMask) -> FlowMask {
    a.masked(b)
}

/// Whether `a & b` is non-zero.
#[inline]
pub(crate) fn overlaps(a: &FlowMask, b: &FlowMask) -> bool {
    let (aw, bw) = (a.words(), b.words());
    (0..FLOW_WORDS).any(|i| aw[i] & bw[i] != 0)
}

/// A shard holds about this many values on average before the shard
/// count grows (×8), which bounds what one mod copies.
const SHARD_TARGET: usize = 256;
const MAX_SHARDS: usize = 4096;

/// One shard: values with their hashes.
type Shard<T> = Arc<HashTable<(u64, T)>>;

/// A hash table of `(hash, T)` split into `Arc`-shared shards. A mod
/// copies one shard (`Arc::make_mut`); the shard count grows with the
/// number of values, so that copy stays small. `T` should be cheap to
/// clone (counts, `Arc`s).
#[derive(Clone)]
struct Shards<T: Clone> {
    s: Box<[Shard<T>]>,
    n: usize,
}

impl<T: Clone> Shards<T> {
    fn new() -> Self {
        Shards {
            s: Box::new([Arc::new(HashTable::new())]),
            n: 0,
        }
    }

    /// Shard of a hash: middle bits, so that neither hashbrown's bucket
    /// index (low bits) nor its control byte (top 7 bits) loses entropy.
    #[inline]
    fn shard_of(&self, hash: u64) -> usize {
        ((hash >> 40) as usize) & (self.s.len() - 1)
    }

    #[inline]
    fn find(&self, hash: u64, mut eq: impl FnMut(&T) -> bool) -> Option<&T> {
        self.s[self.shard_of(hash)]
            .find(hash, |(h, v)| *h == hash && eq(v))
            .map(|(_, v)| v)
    }

    /// Calls `f` with the value for `hash`/`eq` (`None` when absent);
    /// stores what `f` returns (removing the value on `None`).
    fn upsert(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&T) -> bool,
        f: impl FnOnce(Option<&T>) -> Option<T>,
    ) {
        let i = self.shard_of(hash);
        let t = Arc::make_mut(&mut self.s[i]);
        match t.find_entry(hash, |(h, v)| *h == hash && eq(v)) {
            Ok(o) => {
                let (_, v) = o.get();
                match f(Some(v)) {
                    Some(nv) => {
                        let mut o = o;
                        o.get_mut().1 = nv;
                    }
                    None => {
                        o.remove();
                        self.n -= 1;
                    }
                }
            }
            Err(_) => {
                if let Some(nv) = f(None) {
                    t.insert_unique(hash, (hash, nv), |(h, _)| *h);
                    self.n += 1;
                    self.grow();
                }
            }
        }
    }

    /// Redistributes into 8× more shards when they are too full.
    fn grow(&mut self) {
        let len = self.s.len();
        if len >= MAX_SHARDS || self.n <= len * SHARD_TARGET {
            return;
        }
        let new_len = len * 8;
        let mut tables: Vec<HashTable<(u64, T)>> = (0..new_len).map(|_| HashTable::new()).collect();
        for t in self.s.iter() {
            for (h, v) in t.iter() {
                let i = ((*h >> 40) as usize) & (new_len - 1);
                tables[i].insert_unique(*h, (*h, v.clone()), |(h, _)| *h);
            }
        }
        self.s = tables.into_iter().map(Arc::new).collect();
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.s.iter().flat_map(|t| t.iter().map(|(_, v)| v))
    }
}

/// The entries of one subtable with the same masked key (same match,
/// different priorities), highest priority first (ties: oldest first).
/// Cheap to clone: shard copies never allocate per bucket.
#[derive(Clone)]
enum Bucket {
    One(Arc<Entry>),
    Many(Arc<[Arc<Entry>]>),
}

impl Bucket {
    fn from_vec(mut v: Vec<Arc<Entry>>) -> Option<Bucket> {
        match v.len() {
            0 => None,
            1 => v.pop().map(Bucket::One),
            _ => Some(Bucket::Many(v.into())),
        }
    }

    #[inline]
    fn as_slice(&self) -> &[Arc<Entry>] {
        match self {
            Bucket::One(e) => std::slice::from_ref(e),
            Bucket::Many(v) => v,
        }
    }

    #[inline]
    fn first(&self) -> &Arc<Entry> {
        match self {
            Bucket::One(e) => e,
            Bucket::Many(v) => &v[0],
        }
    }
}

/// Entries sharing one mask.
#[derive(Clone)]
pub(crate) struct Subtable {
    mask: FlowMask,
    /// Cumulative stage masks; the last is `mask` itself.
    stages: Box<[FlowMask]>,
    /// For each stage but the last: hash of `key & stages[i]` → number of
    /// entries whose key has it.
    index: Box<[Shards<u32>]>,
    /// `key & mask` → entries.
    rules: Shards<Bucket>,
    /// Priority → number of entries, for `max_priority`.
    prios: BTreeMap<u16, u32>,
    max_priority: u16,
    n: usize,
    /// Per trie field: the length of the mask's prefix on it (0 when the
    /// mask on it is empty or not a prefix).
    plens: [u8; N_TRIES],
    /// The stage before which the tries are checked: the first one with
    /// bits of a field in `plens` (`usize::MAX`: none).
    trie_stage: usize,
    /// Per trie field, the stage that introduces it (checked there, so that
    /// a check that proves nothing consulted only bits that stage then
    /// consults anyway); `u8::MAX` when the mask has no prefix on it.
    field_stage: [u8; N_TRIES],
}

impl Subtable {
    fn new(mask: FlowMask) -> Self {
        let sm = stage_masks();
        let mut stages = Vec::new();
        let mut cum = FlowMask::ZERO;
        for (i, s) in sm.iter().enumerate() {
            let bits = and(&mask, s);
            if bits.is_zero() && i + 1 < N_STAGES {
                continue;
            }
            cum.or_assign(&bits);
            stages.push(cum);
        }
        // The last stage is always pushed, and equals `mask`.
        debug_assert_eq!(stages.last(), Some(&mask));
        let index = (0..stages.len() - 1).map(|_| Shards::new()).collect();
        let plens = TRIE_FIELDS.map(|f| prefix_len(f, &mask).unwrap_or(0));
        let mut field_stage = [u8::MAX; N_TRIES];
        for ((fs, &f), &p) in field_stage.iter_mut().zip(&TRIE_FIELDS).zip(&plens) {
            if p > 0 {
                if let Some(i) = stages
                    .iter()
                    .position(|s| overlaps(s, &FlowMask::field_mask(f)))
                {
                    *fs = i as u8;
                }
            }
        }
        let trie_stage = field_stage
            .iter()
            .map(|&s| usize::from(s))
            .min()
            .filter(|&s| s != usize::from(u8::MAX))
            .unwrap_or(usize::MAX);
        Subtable {
            mask,
            stages: stages.into_boxed_slice(),
            index,
            rules: Shards::new(),
            prios: BTreeMap::new(),
            max_priority: 0,
            n: 0,
            plens,
            trie_stage,
            field_stage,
        }
    }

    #[cfg(test)]
    pub(crate) fn mask(&self) -> &FlowMask {
        &self.mask
    }

    /// Number of lookup stages this subtable has (1 to 4).
    #[cfg(test)]
    pub(crate) fn n_stages(&self) -> usize {
        self.stages.len()
    }

    /// The best entry of this subtable matching `key`, calling `consult`
    /// with the key bits the answer depended on.
    #[inline]
    fn lookup(
        &self,
        key: &FlowKey,
        consult: &mut dyn FnMut(&FlowMask),
        tc: &mut TrieCtx<'_>,
    ) -> Option<&Arc<Entry>> {
        let last = self.stages.len() - 1;
        for (i, stage) in self.stages.iter().enumerate() {
            if i >= self.trie_stage {
                if let Some(bits) = tc.check(&self.plens, &self.field_stage, i, key) {
                    consult(&bits);
                    return None;
                }
            }
            if i == last {
                break;
            }
            consult(stage);
            let h = key.hash_masked(stage);
            self.index[i].find(h, |_| true)?;
        }
        consult(&self.mask);
        let h = key.hash_masked(&self.mask);
        self.rules
            .find(h, |b| key.eq_masked(&b.first().match_.key, &self.mask))
            .map(Bucket::first)
    }

    /// Edits the bucket of `key` (which must be masked).
    fn edit_bucket(&mut self, key: &FlowKey, f: impl FnOnce(&mut Vec<Arc<Entry>>)) {
        let h = key.hash_masked(&self.mask);
        self.rules.upsert(
            h,
            |b| b.first().match_.key == *key,
            |b| {
                let mut v = b.map_or_else(Vec::new, |b| b.as_slice().to_vec());
                f(&mut v);
                Bucket::from_vec(v)
            },
        );
    }

    fn insert(&mut self, e: Arc<Entry>) {
        let key = e.match_.key;
        for (i, stage) in self.stages[..self.stages.len() - 1].iter().enumerate() {
            self.index[i].upsert(
                key.hash_masked(stage),
                |_| true,
                |c| Some(c.copied().unwrap_or(0) + 1),
            );
        }
        *self.prios.entry(e.priority).or_insert(0) += 1;
        self.max_priority = self.max_priority.max(e.priority);
        self.n += 1;
        self.edit_bucket(&key, |v| {
            // Highest priority first; among equals, insertion order.
            let pos = v.partition_point(|x| x.priority >= e.priority);
            v.insert(pos, e);
        });
    }

    /// Replaces the entry with `e`'s match and priority by `e`; returns
    /// the old one.
    fn replace(&mut self, e: Arc<Entry>) -> Option<Arc<Entry>> {
        let key = e.match_.key;
        let mut old = None;
        self.edit_bucket(&key, |v| {
            if let Some(x) = v.iter_mut().find(|x| x.priority == e.priority) {
                old = Some(std::mem::replace(x, e));
            }
        });
        old
    }

    fn remove(&mut self, m: &FlowMatch, priority: u16) -> Option<Arc<Entry>> {
        let key = m.key;
        self.find_exact(m, priority)?;
        let mut old = None;
        self.edit_bucket(&key, |v| {
            if let Some(p) = v.iter().position(|x| x.priority == priority) {
                old = Some(v.remove(p));
            }
        });
        for (i, stage) in self.stages[..self.stages.len() - 1].iter().enumerate() {
            self.index[i].upsert(
                key.hash_masked(stage),
                |_| true,
                |c| c.copied().filter(|&c| c > 1).map(|c| c - 1),
            );
        }
        if let Some(c) = self.prios.get_mut(&priority) {
            *c -= 1;
            if *c == 0 {
                self.prios.remove(&priority);
            }
        }
        self.max_priority = self.prios.keys().next_back().copied().unwrap_or(0);
        self.n -= 1;
        old
    }

    fn find_exact(&self, m: &FlowMatch, priority: u16) -> Option<&Arc<Entry>> {
        let key = m.key;
        self.rules
            .find(key.hash_masked(&self.mask), |b| b.first().match_.key == key)
            .and_then(|b| b.as_slice().iter().find(|x| x.priority == priority))
    }

    fn iter(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.rules.iter().flat_map(|b| b.as_slice().iter())
    }
}

/// A lookup's view of the tries, with the packet's walks (computed on
/// first use, shared by the subtables).
struct TrieCtx<'a> {
    tries: &'a [Trie; N_TRIES],
    walks: [Option<Walk>; N_TRIES],
}

impl TrieCtx<'_> {
    /// Checks a subtable with trie prefix lengths `plens` (all of whose
    /// entries are in the tries). When some field proves that no entry
    /// matches `key`, returns the key bits that prove it: the mismatching
    /// field's `min(p, d + 1)` high bits (see `trie.rs`), plus the `p`
    /// high bits of each field checked before it (in the fixed field
    /// order), which decided that those did not prove it. So a key
    /// agreeing on the bits returned takes the same path.
    ///
    /// Only the fields introduced by `stage` are checked (see
    /// `Subtable::field_stage`).
    #[inline]
    fn check(
        &mut self,
        plens: &[u8; N_TRIES],
        field_stage: &[u8; N_TRIES],
        stage: usize,
        key: &FlowKey,
    ) -> Option<FlowMask> {
        let mut bits: Option<FlowMask> = None;
        for (i, &p) in plens.iter().enumerate() {
            if p == 0 || usize::from(field_stage[i]) != stage {
                continue;
            }
            let f = TRIE_FIELDS[i];
            let tries = self.tries;
            let w = self.walks[i].get_or_insert_with(|| tries[i].lookup(f, key));
            let p = u32::from(p);
            let (n, skip) = match w.mismatch_bits(p) {
                Some(n) => (n, true),
                None => (p, false),
            };
            let m = field_prefix_mask(f, n);
            match &mut bits {
                Some(b) => b.or_assign(&m),
                None => bits = Some(m),
            }
            if skip {
                return bits;
            }
        }
        None
    }
}

/// One table's entries.
#[derive(Clone, Default)]
pub(crate) struct Classifier {
    /// Sorted by `max_priority`, highest first.
    subtables: Vec<Arc<Subtable>>,
    n: usize,
    /// Per trie field, the prefixes of every entry whose mask on it is a
    /// non-empty prefix.
    tries: [Trie; N_TRIES],
}

impl Classifier {
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.n == 0
    }

    #[cfg(test)]
    pub(crate) fn subtables(&self) -> impl Iterator<Item = &Subtable> {
        self.subtables.iter().map(|s| &**s)
    }

    /// The highest-priority entry matching `key`. `consult` is called with
    /// every set of key bits the answer depended on (see the module docs):
    /// the stages probed in each subtable that was searched. Subtables
    /// whose entries cannot outrank the match found are not searched.
    #[inline]
    pub(crate) fn lookup(
        &self,
        key: &FlowKey,
        consult: &mut dyn FnMut(&FlowMask),
    ) -> Option<&Arc<Entry>> {
        let mut best: Option<&Arc<Entry>> = None;
        let mut tc = TrieCtx {
            tries: &self.tries,
            walks: [None; N_TRIES],
        };
        for st in &self.subtables {
            if let Some(b) = best {
                if b.priority >= st.max_priority {
                    break;
                }
            }
            if let Some(e) = st.lookup(key, consult, &mut tc) {
                match best {
                    Some(b) if b.priority >= e.priority => {}
                    _ => best = Some(e),
                }
            }
        }
        best
    }

    fn trie_insert(&mut self, st_plens: [u8; N_TRIES], key: &FlowKey) {
        for (i, &p) in st_plens.iter().enumerate() {
            if p > 0 {
                self.tries[i].insert(TRIE_FIELDS[i], key, u32::from(p));
            }
        }
    }

    fn trie_remove(&mut self, st_plens: [u8; N_TRIES], key: &FlowKey) {
        for (i, &p) in st_plens.iter().enumerate() {
            if p > 0 {
                self.tries[i].remove(TRIE_FIELDS[i], key, u32::from(p));
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn trie_len(&self, i: usize) -> usize {
        self.tries[i].len()
    }

    /// The entry with exactly this match and priority.
    pub(crate) fn find_exact(&self, m: &FlowMatch, priority: u16) -> Option<&Arc<Entry>> {
        self.subtables
            .iter()
            .find(|s| s.mask == m.mask)
            .and_then(|s| s.find_exact(m, priority))
    }

    /// Inserts `e`, replacing any entry with the same match and priority
    /// (returned).
    pub(crate) fn insert(&mut self, e: Arc<Entry>) -> Option<Arc<Entry>> {
        let mask = e.match_.mask;
        let idx = match self.subtables.iter().position(|s| s.mask == mask) {
            Some(i) => i,
            None => {
                self.subtables.push(Arc::new(Subtable::new(mask)));
                self.subtables.len() - 1
            }
        };
        let st = Arc::make_mut(&mut self.subtables[idx]);
        if st.find_exact(&e.match_, e.priority).is_some() {
            return st.replace(e);
        }
        let (plens, key) = (st.plens, e.match_.key);
        st.insert(e);
        self.trie_insert(plens, &key);
        self.n += 1;
        self.resort();
        None
    }

    /// Removes the entry with exactly this match and priority.
    pub(crate) fn remove(&mut self, m: &FlowMatch, priority: u16) -> Option<Arc<Entry>> {
        let idx = self.subtables.iter().position(|s| s.mask == m.mask)?;
        self.subtables[idx].find_exact(m, priority)?;
        let st = Arc::make_mut(&mut self.subtables[idx]);
        let old = st.remove(m, priority);
        if old.is_some() {
            let (plens, empty) = (st.plens, st.n == 0);
            self.trie_remove(plens, &m.key);
            self.n -= 1;
            if empty {
                self.subtables.remove(idx);
            }
            self.resort();
        }
        old
    }

    fn resort(&mut self) {
        // Stable, so equal-priority subtables keep their relative order.
        self.subtables
            .sort_by_key(|s| std::cmp::Reverse(s.max_priority));
    }

    /// Every entry (no particular order).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.subtables.iter().flat_map(|s| s.iter())
    }
}
