//! Checksums the executor keeps right: the Internet checksum (RFC 1071),
//! its incremental update (RFC 1624), and CRC32c (Castagnoli, RFC 4960
//! appendix B) for SCTP.
//!
//! Nothing here allocates, indexes out of bounds or panics.

/// A running one's-complement sum over bytes in network order, which may be
/// fed in pieces of any length (odd-length pieces are stitched correctly).
#[derive(Debug, Clone, Copy, Default)]
pub struct Checksum {
    sum: u64,
    /// The high byte of a 16-bit word whose low byte is still to come.
    odd: Option<u8>,
}

impl Checksum {
    pub const fn new() -> Self {
        Checksum { sum: 0, odd: None }
    }

    /// Adds `bytes` to the sum.
    pub fn add(&mut self, mut bytes: &[u8]) {
        if let Some(hi) = self.odd.take() {
            match bytes.split_first() {
                Some((&lo, rest)) => {
                    self.sum += u64::from(u16::from_be_bytes([hi, lo]));
                    bytes = rest;
                }
                None => {
                    self.odd = Some(hi);
                    return;
                }
            }
        }
        let mut words = bytes.chunks_exact(2);
        for w in &mut words {
            if let &[a, b] = w {
                self.sum += u64::from(u16::from_be_bytes([a, b]));
            }
        }
        if let &[last] = words.remainder() {
            self.odd = Some(last);
        }
    }

    /// The checksum: the complement of the folded sum (a trailing odd byte
    /// is padded with zero).
    pub fn finish(self) -> u16 {
        let mut s = self.sum;
        if let Some(hi) = self.odd {
            s += u64::from(hi) << 8;
        }
        !fold(s)
    }
}

/// The Internet checksum of the concatenation of `parts` (e.g. a
/// pseudo-header and a segment whose checksum field is zero).
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut c = Checksum::new();
    for p in parts {
        c.add(p);
    }
    c.finish()
}

/// Folds a wide one's-complement sum to 16 bits (end-around carry).
#[inline]
fn fold(mut s: u64) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// RFC 1624 eqn. 3: the checksum `hc` after the 16-bit-aligned bytes `old`
/// of the covered data became `new` (same even length; a trailing odd byte
/// is ignored, so callers always pass whole words).
#[inline]
pub(crate) fn update(hc: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut s = u64::from(!hc);
    for w in old.chunks_exact(2) {
        if let &[a, b] = w {
            s += u64::from(!u16::from_be_bytes([a, b]));
        }
    }
    for w in new.chunks_exact(2) {
        if let &[a, b] = w {
            s += u64::from(u16::from_be_bytes([a, b]));
        }
    }
    !fold(s)
}

/// Reflected CRC32c table (polynomial 0x1EDC6F41, reversed 0x82F63B78).
static CRC32C_TABLE: [u32; 256] = crc32c_table();

const fn crc32c_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// CRC32c of `data` (initial value and final XOR all-ones), as SCTP uses
/// it. SCTP stores the result least significant byte first
/// (`crc32c(..).to_le_bytes()`).
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = (crc >> 8) ^ CRC32C_TABLE[usize::from((crc as u8) ^ b)];
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&[&data]), !0xddf2);
        // Split at odd boundaries: same result.
        assert_eq!(
            internet_checksum(&[&data[..1], &data[1..4], &data[4..7], &data[7..]]),
            !0xddf2
        );
        // Odd length: trailing byte padded with zero.
        assert_eq!(internet_checksum(&[&[0x12]]), !0x1200);
    }

    #[test]
    fn incremental_matches_full() {
        let mut data = [
            0x45u8, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = internet_checksum(&[&data]);
        data[10..12].copy_from_slice(&c.to_be_bytes());
        let old = [data[8], data[9]];
        data[8] = 63;
        let new = [data[8], data[9]];
        let inc = update(c, &old, &new);
        data[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(inc, internet_checksum(&[&data]));
    }

    #[test]
    fn crc32c_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 B.4: 32 bytes of zeros.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xffu8; 32]), 0x62A8_AB43);
    }
}
