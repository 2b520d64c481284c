//! Parsing and validation, one test per rule; messages must name the file,
//! the key path and what was expected.

use super::*;

const ENV: HostEnv = HostEnv { n_cores: 2 };
const ORIGIN: &str = "t.toml";

/// One bridge with one port: the smallest valid config.
const MIN: &str = r#"
[[bridge]]
name = "br0"

[[bridge.port]]
name = "p1"
devargs = "net_tap0"
"#;

fn ok(text: &str) -> Config {
    parse_with(text, ORIGIN, &ENV).unwrap_or_else(|e| panic!("{e}"))
}

fn err_on(text: &str, env: &HostEnv) -> String {
    match parse_with(text, ORIGIN, env) {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn err(text: &str) -> String {
    err_on(text, &ENV)
}

fn assert_has(msg: &str, parts: &[&str]) {
    assert!(
        msg.starts_with(ORIGIN),
        "{msg:?} does not start with the file name"
    );
    for p in parts {
        assert!(msg.contains(p), "{msg:?} lacks {p:?}");
    }
}

/// MIN with `extra` appended to the port table.
fn port(extra: &str) -> String {
    format!("{MIN}{extra}\n")
}

/// `switch` keys followed by MIN.
fn switch(keys: &str) -> String {
    format!("[switch]\n{keys}\n{MIN}")
}

fn mempool(keys: &str) -> String {
    format!("[mempool]\n{keys}\n{MIN}")
}

// ---- the shipped default file ----

#[test]
fn default_toml_parses() {
    let c = parse_with(include_str!("../../default.toml"), "default.toml", &ENV).unwrap();
    assert_eq!(c.switch, SwitchConfig::default());
    assert_eq!(c.mempool, MempoolConfig::default());
    assert_eq!(c.bridges.len(), 1);
    let b = &c.bridges[0];
    assert_eq!(b.name, "br0");
    assert_eq!(b.datapath_id, 1);
    assert_eq!(b.listen[0].to_string(), "tcp:127.0.0.1:6653");
    assert_eq!(b.fail_mode, FailMode::Secure);
    let summary: Vec<_> = b
        .ports
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.ofport,
                p.devargs.as_str(),
                p.output.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "tap0",
                1,
                "net_tap0,iface=fs-tap0",
                Output::Port("tap1".into())
            ),
            (
                "tap1",
                2,
                "net_tap1,iface=fs-tap1",
                Output::Port("tap0".into())
            ),
            ("null0", 3, "net_null0,no-rx=1", Output::Drop),
        ]
    );
    let kinds: Vec<_> = b.ports.iter().map(PortConfig::device_kind).collect();
    assert_eq!(kinds, [DeviceKind::Tap, DeviceKind::Tap, DeviceKind::Null]);
    assert_eq!(b.ports[2].device_name(), "net_null0");
    assert!(b
        .ports
        .iter()
        .all(|p| p.rx_queues == 1 && p.rx_desc == 1024 && p.tx_desc == 1024));
}

// ---- defaults and resolution ----

#[test]
fn minimal_config_gets_defaults() {
    let c = ok(MIN);
    assert_eq!(c.switch.run_dir, Path::new("/var/run/ferroswitch"));
    assert_eq!(c.switch.control_core, 0);
    assert_eq!(c.switch.pmd_cores, [1]);
    assert_eq!(c.switch.file_prefix, "ferroswitch");
    assert_eq!(c.switch.hugepages, Hugepages::Auto);
    assert_eq!(c.switch.log_level, LogLevel::Info);
    assert_eq!(c.mempool.mbufs, 16383);
    assert_eq!(c.mempool.cache_size, 256);
    assert_eq!(c.mempool.data_room, 2176);
    let b = &c.bridges[0];
    assert_eq!(b.datapath_id, 1);
    assert_eq!(b.listen, ["tcp:127.0.0.1:6653".parse().unwrap()]);
    assert!(b.controllers.is_empty());
    let p = &b.ports[0];
    assert_eq!(p.ofport, 1);
    assert_eq!(p.port_type, PortType::Dpdk);
    assert_eq!((p.rx_queues, p.rx_desc, p.tx_desc), (1, 1024, 1024));
    assert_eq!(p.output, Output::Drop);
    assert_eq!(c.eal_memory_mb(), c.mempool.footprint_mb() + EAL_BASE_MB);
}

#[test]
fn default_ofports_fill_the_lowest_gaps_in_file_order() {
    let c = ok(r#"
[[bridge]]
name = "br0"
[[bridge.port]]
name = "a"
devargs = "net_null0"
[[bridge.port]]
name = "b"
devargs = "net_null1"
ofport = 1
[[bridge.port]]
name = "c"
devargs = "net_null2"
[[bridge.port]]
name = "d"
devargs = "net_null3"
ofport = 3
"#);
    let ofports: Vec<_> = c.bridges[0].ports.iter().map(|p| p.ofport).collect();
    assert_eq!(ofports, [2, 1, 4, 3]);
}

#[test]
fn later_bridges_get_their_own_dpid_and_listen_port() {
    let c = ok(r#"
[[bridge]]
name = "br0"
[[bridge]]
name = "br1"
[[bridge.port]]
name = "p1"
devargs = "net_null0"
"#);
    assert_eq!(c.bridges[1].datapath_id, 2);
    assert_eq!(c.bridges[1].listen[0].to_string(), "tcp:127.0.0.1:6654");
    assert!(c.bridges[0].ports.is_empty());
    assert_eq!(c.port("p1").unwrap().0.name, "br1");
    assert!(c.bridge("br0").is_some());
}

#[test]
fn explicit_values_are_kept() {
    let c = ok(r#"
[switch]
run_dir = "/tmp/fs"
control_core = 1
pmd_cores = [0]
hugepages = "off"
memory_mb = 512
log_level = "debug"
eal_args = ["--vdev", "net_null9", "-d", "x"]
[tls]
private_key = "/etc/fs/key.pem"
certificate = "/etc/fs/cert.pem"
ca_certificate = "/etc/fs/ca.pem"
[[bridge]]
name = "br-x_1"
datapath_id = "0xABCDEF0123456789"
listen = ["tcp:[::1]:7000", "ssl:0.0.0.0:7001"]
controllers = ["tcp:10.0.0.1:6653"]
fail_mode = "standalone"
[[bridge.port]]
name = "eth.0"
ofport = 65279
devargs = "01:00.0,txq_inline=0"
rx_queues = 64
rx_desc = 8192
tx_desc = 64
output = "in_port"
"#);
    assert_eq!(c.switch.hugepages, Hugepages::Off);
    assert_eq!(c.switch.log_level, LogLevel::Debug);
    assert_eq!(c.switch.eal_args, ["--vdev", "net_null9", "-d", "x"]);
    assert_eq!(c.eal_memory_mb(), 512);
    let b = &c.bridges[0];
    assert_eq!(b.datapath_id, 0xabcdef0123456789);
    assert_eq!(b.datapath_id_hex(), "abcdef0123456789");
    assert_eq!(b.listen[1].scheme, OfScheme::Ssl);
    assert_eq!(b.fail_mode, FailMode::Standalone);
    let p = &b.ports[0];
    assert_eq!(p.output, Output::InPort);
    assert_eq!(p.device_kind(), DeviceKind::Pci);
    assert_eq!(p.device_name(), "0000:01:00.0");
    assert_eq!(b.port_by_ofport(65279).unwrap().name, "eth.0");
}

#[test]
fn serializes_back_to_an_equal_config() {
    let c = parse_with(include_str!("../../default.toml"), "default.toml", &ENV).unwrap();
    let text = toml::to_string(&c).unwrap();
    assert_eq!(ok(&text), c);
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains(r#""listen":["tcp:127.0.0.1:6653"]"#),
        "{json}"
    );
    assert!(
        json.contains(r#""datapath_id":"0000000000000001""#),
        "{json}"
    );
    assert!(json.contains(r#""output":"tap1""#), "{json}");
}

// ---- toml / serde errors ----

#[test]
fn syntax_error_names_file_line_and_column() {
    let m = err("[switch]\nrun_dir \"/x\"\n");
    assert_has(&m, &["t.toml:2:"]);
}

#[test]
fn unknown_key_in_switch() {
    let m = err(&switch("pmd_core = [1]"));
    assert_has(
        &m,
        &[
            "t.toml:2:1",
            "switch.pmd_core",
            "unknown field `pmd_core`",
            "pmd_cores",
        ],
    );
}

#[test]
fn unknown_key_in_port() {
    let m = err(&port("ofprot = 2"));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].ofprot",
            "unknown field `ofprot`",
            "expected one of",
        ],
    );
}

#[test]
fn unknown_table() {
    let m = err(&format!("{MIN}\n[extra]\nx = 1\n"));
    assert_has(&m, &["extra", "unknown field `extra`"]);
    let e = parse_with(&format!("{MIN}\n[extra]\nx = 1\n"), ORIGIN, &ENV).unwrap_err();
    assert_eq!(e.key(), Some("extra"));
}

#[test]
fn unknown_key_in_second_bridge() {
    let m = err(&format!(
        "{MIN}\n[[bridge]]\nname = \"br1\"\ncolour = \"red\"\n"
    ));
    assert_has(&m, &["bridge[1].colour", "unknown field `colour`"]);
}

#[test]
fn wrong_type_names_key() {
    let m = err(&port("ofport = \"one\""));
    assert_has(
        &m,
        &[
            "t.toml:8:10:",
            "bridge[0].port[0].ofport",
            "invalid type: string \"one\", expected an integer",
        ],
    );
}

#[test]
fn wrong_type_in_array_element() {
    let m = err(&switch("pmd_cores = [1, \"two\"]"));
    assert_has(&m, &["switch.pmd_cores[1]", "invalid type"]);
}

#[test]
fn datetime_where_a_string_belongs() {
    let m = err(&switch("run_dir = 1979-05-27"));
    assert_has(
        &m,
        &[
            "switch.run_dir",
            "invalid type: datetime, expected a string",
        ],
    );
}

#[test]
fn single_bracket_bridge_gets_a_hint() {
    let m = err("[bridge]\nname = \"br0\"\n");
    assert_has(&m, &["bridge", "write [[bridge]], not [bridge]"]);
    let m = err("[[bridge]]\nname = \"br0\"\nport = 3\n");
    assert_has(&m, &["bridge[0].port", "invalid type: integer `3`"]);
    assert!(!m.contains("write [["), "{m}");
}

#[test]
fn multi_line_toml_messages_become_one_line() {
    let m = err("x = [1,\n");
    assert_has(&m, &["t.toml:2:"]);
    assert!(!m.contains('\n'), "{m:?}");
}

#[test]
fn log_level_invalid() {
    let m = err(&switch("log_level = \"loud\""));
    assert_has(
        &m,
        &[
            "switch.log_level",
            "unknown variant `loud`",
            "`error`",
            "`trace`",
        ],
    );
}

#[test]
fn hugepages_invalid() {
    let m = err(&switch("hugepages = \"yes\""));
    assert_has(
        &m,
        &[
            "switch.hugepages",
            "unknown variant `yes`",
            "`auto`",
            "`on`",
            "`off`",
        ],
    );
}

#[test]
fn port_type_invalid() {
    let m = err(&port("type = \"vxlan\""));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].type",
            "unknown variant `vxlan`",
            "`dpdk`",
        ],
    );
}

#[test]
fn max_flows_per_table_default_value_and_range() {
    assert_eq!(ok(MIN).bridges[0].max_flows_per_table, 1_000_000);
    let c = ok("[[bridge]]\nname = \"br0\"\nmax_flows_per_table = 10\n");
    assert_eq!(c.bridges[0].max_flows_per_table, 10);
    for bad in ["0", "-1", "4294967296"] {
        let m = err(&format!(
            "[[bridge]]\nname = \"br0\"\nmax_flows_per_table = {bad}\n"
        ));
        assert_has(&m, &["bridge[0].max_flows_per_table", "1..=4294967295"]);
    }
}

#[test]
fn fail_mode_invalid() {
    let m = err("[[bridge]]\nname = \"br0\"\nfail_mode = \"open\"\n");
    assert_has(&m, &["bridge[0].fail_mode", "`secure`", "`standalone`"]);
}

// ---- required keys ----

#[test]
fn no_bridges() {
    let m = err("[switch]\n");
    assert_has(&m, &["bridge", "at least one [[bridge]] is required"]);
    let m = err("");
    assert_has(&m, &["at least one [[bridge]] is required"]);
}

#[test]
fn bridge_name_missing() {
    let m = err("[[bridge]]\nfail_mode = \"secure\"\n");
    assert_has(&m, &["t.toml:1:", "bridge[0].name", "required"]);
}

#[test]
fn port_name_missing() {
    let m = err("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\ndevargs = \"net_null0\"\n");
    assert_has(&m, &["t.toml:3:", "bridge[0].port[0].name", "required"]);
}

#[test]
fn devargs_missing() {
    let m = err("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\n");
    assert_has(
        &m,
        &[
            "bridge[0].port[0].devargs",
            "required for type \"dpdk\"",
            "PCI address",
        ],
    );
}

// ---- bridges ----

#[test]
fn bridge_name_invalid() {
    for name in ["", "br 0", "br.0", "a-very-long-bridge-name"] {
        let m = err(&format!("[[bridge]]\nname = {name:?}\n"));
        assert_has(
            &m,
            &[
                "bridge[0].name",
                "not a valid bridge name",
                "1..=15 characters",
            ],
        );
    }
}

#[test]
fn bridge_name_duplicate() {
    let m = err("[[bridge]]\nname = \"br0\"\n[[bridge]]\nname = \"br0\"\n");
    assert_has(
        &m,
        &["t.toml:4:", "bridge[1].name", "already used by bridge[0]"],
    );
}

#[test]
fn datapath_id_invalid() {
    for dpid in ["1", "000000000000000g", "0x1", "00000000000000001"] {
        let m = err(&format!(
            "[[bridge]]\nname = \"br0\"\ndatapath_id = {dpid:?}\n"
        ));
        assert_has(&m, &["bridge[0].datapath_id", "16 hex digits"]);
    }
}

#[test]
fn datapath_id_zero() {
    let m = err("[[bridge]]\nname = \"br0\"\ndatapath_id = \"0000000000000000\"\n");
    assert_has(&m, &["bridge[0].datapath_id", "non-zero"]);
}

#[test]
fn datapath_id_duplicate() {
    // The second bridge's default (index + 1 = 2) clashes with the first's explicit id.
    let m = err(
        "[[bridge]]\nname = \"br0\"\ndatapath_id = \"0x0000000000000002\"\n\
         [[bridge]]\nname = \"br1\"\n",
    );
    assert_has(
        &m,
        &[
            "bridge[1].datapath_id",
            "0000000000000002",
            "already used by bridge \"br0\"",
        ],
    );
}

#[test]
fn listen_syntax() {
    let m = err("[[bridge]]\nname = \"br0\"\nlisten = [\"tcp:localhost:6653\"]\n");
    assert_has(
        &m,
        &[
            "t.toml:3:",
            "bridge[0].listen[0]",
            "expected tcp:IP:PORT or ssl:IP:PORT",
        ],
    );
}

#[test]
fn controllers_syntax() {
    let m = err("[[bridge]]\nname = \"br0\"\ncontrollers = [\"tcp:1.2.3.4:1\", \"ptcp:6653\"]\n");
    assert_has(
        &m,
        &[
            "bridge[0].controllers[1]",
            "\"ptcp:6653\"",
            "expected tcp:IP:PORT",
        ],
    );
}

#[test]
fn controller_unconnectable() {
    let m = err("[[bridge]]\nname = \"br0\"\ncontrollers = [\"tcp:0.0.0.0:6653\"]\n");
    assert_has(&m, &["bridge[0].controllers[0]", "cannot be connected to"]);
    let m = err("[[bridge]]\nname = \"br0\"\ncontrollers = [\"tcp:10.0.0.1:0\"]\n");
    assert_has(&m, &["bridge[0].controllers[0]", "cannot be connected to"]);
}

#[test]
fn controller_duplicate() {
    let m = err("[[bridge]]\nname = \"br0\"\ncontrollers = [\"tcp:10.0.0.1:6653\", \"tcp:10.0.0.1:6653\"]\n");
    assert_has(
        &m,
        &[
            "bridge[0].controllers[1]",
            "already listed at bridge[0].controllers[0]",
        ],
    );
}

#[test]
fn listen_duplicate_across_bridges() {
    let m = err(
        "[[bridge]]\nname = \"br0\"\nlisten = [\"tcp:127.0.0.1:6654\"]\n\
         [[bridge]]\nname = \"br1\"\n",
    );
    assert_has(
        &m,
        &[
            "bridge[1].listen[0]",
            "tcp:127.0.0.1:6654",
            "clashes with bridge[0].listen[0]",
        ],
    );
}

#[test]
fn listen_any_address_clashes_with_specific() {
    let m = err(
        "[[bridge]]\nname = \"br0\"\nlisten = [\"tcp:0.0.0.0:7000\"]\n\
         [[bridge]]\nname = \"br1\"\nlisten = [\"tcp:127.0.0.1:7000\"]\n",
    );
    assert_has(
        &m,
        &["bridge[1].listen[0]", "clashes with bridge[0].listen[0]"],
    );
    // Port 0 lets the OS choose, so it never clashes.
    ok(
        "[[bridge]]\nname = \"br0\"\nlisten = [\"tcp:127.0.0.1:0\"]\n\
        [[bridge]]\nname = \"br1\"\nlisten = [\"tcp:127.0.0.1:0\"]\n",
    );
}

// ---- ports ----

#[test]
fn port_name_invalid() {
    for name in ["", "p 1", "p/1", "sixteen-chars-xx"] {
        let m = err(&format!("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = {name:?}\ndevargs = \"net_null0\"\n"));
        assert_has(
            &m,
            &[
                "bridge[0].port[0].name",
                "not a valid port name",
                "1..=15 characters",
            ],
        );
    }
}

#[test]
fn port_name_reserved() {
    let m = err(
        "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"drop\"\ndevargs = \"net_null0\"\n",
    );
    assert_has(&m, &["bridge[0].port[0].name", "\"drop\" is reserved"]);
}

#[test]
fn port_name_duplicate_across_bridges() {
    let m = err(&format!(
        "{MIN}\n[[bridge]]\nname = \"br1\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"net_null0\"\n"
    ));
    assert_has(
        &m,
        &[
            "bridge[1].port[0].name",
            "\"p1\" is already used by bridge[0].port[0]",
            "across all bridges",
        ],
    );
}

#[test]
fn ofport_out_of_range() {
    for n in ["0", "65280", "-1", "4294967296"] {
        let m = err(&port(&format!("ofport = {n}")));
        assert_has(
            &m,
            &[
                "t.toml:8:",
                "bridge[0].port[0].ofport",
                n,
                "expected 1..=65279",
            ],
        );
    }
}

#[test]
fn ofport_duplicate_within_bridge() {
    let m = err(&port(
        "ofport = 5\n[[bridge.port]]\nname = \"p2\"\ndevargs = \"net_null0\"\nofport = 5",
    ));
    assert_has(
        &m,
        &[
            "bridge[0].port[1].ofport",
            "ofport 5 is already used by port \"p1\"",
            "within bridge \"br0\"",
        ],
    );
}

#[test]
fn same_ofport_in_two_bridges_is_fine() {
    let c = ok(&format!(
        "{MIN}\n[[bridge]]\nname = \"br1\"\n[[bridge.port]]\nname = \"p2\"\ndevargs = \"net_null0\"\n"
    ));
    assert_eq!(c.bridges[1].ports[0].ofport, 1);
}

#[test]
fn devargs_empty() {
    let m = err("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"\"\n");
    assert_has(
        &m,
        &[
            "bridge[0].port[0].devargs",
            "must not be empty",
            "expected a PCI address (0000:01:00.0) or a DPDK vdev (net_tap0,iface=...)",
        ],
    );
}

#[test]
fn devargs_unknown_device() {
    let m = err("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"foo\"\n");
    assert_has(
        &m,
        &[
            "t.toml:5:",
            "bridge[0].port[0].devargs",
            "\"foo\"",
            "expected a PCI address (0000:01:00.0) or a DPDK vdev (net_tap0,iface=...)",
        ],
    );
}

#[test]
fn devargs_bad_pci_address() {
    let m = err(
        "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"0000:01:00.9\"\n",
    );
    assert_has(
        &m,
        &[
            "bridge[0].port[0].devargs",
            "not a valid PCI address",
            "0000:01:00.0",
        ],
    );
}

#[test]
fn devargs_other_vdev_accepted() {
    let c = ok("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"net_af_packet0,iface=eth0\"\n");
    assert_eq!(
        c.bridges[0].ports[0].device_kind(),
        DeviceKind::Other("net_af_packet0".into())
    );
}

#[test]
fn devargs_duplicate_device() {
    let m = err(&port(
        "[[bridge.port]]\nname = \"p2\"\ndevargs = \"net_tap0,iface=other\"",
    ));
    assert_has(
        &m,
        &[
            "bridge[0].port[1].devargs",
            "device net_tap0 is already used by port \"p1\"",
        ],
    );
    // Short and long PCI forms are the same device.
    let m = err(
        "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"a\"\ndevargs = \"01:00.0\"\n\
         [[bridge.port]]\nname = \"b\"\ndevargs = \"0000:01:00.0,x=1\"\n",
    );
    assert_has(
        &m,
        &[
            "bridge[0].port[1].devargs",
            "device 0000:01:00.0 is already used by port \"a\"",
        ],
    );
}

#[test]
fn rx_queues_out_of_range() {
    for n in ["0", "65", "-3"] {
        let m = err(&port(&format!("rx_queues = {n}")));
        assert_has(&m, &["bridge[0].port[0].rx_queues", n, "expected 1..=64"]);
    }
}

#[test]
fn rx_desc_not_power_of_two() {
    let m = err(&port("rx_desc = 1000"));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].rx_desc",
            "1000 is not a power of two in 64..=8192",
        ],
    );
}

#[test]
fn desc_out_of_range() {
    let m = err(&port("tx_desc = 16384"));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].tx_desc",
            "16384",
            "a power of two in 64..=8192",
        ],
    );
    let m = err(&port("rx_desc = 32"));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].rx_desc",
            "32 is not a power of two in 64..=8192",
        ],
    );
    let m = err(&port("tx_desc = 100000"));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].tx_desc",
            "100000 is out of range",
            "a power of two in 64..=8192",
        ],
    );
}

#[test]
fn output_names_missing_port() {
    let m = err(&port("output = \"p9\""));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].output",
            "no port \"p9\" in bridge \"br0\"",
            "\"in_port\" or \"drop\"",
        ],
    );
}

#[test]
fn output_names_port_of_other_bridge() {
    let m = err(&format!(
        "{MIN}output = \"q1\"\n[[bridge]]\nname = \"br1\"\n[[bridge.port]]\nname = \"q1\"\ndevargs = \"net_null0\"\n"
    ));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].output",
            "port \"q1\" belongs to bridge \"br1\", not to bridge \"br0\"",
        ],
    );
}

#[test]
fn output_names_itself() {
    let m = err(&port("output = \"p1\""));
    assert_has(
        &m,
        &[
            "bridge[0].port[0].output",
            "this port itself",
            "\"in_port\"",
        ],
    );
}

#[test]
fn output_may_name_a_later_port() {
    let c = ok(&port(
        "output = \"p2\"\n[[bridge.port]]\nname = \"p2\"\ndevargs = \"net_null0\"",
    ));
    assert_eq!(c.bridges[0].ports[0].output, Output::Port("p2".into()));
}

// ---- cores ----

#[test]
fn pmd_cores_empty() {
    let m = err(&switch("pmd_cores = []"));
    assert_has(&m, &["t.toml:2:", "switch.pmd_cores", "must not be empty"]);
}

#[test]
fn pmd_core_missing_on_machine() {
    let m = err(&switch("pmd_cores = [1, 7]"));
    assert_has(
        &m,
        &[
            "switch.pmd_cores[1]",
            "core 7 does not exist on this machine (it has 2 cores: 0-1)",
        ],
    );
    let m = err_on(MIN, &HostEnv { n_cores: 1 });
    assert_has(
        &m,
        &[
            "switch.pmd_cores[0]",
            "core 1 does not exist on this machine (it has 1 core: 0)",
        ],
    );
}

#[test]
fn pmd_core_duplicate() {
    let m = err_on(&switch("pmd_cores = [1, 2, 1]"), &HostEnv { n_cores: 4 });
    assert_has(
        &m,
        &[
            "switch.pmd_cores[2]",
            "core 1 is already listed at switch.pmd_cores[0]",
        ],
    );
}

#[test]
fn pmd_core_overlaps_control_core() {
    let m = err(&switch("pmd_cores = [0]"));
    assert_has(
        &m,
        &[
            "switch.pmd_cores[0]",
            "pmd core 0 overlaps the control core",
        ],
    );
}

#[test]
fn control_core_missing_on_machine() {
    let m = err(&switch("control_core = 2"));
    assert_has(
        &m,
        &[
            "switch.control_core",
            "core 2 does not exist on this machine (it has 2 cores: 0-1)",
        ],
    );
    let m = err(&switch("control_core = -1"));
    assert_has(
        &m,
        &["switch.control_core", "-1 is out of range", "core number"],
    );
}

#[test]
fn more_cores_allow_more_pmds() {
    let c = parse_with(
        &switch("control_core = 3\npmd_cores = [0, 1, 2]"),
        ORIGIN,
        &HostEnv { n_cores: 4 },
    )
    .unwrap();
    assert_eq!(c.switch.pmd_cores, [0, 1, 2]);
}

// ---- switch strings ----

#[test]
fn run_dir_empty() {
    let m = err(&switch("run_dir = \"\""));
    assert_has(&m, &["switch.run_dir", "must not be empty"]);
}

#[test]
fn file_prefix_invalid() {
    let m = err(&switch("file_prefix = \"a/b\""));
    assert_has(
        &m,
        &["switch.file_prefix", "\"a/b\" is not a valid file prefix"],
    );
}

#[test]
fn emc_entries_and_flow_limit() {
    let c = ok(&switch("emc_entries = 0\nflow_limit = 1000"));
    assert_eq!((c.switch.emc_entries, c.switch.flow_limit), (0, 1000));
    let d = ok(&switch(""));
    assert_eq!(
        (d.switch.emc_entries, d.switch.flow_limit),
        (262_144, 200_000)
    );
    for n in ["1000", "4", "33554432"] {
        let m = err(&switch(&format!("emc_entries = {n}")));
        assert_has(
            &m,
            &["switch.emc_entries", n, "a power of two in 8..=16777216"],
        );
    }
    for n in ["0", "10000001"] {
        let m = err(&switch(&format!("flow_limit = {n}")));
        assert_has(&m, &["switch.flow_limit", n, "expected 1..=10000000"]);
    }
}

// ---- mempool and memory ----

#[test]
fn mbufs_out_of_range() {
    for n in ["1022", "4194304", "-1"] {
        let m = err(&mempool(&format!("mbufs = {n}")));
        assert_has(&m, &["mempool.mbufs", n, "expected 1023..=4194303"]);
    }
}

#[test]
fn cache_size_too_large() {
    let m = err(&mempool("cache_size = 513"));
    assert_has(&m, &["mempool.cache_size", "513", "expected 0..=512"]);
}

#[test]
fn data_room_out_of_range() {
    for n in ["255", "65536"] {
        let m = err(&mempool(&format!("data_room = {n}")));
        assert_has(&m, &["mempool.data_room", n, "expected 256..=65535"]);
    }
}

#[test]
fn memory_too_small_for_mempool() {
    let m = err(&switch("memory_mb = 8"));
    assert_has(
        &m,
        &[
            "switch.memory_mb",
            "8 MB cannot hold the mempool",
            "at least 37",
        ],
    );
}

// ---- entry points ----

#[test]
fn validate_with_checks_a_built_config() {
    let mut c = ok(MIN);
    assert!(c.validate_with(&ENV).is_ok());
    c.bridges[0].ports[0].rx_queues = 0;
    let m = c.validate_with(&ENV).unwrap_err().to_string();
    assert_eq!(
        m,
        "<config>: bridge[0].port[0].rx_queues: 0 is out of range; expected 1..=64"
    );
}

#[test]
fn load_missing_file_names_it() {
    let m = load(Path::new("/nonexistent/ferroswitch.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with("/nonexistent/ferroswitch.toml: cannot read config file"),
        "{m}"
    );
}

#[test]
fn load_names_the_file_in_errors() {
    let dir = std::env::temp_dir().join(format!("fsconfig-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, port("ofport = 0")).unwrap();
    let m = load_with(&path, &ENV).unwrap_err().to_string();
    std::fs::write(&path, MIN).unwrap();
    let loaded = load_with(&path, &ENV);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        m.starts_with(&format!("{}:8: bridge[0].port[0].ofport", path.display())),
        "{m}"
    );
    assert_eq!(loaded.unwrap(), ok(MIN));
}

#[test]
fn ssl_address_needs_tls_keys() {
    let e = parse_with(
        "[switch]\npmd_cores = [1]\n[[bridge]]\nname = \"br0\"\nlisten = [\"ssl:127.0.0.1:6653\"]\n",
        "t.toml",
        &HostEnv { n_cores: 2 },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("t.toml") && e.contains("bridge[0].listen") && e.contains("[tls]"),
        "{e}"
    );
}
