//! Names of OpenFlow 1.3.5 error types and codes (§7.4.4), so a client can
//! print an OFPT_ERROR the way the spec (and ovs-ofctl) names it.
use super::OfpErrorKind;

/// The OFPET_* name of the type and the code's name, e.g.
/// (`OFPET_FLOW_MOD_FAILED`, `OFPFMFC_TABLE_FULL`); unknown codes print as
/// their number.
pub fn names(kind: OfpErrorKind) -> (&'static str, String) {
    let (t, c) = kind.type_code();
    let (tname, prefix, codes): (&str, &str, &[&str]) = match t {
        0 => ("OFPET_HELLO_FAILED", "OFPHFC_", &["INCOMPATIBLE", "EPERM"]),
        1 => (
            "OFPET_BAD_REQUEST",
            "OFPBRC_",
            &[
                "BAD_VERSION",
                "BAD_TYPE",
                "BAD_MULTIPART",
                "BAD_EXPERIMENTER",
                "BAD_EXP_TYPE",
                "EPERM",
                "BAD_LEN",
                "BUFFER_EMPTY",
                "BUFFER_UNKNOWN",
                "BAD_TABLE_ID",
                "IS_SLAVE",
                "BAD_PORT",
                "BAD_PACKET",
                "MULTIPART_BUFFER_OVERFLOW",
            ],
        ),
        2 => (
            "OFPET_BAD_ACTION",
            "OFPBAC_",
            &[
                "BAD_TYPE",
                "BAD_LEN",
                "BAD_EXPERIMENTER",
                "BAD_EXP_TYPE",
                "BAD_OUT_PORT",
                "BAD_ARGUMENT",
                "EPERM",
                "TOO_MANY",
                "BAD_QUEUE",
                "BAD_OUT_GROUP",
                "MATCH_INCONSISTENT",
                "UNSUPPORTED_ORDER",
                "BAD_TAG",
                "BAD_SET_TYPE",
                "BAD_SET_LEN",
                "BAD_SET_ARGUMENT",
            ],
        ),
        3 => (
            "OFPET_BAD_INSTRUCTION",
            "OFPBIC_",
            &[
                "UNKNOWN_INST",
                "UNSUP_INST",
                "BAD_TABLE_ID",
                "UNSUP_METADATA",
                "UNSUP_METADATA_MASK",
                "BAD_EXPERIMENTER",
                "BAD_EXP_TYPE",
                "BAD_LEN",
                "EPERM",
            ],
        ),
        4 => (
            "OFPET_BAD_MATCH",
            "OFPBMC_",
            &[
                "BAD_TYPE",
                "BAD_LEN",
                "BAD_TAG",
                "BAD_DL_ADDR_MASK",
                "BAD_NW_ADDR_MASK",
                "BAD_WILDCARDS",
                "BAD_FIELD",
                "BAD_VALUE",
                "BAD_MASK",
                "BAD_PREREQ",
                "DUP_FIELD",
                "EPERM",
            ],
        ),
        5 => (
            "OFPET_FLOW_MOD_FAILED",
            "OFPFMFC_",
            &[
                "UNKNOWN",
                "TABLE_FULL",
                "BAD_TABLE_ID",
                "OVERLAP",
                "EPERM",
                "BAD_TIMEOUT",
                "BAD_COMMAND",
                "BAD_FLAGS",
            ],
        ),
        6 => (
            "OFPET_GROUP_MOD_FAILED",
            "OFPGMFC_",
            &[
                "GROUP_EXISTS",
                "INVALID_GROUP",
                "WEIGHT_UNSUPPORTED",
                "OUT_OF_GROUPS",
                "OUT_OF_BUCKETS",
                "CHAINING_UNSUPPORTED",
                "WATCH_UNSUPPORTED",
                "LOOP",
                "UNKNOWN_GROUP",
                "CHAINED_GROUP",
                "BAD_TYPE",
                "BAD_COMMAND",
                "BAD_BUCKET",
                "BAD_WATCH",
                "EPERM",
            ],
        ),
        7 => (
            "OFPET_PORT_MOD_FAILED",
            "OFPPMFC_",
            &[
                "BAD_PORT",
                "BAD_HW_ADDR",
                "BAD_CONFIG",
                "BAD_ADVERTISE",
                "EPERM",
            ],
        ),
        8 => (
            "OFPET_TABLE_MOD_FAILED",
            "OFPTMFC_",
            &["BAD_TABLE", "BAD_CONFIG", "EPERM"],
        ),
        9 => (
            "OFPET_QUEUE_OP_FAILED",
            "OFPQOFC_",
            &["BAD_PORT", "BAD_QUEUE", "EPERM"],
        ),
        10 => (
            "OFPET_SWITCH_CONFIG_FAILED",
            "OFPSCFC_",
            &["BAD_FLAGS", "BAD_LEN", "EPERM"],
        ),
        11 => (
            "OFPET_ROLE_REQUEST_FAILED",
            "OFPRRFC_",
            &["STALE", "UNSUP", "BAD_ROLE"],
        ),
        12 => (
            "OFPET_METER_MOD_FAILED",
            "OFPMMFC_",
            &[
                "UNKNOWN",
                "METER_EXISTS",
                "INVALID_METER",
                "UNKNOWN_METER",
                "BAD_COMMAND",
                "BAD_FLAGS",
                "BAD_RATE",
                "BAD_BURST",
                "BAD_BAND",
                "BAD_BAND_VALUE",
                "OUT_OF_METERS",
                "OUT_OF_BANDS",
            ],
        ),
        _ => (
            "OFPET_TABLE_FEATURES_FAILED",
            "OFPTFFC_",
            &[
                "BAD_TABLE",
                "BAD_METADATA",
                "BAD_TYPE",
                "BAD_LEN",
                "BAD_ARGUMENT",
                "EPERM",
            ],
        ),
    };
    let cname = match codes.get(usize::from(c)) {
        Some(n) => format!("{prefix}{n}"),
        None => format!("code {c}"),
    };
    (tname, cname)
}

/// What an error means in words, for the errors a person typing flows
/// meets most; None for the rest (the names say enough).
pub fn explain(kind: OfpErrorKind) -> Option<&'static str> {
    use crate::ofp::error::code;
    use OfpErrorKind::*;
    Some(match kind {
        BadAction(code::BAD_OUT_PORT) => "output to a port this bridge does not have",
        BadAction(code::BAD_OUT_GROUP) => "the group does not exist",
        BadAction(code::MATCH_INCONSISTENT) => "the action does not fit the match",
        BadInstruction(code::BAD_INST_TABLE_ID) => "goto_table must go to an existing, later table",
        BadInstruction(code::UNSUP_INST) => "instruction not supported",
        BadMatch(code::BAD_PREREQ) => "a field's prerequisite is missing from the match",
        BadMatch(code::DUP_FIELD) => "a field is given twice",
        FlowModFailed(code::TABLE_FULL) => "the table is full",
        FlowModFailed(code::FM_BAD_TABLE_ID) => "no such table",
        FlowModFailed(code::OVERLAP) => "overlaps an entry with the same priority",
        GroupModFailed(code::GROUP_EXISTS) => "the group already exists",
        GroupModFailed(code::UNKNOWN_GROUP) => "the group does not exist",
        GroupModFailed(code::CHAINED_GROUP) => "another group forwards to this group",
        MeterModFailed(code::METER_EXISTS) => "the meter already exists",
        MeterModFailed(code::UNKNOWN_METER) | MeterModFailed(code::METER_UNKNOWN) => {
            "the meter does not exist"
        }
        BadRequest(code::IS_SLAVE) => "the connection is a slave",
        PortModFailed(code::PM_BAD_PORT) => "no such port",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofp::error::code;

    #[test]
    fn names_follow_the_spec() {
        assert_eq!(
            names(OfpErrorKind::FlowModFailed(code::TABLE_FULL)),
            ("OFPET_FLOW_MOD_FAILED", "OFPFMFC_TABLE_FULL".to_string())
        );
        assert_eq!(
            names(OfpErrorKind::BadAction(code::BAD_OUT_GROUP)).1,
            "OFPBAC_BAD_OUT_GROUP"
        );
        assert_eq!(
            names(OfpErrorKind::MeterModFailed(code::OUT_OF_BANDS)).1,
            "OFPMMFC_OUT_OF_BANDS"
        );
        assert_eq!(names(OfpErrorKind::BadMatch(99)).1, "code 99");
    }
}
