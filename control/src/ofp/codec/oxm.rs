//! `ofp_match` with OXM TLVs (OpenFlow 1.3.5 §7.2.3) ⇄ [`FlowMatch`],
//! with the spec's validation: known field, length, mask allowed, value
//! range, value bits within the mask, no duplicates, prerequisites present.
use fastpath::flow::{Field, FieldDef, Prereq, FIELDS};

use super::buf::{be_uint, err, round8, Put, Reader, Res};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind};
use crate::pipeline::model::FlowMatch;

/// OFPMT_STANDARD (OpenFlow 1.1, deprecated) and OFPMT_OXM.
pub const OFPMT_STANDARD: u16 = 0;
pub const OFPMT_OXM: u16 = 1;

/// OXM classes.
pub const OFPXMC_NXM_0: u16 = 0x0000;
pub const OFPXMC_NXM_1: u16 = 0x0001;
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
pub const OFPXMC_EXPERIMENTER: u16 = 0xffff;

/// OFPVID_PRESENT.
pub const OFPVID_PRESENT: u16 = 0x1000;

const ETH_IP: u128 = 0x0800;
const ETH_IPV6: u128 = 0x86dd;

/// A 32-bit OXM header: class(16) | field(7) | hasmask(1) | length(8).
pub fn oxm_header(class: u16, field: u8, has_mask: bool, len: u8) -> u32 {
    (u32::from(class) << 16)
        | (u32::from(field & 0x7f) << 9)
        | (u32::from(has_mask) << 8)
        | u32::from(len)
}

/// The OXM header of `f` (payload length doubled when `has_mask`).
pub fn field_header(f: Field, has_mask: bool) -> u32 {
    let d = f.def();
    let len = if has_mask {
        d.wire_bytes.saturating_mul(2)
    } else {
        d.wire_bytes
    };
    oxm_header(d.oxm_class, d.oxm_field, has_mask, len)
}

/// Whether a field has an OXM identity that fits the 7-bit field number
/// (internal-only fields do not).
pub fn on_wire(d: &FieldDef) -> bool {
    d.oxm_field <= 0x7f
}

/// The fields that can appear in an OXM match, in canonical order
/// (prerequisites before the fields that need them).
pub fn wire_fields() -> impl Iterator<Item = &'static FieldDef> {
    FIELDS.iter().filter(|d| on_wire(d))
}

fn bad_match(c: u16, message: String) -> OfpError {
    err(OfpErrorKind::BadMatch(c), message)
}

/// "0x8000:12 (ipv4_dst)".
pub(crate) fn label(class: u16, field: u8) -> String {
    match Field::from_oxm(class, field) {
        Some(f) => format!("{class:#06x}:{field} ({})", f.name()),
        None => format!("{class:#06x}:{field}"),
    }
}

/// The exact value of `f` among `entries` (field, value, mask).
fn exact(entries: &[(Field, u128, u128)], f: Field) -> Option<u128> {
    entries
        .iter()
        .find(|e| e.0 == f && e.2 == f.max_value())
        .map(|e| e.1)
}

/// Whether `p` holds for a match made of `entries`.
pub(crate) fn prereq_ok(p: Prereq, entries: &[(Field, u128, u128)]) -> bool {
    let eth = || exact(entries, Field::EthType);
    let is_ip = || matches!(eth(), Some(ETH_IP) | Some(ETH_IPV6));
    let proto = || exact(entries, Field::IpProto);
    match p {
        Prereq::None => true,
        Prereq::Vlan => {
            let present = u128::from(OFPVID_PRESENT);
            entries
                .iter()
                .any(|e| e.0 == Field::VlanVid && e.1 & present != 0 && e.2 & present != 0)
        }
        Prereq::EthType(t) => eth() == Some(u128::from(t)),
        Prereq::Ip => is_ip(),
        Prereq::IpProto(p) => is_ip() && proto() == Some(u128::from(p)),
        Prereq::EthProto(t, p) => eth() == Some(u128::from(t)) && proto() == Some(u128::from(p)),
        Prereq::Icmpv6Type(types) => {
            eth() == Some(ETH_IPV6)
                && proto() == Some(58)
                && exact(entries, Field::Icmpv6Type)
                    .is_some_and(|t| types.iter().any(|&x| u128::from(x) == t))
        }
    }
}

fn describe_prereq(p: Prereq) -> String {
    match p {
        Prereq::None => "nothing".into(),
        Prereq::Vlan => "a VLAN tag (vlan_vid with OFPVID_PRESENT)".into(),
        Prereq::EthType(t) => format!("eth_type={t:#06x}"),
        Prereq::Ip => "eth_type=0x0800 or 0x86dd".into(),
        Prereq::IpProto(p) => format!("eth_type=0x0800 or 0x86dd and ip_proto={p}"),
        Prereq::EthProto(t, p) => format!("eth_type={t:#06x} and ip_proto={p}"),
        Prereq::Icmpv6Type(ts) => format!("eth_type=0x86dd, ip_proto=58 and icmpv6_type in {ts:?}"),
    }
}

/// The (field, value, mask) triples `m` constrains, as they go on the
/// wire: canonical order, and a field only when its prerequisites hold in
/// `m` (this is what tells fields that share storage apart, e.g. ipv4_src
/// from arp_spa).
pub fn match_entries(m: &FlowMatch) -> Vec<(Field, u128, u128)> {
    let mut out: Vec<(Field, u128, u128)> = Vec::new();
    for d in wire_fields() {
        if let Some((v, mask)) = m.get(d.field) {
            if prereq_ok(d.prereq, &out) {
                out.push((d.field, v, mask));
            }
        }
    }
    out
}

/// Bytes of OXM TLVs `m` encodes to (without the ofp_match header).
pub fn oxm_len(m: &FlowMatch) -> usize {
    match_entries(m)
        .iter()
        .map(|&(f, _, mask)| {
            let wb = usize::from(f.def().wire_bytes);
            4 + if mask == f.max_value() { wb } else { 2 * wb }
        })
        .sum()
}

/// Appends OXM TLVs (no ofp_match header).
pub fn encode_oxm_fields(out: &mut Vec<u8>, m: &FlowMatch) {
    for (f, v, mask) in match_entries(m) {
        let wb = usize::from(f.def().wire_bytes);
        let has_mask = mask != f.max_value();
        out.put_u32(field_header(f, has_mask));
        out.put_uint(v, wb);
        if has_mask {
            out.put_uint(mask, wb);
        }
    }
}

/// Appends an `ofp_match` (type OXM, length without padding, padding to 8).
pub fn encode_match(out: &mut Vec<u8>, m: &FlowMatch) {
    let start = out.len();
    out.put_u16(OFPMT_OXM);
    out.put_u16(0);
    encode_oxm_fields(out, m);
    let len = out.len() - start;
    out.patch_u16(start + 2, u16::try_from(len).unwrap_or(u16::MAX));
    out.pad8_from(start);
}

/// Bytes `encode_match` appends (including padding).
pub fn match_wire_len(m: &FlowMatch) -> usize {
    round8(4 + oxm_len(m))
}

/// Reads an `ofp_match` including its padding.
pub(crate) fn decode_match(r: &mut Reader<'_>) -> Res<FlowMatch> {
    let short = |what: &str| bad_match(code::BAD_MATCH_LEN, format!("{what} is truncated"));
    let mtype = r.u16().map_err(|_| short("match header"))?;
    let mlen = usize::from(r.u16().map_err(|_| short("match header"))?);
    if mlen < 4 {
        return Err(bad_match(
            code::BAD_MATCH_LEN,
            format!("match length {mlen} is shorter than its 4-byte header"),
        ));
    }
    if mtype != OFPMT_OXM {
        return Err(bad_match(
            code::BAD_MATCH_TYPE,
            format!("match type {mtype} is not OFPMT_OXM (1)"),
        ));
    }
    let fields = r.bytes(mlen - 4).map_err(|_| {
        bad_match(
            code::BAD_MATCH_LEN,
            format!("match length {mlen} overruns the message"),
        )
    })?;
    r.skip(round8(mlen) - mlen).map_err(|_| {
        bad_match(
            code::BAD_MATCH_LEN,
            format!("match of length {mlen} is missing its padding to 8 bytes"),
        )
    })?;
    decode_oxm_fields(fields)
}

/// Parses and validates OXM TLVs into a match.
pub fn decode_oxm_fields(bytes: &[u8]) -> Res<FlowMatch> {
    let mut r = Reader::new(bytes);
    let mut entries: Vec<(Field, u128, u128)> = Vec::new();
    while !r.is_empty() {
        let header = r.u32().map_err(|_| {
            bad_match(
                code::BAD_MATCH_LEN,
                format!(
                    "{} trailing bytes are too short for an OXM header",
                    r.remaining()
                ),
            )
        })?;
        let class = (header >> 16) as u16;
        let fno = ((header >> 9) & 0x7f) as u8;
        let has_mask = header & 0x100 != 0;
        let len = (header & 0xff) as usize;
        let lbl = label(class, fno);
        let payload = r.bytes(len).map_err(|_| {
            bad_match(
                code::BAD_MATCH_LEN,
                format!("OXM field {lbl} length {len} overruns the match"),
            )
        })?;
        let field = Field::from_oxm(class, fno)
            .filter(|f| class != OFPXMC_EXPERIMENTER && on_wire(f.def()))
            .ok_or_else(|| bad_match(code::BAD_FIELD, format!("unknown OXM field {lbl}")))?;
        let d = field.def();
        if has_mask && !d.maskable {
            return Err(bad_match(
                code::BAD_MASK,
                format!("OXM field {lbl} is not maskable"),
            ));
        }
        let wb = usize::from(d.wire_bytes);
        let expect = if has_mask { 2 * wb } else { wb };
        if len != expect {
            return Err(bad_match(
                code::BAD_MATCH_LEN,
                format!("OXM field {lbl} has length {len}, expected {expect}"),
            ));
        }
        if entries.iter().any(|e| e.0 == field) {
            return Err(bad_match(
                code::DUP_FIELD,
                format!("OXM field {lbl} appears twice"),
            ));
        }
        let max = field.max_value();
        let value = be_uint(payload.get(..wb).unwrap_or(&[]));
        let mask = if has_mask {
            be_uint(payload.get(wb..).unwrap_or(&[]))
        } else {
            max
        };
        if value > max {
            return Err(bad_match(
                code::BAD_VALUE,
                format!("OXM field {lbl} value {value:#x} is out of range (max {max:#x})"),
            ));
        }
        if mask & !max != 0 {
            return Err(bad_match(
                code::BAD_MASK,
                format!("OXM field {lbl} has mask bits outside the field"),
            ));
        }
        if value & !mask != 0 {
            return Err(bad_match(
                code::BAD_WILDCARDS,
                format!("OXM field {lbl} value {value:#x} has bits outside its mask {mask:#x}"),
            ));
        }
        entries.push((field, value, mask));
    }
    for &(f, _, _) in &entries {
        let p = f.def().prereq;
        if !prereq_ok(p, &entries) {
            return Err(bad_match(
                code::BAD_PREREQ,
                format!("OXM field {} requires {}", f.name(), describe_prereq(p)),
            ));
        }
    }
    let mut m = FlowMatch::ANY;
    for (f, v, mask) in entries {
        if mask != 0 {
            m.set(f, v, mask);
        }
    }
    Ok(m)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind(r: Res<FlowMatch>) -> OfpErrorKind {
        r.expect_err("should fail").kind
    }

    fn tlv(f: Field, value: &[u8], mask: Option<&[u8]>) -> Vec<u8> {
        let d = f.def();
        let len = value.len() + mask.map_or(0, |m| m.len());
        let mut v = Vec::new();
        v.put_u32(oxm_header(
            d.oxm_class,
            d.oxm_field,
            mask.is_some(),
            len as u8,
        ));
        v.extend_from_slice(value);
        if let Some(m) = mask {
            v.extend_from_slice(m);
        }
        v
    }

    fn ipv4_eth() -> Vec<u8> {
        tlv(Field::EthType, &[0x08, 0x00], None)
    }

    #[test]
    fn header_layout() {
        assert_eq!(field_header(Field::InPort, false), 0x8000_0004);
        assert_eq!(field_header(Field::Ipv4Dst, true), 0x8000_1908);
        assert_eq!(field_header(Field::EthType, false), 0x8000_0a02);
        assert_eq!(field_header(Field::Reg0, false), 0x0001_0004);
    }

    #[test]
    fn errors() {
        use OfpErrorKind::BadMatch;
        // Unknown field (OFPXMT_OFB_MPLS_LABEL = 34 is not supported).
        let mut b = Vec::new();
        b.put_u32(oxm_header(0x8000, 34, false, 4));
        b.put_u32(1);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_FIELD));
        // Experimenter class.
        let mut b = Vec::new();
        b.put_u32(oxm_header(0xffff, 1, false, 4));
        b.put_u32(1);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_FIELD));
        // Wrong length.
        let mut b = Vec::new();
        b.put_u32(oxm_header(0x8000, 0, false, 2));
        b.put_u16(1);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_MATCH_LEN));
        // Length overrunning.
        let mut b = Vec::new();
        b.put_u32(oxm_header(0x8000, 0, false, 4));
        b.put_u16(1);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_MATCH_LEN));
        // Trailing partial header.
        assert_eq!(
            kind(decode_oxm_fields(&[0x80, 0])),
            BadMatch(code::BAD_MATCH_LEN)
        );
        // Mask on a non-maskable field.
        let b = tlv(Field::InPort, &[0, 0, 0, 1], Some(&[0, 0, 0, 1]));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_MASK));
        // Duplicate.
        let mut b = tlv(Field::InPort, &[0, 0, 0, 1], None);
        b.extend(tlv(Field::InPort, &[0, 0, 0, 2], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::DUP_FIELD));
        // Prerequisite missing, either order of a present one is fine.
        let b = tlv(Field::Ipv4Dst, &[10, 0, 0, 1], None);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_PREREQ));
        let mut b = tlv(Field::Ipv4Dst, &[10, 0, 0, 1], None);
        b.extend(ipv4_eth());
        assert!(decode_oxm_fields(&b).is_ok());
        let mut b = tlv(Field::EthType, &[0x86, 0xdd], None);
        b.extend(tlv(Field::Ipv4Dst, &[10, 0, 0, 1], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_PREREQ));
        let mut b = ipv4_eth();
        b.extend(tlv(Field::TcpDst, &[0, 80], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_PREREQ));
        let b = tlv(Field::VlanPcp, &[3], None);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_PREREQ));
        let mut b = tlv(Field::VlanVid, &[0x00, 0x05], None);
        b.extend(tlv(Field::VlanPcp, &[3], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_PREREQ));
        let mut b = tlv(Field::VlanVid, &[0x10, 0x05], None);
        b.extend(tlv(Field::VlanPcp, &[3], None));
        assert!(decode_oxm_fields(&b).is_ok());
        // Bad values.
        let b = tlv(Field::VlanVid, &[0x20, 0x00], None);
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_VALUE));
        let mut b = tlv(Field::VlanVid, &[0x10, 0x05], None);
        b.extend(tlv(Field::VlanPcp, &[8], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_VALUE));
        let mut b = ipv4_eth();
        b.extend(tlv(Field::IpDscp, &[64], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_VALUE));
        let mut b = tlv(Field::EthType, &[0x86, 0xdd], None);
        b.extend(tlv(Field::Ipv6Label, &[0, 0x10, 0, 0], None));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_VALUE));
        // Mask outside the field, value outside the mask.
        let mut b = tlv(Field::EthType, &[0x86, 0xdd], None);
        b.extend(tlv(
            Field::Ipv6Label,
            &[0, 0, 0, 1],
            Some(&[0xff, 0xff, 0xff, 0xff]),
        ));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_MASK));
        let mut b = ipv4_eth();
        b.extend(tlv(
            Field::Ipv4Dst,
            &[10, 0, 0, 1],
            Some(&[255, 255, 255, 0]),
        ));
        assert_eq!(kind(decode_oxm_fields(&b)), BadMatch(code::BAD_WILDCARDS));
    }

    #[test]
    fn match_header_errors() {
        use OfpErrorKind::BadMatch;
        let run = |b: &[u8]| decode_match(&mut Reader::new(b)).map_err(|e| e.kind);
        assert_eq!(
            run(&[0, 0, 0, 4, 0, 0, 0, 0]),
            Err(BadMatch(code::BAD_MATCH_TYPE))
        );
        assert_eq!(
            run(&[0, 1, 0, 3, 0, 0, 0, 0]),
            Err(BadMatch(code::BAD_MATCH_LEN))
        );
        assert_eq!(run(&[0, 1, 0, 4, 0, 0]), Err(BadMatch(code::BAD_MATCH_LEN)));
        assert_eq!(
            run(&[0, 1, 0, 12, 0, 0]),
            Err(BadMatch(code::BAD_MATCH_LEN))
        );
        assert_eq!(run(&[0, 1]), Err(BadMatch(code::BAD_MATCH_LEN)));
        assert_eq!(run(&[0, 1, 0, 4, 0, 0, 0, 0]), Ok(FlowMatch::ANY));
    }

    #[test]
    fn shared_storage_disambiguated_on_encode() {
        let mut m = FlowMatch::ANY;
        m.set(Field::EthType, 0x0806, 0xffff);
        m.set(Field::ArpSpa, 0x0a00_0001, 0xffff_ffff);
        m.set(Field::ArpOp, 1, 0xff);
        let e = match_entries(&m);
        let fields: Vec<Field> = e.iter().map(|x| x.0).collect();
        assert_eq!(fields, [Field::EthType, Field::ArpOp, Field::ArpSpa]);
        let mut b = Vec::new();
        encode_match(&mut b, &m);
        assert_eq!(b.len(), match_wire_len(&m));
        assert_eq!(decode_match(&mut Reader::new(&b)), Ok(m));
    }

    /// Arbitrary valid matches: random per-field values, kept only where
    /// the prerequisites chosen make the field legal.
    pub(crate) fn arb_match() -> impl Strategy<Value = FlowMatch> {
        let eth = prop_oneof![
            Just(None),
            Just(Some(0x0800u128)),
            Just(Some(0x86dd)),
            Just(Some(0x0806)),
            any::<u16>().prop_map(|v| Some(u128::from(v))),
        ];
        let proto = prop_oneof![
            Just(None),
            Just(Some(6u128)),
            Just(Some(17)),
            Just(Some(132)),
            Just(Some(1)),
            Just(Some(58)),
            any::<u8>().prop_map(|v| Some(u128::from(v))),
        ];
        let icmp6 = prop_oneof![
            Just(None),
            Just(Some(135u128)),
            Just(Some(136)),
            any::<u8>().prop_map(|v| Some(u128::from(v)))
        ];
        let per_field = proptest::collection::vec(
            proptest::option::weighted(0.3, (any::<u128>(), any::<u128>(), any::<bool>())),
            FIELDS.len(),
        );
        (eth, proto, icmp6, per_field).prop_map(|(eth, proto, icmp6, per_field)| {
            let mut chosen: Vec<(Field, u128, u128)> = Vec::new();
            for d in wire_fields() {
                let f = d.field;
                let max = f.max_value();
                let pick = match f {
                    Field::EthType => eth.map(|v| (v, max)),
                    Field::IpProto => proto.map(|v| (v, max)),
                    Field::Icmpv6Type => icmp6.map(|v| (v, max)),
                    _ => per_field
                        .get(f as usize)
                        .copied()
                        .flatten()
                        .map(|(v, m, exact)| {
                            let m = if exact || !d.maskable { max } else { m & max };
                            (v & m, m)
                        }),
                };
                if let Some((v, m)) = pick {
                    if m != 0 && prereq_ok(d.prereq, &chosen) {
                        chosen.push((f, v, m));
                    }
                }
            }
            let mut m = FlowMatch::ANY;
            for (f, v, mask) in chosen {
                m.set(f, v, mask);
            }
            m
        })
    }

    proptest! {
        #[test]
        fn match_round_trip(m in arb_match()) {
            let mut b = Vec::new();
            encode_match(&mut b, &m);
            prop_assert_eq!(b.len() % 8, 0);
            prop_assert_eq!(b.len(), match_wire_len(&m));
            let mut r = Reader::new(&b);
            prop_assert_eq!(decode_match(&mut r), Ok(m));
            prop_assert!(r.is_empty());
        }

        #[test]
        fn oxm_random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = decode_oxm_fields(&b);
            let _ = decode_match(&mut Reader::new(&b));
        }
    }
}
