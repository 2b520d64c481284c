//! OFPT_MULTIPART_REQUEST bodies → reply bodies, from the bridge's
//! pipeline snapshot, its ports and its datapath meters.
use std::time::Duration;

use super::{ports, Channel};
use crate::ofp::codec::{
    self, AggregateStats, BucketCounter, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures,
    GroupStats, MeterBandStats, MeterConfig, MeterFeatures, MeterStats, MultipartReply,
    MultipartRequest, PortStats, SwitchDesc, TableStats,
};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};
use crate::pipeline::{FlowFilter, Instruction, GROUP_ALL, METER_ALL, N_TABLES};

/// OFPGFC_SELECT_WEIGHT | SELECT_LIVENESS | CHAINING | CHAINING_CHECKS.
const GROUP_CAPABILITIES: u32 = 1 | 2 | 4 | 8;
/// OFPMF_KBPS | PKTPS | BURST | STATS.
const METER_CAPABILITIES: u32 = 1 | 2 | 4 | 8;

fn secs(d: Duration) -> (u32, u32) {
    (
        u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
        d.subsec_nanos(),
    )
}

fn filter(r: &FlowStatsRequest) -> FlowFilter {
    FlowFilter {
        table_id: r.table_id,
        match_: r.match_,
        strict: None,
        out_port: r.out_port,
        out_group: r.out_group,
        cookie: r.cookie,
        cookie_mask: r.cookie_mask,
    }
}

/// Bitmap of (1 << OFPAT_*) the pipeline implements.
fn action_bitmap() -> u32 {
    codec::SUPPORTED_ACTION_TYPES
        .iter()
        .filter(|&&t| t < 32)
        .fold(0, |m, &t| m | 1 << t)
}

/// The reply to a (reassembled) multipart request.
pub fn reply(ch: &Channel, b: usize, req: MultipartRequest) -> Result<MultipartReply, OfpError> {
    // Entry counters: the PMDs credit megaflow hits in batches.
    if matches!(
        req,
        MultipartRequest::Flow(_)
            | MultipartRequest::Aggregate(_)
            | MultipartRequest::Table
            | MultipartRequest::Group { .. }
    ) {
        ch.view.sync_credits();
    }
    let bridge = &ch.view.bridges()[b];
    let pipeline = bridge.pipeline();
    let snap = pipeline.snapshot();
    Ok(match req {
        MultipartRequest::Desc => MultipartReply::Desc(SwitchDesc {
            mfr_desc: "ferroswitch".into(),
            hw_desc: "DPDK virtual switch".into(),
            sw_desc: env!("CARGO_PKG_VERSION").into(),
            serial_num: "None".into(),
            dp_desc: bridge.name.clone(),
        }),
        MultipartRequest::Flow(r) => MultipartReply::Flow(
            snap.flows(&filter(&r))
                .into_iter()
                .map(|s| {
                    let (duration_sec, duration_nsec) = secs(s.duration);
                    FlowStats {
                        table_id: s.table_id,
                        duration_sec,
                        duration_nsec,
                        priority: s.priority,
                        idle_timeout: s.idle_timeout,
                        hard_timeout: s.hard_timeout,
                        flags: s.flags,
                        cookie: s.cookie,
                        packet_count: s.n_packets,
                        byte_count: s.n_bytes,
                        match_: s.match_,
                        instructions: s.instructions,
                    }
                })
                .collect(),
        ),
        MultipartRequest::Aggregate(r) => {
            let flows = snap.flows(&filter(&r));
            MultipartReply::Aggregate(AggregateStats {
                packet_count: flows.iter().map(|f| f.n_packets).sum(),
                byte_count: flows.iter().map(|f| f.n_bytes).sum(),
                flow_count: u32::try_from(flows.len()).unwrap_or(u32::MAX),
            })
        }
        MultipartRequest::Table => MultipartReply::Table(
            (0..N_TABLES)
                .map(|t| TableStats {
                    table_id: t as u8,
                    active_count: u32::try_from(snap.table_len(t as u8)).unwrap_or(u32::MAX),
                    lookup_count: 0,
                    matched_count: 0,
                })
                .collect(),
        ),
        MultipartRequest::PortStats { port_no } => {
            let (duration_sec, duration_nsec) = secs(ch.started.elapsed());
            MultipartReply::PortStats(
                ch.view
                    .ports_of(b)
                    .into_iter()
                    .filter(|p| port_no == PortNo::ANY || p.ofport == port_no.0)
                    .map(|p| {
                        let s = &p.stats;
                        PortStats {
                            port_no: PortNo(p.ofport),
                            rx_packets: s.rx_packets,
                            tx_packets: s.tx_packets,
                            rx_bytes: s.rx_bytes,
                            tx_bytes: s.tx_bytes,
                            rx_dropped: s.rx_missed.saturating_add(s.rx_nombuf),
                            tx_dropped: s.tx_dropped,
                            rx_errors: s.rx_errors,
                            tx_errors: s.tx_errors,
                            rx_frame_err: 0,
                            rx_over_err: 0,
                            rx_crc_err: 0,
                            collisions: 0,
                            duration_sec,
                            duration_nsec,
                        }
                    })
                    .collect(),
            )
        }
        MultipartRequest::PortDesc => MultipartReply::PortDesc(ports::descs(ch, b)),
        MultipartRequest::Queue { port_no, queue_id } => {
            if port_no != PortNo::ANY && !ports::exists(ch, b, port_no.0) {
                return Err(OfpError::new(
                    OfpErrorKind::QueueOpFailed(code::QO_BAD_PORT),
                    format!("no port {port_no}"),
                ));
            }
            if queue_id != 0xffff_ffff {
                return Err(OfpError::new(
                    OfpErrorKind::QueueOpFailed(code::QO_BAD_QUEUE),
                    format!("no queue {queue_id} (this switch has no queues)"),
                ));
            }
            MultipartReply::Queue(Vec::new())
        }
        MultipartRequest::Group { group_id } => MultipartReply::Group(
            snap.groups()
                .into_iter()
                .filter(|g| group_id == GROUP_ALL || g.group_id == group_id)
                .map(|g| {
                    let (duration_sec, duration_nsec) = secs(g.duration);
                    GroupStats {
                        group_id: g.group_id,
                        ref_count: g.ref_count,
                        packet_count: g.packet_count,
                        byte_count: g.byte_count,
                        duration_sec,
                        duration_nsec,
                        bucket_stats: g
                            .bucket_stats
                            .iter()
                            .map(|&(packet_count, byte_count)| BucketCounter {
                                packet_count,
                                byte_count,
                            })
                            .collect(),
                    }
                })
                .collect(),
        ),
        MultipartRequest::GroupDesc => MultipartReply::GroupDesc(
            snap.groups()
                .into_iter()
                .map(|g| GroupDesc {
                    group_type: g.group_type,
                    group_id: g.group_id,
                    buckets: g.buckets,
                })
                .collect(),
        ),
        MultipartRequest::GroupFeatures => {
            let max = u32::try_from(pipeline.config().max_groups).unwrap_or(u32::MAX);
            let actions = action_bitmap();
            MultipartReply::GroupFeatures(GroupFeatures {
                // ALL, SELECT, INDIRECT, FAST_FAILOVER.
                types: 0xf,
                capabilities: GROUP_CAPABILITIES,
                max_groups: [max; 4],
                actions: [actions; 4],
            })
        }
        MultipartRequest::Meter { meter_id } => {
            let meters = known_meters(&snap, meter_id)?;
            let flows = if meters.is_empty() {
                Vec::new()
            } else {
                snap.flows(&FlowFilter::default())
            };
            MultipartReply::Meter(
                meters
                    .into_iter()
                    .map(|m| {
                        let id = m.meter_id;
                        let st = bridge.meters.stats(id);
                        let (duration_sec, duration_nsec) =
                            secs(st.as_ref().map_or(Duration::ZERO, |s| s.duration));
                        let flow_count = flows
                            .iter()
                            .filter(|f| f.instructions.contains(&Instruction::Meter(id)))
                            .count();
                        MeterStats {
                            meter_id: id,
                            flow_count: u32::try_from(flow_count).unwrap_or(u32::MAX),
                            packet_in_count: st.as_ref().map_or(0, |s| s.packet_in_count),
                            byte_in_count: st.as_ref().map_or(0, |s| s.byte_in_count),
                            duration_sec,
                            duration_nsec,
                            band_stats: match &st {
                                Some(s) => s
                                    .bands
                                    .iter()
                                    .map(|b| MeterBandStats {
                                        packet_band_count: b.packet_band_count,
                                        byte_band_count: b.byte_band_count,
                                    })
                                    .collect(),
                                None => vec![MeterBandStats::default(); m.bands.len()],
                            },
                        }
                    })
                    .collect(),
            )
        }
        MultipartRequest::MeterConfig { meter_id } => MultipartReply::MeterConfig(
            known_meters(&snap, meter_id)?
                .into_iter()
                .map(|m| MeterConfig {
                    flags: m.flags,
                    meter_id: m.meter_id,
                    bands: m.bands,
                })
                .collect(),
        ),
        MultipartRequest::MeterFeatures => {
            let c = pipeline.config();
            let mut band_types = 1 << codec::OFPMBT_DROP;
            if c.dscp_remark_bands {
                band_types |= 1 << codec::OFPMBT_DSCP_REMARK;
            }
            MultipartReply::MeterFeatures(MeterFeatures {
                max_meter: u32::try_from(c.max_meters).unwrap_or(u32::MAX),
                band_types,
                capabilities: METER_CAPABILITIES,
                max_bands: u8::try_from(c.max_meter_bands).unwrap_or(u8::MAX),
                max_color: 0,
            })
        }
        MultipartRequest::TableFeatures(set) => {
            if !set.is_empty() {
                return Err(OfpError::new(
                    OfpErrorKind::TableFeaturesFailed(code::TF_EPERM),
                    "the table features cannot be changed",
                ));
            }
            let max = u32::try_from(pipeline.config().max_entries_per_table).unwrap_or(u32::MAX);
            MultipartReply::TableFeatures(codec::pipeline_table_features(N_TABLES as u8, max))
        }
    })
}

/// The meters a meter stats/config request selects: all (OFPM_ALL) or
/// the one named (MeterModFailed UNKNOWN_METER if absent).
fn known_meters(
    snap: &crate::pipeline::PipelineSnapshot,
    meter_id: u32,
) -> Result<Vec<crate::pipeline::MeterMod>, OfpError> {
    let all = snap.meters();
    if meter_id == METER_ALL {
        return Ok(all);
    }
    let one: Vec<_> = all.into_iter().filter(|m| m.meter_id == meter_id).collect();
    if one.is_empty() {
        return Err(OfpError::new(
            OfpErrorKind::MeterModFailed(code::UNKNOWN_METER),
            format!("no meter {meter_id}"),
        ));
    }
    Ok(one)
}
