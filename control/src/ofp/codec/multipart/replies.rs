//! Multipart reply bodies: decoding and encoding of every element, and
//! splitting of large replies into messages with OFPMPF_REPLY_MORE.

use super::*;

fn encode_flow_stats(out: &mut Vec<u8>, f: &FlowStats) {
    let start = out.len();
    out.put_u16(0);
    out.put_u8(f.table_id);
    out.put_u8(0);
    out.put_u32(f.duration_sec);
    out.put_u32(f.duration_nsec);
    out.put_u16(f.priority);
    out.put_u16(f.idle_timeout);
    out.put_u16(f.hard_timeout);
    out.put_u16(f.flags);
    out.put_zeros(4);
    out.put_u64(f.cookie);
    out.put_u64(f.packet_count);
    out.put_u64(f.byte_count);
    encode_match(out, &f.match_);
    encode_instructions(out, &f.instructions);
    let len = len16(out.len() - start);
    out.patch_u16(start, len);
}

fn decode_flow_stats(r: &mut Reader<'_>) -> Res<FlowStats> {
    let w = "ofp_flow_stats";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 56 {
        return Err(bad_len(format!("{w} length {len} is below 56")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let table_id = e.u8().or_len(w)?;
    e.skip(1).or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let priority = e.u16().or_len(w)?;
    let idle_timeout = e.u16().or_len(w)?;
    let hard_timeout = e.u16().or_len(w)?;
    let flags = e.u16().or_len(w)?;
    e.skip(4).or_len(w)?;
    let cookie = e.u64().or_len(w)?;
    let packet_count = e.u64().or_len(w)?;
    let byte_count = e.u64().or_len(w)?;
    let match_ = decode_match(&mut e)?;
    let instructions = decode_instructions(e.rest())?;
    Ok(FlowStats {
        table_id,
        duration_sec,
        duration_nsec,
        priority,
        idle_timeout,
        hard_timeout,
        flags,
        cookie,
        packet_count,
        byte_count,
        match_,
        instructions,
    })
}

fn encode_table_stats(out: &mut Vec<u8>, t: &TableStats) {
    out.put_u8(t.table_id);
    out.put_zeros(3);
    out.put_u32(t.active_count);
    out.put_u64(t.lookup_count);
    out.put_u64(t.matched_count);
}

fn decode_table_stats(r: &mut Reader<'_>) -> Res<TableStats> {
    let w = "ofp_table_stats";
    let table_id = r.u8().or_len(w)?;
    r.skip(3).or_len(w)?;
    Ok(TableStats {
        table_id,
        active_count: r.u32().or_len(w)?,
        lookup_count: r.u64().or_len(w)?,
        matched_count: r.u64().or_len(w)?,
    })
}

fn encode_port_stats(out: &mut Vec<u8>, p: &PortStats) {
    out.put_u32(p.port_no.0);
    out.put_zeros(4);
    for v in [
        p.rx_packets,
        p.tx_packets,
        p.rx_bytes,
        p.tx_bytes,
        p.rx_dropped,
        p.tx_dropped,
        p.rx_errors,
        p.tx_errors,
        p.rx_frame_err,
        p.rx_over_err,
        p.rx_crc_err,
        p.collisions,
    ] {
        out.put_u64(v);
    }
    out.put_u32(p.duration_sec);
    out.put_u32(p.duration_nsec);
}

fn decode_port_stats(r: &mut Reader<'_>) -> Res<PortStats> {
    let w = "ofp_port_stats";
    let port_no = PortNo(r.u32().or_len(w)?);
    r.skip(4).or_len(w)?;
    let mut c = [0u64; 12];
    for x in c.iter_mut() {
        *x = r.u64().or_len(w)?;
    }
    let [rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped, rx_errors, tx_errors, rx_frame_err, rx_over_err, rx_crc_err, collisions] =
        c;
    Ok(PortStats {
        port_no,
        rx_packets,
        tx_packets,
        rx_bytes,
        tx_bytes,
        rx_dropped,
        tx_dropped,
        rx_errors,
        tx_errors,
        rx_frame_err,
        rx_over_err,
        rx_crc_err,
        collisions,
        duration_sec: r.u32().or_len(w)?,
        duration_nsec: r.u32().or_len(w)?,
    })
}

fn encode_queue_stats(out: &mut Vec<u8>, q: &QueueStats) {
    out.put_u32(q.port_no.0);
    out.put_u32(q.queue_id);
    out.put_u64(q.tx_bytes);
    out.put_u64(q.tx_packets);
    out.put_u64(q.tx_errors);
    out.put_u32(q.duration_sec);
    out.put_u32(q.duration_nsec);
}

fn decode_queue_stats(r: &mut Reader<'_>) -> Res<QueueStats> {
    let w = "ofp_queue_stats";
    Ok(QueueStats {
        port_no: PortNo(r.u32().or_len(w)?),
        queue_id: r.u32().or_len(w)?,
        tx_bytes: r.u64().or_len(w)?,
        tx_packets: r.u64().or_len(w)?,
        tx_errors: r.u64().or_len(w)?,
        duration_sec: r.u32().or_len(w)?,
        duration_nsec: r.u32().or_len(w)?,
    })
}

fn encode_group_stats(out: &mut Vec<u8>, g: &GroupStats) {
    out.put_u16(len16(40 + 16 * g.bucket_stats.len()));
    out.put_zeros(2);
    out.put_u32(g.group_id);
    out.put_u32(g.ref_count);
    out.put_zeros(4);
    out.put_u64(g.packet_count);
    out.put_u64(g.byte_count);
    out.put_u32(g.duration_sec);
    out.put_u32(g.duration_nsec);
    for b in &g.bucket_stats {
        out.put_u64(b.packet_count);
        out.put_u64(b.byte_count);
    }
}

fn decode_group_stats(r: &mut Reader<'_>) -> Res<GroupStats> {
    let w = "ofp_group_stats";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 40 || !multiple_of(len - 40, 16) {
        return Err(bad_len(format!(
            "{w} length {len} is not 40 plus 16 per bucket"
        )));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(4).or_len(w)?;
    let group_id = e.u32().or_len(w)?;
    let ref_count = e.u32().or_len(w)?;
    e.skip(4).or_len(w)?;
    let packet_count = e.u64().or_len(w)?;
    let byte_count = e.u64().or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let mut bucket_stats = Vec::new();
    while !e.is_empty() {
        bucket_stats.push(BucketCounter {
            packet_count: e.u64().or_len(w)?,
            byte_count: e.u64().or_len(w)?,
        });
    }
    Ok(GroupStats {
        group_id,
        ref_count,
        packet_count,
        byte_count,
        duration_sec,
        duration_nsec,
        bucket_stats,
    })
}

fn encode_group_desc(out: &mut Vec<u8>, g: &GroupDesc) {
    out.put_u16(len16(8 + buckets_len(&g.buckets)));
    out.put_u8(group_type_code(g.group_type));
    out.put_u8(0);
    out.put_u32(g.group_id);
    encode_buckets(out, &g.buckets);
}

fn decode_group_desc(r: &mut Reader<'_>) -> Res<GroupDesc> {
    let w = "ofp_group_desc";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 8 {
        return Err(bad_len(format!("{w} length {len} is below 8")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let gt = group_type(e.u8().or_len(w)?)?;
    e.skip(1).or_len(w)?;
    let group_id = e.u32().or_len(w)?;
    Ok(GroupDesc {
        group_type: gt,
        group_id,
        buckets: decode_buckets(e.rest())?,
    })
}

fn encode_meter_stats(out: &mut Vec<u8>, m: &MeterStats) {
    out.put_u32(m.meter_id);
    out.put_u16(len16(40 + 16 * m.band_stats.len()));
    out.put_zeros(6);
    out.put_u32(m.flow_count);
    out.put_u64(m.packet_in_count);
    out.put_u64(m.byte_in_count);
    out.put_u32(m.duration_sec);
    out.put_u32(m.duration_nsec);
    for b in &m.band_stats {
        out.put_u64(b.packet_band_count);
        out.put_u64(b.byte_band_count);
    }
}

fn decode_meter_stats(r: &mut Reader<'_>) -> Res<MeterStats> {
    let w = "ofp_meter_stats";
    let len = usize::from(r.peek_u16(4).or_len(w)?);
    if len < 40 || !multiple_of(len - 40, 16) {
        return Err(bad_len(format!(
            "{w} length {len} is not 40 plus 16 per band"
        )));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    let meter_id = e.u32().or_len(w)?;
    e.skip(8).or_len(w)?;
    let flow_count = e.u32().or_len(w)?;
    let packet_in_count = e.u64().or_len(w)?;
    let byte_in_count = e.u64().or_len(w)?;
    let duration_sec = e.u32().or_len(w)?;
    let duration_nsec = e.u32().or_len(w)?;
    let mut band_stats = Vec::new();
    while !e.is_empty() {
        band_stats.push(MeterBandStats {
            packet_band_count: e.u64().or_len(w)?,
            byte_band_count: e.u64().or_len(w)?,
        });
    }
    Ok(MeterStats {
        meter_id,
        flow_count,
        packet_in_count,
        byte_in_count,
        duration_sec,
        duration_nsec,
        band_stats,
    })
}

fn encode_meter_config(out: &mut Vec<u8>, m: &MeterConfig) {
    out.put_u16(len16(8 + BAND_LEN * m.bands.len()));
    out.put_u16(m.flags);
    out.put_u32(m.meter_id);
    encode_bands(out, &m.bands);
}

fn decode_meter_config(r: &mut Reader<'_>) -> Res<MeterConfig> {
    let w = "ofp_meter_config";
    let len = usize::from(r.peek_u16(0).or_len(w)?);
    if len < 8 {
        return Err(bad_len(format!("{w} length {len} is below 8")));
    }
    let mut e = r
        .sub(len)
        .map_err(|_| bad_len(format!("{w} length {len} overruns the message")))?;
    e.skip(2).or_len(w)?;
    let flags = e.u16().or_len(w)?;
    let meter_id = e.u32().or_len(w)?;
    Ok(MeterConfig {
        flags,
        meter_id,
        bands: decode_bands(e.rest())?,
    })
}

fn decode_port_desc(r: &mut Reader<'_>) -> Res<PortDesc> {
    if r.remaining() < PORT_LEN {
        return Err(bad_len(format!(
            "{} trailing bytes are too short for ofp_port ({PORT_LEN})",
            r.remaining()
        )));
    }
    decode_port(r)
}

/// Decodes elements until the body is consumed.
fn decode_list<T>(
    r: &mut Reader<'_>,
    f: impl Fn(&mut Reader<'_>) -> Res<T>,
    fixed: Option<usize>,
    what: &str,
) -> Res<Vec<T>> {
    if let Some(n) = fixed {
        if !multiple_of(r.remaining(), n) {
            return Err(bad_len(format!(
                "{what} reply body of {} bytes is not a multiple of {n}",
                r.remaining()
            )));
        }
    }
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(f(r)?);
    }
    Ok(out)
}

pub(crate) fn decode_reply(r: &mut Reader<'_>) -> Res<Message> {
    let (t, flags) = mp_header(r, "reply")?;
    let w = mp_name(t);
    let body = match t {
        mt::DESC => {
            exact(r, 4 * DESC_STR_LEN + SERIAL_NUM_LEN, t)?;
            let mut s = |n: usize| r.bytes(n).or_len(w).map(get_str);
            MultipartReply::Desc(SwitchDesc {
                mfr_desc: s(DESC_STR_LEN)?,
                hw_desc: s(DESC_STR_LEN)?,
                sw_desc: s(DESC_STR_LEN)?,
                serial_num: s(SERIAL_NUM_LEN)?,
                dp_desc: s(DESC_STR_LEN)?,
            })
        }
        mt::FLOW => MultipartReply::Flow(decode_list(r, decode_flow_stats, None, w)?),
        mt::AGGREGATE => {
            exact(r, 24, t)?;
            let packet_count = r.u64().or_len(w)?;
            let byte_count = r.u64().or_len(w)?;
            let flow_count = r.u32().or_len(w)?;
            r.skip(4).or_len(w)?;
            MultipartReply::Aggregate(AggregateStats {
                packet_count,
                byte_count,
                flow_count,
            })
        }
        mt::TABLE => MultipartReply::Table(decode_list(r, decode_table_stats, Some(24), w)?),
        mt::PORT_STATS => {
            MultipartReply::PortStats(decode_list(r, decode_port_stats, Some(112), w)?)
        }
        mt::QUEUE => MultipartReply::Queue(decode_list(r, decode_queue_stats, Some(40), w)?),
        mt::GROUP => MultipartReply::Group(decode_list(r, decode_group_stats, None, w)?),
        mt::GROUP_DESC => MultipartReply::GroupDesc(decode_list(r, decode_group_desc, None, w)?),
        mt::GROUP_FEATURES => {
            exact(r, 40, t)?;
            let types = r.u32().or_len(w)?;
            let capabilities = r.u32().or_len(w)?;
            let mut v = [0u32; 8];
            for x in v.iter_mut() {
                *x = r.u32().or_len(w)?;
            }
            let [a, b, c, d, e, f, g, h] = v;
            MultipartReply::GroupFeatures(GroupFeatures {
                types,
                capabilities,
                max_groups: [a, b, c, d],
                actions: [e, f, g, h],
            })
        }
        mt::METER => MultipartReply::Meter(decode_list(r, decode_meter_stats, None, w)?),
        mt::METER_CONFIG => {
            MultipartReply::MeterConfig(decode_list(r, decode_meter_config, None, w)?)
        }
        mt::METER_FEATURES => {
            exact(r, 16, t)?;
            let max_meter = r.u32().or_len(w)?;
            let band_types = r.u32().or_len(w)?;
            let capabilities = r.u32().or_len(w)?;
            let max_bands = r.u8().or_len(w)?;
            let max_color = r.u8().or_len(w)?;
            r.skip(2).or_len(w)?;
            MultipartReply::MeterFeatures(MeterFeatures {
                max_meter,
                band_types,
                capabilities,
                max_bands,
                max_color,
            })
        }
        mt::TABLE_FEATURES => MultipartReply::TableFeatures(decode_table_features_list(r.rest())?),
        // mt::PORT_DESC, the one type left (mp_header checked the range).
        _ => MultipartReply::PortDesc(decode_list(r, decode_port_desc, Some(PORT_LEN), w)?),
    };
    r.finish(w)?;
    Ok(Message::MultipartReply { flags, body })
}

fn each<T>(items: &[T], f: fn(&mut Vec<u8>, &T)) -> Vec<Vec<u8>> {
    items
        .iter()
        .map(|x| {
            let mut v = Vec::new();
            f(&mut v, x);
            v
        })
        .collect()
}

/// The encoded array elements of an array body; `None` for single-struct
/// bodies.
fn reply_elements(body: &MultipartReply) -> Option<Vec<Vec<u8>>> {
    Some(match body {
        MultipartReply::Flow(v) => each(v, encode_flow_stats),
        MultipartReply::Table(v) => each(v, encode_table_stats),
        MultipartReply::PortStats(v) => each(v, encode_port_stats),
        MultipartReply::Queue(v) => each(v, encode_queue_stats),
        MultipartReply::Group(v) => each(v, encode_group_stats),
        MultipartReply::GroupDesc(v) => each(v, encode_group_desc),
        MultipartReply::Meter(v) => each(v, encode_meter_stats),
        MultipartReply::MeterConfig(v) => each(v, encode_meter_config),
        MultipartReply::TableFeatures(v) => each(v, encode_table_features),
        MultipartReply::PortDesc(v) => each(v, encode_port),
        MultipartReply::Desc(_)
        | MultipartReply::Aggregate(_)
        | MultipartReply::GroupFeatures(_)
        | MultipartReply::MeterFeatures(_) => return None,
    })
}

pub(crate) fn encode_reply(out: &mut Vec<u8>, flags: u16, body: &MultipartReply) {
    out.put_u16(body.mp_type());
    out.put_u16(flags);
    out.put_zeros(4);
    match body {
        MultipartReply::Desc(d) => {
            out.put_str(&d.mfr_desc, DESC_STR_LEN);
            out.put_str(&d.hw_desc, DESC_STR_LEN);
            out.put_str(&d.sw_desc, DESC_STR_LEN);
            out.put_str(&d.serial_num, SERIAL_NUM_LEN);
            out.put_str(&d.dp_desc, DESC_STR_LEN);
        }
        MultipartReply::Aggregate(a) => {
            out.put_u64(a.packet_count);
            out.put_u64(a.byte_count);
            out.put_u32(a.flow_count);
            out.put_zeros(4);
        }
        MultipartReply::GroupFeatures(g) => {
            out.put_u32(g.types);
            out.put_u32(g.capabilities);
            for v in g.max_groups.iter().chain(g.actions.iter()) {
                out.put_u32(*v);
            }
        }
        MultipartReply::MeterFeatures(m) => {
            out.put_u32(m.max_meter);
            out.put_u32(m.band_types);
            out.put_u32(m.capabilities);
            out.put_u8(m.max_bands);
            out.put_u8(m.max_color);
            out.put_zeros(2);
        }
        _ => {
            for e in reply_elements(body).unwrap_or_default() {
                out.extend_from_slice(&e);
            }
        }
    }
}

/// Encodes a multipart reply as one or more messages of at most
/// `max_msg_len` bytes (clamped to 64..=65535), splitting array bodies
/// (FLOW, TABLE, PORT_STATS, QUEUE, GROUP, GROUP_DESC, METER, METER_CONFIG,
/// TABLE_FEATURES, PORT_DESC) between elements, with OFPMPF_REPLY_MORE set
/// on all but the last. An element larger than the limit goes alone in its
/// message. An empty array gives one message with an empty body.
pub fn encode_multipart_reply(xid: u32, body: MultipartReply, max_msg_len: usize) -> Vec<Vec<u8>> {
    let max = max_msg_len.clamp(64, usize::from(u16::MAX));
    let Some(elements) = reply_elements(&body) else {
        return vec![super::super::encode(
            xid,
            &Message::MultipartReply { flags: 0, body },
        )];
    };
    let t = body.mp_type();
    let start = |flags: u16| {
        let mut m = Vec::with_capacity(max.min(4096));
        m.put_u8(OFP_VERSION);
        m.put_u8(msg_type::MULTIPART_REPLY);
        m.put_u16(0);
        m.put_u32(xid);
        m.put_u16(t);
        m.put_u16(flags);
        m.put_zeros(4);
        m
    };
    let finish = |mut m: Vec<u8>, more: bool| {
        let len = len16(m.len());
        m.patch_u16(2, len);
        if more {
            m.patch_u16(10, multipart_flags::REPLY_MORE);
        }
        m
    };
    let mut msgs = Vec::new();
    let mut cur = start(0);
    for e in elements {
        if cur.len() > HEADER_LEN + MP_HEADER_LEN && cur.len().saturating_add(e.len()) > max {
            msgs.push(finish(std::mem::replace(&mut cur, start(0)), true));
        }
        cur.extend_from_slice(&e);
    }
    msgs.push(finish(cur, false));
    msgs
}
