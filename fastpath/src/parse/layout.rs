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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketLayout {
    /// Offset of the network header (after all VLAN tags); valid when
    /// `l3 != L3Kind::None`.
    pub l3_ofs: u16,
    pub l3: L3Kind,
    /// Offset of the transport header; valid when `l4_proto != 0` and the
    /// packet is not a later fragment.
    pub l4_ofs: u16,
    /// IP protocol number of the transport header (0: none parsed).
    pub l4_proto: u8,
    /// VLAN tags between the Ethernet addresses and the ethertype.
    pub vlan_tags: u8,
}
