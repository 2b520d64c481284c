//! OpenFlow port numbers, including the reserved ones.
use std::fmt;

/// An OpenFlow 1.3 port number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PortNo(pub u32);

impl PortNo {
    /// Highest number of a physical/logical port.
    pub const MAX: PortNo = PortNo(0xffff_ff00);
    pub const IN_PORT: PortNo = PortNo(0xffff_fff8);
    pub const TABLE: PortNo = PortNo(0xffff_fff9);
    pub const NORMAL: PortNo = PortNo(0xffff_fffa);
    pub const FLOOD: PortNo = PortNo(0xffff_fffb);
    pub const ALL: PortNo = PortNo(0xffff_fffc);
    pub const CONTROLLER: PortNo = PortNo(0xffff_fffd);
    pub const LOCAL: PortNo = PortNo(0xffff_fffe);
    /// "Any port" (wildcard in out_port filters); not a valid output.
    pub const ANY: PortNo = PortNo(0xffff_ffff);

    pub fn is_reserved(self) -> bool {
        self.0 > Self::MAX.0
    }

    /// ovs-ofctl's name for a reserved port.
    pub fn reserved_name(self) -> Option<&'static str> {
        Some(match self {
            Self::IN_PORT => "IN_PORT",
            Self::TABLE => "TABLE",
            Self::NORMAL => "NORMAL",
            Self::FLOOD => "FLOOD",
            Self::ALL => "ALL",
            Self::CONTROLLER => "CONTROLLER",
            Self::LOCAL => "LOCAL",
            Self::ANY => "ANY",
            _ => return None,
        })
    }

    /// Parses a reserved name, case-insensitively ("in_port", "LOCAL", ...).
    pub fn from_reserved_name(s: &str) -> Option<PortNo> {
        Some(match s.to_ascii_uppercase().as_str() {
            "IN_PORT" => Self::IN_PORT,
            "TABLE" => Self::TABLE,
            "NORMAL" => Self::NORMAL,
            "FLOOD" => Self::FLOOD,
            "ALL" => Self::ALL,
            "CONTROLLER" => Self::CONTROLLER,
            "LOCAL" => Self::LOCAL,
            "ANY" | "NONE" => Self::ANY,
            _ => return None,
        })
    }
}

impl fmt::Display for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reserved_name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}
