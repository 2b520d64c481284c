//! Stream definitions: the TOML file format and the single stream given on
//! the command line, checked into `Stream`s with clear errors naming the
//! stream and the key.
use serde::Deserialize;

use crate::field::{parse_mac, parse_vary, FieldKind};
use crate::packet::{Headers, Vxlan};

pub const MAX_FRAME: usize = 9000;
/// The classic simple IMIX: 7 × 64, 4 × 576, 1 × 1518 bytes.
pub const DEFAULT_IMIX: &str = "7x64,4x576,1x1518";

/// How fast a stream sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// As fast as the port takes packets.
    Max,
    Pps(f64),
    /// Percent of the line rate (preamble, start delimiter and inter-frame
    /// gap included: 20 bytes per frame).
    Percent(f64),
}

/// A checked stream.
#[derive(Debug, Clone)]
pub struct Stream {
    pub name: String,
    /// Frame sizes (FCS included), cycled per packet: one entry, or the
    /// IMIX pattern spread out (e.g. 64,64,576,64,...).
    pub sizes: Vec<usize>,
    pub rate: Rate,
    /// Packets to send; None: until the run's duration ends.
    pub count: Option<u64>,
    pub headers: Headers,
}

impl Stream {
    /// Mean frame size over the size pattern.
    pub fn mean_frame_size(&self) -> f64 {
        self.sizes.iter().sum::<usize>() as f64 / self.sizes.len() as f64
    }

    /// Packets per second, given the line rate in bits per second.
    pub fn pps(&self, line_bps: f64) -> Option<f64> {
        match self.rate {
            Rate::Max => None,
            Rate::Pps(p) => Some(p),
            Rate::Percent(pct) => {
                Some(line_rate_pps(line_bps, self.mean_frame_size()) * pct / 100.0)
            }
        }
    }
}

/// Frames per second a link of `bps` carries at `frame_size` bytes.
pub fn line_rate_pps(bps: f64, frame_size: f64) -> f64 {
    bps / ((frame_size + 20.0) * 8.0)
}

/// A stream as written in TOML (`[[stream]]`) or assembled from the CLI.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamDef {
    pub name: Option<String>,
    /// A frame size (64..9000) or "imix" / "imix:7x64,4x576,1x1518".
    pub size: Option<SizeDef>,
    pub rate_pps: Option<f64>,
    pub rate_percent: Option<f64>,
    pub count: Option<u64>,
    pub src_mac: Option<String>,
    pub dst_mac: Option<String>,
    pub src_ip: Option<String>,
    pub dst_ip: Option<String>,
    pub src_port: Option<String>,
    pub dst_port: Option<String>,
    pub vlan: Option<u16>,
    pub vlan_pcp: Option<u8>,
    pub vxlan: Option<VxlanDef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SizeDef {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VxlanDef {
    pub vni: u32,
    pub src_mac: Option<String>,
    pub dst_mac: Option<String>,
    pub src_ip: Option<String>,
    pub dst_ip: Option<String>,
    pub src_port: Option<u16>,
}

/// The TOML stream file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamFile {
    #[serde(rename = "stream")]
    pub streams: Vec<StreamDef>,
}

/// Parses a stream file's text; `origin` names it in errors.
pub fn parse_file(text: &str, origin: &str) -> Result<Vec<Stream>, String> {
    let f: StreamFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    if f.streams.is_empty() {
        return Err(format!("{origin}: no [[stream]] defined"));
    }
    f.streams
        .iter()
        .enumerate()
        .map(|(i, d)| d.check(i).map_err(|e| format!("{origin}: {e}")))
        .collect()
}

impl StreamDef {
    /// Checks the definition of stream number `index`.
    pub fn check(&self, index: usize) -> Result<Stream, String> {
        let name = self.name.clone().unwrap_or_else(|| format!("s{index}"));
        let at = |key: &str, e: String| format!("stream {name:?} ({key}): {e}");
        let field = |key: &str, kind, v: &Option<String>, default: &str| {
            parse_vary(kind, v.as_deref().unwrap_or(default)).map_err(|e| at(key, e))
        };
        let vlan = match self.vlan {
            None => {
                if self.vlan_pcp.is_some() {
                    return Err(at("vlan_pcp", "needs a vlan".into()));
                }
                None
            }
            Some(v) if v > 4095 => {
                return Err(at("vlan", format!("{v} is not a VLAN id (0-4095)")))
            }
            Some(v) => {
                let pcp = self.vlan_pcp.unwrap_or(0);
                if pcp > 7 {
                    return Err(at("vlan_pcp", format!("{pcp} is not a priority (0-7)")));
                }
                Some((v, pcp))
            }
        };
        let vxlan = match &self.vxlan {
            None => None,
            Some(v) => {
                if v.vni > 0x00ff_ffff {
                    return Err(at("vxlan.vni", format!("{} does not fit 24 bits", v.vni)));
                }
                let mac = |key: &str, s: &Option<String>, d: &str| {
                    parse_mac(s.as_deref().unwrap_or(d)).map_err(|e| at(key, e))
                };
                let ip = |key: &str, s: &Option<String>, d: &str| {
                    let s = s.as_deref().unwrap_or(d);
                    s.parse::<std::net::Ipv4Addr>()
                        .map(u32::from)
                        .map_err(|_| at(key, format!("{s:?} is not an IPv4 address")))
                };
                Some(Vxlan {
                    vni: v.vni,
                    src_mac: mac("vxlan.src_mac", &v.src_mac, "02:00:00:00:01:01")?,
                    dst_mac: mac("vxlan.dst_mac", &v.dst_mac, "02:00:00:00:01:02")?,
                    src_ip: ip("vxlan.src_ip", &v.src_ip, "192.168.0.1")?,
                    dst_ip: ip("vxlan.dst_ip", &v.dst_ip, "192.168.0.2")?,
                    src_port: v.src_port.unwrap_or(49152),
                })
            }
        };
        let headers = Headers {
            src_mac: field(
                "src_mac",
                FieldKind::Mac,
                &self.src_mac,
                "02:00:00:00:00:01",
            )?,
            dst_mac: field(
                "dst_mac",
                FieldKind::Mac,
                &self.dst_mac,
                "02:00:00:00:00:02",
            )?,
            src_ip: field("src_ip", FieldKind::Ipv4, &self.src_ip, "10.0.0.1")?,
            dst_ip: field("dst_ip", FieldKind::Ipv4, &self.dst_ip, "10.0.0.2")?,
            src_port: field("src_port", FieldKind::Port, &self.src_port, "1024")?,
            dst_port: field("dst_port", FieldKind::Port, &self.dst_port, "5001")?,
            vlan,
            vxlan,
        };
        let sizes = parse_size(self.size.as_ref()).map_err(|e| at("size", e))?;
        let min = headers.min_frame_size();
        if let Some(&s) = sizes.iter().find(|&&s| s < min || s > MAX_FRAME) {
            return Err(at(
                "size",
                format!("frame size {s} is outside {min}..={MAX_FRAME} (the minimum holds this stream's headers and the 16-byte stamp)"),
            ));
        }
        let rate = match (self.rate_pps, self.rate_percent) {
            (Some(_), Some(_)) => {
                return Err(at(
                    "rate_pps",
                    "give rate_pps or rate_percent, not both".into(),
                ))
            }
            (Some(p), None) if !(p > 0.0 && p.is_finite()) => {
                return Err(at("rate_pps", format!("{p} is not a positive rate")))
            }
            (Some(p), None) => Rate::Pps(p),
            (None, Some(p)) if !(p > 0.0 && p <= 100.0) => {
                return Err(at("rate_percent", format!("{p} is not in (0, 100]")))
            }
            (None, Some(p)) => Rate::Percent(p),
            (None, None) => Rate::Max,
        };
        if self.count == Some(0) {
            return Err(at("count", "must be at least 1".into()));
        }
        Ok(Stream {
            name,
            sizes,
            rate,
            count: self.count,
            headers,
        })
    }
}

/// A size: a number, "imix" (7:4:1 of 64/576/1518) or "imix:NxS,...".
fn parse_size(s: Option<&SizeDef>) -> Result<Vec<usize>, String> {
    let text = match s {
        None => return Ok(vec![64]),
        Some(SizeDef::Bytes(b)) => return Ok(vec![*b as usize]),
        Some(SizeDef::Text(t)) => t.trim(),
    };
    if let Ok(b) = text.parse::<usize>() {
        return Ok(vec![b]);
    }
    let mix = match text.strip_prefix("imix") {
        Some("") => DEFAULT_IMIX,
        Some(rest) => rest
            .strip_prefix(':')
            .ok_or_else(|| format!("{text:?}: expected imix or imix:7x64,4x576,1x1518"))?,
        None => return Err(format!("{text:?} is not a frame size or imix")),
    };
    let mut weights = Vec::new();
    for part in mix.split(',') {
        let (n, size) = part
            .trim()
            .split_once('x')
            .ok_or_else(|| format!("{part:?} in {text:?}: expected COUNTxSIZE, e.g. 7x64"))?;
        let n: usize = n
            .parse()
            .map_err(|_| format!("{part:?} in {text:?}: {n:?} is not a count"))?;
        let size: usize = size
            .parse()
            .map_err(|_| format!("{part:?} in {text:?}: {size:?} is not a frame size"))?;
        if n == 0 || n > 1000 {
            return Err(format!("{part:?} in {text:?}: the count must be 1..=1000"));
        }
        weights.push((n, size));
    }
    Ok(spread(&weights))
}

/// Interleaves an IMIX so that sizes alternate instead of coming in runs:
/// each slot takes the size furthest behind its share.
fn spread(weights: &[(usize, usize)]) -> Vec<usize> {
    let total: usize = weights.iter().map(|w| w.0).sum();
    let mut given = vec![0usize; weights.len()];
    (0..total)
        .map(|slot| {
            let i = (0..weights.len())
                .max_by(|&a, &b| {
                    let da =
                        weights[a].0 as f64 * (slot + 1) as f64 / total as f64 - given[a] as f64;
                    let db =
                        weights[b].0 as f64 * (slot + 1) as f64 / total as f64 - given[b] as f64;
                    da.partial_cmp(&db)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(b.cmp(&a))
                })
                .unwrap_or(0);
            given[i] += 1;
            weights[i].1
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imix_is_seven_four_one_interleaved() {
        let s = parse_size(Some(&SizeDef::Text("imix".into()))).unwrap();
        assert_eq!(s.len(), 12);
        assert_eq!(s.iter().filter(|&&x| x == 64).count(), 7);
        assert_eq!(s.iter().filter(|&&x| x == 576).count(), 4);
        assert_eq!(s.iter().filter(|&&x| x == 1518).count(), 1);
        assert_ne!(s[..4], [64, 64, 64, 64]);
        let c = parse_size(Some(&SizeDef::Text("imix:1x100,1x200".into()))).unwrap();
        assert_eq!(c, [100, 200]);
        assert!(parse_size(Some(&SizeDef::Text("imix:7y64".into()))).is_err());
        assert!(parse_size(Some(&SizeDef::Text("big".into()))).is_err());
    }

    #[test]
    fn file_errors_name_stream_and_key() {
        let e = parse_file("[[stream]]\nname='a'\nsize=32\n", "f.toml").unwrap_err();
        assert!(
            e.contains("f.toml") && e.contains("\"a\"") && e.contains("size"),
            "{e}"
        );
        let e = parse_file("[[stream]]\nsrc_ip='10.0.0.300'\n", "f.toml").unwrap_err();
        assert!(e.contains("src_ip") && e.contains("10.0.0.300"), "{e}");
        let e = parse_file("[[stream]]\nrate_pps=1\nrate_percent=2\n", "f.toml").unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = parse_file("[[stream]]\nbogus=1\n", "f.toml").unwrap_err();
        assert!(e.contains("bogus"), "{e}");
        let e = parse_file("[[stream]]\nvlan=5\nsize=64\n", "f.toml").unwrap_err();
        assert!(e.contains("66"), "{e}");
    }

    #[test]
    fn parses_a_full_stream() {
        let s = parse_file(
            r#"
            [[stream]]
            name = "v"
            size = "imix:7x128,4x576,1x1518"
            rate_percent = 10
            count = 1000
            src_ip = "10.0.0.1-10.0.0.10"
            dst_port = "random:1-100"
            vlan = 10
            vxlan = { vni = 5 }
            "#,
            "x",
        )
        .unwrap();
        assert_eq!(s[0].rate, Rate::Percent(10.0));
        assert_eq!(s[0].headers.vxlan.as_ref().unwrap().vni, 5);
        let pps = s[0].pps(10e9).unwrap();
        let mean = (7.0 * 128.0 + 4.0 * 576.0 + 1518.0) / 12.0;
        assert!((pps - 0.1 * 10e9 / ((mean + 20.0) * 8.0)).abs() < 1.0);
    }
}
