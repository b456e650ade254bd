//! HAR files (HTTP Archive, as browsers' DevTools, Playwright and mitmproxy save them): every
//! WebSocket entry to a [`HarConnection`] with its handshake rebuilt and checked by the core's
//! [`handshake::analyze`] and its messages (`_webSocketMessages`, Chrome's extension, which
//! mitmproxy writes too) with the findings that can be checked on whole messages.
//!
//! A HAR holds what the browser recorded, not what went over the wire: the heads are rebuilt as
//! HTTP/1.1 text from the recorded headers (so line endings and the end of the head are not
//! knowable and their checks are marked so), and messages carry no frame headers, masks,
//! fragmentation or compression.
//!
//! Message `data` is the text for opcode 1 and base64 for the others. JSON text cannot hold
//! bytes that are not UTF-8, but a tool may write them as lone surrogate escapes (Python's
//! `json` does for strings decoded with `surrogateescape`): `\udc80`-`\udcff` are read back as
//! the bytes 0x80-0xff, other lone surrogates as their 3-byte (WTF-8) forms; either way the
//! message is not valid UTF-8 and says so.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use wsinspect_core::common::hex;
use wsinspect_core::finding::{Finding, Rule};
use wsinspect_core::handshake::{self, CheckId, HandshakeReport, Status, Summary};
use wsinspect_core::wire::codes::{CloseCode, CloseCodeUse, OpCode};
use wsinspect_core::Direction;

/// The limit of every HAR connection, stated once per connection.
pub const MESSAGES_NOT_FRAMES: &str =
    "a HAR holds messages, not frames: no frame headers, masks, fragmentation or compression";

/// What the rebuilt heads can and cannot show, stated once per connection.
pub const HEADERS_AS_RECORDED: &str = "the handshake is rebuilt as HTTP/1.1 text from the headers the HAR recorded: their line endings, the end of the head, and the exact bytes and order sent are not knowable from a HAR";

/// Said of a connection whose message times were written in milliseconds (Playwright's HAR).
pub const TIMES_IN_MS: &str = "message times were recorded in milliseconds since the epoch (as Playwright writes them); they are shown in seconds";

/// Why a file is not read as a HAR.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HarError {
    /// The bytes are not JSON (or end early).
    NotJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON reader says.
        message: String,
    },
    /// JSON, but not a HAR: no `log.entries` array, or a part of it of the wrong type.
    NotHar {
        /// 1-based line of the error, when it is about a place in the file.
        line: Option<usize>,
        /// 1-based column of the error.
        column: Option<usize>,
        /// What is missing or wrong.
        message: String,
    },
}

impl core::fmt::Display for HarError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HarError::NotJson {
                line,
                column,
                message,
            } => write!(
                f,
                "not valid JSON at line {line}, column {column}: {message}"
            ),
            HarError::NotHar {
                line: Some(line),
                column: Some(column),
                message,
            } => write!(
                f,
                "JSON, but not a HAR (at line {line}, column {column}): {message}"
            ),
            HarError::NotHar { message, .. } => write!(f, "JSON, but not a HAR: {message}"),
        }
    }
}

impl core::error::Error for HarError {}

/// Everything read from a HAR.
#[derive(Clone, Debug, Serialize)]
pub struct HarCapture {
    /// The tool that wrote it (`log.creator`: name and version), when it says.
    pub creator: Option<String>,
    /// How many entries the log has (WebSocket or not).
    pub entries: usize,
    /// The WebSocket entries, in file order.
    pub connections: Vec<HarConnection>,
}

/// One WebSocket entry.
#[derive(Clone, Debug, Serialize)]
pub struct HarConnection {
    /// Numbered from 1 in file order.
    pub id: u64,
    /// Its index in `log.entries` (from 0).
    pub entry: usize,
    /// The request URL as recorded (`ws://` or `wss://`).
    pub url: String,
    /// `startedDateTime`, as recorded.
    pub started: Option<String>,
    /// The response status (`None` when the entry has none, or 0 or -1: no response).
    pub status: Option<u16>,
    /// Why the connection failed, when the tool says (Playwright's `response._failureText`).
    pub failure: Option<String>,
    /// The request head rebuilt from the recorded headers.
    pub request_head: String,
    /// The response head rebuilt from the recorded headers, when there is a response.
    pub response_head: Option<String>,
    /// The core's analysis of the rebuilt heads, with the checks a HAR cannot decide marked as
    /// warnings that say so.
    pub handshake: HandshakeReport,
    /// The messages in file order.
    pub messages: Vec<HarMessage>,
    /// What can be checked on the messages.
    pub findings: Vec<HarFinding>,
    /// The limits of what a HAR shows ([`HEADERS_AS_RECORDED`], [`MESSAGES_NOT_FRAMES`]).
    pub notes: Vec<&'static str>,
}

/// One recorded message. It serialises its payload as `text` (a text message that is valid
/// UTF-8) or `hex` (everything else).
#[derive(Clone, Debug, PartialEq)]
pub struct HarMessage {
    /// Its index in the connection's messages (from 0).
    pub index: usize,
    /// `send` is the client's, `receive` the server's; anything else is unknown.
    pub direction: Direction,
    /// `time`: seconds since the epoch (a float), when present. Chrome and mitmproxy write
    /// seconds, Playwright milliseconds: a value above 10^11 (the year 5138 in seconds) is read
    /// as milliseconds and divided by 1000 (the connection's notes say so).
    pub time: Option<f64>,
    /// The opcode as recorded.
    pub opcode: OpCode,
    /// The payload: the text's bytes for opcode 1, the base64-decoded bytes otherwise.
    pub payload: Vec<u8>,
    /// Whether the payload is valid UTF-8 (asked of text messages only).
    pub utf8: Option<bool>,
    /// When the data could not be read as its opcode says (base64 that is not), what was done.
    pub data_note: Option<&'static str>,
}

impl HarMessage {
    /// The payload as text, when it is a text message and valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        if self.opcode == OpCode::TEXT {
            core::str::from_utf8(&self.payload).ok()
        } else {
            None
        }
    }
}

impl Serialize for HarMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            index: usize,
            direction: Direction,
            #[serde(skip_serializing_if = "Option::is_none")]
            time: Option<f64>,
            opcode: u8,
            kind: &'static str,
            length: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            utf8: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            text: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            hex: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            data_note: Option<&'static str>,
        }
        let text = self.text();
        Out {
            index: self.index,
            direction: self.direction,
            time: self.time,
            opcode: self.opcode.0,
            kind: self.opcode.label(),
            length: self.payload.len(),
            utf8: self.utf8,
            text,
            hex: text.is_none().then(|| hex(&self.payload)),
            data_note: self.data_note,
        }
        .serialize(s)
    }
}

/// A finding on one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HarFinding {
    /// The index of the message it is about (serialised as `message_index`: the finding's own
    /// `message` is its sentence).
    #[serde(rename = "message_index")]
    pub index: usize,
    /// Who sent that message.
    pub direction: Direction,
    /// The finding (code, severity, RFC section, sentence).
    #[serde(flatten)]
    pub finding: Finding,
}

// The parts of a HAR read here; everything else is skipped.

#[derive(Deserialize)]
struct Har {
    log: Option<Log>,
}

#[derive(Deserialize)]
struct Log {
    creator: Option<Creator>,
    entries: Option<Vec<Entry>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Creator {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    #[serde(rename = "startedDateTime")]
    started: Option<String>,
    request: Option<Req>,
    response: Option<Res>,
    #[serde(rename = "_webSocketMessages")]
    messages: Option<Vec<Msg>>,
    #[serde(rename = "_resourceType")]
    resource_type: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Req {
    method: Option<String>,
    url: Option<String>,
    #[serde(rename = "httpVersion")]
    http_version: Option<String>,
    headers: Vec<Header>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Res {
    status: Option<Value>,
    #[serde(rename = "statusText")]
    status_text: Option<String>,
    #[serde(rename = "httpVersion")]
    http_version: Option<String>,
    headers: Vec<Header>,
    #[serde(rename = "_failureText")]
    failure: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Msg {
    #[serde(rename = "type")]
    kind: Option<Value>,
    time: Option<Value>,
    opcode: Option<Value>,
    data: Option<Box<RawValue>>,
}

/// A message time above this is in milliseconds (10^11 seconds is in the year 5138).
const MS_FROM: f64 = 1e11;

/// A HAR connection's diagnoses (docs/diagnose.md): what its handshake shows (a refusal, the
/// Accept, the subprotocol; not the line endings, which a HAR does not keep) and the
/// conformance its whole messages allow. How TCP ended and the frames' bits are not in a HAR,
/// so the diagnoses that need them are never given.
pub fn diagnose(c: &HarConnection) -> wsinspect_core::diagnose::DiagnoseReport {
    let mut d = wsinspect_core::diagnose::Diagnoser::new();
    d.push_stream(Some(&c.handshake), None);
    // A message of an unknown type is nobody's.
    for m in c
        .messages
        .iter()
        .filter(|m| m.direction != Direction::Unknown)
    {
        let findings: Vec<Finding> = c
            .findings
            .iter()
            .filter(|f| f.index == m.index)
            .map(|f| f.finding.clone())
            .collect();
        d.push_message(m.direction, m.opcode.0, &findings);
    }
    d.finish(&wsinspect_core::diagnose::TcpEnds::UNKNOWN)
}

/// Read a whole HAR file.
///
/// ```
/// let har = br#"{"log": {"entries": [{"request": {"method": "GET", "url": "ws://h/",
///   "httpVersion": "HTTP/1.1", "headers": [{"name": "Upgrade", "value": "websocket"}]},
///   "response": {"status": 101, "headers": []},
///   "_webSocketMessages": [{"type": "send", "time": 1.5, "opcode": 1, "data": "hi"}]}]}}"#;
/// let capture = wsinspect_capture::har::read(har).unwrap();
/// assert_eq!(capture.connections[0].messages[0].text(), Some("hi"));
/// ```
pub fn read(bytes: &[u8]) -> Result<HarCapture, HarError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let har: Har = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's text ends with the position, which ours puts first.
        let text = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        let message = text.strip_suffix(&at).unwrap_or(&text).to_string();
        match e.classify() {
            serde_json::error::Category::Data => HarError::NotHar {
                line: Some(e.line()),
                column: Some(e.column()),
                message,
            },
            _ => HarError::NotJson {
                line: e.line(),
                column: e.column(),
                message,
            },
        }
    })?;
    let not_har = |message: &str| HarError::NotHar {
        line: None,
        column: None,
        message: message.to_string(),
    };
    let log = har
        .log
        .ok_or_else(|| not_har("the top-level object has no \"log\""))?;
    let entries = log
        .entries
        .ok_or_else(|| not_har("\"log\" has no \"entries\" array"))?;
    let creator = log.creator.and_then(|c| match (c.name, c.version) {
        (Some(n), Some(v)) => Some(format!("{n} {v}")),
        (n, v) => n.or(v),
    });
    let mut connections = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if is_websocket(entry) {
            connections.push(connection(connections.len() as u64 + 1, i, entry));
        }
    }
    Ok(HarCapture {
        creator,
        entries: entries.len(),
        connections,
    })
}

/// Whether `bytes` look like a HAR (or JSON meant as one): the first character after
/// whitespace (and a byte-order mark) is `{`. No capture file starts so.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn is_websocket(e: &Entry) -> bool {
    let status_101 = e
        .response
        .as_ref()
        .and_then(|r| r.status.as_ref())
        .and_then(Value::as_u64)
        == Some(101);
    let upgrade = e.request.as_ref().is_some_and(|r| {
        r.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("upgrade")
                && h.value
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
        })
    });
    status_101 || upgrade || e.messages.is_some() || e.resource_type.as_deref() == Some("websocket")
}

fn connection(id: u64, index: usize, e: &Entry) -> HarConnection {
    let empty = Req::default();
    let req = e.request.as_ref().unwrap_or(&empty);
    let url = req.url.clone().unwrap_or_default();
    let mut request_head = format!(
        "{} {} {}\r\n",
        req.method.as_deref().unwrap_or("GET"),
        target(&url),
        version(req.http_version.as_deref())
    );
    push_headers(&mut request_head, &req.headers);
    let status = e
        .response
        .as_ref()
        .and_then(|r| r.status.as_ref())
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| *s != 0);
    let response_head = e.response.as_ref().zip(status).map(|(res, status)| {
        let mut head = format!(
            "{} {} {}\r\n",
            version(res.http_version.as_deref()),
            status,
            res.status_text.as_deref().unwrap_or("")
        );
        push_headers(&mut head, &res.headers);
        head
    });
    let mut both = request_head.clone();
    both.push_str(response_head.as_deref().unwrap_or(""));
    let mut handshake = handshake::analyze(both.as_bytes());
    not_knowable(&mut handshake);
    let messages: Vec<HarMessage> = e
        .messages
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect();
    let findings = findings(&messages);
    let mut notes = vec![HEADERS_AS_RECORDED, MESSAGES_NOT_FRAMES];
    if e.messages.iter().flatten().any(|m| {
        m.time
            .as_ref()
            .and_then(Value::as_f64)
            .is_some_and(|t| t > MS_FROM)
    }) {
        notes.push(TIMES_IN_MS);
    }
    HarConnection {
        id,
        entry: index,
        url,
        started: e.started.clone(),
        status,
        failure: e.response.as_ref().and_then(|r| r.failure.clone()),
        request_head,
        response_head,
        handshake,
        messages,
        findings,
        notes,
    }
}

/// The request target of a URL: its path and query (`/` when it has none), no fragment.
fn target(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split('#').next().unwrap_or("");
    let path = match rest.find(['/', '?']) {
        Some(at) => &rest[at..],
        None => "",
    };
    match path.chars().next() {
        Some('/') => path.to_string(),
        _ => format!("/{path}"),
    }
}

/// The HTTP version as a request or status line spells it (`HTTP/1.1` when none is recorded).
fn version(v: Option<&str>) -> String {
    match v.map(str::trim) {
        None | Some("") => "HTTP/1.1".to_string(),
        Some(v) => v.to_ascii_uppercase(),
    }
}

fn push_headers(head: &mut String, headers: &[Header]) {
    for h in headers {
        head.push_str(&h.name);
        head.push_str(": ");
        head.push_str(&h.value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
}

/// The checks a HAR cannot decide (we wrote the line endings and the empty line) are unknown,
/// and say why.
fn not_knowable(report: &mut HandshakeReport) {
    for c in &mut report.checks {
        if matches!(
            c.id,
            CheckId::ReqLineEndings
                | CheckId::ResLineEndings
                | CheckId::ReqHeadEnd
                | CheckId::ResHeadEnd
        ) {
            c.status = Status::Unknown;
            c.message =
                "not knowable from a HAR: the head was rebuilt from the recorded headers".into();
            c.line = None;
        }
    }
    let mut summary = Summary::default();
    for c in &report.checks {
        match c.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => summary.fail += 1,
            Status::Warn => summary.warn += 1,
            Status::Unknown => summary.unknown += 1,
        }
    }
    report.summary = summary;
}

fn message(index: usize, m: &Msg) -> HarMessage {
    let direction = match m.kind.as_ref().and_then(Value::as_str) {
        Some("send") => Direction::Client,
        Some("receive") => Direction::Server,
        _ => Direction::Unknown,
    };
    let recorded = m
        .opcode
        .as_ref()
        .and_then(Value::as_u64)
        .and_then(|o| u8::try_from(o).ok());
    let opcode = OpCode(recorded.unwrap_or(1));
    let data = m.data.as_deref().map(data_bytes).unwrap_or_default();
    let (payload, data_note) = if opcode == OpCode::TEXT {
        (data, None)
    } else {
        let b64 = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        match b64.decode(&data) {
            Ok(bytes) => (bytes, None),
            Err(_) => (data, Some("the data is not base64: read as text")),
        }
    };
    let data_note = match recorded {
        None => Some("the opcode is missing or not a number 0-255: read as text"),
        Some(_) => data_note,
    };
    let utf8 = (opcode == OpCode::TEXT).then(|| core::str::from_utf8(&payload).is_ok());
    HarMessage {
        index,
        direction,
        time: m
            .time
            .as_ref()
            .and_then(Value::as_f64)
            .map(|t| if t > MS_FROM { t / 1000.0 } else { t }),
        opcode,
        payload,
        utf8,
        data_note,
    }
}

/// The bytes of a `data` value: a JSON string decoded with lone surrogates kept (see the
/// module's documentation); any other JSON value as its text.
fn data_bytes(raw: &RawValue) -> Vec<u8> {
    let s = raw.get().trim();
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return if s == "null" {
            Vec::new()
        } else {
            s.as_bytes().to_vec()
        };
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    let mut pending_high: Option<u32> = None;
    let push_unit = |out: &mut Vec<u8>, u: u32| {
        if (0xdc80..=0xdcff).contains(&u) {
            // Python's surrogateescape: the byte it stands for.
            out.push((u - 0xdc00) as u8);
        } else {
            // WTF-8: the 3-byte form of a lone surrogate (never valid UTF-8).
            out.extend([
                0xe0 | (u >> 12) as u8,
                0x80 | ((u >> 6) & 0x3f) as u8,
                0x80 | (u & 0x3f) as u8,
            ]);
        }
    };
    while let Some(c) = chars.next() {
        let unit = if c == '\\' {
            match chars.next() {
                Some('u') => {
                    let digits: String = chars.by_ref().take(4).collect();
                    u32::from_str_radix(&digits, 16).ok()
                }
                Some(e) => Some(match e {
                    'b' => 0x08,
                    'f' => 0x0c,
                    'n' => 0x0a,
                    'r' => 0x0d,
                    't' => 0x09,
                    other => other as u32,
                }),
                None => None,
            }
        } else {
            None
        };
        // A high surrogate waits for its low half.
        if let Some(high) = pending_high.take() {
            if let Some(low @ 0xdc00..=0xdfff) = unit {
                let c = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                if let Some(c) = char::from_u32(c) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                continue;
            }
            push_unit(&mut out, high);
        }
        match unit {
            Some(u @ 0xd800..=0xdbff) => pending_high = Some(u),
            Some(u @ 0xdc00..=0xdfff) => push_unit(&mut out, u),
            Some(u) => {
                if let Some(c) = char::from_u32(u) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            None if c == '\\' => {}
            None => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    if let Some(high) = pending_high {
        push_unit(&mut out, high);
    }
    out
}

/// What can be checked on whole messages: text that is not UTF-8, close bodies (length, code,
/// reason), control payloads over 125 bytes, reserved opcodes, data after a side's close.
fn findings(messages: &[HarMessage]) -> Vec<HarFinding> {
    let mut out = Vec::new();
    let mut closed = [false; 3];
    for m in messages {
        let side = m.direction as usize;
        let mut push = |finding: Finding| {
            out.push(HarFinding {
                index: m.index,
                direction: m.direction,
                finding,
            })
        };
        if m.utf8 == Some(false) {
            push(Finding::new(Rule::InvalidUtf8, m.index));
        }
        if m.opcode.is_reserved() {
            push(
                Finding::new(Rule::ReservedOpcode, m.index)
                    .with_message(format!("opcode {} is reserved", m.opcode.0)),
            );
        }
        if m.opcode.is_control() && m.payload.len() > 125 {
            push(
                Finding::new(Rule::ControlTooLong, m.index).with_message(format!(
                    "a {}-byte control payload (at most 125)",
                    m.payload.len()
                )),
            );
        }
        if m.opcode.starts_message() && closed[side] && m.direction != Direction::Unknown {
            push(Finding::new(Rule::FrameAfterClose, m.index));
        }
        if m.opcode == OpCode::CLOSE {
            closed[side] = true;
            match m.payload.len() {
                0 => {}
                1 => push(Finding::new(Rule::ClosePayloadTooShort, m.index)),
                _ => {
                    let code = CloseCode(u16::from_be_bytes([m.payload[0], m.payload[1]]));
                    if code.usage() != CloseCodeUse::Valid {
                        push(
                            Finding::new(Rule::InvalidCloseCode, m.index).with_message(format!(
                                "close code {} ({}) must not be sent in a Close frame",
                                code.0,
                                code.describe()
                            )),
                        );
                    }
                    if core::str::from_utf8(&m.payload[2..]).is_err() {
                        push(
                            Finding::new(Rule::InvalidUtf8, m.index)
                                .with_message("the close reason is not valid UTF-8"),
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Vec<u8> {
        data_bytes(&RawValue::from_string(s.to_string()).unwrap())
    }

    #[test]
    fn data_strings_keep_lone_surrogates_as_bytes() {
        assert_eq!(raw(r#""h\u00e9\n""#), "hé\n".as_bytes());
        assert_eq!(raw(r#""\ud83d\ude00""#), "😀".as_bytes());
        assert_eq!(raw(r#""a\udcffb""#), b"a\xffb");
        assert_eq!(raw(r#""\ud800x""#), b"\xed\xa0\x80x");
        assert_eq!(raw(r#""\"\\\/""#), b"\"\\/");
        assert_eq!(raw("null"), b"");
    }

    #[test]
    fn targets_come_from_the_url() {
        assert_eq!(target("ws://h:1/chat?x=1#f"), "/chat?x=1");
        assert_eq!(target("wss://h"), "/");
        assert_eq!(target("ws://h?q"), "/?q");
    }
}
