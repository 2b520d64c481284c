//! ICMP for IPv4 (RFC 792). The flow key gets type and code (stored where
//! the L4 ports are; see `Field::Icmpv4Type`). The message body, such as
//! the quoted header of an error, is not parsed.
use super::{array_mut, array_ref, bytes_at, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Type, code, checksum and the 4-byte rest of the header.
pub const HEADER_LEN: usize = 8;

/// Some message types.
pub mod msg_type {
    pub const ECHO_REPLY: u8 = 0;
    pub const DEST_UNREACHABLE: u8 = 3;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
}

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const REST: usize = 4;
}

/// A checked view of an ICMP header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct IcmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    /// Checks the 8 header bytes are present.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Icmpv4));
        }
        Ok(IcmpPacket { buffer })
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

    /// The type-specific 4 bytes (identifier and sequence for echo).
    #[inline]
    pub fn rest_of_header(&self) -> [u8; 4] {
        bytes_at(self.header(), field::REST)
    }

    /// Echo identifier (meaningful for echo request/reply).
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::REST], h[field::REST + 1]])
    }

    /// Echo sequence number (meaningful for echo request/reply).
    #[inline]
    pub fn echo_seq(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::REST + 2], h[field::REST + 3]])
    }

    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// An ICMP header's contents (checksum kept as found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpRepr {
    pub msg_type: u8,
    pub msg_code: u8,
    pub checksum: u16,
    pub rest_of_header: [u8; 4],
}

impl IcmpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &IcmpPacket<T>) -> Self {
        IcmpRepr {
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

/// Fills `Icmpv4Type` and `Icmpv4Code`.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = IcmpPacket::new_checked(buf)?;
    key.set(Field::Icmpv4Type, u128::from(p.msg_type()));
    key.set(Field::Icmpv4Code, u128::from(p.msg_code()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_and_round_trip_on_golden_headers() {
        // ICMP(type=8, code=0, id=0x1234, seq=7)/Raw(b"ping")
        let pkt = hex(td::ICMP4_ECHO);
        let p = IcmpPacket::new_checked(&pkt[34..]).unwrap();
        assert_eq!((p.msg_type(), p.msg_code()), (msg_type::ECHO_REQUEST, 0));
        assert_eq!((p.echo_ident(), p.echo_seq()), (0x1234, 7));
        assert_eq!(p.payload(), b"ping");
        // ICMP(type=3, code=3)/IPerror(...)/UDPerror(...)
        let pkt2 = hex(td::ICMP4_UNREACH);
        let p2 = IcmpPacket::new_checked(&pkt2[34..]).unwrap();
        assert_eq!(
            (p2.msg_type(), p2.msg_code()),
            (msg_type::DEST_UNREACHABLE, 3)
        );
        assert_eq!(p2.payload().len(), 28, "quoted IP + UDP headers");
        for (pkt, p) in [(&pkt, &p), (&pkt2, &p2)] {
            let mut out = [0u8; HEADER_LEN];
            assert_eq!(IcmpRepr::parse(p).emit(&mut out), Some(HEADER_LEN));
            assert_eq!(out[..], pkt[34..42]);
        }
        for n in 0..HEADER_LEN {
            assert_eq!(
                IcmpPacket::new_checked(&pkt[34..34 + n]).unwrap_err(),
                ParseError::Truncated(Layer::Icmpv4)
            );
        }
    }
}
