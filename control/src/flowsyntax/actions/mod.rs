//! Actions and instructions in ovs-actions(7) syntax, translated to
//! OpenFlow 1.3 [`Action`]s and [`Instruction`]s.
//!
//! As ovs-ofctl does for OpenFlow 1.3, actions are checked against the
//! flow's match (and the effect of earlier actions such as `push_vlan` or
//! `pop_mpls`): `set_field:..->ip_dst` needs `ip` in the match, `pop_vlan`
//! a VLAN tag, and so on. Group buckets have no match, so nothing is
//! checked there (as in ovs-ofctl).
use fastpath::flow::{Field, Prereq};

mod edits;
mod forwarding;
mod instructions;
mod tags;

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

    /// One action or instruction, parsed by its family's module.
    fn one(&self, p: &Pair<'a>, state: &mut FlowState, place: Place) -> PResult<Item> {
        let lname = p.key.text.to_ascii_lowercase();
        let name = lname.as_str();
        let after = format!("{name}:");
        match name {
            "output" | "controller" | "drop" | "group" | "set_queue" => {
                self.forwarding(p, name, &after)
            }
            "push_vlan" | "pop_vlan" | "strip_vlan" | "mod_vlan_vid" | "mod_vlan_pcp"
            | "copy_ttl_out" | "copy_ttl_in" | "set_mpls_ttl" | "dec_mpls_ttl" | "push_mpls"
            | "pop_mpls" | "push_pbb" | "pop_pbb" => self.tags(p, name, &after, state),
            "mod_dl_src" | "mod_dl_dst" | "mod_nw_src" | "mod_nw_dst" | "mod_nw_ecn"
            | "mod_tp_src" | "mod_tp_dst" | "set_tunnel" | "set_tunnel64" | "mod_nw_tos"
            | "mod_nw_ttl" | "dec_ttl" | "set_field" | "load" => self.edit(p, name, &after, state),
            "meter" | "write_actions" | "clear_actions" | "write_metadata" | "goto_table"
            | "apply_actions" => self.instruction(p, name, &after, state, place),
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
                        return Ok(Item::Actions(vec![forwarding::output(port, None)]));
                    }
                }
                err(p.key.pos, format!("unknown action '{}'", p.key.text))
            }
        }
    }
}
