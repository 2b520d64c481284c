//! The underlay's control work and management requests, on the
//! running switch: ARP answers, requests and retries every few
//! milliseconds; `ferroctl route add/del/show` and `neigh show`.
use std::time::Instant;

use super::NeighbourState;
use crate::mgmt::proto::{self, Body, Request};
use crate::switch::SwitchView;

impl SwitchView {
    /// Control work for the underlay (every few ms): answers ARP, sends
    /// ARP requests and retries, publishes neighbour changes.
    pub fn underlay_tick(&self) {
        let Some(u) = self.underlay() else {
            return;
        };
        let out = u.tick(Instant::now());
        for frame in &out.send {
            let actions = vec![fastpath::actions::DpAction::Output(u.port())];
            if let Err(e) = self.packet_out(u.bridge, u.packet_out_in_port(), actions, frame) {
                tracing::debug!("underlay ARP not sent: {e}");
            }
        }
        if out.changed {
            self.publish_underlay(u);
        }
    }

    fn publish_underlay(&self, u: &crate::underlay::Underlay) {
        if let Some(b) = self.bridges().get(usize::from(u.bridge)) {
            b.translator.publish_underlay();
        }
    }

    pub(crate) fn underlay_request(&self, req: Request) -> std::result::Result<Body, String> {
        let u = self
            .underlay()
            .ok_or("no [underlay] configured (tunnels need one)")?;
        match req {
            Request::RouteAdd { route } => {
                let r: fsconfig::RouteConfig =
                    route.parse().map_err(|e| format!("route {route:?}: {e}"))?;
                u.route_add(r);
                self.publish_underlay(u);
                self.sync_pmds();
                Ok(Body::Done(proto::DoneReply {
                    message: format!("route {r} added"),
                }))
            }
            Request::RouteDel { route } => {
                let (dest, len) = fsconfig::parse_prefix(&route, true)
                    .map_err(|e| format!("route {route:?}: {e}; expected DEST/LEN"))?;
                u.route_del(dest, len)?;
                self.publish_underlay(u);
                self.sync_pmds();
                Ok(Body::Done(proto::DoneReply {
                    message: format!("route {dest}/{len} removed"),
                }))
            }
            Request::RouteShow => Ok(Body::Routes(proto::RoutesReply {
                routes: u
                    .routes()
                    .into_iter()
                    .map(|(r, connected)| proto::RouteInfo {
                        dest: format!("{}/{}", r.dest, r.prefix_len),
                        via: r.via.map(|g| g.to_string()),
                        origin: if connected { "connected" } else { "static" }.into(),
                    })
                    .collect(),
            })),
            Request::NeighShow => Ok(Body::Neighbours(proto::NeighboursReply {
                port: u.port_name.clone(),
                neighbours: u
                    .neighbours()
                    .into_iter()
                    .map(|n| proto::NeighbourInfo {
                        ip: n.ip.to_string(),
                        mac: n.mac.map(|m| {
                            m.iter()
                                .map(|b| format!("{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(":")
                        }),
                        state: match n.state {
                            NeighbourState::Static => "permanent".into(),
                            NeighbourState::Reachable { age } => {
                                format!("reachable (confirmed {} s ago)", age.as_secs())
                            }
                            NeighbourState::Refreshing { age, probes } => format!(
                                "refreshing (confirmed {} s ago, {probes} ARP requests)",
                                age.as_secs()
                            ),
                            NeighbourState::Incomplete { tries } => {
                                format!("incomplete ({tries} ARP requests)")
                            }
                        },
                    })
                    .collect(),
            })),
            _ => Err("not an underlay request".into()),
        }
    }
}
