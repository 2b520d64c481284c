//! A real VM as a test host: QEMU boots the small guest that
//! `scripts/vm-image.sh` builds (Debian's kernel, busybox, virtio-net
//! modules) with its NIC on a vhost-user socket of the switch. The serial
//! console is the test's window into the guest: it prints markers
//! (`FS-GUEST-READY`, `FS-GUEST-PING-OK`, ...) and runs one shell command
//! per line written to it.
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The guest's memory in MiB; shared with the switch (vhost-user).
const GUEST_MEM_MB: u32 = 256;

/// QEMU's accelerator arguments. `-cpu host` trips a QEMU assertion in
/// nested KVM (it cannot set MSR 0x10a); kvm64 is the portable model.
const KVM: &[&str] = &["-accel", "kvm", "-cpu", "kvm64"];
const TCG: &[&str] = &["-accel", "tcg"];

/// Where the guest image is: `FS_VM_IMAGE` or `target/vm-image`.
fn image_dir() -> PathBuf {
    std::env::var_os("FS_VM_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/vm-image"))
}

/// The guest's kernel and initramfs. Runs `scripts/vm-image.sh` (cached:
/// quick when the image exists) once per test process; if it cannot build
/// the image (no package list, no network), the test fails and says so.
pub fn image() -> (PathBuf, PathBuf) {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let dir = image_dir();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/vm-image.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .output()
            .map_err(|e| format!("run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(dir)
        } else {
            Err(format!(
                "the guest image could not be built: run `scripts/vm-image.sh {}` \
                 (it needs Debian's package registry); it said:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    match dir {
        Ok(d) => (d.join("vmlinuz"), d.join("initramfs.gz")),
        Err(e) => panic!("{e}"),
    }
}

/// QEMU's accelerator arguments: `FS_VM_ACCEL=kvm|tcg`, or found out once
/// per test process by booting the guest with KVM. KVM can be present
/// and still not run a guest (a nested set-up whose CPU model KVM cannot
/// provide: the guest hangs before its first line), so the probe waits for
/// the guest's /init to print, and otherwise falls back to TCG.
pub fn accel() -> &'static [&'static str] {
    static ACCEL: OnceLock<&'static [&'static str]> = OnceLock::new();
    ACCEL.get_or_init(|| match std::env::var("FS_VM_ACCEL").as_deref() {
        Ok("kvm") => KVM,
        Ok("tcg") => TCG,
        _ if !Path::new("/dev/kvm").exists() => TCG,
        _ => {
            let (kernel, initrd) = image();
            let mut probe = Command::new("qemu-system-x86_64");
            probe.args(KVM).args(base_args(&kernel, &initrd, 1, ""));
            let ok = Vm::spawn(probe, "kvm probe")
                .map(|mut vm| vm.wait_for_line("FS-GUEST-BOOTED", Duration::from_secs(10)))
                .is_ok_and(|r| r.is_ok());
            if ok {
                KVM
            } else {
                eprintln!("vm: KVM does not boot the guest here; using TCG");
                TCG
            }
        }
    })
}

/// Arguments every guest gets: `cpus` vCPUs, no default devices, the
/// serial console on stdio, the kernel and initramfs, and the kernel
/// command line `extra`.
fn base_args(kernel: &Path, initrd: &Path, cpus: u32, extra: &str) -> Vec<String> {
    vec![
        "-m".into(),
        GUEST_MEM_MB.to_string(),
        "-smp".into(),
        cpus.to_string(),
        "-nodefaults".into(),
        "-no-user-config".into(),
        "-display".into(),
        "none".into(),
        "-serial".into(),
        "stdio".into(),
        "-kernel".into(),
        kernel.display().to_string(),
        "-initrd".into(),
        initrd.display().to_string(),
        "-append".into(),
        format!("console=ttyS0 quiet panic=-1 {extra}"),
    ]
}

/// Who serves the vhost-user socket.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SocketServer {
    /// A `dpdkvhostuser` port: QEMU connects, and again every second
    /// after the switch went away (`reconnect=1`).
    Switch,
    /// A `dpdkvhostuserclient` port: QEMU serves (`server=on,wait=off`).
    Qemu,
}

/// The QEMU arguments that attach a virtio-net NIC with `mac` to the
/// vhost-user socket `sock`. Guest memory is a shared memfd: vhost-user
/// needs the switch to map it, and memfd leaves the hugepages to DPDK.
///
/// Without `msix` the NIC has no MSI-X vectors (`vectors=0`) and
/// interrupts the guest through its legacy INTx line. QEMU 7.2 needs that
/// under TCG: with MSI-X, starting the vhost-user backend there crashes
/// QEMU (SIGSEGV in `msix_set_vector_notifiers`, called by
/// `vhost_net_start`, as the guest driver sets DRIVER_OK).
///
/// With `queue_pairs` > 1 the NIC is multi-queue (`queues=N` on the
/// netdev, `mq=on` on the device; with MSI-X one vector per virtqueue plus
/// config and control: 2N + 2). Multi-queue works with `vectors=0` too:
/// every queue then shares the INTx line.
pub fn vhost_user_nic_args(
    sock: &Path,
    server: SocketServer,
    mac: &str,
    msix: bool,
    queue_pairs: u32,
) -> Vec<String> {
    let chardev_mode = match server {
        SocketServer::Switch => "reconnect=1",
        SocketServer::Qemu => "server=on,wait=off",
    };
    let (queues, mq) = if queue_pairs > 1 {
        (format!(",queues={queue_pairs}"), ",mq=on")
    } else {
        (String::new(), "")
    };
    let vectors = match (msix, queue_pairs > 1) {
        (false, _) => ",vectors=0".to_string(),
        (true, true) => format!(",vectors={}", 2 * queue_pairs + 2),
        (true, false) => String::new(),
    };
    vec![
        "-object".into(),
        format!("memory-backend-memfd,id=mem0,size={GUEST_MEM_MB}M,share=on"),
        "-numa".into(),
        "node,memdev=mem0".into(),
        "-chardev".into(),
        format!("socket,id=char0,path={},{chardev_mode}", sock.display()),
        "-netdev".into(),
        format!("vhost-user,id=net0,chardev=char0,vhostforce=on{queues}"),
        "-device".into(),
        format!("virtio-net-pci,netdev=net0,mac={mac}{mq}{vectors}"),
    ]
}

/// The guest's vCPUs and its NIC's queue pairs. Linux's virtio-net driver
/// enables min(queue pairs, online CPUs) of them.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub cpus: u32,
    pub queue_pairs: u32,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            cpus: 1,
            queue_pairs: 1,
        }
    }
}

/// A booted guest (QEMU process), killed on drop.
pub struct Vm {
    what: String,
    child: Child,
    console: ChildStdin,
    lines: mpsc::Receiver<String>,
    /// The whole console output so far, for failure messages.
    log: Arc<Mutex<String>>,
}

impl Vm {
    /// Boots the guest with address `cidr` (e.g. `10.0.0.2/24`), a NIC
    /// with `mac` on the vhost-user socket `sock`, and `peer` as the
    /// address it pings once it is up.
    pub fn boot(sock: &Path, server: SocketServer, mac: &str, cidr: &str, peer: &str) -> Vm {
        Vm::boot_with(sock, server, mac, cidr, peer, Shape::default())
    }

    /// Like [`Vm::boot`], with `shape`'s vCPUs and NIC queue pairs.
    pub fn boot_with(
        sock: &Path,
        server: SocketServer,
        mac: &str,
        cidr: &str,
        peer: &str,
        shape: Shape,
    ) -> Vm {
        let (kernel, initrd) = image();
        let accel = accel();
        let mut qemu = Command::new("qemu-system-x86_64");
        qemu.args(accel)
            .args(base_args(
                &kernel,
                &initrd,
                shape.cpus,
                &format!("fs.ip={cidr} fs.peer={peer}"),
            ))
            .args(vhost_user_nic_args(
                sock,
                server,
                mac,
                accel == KVM,
                shape.queue_pairs,
            ));
        Vm::spawn(qemu, &format!("guest {mac} on {}", sock.display()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn spawn(mut qemu: Command, what: &str) -> Result<Vm, String> {
        let mut child = qemu
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("run qemu-system-x86_64 ({e}): apt-get install -y qemu-system-x86")
            })?;
        let (tx, lines) = mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        // QEMU's own errors (stderr) and the console (stdout) go to one log.
        let outputs: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for out in outputs {
            let (tx, log) = (tx.clone(), Arc::clone(&log));
            std::thread::spawn(move || {
                // Not `lines()`: the console may carry bytes that are not
                // UTF-8, and the reading must go on past them.
                let mut out = BufReader::new(out);
                let mut raw = Vec::new();
                loop {
                    raw.clear();
                    match out.read_until(b'\n', &mut raw) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let line = String::from_utf8_lossy(&raw)
                        .trim_end_matches(['\r', '\n'])
                        .to_string();
                    if let Ok(mut l) = log.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        let console = child.stdin.take().expect("piped stdin");
        Ok(Vm {
            what: what.to_string(),
            child,
            console,
            lines,
            log,
        })
    }

    /// The console output so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Reads console lines until one contains `marker`; returns it. Lines
    /// read are consumed, so a second call finds the next occurrence.
    fn wait_for_line(&mut self, marker: &str, limit: Duration) -> Result<String, String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(marker) => return Ok(line),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("{}: no {marker:?} within {limit:?}", self.what))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let st = self.child.try_wait().ok().flatten();
                    return Err(format!(
                        "{}: QEMU exited ({st:?}) before {marker:?}",
                        self.what
                    ));
                }
            }
        }
    }

    /// Like `wait_for_line`, but a miss fails the test with the console log.
    pub fn wait_for(&mut self, marker: &str, limit: Duration) -> String {
        self.wait_for_line(marker, limit)
            .unwrap_or_else(|e| panic!("{e}; console:\n{}", self.log()))
    }

    /// Waits for the guest's `FS-GUEST-READY` line; returns its eth0 MAC.
    pub fn wait_ready(&mut self, limit: Duration) -> String {
        let line = self.wait_for("FS-GUEST-READY", limit);
        line.split_whitespace()
            .find_map(|w| w.strip_prefix("mac="))
            .unwrap_or_else(|| panic!("no mac= in {line:?}"))
            .to_string()
    }

    /// Writes `cmd` to the console (not waiting for it).
    pub fn send(&mut self, cmd: &str) {
        writeln!(self.console, "{cmd}")
            .and_then(|_| self.console.flush())
            .unwrap_or_else(|e| panic!("{}: write to the console: {e}", self.what));
    }

    /// Runs a shell command in the guest; returns its exit status.
    pub fn run(&mut self, cmd: &str, limit: Duration) -> i32 {
        self.send(cmd);
        let line = self.wait_for("FS-GUEST-DONE rc=", limit);
        line.rsplit("rc=")
            .next()
            .and_then(|rc| rc.trim().parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"))
    }

    /// Stops QEMU at once (as if the host killed the VM).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        self.kill();
    }
}
