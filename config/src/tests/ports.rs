//! Ports: names, ofports, devargs, queues, descriptors and `output`.

use super::*;

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
