//! The packet-in pump: every millisecond it drains the packets the PMDs
//! punted and sends each as OFPT_PACKET_IN to the bridge's connections
//! that want it (role, async configuration, port NO_PACKET_IN), each
//! connection rate-limited by a token bucket. Packets nobody wants are
//! dropped, which frees their mbufs.
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastpath::flow::Field;
use fastpath::punt::PacketIn;

use super::Channel;
use crate::ofp::codec::{self, packet_in_reason, port_config, Message};
use crate::pipeline::{FlowMatch, CML_NO_BUFFER, METER_CONTROLLER, NO_BUFFER};
use fastpath::dpdk::{rdtsc, tsc_hz};
use fastpath::meter::MeterVerdict;

/// How often the pump runs.
pub const PUMP_EVERY: Duration = Duration::from_millis(1);
/// Packet-ins taken per run at most.
const BATCH: usize = 256;

/// Runs the pump forever.
pub async fn pump(ch: Arc<Channel>) {
    let mut tick = tokio::time::interval(PUMP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let batch = ch.view.take_packet_ins(BATCH);
            let n = batch.len();
            for pi in batch {
                deliver(&ch, pi);
            }
            if n < BATCH {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// The encoded OFPT_PACKET_IN for `pi`, its data cut to `max_len`.
pub fn encode(pi: &PacketIn, max_len: u16) -> Vec<u8> {
    let data = pi.packet.data();
    let n = if max_len == CML_NO_BUFFER {
        data.len()
    } else {
        data.len().min(usize::from(max_len))
    };
    let mut m = FlowMatch::ANY;
    m.set(
        Field::InPort,
        u128::from(pi.in_port),
        Field::InPort.max_value(),
    );
    // OpenFlow 1.3.5 §7.4.1: the pipeline fields that are set.
    if pi.metadata != 0 {
        m.set(
            Field::Metadata,
            u128::from(pi.metadata),
            Field::Metadata.max_value(),
        );
    }
    if pi.tunnel_id != 0 {
        m.set(
            Field::TunnelId,
            u128::from(pi.tunnel_id),
            Field::TunnelId.max_value(),
        );
    }
    codec::encode(
        0,
        &Message::PacketIn {
            buffer_id: NO_BUFFER,
            total_len: u16::try_from(data.len()).unwrap_or(u16::MAX),
            reason: pi.reason,
            table_id: pi.table_id,
            cookie: pi.cookie,
            match_: m,
            data: data[..n].to_vec(),
        },
    )
}

fn deliver(ch: &Channel, pi: PacketIn) {
    let b = usize::from(pi.bridge);
    if b >= ch.n_bridges() {
        return;
    }
    // The standalone agent's own table-miss packets.
    if super::standalone::handle(ch, b, pi.in_port, pi.cookie, pi.packet.data()) {
        return;
    }
    let (conns, max_len) = {
        let s = ch.bridge(b);
        if s.port_config.get(&pi.in_port).copied().unwrap_or(0) & port_config::NO_PACKET_IN != 0 {
            return;
        }
        // OFPM_CONTROLLER: when the controller installed this virtual
        // meter, it bounds everything sent on the controller path.
        if let Some(bridge) = ch.view.bridges().get(b) {
            if bridge.meters.contains(METER_CONTROLLER) {
                let len = u32::try_from(pi.packet.data().len()).unwrap_or(u32::MAX);
                let verdict = bridge
                    .meters
                    .apply(METER_CONTROLLER, len, rdtsc(), tsc_hz());
                if verdict == MeterVerdict::Drop {
                    return;
                }
            }
        }
        (s.conns.clone(), pi.max_len)
    };
    // Packets sent for a reason other than an output action are cut to
    // each connection's miss_send_len (OpenFlow 1.3.5 §A.3.2).
    let by_config = pi.reason == packet_in_reason::INVALID_TTL;
    let now = Instant::now();
    let mut msg: Option<(u16, Vec<u8>)> = None;
    for c in &conns {
        let len = {
            let mut ctl = c.ctl();
            if !ctl.wants(|a| a.packet_in_mask, pi.reason) {
                continue;
            }
            if !ctl.packet_in_limit.take(now) {
                ctl.packet_in_rate_drops += 1;
                continue;
            }
            if by_config {
                ctl.miss_send_len
            } else {
                max_len
            }
        };
        let m = match &msg {
            Some((l, m)) if *l == len => m.clone(),
            _ => {
                let m = encode(&pi, len);
                msg = Some((len, m.clone()));
                m
            }
        };
        if c.outbox.push_droppable(m) {
            c.ctl().packet_ins_sent += 1;
        }
    }
    // `pi` (and its mbuf) is freed here.
}
