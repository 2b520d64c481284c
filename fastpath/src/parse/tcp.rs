//! TCP (RFC 9293). The flow key gets the ports and the 12 low bits of the
//! flags word (NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN and 3 reserved).
use super::{array_mut, array_ref, bytes_at, write_bytes, Layer, ParseError};
use crate::flow::{Field, FlowKey};

/// Header without options.
pub const HEADER_LEN: usize = 20;
/// Header with the most options (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;

/// Flag bits of [`TcpPacket::flags`].
pub mod flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const NS: u16 = 0x100;
    /// The 12 bits below the data offset.
    pub const MASK: u16 = 0x0fff;
}

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    pub const OFF_FLAGS: usize = 12;
    pub const WINDOW: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
}

/// A checked view of a TCP header (with options) at the front of a buffer.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Checks the 20 fixed bytes are present (`Truncated`), the data offset
    /// is at least 5 (`Malformed`) and the options are present
    /// (`Truncated`).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let Some(h) = array_ref::<HEADER_LEN>(b) else {
            return Err(ParseError::Truncated(Layer::Tcp));
        };
        let header_len = usize::from(h[field::OFF_FLAGS] >> 4) * 4;
        if header_len < HEADER_LEN {
            return Err(ParseError::Malformed(Layer::Tcp));
        }
        if b.len() < header_len {
            return Err(ParseError::Truncated(Layer::Tcp));
        }
        Ok(TcpPacket { buffer })
    }

    /// The fixed 20 bytes. The zero fallback is unreachable after
    /// `new_checked`.
    #[inline]
    fn header(&self) -> &[u8; HEADER_LEN] {
        array_ref(self.buffer.as_ref()).unwrap_or(&[0; HEADER_LEN])
    }

    #[inline]
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_be_bytes(bytes_at(self.header(), at))
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }

    #[inline]
    pub fn seq_number(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::SEQ))
    }

    #[inline]
    pub fn ack_number(&self) -> u32 {
        u32::from_be_bytes(bytes_at(self.header(), field::ACK))
    }

    /// Data offset × 4.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.header()[field::OFF_FLAGS] >> 4) * 4
    }

    /// The 12 flag bits (see [`flags`]).
    #[inline]
    pub fn flags(&self) -> u16 {
        self.u16_at(field::OFF_FLAGS) & flags::MASK
    }

    #[inline]
    pub fn window(&self) -> u16 {
        self.u16_at(field::WINDOW)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }

    #[inline]
    pub fn urgent(&self) -> u16 {
        self.u16_at(field::URGENT)
    }

    #[inline]
    pub fn options(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..self.header_len())
            .unwrap_or(&[])
    }

    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(self.header_len()..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A TCP header's contents (the checksum is kept as found, not computed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq_number: u32,
    pub ack_number: u32,
    pub flags: u16,
    pub window: u16,
    pub checksum: u16,
    pub urgent: u16,
    /// Option bytes; a multiple of 4, at most 40.
    pub options: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    pub fn parse<T: AsRef<[u8]>>(p: &'a TcpPacket<T>) -> Self {
        TcpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq_number: p.seq_number(),
            ack_number: p.ack_number(),
            flags: p.flags(),
            window: p.window(),
            checksum: p.checksum(),
            urgent: p.urgent(),
            options: p.options(),
        }
    }

    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header at the front of `buf`. `None` when `buf` is too
    /// short or the options are not a multiple of 4 bytes up to 40.
    pub fn emit(&self, buf: &mut [u8]) -> Option<usize> {
        let len = self.header_len();
        if !self.options.len().is_multiple_of(4) || len > MAX_HEADER_LEN {
            return None;
        }
        write_bytes(buf.get_mut(HEADER_LEN..len)?, self.options)?;
        let h = array_mut::<HEADER_LEN>(buf)?;
        let off_flags = (((len / 4) as u16) << 12) | (self.flags & flags::MASK);
        let words: [&[u8]; 8] = [
            &self.src_port.to_be_bytes(),
            &self.dst_port.to_be_bytes(),
            &self.seq_number.to_be_bytes(),
            &self.ack_number.to_be_bytes(),
            &off_flags.to_be_bytes(),
            &self.window.to_be_bytes(),
            &self.checksum.to_be_bytes(),
            &self.urgent.to_be_bytes(),
        ];
        for (d, s) in h.iter_mut().zip(words.iter().flat_map(|w| w.iter())) {
            *d = *s;
        }
        Some(len)
    }
}

/// Fills `TcpSrc`, `TcpDst` and `TcpFlags`.
#[inline]
pub(super) fn extract(buf: &[u8], key: &mut FlowKey) -> Result<(), ParseError> {
    let p = TcpPacket::new_checked(buf)?;
    key.set(Field::TcpSrc, u128::from(p.src_port()));
    key.set(Field::TcpDst, u128::from(p.dst_port()));
    key.set(Field::TcpFlags, u128::from(p.flags()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{self as td, hex};
    use super::*;

    #[test]
    fn accessors_on_golden_header() {
        // TCP(sport=49152, dport=80, flags="SAN", seq=1, ack=2, options=[("MSS", 1460)])/Raw(b"hello")
        let pkt = hex(td::TCP4);
        let p = TcpPacket::new_checked(&pkt[34..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (49152, 80));
        assert_eq!((p.seq_number(), p.ack_number()), (1, 2));
        assert_eq!(p.flags(), flags::SYN | flags::ACK | flags::NS);
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.options(), &[2, 4, 0x05, 0xb4]);
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.window(), 8192);
        assert_eq!(p.urgent(), 0);
    }

    #[test]
    fn new_checked_errors() {
        let pkt = hex(td::TCP4);
        let tcp = &pkt[34..];
        for n in 0..24 {
            assert_eq!(
                TcpPacket::new_checked(&tcp[..n]).unwrap_err(),
                ParseError::Truncated(Layer::Tcp),
                "{n} bytes"
            );
        }
        for doff in 0..5u8 {
            let mut bad = tcp.to_vec();
            bad[12] = (doff << 4) | (bad[12] & 0x0f);
            assert_eq!(
                TcpPacket::new_checked(&bad[..]).unwrap_err(),
                ParseError::Malformed(Layer::Tcp)
            );
        }
        let mut long = tcp.to_vec();
        long[12] = 0xf0;
        assert_eq!(
            TcpPacket::new_checked(&long[..]).unwrap_err(),
            ParseError::Truncated(Layer::Tcp)
        );
    }

    #[test]
    fn repr_round_trips_golden_headers() {
        for (h, ofs) in [
            (td::TCP4, 34),
            (td::TCP6, 54),
            (td::IPV4_OPTIONS, 42),
            (td::VLAN2, 42),
        ] {
            let pkt = hex(h);
            let p = TcpPacket::new_checked(&pkt[ofs..]).unwrap();
            let repr = TcpRepr::parse(&p);
            let mut out = [0u8; MAX_HEADER_LEN];
            let n = repr.emit(&mut out).unwrap();
            assert_eq!(n, p.header_len());
            assert_eq!(out[..n], pkt[ofs..ofs + n], "{h}");
            assert_eq!(repr.emit(&mut out[..n - 1]), None);
        }
    }
}
