//! `ofp_port`, OFPT_PORT_MOD and OFPT_PORT_STATUS.
use super::buf::{bad_len, get_str, OrErr, Put, Reader, Res};
use super::Message;
use crate::ofp::PortNo;

/// `ofp_port` is 64 bytes.
pub(crate) const PORT_LEN: usize = 64;
/// OFP_MAX_PORT_NAME_LEN (including the NUL).
pub const MAX_PORT_NAME_LEN: usize = 16;

/// OFPPC_* port config bits.
pub mod port_config {
    pub const PORT_DOWN: u32 = 1 << 0;
    pub const NO_RECV: u32 = 1 << 2;
    pub const NO_FWD: u32 = 1 << 5;
    pub const NO_PACKET_IN: u32 = 1 << 6;
}

/// OFPPS_* port state bits.
pub mod port_state {
    pub const LINK_DOWN: u32 = 1 << 0;
    pub const BLOCKED: u32 = 1 << 1;
    pub const LIVE: u32 = 1 << 2;
}

/// OFPPF_* port feature bits.
pub mod port_features {
    pub const F_10MB_HD: u32 = 1 << 0;
    pub const F_10MB_FD: u32 = 1 << 1;
    pub const F_100MB_HD: u32 = 1 << 2;
    pub const F_100MB_FD: u32 = 1 << 3;
    pub const F_1GB_HD: u32 = 1 << 4;
    pub const F_1GB_FD: u32 = 1 << 5;
    pub const F_10GB_FD: u32 = 1 << 6;
    pub const F_40GB_FD: u32 = 1 << 7;
    pub const F_100GB_FD: u32 = 1 << 8;
    pub const F_1TB_FD: u32 = 1 << 9;
    pub const OTHER: u32 = 1 << 10;
    pub const COPPER: u32 = 1 << 11;
    pub const FIBER: u32 = 1 << 12;
    pub const AUTONEG: u32 = 1 << 13;
    pub const PAUSE: u32 = 1 << 14;
    pub const PAUSE_ASYM: u32 = 1 << 15;
}

/// OFPPR_* port status reasons.
pub mod port_reason {
    pub const ADD: u8 = 0;
    pub const DELETE: u8 = 1;
    pub const MODIFY: u8 = 2;
}

/// `ofp_port`: a port's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortDesc {
    pub port_no: PortNo,
    pub hw_addr: [u8; 6],
    /// Up to 15 bytes on the wire (longer names are truncated).
    pub name: String,
    pub config: u32,
    pub state: u32,
    pub curr: u32,
    pub advertised: u32,
    pub supported: u32,
    pub peer: u32,
    /// kb/s.
    pub curr_speed: u32,
    pub max_speed: u32,
}

impl Default for PortDesc {
    fn default() -> Self {
        PortDesc {
            port_no: PortNo(0),
            hw_addr: [0; 6],
            name: String::new(),
            config: 0,
            state: 0,
            curr: 0,
            advertised: 0,
            supported: 0,
            peer: 0,
            curr_speed: 0,
            max_speed: 0,
        }
    }
}

pub(crate) fn encode_port(out: &mut Vec<u8>, p: &PortDesc) {
    out.put_u32(p.port_no.0);
    out.put_zeros(4);
    out.extend_from_slice(&p.hw_addr);
    out.put_zeros(2);
    out.put_str(&p.name, MAX_PORT_NAME_LEN);
    for v in [
        p.config,
        p.state,
        p.curr,
        p.advertised,
        p.supported,
        p.peer,
        p.curr_speed,
        p.max_speed,
    ] {
        out.put_u32(v);
    }
}

pub(crate) fn decode_port(r: &mut Reader<'_>) -> Res<PortDesc> {
    let w = "ofp_port";
    let port_no = PortNo(r.u32().or_len(w)?);
    r.skip(4).or_len(w)?;
    let hw_addr = r.array::<6>().or_len(w)?;
    r.skip(2).or_len(w)?;
    let name = get_str(r.bytes(MAX_PORT_NAME_LEN).or_len(w)?);
    let mut v = [0u32; 8];
    for x in v.iter_mut() {
        *x = r.u32().or_len(w)?;
    }
    let [config, state, curr, advertised, supported, peer, curr_speed, max_speed] = v;
    Ok(PortDesc {
        port_no,
        hw_addr,
        name,
        config,
        state,
        curr,
        advertised,
        supported,
        peer,
        curr_speed,
        max_speed,
    })
}

pub(crate) fn decode_port_status(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() != 8 + PORT_LEN {
        return Err(bad_len(format!(
            "length {} is not that of ofp_port_status (80)",
            r.remaining() + 8
        )));
    }
    let reason = r.u8().or_len("port_status")?;
    r.skip(7).or_len("port_status")?;
    let port = decode_port(r)?;
    Ok(Message::PortStatus { reason, port })
}

pub(crate) fn decode_port_mod(r: &mut Reader<'_>) -> Res<Message> {
    if r.remaining() != 32 {
        return Err(bad_len(format!(
            "length {} is not that of ofp_port_mod (40)",
            r.remaining() + 8
        )));
    }
    let w = "port_mod";
    let port_no = PortNo(r.u32().or_len(w)?);
    r.skip(4).or_len(w)?;
    let hw_addr = r.array::<6>().or_len(w)?;
    r.skip(2).or_len(w)?;
    let config = r.u32().or_len(w)?;
    let mask = r.u32().or_len(w)?;
    let advertise = r.u32().or_len(w)?;
    Ok(Message::PortMod {
        port_no,
        hw_addr,
        config,
        mask,
        advertise,
    })
}
