//! The daemon side of the management socket.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::proto::{Reply, Request};
use crate::error::{Error, Result};

/// Answers management requests; implemented by the running switch.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, req: Request) -> Reply;
}

/// Longest request line accepted; anything longer is a client bug.
const MAX_LINE: usize = 64 * 1024;

/// Binds the socket with mode 0600 (only root talks to the switch).
pub fn bind(path: &Path) -> Result<UnixListener> {
    let err = |source| Error::Mgmt {
        path: path.into(),
        source,
    };
    // A stale socket from a crashed daemon; the run-dir lock proves no live
    // daemon owns it.
    if path.exists() {
        std::fs::remove_file(path).map_err(err)?;
    }
    let listener = UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    Ok(listener)
}

/// Serves connections until the future is dropped.
pub async fn serve(listener: UnixListener, handler: Arc<dyn Handler>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, handler.clone()));
            }
            Err(e) => {
                tracing::warn!("management socket accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, handler: Arc<dyn Handler>) {
    let (rd, mut wr) = stream.into_split();
    let mut lines = BufReader::new(rd.take(MAX_LINE as u64 * 16)).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!("management connection: {e}");
                return;
            }
        };
        let reply = if line.len() > MAX_LINE {
            Reply::Error(format!("request longer than {MAX_LINE} bytes"))
        } else {
            match serde_json::from_str::<Request>(&line) {
                Ok(req) => handler.handle(req),
                Err(e) => Reply::Error(format!("bad request: {e}")),
            }
        };
        let mut out = serde_json::to_string(&reply)
            .unwrap_or_else(|e| format!("{{\"error\":\"encoding reply: {e}\"}}"));
        out.push('\n');
        if wr.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

use tokio::io::AsyncReadExt as _;
