//! The catalogue of flow fields: where each lives in a [`FlowKey`], its
//! OpenFlow (OXM) or Nicira (NXM) identity, wire width and prerequisites.
//!
//! Some fields share storage, as in OVS, because their prerequisites make
//! them mutually exclusive: IPv4 and ARP addresses, L4 ports and ICMP
//! type/code, ARP hardware addresses and ND link-layer addresses.

/// Every field a flow can match or set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Field {
    InPort,
    Metadata,
    Reg0,
    Reg1,
    Reg2,
    Reg3,
    Reg4,
    Reg5,
    Reg6,
    Reg7,
    TunnelId,
    TunIpv4Src,
    TunIpv4Dst,
    EthDst,
    EthSrc,
    EthType,
    /// 802.1Q VID with OFPVID_PRESENT (0x1000) set when a tag is present.
    VlanVid,
    VlanPcp,
    /// The second (inner) tag's TCI when a packet is double tagged
    /// (VlanVid/VlanPcp describe the outermost tag, which is what OpenFlow
    /// matches, pushes and pops): PCP(3) | present(1) | VID(12), as OVS
    /// stores TCIs.
    VlanOuterTci,
    IpDscp,
    IpEcn,
    IpProto,
    /// IPv4 TTL or IPv6 hop limit.
    NwTtl,
    /// Bit 0: a fragment; bit 1: not the first fragment.
    IpFrag,
    Ipv4Src,
    Ipv4Dst,
    TcpSrc,
    TcpDst,
    TcpFlags,
    UdpSrc,
    UdpDst,
    SctpSrc,
    SctpDst,
    Icmpv4Type,
    Icmpv4Code,
    ArpOp,
    ArpSpa,
    ArpTpa,
    ArpSha,
    ArpTha,
    Ipv6Src,
    Ipv6Dst,
    Ipv6Label,
    Icmpv6Type,
    Icmpv6Code,
    Ipv6NdTarget,
    Ipv6NdSll,
    Ipv6NdTll,
}

/// What must be true of a flow's match before it may match on a field
/// (OpenFlow 1.3.5 §7.2.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prereq {
    None,
    /// A VLAN tag is present (VLAN_VID != NONE).
    Vlan,
    /// ETH_TYPE equals this.
    EthType(u16),
    /// ETH_TYPE is IPv4 or IPv6.
    Ip,
    /// IP (v4 or v6) with IP_PROTO equal to this.
    IpProto(u8),
    /// ETH_TYPE and IP_PROTO both equal these.
    EthProto(u16, u8),
    /// ICMPv6 with ICMPV6_TYPE one of these.
    Icmpv6Type(&'static [u8]),
}

/// Where and what a field is.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub field: Field,
    /// Canonical name in flow syntax (ovs-ofctl's).
    pub name: &'static str,
    /// OXM class and field number (0x8000 = OFPXMC_OPENFLOW_BASIC,
    /// 0x0000/0x0001 = Nicira NXM0/NXM1).
    pub oxm_class: u16,
    pub oxm_field: u8,
    /// Bytes on the wire (OXM payload length without mask).
    pub wire_bytes: u8,
    /// Value bits stored (128 for IPv6 addresses, which use two words).
    pub bits: u8,
    pub word: u8,
    pub shift: u8,
    /// Whether OpenFlow allows a mask on it (OXM has_mask).
    pub maskable: bool,
    /// Whether set_field may write it.
    pub settable: bool,
    pub prereq: Prereq,
}

const BASIC: u16 = 0x8000;
const NXM0: u16 = 0x0000;
const NXM1: u16 = 0x0001;

#[allow(clippy::too_many_arguments)]
const fn def(
    field: Field,
    name: &'static str,
    oxm_class: u16,
    oxm_field: u8,
    wire_bytes: u8,
    word: u8,
    shift: u8,
    bits: u8,
    maskable: bool,
    settable: bool,
    prereq: Prereq,
) -> FieldDef {
    FieldDef {
        field,
        name,
        oxm_class,
        oxm_field,
        wire_bytes,
        bits,
        word,
        shift,
        maskable,
        settable,
        prereq,
    }
}

use Field as F;
use Prereq as P;

const IP4: u16 = 0x0800;
const IP6: u16 = 0x86dd;
const ARP: u16 = 0x0806;

/// All fields, in `Field` order (so `FIELDS[f as usize].field == f`).
///
/// Layout: the fields of a typical megaflow (in_port, L2, IPv4, L4) sit in
/// words 0-4, the first cache line, so lookups touch as few lines as
/// possible; metadata, registers, tunnel, IPv6 and ARP/ND addresses follow.
pub static FIELDS: &[FieldDef] = &FIELD_TABLE;

/// The table as a constant, so that `Field::X.def()` folds to constants
/// where `X` is known at compile time (the parser's and executor's hot
/// paths) instead of loading from a static.
#[rustfmt::skip]
const FIELD_TABLE: [FieldDef; 48] = [
    def(F::InPort, "in_port", BASIC, 0, 4, 0, 0, 32, false, false, P::None),
    def(F::Metadata, "metadata", BASIC, 2, 8, 5, 0, 64, true, true, P::None),
    def(F::Reg0, "reg0", NXM1, 0, 4, 6, 0, 32, true, true, P::None),
    def(F::Reg1, "reg1", NXM1, 1, 4, 6, 32, 32, true, true, P::None),
    def(F::Reg2, "reg2", NXM1, 2, 4, 7, 0, 32, true, true, P::None),
    def(F::Reg3, "reg3", NXM1, 3, 4, 7, 32, 32, true, true, P::None),
    def(F::Reg4, "reg4", NXM1, 4, 4, 8, 0, 32, true, true, P::None),
    def(F::Reg5, "reg5", NXM1, 5, 4, 8, 32, 32, true, true, P::None),
    def(F::Reg6, "reg6", NXM1, 6, 4, 9, 0, 32, true, true, P::None),
    def(F::Reg7, "reg7", NXM1, 7, 4, 9, 32, 32, true, true, P::None),
    def(F::TunnelId, "tun_id", BASIC, 38, 8, 10, 0, 64, true, true, P::None),
    def(F::TunIpv4Src, "tun_src", NXM1, 31, 4, 11, 0, 32, true, true, P::None),
    def(F::TunIpv4Dst, "tun_dst", NXM1, 32, 4, 11, 32, 32, true, true, P::None),
    def(F::EthDst, "eth_dst", BASIC, 3, 6, 1, 0, 48, true, true, P::None),
    def(F::EthSrc, "eth_src", BASIC, 4, 6, 2, 0, 48, true, true, P::None),
    def(F::EthType, "eth_type", BASIC, 5, 2, 0, 32, 16, false, false, P::None),
    def(F::VlanVid, "vlan_vid", BASIC, 6, 2, 0, 48, 13, true, true, P::None),
    def(F::VlanPcp, "vlan_pcp", BASIC, 7, 1, 0, 61, 3, false, true, P::Vlan),
    def(F::VlanOuterTci, "vlan_outer_tci", NXM0, 0xff, 2, 1, 48, 16, true, false, P::None),
    def(F::IpDscp, "ip_dscp", BASIC, 8, 1, 2, 58, 6, false, true, P::Ip),
    def(F::IpEcn, "ip_ecn", BASIC, 9, 1, 2, 56, 2, false, true, P::Ip),
    def(F::IpProto, "ip_proto", BASIC, 10, 1, 2, 48, 8, false, false, P::Ip),
    def(F::NwTtl, "nw_ttl", NXM1, 29, 1, 4, 48, 8, false, true, P::Ip),
    def(F::IpFrag, "ip_frag", NXM1, 26, 1, 4, 56, 8, true, false, P::Ip),
    def(F::Ipv4Src, "ipv4_src", BASIC, 11, 4, 3, 0, 32, true, true, P::EthType(IP4)),
    def(F::Ipv4Dst, "ipv4_dst", BASIC, 12, 4, 3, 32, 32, true, true, P::EthType(IP4)),
    def(F::TcpSrc, "tcp_src", BASIC, 13, 2, 4, 0, 16, true, true, P::IpProto(6)),
    def(F::TcpDst, "tcp_dst", BASIC, 14, 2, 4, 16, 16, true, true, P::IpProto(6)),
    def(F::TcpFlags, "tcp_flags", NXM1, 34, 2, 4, 32, 12, true, false, P::IpProto(6)),
    def(F::UdpSrc, "udp_src", BASIC, 15, 2, 4, 0, 16, true, true, P::IpProto(17)),
    def(F::UdpDst, "udp_dst", BASIC, 16, 2, 4, 16, 16, true, true, P::IpProto(17)),
    def(F::SctpSrc, "sctp_src", BASIC, 17, 2, 4, 0, 16, true, true, P::IpProto(132)),
    def(F::SctpDst, "sctp_dst", BASIC, 18, 2, 4, 16, 16, true, true, P::IpProto(132)),
    def(F::Icmpv4Type, "icmp_type", BASIC, 19, 1, 4, 0, 8, false, true, P::EthProto(IP4, 1)),
    def(F::Icmpv4Code, "icmp_code", BASIC, 20, 1, 4, 16, 8, false, true, P::EthProto(IP4, 1)),
    def(F::ArpOp, "arp_op", BASIC, 21, 2, 2, 48, 8, false, true, P::EthType(ARP)),
    def(F::ArpSpa, "arp_spa", BASIC, 22, 4, 3, 0, 32, true, true, P::EthType(ARP)),
    def(F::ArpTpa, "arp_tpa", BASIC, 23, 4, 3, 32, 32, true, true, P::EthType(ARP)),
    def(F::ArpSha, "arp_sha", BASIC, 24, 6, 19, 0, 48, true, true, P::EthType(ARP)),
    def(F::ArpTha, "arp_tha", BASIC, 25, 6, 20, 0, 48, true, true, P::EthType(ARP)),
    def(F::Ipv6Src, "ipv6_src", BASIC, 26, 16, 12, 0, 128, true, true, P::EthType(IP6)),
    def(F::Ipv6Dst, "ipv6_dst", BASIC, 27, 16, 14, 0, 128, true, true, P::EthType(IP6)),
    def(F::Ipv6Label, "ipv6_label", BASIC, 28, 4, 16, 0, 20, true, true, P::EthType(IP6)),
    def(F::Icmpv6Type, "icmpv6_type", BASIC, 29, 1, 4, 0, 8, false, true, P::EthProto(IP6, 58)),
    def(F::Icmpv6Code, "icmpv6_code", BASIC, 30, 1, 4, 16, 8, false, true, P::EthProto(IP6, 58)),
    def(F::Ipv6NdTarget, "nd_target", BASIC, 31, 16, 17, 0, 128, true, true, P::Icmpv6Type(&[135, 136])),
    def(F::Ipv6NdSll, "nd_sll", BASIC, 32, 6, 19, 0, 48, true, true, P::Icmpv6Type(&[135])),
    def(F::Ipv6NdTll, "nd_tll", BASIC, 33, 6, 20, 0, 48, true, true, P::Icmpv6Type(&[136])),
];

impl Field {
    #[inline(always)]
    /// Word index and bit shift of a field of at most 64 bits, as
    /// constants (for code that builds whole key words at once).
    pub(crate) const fn slot(self) -> (usize, u32) {
        let d = &FIELD_TABLE[self as usize];
        (d.word as usize, d.shift as u32)
    }

    pub fn def(self) -> &'static FieldDef {
        const T: &[FieldDef; 48] = &FIELD_TABLE;
        &T[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Looks a field up by its OXM/NXM class and field number.
    pub fn from_oxm(class: u16, field: u8) -> Option<Field> {
        FIELDS
            .iter()
            .find(|d| d.oxm_class == class && d.oxm_field == field)
            .map(|d| d.field)
    }

    /// All-ones value of the field's width.
    pub fn max_value(self) -> u128 {
        let bits = self.def().bits;
        if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        }
    }
}

impl FieldDef {
    #[inline(always)]
    pub(crate) fn get(&self, w: &[u64]) -> u128 {
        let i = usize::from(self.word);
        if self.bits == 128 {
            (u128::from(w[i]) << 64) | u128::from(w[i + 1])
        } else {
            let m = low_mask(self.bits);
            u128::from((w[i] >> self.shift) & m)
        }
    }

    #[inline(always)]
    pub(crate) fn set(&self, w: &mut [u64], v: u128) {
        let i = usize::from(self.word);
        if self.bits == 128 {
            w[i] = (v >> 64) as u64;
            w[i + 1] = v as u64;
        } else {
            let m = low_mask(self.bits) << self.shift;
            w[i] = (w[i] & !m) | (((v as u64) << self.shift) & m);
        }
    }

    /// Whether two fields overlap in the key (shared storage).
    pub fn shares_storage_with(&self, o: &FieldDef) -> bool {
        let a = self.storage();
        let b = o.storage();
        a.iter()
            .any(|(wa, ma)| b.iter().any(|(wb, mb)| wa == wb && ma & mb != 0))
    }

    /// (word, bit mask) pairs the field occupies.
    fn storage(&self) -> Vec<(u8, u64)> {
        if self.bits == 128 {
            vec![(self.word, u64::MAX), (self.word + 1, u64::MAX)]
        } else {
            vec![(self.word, low_mask(self.bits) << self.shift)]
        }
    }
}

#[inline(always)]
const fn low_mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order() {
        for (i, d) in FIELDS.iter().enumerate() {
            assert_eq!(d.field as usize, i, "{}", d.name);
        }
        assert_eq!(FIELDS.len(), Field::Ipv6NdTll as usize + 1);
    }

    #[test]
    fn oxm_lookup() {
        assert_eq!(Field::from_oxm(0x8000, 12), Some(Field::Ipv4Dst));
        assert_eq!(Field::from_oxm(0x0001, 3), Some(Field::Reg3));
        assert_eq!(Field::from_oxm(0x8000, 200), None);
    }

    #[test]
    fn fields_fit_in_their_words() {
        for d in FIELDS {
            if d.bits < 128 {
                assert!(u32::from(d.shift) + u32::from(d.bits) <= 64, "{}", d.name);
            }
            assert!(usize::from(d.word) < super::super::FLOW_WORDS, "{}", d.name);
            assert!(
                u32::from(d.bits) <= u32::from(d.wire_bytes) * 8,
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn shared_storage_only_where_intended() {
        assert!(F::Ipv4Src.def().shares_storage_with(F::ArpSpa.def()));
        assert!(F::TcpSrc.def().shares_storage_with(F::Icmpv4Type.def()));
        assert!(!F::TcpSrc.def().shares_storage_with(F::TcpDst.def()));
        assert!(!F::VlanVid.def().shares_storage_with(F::VlanPcp.def()));
        assert!(!F::IpDscp.def().shares_storage_with(F::IpEcn.def()));
    }
}
