//! What serde reads from the file, and its resolution into [`crate::Config`].
//!
//! Fields are optional and integers are `i64` here so that missing keys and
//! out-of-range numbers get this crate's messages (with key paths) instead of
//! serde's.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

use crate::addr::OfAddr;
use crate::error::Problem;
use crate::schema::{
    BridgeConfig, Config, FailMode, Hugepages, LogLevel, MempoolConfig, Output, PortConfig,
    PortType, SwitchConfig, DEFAULT_MAX_FLOWS_PER_TABLE, DEFAULT_OF_PORT,
};
use crate::validate::{self, bridge_key, port_key};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    switch: RawSwitch,
    #[serde(default)]
    mempool: RawMempool,
    #[serde(default)]
    bridge: Vec<RawBridge>,
    tls: Option<crate::schema::TlsConfig>,
    underlay: Option<crate::tunnel::RawUnderlay>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSwitch {
    run_dir: Option<PathBuf>,
    control_core: Option<i64>,
    pmd_cores: Option<Vec<i64>>,
    pmd_core_sharing: Option<bool>,
    file_prefix: Option<String>,
    hugepages: Option<Hugepages>,
    memory_mb: Option<i64>,
    log_level: Option<LogLevel>,
    eal_args: Option<Vec<String>>,
    emc_entries: Option<i64>,
    flow_limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMempool {
    mbufs: Option<i64>,
    cache_size: Option<i64>,
    data_room: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBridge {
    name: Option<String>,
    datapath_id: Option<String>,
    listen: Option<Vec<String>>,
    controllers: Option<Vec<String>>,
    fail_mode: Option<FailMode>,
    max_flows_per_table: Option<i64>,
    #[serde(default)]
    port: Vec<RawPort>,
    #[serde(default)]
    flows: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    meters: Vec<String>,
    #[serde(default)]
    tunnel: Vec<crate::tunnel::RawTunnel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPort {
    name: Option<String>,
    ofport: Option<i64>,
    #[serde(rename = "type")]
    port_type: Option<PortType>,
    devargs: Option<String>,
    rx_queues: Option<i64>,
    rx_desc: Option<i64>,
    tx_desc: Option<i64>,
    output: Option<String>,
    // vhost-user ports (see crate::vhost).
    path: Option<PathBuf>,
    queues: Option<i64>,
    socket_mode: Option<i64>,
}

/// Converts a TOML integer to the field's type; a value that does not fit is
/// reported with the same expectation the range check uses.
fn int<T: TryFrom<i64>>(value: i64, key: &str, expected: &str) -> Result<T, Problem> {
    T::try_from(value).map_err(|_| Problem::new(key, validate::out_of_range(value, expected)))
}

fn opt_int<T: TryFrom<i64>>(
    value: Option<i64>,
    default: T,
    key: &str,
    expected: &str,
) -> Result<T, Problem> {
    value.map_or(Ok(default), |v| int(v, key, expected))
}

impl RawConfig {
    /// Fills in defaults and parses strings; the rules are left to validation.
    pub(crate) fn resolve(self) -> Result<Config, Problem> {
        let switch = self.switch.resolve()?;
        let mempool = self.mempool.resolve()?;
        let underlay = self.underlay.map(|u| u.resolve()).transpose()?;
        let bridges = self
            .bridge
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.resolve(i, underlay.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Config {
            switch,
            mempool,
            bridges,
            tls: self.tls,
            underlay,
        })
    }
}

impl RawSwitch {
    fn resolve(self) -> Result<SwitchConfig, Problem> {
        let d = SwitchConfig::default();
        let pmd_cores = match self.pmd_cores {
            None => d.pmd_cores,
            Some(cores) => cores
                .into_iter()
                .enumerate()
                .map(|(i, c)| int(c, &format!("switch.pmd_cores[{i}]"), validate::EXPECT_CORE))
                .collect::<Result<_, _>>()?,
        };
        Ok(SwitchConfig {
            run_dir: self.run_dir.unwrap_or(d.run_dir),
            control_core: opt_int(
                self.control_core,
                d.control_core,
                "switch.control_core",
                validate::EXPECT_CORE,
            )?,
            pmd_cores,
            pmd_core_sharing: self.pmd_core_sharing.unwrap_or(d.pmd_core_sharing),
            file_prefix: self.file_prefix.unwrap_or(d.file_prefix),
            hugepages: self.hugepages.unwrap_or(d.hugepages),
            memory_mb: opt_int(
                self.memory_mb,
                d.memory_mb,
                "switch.memory_mb",
                validate::EXPECT_MEMORY,
            )?,
            log_level: self.log_level.unwrap_or(d.log_level),
            eal_args: self.eal_args.unwrap_or(d.eal_args),
            emc_entries: opt_int(
                self.emc_entries,
                d.emc_entries,
                "switch.emc_entries",
                validate::EXPECT_EMC,
            )?,
            flow_limit: opt_int(
                self.flow_limit,
                d.flow_limit,
                "switch.flow_limit",
                validate::EXPECT_FLOW_LIMIT,
            )?,
        })
    }
}

impl RawMempool {
    fn resolve(self) -> Result<MempoolConfig, Problem> {
        let d = MempoolConfig::default();
        Ok(MempoolConfig {
            mbufs: opt_int(self.mbufs, d.mbufs, "mempool.mbufs", validate::EXPECT_MBUFS)?,
            cache_size: opt_int(
                self.cache_size,
                d.cache_size,
                "mempool.cache_size",
                validate::EXPECT_CACHE,
            )?,
            data_room: opt_int(
                self.data_room,
                d.data_room,
                "mempool.data_room",
                validate::EXPECT_DATA_ROOM,
            )?,
        })
    }
}

fn parse_dpid(text: &str, key: &str) -> Result<u64, Problem> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() == 16 && digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        if let Ok(dpid) = u64::from_str_radix(digits, 16) {
            return Ok(dpid);
        }
    }
    Err(Problem::new(
        key,
        format!("{text:?} is not a datapath id; expected 16 hex digits such as \"0000000000000001\" (0x prefix allowed)"),
    ))
}

fn parse_addrs(list: Vec<String>, key: &str) -> Result<Vec<OfAddr>, Problem> {
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            s.parse::<OfAddr>()
                .map_err(|e| Problem::new(format!("{key}[{i}]"), e.to_string()))
        })
        .collect()
}

impl RawBridge {
    fn resolve(
        self,
        index: usize,
        underlay: Option<&crate::tunnel::UnderlayConfig>,
    ) -> Result<BridgeConfig, Problem> {
        let key = bridge_key(index);
        let name = self.name.ok_or_else(|| {
            Problem::new(
                format!("{key}.name"),
                "required; expected a bridge name such as \"br0\"",
            )
        })?;
        let datapath_id = match self.datapath_id {
            Some(text) => parse_dpid(&text, &format!("{key}.datapath_id"))?,
            // Bridge i gets i + 1 so the default never is the all-zero id.
            None => index as u64 + 1,
        };
        let listen = match self.listen {
            Some(list) => parse_addrs(list, &format!("{key}.listen"))?,
            None => {
                let port = u16::try_from(usize::from(DEFAULT_OF_PORT) + index).unwrap_or(0);
                vec![OfAddr::tcp(SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    port,
                ))]
            }
        };
        let controllers = parse_addrs(
            self.controllers.unwrap_or_default(),
            &format!("{key}.controllers"),
        )?;

        // Explicit numbers are taken first; the rest get the lowest free ones
        // in file order.
        let mut taken: HashSet<i64> = self.port.iter().filter_map(|p| p.ofport).collect();
        let mut next = 1;
        let mut ports = Vec::with_capacity(self.port.len());
        for (j, raw) in self.port.into_iter().enumerate() {
            let ofport = match raw.ofport {
                Some(n) => n,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    taken.insert(next);
                    next
                }
            };
            ports.push(raw.resolve(&port_key(index, j), ofport)?);
        }
        let max_flows_per_table = match self.max_flows_per_table {
            Some(n) if n >= 1 => int(
                n,
                &format!("{key}.max_flows_per_table"),
                "1..=4294967295 (flows per OpenFlow table)",
            )?,
            Some(n) => {
                return Err(Problem::new(
                    format!("{key}.max_flows_per_table"),
                    validate::out_of_range(n, "1..=4294967295 (flows per OpenFlow table)"),
                ))
            }
            None => DEFAULT_MAX_FLOWS_PER_TABLE,
        };
        Ok(BridgeConfig {
            name,
            datapath_id,
            listen,
            controllers,
            fail_mode: self.fail_mode.unwrap_or_default(),
            max_flows_per_table,
            ports,
            flows: self.flows,
            groups: self.groups,
            meters: self.meters,
            tunnels: self
                .tunnel
                .into_iter()
                .enumerate()
                .map(|(j, t)| t.resolve(&crate::tunnel::tunnel_key(index, j), underlay))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl RawPort {
    fn resolve(self, key: &str, ofport: i64) -> Result<PortConfig, Problem> {
        let port_type = self.port_type.unwrap_or_default();
        let name = self.name.ok_or_else(|| {
            Problem::new(
                format!("{key}.name"),
                "required; expected a port name such as \"p1\"",
            )
        })?;
        let devargs = match (port_type, self.devargs) {
            (PortType::Dpdk, Some(d)) => d,
            (PortType::Dpdk, None) => {
                return Err(Problem::new(
                    format!("{key}.devargs"),
                    "required for type \"dpdk\"; expected a PCI address (0000:01:00.0) \
                     or a DPDK vdev (net_tap0,iface=...)",
                ))
            }
            (t, Some(_)) if t.is_vhost() => {
                return Err(Problem::new(
                    format!("{key}.devargs"),
                    format!(
                        "is not used by type {:?}: the switch builds the net_vhost devargs \
                         from path and queues; expected no devargs here",
                        t.as_str()
                    ),
                ))
            }
            (_, _) => String::new(),
        };
        let vhost = if port_type.is_vhost() {
            let v =
                crate::vhost::resolve(key, port_type, self.path, self.queues, self.socket_mode)?;
            // A vhost port's rx queues are its queues; a serialized config
            // carries both, equal.
            if self.rx_queues.is_some_and(|n| n != i64::from(v.queues)) {
                return Err(Problem::new(
                    format!("{key}.rx_queues"),
                    format!(
                        "is set by queues ({}) on vhost ports; expected queues = N (queue pairs offered to the guest)",
                        v.queues
                    ),
                ));
            }
            Some(v)
        } else {
            for (field, given) in [
                ("path", self.path.is_some()),
                ("queues", self.queues.is_some()),
                ("socket_mode", self.socket_mode.is_some()),
            ] {
                if given {
                    return Err(Problem::new(
                        format!("{key}.{field}"),
                        format!(
                            "is only for the vhost types (\"dpdkvhostuser\", \"dpdkvhostuserclient\"), \
                             not for type {:?}{}",
                            port_type.as_str(),
                            if field == "queues" { "; expected rx_queues" } else { "" }
                        ),
                    ));
                }
            }
            None
        };
        let rx_queues = match &vhost {
            Some(v) => v.queues,
            None => opt_int(
                self.rx_queues,
                1,
                &format!("{key}.rx_queues"),
                validate::EXPECT_QUEUES,
            )?,
        };
        let desc = |v: Option<i64>, field: &str| {
            opt_int(v, 1024u16, &format!("{key}.{field}"), validate::EXPECT_DESC)
        };
        Ok(PortConfig {
            name,
            ofport: int(ofport, &format!("{key}.ofport"), validate::EXPECT_OFPORT)?,
            port_type,
            devargs,
            rx_queues,
            rx_desc: desc(self.rx_desc, "rx_desc")?,
            tx_desc: desc(self.tx_desc, "tx_desc")?,
            output: Output::from_text(self.output),
            vhost,
        })
    }
}
