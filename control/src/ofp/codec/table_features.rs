//! `ofp_table_features` with its properties (OFPMP_TABLE_FEATURES), and
//! the builder of the reply describing what the pipeline supports.
use super::action::action_type as at;
use super::buf::{err, get_str, len16, round8, OrErr, Put, Reader, Res};
use super::instruction::inst_type as it;
use super::oxm::{field_header, wire_fields, OFPXMC_EXPERIMENTER};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind};

/// OFPTFPT_* table feature property types.
pub mod prop_type {
    pub const INSTRUCTIONS: u16 = 0;
    pub const INSTRUCTIONS_MISS: u16 = 1;
    pub const NEXT_TABLES: u16 = 2;
    pub const NEXT_TABLES_MISS: u16 = 3;
    pub const WRITE_ACTIONS: u16 = 4;
    pub const WRITE_ACTIONS_MISS: u16 = 5;
    pub const APPLY_ACTIONS: u16 = 6;
    pub const APPLY_ACTIONS_MISS: u16 = 7;
    pub const MATCH: u16 = 8;
    pub const WILDCARDS: u16 = 10;
    pub const WRITE_SETFIELD: u16 = 12;
    pub const WRITE_SETFIELD_MISS: u16 = 13;
    pub const APPLY_SETFIELD: u16 = 14;
    pub const APPLY_SETFIELD_MISS: u16 = 15;
    pub const EXPERIMENTER: u16 = 0xfffe;
    pub const EXPERIMENTER_MISS: u16 = 0xffff;
}
use prop_type as pt;

/// OFP_MAX_TABLE_NAME_LEN.
pub const MAX_TABLE_NAME_LEN: usize = 32;
/// `ofp_table_features` without properties.
pub(crate) const TABLE_FEATURES_LEN: usize = 64;

/// Instructions the pipeline implements.
pub const SUPPORTED_INSTRUCTION_TYPES: &[u16] = &[
    it::GOTO_TABLE,
    it::WRITE_METADATA,
    it::WRITE_ACTIONS,
    it::APPLY_ACTIONS,
    it::CLEAR_ACTIONS,
    it::METER,
];

/// Actions the pipeline implements (no MPLS, PBB or TTL copies).
pub const SUPPORTED_ACTION_TYPES: &[u16] = &[
    at::OUTPUT,
    at::PUSH_VLAN,
    at::POP_VLAN,
    at::SET_QUEUE,
    at::GROUP,
    at::SET_NW_TTL,
    at::DEC_NW_TTL,
    at::SET_FIELD,
];

/// A table feature property. `miss` selects the *_MISS variant (what the
/// table-miss entry supports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableFeatureProp {
    /// OFPIT_* types (experimenter ids keep only their type).
    Instructions {
        miss: bool,
        ids: Vec<u16>,
    },
    NextTables {
        miss: bool,
        tables: Vec<u8>,
    },
    /// OFPAT_* types (experimenter ids keep only their type).
    WriteActions {
        miss: bool,
        ids: Vec<u16>,
    },
    ApplyActions {
        miss: bool,
        ids: Vec<u16>,
    },
    /// OXM headers; hasmask set: the field may be masked.
    Match(Vec<u32>),
    Wildcards(Vec<u32>),
    WriteSetfield {
        miss: bool,
        oxm_ids: Vec<u32>,
    },
    ApplySetfield {
        miss: bool,
        oxm_ids: Vec<u32>,
    },
    Experimenter {
        miss: bool,
        experimenter: u32,
        exp_type: u32,
        data: Vec<u8>,
    },
}

/// `ofp_table_features`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFeatures {
    pub table_id: u8,
    /// Up to 31 bytes on the wire.
    pub name: String,
    pub metadata_match: u64,
    pub metadata_write: u64,
    pub config: u32,
    pub max_entries: u32,
    pub properties: Vec<TableFeatureProp>,
}

fn tf_err(c: u16, message: String) -> OfpError {
    err(OfpErrorKind::TableFeaturesFailed(c), message)
}

impl TableFeatureProp {
    fn type_code(&self) -> u16 {
        let pick = |miss: bool, a: u16, b: u16| if miss { b } else { a };
        match self {
            Self::Instructions { miss, .. } => pick(*miss, pt::INSTRUCTIONS, pt::INSTRUCTIONS_MISS),
            Self::NextTables { miss, .. } => pick(*miss, pt::NEXT_TABLES, pt::NEXT_TABLES_MISS),
            Self::WriteActions { miss, .. } => {
                pick(*miss, pt::WRITE_ACTIONS, pt::WRITE_ACTIONS_MISS)
            }
            Self::ApplyActions { miss, .. } => {
                pick(*miss, pt::APPLY_ACTIONS, pt::APPLY_ACTIONS_MISS)
            }
            Self::Match(_) => pt::MATCH,
            Self::Wildcards(_) => pt::WILDCARDS,
            Self::WriteSetfield { miss, .. } => {
                pick(*miss, pt::WRITE_SETFIELD, pt::WRITE_SETFIELD_MISS)
            }
            Self::ApplySetfield { miss, .. } => {
                pick(*miss, pt::APPLY_SETFIELD, pt::APPLY_SETFIELD_MISS)
            }
            Self::Experimenter { miss, .. } => pick(*miss, pt::EXPERIMENTER, pt::EXPERIMENTER_MISS),
        }
    }

    /// Unpadded length.
    fn len(&self) -> usize {
        4 + match self {
            Self::Instructions { ids, .. }
            | Self::WriteActions { ids, .. }
            | Self::ApplyActions { ids, .. } => 4 * ids.len(),
            Self::NextTables { tables, .. } => tables.len(),
            Self::Match(ids)
            | Self::Wildcards(ids)
            | Self::WriteSetfield { oxm_ids: ids, .. }
            | Self::ApplySetfield { oxm_ids: ids, .. } => ids.iter().map(|&h| oxm_id_len(h)).sum(),
            Self::Experimenter { data, .. } => 8 + data.len(),
        }
    }
}

/// Bytes of an OXM id: experimenter ones carry a 32-bit experimenter id.
fn oxm_id_len(h: u32) -> usize {
    if (h >> 16) as u16 == OFPXMC_EXPERIMENTER {
        8
    } else {
        4
    }
}

pub(crate) fn encode_table_features(out: &mut Vec<u8>, tf: &TableFeatures) {
    let start = out.len();
    out.put_u16(0);
    out.put_u8(tf.table_id);
    out.put_zeros(5);
    out.put_str(&tf.name, MAX_TABLE_NAME_LEN);
    out.put_u64(tf.metadata_match);
    out.put_u64(tf.metadata_write);
    out.put_u32(tf.config);
    out.put_u32(tf.max_entries);
    for p in &tf.properties {
        let pstart = out.len();
        out.put_u16(p.type_code());
        out.put_u16(len16(p.len()));
        match p {
            TableFeatureProp::Instructions { ids, .. }
            | TableFeatureProp::WriteActions { ids, .. }
            | TableFeatureProp::ApplyActions { ids, .. } => {
                for id in ids {
                    out.put_u16(*id);
                    out.put_u16(4);
                }
            }
            TableFeatureProp::NextTables { tables, .. } => out.extend_from_slice(tables),
            TableFeatureProp::Match(ids)
            | TableFeatureProp::Wildcards(ids)
            | TableFeatureProp::WriteSetfield { oxm_ids: ids, .. }
            | TableFeatureProp::ApplySetfield { oxm_ids: ids, .. } => {
                for id in ids {
                    out.put_u32(*id);
                    if oxm_id_len(*id) == 8 {
                        // An experimenter OXM id carries its experimenter
                        // id, which is not kept.
                        out.put_u32(0);
                    }
                }
            }
            TableFeatureProp::Experimenter {
                experimenter,
                exp_type,
                data,
                ..
            } => {
                out.put_u32(*experimenter);
                out.put_u32(*exp_type);
                out.extend_from_slice(data);
            }
        }
        out.pad8_from(pstart);
    }
    let len = len16(out.len() - start);
    out.patch_u16(start, len);
}

/// Instruction or action ids: (type, len >= 4) each, extra bytes skipped.
fn decode_ids(b: &[u8], what: &str) -> Res<Vec<u16>> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    while !r.is_empty() {
        let t = r
            .u16()
            .or_kind(OfpErrorKind::TableFeaturesFailed(code::TF_BAD_LEN), what)?;
        let len = usize::from(
            r.u16()
                .or_kind(OfpErrorKind::TableFeaturesFailed(code::TF_BAD_LEN), what)?,
        );
        if len < 4 {
            return Err(tf_err(
                code::TF_BAD_LEN,
                format!("{what} id length {len} is below 4"),
            ));
        }
        r.skip(len - 4).map_err(|_| {
            tf_err(
                code::TF_BAD_LEN,
                format!("{what} id length {len} overruns its property"),
            )
        })?;
        out.push(t);
    }
    Ok(out)
}

/// OXM ids: 32-bit headers (experimenter ones are followed by their
/// experimenter id, which is skipped).
fn decode_oxm_ids(b: &[u8]) -> Res<Vec<u32>> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    while !r.is_empty() {
        let kind = OfpErrorKind::TableFeaturesFailed(code::TF_BAD_LEN);
        let h = r.u32().or_kind(kind, "OXM id")?;
        if (h >> 16) as u16 == OFPXMC_EXPERIMENTER {
            r.skip(4).or_kind(kind, "experimenter OXM id")?;
        }
        out.push(h);
    }
    Ok(out)
}

fn decode_prop(t: u16, body: &[u8]) -> Res<TableFeatureProp> {
    let miss = t & 1 == 1;
    Ok(match t {
        pt::INSTRUCTIONS | pt::INSTRUCTIONS_MISS => TableFeatureProp::Instructions {
            miss,
            ids: decode_ids(body, "instruction")?,
        },
        pt::NEXT_TABLES | pt::NEXT_TABLES_MISS => TableFeatureProp::NextTables {
            miss,
            tables: body.to_vec(),
        },
        pt::WRITE_ACTIONS | pt::WRITE_ACTIONS_MISS => TableFeatureProp::WriteActions {
            miss,
            ids: decode_ids(body, "action")?,
        },
        pt::APPLY_ACTIONS | pt::APPLY_ACTIONS_MISS => TableFeatureProp::ApplyActions {
            miss,
            ids: decode_ids(body, "action")?,
        },
        pt::MATCH => TableFeatureProp::Match(decode_oxm_ids(body)?),
        pt::WILDCARDS => TableFeatureProp::Wildcards(decode_oxm_ids(body)?),
        pt::WRITE_SETFIELD | pt::WRITE_SETFIELD_MISS => TableFeatureProp::WriteSetfield {
            miss,
            oxm_ids: decode_oxm_ids(body)?,
        },
        pt::APPLY_SETFIELD | pt::APPLY_SETFIELD_MISS => TableFeatureProp::ApplySetfield {
            miss,
            oxm_ids: decode_oxm_ids(body)?,
        },
        pt::EXPERIMENTER | pt::EXPERIMENTER_MISS => {
            let mut r = Reader::new(body);
            let kind = OfpErrorKind::TableFeaturesFailed(code::TF_BAD_LEN);
            let experimenter = r.u32().or_kind(kind, "experimenter property")?;
            let exp_type = r.u32().or_kind(kind, "experimenter property")?;
            TableFeatureProp::Experimenter {
                miss: t == pt::EXPERIMENTER_MISS,
                experimenter,
                exp_type,
                data: r.rest().to_vec(),
            }
        }
        _ => {
            return Err(tf_err(
                code::TF_BAD_TYPE,
                format!("unknown table feature property type {t}"),
            ))
        }
    })
}

/// A list of `ofp_table_features` filling `bytes` exactly.
pub(crate) fn decode_table_features_list(bytes: &[u8]) -> Res<Vec<TableFeatures>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    let kind = OfpErrorKind::TableFeaturesFailed(code::TF_BAD_LEN);
    while !r.is_empty() {
        let len = usize::from(r.peek_u16(0).or_kind(kind, "ofp_table_features")?);
        if len < TABLE_FEATURES_LEN {
            return Err(tf_err(
                code::TF_BAD_LEN,
                format!("ofp_table_features length {len} is below {TABLE_FEATURES_LEN}"),
            ));
        }
        let mut e = r.sub(len).map_err(|_| {
            tf_err(
                code::TF_BAD_LEN,
                format!("ofp_table_features length {len} overruns the message"),
            )
        })?;
        let w = "ofp_table_features";
        e.skip(2).or_kind(kind, w)?;
        let table_id = e.u8().or_kind(kind, w)?;
        e.skip(5).or_kind(kind, w)?;
        let name = get_str(e.bytes(MAX_TABLE_NAME_LEN).or_kind(kind, w)?);
        let metadata_match = e.u64().or_kind(kind, w)?;
        let metadata_write = e.u64().or_kind(kind, w)?;
        let config = e.u32().or_kind(kind, w)?;
        let max_entries = e.u32().or_kind(kind, w)?;
        let mut properties = Vec::new();
        while !e.is_empty() {
            let t = e.u16().or_kind(kind, "table feature property")?;
            let plen = usize::from(e.u16().or_kind(kind, "table feature property")?);
            if plen < 4 {
                return Err(tf_err(
                    code::TF_BAD_LEN,
                    format!("table feature property length {plen} is below 4"),
                ));
            }
            let body = e.bytes(plen - 4).map_err(|_| {
                tf_err(
                    code::TF_BAD_LEN,
                    format!("table feature property length {plen} overruns its table"),
                )
            })?;
            e.skip(round8(plen) - plen).map_err(|_| {
                tf_err(
                    code::TF_BAD_LEN,
                    format!("table feature property of length {plen} is missing padding"),
                )
            })?;
            properties.push(decode_prop(t, body)?);
        }
        out.push(TableFeatures {
            table_id,
            name,
            metadata_match,
            metadata_write,
            config,
            max_entries,
            properties,
        });
    }
    Ok(out)
}

/// The TABLE_FEATURES reply body for `n_tables` tables (ids 0..n_tables)
/// supporting `instructions` and `actions` (OFPIT_*/OFPAT_* types), every
/// OXM field of the flow field catalogue for matching (masked where
/// maskable, any of them wildcardable) and its settable fields for
/// set-field (when `actions` has SET_FIELD). The last table omits
/// GOTO_TABLE; every table may go to any later one.
pub fn build_table_features(
    n_tables: u8,
    max_entries: u32,
    instructions: &[u16],
    actions: &[u16],
) -> Vec<TableFeatures> {
    let match_ids: Vec<u32> = wire_fields()
        .map(|d| field_header(d.field, d.maskable))
        .collect();
    let wildcard_ids: Vec<u32> = wire_fields()
        .map(|d| field_header(d.field, false))
        .collect();
    let set_ids: Vec<u32> = if actions.contains(&at::SET_FIELD) {
        wire_fields()
            .filter(|d| d.settable)
            .map(|d| field_header(d.field, false))
            .collect()
    } else {
        Vec::new()
    };
    (0..n_tables)
        .map(|t| {
            let last = u16::from(t) + 1 >= u16::from(n_tables);
            let insts: Vec<u16> = instructions
                .iter()
                .copied()
                .filter(|&i| !(last && i == it::GOTO_TABLE))
                .collect();
            let next: Vec<u8> = (t.saturating_add(1)..n_tables).collect();
            let mut properties = Vec::new();
            for miss in [false, true] {
                properties.push(TableFeatureProp::Instructions {
                    miss,
                    ids: insts.clone(),
                });
            }
            for miss in [false, true] {
                properties.push(TableFeatureProp::NextTables {
                    miss,
                    tables: if last { Vec::new() } else { next.clone() },
                });
            }
            for miss in [false, true] {
                properties.push(TableFeatureProp::WriteActions {
                    miss,
                    ids: actions.to_vec(),
                });
            }
            for miss in [false, true] {
                properties.push(TableFeatureProp::ApplyActions {
                    miss,
                    ids: actions.to_vec(),
                });
            }
            properties.push(TableFeatureProp::Match(match_ids.clone()));
            properties.push(TableFeatureProp::Wildcards(wildcard_ids.clone()));
            for miss in [false, true] {
                properties.push(TableFeatureProp::WriteSetfield {
                    miss,
                    oxm_ids: set_ids.clone(),
                });
            }
            for miss in [false, true] {
                properties.push(TableFeatureProp::ApplySetfield {
                    miss,
                    oxm_ids: set_ids.clone(),
                });
            }
            TableFeatures {
                table_id: t,
                name: format!("table{t}"),
                metadata_match: u64::MAX,
                metadata_write: u64::MAX,
                config: 0,
                max_entries,
                properties,
            }
        })
        .collect()
}

/// [`build_table_features`] with what this pipeline supports.
pub fn pipeline_table_features(n_tables: u8, max_entries: u32) -> Vec<TableFeatures> {
    build_table_features(
        n_tables,
        max_entries,
        SUPPORTED_INSTRUCTION_TYPES,
        SUPPORTED_ACTION_TYPES,
    )
}
