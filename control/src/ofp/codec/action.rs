//! OpenFlow 1.3 actions (OFPAT_*, §7.2.5) ⇄ [`Action`]. Every standard
//! action decodes, including MPLS and PBB ones the pipeline does not
//! implement (it rejects those itself); the codec checks syntax only.
use fastpath::flow::Field;

use super::buf::{be_uint, err, multiple_of, round8, Put, Reader, Res};
use super::oxm::{field_header, label, on_wire, OFPXMC_EXPERIMENTER};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};
use crate::pipeline::model::{Action, CML_NO_BUFFER};

/// OFPCML_MAX: the largest max_len that asks for a specific number of
/// bytes (OpenFlow 1.3.5 §7.2.5); above it only OFPCML_NO_BUFFER is valid.
pub const CML_MAX: u16 = 0xffe5;

/// Whether `max_len` is valid for an output to OFPP_CONTROLLER: at most
/// OFPCML_MAX, or OFPCML_NO_BUFFER.
pub fn controller_max_len_valid(max_len: u16) -> bool {
    max_len <= CML_MAX || max_len == CML_NO_BUFFER
}

/// OFPAT_* action types.
pub mod action_type {
    pub const OUTPUT: u16 = 0;
    pub const COPY_TTL_OUT: u16 = 11;
    pub const COPY_TTL_IN: u16 = 12;
    pub const SET_MPLS_TTL: u16 = 15;
    pub const DEC_MPLS_TTL: u16 = 16;
    pub const PUSH_VLAN: u16 = 17;
    pub const POP_VLAN: u16 = 18;
    pub const PUSH_MPLS: u16 = 19;
    pub const POP_MPLS: u16 = 20;
    pub const SET_QUEUE: u16 = 21;
    pub const GROUP: u16 = 22;
    pub const SET_NW_TTL: u16 = 23;
    pub const DEC_NW_TTL: u16 = 24;
    pub const SET_FIELD: u16 = 25;
    pub const PUSH_PBB: u16 = 26;
    pub const POP_PBB: u16 = 27;
    pub const EXPERIMENTER: u16 = 0xffff;
}
use action_type as at;

/// The OFPAT_* type of an action.
pub fn action_type_of(a: &Action) -> u16 {
    match a {
        Action::Output { .. } => at::OUTPUT,
        Action::CopyTtlOut => at::COPY_TTL_OUT,
        Action::CopyTtlIn => at::COPY_TTL_IN,
        Action::SetMplsTtl(_) => at::SET_MPLS_TTL,
        Action::DecMplsTtl => at::DEC_MPLS_TTL,
        Action::PushVlan(_) => at::PUSH_VLAN,
        Action::PopVlan => at::POP_VLAN,
        Action::PushMpls(_) => at::PUSH_MPLS,
        Action::PopMpls(_) => at::POP_MPLS,
        Action::SetQueue(_) => at::SET_QUEUE,
        Action::Group(_) => at::GROUP,
        Action::SetNwTtl(_) => at::SET_NW_TTL,
        Action::DecNwTtl => at::DEC_NW_TTL,
        Action::SetField { .. } => at::SET_FIELD,
        Action::PushPbb(_) => at::PUSH_PBB,
        Action::PopPbb => at::POP_PBB,
    }
}

fn type_name(t: u16) -> &'static str {
    match t {
        at::OUTPUT => "output",
        at::COPY_TTL_OUT => "copy_ttl_out",
        at::COPY_TTL_IN => "copy_ttl_in",
        at::SET_MPLS_TTL => "set_mpls_ttl",
        at::DEC_MPLS_TTL => "dec_mpls_ttl",
        at::PUSH_VLAN => "push_vlan",
        at::POP_VLAN => "pop_vlan",
        at::PUSH_MPLS => "push_mpls",
        at::POP_MPLS => "pop_mpls",
        at::SET_QUEUE => "set_queue",
        at::GROUP => "group",
        at::SET_NW_TTL => "set_nw_ttl",
        at::DEC_NW_TTL => "dec_nw_ttl",
        at::SET_FIELD => "set_field",
        at::PUSH_PBB => "push_pbb",
        at::POP_PBB => "pop_pbb",
        at::EXPERIMENTER => "experimenter",
        _ => "unknown",
    }
}

fn bad_action(c: u16, message: String) -> OfpError {
    err(OfpErrorKind::BadAction(c), message)
}

/// Wire length of one action.
pub fn action_len(a: &Action) -> usize {
    match a {
        Action::Output { .. } => 16,
        Action::SetField { field, .. } => round8(8 + usize::from(field.def().wire_bytes)),
        _ => 8,
    }
}

/// Wire length of an action list.
pub fn actions_len(actions: &[Action]) -> usize {
    actions.iter().map(action_len).sum()
}

/// Appends one action.
pub fn encode_action(out: &mut Vec<u8>, a: &Action) {
    let t = action_type_of(a);
    out.put_u16(t);
    out.put_u16(action_len(a) as u16);
    match *a {
        Action::Output { port, max_len } => {
            out.put_u32(port.0);
            out.put_u16(max_len);
            out.put_zeros(6);
        }
        Action::SetMplsTtl(ttl) | Action::SetNwTtl(ttl) => {
            out.put_u8(ttl);
            out.put_zeros(3);
        }
        Action::PushVlan(e) | Action::PushMpls(e) | Action::PopMpls(e) | Action::PushPbb(e) => {
            out.put_u16(e);
            out.put_zeros(2);
        }
        Action::SetQueue(x) | Action::Group(x) => out.put_u32(x),
        Action::SetField { field, value } => {
            let start = out.len() - 4;
            let wb = usize::from(field.def().wire_bytes);
            out.put_u32(field_header(field, false));
            out.put_uint(value, wb);
            out.pad8_from(start);
        }
        Action::CopyTtlOut
        | Action::CopyTtlIn
        | Action::DecMplsTtl
        | Action::PopVlan
        | Action::DecNwTtl
        | Action::PopPbb => out.put_zeros(4),
    }
}

/// Appends an action list.
pub fn encode_actions(out: &mut Vec<u8>, actions: &[Action]) {
    for a in actions {
        encode_action(out, a);
    }
}

/// Parses an action list that fills `bytes` exactly.
pub fn decode_actions(bytes: &[u8]) -> Res<Vec<Action>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let short = |n: usize| {
            bad_action(
                code::BAD_ACTION_LEN,
                format!("{n} trailing bytes are too short for an action header"),
            )
        };
        let n = r.remaining();
        let t = r.u16().map_err(|_| short(n))?;
        let len = usize::from(r.u16().map_err(|_| short(n))?);
        if len < 8 || !multiple_of(len, 8) {
            return Err(bad_action(
                code::BAD_ACTION_LEN,
                format!(
                    "{} action has length {len}: must be a multiple of 8 and at least 8",
                    type_name(t)
                ),
            ));
        }
        let body = r.bytes(len - 4).map_err(|_| {
            bad_action(
                code::BAD_ACTION_LEN,
                format!(
                    "{} action length {len} overruns the action list",
                    type_name(t)
                ),
            )
        })?;
        out.push(decode_action(t, len, Reader::new(body))?);
    }
    Ok(out)
}

/// One action; `b` holds the bytes after type and length.
fn decode_action(t: u16, len: usize, mut b: Reader<'_>) -> Res<Action> {
    let fixed = |want: usize| -> Res<()> {
        if len == want {
            Ok(())
        } else {
            Err(bad_action(
                code::BAD_ACTION_LEN,
                format!("{} action has length {len}, expected {want}", type_name(t)),
            ))
        }
    };
    // The lengths were checked above, so the reads below cannot fail;
    // they still go through the checked reader.
    let trunc = |_| {
        bad_action(
            code::BAD_ACTION_LEN,
            format!("{} action is truncated", type_name(t)),
        )
    };
    Ok(match t {
        at::OUTPUT => {
            fixed(16)?;
            let port = PortNo(b.u32().map_err(trunc)?);
            let max_len = b.u16().map_err(trunc)?;
            // OVS ignores max_len here; the spec reserves 0xffe6..=0xfffe.
            if port == PortNo::CONTROLLER && !controller_max_len_valid(max_len) {
                return Err(bad_action(
                    code::BAD_ARGUMENT,
                    format!(
                        "output to CONTROLLER has max_len {max_len:#06x}: it must be at most \
                         OFPCML_MAX ({CML_MAX:#06x}) or OFPCML_NO_BUFFER (0xffff)"
                    ),
                ));
            }
            Action::Output { port, max_len }
        }
        at::COPY_TTL_OUT => fixed(8).map(|_| Action::CopyTtlOut)?,
        at::COPY_TTL_IN => fixed(8).map(|_| Action::CopyTtlIn)?,
        at::DEC_MPLS_TTL => fixed(8).map(|_| Action::DecMplsTtl)?,
        at::POP_VLAN => fixed(8).map(|_| Action::PopVlan)?,
        at::DEC_NW_TTL => fixed(8).map(|_| Action::DecNwTtl)?,
        at::POP_PBB => fixed(8).map(|_| Action::PopPbb)?,
        at::SET_MPLS_TTL => {
            fixed(8)?;
            Action::SetMplsTtl(b.u8().map_err(trunc)?)
        }
        at::SET_NW_TTL => {
            fixed(8)?;
            Action::SetNwTtl(b.u8().map_err(trunc)?)
        }
        at::PUSH_VLAN => {
            fixed(8)?;
            let e = b.u16().map_err(trunc)?;
            if e != 0x8100 && e != 0x88a8 {
                return Err(bad_action(
                    code::BAD_ARGUMENT,
                    format!("push_vlan ethertype {e:#06x} is not 0x8100 or 0x88a8"),
                ));
            }
            Action::PushVlan(e)
        }
        at::PUSH_MPLS => {
            fixed(8)?;
            Action::PushMpls(b.u16().map_err(trunc)?)
        }
        at::POP_MPLS => {
            fixed(8)?;
            Action::PopMpls(b.u16().map_err(trunc)?)
        }
        at::PUSH_PBB => {
            fixed(8)?;
            Action::PushPbb(b.u16().map_err(trunc)?)
        }
        at::SET_QUEUE => {
            fixed(8)?;
            Action::SetQueue(b.u32().map_err(trunc)?)
        }
        at::GROUP => {
            fixed(8)?;
            Action::Group(b.u32().map_err(trunc)?)
        }
        at::SET_FIELD => decode_set_field(len, b)?,
        at::EXPERIMENTER => {
            let exp = b.u32().map_err(trunc)?;
            return Err(bad_action(
                code::BAD_ACTION_EXPERIMENTER,
                format!("experimenter action {exp:#010x} is not supported"),
            ));
        }
        _ => {
            return Err(bad_action(
                code::BAD_ACTION_TYPE,
                format!("unknown action type {t}"),
            ))
        }
    })
}

fn decode_set_field(len: usize, mut b: Reader<'_>) -> Res<Action> {
    let header = b.u32().map_err(|_| {
        bad_action(
            code::BAD_SET_LEN,
            "set_field action is truncated".to_string(),
        )
    })?;
    let class = (header >> 16) as u16;
    let fno = ((header >> 9) & 0x7f) as u8;
    let has_mask = header & 0x100 != 0;
    let olen = (header & 0xff) as usize;
    let lbl = label(class, fno);
    let field = Field::from_oxm(class, fno)
        .filter(|f| class != OFPXMC_EXPERIMENTER && on_wire(f.def()))
        .ok_or_else(|| {
            bad_action(
                code::BAD_SET_TYPE,
                format!("set_field of unknown field {lbl}"),
            )
        })?;
    let d = field.def();
    if !d.settable {
        return Err(bad_action(
            code::BAD_SET_TYPE,
            format!("set_field of field {lbl}, which cannot be set"),
        ));
    }
    if has_mask {
        return Err(bad_action(
            code::BAD_SET_ARGUMENT,
            format!("set_field of {lbl} has a mask (not allowed in OpenFlow 1.3)"),
        ));
    }
    let wb = usize::from(d.wire_bytes);
    if olen != wb {
        return Err(bad_action(
            code::BAD_SET_LEN,
            format!("set_field of {lbl} has OXM length {olen}, expected {wb}"),
        ));
    }
    let want = round8(8 + wb);
    if len != want {
        return Err(bad_action(
            code::BAD_SET_LEN,
            format!("set_field of {lbl} has action length {len}, expected {want}"),
        ));
    }
    let value = be_uint(b.bytes(wb).map_err(|_| {
        bad_action(
            code::BAD_SET_LEN,
            format!("set_field of {lbl} is truncated"),
        )
    })?);
    if b.rest().iter().any(|&x| x != 0) {
        return Err(bad_action(
            code::BAD_SET_ARGUMENT,
            format!("set_field of {lbl} has non-zero padding"),
        ));
    }
    let max = field.max_value();
    if value > max {
        return Err(bad_action(
            code::BAD_SET_ARGUMENT,
            format!("set_field of {lbl} value {value:#x} is out of range (max {max:#x})"),
        ));
    }
    Ok(Action::SetField { field, value })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use fastpath::flow::FIELDS;
    use proptest::prelude::*;

    fn kind(b: &[u8]) -> OfpErrorKind {
        decode_actions(b).expect_err("should fail").kind
    }

    fn output(port: u32, max_len: u16) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 16];
        b.extend_from_slice(&port.to_be_bytes());
        b.extend_from_slice(&max_len.to_be_bytes());
        b.extend_from_slice(&[0; 6]);
        b
    }

    #[test]
    fn controller_max_len_range() {
        let ctl = PortNo::CONTROLLER.0;
        for m in [0, 128, CML_MAX, CML_NO_BUFFER] {
            assert_eq!(
                decode_actions(&output(ctl, m)),
                Ok(vec![Action::Output {
                    port: PortNo::CONTROLLER,
                    max_len: m
                }]),
                "max_len {m:#x}"
            );
        }
        for m in [0xffe6, 0xfff0, 0xfffe] {
            let e = decode_actions(&output(ctl, m)).expect_err("reserved max_len");
            assert_eq!(e.kind, OfpErrorKind::BadAction(code::BAD_ARGUMENT));
            assert!(e.message.contains(&format!("{m:#06x}")), "{}", e.message);
        }
        // max_len means nothing for other ports (as in OVS): not checked.
        assert!(decode_actions(&output(1, 0xfff0)).is_ok());
    }

    #[test]
    fn errors() {
        use OfpErrorKind::BadAction;
        // Unknown type.
        assert_eq!(
            kind(&[0, 99, 0, 8, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_TYPE)
        );
        // OFPAT_SET_VLAN_VID (1.0 action 1) is not a 1.3 action.
        assert_eq!(
            kind(&[0, 1, 0, 8, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_TYPE)
        );
        // Bad lengths.
        assert_eq!(
            kind(&[0, 0, 0, 8, 0, 0, 0, 1]),
            BadAction(code::BAD_ACTION_LEN)
        );
        assert_eq!(
            kind(&[0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_LEN)
        );
        assert_eq!(
            kind(&[0, 18, 0, 4, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_LEN)
        );
        assert_eq!(
            kind(&[0, 18, 0, 16, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_LEN)
        );
        assert_eq!(
            kind(&[0, 18, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_LEN)
        );
        assert_eq!(kind(&[0, 18]), BadAction(code::BAD_ACTION_LEN));
        // Experimenter.
        assert_eq!(
            kind(&[0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 0, 0, 0, 0, 0, 0, 0]),
            BadAction(code::BAD_ACTION_EXPERIMENTER)
        );
        // Bad push_vlan ethertype.
        assert_eq!(
            kind(&[0, 17, 0, 8, 0x08, 0x00, 0, 0]),
            BadAction(code::BAD_ARGUMENT)
        );
        // set_field: not settable (in_port), unknown, masked, bad lengths,
        // bad value, bad padding.
        let sf = |h: u32, rest: &[u8]| {
            let mut v = Vec::new();
            v.put_u16(25);
            v.put_u16((8 + rest.len()) as u16);
            v.put_u32(h);
            v.extend_from_slice(rest);
            v
        };
        assert_eq!(
            kind(&sf(0x8000_0004, &[0, 0, 0, 1, 0, 0, 0, 0])),
            BadAction(code::BAD_SET_TYPE)
        );
        assert_eq!(
            kind(&sf(0x8000_4404, &[0, 0, 0, 1, 0, 0, 0, 0])),
            BadAction(code::BAD_SET_TYPE)
        );
        assert_eq!(
            kind(&sf(
                0x8000_1908,
                &[10, 0, 0, 1, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0]
            )),
            BadAction(code::BAD_SET_ARGUMENT)
        );
        assert_eq!(
            kind(&sf(0x8000_1802, &[10, 0, 0, 0, 0, 0, 0, 0])),
            BadAction(code::BAD_SET_LEN)
        );
        assert_eq!(
            kind(&sf(
                0x8000_1804,
                &[10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            )),
            BadAction(code::BAD_SET_LEN)
        );
        assert_eq!(
            kind(&sf(0x8000_0c02, &[0x20, 0, 0, 0, 0, 0, 0, 0])),
            BadAction(code::BAD_SET_ARGUMENT)
        );
        assert_eq!(
            kind(&sf(0x8000_1804, &[10, 0, 0, 1, 0, 0, 0, 1])),
            BadAction(code::BAD_SET_ARGUMENT)
        );
        assert_eq!(
            decode_actions(&sf(0x8000_1804, &[10, 0, 0, 1, 0, 0, 0, 0])),
            Ok(vec![Action::SetField {
                field: Field::Ipv4Dst,
                value: 0x0a00_0001
            }])
        );
    }

    pub(crate) fn arb_action() -> impl Strategy<Value = Action> {
        let settable: Vec<Field> = FIELDS
            .iter()
            .filter(|d| d.settable && on_wire(d))
            .map(|d| d.field)
            .collect();
        prop_oneof![
            (any::<u32>(), any::<u16>())
                .prop_filter("valid controller max_len", |&(p, m)| {
                    PortNo(p) != PortNo::CONTROLLER || controller_max_len_valid(m)
                })
                .prop_map(|(p, m)| Action::Output {
                    port: PortNo(p),
                    max_len: m
                }),
            Just(Action::CopyTtlOut),
            Just(Action::CopyTtlIn),
            any::<u8>().prop_map(Action::SetMplsTtl),
            Just(Action::DecMplsTtl),
            prop_oneof![Just(0x8100u16), Just(0x88a8)].prop_map(Action::PushVlan),
            Just(Action::PopVlan),
            any::<u16>().prop_map(Action::PushMpls),
            any::<u16>().prop_map(Action::PopMpls),
            any::<u32>().prop_map(Action::SetQueue),
            any::<u32>().prop_map(Action::Group),
            any::<u8>().prop_map(Action::SetNwTtl),
            Just(Action::DecNwTtl),
            (proptest::sample::select(settable), any::<u128>()).prop_map(|(field, v)| {
                Action::SetField {
                    field,
                    value: v & field.max_value(),
                }
            }),
            any::<u16>().prop_map(Action::PushPbb),
            Just(Action::PopPbb),
        ]
    }

    proptest! {
        #[test]
        fn actions_round_trip(acts in proptest::collection::vec(arb_action(), 0..8)) {
            let mut b = Vec::new();
            encode_actions(&mut b, &acts);
            prop_assert_eq!(b.len(), actions_len(&acts));
            prop_assert_eq!(decode_actions(&b), Ok(acts));
        }

        #[test]
        fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_actions(&b);
        }
    }
}
