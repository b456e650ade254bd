//! `wsinspect accept` and `wsinspect handshake` on the tutorials' and real peers' handshakes.

use crate::support::{data, run};

fn stdout(args: &[&str], stdin: &[u8]) -> String {
    let out = run(args, stdin);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(args: &[&str], stdin: &[u8]) -> serde_json::Value {
    serde_json::from_str(&stdout(args, stdin)).expect("JSON output")
}

fn path(name: &str) -> String {
    data(&format!("handshake/{name}"))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn accept_shows_every_step_and_names_the_guid_typo() {
    let out = stdout(
        &[
            "accept",
            "2M61hRvaXm50gUIcnICckw==",
            "--received",
            "F8rRxhGOiWro6Hq2PSTcZ1qm/9Y=",
        ],
        b"",
    );
    for step in [
        "2M61hRvaXm50gUIcnICckw==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
        "ba 0c cd aa 1a 13 f5 9c 96 38 f4 a4 f7 4c 71 b3 20 14 66 60",
        "ugzNqhoT9ZyWOPSk90xxsyAUZmA=",
        "Accept mismatch",
        "missing the 'A'",
        "258EAF5-E914-47DA-95CA-C5AB0DC85B11",
    ] {
        assert!(out.contains(step), "{step} not in:\n{out}");
    }
    let v = json(
        &[
            "accept",
            "dGhlIHNhbXBsZSBub25jZQ==",
            "--received",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "--json",
        ],
        b"",
    );
    assert_eq!(v["matches"], true);
    assert_eq!(v["diagnosis"], serde_json::Value::Null);
}

#[test]
fn handshake_of_the_003_tutorial_server_is_diagnosed_from_stdin() {
    let input = std::fs::read(path("tutorial-003.txt")).unwrap();
    let out = stdout(&["handshake"], &input);
    assert!(out.contains("FAIL  res-accept"), "{out}");
    assert!(
        out.contains("Accept mismatch") && out.contains("missing the 'A' at offset 6"),
        "{out}"
    );
    assert!(out.contains("bare LF"), "{out}");
    let v = json(&["handshake", "-", "--json"], &input);
    assert_eq!(v["accept"]["diagnosis"]["mistake"], "guid-dropped-char");
    assert_eq!(v["accept"]["matches"], false);
    assert_eq!(
        v["response"]["headers"][2],
        serde_json::json!(["Sec-WebSocket-Accept", "F8rRxhGOiWro6Hq2PSTcZ1qm/9Y="])
    );
}

#[test]
fn correct_pairs_pass_every_check() {
    for name in [
        "rfc6455.txt",
        "real-node-client_py-server.txt",
        "real-py-client_node-server.txt",
    ] {
        let v = json(&["handshake", &path(name), "--json"], b"");
        let checks = v["checks"].as_array().unwrap();
        assert!(checks.len() > 20);
        for c in checks {
            assert_eq!(c["status"], "pass", "{name}: {c}");
            for k in ["id", "rfc", "message"] {
                assert!(c[k].is_string(), "{k}");
            }
        }
        assert_eq!(v["subprotocol"], "chat");
    }
}

#[test]
fn a_captured_stream_reports_where_its_frames_begin() {
    let v = json(
        &[
            "handshake",
            &path("real-node-client_py-server.server.bin"),
            "--json",
        ],
        b"",
    );
    assert_eq!(v["split"]["frames"]["direction"], "server");
    assert_eq!(v["split"]["frames"]["offset"], 333);
    assert_eq!(
        v["extensions_header"],
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    );
    assert_eq!(v["permessage_deflate"]["server"]["max_window_bits"], 12);
}

#[test]
fn the_frames_after_a_captured_handshake_are_decoded_and_inflated() {
    // Python `websockets` answering Node `ws` on loopback: permessage-deflate, window 12 bits.
    let v = json(
        &[
            "handshake",
            &path("real-node-client_py-server.server.bin"),
            "--json",
        ],
        b"",
    );
    let frames = &v["frames"];
    assert_eq!(frames["direction"], "server");
    assert_eq!(frames["messages"][0]["compressed"], true);
    assert_eq!(frames["messages"][0]["text"], "Hello from ws");
    assert_eq!(frames["frames"][1]["close"]["code"], 1000);
    let findings: Vec<_> = frames["frames"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().clone())
        .collect();
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn decode_skips_a_leading_handshake_and_says_so() {
    let out = run(
        &[
            "decode",
            &path("real-node-client_py-server.server.bin"),
            "--json",
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["messages"][0]["text"], "Hello from ws");
    assert!(String::from_utf8_lossy(&out.stderr).contains("starts with a handshake (333 bytes)"));
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = run(&["handshake", "/nonexistent/handshake.txt"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/handshake.txt"));
}

/// No byte below 0x20 but the line feed, nor DEL, may reach the terminal from the input.
fn assert_no_raw_controls(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| c.is_control() && c != '\n')
            .collect();
        assert!(raw.is_empty(), "raw control characters {raw:?} in {text}");
    }
}

#[test]
fn handshake_and_accept_escape_terminal_control_characters() {
    let req = "GET /chat\x1b]0;pwned\x07 HTTP/1.1\r\nHost: ex\x1b[2Jample.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\x1b[31m\r\nSec-WebSocket-Protocol: a\x07b\r\n\
Sec-WebSocket-Extensions: permessage-deflate\x1b[0m\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let out = run(&["handshake"], req.as_bytes());
    assert_no_raw_controls(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\\u{1b}"), "{text}");
    let failing = |id: &str| {
        text.lines()
            .any(|l| l.trim_start().starts_with("FAIL") && l.contains(id))
    };
    assert!(failing("req-target"), "{text}");
    assert!(failing("req-host"), "{text}");

    let out = run(
        &[
            "accept",
            "dGhlIHNhbXBsZSBub25jZQ==\x1b]0;x\x07",
            "--received",
            "a\x1b[2Jb",
        ],
        b"",
    );
    assert_no_raw_controls(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\u{1b}"));
}

/// A request with `n` permessage-deflate offers and a response accepting permessage-deflate `n`
/// times (and an extension nobody offered, `n` times).
fn many_offers(n: usize) -> String {
    let offers = vec!["permessage-deflate; client_max_window_bits"; n].join(", ");
    let accepts = vec!["permessage-deflate"; n].join(", ");
    let foreign = vec!["x-foo"; n].join(", ");
    format!(
        "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: {offers}\r\n\r\n\
HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: {accepts}, {foreign}\r\n\r\n"
    )
}

#[test]
fn a_hundred_thousand_offers_and_repeated_accepts_are_reported_once() {
    let n = 100_000;
    let out = run(&["handshake"], many_offers(n).as_bytes());
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("res-extensions"))
        .expect("a res-extensions line");
    assert!(line.trim_start().starts_with("FAIL"), "{line}");
    assert_eq!(line.matches("accepted 100000 times").count(), 1, "{line}");
    assert_eq!(line.matches("more than once").count(), 0, "{line}");
    assert_eq!(line.matches("`x-foo` was not offered").count(), 1, "{line}");
    assert!(line.contains("(100000 times)"), "{line}");
    assert!(line.len() < 1000, "{} bytes", line.len());
}

fn with_headers(extra: &str) -> String {
    format!(
        "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

#[test]
fn ten_thousand_headers_are_a_limit_of_wsinspect_not_a_failure_of_the_peer() {
    let many: String = (0..10_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let text = stdout(&["handshake"], with_headers(&many).as_bytes());
    let line = text
        .lines()
        .find(|l| l.contains("req-syntax"))
        .expect("a req-syntax line");
    assert!(line.trim_start().starts_with("warn"), "{line}");
    assert!(line.contains("a limit of wsinspect"), "{line}");
    assert!(!line.contains("too many headers"), "{line}");
    // A bad line among the headers that are checked still fails.
    let bad = format!("Bad Header: v\r\n{many}");
    let text = stdout(&["handshake"], with_headers(&bad).as_bytes());
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("FAIL") && l.contains("req-syntax")),
        "{text}"
    );
}

#[test]
fn a_megabyte_key_is_not_diagnosed_beyond_saying_so() {
    let not_diagnosed = |text: &str| {
        let diagnosis = text
            .lines()
            .find(|l| l.trim_start().starts_with("Diagnosis"))
            .unwrap_or_else(|| panic!("no diagnosis line in {text}"));
        assert!(diagnosis.contains("Not diagnosed"), "{diagnosis}");
        assert!(diagnosis.contains("a limit of wsinspect"), "{diagnosis}");
    };
    // A handshake with a 1.2 MB key.
    let key = "QUJD".repeat(300_000);
    let hs = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n\
HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: abc\r\n\r\n"
    );
    not_diagnosed(&stdout(&["handshake"], hs.as_bytes()));
    // `accept` with the longest argument Linux passes (128 KiB per argument).
    let key = "QUJD".repeat(30_000);
    not_diagnosed(&stdout(&["accept", &key, "--received", "abc"], b""));
    // A real key is still diagnosed.
    let text = stdout(
        &[
            "accept",
            "dGhlIHNhbXBsZSBub25jZQ==",
            "--received",
            "KN2CsFkOBHmr0YG6dJaSCImFV4Y=",
        ],
        b"",
    );
    assert!(text.contains("Diagnosis (guid-dropped-char)"), "{text}");
}

#[test]
fn one_warning_is_singular() {
    let text = stdout(&["handshake"], with_headers("").as_bytes());
    assert!(text.contains(", 1 warning\n"), "{text}");
}

#[test]
fn a_handshake_in_base64_hex_or_a_dump_is_read_as_the_bytes_it_spells() {
    let rfc = std::fs::read(crate::support::data("handshake/rfc6455.txt")).unwrap();
    let hex: String = rfc.iter().map(|b| format!("{b:02x} ")).collect();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&rfc)
    };
    for input in [hex, b64] {
        let out = crate::support::run(&["handshake", "--json"], input.as_bytes());
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["summary"]["fail"], 0, "{v}");
        assert_eq!(v["summary"]["warn"], 0, "{v}");
        let endings = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "req-line-endings")
            .unwrap();
        assert_eq!(endings["status"], "pass");
        assert!(String::from_utf8_lossy(&out.stderr).contains("the input was read as"));
    }
}

#[test]
fn the_http2_preface_and_a_draft76_subprotocol_are_named() {
    let v = json(
        &["handshake", "--json"],
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    );
    let method = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "req-method")
        .unwrap();
    assert!(
        method["message"]
            .as_str()
            .unwrap()
            .contains("HTTP/2 connection preface"),
        "{method}"
    );
    let d = stdout(&["handshake", &path("draft76.bin")], b"");
    assert!(d.contains("subprotocol: sample"), "{d}");
}

#[test]
fn an_inflate_failure_cites_its_rfc_section_once() {
    let out = run(
        &[
            "decode",
            "--from",
            "server",
            "--extensions",
            "permessage-deflate",
        ],
        b"c1 02 ff ff",
    );
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(t.matches("RFC 7692 §6.2").count(), 1, "{t}");
}

#[test]
fn http2_extended_connect_checks_the_negotiation_and_refuses_a_101() {
    let input = b":method: CONNECT\n:protocol: websocket\n:scheme: https\n:path: /chat\n\
:authority: example.com\nsec-websocket-version: 13\nsec-websocket-protocol: chat\n\
sec-websocket-extensions: permessage-deflate\n\n:status: 101\nsec-websocket-protocol: mqtt\n\
sec-websocket-extensions: permessage-deflate; server_max_window_bits=16\n";
    let v = json(&["handshake", "--json"], input);
    let check = |id: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no {id}: {v}"))
            .clone()
    };
    assert_eq!(check("res-protocol")["status"], "fail", "{v}");
    assert_eq!(check("res-extensions")["status"], "fail", "{v}");
    let status = check("h2-status");
    assert_eq!(status["status"], "fail");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("HTTP/2 has no 101"),
        "{status}"
    );
}
