//! vhost-user ports (`type = "dpdkvhostuser"` / `"dpdkvhostuserclient"`):
//! their keys, the DPDK devargs built from them, and their rules.
//!
//! The switch runs them on DPDK's `net_vhost` driver. The devargs are not
//! written by the user; they come from `path` and `queues`, and the DPDK
//! device is named after the port (`net_vhost_<port name>`), which is
//! unique because port names are.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Problem;
use crate::schema::{PortConfig, PortType};
use crate::validate::out_of_range;

/// Default `socket_mode`: only the switch's user may connect.
pub const DEFAULT_SOCKET_MODE: u32 = 0o600;
/// Longest socket path Linux accepts (`sun_path` is 108 bytes with the NUL).
const PATH_MAX: usize = 107;
pub(crate) const EXPECT_VHOST_QUEUES: &str = "1..=64";
pub(crate) const EXPECT_SOCKET_MODE: &str =
    "0o600 (owner only) or 0o660 (owner and group); no bits for others";

/// The vhost-user keys of a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VhostConfig {
    /// The vhost-user unix socket: created by the switch for
    /// `dpdkvhostuser`, served by QEMU for `dpdkvhostuserclient`.
    pub path: PathBuf,
    /// Queue pairs offered to the guest (1..=64); the guest enables as many
    /// as it negotiates. Each is an rx queue that the PMDs poll.
    pub queues: u16,
    /// Permissions of a socket the switch creates (`dpdkvhostuser` only).
    pub socket_mode: u32,
}

impl PortType {
    /// Whether this is one of the vhost-user types.
    pub fn is_vhost(self) -> bool {
        matches!(
            self,
            PortType::Dpdkvhostuser | PortType::Dpdkvhostuserclient
        )
    }

    /// Whether the switch connects to the socket (QEMU serves it).
    pub fn is_vhost_client(self) -> bool {
        self == PortType::Dpdkvhostuserclient
    }

    /// The type as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Dpdk => "dpdk",
            PortType::Dpdkvhostuser => "dpdkvhostuser",
            PortType::Dpdkvhostuserclient => "dpdkvhostuserclient",
        }
    }
}

/// DPDK's device name of vhost port `port`.
pub fn device_name(port: &str) -> String {
    format!("net_vhost_{port}")
}

/// The `net_vhost` devargs of a vhost port. At least `min_queues` queue
/// pairs are created, so that every PMD has a tx queue of its own; only
/// `queues` of them are polled for rx.
pub fn devargs(p: &PortConfig, v: &VhostConfig, min_queues: u16) -> String {
    format!(
        "{},iface={},queues={},client={}",
        device_name(&p.name),
        v.path.display(),
        v.queues.max(min_queues),
        u8::from(p.port_type.is_vhost_client())
    )
}

/// Resolves the vhost keys of port `key` (already known to be of a vhost type).
pub(crate) fn resolve(
    key: &str,
    port_type: PortType,
    path: Option<PathBuf>,
    queues: Option<i64>,
    socket_mode: Option<i64>,
) -> Result<VhostConfig, Problem> {
    let path = path.ok_or_else(|| {
        Problem::new(
            format!("{key}.path"),
            format!(
                "required for type {:?}; expected the vhost-user socket's path, \
                 such as \"/var/run/ferroswitch/vm1.sock\"",
                port_type.as_str()
            ),
        )
    })?;
    let queues = match queues {
        None => 1,
        Some(q) => u16::try_from(q).map_err(|_| {
            Problem::new(
                format!("{key}.queues"),
                out_of_range(q, EXPECT_VHOST_QUEUES),
            )
        })?,
    };
    if socket_mode.is_some() && port_type.is_vhost_client() {
        return Err(Problem::new(
            format!("{key}.socket_mode"),
            "is only for type \"dpdkvhostuser\" (QEMU creates the socket of a \
             \"dpdkvhostuserclient\" port); expected no socket_mode here",
        ));
    }
    let socket_mode = match socket_mode {
        None => DEFAULT_SOCKET_MODE,
        Some(m) => u32::try_from(m).map_err(|_| {
            Problem::new(
                format!("{key}.socket_mode"),
                format!("{m:#o} is not allowed; expected {EXPECT_SOCKET_MODE}"),
            )
        })?,
    };
    Ok(VhostConfig {
        path,
        queues,
        socket_mode,
    })
}

/// The rules of one vhost port's keys. `exists` tells whether a directory
/// exists (the real file system, or a stand-in in tests).
pub(crate) fn check(
    key: &str,
    v: &VhostConfig,
    dir_exists: &dyn Fn(&Path) -> bool,
) -> Result<(), Problem> {
    let path_key = format!("{key}.path");
    let text = v.path.to_string_lossy();
    if !v.path.is_absolute() {
        return Err(Problem::new(
            path_key,
            format!("{text:?} is not an absolute path; expected one such as \"/var/run/ferroswitch/vm1.sock\""),
        ));
    }
    if text.contains(',') || v.path.to_str().is_none() {
        return Err(Problem::new(
            path_key,
            format!("{text:?} contains a comma or is not UTF-8, which DPDK's devargs cannot carry; expected another path"),
        ));
    }
    if text.len() > PATH_MAX {
        return Err(Problem::new(
            path_key,
            format!(
                "{text:?} is {} bytes long; a unix socket path has at most {PATH_MAX}",
                text.len()
            ),
        ));
    }
    match v.path.parent() {
        Some(dir) if dir_exists(dir) => {}
        Some(dir) => {
            return Err(Problem::new(
                path_key,
                format!(
                    "directory {:?} does not exist; expected the socket in an existing directory",
                    dir.display()
                ),
            ))
        }
        None => {
            return Err(Problem::new(
                path_key,
                format!("{text:?} names no file; expected a socket path such as \"/var/run/ferroswitch/vm1.sock\""),
            ))
        }
    }
    if !(1..=64).contains(&v.queues) {
        return Err(Problem::new(
            format!("{key}.queues"),
            out_of_range(v.queues, EXPECT_VHOST_QUEUES),
        ));
    }
    let m = v.socket_mode;
    if m & !0o660 != 0 || m & 0o600 != 0o600 {
        return Err(Problem::new(
            format!("{key}.socket_mode"),
            format!("{m:#o} is not allowed; expected {EXPECT_SOCKET_MODE}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{parse_with, Config, HostEnv, PortType};

    const ENV: HostEnv = HostEnv { n_cores: 2 };

    fn vhost_port(keys: &str) -> String {
        format!("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"vm1\"\n{keys}\n")
    }

    fn ok(text: &str) -> Config {
        parse_with(text, "t.toml", &ENV).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> String {
        match parse_with(text, "t.toml", &ENV) {
            Ok(c) => panic!("accepted: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_has(msg: &str, parts: &[&str]) {
        for p in parts {
            assert!(msg.contains(p), "{msg:?} lacks {p:?}");
        }
    }

    #[test]
    fn server_port_defaults_and_devargs() {
        let c = ok(&vhost_port(
            "type = \"dpdkvhostuser\"\npath = \"/tmp/vm1.sock\"",
        ));
        let p = &c.bridges[0].ports[0];
        assert_eq!(p.port_type, PortType::Dpdkvhostuser);
        let v = p.vhost.as_ref().unwrap();
        assert_eq!((v.queues, v.socket_mode, p.rx_queues), (1, 0o600, 1));
        assert_eq!(
            p.effective_devargs(1),
            "net_vhost_vm1,iface=/tmp/vm1.sock,queues=1,client=0"
        );
        assert_eq!(p.device_name(), "net_vhost_vm1");
        assert_eq!(p.device_kind(), crate::DeviceKind::Vhost);
    }

    #[test]
    fn client_port_with_queues_and_more_pmds() {
        let c = ok(&vhost_port(
            "type = \"dpdkvhostuserclient\"\npath = \"/tmp/vm1.sock\"\nqueues = 2",
        ));
        let p = &c.bridges[0].ports[0];
        assert_eq!(p.rx_queues, 2);
        assert_eq!(
            p.effective_devargs(4),
            "net_vhost_vm1,iface=/tmp/vm1.sock,queues=4,client=1"
        );
    }

    #[test]
    fn serializes_back() {
        let c = ok(&vhost_port(
            "type = \"dpdkvhostuser\"\npath = \"/tmp/vm1.sock\"\nqueues = 2\nsocket_mode = 0o660",
        ));
        let text = toml::to_string(&c).unwrap();
        assert_eq!(ok(&text), c, "{text}");
    }

    #[test]
    fn path_missing() {
        let m = err(&vhost_port("type = \"dpdkvhostuser\""));
        assert_has(
            &m,
            &[
                "bridge[0].port[0].path",
                "required for type \"dpdkvhostuser\"",
            ],
        );
    }

    #[test]
    fn path_directory_missing() {
        let m = err(&vhost_port(
            "type = \"dpdkvhostuserclient\"\npath = \"/nonexistent-fs-dir/vm1.sock\"",
        ));
        assert_has(
            &m,
            &[
                "bridge[0].port[0].path",
                "directory \"/nonexistent-fs-dir\" does not exist",
            ],
        );
    }

    #[test]
    fn path_relative_comma_or_too_long() {
        let m = err(&vhost_port("type = \"dpdkvhostuser\"\npath = \"vm1.sock\""));
        assert_has(&m, &["not an absolute path"]);
        let m = err(&vhost_port("type = \"dpdkvhostuser\"\npath = \"/tmp/a,b\""));
        assert_has(&m, &["contains a comma"]);
        let long = format!("/tmp/{}", "x".repeat(120));
        let m = err(&vhost_port(&format!(
            "type = \"dpdkvhostuser\"\npath = \"{long}\""
        )));
        assert_has(&m, &["at most 107"]);
    }

    #[test]
    fn queues_out_of_range() {
        for q in ["0", "65", "-1"] {
            let m = err(&vhost_port(&format!(
                "type = \"dpdkvhostuser\"\npath = \"/tmp/s\"\nqueues = {q}"
            )));
            assert_has(&m, &["bridge[0].port[0].queues", "expected 1..=64"]);
        }
    }

    #[test]
    fn socket_mode_rules() {
        for mode in ["0o644", "0o400", "0o777", "0o1600"] {
            let m = err(&vhost_port(&format!(
                "type = \"dpdkvhostuser\"\npath = \"/tmp/s\"\nsocket_mode = {mode}"
            )));
            assert_has(&m, &["bridge[0].port[0].socket_mode", "0o600"]);
        }
        let m = err(&vhost_port(
            "type = \"dpdkvhostuserclient\"\npath = \"/tmp/s\"\nsocket_mode = 0o600",
        ));
        assert_has(&m, &["only for type \"dpdkvhostuser\""]);
    }

    #[test]
    fn keys_of_the_other_kind_are_refused() {
        let m = err(&vhost_port(
            "type = \"dpdkvhostuser\"\npath = \"/tmp/s\"\ndevargs = \"net_vhost0,iface=/tmp/s\"",
        ));
        assert_has(
            &m,
            &["bridge[0].port[0].devargs", "builds the net_vhost devargs"],
        );
        let m = err(&vhost_port(
            "type = \"dpdkvhostuser\"\npath = \"/tmp/s\"\nrx_queues = 2",
        ));
        assert_has(&m, &["bridge[0].port[0].rx_queues", "queues = N"]);
        ok(&vhost_port(
            "type = \"dpdkvhostuser\"\npath = \"/tmp/s\"\nrx_queues = 2\nqueues = 2",
        ));
        let m = err(&vhost_port("devargs = \"net_null0\"\npath = \"/tmp/s\""));
        assert_has(&m, &["bridge[0].port[0].path", "only for the vhost types"]);
        let m = err(&vhost_port("devargs = \"net_null0\"\nqueues = 2"));
        assert_has(&m, &["expected rx_queues"]);
    }

    #[test]
    fn one_socket_per_port() {
        let m = err(
            "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"a\"\ntype = \"dpdkvhostuser\"\npath = \"/tmp/s\"\n\
             [[bridge.port]]\nname = \"b\"\ntype = \"dpdkvhostuserclient\"\npath = \"/tmp/s\"\n",
        );
        assert_has(
            &m,
            &["bridge[0].port[1].path", "already used by port \"a\""],
        );
    }
}
