//! ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861).
//!
//! The flow key gets type and code (stored where the L4 ports are). For a
//! neighbor solicitation (135) or advertisement (136) with code 0 (as OVS
//! requires) it also gets the target address and, from the options, the
//! source link-layer address of a solicitation (option 1) or the target
//! link-layer address of an advertisement (option 2). The first such
//! option with an Ethernet address (length 1, i.e. 8 bytes) wins; others
//! are skipped. An option of length 0, or one running past the message,
//! leaves the link-layer field 0 (and is `Malformed`/`Truncated(Icmpv6)`);
//! the target stays set.
use super::{array_mut, array_ref, bytes_at, mac_to_u64, write_bytes, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Type, code, checksum and the 4-byte rest of the header.
pub const HEADER_LEN: usize = 8;
/// An NS/NA message up to the end of the target address.
pub const ND_HEADER_LEN: usize = 24;

/// Some message types.
pub mod msg_type {
    pub const DEST_UNREACHABLE: u8 = 1;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const ROUTER_SOLICIT: u8 = 133;
    pub const ROUTER_ADVERT: u8 = 134;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;
}

/// Neighbor Discovery option types.
pub mod nd_opt {
    pub const SOURCE_LL_ADDR: u8 = 1;
    pub const TARGET_LL_ADDR: u8 = 2;
}

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const REST: usize = 4;
    pub const TARGET: usize = 8;
    pub const OPT_TYPE: usize = 0;
    pub const OPT_LEN: usize = 1;
    pub const OPT_DATA: usize = 2;
}

/// A checked view of an ICMPv6 header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Checks the 8 header bytes are present.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Icmpv6));
        }
        Ok(Icmpv6Packet { buffer })
    }

    /// The 8 bytes. The zero fallback is unreachable after `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.header()[field::TYPE]
    }

    #[inline]
    pub fn msg_code(&self) -> u8 {
        self.header()[field::CODE]
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::CHECKSUM], h[field::CHECKSUM + 1]])
    }

    /// The type-specific 4 bytes (NA flags, echo identifier/sequence, ...).
    #[inline]
    pub fn rest_of_header(&self) -> [u8; 4] {
        bytes_at(self.header(), field::REST)
    }

    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A checked view of a neighbor solicitation or advertisement: the ICMPv6
/// header, the target address, then options.
#[derive(Debug, Clone)]
pub struct NdPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdPacket<T> {
    /// Checks the 24 bytes up to the end of the target are present.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < ND_HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Icmpv6));
        }
        Ok(NdPacket { buffer })
    }

    /// The 24 bytes. The zero fallback is unreachable after `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; ND_HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; ND_HEADER_LEN])
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.header()[field::TYPE]
    }

    /// NA flags: router (0x80), solicited (0x40), override (0x20); the
    /// first byte after the checksum.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.header()[field::REST]
    }

    #[inline]
    pub fn target_addr(&self) -> [u8; 16] {
        bytes_at(self.header(), field::TARGET)
    }

    /// The option bytes after the target.
    #[inline]
    pub fn options(&self) -> &[u8] {
        self.buffer.as_ref().get(ND_HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A checked view of one Neighbor Discovery option.
#[derive(Debug, Clone)]
pub struct NdOption<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdOption<T> {
    /// Checks type and length are present (`Truncated`), the length is not
    /// 0 (`Malformed`, RFC 4861 §4.6) and the whole option is present
    /// (`Truncated`).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let Some(h) = array_ref::<2>(b) else {
            return Err(ParseError::Truncated(Layer::Icmpv6));
        };
        let len = usize::from(h[field::OPT_LEN]) * 8;
        if len == 0 {
            return Err(ParseError::Malformed(Layer::Icmpv6));
        }
        if b.len() < len {
            return Err(ParseError::Truncated(Layer::Icmpv6));
        }
        Ok(NdOption { buffer })
    }

    #[inline]
    fn header(&self) -> &[u8; 2] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; 2])
    }

    #[inline]
    pub fn option_type(&self) -> u8 {
        self.header()[field::OPT_TYPE]
    }

    /// Bytes in the option (length field × 8).
    #[inline]
    pub fn total_len(&self) -> usize {
        usize::from(self.header()[field::OPT_LEN]) * 8
    }

    /// The bytes after type and length.
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(field::OPT_DATA..self.total_len())
            .unwrap_or(&[])
    }

    /// The Ethernet address of a source/target link-layer address option
    /// of length 1; `None` for other lengths.
    #[inline]
    pub fn link_layer_addr(&self) -> Option<[u8; 6]> {
        (self.total_len() == 8).then(|| bytes_at(self.data(), 0))
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// An ICMPv6 header's contents (checksum kept as found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmpv6Repr {
    pub msg_type: u8,
    pub msg_code: u8,
    pub checksum: u16,
    pub rest_of_header: [u8; 4],
}

impl Icmpv6Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Icmpv6Packet<T>) -> Self {
        Icmpv6Repr {
            msg_type: p.msg_type(),
            msg_code: p.msg_code(),
            checksum: p.checksum(),
            rest_of_header: p.rest_of_header(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 8 bytes at the front of `buf`; `None` if it is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let [c0, c1] = self.checksum.to_be_bytes();
        let [r0, r1, r2, r3] = self.rest_of_header;
        *h = [self.msg_type, self.msg_code, c0, c1, r0, r1, r2, r3];
        Some(HEADER_LEN)
    }
}

/// A link-layer address option's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLayerOptRepr {
    /// [`nd_opt::SOURCE_LL_ADDR`] or [`nd_opt::TARGET_LL_ADDR`].
    pub option_type: u8,
    pub addr: [u8; 6],
}

impl LinkLayerOptRepr {
    /// `None` for other options or lengths.
    pub fn parse<T: AsRef<[u8]>>(o: &NdOption<T>) -> Option<Self> {
        Some(LinkLayerOptRepr {
            option_type: o.option_type(),
            addr: o.link_layer_addr()?,
        })
    }

    pub const fn header_len(&self) -> usize {
        8
    }

    /// Writes the 8-byte option at the front of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<8>(buf)?;
        let [a0, a1, a2, a3, a4, a5] = self.addr;
        *h = [self.option_type, 1, a0, a1, a2, a3, a4, a5];
        Some(8)
    }
}

/// Writes an NS/NA body (the target) after an ICMPv6 header: the caller
/// emits the header with [`Icmpv6Repr`] into the first 8 bytes.
pub fn emit_nd_target(target: &[u8; 16], buf: &mut [u8]) -> Option<usize> {
    write_bytes(buf.get_mut(HEADER_LEN..ND_HEADER_LEN)?, target)?;
    Some(ND_HEADER_LEN)
}

/// Fills `Icmpv6Type`, `Icmpv6Code` and, for NS/NA, the ND fields.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = Icmpv6Packet::new_checked(buf)?;
    let ty = p.msg_type();
    key.set(Field::Icmpv6Type, u128::from(ty));
    key.set(Field::Icmpv6Code, u128::from(p.msg_code()));
    let (want, ll_field) = match ty {
        msg_type::NEIGHBOR_SOLICIT => (nd_opt::SOURCE_LL_ADDR, Field::Ipv6NdSll),
        msg_type::NEIGHBOR_ADVERT => (nd_opt::TARGET_LL_ADDR, Field::Ipv6NdTll),
        _ => return Ok(()),
    };
    if p.msg_code() != 0 {
        return Ok(());
    }
    let nd = NdPacket::new_checked(buf)?;
    key.set(Field::Ipv6NdTarget, u128::from_be_bytes(nd.target_addr()));
    let mut ll = None;
    let mut opts = nd.options();
    while !opts.is_empty() {
        let opt = NdOption::new_checked(opts)?;
        if ll.is_none() && opt.option_type() == want {
            ll = opt.link_layer_addr();
        }
        opts = opts.get(opt.total_len()..).unwrap_or(&[]);
    }
    if let Some(addr) = ll {
        key.set(ll_field, u128::from(mac_to_u64(addr)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn neighbor_solicitation_on_golden_bytes() {
        // ICMPv6ND_NS(tgt="2001:db8::2")/ICMPv6NDOptSrcLLAddr(lladdr="00:11:22:33:44:55")
        let pkt = hex(td::ICMP6_NS);
        let icmp = &pkt[54..];
        let p = Icmpv6Packet::new_checked(icmp).unwrap();
        assert_eq!(
            (p.msg_type(), p.msg_code()),
            (msg_type::NEIGHBOR_SOLICIT, 0)
        );
        let nd = NdPacket::new_checked(icmp).unwrap();
        let mut target = [0u8; 16];
        target[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        target[15] = 2;
        assert_eq!(nd.target_addr(), target);
        let opt = NdOption::new_checked(nd.options()).unwrap();
        assert_eq!(
            (opt.option_type(), opt.total_len()),
            (nd_opt::SOURCE_LL_ADDR, 8)
        );
        assert_eq!(
            opt.link_layer_addr(),
            Some([0, 0x11, 0x22, 0x33, 0x44, 0x55])
        );

        // Rebuild the whole message from its reprs.
        let mut out = [0u8; 32];
        assert_eq!(Icmpv6Repr::parse(&p).emit(&mut out), Some(8));
        assert_eq!(emit_nd_target(&nd.target_addr(), &mut out), Some(24));
        let ll = LinkLayerOptRepr::parse(&opt).unwrap();
        assert_eq!(ll.emit(&mut out[24..]), Some(8));
        assert_eq!(out[..], icmp[..]);
    }

    #[test]
    fn neighbor_advertisement_on_golden_bytes() {
        // ICMPv6ND_NA(tgt="2001:db8::2", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr="66:77:88:99:aa:bb")
        let pkt = hex(td::ICMP6_NA);
        let nd = NdPacket::new_checked(&pkt[54..]).unwrap();
        assert_eq!(nd.msg_type(), msg_type::NEIGHBOR_ADVERT);
        assert_eq!(nd.flags(), 0x60);
        let opt = NdOption::new_checked(nd.options()).unwrap();
        assert_eq!(opt.option_type(), nd_opt::TARGET_LL_ADDR);
        assert_eq!(
            opt.link_layer_addr(),
            Some([0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb])
        );
    }

    #[test]
    fn option_checks() {
        assert_eq!(
            NdOption::new_checked(&[1u8][..]).unwrap_err(),
            ParseError::Truncated(Layer::Icmpv6)
        );
        assert_eq!(
            NdOption::new_checked(&[1u8, 0, 0, 0, 0, 0, 0, 0][..]).unwrap_err(),
            ParseError::Malformed(Layer::Icmpv6)
        );
        assert_eq!(
            NdOption::new_checked(&[1u8, 2, 0, 0, 0, 0, 0, 0][..]).unwrap_err(),
            ParseError::Truncated(Layer::Icmpv6)
        );
        let long =
            NdOption::new_checked(&[1u8, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14][..])
                .unwrap();
        assert_eq!(long.link_layer_addr(), None, "not an Ethernet address");
        assert_eq!(long.data().len(), 14);
        for n in 0..ND_HEADER_LEN {
            assert_eq!(
                NdPacket::new_checked(&[0u8; 24][..n]).unwrap_err(),
                ParseError::Truncated(Layer::Icmpv6)
            );
        }
    }
}
