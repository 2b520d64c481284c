//! ARP for IPv4 over Ethernet (RFC 826). Other hardware or protocol types
//! are reported as `Malformed(Arp)` and fill no ARP fields.
use super::{array_mut, array_ref, bytes_at, mac_to_u64, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Ethernet/IPv4 ARP: 8 fixed bytes plus 2 × (6 + 4) address bytes.
pub const HEADER_LEN: usize = 28;
/// Hardware and protocol types and lengths plus the opcode.
const FIXED_LEN: usize = 8;

pub const HTYPE_ETHERNET: u16 = 1;
pub const PTYPE_IPV4: u16 = 0x0800;
pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;

mod field {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
}

/// A checked view of an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Checks, in order: the 8 fixed bytes are present (`Truncated`); the
    /// types and lengths are Ethernet (1, 6) and IPv4 (0x0800, 4)
    /// (`Malformed`); the 28 bytes are present (`Truncated`).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let Some(fixed) = array_ref::<FIXED_LEN>(b) else {
            return Err(ParseError::Truncated(Layer::Arp));
        };
        let htype = u16::from_be_bytes([fixed[field::HTYPE], fixed[field::HTYPE + 1]]);
        let ptype = u16::from_be_bytes([fixed[field::PTYPE], fixed[field::PTYPE + 1]]);
        if htype != HTYPE_ETHERNET
            || ptype != PTYPE_IPV4
            || fixed[field::HLEN] != 6
            || fixed[field::PLEN] != 4
        {
            return Err(ParseError::Malformed(Layer::Arp));
        }
        if b.len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Arp));
        }
        Ok(ArpPacket { buffer })
    }

    /// The 28 bytes. The zero fallback is unreachable after `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    /// The full 16-bit opcode (the flow key keeps its low 8 bits).
    #[inline]
    pub fn operation(&self) -> u16 {
        let h = self.header();
        u16::from_be_bytes([h[field::OPER], h[field::OPER + 1]])
    }

    #[inline]
    pub fn sender_hw_addr(&self) -> [u8; 6] {
        bytes_at(self.header(), field::SHA)
    }

    #[inline]
    pub fn sender_proto_addr(&self) -> [u8; 4] {
        bytes_at(self.header(), field::SPA)
    }

    #[inline]
    pub fn target_hw_addr(&self) -> [u8; 6] {
        bytes_at(self.header(), field::THA)
    }

    #[inline]
    pub fn target_proto_addr(&self) -> [u8; 4] {
        bytes_at(self.header(), field::TPA)
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// An Ethernet/IPv4 ARP packet's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpRepr {
    pub operation: u16,
    pub sha: [u8; 6],
    pub spa: [u8; 4],
    pub tha: [u8; 6],
    pub tpa: [u8; 4],
}

impl ArpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Self {
        ArpRepr {
            operation: p.operation(),
            sha: p.sender_hw_addr(),
            spa: p.sender_proto_addr(),
            tha: p.target_hw_addr(),
            tpa: p.target_proto_addr(),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 28 bytes at the front of `buf`; `None` if it is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let h = array_mut::<HEADER_LEN>(buf)?;
        let parts: [&[u8]; 8] = [
            &HTYPE_ETHERNET.to_be_bytes(),
            &PTYPE_IPV4.to_be_bytes(),
            &[6, 4],
            &self.operation.to_be_bytes(),
            &self.sha,
            &self.spa,
            &self.tha,
            &self.tpa,
        ];
        for (dst, src) in h.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
            *dst = *src;
        }
        Some(HEADER_LEN)
    }
}

/// Fills the ARP fields of `key` from the network-layer bytes.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = ArpPacket::new_checked(buf)?;
    // The flow key stores the opcode's low 8 bits (as OpenFlow's arp_op
    // match in OVS).
    key.set(Field::ArpOp, u128::from(p.operation()));
    key.set(
        Field::ArpSpa,
        u128::from(u32::from_be_bytes(p.sender_proto_addr())),
    );
    key.set(
        Field::ArpTpa,
        u128::from(u32::from_be_bytes(p.target_proto_addr())),
    );
    key.set(Field::ArpSha, u128::from(mac_to_u64(p.sender_hw_addr())));
    key.set(Field::ArpTha, u128::from(mac_to_u64(p.target_hw_addr())));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_on_golden_reply() {
        let pkt = hex(td::ARP_REPLY);
        let p = ArpPacket::new_checked(&pkt[14..]).unwrap();
        assert_eq!(p.operation(), OP_REPLY);
        assert_eq!(p.sender_hw_addr(), [0, 0, 0x5e, 0, 0x53, 2]);
        assert_eq!(p.sender_proto_addr(), [192, 0, 2, 2]);
        assert_eq!(p.target_hw_addr(), [0, 0, 0x5e, 0, 0x53, 1]);
        assert_eq!(p.target_proto_addr(), [192, 0, 2, 1]);
    }

    #[test]
    fn checks_length_then_types() {
        let pkt = hex(td::ARP_REQUEST);
        let arp = &pkt[14..];
        for n in 0..FIXED_LEN {
            assert_eq!(
                ArpPacket::new_checked(&arp[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Arp)
            );
        }
        for n in FIXED_LEN..HEADER_LEN {
            assert_eq!(
                ArpPacket::new_checked(&arp[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Arp)
            );
        }
        // htype 6 (IEEE 802), ptype IPv6, hlen 8, plen 16: all malformed,
        // even when cut short.
        for (i, v) in [(1, 6u8), (2, 0x86), (4, 8), (5, 16)] {
            let mut bad = arp.to_vec();
            bad[i] = v;
            assert_eq!(
                ArpPacket::new_checked(&bad[..]).unwrap_err(),
                ParseError::Malformed(Layer::Arp)
            );
            assert_eq!(
                ArpPacket::new_checked(&bad[..10]).unwrap_err(),
                ParseError::Malformed(Layer::Arp)
            );
        }
    }

    #[test]
    fn repr_round_trips_golden_request() {
        let pkt = hex(td::ARP_REQUEST);
        let p = ArpPacket::new_checked(&pkt[14..]).unwrap();
        let repr = ArpRepr::parse(&p);
        assert_eq!(repr.operation, OP_REQUEST);
        let mut out = [0u8; HEADER_LEN];
        assert_eq!(repr.emit(&mut out), Some(HEADER_LEN));
        assert_eq!(out[..], pkt[14..]);
        assert_eq!(repr.emit(&mut [0u8; 27]), None);
    }
}
