//! Where connections come from: passive listeners on each bridge's
//! `listen` addresses, the bridge's management socket
//! `<run_dir>/<bridge>.mgmt` (OpenFlow over a unix socket, mode 0600, as
//! OVS has; ferroctl and `ovs-ofctl unix:...` use it), and active
//! connections to its `controllers`, which reconnect with a backoff of 1 s
//! doubling to 8 s. A listener whose address cannot be bound (the port is
//! taken) is retried with the same backoff until it can.
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fsconfig::{OfAddr, OfScheme};
use tokio::net::{TcpListener, TcpStream, UnixListener};

use super::tls::Tls;
use super::{conn, Channel};

/// First reconnect delay, and its ceiling.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// The TLS setup for `ssl:` addresses, if the config has `[tls]` keys
/// that load; otherwise the reason, logged once per address.
fn tls_for(
    tls: &Option<Result<Tls, String>>,
    bridge: &str,
    what: &str,
    a: &OfAddr,
) -> Option<Option<Tls>> {
    if a.scheme != OfScheme::Ssl {
        return Some(None);
    }
    match tls {
        Some(Ok(t)) => Some(Some(t.clone())),
        Some(Err(e)) => {
            tracing::error!(
                "OpenFlow: {bridge}: {what} {a}: TLS keys unusable: {e}; skipping this address"
            );
            None
        }
        None => {
            tracing::error!(
                "OpenFlow: {bridge}: {what} {a}: no [tls] keys configured; skipping this address"
            );
            None
        }
    }
}

/// The OpenFlow management socket of `bridge` in `run_dir`.
pub fn mgmt_socket_path(run_dir: &Path, bridge: &str) -> PathBuf {
    run_dir.join(format!("{bridge}.mgmt"))
}

/// Binds `<run_dir>/<bridge>.mgmt` with mode 0600 (a stale socket from a
/// crashed daemon is replaced: the run-dir lock proves no live daemon owns
/// it) and serves OpenFlow connections on it.
fn start_mgmt(ch: &Arc<Channel>, b: usize, run_dir: &Path, name: &str) {
    let path = mgmt_socket_path(run_dir, name);
    let bound = (|| {
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
        let l = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok::<_, std::io::Error>(l)
    })();
    match bound {
        Ok(l) => {
            tracing::info!("OpenFlow: {name}: listening on unix:{}", path.display());
            tokio::spawn(unix_accept_loop(ch.clone(), b, l, path));
        }
        Err(e) => tracing::error!(
            "OpenFlow: {name}: cannot listen on unix:{}: {e}",
            path.display()
        ),
    }
}

async fn unix_accept_loop(ch: Arc<Channel>, b: usize, l: UnixListener, path: PathBuf) {
    loop {
        match l.accept().await {
            Ok((s, _)) => {
                let peer = format!("unix:{}", path.display());
                tokio::spawn(conn::run(ch.clone(), b, s, peer));
            }
            Err(e) => {
                tracing::warn!("OpenFlow: accept on unix:{}: {e}", path.display());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

pub fn start(ch: &Arc<Channel>, run_dir: Option<&Path>) {
    let tls = ch.view.tls_config().map(Tls::load);
    for b in 0..ch.n_bridges() {
        let Some(cfg) = ch.view.bridge_config(b) else {
            continue;
        };
        let name = cfg.name.clone();
        if let Some(dir) = run_dir {
            start_mgmt(ch, b, dir, &name);
        }
        for a in &cfg.listen {
            let Some(tls) = tls_for(&tls, &name, "listen", a) else {
                continue;
            };
            let ch = ch.clone();
            let addr = *a;
            let name = name.clone();
            // Bind now, so the port is open once the daemon says it is ready.
            match bind(addr) {
                Ok(l) => {
                    tracing::info!("OpenFlow: {name}: listening on {addr}");
                    tokio::spawn(accept_loop(ch, b, l, addr, tls));
                }
                Err(e) => {
                    tracing::error!(
                        "OpenFlow: {name}: cannot listen on {addr}: {e}; retrying every {}-{} s",
                        BACKOFF_MIN.as_secs(),
                        BACKOFF_MAX.as_secs()
                    );
                    tokio::spawn(async move {
                        let l = bind_retrying(addr).await;
                        tracing::info!("OpenFlow: {name}: listening on {addr} (after retries)");
                        accept_loop(ch, b, l, addr, tls).await
                    });
                }
            }
        }
        for a in &cfg.controllers {
            let Some(tls) = tls_for(&tls, &name, "controller", a) else {
                continue;
            };
            tokio::spawn(connect_loop(ch.clone(), b, *a, tls));
        }
    }
}

fn bind(addr: OfAddr) -> std::io::Result<TcpListener> {
    let l = std::net::TcpListener::bind(addr.addr)?;
    l.set_nonblocking(true)?;
    TcpListener::from_std(l)
}

/// Binds `addr` once it can be bound (another process held the port, or
/// the address was not yet configured), retrying with the controllers'
/// backoff.
async fn bind_retrying(addr: OfAddr) -> TcpListener {
    let mut backoff = BACKOFF_MIN;
    loop {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
        match bind(addr) {
            Ok(l) => return l,
            Err(e) => tracing::debug!("OpenFlow: listen on {addr}: {e}; retrying in {backoff:?}"),
        }
    }
}

async fn accept_loop(ch: Arc<Channel>, b: usize, l: TcpListener, addr: OfAddr, tls: Option<Tls>) {
    loop {
        match l.accept().await {
            Ok((s, peer)) => {
                let _ = s.set_nodelay(true);
                let ch = ch.clone();
                match &tls {
                    None => {
                        tokio::spawn(conn::run(ch, b, s, format!("tcp:{peer}")));
                    }
                    Some(t) => {
                        let acceptor = t.acceptor.clone();
                        tokio::spawn(async move {
                            match acceptor.accept(s).await {
                                Ok(s) => conn::run(ch, b, s, format!("ssl:{peer}")).await,
                                Err(e) => tracing::warn!(
                                    "OpenFlow: TLS handshake with ssl:{peer} failed: {e}"
                                ),
                            }
                        });
                    }
                }
            }
            Err(e) => {
                // Out of file descriptors and the like: wait and go on.
                tracing::warn!("OpenFlow: accept on {addr}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connect_loop(ch: Arc<Channel>, b: usize, addr: OfAddr, tls: Option<Tls>) {
    let name = ch.view.bridges()[b].name.clone();
    let mut backoff = BACKOFF_MIN;
    loop {
        match TcpStream::connect(addr.addr).await {
            Ok(s) => {
                backoff = BACKOFF_MIN;
                let _ = s.set_nodelay(true);
                match &tls {
                    None => conn::run(ch.clone(), b, s, addr.to_string()).await,
                    Some(t) => {
                        let server =
                            rustls::pki_types::ServerName::IpAddress(addr.addr.ip().into());
                        match t.connector.connect(server, s).await {
                            Ok(s) => conn::run(ch.clone(), b, s, addr.to_string()).await,
                            Err(e) => tracing::warn!(
                                "OpenFlow: {name}: TLS handshake with {addr} failed: {e}"
                            ),
                        }
                    }
                }
            }
            Err(e) => {
                tracing::debug!(
                    "OpenFlow: {name}: controller {addr}: {e}; retrying in {backoff:?}"
                );
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}
