//! The tx queues vhost-user guests enable, and which PMD sends on them.
//!
//! Each PMD sends on its own tx queue of every port. A guest receives only
//! on the queue pairs it enabled (a guest with fewer queue pairs than the
//! switch has PMDs, or a Linux guest after `ethtool -L eth0 combined 1`).
//! The control core follows the driver's queue events; when a PMD's own
//! queue is not enabled, that PMD hands the port's packets to a PMD whose
//! queue is (`fastpath::pmd::tx_owner`), through that PMD's inbox. The new
//! routes reach the PMDs through the same rewiring as a port change.
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use fastpath::dpdk::VhostQueueEvent;

use fastpath::pmd::{has_senders, tx_inbox, tx_owner, TxInbox};

use super::{SwitchPort, SwitchView};

/// A vhost-user port's tx side.
pub(super) struct VhostTx {
    /// The switch's tx queues the guest enabled (bit q: queue q).
    enabled: AtomicU64,
    /// The port's link-down count (`Port::link_downs`) at the last poll.
    link_downs: AtomicU32,
    /// One per PMD: packets other PMDs hand that PMD for this port.
    inboxes: Vec<TxInbox>,
}

impl VhostTx {
    pub(super) fn new(n_pmds: usize, link_downs: u32) -> Self {
        VhostTx {
            enabled: AtomicU64::new(0),
            link_downs: AtomicU32::new(link_downs),
            inboxes: (0..n_pmds).map(|_| tx_inbox()).collect(),
        }
    }

    fn enabled(&self) -> u64 {
        self.enabled.load(Ordering::Acquire)
    }

    /// The enabled tx queues, for `ferroctl show`.
    pub(super) fn enabled_queues(&self) -> Vec<u16> {
        queues_of(self.enabled())
    }

    /// The PMD that sends PMD `k`'s packets for this port, if not PMD `k`.
    pub(super) fn owner(&self, n_pmds: usize, k: usize) -> Option<usize> {
        tx_owner(self.enabled(), n_pmds, k)
    }
}

/// PMD `k`'s tx routes for `ports` (`len` dense indices, `n_pmds` PMDs):
/// by dense port index, the inbox it hands that port's packets to (empty
/// when it sends everything itself), and the inboxes it drains.
pub(super) fn tx_routes(
    ports: &[SwitchPort],
    len: usize,
    n_pmds: usize,
    k: usize,
) -> (Vec<Option<TxInbox>>, Vec<(u16, TxInbox)>) {
    let mut handoff: Vec<Option<TxInbox>> = Vec::new();
    let mut inboxes = Vec::new();
    for p in ports {
        let Some(v) = &p.vhost_tx else {
            continue;
        };
        let enabled = v.enabled();
        if let Some(owner) = tx_owner(enabled, n_pmds, k) {
            if handoff.is_empty() {
                handoff = vec![None; len];
            }
            if let Some(slot) = handoff.get_mut(usize::from(p.index)) {
                *slot = v.inboxes.get(owner).cloned();
            }
        }
        if has_senders(enabled, n_pmds, k) {
            if let Some(inbox) = v.inboxes.get(k) {
                inboxes.push((p.index, inbox.clone()));
            }
        }
    }
    (handoff, inboxes)
}

/// Frees what the inboxes nobody drains any more still hold (packets a PMD
/// handed over just before the routes changed). Call after every PMD has
/// its new routes.
pub(super) fn drop_stranded(ports: &[SwitchPort], n_pmds: usize) {
    for p in ports {
        let Some(v) = &p.vhost_tx else {
            continue;
        };
        let enabled = v.enabled();
        for (k, inbox) in v.inboxes.iter().enumerate() {
            if !has_senders(enabled, n_pmds, k) {
                let mut n = 0;
                while inbox.pop().is_some() {
                    n += 1;
                }
                if n > 0 {
                    tracing::debug!("port {}: {n} handed-over packet(s) dropped", p.cfg.name);
                }
            }
        }
    }
}

/// "0,1" for the queues set in `mask`.
/// The queues whose bits `mask` has set, in order.
fn queues_of(mask: u64) -> Vec<u16> {
    (0..64u16).filter(|&q| mask & (1u64 << q) != 0).collect()
}

impl SwitchView {
    /// Follows the tx queues the vhost-user guests enable (called every
    /// 100 ms). When that changes which PMD sends where, the PMDs get new
    /// routes; their queues, caches and megaflows stay.
    pub(crate) fn poll_vhost_queues(&self) {
        let n_pmds = self.cfg.switch.pmd_cores.len();
        let ports = self.ports.load_full();
        let mut reroute = false;
        for p in ports.iter() {
            let Some(v) = &p.vhost_tx else {
                continue;
            };
            let before = v.enabled();
            let mut downs = v.link_downs.load(Ordering::Acquire);
            let mask = follow_guest(
                before,
                &mut downs,
                || p.port.link_downs(),
                || p.port.vhost_queue_event(),
            );
            v.link_downs.store(downs, Ordering::Release);
            if mask == before {
                continue;
            }
            v.enabled.store(mask, Ordering::Release);
            tracing::info!(
                "port {}: the guest receives on tx queue(s) {}",
                p.cfg.name,
                crate::mgmt::render::queue_list(&queues_of(mask))
            );
            reroute |=
                (0..n_pmds).any(|k| tx_owner(before, n_pmds, k) != tx_owner(mask, n_pmds, k));
        }
        if reroute {
            if let Err(e) = self.reload_current() {
                tracing::error!("re-routing vhost tx queues: {e}");
            }
        }
    }
}

/// The tx queues a guest has enabled, from `mask` (what the last poll
/// found), the driver's link-down count (`downs`, `last_downs` at the last
/// poll) and its queue events since.
///
/// When the guest goes, the driver forgets its queues' state without an
/// event for each, and the events after that are the next guest's: a
/// changed link-down count means starting again from none. If the guest
/// went while the events were being read, they are read again (the
/// driver's later events are all the next guest's).
fn follow_guest(
    mut mask: u64,
    last_downs: &mut u32,
    downs: impl Fn() -> u32,
    mut next_event: impl FnMut() -> Option<VhostQueueEvent>,
) -> u64 {
    loop {
        let d = downs();
        if d != *last_downs {
            *last_downs = d;
            mask = 0;
        }
        while let Some(ev) = next_event() {
            if ev.rx || ev.queue >= 64 {
                continue;
            }
            let bit = 1u64 << ev.queue;
            if ev.enable {
                mask |= bit;
            } else {
                mask &= !bit;
            }
        }
        if downs() == d {
            return mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{follow_guest, queues_of};
    use crate::mgmt::render::queue_list;
    use fastpath::dpdk::VhostQueueEvent;
    use std::cell::Cell;

    fn tx(queue: u16, enable: bool) -> VhostQueueEvent {
        VhostQueueEvent {
            queue,
            rx: false,
            enable,
        }
    }

    /// Polls with `events` pending and the link-down count at `downs`.
    fn poll(mask: u64, last: &mut u32, downs: u32, events: &[VhostQueueEvent]) -> u64 {
        let mut it = events.iter().copied();
        follow_guest(mask, last, || downs, || it.next())
    }

    #[test]
    fn a_guest_that_went_is_forgotten_even_if_another_came_back() {
        let mut last = 5;
        // Queue events change the mask; rx queues do not count.
        let m = poll(0, &mut last, 5, &[tx(0, true), tx(1, true)]);
        assert_eq!(m, 0b11);
        let rx = VhostQueueEvent {
            queue: 2,
            rx: true,
            enable: true,
        };
        assert_eq!(poll(m, &mut last, 5, &[rx, tx(1, false)]), 0b01);
        // Between two polls the guest went and a one-queue guest came
        // back: its events alone count, not the old guest's queue 1.
        assert_eq!(poll(0b11, &mut last, 6, &[tx(0, true)]), 0b01);
        assert_eq!(last, 6);
        // Gone, and nobody back yet: none; the new guest's events later.
        let m = poll(0b11, &mut last, 7, &[]);
        assert_eq!(m, 0);
        assert_eq!(poll(m, &mut last, 7, &[tx(1, true)]), 0b10);
    }

    #[test]
    fn a_guest_leaving_while_events_are_read_restarts_the_reading() {
        let mut last = 0;
        let calls = Cell::new(0);
        // The count changes between the first two readings: the events
        // read meanwhile are dropped, and the later ones are the answer.
        let downs = || {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                0
            } else {
                1
            }
        };
        let mut events = vec![tx(0, true), tx(3, true)].into_iter();
        let m = follow_guest(0b100, &mut last, downs, || events.next());
        assert_eq!(m, 0, "restarted from none, no events left");
        assert_eq!(last, 1);
        assert_eq!(calls.get(), 4, "read twice per round, two rounds");
    }

    #[test]
    fn queue_lists_read_like_ethtool() {
        assert_eq!(queue_list(&queues_of(0)), "none");
        assert_eq!(queue_list(&queues_of(0b1)), "0");
        assert_eq!(queue_list(&queues_of(0b1011)), "0,1,3");
        assert_eq!(queue_list(&queues_of(1 << 63)), "63");
    }
}
