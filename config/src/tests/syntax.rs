//! TOML and serde errors (unknown keys, wrong types, bad enum values) and
//! required keys.

use super::*;

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
