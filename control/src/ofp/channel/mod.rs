//! The OpenFlow 1.3 control channel: listeners and active controller
//! connections per bridge (`listen`), one task per connection speaking the
//! protocol (`conn`, `handlers`, `multipart`), the packet-in pump
//! (`packet_in`), port status (`ports`) and what `ferroctl show` tells of
//! it all (`status`).
//!
//! Everything runs as tasks on the daemon's current-thread tokio runtime
//! on the control core. Connection state shared between tasks (roles,
//! async configuration, outbound queues, the per-bridge switch config) sits
//! behind `Mutex`es that are only ever taken for short, non-nested
//! sections (bridge state first, then a connection's state, never the
//! reverse), so nothing blocks.
//!
//! A connection's failure (I/O error, timeout, a full outbound queue)
//! ends that connection only; the pipeline and the datapath never depend
//! on a connection being alive.
mod conn;
mod handlers;
mod listen;
mod multipart;
mod packet_in;
mod ports;
mod standalone;
mod status;
mod tls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hashbrown::HashMap;

use crate::ofp::codec::{self, AsyncConfig, Message, PortDesc};
use crate::pipeline::RemovedFlow;
use crate::switch::SwitchView;

pub(crate) use conn::ConnShared;
pub use listen::mgmt_socket_path;
pub use ports::NO_FLOOD;

/// OFPCML default for miss_send_len.
pub const DEFAULT_MISS_SEND_LEN: u16 = 128;

/// The async configuration a connection starts with (OpenFlow 1.3.5
/// §6.1.1): master/equal get every packet-in, port-status and
/// flow-removed reason; slaves only port-status.
pub const DEFAULT_ASYNC: AsyncConfig = AsyncConfig {
    // OFPR_NO_MATCH | OFPR_ACTION | OFPR_INVALID_TTL.
    packet_in_mask: [0x7, 0],
    // OFPPR_ADD | OFPPR_DELETE | OFPPR_MODIFY.
    port_status_mask: [0x7, 0x7],
    // IDLE_TIMEOUT | HARD_TIMEOUT | DELETE | GROUP_DELETE.
    flow_removed_mask: [0xf, 0],
};

/// The per-bridge OpenFlow state that outlives connections.
#[derive(Debug)]
pub(crate) struct BridgeState {
    /// OFPT_SET_CONFIG flags (OFPC_FRAG_*).
    pub flags: u16,
    pub miss_send_len: u16,
    /// The largest generation_id seen in a master/slave ROLE_REQUEST.
    pub generation_id: Option<u64>,
    /// Connections, by id.
    pub conns: Vec<Arc<ConnShared>>,
    /// OFPPC_* bits set by PORT_MOD, by OpenFlow port number.
    pub port_config: HashMap<u32, u32>,
    /// What the last PORT_STATUS/poll saw, by port number.
    pub last_ports: HashMap<u32, PortDesc>,
    /// The standalone fail mode's learning agent.
    pub standalone: standalone::Learner,
    /// Listeners and configured controllers, with their state.
    pub endpoints: Vec<status::Endpoint>,
}

impl Default for BridgeState {
    fn default() -> Self {
        BridgeState {
            flags: 0,
            miss_send_len: DEFAULT_MISS_SEND_LEN,
            generation_id: None,
            conns: Vec::new(),
            port_config: HashMap::new(),
            last_ports: HashMap::new(),
            standalone: standalone::Learner::default(),
            endpoints: Vec::new(),
        }
    }
}

/// The control channel of the whole switch.
pub struct Channel {
    pub(crate) view: Arc<SwitchView>,
    bridges: Vec<Mutex<BridgeState>>,
    /// When the channel started (port stats durations).
    pub(crate) started: Instant,
    next_conn_id: AtomicU64,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("bridges", &self.bridges.len())
            .finish()
    }
}

/// Starts the OpenFlow channel: listeners, controller connections, the
/// packet-in pump and the port-status poller. Must be called from within
/// the daemon's tokio runtime. With `run_dir`, each bridge also gets its
/// OpenFlow management socket there ([`mgmt_socket_path`]).
pub fn start(view: Arc<SwitchView>, run_dir: Option<&std::path::Path>) -> Arc<Channel> {
    let ch = Arc::new(Channel::new(view));
    for b in 0..ch.bridges.len() {
        ports::refresh(&ch, b, false);
    }
    listen::start(&ch, run_dir);
    tokio::spawn(packet_in::pump(ch.clone()));
    tokio::spawn(ports::poll(ch.clone()));
    tokio::spawn(standalone::watch(ch.clone()));
    ch
}

impl Channel {
    fn new(view: Arc<SwitchView>) -> Channel {
        let n = view.bridges().len();
        Channel {
            view,
            bridges: (0..n).map(|_| Mutex::new(BridgeState::default())).collect(),
            started: Instant::now(),
            next_conn_id: AtomicU64::new(1),
        }
    }

    /// Number of bridges.
    pub fn n_bridges(&self) -> usize {
        self.bridges.len()
    }

    /// The OpenFlow state of bridge `b` (a short critical section: never
    /// held across an await or while taking it again).
    pub(crate) fn bridge(&self, b: usize) -> MutexGuard<'_, BridgeState> {
        self.bridges[b].lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Connections of bridge `b` (a snapshot of the list).
    pub(crate) fn conns(&self, b: usize) -> Vec<Arc<ConnShared>> {
        self.bridge(b).conns.clone()
    }

    /// Number of connections that completed the HELLO exchange, per bridge.
    pub fn connected(&self, b: usize) -> usize {
        self.conns(b).iter().filter(|c| c.ctl().ready).count()
    }

    /// Sends FLOW_REMOVED for the entries that asked for it
    /// (OFPFF_SEND_FLOW_REM) to every connection of bridge `b` whose role
    /// and async configuration want the reason.
    pub(crate) fn flow_removed(&self, b: usize, removed: &[RemovedFlow]) {
        let wanted: Vec<&RemovedFlow> = removed.iter().filter(|r| r.send_flow_rem()).collect();
        if wanted.is_empty() {
            return;
        }
        let conns = self.conns(b);
        for r in wanted {
            let reason = r.reason.ofp13_code();
            let msg = codec::encode(
                0,
                &Message::FlowRemoved {
                    cookie: r.cookie,
                    priority: r.priority,
                    reason,
                    table_id: r.table_id,
                    duration_sec: u32::try_from(r.duration.as_secs()).unwrap_or(u32::MAX),
                    duration_nsec: r.duration.subsec_nanos(),
                    idle_timeout: r.idle_timeout,
                    hard_timeout: r.hard_timeout,
                    packet_count: r.packet_count,
                    byte_count: r.byte_count,
                    match_: r.match_,
                },
            );
            for c in &conns {
                if c.ctl().wants(|a| a.flow_removed_mask, reason) {
                    c.outbox.push(msg.clone());
                }
            }
        }
    }

    /// Removes expired flows of every bridge (idle and hard timeouts),
    /// publishes the new pipelines, waits for the PMDs, and sends
    /// FLOW_REMOVED. Called about once a second by the daemon.
    pub fn expire_flows(&self) {
        // Last-hit times and final counters come from megaflow credits.
        self.view.sync_credits();
        let now = Instant::now();
        let mut any = false;
        for (i, b) in self.view.bridges().iter().enumerate() {
            let removed = b.pipeline().expire(now);
            if removed.is_empty() {
                continue;
            }
            b.translator.publish();
            any = true;
            self.flow_removed(i, &removed);
        }
        if any {
            self.view.sync_pmds();
        }
    }
}

/// How often link states are polled: a vhost guest's arrival or departure
/// reaches the controllers (PORT_STATUS) within this.
pub(crate) const PORT_POLL: Duration = Duration::from_millis(100);
