//! Where connections come from: passive listeners on each bridge's
//! `listen` addresses and active connections to its `controllers`, which
//! reconnect with a backoff of 1 s doubling to 8 s.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fsconfig::{OfAddr, OfScheme};
use tokio::net::{TcpListener, TcpStream};

use super::{conn, Channel};

/// First reconnect delay, and its ceiling.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(8);

fn tls_unsupported(bridge: &str, what: &str, a: &OfAddr) -> bool {
    if a.scheme == OfScheme::Ssl {
        tracing::error!(
            "OpenFlow: {bridge}: {what} {a}: TLS not supported yet; skipping this address (use tcp:)"
        );
        return true;
    }
    false
}

/// Spawns the listeners and controller connections of every bridge.
pub fn start(ch: &Arc<Channel>) {
    for b in 0..ch.n_bridges() {
        let Some(cfg) = ch.view.bridge_config(b) else {
            continue;
        };
        let name = cfg.name.clone();
        for a in &cfg.listen {
            if tls_unsupported(&name, "listen", a) {
                continue;
            }
            let ch = ch.clone();
            let addr = a.addr;
            let name = name.clone();
            // Bind now, so the port is open once the daemon says it is ready.
            match std::net::TcpListener::bind(addr).and_then(|l| {
                l.set_nonblocking(true)?;
                TcpListener::from_std(l)
            }) {
                Ok(l) => {
                    tracing::info!("OpenFlow: {name}: listening on tcp:{addr}");
                    tokio::spawn(accept_loop(ch, b, l, addr));
                }
                Err(e) => tracing::error!("OpenFlow: {name}: cannot listen on tcp:{addr}: {e}"),
            }
        }
        for a in &cfg.controllers {
            if tls_unsupported(&name, "controller", a) {
                continue;
            }
            tokio::spawn(connect_loop(ch.clone(), b, a.addr));
        }
    }
}

async fn accept_loop(ch: Arc<Channel>, b: usize, l: TcpListener, addr: SocketAddr) {
    loop {
        match l.accept().await {
            Ok((s, peer)) => {
                tokio::spawn(conn::run(ch.clone(), b, s, format!("tcp:{peer}")));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait and go on.
                tracing::warn!("OpenFlow: accept on tcp:{addr}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connect_loop(ch: Arc<Channel>, b: usize, addr: SocketAddr) {
    let name = ch.view.bridges()[b].name.clone();
    let mut backoff = BACKOFF_MIN;
    loop {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                backoff = BACKOFF_MIN;
                conn::run(ch.clone(), b, s, format!("tcp:{addr}")).await;
            }
            Err(e) => {
                tracing::debug!(
                    "OpenFlow: {name}: controller tcp:{addr}: {e}; retrying in {backoff:?}"
                );
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}
