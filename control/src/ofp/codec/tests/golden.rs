//! Golden bytes (checked against `ovs-ofctl ofp-print`) decoded and
//! encoded, their truncations, and ovs-ofctl reading our encodings.
use super::*;

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
