//! OFPT_PACKET_IN and OFPT_PACKET_OUT.
use super::action::{actions_len, decode_actions, encode_actions};
use super::buf::{bad_len, len16, OrErr, Put, Reader, Res};
use super::oxm::{decode_match, encode_match};
use super::Message;
use crate::ofp::PortNo;
use crate::pipeline::model::{Action, FlowMatch};

/// OFPR_* packet-in reasons.
pub mod packet_in_reason {
    pub const NO_MATCH: u8 = 0;
    pub const ACTION: u8 = 1;
    pub const INVALID_TTL: u8 = 2;
}

pub(crate) fn decode_packet_in(r: &mut Reader<'_>) -> Res<Message> {
    // ofp_packet_in: 16 fixed bytes after the header, a match of at least
    // 8 bytes, then 2 bytes of padding.
    if r.remaining() < 16 + 8 + 2 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_packet_in (34)",
            r.remaining() + 8
        )));
    }
    let w = "packet_in";
    let buffer_id = r.u32().or_len(w)?;
    let total_len = r.u16().or_len(w)?;
    let reason = r.u8().or_len(w)?;
    let table_id = r.u8().or_len(w)?;
    let cookie = r.u64().or_len(w)?;
    let match_ = decode_match(r)?;
    r.skip(2).or_len("packet_in padding after the match")?;
    let data = r.rest().to_vec();
    Ok(Message::PacketIn {
        buffer_id,
        total_len,
        reason,
        table_id,
        cookie,
        match_,
        data,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_packet_in(
    out: &mut Vec<u8>,
    buffer_id: u32,
    total_len: u16,
    reason: u8,
    table_id: u8,
    cookie: u64,
    match_: &FlowMatch,
    data: &[u8],
) {
    out.put_u32(buffer_id);
    out.put_u16(total_len);
    out.put_u8(reason);
    out.put_u8(table_id);
    out.put_u64(cookie);
    encode_match(out, match_);
    out.put_zeros(2);
    out.extend_from_slice(data);
}

pub(crate) fn decode_packet_out(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() < 16 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_packet_out (24)",
            r.remaining() + 8
        )));
    }
    let w = "packet_out";
    let buffer_id = r.u32().or_len(w)?;
    let in_port = PortNo(r.u32().or_len(w)?);
    let alen = usize::from(r.u16().or_len(w)?);
    r.skip(6).or_len(w)?;
    let abytes = r.bytes(alen).map_err(|_| {
        bad_len(format!(
            "actions_len {alen} overruns the message ({} bytes left)",
            r.remaining()
        ))
    })?;
    let actions = decode_actions(abytes)?;
    let data = r.rest().to_vec();
    Ok(Message::PacketOut {
        buffer_id,
        in_port,
        actions,
        data,
    })
}

pub(crate) fn encode_packet_out(
    out: &mut Vec<u8>,
    buffer_id: u32,
    in_port: PortNo,
    actions: &[Action],
    data: &[u8],
) {
    out.put_u32(buffer_id);
    out.put_u32(in_port.0);
    out.put_u16(len16(actions_len(actions)));
    out.put_zeros(6);
    encode_actions(out, actions);
    out.extend_from_slice(data);
}
