//! Where the headers of a parsed packet start; produced by the parser and
//! kept up to date by the action executor as it pushes and pops headers.

/// The network-layer protocol found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L3Kind {
    #[default]
    None,
    Ipv4,
    Ipv6,
    Arp,
}

/// Header offsets within the packet's bytes.
///
/// The parser sets a layer's entries only once that layer's header has
/// been checked and its flow-key fields filled: `l3` is `Ipv4`/`Ipv6`/`Arp`
/// exactly when the key has that header's fields, so the whole network
/// header (IPv4 options included; IPv6's 40 fixed bytes; ARP's 28) is
/// within the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketLayout {
    /// Offset of the network header (after all VLAN tags); valid when
    /// `l3 != L3Kind::None`. The parser also sets it, to the end of the
    /// Ethernet header and the tags it parsed, whenever those were
    /// complete, even when no network header follows.
    pub l3_ofs: u16,
    pub l3: L3Kind,
    /// Offset of the transport header; valid when `l4_proto != 0` and the
    /// packet is not a later fragment. It is after the IPv4 options or the
    /// IPv6 extension headers. The transport header itself may be cut
    /// short (the parse result then names it): check lengths before
    /// writing to it.
    pub l4_ofs: u16,
    /// IP protocol number of the transport header (0: none parsed). Set
    /// with `l4_ofs` once the IP header (and IPv6 extension headers) is
    /// parsed; equal to the key's `ip_proto`. For a later fragment it is
    /// the fragment's protocol and `l4_ofs` points at fragment data.
    pub l4_proto: u8,
    /// VLAN tags between the Ethernet addresses and the ethertype (the
    /// parser walks at most 2; see [`super::is_unsupported`]).
    pub vlan_tags: u8,
}
