//! Message-level tests, by subject; the shared fixtures (golden bytes,
//! one sample of every message) are here.
mod errors;
mod golden;
mod multipart;
mod round_trip;

use fastpath::flow::Field;
use proptest::prelude::*;

use super::action::tests::arb_action;
use super::instruction::tests::arb_instructions;
use super::oxm::tests::arb_match;
use super::*;
use crate::ofp::error::code;
use crate::ofp::{OfpErrorKind, PortNo};
use crate::pipeline::model::*;

/// Parses "04 00 00 10 ..." into bytes.
fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

const GOLDEN_HELLO: &str = "04 00 00 10 00 00 00 01 00 01 00 08 00 00 00 10";

const GOLDEN_FEATURES_REPLY: &str = "04 06 00 20 00 00 00 02 \
     00 00 02 42 ac 11 00 02 00 00 00 00 fe 00 00 00 00 00 00 4f 00 00 00 00";

/// ADD priority=100,ip,in_port=1,nw_dst=10.0.0.0/24 cookie:0x102030405060708
/// idle:10 send_flow_rem actions=output:2 (as `ovs-ofctl ofp-print` reads it).
const GOLDEN_FLOW_MOD: &str = "04 0e 00 68 00 00 00 2a \
     01 02 03 04 05 06 07 08 00 00 00 00 00 00 00 00 \
     00 00 00 0a 00 00 00 64 ff ff ff ff ff ff ff ff \
     ff ff ff ff 00 01 00 00 \
     00 01 00 1e 80 00 00 04 00 00 00 01 80 00 0a 02 08 00 \
     80 00 19 08 0a 00 00 00 ff ff ff 00 00 00 \
     00 04 00 18 00 00 00 00 \
     00 00 00 10 00 00 00 02 00 00 00 00 00 00 00 00";

fn golden_flow_mod() -> FlowMod {
    let mut m = FlowMatch::ANY;
    m.set(Field::InPort, 1, 0xffff_ffff);
    m.set(Field::EthType, 0x0800, 0xffff);
    m.set(Field::Ipv4Dst, 0x0a00_0000, 0xffff_ff00);
    FlowMod {
        command: FlowModCommand::Add,
        table_id: 0,
        priority: 100,
        cookie: 0x0102_0304_0506_0708,
        cookie_mask: 0,
        idle_timeout: 10,
        hard_timeout: 0,
        flags: flow_flags::SEND_FLOW_REM,
        buffer_id: NO_BUFFER,
        out_port: PortNo::ANY,
        out_group: GROUP_ANY,
        match_: m,
        instructions: vec![Instruction::ApplyActions(vec![Action::Output {
            port: PortNo(2),
            max_len: 0,
        }])],
    }
}

fn sample_match() -> FlowMatch {
    let mut m = FlowMatch::ANY;
    m.set(Field::InPort, 7, 0xffff_ffff);
    m.set(Field::EthType, 0x86dd, 0xffff);
    m.set(Field::IpProto, 58, 0xff);
    m.set(Field::Icmpv6Type, 135, 0xff);
    m.set(Field::Ipv6NdTarget, 0xfe80 << 112 | 1, u128::MAX);
    m.set(Field::Ipv6NdSll, 0x0200_0000_0001, 0xffff_ffff_ffff);
    m.set(Field::Metadata, 0x1200, 0xff00);
    m.set(Field::VlanVid, 0x1000 | 10, 0x1fff);
    m.set(Field::VlanPcp, 5, 7);
    m
}

fn sample_port() -> PortDesc {
    PortDesc {
        port_no: PortNo(3),
        hw_addr: [2, 0, 0, 0, 0, 3],
        name: "dpdk-p3".into(),
        config: port_config::NO_PACKET_IN,
        state: port_state::LIVE,
        curr: port_features::F_10GB_FD | port_features::FIBER,
        advertised: 0,
        supported: port_features::F_10GB_FD,
        peer: 0,
        curr_speed: 10_000_000,
        max_speed: 10_000_000,
    }
}

fn sample_group_mod() -> GroupMod {
    GroupMod {
        command: GroupModCommand::Add,
        group_type: GroupType::Select,
        group_id: 7,
        buckets: vec![
            Bucket {
                weight: 10,
                watch_port: PortNo::ANY,
                watch_group: GROUP_ANY,
                actions: vec![
                    Action::SetField {
                        field: Field::EthDst,
                        value: 0x0200_0000_0009,
                    },
                    Action::Output {
                        port: PortNo(1),
                        max_len: 0,
                    },
                ],
            },
            Bucket {
                weight: 20,
                watch_port: PortNo(2),
                watch_group: GROUP_ANY,
                actions: vec![Action::Output {
                    port: PortNo(2),
                    max_len: 0,
                }],
            },
        ],
    }
}

fn sample_meter_mod() -> MeterMod {
    MeterMod {
        command: MeterModCommand::Modify,
        flags: meter_flags::KBPS | meter_flags::BURST | meter_flags::STATS,
        meter_id: 5,
        bands: vec![
            MeterBand {
                band_type: MeterBandType::Drop,
                rate: 1000,
                burst_size: 100,
            },
            MeterBand {
                band_type: MeterBandType::DscpRemark { prec_level: 2 },
                rate: 500,
                burst_size: 50,
            },
        ],
    }
}

fn sample_flow_stats() -> FlowStats {
    FlowStats {
        table_id: 3,
        duration_sec: 10,
        duration_nsec: 500,
        priority: 1000,
        idle_timeout: 60,
        hard_timeout: 0,
        flags: flow_flags::SEND_FLOW_REM,
        cookie: 0xabcd,
        packet_count: 12,
        byte_count: 3456,
        match_: sample_match(),
        instructions: vec![
            Instruction::Meter(5),
            Instruction::ApplyActions(vec![Action::PopVlan]),
            Instruction::WriteMetadata {
                value: 1,
                mask: 0xff,
            },
            Instruction::GotoTable(4),
        ],
    }
}

fn sample_replies() -> Vec<MultipartReply> {
    vec![
        MultipartReply::Desc(SwitchDesc {
            mfr_desc: "ferroswitch project".into(),
            hw_desc: "DPDK".into(),
            sw_desc: "0.1.0".into(),
            serial_num: "None".into(),
            dp_desc: "br0".into(),
        }),
        MultipartReply::Flow(vec![sample_flow_stats(), sample_flow_stats()]),
        MultipartReply::Aggregate(AggregateStats {
            packet_count: 1,
            byte_count: 2,
            flow_count: 3,
        }),
        MultipartReply::Table(vec![TableStats {
            table_id: 0,
            active_count: 4,
            lookup_count: 100,
            matched_count: 90,
        }]),
        MultipartReply::PortStats(vec![PortStats {
            port_no: PortNo(1),
            rx_packets: 1,
            tx_packets: 2,
            rx_bytes: 3,
            tx_bytes: 4,
            rx_dropped: 5,
            tx_dropped: 6,
            rx_errors: 7,
            tx_errors: 8,
            rx_frame_err: 9,
            rx_over_err: 10,
            rx_crc_err: 11,
            collisions: 12,
            duration_sec: 13,
            duration_nsec: 14,
        }]),
        MultipartReply::Queue(vec![QueueStats {
            port_no: PortNo(1),
            queue_id: 2,
            tx_bytes: 3,
            tx_packets: 4,
            tx_errors: 5,
            duration_sec: 6,
            duration_nsec: 7,
        }]),
        MultipartReply::Group(vec![GroupStats {
            group_id: 7,
            ref_count: 1,
            packet_count: 2,
            byte_count: 3,
            duration_sec: 4,
            duration_nsec: 5,
            bucket_stats: vec![
                BucketCounter {
                    packet_count: 1,
                    byte_count: 64,
                },
                BucketCounter {
                    packet_count: 1,
                    byte_count: 64,
                },
            ],
        }]),
        MultipartReply::GroupDesc(vec![GroupDesc {
            group_type: GroupType::Select,
            group_id: 7,
            buckets: sample_group_mod().buckets,
        }]),
        MultipartReply::GroupFeatures(GroupFeatures {
            types: 0xf,
            capabilities: 0x3,
            max_groups: [1, 2, 3, 4],
            actions: [0x1, 0x2, 0x3, 0x4],
        }),
        MultipartReply::Meter(vec![MeterStats {
            meter_id: 5,
            flow_count: 1,
            packet_in_count: 2,
            byte_in_count: 3,
            duration_sec: 4,
            duration_nsec: 5,
            band_stats: vec![MeterBandStats {
                packet_band_count: 6,
                byte_band_count: 7,
            }],
        }]),
        MultipartReply::MeterConfig(vec![MeterConfig {
            flags: sample_meter_mod().flags,
            meter_id: 5,
            bands: sample_meter_mod().bands,
        }]),
        MultipartReply::MeterFeatures(MeterFeatures {
            max_meter: 1024,
            band_types: 0x6,
            capabilities: 0xf,
            max_bands: 4,
            max_color: 0,
        }),
        MultipartReply::TableFeatures(pipeline_table_features(2, 1_000_000)),
        MultipartReply::PortDesc(vec![sample_port(), sample_port()]),
    ]
}

fn sample_requests() -> Vec<MultipartRequest> {
    let fsr = FlowStatsRequest {
        table_id: TABLE_ALL,
        out_port: PortNo::ANY,
        out_group: GROUP_ANY,
        cookie: 1,
        cookie_mask: 3,
        match_: sample_match(),
    };
    vec![
        MultipartRequest::Desc,
        MultipartRequest::Flow(fsr.clone()),
        MultipartRequest::Aggregate(fsr),
        MultipartRequest::Table,
        MultipartRequest::PortStats {
            port_no: PortNo::ANY,
        },
        MultipartRequest::Queue {
            port_no: PortNo(1),
            queue_id: 0xffff_ffff,
        },
        MultipartRequest::Group {
            group_id: GROUP_ALL,
        },
        MultipartRequest::GroupDesc,
        MultipartRequest::GroupFeatures,
        MultipartRequest::Meter {
            meter_id: METER_ALL,
        },
        MultipartRequest::MeterConfig { meter_id: 3 },
        MultipartRequest::MeterFeatures,
        MultipartRequest::TableFeatures(vec![]),
        MultipartRequest::TableFeatures(pipeline_table_features(3, 10)),
        MultipartRequest::PortDesc,
    ]
}

/// One message of every type (and every multipart body).
fn samples() -> Vec<Message> {
    let async_cfg = AsyncConfig {
        packet_in_mask: [0x7, 0x0],
        port_status_mask: [0x7, 0x7],
        flow_removed_mask: [0xf, 0x0],
    };
    let mut v = vec![
        Message::Hello { bitmap: None },
        Message::Hello { bitmap: Some(0x12) },
        Message::Error {
            kind: OfpErrorKind::BadMatch(code::BAD_PREREQ),
            data: encode(5, &Message::BarrierRequest),
        },
        Message::ErrorExperimenter {
            exp_type: 3,
            experimenter: 0x2320,
            data: vec![1, 2],
        },
        Message::EchoRequest(b"ping".to_vec()),
        Message::EchoReply(vec![]),
        Message::Experimenter {
            experimenter: 0x2320,
            exp_type: 17,
            data: vec![9; 5],
        },
        Message::FeaturesRequest,
        Message::FeaturesReply {
            datapath_id: 0x1234,
            n_buffers: 256,
            n_tables: 255,
            auxiliary_id: 1,
            capabilities: 0x4f,
        },
        Message::GetConfigRequest,
        Message::GetConfigReply {
            flags: 0,
            miss_send_len: 128,
        },
        Message::SetConfig {
            flags: 1,
            miss_send_len: 0xffff,
        },
        Message::PacketIn {
            buffer_id: NO_BUFFER,
            total_len: 60,
            reason: packet_in_reason::ACTION,
            table_id: 2,
            cookie: 0xfeed,
            match_: {
                let mut m = FlowMatch::ANY;
                m.set(Field::InPort, 4, 0xffff_ffff);
                m.set(Field::Metadata, 99, u128::from(u64::MAX));
                m
            },
            data: (0..60).collect(),
        },
        Message::FlowRemoved {
            cookie: 1,
            priority: 2,
            reason: 1,
            table_id: 3,
            duration_sec: 4,
            duration_nsec: 5,
            idle_timeout: 6,
            hard_timeout: 7,
            packet_count: 8,
            byte_count: 9,
            match_: sample_match(),
        },
        Message::PortStatus {
            reason: port_reason::MODIFY,
            port: sample_port(),
        },
        Message::PacketOut {
            buffer_id: NO_BUFFER,
            in_port: PortNo::CONTROLLER,
            actions: vec![
                Action::PushVlan(0x8100),
                Action::SetField {
                    field: Field::VlanVid,
                    value: 0x1000 | 5,
                },
                Action::Output {
                    port: PortNo::TABLE,
                    max_len: 0,
                },
            ],
            data: vec![0xff; 64],
        },
        Message::FlowMod(golden_flow_mod()),
        Message::FlowMod(FlowMod {
            command: FlowModCommand::DeleteStrict,
            match_: sample_match(),
            instructions: sample_flow_stats().instructions,
            ..FlowMod::default()
        }),
        Message::GroupMod(sample_group_mod()),
        Message::PortMod {
            port_no: PortNo(3),
            hw_addr: [2, 0, 0, 0, 0, 3],
            config: port_config::PORT_DOWN,
            mask: port_config::PORT_DOWN,
            advertise: 0,
        },
        Message::TableMod {
            table_id: 1,
            config: 3,
        },
        Message::BarrierRequest,
        Message::BarrierReply,
        Message::QueueGetConfigRequest { port: PortNo(1) },
        Message::QueueGetConfigReply {
            port: PortNo(1),
            queues: vec![
                PacketQueue {
                    queue_id: 1,
                    port: PortNo(1),
                    properties: vec![QueueProp::MinRate(100), QueueProp::MaxRate(900)],
                },
                PacketQueue {
                    queue_id: 2,
                    port: PortNo(1),
                    properties: vec![QueueProp::Experimenter {
                        experimenter: 0x2320,
                        data: vec![1, 2, 3, 4, 5, 6, 7, 8],
                    }],
                },
            ],
        },
        Message::RoleRequest {
            role: role::MASTER,
            generation_id: 77,
        },
        Message::RoleReply {
            role: role::SLAVE,
            generation_id: 78,
        },
        Message::GetAsyncRequest,
        Message::GetAsyncReply(async_cfg),
        Message::SetAsync(async_cfg),
        Message::MeterMod(sample_meter_mod()),
    ];
    for body in sample_requests() {
        v.push(Message::MultipartRequest { flags: 0, body });
    }
    for body in sample_replies() {
        v.push(Message::MultipartReply {
            flags: multipart_flags::REPLY_MORE,
            body,
        });
    }
    v
}
