//! Round trips: every message type, and random messages and bytes.
use super::*;

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
