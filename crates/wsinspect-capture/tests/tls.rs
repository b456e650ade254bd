//! Real TLS captures (tests/data/tls, recorded on loopback by capture.sh: Python `websockets`
//! and Node `ws` clients of a Python `websockets` server, TLS 1.2 and 1.3, with and without
//! permessage-deflate): decrypted with the key log the clients wrote, or with the secrets
//! embedded in the pcapng, the messages equal what the peers sent; the connection whose
//! secrets are not in the key log says so; a changed byte is a record that does not
//! authenticate, at its offset; without a key log, the handshakes are still described.

use std::collections::HashMap;
use std::path::PathBuf;

use wsinspect_capture::file::{FileReader, Packet};
use wsinspect_capture::link::tcp_segment;
use wsinspect_capture::tls::{ProblemKind, TlsReport};
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent, ClientBy, FlowKind};
use wsinspect_core::session::EventKind;
use wsinspect_core::Direction;

fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/tls")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// One connection of messages.json.
struct Sent {
    name: String,
    client: String,
    version: String,
    suite: String,
    keylog: bool,
    deflate: bool,
    key_update: bool,
    /// The alert that ends the handshake (the openssl clients that refuse the certificate).
    alert: Option<String>,
    messages: Vec<Vec<u8>>,
}

/// The connections of capture.pcapng (Chromium's are in chromium.pcapng).
fn sent() -> Vec<Sent> {
    all_sent()
        .into_iter()
        .filter(|s| s.client != "chromium")
        .collect()
}

fn all_sent() -> Vec<Sent> {
    let v: serde_json::Value = serde_json::from_slice(&data("messages.json")).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| Sent {
            name: c["name"].as_str().unwrap().into(),
            client: c["client"].as_str().unwrap().into(),
            version: format!("TLS {}", c["version"].as_str().unwrap()),
            suite: c["suite"].as_str().unwrap().into(),
            keylog: c["keylog"].as_bool().unwrap(),
            deflate: c["deflate"].as_bool().unwrap(),
            key_update: c.get("key_update_before").is_some(),
            alert: c.get("alert").map(|a| a.as_str().unwrap().to_string()),
            messages: c["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| match (m.get("text"), m.get("hex")) {
                    (Some(t), _) => t.as_str().unwrap().as_bytes().to_vec(),
                    (_, Some(h)) => unhex(h.as_str().unwrap()),
                    _ => panic!("{m}"),
                })
                .collect(),
        })
        .collect()
}

/// What a capture gave, per flow id.
#[derive(Default)]
struct Flow {
    websocket: bool,
    other: Option<FlowKind>,
    client_by: Option<ClientBy>,
    tls: Option<TlsReport>,
    messages: HashMap<Direction, Vec<Vec<u8>>>,
    deflate: bool,
}

fn read(file: &[u8], keylog: Option<&[u8]>, chunk: usize) -> (Vec<Flow>, Capture) {
    let mut c = Capture::new(CaptureConfig::default());
    if let Some(k) = keylog {
        c.add_keylog(k).unwrap();
    }
    let mut flows: HashMap<u64, Flow> = HashMap::new();
    let mut take = |c: &mut Capture| {
        while let Some(e) = c.poll_event() {
            match e {
                CaptureEvent::Connection(k) => {
                    let f = flows.entry(k.id).or_default();
                    f.websocket = true;
                    f.client_by = Some(k.client_by);
                }
                CaptureEvent::Event { connection, event } => {
                    let f = flows.entry(connection).or_default();
                    match event.kind {
                        EventKind::Message(m) => f
                            .messages
                            .entry(event.direction)
                            .or_default()
                            .push(m.payload.kept.0.clone()),
                        EventKind::Upgrade(u) => f.deflate = u.deflate.is_some(),
                        _ => {}
                    }
                }
                CaptureEvent::OtherFlow(o) => {
                    let f = flows.entry(o.id).or_default();
                    f.other = Some(o.kind);
                    f.client_by = Some(o.client_by);
                    f.tls = o.tls.map(|t| *t);
                }
                CaptureEvent::Tls { connection, tls } => {
                    flows.entry(connection).or_default().tls = Some(*tls)
                }
                _ => {}
            }
        }
    };
    for part in file.chunks(chunk) {
        c.feed(part).unwrap();
        take(&mut c);
    }
    c.finish().unwrap();
    take(&mut c);
    let mut ids: Vec<_> = flows.keys().copied().collect();
    ids.sort_unstable();
    let flows = ids.into_iter().map(|i| flows.remove(&i).unwrap()).collect();
    (flows, c)
}

/// Every connection with secrets decrypts to the messages sent (both ways: the server echoes);
/// the one without is a TLS flow whose report says why.
fn check_decrypted(flows: &[Flow]) {
    let sent = sent();
    assert_eq!(flows.len(), sent.len());
    for (f, s) in flows.iter().zip(&sent) {
        let tls = f
            .tls
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no TLS report", s.name));
        assert_eq!(tls.version.as_deref(), Some(&*s.version), "{}", s.name);
        assert_eq!(tls.suite.as_deref(), Some(&*s.suite), "{}", s.name);
        assert_eq!(tls.sni.as_deref(), Some("localhost"), "{}", s.name);
        if let Some(alert) = &s.alert {
            // A refused handshake: its alert, in the clear or decrypted; nothing else.
            assert!(!f.websocket, "{}", s.name);
            assert_eq!(f.other, Some(FlowKind::Tls), "{}", s.name);
            assert_eq!(tls.problems.len(), 1, "{}: {:?}", s.name, tls.problems);
            let p = &tls.problems[0];
            assert_eq!(p.kind, ProblemKind::Alert);
            assert_eq!(p.direction, Some(Direction::Client));
            assert!(
                p.message.contains(&format!("fatal alert: {alert}")),
                "{p:?}"
            );
            continue;
        }
        assert_eq!(tls.alpn_offered, ["http/1.1"], "{}", s.name);
        if !s.keylog {
            assert!(!f.websocket, "{}", s.name);
            assert_eq!(f.other, Some(FlowKind::Tls), "{}", s.name);
            assert_eq!(f.client_by, Some(ClientBy::Syn));
            assert_eq!(tls.secrets_found, Some(false));
            assert_eq!(tls.problems.len(), 1, "{:?}", tls.problems);
            assert_eq!(tls.problems[0].kind, ProblemKind::NoSecrets);
            let random = tls.client_random.as_deref().unwrap();
            assert!(
                tls.problems[0].message.contains(random),
                "{:?}",
                tls.problems
            );
            assert_eq!(tls.client_records + tls.server_records, 0);
            continue;
        }
        assert!(
            f.websocket,
            "{}: not decrypted to WebSocket: {tls:?}",
            s.name
        );
        assert_eq!(tls.secrets_found, Some(true), "{}", s.name);
        assert!(tls.problems.is_empty(), "{}: {:?}", s.name, tls.problems);
        assert_eq!(tls.alpn.as_deref(), Some("http/1.1"), "{}", s.name);
        assert_eq!(f.deflate, s.deflate, "{}", s.name);
        // A requested KeyUpdate: the client's, then the server's answer.
        let updates = if s.key_update { 2 } else { 0 };
        assert_eq!(tls.key_updates, updates, "{}", s.name);
        for d in [Direction::Client, Direction::Server] {
            assert_eq!(
                f.messages.get(&d).map_or(0, Vec::len),
                s.messages.len(),
                "{} {d}",
                s.name
            );
            assert!(
                f.messages[&d] == s.messages,
                "{} {d}: messages differ",
                s.name
            );
        }
    }
}

#[test]
fn decrypts_every_connection_with_the_key_log_and_says_which_had_no_secrets() {
    let (flows, c) = read(
        &data("capture.pcapng"),
        Some(&data("keylog.txt")),
        usize::MAX,
    );
    check_decrypted(&flows);
    let with_keys = sent()
        .iter()
        .filter(|s| s.keylog && s.alert.is_none())
        .count();
    assert_eq!(c.totals().connections, with_keys as u64);
    assert_eq!(c.totals().embedded_secrets, 0);
}

#[test]
fn decrypts_with_the_secrets_embedded_in_the_pcapng() {
    let (flows, c) = read(&data("embedded.pcapng"), None, usize::MAX);
    check_decrypted(&flows);
    // Every secret line of the key log with a label we use was read from the block (others,
    // like EXPORTER_SECRET and OpenSSL's CLIENT_TRAFFIC_SECRET_N after a KeyUpdate, are not).
    let keylog = String::from_utf8(data("keylog.txt")).unwrap();
    let labels = [
        "CLIENT_RANDOM ",
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
    ];
    let used = keylog
        .lines()
        .filter(|l| labels.iter().any(|p| l.starts_with(p)))
        .count();
    assert_eq!(c.totals().embedded_secrets, used as u64);
    assert_eq!(c.totals().embedded_secrets_error, None);
}

#[test]
fn any_chunking_gives_the_same_plaintext() {
    let file = data("capture.pcapng");
    let keys = data("keylog.txt");
    for chunk in [1, 7, 1500, 4096] {
        let (flows, _) = read(&file, Some(&keys), chunk);
        check_decrypted(&flows);
    }
}

#[test]
fn without_a_key_log_the_handshakes_are_described_and_nothing_is_decoded() {
    let (flows, c) = read(&data("capture.pcapng"), None, usize::MAX);
    assert_eq!(c.totals().connections, 0);
    for (f, s) in flows.iter().zip(sent()) {
        assert_eq!(f.other, Some(FlowKind::Tls), "{}", s.name);
        let tls = f.tls.as_ref().unwrap();
        assert_eq!(tls.suite.as_deref(), Some(&*s.suite));
        assert_eq!(tls.version.as_deref(), Some(&*s.version));
        if s.alert.is_some() {
            assert!(tls.problems.iter().any(|p| p.kind == ProblemKind::Alert));
            continue;
        }
        assert_eq!(tls.problems[0].kind, ProblemKind::NoSecrets);
        assert!(
            tls.problems[0].message.contains("no key log"),
            "{:?}",
            tls.problems
        );
        // TLS 1.2 says its ALPN in the clear; TLS 1.3 only inside.
        let alpn = (s.version == "TLS 1.2").then_some("http/1.1");
        assert_eq!(tls.alpn.as_deref(), alpn, "{}", s.name);
    }
}

/// The packets of a capture, and a classic pcap made of them.
fn packets(file: &[u8]) -> Vec<Packet> {
    let mut r = FileReader::new();
    let mut out = Vec::new();
    r.feed(file, &mut out).unwrap();
    out
}

fn pcap(packets: &[Packet]) -> Vec<u8> {
    let link = u32::from(packets[0].link);
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0,
    ];
    f.extend_from_slice(&link.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        f.extend_from_slice(&(i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        f.extend_from_slice(&p.data);
    }
    f
}

#[test]
fn a_changed_byte_is_a_record_that_does_not_authenticate_at_its_offset() {
    let mut pk = packets(&data("capture.pcapng"));
    // The second connection (py12-aes128, TLS 1.2 AES-128-GCM): the server's largest segment
    // (inside the echo of the 17000-byte message). Its stream offset: its sequence number from
    // the server's SYN+ACK; then walk the server's records to the one holding the changed byte.
    let seg = |p: &Packet| {
        let s = tcp_segment(p.link, &p.data).unwrap();
        (
            s.src,
            s.dst,
            s.seq,
            s.syn,
            s.payload.to_vec(),
            p.data.len() - s.payload.len(),
        )
    };
    let syns: Vec<usize> = (0..pk.len())
        .filter(|&i| {
            let (_, _, _, syn, _, _) = seg(&pk[i]);
            syn && tcp_segment(pk[i].link, &pk[i].data).unwrap().ack
        })
        .collect();
    let synack = syns[1];
    let (server, client, isn, ..) = seg(&pk[synack]);
    let mine: Vec<usize> = (synack..pk.len())
        .filter(|&i| {
            let (src, dst, _, _, payload, _) = seg(&pk[i]);
            src == server && dst == client && !payload.is_empty()
        })
        .collect();
    let stream: Vec<u8> = mine.iter().flat_map(|&i| seg(&pk[i]).4).collect();
    let target = *mine.iter().max_by_key(|&&i| seg(&pk[i]).4.len()).unwrap();
    let (_, _, seq, _, payload, header_len) = seg(&pk[target]);
    let changed = u64::from(seq.wrapping_sub(isn).wrapping_sub(1)) + payload.len() as u64 / 2;
    let mut record_at = 0u64;
    loop {
        let at = record_at as usize;
        let len = u64::from(u16::from_be_bytes([stream[at + 3], stream[at + 4]]));
        if record_at + 5 + len > changed {
            break;
        }
        record_at += 5 + len;
    }
    let byte = header_len + payload.len() / 2;
    pk[target].data[byte] ^= 0x20;
    let (flows, _) = read(&pcap(&pk), Some(&data("keylog.txt")), usize::MAX);
    let f = &flows[1];
    let tls = f.tls.as_ref().unwrap();
    assert_eq!(tls.problems.len(), 1, "{:?}", tls.problems);
    let p = &tls.problems[0];
    assert_eq!(p.kind, ProblemKind::NotAuthentic);
    assert_eq!(p.direction, Some(Direction::Server));
    assert_eq!(p.offset, Some(record_at));
    assert!(
        p.message.contains(&format!("offset {record_at}")),
        "{}",
        p.message
    );
    // The client's messages all came through; the server's stop before the changed one, and
    // nothing after it is decoded.
    let s = &sent()[1];
    assert_eq!(f.messages[&Direction::Client], s.messages);
    let server = &f.messages[&Direction::Server];
    assert!(server.len() < s.messages.len());
    assert_eq!(server[..], s.messages[..server.len()]);
    // The other connections are untouched.
    assert!(flows[0].tls.as_ref().unwrap().problems.is_empty());
    assert!(flows[2].tls.as_ref().unwrap().problems.is_empty());
}

#[test]
fn a_key_log_missing_the_tls13_application_secrets_says_which() {
    // Only the handshake secrets of py13-aes256: the handshake is read (ALPN in the encrypted
    // extensions), the application data is not.
    let keys = String::from_utf8(data("keylog.txt")).unwrap();
    let (flows, _) = read(&data("capture.pcapng"), None, usize::MAX);
    let random = flows[0]
        .tls
        .as_ref()
        .unwrap()
        .client_random
        .clone()
        .unwrap();
    let partial: String = keys
        .lines()
        .filter(|l| l.contains(&random) && l.contains("HANDSHAKE"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (flows, _) = read(
        &data("capture.pcapng"),
        Some(partial.as_bytes()),
        usize::MAX,
    );
    let tls = flows[0].tls.as_ref().unwrap();
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(tls.secrets_found, Some(true));
    let kinds: Vec<_> = tls.problems.iter().map(|p| (p.kind, p.direction)).collect();
    assert_eq!(
        kinds,
        [
            (ProblemKind::MissingSecret, Some(Direction::Client)),
            (ProblemKind::MissingSecret, Some(Direction::Server))
        ]
    );
    assert!(tls.problems[0].message.contains("CLIENT_TRAFFIC_SECRET_0"));
    assert!(tls.problems[1].message.contains("SERVER_TRAFFIC_SECRET_0"));
    assert!(!flows[0].websocket);
}

#[test]
fn decrypts_headless_chromiums_wss_connection_and_its_page_loads() {
    let keylog = data("chromium-keylog.txt");
    for (file, keylog) in [
        ("chromium.pcapng", Some(&keylog[..])),
        ("chromium-embedded.pcapng", None),
    ] {
        check_chromium(file, keylog);
    }
}

fn check_chromium(file: &str, keylog: Option<&[u8]>) {
    let (flows, c) = read(&data(file), keylog, usize::MAX);
    let s = all_sent()
        .into_iter()
        .find(|s| s.client == "chromium")
        .unwrap();
    assert_eq!(c.totals().connections, 1);
    let ws: Vec<&Flow> = flows.iter().filter(|f| f.websocket).collect();
    let f = ws[0];
    let tls = f.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some(&*s.version));
    assert_eq!(tls.suite.as_deref(), Some(&*s.suite));
    assert_eq!(tls.sni.as_deref(), Some("localhost"));
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    // For a WebSocket Chromium offers HTTP/1.1 only; for the page HTTP/2 too.
    assert_eq!(tls.alpn_offered, ["http/1.1"]);
    assert!(tls.problems.is_empty(), "{:?}", tls.problems);
    assert!(f.deflate);
    for d in [Direction::Client, Direction::Server] {
        assert!(f.messages[&d] == s.messages, "{d}");
    }
    // The page (and its favicon) over HTTPS: decrypted, HTTP, not WebSocket.
    let others: Vec<&Flow> = flows.iter().filter(|f| !f.websocket).collect();
    assert!(!others.is_empty());
    for o in others {
        assert_eq!(o.other, Some(FlowKind::Http));
        let t = o.tls.as_ref().unwrap();
        assert_eq!(t.secrets_found, Some(true));
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert!(t.server_plaintext > 0);
        assert_eq!(t.alpn_offered, ["h2", "http/1.1"]);
        assert_eq!(t.alpn.as_deref(), Some("http/1.1"));
    }
}

/// A byte changed anywhere in the TCP payloads (120 places, chosen by a fixed xorshift): no
/// panic, and every connection's messages in each direction are the first ones the peers sent,
/// never different ones; a direction that lost messages has a problem saying why.
#[test]
fn changed_bytes_never_decode_to_messages_that_were_not_sent() {
    let pk = packets(&data("capture.pcapng"));
    let keys = data("keylog.txt");
    let sent = sent();
    let payloads: Vec<(usize, usize, usize)> = pk
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let s = tcp_segment(p.link, &p.data).ok()?;
            let n = s.payload.len();
            (n > 0).then(|| (i, p.data.len() - n, n))
        })
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut stopped = 0;
    for _ in 0..120 {
        let (i, start, n) = payloads[(next() % payloads.len() as u64) as usize];
        let at = start + (next() % n as u64) as usize;
        let flip = (next() % 255 + 1) as u8;
        let mut changed = pk.clone();
        changed[i].data[at] ^= flip;
        let (flows, _) = read(&pcap(&changed), Some(&keys), usize::MAX);
        assert_eq!(flows.len(), sent.len(), "packet {i} byte {at}");
        for (f, s) in flows.iter().zip(&sent) {
            for d in [Direction::Client, Direction::Server] {
                let got = f.messages.get(&d).map_or(&[][..], Vec::as_slice);
                assert!(
                    got.len() <= s.messages.len() && got == &s.messages[..got.len()],
                    "packet {i} byte {at} ^ {flip:#04x}: {} {d} decoded messages not sent",
                    s.name
                );
                if f.websocket && got.len() < s.messages.len() {
                    stopped += 1;
                    let tls = f.tls.as_ref().unwrap();
                    assert!(
                        !tls.problems.is_empty(),
                        "packet {i} byte {at} ^ {flip:#04x}: {} {d} lost messages silently",
                        s.name
                    );
                }
            }
        }
    }
    // Most changes land in encrypted records and stop a direction early.
    assert!(stopped > 30, "only {stopped} directions stopped early");
}

/// Chromium and Hypercorn over HTTP/2 (ALPN h2): the page's wss connection is an RFC 8441
/// stream inside the HTTP/2 connection. Decrypted, the connections are HTTP (never HTTP/2
/// frames read as WebSocket frames), and the one whose server offered extended CONNECT says so.
#[test]
fn http2_connections_are_said_so_and_never_read_as_websocket_frames() {
    let (flows, c) = read(&data("h2.pcapng"), Some(&data("h2-keylog.txt")), usize::MAX);
    assert_eq!(c.totals().connections, 0);
    assert!(!flows.is_empty());
    for f in &flows {
        assert!(!f.websocket && f.messages.is_empty());
        assert_eq!(f.other, Some(FlowKind::Http));
        let t = f.tls.as_ref().unwrap();
        assert_eq!(t.alpn.as_deref(), Some("h2"));
        assert_eq!(t.secrets_found, Some(true));
        assert_eq!(t.problems.len(), 1, "{:?}", t.problems);
        assert_eq!(t.problems[0].kind, ProblemKind::Http2);
    }
    // The busiest connection carried the page and the WebSocket stream (a record at least for
    // each message: they are compressed, so their sizes say little), and its server offered
    // extended CONNECT.
    let busiest = flows
        .iter()
        .filter_map(|f| f.tls.as_ref())
        .max_by_key(|t| t.client_records)
        .unwrap();
    let sent = all_sent()
        .into_iter()
        .find(|s| s.name == "chromium-h2")
        .unwrap();
    assert!(
        busiest.client_records as usize > sent.messages.len(),
        "{busiest:?}"
    );
    assert!(busiest.problems[0]
        .message
        .contains("SETTINGS_ENABLE_CONNECT_PROTOCOL = 1"));
}

/// The secrets block moved to the middle of the file: the connections whose records come
/// before it are not decrypted, the later ones are, and it is so whatever the chunks the file
/// is fed in (secrets are taken in the file's order among the packets).
#[test]
fn a_secrets_block_midway_counts_from_where_it_is_in_any_chunking() {
    let file = data("embedded.pcapng");
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
        blocks.push(&file[at..at + len]);
        at += len;
    }
    let dsb = blocks
        .iter()
        .position(|b| b[..4] == [0x0a, 0, 0, 0])
        .unwrap();
    let secrets = blocks.remove(dsb);
    blocks.insert(blocks.len() / 2, secrets);
    let moved: Vec<u8> = blocks.concat();
    let summary = |chunk: usize| {
        let (flows, _) = read(&moved, None, chunk);
        flows
            .iter()
            .map(|f| {
                let kinds: Vec<_> = f
                    .tls
                    .as_ref()
                    .unwrap()
                    .problems
                    .iter()
                    .map(|p| p.kind)
                    .collect();
                (
                    f.websocket,
                    f.messages.values().map(Vec::len).sum::<usize>(),
                    kinds,
                )
            })
            .collect::<Vec<_>>()
    };
    let whole = summary(usize::MAX);
    let decrypted = whole.iter().filter(|f| f.0).count();
    assert!(decrypted > 0 && decrypted < 7, "{whole:?}");
    assert_eq!(whole[0].2, [ProblemKind::NoSecrets]);
    for chunk in [1, 333, 4096] {
        assert_eq!(summary(chunk), whole, "chunks of {chunk}");
    }
}
