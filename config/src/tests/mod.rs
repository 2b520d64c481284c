//! Parsing and validation, one test per rule, one file per part of the
//! config; messages must name the file, the key path and what was expected.
//! This file holds the smallest valid config and the helpers that vary it.

mod bridges;
mod defaults;
mod load;
mod ports;
mod switch_section;
mod syntax;

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
