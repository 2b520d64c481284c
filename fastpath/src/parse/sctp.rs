//! SCTP common header (RFC 9260 §3.1). Only the ports go into the flow key;
//! chunks are not parsed.
use super::{array_mut, array_ref, bytes_at, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Ports, verification tag and checksum.
pub const HEADER_LEN: usize = 12;

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const VERIFICATION_TAG: usize = 4;
    pub const CHECKSUM: usize = 8;
}

/// A checked view of an SCTP common header at the front of a buffer.
#[derive(Debug, Clone)]
pub struct SctpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> SctpPacket<T> {
    /// Checks the 12 bytes are present.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Sctp));
        }
        Ok(SctpPacket { buffer })
    }

    /// The 12 bytes. The zero fallback is unreachable after `new_checked`.
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

    #[inline]
    pub fn verification_tag(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::VERIFICATION_TAG))
    }

    /// CRC32c as found (not verified).
    #[inline]
    pub fn checksum(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::CHECKSUM))
    }

    /// The chunks.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// An SCTP common header's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub verification_tag: u32,
    pub checksum: u32,
}

impl SctpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &SctpPacket<T>) -> Self {
        SctpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            verification_tag: p.verification_tag(),
            checksum: p.checksum(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 12 bytes at the front of `buf`; `None` if it is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let [s0, s1] = self.src_port.to_be_bytes();
        let [d0, d1] = self.dst_port.to_be_bytes();
        let [v0, v1, v2, v3] = self.verification_tag.to_be_bytes();
        let [c0, c1, c2, c3] = self.checksum.to_be_bytes();
        *h = [s0, s1, d0, d1, v0, v1, v2, v3, c0, c1, c2, c3];
        Some(HEADER_LEN)
    }
}

/// Fills `SctpSrc` and `SctpDst`.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = SctpPacket::new_checked(buf)?;
    key.set(Field::SctpSrc, u128::from(p.src_port()));
    key.set(Field::SctpDst, u128::from(p.dst_port()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_and_round_trip_on_golden_header() {
        // SCTP(sport=2905, dport=2944, tag=0x1234)/SCTPChunkData(data=b"abcd")
        let pkt = hex(td::SCTP4);
        let p = SctpPacket::new_checked(&pkt[34..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (2905, 2944));
        assert_eq!(p.verification_tag(), 0x1234);
        assert_eq!(p.payload().len(), pkt.len() - 46);
        let repr = SctpRepr::parse(&p);
        let mut out = [0u8; HEADER_LEN];
        assert_eq!(repr.emit(&mut out), Some(HEADER_LEN));
        assert_eq!(out[..], pkt[34..46]);
        assert_eq!(repr.emit(&mut out[..11]), None);
        for n in 0..HEADER_LEN {
            assert_eq!(
                SctpPacket::new_checked(&pkt[34..34 + n]).unwrap_err(),
                ParseError::Truncated(Layer::Sctp)
            );
        }
    }
}
