//! The small messages: HELLO, ERROR, EXPERIMENTER, FEATURES_REPLY,
//! GET_CONFIG_REPLY/SET_CONFIG, TABLE_MOD, QUEUE_GET_CONFIG, ROLE and
//! ASYNC.
use super::buf::{bad_len, err, len16, multiple_of, round8, OrErr, Put, Reader, Res};
use super::{msg_type, AsyncConfig, Message, OFP_VERSION};
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};

/// OFPHET_* hello element types.
pub mod hello_elem {
    pub const VERSIONBITMAP: u16 = 1;
}

/// OFPCR_ROLE_* controller roles.
pub mod role {
    pub const NOCHANGE: u32 = 0;
    pub const EQUAL: u32 = 1;
    pub const MASTER: u32 = 2;
    pub const SLAVE: u32 = 3;
}

/// OFPQT_* queue property types.
const OFPQT_MIN_RATE: u16 = 1;
const OFPQT_MAX_RATE: u16 = 2;
const OFPQT_EXPERIMENTER: u16 = 0xffff;

/// A queue property (`ofp_queue_prop_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueProp {
    /// In 1/10 of a percent; > 1000: disabled.
    MinRate(u16),
    MaxRate(u16),
    Experimenter {
        experimenter: u32,
        data: Vec<u8>,
    },
}

/// `ofp_packet_queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketQueue {
    pub queue_id: u32,
    pub port: PortNo,
    pub properties: Vec<QueueProp>,
}

/// Hello: elements are parsed only for version 0x04 and later (earlier
/// versions define no body). Unknown element types are ignored; a
/// malformed element is BAD_LEN.
pub(crate) fn decode_hello(version: u8, r: &mut Reader<'_>) -> Res<Message> {
    let mut bitmap = None;
    if version < OFP_VERSION {
        r.rest();
        return Ok(Message::Hello { bitmap });
    }
    while !r.is_empty() {
        let left = r.remaining();
        if left < 4 {
            return Err(bad_len(format!(
                "{left} trailing bytes are too short for a hello element"
            )));
        }
        let t = r.u16().or_len("hello element")?;
        let len = usize::from(r.u16().or_len("hello element")?);
        if len < 4 {
            return Err(bad_len(format!("hello element length {len} is below 4")));
        }
        let body = r
            .bytes(len - 4)
            .map_err(|_| bad_len(format!("hello element length {len} overruns the message")))?;
        r.skip(round8(len) - len)
            .map_err(|_| bad_len(format!("hello element of length {len} is missing padding")))?;
        if t == hello_elem::VERSIONBITMAP {
            if body.is_empty() || !multiple_of(body.len(), 4) {
                return Err(bad_len(format!(
                    "version bitmap element length {len} is not 4 plus a multiple of 4"
                )));
            }
            if bitmap.is_none() {
                bitmap = Reader::new(body).u32().ok();
            }
        }
    }
    Ok(Message::Hello { bitmap })
}

pub(crate) fn encode_hello(out: &mut Vec<u8>, bitmap: Option<u32>) {
    if let Some(b) = bitmap {
        out.put_u16(hello_elem::VERSIONBITMAP);
        out.put_u16(8);
        out.put_u32(b);
    }
}

/// The OFPET_* type/code pair as an [`OfpErrorKind`].
pub fn error_kind(t: u16, c: u16) -> Option<OfpErrorKind> {
    use OfpErrorKind::*;
    Some(match t {
        0 => HelloFailed(c),
        1 => BadRequest(c),
        2 => BadAction(c),
        3 => BadInstruction(c),
        4 => BadMatch(c),
        5 => FlowModFailed(c),
        6 => GroupModFailed(c),
        7 => PortModFailed(c),
        8 => TableModFailed(c),
        9 => QueueOpFailed(c),
        10 => SwitchConfigFailed(c),
        11 => RoleRequestFailed(c),
        12 => MeterModFailed(c),
        13 => TableFeaturesFailed(c),
        _ => return None,
    })
}

pub(crate) fn decode_error(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() < 4 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_error_msg (12)",
            r.remaining() + 8
        )));
    }
    let t = r.u16().or_len("error")?;
    let c = r.u16().or_len("error")?;
    if t == 0xffff {
        let experimenter = r.u32().or_len("experimenter error")?;
        return Ok(Message::ErrorExperimenter {
            exp_type: c,
            experimenter,
            data: r.rest().to_vec(),
        });
    }
    let kind = error_kind(t, c).ok_or_else(|| {
        err(
            OfpErrorKind::BadRequest(code::BAD_TYPE),
            format!("unknown error type {t}"),
        )
    })?;
    Ok(Message::Error {
        kind,
        data: r.rest().to_vec(),
    })
}

pub(crate) fn decode_experimenter(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() < 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_experimenter_header (16)",
            r.remaining() + 8
        )));
    }
    let experimenter = r.u32().or_len("experimenter")?;
    let exp_type = r.u32().or_len("experimenter")?;
    Ok(Message::Experimenter {
        experimenter,
        exp_type,
        data: r.rest().to_vec(),
    })
}

fn exact_len(r: &Reader<'_>, body: usize, what: &str) -> Res<()> {
    if r.remaining() == body {
        Ok(())
    } else {
        Err(bad_len(format!(
            "length {} is not that of {what} ({})",
            r.remaining() + 8,
            body + 8
        )))
    }
}

pub(crate) fn decode_features_reply(r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 24, "ofp_switch_features")?;
    let w = "features_reply";
    let datapath_id = r.u64().or_len(w)?;
    let n_buffers = r.u32().or_len(w)?;
    let n_tables = r.u8().or_len(w)?;
    let auxiliary_id = r.u8().or_len(w)?;
    r.skip(2).or_len(w)?;
    let capabilities = r.u32().or_len(w)?;
    r.skip(4).or_len(w)?;
    Ok(Message::FeaturesReply {
        datapath_id,
        n_buffers,
        n_tables,
        auxiliary_id,
        capabilities,
    })
}

pub(crate) fn decode_config(t: u8, r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 4, "ofp_switch_config")?;
    let flags = r.u16().or_len("switch config")?;
    let miss_send_len = r.u16().or_len("switch config")?;
    Ok(if t == msg_type::SET_CONFIG {
        Message::SetConfig {
            flags,
            miss_send_len,
        }
    } else {
        Message::GetConfigReply {
            flags,
            miss_send_len,
        }
    })
}

pub(crate) fn decode_table_mod(r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 8, "ofp_table_mod")?;
    let table_id = r.u8().or_len("table_mod")?;
    r.skip(3).or_len("table_mod")?;
    let config = r.u32().or_len("table_mod")?;
    Ok(Message::TableMod { table_id, config })
}

pub(crate) fn decode_queue_get_config_request(r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 8, "ofp_queue_get_config_request")?;
    let port = PortNo(r.u32().or_len("queue_get_config_request")?);
    r.skip(4).or_len("queue_get_config_request")?;
    Ok(Message::QueueGetConfigRequest { port })
}

fn decode_queue_props(bytes: &[u8]) -> Res<Vec<QueueProp>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let w = "queue property";
        let t = r.u16().or_len(w)?;
        let len = usize::from(r.u16().or_len(w)?);
        if len < 8 || !multiple_of(len, 8) {
            return Err(bad_len(format!("queue property length {len} is invalid")));
        }
        let mut p = r
            .sub(len - 4)
            .map_err(|_| bad_len(format!("queue property length {len} overruns its queue")))?;
        p.skip(4).or_len(w)?;
        out.push(match t {
            OFPQT_MIN_RATE | OFPQT_MAX_RATE => {
                if len != 16 {
                    return Err(bad_len(format!(
                        "rate queue property has length {len}, expected 16"
                    )));
                }
                let rate = p.u16().or_len(w)?;
                if t == OFPQT_MIN_RATE {
                    QueueProp::MinRate(rate)
                } else {
                    QueueProp::MaxRate(rate)
                }
            }
            OFPQT_EXPERIMENTER => {
                let experimenter = p.u32().or_len(w)?;
                p.skip(4).or_len(w)?;
                QueueProp::Experimenter {
                    experimenter,
                    data: p.rest().to_vec(),
                }
            }
            _ => {
                return Err(err(
                    OfpErrorKind::BadRequest(code::BAD_TYPE),
                    format!("unknown queue property type {t}"),
                ))
            }
        });
    }
    Ok(out)
}

pub(crate) fn decode_queue_get_config_reply(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() < 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_queue_get_config_reply (16)",
            r.remaining() + 8
        )));
    }
    let port = PortNo(r.u32().or_len("queue_get_config_reply")?);
    r.skip(4).or_len("queue_get_config_reply")?;
    let mut queues = Vec::new();
    while !r.is_empty() {
        let w = "ofp_packet_queue";
        if r.remaining() < 16 {
            return Err(bad_len(format!(
                "{} trailing bytes are too short for a queue",
                r.remaining()
            )));
        }
        let queue_id = r.u32().or_len(w)?;
        let qport = PortNo(r.u32().or_len(w)?);
        let len = usize::from(r.u16().or_len(w)?);
        r.skip(6).or_len(w)?;
        if len < 16 || !multiple_of(len, 8) {
            return Err(bad_len(format!("queue length {len} is invalid")));
        }
        let props = r
            .bytes(len - 16)
            .map_err(|_| bad_len(format!("queue length {len} overruns the message")))?;
        queues.push(PacketQueue {
            queue_id,
            port: qport,
            properties: decode_queue_props(props)?,
        });
    }
    Ok(Message::QueueGetConfigReply { port, queues })
}

fn queue_prop_len(p: &QueueProp) -> usize {
    match p {
        QueueProp::MinRate(_) | QueueProp::MaxRate(_) => 16,
        QueueProp::Experimenter { data, .. } => round8(16 + data.len()),
    }
}

pub(crate) fn encode_queue_get_config_reply(
    out: &mut Vec<u8>,
    port: PortNo,
    queues: &[PacketQueue],
) {
    out.put_u32(port.0);
    out.put_zeros(4);
    for q in queues {
        out.put_u32(q.queue_id);
        out.put_u32(q.port.0);
        let len: usize = 16 + q.properties.iter().map(queue_prop_len).sum::<usize>();
        out.put_u16(len16(len));
        out.put_zeros(6);
        for p in &q.properties {
            let start = out.len();
            match p {
                QueueProp::MinRate(rate) | QueueProp::MaxRate(rate) => {
                    let t = if matches!(p, QueueProp::MinRate(_)) {
                        OFPQT_MIN_RATE
                    } else {
                        OFPQT_MAX_RATE
                    };
                    out.put_u16(t);
                    out.put_u16(16);
                    out.put_zeros(4);
                    out.put_u16(*rate);
                    out.put_zeros(6);
                }
                QueueProp::Experimenter { experimenter, data } => {
                    out.put_u16(OFPQT_EXPERIMENTER);
                    out.put_u16(len16(queue_prop_len(p)));
                    out.put_zeros(4);
                    out.put_u32(*experimenter);
                    out.put_zeros(4);
                    out.extend_from_slice(data);
                    out.pad8_from(start);
                }
            }
        }
    }
}

pub(crate) fn decode_role(t: u8, r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 16, "ofp_role_request")?;
    let role = r.u32().or_len("role")?;
    r.skip(4).or_len("role")?;
    let generation_id = r.u64().or_len("role")?;
    if t == msg_type::ROLE_REQUEST {
        if role > role::SLAVE {
            return Err(err(
                OfpErrorKind::RoleRequestFailed(code::RR_BAD_ROLE),
                format!("unknown role {role}"),
            ));
        }
        Ok(Message::RoleRequest {
            role,
            generation_id,
        })
    } else {
        Ok(Message::RoleReply {
            role,
            generation_id,
        })
    }
}

pub(crate) fn decode_async(t: u8, r: &mut Reader<'_>) -> Res<Message> {
    exact_len(r, 24, "ofp_async_config")?;
    let mut m = [0u32; 6];
    for x in m.iter_mut() {
        *x = r.u32().or_len("async config")?;
    }
    let [a, b, c, d, e, f] = m;
    let cfg = AsyncConfig {
        packet_in_mask: [a, b],
        port_status_mask: [c, d],
        flow_removed_mask: [e, f],
    };
    Ok(if t == msg_type::SET_ASYNC {
        Message::SetAsync(cfg)
    } else {
        Message::GetAsyncReply(cfg)
    })
}
