//! IPv4 (RFC 791). Options are skipped. The datagram's end is the smaller
//! of its total length and the buffer (Ethernet padding is not payload).
use super::{array_mut, array_ref, bytes_at, ip_frag, write_bytes, IpInfo, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Header without options.
pub const HEADER_LEN: usize = 20;
/// Header with the most options (IHL = 15).
pub const MAX_HEADER_LEN: usize = 60;

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// A checked view of an IPv4 header (with options) at the front of a
/// buffer.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Checks the 20 fixed bytes are present (`Truncated`), the version is
    /// 4, IHL ≥ 5 and total length ≥ IHL × 4 (`Malformed`), and the whole
    /// header with options is present (`Truncated`). The total length may
    /// exceed the buffer: the driver reports that after using the header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let Some(h) = array_ref::<HEADER_LEN>(b) else {
            return Err(ParseError::Truncated(Layer::Ipv4));
        };
        let header_len = usize::from(h[field::VER_IHL] & 0x0f) * 4;
        let total_len = usize::from(u16::from_be_bytes([h[field::LENGTH], h[field::LENGTH + 1]]));
        if h[field::VER_IHL] >> 4 != 4 || header_len < HEADER_LEN || total_len < header_len {
            return Err(ParseError::Malformed(Layer::Ipv4));
        }
        if b.len() < header_len {
            return Err(ParseError::Truncated(Layer::Ipv4));
        }
        Ok(Ipv4Packet { buffer })
    }

    /// The fixed 20 bytes. The zero fallback is unreachable after
    /// `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.header()[field::VER_IHL] >> 4
    }

    /// IHL × 4, options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.header()[field::VER_IHL] & 0x0f) * 4
    }

    /// The whole TOS byte (DSCP << 2 | ECN).
    #[inline]
    pub fn tos(&self) -> u8 {
        self.header()[field::TOS]
    }

    #[inline]
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }

    #[inline]
    pub fn ecn(&self) -> u8 {
        self.tos() & 3
    }

    #[inline]
    pub fn total_len(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::LENGTH], h[field::LENGTH + 1]])
    }

    #[inline]
    pub fn ident(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::IDENT], h[field::IDENT + 1]])
    }

    #[inline]
    fn flags_offset(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::FLG_OFF], h[field::FLG_OFF + 1]])
    }

    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.flags_offset() & 0x4000 != 0
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flags_offset() & 0x2000 != 0
    }

    /// Fragment offset in 8-byte units.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.flags_offset() & 0x1fff
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        self.header()[field::TTL]
    }

    #[inline]
    pub fn protocol(&self) -> u8 {
        self.header()[field::PROTOCOL]
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::CHECKSUM], h[field::CHECKSUM + 1]])
    }

    #[inline]
    pub fn src_addr(&self) -> [u8; 4] {
        bytes_at(self.header(), field::SRC)
    }

    #[inline]
    pub fn dst_addr(&self) -> [u8; 4] {
        bytes_at(self.header(), field::DST)
    }

    /// Option bytes (empty when IHL = 5).
    #[inline]
    pub fn options(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..self.header_len())
            .unwrap_or(&[])
    }

    /// The payload up to the total length, or to the buffer's end when
    /// that comes first.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = usize::from(self.total_len()).min(b.len());
        b.get(self.header_len()..end).unwrap_or(&[])
    }

    /// Whether the header checksum (options included) is correct.
    pub fn verify_checksum(&self) -> bool {
        let b = self.buffer.as_ref();
        checksum(b.get(..self.header_len()).unwrap_or(&[])) == 0
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// The Internet checksum (RFC 1071) of `data`: the one's complement of
/// the one's complement sum of its 16-bit big-endian words.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        if let [a, b] = w {
            sum += u64::from(u16::from_be_bytes([*a, *b]));
        }
    }
    if let [a] = words.remainder() {
        sum += u64::from(*a) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr<'a> {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub protocol: u8,
    pub dscp: u8,
    pub ecn: u8,
    pub ttl: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// In 8-byte units.
    pub frag_offset: u16,
    /// Total length minus the header length.
    pub payload_len: u16,
    /// Option bytes; a multiple of 4, at most 40.
    pub options: &'a [u8],
}

impl<'a> Ipv4Repr<'a> {
    pub fn parse<T: AsRef<[u8]>>(p: &'a Ipv4Packet<T>) -> Self {
        let header_len = u16::try_from(p.header_len()).unwrap_or(u16::MAX);
        Ipv4Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            protocol: p.protocol(),
            dscp: p.dscp(),
            ecn: p.ecn(),
            ttl: p.ttl(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
            payload_len: p.total_len().saturating_sub(header_len),
            options: p.options(),
        }
    }

    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header (options included, checksum computed) at the
    /// front of `buf`. `None` when `buf` is too short or the options are
    /// not a multiple of 4 bytes up to 40.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let header_len = self.header_len();
        if !self.options.len().is_multiple_of(4) || header_len > MAX_HEADER_LEN {
            return None;
        }
        let total = u16::try_from(header_len)
            .ok()?
            .checked_add(self.payload_len)?;
        write_bytes(buf.get_mut(HEADER_LEN..header_len)?, self.options)?;
        let h = array_mut::<HEADER_LEN>(buf)?;
        let ihl = (header_len / 4) as u8;
        let [l0, l1] = total.to_be_bytes();
        let [i0, i1] = self.ident.to_be_bytes();
        let flags_off = (u16::from(self.dont_frag) << 14)
            | (u16::from(self.more_frags) << 13)
            | (self.frag_offset & 0x1fff);
        let [f0, f1] = flags_off.to_be_bytes();
        let [s0, s1, s2, s3] = self.src;
        let [d0, d1, d2, d3] = self.dst;
        *h = [
            0x40 | ihl,
            (self.dscp << 2) | (self.ecn & 3),
            l0,
            l1,
            i0,
            i1,
            f0,
            f1,
            self.ttl,
            self.protocol,
            0,
            0,
            s0,
            s1,
            s2,
            s3,
            d0,
            d1,
            d2,
            d3,
        ];
        let sum = checksum(buf.get(..header_len)?);
        let [c0, c1] = sum.to_be_bytes();
        let h = array_mut::<HEADER_LEN>(buf)?;
        h[field::CHECKSUM] = c0;
        h[field::CHECKSUM + 1] = c1;
        Some(header_len)
    }
}

/// Fills the IPv4 fields of `key` (addresses, protocol, DSCP/ECN, TTL,
/// fragment bits) and says where the transport header and the datagram's
/// end are, relative to the start of `buf`.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<IpInfo, ParseError> {
    let p = Ipv4Packet::new_checked(buf)?;
    let total_len = usize::from(p.total_len());
    let later = p.frag_offset() != 0;
    let fragment = later || p.more_frags();
    let frag = if later {
        ip_frag::ANY | ip_frag::LATER
    } else if fragment {
        ip_frag::ANY
    } else {
        0
    };
    key.set(Field::Ipv4Src, u128::from(u32::from_be_bytes(p.src_addr())));
    key.set(Field::Ipv4Dst, u128::from(u32::from_be_bytes(p.dst_addr())));
    key.set(Field::IpProto, u128::from(p.protocol()));
    key.set(Field::IpDscp, u128::from(p.dscp()));
    key.set(Field::IpEcn, u128::from(p.ecn()));
    key.set(Field::NwTtl, u128::from(p.ttl()));
    key.set(Field::IpFrag, u128::from(frag));
    Ok(IpInfo {
        layer: Layer::Ipv4,
        proto: p.protocol(),
        l4_ofs: p.header_len(),
        end: total_len.min(buf.len()),
        complete: total_len <= buf.len(),
        fragment,
        later_fragment: later,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_on_golden_header() {
        // IP(src="10.0.0.1", dst="192.168.1.254", tos=0xb9, ttl=63, id=1)
        let pkt = hex(td::TCP4);
        let p = Ipv4Packet::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!((p.dscp(), p.ecn()), (0xb9 >> 2, 1));
        assert_eq!(usize::from(p.total_len()), pkt.len() - 14);
        assert_eq!(p.ident(), 1);
        assert_eq!(
            (p.dont_frag(), p.more_frags(), p.frag_offset()),
            (false, false, 0)
        );
        assert_eq!((p.ttl(), p.protocol()), (63, 6));
        assert_eq!(p.src_addr(), [10, 0, 0, 1]);
        assert_eq!(p.dst_addr(), [192, 168, 1, 254]);
        assert!(p.options().is_empty());
        assert_eq!(p.payload().len(), pkt.len() - 34);
        assert!(p.verify_checksum());
    }

    #[test]
    fn options_and_fragments_on_golden_headers() {
        let pkt = hex(td::IPV4_OPTIONS);
        let p = Ipv4Packet::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.header_len(), 28);
        // IPOption_RR(routers=["1.2.3.4"]), padded with an end-of-list byte.
        assert_eq!(p.options(), &[7, 7, 4, 1, 2, 3, 4, 0]);
        assert!(p.verify_checksum());

        let first = hex(td::IPV4_FIRST_FRAG);
        let p = Ipv4Packet::new_checked(&first[14..]).unwrap();
        assert_eq!((p.more_frags(), p.frag_offset(), p.ident()), (true, 0, 42));
        let later = hex(td::IPV4_LATER_FRAG);
        let p = Ipv4Packet::new_checked(&later[14..]).unwrap();
        assert_eq!((p.more_frags(), p.frag_offset()), (false, 3));
    }

    #[test]
    fn padding_is_not_payload() {
        let pkt = hex(td::IPV4_PADDED);
        let p = Ipv4Packet::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.total_len(), 40);
        assert_eq!(p.payload().len(), 20);
    }

    #[test]
    fn new_checked_errors() {
        let pkt = hex(td::IPV4_OPTIONS);
        let ip = &pkt[14..];
        for n in 0..28 {
            assert_eq!(
                Ipv4Packet::new_checked(&ip[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Ipv4),
                "{n} bytes"
            );
        }
        // Total length larger than the buffer is accepted by the view.
        assert!(Ipv4Packet::new_checked(&ip[..30]).is_ok());
        let edit = |i: usize, v: u8| {
            let mut b = ip.to_vec();
            b[i] = v;
            Ipv4Packet::new_checked(b).unwrap_err()
        };
        let malformed = ParseError::Malformed(Layer::Ipv4);
        assert_eq!(edit(0, 0x67), malformed, "version 6");
        assert_eq!(edit(0, 0x44), malformed, "IHL 4");
        assert_eq!(edit(0, 0x40), malformed, "IHL 0");
        assert_eq!(edit(3, 27), malformed, "total length < header length");
        assert_eq!(edit(0, 0x4f), malformed, "IHL 15 > total length 48");
    }

    #[test]
    fn repr_round_trips_golden_headers_with_checksum() {
        for h in [
            td::TCP4,
            td::IPV4_OPTIONS,
            td::IPV4_FIRST_FRAG,
            td::IPV4_LATER_FRAG,
        ] {
            let pkt = hex(h);
            let ip = &pkt[14..];
            let p = Ipv4Packet::new_checked(ip).unwrap();
            let repr = Ipv4Repr::parse(&p);
            let mut out = [0u8; MAX_HEADER_LEN];
            assert_eq!(repr.emit(&mut out), Some(p.header_len()));
            assert_eq!(out[..p.header_len()], ip[..p.header_len()], "{h}");
            assert_eq!(repr.emit(&mut out[..p.header_len() - 1]), None);
        }
        let pkt = hex(td::TCP4);
        let p = Ipv4Packet::new_checked(&pkt[14..]).unwrap();
        let odd = Ipv4Repr {
            options: &[1, 1, 1],
            ..Ipv4Repr::parse(&p)
        };
        assert_eq!(odd.emit(&mut [0u8; 60]), None);
    }

    #[test]
    fn checksum_of_odd_length_and_empty() {
        assert_eq!(checksum(&[]), 0xffff);
        assert_eq!(checksum(&[0x01]), !0x0100);
        assert_eq!(checksum(&[0xff, 0xff, 0xff, 0xff]), 0);
    }
}
