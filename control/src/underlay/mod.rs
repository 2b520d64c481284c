//! The IPv4 underlay of the tunnel ports: our address on the underlay
//! port, the route table, the neighbour (ARP) table, and ARP itself.
//!
//! - The PMDs punt ARP packets for our address (`TunnelDp::arp_in`); the
//!   control side answers requests and learns the sender of every request
//!   or reply addressed to us.
//! - Translation (on a PMD, at an upcall) builds a tunnel's outer header
//!   from the current [`Tables`] snapshot. When the next hop has no MAC
//!   yet it asks for resolution through a lock-free queue and the header
//!   is marked unresolved: such packets are dropped and counted
//!   (`tunnel_no_neighbour`) until ARP answers. We do not queue them.
//! - The control side sends ARP requests (as packet-outs on the underlay
//!   port), retrying every second while the neighbour stays unresolved.
//! - Neighbours learnt by ARP age (`underlay.neighbour_timeout`, default
//!   15 min as OVS's tunnel neighbour cache): from 3/4 of the timeout on,
//!   each is asked for again every second (unicast to its known MAC, then
//!   broadcast). A reply renews it; the table does not change, so the
//!   datapath keeps its headers and traffic flows on. Without a reply it
//!   expires: the tables change and the next translation resolves it
//!   afresh. Static neighbours never age.
//! - Any change of the tables (a neighbour learnt or changed, a route
//!   added or removed) bumps the bridges' datapath generation, so the
//!   PMDs drop their megaflows and rebuild the headers.
mod arp;
mod mgmt;
mod route;
#[cfg(test)]
mod tests;
mod tunnels;

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_queue::ArrayQueue;
use fastpath::dpdk::Mbuf;
use fastpath::tunnel::{DecapPort, TunnelDp, TunnelKind};
use fsconfig::{RouteConfig, TunnelConfig, TunnelKey, TunnelRemote, TunnelType, UnderlayConfig};

pub use route::RouteTable;
pub use tunnels::BridgeTunnels;

/// How often an unresolved neighbour is asked for again.
const ARP_RETRY: Duration = Duration::from_secs(1);
/// Neighbours being resolved at most (more requests wait for a slot).
const MAX_PENDING: usize = 1024;
/// Resolution requests from translations waiting for the control side.
const RESOLVE_QUEUE: usize = 256;
/// Refresh probes sent unicast to the known MAC before broadcasting.
const UNICAST_PROBES: u32 = 3;
/// OFPP_CONTROLLER, the in_port of our own ARP packet-outs.
const FROM_CONTROLLER: u32 = 0xffff_fffd;

/// What translation reads: routes and neighbours, replaced whole.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub routes: RouteTable,
    pub neighbours: HashMap<Ipv4Addr, [u8; 6]>,
}

/// A neighbour being resolved.
struct Pending {
    tries: u32,
    next: Instant,
}

/// A neighbour learnt by ARP: when it was last confirmed, and the
/// refresh requests sent since.
struct Learnt {
    confirmed: Instant,
    probes: u32,
    next_probe: Instant,
}

/// Where a neighbour is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighbourState {
    /// From the configuration: never ages.
    Static,
    /// Learnt by ARP, confirmed `age` ago.
    Reachable { age: Duration },
    /// Learnt, old enough to be asked for again: `probes` requests sent.
    Refreshing { age: Duration, probes: u32 },
    /// Being resolved: `tries` ARP requests sent, no answer yet.
    Incomplete { tries: u32 },
}

/// A neighbour as `ferroctl neigh show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighbourView {
    pub ip: Ipv4Addr,
    pub mac: Option<[u8; 6]>,
    pub state: NeighbourState,
}

/// The underlay: configuration plus the live tables.
pub struct Underlay {
    pub port_name: String,
    /// Dense datapath index of the underlay port.
    /// Dense datapath index of the underlay port; updated when ports are
    /// added or deleted at run time (indexes shift).
    pub port_index: std::sync::atomic::AtomicU16,
    /// Index of its bridge.
    pub bridge: u16,
    pub ip: Ipv4Addr,
    pub prefix_len: u8,
    pub mac: [u8; 6],
    pub mtu: u16,
    tables: ArcSwap<Tables>,
    pending: Mutex<HashMap<Ipv4Addr, Pending>>,
    /// Ages of the neighbours learnt by ARP (static ones are not here).
    learnt: Mutex<HashMap<Ipv4Addr, Learnt>>,
    statics: HashSet<Ipv4Addr>,
    /// How long a learnt neighbour stays without being confirmed.
    neighbour_timeout: Duration,
    resolve: ArrayQueue<Ipv4Addr>,
    /// ARP packets the PMDs punted.
    arp_in: Arc<ArrayQueue<Mbuf>>,
    /// Tunnel ports to decapsulate for (into [`TunnelDp`]).
    decap: Vec<DecapPort>,
}

/// Something to send on the underlay port, and whether the tables
/// changed (the caller publishes).
#[derive(Debug, Default)]
pub struct TickOutcome {
    pub send: Vec<Vec<u8>>,
    pub changed: bool,
}

impl Underlay {
    pub fn new(
        cfg: &UnderlayConfig,
        port_index: u16,
        bridge: u16,
        mac: [u8; 6],
        tunnels: &[TunnelConfig],
    ) -> Self {
        Underlay {
            port_name: cfg.port.clone(),
            port_index: std::sync::atomic::AtomicU16::new(port_index),
            bridge,
            ip: cfg.ip,
            prefix_len: cfg.prefix_len,
            mac,
            mtu: cfg.mtu,
            tables: ArcSwap::from_pointee(Tables {
                routes: RouteTable::new(cfg.ip, cfg.prefix_len, &cfg.routes),
                neighbours: cfg.neighbours.iter().copied().collect(),
            }),
            pending: Mutex::new(HashMap::new()),
            learnt: Mutex::new(HashMap::new()),
            statics: cfg.neighbours.iter().map(|(ip, _)| *ip).collect(),
            neighbour_timeout: Duration::from_secs(u64::from(cfg.neighbour_timeout)),
            resolve: ArrayQueue::new(RESOLVE_QUEUE),
            arp_in: Arc::new(ArrayQueue::new(fastpath::tunnel::ARP_QUEUE)),
            decap: tunnels.iter().map(decap_port).collect(),
        }
    }

    /// The underlay port's dense datapath index.
    pub fn port(&self) -> u16 {
        self.port_index.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The datapath's share: what to decapsulate, and the ARP queue.
    pub fn datapath(&self) -> TunnelDp {
        let mut t = TunnelDp::new(self.port(), u32::from(self.ip), self.decap.clone());
        t.arp_in = self.arp_in.clone();
        t
    }

    pub fn tables(&self) -> arc_swap::Guard<Arc<Tables>> {
        self.tables.load()
    }

    /// Asks the control side to resolve `ip` (from translation: never
    /// blocks; a full queue just means a later upcall asks again).
    pub fn request_resolution(&self, ip: Ipv4Addr) {
        let _ = self.resolve.push(ip);
    }

    fn update(&self, f: impl FnOnce(&mut Tables) -> bool) -> bool {
        let mut next = Tables::clone(&self.tables.load());
        let changed = f(&mut next);
        if changed {
            self.tables.store(Arc::new(next));
        }
        changed
    }

    /// One round of control work at `now`: punted ARP, resolution requests
    /// and retries. Returns the frames to send on the underlay port.
    pub fn tick(&self, now: Instant) -> TickOutcome {
        let mut out = TickOutcome::default();
        let mut learnt: Vec<(Ipv4Addr, [u8; 6])> = Vec::new();
        while let Some(m) = self.arp_in.pop() {
            let Some(a) = arp::parse(m.data()) else {
                continue;
            };
            if a.tpa != self.ip {
                continue;
            }
            if !a.spa.is_unspecified() {
                learnt.push((a.spa, a.sha));
            }
            if a.op == arp::OP_REQUEST {
                out.send.push(arp::reply(&a, self.mac));
            }
        }
        for (ip, mac) in learnt {
            out.changed |= self.learn_at(ip, mac, now);
        }
        out.changed |= self.age(now, &mut out.send);
        let tables = self.tables.load();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(ip) = self.resolve.pop() {
            if !tables.neighbours.contains_key(&ip) && pending.len() < MAX_PENDING {
                pending.entry(ip).or_insert(Pending {
                    tries: 0,
                    next: now,
                });
            }
        }
        for (ip, p) in pending.iter_mut() {
            if p.next <= now {
                p.tries += 1;
                p.next = now + ARP_RETRY;
                out.send.push(arp::request(self.mac, self.ip, *ip));
            }
        }
        out
    }

    /// Records that `ip` is at `mac` (from ARP); true when that changed
    /// the table (the caller publishes).
    pub fn learn(&self, ip: Ipv4Addr, mac: [u8; 6]) -> bool {
        self.learn_at(ip, mac, Instant::now())
    }

    /// [`learn`](Self::learn) at `now`: the neighbour is confirmed (its
    /// age starts again). Static neighbours are kept as configured.
    pub fn learn_at(&self, ip: Ipv4Addr, mac: [u8; 6], now: Instant) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ip);
        if self.statics.contains(&ip) {
            return false;
        }
        self.learnt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                ip,
                Learnt {
                    confirmed: now,
                    probes: 0,
                    next_probe: now,
                },
            );
        self.update(|t| t.neighbours.insert(ip, mac) != Some(mac))
    }

    /// Ages learnt neighbours at `now`: queues refresh requests for the
    /// old ones, drops the expired ones. True when the table changed.
    fn age(&self, now: Instant, send: &mut Vec<Vec<u8>>) -> bool {
        let timeout = self.neighbour_timeout;
        let refresh = timeout - timeout / 4;
        let tables = self.tables.load();
        let mut learnt = self.learnt.lock().unwrap_or_else(|e| e.into_inner());
        let mut expired = Vec::new();
        for (ip, l) in learnt.iter_mut() {
            let age = now.saturating_duration_since(l.confirmed);
            if age >= timeout {
                expired.push(*ip);
            } else if age >= refresh && l.next_probe <= now {
                // Unicast first (the neighbour is most likely still
                // there), as Linux does; then broadcast.
                let dst = match tables.neighbours.get(ip) {
                    Some(mac) if l.probes < UNICAST_PROBES => *mac,
                    _ => [0xff; 6],
                };
                l.probes += 1;
                l.next_probe = now + ARP_RETRY;
                send.push(arp::build(
                    arp::OP_REQUEST,
                    dst,
                    self.mac,
                    self.ip,
                    [0; 6],
                    *ip,
                ));
            }
        }
        for ip in &expired {
            learnt.remove(ip);
        }
        drop(learnt);
        if expired.is_empty() {
            return false;
        }
        tracing::info!("underlay: neighbours expired (no ARP answer): {expired:?}");
        self.update(|t| {
            for ip in &expired {
                t.neighbours.remove(ip);
            }
            true
        })
    }

    /// The neighbour table at `now`, with the ones still being resolved.
    pub fn neighbours_at(&self, now: Instant) -> Vec<NeighbourView> {
        let t = self.tables.load();
        let learnt = self.learnt.lock().unwrap_or_else(|e| e.into_inner());
        let refresh = self.neighbour_timeout - self.neighbour_timeout / 4;
        let mut v: Vec<NeighbourView> = t
            .neighbours
            .iter()
            .map(|(ip, mac)| NeighbourView {
                ip: *ip,
                mac: Some(*mac),
                state: match learnt.get(ip) {
                    None => NeighbourState::Static,
                    Some(l) => {
                        let age = now.saturating_duration_since(l.confirmed);
                        if age >= refresh {
                            NeighbourState::Refreshing {
                                age,
                                probes: l.probes,
                            }
                        } else {
                            NeighbourState::Reachable { age }
                        }
                    }
                },
            })
            .collect();
        drop(learnt);
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        v.extend(pending.iter().map(|(ip, p)| NeighbourView {
            ip: *ip,
            mac: None,
            state: NeighbourState::Incomplete { tries: p.tries },
        }));
        v.sort_by_key(|n| n.ip);
        v
    }

    /// [`neighbours_at`](Self::neighbours_at) now.
    pub fn neighbours(&self) -> Vec<NeighbourView> {
        self.neighbours_at(Instant::now())
    }

    /// Adds (or replaces) a static route; true when the table changed.
    pub fn route_add(&self, r: RouteConfig) -> bool {
        self.update(|t| {
            let before = t.routes.clone();
            t.routes.add(r);
            t.routes != before
        })
    }

    /// Removes a static route; an error when there is none.
    pub fn route_del(&self, dest: Ipv4Addr, len: u8) -> Result<(), String> {
        if self.update(|t| t.routes.del(dest, len)) {
            Ok(())
        } else {
            Err(format!("no static route to {dest}/{len}"))
        }
    }

    /// (route, is the connected one).
    pub fn routes(&self) -> Vec<(RouteConfig, bool)> {
        let t = self.tables.load();
        t.routes
            .all()
            .map(|r| (*r, t.routes.is_connected(r)))
            .collect()
    }

    /// In-port used for our own packet-outs.
    pub fn packet_out_in_port(&self) -> u32 {
        FROM_CONTROLLER
    }
}

fn decap_port(t: &TunnelConfig) -> DecapPort {
    DecapPort {
        kind: match t.tunnel_type {
            TunnelType::Vxlan => TunnelKind::Vxlan,
            TunnelType::Gre => TunnelKind::Gre,
            TunnelType::Geneve => TunnelKind::Geneve,
        },
        ofport: t.ofport,
        dst_port: t.dst_port,
        key: match t.key {
            TunnelKey::Flow => None,
            TunnelKey::Fixed(k) => Some(k),
        },
        remote: match t.remote_ip {
            TunnelRemote::Flow => None,
            TunnelRemote::Ip(ip) => Some(u32::from(ip)),
        },
    }
}
