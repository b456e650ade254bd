//! What one direction's [`Reader`](super::Reader) hands out: a frame when its last byte
//! arrived, a message when it ended, the end of the stream. Each carries its byte offsets in
//! that direction's stream; the session adds the direction and the caller's timestamp.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::finding::{Finding, Rule, Severity};
use crate::wire::header::Header;

/// How much of the payload bytes an event keeps: the consumer's choice, so that a summary or a
/// long-running feed holds no payloads at all while a full report keeps every byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// Every byte.
    #[default]
    All,
    /// At most this many bytes from the start.
    Prefix(usize),
    /// No bytes: lengths and offsets only.
    Nothing,
}

impl Keep {
    /// The most bytes kept.
    pub fn cap(self) -> usize {
        match self {
            Keep::All => usize::MAX,
            Keep::Prefix(n) => n,
            Keep::Nothing => 0,
        }
    }
}

/// Bytes as lower-case hex in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&crate::common::HexDisplay(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::common::unhex(&s)
            .map(Bytes)
            .ok_or_else(|| D::Error::custom("expected an even number of hex digits"))
    }
}

/// The payload bytes an event kept, and how many there were in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The full length.
    pub len: u64,
    /// The bytes kept (all, a prefix, or none, as [`Keep`] said; for a control frame always
    /// every byte, up to the frame limit).
    pub kept: Bytes,
}

impl FrameEvent {
    /// Where the frame ends in this direction's stream.
    pub fn end(&self) -> u64 {
        self.offset + self.header.header_len as u64 + self.header.payload_len
    }
}

impl Payload {
    /// Whether every byte was kept.
    pub fn is_whole(&self) -> bool {
        self.kept.0.len() as u64 == self.len
    }
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

/// A close code's name is derived from the code: reading one back names the code again.
impl<'de> Deserialize<'de> for CloseInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            code: Option<u16>,
            reason: Option<String>,
        }
        let w = Wire::deserialize(d)?;
        Ok(CloseInfo {
            code: w.code,
            name: w.code.map(|c| crate::wire::codes::CloseCode(c).describe()),
            reason: w.reason,
        })
    }
}

/// How a compressed message's inflation went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inflate {
    /// Every byte inflated.
    Ok,
    /// The data could not be inflated (the sender's fault; a finding says why).
    Failed,
    /// Our own limit stopped it: the per-message limit, the session's inflate budget, or an
    /// earlier message that our limit cut, whose window this one needed.
    Limited,
}

/// One complete frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameEvent {
    /// Position among this direction's frames, from 0.
    pub index: u64,
    /// Where the frame starts in this direction's stream.
    pub offset: u64,
    /// The decoded header.
    pub header: Header,
    /// The payload, unmasked (for a compressed frame: the compressed bytes).
    pub payload: Payload,
    /// The Close body, for a Close frame.
    pub close: Option<Box<CloseInfo>>,
    /// Whether this frame belongs to a text message.
    pub is_text: bool,
    /// Whether this frame belongs to a compressed message.
    pub compressed: bool,
    /// The message this frame belongs to, if any.
    pub message: Option<u64>,
    /// What is wrong with it (rules that became certain with this frame).
    pub findings: Vec<Finding>,
}

/// One data message (text or binary), ended by its final frame, by a new message that
/// interrupted it, or by the end of the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// Position among this direction's messages, from 0.
    pub index: u64,
    /// The opcode of its first frame (1 text, 2 binary).
    pub opcode: u8,
    /// The index of its first frame.
    pub first_frame: u64,
    /// Where its first frame starts in this direction's stream.
    pub offset: u64,
    /// Where its last frame so far ends.
    pub end: u64,
    /// How many frames it has.
    pub frames: u64,
    /// Whether it was compressed with permessage-deflate.
    pub compressed: bool,
    /// Whether its final frame arrived.
    pub complete: bool,
    /// For a compressed message, how inflating it went.
    pub inflate: Option<Inflate>,
    /// The message's payload: inflated for a compressed message (cut at a limit or an error),
    /// else its frames' payloads joined.
    pub payload: Payload,
    /// For a text message: whether its payload is valid UTF-8 (as far as it was read).
    pub valid_utf8: Option<bool>,
}

/// A trailing frame that the stream ends inside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incomplete {
    /// Where the frame starts in the stream.
    pub offset: u64,
    /// How many of its bytes are there.
    pub have: u64,
    /// How many more bytes are needed (for a partial header: to complete the header).
    pub need: u64,
    /// Findings its complete header already makes certain (e.g. `length-msb-set`); the key is
    /// left out of JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub findings: Vec<Finding>,
    /// Its header, when that arrived whole (left out of JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub header: Option<Header>,
    /// The first payload bytes that arrived, unmasked, at most 48, as hex (left out of JSON
    /// when none).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "hex_bytes",
        deserialize_with = "bytes_from_hex"
    )]
    pub first_bytes: Vec<u8>,
}

fn hex_bytes<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&crate::common::HexDisplay(b))
}

fn bytes_from_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    Bytes::deserialize(d).map(|b| b.0)
}

/// What one direction's reader reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A frame's last byte arrived.
    Frame(FrameEvent),
    /// A message ended.
    Message(MessageEvent),
    /// A finding that belongs to no frame (a limit of ours, a gap).
    Finding(Finding),
    /// The caller reported bytes lost here (a capture gap): frames resume where they can.
    Gap {
        /// How many bytes are missing.
        len: u64,
    },
    /// The stream ended.
    End {
        /// The frame the stream ended inside, if any.
        incomplete: Option<Incomplete>,
    },
}

/// Findings travel with their rule's code; reading one back takes the rule's static texts from
/// the table again, so an unknown code is an error, not a new rule.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            code: String,
            severity: Severity,
            message: String,
            #[serde(default)]
            frame: usize,
        }
        let w = Wire::deserialize(d)?;
        let rule: Rule = w
            .code
            .parse()
            .map_err(|_| D::Error::custom(format!("unknown finding code {:?}", w.code)))?;
        Ok(Finding {
            rule,
            severity: w.severity,
            rfc: rule.def().rfc,
            message: w.message,
            frame: w.frame,
        })
    }
}
