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
use std::time::{Duration, Instant};

use fsconfig::{OfAddr, OfScheme};
use tokio::net::{TcpListener, TcpStream, UnixListener};

use super::status::EndpointKind;
use super::status::EndpointState::{
    BindRetrying, Connected, Connecting, Disabled, Down, Listening,
};
use super::tls::Tls;
use super::{conn, Channel};

/// First reconnect delay, and its ceiling.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// The TLS setup for `ssl:` addresses (None for `tcp:`), or why there is
/// none: the config has no `[tls]` keys, or they do not load.
fn tls_for(tls: &Option<Result<Tls, String>>, a: &OfAddr) -> Result<Option<Tls>, String> {
    if a.scheme != OfScheme::Ssl {
        return Ok(None);
    }
    match tls {
        Some(Ok(t)) => Ok(Some(t.clone())),
        Some(Err(e)) => Err(format!("TLS keys unusable: {e}")),
        None => Err("no [tls] keys configured".into()),
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
            let tls = match tls_for(&tls, a) {
                Ok(t) => t,
                Err(why) => {
                    tracing::error!("OpenFlow: {name}: listen {a}: {why}; skipping this address");
                    ch.add_endpoint(b, EndpointKind::Listen, a.to_string(), Disabled(why));
                    continue;
                }
            };
            let ch = ch.clone();
            let addr = *a;
            let name = name.clone();
            // Bind now, so the port is open once the daemon says it is ready.
            match bind(addr) {
                Ok(l) => {
                    tracing::info!("OpenFlow: {name}: listening on {addr}");
                    ch.add_endpoint(b, EndpointKind::Listen, addr.to_string(), Listening);
                    tokio::spawn(accept_loop(ch, b, l, addr, tls));
                }
                Err(e) => {
                    tracing::error!(
                        "OpenFlow: {name}: cannot listen on {addr}: {e}; retrying every {}-{} s",
                        BACKOFF_MIN.as_secs(),
                        BACKOFF_MAX.as_secs()
                    );
                    let state = BindRetrying(e.to_string());
                    let i = ch.add_endpoint(b, EndpointKind::Listen, addr.to_string(), state);
                    tokio::spawn(async move {
                        let l = bind_retrying(addr, |e| {
                            ch.set_endpoint(b, i, BindRetrying(e.to_string()))
                        })
                        .await;
                        tracing::info!("OpenFlow: {name}: listening on {addr} (after retries)");
                        ch.set_endpoint(b, i, Listening);
                        accept_loop(ch, b, l, addr, tls).await
                    });
                }
            }
        }
        for a in &cfg.controllers {
            match tls_for(&tls, a) {
                Ok(tls) => {
                    let i = ch.add_endpoint(b, EndpointKind::Controller, a.to_string(), Connecting);
                    tokio::spawn(connect_loop(ch.clone(), b, i, *a, tls));
                }
                Err(why) => {
                    tracing::error!(
                        "OpenFlow: {name}: controller {a}: {why}; skipping this address"
                    );
                    ch.add_endpoint(b, EndpointKind::Controller, a.to_string(), Disabled(why));
                }
            }
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
/// backoff; `failed` hears each attempt's error.
async fn bind_retrying(addr: OfAddr, failed: impl Fn(&std::io::Error)) -> TcpListener {
    let mut backoff = BACKOFF_MIN;
    loop {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
        match bind(addr) {
            Ok(l) => return l,
            Err(e) => {
                tracing::debug!("OpenFlow: listen on {addr}: {e}; retrying in {backoff:?}");
                failed(&e);
            }
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
                                Ok(s) => {
                                    conn::run(ch, b, s, format!("ssl:{peer}")).await;
                                }
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

/// Connects to controller `addr` (endpoint `i` of bridge `b`), and again
/// after every failure or disconnection, with the backoff: it doubles
/// after each attempt and starts over once a connection has lasted as
/// long as the current delay (as OVS's rconn does), so a controller that
/// accepts and drops at once is not hammered.
async fn connect_loop(ch: Arc<Channel>, b: usize, i: usize, addr: OfAddr, tls: Option<Tls>) {
    let name = ch.view.bridges()[b].name.clone();
    let mut backoff = BACKOFF_MIN;
    loop {
        let mut up_since = None;
        let why = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr.addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                match &tls {
                    None => {
                        ch.set_endpoint(b, i, Connected);
                        up_since = Some(Instant::now());
                        conn::run(ch.clone(), b, s, addr.to_string()).await
                    }
                    Some(t) => {
                        let server =
                            rustls::pki_types::ServerName::IpAddress(addr.addr.ip().into());
                        match tokio::time::timeout(CONNECT_TIMEOUT, t.connector.connect(server, s))
                            .await
                        {
                            Ok(Ok(s)) => {
                                ch.set_endpoint(b, i, Connected);
                                up_since = Some(Instant::now());
                                conn::run(ch.clone(), b, s, addr.to_string()).await
                            }
                            Ok(Err(e)) => {
                                tracing::warn!(
                                    "OpenFlow: {name}: TLS handshake with {addr} failed: {e}"
                                );
                                format!("TLS handshake failed: {e}")
                            }
                            Err(_) => timed_out("TLS handshake"),
                        }
                    }
                }
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => timed_out("connect"),
        };
        if up_since.is_some_and(|t| t.elapsed() >= backoff) {
            backoff = BACKOFF_MIN;
        }
        tracing::debug!("OpenFlow: {name}: controller {addr}: {why}; retrying in {backoff:?}");
        ch.set_endpoint(b, i, Down(why));
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// A controller's connect or TLS handshake gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn timed_out(what: &str) -> String {
    format!("{what} timed out after {} s", CONNECT_TIMEOUT.as_secs())
}
