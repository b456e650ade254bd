//! The HTTP/1 part of a handshake as captured: a lenient reader that keeps everything the user
//! gave (bare LF, any header case, folded lines, repeated headers), checked by `httparse`, the
//! strict parser, whose errors are mapped back to a line and column.

use serde::Serialize;

use super::{CheckId, Issue, Status};

/// Where a request or response head sits in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Head {
    /// Byte offset of the first line.
    pub start: usize,
    /// Byte offset just past the head (past its empty line when it has one).
    pub end: usize,
    /// Line number (1-based, in the whole input) of the first line.
    pub first_line: usize,
    /// `crlf`, `lf` or `mixed`: how the head's lines end.
    pub line_endings: &'static str,
    /// Whether the head ended with an empty line.
    pub complete: bool,
    /// For each header in `headers`, the line (1-based) where it starts.
    pub header_lines: Vec<usize>,
}

/// A client's opening handshake request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The method, e.g. `GET` (`CONNECT` for HTTP/2).
    pub method: String,
    /// The request target, e.g. `/chat`.
    pub target: String,
    /// The protocol version, e.g. `HTTP/1.1`.
    pub version: String,
    /// Header fields as `[name, value]` pairs, in order, names as written.
    pub headers: Vec<(String, String)>,
    /// Where it was in the input.
    pub head: Head,
}

/// A server's opening handshake response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The protocol version, e.g. `HTTP/1.1`.
    pub version: String,
    /// The status code, e.g. 101 (0 when unreadable).
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// Header fields as `[name, value]` pairs, in order, names as written.
    pub headers: Vec<(String, String)>,
    /// Where it was in the input.
    pub head: Head,
}

/// Case-insensitive access to header fields.
pub trait Fields {
    /// The header pairs.
    fn pairs(&self) -> &[(String, String)];

    /// Every value of the header named `name` (any case), in order.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs()
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The values of `name` combined as HTTP does for repeated fields: joined with `, `.
    fn combined(&self, name: &str) -> Option<String> {
        let mut values = self.values(name);
        let mut out = values.next()?.to_string();
        for v in values {
            out.push_str(", ");
            out.push_str(v);
        }
        Some(out)
    }

    /// The comma-separated elements of every `name` field, trimmed, empty ones skipped.
    fn tokens(&self, name: &str) -> Vec<String> {
        self.token_strs(name).map(str::to_string).collect()
    }

    /// [`Fields::tokens`], borrowed.
    fn token_strs<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values(name)
            .flat_map(|v| v.split(','))
            .map(|t| t.trim_matches([' ', '\t']))
            .filter(|t| !t.is_empty())
    }

    /// Whether the list header `name` contains `token` (case-insensitive).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.token_strs(name).any(|t| t.eq_ignore_ascii_case(token))
    }
}

impl Fields for Request {
    fn pairs(&self) -> &[(String, String)] {
        &self.headers
    }
}

impl Fields for Response {
    fn pairs(&self) -> &[(String, String)] {
        &self.headers
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Term {
    CrLf,
    Lf,
    Eof,
}

#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
    term: Term,
}

/// 1-based line number of byte `offset`.
pub(crate) fn line_of(input: &[u8], offset: usize) -> usize {
    1 + input[..offset.min(input.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Which side a head belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Response,
}

impl Side {
    /// `request` or `response`, for messages.
    fn what(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }

    /// This side's "well-formed HTTP/1.1" item.
    fn syntax(self) -> CheckId {
        match self {
            Side::Request => CheckId::ReqSyntax,
            Side::Response => CheckId::ResSyntax,
        }
    }

    /// This side's "lines end in CRLF" item.
    fn line_endings(self) -> CheckId {
        match self {
            Side::Request => CheckId::ReqLineEndings,
            Side::Response => CheckId::ResLineEndings,
        }
    }

    /// This side's "ends with an empty line" item.
    fn head_end(self) -> CheckId {
        match self {
            Side::Request => CheckId::ReqHeadEnd,
            Side::Response => CheckId::ResHeadEnd,
        }
    }
}

/// Read the lines of a head starting at `start` up to its empty line, the end of input, or (for
/// a request) a line that starts a response.
fn scan(input: &[u8], start: usize, side: Side) -> (Vec<Line>, usize, bool) {
    let mut lines = Vec::with_capacity(16);
    let (end, complete) = scan_lines(input, start, side, |l| lines.push(l));
    (lines, end, complete)
}

/// [`scan`], handing each line to `each`: where the head ends, and whether with an empty line.
fn scan_lines(input: &[u8], start: usize, side: Side, mut each: impl FnMut(Line)) -> (usize, bool) {
    let mut pos = start;
    let mut first = true;
    while pos < input.len() {
        let (end, next, term) = match input[pos..].iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && input[pos + i - 1] == b'\r' => {
                (pos + i - 1, pos + i + 1, Term::CrLf)
            }
            Some(i) => (pos + i, pos + i + 1, Term::Lf),
            None => (input.len(), input.len(), Term::Eof),
        };
        if end == pos && term != Term::Eof {
            return (next, true);
        }
        if side == Side::Request && !first && input[pos..].starts_with(b"HTTP/") {
            return (pos, false);
        }
        each(Line {
            start: pos,
            end,
            next,
            term,
        });
        first = false;
        pos = next;
    }
    (input.len(), false)
}

/// What parsing one head produced.
pub(crate) struct Parsed {
    pub first: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub head: Head,
    pub issues: Vec<Issue>,
}

/// The bytes as text (invalid UTF-8 replaced), borrowed when they are valid.
fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    // `from_utf8` checks ASCII a word at a time; the lossy reader goes character by character.
    match std::str::from_utf8(b) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Issues found while reading one head, each at a line.
struct Issues(Vec<Issue>);

impl Issues {
    fn add(
        &mut self,
        id: CheckId,
        status: Status,
        line: usize,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.0.push(Issue {
            id,
            status,
            line: Some(line),
            message: message.into(),
        });
    }
}

/// Where the head that starts at `start` ends (as [`parse_head`] reads it, without the rest).
pub(crate) fn head_end(input: &[u8], start: usize, side: Side) -> usize {
    scan_lines(input, start, side, |_| {}).0
}

/// Parse the head that starts at `start`.
pub(crate) fn parse_head(input: &[u8], start: usize, side: Side) -> Parsed {
    let (lines, end, complete) = scan(input, start, side);
    let first_line = line_of(input, start);
    let mut issues = Issues(Vec::new());
    let first = first_line_parts(input, &lines, side);
    if side == Side::Request && first.len() != 3 {
        issues.add(
            side.syntax(),
            Status::Fail,
            first_line,
            format!(
                "line {first_line}: a request line is `METHOD target HTTP/1.1` (three parts separated by single spaces); this one has {}",
                first.len()
            ),
        );
    }
    let (headers, header_lines) = read_headers(input, &lines, first_line, side, &mut issues);
    let line_endings = line_endings(&lines, first_line, side, &mut issues);
    let what = side.what();
    let last_line = first_line + lines.len().saturating_sub(1);
    if complete {
        issues.add(
            side.head_end(),
            Status::Pass,
            last_line + 1,
            match side {
                Side::Request => "the request head ends with an empty line",
                Side::Response => "the response head ends with an empty line",
            },
        );
    } else {
        issues.add(
            side.head_end(),
            Status::Warn,
            last_line,
            format!(
                "the {what} has no empty line after its last header (line {last_line}): as sent, the peer would still be waiting for more headers; fine if it was cut when copied"
            ),
        );
    }
    issues.add(
        side.syntax(),
        Status::Pass,
        first_line,
        match side {
            Side::Request => "the strict HTTP/1.1 parser (httparse) accepts the request",
            Side::Response => "the strict HTTP/1.1 parser (httparse) accepts the response",
        },
    );
    strict(
        input,
        start,
        end,
        &lines,
        side,
        first_line,
        &mut |id, status, line, message| issues.add(id, status, line, message),
    );
    Parsed {
        first,
        headers,
        head: Head {
            start,
            end,
            first_line,
            line_endings,
            complete,
            header_lines,
        },
        issues: issues.0,
    }
}

/// The parts of the first line: method, target and version of a request (split at spaces and
/// tabs), or version, status and reason of a response (the reason may hold spaces).
fn first_line_parts(input: &[u8], lines: &[Line], side: Side) -> Vec<String> {
    let Some(l) = lines.first() else {
        return Vec::new();
    };
    let t = text(&input[l.start..l.end]);
    match side {
        Side::Request => t
            .split([' ', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Side::Response => {
            let mut it = t.splitn(3, ' ');
            let mut v: Vec<String> = Vec::with_capacity(3);
            v.extend(it.next().map(str::to_string));
            v.extend(it.next().map(str::to_string));
            v.push(it.next().unwrap_or("").to_string());
            v
        }
    }
}

/// The header fields after the first line, with the line each starts on: folded lines joined
/// to the field they continue, lines that are not fields reported.
fn read_headers(
    input: &[u8],
    lines: &[Line],
    first_line: usize,
    side: Side,
    issues: &mut Issues,
) -> (Vec<(String, String)>, Vec<usize>) {
    let mut headers: Vec<(String, String)> = Vec::with_capacity(lines.len());
    let mut header_lines = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate().skip(1) {
        let n = first_line + i;
        let raw = &input[l.start..l.end];
        if raw.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            fold(raw, n, side, headers.last_mut(), issues);
            continue;
        }
        let Some(colon) = raw.iter().position(|&b| b == b':') else {
            issues.add(
                side.syntax(),
                Status::Fail,
                n,
                format!("line {n}: not a header field (no ':'): {:?}", text(raw)),
            );
            continue;
        };
        let name_raw = text(&raw[..colon]);
        let name = name_raw.trim_end_matches([' ', '\t']);
        if name.len() != name_raw.len() {
            issues.add(
                side.syntax(),
                Status::Fail,
                n,
                format!(
                    "line {n}, column {}: whitespace between the header name `{name}` and ':' is forbidden (RFC 9112 §5.1)",
                    name.len() + 1
                ),
            );
        }
        if name.is_empty() {
            issues.add(
                side.syntax(),
                Status::Fail,
                n,
                format!("line {n}: empty header name"),
            );
        }
        let value = text(&raw[colon + 1..])
            .trim_matches([' ', '\t'])
            .to_string();
        headers.push((name.to_string(), value));
        header_lines.push(n);
    }
    (headers, header_lines)
}

/// A line `n` starting with whitespace: obsolete line folding, continuing `last` if there is one.
fn fold(
    raw: &[u8],
    n: usize,
    side: Side,
    last: Option<&mut (String, String)>,
    issues: &mut Issues,
) {
    let cont = text(raw).trim_matches([' ', '\t']).to_string();
    match last {
        Some((name, value)) => {
            issues.add(
                side.syntax(),
                Status::Warn,
                n,
                format!(
                    "line {n}: a folded line (obsolete line folding, RFC 9112 §5.2) continues `{name}`; read as one value joined with a space, but many peers reject it"
                ),
            );
            if !cont.is_empty() {
                value.push(' ');
                value.push_str(&cont);
            }
        }
        None => issues.add(
            side.syntax(),
            Status::Fail,
            n,
            format!("line {n}: starts with whitespace but there is no header before it to continue: {:?}", text(raw)),
        ),
    }
}

/// How the head's lines end (`crlf`, `lf` or `mixed`), with the line-endings result.
fn line_endings(
    lines: &[Line],
    first_line: usize,
    side: Side,
    issues: &mut Issues,
) -> &'static str {
    let crlf = lines.iter().filter(|l| l.term == Term::CrLf).count();
    let lf: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.term == Term::Lf)
        .map(|(i, _)| first_line + i)
        .collect();
    let what = side.what();
    if lf.is_empty() {
        issues.add(
            side.line_endings(),
            Status::Pass,
            first_line,
            match side {
                Side::Request => "every line of the request ends in CRLF",
                Side::Response => "every line of the response ends in CRLF",
            },
        );
    } else {
        let shown: Vec<String> = lf.iter().take(8).map(|n| n.to_string()).collect();
        issues.add(
            side.line_endings(),
            Status::Warn,
            lf[0],
            format!(
                "{} of the {what}'s lines end in a bare LF instead of CRLF (line{} {}{}); HTTP requires CRLF (RFC 9112 §2.2), many parsers tolerate LF, some reject it",
                lf.len(),
                if lf.len() > 1 { "s" } else { "" },
                shown.join(", "),
                if lf.len() > 8 { ", ..." } else { "" }
            ),
        );
    }
    match (crlf, lf.len()) {
        (_, 0) => "crlf",
        (0, _) => "lf",
        _ => "mixed",
    }
}

/// Read the request head at `start` into a [`Request`], with the issues the reading found.
pub(crate) fn read_request(input: &[u8], start: usize) -> (Request, Vec<Issue>) {
    let p = parse_head(input, start, Side::Request);
    let mut f = p.first.into_iter();
    let request = Request {
        method: f.next().unwrap_or_default(),
        target: f.next().unwrap_or_default(),
        version: f.next().unwrap_or_default(),
        headers: p.headers,
        head: p.head,
    };
    (request, p.issues)
}

/// Read the response head at `start` into a [`Response`], with the issues the reading found
/// (a status that is not three digits among them).
pub(crate) fn read_response(input: &[u8], start: usize) -> (Response, Vec<Issue>) {
    let mut p = parse_head(input, start, Side::Response);
    let mut f = p.first.into_iter();
    let version = f.next().unwrap_or_default();
    let code = f.next().unwrap_or_default();
    let status = if code.len() == 3 {
        code.parse().unwrap_or(0)
    } else {
        0
    };
    if status == 0 {
        p.issues.push(Issue {
            id: CheckId::ResSyntax,
            status: Status::Fail,
            line: Some(p.head.first_line),
            message: format!(
                "line {}: the status code {code:?} is not a three-digit number",
                p.head.first_line
            )
            .into(),
        });
    }
    let response = Response {
        version,
        status,
        reason: f.next().unwrap_or_default(),
        headers: p.headers,
        head: p.head,
    };
    (response, p.issues)
}

/// How many header lines the strict check reads: a limit of wsinspect (HTTP sets none); the
/// lines after it are not checked by httparse, and the report says so.
pub(crate) const MAX_HEADERS: usize = 1024;

fn run_httparse(buf: &[u8], side: Side) -> Result<httparse::Status<usize>, httparse::Error> {
    // No more slots than the head has lines: a short head stays a small allocation.
    let lines = buf.iter().filter(|&&b| b == b'\n').count() + 1;
    let n = lines.min(MAX_HEADERS);
    // Most heads fit slots on the stack.
    let mut small = [httparse::EMPTY_HEADER; 32];
    let mut big = Vec::new();
    let headers: &mut [httparse::Header] = if n <= small.len() {
        &mut small[..n]
    } else {
        big.resize(n, httparse::EMPTY_HEADER);
        &mut big
    };
    match side {
        Side::Request => httparse::Request::new(headers).parse(buf),
        Side::Response => httparse::ParserConfig::default()
            .allow_obsolete_multiline_headers_in_responses(true)
            .parse_response(&mut httparse::Response::new(headers), buf),
    }
}

/// Check the head with `httparse` and report its first error at a line and column.
fn strict(
    input: &[u8],
    start: usize,
    end: usize,
    lines: &[Line],
    side: Side,
    first_line: usize,
    issue: &mut impl FnMut(CheckId, Status, usize, String),
) {
    let Err(err) = run_httparse(&input[start..end], side) else {
        return;
    };
    if err == httparse::Error::TooManyHeaders {
        // Our limit, not the peer's mistake: say so, and check the lines we can.
        let n = first_line + MAX_HEADERS + 1;
        issue(
            side.syntax(),
            Status::Warn,
            n,
            format!(
                "the {} has more than {MAX_HEADERS} header lines, the most wsinspect's strict check reads (a limit of wsinspect, not of HTTP); the lines from line {n} on were not checked by httparse",
                side.what()
            ),
        );
        if let Some(l) = lines.get(MAX_HEADERS) {
            strict(input, start, l.next, lines, side, first_line, issue);
        }
        return;
    }
    // Prefixes ending at a line boundary are Partial until the bad line is included.
    let (mut lo, mut hi) = (0, lines.len().saturating_sub(1));
    while lo < hi {
        let mid = (lo + hi) / 2;
        if run_httparse(&input[start..lines[mid].next], side).is_err() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let Some(l) = lines.get(lo) else { return };
    // Folded lines are already reported (as a warning) by the lenient reader.
    if lo > 0 && matches!(input.get(l.start), Some(b' ' | b'\t')) {
        return;
    }
    let n = first_line + lo;
    let raw = &input[l.start..l.end];
    let col = column(raw, lo == 0, side, err);
    issue(
        side.syntax(),
        Status::Fail,
        n,
        format!(
            "line {n}, column {col}: the strict HTTP/1.1 parser (httparse) rejects this line: {err}; the line is {:?}",
            text(raw)
        ),
    );
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A best guess at the 1-based column of an httparse error within one line.
fn column(raw: &[u8], first: bool, side: Side, err: httparse::Error) -> usize {
    let pos = |f: &dyn Fn(u8) -> bool, from: usize| {
        raw.iter()
            .skip(from)
            .position(|&b| f(b))
            .map_or(raw.len() + 1, |i| from + i + 1)
    };
    if first {
        let sp1 = raw.iter().position(|&b| b == b' ').unwrap_or(raw.len());
        let sp2 = raw[(sp1 + 1).min(raw.len())..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(raw.len(), |i| sp1 + 1 + i);
        return match (side, err) {
            (Side::Request, httparse::Error::Token) | (Side::Request, httparse::Error::Version)
                if sp2 < raw.len() =>
            {
                if err == httparse::Error::Token && pos(&|b| !is_tchar(b), 0) <= sp1 {
                    pos(&|b| !is_tchar(b), 0)
                } else {
                    sp2 + 2
                }
            }
            (Side::Response, httparse::Error::Status) => sp1 + 2,
            (_, httparse::Error::Version) if side == Side::Response => 1,
            _ => pos(&|b| b.is_ascii_control(), 0),
        };
    }
    match err {
        httparse::Error::HeaderName => pos(&|b| !is_tchar(b), 0),
        httparse::Error::HeaderValue => {
            let colon = raw.iter().position(|&b| b == b':').unwrap_or(0);
            pos(&|b| b.is_ascii_control() && b != b'\t', colon + 1)
        }
        _ => pos(&|b| b.is_ascii_control(), 0),
    }
}
