//! One direction's state machine (RFC 6455 §5, §7.4; RFC 7692 §6): bytes in, [`StreamEvent`]s
//! out, in memory bounded per direction whatever the traffic.
//!
//! Call order: [`Reader::feed`] with each chunk as it arrives (any size), [`Reader::gap`] where
//! bytes were lost, [`Reader::finish`] once at the end; after each call take the events it
//! pushed. Every decision is taken when a header or a frame is complete, so the events are the
//! same whatever the chunking.
//!
//! What the reader holds: the header being read (at most 14 bytes), the payload bytes the
//! consumer asked to keep ([`Keep`]), the data it must see whole (a control frame's body, a
//! compressed frame's data; at most [`DecodeConfig::max_message`] bytes), and the inflate
//! window. Nothing is allocated from a declared length.

use std::collections::VecDeque;

use super::event::{
    Bytes, FrameEvent, Incomplete, Inflate, Keep, MessageEvent, Payload, StreamEvent,
};
use super::utf8::Utf8Stream;
use super::{close_body, DecodeConfig};
use crate::common::Direction;
use crate::ext::deflate::{InflateFailure, InflateOutcome, Inflater};
use crate::finding::{Finding, Rule, Severity};
use crate::wire::codes::OpCode;
use crate::wire::header::{decode_header, Header, Progress};
use crate::wire::mask::apply_mask;

/// What a reader's events keep of the payloads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retain {
    /// Of each frame's payload.
    pub frames: Keep,
    /// Of each message's payload (inflated, for a compressed message).
    pub messages: Keep,
}

impl Retain {
    /// Keep nothing: lengths, offsets, findings only.
    pub const NOTHING: Retain = Retain {
        frames: Keep::Nothing,
        messages: Keep::Nothing,
    };
}

/// The inflate work left for a whole session (RFC 7692 §8.1 leaves the bound to us): shared by
/// both directions, so a thousand small bombs cannot get around the per-message limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Inflated bytes still allowed.
    pub left: u64,
    /// Whether running out was already reported.
    pub reported: bool,
}

impl Budget {
    /// A budget of `bytes` inflated bytes.
    pub fn new(bytes: u64) -> Budget {
        Budget {
            left: bytes,
            reported: false,
        }
    }
}

/// The frame whose header is decoded and whose payload is arriving.
struct Frame {
    header: Header,
    start: u64,
    /// Payload bytes seen (or lost) so far.
    got: u64,
    findings: Vec<Finding>,
    /// The most payload bytes kept for the consumer (in [`Reader::kept`]).
    keep_cap: usize,
    /// The most bytes kept in [`Reader::body`].
    body_cap: usize,
    whole: bool,
    role: Role,
    /// The UTF-8 state of the text message this frame continues or starts, when the frame is
    /// uncompressed text.
    utf8: Option<Utf8Stream>,
    /// Bytes of the payload that were not captured.
    lost: u64,
    /// `whole` data outgrew [`DecodeConfig::max_message`] and was dropped.
    body_cut: bool,
}

/// What a frame is to the message layer, decided from its header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Control,
    /// Starts a new message.
    Start {
        text: bool,
        compressed: bool,
    },
    /// Continues the message in progress.
    Continue {
        text: bool,
        compressed: bool,
    },
    /// A continuation with no message in progress, or a reserved opcode.
    Stray,
}

impl Role {
    fn flags(self) -> (bool, bool) {
        match self {
            Role::Start { text, compressed } | Role::Continue { text, compressed } => {
                (text, compressed)
            }
            _ => (false, false),
        }
    }
}

/// The message being reassembled.
struct Message {
    index: u64,
    opcode: u8,
    first_frame: u64,
    offset: u64,
    end: u64,
    frames: u64,
    compressed: bool,
    utf8: Option<Utf8Stream>,
    utf8_reported: bool,
    /// Inflating stopped for this message.
    stopped: bool,
    inflate: Inflate,
    payload: Vec<u8>,
    payload_len: u64,
    /// The compressed data of its earlier frames, to explain a failure by replaying it.
    deflated: Vec<u8>,
    deflated_cut: bool,
    /// Bytes of an uncompressed frame were lost: the kept payload ends before them.
    gap: bool,
    /// The message outgrew max_message, and that was said.
    limit_reported: bool,
}

/// The streaming reader for one direction.
pub struct Reader {
    direction: Direction,
    config: DecodeConfig,
    retain: Retain,
    consumed: u64,
    head: [u8; 14],
    head_len: usize,
    head_start: u64,
    cur: Option<Frame>,
    frames: u64,
    messages: u64,
    msg: Option<Message>,
    closed: bool,
    inflater: Option<Inflater>,
    /// Our own limit cut a compressed message, so later ones that take over its context cannot
    /// be inflated: they are marked limited, never blamed.
    window_lost: bool,
    /// Frame boundaries are unknown after a gap that did not fall inside a payload.
    lost_sync: bool,
    /// The current frame's payload bytes kept for the consumer (moved into its event).
    kept: Vec<u8>,
    /// Unmasked bytes of the current frame the reader itself needs: a control frame's or a
    /// compressed frame's data whole (`Frame::whole`), or an uncompressed data frame's bytes
    /// for its message. Its capacity is reused from frame to frame.
    body: Vec<u8>,
}

impl Reader {
    /// A reader for bytes sent by `direction`.
    pub fn new(direction: Direction, config: DecodeConfig, retain: Retain) -> Reader {
        Reader {
            direction,
            config,
            retain,
            consumed: 0,
            head: [0; 14],
            head_len: 0,
            head_start: 0,
            cur: None,
            frames: 0,
            messages: 0,
            msg: None,
            closed: false,
            inflater: None,
            window_lost: false,
            lost_sync: false,
            kept: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A reader whose first byte is at `offset` in its direction's stream (after a handshake),
    /// so that every event's offsets count from the start of the stream.
    pub fn starting_at(mut self, offset: u64) -> Reader {
        self.consumed = offset;
        self
    }

    /// Bytes fed (and lost) so far: the offset of the next byte in this direction's stream.
    pub fn offset(&self) -> u64 {
        self.consumed
    }

    /// Frames completed so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The direction read.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Feed the next bytes of the stream; events go to `out`.
    pub fn feed(&mut self, mut input: &[u8], budget: &mut Budget, out: &mut VecDeque<StreamEvent>) {
        if self.lost_sync {
            self.consumed += input.len() as u64;
            return;
        }
        while !input.is_empty() {
            if self.cur.is_some() {
                let take = self.payload_bytes(input);
                input = &input[take..];
                if self
                    .cur
                    .as_ref()
                    .is_some_and(|f| f.got == f.header.payload_len)
                {
                    self.complete(budget, out);
                }
                continue;
            }
            if self.head_len == 0 {
                // The whole header is usually in the chunk: decode it in place.
                self.head_start = self.consumed;
                if let Progress::Done(h) = decode_header(input) {
                    let n = h.header_len;
                    self.head[..n].copy_from_slice(&input[..n]);
                    self.head_len = n;
                    input = &input[n..];
                    self.consumed += n as u64;
                    self.start_frame(h, budget, out);
                    continue;
                }
            }
            let at_least = match decode_header(&self.head[..self.head_len]) {
                Progress::NeedMore { at_least } => at_least,
                Progress::Done(_) => self.head_len,
            };
            let take = (at_least - self.head_len).min(input.len());
            self.head[self.head_len..self.head_len + take].copy_from_slice(&input[..take]);
            self.head_len += take;
            input = &input[take..];
            self.consumed += take as u64;
            if let Progress::Done(h) = decode_header(&self.head[..self.head_len]) {
                self.start_frame(h, budget, out);
            }
        }
    }

    /// `len` bytes of the stream were lost here (a capture gap). Inside a payload the frame
    /// boundaries stay known and reading goes on; elsewhere the stream cannot be framed again
    /// and the rest of it is counted, not decoded. Either way it is said in a finding.
    pub fn gap(&mut self, len: u64, budget: &mut Budget, out: &mut VecDeque<StreamEvent>) {
        out.push_back(StreamEvent::Gap { len });
        if len == 0 {
            return;
        }
        let at = self.consumed;
        self.consumed += len;
        if self.lost_sync {
            return;
        }
        if let Some(f) = &mut self.cur {
            let left = f.header.payload_len - f.got;
            if len <= left {
                f.got += len;
                f.lost += len;
                // The kept bytes stop at the gap: nothing is made up for the lost ones, and the
                // message's bytes do not join across it.
                f.keep_cap = self.kept.len();
                if !f.whole {
                    f.body_cap = self.body.len();
                }
                f.utf8 = None;
                if f.got == f.header.payload_len {
                    self.complete(budget, out);
                }
                return;
            }
        }
        self.lost_sync = true;
        self.cur = None;
        self.head_len = 0;
        self.end_message(out);
        out.push_back(StreamEvent::Finding(
            Finding::new(Rule::BytesLost, self.frames as usize).with_message(format!(
                "{len} bytes at offset {at} were not captured and a frame header was among them, so the frames after offset {at} in this direction cannot be delimited and are not decoded."
            )),
        ));
    }

    /// The stream ended: the unfinished frame and message, then [`StreamEvent::End`].
    pub fn finish(&mut self, out: &mut VecDeque<StreamEvent>) {
        let incomplete = if let Some(f) = self.cur.take() {
            Some(Incomplete {
                offset: f.start,
                have: f.header.header_len as u64 + f.got,
                need: f.header.payload_len - f.got,
                findings: f.findings,
                header: Some(f.header),
                first_bytes: self.kept.iter().take(48).copied().collect(),
            })
        } else if self.head_len > 0 && !self.lost_sync {
            let at_least = match decode_header(&self.head[..self.head_len]) {
                Progress::NeedMore { at_least } => at_least,
                Progress::Done(_) => self.head_len,
            };
            Some(Incomplete {
                offset: self.head_start,
                have: self.head_len as u64,
                need: (at_least - self.head_len) as u64,
                findings: Vec::new(),
                header: None,
                first_bytes: Vec::new(),
            })
        } else {
            None
        };
        self.head_len = 0;
        self.end_message(out);
        out.push_back(StreamEvent::End { incomplete });
    }

    fn deflate(&self) -> bool {
        self.config.deflate.is_some()
    }

    /// What this frame is to the message layer (nothing changes until it completes).
    fn role(&self, h: &Header) -> Role {
        let op = OpCode(h.opcode);
        if op.is_control() {
            Role::Control
        } else if op.starts_message() {
            Role::Start {
                text: op == OpCode::TEXT,
                compressed: h.rsv1 && self.deflate(),
            }
        } else if op == OpCode::CONTINUATION {
            match &self.msg {
                Some(m) => Role::Continue {
                    text: m.opcode == OpCode::TEXT.0,
                    compressed: m.compressed,
                },
                None => Role::Stray,
            }
        } else {
            Role::Stray
        }
    }

    /// Checks that the header alone makes certain; what the payload will be needed for.
    fn start_frame(&mut self, h: Header, budget: &mut Budget, out: &mut VecDeque<StreamEvent>) {
        let findings = self.header_findings(&h);
        let role = self.role(&h);
        let (_, compressed) = role.flags();
        let utf8 = match role {
            Role::Start {
                text: true,
                compressed: false,
            } => Some(Utf8Stream::default()),
            Role::Continue {
                text: true,
                compressed: false,
            } => self
                .msg
                .as_ref()
                .filter(|m| !m.utf8_reported)
                .and_then(|m| m.utf8),
            _ => None,
        };
        let whole = role == Role::Control || compressed;
        // What a message keeps is the consumer's choice, and never more than max_message.
        let message_cap = self.retain.messages.cap().min(self.config.max_message);
        let body_cap = match role {
            _ if whole => self.config.max_message,
            Role::Start { .. } => message_cap,
            Role::Continue { .. } => self.msg.as_ref().map_or(0, |m| {
                if !m.gap && m.payload.len() as u64 == m.payload_len {
                    message_cap.saturating_sub(m.payload.len())
                } else {
                    0
                }
            }),
            _ => 0,
        };
        let empty = h.payload_len == 0;
        self.cur = Some(Frame {
            start: self.head_start,
            got: 0,
            findings,
            keep_cap: self.retain.frames.cap(),
            body_cap,
            whole,
            role,
            utf8,
            lost: 0,
            body_cut: false,
            header: h,
        });
        self.head_len = 0;
        if empty {
            self.complete(budget, out);
        }
    }

    fn header_findings(&self, h: &Header) -> Vec<Finding> {
        let index = self.frames as usize;
        let op = OpCode(h.opcode);
        let mut f = Vec::new();
        if h.rsv1 && !(self.deflate() && op.starts_message()) {
            let why = if !self.deflate() {
                "RSV1 is set but no extension was negotiated that defines it."
            } else if op.is_control() {
                "RSV1 is set on a control frame; permessage-deflate allows it only on the first frame of a data message."
            } else {
                "RSV1 is set on a continuation frame; permessage-deflate allows it only on the first frame of a message."
            };
            f.push(Finding::new(Rule::ReservedBits, index).with_message(why));
        }
        if h.rsv2 || h.rsv3 {
            f.push(
                Finding::new(Rule::ReservedBits, index)
                    .with_message("RSV2 or RSV3 is set, and no negotiated extension defines them."),
            );
        }
        if op.is_reserved() {
            f.push(Finding::new(Rule::ReservedOpcode, index).with_message(format!(
                "Opcode {:#x} is reserved for future use; a receiver must fail the connection when it sees one.",
                h.opcode
            )));
        }
        if op.is_control() {
            if !h.fin {
                f.push(Finding::new(Rule::FragmentedControl, index));
            }
            if h.payload_len > 125 {
                f.push(Finding::new(Rule::ControlTooLong, index).with_message(format!(
                    "Control frames must have a payload of 125 bytes or less, and this one declares {}.",
                    h.payload_len
                )));
            }
        }
        match (self.direction, h.masked) {
            (Direction::Client, false) => f.push(Finding::new(Rule::UnmaskedClientFrame, index)),
            (Direction::Server, true) => f.push(Finding::new(Rule::MaskedServerFrame, index)),
            _ => {}
        }
        if !h.length_form().is_minimal_for(h.payload_len) {
            f.push(Finding::new(Rule::LengthNotMinimal, index).with_message(format!(
                "The payload length {} fits in a shorter length form, and the fewest bytes possible must be used.",
                h.payload_len
            )));
        }
        if h.len7 == 127 && h.payload_len >> 63 == 1 {
            f.push(Finding::new(Rule::LengthMsbSet, index));
        }
        if self.closed {
            if op.is_control() {
                f.push(
                    Finding::new(Rule::FrameAfterClose, index)
                        .with_severity(Severity::Warning)
                        .with_message("This side already sent a Close frame, and nothing should follow it, though a receiver may ignore this control frame."),
                );
            } else {
                f.push(Finding::new(Rule::FrameAfterClose, index));
            }
        }
        f
    }

    /// Take the current frame's payload bytes from the start of `input`; returns how many.
    fn payload_bytes(&mut self, input: &[u8]) -> usize {
        let max_message = self.config.max_message;
        let Some(f) = &mut self.cur else { return 0 };
        let remaining = f.header.payload_len - f.got;
        let take = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
        let (kept, body_buf) = (&mut self.kept, &mut self.body);
        if f.whole && !f.body_cut && body_buf.len() + take > max_message {
            f.body_cut = true;
            *body_buf = Vec::new();
        }
        let chunk = &input[..take];
        let offset = (f.got % 4) as usize;
        let body_room = if f.whole {
            if f.body_cut {
                0
            } else {
                take
            }
        } else {
            take.min(f.body_cap.saturating_sub(body_buf.len()))
        };
        let keep_room = take.min(f.keep_cap.saturating_sub(kept.len()));
        // Unmask once, in place, into whichever buffer takes the whole chunk; the others copy
        // from it. Only when neither does, a small stack buffer serves the UTF-8 check.
        let key = f.header.mask_key;
        if keep_room == take {
            let b = append_unmasked(kept, chunk, key, offset);
            body_buf.extend_from_slice(&b[..body_room]);
            if let Some(u) = &mut f.utf8 {
                u.push(b);
            }
        } else if body_room == take {
            let b = append_unmasked(body_buf, chunk, key, offset);
            kept.extend_from_slice(&b[..keep_room]);
            if let Some(u) = &mut f.utf8 {
                u.push(b);
            }
        } else if keep_room > 0 || body_room > 0 || f.utf8.is_some() {
            let mut buf = [0u8; 1024];
            for (i, piece) in chunk.chunks(buf.len()).enumerate() {
                let at = i * buf.len();
                let b = &mut buf[..piece.len()];
                b.copy_from_slice(piece);
                if let Some(k) = f.header.mask_key {
                    apply_mask(b, k, offset + at);
                }
                let keep = keep_room.saturating_sub(at).min(piece.len());
                let body = body_room.saturating_sub(at).min(piece.len());
                kept.extend_from_slice(&b[..keep]);
                body_buf.extend_from_slice(&b[..body]);
                match &mut f.utf8 {
                    Some(u) => {
                        u.push(b);
                    }
                    None if keep == 0 && body == 0 => break,
                    None => {}
                }
            }
        }
        f.got += take as u64;
        self.consumed += take as u64;
        take
    }

    /// The frame's last byte arrived.
    fn complete(&mut self, budget: &mut Budget, out: &mut VecDeque<StreamEvent>) {
        let Some(f) = self.cur.take() else { return };
        let index = self.frames;
        self.frames += 1;
        let kept = std::mem::take(&mut self.kept);
        let mut body = std::mem::take(&mut self.body);
        let mut findings = f.findings;
        if f.lost > 0 {
            findings.push(Finding::new(Rule::BytesLost, index as usize).with_message(format!(
                "{} bytes of this frame's payload were not captured; its payload is shown up to the first of them.",
                f.lost
            )));
        }
        let fin = f.header.fin;
        let mut close = None;
        let (is_text, compressed) = f.role.flags();
        match f.role {
            Role::Control if f.header.opcode == OpCode::CLOSE.0 => {
                if !f.body_cut && f.lost == 0 {
                    close = Some(Box::new(close_body(&body, index as usize, &mut findings)));
                } else if f.body_cut {
                    findings.push(Finding::new(Rule::MessageLimit, index as usize));
                }
                self.closed = true;
            }
            Role::Stray if f.header.opcode == OpCode::CONTINUATION.0 => {
                findings.push(Finding::new(Rule::UnexpectedContinuation, index as usize));
            }
            Role::Start { .. } => {
                if let Some(old) = &self.msg {
                    findings.push(Finding::new(Rule::ExpectedContinuation, index as usize));
                    // The unfinished message stays incomplete; its inflate context is unusable.
                    if old.compressed {
                        self.reset_inflater();
                    }
                    self.end_message(out);
                }
                self.msg = Some(Message::new(
                    self.messages,
                    f.header.opcode,
                    (index, f.start),
                    compressed,
                ));
                self.messages += 1;
            }
            _ => {}
        }
        let mut message = None;
        let mut ended = None;
        if matches!(f.role, Role::Start { .. } | Role::Continue { .. }) {
            if let Some(mut m) = self.msg.take() {
                m.frames += 1;
                message = Some(m.index);
                if compressed {
                    let frame = InflateFrame {
                        data: &body,
                        cut: f.body_cut || f.lost > 0,
                        lost: f.lost > 0,
                        fin,
                        index,
                    };
                    self.inflate_frame(&mut m, frame, budget, &mut findings);
                } else {
                    m.add_plain(&body, f.header.payload_len, f.lost);
                    let max = self.config.max_message;
                    if self.retain.messages.cap() > max
                        && m.payload_len > max as u64
                        && !m.limit_reported
                    {
                        m.limit_reported = true;
                        findings.push(Finding::new(Rule::MessageLimit, index as usize).with_message(format!(
                            "This message is longer than the {max} bytes we keep of one message, so only its first {max} bytes are kept; this is our limit, not the sender's fault."
                        )));
                    }
                    if let Some(u) = f.utf8.filter(|_| !m.utf8_reported) {
                        m.utf8 = Some(u);
                        if u.is_bad() || (fin && !u.finish()) {
                            m.utf8_reported = true;
                            findings.push(Finding::new(Rule::InvalidUtf8, index as usize).with_message(
                                "A text message must be valid UTF-8, and the bytes so far cannot be.",
                            ));
                        }
                    } else if f.lost > 0 {
                        // Bytes were lost: the text can no longer be judged.
                        m.utf8 = None;
                    }
                }
                if fin {
                    ended = Some(m);
                } else {
                    self.msg = Some(m);
                }
            }
        }
        let end = f.start + f.header.header_len as u64 + f.header.payload_len;
        if let Some(m) = &mut ended {
            m.end = end;
        }
        if let Some(m) = &mut self.msg {
            m.end = end;
        }
        out.push_back(StreamEvent::Frame(FrameEvent {
            index,
            offset: f.start,
            payload: Payload {
                len: f.header.payload_len,
                kept: Bytes(kept),
            },
            header: f.header,
            close,
            is_text,
            compressed,
            message,
            findings,
        }));
        if let Some(m) = ended {
            out.push_back(StreamEvent::Message(m.into_event(true)));
        }
        body.clear();
        self.body = body;
    }

    /// The message in progress ended without its final frame.
    fn end_message(&mut self, out: &mut VecDeque<StreamEvent>) {
        if let Some(m) = self.msg.take() {
            out.push_back(StreamEvent::Message(m.into_event(false)));
        }
    }

    fn reset_inflater(&mut self) {
        if let Some(i) = &mut self.inflater {
            i.reset();
        }
    }

    /// Inflate one compressed frame of `m` (RFC 7692 §7.2.2: the data of all its frames, then
    /// `00 00 ff ff` after the final one), within the per-message limit and the session budget.
    fn inflate_frame(
        &mut self,
        m: &mut Message,
        frame: InflateFrame<'_>,
        budget: &mut Budget,
        findings: &mut Vec<Finding>,
    ) {
        let index = frame.index as usize;
        let (param, bits, no_takeover) = self.sender_params();
        if !m.stopped && (frame.cut || self.window_lost) {
            // Our limit or a capture gap, now or in an earlier message whose window this one
            // takes over: the sender is not to blame.
            if frame.cut && !frame.lost {
                findings.push(Finding::new(Rule::MessageLimit, index));
            }
            self.stop(m, Inflate::Limited, no_takeover);
        }
        if !m.stopped && budget.left == 0 {
            self.stop(m, Inflate::Limited, no_takeover);
            budget.report(index, findings);
        }
        if !m.stopped {
            let outcome = self.run_inflater(m, &frame, bits, no_takeover, budget);
            match outcome.end {
                InflateOutcome::Ok | InflateOutcome::StreamEnd => {}
                InflateOutcome::Failed(_) => {
                    let why = self.explain(m, frame.data, outcome.tail, param, bits);
                    self.stop(m, Inflate::Failed, true);
                    findings.push(Finding::new(Rule::InflateFailed, index).with_message(why));
                }
                InflateOutcome::LimitReached if outcome.budget_hit => {
                    self.stop(m, Inflate::Limited, no_takeover);
                    budget.report(index, findings);
                }
                InflateOutcome::LimitReached => {
                    self.stop(m, Inflate::Limited, no_takeover);
                    findings.push(Finding::new(Rule::InflateLimit, index).with_message(format!(
                        "The decompressed message grew beyond the limit of {} bytes, so decompression stopped (a possible decompression bomb).",
                        self.config.max_inflated
                    )));
                }
            }
            if frame.fin {
                if let Some(i) = &mut self.inflater {
                    i.end_message();
                }
            }
            // Only a later frame of the message could fail and need this one's data replayed.
            if !m.stopped && !frame.fin {
                m.keep_deflated(frame.data, self.config.max_message);
            }
        }
        if let (Some(u), false) = (&m.utf8, m.utf8_reported) {
            if u.is_bad() || (frame.fin && !m.stopped && !u.finish()) {
                m.utf8_reported = true;
                findings.push(Finding::new(Rule::InvalidUtf8, index).with_message(
                    "A text message must be valid UTF-8, and the decompressed bytes so far cannot be.",
                ));
            }
        }
    }

    /// Stop inflating `m`. The inflater starts over; unless the sender resets its context
    /// every message anyway (or the data was the sender's fault), later messages that take over
    /// this context cannot be inflated either.
    fn stop(&mut self, m: &mut Message, how: Inflate, context_ok: bool) {
        m.stopped = true;
        m.inflate = how;
        m.deflated = Vec::new();
        self.reset_inflater();
        if !context_ok {
            self.window_lost = true;
        }
    }

    /// Feed the frame's data (and the tail after the final frame) to the inflater; the output
    /// goes through the UTF-8 check and into the kept payload.
    fn run_inflater(
        &mut self,
        m: &mut Message,
        frame: &InflateFrame<'_>,
        bits: u8,
        no_takeover: bool,
        budget: &mut Budget,
    ) -> RunOutcome {
        const TAIL: &[u8] = &[0x00, 0x00, 0xff, 0xff];
        let limit = self.config.max_inflated as u64;
        let cap = self.retain.messages.cap();
        let inflater = self
            .inflater
            .get_or_insert_with(|| Inflater::new(bits, no_takeover));
        let mut produced = m.payload_len;
        let mut utf8 = m.utf8.filter(|_| !m.utf8_reported);
        let payload = &mut m.payload;
        let mut budget_hit = false;
        let mut sink = |b: &[u8]| {
            let room = limit.saturating_sub(produced);
            let take = (b.len() as u64).min(room).min(budget.left);
            budget_hit |= budget.left < room && budget.left < b.len() as u64;
            let part = &b[..take as usize];
            if let Some(u) = &mut utf8 {
                u.push(part);
            }
            if payload.len() as u64 == produced {
                payload.extend_from_slice(&part[..part.len().min(cap - payload.len())]);
            }
            produced += take;
            budget.left -= take;
            take == b.len() as u64
        };
        let mut end = inflater.inflate_with(frame.data, &mut sink);
        let mut tail = false;
        if frame.fin && end == InflateOutcome::Ok {
            tail = true;
            end = inflater.inflate_with(TAIL, &mut sink);
        }
        m.payload_len = produced;
        if utf8.is_some() {
            m.utf8 = utf8;
        }
        RunOutcome {
            end,
            tail,
            budget_hit,
        }
    }

    /// The sending side's permessage-deflate parameters: its name, window bits and whether it
    /// resets its context after each message.
    fn sender_params(&self) -> (&'static str, u8, bool) {
        match (self.direction, &self.config.deflate) {
            (Direction::Client, Some(d)) => (
                "client",
                d.client.max_window_bits,
                d.client.no_context_takeover,
            ),
            (Direction::Server, Some(d)) => (
                "server",
                d.server.max_window_bits,
                d.server.no_context_takeover,
            ),
            _ => ("", 15, false),
        }
    }

    /// Which rule a failed message broke, found by replaying its data.
    fn explain(&self, m: &Message, data: &[u8], tail: bool, param: &str, bits: u8) -> String {
        const TAIL: &[u8] = &[0x00, 0x00, 0xff, 0xff];
        let failure = match (&self.inflater, m.deflated_cut) {
            (Some(inf), false) => {
                let mut parts: Vec<&[u8]> = vec![&m.deflated, data];
                if tail {
                    parts.push(TAIL);
                }
                inf.explain_failure(&parts)
            }
            _ => InflateFailure::Invalid,
        };
        let section = if param == "server" { 1 } else { 2 };
        match failure {
            InflateFailure::Invalid => "The compressed message could not be decompressed: it is not valid raw DEFLATE data, or refers back to bytes never sent.".to_string(),
            InflateFailure::BeforeMessage => format!(
                "The compressed message refers back to data before its own start, but {param}_no_context_takeover was agreed, so the {param} must start every message with an empty window (RFC 7692 §7.1.1.{section})."
            ),
            InflateFailure::BeyondWindow => format!(
                "The compressed message refers back further than the {} bytes of the window agreed with {param}_max_window_bits={bits} (RFC 7692 §7.1.2.{section}).",
                1u32 << bits
            ),
        }
    }
}

/// Append `chunk` to `buf` unmasked (its first byte is at `offset` in the payload, for the
/// key's rotation); returns the appended bytes.
fn append_unmasked<'a>(
    buf: &'a mut Vec<u8>,
    chunk: &[u8],
    key: Option<[u8; 4]>,
    offset: usize,
) -> &'a [u8] {
    let from = buf.len();
    buf.extend_from_slice(chunk);
    if let Some(k) = key {
        apply_mask(&mut buf[from..], k, offset);
    }
    &buf[from..]
}

/// One compressed frame, as the inflater sees it.
struct InflateFrame<'a> {
    data: &'a [u8],
    /// Its data is not all there (our limit, or a capture gap when `lost`).
    cut: bool,
    lost: bool,
    fin: bool,
    index: u64,
}

/// How feeding the inflater ended.
struct RunOutcome {
    end: InflateOutcome,
    /// The `00 00 ff ff` tail was fed.
    tail: bool,
    /// The session budget, not the message limit, stopped it.
    budget_hit: bool,
}

impl Budget {
    /// Say once per session, at the frame where it happened, that the budget is spent.
    fn report(&mut self, frame: usize, findings: &mut Vec<Finding>) {
        if !self.reported {
            self.reported = true;
            findings.push(Finding::new(Rule::InflateBudget, frame));
        }
    }
}

impl Message {
    fn new(index: u64, opcode: u8, (first_frame, offset): (u64, u64), compressed: bool) -> Message {
        Message {
            index,
            opcode,
            first_frame,
            offset,
            end: offset,
            frames: 0,
            compressed,
            utf8: (opcode == OpCode::TEXT.0).then(Utf8Stream::default),
            utf8_reported: false,
            stopped: false,
            inflate: Inflate::Ok,
            payload: Vec::new(),
            payload_len: 0,
            deflated: Vec::new(),
            deflated_cut: false,
            gap: false,
            limit_reported: false,
        }
    }

    /// An uncompressed frame's bytes join the message: `body` is the start of its `len` bytes
    /// (as many as the consumer wants kept, and only those captured when `lost` > 0).
    fn add_plain(&mut self, body: &[u8], len: u64, lost: u64) {
        if !self.gap && self.payload.len() as u64 == self.payload_len {
            self.payload.extend_from_slice(body);
        }
        self.payload_len += len;
        // After lost bytes the kept payload stops: what follows would not join up with it.
        self.gap |= lost > 0;
    }

    /// Keep a compressed frame's data to explain a later failure by replaying the message.
    fn keep_deflated(&mut self, data: &[u8], max: usize) {
        if !self.deflated_cut && self.deflated.len() + data.len() <= max {
            self.deflated.extend_from_slice(data);
        } else {
            self.deflated_cut = true;
            self.deflated = Vec::new();
        }
    }

    fn into_event(self, complete: bool) -> MessageEvent {
        let text = self.opcode == OpCode::TEXT.0;
        MessageEvent {
            index: self.index,
            opcode: self.opcode,
            first_frame: self.first_frame,
            offset: self.offset,
            end: self.end,
            frames: self.frames,
            compressed: self.compressed,
            complete,
            inflate: self.compressed.then_some(self.inflate),
            valid_utf8: text.then(|| {
                !self.utf8_reported
                    && self
                        .utf8
                        .is_some_and(|u| !u.is_bad() && (!complete || u.finish()))
            }),
            payload: Payload {
                len: self.payload_len,
                kept: Bytes(self.payload),
            },
        }
    }
}
