//! VXLAN header (RFC 7348): 8 bytes after the outer UDP header.
//!
//! ```text
//!  0               1               2               3
//! |R R R R I R R R|           reserved (24)                   |
//! |                VNI (24)                   | reserved (8)  |
//! ```

/// Bytes of the VXLAN header.
pub const HEADER_LEN: usize = 8;
/// The IANA UDP port.
pub const DEFAULT_PORT: u16 = 4789;
/// The "I" flag: the VNI is valid. The only flag we accept or send.
pub const FLAG_VNI: u8 = 0x08;

/// Why a VXLAN header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Fewer than 8 bytes.
    Truncated,
    /// Flags other than exactly "I" (a missing VNI, or extensions such as
    /// GBP/GPE we do not speak).
    BadFlags,
}

/// A checked view of a VXLAN header at the start of `buf`.
#[derive(Debug, Clone, Copy)]
pub struct VxlanPacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> VxlanPacket<'a> {
    /// Checks length and flags once; the accessors cannot fail.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, Error> {
        let hdr: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::Truncated)?;
        if hdr[0] != FLAG_VNI {
            return Err(Error::BadFlags);
        }
        Ok(VxlanPacket { hdr })
    }

    pub fn flags(&self) -> u8 {
        self.hdr[0]
    }

    /// The 24-bit VXLAN network identifier.
    pub fn vni(&self) -> u32 {
        u32::from_be_bytes([0, self.hdr[4], self.hdr[5], self.hdr[6]])
    }
}

/// The 8 header bytes for `vni` (its low 24 bits).
pub fn emit(vni: u32) -> [u8; HEADER_LEN] {
    let v = vni.to_be_bytes();
    [FLAG_VNI, 0, 0, 0, v[1], v[2], v[3], 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vni_and_round_trips() {
        let bytes = [0x08, 0, 0, 0, 0x00, 0x00, 0x2a, 0, 0xde, 0xad];
        let v = VxlanPacket::new_checked(&bytes).unwrap();
        assert_eq!(v.vni(), 42);
        assert_eq!(v.flags(), FLAG_VNI);
        assert_eq!(emit(42), bytes[..8]);
        assert_eq!(emit(0x12_3456)[4..7], [0x12, 0x34, 0x56]);
    }

    #[test]
    fn rejects_short_and_bad_flags() {
        assert_eq!(
            VxlanPacket::new_checked(&[0x08, 0, 0, 0, 0, 0, 1]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(VxlanPacket::new_checked(&[]).unwrap_err(), Error::Truncated);
        // I flag missing.
        assert_eq!(
            VxlanPacket::new_checked(&[0, 0, 0, 0, 0, 0, 1, 0]).unwrap_err(),
            Error::BadFlags
        );
        // GBP (G bit) extension.
        assert_eq!(
            VxlanPacket::new_checked(&[0x88, 0, 0, 0, 0, 0, 1, 0]).unwrap_err(),
            Error::BadFlags
        );
    }
}
