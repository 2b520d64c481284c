//! The underlay route table: longest prefix match over the connected
//! subnet of the underlay address and static routes (from the config and
//! `ferroctl route add/del`).
use std::net::Ipv4Addr;

use fsconfig::RouteConfig;

fn mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

/// Routes, most specific first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    /// The connected subnet (never removed).
    connected: Option<RouteConfig>,
    routes: Vec<RouteConfig>,
}

impl RouteTable {
    pub fn new(ip: Ipv4Addr, prefix_len: u8, routes: &[RouteConfig]) -> Self {
        let mut t = RouteTable {
            connected: Some(RouteConfig {
                dest: Ipv4Addr::from(u32::from(ip) & mask(prefix_len)),
                prefix_len,
                via: None,
            }),
            routes: Vec::new(),
        };
        for r in routes {
            t.add(*r);
        }
        t
    }

    /// Adds or replaces the route to `r.dest/r.prefix_len`.
    pub fn add(&mut self, r: RouteConfig) {
        self.routes
            .retain(|o| (o.dest, o.prefix_len) != (r.dest, r.prefix_len));
        self.routes.push(r);
        self.routes.sort_by_key(|r| std::cmp::Reverse(r.prefix_len));
    }

    /// Removes the route to `dest/len`; false when there is none.
    pub fn del(&mut self, dest: Ipv4Addr, len: u8) -> bool {
        let n = self.routes.len();
        self.routes
            .retain(|o| (o.dest, o.prefix_len) != (dest, len));
        self.routes.len() != n
    }

    /// The next hop towards `dst`: the gateway of the most specific route,
    /// or `dst` itself when it is on link. None: no route.
    pub fn next_hop(&self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        let d = u32::from(dst);
        self.all()
            .filter(|r| d & mask(r.prefix_len) == u32::from(r.dest))
            .max_by_key(|r| r.prefix_len)
            .map(|r| r.via.unwrap_or(dst))
    }

    /// The connected route first, then the static ones.
    pub fn all(&self) -> impl Iterator<Item = &RouteConfig> {
        self.connected.iter().chain(self.routes.iter())
    }

    /// Whether `r` is the connected route.
    pub fn is_connected(&self, r: &RouteConfig) -> bool {
        self.connected.as_ref() == Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RouteConfig {
        s.parse().unwrap()
    }

    #[test]
    fn longest_prefix_wins() {
        let mut t = RouteTable::new(
            Ipv4Addr::new(192, 168, 50, 1),
            24,
            &[
                r("10.0.0.0/8 via 192.168.50.254"),
                r("0.0.0.0/0 via 192.168.50.253"),
            ],
        );
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(t.next_hop(ip("192.168.50.7")), Some(ip("192.168.50.7")));
        assert_eq!(t.next_hop(ip("10.1.2.3")), Some(ip("192.168.50.254")));
        assert_eq!(t.next_hop(ip("8.8.8.8")), Some(ip("192.168.50.253")));
        t.add(r("10.1.0.0/16 via 192.168.50.9"));
        assert_eq!(t.next_hop(ip("10.1.2.3")), Some(ip("192.168.50.9")));
        assert!(t.del(ip("10.1.0.0"), 16));
        assert!(!t.del(ip("10.1.0.0"), 16));
        assert!(t.del(ip("0.0.0.0"), 0));
        assert_eq!(t.next_hop(ip("8.8.8.8")), None);
        assert_eq!(t.all().count(), 2);
    }
}
