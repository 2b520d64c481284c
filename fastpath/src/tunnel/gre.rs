//! GRE header (RFC 2784 with the RFC 2890 key and sequence extensions),
//! carrying Ethernet (protocol 0x6558, "transparent Ethernet bridging", as
//! OVS's and Linux's `gretap`).
//!
//! ```text
//! |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
//! |      Checksum (optional)      |       Reserved1 (optional)    |
//! |                         Key (optional)                        |
//! |                 Sequence Number (optional)                    |
//! ```

use crate::actions::Checksum;

/// IP protocol number of GRE.
pub const IP_PROTO: u8 = 47;
/// Protocol type of an Ethernet frame (transparent Ethernet bridging).
pub const PROTO_TEB: u16 = 0x6558;
pub const FLAG_CSUM: u16 = 0x8000;
pub const FLAG_ROUTING: u16 = 0x4000;
pub const FLAG_KEY: u16 = 0x2000;
pub const FLAG_SEQ: u16 = 0x1000;
/// Strict source route, recursion control, reserved flags and version:
/// all must be zero.
const MUST_BE_ZERO: u16 = 0x0fff;
/// The longest header: base, checksum, key and sequence words.
pub const MAX_HEADER_LEN: usize = 16;

/// Why a GRE header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than its flags say.
    Truncated,
    /// Routing present, a version other than 0, or reserved bits set.
    UnsupportedFlags,
    /// Not an Ethernet payload.
    UnknownProtocol,
    /// The checksum bit is set and the checksum is wrong.
    BadChecksum,
}

/// A checked view of a GRE packet (header and payload) at the start of
/// `buf`.
#[derive(Debug, Clone, Copy)]
pub struct GrePacket<'a> {
    buf: &'a [u8],
    flags: u16,
    header_len: usize,
}

impl<'a> GrePacket<'a> {
    /// Checks flags, length, protocol and (when present) the checksum
    /// over the whole GRE packet; the accessors cannot fail.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        let base = buf.get(..4).ok_or(Error::Truncated)?;
        let flags = u16::from_be_bytes([base[0], base[1]]);
        if flags & (FLAG_ROUTING | MUST_BE_ZERO) != 0 {
            return Err(Error::UnsupportedFlags);
        }
        let words = [FLAG_CSUM, FLAG_KEY, FLAG_SEQ]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count();
        let header_len = 4 + 4 * words;
        if buf.len() < header_len {
            return Err(Error::Truncated);
        }
        if u16::from_be_bytes([base[2], base[3]]) != PROTO_TEB {
            return Err(Error::UnknownProtocol);
        }
        if flags & FLAG_CSUM != 0 {
            let mut c = Checksum::new();
            c.add(buf);
            if c.finish() != 0 {
                return Err(Error::BadChecksum);
            }
        }
        Ok(GrePacket {
            buf,
            flags,
            header_len,
        })
    }

    pub fn flags(&self) -> u16 {
        self.flags
    }

    pub fn header_len(&self) -> usize {
        self.header_len
    }

    pub fn protocol(&self) -> u16 {
        PROTO_TEB
    }

    fn word(&self, at: usize) -> Option<u32> {
        let b = self.buf.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The key, when the K bit is set.
    pub fn key(&self) -> Option<u32> {
        if self.flags & FLAG_KEY == 0 {
            return None;
        }
        let at = if self.flags & FLAG_CSUM != 0 { 8 } else { 4 };
        self.word(at)
    }

    /// The bytes after the header (the Ethernet frame).
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len..).unwrap_or_default()
    }
}

/// Header length for these options.
pub const fn header_len(csum: bool, key: bool) -> usize {
    4 + if csum { 4 } else { 0 } + if key { 4 } else { 0 }
}

/// Writes a header (checksum zero, to be filled per packet) into `out`,
/// which must be [`header_len`] long; returns false otherwise.
pub fn emit(out: &mut [u8], csum: bool, key: Option<u32>) -> bool {
    if out.len() != header_len(csum, key.is_some()) {
        return false;
    }
    let mut flags = 0;
    if csum {
        flags |= FLAG_CSUM;
    }
    if key.is_some() {
        flags |= FLAG_KEY;
    }
    out[..2].copy_from_slice(&flags.to_be_bytes());
    out[2..4].copy_from_slice(&PROTO_TEB.to_be_bytes());
    let mut at = 4;
    if csum {
        out[4..8].fill(0);
        at = 8;
    }
    if let Some(k) = key {
        out[at..at + 4].copy_from_slice(&k.to_be_bytes());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::internet_checksum;

    fn with_csum(mut pkt: Vec<u8>) -> Vec<u8> {
        let c = internet_checksum(&[&pkt]);
        pkt[4..6].copy_from_slice(&c.to_be_bytes());
        pkt
    }

    #[test]
    fn key_and_payload() {
        let pkt = [0x20, 0x00, 0x65, 0x58, 0, 0, 0, 42, 0xaa, 0xbb];
        let g = GrePacket::new_checked(&pkt).unwrap();
        assert_eq!(g.key(), Some(42));
        assert_eq!(g.header_len(), 8);
        assert_eq!(g.payload(), &[0xaa, 0xbb]);
    }

    #[test]
    fn checksum_verified() {
        let pkt = with_csum(vec![0xa0, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3]);
        let g = GrePacket::new_checked(&pkt).unwrap();
        assert_eq!(g.key(), Some(7));
        assert_eq!(g.payload(), &[1, 2, 3]);
        let mut bad = pkt.clone();
        bad[13] ^= 1;
        assert_eq!(
            GrePacket::new_checked(&bad).unwrap_err(),
            Error::BadChecksum
        );
    }

    #[test]
    fn rejects_flags_protocol_and_short() {
        // Routing bit.
        let r = [0x40, 0, 0x65, 0x58, 0, 0, 0, 0];
        assert_eq!(
            GrePacket::new_checked(&r).unwrap_err(),
            Error::UnsupportedFlags
        );
        // Version 1 (PPTP).
        let v = [0x00, 0x01, 0x65, 0x58];
        assert_eq!(
            GrePacket::new_checked(&v).unwrap_err(),
            Error::UnsupportedFlags
        );
        // IPv4 payload, not Ethernet.
        let p = [0x00, 0x00, 0x08, 0x00];
        assert_eq!(
            GrePacket::new_checked(&p).unwrap_err(),
            Error::UnknownProtocol
        );
        // Key bit without the key.
        let k = [0x20, 0x00, 0x65, 0x58, 0, 0];
        assert_eq!(GrePacket::new_checked(&k).unwrap_err(), Error::Truncated);
        assert_eq!(
            GrePacket::new_checked(&[0x20]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn emit_round_trips() {
        let mut h = [0u8; 12];
        assert!(emit(&mut h, true, Some(0x0102_0304)));
        assert_eq!(h, [0xa0, 0, 0x65, 0x58, 0, 0, 0, 0, 1, 2, 3, 4]);
        let mut h = [0u8; 4];
        assert!(emit(&mut h, false, None));
        let g = GrePacket::new_checked(&h).unwrap();
        assert_eq!(g.key(), None);
        assert!(!emit(&mut h, true, None));
    }
}
