//! The relay under load, on loopback: a thousand connections at once with no byte lost or
//! moved between them, a feed consumer that stops reading without slowing the relay (it is
//! told what it missed), and a pcapng stream read into the feed.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

/// Connection `i`'s messages: sizes and contents differ per connection, so bytes that crossed
/// from one connection to another would not echo equal.
fn messages_for(i: usize) -> Vec<Message> {
    (0..3)
        .map(|k| {
            let len = 1 + (i * 131 + k * 977) % 6000;
            let bytes: Vec<u8> = (0..len).map(|j| (i + j * (k + 3)) as u8).collect();
            if k == 1 {
                Message::text(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                Message::binary(bytes)
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections_lose_no_byte() {
    const N: usize = 1000;
    tokio::time::timeout(Duration::from_secs(120), async {
        let dir = temp_dir("thousand");
        let jsonl = dir.join("all.jsonl");
        let (upstream, conns) = echo_upstream().await;
        let server = server_to(upstream, |c| c.record_jsonl = Some(jsonl.clone())).await;
        let relay = server.relays()[0].listen;
        // All connect first, then all talk at once.
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(N));
        let clients: Vec<_> = (0..N)
            .map(|i| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    let stream = tokio::net::TcpStream::connect(relay).await.unwrap();
                    let (tapped, seen) = Tapped::new(stream);
                    let url = format!("ws://{relay}/c{i}");
                    let (mut ws, _) = tokio_tungstenite::client_async(url, tapped).await.unwrap();
                    barrier.wait().await;
                    for m in messages_for(i) {
                        ws.send(m.clone()).await.unwrap();
                        assert_eq!(ws.next().await.unwrap().unwrap(), m, "connection {i}");
                    }
                    ws.close(None).await.unwrap();
                    while let Some(Ok(_)) = ws.next().await {}
                    seen
                })
            })
            .collect();
        let mut sent = 0u64;
        let mut received = 0u64;
        for c in clients {
            let seen = c.await.unwrap();
            sent += seen.written().len() as u64;
            received += seen.read().len() as u64;
        }
        while conns.lock().unwrap().len() < N {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let up_read: u64 = conns
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.read().len() as u64)
            .sum();
        let up_written: u64 = conns
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.written().len() as u64)
            .sum();
        assert_eq!(
            up_written, received,
            "every byte the upstream sent reached a client"
        );
        // Each Host value changed from the relay's address to the upstream's: same length
        // when both are 127.0.0.1 with five-digit ports, else a fixed difference per request.
        let per_head = upstream.to_string().len() as i64 - relay.to_string().len() as i64;
        assert_eq!(
            up_read as i64,
            sent as i64 + per_head * N as i64,
            "every client byte reached the upstream"
        );
        // Wait until every connection's closing line is recorded, then read the recording.
        let closed = loop {
            server_flush_hint().await;
            let text = std::fs::read_to_string(&jsonl).unwrap_or_default();
            let closed: Vec<serde_json::Value> = text
                .lines()
                .filter(|l| l.contains(r#""event":"closed""#))
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if closed.len() == N {
                break closed;
            }
        };
        let relayed_up: u64 = closed
            .iter()
            .map(|l| l["data"]["client_bytes"].as_u64().unwrap())
            .sum();
        let relayed_down: u64 = closed
            .iter()
            .map(|l| l["data"]["server_bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(relayed_up, up_read);
        assert_eq!(relayed_down, received);
        assert!(
            closed.iter().all(|l| l["data"]["error"].is_null()),
            "no connection failed"
        );
        // Memory stays bounded: the whole test process (clients, upstream and relay, 1000
        // connections each, every buffer) peaked under 1 GiB.
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            eprintln!("peak resident memory: {} MiB", kb >> 10);
            assert!(kb < 1 << 20, "peak resident memory {kb} kB");
        }
        server.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await
    .expect("within the limit");
}

async fn server_flush_hint() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Push `count` messages of `size` bytes through `relay` and back; how long it took.
async fn traffic(relay: std::net::SocketAddr, count: usize, size: usize) -> Duration {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{relay}/bulk"))
        .await
        .unwrap();
    let started = Instant::now();
    let m = Message::binary(vec![0x5a; size]);
    for _ in 0..count {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), m);
    }
    let took = started.elapsed();
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_feed_consumer_does_not_slow_the_relay_and_is_told_what_it_missed() {
    tokio::time::timeout(LIMIT, async {
        let (upstream, _) = echo_upstream().await;
        let server = server_to(upstream, |c| {
            c.feed_queue = 64;
            c.backlog = 0;
            // Many small lines, cheap to make: the feed, not the decoder, is what is tested.
            c.keep = 16;
        })
        .await;
        let relay = server.relays()[0].listen;
        let page = server.page_addr();
        // Without any subscriber first: the baseline.
        let baseline = traffic(relay, 4000, 100).await;

        // A subscriber with a small receive buffer (above one loopback segment, so TCP's
        // silly-window avoidance does not stall it once it reads again) that reads nothing.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(256 << 10).unwrap();
        let stream = socket.connect(page).await.unwrap();
        let (mut stalled, _) =
            tokio_tungstenite::client_async(format!("ws://{page}/api/live"), stream)
                .await
                .unwrap();
        let hello = stalled.next().await.unwrap().unwrap();
        assert!(hello.to_text().unwrap().contains(r#""event":"hello""#));
        // And an attentive one.
        let attentive = FeedReader::connect(page).await;
        while server.subscribers() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let with_stalled = traffic(relay, 4000, 100).await;
        // Far more feed bytes than the socket buffers hold went by (4000 x 2 messages, each in
        // a chunk, a frame and a message line: about 12 MB): the relay did not wait for the
        // consumer.
        // Generous, for a loaded 2-core machine: the point is that it did not block.
        assert!(
            with_stalled < baseline * 5 + Duration::from_secs(2),
            "with a stalled consumer {with_stalled:?}, without {baseline:?}"
        );
        // The attentive subscriber was served all along (its queue is small here, so it may
        // have lost lines too: whatever it lost, it was told).
        let lines = attentive.until(|l| l["event"] == "message").await;
        assert!(lines.iter().any(|l| l["event"] == "frame"));

        // The stalled one reads again: what was queued, then how much it missed.
        let mut dropped = 0u64;
        let mut got = 0;
        loop {
            let r = tokio::time::timeout(Duration::from_secs(2), stalled.next()).await;
            let Ok(Some(Ok(m))) = r else { break };
            got += 1;
            let v: serde_json::Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
            if v["event"] == "dropped" {
                dropped += v["dropped"].as_u64().unwrap();
            }
        }
        assert!(
            dropped > 0,
            "a dropped marker after {got} lines ({with_stalled:?} vs {baseline:?})"
        );
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

#[tokio::test]
async fn a_pcapng_stream_feeds_the_live_feed() {
    tokio::time::timeout(LIMIT, async {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/pcap/echo.pcapng");
        let (upstream, _) = echo_upstream().await;
        // The feed's backlog holds what the capture gave before the page subscribed.
        let server = server_to(upstream, |c| {
            c.pcap = Some(fixture.clone());
            c.backlog = 100_000;
            c.feed_queue = 100_000;
        })
        .await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let lines = feed.until(|l| l["event"] == "totals").await;
        let want: Vec<serde_json::Value> = serde_json::from_str(
            &std::fs::read_to_string(fixture.with_file_name("messages.json")).unwrap(),
        )
        .unwrap();
        let want: Vec<Vec<u8>> = want
            .iter()
            .map(|m| match (m["text"].as_str(), m["hex"].as_str()) {
                (Some(t), _) => t.as_bytes().to_vec(),
                (_, Some(h)) => unhex(h),
                _ => panic!("{m}"),
            })
            .collect();
        let connections = pcap_connections(&lines);
        assert_eq!(
            connections.len(),
            3,
            "the three WebSocket connections of the fixture"
        );
        for id in connections {
            assert_eq!(messages(&lines, id, "client"), want, "connection {id}");
            assert_eq!(messages(&lines, id, "server"), want, "connection {id}");
            assert!(lines.iter().any(|l| is(l, id, "closed")));
        }
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

/// `--pcap FILE --follow`: a capture file still being written (as dumpcap writes it) is read
/// as it grows, across a cut in the middle of a block, until every connection of it is in the
/// feed; the feed never says it ended.
#[tokio::test]
async fn a_growing_pcapng_file_is_followed() {
    tokio::time::timeout(LIMIT, async {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/pcap/echo.pcapng");
        let whole = std::fs::read(&fixture).unwrap();
        let dir = temp_dir("follow");
        let growing = dir.join("growing.pcapng");
        // The first third, cut wherever that falls (inside a block).
        let cut = whole.len() / 3;
        std::fs::write(&growing, &whole[..cut]).unwrap();
        let (upstream, _) = echo_upstream().await;
        let server = server_to(upstream, |c| {
            c.pcap = Some(growing.clone());
            c.pcap_follow = true;
            c.backlog = 100_000;
            c.feed_queue = 100_000;
        })
        .await;
        let feed = FeedReader::connect(server.page_addr()).await;
        // Some of it is read before the rest is written.
        feed.until(|l| l["event"] == "connection" && l["source"] == "pcap")
            .await;
        // The writer goes on: the rest, in two more pieces.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&growing)
            .unwrap();
        use std::io::Write as _;
        file.write_all(&whole[cut..2 * cut]).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        file.write_all(&whole[2 * cut..]).unwrap();
        drop(file);
        let closed = |l: &serde_json::Value| l["event"] == "closed" && l["source"] == "pcap";
        let lines = loop {
            let lines = feed.until(closed).await;
            if lines.iter().filter(|l| closed(l)).count() >= 3 {
                break lines;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let connections = pcap_connections(&lines);
        assert_eq!(
            connections.len(),
            3,
            "the fixture's three WebSocket connections"
        );
        let want = messages(&lines, connections[0], "client");
        assert_eq!(want.len(), 6);
        for id in &connections {
            assert_eq!(messages(&lines, *id, "server"), want, "connection {id}");
        }
        // Followed: the capture is not over, so no totals.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!feed
            .until(|_| true)
            .await
            .iter()
            .any(|l| l["event"] == "totals"));
        server.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await
    .expect("within the limit");
}

/// The ids of the WebSocket connections a `--pcap` source gave the feed, in order.
fn pcap_connections(lines: &[serde_json::Value]) -> Vec<u64> {
    lines
        .iter()
        .filter(|l| l["event"] == "connection" && l["source"] == "pcap")
        .map(|l| l["connection"].as_u64().unwrap())
        .collect()
}
