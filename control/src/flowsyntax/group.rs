//! Groups in ovs-ofctl syntax:
//! `group_id=1,type=select,bucket=weight:10,watch_port:2,actions=output:1,bucket=...`
//! (a bucket's `actions=` may be left out: `bucket=output:1,output:2`).
use super::actions::parse_bucket_actions;
use super::format::{format_action_list, format_port};
use super::lexer::{err, split_keyword, Delim, Lexer, PResult, Tok};
use super::matches::{parse_port, parse_uint_bits};
use super::PortNames;
use crate::ofp::PortNo;
use crate::pipeline::{
    Bucket, GroupMod, GroupModCommand, GroupType, GROUP_ALL, GROUP_ANY, GROUP_MAX,
};

const TYPES: &[(&str, GroupType)] = &[
    ("all", GroupType::All),
    ("select", GroupType::Select),
    ("indirect", GroupType::Indirect),
    ("ff", GroupType::FastFailover),
    ("fast_failover", GroupType::FastFailover),
];

fn type_name(t: GroupType) -> &'static str {
    match t {
        GroupType::All => "all",
        GroupType::Select => "select",
        GroupType::Indirect => "indirect",
        GroupType::FastFailover => "ff",
    }
}

fn command_name(c: GroupModCommand) -> &'static str {
    match c {
        GroupModCommand::Add => "add-group",
        GroupModCommand::Modify => "mod-group",
        GroupModCommand::Delete => "del-groups",
    }
}

fn group_id(v: Tok<'_>, del: bool) -> PResult<u32> {
    if v.text == "all" {
        return Ok(GROUP_ALL);
    }
    if v.text == "any" && del {
        return Ok(GROUP_ANY);
    }
    let g = parse_uint_bits(v, "group_id=", "group_id", 32)? as u32;
    if g > GROUP_MAX && !(del && (g == GROUP_ALL || g == GROUP_ANY)) {
        return err(
            v.pos,
            format!("group_id {g} is out of range (0 to {GROUP_MAX})"),
        );
    }
    Ok(g)
}

pub(crate) fn parse_group_mod(
    input: &str,
    cmd: GroupModCommand,
    names: &dyn PortNames,
) -> PResult<GroupMod> {
    let del = cmd == GroupModCommand::Delete;
    let (head, buckets) = split_keyword(Tok::new(input, 0), "bucket");
    let mut gm = GroupMod {
        command: cmd,
        group_type: GroupType::All,
        group_id: GROUP_ALL,
        buckets: Vec::new(),
    };
    let mut id_at: Option<Tok<'_>> = None;
    let mut type_at: Option<Tok<'_>> = None;
    let mut lx = Lexer::sub(input, head);
    while let Some(p) = lx.next_pair()? {
        let k = p.key.text;
        let need = || {
            if p.delim == Delim::Eq {
                Ok(p.value)
            } else {
                err(p.key.pos, format!("expected a value for {k} ({k}=VALUE)"))
            }
        };
        match k {
            "group_id" => {
                if id_at.is_some() {
                    return err(p.key.pos, "group_id is given twice");
                }
                let v = need()?;
                gm.group_id = group_id(v, del)?;
                id_at = Some(v);
            }
            "type" => {
                if del {
                    return err(p.key.pos, "type is not needed in del-groups");
                }
                if type_at.is_some() {
                    return err(p.key.pos, "type is given twice");
                }
                let v = need()?;
                gm.group_type = match TYPES.iter().find(|t| t.0 == v.text) {
                    Some(t) => t.1,
                    None => {
                        return err(
                            v.pos,
                            format!(
                                "unknown group type {} (all, select, indirect or ff)",
                                v.shown()
                            ),
                        )
                    }
                };
                type_at = Some(p.key);
            }
            "selection_method" | "selection_method_param" | "fields" | "command_bucket_id" => {
                return err(
                    p.key.pos,
                    format!(
                        "{k} is OpenFlow 1.5 / an OVS extension (not available in OpenFlow 1.3)"
                    ),
                )
            }
            _ => return err(p.key.pos, format!("unknown keyword '{k}'")),
        }
    }
    if !del {
        let Some(id_at) = id_at else {
            return err(
                input.len(),
                format!("{} needs group_id=ID", command_name(cmd)),
            );
        };
        if gm.group_id == GROUP_ALL {
            return err(id_at.pos, "group_id=all is only valid in del-groups");
        }
        if type_at.is_none() {
            return err(
                input.len(),
                format!(
                    "{} needs type=all, select, indirect or ff",
                    command_name(cmd)
                ),
            );
        }
    }
    let ty = gm.group_type;
    for &(kw, body) in &buckets {
        if del {
            return err(kw.pos, "buckets are not allowed in del-groups");
        }
        gm.buckets.push(parse_bucket(input, kw, body, ty, names)?);
    }
    if ty == GroupType::Indirect && !del && buckets.len() != 1 {
        let at = buckets.get(1).map_or(input.len(), |b| b.0.pos);
        return err(at, "an indirect group needs exactly one bucket");
    }
    Ok(gm)
}

fn parse_bucket(
    input: &str,
    kw: Tok<'_>,
    body: Tok<'_>,
    ty: GroupType,
    names: &dyn PortNames,
) -> PResult<Bucket> {
    let mut b = Bucket {
        weight: if ty == GroupType::Select { 1 } else { 0 },
        watch_port: PortNo::ANY,
        watch_group: GROUP_ANY,
        actions: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut lx = Lexer::sub(input, body);
    let mut actions: Option<Tok<'_>> = None;
    while let Some(key) = lx.next_key()? {
        let k = key.text;
        if k == "actions" || k == "action" {
            actions = Some(lx.rest_after_equals(key)?);
            break;
        }
        if !matches!(k, "weight" | "watch_port" | "watch_group" | "bucket_id") {
            // The first action, without "actions=".
            actions = Some(Tok::new(&input[key.pos..body.end()], key.pos));
            break;
        }
        let (delim, v) = lx.value()?;
        if delim != Delim::Eq {
            return err(key.pos, format!("expected a value for {k} ({k}:VALUE)"));
        }
        if seen.contains(&k) {
            return err(key.pos, format!("{k} is given twice in one bucket"));
        }
        seen.push(k);
        match k {
            "weight" => {
                if ty != GroupType::Select {
                    return err(key.pos, "only select groups can have bucket weights");
                }
                b.weight = parse_uint_bits(v, "weight:", "weight", 16)? as u16;
            }
            "watch_port" => {
                if !matches!(ty, GroupType::FastFailover | GroupType::Select) {
                    return err(
                        key.pos,
                        "watch_port is only for fast_failover (ff) and select groups",
                    );
                }
                let p = parse_port(v, "watch_port:", names)?;
                if p.is_reserved() && p != PortNo::ANY {
                    return err(
                        v.pos,
                        format!("{} is not a port that can be watched", v.text),
                    );
                }
                b.watch_port = p;
            }
            "watch_group" => {
                if !matches!(ty, GroupType::FastFailover | GroupType::Select) {
                    return err(
                        key.pos,
                        "watch_group is only for fast_failover (ff) and select groups",
                    );
                }
                let g = parse_uint_bits(v, "watch_group:", "watch_group", 32)? as u32;
                if g > GROUP_MAX && g != GROUP_ANY {
                    return err(v.pos, format!("watch_group {g} is not a valid group id"));
                }
                b.watch_group = g;
            }
            _ => {
                return err(
                    key.pos,
                    "bucket_id is OpenFlow 1.5 (not available in OpenFlow 1.3)",
                )
            }
        }
    }
    if ty == GroupType::FastFailover && b.watch_port == PortNo::ANY && b.watch_group == GROUP_ANY {
        return err(
            kw.pos,
            "a fast_failover bucket needs watch_port or watch_group",
        );
    }
    if let Some(tok) = actions {
        b.actions = parse_bucket_actions(input, tok, names)?;
    }
    Ok(b)
}

pub(crate) fn format_group(g: &GroupMod, names: &dyn PortNames) -> String {
    let mut s = format!("group_id={}", g.group_id);
    if g.command == GroupModCommand::Delete {
        return s;
    }
    s.push_str(",type=");
    s.push_str(type_name(g.group_type));
    for b in &g.buckets {
        s.push_str(",bucket=");
        if g.group_type == GroupType::Select && b.weight != 1 {
            s.push_str(&format!("weight:{},", b.weight));
        }
        if b.watch_port != PortNo::ANY {
            s.push_str(&format!("watch_port:{},", format_port(b.watch_port, names)));
        }
        if b.watch_group != GROUP_ANY {
            s.push_str(&format!("watch_group:{},", b.watch_group));
        }
        s.push_str("actions=");
        if b.actions.is_empty() {
            s.push_str("drop");
        } else {
            s.push_str(&format_action_list(&b.actions, names));
        }
    }
    s
}
