//! `--payload`: the application protocols inside real captures (tests/data/payload, made by its
//! capture.sh with the real libraries on loopback) decoded as a user would see them.

use crate::support::{data, run};
use serde_json::Value;

/// `wsinspect pcap --json FILE [extra]`.
fn pcap_json(name: &str, extra: &[&str]) -> Value {
    let path = data(&format!("payload/{name}"));
    let mut args = vec!["pcap", "--json", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args, b"");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// Every message of connection `i` (0-based), in order: (direction, payload, decoded).
fn messages(v: &Value, i: usize) -> Vec<(String, Vec<u8>, Value)> {
    v["connections"][i]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let hex = m["payload"].as_str().unwrap();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (
                m["direction"].as_str().unwrap().to_string(),
                bytes,
                m["decoded"].clone(),
            )
        })
        .collect()
}

fn summaries(ms: &[(String, Vec<u8>, Value)]) -> Vec<String> {
    ms.iter()
        .map(|(d, _, x)| format!("{d}: {}", x["summary"].as_str().unwrap_or("-")))
        .collect()
}

/// The first node named `name` in the tree, depth first.
fn find<'a>(n: &'a Value, name: &str) -> Option<&'a Value> {
    if n["name"] == name {
        return Some(n);
    }
    n["children"].as_array()?.iter().find_map(|c| find(c, name))
}

/// The bytes a node's span covers.
fn bytes<'a>(payload: &'a [u8], n: &Value) -> &'a [u8] {
    let s = n["span"].as_array().unwrap();
    &payload[s[0].as_u64().unwrap() as usize..s[1].as_u64().unwrap() as usize]
}

/// Every span inside the payload and inside its parent.
fn spans_nest(n: &Value, lo: u64, hi: u64) {
    let s = n["span"].as_array().unwrap();
    let (a, b) = (s[0].as_u64().unwrap(), s[1].as_u64().unwrap());
    assert!(
        lo <= a && a <= b && b <= hi,
        "{} {a}..{b} outside {lo}..{hi}",
        n["name"]
    );
    for c in n["children"].as_array().unwrap() {
        spans_nest(c, a, b);
    }
}

#[test]
fn socketio_chat_shows_events_namespaces_acks_and_attachments() {
    let v = pcap_json("socketio.pcapng", &[]);
    let ms = messages(&v, 0);
    let s = summaries(&ms);
    for want in [
        "server: OPEN sid=",
        "client: CONNECT /chat",
        "client: EVENT \"login\" ack 0",
        "server: ACK ack 0",
        "client: EVENT \"chat message\" /chat",
        "server: EVENT \"chat message\" /chat",
        "client: BINARY_EVENT \"upload\" ack 1 +1 attachment(s)",
        "client: ATTACHMENT 1 of 1 for BINARY_EVENT \"upload\" ack 1 +1 attachment(s)",
        "server: BINARY_ACK ack 1 +1 attachment(s)",
        "client: DISCONNECT /chat",
    ] {
        assert!(
            s.iter().any(|x| x.starts_with(want)),
            "{want:?} not in {s:#?}"
        );
    }
    for (_, payload, d) in &ms {
        assert_eq!(d["decoder"], "socketio");
        assert_eq!(d["findings"], serde_json::json!([]), "{d}");
        spans_nest(&d["tree"], 0, payload.len() as u64);
    }
    // The login's event name and argument point at their bytes.
    let (_, payload, login) = ms
        .iter()
        .find(|(_, _, d)| d["summary"] == "EVENT \"login\" ack 0")
        .unwrap();
    assert_eq!(
        bytes(payload, find(&login["tree"], "event").unwrap()),
        b"\"login\""
    );
    let arg = find(&login["tree"], "name").unwrap();
    assert_eq!(arg["value"], "\"alice\"");
    assert_eq!(bytes(payload, arg), b"\"alice\"");
    // The broadcast carries the sender and the text the client sent.
    let (_, _, chat) = ms
        .iter()
        .find(|(dir, _, d)| dir == "server" && d["summary"] == "EVENT \"chat message\" /chat")
        .unwrap();
    assert_eq!(find(&chat["tree"], "from").unwrap()["value"], "\"alice\"");
    assert_eq!(
        find(&chat["tree"], "text").unwrap()["value"],
        "\"hi everyone\""
    );
    // The upload's placeholder names its attachment, which is the next client message.
    let i = ms
        .iter()
        .position(|(_, _, d)| d["summary"].as_str().unwrap().starts_with("BINARY_EVENT"))
        .unwrap();
    let placeholder = &find(&ms[i].2["tree"], "data").unwrap()["children"][2];
    assert!(placeholder["value"]
        .as_str()
        .unwrap()
        .starts_with("binary attachment 0"));
    let (dir, payload, att) = &ms[i + 1];
    assert_eq!(dir, "client");
    assert_eq!(payload, &[1, 2, 3, 4, 5]);
    assert_eq!(find(&att["tree"], "data").unwrap()["value"], "0102030405");
}

#[test]
fn mqtt_311_and_5_show_connect_subscribe_publish_with_topics_and_payloads() {
    let v = pcap_json("mqtt.pcapng", &[]);
    for (i, level, version) in [(0, "3.1.1", 4), (1, "5.0", 5)] {
        let ms = messages(&v, i);
        let s = summaries(&ms);
        for want in [
            format!("client: CONNECT {level} client \"wsinspect-"),
            "server: CONNACK ".into(),
            "client: SUBSCRIBE sensors/# id".into(),
            "server: SUBACK id".into(),
            "client: PUBLISH sensors/t1 (16 bytes)".into(),
            "server: PUBLISH sensors/t1 (16 bytes)".into(),
            "server: PUBLISH sensors/door (4 bytes)".into(),
            "client: DISCONNECT".into(),
        ] {
            assert!(
                s.iter().any(|x| x.starts_with(&want)),
                "{want:?} not in {s:#?}"
            );
        }
        // MQTT.js writes a packet's pieces as separate messages: joined, nothing is left over.
        assert!(ms
            .iter()
            .all(|(_, _, d)| d["findings"] == serde_json::json!([])));
        let (_, payload, p) = ms
            .iter()
            .find(|(dir, _, d)| dir == "server" && d["summary"] == "PUBLISH sensors/t1 (16 bytes)")
            .unwrap();
        let body = find(&p["tree"], "payload").unwrap();
        let want = format!("{{\"t\":21.5,\"v\":{version}}}");
        assert_eq!(bytes(payload, body), want.as_bytes());
        assert_eq!(find(body, "t").unwrap()["value"], "21.5");
        assert_eq!(
            find(&p["tree"], "topic").unwrap()["value"],
            "\"sensors/t1\""
        );
        if version == 5 {
            assert_eq!(
                find(&p["tree"], "Content Type").unwrap()["value"],
                "\"application/json\""
            );
            assert_eq!(
                find(&p["tree"], "User Property").unwrap()["value"],
                "\"unit\" = \"celsius\""
            );
        } else {
            assert!(find(&p["tree"], "properties").is_none());
        }
    }
}

#[test]
fn stomp_frames_headers_escapes_and_bodies() {
    let v = pcap_json("stomp.pcapng", &[]);
    let ms = messages(&v, 0);
    assert_eq!(
        summaries(&ms),
        [
            "client: CONNECT 1.2,1.1,1.0",
            "server: CONNECTED 1.2",
            "client: SUBSCRIBE /topic/prices",
            "client: SEND /topic/prices",
            "server: MESSAGE /topic/prices",
            "client: DISCONNECT",
            "server: RECEIPT close-1",
        ]
    );
    let (_, payload, send) = &ms[3];
    // stompjs escaped the backslash of "a\cb" as "\\": shown unescaped, spanning the raw line.
    let note = find(&send["tree"], "note").unwrap();
    assert_eq!(note["value"], "\"a\\\\cb\"");
    assert_eq!(bytes(payload, note), b"note:a\\\\cb");
    let body = find(&send["tree"], "body").unwrap();
    assert_eq!(bytes(payload, body), br#"{"sym":"ABC","price":101.5}"#);
    assert_eq!(find(body, "price").unwrap()["value"], "101.5");
}

#[test]
fn binary_formats_made_by_their_libraries() {
    let v = pcap_json("binary.pcapng", &[]);
    let ms: Vec<_> = messages(&v, 0)
        .into_iter()
        .filter(|m| m.0 == "client")
        .collect();
    let decoders: Vec<_> = ms
        .iter()
        .map(|m| m.2["decoder"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        decoders,
        ["msgpack", "cbor", "protobuf", "protobuf", "protobuf", "gzip"]
    );
    for (_, payload, d) in &ms {
        assert_eq!(d["findings"], serde_json::json!([]), "{d}");
        if d["decoder"] != "gzip" {
            spans_nest(&d["tree"], 0, payload.len() as u64);
        }
    }
    let (_, mp, msgpack) = &ms[0];
    let t = find(&msgpack["tree"], "temperature").unwrap();
    assert_eq!(t["value"], "21.5");
    assert_eq!(bytes(mp, t), [0xcb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0]);
    let at = find(&ms[1].2["tree"], "at").unwrap();
    assert_eq!(at["value"], "tag 0 (date/time string)");
    assert_eq!(at["children"][0]["value"], "\"2026-11-28T12:00:00Z\"");
    // google.protobuf.Struct: field 1 (map entries), each a key (1) and a Value (2).
    let s = &ms[2].2["tree"];
    let mut keys: Vec<_> = s["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["children"][0]["value"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["\"ok\"", "\"sensor\"", "\"tags\"", "\"temperature\""]
    );
    // google.protobuf.Timestamp{seconds: 1795864648, nanos: 5000}.
    let ts = &ms[3].2["tree"]["children"];
    assert_eq!(ts[0]["value"], "varint 1795864648");
    assert_eq!(ts[1]["value"], "varint 5000");
    let gz = &ms[5].2;
    assert!(
        gz["summary"]
            .as_str()
            .unwrap()
            .ends_with("json object (4 keys)"),
        "{gz}"
    );
    assert_eq!(find(&gz["tree"], "sensor").unwrap()["value"], "\"t1\"");
}

#[test]
fn payload_none_and_forced_decoders() {
    let v = pcap_json("socketio.pcapng", &["--payload", "none"]);
    assert!(messages(&v, 0).iter().all(|m| m.2.is_null()));
    // Forced onto messages it does not fit, a decoder reports findings with positions.
    let v = pcap_json("stomp.pcapng", &["--payload", "msgpack"]);
    let ms = messages(&v, 0);
    assert!(ms.iter().all(|m| m.2["decoder"] == "msgpack"));
    assert!(ms
        .iter()
        .any(|m| !m.2["findings"].as_array().unwrap().is_empty()));
    let out = run(&["pcap", "--payload", "yaml"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("socketio"));
}

#[test]
fn decode_text_shows_the_tree_under_the_message() {
    // An unmasked text frame holding a Socket.IO event.
    let text = br#"42["chat message","hi"]"#;
    let mut frame = vec![0x81, text.len() as u8];
    frame.extend_from_slice(text);
    let hex: String = frame.iter().map(|b| format!("{b:02x} ")).collect();
    let out = run(&["decode", "--from", "server"], hex.as_bytes());
    assert!(out.status.success(), "{out:?}");
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("decoded (socketio): EVENT \"chat message\""),
        "{s}"
    );
    assert!(
        s.contains("      engine.io MESSAGE (packet) [0..23]"),
        "{s}"
    );
    assert!(
        s.contains("event (string) [3..17]: \"chat message\""),
        "{s}"
    );
    let out = run(&["decode", "--json", "--from", "server"], hex.as_bytes());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["messages"][0]["decoded"]["decoder"], "socketio");
}

#[test]
fn protobuf_with_the_users_proto_names_fields() {
    let proto = data("payload/chat.proto");
    let proto = proto.to_str().unwrap();
    let v = pcap_json(
        "binary.pcapng",
        &["--proto", proto, "--message", "chat.Message"],
    );
    let ms: Vec<_> = messages(&v, 0)
        .into_iter()
        .filter(|m| m.0 == "client")
        .collect();
    // Only the chat.Message is read as it; the other formats are still detected.
    let summaries: Vec<_> = ms
        .iter()
        .map(|m| m.2["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(summaries[4], "chat.Message (7 field(s))");
    assert_eq!(summaries[0], "map (4 entries)");
    assert_eq!(summaries[2], "4 field(s)");
    let (_, payload, d) = &ms[4];
    assert_eq!(d["findings"], serde_json::json!([]));
    spans_nest(&d["tree"], 0, payload.len() as u64);
    let t = &d["tree"];
    let from = find(t, "from").unwrap();
    assert_eq!(from["value"], "chat.User");
    assert_eq!(find(from, "name").unwrap()["value"], "\"ann\"");
    assert_eq!(find(from, "karma").unwrap()["value"], "-3");
    let text = find(t, "text").unwrap();
    assert_eq!(text["value"], "\"hello from protobuf\"");
    assert!(bytes(payload, text).ends_with(b"hello from protobuf"));
    assert_eq!(find(t, "kind").unwrap()["value"], "IMAGE (2)");
    let r: Vec<_> = find(t, "reactions").unwrap()["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].clone())
        .collect();
    assert_eq!(r, ["1", "300", "-2"]);
    assert_eq!(find(t, "seconds").unwrap()["value"], "1795864648");
    assert_eq!(find(t, "score").unwrap()["value"], "0.5");
    assert_eq!(
        find(find(t, "meta").unwrap(), "value").unwrap()["value"],
        "\"lobby\""
    );
}

#[test]
fn proto_errors_name_the_place() {
    let proto = data("payload/chat.proto");
    let file = data("payload/binary.pcapng");
    let out = run(
        &[
            "pcap",
            "--json",
            "--proto",
            proto.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("2 message types (chat.User, chat.Message): name one with --message"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("wsinspect-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.proto");
    std::fs::write(&bad, "syntax = \"proto3\";\nmessage A { int32 x = 1 }\n").unwrap();
    let out = run(
        &[
            "pcap",
            "--json",
            "--proto",
            bad.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        b"",
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("bad.proto:2:25:"), "{e}");
}

#[test]
fn pcap_jsonl_messages_carry_decoded_too() {
    let path = data("payload/stomp.pcapng");
    let out = run(&["pcap", "--jsonl", path.to_str().unwrap()], b"");
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summaries: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "message")
        .map(|l| l["decoded"]["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(summaries.len(), 7);
    assert_eq!(summaries[3], "SEND /topic/prices");
    // Other events have no "decoded" key.
    assert!(lines
        .iter()
        .filter(|l| l["event"] == "frame")
        .all(|l| l.get("decoded").is_none()));
}

#[test]
fn graphql_ws_subscription_by_its_subprotocol() {
    let v = pcap_json("graphql.pcapng", &[]);
    // graphql-ws's lazy client connects once per operation: the query, then the subscription.
    let ms = messages(&v, 1);
    let s = summaries(&ms);
    assert_eq!(s[0], "client: connection_init");
    assert_eq!(s[1], "server: connection_ack");
    assert!(
        s[2].starts_with("client: subscribe id ") && s[2].ends_with(" Greetings"),
        "{s:?}"
    );
    let greetings: Vec<_> = ms
        .iter()
        .filter(|m| m.2["summary"].as_str().unwrap().starts_with("next"))
        .map(|(_, payload, d)| {
            assert_eq!(d["decoder"], "graphql");
            let g = find(&d["tree"], "greetings").unwrap();
            assert_eq!(bytes(payload, g), g["value"].as_str().unwrap().as_bytes());
            g["value"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(greetings, ["\"Hi\"", "\"Bonjour\"", "\"Hola\""]);
    assert!(s.last().unwrap().starts_with("server: complete id "));
    let first = summaries(&messages(&v, 0));
    assert!(first.iter().any(|x| x.starts_with("server: next id ")));
    assert_eq!(
        find(&messages(&v, 0)[3].2["tree"], "hello").unwrap()["value"],
        "\"world\""
    );
}

#[test]
fn socketio_2_attachments_lose_their_engine_io_v3_type_byte() {
    let v = pcap_json("socketio2.pcapng", &[]);
    let ms = messages(&v, 0);
    let s = summaries(&ms);
    for want in [
        "client: EVENT \"login\" ack 0",
        "client: EVENT \"chat message\" /chat",
        "server: EVENT \"chat message\" /chat",
        "client: BINARY_EVENT \"upload\" ack 1 +1 attachment(s)",
    ] {
        assert!(
            s.iter().any(|x| x.starts_with(want)),
            "{want:?} not in {s:#?}"
        );
    }
    let (_, payload, att) = ms
        .iter()
        .find(|m| {
            m.2["summary"]
                .as_str()
                .unwrap()
                .starts_with("ATTACHMENT 1 of 1")
        })
        .unwrap();
    assert_eq!(payload, &[4, 9, 8, 7]);
    let data = find(&att["tree"], "data").unwrap();
    assert_eq!(data["value"], "090807");
    assert_eq!(bytes(payload, data), [9, 8, 7]);
    assert!(ms.iter().all(|m| m.2["findings"] == serde_json::json!([])));
}

#[test]
fn sockjs_frames_from_both_sides() {
    let v = pcap_json("sockjs.pcapng", &[]);
    // Connection 1 is sockjs-client's GET /info, not a WebSocket.
    assert_eq!(v["connections"].as_array().unwrap().len(), 1);
    let ms = messages(&v, 0);
    assert_eq!(
        summaries(&ms),
        [
            "server: open",
            "client: send (1) hello",
            "client: send (1) {\"room\":\"lobby\",\"text\":\"hi\"}",
            "server: messages (1) echo: hello",
            "server: messages (1) echo: {\"room\":\"lobby\",\"text\":\"hi\"}",
        ]
    );
    for (_, payload, d) in &ms {
        assert_eq!(d["decoder"], "sockjs");
        assert_eq!(d["findings"], serde_json::json!([]));
        spans_nest(&d["tree"], 0, payload.len() as u64);
    }
}

#[test]
fn wamp_in_json_and_msgpack_by_subprotocol() {
    let v = pcap_json("wamp.pcapng", &[]);
    for i in 0..2 {
        let ms = messages(&v, i);
        let s = summaries(&ms);
        for want in [
            "client: HELLO realm1",
            "server: WELCOME",
            "client: SUBSCRIBE com.example.prices",
            "client: PUBLISH com.example.prices",
            "server: PUBLISHED",
            "server: EVENT",
            "client: REGISTER com.example.add",
            "client: CALL com.example.add",
            "server: INVOCATION",
            "client: YIELD",
            "server: RESULT",
            "client: GOODBYE wamp.close.normal",
        ] {
            assert!(s.contains(&want.to_string()), "{want:?} not in {s:#?}");
        }
        for (_, payload, d) in &ms {
            assert_eq!(d["decoder"], "wamp");
            assert_eq!(d["findings"], serde_json::json!([]));
            spans_nest(&d["tree"], 0, payload.len() as u64);
        }
        // The EVENT carries the published arguments: ["ABC", 101.5]; the RESULT [5].
        let event = &ms.iter().find(|m| m.2["summary"] == "EVENT").unwrap().2["tree"];
        let args = event["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "array")
            .unwrap();
        let shown: Vec<_> = args["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(shown, ["\"ABC\"", "101.5"]);
        let result = &ms.iter().find(|m| m.2["summary"] == "RESULT").unwrap().2["tree"];
        let last = result["children"].as_array().unwrap().last().unwrap();
        assert_eq!(last["children"][0]["value"], "5");
    }
}

#[test]
fn actioncable_channel_actions_and_broadcasts() {
    let v = pcap_json("actioncable.pcapng", &[]);
    let ms = messages(&v, 0);
    assert_eq!(
        summaries(&ms),
        [
            "server: welcome",
            "client: subscribe ChatChannel",
            "server: confirm_subscription ChatChannel",
            "server: ping",
            "client: message ChatChannel speak",
            "server: message ChatChannel",
        ]
    );
    let (_, payload, d) = &ms[5];
    let text = find(&d["tree"], "text").unwrap();
    assert_eq!(text["value"], "\"hello cable\"");
    assert_eq!(bytes(payload, text), b"\"hello cable\"");
    assert!(ms.iter().all(|m| m.2["decoder"] == "actioncable"));
}

#[test]
fn subprotocol_option_for_frames_without_a_handshake() {
    // A server frame holding an MQTT SUBSCRIBE: not recognisable by content, so named.
    let frame = "82 0a 82 08 00 01 00 03 61 2f 62 01";
    let out = run(&["decode", "--json", "--from", "server"], frame.as_bytes());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(v["messages"][0]["decoded"]["decoder"], "mqtt");
    let out = run(
        &[
            "decode",
            "--json",
            "--from",
            "server",
            "--subprotocol",
            "mqtt",
        ],
        frame.as_bytes(),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["messages"][0]["decoded"];
    assert_eq!(d["summary"], "SUBSCRIBE a/b id 1");
    assert_eq!(
        find(&d["tree"], "topic filter").unwrap()["span"],
        serde_json::json!([4, 9])
    );
}

/// `wsinspect decode ARGS FILE` on a file of tests/data/payload: its standard output.
fn decode_out(name: &str, extra: &[&str]) -> String {
    let path = data(&format!("payload/{name}"));
    let mut args = vec!["decode", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args, b"");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The `"decoded"` summaries of `decode --jsonl`'s message lines: (direction, summary).
fn jsonl_summaries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["event"] == "message")
        .map(|l| {
            (
                l["direction"].as_str().unwrap().to_string(),
                l["decoded"]["summary"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn decode_jsonl_of_a_follow_dump_decodes_each_message_as_pcap_does() {
    // The same connection as a capture (pcap --json) and as a Follow TCP Stream dump (decode
    // --jsonl): the same summaries, in the order the messages came.
    for name in ["socketio", "mqtt"] {
        let out = decode_out(&format!("{name}.follow.txt"), &["--jsonl"]);
        let got = jsonl_summaries(&out);
        let v = pcap_json(&format!("{name}.pcapng"), &[]);
        let want: Vec<_> = messages(&v, 0)
            .into_iter()
            .map(|(d, _, x)| (d, x["summary"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, want, "{name}");
        // Frames and other events have no "decoded".
        assert!(out
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|l| l["event"] != "message")
            .all(|l| l.get("decoded").is_none()));
    }
    let out = decode_out("socketio.follow.txt", &["--jsonl"]);
    let got = jsonl_summaries(&out);
    assert!(got.contains(&("client".into(), "EVENT \"chat message\" /chat".into())));
    // The attachment, joined to its event.
    assert!(got
        .iter()
        .any(|(d, s)| d == "client"
            && s.starts_with("ATTACHMENT 1 of 1 for BINARY_EVENT \"upload\"")));
    // --payload none: the lines are the session's events, as before.
    let none = decode_out("socketio.follow.txt", &["--jsonl", "--payload", "none"]);
    assert!(none.lines().all(|l| !l.contains("\"decoded\"")));
}

#[test]
fn decode_summary_counts_the_decoded_kinds_with_the_first_summary() {
    let text = decode_out("mqtt.follow.txt", &["--summary"]);
    let line = |side: &str, kind: &str| {
        let block = text
            .split(&format!("decoded payloads ({side}):"))
            .nth(1)
            .unwrap_or("");
        block
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(kind))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{side} {kind}: {text}"))
    };
    assert!(line("client", "CONNECT").contains("first: CONNECT 3.1.1 client \"wsinspect-311\""));
    let publish = line("client", "PUBLISH");
    assert_eq!(publish.split_whitespace().nth(2), Some("2"), "{publish}");
    assert!(
        publish.contains("first: PUBLISH sensors/t1 (16 bytes)"),
        "{publish}"
    );
    assert!(line("server", "CONNACK").contains("Connection Accepted"));
    // MQTT.js's pieces of packets, counted as one kind.
    let part = text
        .lines()
        .find(|l| l.contains(" part of a packet "))
        .unwrap_or_default();
    assert_eq!(part.split_whitespace().nth(5), Some("25"), "{text}");
    // The JSON summary carries the same.
    let json: Value =
        serde_json::from_str(&decode_out("socketio.follow.txt", &["--summary", "--json"])).unwrap();
    let client = json["decoded"]["client"].as_array().unwrap();
    let event = client.iter().find(|k| k["kind"] == "EVENT").unwrap();
    assert_eq!(event["decoder"], "socketio");
    assert_eq!(event["count"], 2);
    assert_eq!(event["first"], "EVENT \"login\" ack 0");
    assert_eq!(json["decoded"]["undecoded"], serde_json::json!([0, 0]));
    // --payload none: the counts only.
    let none = decode_out("mqtt.follow.txt", &["--summary", "--payload", "none"]);
    assert!(!none.contains("decoded payloads"), "{none}");
}

#[test]
fn decode_jsonl_of_one_direction_uses_the_subprotocol_given() {
    // A server's PUBLISH (topic "a/b", payload "hi") as hex: MQTT only by the subprotocol.
    let hex = "82 09 30 07 00 03 61 2f 62 68 69";
    let out = run(
        &[
            "decode",
            "--from",
            "server",
            "--jsonl",
            "--subprotocol",
            "mqtt",
        ],
        hex.as_bytes(),
    );
    assert!(out.status.success(), "{out:?}");
    let got = jsonl_summaries(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        got,
        [("server".to_string(), "PUBLISH a/b (2 bytes)".to_string())]
    );
    let out = run(&["decode", "--from", "server", "--summary"], hex.as_bytes());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("not decoded"), "{s}");
}
