//! The tx queues vhost-user guests enable, and which PMD sends on them.
//!
//! Each PMD sends on its own tx queue of every port. A guest receives only
//! on the queue pairs it enabled (a guest with fewer queue pairs than the
//! switch has PMDs, or a Linux guest after `ethtool -L eth0 combined 1`).
//! The control core follows the driver's queue events; when a PMD's own
//! queue is not enabled, that PMD hands the port's packets to a PMD whose
//! queue is (`fastpath::pmd::tx_owner`), through that PMD's inbox. The new
//! routes reach the PMDs through the same rewiring as a port change.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use fastpath::pmd::{has_senders, tx_inbox, tx_owner, TxInbox};

use super::{SwitchPort, SwitchView};

/// A vhost-user port's tx side.
pub(super) struct VhostTx {
    /// The switch's tx queues the guest enabled (bit q: queue q).
    enabled: AtomicU64,
    /// The link as the last poll saw it.
    link_up: AtomicBool,
    /// One per PMD: packets other PMDs hand that PMD for this port.
    inboxes: Vec<TxInbox>,
}

impl VhostTx {
    pub(super) fn new(n_pmds: usize) -> Self {
        VhostTx {
            enabled: AtomicU64::new(0),
            link_up: AtomicBool::new(false),
            inboxes: (0..n_pmds).map(|_| tx_inbox()).collect(),
        }
    }

    fn enabled(&self) -> u64 {
        self.enabled.load(Ordering::Acquire)
    }

    /// The enabled tx queues, for `ferroctl show`.
    pub(super) fn enabled_queues(&self) -> Vec<u16> {
        let mask = self.enabled();
        (0..64u16).filter(|&q| mask & (1u64 << q) != 0).collect()
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
fn queue_list(mask: u64) -> String {
    let q: Vec<String> = (0..64)
        .filter(|q| mask & (1u64 << q) != 0)
        .map(|q: u32| q.to_string())
        .collect();
    if q.is_empty() {
        "none".into()
    } else {
        q.join(",")
    }
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
            let mut mask = before;
            let up = p.port.link().up;
            // The driver forgets its queues' state when the guest goes,
            // without an event for each.
            if v.link_up.swap(up, Ordering::AcqRel) && !up {
                mask = 0;
            }
            while let Some(ev) = p.port.vhost_queue_event() {
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
            if mask == before {
                continue;
            }
            v.enabled.store(mask, Ordering::Release);
            tracing::info!(
                "port {}: the guest receives on tx queue(s) {}",
                p.cfg.name,
                queue_list(mask)
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

#[cfg(test)]
mod tests {
    use super::queue_list;

    #[test]
    fn queue_lists_read_like_ethtool() {
        assert_eq!(queue_list(0), "none");
        assert_eq!(queue_list(0b1), "0");
        assert_eq!(queue_list(0b1011), "0,1,3");
        assert_eq!(queue_list(1 << 63), "63");
    }
}
