//! OpenFlow over TLS: ovs-ofctl (OpenSSL) manages the switch through an
//! `ssl:` listener, with certificates in both directions; a client whose
//! certificate another CA signed is refused.
mod common;

use std::path::Path;
use std::process::Command;

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
    let port = 36653 + (std::process::id() % 1000) as u16;
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
