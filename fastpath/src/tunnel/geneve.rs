//! Geneve header (RFC 8926): 8 bytes plus options after the outer UDP
//! header, carrying Ethernet (protocol 0x6558).
//!
//! ```text
//! |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
//! |        Virtual Network Identifier (VNI)       |    Reserved   |
//! |                    Variable-Length Options                    |
//! ```

/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 8;
/// The IANA UDP port.
pub const DEFAULT_PORT: u16 = 6081;
/// Protocol type of an Ethernet frame.
pub const PROTO_TEB: u16 = 0x6558;
/// "Critical options present": we process no options, so such packets
/// must be dropped (RFC 8926 §3.5).
const FLAG_CRITICAL: u8 = 0x40;

/// Why a Geneve header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the header and its options.
    Truncated,
    /// Version other than 0, critical options, or not Ethernet.
    Unsupported,
}

/// A checked view of a Geneve header (with its options) at the start of
/// `buf`.
#[derive(Debug, Clone, Copy)]
pub struct GenevePacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    header_len: usize,
}

impl<'a> GenevePacket<'a> {
    /// Checks version, flags, protocol and length once; the accessors
    /// cannot fail.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        let hdr: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::Truncated)?;
        if hdr[0] >> 6 != 0
            || hdr[1] & FLAG_CRITICAL != 0
            || u16::from_be_bytes([hdr[2], hdr[3]]) != PROTO_TEB
        {
            return Err(Error::Unsupported);
        }
        let header_len = HEADER_LEN + usize::from(hdr[0] & 0x3f) * 4;
        if buf.len() < header_len {
            return Err(Error::Truncated);
        }
        Ok(GenevePacket { hdr, header_len })
    }

    /// The 24-bit virtual network identifier.
    pub fn vni(&self) -> u32 {
        u32::from_be_bytes([0, self.hdr[4], self.hdr[5], self.hdr[6]])
    }

    /// Header plus options.
    pub fn header_len(&self) -> usize {
        self.header_len
    }
}

/// The 8 header bytes (no options) for `vni` (its low 24 bits).
pub fn emit(vni: u32) -> [u8; HEADER_LEN] {
    let v = vni.to_be_bytes();
    let p = PROTO_TEB.to_be_bytes();
    [0, 0, p[0], p[1], v[1], v[2], v[3], 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vni_options_and_round_trips() {
        let h = emit(42);
        assert_eq!(h, [0, 0, 0x65, 0x58, 0, 0, 42, 0]);
        let g = GenevePacket::new_checked(&h).unwrap();
        assert_eq!((g.vni(), g.header_len()), (42, 8));
        // One 8-byte option (opt len 2), not critical: skipped.
        let mut o = vec![2, 0, 0x65, 0x58, 0, 1, 0, 0];
        o.extend_from_slice(&[0x01, 0x02, 0x80, 0x01, 0, 0, 0, 0]);
        let g = GenevePacket::new_checked(&o).unwrap();
        assert_eq!((g.vni(), g.header_len()), (256, 16));
        assert_eq!(
            GenevePacket::new_checked(&o[..12]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn rejects_version_critical_and_protocol() {
        let mut h = emit(1);
        h[0] = 0x40;
        assert_eq!(
            GenevePacket::new_checked(&h).unwrap_err(),
            Error::Unsupported
        );
        let mut h = emit(1);
        h[1] = 0x40;
        assert_eq!(
            GenevePacket::new_checked(&h).unwrap_err(),
            Error::Unsupported
        );
        let mut h = emit(1);
        h[2..4].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(
            GenevePacket::new_checked(&h).unwrap_err(),
            Error::Unsupported
        );
        assert_eq!(
            GenevePacket::new_checked(&h[..7]).unwrap_err(),
            Error::Truncated
        );
    }
}
