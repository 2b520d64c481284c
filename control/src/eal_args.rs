//! The EAL command line built from the configuration, and the hugepage
//! decision behind it.
use fsconfig::{Config, DeviceKind, Hugepages};

use crate::error::{Error, Result};

/// Hugepage memory the host can give us right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugepageInfo {
    pub free_pages: u64,
    pub page_kb: u64,
}

impl HugepageInfo {
    /// Reads `HugePages_Free` and `Hugepagesize` from /proc/meminfo text.
    pub fn from_meminfo(text: &str) -> HugepageInfo {
        let field = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        HugepageInfo {
            free_pages: field("HugePages_Free:"),
            page_kb: field("Hugepagesize:"),
        }
    }

    pub fn detect() -> HugepageInfo {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        HugepageInfo::from_meminfo(&text)
    }

    pub fn free_mb(&self) -> u64 {
        self.free_pages * self.page_kb / 1024
    }
}

/// Whether to run on hugepages. `Ok(false)` means `--no-huge`; the message
/// says why for the log.
pub fn use_hugepages(cfg: &Config, host: HugepageInfo) -> Result<(bool, String)> {
    let need = u64::from(cfg.eal_memory_mb());
    let have = host.free_mb();
    let needs_huge: Vec<&str> = cfg
        .bridges
        .iter()
        .flat_map(|b| &b.ports)
        .filter(|p| {
            matches!(
                p.device_kind(),
                DeviceKind::Pci | DeviceKind::Vhost | DeviceKind::VirtioUser
            )
        })
        .map(|p| p.name.as_str())
        .collect();
    match cfg.switch.hugepages {
        Hugepages::Off if !needs_huge.is_empty() => Err(Error::Hugepages(format!(
            "switch.hugepages = \"off\", but port(s) {} need hugepage memory",
            needs_huge.join(", ")
        ))),
        Hugepages::Off => Ok((false, "switch.hugepages = \"off\": running without hugepages (--no-huge)".into())),
        _ if have >= need => Ok((true, format!("using hugepages ({have} MB free, {need} MB needed)"))),
        Hugepages::On => Err(Error::Hugepages(format!(
            "switch.hugepages = \"on\" but only {have} MB of hugepages are free and {need} MB are needed; \
             reserve more (scripts/setup.sh, or echo 512 > /proc/sys/vm/nr_hugepages)"
        ))),
        Hugepages::Auto if !needs_huge.is_empty() => Err(Error::Hugepages(format!(
            "only {have} MB of hugepages are free, {need} MB are needed, and port(s) {} cannot run without them; \
             reserve more (scripts/setup.sh, or echo 512 > /proc/sys/vm/nr_hugepages)",
            needs_huge.join(", ")
        ))),
        Hugepages::Auto => Ok((
            false,
            format!("no hugepages available ({have} MB free, {need} MB needed): running without them (--no-huge), slower"),
        )),
    }
}

/// The EAL arguments (without the program name).
pub fn eal_args(cfg: &Config, hugepages: bool) -> Vec<String> {
    let s = &cfg.switch;
    let mut a = vec![
        "-l".to_string(),
        s.control_core.to_string(),
        "--main-lcore".into(),
        s.control_core.to_string(),
        format!("--file-prefix={}", s.file_prefix),
        "--log-level=lib.*:notice".into(),
    ];
    if hugepages {
        // Memory is backed by memfd, never by files: nothing is left in
        // /dev/hugepages even if the process dies.
        a.push("--in-memory".into());
    } else {
        // Anonymous memory; EAL refuses --in-memory together with it, so
        // ask for no shared-config files instead.
        a.push("--no-huge".into());
        a.push("--no-shconf".into());
        a.push("-m".into());
        a.push(cfg.eal_memory_mb().to_string());
    }
    let pci: Vec<String> = cfg
        .bridges
        .iter()
        .flat_map(|b| &b.ports)
        .filter(|p| p.device_kind() == DeviceKind::Pci)
        .map(|p| p.device_name())
        .collect();
    if pci.is_empty() {
        a.push("--no-pci".into());
    } else {
        // Only the configured NICs; never grab the host's other devices.
        for addr in pci {
            a.push("-a".into());
            a.push(addr);
        }
    }
    a.extend(s.eal_args.iter().cloned());
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use fsconfig::HostEnv;

    fn cfg(extra_switch: &str, devargs: &str) -> Config {
        let text = format!(
            "[switch]\npmd_cores = [1]\n{extra_switch}\n[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"{devargs}\"\n"
        );
        fsconfig::parse_with(&text, "test.toml", &HostEnv { n_cores: 2 }).unwrap()
    }

    const MEMINFO: &str = "MemTotal: 1 kB\nHugePages_Total:     512\nHugePages_Free:      300\nHugepagesize:       2048 kB\n";

    #[test]
    fn meminfo_is_parsed() {
        let h = HugepageInfo::from_meminfo(MEMINFO);
        assert_eq!(
            h,
            HugepageInfo {
                free_pages: 300,
                page_kb: 2048
            }
        );
        assert_eq!(h.free_mb(), 600);
        assert_eq!(HugepageInfo::from_meminfo("").free_mb(), 0);
    }

    #[test]
    fn auto_uses_hugepages_when_enough_are_free() {
        let c = cfg("", "net_null0");
        let (huge, why) = use_hugepages(&c, HugepageInfo::from_meminfo(MEMINFO)).unwrap();
        assert!(huge, "{why}");
    }

    #[test]
    fn auto_falls_back_to_no_huge_and_says_so() {
        let c = cfg("", "net_tap0");
        let (huge, why) = use_hugepages(
            &c,
            HugepageInfo {
                free_pages: 0,
                page_kb: 2048,
            },
        )
        .unwrap();
        assert!(!huge);
        assert!(why.contains("no hugepages available"), "{why}");
        let args = eal_args(&c, huge);
        assert!(args.contains(&"--no-huge".to_string()));
        assert!(!args.contains(&"--in-memory".to_string()));
        let m = args
            .iter()
            .position(|a| a == "-m")
            .expect("-m with --no-huge");
        assert_eq!(args[m + 1], c.eal_memory_mb().to_string());
    }

    #[test]
    fn pci_port_requires_hugepages() {
        let c = cfg("", "0000:01:00.0");
        let err = use_hugepages(
            &c,
            HugepageInfo {
                free_pages: 0,
                page_kb: 2048,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("p1"), "{err}");
        let args = eal_args(&c, true);
        assert!(!args.contains(&"--no-pci".to_string()));
        assert!(args
            .windows(2)
            .any(|w| w[0] == "-a" && w[1] == "0000:01:00.0"));
    }

    #[test]
    fn on_without_hugepages_is_an_error() {
        let c = cfg("hugepages = \"on\"", "net_null0");
        let err = use_hugepages(
            &c,
            HugepageInfo {
                free_pages: 1,
                page_kb: 2048,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("hugepages = \"on\""), "{err}");
    }

    #[test]
    fn base_arguments() {
        let c = cfg("file_prefix = \"t1\"\ncontrol_core = 0", "net_null0");
        let args = eal_args(&c, true);
        assert_eq!(&args[..4], &["-l", "0", "--main-lcore", "0"]);
        assert!(args.contains(&"--file-prefix=t1".to_string()));
        assert!(args.contains(&"--in-memory".to_string()));
        assert!(args.contains(&"--no-pci".to_string()));
        assert!(!args.contains(&"--no-huge".to_string()));
    }
}
