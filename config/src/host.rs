//! Facts about the machine that validation needs.

/// The machine the config is checked against. Tests build one by hand to
/// pretend a machine has N cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostEnv {
    /// Cores are numbered `0..n_cores`.
    pub n_cores: usize,
}

impl HostEnv {
    /// The machine this process runs on. Core *numbers* matter, not the count,
    /// so this is the highest online core id + 1: from the kernel's online
    /// CPUs, else `available_parallelism`. Not this process's current
    /// affinity: the daemon is often started under `taskset -c 0` and pins
    /// its PMD threads to other cores itself.
    pub fn detect() -> Self {
        let from_file = |path: &str, field: Option<&str>| -> Option<usize> {
            let text = std::fs::read_to_string(path).ok()?;
            let list = match field {
                Some(name) => text
                    .lines()
                    .find_map(|l| l.strip_prefix(name))?
                    .trim_start_matches(':')
                    .trim(),
                None => text.trim(),
            };
            max_cpu(list).map(|m| m + 1)
        };
        let n_cores = from_file("/sys/devices/system/cpu/online", None)
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1);
        HostEnv { n_cores }
    }
}

/// Highest CPU in a kernel CPU list such as `0-3,8,10-11`.
fn max_cpu(list: &str) -> Option<usize> {
    list.split(',')
        .map(|part| {
            let last = part.rsplit('-').next().unwrap_or(part);
            last.trim().parse::<usize>().ok()
        })
        .try_fold(None::<usize>, |max, n| Some(max.max(Some(n?))))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(max_cpu("0-1"), Some(1));
        assert_eq!(max_cpu("0"), Some(0));
        assert_eq!(max_cpu("0-3,8,10-11"), Some(11));
        assert_eq!(max_cpu(""), None);
        assert_eq!(max_cpu("x"), None);
    }

    #[test]
    fn detect_finds_at_least_one_core() {
        assert!(HostEnv::detect().n_cores >= 1);
    }
}
