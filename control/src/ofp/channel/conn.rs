//! One OpenFlow connection: its task (framing, reading, writing,
//! inactivity probe), its bounded outbound queue and the state other tasks
//! consult (role, async configuration, packet-in rate limit).
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use super::{handlers, Channel, DEFAULT_ASYNC};
use crate::ofp::codec::{self, role, AsyncConfig, Message, MultipartAssembler, HEADER_LEN};

/// Without any message from the peer for this long, send an echo request.
pub const PROBE_AFTER: Duration = Duration::from_secs(5);
/// Without any message from the peer for this long, disconnect.
pub const DEAD_AFTER: Duration = Duration::from_secs(15);

/// Packet-ins are refused (dropped) once the queue holds this many bytes
/// or messages; reading from the peer pauses too (it is not reading what
/// we send).
pub const SOFT_BYTES: usize = 1 << 20;
pub const SOFT_MSGS: usize = 4096;
/// Replies and other messages that must not be lost may exceed the soft
/// bound (after packet-ins were evicted); beyond this the peer is hopeless
/// and the connection is closed.
pub const HARD_BYTES: usize = 64 << 20;

/// Packet-in rate limit per connection: tokens per second and burst.
pub const PACKET_IN_RATE: f64 = 1000.0;
pub const PACKET_IN_BURST: f64 = 100.0;

/// Bytes gathered into one write.
const WRITE_CHUNK: usize = 256 << 10;
/// Bytes read at once.
const READ_CHUNK: usize = 64 << 10;

#[derive(Default, Debug)]
struct Queue {
    /// (message, droppable: a packet-in).
    q: VecDeque<(Vec<u8>, bool)>,
    bytes: usize,
    droppable: usize,
    /// Bytes of the queued packet-ins.
    droppable_bytes: usize,
    overflow: bool,
}

impl Queue {
    /// Evicts queued packet-ins, oldest first, until `bytes` is at most
    /// `limit` or none are left.
    fn evict_droppable(&mut self, limit: usize) -> u64 {
        let mut n = 0;
        if self.droppable == 0 || self.bytes <= limit {
            return 0;
        }
        let mut kept = VecDeque::with_capacity(self.q.len());
        for (m, d) in self.q.drain(..) {
            if d && self.bytes > limit {
                self.bytes -= m.len();
                self.droppable -= 1;
                self.droppable_bytes -= m.len();
                n += 1;
            } else {
                kept.push_back((m, d));
            }
        }
        self.q = kept;
        n
    }
}

/// A connection's bounded outbound queue. Packet-ins are dropped first
/// when it fills.
#[derive(Default, Debug)]
pub struct Outbox {
    inner: Mutex<Queue>,
    notify: Notify,
    /// Packet-ins dropped (queue full or evicted).
    dropped: std::sync::atomic::AtomicU64,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a message that must not be lost (replies, errors,
    /// flow-removed, port-status).
    pub fn push(&self, msg: Vec<u8>) {
        let mut q = self.lock();
        q.bytes += msg.len();
        q.q.push_back((msg, false));
        if q.bytes > SOFT_BYTES {
            let n = q.evict_droppable(SOFT_BYTES);
            self.count_drops(n);
        }
        if q.bytes > HARD_BYTES {
            q.overflow = true;
        }
        drop(q);
        self.notify.notify_one();
    }

    /// Queues a packet-in unless the queue is full. Returns whether it was
    /// queued.
    pub fn push_droppable(&self, msg: Vec<u8>) -> bool {
        let mut q = self.lock();
        if q.bytes + msg.len() > SOFT_BYTES || q.q.len() >= SOFT_MSGS {
            drop(q);
            self.count_drops(1);
            return false;
        }
        q.bytes += msg.len();
        q.droppable += 1;
        q.droppable_bytes += msg.len();
        q.q.push_back((msg, true));
        drop(q);
        self.notify.notify_one();
        true
    }

    fn count_drops(&self, n: u64) {
        if n > 0 {
            self.dropped
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Packet-ins dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.lock().q.is_empty()
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Bytes queued that are not packet-ins (replies and other messages
    /// that must be delivered).
    pub fn reliable_bytes(&self) -> usize {
        let q = self.lock();
        q.bytes - q.droppable_bytes
    }

    fn overflowed(&self) -> bool {
        self.lock().overflow
    }

    /// Moves queued messages into `buf` (at least one, up to about `max`
    /// bytes).
    fn drain_into(&self, buf: &mut Vec<u8>, max: usize) {
        let mut q = self.lock();
        while let Some((m, d)) = q.q.pop_front() {
            q.bytes -= m.len();
            if d {
                q.droppable -= 1;
                q.droppable_bytes -= m.len();
            }
            buf.extend_from_slice(&m);
            if buf.len() >= max {
                break;
            }
        }
    }
}

/// A token bucket.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64) -> Self {
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A connection's state other tasks read or change.
#[derive(Debug, Clone)]
pub struct ConnCtl {
    /// HELLO exchanged: asynchronous messages may be sent.
    pub ready: bool,
    /// OFPCR_ROLE_EQUAL, _MASTER or _SLAVE.
    pub role: u32,
    pub async_cfg: AsyncConfig,
    pub packet_in_limit: TokenBucket,
    /// Packet-ins refused by the rate limit.
    pub packet_in_rate_drops: u64,
    pub packet_ins_sent: u64,
    /// OFPT_SET_CONFIG's miss_send_len, per connection (as in OVS): the
    /// bytes of packets sent to the controller for a reason other than an
    /// output action (OFPR_INVALID_TTL). OFPCML_NO_BUFFER: all.
    pub miss_send_len: u16,
}

impl ConnCtl {
    /// Whether this connection wants an asynchronous message with
    /// `reason`, given the mask pair `mask` selects.
    pub fn wants(&self, mask: impl Fn(&AsyncConfig) -> [u32; 2], reason: u8) -> bool {
        if !self.ready || reason >= 32 {
            return false;
        }
        let i = usize::from(self.role == role::SLAVE);
        mask(&self.async_cfg)[i] & (1 << reason) != 0
    }
}

/// The shared part of a connection.
#[derive(Debug)]
pub struct ConnShared {
    pub id: u64,
    /// "tcp:ADDR" of the peer, for logs.
    pub peer: String,
    /// A management connection (`unix:<run_dir>/<bridge>.mgmt`, ferroctl
    /// or ovs-ofctl): not a controller, so the fail mode ignores it, and
    /// it is logged at debug level.
    pub service: bool,
    /// When the connection was made.
    pub since: std::time::Instant,
    pub outbox: Outbox,
    ctl: Mutex<ConnCtl>,
}

impl ConnShared {
    pub fn new(id: u64, peer: String) -> Self {
        ConnShared {
            id,
            service: peer.starts_with("unix:"),
            peer,
            since: std::time::Instant::now(),
            outbox: Outbox::default(),
            ctl: Mutex::new(ConnCtl {
                ready: false,
                role: role::EQUAL,
                async_cfg: DEFAULT_ASYNC,
                packet_in_limit: TokenBucket::new(PACKET_IN_RATE, PACKET_IN_BURST),
                packet_in_rate_drops: 0,
                packet_ins_sent: 0,
                miss_send_len: super::DEFAULT_MISS_SEND_LEN,
            }),
        }
    }

    pub fn ctl(&self) -> MutexGuard<'_, ConnCtl> {
        self.ctl.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The connection task's own state.
pub struct Conn {
    pub ch: Arc<Channel>,
    pub bridge: usize,
    pub shared: Arc<ConnShared>,
    /// HELLO received and the version agreed.
    pub negotiated: bool,
    /// Send what is queued, then close.
    pub closing: bool,
    /// Pipeline changes since the last PMD sync (a barrier syncs first).
    pub dirty: bool,
    /// Flow adds applied but not yet published (published before any
    /// other message and at the end of each read).
    pub deferred_adds: bool,
    pub assembler: MultipartAssembler,
}

impl Conn {
    /// Queues a message that must not be lost.
    pub fn send(&self, msg: Vec<u8>) {
        self.shared.outbox.push(msg);
    }

    /// Queues an encoded message.
    pub fn send_msg(&self, xid: u32, msg: &Message) {
        self.send(codec::encode(xid, msg));
    }
}

/// Serves one connection over any byte stream (TCP or TLS) until it ends;
/// returns why it did.
pub async fn run<S>(ch: Arc<Channel>, bridge: usize, stream: S, peer: String) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let bname = ch.view.bridges()[bridge].name.clone();
    let shared = Arc::new(ConnShared::new(ch.next_conn_id(), peer.clone()));
    ch.bridge(bridge).conns.push(shared.clone());
    if shared.service {
        tracing::debug!("OpenFlow: {bname}: connection on {peer} (#{})", shared.id);
    } else {
        tracing::info!(
            "OpenFlow: {bname}: connection from/to {peer} (#{})",
            shared.id
        );
    }
    let mut conn = Conn {
        ch: ch.clone(),
        bridge,
        shared: shared.clone(),
        negotiated: false,
        closing: false,
        dirty: false,
        deferred_adds: false,
        assembler: MultipartAssembler::default(),
    };
    conn.send_msg(
        0,
        &Message::Hello {
            bitmap: Some(1 << codec::OFP_VERSION),
        },
    );
    let result = serve(&mut conn, stream).await;
    ch.bridge(bridge).conns.retain(|c| c.id != shared.id);
    let (sent, rate_drops) = {
        let c = shared.ctl();
        (c.packet_ins_sent, c.packet_in_rate_drops)
    };
    let stats = format!(
        "packet-ins sent {sent}, dropped {} (rate limit) + {} (queue full)",
        rate_drops,
        shared.outbox.dropped()
    );
    match result {
        Ok(why) if shared.service => {
            tracing::debug!("OpenFlow: {bname}: {peer} (#{}) closed: {why}", shared.id);
            why.to_string()
        }
        Ok(why) => {
            tracing::info!(
                "OpenFlow: {bname}: {peer} (#{}) closed: {why}; {stats}",
                shared.id
            );
            why.to_string()
        }
        Err(e) => {
            tracing::warn!(
                "OpenFlow: {bname}: {peer} (#{}) dropped: {e}; {stats}",
                shared.id
            );
            e.to_string()
        }
    }
}

async fn serve<S>(conn: &mut Conn, stream: S) -> io::Result<&'static str>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut rbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut wbuf: Vec<u8> = Vec::new();
    let mut wpos = 0usize;
    let mut last_rx = Instant::now();
    let mut probe_sent = false;
    let shared = conn.shared.clone();
    let outbox = &shared.outbox;
    loop {
        if outbox.overflowed() {
            return Err(io::Error::other(
                "outbound queue overflow (peer not reading)",
            ));
        }
        if wpos == wbuf.len() && !outbox.is_empty() {
            wbuf.clear();
            wpos = 0;
            outbox.drain_into(&mut wbuf, WRITE_CHUNK);
        }
        let pending_write = wpos < wbuf.len();
        if conn.closing && !pending_write {
            return Ok("closed by the switch after an error");
        }
        // Stop reading while the peer does not read our replies.
        let can_read = !conn.closing && outbox.reliable_bytes() < SOFT_BYTES;
        let deadline = last_rx + if probe_sent { DEAD_AFTER } else { PROBE_AFTER };
        // Both branches are cancel-safe (read_buf, write).
        tokio::select! {
            r = rd.read_buf(&mut rbuf), if can_read => {
                match r? {
                    0 => return Ok("peer closed the connection"),
                    _ => {
                        last_rx = Instant::now();
                        probe_sent = false;
                        let used = process(conn, &rbuf);
                        rbuf.drain(..used);
                        rbuf.reserve(READ_CHUNK);
                    }
                }
            }
            r = wr.write(&wbuf[wpos..]), if pending_write => {
                wpos += r?;
                if wpos == wbuf.len() {
                    // TLS buffers records; push them out.
                    wr.flush().await?;
                }
            }
            _ = outbox.notify.notified(), if !pending_write => {}
            _ = tokio::time::sleep_until(deadline.into()) => {
                if probe_sent {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no message for {} s (inactivity probe unanswered)", DEAD_AFTER.as_secs()),
                    ));
                }
                probe_sent = true;
                conn.send_msg(0, &Message::EchoRequest(Vec::new()));
            }
        }
    }
}

/// Handles every complete message in `buf`; returns the bytes consumed.
fn process(conn: &mut Conn, buf: &[u8]) -> usize {
    let mut pos = 0;
    while pos < buf.len() && !conn.closing {
        let rest = &buf[pos..];
        match codec::frame(rest) {
            Ok(Some(n)) => {
                handlers::handle(conn, &rest[..n]);
                pos += n;
            }
            Ok(None) => break,
            Err(e) => {
                // A length below the header's: the stream cannot be framed
                // from here; skip the header and go on.
                tracing::debug!("OpenFlow: {}: {e}", conn.shared.peer);
                conn.send(e.error_message(&rest[..HEADER_LEN]));
                pos += HEADER_LEN;
            }
        }
    }
    handlers::publish_deferred_adds(conn);
    if conn.closing {
        buf.len()
    } else {
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket {
            rate: 1000.0,
            burst: 100.0,
            tokens: 100.0,
            last: t0,
        };
        let granted = (0..150).filter(|_| b.take(t0)).count();
        assert_eq!(granted, 100, "the burst");
        // 10 ms later: 10 more tokens.
        let t1 = t0 + Duration::from_millis(10);
        let granted = (0..50).filter(|_| b.take(t1)).count();
        assert_eq!(granted, 10);
        // Never more than the burst after a long pause.
        let t2 = t1 + Duration::from_secs(60);
        let granted = (0..500).filter(|_| b.take(t2)).count();
        assert_eq!(granted, 100);
    }

    #[test]
    fn outbox_drops_packet_ins_first() {
        let o = Outbox::default();
        let pi = vec![0u8; 1000];
        let mut queued = 0;
        while o.push_droppable(pi.clone()) {
            queued += 1;
        }
        assert_eq!(
            queued,
            SOFT_BYTES / 1000,
            "packet-ins fill up to the soft bound"
        );
        assert_eq!(o.dropped(), 1);
        // A reply still goes in, evicting a packet-in to stay in bounds.
        o.push(vec![1u8; 2000]);
        assert!(o.bytes() <= SOFT_BYTES);
        assert_eq!(o.reliable_bytes(), 2000);
        assert_eq!(o.dropped(), 3);
        assert!(!o.overflowed());
        // Drained in order, the reply last.
        let mut buf = Vec::new();
        o.drain_into(&mut buf, usize::MAX);
        assert!(o.is_empty());
        assert_eq!(buf.len(), (queued - 2) * 1000 + 2000);
        assert_eq!(buf[buf.len() - 1], 1);
        // Replies beyond the hard bound mark the connection for closing.
        for _ in 0..(HARD_BYTES / 65536 + 1) {
            o.push(vec![2u8; 65536]);
        }
        assert!(o.overflowed());
    }

    #[test]
    fn async_masks_follow_the_role() {
        let c = ConnShared::new(1, "test".into());
        // Not ready before HELLO.
        assert!(!c.ctl().wants(|a| a.packet_in_mask, 0));
        c.ctl().ready = true;
        assert!(c.ctl().wants(|a| a.packet_in_mask, 0));
        assert!(c.ctl().wants(|a| a.flow_removed_mask, 3));
        c.ctl().role = role::SLAVE;
        assert!(!c.ctl().wants(|a| a.packet_in_mask, 0));
        assert!(!c.ctl().wants(|a| a.flow_removed_mask, 0));
        assert!(c.ctl().wants(|a| a.port_status_mask, 2));
        assert!(!c.ctl().wants(|a| a.port_status_mask, 40));
    }
}
