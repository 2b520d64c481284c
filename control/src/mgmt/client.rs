//! A blocking client for the management socket (used by ferroctl).
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::proto::{Body, Reply, Request};

/// Sends one request and returns the daemon's answer, or a message that
/// says what went wrong and what to check.
pub fn call(socket: &Path, req: &Request) -> Result<Body, String> {
    let mut stream = UnixStream::connect(socket).map_err(|e| {
        format!(
            "cannot connect to ferroswitch at {}: {e} (is the daemon running? use --run-dir to point at its run directory)",
            socket.display()
        )
    })?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .map_err(|e| format!("sending to {}: {e}", socket.display()))?;
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(|e| format!("reading the answer from {}: {e}", socket.display()))?;
    if answer.is_empty() {
        return Err(format!(
            "{} closed the connection without answering",
            socket.display()
        ));
    }
    match serde_json::from_str::<Reply>(&answer) {
        Ok(Reply::Ok(body)) => Ok(body),
        Ok(Reply::Error(e)) => Err(e),
        Err(e) => Err(format!(
            "malformed answer from the daemon ({e}): {}",
            answer.trim()
        )),
    }
}
