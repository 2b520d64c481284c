//! Helpers for the OpenFlow end-to-end tests: ovs-ofctl against the
//! switch's listener, two namespaces behind taps, and a raw OpenFlow 1.3
//! client built on the codec.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use super::netns::Netns;
use super::{unique, Switch};
use control::ofp::codec::{self, msg_type, Header, Message};
use control::ofp::PortNo;
use control::pipeline::{Action, FlowMatch, FlowMod, FlowModCommand, Instruction};
use fastpath::flow::Field;

pub const MAC_A: &str = "02:0f:00:00:00:01";
pub const MAC_B: &str = "02:0f:00:00:00:02";

/// Fails clearly when ovs-ofctl is missing.
pub fn require_ovs_ofctl() {
    let ok = Command::new("which")
        .arg("ovs-ofctl")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "ovs-ofctl not found: install it with `apt-get install -y openvswitch-common`"
    );
}

/// A switch with two tap ports (ofport 1 "a", 2 "b") listening for
/// OpenFlow on `port`.
pub fn two_taps(port: u16, extra: &str) -> (Switch, String, String) {
    super::two_taps(
        &format!(
            "datapath_id = \"00000000000000a1\"\nlisten = [\"tcp:127.0.0.1:{port}\"]\n{extra}"
        ),
        false,
    )
}

/// Two namespaces on 10.0.0.0/24 behind the taps.
pub fn hosts(ta: &str, tb: &str) -> (Netns, Netns) {
    let (na, nb) = (Netns::new(&unique("noa")), Netns::new(&unique("nob")));
    super::sh("ip", &["link", "set", ta, "address", MAC_A]);
    super::sh("ip", &["link", "set", tb, "address", MAC_B]);
    na.adopt(ta, "10.0.0.1/24");
    nb.adopt(tb, "10.0.0.2/24");
    (na, nb)
}

/// `ovs-ofctl -O OpenFlow13 CMD tcp:127.0.0.1:PORT ARGS...`; returns
/// (success, stdout, stderr).
pub fn ofctl_try(port: u16, cmd: &[&str], args: &[&str]) -> (bool, String, String) {
    let target = format!("tcp:127.0.0.1:{port}");
    let out = Command::new("timeout")
        .args(["20", "ovs-ofctl", "-O", "OpenFlow13"])
        .args(cmd)
        .arg(&target)
        .args(args)
        .output()
        .expect("run ovs-ofctl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Like `ofctl_try`, panicking on failure; returns stdout.
pub fn ofctl(port: u16, cmd: &[&str], args: &[&str]) -> String {
    let (ok, out, err) = ofctl_try(port, cmd, args);
    assert!(ok, "ovs-ofctl {cmd:?} {args:?} failed:\n{out}{err}");
    out
}

/// Flow lines of a dump-flows output.
pub fn flow_lines(dump: &str) -> Vec<&str> {
    dump.lines().filter(|l| l.contains("cookie=")).collect()
}

/// A raw OpenFlow 1.3 client built on the codec.
pub struct OfClient {
    pub s: TcpStream,
    pub buf: Vec<u8>,
    pub xid: u32,
}

impl OfClient {
    /// Connects (retrying for a few seconds) without sending anything.
    pub fn connect_raw(port: u16) -> OfClient {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    s.set_nodelay(true).unwrap();
                    return OfClient {
                        s,
                        buf: Vec::new(),
                        xid: 1000,
                    };
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "connect to {port}: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// Connects and exchanges HELLOs (OpenFlow 1.3 only).
    pub fn connect(port: u16) -> OfClient {
        let mut c = Self::connect_raw(port);
        c.send(&Message::Hello {
            bitmap: Some(1 << 4),
        });
        let (h, m) = c
            .recv_msg(Duration::from_secs(5))
            .expect("HELLO from the switch");
        assert_eq!(h.version, 4);
        assert!(
            matches!(m, Message::Hello { bitmap: Some(b) } if b & (1 << 4) != 0),
            "{m:?}"
        );
        c
    }

    pub fn next_xid(&mut self) -> u32 {
        self.xid += 1;
        self.xid
    }

    pub fn send(&mut self, m: &Message) -> u32 {
        let xid = self.next_xid();
        self.send_raw(&codec::encode(xid, m));
        xid
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("write to the switch");
    }

    /// The next framed message's bytes, or None on timeout; panics on EOF
    /// (see `recv_eof` for when that is expected).
    pub fn recv_bytes(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        match self.recv_or_eof(timeout) {
            Ok(m) => m,
            Err(()) => panic!("the switch closed the connection"),
        }
    }

    /// Ok(None): timeout; Err: the switch closed the connection.
    pub fn recv_or_eof(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, ()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(n)) = codec::frame(&self.buf) {
                let m: Vec<u8> = self.buf.drain(..n).collect();
                return Ok(Some(m));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.s
                .set_read_timeout(Some(left.min(Duration::from_millis(100))))
                .unwrap();
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) => return Err(()),
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Err(()),
            }
        }
    }

    /// The next decoded message; the switch's echo requests are answered
    /// and skipped.
    pub fn recv_msg(&mut self, timeout: Duration) -> Option<(Header, Message)> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let bytes = self.recv_bytes(left)?;
            let (h, m) = codec::decode(&bytes)
                .unwrap_or_else(|e| panic!("undecodable message from the switch: {e}"));
            if let Message::EchoRequest(d) = m {
                let reply = codec::encode(h.xid, &Message::EchoReply(d));
                self.send_raw(&reply);
                continue;
            }
            return Some((h, m));
        }
    }

    /// Waits for the reply to `xid` (skipping asynchronous messages).
    pub fn reply(&mut self, xid: u32) -> Message {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (h, m) = self
                .recv_msg(left)
                .unwrap_or_else(|| panic!("no reply to xid {xid}"));
            if h.xid == xid
                && !matches!(
                    m,
                    Message::PacketIn { .. }
                        | Message::PortStatus { .. }
                        | Message::FlowRemoved { .. }
                )
            {
                return m;
            }
        }
    }

    /// Asserts that `xid` is answered by an OFPT_ERROR of (type, code)
    /// whose data starts with the request's first bytes.
    pub fn expect_error(&mut self, xid: u32, type_code: (u16, u16), request: &[u8], what: &str) {
        match self.reply(xid) {
            Message::Error { kind, data } => {
                assert_eq!(kind.type_code(), type_code, "{what}: {kind:?}");
                let n = request.len().min(64);
                assert_eq!(&data[..], &request[..n], "{what}: error data");
            }
            other => panic!("{what}: expected an error, got {other:?}"),
        }
    }

    /// An echo round trip on this connection.
    pub fn echo_ok(&mut self, what: &str) {
        let data = b"still alive".to_vec();
        let xid = self.send(&Message::EchoRequest(data.clone()));
        match self.reply(xid) {
            Message::EchoReply(d) => assert_eq!(d, data, "{what}"),
            other => panic!("{what}: expected an echo reply, got {other:?}"),
        }
    }

    /// Sends `m` and waits for the barrier after it.
    pub fn barrier(&mut self) {
        let xid = self.send(&Message::BarrierRequest);
        assert_eq!(self.reply(xid), Message::BarrierReply);
    }
}

pub fn raw_msg(t: u8, xid: u32, body: &[u8]) -> Vec<u8> {
    let mut m = vec![4, t];
    m.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    m.extend_from_slice(&xid.to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// An OFPFC_ADD flow mod (table 0, priority 0x8000, no instructions)
/// whose match holds the OXM TLVs `oxm` as given.
pub fn raw_flow_mod(xid: u32, oxm: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&[0; 16]); // cookie, cookie_mask
    b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x80, 0]); // table, command, timeouts, priority
    b.extend_from_slice(&[0xff; 12]); // buffer_id, out_port, out_group
    b.extend_from_slice(&[0; 4]); // flags, pad
    b.extend_from_slice(&[0, 1]); // OFPMT_OXM
    b.extend_from_slice(&((4 + oxm.len()) as u16).to_be_bytes());
    b.extend_from_slice(oxm);
    while b.len() % 8 != 0 {
        b.push(0);
    }
    raw_msg(msg_type::FLOW_MOD, xid, &b)
}

pub fn flow_add(table: u8, priority: u16, match_: FlowMatch, insts: Vec<Instruction>) -> FlowMod {
    FlowMod {
        command: FlowModCommand::Add,
        table_id: table,
        priority,
        match_,
        instructions: insts,
        ..FlowMod::default()
    }
}

pub fn output(port: u32) -> Instruction {
    Instruction::ApplyActions(vec![Action::Output {
        port: PortNo(port),
        max_len: 0,
    }])
}

pub fn match_of(fields: &[(Field, u128)]) -> FlowMatch {
    let mut m = FlowMatch::ANY;
    for &(f, v) in fields {
        m.set(f, v, f.max_value());
    }
    m
}
