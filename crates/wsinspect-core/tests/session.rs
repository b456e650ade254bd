//! The session engine on real captured connections: both directions with their handshake,
//! chunking invariance, events that survive JSON, refused upgrades, gaps and the inflate budget.

use proptest::prelude::*;
use wsinspect_core::session::{Event, EventKind, Session, SessionConfig, Timestamp};
use wsinspect_core::stream::{Inflate, Keep, Retain};
use wsinspect_core::Direction;

fn data(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Both directions of a captured connection: the client's and the server's bytes.
fn connection(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    (
        data(&format!("{prefix}.client.bin")),
        data(&format!("{prefix}.server.bin")),
    )
}

/// Feed both directions in the given chunks (direction, length), in order, then finish both.
/// As on a real connection, the server's first byte comes after the client's request head.
fn run(
    config: SessionConfig,
    client: &[u8],
    server: &[u8],
    chunks: &[(Direction, usize)],
) -> Vec<Event> {
    let request = client
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |p| p + 4);
    let mut s = Session::new(config);
    let mut events = Vec::new();
    let (mut c, mut sv) = (0, 0);
    for (i, &(d, n)) in chunks.iter().enumerate() {
        let d = if c < request { Direction::Client } else { d };
        let (buf, at) = match d {
            Direction::Client => (client, &mut c),
            _ => (server, &mut sv),
        };
        let end = (*at + n).min(buf.len());
        s.feed(d, &buf[*at..end], Some(Timestamp(i as u64)));
        *at = end;
        events.extend(std::iter::from_fn(|| s.poll_event()));
    }
    s.feed(Direction::Client, &client[c..], Some(Timestamp(1 << 40)));
    s.feed(Direction::Server, &server[sv..], Some(Timestamp(1 << 40)));
    s.finish(Direction::Client, None);
    s.finish(Direction::Server, None);
    events.extend(std::iter::from_fn(|| s.poll_event()));
    events
}

fn whole(config: SessionConfig, client: &[u8], server: &[u8]) -> Vec<Event> {
    run(
        config,
        client,
        server,
        &[
            (Direction::Client, usize::MAX),
            (Direction::Server, usize::MAX),
        ],
    )
}

fn messages(events: &[Event], d: Direction) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.direction == d)
        .filter_map(|e| match &e.kind {
            EventKind::Message(m) => Some(String::from_utf8(m.payload.kept.0.clone()).unwrap()),
            _ => None,
        })
        .collect()
}

fn findings(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .flat_map(|e| match &e.kind {
            EventKind::Frame(f) => f.findings.iter().map(|f| f.rule.as_str()).collect(),
            EventKind::Finding(f) => vec![f.rule.as_str()],
            EventKind::End {
                incomplete: Some(i),
            } => i.findings.iter().map(|f| f.rule.as_str()).collect(),
            _ => vec![],
        })
        .collect()
}

/// Each direction's events in order, without times: the times are the chunks', and how the
/// two directions interleave is the caller's; nothing else may depend on how bytes were split.
fn per_direction(events: Vec<Event>) -> [Vec<Event>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for mut e in events {
        e.time = None;
        out[usize::from(e.direction == Direction::Server)].push(e);
    }
    out
}

#[test]
fn a_real_compressed_connection_decodes_to_the_messages_sent_with_no_findings() {
    let expected: Vec<String> = serde_json::from_slice(&data("real/messages.json")).unwrap();
    for prefix in ["real/ctx", "real/nct"] {
        let (client, server) = connection(prefix);
        let events = whole(SessionConfig::default(), &client, &server);
        assert!(matches!(events[0].kind, EventKind::Request(_)), "{prefix}");
        let upgrade = events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Upgrade(u) => Some(u),
                _ => None,
            })
            .expect("an upgrade event");
        assert!(upgrade.accepted && upgrade.status == 101 && upgrade.deflate.is_some());
        assert_eq!(upgrade.checks.fail, 0, "{:?}", upgrade.failed_checks);
        assert_eq!(messages(&events, Direction::Client), expected, "{prefix}");
        assert_eq!(messages(&events, Direction::Server), expected, "{prefix}");
        assert_eq!(findings(&events), Vec::<&str>::new(), "{prefix}");
        for e in &events {
            if let EventKind::Message(m) = &e.kind {
                assert_eq!(m.inflate, Some(Inflate::Ok));
                assert_eq!(m.valid_utf8, Some(true));
            }
        }
        // Frame offsets count from the start of each direction's stream, handshake included.
        let head_len = client.windows(4).position(|w| w == b"\r\n\r\n").unwrap() as u64 + 4;
        let first = events
            .iter()
            .find(|e| e.direction == Direction::Client && matches!(e.kind, EventKind::Frame(_)))
            .unwrap();
        assert_eq!(first.start, head_len);
        let ends = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::End { .. }))
            .count();
        assert_eq!(ends, 2);
    }
}

#[test]
fn events_read_back_from_json_equal_what_was_written() {
    let (client, server) = connection("real/ctx");
    let events = whole(SessionConfig::default(), &client, &server);
    for e in &events {
        let line = serde_json::to_string(e).unwrap();
        assert!(line.starts_with("{\"v\":1,"), "{line}");
        let back: Event = serde_json::from_str(&line).unwrap();
        // The upgrade's whole handshake analysis is not serialised (a reader has the heads).
        let mut written = e.clone();
        if let EventKind::Upgrade(u) = &mut written.kind {
            assert!(u.report.take().is_some(), "the session shares its analysis");
        }
        assert_eq!(back, written, "{line}");
    }
}

#[test]
fn a_head_event_says_its_start_line_and_fields_in_json() {
    let (client, server) = connection("real/ctx");
    let events = whole(SessionConfig::default(), &client, &server);
    let EventKind::Request(h) = &events[0].kind else {
        panic!("the first event is the request")
    };
    let v: serde_json::Value = serde_json::to_value(&events[0]).unwrap();
    let data = &v["data"];
    assert_eq!(data["start_line"], "GET / HTTP/1.1", "{data}");
    assert_eq!(data["start_line"], h.start_line());
    let headers = data["headers"].as_array().unwrap();
    assert_eq!(headers.len(), h.headers().len());
    assert!(headers.len() >= 5, "{data}");
    let key = h
        .headers()
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key"))
        .expect("the request's key");
    assert_eq!(key.1.len(), 24, "trimmed: {:?}", key.1);
    assert!(client.starts_with(&h.raw.0));
}

#[test]
fn a_refused_upgrade_has_a_body_and_no_frames() {
    let request = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let response = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nBad Request";
    let events = whole(SessionConfig::default(), request, response);
    let upgrade = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Upgrade(u) => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!upgrade.accepted);
    assert_eq!(upgrade.status, 400);
    assert!(events
        .iter()
        .all(|e| !matches!(e.kind, EventKind::Frame(_))));
    let body: u64 = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Body { len, .. } => Some(len),
            _ => None,
        })
        .sum();
    assert_eq!(body, 11);
}

#[test]
fn a_capture_that_starts_after_the_handshake_is_read_as_frames_and_says_so() {
    let hello_client = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let hello_server = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let events = whole(SessionConfig::default(), &hello_client, &hello_server);
    assert_eq!(messages(&events, Direction::Client), ["Hello"]);
    assert_eq!(messages(&events, Direction::Server), ["Hello"]);
    assert_eq!(findings(&events), ["no-handshake", "no-handshake"]);
}

#[test]
fn a_gap_inside_a_payload_keeps_the_frames_in_step() {
    // Two unmasked binary frames of 10 bytes from the server; 4 bytes of the first are lost.
    let mut s = Session::new(SessionConfig {
        handshake: false,
        ..SessionConfig::default()
    });
    let mut frame = vec![0x82, 10];
    frame.extend(0..10u8);
    s.feed(Direction::Server, &frame[..5], None);
    s.gap(Direction::Server, 4, None);
    s.feed(Direction::Server, &frame[9..], None);
    s.feed(Direction::Server, &frame, None);
    s.finish(Direction::Server, None);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let frames: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Frame(f) => {
                Some((e.start, e.end, f.payload.kept.0.clone(), f.findings.len()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[0],
        (0, 12, vec![0, 1, 2], 1),
        "kept bytes stop at the gap"
    );
    assert_eq!(frames[1], (12, 24, (0..10).collect(), 0));
}

#[test]
fn many_small_bombs_stop_at_the_session_budget_and_later_messages_are_not_blamed() {
    // 16 compressed messages of 4 MiB of zeros each; a 16 MiB budget lets 4 through.
    let bomb = {
        let z = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 4 << 20], 6);
        let mut f = vec![0xc2, 126];
        f.extend((z.len() as u16).to_be_bytes());
        f.extend(&z);
        f
    };
    let server: Vec<u8> = bomb.iter().copied().cycle().take(bomb.len() * 16).collect();
    let mut config = SessionConfig {
        handshake: false,
        retain: Retain::NOTHING,
        ..SessionConfig::default()
    };
    config.decode.deflate = Some(wsinspect_core::ext::Deflate {
        client: wsinspect_core::ext::DeflateParams {
            no_context_takeover: false,
            max_window_bits: 15,
        },
        server: wsinspect_core::ext::DeflateParams {
            no_context_takeover: false,
            max_window_bits: 15,
        },
    });
    config.decode.inflate_budget = 16 << 20;
    let events = whole(config, &[], &server);
    let inflates: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message(m) => Some((m.inflate, m.payload.len)),
            _ => None,
        })
        .collect();
    assert_eq!(inflates.len(), 16);
    assert!(inflates[..4]
        .iter()
        .all(|&(i, n)| i == Some(Inflate::Ok) && n == 4 << 20));
    assert!(inflates[4..]
        .iter()
        .all(|&(i, _)| i == Some(Inflate::Limited)));
    assert_eq!(findings(&events), ["inflate-budget"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_chunking_of_both_directions_gives_the_same_events(
        prefix in prop::sample::select(vec!["real/ctx", "real/nct", "handshake/real-node-client_py-server"]),
        chunks in prop::collection::vec((any::<bool>(), 1usize..700), 1..40),
        keep in prop::sample::select(vec![Keep::All, Keep::Prefix(3), Keep::Nothing]),
    ) {
        let (client, server) = connection(prefix);
        let config = SessionConfig { retain: Retain { frames: keep, messages: keep }, ..SessionConfig::default() };
        let expected = per_direction(whole(config.clone(), &client, &server));
        let chunks: Vec<_> = chunks
            .into_iter()
            .map(|(c, n)| (if c { Direction::Client } else { Direction::Server }, n))
            .collect();
        let got = per_direction(run(config, &client, &server, &chunks));
        for d in 0..2 {
            let first_difference = got[d].iter().zip(&expected[d]).position(|(a, b)| a != b);
            prop_assert!(
                got[d].len() == expected[d].len() && first_difference.is_none(),
                "direction {d}: {} events, expected {}; first difference at {first_difference:?}",
                got[d].len(),
                expected[d].len()
            );
        }
    }
}

#[test]
fn a_message_cut_by_our_limit_does_not_get_the_next_one_blamed() {
    // Two compressed messages from one zlib stream (context takeover), each 900 bytes of text;
    // the second is 11 bytes that refer back into the first.
    let first = "2ac94855282ccd4cce56482aca2fcf5348cbaf50c82acd2d2856c82f4b2d5228014ae72456552aa4e4a75b8379a38a47158f2aa6aa620000";
    let second = "1a553caa7854f1c02a0600";
    let unhex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut server = Vec::new();
    for m in [unhex(first), unhex(second)] {
        server.extend([0xc1, m.len() as u8]);
        server.extend(m);
    }
    let deflate = wsinspect_core::ext::deflate_for_decoding("permessage-deflate").unwrap();
    let run_with = |max_inflated: usize| {
        let mut config = SessionConfig {
            handshake: false,
            ..SessionConfig::default()
        };
        config.decode.deflate = deflate;
        config.decode.max_inflated = max_inflated;
        whole(config, &[], &server)
    };
    let inflates = |events: &[Event]| -> Vec<(Option<Inflate>, u64)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Message(m) => Some((m.inflate, m.payload.len)),
                _ => None,
            })
            .collect()
    };
    // Within the limit both inflate.
    let ok = run_with(1 << 20);
    assert_eq!(
        inflates(&ok),
        [(Some(Inflate::Ok), 900), (Some(Inflate::Ok), 900)]
    );
    // With a 100-byte limit the first is cut (inflate-limit), and the second, whose window the
    // cut lost, is marked limited: no inflate-failed blames the sender for our limit.
    let cut = run_with(100);
    assert_eq!(inflates(&cut)[0], (Some(Inflate::Limited), 100));
    assert_eq!(inflates(&cut)[1].0, Some(Inflate::Limited));
    assert_eq!(findings(&cut), ["inflate-limit"]);
}

/// Found by the fuzzer: whether a direction starts with an HTTP head was decided on the first
/// bytes, and a prefix the whole line would pass (an HTTP/2 pseudo-header, a byte outside
/// ASCII in the target) sent a byte-by-byte feed to frames.
#[test]
fn whether_a_head_starts_does_not_depend_on_the_chunks() {
    for start in [
        &b":status 101\r\n\r\n"[..],
        b":statusGET /echo HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"  GET / HTTP/1.1\r\n\r\n",
        b"GET \x00 nonsense\n",
    ] {
        let events = |chunk: usize| {
            let mut s = Session::new(SessionConfig::default());
            for piece in start.chunks(chunk) {
                s.feed(Direction::Client, piece, None);
            }
            s.finish(Direction::Client, None);
            std::iter::from_fn(|| s.poll_event()).collect::<Vec<_>>()
        };
        assert_eq!(
            events(1),
            events(usize::MAX),
            "{:?}",
            String::from_utf8_lossy(start)
        );
    }
}
