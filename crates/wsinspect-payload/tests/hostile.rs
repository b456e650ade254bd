//! No decoder panics on arbitrary bytes, and every span lies inside the message and inside its
//! parent (below an `inflated` node: inside the inflated bytes).

use proptest::prelude::*;
use wsinspect_payload::{Choice, Decoded, Decoder, Kind, MessageKind, Node, PayloadSession};

/// Checks `n` and its descendants against `[lo, hi]`; returns how many nodes were checked.
fn check(n: &Node, lo: usize, hi: usize) -> usize {
    assert!(n.span[0] <= n.span[1], "{} has span {:?}", n.name, n.span);
    assert!(
        lo <= n.span[0] && n.span[1] <= hi,
        "{} {:?} outside {lo}..{hi}",
        n.name,
        n.span
    );
    let (clo, chi) = if n.kind == Kind::Inflated {
        let len: usize = n
            .value
            .as_deref()
            .and_then(|v| v.split(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        (0, len)
    } else {
        (n.span[0], n.span[1])
    };
    1 + n.children.iter().map(|c| check(c, clo, chi)).sum::<usize>()
}

fn check_decoded(d: &Decoded, len: usize) {
    check(&d.tree, 0, len);
    for f in &d.findings {
        assert!(
            f.span[0] <= f.span[1] && f.span[1] <= len,
            "finding {f:?} outside 0..{len}"
        );
    }
    // The tree and findings serialise.
    serde_json::to_string(d).unwrap();
}

fn choices() -> Vec<Choice> {
    let mut c = vec![Choice::Auto];
    c.extend(Decoder::ALL.iter().map(|d| Choice::Force(*d)));
    c
}

fn kind(text: bool) -> MessageKind {
    if text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    }
}

/// Bytes that look a little like the formats, so the decoders go deep.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<&'static [u8]> = vec![
        b"",
        b"42[",
        b"451-[",
        b"0{",
        b"\x10\x14\x00\x04MQTT\x05",
        b"\x30",
        b"SEND\n",
        b"CONNECTED\n",
        b"\x82",
        b"\xbf",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        b"\x78\x9c",
        b"\x08",
        b"{\"type\":",
        b"a[",
        b"\x28\xb5\x2f\xfd",
        b"\x0a\x07\x0a\x03ann\x10",
        b"[16,",
    ];
    (
        proptest::sample::select(prefixes),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(p, mut rest)| {
            let mut v = p.to_vec();
            v.append(&mut rest);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_and_spans_inside(bytes in interesting(), text in any::<bool>()) {
        for choice in choices() {
            for sub in [None, Some("mqtt"), Some("wamp.2.cbor"), Some("v12.stomp")] {
                if let Some(d) = PayloadSession::new(choice, sub).message(kind(text), &bytes) {
                    check_decoded(&d, bytes.len());
                }
            }
        }
    }

    #[test]
    fn sessions_over_many_messages(msgs in proptest::collection::vec((interesting(), any::<bool>()), 1..8)) {
        for choice in [Choice::Auto, Choice::Force(Decoder::SocketIo), Choice::Force(Decoder::Mqtt)] {
            let mut s = PayloadSession::new(choice, None);
            for (m, text) in &msgs {
                if let Some(d) = s.message(kind(*text), m) {
                    check_decoded(&d, m.len());
                }
            }
        }
    }
}

fn chat_schema() -> wsinspect_payload::protobuf::Schema {
    let proto = r#"syntax = "proto3"; package chat;
        enum Kind { K = 0; TEXT = 1; }
        message User { string name = 1; sint32 karma = 2; repeated User friends = 3; }
        message Message { User from = 1; string text = 2; Kind kind = 3; repeated int32 r = 4; bytes b = 5; double d = 6; }"#;
    wsinspect_payload::protobuf::Schema::compile(&[("chat.proto".into(), proto.into())]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn protobuf_with_a_schema_never_panics(bytes in interesting()) {
        let m = chat_schema().message("chat.Message").unwrap();
        for choice in [Choice::Auto, Choice::Force(Decoder::Protobuf)] {
            let mut s = PayloadSession::new(choice, None).with_proto(m.clone());
            if let Some(d) = s.message(MessageKind::Binary, &bytes) {
                check_decoded(&d, bytes.len());
            }
        }
    }
}

#[test]
fn deep_nesting_is_bounded_everywhere() {
    for bytes in [
        vec![b'['; 1 << 16],
        vec![0x91; 1 << 16],
        vec![0x81; 1 << 16],
        [0x1a, 0x7f].repeat(1 << 15),
    ] {
        for choice in choices() {
            if let Some(d) = PayloadSession::new(choice, None).message(MessageKind::Binary, &bytes)
            {
                check_decoded(&d, bytes.len());
            }
        }
    }
}

/// Real MQTT 3.1.1 packets (as MQTT.js writes them): CONNECT, SUBSCRIBE, PUBLISH QoS 1 with a
/// JSON payload, PUBLISH QoS 0, PUBACK, PINGREQ, DISCONNECT.
const MQTT_STREAM: &[&[u8]] = &[
    b"\x10\x14\x00\x04MQTT\x04\x02\x00\x3c\x00\x08mqttjs_1",
    b"\x82\x0e\x00\x01\x00\x09sensors/#\x01",
    b"\x32\x1e\x00\x0asensors/t1\x00\x02{\"t\":21.5,\"v\":4}",
    b"\x30\x12\x00\x0csensors/dooropen",
    b"\x40\x02\x00\x02",
    b"\xc0\x00",
    b"\xe0\x00",
];

/// The packets' summaries, in order, from messages holding `stream` cut at `cuts`.
fn mqtt_summaries(stream: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut s = PayloadSession::new(Choice::Auto, Some("mqtt"));
    let mut out = Vec::new();
    let mut at = 0;
    for &c in cuts.iter().chain([&stream.len()]) {
        let d = s.message(MessageKind::Binary, &stream[at..c]).unwrap();
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        check_decoded(&d, c - at);
        out.extend(
            d.summary
                .split("; ")
                .filter(|x| *x != "part of a packet")
                .map(str::to_string),
        );
        at = c;
    }
    out
}

proptest! {
    #[test]
    fn mqtt_packets_read_the_same_however_messages_cut_them(
        order in proptest::sample::subsequence((0..MQTT_STREAM.len()).collect::<Vec<_>>(), 1..=MQTT_STREAM.len()),
        cuts in proptest::collection::btree_set(1usize..150, 0..12),
    ) {
        let stream: Vec<u8> = order.iter().flat_map(|&i| MQTT_STREAM[i].iter().copied()).collect();
        let cuts: Vec<_> = cuts.into_iter().filter(|&c| c < stream.len()).collect();
        let whole = mqtt_summaries(&stream, &[]);
        prop_assert_eq!(whole.len(), order.len());
        prop_assert_eq!(mqtt_summaries(&stream, &cuts), whole);
    }
}
