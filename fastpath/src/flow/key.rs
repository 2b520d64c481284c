//! `FlowKey`: packet fields at fixed bit positions in `FLOW_WORDS` words.
//! A `FlowMask` has the same layout; a 1 bit means "this bit matters".
use super::field::Field;

/// Words in a flow key.
pub const FLOW_WORDS: usize = 21;
/// Words 0..HOT_WORDS hold the fields of a typical megaflow (in_port, L2,
/// IPv4, L4; see `field.rs`): an IPv4 packet without tunnel metadata has
/// nothing past them, which the EMC hash and the megaflow layout use.
pub const HOT_WORDS: usize = 5;

/// Header fields of one packet, plus its metadata (in_port, registers,
/// tunnel). The layout is private to this module and `field.rs`; use
/// [`FlowKey::get`] / [`FlowKey::set`] or the typed accessors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C, align(64))]
pub struct FlowKey {
    pub(crate) w: [u64; FLOW_WORDS],
}

/// A wildcard mask over a [`FlowKey`].
pub type FlowMask = FlowKey;

impl FlowKey {
    pub const ZERO: FlowKey = FlowKey { w: [0; FLOW_WORDS] };
    pub const ALL: FlowKey = FlowKey {
        w: [u64::MAX; FLOW_WORDS],
    };

    /// The raw words (for hashing and classifier internals).
    #[inline]
    pub fn words(&self) -> &[u64; FLOW_WORDS] {
        &self.w
    }

    #[inline]
    pub fn words_mut(&mut self) -> &mut [u64; FLOW_WORDS] {
        &mut self.w
    }

    /// The value of `f` (right-aligned; up to 128 bits).
    #[inline(always)]
    pub fn get(&self, f: Field) -> u128 {
        f.def().get(&self.w)
    }

    /// Sets `f` to `v` (extra high bits of `v` are ignored).
    #[inline(always)]
    pub fn set(&mut self, f: Field, v: u128) {
        f.def().set(&mut self.w, v)
    }

    /// `self & mask`, word by word.
    #[inline]
    pub fn masked(&self, mask: &FlowMask) -> FlowKey {
        let mut out = FlowKey::ZERO;
        for i in 0..FLOW_WORDS {
            out.w[i] = self.w[i] & mask.w[i];
        }
        out
    }

    /// `self |= other` (used to accumulate consulted bits).
    #[inline]
    pub fn or_assign(&mut self, other: &FlowKey) {
        for i in 0..FLOW_WORDS {
            self.w[i] |= other.w[i];
        }
    }

    /// Whether `self` and `other` agree on every bit set in `mask`.
    #[inline]
    pub fn eq_masked(&self, other: &FlowKey, mask: &FlowMask) -> bool {
        let mut diff = 0;
        for i in 0..FLOW_WORDS {
            diff |= (self.w[i] ^ other.w[i]) & mask.w[i];
        }
        diff == 0
    }

    /// Whether every bit of `self` (as a mask) is also set in `other`.
    pub fn is_subset_of(&self, other: &FlowMask) -> bool {
        (0..FLOW_WORDS).all(|i| self.w[i] & !other.w[i] == 0)
    }

    pub fn is_zero(&self) -> bool {
        self.w.iter().all(|&x| x == 0)
    }

    /// The fields that every packet of one rx burst (from one port, not
    /// decapsulated) has alike on arrival: in_port, and the tunnel
    /// metadata, registers and metadata, which start at zero.
    pub fn ingress_invariant() -> FlowMask {
        use Field as F;
        let mut m = FlowKey::ZERO;
        for f in [
            F::InPort,
            F::TunnelId,
            F::TunIpv4Src,
            F::TunIpv4Dst,
            F::Metadata,
            F::Reg0,
            F::Reg1,
            F::Reg2,
            F::Reg3,
            F::Reg4,
            F::Reg5,
            F::Reg6,
            F::Reg7,
        ] {
            m.set(f, u128::MAX);
        }
        m
    }

    /// A mask with every bit of field `f` set.
    pub fn field_mask(f: Field) -> FlowMask {
        let mut m = FlowKey::ZERO;
        m.set(f, u128::MAX);
        m
    }

    /// A fast 64-bit hash of the key (all words).
    #[inline]
    pub fn hash(&self) -> u64 {
        hash_words(&self.w, 0)
    }

    /// Hash of `self & mask` without materialising it.
    #[inline]
    pub fn hash_masked(&self, mask: &FlowMask) -> u64 {
        let mut h = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..FLOW_WORDS {
            h = mix(h, self.w[i] & mask.w[i]);
        }
        finish(h)
    }
}

#[inline(always)]
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v)
        .wrapping_mul(0x0100_0000_01b3_u64.wrapping_add(0x9e37_79b9_7f4a_7c15))
        .rotate_left(29)
}

#[inline(always)]
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// Hash of a word slice with a basis.
#[inline]
pub fn hash_words(w: &[u64], basis: u64) -> u64 {
    let mut h = 0x9e37_79b9_7f4a_7c15u64 ^ basis;
    for &x in w {
        h = mix(h, x);
    }
    finish(h)
}

impl std::fmt::Debug for FlowKey {
    /// Non-zero fields by name, e.g. `FlowKey { in_port=1, eth_type=0x800 }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlowKey {{")?;
        let mut first = true;
        for d in super::FIELDS {
            let v = d.get(&self.w);
            if v != 0 {
                write!(f, "{}{}={:#x}", if first { " " } else { ", " }, d.name, v)?;
                first = false;
            }
        }
        write!(f, " }}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_every_field_independently() {
        for d in super::super::FIELDS {
            let mut k = FlowKey::ZERO;
            let max = if d.bits == 128 {
                u128::MAX
            } else {
                (1u128 << d.bits) - 1
            };
            k.set(d.field, max);
            assert_eq!(k.get(d.field), max, "{}", d.name);
            // No other field that does not share storage changed.
            for o in super::super::FIELDS {
                if o.field != d.field && !o.shares_storage_with(d) {
                    assert_eq!(k.get(o.field), 0, "setting {} changed {}", d.name, o.name);
                }
            }
            k.set(d.field, 0);
            assert!(k.is_zero(), "{} cleared", d.name);
        }
    }

    #[test]
    fn masking_and_hashing() {
        let mut a = FlowKey::ZERO;
        a.set(Field::InPort, 1);
        a.set(Field::Ipv4Dst, 0x0a00_0001);
        let mut b = a;
        b.set(Field::Ipv4Dst, 0x0a00_0002);
        let m = FlowKey::field_mask(Field::InPort);
        assert!(a.eq_masked(&b, &m));
        assert_eq!(a.hash_masked(&m), b.hash_masked(&m));
        assert_eq!(a.masked(&m).hash(), b.masked(&m).hash());
        let m2 = FlowKey::field_mask(Field::Ipv4Dst);
        assert!(!a.eq_masked(&b, &m2));
        assert_ne!(a.hash(), b.hash());
        assert!(m.is_subset_of(&FlowKey::ALL));
        assert!(!FlowKey::ALL.is_subset_of(&m));
    }

    #[test]
    fn debug_names_fields() {
        let mut a = FlowKey::ZERO;
        a.set(Field::EthType, 0x0800);
        assert_eq!(format!("{a:?}"), "FlowKey { eth_type=0x800 }");
    }
}
