//! Instructions other than apply-actions: meter, write_actions,
//! clear_actions, write_metadata and goto_table.
use super::*;

impl<'a> Parser<'a, '_> {
    /// `meter`, `write_actions`, `clear_actions`, `write_metadata`, `goto_table`.
    pub(super) fn instruction(
        &self,
        p: &Pair<'a>,
        name: &str,
        after: &str,
        state: &mut FlowState,
        place: Place,
    ) -> PResult<Item> {
        match name {
            "meter" => {
                let v = need_value(p, name)?;
                let id = match v.text {
                    "slowpath" => METER_SLOWPATH,
                    "controller" => METER_CONTROLLER,
                    _ => parse_uint_bits(v, after, "a meter id", 32)? as u32,
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
                let value = parse_uint_bits(vt, after, name, 64)? as u64;
                let mask = match mt {
                    Some(mt) => parse_uint_bits(mt, after, "the write_metadata mask", 64)? as u64,
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
                let t = parse_uint(v, after)?;
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
            _ => err(p.key.pos, format!("unknown action '{}'", p.key.text)),
        }
    }
}
