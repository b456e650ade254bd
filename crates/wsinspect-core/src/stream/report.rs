//! A whole direction as one report, built from the reader's events: what `wsinspect decode
//! --json` prints and the page draws. It holds every frame and payload, so its memory grows
//! with the input; consumers that must not (summaries, live feeds) use the events directly.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::event::{CloseInfo, FrameEvent, Incomplete, MessageEvent, StreamEvent};
use super::reader::{Budget, Reader, Retain};
use super::DecodeConfig;
use crate::common::{hex, Direction, HexDisplay};
use crate::finding::Finding;
use crate::wire::codes::OpCode;
use crate::wire::header::{FieldValue, Header};

/// Bytes as a hex JSON string, written without building the string first.
struct HexStr<'a>(&'a [u8]);

impl Serialize for HexStr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&HexDisplay(self.0))
    }
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

impl From<FrameEvent> for FrameReport {
    /// The frame with its header fields and spans (from [`crate::wire::field::FIELDS`]), as
    /// the report shows it.
    fn from(f: FrameEvent) -> FrameReport {
        let head = f.header.to_bytes();
        FrameReport {
            index: f.index as usize,
            offset: f.offset,
            fields: f.header.fields(&head[..f.header.header_len]),
            header: f.header,
            payload: f.payload.kept.0,
            close: f.close.map(|c| *c),
            is_text: f.is_text,
            compressed: f.compressed,
            message: f.message.map(|m| m as usize),
            findings: f.findings,
        }
    }
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
        self.header.length_form().bits()
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
        st.serialize_field("payload", &HexStr(&self.payload))?;
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
    /// Findings that belong to no frame (bytes lost where no frame could be delimited); the
    /// key is left out of JSON when empty.
    pub notes: Vec<Finding>,
    /// How the input was read where that was a choice: an option and the handshake that
    /// disagreed and which one was used, extensions assumed; left out of JSON when empty.
    pub input_notes: Vec<String>,
}

impl StreamReport {
    /// A message as `decode --json` shows it (with its whole payload, text or hex).
    pub fn message_json<'a>(&'a self, m: &'a MessageReport) -> impl Serialize + 'a {
        MessageView(self, m)
    }

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
            .chain(self.notes.iter())
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
        st.serialize_field("payload", &HexStr(&payload))?;
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
        if self.notes.is_empty() {
            st.skip_field("notes")?;
        } else {
            st.serialize_field("notes", &self.notes)?;
        }
        if self.input_notes.is_empty() {
            st.skip_field("input_notes")?;
        } else {
            st.serialize_field("input_notes", &self.input_notes)?;
        }
        st.end()
    }
}

/// Builds a [`StreamReport`] from one direction's events, in the order they came.
#[derive(Debug)]
pub struct Collector {
    report: StreamReport,
}

impl Collector {
    /// An empty report for `direction`.
    pub fn new(direction: Direction) -> Collector {
        Collector {
            report: StreamReport {
                direction,
                frames: Vec::new(),
                messages: Vec::new(),
                incomplete: None,
                notes: Vec::new(),
                input_notes: Vec::new(),
            },
        }
    }

    /// The frames so far.
    pub fn frames(&self) -> &[FrameReport] {
        &self.report.frames
    }

    /// Take in the next event.
    pub fn push(&mut self, e: StreamEvent) {
        match e {
            StreamEvent::Frame(f) => self.frame(f),
            StreamEvent::Message(m) => self.message(m),
            StreamEvent::Finding(f) => self.report.notes.push(f),
            StreamEvent::Gap { .. } => {}
            StreamEvent::End { incomplete } => self.report.incomplete = incomplete,
        }
    }

    fn frame(&mut self, f: FrameEvent) {
        let index = f.index as usize;
        if let Some(mi) = f.message.map(|m| m as usize) {
            if mi == self.report.messages.len() {
                self.report.messages.push(MessageReport {
                    index: mi,
                    opcode: OpCode(f.header.opcode),
                    frames: Vec::new(),
                    compressed: f.compressed,
                    complete: false,
                    inflated: f.compressed.then(Vec::new),
                });
            }
            if let Some(m) = self.report.messages.get_mut(mi) {
                m.frames.push(index);
            }
        }
        self.report.frames.push(FrameReport::from(f));
    }

    fn message(&mut self, e: MessageEvent) {
        if let Some(m) = self.report.messages.get_mut(e.index as usize) {
            m.complete = e.complete;
            if e.compressed {
                m.inflated = Some(e.payload.kept.0);
            }
        }
    }

    /// The report.
    pub fn finish(self) -> StreamReport {
        self.report
    }
}

/// The streaming decoder for one direction that keeps everything: a [`Reader`] keeping every
/// payload byte, feeding a [`Collector`].
pub struct Decoder {
    reader: Reader,
    collector: Collector,
    budget: Budget,
    events: VecDeque<StreamEvent>,
}

impl Decoder {
    /// A decoder for bytes sent by `direction`.
    pub fn new(direction: Direction, config: DecodeConfig) -> Decoder {
        Decoder {
            budget: Budget::new(config.inflate_budget),
            reader: Reader::new(direction, config, Retain::default()),
            collector: Collector::new(direction),
            events: VecDeque::new(),
        }
    }

    /// A decoder whose first byte is at `offset` of the input (after a handshake), so that the
    /// report's offsets are the input's.
    pub fn starting_at(mut self, offset: u64) -> Decoder {
        self.reader = self.reader.starting_at(offset);
        self
    }

    /// The frames completed so far.
    pub fn frames(&self) -> &[FrameReport] {
        self.collector.frames()
    }

    /// Feed the next bytes of the stream.
    pub fn feed(&mut self, input: &[u8]) {
        self.reader.feed(input, &mut self.budget, &mut self.events);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(e) = self.events.pop_front() {
            self.collector.push(e);
        }
    }

    /// The input ended: report everything.
    pub fn finish(mut self) -> StreamReport {
        self.reader.finish(&mut self.events);
        self.drain();
        self.collector.finish()
    }
}

/// Decode a whole byte stream at once.
pub fn decode_all(bytes: &[u8], direction: Direction, config: &DecodeConfig) -> StreamReport {
    let mut d = Decoder::new(direction, config.clone());
    d.feed(bytes);
    d.finish()
}
