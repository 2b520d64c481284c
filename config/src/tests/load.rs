//! Entry points: validating a built config and loading from a file.

use super::*;

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
