//! The management socket's requests: the flow, group and meter commands,
//! megaflow dumps, and the dispatch of every request to its handler.
use std::time::Duration;

use fastpath::dpdk::tsc_hz;

use super::SwitchView;
use crate::mgmt::proto::{self, Body, Reply, Request};
use crate::mgmt::server::Handler;

impl SwitchView {
    /// Asks every PMD for its megaflows (each answers between bursts).
    fn dump_megaflows(
        &self,
        bridge: Option<&str>,
    ) -> std::result::Result<proto::MegaflowsReply, String> {
        use fastpath::pmd::mailbox::{Reply as R, Request as Q};
        if let Some(b) = bridge {
            self.bridge(b)?;
        }
        let hz = tsc_hz().max(1) as f64;
        let mut megaflows = Vec::new();
        for p in self.pmds.load().iter() {
            let Some(R::Megaflows(dump)) = p.mailbox.call(Q::DumpMegaflows, Duration::from_secs(2))
            else {
                return Err(format!("PMD on core {} did not answer", p.stats.core));
            };
            for m in dump {
                let Some(b) = self.bridges.get(usize::from(m.bridge)) else {
                    continue;
                };
                if bridge.is_some_and(|n| n != b.name) {
                    continue;
                }
                let snap = b.pipeline().snapshot();
                megaflows.push(proto::MegaflowInfo {
                    pmd: p.stats.core,
                    bridge: b.name.clone(),
                    match_: crate::flowsyntax::format_match(
                        &crate::pipeline::FlowMatch {
                            key: m.key,
                            mask: m.mask,
                        },
                        &crate::flowsyntax::NoPortNames,
                    ),
                    packets: m.packets,
                    bytes: m.bytes,
                    used_s: m.idle_tsc as f64 / hz,
                    actions: crate::bridge::dp_actions(&m.actions, snap.ports()),
                });
            }
        }
        Ok(proto::MegaflowsReply { megaflows })
    }

    fn flows_request(&self, req: Request) -> std::result::Result<Body, String> {
        let done = |message: String| Body::Done(proto::DoneReply { message });
        let changed = |r: std::result::Result<Body, String>| {
            if r.is_ok() {
                self.sync_pmds();
            }
            r
        };
        match req {
            Request::AddFlows { bridge, flows } => changed(
                self.bridge(&bridge)?
                    .add_flows(&flows)
                    .map(|n| done(plural(n, "flow", "added"))),
            ),
            Request::ModFlows {
                bridge,
                flow,
                strict,
            } => changed(
                self.bridge(&bridge)?
                    .mod_flows(&flow, strict)
                    .map(|()| done(String::new())),
            ),
            Request::DelFlows {
                bridge,
                filter,
                strict,
            } => changed(
                self.bridge(&bridge)?
                    .del_flows(&filter, strict)
                    .map(|n| done(plural(n, "flow", "deleted"))),
            ),
            Request::DumpFlows { bridge, filter } => {
                let bridge = self.bridge(&bridge)?;
                self.sync_credits();
                bridge.dump_flows(&filter).map(Body::Flows)
            }
            Request::AddGroups { bridge, groups } => changed(
                self.bridge(&bridge)?
                    .add_groups(&groups)
                    .map(|n| done(plural(n, "group", "added"))),
            ),
            Request::ModGroup { bridge, group } => changed(
                self.bridge(&bridge)?
                    .mod_group(&group)
                    .map(|()| done(String::new())),
            ),
            Request::DelGroups { bridge, filter } => changed(
                self.bridge(&bridge)?
                    .del_groups(&filter)
                    .map(|()| done(String::new())),
            ),
            Request::DumpGroups { bridge } => {
                let bridge = self.bridge(&bridge)?;
                self.sync_credits();
                Ok(Body::Groups(bridge.dump_groups()))
            }
            Request::AddMeters { bridge, meters } => changed(
                self.bridge(&bridge)?
                    .add_meters(&meters)
                    .map(|n| done(plural(n, "meter", "added"))),
            ),
            Request::DelMeters { bridge, filter } => changed(
                self.bridge(&bridge)?
                    .del_meters(&filter)
                    .map(|()| done(String::new())),
            ),
            Request::DumpMeters { bridge } => Ok(Body::Meters(self.bridge(&bridge)?.dump_meters())),
            Request::Trace { bridge, packet } => {
                self.bridge(&bridge)?.trace(&packet).map(Body::Trace)
            }
            Request::DumpMegaflows { bridge } => {
                self.dump_megaflows(bridge.as_deref()).map(Body::Megaflows)
            }
            Request::Show
            | Request::PortStats
            | Request::PmdStats { .. }
            | Request::AddPort { .. }
            | Request::DelPort { .. }
            | Request::Reload
            | Request::RouteAdd { .. }
            | Request::RouteDel { .. }
            | Request::RouteShow
            | Request::NeighShow => Err("not a flow request".into()),
        }
    }
}

fn plural(n: usize, what: &str, verb: &str) -> String {
    format!("{n} {what}{} {verb}", if n == 1 { "" } else { "s" })
}

impl Handler for SwitchView {
    fn handle(&self, req: Request) -> Reply {
        let body = match req {
            Request::Show => Ok(Body::Show(self.show())),
            Request::PortStats => Ok(Body::PortStats(self.port_stats())),
            Request::PmdStats { clear } => Ok(Body::PmdStats(self.pmd_stats(clear))),
            Request::AddPort {
                bridge,
                name,
                options,
            } => self
                .add_port(&bridge, &name, &options)
                .map(|message| Body::Done(proto::DoneReply { message })),
            Request::DelPort { name } => self
                .del_port(&name)
                .map(|message| Body::Done(proto::DoneReply { message })),
            Request::Reload => self
                .reload_config()
                .map(|message| Body::Done(proto::DoneReply { message })),
            Request::RouteAdd { .. }
            | Request::RouteDel { .. }
            | Request::RouteShow
            | Request::NeighShow => self.underlay_request(req),
            other => self.flows_request(other),
        };
        match body {
            Ok(b) => Reply::Ok(b),
            Err(e) => Reply::Error(e),
        }
    }
}
