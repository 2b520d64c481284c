//! OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY bodies, splitting of
//! large replies and reassembly of requests sent in parts.
use hashbrown::HashMap;

use super::buf::{bad_len, err, get_str, len16, multiple_of, OrErr, Put, Reader, Res};
use super::group::{buckets_len, decode_buckets, encode_buckets, group_type, group_type_code};
use super::instruction::{decode_instructions, encode_instructions};
use super::meter::{decode_bands, encode_bands, BAND_LEN};
use super::oxm::{decode_match, encode_match};
use super::port::{decode_port, encode_port, PortDesc, PORT_LEN};
use super::table_features::{decode_table_features_list, encode_table_features, TableFeatures};
use super::{msg_type, DecodeError, Header, Message, HEADER_LEN, OFP_VERSION};
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};
use crate::pipeline::model::{Bucket, FlowMatch, GroupType, Instruction, MeterBand};

/// OFPMP_* multipart types.
pub mod mp_type {
    pub const DESC: u16 = 0;
    pub const FLOW: u16 = 1;
    pub const AGGREGATE: u16 = 2;
    pub const TABLE: u16 = 3;
    pub const PORT_STATS: u16 = 4;
    pub const QUEUE: u16 = 5;
    pub const GROUP: u16 = 6;
    pub const GROUP_DESC: u16 = 7;
    pub const GROUP_FEATURES: u16 = 8;
    pub const METER: u16 = 9;
    pub const METER_CONFIG: u16 = 10;
    pub const METER_FEATURES: u16 = 11;
    pub const TABLE_FEATURES: u16 = 12;
    pub const PORT_DESC: u16 = 13;
    pub const EXPERIMENTER: u16 = 0xffff;
}
use mp_type as mt;

/// OFPMPF_* flags.
pub mod multipart_flags {
    /// OFPMPF_REQ_MORE: more request parts follow.
    pub const REQ_MORE: u16 = 1;
    /// OFPMPF_REPLY_MORE: more reply parts follow.
    pub const REPLY_MORE: u16 = 1;
}

/// DESC_STR_LEN and SERIAL_NUM_LEN.
const DESC_STR_LEN: usize = 256;
const SERIAL_NUM_LEN: usize = 32;
/// The multipart header after `ofp_header`: type, flags, pad[4].
const MP_HEADER_LEN: usize = 8;

/// `ofp_flow_stats_request` / `ofp_aggregate_stats_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStatsRequest {
    pub table_id: u8,
    pub out_port: PortNo,
    pub out_group: u32,
    pub cookie: u64,
    pub cookie_mask: u64,
    pub match_: FlowMatch,
}

/// A multipart request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartRequest {
    Desc,
    Flow(FlowStatsRequest),
    Aggregate(FlowStatsRequest),
    Table,
    /// OFPP_ANY: all ports.
    PortStats {
        port_no: PortNo,
    },
    /// OFPP_ANY / OFPQ_ALL (0xffffffff): all.
    Queue {
        port_no: PortNo,
        queue_id: u32,
    },
    /// OFPG_ALL: all groups.
    Group {
        group_id: u32,
    },
    GroupDesc,
    GroupFeatures,
    /// OFPM_ALL: all meters.
    Meter {
        meter_id: u32,
    },
    MeterConfig {
        meter_id: u32,
    },
    MeterFeatures,
    /// Empty: query; otherwise the tables to set.
    TableFeatures(Vec<TableFeatures>),
    PortDesc,
}

impl MultipartRequest {
    /// The OFPMP_* type.
    pub fn mp_type(&self) -> u16 {
        match self {
            Self::Desc => mt::DESC,
            Self::Flow(_) => mt::FLOW,
            Self::Aggregate(_) => mt::AGGREGATE,
            Self::Table => mt::TABLE,
            Self::PortStats { .. } => mt::PORT_STATS,
            Self::Queue { .. } => mt::QUEUE,
            Self::Group { .. } => mt::GROUP,
            Self::GroupDesc => mt::GROUP_DESC,
            Self::GroupFeatures => mt::GROUP_FEATURES,
            Self::Meter { .. } => mt::METER,
            Self::MeterConfig { .. } => mt::METER_CONFIG,
            Self::MeterFeatures => mt::METER_FEATURES,
            Self::TableFeatures(_) => mt::TABLE_FEATURES,
            Self::PortDesc => mt::PORT_DESC,
        }
    }
}

/// `ofp_desc`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwitchDesc {
    pub mfr_desc: String,
    pub hw_desc: String,
    pub sw_desc: String,
    pub serial_num: String,
    pub dp_desc: String,
}

/// `ofp_flow_stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStats {
    pub table_id: u8,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    pub priority: u16,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
    pub cookie: u64,
    pub packet_count: u64,
    pub byte_count: u64,
    pub match_: FlowMatch,
    pub instructions: Vec<Instruction>,
}

/// `ofp_aggregate_stats_reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregateStats {
    pub packet_count: u64,
    pub byte_count: u64,
    pub flow_count: u32,
}

/// `ofp_table_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableStats {
    pub table_id: u8,
    pub active_count: u32,
    pub lookup_count: u64,
    pub matched_count: u64,
}

/// `ofp_port_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortStats {
    pub port_no: PortNo,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_frame_err: u64,
    pub rx_over_err: u64,
    pub rx_crc_err: u64,
    pub collisions: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
}

/// `ofp_queue_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    pub port_no: PortNo,
    pub queue_id: u32,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
}

/// `ofp_bucket_counter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketCounter {
    pub packet_count: u64,
    pub byte_count: u64,
}

/// `ofp_group_stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupStats {
    pub group_id: u32,
    pub ref_count: u32,
    pub packet_count: u64,
    pub byte_count: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    pub bucket_stats: Vec<BucketCounter>,
}

/// `ofp_group_desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDesc {
    pub group_type: GroupType,
    pub group_id: u32,
    pub buckets: Vec<Bucket>,
}

/// `ofp_group_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupFeatures {
    /// Bitmap of OFPGT_* supported.
    pub types: u32,
    /// OFPGFC_* bits.
    pub capabilities: u32,
    /// Per group type.
    pub max_groups: [u32; 4],
    /// Per group type, bitmap of OFPAT_* supported.
    pub actions: [u32; 4],
}

/// `ofp_meter_band_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeterBandStats {
    pub packet_band_count: u64,
    pub byte_band_count: u64,
}

/// `ofp_meter_stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterStats {
    pub meter_id: u32,
    pub flow_count: u32,
    pub packet_in_count: u64,
    pub byte_in_count: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    pub band_stats: Vec<MeterBandStats>,
}

/// `ofp_meter_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    pub flags: u16,
    pub meter_id: u32,
    pub bands: Vec<MeterBand>,
}

/// `ofp_meter_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeterFeatures {
    pub max_meter: u32,
    /// Bitmap of (1 << OFPMBT_*).
    pub band_types: u32,
    /// OFPMF_* bits.
    pub capabilities: u32,
    pub max_bands: u8,
    pub max_color: u8,
}

/// A multipart reply body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartReply {
    Desc(SwitchDesc),
    Flow(Vec<FlowStats>),
    Aggregate(AggregateStats),
    Table(Vec<TableStats>),
    PortStats(Vec<PortStats>),
    Queue(Vec<QueueStats>),
    Group(Vec<GroupStats>),
    GroupDesc(Vec<GroupDesc>),
    GroupFeatures(GroupFeatures),
    Meter(Vec<MeterStats>),
    MeterConfig(Vec<MeterConfig>),
    MeterFeatures(MeterFeatures),
    TableFeatures(Vec<TableFeatures>),
    PortDesc(Vec<PortDesc>),
}

impl MultipartReply {
    /// The OFPMP_* type.
    pub fn mp_type(&self) -> u16 {
        match self {
            Self::Desc(_) => mt::DESC,
            Self::Flow(_) => mt::FLOW,
            Self::Aggregate(_) => mt::AGGREGATE,
            Self::Table(_) => mt::TABLE,
            Self::PortStats(_) => mt::PORT_STATS,
            Self::Queue(_) => mt::QUEUE,
            Self::Group(_) => mt::GROUP,
            Self::GroupDesc(_) => mt::GROUP_DESC,
            Self::GroupFeatures(_) => mt::GROUP_FEATURES,
            Self::Meter(_) => mt::METER,
            Self::MeterConfig(_) => mt::METER_CONFIG,
            Self::MeterFeatures(_) => mt::METER_FEATURES,
            Self::TableFeatures(_) => mt::TABLE_FEATURES,
            Self::PortDesc(_) => mt::PORT_DESC,
        }
    }
}

fn mp_name(t: u16) -> &'static str {
    match t {
        mt::DESC => "desc",
        mt::FLOW => "flow",
        mt::AGGREGATE => "aggregate",
        mt::TABLE => "table",
        mt::PORT_STATS => "port_stats",
        mt::QUEUE => "queue",
        mt::GROUP => "group",
        mt::GROUP_DESC => "group_desc",
        mt::GROUP_FEATURES => "group_features",
        mt::METER => "meter",
        mt::METER_CONFIG => "meter_config",
        mt::METER_FEATURES => "meter_features",
        mt::TABLE_FEATURES => "table_features",
        mt::PORT_DESC => "port_desc",
        mt::EXPERIMENTER => "experimenter",
        _ => "unknown",
    }
}

/// Reads type and flags, checking the type is known.
fn mp_header(r: &mut Reader<'_>, what: &str) -> Res<(u16, u16)> {
    if r.remaining() < MP_HEADER_LEN {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_multipart_{what} (16)",
            r.remaining() + HEADER_LEN
        )));
    }
    let t = r.u16().or_len("multipart header")?;
    let flags = r.u16().or_len("multipart header")?;
    r.skip(4).or_len("multipart header")?;
    if t == mt::EXPERIMENTER {
        let exp = r.u32().or_len("experimenter multipart")?;
        return Err(err(
            OfpErrorKind::BadRequest(code::BAD_EXPERIMENTER),
            format!("experimenter multipart {exp:#010x} is not supported"),
        ));
    }
    if t > mt::PORT_DESC {
        return Err(err(
            OfpErrorKind::BadRequest(code::BAD_MULTIPART),
            format!("unknown multipart type {t}"),
        ));
    }
    Ok((t, flags))
}

fn exact(r: &Reader<'_>, n: usize, t: u16) -> Res<()> {
    if r.remaining() == n {
        Ok(())
    } else {
        Err(bad_len(format!(
            "{} body has {} bytes, expected {n}",
            mp_name(t),
            r.remaining()
        )))
    }
}

// ---- requests ----

pub(crate) fn decode_request(r: &mut Reader<'_>) -> Res<Message> {
    let (t, flags) = mp_header(r, "request")?;
    let w = mp_name(t);
    let body = match t {
        mt::DESC => exact(r, 0, t).map(|_| MultipartRequest::Desc)?,
        mt::TABLE => exact(r, 0, t).map(|_| MultipartRequest::Table)?,
        mt::GROUP_DESC => exact(r, 0, t).map(|_| MultipartRequest::GroupDesc)?,
        mt::GROUP_FEATURES => exact(r, 0, t).map(|_| MultipartRequest::GroupFeatures)?,
        mt::METER_FEATURES => exact(r, 0, t).map(|_| MultipartRequest::MeterFeatures)?,
        mt::PORT_DESC => exact(r, 0, t).map(|_| MultipartRequest::PortDesc)?,
        mt::FLOW | mt::AGGREGATE => {
            if r.remaining() < 40 {
                return Err(bad_len(format!(
                    "{w} request body has {} bytes, at least 40 needed",
                    r.remaining()
                )));
            }
            let table_id = r.u8().or_len(w)?;
            r.skip(3).or_len(w)?;
            let out_port = PortNo(r.u32().or_len(w)?);
            let out_group = r.u32().or_len(w)?;
            r.skip(4).or_len(w)?;
            let cookie = r.u64().or_len(w)?;
            let cookie_mask = r.u64().or_len(w)?;
            let match_ = decode_match(r)?;
            r.finish(w)?;
            let req = FlowStatsRequest {
                table_id,
                out_port,
                out_group,
                cookie,
                cookie_mask,
                match_,
            };
            if t == mt::FLOW {
                MultipartRequest::Flow(req)
            } else {
                MultipartRequest::Aggregate(req)
            }
        }
        mt::PORT_STATS => {
            exact(r, 8, t)?;
            let port_no = PortNo(r.u32().or_len(w)?);
            MultipartRequest::PortStats { port_no }
        }
        mt::QUEUE => {
            exact(r, 8, t)?;
            let port_no = PortNo(r.u32().or_len(w)?);
            let queue_id = r.u32().or_len(w)?;
            MultipartRequest::Queue { port_no, queue_id }
        }
        mt::GROUP => {
            exact(r, 8, t)?;
            MultipartRequest::Group {
                group_id: r.u32().or_len(w)?,
            }
        }
        mt::METER | mt::METER_CONFIG => {
            exact(r, 8, t)?;
            let meter_id = r.u32().or_len(w)?;
            if t == mt::METER {
                MultipartRequest::Meter { meter_id }
            } else {
                MultipartRequest::MeterConfig { meter_id }
            }
        }
        // mt::TABLE_FEATURES, the one type left (mp_header checked the range).
        _ => MultipartRequest::TableFeatures(decode_table_features_list(r.rest())?),
    };
    r.rest();
    Ok(Message::MultipartRequest { flags, body })
}

pub(crate) fn encode_request(out: &mut Vec<u8>, flags: u16, body: &MultipartRequest) {
    out.put_u16(body.mp_type());
    out.put_u16(flags);
    out.put_zeros(4);
    match body {
        MultipartRequest::Desc
        | MultipartRequest::Table
        | MultipartRequest::GroupDesc
        | MultipartRequest::GroupFeatures
        | MultipartRequest::MeterFeatures
        | MultipartRequest::PortDesc => {}
        MultipartRequest::Flow(f) | MultipartRequest::Aggregate(f) => {
            out.put_u8(f.table_id);
            out.put_zeros(3);
            out.put_u32(f.out_port.0);
            out.put_u32(f.out_group);
            out.put_zeros(4);
            out.put_u64(f.cookie);
            out.put_u64(f.cookie_mask);
            encode_match(out, &f.match_);
        }
        MultipartRequest::PortStats { port_no } => {
            out.put_u32(port_no.0);
            out.put_zeros(4);
        }
        MultipartRequest::Queue { port_no, queue_id } => {
            out.put_u32(port_no.0);
            out.put_u32(*queue_id);
        }
        MultipartRequest::Group { group_id: id }
        | MultipartRequest::Meter { meter_id: id }
        | MultipartRequest::MeterConfig { meter_id: id } => {
            out.put_u32(*id);
            out.put_zeros(4);
        }
        MultipartRequest::TableFeatures(tfs) => {
            for tf in tfs {
                encode_table_features(out, tf);
            }
        }
    }
}

// ---- reply elements ----

fn encode_flow_stats(out: &mut Vec<u8>, f: &FlowStats) {
    let start = out.len();
    out.put_u16(0);
    out.put_u8(f.table_id);
    out.put_u8(0);
    out.put_u32(f.duration_sec);
    out.put_u32(f.duration_nsec);
    out.put_u16(f.priority);
    out.put_u16(f.idle_timeout);
    out.put_u16(f.hard_timeout);
    out.put_u16(f.flags);
    out.put_zeros(4);
    out.put_u64(f.cookie);
    out.put_u64(f.packet_count);
    out.put_u64(f.byte_count);
    encode_match(out, &f.match_);
    encode_instructions(out, &f.instructions);
    let len = len16(out.len() - start);
    out.patch_u16(start, len);
}

fn decode_flow_stats(r: &mut Reader<'_>) -> Res<FlowStats> {
    let w = "ofp_flow_stats";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 56 {
        return Err(bad_len(format!("{w} length {len} is below 56")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let table_id = e.u8().or_len(w)?;
    e.skip(1).or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let priority = e.u16().or_len(w)?;
    let idle_timeout = e.u16().or_len(w)?;
    let hard_timeout = e.u16().or_len(w)?;
    let flags = e.u16().or_len(w)?;
    e.skip(4).or_len(w)?;
    let cookie = e.u64().or_len(w)?;
    let packet_count = e.u64().or_len(w)?;
    let byte_count = e.u64().or_len(w)?;
    let match_ = decode_match(&mut e)?;
    let instructions = decode_instructions(e.rest())?;
    Ok(FlowStats {
        table_id,
        duration_sec,
        duration_nsec,
        priority,
        idle_timeout,
        hard_timeout,
        flags,
        cookie,
        packet_count,
        byte_count,
        match_,
        instructions,
    })
}

fn encode_table_stats(out: &mut Vec<u8>, t: &TableStats) {
    out.put_u8(t.table_id);
    out.put_zeros(3);
    out.put_u32(t.active_count);
    out.put_u64(t.lookup_count);
    out.put_u64(t.matched_count);
}

fn decode_table_stats(r: &mut Reader<'_>) -> Res<TableStats> {
    let w = "ofp_table_stats";
    let table_id = r.u8().or_len(w)?;
    r.skip(3).or_len(w)?;
    Ok(TableStats {
        table_id,
        active_count: r.u32().or_len(w)?,
        lookup_count: r.u64().or_len(w)?,
        matched_count: r.u64().or_len(w)?,
    })
}

fn encode_port_stats(out: &mut Vec<u8>, p: &PortStats) {
    out.put_u32(p.port_no.0);
    out.put_zeros(4);
    for v in [
        p.rx_packets,
        p.tx_packets,
        p.rx_bytes,
        p.tx_bytes,
        p.rx_dropped,
        p.tx_dropped,
        p.rx_errors,
        p.tx_errors,
        p.rx_frame_err,
        p.rx_over_err,
        p.rx_crc_err,
        p.collisions,
    ] {
        out.put_u64(v);
    }
    out.put_u32(p.duration_sec);
    out.put_u32(p.duration_nsec);
}

fn decode_port_stats(r: &mut Reader<'_>) -> Res<PortStats> {
    let w = "ofp_port_stats";
    let port_no = PortNo(r.u32().or_len(w)?);
    r.skip(4).or_len(w)?;
    let mut c = [0u64; 12];
    for x in c.iter_mut() {
        *x = r.u64().or_len(w)?;
    }
    let [rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped, rx_errors, tx_errors, rx_frame_err, rx_over_err, rx_crc_err, collisions] =
        c;
    Ok(PortStats {
        port_no,
        rx_packets,
        tx_packets,
        rx_bytes,
        tx_bytes,
        rx_dropped,
        tx_dropped,
        rx_errors,
        tx_errors,
        rx_frame_err,
        rx_over_err,
        rx_crc_err,
        collisions,
        duration_sec: r.u32().or_len(w)?,
        duration_nsec: r.u32().or_len(w)?,
    })
}

fn encode_queue_stats(out: &mut Vec<u8>, q: &QueueStats) {
    out.put_u32(q.port_no.0);
    out.put_u32(q.queue_id);
    out.put_u64(q.tx_bytes);
    out.put_u64(q.tx_packets);
    out.put_u64(q.tx_errors);
    out.put_u32(q.duration_sec);
    out.put_u32(q.duration_nsec);
}

fn decode_queue_stats(r: &mut Reader<'_>) -> Res<QueueStats> {
    let w = "ofp_queue_stats";
    Ok(QueueStats {
        port_no: PortNo(r.u32().or_len(w)?),
        queue_id: r.u32().or_len(w)?,
        tx_bytes: r.u64().or_len(w)?,
        tx_packets: r.u64().or_len(w)?,
        tx_errors: r.u64().or_len(w)?,
        duration_sec: r.u32().or_len(w)?,
        duration_nsec: r.u32().or_len(w)?,
    })
}

fn encode_group_stats(out: &mut Vec<u8>, g: &GroupStats) {
    out.put_u16(len16(40 + 16 * g.bucket_stats.len()));
    out.put_zeros(2);
    out.put_u32(g.group_id);
    out.put_u32(g.ref_count);
    out.put_zeros(4);
    out.put_u64(g.packet_count);
    out.put_u64(g.byte_count);
    out.put_u32(g.duration_sec);
    out.put_u32(g.duration_nsec);
    for b in &g.bucket_stats {
        out.put_u64(b.packet_count);
        out.put_u64(b.byte_count);
    }
}

fn decode_group_stats(r: &mut Reader<'_>) -> Res<GroupStats> {
    let w = "ofp_group_stats";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 40 || !multiple_of(len - 40, 16) {
        return Err(bad_len(format!(
            "{w} length {len} is not 40 plus 16 per bucket"
        )));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(4).or_len(w)?;
    let group_id = e.u32().or_len(w)?;
    let ref_count = e.u32().or_len(w)?;
    e.skip(4).or_len(w)?;
    let packet_count = e.u64().or_len(w)?;
    let byte_count = e.u64().or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let mut bucket_stats = Vec::new();
    while !e.is_empty() {
        bucket_stats.push(BucketCounter {
            packet_count: e.u64().or_len(w)?,
            byte_count: e.u64().or_len(w)?,
        });
    }
    Ok(GroupStats {
        group_id,
        ref_count,
        packet_count,
        byte_count,
        duration_sec,
        duration_nsec,
        bucket_stats,
    })
}

fn encode_group_desc(out: &mut Vec<u8>, g: &GroupDesc) {
    out.put_u16(len16(8 + buckets_len(&g.buckets)));
    out.put_u8(group_type_code(g.group_type));
    out.put_u8(0);
    out.put_u32(g.group_id);
    encode_buckets(out, &g.buckets);
}

fn decode_group_desc(r: &mut Reader<'_>) -> Res<GroupDesc> {
    let w = "ofp_group_desc";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 8 {
        return Err(bad_len(format!("{w} length {len} is below 8")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let gt = group_type(e.u8().or_len(w)?)?;
    e.skip(1).or_len(w)?;
    let group_id = e.u32().or_len(w)?;
    Ok(GroupDesc {
        group_type: gt,
        group_id,
        buckets: decode_buckets(e.rest())?,
    })
}

fn encode_meter_stats(out: &mut Vec<u8>, m: &MeterStats) {
    out.put_u32(m.meter_id);
    out.put_u16(len16(40 + 16 * m.band_stats.len()));
    out.put_zeros(6);
    out.put_u32(m.flow_count);
    out.put_u64(m.packet_in_count);
    out.put_u64(m.byte_in_count);
    out.put_u32(m.duration_sec);
    out.put_u32(m.duration_nsec);
    for b in &m.band_stats {
        out.put_u64(b.packet_band_count);
        out.put_u64(b.byte_band_count);
    }
}

fn decode_meter_stats(r: &mut Reader<'_>) -> Res<MeterStats> {
    let w = "ofp_meter_stats";
    let len = usize::from(r.peek_u16(4).or_len(w)?);
    if len < 40 || !multiple_of(len - 40, 16) {
        return Err(bad_len(format!(
            "{w} length {len} is not 40 plus 16 per band"
        )));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    let meter_id = e.u32().or_len(w)?;
    e.skip(8).or_len(w)?;
    let flow_count = e.u32().or_len(w)?;
    let packet_in_count = e.u64().or_len(w)?;
    let byte_in_count = e.u64().or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let mut band_stats = Vec::new();
    while !e.is_empty() {
        band_stats.push(MeterBandStats {
            packet_band_count: e.u64().or_len(w)?,
            byte_band_count: e.u64().or_len(w)?,
        });
    }
    Ok(MeterStats {
        meter_id,
        flow_count,
        packet_in_count,
        byte_in_count,
        duration_sec,
        duration_nsec,
        band_stats,
    })
}

fn encode_meter_config(out: &mut Vec<u8>, m: &MeterConfig) {
    out.put_u16(len16(8 + BAND_LEN * m.bands.len()));
    out.put_u16(m.flags);
    out.put_u32(m.meter_id);
    encode_bands(out, &m.bands);
}

fn decode_meter_config(r: &mut Reader<'_>) -> Res<MeterConfig> {
    let w = "ofp_meter_config";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 8 {
        return Err(bad_len(format!("{w} length {len} is below 8")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let flags = e.u16().or_len(w)?;
    let meter_id = e.u32().or_len(w)?;
    Ok(MeterConfig {
        flags,
        meter_id,
        bands: decode_bands(e.rest())?,
    })
}

fn decode_port_desc(r: &mut Reader<'_>) -> Res<PortDesc> {
    if r.remaining() < PORT_LEN {
        return Err(bad_len(format!(
            "{} trailing bytes are too short for ofp_port ({PORT_LEN})",
            r.remaining()
        )));
    }
    decode_port(r)
}

/// Decodes elements until the body is consumed.
fn decode_list<T>(
    r: &mut Reader<'_>,
    f: impl Fn(&mut Reader<'_>) -> Res<T>,
    fixed: Option<usize>,
    what: &str,
) -> Res<Vec<T>> {
    if let Some(n) = fixed {
        if !multiple_of(r.remaining(), n) {
            return Err(bad_len(format!(
                "{what} reply body of {} bytes is not a multiple of {n}",
                r.remaining()
            )));
        }
    }
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(f(r)?);
    }
    Ok(out)
}

pub(crate) fn decode_reply(r: &mut Reader<'_>) -> Res<Message> {
    let (t, flags) = mp_header(r, "reply")?;
    let w = mp_name(t);
    let body = match t {
        mt::DESC => {
            exact(r, 4 * DESC_STR_LEN + SERIAL_NUM_LEN, t)?;
            let mut s = |n: usize| r.bytes(n).or_len(w).map(get_str);
            MultipartReply::Desc(SwitchDesc {
                mfr_desc: s(DESC_STR_LEN)?,
                hw_desc: s(DESC_STR_LEN)?,
                sw_desc: s(DESC_STR_LEN)?,
                serial_num: s(SERIAL_NUM_LEN)?,
                dp_desc: s(DESC_STR_LEN)?,
            })
        }
        mt::FLOW => MultipartReply::Flow(decode_list(r, decode_flow_stats, None, w)?),
        mt::AGGREGATE => {
            exact(r, 24, t)?;
            let packet_count = r.u64().or_len(w)?;
            let byte_count = r.u64().or_len(w)?;
            let flow_count = r.u32().or_len(w)?;
            r.skip(4).or_len(w)?;
            MultipartReply::Aggregate(AggregateStats {
                packet_count,
                byte_count,
                flow_count,
            })
        }
        mt::TABLE => MultipartReply::Table(decode_list(r, decode_table_stats, Some(24), w)?),
        mt::PORT_STATS => {
            MultipartReply::PortStats(decode_list(r, decode_port_stats, Some(112), w)?)
        }
        mt::QUEUE => MultipartReply::Queue(decode_list(r, decode_queue_stats, Some(40), w)?),
        mt::GROUP => MultipartReply::Group(decode_list(r, decode_group_stats, None, w)?),
        mt::GROUP_DESC => MultipartReply::GroupDesc(decode_list(r, decode_group_desc, None, w)?),
        mt::GROUP_FEATURES => {
            exact(r, 40, t)?;
            let types = r.u32().or_len(w)?;
            let capabilities = r.u32().or_len(w)?;
            let mut v = [0u32; 8];
            for x in v.iter_mut() {
                *x = r.u32().or_len(w)?;
            }
            let [a, b, c, d, e, f, g, h] = v;
            MultipartReply::GroupFeatures(GroupFeatures {
                types,
                capabilities,
                max_groups: [a, b, c, d],
                actions: [e, f, g, h],
            })
        }
        mt::METER => MultipartReply::Meter(decode_list(r, decode_meter_stats, None, w)?),
        mt::METER_CONFIG => {
            MultipartReply::MeterConfig(decode_list(r, decode_meter_config, None, w)?)
        }
        mt::METER_FEATURES => {
            exact(r, 16, t)?;
            let max_meter = r.u32().or_len(w)?;
            let band_types = r.u32().or_len(w)?;
            let capabilities = r.u32().or_len(w)?;
            let max_bands = r.u8().or_len(w)?;
            let max_color = r.u8().or_len(w)?;
            r.skip(2).or_len(w)?;
            MultipartReply::MeterFeatures(MeterFeatures {
                max_meter,
                band_types,
                capabilities,
                max_bands,
                max_color,
            })
        }
        mt::TABLE_FEATURES => MultipartReply::TableFeatures(decode_table_features_list(r.rest())?),
        // mt::PORT_DESC, the one type left (mp_header checked the range).
        _ => MultipartReply::PortDesc(decode_list(r, decode_port_desc, Some(PORT_LEN), w)?),
    };
    r.finish(w)?;
    Ok(Message::MultipartReply { flags, body })
}

fn each<T>(items: &[T], f: fn(&mut Vec<u8>, &T)) -> Vec<Vec<u8>> {
    items
        .iter()
        .map(|x| {
            let mut v = Vec::new();
            f(&mut v, x);
            v
        })
        .collect()
}

/// The encoded array elements of an array body; `None` for single-struct
/// bodies.
fn reply_elements(body: &MultipartReply) -> Option<Vec<Vec<u8>>> {
    Some(match body {
        MultipartReply::Flow(v) => each(v, encode_flow_stats),
        MultipartReply::Table(v) => each(v, encode_table_stats),
        MultipartReply::PortStats(v) => each(v, encode_port_stats),
        MultipartReply::Queue(v) => each(v, encode_queue_stats),
        MultipartReply::Group(v) => each(v, encode_group_stats),
        MultipartReply::GroupDesc(v) => each(v, encode_group_desc),
        MultipartReply::Meter(v) => each(v, encode_meter_stats),
        MultipartReply::MeterConfig(v) => each(v, encode_meter_config),
        MultipartReply::TableFeatures(v) => each(v, encode_table_features),
        MultipartReply::PortDesc(v) => each(v, encode_port),
        MultipartReply::Desc(_)
        | MultipartReply::Aggregate(_)
        | MultipartReply::GroupFeatures(_)
        | MultipartReply::MeterFeatures(_) => return None,
    })
}

pub(crate) fn encode_reply(out: &mut Vec<u8>, flags: u16, body: &MultipartReply) {
    out.put_u16(body.mp_type());
    out.put_u16(flags);
    out.put_zeros(4);
    match body {
        MultipartReply::Desc(d) => {
            out.put_str(&d.mfr_desc, DESC_STR_LEN);
            out.put_str(&d.hw_desc, DESC_STR_LEN);
            out.put_str(&d.sw_desc, DESC_STR_LEN);
            out.put_str(&d.serial_num, SERIAL_NUM_LEN);
            out.put_str(&d.dp_desc, DESC_STR_LEN);
        }
        MultipartReply::Aggregate(a) => {
            out.put_u64(a.packet_count);
            out.put_u64(a.byte_count);
            out.put_u32(a.flow_count);
            out.put_zeros(4);
        }
        MultipartReply::GroupFeatures(g) => {
            out.put_u32(g.types);
            out.put_u32(g.capabilities);
            for v in g.max_groups.iter().chain(g.actions.iter()) {
                out.put_u32(*v);
            }
        }
        MultipartReply::MeterFeatures(m) => {
            out.put_u32(m.max_meter);
            out.put_u32(m.band_types);
            out.put_u32(m.capabilities);
            out.put_u8(m.max_bands);
            out.put_u8(m.max_color);
            out.put_zeros(2);
        }
        _ => {
            for e in reply_elements(body).unwrap_or_default() {
                out.extend_from_slice(&e);
            }
        }
    }
}

/// Encodes a multipart reply as one or more messages of at most
/// `max_msg_len` bytes (clamped to 64..=65535), splitting array bodies
/// (FLOW, TABLE, PORT_STATS, QUEUE, GROUP, GROUP_DESC, METER, METER_CONFIG,
/// TABLE_FEATURES, PORT_DESC) between elements, with OFPMPF_REPLY_MORE set
/// on all but the last. An element larger than the limit goes alone in its
/// message. An empty array gives one message with an empty body.
pub fn encode_multipart_reply(xid: u32, body: MultipartReply, max_msg_len: usize) -> Vec<Vec<u8>> {
    let max = max_msg_len.clamp(64, usize::from(u16::MAX));
    let Some(elements) = reply_elements(&body) else {
        return vec![super::encode(
            xid,
            &Message::MultipartReply { flags: 0, body },
        )];
    };
    let t = body.mp_type();
    let start = |flags: u16| {
        let mut m = Vec::with_capacity(max.min(4096));
        m.put_u8(OFP_VERSION);
        m.put_u8(msg_type::MULTIPART_REPLY);
        m.put_u16(0);
        m.put_u32(xid);
        m.put_u16(t);
        m.put_u16(flags);
        m.put_zeros(4);
        m
    };
    let finish = |mut m: Vec<u8>, more: bool| {
        let len = len16(m.len());
        m.patch_u16(2, len);
        if more {
            m.patch_u16(10, multipart_flags::REPLY_MORE);
        }
        m
    };
    let mut msgs = Vec::new();
    let mut cur = start(0);
    for e in elements {
        if cur.len() > HEADER_LEN + MP_HEADER_LEN && cur.len().saturating_add(e.len()) > max {
            msgs.push(finish(std::mem::replace(&mut cur, start(0)), true));
        }
        cur.extend_from_slice(&e);
    }
    msgs.push(finish(cur, false));
    msgs
}

// ---- request reassembly ----

struct Pending {
    body: MultipartRequest,
    bytes: usize,
}

/// Collects multipart requests sent in parts (OFPMPF_REQ_MORE) by xid,
/// bounded in bytes per request and in requests pending at once. Only
/// TABLE_FEATURES requests have an array body that can be split; REQ_MORE
/// on any other type, or parts of different types under one xid, are
/// BadRequest BAD_MULTIPART. Exceeding the bounds is BadRequest
/// MULTIPART_BUFFER_OVERFLOW (and drops what was collected for the xid).
pub struct MultipartAssembler {
    pending: HashMap<u32, Pending>,
    max_bytes: usize,
    max_pending: usize,
}

impl Default for MultipartAssembler {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_BYTES, Self::DEFAULT_MAX_PENDING)
    }
}

impl MultipartAssembler {
    /// Default bound on the wire bytes of one reassembled request.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
    /// Default bound on requests being reassembled at once.
    pub const DEFAULT_MAX_PENDING: usize = 16;

    pub fn new(max_bytes: usize, max_pending: usize) -> Self {
        MultipartAssembler {
            pending: HashMap::new(),
            max_bytes,
            max_pending,
        }
    }

    /// Requests being reassembled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Forgets every partial request (e.g. when the connection resets).
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Feeds one decoded MULTIPART_REQUEST (its header, flags and body).
    /// Returns the complete request when this part ends it (a request
    /// without REQ_MORE and nothing pending passes straight through), or
    /// `None` while more parts are expected.
    pub fn push(
        &mut self,
        header: &Header,
        flags: u16,
        body: MultipartRequest,
    ) -> Result<Option<MultipartRequest>, DecodeError> {
        let xid = header.xid;
        let more = flags & multipart_flags::REQ_MORE != 0;
        let len = usize::from(header.length);
        let fail = |c: u16, message: String| DecodeError {
            xid,
            kind: OfpErrorKind::BadRequest(c),
            message,
        };
        let Some(mut p) = self.pending.remove(&xid) else {
            if !more {
                return Ok(Some(body));
            }
            if !matches!(body, MultipartRequest::TableFeatures(_)) {
                return Err(fail(
                    code::BAD_MULTIPART,
                    format!(
                        "multipart_request: {} request cannot be split (REQ_MORE set)",
                        mp_name(body.mp_type())
                    ),
                ));
            }
            if self.pending.len() >= self.max_pending || len > self.max_bytes {
                return Err(fail(
                    code::MULTIPART_BUFFER_OVERFLOW,
                    format!(
                        "multipart_request: too many or too large requests being reassembled \
                         ({} pending, limit {}; {len} bytes, limit {})",
                        self.pending.len(),
                        self.max_pending,
                        self.max_bytes
                    ),
                ));
            }
            self.pending.insert(xid, Pending { body, bytes: len });
            return Ok(None);
        };
        match (&mut p.body, body) {
            (MultipartRequest::TableFeatures(acc), MultipartRequest::TableFeatures(more_tfs)) => {
                p.bytes = p.bytes.saturating_add(len);
                if p.bytes > self.max_bytes {
                    return Err(fail(
                        code::MULTIPART_BUFFER_OVERFLOW,
                        format!(
                            "multipart_request: reassembled request exceeds {} bytes",
                            self.max_bytes
                        ),
                    ));
                }
                acc.extend(more_tfs);
            }
            (acc, other) => {
                return Err(fail(
                    code::BAD_MULTIPART,
                    format!(
                        "multipart_request: part of type {} continues a {} request",
                        mp_name(other.mp_type()),
                        mp_name(acc.mp_type())
                    ),
                ));
            }
        }
        if more {
            self.pending.insert(xid, p);
            Ok(None)
        } else {
            Ok(Some(p.body))
        }
    }
}
