//! Executes a compiled action program ([`DpAction`]s) on one packet.
//!
//! Per packet this does no heap allocation (except what a [`PacketBuf`]'s
//! `duplicate` does: a fresh mbuf for [`Mbuf`], a `Vec` for the test
//! [`VecPacket`]), takes no lock, makes no syscall and cannot panic: every
//! header access is bounds-checked and a [`PacketLayout`] that does not
//! match the bytes only makes headers "absent" (edits become no-ops).
//!
//! Ownership: the packet is moved into the last action that emits it
//! (output, controller, or a clone whose program is the last to emit it);
//! earlier emitters get a `duplicate()`. A program that emits nothing ends
//! with [`Outputs::dropped`]`(DropReason::NoOutput)`.

use super::edit::{self, TtlOutcome, ETH_ADDRS_LEN, VLAN_TAG_LEN};
use super::{DpAction, ToController};
use crate::dpdk::Mbuf;
use crate::meter::{MeterTable, MeterVerdict};
use crate::parse::PacketLayout;

/// Nesting limit for [`DpAction::Clone`]; a deeper clone is skipped and
/// counted as [`DropReason::TooDeep`] (translation never produces one).
pub const MAX_CLONE_DEPTH: u32 = 32;

/// A packet buffer the executor can edit.
pub trait PacketBuf: Sized {
    /// The packet bytes (for an mbuf: its first segment).
    fn data(&self) -> &[u8];
    fn data_mut(&mut self) -> &mut [u8];
    /// Inserts `len` bytes at offset `at` (0 = front), moving the `at`
    /// bytes before them towards the front (into the headroom). The new
    /// bytes' contents are unspecified. False, and no change, when there is
    /// not enough headroom or `at` is past the end.
    fn insert(&mut self, at: usize, len: usize) -> bool;
    /// Removes the `len` bytes at offset `at`; false, and no change, when
    /// they are not all there.
    fn remove(&mut self, at: usize, len: usize) -> bool;
    /// A deep copy, for an output when more actions follow; None when out
    /// of buffers.
    fn duplicate(&self) -> Option<Self>;
    /// The packet's length as meters count it (Ethernet header included,
    /// FCS excluded). Defaults to `data().len()`.
    fn pkt_len(&self) -> u32 {
        u32::try_from(self.data().len()).unwrap_or(u32::MAX)
    }
}

/// Per-burst context for [`execute`].
#[derive(Debug, Clone, Copy)]
pub struct ExecContext<'a> {
    pub meters: &'a MeterTable,
    /// The TSC when the burst was received (meters refill from it).
    pub now_tsc: u64,
    /// TSC ticks per second.
    pub tsc_hz: u64,
}

/// Why the executor dropped a packet (or a copy of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DropReason {
    /// A meter's drop band applied.
    Meter,
    /// Dec-TTL on a TTL/hop limit of 0 or 1.
    TtlExpired,
    /// `duplicate()` failed: the copy for one output was lost (the packet
    /// itself goes on).
    NoBuffers,
    /// An explicit [`DpAction::Drop`].
    ExplicitDrop,
    /// A push-VLAN without headroom for the tag.
    NoRoom,
    /// The program ended without emitting the packet (OpenFlow: no output
    /// means drop).
    NoOutput,
    /// A clone nested deeper than [`MAX_CLONE_DEPTH`] was skipped.
    TooDeep,
    /// A tunnel packet for the underlay address was cut short or
    /// inconsistent (lengths, fragment, GRE checksum).
    TunnelMalformed,
    /// A tunnel packet with flags or a protocol we do not speak (VXLAN
    /// flags other than I, GRE routing/version/reserved bits, non-Ethernet
    /// GRE payload).
    TunnelUnsupported,
    /// No tunnel port takes the packet's key (VNI) and source.
    TunnelNoPort,
    /// Encapsulation while the next hop's MAC is not resolved yet.
    TunnelNoNeighbour,
    /// The packet would exceed the underlay MTU once encapsulated.
    TunnelTooBig,
}

impl DropReason {
    /// Number of reasons (for per-reason counter arrays indexed by
    /// `reason as usize`).
    pub const COUNT: usize = 12;
    pub const ALL: [DropReason; DropReason::COUNT] = [
        DropReason::Meter,
        DropReason::TtlExpired,
        DropReason::NoBuffers,
        DropReason::ExplicitDrop,
        DropReason::NoRoom,
        DropReason::NoOutput,
        DropReason::TooDeep,
        DropReason::TunnelMalformed,
        DropReason::TunnelUnsupported,
        DropReason::TunnelNoPort,
        DropReason::TunnelNoNeighbour,
        DropReason::TunnelTooBig,
    ];

    /// A short name for counters and logs.
    pub const fn name(self) -> &'static str {
        match self {
            DropReason::Meter => "meter",
            DropReason::TtlExpired => "ttl_expired",
            DropReason::NoBuffers => "no_buffers",
            DropReason::ExplicitDrop => "drop",
            DropReason::NoRoom => "no_room",
            DropReason::NoOutput => "no_output",
            DropReason::TooDeep => "too_deep",
            DropReason::TunnelMalformed => "tunnel_malformed",
            DropReason::TunnelUnsupported => "tunnel_unsupported",
            DropReason::TunnelNoPort => "tunnel_no_port",
            DropReason::TunnelNoNeighbour => "tunnel_no_neighbour",
            DropReason::TunnelTooBig => "tunnel_too_big",
        }
    }
}

/// Where the executor's packets go: the PMD's tx batches and upcall queue,
/// or a log in tests and traces.
pub trait Outputs<P> {
    /// Send `pkt` out of the port with this dense index.
    fn output(&mut self, port: u16, pkt: P);
    /// Hand `pkt` to the control side as a packet-in.
    fn controller(&mut self, pkt: P, to: ToController);
    /// A packet, or a copy of one, was dropped (for counters).
    fn dropped(&mut self, why: DropReason);
}

/// One thing the executor did with a packet; a `Vec<Emitted<P>>` is an
/// [`Outputs`] that records them in order (tests, trace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emitted<P> {
    Output { port: u16, pkt: P },
    Controller { pkt: P, to: ToController },
    Dropped(DropReason),
}

impl<P> Outputs<P> for Vec<Emitted<P>> {
    fn output(&mut self, port: u16, pkt: P) {
        self.push(Emitted::Output { port, pkt });
    }

    fn controller(&mut self, pkt: P, to: ToController) {
        self.push(Emitted::Controller { pkt, to });
    }

    fn dropped(&mut self, why: DropReason) {
        self.push(Emitted::Dropped(why));
    }
}

/// Runs `actions` in order on `pkt`, whose headers `layout` locates (kept
/// up to date as tags are pushed and popped).
///
/// * `Output`/`Controller` emit the packet itself when no later action
///   emits it, else a `duplicate()` (on failure: `dropped(NoBuffers)`, and
///   the program goes on).
/// * `Clone(prog)` runs `prog` on a duplicate with a copy of the layout,
///   then goes on with the original (unchanged). When nothing after it
///   emits the packet, `prog` runs on the original itself; a `prog` that
///   emits nothing is skipped.
/// * `Drop`, a meter's drop band, an expired TTL and a push without
///   headroom stop the program with `dropped(..)`.
/// * A program that ends still holding the packet drops it with
///   `dropped(NoOutput)`.
#[inline]
pub fn execute<P: PacketBuf>(
    actions: &[DpAction],
    pkt: P,
    layout: &mut PacketLayout,
    ctx: &ExecContext<'_>,
    out: &mut impl Outputs<P>,
) {
    // The most common program, a single output, needs none of the
    // general machinery (emitter look-ahead, copies).
    if let [DpAction::Output(port)] = actions {
        out.output(*port, pkt);
        return;
    }
    run(actions, pkt, layout, ctx, out, 0);
}

/// Whether running `actions` (at clone depth `depth`) can emit the packet.
fn emits(actions: &[DpAction], depth: u32) -> bool {
    last_emitter(actions, depth).is_some()
}

/// Index of the last action of `actions` that can emit the packet.
fn last_emitter(actions: &[DpAction], depth: u32) -> Option<usize> {
    actions.iter().rposition(|a| match a {
        DpAction::Output(_) | DpAction::Controller { .. } | DpAction::TunnelOutput { .. } => true,
        DpAction::Clone(prog) => depth < MAX_CLONE_DEPTH && emits(prog, depth + 1),
        _ => false,
    })
}

fn run<P: PacketBuf, O: Outputs<P>>(
    actions: &[DpAction],
    mut pkt: P,
    layout: &mut PacketLayout,
    ctx: &ExecContext<'_>,
    out: &mut O,
    depth: u32,
) {
    let last = last_emitter(actions, depth);
    for (i, action) in actions.iter().enumerate() {
        let is_last = last == Some(i);
        match action {
            DpAction::Output(port) => {
                if is_last {
                    out.output(*port, pkt);
                    return;
                }
                match pkt.duplicate() {
                    Some(copy) => out.output(*port, copy),
                    None => out.dropped(DropReason::NoBuffers),
                }
            }
            DpAction::Controller(to) => {
                if is_last {
                    out.controller(pkt, *to);
                    return;
                }
                match pkt.duplicate() {
                    Some(copy) => out.controller(copy, *to),
                    None => out.dropped(DropReason::NoBuffers),
                }
            }
            DpAction::Clone(prog) => {
                if depth >= MAX_CLONE_DEPTH {
                    out.dropped(DropReason::TooDeep);
                    continue;
                }
                if is_last {
                    run(prog, pkt, layout, ctx, out, depth + 1);
                    return;
                }
                if !emits(prog, depth + 1) {
                    continue;
                }
                match pkt.duplicate() {
                    Some(copy) => {
                        let mut copy_layout = *layout;
                        run(prog, copy, &mut copy_layout, ctx, out, depth + 1);
                    }
                    None => out.dropped(DropReason::NoBuffers),
                }
            }
            DpAction::SetField { field, value } => {
                edit::set_field(pkt.data_mut(), layout, *field, *value);
            }
            DpAction::PushVlan { tpid } => {
                if !push_vlan(&mut pkt, layout, *tpid) {
                    out.dropped(DropReason::NoRoom);
                    return;
                }
            }
            DpAction::PopVlan => pop_vlan(&mut pkt, layout),
            DpAction::DecTtl => {
                if edit::dec_ttl(pkt.data_mut(), layout) == TtlOutcome::Expired {
                    out.dropped(DropReason::TtlExpired);
                    return;
                }
            }
            DpAction::SetTtl(ttl) => edit::set_ttl(pkt.data_mut(), layout, *ttl),
            DpAction::Meter(id) => {
                match ctx
                    .meters
                    .apply(*id, pkt.pkt_len(), ctx.now_tsc, ctx.tsc_hz)
                {
                    MeterVerdict::Pass => {}
                    MeterVerdict::Drop => {
                        out.dropped(DropReason::Meter);
                        return;
                    }
                    MeterVerdict::Remark { prec_level } => {
                        edit::remark_dscp(pkt.data_mut(), layout, prec_level);
                    }
                }
            }
            DpAction::Drop => {
                out.dropped(DropReason::ExplicitDrop);
                return;
            }
            DpAction::TunnelOutput { port, header } => {
                if is_last {
                    tunnel_output(pkt, layout, header, *port, out);
                    return;
                }
                match pkt.duplicate() {
                    Some(copy) => tunnel_output(copy, layout, header, *port, out),
                    None => out.dropped(DropReason::NoBuffers),
                }
            }
        }
    }
    out.dropped(DropReason::NoOutput);
}

/// Encapsulates `pkt` and outputs it, or counts why not.
fn tunnel_output<P: PacketBuf, O: Outputs<P>>(
    mut pkt: P,
    layout: &PacketLayout,
    header: &crate::tunnel::TunnelHeader,
    port: u16,
    out: &mut O,
) {
    match crate::tunnel::push(header, &mut pkt, layout) {
        Ok(()) => out.output(port, pkt),
        Err(why) => out.dropped(why),
    }
}

/// Pushes a tag after the Ethernet addresses; its TCI copies the current
/// outermost tag's, or is zero. False when there is no headroom.
fn push_vlan<P: PacketBuf>(pkt: &mut P, layout: &mut PacketLayout, tpid: u16) -> bool {
    let tci = if layout.vlan_tags > 0 {
        edit::rd16(pkt.data(), ETH_ADDRS_LEN + 2).unwrap_or(0)
    } else {
        0
    };
    if !pkt.insert(ETH_ADDRS_LEN, VLAN_TAG_LEN) {
        return false;
    }
    let d = pkt.data_mut();
    edit::wr(d, ETH_ADDRS_LEN, tpid.to_be_bytes());
    edit::wr(d, ETH_ADDRS_LEN + 2, tci.to_be_bytes());
    shift_layout(layout, true);
    layout.vlan_tags = layout.vlan_tags.saturating_add(1);
    true
}

/// Removes the outermost tag, if the packet has one.
fn pop_vlan<P: PacketBuf>(pkt: &mut P, layout: &mut PacketLayout) {
    if layout.vlan_tags == 0 || pkt.data().len() < ETH_ADDRS_LEN + VLAN_TAG_LEN + 2 {
        return;
    }
    if pkt.remove(ETH_ADDRS_LEN, VLAN_TAG_LEN) {
        shift_layout(layout, false);
        layout.vlan_tags -= 1;
    }
}

/// Moves the header offsets by one tag. `l3_ofs` (where the payload after
/// the tags starts) always moves; `l4_ofs` only when it names a header, so
/// that an unset (zero) offset stays unset.
fn shift_layout(layout: &mut PacketLayout, grow: bool) {
    let by = VLAN_TAG_LEN as u16;
    let shift = |o: u16| {
        if grow {
            o.saturating_add(by)
        } else {
            o.saturating_sub(by)
        }
    };
    layout.l3_ofs = shift(layout.l3_ofs);
    if layout.l4_proto != 0 {
        layout.l4_ofs = shift(layout.l4_ofs);
    }
}

// ---------------------------------------------------------------------------
// Mbuf.

/// Through `Mbuf`'s safe API only. Edits work on the first segment (the
/// parser's headers are in it). Exercised by the end-to-end tests: unit
/// tests cannot create mbufs without an EAL.
impl PacketBuf for Mbuf {
    #[inline]
    fn data(&self) -> &[u8] {
        Mbuf::data(self)
    }

    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        Mbuf::data_mut(self)
    }

    fn insert(&mut self, at: usize, len: usize) -> bool {
        let Ok(len16) = u16::try_from(len) else {
            return false;
        };
        if at > Mbuf::data(self).len() || self.prepend(len16).is_none() {
            return false;
        }
        // The first `at` bytes moved `len` towards the back; bring them to
        // the new front.
        let d = Mbuf::data_mut(self);
        match len.checked_add(at) {
            Some(end) if end <= d.len() => {
                d.copy_within(len..end, 0);
                true
            }
            // Cannot happen (prepend grew the data by len); undo.
            _ => {
                self.adj(len16);
                false
            }
        }
    }

    fn remove(&mut self, at: usize, len: usize) -> bool {
        let Ok(len16) = u16::try_from(len) else {
            return false;
        };
        let d = Mbuf::data_mut(self);
        match at.checked_add(len) {
            Some(end) if end <= d.len() => {
                d.copy_within(0..at, len);
                self.adj(len16)
            }
            _ => false,
        }
    }

    fn duplicate(&self) -> Option<Self> {
        self.try_clone()
    }

    #[inline]
    fn pkt_len(&self) -> u32 {
        Mbuf::pkt_len(self)
    }
}

// ---------------------------------------------------------------------------
// VecPacket.

/// A packet in a `Vec<u8>` with headroom in front, for tests and tools
/// (pipeline tests, trace): behaves like a single-segment mbuf. Two are
/// equal when their packet bytes are (headroom aside).
#[derive(Clone)]
pub struct VecPacket {
    buf: Vec<u8>,
    /// Where the packet starts in `buf`; the bytes before are headroom.
    start: usize,
    /// When set, `duplicate()` fails (exercises the out-of-buffers path).
    no_duplicates: bool,
}

impl VecPacket {
    /// DPDK's default mbuf headroom (RTE_PKTMBUF_HEADROOM).
    pub const DEFAULT_HEADROOM: usize = 128;

    /// A packet holding a copy of `bytes`, with the default headroom.
    pub fn new(bytes: &[u8]) -> Self {
        Self::with_headroom(bytes, Self::DEFAULT_HEADROOM)
    }

    pub fn with_headroom(bytes: &[u8], headroom: usize) -> Self {
        let mut buf = vec![0; headroom];
        buf.extend_from_slice(bytes);
        VecPacket {
            buf,
            start: headroom,
            no_duplicates: false,
        }
    }

    /// This packet, with `duplicate()` failing (as when the mempool is
    /// empty); its duplicates would fail too.
    pub fn failing_duplicates(mut self) -> Self {
        self.no_duplicates = true;
        self
    }

    pub fn headroom(&self) -> usize {
        self.start
    }

    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_slice().to_vec()
    }
}

impl PartialEq for VecPacket {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for VecPacket {}

impl std::fmt::Debug for VecPacket {
    /// The packet bytes in hex, e.g. `VecPacket[60: 02000000000b...]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VecPacket[{}: ", self.as_slice().len())?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        write!(f, "]")
    }
}

impl PacketBuf for VecPacket {
    fn data(&self) -> &[u8] {
        self.as_slice()
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.start..).unwrap_or_default()
    }

    fn insert(&mut self, at: usize, len: usize) -> bool {
        let (Some(new_start), Some(end)) =
            (self.start.checked_sub(len), self.start.checked_add(at))
        else {
            return false;
        };
        if end > self.buf.len() {
            return false;
        }
        self.buf.copy_within(self.start..end, new_start);
        self.start = new_start;
        true
    }

    fn remove(&mut self, at: usize, len: usize) -> bool {
        let Some(end) = at.checked_add(len).and_then(|e| e.checked_add(self.start)) else {
            return false;
        };
        if end > self.buf.len() {
            return false;
        }
        let Some(at_abs) = self.start.checked_add(at) else {
            return false;
        };
        self.buf.copy_within(self.start..at_abs, self.start + len);
        self.start += len;
        true
    }

    fn duplicate(&self) -> Option<Self> {
        (!self.no_duplicates).then(|| self.clone())
    }
}

#[cfg(test)]
mod tests;
