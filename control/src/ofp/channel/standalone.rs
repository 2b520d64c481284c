//! The `standalone` fail mode: without a controller, the bridge acts as
//! an ordinary MAC-learning switch, as OVS's does.
//!
//! An internal learning agent takes the controller's place: it installs a
//! table-miss flow (cookie [`COOKIE`]) that sends packets to the control
//! side, learns source MACs from those packet-ins, installs a flow per
//! learned destination (idle timeout 60 s) and sends each packet on
//! (packet-out to the learned port, or FLOOD). It switches on once the
//! bridge has had no OpenFlow connection for [`HOLD`], and off (removing
//! its flows) once a connection has lasted that long, so short-lived
//! `ovs-ofctl` connections do not flip it.
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastpath::flow::Field;
use fsconfig::FailMode;

use super::Channel;
use crate::ofp::PortNo;
use crate::pipeline::{
    Action, FlowMatch, FlowMod, FlowModCommand, Instruction, CML_NO_BUFFER, TABLE_ALL,
};

/// Cookie of every flow the agent installs ("fa11" for fail-open).
pub const COOKIE: u64 = 0xfa11_0000_0000_0000;
/// How long the controller state must hold before the agent changes.
pub const HOLD: Duration = Duration::from_secs(3);
const IDLE_TIMEOUT: u16 = 60;

/// Per-bridge agent state.
#[derive(Debug, Default)]
pub(crate) struct Learner {
    pub active: bool,
    /// Since when the bridge has had connections / none.
    since: Option<(bool, Instant)>,
    macs: hashbrown::HashMap<[u8; 6], u32>,
}

/// Checks every bridge twice a second and switches agents on and off.
pub async fn watch(ch: Arc<Channel>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        for b in 0..ch.n_bridges() {
            let standalone = ch
                .view
                .bridge_config(b)
                .is_some_and(|c| c.fail_mode == FailMode::Standalone);
            if !standalone {
                continue;
            }
            let change = {
                let mut s = ch.bridge(b);
                // Management connections (ferroctl) are not controllers.
                let connected = s.conns.iter().any(|c| !c.service);
                let now = Instant::now();
                let l = &mut s.standalone;
                match l.since {
                    Some((c, _)) if c == connected => {}
                    _ => l.since = Some((connected, now)),
                }
                let held = l.since.is_some_and(|(_, t)| now.duration_since(t) >= HOLD);
                match (held, connected, l.active) {
                    (true, false, false) => Some(true),
                    (true, true, true) => Some(false),
                    _ => None,
                }
            };
            match change {
                Some(true) => activate(&ch, b),
                Some(false) => deactivate(&ch, b),
                None => {}
            }
        }
    }
}

fn apply(ch: &Channel, b: usize, fm: FlowMod) {
    let Some(bridge) = ch.view.bridges().get(b) else {
        return;
    };
    match bridge.pipeline().flow_mod(&fm, Instant::now()) {
        Ok(_) => {
            bridge.translator.publish();
        }
        Err(e) => tracing::warn!("standalone: {}: flow refused: {e}", bridge.name),
    }
}

fn activate(ch: &Channel, b: usize) {
    let fm = FlowMod {
        priority: 0,
        cookie: COOKIE,
        instructions: vec![Instruction::ApplyActions(vec![Action::Output {
            port: PortNo::CONTROLLER,
            max_len: CML_NO_BUFFER,
        }])],
        ..FlowMod::default()
    };
    apply(ch, b, fm);
    ch.view.sync_pmds();
    let mut s = ch.bridge(b);
    s.standalone.active = true;
    s.standalone.macs.clear();
    tracing::info!("OpenFlow: bridge {b}: no controller: standalone (MAC learning) on");
}

fn deactivate(ch: &Channel, b: usize) {
    let fm = FlowMod {
        command: FlowModCommand::Delete,
        table_id: TABLE_ALL,
        cookie: COOKIE,
        cookie_mask: u64::MAX,
        ..FlowMod::default()
    };
    apply(ch, b, fm);
    ch.view.sync_pmds();
    let mut s = ch.bridge(b);
    s.standalone.active = false;
    s.standalone.macs.clear();
    tracing::info!("OpenFlow: bridge {b}: controller connected: standalone off");
}

/// Handles a packet-in from the agent's table-miss flow. Returns false when
/// the packet is not the agent's (the caller delivers it to controllers).
pub fn handle(ch: &Channel, b: usize, in_port: u32, cookie: u64, data: &[u8]) -> bool {
    if cookie != COOKIE || data.len() < 14 {
        return false;
    }
    let mut dst = [0u8; 6];
    let mut src = [0u8; 6];
    dst.copy_from_slice(&data[0..6]);
    src.copy_from_slice(&data[6..12]);
    let out = {
        let mut s = ch.bridge(b);
        if !s.standalone.active {
            return false;
        }
        if src[0] & 1 == 0 {
            s.standalone.macs.insert(src, in_port);
        }
        s.standalone
            .macs
            .get(&dst)
            .copied()
            .filter(|&p| dst[0] & 1 == 0 && p != in_port)
    };
    let action = match out {
        Some(p) => {
            let mut m = FlowMatch::ANY;
            m.set(
                Field::InPort,
                u128::from(in_port),
                Field::InPort.max_value(),
            );
            m.set(Field::EthSrc, mac(src), Field::EthSrc.max_value());
            m.set(Field::EthDst, mac(dst), Field::EthDst.max_value());
            let output = Action::Output {
                port: PortNo(p),
                max_len: 0,
            };
            apply(
                ch,
                b,
                FlowMod {
                    priority: 1,
                    cookie: COOKIE,
                    idle_timeout: IDLE_TIMEOUT,
                    match_: m,
                    instructions: vec![Instruction::ApplyActions(vec![output.clone()])],
                    ..FlowMod::default()
                },
            );
            output
        }
        None => Action::Output {
            port: PortNo::FLOOD,
            max_len: 0,
        },
    };
    super::handlers::send_packet_out(ch, b, PortNo(in_port), &[action], data);
    true
}

fn mac(m: [u8; 6]) -> u128 {
    m.iter().fold(0u128, |acc, &x| (acc << 8) | u128::from(x))
}
