//! Which bits of the packet's original flow key a translation depended
//! on: per-field masks and the bookkeeping (`Track`) of bits that were
//! consulted, overwritten with constants or derived from other bits.

use std::sync::OnceLock;

use fastpath::flow::{Field, FlowMask, FIELDS};

use crate::pipeline::classifier::{and_not_assign, overlaps};
use crate::pipeline::validate::VID_PRESENT;

/// Mask of each field, by `Field as usize`.
pub(super) fn fmask(f: Field) -> &'static FlowMask {
    static M: OnceLock<Vec<FlowMask>> = OnceLock::new();
    &M.get_or_init(|| {
        FIELDS
            .iter()
            .map(|d| FlowMask::field_mask(d.field))
            .collect()
    })[f as usize]
}

pub(super) fn bits_of(f: Field, bits: u128) -> FlowMask {
    let mut m = FlowMask::ZERO;
    m.set(f, bits);
    m
}

pub(super) fn vlan_mask() -> &'static FlowMask {
    static M: OnceLock<FlowMask> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = *fmask(Field::VlanVid);
        m.or_assign(fmask(Field::VlanPcp));
        m.or_assign(fmask(Field::VlanOuterTci));
        m
    })
}

pub(super) fn vid_present_mask() -> &'static FlowMask {
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
pub(super) struct Track {
    determined: FlowMask,
    /// (derived bits, original bits they were computed from).
    derived: Vec<(FlowMask, FlowMask)>,
}

impl Track {
    /// Records that the translation depends on working bits `bits`: adds
    /// the original bits they come from to `mask`.
    #[inline]
    pub(super) fn consult(&mut self, mask: &mut FlowMask, bits: &FlowMask) {
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
    pub(super) fn set_const(&mut self, bits: &FlowMask) {
        self.determined.or_assign(bits);
        if !self.derived.is_empty() {
            for (d, _) in &mut self.derived {
                and_not_assign(d, bits);
            }
            self.derived.retain(|(d, _)| !d.is_zero());
        }
    }

    /// `out` bits now hold a function of the working bits `inputs`.
    pub(super) fn derive(&mut self, mask: &FlowMask, out: &FlowMask, inputs: &FlowMask) {
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
