//! Checks of matches, instructions and actions, with the exact OpenFlow
//! 1.3.5 error type and code for each rejection.
use std::sync::OnceLock;

use fastpath::flow::{Field, FlowMask, Prereq, FIELDS};

use super::classifier::and_not_assign;
use super::group::GroupTable;
use super::meter::MeterTable;
use super::model::{flow_flags, Action, FlowMatch, Instruction, N_TABLES};
use super::BridgePorts;
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};

/// OFPVID_PRESENT.
pub(crate) const VID_PRESENT: u128 = 0x1000;
pub(crate) const ETH_IPV4: u128 = 0x0800;
pub(crate) const ETH_IPV6: u128 = 0x86dd;

/// What actions may refer to.
pub(crate) struct Env<'a> {
    pub(crate) ports: &'a BridgePorts,
    /// Tunnel ports: valid outputs besides `ports`.
    pub(crate) tunnel_ports: &'a [u32],
    pub(crate) groups: &'a GroupTable,
    pub(crate) meters: &'a MeterTable,
}

/// Where a list of actions appears.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Place {
    /// In a flow entry's instructions (set-field prerequisites are checked
    /// against its match).
    Flow,
    /// In a group bucket.
    Bucket,
    /// In a packet-out (output to TABLE allowed).
    PacketOut,
}

fn bad_match(c: u16, msg: String) -> OfpError {
    OfpError::new(OfpErrorKind::BadMatch(c), msg)
}

fn bad_action(c: u16, msg: impl Into<String>) -> OfpError {
    OfpError::new(OfpErrorKind::BadAction(c), msg)
}

fn bad_inst(c: u16, msg: impl Into<String>) -> OfpError {
    OfpError::new(OfpErrorKind::BadInstruction(c), msg)
}

/// Every key bit that belongs to some field.
fn all_fields_mask() -> &'static FlowMask {
    static M: OnceLock<FlowMask> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = FlowMask::ZERO;
        for d in FIELDS {
            m.or_assign(&FlowMask::field_mask(d.field));
        }
        m
    })
}

/// The exact value of `f` in `m`, when `m` matches it exactly.
pub(crate) fn exact(m: &FlowMatch, f: Field) -> Option<u128> {
    (m.mask.get(f) == f.max_value()).then(|| m.key.get(f))
}

/// Whether the match guarantees a VLAN tag.
pub(crate) fn match_has_vlan(m: &FlowMatch) -> bool {
    m.mask.get(Field::VlanVid) & VID_PRESENT != 0 && m.key.get(Field::VlanVid) & VID_PRESENT != 0
}

/// Whether `m` guarantees prerequisite `p` (`vlan`: a tag is known to be
/// present, from the match or a preceding push_vlan).
pub(crate) fn prereq_in_match(p: Prereq, m: &FlowMatch, vlan: bool) -> bool {
    let is_ip = || matches!(exact(m, Field::EthType), Some(ETH_IPV4 | ETH_IPV6));
    match p {
        Prereq::None => true,
        Prereq::Vlan => vlan,
        Prereq::EthType(t) => exact(m, Field::EthType) == Some(t.into()),
        Prereq::Ip => is_ip(),
        Prereq::IpProto(p) => is_ip() && exact(m, Field::IpProto) == Some(p.into()),
        Prereq::EthProto(t, p) => {
            exact(m, Field::EthType) == Some(t.into()) && exact(m, Field::IpProto) == Some(p.into())
        }
        Prereq::Icmpv6Type(types) => {
            exact(m, Field::EthType) == Some(ETH_IPV6)
                && exact(m, Field::IpProto) == Some(58)
                && exact(m, Field::Icmpv6Type).is_some_and(|t| types.iter().any(|&x| t == x.into()))
        }
    }
}

/// What a set-field of `f` requires of the packet. Like the match
/// prerequisite, except that VLAN_VID needs a tag to rewrite.
pub(crate) fn set_prereq(f: Field) -> Prereq {
    match f {
        Field::VlanVid => Prereq::Vlan,
        _ => f.def().prereq,
    }
}

/// Checks a match: bits outside fields (BAD_FIELD), value bits outside
/// the mask (BAD_WILDCARDS), missing prerequisites (BAD_PREREQ), masks on
/// non-maskable fields (BAD_MASK) and impossible values (BAD_VALUE).
pub(crate) fn check_match(m: &FlowMatch) -> Result<(), OfpError> {
    let mut outside = m.mask;
    and_not_assign(&mut outside, all_fields_mask());
    if !outside.is_zero() {
        return Err(bad_match(
            code::BAD_FIELD,
            "match mask has bits that belong to no field".into(),
        ));
    }
    let mut stray = m.key;
    and_not_assign(&mut stray, &m.mask);
    if !stray.is_zero() {
        return Err(bad_match(
            code::BAD_WILDCARDS,
            format!("match value has bits outside its mask: {stray:?}"),
        ));
    }
    // Every masked bit must be justified by a field whose prerequisites
    // the match satisfies (fields sharing storage, such as ipv4_src and
    // arp_spa, justify each other's bits when their own prerequisite
    // holds).
    let vlan = match_has_vlan(m);
    let mut justified = FlowMask::ZERO;
    for d in FIELDS {
        let fm = FlowMask::field_mask(d.field);
        let bits = m.mask.masked(&fm);
        if bits.is_zero() || !prereq_in_match(d.prereq, m, vlan) {
            continue;
        }
        if !d.maskable && bits != fm {
            return Err(bad_match(
                code::BAD_MASK,
                format!("field {} cannot be matched with a mask", d.name),
            ));
        }
        justified.or_assign(&bits);
    }
    let mut unjustified = m.mask;
    and_not_assign(&mut unjustified, &justified);
    if !unjustified.is_zero() {
        let name = FIELDS
            .iter()
            .find(|d| !unjustified.masked(&FlowMask::field_mask(d.field)).is_zero())
            .map_or("?", |d| d.name);
        return Err(bad_match(
            code::BAD_PREREQ,
            format!("match on {name} without its prerequisites"),
        ));
    }
    let vm = m.mask.get(Field::VlanVid);
    let vk = m.key.get(Field::VlanVid);
    if vm & VID_PRESENT != 0 && vk & VID_PRESENT == 0 && vk & 0xfff != 0 {
        return Err(bad_match(
            code::BAD_VALUE,
            "vlan_vid with a VID but without OFPVID_PRESENT".into(),
        ));
    }
    Ok(())
}

/// Checks OFPFF_* flags.
pub(crate) fn check_flow_flags(flags: u16) -> Result<(), OfpError> {
    let known = flow_flags::SEND_FLOW_REM
        | flow_flags::CHECK_OVERLAP
        | flow_flags::RESET_COUNTS
        | flow_flags::NO_PKT_COUNTS
        | flow_flags::NO_BYT_COUNTS;
    if flags & !known != 0 {
        return Err(OfpError::new(
            OfpErrorKind::FlowModFailed(code::BAD_FLAGS),
            format!("unknown flow-mod flags {:#x}", flags & !known),
        ));
    }
    Ok(())
}

fn inst_kind(i: &Instruction) -> (u8, &'static str) {
    match i {
        Instruction::GotoTable(_) => (1, "goto_table"),
        Instruction::WriteMetadata { .. } => (2, "write_metadata"),
        Instruction::WriteActions(_) => (3, "write_actions"),
        Instruction::ApplyActions(_) => (4, "apply_actions"),
        Instruction::ClearActions => (5, "clear_actions"),
        Instruction::Meter(_) => (6, "meter"),
    }
}

/// Checks a flow entry's instructions for table `table_id` with match `m`.
pub(crate) fn check_instructions(
    env: &Env<'_>,
    table_id: u8,
    m: &FlowMatch,
    insts: &[Instruction],
) -> Result<(), OfpError> {
    let mut seen = 0u8;
    for i in insts {
        let (k, name) = inst_kind(i);
        if seen & (1 << k) != 0 {
            return Err(bad_inst(
                code::UNSUP_INST,
                format!("duplicate {name} instruction"),
            ));
        }
        seen |= 1 << k;
    }
    // Apply-actions first: they change what write-actions can rely on.
    let mut vlan = match_has_vlan(m);
    for i in insts {
        if let Instruction::ApplyActions(a) = i {
            vlan = check_actions(env, a, Place::Flow, Some(m), vlan)?;
        }
    }
    for i in insts {
        match i {
            Instruction::GotoTable(t) => {
                if *t <= table_id || usize::from(*t) >= N_TABLES {
                    return Err(bad_inst(
                        code::BAD_INST_TABLE_ID,
                        format!(
                            "goto_table:{t} from table {table_id}: goto must go to a later table (at most 254)"
                        ),
                    ));
                }
            }
            Instruction::Meter(id) => {
                if !env.meters.contains(*id) {
                    return Err(OfpError::new(
                        OfpErrorKind::MeterModFailed(code::UNKNOWN_METER),
                        format!("meter {id} does not exist"),
                    ));
                }
            }
            Instruction::WriteActions(a) => {
                // The action set pops, then pushes, then sets fields.
                let pushes = a.iter().any(|x| matches!(x, Action::PushVlan(_)));
                let pops = a.iter().any(|x| matches!(x, Action::PopVlan));
                let v = pushes || (vlan && !pops);
                for x in a {
                    check_action(env, x, Place::Flow, Some(m), v)?;
                }
            }
            Instruction::ApplyActions(_)
            | Instruction::ClearActions
            | Instruction::WriteMetadata { .. } => {}
        }
    }
    Ok(())
}

/// Checks an action list in order; returns whether a VLAN tag is known
/// to be present after it.
pub(crate) fn check_actions(
    env: &Env<'_>,
    actions: &[Action],
    place: Place,
    m: Option<&FlowMatch>,
    mut vlan: bool,
) -> Result<bool, OfpError> {
    for a in actions {
        check_action(env, a, place, m, vlan)?;
        match a {
            Action::PushVlan(_) => vlan = true,
            // The packet may have had a second tag, or not.
            Action::PopVlan => vlan = false,
            _ => {}
        }
    }
    Ok(vlan)
}

fn check_action(
    env: &Env<'_>,
    a: &Action,
    place: Place,
    m: Option<&FlowMatch>,
    vlan: bool,
) -> Result<(), OfpError> {
    match a {
        Action::Output { port, .. } => check_output(env, *port, place),
        Action::Group(g) => {
            if env.groups.get(*g).is_none() {
                return Err(bad_action(
                    code::BAD_OUT_GROUP,
                    format!("group {g} does not exist"),
                ));
            }
            Ok(())
        }
        Action::PushVlan(t) => {
            if *t != 0x8100 && *t != 0x88a8 {
                return Err(bad_action(
                    code::BAD_ARGUMENT,
                    format!("push_vlan ethertype {t:#06x}: must be 0x8100 or 0x88a8"),
                ));
            }
            Ok(())
        }
        Action::PopVlan | Action::SetQueue(_) | Action::SetNwTtl(_) | Action::DecNwTtl => Ok(()),
        Action::SetField { field, value } => {
            let d = field.def();
            if !d.settable {
                return Err(bad_action(
                    code::BAD_SET_TYPE,
                    format!("field {} cannot be set", d.name),
                ));
            }
            let max = if *field == Field::VlanVid {
                0x1fff
            } else {
                field.max_value()
            };
            if *value > max {
                return Err(bad_action(
                    code::BAD_SET_ARGUMENT,
                    format!("value {value:#x} does not fit {}", d.name),
                ));
            }
            if let Some(m) = m {
                if !prereq_in_match(set_prereq(*field), m, vlan) {
                    return Err(bad_action(
                        code::MATCH_INCONSISTENT,
                        format!(
                            "set_field {}: the match does not guarantee its prerequisites ({:?})",
                            d.name,
                            set_prereq(*field)
                        ),
                    ));
                }
            }
            Ok(())
        }
        Action::CopyTtlOut
        | Action::CopyTtlIn
        | Action::SetMplsTtl(_)
        | Action::DecMplsTtl
        | Action::PushMpls(_)
        | Action::PopMpls(_) => Err(bad_action(
            code::BAD_ACTION_TYPE,
            format!("{}: MPLS is not supported", action_name(a)),
        )),
        Action::PushPbb(_) | Action::PopPbb => Err(bad_action(
            code::BAD_ACTION_TYPE,
            format!("{}: PBB is not supported", action_name(a)),
        )),
    }
}

fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Output { .. } => "output",
        Action::CopyTtlOut => "copy_ttl_out",
        Action::CopyTtlIn => "copy_ttl_in",
        Action::SetMplsTtl(_) => "set_mpls_ttl",
        Action::DecMplsTtl => "dec_mpls_ttl",
        Action::PushVlan(_) => "push_vlan",
        Action::PopVlan => "pop_vlan",
        Action::PushMpls(_) => "push_mpls",
        Action::PopMpls(_) => "pop_mpls",
        Action::SetQueue(_) => "set_queue",
        Action::Group(_) => "group",
        Action::SetNwTtl(_) => "set_nw_ttl",
        Action::DecNwTtl => "dec_nw_ttl",
        Action::SetField { .. } => "set_field",
        Action::PushPbb(_) => "push_pbb",
        Action::PopPbb => "pop_pbb",
    }
}

fn check_output(env: &Env<'_>, port: PortNo, place: Place) -> Result<(), OfpError> {
    let bad = |why: &str| {
        Err(bad_action(
            code::BAD_OUT_PORT,
            format!("output:{port}: {why}"),
        ))
    };
    match port {
        PortNo::ANY => bad("ANY is not a valid output port"),
        PortNo::TABLE if place != Place::PacketOut => bad("TABLE is valid only in packet-out"),
        PortNo::TABLE
        | PortNo::IN_PORT
        | PortNo::NORMAL
        | PortNo::FLOOD
        | PortNo::ALL
        | PortNo::CONTROLLER
        | PortNo::LOCAL => Ok(()),
        p if p.is_reserved() => bad("unknown reserved port"),
        p if env.ports.get(p.0).is_none() && !env.tunnel_ports.contains(&p.0) => {
            bad("no such port on this bridge")
        }
        _ => Ok(()),
    }
}
