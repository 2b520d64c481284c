//! Prefix tries: the trie against brute force, the masks they give on the
//! "r64" benchmark rule set, and the megaflow invariant on random rule
//! sets with IPv4 prefixes of random lengths.
use std::collections::HashSet;
use std::time::Instant;

use fastpath::flow::{Field, FlowKey, FlowMask};
use proptest::prelude::*;

use super::*;
use crate::flowsyntax::{parse_flow_mod, NoPortNames};
use crate::ofp::PortNo;
use crate::pipeline::{
    Action, BridgePorts, FlowFilter, FlowMatch, FlowMod, FlowModCommand, Instruction, Pipeline,
    PortInfo, TranslateOptions, Translation,
};

use Field as F;

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn key4(f: Field, v: u32) -> FlowKey {
    let mut k = FlowKey::ZERO;
    k.set(f, u128::from(v));
    k
}

/// Brute-force walk of `v` over `prefixes` ((value, length), 32 bits).
fn brute(prefixes: &[(u32, u32)], v: u32) -> (u32, Vec<u32>) {
    let top = |x: u32, n: u32| if n == 0 { 0 } else { x >> (32 - n) };
    let mut depth = 0;
    let mut plens = Vec::new();
    for &(s, l) in prefixes {
        let lcp = (s ^ v).leading_zeros().min(l);
        depth = depth.max(lcp);
        if top(s, l) == top(v, l) {
            plens.push(l);
        }
    }
    plens.sort_unstable();
    plens.dedup();
    (depth, plens)
}

fn check_trie(t: &Trie, prefixes: &[(u32, u32)], probes: &[u32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.len(), prefixes.len());
    for &v in probes {
        let w = t.lookup(F::Ipv4Dst, &key4(F::Ipv4Dst, v));
        let (depth, plens) = brute(prefixes, v);
        prop_assert_eq!(w.depth, depth, "v={:#x} {:?}", v, prefixes);
        for l in 0..=32 {
            prop_assert_eq!(w.has(l), plens.contains(&l), "v={:#x} l={}", v, l);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Inserts and removals (with duplicates) against brute force, and
    /// persistence: a clone is not affected by later edits.
    #[test]
    fn trie_matches_brute_force(
        ops in prop::collection::vec((any::<bool>(), 0..6usize, 1..=32u32, any::<u32>()), 1..60),
        probes in prop::collection::vec((0..6usize, any::<u32>(), 0..=32u32), 20),
    ) {
        const BASES: [u32; 6] = [0x0a00_0000, 0x0a00_0100, 0x0a00_ff00, 0x0a80_0000, 0xac10_0000, 0];
        let mut t = Trie::default();
        let mut stored: Vec<(u32, u32)> = Vec::new();
        let probes: Vec<u32> = probes
            .iter()
            .map(|&(b, r, n)| BASES[b] ^ if n == 32 { 0 } else { r >> n })
            .collect();
        let mut snapshots = Vec::new();
        for &(ins, b, l, r) in &ops {
            if ins || stored.is_empty() {
                let v = (BASES[b] ^ (r >> 16)) & (u32::MAX << (32 - l));
                t.insert(F::Ipv4Dst, &key4(F::Ipv4Dst, v), l);
                stored.push((v, l));
            } else {
                let (v, l) = stored.swap_remove(r as usize % stored.len());
                // Unmasked bits in the key are ignored.
                t.remove(F::Ipv4Dst, &key4(F::Ipv4Dst, v | (r & !(u32::MAX << (32 - l)))), l);
            }
            check_trie(&t, &stored, &probes)?;
            snapshots.push((t.clone(), stored.clone()));
        }
        for (t, s) in &snapshots {
            check_trie(t, s, &probes)?;
        }
        // Removing everything leaves an empty trie.
        for (v, l) in stored.drain(..) {
            t.remove(F::Ipv4Dst, &key4(F::Ipv4Dst, v), l);
        }
        prop_assert!(t.kids.iter().all(Option::is_none));
    }
}

#[test]
fn prefix_len_of_masks() {
    let m = |f: Field, v: u128| {
        let mut k = FlowMask::ZERO;
        k.set(f, v);
        prefix_len(f, &k)
    };
    assert_eq!(m(F::Ipv4Dst, 0xffff_ff00), Some(24));
    assert_eq!(m(F::Ipv4Dst, 0xffff_ffff), Some(32));
    assert_eq!(m(F::Ipv4Dst, 0), None);
    assert_eq!(m(F::Ipv4Dst, 0xff00_ff00), None);
    assert_eq!(m(F::Ipv4Src, 0x8000_0000), Some(1));
    assert_eq!(m(F::Ipv6Src, u128::MAX << 64), Some(64));
    assert_eq!(m(F::Ipv6Dst, u128::MAX), Some(128));
    // ARP addresses share the IPv4 addresses' storage.
    assert_eq!(m(F::ArpTpa, 0xffff_0000), Some(16));
    let pm = field_prefix_mask(F::Ipv4Dst, 22);
    assert_eq!(pm.get(F::Ipv4Dst), 0xffff_fc00);
    assert_eq!(pm.get(F::Ipv4Src), 0);
}

fn ports() -> BridgePorts {
    BridgePorts::new(
        (1..=4)
            .map(|n| PortInfo {
                ofport: n,
                index: (n - 1) as u16,
                live: true,
                no_flood: false,
            })
            .collect(),
    )
}

/// The "r64" benchmark rule set.
fn r64() -> Pipeline {
    let mut flows =
        vec!["priority=400,in_port=1,udp,nw_dst=10.0.255.255,tp_dst=4789,actions=output:2".into()];
    for k in 0..32 {
        flows.push(format!(
            "priority=300,in_port=1,udp,nw_dst=10.0.{}.0/24,actions=output:2",
            k * 8
        ));
    }
    for k in 0..16 {
        flows.push(format!(
            "priority=200,in_port=1,udp,tp_dst={},actions=output:2",
            1000 + k
        ));
    }
    for k in 0..8 {
        flows.push(format!(
            "priority=150,in_port=1,udp,nw_src=172.{}.0.0/16,actions=output:2",
            16 + k
        ));
    }
    for v in ["0x0000", "0x4000", "0x8000"] {
        flows.push(format!(
            "priority=120,in_port=1,udp,tp_src={v}/0xc000,actions=output:2"
        ));
    }
    for d in [80, 443] {
        flows.push(format!(
            "priority=110,in_port=1,tcp,tp_dst={d},actions=output:2"
        ));
    }
    flows.push("priority=100,in_port=1,ip,nw_dst=10.0.128.0/17,actions=output:2".into());
    flows.push("priority=1,in_port=1,actions=output:2".into());
    assert_eq!(flows.len(), 64);
    let fms: Vec<_> = flows
        .iter()
        .map(|f| parse_flow_mod(f, FlowModCommand::Add, &NoPortNames).unwrap())
        .collect();
    let p = Pipeline::new(ports());
    p.flow_mods(&fms, Instant::now()).unwrap();
    p
}

fn ip4(a: u8, b: u8, c: u8, d: u8) -> u128 {
    u128::from(u32::from_be_bytes([a, b, c, d]))
}

fn udp_pkt(src: u128, dst: u128, sport: u128, dport: u128) -> FlowKey {
    let mut k = FlowKey::ZERO;
    k.set(F::InPort, 1);
    k.set(F::EthSrc, 0x0200_0000_0001);
    k.set(F::EthDst, 0x0200_0000_0002);
    k.set(F::EthType, 0x0800);
    k.set(F::IpProto, 17);
    k.set(F::NwTtl, 64);
    k.set(F::Ipv4Src, src);
    k.set(F::Ipv4Dst, dst);
    k.set(F::UdpSrc, sport);
    k.set(F::UdpDst, dport);
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

fn same_translation(a: &Translation, b: &Translation) -> bool {
    a.actions == b.actions
        && a.mask == b.mask
        && a.hits.len() == b.hits.len()
        && a.hits.iter().zip(&b.hits).all(|(x, y)| x.same(y))
}

/// Hand-checked: nw_dst 10.0.7.9 is 00001010.00000000.00000111.00001001.
/// The nw_dst trie holds 10.0.0.0/24 (third octet 00000000), 10.0.8.0/24
/// (00001000), ..., 10.0.128.0/17 and 10.0.255.255/32: the packet follows
/// 10.0.0.0/24 through bit 20 and leaves it at bit 21 (its third octet's
/// sixth bit is 1), so depth 21, and the /32 (priority 400) and /24
/// (priority 300) subtables are skipped consulting 22 bits: /22. The
/// nw_src trie holds 172.16-23.0.0/16 (second octet 00010xxx); 172.31 has
/// 00011111 and leaves at bit 12: depth 12, /13 for the priority-150
/// subtable. Then the priority-200 subtable (tp_dst=1000..1015) is skipped
/// by the ports trie: dport 9999 is 001..., and every port prefix stored
/// (80, 443, 1000-1015, 4789) starts 000, so depth 2 and 3 bits (0xe000)
/// prove it. Priority 120 (tp_src=0x0000/0xc000) matches, which ends the
/// lookup.
#[test]
fn r64_mask_uses_prefix_tries() {
    let p = r64();
    let k = udp_pkt(ip4(172, 31, 5, 5), ip4(10, 0, 7, 9), 0x1234, 9999);
    let t = p.snapshot().translate(&k, &TranslateOptions::default());
    assert_eq!(t.mask.get(F::Ipv4Dst), ip4(255, 255, 252, 0), "nw_dst /22");
    assert_eq!(t.mask.get(F::Ipv4Src), ip4(255, 248, 0, 0), "nw_src /13");
    assert_eq!(t.mask.get(F::UdpDst), 0xe000, "tp_dst: 3 bits");
    assert_eq!(t.mask.get(F::UdpSrc), 0xc000);
    assert_eq!(t.mask.get(F::InPort), 0xffff_ffff);
    assert_eq!(t.hits.len(), 1);
    // The invariant around it.
    let snap = p.snapshot();
    let mut r = Rng(7);
    for _ in 0..2000 {
        let q = blend(&k, &random_words(&mut r), &t.mask);
        let tq = snap.translate(&q, &TranslateOptions::default());
        assert!(same_translation(&t, &tq), "{q:?}");
    }
    // Other packets in that /22 and /13 get the same megaflow. 10.0.255.1
    // follows the /32 to bit 24 and is in no /24: both subtables skipped,
    // with 25 and 24 bits.
    let t2 = snap.translate(
        &udp_pkt(ip4(172, 30, 9, 9), ip4(10, 0, 5, 200), 0x0001, 12345),
        &TranslateOptions::default(),
    );
    assert_eq!(t2.mask, t.mask);
    let t3 = snap.translate(
        &udp_pkt(ip4(172, 31, 5, 5), ip4(10, 0, 255, 1), 0x1234, 9999),
        &TranslateOptions::default(),
    );
    assert_eq!(t3.mask.get(F::Ipv4Dst), ip4(255, 255, 255, 128));
    let t4 = snap.translate(
        &udp_pkt(ip4(172, 31, 5, 5), ip4(10, 0, 8, 1), 0x1234, 9999),
        &TranslateOptions::default(),
    );
    // Follows 10.0.8.0/24 to its end (24), no longer prefix: the /32
    // subtable is skipped with 25 bits, the /24 one matches (24 bits).
    assert_eq!(t4.mask.get(F::Ipv4Dst), ip4(255, 255, 255, 128));
}

/// The benchmark traffic: UDP from 172.16.0.0/12 to 10.0.0.0/16, random
/// sport, dport half from a small set, half random.
fn traffic(n: usize, seed: u64) -> Vec<FlowKey> {
    const DPORTS: [u128; 21] = [
        53, 123, 443, 4789, 8080, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010,
        1011, 1012, 1013, 1014, 1015,
    ];
    let mut r = Rng(seed);
    (0..n)
        .map(|_| {
            let src = ip4(172, 16, 0, 0) | u128::from(r.next() as u32 & 0x000f_ffff);
            let dst = ip4(10, 0, 0, 0) | u128::from(r.next() as u16);
            let sport = u128::from(r.next() as u16);
            let dport = if r.next() & 1 == 0 {
                DPORTS[(r.next() % DPORTS.len() as u64) as usize]
            } else {
                u128::from(r.next() as u16)
            };
            udp_pkt(src, dst, sport, dport)
        })
        .collect()
}

/// Distinct megaflows for 10 000 packets of the benchmark traffic. Before
/// prefix tries: 9 920 (nw_dst exact in every megaflow); with the address
/// tries 6 670 (tp_dst exact from the priority-200 subtable); with the
/// ports tries too, 4 687.
#[test]
fn r64_megaflow_count() {
    let p = r64();
    let snap = p.snapshot();
    let pkts = traffic(10_000, 0x5eed_1234_abcd_0001);
    let mut flows: HashSet<(FlowMask, FlowKey)> = HashSet::new();
    let mut r = Rng(99);
    for (i, k) in pkts.iter().enumerate() {
        let t = snap.translate(k, &TranslateOptions::default());
        flows.insert((t.mask, k.masked(&t.mask)));
        if i % 10 == 0 {
            let q = blend(k, &random_words(&mut r), &t.mask);
            let tq = snap.translate(&q, &TranslateOptions::default());
            assert!(same_translation(&t, &tq), "{k:?}\n{q:?}");
        }
    }
    eprintln!("r64: {} megaflows for {} packets", flows.len(), pkts.len());
    assert!(flows.len() < 5_000, "{} megaflows", flows.len());
}

// ---- The megaflow invariant with random-length IPv4 prefixes ----

const BASES: [u32; 4] = [0x0a00_0000, 0x0a00_0700, 0x0a00_ffff, 0xac10_0000];

/// (priority, class, in_port?, nw_src (base, len)?, nw_dst (base, len)?,
/// port?) — class 0: ip, 1: udp, 2: tcp, 3: arp (arp_spa/arp_tpa).
type Spec = (
    u16,
    u8,
    bool,
    Option<(usize, u32)>,
    Option<(usize, u32)>,
    Option<u8>,
);

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..8u16,
        0..4u8,
        any::<bool>(),
        prop::option::of((0..4usize, 0..=32u32)),
        prop::option::of((0..4usize, 0..=32u32)),
        prop::option::of(0..3u8),
    )
}

fn spec_match(s: &Spec) -> FlowMatch {
    let &(_, class, in_port, src, dst, port) = s;
    let mut m = FlowMatch::ANY;
    let arp = class == 3;
    m.set(F::EthType, if arp { 0x0806 } else { 0x0800 }, 0xffff);
    if class == 1 || class == 2 {
        m.set(F::IpProto, if class == 1 { 17 } else { 6 }, 0xff);
    }
    if in_port {
        m.set(F::InPort, 1, 0xffff_ffff);
    }
    let pfx = |(b, l): (usize, u32)| {
        let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
        (u128::from(BASES[b] & mask), u128::from(mask))
    };
    if let Some((v, mk)) = src.map(pfx) {
        m.set(if arp { F::ArpSpa } else { F::Ipv4Src }, v, mk);
    }
    if let Some((v, mk)) = dst.map(pfx) {
        m.set(if arp { F::ArpTpa } else { F::Ipv4Dst }, v, mk);
    }
    if let Some(pt) = port {
        let v = [53, 80, 4789][usize::from(pt)];
        match class {
            1 => m.set(F::UdpDst, v, 0xffff),
            2 => m.set(F::TcpDst, v, 0xffff),
            _ => {}
        }
    }
    m
}

fn spec_flow(s: &Spec, i: usize, command: FlowModCommand) -> FlowMod {
    FlowMod {
        command,
        priority: s.0 * 10,
        match_: spec_match(s),
        instructions: vec![Instruction::ApplyActions(vec![Action::Output {
            port: PortNo(1 + (i % 3) as u32),
            max_len: 0,
        }])],
        ..Default::default()
    }
}

/// A packet near the rules' prefixes.
fn near_packet(r: &mut Rng) -> FlowKey {
    let mut k = FlowKey::ZERO;
    k.set(F::InPort, u128::from(1 + r.next() % 2));
    let near = |r: &mut Rng| {
        let b = BASES[(r.next() % 4) as usize];
        let n = (r.next() % 33) as u32;
        u128::from(if n == 32 {
            b
        } else {
            b ^ (r.next() as u32 >> n)
        })
    };
    match r.next() % 4 {
        0 => {
            k.set(F::EthType, 0x0806);
            k.set(F::ArpSpa, near(r));
            k.set(F::ArpTpa, near(r));
        }
        c => {
            k.set(F::EthType, 0x0800);
            k.set(F::IpProto, [17, 6, 1][(c - 1) as usize]);
            k.set(F::Ipv4Src, near(r));
            k.set(F::Ipv4Dst, near(r));
            k.set(F::TcpDst, [53, 80, 4789, 9][(r.next() % 4) as usize]);
        }
    }
    k
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any packet agreeing with `p` on the mask translates identically,
    /// and the lookup finds the highest-priority match, on rule sets of
    /// random-length IPv4 (and ARP) prefixes, after adds and deletes.
    #[test]
    fn prefix_mask_is_sufficient(
        rules in prop::collection::vec(spec(), 1..24),
        deletes in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        seed in any::<u64>(),
    ) {
        let p = Pipeline::new(ports());
        let now = Instant::now();
        for (i, s) in rules.iter().enumerate() {
            p.flow_mod(&spec_flow(s, i, FlowModCommand::Add), now).unwrap();
        }
        for d in &deletes {
            let i = d.index(rules.len());
            p.flow_mod(&spec_flow(&rules[i], i, FlowModCommand::DeleteStrict), now).unwrap();
        }
        let snap = p.snapshot();
        let all = snap.flows(&FlowFilter { table_id: 0, ..Default::default() });
        let trace = TranslateOptions { trace: true, ..Default::default() };
        let mut r = Rng(seed | 1);
        for _ in 0..16 {
            let pk = near_packet(&mut r);
            let t = snap.translate(&pk, &TranslateOptions::default());
            let tt = snap.translate(&pk, &trace);
            let best = all.iter().filter(|f| f.match_.matches(&pk)).map(|f| f.priority).max();
            prop_assert_eq!(tt.trace[0].matched.as_ref().map(|m| m.0), best);
            for j in 0..6 {
                let other = if j % 2 == 0 { random_words(&mut r) } else { near_packet(&mut r) };
                let q = blend(&pk, &other, &t.mask);
                let tq = snap.translate(&q, &TranslateOptions::default());
                prop_assert!(
                    same_translation(&t, &tq),
                    "p={:?}\nq={:?}\nmask={:?}\nqmask={:?}", pk, q, t.mask, tq.mask
                );
            }
        }
    }
}

/// Tries follow adds and deletes (their sizes) and a large table builds
/// in linear time.
#[test]
fn tries_track_entries() {
    let p = r64();
    let snap = p.snapshot();
    let cls = &snap.tables[0].cls;
    // nw_dst: the /32, 32 /24s and the /17; nw_src: 8 /16s.
    assert_eq!(cls.trie_len(0), 34);
    assert_eq!(cls.trie_len(1), 8);
    assert_eq!(cls.trie_len(2), 0);
    let del = parse_flow_mod(
        "priority=300,in_port=1,udp,nw_dst=10.0.0.0/24",
        FlowModCommand::DeleteStrict,
        &NoPortNames,
    )
    .unwrap();
    p.flow_mod(&del, Instant::now()).unwrap();
    assert_eq!(p.snapshot().tables[0].cls.trie_len(0), 33);
    assert_eq!(snap.tables[0].cls.trie_len(0), 34, "old snapshot unchanged");
    // 10.0.7.9 now follows 10.0.8.0/24 (third octet 00001000) and leaves
    // it at bit 20: 21 bits.
    let k = udp_pkt(ip4(172, 31, 5, 5), ip4(10, 0, 7, 9), 0x1234, 9999);
    let t = p.snapshot().translate(&k, &TranslateOptions::default());
    assert_eq!(t.mask.get(F::Ipv4Dst), ip4(255, 255, 248, 0));
}

/// 20k prefix flows: tries are updated incrementally (path copies), not
/// rebuilt, so this stays linear.
#[test]
fn tries_follow_20k_flows() {
    let p = Pipeline::new(ports());
    let mk = |i: u32, command| {
        let mut m = FlowMatch::ANY;
        m.set(F::EthType, 0x0800, 0xffff);
        let l = 16 + i % 17;
        m.set(
            F::Ipv4Dst,
            u128::from(i << 8),
            u128::from(u32::MAX << (32 - l)),
        );
        FlowMod {
            command,
            priority: 100,
            match_: m,
            instructions: vec![Instruction::ApplyActions(vec![Action::Output {
                port: PortNo(2),
                max_len: 0,
            }])],
            ..Default::default()
        }
    };
    let t0 = Instant::now();
    let fms: Vec<_> = (0..20_000).map(|i| mk(i, FlowModCommand::Add)).collect();
    p.flow_mods(&fms, Instant::now()).unwrap();
    // One by one (a snapshot each) too.
    for i in 20_000..21_000 {
        p.flow_mod(&mk(i, FlowModCommand::Add), Instant::now())
            .unwrap();
    }
    let n = p.snapshot().tables[0].cls.len();
    assert_eq!(p.snapshot().tables[0].cls.trie_len(0), n);
    for i in 0..1000 {
        p.flow_mod(&mk(i * 7, FlowModCommand::DeleteStrict), Instant::now())
            .unwrap();
    }
    let n = p.snapshot().tables[0].cls.len();
    assert_eq!(p.snapshot().tables[0].cls.trie_len(0), n);
    eprintln!("20k prefix flows: {:?}", t0.elapsed());
}
