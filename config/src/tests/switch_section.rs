//! The [switch] section: cores, strings (run dir, file prefix), EMC and
//! flow limits, mempool and memory.

use super::*;

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
fn pmd_core_sharing_allows_shared_cores_but_not_missing_ones() {
    for m in [
        err(&switch("pmd_cores = [1, 1]")),
        err(&switch("pmd_cores = [0]")),
    ] {
        assert_has(&m, &["switch.pmd_core_sharing = true allows it"]);
    }
    let c = ok(&switch("pmd_cores = [1, 1, 0]\npmd_core_sharing = true"));
    assert_eq!(c.switch.pmd_cores, [1, 1, 0]);
    assert!(c.switch.pmd_core_sharing);
    assert!(!ok(&switch("")).switch.pmd_core_sharing, "off by default");
    let m = err(&switch("pmd_cores = [1, 7]\npmd_core_sharing = true"));
    assert_has(&m, &["switch.pmd_cores[1]"]);
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
