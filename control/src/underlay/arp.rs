//! ARP frames of the underlay (Ethernet/IPv4 only): what we parse from the
//! punted packets and the requests/replies we send.
use std::net::Ipv4Addr;

pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;
const FRAME_LEN: usize = 42;

/// The fields of an Ethernet/IPv4 ARP packet we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sha: [u8; 6],
    pub spa: Ipv4Addr,
    pub tpa: Ipv4Addr,
}

/// Parses an Ethernet frame holding an Ethernet/IPv4 ARP packet.
pub fn parse(frame: &[u8]) -> Option<Arp> {
    let a = frame.get(14..FRAME_LEN)?;
    if frame.get(12..14)? != [0x08, 0x06] || a[..6] != [0, 1, 8, 0, 6, 4] {
        return None;
    }
    let ip = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
    Some(Arp {
        op: u16::from_be_bytes([a[6], a[7]]),
        sha: a[8..14].try_into().ok()?,
        spa: ip(&a[14..18]),
        tpa: ip(&a[24..28]),
    })
}

/// An ARP frame: `op` from (`sha`, `spa`) to (`tha`, `tpa`), sent to
/// `eth_dst`.
pub fn build(
    op: u16,
    eth_dst: [u8; 6],
    sha: [u8; 6],
    spa: Ipv4Addr,
    tha: [u8; 6],
    tpa: Ipv4Addr,
) -> Vec<u8> {
    let mut f = Vec::with_capacity(60);
    f.extend_from_slice(&eth_dst);
    f.extend_from_slice(&sha);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&sha);
    f.extend_from_slice(&spa.octets());
    f.extend_from_slice(&tha);
    f.extend_from_slice(&tpa.octets());
    // Pad to the Ethernet minimum.
    f.resize(60, 0);
    f
}

/// A broadcast request for `tpa`.
pub fn request(sha: [u8; 6], spa: Ipv4Addr, tpa: Ipv4Addr) -> Vec<u8> {
    build(OP_REQUEST, [0xff; 6], sha, spa, [0; 6], tpa)
}

/// The reply to request `req`, saying `tpa` is at `mac`.
pub fn reply(req: &Arp, mac: [u8; 6]) -> Vec<u8> {
    build(OP_REPLY, req.sha, mac, req.tpa, req.sha, req.spa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_reply_round_trip() {
        let me = [2, 0, 0, 0, 0, 1];
        let peer = [2, 0, 0, 0, 0, 2];
        let a = Ipv4Addr::new(192, 168, 50, 1);
        let b = Ipv4Addr::new(192, 168, 50, 2);
        let req = request(peer, b, a);
        assert_eq!(req.len(), 60);
        let p = parse(&req).unwrap();
        assert_eq!((p.op, p.sha, p.spa, p.tpa), (OP_REQUEST, peer, b, a));
        let rep = reply(&p, me);
        assert_eq!(&rep[..6], &peer);
        let r = parse(&rep).unwrap();
        assert_eq!((r.op, r.sha, r.spa, r.tpa), (OP_REPLY, me, a, b));
        assert!(parse(&rep[..41]).is_none());
        let mut ipv6ish = rep.clone();
        ipv6ish[17] = 0xdd;
        assert!(parse(&ipv6ish).is_none());
    }
}
