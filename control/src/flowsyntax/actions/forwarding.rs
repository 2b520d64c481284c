//! Forwarding actions: output (to a port, CONTROLLER or in_port),
//! controller, drop, group and set_queue.
use super::*;

impl<'a> Parser<'a, '_> {
    /// `output`, `controller`, `drop`, `group`, `set_queue`.
    pub(super) fn forwarding(&self, p: &Pair<'a>, name: &str, after: &str) -> PResult<Item> {
        let single = |a: Action| Ok(Item::Actions(vec![a]));
        match name {
            "output" => {
                let v = need_value(p, name)?;
                if p.delim == Delim::Paren {
                    return self.output_paren(v);
                }
                let port = self.output_port(v, after)?;
                single(output(port, None))
            }
            "controller" => {
                let mut max_len = CML_NO_BUFFER;
                match p.delim {
                    Delim::None => {}
                    Delim::Eq => {
                        if !p.value.is_empty() {
                            max_len = controller_max_len(p.value, after)?;
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
                let g = parse_uint_bits(v, after, "a group id", 32)? as u32;
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
                    parse_uint_bits(v, after, "a queue id", 32)? as u32,
                ))
            }
            _ => err(p.key.pos, format!("unknown action '{}'", p.key.text)),
        }
    }

    pub(super) fn output_port(&self, tok: Tok<'_>, after: &str) -> PResult<PortNo> {
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

pub(super) fn output(port: PortNo, max_len: Option<u16>) -> Action {
    let max_len = match max_len {
        Some(m) => m,
        None if port == PortNo::CONTROLLER => CML_NO_BUFFER,
        None => 0,
    };
    Action::Output { port, max_len }
}
