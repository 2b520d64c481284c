//! Meter definitions (OpenFlow 1.3.5 §5.7): validation and storage of
//! meter mods. The token buckets themselves live in the fastpath; the
//! pipeline only emits `DpAction::Meter(id)` and hands the definitions to
//! the daemon through `meter_configs`.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use super::model::{
    meter_flags, MeterBandType, MeterMod, MeterModCommand, METER_ALL, METER_CONTROLLER, METER_MAX,
    METER_SLOWPATH, TABLE_ALL,
};
use super::table::{remove_where, RemovedFlow, RemovedReason};
use super::{PipelineConfig, PipelineSnapshot};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind};

/// All meters, by id (stored with command `Add`).
#[derive(Clone, Default, Debug)]
pub(crate) struct MeterTable {
    map: BTreeMap<u32, MeterMod>,
}

impl MeterTable {
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.map.contains_key(&id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &MeterMod> {
        self.map.values()
    }
}

fn mm_err(c: u16, msg: impl Into<String>) -> OfpError {
    OfpError::new(OfpErrorKind::MeterModFailed(c), msg)
}

fn valid_id(id: u32) -> bool {
    (1..=METER_MAX).contains(&id) || id == METER_CONTROLLER || id == METER_SLOWPATH
}

/// Checks an add/modify's flags and bands.
pub(crate) fn check_meter(mm: &MeterMod, cfg: &PipelineConfig) -> Result<(), OfpError> {
    let known = meter_flags::KBPS | meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS;
    if mm.flags & !known != 0 {
        return Err(mm_err(
            code::BAD_METER_FLAGS,
            format!("unknown meter flags {:#x}", mm.flags & !known),
        ));
    }
    let kbps = mm.flags & meter_flags::KBPS != 0;
    let pktps = mm.flags & meter_flags::PKTPS != 0;
    if kbps == pktps {
        return Err(mm_err(
            code::BAD_METER_FLAGS,
            "a meter needs exactly one of kbps and pktps",
        ));
    }
    if mm.bands.len() > cfg.max_meter_bands {
        return Err(mm_err(
            code::OUT_OF_BANDS,
            format!("at most {} bands per meter", cfg.max_meter_bands),
        ));
    }
    for (i, b) in mm.bands.iter().enumerate() {
        if b.rate == 0 {
            return Err(mm_err(code::BAD_RATE, format!("band {i}: rate 0")));
        }
        if let MeterBandType::DscpRemark { prec_level } = b.band_type {
            if !cfg.dscp_remark_bands {
                return Err(mm_err(
                    code::BAD_BAND,
                    format!("band {i}: DSCP remark bands are not supported"),
                ));
            }
            if prec_level == 0 {
                return Err(mm_err(
                    code::BAD_BAND_VALUE,
                    format!("band {i}: DSCP remark by 0"),
                ));
            }
        }
    }
    Ok(())
}

/// Applies a meter mod to `cur`: the new state (None when nothing changed)
/// and the flow entries removed along with a deleted meter.
pub(crate) fn apply_meter_mod(
    cur: &PipelineSnapshot,
    mm: &MeterMod,
    cfg: &PipelineConfig,
    now: Instant,
) -> Result<(Option<PipelineSnapshot>, Vec<RemovedFlow>), OfpError> {
    let id = mm.meter_id;
    match mm.command {
        MeterModCommand::Delete => {
            let all = id == METER_ALL;
            if !all && !valid_id(id) {
                return Err(mm_err(
                    code::INVALID_METER,
                    format!("invalid meter id {id:#x}"),
                ));
            }
            if (!all && !cur.meters.contains(id)) || (all && cur.meters.map.is_empty()) {
                // Deleting a missing meter is a no-op, as for groups.
                return Ok((None, Vec::new()));
            }
            let mut removed = Vec::new();
            let mut next = remove_where(
                cur,
                TABLE_ALL,
                |e| e.meter().is_some_and(|m| all || m == id),
                |e| removed.push(e.removed(RemovedReason::MeterDelete, now)),
            )
            .unwrap_or_else(|| cur.clone());
            let mut meters = (*next.meters).clone();
            if all {
                meters.map.clear();
            } else {
                meters.map.remove(&id);
            }
            next.meters = Arc::new(meters);
            Ok((Some(next), removed))
        }
        MeterModCommand::Add | MeterModCommand::Modify => {
            if !valid_id(id) {
                return Err(mm_err(
                    code::INVALID_METER,
                    format!("invalid meter id {id:#x}"),
                ));
            }
            let exists = cur.meters.contains(id);
            if mm.command == MeterModCommand::Add && exists {
                return Err(mm_err(code::METER_EXISTS, format!("meter {id} exists")));
            }
            if mm.command == MeterModCommand::Modify && !exists {
                return Err(mm_err(
                    code::UNKNOWN_METER,
                    format!("meter {id} does not exist"),
                ));
            }
            if !exists && cur.meters.map.len() >= cfg.max_meters {
                return Err(mm_err(
                    code::OUT_OF_METERS,
                    format!("at most {} meters", cfg.max_meters),
                ));
            }
            check_meter(mm, cfg)?;
            let mut meters = (*cur.meters).clone();
            meters.map.insert(
                id,
                MeterMod {
                    command: MeterModCommand::Add,
                    ..mm.clone()
                },
            );
            let mut next = cur.clone();
            next.meters = Arc::new(meters);
            Ok((Some(next), Vec::new()))
        }
    }
}
