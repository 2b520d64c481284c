//! `ferroctl reload` (and SIGHUP): re-reads the configuration file and
//! applies its port changes while the switch runs. Anything else that
//! changed needs a restart, and the reload is refused with what changed.
use std::path::PathBuf;

use fsconfig::{Config, Output, PortConfig};

use super::{open_switch_port, SwitchPort, SwitchView};
use crate::daemon::{apply, Overrides};

/// Where the configuration came from, to read it again.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub overrides: Overrides,
}

/// What differs between two configurations apart from their ports.
fn other_changes(old: &Config, new: &Config) -> Vec<String> {
    let mut what = Vec::new();
    if old.switch != new.switch {
        what.push("[switch]".to_string());
    }
    if old.mempool != new.mempool {
        what.push("[mempool]".to_string());
    }
    if old.tls != new.tls {
        what.push("[tls]".to_string());
    }
    let names = |c: &Config| c.bridges.iter().map(|b| b.name.clone()).collect::<Vec<_>>();
    if names(old) != names(new) {
        what.push("the list of bridges".to_string());
        return what;
    }
    for (o, n) in old.bridges.iter().zip(&new.bridges) {
        let (mut o, mut n) = (o.clone(), n.clone());
        o.ports.clear();
        n.ports.clear();
        if o != n {
            what.push(format!(
                "bridge {:?} (datapath_id, listen, controllers, fail_mode, flows, groups or meters)",
                o.name
            ));
        }
    }
    what
}

impl SwitchView {
    /// Remembers the file to re-read on `reload`.
    pub fn set_config_source(&self, source: ConfigSource) {
        *self.config_source.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// Applies the configuration file's port changes: ports that are gone
    /// or changed are deleted, new and changed ones are added (with their
    /// `output` flows), and the rest keep running.
    pub fn reload_config(&self) -> Result<String, String> {
        let source = self
            .config_source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or("the switch was started without a configuration file to re-read")?;
        let mut new = fsconfig::load(&source.path).map_err(|e| e.to_string())?;
        apply(&mut new, &source.overrides);
        let other = other_changes(&self.cfg, &new);
        if !other.is_empty() {
            return Err(format!(
                "{}: {} changed, which needs a restart; only ports can change while the switch runs \
                 (nothing was applied)",
                source.path.display(),
                other.join(", ")
            ));
        }
        let current = self.ports.load_full();
        let wanted: Vec<(String, PortConfig)> = new
            .bridges
            .iter()
            .flat_map(|b| b.ports.iter().map(move |p| (b.name.clone(), p.clone())))
            .collect();
        let unchanged =
            |p: &SwitchPort| wanted.iter().any(|(b, pc)| *b == p.bridge && *pc == p.cfg);
        let keep: Vec<SwitchPort> = current.iter().filter(|p| unchanged(p)).cloned().collect();
        let deleted: Vec<String> = current
            .iter()
            .filter(|p| !unchanged(p))
            .map(|p| p.cfg.name.clone())
            .collect();
        let added: Vec<(String, PortConfig)> = wanted
            .iter()
            .filter(|(b, pc)| !keep.iter().any(|p| p.bridge == *b && p.cfg == *pc))
            .cloned()
            .collect();
        if deleted.is_empty() && added.is_empty() {
            return Ok("no port changes".to_string());
        }
        // Changed ports are closed before they open again (same device or
        // socket), so deletions go first.
        if !deleted.is_empty() {
            self.reload(keep.clone()).map_err(|e| e.to_string())?;
        }
        drop(current);
        let eal = self
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .eal
            .clone();
        let mut ports = keep;
        let mut failed = Vec::new();
        let mut opened = Vec::new();
        for (bridge, pc) in added {
            let name = pc.name.clone();
            match open_switch_port(
                &eal,
                &self.pool,
                bridge,
                pc,
                self.cfg.switch.pmd_cores.len(),
            ) {
                Ok(sp) => {
                    opened.push(sp.clone());
                    ports.push(sp);
                }
                Err(e) => failed.push(format!("{name}: {e}")),
            }
        }
        if !opened.is_empty() {
            self.reload(ports).map_err(|e| e.to_string())?;
        }
        for sp in &opened {
            self.output_flow(sp, &new)?;
        }
        self.sync_pmds();
        let names = |v: Vec<String>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let message = format!(
            "ports deleted: {}; ports added: {}",
            names(deleted),
            names(opened.iter().map(|p| p.cfg.name.clone()).collect())
        );
        if failed.is_empty() {
            Ok(message)
        } else {
            Err(format!("{message}; could not add: {}", failed.join("; ")))
        }
    }

    /// The `output` shorthand of a port added by a reload, as its flow.
    fn output_flow(&self, sp: &SwitchPort, cfg: &Config) -> Result<(), String> {
        let (Some(bc), Some(bridge)) = (
            cfg.bridge(&sp.bridge),
            self.bridges.iter().find(|b| b.name == sp.bridge),
        ) else {
            return Ok(());
        };
        let out = match &sp.cfg.output {
            Output::Drop => return Ok(()),
            Output::InPort => "IN_PORT".to_string(),
            Output::Port(name) => match bc.port(name) {
                Some(p) => p.ofport.to_string(),
                None => return Ok(()),
            },
        };
        bridge
            .add_flows(&[format!(
                "table=0,priority=0,in_port={},actions=output:{out}",
                sp.cfg.ofport
            )])
            .map(|_| ())
            .map_err(|e| format!("port {}: output flow: {e}", sp.cfg.name))
    }
}

#[cfg(test)]
mod tests {
    use super::other_changes;

    fn cfg(extra_bridge: &str, port: &str) -> fsconfig::Config {
        fsconfig::parse_with(
            &format!(
                "[[bridge]]\nname = \"br0\"\n{extra_bridge}\n[[bridge.port]]\nname = \"p1\"\ndevargs = \"{port}\"\n"
            ),
            "t.toml",
            &fsconfig::HostEnv { n_cores: 2 },
        )
        .unwrap()
    }

    #[test]
    fn only_ports_may_change() {
        let a = cfg("", "net_null0");
        assert!(other_changes(&a, &cfg("", "net_null1")).is_empty());
        let m = other_changes(&a, &cfg("fail_mode = \"standalone\"", "net_null0"));
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("bridge \"br0\""), "{m:?}");
        let mut b = a.clone();
        b.mempool.mbufs = 2047;
        assert_eq!(other_changes(&a, &b), ["[mempool]"]);
        b.bridges[0].name = "br1".into();
        assert!(other_changes(&a, &b).contains(&"the list of bridges".to_string()));
    }
}
