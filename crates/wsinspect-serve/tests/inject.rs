//! Injection (`--allow-inject`) with real peers: a tokio-tungstenite upstream (which fails on
//! any invalid frame: a frame cut in two, a data frame between the fragments of a message, an
//! unmasked client frame) and a client that writes its frames by hand, a piece at a time, so
//! the injections must wait for a frame boundary. The upstream gets every message, the
//! injected ones where they may go; the client gets the one injected as the server; the feed
//! marks the injected frames.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{is, server_to, LIMIT};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use wsinspect_core::common::Direction;
use wsinspect_core::stream::{decode_all, DecodeConfig};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::{encode, FrameSpec};

/// An upstream that remembers every message (pings included) and echoes text and binary.
async fn recording_upstream() -> (std::net::SocketAddr, Arc<Mutex<Vec<Message>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                while let Some(m) = ws.next().await {
                    let m = m.expect("the relayed stream stays valid");
                    sink.lock().unwrap().push(m.clone());
                    if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, got)
}

/// The feed, read into a list, with a sender for commands.
struct Feed {
    lines: Arc<Mutex<Vec<Value>>>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Feed {
    async fn connect(page: std::net::SocketAddr) -> Feed {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{page}/api/live"))
            .await
            .unwrap();
        let (mut w, mut r) = ws.split();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(t))) = r.next().await {
                sink.lock().unwrap().push(serde_json::from_str(&t).unwrap());
            }
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(cmd) = rx.recv().await {
                w.send(Message::text(cmd)).await.unwrap();
            }
        });
        Feed { lines, tx }
    }

    fn inject(&self, connection: u64, direction: &str, kind: &str, payload: &[u8]) {
        let cmd = json!({"connection": connection, "direction": direction, "kind": kind,
            "payload": wsinspect_core::common::hex(payload)});
        self.tx.send(cmd.to_string()).unwrap();
    }

    async fn until(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if done(&lines) {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn until<T>(what: &Mutex<Vec<T>>, n: usize) {
    while what.lock().unwrap().len() < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn masked(op: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut s = FrameSpec::new(OpCode(op), payload.to_vec()).masked([9, 8, 7, 6]);
    s.fin = fin;
    encode(&s)
}

#[tokio::test]
async fn injections_wait_for_a_boundary_and_reach_the_peers_on_a_valid_stream() {
    tokio::time::timeout(LIMIT, async {
        let (up, got) = recording_upstream().await;
        let server = server_to(up, |c| c.allow_inject = true).await;
        let feed = Feed::connect(server.page_addr()).await;
        feed.until(|l| l.iter().any(|l| l["event"] == "hello" && l["data"]["inject"] == true))
            .await;
        // A client that writes its frames by hand.
        let mut client = TcpStream::connect(server.relays()[0].listen).await.unwrap();
        client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            client.read_exact(&mut b).await.unwrap();
            head.push(b[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"));
        let lines = feed.until(|l| l.iter().any(|l| l["event"] == "upgrade")).await;
        let id = lines.iter().find(|l| l["event"] == "upgrade").unwrap()["connection"]
            .as_u64()
            .unwrap();

        // Mid-frame: the injection waits until the frame is whole.
        let first = masked(1, true, b"first");
        client.write_all(&first[..4]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        feed.inject(id, "client", "text", b"injected!");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(got.lock().unwrap().is_empty(), "nothing went in mid-frame");
        client.write_all(&first[4..]).await.unwrap();
        until(&got, 2).await;

        // Mid-message: a data message waits for the message's end; a ping may go between its
        // fragments.
        client.write_all(&masked(1, false, b"frag-")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        feed.inject(id, "client", "binary", &[1, 2, 3]);
        feed.inject(id, "client", "ping", b"p");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(got.lock().unwrap().len(), 2, "nothing in the middle of a message");
        client.write_all(&masked(0, true, b"ment")).await.unwrap();
        until(&got, 5).await;
        let seen = got.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                Message::text("first"),
                Message::text("injected!"),
                Message::text("frag-ment"),
                Message::binary(vec![1, 2, 3]),
                Message::Ping(b"p".to_vec().into()),
            ]
        );

        // As the server, to the client.
        feed.inject(id, "server", "text", "à toi".as_bytes());
        // Its echoes (4), the pong to the injected ping, and the injected text.
        let mut bytes = Vec::new();
        let want = |b: &[u8]| decode_all(b, Direction::Server, &DecodeConfig::default()).frames.len();
        while want(&bytes) < 6 {
            let mut buf = [0u8; 4096];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "the relay ended the connection");
            bytes.extend_from_slice(&buf[..n]);
        }
        let report = decode_all(&bytes, Direction::Server, &DecodeConfig::default());
        assert!(report.frames.iter().all(|f| f.findings.is_empty() && !f.header.masked));
        let texts: Vec<String> = report
            .messages
            .iter()
            .filter_map(|m| {
                let f = &report.frames[m.frames[0]];
                (m.opcode.0 == 1).then(|| String::from_utf8(f.payload.clone()).unwrap())
            })
            .collect();
        assert_eq!(texts, ["first", "injected!", "frag-ment", "à toi"]);

        // The feed: four injected frames, each announced, marked, and where it was put.
        let lines = feed
            .until(|l| l.iter().filter(|l| l["injected"] == true).count() == 4)
            .await;
        let announced: Vec<&Value> = lines.iter().filter(|l| is(l, id, "injected")).collect();
        let marked: Vec<&Value> = lines.iter().filter(|l| l["injected"] == true).collect();
        assert_eq!(announced.len(), 4);
        for (a, m) in announced.iter().zip(&marked) {
            assert_eq!(a["data"]["offset"], m["start"], "{a} {m}");
            assert_eq!(a["data"]["direction"], m["direction"]);
            assert_eq!(m["event"], "frame");
        }
        // The client's frames are masked with a key of the relay's, the server's are not.
        assert_eq!(marked[0]["data"]["header"]["masked"], true);
        assert_eq!(marked[3]["data"]["header"]["masked"], false);

        // Refusals come back on the feed's socket, to the sender.
        feed.inject(999, "client", "text", b"x");
        feed.inject(id, "client", "ping", &[0; 126]);
        let lines = feed
            .until(|l| l.iter().filter(|l| l["event"] == "inject_error").count() == 2)
            .await;
        let errors: Vec<&str> = lines
            .iter()
            .filter(|l| l["event"] == "inject_error")
            .map(|l| l["data"]["error"].as_str().unwrap())
            .collect();
        assert!(errors[0].contains("not an open relayed connection"), "{errors:?}");
        assert!(errors[1].contains("125"), "{errors:?}");
        drop(client);
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the time limit");
}

#[tokio::test]
async fn without_allow_inject_the_page_is_told_injection_is_off() {
    tokio::time::timeout(LIMIT, async {
        let (up, _) = recording_upstream().await;
        let server = server_to(up, |_| {}).await;
        let feed = Feed::connect(server.page_addr()).await;
        let lines = feed
            .until(|l| l.iter().any(|l| l["event"] == "hello"))
            .await;
        assert_eq!(lines[0]["data"]["inject"], false);
        feed.inject(1, "client", "text", b"x");
        let lines = feed
            .until(|l| l.iter().any(|l| l["event"] == "inject_error"))
            .await;
        let e = lines.iter().find(|l| l["event"] == "inject_error").unwrap();
        assert!(e["data"]["error"]
            .as_str()
            .unwrap()
            .contains("--allow-inject"));
        server.shutdown().await.unwrap();
    })
    .await
    .expect("within the time limit");
}
