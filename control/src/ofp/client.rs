//! A blocking OpenFlow 1.3 client over a stream socket (ferroctl's side of
//! `<run_dir>/<bridge>.mgmt`): HELLO, requests with their xids, BARRIER
//! with the OFPT_ERRORs that came before it, and MULTIPART with MORE-flag
//! reassembly. A reader thread answers ECHO_REQUESTs (the switch probes
//! idle connections) and hands everything else to the caller.
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::codec::{
    self, multipart_flags, AsyncConfig, Header, Message, MultipartReply, MultipartRequest,
    OFP_VERSION,
};
use super::error_names;
use super::OfpErrorKind;

/// How long to wait for the switch's next message before giving up (a
/// barrier after a very large add-flows can take a while).
const REPLY_TIMEOUT: Duration = Duration::from_secs(300);

/// How many requests [`Client::transact_chunked`] sends before each
/// barrier: large enough that round trips do not matter, small enough
/// that a refusal stops the load early.
pub const CHUNK: usize = 1000;

/// What [`Client::transact_chunked`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChunkedOutcome {
    /// The switch's errors, by index in the messages given.
    pub errors: Vec<(usize, RequestError)>,
    /// How many of the messages were sent (all of them unless a chunk
    /// was refused).
    pub sent: usize,
}

/// An OFPT_ERROR the switch sent in reply to the request with `xid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub xid: u32,
    pub kind: OfpErrorKind,
}

impl std::fmt::Display for RequestError {
    /// `OFPET_BAD_ACTION OFPBAC_BAD_OUT_PORT (output to a port this bridge
    /// does not have)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (t, c) = error_names::names(self.kind);
        write!(f, "{t} {c}")?;
        if let Some(why) = error_names::explain(self.kind) {
            write!(f, " ({why})")?;
        }
        Ok(())
    }
}

enum Incoming {
    Msg(Header, Box<Message>),
    Closed(String),
}

/// One OpenFlow connection to a switch.
pub struct Client {
    writer: Arc<Mutex<UnixStream>>,
    rx: Receiver<Incoming>,
    next_xid: u32,
    /// "unix:PATH", for messages.
    peer: String,
}

impl Client {
    /// Connects, exchanges HELLOs (OpenFlow 1.3 only) and turns off
    /// asynchronous messages (packet-ins, port status, flow removed) for
    /// this connection.
    pub fn connect_unix(path: &Path) -> Result<Client, String> {
        let peer = format!("unix:{}", path.display());
        let stream =
            UnixStream::connect(path).map_err(|e| format!("cannot connect to {peer}: {e}"))?;
        let reader = stream.try_clone().map_err(|e| format!("{peer}: {e}"))?;
        let writer = Arc::new(Mutex::new(stream));
        let (tx, rx) = channel();
        let echo = writer.clone();
        let name = peer.clone();
        std::thread::Builder::new()
            .name("of-client-rx".into())
            .spawn(move || read_loop(reader, echo, tx, name))
            .map_err(|e| format!("{peer}: cannot start the reader thread: {e}"))?;
        let mut c = Client {
            writer,
            rx,
            next_xid: 1,
            peer,
        };
        c.send(&Message::Hello {
            bitmap: Some(1 << OFP_VERSION),
        })?;
        match c.next()? {
            (_, Message::Hello { bitmap }) => {
                if bitmap.is_some_and(|b| b & (1 << OFP_VERSION) == 0) {
                    return Err(format!(
                        "{}: the switch does not speak OpenFlow 1.3",
                        c.peer
                    ));
                }
            }
            (_, Message::Error { kind, .. }) => {
                let e = RequestError { xid: 0, kind };
                return Err(format!("{}: HELLO refused: {e}", c.peer));
            }
            (h, _) => {
                return Err(format!(
                    "{}: expected HELLO, got {}",
                    c.peer,
                    codec::msg_type_name(h.msg_type)
                ))
            }
        }
        c.send(&Message::SetAsync(AsyncConfig::default()))?;
        Ok(c)
    }

    /// Sends a request; returns its xid.
    pub fn send(&mut self, msg: &Message) -> Result<u32, String> {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        let bytes = codec::encode(xid, msg);
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(&bytes)
            .map_err(|e| format!("sending to {}: {e}", self.peer))?;
        Ok(xid)
    }

    /// Sends requests in one write; returns their xids.
    fn send_all(&mut self, msgs: &[Message]) -> Result<Vec<u32>, String> {
        let mut bytes = Vec::new();
        let mut xids = Vec::with_capacity(msgs.len());
        for m in msgs {
            let xid = self.next_xid;
            self.next_xid = self.next_xid.wrapping_add(1).max(1);
            bytes.extend_from_slice(&codec::encode(xid, m));
            xids.push(xid);
        }
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(&bytes)
            .map_err(|e| format!("sending to {}: {e}", self.peer))?;
        Ok(xids)
    }

    /// The next message from the switch (asynchronous ones skipped).
    fn next(&mut self) -> Result<(Header, Message), String> {
        loop {
            match self.rx.recv_timeout(REPLY_TIMEOUT) {
                Ok(Incoming::Msg(h, m)) => match *m {
                    Message::PacketIn { .. }
                    | Message::PortStatus { .. }
                    | Message::FlowRemoved { .. }
                    | Message::EchoReply(_) => continue,
                    m => return Ok((h, m)),
                },
                Ok(Incoming::Closed(why)) => return Err(format!("{}: {why}", self.peer)),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{}: no answer within {} s",
                        self.peer,
                        REPLY_TIMEOUT.as_secs()
                    ))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("{}: connection closed", self.peer))
                }
            }
        }
    }

    /// Sends a BARRIER_REQUEST and waits for its reply; returns the errors
    /// the switch sent for earlier requests. Once it returns, the switch has
    /// applied everything before it (and its datapath obeys it).
    pub fn barrier(&mut self) -> Result<Vec<RequestError>, String> {
        let xid = self.send(&Message::BarrierRequest)?;
        let mut errors = Vec::new();
        loop {
            match self.next()? {
                (h, Message::BarrierReply) if h.xid == xid => return Ok(errors),
                (h, Message::Error { kind, .. }) => errors.push(RequestError { xid: h.xid, kind }),
                _ => {}
            }
        }
    }

    /// Sends `msgs`, then a barrier; returns the errors by index in `msgs`.
    pub fn transact(&mut self, msgs: &[Message]) -> Result<Vec<(usize, RequestError)>, String> {
        let mut xids = Vec::with_capacity(msgs.len());
        for m in msgs {
            xids.push(self.send(m)?);
        }
        let errors = self.barrier()?;
        Ok(errors
            .into_iter()
            .map(|e| {
                let i = xids.iter().position(|&x| x == e.xid).unwrap_or(0);
                (i, e)
            })
            .collect())
    }

    /// Sends `msgs` pipelined: `chunk` at a time in one write, each chunk
    /// followed by a barrier. Stops after the first chunk the switch
    /// refused anything of (like ovs-ofctl, which stops at the first
    /// refusal; the rest of that chunk was already sent).
    pub fn transact_chunked(
        &mut self,
        msgs: &[Message],
        chunk: usize,
    ) -> Result<ChunkedOutcome, String> {
        let mut out = ChunkedOutcome::default();
        for (c, part) in msgs.chunks(chunk.max(1)).enumerate() {
            let base = c * chunk.max(1);
            let index: std::collections::HashMap<u32, usize> = self
                .send_all(part)?
                .into_iter()
                .enumerate()
                .map(|(i, x)| (x, base + i))
                .collect();
            out.sent += part.len();
            for e in self.barrier()? {
                // An error for no request of this chunk (cannot happen:
                // the switch answers in order) is kept at the chunk start.
                let i = index.get(&e.xid).copied().unwrap_or(base);
                out.errors.push((i, e));
            }
            if !out.errors.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// A multipart request and its whole reply (every part until one
    /// without OFPMPF_REPLY_MORE), or the error the switch answered with.
    pub fn multipart(&mut self, body: MultipartRequest) -> Result<Vec<MultipartReply>, String> {
        let what = body.mp_type();
        let xid = self.send(&Message::MultipartRequest { flags: 0, body })?;
        let mut parts = Vec::new();
        loop {
            match self.next()? {
                (h, Message::MultipartReply { flags, body }) if h.xid == xid => {
                    parts.push(body);
                    if flags & multipart_flags::REPLY_MORE == 0 {
                        return Ok(parts);
                    }
                }
                (h, Message::Error { kind, .. }) if h.xid == xid => {
                    let e = RequestError { xid, kind };
                    return Err(format!("multipart request type {what} refused: {e}"));
                }
                _ => {}
            }
        }
    }
}

/// Reads and frames messages; answers echo requests itself.
fn read_loop(
    mut rd: UnixStream,
    wr: Arc<Mutex<UnixStream>>,
    tx: std::sync::mpsc::Sender<Incoming>,
    peer: String,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match rd.read(&mut chunk) {
            Ok(0) => {
                let _ = tx.send(Incoming::Closed("the switch closed the connection".into()));
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.send(Incoming::Closed(format!("reading: {e}")));
                return;
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            let len = match codec::frame(rest) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Incoming::Closed(format!("unframeable message: {e}")));
                    return;
                }
            };
            let msg = &rest[..len];
            pos += len;
            match codec::decode(msg) {
                Ok((h, Message::EchoRequest(data))) => {
                    let reply = codec::encode(h.xid, &Message::EchoReply(data));
                    let mut w = wr.lock().unwrap_or_else(|e| e.into_inner());
                    let _ = w.write_all(&reply);
                }
                Ok((h, m)) => {
                    if tx.send(Incoming::Msg(h, Box::new(m))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!("{peer}: undecodable message: {e}");
                }
            }
        }
        buf.drain(..pos);
    }
}
