//! The server's response checked against RFC 6455 §4.1 and §4.2.2: the status line, the
//! upgrade headers, the Accept, the selected subprotocol and the accepted extensions (RFC 7692
//! §7 for permessage-deflate); a refusal's status is explained.

use std::collections::{HashMap, HashSet};

use super::accept;
use super::context::{header_case, line_of_header, token_check, version_at_least_1_1, Ctx};
use super::http::{Fields, Request, Response};
use super::{CheckId, Extension, Status};
use crate::ext::extensions::{
    deflate_answer_errors, deflate_param_errors, deflate_session, parse_extensions,
};

/// Every response check of an RFC 6455 handshake; `req` is the request when the input has it.
pub(super) fn server_checks(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    version(ctx, res);
    if res.status != 101 {
        refusal(ctx, req, res);
        header_case(ctx, CheckId::ResHeaderCase, &res.headers, &res.head);
        return;
    }
    ctx.push(
        CheckId::ResStatus,
        Status::Pass,
        Some(res.head.first_line),
        format!("101 {}", res.reason),
    );
    token_check(
        ctx,
        CheckId::ResUpgrade,
        res,
        &res.head,
        "Upgrade",
        "websocket",
    );
    token_check(
        ctx,
        CheckId::ResConnection,
        res,
        &res.head,
        "Connection",
        "Upgrade",
    );
    accept_value(ctx, req, res);
    protocol(ctx, req, res);
    extensions(ctx, req, res);
    legacy(ctx, res);
    header_case(ctx, CheckId::ResHeaderCase, &res.headers, &res.head);
}

fn version(ctx: &mut Ctx, res: &Response) {
    let first = Some(res.head.first_line);
    if res.version == "HTTP/1.1" {
        ctx.push(CheckId::ResVersion, Status::Pass, first, "HTTP/1.1");
    } else if version_at_least_1_1(&res.version) {
        ctx.push(
            CheckId::ResVersion,
            Status::Warn,
            first,
            format!("`{}`: a 101 answer is sent in HTTP/1.1", res.version),
        );
    } else {
        ctx.push(
            CheckId::ResVersion,
            Status::Fail,
            first,
            format!(
                "`{}` is not HTTP/1.1 (written exactly `HTTP/1.1`)",
                res.version
            ),
        );
    }
}

/// A status other than 101: what it means, and the versions a refusal lists.
fn refusal(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    let first = Some(res.head.first_line);
    ctx.push(
        CheckId::ResStatus,
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
            CheckId::ResWsVersion,
            Status::Pass,
            line_of_header(&res.headers, &res.head, "Sec-WebSocket-Version"),
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
        ctx.push(CheckId::ResWsVersion, Status::Warn, first, format!("a {} answer to a WebSocket request should list the versions the server speaks in Sec-WebSocket-Version", res.status));
    }
}

/// What a non-101 status means for a WebSocket client.
pub(super) fn explain_status(status: u16) -> &'static str {
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

fn accept_value(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    let received: Vec<&str> = res.values("Sec-WebSocket-Accept").collect();
    let line = line_of_header(&res.headers, &res.head, "Sec-WebSocket-Accept");
    let key = req.and_then(|r| {
        let k: Vec<&str> = r.values("Sec-WebSocket-Key").collect();
        (k.len() == 1).then(|| k[0].to_string())
    });
    match (received.as_slice(), key) {
        ([], _) => ctx.push(
            CheckId::ResAccept,
            Status::Fail,
            Some(res.head.first_line),
            "there is no Sec-WebSocket-Accept header; the client fails the connection",
        ),
        ([_, _, ..], _) => ctx.push(
            CheckId::ResAccept,
            Status::Fail,
            line,
            format!(
                "there are {} Sec-WebSocket-Accept headers; there must be exactly one",
                received.len()
            ),
        ),
        ([r], None) => ctx.push(
            CheckId::ResAccept,
            Status::Warn,
            line,
            format!("received `{r}`; cannot verify it without the request's Sec-WebSocket-Key"),
        ),
        ([r], Some(k)) => {
            // The request's key check already did the math for this key.
            let steps = match ctx.accept.take() {
                Some(s) if s.key == k => s.with_received(r),
                _ => accept::explain(&k, Some(r)),
            };
            if steps.matches == Some(true) {
                ctx.push(
                    CheckId::ResAccept,
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
                    CheckId::ResAccept,
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
}

/// The subprotocol the server selected, against the client's offers (RFC 6455 §4.2.2; the
/// same rule for RFC 8441's extended CONNECT).
pub(super) fn protocol(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    let offers = req.map(|r| r.tokens("Sec-WebSocket-Protocol"));
    let chosen = res.tokens("Sec-WebSocket-Protocol");
    let pline = line_of_header(&res.headers, &res.head, "Sec-WebSocket-Protocol");
    match (chosen.as_slice(), &offers) {
        ([], Some(o)) if !o.is_empty() => ctx.push(CheckId::ResProtocol, Status::Pass, None, format!("the server selected no subprotocol (offered: {}); a client that requires one closes the connection", o.join(", "))),
        ([], _) => ctx.push(CheckId::ResProtocol, Status::Pass, None, "no subprotocol"),
        ([p], Some(o)) if o.contains(p) => {
            ctx.push(CheckId::ResProtocol, Status::Pass, pline, format!("selected `{p}`, one of the offers"));
            ctx.negotiated.subprotocol = Some(p.clone());
        }
        ([p], Some(o)) if o.is_empty() => ctx.push(CheckId::ResProtocol, Status::Fail, pline, format!("selected `{p}` but the client offered no subprotocol; the client fails the connection")),
        ([p], Some(o)) => ctx.push(CheckId::ResProtocol, Status::Fail, pline, format!("selected `{p}`, which the client did not offer (offers: {}; exact, case-sensitive match)", o.join(", "))),
        ([p], None) => {
            ctx.push(CheckId::ResProtocol, Status::Warn, pline, format!("selected `{p}`; cannot check it against the offers without the request"));
            ctx.negotiated.subprotocol = Some(p.clone());
        }
        (many, _) => ctx.push(CheckId::ResProtocol, Status::Fail, pline, format!("the server must select exactly one subprotocol, but sent {}", many.join(", "))),
    }
}

/// The extensions the server accepted, against the client's offers (RFC 6455 §9.1, RFC 7692;
/// the same rules for RFC 8441's extended CONNECT).
pub(super) fn extensions(ctx: &mut Ctx, req: Option<&Request>, res: &Response) {
    let Some(value) = res.combined("Sec-WebSocket-Extensions") else {
        ctx.push(
            CheckId::ResExtensions,
            Status::Pass,
            None,
            "no extension accepted",
        );
        return;
    };
    let eline = line_of_header(&res.headers, &res.head, "Sec-WebSocket-Extensions");
    let accepted = parse_extensions(&value);
    // The request's check parsed the offers already, when it ran on this request.
    let parsed = ctx.offers.take();
    let offered = req.map(|r| {
        parsed.unwrap_or_else(|| {
            r.combined("Sec-WebSocket-Extensions")
                .map(|v| parse_extensions(&v))
                .unwrap_or_default()
        })
    });
    let errs = extension_errors(ctx, &accepted, offered.as_deref());
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
            CheckId::ResExtensions,
            status,
            eline,
            format!("accepted {}{tail}", names.join(", ")),
        );
    } else {
        ctx.push(
            CheckId::ResExtensions,
            Status::Fail,
            eline,
            format!("{}; the client fails the connection", errs.join("; ")),
        );
    }
    ctx.negotiated.extensions = accepted;
    ctx.negotiated.extensions_header = Some(value);
}

/// Each message once, in the order first seen, with how many times it came when more than once
/// (a response repeating one mistake 4,000 times says so in one line).
pub(super) fn once_each(msgs: Vec<String>) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order = Vec::new();
    for m in msgs {
        let n = counts.entry(m.clone()).or_insert(0);
        if *n == 0 {
            order.push(m);
        }
        *n += 1;
    }
    order
        .into_iter()
        .map(|m| match counts[&m] {
            1 => m,
            n => format!("{m} ({n} times)"),
        })
        .collect()
}

/// What is wrong with the accepted extensions, given the offers when the request is known; the
/// first permessage-deflate answer configures the session. Linear in the offers and answers:
/// the offers are grouped by name once, and only the first permessage-deflate answer (the one
/// that counts) is compared with the permessage-deflate offers.
fn extension_errors(
    ctx: &mut Ctx,
    accepted: &[Extension],
    offered: Option<&[Extension]>,
) -> Vec<String> {
    let offered_names: Option<HashSet<String>> =
        offered.map(|o| o.iter().map(|e| e.name.to_ascii_lowercase()).collect());
    let mut errs = Vec::new();
    let mut pmd_seen = 0;
    for e in accepted {
        let lower = e.name.to_ascii_lowercase();
        if offered_names.as_ref().is_some_and(|n| !n.contains(&lower)) {
            errs.push(format!("`{}` was not offered by the client", e.name));
        }
        if lower == "permessage-deflate" {
            pmd_seen += 1;
            if pmd_seen > 1 {
                continue; // reported once below; only the first answer configures the session
            }
            errs.extend(deflate_param_errors(e, true));
            let mut same = offered
                .iter()
                .copied()
                .flatten()
                .filter(|o| o.name.eq_ignore_ascii_case(&e.name))
                .peekable();
            if let Some(first) = same.peek().copied() {
                let mut fits = same.map(|o| deflate_answer_errors(o, e));
                if fits.all(|f| !f.is_empty()) {
                    errs.extend(deflate_answer_errors(first, e));
                }
            }
            if ctx.negotiated.permessage_deflate.is_none() {
                ctx.negotiated.permessage_deflate = Some(deflate_session(e));
            }
        }
    }
    if pmd_seen > 1 {
        errs.push(format!(
            "permessage-deflate is accepted {pmd_seen} times; a server accepts at most one offer"
        ));
    }
    once_each(errs)
}

/// Headers of the draft-76 handshake in an RFC 6455 response.
fn legacy(ctx: &mut Ctx, res: &Response) {
    let legacy: Vec<String> = res
        .headers
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
        ctx.push(
            CheckId::ResLegacy,
            Status::Pass,
            None,
            "no draft-76 headers",
        );
    } else {
        ctx.push(CheckId::ResLegacy, Status::Warn, None, format!("{} belong to the obsolete draft-76 handshake: RFC 6455 clients ignore them, so they can go", legacy.join(", ")));
    }
}
