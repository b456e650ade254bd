//! The relay end to end, on loopback: real peers on both sides, every byte compared, the feed
//! compared with what the client sent, the recordings read back, and the refusals (foreign
//! Origin, unreachable upstream, oversized head).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};
use wsinspect_core::session::EventKind;
use wsinspect_serve::proxy::rewrite_host;

fn sample_messages() -> Vec<Message> {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    vec![
        Message::text("hello"),
        Message::binary((0..=255u8).collect::<Vec<u8>>()),
        Message::text("é ✓ 😀".repeat(100)),
        Message::binary(big),
    ]
}

fn payload(m: &Message) -> Vec<u8> {
    m.clone().into_data().to_vec()
}

/// The client's bytes as the upstream must see them: the head's Host rewritten, nothing else.
fn as_forwarded(client_sent: &[u8], upstream: &str) -> Vec<u8> {
    let end = wsinspect_serve::http::head_end(client_sent, 0).unwrap();
    let (mut head, _) = rewrite_host(&client_sent[..end], upstream);
    head.extend_from_slice(&client_sent[end..]);
    head
}

#[tokio::test]
async fn a_tungstenite_conversation_passes_byte_for_byte_and_the_feed_and_recordings_agree() {
    tokio::time::timeout(LIMIT, async {
        let dir = temp_dir("tungstenite");
        let pcapng = dir.join("live.pcapng");
        let jsonl = dir.join("live.jsonl");
        let (upstream, conns) = echo_upstream().await;
        let server = server_to(upstream, |c| {
            c.record_pcapng = Some(pcapng.clone());
            c.record_jsonl = Some(jsonl.clone());
        })
        .await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let sent = sample_messages();
        let client = echo_client(relay, "/chat?room=1", &sent).await;
        let lines = feed.until(|l| l["event"] == "closed").await;
        while conns.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let up = conns.lock().unwrap()[0].clone();

        // Byte for byte both ways (compared by hash and length), Host aside.
        let forwarded = as_forwarded(&client.written(), &upstream.to_string());
        assert_eq!(forwarded.len(), up.read().len());
        assert_eq!(sha(&forwarded), sha(&up.read()));
        assert_eq!(sha(&up.written()), sha(&client.read()));
        assert_ne!(forwarded, client.written(), "the Host header was rewritten");

        // The feed: open, the rewrite, the messages both ways equal what was sent, closed.
        let id = first_open(&lines);
        assert!(lines[0]["event"] == "hello", "{}", lines[0]);
        let rewrite = lines.iter().find(|l| is(l, id, "host_rewritten")).unwrap();
        assert_eq!(rewrite["data"]["from"], relay.to_string());
        assert_eq!(rewrite["data"]["to"], upstream.to_string());
        let want: Vec<Vec<u8>> = sent.iter().map(payload).collect();
        assert_eq!(messages(&lines, id, "client"), want);
        assert_eq!(messages(&lines, id, "server"), want);
        let upgrade = lines.iter().find(|l| is(l, id, "upgrade")).unwrap();
        assert_eq!(upgrade["data"]["status"], 101);
        let closed = lines.iter().find(|l| is(l, id, "closed")).unwrap();
        assert_eq!(closed["data"]["client_bytes"], forwarded.len() as u64);
        assert_eq!(closed["data"]["server_bytes"], client.read().len() as u64);
        let chunks: u64 = lines
            .iter()
            .filter(|l| is(l, id, "chunk") && l["data"]["direction"] == "server")
            .map(|l| l["data"]["len"].as_u64().unwrap())
            .sum();
        assert_eq!(chunks, client.read().len() as u64);
        // No frame finding: the relay changed nothing a decoder could object to.
        assert!(
            !lines.iter().any(|l| is(l, id, "finding")),
            "findings in a clean conversation"
        );

        server.shutdown().await.unwrap();

        // The JSON-lines recording holds the same lines the feed sent (after its greeting).
        let recorded: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(messages(&recorded, id, "client"), want);
        assert_eq!(recorded.len(), lines.len() - 1);

        // The pcapng recording, read by wsinspect-capture: the same messages both ways.
        let bytes = std::fs::read(&pcapng).unwrap();
        let (client_msgs, server_msgs) = decode_pcapng(&bytes);
        assert_eq!(client_msgs, want);
        assert_eq!(server_msgs, want);
        // And by tshark, when it is installed: the same number of data frames each way.
        tshark_agrees(&pcapng, want.len());
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await
    .expect("within the limit");
}

/// With no page subscribed the frames' and messages' payloads wait in the backlog as bytes
/// (`line`); pages that connect afterwards get the same lines a watching page would have.
#[tokio::test]
async fn pages_that_connect_late_get_whole_payloads_from_the_backlog() {
    tokio::time::timeout(LIMIT, async {
        let (upstream, _conns) = echo_upstream().await;
        let server = server_to(upstream, |_| {}).await;
        let relay = server.relays()[0].listen;
        let sent = sample_messages();
        echo_client(relay, "/late", &sent).await;
        assert_eq!(server.subscribers(), 0);
        // Most of the decoding is done by now, with nobody subscribed (the assertions hold
        // whichever lines were published before the first page came).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let first = FeedReader::connect(server.page_addr()).await;
        let lines = first.until(|l| l["event"] == "closed").await;
        let second = FeedReader::connect(server.page_addr()).await;
        let again = second.until(|l| l["event"] == "closed").await;
        let id = first_open(&lines);
        let want: Vec<Vec<u8>> = sent.iter().map(payload).collect();
        assert_eq!(messages(&lines, id, "client"), want);
        assert_eq!(messages(&lines, id, "server"), want);
        assert_eq!(lines, again, "both pages got the same lines");
        let frames = lines.iter().filter(|l| is(l, id, "frame")).count();
        // Each message in one frame each way, and a Close each way.
        assert_eq!(frames, 2 * sent.len() + 2);
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

/// The messages each way in a pcapng recording of one connection.
fn decode_pcapng(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut capture = Capture::new(CaptureConfig::default());
    capture.feed(bytes).unwrap();
    capture.finish().unwrap();
    let (mut c, mut s) = (Vec::new(), Vec::new());
    while let Some(e) = capture.poll_event() {
        if let CaptureEvent::Event { event, .. } = e {
            if let EventKind::Message(m) = &event.kind {
                let side = match event.direction {
                    wsinspect_core::common::Direction::Client => &mut c,
                    _ => &mut s,
                };
                side.push(m.payload.kept.0.clone());
            }
        }
    }
    (c, s)
}

fn tshark_agrees(pcapng: &std::path::Path, messages: usize) {
    let Ok(out) = Command::new("tshark")
        .arg("-r")
        .arg(pcapng)
        .args([
            "-Y",
            "websocket.opcode == 1 || websocket.opcode == 2",
            "-T",
            "fields",
            "-e",
            "websocket.mask",
        ])
        .output()
    else {
        eprintln!("skipped: tshark is not installed");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let masks: Vec<&str> = text.lines().collect();
    // Each message is one frame: masked from the client, unmasked from the server.
    assert_eq!(
        masks
            .iter()
            .filter(|m| m.trim() == "1" || m.trim() == "True")
            .count(),
        messages,
        "{text}"
    );
    assert_eq!(masks.len(), 2 * messages, "{text}");
}

/// Python `websockets` on both sides, with permessage-deflate negotiated and without.
#[tokio::test]
async fn python_peers_through_the_relay_with_and_without_deflate() {
    if !python_websockets() {
        return;
    }
    tokio::time::timeout(LIMIT, async {
        for compression in ["deflate", "none"] {
            let upstream_proc =
                Kid::spawn(Command::new("python3").args([&peer_script(), "server", compression]));
            let port = upstream_proc.line().await["ready"].as_u64().unwrap();
            let upstream: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let server = server_to(upstream, |_| {}).await;
            let feed = FeedReader::connect(server.page_addr()).await;
            let relay = server.relays()[0].listen;
            let mut client = Kid::spawn(Command::new("python3").args([
                &peer_script(),
                "client",
                &format!("ws://{relay}/echo"),
                compression,
            ]));
            let report = client.line().await;
            assert!(client.wait().await.success());
            let served = upstream_proc.line().await;
            let lines = feed.until(|l| l["event"] == "closed").await;

            let sent = unhex(report["sent"].as_str().unwrap());
            let forwarded = as_forwarded(&sent, &upstream.to_string());
            let up_recv = unhex(served["recv"].as_str().unwrap());
            let up_sent = unhex(served["sent"].as_str().unwrap());
            let recv = unhex(report["recv"].as_str().unwrap());
            assert_eq!(
                sha(&forwarded),
                sha(&up_recv),
                "{compression}: client -> server"
            );
            assert_eq!(sha(&up_sent), sha(&recv), "{compression}: server -> client");

            let id = first_open(&lines);
            let want: Vec<Vec<u8>> = report["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| unhex(m["hex"].as_str().unwrap()))
                .collect();
            assert_eq!(messages(&lines, id, "client"), want, "{compression}");
            assert_eq!(messages(&lines, id, "server"), want, "{compression}");
            let compressed = lines
                .iter()
                .filter(|l| is(l, id, "message") && l["data"]["compressed"] == true)
                .count();
            if compression == "deflate" {
                assert!(compressed > 0, "deflate was negotiated and used");
                let upgrade = lines.iter().find(|l| is(l, id, "upgrade")).unwrap();
                assert!(upgrade["data"]["extensions"]
                    .as_str()
                    .unwrap()
                    .contains("permessage-deflate"));
            } else {
                assert_eq!(compressed, 0);
            }
            // Each message arrived in the frames it was sent in, not re-framed: one each, the
            // fragmented one in its three pieces and the empty final frame websockets ends an
            // iterated message with.
            let per_message: Vec<u64> = lines
                .iter()
                .filter(|l| is(l, id, "message") && l["direction"] == "client")
                .map(|l| l["data"]["frames"].as_u64().unwrap())
                .collect();
            assert_eq!(per_message, [1, 1, 1, 1, 1, 4], "{compression}");
            server.shutdown().await.unwrap();
        }
    })
    .await
    .expect("within the limit");
}

/// A raw request to `addr`; the whole response.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn live_request(host: &str, origin: Option<&str>) -> Vec<u8> {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!("GET /api/live HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n").into_bytes()
}

#[tokio::test]
async fn the_feed_refuses_foreign_origins_and_host_names() {
    tokio::time::timeout(LIMIT, async {
        let (upstream, _) = echo_upstream().await;
        let server = server_to(upstream, |_| {}).await;
        let page = server.page_addr();
        let host = page.to_string();
        let evil = raw(page, &live_request(&host, Some("http://evil.example"))).await;
        assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
        let other_port = raw(page, &live_request(&host, Some("http://127.0.0.1:1"))).await;
        assert!(other_port.starts_with("HTTP/1.1 403"), "{other_port}");
        // DNS rebinding: a foreign name that resolves to us.
        let rebound = raw(
            page,
            &live_request(
                &format!("evil.example:{}", page.port()),
                Some(&format!("http://evil.example:{}", page.port())),
            ),
        )
        .await;
        assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
        let own = raw(page, &live_request(&host, Some(&format!("http://{host}")))).await;
        assert!(own.starts_with("HTTP/1.1 101"), "{own}");
        assert!(
            own.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "{own}"
        );
        // The page comes with its policy.
        let index = raw(
            page,
            format!("GET /live HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(index.starts_with("HTTP/1.1 200"), "{index}");
        assert!(
            index.contains(
                "Content-Security-Policy: default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"
            ),
            "{index}"
        );
        let traversal = raw(
            page,
            format!("GET /../Cargo.toml HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(traversal.starts_with("HTTP/1.1 404"), "{traversal}");
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

#[tokio::test]
async fn an_unreachable_upstream_gives_502_and_says_why() {
    tokio::time::timeout(LIMIT, async {
        // A port that was just free: nothing listens there.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let server = server_to(closed, |_| {}).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let answer = raw(
            relay,
            format!("GET / HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway"), "{answer}");
        assert!(answer.contains(&format!("ws://{closed}")), "{answer}");
        let lines = feed.until(|l| l["event"] == "upstream_error").await;
        let e = lines
            .iter()
            .find(|l| l["event"] == "upstream_error")
            .unwrap();
        assert_eq!(e["data"]["upstream"], format!("ws://{closed}"));
        assert!(!e["data"]["error"].as_str().unwrap().is_empty());
        // The relay still serves the next client the same way.
        let again = raw(relay, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(again.starts_with("HTTP/1.1 502"), "{again}");
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

#[tokio::test]
async fn an_oversized_head_gets_431_and_dials_nothing() {
    tokio::time::timeout(LIMIT, async {
        let (upstream, conns) = echo_upstream().await;
        let server = server_to(upstream, |c| c.max_head = 1024).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let mut head = format!("GET / HTTP/1.1\r\nHost: {relay}\r\nX-Big: ").into_bytes();
        head.extend(std::iter::repeat_n(b'a', 4000));
        head.extend_from_slice(b"\r\n\r\n");
        let answer = raw(relay, &head).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        let lines = feed.until(|l| l["event"] == "refused").await;
        let refused = lines.iter().find(|l| l["event"] == "refused").unwrap();
        assert_eq!(refused["data"]["status"], 431);
        assert!(!lines.iter().any(|l| l["event"] == "open"));
        assert!(conns.lock().unwrap().is_empty(), "nothing was dialled");
        // The page's port bounds its heads the same way.
        let page = raw(server.page_addr(), &head).await;
        assert!(page.starts_with("HTTP/1.1 431"), "{page}");
        // A head within the limit still goes through.
        let seen = echo_client(relay, "/", &[Message::text("ok")]).await;
        assert!(!seen.read().is_empty());
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

/// A `wss://` upstream (tokio-rustls with a certificate made here, trusted through `ca`): the
/// client speaks plain ws to the relay, the relay TLS to the upstream, the feed shows plaintext.
#[tokio::test]
async fn a_wss_upstream_is_reached_over_tls_and_the_feed_shows_the_plaintext() {
    use std::sync::Arc;
    use tokio_rustls::rustls;

    tokio::time::timeout(LIMIT, async {
        let dir = temp_dir("wss");
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, cert.cert.pem()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
        let server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else {
                        return;
                    };
                    use futures_util::{SinkExt as _, StreamExt as _};
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let spec = wsinspect_serve::proxy::ProxySpec {
            listen: wsinspect_serve::proxy::Listen::Port(0),
            upstream: format!("wss://{upstream}").parse().unwrap(),
        };
        let config = wsinspect_serve::Config {
            port: 0,
            proxies: vec![spec.clone()],
            keep: 1 << 20,
            ca: Some(ca.clone()),
            ..wsinspect_serve::Config::default()
        };
        let server = wsinspect_serve::Server::start(config).await.unwrap();
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let sent = sample_messages();
        echo_client(relay, "/secure", &sent).await;
        let lines = feed.until(|l| l["event"] == "closed").await;
        let id = first_open(&lines);
        let want: Vec<Vec<u8>> = sent.iter().map(payload).collect();
        assert_eq!(messages(&lines, id, "client"), want);
        assert_eq!(messages(&lines, id, "server"), want);
        server.shutdown().await.unwrap();

        // Without the CA the upstream's certificate is not trusted: 502, and the feed says why.
        let untrusted = wsinspect_serve::Config {
            port: 0,
            proxies: vec![spec],
            ..wsinspect_serve::Config::default()
        };
        let server = wsinspect_serve::Server::start(untrusted).await.unwrap();
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let answer = raw(
            relay,
            format!("GET / HTTP/1.1\r\nHost: {relay}\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
        assert!(answer.contains("TLS"), "{answer}");
        let lines = feed.until(|l| l["event"] == "upstream_error").await;
        assert!(
            lines.iter().any(|l| l["event"] == "upstream_error"
                && l["data"]["error"].as_str().unwrap().contains("certificate")),
            "{lines:?}"
        );
        server.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await
    .expect("within the limit");
}

/// A client that vanishes mid-message (a reset) ends its own connection only.
#[tokio::test]
async fn one_connection_failing_does_not_disturb_another() {
    use futures_util::{SinkExt as _, StreamExt as _};

    tokio::time::timeout(LIMIT, async {
        let (upstream, _) = echo_upstream().await;
        let server = server_to(upstream, |_| {}).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let (mut steady, _) = tokio_tungstenite::connect_async(format!("ws://{relay}/steady"))
            .await
            .unwrap();
        steady.send(Message::text("before")).await.unwrap();
        assert_eq!(steady.next().await.unwrap().unwrap(), Message::text("before"));

        // The other client: a handshake, half a frame, then a reset (linger 0).
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        let mut doomed = socket.connect(relay).await.unwrap();
        doomed
            .write_all(format!("GET /doomed HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = doomed.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 101"));
        doomed.write_all(&[0x81, 0x85, 1, 2, 3]).await.unwrap();
        doomed.set_zero_linger().unwrap();
        drop(doomed);

        let lines = feed
            .until(|l| l["event"] == "closed" && l["data"]["client_bytes"].as_u64() > Some(0))
            .await;
        let closed: Vec<_> = lines.iter().filter(|l| l["event"] == "closed").collect();
        assert_eq!(closed.len(), 1, "only the doomed connection ended");
        // Its frame was cut short: the decoder says so at the end of that direction.
        let id = closed[0]["connection"].as_u64().unwrap();
        assert_ne!(id, first_open(&lines), "the steady connection is still open");
        let end = lines
            .iter()
            .find(|l| is(l, id, "end") && l["direction"] == "client")
            .expect("the client direction's end");
        assert!(!end["data"]["incomplete"].is_null(), "{end}");

        // The steady one goes on as before.
        for i in 0..20 {
            let m = Message::text(format!("after {i}"));
            steady.send(m.clone()).await.unwrap();
            assert_eq!(steady.next().await.unwrap().unwrap(), m);
        }
        steady.close(None).await.unwrap();
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}
