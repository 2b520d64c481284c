//! Tag actions: push and pop VLAN, MPLS and PBB tags, set the VLAN
//! fields (pushing a tag first when the packet may have none, as
//! ovs-ofctl does), and the MPLS TTL actions.
use super::*;

impl<'a> Parser<'a, '_> {
    /// VLAN, MPLS and PBB tags and TTLs.
    pub(super) fn tags(
        &self,
        p: &Pair<'a>,
        name: &str,
        after: &str,
        state: &mut FlowState,
    ) -> PResult<Item> {
        let single = |a: Action| Ok(Item::Actions(vec![a]));
        match name {
            "push_vlan" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, after)?;
                if e != 0x8100 && e != 0x88a8 {
                    return err(
                        v.pos,
                        format!(
                            "push_vlan: {} is not a VLAN ethertype (0x8100 or 0x88a8)",
                            v.text
                        ),
                    );
                }
                state.vlan = true;
                single(Action::PushVlan(e))
            }
            "pop_vlan" | "strip_vlan" => {
                no_value(p, name)?;
                self.require(state, Prereq::Vlan, p.key, name)?;
                state.vlan = false;
                single(Action::PopVlan)
            }
            "mod_vlan_vid" | "mod_vlan_pcp" => {
                let v = need_value(p, name)?;
                let (field, value) = if name == "mod_vlan_vid" {
                    let vid = parse_uint(v, after)?;
                    if vid > 0xfff {
                        return err(
                            v.pos,
                            format!(
                                "mod_vlan_vid: VLAN ID {} is out of range (0 to 4095)",
                                v.text
                            ),
                        );
                    }
                    (Field::VlanVid, vid | VID_PRESENT)
                } else {
                    let pcp = parse_uint(v, after)?;
                    if pcp > 7 {
                        return err(
                            v.pos,
                            format!("mod_vlan_pcp: priority {} is out of range (0 to 7)", v.text),
                        );
                    }
                    (Field::VlanPcp, pcp)
                };
                // As ovs-ofctl does for OpenFlow 1.2+: push a tag first
                // unless the packet surely has one.
                let mut acts = Vec::new();
                if !state.vlan {
                    acts.push(Action::PushVlan(0x8100));
                    state.vlan = true;
                }
                acts.push(Action::SetField { field, value });
                Ok(Item::Actions(acts))
            }
            "copy_ttl_out" => {
                no_value(p, name)?;
                single(Action::CopyTtlOut)
            }
            "copy_ttl_in" => {
                no_value(p, name)?;
                single(Action::CopyTtlIn)
            }
            "set_mpls_ttl" => {
                let v = need_value(p, name)?;
                let ttl = parse_uint_bits(v.trim(), after, name, 8)? as u8;
                self.require_mpls(state, p.key, name)?;
                single(Action::SetMplsTtl(ttl))
            }
            "dec_mpls_ttl" => {
                no_value(p, name)?;
                self.require_mpls(state, p.key, name)?;
                single(Action::DecMplsTtl)
            }
            "push_mpls" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, after)?;
                if e != ETH_MPLS && e != ETH_MPLS_MCAST {
                    return err(
                        v.pos,
                        format!(
                            "push_mpls: {} is not an MPLS ethertype (0x8847 or 0x8848)",
                            v.text
                        ),
                    );
                }
                *state = after_mpls(state, e);
                single(Action::PushMpls(e))
            }
            "pop_mpls" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, after)?;
                self.require_mpls(state, p.key, name)?;
                *state = after_mpls(state, e);
                single(Action::PopMpls(e))
            }
            "push_pbb" => {
                let v = need_value(p, name)?;
                let e = ethertype(v, after)?;
                if e != 0x88e7 {
                    return err(
                        v.pos,
                        format!("push_pbb: {} is not the PBB ethertype 0x88e7", v.text),
                    );
                }
                single(Action::PushPbb(e))
            }
            "pop_pbb" => {
                no_value(p, name)?;
                single(Action::PopPbb)
            }
            _ => err(p.key.pos, format!("unknown action '{}'", p.key.text)),
        }
    }
}

/// What a packet is known to be after an MPLS push or pop leaves
/// ethertype `e`: its tags stay, its L3 and L4 are unknown.
fn after_mpls(state: &FlowState, e: u16) -> FlowState {
    FlowState {
        eth_type: Some(e),
        ip_proto: None,
        icmpv6_type: None,
        vlan: state.vlan,
    }
}
