//! Property tests of the wildcard-mask invariant: translating packet `p`
//! gives (actions `a`, mask `m`); every packet `q` with `q & m == p & m`
//! translates to the same actions, hits and mask.
use std::time::Instant;

use fastpath::flow::{Field, FlowKey, FlowMask};
use proptest::prelude::*;

use super::*;
use crate::ofp::PortNo;

use Field as F;

const MACS: [u128; 4] = [
    0x0200_0000_0001,
    0x0200_0000_0002,
    0x0300_0000_0003,
    0xffff_ffff_ffff,
];
const IPS: [u128; 4] = [0x0a00_0001, 0x0a00_0002, 0x0a00_0101, 0x0b00_0001];
const IP_MASKS: [u128; 3] = [0xff00_0000, 0xffff_ff00, 0xffff_ffff];
const PORTS: [u128; 4] = [80, 443, 81, 0x1bb];
const PORT_MASKS: [u128; 3] = [0xffff, 0xff00, 0x0001];
const TTLS: [u128; 4] = [0, 1, 2, 64];

/// A rule as random numbers; `build` turns it into a (mostly valid) flow
/// mod whose match respects prerequisites.
#[derive(Debug, Clone)]
struct RuleSpec {
    table: u8,
    priority: u16,
    class: u8,
    fields: Vec<(u8, u8, u8)>,
    apply: Vec<(u8, u8)>,
    write: Option<Vec<(u8, u8)>>,
    clear: bool,
    metadata: Option<(u8, u8)>,
    goto: Option<u8>,
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        (0..3u8, 0..6u16, 0..6u8),
        prop::collection::vec((0..9u8, 0..4u8, 0..3u8), 0..4),
        prop::collection::vec((0..12u8, any::<u8>()), 0..3),
        prop::option::of(prop::collection::vec((0..12u8, any::<u8>()), 0..3)),
        any::<bool>(),
        prop::option::of((0..4u8, 1..4u8)),
        prop::option::weighted(0.6, 0..3u8),
    )
        .prop_map(
            |((table, priority, class), fields, apply, write, clear, metadata, goto)| RuleSpec {
                table,
                priority: priority * 10,
                class,
                fields,
                apply,
                write,
                clear,
                metadata,
                goto,
            },
        )
}

fn build_match(class: u8, fields: &[(u8, u8, u8)]) -> FlowMatch {
    let mut m = FlowMatch::ANY;
    let full = |f: Field| f.max_value();
    match class {
        1 => m.set(F::EthType, 0x0806, 0xffff),
        2 => m.set(F::EthType, 0x0800, 0xffff),
        3 | 4 => {
            m.set(F::EthType, 0x0800, 0xffff);
            m.set(F::IpProto, if class == 3 { 6 } else { 17 }, 0xff);
        }
        5 => m.set(F::EthType, 0x86dd, 0xffff),
        _ => {}
    }
    let ipv4 = (2..=4).contains(&class);
    for &(which, v, mi) in fields {
        let (v, mi) = (usize::from(v), usize::from(mi));
        match which {
            0 => m.set(F::InPort, (v + 1) as u128, full(F::InPort)),
            1 => m.set(F::Metadata, v as u128, [1, 3, u128::from(u64::MAX)][mi]),
            2 => m.set(F::Reg0, v as u128, full(F::Reg0)),
            3 => m.set(
                F::EthDst,
                MACS[v],
                [full(F::EthDst), 0x0100_0000_0000, 0xffff_ffff_ff00][mi],
            ),
            4 => {
                let (val, mask) = [
                    (0, 0x1fff),
                    (0x1000, 0x1000),
                    (0x100a, 0x1fff),
                    (0x1014, 0x1fff),
                ][v];
                m.set(F::VlanVid, val, mask);
            }
            5 if ipv4 => m.set(F::Ipv4Dst, IPS[v], IP_MASKS[mi]),
            5 if class == 1 => m.set(F::ArpTpa, IPS[v], IP_MASKS[mi]),
            6 if ipv4 => m.set(F::Ipv4Src, IPS[v], IP_MASKS[mi]),
            6 if class == 5 => m.set(F::Ipv6Dst, IPS[v], u128::MAX << (mi * 8)),
            7 if class == 3 => m.set(F::TcpDst, PORTS[v], PORT_MASKS[mi]),
            7 if class == 4 => m.set(F::UdpDst, PORTS[v], PORT_MASKS[mi]),
            8 if class >= 2 => m.set(F::NwTtl, TTLS[v], 0xff),
            _ => {}
        }
    }
    m
}

fn build_actions(class: u8, specs: &[(u8, u8)]) -> Vec<Action> {
    let mut v = Vec::new();
    for &(kind, arg) in specs {
        let a = usize::from(arg);
        match kind {
            0 => v.push(Action::Output {
                port: PortNo(1 + u32::from(arg % 4)),
                max_len: 0,
            }),
            1 => v.push(Action::Output {
                port: PortNo::IN_PORT,
                max_len: 0,
            }),
            2 => v.push(Action::Output {
                port: if arg % 2 == 0 {
                    PortNo::ALL
                } else {
                    PortNo::FLOOD
                },
                max_len: 0,
            }),
            3 => v.push(Action::Output {
                port: PortNo::CONTROLLER,
                max_len: 64,
            }),
            4 => v.push(Action::Group(1 + u32::from(arg % 5))),
            5 => v.push(Action::SetField {
                field: F::Reg0,
                value: (a % 4) as u128,
            }),
            6 => v.push(Action::SetField {
                field: F::Metadata,
                value: (a % 4) as u128,
            }),
            7 => v.push(Action::SetField {
                field: F::EthDst,
                value: MACS[a % 3],
            }),
            8 => {
                v.push(Action::PushVlan(0x8100));
                if arg % 3 != 0 {
                    v.push(Action::SetField {
                        field: F::VlanVid,
                        value: [10, 20][a % 2],
                    });
                }
            }
            9 => v.push(Action::PopVlan),
            10 => v.push(Action::DecNwTtl),
            _ => match class {
                3 if arg % 2 == 0 => v.push(Action::SetField {
                    field: F::TcpDst,
                    value: PORTS[a % 4],
                }),
                2..=4 => v.push(Action::SetField {
                    field: F::Ipv4Dst,
                    value: IPS[a % 4],
                }),
                _ => v.push(Action::SetNwTtl(arg)),
            },
        }
    }
    v
}

fn build_rule(s: &RuleSpec) -> FlowMod {
    let table = s.table;
    let mut insts = Vec::new();
    if !s.apply.is_empty() {
        insts.push(Instruction::ApplyActions(build_actions(s.class, &s.apply)));
    }
    if s.clear {
        insts.push(Instruction::ClearActions);
    }
    if let Some(w) = &s.write {
        insts.push(Instruction::WriteActions(build_actions(s.class, w)));
    }
    if let Some((v, m)) = s.metadata {
        insts.push(Instruction::WriteMetadata {
            value: v.into(),
            mask: m.into(),
        });
    }
    if let Some(g) = s.goto {
        if table < 2 {
            insts.push(Instruction::GotoTable(table + 1 + g % (2 - table)));
        }
    }
    FlowMod {
        table_id: table,
        priority: s.priority,
        match_: build_match(s.class, &s.fields),
        instructions: insts,
        ..Default::default()
    }
}

fn install_groups(p: &Pipeline) {
    let b = |weight, watch_port, watch_group, actions| Bucket {
        weight,
        watch_port: PortNo(watch_port),
        watch_group,
        actions,
    };
    let out = |p| Action::Output {
        port: PortNo(p),
        max_len: 0,
    };
    let any = PortNo::ANY.0;
    let gm = |id, t, buckets| GroupMod {
        command: GroupModCommand::Add,
        group_type: t,
        group_id: id,
        buckets,
    };
    p.group_mod(&gm(
        1,
        GroupType::Select,
        vec![
            b(1, any, GROUP_ANY, vec![out(2)]),
            b(2, 3, GROUP_ANY, vec![out(3)]),
            b(
                1,
                2,
                GROUP_ANY,
                vec![
                    Action::SetField {
                        field: F::EthSrc,
                        value: 7,
                    },
                    out(4),
                ],
            ),
            b(0, any, GROUP_ANY, vec![out(1)]),
        ],
    ))
    .unwrap();
    p.group_mod(&gm(
        2,
        GroupType::All,
        vec![
            b(0, any, GROUP_ANY, vec![out(2)]),
            b(
                0,
                any,
                GROUP_ANY,
                vec![
                    Action::SetField {
                        field: F::Ipv4Dst,
                        value: IPS[1],
                    },
                    out(3),
                ],
            ),
            b(
                0,
                any,
                GROUP_ANY,
                vec![
                    Action::PushVlan(0x88a8),
                    Action::SetField {
                        field: F::VlanPcp,
                        value: 3,
                    },
                    Action::Output {
                        port: PortNo::IN_PORT,
                        max_len: 0,
                    },
                ],
            ),
        ],
    ))
    .unwrap();
    p.group_mod(&gm(
        3,
        GroupType::FastFailover,
        vec![
            b(0, 2, GROUP_ANY, vec![out(2)]),
            b(0, 3, GROUP_ANY, vec![Action::DecNwTtl, out(3)]),
            b(0, any, 1, vec![out(4)]),
        ],
    ))
    .unwrap();
    p.group_mod(&gm(
        4,
        GroupType::Indirect,
        vec![b(0, any, GROUP_ANY, vec![Action::Group(2), out(1)])],
    ))
    .unwrap();
    // Set-field prerequisites checked per packet (no match to rely on).
    p.group_mod(&gm(
        5,
        GroupType::All,
        vec![
            b(
                0,
                any,
                GROUP_ANY,
                vec![
                    Action::SetField {
                        field: F::VlanVid,
                        value: 30,
                    },
                    out(3),
                ],
            ),
            b(
                0,
                any,
                GROUP_ANY,
                vec![
                    Action::SetField {
                        field: F::TcpSrc,
                        value: 99,
                    },
                    out(2),
                ],
            ),
        ],
    ))
    .unwrap();
}

/// xorshift64*: the packets and the randomized bits come from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick(&mut self, xs: &[u128]) -> u128 {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A packet from the rules' small value domains.
fn domain_packet(r: &mut Rng) -> FlowKey {
    let mut k = FlowKey::ZERO;
    k.set(F::InPort, r.pick(&[1, 2, 3, 4, 1, 2, 5]));
    k.set(F::Metadata, r.pick(&[0, 1, 2, 3]));
    k.set(F::Reg0, r.pick(&[0, 1, 2, 3]));
    k.set(F::EthDst, r.pick(&MACS));
    k.set(F::EthSrc, r.pick(&MACS));
    k.set(F::VlanVid, r.pick(&[0, 0, 0x100a, 0x1014, 0x101e]));
    if k.get(F::VlanVid) != 0 {
        k.set(F::VlanPcp, r.pick(&[0, 3, 7]));
        k.set(F::VlanOuterTci, r.pick(&[0, 0, 0x3005]));
    }
    let et = r.pick(&[0x0800, 0x0800, 0x0806, 0x86dd, 0x1234]);
    k.set(F::EthType, et);
    match et {
        0x0800 => {
            k.set(F::IpProto, r.pick(&[6, 17, 1]));
            k.set(F::NwTtl, r.pick(&TTLS));
            k.set(F::Ipv4Src, r.pick(&IPS));
            k.set(F::Ipv4Dst, r.pick(&IPS));
            k.set(F::TcpSrc, r.pick(&PORTS));
            k.set(F::TcpDst, r.pick(&PORTS));
        }
        0x0806 => {
            k.set(F::ArpOp, r.pick(&[1, 2]));
            k.set(F::ArpSpa, r.pick(&IPS));
            k.set(F::ArpTpa, r.pick(&IPS));
        }
        0x86dd => {
            k.set(F::IpProto, r.pick(&[6, 58]));
            k.set(F::NwTtl, r.pick(&TTLS));
            k.set(F::Ipv6Dst, r.pick(&IPS));
            k.set(F::Ipv6Src, r.pick(&IPS));
        }
        _ => {}
    }
    k
}

/// `p` on the bits of `m`, `other` elsewhere.
fn blend(p: &FlowKey, other: &FlowKey, m: &FlowMask) -> FlowKey {
    let mut q = FlowKey::ZERO;
    let (pw, ow, mw) = (p.words(), other.words(), m.words());
    for (i, w) in q.words_mut().iter_mut().enumerate() {
        *w = (pw[i] & mw[i]) | (ow[i] & !mw[i]);
    }
    q
}

fn random_words(r: &mut Rng) -> FlowKey {
    let mut k = FlowKey::ZERO;
    for w in k.words_mut().iter_mut() {
        *w = r.next();
    }
    k
}

fn check_translations(
    p: &Pipeline,
    seed: u64,
    send_invalid_ttl: bool,
) -> Result<(), TestCaseError> {
    let snap = p.snapshot();
    let opts = TranslateOptions {
        send_invalid_ttl,
        ..Default::default()
    };
    let trace_opts = TranslateOptions {
        trace: true,
        ..opts.clone()
    };
    let all_rules = snap.flows(&FlowFilter {
        table_id: 0,
        ..Default::default()
    });
    let mut r = Rng(seed | 1);
    for _ in 0..8 {
        let pk = domain_packet(&mut r);
        let t = snap.translate(&pk, &opts);
        // The table-0 lookup is the highest-priority matching entry.
        let tt = snap.translate(&pk, &trace_opts);
        prop_assert_eq!(&tt.actions, &t.actions);
        let best = all_rules
            .iter()
            .filter(|f| f.match_.matches(&pk))
            .map(|f| f.priority)
            .max();
        match (&tt.trace[0].matched, best) {
            (None, None) => {}
            (Some((prio, _, m, _)), Some(b)) => {
                prop_assert_eq!(*prio, b);
                prop_assert!(m.matches(&pk));
            }
            (got, want) => prop_assert!(false, "table 0: got {:?}, want priority {:?}", got, want),
        }
        for j in 0..5 {
            let other = if j == 0 {
                random_words(&mut r)
            } else {
                domain_packet(&mut r)
            };
            let q = blend(&pk, &other, &t.mask);
            let tq = snap.translate(&q, &opts);
            prop_assert_eq!(
                &tq.actions,
                &t.actions,
                "p={:?}\nq={:?}\nmask={:?}",
                pk,
                q,
                t.mask
            );
            prop_assert_eq!(tq.hits.len(), t.hits.len());
            for (a, b) in tq.hits.iter().zip(&t.hits) {
                prop_assert!(a.same(b), "different entries credited");
            }
            prop_assert_eq!(tq.mask, t.mask);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// THE property: any packet agreeing with `p` on the translation's
    /// mask translates identically.
    #[test]
    fn mask_is_sufficient(
        rules in prop::collection::vec(rule_spec(), 1..12),
        catch_alls in prop::collection::vec(prop::option::weighted(0.7, rule_spec()), 3),
        live2 in any::<bool>(),
        live3 in any::<bool>(),
        send_invalid_ttl in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let ports = BridgePorts::new(
            (1..=4)
                .map(|i| PortInfo { ofport: i, index: (i - 1) as u16, live: match i { 2 => live2, 3 => live3, _ => true }, no_flood: i == 4 })
                .collect(),
        );
        let p = Pipeline::new(ports);
        install_groups(&p);
        let now = Instant::now();
        let mut installed = 0;
        for s in &rules {
            if p.flow_mod(&build_rule(s), now).is_ok() {
                installed += 1;
            }
        }
        // Low-priority catch-alls keep more packets going through tables.
        for (t, c) in catch_alls.iter().enumerate() {
            if let Some(c) = c {
                let spec = RuleSpec { table: t as u8, priority: 0, class: 0, fields: Vec::new(), ..c.clone() };
                if p.flow_mod(&build_rule(&spec), now).is_ok() {
                    installed += 1;
                }
            }
        }
        prop_assume!(installed > 0);
        check_translations(&p, seed, send_invalid_ttl)?;
    }

    /// Port dependencies are complete: after a random port change
    /// (liveness, flood flag, PORT_MOD config, a port added or deleted),
    /// every translation that did not depend on a changed port
    /// (`ports & changed == 0`) translates exactly as before, so keeping
    /// its megaflow is right.
    #[test]
    fn port_dependencies_are_complete(
        rules in prop::collection::vec(rule_spec(), 1..12),
        catch_all in prop::option::weighted(0.7, rule_spec()),
        change in (1..=5u32, 0..6u8),
        backwards in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let plain = BridgePorts::new(
            (1..=4)
                .map(|i| PortInfo { ofport: i, index: (i - 1) as u16, live: true, no_flood: i == 4 })
                .collect(),
        );
        let (port, what) = change;
        let mut infos: Vec<PortInfo> = plain.iter().copied().collect();
        let mut config = Vec::new();
        match (what, infos.iter().position(|i| i.ofport == port)) {
            (0, Some(i)) => infos[i].live = !infos[i].live,
            (1, Some(i)) => infos[i].no_flood = !infos[i].no_flood,
            (2, _) => config.push((port, admin::NO_RECV)),
            (3, _) => config.push((port, admin::NO_FWD)),
            (4, _) => config.push((port, admin::PORT_DOWN)),
            (_, Some(i)) => { infos.remove(i); }
            (_, None) => infos.push(PortInfo { ofport: port, index: 4, live: true, no_flood: false }),
        }
        let changed_ports = BridgePorts::new(infos).with_config(config);
        // Either way round: from the plain ports or back to them.
        let (before_ports, after_ports) = if backwards {
            (changed_ports, plain)
        } else {
            (plain, changed_ports)
        };
        // Rules are installed while every port exists (else outputs to a
        // missing port are refused); the starting ports follow.
        let p = Pipeline::new(BridgePorts::new(
            (1..=5).map(|i| PortInfo { ofport: i, index: (i - 1) as u16, live: true, no_flood: false }).collect(),
        ));
        install_groups(&p);
        let now = Instant::now();
        for s in &rules {
            let _ = p.flow_mod(&build_rule(s), now);
        }
        if let Some(c) = catch_all {
            let spec = RuleSpec { table: 0, priority: 0, class: 0, fields: Vec::new(), ..c };
            let _ = p.flow_mod(&build_rule(&spec), now);
        }
        p.set_ports(before_ports.clone());
        let changed = before_ports.changed(&after_ports);
        prop_assume!(changed != 0);
        let opts = TranslateOptions::default();
        let before = p.snapshot();
        p.set_ports(after_ports);
        let after = p.snapshot();
        let mut r = Rng(seed);
        for _ in 0..64 {
            let k = domain_packet(&mut r);
            let t0 = before.translate(&k, &opts);
            if t0.ports & changed != 0 {
                continue;
            }
            // Every packet the megaflow covers, not just the one that
            // made it (the new translation may need fewer bits).
            for j in 0..4 {
                let q = if j == 0 {
                    k
                } else {
                    blend(&k, &random_words(&mut r), &t0.mask)
                };
                let t1 = after.translate(&q, &opts);
                prop_assert_eq!(&t1.actions, &t0.actions, "{:?} after changing port {} ({})", q, port, what);
                prop_assert_eq!(&t1.hits, &t0.hits);
            }
        }
    }

    /// The generator's rules are valid (so the property above exercises
    /// what it claims to).
    #[test]
    fn generated_rules_are_valid(s in rule_spec()) {
        let p = Pipeline::new(BridgePorts::new(
            (1..=4).map(|i| PortInfo { ofport: i, index: (i - 1) as u16, live: true, no_flood: false }).collect(),
        ));
        install_groups(&p);
        let fm = build_rule(&s);
        let r = p.flow_mod(&fm, Instant::now());
        prop_assert!(r.is_ok(), "{:?}: {:?}", fm, r);
    }
}

#[test]
fn mask_is_not_trivially_wide() {
    // Only in_port=1: whatever the packet, the mask is in_port alone.
    let p = Pipeline::new(BridgePorts::new(vec![
        PortInfo {
            ofport: 1,
            index: 0,
            live: true,
            no_flood: false,
        },
        PortInfo {
            ofport: 2,
            index: 1,
            live: true,
            no_flood: false,
        },
    ]));
    let mut m = FlowMatch::ANY;
    m.set(F::InPort, 1, u128::from(u32::MAX));
    p.flow_mod(
        &FlowMod {
            match_: m,
            instructions: vec![Instruction::ApplyActions(vec![Action::Output {
                port: PortNo(2),
                max_len: 0,
            }])],
            ..Default::default()
        },
        Instant::now(),
    )
    .unwrap();
    let mut r = Rng(42);
    let want = FlowMask::field_mask(F::InPort);
    for _ in 0..200 {
        let k = domain_packet(&mut r);
        let t = p.snapshot().translate(&k, &TranslateOptions::default());
        assert_eq!(t.mask, want, "{k:?}");
        let mut q = random_words(&mut r);
        q.set(F::InPort, k.get(F::InPort));
        assert_eq!(
            p.snapshot()
                .translate(&q, &TranslateOptions::default())
                .mask,
            want
        );
    }
}
