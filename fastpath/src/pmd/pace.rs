//! When a PMD polls each of its rx queues: every iteration, or, for a
//! queue whose port asks for it (vhost-user), after a rest following a
//! short burst (`PortSetup::rx_rest_ns`).
use crate::dpdk::{RxQueue, BURST_SIZE};

/// When an rx queue may be polled next.
#[derive(Clone, Copy)]
pub(super) struct RxPace {
    /// TSC cycles a short burst rests the queue (0: never rests).
    rest: u64,
    next: u64,
}

impl RxPace {
    pub(super) fn of(q: &RxQueue, hz: u64) -> Self {
        RxPace {
            rest: hz / 1_000_000 * q.rest_ns() / 1_000,
            next: 0,
        }
    }

    /// Whether the queue may be polled at TSC `now`.
    #[inline(always)]
    pub(super) fn ready(&self, now: u64) -> bool {
        now >= self.next
    }

    /// After a poll at `now` that gave `n` packets.
    #[inline(always)]
    pub(super) fn received(&mut self, n: usize, now: u64) {
        if n < BURST_SIZE {
            self.next = now + self.rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_burst_rests_the_queue() {
        let mut p = RxPace { rest: 100, next: 0 };
        assert!(p.ready(5));
        p.received(BURST_SIZE, 5);
        assert!(p.ready(6), "a full burst: poll again at once");
        p.received(3, 10);
        assert!(!p.ready(109), "a short burst rests it");
        assert!(p.ready(110));
        p.received(0, 110);
        assert!(!p.ready(209), "an empty poll too");
        // Without a rest (ordinary ports), every iteration.
        let mut q = RxPace { rest: 0, next: 0 };
        q.received(0, 50);
        assert!(q.ready(50));
    }
}
