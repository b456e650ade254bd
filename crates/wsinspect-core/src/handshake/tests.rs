//! Handshake analysis tests: the RFC examples, the tutorials' handshakes, real peers' captures,
//! and every checklist item passing and failing.

use std::collections::BTreeSet;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/data/handshake/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn status(r: &HandshakeReport, id: CheckId) -> Status {
    r.check(id)
        .unwrap_or_else(|| panic!("no {id} in {:#?}", r.checks))
        .status
}

fn all_pass(r: &HandshakeReport) {
    let bad: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

const REQ: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RES: &str =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

#[test]
fn rfc6455_examples_pass_every_check() {
    let r = analyze(&fixture("rfc6455.txt"));
    assert_eq!(r.kind, Kind::Rfc6455);
    all_pass(&r);
    assert_eq!(r.summary.fail + r.summary.warn, 0);
    let req = r.request.as_ref().unwrap();
    assert_eq!(
        (
            req.method.as_str(),
            req.target.as_str(),
            req.version.as_str()
        ),
        ("GET", "/chat", "HTTP/1.1")
    );
    assert_eq!(req.headers[0], ("Host".into(), "server.example.com".into()));
    assert_eq!(r.response.as_ref().unwrap().status, 101);
    let a = r.accept.as_ref().unwrap();
    assert_eq!(a.expected, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(a.matches, Some(true));
    assert_eq!(r.subprotocol.as_deref(), Some("chat"));
    assert_eq!(r.split.frames, None);
    // Every applicable item is reported.
    for id in [
        CheckId::ReqMethod,
        CheckId::ReqKey,
        CheckId::ReqOrigin,
        CheckId::ResStatus,
        CheckId::ResAccept,
        CheckId::ResProtocol,
        CheckId::ResExtensions,
    ] {
        assert!(r.check(id).is_some(), "{id}");
    }
    assert_eq!(analyze(format!("{REQ}{RES}").as_bytes()).checks, r.checks);
}

#[test]
fn tutorial_003_guid_typo_and_bare_lf_are_named() {
    let r = analyze(&fixture("tutorial-003.txt"));
    let accept = r.check(CheckId::ResAccept).unwrap();
    assert_eq!(accept.status, Status::Fail);
    assert!(
        accept.message.contains("Accept mismatch"),
        "{}",
        accept.message
    );
    assert!(
        accept.message.contains("missing the 'A' at offset 6"),
        "{}",
        accept.message
    );
    assert!(
        accept
            .message
            .contains("258EAF5-E914-47DA-95CA-C5AB0DC85B11"),
        "{}",
        accept.message
    );
    let d = r.accept.as_ref().unwrap().diagnosis.as_ref().unwrap();
    assert_eq!(d.mistake, accept::Mistake::GuidDroppedChar);
    assert_eq!(status(&r, CheckId::ResLineEndings), Status::Warn);
    assert!(r
        .check(CheckId::ResLineEndings)
        .unwrap()
        .message
        .contains("bare LF"));
    assert_eq!(status(&r, CheckId::ReqLineEndings), Status::Pass);
    assert_eq!(r.response.as_ref().unwrap().head.line_endings, "lf");
    // Everything else about it is fine: no space after ':' is valid HTTP.
    for c in &r.checks {
        if ![CheckId::ResAccept, CheckId::ResLineEndings].contains(&c.id) {
            assert_eq!(c.status, Status::Pass, "{c:?}");
        }
    }
    // The response alone: the Accept cannot be verified, the rest still is.
    let r = analyze(&fixture("tutorial-003-response.txt"));
    assert!(r.request.is_none());
    assert_eq!(status(&r, CheckId::ResAccept), Status::Warn);
    assert_eq!(status(&r, CheckId::ResStatus), Status::Pass);
}

#[test]
fn tutorial_000_and_004() {
    let r = analyze(&fixture("tutorial-000.txt"));
    assert_eq!(status(&r, CheckId::ResAccept), Status::Pass);
    assert_eq!(status(&r, CheckId::ReqTarget), Status::Warn);
    assert_eq!(status(&r, CheckId::ReqOrigin), Status::Warn);
    let r = analyze(&fixture("tutorial-004.txt"));
    assert_eq!(r.kind, Kind::Rfc6455);
    assert_eq!(status(&r, CheckId::ResAccept), Status::Pass);
    assert_eq!(status(&r, CheckId::ResLegacy), Status::Warn);
    assert_eq!(status(&r, CheckId::ResProtocol), Status::Pass);
    assert_eq!(r.subprotocol, None);
}

#[test]
fn real_peers_pass_and_negotiate() {
    for name in [
        "real-node-client_py-server.txt",
        "real-py-client_node-server.txt",
    ] {
        let r = analyze(&fixture(name));
        all_pass(&r);
        assert_eq!(r.subprotocol.as_deref(), Some("chat"), "{name}");
        assert!(r.permessage_deflate.is_some());
    }
    let r = analyze(&fixture("real-node-client_py-server.txt"));
    let d = r.permessage_deflate.unwrap();
    assert_eq!(
        d.server,
        DeflateParams {
            no_context_takeover: false,
            max_window_bits: 12
        }
    );
    assert_eq!(
        d.client,
        DeflateParams {
            no_context_takeover: false,
            max_window_bits: 12
        }
    );
    assert_eq!(
        r.extensions_header.as_deref(),
        Some("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
    );
}

#[test]
fn whole_streams_split_into_handshake_and_frames() {
    let c = fixture("real-node-client_py-server.client.bin");
    let s = split_stream(&c);
    let end = c.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(s.request, Some(0..end));
    assert_eq!(
        s.frames,
        Some(FrameBytes {
            offset: end,
            len: c.len() - end,
            direction: Direction::Client
        })
    );
    let srv = fixture("real-node-client_py-server.server.bin");
    let s = split_stream(&srv);
    let f = s.frames.unwrap();
    assert_eq!((f.direction, srv[f.offset]), (Direction::Server, 0xc1));
    // Request, response and then server frames, one after the other.
    let mut all = fixture("real-py-client_node-server.txt");
    all.extend_from_slice(b"\x81\x02hi");
    let r = analyze(&all);
    all_pass(&r);
    assert_eq!(r.split.frames.unwrap().len, 4);
    assert_eq!(r.split.frames.unwrap().direction, Direction::Server);
    // Trailing blank lines are not frames.
    let s = split_stream(format!("{REQ}{RES}\r\n\n").as_bytes());
    assert_eq!((s.frames, s.trailing_whitespace), (None, 3));
}

#[test]
fn line_endings_a_textarea_rewrote_are_unknown_not_a_warning() {
    let lf = format!("{REQ}{RES}").replace("\r\n", "\n");
    let opts = super::AnalyzeOptions {
        line_endings_known: false,
    };
    let r = super::analyze_with(lf.as_bytes(), opts);
    for id in [CheckId::ReqLineEndings, CheckId::ResLineEndings] {
        let c = r.check(id).unwrap();
        assert_eq!(c.status, Status::Unknown);
        assert!(c
            .message
            .starts_with("cannot be known from text typed into a page"));
    }
    assert_eq!((r.summary.warn, r.summary.unknown), (0, 2));
    // CRLF text still passes, and known line endings still warn.
    let r = super::analyze_with(format!("{REQ}{RES}").as_bytes(), opts);
    assert_eq!(status(&r, CheckId::ReqLineEndings), Status::Pass);
    assert_eq!(r.summary.unknown, 0);
    assert_eq!(
        status(&analyze(lf.as_bytes()), CheckId::ReqLineEndings),
        Status::Warn
    );
}

#[test]
fn lf_only_and_mixed_line_endings() {
    let lf = format!("{REQ}{RES}").replace("\r\n", "\n");
    let r = analyze(lf.as_bytes());
    assert_eq!(status(&r, CheckId::ReqLineEndings), Status::Warn);
    assert_eq!(status(&r, CheckId::ResLineEndings), Status::Warn);
    assert_eq!(status(&r, CheckId::ReqSyntax), Status::Pass);
    assert_eq!(status(&r, CheckId::ResAccept), Status::Pass);
    assert_eq!(r.request.as_ref().unwrap().head.line_endings, "lf");
    let mixed = REQ.replacen(
        "Host: server.example.com\r\n",
        "Host: server.example.com\n",
        1,
    );
    let r = analyze(mixed.as_bytes());
    let c = r.check(CheckId::ReqLineEndings).unwrap();
    assert_eq!((c.status, c.line), (Status::Warn, Some(2)));
    assert_eq!(r.request.as_ref().unwrap().head.line_endings, "mixed");
    assert_eq!(r.request.as_ref().unwrap().headers.len(), 7);
}

#[test]
fn lenient_reading_of_case_repeats_lists_whitespace_and_folding() {
    let req =
        "GET /chat HTTP/1.1\r\nhost: a\r\nUPGRADE:   WebSocket  \r\nconnection: keep-alive\r\n\
Connection: UPGRADE\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Origin: x\r\nSec-WebSocket-Protocol: chat,\r\n superchat\r\n\r\n";
    let r = analyze(req.as_bytes());
    assert_eq!(status(&r, CheckId::ReqUpgrade), Status::Pass);
    assert_eq!(status(&r, CheckId::ReqConnection), Status::Pass);
    assert_eq!(status(&r, CheckId::ReqKey), Status::Pass);
    let req_msg = r.request.as_ref().unwrap();
    assert_eq!(
        req_msg.combined("connection").as_deref(),
        Some("keep-alive, UPGRADE")
    );
    assert_eq!(
        req_msg.tokens("sec-websocket-protocol"),
        ["chat", "superchat"]
    );
    let syntax = r.check(CheckId::ReqSyntax).unwrap();
    assert_eq!(syntax.status, Status::Warn);
    assert!(
        syntax.message.contains("line 10") && syntax.message.contains("fold"),
        "{}",
        syntax.message
    );
    assert_eq!(status(&r, CheckId::ReqHeaderCase), Status::Pass);
}

#[test]
fn missing_blank_line_is_reported_and_a_response_after_it_is_still_found() {
    let req = REQ.trim_end_matches("\r\n");
    let r = analyze(format!("{req}\r\n{RES}").as_bytes());
    let c = r.check(CheckId::ReqHeadEnd).unwrap();
    assert_eq!((c.status, c.line), (Status::Warn, Some(8)));
    assert_eq!(status(&r, CheckId::ResAccept), Status::Pass);
    let r = analyze(RES.trim_end().as_bytes());
    assert_eq!(status(&r, CheckId::ResHeadEnd), Status::Warn);
    assert_eq!(status(&r, CheckId::ResAccept), Status::Warn);
}

#[test]
fn strict_parser_errors_have_positions() {
    let bad = REQ.replace("Origin: http://example.com", "Ori gin: http://example.com");
    let r = analyze(bad.as_bytes());
    let c = r.check(CheckId::ReqSyntax).unwrap();
    assert_eq!((c.status, c.line), (Status::Fail, Some(6)));
    assert!(c.message.contains("line 6, column 4"), "{}", c.message);
    let bad = REQ.replace("Host: server", "Host: ser\x01ver");
    let c = analyze(bad.as_bytes())
        .check(CheckId::ReqSyntax)
        .cloned()
        .unwrap();
    assert!(c.message.contains("line 2, column 10"), "{}", c.message);
    let bad = REQ.replace("Host :", "Host:").replace("Host:", "Host :");
    let c = analyze(bad.as_bytes())
        .check(CheckId::ReqSyntax)
        .cloned()
        .unwrap();
    assert!(
        c.message.contains("line 2, column 5") && c.status == Status::Fail,
        "{}",
        c.message
    );
    let c = analyze(b"GET / http/1.1\r\nHost: a\r\n\r\n")
        .check(CheckId::ReqSyntax)
        .cloned()
        .unwrap();
    assert!(c.message.contains("line 1, column 7"), "{}", c.message);
    let c = analyze(b"HTTP/1.1 1O1 Switching\r\n\r\n")
        .check(CheckId::ResSyntax)
        .cloned()
        .unwrap();
    assert!(c.message.contains("line 1, column 10"), "{}", c.message);
    let c = analyze(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")
        .check(CheckId::ReqSyntax)
        .cloned()
        .unwrap();
    assert!(c.message.contains("no colon here"), "{}", c.message);
}

#[test]
fn non_101_answers_are_explained() {
    let r = analyze(format!("{REQ}HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").as_bytes());
    assert!(r
        .check(CheckId::ResStatus)
        .unwrap()
        .message
        .contains("Origin"));
    assert!(r.check(CheckId::ResAccept).is_none());
    let r = analyze(
        format!(
            "{}HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13, 8\r\n\r\n",
            REQ.replace(": 13", ": 7")
        )
        .as_bytes(),
    );
    assert!(r
        .check(CheckId::ResStatus)
        .unwrap()
        .message
        .contains("Upgrade Required"));
    let v = r.check(CheckId::ResWsVersion).unwrap();
    assert_eq!(v.status, Status::Pass);
    assert!(
        v.message.contains("13, 8") && v.message.contains("asked for 7"),
        "{}",
        v.message
    );
    assert_eq!(status(&r, CheckId::ReqWsVersion), Status::Fail);
    let r = analyze(format!("{REQ}HTTP/1.1 400 Bad Request\r\n\r\n").as_bytes());
    assert_eq!(status(&r, CheckId::ResWsVersion), Status::Warn);
}

#[test]
fn draft76_is_recognised_and_its_md5_checked() {
    let r = analyze(&fixture("draft76.bin"));
    assert_eq!(r.kind, Kind::Draft76);
    assert_eq!(status(&r, CheckId::Draft76), Status::Fail);
    let d = r.draft76.as_ref().unwrap();
    assert_eq!((d.key1, d.key2), (Some(829_309_203), Some(259_970_620)));
    assert_eq!(d.expected, d.received);
    assert!(r
        .check(CheckId::Draft76)
        .unwrap()
        .message
        .contains("matches"));
    assert_eq!(r.split.frames, None);
}

#[test]
fn http2_extended_connect_is_recognised() {
    let r = analyze(&fixture("http2.txt"));
    assert_eq!(r.kind, Kind::Http2);
    all_pass(&r);
    assert_eq!(r.subprotocol.as_deref(), Some("chat"));
    let bad = String::from_utf8(fixture("http2.txt"))
        .unwrap()
        .replace("CONNECT", "GET")
        .replace(":protocol: websocket\n", "")
        .replace(":status: 200", ":status: 400\nupgrade: websocket");
    let r = analyze(bad.as_bytes());
    for id in [
        CheckId::H2Method,
        CheckId::H2Protocol,
        CheckId::H2Status,
        CheckId::H2NoUpgrade,
    ] {
        assert_eq!(status(&r, id), Status::Fail, "{id}");
    }
    let r = analyze(b":method: CONNECT\n:protocol: websocket\n");
    assert_eq!(status(&r, CheckId::H2Pseudo), Status::Fail);
}

#[test]
fn extensions_negotiation() {
    let req = REQ.replace("Sec-WebSocket-Version", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=10\r\nSec-WebSocket-Version");
    let res = |ext: &str| {
        RES.replace(
            "Sec-WebSocket-Protocol: chat",
            &format!("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: {ext}"),
        )
    };
    let r = analyze(
        format!(
            "{req}{}",
            res("permessage-deflate; server_max_window_bits=10; client_max_window_bits=9")
        )
        .as_bytes(),
    );
    all_pass(&r);
    let d = r.permessage_deflate.unwrap();
    assert_eq!(
        (d.client.max_window_bits, d.server.max_window_bits),
        (9, 10)
    );
    for bad in [
        "permessage-deflate; server_max_window_bits=12",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=10",
    ] {
        let r = analyze(format!("{req}{}", res(bad)).as_bytes());
        assert_eq!(status(&r, CheckId::ResExtensions), Status::Fail, "{bad}");
    }
    // client_max_window_bits in a response that was not offered.
    let r = analyze(
        format!(
            "{REQ}{}",
            res("permessage-deflate; client_max_window_bits=10")
        )
        .as_bytes(),
    );
    assert!(r
        .check(CheckId::ResExtensions)
        .unwrap()
        .message
        .contains("not offered"));
    let r = analyze(REQ.replace("Sec-WebSocket-Version", "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16\r\nSec-WebSocket-Version").as_bytes());
    assert_eq!(status(&r, CheckId::ReqExtensions), Status::Fail);
}

/// A request or response with one header replaced (`None` removes it).
fn edit(text: &str, name: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    for line in text.split_inclusive("\r\n") {
        if line
            .to_ascii_lowercase()
            .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        {
            if let Some(v) = value {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn every_checklist_item_passes_and_fails() {
    let pairs: Vec<(String, String)> = vec![
        (REQ.into(), RES.into()),
        (
            REQ.replace("GET", "POST")
                .replace("HTTP/1.1", "HTTP/1.0")
                .replace("/chat", "chat#x"),
            RES.into(),
        ),
        (
            REQ.replace("/chat", "ws://h/chat"),
            RES.replace("HTTP/1.1 101", "HTTP/1.0 101"),
        ),
        (edit(REQ, "Host", None), edit(RES, "Upgrade", Some("h2c"))),
        (
            edit(REQ, "Upgrade", Some("h2c")),
            edit(RES, "Connection", Some("close")),
        ),
        (
            edit(REQ, "Connection", Some("keep-alive")),
            edit(RES, "Sec-WebSocket-Protocol", Some("mqtt")),
        ),
        (edit(REQ, "Sec-WebSocket-Key", Some("c2hvcnQ=")), RES.into()),
        (edit(REQ, "Sec-WebSocket-Version", Some("8")), RES.into()),
        (
            edit(REQ, "Origin", None),
            edit(
                RES,
                "Sec-WebSocket-Accept",
                Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ),
        ),
        (
            edit(REQ, "Sec-WebSocket-Protocol", Some("chat, chat, a b")),
            RES.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: foo\r\n\r\n"),
        ),
        (
            REQ.replace("Sec-WebSocket-Key", "Sec-Websocket-Key")
                .replace("Host: server", "Ho st: server")
                .replace("Upgrade: websocket\r\n", "Upgrade: websocket\n")
                .replace("\r\n\r\n", "\r\n"),
            RES.replace("Sec-WebSocket-Accept", "Sec-Websocket-Accept")
                .replace("Switching Protocols\r\n", "Switching Protocols\n")
                .replace(
                    "Upgrade: websocket\r\n",
                    "Upgrade: websocket\r\nSec-WebSocket-Location: ws://h/\r\nUp grade: x\r\n",
                )
                .trim_end()
                .into(),
        ),
        (
            REQ.into(),
            "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n".into(),
        ),
        (REQ.into(), "HTTP/1.1 426 Upgrade Required\r\n\r\n".into()),
        (
            REQ.replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: permessage-deflate; bad\r\n\r\n",
            ),
            RES.into(),
        ),
    ];
    let mut seen: BTreeSet<(CheckId, bool)> = BTreeSet::new();
    let mut record = |r: &HandshakeReport| {
        for c in &r.checks {
            seen.insert((c.id, c.status == Status::Pass));
        }
    };
    for (req, res) in &pairs {
        record(&analyze(format!("{req}{res}").as_bytes()));
    }
    record(&analyze(&fixture("draft76.bin")));
    record(&analyze(&fixture("http2.txt")));
    record(&analyze(b":method: GET\n:path: /\n:scheme: https\n:authority: a\nupgrade: websocket\nsec-websocket-version: 13\norigin: a\n\n:status: 404\n"));
    record(&analyze(b":method: CONNECT\n:protocol: websocket\n"));
    let mut missing = Vec::new();
    for def in CHECKS {
        for pass in [true, false] {
            // draft76 only ever reports the obsolete form.
            if def.id == CheckId::Draft76 && pass {
                continue;
            }
            if !seen.contains(&(def.id, pass)) {
                missing.push(format!(
                    "{} {}",
                    def.id,
                    if pass { "pass" } else { "fail/warn" }
                ));
            }
        }
    }
    assert!(missing.is_empty(), "never seen: {missing:?}");
}

#[test]
fn bad_input_never_panics() {
    let samples: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"GET".to_vec(),
        b"HTTP/1.1".to_vec(),
        b"HTTP/1.1 101".to_vec(),
        b":".to_vec(),
        b":status".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x81],
        b"GET / HTTP/1.1\r\n \r\n:\r\n\r\n\x81".to_vec(),
        b"GET / HTTP/1.1\r\nSec-WebSocket-Key1: 1 2\r\n\r\n".to_vec(),
        "GET /\u{e9} HTTP/1.1\r\nH\u{e9}: \u{e9}\r\n\r\n"
            .as_bytes()
            .to_vec(),
    ];
    let full = format!("{REQ}{RES}").into_bytes();
    let mut all = samples;
    for i in 0..full.len() {
        all.push(full[..i].to_vec());
    }
    for s in all {
        let r = analyze(&s);
        let _ = r.to_text();
    }
    let r = analyze(b"");
    assert_eq!(status(&r, CheckId::ReqSyntax), Status::Fail);
}

#[test]
fn report_serialises_with_the_documented_fields() {
    let r = analyze(&fixture("tutorial-003.txt"));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v["request"]["headers"][0],
        serde_json::json!(["Host", "dev.websocket:8090"])
    );
    assert_eq!(v["response"]["status"], 101);
    assert_eq!(v["checks"][0]["id"], "req-syntax");
    for k in [
        "key",
        "concatenated",
        "sha1",
        "expected",
        "received",
        "matches",
        "diagnosis",
    ] {
        assert!(v["accept"].get(k).is_some(), "{k}");
    }
    assert!(v.get("subprotocol").is_some() && v.get("extensions").is_some());
}
