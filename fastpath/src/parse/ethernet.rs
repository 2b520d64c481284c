//! Ethernet II / 802.3 headers and 802.1Q / 802.1ad VLAN tags.
//!
//! Flow-key conventions (OpenFlow 1.3 and OVS):
//! - `VlanVid` / `VlanPcp` describe the OUTERMOST tag, the one OpenFlow
//!   matches, pushes and pops. `VlanVid` carries `OFPVID_PRESENT` (0x1000).
//! - `VlanOuterTci` holds the SECOND (inner) tag of a double-tagged frame as
//!   `pcp << 13 | 0x1000 | vid` (the field's name comes from OVS's layout,
//!   in which it is the other tag; here it is the inner one). The DEI bit is
//!   not kept (its position is the "present" bit, as in OVS).
//! - `EthType` is the ethertype after all parsed tags. Up to two tags are
//!   parsed; at a third the parser stops with `EthType` = that tag's TPID
//!   (not an error; [`super::is_unsupported`] tells).
//! - A frame whose type/length field is below 0x600 (802.3 length, e.g.
//!   LLC) gets `EthType` = [`ethertype::NONE`] (0x05ff) and no L3.
use super::{array_mut, array_ref, bytes_at, mac_to_u64, Layer, PacketLayout, ParseError};
use crate::flow::{Field, FlowKey};

/// Ethertypes the parser knows.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    /// 802.1Q customer tag.
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    /// 802.1ad service tag.
    pub const QINQ: u16 = 0x88a8;
    /// Smallest Ethernet II type; smaller values are an 802.3 length.
    pub const MIN: u16 = 0x0600;
    /// `eth_type` of a frame without an Ethernet II type (802.3/LLC), as in
    /// OVS.
    pub const NONE: u16 = 0x05ff;
}

/// Destination, source and type: 14 bytes.
pub const HEADER_LEN: usize = 14;
/// TCI plus the encapsulated ethertype (the TPID is the previous type field).
pub const VLAN_TAG_LEN: usize = 4;
/// `OFPVID_PRESENT`: set in `VlanVid` (and `VlanOuterTci`) when the tag exists.
pub const VID_PRESENT: u16 = 0x1000;
/// Tags parsed before the parser gives up.
pub const MAX_VLAN_TAGS: u8 = 2;

mod field {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
    pub const TCI: usize = 0;
    pub const INNER_TYPE: usize = 2;
}

/// Whether `t` is a VLAN TPID the parser walks through.
#[inline]
pub const fn is_vlan_tpid(t: u16) -> bool {
    t == ethertype::VLAN || t == ethertype::QINQ
}

/// A checked view of an Ethernet header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Checks that the buffer holds the 14-byte header; accessors cannot
    /// fail afterwards.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Ethernet));
        }
        Ok(EthernetFrame { buffer })
    }

    /// The fixed header. The zero fallback is unreachable after
    /// `new_checked`; it keeps accessors total without a panic path.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    pub fn dst(&self) -> [u8; 6] {
        bytes_at(self.header(), field::DST)
    }

    #[inline]
    pub fn src(&self) -> [u8; 6] {
        bytes_at(self.header(), field::SRC)
    }

    /// Type (or 802.3 length) field.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::ETHERTYPE], h[field::ETHERTYPE + 1]])
    }

    /// Bytes after the 14-byte header.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A checked view of one VLAN tag's TCI and the ethertype after it.
#[derive(Debug, Clone)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanTag<T> {
    /// Checks that the buffer holds TCI and inner type (4 bytes).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < VLAN_TAG_LEN {
            return Err(ParseError::Truncated(Layer::Vlan));
        }
        Ok(VlanTag { buffer })
    }

    #[inline]
    fn header(&self) -> &[u8; VLAN_TAG_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; VLAN_TAG_LEN])
    }

    /// The whole tag control information: PCP(3) DEI(1) VID(12).
    #[inline]
    pub fn tci(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::TCI], h[field::TCI + 1]])
    }

    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    #[inline]
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    #[inline]
    pub fn vid(&self) -> u16 {
        self.tci() & 0x0fff
    }

    /// The type field after the TCI (the next TPID or the payload's type).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::INNER_TYPE], h[field::INNER_TYPE + 1]])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// An Ethernet header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetRepr {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub ethertype: u16,
}

impl EthernetRepr {
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Self {
        EthernetRepr {
            dst: frame.dst(),
            src: frame.src(),
            ethertype: frame.ethertype(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header at the front of `buf`; returns its length, or
    /// `None` (writing nothing) when `buf` is too short.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let [d0, d1, d2, d3, d4, d5] = self.dst;
        let [s0, s1, s2, s3, s4, s5] = self.src;
        let [t0, t1] = self.ethertype.to_be_bytes();
        *h = [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1];
        Some(HEADER_LEN)
    }
}

/// A VLAN tag's TCI and the type after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanRepr {
    pub pcp: u8,
    pub dei: bool,
    pub vid: u16,
    /// The type field following the TCI.
    pub ethertype: u16,
}

impl VlanRepr {
    pub fn parse<T: AsRef<[u8]>>(tag: &VlanTag<T>) -> Self {
        VlanRepr {
            pcp: tag.pcp(),
            dei: tag.dei(),
            vid: tag.vid(),
            ethertype: tag.ethertype(),
        }
    }

    pub const fn header_len(&self) -> usize {
        VLAN_TAG_LEN
    }

    /// The TCI this tag encodes.
    pub fn tci(&self) -> u16 {
        (u16::from(self.pcp & 7) << 13) | (u16::from(self.dei) << 12) | (self.vid & 0x0fff)
    }

    /// Writes TCI and inner type at the front of `buf` (4 bytes).
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<VLAN_TAG_LEN>(buf)?;
        let [c0, c1] = self.tci().to_be_bytes();
        let [t0, t1] = self.ethertype.to_be_bytes();
        *h = [c0, c1, t0, t1];
        Some(VLAN_TAG_LEN)
    }
}

/// What the link layer hands to the driver.
#[derive(Debug, Clone, Copy)]
pub(super) struct L2 {
    /// The network protocol's type (after tags; `NONE` for 802.3).
    pub ethertype: u16,
    /// Offset of the network header.
    pub l3_ofs: usize,
}

/// Fills the Ethernet and VLAN fields of `key` and counts tags in
/// `layout`. On a truncated tag the fields of complete tags stay set but
/// `EthType` stays 0 (it is not known).
#[inline]
pub(super) fn extract(
    pkt: &[u8],
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> Result<L2, ParseError> {
    let frame = EthernetFrame::new_checked(pkt)?;
    key.set(Field::EthDst, u128::from(mac_to_u64(frame.dst())));
    key.set(Field::EthSrc, u128::from(mac_to_u64(frame.src())));
    let mut ethertype = frame.ethertype();
    let mut ofs = HEADER_LEN;
    while is_vlan_tpid(ethertype) {
        if layout.vlan_tags >= MAX_VLAN_TAGS {
            // A third tag: stop here; EthType is its TPID.
            break;
        }
        let tag = VlanTag::new_checked(pkt.get(ofs..).unwrap_or(&[]))?;
        let tci = (u16::from(tag.pcp()) << 13) | VID_PRESENT | tag.vid();
        if layout.vlan_tags == 0 {
            key.set(Field::VlanVid, u128::from(VID_PRESENT | tag.vid()));
            key.set(Field::VlanPcp, u128::from(tag.pcp()));
        } else {
            // The inner tag of a double-tagged frame (see the module docs).
            key.set(Field::VlanOuterTci, u128::from(tci));
        }
        layout.vlan_tags += 1;
        ethertype = tag.ethertype();
        ofs += VLAN_TAG_LEN;
    }
    if ethertype < ethertype::MIN {
        ethertype = ethertype::NONE;
    }
    key.set(Field::EthType, u128::from(ethertype));
    Ok(L2 {
        ethertype,
        l3_ofs: ofs,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn frame_accessors_on_golden_bytes() {
        let pkt = hex(td::TCP4);
        let f = EthernetFrame::new_checked(&pkt[..]).unwrap();
        assert_eq!(f.dst(), [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(f.src(), [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]);
        assert_eq!(f.ethertype(), ethertype::IPV4);
        assert_eq!(f.payload().len(), pkt.len() - HEADER_LEN);
    }

    #[test]
    fn vlan_tags_on_golden_bytes() {
        // Dot1AD(vlan=10, prio=3)/Dot1Q(vlan=20, prio=1)
        let pkt = hex(td::VLAN2);
        let f = EthernetFrame::new_checked(&pkt[..]).unwrap();
        assert_eq!(f.ethertype(), ethertype::QINQ);
        let outer = VlanTag::new_checked(f.payload()).unwrap();
        assert_eq!((outer.pcp(), outer.dei(), outer.vid()), (3, false, 10));
        assert_eq!(outer.ethertype(), ethertype::VLAN);
        let inner = VlanTag::new_checked(&f.payload()[4..]).unwrap();
        assert_eq!(
            (inner.pcp(), inner.vid(), inner.ethertype()),
            (1, 20, 0x0800)
        );
    }

    #[test]
    fn new_checked_rejects_short_buffers() {
        let pkt = hex(td::VLAN1);
        for n in 0..HEADER_LEN {
            assert_eq!(
                EthernetFrame::new_checked(&pkt[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Ethernet)
            );
        }
        for n in 0..VLAN_TAG_LEN {
            assert_eq!(
                VlanTag::new_checked(&pkt[14..14 + n]).unwrap_err(),
                ParseError::Truncated(Layer::Vlan)
            );
        }
    }

    #[test]
    fn repr_round_trips_golden_headers() {
        let pkt = hex(td::VLAN2);
        let f = EthernetFrame::new_checked(&pkt[..]).unwrap();
        let repr = EthernetRepr::parse(&f);
        let mut out = [0u8; HEADER_LEN];
        assert_eq!(repr.emit(&mut out), Some(HEADER_LEN));
        assert_eq!(out[..], pkt[..HEADER_LEN]);
        assert_eq!(repr.emit(&mut [0u8; 13]), None);
        for ofs in [14, 18] {
            let tag = VlanTag::new_checked(&pkt[ofs..]).unwrap();
            let repr = VlanRepr::parse(&tag);
            let mut out = [0u8; 4];
            assert_eq!(repr.emit(&mut out), Some(4));
            assert_eq!(out[..], pkt[ofs..ofs + 4]);
            assert_eq!(repr.tci(), tag.tci());
        }
    }
}
