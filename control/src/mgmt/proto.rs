//! The management protocol between `ferroctl` and the daemon: one JSON
//! request per line on the unix socket, answered by one JSON line.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    Show,
    PortStats,
    PmdStats {
        /// Reset the PMD counters after reading them.
        #[serde(default)]
        clear: bool,
    },
    /// Flow lines in ovs-ofctl syntax (a file's lines: blank lines and
    /// `#` comments are skipped; errors name the line). All or nothing.
    AddFlows {
        bridge: String,
        flows: Vec<String>,
    },
    ModFlows {
        bridge: String,
        flow: String,
        strict: bool,
    },
    /// `filter` is a match (empty: every flow).
    DelFlows {
        bridge: String,
        filter: String,
        strict: bool,
    },
    DumpFlows {
        bridge: String,
        filter: String,
    },
    AddGroups {
        bridge: String,
        groups: Vec<String>,
    },
    ModGroup {
        bridge: String,
        group: String,
    },
    /// `filter` is `group_id=N` (empty: every group).
    DelGroups {
        bridge: String,
        filter: String,
    },
    DumpGroups {
        bridge: String,
    },
    AddMeters {
        bridge: String,
        meters: Vec<String>,
    },
    /// `filter` is `meter=N` (empty: every meter).
    DelMeters {
        bridge: String,
        filter: String,
    },
    DumpMeters {
        bridge: String,
    },
    /// Translate a packet (flow syntax, exact fields) without sending it.
    Trace {
        bridge: String,
        packet: String,
    },
    /// The megaflows the PMDs have cached (all bridges when None).
    DumpMegaflows {
        bridge: Option<String>,
    },
    /// A port added at run time; `options` are `KEY=VALUE` port keys.
    AddPort {
        bridge: String,
        name: String,
        options: Vec<String>,
    },
    /// A port deleted at run time.
    DelPort {
        name: String,
    },
    /// Re-read the configuration file and apply its port changes.
    Reload,
    /// Underlay routes: `DEST/LEN [via GATEWAY]`.
    RouteAdd {
        route: String,
    },
    /// `DEST/LEN` of a static route.
    RouteDel {
        route: String,
    },
    RouteShow,
    /// The underlay neighbour (ARP) table.
    NeighShow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Body),
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Show(ShowReply),
    PortStats(PortStatsReply),
    PmdStats(PmdStatsReply),
    Flows(FlowsReply),
    Groups(GroupsReply),
    Meters(MetersReply),
    Trace(TraceReply),
    Megaflows(MegaflowsReply),
    Done(DoneReply),
    Routes(RoutesReply),
    Neighbours(NeighboursReply),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutesReply {
    pub routes: Vec<RouteInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteInfo {
    /// `A.B.C.D/LEN`.
    pub dest: String,
    /// Gateway; None: on link.
    pub via: Option<String>,
    /// "connected" (the underlay subnet) or "static".
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighboursReply {
    /// The underlay port.
    pub port: String,
    pub neighbours: Vec<NeighbourInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeighbourInfo {
    pub ip: String,
    /// None while ARP is resolving it.
    pub mac: Option<String>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MegaflowsReply {
    pub megaflows: Vec<MegaflowInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MegaflowInfo {
    /// The PMD core whose cache holds it.
    pub pmd: usize,
    pub bridge: String,
    /// Key and mask in flow syntax (only the fields the mask covers).
    #[serde(rename = "match")]
    pub match_: String,
    pub packets: u64,
    pub bytes: u64,
    /// Seconds since the last hit.
    pub used_s: f64,
    pub actions: String,
}

/// A change was applied (and the datapath already obeys it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneReply {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowsReply {
    pub flows: Vec<FlowInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowInfo {
    pub table: u8,
    pub priority: u16,
    pub cookie: u64,
    pub duration_s: f64,
    pub n_packets: u64,
    pub n_bytes: u64,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    /// OFPFF_* flags.
    pub flags: u16,
    /// The match in flow syntax ("" matches everything).
    #[serde(rename = "match")]
    pub match_: String,
    /// The instructions in flow syntax, as after `actions=`.
    pub actions: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsReply {
    pub groups: Vec<GroupInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub group_id: u32,
    /// The whole group in flow syntax (`group_id=1,type=all,bucket=...`).
    pub desc: String,
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetersReply {
    pub meters: Vec<MeterInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterInfo {
    pub meter_id: u32,
    /// The meter in flow syntax (`meter=1,kbps,bands=type=drop,rate=1000`).
    pub desc: String,
    pub packets_in: u64,
    pub bytes_in: u64,
    /// Packets each band acted on, in band order.
    pub band_packets: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceReply {
    /// The parsed packet as a flow.
    pub flow: String,
    pub steps: Vec<TraceStep>,
    /// The compiled datapath program.
    pub datapath_actions: String,
    /// Fields the megaflow for this packet would match on.
    pub megaflow: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub table: u8,
    /// The matching entry (`priority=..,MATCH`), or None on a table miss.
    pub entry: Option<String>,
    pub actions: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowReply {
    pub version: String,
    pub dpdk_version: String,
    pub pid: u32,
    pub hugepages: bool,
    pub control_core: usize,
    pub bridges: Vec<BridgeInfo>,
    pub pmds: Vec<PmdInfo>,
    /// The packet buffer pool: a leak shows as `in_use` that does not
    /// come back to its idle value.
    #[serde(default)]
    pub mempool: MempoolInfo,
    /// The OpenFlow channel, per bridge.
    #[serde(default)]
    pub openflow: Vec<OpenFlowInfo>,
}

/// One bridge's OpenFlow listeners, controllers and connections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenFlowInfo {
    pub bridge: String,
    pub endpoints: Vec<OpenFlowEndpoint>,
    /// Connections on the listeners and to the controllers (not those on
    /// the management socket).
    pub connections: Vec<OpenFlowConnection>,
}

/// A configured listener or controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenFlowEndpoint {
    /// "listen" or "controller".
    pub kind: String,
    pub addr: String,
    /// "listening", "cannot bind, retrying", "connecting", "connected",
    /// "disconnected, retrying" or "not started".
    pub state: String,
    /// Why it is not listening or connected.
    pub error: Option<String>,
    /// Seconds in this state.
    pub secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenFlowConnection {
    pub id: u64,
    pub peer: String,
    /// "equal", "master" or "slave".
    pub role: String,
    /// The HELLO exchange completed.
    pub ready: bool,
    /// Seconds since it was made.
    pub secs: u64,
    pub packet_ins_sent: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MempoolInfo {
    pub name: String,
    /// Mbufs in the pool.
    pub size: u32,
    /// Mbufs allocated: in rx rings, per-core caches and in flight.
    pub in_use: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeInfo {
    pub name: String,
    /// 16 hex digits.
    pub datapath_id: String,
    pub ports: Vec<PortInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortInfo {
    pub name: String,
    pub ofport: u32,
    pub devargs: String,
    pub driver: String,
    pub dpdk_port: u16,
    pub mac: String,
    pub link_up: bool,
    pub link_speed_mbps: u32,
    pub rx_queues: u16,
    pub tx_queues: u16,
    /// Where received packets go: a port name, "in_port" or "drop".
    pub output: String,
    /// vhost-user ports: the tx queues the guest enabled, the only ones it
    /// receives on (empty while no guest is attached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_queues_enabled: Option<Vec<u16>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmdInfo {
    pub core: usize,
    pub lcore: u32,
    pub rx_queues: Vec<RxqInfo>,
    /// The ports this PMD does not send to on its own tx queue (queue k
    /// for PMD k) because the guest did not enable it: their packets go
    /// to another PMD, which sends them on its own queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tx_handoffs: Vec<TxHandoff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxHandoff {
    pub port: String,
    /// The PMD (index in `pmds`) that sends them, on its tx queue.
    pub to_pmd: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RxqInfo {
    pub port: String,
    pub queue: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortStatsReply {
    pub ports: Vec<PortStats>,
}

/// Packet and byte counts are the switch's own (what its PMDs received and
/// sent); errors, misses and rx_nombuf come from the driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortStats {
    pub bridge: String,
    pub name: String,
    pub ofport: u32,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    /// Received but not forwarded (no output).
    pub rx_dropped: u64,
    pub rx_errors: u64,
    pub rx_missed: u64,
    pub rx_nombuf: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Refused by the driver (tx queue full).
    pub tx_dropped: u64,
    pub tx_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmdStatsReply {
    pub tsc_hz: u64,
    pub pmds: Vec<PmdStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmdStats {
    pub core: usize,
    pub lcore: u32,
    pub iterations: u64,
    pub packets: u64,
    pub busy_cycles: u64,
    pub idle_cycles: u64,
    pub busy_percent: f64,
    pub cycles_per_packet: f64,
    /// Packets the exact-match cache found.
    pub emc_hits: u64,
    /// Packets the megaflow cache found after an EMC miss.
    pub megaflow_hits: u64,
    /// Of `megaflow_hits`: found without a tuple-space search, on the
    /// previous packet's megaflow or the burst's in_port-only megaflow.
    #[serde(default)]
    pub megaflow_repeat_hits: u64,
    pub upcalls: u64,
    /// Upcalls whose translation was not cached (megaflow limit).
    pub upcalls_not_cached: u64,
    /// Packets deferred to the next iteration by the per-burst upcall budget.
    pub upcall_deferred: u64,
    /// Average subtables probed per tuple-space search.
    pub lookups_per_packet: f64,
    /// Megaflows cached now.
    pub megaflows: u64,
    /// Megaflows removed because a pipeline change could affect them.
    #[serde(default)]
    pub megaflows_revalidated: u64,
    pub malformed: u64,
    /// Packets sent to the controller path.
    pub controller: u64,
    /// Executor drops by reason (meter, ttl_expired, no_buffers, drop,
    /// no_room, no_output, too_deep).
    pub drops: std::collections::BTreeMap<String, u64>,
    pub rx_queues: Vec<RxqInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_json() {
        assert_eq!(
            serde_json::to_string(&Request::Show).unwrap(),
            r#"{"command":"show"}"#
        );
        let r: Request = serde_json::from_str(r#"{"command":"pmd-stats"}"#).unwrap();
        assert_eq!(r, Request::PmdStats { clear: false });
        let r: Request = serde_json::from_str(r#"{"command":"port-stats"}"#).unwrap();
        assert_eq!(r, Request::PortStats);
        assert!(serde_json::from_str::<Request>(r#"{"command":"reboot"}"#).is_err());
    }

    #[test]
    fn replies_round_trip() {
        let r = Reply::Ok(Body::PortStats(PortStatsReply { ports: vec![] }));
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"ok":{"ports":[]}}"#);
        assert_eq!(serde_json::from_str::<Reply>(&s).unwrap(), r);
        let e = Reply::Error("bad".into());
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"error":"bad"}"#);
    }
}
