//! The OpenFlow 1.3 objects the pipeline holds, independent of how they
//! arrive (wire codec, flow syntax, config): matches, actions,
//! instructions, flow mods, groups and meters.
use fastpath::flow::{Field, FlowKey, FlowMask};

use crate::ofp::PortNo;

/// Number of flow tables (0..=254; 255 is OFPTT_ALL).
pub const N_TABLES: usize = 255;
/// OFPTT_ALL: every table (in flow-mod deletes and stats requests).
pub const TABLE_ALL: u8 = 0xff;
/// OFPG_ANY / OFPG_ALL.
pub const GROUP_ANY: u32 = 0xffff_ffff;
pub const GROUP_ALL: u32 = 0xffff_fffc;
pub const GROUP_MAX: u32 = 0xffff_ff00;
/// OFPM_MAX and the virtual meters.
pub const METER_MAX: u32 = 0xffff_0000;
pub const METER_SLOWPATH: u32 = 0xffff_fffd;
pub const METER_CONTROLLER: u32 = 0xffff_fffe;
pub const METER_ALL: u32 = 0xffff_ffff;
/// OFP_NO_BUFFER.
pub const NO_BUFFER: u32 = 0xffff_ffff;
/// OFPCML_NO_BUFFER: send the whole packet to the controller.
pub const CML_NO_BUFFER: u16 = 0xffff;

/// A match: `key` holds the values, `mask` which bits matter. Invariant:
/// `key == key & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowMatch {
    pub key: FlowKey,
    pub mask: FlowMask,
}

impl FlowMatch {
    /// Matches everything.
    pub const ANY: FlowMatch = FlowMatch {
        key: FlowKey::ZERO,
        mask: FlowKey::ZERO,
    };

    /// Adds `field == value` under `mask` (all ones: exact).
    pub fn set(&mut self, field: Field, value: u128, mask: u128) {
        self.key.set(field, value & mask);
        self.mask.set(field, mask);
    }

    /// The value and mask of `field`, if the match constrains it.
    pub fn get(&self, field: Field) -> Option<(u128, u128)> {
        let m = self.mask.get(field);
        (m != 0).then(|| (self.key.get(field), m))
    }

    /// Whether the packet key `k` matches.
    #[inline]
    pub fn matches(&self, k: &FlowKey) -> bool {
        k.eq_masked(&self.key, &self.mask)
    }
}

/// An OpenFlow 1.3 action (OFPAT_*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// OFPAT_OUTPUT; `max_len` matters for CONTROLLER only.
    Output {
        port: PortNo,
        max_len: u16,
    },
    CopyTtlOut,
    CopyTtlIn,
    SetMplsTtl(u8),
    DecMplsTtl,
    /// OFPAT_PUSH_VLAN with ethertype 0x8100 or 0x88a8.
    PushVlan(u16),
    PopVlan,
    PushMpls(u16),
    PopMpls(u16),
    SetQueue(u32),
    Group(u32),
    SetNwTtl(u8),
    DecNwTtl,
    /// OFPAT_SET_FIELD (one OXM, no mask in OF1.3).
    SetField {
        field: Field,
        value: u128,
    },
    PushPbb(u16),
    PopPbb,
}

/// An OpenFlow 1.3 instruction (OFPIT_*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    GotoTable(u8),
    WriteMetadata { value: u64, mask: u64 },
    WriteActions(Vec<Action>),
    ApplyActions(Vec<Action>),
    ClearActions,
    Meter(u32),
}

/// OFPFF_* flow-mod flags.
pub mod flow_flags {
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    pub const RESET_COUNTS: u16 = 1 << 2;
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// OFPFC_* commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowModCommand {
    Add,
    Modify,
    ModifyStrict,
    Delete,
    DeleteStrict,
}

/// A flow table modification (OFPT_FLOW_MOD without the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowMod {
    pub command: FlowModCommand,
    pub table_id: u8,
    pub priority: u16,
    pub cookie: u64,
    /// For modify/delete: only entries with (cookie & cookie_mask) ==
    /// (self.cookie & cookie_mask).
    pub cookie_mask: u64,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    pub flags: u16,
    pub buffer_id: u32,
    /// For deletes: only entries that output to this port (ANY: all).
    pub out_port: PortNo,
    /// For deletes: only entries that output to this group (GROUP_ANY: all).
    pub out_group: u32,
    pub match_: FlowMatch,
    pub instructions: Vec<Instruction>,
}

impl Default for FlowMod {
    fn default() -> Self {
        FlowMod {
            command: FlowModCommand::Add,
            table_id: 0,
            priority: 0x8000,
            cookie: 0,
            cookie_mask: 0,
            idle_timeout: 0,
            hard_timeout: 0,
            flags: 0,
            buffer_id: NO_BUFFER,
            out_port: PortNo::ANY,
            out_group: GROUP_ANY,
            match_: FlowMatch::ANY,
            instructions: Vec::new(),
        }
    }
}

/// OFPGT_*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    All,
    Select,
    Indirect,
    FastFailover,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// SELECT only; 0 elsewhere.
    pub weight: u16,
    /// FAST_FAILOVER: live when this port is up (ANY: not watched).
    pub watch_port: PortNo,
    /// FAST_FAILOVER: live when this group has a live bucket (GROUP_ANY: not watched).
    pub watch_group: u32,
    pub actions: Vec<Action>,
}

/// OFPGC_*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupModCommand {
    Add,
    Modify,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMod {
    pub command: GroupModCommand,
    pub group_type: GroupType,
    pub group_id: u32,
    pub buckets: Vec<Bucket>,
}

/// OFPMF_* meter flags.
pub mod meter_flags {
    pub const KBPS: u16 = 1 << 0;
    pub const PKTPS: u16 = 1 << 1;
    pub const BURST: u16 = 1 << 2;
    pub const STATS: u16 = 1 << 3;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterBandType {
    Drop,
    /// Raise the DSCP drop precedence by this much.
    DscpRemark {
        prec_level: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterBand {
    pub band_type: MeterBandType,
    /// kb/s or packets/s, per the meter's flags.
    pub rate: u32,
    /// kb or packets; used only with OFPMF_BURST.
    pub burst_size: u32,
}

/// OFPMC_*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterModCommand {
    Add,
    Modify,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterMod {
    pub command: MeterModCommand,
    pub flags: u16,
    pub meter_id: u32,
    pub bands: Vec<MeterBand>,
}
