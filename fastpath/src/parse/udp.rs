//! UDP (RFC 768). Only the ports go into the flow key; the length field is
//! not checked (the IP header bounds the datagram).
use super::{array_mut, array_ref, Layer, ParseError};
use crate::flow::{Field, FlowKey};

pub const HEADER_LEN: usize = 8;

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
}

/// A checked view of a UDP header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Checks the 8 bytes are present.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Udp));
        }
        Ok(UdpPacket { buffer })
    }

    /// The 8 bytes. The zero fallback is unreachable after `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::SRC_PORT], h[field::SRC_PORT + 1]])
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::DST_PORT], h[field::DST_PORT + 1]])
    }

    /// Header plus payload, as the header says.
    #[inline]
    pub fn length(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::LENGTH], h[field::LENGTH + 1]])
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::CHECKSUM], h[field::CHECKSUM + 1]])
    }

    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A UDP header's contents (checksum kept as found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub len: u16,
    pub checksum: u16,
}

impl UdpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &UdpPacket<T>) -> Self {
        UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            len: p.length(),
            checksum: p.checksum(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 8 bytes at the front of `buf`; `None` if it is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let [s0, s1] = self.src_port.to_be_bytes();
        let [d0, d1] = self.dst_port.to_be_bytes();
        let [l0, l1] = self.len.to_be_bytes();
        let [c0, c1] = self.checksum.to_be_bytes();
        *h = [s0, s1, d0, d1, l0, l1, c0, c1];
        Some(HEADER_LEN)
    }
}

/// Fills `UdpSrc` and `UdpDst`.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = UdpPacket::new_checked(buf)?;
    key.set(Field::UdpSrc, u128::from(p.src_port()));
    key.set(Field::UdpDst, u128::from(p.dst_port()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_and_round_trip_on_golden_header() {
        // UDP(sport=68, dport=67)/Raw(b"xxxx")
        let pkt = hex(td::UDP4);
        let p = UdpPacket::new_checked(&pkt[34..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.length()), (68, 67, 12));
        assert_eq!(p.payload(), b"xxxx");
        let repr = UdpRepr::parse(&p);
        let mut out = [0u8; HEADER_LEN];
        assert_eq!(repr.emit(&mut out), Some(HEADER_LEN));
        assert_eq!(out[..], pkt[34..42]);
        assert_eq!(repr.emit(&mut out[..7]), None);
        for n in 0..HEADER_LEN {
            assert_eq!(
                UdpPacket::new_checked(&pkt[34..34 + n]).unwrap_err(),
                ParseError::Truncated(Layer::Udp)
            );
        }
    }
}
