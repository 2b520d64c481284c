//! Meters in ovs-ofctl syntax:
//! `meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100`
//! (each `type=` starts a band; `type=dscp_remark` needs `prec_level=`).
use super::lexer::{err, split_keyword, Delim, Lexer, PResult, Tok};
use super::matches::parse_uint_bits;
use crate::pipeline::{
    meter_flags, MeterBand, MeterBandType, MeterMod, MeterModCommand, METER_ALL, METER_CONTROLLER,
    METER_MAX, METER_SLOWPATH,
};

const FLAGS: [(&str, u16); 4] = [
    ("kbps", meter_flags::KBPS),
    ("pktps", meter_flags::PKTPS),
    ("burst", meter_flags::BURST),
    ("stats", meter_flags::STATS),
];

fn meter_id(v: Tok<'_>, del: bool) -> PResult<u32> {
    let id = match v.text {
        "all" => METER_ALL,
        "slowpath" => METER_SLOWPATH,
        "controller" => METER_CONTROLLER,
        _ => parse_uint_bits(v, "meter=", "meter", 32)? as u32,
    };
    let ok = match id {
        0 => false,
        METER_ALL => del,
        METER_SLOWPATH | METER_CONTROLLER => true,
        _ => id <= METER_MAX,
    };
    if !ok {
        return err(
            v.pos,
            format!(
                "meter {} is not a valid meter id (1 to {METER_MAX}, slowpath or controller{})",
                v.text,
                if del { ", or all" } else { "" }
            ),
        );
    }
    Ok(id)
}

fn id_name(id: u32) -> String {
    match id {
        METER_ALL => "all".into(),
        METER_SLOWPATH => "slowpath".into(),
        METER_CONTROLLER => "controller".into(),
        _ => id.to_string(),
    }
}

pub(crate) fn parse_meter_mod(input: &str, cmd: MeterModCommand) -> PResult<MeterMod> {
    let del = cmd == MeterModCommand::Delete;
    let mut mm = MeterMod {
        command: cmd,
        flags: 0,
        meter_id: METER_ALL,
        bands: Vec::new(),
    };
    let (head, bands) = split_keyword(Tok::new(input, 0), "bands");
    let mut have_id = false;
    let mut lx = Lexer::sub(input, head);
    while let Some(p) = lx.next_pair()? {
        let k = p.key.text;
        if k == "meter" {
            if p.delim != Delim::Eq {
                return err(p.key.pos, "expected meter=ID");
            }
            if have_id {
                return err(p.key.pos, "meter is given twice");
            }
            mm.meter_id = meter_id(p.value, del)?;
            have_id = true;
        } else if let Some(&(_, bit)) = FLAGS.iter().find(|f| f.0 == k) {
            if del {
                return err(p.key.pos, format!("{k} is not allowed in del-meters"));
            }
            if p.delim != Delim::None {
                return err(p.value.pos, format!("{k} takes no value"));
            }
            if mm.flags & bit != 0 {
                return err(p.key.pos, format!("{k} is given twice"));
            }
            mm.flags |= bit;
            let both = meter_flags::KBPS | meter_flags::PKTPS;
            if mm.flags & both == both {
                return err(p.key.pos, "kbps and pktps are mutually exclusive");
            }
        } else {
            return err(p.key.pos, format!("unknown keyword '{k}'"));
        }
    }
    if del {
        if let Some((kw, _)) = bands.first() {
            return err(kw.pos, "bands are not allowed in del-meters");
        }
        return Ok(mm);
    }
    if !have_id {
        return err(input.len(), "needs meter=ID");
    }
    if mm.flags & (meter_flags::KBPS | meter_flags::PKTPS) == 0 {
        return err(input.len(), "a meter must specify either 'kbps' or 'pktps'");
    }
    let Some(&(_, body)) = bands.first() else {
        return err(input.len(), "a meter needs bands=type=...,rate=...");
    };
    if let Some((kw, _)) = bands.get(1) {
        return err(kw.pos, "bands is given twice");
    }
    mm.bands = parse_bands(input, body, mm.flags)?;
    Ok(mm)
}

struct BandDraft<'a> {
    at: Tok<'a>,
    ty: Option<&'static str>,
    rate: Option<u32>,
    burst: Option<(u32, Tok<'a>)>,
    prec: Option<(u8, Tok<'a>)>,
}

fn parse_bands(input: &str, body: Tok<'_>, flags: u16) -> PResult<Vec<MeterBand>> {
    let mut drafts: Vec<BandDraft<'_>> = Vec::new();
    let mut lx = Lexer::sub(input, body);
    while let Some(p) = lx.next_pair()? {
        let k = p.key.text;
        if p.delim != Delim::Eq {
            return err(p.key.pos, format!("expected a value for {k} ({k}=VALUE)"));
        }
        let v = p.value;
        if k == "type" {
            let ty = match v.text {
                "drop" => "drop",
                "dscp_remark" => "dscp_remark",
                _ => {
                    return err(
                        v.pos,
                        format!("unknown band type {} (drop or dscp_remark)", v.shown()),
                    )
                }
            };
            drafts.push(BandDraft {
                at: p.key,
                ty: Some(ty),
                rate: None,
                burst: None,
                prec: None,
            });
            continue;
        }
        let Some(d) = drafts.last_mut() else {
            return err(p.key.pos, "a band must start with type=");
        };
        let dup = match k {
            "rate" => d.rate.is_some(),
            "burst_size" => d.burst.is_some(),
            "prec_level" => d.prec.is_some(),
            _ => return err(p.key.pos, format!("unknown band keyword '{k}'")),
        };
        if dup {
            return err(p.key.pos, format!("{k} is given twice in one band"));
        }
        match k {
            "rate" => {
                let r = parse_uint_bits(v, "rate=", "rate", 32)? as u32;
                if r == 0 {
                    return err(v.pos, "a band's rate must not be 0");
                }
                d.rate = Some(r);
            }
            "burst_size" => {
                if flags & meter_flags::BURST == 0 {
                    return err(p.key.pos, "burst_size needs the meter's 'burst' flag");
                }
                d.burst = Some((
                    parse_uint_bits(v, "burst_size=", "burst_size", 32)? as u32,
                    p.key,
                ));
            }
            _ => {
                if d.ty != Some("dscp_remark") {
                    return err(p.key.pos, "only a dscp_remark band may have prec_level");
                }
                d.prec = Some((
                    parse_uint_bits(v, "prec_level=", "prec_level", 8)? as u8,
                    p.key,
                ));
            }
        }
    }
    if drafts.is_empty() {
        return err(
            body.pos,
            "a meter needs at least one band (type=drop,rate=N)",
        );
    }
    let mut out = Vec::new();
    for d in drafts {
        let Some(rate) = d.rate else {
            return err(d.at.pos, "a band needs rate=");
        };
        if flags & meter_flags::BURST != 0 && d.burst.is_none() {
            return err(
                d.at.pos,
                "a band needs burst_size= when the meter has the 'burst' flag",
            );
        }
        let band_type = if d.ty == Some("dscp_remark") {
            let Some((prec_level, _)) = d.prec else {
                return err(d.at.pos, "a dscp_remark band needs prec_level=");
            };
            MeterBandType::DscpRemark { prec_level }
        } else {
            MeterBandType::Drop
        };
        out.push(MeterBand {
            band_type,
            rate,
            burst_size: d.burst.map_or(0, |b| b.0),
        });
    }
    Ok(out)
}

/// `meter=1 kbps burst stats bands=type=drop rate=1000 burst_size=100`:
/// ovs-ofctl's layout on one line (it puts each band on its own line);
/// it parses back.
pub(crate) fn format_meter(m: &MeterMod) -> String {
    let mut s = format!("meter={}", id_name(m.meter_id));
    if m.command == MeterModCommand::Delete {
        return s;
    }
    for (name, bit) in FLAGS {
        if m.flags & bit != 0 {
            s.push(' ');
            s.push_str(name);
        }
    }
    if !m.bands.is_empty() {
        s.push_str(" bands=");
        let bands: Vec<String> = m
            .bands
            .iter()
            .map(|b| {
                let mut t = match b.band_type {
                    MeterBandType::Drop => format!("type=drop rate={}", b.rate),
                    MeterBandType::DscpRemark { .. } => format!("type=dscp_remark rate={}", b.rate),
                };
                if m.flags & meter_flags::BURST != 0 {
                    t.push_str(&format!(" burst_size={}", b.burst_size));
                }
                if let MeterBandType::DscpRemark { prec_level } = b.band_type {
                    t.push_str(&format!(" prec_level={prec_level}"));
                }
                t
            })
            .collect();
        s.push_str(&bands.join(" "));
    }
    s
}
