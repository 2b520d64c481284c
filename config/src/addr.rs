//! OpenFlow endpoint addresses: `tcp:IP:PORT` and `ssl:IP:PORT`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Transport of an OpenFlow connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OfScheme {
    /// Plain TCP.
    Tcp,
    /// TLS over TCP.
    Ssl,
}

impl OfScheme {
    /// The scheme as written in the config (`tcp` or `ssl`).
    pub fn as_str(self) -> &'static str {
        match self {
            OfScheme::Tcp => "tcp",
            OfScheme::Ssl => "ssl",
        }
    }
}

impl fmt::Display for OfScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OpenFlow listen or controller address. Displays (and serializes) as
/// `tcp:127.0.0.1:6653` / `ssl:[::1]:6653`, the same form it is parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfAddr {
    /// Transport.
    pub scheme: OfScheme,
    /// IP address and port; hostnames are not accepted.
    pub addr: SocketAddr,
}

impl OfAddr {
    /// A `tcp:` address.
    pub fn tcp(addr: SocketAddr) -> Self {
        OfAddr {
            scheme: OfScheme::Tcp,
            addr,
        }
    }
}

impl fmt::Display for OfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SocketAddr's Display already brackets IPv6.
        write!(f, "{}:{}", self.scheme, self.addr)
    }
}

/// Why a string is not an [`OfAddr`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an OpenFlow address; expected tcp:IP:PORT or ssl:IP:PORT (IPv6 as tcp:[::1]:6653)")]
pub struct OfAddrParseError(pub String);

impl FromStr for OfAddr {
    type Err = OfAddrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || OfAddrParseError(s.to_string());
        let (scheme, rest) = s.split_once(':').ok_or_else(err)?;
        let scheme = match scheme {
            "tcp" => OfScheme::Tcp,
            "ssl" => OfScheme::Ssl,
            _ => return Err(err()),
        };
        let addr = rest.parse::<SocketAddr>().map_err(|_| err())?;
        Ok(OfAddr { scheme, addr })
    }
}

impl Serialize for OfAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_round_trip() {
        for text in ["tcp:127.0.0.1:6653", "ssl:10.0.0.1:6653", "tcp:[::1]:6653"] {
            let a: OfAddr = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        let a: OfAddr = "ssl:[::1]:1".parse().unwrap();
        assert_eq!(a.scheme, OfScheme::Ssl);
        assert_eq!(a.addr.port(), 1);
    }

    #[test]
    fn rejects_bad_forms() {
        for text in [
            "",
            "tcp",
            "127.0.0.1:6653",
            "ptcp:127.0.0.1:6653",
            "tcp:localhost:6653",
            "tcp:127.0.0.1",
            "tcp:::1:6653",
            "tcp:127.0.0.1:70000",
        ] {
            let e = text.parse::<OfAddr>().unwrap_err();
            assert!(e.to_string().contains("expected tcp:IP:PORT"), "{e}");
        }
    }

    #[test]
    fn serializes_as_string() {
        let a: OfAddr = "tcp:[::1]:6653".parse().unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"tcp:[::1]:6653\"");
    }
}
