//! Bounds-checked big-endian reading and appending. Every read returns a
//! `Result`; nothing here indexes a slice in a way that can panic.
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind};

/// A read ran past the end of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

pub(crate) type Res<T> = Result<T, OfpError>;

/// An OpenFlow error with a message.
pub(crate) fn err(kind: OfpErrorKind, message: impl Into<String>) -> OfpError {
    OfpError::new(kind, message)
}

/// OFPET_BAD_REQUEST / OFPBRC_BAD_LEN.
pub(crate) fn bad_len(message: impl Into<String>) -> OfpError {
    err(OfpErrorKind::BadRequest(code::BAD_LEN), message)
}

/// Maps a truncated read to an OpenFlow error.
pub(crate) trait OrErr<T> {
    /// On truncation: `kind` with "`what` is truncated".
    fn or_kind(self, kind: OfpErrorKind, what: &str) -> Res<T>;
    /// On truncation: BadRequest BAD_LEN with "`what` is truncated".
    fn or_len(self, what: &str) -> Res<T>;
}

impl<T> OrErr<T> for Result<T, Truncated> {
    fn or_kind(self, kind: OfpErrorKind, what: &str) -> Res<T> {
        self.map_err(|_| err(kind, format!("{what} is truncated")))
    }

    fn or_len(self, what: &str) -> Res<T> {
        self.or_kind(OfpErrorKind::BadRequest(code::BAD_LEN), what)
    }
}

/// A cursor over a byte slice that consumes from the front.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        let head = self.data.get(..n).ok_or(Truncated)?;
        let tail = self.data.get(n..).ok_or(Truncated)?;
        self.data = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Truncated> {
        let b = self.bytes(N)?;
        <[u8; N]>::try_from(b).map_err(|_| Truncated)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), Truncated> {
        self.bytes(n).map(|_| ())
    }

    /// A reader over the next `n` bytes, which this one skips.
    pub(crate) fn sub(&mut self, n: usize) -> Result<Reader<'a>, Truncated> {
        self.bytes(n).map(Reader::new)
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Truncated> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Truncated> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// The big-endian u16 at `off` bytes ahead, without consuming.
    pub(crate) fn peek_u16(&self, off: usize) -> Result<u16, Truncated> {
        let end = off.checked_add(2).ok_or(Truncated)?;
        let b = self.data.get(off..end).ok_or(Truncated)?;
        let a = <[u8; 2]>::try_from(b).map_err(|_| Truncated)?;
        Ok(u16::from_be_bytes(a))
    }

    /// Fails with BAD_LEN when bytes are left over.
    pub(crate) fn finish(&self, what: &str) -> Res<()> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(bad_len(format!(
                "{what} has {} unexpected trailing bytes",
                self.data.len()
            )))
        }
    }
}

/// An unsigned big-endian integer of up to 16 bytes (longer input keeps
/// the low 16 bytes).
pub(crate) fn be_uint(b: &[u8]) -> u128 {
    b.iter().fold(0u128, |acc, &x| (acc << 8) | u128::from(x))
}

/// Whether `a` is a multiple of `b` (false for `b == 0`).
pub(crate) fn multiple_of(a: usize, b: usize) -> bool {
    a.checked_rem(b) == Some(0)
}

/// Rounds up to a multiple of 8.
pub(crate) fn round8(n: usize) -> usize {
    n.saturating_add(7) & !7
}

/// A length for a 16-bit length field (saturating; callers keep messages
/// within 64 KiB).
pub(crate) fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Big-endian appending to a `Vec<u8>`.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_zeros(&mut self, n: usize);
    /// The low `bytes` bytes of `v`, big-endian.
    fn put_uint(&mut self, v: u128, bytes: usize);
    /// Zero bytes up to the next multiple of 8 counted from `start`.
    fn pad8_from(&mut self, start: usize);
    /// Overwrites the u16 at `at` (no-op when out of range).
    fn patch_u16(&mut self, at: usize, v: u16);
    /// A fixed-size, NUL-padded string field of `size` bytes (truncated to
    /// leave at least one NUL, on a character boundary).
    fn put_str(&mut self, s: &str, size: usize);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }

    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_zeros(&mut self, n: usize) {
        self.resize(self.len().saturating_add(n), 0);
    }

    fn put_uint(&mut self, v: u128, bytes: usize) {
        let all = v.to_be_bytes();
        let n = bytes.min(16);
        self.put_zeros(bytes - n);
        self.extend_from_slice(all.get(16 - n..).unwrap_or(&[]));
    }

    fn pad8_from(&mut self, start: usize) {
        let len = self.len().saturating_sub(start);
        self.put_zeros(round8(len) - len);
    }

    fn patch_u16(&mut self, at: usize, v: u16) {
        if let Some(s) = at.checked_add(2).and_then(|end| self.get_mut(at..end)) {
            s.copy_from_slice(&v.to_be_bytes());
        }
    }

    fn put_str(&mut self, s: &str, size: usize) {
        let max = size.saturating_sub(1);
        let mut n = s.len().min(max);
        while n > 0 && !s.is_char_boundary(n) {
            n -= 1;
        }
        let b = s.as_bytes().get(..n).unwrap_or(&[]);
        self.extend_from_slice(b);
        self.put_zeros(size - n);
    }
}

/// A NUL-padded string field (up to the first NUL; invalid UTF-8 replaced).
pub(crate) fn get_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(&[])).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u16(), Err(Truncated));
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.peek_u16(0), Err(Truncated));
        assert_eq!(r.peek_u16(usize::MAX), Err(Truncated));
        assert_eq!(r.bytes(usize::MAX), Err(Truncated));
        assert_eq!(r.u8(), Ok(3));
        assert!(r.is_empty());
        assert!(r.finish("x").is_ok());
    }

    #[test]
    fn put_helpers() {
        let mut v = Vec::new();
        v.put_uint(0x0102_0304_0506, 6);
        assert_eq!(v, [1, 2, 3, 4, 5, 6]);
        v.pad8_from(0);
        assert_eq!(v.len(), 8);
        v.patch_u16(0, 0xabcd);
        v.patch_u16(7, 1);
        assert_eq!(&v[..2], &[0xab, 0xcd]);
        let mut s = Vec::new();
        s.put_str("héllo", 3);
        assert_eq!(s, [b'h', 0, 0]);
        assert_eq!(get_str(b"ab\0cd"), "ab");
        assert_eq!(round8(0), 0);
        assert_eq!(round8(9), 16);
        assert_eq!(be_uint(&[1, 0]), 256);
    }
}
