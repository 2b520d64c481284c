//! Binary prefix tries over IP address and transport port fields (OVS
//! lib/classifier.c "trie", `check_tries`, and its ports trie), used by
//! the classifier to skip subtables whose prefix cannot match a packet
//! while consulting only the bits that prove it. The port tries are keyed
//! by the TCP fields, which share their storage with UDP's and SCTP's, so
//! they serve all three.
//!
//! A [`Trie`] holds, for one field, the prefix `(value, length)` of every
//! entry of a table whose mask on that field is a non-empty prefix
//! (contiguous high bits), with a count per distinct prefix. It is
//! path-compressed (a node is either a stored prefix or a branch point),
//! and persistent: nodes are `Arc`-shared between snapshots and an insert
//! or removal copies only the nodes on its path (at most one per bit).
//!
//! [`Trie::lookup`] walks a packet's value down the trie and returns
//! * `depth`: the number `d` of leading bits of the value that some stored
//!   prefix agrees with — more exactly, the largest `d` such that the
//!   value's first `d` bits are the first `d` bits of a stored prefix of
//!   length `>= d`;
//! * the set of lengths `l` such that the value's first `l` bits are a
//!   stored prefix of length `l`.
//!
//! For a subtable whose mask on the field is a prefix of length `p` and
//! `p` not in that set, no entry of the subtable matches (all its entries
//! are in the trie with length `p`). Any value agreeing with this one on
//! its first `min(p, d + 1)` bits is not matched either: if `p <= d`, it
//! has the same first `p` bits, which are no stored prefix of length `p`;
//! if `p > d`, its first `d + 1` bits are the first `d + 1` bits of no
//! stored prefix of length `>= d + 1`, in particular of none of length
//! `p`. So those bits are all the subtable consults.
use std::sync::Arc;

use fastpath::flow::{Field, FlowKey, FlowMask};

/// The fields with a trie, in the classifier's trie order.
pub(crate) const TRIE_FIELDS: [Field; 6] = [
    Field::Ipv4Dst,
    Field::Ipv4Src,
    Field::Ipv6Dst,
    Field::Ipv6Src,
    Field::TcpDst,
    Field::TcpSrc,
];

/// Number of tries per table.
pub(crate) const N_TRIES: usize = TRIE_FIELDS.len();

/// Bits of a field (16, 32 or 128 here).
#[inline]
fn width(f: Field) -> u32 {
    u32::from(f.def().bits)
}

/// The `p` high bits of a `u128`.
#[inline]
fn prefix_mask(p: u32) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - p)
    }
}

/// Bit `i` (0 = most significant) of a left-aligned value.
#[inline]
fn bit(v: u128, i: u32) -> usize {
    ((v >> (127 - i)) & 1) as usize
}

/// `f`'s value in `k`, left-aligned in a `u128`.
#[inline]
fn left(f: Field, k: &FlowKey) -> u128 {
    k.get(f) << (128 - width(f))
}

/// The length of `mask`'s prefix on `f`, when `mask` on `f` is a
/// non-empty prefix (contiguous high bits).
pub(crate) fn prefix_len(f: Field, mask: &FlowMask) -> Option<u8> {
    let m = left(f, mask);
    let p = m.leading_ones();
    (p > 0 && m == prefix_mask(p)).then_some(p as u8)
}

/// A mask with the `n` high bits of `f` set.
pub(crate) fn field_prefix_mask(f: Field, n: u32) -> FlowMask {
    let mut m = FlowMask::ZERO;
    m.set(f, prefix_mask(n) >> (128 - width(f)));
    m
}

#[derive(Clone)]
struct Node {
    /// Left-aligned; bits from `len` on are zero.
    prefix: u128,
    /// Absolute prefix length (depth at the end of this node).
    len: u8,
    /// Entries with exactly this prefix. Zero only for branch points,
    /// which always have two children.
    count: u32,
    kids: [Option<Arc<Node>>; 2],
}

impl Node {
    fn leaf(prefix: u128, len: u32) -> Node {
        Node {
            prefix,
            len: len as u8,
            count: 1,
            kids: [None, None],
        }
    }
}

/// The result of walking a value down a trie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Walk {
    /// How many leading bits of the value some stored prefix follows.
    pub(crate) depth: u32,
    /// Bit `l`: the value's first `l` bits are a stored prefix.
    plens: [u64; 3],
}

impl Walk {
    /// Whether a stored prefix of length `p` matches the value.
    #[inline]
    pub(crate) fn has(&self, p: u32) -> bool {
        let p = p as usize;
        self.plens[p / 64] >> (p % 64) & 1 != 0
    }

    /// How many high bits of the value prove that no stored prefix of
    /// length `p` matches it, or `None` when one does.
    #[inline]
    pub(crate) fn mismatch_bits(&self, p: u32) -> Option<u32> {
        (!self.has(p)).then(|| p.min(self.depth + 1))
    }
}

/// A persistent, path-compressed binary prefix trie of one field.
#[derive(Clone, Default)]
pub(crate) struct Trie {
    /// Children of the (implicit, empty-prefix) root.
    kids: [Option<Arc<Node>>; 2],
    n: usize,
}

impl Trie {
    /// Number of prefixes stored (with multiplicity).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// Walks `f`'s value in `key` down the trie.
    #[inline]
    pub(crate) fn lookup(&self, f: Field, key: &FlowKey) -> Walk {
        self.lookup_value(left(f, key), width(f))
    }

    fn lookup_value(&self, v: u128, w: u32) -> Walk {
        let mut walk = Walk {
            depth: 0,
            plens: [0; 3],
        };
        let mut kids = &self.kids;
        while walk.depth < w {
            let Some(c) = &kids[bit(v, walk.depth)] else {
                break;
            };
            let clen = u32::from(c.len);
            let l = (v ^ c.prefix).leading_zeros().min(clen);
            if l < clen {
                walk.depth = l;
                break;
            }
            walk.depth = clen;
            if c.count > 0 {
                walk.plens[clen as usize / 64] |= 1 << (clen % 64);
            }
            kids = &c.kids;
        }
        walk
    }

    /// Adds the prefix of `key` of length `p` (1 to the field's width).
    pub(crate) fn insert(&mut self, f: Field, key: &FlowKey, p: u32) {
        let v = left(f, key) & prefix_mask(p);
        insert(&mut self.kids, 0, v, p);
        self.n += 1;
    }

    /// Removes one copy of the prefix of `key` of length `p`.
    pub(crate) fn remove(&mut self, f: Field, key: &FlowKey, p: u32) {
        let v = left(f, key) & prefix_mask(p);
        if self.contains(v, p) {
            remove(&mut self.kids, 0, v, p);
            self.n -= 1;
        } else {
            debug_assert!(false, "removing a prefix not in the trie");
        }
    }

    fn contains(&self, v: u128, p: u32) -> bool {
        let w = self.lookup_value(v, 128);
        w.depth >= p && w.has(p)
    }
}

/// Inserts `(v, p)` below a node of length `depth` with children `kids`.
fn insert(kids: &mut [Option<Arc<Node>>; 2], depth: u32, v: u128, p: u32) {
    let slot = &mut kids[bit(v, depth)];
    let Some(c) = slot else {
        *slot = Some(Arc::new(Node::leaf(v, p)));
        return;
    };
    let clen = u32::from(c.len);
    let l = (v ^ c.prefix).leading_zeros().min(clen).min(p);
    if l == clen && l == p {
        Arc::make_mut(c).count += 1;
    } else if l == clen {
        // `c` is a proper prefix of the new one.
        insert(&mut Arc::make_mut(c).kids, clen, v, p);
    } else if l == p {
        // The new prefix is a proper prefix of `c`.
        let old = slot.take().expect("checked");
        let mut n = Node::leaf(v, p);
        let b = bit(old.prefix, p);
        n.kids[b] = Some(old);
        *slot = Some(Arc::new(n));
    } else {
        // They diverge at bit `l`: a branch point.
        let old = slot.take().expect("checked");
        let mut n = Node {
            prefix: v & prefix_mask(l),
            len: l as u8,
            count: 0,
            kids: [None, None],
        };
        let b = bit(old.prefix, l);
        n.kids[b] = Some(old);
        n.kids[bit(v, l)] = Some(Arc::new(Node::leaf(v, p)));
        *slot = Some(Arc::new(n));
    }
}

/// Removes one copy of `(v, p)`, which must be present, below a node of
/// length `depth`, keeping the trie compressed.
fn remove(kids: &mut [Option<Arc<Node>>; 2], depth: u32, v: u128, p: u32) {
    let b = bit(v, depth);
    let Some(c) = &mut kids[b] else {
        return;
    };
    let cm = Arc::make_mut(c);
    let clen = u32::from(cm.len);
    if clen == p {
        cm.count -= 1;
    } else {
        remove(&mut cm.kids, clen, v, p);
    }
    if cm.count > 0 {
        return;
    }
    match (cm.kids[0].take(), cm.kids[1].take()) {
        (None, None) => kids[b] = None,
        (Some(k), None) | (None, Some(k)) => kids[b] = Some(k),
        (k0, k1) => cm.kids = [k0, k1],
    }
}

#[cfg(test)]
#[path = "trie_tests.rs"]
mod tests;
