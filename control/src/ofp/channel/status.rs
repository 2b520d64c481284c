//! What `ferroctl show` tells of the OpenFlow channel: each listener and
//! configured controller with its state, and each connection on the
//! listeners or to a controller with its peer, role and age (as
//! `ovs-vsctl show` tells whether a controller is connected).
use std::time::Instant;

use super::Channel;
use crate::mgmt::proto::{OpenFlowConnection, OpenFlowEndpoint, OpenFlowInfo};
use crate::ofp::codec::role;

/// A listener or a configured controller of one bridge.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub kind: EndpointKind,
    /// As configured (`tcp:127.0.0.1:6653`).
    pub addr: String,
    pub state: EndpointState,
    /// When the state began (a new error in the same state keeps it:
    /// a controller down for a minute says a minute).
    pub since: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointKind {
    Listen,
    Controller,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EndpointState {
    Listening,
    /// The address cannot be bound yet (the error); retried with the
    /// backoff.
    BindRetrying(String),
    /// The first attempt.
    Connecting,
    Connected,
    /// Not connected: why the last attempt failed or the connection
    /// ended; attempts go on with the backoff.
    Down(String),
    /// Not started (the reason: an `ssl:` address without usable keys).
    Disabled(String),
}

impl EndpointState {
    fn describe(&self) -> (&'static str, Option<&str>) {
        match self {
            EndpointState::Listening => ("listening", None),
            EndpointState::BindRetrying(e) => ("cannot bind, retrying", Some(e)),
            EndpointState::Connecting => ("connecting", None),
            EndpointState::Connected => ("connected", None),
            EndpointState::Down(e) => ("disconnected, retrying", Some(e)),
            EndpointState::Disabled(e) => ("not started", Some(e)),
        }
    }
}

impl Channel {
    /// Registers a listener or controller of bridge `b`; the index is for
    /// [`Channel::set_endpoint`].
    pub(crate) fn add_endpoint(
        &self,
        b: usize,
        kind: EndpointKind,
        addr: String,
        state: EndpointState,
    ) -> usize {
        let mut st = self.bridge(b);
        st.endpoints.push(Endpoint {
            kind,
            addr,
            state,
            since: Instant::now(),
        });
        st.endpoints.len() - 1
    }

    /// Endpoint `i` of bridge `b` is now in `state`; the same state with
    /// another error keeps its start.
    pub(crate) fn set_endpoint(&self, b: usize, i: usize, state: EndpointState) {
        if let Some(e) = self.bridge(b).endpoints.get_mut(i) {
            if std::mem::discriminant(&e.state) != std::mem::discriminant(&state) {
                e.since = Instant::now();
            }
            e.state = state;
        }
    }

    /// The channel's state, per bridge, for `ferroctl show`. Management
    /// connections (ferroctl, `ovs-ofctl unix:`) are left out.
    pub fn status(&self) -> Vec<OpenFlowInfo> {
        let now = Instant::now();
        let bridges = self.view.bridges();
        (0..self.n_bridges())
            .map(|b| {
                let (endpoints, conns) = {
                    let st = self.bridge(b);
                    (st.endpoints.clone(), st.conns.clone())
                };
                OpenFlowInfo {
                    bridge: bridges.get(b).map(|x| x.name.clone()).unwrap_or_default(),
                    endpoints: endpoints
                        .iter()
                        .map(|e| {
                            let (state, error) = e.state.describe();
                            OpenFlowEndpoint {
                                kind: match e.kind {
                                    EndpointKind::Listen => "listen",
                                    EndpointKind::Controller => "controller",
                                }
                                .into(),
                                addr: e.addr.clone(),
                                state: state.into(),
                                error: error.map(str::to_string),
                                secs: now.duration_since(e.since).as_secs(),
                            }
                        })
                        .collect(),
                    connections: conns
                        .iter()
                        .filter(|c| !c.service)
                        .map(|c| {
                            let ctl = c.ctl();
                            OpenFlowConnection {
                                id: c.id,
                                peer: c.peer.clone(),
                                role: match ctl.role {
                                    role::MASTER => "master",
                                    role::SLAVE => "slave",
                                    _ => "equal",
                                }
                                .into(),
                                ready: ctl.ready,
                                secs: now.duration_since(c.since).as_secs(),
                                packet_ins_sent: ctl.packet_ins_sent,
                            }
                        })
                        .collect(),
                }
            })
            .collect()
    }
}
