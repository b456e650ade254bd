//! `decode --jsonl`, `--summary` and large raw inputs, through the real binary.

use serde_json::Value;

use crate::support::{data, run};

fn lines(out: &std::process::Output) -> Vec<Value> {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn jsonl_events_of_a_real_capture_carry_the_messages_sent() {
    let expected: Vec<String> = serde_json::from_slice(
        &std::fs::read(data("real/ctx.server.bin").with_file_name("messages.json")).unwrap(),
    )
    .unwrap();
    let file = data("real/ctx.server.bin");
    let events = lines(&run(&["decode", file.to_str().unwrap(), "--jsonl"], b""));
    assert!(events
        .iter()
        .all(|e| e["v"] == 1 && e["direction"] == "server"));
    let texts: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "message")
        .map(|e| {
            let hex = e["data"]["payload"]["kept"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            String::from_utf8(bytes).unwrap()
        })
        .collect();
    assert_eq!(texts, expected);
    assert_eq!(events.last().unwrap()["event"], "end");
    // Each frame event's bytes are where the frame is.
    for e in events.iter().filter(|e| e["event"] == "frame") {
        let d = &e["data"];
        let len =
            d["header"]["header_len"].as_u64().unwrap() + d["payload"]["len"].as_u64().unwrap();
        assert_eq!(
            e["end"].as_u64().unwrap() - e["start"].as_u64().unwrap(),
            len
        );
    }
}

#[test]
fn jsonl_keep_bounds_the_payload_bytes_in_each_event() {
    let file = data("real/ctx.client.bin");
    let events = lines(&run(
        &["decode", file.to_str().unwrap(), "--jsonl", "--keep", "4"],
        b"",
    ));
    for e in events
        .iter()
        .filter(|e| e["event"] == "frame" || e["event"] == "message")
    {
        let kept = e["data"]["payload"]["kept"].as_str().unwrap();
        assert!(kept.len() <= 8, "{kept}");
    }
}

#[test]
fn summary_counts_frames_messages_and_findings() {
    let out = run(
        &["decode", "--summary", "--json", "--from", "client"],
        b"81 05 48 65 6c 6c 6f 88 00",
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["directions"][0];
    assert_eq!(d["frames"], 2);
    assert_eq!(d["control_frames"], 1);
    assert_eq!(d["messages"], 1);
    assert_eq!(d["findings"]["unmasked-client-frame"], 2);
    let text = run(
        &["decode", "--summary", "--from", "client"],
        b"81 05 48 65 6c 6c 6f",
    );
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(
        t.contains("client: 1 frame(s)") && t.contains("unmasked-client-frame"),
        "{t}"
    );
}

/// Unmasked binary frames from a server, `count` of them, more than a MiB in all.
fn many_frames(count: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for i in 0..count {
        let len = 2 + i % 100;
        b.extend([0x82, len as u8]);
        b.extend(std::iter::repeat_n(b'x', len));
    }
    b
}

#[test]
fn a_large_raw_input_is_decoded_as_a_stream_with_totals_at_the_end() {
    let input = many_frames(30_000);
    assert!(input.len() > 1 << 20);
    let out = run(&["decode", "--from", "server", "--format", "raw"], &input);
    assert!(out.status.success(), "{out:?}");
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.starts_with("input: more than 1048576 bytes read as raw bytes, decoded as a stream"),
        "{}",
        &t[..200]
    );
    assert!(t.contains("\nframe 29999  bytes "));
    assert!(
        t.ends_with("30000 frame(s), 30000 message(s), direction: server\n0 finding(s)\n"),
        "{}",
        &t[t.len() - 200..]
    );
    let s = run(
        &["decode", "--from", "server", "--summary", "--json"],
        &input,
    );
    let v: Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["directions"][0]["frames"], 30_000);
    assert_eq!(v["directions"][0]["bytes"], input.len() as u64);
}

#[test]
fn many_small_bombs_end_at_the_inflate_budget() {
    // Eight compressed messages of 1 MiB of zeros each (about 1 KiB each on the wire).
    let z = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 1 << 20], 6);
    let mut input = Vec::new();
    for _ in 0..8 {
        input.extend([0xc2, 126]);
        input.extend((z.len() as u16).to_be_bytes());
        input.extend(&z);
    }
    let out = run(
        &[
            "decode",
            "--from",
            "server",
            "--format",
            "raw",
            "--extensions",
            "permessage-deflate",
            "--inflate-budget",
            "3145728",
            "--summary",
            "--json",
        ],
        &input,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["directions"][0];
    assert_eq!(d["findings"]["inflate-budget"], 1, "{v}");
    assert_eq!(
        d["findings"].as_object().unwrap().len(),
        1,
        "no later message is blamed: {v}"
    );
    assert_eq!(d["message_bytes"], 3 << 20);
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::process::{Command, Stdio};
    // Megabytes of output, far more than a pipe holds, for each command that can print much.
    let frames = many_frames(30_000);
    // A handshake followed by its frames: `handshake` prints the frames' table too.
    let mut handshake = std::fs::read(data("handshake/rfc6455.txt")).unwrap();
    handshake.extend(&frames);
    // A capture: `pcap --json` and `--jsonl` write from a thread of their own.
    let capture = std::fs::read(data("pcap/cases.pcapng")).unwrap();
    let cases: [(&[&str], &[u8]); 5] = [
        (
            &["decode", "--jsonl", "--from", "server", "--format", "raw"],
            &frames,
        ),
        (&["decode", "--from", "server", "--format", "raw"], &frames),
        (&["handshake"], &handshake),
        (&["pcap", "-", "--jsonl"], &capture),
        (&["pcap", "-", "--json"], &capture),
    ];
    for (args, input) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader (like `head -1`) is gone now, long before the output ends.
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(!first.is_empty(), "{args:?}");
        assert!(out.status.success(), "{args:?}: {out:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            !e.contains("Broken pipe") && !e.contains("panicked"),
            "{args:?}: {e}"
        );
    }
}

#[test]
fn a_refused_upgrade_body_is_not_decoded_as_frames() {
    let input = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\
HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nBad Request";
    let out = run(&["decode", "--json"], input.as_bytes());
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames"].as_array().unwrap().len(), 0, "{v}");
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(
            "refused the upgrade (HTTP 400): the 11 bytes after it are its HTTP body, not frames"
        ),
        "{e}"
    );
}

#[test]
fn a_handshake_alone_or_cut_short_says_what_was_read() {
    let out = run(&["decode"], b"GET / HTTP/1.1\r\nHost: x\r\n");
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("an HTTP request head cut short (25 bytes: no blank line ends it)"),
        "{e}"
    );
    let rfc = std::fs::read(data("handshake/rfc6455.txt")).unwrap();
    let out = run(&["decode"], &rfc);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(&format!(
            "a handshake ({} bytes) with no frames after it",
            rfc.len()
        )),
        "{e}"
    );
}

#[test]
fn detection_says_when_it_had_a_choice_and_why_it_failed() {
    let t = String::from_utf8(run(&["decode"], b"deadbeef").stdout).unwrap();
    assert!(
        t.starts_with("input: 4 bytes read as hex (it is also valid base64"),
        "{t}"
    );
    let e = run(&["decode"], b"ggP7/78=garbage!");
    let e = String::from_utf8_lossy(&e.stderr);
    assert!(
        e.contains("not valid base64") && e.contains("column 8"),
        "{e}"
    );
    let e = run(&["decode"], b"\x01\x05Hello");
    let e = String::from_utf8_lossy(&e.stderr);
    assert!(e.contains("use --format raw"), "{e}");
}

#[test]
fn offsets_are_the_inputs_and_conflicts_with_the_handshake_are_stated() {
    let file = data("real/ctx.client.bin");
    let head = std::fs::read(&file)
        .unwrap()
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    let f = file.to_str().unwrap();
    let out = run(&["decode", f, "--json", "--from", "server"], b"");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["frames"][0]["offset"], head as u64,
        "frame offsets count the handshake"
    );
    let notes: Vec<&str> = v["input_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("permessage-deflate was assumed")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("--from server was not used")),
        "{notes:?}"
    );
    let events = lines(&run(&["decode", f, "--jsonl"], b""));
    assert_eq!(
        events[0]["start"], head as u64,
        "the streamed path counts it too"
    );
    let ext = "permessage-deflate; client_no_context_takeover";
    let forced = run(&["decode", f, "--json", "--extensions", ext], b"");
    let v: Value = serde_json::from_slice(&forced.stdout).unwrap();
    let notes = v["input_notes"].to_string();
    assert!(
        !notes.contains("assumed"),
        "the option was used, nothing assumed: {notes}"
    );
    assert!(notes.contains("decoded with --extensions"), "{notes}");
}

#[test]
fn a_follow_tcp_stream_dump_is_decoded_as_one_connection() {
    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data("follow/messages.json")).unwrap()).unwrap();
    let expected: Vec<Vec<u8>> = expected
        .iter()
        .map(|m| match (m.get("text"), m.get("hex")) {
            (Some(t), _) => t.as_str().unwrap().as_bytes().to_vec(),
            (_, Some(h)) => unhex(h.as_str().unwrap()),
            _ => panic!("{m}"),
        })
        .collect();
    let tshark = std::fs::read_to_string(data("follow/echo.follow.txt")).unwrap();
    // Wireshark's window indents the server's lines with four spaces instead of a tab.
    let window: String = tshark
        .lines()
        .map(|l| format!("{}\n", l.replacen('\t', "    ", 1)))
        .collect();
    let mut all = Vec::new();
    for text in [&tshark, &window] {
        let events = lines(&run(&["decode", "--jsonl"], text.as_bytes()));
        assert!(events
            .iter()
            .any(|e| e["event"] == "upgrade" && e["data"]["accepted"] == true));
        for side in ["client", "server"] {
            let got: Vec<Vec<u8>> = events
                .iter()
                .filter(|e| e["event"] == "message" && e["direction"] == side)
                .map(|e| unhex(e["data"]["payload"]["kept"].as_str().unwrap()))
                .collect();
            assert_eq!(got, expected, "{side}");
        }
        let findings: usize = events
            .iter()
            .filter(|e| e["event"] == "frame")
            .map(|e| e["data"]["findings"].as_array().unwrap().len())
            .sum();
        assert_eq!(findings, 0);
        all.push(events);
    }
    assert_eq!(
        all[0], all[1],
        "tab and four-space indentation read the same"
    );
    let table = String::from_utf8(run(&["decode"], tshark.as_bytes()).stdout).unwrap();
    assert!(table.contains("== client -> server ==") && table.contains("== server -> client =="));
    // A wrong offset on the server's side is named with its line.
    let bad = tshark.replacen("\t00000010", "\t00000011", 1);
    let out = run(&["decode"], bad.as_bytes());
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("does not match the 16 bytes the server sent before it"),
        "{e}"
    );
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn pasted_packets_lose_their_headers_and_decode_as_one_connection() {
    let text = std::fs::read_to_string(data("follow/echo.packets.txt")).unwrap();
    let follow = lines(&run(
        &["decode", "--jsonl"],
        &std::fs::read(data("follow/echo.follow.txt")).unwrap(),
    ));
    let packets = lines(&run(&["decode", "--jsonl"], text.as_bytes()));
    let messages = |events: &[Value]| -> Vec<(String, String)> {
        events
            .iter()
            .filter(|e| e["event"] == "message")
            .map(|e| {
                (
                    e["direction"].to_string(),
                    e["data"]["payload"]["kept"].to_string(),
                )
            })
            .collect()
    };
    // The same connection, from its packets and from Follow TCP Stream: the same messages.
    assert_eq!(messages(&packets), messages(&follow));
    assert_eq!(messages(&packets).len(), 12);
    assert!(packets.iter().all(|e| e["event"] != "gap"));
    // One packet not copied: a gap where it was, said so.
    let blocks: Vec<&str> = text.split("\n\n").collect();
    let dropped = blocks
        .iter()
        .position(|b| b.contains("Unmasked data"))
        .unwrap();
    let damaged: Vec<&str> = blocks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != dropped)
        .map(|(_, b)| *b)
        .collect();
    let events = lines(&run(
        &["decode", "--jsonl"],
        damaged.join("\n\n").as_bytes(),
    ));
    assert!(events.iter().any(|e| e["event"] == "gap"), "a gap");
    assert!(events.iter().any(|e| e.to_string().contains("bytes-lost")));
    // Packets of several connections are not guessed at.
    let two = format!("{text}\n\n{}", text.replace("b9 3c", "b9 3d"));
    let out = run(&["decode"], two.as_bytes());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not all TCP segments of one connection"));
}
