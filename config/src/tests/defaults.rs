//! The shipped default file, defaults and their resolution, and
//! serialising back.

use super::*;

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
