//! IPv6 (RFC 8200) and its extension headers: hop-by-hop options (0),
//! routing (43), fragment (44), destination options (60) and the
//! authentication header (51, RFC 4302). The walk stops at any other next
//! header, including ESP (50) and "no next header" (59); `IpProto` is the
//! last next-header value. A fragment header sets `IpFrag` as IPv4's flags
//! do; at a later fragment the walk stops with `IpProto` = the fragment
//! header's next header.
use super::{
    array_mut, array_ref, bytes_at, ip_frag, ip_proto, write_bytes, IpInfo, Layer, ParseError,
};
use crate::flow::{Field, FlowKey};

/// Fixed header.
pub const HEADER_LEN: usize = 40;
/// Fragment extension header.
pub const FRAG_HEADER_LEN: usize = 8;

mod field {
    pub const VER_TC_FLOW: usize = 0;
    pub const LENGTH: usize = 4;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
    // Extension headers.
    pub const EXT_NXT_HDR: usize = 0;
    pub const EXT_LEN: usize = 1;
    // Fragment header.
    pub const FRAG_OFF: usize = 2;
    pub const FRAG_IDENT: usize = 4;
}

/// Whether `proto` is an extension header the parser walks over.
#[inline]
pub const fn is_ext_header(proto: u8) -> bool {
    matches!(
        proto,
        ip_proto::HOPOPTS
            | ip_proto::ROUTING
            | ip_proto::FRAGMENT
            | ip_proto::AH
            | ip_proto::DSTOPTS
    )
}

/// A checked view of the fixed IPv6 header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Checks the 40 bytes are present (`Truncated`) and the version is 6
    /// (`Malformed`). The payload length may exceed the buffer.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let Some(h) = array_ref::<HEADER_LEN>(buffer.as_ref()) else {
            return Err(ParseError::Truncated(Layer::Ipv6));
        };
        if h[field::VER_TC_FLOW] >> 4 != 6 {
            return Err(ParseError::Malformed(Layer::Ipv6));
        }
        Ok(Ipv6Packet { buffer })
    }

    /// The 40 bytes. The zero fallback is unreachable after `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    fn first_word(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::VER_TC_FLOW))
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (self.first_word() >> 28) as u8
    }

    /// DSCP << 2 | ECN.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.first_word() >> 20) as u8
    }

    #[inline]
    pub fn dscp(&self) -> u8 {
        self.traffic_class() >> 2
    }

    #[inline]
    pub fn ecn(&self) -> u8 {
        self.traffic_class() & 3
    }

    /// 20 bits.
    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.first_word() & 0x000f_ffff
    }

    #[inline]
    pub fn payload_len(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::LENGTH], h[field::LENGTH + 1]])
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        self.header()[field::NXT_HDR]
    }

    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.header()[field::HOP_LIMIT]
    }

    #[inline]
    pub fn src_addr(&self) -> [u8; 16] {
        bytes_at(self.header(), field::SRC)
    }

    #[inline]
    pub fn dst_addr(&self) -> [u8; 16] {
        bytes_at(self.header(), field::DST)
    }

    /// The payload (extension headers included) up to the payload length,
    /// or to the buffer's end when that comes first.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(b.len());
        b.get(HEADER_LEN..end).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// Length in bytes of an extension header of kind `proto` whose length
/// field is `len_field`: 4-byte units minus 2 for AH, 8-byte units minus
/// 1 for the others.
#[inline]
pub const fn ext_header_len(proto: u8, len_field: u8) -> usize {
    if proto == ip_proto::AH {
        (len_field as usize + 2) * 4
    } else {
        (len_field as usize + 1) * 8
    }
}

/// A checked view of a hop-by-hop, routing, destination options or AH
/// header (next header, length, then opaque data).
#[derive(Debug, Clone)]
pub struct ExtHeader<T: AsRef<[u8]>> {
    buffer: T,
    kind: u8,
}

impl<T: AsRef<[u8]>> ExtHeader<T> {
    /// `kind` is the protocol number that announced this header. Checks
    /// the first two bytes and then the whole header are present.
    #[inline]
    pub fn new_checked(buffer: T, kind: u8) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let Some(h) = array_ref::<2>(b) else {
            return Err(ParseError::Truncated(Layer::Ipv6Ext));
        };
        if b.len() < ext_header_len(kind, h[field::EXT_LEN]) {
            return Err(ParseError::Truncated(Layer::Ipv6Ext));
        }
        Ok(ExtHeader { buffer, kind })
    }

    #[inline]
    fn header(&self) -> &[u8; 2] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; 2])
    }

    /// The protocol number that announced this header.
    #[inline]
    pub fn kind(&self) -> u8 {
        self.kind
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        self.header()[field::EXT_NXT_HDR]
    }

    /// Whole header length in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        ext_header_len(self.kind, self.header()[field::EXT_LEN])
    }

    /// The bytes after next-header and length, to the header's end.
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(2..self.header_len())
            .unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A checked view of a fragment header.
#[derive(Debug, Clone)]
pub struct FragmentHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> FragmentHeader<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < FRAG_HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Ipv6Ext));
        }
        Ok(FragmentHeader { buffer })
    }

    #[inline]
    fn header(&self) -> &[u8; FRAG_HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; FRAG_HEADER_LEN])
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        self.header()[field::EXT_NXT_HDR]
    }

    #[inline]
    fn offset_flags(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::FRAG_OFF], h[field::FRAG_OFF + 1]])
    }

    /// In 8-byte units.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.offset_flags() >> 3
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        self.offset_flags() & 1 != 0
    }

    #[inline]
    pub fn ident(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::FRAG_IDENT))
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A fixed IPv6 header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub traffic_class: u8,
    pub flow_label: u32,
    pub payload_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
}

impl Ipv6Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Self {
        Ipv6Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
            payload_len: p.payload_len(),
            next_header: p.next_header(),
            hop_limit: p.hop_limit(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 40 bytes at the front of `buf`; `None` if it is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let first =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        let [l0, l1] = self.payload_len.to_be_bytes();
        let fixed = [l0, l1, self.next_header, self.hop_limit];
        let parts: [&[u8]; 4] = [&first.to_be_bytes(), &fixed, &self.src, &self.dst];
        for (d, s) in h.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
            *d = *s;
        }
        Some(HEADER_LEN)
    }
}

/// A hop-by-hop, routing, destination options or AH header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtHeaderRepr<'a> {
    /// The protocol number that announces this header.
    pub kind: u8,
    pub next_header: u8,
    /// Everything after the first two bytes.
    pub data: &'a [u8],
}

impl<'a> ExtHeaderRepr<'a> {
    pub fn parse<T: AsRef<[u8]>>(h: &'a ExtHeader<T>) -> Self {
        ExtHeaderRepr {
            kind: h.kind(),
            next_header: h.next_header(),
            data: h.data(),
        }
    }

    pub fn header_len(&self) -> usize {
        2 + self.data.len()
    }

    /// Writes the header at the front of `buf`. `None` when `buf` is too
    /// short or the length is not encodable (a multiple of 8 bytes, of 4
    /// for AH).
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let len = self.header_len();
        let len_field = if self.kind == ip_proto::AH {
            (len.is_multiple_of(4) && len >= 8).then(|| len / 4 - 2)?
        } else {
            len.is_multiple_of(8).then(|| len / 8 - 1)?
        };
        let len_field = u8::try_from(len_field).ok()?;
        let out = buf.get_mut(..len)?;
        write_bytes(out, &[self.next_header, len_field])?;
        write_bytes(out.get_mut(2..)?, self.data)?;
        Some(len)
    }
}

/// A fragment header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentRepr {
    pub next_header: u8,
    /// In 8-byte units.
    pub frag_offset: u16,
    pub more_frags: bool,
    pub ident: u32,
}

impl FragmentRepr {
    pub fn parse<T: AsRef<[u8]>>(f: &FragmentHeader<T>) -> Self {
        FragmentRepr {
            next_header: f.next_header(),
            frag_offset: f.frag_offset(),
            more_frags: f.more_frags(),
            ident: f.ident(),
        }
    }

    pub const fn header_len(&self) -> usize {
        FRAG_HEADER_LEN
    }

    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<FRAG_HEADER_LEN>(buf)?;
        let [o0, o1] = ((self.frag_offset << 3) | u16::from(self.more_frags)).to_be_bytes();
        let [i0, i1, i2, i3] = self.ident.to_be_bytes();
        *h = [self.next_header, 0, o0, o1, i0, i1, i2, i3];
        Some(FRAG_HEADER_LEN)
    }
}

/// Fills the fixed-header IPv6 fields of `key` (addresses, flow label,
/// DSCP/ECN, hop limit). `IpProto` and `IpFrag` are set by [`walk_ext`].
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<IpInfo, ParseError> {
    let p = Ipv6Packet::new_checked(buf)?;
    let datagram_len = HEADER_LEN + usize::from(p.payload_len());
    key.set(Field::Ipv6Src, u128::from_be_bytes(p.src_addr()));
    key.set(Field::Ipv6Dst, u128::from_be_bytes(p.dst_addr()));
    key.set(Field::Ipv6Label, u128::from(p.flow_label()));
    key.set(Field::IpDscp, u128::from(p.dscp()));
    key.set(Field::IpEcn, u128::from(p.ecn()));
    key.set(Field::NwTtl, u128::from(p.hop_limit()));
    Ok(IpInfo {
        layer: Layer::Ipv6,
        proto: p.next_header(),
        l4_ofs: HEADER_LEN,
        end: datagram_len.min(buf.len()),
        complete: datagram_len <= buf.len(),
        fragment: false,
        later_fragment: false,
    })
}

/// Walks the extension headers of the datagram `dgram` (the network
/// header onwards, cut at the datagram's end) from `ip.l4_ofs`, advancing
/// `ip` to the transport header and setting `IpFrag`; sets `IpProto` to
/// the final next header once the walk succeeds.
#[inline]
pub(super) fn walk_ext(dgram: &[u8], ip: &mut IpInfo, key: &mut FlowKey) -> Result<(), ParseError> {
    loop {
        let rest = dgram.get(ip.l4_ofs..).unwrap_or(&[]);
        match ip.proto {
            ip_proto::FRAGMENT => {
                let f = FragmentHeader::new_checked(rest)?;
                ip.l4_ofs += FRAG_HEADER_LEN;
                ip.proto = f.next_header();
                if f.frag_offset() != 0 {
                    ip.fragment = true;
                    ip.later_fragment = true;
                    key.set(Field::IpFrag, u128::from(ip_frag::ANY | ip_frag::LATER));
                    break;
                }
                if f.more_frags() {
                    ip.fragment = true;
                    key.set(Field::IpFrag, u128::from(ip_frag::ANY));
                }
            }
            p if is_ext_header(p) => {
                let h = ExtHeader::new_checked(rest, p)?;
                ip.l4_ofs += h.header_len();
                ip.proto = h.next_header();
            }
            _ => break,
        }
    }
    key.set(Field::IpProto, u128::from(ip.proto));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_on_golden_header() {
        // IPv6(src="2001:db8::1", dst="2001:db8::2", tc=0xb9, fl=0xabcde, hlim=64)
        let pkt = hex(td::TCP6);
        let p = Ipv6Packet::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!((p.traffic_class(), p.dscp(), p.ecn()), (0xb9, 0xb9 >> 2, 1));
        assert_eq!(p.flow_label(), 0xabcde);
        assert_eq!(usize::from(p.payload_len()), pkt.len() - 54);
        assert_eq!((p.next_header(), p.hop_limit()), (6, 64));
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        src[15] = 1;
        assert_eq!(p.src_addr(), src);
        src[15] = 2;
        assert_eq!(p.dst_addr(), src);
        assert_eq!(p.payload().len(), pkt.len() - 54);
    }

    #[test]
    fn extension_headers_on_golden_chain() {
        // IPv6ExtHdrRouting(addresses=[...])/IPv6ExtHdrDestOpt()/AH(nh=6, payloadlen=4, ...)
        let pkt = hex(td::IPV6_RT_DST_AH);
        let p = Ipv6Packet::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.next_header(), ip_proto::ROUTING);
        let rt = ExtHeader::new_checked(p.payload(), ip_proto::ROUTING).unwrap();
        assert_eq!((rt.next_header(), rt.header_len()), (ip_proto::DSTOPTS, 24));
        let rest = &p.payload()[24..];
        let dst = ExtHeader::new_checked(rest, ip_proto::DSTOPTS).unwrap();
        assert_eq!((dst.next_header(), dst.header_len()), (ip_proto::AH, 8));
        let ah = ExtHeader::new_checked(&rest[8..], ip_proto::AH).unwrap();
        assert_eq!((ah.next_header(), ah.header_len()), (ip_proto::TCP, 24));
        assert_eq!(ah.data()[2..6], [0, 0, 1, 0], "SPI 0x100");

        // IPv6ExtHdrFragment(id=0x1234, m=1, offset=0) after a hop-by-hop header.
        let pkt = hex(td::IPV6_HBH_FRAG);
        let hbh = ExtHeader::new_checked(&pkt[54..], ip_proto::HOPOPTS).unwrap();
        assert_eq!(
            (hbh.next_header(), hbh.header_len()),
            (ip_proto::FRAGMENT, 8)
        );
        let f = FragmentHeader::new_checked(&pkt[62..]).unwrap();
        assert_eq!(
            (f.next_header(), f.frag_offset(), f.more_frags(), f.ident()),
            (17, 0, true, 0x1234)
        );
        let pkt = hex(td::IPV6_LATER_FRAG);
        let f = FragmentHeader::new_checked(&pkt[54..]).unwrap();
        assert_eq!(
            (f.next_header(), f.frag_offset(), f.more_frags()),
            (17, 3, false)
        );
    }

    #[test]
    fn new_checked_errors() {
        let pkt = hex(td::IPV6_RT_DST_AH);
        for n in 0..HEADER_LEN {
            assert_eq!(
                Ipv6Packet::new_checked(&pkt[14..14 + n]).unwrap_err(),
                ParseError::Truncated(Layer::Ipv6)
            );
        }
        let mut v4 = pkt[14..].to_vec();
        v4[0] = 0x45;
        assert_eq!(
            Ipv6Packet::new_checked(&v4[..]).unwrap_err(),
            ParseError::Malformed(Layer::Ipv6)
        );
        let rt = &pkt[54..];
        for n in 0..24 {
            assert_eq!(
                ExtHeader::new_checked(&rt[..n], ip_proto::ROUTING).unwrap_err(),
                ParseError::Truncated(Layer::Ipv6Ext)
            );
        }
        let ah = &pkt[54 + 32..];
        assert!(ExtHeader::new_checked(&ah[..24], ip_proto::AH).is_ok());
        assert!(ExtHeader::new_checked(&ah[..23], ip_proto::AH).is_err());
        for n in 0..FRAG_HEADER_LEN {
            assert_eq!(
                FragmentHeader::new_checked(&rt[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Ipv6Ext)
            );
        }
    }

    #[test]
    fn reprs_round_trip_golden_headers() {
        let pkt = hex(td::IPV6_RT_DST_AH);
        let p = Ipv6Packet::new_checked(&pkt[14..]).unwrap();
        let mut out = [0u8; 64];
        assert_eq!(Ipv6Repr::parse(&p).emit(&mut out), Some(40));
        assert_eq!(out[..40], pkt[14..54]);
        let mut ofs = 54;
        let mut kind = p.next_header();
        while kind != ip_proto::TCP {
            let h = ExtHeader::new_checked(&pkt[ofs..], kind).unwrap();
            let repr = ExtHeaderRepr::parse(&h);
            let n = repr.emit(&mut out).unwrap();
            assert_eq!(out[..n], pkt[ofs..ofs + n], "header {kind}");
            ofs += n;
            kind = h.next_header();
        }
        assert_eq!(ofs, 54 + 24 + 8 + 24);
        let bad = ExtHeaderRepr {
            kind: ip_proto::DSTOPTS,
            next_header: 59,
            data: &[0; 5],
        };
        assert_eq!(bad.emit(&mut out), None);

        let pkt = hex(td::IPV6_HBH_FRAG);
        let f = FragmentHeader::new_checked(&pkt[62..]).unwrap();
        assert_eq!(FragmentRepr::parse(&f).emit(&mut out), Some(8));
        assert_eq!(out[..8], pkt[62..70]);
    }
}
