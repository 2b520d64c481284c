//! Exact error codes: fixed sizes, header, element and message errors,
//! the request carried in errors, and framing.
use super::*;

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
