//! The rules a resolved [`Config`] must follow. Each broken rule is one
//! [`Problem`] naming the key path and what was expected; the first one wins.

use std::collections::HashMap;
use std::fmt::Display;
use std::net::SocketAddr;

use crate::addr::OfAddr;
use crate::devargs;
use crate::error::Problem;
use crate::host::HostEnv;
use crate::schema::{
    BridgeConfig, Config, MempoolConfig, Output, SwitchConfig, DEFAULT_OF_PORT, MBUF_OVERHEAD,
    OFPORT_MAX,
};

pub(crate) const EXPECT_CORE: &str = "a core number (0, 1, ...)";
pub(crate) const EXPECT_MEMORY: &str = "a size in MB (0 = computed from the mempool)";
pub(crate) const EXPECT_EMC: &str = "0 (no exact-match cache) or a power of two in 8..=16777216";
pub(crate) const EXPECT_FLOW_LIMIT: &str = "1..=10000000 megaflows";
pub(crate) const EXPECT_MBUFS: &str = "1023..=4194303 (2^n - 1 such as 16383 is optimal)";
pub(crate) const EXPECT_CACHE: &str = "0..=512 (RTE_MEMPOOL_CACHE_MAX_SIZE)";
pub(crate) const EXPECT_DATA_ROOM: &str = "256..=65535";
pub(crate) const EXPECT_OFPORT: &str = "1..=65279 (0xfeff)";
pub(crate) const EXPECT_QUEUES: &str = "1..=64";
pub(crate) const EXPECT_DESC: &str = "a power of two in 64..=8192";

const MBUFS: std::ops::RangeInclusive<u32> = 1023..=4_194_303;
const CACHE_MAX: u32 = 512;
const DATA_ROOM_MIN: u16 = 256;
const QUEUES: std::ops::RangeInclusive<u16> = 1..=64;
const DESC: std::ops::RangeInclusive<u16> = 64..=8192;
/// Interface names are limited by Linux's IFNAMSIZ (16 with the NUL).
const NAME_MAX: usize = 15;
const FILE_PREFIX_MAX: usize = 64;
/// `output` values with a meaning of their own, so no port may be named so.
const RESERVED_PORT_NAMES: [&str; 2] = ["drop", "in_port"];

pub(crate) fn out_of_range(value: impl Display, expected: &str) -> String {
    format!("{value} is out of range; expected {expected}")
}

pub(crate) fn bridge_key(i: usize) -> String {
    format!("bridge[{i}]")
}

pub(crate) fn port_key(i: usize, j: usize) -> String {
    format!("bridge[{i}].port[{j}]")
}

pub(crate) fn check(config: &Config, env: &HostEnv) -> Result<(), Problem> {
    check_switch(&config.switch, env)?;
    check_mempool(&config.mempool)?;
    check_memory(config)?;
    check_emc(&config.switch)?;
    check_flow_limit(&config.switch)?;
    check_bridges(&config.bridges)?;
    check_tls(config)?;
    check_ports(&config.bridges)?;
    crate::tunnel::check(config)
}

/// `ssl:` addresses need the `[tls]` keys.
fn check_tls(config: &Config) -> Result<(), Problem> {
    if config.tls.is_some() {
        return Ok(());
    }
    for (i, b) in config.bridges.iter().enumerate() {
        let addrs = b
            .listen
            .iter()
            .map(|a| ("listen", a))
            .chain(b.controllers.iter().map(|a| ("controllers", a)));
        for (k, (what, a)) in addrs.enumerate() {
            if a.scheme == crate::OfScheme::Ssl {
                return Err(Problem::new(
                    format!("bridge[{i}].{what}"),
                    format!(
                        "{a} needs a [tls] table with private_key, certificate and ca_certificate (PEM files) \
                         (address {})",
                        k + 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// "it has 2 cores: 0-1", for messages about cores that do not exist.
fn machine_cores(env: &HostEnv) -> String {
    match env.n_cores {
        0 => "it reports no cores".to_string(),
        1 => "it has 1 core: 0".to_string(),
        n => format!("it has {n} cores: 0-{}", n - 1),
    }
}

fn check_core(core: usize, key: &str, env: &HostEnv) -> Result<(), Problem> {
    if core >= env.n_cores {
        return Err(Problem::new(
            key,
            format!(
                "core {core} does not exist on this machine ({})",
                machine_cores(env)
            ),
        ));
    }
    Ok(())
}

fn check_switch(s: &SwitchConfig, env: &HostEnv) -> Result<(), Problem> {
    if s.run_dir.as_os_str().is_empty() {
        return Err(Problem::new(
            "switch.run_dir",
            "must not be empty; expected a directory such as \"/var/run/ferroswitch\"",
        ));
    }
    let prefix_ok = !s.file_prefix.is_empty()
        && s.file_prefix.len() <= FILE_PREFIX_MAX
        && s.file_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !prefix_ok {
        return Err(Problem::new(
            "switch.file_prefix",
            format!(
                "{:?} is not a valid file prefix; expected 1..={FILE_PREFIX_MAX} characters from A-Z a-z 0-9 _ . -",
                s.file_prefix
            ),
        ));
    }
    check_core(s.control_core, "switch.control_core", env)?;
    if s.pmd_cores.is_empty() {
        return Err(Problem::new(
            "switch.pmd_cores",
            "must not be empty; expected at least one core for packet processing, such as [1]",
        ));
    }
    for (i, &core) in s.pmd_cores.iter().enumerate() {
        let key = format!("switch.pmd_cores[{i}]");
        check_core(core, &key, env)?;
        if s.pmd_core_sharing {
            continue;
        }
        if core == s.control_core {
            return Err(Problem::new(
                key,
                format!(
                    "pmd core {core} overlaps the control core (switch.control_core = {}); \
                     expected a core of its own, since a PMD thread never yields \
                     (switch.pmd_core_sharing = true allows it, for testing)",
                    s.control_core
                ),
            ));
        }
        if let Some(first) = s.pmd_cores[..i].iter().position(|&c| c == core) {
            return Err(Problem::new(
                key,
                format!("core {core} is already listed at switch.pmd_cores[{first}]; expected each core once \
                     (switch.pmd_core_sharing = true allows it, for testing)"),
            ));
        }
    }
    Ok(())
}

fn check_mempool(m: &MempoolConfig) -> Result<(), Problem> {
    if !MBUFS.contains(&m.mbufs) {
        return Err(Problem::new(
            "mempool.mbufs",
            out_of_range(m.mbufs, EXPECT_MBUFS),
        ));
    }
    // DPDK also wants cache_size <= mbufs / 1.5; mbufs >= 1023 makes that
    // follow from this bound.
    if m.cache_size > CACHE_MAX {
        return Err(Problem::new(
            "mempool.cache_size",
            out_of_range(m.cache_size, EXPECT_CACHE),
        ));
    }
    if m.data_room < DATA_ROOM_MIN {
        return Err(Problem::new(
            "mempool.data_room",
            out_of_range(m.data_room, EXPECT_DATA_ROOM),
        ));
    }
    Ok(())
}

fn check_emc(s: &SwitchConfig) -> Result<(), Problem> {
    let n = s.emc_entries;
    if n != 0 && (!n.is_power_of_two() || !(8..=1 << 24).contains(&n)) {
        return Err(Problem::new(
            "switch.emc_entries",
            out_of_range(n, EXPECT_EMC),
        ));
    }
    Ok(())
}

fn check_flow_limit(s: &SwitchConfig) -> Result<(), Problem> {
    if !(1..=10_000_000).contains(&s.flow_limit) {
        return Err(Problem::new(
            "switch.flow_limit",
            out_of_range(s.flow_limit, EXPECT_FLOW_LIMIT),
        ));
    }
    Ok(())
}

fn check_memory(c: &Config) -> Result<(), Problem> {
    let need = c.mempool.footprint_mb();
    let have = c.switch.memory_mb;
    if have != 0 && have < need {
        return Err(Problem::new(
            "switch.memory_mb",
            format!(
                "{have} MB cannot hold the mempool ({} mbufs of {} + {MBUF_OVERHEAD} bytes need {need} MB); \
                 expected 0 (computed) or at least {need}",
                c.mempool.mbufs, c.mempool.data_room
            ),
        ));
    }
    Ok(())
}

fn valid_name(name: &str, extra: &str) -> bool {
    (1..=NAME_MAX).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Two listeners clash when they bind the same port on the same or an
/// unspecified (any-address) IP. Port 0 lets the OS pick, so never clashes.
fn binds_clash(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.port() == b.port()
        && a.port() != 0
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn check_bridges(bridges: &[BridgeConfig]) -> Result<(), Problem> {
    if bridges.is_empty() {
        return Err(Problem::new(
            "bridge",
            "at least one [[bridge]] is required",
        ));
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut dpids: HashMap<u64, usize> = HashMap::new();
    let mut listeners: Vec<(String, OfAddr)> = Vec::new();
    for (i, b) in bridges.iter().enumerate() {
        let key = bridge_key(i);
        if !valid_name(&b.name, "_-") {
            return Err(Problem::new(
                format!("{key}.name"),
                format!(
                    "{:?} is not a valid bridge name; expected 1..={NAME_MAX} characters from A-Z a-z 0-9 _ -",
                    b.name
                ),
            ));
        }
        if let Some(first) = names.insert(&b.name, i) {
            return Err(Problem::new(
                format!("{key}.name"),
                format!(
                    "bridge name {:?} is already used by {}; expected unique bridge names",
                    b.name,
                    bridge_key(first)
                ),
            ));
        }
        if b.datapath_id == 0 {
            return Err(Problem::new(
                format!("{key}.datapath_id"),
                "0000000000000000 is not a usable datapath id; expected a non-zero value",
            ));
        }
        if let Some(first) = dpids.insert(b.datapath_id, i) {
            return Err(Problem::new(
                format!("{key}.datapath_id"),
                format!(
                    "datapath id {} is already used by bridge {:?} ({}); expected unique ids \
                     (the default is the bridge's index + 1)",
                    b.datapath_id_hex(),
                    bridges[first].name,
                    bridge_key(first)
                ),
            ));
        }
        for (k, addr) in b.listen.iter().enumerate() {
            let lkey = format!("{key}.listen[{k}]");
            if let Some((other, other_addr)) = listeners
                .iter()
                .find(|(_, o)| binds_clash(&o.addr, &addr.addr))
            {
                return Err(Problem::new(
                    lkey,
                    format!(
                        "{addr} clashes with {other} ({other_addr}); expected every listener on its own port \
                         (the default is tcp:127.0.0.1:{} + bridge index)",
                        DEFAULT_OF_PORT
                    ),
                ));
            }
            listeners.push((lkey, *addr));
        }
        for (k, addr) in b.controllers.iter().enumerate() {
            let ckey = format!("{key}.controllers[{k}]");
            if addr.addr.port() == 0 || addr.addr.ip().is_unspecified() {
                return Err(Problem::new(
                    ckey,
                    format!("{addr} cannot be connected to; expected a controller's IP address and port"),
                ));
            }
            if let Some(first) = b.controllers[..k].iter().position(|a| a == addr) {
                return Err(Problem::new(
                    ckey,
                    format!("{addr} is already listed at {key}.controllers[{first}]; expected each controller once"),
                ));
            }
        }
    }
    Ok(())
}

fn check_ports(bridges: &[BridgeConfig]) -> Result<(), Problem> {
    // Port and device names are global: DPDK and the control socket see one namespace.
    let mut port_names: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut devices: HashMap<String, (usize, usize)> = HashMap::new();
    let mut vhost_paths: HashMap<&std::path::Path, (usize, usize)> = HashMap::new();
    for (i, b) in bridges.iter().enumerate() {
        let mut ofports: HashMap<u32, usize> = HashMap::new();
        for (j, p) in b.ports.iter().enumerate() {
            let key = port_key(i, j);
            if !valid_name(&p.name, "_.-") {
                return Err(Problem::new(
                    format!("{key}.name"),
                    format!(
                        "{:?} is not a valid port name; expected 1..={NAME_MAX} characters from A-Z a-z 0-9 _ . -",
                        p.name
                    ),
                ));
            }
            if RESERVED_PORT_NAMES.contains(&p.name.as_str()) {
                return Err(Problem::new(
                    format!("{key}.name"),
                    format!(
                        "{:?} is reserved (output = {:?} has its own meaning); expected another name",
                        p.name, p.name
                    ),
                ));
            }
            if let Some((fi, fj)) = port_names.insert(&p.name, (i, j)) {
                return Err(Problem::new(
                    format!("{key}.name"),
                    format!(
                        "port name {:?} is already used by {} of bridge {:?}; expected names unique across all bridges",
                        p.name,
                        port_key(fi, fj),
                        bridges[fi].name
                    ),
                ));
            }
            if !(1..=OFPORT_MAX).contains(&p.ofport) {
                return Err(Problem::new(
                    format!("{key}.ofport"),
                    out_of_range(p.ofport, EXPECT_OFPORT),
                ));
            }
            if let Some(first) = ofports.insert(p.ofport, j) {
                return Err(Problem::new(
                    format!("{key}.ofport"),
                    format!(
                        "ofport {} is already used by port {:?} ({}); expected numbers unique within bridge {:?}",
                        p.ofport,
                        b.ports[first].name,
                        port_key(i, first),
                        b.name
                    ),
                ));
            }
            match &p.vhost {
                Some(v) => {
                    crate::vhost::check(&key, v, &|d: &std::path::Path| d.is_dir())?;
                    if let Some((fi, fj)) = vhost_paths.insert(v.path.as_path(), (i, j)) {
                        return Err(Problem::new(
                            format!("{key}.path"),
                            format!(
                                "socket {:?} is already used by port {:?} ({}); expected one socket per vhost port",
                                v.path.display(),
                                bridges[fi].ports[fj].name,
                                port_key(fi, fj)
                            ),
                        ));
                    }
                }
                None => devargs::check(&p.devargs)
                    .map_err(|m| Problem::new(format!("{key}.devargs"), m))?,
            }
            if let Some((fi, fj)) = devices.insert(p.device_name(), (i, j)) {
                return Err(Problem::new(
                    format!("{key}.devargs"),
                    format!(
                        "device {} is already used by port {:?} ({}); expected each DPDK device in one port only",
                        p.device_name(),
                        bridges[fi].ports[fj].name,
                        port_key(fi, fj)
                    ),
                ));
            }
            if !QUEUES.contains(&p.rx_queues) {
                return Err(Problem::new(
                    format!("{key}.rx_queues"),
                    out_of_range(p.rx_queues, EXPECT_QUEUES),
                ));
            }
            for (field, n) in [("rx_desc", p.rx_desc), ("tx_desc", p.tx_desc)] {
                if !DESC.contains(&n) || !n.is_power_of_two() {
                    return Err(Problem::new(
                        format!("{key}.{field}"),
                        format!("{n} is not {EXPECT_DESC}"),
                    ));
                }
            }
        }
    }
    // Outputs last: they may name ports later in the file.
    for (i, b) in bridges.iter().enumerate() {
        for (j, p) in b.ports.iter().enumerate() {
            let Output::Port(target) = &p.output else {
                continue;
            };
            let key = format!("{}.output", port_key(i, j));
            if *target == p.name {
                return Err(Problem::new(
                    key,
                    format!(
                        "{target:?} is this port itself; expected \"in_port\" to send packets back out the port they came in on"
                    ),
                ));
            }
            if b.port(target).is_some() {
                continue;
            }
            let message = match port_names.get(target.as_str()) {
                Some(&(oi, _)) => format!(
                    "port {target:?} belongs to bridge {:?}, not to bridge {:?}; expected a port of the same bridge, \"in_port\" or \"drop\"",
                    bridges[oi].name, b.name
                ),
                None => format!(
                    "no port {target:?} in bridge {:?}; expected a port of the same bridge, \"in_port\" or \"drop\"",
                    b.name
                ),
            };
            return Err(Problem::new(key, message));
        }
    }
    Ok(())
}
