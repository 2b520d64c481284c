//! The OpenFlow 1.3 (wire version 0x04) message codec, strict per the
//! 1.3.5 specification: [`decode`] one framed message into a [`Message`]
//! (or the exact OpenFlow error to send back), [`encode`] one, [`frame`] a
//! byte stream, split large multipart replies
//! ([`encode_multipart_reply`]) and reassemble multipart requests
//! ([`MultipartAssembler`]).
//!
//! Decoding never panics on any input: every read goes through the
//! bounds-checked [`buf`] reader.
//!
//! The codec checks syntax only (lengths, known types, OXM validity,
//! command and flag values). Semantics (whether a port, table, group or
//! meter exists, whether the pipeline implements an action) are the
//! pipeline's to check.
mod action;
mod buf;
mod flow;
mod group;
mod instruction;
mod meter;
mod misc;
mod multipart;
mod oxm;
mod packet;
mod port;
mod table_features;
#[cfg(test)]
mod tests;

use std::fmt;

use buf::{bad_len, err, len16, Put, Reader, Res};

pub use action::{
    action_type, action_type_of, actions_len, controller_max_len_valid, decode_actions,
    encode_actions, CML_MAX,
};
pub use flow::command_code as flow_mod_command_code;
pub use group::group_type_code;
pub use instruction::{
    decode_instructions, encode_instructions, inst_type, inst_type_of, instructions_len,
};
pub use meter::{OFPMBT_DROP, OFPMBT_DSCP_REMARK, OFPMBT_EXPERIMENTER};
pub use misc::{error_kind, hello_elem, role, PacketQueue, QueueProp};
pub use multipart::{
    encode_multipart_reply, mp_type, multipart_flags, AggregateStats, BucketCounter, FlowStats,
    FlowStatsRequest, GroupDesc, GroupFeatures, GroupStats, MeterBandStats, MeterConfig,
    MeterFeatures, MeterStats, MultipartAssembler, MultipartReply, MultipartRequest, PortStats,
    QueueStats, SwitchDesc, TableStats,
};
pub use oxm::{
    decode_oxm_fields, encode_match, encode_oxm_fields, field_header, match_entries,
    match_wire_len, oxm_header, OFPMT_OXM, OFPMT_STANDARD, OFPVID_PRESENT, OFPXMC_EXPERIMENTER,
    OFPXMC_NXM_0, OFPXMC_NXM_1, OFPXMC_OPENFLOW_BASIC,
};
pub use packet::packet_in_reason;
pub use port::{port_config, port_features, port_reason, port_state, PortDesc, MAX_PORT_NAME_LEN};
pub use table_features::{
    build_table_features, pipeline_table_features, prop_type, TableFeatureProp, TableFeatures,
    SUPPORTED_ACTION_TYPES, SUPPORTED_INSTRUCTION_TYPES,
};

use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};
use crate::pipeline::model::{FlowMatch, FlowMod, GroupMod, MeterMod};

/// OpenFlow 1.3's wire version.
pub const OFP_VERSION: u8 = 0x04;
/// Size of `ofp_header`.
pub const HEADER_LEN: usize = 8;
/// Bytes of a failed request echoed in an ERROR reply (at least 64 per
/// the spec).
pub const ERROR_DATA_LEN: usize = 64;

/// OFPT_* message types.
pub mod msg_type {
    pub const HELLO: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const ECHO_REQUEST: u8 = 2;
    pub const ECHO_REPLY: u8 = 3;
    pub const EXPERIMENTER: u8 = 4;
    pub const FEATURES_REQUEST: u8 = 5;
    pub const FEATURES_REPLY: u8 = 6;
    pub const GET_CONFIG_REQUEST: u8 = 7;
    pub const GET_CONFIG_REPLY: u8 = 8;
    pub const SET_CONFIG: u8 = 9;
    pub const PACKET_IN: u8 = 10;
    pub const FLOW_REMOVED: u8 = 11;
    pub const PORT_STATUS: u8 = 12;
    pub const PACKET_OUT: u8 = 13;
    pub const FLOW_MOD: u8 = 14;
    pub const GROUP_MOD: u8 = 15;
    pub const PORT_MOD: u8 = 16;
    pub const TABLE_MOD: u8 = 17;
    pub const MULTIPART_REQUEST: u8 = 18;
    pub const MULTIPART_REPLY: u8 = 19;
    pub const BARRIER_REQUEST: u8 = 20;
    pub const BARRIER_REPLY: u8 = 21;
    pub const QUEUE_GET_CONFIG_REQUEST: u8 = 22;
    pub const QUEUE_GET_CONFIG_REPLY: u8 = 23;
    pub const ROLE_REQUEST: u8 = 24;
    pub const ROLE_REPLY: u8 = 25;
    pub const GET_ASYNC_REQUEST: u8 = 26;
    pub const GET_ASYNC_REPLY: u8 = 27;
    pub const SET_ASYNC: u8 = 28;
    pub const METER_MOD: u8 = 29;
}

/// The name of an OFPT_* type, for messages ("flow_mod").
pub fn msg_type_name(t: u8) -> &'static str {
    use msg_type as t_;
    match t {
        t_::HELLO => "hello",
        t_::ERROR => "error",
        t_::ECHO_REQUEST => "echo_request",
        t_::ECHO_REPLY => "echo_reply",
        t_::EXPERIMENTER => "experimenter",
        t_::FEATURES_REQUEST => "features_request",
        t_::FEATURES_REPLY => "features_reply",
        t_::GET_CONFIG_REQUEST => "get_config_request",
        t_::GET_CONFIG_REPLY => "get_config_reply",
        t_::SET_CONFIG => "set_config",
        t_::PACKET_IN => "packet_in",
        t_::FLOW_REMOVED => "flow_removed",
        t_::PORT_STATUS => "port_status",
        t_::PACKET_OUT => "packet_out",
        t_::FLOW_MOD => "flow_mod",
        t_::GROUP_MOD => "group_mod",
        t_::PORT_MOD => "port_mod",
        t_::TABLE_MOD => "table_mod",
        t_::MULTIPART_REQUEST => "multipart_request",
        t_::MULTIPART_REPLY => "multipart_reply",
        t_::BARRIER_REQUEST => "barrier_request",
        t_::BARRIER_REPLY => "barrier_reply",
        t_::QUEUE_GET_CONFIG_REQUEST => "queue_get_config_request",
        t_::QUEUE_GET_CONFIG_REPLY => "queue_get_config_reply",
        t_::ROLE_REQUEST => "role_request",
        t_::ROLE_REPLY => "role_reply",
        t_::GET_ASYNC_REQUEST => "get_async_request",
        t_::GET_ASYNC_REPLY => "get_async_reply",
        t_::SET_ASYNC => "set_async",
        t_::METER_MOD => "meter_mod",
        _ => "unknown",
    }
}

/// `ofp_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub msg_type: u8,
    pub length: u16,
    pub xid: u32,
}

impl Header {
    /// Parses the first 8 bytes (no validation beyond their presence).
    pub fn parse(bytes: &[u8]) -> Option<Header> {
        let mut r = Reader::new(bytes);
        Some(Header {
            version: r.u8().ok()?,
            msg_type: r.u8().ok()?,
            length: r.u16().ok()?,
            xid: r.u32().ok()?,
        })
    }
}

/// `ofp_async_config` masks, index 0 for master/equal, 1 for slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncConfig {
    pub packet_in_mask: [u32; 2],
    pub port_status_mask: [u32; 2],
    pub flow_removed_mask: [u32; 2],
}

/// One OpenFlow 1.3 message (without its header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `bitmap`: the first word of an OFPHET_VERSIONBITMAP element (bit n =
    /// wire version n), if the HELLO carried one.
    Hello {
        bitmap: Option<u32>,
    },
    Error {
        kind: OfpErrorKind,
        data: Vec<u8>,
    },
    /// An OFPET_EXPERIMENTER (0xffff) error.
    ErrorExperimenter {
        exp_type: u16,
        experimenter: u32,
        data: Vec<u8>,
    },
    EchoRequest(Vec<u8>),
    EchoReply(Vec<u8>),
    /// The caller answers with BadRequest BAD_EXPERIMENTER.
    Experimenter {
        experimenter: u32,
        exp_type: u32,
        data: Vec<u8>,
    },
    FeaturesRequest,
    FeaturesReply {
        datapath_id: u64,
        n_buffers: u32,
        n_tables: u8,
        auxiliary_id: u8,
        capabilities: u32,
    },
    GetConfigRequest,
    GetConfigReply {
        flags: u16,
        miss_send_len: u16,
    },
    SetConfig {
        flags: u16,
        miss_send_len: u16,
    },
    PacketIn {
        buffer_id: u32,
        total_len: u16,
        reason: u8,
        table_id: u8,
        cookie: u64,
        match_: FlowMatch,
        data: Vec<u8>,
    },
    FlowRemoved {
        cookie: u64,
        priority: u16,
        reason: u8,
        table_id: u8,
        duration_sec: u32,
        duration_nsec: u32,
        idle_timeout: u16,
        hard_timeout: u16,
        packet_count: u64,
        byte_count: u64,
        match_: FlowMatch,
    },
    PortStatus {
        reason: u8,
        port: PortDesc,
    },
    PacketOut {
        buffer_id: u32,
        in_port: PortNo,
        actions: Vec<crate::pipeline::model::Action>,
        data: Vec<u8>,
    },
    FlowMod(FlowMod),
    GroupMod(GroupMod),
    PortMod {
        port_no: PortNo,
        hw_addr: [u8; 6],
        config: u32,
        mask: u32,
        advertise: u32,
    },
    TableMod {
        table_id: u8,
        config: u32,
    },
    MultipartRequest {
        flags: u16,
        body: MultipartRequest,
    },
    MultipartReply {
        flags: u16,
        body: MultipartReply,
    },
    BarrierRequest,
    BarrierReply,
    QueueGetConfigRequest {
        port: PortNo,
    },
    QueueGetConfigReply {
        port: PortNo,
        queues: Vec<PacketQueue>,
    },
    RoleRequest {
        role: u32,
        generation_id: u64,
    },
    RoleReply {
        role: u32,
        generation_id: u64,
    },
    GetAsyncRequest,
    GetAsyncReply(AsyncConfig),
    SetAsync(AsyncConfig),
    MeterMod(MeterMod),
}

impl Message {
    /// The OFPT_* type this message is sent as.
    pub fn msg_type(&self) -> u8 {
        use msg_type as t;
        match self {
            Message::Hello { .. } => t::HELLO,
            Message::Error { .. } | Message::ErrorExperimenter { .. } => t::ERROR,
            Message::EchoRequest(_) => t::ECHO_REQUEST,
            Message::EchoReply(_) => t::ECHO_REPLY,
            Message::Experimenter { .. } => t::EXPERIMENTER,
            Message::FeaturesRequest => t::FEATURES_REQUEST,
            Message::FeaturesReply { .. } => t::FEATURES_REPLY,
            Message::GetConfigRequest => t::GET_CONFIG_REQUEST,
            Message::GetConfigReply { .. } => t::GET_CONFIG_REPLY,
            Message::SetConfig { .. } => t::SET_CONFIG,
            Message::PacketIn { .. } => t::PACKET_IN,
            Message::FlowRemoved { .. } => t::FLOW_REMOVED,
            Message::PortStatus { .. } => t::PORT_STATUS,
            Message::PacketOut { .. } => t::PACKET_OUT,
            Message::FlowMod(_) => t::FLOW_MOD,
            Message::GroupMod(_) => t::GROUP_MOD,
            Message::PortMod { .. } => t::PORT_MOD,
            Message::TableMod { .. } => t::TABLE_MOD,
            Message::MultipartRequest { .. } => t::MULTIPART_REQUEST,
            Message::MultipartReply { .. } => t::MULTIPART_REPLY,
            Message::BarrierRequest => t::BARRIER_REQUEST,
            Message::BarrierReply => t::BARRIER_REPLY,
            Message::QueueGetConfigRequest { .. } => t::QUEUE_GET_CONFIG_REQUEST,
            Message::QueueGetConfigReply { .. } => t::QUEUE_GET_CONFIG_REPLY,
            Message::RoleRequest { .. } => t::ROLE_REQUEST,
            Message::RoleReply { .. } => t::ROLE_REPLY,
            Message::GetAsyncRequest => t::GET_ASYNC_REQUEST,
            Message::GetAsyncReply(_) => t::GET_ASYNC_REPLY,
            Message::SetAsync(_) => t::SET_ASYNC,
            Message::MeterMod(_) => t::METER_MOD,
        }
    }
}

/// Why a message could not be decoded: the OpenFlow error to send back
/// (in reply to `xid`) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub xid: u32,
    pub kind: OfpErrorKind,
    pub message: String,
}

impl DecodeError {
    fn new(xid: u32, e: crate::ofp::OfpError) -> Self {
        DecodeError {
            xid,
            kind: e.kind,
            message: e.message,
        }
    }

    /// The encoded OFPT_ERROR reply: this error's type/code, the failed
    /// request's xid, and as data the first min(64, len) bytes of `request`.
    pub fn error_message(&self, request: &[u8]) -> Vec<u8> {
        let n = request.len().min(ERROR_DATA_LEN);
        let data = request.get(..n).unwrap_or(&[]).to_vec();
        encode(
            self.xid,
            &Message::Error {
                kind: self.kind,
                data,
            },
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, c) = self.kind.type_code();
        write!(
            f,
            "{} (OpenFlow error type {t}, code {c}, xid {:#x})",
            self.message, self.xid
        )
    }
}

impl std::error::Error for DecodeError {}

/// Frames a byte stream: the length of the next complete message if `buf`
/// holds one (`Ok(None)`: need more bytes). A header length below 8 is
/// BadRequest BAD_LEN (a 16-bit length cannot exceed 65535).
pub fn frame(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let Some(h) = Header::parse(buf) else {
        return Ok(None);
    };
    let len = usize::from(h.length);
    if len < HEADER_LEN {
        return Err(DecodeError::new(
            h.xid,
            bad_len(format!(
                "{}: header length {len} is shorter than the 8-byte header",
                msg_type_name(h.msg_type)
            )),
        ));
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Decodes one complete message (the caller frames by `header.length`).
/// On failure returns the OpenFlow error to send back.
pub fn decode(bytes: &[u8]) -> Result<(Header, Message), DecodeError> {
    let Some(header) = Header::parse(bytes) else {
        let xid = 0;
        return Err(DecodeError::new(
            xid,
            bad_len(format!(
                "message of {} bytes is shorter than the 8-byte header",
                bytes.len()
            )),
        ));
    };
    let name = msg_type_name(header.msg_type);
    let fail = |e: crate::ofp::OfpError| {
        DecodeError::new(
            header.xid,
            crate::ofp::OfpError::new(e.kind, format!("{name}: {}", e.message)),
        )
    };
    if usize::from(header.length) != bytes.len() {
        return Err(fail(bad_len(format!(
            "header length {} but the message has {} bytes",
            header.length,
            bytes.len()
        ))));
    }
    if header.version != OFP_VERSION && header.msg_type != msg_type::HELLO {
        return Err(fail(err(
            OfpErrorKind::BadRequest(code::BAD_VERSION),
            format!(
                "version {:#04x} is not OpenFlow 1.3 ({OFP_VERSION:#04x})",
                header.version
            ),
        )));
    }
    let body = Reader::new(bytes.get(HEADER_LEN..).unwrap_or(&[]));
    let msg = decode_body(&header, body).map_err(fail)?;
    Ok((header, msg))
}

fn decode_body(h: &Header, mut r: Reader<'_>) -> Res<Message> {
    use msg_type as t;
    let empty = |r: &Reader<'_>, m: Message| r.finish("message").map(|_| m);
    Ok(match h.msg_type {
        t::HELLO => misc::decode_hello(h.version, &mut r)?,
        t::ERROR => misc::decode_error(&mut r)?,
        t::ECHO_REQUEST => Message::EchoRequest(r.rest().to_vec()),
        t::ECHO_REPLY => Message::EchoReply(r.rest().to_vec()),
        t::EXPERIMENTER => misc::decode_experimenter(&mut r)?,
        t::FEATURES_REQUEST => empty(&r, Message::FeaturesRequest)?,
        t::FEATURES_REPLY => misc::decode_features_reply(&mut r)?,
        t::GET_CONFIG_REQUEST => empty(&r, Message::GetConfigRequest)?,
        t::GET_CONFIG_REPLY | t::SET_CONFIG => misc::decode_config(h.msg_type, &mut r)?,
        t::PACKET_IN => packet::decode_packet_in(&mut r)?,
        t::FLOW_REMOVED => flow::decode_flow_removed(&mut r)?,
        t::PORT_STATUS => port::decode_port_status(&mut r)?,
        t::PACKET_OUT => packet::decode_packet_out(&mut r)?,
        t::FLOW_MOD => Message::FlowMod(flow::decode_flow_mod(&mut r)?),
        t::GROUP_MOD => Message::GroupMod(group::decode_group_mod(&mut r)?),
        t::PORT_MOD => port::decode_port_mod(&mut r)?,
        t::TABLE_MOD => misc::decode_table_mod(&mut r)?,
        t::MULTIPART_REQUEST => multipart::decode_request(&mut r)?,
        t::MULTIPART_REPLY => multipart::decode_reply(&mut r)?,
        t::BARRIER_REQUEST => empty(&r, Message::BarrierRequest)?,
        t::BARRIER_REPLY => empty(&r, Message::BarrierReply)?,
        t::QUEUE_GET_CONFIG_REQUEST => misc::decode_queue_get_config_request(&mut r)?,
        t::QUEUE_GET_CONFIG_REPLY => misc::decode_queue_get_config_reply(&mut r)?,
        t::ROLE_REQUEST | t::ROLE_REPLY => misc::decode_role(h.msg_type, &mut r)?,
        t::GET_ASYNC_REQUEST => empty(&r, Message::GetAsyncRequest)?,
        t::GET_ASYNC_REPLY | t::SET_ASYNC => misc::decode_async(h.msg_type, &mut r)?,
        t::METER_MOD => Message::MeterMod(meter::decode_meter_mod(&mut r)?),
        other => {
            return Err(err(
                OfpErrorKind::BadRequest(code::BAD_TYPE),
                format!("unknown message type {other}"),
            ))
        }
    })
}

/// Encodes one message with version 0x04 and `xid`. Messages are limited
/// to 65535 bytes by the 16-bit length field: split multipart replies with
/// [`encode_multipart_reply`]; other messages stay far below the limit
/// unless given oversized contents (then the length field saturates).
pub fn encode(xid: u32, msg: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.put_u8(OFP_VERSION);
    out.put_u8(msg.msg_type());
    out.put_u16(0);
    out.put_u32(xid);
    encode_body(&mut out, msg);
    debug_assert!(
        out.len() <= usize::from(u16::MAX),
        "OpenFlow message too long"
    );
    let len = len16(out.len());
    out.patch_u16(2, len);
    out
}

fn encode_body(out: &mut Vec<u8>, msg: &Message) {
    match msg {
        Message::Hello { bitmap } => misc::encode_hello(out, *bitmap),
        Message::Error { kind, data } => {
            let (t, c) = kind.type_code();
            out.put_u16(t);
            out.put_u16(c);
            out.extend_from_slice(data);
        }
        Message::ErrorExperimenter {
            exp_type,
            experimenter,
            data,
        } => {
            out.put_u16(0xffff);
            out.put_u16(*exp_type);
            out.put_u32(*experimenter);
            out.extend_from_slice(data);
        }
        Message::EchoRequest(d) | Message::EchoReply(d) => out.extend_from_slice(d),
        Message::Experimenter {
            experimenter,
            exp_type,
            data,
        } => {
            out.put_u32(*experimenter);
            out.put_u32(*exp_type);
            out.extend_from_slice(data);
        }
        Message::FeaturesRequest
        | Message::GetConfigRequest
        | Message::BarrierRequest
        | Message::BarrierReply
        | Message::GetAsyncRequest => {}
        Message::FeaturesReply {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities,
        } => {
            out.put_u64(*datapath_id);
            out.put_u32(*n_buffers);
            out.put_u8(*n_tables);
            out.put_u8(*auxiliary_id);
            out.put_zeros(2);
            out.put_u32(*capabilities);
            out.put_u32(0);
        }
        Message::GetConfigReply {
            flags,
            miss_send_len,
        }
        | Message::SetConfig {
            flags,
            miss_send_len,
        } => {
            out.put_u16(*flags);
            out.put_u16(*miss_send_len);
        }
        Message::PacketIn {
            buffer_id,
            total_len,
            reason,
            table_id,
            cookie,
            match_,
            data,
        } => packet::encode_packet_in(
            out, *buffer_id, *total_len, *reason, *table_id, *cookie, match_, data,
        ),
        Message::FlowRemoved { .. } => flow::encode_flow_removed(out, msg),
        Message::PortStatus { reason, port } => {
            out.put_u8(*reason);
            out.put_zeros(7);
            port::encode_port(out, port);
        }
        Message::PacketOut {
            buffer_id,
            in_port,
            actions,
            data,
        } => packet::encode_packet_out(out, *buffer_id, *in_port, actions, data),
        Message::FlowMod(fm) => flow::encode_flow_mod(out, fm),
        Message::GroupMod(gm) => group::encode_group_mod(out, gm),
        Message::PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise,
        } => {
            out.put_u32(port_no.0);
            out.put_zeros(4);
            out.extend_from_slice(hw_addr);
            out.put_zeros(2);
            out.put_u32(*config);
            out.put_u32(*mask);
            out.put_u32(*advertise);
            out.put_zeros(4);
        }
        Message::TableMod { table_id, config } => {
            out.put_u8(*table_id);
            out.put_zeros(3);
            out.put_u32(*config);
        }
        Message::MultipartRequest { flags, body } => multipart::encode_request(out, *flags, body),
        Message::MultipartReply { flags, body } => multipart::encode_reply(out, *flags, body),
        Message::QueueGetConfigRequest { port } => {
            out.put_u32(port.0);
            out.put_zeros(4);
        }
        Message::QueueGetConfigReply { port, queues } => {
            misc::encode_queue_get_config_reply(out, *port, queues)
        }
        Message::RoleRequest {
            role,
            generation_id,
        }
        | Message::RoleReply {
            role,
            generation_id,
        } => {
            out.put_u32(*role);
            out.put_zeros(4);
            out.put_u64(*generation_id);
        }
        Message::GetAsyncReply(a) | Message::SetAsync(a) => {
            for m in [a.packet_in_mask, a.port_status_mask, a.flow_removed_mask] {
                out.put_u32(m[0]);
                out.put_u32(m[1]);
            }
        }
        Message::MeterMod(mm) => meter::encode_meter_mod(out, mm),
    }
}
