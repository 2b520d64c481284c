//! Configuration of ferroswitch: parse and validate the switch's TOML file.
//!
//! ```toml
//! [switch]            # process: run_dir, control_core, pmd_cores, file_prefix,
//!                     # hugepages, memory_mb, log_level, eal_args
//! [mempool]           # mbufs, cache_size, data_room
//! [[bridge]]          # name, datapath_id, listen, controllers, fail_mode
//! [[bridge.port]]     # name, ofport, type, devargs, rx_queues, rx_desc, tx_desc, output,
//!                     # path, queues, socket_mode (vhost-user types)
//! [[bridge.tunnel]]   # name, ofport, type, remote_ip, local_ip, key, dst_port, tos, ttl, df, csum
//! [underlay]          # port, ip, mtu, routes, neighbours
//! ```
//!
//! `config/default.toml` documents every key and its default. [`load`] and
//! [`parse`] return a [`Config`] with every default filled in (including
//! each port's `ofport` and each bridge's `datapath_id`/`listen`) that has
//! passed [`Config::validate_with`] against this machine; [`load_with`] and
//! [`parse_with`] take the machine as a [`HostEnv`] so tests can pretend.
//!
//! Unknown keys are errors, so a typo never silently becomes a default. Every
//! [`ConfigError`] names the file, the key path (`bridge[0].port[1].ofport`),
//! the line when known, and what was expected.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod addr;
mod devargs;
mod error;
mod host;
mod raw;
mod runtime_port;
mod schema;
mod spans;
mod tunnel;
mod validate;
mod vhost;

use std::path::Path;

pub use addr::{OfAddr, OfAddrParseError, OfScheme};
pub use devargs::DeviceKind;
pub use error::ConfigError;
pub use host::HostEnv;
pub use runtime_port::port_from_options;
pub use schema::{
    BridgeConfig, Config, FailMode, Hugepages, LogLevel, MempoolConfig, Output, PortConfig,
    PortType, SwitchConfig, TlsConfig, DEFAULT_FILE_PREFIX, DEFAULT_MAX_FLOWS_PER_TABLE,
    DEFAULT_OF_PORT, DEFAULT_RUN_DIR, EAL_BASE_MB, MBUF_OVERHEAD, OFPORT_MAX,
};
pub use vhost::{VhostConfig, DEFAULT_SOCKET_MODE};

pub use tunnel::{
    parse_prefix, Inherit, RouteConfig, TunnelConfig, TunnelKey, TunnelRemote, TunnelType,
    UnderlayConfig, DEFAULT_MTU, DEFAULT_NEIGHBOUR_TIMEOUT, VXLAN_PORT,
};

use error::Problem;
use raw::RawConfig;
use spans::SpanIndex;

/// Reads, parses and validates the config file at `path` for this machine.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, &HostEnv::detect())
}

/// [`load`] against the given machine.
pub fn load_with(path: &Path, env: &HostEnv) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_with(&text, &path.display().to_string(), env)
}

/// Parses and validates config `text` for this machine; `origin` (usually
/// the file name) starts every error message.
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    parse_with(text, origin, &HostEnv::detect())
}

/// [`parse`] against the given machine.
pub fn parse_with(text: &str, origin: &str, env: &HostEnv) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| syntax_error(text, origin, &e))?;
    let config = raw.resolve().map_err(|p| invalid(text, origin, p))?;
    validate::check(&config, env).map_err(|p| invalid(text, origin, p))?;
    Ok(config)
}

impl Config {
    /// Checks every rule against machine `env`. Errors from a [`Config`]
    /// built in code have origin `<config>` and no line.
    pub fn validate_with(&self, env: &HostEnv) -> Result<(), ConfigError> {
        validate::check(self, env).map_err(|p| ConfigError::Invalid {
            origin: "<config>".to_string(),
            key: p.key,
            line: None,
            message: p.message,
        })
    }
}

fn invalid(text: &str, origin: &str, p: Problem) -> ConfigError {
    let line = SpanIndex::build(text).and_then(|idx| idx.line_of(&p.key));
    ConfigError::Invalid {
        origin: origin.to_string(),
        key: p.key,
        line,
        message: p.message,
    }
}

fn syntax_error(text: &str, origin: &str, e: &toml::de::Error) -> ConfigError {
    let span = e.span();
    let mut message = readable(e.message(), span.as_ref().and_then(|s| text.get(s.start..)));
    let key = span
        .as_ref()
        .and_then(|s| SpanIndex::build(text)?.locate(s.start, e.message()));
    // `[bridge]` instead of `[[bridge]]` is an easy slip; say so.
    if let Some(k) = &key {
        if (k == "bridge" || k.ends_with(".port"))
            && message.starts_with("invalid type: map, expected a sequence")
        {
            let table = if k == "bridge" {
                "bridge"
            } else {
                "bridge.port"
            };
            message.push_str(&format!(" (write [[{table}]], not [{table}])"));
        }
    }
    let (line, column) = match span {
        Some(s) => {
            let (l, c) = spans::position(text, s.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ConfigError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        key,
        message,
    }
}

/// serde's message in the config's terms: one line, no Rust type names.
/// `at` is the text from the error's position on.
fn readable(message: &str, at: Option<&str>) -> String {
    let mut m = message
        .trim_end()
        .lines()
        .collect::<Vec<_>>()
        .join("; ")
        .replace("expected i64", "expected an integer")
        .replace("expected path string", "expected a string");
    // toml hands datetimes to serde as maps; call them what the user wrote.
    if at.is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit())) {
        m = m.replace("invalid type: map", "invalid type: datetime");
    }
    m
}

#[cfg(test)]
mod tests;
