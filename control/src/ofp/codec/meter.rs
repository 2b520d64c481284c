//! OFPT_METER_MOD and `ofp_meter_band_*` lists (shared with METER_CONFIG
//! replies).
use super::buf::{bad_len, err, OrErr, Put, Reader, Res};
use crate::ofp::error::code;
use crate::ofp::OfpErrorKind;
use crate::pipeline::model::{meter_flags, MeterBand, MeterBandType, MeterMod, MeterModCommand};

/// OFPMBT_*.
pub const OFPMBT_DROP: u16 = 1;
pub const OFPMBT_DSCP_REMARK: u16 = 2;
pub const OFPMBT_EXPERIMENTER: u16 = 0xffff;

/// Every band is 16 bytes on the wire.
pub(crate) const BAND_LEN: usize = 16;

/// Every OFPMF_* flag OpenFlow 1.3 defines.
pub(crate) const ALL_METER_FLAGS: u16 =
    meter_flags::KBPS | meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS;

pub(crate) fn encode_bands(out: &mut Vec<u8>, bands: &[MeterBand]) {
    for b in bands {
        let (t, prec) = match b.band_type {
            MeterBandType::Drop => (OFPMBT_DROP, 0),
            MeterBandType::DscpRemark { prec_level } => (OFPMBT_DSCP_REMARK, prec_level),
        };
        out.put_u16(t);
        out.put_u16(BAND_LEN as u16);
        out.put_u32(b.rate);
        out.put_u32(b.burst_size);
        out.put_u8(prec);
        out.put_zeros(3);
    }
}

/// A band list filling `bytes` exactly.
pub(crate) fn decode_bands(bytes: &[u8]) -> Res<Vec<MeterBand>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let left = r.remaining();
        let t = r.u16().or_len("meter band")?;
        let len = usize::from(r.u16().or_len("meter band")?);
        if len != BAND_LEN {
            return Err(bad_len(format!(
                "meter band of type {t} has length {len}, expected {BAND_LEN}"
            )));
        }
        if left < BAND_LEN {
            return Err(bad_len(format!(
                "meter band length {len} overruns the message"
            )));
        }
        let rate = r.u32().or_len("meter band")?;
        let burst_size = r.u32().or_len("meter band")?;
        let prec_level = r.u8().or_len("meter band")?;
        r.skip(3).or_len("meter band")?;
        let band_type = match t {
            OFPMBT_DROP => MeterBandType::Drop,
            OFPMBT_DSCP_REMARK => MeterBandType::DscpRemark { prec_level },
            OFPMBT_EXPERIMENTER => {
                return Err(err(
                    OfpErrorKind::MeterModFailed(code::BAD_BAND),
                    "experimenter meter bands are not supported".to_string(),
                ))
            }
            _ => {
                return Err(err(
                    OfpErrorKind::MeterModFailed(code::BAD_BAND),
                    format!("unknown meter band type {t}"),
                ))
            }
        };
        out.push(MeterBand {
            band_type,
            rate,
            burst_size,
        });
    }
    Ok(out)
}

pub(crate) fn decode_meter_mod(r: &mut Reader<'_>) -> Res<MeterMod> {
    if r.remaining() < 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_meter_mod (16)",
            r.remaining() + 8
        )));
    }
    let command = r.u16().or_len("meter_mod")?;
    let flags = r.u16().or_len("meter_mod")?;
    let meter_id = r.u32().or_len("meter_mod")?;
    let command = match command {
        0 => MeterModCommand::Add,
        1 => MeterModCommand::Modify,
        2 => MeterModCommand::Delete,
        c => {
            return Err(err(
                OfpErrorKind::MeterModFailed(code::BAD_METER_COMMAND),
                format!("unknown command {c}"),
            ))
        }
    };
    if flags & !ALL_METER_FLAGS != 0 {
        return Err(err(
            OfpErrorKind::MeterModFailed(code::BAD_METER_FLAGS),
            format!("unknown flags {:#06x}", flags & !ALL_METER_FLAGS),
        ));
    }
    let bands = decode_bands(r.rest())?;
    Ok(MeterMod {
        command,
        flags,
        meter_id,
        bands,
    })
}

pub(crate) fn encode_meter_mod(out: &mut Vec<u8>, mm: &MeterMod) {
    out.put_u16(match mm.command {
        MeterModCommand::Add => 0,
        MeterModCommand::Modify => 1,
        MeterModCommand::Delete => 2,
    });
    out.put_u16(mm.flags);
    out.put_u32(mm.meter_id);
    encode_bands(out, &mm.bands);
}
