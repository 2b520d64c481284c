//! `[underlay]` and `[[bridge.tunnel]]`: VXLAN/GRE/Geneve tunnel ports and the
//! IPv4 underlay they run over (schema, resolution from the file, rules).
//!
//! ```toml
//! [underlay]
//! port = "up0"                 # a [[bridge.port]]: the underlay NIC
//! ip = "192.168.50.1/24"       # our underlay address and its subnet
//! mtu = 1500                   # largest outer IPv4 packet
//! routes = ["10.20.0.0/16 via 192.168.50.254"]
//!
//! [[bridge.tunnel]]            # in the bridge of the underlay port
//! name = "vx0"
//! ofport = 10
//! type = "vxlan"               # or "gre"
//! remote_ip = "192.168.50.2"   # or "flow" (set_field:IP->tun_dst)
//! key = 42                     # or "flow" (set_field:N->tun_id)
//! ```
use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::Problem;
use crate::schema::{BridgeConfig, Config, OFPORT_MAX};

/// Default VXLAN UDP port (IANA).
pub const VXLAN_PORT: u16 = 4789;
/// Default Geneve UDP port (IANA).
pub const GENEVE_PORT: u16 = 6081;
/// Default `underlay.mtu`.
pub const DEFAULT_MTU: u16 = 1500;
/// Default outer TTL.
pub const DEFAULT_TTL: u8 = 64;
/// Default `underlay.neighbour_timeout`, in seconds: OVS's tunnel
/// neighbour cache idle time (NEIGH_ENTRY_DEFAULT_IDLE_TIME, 15 min).
pub const DEFAULT_NEIGHBOUR_TIMEOUT: u32 = 15 * 60;
/// Largest `underlay.neighbour_timeout` (one day).
pub const MAX_NEIGHBOUR_TIMEOUT: u32 = 24 * 3600;

/// `[underlay]`: the switch's IPv4 presence on the underlay network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnderlayConfig {
    /// Name of the `[[bridge.port]]` the underlay is reached through.
    pub port: String,
    /// Our underlay address.
    #[serde(serialize_with = "display")]
    pub ip: Ipv4Addr,
    /// Length of the on-link prefix of `ip`.
    pub prefix_len: u8,
    /// Largest outer IPv4 packet; bigger ones are dropped and counted.
    pub mtu: u16,
    /// Static routes, in the file's form.
    pub routes: Vec<RouteConfig>,
    /// Static neighbours (never ARPed for): `"IP MAC"`.
    #[serde(serialize_with = "ser_neighbours")]
    pub neighbours: Vec<(Ipv4Addr, [u8; 6])>,
    /// Seconds a neighbour learnt by ARP stays valid without being
    /// confirmed again (it is re-asked for before then).
    pub neighbour_timeout: u32,
}

fn ser_neighbours<S: Serializer>(v: &[(Ipv4Addr, [u8; 6])], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for (ip, m) in v {
        seq.serialize_element(&format!(
            "{ip} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        ))?;
    }
    seq.end()
}

/// Parses `"A.B.C.D aa:bb:cc:dd:ee:ff"`.
fn parse_neighbour(text: &str) -> Result<(Ipv4Addr, [u8; 6]), String> {
    let expected = "expected \"IP MAC\" such as \"192.168.50.2 02:00:00:00:00:02\"";
    let mut w = text.split_whitespace();
    let (Some(ip), Some(mac), None) = (w.next(), w.next(), w.next()) else {
        return Err(expected.into());
    };
    let ip = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IPv4 address; {expected}"))?;
    let bytes: Vec<u8> = mac
        .split(':')
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{mac:?} is not a MAC address; {expected}"))?;
    let mac: [u8; 6] = bytes
        .try_into()
        .map_err(|_| format!("{mac:?} is not a MAC address; {expected}"))?;
    Ok((ip, mac))
}

/// One static route: `"DEST/LEN via GATEWAY"` or `"DEST/LEN"` (on link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteConfig {
    /// Destination network.
    pub dest: Ipv4Addr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// None: on link (the destination itself is the next hop).
    pub via: Option<Ipv4Addr>,
}

impl fmt::Display for RouteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.dest, self.prefix_len)?;
        if let Some(g) = self.via {
            write!(f, " via {g}")?;
        }
        Ok(())
    }
}

impl Serialize for RouteConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Parses `"A.B.C.D/LEN"` (LEN 0..=32; a bare address is /32) with the
/// host bits cleared when `network` is set.
pub fn parse_prefix(text: &str, network: bool) -> Result<(Ipv4Addr, u8), String> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, l),
        None => (text, "32"),
    };
    let ip: Ipv4Addr = addr
        .trim()
        .parse()
        .map_err(|_| format!("{addr:?} is not an IPv4 address"))?;
    let len: u8 = match len.trim().parse() {
        Ok(n) if n <= 32 => n,
        _ => return Err(format!("{len:?} is not a prefix length 0..=32")),
    };
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    let ip = if network {
        Ipv4Addr::from(u32::from(ip) & mask)
    } else {
        ip
    };
    Ok((ip, len))
}

impl std::str::FromStr for RouteConfig {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut words = text.split_whitespace();
        let dest = words.next().ok_or("empty route")?;
        let (dest, prefix_len) = parse_prefix(dest, true)?;
        let via = match (words.next(), words.next(), words.next()) {
            (None, _, _) => None,
            (Some("via"), Some(g), None) => Some(
                g.parse()
                    .map_err(|_| format!("gateway {g:?} is not an IPv4 address"))?,
            ),
            _ => return Err("expected \"DEST/LEN\" or \"DEST/LEN via GATEWAY\"".into()),
        };
        Ok(RouteConfig {
            dest,
            prefix_len,
            via,
        })
    }
}

/// `tunnel.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelType {
    /// VXLAN (RFC 7348) over UDP.
    Vxlan,
    /// GRE (RFC 2784/2890) carrying Ethernet.
    Gre,
    /// Geneve (RFC 8926) over UDP; received options are skipped.
    Geneve,
}

/// `tunnel.remote_ip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelRemote {
    /// From the flow's tun_dst (set_field:IP->tun_dst); any source on
    /// receive.
    Flow,
    /// A fixed remote VTEP.
    Ip(Ipv4Addr),
}

/// `tunnel.key`: the VNI (VXLAN) or GRE key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKey {
    /// From the flow's tun_id on send; any key on receive (as tun_id).
    Flow,
    /// A fixed key.
    Fixed(u64),
}

/// `tunnel.tos` / `tunnel.ttl`: a number or `"inherit"` (from the inner
/// IPv4 packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Inherit {
    /// Copy the inner packet's.
    Inherit,
    /// This value.
    Value(u8),
}

/// `[[bridge.tunnel]]`: a tunnel port (options as OVS's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelConfig {
    /// Port name, unique among ports and tunnels.
    pub name: String,
    /// OpenFlow port number, unique within the bridge.
    pub ofport: u32,
    /// Encapsulation.
    #[serde(rename = "type")]
    pub tunnel_type: TunnelType,
    /// Where packets go.
    pub remote_ip: TunnelRemote,
    /// Always the underlay address (the only one we have).
    #[serde(serialize_with = "display")]
    pub local_ip: Ipv4Addr,
    /// VNI or GRE key.
    pub key: TunnelKey,
    /// VXLAN's UDP port (0 for GRE).
    pub dst_port: u16,
    /// Outer TOS.
    pub tos: Inherit,
    /// Outer TTL.
    pub ttl: Inherit,
    /// Don't-fragment bit of the outer header.
    pub df: bool,
    /// UDP checksum (VXLAN, Geneve) or GRE checksum.
    pub csum: bool,
}

fn display<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

impl Serialize for TunnelRemote {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TunnelRemote::Flow => s.serialize_str("flow"),
            TunnelRemote::Ip(ip) => s.serialize_str(&ip.to_string()),
        }
    }
}

impl Serialize for TunnelKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TunnelKey::Flow => s.serialize_str("flow"),
            TunnelKey::Fixed(k) => s.serialize_u64(*k),
        }
    }
}

impl Serialize for Inherit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Inherit::Inherit => s.serialize_str("inherit"),
            Inherit::Value(v) => s.serialize_u8(*v),
        }
    }
}

// ---------------------------------------------------------------------------
// From the file.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUnderlay {
    port: Option<String>,
    ip: Option<String>,
    mtu: Option<i64>,
    #[serde(default)]
    routes: Vec<String>,
    #[serde(default)]
    neighbours: Vec<String>,
    neighbour_timeout: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTunnel {
    name: Option<String>,
    ofport: Option<i64>,
    #[serde(rename = "type")]
    tunnel_type: Option<TunnelType>,
    remote_ip: Option<String>,
    local_ip: Option<String>,
    key: Option<toml::Value>,
    dst_port: Option<i64>,
    tos: Option<toml::Value>,
    ttl: Option<toml::Value>,
    df: Option<bool>,
    csum: Option<bool>,
}

pub(crate) fn tunnel_key(bridge: usize, t: usize) -> String {
    format!("bridge[{bridge}].tunnel[{t}]")
}

impl RawUnderlay {
    pub(crate) fn resolve(self) -> Result<UnderlayConfig, Problem> {
        let port = self.port.ok_or_else(|| {
            Problem::new(
                "underlay.port",
                "required; expected the name of the [[bridge.port]] facing the underlay network",
            )
        })?;
        let ip_text = self.ip.ok_or_else(|| {
            Problem::new(
                "underlay.ip",
                "required; expected our underlay address with its prefix, such as \"192.168.50.1/24\"",
            )
        })?;
        let (ip, prefix_len) = parse_prefix(&ip_text, false).map_err(|e| {
            Problem::new(
                "underlay.ip",
                format!("{e}; expected an address with its prefix, such as \"192.168.50.1/24\""),
            )
        })?;
        let mtu = match self.mtu {
            None => DEFAULT_MTU,
            Some(m) if (576..=9216).contains(&m) => m as u16,
            Some(m) => {
                return Err(Problem::new(
                    "underlay.mtu",
                    format!("{m} is out of range; expected 576..=9216"),
                ))
            }
        };
        let routes = self
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                r.parse::<RouteConfig>().map_err(|e| {
                    Problem::new(format!("underlay.routes[{i}]"), format!("{r:?}: {e}"))
                })
            })
            .collect::<Result<_, _>>()?;
        let neighbours = self
            .neighbours
            .iter()
            .enumerate()
            .map(|(i, n)| {
                parse_neighbour(n).map_err(|e| {
                    Problem::new(format!("underlay.neighbours[{i}]"), format!("{n:?}: {e}"))
                })
            })
            .collect::<Result<_, _>>()?;
        let neighbour_timeout = match self.neighbour_timeout {
            None => DEFAULT_NEIGHBOUR_TIMEOUT,
            Some(t) if (2..=i64::from(MAX_NEIGHBOUR_TIMEOUT)).contains(&t) => t as u32,
            Some(t) => {
                return Err(Problem::new(
                    "underlay.neighbour_timeout",
                    format!("{t} is out of range; expected 2..={MAX_NEIGHBOUR_TIMEOUT} seconds"),
                ))
            }
        };
        Ok(UnderlayConfig {
            port,
            ip,
            prefix_len,
            mtu,
            routes,
            neighbours,
            neighbour_timeout,
        })
    }
}

fn small_int(v: &toml::Value, key: &str, what: &str, min: i64) -> Result<Inherit, Problem> {
    match v {
        toml::Value::String(s) if s == "inherit" => Ok(Inherit::Inherit),
        toml::Value::Integer(n) if (min..=255).contains(n) => Ok(Inherit::Value(*n as u8)),
        other => Err(Problem::new(
            key,
            format!("{other} is not valid; expected {what} {min}..=255 or \"inherit\""),
        )),
    }
}

impl RawTunnel {
    pub(crate) fn resolve(
        self,
        key: &str,
        underlay: Option<&UnderlayConfig>,
    ) -> Result<TunnelConfig, Problem> {
        let name = self.name.ok_or_else(|| {
            Problem::new(
                format!("{key}.name"),
                "required; expected a port name such as \"vx0\"",
            )
        })?;
        let Some(u) = underlay else {
            return Err(Problem::new(
                key,
                format!(
                    "tunnel {name:?} needs an [underlay] table (port and ip) to send and receive on"
                ),
            ));
        };
        let ofport = match self.ofport {
            Some(n) if (1..=i64::from(OFPORT_MAX)).contains(&n) => n as u32,
            Some(n) => {
                return Err(Problem::new(
                    format!("{key}.ofport"),
                    format!("{n} is out of range; expected 1..=65279 (0xfeff)"),
                ))
            }
            None => {
                return Err(Problem::new(
                    format!("{key}.ofport"),
                    "required for tunnels; expected 1..=65279, unique within the bridge",
                ))
            }
        };
        let tunnel_type = self.tunnel_type.ok_or_else(|| {
            Problem::new(
                format!("{key}.type"),
                "required; expected \"vxlan\", \"gre\" or \"geneve\"",
            )
        })?;
        let remote_ip = match self.remote_ip.as_deref() {
            Some("flow") => TunnelRemote::Flow,
            Some(s) => TunnelRemote::Ip(s.parse().map_err(|_| {
                Problem::new(
                    format!("{key}.remote_ip"),
                    format!("{s:?} is not valid; expected an IPv4 address or \"flow\""),
                )
            })?),
            None => {
                return Err(Problem::new(
                    format!("{key}.remote_ip"),
                    "required; expected an IPv4 address or \"flow\"",
                ))
            }
        };
        let local_ip = match self.local_ip.as_deref() {
            None => u.ip,
            Some(s) => match s.parse::<Ipv4Addr>() {
                Ok(ip) if ip == u.ip => ip,
                _ => {
                    return Err(Problem::new(
                        format!("{key}.local_ip"),
                        format!(
                        "{s:?} is not valid; expected the underlay address {} (or leave it out)",
                        u.ip
                    ),
                    ))
                }
            },
        };
        let max_key: u64 = match tunnel_type {
            TunnelType::Vxlan | TunnelType::Geneve => (1 << 24) - 1,
            TunnelType::Gre => u64::from(u32::MAX),
        };
        let key_value = match &self.key {
            None => TunnelKey::Fixed(0),
            Some(toml::Value::String(s)) if s == "flow" => TunnelKey::Flow,
            Some(toml::Value::Integer(n)) if *n >= 0 && (*n as u64) <= max_key => {
                TunnelKey::Fixed(*n as u64)
            }
            Some(other) => {
                return Err(Problem::new(
                    format!("{key}.key"),
                    format!("{other} is not valid; expected 0..={max_key} or \"flow\""),
                ))
            }
        };
        let dst_port = match (tunnel_type, self.dst_port) {
            (TunnelType::Vxlan, None) => VXLAN_PORT,
            (TunnelType::Geneve, None) => GENEVE_PORT,
            (TunnelType::Vxlan | TunnelType::Geneve, Some(p)) if (1..=65535).contains(&p) => {
                p as u16
            }
            (TunnelType::Vxlan | TunnelType::Geneve, Some(p)) => {
                return Err(Problem::new(
                    format!("{key}.dst_port"),
                    format!("{p} is out of range; expected 1..=65535"),
                ))
            }
            (TunnelType::Gre, None) => 0,
            (TunnelType::Gre, Some(_)) => {
                return Err(Problem::new(
                    format!("{key}.dst_port"),
                    "not valid for type \"gre\" (GRE has no ports); expected no dst_port",
                ))
            }
        };
        let tos = match &self.tos {
            None => Inherit::Value(0),
            Some(v) => small_int(v, &format!("{key}.tos"), "a TOS byte", 0)?,
        };
        let ttl = match &self.ttl {
            None => Inherit::Value(DEFAULT_TTL),
            Some(v) => small_int(v, &format!("{key}.ttl"), "a TTL", 1)?,
        };
        Ok(TunnelConfig {
            name,
            ofport,
            tunnel_type,
            remote_ip,
            local_ip,
            key: key_value,
            dst_port,
            tos,
            ttl,
            df: self.df.unwrap_or(true),
            csum: self.csum.unwrap_or(false),
        })
    }
}

// ---------------------------------------------------------------------------
// Rules across tables.

/// Names of tunnels and ports share one namespace; ofports are unique per
/// bridge; tunnels live in the underlay port's bridge; two tunnels may not
/// receive the same packets.
pub(crate) fn check(config: &Config) -> Result<(), Problem> {
    let Some(u) = &config.underlay else {
        return Ok(());
    };
    let Some((ub, _)) = config.port(&u.port) else {
        let names: Vec<&str> = config
            .bridges
            .iter()
            .flat_map(|b| b.ports.iter().map(|p| p.name.as_str()))
            .collect();
        return Err(Problem::new(
            "underlay.port",
            format!(
                "no [[bridge.port]] named {:?}; expected one of: {}",
                u.port,
                names.join(", ")
            ),
        ));
    };
    for (i, b) in config.bridges.iter().enumerate() {
        check_bridge(config, i, b, &ub.name)?;
    }
    Ok(())
}

fn check_bridge(
    config: &Config,
    i: usize,
    b: &BridgeConfig,
    underlay_bridge: &str,
) -> Result<(), Problem> {
    type Identity = (TunnelType, u16, Option<u64>, Option<Ipv4Addr>);
    let mut seen: HashMap<Identity, usize> = HashMap::new();
    let mut ofports: HashMap<u32, usize> = HashMap::new();
    let mut udp_ports: HashMap<u16, (TunnelType, usize)> = HashMap::new();
    for (j, t) in b.tunnels.iter().enumerate() {
        let key = tunnel_key(i, j);
        if t.tunnel_type != TunnelType::Gre {
            if let Some((other, first)) = udp_ports.insert(t.dst_port, (t.tunnel_type, j)) {
                if other != t.tunnel_type {
                    return Err(Problem::new(
                        format!("{key}.dst_port"),
                        format!(
                            "UDP port {} is already used by tunnel {:?} of another type; expected VXLAN and Geneve on different ports",
                            t.dst_port, b.tunnels[first].name
                        ),
                    ));
                }
            }
        }
        if b.name != underlay_bridge {
            return Err(Problem::new(
                key,
                format!(
                    "tunnel {:?} is in bridge {:?}, but the underlay port is in bridge {underlay_bridge:?}; expected tunnels in the underlay port's bridge",
                    t.name, b.name
                ),
            ));
        }
        let name_ok = !t.name.is_empty()
            && t.name.len() <= 15
            && t.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !name_ok {
            return Err(Problem::new(
                format!("{key}.name"),
                format!(
                    "{:?} is not a valid port name; expected 1..=15 characters from A-Z a-z 0-9 _ . -",
                    t.name
                ),
            ));
        }
        let clash =
            config.port(&t.name).is_some() || b.tunnels[..j].iter().any(|o| o.name == t.name);
        if clash {
            return Err(Problem::new(
                format!("{key}.name"),
                format!(
                    "name {:?} is already used by another port or tunnel; expected names unique across all bridges",
                    t.name
                ),
            ));
        }
        if let Some(p) = b.port_by_ofport(t.ofport) {
            return Err(Problem::new(
                format!("{key}.ofport"),
                format!(
                    "ofport {} is already used by port {:?}; expected numbers unique within bridge {:?}",
                    t.ofport, p.name, b.name
                ),
            ));
        }
        if let Some(first) = ofports.insert(t.ofport, j) {
            return Err(Problem::new(
                format!("{key}.ofport"),
                format!(
                    "ofport {} is already used by tunnel {:?}; expected numbers unique within bridge {:?}",
                    t.ofport, b.tunnels[first].name, b.name
                ),
            ));
        }
        let id = (
            t.tunnel_type,
            t.dst_port,
            match t.key {
                TunnelKey::Flow => None,
                TunnelKey::Fixed(k) => Some(k),
            },
            match t.remote_ip {
                TunnelRemote::Flow => None,
                TunnelRemote::Ip(ip) => Some(ip),
            },
        );
        if let Some(first) = seen.insert(id, j) {
            return Err(Problem::new(
                key,
                format!(
                    "tunnel {:?} would receive the same packets as tunnel {:?} (same type, dst_port, key and remote_ip); expected them to differ",
                    t.name, b.tunnels[first].name
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{parse_with, HostEnv};

    use super::*;

    const ENV: HostEnv = HostEnv { n_cores: 2 };
    const BASE: &str = r#"
[underlay]
port = "up0"
ip = "192.168.50.1/24"
routes = ["10.20.0.0/16 via 192.168.50.254", "10.30.1.7/24"]
neighbours = ["192.168.50.254 02:00:00:00:00:fe"]

[[bridge]]
name = "br0"

[[bridge.port]]
name = "up0"
devargs = "net_tap0"

[[bridge.port]]
name = "p1"
devargs = "net_tap1"
"#;

    fn with(extra: &str) -> Result<Config, String> {
        parse_with(&format!("{BASE}{extra}"), "t.toml", &ENV).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_values() {
        let c = with(
            r#"
[[bridge.tunnel]]
name = "vx0"
ofport = 10
type = "vxlan"
remote_ip = "192.168.50.2"
key = 42

[[bridge.tunnel]]
name = "gre0"
ofport = 11
type = "gre"
remote_ip = "flow"
key = "flow"
tos = "inherit"
ttl = 9
csum = true
df = false
"#,
        )
        .unwrap();
        let u = c.underlay.as_ref().unwrap();
        assert_eq!(
            (u.ip, u.prefix_len, u.mtu),
            (Ipv4Addr::new(192, 168, 50, 1), 24, 1500)
        );
        assert_eq!(u.routes[0].to_string(), "10.20.0.0/16 via 192.168.50.254");
        assert_eq!(u.routes[1].to_string(), "10.30.1.0/24");
        assert_eq!(
            u.neighbours,
            vec![(Ipv4Addr::new(192, 168, 50, 254), [2, 0, 0, 0, 0, 0xfe])]
        );
        assert_eq!(u.neighbour_timeout, DEFAULT_NEIGHBOUR_TIMEOUT);
        let t = &c.bridges[0].tunnels;
        assert_eq!(t[0].key, TunnelKey::Fixed(42));
        assert_eq!(t[0].dst_port, 4789);
        assert_eq!(
            (t[0].ttl, t[0].tos, t[0].df, t[0].csum),
            (Inherit::Value(64), Inherit::Value(0), true, false)
        );
        assert_eq!(t[0].local_ip, u.ip);
        assert_eq!(t[1].remote_ip, TunnelRemote::Flow);
        assert_eq!(t[1].key, TunnelKey::Flow);
        assert_eq!(
            (t[1].ttl, t[1].tos, t[1].df, t[1].csum),
            (Inherit::Value(9), Inherit::Inherit, false, true)
        );
        // Serializes back to something that parses the same.
        let text = toml::to_string(&c).unwrap();
        assert!(text.contains("[underlay]"), "{text}");
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("name = \"vx0\"\nofport = 10\ntype = \"vxlan\"\nremote_ip = \"1.2.3\"", "bridge[0].tunnel[0].remote_ip"),
            ("name = \"vx0\"\nofport = 10\ntype = \"vxlan\"\nremote_ip = \"flow\"\nkey = 16777216", "bridge[0].tunnel[0].key"),
            ("name = \"vx0\"\nofport = 1\ntype = \"vxlan\"\nremote_ip = \"flow\"", "ofport 1 is already used by port \"up0\""),
            ("name = \"p1\"\nofport = 10\ntype = \"gre\"\nremote_ip = \"flow\"", "already used"),
            ("name = \"g\"\nofport = 10\ntype = \"gre\"\nremote_ip = \"flow\"\ndst_port = 5", "bridge[0].tunnel[0].dst_port"),
            ("name = \"g\"\nofport = 10\ntype = \"gre\"\nremote_ip = \"flow\"\nttl = 0", "bridge[0].tunnel[0].ttl"),
            ("name = \"g\"\nofport = 10\ntype = \"ipip\"\nremote_ip = \"flow\"", "type"),
            ("name = \"g\"\nofport = 10\ntype = \"gre\"\nremote_ip = \"flow\"\nlocal_ip = \"1.1.1.1\"", "bridge[0].tunnel[0].local_ip"),
            ("name = \"g\"\ntype = \"gre\"\nremote_ip = \"flow\"", "bridge[0].tunnel[0].ofport"),
        ];
        for (t, want) in cases {
            let e = with(&format!("\n[[bridge.tunnel]]\n{t}\n")).unwrap_err();
            assert!(e.contains(want), "{t}: {e}");
        }
        let e = with("\n[[bridge.tunnel]]\nname = \"a\"\nofport = 10\ntype = \"geneve\"\nremote_ip = \"flow\"\ndst_port = 4789\n[[bridge.tunnel]]\nname = \"b\"\nofport = 11\ntype = \"vxlan\"\nremote_ip = \"flow\"\n").unwrap_err();
        assert!(
            e.contains("bridge[0].tunnel[1].dst_port") && e.contains("another type"),
            "{e}"
        );
        let c = with("\n[[bridge.tunnel]]\nname = \"g\"\nofport = 10\ntype = \"geneve\"\nremote_ip = \"flow\"\nkey = 9\n").unwrap();
        assert_eq!(
            (
                c.bridges[0].tunnels[0].dst_port,
                c.bridges[0].tunnels[0].key
            ),
            (6081, TunnelKey::Fixed(9))
        );
        let e = with("\n[[bridge.tunnel]]\nname = \"a\"\nofport = 10\ntype = \"gre\"\nremote_ip = \"flow\"\n[[bridge.tunnel]]\nname = \"b\"\nofport = 11\ntype = \"gre\"\nremote_ip = \"flow\"\n").unwrap_err();
        assert!(e.contains("would receive the same packets"), "{e}");
        let e = parse_with(
            &BASE.replace("port = \"up0\"", "port = \"nope\""),
            "t.toml",
            &ENV,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("underlay.port") && e.contains("up0"), "{e}");
        let e = parse_with(&BASE.replace("/24\"", "/33\""), "t.toml", &ENV)
            .unwrap_err()
            .to_string();
        assert!(e.contains("underlay.ip"), "{e}");
        let e = parse_with(&BASE.replace("via 192.168.50.254", "via x"), "t.toml", &ENV)
            .unwrap_err()
            .to_string();
        assert!(e.contains("underlay.routes[0]"), "{e}");
        let e = parse_with(
            &BASE.replace("02:00:00:00:00:fe", "02:00:00:00:fe"),
            "t.toml",
            &ENV,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("underlay.neighbours[0]") && e.contains("not a MAC"),
            "{e}"
        );
        let timeout = |t: &str| {
            parse_with(
                &BASE.replace(
                    "neighbours = [",
                    &format!("neighbour_timeout = {t}\nneighbours = ["),
                ),
                "t.toml",
                &ENV,
            )
            .map(|c| c.underlay.unwrap().neighbour_timeout)
            .map_err(|e| e.to_string())
        };
        assert_eq!(timeout("30"), Ok(30));
        for bad in ["1", "86401", "-5"] {
            let e = timeout(bad).unwrap_err();
            assert!(
                e.contains("underlay.neighbour_timeout") && e.contains("2..=86400"),
                "{e}"
            );
        }
        // A tunnel without an underlay.
        let no_u = "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p\"\ndevargs = \"net_tap0\"\n[[bridge.tunnel]]\nname = \"g\"\nofport = 5\ntype = \"gre\"\nremote_ip = \"flow\"\n";
        let e = parse_with(no_u, "t.toml", &ENV).unwrap_err().to_string();
        assert!(e.contains("[underlay]"), "{e}");
    }
}
