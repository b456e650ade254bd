//! Each diagnosis from a connection built byte by byte, and its absence from a healthy one.

use super::*;
use crate::session::{Session, SessionConfig};

const REQ: &str = "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RES: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

const C: Direction = Direction::Client;
const S: Direction = Direction::Server;

/// A server frame (unmasked).
fn sf(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![b0, payload.len() as u8];
    v.extend_from_slice(payload);
    v
}

/// A client frame (masked with a zero key).
fn cf(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![b0, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    v.extend_from_slice(payload);
    v
}

/// Feed `steps` (direction, bytes, time in ms) to a session, then end both directions.
fn run(steps: &[(Direction, Vec<u8>, u64)], ends: TcpEnds) -> DiagnoseReport {
    let mut s = Session::new(SessionConfig::default());
    let mut d = Diagnoser::new();
    let t = |ms: u64| Some(Timestamp(ms * 1_000_000));
    let mut last = 0;
    for (dir, bytes, ms) in steps {
        s.feed(*dir, bytes, t(*ms));
        last = *ms;
        while let Some(e) = s.poll_event() {
            d.push(&e);
        }
    }
    s.finish(C, t(last));
    s.finish(S, t(last));
    while let Some(e) = s.poll_event() {
        d.push(&e);
    }
    d.finish(&ends)
}

fn end(how: EndHow, ms: u64) -> TcpEnd {
    TcpEnd {
        how,
        time: Some(Timestamp(ms * 1_000_000)),
    }
}

fn fin_fin(client_ms: u64, server_ms: u64) -> TcpEnds {
    TcpEnds {
        client: end(EndHow::Fin, client_ms),
        server: end(EndHow::Fin, server_ms),
    }
}

fn hs(req: &str, res: &str) -> Vec<(Direction, Vec<u8>, u64)> {
    vec![
        (C, req.as_bytes().to_vec(), 0),
        (S, res.as_bytes().to_vec(), 1),
    ]
}

fn close_both(steps: &mut Vec<(Direction, Vec<u8>, u64)>, ms: u64) {
    steps.push((C, cf(0x88, &[3, 232]), ms));
    steps.push((S, sf(0x88, &[3, 232]), ms + 1));
}

fn ids_of(r: &DiagnoseReport) -> Vec<DiagnosisId> {
    ids(r)
}

#[test]
fn a_healthy_connection_has_no_diagnosis_and_passes() {
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x81, b"hi"), 10));
    steps.push((S, sf(0x81, b"hi"), 11));
    steps.push((C, cf(0x89, b"p"), 12));
    steps.push((S, sf(0x8a, b"p"), 13));
    close_both(&mut steps, 20);
    let r = run(&steps, fin_fin(30, 25));
    assert_eq!(ids_of(&r), []);
    let c = &r.conformance.client;
    assert_eq!(c.get(Class::Framing).verdict, Verdict::Pass);
    assert_eq!(c.get(Class::Pings).verdict, Verdict::Pass);
    assert_eq!(c.get(Class::Compression).verdict, Verdict::NotExercised);
    assert_eq!(
        r.conformance.server.get(Class::Close).verdict,
        Verdict::Pass
    );
    let v = serde_json::to_value(&r.conformance).unwrap();
    assert_eq!(v["client"]["utf8"]["verdict"], "pass");
    assert_eq!(v["server"]["fragmentation"]["verdict"], "not_exercised");
}

#[test]
fn a_refusal_is_upgrade_refused_and_a_426_names_the_proxy() {
    let res = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
    let r = run(&hs(REQ, res), fin_fin(5, 4));
    assert_eq!(ids_of(&r), [DiagnosisId::UpgradeRefused]);
    assert!(r.diagnoses[0].message.contains("404 Not Found"));
    assert!(r.diagnoses[0].evidence[0].what.contains("9 byte(s)"));
    assert!(
        r.diagnoses[0].evidence[0]
            .what
            .ends_with("9 byte(s) of HTTP body: \"not found\""),
        "{:?}",
        r.diagnoses[0].evidence
    );

    let res = "HTTP/1.1 426 Upgrade Required\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n";
    let r = run(&hs(REQ, res), fin_fin(5, 4));
    assert_eq!(
        ids_of(&r),
        [
            DiagnosisId::ProxyDroppedUpgrade,
            DiagnosisId::UpgradeRefused
        ]
    );
    assert!(r.diagnoses[0].message.contains("Server: nginx/1.22.1"));
    assert!(r.diagnoses[0].message.contains("proxy_set_header Upgrade"));
    // A refused connection is not also a missing close frame.
    assert!(!ids_of(&r).contains(&DiagnosisId::NoCloseFrame));
}

#[test]
fn an_idle_gap_then_fin_is_idle_timeout_compared_with_the_usual_timeouts() {
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x81, b"hi"), 10));
    steps.push((S, sf(0x81, b"hi"), 11));
    // 60 s later the server side (a proxy) sends FIN.
    let r = run(&steps, fin_fin(60_012, 60_011));
    assert_eq!(
        ids_of(&r),
        [DiagnosisId::IdleTimeout, DiagnosisId::NoCloseFrame]
    );
    let m = &r.diagnoses[0].message;
    assert!(m.contains("idle for 60.0 s"), "{m}");
    assert!(
        m.contains("matches nginx proxy_read_timeout 60 s or AWS ALB idle timeout 60 s"),
        "{m}"
    );
    assert!(m.contains("the server ended TCP (FIN)"), "{m}");

    let r = run(&steps, fin_fin(3_012, 3_011));
    let m = &r.diagnoses[0].message;
    assert!(
        m.contains("idle for 3.0 s") && m.contains("shorter than the defaults"),
        "{m}"
    );
}

#[test]
fn ending_tcp_soon_without_a_close_frame_is_no_close_frame_only() {
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x81, b"hi"), 10));
    let ends = TcpEnds {
        client: end(EndHow::PeerRst, 20),
        server: end(EndHow::Rst, 20),
    };
    let r = run(&steps, ends);
    assert_eq!(ids_of(&r), [DiagnosisId::NoCloseFrame]);
    assert!(r.diagnoses[0].message.contains("server ended TCP (RST)"));
    // Unknown ends (pasted input) say nothing about TCP.
    assert_eq!(ids_of(&run(&steps, TcpEnds::UNKNOWN)), []);
    // Nor does a capture that stopped with the connection open.
    let open = TcpEnds {
        client: end(EndHow::Open, 99),
        server: end(EndHow::Open, 99),
    };
    assert_eq!(ids_of(&run(&steps, open)), []);
}

#[test]
fn a_close_without_its_answer_is_close_not_answered() {
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x88, &[3, 232, b'b', b'y', b'e']), 10));
    let r = run(&steps, fin_fin(30_010, 30_011));
    assert_eq!(ids_of(&r), [DiagnosisId::CloseNotAnswered]);
    assert!(r.diagnoses[0].message.contains("close 1000 \"bye\""));
    assert_eq!(
        r.conformance.server.get(Class::Close).verdict,
        Verdict::Fail
    );
    assert_eq!(
        r.conformance.client.get(Class::Close).verdict,
        Verdict::Pass
    );
}

#[test]
fn http_text_after_the_101_is_http_after_upgrade_not_rsv1() {
    let mut res = RES.to_string();
    res.push_str("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 44\r\n\r\nThis response was written after the upgrade.");
    let mut steps = hs(REQ, &res);
    steps.push((C, cf(0x88, &[3, 234]), 10));
    let r = run(&steps, fin_fin(11, 12));
    assert_eq!(ids_of(&r), [DiagnosisId::HttpAfterUpgrade]);
    let m = &r.diagnoses[0].message;
    assert!(m.contains("`HTTP/1.1 200 OK"), "{m}");
    assert_eq!(r.diagnoses[0].evidence[0].frame, Some(0));
    let rb = r.conformance.server.get(Class::ReservedBits);
    assert_eq!((rb.verdict, rb.frame), (Verdict::Fail, Some(0)));
}

#[test]
fn rsv1_without_deflate_and_rsv1_on_a_ping() {
    let mut steps = hs(REQ, RES);
    steps.push((S, sf(0xc1, &[0xf2, 0x48, 0x05, 0]), 10));
    let r = run(&steps, TcpEnds::UNKNOWN);
    assert_eq!(ids_of(&r), [DiagnosisId::Rsv1Unnegotiated]);

    let mut steps = hs(REQ, RES);
    steps.push((S, sf(0xc9, b"x"), 10));
    let r = run(&steps, TcpEnds::UNKNOWN);
    assert_eq!(ids_of(&r), [DiagnosisId::Rsv1OnControlFrame]);
    assert!(r.diagnoses[0].message.contains("ping frame"));

    // With permessage-deflate negotiated, RSV1 on a text frame is fine, on a ping it is not.
    let req = REQ.replace(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    );
    let res = RES.replace(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    );
    let mut steps = hs(&req, &res);
    steps.push((S, sf(0xc1, &[0xf2, 0x48, 0x05, 0]), 10));
    assert_eq!(ids_of(&run(&steps, TcpEnds::UNKNOWN)), []);
    steps.push((S, sf(0xc9, b"x"), 11));
    assert_eq!(
        ids_of(&run(&steps, TcpEnds::UNKNOWN)),
        [DiagnosisId::Rsv1OnControlFrame]
    );
}

#[test]
fn handshake_diagnoses_subprotocol_accept_and_bare_lf() {
    let req = REQ.replace(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n",
    );
    let r = run(&hs(&req, RES), fin_fin(5, 6));
    assert_eq!(ids_of(&r), [DiagnosisId::SubprotocolNotEchoed]);
    assert!(r.diagnoses[0].message.contains("`chat, superchat`"));

    // The tutorial's server: a misspelt GUID and bare LF lines.
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let wrong = {
        use base64::Engine as _;
        use sha1::Digest as _;
        let d = sha1::Sha1::digest(format!("{key}258EAF5-E914-47DA-95CA-C5AB0DC85B11"));
        base64::engine::general_purpose::STANDARD.encode(d)
    };
    let res = format!("HTTP/1.1 101 Switch protocols\nUpgrade:websocket\nConnection:Upgrade\nSec-WebSocket-Accept:{wrong}\n\n");
    let r = run(&hs(REQ, &res), fin_fin(5, 6));
    assert_eq!(
        ids_of(&r),
        [DiagnosisId::AcceptMismatch, DiagnosisId::BareLf]
    );
    let m = &r.diagnoses[0].message;
    assert!(m.contains("guid-dropped-char"), "{m}");
    assert!(m.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{m}");
}

#[test]
fn a_ping_without_pong_then_1011_is_ping_unanswered() {
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x89, b"abcd"), 1_000));
    steps.push((S, sf(0x81, b"still talking"), 1_500));
    steps.push((C, cf(0x88, b"\x03\xf3keepalive ping timeout"), 21_000));
    let r = run(&steps, fin_fin(31_000, 31_000));
    assert_eq!(ids_of(&r), [DiagnosisId::PingUnanswered]);
    let m = &r.diagnoses[0].message;
    assert!(
        m.contains("within 20.0 s") && m.contains("close 1011 \"keepalive ping timeout\""),
        "{m}"
    );
    let p = r.conformance.server.get(Class::Pings);
    assert_eq!(
        (p.verdict, p.direction),
        (Verdict::Fail, Some(Direction::Client))
    );

    // A pong with another payload does not answer it; one with the same payload does.
    let mut ok = hs(REQ, RES);
    ok.push((C, cf(0x89, b"abcd"), 1_000));
    ok.push((S, sf(0x8a, b"zz"), 1_001));
    ok.push((S, sf(0x8a, b"abcd"), 1_002));
    close_both(&mut ok, 21_000);
    assert_eq!(ids_of(&run(&ok, fin_fin(21_010, 21_005))), []);
}

#[test]
fn memory_stays_bounded_over_many_frames() {
    let mut s = Session::new(SessionConfig::default());
    let mut d = Diagnoser::new();
    s.feed(C, REQ.as_bytes(), None);
    s.feed(S, RES.as_bytes(), None);
    for _ in 0..10_000 {
        s.feed(C, &cf(0x89, b"p"), None);
        while let Some(e) = s.poll_event() {
            d.push(&e);
        }
    }
    assert_eq!(d.client.pings.len(), MAX_PINGS);
    assert_eq!(d.client.frames, 10_000);
}

#[test]
fn diagnoses_serialise_with_their_ids() {
    let r = run(&hs(REQ, "HTTP/1.1 403 Forbidden\r\n\r\n"), fin_fin(1, 1));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["diagnoses"][0]["id"], "upgrade-refused");
    assert_eq!(v["diagnoses"][0]["severity"], "error");
    assert_eq!(v["diagnoses"][0]["evidence"][0]["direction"], "server");
    assert_eq!(v["diagnoses"][0]["clients_print"][0]["client"], "chromium");
}

#[test]
fn a_pasted_stream_is_diagnosed_from_its_handshake_and_frames() {
    let mut input = REQ.as_bytes().to_vec();
    input.extend_from_slice(RES.as_bytes());
    let frames_at = input.len();
    input.extend_from_slice(b"Hello from the server, written as plain text after the 101");
    let report = handshake::analyze(&input);
    let frames = crate::stream::decode_all(&input[frames_at..], S, &Default::default());
    let r = diagnose_stream(Some(&report), Some(&frames));
    assert_eq!(ids_of(&r), [DiagnosisId::HttpAfterUpgrade]);
    assert!(r.diagnoses[0].message.contains("`Hello from the server"));
    assert_eq!(diagnose_stream(Some(&report), None).diagnoses, []);
}

#[test]
fn every_protocol_rule_has_a_class_and_no_limit_of_ours_has_one() {
    for r in crate::finding::RULES {
        assert_eq!(
            Class::of(r.rule).is_some(),
            r.is_protocol_rule(),
            "{}",
            r.rule
        );
    }
}

#[test]
fn a_side_that_closes_tcp_right_after_its_close_frame_blames_nobody() {
    // A browser leaving the page: close 1001, then FIN at once.
    let mut steps = hs(REQ, RES);
    steps.push((C, cf(0x81, b"hi"), 10));
    steps.push((S, sf(0x81, b"hi"), 11));
    steps.push((C, cf(0x88, &[3, 233]), 500));
    assert_eq!(ids_of(&run(&steps, fin_fin(501, 502))), []);
    // It waited 5 s in vain: the server did not answer.
    let r = run(&steps, fin_fin(5_500, 5_501));
    assert_eq!(ids_of(&r), [DiagnosisId::CloseNotAnswered]);
    assert!(r.diagnoses[0]
        .message
        .contains("before the client ended TCP"));
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn how(i: u8) -> EndHow {
        [
            EndHow::Fin,
            EndHow::Rst,
            EndHow::PeerRst,
            EndHow::Open,
            EndHow::Unknown,
        ][usize::from(i % 5)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any bytes, after a real handshake or none, in any chunks, at any times, ending any way:
        /// no panic, and every diagnosis has evidence and a sentence naming what to change.
        #[test]
        fn any_connection_diagnoses_without_panicking(
            handshake in any::<bool>(),
            chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64), any::<u32>()), 0..24),
            ends in (any::<u8>(), any::<u8>(), any::<u32>(), any::<u32>()),
        ) {
            let mut steps = if handshake { hs(REQ, RES) } else { Vec::new() };
            for (client, bytes, ms) in chunks {
                steps.push((if client { C } else { S }, bytes, u64::from(ms)));
            }
            let ends = TcpEnds {
                client: end(how(ends.0), u64::from(ends.2)),
                server: end(how(ends.1), u64::from(ends.3)),
            };
            let r = run(&steps, ends);
            for d in &r.diagnoses {
                prop_assert!(!d.evidence.is_empty(), "{:?}", d.id);
                prop_assert!(d.message.ends_with('.') && !d.message.contains('\n'), "{}", d.message);
            }
        }
    }
}

#[test]
fn a_refusals_body_is_quoted_bounded_and_inert() {
    // A long HTML body with an escape sequence and line breaks, in two chunks.
    let body = format!("<h1>Forbidden</h1>\r\n\u{1b}[31m{}", "x".repeat(2000));
    let res = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut steps = hs(REQ, &res);
    let (a, b) = body.as_bytes().split_at(10);
    steps.push((S, a.to_vec(), 2));
    steps.push((S, b.to_vec(), 3));
    let r = run(&steps, fin_fin(5, 4));
    let what = &r.diagnoses[0].evidence[0].what;
    assert!(
        what.contains(": \"<h1>Forbidden</h1>\\r\\n\\u{1b}[31mxxx"),
        "{what}"
    );
    assert!(what.ends_with("x…\""), "{what}");
    assert!(!what.contains('\u{1b}') && !what.contains('\n'));
    // At most the session's prefix of the body is quoted.
    assert!(
        what.len() < crate::session::BODY_PREFIX + 200,
        "{}",
        what.len()
    );
}

#[test]
fn a_refusal_is_linked_to_the_proxys_request_to_the_backend() {
    // The client's connection (id 1) is refused with a 502 (no proxy word in it); meanwhile
    // (id 2) the proxy asked the backend for the same path as HTTP/1.0 without the upgrade.
    let res = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
    let mut s = Session::new(SessionConfig::default());
    let t = |ms: u64| Some(Timestamp(ms * 1_000_000));
    s.feed(C, REQ.as_bytes(), t(0));
    s.feed(S, res.as_bytes(), t(9));
    s.finish(C, t(10));
    s.finish(S, t(10));
    let mut d = Diagnoser::new();
    while let Some(e) = s.poll_event() {
        d.push(&e);
    }
    let mut hops = HopLog::default();
    let hop = b"GET /chat HTTP/1.0\r\nHost: backend\r\n\r\n";
    hops.push(HopRequest::of_head(2, hop, t(3)).unwrap());
    // Another path at the same time is not it.
    hops.push(HopRequest::of_head(3, b"GET /other HTTP/1.0\r\n\r\n", t(4)).unwrap());
    let r = d.finish_linked(&fin_fin(10, 10), 1, &hops);
    assert_eq!(
        ids_of(&r),
        [
            DiagnosisId::ProxyDroppedUpgrade,
            DiagnosisId::UpgradeRefused
        ]
    );
    let p = &r.diagnoses[0];
    assert!(
        p.message.contains("connection 2: `GET /chat HTTP/1.0`"),
        "{}",
        p.message
    );
    let ev = p.evidence.iter().find(|e| e.connection.is_some()).unwrap();
    assert_eq!(ev.connection, Some(2));
    assert!(ev
        .what
        .contains("as HTTP/1.0, without Upgrade: websocket and Connection: upgrade"));
    // Outside the window (after the answer) it is not linked.
    let mut late = HopLog::default();
    late.push(HopRequest::of_head(2, hop, t(50)).unwrap());
    let mut s = Session::new(SessionConfig::default());
    s.feed(C, REQ.as_bytes(), t(0));
    s.feed(S, res.as_bytes(), t(9));
    let mut d = Diagnoser::new();
    while let Some(e) = s.poll_event() {
        d.push(&e);
    }
    let r = d.finish_linked(&fin_fin(10, 10), 1, &late);
    assert_eq!(ids_of(&r), [DiagnosisId::UpgradeRefused]);
}
