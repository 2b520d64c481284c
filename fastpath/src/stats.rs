//! Counters written by exactly one PMD thread and read by the control side.
//!
//! Each PMD owns its counters, so updates are plain relaxed load+store (no
//! locked read-modify-write); readers see a recent value, never a torn one.
//! Clearing is done by the reader keeping a baseline, so the PMD never
//! has a second writer.
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::actions::DropReason;

/// A monotonically increasing counter with a single writer.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `v`. Only the owning PMD thread may call this.
    #[inline]
    pub fn add(&self, v: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(v),
            Ordering::Relaxed,
        );
    }

    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Per (PMD, port) traffic counters.
#[derive(Debug, Default)]
pub struct PortCounters {
    pub rx_packets: Counter,
    pub rx_bytes: Counter,
    pub tx_packets: Counter,
    pub tx_bytes: Counter,
    /// Packets the driver would not take (tx queue full).
    pub tx_dropped: Counter,
    /// Packets received here that the forwarding decision dropped.
    pub rx_dropped: Counter,
}

/// Plain copy of [`PortCounters`], summed over PMDs by the reader.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PortCountersSnapshot {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
    pub rx_dropped: u64,
}

impl PortCounters {
    pub fn snapshot(&self) -> PortCountersSnapshot {
        PortCountersSnapshot {
            rx_packets: self.rx_packets.get(),
            rx_bytes: self.rx_bytes.get(),
            tx_packets: self.tx_packets.get(),
            tx_bytes: self.tx_bytes.get(),
            tx_dropped: self.tx_dropped.get(),
            rx_dropped: self.rx_dropped.get(),
        }
    }
}

impl std::ops::AddAssign for PortCountersSnapshot {
    fn add_assign(&mut self, o: Self) {
        self.rx_packets += o.rx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_packets += o.tx_packets;
        self.tx_bytes += o.tx_bytes;
        self.tx_dropped += o.tx_dropped;
        self.rx_dropped += o.rx_dropped;
    }
}

/// One PMD's counters.
#[derive(Debug)]
pub struct PmdStats {
    pub core: usize,
    /// DPDK lcore id once the thread registered (u32::MAX before).
    pub lcore: AtomicU32,
    /// Loop iterations.
    pub iterations: Counter,
    /// Packets received.
    pub packets: Counter,
    /// TSC cycles spent in iterations that received packets.
    pub busy_cycles: Counter,
    /// TSC cycles spent in iterations that received nothing.
    pub idle_cycles: Counter,
    /// Packets whose flow the exact-match cache found.
    pub emc_hits: Counter,
    /// Packets whose flow was found in the megaflow cache (after an EMC
    /// miss).
    pub megaflow_hits: Counter,
    /// Of `megaflow_hits`: packets found without a tuple-space search, on
    /// the previous packet's megaflow or on the burst's ingress megaflow
    /// (`MegaflowCache::ingress_megaflow`).
    pub megaflow_repeat_hits: Counter,
    /// Subtables probed by megaflow lookups (hits and misses).
    pub megaflow_lookups: Counter,
    /// Cache misses translated through the pipeline.
    pub upcalls: Counter,
    /// Translations not cached because the megaflow limit was reached.
    pub upcall_not_cached: Counter,
    /// Packets left for the next iteration because their burst already
    /// used its upcall budget.
    pub upcall_deferred: Counter,
    /// Packets dropped because their headers did not parse.
    pub malformed: Counter,
    /// Packets handed to the controller path.
    pub controller: Counter,
    /// Drops by the action executor, by `DropReason as usize`.
    pub drops: [Counter; DropReason::COUNT],
    /// Megaflows currently cached (all bridges).
    pub megaflows: Counter,
    /// Megaflows removed because a pipeline change could affect them.
    pub megaflows_revalidated: Counter,
    /// The last [`crate::datapath::CreditSync`] epoch this PMD has
    /// credited all its megaflow hits for.
    pub credits_synced: AtomicU64,
}

/// One port's traffic counters: a set per PMD thread, each written only by
/// its PMD. It lives as long as the port, so counters survive PMD rewiring.
#[derive(Debug)]
pub struct PortCounterSet {
    per_pmd: Box<[CachePadded<PortCounters>]>,
}

impl PortCounterSet {
    pub fn new(n_pmds: usize) -> Self {
        PortCounterSet {
            per_pmd: (0..n_pmds)
                .map(|_| CachePadded::new(PortCounters::default()))
                .collect(),
        }
    }

    /// PMD `k`'s counters.
    #[inline]
    pub fn pmd(&self, k: usize) -> Option<&PortCounters> {
        self.per_pmd.get(k).map(|c| &**c)
    }

    /// The sum over all PMDs.
    pub fn total(&self) -> PortCountersSnapshot {
        let mut t = PortCountersSnapshot::default();
        for c in self.per_pmd.iter() {
            t += c.snapshot();
        }
        t
    }
}

impl PmdStats {
    pub fn new(core: usize) -> Self {
        PmdStats {
            core,
            lcore: AtomicU32::new(u32::MAX),
            iterations: Counter::default(),
            packets: Counter::default(),
            busy_cycles: Counter::default(),
            idle_cycles: Counter::default(),
            emc_hits: Counter::default(),
            megaflow_hits: Counter::default(),
            megaflow_repeat_hits: Counter::default(),
            megaflow_lookups: Counter::default(),
            upcalls: Counter::default(),
            upcall_not_cached: Counter::default(),
            upcall_deferred: Counter::default(),
            malformed: Counter::default(),
            controller: Counter::default(),
            drops: Default::default(),
            megaflows: Counter::default(),
            megaflows_revalidated: Counter::default(),
            credits_synced: AtomicU64::new(0),
        }
    }

    pub fn snapshot(&self) -> PmdStatsSnapshot {
        PmdStatsSnapshot {
            core: self.core,
            lcore: self.lcore.load(Ordering::Relaxed),
            iterations: self.iterations.get(),
            packets: self.packets.get(),
            busy_cycles: self.busy_cycles.get(),
            idle_cycles: self.idle_cycles.get(),
            emc_hits: self.emc_hits.get(),
            megaflow_hits: self.megaflow_hits.get(),
            megaflow_repeat_hits: self.megaflow_repeat_hits.get(),
            megaflow_lookups: self.megaflow_lookups.get(),
            upcalls: self.upcalls.get(),
            upcall_not_cached: self.upcall_not_cached.get(),
            upcall_deferred: self.upcall_deferred.get(),
            malformed: self.malformed.get(),
            controller: self.controller.get(),
            drops: std::array::from_fn(|i| self.drops[i].get()),
            megaflows: self.megaflows.get(),
            megaflows_revalidated: self.megaflows_revalidated.get(),
        }
    }
}

/// Plain copy of a PMD's totals.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PmdStatsSnapshot {
    pub core: usize,
    pub lcore: u32,
    pub iterations: u64,
    pub packets: u64,
    pub busy_cycles: u64,
    pub idle_cycles: u64,
    pub emc_hits: u64,
    pub megaflow_hits: u64,
    pub megaflow_repeat_hits: u64,
    pub megaflow_lookups: u64,
    pub upcalls: u64,
    pub upcall_not_cached: u64,
    pub upcall_deferred: u64,
    pub malformed: u64,
    pub controller: u64,
    pub drops: [u64; DropReason::COUNT],
    /// A gauge, not a counter: `since` keeps the current value.
    pub megaflows: u64,
    pub megaflows_revalidated: u64,
}

impl PmdStatsSnapshot {
    /// Counters accumulated since `base` (a clear point).
    pub fn since(&self, base: &PmdStatsSnapshot) -> PmdStatsSnapshot {
        PmdStatsSnapshot {
            core: self.core,
            lcore: self.lcore,
            iterations: self.iterations.saturating_sub(base.iterations),
            packets: self.packets.saturating_sub(base.packets),
            busy_cycles: self.busy_cycles.saturating_sub(base.busy_cycles),
            idle_cycles: self.idle_cycles.saturating_sub(base.idle_cycles),
            emc_hits: self.emc_hits.saturating_sub(base.emc_hits),
            megaflow_hits: self.megaflow_hits.saturating_sub(base.megaflow_hits),
            megaflow_repeat_hits: self
                .megaflow_repeat_hits
                .saturating_sub(base.megaflow_repeat_hits),
            megaflow_lookups: self.megaflow_lookups.saturating_sub(base.megaflow_lookups),
            upcalls: self.upcalls.saturating_sub(base.upcalls),
            upcall_not_cached: self
                .upcall_not_cached
                .saturating_sub(base.upcall_not_cached),
            upcall_deferred: self.upcall_deferred.saturating_sub(base.upcall_deferred),
            malformed: self.malformed.saturating_sub(base.malformed),
            controller: self.controller.saturating_sub(base.controller),
            drops: std::array::from_fn(|i| self.drops[i].saturating_sub(base.drops[i])),
            megaflows: self.megaflows,
            megaflows_revalidated: self
                .megaflows_revalidated
                .saturating_sub(base.megaflows_revalidated),
        }
    }

    /// Average subtables probed per tuple-space search (hits on the
    /// previous packet's megaflow search nothing and are not counted).
    pub fn lookups_per_packet(&self) -> f64 {
        let n = self.megaflow_hits.saturating_sub(self.megaflow_repeat_hits) + self.upcalls;
        if n == 0 {
            0.0
        } else {
            self.megaflow_lookups as f64 / n as f64
        }
    }

    /// Busy cycles per received packet.
    pub fn cycles_per_packet(&self) -> f64 {
        if self.packets == 0 {
            0.0
        } else {
            self.busy_cycles as f64 / self.packets as f64
        }
    }

    /// Share of cycles spent on iterations with packets, in percent.
    pub fn busy_percent(&self) -> f64 {
        let total = self.busy_cycles + self.idle_cycles;
        if total == 0 {
            0.0
        } else {
            100.0 * self.busy_cycles as f64 / total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_adds_and_snapshots_sum() {
        let c = PortCounters::default();
        c.rx_packets.add(3);
        c.rx_packets.add(4);
        c.tx_bytes.add(100);
        let mut total = c.snapshot();
        total += c.snapshot();
        assert_eq!(total.rx_packets, 14);
        assert_eq!(total.tx_bytes, 200);
    }

    #[test]
    fn port_counter_set_sums_its_pmds() {
        let set = PortCounterSet::new(2);
        set.pmd(0).unwrap().rx_packets.add(5);
        set.pmd(1).unwrap().rx_packets.add(7);
        set.pmd(1).unwrap().tx_dropped.add(1);
        assert!(set.pmd(2).is_none());
        let t = set.total();
        assert_eq!((t.rx_packets, t.tx_dropped), (12, 1));
    }

    #[test]
    fn pmd_ratios_and_clear_baseline() {
        let s = PmdStats::new(1);
        s.packets.add(100);
        s.busy_cycles.add(5000);
        s.idle_cycles.add(5000);
        let base = s.snapshot();
        assert_eq!(base.cycles_per_packet(), 50.0);
        assert_eq!(base.busy_percent(), 50.0);
        s.packets.add(10);
        s.busy_cycles.add(200);
        s.upcalls.add(2);
        s.megaflow_hits.add(8);
        s.megaflow_lookups.add(15);
        let d = s.snapshot().since(&base);
        assert_eq!(d.lookups_per_packet(), 1.5);
        // Repeat hits searched nothing: 15 probes over 2 searches + 2 upcalls.
        s.megaflow_repeat_hits.add(6);
        let d = s.snapshot().since(&base);
        assert_eq!(d.megaflow_repeat_hits, 6);
        assert_eq!(d.lookups_per_packet(), 3.75);
        assert_eq!(d.packets, 10);
        assert_eq!(d.cycles_per_packet(), 20.0);
        assert_eq!(d.busy_percent(), 100.0);
        assert_eq!(PmdStatsSnapshot::default().cycles_per_packet(), 0.0);
    }
}
