//! `wsinspect pcap` on the real captures of tests/data/pcap.

use crate::support::{data, run};

fn file(name: &str) -> String {
    data(&format!("pcap/{name}")).display().to_string()
}

#[test]
fn pcap_summary_lists_connections_other_flows_and_totals() {
    let out = run(&["pcap", &file("echo.pcapng")], b"");
    assert!(out.status.success(), "{out:?}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("connection 1: client 127.0.0.1:"), "{s}");
    // When it began and how long it lasted: tshark shows this connection's SYN at
    // 1795864648.262928895 and its last packet at 1795864648.267718310.
    assert!(
        s.contains(
            "-> server 127.0.0.1:47420 (client by syn), from 2026-11-28 11:17:28.263 UTC for 4.8 ms"
        ),
        "{s}"
    );
    assert!(s.contains("connection 2: "), "{s}");
    assert!(s.contains("connection 5: client [::1]:"), "{s}");
    assert_eq!(s.matches("upgrade: HTTP 101").count(), 3, "{s}");
    assert_eq!(
        s.matches("7 frame(s) (1 control), 6 message(s)").count(),
        6,
        "{s}"
    );
    assert!(s.contains("other flow 3: http "), "{s}");
    assert!(s.contains("other flow 4: tls "), "{s}");
    assert!(
        s.contains("3 WebSocket connection(s), 2 other flow(s)"),
        "{s}"
    );
    // --summary is the default; standard input reads the same.
    let piped = run(
        &["pcap", "--summary", "-"],
        &std::fs::read(file("echo.pcap")).unwrap(),
    );
    // The same, but for the durations' last digit: the pcap holds microseconds, the pcapng
    // nanoseconds (connection 5 lasted 27.95 ms).
    let without_durations = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.split(" for ").next().unwrap_or(l).to_string())
            .collect()
    };
    assert_eq!(
        without_durations(&String::from_utf8(piped.stdout).unwrap()),
        without_durations(&s)
    );
}

#[test]
fn pcap_summary_reports_the_deleted_segment() {
    let out = run(&["pcap", &file("lost-segment.pcapng")], b"");
    assert!(out.status.success(), "{out:?}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("500 bytes lost"), "{s}");
    assert!(s.contains("1  bytes-lost"), "{s}");
}

#[test]
fn pcap_jsonl_gives_each_event_its_connection() {
    let out = run(&["pcap", "--jsonl", &file("echo.pcapng")], b"");
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().all(|l| l["connection"].is_u64()));
    let kinds = |k: &str| lines.iter().filter(|l| l["event"] == k).count();
    assert_eq!(kinds("connection"), 3);
    assert_eq!(kinds("message"), 36);
    assert_eq!(kinds("other_flow"), 2);
    assert_eq!(kinds("closed"), 3);
    assert_eq!(lines.last().unwrap()["event"], "totals");
    let hello = lines
        .iter()
        .find(|l| l["event"] == "message" && l["connection"] == 1)
        .unwrap();
    // "Hello, wsinspect!", inflated.
    assert_eq!(
        hello["data"]["payload"]["kept"],
        "48656c6c6f2c207773696e737065637421"
    );
    assert_eq!(hello["data"]["compressed"], true);
    assert_eq!(hello["v"], 1);
}

#[test]
fn pcap_json_is_one_document() {
    let out = run(
        &["pcap", "--json", "--keep", "4", &file("echo-ns.pcap")],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 3);
    assert_eq!(conns[0]["id"], 1);
    assert_eq!(conns[1]["server"], "127.0.0.1:47420");
    // Frames and messages as `decode --json` shows them, with their side and time, in the
    // order they were read: the client's first message, then the server's echo of it.
    let frames = conns[1]["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 14);
    assert_eq!(
        (&frames[0]["direction"], &frames[1]["direction"]),
        (&"client".into(), &"server".into())
    );
    assert!(frames[0]["time"].as_f64().unwrap() > 1.7e9);
    assert!(frames[0]["masked"] == true && frames[1]["masked"] == false);
    let message = &conns[0]["messages"][0];
    assert_eq!(message["payload"], "48656c6c", "--keep 4 keeps 4 bytes");
    assert_eq!(message["compressed"], true);
    assert_eq!(conns[0]["handshake"]["accept"]["matches"], true);
    assert_eq!(conns[0]["upgrade"]["status"], 101);
    assert_eq!(conns[0]["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["other_flows"].as_array().unwrap().len(), 2);
    assert_eq!(v["totals"]["format"], "pcap");
}

#[test]
fn pcap_rejects_what_is_not_a_capture() {
    let out = run(&["pcap", "-"], b"GET / HTTP/1.1\r\n\r\n");
    assert!(!out.status.success());
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("not a pcap or pcapng file"), "{e}");
}

/// Wireshark's dissector, where tshark is installed, as a second opinion on every frame of the
/// real captures: fin, opcode, the 7-bit length and mask, and the extended lengths, compared as
/// multisets (tshark lists a packet's frames in one row, wsinspect a frame per event).
#[test]
fn every_frame_agrees_with_wiresharks_dissector() {
    let Ok(version) = std::process::Command::new("tshark")
        .arg("--version")
        .output()
    else {
        eprintln!("tshark is not installed: the comparison with Wireshark's dissector is skipped");
        return;
    };
    assert!(version.status.success());
    for name in [
        "pcap/echo.pcapng",
        "pcap/lost-segment.pcapng",
        "pcap/cases.pcapng",
    ] {
        let file = data(name);
        let f = file.to_str().unwrap();
        let out = std::process::Command::new("tshark")
            .args([
                "-r",
                f,
                "-Y",
                "websocket",
                "-T",
                "fields",
                "-E",
                "occurrence=a",
            ])
            .args(["-e", "websocket.fin", "-e", "websocket.opcode"])
            .args(["-e", "websocket.payload_length", "-e", "websocket.mask"])
            .args([
                "-e",
                "websocket.payload_length_ext_16",
                "-e",
                "websocket.payload_length_ext_64",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let mut theirs: Vec<(u64, u64, u64, u64)> = Vec::new();
        let mut their_ext: Vec<u64> = Vec::new();
        for row in String::from_utf8_lossy(&out.stdout).lines() {
            let cols: Vec<Vec<u64>> = row
                .split('\t')
                .map(|c| {
                    c.split(',')
                        .filter(|v| !v.is_empty())
                        .map(|v| v.parse().unwrap())
                        .collect()
                })
                .collect();
            assert!(cols[1..4].iter().all(|c| c.len() == cols[0].len()), "{row}");
            let fields = cols[0].iter().zip(&cols[1]).zip(&cols[2]).zip(&cols[3]);
            theirs.extend(fields.map(|(((a, b), c), d)| (*a, *b, *c, *d)));
            their_ext.extend(cols[4].iter().chain(&cols[5]));
        }
        let events = run(&["pcap", f, "--jsonl"], b"");
        assert!(events.status.success(), "{events:?}");
        let mut our_ext: Vec<u64> = Vec::new();
        let mut ours: Vec<(u64, u64, u64, u64)> = String::from_utf8_lossy(&events.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|e| e["event"] == "frame")
            .map(|e| {
                let h = &e["data"]["header"];
                let b = |k: &str| u64::from(h[k].as_bool().unwrap());
                let len7 = h["len7"].as_u64().unwrap();
                if len7 >= 126 {
                    our_ext.push(h["payload_len"].as_u64().unwrap());
                }
                (b("fin"), h["opcode"].as_u64().unwrap(), len7, b("masked"))
            })
            .collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        their_ext.sort_unstable();
        our_ext.sort_unstable();
        assert!(!ours.is_empty(), "{name}");
        if name.contains("lost") {
            // Wireshark drops the frame whose segment is missing; wsinspect reads it, with the
            // gap said: every frame Wireshark sees, wsinspect sees too.
            assert!(theirs.iter().all(|t| ours.contains(t)), "{name}");
            assert!(their_ext.iter().all(|t| our_ext.contains(t)), "{name}");
        } else {
            assert_eq!(ours, theirs, "{name}");
            assert_eq!(our_ext, their_ext, "{name}: extended lengths");
        }
    }
}

#[test]
fn connection_and_filter_pick_the_flows_shown() {
    let ids = |args: &[&str]| -> Vec<u64> {
        let f = file("echo.pcapng");
        let out = run(&[&["pcap", "--jsonl", &f], args].concat(), b"");
        assert!(out.status.success(), "{out:?}");
        let mut ids: Vec<u64> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["event"] == "connection" || v["event"] == "other_flow")
            .map(|v| v["connection"].as_u64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&[]), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&["--connection", "2"]), [2]);
    assert_eq!(ids(&["--connection", "5", "--connection", "3"]), [3, 5]);
    assert_eq!(ids(&["--filter", "host=::1"]), [5]);
    // The TLS-looking flow went to another port; the others to the echo server's.
    assert_eq!(ids(&["--filter", "server=127.0.0.1:47420"]), [1, 2, 3]);
    assert_eq!(ids(&["--filter", "port=47420", "--connection", "1"]), [1]);
    let summary = run(&["pcap", &file("echo.pcapng"), "--connection", "2"], b"");
    let summary = String::from_utf8(summary.stdout).unwrap();
    assert!(summary.contains("connection 2:") && !summary.contains("connection 1:"));
    assert!(
        summary.contains("3 WebSocket connection(s)"),
        "totals count the whole file"
    );
    let bad = run(&["pcap", &file("echo.pcapng"), "--filter", "port=web"], b"");
    let e = String::from_utf8(bad.stderr).unwrap();
    assert!(
        !bad.status.success() && e.contains("expected a port number"),
        "{e}"
    );
}

/// Where Wireshark's dissector and wsinspect disagree on a message of cases.pcapng, the case is
/// one Wireshark is known to get wrong, and wsinspect's message is what the peer sent.
#[test]
fn messages_where_wireshark_is_wrong_are_what_the_peers_sent() {
    let Ok(out) = std::process::Command::new("tshark")
        .args([
            "-r",
            &file("cases.pcapng"),
            "-Y",
            "websocket.fin == 1 && websocket.opcode < 3",
        ])
        .args(["-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport"])
        .args(["-e", "websocket.payload.text", "-e", "data.data"])
        .output()
    else {
        eprintln!("tshark is not installed: the comparison with Wireshark's dissector is skipped");
        return;
    };
    assert!(out.status.success(), "{out:?}");
    let theirs: Vec<(u64, &str, String)> = std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .map(|row| {
            let c: Vec<&str> = row.split('\t').collect();
            let side = if c[1] == "47430" { "server" } else { "client" };
            // Text as Wireshark shows it, or binary data as hex without separators.
            let shown = if c[2].is_empty() {
                c[3].replace(':', "")
            } else {
                c[2].to_string()
            };
            (c[0].parse::<u64>().unwrap() + 1, side, shown)
        })
        .collect();
    let doc = run(&["pcap", "--json", &file("cases.pcapng")], b"");
    let doc: serde_json::Value = serde_json::from_slice(&doc.stdout).unwrap();
    let (mut agree, mut wireshark_wrong) = (0, Vec::new());
    for c in doc["connections"].as_array().unwrap() {
        let id = c["id"].as_u64().unwrap();
        for side in ["client", "server"] {
            let ours: Vec<&serde_json::Value> = c["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["direction"] == side)
                .collect();
            let theirs: Vec<&String> = theirs
                .iter()
                .filter(|t| t.0 == id && t.1 == side)
                .map(|t| &t.2)
                .collect();
            assert_eq!(ours.len(), theirs.len(), "connection {id} {side}");
            for (m, t) in ours.iter().zip(theirs) {
                let shown = m["text"].as_str().or(m["payload"].as_str()).unwrap();
                if shown == t {
                    agree += 1;
                    continue;
                }
                // The cases: a fragmented compressed message (Wireshark shows the compressed
                // bytes), and a fragmented message ending with an empty frame (Wireshark
                // shows nothing).
                let fragmented = m["frames"].as_array().unwrap().len() > 1;
                assert!(
                    fragmented,
                    "connection {id} {side}: {shown:?} vs Wireshark's {t:?}"
                );
                wireshark_wrong.push((id, m["compressed"] == true));
            }
        }
    }
    // ... and wsinspect's messages are what the peers sent: the capture crate's test
    // `fragmented_compressed_messages_with_empty_final_fragments_pings_between_and_a_chromium_client`
    // compares every one with cases.json; here, the cases are named and counted.
    assert!(agree >= 6, "Chromium's single-frame messages agree");
    assert!(wireshark_wrong.iter().any(|&(_, compressed)| compressed));
    assert!(wireshark_wrong
        .iter()
        .any(|&(id, compressed)| id == 3 && !compressed));
}

/// `copies` copies of a classic pcap's packets, one after another, each copy's times a second
/// later than the one before: its flows end and start again, as new connections.
fn repeated(pcap: &[u8], copies: u32) -> Vec<u8> {
    let mut out = pcap[..24].to_vec();
    for c in 0..copies {
        let mut at = 24;
        while at + 16 <= pcap.len() {
            let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
            let secs = u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap()) + c;
            out.extend_from_slice(&secs.to_le_bytes());
            out.extend_from_slice(&pcap[at + 4..at + 16 + len]);
            at += 16 + len;
        }
    }
    out
}

#[test]
fn the_summary_is_the_same_text_on_any_number_of_threads() {
    let dir = data("");
    let mut files: Vec<String> = ["pcap", "diagnose", "tls", "payload"]
        .iter()
        .flat_map(|d| std::fs::read_dir(dir.join(d)).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{files:?}");
    // Big enough for many chunks (64 KiB each): connections are shared out as they start.
    let big = std::env::temp_dir().join(format!("wsinspect-threads-{}.pcap", std::process::id()));
    std::fs::write(
        &big,
        repeated(&std::fs::read(file("echo.pcap")).unwrap(), 60),
    )
    .unwrap();
    files.push(big.display().to_string());
    for f in &files {
        for extra in [&[][..], &["--filter", "port=47420"], &["--connection", "2"]] {
            let one = run(&[&["pcap", f, "--threads", "1"], extra].concat(), b"");
            assert!(one.status.success(), "{f}: {one:?}");
            for n in ["2", "3"] {
                let more = run(&[&["pcap", f, "--threads", n], extra].concat(), b"");
                let (a, b) = (
                    String::from_utf8_lossy(&more.stdout),
                    String::from_utf8_lossy(&one.stdout),
                );
                // The first line that differs, if one does.
                let first = a.lines().zip(b.lines()).position(|(x, y)| x != y);
                assert!(
                    first.is_none() && a.len() == b.len(),
                    "{f} {extra:?} on {n} threads, line {first:?}: {:?}",
                    first.map(|i| (a.lines().nth(i), b.lines().nth(i)))
                );
                assert_eq!(more.stderr, one.stderr, "{f} {extra:?}");
            }
        }
    }
    let s = String::from_utf8(run(&["pcap", &files[files.len() - 1]], b"").stdout).unwrap();
    let _ = std::fs::remove_file(&big);
    // The threads are the summary's: with --jsonl or --json the flag would be ignored, so it is
    // refused.
    let jsonl = run(
        &["pcap", &file("echo.pcap"), "--jsonl", "--threads", "2"],
        b"",
    );
    assert!(!jsonl.status.success());
    assert!(
        String::from_utf8_lossy(&jsonl.stderr).contains("cannot be used with"),
        "{jsonl:?}"
    );
    assert!(
        s.contains("180 WebSocket connection(s), 120 other flow(s)"),
        "{s}"
    );
    assert_eq!(
        s.matches("diagnosis: nothing wrong found").count(),
        180,
        "{s}"
    );
}

#[test]
fn a_pipe_still_being_written_shows_each_connection_as_it_ends() {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;
    let pcap = std::fs::read(file("echo.pcap")).unwrap();
    for (args, last) in [
        (&["--threads", "1"][..], "connection 5: "),
        (&["--threads", "2"], "connection 5: "),
        (&["--jsonl"], r#"{"connection":5,"event":"closed""#),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
            .args([&["pcap", "-"], args].concat())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start wsinspect");
        let mut stdin = child.stdin.take().unwrap();
        // The whole capture, but the pipe stays open: its writer (tcpdump -U -w -) still runs.
        stdin.write_all(&pcap).unwrap();
        stdin.flush().unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let shown = loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(line) if line.starts_with(last) => break true,
                Ok(line) => seen.push(line),
                Err(_) => break false,
            }
        };
        drop(stdin);
        let status = child.wait().unwrap();
        let rest: Vec<String> = rx.iter().collect();
        reader.join().unwrap();
        assert!(
            shown,
            "{args:?}: not shown before the input ended: {seen:?}"
        );
        assert!(status.success(), "{args:?}");
        assert!(
            rest.iter()
                .any(|l| l.starts_with("totals: ") || l.contains("\"totals\"")),
            "{args:?}: the totals, once the input ended: {rest:?}"
        );
    }
}
