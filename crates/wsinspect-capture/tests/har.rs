//! HAR files (tests/data/har): `echo.har` and `echo.playwright.har` are one session of headless
//! Chromium with a Python `websockets` echo server on loopback, recorded by `record.mjs` (from
//! the DevTools Protocol's events, in Chrome's export format) and by Playwright's own recordHar;
//! `edited.har` is `echo.har` changed by `edit.py` (an invalid UTF-8 text message, a close 1005).

use wsinspect_capture::har::{self, HarError, MESSAGES_NOT_FRAMES, TIMES_IN_MS};
use wsinspect_core::finding::Rule;
use wsinspect_core::handshake::{CheckId, Status};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::Direction;

fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/har")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the page sent, in order; the server echoes each.
fn sent() -> Vec<(OpCode, Vec<u8>)> {
    vec![
        (OpCode::TEXT, b"hello".to_vec()),
        (OpCode::BINARY, vec![0, 1, 2, 254, 255]),
        (OpCode::TEXT, "héllo wörld 😀".as_bytes().to_vec()),
    ]
}

/// What the page sent, each followed by the server's echo of it.
fn echoed() -> Vec<(Direction, OpCode, Vec<u8>)> {
    sent()
        .into_iter()
        .flat_map(|(op, p)| {
            [
                (Direction::Client, op, p.clone()),
                (Direction::Server, op, p),
            ]
        })
        .collect()
}

/// A connection's messages: (direction, opcode, payload).
fn messages(c: &har::HarConnection) -> Vec<(Direction, OpCode, Vec<u8>)> {
    c.messages
        .iter()
        .map(|m| (m.direction, m.opcode, m.payload.clone()))
        .collect()
}

#[test]
fn chrome_format_har_gives_the_messages_in_order_with_directions() {
    for name in ["echo.har", "echo.playwright.har"] {
        let capture = har::read(&data(name)).unwrap();
        assert_eq!(capture.connections.len(), 2, "{name}");
        let c = &capture.connections[0];
        assert!(c.url.starts_with("ws://127.0.0.1:") && c.url.ends_with("/echo"));
        assert_eq!(c.status, Some(101));
        assert_eq!(messages(c), echoed(), "{name}");
        // Times in seconds since the epoch (Playwright's milliseconds converted), in order.
        let times: Vec<f64> = c.messages.iter().map(|m| m.time.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{name}: {times:?}");
        assert!(times.iter().all(|t| (1.7e9..1e10).contains(t)), "{name}");
        assert_eq!(
            c.notes.contains(&TIMES_IN_MS),
            name == "echo.playwright.har"
        );
        assert!(c.notes.contains(&MESSAGES_NOT_FRAMES));
        assert!(c
            .messages
            .iter()
            .filter(|m| m.opcode == OpCode::TEXT)
            .all(|m| m.utf8 == Some(true)));
        assert_eq!(c.messages[4].text(), Some("héllo wörld 😀"));
        assert!(c.findings.is_empty(), "{name}: {:?}", c.findings);
    }
}

#[test]
fn the_recorded_handshake_passes_its_checks_and_line_endings_are_not_knowable() {
    let capture = har::read(&data("echo.har")).unwrap();
    let c = &capture.connections[0];
    assert!(c.request_head.starts_with("GET /echo HTTP/1.1\r\n"));
    assert!(c
        .response_head
        .as_deref()
        .unwrap()
        .starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    let h = &c.handshake;
    assert_eq!(h.summary.fail, 0, "{:#?}", h.checks);
    for id in [
        CheckId::ResAccept,
        CheckId::ReqKey,
        CheckId::ResStatus,
        CheckId::ResExtensions,
    ] {
        assert_eq!(h.check(id).unwrap().status, Status::Pass, "{id}");
    }
    for id in [CheckId::ReqLineEndings, CheckId::ResLineEndings] {
        let check = h.check(id).unwrap();
        assert_eq!(check.status, Status::Unknown);
        assert!(check.message.contains("not knowable"), "{}", check.message);
    }
    // The browser offered permessage-deflate and the server accepted it: the HAR still holds
    // the messages as the page saw them, inflated.
    assert!(h.permessage_deflate.is_some());
}

#[test]
fn a_refused_socket_has_its_request_checked_and_no_response() {
    for name in ["echo.har", "echo.playwright.har"] {
        let capture = har::read(&data(name)).unwrap();
        let c = &capture.connections[1];
        assert!(c.url.ends_with("/refuse"));
        // The server answered 403, but neither recorder kept that response: Chromium's
        // DevTools Protocol sent no handshake response event, and Playwright wrote status -1.
        assert_eq!((c.status, c.response_head.as_deref()), (None, None));
        assert!(c.messages.is_empty());
        assert!(c.handshake.response.is_none());
        assert_eq!(c.handshake.summary.fail, 0, "{:#?}", c.handshake.checks);
        assert_eq!(
            c.handshake.check(CheckId::ReqKey).unwrap().status,
            Status::Pass
        );
        let failure = c.failure.as_deref();
        if name == "echo.playwright.har" {
            assert_eq!(
                failure,
                Some("Error during WebSocket handshake: Unexpected response code: 403")
            );
        } else {
            assert_eq!(failure, None);
        }
    }
}

#[test]
fn base64_binary_messages_are_decoded() {
    let capture = har::read(&data("echo.har")).unwrap();
    let m = &capture.connections[0].messages[2];
    assert_eq!(m.opcode, OpCode::BINARY);
    assert_eq!(m.payload, [0, 1, 2, 254, 255]);
    assert_eq!(m.utf8, None);
    let json = serde_json::to_value(m).unwrap();
    assert_eq!(json["hex"], "000102feff");
    assert_eq!(json["direction"], "client");
}

#[test]
fn invalid_utf8_and_a_close_code_that_must_not_be_sent_are_findings() {
    let capture = har::read(&data("edited.har")).unwrap();
    let c = &capture.connections[0];
    let bad = &c.messages[5];
    assert_eq!(bad.payload, b"h\xffllo");
    assert_eq!(bad.utf8, Some(false));
    assert_eq!(serde_json::to_value(bad).unwrap()["hex"], "68ff6c6c6f");
    let found: Vec<_> = c
        .findings
        .iter()
        .map(|f| (f.index, f.direction, f.finding.rule))
        .collect();
    assert_eq!(
        found,
        [
            (5, Direction::Server, Rule::InvalidUtf8),
            (6, Direction::Server, Rule::InvalidCloseCode),
        ]
    );
    assert!(c.findings[1].finding.message.contains("1005"));
}

#[test]
fn json_that_is_not_a_har_is_rejected_clearly() {
    let e = har::read(br#"{"hello": [1, 2]}"#).unwrap_err();
    assert!(matches!(e, HarError::NotHar { .. }));
    assert_eq!(
        e.to_string(),
        "JSON, but not a HAR: the top-level object has no \"log\""
    );
    let e = har::read(br#"{"log": {"version": "1.2"}}"#).unwrap_err();
    assert!(e.to_string().contains("no \"entries\""), "{e}");
    let e = har::read(b"{\"log\": {\"entries\": {}}}").unwrap_err();
    assert!(e.to_string().contains("line 1, column"), "{e}");
}

#[test]
fn a_truncated_har_says_where_it_ends() {
    let whole = data("echo.har");
    let cut = &whole[..1000];
    let lines = cut.split(|b| *b == b'\n').count();
    match har::read(cut).unwrap_err() {
        HarError::NotJson { line, column, .. } => {
            assert_eq!(line, lines);
            assert!(column > 0);
        }
        e => panic!("{e}"),
    }
    let e = har::read(b"{\"log\": \n  {\"entries\": [,]}}").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not valid JSON at line 2, column 16"),
        "{e}"
    );
}

#[test]
fn entries_that_are_not_websocket_are_skipped() {
    let h = br#"{"log": {"entries": [
      {"request": {"method": "GET", "url": "http://h/", "headers": []}, "response": {"status": 200, "headers": []}},
      {"request": {"method": "GET", "url": "ws://h/x", "headers": [{"name": "upgrade", "value": "WebSocket"}]}, "response": {"status": 0}}
    ]}}"#;
    let capture = har::read(h).unwrap();
    assert_eq!(capture.entries, 2);
    assert_eq!(capture.connections.len(), 1);
    let c = &capture.connections[0];
    assert_eq!(
        (c.entry, c.status, c.response_head.as_deref()),
        (1, None, None)
    );
    assert!(c.messages.is_empty());
}

/// An entry in the shape mitmproxy's `savehar` addon writes (mitmproxy 11.0.2,
/// `mitmproxy/addons/savehar.py`: `type` send/receive, `time` the message's timestamp in
/// seconds, `opcode` the message type's value, `data` text or base64), written by hand here, not
/// by mitmproxy; with control and reserved opcodes, as other tools record them.
#[test]
fn control_messages_and_opcodes_other_tools_record_are_checked() {
    let h = br#"{"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "11.0.2"},
      "entries": [{"request": {"method": "GET", "url": "wss://example.com/ws", "httpVersion": "HTTP/1.1",
        "headers": [{"name": "Upgrade", "value": "websocket"}]},
      "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1", "headers": []},
      "_resourceType": "websocket",
      "_webSocketMessages": [
        {"type": "send", "time": 1700000000.5, "opcode": 2, "data": "3q2+7w=="},
        {"type": "receive", "time": 1700000000.6, "opcode": 9, "data": ""},
        {"type": "receive", "time": 1700000000.7, "opcode": 10, "data": "not base64!"},
        {"type": "receive", "time": 1700000000.8, "opcode": 3, "data": ""},
        {"type": "receive", "time": 1700000000.9, "opcode": 9, "data": "PING126"},
        {"type": "send", "time": 1700000001.0, "opcode": 8, "data": "A+hieWU="},
        {"type": "send", "time": 1700000001.1, "opcode": 1, "data": "late"},
        {"type": "receive", "time": 1700000001.2, "opcode": 8, "data": "Aw=="}
      ]}]}}"#;
    // 168 base64 digits: 126 bytes, one more than a control payload may hold.
    let h = String::from_utf8(h.to_vec())
        .unwrap()
        .replace("PING126", &"A".repeat(168));
    let capture = har::read(h.as_bytes()).unwrap();
    assert_eq!(capture.creator.as_deref(), Some("mitmproxy 11.0.2"));
    let c = &capture.connections[0];
    assert_eq!(c.request_head.lines().next(), Some("GET /ws HTTP/1.1"));
    let m = &c.messages;
    assert_eq!(m[0].payload, [0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(m[2].payload, b"not base64!");
    assert!(m[2].data_note.is_some());
    assert_eq!(m[4].payload.len(), 126);
    assert_eq!(&m[5].payload, b"\x03\xe8bye");
    let found: Vec<_> = c
        .findings
        .iter()
        .map(|f| (f.index, f.finding.rule))
        .collect();
    assert_eq!(
        found,
        [
            (3, Rule::ReservedOpcode),
            (4, Rule::ControlTooLong),
            (6, Rule::FrameAfterClose),
            (7, Rule::ClosePayloadTooShort),
        ]
    );
}

#[test]
fn hostile_json_is_refused_without_panicking() {
    let deep = "[".repeat(100_000);
    let e = har::read(deep.as_bytes()).unwrap_err();
    // Refused where reading stopped (an array is not the HAR object), no stack overflow.
    assert!(
        matches!(
            e,
            HarError::NotJson { line: 1, .. } | HarError::NotHar { line: Some(1), .. }
        ),
        "{e:?}"
    );
    assert!(matches!(har::read(b""), Err(HarError::NotJson { .. })));
    assert!(matches!(har::read(b"[]"), Err(HarError::NotHar { .. })));
    // Odd values where numbers and strings belong are read leniently or skipped, not fatal.
    let h = br#"{"log": {"entries": [{"request": {"url": "ws://h/", "headers": []},
      "response": {"status": "101"}, "_webSocketMessages": [
        {"type": "send", "time": "soon", "opcode": 99999, "data": {"x": 1}},
        {"type": 7, "opcode": -1, "data": null}]}]}}"#;
    let capture = har::read(h).unwrap();
    let c = &capture.connections[0];
    assert_eq!(c.status, None);
    let m = &c.messages;
    assert_eq!(
        (m.len(), m[0].time, m[1].direction),
        (2, None, Direction::Unknown)
    );
    assert_eq!(m[0].opcode, OpCode::TEXT);
    assert!(m[0].data_note.unwrap().contains("opcode"));
    // A data value that is not a string is kept as its JSON text.
    assert_eq!(m[0].payload, br#"{"x": 1}"#);
}

#[test]
fn mitmproxys_har_gives_the_same_messages_and_the_refusal() {
    // mitmproxy.py: mitmdump as a reverse proxy in front of a Python `websockets` echo server,
    // a `websockets` client through it; mitmproxy's own `hardump`.
    let capture = har::read(&data("mitmproxy.har")).unwrap();
    assert_eq!(
        capture
            .creator
            .as_deref()
            .map(|c| c.starts_with("mitmproxy")),
        Some(true)
    );
    let [echo, refused] = &capture.connections[..] else {
        panic!("{:?}", capture.connections.len());
    };
    assert!(
        echo.url.ends_with("/echo"),
        "mitmproxy writes the http:// URL"
    );
    assert_eq!(echo.status, Some(101));
    assert_eq!(messages(echo), echoed());
    assert!(echo.findings.is_empty());
    assert_eq!(refused.status, Some(403));
    assert!(refused.messages.is_empty());
}
