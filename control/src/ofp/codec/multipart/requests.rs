//! Multipart request bodies: decoding and encoding, and reassembly of
//! requests sent in parts (OFPMPF_REQ_MORE).

use super::*;

pub(crate) fn decode_request(r: &mut Reader<'_>) -> Res<Message> {
    let (t, flags) = mp_header(r, "request")?;
    let w = mp_name(t);
    let body = match t {
        mt::DESC => exact(r, 0, t).map(|_| MultipartRequest::Desc)?,
        mt::TABLE => exact(r, 0, t).map(|_| MultipartRequest::Table)?,
        mt::GROUP_DESC => exact(r, 0, t).map(|_| MultipartRequest::GroupDesc)?,
        mt::GROUP_FEATURES => exact(r, 0, t).map(|_| MultipartRequest::GroupFeatures)?,
        mt::METER_FEATURES => exact(r, 0, t).map(|_| MultipartRequest::MeterFeatures)?,
        mt::PORT_DESC => exact(r, 0, t).map(|_| MultipartRequest::PortDesc)?,
        mt::FLOW | mt::AGGREGATE => {
            if r.remaining() < 40 {
                return Err(bad_len(format!(
                    "{w} request body has {} bytes, at least 40 needed",
                    r.remaining()
                )));
            }
            let table_id = r.u8().or_len(w)?;
            r.skip(3).or_len(w)?;
            let out_port = PortNo(r.u32().or_len(w)?);
            let out_group = r.u32().or_len(w)?;
            r.skip(4).or_len(w)?;
            let cookie = r.u64().or_len(w)?;
            let cookie_mask = r.u64().or_len(w)?;
            let match_ = decode_match(r)?;
            r.finish(w)?;
            let req = FlowStatsRequest {
                table_id,
                out_port,
                out_group,
                cookie,
                cookie_mask,
                match_,
            };
            if t == mt::FLOW {
                MultipartRequest::Flow(req)
            } else {
                MultipartRequest::Aggregate(req)
            }
        }
        mt::PORT_STATS => {
            exact(r, 8, t)?;
            let port_no = PortNo(r.u32().or_len(w)?);
            MultipartRequest::PortStats { port_no }
        }
        mt::QUEUE => {
            exact(r, 8, t)?;
            let port_no = PortNo(r.u32().or_len(w)?);
            let queue_id = r.u32().or_len(w)?;
            MultipartRequest::Queue { port_no, queue_id }
        }
        mt::GROUP => {
            exact(r, 8, t)?;
            MultipartRequest::Group {
                group_id: r.u32().or_len(w)?,
            }
        }
        mt::METER | mt::METER_CONFIG => {
            exact(r, 8, t)?;
            let meter_id = r.u32().or_len(w)?;
            if t == mt::METER {
                MultipartRequest::Meter { meter_id }
            } else {
                MultipartRequest::MeterConfig { meter_id }
            }
        }
        // mt::TABLE_FEATURES, the one type left (mp_header checked the range).
        _ => MultipartRequest::TableFeatures(decode_table_features_list(r.rest())?),
    };
    r.rest();
    Ok(Message::MultipartRequest { flags, body })
}

pub(crate) fn encode_request(out: &mut Vec<u8>, flags: u16, body: &MultipartRequest) {
    out.put_u16(body.mp_type());
    out.put_u16(flags);
    out.put_zeros(4);
    match body {
        MultipartRequest::Desc
        | MultipartRequest::Table
        | MultipartRequest::GroupDesc
        | MultipartRequest::GroupFeatures
        | MultipartRequest::MeterFeatures
        | MultipartRequest::PortDesc => {}
        MultipartRequest::Flow(f) | MultipartRequest::Aggregate(f) => {
            out.put_u8(f.table_id);
            out.put_zeros(3);
            out.put_u32(f.out_port.0);
            out.put_u32(f.out_group);
            out.put_zeros(4);
            out.put_u64(f.cookie);
            out.put_u64(f.cookie_mask);
            encode_match(out, &f.match_);
        }
        MultipartRequest::PortStats { port_no } => {
            out.put_u32(port_no.0);
            out.put_zeros(4);
        }
        MultipartRequest::Queue { port_no, queue_id } => {
            out.put_u32(port_no.0);
            out.put_u32(*queue_id);
        }
        MultipartRequest::Group { group_id: id }
        | MultipartRequest::Meter { meter_id: id }
        | MultipartRequest::MeterConfig { meter_id: id } => {
            out.put_u32(*id);
            out.put_zeros(4);
        }
        MultipartRequest::TableFeatures(tfs) => {
            for tf in tfs {
                encode_table_features(out, tf);
            }
        }
    }
}

// ---- request reassembly ----

struct Pending {
    body: MultipartRequest,
    bytes: usize,
}

/// Collects multipart requests sent in parts (OFPMPF_REQ_MORE) by xid,
/// bounded in bytes per request and in requests pending at once. Only
/// TABLE_FEATURES requests have an array body that can be split; REQ_MORE
/// on any other type, or parts of different types under one xid, are
/// BadRequest BAD_MULTIPART. Exceeding the bounds is BadRequest
/// MULTIPART_BUFFER_OVERFLOW (and drops what was collected for the xid).
pub struct MultipartAssembler {
    pending: HashMap<u32, Pending>,
    max_bytes: usize,
    max_pending: usize,
}

impl Default for MultipartAssembler {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_BYTES, Self::DEFAULT_MAX_PENDING)
    }
}

impl MultipartAssembler {
    /// Default bound on the wire bytes of one reassembled request.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
    /// Default bound on requests being reassembled at once.
    pub const DEFAULT_MAX_PENDING: usize = 16;

    pub fn new(max_bytes: usize, max_pending: usize) -> Self {
        MultipartAssembler {
            pending: HashMap::new(),
            max_bytes,
            max_pending,
        }
    }

    /// Requests being reassembled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Forgets every partial request (e.g. when the connection resets).
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Feeds one decoded MULTIPART_REQUEST (its header, flags and body).
    /// Returns the complete request when this part ends it (a request
    /// without REQ_MORE and nothing pending passes straight through), or
    /// `None` while more parts are expected.
    pub fn push(
        &mut self,
        header: &Header,
        flags: u16,
        body: MultipartRequest,
    ) -> Result<Option<MultipartRequest>, DecodeError> {
        let xid = header.xid;
        let more = flags & multipart_flags::REQ_MORE != 0;
        let len = usize::from(header.length);
        let fail = |c: u16, message: String| DecodeError {
            xid,
            kind: OfpErrorKind::BadRequest(c),
            message,
        };
        let Some(mut p) = self.pending.remove(&xid) else {
            if !more {
                return Ok(Some(body));
            }
            if !matches!(body, MultipartRequest::TableFeatures(_)) {
                return Err(fail(
                    code::BAD_MULTIPART,
                    format!(
                        "multipart_request: {} request cannot be split (REQ_MORE set)",
                        mp_name(body.mp_type())
                    ),
                ));
            }
            if self.pending.len() >= self.max_pending || len > self.max_bytes {
                return Err(fail(
                    code::MULTIPART_BUFFER_OVERFLOW,
                    format!(
                        "multipart_request: too many or too large requests being reassembled \
                         ({} pending, limit {}; {len} bytes, limit {})",
                        self.pending.len(),
                        self.max_pending,
                        self.max_bytes
                    ),
                ));
            }
            self.pending.insert(xid, Pending { body, bytes: len });
            return Ok(None);
        };
        match (&mut p.body, body) {
            (MultipartRequest::TableFeatures(acc), MultipartRequest::TableFeatures(more_tfs)) => {
                p.bytes = p.bytes.saturating_add(len);
                if p.bytes > self.max_bytes {
                    return Err(fail(
                        code::MULTIPART_BUFFER_OVERFLOW,
                        format!(
                            "multipart_request: reassembled request exceeds {} bytes",
                            self.max_bytes
                        ),
                    ));
                }
                acc.extend(more_tfs);
            }
            (acc, other) => {
                return Err(fail(
                    code::BAD_MULTIPART,
                    format!(
                        "multipart_request: part of type {} continues a {} request",
                        mp_name(other.mp_type()),
                        mp_name(acc.mp_type())
                    ),
                ));
            }
        }
        if more {
            self.pending.insert(xid, p);
            Ok(None)
        } else {
            Ok(Some(p.body))
        }
    }
}
