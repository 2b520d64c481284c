//! Group translation: all, indirect, fast-failover (first live bucket)
//! and select (weighted hash of the 5-tuple), each bucket on a copy of
//! the packet.

use fastpath::actions::DpAction;
use fastpath::flow::Field;

use crate::pipeline::group::{Group, MAX_GROUP_DEPTH};
use crate::pipeline::model::GroupType;
use crate::pipeline::table::EntryRef;
use crate::pipeline::validate::{ETH_IPV4, ETH_IPV6};

use super::*;

impl<'a> Xlate<'a> {
    pub(super) fn group(
        &mut self,
        w: &mut Work,
        id: u32,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) {
        let snap = self.snap;
        let Some(g) = snap.groups.get(id) else {
            self.note(|| format!("group {id} does not exist: skipped"));
            return;
        };
        if depth >= MAX_GROUP_DEPTH {
            self.note(|| format!("group {id}: chain too deep, skipped"));
            return;
        }
        self.hits.push(EntryRef(g.counters.clone()));
        match g.group_type {
            GroupType::All => {
                for i in 0..g.buckets.len() {
                    self.bucket(w, g, i, ctx, out, depth);
                }
            }
            GroupType::Indirect => {
                if !g.buckets.is_empty() {
                    self.bucket(w, g, 0, ctx, out, depth);
                }
            }
            GroupType::FastFailover => {
                // Liveness: of watched ports, and of groups through theirs.
                self.all_ports_read();
                match g
                    .buckets
                    .iter()
                    .position(|b| snap.groups.bucket_live(&snap.ports, b, 0))
                {
                    Some(i) => {
                        self.note(|| format!("group {id}: bucket {i} is the first live one"));
                        self.bucket(w, g, i, ctx, out, depth);
                    }
                    None => self.note(|| format!("group {id}: no live bucket, dropped")),
                }
            }
            GroupType::Select => {
                self.all_ports_read();
                let live: Vec<usize> = (0..g.buckets.len())
                    .filter(|&i| {
                        let b = &g.buckets[i];
                        b.weight > 0 && snap.groups.bucket_live(&snap.ports, b, 0)
                    })
                    .collect();
                let chosen = match live.len() {
                    0 => None,
                    // One candidate: no need to read (and unwildcard) the
                    // hash fields.
                    1 => Some(live[0]),
                    _ => {
                        let h = self.select_hash(w);
                        let total: u64 = live.iter().map(|&i| u64::from(g.buckets[i].weight)).sum();
                        let mut r = h % total;
                        let mut pick = live[live.len() - 1];
                        for &i in &live {
                            let wt = u64::from(g.buckets[i].weight);
                            if r < wt {
                                pick = i;
                                break;
                            }
                            r -= wt;
                        }
                        Some(pick)
                    }
                };
                match chosen {
                    Some(i) => {
                        self.note(|| format!("group {id}: selected bucket {i}"));
                        self.bucket(w, g, i, ctx, out, depth);
                    }
                    None => self.note(|| format!("group {id}: no live bucket, dropped")),
                }
            }
        }
    }

    /// Hash of the 5-tuple (IP) or Ethernet addresses (non-IP), with those
    /// fields (and what decided which ones) added to the mask.
    pub(super) fn select_hash(&mut self, w: &mut Work) -> u64 {
        let et = self.read(w, Field::EthType);
        let mut m = *fmask(Field::EthType);
        if et == ETH_IPV4 || et == ETH_IPV6 {
            let (s, d) = if et == ETH_IPV4 {
                (Field::Ipv4Src, Field::Ipv4Dst)
            } else {
                (Field::Ipv6Src, Field::Ipv6Dst)
            };
            m.or_assign(fmask(s));
            m.or_assign(fmask(d));
            m.or_assign(fmask(Field::IpProto));
            if matches!(self.read(w, Field::IpProto), 6 | 17 | 132) {
                m.or_assign(fmask(Field::TcpSrc));
                m.or_assign(fmask(Field::TcpDst));
            }
        } else {
            m.or_assign(fmask(Field::EthSrc));
            m.or_assign(fmask(Field::EthDst));
        }
        self.consult(w, &m);
        w.key.hash_masked(&m)
    }

    /// Runs bucket `i` of `g` on a copy of the packet.
    pub(super) fn bucket(
        &mut self,
        w: &Work,
        g: &'a Group,
        i: usize,
        ctx: Ctx,
        out: &mut Vec<DpAction>,
        depth: usize,
    ) {
        self.hits.push(EntryRef(g.bucket_counters[i].clone()));
        let mut w2 = w.clone();
        let mut prog = Vec::new();
        self.apply_actions(&mut w2, &g.buckets[i].actions, ctx, &mut prog, depth + 1);
        emit(out, prog);
    }
}
