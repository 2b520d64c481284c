//! The actions that change the packet or send it somewhere: VLAN push/pop,
//! set-field, TTLs, outputs (ports, reserved ports, tunnels) and
//! packet-ins, each with the key bits it reads recorded in the mask.

use fastpath::actions::{DpAction, ToController};
use fastpath::flow::Field;

use crate::ofp::PortNo;
use crate::pipeline::validate::{set_prereq, VID_PRESENT};

use super::track::vlan_mask;
use super::*;

impl Xlate<'_> {
    /// Push: the new outermost tag copies the previous outermost TCI, or
    /// is zero without one (OpenFlow). Key model (the parser's):
    /// VlanVid/VlanPcp are the outermost tag, VlanOuterTci the second one
    /// (`pcp << 13 | 0x1000 | vid`). The new values are a function of the
    /// old VLAN bits, recorded as derived so that they enter the mask only
    /// if something reads them later; the present bit is now a constant 1.
    pub(super) fn push_vlan(&mut self, w: &mut Work, tpid: u16, out: &mut Vec<DpAction>) {
        out.push(DpAction::PushVlan { tpid });
        let vid = w.key.get(Field::VlanVid);
        let pcp = w.key.get(Field::VlanPcp);
        if vid & VID_PRESENT == 0 {
            w.key.set(Field::VlanVid, VID_PRESENT);
            w.key.set(Field::VlanPcp, 0);
            w.key.set(Field::VlanOuterTci, 0);
        } else {
            // The old outermost tag becomes the second; the new one has
            // the same TCI, so VlanVid/VlanPcp do not change.
            w.key.set(
                Field::VlanOuterTci,
                (pcp << 13) | VID_PRESENT | (vid & 0xfff),
            );
        }
        w.track.derive(&self.mask, vlan_mask(), vlan_mask());
        w.track.set_const(vid_present_mask());
    }

    /// Pop: the second tag (if any) becomes the outermost.
    pub(super) fn pop_vlan(&mut self, w: &mut Work, out: &mut Vec<DpAction>) {
        out.push(DpAction::PopVlan);
        if w.key.get(Field::VlanVid) & VID_PRESENT != 0 {
            let second = w.key.get(Field::VlanOuterTci);
            if second & VID_PRESENT != 0 {
                w.key.set(Field::VlanVid, VID_PRESENT | (second & 0xfff));
                w.key.set(Field::VlanPcp, (second >> 13) & 7);
            } else {
                w.key.set(Field::VlanVid, 0);
                w.key.set(Field::VlanPcp, 0);
            }
            w.key.set(Field::VlanOuterTci, 0);
        }
        w.track.derive(&self.mask, vlan_mask(), vlan_mask());
    }

    pub(super) fn set_field(
        &mut self,
        w: &mut Work,
        field: Field,
        value: u128,
        out: &mut Vec<DpAction>,
    ) {
        // Validation guarantees flow entries' prerequisites through their
        // match; group buckets and the action set (whose VLAN state other
        // tables may change) are checked here. Either way the bits read
        // are in the mask.
        let p = set_prereq(field);
        if !self.prereq_ok(w, p) {
            self.note(|| {
                format!(
                    "set_field {}: prerequisite {p:?} not met, skipped",
                    field.name()
                )
            });
            return;
        }
        let v = if field == Field::VlanVid {
            (value & 0xfff) | VID_PRESENT
        } else {
            value & field.max_value()
        };
        self.set_const(w, field, v);
        use Field::*;
        match field {
            // Pipeline-only state: nothing for the datapath. Tunnel
            // metadata is consumed by an output to a tunnel port.
            Metadata | Reg0 | Reg1 | Reg2 | Reg3 | Reg4 | Reg5 | Reg6 | Reg7 | TunnelId
            | TunIpv4Src | TunIpv4Dst => {}
            _ => out.push(DpAction::SetField { field, value: v }),
        }
    }

    pub(super) fn set_nw_ttl(&mut self, w: &mut Work, ttl: u8, out: &mut Vec<DpAction>) {
        // The datapath ignores it for non-IP packets; for them the key's
        // nw_ttl is never matched (nw_ttl requires IP), so no check here.
        out.push(DpAction::SetTtl(ttl));
        self.set_const(w, Field::NwTtl, ttl.into());
    }

    /// A packet-in's fields, with the metadata and tunnel id the packet
    /// has at this point (the PACKET_IN match carries them when nonzero),
    /// so the megaflow depends on them (metadata only on the bits no entry
    /// wrote; it is 0 on ingress, so that never splits megaflows).
    pub(super) fn packet_in_fields(
        &mut self,
        w: &mut Work,
        max_len: u16,
        reason: u8,
        ctx: Ctx,
    ) -> ToController {
        ToController {
            max_len,
            reason,
            table_id: ctx.table_id,
            cookie: ctx.cookie,
            metadata: self.read(w, Field::Metadata) as u64,
            tunnel_id: self.read(w, Field::TunnelId) as u64,
        }
    }

    pub(super) fn dec_ttl(&mut self, w: &mut Work, ctx: Ctx, out: &mut Vec<DpAction>) -> Flow {
        if !self.is_ip(w) {
            self.note(|| "dec_ttl: not IP, ignored".into());
            return Flow::Go;
        }
        let ttl = self.read(w, Field::NwTtl);
        if ttl <= 1 {
            if self.opts.send_invalid_ttl {
                let to = self.packet_in_fields(w, self.opts.miss_send_len, 2, ctx);
                out.push(DpAction::Controller(to));
            }
            out.push(DpAction::Drop);
            self.note(|| format!("dec_ttl: ttl {ttl}: invalid TTL, packet dropped"));
            return Flow::Stop;
        }
        out.push(DpAction::DecTtl);
        self.set_const(w, Field::NwTtl, ttl - 1);
        Flow::Go
    }

    pub(super) fn output(
        &mut self,
        w: &mut Work,
        port: PortNo,
        max_len: u16,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) {
        let snap = self.snap;
        let ports = &*snap.ports;
        if !port.is_reserved() {
            // Whether it exists, its index and its config.
            self.port_read(port.0);
        }
        match port {
            PortNo::IN_PORT => {
                let ip = self.read(w, Field::InPort);
                self.port_read(ip as u32);
                match ports.get(ip as u32) {
                    Some(_) if ports.drops_tx(ip as u32) => {
                        self.note(|| format!("output:IN_PORT: port {ip} has no-forward, skipped"))
                    }
                    Some(p) => out.push(DpAction::Output(p.index)),
                    None => {
                        self.note(|| format!("output:IN_PORT: in_port {ip} is not a bridge port"))
                    }
                }
            }
            PortNo::ALL | PortNo::FLOOD => {
                let ip = self.read(w, Field::InPort);
                self.all_ports_read();
                for p in ports.iter() {
                    if u128::from(p.ofport) == ip
                        || (port == PortNo::FLOOD && p.no_flood)
                        || ports.drops_tx(p.ofport)
                    {
                        continue;
                    }
                    out.push(DpAction::Output(p.index));
                }
            }
            PortNo::CONTROLLER => {
                let to = self.packet_in_fields(w, max_len, ctx.reason, ctx);
                out.push(DpAction::Controller(to));
            }
            PortNo::LOCAL => self.note(|| "output:LOCAL: no local port yet, skipped".into()),
            PortNo::NORMAL => {
                self.note(|| "output:NORMAL: not supported (secure mode), skipped".into())
            }
            PortNo::TABLE if self.packet_out && depth == 0 => {
                self.packet_out = false;
                let mut w2 = w.clone();
                let mut prog = Vec::new();
                self.run_pipeline(&mut w2, 0, &mut prog);
                emit(out, prog);
                self.packet_out = true;
            }
            p if p.is_reserved() => self.note(|| format!("output:{p}: not valid here, skipped")),
            p => match ports.get(p.0) {
                None if self.tunnel_output(w, p.0, out) => {}
                None => self.note(|| format!("output:{p}: no such port, skipped")),
                Some(pi) => {
                    let ip = self.read(w, Field::InPort);
                    if ip == u128::from(p.0) {
                        self.note(|| format!("output:{p}: is the in_port (use IN_PORT), skipped"));
                    } else if ports.drops_tx(p.0) {
                        self.note(|| format!("output:{p}: port has no-forward, skipped"));
                    } else {
                        out.push(DpAction::Output(pi.index));
                    }
                }
            },
        }
    }

    /// Output to tunnel port `ofport`, if it is one: the key and remote
    /// come from the port's options or, for "flow", from the working key
    /// (tun_id / tun_dst), which then enter the mask unless a set_field
    /// made them constant. False when `ofport` is not a tunnel port.
    pub(super) fn tunnel_output(
        &mut self,
        w: &mut Work,
        ofport: u32,
        out: &mut Vec<DpAction>,
    ) -> bool {
        use fsconfig::{TunnelKey, TunnelRemote};
        let Some(t) = self.tunnels else {
            return false;
        };
        let Some(port) = t.port(ofport) else {
            return false;
        };
        if self.read(w, Field::InPort) == u128::from(ofport) {
            self.note(|| format!("output:{ofport}: is the in_port (use IN_PORT), skipped"));
            return true;
        }
        let key = match port.key {
            TunnelKey::Fixed(k) => k,
            TunnelKey::Flow => self.read(w, Field::TunnelId) as u64,
        };
        let remote = match port.remote_ip {
            TunnelRemote::Ip(ip) => ip,
            TunnelRemote::Flow => std::net::Ipv4Addr::from(self.read(w, Field::TunIpv4Dst) as u32),
        };
        if remote.is_unspecified() {
            self.note(|| format!("output:{ofport}: tunnel without tun_dst, skipped"));
            return true;
        }
        out.push(t.output(port, key, remote));
        true
    }
}
