//! Message-level tests: golden bytes (checked against `ovs-ofctl
//! ofp-print`), round trips of every message type, exact error codes,
//! truncation and random input.
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

fn goldens() -> Vec<(Vec<u8>, u32, Message)> {
    vec![
        (
            hex(GOLDEN_HELLO),
            1,
            Message::Hello {
                bitmap: Some(1 << 4),
            },
        ),
        (
            hex(GOLDEN_FEATURES_REPLY),
            2,
            Message::FeaturesReply {
                datapath_id: 0x0242_ac11_0002,
                n_buffers: 0,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: 0x4f,
            },
        ),
        (
            hex(GOLDEN_FLOW_MOD),
            42,
            Message::FlowMod(golden_flow_mod()),
        ),
    ]
}

#[test]
fn golden_decode_and_encode() {
    for (bytes, xid, msg) in goldens() {
        let (h, got) = decode(&bytes).expect("golden decodes");
        assert_eq!(h.version, OFP_VERSION);
        assert_eq!(h.xid, xid);
        assert_eq!(usize::from(h.length), bytes.len());
        assert_eq!(h.msg_type, msg.msg_type());
        assert_eq!(got, msg);
        assert_eq!(encode(xid, &msg), bytes, "{msg:?}");
    }
}

/// Lengths at which a truncated golden message (with its header length
/// patched to match) is itself a valid message.
fn valid_truncations(msg_type: u8) -> &'static [usize] {
    match msg_type {
        msg_type::HELLO => &[8],
        // The flow mod without its instruction.
        msg_type::FLOW_MOD => &[80],
        _ => &[],
    }
}

#[test]
fn golden_truncated_at_every_length_fails() {
    for (bytes, _, msg) in goldens() {
        for n in 0..bytes.len() {
            let cut = &bytes[..n];
            // As cut: the header's length disagrees.
            let e = decode(cut).expect_err("truncated");
            assert_eq!(e.kind, OfpErrorKind::BadRequest(code::BAD_LEN), "{n}");
            // With the length patched the body itself is truncated.
            if n >= 8 {
                let mut p = cut.to_vec();
                p[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                let r = decode(&p);
                if !valid_truncations(msg.msg_type()).contains(&n) {
                    assert!(r.is_err(), "{msg:?} cut at {n} decoded: {r:?}");
                }
            }
        }
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

#[test]
fn every_message_round_trips() {
    let all = samples();
    let mut types: Vec<u8> = all.iter().map(Message::msg_type).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(
        types,
        (0..=29).collect::<Vec<u8>>(),
        "every OFPT_* is sampled"
    );
    for (i, msg) in all.into_iter().enumerate() {
        let xid = 1000 + i as u32;
        let b = encode(xid, &msg);
        assert_eq!(usize::from(u16::from_be_bytes([b[2], b[3]])), b.len());
        assert_eq!(frame(&b), Ok(Some(b.len())));
        let (h, got) = decode(&b).unwrap_or_else(|e| panic!("{msg:?}: {e}"));
        assert_eq!(h.xid, xid);
        assert_eq!(got, msg);
        // Messages are 8-byte aligned where the spec says so.
        if matches!(
            msg,
            Message::FlowMod(_)
                | Message::GroupMod(_)
                | Message::MeterMod(_)
                | Message::MultipartReply { .. }
                | Message::FlowRemoved { .. }
        ) {
            assert_eq!(b.len() % 8, 0, "{msg:?}");
        }
        // Truncating any message by any amount never panics, and cutting
        // a byte off anything with a fixed layout fails.
        for n in 0..b.len() {
            let mut p = b[..n].to_vec();
            if n >= 4 {
                p[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            }
            let _ = decode(&p);
        }
    }
}

/// Fixed-size structures: one byte more or less is BAD_LEN.
#[test]
fn fixed_sizes_are_exact() {
    let fixed = [
        Message::FeaturesRequest,
        Message::FeaturesReply {
            datapath_id: 1,
            n_buffers: 0,
            n_tables: 1,
            auxiliary_id: 0,
            capabilities: 0,
        },
        Message::GetConfigRequest,
        Message::SetConfig {
            flags: 0,
            miss_send_len: 128,
        },
        Message::BarrierRequest,
        Message::BarrierReply,
        Message::PortMod {
            port_no: PortNo(1),
            hw_addr: [0; 6],
            config: 0,
            mask: 0,
            advertise: 0,
        },
        Message::TableMod {
            table_id: 0,
            config: 0,
        },
        Message::RoleRequest {
            role: 0,
            generation_id: 0,
        },
        Message::GetAsyncRequest,
        Message::SetAsync(AsyncConfig::default()),
        Message::QueueGetConfigRequest { port: PortNo(1) },
        Message::PortStatus {
            reason: 0,
            port: sample_port(),
        },
        Message::MultipartRequest {
            flags: 0,
            body: MultipartRequest::PortStats { port_no: PortNo(1) },
        },
        Message::MultipartRequest {
            flags: 0,
            body: MultipartRequest::Desc,
        },
    ];
    let sizes = [8, 32, 8, 12, 8, 8, 40, 16, 24, 8, 32, 16, 80, 24, 16];
    for (msg, size) in fixed.iter().zip(sizes) {
        let b = encode(1, msg);
        assert_eq!(b.len(), size, "{msg:?}");
        for delta in [-1i32, 1, 8] {
            let n = (size as i32 + delta) as usize;
            let mut p = b.clone();
            p.resize(n, 0);
            p[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            let e = decode(&p).expect_err("wrong size");
            assert_eq!(
                e.kind,
                OfpErrorKind::BadRequest(code::BAD_LEN),
                "{msg:?} {n}"
            );
        }
    }
}

fn kind_of(b: &[u8]) -> OfpErrorKind {
    match decode(b) {
        Ok(m) => panic!("decoded {m:?}"),
        Err(e) => {
            assert!(!e.message.is_empty());
            e.kind
        }
    }
}

/// `msg` encoded, then `f` applied to the bytes, with the header length fixed up.
fn mutate(msg: &Message, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = encode(9, msg);
    f(&mut b);
    let n = b.len() as u16;
    b[2..4].copy_from_slice(&n.to_be_bytes());
    b
}

#[test]
fn error_codes_are_the_specs() {
    use OfpErrorKind::*;
    assert_eq!(BadRequest(code::BAD_VERSION).type_code(), (1, 0));
    assert_eq!(BadRequest(code::BAD_TYPE).type_code(), (1, 1));
    assert_eq!(BadRequest(code::BAD_MULTIPART).type_code(), (1, 2));
    assert_eq!(BadRequest(code::BAD_EXPERIMENTER).type_code(), (1, 3));
    assert_eq!(BadRequest(code::BAD_LEN).type_code(), (1, 6));
    assert_eq!(
        BadRequest(code::MULTIPART_BUFFER_OVERFLOW).type_code(),
        (1, 13)
    );
    assert_eq!(BadAction(code::BAD_ACTION_TYPE).type_code(), (2, 0));
    assert_eq!(BadAction(code::BAD_ACTION_LEN).type_code(), (2, 1));
    assert_eq!(BadAction(code::BAD_ACTION_EXPERIMENTER).type_code(), (2, 2));
    assert_eq!(BadAction(code::BAD_SET_TYPE).type_code(), (2, 13));
    assert_eq!(BadAction(code::BAD_SET_LEN).type_code(), (2, 14));
    assert_eq!(BadAction(code::BAD_SET_ARGUMENT).type_code(), (2, 15));
    assert_eq!(BadInstruction(code::UNKNOWN_INST).type_code(), (3, 0));
    assert_eq!(
        BadInstruction(code::BAD_INST_EXPERIMENTER).type_code(),
        (3, 5)
    );
    assert_eq!(BadInstruction(code::BAD_INST_LEN).type_code(), (3, 7));
    assert_eq!(BadMatch(code::BAD_MATCH_TYPE).type_code(), (4, 0));
    assert_eq!(BadMatch(code::BAD_MATCH_LEN).type_code(), (4, 1));
    assert_eq!(BadMatch(code::BAD_WILDCARDS).type_code(), (4, 5));
    assert_eq!(BadMatch(code::BAD_FIELD).type_code(), (4, 6));
    assert_eq!(BadMatch(code::BAD_VALUE).type_code(), (4, 7));
    assert_eq!(BadMatch(code::BAD_MASK).type_code(), (4, 8));
    assert_eq!(BadMatch(code::BAD_PREREQ).type_code(), (4, 9));
    assert_eq!(BadMatch(code::DUP_FIELD).type_code(), (4, 10));
    assert_eq!(FlowModFailed(code::BAD_COMMAND).type_code(), (5, 6));
    assert_eq!(FlowModFailed(code::BAD_FLAGS).type_code(), (5, 7));
    assert_eq!(GroupModFailed(code::BAD_GROUP_TYPE).type_code(), (6, 10));
    assert_eq!(GroupModFailed(code::BAD_GROUP_COMMAND).type_code(), (6, 11));
    assert_eq!(GroupModFailed(code::BAD_BUCKET).type_code(), (6, 12));
    assert_eq!(RoleRequestFailed(code::RR_BAD_ROLE).type_code(), (11, 2));
    assert_eq!(MeterModFailed(code::BAD_METER_COMMAND).type_code(), (12, 4));
    assert_eq!(MeterModFailed(code::BAD_METER_FLAGS).type_code(), (12, 5));
    assert_eq!(MeterModFailed(code::BAD_BAND).type_code(), (12, 8));
    assert_eq!(TableFeaturesFailed(code::TF_BAD_LEN).type_code(), (13, 3));
}

#[test]
fn header_errors() {
    use OfpErrorKind::BadRequest;
    // Too short for a header: xid unknown.
    let e = decode(&[4, 0, 0]).expect_err("short");
    assert_eq!((e.kind, e.xid), (BadRequest(code::BAD_LEN), 0));
    // Length field disagrees.
    let e = decode(&hex("04 05 00 10 00 00 00 07")).expect_err("len");
    assert_eq!((e.kind, e.xid), (BadRequest(code::BAD_LEN), 7));
    // Wrong version on anything but HELLO.
    let e = decode(&hex("01 05 00 08 00 00 00 07")).expect_err("version");
    assert_eq!((e.kind, e.xid), (BadRequest(code::BAD_VERSION), 7));
    assert!(e.message.contains("features_request"), "{}", e.message);
    assert_eq!(
        kind_of(&hex("05 02 00 08 00 00 00 07")),
        BadRequest(code::BAD_VERSION)
    );
    // HELLO of any version is accepted.
    let (h, m) = decode(&hex("01 00 00 08 00 00 00 07")).expect("1.0 hello");
    assert_eq!((h.version, m), (1, Message::Hello { bitmap: None }));
    let (h, m) = decode(&hex("06 00 00 10 00 00 00 07 00 01 00 08 00 00 00 52")).expect("hello");
    assert_eq!((h.version, m), (6, Message::Hello { bitmap: Some(0x52) }));
    // Unknown types.
    assert_eq!(
        kind_of(&hex("04 1e 00 08 00 00 00 07")),
        BadRequest(code::BAD_TYPE)
    );
    assert_eq!(
        kind_of(&hex("04 ff 00 08 00 00 00 07")),
        BadRequest(code::BAD_TYPE)
    );
    // Body where none belongs.
    assert_eq!(
        kind_of(&hex("04 14 00 10 00 00 00 07 00 00 00 00 00 00 00 00")),
        BadRequest(code::BAD_LEN)
    );
}

#[test]
fn hello_elements() {
    // Unknown element types are skipped; the bitmap may have several
    // words (only the first matters up to version 31); padding honoured.
    let (_, m) = decode(&hex("04 00 00 20 00 00 00 01 00 07 00 05 aa 00 00 00 \
         00 01 00 0c 00 00 00 18 00 00 00 00 00 00 00 00"))
    .expect("hello");
    assert_eq!(m, Message::Hello { bitmap: Some(0x18) });
    // Malformed: element length below 4, overrunning, bitmap not words,
    // padding missing.
    for bad in [
        "04 00 00 10 00 00 00 01 00 01 00 02 00 00 00 10",
        "04 00 00 10 00 00 00 01 00 01 00 10 00 00 00 10",
        "04 00 00 10 00 00 00 01 00 01 00 06 00 10 00 00",
        "04 00 00 0c 00 00 00 01 00 02 00 04",
        "04 00 00 0e 00 00 00 01 00 01 00 06 00 10",
    ] {
        assert_eq!(
            kind_of(&hex(bad)),
            OfpErrorKind::BadRequest(code::BAD_LEN),
            "{bad}"
        );
    }
}

#[test]
fn experimenter_and_error_messages() {
    // EXPERIMENTER decodes; the caller answers BAD_EXPERIMENTER.
    let (_, m) = decode(&hex(
        "04 04 00 14 00 00 00 01 00 00 23 20 00 00 00 05 01 02 03 04",
    ))
    .expect("experimenter");
    assert_eq!(
        m,
        Message::Experimenter {
            experimenter: 0x2320,
            exp_type: 5,
            data: vec![1, 2, 3, 4]
        }
    );
    assert_eq!(
        kind_of(&hex("04 04 00 0c 00 00 00 01 00 00 23 20")),
        OfpErrorKind::BadRequest(code::BAD_LEN)
    );
    // ERROR with an unknown type.
    assert_eq!(
        kind_of(&hex("04 01 00 0c 00 00 00 01 00 20 00 00")),
        OfpErrorKind::BadRequest(code::BAD_TYPE)
    );
    assert_eq!(
        kind_of(&hex("04 01 00 0a 00 00 00 01 00 01")),
        OfpErrorKind::BadRequest(code::BAD_LEN)
    );
}

#[test]
fn flow_mod_errors() {
    use OfpErrorKind::*;
    let fm = Message::FlowMod(golden_flow_mod());
    // Offsets in the encoded golden flow mod.
    const COMMAND: usize = 25;
    const FLAGS: usize = 44;
    const MATCH: usize = 48;
    const INST: usize = 80;
    let b = mutate(&fm, |b| b[COMMAND] = 5);
    assert_eq!(kind_of(&b), FlowModFailed(code::BAD_COMMAND));
    let b = mutate(&fm, |b| b[FLAGS + 1] = 0x20);
    assert_eq!(kind_of(&b), FlowModFailed(code::BAD_FLAGS));
    // OFPMT_STANDARD.
    let b = mutate(&fm, |b| b[MATCH + 1] = 0);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_MATCH_TYPE));
    // Match length overrunning the message.
    let b = mutate(&fm, |b| b[MATCH + 3] = 0xf0);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_MATCH_LEN));
    // ipv4_dst with value bits outside the mask.
    let b = mutate(&fm, |b| b[MATCH + 4 + 14 + 4 + 3] = 1);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_WILDCARDS));
    // ipv4_dst's prerequisite eth_type=0x0800 changed to ARP.
    let b = mutate(&fm, |b| b[MATCH + 4 + 8 + 5] = 0x06);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_PREREQ));
    // eth_type turned into an unknown field number.
    let b = mutate(&fm, |b| b[MATCH + 4 + 8 + 2] = 0x7f << 1);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_FIELD));
    // in_port duplicated (eth_type's header made in_port's: length differs).
    let b = mutate(&fm, |b| b[MATCH + 4 + 8 + 2] = 0);
    assert_eq!(kind_of(&b), BadMatch(code::BAD_MATCH_LEN));
    // Unknown instruction, bad instruction length.
    let b = mutate(&fm, |b| b[INST + 1] = 9);
    assert_eq!(kind_of(&b), BadInstruction(code::UNKNOWN_INST));
    let b = mutate(&fm, |b| b[INST + 3] = 0x14);
    assert_eq!(kind_of(&b), BadInstruction(code::BAD_INST_LEN));
    // Unknown action, bad action length.
    let b = mutate(&fm, |b| b[INST + 9] = 99);
    assert_eq!(kind_of(&b), BadAction(code::BAD_ACTION_TYPE));
    let b = mutate(&fm, |b| b[INST + 11] = 8);
    assert_eq!(kind_of(&b), BadAction(code::BAD_ACTION_LEN));
    // Too short for ofp_flow_mod.
    let b = mutate(&fm, |b| b.truncate(48));
    assert_eq!(kind_of(&b), BadRequest(code::BAD_LEN));
    // Duplicate field: a match of in_port twice.
    let b = mutate(&fm, |b| {
        b.truncate(MATCH);
        b.extend_from_slice(&[0, 1, 0, 20, 0x80, 0, 0, 4, 0, 0, 0, 1]);
        b.extend_from_slice(&[0x80, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0]);
    });
    assert_eq!(kind_of(&b), BadMatch(code::DUP_FIELD));
    // The error text names the message and the field.
    let e = decode(&mutate(&fm, |b| b[MATCH + 4 + 14 + 4 + 3] = 1)).expect_err("bad");
    assert!(
        e.message
            .starts_with("flow_mod: OXM field 0x8000:12 (ipv4_dst)"),
        "{}",
        e.message
    );
}

#[test]
fn group_meter_and_other_errors() {
    use OfpErrorKind::*;
    let gm = Message::GroupMod(sample_group_mod());
    assert_eq!(
        kind_of(&mutate(&gm, |b| b[10] = 4)),
        GroupModFailed(code::BAD_GROUP_TYPE)
    );
    assert_eq!(
        kind_of(&mutate(&gm, |b| b[9] = 3)),
        GroupModFailed(code::BAD_GROUP_COMMAND)
    );
    assert_eq!(
        kind_of(&mutate(&gm, |b| b[17] = 8)),
        GroupModFailed(code::BAD_BUCKET)
    );
    assert_eq!(
        kind_of(&mutate(&gm, |b| b[17] = 0xf8)),
        GroupModFailed(code::BAD_BUCKET)
    );
    assert_eq!(
        kind_of(&mutate(&gm, |b| b.push(0))),
        GroupModFailed(code::BAD_BUCKET)
    );
    assert_eq!(
        kind_of(&mutate(&gm, |b| b.truncate(12))),
        BadRequest(code::BAD_LEN)
    );
    // An action error inside a bucket.
    assert_eq!(
        kind_of(&mutate(&gm, |b| b[33] = 99)),
        BadAction(code::BAD_ACTION_TYPE)
    );

    let mm = Message::MeterMod(sample_meter_mod());
    assert_eq!(
        kind_of(&mutate(&mm, |b| b[9] = 3)),
        MeterModFailed(code::BAD_METER_COMMAND)
    );
    assert_eq!(
        kind_of(&mutate(&mm, |b| b[11] = 0x10)),
        MeterModFailed(code::BAD_METER_FLAGS)
    );
    assert_eq!(
        kind_of(&mutate(&mm, |b| b[17] = 3)),
        MeterModFailed(code::BAD_BAND)
    );
    assert_eq!(
        kind_of(&mutate(&mm, |b| b[16..18].copy_from_slice(&[0xff, 0xff]))),
        MeterModFailed(code::BAD_BAND)
    );
    assert_eq!(
        kind_of(&mutate(&mm, |b| b[19] = 8)),
        BadRequest(code::BAD_LEN)
    );
    assert_eq!(
        kind_of(&mutate(&mm, |b| b.truncate(40))),
        BadRequest(code::BAD_LEN)
    );

    // Packet-out whose actions_len overruns the message.
    let po = samples()
        .into_iter()
        .find(|m| matches!(m, Message::PacketOut { .. }))
        .expect("sample");
    assert_eq!(
        kind_of(&mutate(&po, |b| b.truncate(40))),
        BadRequest(code::BAD_LEN)
    );
    assert_eq!(
        kind_of(&mutate(&po, |b| b[17] = 0xff)),
        BadRequest(code::BAD_LEN)
    );

    // Role request with an unknown role.
    let rr = Message::RoleRequest {
        role: 0,
        generation_id: 0,
    };
    assert_eq!(
        kind_of(&mutate(&rr, |b| b[11] = 4)),
        RoleRequestFailed(code::RR_BAD_ROLE)
    );
}

#[test]
fn multipart_errors() {
    use OfpErrorKind::*;
    let req = |t: u16, body: &[u8]| {
        let mut b = hex("04 12 00 00 00 00 00 05");
        b.extend_from_slice(&t.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(body);
        let n = b.len() as u16;
        b[2..4].copy_from_slice(&n.to_be_bytes());
        b
    };
    assert_eq!(kind_of(&req(14, &[])), BadRequest(code::BAD_MULTIPART));
    assert_eq!(kind_of(&req(0x8000, &[])), BadRequest(code::BAD_MULTIPART));
    assert_eq!(
        kind_of(&req(0xffff, &[0, 0, 0x23, 0x20, 0, 0, 0, 1])),
        BadRequest(code::BAD_EXPERIMENTER)
    );
    assert_eq!(kind_of(&req(0, &[0; 8])), BadRequest(code::BAD_LEN));
    assert_eq!(kind_of(&req(4, &[0; 4])), BadRequest(code::BAD_LEN));
    assert_eq!(kind_of(&req(1, &[0; 32])), BadRequest(code::BAD_LEN));
    assert_eq!(
        kind_of(&hex("04 12 00 0c 00 00 00 05 00 00 00 00")),
        BadRequest(code::BAD_LEN)
    );
    // Table features request with a short entry.
    assert_eq!(
        kind_of(&req(12, &[0, 8, 0, 0, 0, 0, 0, 0])),
        TableFeaturesFailed(code::TF_BAD_LEN)
    );
    let (_, m) = decode(&req(13, &[])).expect("port desc");
    assert_eq!(
        m,
        Message::MultipartRequest {
            flags: 0,
            body: MultipartRequest::PortDesc
        }
    );
}

#[test]
fn error_message_carries_the_request() {
    let bad = mutate(&Message::FlowMod(golden_flow_mod()), |b| b[25] = 9);
    let e = decode(&bad).expect_err("bad command");
    assert_eq!(e.xid, 9);
    let reply = e.error_message(&bad);
    assert_eq!(reply.len(), 12 + 64);
    assert_eq!(&reply[..8], &[4, 1, 0, 76, 0, 0, 0, 9]);
    assert_eq!(&reply[8..12], &[0, 5, 0, 6]);
    assert_eq!(&reply[12..], &bad[..64]);
    let (_, m) = decode(&reply).expect("error decodes");
    assert_eq!(
        m,
        Message::Error {
            kind: OfpErrorKind::FlowModFailed(code::BAD_COMMAND),
            data: bad[..64].to_vec()
        }
    );
    // Short requests are echoed whole.
    let e = decode(&[4, 0x30, 0, 8, 0, 0, 0, 3]).expect_err("bad type");
    assert_eq!(e.error_message(&[4, 0x30, 0, 8, 0, 0, 0, 3]).len(), 20);
}

#[test]
fn framing() {
    assert_eq!(frame(&[]), Ok(None));
    assert_eq!(frame(&[4, 0, 0, 8, 0, 0, 0]), Ok(None));
    let e = frame(&[4, 0, 0, 4, 0, 0, 0, 5]).expect_err("short length");
    assert_eq!(
        (e.kind, e.xid),
        (OfpErrorKind::BadRequest(code::BAD_LEN), 5)
    );
    let mut two = hex(GOLDEN_HELLO);
    two.extend(hex(GOLDEN_FEATURES_REPLY));
    assert_eq!(frame(&two), Ok(Some(16)));
    assert_eq!(frame(&two[16..]), Ok(Some(32)));
    assert_eq!(frame(&two[16..40]), Ok(None));
}

/// Array elements in a multipart reply (1 for single structs).
fn elements(m: &Message) -> usize {
    match m {
        Message::MultipartReply { body, .. } => match body {
            MultipartReply::Flow(v) => v.len(),
            MultipartReply::Table(v) => v.len(),
            MultipartReply::PortStats(v) => v.len(),
            MultipartReply::Queue(v) => v.len(),
            MultipartReply::Group(v) => v.len(),
            MultipartReply::GroupDesc(v) => v.len(),
            MultipartReply::Meter(v) => v.len(),
            MultipartReply::MeterConfig(v) => v.len(),
            MultipartReply::TableFeatures(v) => v.len(),
            MultipartReply::PortDesc(v) => v.len(),
            _ => 1,
        },
        _ => 1,
    }
}

/// Decodes every part of a split reply, checks the MORE flags and size
/// bound, and returns the bodies.
fn decode_parts(parts: &[Vec<u8>], xid: u32, max: usize) -> Vec<MultipartReply> {
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (h, m) = decode(p).expect("part decodes");
            if elements(&m) > 1 {
                assert!(
                    p.len() <= max.clamp(64, 65535),
                    "part {i} has {} bytes",
                    p.len()
                );
            }
            assert_eq!(h.xid, xid);
            match m {
                Message::MultipartReply { flags, body } => {
                    let more = flags & multipart_flags::REPLY_MORE != 0;
                    assert_eq!(more, i + 1 < n, "MORE on part {i} of {n}");
                    body
                }
                other => panic!("{other:?}"),
            }
        })
        .collect()
}

#[test]
fn multipart_replies_split() {
    // 100 ports of 64 bytes in messages of at most 1000 bytes: 15 per
    // message (16 + 15 * 64 = 976).
    let ports: Vec<PortDesc> = (1..=100)
        .map(|i| PortDesc {
            port_no: PortNo(i),
            name: format!("p{i}"),
            ..sample_port()
        })
        .collect();
    let parts = encode_multipart_reply(5, MultipartReply::PortDesc(ports.clone()), 1000);
    assert_eq!(parts.len(), 7);
    let mut got = Vec::new();
    for b in decode_parts(&parts, 5, 1000) {
        match b {
            MultipartReply::PortDesc(v) => got.extend(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, ports);

    // Flows, every split size.
    let flows: Vec<FlowStats> = (0..20)
        .map(|i| FlowStats {
            priority: i,
            ..sample_flow_stats()
        })
        .collect();
    for max in [0, 100, 300, 1000, 5000, 100_000] {
        let parts = encode_multipart_reply(6, MultipartReply::Flow(flows.clone()), max);
        let mut got = Vec::new();
        for b in decode_parts(&parts, 6, max) {
            match b {
                MultipartReply::Flow(v) => got.extend(v),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, flows, "max {max}");
    }

    // Empty array: one empty message; single structs: one message.
    let parts = encode_multipart_reply(7, MultipartReply::Group(vec![]), 1000);
    assert_eq!(
        decode_parts(&parts, 7, 1000),
        vec![MultipartReply::Group(vec![])]
    );
    for body in sample_replies() {
        let parts = encode_multipart_reply(8, body.clone(), 65535);
        assert_eq!(parts.len(), 1);
        assert_eq!(decode_parts(&parts, 8, 65535), vec![body]);
    }
}

#[test]
fn table_features_for_the_pipeline() {
    let tfs = pipeline_table_features(255, 1_000_000);
    assert_eq!(tfs.len(), 255);
    let parts = encode_multipart_reply(11, MultipartReply::TableFeatures(tfs.clone()), 65535);
    assert!(parts.len() > 1, "255 tables need several messages");
    let mut got = Vec::new();
    for b in decode_parts(&parts, 11, 65535) {
        match b {
            MultipartReply::TableFeatures(v) => got.extend(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, tfs);
    // Each entry: 64 bytes plus 8-aligned properties; the last table has
    // no goto_table and no next tables.
    let mut one = Vec::new();
    super::table_features::encode_table_features(&mut one, &tfs[0]);
    assert!(one.len() >= 64 && one.len() % 8 == 0);
    assert_eq!(usize::from(u16::from_be_bytes([one[0], one[1]])), one.len());
    let last = &tfs[254];
    for p in &last.properties {
        match p {
            TableFeatureProp::Instructions { ids, .. } => {
                assert!(!ids.contains(&inst_type::GOTO_TABLE))
            }
            TableFeatureProp::NextTables { tables, .. } => assert!(tables.is_empty()),
            _ => {}
        }
    }
    let first = &tfs[0];
    assert!(first.properties.iter().any(|p| matches!(
        p,
        TableFeatureProp::NextTables { miss: false, tables } if tables.len() == 254
    )));
    // Match advertises ipv4_dst maskable, in_port exact.
    let m = first
        .properties
        .iter()
        .find_map(|p| match p {
            TableFeatureProp::Match(ids) => Some(ids.clone()),
            _ => None,
        })
        .expect("match property");
    assert!(m.contains(&field_header(Field::Ipv4Dst, true)));
    assert!(m.contains(&field_header(Field::InPort, false)));
}

#[test]
fn multipart_request_reassembly() {
    let tfs = pipeline_table_features(3, 10);
    let part = |xid: u32, more: bool, body: MultipartRequest| {
        let flags = if more { multipart_flags::REQ_MORE } else { 0 };
        let b = encode(xid, &Message::MultipartRequest { flags, body });
        let (h, m) = decode(&b).expect("part");
        match m {
            Message::MultipartRequest { flags, body } => (h, flags, body),
            other => panic!("{other:?}"),
        }
    };
    let mut a = MultipartAssembler::default();
    // Plain requests pass straight through.
    let (h, f, b) = part(1, false, MultipartRequest::Desc);
    assert_eq!(a.push(&h, f, b), Ok(Some(MultipartRequest::Desc)));
    // Three parts of table features.
    for (i, tf) in tfs.iter().enumerate() {
        let (h, f, b) = part(2, i < 2, MultipartRequest::TableFeatures(vec![tf.clone()]));
        let r = a.push(&h, f, b).expect("part accepted");
        if i < 2 {
            assert_eq!(r, None);
            assert_eq!(a.pending(), 1);
        } else {
            assert_eq!(r, Some(MultipartRequest::TableFeatures(tfs.clone())));
            assert_eq!(a.pending(), 0);
        }
    }
    // REQ_MORE on a type that cannot be split.
    let (h, _, b) = part(3, true, MultipartRequest::Desc);
    let e = a.push(&h, multipart_flags::REQ_MORE, b).expect_err("desc");
    assert_eq!(
        (e.kind, e.xid),
        (OfpErrorKind::BadRequest(code::BAD_MULTIPART), 3)
    );
    // A different type continuing a pending xid.
    let (h, f, b) = part(4, true, MultipartRequest::TableFeatures(vec![]));
    assert_eq!(a.push(&h, f, b), Ok(None));
    let (h, f, b) = part(4, false, MultipartRequest::PortDesc);
    let e = a.push(&h, f, b).expect_err("mixed");
    assert_eq!(e.kind, OfpErrorKind::BadRequest(code::BAD_MULTIPART));
    assert_eq!(a.pending(), 0);
    // Byte bound.
    let mut small = MultipartAssembler::new(2000, 4);
    let mut overflow = None;
    for _ in 0..10 {
        let (h, f, b) = part(
            5,
            true,
            MultipartRequest::TableFeatures(vec![tfs[0].clone()]),
        );
        if let Err(e) = small.push(&h, f, b) {
            overflow = Some(e);
            break;
        }
    }
    let e = overflow.expect("overflows");
    assert_eq!(
        e.kind,
        OfpErrorKind::BadRequest(code::MULTIPART_BUFFER_OVERFLOW)
    );
    assert_eq!(e.kind.type_code(), (1, 13));
    assert_eq!(small.pending(), 0);
    // Pending bound.
    for xid in 10..14 {
        let (h, f, b) = part(xid, true, MultipartRequest::TableFeatures(vec![]));
        assert_eq!(small.push(&h, f, b), Ok(None));
    }
    let (h, f, b) = part(20, true, MultipartRequest::TableFeatures(vec![]));
    let e = small.push(&h, f, b).expect_err("too many pending");
    assert_eq!(
        e.kind,
        OfpErrorKind::BadRequest(code::MULTIPART_BUFFER_OVERFLOW)
    );
    small.clear();
    assert_eq!(small.pending(), 0);
}

/// Runs `ovs-ofctl -O OpenFlow13 ofp-print` on each message when it is
/// installed, and checks OVS decodes it without complaint.
#[test]
fn ovs_ofctl_accepts_our_encodings() {
    let probe = std::process::Command::new("ovs-ofctl")
        .arg("--version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("ovs-ofctl not installed: skipped");
        return;
    }
    let mut msgs: Vec<Vec<u8>> = samples()
        .iter()
        .filter(|m| {
            // OVS cannot know our experimenter payloads.
            !matches!(
                m,
                Message::Experimenter { .. } | Message::ErrorExperimenter { .. }
            )
        })
        .map(|m| encode(77, m))
        .collect();
    msgs.extend(encode_multipart_reply(
        78,
        MultipartReply::TableFeatures(pipeline_table_features(255, 1_000_000)),
        65535,
    ));
    for b in msgs {
        let hexs: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let out = std::process::Command::new("ovs-ofctl")
            .args(["-O", "OpenFlow13", "ofp-print", &hexs])
            .output()
            .expect("ovs-ofctl runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stdout.lines().next().unwrap_or("");
        if std::env::var_os("CODEC_TEST_VERBOSE").is_some() {
            eprintln!("{stdout}");
        }
        assert!(
            !stdout.contains("decode error") && !stdout.contains("***") && !stderr.contains("WARN"),
            "ovs-ofctl rejects {}: {first}\n{stdout}\n{stderr}",
            msg_type_name(b[1])
        );
    }
}

fn arb_group_mod() -> impl Strategy<Value = GroupMod> {
    let bucket = (
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(arb_action(), 0..4),
    )
        .prop_map(|(weight, wp, watch_group, actions)| Bucket {
            weight,
            watch_port: PortNo(wp),
            watch_group,
            actions,
        });
    (
        prop_oneof![
            Just(GroupModCommand::Add),
            Just(GroupModCommand::Modify),
            Just(GroupModCommand::Delete)
        ],
        prop_oneof![
            Just(GroupType::All),
            Just(GroupType::Select),
            Just(GroupType::Indirect),
            Just(GroupType::FastFailover)
        ],
        any::<u32>(),
        proptest::collection::vec(bucket, 0..4),
    )
        .prop_map(|(command, group_type, group_id, buckets)| GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        })
}

fn arb_meter_mod() -> impl Strategy<Value = MeterMod> {
    let band = (
        prop_oneof![
            Just(MeterBandType::Drop),
            any::<u8>().prop_map(|p| MeterBandType::DscpRemark { prec_level: p })
        ],
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(band_type, rate, burst_size)| MeterBand {
            band_type,
            rate,
            burst_size,
        });
    (
        prop_oneof![
            Just(MeterModCommand::Add),
            Just(MeterModCommand::Modify),
            Just(MeterModCommand::Delete)
        ],
        0u16..16,
        any::<u32>(),
        proptest::collection::vec(band, 0..5),
    )
        .prop_map(|(command, flags, meter_id, bands)| MeterMod {
            command,
            flags,
            meter_id,
            bands,
        })
}

fn arb_flow_mod() -> impl Strategy<Value = FlowMod> {
    (
        (
            prop_oneof![
                Just(FlowModCommand::Add),
                Just(FlowModCommand::Modify),
                Just(FlowModCommand::ModifyStrict),
                Just(FlowModCommand::Delete),
                Just(FlowModCommand::DeleteStrict)
            ],
            any::<u8>(),
            any::<u16>(),
            any::<u64>(),
            any::<u64>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (
            0u16..32,
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            arb_match(),
            arb_instructions(),
        ),
    )
        .prop_map(
            |(
                (command, table_id, priority, cookie, cookie_mask, idle_timeout, hard_timeout),
                (flags, buffer_id, out_port, out_group, match_, instructions),
            )| FlowMod {
                command,
                table_id,
                priority,
                cookie,
                cookie_mask,
                idle_timeout,
                hard_timeout,
                flags,
                buffer_id,
                out_port: PortNo(out_port),
                out_group,
                match_,
                instructions,
            },
        )
}

fn round_trip(msg: &Message, xid: u32) -> Result<(), TestCaseError> {
    let b = encode(xid, msg);
    let (h, got) = decode(&b).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(h.xid, xid);
    prop_assert_eq!(&got, msg);
    Ok(())
}

/// Whatever decodes re-encodes to bytes that decode again, and encoding
/// is then a fixed point (names and padding may be normalised once).
fn reencode_is_stable(b: &[u8]) -> Result<(), TestCaseError> {
    if let Ok((h, m1)) = decode(b) {
        let b1 = encode(h.xid, &m1);
        match decode(&b1) {
            Ok((_, m2)) => prop_assert_eq!(encode(h.xid, &m2), b1, "{:?}", m1),
            Err(e) => prop_assert!(false, "{:?} re-encoded fails: {}", m1, e),
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn flow_mod_round_trip(fm in arb_flow_mod(), xid in any::<u32>()) {
        round_trip(&Message::FlowMod(fm), xid)?;
    }

    #[test]
    fn group_mod_round_trip(gm in arb_group_mod(), xid in any::<u32>()) {
        round_trip(&Message::GroupMod(gm), xid)?;
    }

    #[test]
    fn meter_mod_round_trip(mm in arb_meter_mod(), xid in any::<u32>()) {
        round_trip(&Message::MeterMod(mm), xid)?;
    }

    #[test]
    fn packet_out_round_trip(
        buffer_id in any::<u32>(),
        in_port in any::<u32>(),
        actions in proptest::collection::vec(arb_action(), 0..6),
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        round_trip(&Message::PacketOut { buffer_id, in_port: PortNo(in_port), actions, data }, 3)?;
    }

    #[test]
    fn packet_in_round_trip(
        buffer_id in any::<u32>(),
        total_len in any::<u16>(),
        reason in 0u8..3,
        table_id in any::<u8>(),
        cookie in any::<u64>(),
        match_ in arb_match(),
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        round_trip(&Message::PacketIn { buffer_id, total_len, reason, table_id, cookie, match_, data }, 4)?;
    }

    #[test]
    fn flow_stats_reply_round_trip(fm in arb_flow_mod()) {
        let fs = FlowStats {
            table_id: fm.table_id,
            duration_sec: 1,
            duration_nsec: 2,
            priority: fm.priority,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            cookie: fm.cookie,
            packet_count: 3,
            byte_count: 4,
            match_: fm.match_,
            instructions: fm.instructions,
        };
        round_trip(&Message::MultipartReply { flags: 0, body: MultipartReply::Flow(vec![fs]) }, 5)?;
    }

    /// Random bytes, raw and behind a plausible header, never panic.
    #[test]
    fn random_bytes_never_panic(
        t in 0u8..32,
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = decode(&body);
        let _ = frame(&body);
        let mut b = vec![4, t, 0, 0, 0, 0, 0, 1];
        b.extend_from_slice(&body);
        let n = b.len() as u16;
        b[2..4].copy_from_slice(&n.to_be_bytes());
        reencode_is_stable(&b)?;
        // Multipart with a random known type.
        if body.len() >= 2 {
            let mut m = vec![4, 18 + (body[0] & 1), 0, 0, 0, 0, 0, 1, 0, body[1] % 15, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(&body);
            let n = m.len() as u16;
            m[2..4].copy_from_slice(&n.to_be_bytes());
            reencode_is_stable(&m)?;
        }
    }

    /// Valid messages with random bytes overwritten never panic.
    #[test]
    fn mutated_messages_never_panic(
        i in 0usize..64,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let all = samples();
        let msg = &all[i % all.len()];
        let mut b = encode(1, msg);
        for (at, v) in edits {
            let n = b.len();
            b[at % n] = v;
        }
        reencode_is_stable(&b)?;
        let n = cut % (b.len() + 1);
        b.truncate(n);
        if n >= 4 {
            b[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        }
        reencode_is_stable(&b)?;
    }
}
