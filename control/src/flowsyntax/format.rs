//! Printing matches, actions and flow mods back in ovs-ofctl's style
//! (`match_format()` and `ofpacts_format()` of OVS 3.1), so that output
//! looks like `ovs-ofctl -O OpenFlow13 dump-flows` and parses back to the
//! same objects.
use std::fmt::Write as _;

use fastpath::flow::{Field, FlowKey, FIELDS};

use super::matches::{
    ovs_name, syntax, Syntax, ETH_ARP, ETH_IP, ETH_IPV6, ETH_MPLS, ETH_MPLS_MCAST, ETH_RARP, FRAGS,
    TCP_FLAG_NAMES,
};
use super::PortNames;
use crate::ofp::PortNo;
use crate::pipeline::{
    flow_flags, Action, FlowMatch, FlowMod, FlowModCommand, Instruction, GROUP_ANY, NO_BUFFER,
};

/// Like C's `%#x`: `0` for zero, else `0x...`.
pub(crate) fn hex(v: u128) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

pub(crate) fn format_mac(v: u128) -> String {
    let b = (v as u64).to_be_bytes();
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

pub(crate) fn format_ipv4(v: u128) -> String {
    let b = (v as u32).to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// IPv6 text as glibc's `inet_ntop` writes it (what ovs-ofctl prints):
/// the longest run of zero words becomes `::`, and `::a.b.c.d` /
/// `::ffff:a.b.c.d` keep the dotted IPv4 tail.
pub(crate) fn format_ipv6(v: u128) -> String {
    let w: Vec<u16> = (0..8).map(|i| (v >> (112 - 16 * i)) as u16).collect();
    let (mut best, mut cur): ((i32, i32), (i32, i32)) = ((-1, 0), (-1, 0));
    for (i, &x) in w.iter().enumerate() {
        if x == 0 {
            if cur.0 == -1 {
                cur = (i as i32, 1);
            } else {
                cur.1 += 1;
            }
        } else if cur.0 != -1 {
            if best.0 == -1 || cur.1 > best.1 {
                best = cur;
            }
            cur.0 = -1;
        }
    }
    if cur.0 != -1 && (best.0 == -1 || cur.1 > best.1) {
        best = cur;
    }
    if best.0 != -1 && best.1 < 2 {
        best.0 = -1;
    }
    let mut s = String::new();
    let mut i = 0i32;
    while i < 8 {
        if best.0 != -1 && i >= best.0 && i < best.0 + best.1 {
            if i == best.0 {
                s.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6 && best.0 == 0 && (best.1 == 6 || (best.1 == 5 && w[5] == 0xffff)) {
            s.push_str(&format_ipv4(v & 0xffff_ffff));
            return s;
        }
        let _ = write!(s, "{:x}", w[i as usize]);
        i += 1;
    }
    if best.0 != -1 && best.0 + best.1 == 8 {
        s.push(':');
    }
    s
}

/// Prefix length if `mask` (of `width` bits) is a CIDR mask.
fn cidr_len(mask: u128, width: u32) -> Option<u32> {
    let n = mask.count_ones();
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    let prefix = if n == 0 {
        0
    } else {
        (all << (width - n)) & all
    };
    (mask == prefix).then_some(n)
}

/// Whether a port name can be printed without quotes.
fn plain_name(n: &str) -> bool {
    !n.is_empty()
        && !n.starts_with(|c: char| c.is_ascii_digit())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && PortNo::from_reserved_name(n).is_none()
}

pub(crate) fn format_port(p: PortNo, names: &dyn PortNames) -> String {
    if let Some(n) = p.reserved_name() {
        return n.to_string();
    }
    match names.name(p.0) {
        Some(n) if plain_name(&n) => n,
        Some(n) => {
            let mut s = String::from("\"");
            for c in n.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push('"');
            s
        }
        None => p.0.to_string(),
    }
}

/// A field value as `set_field:` prints it (ovs-ofctl's `mf_format`).
pub(crate) fn format_value(f: Field, v: u128, names: &dyn PortNames) -> String {
    match syntax(f) {
        Syntax::Port => format_port(PortNo(v as u32), names),
        Syntax::Dec => v.to_string(),
        Syntax::Hex | Syntax::EthType | Syntax::Label | Syntax::Frag | Syntax::TcpFlags => hex(v),
        Syntax::Mac => format_mac(v),
        Syntax::Ipv4 => format_ipv4(v),
        Syntax::Ipv6 => format_ipv6(v),
    }
}

/// Accumulates `name=value` parts and remembers which key bits are shown.
struct MatchWriter<'m> {
    m: &'m FlowMatch,
    parts: Vec<String>,
    done: FlowKey,
}

impl MatchWriter<'_> {
    fn get(&self, f: Field) -> Option<(u128, u128)> {
        self.m.get(f)
    }

    fn mark(&mut self, f: Field) {
        self.done.set(f, u128::MAX);
    }

    fn push(&mut self, s: String) {
        self.parts.push(s);
    }

    /// `name=%#x[/%#x]` (registers, metadata, tunnel id).
    fn hex_masked(&mut self, name: &str, f: Field) {
        if let Some((v, m)) = self.get(f) {
            let mut s = format!("{name}={}", hex(v));
            if m != f.max_value() {
                let _ = write!(s, "/{}", hex(m));
            }
            self.push(s);
            self.mark(f);
        }
    }

    /// `name=%d`, or `name=0x%x/0x%x` when masked (ports, ICMP).
    fn dec_masked(&mut self, name: &str, f: Field) {
        if let Some((v, m)) = self.get(f) {
            self.push(if m == f.max_value() {
                format!("{name}={v}")
            } else {
                format!("{name}={v:#x}/{m:#x}")
            });
            self.mark(f);
        }
    }

    fn ip_masked(&mut self, name: &str, f: Field) {
        if let Some((v, m)) = self.get(f) {
            let mut s = format!("{name}={}", format_ipv4(v));
            if m != 0xffff_ffff {
                match cidr_len(m, 32) {
                    Some(n) => {
                        let _ = write!(s, "/{n}");
                    }
                    None => {
                        let _ = write!(s, "/{}", format_ipv4(m));
                    }
                }
            }
            self.push(s);
            self.mark(f);
        }
    }

    fn ipv6_masked(&mut self, name: &str, f: Field) {
        if let Some((v, m)) = self.get(f) {
            let mut s = format!("{name}={}", format_ipv6(v));
            if m != u128::MAX {
                match cidr_len(m, 128) {
                    Some(n) => {
                        let _ = write!(s, "/{n}");
                    }
                    None => {
                        let _ = write!(s, "/{}", format_ipv6(m));
                    }
                }
            }
            self.push(s);
            self.mark(f);
        }
    }

    fn eth_masked(&mut self, name: &str, f: Field) {
        if let Some((v, m)) = self.get(f) {
            let mut s = format!("{name}={}", format_mac(v));
            if m != f.max_value() {
                let _ = write!(s, "/{}", format_mac(m));
            }
            self.push(s);
            self.mark(f);
        }
    }
}

/// The match as ovs-ofctl prints it, with `priority=N` first when given
/// and not the default.
pub(crate) fn format_match_priority(
    m: &FlowMatch,
    priority: Option<u16>,
    names: &dyn PortNames,
) -> String {
    let mut w = MatchWriter {
        m,
        parts: Vec::new(),
        done: FlowKey::ZERO,
    };
    if let Some(p) = priority.filter(|&p| p != 0x8000) {
        w.push(format!("priority={p}"));
    }
    let exact = |f: Field| {
        m.get(f)
            .filter(|&(_, mask)| mask == f.max_value())
            .map(|(v, _)| v)
    };
    let eth = exact(Field::EthType).map(|v| v as u16);
    let proto = m.get(Field::IpProto).map(|(v, _)| v as u8);
    let arp = matches!(eth, Some(ETH_ARP | ETH_RARP));

    // Shorthand for eth_type and ip_proto.
    let mut skip_type = true;
    let mut skip_proto = false;
    let short = match eth {
        Some(ETH_IP) | Some(ETH_IPV6) => {
            let v6 = eth == Some(ETH_IPV6);
            skip_proto = true;
            match proto {
                Some(1) if !v6 => "icmp",
                Some(58) if v6 => "icmp6",
                Some(6) => ["tcp", "tcp6"][usize::from(v6)],
                Some(17) => ["udp", "udp6"][usize::from(v6)],
                Some(132) => ["sctp", "sctp6"][usize::from(v6)],
                _ => {
                    skip_proto = false;
                    ["ip", "ipv6"][usize::from(v6)]
                }
            }
        }
        Some(ETH_ARP) => "arp",
        Some(ETH_RARP) => "rarp",
        Some(ETH_MPLS) => "mpls",
        Some(ETH_MPLS_MCAST) => "mplsm",
        _ => {
            skip_type = false;
            ""
        }
    };
    if skip_type {
        w.push(short.to_string());
        w.mark(Field::EthType);
        if skip_proto {
            w.mark(Field::IpProto);
        }
    }

    const REGS: [Field; 8] = [
        Field::Reg0,
        Field::Reg1,
        Field::Reg2,
        Field::Reg3,
        Field::Reg4,
        Field::Reg5,
        Field::Reg6,
        Field::Reg7,
    ];
    for (i, r) in REGS.iter().enumerate() {
        w.hex_masked(&format!("reg{i}"), *r);
    }
    w.hex_masked("tun_id", Field::TunnelId);
    w.ip_masked("tun_src", Field::TunIpv4Src);
    w.ip_masked("tun_dst", Field::TunIpv4Dst);
    w.hex_masked("metadata", Field::Metadata);
    if let Some((v, _)) = w.get(Field::InPort) {
        w.push(format!("in_port={}", format_port(PortNo(v as u32), names)));
        w.mark(Field::InPort);
    }

    // VLAN, through OVS's 16-bit TCI view: PCP(3) | present(1) | VID(12).
    let (vid, vid_m) = m.get(Field::VlanVid).unwrap_or((0, 0));
    let (pcp, pcp_m) = m.get(Field::VlanPcp).unwrap_or((0, 0));
    let tci = ((pcp << 13) | vid) as u16;
    let tci_m = ((pcp_m << 13) | vid_m) as u16;
    if tci_m != 0 {
        let vm = tci_m & 0x0fff;
        let pm = tci_m & 0xe000;
        if tci_m & 0x1000 != 0
            && tci & 0x1000 != 0
            && (vm == 0 || vm == 0x0fff)
            && (pm == 0 || pm == 0xe000)
            && (vm != 0 || pm != 0)
        {
            if vm != 0 {
                w.push(format!("dl_vlan={}", tci & 0xfff));
            }
            if pm != 0 {
                w.push(format!("dl_vlan_pcp={}", tci >> 13));
            }
        } else if tci_m == 0xffff {
            w.push(format!("vlan_tci=0x{tci:04x}"));
        } else {
            w.push(format!("vlan_tci=0x{tci:04x}/0x{tci_m:04x}"));
        }
        w.mark(Field::VlanVid);
        w.mark(Field::VlanPcp);
    }
    w.eth_masked("dl_src", Field::EthSrc);
    w.eth_masked("dl_dst", Field::EthDst);
    if !skip_type {
        if let Some((v, mask)) = w.get(Field::EthType) {
            w.push(if mask == 0xffff {
                format!("dl_type=0x{v:04x}")
            } else {
                format!("dl_type=0x{v:04x}/0x{mask:04x}")
            });
            w.mark(Field::EthType);
        }
    }
    match eth {
        Some(ETH_IPV6) => {
            w.ipv6_masked("ipv6_src", Field::Ipv6Src);
            w.ipv6_masked("ipv6_dst", Field::Ipv6Dst);
            if let Some((v, mask)) = w.get(Field::Ipv6Label) {
                w.push(if mask == 0xfffff {
                    format!("ipv6_label=0x{v:05x}")
                } else {
                    format!("ipv6_label=0x{v:05x}/0x{mask:05x}")
                });
                w.mark(Field::Ipv6Label);
            }
        }
        _ if arp => {
            w.ip_masked("arp_spa", Field::ArpSpa);
            w.ip_masked("arp_tpa", Field::ArpTpa);
        }
        _ => {
            w.ip_masked("nw_src", Field::Ipv4Src);
            w.ip_masked("nw_dst", Field::Ipv4Dst);
        }
    }
    if !skip_proto {
        if let Some((v, _)) = w.get(Field::IpProto) {
            w.push(if arp {
                format!("arp_op={v}")
            } else {
                format!("nw_proto={v}")
            });
            w.mark(Field::IpProto);
        }
    }
    if arp {
        w.eth_masked("arp_sha", Field::ArpSha);
        w.eth_masked("arp_tha", Field::ArpTha);
    }
    if let Some((v, _)) = w.get(Field::IpDscp) {
        w.push(format!("nw_tos={}", v << 2));
        w.mark(Field::IpDscp);
    }
    if let Some((v, _)) = w.get(Field::IpEcn) {
        w.push(format!("nw_ecn={v}"));
        w.mark(Field::IpEcn);
    }
    if let Some((v, _)) = w.get(Field::NwTtl) {
        w.push(format!("nw_ttl={v}"));
        w.mark(Field::NwTtl);
    }
    if let Some((v, mask)) = w.get(Field::IpFrag) {
        // A keyword when it parses back to exactly these bits (OVS also
        // names equivalent non-canonical encodings; we print those in hex
        // so that they survive a round trip).
        w.push(match FRAGS.iter().find(|x| x.1 == v && x.2 == mask) {
            Some(x) => format!("nw_frag={}", x.0),
            None => format!("nw_frag={v:#x}/{mask:#x}"),
        });
        w.mark(Field::IpFrag);
    }
    if eth == Some(ETH_IP) && proto == Some(1) {
        w.dec_masked("icmp_type", Field::Icmpv4Type);
        w.dec_masked("icmp_code", Field::Icmpv4Code);
    } else if eth == Some(ETH_IPV6) && proto == Some(58) {
        w.dec_masked("icmp_type", Field::Icmpv6Type);
        w.dec_masked("icmp_code", Field::Icmpv6Code);
        w.ipv6_masked("nd_target", Field::Ipv6NdTarget);
        w.eth_masked("nd_sll", Field::Ipv6NdSll);
        w.eth_masked("nd_tll", Field::Ipv6NdTll);
    } else {
        w.dec_masked("tp_src", Field::TcpSrc);
        w.dec_masked("tp_dst", Field::TcpDst);
    }
    if matches!(eth, Some(ETH_IP | ETH_IPV6)) && proto == Some(6) {
        if let Some((v, mask)) = w.get(Field::TcpFlags) {
            w.push(format!("tcp_flags={}", format_tcp_flags(v, mask)));
            w.mark(Field::TcpFlags);
        }
    }

    // Anything the OVS layout did not show (only possible for matches
    // that do not satisfy OpenFlow's prerequisites): by catalogue name.
    for d in FIELDS {
        let shown = w.done.get(d.field);
        if let Some((v, mask)) = m.get(d.field) {
            if mask & !shown != 0 {
                let mut s = format!("{}={}", d.name, format_value(d.field, v, names));
                if mask != d.field.max_value() {
                    let _ = write!(s, "/{}", hex(mask));
                }
                w.push(s);
                w.mark(d.field);
            }
        }
    }
    w.parts.join(",")
}

/// ovs-ofctl's `format_flags_masked` for tcp_flags.
fn format_tcp_flags(v: u128, mask: u128) -> String {
    if mask == 0xfff {
        if v == 0 {
            return "0".to_string();
        }
        let names: Vec<&str> = (0..12)
            .filter(|i| v & (1 << i) != 0)
            .map(|i| TCP_FLAG_NAMES[i])
            .collect();
        return names.join("|");
    }
    let mut s = String::new();
    for (i, name) in TCP_FLAG_NAMES.iter().enumerate() {
        let bit = 1u128 << i;
        if mask & bit != 0 {
            s.push(if v & bit != 0 { '+' } else { '-' });
            s.push_str(name);
        }
    }
    if s.is_empty() {
        s.push_str("0/0");
    }
    s
}

pub(crate) fn format_action(a: &Action, names: &dyn PortNames) -> String {
    match a {
        Action::Output { port, max_len } => {
            if *port == PortNo::CONTROLLER {
                format!("CONTROLLER:{max_len}")
            } else if port.reserved_name().is_some() {
                format_port(*port, names)
            } else {
                format!("output:{}", format_port(*port, names))
            }
        }
        Action::CopyTtlOut => "copy_ttl_out".into(),
        Action::CopyTtlIn => "copy_ttl_in".into(),
        Action::SetMplsTtl(t) => format!("set_mpls_ttl({t})"),
        Action::DecMplsTtl => "dec_mpls_ttl".into(),
        Action::PushVlan(e) => format!("push_vlan:{e:#x}"),
        Action::PopVlan => "pop_vlan".into(),
        Action::PushMpls(e) => format!("push_mpls:0x{e:04x}"),
        Action::PopMpls(e) => format!("pop_mpls:0x{e:04x}"),
        Action::SetQueue(q) => format!("set_queue:{q}"),
        Action::Group(g) => format!("group:{g}"),
        Action::SetNwTtl(t) => format!("mod_nw_ttl:{t}"),
        Action::DecNwTtl => "dec_ttl".into(),
        Action::SetField { field, value } => format!(
            "set_field:{}->{}",
            format_value(*field, *value, names),
            ovs_name(*field)
        ),
        Action::PushPbb(e) => format!("push_pbb:0x{e:04x}"),
        Action::PopPbb => "pop_pbb".into(),
    }
}

pub(crate) fn format_action_list(actions: &[Action], names: &dyn PortNames) -> String {
    actions
        .iter()
        .map(|a| format_action(a, names))
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn format_instructions(insts: &[Instruction], names: &dyn PortNames) -> String {
    let mut parts: Vec<String> = Vec::new();
    for i in insts {
        match i {
            Instruction::Meter(m) => parts.push(format!("meter:{m}")),
            Instruction::ApplyActions(a) => parts.extend(a.iter().map(|a| format_action(a, names))),
            Instruction::ClearActions => parts.push("clear_actions".into()),
            Instruction::WriteActions(a) => {
                parts.push(format!("write_actions({})", format_action_list(a, names)))
            }
            Instruction::WriteMetadata { value, mask } => {
                let mut s = format!("write_metadata:{}", hex(u128::from(*value)));
                if *mask != u64::MAX {
                    let _ = write!(s, "/{}", hex(u128::from(*mask)));
                }
                parts.push(s);
            }
            Instruction::GotoTable(t) => parts.push(format!("goto_table:{t}")),
        }
    }
    if parts.is_empty() {
        "drop".into()
    } else {
        parts.join(",")
    }
}

pub(crate) fn is_delete(c: FlowModCommand) -> bool {
    matches!(c, FlowModCommand::Delete | FlowModCommand::DeleteStrict)
}

/// `cookie=0x5, table=1, idle_timeout=10, send_flow_rem priority=100,ip actions=...`
/// (dump-flows style without statistics); deletes have no actions part.
pub(crate) fn format_flow_mod(fm: &FlowMod, names: &dyn PortNames) -> String {
    let mut s = String::new();
    let del = is_delete(fm.command);
    if fm.cookie != 0 || fm.cookie_mask != 0 {
        if fm.cookie_mask != 0 || del {
            let _ = write!(s, "cookie={:#x}/{:#x}, ", fm.cookie, fm.cookie_mask);
        } else {
            let _ = write!(s, "cookie={:#x}, ", fm.cookie);
        }
    }
    let _ = write!(s, "table={}, ", fm.table_id);
    if fm.idle_timeout != 0 {
        let _ = write!(s, "idle_timeout={}, ", fm.idle_timeout);
    }
    if fm.hard_timeout != 0 {
        let _ = write!(s, "hard_timeout={}, ", fm.hard_timeout);
    }
    for (bit, name) in FLAG_NAMES {
        if fm.flags & bit != 0 {
            let _ = write!(s, "{name} ");
        }
    }
    if fm.buffer_id != NO_BUFFER {
        let _ = write!(s, "buffer_id={:#x}, ", fm.buffer_id);
    }
    if fm.out_port != PortNo::ANY {
        let _ = write!(s, "out_port={}, ", format_port(fm.out_port, names));
    }
    if fm.out_group != GROUP_ANY {
        let _ = write!(s, "out_group={}, ", fm.out_group);
    }
    // A non-strict delete ignores priorities (and ovs-ofctl rejects one).
    let prio = (fm.command != FlowModCommand::Delete).then_some(fm.priority);
    let m = format_match_priority(&fm.match_, prio, names);
    if !m.is_empty() {
        s.push_str(&m);
        s.push(' ');
    }
    if del {
        while s.ends_with(' ') || s.ends_with(',') {
            s.pop();
        }
    } else {
        s.push_str("actions=");
        s.push_str(&format_instructions(&fm.instructions, names));
    }
    s
}

/// Flow-mod flag keywords.
pub(crate) const FLAG_NAMES: [(u16, &str); 5] = [
    (flow_flags::SEND_FLOW_REM, "send_flow_rem"),
    (flow_flags::CHECK_OVERLAP, "check_overlap"),
    (flow_flags::RESET_COUNTS, "reset_counts"),
    (flow_flags::NO_PKT_COUNTS, "no_packet_counts"),
    (flow_flags::NO_BYT_COUNTS, "no_byte_counts"),
];
