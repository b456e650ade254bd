//! The `wsinspect serve` binary under continuous traffic on a thousand connections at once:
//! every byte echoed back equal on every connection, and the relay's memory (its own process,
//! read from /proc) does not grow with the traffic: a second, six times longer round of
//! traffic leaves its resident size where the first left it.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 1000;
/// Each frame's payload: 2 KiB, sent masked with a zero key so the upstream can echo it as is.
const PAYLOAD: usize = 2048;
const FIRST_ROUND: usize = 5;
const SECOND_ROUND: usize = 30;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An upstream that answers every head with 101 and echoes each client frame (fixed size,
/// zero mask) back as an unmasked server frame.
async fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_head(&mut s).await;
                let reply = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
                s.write_all(reply).await.unwrap();
                let mut frame = vec![0u8; 8 + PAYLOAD];
                while s.read_exact(&mut frame).await.is_ok() {
                    let mut out = vec![0x82, 0x7e];
                    out.extend_from_slice(&(PAYLOAD as u16).to_be_bytes());
                    out.extend_from_slice(&frame[8..]);
                    if s.write_all(&out).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

async fn read_head(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).await.unwrap(), 1, "the head ended early");
        got.push(byte[0]);
    }
    got
}

/// Frame `k` of connection `i`: content that differs per connection and per frame.
fn payload(i: usize, k: usize) -> Vec<u8> {
    (0..PAYLOAD).map(|j| (i * 7 + k * 13 + j) as u8).collect()
}

/// Send frames `range` on `s` and check each echo.
async fn talk(s: &mut TcpStream, i: usize, range: std::ops::Range<usize>) {
    let mut back = vec![0u8; 4 + PAYLOAD];
    for k in range {
        let p = payload(i, k);
        let mut frame = vec![0x82, 0xfe];
        frame.extend_from_slice(&(PAYLOAD as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(&p);
        s.write_all(&frame).await.unwrap();
        s.read_exact(&mut back).await.unwrap();
        assert_eq!(
            back[4..],
            p[..],
            "connection {i} frame {k} came back changed"
        );
    }
}

/// The relay process's resident and peak resident sizes, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn a_thousand_connections_under_continuous_traffic_keep_every_byte_and_flat_memory() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(240), run())
            .await
            .expect("within the limit");
    });
}

async fn run() {
    let up = echo_upstream().await;
    let child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(["serve", "--port", "0", "--proxy", &format!("0=ws://{up}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let pid = running.0.id();
    let stdout = running.0.stdout.take().unwrap();
    let relay: SocketAddr = tokio::task::spawn_blocking(move || {
        let mut relay = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("wsinspect: relay ") {
                relay = Some(rest.split(" -> ").next().unwrap().parse().unwrap());
            }
            if line.contains("Ctrl-C") {
                break;
            }
        }
        relay.expect("the relay's address is printed")
    })
    .await
    .unwrap();

    // All connect and finish their handshakes, then talk in two rounds.
    let first = Arc::new(tokio::sync::Barrier::new(CONNECTIONS + 1));
    let second = Arc::new(tokio::sync::Barrier::new(CONNECTIONS + 1));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (first, second) = (first.clone(), second.clone());
            tokio::spawn(async move {
                let mut s = TcpStream::connect(relay).await.unwrap();
                s.write_all(format!("GET /c{i} HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").as_bytes()).await.unwrap();
                let head = read_head(&mut s).await;
                assert!(head.starts_with(b"HTTP/1.1 101"), "connection {i}");
                talk(&mut s, i, 0..FIRST_ROUND).await;
                first.wait().await;
                talk(&mut s, i, FIRST_ROUND..FIRST_ROUND + SECOND_ROUND).await;
                second.wait().await;
            })
        })
        .collect();
    first.wait().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (after_first, _) = memory(pid);
    second.wait().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (after_second, peak) = memory(pid);
    for c in clients {
        c.await.unwrap();
    }
    let traffic_kib = (CONNECTIONS * SECOND_ROUND * PAYLOAD * 2 / 1024) as u64;
    eprintln!(
        "relay memory: {after_first} KiB after the first round, {after_second} KiB after the \
         second ({traffic_kib} KiB relayed in it), peak {peak} KiB"
    );
    // The second round relays six times the first's bytes; the relay keeps none of them.
    assert!(
        after_second < after_first + traffic_kib / 8,
        "the relay grew from {after_first} to {after_second} KiB over {traffic_kib} KiB of traffic"
    );
}
