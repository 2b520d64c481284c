//! Actions and instructions in ovs-actions(7) syntax, translated to
//! OpenFlow 1.3 [`Action`]s and [`Instruction`]s.
//!
//! As ovs-ofctl does for OpenFlow 1.3, actions are checked against the
//! flow's match (and the effect of earlier actions such as `push_vlan` or
//! `pop_mpls`): `set_field:..->ip_dst` needs `ip` in the match, `pop_vlan`
//! a VLAN tag, and so on. Group buckets have no match, so nothing is
//! checked there (as in ovs-ofctl).
use fastpath::flow::{Field, Prereq};

use super::lexer::{err, Delim, Lexer, PResult, Pair, Tok};
use super::matches::{
    lookup, parse_field_value, parse_mac, parse_port, parse_uint, parse_uint_bits, requirement,
    FlowState, Key, ETH_IPV6, ETH_MPLS, ETH_MPLS_MCAST, VID_PRESENT,
};
use super::PortNames;
use crate::ofp::codec::{controller_max_len_valid, CML_MAX};
use crate::ofp::PortNo;
use crate::pipeline::{
    Action, FlowMatch, Instruction, CML_NO_BUFFER, GROUP_MAX, METER_CONTROLLER, METER_MAX,
    METER_SLOWPATH,
};

/// The highest table a `goto_table` may name.
const TABLE_MAX: u8 = 254;

/// One parsed element of an action list.
enum Item {
    Actions(Vec<Action>),
    Drop,
    Meter(u32),
    Clear,
    Write(Vec<Action>),
    WriteMetadata(u64, u64),
    Goto(u8),
}

impl Item {
    /// Position in the OpenFlow 1.3 instruction order, and its name.
    fn rank(&self) -> (u8, &'static str) {
        match self {
            Item::Meter(_) => (1, "meter"),
            Item::Actions(_) | Item::Drop => (2, "actions"),
            Item::Clear => (3, "clear_actions"),
            Item::Write(_) => (4, "write_actions"),
            Item::WriteMetadata(..) => (5, "write_metadata"),
            Item::Goto(_) => (6, "goto_table"),
        }
    }
}

/// Where an action list appears.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A flow's `actions=`: instructions allowed.
    Flow,
    /// Inside `write_actions(...)`.
    Write,
    /// A group bucket.
    Bucket,
}

struct Parser<'a, 'n> {
    src: &'a str,
    names: &'n dyn PortNames,
    /// Check actions against the match (flows only).
    check: bool,
    /// The flow's table, for goto_table.
    table: u8,
}

/// OVS extensions that have no OpenFlow 1.3 equivalent, with advice.
const EXTENSIONS: &[(&str, &str)] = &[
    ("resubmit", "resubmit is an OVS extension; use goto_table"),
    (
        "move",
        "move is an OVS extension with no OpenFlow 1.3 equivalent (set_field writes constants only)",
    ),
    (
        "enqueue",
        "enqueue is OpenFlow 1.0; use set_queue:QUEUE,output:PORT",
    ),
    (
        "output_reg",
        "output to a register is an OVS extension with no OpenFlow 1.3 equivalent",
    ),
    ("learn", "learn is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("ct", "ct (connection tracking) is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("ct_clear", "ct_clear is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("nat", "nat is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("note", "note is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("multipath", "multipath is an OVS extension; use a select group"),
    ("bundle", "bundle is an OVS extension; use a select or fast_failover group"),
    ("bundle_load", "bundle_load is an OVS extension; use a select or fast_failover group"),
    ("conjunction", "conjunction is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("clone", "clone is an OVS extension; use an all group"),
    ("sample", "sample is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("exit", "exit is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("fin_timeout", "fin_timeout is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("check_pkt_larger", "check_pkt_larger is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("encap", "encap is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("decap", "decap is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("push", "push (to the stack) is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("pop", "pop (from the stack) is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("dec_nsh_ttl", "dec_nsh_ttl is an OVS extension with no OpenFlow 1.3 equivalent"),
    ("set_mpls_label", "set_mpls_label: MPLS fields are not supported; only the MPLS TTL actions are"),
    ("set_mpls_tc", "set_mpls_tc: MPLS fields are not supported; only the MPLS TTL actions are"),
    ("mod_dl_type", "the Ethernet type cannot be set (eth_type is read-only)"),
];

/// Whole-field NXM/OXM names for `load:VALUE->NAME[]`.
const NXM_NAMES: &[(&str, Field)] = &[
    ("NXM_OF_IN_PORT", Field::InPort),
    ("OXM_OF_IN_PORT", Field::InPort),
    ("OXM_OF_METADATA", Field::Metadata),
    ("NXM_NX_REG0", Field::Reg0),
    ("NXM_NX_REG1", Field::Reg1),
    ("NXM_NX_REG2", Field::Reg2),
    ("NXM_NX_REG3", Field::Reg3),
    ("NXM_NX_REG4", Field::Reg4),
    ("NXM_NX_REG5", Field::Reg5),
    ("NXM_NX_REG6", Field::Reg6),
    ("NXM_NX_REG7", Field::Reg7),
    ("NXM_NX_TUN_ID", Field::TunnelId),
    ("OXM_OF_TUNNEL_ID", Field::TunnelId),
    ("NXM_NX_TUN_IPV4_SRC", Field::TunIpv4Src),
    ("NXM_NX_TUN_IPV4_DST", Field::TunIpv4Dst),
    ("NXM_OF_ETH_DST", Field::EthDst),
    ("OXM_OF_ETH_DST", Field::EthDst),
    ("NXM_OF_ETH_SRC", Field::EthSrc),
    ("OXM_OF_ETH_SRC", Field::EthSrc),
    ("NXM_OF_ETH_TYPE", Field::EthType),
    ("OXM_OF_ETH_TYPE", Field::EthType),
    ("OXM_OF_VLAN_VID", Field::VlanVid),
    ("OXM_OF_VLAN_PCP", Field::VlanPcp),
    ("OXM_OF_IP_DSCP", Field::IpDscp),
    ("NXM_NX_IP_ECN", Field::IpEcn),
    ("OXM_OF_IP_ECN", Field::IpEcn),
    ("NXM_OF_IP_PROTO", Field::IpProto),
    ("OXM_OF_IP_PROTO", Field::IpProto),
    ("NXM_NX_IP_TTL", Field::NwTtl),
    ("NXM_NX_IP_FRAG", Field::IpFrag),
    ("NXM_OF_IP_SRC", Field::Ipv4Src),
    ("OXM_OF_IPV4_SRC", Field::Ipv4Src),
    ("NXM_OF_IP_DST", Field::Ipv4Dst),
    ("OXM_OF_IPV4_DST", Field::Ipv4Dst),
    ("NXM_OF_TCP_SRC", Field::TcpSrc),
    ("OXM_OF_TCP_SRC", Field::TcpSrc),
    ("NXM_OF_TCP_DST", Field::TcpDst),
    ("OXM_OF_TCP_DST", Field::TcpDst),
    ("NXM_NX_TCP_FLAGS", Field::TcpFlags),
    ("NXM_OF_UDP_SRC", Field::UdpSrc),
    ("OXM_OF_UDP_SRC", Field::UdpSrc),
    ("NXM_OF_UDP_DST", Field::UdpDst),
    ("OXM_OF_UDP_DST", Field::UdpDst),
    ("OXM_OF_SCTP_SRC", Field::SctpSrc),
    ("OXM_OF_SCTP_DST", Field::SctpDst),
    ("NXM_OF_ICMP_TYPE", Field::Icmpv4Type),
    ("OXM_OF_ICMPV4_TYPE", Field::Icmpv4Type),
    ("NXM_OF_ICMP_CODE", Field::Icmpv4Code),
    ("OXM_OF_ICMPV4_CODE", Field::Icmpv4Code),
    ("NXM_OF_ARP_OP", Field::ArpOp),
    ("OXM_OF_ARP_OP", Field::ArpOp),
    ("NXM_OF_ARP_SPA", Field::ArpSpa),
    ("OXM_OF_ARP_SPA", Field::ArpSpa),
    ("NXM_OF_ARP_TPA", Field::ArpTpa),
    ("OXM_OF_ARP_TPA", Field::ArpTpa),
    ("NXM_NX_ARP_SHA", Field::ArpSha),
    ("OXM_OF_ARP_SHA", Field::ArpSha),
    ("NXM_NX_ARP_THA", Field::ArpTha),
    ("OXM_OF_ARP_THA", Field::ArpTha),
    ("NXM_NX_IPV6_SRC", Field::Ipv6Src),
    ("OXM_OF_IPV6_SRC", Field::Ipv6Src),
    ("NXM_NX_IPV6_DST", Field::Ipv6Dst),
    ("OXM_OF_IPV6_DST", Field::Ipv6Dst),
    ("NXM_NX_IPV6_LABEL", Field::Ipv6Label),
    ("OXM_OF_IPV6_FLABEL", Field::Ipv6Label),
    ("NXM_NX_ICMPV6_TYPE", Field::Icmpv6Type),
    ("OXM_OF_ICMPV6_TYPE", Field::Icmpv6Type),
    ("NXM_NX_ICMPV6_CODE", Field::Icmpv6Code),
    ("OXM_OF_ICMPV6_CODE", Field::Icmpv6Code),
    ("NXM_NX_ND_TARGET", Field::Ipv6NdTarget),
    ("OXM_OF_IPV6_ND_TARGET", Field::Ipv6NdTarget),
    ("NXM_NX_ND_SLL", Field::Ipv6NdSll),
    ("OXM_OF_IPV6_ND_SLL", Field::Ipv6NdSll),
    ("NXM_NX_ND_TLL", Field::Ipv6NdTll),
    ("OXM_OF_IPV6_ND_TLL", Field::Ipv6NdTll),
];

/// How a set_field target name maps its value onto the field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Xform {
    None,
    /// `dl_vlan`: a 12-bit VID; OFPVID_PRESENT is added.
    Vid,
    /// `nw_tos` / `NXM_OF_IP_TOS`: a ToS byte; its DSCP is stored.
    Tos,
}

/// Parses a flow's `actions=` text (`tok`) into instructions, checking
/// them against `m` and `table`.
pub(crate) fn parse_flow_instructions(
    src: &str,
    tok: Tok<'_>,
    m: &FlowMatch,
    table: u8,
    names: &dyn PortNames,
) -> PResult<Vec<Instruction>> {
    let p = Parser {
        src,
        names,
        check: true,
        table,
    };
    let mut state = FlowState::from_match(m);
    let items = p.list(tok, &mut state, Place::Flow)?;
    assemble(items)
}

/// Parses a group bucket's actions.
pub(crate) fn parse_bucket_actions(
    src: &str,
    tok: Tok<'_>,
    names: &dyn PortNames,
) -> PResult<Vec<Action>> {
    let p = Parser {
        src,
        names,
        check: false,
        table: 0,
    };
    let mut state = FlowState::default();
    let items = p.list(tok, &mut state, Place::Bucket)?;
    Ok(flatten(items))
}

fn flatten(items: Vec<(Item, Tok<'_>)>) -> Vec<Action> {
    items
        .into_iter()
        .flat_map(|(i, _)| match i {
            Item::Actions(a) => a,
            _ => Vec::new(),
        })
        .collect()
}

/// Orders the items into instructions, enforcing OpenFlow 1.3's
/// instruction order (as ovs-ofctl does).
fn assemble(items: Vec<(Item, Tok<'_>)>) -> PResult<Vec<Instruction>> {
    let mut last: (u8, &str) = (0, "");
    let mut meter = None;
    let mut apply = Vec::new();
    let mut clear = false;
    let mut write = None;
    let mut metadata = None;
    let mut goto = None;
    for (item, at) in items {
        let (rank, name) = item.rank();
        if rank < last.0 {
            return err(
                at.pos,
                format!(
                    "{name} must come before {} (OpenFlow 1.3 instruction order: meter, actions, clear_actions, write_actions, write_metadata, goto_table)",
                    last.1
                ),
            );
        }
        if rank == last.0 && rank != 2 {
            return err(at.pos, format!("{name} is given twice"));
        }
        last = (rank, name);
        match item {
            Item::Meter(m) => meter = Some(m),
            Item::Actions(a) => apply.extend(a),
            Item::Drop => {}
            Item::Clear => clear = true,
            Item::Write(a) => write = Some(a),
            Item::WriteMetadata(v, m) => metadata = Some((v, m)),
            Item::Goto(t) => goto = Some(t),
        }
    }
    let mut out = Vec::new();
    if let Some(m) = meter {
        out.push(Instruction::Meter(m));
    }
    if !apply.is_empty() {
        out.push(Instruction::ApplyActions(apply));
    }
    if clear {
        out.push(Instruction::ClearActions);
    }
    if let Some(a) = write {
        out.push(Instruction::WriteActions(a));
    }
    if let Some((value, mask)) = metadata {
        out.push(Instruction::WriteMetadata { value, mask });
    }
    if let Some(t) = goto {
        out.push(Instruction::GotoTable(t));
    }
    Ok(out)
}

fn no_value(p: &Pair<'_>, name: &str) -> PResult<()> {
    match p.delim {
        Delim::None => Ok(()),
        Delim::Paren if p.value.text.trim().is_empty() => Ok(()),
        _ => err(p.key.end(), format!("{name} takes no argument")),
    }
}

fn need_value<'a>(p: &Pair<'a>, name: &str) -> PResult<Tok<'a>> {
    match p.delim {
        Delim::Eq | Delim::Paren => Ok(p.value),
        Delim::None => err(
            p.key.pos,
            format!("{name} needs an argument ({name}:VALUE)"),
        ),
    }
}

fn ethertype(tok: Tok<'_>, after: &str) -> PResult<u16> {
    Ok(parse_uint_bits(tok, after, "an ethertype", 16)? as u16)
}

/// `key=value` pairs inside parentheses, e.g. `output(port=1,max_len=64)`.
fn sub_pairs<'a>(src: &'a str, tok: Tok<'a>) -> PResult<Vec<Pair<'a>>> {
    let mut lx = Lexer::sub(src, tok);
    let mut out = Vec::new();
    while let Some(p) = lx.next_pair()? {
        out.push(p);
    }
    Ok(out)
}

impl<'a> Parser<'a, '_> {
    fn list(
        &self,
        tok: Tok<'a>,
        state: &mut FlowState,
        place: Place,
    ) -> PResult<Vec<(Item, Tok<'a>)>> {
        let mut lx = Lexer::sub(self.src, tok);
        let mut items: Vec<(Item, Tok<'a>)> = Vec::new();
        while let Some(p) = lx.next_pair()? {
            let item = self.one(&p, state, place)?;
            let is_instruction = !matches!(item, Item::Actions(_) | Item::Drop);
            if is_instruction && place != Place::Flow {
                let (_, name) = item.rank();
                return err(
                    p.key.pos,
                    match place {
                        Place::Bucket => {
                            format!("the {name} instruction is not allowed in a group bucket")
                        }
                        _ => format!("the {name} instruction is not allowed inside write_actions"),
                    },
                );
            }
            items.push((item, p.key));
        }
        if items.len() > 1 {
            if let Some((_, at)) = items.iter().find(|(i, _)| matches!(i, Item::Drop)) {
                return err(
                    at.pos,
                    "\"drop\" must not be accompanied by any other action or instruction",
                );
            }
        }
        Ok(items)
    }

    /// Checks that the actions so far leave the packet with `p`.
    fn require(&self, state: &FlowState, p: Prereq, at: Tok<'_>, what: &str) -> PResult<()> {
        if !self.check || state.satisfies(p) {
            return Ok(());
        }
        let msg = match p {
            Prereq::Vlan => format!(
                "{what} requires a VLAN tag (match one, e.g. dl_vlan=VID or vlan_tci=0x1000/0x1000, or push_vlan first)"
            ),
            _ => {
                let (req, how) = requirement(p);
                format!("{what} requires {req} in the match (add {how})")
            }
        };
        err(at.pos, msg)
    }

    fn require_mpls(&self, state: &FlowState, at: Tok<'_>, what: &str) -> PResult<()> {
        if self.check && !state.is_mpls() {
            return err(
                at.pos,
                format!("{what} requires an MPLS packet (match dl_type=0x8847 or 0x8848, or push_mpls first)"),
            );
        }
        Ok(())
    }

    fn one(&self, p: &Pair<'a>, state: &mut FlowState, place: Place) -> PResult<Item> {
        let lname = p.key.text.to_ascii_lowercase();
        let name = lname.as_str();
        let after = format!("{name}:");
        let single = |a: Action| Ok(Item::Actions(vec![a]));
        match name {
            "output" => {
                let v = need_value(p, name)?;
                if p.delim == Delim::Paren {
                    return self.output_paren(v);
                }
                let port = self.output_port(v, &after)?;
                single(output(port, None))
            }
            "controller" => {
                let mut max_len = CML_NO_BUFFER;
                match p.delim {
                    Delim::None => {}
                    Delim::Eq => {
                        if !p.value.is_empty() {
                            max_len = controller_max_len(p.value, &after)?;
                        }
                    }
                    Delim::Paren => {
                        for kv in sub_pairs(self.src, p.value)? {
                            match kv.key.text {
                                "max_len" => {
                                    max_len = controller_max_len(kv.value, "max_len=")?
                                }
                                other => {
                                    return err(
                                        kv.key.pos,
                                        format!("controller({other}=...) is an OVS extension; OpenFlow 1.3 supports only controller(max_len=N)"),
                                    )
                                }
                            }
                        }
                    }
                }
                single(Action::Output {
                    port: PortNo::CONTROLLER,
                    max_len,
                })
            }
            "drop" => {
                no_value(p, name)?;
                Ok(Item::Drop)
            }
            "group" => {
                let v = need_value(p, name)?;
                let g = parse_uint_bits(v, &after, "a group id", 32)? as u32;
                if g > GROUP_MAX {
                    return err(
                        v.pos,
                        format!("group {g} is out of range (group ids go up to {GROUP_MAX})"),
                    );
                }
                single(Action::Group(g))
            }
            "set_queue" => {
                let v = need_value(p, name)?;
                single(Action::SetQueue(
                    parse_uint_bits(v, &after, "a queue id", 32)? as u32,
                ))
            }
            "push_vlan" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, &after)?;
                if e != 0x8100 && e != 0x88a8 {
                    return err(
                        v.pos,
                        format!(
                            "push_vlan: {} is not a VLAN ethertype (0x8100 or 0x88a8)",
                            v.text
                        ),
                    );
                }
                state.vlan = true;
                single(Action::PushVlan(e))
            }
            "pop_vlan" | "strip_vlan" => {
                no_value(p, name)?;
                self.require(state, Prereq::Vlan, p.key, name)?;
                state.vlan = false;
                single(Action::PopVlan)
            }
            "mod_vlan_vid" | "mod_vlan_pcp" => {
                let v = need_value(p, name)?;
                let (field, value) = if name == "mod_vlan_vid" {
                    let vid = parse_uint(v, &after)?;
                    if vid > 0xfff {
                        return err(
                            v.pos,
                            format!(
                                "mod_vlan_vid: VLAN ID {} is out of range (0 to 4095)",
                                v.text
                            ),
                        );
                    }
                    (Field::VlanVid, vid | VID_PRESENT)
                } else {
                    let pcp = parse_uint(v, &after)?;
                    if pcp > 7 {
                        return err(
                            v.pos,
                            format!("mod_vlan_pcp: priority {} is out of range (0 to 7)", v.text),
                        );
                    }
                    (Field::VlanPcp, pcp)
                };
                // As ovs-ofctl does for OpenFlow 1.2+: push a tag first
                // unless the packet surely has one.
                let mut acts = Vec::new();
                if !state.vlan {
                    acts.push(Action::PushVlan(0x8100));
                    state.vlan = true;
                }
                acts.push(Action::SetField { field, value });
                Ok(Item::Actions(acts))
            }
            "mod_dl_src" | "mod_dl_dst" => {
                let v = need_value(p, name)?;
                let field = if name == "mod_dl_src" {
                    Field::EthSrc
                } else {
                    Field::EthDst
                };
                single(Action::SetField {
                    field,
                    value: parse_mac(v, &after)?,
                })
            }
            "mod_nw_src" | "mod_nw_dst" | "mod_nw_ecn" | "mod_tp_src" | "mod_tp_dst"
            | "set_tunnel" | "set_tunnel64" => {
                let v = need_value(p, name)?;
                let field = match name {
                    "mod_nw_src" => Field::Ipv4Src,
                    "mod_nw_dst" => Field::Ipv4Dst,
                    "mod_nw_ecn" => Field::IpEcn,
                    "set_tunnel" | "set_tunnel64" => Field::TunnelId,
                    _ => {
                        let src = name == "mod_tp_src";
                        match state.ip_proto.filter(|_| state.is_ip()) {
                            Some(6) if src => Field::TcpSrc,
                            Some(6) => Field::TcpDst,
                            Some(17) if src => Field::UdpSrc,
                            Some(17) => Field::UdpDst,
                            Some(132) if src => Field::SctpSrc,
                            Some(132) => Field::SctpDst,
                            _ if !self.check => {
                                return err(
                                    p.key.pos,
                                    format!("{name} needs the protocol from a flow's match; here use set_field:PORT->tcp_{0}, udp_{0} or sctp_{0}", if src { "src" } else { "dst" }),
                                )
                            }
                            _ => {
                                return err(
                                    p.key.pos,
                                    format!("{name} requires tcp, udp or sctp in the match (ip_proto=6, 17 or 132)"),
                                )
                            }
                        }
                    }
                };
                let value = parse_field_value(field, v, name, &after, self.names)?;
                self.require(state, field.def().prereq, p.key, name)?;
                single(Action::SetField { field, value })
            }
            "mod_nw_tos" => {
                let v = need_value(p, name)?;
                let tos = parse_uint_bits(v, &after, name, 8)?;
                if tos & 3 != 0 {
                    return err(
                        v.pos,
                        format!("mod_nw_tos: {} is not a valid ToS (its low 2 bits are ECN; use mod_nw_ecn)", v.text),
                    );
                }
                self.require(state, Prereq::Ip, p.key, name)?;
                single(Action::SetField {
                    field: Field::IpDscp,
                    value: tos >> 2,
                })
            }
            "mod_nw_ttl" => {
                let v = need_value(p, name)?;
                let ttl = parse_uint_bits(v, &after, name, 8)? as u8;
                self.require(state, Prereq::Ip, p.key, name)?;
                single(Action::SetNwTtl(ttl))
            }
            "dec_ttl" => {
                if p.delim == Delim::Paren && !p.value.text.trim().is_empty() {
                    return err(
                        p.value.pos,
                        "dec_ttl(controller ids) is an OVS extension; use plain dec_ttl",
                    );
                }
                no_value(p, name)?;
                self.require(state, Prereq::Ip, p.key, name)?;
                single(Action::DecNwTtl)
            }
            "set_field" => {
                let v = need_value(p, name)?;
                let Some((val, dst)) = v.split_once("->") else {
                    return err(
                        v.pos,
                        format!("expected VALUE->FIELD after set_field:, found {}", v.text),
                    );
                };
                let (field, xf) = self.target(dst, state)?;
                if let Some((_, mt)) = val.split_once("/") {
                    return err(
                        mt.pos - 1,
                        "set_field cannot take a mask in OpenFlow 1.3 (it writes whole fields)",
                    );
                }
                let value = match xf {
                    Xform::None => {
                        parse_field_value(field, val, dst.text, "set_field:", self.names)?
                    }
                    Xform::Vid => parse_uint_bits(val, "set_field:", dst.text, 12)? | VID_PRESENT,
                    Xform::Tos => {
                        let tos = parse_uint_bits(val, "set_field:", dst.text, 8)?;
                        if tos & 3 != 0 {
                            return err(
                                val.pos,
                                format!(
                                    "{} is not a valid ToS for nw_tos (its low 2 bits are ECN)",
                                    val.text
                                ),
                            );
                        }
                        tos >> 2
                    }
                };
                self.set_field(field, value, val, dst, state)
            }
            "load" => {
                let v = need_value(p, name)?;
                let Some((val, dst)) = v.split_once("->") else {
                    return err(
                        v.pos,
                        format!("expected VALUE->FIELD[] after load:, found {}", v.text),
                    );
                };
                let (field, xf) = self.load_target(dst, state)?;
                let raw = parse_uint(val, "load:")?;
                let value = match xf {
                    Xform::None => {
                        let bits = u32::from(field.def().bits);
                        if bits < 128 && raw >> bits != 0 {
                            return err(
                                val.pos,
                                format!(
                                    "value {} is too large for {}, {} field",
                                    val.text,
                                    dst.text,
                                    super::matches::bits_phrase(bits)
                                ),
                            );
                        }
                        raw
                    }
                    Xform::Vid => {
                        if raw > 0xfff {
                            return err(
                                val.pos,
                                format!("value {} is too large for a 12-bit VLAN ID", val.text),
                            );
                        }
                        raw | VID_PRESENT
                    }
                    Xform::Tos => {
                        if raw > 0xff || raw & 3 != 0 {
                            return err(val.pos, format!("{} is not a valid ToS byte", val.text));
                        }
                        raw >> 2
                    }
                };
                self.set_field(field, value, val, dst, state)
            }
            "copy_ttl_out" => {
                no_value(p, name)?;
                single(Action::CopyTtlOut)
            }
            "copy_ttl_in" => {
                no_value(p, name)?;
                single(Action::CopyTtlIn)
            }
            "set_mpls_ttl" => {
                let v = need_value(p, name)?;
                let ttl = parse_uint_bits(v.trim(), &after, name, 8)? as u8;
                self.require_mpls(state, p.key, name)?;
                single(Action::SetMplsTtl(ttl))
            }
            "dec_mpls_ttl" => {
                no_value(p, name)?;
                self.require_mpls(state, p.key, name)?;
                single(Action::DecMplsTtl)
            }
            "push_mpls" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, &after)?;
                if e != ETH_MPLS && e != ETH_MPLS_MCAST {
                    return err(
                        v.pos,
                        format!(
                            "push_mpls: {} is not an MPLS ethertype (0x8847 or 0x8848)",
                            v.text
                        ),
                    );
                }
                *state = FlowState {
                    eth_type: Some(e),
                    ip_proto: None,
                    icmpv6_type: None,
                    vlan: state.vlan,
                };
                single(Action::PushMpls(e))
            }
            "pop_mpls" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, &after)?;
                self.require_mpls(state, p.key, name)?;
                *state = FlowState {
                    eth_type: Some(e),
                    ip_proto: None,
                    icmpv6_type: None,
                    vlan: state.vlan,
                };
                single(Action::PopMpls(e))
            }
            "push_pbb" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, &after)?;
                if e != 0x88e7 {
                    return err(
                        v.pos,
                        format!("push_pbb: {} is not the PBB ethertype 0x88e7", v.text),
                    );
                }
                single(Action::PushPbb(e))
            }
            "pop_pbb" => {
                no_value(p, name)?;
                single(Action::PopPbb)
            }
            // Instructions.
            "meter" => {
                let v = need_value(p, name)?;
                let id = match v.text {
                    "slowpath" => METER_SLOWPATH,
                    "controller" => METER_CONTROLLER,
                    _ => parse_uint_bits(v, &after, "a meter id", 32)? as u32,
                };
                if id == 0 || (id > METER_MAX && id != METER_SLOWPATH && id != METER_CONTROLLER) {
                    return err(
                        v.pos,
                        format!("meter {} is not a valid meter id (1 to {METER_MAX}, slowpath or controller)", v.text),
                    );
                }
                Ok(Item::Meter(id))
            }
            "write_actions" => {
                if p.delim != Delim::Paren {
                    return err(p.key.pos, "expected write_actions(ACTIONS)");
                }
                // As in ovs-ofctl, the action set is not checked against
                // the match: it runs in its own order at the end.
                let nested = Parser {
                    check: false,
                    ..*self
                };
                let mut st = *state;
                let items = nested.list(p.value, &mut st, Place::Write)?;
                Ok(Item::Write(flatten(items)))
            }
            "clear_actions" => {
                no_value(p, name)?;
                Ok(Item::Clear)
            }
            "write_metadata" => {
                let v = need_value(p, name)?;
                let (vt, mt) = match v.split_once("/") {
                    Some((a, b)) => (a, Some(b)),
                    None => (v, None),
                };
                let value = parse_uint_bits(vt, &after, name, 64)? as u64;
                let mask = match mt {
                    Some(mt) => parse_uint_bits(mt, &after, "the write_metadata mask", 64)? as u64,
                    None => u64::MAX,
                };
                Ok(Item::WriteMetadata(value, mask))
            }
            "goto_table" => {
                if p.delim == Delim::None || p.value.is_empty() {
                    return err(
                        p.value.pos,
                        "goto_table needs a table number (goto_table:N)",
                    );
                }
                let v = p.value;
                let t = parse_uint(v, &after)?;
                if t > u128::from(TABLE_MAX) {
                    return err(
                        v.pos,
                        format!(
                            "goto_table: table {} does not exist (tables are 0 to {TABLE_MAX})",
                            v.text
                        ),
                    );
                }
                let t = t as u8;
                if place == Place::Flow && self.check && t <= self.table {
                    return err(
                        v.pos,
                        format!(
                            "goto_table:{t} must name a later table than this flow's table {}",
                            self.table
                        ),
                    );
                }
                Ok(Item::Goto(t))
            }
            "apply_actions" => err(
                p.key.pos,
                "apply_actions is the default instruction: list the actions directly",
            ),
            _ => {
                if let Some(&(_, msg)) = EXTENSIONS.iter().find(|e| e.0 == name) {
                    return err(p.key.pos, msg);
                }
                if p.delim == Delim::None {
                    // A bare port: "2", "LOCAL", "in_port", a port name.
                    let k = p.key;
                    let numeric = super::matches::is_number(k.text);
                    let known = numeric
                        || k.text.starts_with('"')
                        || PortNo::from_reserved_name(k.text).is_some()
                        || self.names.number(k.text).is_some();
                    if known {
                        let port = self.output_port(k, "actions")?;
                        return single(output(port, None));
                    }
                }
                err(p.key.pos, format!("unknown action '{}'", p.key.text))
            }
        }
    }

    fn output_port(&self, tok: Tok<'_>, after: &str) -> PResult<PortNo> {
        let port = parse_port(tok, after, self.names)?;
        if port == PortNo::ANY {
            return err(
                tok.pos,
                format!("{} is not a port a packet can be output to", tok.text),
            );
        }
        Ok(port)
    }

    fn output_paren(&self, v: Tok<'a>) -> PResult<Item> {
        let mut port = None;
        let mut max_len: Option<(Tok<'_>, Tok<'_>)> = None;
        for kv in sub_pairs(self.src, v)? {
            match kv.key.text {
                "port" => port = Some(self.output_port(kv.value, "port=")?),
                "max_len" => {
                    parse_uint_bits(kv.value, "max_len=", "max_len", 16)?;
                    max_len = Some((kv.value, kv.key));
                }
                other => {
                    return err(
                        kv.key.pos,
                        format!("unknown output option '{other}' (expected port= or max_len=)"),
                    )
                }
            }
        }
        let Some(port) = port else {
            return err(v.pos, "output(...) needs port=PORT");
        };
        let max_len = match max_len {
            Some((_, at)) if port != PortNo::CONTROLLER => {
                return err(
                    at.pos,
                    "max_len with a port other than CONTROLLER is OVS's truncate extension; in OpenFlow 1.3 max_len only limits what is sent to the controller",
                );
            }
            Some((value, _)) => Some(controller_max_len(value, "max_len=")?),
            None => None,
        };
        Ok(Item::Actions(vec![output(port, max_len)]))
    }

    /// The field a `set_field:V->NAME` writes.
    fn target(&self, dst: Tok<'_>, state: &FlowState) -> PResult<(Field, Xform)> {
        let name = dst.text;
        let Some(key) = lookup(name) else {
            if let Some(&(_, f)) = NXM_NAMES.iter().find(|n| n.0 == name) {
                return Ok((f, Xform::None));
            }
            if name == "NXM_OF_IP_TOS" {
                return Ok((Field::IpDscp, Xform::Tos));
            }
            return err(dst.pos, format!("unknown field '{name}' in set_field"));
        };
        let src = matches!(key, Key::TpSrc | Key::IcmpType);
        let f = match key {
            Key::Field(f) => f,
            Key::NwSrc => Field::Ipv4Src,
            Key::NwDst => Field::Ipv4Dst,
            Key::NwProto => Field::IpProto,
            Key::TpSrc | Key::TpDst => match state.ip_proto.filter(|_| state.is_ip()) {
                Some(6) if src => Field::TcpSrc,
                Some(6) => Field::TcpDst,
                Some(17) if src => Field::UdpSrc,
                Some(17) => Field::UdpDst,
                Some(132) if src => Field::SctpSrc,
                Some(132) => Field::SctpDst,
                _ => {
                    return err(
                        dst.pos,
                        format!("{name} means tcp_, udp_ or sctp_ ports by the match's ip_proto, which is not one of those; name the field (e.g. tcp_{})", if src { "src" } else { "dst" }),
                    )
                }
            },
            Key::IcmpType | Key::IcmpCode => match (state.eth_type == Some(ETH_IPV6), src) {
                (true, true) => Field::Icmpv6Type,
                (true, false) => Field::Icmpv6Code,
                (false, true) => Field::Icmpv4Type,
                (false, false) => Field::Icmpv4Code,
            },
            Key::DlVlan => return Ok((Field::VlanVid, Xform::Vid)),
            Key::VlanPcp => Field::VlanPcp,
            Key::NwTos => return Ok((Field::IpDscp, Xform::Tos)),
            Key::VlanTci => {
                return err(
                    dst.pos,
                    "vlan_tci cannot be set in OpenFlow 1.3; set vlan_vid and vlan_pcp",
                )
            }
            Key::Shorthand(..) => {
                return err(dst.pos, format!("'{name}' is a shorthand, not a field"))
            }
        };
        Ok((f, Xform::None))
    }

    /// The field a `load:V->NAME[]` writes (whole fields only).
    fn load_target(&self, dst: Tok<'_>, state: &FlowState) -> PResult<(Field, Xform)> {
        let (base, range) = match dst.text.find('[') {
            Some(i) => (
                Tok::new(&dst.text[..i], dst.pos),
                Some(Tok::new(&dst.text[i..], dst.pos + i)),
            ),
            None => (dst, None),
        };
        let (f, xf) = match NXM_NAMES.iter().find(|n| n.0 == base.text) {
            Some(&(_, f)) => (f, Xform::None),
            None if base.text == "NXM_OF_IP_TOS" => (Field::IpDscp, Xform::Tos),
            None if base.text == "NXM_OF_VLAN_TCI" => {
                return err(
                    base.pos,
                    "NXM_OF_VLAN_TCI cannot be loaded in OpenFlow 1.3; use set_field with vlan_vid and vlan_pcp",
                )
            }
            None if base.text.starts_with("NXM_") || base.text.starts_with("OXM_") => {
                return err(base.pos, format!("unknown or unsupported field '{}' in load", base.text))
            }
            None => self.target(base, state)?,
        };
        if let Some(r) = range {
            let width = match xf {
                Xform::Vid => 12,
                Xform::Tos => 8,
                Xform::None => u32::from(f.def().bits),
            };
            let inner = r
                .text
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or("?");
            let whole = inner.is_empty()
                || inner
                    .split_once("..")
                    .is_some_and(|(a, b)| a == "0" && b.parse::<u32>().ok() == Some(width - 1));
            if !whole {
                return err(
                    r.pos,
                    format!(
                        "loading part of a field ({}) is not supported: OpenFlow 1.3 set_field writes whole fields; use set_field:VALUE->{}",
                        dst.text,
                        super::matches::ovs_name(f)
                    ),
                );
            }
        }
        Ok((f, xf))
    }

    fn set_field(
        &self,
        field: Field,
        value: u128,
        val: Tok<'_>,
        dst: Tok<'_>,
        state: &FlowState,
    ) -> PResult<Item> {
        if !field.def().settable {
            return err(
                dst.pos,
                format!("{} cannot be set (it is a read-only field)", dst.text),
            );
        }
        if field == Field::VlanVid && (value & VID_PRESENT == 0 || value > 0x1fff) {
            return err(
                val.pos,
                format!(
                    "set_field {} for vlan_vid must include OFPVID_PRESENT (0x1000), e.g. 4101 or 0x1005 for VLAN 5",
                    val.text
                ),
            );
        }
        let what = format!("set_field:{}->{}", val.text, dst.text);
        if field == Field::VlanVid {
            self.require(state, Prereq::Vlan, dst, &what)?;
        }
        self.require(state, field.def().prereq, dst, &what)?;
        Ok(Item::Actions(vec![Action::SetField { field, value }]))
    }
}

/// A max_len for an output to CONTROLLER: 16 bits, and not one of the
/// values OpenFlow 1.3.5 reserves (above OFPCML_MAX, below NO_BUFFER).
fn controller_max_len(tok: Tok<'_>, after: &str) -> PResult<u16> {
    let v = parse_uint_bits(tok, after, "max_len", 16)? as u16;
    if !controller_max_len_valid(v) {
        return err(
            tok.pos,
            format!(
                "max_len {} is out of range for CONTROLLER: it must be at most {CML_MAX} (OFPCML_MAX, {CML_MAX:#06x}) or {CML_NO_BUFFER} (OFPCML_NO_BUFFER, {CML_NO_BUFFER:#06x})",
                tok.text
            ),
        );
    }
    Ok(v)
}

fn output(port: PortNo, max_len: Option<u16>) -> Action {
    let max_len = match max_len {
        Some(m) => m,
        None if port == PortNo::CONTROLLER => CML_NO_BUFFER,
        None => 0,
    };
    Action::Output { port, max_len }
}
