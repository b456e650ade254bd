//! `wsinspect pcap --keylog` on the real TLS captures of tests/data/tls (capture.sh): the
//! summary and JSON say what each TLS connection was, the decrypted messages are the ones the
//! peers sent, the embedded secrets need no --keylog, a bad key log names its line, and where
//! tshark is installed Wireshark decrypts the same frames and texts.

use std::collections::BTreeMap;

use crate::support::{data, run};

fn file(name: &str) -> String {
    data(&format!("tls/{name}")).display().to_string()
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn jsonl(args: &[&str]) -> Vec<serde_json::Value> {
    let out = run(args, b"");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn pcap_keylog_summary_says_what_each_tls_connection_was() {
    let out = run(
        &[
            "pcap",
            &file("capture.pcapng"),
            "--keylog",
            &file("keylog.txt"),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("7 WebSocket connection(s), 3 other flow(s)"),
        "{s}"
    );
    // Each decrypted connection's line (py13-aes256 and py13-keyupdate share a suite).
    for (suite, n) in [
        ("TLS 1.3, TLS_AES_256_GCM_SHA384", 2),
        ("TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 1),
        ("TLS 1.2, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 1),
        ("TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 1),
        ("TLS 1.3, TLS_CHACHA20_POLY1305_SHA256", 1),
        ("TLS 1.3, TLS_AES_128_GCM_SHA256", 1),
    ] {
        let line = format!("{suite}, SNI localhost, ALPN http/1.1; secrets found");
        assert_eq!(s.matches(&line).count(), n, "{line}\n{s}");
    }
    // py13-keyupdate: a KeyUpdate each way.
    assert_eq!(s.matches(", 2 key update(s)\n").count(), 1, "{s}");
    assert_eq!(s.matches("upgrade: HTTP 101").count(), 7, "{s}");
    assert!(s.contains("other flow 8: tls "), "{s}");
    // The openssl clients that refused the certificate.
    let alert = "tls problem (alert, client, offset ";
    assert_eq!(s.matches(alert).count(), 2, "{s}");
    let unknown_ca = "the client sent a fatal alert: unknown_ca (48)";
    assert_eq!(s.matches(unknown_ca).count(), 2, "{s}");
    assert!(
        s.contains("tls problem (no_secrets): the key log has no secrets for client random"),
        "{s}"
    );
}

#[test]
fn pcap_uses_the_secrets_embedded_in_the_pcapng_without_keylog() {
    let out = run(&["pcap", &file("embedded.pcapng")], b"");
    assert!(out.status.success(), "{out:?}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("7 WebSocket connection(s), 3 other flow(s)"),
        "{s}"
    );
    assert!(
        s.contains("TLS secret(s) read from the file's Decryption Secrets Blocks"),
        "{s}"
    );
}

/// The messages of messages.json, per connection, against the `message` events.
#[test]
fn pcap_keylog_jsonl_messages_are_what_the_peers_sent() {
    let sent: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file("messages.json")).unwrap()).unwrap();
    for args in [
        vec!["pcap", "--jsonl", &*file("capture.pcapng")],
        vec!["pcap", "--jsonl", &*file("embedded.pcapng")],
    ] {
        let mut args = args;
        let keylog = file("keylog.txt");
        if args[2].ends_with("capture.pcapng") {
            args.extend(["--keylog", &*keylog]);
        }
        let lines = jsonl(&args);
        let in_capture = sent
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["client"] != "chromium");
        for (i, conn) in in_capture.enumerate() {
            let id = i as u64 + 1;
            let want: Vec<Vec<u8>> = conn["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| match m.get("text") {
                    Some(t) => t.as_str().unwrap().as_bytes().to_vec(),
                    None => unhex(m["hex"].as_str().unwrap()),
                })
                .collect();
            for dir in ["client", "server"] {
                let got: Vec<Vec<u8>> = lines
                    .iter()
                    .filter(|l| l["connection"] == id && l["event"] == "message")
                    .filter(|l| l["direction"] == dir)
                    .map(|l| unhex(l["data"]["payload"]["kept"].as_str().unwrap()))
                    .collect();
                if conn["keylog"] == true {
                    assert!(got == want, "{args:?} connection {id} {dir}");
                } else {
                    assert!(got.is_empty());
                }
            }
            let tls = lines
                .iter()
                .find(|l| {
                    l["connection"] == id && (l["event"] == "tls" || l["event"] == "other_flow")
                })
                .unwrap();
            let tls = if tls["event"] == "tls" {
                &tls["data"]
            } else {
                &tls["data"]["tls"]
            };
            assert_eq!(
                tls["version"],
                format!("TLS {}", conn["version"].as_str().unwrap())
            );
            assert_eq!(tls["suite"], conn["suite"]);
            assert_eq!(tls["sni"], "localhost");
            if conn.get("alert").is_none() {
                assert_eq!(tls["secrets_found"], conn["keylog"]);
            }
        }
    }
}

#[test]
fn pcap_json_has_tls_per_connection_and_other_flow() {
    let out = run(
        &[
            "pcap",
            "--json",
            "--keep",
            "0",
            &file("capture.pcapng"),
            "--keylog",
            &file("keylog.txt"),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 7);
    assert_eq!(conns[6]["tls"]["key_updates"], 2);
    assert!(conns.iter().all(|c| c["tls"]["secrets_found"] == true));
    assert!(conns
        .iter()
        .all(|c| c["tls"]["problems"] == serde_json::json!([])));
    assert_eq!(conns[4]["tls"]["suite"], "TLS_CHACHA20_POLY1305_SHA256");
    let other = &v["other_flows"][0];
    assert_eq!(other["kind"], "tls");
    assert_eq!(other["tls"]["problems"][0]["kind"], "no_secrets");
}

#[test]
fn pcap_keylog_errors_name_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("wsinspect-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.keylog");
    std::fs::write(&bad, "# ok\nCLIENT_RANDOM nothex 00\n").unwrap();
    let bad = bad.display().to_string();
    let out = run(&["pcap", &file("capture.pcapng"), "--keylog", &bad], b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains(&bad) && e.contains("key log line 2"), "{e}");
    let out = run(
        &[
            "pcap",
            &file("capture.pcapng"),
            "--keylog",
            "/nonexistent/k",
        ],
        b"",
    );
    assert!(!out.status.success());
}

/// Wireshark, where tshark is installed, decrypts the same capture with the same key log: per
/// TCP stream, the same frames (fin, opcode, 7-bit length, mask) and the same text messages.
#[test]
fn decrypted_frames_agree_with_tshark() {
    let Ok(version) = std::process::Command::new("tshark")
        .arg("--version")
        .output()
    else {
        eprintln!("tshark is not installed: the comparison with Wireshark is skipped");
        return;
    };
    assert!(version.status.success());
    let keylog = format!("tls.keylog_file:{}", file("keylog.txt"));
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            &file("capture.pcapng"),
            "-o",
            &keylog,
            "-Y",
            "websocket",
        ])
        .args([
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=\u{1}",
        ])
        .args([
            "-e",
            "tcp.stream",
            "-e",
            "websocket.fin",
            "-e",
            "websocket.opcode",
        ])
        .args(["-e", "websocket.payload_length", "-e", "websocket.mask"])
        .args(["-e", "websocket.payload.text"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    type Frames = BTreeMap<u64, (Vec<(u64, u64, u64, u64)>, Vec<String>)>;
    let mut theirs: Frames = BTreeMap::new();
    for row in String::from_utf8(out.stdout).unwrap().lines() {
        let cols: Vec<Vec<&str>> = row
            .split('\t')
            .map(|c| c.split('\u{1}').collect())
            .collect();
        let stream: u64 = cols[0][0].parse::<u64>().unwrap() + 1;
        let e = theirs.entry(stream).or_default();
        let n = |c: &str| c.parse::<u64>().unwrap();
        for (((fin, op), len), mask) in cols[1].iter().zip(&cols[2]).zip(&cols[3]).zip(&cols[4]) {
            e.0.push((n(fin), n(op), n(len), n(mask)));
        }
        e.1.extend(
            cols[5]
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| t.to_string()),
        );
    }
    let mut ours: Frames = BTreeMap::new();
    let lines = jsonl(&[
        "pcap",
        "--jsonl",
        &file("capture.pcapng"),
        "--keylog",
        &file("keylog.txt"),
    ]);
    for l in &lines {
        let id = l["connection"].as_u64().unwrap();
        let d = &l["data"];
        if l["event"] == "frame" {
            let h = &d["header"];
            let b = |k: &str| u64::from(h[k].as_bool().unwrap());
            let f = (
                b("fin"),
                h["opcode"].as_u64().unwrap(),
                h["len7"].as_u64().unwrap(),
                b("masked"),
            );
            ours.entry(id).or_default().0.push(f);
        }
        if l["event"] == "message" && d["opcode"] == 1 {
            let text = String::from_utf8(unhex(d["payload"]["kept"].as_str().unwrap())).unwrap();
            ours.entry(id).or_default().1.push(text);
        }
    }
    for v in theirs.values_mut().chain(ours.values_mut()) {
        v.0.sort_unstable();
        v.1.sort_unstable();
    }
    assert_eq!(ours.len(), 7);
    assert!(ours == theirs, "wsinspect and tshark disagree");
}
