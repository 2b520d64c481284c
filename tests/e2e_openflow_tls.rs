//! OpenFlow over TLS: ovs-ofctl (OpenSSL) manages the switch through an
//! `ssl:` listener, with certificates in both directions; a client whose
//! certificate another CA signed is refused. Actively, the switch connects
//! to os-ken listening with TLS, and pings go through the controller.
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::netns::Netns;
use common::{sh, unique, Switch};

/// A CA, and certificates for `names` signed by it, in `dir`.
fn pki(dir: &Path, ca: &str, names: &[&str]) {
    let d = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    let (key, crt, subj) = (
        d(&format!("{ca}.key")),
        d(&format!("{ca}.crt")),
        format!("/CN={ca}"),
    );
    args.extend(["-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subj]);
    args.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    sh("openssl", &args);
    let ext = d("ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n",
    )
    .unwrap();
    for n in names {
        let (k, csr, c, s) = (
            d(&format!("{n}.key")),
            d(&format!("{n}.csr")),
            d(&format!("{n}.crt")),
            format!("/CN={n}"),
        );
        let mut a = vec!["req"];
        a.extend(ec);
        a.extend(["-keyout", &k, "-out", &csr, "-subj", &s]);
        sh("openssl", &a);
        sh(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &crt,
                "-CAkey",
                &key,
                "-CAcreateserial",
                "-out",
                &c,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
}

fn ofctl_ssl(dir: &Path, client: &str, ca: &str, port: u16, cmd: &str) -> (bool, String) {
    let d = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let out = Command::new("timeout")
        .args(["20", "ovs-ofctl", "-O", "OpenFlow13"])
        .arg(format!("--private-key={}", d(&format!("{client}.key"))))
        .arg(format!("--certificate={}", d(&format!("{client}.crt"))))
        .arg(format!("--ca-cert={}", d(&format!("{ca}.crt"))))
        .arg(cmd)
        .arg(format!("ssl:127.0.0.1:{port}"))
        .output()
        .expect("ovs-ofctl (apt-get install openvswitch-common)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn ovs_ofctl_over_tls_with_mutual_certificates() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path(), "ca", &["switch", "client"]);
    pki(dir.path(), "otherca", &["stranger"]);
    let port = common::free_port();
    let d = |f: &str| dir.path().join(f).display().to_string();
    let _sw = Switch::start(&format!(
        r#"
[tls]
private_key = "{}"
certificate = "{}"
ca_certificate = "{}"
[[bridge]]
name = "br0"
datapath_id = "00000000000000c1"
listen = ["ssl:127.0.0.1:{port}"]
[[bridge.port]]
name = "p1"
ofport = 1
devargs = "{},no-rx=1"
"#,
        d("switch.key"),
        d("switch.crt"),
        d("ca.crt"),
        unique("net_null")
    ));
    let (ok, out) = ofctl_ssl(dir.path(), "client", "ca", port, "show");
    assert!(ok, "{out}");
    assert!(out.contains("dpid:00000000000000c1"), "{out}");
    assert!(out.contains("1(p1)"), "{out}");
    let (ok, out) = ofctl_ssl(dir.path(), "client", "ca", port, "dump-flows");
    assert!(ok, "{out}");

    // A client certificate from another CA: no OpenFlow session.
    let (ok, out) = ofctl_ssl(dir.path(), "stranger", "ca", port, "show");
    assert!(!ok, "a stranger must be refused: {out}");
}

/// os-ken running tests/controllers/osken_l2.py with a TLS listener.
struct OsKen(Child);

impl Drop for OsKen {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn switch_connects_to_osken_over_tls() {
    let ok = Command::new("python3")
        .args(["-c", "import os_ken"])
        .status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "os-ken is missing: pip install os-ken (scripts/setup.sh installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path(), "ca", &["switch", "controller"]);
    let d = |f: &str| dir.path().join(f).display().to_string();
    let port = common::free_port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/controllers/osken_l2.py");
    let log = std::fs::File::create(dir.path().join("osken.log")).unwrap();
    let _ctl = OsKen(
        Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .args([d("controller.key"), d("controller.crt"), d("ca.crt")])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("python3 with os-ken"),
    );
    let (ta, tb) = (unique("fta"), unique("ftb"));
    let sw = Switch::start(&format!(
        r#"
[tls]
private_key = "{}"
certificate = "{}"
ca_certificate = "{}"
[[bridge]]
name = "br0"
listen = []
controllers = ["ssl:127.0.0.1:{port}"]
[[bridge.port]]
name = "a"
ofport = 1
devargs = "net_tap_{ta},iface={ta}"
[[bridge.port]]
name = "b"
ofport = 2
devargs = "net_tap_{tb},iface={tb}"
"#,
        d("switch.key"),
        d("switch.crt"),
        d("ca.crt"),
    ));
    // os-ken installs its table-miss entry once the TLS session is up.
    let deadline = Instant::now() + Duration::from_secs(40);
    while sw.ctl(&["dump-flows", "br0"])["flows"]
        .as_array()
        .map_or(0, Vec::len)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "os-ken never programmed the switch over TLS; os-ken said:\n{}",
            std::fs::read_to_string(dir.path().join("osken.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (na, nb) = (Netns::new(&unique("nta")), Netns::new(&unique("ntb")));
    na.adopt(&ta, "10.83.0.1/24");
    nb.adopt(&tb, "10.83.0.2/24");
    assert!(
        na.ping("10.83.0.2", 5) >= 4,
        "ping through os-ken over TLS; os-ken said:\n{}",
        std::fs::read_to_string(dir.path().join("osken.log")).unwrap_or_default()
    );
    let log = std::fs::read_to_string(dir.path().join("osken.log")).unwrap_or_default();
    assert!(log.contains("osken_l2: packet-in"), "{log}");
}
