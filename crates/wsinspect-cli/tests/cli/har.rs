//! `wsinspect pcap` on the HAR files of tests/data/har (see its README): told apart from a
//! capture by content, whatever the file is called.

use crate::support::{data, run};

fn file(name: &str) -> String {
    data(&format!("har/{name}")).display().to_string()
}

fn stdout(args: &[&str], stdin: &[u8]) -> String {
    let out = run(args, stdin);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn har_summary_gives_the_url_status_checks_counts_and_findings() {
    let s = stdout(&["pcap", &file("edited.har")], b"");
    assert!(s.contains("connection 1: ws://127.0.0.1:"), "{s}");
    assert!(
        s.contains("/echo (HAR entry 0)\n  diagnosis: nothing wrong found\n"),
        "{s}"
    );
    // Its close code 1005 and bad UTF-8 fail the server's conformance (whole messages only).
    assert!(
        s.contains("  conformance of the server: utf8 FAIL (invalid-utf8); close FAIL (invalid-close-code); not exercised: framing,"),
        "{s}"
    );
    assert!(s.contains("  upgrade: HTTP 101\n"), "{s}");
    assert!(
        s.contains(
            "  handshake: 23 check(s) passed, 0 failed, 0 warned, 4 not knowable from a HAR\n"
        ),
        "{s}"
    );
    assert!(s.contains("  client: 3 message(s), 28 bytes\n"), "{s}");
    assert!(s.contains("  server: 4 message(s), 17 bytes\n"), "{s}");
    assert!(
        s.contains("  2 finding(s)\n    message 5 (server): invalid-utf8: "),
        "{s}"
    );
    assert!(
        s.contains("    message 6 (server): invalid-close-code: close code 1005"),
        "{s}"
    );
    assert!(s.contains("connection 2: ws://127.0.0.1:"), "{s}");
    assert!(
        s.contains("/refuse (HAR entry 1)\n  diagnosis: nothing wrong found\n"),
        "{s}"
    );
    assert!(s.contains("  upgrade: no response recorded\n"), "{s}");
    assert_eq!(
        s.matches("a HAR holds messages, not frames").count(),
        2,
        "{s}"
    );
    assert!(
        s.ends_with("2 entries, 2 WebSocket connection(s), 7 message(s)\n"),
        "{s}"
    );
}

#[test]
fn har_is_detected_by_content_not_by_name() {
    let bytes = std::fs::read(file("echo.har")).unwrap();
    let named = stdout(&["pcap", &file("echo.har")], b"");
    let piped = stdout(&["pcap", "-"], &bytes);
    assert_eq!(named, piped);
    assert!(
        piped.contains(
            "  handshake: 23 check(s) passed, 0 failed, 0 warned, 4 not knowable from a HAR\n"
        ),
        "{piped}"
    );
    assert!(piped.contains("  0 finding(s)\n"), "{piped}");
}

#[test]
fn har_jsonl_is_a_line_per_connection_message_and_finding() {
    let s = stdout(&["pcap", "--jsonl", &file("echo.playwright.har")], b"");
    let lines: Vec<serde_json::Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["connection"].as_u64().unwrap(),
                l["event"].as_str().unwrap(),
            )
        })
        .collect();
    let mut want = vec![(1, "connection")];
    want.extend([(1, "message"); 6]);
    want.extend([(1, "closed"), (2, "connection")]);
    // The refused second connection: its handshake, and what a HAR lets us say about it.
    let findings = events
        .iter()
        .filter(|e| e.0 == 2 && e.1 == "finding")
        .count();
    want.extend([(2, "finding")].repeat(findings));
    want.push((2, "closed"));
    assert_eq!(events, want);
    assert_eq!(lines[0]["data"]["handshake"]["summary"]["fail"], 0);
    let messages: Vec<&serde_json::Value> = lines[1..7].iter().map(|l| &l["data"]).collect();
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m["index"], i);
        let want = if i % 2 == 0 { "client" } else { "server" };
        assert_eq!(m["direction"], want);
        // Playwright's milliseconds, in seconds.
        assert!(m["time"].as_f64().unwrap() < 1e10);
    }
    assert_eq!(messages[0]["text"], "hello");
    assert_eq!(messages[3]["hex"], "000102feff");
    assert_eq!(messages[3]["length"], 5);
    assert_eq!(messages[3]["opcode"], 2);
    assert_eq!(messages[5]["text"], "héllo wörld 😀");
    let only = stdout(
        &[
            "pcap",
            "--jsonl",
            "--connection",
            "2",
            &file("echo.playwright.har"),
        ],
        b"",
    );
    assert!(
        only.lines().all(|l| l.starts_with("{\"connection\":2,")),
        "{only}"
    );
}

#[test]
fn har_json_has_the_handshake_summary_and_the_messages() {
    let s = stdout(&["pcap", "--json", &file("edited.har")], b"");
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["format"], "har");
    let c = &v["connections"][0];
    assert_eq!(c["status"], 101);
    assert_eq!(c["handshake"]["summary"]["fail"], 0);
    let checks = c["handshake"]["checks"].as_array().unwrap();
    let accept = checks.iter().find(|c| c["id"] == "res-accept").unwrap();
    assert_eq!(accept["status"], "pass");
    let endings = checks
        .iter()
        .find(|c| c["id"] == "req-line-endings")
        .unwrap();
    assert_eq!(endings["status"], "unknown");
    assert_eq!(c["messages"][5]["hex"], "68ff6c6c6f");
    assert_eq!(c["messages"][5]["utf8"], false);
    assert_eq!(c["findings"][0]["code"], "invalid-utf8");
    assert_eq!(c["findings"][0]["message_index"], 5);
    assert_eq!(c["findings"][0]["direction"], "server");
    assert!(c["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));
}

#[test]
fn json_that_is_not_a_har_and_a_truncated_har_fail_clearly() {
    let out = run(&["pcap", "-"], br#"{"entries": []}"#);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "wsinspect: JSON, but not a HAR: the top-level object has no \"log\"\n"
    );
    let bytes = std::fs::read(file("echo.har")).unwrap();
    let out = run(&["pcap", "-"], &bytes[..700]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("wsinspect: not valid JSON at line 28, column 28: EOF while parsing"),
        "{err}"
    );
}

#[test]
fn har_summary_in_the_docs_is_what_the_command_prints() {
    let docs = std::fs::read_to_string(data("../../docs/pcap.md")).unwrap();
    let s = stdout(&["pcap", &file("edited.har")], b"");
    let start = docs
        .find("connection 1: ws://")
        .expect("the example in docs/pcap.md");
    let example = &docs[start..];
    let example = &example[..example.find("```").unwrap()];
    assert_eq!(example, s);
}

#[test]
fn a_refused_har_entry_is_diagnosed_in_the_text_and_the_json() {
    let s = stdout(&["pcap", &file("mitmproxy.har")], b"");
    assert!(
        s.contains("/refuse (HAR entry 1)\n  diagnosis upgrade-refused (error): The server answered the upgrade with `HTTP/1.1 403 Forbidden`"),
        "{s}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&["pcap", "--json", &file("mitmproxy.har")], b"")).unwrap();
    let c = &v["connections"];
    assert_eq!(c[0]["diagnoses"], serde_json::json!([]));
    assert_eq!(c[0]["conformance"]["client"]["utf8"]["verdict"], "pass");
    assert_eq!(c[1]["diagnoses"][0]["id"], "upgrade-refused");
    assert_eq!(
        c[1]["conformance"]["server"]["framing"]["verdict"],
        "not_exercised"
    );
    // The healthy HARs give none.
    for f in ["echo.har", "echo.playwright.har"] {
        let v: serde_json::Value =
            serde_json::from_str(&stdout(&["pcap", "--json", &file(f)], b"")).unwrap();
        for c in v["connections"].as_array().unwrap() {
            assert_eq!(c["diagnoses"], serde_json::json!([]), "{f}");
        }
    }
}
