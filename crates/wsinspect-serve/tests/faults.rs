//! The relay under faults, on loopback, each test bounded in time: slow clients and servers,
//! a client that half-closes, an upstream that closes or resets mid-frame, an upstream that
//! never answers. Healthy connections lose nothing (every byte compared at both ends) and are
//! not held up by the faulty ones; a faulty connection ends by itself and the feed says how.

mod common;

use std::future::Future as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_tungstenite::tungstenite::Message;

const HANDSHAKE_101: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn request(relay: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").into_bytes()
}

/// A client frame: FIN, `opcode`, masked with `key`.
fn masked(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// Read up to and including the first empty line.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Vec<u8> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).await.unwrap(), 1, "the head ended early");
        got.push(byte[0]);
    }
    got
}

/// Everything until the peer ends (a reset counts as an end).
async fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// An upstream on a free port whose `n`th connection (from 0) is handled by `script`.
async fn scripted<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(script(n, s));
            n += 1;
        }
    });
    addr
}

/// A stream whose reads return at most `piece` bytes, each after `pause`: a slow reader.
struct Slow<S> {
    inner: S,
    piece: usize,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<S> Slow<S> {
    fn new(inner: S, piece: usize, pause: Duration) -> Slow<S> {
        Slow {
            inner,
            piece,
            pause,
            sleep: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Slow<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let pause = self.pause;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let mut tmp = vec![0u8; self.piece.min(buf.remaining())];
        let mut small = ReadBuf::new(&mut tmp);
        let r = Pin::new(&mut self.inner).poll_read(cx, &mut small);
        if let Poll::Ready(Ok(())) = r {
            buf.put_slice(small.filled());
            self.sleep = None;
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Slow<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The feed's `closed` line for `connection`, once it comes.
async fn closed_line(feed: &FeedReader, connection: u64) -> serde_json::Value {
    let lines = feed.until(|l| is(l, connection, "closed")).await;
    lines
        .into_iter()
        .find(|l| is(l, connection, "closed"))
        .unwrap()
}

/// The id of the connection whose request asked for `path`.
async fn connection_for(feed: &FeedReader, path: &str) -> u64 {
    let wanted = format!("GET {path} ");
    let asks = |l: &serde_json::Value| {
        l["event"] == "request"
            && l["data"]["start_line"]
                .as_str()
                .is_some_and(|r| r.starts_with(&wanted))
    };
    let lines = feed.until(asks).await;
    lines.iter().find(|l| asks(l)).unwrap()["connection"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_and_servers_lose_nothing_and_hold_up_no_one() {
    tokio::time::timeout(LIMIT, async {
        // The upstream reads 512 bytes every 2 ms (a quarter of a MB a second) and echoes.
        let tapped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen_up = tapped.clone();
        let upstream = scripted(move |_, s| {
            let seen_up = seen_up.clone();
            async move {
                let (t, seen) = Tapped::new(Slow::new(s, 512, Duration::from_millis(2)));
                if let Ok(mut ws) = tokio_tungstenite::accept_async(t).await {
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
                seen_up.lock().unwrap().push(seen);
            }
        })
        .await;
        let server = server_to(upstream, |_| {}).await;
        let relay = server.relays()[0].listen;

        // The slow client: its head a byte at a time, then 256 KiB in 1 KiB writes.
        let big: Vec<u8> = (0..256 << 10)
            .map(|i: u32| (i * 31 + i / 997) as u8)
            .collect();
        let slow_payload = big.clone();
        let slow = tokio::spawn(async move {
            let mut s = TcpStream::connect(relay).await.unwrap();
            let mut sent = Vec::new();
            for b in request(relay, "/slow") {
                s.write_all(&[b]).await.unwrap();
                sent.push(b);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let head = read_head(&mut s).await;
            assert!(head.starts_with(b"HTTP/1.1 101"));
            let frame = masked(2, &slow_payload, [9, 8, 7, 6]);
            for piece in frame.chunks(1024) {
                s.write_all(piece).await.unwrap();
                sent.extend_from_slice(piece);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let close = masked(8, &1000u16.to_be_bytes(), [1, 2, 3, 4]);
            s.write_all(&close).await.unwrap();
            sent.extend_from_slice(&close);
            let mut received = head;
            received.extend(read_to_end(&mut s).await);
            (sent, received, Instant::now())
        });

        // A healthy client meanwhile: its round trips finish while the slow one is still busy.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let quick: Vec<Message> = (0..10).map(|i| Message::text(format!("q{i}"))).collect();
        echo_client(relay, "/quick", &quick).await;
        let quick_done = Instant::now();

        let (sent, received, slow_done) = slow.await.unwrap();
        assert!(
            quick_done < slow_done,
            "the quick client waited for the slow one"
        );
        // The echo came back whole: a server frame with a 64-bit length, then the payload.
        let body = &received[received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        assert_eq!(&body[..2], &[0x82, 127]);
        assert_eq!(&body[10..10 + big.len()], &big[..]);

        // Byte for byte at both ends (the upstream saw the head with only its Host rewritten).
        while seen_up_len(&tapped) < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let ends = tapped.lock().unwrap().clone();
        let slow_end = ends
            .iter()
            .find(|s| s.read().starts_with(b"GET /slow "))
            .expect("the upstream saw the slow client");
        let end = wsinspect_serve::http::head_end(&sent, 0).unwrap();
        let (mut forwarded, _) =
            wsinspect_serve::proxy::rewrite_host(&sent[..end], &upstream.to_string());
        forwarded.extend_from_slice(&sent[end..]);
        assert_eq!(sha(&slow_end.read()), sha(&forwarded));
        assert_eq!(sha(&slow_end.written()), sha(&received));
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

fn seen_up_len(list: &std::sync::Mutex<Vec<Seen>>) -> usize {
    list.lock().unwrap().len()
}

#[tokio::test]
async fn a_half_closed_client_still_gets_everything_the_server_sends_after() {
    tokio::time::timeout(LIMIT, async {
        // The upstream answers only once the client has finished sending (its FIN).
        let upstream = scripted(|_, mut s| async move {
            read_head(&mut s).await;
            s.write_all(HANDSHAKE_101).await.unwrap();
            let got = read_to_end(&mut s).await;
            let mut reply = vec![0x81, 14];
            reply.extend_from_slice(b"after your FIN");
            reply.extend_from_slice(&[0x88, 2, 0x03, 0xe8]);
            reply.extend_from_slice(format!("{}", got.len()).as_bytes());
            let _ = s.write_all(&reply).await;
            let _ = s.shutdown().await;
        })
        .await;
        let server = server_to(upstream, |_| {}).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let mut c = TcpStream::connect(relay).await.unwrap();
        let mut sent = request(relay, "/half");
        sent.extend(masked(1, b"bye", [1, 2, 3, 4]));
        sent.extend(masked(8, &1000u16.to_be_bytes(), [5, 6, 7, 8]));
        c.write_all(&sent).await.unwrap();
        c.shutdown().await.unwrap();
        let got = read_to_end(&mut c).await;
        let head_len = wsinspect_serve::http::head_end(&got, 0).unwrap();
        assert_eq!(&got[..head_len], HANDSHAKE_101);
        let after = &got[head_len..];
        assert!(after.starts_with(b"\x81\x0eafter your FIN\x88\x02\x03\xe8"));
        // The upstream read every byte the client sent after its head.
        let count: usize = std::str::from_utf8(&after[20..]).unwrap().parse().unwrap();
        assert_eq!(count, sent.len() - request(relay, "/half").len());

        let id = connection_for(&feed, "/half").await;
        let closed = closed_line(&feed, id).await;
        assert_eq!(
            closed["data"]["server_bytes"].as_u64(),
            Some(got.len() as u64)
        );
        assert!(closed["data"]["error"].is_null(), "{closed}");
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

#[tokio::test]
async fn an_upstream_that_ends_or_resets_mid_frame_ends_only_its_connection() {
    tokio::time::timeout(LIMIT, async {
        // Connection 0: half a 256-byte frame, then FIN. Connection 1: the same, then a reset.
        // Later connections: a real echo.
        let upstream = scripted(|n, mut s| async move {
            if n >= 2 {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(s).await {
                    while let Some(Ok(m)) = ws.next().await {
                        if m.is_text() && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
                return;
            }
            read_head(&mut s).await;
            let mut partial = HANDSHAKE_101.to_vec();
            partial.extend_from_slice(&[0x82, 0x7e, 0x01, 0x00]);
            partial.extend(std::iter::repeat_n(0xab, 100));
            s.write_all(&partial).await.unwrap();
            if n == 1 {
                s.set_zero_linger().unwrap();
            } else {
                s.shutdown().await.unwrap();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await;
        let server = server_to(upstream, |_| {}).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        for (path, reset) in [("/fin", false), ("/rst", true)] {
            let mut c = TcpStream::connect(relay).await.unwrap();
            c.write_all(&request(relay, path)).await.unwrap();
            let got = read_to_end(&mut c).await;
            // The relay mirrors TCP: the client's direction stays open until it closes too.
            drop(c);
            let head_len = wsinspect_serve::http::head_end(&got, 0).unwrap();
            assert_eq!(&got[..head_len], HANDSHAKE_101, "{path}");
            if !reset {
                // A FIN: every byte before it arrives, then the end.
                assert_eq!(got.len() - head_len, 104, "{path}");
            }
            let id = connection_for(&feed, path).await;
            closed_line(&feed, id).await;
            let lines = feed.until(|l| is(l, id, "closed")).await;
            let end = lines
                .iter()
                .find(|l| is(l, id, "end") && l["direction"] == "server")
                .expect("the server direction's end");
            let incomplete = &end["data"]["incomplete"];
            assert!(!incomplete.is_null(), "{path}: {end}");
        }
        // The relay goes on serving.
        let after: Vec<Message> = (0..5).map(|i| Message::text(format!("a{i}"))).collect();
        echo_client(relay, "/after", &after).await;
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_let_go_when_the_client_gives_up() {
    tokio::time::timeout(LIMIT, async {
        // The upstream reads the head and says nothing; it reports when its side ended.
        let (ended_tx, mut ended_rx) = tokio::sync::mpsc::unbounded_channel();
        let upstream = scripted(move |_, mut s| {
            let ended_tx = ended_tx.clone();
            async move {
                let head = read_head(&mut s).await;
                let rest = read_to_end(&mut s).await;
                let _ = ended_tx.send((head, rest, Instant::now()));
            }
        })
        .await;
        let server = server_to(upstream, |_| {}).await;
        let feed = FeedReader::connect(server.page_addr()).await;
        let relay = server.relays()[0].listen;
        let mut c = TcpStream::connect(relay).await.unwrap();
        c.write_all(&request(relay, "/silent")).await.unwrap();
        let mut buf = [0u8; 64];
        let waited = tokio::time::timeout(Duration::from_millis(500), c.read(&mut buf)).await;
        assert!(waited.is_err(), "the relay answered for a silent upstream");
        // The client gives up.
        drop(c);
        let gave_up = Instant::now();
        let (head, rest, upstream_end) =
            tokio::time::timeout(Duration::from_secs(10), ended_rx.recv())
                .await
                .expect("the upstream was let go")
                .unwrap();
        assert!(head.starts_with(b"GET /silent "));
        assert!(rest.is_empty());
        assert!(upstream_end.duration_since(gave_up) < Duration::from_secs(5));
        let id = connection_for(&feed, "/silent").await;
        let closed = closed_line(&feed, id).await;
        assert_eq!(closed["data"]["server_bytes"].as_u64(), Some(0), "{closed}");
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the limit");
}
