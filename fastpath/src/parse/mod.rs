//! Packet parsing into a [`FlowKey`], smoltcp-style: each header has a
//! checked view over bytes; after one length check no accessor can panic
//! or read out of bounds. A malformed or truncated packet yields a key of
//! what could be parsed and a [`ParseError`] to count; never a panic.
//!
//! One file per header: [`ethernet`] (with VLAN tags), [`arp`], [`ipv4`],
//! [`ipv6`] (with extension headers), [`tcp`], [`udp`], [`sctp`],
//! [`icmp`] (v4) and [`icmpv6`] (with ND options). Each has a view type
//! with `new_checked`, accessors, a `Repr` with `parse`/`emit`, and the
//! `extract` function the driver below ([`parse`]) calls.
//!
//! # What the key gets
//! Values are right-aligned host-order integers (see [`Field`]). Fields
//! are set only when their OpenFlow prerequisites hold (TCP ports only with
//! `ip_proto` 6 over IPv4/IPv6, and so on), and only from complete
//! headers: a header cut short or malformed contributes no fields, and
//! parsing stops there. Conventions not spelled out in [`Field`]:
//! - VLAN: see [`ethernet`] (`vlan_vid`/`vlan_pcp` = outermost tag,
//!   `vlan_outer_tci` = the inner tag of a double-tagged frame).
//! - 802.3 frames: `eth_type` 0x05ff, nothing more.
//! - Fragments: `ip_frag` bit 0 = fragment, bit 1 = not the first. A later
//!   fragment has no L4 fields. A first fragment too short for its
//!   transport header is not an error (that header continues in the next
//!   fragment); its L4 fields stay 0.
//!
//! # Errors
//! - `Truncated(layer)`: the buffer ends inside that header, or (for
//!   `Ipv4`/`Ipv6`) before the end the IP length field gives, although
//!   every header parsed: then all fields are set and the error only says
//!   the datagram is incomplete.
//! - `Malformed(layer)`: the header contradicts itself or does not fit in
//!   the datagram its IP header describes (a TCP data offset beyond the IP
//!   total length, an ND option of length 0, a non-Ethernet/IPv4 ARP, ...).
//! - A third VLAN tag is neither: see [`is_unsupported`].
pub mod arp;
pub mod ethernet;
mod fast;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
mod layout;
pub mod sctp;
pub mod tcp;
pub mod udp;

#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;

pub use layout::{L3Kind, PacketLayout};

use crate::flow::{Field, FlowKey};
use ethernet::ethertype;

/// Per-packet metadata copied into the key; every other metadata field
/// and register starts at 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketMeta {
    pub in_port: u32,
    pub tun_id: u64,
    pub tun_src: u32,
    pub tun_dst: u32,
}

/// The header a [`ParseError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Layer {
    Ethernet,
    Vlan,
    Arp,
    Ipv4,
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Ext,
    Tcp,
    Udp,
    Sctp,
    Icmpv4,
    Icmpv6,
}

impl Layer {
    /// Every layer, in declaration order (`ALL[l as usize] == l`), e.g. to
    /// index per-layer error counters.
    pub const ALL: [Layer; 11] = [
        Layer::Ethernet,
        Layer::Vlan,
        Layer::Arp,
        Layer::Ipv4,
        Layer::Ipv6,
        Layer::Ipv6Ext,
        Layer::Tcp,
        Layer::Udp,
        Layer::Sctp,
        Layer::Icmpv4,
        Layer::Icmpv6,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Layer::Ethernet => "ethernet",
            Layer::Vlan => "vlan",
            Layer::Arp => "arp",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Ipv6Ext => "ipv6 extension",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Sctp => "sctp",
            Layer::Icmpv4 => "icmp",
            Layer::Icmpv6 => "icmpv6",
        }
    }
}

/// Why a packet's parse stopped early (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The packet ends inside this header (or, for IP, before the
    /// datagram's stated end).
    Truncated(Layer),
    /// This header's contents are invalid.
    Malformed(Layer),
}

impl ParseError {
    pub const fn layer(self) -> Layer {
        match self {
            ParseError::Truncated(l) | ParseError::Malformed(l) => l,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Truncated(l) => write!(f, "truncated {} header", l.name()),
            ParseError::Malformed(l) => write!(f, "malformed {} header", l.name()),
        }
    }
}

impl std::error::Error for ParseError {}

/// IP protocol numbers the parser knows.
pub mod ip_proto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const SCTP: u8 = 132;
}

/// Bits of the `ip_frag` field.
pub mod ip_frag {
    /// The packet is a fragment.
    pub const ANY: u8 = 1;
    /// ... and not the first one.
    pub const LATER: u8 = 2;
}

/// Longest packet parsed: an mbuf segment holds at most 64 KiB, and so
/// every header offset fits [`PacketLayout`]'s `u16`s.
const MAX_PACKET: usize = u16::MAX as usize;

/// Parses `pkt` (starting at the Ethernet header) into `key`.
///
/// `key` is zeroed, `meta` copied in, then every field of every complete
/// header set. Returns the header offsets and `Ok` or, when parsing stopped
/// early, why (the key and layout then hold what came before). Never
/// panics or allocates. Bytes past 65535 are ignored.
///
/// The common case (`fast.rs`) is inlined into the caller, so its results
/// stay in registers; everything else is one call away.
#[inline(always)]
pub fn parse(
    pkt: &[u8],
    meta: &PacketMeta,
    key: &mut FlowKey,
) -> (PacketLayout, Result<(), ParseError>) {
    let mut layout = PacketLayout::default();
    let res = parse_into(pkt, meta, key, &mut layout);
    (layout, res)
}

/// [`parse`], writing the layout in place: the PMD parses a burst into an
/// array, and a layout built on the stack and copied there would be
/// reloaded before its field stores retire (a store-forwarding stall).
#[inline(always)]
pub fn parse_into(
    pkt: &[u8],
    meta: &PacketMeta,
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> Result<(), ParseError> {
    if fast::parse_ipv4_l4(pkt, meta, key, layout) {
        return Ok(());
    }
    parse_general(pkt, meta, key, layout)
}

/// Whether `pkt` parses exactly as `prev` did into `prev_layout` (same key,
/// layout and result), judged by comparing the header bytes of an
/// untagged IPv4 UDP or TCP packet (see `fast::same_l4_flow`): packets of
/// one flow in a row need not be parsed one by one.
#[inline(always)]
pub fn same_flow(prev: &[u8], prev_layout: &PacketLayout, pkt: &[u8]) -> bool {
    fast::same_l4_flow(prev, prev_layout, pkt)
}

/// Whether [`parse_into`] would accept `pkt`, for a packet whose megaflow
/// is known without its key. The common case is only checked; anything
/// else is parsed into `key` and `layout` (scratch space).
#[inline(always)]
pub fn is_valid(
    pkt: &[u8],
    meta: &PacketMeta,
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> bool {
    fast::is_ipv4_l4(pkt) || parse_general(pkt, meta, key, layout).is_ok()
}

#[inline(never)]
fn parse_general(
    pkt: &[u8],
    meta: &PacketMeta,
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> Result<(), ParseError> {
    *key = FlowKey::ZERO;
    key.set(Field::InPort, u128::from(meta.in_port));
    if meta.tun_id != 0 || meta.tun_src != 0 || meta.tun_dst != 0 {
        key.set(Field::TunnelId, u128::from(meta.tun_id));
        key.set(Field::TunIpv4Src, u128::from(meta.tun_src));
        key.set(Field::TunIpv4Dst, u128::from(meta.tun_dst));
    }
    let pkt = pkt.get(..MAX_PACKET).unwrap_or(pkt);
    *layout = PacketLayout::default();
    parse_frame(pkt, key, layout)
}

#[inline]
fn parse_frame(pkt: &[u8], key: &mut FlowKey, layout: &mut PacketLayout) -> Result<(), ParseError> {
    let l2 = ethernet::extract(pkt, key, layout)?;
    layout.l3_ofs = ofs16(l2.l3_ofs);
    let l3 = pkt.get(l2.l3_ofs..).unwrap_or(&[]);
    match l2.ethertype {
        ethertype::ARP => {
            arp::extract(l3, key)?;
            layout.l3 = L3Kind::Arp;
            Ok(())
        }
        ethertype::IPV4 => {
            let ip = ipv4::extract(l3, key)?;
            layout.l3 = L3Kind::Ipv4;
            parse_transport(l3, l2.l3_ofs, ip, key, layout)
        }
        ethertype::IPV6 => {
            let mut ip = ipv6::extract(l3, key)?;
            layout.l3 = L3Kind::Ipv6;
            let datagram = l3.get(..ip.end).unwrap_or(l3);
            ipv6::walk_ext(datagram, &mut ip, key).map_err(|e| ip.classify(e))?;
            parse_transport(l3, l2.l3_ofs, ip, key, layout)
        }
        _ => Ok(()),
    }
}

/// Whether the parse of the packet that produced `key` stopped at a header
/// the parser does not handle: a third VLAN tag (`eth_type` is then that
/// tag's TPID, which it can be in no other case). Not a [`ParseError`]:
/// the key holds everything before it; count it apart from errors.
#[inline]
pub fn is_unsupported(key: &FlowKey) -> bool {
    u16::try_from(key.get(Field::EthType)).is_ok_and(ethernet::is_vlan_tpid)
}

/// What an IP header says about the rest of the datagram. Offsets are
/// relative to the network header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpInfo {
    /// `Ipv4` or `Ipv6`.
    pub layer: Layer,
    /// The (next) protocol: after IPv6's extension headers, the final one.
    pub proto: u8,
    /// Start of `proto`'s header.
    pub l4_ofs: usize,
    /// End of the datagram's bytes in the buffer: the smaller of the IP
    /// length and the buffer's.
    pub end: usize,
    /// Whether the buffer holds the whole datagram.
    pub complete: bool,
    pub fragment: bool,
    /// A fragment other than the first: no transport header.
    pub later_fragment: bool,
}

impl IpInfo {
    /// A header inside the datagram that does not fit: cut short if the
    /// buffer ended early, otherwise the header is wrong.
    #[inline]
    fn classify(&self, e: ParseError) -> ParseError {
        match e {
            ParseError::Truncated(l) if self.complete => ParseError::Malformed(l),
            e => e,
        }
    }
}

/// Parses the transport header of an IP datagram whose network header,
/// `l3` (to the buffer's end), starts at `l3_ofs` in the packet.
#[inline]
fn parse_transport(
    l3: &[u8],
    l3_ofs: usize,
    ip: IpInfo,
    key: &mut FlowKey,
    layout: &mut PacketLayout,
) -> Result<(), ParseError> {
    layout.l4_proto = ip.proto;
    layout.l4_ofs = ofs16(l3_ofs + ip.l4_ofs);
    if !ip.later_fragment {
        let l4 = l3.get(ip.l4_ofs..ip.end).unwrap_or(&[]);
        let v6 = ip.layer == Layer::Ipv6;
        let res = match ip.proto {
            ip_proto::TCP => tcp::extract(l4, key),
            ip_proto::UDP => udp::extract(l4, key),
            ip_proto::SCTP => sctp::extract(l4, key),
            ip_proto::ICMP if !v6 => icmp::extract(l4, key),
            ip_proto::ICMPV6 if v6 => icmpv6::extract(l4, key),
            _ => Ok(()),
        };
        match res {
            Ok(()) => {}
            // The transport header continues in the next fragment.
            Err(ParseError::Truncated(_)) if ip.fragment && ip.complete => {}
            Err(e) => return Err(ip.classify(e)),
        }
    }
    if ip.complete {
        Ok(())
    } else {
        Err(ParseError::Truncated(ip.layer))
    }
}

/// `ofs` as a layout offset; offsets are below [`MAX_PACKET`], so the
/// fallback is unreachable.
#[inline(always)]
fn ofs16(ofs: usize) -> u16 {
    u16::try_from(ofs).unwrap_or(u16::MAX)
}

/// The first `N` bytes of `b` as an array, if `b` has that many.
#[inline(always)]
pub(crate) fn array_ref<const N: usize>(b: &[u8]) -> Option<&[u8; N]> {
    b.get(..N)?.try_into().ok()
}

/// The first `N` bytes of `b` as a mutable array, if `b` has that many.
#[inline(always)]
pub(crate) fn array_mut<const N: usize>(b: &mut [u8]) -> Option<&mut [u8; N]> {
    b.get_mut(..N)?.try_into().ok()
}

/// `M` bytes of `b` from `at`. Callers pass constant offsets inside a
/// fixed-size header array, so all bytes exist; bytes past the end would
/// read as 0 rather than panic.
#[inline(always)]
pub(crate) fn bytes_at<const M: usize>(b: &[u8], at: usize) -> [u8; M] {
    let mut out = [0u8; M];
    for (o, v) in out.iter_mut().zip(b.iter().skip(at)) {
        *o = *v;
    }
    out
}

/// Copies `src` to the front of `dst`; `None` (copying nothing) if `dst`
/// is shorter.
#[inline]
pub(crate) fn write_bytes(dst: &mut [u8], src: &[u8]) -> Option<()> {
    if dst.len() < src.len() {
        return None;
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    Some(())
}

/// A MAC address as the 48-bit big-endian integer the flow key stores.
#[inline(always)]
pub(crate) fn mac_to_u64(mac: [u8; 6]) -> u64 {
    mac.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}
