//! A DPDK guest on a vhost-user port: `dpdk-testpmd` with one
//! `net_virtio_user` port (how DPDK itself tests vhost), in its own DPDK
//! process on core 0 (two lcores mapped onto CPU 0).
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::unique;

pub struct Guest {
    child: Child,
}

impl Guest {
    /// A guest with one queue pair in txonly mode; `server`: it serves the
    /// socket (the switch's port is `dpdkvhostuserclient`).
    pub fn start(sock: &Path, server: bool) -> Guest {
        Guest::start_with(sock, server, 1, "txonly")
    }

    /// A guest with `queues` queue pairs (the first one enabled, as a
    /// virtio_user port without a control queue does) in testpmd's
    /// `forward_mode` (`io` returns every packet on the port it came in).
    pub fn start_with(sock: &Path, server: bool, queues: u16, forward_mode: &str) -> Guest {
        let vdev = format!(
            "net_virtio_user0,path={},queues={queues}{}",
            sock.display(),
            if server { ",server=1" } else { "" }
        );
        let child = Command::new("dpdk-testpmd")
            .args([
                "--lcores=0@0,1@0",
                &format!("--file-prefix={}", unique("fsg")),
                "--in-memory",
                "--single-file-segments",
                "-m",
                "128",
                "--no-pci",
                "--log-level=lib.*:error",
                &format!("--vdev={vdev}"),
                "--",
                &format!("--forward-mode={forward_mode}"),
                "--txd=256",
                "--rxd=256",
                "--total-num-mbufs=2048",
                "--auto-start",
                "--stats-period=1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dpdk-testpmd (apt-get install -y dpdk)");
        Guest { child }
    }

    /// Stops the guest: SIGINT (testpmd closes the port) or SIGKILL (the
    /// socket just goes away, as when a VM crashes).
    pub fn stop(mut self, abrupt: bool) {
        let sig = if abrupt {
            Signal::SIGKILL
        } else {
            Signal::SIGINT
        };
        let _ = kill(Pid::from_raw(self.child.id() as i32), sig);
        // testpmd waits for the switch's replies while it closes, so a
        // hang here can be the switch's fault: fail, do not hide it.
        if super::wait_timeout(&mut self.child, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("testpmd did not stop within 10 s of {sig}");
        }
    }

    pub fn exited(&mut self) -> Option<String> {
        let st = self.child.try_wait().ok()??;
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        Some(format!("testpmd exited ({st}): {err}"))
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
