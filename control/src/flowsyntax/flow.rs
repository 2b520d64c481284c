//! Flow lines for add-flow / mod-flows / del-flows: the flow-mod keywords
//! (`table`, `priority`, `cookie`, timeouts, flags, `out_port`, ...), the
//! match, and `actions=` (which must come last: everything after it is
//! actions).
use super::actions::parse_flow_instructions;
use super::format::{is_delete, FLAG_NAMES};
use super::lexer::{err, Delim, Lexer, PResult, Pair, Tok};
use super::matches::{parse_port, parse_uint_bits, unknown_field_message, MatchBuilder};
use super::PortNames;
use crate::pipeline::{FlowMod, FlowModCommand, GROUP_ALL, GROUP_ANY, GROUP_MAX, TABLE_ALL};

/// Keys that dump-flows prints and that ovs-ofctl ignores when such a
/// line is fed back.
const STATS_KEYS: &[&str] = &["duration", "n_packets", "n_bytes", "idle_age", "hard_age"];

fn command_name(c: FlowModCommand) -> &'static str {
    match c {
        FlowModCommand::Add => "add-flow",
        FlowModCommand::Modify => "mod-flows",
        FlowModCommand::ModifyStrict => "mod-flows --strict",
        FlowModCommand::Delete => "del-flows",
        FlowModCommand::DeleteStrict => "del-flows --strict",
    }
}

fn value<'a>(p: &Pair<'a>) -> PResult<Tok<'a>> {
    if p.delim != Delim::Eq {
        return err(
            p.key.pos,
            format!("expected a value for {0} ({0}=VALUE)", p.key.text),
        );
    }
    Ok(p.value)
}

pub(crate) fn parse_flow_mod(
    input: &str,
    cmd: FlowModCommand,
    names: &dyn PortNames,
) -> PResult<FlowMod> {
    let del = is_delete(cmd);
    let add = cmd == FlowModCommand::Add;
    let mut fm = FlowMod {
        command: cmd,
        table_id: if del { TABLE_ALL } else { 0 },
        ..FlowMod::default()
    };
    if !add && input.trim().is_empty() {
        // del-flows / mod-flows with nothing: every flow.
        return Ok(fm);
    }
    let mut lx = Lexer::new(input);
    let mut mb = MatchBuilder::new(names, false);
    let mut seen: Vec<&str> = Vec::new();
    let mut actions: Option<Tok<'_>> = None;
    while let Some(key) = lx.next_key()? {
        if key.text == "actions" || key.text == "action" {
            if del {
                return err(
                    key.pos,
                    format!("actions are not allowed in {}", command_name(cmd)),
                );
            }
            actions = Some(lx.rest_after_equals(key)?);
            break;
        }
        let (delim, v) = lx.value()?;
        let p = Pair {
            key,
            delim,
            value: v,
        };
        let k = key.text;
        let is_keyword = matches!(
            k,
            "table"
                | "priority"
                | "cookie"
                | "idle_timeout"
                | "hard_timeout"
                | "out_port"
                | "out_group"
                | "buffer_id"
                | "importance"
        ) || FLAG_NAMES.iter().any(|f| f.1 == k);
        if is_keyword {
            if seen.contains(&k) {
                return err(key.pos, format!("{k} is given twice"));
            }
            seen.push(k);
        }
        let not_here = || {
            err(
                key.pos,
                format!("{k} is not allowed in {}", command_name(cmd)),
            )
        };
        match k {
            "table" => {
                let v = value(&p)?;
                let t = if v.text == "all" {
                    u128::from(TABLE_ALL)
                } else {
                    parse_uint_bits(v, "table=", "table", 8)?
                };
                if t == u128::from(TABLE_ALL) && !del {
                    return err(
                        v.pos,
                        "table=255 (all tables) is only valid when deleting flows; tables are 0 to 254",
                    );
                }
                fm.table_id = t as u8;
            }
            "priority" => {
                if cmd == FlowModCommand::Delete {
                    return err(
                        key.pos,
                        "priority is not allowed in del-flows without --strict (it deletes flows of every priority)",
                    );
                }
                fm.priority = parse_uint_bits(value(&p)?, "priority=", "priority", 16)? as u16;
            }
            "cookie" => {
                let v = value(&p)?;
                match v.split_once("/") {
                    Some((c, m)) => {
                        if add {
                            return err(m.pos - 1, "flow additions cannot use a cookie mask");
                        }
                        fm.cookie = parse_uint_bits(c, "cookie=", "cookie", 64)? as u64;
                        fm.cookie_mask = if m.text == "-1" {
                            u64::MAX
                        } else {
                            parse_uint_bits(m, "cookie=", "the cookie mask", 64)? as u64
                        };
                    }
                    None => {
                        if del {
                            return err(
                                v.pos,
                                format!("del-flows cannot set a cookie (to match on a cookie, give a mask, e.g. cookie={}/-1)", v.text),
                            );
                        }
                        fm.cookie = parse_uint_bits(v, "cookie=", "cookie", 64)? as u64;
                    }
                }
            }
            "idle_timeout" | "hard_timeout" => {
                if del {
                    return not_here();
                }
                let t = parse_uint_bits(value(&p)?, &format!("{k}="), k, 16)? as u16;
                if k == "idle_timeout" {
                    fm.idle_timeout = t;
                } else {
                    fm.hard_timeout = t;
                }
            }
            "out_port" => {
                if !del {
                    return not_here();
                }
                fm.out_port = parse_port(value(&p)?, "out_port=", names)?;
            }
            "out_group" => {
                if !del {
                    return not_here();
                }
                let v = value(&p)?;
                fm.out_group = match v.text {
                    "any" | "ANY" => GROUP_ANY,
                    "all" | "ALL" => GROUP_ALL,
                    _ => {
                        let g = parse_uint_bits(v, "out_group=", "out_group", 32)? as u32;
                        if g > GROUP_MAX && g != GROUP_ANY && g != GROUP_ALL {
                            return err(v.pos, format!("out_group {g} is not a valid group id"));
                        }
                        g
                    }
                };
            }
            "buffer_id" => {
                if del {
                    return not_here();
                }
                fm.buffer_id = parse_uint_bits(value(&p)?, "buffer_id=", "buffer_id", 32)? as u32;
            }
            "importance" => {
                return err(
                    key.pos,
                    "importance is OpenFlow 1.4+ (not available in OpenFlow 1.3)",
                );
            }
            // Statistics pasted from dump-flows: ignored, as by ovs-ofctl.
            _ if STATS_KEYS.contains(&k) => {}
            _ => {
                if let Some(&(bit, _)) = FLAG_NAMES.iter().find(|f| f.1 == k) {
                    if del {
                        return not_here();
                    }
                    if p.delim != Delim::None {
                        return err(p.value.pos, format!("{k} takes no value"));
                    }
                    fm.flags |= bit;
                    continue;
                }
                if !mb.add(&p)? {
                    return err(key.pos, unknown_field_message(k));
                }
            }
        }
    }
    fm.match_ = mb.finish()?;
    match actions {
        Some(tok) => {
            fm.instructions = parse_flow_instructions(input, tok, &fm.match_, fm.table_id, names)?;
        }
        None if !del => {
            return err(
                lx.end_pos(),
                format!(
                    "{} needs actions (add actions=... at the end, or actions=drop)",
                    command_name(cmd)
                ),
            );
        }
        None => {}
    }
    Ok(fm)
}
