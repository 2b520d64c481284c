//! OFPT_GROUP_MOD and `ofp_bucket` lists (shared with GROUP_DESC replies).
use super::action::{actions_len, decode_actions, encode_actions};
use super::buf::{bad_len, err, multiple_of, OrErr, Put, Reader, Res};
use crate::ofp::error::code;
use crate::ofp::{OfpError, OfpErrorKind, PortNo};
use crate::pipeline::model::{Bucket, GroupMod, GroupModCommand, GroupType};

/// `ofp_bucket` without actions.
const BUCKET_LEN: usize = 16;

/// OFPGT_* on the wire.
pub fn group_type_code(t: GroupType) -> u8 {
    match t {
        GroupType::All => 0,
        GroupType::Select => 1,
        GroupType::Indirect => 2,
        GroupType::FastFailover => 3,
    }
}

/// OFPGT_* from the wire (GroupModFailed BAD_TYPE when unknown).
pub(crate) fn group_type(t: u8) -> Res<GroupType> {
    Ok(match t {
        0 => GroupType::All,
        1 => GroupType::Select,
        2 => GroupType::Indirect,
        3 => GroupType::FastFailover,
        _ => {
            return Err(err(
                OfpErrorKind::GroupModFailed(code::BAD_GROUP_TYPE),
                format!("unknown group type {t}"),
            ))
        }
    })
}

fn bad_bucket(message: String) -> OfpError {
    err(OfpErrorKind::GroupModFailed(code::BAD_BUCKET), message)
}

pub(crate) fn bucket_len(b: &Bucket) -> usize {
    BUCKET_LEN + actions_len(&b.actions)
}

pub(crate) fn buckets_len(bs: &[Bucket]) -> usize {
    bs.iter().map(bucket_len).sum()
}

pub(crate) fn encode_buckets(out: &mut Vec<u8>, bs: &[Bucket]) {
    for b in bs {
        out.put_u16(u16::try_from(bucket_len(b)).unwrap_or(u16::MAX));
        out.put_u16(b.weight);
        out.put_u32(b.watch_port.0);
        out.put_u32(b.watch_group);
        out.put_zeros(4);
        encode_actions(out, &b.actions);
    }
}

/// A bucket list filling `bytes` exactly.
pub(crate) fn decode_buckets(bytes: &[u8]) -> Res<Vec<Bucket>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        let left = r.remaining();
        if left < BUCKET_LEN {
            return Err(bad_bucket(format!(
                "buckets end with {left} bytes, too short for a bucket"
            )));
        }
        let len = usize::from(r.peek_u16(0).or_len("bucket")?);
        if len < BUCKET_LEN || !multiple_of(len, 8) {
            return Err(bad_bucket(format!(
                "bucket length {len}: must be a multiple of 8 and at least {BUCKET_LEN}"
            )));
        }
        let mut b = r
            .sub(len)
            .map_err(|_| bad_bucket(format!("bucket length {len} overruns the bucket list")))?;
        let _len = b.u16().or_len("bucket")?;
        let weight = b.u16().or_len("bucket")?;
        let watch_port = PortNo(b.u32().or_len("bucket")?);
        let watch_group = b.u32().or_len("bucket")?;
        b.skip(4).or_len("bucket")?;
        let actions = decode_actions(b.rest())?;
        out.push(Bucket {
            weight,
            watch_port,
            watch_group,
            actions,
        });
    }
    Ok(out)
}

pub(crate) fn decode_group_mod(r: &mut Reader<'_>) -> Res<GroupMod> {
    if r.remaining() < 8 {
        return Err(bad_len(format!(
            "length {} is shorter than ofp_group_mod (16)",
            r.remaining() + 8
        )));
    }
    let command = r.u16().or_len("group_mod")?;
    let gtype = r.u8().or_len("group_mod")?;
    r.skip(1).or_len("group_mod")?;
    let group_id = r.u32().or_len("group_mod")?;
    let command = match command {
        0 => GroupModCommand::Add,
        1 => GroupModCommand::Modify,
        2 => GroupModCommand::Delete,
        c => {
            return Err(err(
                OfpErrorKind::GroupModFailed(code::BAD_GROUP_COMMAND),
                format!("unknown command {c}"),
            ))
        }
    };
    let group_type = group_type(gtype)?;
    let buckets = decode_buckets(r.rest())?;
    Ok(GroupMod {
        command,
        group_type,
        group_id,
        buckets,
    })
}

pub(crate) fn encode_group_mod(out: &mut Vec<u8>, gm: &GroupMod) {
    out.put_u16(match gm.command {
        GroupModCommand::Add => 0,
        GroupModCommand::Modify => 1,
        GroupModCommand::Delete => 2,
    });
    out.put_u8(group_type_code(gm.group_type));
    out.put_u8(0);
    out.put_u32(gm.group_id);
    encode_buckets(out, &gm.buckets);
}
