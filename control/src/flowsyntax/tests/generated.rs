//! Property: parse(format(fm)) == fm for generated flow mods.
use super::*;

fn prefix(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if len == 0 {
        0
    } else {
        (all << (bits - len)) & all
    }
}

/// A non-zero mask for `f`: exact, a prefix, or arbitrary bits.
fn mask_for(f: Field, seed: u128) -> u128 {
    let full = f.max_value();
    if !f.def().maskable {
        return full;
    }
    let bits = u32::from(f.def().bits);
    match seed % 4 {
        0 | 1 => full,
        2 => prefix((seed >> 8) as u32 % bits + 1, bits),
        _ => {
            let m = seed.rotate_right(17) & full;
            if m == 0 {
                full
            } else {
                m
            }
        }
    }
}

struct Gen {
    seeds: Vec<u128>,
    i: usize,
}

impl Gen {
    fn next(&mut self) -> u128 {
        let s = self.seeds[self.i % self.seeds.len()];
        self.i += 1;
        s.rotate_left(self.i as u32 * 7) ^ (self.i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn pick(&mut self, n: u128) -> u128 {
        self.next() % n
    }
    fn one_of<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.pick(xs.len() as u128) as usize].clone()
    }
    fn chance(&mut self, pct: u128) -> bool {
        self.pick(100) < pct
    }
    fn field(&mut self, m: &mut FlowMatch, f: Field) {
        let mask = mask_for(f, self.next());
        let v = self.next() & f.max_value();
        m.set(f, v, mask);
    }
    fn port(&mut self) -> PortNo {
        match self.pick(6) {
            0 => [
                PortNo::LOCAL,
                PortNo::CONTROLLER,
                PortNo::NORMAL,
                PortNo::IN_PORT,
            ][self.pick(4) as usize],
            _ => PortNo(self.pick(u128::from(PortNo::MAX.0) + 1) as u32),
        }
    }
}

fn gen_match(g: &mut Gen) -> FlowMatch {
    use Field as F;
    let mut m = FlowMatch::ANY;
    if g.chance(30) {
        m.set(F::InPort, u128::from(g.port().0), E32);
    }
    for f in [
        F::Metadata,
        F::Reg0,
        F::Reg5,
        F::TunnelId,
        F::TunIpv4Src,
        F::TunIpv4Dst,
        F::EthSrc,
        F::EthDst,
    ] {
        if g.chance(20) {
            g.field(&mut m, f);
        }
    }
    // VLAN.
    let vid = g.pick(0x1000);
    let pcp = g.pick(8);
    let vmask = g.pick(0x1000);
    match g.pick(9) {
        0 => m.set(F::VlanVid, 0, 0x1fff),
        1 => m.set(F::VlanVid, 0x1000, 0x1000),
        2 => m.set(F::VlanVid, 0x1000 | vid, 0x1fff),
        3 => {
            m.set(F::VlanVid, 0x1000 | vid, 0x1fff);
            m.set(F::VlanPcp, pcp, 7);
        }
        4 => {
            m.set(F::VlanVid, 0x1000, 0x1000);
            m.set(F::VlanPcp, pcp, 7);
        }
        5 => m.set(F::VlanVid, 0x1000 | vid, 0x1000 | vmask),
        6 => {
            m.set(F::VlanVid, 0x1000 | vid, 0x1000 | vmask);
            m.set(F::VlanPcp, pcp, 7);
        }
        7 => m.set(F::VlanVid, vid, (vmask | 1) & 0x1fff),
        _ => {}
    }
    // Protocols.
    let profile = g.pick(16);
    let (eth, proto): (Option<u16>, Option<u8>) = match profile {
        0 => (None, None),
        1 => {
            let e = g.pick(0x10000) as u16;
            let special = [0x0800, 0x86dd, 0x0806, 0x8035, 0x8847, 0x8848];
            (Some(if special.contains(&e) { 0x88cc } else { e }), None)
        }
        2 => (Some(0x0800), None),
        3 => (Some(0x0800), Some(47)),
        4 => (Some(0x0800), Some(6)),
        5 => (Some(0x0800), Some(17)),
        6 => (Some(0x0800), Some(132)),
        7 => (Some(0x0800), Some(1)),
        8 => (Some(0x86dd), if g.chance(50) { Some(47) } else { None }),
        9 => (Some(0x86dd), Some(6)),
        10 => (Some(0x86dd), Some(17)),
        11 => (Some(0x86dd), Some(132)),
        12 => (Some(0x86dd), Some(58)),
        13 => (Some(0x0806), None),
        14 => (Some(0x8035), None),
        _ => (Some(0x8847), None),
    };
    if let Some(e) = eth {
        m.set(F::EthType, u128::from(e), E16);
    }
    if let Some(p) = proto {
        m.set(F::IpProto, u128::from(p), 0xff);
    }
    let v4 = eth == Some(0x0800);
    let v6 = eth == Some(0x86dd);
    if v4 || v6 {
        let fields: &[Field] = if v4 {
            &[F::Ipv4Src, F::Ipv4Dst]
        } else {
            &[F::Ipv6Src, F::Ipv6Dst, F::Ipv6Label]
        };
        for &f in fields.iter().chain(&[F::IpDscp, F::IpEcn, F::NwTtl]) {
            if g.chance(40) {
                g.field(&mut m, f);
            }
        }
        if g.chance(30) {
            let (_, v, mask) = super::matches::FRAGS[g.pick(5) as usize];
            m.set(F::IpFrag, v, mask);
        }
    }
    match proto {
        Some(6 | 17 | 132) => {
            for f in [F::TcpSrc, F::TcpDst] {
                if g.chance(50) {
                    g.field(&mut m, f);
                }
            }
            if proto == Some(6) && g.chance(50) {
                g.field(&mut m, F::TcpFlags);
            }
        }
        Some(1) => {
            for f in [F::Icmpv4Type, F::Icmpv4Code] {
                if g.chance(50) {
                    g.field(&mut m, f);
                }
            }
        }
        Some(58) => {
            match g.pick(3) {
                0 => {
                    m.set(F::Icmpv6Type, 135, 0xff);
                    g.field(&mut m, F::Ipv6NdTarget);
                    g.field(&mut m, F::Ipv6NdSll);
                }
                1 => {
                    m.set(F::Icmpv6Type, 136, 0xff);
                    g.field(&mut m, F::Ipv6NdTarget);
                    g.field(&mut m, F::Ipv6NdTll);
                }
                _ => g.field(&mut m, F::Icmpv6Type),
            }
            if g.chance(50) {
                g.field(&mut m, F::Icmpv6Code);
            }
        }
        _ => {}
    }
    if matches!(eth, Some(0x0806 | 0x8035)) {
        for f in [F::ArpSpa, F::ArpTpa, F::ArpOp, F::ArpSha, F::ArpTha] {
            if g.chance(50) {
                g.field(&mut m, f);
            }
        }
    }
    m
}

/// Actions that are valid given `st` (and update it as the parser does).
fn gen_actions(g: &mut Gen, st: &mut FlowState, n: usize) -> Vec<Action> {
    use Field as F;
    let mut out = Vec::new();
    let setf = |g: &mut Gen, f: Field| Action::SetField {
        field: f,
        value: g.next() & f.max_value(),
    };
    for _ in 0..n {
        let a = match g.pick(16) {
            0 => Action::Output {
                port: g.port(),
                max_len: 0,
            },
            1 => Action::Output {
                port: PortNo::CONTROLLER,
                max_len: match g.pick(0x10000) as u16 {
                    m if crate::ofp::codec::controller_max_len_valid(m) => m,
                    _ => crate::pipeline::CML_NO_BUFFER,
                },
            },
            2 => Action::Group(g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32),
            3 => Action::SetQueue(g.next() as u32),
            4 => {
                st.vlan = true;
                Action::PushVlan([0x8100, 0x88a8][g.pick(2) as usize])
            }
            5 if st.vlan => {
                st.vlan = false;
                Action::PopVlan
            }
            6 => {
                let f = g.one_of(&[
                    F::EthSrc,
                    F::EthDst,
                    F::Metadata,
                    F::Reg1,
                    F::Reg7,
                    F::TunnelId,
                    F::TunIpv4Src,
                    F::TunIpv4Dst,
                ]);
                setf(g, f)
            }
            7 if st.vlan => {
                if g.chance(50) {
                    Action::SetField {
                        field: F::VlanVid,
                        value: 0x1000 | g.pick(0x1000),
                    }
                } else {
                    setf(g, F::VlanPcp)
                }
            }
            8 if st.eth_type == Some(0x0800) => match g.pick(6) {
                0 => Action::SetNwTtl(g.next() as u8),
                1 => Action::DecNwTtl,
                n => setf(
                    g,
                    [F::Ipv4Src, F::Ipv4Dst, F::IpDscp, F::IpEcn][n as usize - 2],
                ),
            },
            8 if st.eth_type == Some(0x86dd) => {
                let f = g.one_of(&[F::Ipv6Src, F::Ipv6Dst, F::Ipv6Label, F::NwTtl]);
                setf(g, f)
            }
            9 if st.is_ip() && matches!(st.ip_proto, Some(6 | 17 | 132)) => {
                let i = g.pick(2) as usize;
                let f = match st.ip_proto {
                    Some(6) => [F::TcpSrc, F::TcpDst][i],
                    Some(17) => [F::UdpSrc, F::UdpDst][i],
                    _ => [F::SctpSrc, F::SctpDst][i],
                };
                setf(g, f)
            }
            9 if st.eth_type == Some(0x0800) && st.ip_proto == Some(1) => {
                let f = g.one_of(&[F::Icmpv4Type, F::Icmpv4Code]);
                setf(g, f)
            }
            9 if st.eth_type == Some(0x86dd) && st.ip_proto == Some(58) => {
                let f = g.one_of(&[F::Icmpv6Type, F::Icmpv6Code]);
                setf(g, f)
            }
            9 if matches!(st.eth_type, Some(0x0806 | 0x8035)) => {
                let f = g.one_of(&[F::ArpOp, F::ArpSpa, F::ArpTpa, F::ArpSha, F::ArpTha]);
                setf(g, f)
            }
            10 => g.one_of(&[Action::CopyTtlOut, Action::CopyTtlIn]),
            11 => {
                let e = [0x8847, 0x8848][g.pick(2) as usize];
                *st = FlowState {
                    eth_type: Some(e),
                    ip_proto: None,
                    icmpv6_type: None,
                    vlan: st.vlan,
                };
                Action::PushMpls(e)
            }
            12 if st.is_mpls() => match g.pick(3) {
                0 => Action::SetMplsTtl(g.next() as u8),
                1 => Action::DecMplsTtl,
                _ => {
                    *st = FlowState {
                        eth_type: Some(0x0800),
                        ip_proto: None,
                        icmpv6_type: None,
                        vlan: st.vlan,
                    };
                    Action::PopMpls(0x0800)
                }
            },
            13 => g.one_of(&[Action::PushPbb(0x88e7), Action::PopPbb]),
            14 if st.icmpv6_type == Some(135) => {
                let f = g.one_of(&[F::Ipv6NdTarget, F::Ipv6NdSll]);
                setf(g, f)
            }
            14 if st.icmpv6_type == Some(136) => setf(g, F::Ipv6NdTll),
            _ => Action::Output {
                port: PortNo(g.pick(100) as u32 + 1),
                max_len: 0,
            },
        };
        out.push(a);
    }
    out
}

fn gen_flow_mod(cmd_i: u8, seeds: Vec<u128>) -> FlowMod {
    use FlowModCommand::*;
    let command = [Add, Modify, ModifyStrict, Delete, DeleteStrict][usize::from(cmd_i % 5)];
    let mut g = Gen { seeds, i: 0 };
    let del = matches!(command, Delete | DeleteStrict);
    let mut fm = FlowMod {
        command,
        ..FlowMod::default()
    };
    fm.table_id = if del {
        g.pick(256) as u8
    } else {
        g.pick(255) as u8
    };
    if command != Delete {
        fm.priority = g.next() as u16;
    }
    if g.chance(50) {
        fm.cookie = g.next() as u64;
    }
    if command != Add && g.chance(50) {
        fm.cookie_mask = g.next() as u64;
    }
    if !del {
        if g.chance(30) {
            fm.idle_timeout = g.next() as u16;
        }
        if g.chance(30) {
            fm.hard_timeout = g.next() as u16;
        }
        fm.flags = g.pick(32) as u16;
        if g.chance(20) {
            fm.buffer_id = g.next() as u32;
        }
    } else {
        if g.chance(30) {
            fm.out_port = g.port();
        }
        if g.chance(30) {
            fm.out_group = g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32;
        }
    }
    fm.match_ = gen_match(&mut g);
    if !del {
        let mut st = FlowState::from_match(&fm.match_);
        let mut insts = Vec::new();
        if g.chance(20) {
            insts.push(Instruction::Meter(
                g.pick(u128::from(crate::pipeline::METER_MAX)) as u32 + 1,
            ));
        }
        let n = g.pick(5) as usize;
        if n > 0 {
            insts.push(Instruction::ApplyActions(gen_actions(&mut g, &mut st, n)));
        }
        if g.chance(20) {
            insts.push(Instruction::ClearActions);
        }
        if g.chance(30) {
            let n = g.pick(3) as usize;
            insts.push(Instruction::WriteActions(gen_actions(&mut g, &mut st, n)));
        }
        if g.chance(20) {
            let mask = if g.chance(50) {
                u64::MAX
            } else {
                g.next() as u64
            };
            insts.push(Instruction::WriteMetadata {
                value: g.next() as u64,
                mask,
            });
        }
        if fm.table_id < 254 && g.chance(30) {
            let t = fm.table_id + 1 + g.pick(u128::from(254 - fm.table_id)) as u8;
            insts.push(Instruction::GotoTable(t));
        }
        fm.instructions = insts;
    }
    fm
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn flow_mods_round_trip(cmd in 0u8..5, seeds in prop::collection::vec(any::<u128>(), 8..40)) {
        let fm = gen_flow_mod(cmd, seeds);
        let printed = format_flow_mod(&fm, N);
        let parsed = parse_flow_mod(&printed, fm.command, N);
        prop_assert_eq!(parsed, Ok(fm), "{}", printed);
    }

    #[test]
    fn matches_round_trip(seeds in prop::collection::vec(any::<u128>(), 8..40)) {
        let m = gen_match(&mut Gen { seeds, i: 0 });
        let printed = format_match(&m, N);
        prop_assert_eq!(parse_match(&printed, N), Ok(m), "{}", printed);
    }

    #[test]
    fn groups_round_trip(ty in 0usize..4, seeds in prop::collection::vec(any::<u128>(), 4..20), nb in 1usize..4) {
        let mut g = Gen { seeds, i: 0 };
        let group_type = [GroupType::All, GroupType::Select, GroupType::Indirect, GroupType::FastFailover][ty];
        let nb = if group_type == GroupType::Indirect { 1 } else { nb };
        let buckets = (0..nb).map(|_| {
            let mut st = FlowState::default();
            let n = g.pick(4) as usize;
            Bucket {
                weight: if group_type == GroupType::Select { g.next() as u16 } else { 0 },
                watch_port: if group_type == GroupType::FastFailover { PortNo(g.pick(100) as u32 + 1) } else { PortNo::ANY },
                watch_group: if group_type == GroupType::FastFailover && g.chance(50) { g.pick(100) as u32 } else { GROUP_ANY },
                actions: gen_actions(&mut g, &mut st, n),
            }
        }).collect();
        let gm = GroupMod { command: GroupModCommand::Add, group_type, group_id: g.pick(u128::from(crate::pipeline::GROUP_MAX) + 1) as u32, buckets };
        let printed = format_group(&gm, N);
        prop_assert_eq!(parse_group_mod(&printed, GroupModCommand::Add, N), Ok(gm), "{}", printed);
    }

    #[test]
    fn meters_round_trip(flags in 0u16..16, id in 1u32..=crate::pipeline::METER_MAX, bands in prop::collection::vec((any::<bool>(), 1u32.., any::<u32>(), any::<u8>()), 1..4)) {
        let flags = if flags & 3 == 0 || flags & 3 == 3 { (flags & !3) | 1 } else { flags };
        let burst = flags & crate::pipeline::meter_flags::BURST != 0;
        let bands = bands.into_iter().map(|(remark, rate, burst_size, prec_level)| MeterBand {
            band_type: if remark { MeterBandType::DscpRemark { prec_level } } else { MeterBandType::Drop },
            rate,
            burst_size: if burst { burst_size } else { 0 },
        }).collect();
        let m = MeterMod { command: MeterModCommand::Add, flags, meter_id: id, bands };
        let printed = format_meter(&m);
        prop_assert_eq!(parse_meter_mod(&printed, MeterModCommand::Add), Ok(m), "{}", printed);
    }

    /// Garbage never panics, and errors point inside the line (or just past it).
    #[test]
    fn never_panics(s in "[a-z_=:,()/.0-9> -]{0,60}") {
        for cmd in [FlowModCommand::Add, FlowModCommand::Delete] {
            if let Err(e) = parse_flow_mod(&s, cmd, N) {
                prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{}: {:?}", s, e);
            }
        }
        let _ = parse_group_mod(&s, GroupModCommand::Add, N);
        let _ = parse_meter_mod(&s, MeterModCommand::Add);
        let _ = parse_packet(&s, N);
    }
}
