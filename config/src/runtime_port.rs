//! A port given on the command line (`ferroctl add-port BRIDGE NAME
//! KEY=VALUE...`), checked by the same rules as one in the file.

use crate::host::HostEnv;
use crate::raw::RawConfig;
use crate::schema::{Config, PortConfig};

/// Keys whose values are TOML integers; every other value is a string.
const INTEGER_KEYS: [&str; 6] = [
    "ofport",
    "rx_queues",
    "rx_desc",
    "tx_desc",
    "queues",
    "socket_mode",
];

/// The port `name` for bridge `bridge` of the running `config`, from
/// `KEY=VALUE` options (the port table's keys: `type=dpdkvhostuser`,
/// `path=/run/vm1.sock`, `devargs=net_tap9,iface=x`, `ofport=7`, ...).
/// Without `ofport` it gets the bridge's lowest free number. The whole
/// configuration with the port added must pass validation; errors name
/// the key and what was expected.
pub fn port_from_options(
    config: &Config,
    bridge: &str,
    name: &str,
    options: &[String],
) -> Result<PortConfig, String> {
    let Some(bi) = config.bridges.iter().position(|b| b.name == bridge) else {
        let names: Vec<&str> = config.bridges.iter().map(|b| b.name.as_str()).collect();
        return Err(format!(
            "no bridge named {bridge:?} (bridges: {})",
            names.join(", ")
        ));
    };
    let mut table = format!("name = {}\n", toml::Value::String(name.to_string()));
    let mut has_ofport = false;
    for opt in options {
        let Some((key, value)) = opt.split_once('=') else {
            return Err(format!(
                "{opt:?} is not KEY=VALUE; expected e.g. type=dpdkvhostuser or path=/var/run/vm1.sock"
            ));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("{key:?} is not a port key"));
        }
        if INTEGER_KEYS.contains(&key) {
            let ok = value.parse::<i64>().is_ok()
                || value
                    .strip_prefix("0o")
                    .is_some_and(|o| i64::from_str_radix(o, 8).is_ok());
            if !ok {
                return Err(format!("{key}={value}: expected an integer"));
            }
            table.push_str(&format!("{key} = {value}\n"));
        } else {
            table.push_str(&format!(
                "{key} = {}\n",
                toml::Value::String(value.to_string())
            ));
        }
        has_ofport |= key == "ofport";
    }
    if !has_ofport {
        let taken = &config.bridges[bi].ports;
        let free = (1..).find(|n| !taken.iter().any(|p| p.ofport == *n));
        table.push_str(&format!("ofport = {}\n", free.unwrap_or(1)));
    }
    let text = format!("[[bridge]]\nname = \"b\"\n[[bridge.port]]\n{table}");
    let raw: RawConfig = toml::from_str(&text).map_err(|e| e.message().trim().to_string())?;
    let mut parsed = raw.resolve().map_err(|p| strip_key(&p.key, &p.message))?;
    let port = parsed
        .bridges
        .pop()
        .and_then(|mut b| b.ports.pop())
        .ok_or_else(|| "no port parsed".to_string())?;
    let mut whole = config.clone();
    whole.bridges[bi].ports.push(port.clone());
    crate::validate::check(&whole, &HostEnv::detect()).map_err(|p| {
        let new_port = format!("bridge[{bi}].port[{}]", whole.bridges[bi].ports.len() - 1);
        if p.key.starts_with(&new_port) {
            strip_key(&p.key, &p.message)
        } else {
            format!("{}: {}", p.key, p.message)
        }
    })?;
    Ok(port)
}

/// `bridge[0].port[0].path: ...` → `path: ...` (the key as given on the
/// command line).
fn strip_key(key: &str, message: &str) -> String {
    let short = key.rsplit_once("].").map_or(key, |(_, k)| k);
    format!("{short}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_with;

    const ENV: HostEnv = HostEnv { n_cores: 2 };

    fn config() -> Config {
        parse_with(
            "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"net_null0\"\n",
            "t.toml",
            &ENV,
        )
        .unwrap()
    }

    fn opts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn vhost_port_gets_the_next_ofport() {
        let p = port_from_options(
            &config(),
            "br0",
            "vm1",
            &opts(&["type=dpdkvhostuser", "path=/tmp/vm1.sock", "queues=2"]),
        )
        .unwrap();
        assert_eq!((p.ofport, p.rx_queues), (2, 2));
        assert_eq!(p.vhost.unwrap().path.to_str(), Some("/tmp/vm1.sock"));
    }

    #[test]
    fn devargs_with_commas_and_explicit_ofport() {
        let p = port_from_options(
            &config(),
            "br0",
            "t9",
            &opts(&[
                "devargs=net_tap9,iface=fs-t9",
                "ofport=9",
                "socket_mode=0o600",
            ]),
        );
        assert!(p.unwrap_err().contains("socket_mode"), "only for vhost");
        let p = port_from_options(
            &config(),
            "br0",
            "t9",
            &opts(&["devargs=net_tap9,iface=fs-t9", "ofport=9"]),
        )
        .unwrap();
        assert_eq!((p.ofport, p.devargs.as_str()), (9, "net_tap9,iface=fs-t9"));
    }

    #[test]
    fn errors_name_the_key() {
        let c = config();
        let e = port_from_options(&c, "br9", "x", &[]).unwrap_err();
        assert!(e.contains("no bridge named \"br9\" (bridges: br0)"), "{e}");
        let e = port_from_options(&c, "br0", "p1", &opts(&["devargs=net_null1"])).unwrap_err();
        assert!(
            e.starts_with("name: port name \"p1\" is already used"),
            "{e}"
        );
        let e = port_from_options(&c, "br0", "vm", &opts(&["type=dpdkvhostuser"])).unwrap_err();
        assert!(e.starts_with("path: required"), "{e}");
        let e = port_from_options(&c, "br0", "x", &opts(&["devargs=net_null1", "ofport=1"]))
            .unwrap_err();
        assert!(e.starts_with("ofport: ofport 1 is already used"), "{e}");
        let e = port_from_options(&c, "br0", "x", &opts(&["queues=two"])).unwrap_err();
        assert!(e.contains("expected an integer"), "{e}");
        let e = port_from_options(&c, "br0", "x", &opts(&["colour=red"])).unwrap_err();
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = port_from_options(&c, "br0", "x", &opts(&["devargs"])).unwrap_err();
        assert!(e.contains("not KEY=VALUE"), "{e}");
    }
}
