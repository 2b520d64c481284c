//! Finds the system DPDK with pkg-config, generates bindings with bindgen and
//! builds the C shim for DPDK's inline functions. Missing prerequisites fail
//! the build with the Debian package that provides them.
use std::env;
use std::path::{Path, PathBuf};

const SETUP_HINT: &str = "run scripts/setup.sh, or: apt-get install";

fn main() {
    println!("cargo:rerun-if-changed=shim/shim.c");
    println!("cargo:rerun-if-changed=shim/shim.h");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    println!("cargo:rerun-if-env-changed=FERROSWITCH_DPDK_LINK");
    let link = DpdkLink::from_env();
    let dpdk = pkg_config::Config::new()
        .cargo_metadata(link == DpdkLink::Shared)
        .atleast_version("22.11")
        .probe("libdpdk")
        .unwrap_or_else(|e| {
            panic!(
                "\n\nferroswitch needs DPDK 22.11 (pkg-config libdpdk) and could not find it:\n  {e}\n\
                 Install the Debian packages `dpdk dpdk-dev libdpdk-dev` ({SETUP_HINT} dpdk dpdk-dev libdpdk-dev).\n\n"
            )
        });

    if env::var_os("LIBCLANG_PATH").is_none() && !libclang_present() {
        panic!(
            "\n\nbindgen needs libclang and none was found (set LIBCLANG_PATH, or install the Debian package \
             `libclang-dev`: {SETUP_HINT} libclang-dev).\n\n"
        );
    }

    // DPDK's own compile flags: include paths, `-include rte_config.h`, -march.
    let cflags = std::process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok());
    let mut clang_args: Vec<String> = dpdk
        .include_paths
        .iter()
        .map(|p| format!("-I{}", p.display()))
        .collect();
    clang_args.extend(extra_cflags(cflags.as_deref()));

    let mut shim = cc::Build::new();
    shim.file("shim/shim.c").opt_level(3).warnings(true);
    for p in &dpdk.include_paths {
        shim.include(p);
    }
    for f in extra_cflags(cflags.as_deref()) {
        shim.flag(&f);
    }
    shim.compile("ferroswitch_dpdk_shim");
    match link {
        DpdkLink::Static => link_static(&dpdk.link_paths),
        // The vhost PMD's own API (queue enable events) lives in the
        // driver's library, which pkg-config's --libs leaves to the plugin
        // loader.
        DpdkLink::Shared => println!("cargo:rustc-link-lib=dylib=rte_net_vhost"),
    }

    let bindings = bindgen::Builder::default()
        .header("shim/shim.h")
        .clang_args(&clang_args)
        .allowlist_function("fs_.*")
        .allowlist_function("rte_eal_(init|cleanup|process_type|has_hugepages|get_runtime_dir)")
        .allowlist_function("rte_eth_(dev_.*|rx_queue_setup|tx_queue_setup|stats_get|stats_reset|link_get_nowait|macaddr_get|promiscuous_enable|allmulticast_enable|find_next_owned_by|xstats_.*)")
        .allowlist_function("rte_dev_(probe|remove)")
        .allowlist_function("rte_pktmbuf_(pool_create|free_bulk)")
        .allowlist_function("rte_mempool_(free|lookup)")
        .allowlist_function("rte_thread_(register|unregister)")
        .allowlist_function("rte_(strerror|get_tsc_hz|socket_id|version|lcore_count)")
        .allowlist_function("rte_eth_vhost_get_queue_event")
        .allowlist_type("rte_eth_rx_mq_mode")
        .allowlist_var("RTE_(ETH_MQ_RX_RSS|ETH_LINK_.*|MAX_ETHPORTS|ETH_NAME_MAX_LEN|PKTMBUF_HEADROOM|MBUF_DEFAULT_BUF_SIZE|ETH_RX_OFFLOAD_.*|ETH_TX_OFFLOAD_.*|MBUF_F_RX_RSS_HASH)")
        .allowlist_var("SOCKET_ID_ANY|LCORE_ID_ANY")
        .blocklist_type("max_align_t")
        .opaque_type("rte_l2tpv2_combined_msg_hdr")
        .opaque_type("rte_arp_ipv4")
        .opaque_type("rte_arp_hdr")
        .derive_default(true)
        .layout_tests(true)
        .generate_comments(false)
        .prepend_enum_name(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .unwrap_or_else(|e| panic!("bindgen failed on the DPDK headers: {e}"));

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("writing bindings.rs");
}

/// How the binaries link DPDK (`FERROSWITCH_DPDK_LINK`).
#[derive(PartialEq, Eq, Clone, Copy)]
enum DpdkLink {
    /// The default: DPDK's static libraries, with the drivers in
    /// [`STATIC_DRIVERS`]. Its per-lcore variables (`rte_lcore_id()`, read
    /// by every mbuf alloc and free in the drivers) become plain loads
    /// instead of a `__tls_get_addr` call, and calls into the drivers no
    /// longer go through the PLT: 1 flow x r1 +7% to +22% on-CPU,
    /// 100k flows x r64 +4% (perf/RESULTS.md).
    Static,
    /// `FERROSWITCH_DPDK_LINK=shared`: the shared libraries, and at run
    /// time every driver plugin of the system's DPDK (for a NIC whose
    /// driver is not in [`STATIC_DRIVERS`]).
    Shared,
}

impl DpdkLink {
    fn from_env() -> Self {
        match env::var("FERROSWITCH_DPDK_LINK").as_deref() {
            Ok("shared") => DpdkLink::Shared,
            Ok("static") | Err(_) => DpdkLink::Static,
            Ok(other) => panic!(
                "\n\nFERROSWITCH_DPDK_LINK={other:?}: expected \"static\" (the default) or \"shared\"\n\n"
            ),
        }
    }
}

/// Drivers linked in (each registers itself from a constructor, so they
/// are linked whole): the virtual devices, vhost-user and memif, and the
/// PCI NICs most deployments have. Others need `FERROSWITCH_DPDK_LINK=shared`.
const STATIC_DRIVERS: &[&str] = &[
    "net_pcap",
    "net_null",
    "net_ring",
    "net_tap",
    "net_vhost",
    "net_memif",
    "net_virtio",
    "net_af_packet",
    "net_e1000",
    "net_igc",
    "net_ixgbe",
    "net_i40e",
    "net_iavf",
    "common_iavf",
    "net_ice",
    "net_vmxnet3",
    "net_ena",
    "net_enic",
    "net_bnxt",
    "net_mlx5",
    "common_mlx5",
    "mempool_ring",
    "mempool_stack",
    "bus_vdev",
    "bus_pci",
    "bus_auxiliary",
];

/// The libraries they and the switch use.
const STATIC_LIBS: &[&str] = &[
    "vhost",
    "gso",
    "dmadev",
    "cryptodev",
    "security",
    "hash",
    "rcu",
    "ethdev",
    "meter",
    "net",
    "mbuf",
    "mempool",
    "stack",
    "ring",
    "timer",
    "pci",
    "telemetry",
    "kvargs",
    "eal",
];

/// System libraries the static DPDK libraries above call (shared).
const STATIC_SYSTEM_LIBS: &[&str] = &[
    "pcap", "ibverbs", "mlx5", "numa", "bsd", "elf", "fdt", "jansson", "m", "dl", "pthread",
];

/// Links DPDK's static libraries from `paths` (pkg-config's `-L`, else the
/// multiarch directory).
fn link_static(paths: &[PathBuf]) {
    let multiarch = PathBuf::from("/usr/lib/x86_64-linux-gnu");
    let dirs: Vec<&Path> = paths
        .iter()
        .map(PathBuf::as_path)
        .chain(std::iter::once(multiarch.as_path()))
        .collect();
    for d in &dirs {
        println!("cargo:rustc-link-search=native={}", d.display());
    }
    for lib in STATIC_DRIVERS.iter().chain(STATIC_LIBS) {
        let file = format!("librte_{lib}.a");
        if !dirs.iter().any(|d| d.join(&file).is_file()) {
            panic!(
                "\n\n{file} not found in {dirs:?}: DPDK's static libraries come with `libdpdk-dev` \
                 ({SETUP_HINT} libdpdk-dev), or build with FERROSWITCH_DPDK_LINK=shared.\n\n"
            );
        }
        // Whole: drivers register from constructors nothing refers to, and
        // the libraries then need no link order.
        println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=rte_{lib}");
    }
    for lib in STATIC_SYSTEM_LIBS {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}

/// The non-`-I` flags of DPDK's pkg-config cflags that change the ABI or
/// the headers' meaning (`-include rte_config.h`, `-march=...`, `-m...`).
fn extra_cflags(cflags: Option<&str>) -> Vec<String> {
    let Some(cflags) = cflags else {
        return vec!["-include".into(), "rte_config.h".into()];
    };
    let mut out = Vec::new();
    let mut it = cflags.split_whitespace();
    while let Some(f) = it.next() {
        if f == "-include" {
            if let Some(h) = it.next() {
                out.push(f.to_string());
                out.push(h.to_string());
            }
        } else if f.starts_with("-m") || f.starts_with("-D") {
            out.push(f.to_string());
        }
    }
    out
}

fn libclang_present() -> bool {
    let roots = [
        "/usr/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/local/lib",
    ];
    roots.iter().any(|r| dir_has_libclang(Path::new(r)))
        || std::fs::read_dir("/usr/lib")
            .map(|rd| {
                rd.flatten().any(|e| {
                    e.file_name().to_string_lossy().starts_with("llvm-")
                        && dir_has_libclang(&e.path().join("lib"))
                })
            })
            .unwrap_or(false)
}

fn dir_has_libclang(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libclang"))
        })
        .unwrap_or(false)
}
