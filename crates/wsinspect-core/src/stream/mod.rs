//! The streaming frame decoder (RFC 6455 §5, §7.4; RFC 7692): bytes of one direction in,
//! frames, messages and findings out.
//!
//! Feed chunks of any size: every decision is taken when a header or a frame is complete, so
//! the report is the same whatever the chunking. Memory is bounded by the input: nothing is
//! allocated from a declared length, and payload bytes held are the bytes fed.

use std::borrow::Cow;
use std::ops::Range;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::common::Direction;
pub use crate::ext::deflate::ExtensionError;
use crate::ext::deflate::{
    parse_extensions, DeflateParams, InflateFailure, InflateOutcome, Inflater,
};
use crate::finding::{Finding, Rule, Severity};
use crate::wire::codes::{CloseCode, CloseCodeUse, OpCode};
use crate::wire::header::{decode_header, FieldValue, Header, Progress};
use crate::wire::mask::apply_mask;
use utf8::Utf8Stream;

pub mod utf8;

pub use crate::common::hex;

/// The default bound on one inflated message: 64 MiB.
pub const DEFAULT_MAX_INFLATED: usize = 64 << 20;

/// What the handshake negotiated, and limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecodeConfig {
    /// permessage-deflate parameters, when negotiated.
    pub deflate: Option<DeflateParams>,
    /// The most bytes one message may inflate to before decompression stops with a finding.
    pub max_inflated: usize,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            deflate: None,
            max_inflated: DEFAULT_MAX_INFLATED,
        }
    }
}

impl DecodeConfig {
    /// The configuration for a `Sec-WebSocket-Extensions` *response* value (`""` = none).
    ///
    /// ```
    /// use wsinspect_core::stream::DecodeConfig;
    /// let c = DecodeConfig::from_extensions("permessage-deflate; server_no_context_takeover").unwrap();
    /// assert!(c.deflate.unwrap().server_no_context_takeover);
    /// ```
    pub fn from_extensions(value: &str) -> Result<DecodeConfig, ExtensionError> {
        Ok(DecodeConfig {
            deflate: parse_extensions(value)?,
            ..DecodeConfig::default()
        })
    }
}

/// A trailing frame that the input ends inside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    /// Where the frame starts in the input.
    pub offset: u64,
    /// How many of its bytes are there.
    pub have: u64,
    /// How many more bytes are needed (for a partial header: to complete the header).
    pub need: u64,
    /// Findings its complete header already makes certain (e.g. `length-msb-set`); the key is
    /// left out of JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// The body of a Close frame (RFC 6455 §5.5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CloseInfo {
    /// The status code, when the body has one.
    pub code: Option<u16>,
    /// The code's registered name or the range it belongs to.
    pub name: Option<&'static str>,
    /// The reason, when it is valid UTF-8 (empty when there is none).
    pub reason: Option<String>,
}

/// One complete frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameReport {
    /// Position in the stream, from 0.
    pub index: usize,
    /// Byte offset of the frame in the input.
    pub offset: u64,
    /// The decoded header.
    pub header: Header,
    /// The header fields with spans relative to the frame start (from [`crate::wire::field::FIELDS`]).
    pub fields: Vec<FieldValue>,
    /// The payload, unmasked (for a compressed frame: the compressed bytes).
    pub payload: Vec<u8>,
    /// The Close body, for a Close frame.
    pub close: Option<CloseInfo>,
    /// Whether this frame belongs to a text message (so its payload is meant to be UTF-8).
    pub is_text: bool,
    /// Whether this frame belongs to a compressed message.
    pub compressed: bool,
    /// The message this frame belongs to, if any.
    pub message: Option<usize>,
    /// What is wrong with it.
    pub findings: Vec<Finding>,
}

impl FrameReport {
    /// The frame's byte range in the input.
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset + self.header.header_len as u64 + self.payload.len() as u64
    }
    /// The payload's byte range in the input.
    pub fn payload_range(&self) -> Range<u64> {
        self.offset + self.header.header_len as u64..self.range().end
    }
    /// The opcode.
    pub fn opcode(&self) -> OpCode {
        OpCode(self.header.opcode)
    }
    /// 7, 16 or 64: which length field carries the payload length.
    pub fn length_form(&self) -> u8 {
        match self.header.len7 {
            126 => 16,
            127 => 64,
            _ => 7,
        }
    }
    /// The payload as text: for an uncompressed text frame whose bytes are valid UTF-8 on their
    /// own, or the reason of a Close frame.
    pub fn text(&self) -> Option<&str> {
        if let Some(c) = &self.close {
            return c.reason.as_deref();
        }
        if self.is_text && !self.compressed {
            return core::str::from_utf8(&self.payload).ok();
        }
        None
    }
}

impl Serialize for FrameReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = &self.header;
        let mut st = s.serialize_struct("Frame", 19)?;
        st.serialize_field("index", &self.index)?;
        st.serialize_field("offset", &self.offset)?;
        st.serialize_field("header_len", &h.header_len)?;
        st.serialize_field("fin", &h.fin)?;
        st.serialize_field("rsv1", &h.rsv1)?;
        st.serialize_field("rsv2", &h.rsv2)?;
        st.serialize_field("rsv3", &h.rsv3)?;
        st.serialize_field("opcode", &h.opcode)?;
        st.serialize_field("opcode_name", self.opcode().label())?;
        st.serialize_field("masked", &h.masked)?;
        st.serialize_field("mask_key", &h.mask_key.map(|k| hex(&k)))?;
        st.serialize_field("payload_len", &h.payload_len)?;
        st.serialize_field("length_form", &self.length_form())?;
        st.serialize_field("payload", &hex(&self.payload))?;
        st.serialize_field("text", &self.text())?;
        st.serialize_field("close", &self.close)?;
        st.serialize_field("findings", &self.findings)?;
        st.end()
    }
}

/// One data message (text or binary), reassembled from its frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageReport {
    /// Position among messages, from 0.
    pub index: usize,
    /// The opcode of its first frame (text or binary).
    pub opcode: OpCode,
    /// The indexes of its frames.
    pub frames: Vec<usize>,
    /// Whether it was compressed with permessage-deflate.
    pub compressed: bool,
    /// Whether its final frame arrived.
    pub complete: bool,
    /// For a compressed message: the inflated bytes (cut at the limit or at an error).
    pub inflated: Option<Vec<u8>>,
}

/// A decoded stream: the JSON document `wsinspect decode --json` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamReport {
    /// The direction decoded.
    pub direction: Direction,
    /// Every complete frame.
    pub frames: Vec<FrameReport>,
    /// Every data message, complete or not.
    pub messages: Vec<MessageReport>,
    /// The trailing partial frame, if the input ends inside one.
    pub incomplete: Option<Incomplete>,
}

impl StreamReport {
    /// A message's complete payload: inflated for a compressed message, else its frames'
    /// payloads joined.
    pub fn message_payload<'a>(&'a self, m: &'a MessageReport) -> Cow<'a, [u8]> {
        if let Some(b) = &m.inflated {
            return Cow::Borrowed(b);
        }
        match m.frames.as_slice() {
            [one] => Cow::Borrowed(&self.frames[*one].payload),
            many => Cow::Owned(
                many.iter()
                    .flat_map(|&i| self.frames[i].payload.iter().copied())
                    .collect(),
            ),
        }
    }

    /// A text message's text, when its payload is valid UTF-8.
    pub fn message_text(&self, m: &MessageReport) -> Option<String> {
        if m.opcode != OpCode::TEXT {
            return None;
        }
        String::from_utf8(self.message_payload(m).into_owned()).ok()
    }

    /// Every finding, in frame order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        let trailing = self.incomplete.iter().flat_map(|i| i.findings.iter());
        self.frames
            .iter()
            .flat_map(|f| f.findings.iter())
            .chain(trailing)
    }
}

struct MessageView<'a>(&'a StreamReport, &'a MessageReport);

impl Serialize for MessageView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (r, m) = (self.0, self.1);
        let payload = r.message_payload(m);
        let mut st = s.serialize_struct("Message", 7)?;
        st.serialize_field("index", &m.index)?;
        st.serialize_field("opcode", &m.opcode)?;
        st.serialize_field("frames", &m.frames)?;
        st.serialize_field("compressed", &m.compressed)?;
        st.serialize_field("payload", &hex(&payload))?;
        let text = (m.opcode == OpCode::TEXT)
            .then(|| core::str::from_utf8(&payload).ok())
            .flatten();
        st.serialize_field("text", &text)?;
        st.serialize_field("complete", &m.complete)?;
        st.end()
    }
}

impl Serialize for StreamReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Stream", 4)?;
        st.serialize_field("direction", &self.direction)?;
        st.serialize_field("frames", &self.frames)?;
        let msgs: Vec<MessageView<'_>> =
            self.messages.iter().map(|m| MessageView(self, m)).collect();
        st.serialize_field("messages", &msgs)?;
        st.serialize_field("incomplete", &self.incomplete)?;
        st.end()
    }
}

/// A frame whose header is decoded and whose payload is arriving.
struct Partial {
    header: Header,
    head: Vec<u8>,
    start: u64,
    payload: Vec<u8>,
    findings: Vec<Finding>,
}

/// The message being reassembled.
struct MessageState {
    index: usize,
    utf8: Option<Utf8Stream>,
    utf8_reported: bool,
    stopped: bool,
}

/// The streaming decoder for one direction.
pub struct Decoder {
    direction: Direction,
    config: DecodeConfig,
    consumed: u64,
    head: Vec<u8>,
    head_start: u64,
    cur: Option<Partial>,
    frames: Vec<FrameReport>,
    messages: Vec<MessageReport>,
    msg: Option<MessageState>,
    closed: bool,
    inflater: Option<Inflater>,
}

impl Decoder {
    /// A decoder for bytes sent by `direction`.
    pub fn new(direction: Direction, config: DecodeConfig) -> Decoder {
        Decoder {
            direction,
            config,
            consumed: 0,
            head: Vec::with_capacity(14),
            head_start: 0,
            cur: None,
            frames: Vec::new(),
            messages: Vec::new(),
            msg: None,
            closed: false,
            inflater: None,
        }
    }

    /// The frames completed so far.
    pub fn frames(&self) -> &[FrameReport] {
        &self.frames
    }

    /// Feed the next bytes of the stream.
    pub fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            if let Some(p) = &mut self.cur {
                let remaining = p.header.payload_len - p.payload.len() as u64;
                let take = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                let at = p.payload.len();
                p.payload.extend_from_slice(&input[..take]);
                if let Some(key) = p.header.mask_key {
                    apply_mask(&mut p.payload[at..], key, at);
                }
                input = &input[take..];
                self.consumed += take as u64;
                if p.payload.len() as u64 == p.header.payload_len {
                    self.complete();
                }
            } else {
                if self.head.is_empty() {
                    self.head_start = self.consumed;
                }
                let at_least = match decode_header(&self.head) {
                    Progress::NeedMore { at_least } => at_least,
                    Progress::Done(_) => self.head.len(),
                };
                let take = (at_least - self.head.len()).min(input.len());
                self.head.extend_from_slice(&input[..take]);
                input = &input[take..];
                self.consumed += take as u64;
                if let Progress::Done(h) = decode_header(&self.head) {
                    self.start_frame(h);
                }
            }
        }
    }

    /// The input ended: report everything.
    pub fn finish(self) -> StreamReport {
        let incomplete = if let Some(p) = &self.cur {
            Some(Incomplete {
                offset: p.start,
                have: p.header.header_len as u64 + p.payload.len() as u64,
                need: p.header.payload_len - p.payload.len() as u64,
                findings: p.findings.clone(),
            })
        } else if !self.head.is_empty() {
            let at_least = match decode_header(&self.head) {
                Progress::NeedMore { at_least } => at_least,
                Progress::Done(_) => self.head.len(),
            };
            Some(Incomplete {
                offset: self.head_start,
                have: self.head.len() as u64,
                need: (at_least - self.head.len()) as u64,
                findings: Vec::new(),
            })
        } else {
            None
        };
        StreamReport {
            direction: self.direction,
            frames: self.frames,
            messages: self.messages,
            incomplete,
        }
    }

    fn deflate(&self) -> bool {
        self.config.deflate.is_some()
    }

    /// Checks that the header alone makes certain.
    fn start_frame(&mut self, h: Header) {
        let index = self.frames.len();
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
        let minimal = match h.len7 {
            126 => h.payload_len >= 126,
            127 => h.payload_len > 0xffff,
            _ => true,
        };
        if !minimal {
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
        let head = core::mem::take(&mut self.head);
        let empty = h.payload_len == 0;
        self.cur = Some(Partial {
            header: h,
            head,
            start: self.head_start,
            payload: Vec::new(),
            findings: f,
        });
        if empty {
            self.complete();
        }
    }

    /// The frame's last byte arrived.
    fn complete(&mut self) {
        let Some(p) = self.cur.take() else { return };
        let index = self.frames.len();
        let h = p.header;
        let op = OpCode(h.opcode);
        let mut findings = p.findings;
        let fields = h.fields(&p.head);
        let mut close = None;
        let mut message = None;
        let mut is_text = false;
        let mut compressed = false;

        if op == OpCode::CLOSE {
            close = Some(close_body(&p.payload, index, &mut findings));
            self.closed = true;
        } else if op.starts_message() || op == OpCode::CONTINUATION {
            if op.starts_message() {
                if let Some(old) = self.msg.take() {
                    findings.push(Finding::new(Rule::ExpectedContinuation, index));
                    // The unfinished message stays incomplete; its inflate context is unusable.
                    if self.messages[old.index].compressed {
                        self.reset_inflater();
                    }
                }
                let mi = self.messages.len();
                compressed = h.rsv1 && self.deflate();
                self.messages.push(MessageReport {
                    index: mi,
                    opcode: op,
                    frames: Vec::new(),
                    compressed,
                    complete: false,
                    inflated: compressed.then(Vec::new),
                });
                self.msg = Some(MessageState {
                    index: mi,
                    utf8: (op == OpCode::TEXT).then(Utf8Stream::default),
                    utf8_reported: false,
                    stopped: false,
                });
            } else if self.msg.is_none() {
                findings.push(Finding::new(Rule::UnexpectedContinuation, index));
            }
            if let Some(mut st) = self.msg.take() {
                let m = &mut self.messages[st.index];
                m.frames.push(index);
                compressed = m.compressed;
                is_text = m.opcode == OpCode::TEXT;
                message = Some(st.index);
                if compressed {
                    self.inflate_frame(&mut st, &p.payload, h.fin, index, &mut findings);
                } else if let (Some(u), false) = (&mut st.utf8, st.utf8_reported) {
                    u.push(&p.payload);
                    if u.is_bad() || (h.fin && !u.finish()) {
                        st.utf8_reported = true;
                        findings.push(Finding::new(Rule::InvalidUtf8, index).with_message(
                            "A text message must be valid UTF-8, and the bytes so far cannot be.",
                        ));
                    }
                }
                if h.fin {
                    self.messages[st.index].complete = true;
                } else {
                    self.msg = Some(st);
                }
            }
        }

        self.frames.push(FrameReport {
            index,
            offset: p.start,
            header: h,
            fields,
            payload: p.payload,
            close,
            is_text,
            compressed,
            message,
            findings,
        });
    }

    fn reset_inflater(&mut self) {
        if let Some(i) = &mut self.inflater {
            i.reset();
        }
    }

    fn inflate_frame(
        &mut self,
        st: &mut MessageState,
        payload: &[u8],
        fin: bool,
        index: usize,
        findings: &mut Vec<Finding>,
    ) {
        let (param, sender) = match (self.direction, &self.config.deflate) {
            (Direction::Client, Some(d)) => (
                "client",
                (d.client_max_window_bits, d.client_no_context_takeover),
            ),
            (Direction::Server, Some(d)) => (
                "server",
                (d.server_max_window_bits, d.server_no_context_takeover),
            ),
            _ => ("", (None, false)),
        };
        let bits = sender.0.unwrap_or(15);
        let limit = self.config.max_inflated;
        let inflater = self
            .inflater
            .get_or_insert_with(|| Inflater::new(bits, sender.1));
        let m = &mut self.messages[st.index];
        let out = m.inflated.get_or_insert_with(Vec::new);
        let before = out.len();
        if !st.stopped {
            const TAIL: &[u8] = &[0x00, 0x00, 0xff, 0xff];
            let mut outcome = inflater.inflate(payload, out, limit);
            let mut tail = false;
            if fin && outcome == InflateOutcome::Ok {
                tail = true;
                outcome = inflater.inflate(TAIL, out, limit);
            }
            match outcome {
                InflateOutcome::Ok | InflateOutcome::StreamEnd => {}
                InflateOutcome::Failed(_) => {
                    st.stopped = true;
                    // Replay the message to tell which rule the data broke.
                    let mut parts: Vec<&[u8]> = m
                        .frames
                        .iter()
                        .filter_map(|&i| self.frames.get(i).map(|f| &f.payload[..]))
                        .collect();
                    parts.push(payload);
                    if tail {
                        parts.push(TAIL);
                    }
                    let why = match inflater.explain_failure(&parts) {
                        InflateFailure::Invalid => "The compressed message could not be decompressed: it is not valid raw DEFLATE data, or refers back to bytes never sent (RFC 7692 §6.2).".to_string(),
                        InflateFailure::BeforeMessage => format!(
                            "The compressed message refers back to data before its own start, but {param}_no_context_takeover was agreed, so the {param} must start every message with an empty window (RFC 7692 §7.1.1.{}).",
                            if param == "server" { 1 } else { 2 }
                        ),
                        InflateFailure::BeyondWindow => format!(
                            "The compressed message refers back further than the {} bytes of the window agreed with {param}_max_window_bits={bits} (RFC 7692 §7.1.2.{}).",
                            1u32 << bits,
                            if param == "server" { 1 } else { 2 }
                        ),
                    };
                    inflater.reset();
                    findings.push(Finding::new(Rule::InflateFailed, index).with_message(why));
                }
                InflateOutcome::LimitReached => {
                    st.stopped = true;
                    inflater.reset();
                    findings.push(Finding::new(Rule::InflateLimit, index).with_message(format!(
                        "The decompressed message grew beyond the limit of {limit} bytes, so decompression stopped (a possible decompression bomb)."
                    )));
                }
            }
            if fin {
                inflater.end_message();
            }
        }
        if let Some(u) = &mut st.utf8 {
            if !st.utf8_reported {
                u.push(&out[before..]);
                if u.is_bad() || (fin && !st.stopped && !u.finish()) {
                    st.utf8_reported = true;
                    findings.push(Finding::new(Rule::InvalidUtf8, index).with_message(
                        "A text message must be valid UTF-8, and the decompressed bytes so far cannot be.",
                    ));
                }
            }
        }
    }
}

/// Parse a Close body (RFC 6455 §5.5.1, §7.4).
fn close_body(payload: &[u8], index: usize, findings: &mut Vec<Finding>) -> CloseInfo {
    match payload {
        [] => CloseInfo {
            code: None,
            name: None,
            reason: None,
        },
        [_] => {
            findings.push(Finding::new(Rule::ClosePayloadTooShort, index));
            CloseInfo {
                code: None,
                name: None,
                reason: None,
            }
        }
        [a, b, rest @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*a, *b]));
            match code.usage() {
                CloseCodeUse::Valid => {}
                CloseCodeUse::MustNotBeSent => {
                    findings.push(Finding::new(Rule::InvalidCloseCode, index).with_message(format!(
                        "Close code {} ({}) is only for reporting locally and must not be sent in a Close frame.",
                        code.0,
                        code.describe()
                    )))
                }
                CloseCodeUse::Invalid => {
                    findings.push(Finding::new(Rule::InvalidCloseCode, index).with_message(format!(
                        "Close code {} is not in a range that may be sent (1000-1003, 1007-1014, 3000-4999).",
                        code.0
                    )))
                }
            }
            let reason = match core::str::from_utf8(rest) {
                Ok(s) => Some(s.to_string()),
                Err(_) => {
                    findings.push(Finding::new(Rule::InvalidUtf8, index).with_message(
                        "The close reason must be valid UTF-8, and these bytes are not.",
                    ));
                    None
                }
            };
            CloseInfo {
                code: Some(code.0),
                name: Some(code.describe()),
                reason,
            }
        }
    }
}

/// Decode a whole byte stream at once.
pub fn decode_all(bytes: &[u8], direction: Direction, config: &DecodeConfig) -> StreamReport {
    let mut d = Decoder::new(direction, config.clone());
    d.feed(bytes);
    d.finish()
}
