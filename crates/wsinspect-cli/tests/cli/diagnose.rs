//! Diagnoses on real failing connections (tests/data/diagnose, made by its capture.sh with
//! nginx, raw servers that make one mistake each, Node `ws` and Python `websockets`), and none
//! on the healthy captures and streams of the other fixtures.

use serde_json::Value;

use crate::support::{data, run};

fn json(args: &[&str]) -> Value {
    let out = run(args, b"");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn path(dir: &str, name: &str) -> String {
    data(&format!("{dir}/{name}")).display().to_string()
}

/// Each WebSocket connection's diagnosis ids.
fn ids(file: &str) -> Vec<Vec<String>> {
    let v = json(&["pcap", "--json", file]);
    v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["diagnoses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

/// Every connection of the capture NAME (both clients, both hops behind nginx) has `first` as
/// its first diagnosis, and nothing outside `allowed`.
fn check(name: &str, first: &str, allowed: &[&str]) {
    let all = ids(&path("diagnose", &format!("{name}.pcapng")));
    assert!(all.len() >= 2, "{name}: {all:?}");
    for c in &all {
        assert_eq!(
            c.first().map(String::as_str),
            Some(first),
            "{name}: {all:?}"
        );
        for id in c {
            assert!(
                id == first || allowed.contains(&id.as_str()),
                "{name}: {all:?}"
            );
        }
    }
}

#[test]
fn each_failure_is_diagnosed_with_its_cause() {
    check(
        "proxy-dropped-upgrade",
        "proxy-dropped-upgrade",
        &["upgrade-refused"],
    );
    check("idle-timeout", "idle-timeout", &["no-close-frame"]);
    check("http-after-upgrade", "http-after-upgrade", &[]);
    check("rsv1-unnegotiated", "rsv1-unnegotiated", &[]);
    check("rsv1-on-ping", "rsv1-on-control-frame", &[]);
    check("subprotocol", "subprotocol-not-echoed", &[]);
    check("accept", "accept-mismatch", &[]);
    check("bare-lf", "bare-lf", &[]);
    check("ping-unanswered", "ping-unanswered", &[]);
    check("no-close-frame", "no-close-frame", &[]);
    check("close-not-answered", "close-not-answered", &[]);
}

#[test]
fn the_refusal_and_the_idle_timeout_say_what_they_found() {
    let v = json(&[
        "pcap",
        "--json",
        &path("diagnose", "proxy-dropped-upgrade.pcapng"),
    ]);
    let c = &v["connections"][0];
    let m = c["diagnoses"][0]["message"].as_str().unwrap();
    assert!(m.contains("505") && m.contains("as HTTP/1.0"), "{m}");
    assert_eq!(c["diagnoses"][1]["id"], "upgrade-refused");
    let refusal = c["diagnoses"][1]["evidence"][1]["what"].as_str().unwrap();
    assert!(
        refusal.contains("505 HTTP Version Not Supported"),
        "{refusal}"
    );
    // The refusal's body, as the backend wrote it (through nginx).
    assert!(
        refusal.ends_with("75 byte(s) of HTTP body: \"Failed to open a WebSocket connection: unsupported HTTP version: HTTP/1.0.\""),
        "{refusal}"
    );
    // The proxy's own request to the backend is in the capture: every refused connection is
    // linked to an HTTP flow of it, sent as HTTP/1.0 without the upgrade.
    let http: Vec<u64> = v["other_flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "http")
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    let mut linked = Vec::new();
    for c in v["connections"].as_array().unwrap() {
        let p = &c["diagnoses"][0];
        assert_eq!(p["id"], "proxy-dropped-upgrade");
        let hop = p["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["connection"].is_u64())
            .unwrap_or_else(|| panic!("{p}"));
        let id = hop["connection"].as_u64().unwrap();
        assert!(http.contains(&id), "{id} {http:?}");
        assert!(hop["what"].as_str().unwrap().contains("`GET / HTTP/1.0`"));
        linked.push(id);
    }
    linked.dedup();
    assert_eq!(linked.len(), 3, "each refusal has its own hop: {linked:?}");
    // What the clients printed in that very run is among what the diagnosis lists.
    let prints = c["diagnoses"][0]["clients_print"].to_string();
    assert!(
        prints.contains("Unexpected server response: 505"),
        "{prints}"
    );

    let v = json(&["pcap", "--json", &path("diagnose", "idle-timeout.pcapng")]);
    for c in v["connections"].as_array().unwrap() {
        let d = &c["diagnoses"][0];
        let m = d["message"].as_str().unwrap();
        // nginx's proxy_read_timeout was 3 s in the capture.
        assert!(
            m.contains("idle for 2.9 s") || m.contains("idle for 3.0 s"),
            "{m}"
        );
        assert!(m.contains("nginx proxy_read_timeout 60 s"), "{m}");
        let ev = d["evidence"].as_array().unwrap();
        assert!(ev.last().unwrap()["what"]
            .as_str()
            .unwrap()
            .contains("(FIN)"));
    }
}

#[test]
fn conformance_names_the_first_offending_frame_and_rule() {
    let v = json(&["pcap", "--json", &path("diagnose", "rsv1-on-ping.pcapng")]);
    let c = &v["connections"][0]["conformance"];
    assert_eq!(c["server"]["reserved-bits"]["verdict"], "fail");
    assert_eq!(c["server"]["reserved-bits"]["rule"], "reserved-bits");
    assert_eq!(c["server"]["reserved-bits"]["frame"], 0);
    assert_eq!(c["server"]["framing"]["verdict"], "pass");
    assert_eq!(c["server"]["compression"]["verdict"], "not_exercised");
    assert_eq!(c["client"]["reserved-bits"]["verdict"], "pass");

    let v = json(&[
        "pcap",
        "--json",
        &path("diagnose", "ping-unanswered.pcapng"),
    ]);
    let p = &v["connections"][1]["conformance"]["server"]["pings"];
    assert_eq!(p["verdict"], "fail");
    assert_eq!(p["rule"], "ping-unanswered");
    assert_eq!(p["direction"], "client");
}

#[test]
fn the_summary_prints_the_diagnoses_first() {
    let out = run(
        &["pcap", &path("diagnose", "http-after-upgrade.pcapng")],
        b"",
    );
    let s = String::from_utf8(out.stdout).unwrap();
    let first = s.lines().nth(1).unwrap();
    assert!(first.starts_with("  diagnosis http-after-upgrade (error): The server wrote text onto the upgraded connection (`HTTP/1.1 200 OK\\r\\n"), "{s}");
    assert!(
        s.contains("clients print: chromium: \"Invalid frame header\""),
        "{s}"
    );
    let jsonl = run(
        &["pcap", "--jsonl", &path("diagnose", "accept.pcapng")],
        b"",
    );
    let lines = String::from_utf8(jsonl.stdout).unwrap();
    let d: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] == "diagnosis")
        .collect();
    // One per client: ws, websockets, Chromium.
    assert_eq!(d.len(), 3);
    assert_eq!(d[0]["data"]["diagnoses"][0]["id"], "accept-mismatch");
}

#[test]
fn healthy_captures_and_streams_give_no_diagnosis() {
    for f in [
        "echo.pcapng",
        "echo.pcap",
        "echo-ns.pcap",
        "lost-segment.pcapng",
    ] {
        let all = ids(&path("pcap", f));
        assert_eq!(all.len(), 3, "{f}");
        assert!(all.iter().all(Vec::is_empty), "{f}: {all:?}");
    }
    let mut streams = Vec::new();
    for dir in ["real", "handshake"] {
        for e in std::fs::read_dir(data(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "bin") && !p.ends_with("draft76.bin") {
                streams.push(p.display().to_string());
            }
        }
    }
    assert!(streams.len() >= 8, "{streams:?}");
    for s in &streams {
        let out = run(&["decode", s], b"");
        assert!(out.status.success(), "{s}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("diagnosis "), "{s}: {text}");
    }
    for f in ["follow/echo.follow.txt", "follow/echo.packets.txt"] {
        let out = run(&["decode", &data(f).display().to_string()], b"");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !text.contains("diagnosis "),
            "{f}: {text}"
        );
    }
}

#[test]
fn handshake_and_decode_show_the_diagnoses_of_a_pasted_stream() {
    // The tutorial's server (003): its GUID misspelt, its lines ending in bare LF.
    let out = run(
        &[
            "handshake",
            &data("handshake/tutorial-003.txt").display().to_string(),
        ],
        b"",
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("diagnosis accept-mismatch (error)"), "{s}");
    assert!(s.contains("guid-dropped-char"), "{s}");
    assert!(s.contains("diagnosis bare-lf (warning)"), "{s}");
    let v = json(&[
        "handshake",
        "--json",
        &data("handshake/tutorial-003.txt").display().to_string(),
    ]);
    assert_eq!(v["diagnoses"][0]["id"], "accept-mismatch");
    // A correct handshake has none.
    let v = json(&[
        "handshake",
        "--json",
        &data("handshake/rfc6455.txt").display().to_string(),
    ]);
    assert_eq!(v["diagnoses"], serde_json::json!([]));
}

#[test]
fn every_error_a_client_printed_in_the_runs_is_explained_by_its_cause() {
    let runs: Value =
        serde_json::from_slice(&std::fs::read(data("diagnose/clients.json")).unwrap()).unwrap();
    let expected = |name: &str| {
        match name {
            "accept" => "accept-mismatch",
            "subprotocol" => "subprotocol-not-echoed",
            "rsv1-on-ping" => "rsv1-on-control-frame",
            other => other,
        }
        .to_string()
    };
    let mut checked = 0;
    for (name, clients) in runs.as_object().unwrap() {
        for (client, printed) in clients.as_object().unwrap() {
            if client == "chromium" {
                // Its page sees events (error, close 1006), not Chromium's console message.
                continue;
            }
            let printed: Vec<&str> = printed
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            // The lines that report a failure (not "open", "message: ..."); ws's close 1006
            // only when no error came before it (else it is that error's consequence).
            let errors: Vec<&str> = printed
                .iter()
                .filter_map(|l| {
                    l.strip_prefix("error: ")
                        .or(python_exception(l).then_some(*l))
                })
                .collect();
            let texts = if errors.is_empty() {
                printed
                    .iter()
                    .copied()
                    .filter(|l| l.starts_with("close: 1006"))
                    .collect()
            } else {
                errors
            };
            for text in texts {
                let v = json(&["explain", "--json", text]);
                let causes: Vec<String> = v["causes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["diagnosis"]["id"].as_str().unwrap().to_string())
                    .collect();
                assert!(
                    causes.contains(&expected(name)),
                    "{name}: {text:?} -> {causes:?}"
                );
                checked += 1;
            }
        }
    }
    // Every client of every run but websockets against the missing subprotocol (it opens).
    assert_eq!(checked, 21);
}

#[test]
fn explain_prints_causes_and_says_when_it_knows_none() {
    let out = run(
        &[
            "explain",
            "Error during WebSocket handshake: Unexpected response code: 426",
        ],
        b"",
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("(upgrade-refused, match 100%)"), "{s}");
    assert!(s.contains("(proxy-dropped-upgrade, match 100%)"), "{s}");
    assert!(s.contains("proxy_set_header Upgrade"), "{s}");
    let out = run(&["explain", "the printer is out of paper"], b"");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("No known cause"));
    let out = run(&["explain"], b"   ");
    assert!(!out.status.success());
}

/// A line client.py printed for an exception: `TypeName: message`.
fn python_exception(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(t, _)| {
        t.starts_with(|c: char| c.is_ascii_uppercase()) && t.chars().all(char::is_alphanumeric)
    })
}
