//! The opening handshake (RFC 6455 §4), analysed: parsed as captured, checked item by item
//! against the RFC, the Accept math verified and explained, and the negotiated session (the
//! subprotocol, the extensions and the permessage-deflate settings per direction) extracted.
//!
//! Input is text or bytes as captured: the request alone, the response alone, both one after the
//! other, or a whole captured stream where frames follow the handshake ([`split_stream`] says
//! where they begin and who sent them). The obsolete draft-76 handshake and HTTP/2 extended
//! CONNECT (RFC 8441) are recognised and explained.

use core::ops::Range;

use serde::Serialize;

use accept::AcceptSteps;

pub mod accept;
pub mod checks;
pub mod detect;
pub mod http;

pub use crate::ext::extensions::{Deflate, DeflateParams, Extension};
pub use checks::{check_def, CheckDef, CHECKS};
pub use http::{Fields, Head, Request, Response};

use crate::ext::extensions::{
    deflate_answer_errors, deflate_param_errors, deflate_session, parse_extensions,
};
use http::{line_of, parse_head, Side};

/// The outcome of one checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The requirement is met.
    Pass,
    /// Not a violation a peer must fail on, but worth knowing (or not checkable here).
    Warn,
    /// The requirement is violated.
    Fail,
}

/// The result of one checklist item on this handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The item's id in [`CHECKS`].
    pub id: &'static str,
    /// Pass, fail or warn.
    pub status: Status,
    /// The section that states the requirement.
    pub rfc: &'static str,
    /// What was found, with positions where they help.
    pub message: String,
    /// The first line (1-based, in the whole input) the result is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// A finding before it is matched to the table.
#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub id: String,
    pub status: Status,
    pub line: Option<usize>,
    pub message: String,
}

/// Which handshake this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The RFC 6455 handshake over HTTP/1.1 (or an unrecognisable one, judged as RFC 6455).
    Rfc6455,
    /// The obsolete draft-76 (hixie-76) handshake: Sec-WebSocket-Key1/Key2.
    Draft76,
    /// HTTP/2 extended CONNECT (RFC 8441), as pseudo-header text.
    Http2,
}

/// Who sent some bytes: the frame decoder's direction (only `Client` or `Server` here).
pub use crate::common::Direction;

/// Bytes that follow the handshake: frames, for the frame decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FrameBytes {
    /// Where they start in the input.
    pub offset: usize,
    /// How many there are.
    pub len: usize,
    /// Who sent them: the side whose handshake message they follow.
    pub direction: Direction,
}

/// Where the parts of a captured stream are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Split {
    /// Which handshake form.
    pub kind: Kind,
    /// The request head (with its empty line), if the input has one.
    pub request: Option<Range<usize>>,
    /// The response head (with its empty line), if the input has one.
    pub response: Option<Range<usize>>,
    /// Draft-76 only: the 8 key bytes after the request head.
    pub draft76_key3: Option<Range<usize>>,
    /// Draft-76 only: the 16 challenge-answer bytes after the response head.
    pub draft76_answer: Option<Range<usize>>,
    /// Bytes after the handshake, when there are any besides trailing blank lines.
    pub frames: Option<FrameBytes>,
    /// How many whitespace bytes (spaces, tabs, CR, LF) at the end were left out.
    pub trailing_whitespace: usize,
}

fn skip_blank(input: &[u8], mut at: usize) -> usize {
    while at < input.len() && matches!(input[at], b' ' | b'\t' | b'\r' | b'\n') {
        at += 1;
    }
    at
}

fn head_has(input: &[u8], r: &Range<usize>, name: &str) -> bool {
    input[r.clone()].split(|&b| b == b'\n').any(|l| {
        l.len() > name.len()
            && l[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && l[name.len()] == b':'
    })
}

/// Find where the request and/or response end and where frame bytes begin.
///
/// ```
/// use wsinspect_core::handshake::{split_stream, Direction};
/// let s = split_stream(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi");
/// assert_eq!(s.response, Some(0..56));
/// let f = s.frames.unwrap();
/// assert_eq!((f.offset, f.len, f.direction), (56, 4, Direction::Server));
/// ```
pub fn split_stream(input: &[u8]) -> Split {
    let mut s = Split {
        kind: Kind::Rfc6455,
        request: None,
        response: None,
        draft76_key3: None,
        draft76_answer: None,
        frames: None,
        trailing_whitespace: 0,
    };
    let mut at = skip_blank(input, 0);
    if input.get(at) == Some(&b':') {
        s.kind = Kind::Http2;
        let (req, res) = h2_blocks(input, at);
        s.request = req;
        s.response = res;
        let end = s
            .response
            .as_ref()
            .or(s.request.as_ref())
            .map_or(at, |r| r.end);
        s.trailing_whitespace = input.len() - end;
        return s;
    }
    let mut last = None;
    if at < input.len() && !input[at..].starts_with(b"HTTP/") {
        let p = parse_head(input, at, Side::Request);
        let r = at..p.head.end;
        at = r.end;
        if head_has(input, &r, "Sec-WebSocket-Key1") && !head_has(input, &r, "Sec-WebSocket-Key") {
            s.kind = Kind::Draft76;
            let k = at..(at + 8).min(input.len());
            at = k.end;
            s.draft76_key3 = Some(k);
        }
        s.request = Some(r);
        last = Some(Direction::Client);
    }
    let next = skip_blank(input, at);
    if input[next..].starts_with(b"HTTP/") {
        let p = parse_head(input, next, Side::Response);
        let r = next..p.head.end;
        at = r.end;
        let legacy_alone = s.request.is_none()
            && head_has(input, &r, "Sec-WebSocket-Location")
            && !head_has(input, &r, "Sec-WebSocket-Accept");
        if s.kind == Kind::Draft76 || legacy_alone {
            s.kind = Kind::Draft76;
            let a = at..(at + 16).min(input.len());
            at = a.end;
            s.draft76_answer = Some(a);
        }
        s.response = Some(r);
        last = Some(Direction::Server);
    }
    if skip_blank(input, at) == input.len() {
        s.trailing_whitespace = input.len() - at;
    } else if let Some(direction) = last {
        s.frames = Some(FrameBytes {
            offset: at,
            len: input.len() - at,
            direction,
        });
    }
    s
}

/// The request and response blocks of HTTP/2 pseudo-header text.
fn h2_blocks(input: &[u8], start: usize) -> (Option<Range<usize>>, Option<Range<usize>>) {
    let mut lines = Vec::new();
    let mut pos = start;
    while pos < input.len() {
        let next = input[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| pos + i + 1);
        lines.push(pos..next);
        pos = next;
    }
    let is_status = |r: &Range<usize>| input[r.clone()].starts_with(b":status");
    let blank = |r: &Range<usize>| input[r.clone()].iter().all(|b| b.is_ascii_whitespace());
    let mut i = 0;
    let mut req = None;
    if !lines.first().is_some_and(is_status) {
        while i < lines.len() && !blank(&lines[i]) && !is_status(&lines[i]) {
            i += 1;
        }
        req = Some(start..lines.get(i).map_or(input.len(), |l| l.start));
        while i < lines.len() && blank(&lines[i]) {
            i += 1;
        }
    }
    let mut res = None;
    if lines.get(i).is_some_and(is_status) {
        let s = lines[i].start;
        while i < lines.len() && !blank(&lines[i]) {
            i += 1;
        }
        res = Some(s..lines.get(i).map_or(input.len(), |l| l.start));
    }
    (req, res)
}

/// What the handshake negotiated: what configures the frame decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Negotiated {
    /// The subprotocol the server selected.
    pub subprotocol: Option<String>,
    /// The extensions the server accepted, in order.
    pub extensions: Vec<Extension>,
    /// The response's Sec-WebSocket-Extensions value (all fields combined), for
    /// `DecodeConfig::from_extensions`.
    pub extensions_header: Option<String>,
    /// The permessage-deflate settings per direction, when it was accepted.
    pub permessage_deflate: Option<Deflate>,
}

/// Draft-76 challenge: the numbers hidden in Key1/Key2 and the MD5 answer they call for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Draft76 {
    /// Key1's digits divided by its number of spaces (None when that is not a whole number).
    pub key1: Option<u32>,
    /// Key2's digits divided by its number of spaces.
    pub key2: Option<u32>,
    /// The 8 bytes after the request head, in hex.
    pub key3: Option<String>,
    /// MD5(key1 BE32 ‖ key2 BE32 ‖ key3) in hex: the 16 bytes the server must send after its head.
    pub expected: Option<String>,
    /// The 16 bytes the server sent after its head, in hex.
    pub received: Option<String>,
}

/// Everything known about one handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandshakeReport {
    /// Which handshake form.
    pub kind: Kind,
    /// The request, if the input has one.
    pub request: Option<Request>,
    /// The response, if the input has one.
    pub response: Option<Response>,
    /// One result per applicable checklist item, in table order.
    pub checks: Vec<CheckResult>,
    /// How many checks passed, failed and warned.
    pub summary: Summary,
    /// The Accept math, when there is a key to compute it from.
    pub accept: Option<AcceptSteps>,
    /// The subprotocol the server selected.
    pub subprotocol: Option<String>,
    /// The extensions the server accepted.
    pub extensions: Vec<Extension>,
    /// The response's Sec-WebSocket-Extensions value, for the frame decoder.
    pub extensions_header: Option<String>,
    /// The negotiated permessage-deflate settings per direction.
    pub permessage_deflate: Option<Deflate>,
    /// The draft-76 challenge, for a draft-76 handshake.
    pub draft76: Option<Draft76>,
    /// Where the parts of the input are.
    pub split: Split,
}

/// Counts of check results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Passed checks.
    pub pass: usize,
    /// Failed checks.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
}

impl HandshakeReport {
    /// The result of the check with this id, if it applied.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The negotiated session.
    pub fn negotiated(&self) -> Negotiated {
        Negotiated {
            subprotocol: self.subprotocol.clone(),
            extensions: self.extensions.clone(),
            extensions_header: self.extensions_header.clone(),
            permessage_deflate: self.permessage_deflate,
        }
    }
}

/// Analyse a captured handshake: request, response, or both, possibly followed by frames.
///
/// ```
/// use wsinspect_core::handshake::{analyze, Status};
/// let r = analyze(b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
/// Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
/// Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n\
/// HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
/// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
/// assert!(r.checks.iter().all(|c| c.status == Status::Pass));
/// ```
pub fn analyze(input: &[u8]) -> HandshakeReport {
    let split = split_stream(input);
    let mut issues = Vec::new();
    let (request, response) = match split.kind {
        Kind::Http2 => (
            split.request.clone().map(|r| h2_request(input, r)),
            split.response.clone().map(|r| h2_response(input, r)),
        ),
        _ => (
            split.request.as_ref().map(|r| {
                let p = parse_head(input, r.start, Side::Request);
                issues.extend(p.issues);
                let mut f = p.first.into_iter();
                Request {
                    method: f.next().unwrap_or_default(),
                    target: f.next().unwrap_or_default(),
                    version: f.next().unwrap_or_default(),
                    headers: p.headers,
                    head: p.head,
                }
            }),
            split.response.as_ref().map(|r| {
                let p = parse_head(input, r.start, Side::Response);
                issues.extend(p.issues);
                let mut f = p.first.into_iter();
                let version = f.next().unwrap_or_default();
                let code = f.next().unwrap_or_default();
                let status = if code.len() == 3 {
                    code.parse().unwrap_or(0)
                } else {
                    0
                };
                if status == 0 {
                    issues.push(Issue {
                        id: "res-syntax".into(),
                        status: Status::Fail,
                        line: Some(p.head.first_line),
                        message: format!(
                            "line {}: the status code {code:?} is not a three-digit number",
                            p.head.first_line
                        ),
                    });
                }
                Response {
                    version,
                    status,
                    reason: f.next().unwrap_or_default(),
                    headers: p.headers,
                    head: p.head,
                }
            }),
        ),
    };
    let mut ctx = Ctx {
        issues,
        accept: None,
        negotiated: Negotiated::default(),
    };
    let mut draft76 = None;
    match split.kind {
        Kind::Rfc6455 => {
            if let Some(req) = &request {
                client_checks(&mut ctx, req);
            }
            if let Some(res) = &response {
                server_checks(&mut ctx, request.as_ref(), res);
            }
        }
        Kind::Draft76 => {
            draft76 = Some(draft76_checks(
                &mut ctx,
                input,
                &split,
                request.as_ref(),
                response.as_ref(),
            ))
        }
        Kind::Http2 => h2_checks(&mut ctx, request.as_ref(), response.as_ref()),
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        ctx.issues.push(Issue {
            id: "req-syntax".into(),
            status: Status::Fail,
            line: None,
            message: "the input is empty: paste a request, a response, or both".into(),
        });
    }
    let checks = finish(ctx.issues);
    let mut summary = Summary::default();
    for c in &checks {
        match c.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => summary.fail += 1,
            Status::Warn => summary.warn += 1,
        }
    }
    HandshakeReport {
        kind: split.kind,
        request,
        response,
        checks,
        summary,
        accept: ctx.accept,
        subprotocol: ctx.negotiated.subprotocol,
        extensions: ctx.negotiated.extensions,
        extensions_header: ctx.negotiated.extensions_header,
        permessage_deflate: ctx.negotiated.permessage_deflate,
        draft76,
        split,
    }
}

/// Merge issues into one result per table item, in table order, worst status first.
fn finish(issues: Vec<Issue>) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .filter_map(|def| {
            let mine: Vec<&Issue> = issues.iter().filter(|i| i.id == def.id).collect();
            let status = mine.iter().map(|i| i.status).max()?;
            // A pass next to a problem for the same item says nothing more.
            let shown: Vec<&&Issue> = mine
                .iter()
                .filter(|i| status == Status::Pass || i.status != Status::Pass)
                .collect();
            Some(CheckResult {
                id: def.id,
                status,
                rfc: def.rfc,
                message: shown
                    .iter()
                    .map(|i| i.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                line: shown.iter().find_map(|i| i.line),
            })
        })
        .collect()
}

struct Ctx {
    issues: Vec<Issue>,
    accept: Option<AcceptSteps>,
    negotiated: Negotiated,
}

impl Ctx {
    fn push(&mut self, id: &str, status: Status, line: Option<usize>, message: impl Into<String>) {
        self.issues.push(Issue {
            id: id.to_string(),
            status,
            line,
            message: message.into(),
        });
    }
}

/// The line of the first header named `name`.
fn line_of_header(h: &[(String, String)], head: &Head, name: &str) -> Option<usize> {
    h.iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|i| head.header_lines.get(i).copied())
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether an `HTTP/x.y` version is 1.1 or later.
fn version_at_least_1_1(v: &str) -> bool {
    let Some(num) = v.strip_prefix("HTTP/") else {
        return false;
    };
    let (major, minor) = num.split_once('.').unwrap_or((num, "0"));
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(ma), Ok(mi)) => (ma, mi) >= (1, 1),
        _ => false,
    }
}

const REGISTERED: &[&str] = &[
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
];

fn header_case(ctx: &mut Ctx, id: &str, headers: &[(String, String)], head: &Head) {
    let odd: Vec<(usize, &str, &str)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, (n, _))| {
            let reg = REGISTERED.iter().find(|r| r.eq_ignore_ascii_case(n))?;
            (n != reg && *n != reg.to_ascii_lowercase())
                .then(|| (head.header_lines[i], n.as_str(), *reg))
        })
        .collect();
    if odd.is_empty() {
        ctx.push(
            id,
            Status::Pass,
            None,
            "WebSocket header names are spelled as registered (or all in lower case)",
        );
    } else {
        let list: Vec<String> = odd
            .iter()
            .map(|(l, n, r)| format!("line {l}: `{n}` (registered: `{r}`)"))
            .collect();
        ctx.push(
            id,
            Status::Warn,
            Some(odd[0].0),
            format!(
                "{}; valid, since header names are case-insensitive, but peers that look headers up case-sensitively will not find them",
                list.join(", ")
            ),
        );
    }
}

fn client_checks(ctx: &mut Ctx, req: &Request) {
    let h = &req.headers;
    let first = Some(req.head.first_line);
    let at = |name: &str| line_of_header(h, &req.head, name);
    if req.method == "GET" {
        ctx.push("req-method", Status::Pass, first, "the method is GET");
    } else {
        ctx.push("req-method", Status::Fail, first, format!("the method is `{}`; the handshake must be a GET request (methods are case-sensitive)", req.method));
    }
    if version_at_least_1_1(&req.version) {
        ctx.push(
            "req-version",
            Status::Pass,
            first,
            format!("{} is HTTP/1.1 or later", req.version),
        );
    } else {
        ctx.push(
            "req-version",
            Status::Fail,
            first,
            format!(
                "`{}` is not HTTP/1.1 or later (written exactly `HTTP/1.1`)",
                req.version
            ),
        );
    }
    let t = &req.target;
    let lower = t.to_ascii_lowercase();
    if t.contains('#') {
        ctx.push("req-target", Status::Fail, first, format!("the target `{t}` has a fragment ('#'); WebSocket URIs must not have one (RFC 6455 §3)"));
    } else if t.starts_with('/') || lower.starts_with("http://") || lower.starts_with("https://") {
        ctx.push(
            "req-target",
            Status::Pass,
            first,
            format!("the target is `{t}`"),
        );
    } else if lower.starts_with("ws://") || lower.starts_with("wss://") {
        ctx.push("req-target", Status::Warn, first, format!("the target `{t}` is a ws:// URI, as browser developer tools display it; on the wire the request line carries the path (`/...`) or an http(s) URI, and servers may reject this one"));
    } else {
        ctx.push(
            "req-target",
            Status::Fail,
            first,
            format!(
                "the target `{t}` is neither a path starting with '/' nor an absolute http(s) URI"
            ),
        );
    }
    match h
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Host"))
        .count()
    {
        1 if req.values("Host").next().is_some_and(|v| !v.is_empty()) => ctx.push(
            "req-host",
            Status::Pass,
            at("Host"),
            format!("Host: {}", req.values("Host").next().unwrap_or("")),
        ),
        0 => ctx.push(
            "req-host",
            Status::Fail,
            first,
            "there is no Host header; HTTP/1.1 requires exactly one",
        ),
        1 => ctx.push(
            "req-host",
            Status::Fail,
            at("Host"),
            "the Host header is empty",
        ),
        n => ctx.push(
            "req-host",
            Status::Fail,
            at("Host"),
            format!("there are {n} Host headers; HTTP/1.1 requires exactly one"),
        ),
    }
    token_check(ctx, "req-upgrade", req, &req.head, "Upgrade", "websocket");
    token_check(
        ctx,
        "req-connection",
        req,
        &req.head,
        "Connection",
        "Upgrade",
    );
    let keys: Vec<&str> = req.values("Sec-WebSocket-Key").collect();
    match keys.as_slice() {
        [] => ctx.push("req-key", Status::Fail, first, "there is no Sec-WebSocket-Key header; without it the server cannot prove it speaks WebSocket"),
        [k] => {
            let steps = accept::explain(k, None);
            if steps.key_valid {
                ctx.push("req-key", Status::Pass, at("Sec-WebSocket-Key"), format!("`{k}` is base64 of 16 bytes"));
            } else {
                use base64::Engine as _;
                let why = match base64::engine::general_purpose::STANDARD.decode(steps.trimmed.as_bytes()) {
                    Ok(b) => format!("it decodes to {} bytes, not 16", b.len()),
                    Err(e) => format!("it is not valid base64 ({e})"),
                };
                ctx.push("req-key", Status::Fail, at("Sec-WebSocket-Key"), format!("`{k}`: {why}; the key must be 16 random bytes in base64 (24 characters ending in `==`)"));
            }
            ctx.accept = Some(steps);
        }
        _ => ctx.push("req-key", Status::Fail, at("Sec-WebSocket-Key"), format!("there are {} Sec-WebSocket-Key headers; there must be exactly one", keys.len())),
    }
    let versions = req.tokens("Sec-WebSocket-Version");
    match versions.as_slice() {
        [v] if v == "13" => ctx.push("req-ws-version", Status::Pass, at("Sec-WebSocket-Version"), "Sec-WebSocket-Version: 13"),
        [] => ctx.push("req-ws-version", Status::Fail, first, "there is no Sec-WebSocket-Version header; RFC 6455 clients send 13"),
        v => ctx.push("req-ws-version", Status::Fail, at("Sec-WebSocket-Version"), format!("Sec-WebSocket-Version is `{}`; it must be exactly 13 (8 and 7 were drafts, a server answers 426 listing what it speaks)", v.join(", "))),
    }
    if req.values("Origin").next().is_some() || req.values("Sec-WebSocket-Origin").next().is_some()
    {
        ctx.push(
            "req-origin",
            Status::Pass,
            at("Origin"),
            format!(
                "Origin: {}",
                req.combined("Origin")
                    .or(req.combined("Sec-WebSocket-Origin"))
                    .unwrap_or_default()
            ),
        );
    } else {
        ctx.push("req-origin", Status::Warn, first, "there is no Origin header: fine for a non-browser client, but browsers always send it, so this request did not come from a page (and servers that check Origin will refuse it)");
    }
    let offers = req.tokens("Sec-WebSocket-Protocol");
    if offers.is_empty() {
        ctx.push("req-protocol", Status::Pass, None, "no subprotocol offered");
    } else {
        let bad: Vec<&String> = offers.iter().filter(|o| !is_token(o)).collect();
        let dup: Vec<&String> = offers
            .iter()
            .enumerate()
            .filter(|(i, o)| offers[..*i].contains(o))
            .map(|(_, o)| o)
            .collect();
        if bad.is_empty() && dup.is_empty() {
            ctx.push(
                "req-protocol",
                Status::Pass,
                at("Sec-WebSocket-Protocol"),
                format!("offers {}", offers.join(", ")),
            );
        } else {
            ctx.push(
                "req-protocol",
                Status::Fail,
                at("Sec-WebSocket-Protocol"),
                format!(
                    "subprotocols must be unique tokens: {}{}",
                    if bad.is_empty() {
                        String::new()
                    } else {
                        format!("not tokens: {bad:?} ")
                    },
                    if dup.is_empty() {
                        String::new()
                    } else {
                        format!("repeated: {dup:?}")
                    }
                ),
            );
        }
    }
    match req.combined("Sec-WebSocket-Extensions") {
        None => ctx.push("req-extensions", Status::Pass, None, "no extension offered"),
        Some(v) => {
            let line = at("Sec-WebSocket-Extensions");
            let offers = parse_extensions(&v);
            let mut errs = Vec::new();
            for e in &offers {
                if !is_token(&e.name) {
                    errs.push(format!("`{}` is not a token", e.name));
                }
                if e.name.eq_ignore_ascii_case("permessage-deflate") {
                    errs.extend(deflate_param_errors(e, false));
                }
            }
            if errs.is_empty() {
                let names: Vec<&str> = offers.iter().map(|e| e.name.as_str()).collect();
                ctx.push(
                    "req-extensions",
                    Status::Pass,
                    line,
                    format!("offers {}", names.join(", ")),
                );
            } else {
                ctx.push(
                    "req-extensions",
                    Status::Fail,
                    line,
                    format!("{}; a server must decline such an offer", errs.join("; ")),
                );
            }
        }
    }
    header_case(ctx, "req-header-case", h, &req.head);
}

fn token_check(ctx: &mut Ctx, id: &str, msg: &impl Fields, head: &Head, name: &str, token: &str) {
    let line = line_of_header(msg.pairs(), head, name);
    match msg.combined(name) {
        _ if msg.has_token(name, token) => ctx.push(id, Status::Pass, line, format!("{name} contains `{token}`")),
        None => ctx.push(id, Status::Fail, Some(head.first_line), format!("there is no {name} header; it must contain `{token}`")),
        Some(v) => ctx.push(id, Status::Fail, line, format!("{name} is `{v}`; it must contain the token `{token}` (any case, as one item of a comma-separated list)")),
    }
}

/// What a non-101 status means for a WebSocket client.
fn explain_status(status: u16) -> &'static str {
    match status {
        200 => "the server answered as for a plain HTTP request: nothing at this URL speaks WebSocket (or a proxy or framework swallowed the Upgrade)",
        301 | 302 | 303 | 307 | 308 => "a redirect: browsers do not follow redirects in the WebSocket handshake, so the connection fails; use the final URL",
        400 => "Bad Request: the server found the handshake malformed (often a missing or invalid header, or an unsupported version, then listed in Sec-WebSocket-Version)",
        401 => "Unauthorized: the server wants credentials before it accepts the connection",
        403 => "Forbidden: the server refused the connection, often because it does not allow this Origin",
        404 => "Not Found: there is no WebSocket endpoint at this path",
        426 => "Upgrade Required: the server does not speak the requested WebSocket version; Sec-WebSocket-Version lists the versions it does",
        429 => "Too Many Requests: the server is rate-limiting connections",
        500..=599 => "a server error: the server failed while handling the handshake",
        _ => "any status other than 101 means the handshake did not complete",
    }
}

fn server_checks(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    let h = &res.headers;
    let first = Some(res.head.first_line);
    let at = |name: &str| line_of_header(h, &res.head, name);
    if res.version == "HTTP/1.1" {
        ctx.push("res-version", Status::Pass, first, "HTTP/1.1");
    } else if version_at_least_1_1(&res.version) {
        ctx.push(
            "res-version",
            Status::Warn,
            first,
            format!("`{}`: a 101 answer is sent in HTTP/1.1", res.version),
        );
    } else {
        ctx.push(
            "res-version",
            Status::Fail,
            first,
            format!(
                "`{}` is not HTTP/1.1 (written exactly `HTTP/1.1`)",
                res.version
            ),
        );
    }
    if res.status != 101 {
        ctx.push(
            "res-status",
            Status::Fail,
            first,
            format!(
                "the status is {} {}: {}",
                res.status,
                res.reason,
                explain_status(res.status)
            ),
        );
        let listed = res.tokens("Sec-WebSocket-Version");
        if !listed.is_empty() {
            let sent = req
                .map(|r| r.tokens("Sec-WebSocket-Version").join(", "))
                .unwrap_or_default();
            ctx.push(
                "res-ws-version",
                Status::Pass,
                at("Sec-WebSocket-Version"),
                format!(
                    "the server speaks version{} {}{}",
                    if listed.len() > 1 { "s" } else { "" },
                    listed.join(", "),
                    if sent.is_empty() {
                        String::new()
                    } else {
                        format!("; the client asked for {sent}")
                    }
                ),
            );
        } else if matches!(res.status, 400 | 426) {
            ctx.push("res-ws-version", Status::Warn, first, format!("a {} answer to a WebSocket request should list the versions the server speaks in Sec-WebSocket-Version", res.status));
        }
        header_case(ctx, "res-header-case", h, &res.head);
        return;
    }
    ctx.push(
        "res-status",
        Status::Pass,
        first,
        format!("101 {}", res.reason),
    );
    token_check(ctx, "res-upgrade", res, &res.head, "Upgrade", "websocket");
    token_check(
        ctx,
        "res-connection",
        res,
        &res.head,
        "Connection",
        "Upgrade",
    );
    let received: Vec<&str> = res.values("Sec-WebSocket-Accept").collect();
    let line = at("Sec-WebSocket-Accept");
    let key = req.and_then(|r| {
        let k: Vec<&str> = r.values("Sec-WebSocket-Key").collect();
        (k.len() == 1).then(|| k[0].to_string())
    });
    match (received.as_slice(), key) {
        ([], _) => ctx.push(
            "res-accept",
            Status::Fail,
            first,
            "there is no Sec-WebSocket-Accept header; the client fails the connection",
        ),
        ([_, _, ..], _) => ctx.push(
            "res-accept",
            Status::Fail,
            line,
            format!(
                "there are {} Sec-WebSocket-Accept headers; there must be exactly one",
                received.len()
            ),
        ),
        ([r], None) => ctx.push(
            "res-accept",
            Status::Warn,
            line,
            format!("received `{r}`; cannot verify it without the request's Sec-WebSocket-Key"),
        ),
        ([r], Some(k)) => {
            let steps = accept::explain(&k, Some(r));
            if steps.matches == Some(true) {
                ctx.push(
                    "res-accept",
                    Status::Pass,
                    line,
                    format!("`{r}` = base64(SHA-1(key + GUID))"),
                );
            } else {
                let d = steps
                    .diagnosis
                    .as_ref()
                    .map(|d| d.message.as_str())
                    .unwrap_or("");
                ctx.push(
                    "res-accept",
                    Status::Fail,
                    line,
                    format!(
                        "Accept mismatch: expected `{}`, received `{r}`. {d}",
                        steps.expected
                    ),
                );
            }
            ctx.accept = Some(steps);
        }
    }
    // Subprotocol.
    let offers = req.map(|r| r.tokens("Sec-WebSocket-Protocol"));
    let chosen = res.tokens("Sec-WebSocket-Protocol");
    let pline = at("Sec-WebSocket-Protocol");
    match (chosen.as_slice(), &offers) {
        ([], Some(o)) if !o.is_empty() => ctx.push("res-protocol", Status::Pass, None, format!("the server selected no subprotocol (offered: {}); a client that requires one closes the connection", o.join(", "))),
        ([], _) => ctx.push("res-protocol", Status::Pass, None, "no subprotocol"),
        ([p], Some(o)) if o.contains(p) => {
            ctx.push("res-protocol", Status::Pass, pline, format!("selected `{p}`, one of the offers"));
            ctx.negotiated.subprotocol = Some(p.clone());
        }
        ([p], Some(o)) if o.is_empty() => ctx.push("res-protocol", Status::Fail, pline, format!("selected `{p}` but the client offered no subprotocol; the client fails the connection")),
        ([p], Some(o)) => ctx.push("res-protocol", Status::Fail, pline, format!("selected `{p}`, which the client did not offer (offers: {}; exact, case-sensitive match)", o.join(", "))),
        ([p], None) => {
            ctx.push("res-protocol", Status::Warn, pline, format!("selected `{p}`; cannot check it against the offers without the request"));
            ctx.negotiated.subprotocol = Some(p.clone());
        }
        (many, _) => ctx.push("res-protocol", Status::Fail, pline, format!("the server must select exactly one subprotocol, but sent {}", many.join(", "))),
    }
    // Extensions.
    let value = res.combined("Sec-WebSocket-Extensions");
    let eline = at("Sec-WebSocket-Extensions");
    match &value {
        None => ctx.push(
            "res-extensions",
            Status::Pass,
            None,
            "no extension accepted",
        ),
        Some(v) => {
            let accepted = parse_extensions(v);
            let offered = req.map(|r| {
                r.combined("Sec-WebSocket-Extensions")
                    .map(|v| parse_extensions(&v))
                    .unwrap_or_default()
            });
            let mut errs = Vec::new();
            let mut pmd_seen = 0;
            for e in &accepted {
                let same: Vec<&Extension> = offered
                    .iter()
                    .flatten()
                    .filter(|o| o.name.eq_ignore_ascii_case(&e.name))
                    .collect();
                if offered.is_some() && same.is_empty() {
                    errs.push(format!("`{}` was not offered by the client", e.name));
                }
                if e.name.eq_ignore_ascii_case("permessage-deflate") {
                    pmd_seen += 1;
                    errs.extend(deflate_param_errors(e, true));
                    if !same.is_empty() {
                        let fits: Vec<Vec<String>> =
                            same.iter().map(|o| deflate_answer_errors(o, e)).collect();
                        if fits.iter().all(|f| !f.is_empty()) {
                            errs.extend(fits[0].iter().cloned());
                        }
                    }
                    if ctx.negotiated.permessage_deflate.is_none() {
                        ctx.negotiated.permessage_deflate = Some(deflate_session(e));
                    }
                }
            }
            if pmd_seen > 1 {
                errs.push("permessage-deflate is accepted more than once; a server accepts at most one offer".into());
            }
            if errs.is_empty() {
                let names: Vec<&str> = accepted.iter().map(|e| e.name.as_str()).collect();
                let status = if offered.is_some() {
                    Status::Pass
                } else {
                    Status::Warn
                };
                let tail = if offered.is_some() {
                    ""
                } else {
                    "; cannot check them against the offers without the request"
                };
                ctx.push(
                    "res-extensions",
                    status,
                    eline,
                    format!("accepted {}{tail}", names.join(", ")),
                );
            } else {
                ctx.push(
                    "res-extensions",
                    Status::Fail,
                    eline,
                    format!("{}; the client fails the connection", errs.join("; ")),
                );
            }
            ctx.negotiated.extensions = accepted;
            ctx.negotiated.extensions_header = value.clone();
        }
    }
    let legacy: Vec<String> = h
        .iter()
        .zip(&res.head.header_lines)
        .filter(|((n, _), _)| {
            [
                "Sec-WebSocket-Origin",
                "Sec-WebSocket-Location",
                "WebSocket-Origin",
                "WebSocket-Location",
            ]
            .iter()
            .any(|l| l.eq_ignore_ascii_case(n))
        })
        .map(|((n, _), l)| format!("`{n}` (line {l})"))
        .collect();
    if legacy.is_empty() {
        ctx.push("res-legacy", Status::Pass, None, "no draft-76 headers");
    } else {
        ctx.push("res-legacy", Status::Warn, None, format!("{} belong to the obsolete draft-76 handshake: RFC 6455 clients ignore them, so they can go", legacy.join(", ")));
    }
    header_case(ctx, "res-header-case", h, &res.head);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Key1/Key2 of draft-76: the digits as a number divided by the number of spaces.
fn draft76_number(key: &str) -> Option<u32> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let spaces = key.chars().filter(|&c| c == ' ').count() as u64;
    let n: u64 = digits.parse().ok()?;
    (spaces > 0 && n % spaces == 0)
        .then(|| u32::try_from(n / spaces).ok())
        .flatten()
}

fn draft76_checks(
    ctx: &mut Ctx,
    input: &[u8],
    split: &Split,
    req: Option<&Request>,
    res: Option<&Response>,
) -> Draft76 {
    let k = |name: &str| {
        req.and_then(|r| r.values(name).next())
            .and_then(draft76_number)
    };
    let (key1, key2) = (k("Sec-WebSocket-Key1"), k("Sec-WebSocket-Key2"));
    let key3 = split
        .draft76_key3
        .clone()
        .filter(|r| r.len() == 8)
        .map(|r| &input[r]);
    let expected = match (key1, key2, key3) {
        (Some(a), Some(b), Some(c)) => {
            use md5::Digest as _;
            let mut m = md5::Md5::new();
            m.update(a.to_be_bytes());
            m.update(b.to_be_bytes());
            m.update(c);
            Some(hex(&m.finalize()))
        }
        _ => None,
    };
    let received = split.draft76_answer.clone().map(|r| hex(&input[r]));
    let verdict = match (&expected, &received) {
        (Some(e), Some(r)) if e == r => {
            " The server's 16-byte answer matches MD5(key1 ‖ key2 ‖ key3).".to_string()
        }
        (Some(e), Some(r)) => {
            format!(" The server's 16-byte answer {r} differs from the expected MD5 {e}.")
        }
        (Some(e), None) => format!(" The server must answer with the 16 bytes {e}."),
        _ => String::new(),
    };
    ctx.push(
        "draft76",
        Status::Fail,
        req.or(None).map(|r| r.head.first_line).or(res.map(|r| r.head.first_line)),
        format!(
            "this is the obsolete draft-76 (hixie-76) handshake: Sec-WebSocket-Key1/Key2 hide two numbers (digits divided by spaces), 8 key bytes follow the request and the server answers with MD5 of them, not with Sec-WebSocket-Accept. Browsers replaced it with RFC 6455 (Sec-WebSocket-Key, version 13) in 2011-2012.{verdict}"
        ),
    );
    Draft76 {
        key1,
        key2,
        key3: key3.map(hex),
        expected,
        received,
    }
}

/// Parse `:name: value`, `:name value` or `name: value` lines (as browsers and tools show
/// HTTP/2 headers).
fn h2_fields(input: &[u8], r: Range<usize>) -> (Vec<(String, String)>, Vec<usize>) {
    let text = String::from_utf8_lossy(&input[r.clone()]).into_owned();
    let first = line_of(input, r.start);
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let (pseudo, rest) = match l.strip_prefix(':') {
            Some(rest) => (":", rest),
            None => ("", l),
        };
        let cut = rest.find([':', ' ', '\t']).unwrap_or(rest.len());
        let name = format!("{pseudo}{}", &rest[..cut]);
        let value = rest[cut..].trim_start_matches(':').trim().to_string();
        out.push((name, value));
        lines.push(first + i);
    }
    (out, lines)
}

fn h2_head(input: &[u8], r: &Range<usize>, header_lines: Vec<usize>) -> Head {
    Head {
        start: r.start,
        end: r.end,
        first_line: line_of(input, r.start),
        line_endings: if input[r.clone()].windows(2).any(|w| w == b"\r\n") {
            "crlf"
        } else {
            "lf"
        },
        complete: true,
        header_lines,
    }
}

fn h2_request(input: &[u8], r: Range<usize>) -> Request {
    let (headers, lines) = h2_fields(input, r.clone());
    let get = |n: &str| {
        headers
            .iter()
            .find(|(h, _)| h == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Request {
        method: get(":method"),
        target: get(":path"),
        version: "HTTP/2".into(),
        head: h2_head(input, &r, lines),
        headers,
    }
}

fn h2_response(input: &[u8], r: Range<usize>) -> Response {
    let (headers, lines) = h2_fields(input, r.clone());
    let status = headers
        .iter()
        .find(|(h, _)| h == ":status")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    Response {
        version: "HTTP/2".into(),
        status,
        reason: String::new(),
        head: h2_head(input, &r, lines),
        headers,
    }
}

fn h2_checks(ctx: &mut Ctx, req: Option<&Request>, res: Option<&Response>) {
    let forbidden = [
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Accept",
    ];
    let mut present = Vec::new();
    if let Some(r) = req {
        let line = Some(r.head.first_line);
        if r.method == "CONNECT" {
            ctx.push("h2-method", Status::Pass, line, "HTTP/2 extended CONNECT (RFC 8441): the WebSocket runs on one HTTP/2 stream; there is no Key/Accept exchange");
        } else {
            ctx.push(
                "h2-method",
                Status::Fail,
                line,
                format!(
                    ":method is `{}`; a WebSocket over HTTP/2 is opened with CONNECT",
                    r.method
                ),
            );
        }
        match r.values(":protocol").next() {
            Some("websocket") => ctx.push("h2-protocol", Status::Pass, line, ":protocol websocket"),
            Some(p) => ctx.push(
                "h2-protocol",
                Status::Fail,
                line,
                format!(":protocol is `{p}`; it must be `websocket`"),
            ),
            None => ctx.push(
                "h2-protocol",
                Status::Fail,
                line,
                "there is no :protocol pseudo-header; without it CONNECT opens a plain tunnel",
            ),
        }
        let missing: Vec<&str> = [":scheme", ":path", ":authority"]
            .into_iter()
            .filter(|p| r.values(p).next().is_none())
            .collect();
        if missing.is_empty() {
            ctx.push(
                "h2-pseudo",
                Status::Pass,
                line,
                ":scheme, :path and :authority are present",
            );
        } else {
            ctx.push(
                "h2-pseudo",
                Status::Fail,
                line,
                format!("missing {}", missing.join(", ")),
            );
        }
        present.extend(
            forbidden
                .iter()
                .filter(|f| r.values(f).next().is_some())
                .map(|f| format!("request {f}")),
        );
        let versions = r.tokens("Sec-WebSocket-Version");
        if versions == ["13"] {
            ctx.push(
                "req-ws-version",
                Status::Pass,
                line,
                "sec-websocket-version: 13",
            );
        } else {
            ctx.push(
                "req-ws-version",
                Status::Fail,
                line,
                format!(
                    "sec-websocket-version is `{}`; it must be 13",
                    versions.join(", ")
                ),
            );
        }
        if r.values("Origin").next().is_some() {
            ctx.push("req-origin", Status::Pass, line, "origin is present");
        } else {
            ctx.push(
                "req-origin",
                Status::Warn,
                line,
                "there is no origin header; browsers always send it",
            );
        }
    }
    if let Some(s) = res {
        let line = Some(s.head.first_line);
        if (200..300).contains(&s.status) {
            ctx.push(
                "h2-status",
                Status::Pass,
                line,
                format!(":status {}: the stream is now a WebSocket", s.status),
            );
        } else {
            ctx.push(
                "h2-status",
                Status::Fail,
                line,
                format!(":status {}: {}", s.status, explain_status(s.status)),
            );
        }
        present.extend(
            forbidden
                .iter()
                .filter(|f| s.values(f).next().is_some())
                .map(|f| format!("response {f}")),
        );
        if let Some(p) = s.values("Sec-WebSocket-Protocol").next() {
            ctx.negotiated.subprotocol = Some(p.to_string());
        }
        if let Some(v) = s.combined("Sec-WebSocket-Extensions") {
            let e = parse_extensions(&v);
            ctx.negotiated.permessage_deflate = e
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
                .map(deflate_session);
            ctx.negotiated.extensions = e;
            ctx.negotiated.extensions_header = Some(v);
        }
    }
    if present.is_empty() {
        ctx.push(
            "h2-no-upgrade",
            Status::Pass,
            None,
            "no HTTP/1.1 upgrade headers",
        );
    } else {
        ctx.push(
            "h2-no-upgrade",
            Status::Fail,
            None,
            format!(
                "{}: HTTP/2 forbids connection-specific headers and RFC 8441 uses no Key/Accept",
                present.join(", ")
            ),
        );
    }
}

impl HandshakeReport {
    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let kind = match self.kind {
            Kind::Rfc6455 => "RFC 6455 handshake",
            Kind::Draft76 => "draft-76 handshake (obsolete)",
            Kind::Http2 => "HTTP/2 extended CONNECT (RFC 8441)",
        };
        o.push_str(&format!("{kind}\n"));
        if let Some(r) = &self.request {
            o.push_str(&format!(
                "request  (line {}): {} {} {}, {} headers, {} line endings\n",
                r.head.first_line,
                r.method,
                r.target,
                r.version,
                r.headers.len(),
                r.head.line_endings
            ));
        }
        if let Some(r) = &self.response {
            o.push_str(&format!(
                "response (line {}): {} {} {}, {} headers, {} line endings\n",
                r.head.first_line,
                r.version,
                r.status,
                r.reason,
                r.headers.len(),
                r.head.line_endings
            ));
        }
        o.push_str("\nchecks:\n");
        for c in &self.checks {
            let s = match c.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Warn => "warn",
            };
            o.push_str(&format!(
                "  {s}  {:<18} {:<24} {}\n",
                c.id, c.rfc, c.message
            ));
        }
        o.push_str(&format!(
            "  {} passed, {} failed, {} warnings\n",
            self.summary.pass, self.summary.fail, self.summary.warn
        ));
        if let Some(a) = &self.accept {
            o.push_str("\nSec-WebSocket-Accept:\n");
            for l in a.to_text().lines() {
                o.push_str(&format!("  {l}\n"));
            }
        }
        if self.response.is_some() {
            o.push_str("\nnegotiated:\n");
            o.push_str(&format!(
                "  subprotocol: {}\n",
                self.subprotocol.as_deref().unwrap_or("(none)")
            ));
            o.push_str(&format!(
                "  extensions:  {}\n",
                self.extensions_header.as_deref().unwrap_or("(none)")
            ));
            if let Some(d) = &self.permessage_deflate {
                for (who, p) in [("client", d.client), ("server", d.server)] {
                    o.push_str(&format!(
                        "  permessage-deflate, {who} sends: window {} bits, {}\n",
                        p.max_window_bits,
                        if p.no_context_takeover {
                            "no context takeover"
                        } else {
                            "context takeover"
                        }
                    ));
                }
            }
        }
        if let Some(f) = &self.split.frames {
            let who = f.direction.as_str();
            o.push_str(&format!(
                "\n{} bytes after the handshake at offset {}, sent by the {who}\n",
                f.len, f.offset
            ));
        }
        o
    }
}

#[cfg(test)]
mod tests;
