//! Unit tests of the megaflow cache, on keys built in memory.
use super::*;
use crate::flow::Field;
use std::sync::atomic::{AtomicU64, Ordering};

struct Count(AtomicU64, AtomicU64);
impl FlowCredit for Count {
    fn credit(&self, p: u64, b: u64) {
        self.0.fetch_add(p, Ordering::Relaxed);
        self.1.fetch_add(b, Ordering::Relaxed);
    }
}

fn upcall(mask: FlowMask, out: u16, credit: Arc<Count>) -> Upcall {
    Upcall {
        actions: vec![DpAction::Output(out)].into(),
        mask,
        credits: vec![credit as Arc<dyn FlowCredit>].into(),
        tables: 1,
        ports: 0,
    }
}

/// The mask of `fields`.
fn mask(fields: &[Field]) -> FlowMask {
    let mut m = FlowKey::ZERO;
    for &f in fields {
        m.or_assign(&FlowKey::field_mask(f));
    }
    m
}

fn key(in_port: u32, dst: u32) -> FlowKey {
    let mut k = FlowKey::ZERO;
    k.set(Field::InPort, in_port.into());
    k.set(Field::EthType, 0x800);
    k.set(Field::Ipv4Dst, dst.into());
    k
}

#[test]
fn masked_hit_miss_and_credit() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let m = FlowKey::field_mask(Field::InPort);
    let i = cache
        .insert(&key(1, 5), &upcall(m, 2, c.clone()), 0)
        .unwrap();
    // Any packet from port 1 hits, whatever its destination.
    let (hit, probes) = cache.lookup(&key(1, 99));
    assert_eq!(hit, Some(i));
    assert_eq!(probes, 1);
    assert_eq!(cache.lookup(&key(2, 5)).0, None);
    let mf = cache.get_mut(i).unwrap();
    mf.hit_n(1, 64);
    mf.hit_n(1, 100);
    assert_eq!(mf.actions.as_ref(), &[DpAction::Output(2)]);
    assert_eq!((mf.packets(), mf.bytes()), (2, 164));
    assert_eq!(mf.last_used_tsc(7), 7, "hits pending: used just now");
    mf.flush_credits(5);
    assert_eq!((mf.packets(), mf.bytes(), mf.last_used_tsc(7)), (2, 164, 5));
    assert_eq!(c.0.load(Ordering::Relaxed), 2);
    assert_eq!(c.1.load(Ordering::Relaxed), 164);
}

#[test]
fn whole_burst_only_for_masks_of_fields_a_burst_shares() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let m = mask(&[Field::InPort, Field::Reg3, Field::TunnelId]);
    let by_port = cache.insert(&key(1, 5), &upcall(m, 2, c.clone()), 0);
    // The same port, but also a header field: packets differ there.
    let m = mask(&[Field::InPort, Field::EthType]);
    let by_type = cache.insert(&key(2, 5), &upcall(m, 2, c.clone()), 0);
    let by_dst = cache.insert(
        &key(3, 5),
        &upcall(FlowKey::field_mask(Field::Ipv4Dst), 2, c),
        0,
    );
    assert!(cache.matches_whole_burst(by_port.unwrap()));
    assert!(!cache.matches_whole_burst(by_type.unwrap()));
    assert!(!cache.matches_whole_burst(by_dst.unwrap()));
    assert!(!cache.matches_whole_burst(99));
    let inv = FlowKey::ingress_invariant();
    assert!(FlowKey::field_mask(Field::InPort).is_subset_of(&inv));
    assert!(!FlowKey::field_mask(Field::EthType).is_subset_of(&inv));
    assert!(!FlowKey::field_mask(Field::VlanVid).is_subset_of(&inv));
}

#[test]
fn ingress_megaflow_is_the_single_output_in_port_only_one() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    // Only header masks: no subtable can take a whole burst.
    let by_type = mask(&[Field::InPort, Field::EthType]);
    cache.insert(&key(1, 5), &upcall(by_type, 2, c.clone()), 0);
    assert_eq!(cache.ingress_megaflow(1), None);
    // in_port alone (and zero-valued ingress fields) with one output.
    let m = mask(&[Field::InPort, Field::TunnelId]);
    let i = cache.insert(&key(3, 5), &upcall(m, 4, c.clone()), 0);
    let i = i.map(|i| i as u32);
    assert_eq!(cache.ingress_megaflow(3), i.map(|i| (i, 4)));
    assert_eq!(cache.ingress_megaflow(3), i.map(|i| (i, 4)), "kept");
    assert_eq!(cache.ingress_megaflow(2), None, "another port");
    // Two outputs: executed packet by packet, so not taken.
    let two = Upcall {
        actions: vec![DpAction::Output(4), DpAction::Output(5)].into(),
        ..upcall(FlowKey::field_mask(Field::InPort), 0, c.clone())
    };
    cache.insert(&key(6, 5), &two, 0);
    assert_eq!(cache.ingress_megaflow(6), None);
    assert_eq!(cache.ingress_megaflow(3), i.map(|i| (i, 4)));
    // Gone (revalidated, expired): no longer the answer.
    cache.retain(|_, mf| mf.single_output != 4);
    assert_eq!(cache.ingress_megaflow(3), None);
    cache.insert(&key(3, 9), &upcall(m, 7, c), 0);
    assert!(cache.ingress_megaflow(3).is_some_and(|(_, out)| out == 7));
    cache.clear();
    assert_eq!(cache.ingress_megaflow(3), None);
}

/// A translator that only reports changes (`None`: it cannot tell).
struct Changes(Option<Vec<PipelineChange>>);
impl Translator for Changes {
    fn translate(&self, _: &FlowKey) -> Upcall {
        unreachable!("not used")
    }
    fn generation(&self) -> u64 {
        0
    }
    fn changes_since(&self, _: u64, f: &mut dyn FnMut(&PipelineChange)) -> bool {
        match &self.0 {
            Some(v) => {
                v.iter().for_each(f);
                true
            }
            None => false,
        }
    }
}

#[test]
fn unknown_change_flushes_and_credits() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let unknown = Changes(None);
    cache.revalidate(1, &unknown);
    let i = cache
        .insert(&key(1, 5), &upcall(FlowKey::ALL, 2, c.clone()), 0)
        .unwrap();
    cache.get_mut(i).unwrap().hit_n(1, 64);
    assert_eq!(cache.revalidate(1, &unknown), None);
    assert_eq!(cache.revalidate(2, &unknown), Some(1));
    assert!(cache.is_empty());
    assert_eq!(
        c.0.load(Ordering::Relaxed),
        1,
        "pending hit credited before flush"
    );
}

#[test]
fn known_changes_remove_only_what_they_can_affect() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let mut dst = FlowKey::field_mask(Field::InPort);
    dst.or_assign(&FlowKey::field_mask(Field::Ipv4Dst));
    // Megaflows: port 1 dst 5, port 1 dst 6, port 2 dst 5 (the last
    // also looked up table 3).
    let a = cache
        .insert(&key(1, 5), &upcall(dst, 2, c.clone()), 0)
        .unwrap();
    let b = cache
        .insert(&key(1, 6), &upcall(dst, 2, c.clone()), 0)
        .unwrap();
    let mut up = upcall(dst, 2, c);
    up.tables |= crate::upcall::table_bit(3);
    let d = cache.insert(&key(2, 5), &up, 0).unwrap();
    // A table-0 rule for dst 6 (any port) overlaps only b.
    let mut m = FlowKey::ZERO;
    m.set(Field::Ipv4Dst, 6);
    let change = Changes(Some(vec![PipelineChange::Table0 {
        key: m,
        mask: FlowKey::field_mask(Field::Ipv4Dst),
    }]));
    assert_eq!(cache.revalidate(1, &change), Some(1));
    assert!(cache.matches(a, &key(1, 5)) && cache.matches(d, &key(2, 5)));
    assert!(!cache.matches(b, &key(1, 6)));
    // A change in table 3 removes the megaflow that looked it up.
    let change = Changes(Some(vec![PipelineChange::Table(3)]));
    assert_eq!(cache.revalidate(2, &change), Some(1));
    assert!(cache.matches(a, &key(1, 5)));
    assert!(!cache.matches(d, &key(2, 5)));
    // Table 0 with a match that overlaps everything.
    let change = Changes(Some(vec![PipelineChange::Table0 {
        key: FlowKey::ZERO,
        mask: FlowKey::ZERO,
    }]));
    assert_eq!(cache.revalidate(3, &change), Some(1));
    assert!(cache.is_empty());
}

#[test]
fn port_changes_remove_only_megaflows_that_depended_on_the_port() {
    use crate::upcall::port_bit;
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let mask = FlowKey::field_mask(Field::InPort);
    let mut on = |port: u32, ports: u64| {
        let mut up = upcall(mask, 2, c.clone());
        up.ports = ports;
        cache.insert(&key(port, 0), &up, 0).unwrap()
    };
    // 1 → 2, 3 → 4, and a FLOOD from 5 (every port).
    let (a, b, f) = (
        on(1, port_bit(1) | port_bit(2)),
        on(3, port_bit(3) | port_bit(4)),
        on(5, u64::MAX),
    );
    // Port 7 comes: only the flood depended on it.
    let change = Changes(Some(vec![PipelineChange::Ports(port_bit(7))]));
    assert_eq!(cache.revalidate(1, &change), Some(1));
    assert!(cache.matches(a, &key(1, 0)) && cache.matches(b, &key(3, 0)));
    assert!(!cache.matches(f, &key(5, 0)));
    // Port 4 goes: the megaflow that sent to it goes too.
    let change = Changes(Some(vec![PipelineChange::Ports(port_bit(4))]));
    assert_eq!(cache.revalidate(2, &change), Some(1));
    assert!(cache.matches(a, &key(1, 0)));
    assert!(!cache.matches(b, &key(3, 0)));
    // Port 65 shares port 1's bit: revalidated too (never missed).
    let change = Changes(Some(vec![PipelineChange::Ports(port_bit(65))]));
    assert_eq!(cache.revalidate(3, &change), Some(1));
    assert!(cache.is_empty());
}

#[test]
fn limit_refuses_and_expiry_frees() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(2);
    let up = upcall(FlowKey::ALL, 1, c);
    assert!(cache.insert(&key(1, 1), &up, 10).is_some());
    assert!(cache.insert(&key(1, 2), &up, 20).is_some());
    assert!(cache.insert(&key(1, 3), &up, 30).is_none());
    assert_eq!(cache.refused, 1);
    assert_eq!(cache.expire(15), 1);
    assert_eq!(cache.len(), 1);
    assert!(cache.lookup(&key(1, 1)).0.is_none());
    assert!(cache.lookup(&key(1, 2)).0.is_some());
    assert!(
        cache.insert(&key(1, 3), &up, 30).is_some(),
        "freed slot reused"
    );
}

#[test]
fn matches_verifies_emc_candidates_and_slots_survive_expiry() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let port = FlowKey::field_mask(Field::InPort);
    let mut dst = FlowKey::field_mask(Field::InPort);
    dst.or_assign(&FlowKey::field_mask(Field::Ipv4Dst));
    let a = cache
        .insert(&key(1, 5), &upcall(port, 2, c.clone()), 10)
        .unwrap();
    let b = cache
        .insert(&key(2, 7), &upcall(dst, 3, c.clone()), 20)
        .unwrap();
    assert!(cache.matches(a, &key(1, 99)), "wildcarded dst");
    assert!(!cache.matches(a, &key(2, 7)));
    assert!(cache.matches(b, &key(2, 7)));
    assert!(!cache.matches(b, &key(2, 8)));
    assert!(!cache.matches(99, &key(2, 7)), "no such slot");
    assert_eq!(cache.n_subtables(), 2);
    // The first subtable empties; the other keeps its slot, so the
    // megaflow still verifies.
    cache.expire(15);
    assert_eq!(cache.n_subtables(), 1);
    assert!(!cache.matches(a, &key(1, 5)), "expired");
    assert!(cache.matches(b, &key(2, 7)));
    // A new mask reuses the emptied slot; lookups see both.
    let d = cache.insert(&key(3, 1), &upcall(port, 4, c), 30).unwrap();
    assert_eq!(cache.n_subtables(), 2);
    assert_eq!(cache.lookup(&key(3, 42)).0, Some(d));
    assert_eq!(cache.lookup(&key(2, 7)).0, Some(b));
    assert_eq!(cache.iter().count(), 2);
}

#[test]
fn last_use_is_the_crediting_and_pending_hits_keep_a_megaflow() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let a = cache
        .insert(&key(1, 5), &upcall(FlowKey::ALL, 2, c.clone()), 10)
        .unwrap();
    // Hit after its creation but not credited yet: in use.
    cache.get_mut(a).unwrap().hit_n(1, 60);
    assert_eq!(cache.expire(50), 0, "pending hits: used since");
    cache.get_mut(a).unwrap().flush_credits(40);
    assert_eq!(cache.get(a).unwrap().last_used_tsc(99), 40);
    assert_eq!(cache.expire(40), 0);
    assert_eq!(cache.expire(41), 1, "idle since its crediting at 40");
    assert_eq!(c.0.load(Ordering::Relaxed), 1);
}

#[test]
fn key_words_past_the_first_line_match_and_come_back() {
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let mut mask = FlowKey::field_mask(Field::InPort);
    mask.or_assign(&FlowKey::field_mask(Field::TunnelId));
    mask.or_assign(&FlowKey::field_mask(Field::Ipv6Dst));
    let mut k = key(1, 5);
    k.set(Field::TunnelId, 42);
    k.set(Field::Ipv6Dst, 0x2001_0db8 << 96 | 7);
    let i = cache.insert(&k, &upcall(mask, 2, c), 0).unwrap();
    assert!(cache.get(i).unwrap().key() == k.masked(&mask));
    assert_eq!(cache.lookup(&k).0, Some(i));
    assert!(cache.matches(i, &k));
    let mut other = k;
    other.set(Field::Ipv6Dst, 8);
    assert!(!cache.matches(i, &other));
    assert_eq!(cache.lookup(&other).0, None);
    other = k;
    other.set(Field::TunnelId, 43);
    assert!(!cache.matches(i, &other));
}

#[test]
fn counts_encapsulating_megaflows() {
    use crate::tunnel::{example_spec, TunnelHeader, TunnelKind};
    let c = Arc::new(Count(AtomicU64::new(0), AtomicU64::new(0)));
    let mut cache = MegaflowCache::new(10);
    let dst = FlowKey::field_mask(Field::Ipv4Dst);
    cache.insert(&key(1, 1), &upcall(dst, 2, c.clone()), 10);
    assert!(!cache.any_encapsulating());
    let header = Arc::new(TunnelHeader::build(&example_spec(TunnelKind::Vxlan)));
    let mut up = upcall(dst, 2, c);
    up.actions = vec![DpAction::Clone(
        vec![DpAction::TunnelOutput { port: 3, header }].into(),
    )]
    .into();
    cache.insert(&key(1, 2), &up, 20);
    cache.insert(&key(1, 2), &up, 20);
    assert!(cache.any_encapsulating(), "nested in a clone");
    // Expiring the other megaflow keeps the count; expiring this clears it.
    cache.expire(15);
    assert_eq!(cache.len(), 1);
    assert!(cache.any_encapsulating());
    cache.expire(25);
    assert!(!cache.any_encapsulating());
    cache.insert(&key(1, 2), &up, 30);
    cache.clear();
    assert!(!cache.any_encapsulating());
}
