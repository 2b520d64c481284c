//! Which PMD polls which rx queue.

/// One rx queue's place: (dense port index, queue id) → PMD index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxqAssignment {
    pub port: u16,
    pub queue: u16,
    pub pmd: usize,
}

/// Spreads rx queues over `n_pmds` PMDs round-robin, in port order with
/// all queue 0s first, so that single-queue ports are spread evenly and a
/// port's queues land on different PMDs.
pub fn assign_rx_queues(queues_per_port: &[u16], n_pmds: usize) -> Vec<RxqAssignment> {
    let mut out = Vec::new();
    if n_pmds == 0 {
        return out;
    }
    let max_q = queues_per_port.iter().copied().max().unwrap_or(0);
    let mut next = 0;
    for q in 0..max_q {
        for (port, &nq) in queues_per_port.iter().enumerate() {
            if q < nq {
                out.push(RxqAssignment {
                    port: port as u16,
                    queue: q,
                    pmd: next % n_pmds,
                });
                next += 1;
            }
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
    fn no_pmds_no_assignment() {
        assert!(assign_rx_queues(&[1], 0).is_empty());
    }
}
