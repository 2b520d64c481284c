//! OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY bodies, splitting of
//! large replies and reassembly of requests sent in parts. The types and
//! the shared header checks are here; `requests.rs` and `replies.rs` hold
//! the codecs.
mod replies;
mod requests;

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

pub use replies::encode_multipart_reply;
pub(crate) use replies::{decode_reply, encode_reply};
pub use requests::MultipartAssembler;
pub(crate) use requests::{decode_request, encode_request};
