//! OFPT_FLOW_MOD and OFPT_FLOW_REMOVED.
use super::buf::{bad_len, err, OrErr, Put, Reader, Res};
use super::instruction::{decode_instructions, encode_instructions};
use super::oxm::{decode_match, encode_match};
use super::Message;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};
use crate::pipeline::model::{flow_flags, FlowMod, FlowModCommand};

/// `ofp_flow_mod` without header and match: 40 bytes.
const FLOW_MOD_FIXED: usize = 40;
/// `ofp_flow_removed` without header and match: 40 bytes.
const FLOW_REMOVED_FIXED: usize = 40;

/// Every OFPFF_* flag OpenFlow 1.3 defines.
pub(crate) const ALL_FLOW_FLAGS: u16 = flow_flags::SEND_FLOW_REM
    | flow_flags::CHECK_OVERLAP
    | flow_flags::RESET_COUNTS
    | flow_flags::NO_PKT_COUNTS
    | flow_flags::NO_BYT_COUNTS;

/// OFPFC_* on the wire.
pub fn command_code(c: FlowModCommand) -> u8 {
    match c {
        FlowModCommand::Add => 0,
        FlowModCommand::Modify => 1,
        FlowModCommand::ModifyStrict => 2,
        FlowModCommand::Delete => 3,
        FlowModCommand::DeleteStrict => 4,
    }
}

pub(crate) fn decode_flow_mod(r: &mut Reader<'_>) -> Res<FlowMod> {
    if r.remaining() < FLOW_MOD_FIXED + 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_flow_mod (56)",
            r.remaining() + 8
        )));
    }
    let mut f = r.sub(FLOW_MOD_FIXED).or_len("flow_mod")?;
    let cookie = f.u64().or_len("flow_mod")?;
    let cookie_mask = f.u64().or_len("flow_mod")?;
    let table_id = f.u8().or_len("flow_mod")?;
    let command = f.u8().or_len("flow_mod")?;
    let idle_timeout = f.u16().or_len("flow_mod")?;
    let hard_timeout = f.u16().or_len("flow_mod")?;
    let priority = f.u16().or_len("flow_mod")?;
    let buffer_id = f.u32().or_len("flow_mod")?;
    let out_port = PortNo(f.u32().or_len("flow_mod")?);
    let out_group = f.u32().or_len("flow_mod")?;
    let flags = f.u16().or_len("flow_mod")?;
    let command = match command {
        0 => FlowModCommand::Add,
        1 => FlowModCommand::Modify,
        2 => FlowModCommand::ModifyStrict,
        3 => FlowModCommand::Delete,
        4 => FlowModCommand::DeleteStrict,
        c => {
            return Err(err(
                OfpErrorKind::FlowModFailed(code::BAD_COMMAND),
                format!("unknown command {c}"),
            ))
        }
    };
    if flags & !ALL_FLOW_FLAGS != 0 {
        return Err(err(
            OfpErrorKind::FlowModFailed(code::BAD_FLAGS),
            format!("unknown flags {:#06x}", flags & !ALL_FLOW_FLAGS),
        ));
    }
    let match_ = decode_match(r)?;
    let instructions = decode_instructions(r.rest())?;
    Ok(FlowMod {
        command,
        table_id,
        priority,
        cookie,
        cookie_mask,
        idle_timeout,
        hard_timeout,
        flags,
        buffer_id,
        out_port,
        out_group,
        match_,
        instructions,
    })
}

pub(crate) fn encode_flow_mod(out: &mut Vec<u8>, fm: &FlowMod) {
    out.put_u64(fm.cookie);
    out.put_u64(fm.cookie_mask);
    out.put_u8(fm.table_id);
    out.put_u8(command_code(fm.command));
    out.put_u16(fm.idle_timeout);
    out.put_u16(fm.hard_timeout);
    out.put_u16(fm.priority);
    out.put_u32(fm.buffer_id);
    out.put_u32(fm.out_port.0);
    out.put_u32(fm.out_group);
    out.put_u16(fm.flags);
    out.put_zeros(2);
    encode_match(out, &fm.match_);
    encode_instructions(out, &fm.instructions);
}

pub(crate) fn decode_flow_removed(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() < FLOW_REMOVED_FIXED + 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_flow_removed (56)",
            r.remaining() + 8
        )));
    }
    let w = "flow_removed";
    let cookie = r.u64().or_len(w)?;
    let priority = r.u16().or_len(w)?;
    let reason = r.u8().or_len(w)?;
    let table_id = r.u8().or_len(w)?;
    let duration_sec = r.u32().or_len(w)?;
    let duration_nsec = r.u32().or_len(w)?;
    let idle_timeout = r.u16().or_len(w)?;
    let hard_timeout = r.u16().or_len(w)?;
    let packet_count = r.u64().or_len(w)?;
    let byte_count = r.u64().or_len(w)?;
    let match_ = decode_match(r)?;
    r.finish(w)?;
    Ok(Message::FlowRemoved {
        cookie,
        priority,
        reason,
        table_id,
        duration_sec,
        duration_nsec,
        idle_timeout,
        hard_timeout,
        packet_count,
        byte_count,
        match_,
    })
}

pub(crate) fn encode_flow_removed(out: &mut Vec<u8>, msg: &Message) {
    if let Message::FlowRemoved {
        cookie,
        priority,
        reason,
        table_id,
        duration_sec,
        duration_nsec,
        idle_timeout,
        hard_timeout,
        packet_count,
        byte_count,
        match_,
    } = msg
    {
        out.put_u64(*cookie);
        out.put_u16(*priority);
        out.put_u8(*reason);
        out.put_u8(*table_id);
        out.put_u32(*duration_sec);
        out.put_u32(*duration_nsec);
        out.put_u16(*idle_timeout);
        out.put_u16(*hard_timeout);
        out.put_u64(*packet_count);
        out.put_u64(*byte_count);
        encode_match(out, match_);
    }
}
