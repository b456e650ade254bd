//! HTTP/2 extended CONNECT (RFC 8441), as browsers and tools show it in pseudo-header text:
//! the request and response blocks found, read as headers, and checked (§4, §5).

use core::ops::Range;

use super::context::Ctx;
use super::http::{line_of, Fields, Head, Request, Response};
use super::server::explain_status;
use super::{CheckId, Status};

/// The request and response blocks of HTTP/2 pseudo-header text.
pub(super) fn h2_blocks(
    input: &[u8],
    start: usize,
) -> (Option<Range<usize>>, Option<Range<usize>>) {
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

pub(super) fn h2_request(input: &[u8], r: Range<usize>) -> Request {
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

pub(super) fn h2_response(input: &[u8], r: Range<usize>) -> Response {
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

/// Connection-specific headers of the HTTP/1.1 upgrade, which HTTP/2 forbids.
const FORBIDDEN: [&str; 4] = [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Accept",
];

/// Every check of an extended CONNECT, for the request and response the input has.
pub(super) fn h2_checks(ctx: &mut Ctx, req: Option<&Request>, res: Option<&Response>) {
    let mut present = Vec::new();
    if let Some(r) = req {
        request_checks(ctx, r);
        // RFC 8441 §5: the subprotocol and extension negotiation is the same as over HTTP/1.1.
        super::client::protocols(ctx, r);
        super::client::extensions(ctx, r);
        present.extend(
            FORBIDDEN
                .iter()
                .filter(|f| r.values(f).next().is_some())
                .map(|f| format!("request {f}")),
        );
    }
    if let Some(s) = res {
        response_checks(ctx, req, s);
        present.extend(
            FORBIDDEN
                .iter()
                .filter(|f| s.values(f).next().is_some())
                .map(|f| format!("response {f}")),
        );
    }
    if present.is_empty() {
        ctx.push(
            CheckId::H2NoUpgrade,
            Status::Pass,
            None,
            "no HTTP/1.1 upgrade headers",
        );
    } else {
        ctx.push(
            CheckId::H2NoUpgrade,
            Status::Fail,
            None,
            format!(
                "{}: HTTP/2 forbids connection-specific headers and RFC 8441 uses no Key/Accept",
                present.join(", ")
            ),
        );
    }
}

fn request_checks(ctx: &mut Ctx, r: &Request) {
    let line = Some(r.head.first_line);
    if r.method == "CONNECT" {
        ctx.push(CheckId::H2Method, Status::Pass, line, "HTTP/2 extended CONNECT (RFC 8441): the WebSocket runs on one HTTP/2 stream; there is no Key/Accept exchange");
    } else {
        ctx.push(
            CheckId::H2Method,
            Status::Fail,
            line,
            format!(
                ":method is `{}`; a WebSocket over HTTP/2 is opened with CONNECT",
                r.method
            ),
        );
    }
    match r.values(":protocol").next() {
        Some("websocket") => ctx.push(
            CheckId::H2Protocol,
            Status::Pass,
            line,
            ":protocol websocket",
        ),
        Some(p) => ctx.push(
            CheckId::H2Protocol,
            Status::Fail,
            line,
            format!(":protocol is `{p}`; it must be `websocket`"),
        ),
        None => ctx.push(
            CheckId::H2Protocol,
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
            CheckId::H2Pseudo,
            Status::Pass,
            line,
            ":scheme, :path and :authority are present",
        );
    } else {
        ctx.push(
            CheckId::H2Pseudo,
            Status::Fail,
            line,
            format!("missing {}", missing.join(", ")),
        );
    }
    version_and_origin(ctx, r);
}

/// The RFC 6455 request items that still apply over HTTP/2 (RFC 8441 §5).
fn version_and_origin(ctx: &mut Ctx, r: &Request) {
    let line = Some(r.head.first_line);
    let versions = r.tokens("Sec-WebSocket-Version");
    if versions == ["13"] {
        ctx.push(
            CheckId::ReqWsVersion,
            Status::Pass,
            line,
            "sec-websocket-version: 13",
        );
    } else {
        ctx.push(
            CheckId::ReqWsVersion,
            Status::Fail,
            line,
            format!(
                "sec-websocket-version is `{}`; it must be 13",
                versions.join(", ")
            ),
        );
    }
    if r.values("Origin").next().is_some() {
        ctx.push(CheckId::ReqOrigin, Status::Pass, line, "origin is present");
    } else {
        ctx.push(
            CheckId::ReqOrigin,
            Status::Warn,
            line,
            "there is no origin header; browsers always send it",
        );
    }
}

/// The status, and what the response negotiated (checked against the offers as over HTTP/1.1).
fn response_checks(ctx: &mut Ctx, req: Option<&Request>, s: &Response) {
    let line = Some(s.head.first_line);
    if (200..300).contains(&s.status) {
        ctx.push(
            CheckId::H2Status,
            Status::Pass,
            line,
            format!(":status {}: the stream is now a WebSocket", s.status),
        );
    } else if s.status == 101 {
        ctx.push(
            CheckId::H2Status,
            Status::Fail,
            line,
            ":status 101: HTTP/2 has no 101 Switching Protocols (RFC 9113 §8.6); an extended CONNECT succeeds with a 2xx status, so this response says both \"HTTP/2\" and \"HTTP/1.1 upgrade\"",
        );
    } else {
        ctx.push(
            CheckId::H2Status,
            Status::Fail,
            line,
            format!(":status {}: {}", s.status, explain_status(s.status)),
        );
    }
    super::server::protocol(ctx, req, s);
    super::server::extensions(ctx, req, s);
}
