//! Multipart replies split into parts, table features, and reassembly
//! of requests sent in parts.
use super::*;

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
