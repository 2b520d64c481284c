//! Field values in ovs-fields(7) syntax: numbers, Ethernet, IPv4 and
//! IPv6 addresses with their masks, ports, fragment and TCP flag keywords.
use std::net::Ipv6Addr;

use fastpath::flow::Field;

use super::lexer::{err, expected, unquote, PResult, Tok};
use super::matches::{syntax, Syntax, FRAG_ANY, FRAG_LATER};
use super::PortNames;
use crate::ofp::PortNo;

/// An unsigned number: decimal or `0x` hexadecimal.
pub(crate) fn parse_uint(tok: Tok<'_>, after: &str) -> PResult<u128> {
    let t = tok.text;
    let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (t, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return expected(tok, "a number", after);
    }
    match u128::from_str_radix(digits, radix) {
        Ok(v) => Ok(v),
        Err(_) => err(tok.pos, format!("{t} is too large a number")),
    }
}

/// A number that must fit in `bits` bits; `what` names it in the error.
pub(crate) fn parse_uint_bits(tok: Tok<'_>, after: &str, what: &str, bits: u32) -> PResult<u128> {
    let v = parse_uint(tok, after)?;
    check_bits(tok, v, what, bits)?;
    Ok(v)
}

pub(super) fn check_bits(tok: Tok<'_>, v: u128, what: &str, bits: u32) -> PResult<()> {
    if bits < 128 && v >> bits != 0 {
        return err(
            tok.pos,
            format!(
                "value {} is too large for {what}, {} field",
                tok.text,
                bits_phrase(bits)
            ),
        );
    }
    Ok(())
}

/// "a 16-bit" / "an 8-bit".
pub(crate) fn bits_phrase(bits: u32) -> String {
    let an = matches!(bits, 8 | 11 | 18 | 80..=89);
    format!("{} {bits}-bit", if an { "an" } else { "a" })
}

pub(crate) fn parse_mac(tok: Tok<'_>, after: &str) -> PResult<u128> {
    let parts: Vec<&str> = tok.text.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_hexdigit()));
    if !ok {
        return expected(tok, "an Ethernet address", after);
    }
    Ok(parts.iter().fold(0u128, |acc, p| {
        (acc << 8) | u128::from_str_radix(p, 16).unwrap_or(0)
    }))
}

pub(crate) fn parse_ipv4(tok: Tok<'_>, after: &str) -> PResult<u128> {
    let parts: Vec<&str> = tok.text.split('.').collect();
    let mut v = 0u128;
    let ok = parts.len() == 4
        && parts.iter().all(|p| {
            let good = (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
            match p.parse::<u8>() {
                Ok(b) if good => {
                    v = (v << 8) | u128::from(b);
                    true
                }
                _ => false,
            }
        });
    if !ok {
        return expected(tok, "an IPv4 address", after);
    }
    Ok(v)
}

pub(crate) fn parse_ipv6(tok: Tok<'_>, after: &str) -> PResult<u128> {
    match tok.text.parse::<Ipv6Addr>() {
        Ok(a) => Ok(u128::from(a)),
        Err(_) => expected(tok, "an IPv6 address", after),
    }
}

/// A port: a number, a reserved name (`LOCAL`, `in_port`, ...,
/// case-insensitive), or a name known to `names` (optionally quoted).
pub(crate) fn parse_port(tok: Tok<'_>, after: &str, names: &dyn PortNames) -> PResult<PortNo> {
    let t = tok.text;
    if t.is_empty() {
        return expected(tok, "a port", after);
    }
    if is_number(t) {
        let v = parse_uint(tok, after)?;
        let Ok(n) = u32::try_from(v) else {
            return err(tok.pos, format!("port {t} is out of range"));
        };
        let p = PortNo(n);
        if p.is_reserved() && p.reserved_name().is_none() {
            return err(
                tok.pos,
                format!(
                    "port {t} is neither a valid port number (up to {}) nor a reserved port",
                    PortNo::MAX.0
                ),
            );
        }
        return Ok(p);
    }
    if !t.starts_with('"') {
        if let Some(p) = PortNo::from_reserved_name(t) {
            return Ok(p);
        }
    }
    let name = unquote(t);
    match names.number(&name) {
        Some(n) => Ok(PortNo(n)),
        None => err(tok.pos, format!("unknown port {t} after {after}")),
    }
}

/// Decimal digits, or `0x` and hex digits.
pub(crate) fn is_number(t: &str) -> bool {
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()),
        None => !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()),
    }
}

fn prefix_mask(len: u32, bits: u32) -> u128 {
    let all = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if len == 0 {
        0
    } else {
        (all << (bits - len)) & all
    }
}

/// The value of `f` written as `tok` (no mask); `name` is the name the user
/// wrote, `after` what precedes the value (for messages).
pub(crate) fn parse_field_value(
    f: Field,
    tok: Tok<'_>,
    name: &str,
    after: &str,
    names: &dyn PortNames,
) -> PResult<u128> {
    let bits = u32::from(f.def().bits);
    match syntax(f) {
        Syntax::Port => Ok(u128::from(parse_port(tok, after, names)?.0)),
        Syntax::Dec | Syntax::Hex | Syntax::EthType | Syntax::Label => {
            parse_uint_bits(tok, after, name, bits)
        }
        Syntax::Mac => parse_mac(tok, after),
        Syntax::Ipv4 => parse_ipv4(tok, after),
        Syntax::Ipv6 => parse_ipv6(tok, after),
        Syntax::Frag => {
            let (v, m) = parse_frag(tok, after)?;
            if m != f.max_value() & 3 {
                return err(
                    tok.pos,
                    format!("{name}={} is not an exact value", tok.text),
                );
            }
            Ok(v)
        }
        Syntax::TcpFlags => {
            let (v, m) = parse_tcp_flags(tok, name)?;
            if m != f.max_value() {
                return err(
                    tok.pos,
                    format!("{name}={} is not an exact value", tok.text),
                );
            }
            Ok(v)
        }
    }
}

/// The value and mask of `f` written as `tok` (`VALUE[/MASK]`).
pub(crate) fn parse_field_masked(
    f: Field,
    tok: Tok<'_>,
    name: &str,
    after: &str,
    names: &dyn PortNames,
) -> PResult<(u128, u128)> {
    let full = f.max_value();
    match syntax(f) {
        Syntax::Frag => return parse_frag(tok, after),
        Syntax::TcpFlags => return parse_tcp_flags(tok, name),
        _ => {}
    }
    let (vt, mt) = match tok.split_once("/") {
        Some((a, b)) => (a, Some(b)),
        None => (tok, None),
    };
    let v = parse_field_value(f, vt, name, after, names)?;
    let Some(mt) = mt else {
        return Ok((v, full));
    };
    let bits = u32::from(f.def().bits);
    let mask_after = format!("{after}{}/", vt.text);
    let m =
        match syntax(f) {
            Syntax::Ipv4 | Syntax::Ipv6 => {
                let width = if syntax(f) == Syntax::Ipv4 { 32 } else { 128 };
                if !mt.text.is_empty() && mt.text.chars().all(|c| c.is_ascii_digit()) {
                    match mt.text.parse::<u32>() {
                        Ok(n) if n <= width => prefix_mask(n, width),
                        _ => {
                            return err(
                                mt.pos,
                                format!(
                                    "prefix length {} is out of range for {name} (0 to {width})",
                                    mt.text
                                ),
                            )
                        }
                    }
                } else if width == 32 {
                    parse_ipv4(mt, &mask_after).map_err(|mut e| {
                        e.msg = format!(
                        "expected a prefix length or an IPv4 netmask after {mask_after}, found {}",
                        if mt.text.is_empty() { "nothing" } else { mt.text }
                    );
                        e
                    })?
                } else {
                    parse_ipv6(mt, &mask_after).map_err(|mut e| {
                        e.msg =
                            format!(
                        "expected a prefix length or an IPv6 mask after {mask_after}, found {}",
                        if mt.text.is_empty() { "nothing" } else { mt.text }
                    );
                        e
                    })?
                }
            }
            Syntax::Mac => parse_mac(mt, &mask_after)?,
            _ => {
                let m = parse_uint(mt, &mask_after)?;
                if bits < 128 && m >> bits != 0 {
                    return err(
                        mt.pos,
                        format!(
                            "mask {} is too large for {name}, {} field",
                            mt.text,
                            bits_phrase(bits)
                        ),
                    );
                }
                m
            }
        };
    if !f.def().maskable && m != full {
        return err(mt.pos - 1, format!("{name} does not accept a mask"));
    }
    Ok((v, m))
}

/// ip_frag keywords as (name, value, mask), in OVS's order (the first
/// entry for a name is what parsing gives).
pub(crate) const FRAGS: &[(&str, u128, u128)] = &[
    ("no", 0, FRAG_ANY | FRAG_LATER),
    ("first", FRAG_ANY, FRAG_ANY | FRAG_LATER),
    ("later", FRAG_ANY | FRAG_LATER, FRAG_ANY | FRAG_LATER),
    ("yes", FRAG_ANY, FRAG_ANY),
    ("not_later", 0, FRAG_LATER),
];

/// `no|yes|first|later|not_later`, or (our extension, so that any value
/// prints and parses back) `VALUE[/MASK]` over the two fragment bits.
fn parse_frag(tok: Tok<'_>, after: &str) -> PResult<(u128, u128)> {
    if let Some(&(_, v, m)) = FRAGS.iter().find(|x| x.0 == tok.text) {
        return Ok((v, m));
    }
    if tok.text.starts_with(|c: char| c.is_ascii_digit()) {
        let (vt, mt) = match tok.split_once("/") {
            Some((a, b)) => (a, Some(b)),
            None => (tok, None),
        };
        let v = parse_uint_bits(vt, after, "ip_frag", 2)?;
        let m = match mt {
            Some(mt) => parse_uint_bits(mt, after, "ip_frag", 2)?,
            None => 3,
        };
        return Ok((v, m));
    }
    expected(
        tok,
        "a fragment type (no, yes, first, later or not_later)",
        after,
    )
}

/// Names of the 12 TCP flag bits, as ovs-ofctl prints them.
pub(crate) const TCP_FLAG_NAMES: [&str; 12] = [
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns", "[200]", "[400]", "[800]",
];
const TCP_FLAGS_ALL: u128 = 0xfff;

fn tcp_flag_bit(name: &str) -> Option<u128> {
    TCP_FLAG_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| 1u128 << i)
}

/// ovs-ofctl's `parse_flags`: `VALUE/MASK`, `+syn-ack` (named bits set or
/// clear, others wildcarded) or `syn|ack` / `0x12` (exact).
fn parse_tcp_flags(tok: Tok<'_>, name: &str) -> PResult<(u128, u128)> {
    let t = tok.text;
    let after = format!("{name}=");
    if t.is_empty() {
        return expected(tok, "TCP flags", &after);
    }
    if let Some((vt, mt)) = tok.split_once("/") {
        let v = parse_uint_bits(vt, &after, name, 12)?;
        let m = parse_uint_bits(mt, &after, name, 12)?;
        return Ok((v, m));
    }
    let unknown = |pos: usize, f: &str| -> PResult<(u128, u128)> {
        err(
            pos,
            format!(
                "unknown TCP flag '{f}' in {name} (known: fin, syn, rst, psh, ack, urg, ece, cwr, ns)"
            ),
        )
    };
    if t.starts_with('+') || t.starts_with('-') {
        let (mut v, mut m) = (0u128, 0u128);
        let mut i = 0;
        let b = t.as_bytes();
        while i < b.len() {
            let set = match b[i] {
                b'+' => true,
                b'-' => false,
                _ => {
                    return err(
                        tok.pos + i,
                        format!(
                            "each flag in {name} must be preceded by '+' (set) or '-' (not set)"
                        ),
                    )
                }
            };
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end] != b'+' && b[end] != b'-' {
                end += 1;
            }
            let fname = &t[start..end];
            let Some(bit) = tcp_flag_bit(fname) else {
                return unknown(tok.pos + start, fname);
            };
            if m & bit != 0 {
                return err(
                    tok.pos + start,
                    format!("TCP flag {fname} appears twice in {name}"),
                );
            }
            m |= bit;
            if set {
                v |= bit;
            }
            i = end;
        }
        return Ok((v, m));
    }
    let mut v = 0u128;
    let mut off = 0;
    for part in t.split('|') {
        let pt = Tok::new(part, tok.pos + off);
        off += part.len() + 1;
        if part.starts_with(|c: char| c.is_ascii_digit()) {
            v |= parse_uint_bits(pt, &after, name, 12)?;
        } else if let Some(bit) = tcp_flag_bit(part) {
            v |= bit;
        } else {
            return unknown(pt.pos, part);
        }
    }
    Ok((v, TCP_FLAGS_ALL))
}
