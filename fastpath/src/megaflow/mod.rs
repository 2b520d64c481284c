//! Per-PMD megaflow cache: tuple-space search over the masks that
//! translations produced. One subtable per distinct mask, each a hash map
//! from the masked key to its megaflow. Megaflows made from one pipeline
//! generation never disagree, so the first hit wins.
use std::sync::Arc;

use hashbrown::HashTable;

use crate::actions::DpAction;
use crate::flow::{Field, FlowKey, FlowMask, FLOW_WORDS, HOT_WORDS};
use crate::upcall::{FlowCredit, PipelineChange, Translator, Upcall};

/// Above this many (change, megaflow) checks, a revalidation just empties
/// the cache: re-translating the flows that come back is cheaper.
const MAX_REVALIDATION_CHECKS: usize = 4_000_000;

/// A cached translation.
///
/// Laid out for the PMD's per-packet work: the first cache line holds all
/// that verifying, counting and (for a single output) executing a hit
/// reads or writes: the pending counters, the single output port, the
/// subtable (for the mask) and the key's first words. With many flows the
/// megaflows do not fit the L2 cache and each line touched per packet is a
/// miss, so a hit on a typical mask touches one line. The rest of the key,
/// the action program, the credited totals and what revalidation needs
/// come after it.
#[repr(C, align(64))]
pub struct Megaflow {
    /// Hits not yet credited to the OpenFlow entries (or to `packets`).
    pending_packets: u64,
    pending_bytes: u64,
    /// The output port when the actions are a single output (the common
    /// program), else [`NO_SINGLE_OUTPUT`]: executed without reading
    /// `actions`, which live elsewhere.
    pub single_output: u16,
    /// Slot of its subtable in `MegaflowCache::subtables` (stable while
    /// the megaflow lives), for verifying exact-match-cache hits.
    subtable: u16,
    /// Whether its actions push a tunnel header (into the headroom).
    pub encapsulates: bool,
    /// `key & mask` of the packet that made it: words 0..HOT_WORDS here,
    /// the others in `key_tail`.
    key_head: [u64; HOT_WORDS],
    /// The program when it is not a single output: first in the second
    /// line, which [`MegaflowCache::prefetch_program`] loads.
    pub actions: Arc<[DpAction]>,
    key_tail: [u64; FLOW_WORDS - HOT_WORDS],
    /// Packets and bytes credited so far (`packets()` adds the pending).
    packets: u64,
    bytes: u64,
    /// When hits were last credited: the PMD credits every 100 ms, so this
    /// is the last use to within that (a megaflow with pending hits was
    /// used since).
    last_used_tsc: u64,
    credits: Arc<[Arc<dyn FlowCredit>]>,
    /// OpenFlow tables its translation looked up (`upcall::table_bit`).
    tables: u64,
    /// Ports whose state its translation depended on (`upcall::port_bit`).
    ports: u64,
}

// The per-packet fields fill exactly the first line; the program starts
// the second; a slot (`Option<Megaflow>`) has no tag before the megaflow,
// so prefetching the slot's lines prefetches the megaflow's.
const _: () = assert!(std::mem::offset_of!(Megaflow, actions) == 64);
const _: () = assert!(std::mem::size_of::<Option<Megaflow>>() == std::mem::size_of::<Megaflow>());

/// `Megaflow::single_output` when the actions are anything else.
pub const NO_SINGLE_OUTPUT: u16 = u16::MAX;

impl Megaflow {
    /// Counts `packets` packets of `bytes` bytes in all (a burst's run of
    /// packets for this megaflow); credited to the flow entries by
    /// `flush_credits`. Returns true for the first pending hit (the caller
    /// remembers to flush this megaflow's credits later).
    #[inline]
    pub fn hit_n(&mut self, packets: u64, bytes: u64) -> bool {
        let first = self.pending_packets == 0;
        self.pending_packets += packets;
        self.pending_bytes += bytes;
        first
    }

    /// Passes pending hits to the OpenFlow entries' counters and to the
    /// megaflow's own totals; `now_tsc` becomes its last use.
    pub fn flush_credits(&mut self, now_tsc: u64) {
        if self.pending_packets == 0 {
            return;
        }
        for c in self.credits.iter() {
            c.credit(self.pending_packets, self.pending_bytes);
        }
        self.packets += self.pending_packets;
        self.bytes += self.pending_bytes;
        self.last_used_tsc = now_tsc;
        self.pending_packets = 0;
        self.pending_bytes = 0;
    }

    /// Packets it has matched, credited or not.
    pub fn packets(&self) -> u64 {
        self.packets + self.pending_packets
    }

    /// Bytes it has matched, credited or not.
    pub fn bytes(&self) -> u64 {
        self.bytes + self.pending_bytes
    }

    /// TSC of its last use as far as known: `now_tsc` while hits are
    /// pending (they came after the last crediting).
    pub fn last_used_tsc(&self, now_tsc: u64) -> u64 {
        if self.pending_packets > 0 {
            now_tsc
        } else {
            self.last_used_tsc
        }
    }

    /// `key & mask` of the packet that made it.
    pub fn key(&self) -> FlowKey {
        let mut k = FlowKey::ZERO;
        let w = k.words_mut();
        w[..HOT_WORDS].copy_from_slice(&self.key_head);
        w[HOT_WORDS..].copy_from_slice(&self.key_tail);
        k
    }

    /// Word `i` of its key (0 past the end).
    #[inline(always)]
    fn key_word(&self, i: usize) -> u64 {
        match i.checked_sub(HOT_WORDS) {
            None => self.key_head.get(i).copied().unwrap_or(0),
            Some(t) => self.key_tail.get(t).copied().unwrap_or(0),
        }
    }

    /// Whether `key` under `st`'s mask equals its key (on the mask's
    /// words only).
    #[inline(always)]
    fn matches_masked(&self, key: &FlowKey, st: &Subtable) -> bool {
        let (k, m) = (key.words(), st.mask.words());
        st.words.iter().all(|i| k[i] & m[i] == self.key_word(i))
    }
}

/// The words a mask has bits in: a subtable hashes and compares only
/// those (a `in_port`-only mask costs one word, not 21).
#[derive(Clone, Copy)]
struct MaskWords {
    idx: [u8; FLOW_WORDS],
    len: u8,
}

impl MaskWords {
    fn of(mask: &FlowMask) -> Self {
        let mut idx = [0u8; FLOW_WORDS];
        let mut len = 0;
        for (i, &w) in mask.words().iter().enumerate() {
            if w != 0 {
                idx[usize::from(len)] = i as u8;
                len += 1;
            }
        }
        MaskWords { idx, len }
    }

    #[inline]
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.idx[..usize::from(self.len)]
            .iter()
            .map(|&i| usize::from(i))
    }
}

/// Hash of `key & mask` over the mask's words.
#[inline]
fn masked_hash(key: &FlowKey, mask: &FlowMask, words: &MaskWords) -> u64 {
    let (k, m) = (key.words(), mask.words());
    let mut h = 0x9e37_79b9_7f4a_7c15u64;
    for i in words.iter() {
        h = (h.rotate_left(5) ^ (k[i] & m[i])).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    h ^ (h >> 29)
}

struct Subtable {
    mask: FlowMask,
    words: MaskWords,
    /// The mask has only fields that all packets of a burst share (see
    /// [`FlowKey::ingress_invariant`]): one match stands for the burst.
    invariant: bool,
    /// Slab indices of this subtable's megaflows, by masked-key hash.
    flows: HashTable<usize>,
    hits: u64,
}

impl Subtable {
    /// The slab index of this subtable's megaflow that matches `key`.
    #[inline(always)]
    fn find(&self, flows: &[Option<Megaflow>], key: &FlowKey) -> Option<usize> {
        let h = masked_hash(key, &self.mask, &self.words);
        self.flows
            .find(h, |&idx| {
                flows
                    .get(idx)
                    .and_then(Option::as_ref)
                    .is_some_and(|mf| mf.matches_masked(key, self))
            })
            .copied()
    }
}

/// One PMD's megaflows for one bridge.
pub struct MegaflowCache {
    /// Subtable slots; a slot keeps its index while it has megaflows (an
    /// emptied one is reused for the next new mask).
    subtables: Vec<Subtable>,
    /// Slots of the non-empty subtables in probe order (most hits first).
    order: Vec<u16>,
    /// Slab of megaflows; `None` slots are free.
    flows: Vec<Option<Megaflow>>,
    /// Hash of each slab entry's masked key (for rehashing).
    hashes: Vec<u64>,
    free: Vec<usize>,
    generation: u64,
    limit: usize,
    /// Megaflows that push a tunnel header: while there are none, a burst
    /// skips looking for headroom to prefetch.
    encapsulating: usize,
    /// Subtables in `order` with an ingress-invariant mask: while there
    /// are none, [`MegaflowCache::ingress_megaflow`] costs one test.
    n_invariant: usize,
    /// The last answer of [`MegaflowCache::ingress_megaflow`] (in_port,
    /// answer), until the megaflows change.
    ingress_memo: Option<(u32, Option<(u32, u16)>)>,
    /// Insertions refused because the cache was full.
    pub refused: u64,
}

impl MegaflowCache {
    pub fn new(limit: usize) -> Self {
        MegaflowCache {
            subtables: Vec::new(),
            order: Vec::new(),
            flows: Vec::new(),
            hashes: Vec::new(),
            free: Vec::new(),
            generation: 0,
            limit,
            encapsulating: 0,
            n_invariant: 0,
            ingress_memo: None,
            refused: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.flows.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn n_subtables(&self) -> usize {
        self.order.len()
    }

    /// Drops every megaflow (crediting pending hits first).
    pub fn clear(&mut self) {
        self.flush_all_credits(0);
        self.subtables.clear();
        self.order.clear();
        self.flows.clear();
        self.hashes.clear();
        self.free.clear();
        self.encapsulating = 0;
        self.n_invariant = 0;
        self.ingress_memo = None;
    }

    /// Whether any megaflow pushes a tunnel header.
    #[inline]
    pub fn any_encapsulating(&self) -> bool {
        self.encapsulating > 0
    }

    /// Brings the cache to pipeline `generation`: removes the megaflows
    /// the changes since its own generation may affect (all of them when
    /// the translator cannot say which, or when checking would cost more
    /// than re-translating), crediting their pending hits first. Returns
    /// how many went, or None when the generation was current.
    #[inline]
    pub fn revalidate(&mut self, generation: u64, translator: &dyn Translator) -> Option<usize> {
        if generation == self.generation {
            return None;
        }
        Some(self.revalidate_slow(generation, translator))
    }

    #[cold]
    fn revalidate_slow(&mut self, generation: u64, translator: &dyn Translator) -> usize {
        let since = std::mem::replace(&mut self.generation, generation);
        let n = self.len();
        if n == 0 {
            return 0;
        }
        let mut changes: Vec<PipelineChange> = Vec::new();
        let known = translator.changes_since(since, &mut |c| changes.push(*c));
        if !known || changes.len().saturating_mul(n) > MAX_REVALIDATION_CHECKS {
            self.clear();
            return n;
        }
        self.retain(|mask, mf| {
            let key = mf.key();
            !changes
                .iter()
                .any(|c| c.affects(&key, mask, mf.tables, mf.ports))
        })
    }

    /// Keeps the megaflows `keep` accepts; removes the others (crediting
    /// their pending hits). Returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(&FlowMask, &Megaflow) -> bool) -> usize {
        let mut removed = 0;
        for st in self.subtables.iter_mut() {
            let flows = &mut self.flows;
            let free = &mut self.free;
            let encapsulating = &mut self.encapsulating;
            let mask = st.mask;
            st.flows.retain(|&mut idx| {
                let go = flows
                    .get(idx)
                    .and_then(Option::as_ref)
                    .is_some_and(|m| !keep(&mask, m));
                if go {
                    if let Some(Some(mut m)) = flows.get_mut(idx).map(Option::take) {
                        m.flush_credits(0);
                        *encapsulating = encapsulating.saturating_sub(usize::from(m.encapsulates));
                    }
                    free.push(idx);
                    removed += 1;
                }
                !go
            });
        }
        let subtables = &self.subtables;
        self.order.retain(|&i| {
            subtables
                .get(usize::from(i))
                .is_some_and(|s| !s.flows.is_empty())
        });
        self.count_invariant();
        removed
    }

    fn count_invariant(&mut self) {
        self.ingress_memo = None;
        let subtables = &self.subtables;
        self.n_invariant = self
            .order
            .iter()
            .filter(|&&i| subtables.get(usize::from(i)).is_some_and(|s| s.invariant))
            .count();
    }

    /// The megaflow that every well-formed packet arriving on `in_port`
    /// (not decapsulated) belongs to, with its output port, if there is
    /// one and its actions are a single output: one whose mask has only
    /// ingress-invariant fields (see [`FlowKey::ingress_invariant`]).
    /// Megaflows never overlap, so no other megaflow can match such a
    /// packet, and the burst needs no keys. Called once per burst; the
    /// answer is kept until the megaflows change.
    #[inline]
    pub fn ingress_megaflow(&mut self, in_port: u32) -> Option<(u32, u16)> {
        if self.n_invariant == 0 {
            return None;
        }
        match self.ingress_memo {
            Some((p, answer)) if p == in_port => answer,
            _ => {
                let answer = self.find_ingress_megaflow(in_port);
                self.ingress_memo = Some((in_port, answer));
                answer
            }
        }
    }

    #[inline(never)]
    fn find_ingress_megaflow(&self, in_port: u32) -> Option<(u32, u16)> {
        // A packet's key under an invariant mask is its in_port and zeros.
        let mut key = FlowKey::ZERO;
        key.set(Field::InPort, u128::from(in_port));
        let found = self
            .order
            .iter()
            .filter_map(|&i| self.subtables.get(usize::from(i)))
            .filter(|st| st.invariant)
            .find_map(|st| st.find(&self.flows, &key))?;
        let mf = self.get(found)?;
        if mf.single_output == NO_SINGLE_OUTPUT || mf.encapsulates {
            return None;
        }
        Some((u32::try_from(found).ok()?, mf.single_output))
    }

    /// Finds the megaflow for `key`: its slab index and how many
    /// subtables were probed.
    #[inline]
    pub fn lookup(&mut self, key: &FlowKey) -> (Option<usize>, u32) {
        let mut probes = 0;
        let flows = &self.flows;
        for &slot in &self.order {
            let Some(st) = self.subtables.get_mut(usize::from(slot)) else {
                continue;
            };
            probes += 1;
            if let Some(idx) = st.find(flows, key) {
                st.hits += 1;
                return (Some(idx), probes);
            }
        }
        (None, probes)
    }

    /// Whether the megaflow at `idx` exists and matches `key` (checks an
    /// exact-match-cache entry, which may be stale).
    #[inline]
    pub fn matches(&self, idx: usize, key: &FlowKey) -> bool {
        let Some(mf) = self.flows.get(idx).and_then(Option::as_ref) else {
            return false;
        };
        let Some(st) = self.subtables.get(usize::from(mf.subtable)) else {
            return false;
        };
        mf.matches_masked(key, st)
    }

    /// Whether the megaflow at `idx` matches only on fields that every
    /// packet of one (not decapsulated) rx burst has alike, so that it
    /// matches all of them once it matches one.
    #[inline]
    pub fn matches_whole_burst(&self, idx: usize) -> bool {
        self.get(idx)
            .and_then(|mf| self.subtables.get(usize::from(mf.subtable)))
            .is_some_and(|st| st.invariant)
    }

    /// Counts `n` hits found without a lookup (for subtable ranking).
    #[inline]
    pub fn count_subtable_hits(&mut self, idx: usize, n: u64) {
        let Some(mf) = self.flows.get(idx).and_then(Option::as_ref) else {
            return;
        };
        if let Some(st) = self.subtables.get_mut(usize::from(mf.subtable)) {
            st.hits += n;
        }
    }

    /// Starts loading the first line of the megaflow at `idx` (an EMC
    /// candidate about to be verified): all that verifying a mask on
    /// words 0-4 and counting a hit read.
    #[inline]
    pub fn prefetch(&self, idx: usize) {
        // The slot's address only: reading it would wait for the miss.
        if let Some(slot) = self.flows.get(idx) {
            crate::dpdk::prefetch_ref(slot);
        }
    }

    /// Starts loading the program of the megaflow at `idx` when it is not
    /// a single output (called once a lookup has read its first line, so
    /// that executing does not wait for a second miss).
    #[inline]
    pub fn prefetch_program(&self, idx: usize) {
        if let Some(mf) = self.get(idx) {
            if mf.single_output == NO_SINGLE_OUTPUT {
                crate::dpdk::prefetch_ref(&mf.actions);
            }
        }
    }

    #[inline]
    pub fn get(&self, idx: usize) -> Option<&Megaflow> {
        self.flows.get(idx).and_then(Option::as_ref)
    }

    #[inline]
    pub fn get_mut(&mut self, idx: usize) -> Option<&mut Megaflow> {
        self.flows.get_mut(idx).and_then(Option::as_mut)
    }

    /// Installs the translation of `key`; returns its index, or None when
    /// the cache is at its limit (the caller still executes the actions).
    pub fn insert(&mut self, key: &FlowKey, up: &Upcall, now_tsc: u64) -> Option<usize> {
        if self.len() >= self.limit {
            self.refused += 1;
            return None;
        }
        let masked = key.masked(&up.mask);
        let st_idx = match self.order.iter().find(|&&i| {
            self.subtables
                .get(usize::from(i))
                .is_some_and(|s| s.mask == up.mask)
        }) {
            Some(&i) => usize::from(i),
            None => {
                let st = Subtable {
                    mask: up.mask,
                    words: MaskWords::of(&up.mask),
                    invariant: up.mask.is_subset_of(&FlowKey::ingress_invariant()),
                    flows: HashTable::new(),
                    hits: 0,
                };
                // Reuse an emptied slot (never one still in `order`).
                let slot = match self.subtables.iter().position(|s| s.flows.is_empty()) {
                    Some(i) if !self.order.iter().any(|&o| usize::from(o) == i) => {
                        self.subtables[i] = st;
                        i
                    }
                    _ => {
                        if self.subtables.len() > usize::from(u16::MAX) {
                            self.refused += 1;
                            return None;
                        }
                        self.subtables.push(st);
                        self.subtables.len() - 1
                    }
                };
                self.order.push(slot as u16);
                self.count_invariant();
                slot
            }
        };
        let st = &mut self.subtables[st_idx];
        let h = masked_hash(key, &st.mask, &st.words);
        let flows = &self.flows;
        if let Some(&idx) = st.flows.find(h, |&i| {
            flows
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|m| m.key() == masked)
        }) {
            return Some(idx);
        }
        let single_output = match *up.actions {
            [DpAction::Output(port)] if port != NO_SINGLE_OUTPUT => port,
            _ => NO_SINGLE_OUTPUT,
        };
        let (head, tail) = masked.words().split_at(HOT_WORDS);
        let mf = Megaflow {
            key_head: head.try_into().unwrap_or_default(),
            key_tail: tail.try_into().unwrap_or_default(),
            actions: up.actions.clone(),
            credits: up.credits.clone(),
            packets: 0,
            bytes: 0,
            pending_packets: 0,
            pending_bytes: 0,
            last_used_tsc: now_tsc,
            single_output,
            subtable: st_idx as u16,
            tables: up.tables,
            ports: up.ports,
            encapsulates: up.actions.iter().any(DpAction::encapsulates),
        };
        self.encapsulating += usize::from(mf.encapsulates);
        self.ingress_memo = None;
        let idx = match self.free.pop() {
            Some(i) => {
                self.flows[i] = Some(mf);
                self.hashes[i] = h;
                i
            }
            None => {
                self.flows.push(Some(mf));
                self.hashes.push(h);
                self.flows.len() - 1
            }
        };
        let hashes = &self.hashes;
        st.flows
            .insert_unique(h, idx, |&i| hashes.get(i).copied().unwrap_or(0));
        Some(idx)
    }

    /// Credits every megaflow's pending hits (at `now_tsc`).
    pub fn flush_all_credits(&mut self, now_tsc: u64) {
        for mf in self.flows.iter_mut().flatten() {
            mf.flush_credits(now_tsc);
        }
    }

    /// Removes megaflows unused since `before_tsc` (one with pending hits
    /// was used since the last crediting, so it stays).
    pub fn expire(&mut self, before_tsc: u64) -> usize {
        self.retain(|_, m| m.pending_packets > 0 || m.last_used_tsc >= before_tsc)
    }

    /// Orders subtables by hits (most first) so lookups probe fewer.
    pub fn rank_subtables(&mut self) {
        let subtables = &self.subtables;
        self.order.sort_by_key(|&i| {
            std::cmp::Reverse(subtables.get(usize::from(i)).map_or(0, |s| s.hits))
        });
        for s in &mut self.subtables {
            s.hits /= 2;
        }
    }

    /// Every megaflow with its mask (for dump-megaflows); the mask lives
    /// once per subtable, not per megaflow.
    pub fn iter(&self) -> impl Iterator<Item = (&FlowMask, &Megaflow)> {
        self.order
            .iter()
            .filter_map(|&i| self.subtables.get(usize::from(i)))
            .flat_map(move |st| {
                st.flows.iter().filter_map(move |&i| {
                    self.flows
                        .get(i)
                        .and_then(Option::as_ref)
                        .map(|m| (&st.mask, m))
                })
            })
    }
}

#[cfg(test)]
mod tests;
