//! Ports as OpenFlow sees them: `ofp_port` descriptions, OFPT_PORT_MOD,
//! and OFPT_PORT_STATUS when a port's link state or config changes.
use std::sync::Arc;

use super::{Channel, PORT_POLL};
use crate::ofp::codec::{
    self, port_config, port_features as pf, port_reason, port_state, Message, PortDesc,
};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};
use crate::pipeline::{BridgePorts, PortInfo};
use crate::switch::PortView;

/// OFPPC_NO_FLOOD (OpenFlow 1.0's bit, which OVS also accepts for later
/// versions): leave the port out of output:FLOOD.
pub const NO_FLOOD: u32 = 1 << 4;
/// The OFPPC_* bits PORT_MOD may set.
const SETTABLE: u32 = port_config::PORT_DOWN
    | port_config::NO_RECV
    | NO_FLOOD
    | port_config::NO_FWD
    | port_config::NO_PACKET_IN;

/// OFPPF_* bits of the current link speed.
fn speed_features(p: &PortView) -> u32 {
    let fd = p.link.full_duplex;
    match p.link.speed_mbps {
        0 => 0,
        10 if fd => pf::F_10MB_FD,
        10 => pf::F_10MB_HD,
        100 if fd => pf::F_100MB_FD,
        100 => pf::F_100MB_HD,
        1000 if fd => pf::F_1GB_FD,
        1000 => pf::F_1GB_HD,
        10_000 => pf::F_10GB_FD,
        40_000 => pf::F_40GB_FD,
        100_000 => pf::F_100GB_FD,
        1_000_000 => pf::F_1TB_FD,
        _ => pf::OTHER,
    }
}

fn desc(p: &PortView, config: u32) -> PortDesc {
    let curr = speed_features(p);
    let kbps = p.link.speed_mbps.saturating_mul(1000);
    let down = !p.link.up || config & port_config::PORT_DOWN != 0;
    PortDesc {
        port_no: PortNo(p.ofport),
        hw_addr: p.mac,
        name: p.name.clone(),
        config,
        state: if down {
            port_state::LINK_DOWN
        } else {
            port_state::LIVE
        },
        curr,
        advertised: 0,
        supported: curr,
        peer: 0,
        curr_speed: if p.link.up { kbps } else { 0 },
        max_speed: kbps,
    }
}

/// The bridge's ports as `ofp_port`s, by port number.
pub fn descs(ch: &Channel, b: usize) -> Vec<PortDesc> {
    let views = ch.view.ports_of(b);
    let s = ch.bridge(b);
    let mut out: Vec<PortDesc> = views
        .iter()
        .map(|p| desc(p, s.port_config.get(&p.ofport).copied().unwrap_or(0)))
        .collect();
    // Tunnel ports are OpenFlow ports without a DPDK port of their own.
    if let Some(bc) = ch.view.bridge_config(b) {
        out.extend(bc.tunnels.iter().map(|t| PortDesc {
            port_no: PortNo(t.ofport),
            hw_addr: [0; 6],
            name: t.name.clone(),
            config: s.port_config.get(&t.ofport).copied().unwrap_or(0),
            state: port_state::LIVE,
            curr: 0,
            advertised: 0,
            supported: 0,
            peer: 0,
            curr_speed: 0,
            max_speed: 0,
        }));
    }
    out.sort_by_key(|d| d.port_no);
    out
}

/// Whether `ofport` is a port of bridge `b`.
pub fn exists(ch: &Channel, b: usize, ofport: u32) -> bool {
    ch.view.bridges()[b]
        .pipeline()
        .snapshot()
        .ports()
        .get(ofport)
        .is_some()
}

/// OFPT_PORT_MOD: stores the config bits (OFPPC_*), marks a port that is
/// down not live (fast failover), applies NO_FLOOD to the pipeline, and
/// reports the change with PORT_STATUS.
pub fn port_mod(
    ch: &Channel,
    b: usize,
    port_no: PortNo,
    hw_addr: [u8; 6],
    config: u32,
    mask: u32,
) -> Result<(), OfpError> {
    let Some(view) = ch
        .view
        .ports_of(b)
        .into_iter()
        .find(|p| p.ofport == port_no.0)
    else {
        return Err(OfpError::new(
            OfpErrorKind::PortModFailed(code::PM_BAD_PORT),
            format!("no port {port_no}"),
        ));
    };
    if view.mac != hw_addr {
        return Err(OfpError::new(
            OfpErrorKind::PortModFailed(code::PM_BAD_HW_ADDR),
            format!("port {port_no}'s hardware address is not the one given"),
        ));
    }
    if (config | mask) & !SETTABLE != 0 {
        return Err(OfpError::new(
            OfpErrorKind::PortModFailed(code::PM_BAD_CONFIG),
            format!(
                "config bits {:#x} are not supported",
                (config | mask) & !SETTABLE
            ),
        ));
    }
    let (was, now) = {
        let mut s = ch.bridge(b);
        let cur = s.port_config.entry(port_no.0).or_insert(0);
        let was = *cur;
        *cur = (*cur & !mask) | (config & mask);
        (was, *cur)
    };
    // PORT_DOWN also takes the link down where the driver can (the
    // datapath drops the port's traffic either way, see translation).
    let down = now & port_config::PORT_DOWN != 0;
    if down != (was & port_config::PORT_DOWN != 0) {
        if let Err(e) = ch.view.set_port_link(b, port_no.0, !down) {
            tracing::info!(
                "OpenFlow: {}: port {port_no}: link not changed: {e}",
                ch.view.bridges()[b].name
            );
        }
    }
    refresh(ch, b, true);
    Ok(())
}

/// Compares the bridge's ports with what was last reported: sends
/// PORT_STATUS (MODIFY) for each changed one (when `notify`), and keeps
/// the pipeline's liveness and no-flood flags in step.
pub fn refresh(ch: &Channel, b: usize, notify: bool) {
    let now = descs(ch, b);
    // (reason, port): ADD and DELETE for ports added or deleted at run
    // time (ferroctl add-port / del-port), MODIFY for changed ones.
    let changed: Vec<(u8, PortDesc)> = {
        let mut s = ch.bridge(b);
        let mut changed: Vec<(u8, PortDesc)> = now
            .iter()
            .filter_map(|d| match s.last_ports.get(&d.port_no.0) {
                None => Some((port_reason::ADD, d.clone())),
                Some(last) if last != d => Some((port_reason::MODIFY, d.clone())),
                Some(_) => None,
            })
            .collect();
        let mut gone: Vec<(u8, PortDesc)> = s
            .last_ports
            .values()
            .filter(|d| !now.iter().any(|n| n.port_no == d.port_no))
            .map(|d| (port_reason::DELETE, d.clone()))
            .collect();
        gone.sort_by_key(|(_, d)| d.port_no);
        changed.extend(gone);
        s.last_ports = now.iter().map(|d| (d.port_no.0, d.clone())).collect();
        changed
    };
    sync_pipeline_ports(ch, b, &now);
    if !notify || changed.is_empty() {
        return;
    }
    let conns = ch.conns(b);
    for (reason, d) in changed {
        tracing::info!(
            "OpenFlow: {}: port {} ({}) {}, config {:#x}",
            ch.view.bridges()[b].name,
            d.port_no,
            d.name,
            match reason {
                port_reason::ADD => "added",
                port_reason::DELETE => "deleted",
                _ if d.state & port_state::LINK_DOWN != 0 => "down",
                _ => "up",
            },
            d.config
        );
        let msg = codec::encode(0, &Message::PortStatus { reason, port: d });
        for c in &conns {
            if c.ctl().wants(|a| a.port_status_mask, reason) {
                c.outbox.push(msg.clone());
            }
        }
    }
}

/// Live: link up and not administratively down; no_flood from the config.
fn sync_pipeline_ports(ch: &Channel, b: usize, descs: &[PortDesc]) {
    let bridge = &ch.view.bridges()[b];
    let pipeline = bridge.pipeline();
    let cur = pipeline.snapshot();
    let next: Vec<PortInfo> = cur
        .ports()
        .iter()
        .map(|p| match descs.iter().find(|d| d.port_no.0 == p.ofport) {
            Some(d) => PortInfo {
                live: d.state & port_state::LINK_DOWN == 0,
                no_flood: d.config & NO_FLOOD != 0,
                ..*p
            },
            None => *p,
        })
        .collect();
    let next = BridgePorts::new(next).with_config(descs.iter().map(|d| (d.port_no.0, d.config)));
    if next != *cur.ports() {
        pipeline.set_ports(next);
        bridge.translator.publish();
    }
}

/// Polls link states every second.
pub async fn poll(ch: Arc<Channel>) {
    let mut tick = tokio::time::interval(PORT_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for b in 0..ch.n_bridges() {
            refresh(&ch, b, true);
        }
    }
}
