//! Match fields in ovs-fields(7) syntax: names and aliases, value syntax
//! per field (numbers, Ethernet/IPv4/IPv6 addresses, ports, fragment and
//! TCP flag keywords), masks, shorthands (`ip`, `tcp6`, ...) and OpenFlow
//! 1.3 prerequisites.
//!
//! A match is built in two steps: every `key=value` becomes an entry (in
//! input order, with its offsets); `finish` then resolves the names whose
//! meaning depends on the protocol (`tp_src`, `nw_src`, `icmp_type`,
//! `nw_proto`), rejects duplicates and contradictions, and checks each
//! field's prerequisites against the whole match, so field order does not
//! matter, as in ovs-ofctl. Value syntax is in `values.rs`.
use fastpath::flow::{Field, FlowKey, Prereq};

use super::lexer::{err, Delim, PResult, Pair, Tok};
use super::values::check_bits;
pub(crate) use super::values::{
    bits_phrase, is_number, parse_field_masked, parse_field_value, parse_mac, parse_port,
    parse_uint, parse_uint_bits, FRAGS, TCP_FLAG_NAMES,
};
use super::PortNames;
use crate::ofp::PortNo;
use crate::pipeline::FlowMatch;

pub(crate) const ETH_IP: u16 = 0x0800;
pub(crate) const ETH_IPV6: u16 = 0x86dd;
pub(crate) const ETH_ARP: u16 = 0x0806;
pub(crate) const ETH_RARP: u16 = 0x8035;
pub(crate) const ETH_MPLS: u16 = 0x8847;
pub(crate) const ETH_MPLS_MCAST: u16 = 0x8848;
/// OFPVID_PRESENT.
pub(crate) const VID_PRESENT: u128 = 0x1000;
/// OVS's fragment bits (FLOW_NW_FRAG_ANY / FLOW_NW_FRAG_LATER).
pub(crate) const FRAG_ANY: u128 = 1;
pub(crate) const FRAG_LATER: u128 = 2;

/// How a field's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Port,
    /// Printed in decimal.
    Dec,
    /// Printed as `0x...` (zero as `0`).
    Hex,
    /// eth_type: `0x%04x`.
    EthType,
    /// ipv6_label: `0x%05x`.
    Label,
    Mac,
    Ipv4,
    Ipv6,
    Frag,
    TcpFlags,
}

pub(crate) fn syntax(f: Field) -> Syntax {
    use Field::*;
    match f {
        InPort => Syntax::Port,
        Metadata | Reg0 | Reg1 | Reg2 | Reg3 | Reg4 | Reg5 | Reg6 | Reg7 | TunnelId
        | VlanOuterTci => Syntax::Hex,
        TunIpv4Src | TunIpv4Dst | Ipv4Src | Ipv4Dst | ArpSpa | ArpTpa => Syntax::Ipv4,
        EthDst | EthSrc | ArpSha | ArpTha | Ipv6NdSll | Ipv6NdTll => Syntax::Mac,
        EthType => Syntax::EthType,
        Ipv6Label => Syntax::Label,
        Ipv6Src | Ipv6Dst | Ipv6NdTarget => Syntax::Ipv6,
        IpFrag => Syntax::Frag,
        TcpFlags => Syntax::TcpFlags,
        VlanVid | VlanPcp | IpDscp | IpEcn | IpProto | NwTtl | TcpSrc | TcpDst | UdpSrc
        | UdpDst | SctpSrc | SctpDst | Icmpv4Type | Icmpv4Code | ArpOp | Icmpv6Type
        | Icmpv6Code => Syntax::Dec,
    }
}

/// ovs-ofctl's name for a field when it prints `set_field:V->NAME`.
pub(crate) fn ovs_name(f: Field) -> &'static str {
    match f {
        Field::Ipv4Src => "ip_src",
        Field::Ipv4Dst => "ip_dst",
        Field::IpEcn => "nw_ecn",
        Field::IpProto => "nw_proto",
        _ => f.name(),
    }
}

/// What a key in a match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Field(Field),
    /// `nw_src`/`ip_src`: IPv4 source, or ARP SPA for arp/rarp.
    NwSrc,
    NwDst,
    /// `nw_proto`/`ip_proto`: IP protocol, or ARP opcode for arp/rarp.
    NwProto,
    /// `tp_src`: TCP/UDP/SCTP port, or ICMP type, by ip_proto.
    TpSrc,
    TpDst,
    /// `icmp_type`: ICMPv4 type, or ICMPv6 type for IPv6.
    IcmpType,
    IcmpCode,
    /// 12-bit VID (0xffff: no tag).
    DlVlan,
    /// Whole 16-bit TCI.
    VlanTci,
    /// `dl_vlan_pcp`/`vlan_pcp`: the PCP, which implies a tag.
    VlanPcp,
    /// The ToS byte; its DSCP bits.
    NwTos,
    /// `ip`, `tcp`, ...: eth_type and maybe ip_proto.
    Shorthand(u16, Option<u8>),
}

/// Shorthands and what they stand for.
pub(crate) const SHORTHANDS: &[(&str, u16, Option<u8>)] = &[
    ("ip", ETH_IP, None),
    ("ipv6", ETH_IPV6, None),
    ("arp", ETH_ARP, None),
    ("rarp", ETH_RARP, None),
    ("mpls", ETH_MPLS, None),
    ("mplsm", ETH_MPLS_MCAST, None),
    ("icmp", ETH_IP, Some(1)),
    ("tcp", ETH_IP, Some(6)),
    ("udp", ETH_IP, Some(17)),
    ("sctp", ETH_IP, Some(132)),
    ("icmp6", ETH_IPV6, Some(58)),
    ("tcp6", ETH_IPV6, Some(6)),
    ("udp6", ETH_IPV6, Some(17)),
    ("sctp6", ETH_IPV6, Some(132)),
];

/// Looks up a match key (case-sensitive, as in ovs-ofctl).
pub(crate) fn lookup(name: &str) -> Option<Key> {
    use Field as F;
    if let Some(&(_, eth, proto)) = SHORTHANDS.iter().find(|s| s.0 == name) {
        return Some(Key::Shorthand(eth, proto));
    }
    let f = match name {
        "in_port" => F::InPort,
        "metadata" => F::Metadata,
        "tun_id" | "tunnel_id" => F::TunnelId,
        "tun_src" | "tun_ipv4_src" => F::TunIpv4Src,
        "tun_dst" | "tun_ipv4_dst" => F::TunIpv4Dst,
        "dl_src" | "eth_src" => F::EthSrc,
        "dl_dst" | "eth_dst" => F::EthDst,
        "dl_type" | "eth_type" => F::EthType,
        "vlan_vid" => F::VlanVid,
        "ip_dscp" => F::IpDscp,
        "nw_ecn" | "ip_ecn" => F::IpEcn,
        "nw_ttl" => F::NwTtl,
        "ip_frag" | "nw_frag" => F::IpFrag,
        "ipv4_src" => F::Ipv4Src,
        "ipv4_dst" => F::Ipv4Dst,
        "icmpv4_type" => F::Icmpv4Type,
        "icmpv4_code" => F::Icmpv4Code,
        "nw_src" | "ip_src" => return Some(Key::NwSrc),
        "nw_dst" | "ip_dst" => return Some(Key::NwDst),
        "nw_proto" | "ip_proto" => return Some(Key::NwProto),
        "tp_src" => return Some(Key::TpSrc),
        "tp_dst" => return Some(Key::TpDst),
        "icmp_type" => return Some(Key::IcmpType),
        "icmp_code" => return Some(Key::IcmpCode),
        "dl_vlan" => return Some(Key::DlVlan),
        "vlan_tci" => return Some(Key::VlanTci),
        "dl_vlan_pcp" | "vlan_pcp" => return Some(Key::VlanPcp),
        "nw_tos" => return Some(Key::NwTos),
        // reg0..reg7, tcp_src, arp_spa, ipv6_src, nd_target, ...: the
        // catalogue's own names.
        _ => {
            fastpath::flow::FIELDS
                .iter()
                .find(|d| d.name == name)?
                .field
        }
    };
    Some(Key::Field(f))
}

// ---------------------------------------------------------------------
// Prerequisites.

/// What the match (and, for actions, the actions so far) guarantee about
/// a packet's protocols.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FlowState {
    pub eth_type: Option<u16>,
    pub ip_proto: Option<u8>,
    pub icmpv6_type: Option<u8>,
    pub vlan: bool,
}

fn exact(m: &FlowMatch, f: Field) -> Option<u128> {
    m.get(f)
        .filter(|&(_, mask)| mask == f.max_value())
        .map(|(v, _)| v)
}

impl FlowState {
    pub fn from_match(m: &FlowMatch) -> Self {
        let eth_type = exact(m, Field::EthType).map(|v| v as u16);
        let is_ip = matches!(eth_type, Some(ETH_IP | ETH_IPV6));
        let ip_proto = exact(m, Field::IpProto).filter(|_| is_ip).map(|v| v as u8);
        let icmpv6_type = exact(m, Field::Icmpv6Type)
            .filter(|_| eth_type == Some(ETH_IPV6) && ip_proto == Some(58))
            .map(|v| v as u8);
        let vlan = m
            .get(Field::VlanVid)
            .is_some_and(|(v, mask)| v & mask & VID_PRESENT != 0);
        FlowState {
            eth_type,
            ip_proto,
            icmpv6_type,
            vlan,
        }
    }

    pub fn is_ip(&self) -> bool {
        matches!(self.eth_type, Some(ETH_IP | ETH_IPV6))
    }

    pub fn is_mpls(&self) -> bool {
        matches!(self.eth_type, Some(ETH_MPLS | ETH_MPLS_MCAST))
    }

    pub fn satisfies(&self, p: Prereq) -> bool {
        match p {
            Prereq::None => true,
            Prereq::Vlan => self.vlan,
            // As in ovs-ofctl, the ARP fields also apply to RARP.
            Prereq::EthType(t) => {
                self.eth_type == Some(t) || (t == ETH_ARP && self.eth_type == Some(ETH_RARP))
            }
            Prereq::Ip => self.is_ip(),
            Prereq::IpProto(p) => self.is_ip() && self.ip_proto == Some(p),
            Prereq::EthProto(t, p) => self.eth_type == Some(t) && self.ip_proto == Some(p),
            Prereq::Icmpv6Type(types) => {
                self.eth_type == Some(ETH_IPV6)
                    && self.ip_proto == Some(58)
                    && self.icmpv6_type.is_some_and(|t| types.contains(&t))
            }
        }
    }
}

fn proto_shorthand(eth: u16, p: u8) -> Option<&'static str> {
    SHORTHANDS
        .iter()
        .find(|s| s.1 == eth && s.2 == Some(p))
        .map(|s| s.0)
}

/// "requires WHAT (add HOW)" for a prerequisite.
pub(crate) fn requirement(p: Prereq) -> (String, String) {
    match p {
        Prereq::None => (String::new(), String::new()),
        Prereq::Vlan => (
            "a VLAN tag".into(),
            "dl_vlan=VID or vlan_tci=0x1000/0x1000".into(),
        ),
        Prereq::EthType(t) => {
            let sh = SHORTHANDS
                .iter()
                .find(|s| s.1 == t && s.2.is_none())
                .map_or_else(|| format!("dl_type=0x{t:04x}"), |s| format!("'{}'", s.0));
            (format!("eth_type=0x{t:04x}"), sh)
        }
        Prereq::Ip => ("eth_type=0x0800 or 0x86dd".into(), "'ip' or 'ipv6'".into()),
        Prereq::IpProto(p) => {
            let sh = proto_shorthand(ETH_IP, p)
                .map_or_else(|| format!("'ip,nw_proto={p}'"), |s| format!("'{s}'"));
            (format!("ip_proto={p}"), sh)
        }
        Prereq::EthProto(t, p) => {
            let sh = proto_shorthand(t, p).map_or_else(
                || format!("dl_type=0x{t:04x},nw_proto={p}"),
                |s| format!("'{s}'"),
            );
            (format!("eth_type=0x{t:04x} and ip_proto={p}"), sh)
        }
        Prereq::Icmpv6Type(types) => {
            let list: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            (
                format!("icmpv6_type={}", list.join(" or ")),
                format!(
                    "'icmp6,icmp_type={}'",
                    types.first().copied().unwrap_or(135)
                ),
            )
        }
    }
}

// ---------------------------------------------------------------------
// Building a match.

#[derive(Debug, Clone)]
struct Entry<'a> {
    key: Key,
    /// Set once resolved.
    field: Option<Field>,
    value: u128,
    mask: u128,
    /// The key as written, and the value.
    name: Tok<'a>,
    val: Tok<'a>,
    /// Written by the user (not implied by a shorthand or by a PCP).
    explicit: bool,
}

impl Entry<'_> {
    fn shown(&self) -> String {
        match self.key {
            Key::Shorthand(..) => format!("'{}'", self.name.text),
            _ => format!("{}={}", self.name.text, self.val.text),
        }
    }
}

/// Accumulates `key=value` pairs into a [`FlowMatch`].
pub(crate) struct MatchBuilder<'a, 'n> {
    names: &'n dyn PortNames,
    entries: Vec<Entry<'a>>,
    /// Parsing a packet: only exact values.
    packet: bool,
}

impl<'a, 'n> MatchBuilder<'a, 'n> {
    pub fn new(names: &'n dyn PortNames, packet: bool) -> Self {
        MatchBuilder {
            names,
            entries: Vec::new(),
            packet,
        }
    }

    fn push(
        &mut self,
        key: Key,
        field: Option<Field>,
        vm: (u128, u128),
        p: &Pair<'a>,
        explicit: bool,
    ) {
        self.entries.push(Entry {
            key,
            field,
            value: vm.0,
            mask: vm.1,
            name: p.key,
            val: p.value,
            explicit,
        });
    }

    /// Adds one pair. `Ok(false)`: the key is not a match field.
    pub fn add(&mut self, p: &Pair<'a>) -> PResult<bool> {
        let name = p.key.text;
        let Some(key) = lookup(name) else {
            return Ok(false);
        };
        if let Key::Shorthand(eth, proto) = key {
            if p.has_value() {
                return err(
                    p.key.pos,
                    format!(
                        "{name} takes no value (it is shorthand for {})",
                        shorthand_meaning(eth, proto)
                    ),
                );
            }
            self.push(
                key,
                Some(Field::EthType),
                (u128::from(eth), 0xffff),
                p,
                false,
            );
            if let Some(proto) = proto {
                self.push(
                    key,
                    Some(Field::IpProto),
                    (u128::from(proto), 0xff),
                    p,
                    false,
                );
            }
            return Ok(true);
        }
        match p.delim {
            Delim::Eq => {}
            Delim::None => {
                return err(
                    p.key.pos,
                    format!("expected a value for {name} ({name}=VALUE)"),
                )
            }
            Delim::Paren => return err(p.value.pos - 1, format!("expected '=' after {name}")),
        }
        let after = format!("{name}=");
        let v = p.value;
        let names = self.names;
        match key {
            Key::Field(f) => {
                let vm = parse_field_masked(f, v, name, &after, names)?;
                if f == Field::InPort && vm.0 == u128::from(PortNo::ANY.0) {
                    return err(
                        v.pos,
                        format!("{name}={} is not a port a packet can arrive on", v.text),
                    );
                }
                self.push(key, Some(f), vm, p, true);
            }
            Key::NwSrc | Key::NwDst => {
                let vm = parse_field_masked(Field::Ipv4Src, v, name, &after, names)?;
                self.push(key, None, vm, p, true);
            }
            Key::NwProto => {
                let vm = parse_field_masked(Field::IpProto, v, name, &after, names)?;
                self.push(key, None, vm, p, true);
            }
            Key::TpSrc | Key::TpDst => {
                let vm = parse_field_masked(Field::TcpSrc, v, name, &after, names)?;
                self.push(key, None, vm, p, true);
            }
            Key::IcmpType | Key::IcmpCode => {
                let vm = parse_field_masked(Field::Icmpv4Type, v, name, &after, names)?;
                self.push(key, None, vm, p, true);
            }
            Key::DlVlan => {
                if let Some((_, mt)) = v.split_once("/") {
                    return err(mt.pos - 1, format!("{name} does not accept a mask"));
                }
                let vid = parse_uint(v, &after)?;
                let vm = match vid {
                    0xffff => (0, 0x1fff),
                    0..=0xfff => (vid | VID_PRESENT, 0x1fff),
                    _ => {
                        return err(
                            v.pos,
                            format!(
                                "{name} must be a 12-bit VLAN ID (0 to 4095) or 0xffff for no tag, found {}",
                                v.text
                            ),
                        )
                    }
                };
                self.push(key, Some(Field::VlanVid), vm, p, true);
            }
            Key::VlanPcp => {
                let vm = parse_field_masked(Field::VlanPcp, v, name, &after, names)?;
                self.push(key, Some(Field::VlanPcp), vm, p, true);
                // As in ovs-ofctl, matching a PCP implies that a tag is present.
                self.push(
                    key,
                    Some(Field::VlanVid),
                    (VID_PRESENT, VID_PRESENT),
                    p,
                    false,
                );
            }
            Key::VlanTci => {
                let (vt, mt) = match v.split_once("/") {
                    Some((a, b)) => (a, Some(b)),
                    None => (v, None),
                };
                let tci = parse_uint_bits(vt, &after, name, 16)?;
                let tmask = match mt {
                    Some(mt) => parse_uint_bits(mt, &format!("{after}{}/", vt.text), name, 16)?,
                    None => 0xffff,
                };
                let (vid, vid_mask) = (tci & 0x1fff, tmask & 0x1fff);
                let (pcp, pcp_mask) = (tci >> 13, tmask >> 13);
                if vid_mask != 0 {
                    self.push(key, Some(Field::VlanVid), (vid, vid_mask), p, true);
                }
                let untagged = vid_mask & VID_PRESENT != 0 && vid & VID_PRESENT == 0;
                if pcp_mask != 0 {
                    if untagged {
                        if pcp & pcp_mask != 0 {
                            return err(
                                v.pos,
                                format!(
                                    "{name}={} matches a priority (PCP) on packets without a VLAN tag",
                                    v.text
                                ),
                            );
                        }
                        // No tag: the PCP bits are zero anyway.
                    } else if pcp_mask != 7 {
                        return err(
                            mt.map_or(v.pos, |m| m.pos),
                            format!(
                                "{name}: the PCP bits (0xe000) must be all matched or all wildcarded; OpenFlow 1.3 cannot mask vlan_pcp"
                            ),
                        );
                    } else {
                        self.push(key, Some(Field::VlanPcp), (pcp, 7), p, true);
                    }
                }
            }
            Key::NwTos => {
                if let Some((_, mt)) = v.split_once("/") {
                    return err(mt.pos - 1, format!("{name} does not accept a mask"));
                }
                // As in ovs-ofctl, the ECN bits of the ToS byte are ignored.
                let tos = parse_uint_bits(v, &after, name, 8)?;
                self.push(key, Some(Field::IpDscp), (tos >> 2, 0x3f), p, true);
            }
            Key::Shorthand(..) => unreachable!("handled above"),
        }
        Ok(true)
    }

    /// Resolves, merges and checks the entries.
    pub fn finish(mut self) -> PResult<FlowMatch> {
        // The protocols, for resolving the protocol-dependent names.
        let first = |es: &[Entry<'_>], f: Field| {
            es.iter()
                .find(|e| e.field == Some(f) && e.mask == f.max_value())
                .map(|e| e.value)
        };
        let eth = first(&self.entries, Field::EthType).map(|v| v as u16);
        let arp = matches!(eth, Some(ETH_ARP | ETH_RARP));
        for e in &mut self.entries {
            e.field = match e.key {
                Key::NwProto => Some(if arp { Field::ArpOp } else { Field::IpProto }),
                Key::NwSrc => Some(if arp { Field::ArpSpa } else { Field::Ipv4Src }),
                Key::NwDst => Some(if arp { Field::ArpTpa } else { Field::Ipv4Dst }),
                _ => e.field,
            };
        }
        let proto = first(&self.entries, Field::IpProto).map(|v| v as u8);
        for e in &mut self.entries {
            let src = matches!(e.key, Key::TpSrc | Key::IcmpType);
            let f = match e.key {
                Key::TpSrc | Key::TpDst => match (eth, proto) {
                    (_, Some(6)) => {
                        if src {
                            Field::TcpSrc
                        } else {
                            Field::TcpDst
                        }
                    }
                    (_, Some(17)) => {
                        if src {
                            Field::UdpSrc
                        } else {
                            Field::UdpDst
                        }
                    }
                    (_, Some(132)) => {
                        if src {
                            Field::SctpSrc
                        } else {
                            Field::SctpDst
                        }
                    }
                    (Some(ETH_IP), Some(1)) => {
                        if src {
                            Field::Icmpv4Type
                        } else {
                            Field::Icmpv4Code
                        }
                    }
                    (Some(ETH_IPV6), Some(58)) => {
                        if src {
                            Field::Icmpv6Type
                        } else {
                            Field::Icmpv6Code
                        }
                    }
                    _ => {
                        return err(
                            e.name.pos,
                            format!(
                                "{} requires ip_proto=6, 17 or 132 (add 'tcp', 'udp' or 'sctp')",
                                e.name.text
                            ),
                        )
                    }
                },
                Key::IcmpType | Key::IcmpCode => match (eth, src) {
                    (Some(ETH_IPV6), true) => Field::Icmpv6Type,
                    (Some(ETH_IPV6), false) => Field::Icmpv6Code,
                    (_, true) => Field::Icmpv4Type,
                    (_, false) => Field::Icmpv4Code,
                },
                _ => continue,
            };
            // tp_src parsed as a 16-bit maskable port may land on an 8-bit
            // ICMP field.
            check_bits(e.val, e.value, e.name.text, u32::from(f.def().bits))?;
            if !f.def().maskable {
                if e.mask != f.max_value() && e.mask != 0xffff {
                    return err(
                        e.val.pos,
                        format!(
                            "{} does not accept a mask here ({} is not maskable)",
                            e.name.text,
                            f.name()
                        ),
                    );
                }
                e.mask = f.max_value();
            }
            e.field = Some(f);
        }

        // Merge, rejecting duplicates and contradictions.
        let mut merged: Vec<(Field, u128, u128, usize)> = Vec::new(); // field, value, mask, entry index
        for i in 0..self.entries.len() {
            let e = &self.entries[i];
            let f = e.field.expect("resolved");
            let value = e.value & e.mask;
            let mut slot = None;
            for (j, &(g, gv, gm, gi)) in merged.iter().enumerate() {
                if !f.def().shares_storage_with(g.def()) {
                    continue;
                }
                let prev = &self.entries[gi];
                if e.explicit && prev.explicit {
                    let msg = if prev.name.text == e.name.text {
                        format!("{} is given twice", e.name.text)
                    } else {
                        format!("{} duplicates {} given earlier", e.shown(), prev.shown())
                    };
                    return err(e.name.pos, msg);
                }
                if g != f || (value ^ gv) & e.mask & gm != 0 {
                    return err(
                        e.name.pos,
                        format!(
                            "{} conflicts with {} given earlier",
                            e.shown(),
                            prev.shown()
                        ),
                    );
                }
                slot = Some(j);
            }
            match slot {
                Some(j) => {
                    merged[j].1 |= value;
                    merged[j].2 |= e.mask;
                    if e.explicit {
                        merged[j].3 = i;
                    }
                }
                None => merged.push((f, value, e.mask, i)),
            }
        }
        let mut m = FlowMatch::ANY;
        for &(f, v, mask, _) in &merged {
            m.set(f, v, mask);
        }

        // Prerequisites, reported at the earliest offending field.
        let state = FlowState::from_match(&m);
        for e in &self.entries {
            let f = e.field.expect("resolved");
            let p = f.def().prereq;
            if !state.satisfies(p) {
                let (what, how) = requirement(p);
                return err(
                    e.name.pos,
                    format!("{} requires {what} (add {how})", e.name.text),
                );
            }
        }
        if self.packet {
            for e in self.entries.iter().filter(|e| e.explicit) {
                let f = e.field.expect("resolved");
                let full = match f {
                    Field::IpFrag => 3,
                    _ => f.max_value(),
                };
                if e.mask & full != full {
                    return err(
                        e.val.pos,
                        format!(
                            "{}={} is not an exact value; a packet needs exact values",
                            e.name.text, e.val.text
                        ),
                    );
                }
            }
        }
        Ok(m)
    }
}

fn shorthand_meaning(eth: u16, proto: Option<u8>) -> String {
    match proto {
        Some(p) => format!("eth_type=0x{eth:04x},ip_proto={p}"),
        None => format!("eth_type=0x{eth:04x}"),
    }
}

/// Parses a whole match (no other keywords).
pub(crate) fn parse_match(input: &str, names: &dyn PortNames, packet: bool) -> PResult<FlowMatch> {
    let mut lx = super::lexer::Lexer::new(input);
    let mut mb = MatchBuilder::new(names, packet);
    while let Some(p) = lx.next_pair()? {
        if !mb.add(&p)? {
            return err(p.key.pos, unknown_field_message(p.key.text));
        }
    }
    mb.finish()
}

pub(crate) fn unknown_field_message(name: &str) -> String {
    format!("unknown field '{name}'")
}

/// Parses a packet for `trace`: same syntax, exact values only.
pub(crate) fn parse_packet(input: &str, names: &dyn PortNames) -> PResult<FlowKey> {
    Ok(parse_match(input, names, true)?.key)
}
