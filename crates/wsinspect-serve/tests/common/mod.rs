//! What the live-capture tests share: a server on free loopback ports, sockets that remember
//! every byte, an in-process echo upstream (tokio-tungstenite), a feed reader, and Python
//! `websockets` peers run as subprocesses that are always stopped.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use wsinspect_serve::proxy::{Listen, ProxySpec};
use wsinspect_serve::{Config, Server};

/// Every test's bound.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A server with one relay (on a free port) to `upstream`, page and feed on a free port.
pub async fn server_to(upstream: SocketAddr, tweak: impl FnOnce(&mut Config)) -> Server {
    let spec = ProxySpec {
        listen: Listen::Port(0),
        upstream: format!("ws://{upstream}").parse().unwrap(),
    };
    let mut config = Config {
        port: 0,
        proxies: vec![spec],
        // Every payload whole, so the tests compare whole messages.
        keep: 1 << 20,
        ..Config::default()
    };
    tweak(&mut config);
    Server::start(config).await.unwrap()
}

/// What a socket read and wrote.
#[derive(Clone, Default)]
pub struct Seen {
    pub read: Arc<Mutex<Vec<u8>>>,
    pub written: Arc<Mutex<Vec<u8>>>,
}

impl Seen {
    pub fn read(&self) -> Vec<u8> {
        self.read.lock().unwrap().clone()
    }
    pub fn written(&self) -> Vec<u8> {
        self.written.lock().unwrap().clone()
    }
}

/// A stream that remembers every byte through it.
pub struct Tapped<S> {
    inner: S,
    seen: Seen,
}

impl<S> Tapped<S> {
    pub fn new(inner: S) -> (Tapped<S>, Seen) {
        let seen = Seen::default();
        (
            Tapped {
                inner,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = buf.filled()[before..].to_vec();
            self.seen.read.lock().unwrap().extend_from_slice(&new);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.seen
                .written
                .lock()
                .unwrap()
                .extend_from_slice(&buf[..n]);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An echo server (tokio-tungstenite) on a free loopback port; each connection's bytes are
/// pushed to the returned list when it ends.
pub async fn echo_upstream() -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let all = Arc::new(Mutex::new(Vec::new()));
    let list = all.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let list = list.clone();
            tokio::spawn(async move {
                let (tapped, seen) = Tapped::new(stream);
                if let Ok(mut ws) = tokio_tungstenite::accept_async(tapped).await {
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
                list.lock().unwrap().push(seen);
            });
        }
    });
    (addr, all)
}

/// A client through `relay`: sends `messages`, checks each echo, closes; what its socket saw.
pub async fn echo_client(relay: SocketAddr, path: &str, messages: &[Message]) -> Seen {
    let stream = TcpStream::connect(relay).await.unwrap();
    let (tapped, seen) = Tapped::new(stream);
    let url = format!("ws://{relay}{path}");
    let (mut ws, _) = tokio_tungstenite::client_async(url, tapped).await.unwrap();
    for m in messages {
        ws.send(m.clone()).await.unwrap();
        let echoed = ws.next().await.unwrap().unwrap();
        assert_eq!(&echoed, m);
    }
    ws.close(None).await.unwrap();
    // Read to the end: the server's close and its FIN.
    while let Some(Ok(_)) = ws.next().await {}
    seen
}

/// The feed at `page`, read from a background task into a list.
pub struct FeedReader {
    lines: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FeedReader {
    pub async fn connect(page: SocketAddr) -> FeedReader {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{page}/api/live"))
            .await
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let task = tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    let v: Value = serde_json::from_str(&t).expect("every feed line is JSON");
                    sink.lock().unwrap().push(v);
                }
            }
        });
        FeedReader { lines, task }
    }

    /// Wait until a line satisfies `done`; every line so far.
    pub async fn until(&self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        loop {
            {
                let lines = self.lines.lock().unwrap();
                if lines.iter().any(&done) {
                    return lines.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for FeedReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether a line is `event` for `connection`.
pub fn is(line: &Value, connection: u64, event: &str) -> bool {
    line["connection"] == connection && line["event"] == event
}

/// The payloads of the complete messages `direction` sent on `connection`, from feed lines.
pub fn messages(lines: &[Value], connection: u64, direction: &str) -> Vec<Vec<u8>> {
    lines
        .iter()
        .filter(|l| is(l, connection, "message") && l["direction"] == direction)
        .map(|l| {
            let p = &l["data"]["payload"];
            let bytes = unhex(p["kept"].as_str().unwrap());
            assert_eq!(bytes.len() as u64, p["len"].as_u64().unwrap(), "kept whole");
            bytes
        })
        .collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The id of the first connection the feed opened.
pub fn first_open(lines: &[Value]) -> u64 {
    lines
        .iter()
        .find(|l| l["event"] == "open")
        .and_then(|l| l["connection"].as_u64())
        .expect("an open event")
}

/// A child process killed (and waited for) when dropped.
pub struct Kid {
    child: Child,
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Kid {
    pub fn spawn(cmd: &mut Command) -> Kid {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Kid { child, lines: rx }
    }

    /// The next line of its output, waiting up to 20 s.
    pub async fn line(&self) -> Value {
        let lines = &self.lines;
        for _ in 0..2000 {
            if let Ok(l) = lines.try_recv() {
                return serde_json::from_str(&l).expect("a JSON line");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no output from the peer within 20 s");
    }

    /// Wait for it to end by itself (up to 20 s).
    pub async fn wait(&mut self) -> std::process::ExitStatus {
        for _ in 0..2000 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the peer did not end within 20 s");
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether Python with `websockets` is here (the tests that need it skip, saying so, if not).
pub fn python_websockets() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import websockets.asyncio.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 with the `websockets` package is not installed");
    }
    ok
}

/// The peer script's path.
pub fn peer_script() -> String {
    format!("{}/tests/peer.py", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory under the target dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wsinspect-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// SHA-256 of bytes, for messages that compare hashes.
pub fn sha(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}
