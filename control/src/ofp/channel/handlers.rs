//! OpenFlow messages from a controller → changes to the bridge and
//! replies. Every request is handled to completion before the next one is
//! read, so a BARRIER_REPLY follows everything before it.
use std::time::Instant;

use fastpath::flow::FlowKey;
use fastpath::parse::{parse, PacketMeta};

use super::conn::Conn;
use super::{multipart, ports};
use crate::ofp::codec::{self, role, Header, Message, MultipartRequest, OFP_VERSION};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};
use crate::pipeline::{Action, FlowMod, FlowModCommand, TranslateOptions, NO_BUFFER};

/// OFPC_FRAG_* values this switch implements (only normal handling).
const SUPPORTED_CONFIG_FLAGS: u16 = 0;
/// OFPC_FRAG_MASK: every flag OpenFlow 1.3 defines.
const CONFIG_FLAGS_MASK: u16 = 3;
/// OFPC_* capabilities: FLOW_STATS | TABLE_STATS | PORT_STATS | GROUP_STATS.
pub const CAPABILITIES: u32 = 1 | 2 | 4 | 8;

/// The ERROR reply to the request `req`: `e`'s type/code, the request's
/// xid and its first 64 bytes.
pub fn error_reply(xid: u32, e: &OfpError, req: &[u8]) -> Vec<u8> {
    let n = req.len().min(codec::ERROR_DATA_LEN);
    codec::encode(
        xid,
        &Message::Error {
            kind: e.kind,
            data: req[..n].to_vec(),
        },
    )
}

fn fail(conn: &Conn, h: &Header, req: &[u8], e: &OfpError) {
    tracing::debug!(
        "OpenFlow: {}: {} refused: {e}",
        conn.shared.peer,
        codec::msg_type_name(h.msg_type)
    );
    conn.send(error_reply(h.xid, e, req));
}

/// Handles one framed message.
pub fn handle(conn: &mut Conn, bytes: &[u8]) {
    let decoded = codec::decode(bytes);
    if !conn.negotiated {
        hello(conn, bytes, decoded);
        return;
    }
    let (h, msg) = match decoded {
        Ok(x) => x,
        Err(e) => {
            tracing::debug!("OpenFlow: {}: {e}", conn.shared.peer);
            conn.send(e.error_message(bytes));
            return;
        }
    };
    if !deferrable(&msg) {
        publish_deferred_adds(conn);
    }
    if is_modifying(&msg) && conn.shared.ctl().role == role::SLAVE {
        let e = OfpError::new(
            OfpErrorKind::BadRequest(code::IS_SLAVE),
            "the connection's role is slave",
        );
        fail(conn, &h, bytes, &e);
        return;
    }
    if let Err(e) = dispatch(conn, &h, msg, bytes) {
        fail(conn, &h, bytes, &e);
    }
}

/// A flow add that may wait, unpublished, for the next message: a run of
/// adds (a controller installing many flows) then costs one snapshot.
fn deferrable(m: &Message) -> bool {
    matches!(m, Message::FlowMod(fm) if deferrable_add(fm))
}

fn deferrable_add(fm: &FlowMod) -> bool {
    fm.command == FlowModCommand::Add && fm.buffer_id == NO_BUFFER
}

/// Publishes this connection's deferred flow adds to readers and PMDs.
/// The PMDs are told even when another change already published the adds
/// (its writer lock does that first), as that change may not have told
/// them.
pub fn publish_deferred_adds(conn: &mut Conn) {
    if std::mem::take(&mut conn.deferred_adds) {
        let bridge = &conn.ch.view.bridges()[conn.bridge];
        bridge.pipeline().flush();
        bridge.translator.publish();
    }
}

/// Messages a slave may not send (OpenFlow 1.3.5 §6.3.5).
fn is_modifying(m: &Message) -> bool {
    match m {
        Message::PacketOut { .. }
        | Message::FlowMod(_)
        | Message::GroupMod(_)
        | Message::PortMod { .. }
        | Message::TableMod { .. }
        | Message::MeterMod(_) => true,
        Message::MultipartRequest {
            body: MultipartRequest::TableFeatures(t),
            ..
        } => !t.is_empty(),
        _ => false,
    }
}

/// The first message must be a HELLO whose version bitmap (or, without
/// one, header version) includes OpenFlow 1.3.
fn hello(conn: &mut Conn, bytes: &[u8], decoded: Result<(Header, Message), codec::DecodeError>) {
    let version = bytes.first().copied().unwrap_or(OFP_VERSION);
    let xid = Header::parse(bytes).map_or(0, |h| h.xid);
    let refuse = |conn: &mut Conn, c: u16, why: String| {
        tracing::warn!("OpenFlow: {}: {why}; closing", conn.shared.peer);
        let mut msg = codec::encode(
            xid,
            &Message::Error {
                kind: OfpErrorKind::HelloFailed(c),
                data: why.into_bytes(),
            },
        );
        // Answer an older peer in its own version so it can read why.
        if (1..OFP_VERSION).contains(&version) {
            msg[0] = version;
        }
        conn.send(msg);
        conn.closing = true;
    };
    match decoded {
        Ok((h, Message::Hello { bitmap })) => {
            let ok = match bitmap {
                Some(b) => b & (1 << OFP_VERSION) != 0,
                None => h.version >= OFP_VERSION,
            };
            if ok {
                conn.negotiated = true;
                conn.shared.ctl().ready = true;
            } else {
                let offered = match bitmap {
                    Some(b) => format!("version bitmap {b:#x}"),
                    None => format!("version {:#04x}", h.version),
                };
                refuse(
                    conn,
                    code::HF_INCOMPATIBLE,
                    format!("peer offers {offered}; this switch supports only OpenFlow 1.3 (0x04)"),
                );
            }
        }
        Ok((h, _)) => refuse(
            conn,
            code::HF_EPERM,
            format!(
                "expected OFPT_HELLO, got {}",
                codec::msg_type_name(h.msg_type)
            ),
        ),
        Err(e) => refuse(conn, code::HF_INCOMPATIBLE, format!("bad HELLO: {e}")),
    }
}

fn dispatch(conn: &mut Conn, h: &Header, msg: Message, bytes: &[u8]) -> Result<(), OfpError> {
    let ch = conn.ch.clone();
    let b = conn.bridge;
    let bridge = &ch.view.bridges()[b];
    let xid = h.xid;
    match msg {
        Message::Hello { .. } => {
            tracing::debug!("OpenFlow: {}: ignoring a second HELLO", conn.shared.peer);
        }
        Message::EchoRequest(data) => conn.send_msg(xid, &Message::EchoReply(data)),
        Message::EchoReply(_) => {}
        Message::Error { kind, data } => {
            let (t, c) = kind.type_code();
            tracing::info!(
                "OpenFlow: {}: peer sent error type {t} code {c} ({} bytes of data)",
                conn.shared.peer,
                data.len()
            );
        }
        Message::ErrorExperimenter { experimenter, .. } => {
            tracing::info!(
                "OpenFlow: {}: peer sent experimenter error {experimenter:#x}",
                conn.shared.peer
            );
        }
        Message::Experimenter { experimenter, .. } => {
            return Err(OfpError::new(
                OfpErrorKind::BadRequest(code::BAD_EXPERIMENTER),
                format!("experimenter {experimenter:#010x} is not supported"),
            ))
        }
        Message::FeaturesRequest => conn.send_msg(
            xid,
            &Message::FeaturesReply {
                datapath_id: ch.view.datapath_id(b),
                n_buffers: 0,
                n_tables: crate::pipeline::N_TABLES as u8,
                auxiliary_id: 0,
                capabilities: CAPABILITIES,
            },
        ),
        Message::GetConfigRequest => {
            let flags = ch.bridge(b).flags;
            let miss_send_len = conn.shared.ctl().miss_send_len;
            conn.send_msg(
                xid,
                &Message::GetConfigReply {
                    flags,
                    miss_send_len,
                },
            );
        }
        Message::SetConfig {
            flags,
            miss_send_len,
        } => {
            if flags & !CONFIG_FLAGS_MASK != 0
                || flags & CONFIG_FLAGS_MASK != SUPPORTED_CONFIG_FLAGS
            {
                return Err(OfpError::new(
                    OfpErrorKind::SwitchConfigFailed(code::SC_BAD_FLAGS),
                    format!("config flags {flags:#06x}: only OFPC_FRAG_NORMAL (0) is supported"),
                ));
            }
            {
                let mut s = ch.bridge(b);
                s.flags = flags;
                s.miss_send_len = miss_send_len;
            }
            conn.shared.ctl().miss_send_len = miss_send_len;
        }
        Message::FlowMod(fm) => {
            if matches!(
                fm.command,
                FlowModCommand::Delete | FlowModCommand::DeleteStrict
            ) {
                // FLOW_REMOVED carries the entries' final counters.
                ch.view.sync_credits();
            }
            if deferrable_add(&fm) {
                conn.deferred_adds = true;
                conn.dirty = true;
                bridge.pipeline().add_flow_deferred(&fm, Instant::now())?;
                return Ok(());
            }
            let out = bridge.pipeline().flow_mod(&fm, Instant::now())?;
            if out.changed {
                bridge.translator.publish();
                conn.dirty = true;
            }
            ch.flow_removed(b, &out.removed);
            if fm.buffer_id != NO_BUFFER {
                return Err(OfpError::new(
                    OfpErrorKind::BadRequest(code::BUFFER_UNKNOWN),
                    format!(
                        "buffer {:#x} unknown: this switch buffers no packets (the flow mod was applied)",
                        fm.buffer_id
                    ),
                ));
            }
        }
        Message::GroupMod(gm) => {
            let removed = bridge.pipeline().group_mod_outcome(&gm)?;
            bridge.translator.publish();
            conn.dirty = true;
            ch.flow_removed(b, &removed);
        }
        Message::MeterMod(mm) => {
            let removed = bridge.apply_meter_mod(&mm)?;
            conn.dirty = true;
            ch.flow_removed(b, &removed);
        }
        Message::PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise: _,
        } => {
            ports::port_mod(&ch, b, port_no, hw_addr, config, mask)?;
            conn.dirty = true;
        }
        Message::TableMod { table_id, .. } => {
            if usize::from(table_id) >= crate::pipeline::N_TABLES
                && table_id != crate::pipeline::TABLE_ALL
            {
                return Err(OfpError::new(
                    OfpErrorKind::TableModFailed(code::TM_BAD_TABLE),
                    format!("no table {table_id}"),
                ));
            }
        }
        Message::PacketOut {
            buffer_id,
            in_port,
            actions,
            data,
        } => {
            packet_out(conn, buffer_id, in_port, &actions, &data)?;
            // A barrier after it waits until a PMD has sent it.
            conn.dirty = true;
        }
        Message::MultipartRequest { flags, body } => {
            let req = match conn.assembler.push(h, flags, body) {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(()),
                Err(e) => {
                    conn.send(e.error_message(bytes));
                    return Ok(());
                }
            };
            let reply = multipart::reply(&ch, b, req)?;
            for m in codec::encode_multipart_reply(xid, reply, usize::from(u16::MAX)) {
                conn.send(m);
            }
        }
        Message::BarrierRequest => {
            if conn.dirty {
                ch.view.sync_pmds();
                conn.dirty = false;
            }
            conn.send_msg(xid, &Message::BarrierReply);
        }
        Message::QueueGetConfigRequest { port } => {
            if port != PortNo::ANY && !ports::exists(&ch, b, port.0) {
                return Err(OfpError::new(
                    OfpErrorKind::QueueOpFailed(code::QO_BAD_PORT),
                    format!("no port {port}"),
                ));
            }
            conn.send_msg(
                xid,
                &Message::QueueGetConfigReply {
                    port,
                    queues: Vec::new(),
                },
            );
        }
        Message::RoleRequest {
            role: r,
            generation_id,
        } => role_request(conn, xid, r, generation_id)?,
        Message::GetAsyncRequest => {
            let cfg = conn.shared.ctl().async_cfg;
            conn.send_msg(xid, &Message::GetAsyncReply(cfg));
        }
        Message::SetAsync(cfg) => conn.shared.ctl().async_cfg = cfg,
        Message::FeaturesReply { .. }
        | Message::GetConfigReply { .. }
        | Message::PacketIn { .. }
        | Message::FlowRemoved { .. }
        | Message::PortStatus { .. }
        | Message::MultipartReply { .. }
        | Message::BarrierReply
        | Message::QueueGetConfigReply { .. }
        | Message::RoleReply { .. }
        | Message::GetAsyncReply(_) => {
            return Err(OfpError::new(
                OfpErrorKind::BadRequest(code::BAD_TYPE),
                format!(
                    "{} is a message only a switch sends",
                    codec::msg_type_name(h.msg_type)
                ),
            ))
        }
    }
    Ok(())
}

/// OFPT_ROLE_REQUEST (OpenFlow 1.3.5 §6.3.5): NOCHANGE reports the role;
/// EQUAL needs no generation id; MASTER and SLAVE must not carry a
/// generation id older than the newest seen (STALE). A new master turns
/// the bridge's other masters into slaves.
fn role_request(conn: &mut Conn, xid: u32, r: u32, generation_id: u64) -> Result<(), OfpError> {
    let ch = conn.ch.clone();
    let mut s = ch.bridge(conn.bridge);
    if r == role::MASTER || r == role::SLAVE {
        if let Some(cached) = s.generation_id {
            // Wrap-around comparison as the spec defines it.
            if (generation_id.wrapping_sub(cached) as i64) < 0 {
                return Err(OfpError::new(
                    OfpErrorKind::RoleRequestFailed(code::RR_STALE),
                    format!("generation_id {generation_id} is older than {cached}"),
                ));
            }
        }
        s.generation_id = Some(generation_id);
        if r == role::MASTER {
            for c in &s.conns {
                if c.id != conn.shared.id {
                    let mut cc = c.ctl();
                    if cc.role == role::MASTER {
                        cc.role = role::SLAVE;
                    }
                }
            }
        }
    }
    let current = {
        let mut me = conn.shared.ctl();
        if r != role::NOCHANGE {
            me.role = r;
        }
        me.role
    };
    let gen = s.generation_id.unwrap_or(0);
    drop(s);
    conn.send_msg(
        xid,
        &Message::RoleReply {
            role: current,
            generation_id: gen,
        },
    );
    Ok(())
}

/// OFPT_PACKET_OUT: no buffers; the actions are validated and translated
/// (output to TABLE runs the pipeline), then a PMD sends the packet.
fn packet_out(
    conn: &Conn,
    buffer_id: u32,
    in_port: PortNo,
    actions: &[Action],
    data: &[u8],
) -> Result<(), OfpError> {
    let ch = &conn.ch;
    let b = conn.bridge;
    if buffer_id != NO_BUFFER {
        return Err(OfpError::new(
            OfpErrorKind::BadRequest(code::BUFFER_UNKNOWN),
            format!("buffer {buffer_id:#x} unknown: this switch buffers no packets"),
        ));
    }
    let valid_in_port = match in_port {
        PortNo::CONTROLLER | PortNo::ANY | PortNo::LOCAL => true,
        p if p.is_reserved() => false,
        p => ports::exists(ch, b, p.0),
    };
    if !valid_in_port {
        return Err(OfpError::new(
            OfpErrorKind::BadRequest(code::BAD_PORT),
            format!("packet-out in_port {in_port} is not a port of this bridge"),
        ));
    }
    let bridge = &ch.view.bridges()[b];
    bridge.pipeline().snapshot().validate_packet_out(actions)?;
    if data.is_empty() {
        return Ok(());
    }
    send_packet_out(ch, b, in_port, actions, data);
    Ok(())
}

/// Translates validated packet-out `actions` and hands the packet to a PMD.
pub(super) fn send_packet_out(
    ch: &super::Channel,
    b: usize,
    in_port: PortNo,
    actions: &[Action],
    data: &[u8],
) {
    let Some(bridge) = ch.view.bridges().get(b) else {
        return;
    };
    let snap = bridge.pipeline().snapshot();
    let mut key = FlowKey::ZERO;
    let meta = PacketMeta {
        in_port: in_port.0,
        ..PacketMeta::default()
    };
    let _ = parse(data, &meta, &mut key);
    let opts = TranslateOptions {
        miss_send_len: ch.bridge(b).miss_send_len,
        ..TranslateOptions::default()
    };
    let t = snap.translate_packet_out(&key, actions, &opts);
    let now = Instant::now();
    for e in &t.hits {
        e.credit_at(1, data.len() as u64, now);
    }
    if let Err(e) = ch.view.packet_out(b as u16, in_port.0, t.actions, data) {
        tracing::warn!("OpenFlow: {}: packet-out dropped: {e}", bridge.name);
    }
}
