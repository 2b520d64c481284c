//! Fuzzes the OpenFlow 1.3 codec: any bytes must frame and decode without
//! panicking; whatever decodes must re-encode to bytes that decode again,
//! with encoding then a fixed point; every failure must yield a
//! well-formed OFPT_ERROR reply.
//!
//! Run: `cd fuzz && cargo +nightly fuzz run ofp_decode`
#![no_main]

use control::ofp::codec::{decode, encode, frame, Message, OFP_VERSION};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frame(data);
    match decode(data) {
        Ok((h, m1)) => {
            let b1 = encode(h.xid, &m1);
            let (h2, m2) = decode(&b1).expect("a re-encoded message decodes");
            assert_eq!(h2.xid, h.xid);
            assert_eq!(h2.version, OFP_VERSION);
            assert_eq!(encode(h.xid, &m2), b1, "{m1:?}");
        }
        Err(e) => {
            let reply = e.error_message(data);
            let (h, m) = decode(&reply).expect("the error reply decodes");
            assert_eq!(h.xid, e.xid);
            match m {
                Message::Error { kind, data: echoed } => {
                    assert_eq!(kind, e.kind);
                    assert_eq!(echoed.as_slice(), &data[..data.len().min(64)]);
                }
                other => panic!("error reply decoded as {other:?}"),
            }
        }
    }
});
