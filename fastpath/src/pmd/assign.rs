//! Which PMD polls which rx queue.

/// One rx queue's place: (dense port index, queue id) → PMD index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxqAssignment {
    pub port: u16,
    pub queue: u16,
    pub pmd: usize,
}

/// Spreads rx queues over `n_pmds` PMDs, in port order with all queue 0s
/// first, each to the PMD with the fewest queues so far (the lowest index
/// on a tie): round-robin from scratch, so that single-queue ports are
/// spread evenly and a port's queues land on different PMDs.
pub fn assign_rx_queues(queues_per_port: &[u16], n_pmds: usize) -> Vec<RxqAssignment> {
    assign_rx_queues_keeping(queues_per_port, n_pmds, &[])
}

/// Like [`assign_rx_queues`], but the queues in `kept` stay on their PMD
/// (as OVS keeps its rxq assignment when ports come and go: a queue never
/// moves while it is being polled). Only the other queues are placed.
/// Ports with 0 queues (holes left by deleted ports) get nothing.
pub fn assign_rx_queues_keeping(
    queues_per_port: &[u16],
    n_pmds: usize,
    kept: &[RxqAssignment],
) -> Vec<RxqAssignment> {
    let mut out = Vec::new();
    if n_pmds == 0 {
        return out;
    }
    let valid = |a: &RxqAssignment| {
        a.pmd < n_pmds
            && queues_per_port
                .get(usize::from(a.port))
                .is_some_and(|&nq| a.queue < nq)
    };
    let mut load = vec![0usize; n_pmds];
    for a in kept.iter().filter(|a| valid(a)) {
        if !out
            .iter()
            .any(|o: &RxqAssignment| o.port == a.port && o.queue == a.queue)
        {
            load[a.pmd] += 1;
            out.push(a.clone());
        }
    }
    let max_q = queues_per_port.iter().copied().max().unwrap_or(0);
    for q in 0..max_q {
        for (port, &nq) in queues_per_port.iter().enumerate() {
            let port = port as u16;
            if q >= nq || out.iter().any(|o| o.port == port && o.queue == q) {
                continue;
            }
            let pmd = (0..n_pmds).min_by_key(|&k| load[k]).unwrap_or(0);
            load[pmd] += 1;
            out.push(RxqAssignment {
                port,
                queue: q,
                pmd,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pmds_of(a: &[RxqAssignment]) -> Vec<(u16, u16, usize)> {
        a.iter().map(|x| (x.port, x.queue, x.pmd)).collect()
    }

    #[test]
    fn one_pmd_gets_everything() {
        let a = assign_rx_queues(&[1, 2, 1], 1);
        assert_eq!(
            pmds_of(&a),
            vec![(0, 0, 0), (1, 0, 0), (2, 0, 0), (1, 1, 0)]
        );
    }

    #[test]
    fn queues_spread_round_robin() {
        let a = assign_rx_queues(&[2, 2], 2);
        assert_eq!(
            pmds_of(&a),
            vec![(0, 0, 0), (1, 0, 1), (0, 1, 0), (1, 1, 1)]
        );
        let b = assign_rx_queues(&[1, 1, 1], 2);
        assert_eq!(pmds_of(&b), vec![(0, 0, 0), (1, 0, 1), (2, 0, 0)]);
    }

    #[test]
    fn kept_queues_stay_and_new_ones_fill_the_least_loaded_pmd() {
        // Port 0 (2 queues) was on PMDs 1 and 1; port 1 was deleted (a
        // hole, 0 queues); ports 2 and 3 are new.
        let kept = [
            RxqAssignment {
                port: 0,
                queue: 0,
                pmd: 1,
            },
            RxqAssignment {
                port: 0,
                queue: 1,
                pmd: 1,
            },
            // No longer exists: dropped.
            RxqAssignment {
                port: 1,
                queue: 0,
                pmd: 0,
            },
        ];
        let a = assign_rx_queues_keeping(&[2, 0, 1, 1], 2, &kept);
        assert_eq!(
            pmds_of(&a),
            vec![(0, 0, 1), (0, 1, 1), (2, 0, 0), (3, 0, 0)]
        );
        // A PMD index out of range is not kept.
        let b = assign_rx_queues_keeping(
            &[1],
            1,
            &[RxqAssignment {
                port: 0,
                queue: 0,
                pmd: 3,
            }],
        );
        assert_eq!(pmds_of(&b), vec![(0, 0, 0)]);
    }

    #[test]
    fn no_pmds_no_assignment() {
        assert!(assign_rx_queues(&[1], 0).is_empty());
    }
}
