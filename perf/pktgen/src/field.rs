//! Header fields that vary per packet: a fixed value, an incrementing range
//! or random values in a range. Parsed from `"A"`, `"A-B"` and
//! `"random:A-B"` for MAC addresses, IPv4 addresses and L4 ports.
use std::net::Ipv4Addr;

/// How one header field takes its value, as a number (MAC: 48 bits, IPv4:
/// 32 bits, port: 16 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vary {
    Fixed(u64),
    /// `start + (packet index mod count)`.
    Inc {
        start: u64,
        count: u64,
    },
    /// `start + random mod count`.
    Random {
        start: u64,
        count: u64,
    },
}

impl Vary {
    /// The value for the `n`th packet of a stream; `rng` is the stream's
    /// xorshift state.
    #[inline]
    pub fn value(&self, n: u64, rng: &mut u64) -> u64 {
        match *self {
            Vary::Fixed(v) => v,
            Vary::Inc { start, count } => start + n % count,
            Vary::Random { start, count } => start + xorshift(rng) % count,
        }
    }

    /// The first packet's value (what the template holds).
    pub fn first(&self) -> u64 {
        match *self {
            Vary::Fixed(v) | Vary::Inc { start: v, .. } | Vary::Random { start: v, .. } => v,
        }
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Vary::Fixed(_))
    }
}

#[inline]
fn xorshift(s: &mut u64) -> u64 {
    let mut x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    x
}

/// What kind of value a field holds, for parsing and error messages.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    Mac,
    Ipv4,
    Port,
}

impl FieldKind {
    fn parse_one(self, s: &str) -> Result<u64, String> {
        let s = s.trim();
        match self {
            FieldKind::Mac => parse_mac(s).map(mac_to_u64),
            FieldKind::Ipv4 => s
                .parse::<Ipv4Addr>()
                .map(|a| u64::from(u32::from(a)))
                .map_err(|_| format!("{s:?} is not an IPv4 address")),
            FieldKind::Port => s
                .parse::<u16>()
                .map(u64::from)
                .map_err(|_| format!("{s:?} is not a port number (0-65535)")),
        }
    }
}

/// Parses `"A"`, `"A-B"` (incrementing) or `"random:A-B"`.
pub fn parse_vary(kind: FieldKind, s: &str) -> Result<Vary, String> {
    let (random, body) = match s.trim().strip_prefix("random:") {
        Some(rest) => (true, rest),
        None => (false, s.trim()),
    };
    // A MAC contains no '-' in our syntax (colons), so the first '-' splits.
    let Some((a, b)) = body.split_once('-') else {
        if random {
            return Err(format!("{s:?}: random needs a range, e.g. random:A-B"));
        }
        return Ok(Vary::Fixed(kind.parse_one(body)?));
    };
    let (start, end) = (kind.parse_one(a)?, kind.parse_one(b)?);
    if end < start {
        return Err(format!("{s:?}: the range ends before it starts"));
    }
    let count = end - start + 1;
    Ok(if random {
        Vary::Random { start, count }
    } else {
        Vary::Inc { start, count }
    })
}

pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in out.iter_mut() {
        let p = parts
            .next()
            .ok_or_else(|| format!("{s:?} is not a MAC address (6 hex bytes with ':')"))?;
        *b = u8::from_str_radix(p, 16)
            .map_err(|_| format!("{s:?} is not a MAC address (6 hex bytes with ':')"))?;
    }
    if parts.next().is_some() {
        return Err(format!("{s:?} is not a MAC address (6 hex bytes with ':')"));
    }
    Ok(out)
}

pub fn mac_to_u64(m: [u8; 6]) -> u64 {
    m.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixed_ranges_and_random() {
        assert_eq!(
            parse_vary(FieldKind::Ipv4, "10.0.0.1").unwrap(),
            Vary::Fixed(0x0a00_0001)
        );
        assert_eq!(
            parse_vary(FieldKind::Ipv4, "10.0.0.1-10.0.1.0").unwrap(),
            Vary::Inc {
                start: 0x0a00_0001,
                count: 256
            }
        );
        assert_eq!(
            parse_vary(FieldKind::Port, "random:1000-1999").unwrap(),
            Vary::Random {
                start: 1000,
                count: 1000
            }
        );
        assert_eq!(
            parse_vary(FieldKind::Mac, "02:00:00:00:00:01-02:00:00:00:00:04").unwrap(),
            Vary::Inc {
                start: 0x0200_0000_0001,
                count: 4
            }
        );
        assert!(parse_vary(FieldKind::Port, "70000").is_err());
        assert!(parse_vary(FieldKind::Port, "9-1").is_err());
        assert!(parse_vary(FieldKind::Port, "random:5").is_err());
        assert!(parse_vary(FieldKind::Mac, "02:00:00:00:00").is_err());
    }

    #[test]
    fn values_stay_in_range() {
        let mut rng = 0x1234_5678;
        let inc = Vary::Inc {
            start: 10,
            count: 3,
        };
        let got: Vec<u64> = (0..6).map(|n| inc.value(n, &mut rng)).collect();
        assert_eq!(got, [10, 11, 12, 10, 11, 12]);
        let r = Vary::Random {
            start: 100,
            count: 5,
        };
        for n in 0..1000 {
            assert!((100..105).contains(&r.value(n, &mut rng)));
        }
    }
}
