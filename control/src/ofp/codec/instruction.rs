//! OpenFlow 1.3 instructions (OFPIT_*, §7.2.4) ⇄ [`Instruction`].
use super::action::{actions_len, decode_actions, encode_actions};
use super::buf::{err, multiple_of, Put, Reader, Res};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind};
use crate::pipeline::model::Instruction;

/// OFPIT_* instruction types.
pub mod inst_type {
    pub const GOTO_TABLE: u16 = 1;
    pub const WRITE_METADATA: u16 = 2;
    pub const WRITE_ACTIONS: u16 = 3;
    pub const APPLY_ACTIONS: u16 = 4;
    pub const CLEAR_ACTIONS: u16 = 5;
    pub const METER: u16 = 6;
    pub const EXPERIMENTER: u16 = 0xffff;
}
use inst_type as it;

/// The OFPIT_* type of an instruction.
pub fn inst_type_of(i: &Instruction) -> u16 {
    match i {
        Instruction::GotoTable(_) => it::GOTO_TABLE,
        Instruction::WriteMetadata { .. } => it::WRITE_METADATA,
        Instruction::WriteActions(_) => it::WRITE_ACTIONS,
        Instruction::ApplyActions(_) => it::APPLY_ACTIONS,
        Instruction::ClearActions => it::CLEAR_ACTIONS,
        Instruction::Meter(_) => it::METER,
    }
}

fn type_name(t: u16) -> &'static str {
    match t {
        it::GOTO_TABLE => "goto_table",
        it::WRITE_METADATA => "write_metadata",
        it::WRITE_ACTIONS => "write_actions",
        it::APPLY_ACTIONS => "apply_actions",
        it::CLEAR_ACTIONS => "clear_actions",
        it::METER => "meter",
        it::EXPERIMENTER => "experimenter",
        _ => "unknown",
    }
}

fn bad_inst(c: u16, message: String) -> OfpError {
    err(OfpErrorKind::BadInstruction(c), message)
}

/// Wire length of one instruction.
pub fn inst_len(i: &Instruction) -> usize {
    match i {
        Instruction::WriteMetadata { .. } => 24,
        Instruction::WriteActions(a) | Instruction::ApplyActions(a) => 8 + actions_len(a),
        _ => 8,
    }
}

/// Wire length of an instruction list.
pub fn instructions_len(insts: &[Instruction]) -> usize {
    insts.iter().map(inst_len).sum()
}

/// Appends an instruction list.
pub fn encode_instructions(out: &mut Vec<u8>, insts: &[Instruction]) {
    for i in insts {
        out.put_u16(inst_type_of(i));
        out.put_u16(u16::try_from(inst_len(i)).unwrap_or(u16::MAX));
        match i {
            Instruction::GotoTable(t) => {
                out.put_u8(*t);
                out.put_zeros(3);
            }
            Instruction::WriteMetadata { value, mask } => {
                out.put_zeros(4);
                out.put_u64(*value);
                out.put_u64(*mask);
            }
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                out.put_zeros(4);
                encode_actions(out, a);
            }
            Instruction::ClearActions => out.put_zeros(4),
            Instruction::Meter(m) => out.put_u32(*m),
        }
    }
}

/// Parses an instruction list that fills `bytes` exactly. At most one
/// instruction of each type is allowed (§7.2.4); a repeat is reported as
/// OFPBIC_UNSUP_INST, OpenFlow 1.3 having no code of its own for it.
pub fn decode_instructions(bytes: &[u8]) -> Res<Vec<Instruction>> {
    let mut r = Reader::new(bytes);
    let mut out: Vec<Instruction> = Vec::new();
    while !r.is_empty() {
        let n = r.remaining();
        let short = |_| {
            bad_inst(
                code::BAD_INST_LEN,
                format!("{n} trailing bytes are too short for an instruction header"),
            )
        };
        let t = r.u16().map_err(short)?;
        let len = usize::from(r.u16().map_err(short)?);
        let name = type_name(t);
        if len < 8 || !multiple_of(len, 8) {
            return Err(bad_inst(
                code::BAD_INST_LEN,
                format!(
                    "{name} instruction has length {len}: must be a multiple of 8 and at least 8"
                ),
            ));
        }
        let mut b = r.sub(len - 4).map_err(|_| {
            bad_inst(
                code::BAD_INST_LEN,
                format!("{name} instruction length {len} overruns the instruction list"),
            )
        })?;
        let fixed = |want: usize| -> Res<()> {
            if len == want {
                Ok(())
            } else {
                Err(bad_inst(
                    code::BAD_INST_LEN,
                    format!("{name} instruction has length {len}, expected {want}"),
                ))
            }
        };
        let trunc = |_| {
            bad_inst(
                code::BAD_INST_LEN,
                format!("{name} instruction is truncated"),
            )
        };
        let inst = match t {
            it::GOTO_TABLE => {
                fixed(8)?;
                Instruction::GotoTable(b.u8().map_err(trunc)?)
            }
            it::WRITE_METADATA => {
                fixed(24)?;
                b.skip(4).map_err(trunc)?;
                let value = b.u64().map_err(trunc)?;
                let mask = b.u64().map_err(trunc)?;
                Instruction::WriteMetadata { value, mask }
            }
            it::WRITE_ACTIONS | it::APPLY_ACTIONS => {
                b.skip(4).map_err(trunc)?;
                let acts = decode_actions(b.rest())?;
                if t == it::WRITE_ACTIONS {
                    Instruction::WriteActions(acts)
                } else {
                    Instruction::ApplyActions(acts)
                }
            }
            it::CLEAR_ACTIONS => {
                fixed(8)?;
                Instruction::ClearActions
            }
            it::METER => {
                fixed(8)?;
                Instruction::Meter(b.u32().map_err(trunc)?)
            }
            it::EXPERIMENTER => {
                let exp = b.u32().map_err(trunc)?;
                return Err(bad_inst(
                    code::BAD_INST_EXPERIMENTER,
                    format!("experimenter instruction {exp:#010x} is not supported"),
                ));
            }
            _ => {
                return Err(bad_inst(
                    code::UNKNOWN_INST,
                    format!("unknown instruction type {t}"),
                ))
            }
        };
        if out.iter().any(|i| inst_type_of(i) == t) {
            return Err(bad_inst(
                code::UNSUP_INST,
                format!("{name} instruction appears more than once"),
            ));
        }
        out.push(inst);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::action::tests::arb_action;
    use super::*;
    use proptest::prelude::*;

    fn kind(b: &[u8]) -> OfpErrorKind {
        decode_instructions(b).expect_err("should fail").kind
    }

    #[test]
    fn errors() {
        use OfpErrorKind::{BadAction, BadInstruction};
        assert_eq!(
            kind(&[0, 9, 0, 8, 0, 0, 0, 0]),
            BadInstruction(code::UNKNOWN_INST)
        );
        assert_eq!(kind(&[0, 1, 0, 4]), BadInstruction(code::BAD_INST_LEN));
        assert_eq!(
            kind(&[0, 1, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]),
            BadInstruction(code::BAD_INST_LEN)
        );
        assert_eq!(
            kind(&[0, 1, 0, 16, 0, 0, 0, 0]),
            BadInstruction(code::BAD_INST_LEN)
        );
        assert_eq!(
            kind(&[0, 1, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            BadInstruction(code::BAD_INST_LEN)
        );
        assert_eq!(
            kind(&[0, 2, 0, 8, 0, 0, 0, 0]),
            BadInstruction(code::BAD_INST_LEN)
        );
        assert_eq!(kind(&[0, 1]), BadInstruction(code::BAD_INST_LEN));
        assert_eq!(
            kind(&[0xff, 0xff, 0, 8, 0, 0, 0x23, 0x20]),
            BadInstruction(code::BAD_INST_EXPERIMENTER)
        );
        assert_eq!(
            kind(&[0, 1, 0, 8, 1, 0, 0, 0, 0, 1, 0, 8, 2, 0, 0, 0]),
            BadInstruction(code::UNSUP_INST)
        );
        // Errors inside an action list surface as BadAction.
        assert_eq!(
            kind(&[0, 4, 0, 16, 0, 0, 0, 0, 0, 99, 0, 8, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_TYPE)
        );
        assert_eq!(
            decode_instructions(&[0, 4, 0, 8, 0, 0, 0, 0]),
            Ok(vec![Instruction::ApplyActions(vec![])])
        );
    }

    pub(crate) fn arb_instructions() -> impl Strategy<Value = Vec<Instruction>> {
        let acts = || proptest::collection::vec(arb_action(), 0..5);
        (
            proptest::option::of(any::<u8>()),
            proptest::option::of((any::<u64>(), any::<u64>())),
            proptest::option::of(acts()),
            proptest::option::of(acts()),
            any::<bool>(),
            proptest::option::of(any::<u32>()),
        )
            .prop_map(|(goto, wm, wa, aa, clear, meter)| {
                let mut v = Vec::new();
                if let Some(m) = meter {
                    v.push(Instruction::Meter(m));
                }
                if let Some(a) = aa {
                    v.push(Instruction::ApplyActions(a));
                }
                if clear {
                    v.push(Instruction::ClearActions);
                }
                if let Some(a) = wa {
                    v.push(Instruction::WriteActions(a));
                }
                if let Some((value, mask)) = wm {
                    v.push(Instruction::WriteMetadata { value, mask });
                }
                if let Some(t) = goto {
                    v.push(Instruction::GotoTable(t));
                }
                v
            })
    }

    proptest! {
        #[test]
        fn instructions_round_trip(insts in arb_instructions()) {
            let mut b = Vec::new();
            encode_instructions(&mut b, &insts);
            prop_assert_eq!(b.len(), instructions_len(&insts));
            prop_assert_eq!(decode_instructions(&b), Ok(insts));
        }

        #[test]
        fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_instructions(&b);
        }
    }
}
