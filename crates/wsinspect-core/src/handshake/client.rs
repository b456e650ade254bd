//! The client's request checked against RFC 6455 §4.1: the request line, Host, the upgrade
//! headers, the key, the version, Origin, and the subprotocol and extension offers.

use super::accept;
use super::context::{
    header_case, is_token, line_of_header, token_check, version_at_least_1_1, Ctx,
};
use super::http::{Fields, Request};
use super::{CheckId, Status};
use crate::ext::extensions::{deflate_param_errors, parse_extensions};

/// Every request check of an RFC 6455 handshake.
pub(super) fn client_checks(ctx: &mut Ctx, req: &Request) {
    method_and_version(ctx, req);
    target(ctx, req);
    host(ctx, req);
    token_check(
        ctx,
        CheckId::ReqUpgrade,
        req,
        &req.head,
        "Upgrade",
        "websocket",
    );
    token_check(
        ctx,
        CheckId::ReqConnection,
        req,
        &req.head,
        "Connection",
        "Upgrade",
    );
    key(ctx, req);
    version(ctx, req);
    origin(ctx, req);
    protocols(ctx, req);
    extensions(ctx, req);
    header_case(ctx, CheckId::ReqHeaderCase, &req.headers, &req.head);
}

fn method_and_version(ctx: &mut Ctx, req: &Request) {
    let first = Some(req.head.first_line);
    if req.method == "GET" {
        ctx.push(CheckId::ReqMethod, Status::Pass, first, "the method is GET");
    } else if req.method == "PRI" && req.target == "*" && req.version == "HTTP/2.0" {
        ctx.push(CheckId::ReqMethod, Status::Fail, first, "this is the HTTP/2 connection preface (`PRI * HTTP/2.0`, RFC 9113 §3.4) that a client sends when it speaks HTTP/2 with prior knowledge, not an HTTP/1.1 handshake; over HTTP/2 a WebSocket opens with an extended CONNECT (RFC 8441) inside binary HTTP/2 frames, so the bytes after this preface are HTTP/2 frames");
    } else {
        ctx.push(CheckId::ReqMethod, Status::Fail, first, format!("the method is `{}`; the handshake must be a GET request (methods are case-sensitive)", req.method));
    }
    if version_at_least_1_1(&req.version) {
        ctx.push(
            CheckId::ReqVersion,
            Status::Pass,
            first,
            format!("{} is HTTP/1.1 or later", req.version),
        );
    } else {
        ctx.push(
            CheckId::ReqVersion,
            Status::Fail,
            first,
            format!(
                "`{}` is not HTTP/1.1 or later (written exactly `HTTP/1.1`)",
                req.version
            ),
        );
    }
}

fn target(ctx: &mut Ctx, req: &Request) {
    let first = Some(req.head.first_line);
    let t = &req.target;
    let lower = t.to_ascii_lowercase();
    if t.chars().any(char::is_control) {
        ctx.push(
            CheckId::ReqTarget,
            Status::Fail,
            first,
            format!("the target {t:?} contains control characters, which a request-target cannot hold (RFC 9112 §3.2)"),
        );
    } else if t.contains('#') {
        ctx.push(CheckId::ReqTarget, Status::Fail, first, format!("the target `{t}` has a fragment ('#'); WebSocket URIs must not have one (RFC 6455 §3)"));
    } else if t.starts_with('/') || lower.starts_with("http://") || lower.starts_with("https://") {
        ctx.push(
            CheckId::ReqTarget,
            Status::Pass,
            first,
            format!("the target is `{t}`"),
        );
    } else if lower.starts_with("ws://") || lower.starts_with("wss://") {
        ctx.push(CheckId::ReqTarget, Status::Warn, first, format!("the target `{t}` is a ws:// URI, as browser developer tools display it; on the wire the request line carries the path (`/...`) or an http(s) URI, and servers may reject this one"));
    } else {
        ctx.push(
            CheckId::ReqTarget,
            Status::Fail,
            first,
            format!(
                "the target `{t}` is neither a path starting with '/' nor an absolute http(s) URI"
            ),
        );
    }
}

fn host(ctx: &mut Ctx, req: &Request) {
    let at = line_of_header(&req.headers, &req.head, "Host");
    match req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Host"))
        .count()
    {
        1 if req
            .values("Host")
            .next()
            .is_some_and(|v| v.chars().any(char::is_control)) =>
        {
            ctx.push(
                CheckId::ReqHost,
                Status::Fail,
                at,
                format!(
                    "the Host value {:?} contains control characters, which a host cannot hold (RFC 9110 §7.2)",
                    req.values("Host").next().unwrap_or("")
                ),
            )
        }
        1 if req.values("Host").next().is_some_and(|v| !v.is_empty()) => ctx.push(
            CheckId::ReqHost,
            Status::Pass,
            at,
            format!("Host: {}", req.values("Host").next().unwrap_or("")),
        ),
        0 => ctx.push(
            CheckId::ReqHost,
            Status::Fail,
            Some(req.head.first_line),
            "there is no Host header; HTTP/1.1 requires exactly one",
        ),
        1 => ctx.push(
            CheckId::ReqHost,
            Status::Fail,
            at,
            "the Host header is empty",
        ),
        n => ctx.push(
            CheckId::ReqHost,
            Status::Fail,
            at,
            format!("there are {n} Host headers; HTTP/1.1 requires exactly one"),
        ),
    }
}

fn key(ctx: &mut Ctx, req: &Request) {
    let at = line_of_header(&req.headers, &req.head, "Sec-WebSocket-Key");
    let keys: Vec<&str> = req.values("Sec-WebSocket-Key").collect();
    match keys.as_slice() {
        [] => ctx.push(CheckId::ReqKey, Status::Fail, Some(req.head.first_line), "there is no Sec-WebSocket-Key header; without it the server cannot prove it speaks WebSocket"),
        [k] => {
            let steps = accept::explain(k, None);
            if steps.key_valid {
                ctx.push(CheckId::ReqKey, Status::Pass, at, format!("`{k}` is base64 of 16 bytes"));
            } else {
                use base64::Engine as _;
                let why = match base64::engine::general_purpose::STANDARD.decode(steps.trimmed.as_bytes()) {
                    Ok(b) => format!("it decodes to {} bytes, not 16", b.len()),
                    Err(e) => format!("it is not valid base64 ({e})"),
                };
                ctx.push(CheckId::ReqKey, Status::Fail, at, format!("`{k}`: {why}; the key must be 16 random bytes in base64 (24 characters ending in `==`)"));
            }
            ctx.accept = Some(steps);
        }
        _ => ctx.push(CheckId::ReqKey, Status::Fail, at, format!("there are {} Sec-WebSocket-Key headers; there must be exactly one", keys.len())),
    }
}

fn version(ctx: &mut Ctx, req: &Request) {
    let at = line_of_header(&req.headers, &req.head, "Sec-WebSocket-Version");
    let versions = req.tokens("Sec-WebSocket-Version");
    match versions.as_slice() {
        [v] if v == "13" => ctx.push(CheckId::ReqWsVersion, Status::Pass, at, "Sec-WebSocket-Version: 13"),
        [] => ctx.push(CheckId::ReqWsVersion, Status::Fail, Some(req.head.first_line), "there is no Sec-WebSocket-Version header; RFC 6455 clients send 13"),
        v => ctx.push(CheckId::ReqWsVersion, Status::Fail, at, format!("Sec-WebSocket-Version is `{}`; it must be exactly 13 (8 and 7 were drafts, a server answers 426 listing what it speaks)", v.join(", "))),
    }
}

fn origin(ctx: &mut Ctx, req: &Request) {
    if req.values("Origin").next().is_some() || req.values("Sec-WebSocket-Origin").next().is_some()
    {
        ctx.push(
            CheckId::ReqOrigin,
            Status::Pass,
            line_of_header(&req.headers, &req.head, "Origin"),
            format!(
                "Origin: {}",
                req.combined("Origin")
                    .or(req.combined("Sec-WebSocket-Origin"))
                    .unwrap_or_default()
            ),
        );
    } else {
        ctx.push(CheckId::ReqOrigin, Status::Warn, Some(req.head.first_line), "there is no Origin header: fine for a non-browser client, but browsers always send it, so this request did not come from a page (and servers that check Origin will refuse it)");
    }
}

/// The subprotocols the client offers (also in an HTTP/2 extended CONNECT).
pub(super) fn protocols(ctx: &mut Ctx, req: &Request) {
    let offers = req.tokens("Sec-WebSocket-Protocol");
    if offers.is_empty() {
        ctx.push(
            CheckId::ReqProtocol,
            Status::Pass,
            None,
            "no subprotocol offered",
        );
        return;
    }
    let at = line_of_header(&req.headers, &req.head, "Sec-WebSocket-Protocol");
    let bad: Vec<&String> = offers.iter().filter(|o| !is_token(o)).collect();
    let dup: Vec<&String> = offers
        .iter()
        .enumerate()
        .filter(|(i, o)| offers[..*i].contains(o))
        .map(|(_, o)| o)
        .collect();
    if bad.is_empty() && dup.is_empty() {
        ctx.push(
            CheckId::ReqProtocol,
            Status::Pass,
            at,
            format!("offers {}", offers.join(", ")),
        );
    } else {
        ctx.push(
            CheckId::ReqProtocol,
            Status::Fail,
            at,
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

/// The extensions the client offers (also in an HTTP/2 extended CONNECT).
pub(super) fn extensions(ctx: &mut Ctx, req: &Request) {
    let Some(v) = req.combined("Sec-WebSocket-Extensions") else {
        ctx.push(
            CheckId::ReqExtensions,
            Status::Pass,
            None,
            "no extension offered",
        );
        return;
    };
    let line = line_of_header(&req.headers, &req.head, "Sec-WebSocket-Extensions");
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
    let errs = super::server::once_each(errs);
    if errs.is_empty() {
        let names: Vec<&str> = offers.iter().map(|e| e.name.as_str()).collect();
        ctx.push(
            CheckId::ReqExtensions,
            Status::Pass,
            line,
            format!("offers {}", names.join(", ")),
        );
    } else {
        ctx.push(
            CheckId::ReqExtensions,
            Status::Fail,
            line,
            format!("{}; a server must decline such an offer", errs.join("; ")),
        );
    }
    ctx.offers = Some(offers);
}
