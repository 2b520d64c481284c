//! Header edits: the `mod_*` shorthands, TTL decrement, and
//! `set_field` / `load` with their target names (OXM, NXM and OVS
//! shorthands), each checked against what the match guarantees.
use super::*;

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

impl<'a> Parser<'a, '_> {
    /// Header edits: `mod_*`, `dec_ttl`, `set_field`, `load`.
    pub(super) fn edit(
        &self,
        p: &Pair<'a>,
        name: &str,
        after: &str,
        state: &mut FlowState,
    ) -> PResult<Item> {
        let single = |a: Action| Ok(Item::Actions(vec![a]));
        match name {
            "mod_dl_src" | "mod_dl_dst" => {
                let v = need_value(p, name)?;
                let field = if name == "mod_dl_src" {
                    Field::EthSrc
                } else {
                    Field::EthDst
                };
                single(Action::SetField {
                    field,
                    value: parse_mac(v, after)?,
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
                let value = parse_field_value(field, v, name, after, self.names)?;
                self.require(state, field.def().prereq, p.key, name)?;
                single(Action::SetField { field, value })
            }
            "mod_nw_tos" => {
                let v = need_value(p, name)?;
                let tos = parse_uint_bits(v, after, name, 8)?;
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
                let ttl = parse_uint_bits(v, after, name, 8)? as u8;
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
                                    crate::flowsyntax::matches::bits_phrase(bits)
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
            _ => err(p.key.pos, format!("unknown action '{}'", p.key.text)),
        }
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
                        crate::flowsyntax::matches::ovs_name(f)
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
