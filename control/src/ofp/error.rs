//! OpenFlow 1.3.5 error types and codes (§7.4.4), so every rejection can be
//! reported to a controller exactly as the spec says, and to a person with
//! a message that names what is wrong.
use std::fmt;

/// An OFPET_* type with its OFP*C_* code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OfpErrorKind {
    HelloFailed(u16),
    BadRequest(u16),
    BadAction(u16),
    BadInstruction(u16),
    BadMatch(u16),
    FlowModFailed(u16),
    GroupModFailed(u16),
    PortModFailed(u16),
    TableModFailed(u16),
    QueueOpFailed(u16),
    SwitchConfigFailed(u16),
    RoleRequestFailed(u16),
    MeterModFailed(u16),
    TableFeaturesFailed(u16),
}

impl OfpErrorKind {
    /// (OFPET_*, code) as on the wire.
    pub fn type_code(self) -> (u16, u16) {
        use OfpErrorKind::*;
        match self {
            HelloFailed(c) => (0, c),
            BadRequest(c) => (1, c),
            BadAction(c) => (2, c),
            BadInstruction(c) => (3, c),
            BadMatch(c) => (4, c),
            FlowModFailed(c) => (5, c),
            GroupModFailed(c) => (6, c),
            PortModFailed(c) => (7, c),
            TableModFailed(c) => (8, c),
            QueueOpFailed(c) => (9, c),
            SwitchConfigFailed(c) => (10, c),
            RoleRequestFailed(c) => (11, c),
            MeterModFailed(c) => (12, c),
            TableFeaturesFailed(c) => (13, c),
        }
    }
}

/// Codes used by the pipeline (names as in the spec, without prefixes).
pub mod code {
    // OFPBRC_*
    pub const BAD_VERSION: u16 = 0;
    pub const BAD_TYPE: u16 = 1;
    pub const BAD_MULTIPART: u16 = 2;
    pub const BAD_EXPERIMENTER: u16 = 3;
    pub const BAD_LEN: u16 = 6;
    pub const BUFFER_UNKNOWN: u16 = 8;
    pub const BAD_TABLE_ID: u16 = 9;
    pub const BAD_PORT: u16 = 11;
    // OFPBAC_*
    pub const BAD_ACTION_TYPE: u16 = 0;
    pub const BAD_OUT_PORT: u16 = 4;
    pub const BAD_ARGUMENT: u16 = 5;
    pub const TOO_MANY: u16 = 7;
    pub const BAD_QUEUE: u16 = 8;
    pub const BAD_OUT_GROUP: u16 = 9;
    pub const MATCH_INCONSISTENT: u16 = 10;
    pub const UNSUPPORTED_ORDER: u16 = 11;
    pub const BAD_TAG: u16 = 12;
    pub const BAD_SET_TYPE: u16 = 13;
    pub const BAD_SET_LEN: u16 = 14;
    pub const BAD_SET_ARGUMENT: u16 = 15;
    // OFPBIC_*
    pub const UNKNOWN_INST: u16 = 0;
    pub const UNSUP_INST: u16 = 1;
    pub const BAD_INST_TABLE_ID: u16 = 2;
    pub const UNSUP_METADATA: u16 = 3;
    pub const UNSUP_METADATA_MASK: u16 = 4;
    // OFPBMC_*
    pub const BAD_MATCH_TYPE: u16 = 0;
    pub const BAD_MATCH_LEN: u16 = 1;
    pub const BAD_MATCH_TAG: u16 = 2;
    pub const BAD_DL_ADDR_MASK: u16 = 3;
    pub const BAD_NW_ADDR_MASK: u16 = 4;
    pub const BAD_WILDCARDS: u16 = 5;
    pub const BAD_FIELD: u16 = 6;
    pub const BAD_VALUE: u16 = 7;
    pub const BAD_MASK: u16 = 8;
    pub const BAD_PREREQ: u16 = 9;
    pub const DUP_FIELD: u16 = 10;
    // OFPFMFC_*
    pub const FM_UNKNOWN: u16 = 0;
    pub const TABLE_FULL: u16 = 1;
    pub const FM_BAD_TABLE_ID: u16 = 2;
    pub const OVERLAP: u16 = 3;
    pub const BAD_TIMEOUT: u16 = 5;
    pub const BAD_COMMAND: u16 = 6;
    pub const BAD_FLAGS: u16 = 7;
    // OFPGMFC_*
    pub const GROUP_EXISTS: u16 = 0;
    pub const INVALID_GROUP: u16 = 1;
    pub const OUT_OF_GROUPS: u16 = 3;
    pub const OUT_OF_BUCKETS: u16 = 4;
    pub const CHAINING_UNSUPPORTED: u16 = 5;
    pub const WATCH_UNSUPPORTED: u16 = 6;
    pub const LOOP: u16 = 7;
    pub const UNKNOWN_GROUP: u16 = 8;
    pub const CHAINED_GROUP: u16 = 9;
    pub const BAD_GROUP_TYPE: u16 = 10;
    pub const BAD_GROUP_COMMAND: u16 = 11;
    pub const BAD_BUCKET: u16 = 12;
    pub const BAD_WATCH: u16 = 13;
    // OFPMMFC_*
    pub const METER_UNKNOWN: u16 = 0;
    pub const METER_EXISTS: u16 = 1;
    pub const INVALID_METER: u16 = 2;
    pub const UNKNOWN_METER: u16 = 3;
    pub const BAD_METER_COMMAND: u16 = 4;
    pub const BAD_METER_FLAGS: u16 = 5;
    pub const BAD_RATE: u16 = 6;
    pub const BAD_BURST: u16 = 7;
    pub const BAD_BAND: u16 = 8;
    pub const BAD_BAND_VALUE: u16 = 9;
    pub const OUT_OF_METERS: u16 = 10;
    pub const OUT_OF_BANDS: u16 = 11;

    // Added for the wire codec (control::ofp::codec).
    // OFPBRC_*
    pub const BAD_EXP_TYPE: u16 = 4;
    pub const BRC_EPERM: u16 = 5;
    pub const BUFFER_EMPTY: u16 = 7;
    pub const IS_SLAVE: u16 = 10;
    pub const BAD_PACKET: u16 = 12;
    pub const MULTIPART_BUFFER_OVERFLOW: u16 = 13;
    // OFPBAC_* (note OFPBAC_BAD_LEN is 1; 6 is OFPBAC_EPERM)
    pub const BAD_ACTION_LEN: u16 = 1;
    pub const BAD_ACTION_EXPERIMENTER: u16 = 2;
    pub const BAD_ACTION_EXP_TYPE: u16 = 3;
    pub const ACTION_EPERM: u16 = 6;
    // OFPBIC_*
    pub const BAD_INST_EXPERIMENTER: u16 = 5;
    pub const BAD_INST_EXP_TYPE: u16 = 6;
    pub const BAD_INST_LEN: u16 = 7;
    pub const INST_EPERM: u16 = 8;
    // OFPBMC_*
    pub const MATCH_EPERM: u16 = 11;
    // OFPFMFC_*
    pub const FM_EPERM: u16 = 4;
    // OFPGMFC_*
    pub const WEIGHT_UNSUPPORTED: u16 = 2;
    pub const GROUP_EPERM: u16 = 14;
    // OFPPMFC_*
    pub const PM_BAD_PORT: u16 = 0;
    pub const PM_BAD_HW_ADDR: u16 = 1;
    pub const PM_BAD_CONFIG: u16 = 2;
    pub const PM_BAD_ADVERTISE: u16 = 3;
    pub const PM_EPERM: u16 = 4;
    // OFPTMFC_*
    pub const TM_BAD_TABLE: u16 = 0;
    pub const TM_BAD_CONFIG: u16 = 1;
    pub const TM_EPERM: u16 = 2;
    // OFPQOFC_*
    pub const QO_BAD_PORT: u16 = 0;
    pub const QO_BAD_QUEUE: u16 = 1;
    pub const QO_EPERM: u16 = 2;
    // OFPSCFC_*
    pub const SC_BAD_FLAGS: u16 = 0;
    pub const SC_BAD_LEN: u16 = 1;
    pub const SC_EPERM: u16 = 2;
    // OFPRRFC_*
    pub const RR_STALE: u16 = 0;
    pub const RR_UNSUP: u16 = 1;
    pub const RR_BAD_ROLE: u16 = 2;
    // OFPHFC_*
    pub const HF_INCOMPATIBLE: u16 = 0;
    pub const HF_EPERM: u16 = 1;
    // OFPTFFC_*
    pub const TF_BAD_TABLE: u16 = 0;
    pub const TF_BAD_METADATA: u16 = 1;
    pub const TF_BAD_TYPE: u16 = 2;
    pub const TF_BAD_LEN: u16 = 3;
    pub const TF_BAD_ARGUMENT: u16 = 4;
    pub const TF_EPERM: u16 = 5;
}

/// A rejection: the spec's type/code plus a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfpError {
    pub kind: OfpErrorKind,
    pub message: String,
}

impl OfpError {
    pub fn new(kind: OfpErrorKind, message: impl Into<String>) -> Self {
        OfpError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for OfpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, c) = self.kind.type_code();
        write!(f, "{} (OpenFlow error type {t}, code {c})", self.message)
    }
}

impl std::error::Error for OfpError {}
