//! Network namespaces as test hosts: a tap port of the switch moved into a
//! namespace is a real kernel endpoint there.
use std::process::Command;
use std::time::{Duration, Instant};

use super::sh;

/// A network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(name: &str) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        sh("ip", &["netns", "add", name]);
        sh("ip", &["-n", name, "link", "set", "lo", "up"]);
        Netns { name: name.into() }
    }

    /// Moves the host interface `iface` (waits for it to appear) into this
    /// namespace, gives it `cidr` and brings it up.
    pub fn adopt(&self, iface: &str, cidr: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::path::Path::new(&format!("/sys/class/net/{iface}")).exists() {
            assert!(
                Instant::now() < deadline,
                "interface {iface} never appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sh("ip", &["link", "set", iface, "netns", &self.name]);
        sh("ip", &["-n", &self.name, "addr", "add", cidr, "dev", iface]);
        sh("ip", &["-n", &self.name, "link", "set", iface, "up"]);
    }

    /// Runs a command inside the namespace; returns (success, output).
    pub fn exec(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("ip netns exec");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Runs a command inside the namespace; panics with the command and
    /// its output if it fails, else returns the output.
    pub fn run(&self, args: &[&str]) -> String {
        let (ok, out) = self.exec(args);
        assert!(ok, "{args:?} in netns {} failed: {out}", self.name);
        out
    }

    /// Pings `ip` `count` times; returns how many replies came back.
    pub fn ping(&self, ip: &str, count: u32) -> u32 {
        let (_, out) = self.exec(&["ping", "-c", &count.to_string(), "-i", "0.2", "-W", "2", ip]);
        out.lines()
            .find(|l| l.contains("received"))
            .and_then(|l| l.split(',').nth(1))
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Waits (up to 10 s) for `ip` to answer a ping, then expects `count`
    /// of `count`: for forwarding that was just restored, where ARP and a
    /// link coming back up may cost the first ping.
    pub fn pings_again(&self, ip: &str, count: u32, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.ping(ip, 1) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: no reply from {ip} within 10 s"
            );
        }
        assert_eq!(self.ping(ip, count), count, "{what}");
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
