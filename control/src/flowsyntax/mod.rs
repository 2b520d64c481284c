//! ovs-ofctl compatible flow syntax for OpenFlow 1.3, parsing and printing:
//! flow lines (add-flow / mod-flows / del-flows), matches (dump-flows
//! filters), packets (`ferroctl trace`), groups and meters.
//!
//! The reference is Open vSwitch 3.1's ovs-fields(7), ovs-actions(7) and
//! ovs-ofctl(8); `ovs-ofctl -O OpenFlow13 parse-flow` is the ground truth
//! for what a line means and how it prints (the tests hold its output).
//! Where this module differs from ovs-ofctl it is stricter (OVS silently
//! drops, keeps the last of, or wraps what we reject) or it follows
//! OpenFlow 1.3 rather than OVS internals:
//!
//! * A field whose prerequisites are missing (`tcp_dst=80` without
//!   `tcp`), a field given twice, an out-of-range value or a malformed
//!   address is an error; ovs-ofctl drops the field, keeps the last one, or
//!   truncates. ND fields need only icmpv6_type 135/136 (OpenFlow 1.3);
//!   OVS also wants icmp_code 0.
//! * OVS extensions with no OpenFlow 1.3 meaning (`resubmit`, `move`,
//!   partial `load`, `output(max_len)` truncation, `controller(reason=..)`,
//!   `dec_ttl(ids)`, `importance`, `bucket_id`, ...) are rejected with a
//!   message saying so.
//! * `load:V->F[]` and `set_field` are one action in the model, so both
//!   print as `set_field:V->F` (OVS keeps printing `load:`).
//! * Port numbers are 32-bit OpenFlow 1.3 numbers (OVS maps 0xfff8..0xffff
//!   to the reserved ports and rejects numbers above 0xff00).
//! * `write_actions()` is kept as an empty Write-Actions (OVS drops it).
//! * Extensions: `copy_ttl_out`, `copy_ttl_in`, `push_pbb`, `pop_pbb` (no
//!   OVS syntax), `buffer_id=`, and `ip_frag=V/M` numerically, so that
//!   every `FlowMod` prints and parses back.
//!
//! As in ovs-ofctl: `mod_vlan_vid`/`mod_vlan_pcp` push a tag first when
//! the match does not guarantee one; `nw_tos` ignores the ECN bits;
//! actions are checked against the match (`set_field:..->ip_dst` needs
//! `ip`), except inside `write_actions` and group buckets.
mod actions;
mod flow;
mod format;
mod group;
mod lexer;
mod matches;
mod meter;
mod values;

use std::fmt;

use crate::pipeline::{
    FlowMatch, FlowMod, FlowModCommand, GroupMod, GroupModCommand, Instruction, MeterMod,
    MeterModCommand,
};

/// Resolves port names (as used in `in_port=NAME` and `output:NAME`) to
/// OpenFlow numbers, and back for printing.
pub trait PortNames {
    fn number(&self, name: &str) -> Option<u32>;
    fn name(&self, no: u32) -> Option<String>;
}

/// No port names: only numbers and reserved names.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPortNames;

impl PortNames for NoPortNames {
    fn number(&self, _name: &str) -> Option<u32> {
        None
    }
    fn name(&self, _no: u32) -> Option<String> {
        None
    }
}

/// What is wrong with a line, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// 1-based character column in the input.
    pub column: usize,
    /// Says what was expected.
    pub message: String,
}

impl SyntaxError {
    fn at(input: &str, e: lexer::PErr) -> Self {
        SyntaxError {
            column: lexer::column(input, e.pos),
            message: e.msg,
        }
    }

    /// The input line with a caret under the column:
    ///
    /// ```text
    /// ip,nw_dst=10.0.0.300
    ///           ^
    /// ```
    pub fn render(&self, input: &str) -> String {
        let line = input.lines().next().unwrap_or("");
        let pad: String = line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let extra = self.column.saturating_sub(1 + pad.chars().count());
        format!("{line}\n{pad}{}^", " ".repeat(extra))
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for SyntaxError {}

fn wrap<T>(input: &str, r: lexer::PResult<T>) -> Result<T, SyntaxError> {
    r.map_err(|e| SyntaxError::at(input, e))
}

/// Parses an add-flow / mod-flows / del-flows line, e.g.
/// `table=0,priority=100,ip,nw_dst=10.0.0.0/24,actions=dec_ttl,output:2`.
/// For mod/del an empty line means every flow.
pub fn parse_flow_mod(
    s: &str,
    cmd: FlowModCommand,
    names: &dyn PortNames,
) -> Result<FlowMod, SyntaxError> {
    wrap(s, flow::parse_flow_mod(s, cmd, names))
}

/// Parses a match alone (dump-flows filters, trace).
pub fn parse_match(s: &str, names: &dyn PortNames) -> Result<FlowMatch, SyntaxError> {
    wrap(s, matches::parse_match(s, names, false))
}

/// Parses a packet for `ferroctl trace`: the match syntax with exact values
/// only, e.g. `in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80`.
pub fn parse_packet(
    s: &str,
    names: &dyn PortNames,
) -> Result<fastpath::flow::FlowKey, SyntaxError> {
    wrap(s, matches::parse_packet(s, names))
}

/// Parses an add-group / mod-group / del-groups line, e.g.
/// `group_id=1,type=select,bucket=weight:10,actions=output:1,bucket=output:2`.
pub fn parse_group_mod(
    s: &str,
    cmd: GroupModCommand,
    names: &dyn PortNames,
) -> Result<GroupMod, SyntaxError> {
    wrap(s, group::parse_group_mod(s, cmd, names))
}

/// Parses an add-meter / mod-meter / del-meters line, e.g.
/// `meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100`.
pub fn parse_meter_mod(s: &str, cmd: MeterModCommand) -> Result<MeterMod, SyntaxError> {
    wrap(s, meter::parse_meter_mod(s, cmd))
}

/// A match as ovs-ofctl prints it (`ip,nw_dst=10.0.0.0/24`), without the
/// priority.
pub fn format_match(m: &FlowMatch, names: &dyn PortNames) -> String {
    format::format_match_priority(m, None, names)
}

/// Instructions as `ovs-ofctl -O OpenFlow13 dump-flows` prints them after
/// `actions=`: apply-actions plainly, then `clear_actions`,
/// `write_actions(...)`, `write_metadata:V/M`, `goto_table:N` (`meter:N`
/// first); `drop` when there are none.
pub fn format_actions(instructions: &[Instruction], names: &dyn PortNames) -> String {
    format::format_instructions(instructions, names)
}

/// `group_id=1,type=select,bucket=weight:10,actions=output:1,...`
pub fn format_group(g: &GroupMod, names: &dyn PortNames) -> String {
    group::format_group(g, names)
}

/// `meter=1 kbps burst bands=type=drop rate=1000 burst_size=100`
pub fn format_meter(m: &MeterMod) -> String {
    meter::format_meter(m)
}

/// `table=0, priority=100,ip,nw_dst=10.0.0.0/24 actions=...` (dump-flows
/// style without statistics); parses back with [`parse_flow_mod`] and the
/// same command.
pub fn format_flow_mod(fm: &FlowMod, names: &dyn PortNames) -> String {
    format::format_flow_mod(fm, names)
}

#[cfg(test)]
mod tests;
