//! The opening handshake (RFC 6455 §4), analysed: parsed as captured, checked item by item
//! against the RFC, the Accept math verified and explained, and the negotiated session (the
//! subprotocol, the extensions and the permessage-deflate settings per direction) extracted.
//!
//! Input is text or bytes as captured: the request alone, the response alone, both one after the
//! other, or a whole captured stream where frames follow the handshake ([`split_stream`] says
//! where they begin and who sent them). The obsolete draft-76 handshake and HTTP/2 extended
//! CONNECT (RFC 8441) are recognised and explained.
//!
//! The checks are split by side: `client` (the request, RFC 6455 §4.1), `server` (the
//! response, §4.2.2), `draft76` and `h2` (RFC 8441); `context` holds what they share. Every
//! result names an item of the one table in [`checks`].

use core::ops::Range;

use serde::Serialize;

use accept::AcceptSteps;

pub mod accept;
pub mod checks;
mod client;
mod context;
pub mod detect;
mod draft76;
mod h2;
pub mod http;
mod server;
mod split;
mod text;

pub use crate::ext::extensions::{Deflate, DeflateParams, Extension};
pub use checks::{CheckDef, CheckId, CHECKS};
pub use http::{Fields, Head, Request, Response};
pub use split::split_stream;

use context::Ctx;
use std::borrow::Cow;

/// The outcome of one checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Cannot be checked from this input (the line endings of text typed into a page, which a
    /// textarea rewrites); neither a pass nor a problem.
    Unknown,
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
    /// Which checklist item (serialised as its id).
    pub id: CheckId,
    /// Pass, fail or warn.
    pub status: Status,
    /// The section that states the requirement.
    pub rfc: &'static str,
    /// What was found, with positions where they help.
    pub message: Cow<'static, str>,
    /// The first line (1-based, in the whole input) the result is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// A finding before it is matched to the table.
#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub id: CheckId,
    pub status: Status,
    pub line: Option<usize>,
    pub message: Cow<'static, str>,
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
    /// Checks this input cannot settle (only when [`AnalyzeOptions::line_endings_known`] is off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknown: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How to analyse a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// Whether the input's line endings are the ones that went on the wire. Text typed or pasted
    /// into a page's textarea is not: the browser turns every CRLF into LF, so a bare LF there
    /// says nothing, and the line-ending checks are [`Status::Unknown`] instead of a warning.
    pub line_endings_known: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            line_endings_known: true,
        }
    }
}

/// What the line-ending checks say when the line endings cannot be known.
pub const LINE_ENDINGS_UNKNOWN: &str =
    "cannot be known from text typed into a page: a textarea turns CRLF into LF (paste the bytes as hex or base64 to check them)";

impl HandshakeReport {
    /// The result of the check `id`, if it applied.
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
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
    analyze_with(input, AnalyzeOptions::default())
}

/// [`analyze`], with options.
pub fn analyze_with(input: &[u8], opts: AnalyzeOptions) -> HandshakeReport {
    let split = split_stream(input);
    let (request, response, issues) = read_heads(input, &split);
    let mut ctx = Ctx {
        issues,
        accept: None,
        negotiated: Negotiated::default(),
        offers: None,
    };
    let mut draft76 = None;
    match split.kind {
        Kind::Rfc6455 => {
            if let Some(req) = &request {
                client::client_checks(&mut ctx, req);
            }
            if let Some(res) = &response {
                server::server_checks(&mut ctx, request.as_ref(), res);
            }
        }
        Kind::Draft76 => {
            draft76 = Some(draft76::draft76_checks(
                &mut ctx,
                input,
                &split,
                request.as_ref(),
                response.as_ref(),
            ))
        }
        Kind::Http2 => h2::h2_checks(&mut ctx, request.as_ref(), response.as_ref()),
    }
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        ctx.push(
            CheckId::ReqSyntax,
            Status::Fail,
            None,
            "the input is empty: paste a request, a response, or both",
        );
    }
    if !opts.line_endings_known {
        for i in &mut ctx.issues {
            if matches!(i.id, CheckId::ReqLineEndings | CheckId::ResLineEndings)
                && i.status == Status::Warn
            {
                i.status = Status::Unknown;
                i.message = Cow::Borrowed(LINE_ENDINGS_UNKNOWN);
            }
        }
    }
    let checks = finish(ctx.issues);
    HandshakeReport {
        kind: split.kind,
        request,
        response,
        summary: Summary::of(&checks),
        checks,
        accept: ctx.accept,
        subprotocol: ctx.negotiated.subprotocol,
        extensions: ctx.negotiated.extensions,
        extensions_header: ctx.negotiated.extensions_header,
        permessage_deflate: ctx.negotiated.permessage_deflate,
        draft76,
        split,
    }
}

/// The request and response the split found, read as HTTP/1 heads or HTTP/2 pseudo-header
/// text, with the issues reading them raised.
fn read_heads(input: &[u8], split: &Split) -> (Option<Request>, Option<Response>, Vec<Issue>) {
    let mut issues = Vec::new();
    let (request, response) = match split.kind {
        Kind::Http2 => (
            split.request.clone().map(|r| h2::h2_request(input, r)),
            split.response.clone().map(|r| h2::h2_response(input, r)),
        ),
        _ => (
            split.request.as_ref().map(|r| {
                let (req, found) = http::read_request(input, r.start);
                issues.extend(found);
                req
            }),
            split.response.as_ref().map(|r| {
                let (res, found) = http::read_response(input, r.start);
                issues.extend(found);
                res
            }),
        ),
    };
    (request, response, issues)
}

impl Summary {
    /// Count the results.
    fn of(checks: &[CheckResult]) -> Summary {
        let mut summary = Summary::default();
        for c in checks {
            match c.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Warn => summary.warn += 1,
                Status::Unknown => summary.unknown += 1,
            }
        }
        summary
    }
}

/// Merge issues into one result per table item, in table order, worst status first.
fn finish(mut issues: Vec<Issue>) -> Vec<CheckResult> {
    // `CheckId`'s order is the table's; the sort is stable, so each item's issues keep theirs.
    issues.sort_by_key(|i| i.id);
    let mut checks = Vec::with_capacity(issues.len());
    for group in issues.chunk_by_mut(|a, b| a.id == b.id) {
        let status = group.iter().map(|i| i.status).max().unwrap_or(Status::Pass);
        // A pass next to a problem for the same item says nothing more.
        let shown = |i: &Issue| status == Status::Pass || i.status != Status::Pass;
        let line = group.iter().filter(|i| shown(i)).find_map(|i| i.line);
        // Each issue has one check: its message moves into that check's.
        let mut message = Cow::Borrowed("");
        for (n, i) in group.iter_mut().filter(|i| shown(i)).enumerate() {
            if n == 0 {
                message = std::mem::take(&mut i.message);
            } else {
                let m = message.to_mut();
                m.push_str("; ");
                m.push_str(&i.message);
            }
        }
        let id = group[0].id;
        checks.push(CheckResult {
            id,
            status,
            rfc: id.def().rfc,
            message,
            line,
        });
    }
    checks
}

#[cfg(test)]
mod tests;
