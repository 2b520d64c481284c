//! Bridges: names, datapath ids, listen and controller addresses, TLS.

use super::*;

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
