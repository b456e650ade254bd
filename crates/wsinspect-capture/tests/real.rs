//! Real captures (tests/data/pcap, recorded on loopback from Python `websockets` peers): the
//! connections found, the messages decoded against what the peers sent, the same events for
//! pcap and pcapng and for any chunking, a deleted segment, and the same packets rewritten
//! (reordered, duplicated, other link types and interfaces, big-endian, simple packet blocks).

use std::path::PathBuf;

use wsinspect_capture::file::{FileReader, Packet};
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent, ClientBy, FlowKind};
use wsinspect_core::session::{Event, EventKind};
use wsinspect_core::stream::Inflate;
use wsinspect_core::Direction;

fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/pcap")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The messages the peers sent (messages.json), as bytes.
fn sent() -> Vec<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(&data("messages.json")).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| match (m.get("text"), m.get("hex")) {
            (Some(t), _) => t.as_str().unwrap().as_bytes().to_vec(),
            (_, Some(h)) => {
                let h = h.as_str().unwrap();
                (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                    .collect()
            }
            _ => panic!("{m}"),
        })
        .collect()
}

/// Every event of a capture fed in chunks of `chunk` bytes.
fn read(file: &[u8], chunk: usize) -> (Vec<CaptureEvent>, Capture) {
    let mut c = Capture::new(CaptureConfig::default());
    let mut out = Vec::new();
    for part in file.chunks(chunk) {
        c.feed(part).unwrap();
        while let Some(e) = c.poll_event() {
            out.push(e);
        }
    }
    c.finish().unwrap();
    while let Some(e) = c.poll_event() {
        out.push(e);
    }
    (out, c)
}

fn events(all: &[CaptureEvent], id: u64) -> Vec<&Event> {
    all.iter()
        .filter_map(|e| match e {
            CaptureEvent::Event { connection, event } if *connection == id => Some(event),
            _ => None,
        })
        .collect()
}

/// The payloads of a connection's messages from `direction`.
fn messages(all: &[CaptureEvent], id: u64, direction: Direction) -> Vec<Vec<u8>> {
    events(all, id)
        .into_iter()
        .filter(|e| e.direction == direction)
        .filter_map(|e| match &e.kind {
            EventKind::Message(m) => Some(m.payload.kept.0.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn finds_the_websocket_connections_over_ipv4_and_ipv6_and_lists_the_other_flows() {
    let (all, c) = read(&data("echo.pcapng"), usize::MAX);
    let conns: Vec<_> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Connection(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(conns.len(), 3);
    for (c, id) in conns.iter().zip([1, 2, 5]) {
        assert_eq!(c.id, id);
        let server = if id == 5 {
            "[::1]:47420"
        } else {
            "127.0.0.1:47420"
        };
        assert_eq!(c.server, server.parse().unwrap());
        assert_eq!(c.client.ip(), c.server.ip());
        assert_eq!(c.client_by, ClientBy::Syn);
        assert!(c.client.port() > 1024);
    }
    let others: Vec<_> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::OtherFlow(f) => Some((f.id, f.kind, f.server.port())),
            _ => None,
        })
        .collect();
    assert_eq!(
        others,
        [(3, FlowKind::Http, 47420), (4, FlowKind::Tls, 47421)]
    );
    let closed = all
        .iter()
        .filter(|e| matches!(e, CaptureEvent::Closed { .. }))
        .count();
    assert_eq!(closed, 3);
    let t = c.totals();
    assert_eq!(
        (t.format, t.connections, t.other_flows),
        (Some("pcapng"), 3, 2)
    );
    assert_eq!(t.packets, t.tcp_segments);
    assert_eq!(t.cut_short_at, None);
}

#[test]
fn the_messages_are_what_the_peers_sent_with_and_without_deflate() {
    let (all, _) = read(&data("echo.pcapng"), usize::MAX);
    let want = sent();
    // 1: Python client, deflate; 2: Python client, none; 5: Node ws client over IPv6, deflate.
    for id in [1, 2, 5] {
        for d in [Direction::Client, Direction::Server] {
            assert_eq!(messages(&all, id, d), want, "connection {id} {d:?}");
        }
        let up = events(&all, id)
            .into_iter()
            .find_map(|e| match &e.kind {
                EventKind::Upgrade(u) => Some(u.clone()),
                _ => None,
            })
            .unwrap();
        assert!(up.accepted);
        assert_eq!(up.deflate.is_some(), id != 2, "connection {id}");
        // No findings: real peers, nothing lost.
        for e in events(&all, id) {
            match &e.kind {
                EventKind::Finding(f) => panic!("connection {id}: {f:?}"),
                EventKind::Frame(f) => assert!(f.findings.is_empty(), "{:?}", f.findings),
                EventKind::Gap { .. } => panic!("gap"),
                _ => {}
            }
        }
        // Both directions end, the client's Close first (1000).
        let ends = events(&all, id)
            .into_iter()
            .filter(|e| matches!(e.kind, EventKind::End { incomplete: None }))
            .count();
        assert_eq!(ends, 2);
    }
}

#[test]
fn any_chunking_gives_the_same_events() {
    for name in ["echo.pcapng", "echo.pcap", "lost-segment.pcapng"] {
        let file = data(name);
        let (whole, _) = read(&file, usize::MAX);
        for chunk in [1, 7, 4096] {
            assert!(read(&file, chunk).0 == whole, "{name} in chunks of {chunk}");
        }
    }
}

/// The events without their times.
fn timeless(all: &[CaptureEvent]) -> Vec<CaptureEvent> {
    all.iter()
        .cloned()
        .map(|mut e| {
            match &mut e {
                CaptureEvent::Event { event, .. } => event.time = None,
                CaptureEvent::Connection(c) => c.time = None,
                CaptureEvent::OtherFlow(f) => f.time = None,
                CaptureEvent::Note(n) => n.time = None,
                CaptureEvent::Closed { ends, .. } => {
                    ends.client.time = None;
                    ends.server.time = None;
                }
                CaptureEvent::Tls { .. } | CaptureEvent::Input { .. } => {}
            }
            e
        })
        .collect()
}

#[test]
fn pcap_in_microseconds_and_nanoseconds_reads_like_pcapng() {
    let (ng, _) = read(&data("echo.pcapng"), usize::MAX);
    let (ns, c) = read(&data("echo-ns.pcap"), usize::MAX);
    assert_eq!(c.totals().format, Some("pcap"));
    assert!(ns == ng, "nanosecond pcap: identical, times included");
    let (us, _) = read(&data("echo.pcap"), usize::MAX);
    assert!(timeless(&us) == timeless(&ng));
    let time = |all: &[CaptureEvent]| match &all[1] {
        CaptureEvent::Event { event, .. } => event.time.unwrap().0,
        e => panic!("{e:?}"),
    };
    assert_eq!(time(&us), time(&ng) / 1000 * 1000);
    assert_ne!(time(&ng) % 1000, 0, "dumpcap wrote nanoseconds");
}

#[test]
fn a_deleted_segment_is_a_gap_inside_a_payload_and_the_frames_after_it_decode() {
    let (all, _) = read(&data("lost-segment.pcapng"), usize::MAX);
    let want = sent();
    // Connection 1 is untouched.
    assert_eq!(messages(&all, 1, Direction::Client), want);
    let ev = events(&all, 2);
    let gaps: Vec<_> = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Gap { len } => Some((e.direction, len)),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, [(Direction::Client, 500)]);
    let lost: Vec<_> = ev
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Frame(f) => f
                .findings
                .iter()
                .find(|f| f.rule.as_str() == "bytes-lost")
                .map(|_| f.index),
            _ => None,
        })
        .collect();
    assert_eq!(lost, [3], "the 3439-byte text frame lost 500 bytes");
    let got = messages(&all, 2, Direction::Client);
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if i == 3 {
            // The message keeps the bytes before the gap, as its frame does: nothing is made
            // up for the lost ones, and what follows them is not joined on as if it followed.
            assert!(
                !g.is_empty() && g.len() <= w.len() - 500,
                "{} bytes",
                g.len()
            );
            assert!(w.starts_with(g));
        } else {
            assert_eq!(g, w, "message {i}, after the gap too");
        }
    }
    assert_eq!(
        messages(&all, 2, Direction::Server),
        want,
        "the echo was captured whole"
    );
}

// ---- The same packets, rewritten ----

fn packets(file: &[u8]) -> Vec<Packet> {
    let mut r = FileReader::new();
    let mut out = Vec::new();
    r.feed(file, &mut out).unwrap();
    out
}

/// A classic pcap of `packets` (Ethernet), in either byte order.
fn write_pcap(packets: &[Packet], big_endian: bool) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend(u32b(0xa1b2_3c4d)); // nanoseconds
    f.extend(u16b(2));
    f.extend(u16b(4));
    f.extend([0; 8]);
    f.extend(u32b(262_144));
    f.extend(u32b(1));
    for p in packets {
        let t = p.time.unwrap().0;
        f.extend(u32b((t / 1_000_000_000) as u32));
        f.extend(u32b((t % 1_000_000_000) as u32));
        f.extend(u32b(p.data.len() as u32));
        f.extend(u32b(p.orig_len));
        f.extend(&p.data);
    }
    f
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    [
        &kind.to_le_bytes()[..],
        &len.to_le_bytes(),
        body,
        &vec![0; pad],
        &len.to_le_bytes(),
    ]
    .concat()
}

fn shb() -> Vec<u8> {
    block(
        0x0a0d_0d0a,
        &[
            &0x1a2b_3c4du32.to_le_bytes()[..],
            &[1, 0, 0, 0],
            &(-1i64).to_le_bytes(),
        ]
        .concat(),
    )
}

fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut b = [&link.to_le_bytes()[..], &[0, 0], &262_144u32.to_le_bytes()].concat();
    if let Some(r) = tsresol {
        b.extend([9, 0, 1, 0, r, 0, 0, 0, 0, 0, 0, 0]); // if_tsresol, then opt_endofopt
    }
    block(1, &b)
}

fn epb(interface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let pad = (4 - data.len() % 4) % 4;
    let body = [
        &interface.to_le_bytes()[..],
        &((ts >> 32) as u32).to_le_bytes(),
        &(ts as u32).to_le_bytes(),
        &(data.len() as u32).to_le_bytes(),
        &(data.len() as u32).to_le_bytes(),
        data,
        &vec![0; pad],
    ]
    .concat();
    block(6, &body)
}

fn messages_of(file: &[u8]) -> Vec<(u64, Direction, Vec<u8>)> {
    let (all, _) = read(file, 1000);
    all.iter()
        .filter_map(|e| match e {
            CaptureEvent::Event { connection, event } => match &event.kind {
                EventKind::Message(m) => {
                    Some((*connection, event.direction, m.payload.kept.0.clone()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn reordered_and_retransmitted_segments_give_the_same_messages() {
    let original = data("echo.pcapng");
    let want = messages_of(&original);
    assert_eq!(want.len(), 36);
    let mut p = packets(&original);
    // Connection 2's client segments of 500 bytes: swap two, repeat one, and move one later.
    let big: Vec<usize> = (0..p.len())
        .filter(|&i| p[i].data.len() == 66 + 500)
        .collect();
    assert!(big.len() >= 10, "{}", big.len());
    p.swap(big[1], big[2]);
    let again = p[big[4]].clone();
    p.insert(big[6], again);
    let late = p.remove(big[8]);
    p.insert(big[8] + 2, late);
    let file = write_pcap(&p, false);
    assert_eq!(messages_of(&file), want);
    let (_, c) = read(&file, usize::MAX);
    assert_eq!(c.totals().duplicate_bytes, 500);
    // A retransmission with other bytes is noted; the first copy wins.
    let mut changed = p[big[4]].clone();
    let n = changed.data.len();
    changed.data[n - 1] ^= 0xff;
    let mut p2 = p.clone();
    p2.insert(big[4] + 1, changed);
    let (all, _) = read(&write_pcap(&p2, true), usize::MAX);
    let notes: Vec<_> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Note(n) => Some((n.connection, n.direction, n.code)),
            _ => None,
        })
        .collect();
    assert_eq!(notes, [(2, Direction::Client, "overlap-differs")]);
    assert_eq!(messages_of(&write_pcap(&p2, true)), want);
}

#[test]
fn a_small_out_of_order_cap_declares_the_hole_lost_and_says_so() {
    let mut p = packets(&data("echo.pcapng"));
    let big: Vec<usize> = (0..p.len())
        .filter(|&i| p[i].data.len() == 66 + 500)
        .collect();
    let late = p.remove(big[1]);
    p.insert(big[5], late);
    let mut c = Capture::new(CaptureConfig {
        max_out_of_order: 1200,
        ..CaptureConfig::default()
    });
    c.feed(&write_pcap(&p, false)).unwrap();
    c.finish().unwrap();
    let mut notes = Vec::new();
    let mut gaps = Vec::new();
    while let Some(e) = c.poll_event() {
        match e {
            CaptureEvent::Note(n) => notes.push(n.code),
            CaptureEvent::Event { event, .. } => {
                if let EventKind::Gap { len } = event.kind {
                    gaps.push(len)
                }
            }
            _ => {}
        }
    }
    assert_eq!(notes, ["reassembly-limit"]);
    assert_eq!(gaps, [500]);
}

#[test]
fn pcapng_with_two_interfaces_of_their_own_link_type_and_resolution() {
    let original = data("echo.pcapng");
    let want = messages_of(&original);
    let p = packets(&original);
    // Interface 0: Ethernet, microseconds (the default); interface 1: raw IP, nanoseconds.
    let mut f = [shb(), idb(1, None), idb(101, Some(9))].concat();
    for (i, pk) in p.iter().enumerate() {
        let t = pk.time.unwrap().0;
        f.extend(if i % 2 == 0 {
            epb(0, t / 1000, &pk.data)
        } else {
            epb(1, t, &pk.data[14..])
        });
    }
    assert_eq!(messages_of(&f), want);
    let (all, _) = read(&f, 333);
    let times: Vec<_> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Event { event, .. } => event.time.map(|t| t.0),
            _ => None,
        })
        .collect();
    let all_times: Vec<u64> = p.iter().map(|pk| pk.time.unwrap().0).collect();
    // Each time is a packet's: whole from interface 1 (ns), cut to microseconds from
    // interface 0; both interfaces' times appear.
    for &t in &times {
        assert!(
            all_times.iter().any(|&a| a == t || a / 1000 * 1000 == t),
            "{t}"
        );
    }
    assert!(times.iter().any(|t| t % 1000 != 0));
    assert!(times.iter().any(|t| t % 1000 == 0));
    // Simple packet blocks: no times, same messages.
    let mut s = [shb(), idb(1, None)].concat();
    for pk in &p {
        let pad = (4 - pk.data.len() % 4) % 4;
        s.extend(block(
            3,
            &[
                &(pk.data.len() as u32).to_le_bytes()[..],
                &pk.data,
                &vec![0; pad],
            ]
            .concat(),
        ));
    }
    assert_eq!(messages_of(&s), want);
}

#[test]
fn a_capture_that_starts_mid_connection_reads_frames() {
    let mut p = packets(&data("echo.pcapng"));
    // Drop everything up to and including connection 2's 101 response: its frames remain.
    let response = p
        .iter()
        .enumerate()
        .filter(|(_, pk)| {
            wsinspect_capture::link::tcp_segment(pk.link, &pk.data)
                .is_ok_and(|s| s.payload.starts_with(b"HTTP/1.1 101"))
        })
        .map(|(i, _)| i)
        .nth(1)
        .expect("connection 2's response");
    p.drain(..=response);
    let (all, _) = read(&write_pcap(&p, false), 500);
    let conn = all
        .iter()
        .find_map(|e| match e {
            CaptureEvent::Connection(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(conn.client_by, ClientBy::Mask);
    assert_eq!(conn.server.port(), 47420);
    let want = sent();
    assert_eq!(messages(&all, conn.id, Direction::Client), want);
    assert_eq!(messages(&all, conn.id, Direction::Server), want);
}

#[test]
fn ip_fragments_in_any_order_give_the_same_connections() {
    // fragment.py split every packet of echo.pcap over 512 bytes of IP payload into IPv4
    // fragments or IPv6 Fragment headers, every other one in reverse order.
    let (whole, _) = read(&data("echo.pcap"), usize::MAX);
    for chunk in [7, usize::MAX] {
        let (fragmented, c) = read(&data("fragmented.pcap"), chunk);
        assert!(fragmented == whole, "chunks of {chunk}");
        let f = c.totals().ip_fragments;
        assert_eq!((f.reassembled, f.incomplete), (16, 0));
        assert!(f.fragments > 32);
        assert_eq!(c.totals().malformed, 0);
    }
}

/// cases.json: what each side of cases.pcapng sent, in order: (connection, direction, index in
/// messages.json, number of frames).
fn cases() -> Vec<(u64, Direction, usize, u64)> {
    let v: serde_json::Value = serde_json::from_slice(&data("cases.json")).unwrap();
    let direction = |d: &serde_json::Value| match d.as_str() {
        Some("client") => Direction::Client,
        _ => Direction::Server,
    };
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_u64().unwrap();
            (
                n("connection"),
                direction(&s["direction"]),
                n("message") as usize,
                n("fragments"),
            )
        })
        .collect()
}

#[test]
fn fragmented_compressed_messages_with_empty_final_fragments_pings_between_and_a_chromium_client() {
    // Where Wireshark shows the compressed bytes of a fragmented compressed message, or no
    // message for a fragmented one ending with an empty frame, the messages are what was sent.
    let (all, c) = read(&data("cases.pcapng"), 1000);
    let want = sent();
    assert_eq!(c.totals().connections, 5);
    let mut expected: Vec<(u64, Direction, Vec<u8>, u64)> = cases()
        .into_iter()
        .map(|(id, d, i, frames)| (id, d, want[i].clone(), frames))
        .collect();
    let mut got: Vec<(u64, Direction, Vec<u8>, u64)> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Event { connection, event } => match &event.kind {
                EventKind::Message(m) => {
                    let inflated = m.inflate.is_none_or(|i| i == Inflate::Ok);
                    assert!(m.complete && inflated, "{m:?}");
                    Some((
                        *connection,
                        event.direction,
                        m.payload.kept.0.clone(),
                        m.frames,
                    ))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let key = |x: &(u64, Direction, Vec<u8>, u64)| (x.0, x.1.as_str());
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got.len(), 6 * 2 * 4);
    assert!(got == expected, "every message, with its number of frames");
    let frames = |id: u64, d: Direction| -> Vec<(bool, u8, u64, bool)> {
        events(&all, id)
            .into_iter()
            .filter(|e| e.direction == d)
            .filter_map(|e| match &e.kind {
                EventKind::Frame(f) => Some((
                    f.header.fin,
                    f.header.opcode,
                    f.header.payload_len,
                    f.header.rsv1,
                )),
                _ => None,
            })
            .collect()
    };
    for id in [1, 2, 3] {
        let f = frames(id, Direction::Client);
        // Each message: first, ping, continuation, ping, continuation, ping, empty final.
        assert_eq!(
            (f[1].1, f[3].1, f[5].1),
            (9, 9, 9),
            "pings between fragments"
        );
        assert_eq!((f[6].0, f[6].1), (true, 0), "the final fragment");
        assert_eq!(
            f[0].3,
            id != 3,
            "RSV1 on the first fragment only when compressed"
        );
        if id == 3 {
            assert_eq!(f[6].2, 0, "an empty final fragment");
        }
    }
    let upgrade = |id: u64| {
        events(&all, id)
            .into_iter()
            .find_map(|e| match &e.kind {
                EventKind::Upgrade(u) => Some(u.clone()),
                _ => None,
            })
            .unwrap()
    };
    let d = upgrade(2).deflate.unwrap();
    assert!(d.client.no_context_takeover && d.server.no_context_takeover);
    assert_eq!((d.client.max_window_bits, d.server.max_window_bits), (9, 9));
    assert_eq!(upgrade(1).deflate.unwrap().server.max_window_bits, 15);
    assert!(upgrade(3).deflate.is_none());
    assert_eq!((upgrade(4).status, upgrade(4).accepted), (403, false));
    let chromium = events(&all, 5)
        .into_iter()
        .find_map(|e| match &e.kind {
            EventKind::Request(h) => Some(h.clone()),
            _ => None,
        })
        .unwrap();
    assert!(chromium
        .headers()
        .iter()
        .any(|(k, v)| k == "User-Agent" && v.contains("Chrome")));
    assert!(
        upgrade(5).deflate.is_some(),
        "Chromium offers permessage-deflate"
    );
}

#[test]
fn closed_says_how_each_direction_ended() {
    use wsinspect_core::diagnose::EndHow;
    let (all, _) = read(&data("echo.pcapng"), usize::MAX);
    let ends: Vec<_> = all
        .iter()
        .filter_map(|e| match e {
            CaptureEvent::Closed { ends, .. } => Some(*ends),
            _ => None,
        })
        .collect();
    assert!(!ends.is_empty());
    for e in ends {
        // The real peers closed cleanly: a FIN each way, with its packet's time.
        assert_eq!((e.client.how, e.server.how), (EndHow::Fin, EndHow::Fin));
        assert!(e.client.time.is_some() && e.server.time.is_some());
    }
}
