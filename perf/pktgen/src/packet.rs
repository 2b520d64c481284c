//! Frame templates (built once per stream and frame size), the per-packet
//! writer (varying fields, payload stamp, incremental checksums) and the
//! receive-side stamp parser.
//!
//! Frame layout: `[outer Ethernet, outer IPv4, outer UDP, VXLAN]` when the
//! stream has a VXLAN header, then Ethernet (with the VLAN tag when no VXLAN
//! is used; with VXLAN the tag goes on the outer Ethernet header), IPv4, UDP,
//! and the UDP payload starting with the 16-byte stamp, zero padded.
//! Frame sizes count the 4-byte FCS, as RFC 2544 does: a 64-byte frame is a
//! 60-byte mbuf.

use crate::field::Vary;

/// Identifies our packets: first two bytes of the stamp.
pub const MAGIC: u16 = 0xfe27;
/// magic u16, stream id u16, sequence u32, TX TSC u64 (all big-endian).
pub const STAMP_LEN: usize = 16;
pub const FCS_LEN: usize = 4;
pub const VXLAN_PORT: u16 = 4789;
const ETH_LEN: usize = 14;
const VLAN_LEN: usize = 4;
const IPV4_LEN: usize = 20;
const UDP_LEN: usize = 8;
const VXLAN_LEN: usize = 8;

/// The VXLAN outer header of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vxlan {
    pub vni: u32,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub src_ip: u32,
    pub dst_ip: u32,
    pub src_port: u16,
}

/// The header fields of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    pub src_mac: Vary,
    pub dst_mac: Vary,
    pub src_ip: Vary,
    pub dst_ip: Vary,
    pub src_port: Vary,
    pub dst_port: Vary,
    /// (VLAN id, priority)
    pub vlan: Option<(u16, u8)>,
    pub vxlan: Option<Vxlan>,
}

impl Headers {
    /// Bytes before the stamp.
    pub fn header_len(&self) -> usize {
        let outer = if self.vxlan.is_some() {
            ETH_LEN + IPV4_LEN + UDP_LEN + VXLAN_LEN
        } else {
            0
        };
        let vlan = if self.vlan.is_some() { VLAN_LEN } else { 0 };
        outer + vlan + ETH_LEN + IPV4_LEN + UDP_LEN
    }

    /// The smallest frame size (with FCS) that holds the headers and stamp.
    pub fn min_frame_size(&self) -> usize {
        (self.header_len() + STAMP_LEN + FCS_LEN).max(64)
    }
}

/// One prebuilt frame plus where its varying fields live.
#[derive(Debug, Clone)]
pub struct Template {
    pub bytes: Vec<u8>,
    /// Frame size on the wire, FCS included.
    pub frame_size: u32,
    dst_mac: usize,
    src_mac: usize,
    ip: usize,
    udp: usize,
    stamp: usize,
    /// The template's IPv4 and UDP checksums (stamp zero).
    ip_csum: u16,
    udp_csum: u16,
}

impl Template {
    /// Builds the frame of `frame_size` bytes (FCS included) with the first
    /// value of every field. The caller checked the size against
    /// `Headers::min_frame_size` and the mbuf room.
    pub fn build(h: &Headers, frame_size: usize) -> Template {
        let len = frame_size - FCS_LEN;
        let mut b = vec![0u8; len];
        let mut off = 0;
        if let Some(vx) = &h.vxlan {
            let inner_len = len - (ETH_LEN + IPV4_LEN + UDP_LEN + VXLAN_LEN) - vlan_len(h);
            off = write_eth(&mut b, off, vx.dst_mac, vx.src_mac, h.vlan, 0x0800);
            let udp_total = UDP_LEN + VXLAN_LEN + inner_len;
            write_ipv4(&mut b[off..], vx.src_ip, vx.dst_ip, IPV4_LEN + udp_total);
            off += IPV4_LEN;
            write_udp(&mut b[off..], vx.src_port, VXLAN_PORT, udp_total);
            // Outer UDP checksum 0, as RFC 7348 allows.
            off += UDP_LEN;
            b[off] = 0x08; // I flag: the VNI is valid
            b[off + 4..off + 7].copy_from_slice(&vx.vni.to_be_bytes()[1..]);
            off += VXLAN_LEN;
        }
        let inner_vlan = if h.vxlan.is_some() { None } else { h.vlan };
        let dst_mac = off;
        let src_mac = off + 6;
        off = write_eth(
            &mut b,
            off,
            mac_bytes(h.dst_mac.first()),
            mac_bytes(h.src_mac.first()),
            inner_vlan,
            0x0800,
        );
        let ip = off;
        let ip_total = len - ip;
        write_ipv4(
            &mut b[ip..],
            h.src_ip.first() as u32,
            h.dst_ip.first() as u32,
            ip_total,
        );
        let udp = ip + IPV4_LEN;
        write_udp(
            &mut b[udp..],
            h.src_port.first() as u16,
            h.dst_port.first() as u16,
            ip_total - IPV4_LEN,
        );
        let stamp = udp + UDP_LEN;
        let udp_csum = udp_checksum(&b[ip..]);
        b[udp + 6..udp + 8].copy_from_slice(&udp_csum.to_be_bytes());
        let ip_csum = u16::from_be_bytes([b[ip + 10], b[ip + 11]]);
        Template {
            bytes: b,
            frame_size: frame_size as u32,
            dst_mac,
            src_mac,
            ip,
            udp,
            stamp,
            ip_csum,
            udp_csum,
        }
    }
}

fn vlan_len(h: &Headers) -> usize {
    if h.vlan.is_some() {
        VLAN_LEN
    } else {
        0
    }
}

fn mac_bytes(v: u64) -> [u8; 6] {
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn write_eth(
    b: &mut [u8],
    off: usize,
    dst: [u8; 6],
    src: [u8; 6],
    vlan: Option<(u16, u8)>,
    ethertype: u16,
) -> usize {
    b[off..off + 6].copy_from_slice(&dst);
    b[off + 6..off + 12].copy_from_slice(&src);
    let mut off = off + 12;
    if let Some((vid, pcp)) = vlan {
        b[off..off + 2].copy_from_slice(&0x8100u16.to_be_bytes());
        let tci = (u16::from(pcp) << 13) | (vid & 0x0fff);
        b[off + 2..off + 4].copy_from_slice(&tci.to_be_bytes());
        off += VLAN_LEN;
    }
    b[off..off + 2].copy_from_slice(&ethertype.to_be_bytes());
    off + 2
}

fn write_ipv4(b: &mut [u8], src: u32, dst: u32, total_len: usize) {
    b[0] = 0x45;
    b[2..4].copy_from_slice(&(total_len as u16).to_be_bytes());
    b[8] = 64; // TTL
    b[9] = 17; // UDP
    b[12..16].copy_from_slice(&src.to_be_bytes());
    b[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = !fold(sum_words(0, &b[..IPV4_LEN]));
    b[10..12].copy_from_slice(&c.to_be_bytes());
}

fn write_udp(b: &mut [u8], src: u16, dst: u16, len: usize) {
    b[0..2].copy_from_slice(&src.to_be_bytes());
    b[2..4].copy_from_slice(&dst.to_be_bytes());
    b[4..6].copy_from_slice(&(len as u16).to_be_bytes());
}

/// The UDP checksum of the datagram after the IPv4 header starting `ip`
/// (checksum field zero).
fn udp_checksum(ip: &[u8]) -> u16 {
    let udp = &ip[IPV4_LEN..];
    let mut s = sum_words(0, &ip[12..20]);
    s += 17 + udp.len() as u32;
    s = sum_words(s, udp);
    match !fold(s) {
        0 => 0xffff,
        c => c,
    }
}

/// Ones'-complement sum of big-endian 16-bit words (odd tail zero-padded).
fn sum_words(mut s: u32, b: &[u8]) -> u32 {
    let mut chunks = b.chunks_exact(2);
    for c in &mut chunks {
        s += u32::from(u16::from_be_bytes([c[0], c[1]]));
        s = (s & 0xffff) + (s >> 16);
    }
    if let [last] = chunks.remainder() {
        s += u32::from(*last) << 8;
    }
    s
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// Incremental checksum update (RFC 1624, eqn. 3): the checksum `c` of data
/// whose 16-bit-aligned words summing to `old` now sum to `new`.
#[inline]
fn csum_update(c: u16, old: u32, new: u32) -> u16 {
    let s = u32::from(!c) + u32::from(!fold(old)) + u32::from(fold(new));
    !fold(s)
}

/// The per-packet values the writer puts into a frame.
pub struct Stamp {
    pub stream: u16,
    pub seq: u32,
    pub tsc: u64,
}

/// Writes the varying fields, the stamp and the fixed-up checksums into
/// `frame`, a fresh copy of `t.bytes`. `n` is the stream's packet index.
/// Never panics: every offset was checked when the template was built and
/// `frame` has the template's length.
#[inline]
pub fn write_packet(
    frame: &mut [u8],
    t: &Template,
    h: &Headers,
    n: u64,
    rng: &mut u64,
    stamp: &Stamp,
) {
    if frame.len() != t.bytes.len() {
        return;
    }
    // Sums of the words that change, before (template) and after.
    let (mut ip_old, mut ip_new) = (0u32, 0u32);
    let (mut l4_old, mut l4_new) = (0u32, 0u32);
    if !h.dst_mac.is_fixed() {
        frame[t.dst_mac..t.dst_mac + 6].copy_from_slice(&mac_bytes(h.dst_mac.value(n, rng)));
    }
    if !h.src_mac.is_fixed() {
        frame[t.src_mac..t.src_mac + 6].copy_from_slice(&mac_bytes(h.src_mac.value(n, rng)));
    }
    for (vary, off) in [(&h.src_ip, t.ip + 12), (&h.dst_ip, t.ip + 16)] {
        if !vary.is_fixed() {
            let old = sum_words(0, &frame[off..off + 4]);
            frame[off..off + 4].copy_from_slice(&(vary.value(n, rng) as u32).to_be_bytes());
            let new = sum_words(0, &frame[off..off + 4]);
            ip_old += old;
            ip_new += new;
            l4_old += old;
            l4_new += new;
        }
    }
    for (vary, off) in [(&h.src_port, t.udp), (&h.dst_port, t.udp + 2)] {
        if !vary.is_fixed() {
            l4_old += sum_words(0, &frame[off..off + 2]);
            frame[off..off + 2].copy_from_slice(&(vary.value(n, rng) as u16).to_be_bytes());
            l4_new += sum_words(0, &frame[off..off + 2]);
        }
    }
    let s = t.stamp;
    frame[s..s + 2].copy_from_slice(&MAGIC.to_be_bytes());
    frame[s + 2..s + 4].copy_from_slice(&stamp.stream.to_be_bytes());
    frame[s + 4..s + 8].copy_from_slice(&stamp.seq.to_be_bytes());
    frame[s + 8..s + 16].copy_from_slice(&stamp.tsc.to_be_bytes());
    // The template's stamp bytes are zero: they add nothing to `l4_old`.
    l4_new += sum_words(0, &frame[s..s + STAMP_LEN]);
    if ip_old != ip_new {
        let c = csum_update(t.ip_csum, ip_old, ip_new);
        frame[t.ip + 10..t.ip + 12].copy_from_slice(&c.to_be_bytes());
    }
    let c = match csum_update(t.udp_csum, l4_old, l4_new) {
        0 => 0xffff,
        c => c,
    };
    frame[t.udp + 6..t.udp + 8].copy_from_slice(&c.to_be_bytes());
}

/// Finds our stamp in a received frame: through up to two VLAN tags, IPv4,
/// UDP and one VXLAN encapsulation. None for anything else; never reads out
/// of bounds.
#[inline]
pub fn parse_stamp(frame: &[u8]) -> Option<Stamp> {
    let mut off = 0;
    for _ in 0..2 {
        let udp = udp_payload(frame, off)?;
        let (sport_dport, payload) = udp;
        if sport_dport == VXLAN_PORT && frame.len() >= payload + VXLAN_LEN + ETH_LEN {
            off = payload + VXLAN_LEN;
            continue;
        }
        let p = frame.get(payload..payload + STAMP_LEN)?;
        if u16::from_be_bytes([p[0], p[1]]) != MAGIC {
            return None;
        }
        return Some(Stamp {
            stream: u16::from_be_bytes([p[2], p[3]]),
            seq: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            tsc: u64::from_be_bytes([p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]]),
        });
    }
    None
}

/// (UDP destination port, offset of the UDP payload) of the Ethernet frame
/// at `off`, if it is IPv4/UDP.
fn udp_payload(f: &[u8], off: usize) -> Option<(u16, usize)> {
    let mut et_off = off + 12;
    let mut et = u16::from_be_bytes(f.get(et_off..et_off + 2)?.try_into().ok()?);
    for _ in 0..2 {
        if et == 0x8100 || et == 0x88a8 {
            et_off += VLAN_LEN;
            et = u16::from_be_bytes(f.get(et_off..et_off + 2)?.try_into().ok()?);
        }
    }
    if et != 0x0800 {
        return None;
    }
    let ip = et_off + 2;
    let ip_hdr = f.get(ip..ip + IPV4_LEN)?;
    let ihl = usize::from(ip_hdr[0] & 0x0f) * 4;
    if ip_hdr[0] >> 4 != 4 || ihl < IPV4_LEN || ip_hdr[9] != 17 {
        return None;
    }
    let udp = ip + ihl;
    let u = f.get(udp..udp + UDP_LEN)?;
    Some((u16::from_be_bytes([u[2], u[3]]), udp + UDP_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Headers {
        Headers {
            src_mac: Vary::Fixed(0x0200_0000_0001),
            dst_mac: Vary::Inc {
                start: 0x0200_0000_0010,
                count: 4,
            },
            src_ip: Vary::Inc {
                start: 0x0a00_0001,
                count: 1000,
            },
            dst_ip: Vary::Random {
                start: 0x0a01_0000,
                count: 65536,
            },
            src_port: Vary::Random {
                start: 1000,
                count: 1000,
            },
            dst_port: Vary::Fixed(5001),
            vlan: None,
            vxlan: None,
        }
    }

    /// Checksums recomputed from scratch must match the incremental ones.
    fn check(frame: &[u8], ip: usize) {
        let ip_hdr = &frame[ip..ip + IPV4_LEN];
        assert_eq!(fold(sum_words(0, ip_hdr)), 0xffff, "IPv4 checksum");
        let mut copy = frame[ip..].to_vec();
        let stored = u16::from_be_bytes([copy[26], copy[27]]);
        copy[26] = 0;
        copy[27] = 0;
        assert_eq!(udp_checksum(&copy), stored, "UDP checksum");
    }

    #[test]
    fn incremental_checksums_match_full_ones() {
        for h in [
            headers(),
            Headers {
                vlan: Some((100, 3)),
                ..headers()
            },
            Headers {
                vxlan: Some(Vxlan {
                    vni: 42,
                    src_mac: [2, 0, 0, 0, 0, 0xaa],
                    dst_mac: [2, 0, 0, 0, 0, 0xbb],
                    src_ip: 0xc0a8_0001,
                    dst_ip: 0xc0a8_0002,
                    src_port: 49152,
                }),
                ..headers()
            },
        ] {
            for size in [h.min_frame_size(), 65, 128, 1518, 9000] {
                if size < h.min_frame_size() {
                    continue;
                }
                let t = Template::build(&h, size);
                assert_eq!(t.bytes.len(), size - FCS_LEN);
                let mut rng = 99;
                for n in 0..200u64 {
                    let mut f = t.bytes.clone();
                    let st = Stamp {
                        stream: 7,
                        seq: n as u32 * 7919,
                        tsc: 0x1234_5678_9abc_def0 ^ n,
                    };
                    write_packet(&mut f, &t, &h, n, &mut rng, &st);
                    check(&f, t.ip);
                    let got = parse_stamp(&f).expect("stamp found");
                    assert_eq!((got.stream, got.seq, got.tsc), (7, st.seq, st.tsc));
                }
            }
        }
    }

    #[test]
    fn min_sizes() {
        assert_eq!(headers().min_frame_size(), 64);
        let v = Headers {
            vlan: Some((1, 0)),
            ..headers()
        };
        assert_eq!(v.min_frame_size(), 66);
    }

    #[test]
    fn foreign_or_short_frames_are_not_ours() {
        assert!(parse_stamp(&[]).is_none());
        assert!(parse_stamp(&[0u8; 13]).is_none());
        let t = Template::build(&headers(), 64);
        // Template alone has no magic yet.
        assert!(parse_stamp(&t.bytes).is_none());
        for cut in 0..t.bytes.len() {
            let _ = parse_stamp(&t.bytes[..cut]);
        }
    }
}
