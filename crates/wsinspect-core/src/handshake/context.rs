//! What the checks of every side share: the list of issues they push to, with what the
//! analysis extracts along the way, and helpers for header lines, tokens, versions, header-name
//! spelling and list headers (RFC 9110 §5.6.1).

use super::accept::AcceptSteps;
use super::http::{Fields, Head};
use super::{CheckId, Issue, Negotiated, Status};
use crate::ext::extensions::Extension;

/// The analysis in progress: issues for the checklist, the Accept math and the negotiated
/// session as the checks find them.
pub(super) struct Ctx {
    pub issues: Vec<Issue>,
    pub accept: Option<AcceptSteps>,
    pub negotiated: Negotiated,
    /// The client's extension offers, parsed by the request's check for the response's.
    pub offers: Option<Vec<Extension>>,
}

impl Ctx {
    pub fn push(
        &mut self,
        id: CheckId,
        status: Status,
        line: Option<usize>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.issues.push(Issue {
            id,
            status,
            line,
            message: message.into(),
        });
    }
}

/// The line of the first header named `name`.
pub(super) fn line_of_header(h: &[(String, String)], head: &Head, name: &str) -> Option<usize> {
    h.iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|i| head.header_lines.get(i).copied())
}

/// Whether `s` is an HTTP token (RFC 9110 §5.6.2).
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether an `HTTP/x.y` version is 1.1 or later.
pub(super) fn version_at_least_1_1(v: &str) -> bool {
    let Some(num) = v.strip_prefix("HTTP/") else {
        return false;
    };
    let (major, minor) = num.split_once('.').unwrap_or((num, "0"));
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(ma), Ok(mi)) => (ma, mi) >= (1, 1),
        _ => false,
    }
}

/// The WebSocket header names as registered (RFC 6455 §11.3).
const REGISTERED: &[&str] = &[
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
];

/// Whether the WebSocket header names use their registered spelling (or all lower case).
pub(super) fn header_case(ctx: &mut Ctx, id: CheckId, headers: &[(String, String)], head: &Head) {
    let odd: Vec<(usize, &str, &str)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, (n, _))| {
            let reg = REGISTERED.iter().find(|r| r.eq_ignore_ascii_case(n))?;
            // Names that match case-insensitively: all lower case unless a letter is upper.
            (n != reg && n.bytes().any(|b| b.is_ascii_uppercase()))
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

/// Whether the list header `name` contains `token`, as one element in any case.
pub(super) fn token_check(
    ctx: &mut Ctx,
    id: CheckId,
    msg: &impl Fields,
    head: &Head,
    name: &str,
    token: &str,
) {
    let line = line_of_header(msg.pairs(), head, name);
    if msg.has_token(name, token) {
        // The checks' own pairs are written out: a pass is the common case, and is not formatted.
        let pass: std::borrow::Cow<'static, str> = match (name, token) {
            ("Upgrade", "websocket") => "Upgrade contains `websocket`".into(),
            ("Connection", "Upgrade") => "Connection contains `Upgrade`".into(),
            _ => format!("{name} contains `{token}`").into(),
        };
        return ctx.push(id, Status::Pass, line, pass);
    }
    match msg.combined(name) {
        None => ctx.push(id, Status::Fail, Some(head.first_line), format!("there is no {name} header; it must contain `{token}`")),
        Some(v) => ctx.push(id, Status::Fail, line, format!("{name} is `{v}`; it must contain the token `{token}` (any case, as one item of a comma-separated list)")),
    }
}
