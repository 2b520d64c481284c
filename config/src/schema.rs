//! The resolved configuration: every default filled in, every string parsed.
//!
//! Serializing a [`Config`] (to TOML or JSON) uses the file's key names, so
//! `toml::to_string(&config)` gives back a file that parses to the same value.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize, Serializer};

use crate::addr::OfAddr;
use crate::devargs::{self, DeviceKind};
use crate::vhost::{self, VhostConfig};

/// Default `switch.run_dir`.
pub const DEFAULT_RUN_DIR: &str = "/var/run/ferroswitch";
/// Default `switch.file_prefix`.
pub const DEFAULT_FILE_PREFIX: &str = "ferroswitch";
/// TCP port the first bridge listens on by default; bridge `i` uses this + `i`.
pub const DEFAULT_OF_PORT: u16 = 6653;
/// Highest usable OpenFlow port number (OFPP_MAX would be 0xffffff00, but
/// ferroswitch keeps port numbers within 16 bits).
pub const OFPORT_MAX: u32 = 0xfeff;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// `[switch]`: process-wide settings.
    pub switch: SwitchConfig,
    /// `[mempool]`: the packet buffer pool.
    pub mempool: MempoolConfig,
    /// `[[bridge]]`: at least one.
    #[serde(rename = "bridge")]
    pub bridges: Vec<BridgeConfig>,
    /// `[tls]`: keys for `ssl:` OpenFlow addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// `[underlay]`: the IPv4 underlay of the tunnel ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlay: Option<crate::tunnel::UnderlayConfig>,
}

/// `[tls]`: PEM files for OpenFlow over TLS, used in both directions (as
/// OVS's `set-ssl`): our key and certificate, and the CA that peers'
/// certificates must be signed by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Our private key (PEM).
    pub private_key: PathBuf,
    /// Our certificate (PEM), signed by a CA the peers trust.
    pub certificate: PathBuf,
    /// The CA certificate peers' certificates must be signed by (PEM).
    pub ca_certificate: PathBuf,
}

/// `[switch]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwitchConfig {
    /// Directory of the control socket and the pid/lock file.
    pub run_dir: PathBuf,
    /// Core of the control thread and DPDK's main lcore.
    pub control_core: usize,
    /// PMD worker cores, one thread each; never includes `control_core`
    /// (unless `pmd_core_sharing`).
    pub pmd_cores: Vec<usize>,
    /// Lets PMD threads share cores with each other and with the control
    /// thread (each gets only a time slice): for testing several PMDs on a
    /// small machine, never for forwarding at speed.
    pub pmd_core_sharing: bool,
    /// DPDK `--file-prefix`.
    pub file_prefix: String,
    /// Hugepage policy.
    pub hugepages: Hugepages,
    /// DPDK memory in MB; 0 = compute it (see [`Config::eal_memory_mb`]).
    pub memory_mb: u32,
    /// Log verbosity.
    pub log_level: LogLevel,
    /// Extra EAL arguments, passed through verbatim.
    pub eal_args: Vec<String>,
    /// Exact-match cache entries per PMD and bridge; 0 turns the EMC off.
    pub emc_entries: u32,
    /// Megaflows per PMD and bridge; translations past it are executed
    /// but not cached (and counted).
    pub flow_limit: u32,
}

/// `switch.emc_entries` default: 256 Ki entries (2 MiB per PMD and bridge).
pub const DEFAULT_EMC_ENTRIES: u32 = 1 << 18;
/// `switch.flow_limit` default, as OVS's.
pub const DEFAULT_FLOW_LIMIT: u32 = 200_000;

impl Default for SwitchConfig {
    fn default() -> Self {
        SwitchConfig {
            run_dir: PathBuf::from(DEFAULT_RUN_DIR),
            control_core: 0,
            pmd_cores: vec![1],
            pmd_core_sharing: false,
            file_prefix: DEFAULT_FILE_PREFIX.to_string(),
            hugepages: Hugepages::default(),
            memory_mb: 0,
            log_level: LogLevel::default(),
            eal_args: Vec::new(),
            emc_entries: DEFAULT_EMC_ENTRIES,
            flow_limit: DEFAULT_FLOW_LIMIT,
        }
    }
}

/// `switch.hugepages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hugepages {
    /// Use hugepages when the host has them, else run without.
    #[default]
    Auto,
    /// Require hugepages.
    On,
    /// Never use them (`--no-huge`).
    Off,
}

/// `switch.log_level`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Normal operation.
    #[default]
    Info,
    /// Debugging detail.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level as written in the config (`error` ... `trace`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[mempool]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MempoolConfig {
    /// Number of mbufs; 2^n - 1 is optimal for DPDK rings.
    pub mbufs: u32,
    /// Per-lcore cache size.
    pub cache_size: u32,
    /// Data room per mbuf, headroom included.
    pub data_room: u16,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            mbufs: 16383,
            cache_size: 256,
            data_room: 2176,
        }
    }
}

/// Bytes DPDK spends per mbuf beyond its data room: the 128-byte `rte_mbuf`
/// plus the mempool object header, rounded to cache lines.
pub const MBUF_OVERHEAD: u64 = 192;
/// Memory DPDK needs besides the mempool (descriptor rings, memzones, EAL
/// bookkeeping); added when `memory_mb` is computed.
pub const EAL_BASE_MB: u32 = 64;

impl MempoolConfig {
    /// Approximate bytes the mempool occupies.
    pub fn footprint_bytes(&self) -> u64 {
        u64::from(self.mbufs) * (u64::from(self.data_room) + MBUF_OVERHEAD)
    }

    /// [`Self::footprint_bytes`] in MB, rounded up.
    pub fn footprint_mb(&self) -> u32 {
        let mb = self.footprint_bytes().div_ceil(1 << 20);
        u32::try_from(mb).unwrap_or(u32::MAX)
    }
}

impl Config {
    /// Memory to give DPDK (`-m`, in MB): `switch.memory_mb` when set, else
    /// the mempool footprint plus [`EAL_BASE_MB`].
    pub fn eal_memory_mb(&self) -> u32 {
        if self.switch.memory_mb != 0 {
            self.switch.memory_mb
        } else {
            self.mempool.footprint_mb().saturating_add(EAL_BASE_MB)
        }
    }

    /// The bridge named `name`.
    pub fn bridge(&self, name: &str) -> Option<&BridgeConfig> {
        self.bridges.iter().find(|b| b.name == name)
    }

    /// The port named `name` (port names are unique across bridges) and its bridge.
    pub fn port(&self, name: &str) -> Option<(&BridgeConfig, &PortConfig)> {
        self.bridges
            .iter()
            .find_map(|b| b.port(name).map(|p| (b, p)))
    }
}

/// `[[bridge]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BridgeConfig {
    /// Bridge name, unique.
    pub name: String,
    /// OpenFlow datapath id; serialized as 16 hex digits like in the file.
    #[serde(serialize_with = "ser_dpid")]
    pub datapath_id: u64,
    /// Addresses to accept OpenFlow connections on.
    pub listen: Vec<OfAddr>,
    /// Controllers to connect to.
    pub controllers: Vec<OfAddr>,
    /// What to do without a controller.
    pub fail_mode: FailMode,
    /// Flows one OpenFlow table holds; one more is OFPFMFC_TABLE_FULL.
    pub max_flows_per_table: u32,
    /// `[[bridge.port]]`.
    #[serde(rename = "port")]
    pub ports: Vec<PortConfig>,
    /// Initial OpenFlow flows in ovs-ofctl syntax (checked by the daemon,
    /// which owns the flow syntax), installed at start-up in order.
    pub flows: Vec<String>,
    /// Initial groups (`group_id=1,type=all,bucket=...`).
    pub groups: Vec<String>,
    /// Initial meters (`meter=1,pktps,bands=type=drop,rate=1000`).
    pub meters: Vec<String>,
    /// `[[bridge.tunnel]]`: VXLAN/GRE tunnel ports.
    #[serde(rename = "tunnel", skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<crate::tunnel::TunnelConfig>,
}

impl BridgeConfig {
    /// The port of this bridge named `name`.
    pub fn port(&self, name: &str) -> Option<&PortConfig> {
        self.ports.iter().find(|p| p.name == name)
    }

    /// The port of this bridge with OpenFlow number `ofport`.
    pub fn port_by_ofport(&self, ofport: u32) -> Option<&PortConfig> {
        self.ports.iter().find(|p| p.ofport == ofport)
    }

    /// The datapath id as 16 hex digits, as written in the file.
    pub fn datapath_id_hex(&self) -> String {
        format!("{:016x}", self.datapath_id)
    }
}

/// `bridge.max_flows_per_table` when not given.
pub const DEFAULT_MAX_FLOWS_PER_TABLE: u32 = 1_000_000;

fn ser_dpid<S: Serializer>(dpid: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{dpid:016x}"))
}

/// `bridge.fail_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Without a controller, forward nothing the flow table does not say to.
    #[default]
    Secure,
    /// Without a controller, act as a learning switch.
    Standalone,
}

/// `port.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    /// A DPDK ethdev (physical NIC or vdev), given by `devargs`.
    #[default]
    Dpdk,
    /// vhost-user, the switch serving the socket at `path`.
    Dpdkvhostuser,
    /// vhost-user, the switch connecting (and reconnecting) to the socket
    /// QEMU serves at `path`.
    Dpdkvhostuserclient,
}

/// `[[bridge.port]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortConfig {
    /// Port name, unique across all bridges.
    pub name: String,
    /// OpenFlow port number, unique within the bridge; always set after parsing.
    pub ofport: u32,
    /// Port type.
    #[serde(rename = "type")]
    pub port_type: PortType,
    /// DPDK device arguments, e.g. `net_tap0,iface=fs-tap0` or `0000:01:00.0`.
    /// Empty for vhost ports, whose devargs the switch builds (see
    /// [`PortConfig::effective_devargs`]).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub devargs: String,
    /// RX queues, 1..=64.
    pub rx_queues: u16,
    /// RX descriptors per queue, a power of two in 64..=8192.
    pub rx_desc: u16,
    /// TX descriptors per queue, a power of two in 64..=8192.
    pub tx_desc: u16,
    /// Where received packets go until the OpenFlow pipeline exists.
    pub output: Output,
    /// The vhost-user keys (`path`, `queues`, `socket_mode`); set exactly
    /// for the vhost types.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<VhostConfig>,
}

impl PortConfig {
    /// Kind of device `devargs` names. Total: anything unrecognised is
    /// [`DeviceKind::Other`] (validation rejects non-`net_*` ones).
    pub fn device_kind(&self) -> DeviceKind {
        devargs::device_kind(&self.effective_devargs(1))
    }

    /// DPDK's name for the device: `devargs` up to the first comma, with PCI
    /// addresses in the long form (`0000:01:00.0`) DPDK names ports by.
    pub fn device_name(&self) -> String {
        devargs::device_name(&self.effective_devargs(1))
    }

    /// The devargs DPDK probes: `devargs` as written, or for a vhost port
    /// the `net_vhost` devargs built from its keys with at least
    /// `min_queues` queue pairs (one tx queue per PMD).
    pub fn effective_devargs(&self, min_queues: u16) -> String {
        match &self.vhost {
            Some(v) => vhost::devargs(self, v, min_queues),
            None => self.devargs.clone(),
        }
    }
}

/// `port.output`: static forwarding used until the OpenFlow pipeline exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Output {
    /// Drop everything received (`"drop"` or no `output` key).
    #[default]
    Drop,
    /// Send it back out the port it came in on (`"in_port"`).
    InPort,
    /// Send it out the named port of the same bridge.
    Port(String),
}

impl Output {
    /// The value as written in the file.
    pub fn as_str(&self) -> &str {
        match self {
            Output::Drop => "drop",
            Output::InPort => "in_port",
            Output::Port(name) => name,
        }
    }

    pub(crate) fn from_text(text: Option<String>) -> Self {
        match text.as_deref() {
            None | Some("drop") => Output::Drop,
            Some("in_port") => Output::InPort,
            Some(_) => Output::Port(text.unwrap_or_default()),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
