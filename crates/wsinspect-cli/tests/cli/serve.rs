//! `wsinspect serve` as a user runs it: a relay on a free port, a client and an upstream on
//! loopback, Ctrl-C (SIGINT), and the recording it finished, read back by `wsinspect pcap`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Stops the server if the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A one-connection upstream: reads the request head, answers 101 (the RFC 6455 §1.3 key's
/// Accept), sends the text frame "hi", echoes what the client sends until it closes.
fn upstream() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi").unwrap();
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        got
    });
    (addr, t)
}

#[test]
fn serve_relays_a_connection_and_finishes_its_recording_on_ctrl_c() {
    let dir = std::env::temp_dir().join(format!("wsinspect-cli-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcapng = dir.join("live.pcapng");
    let (up, upstream_thread) = upstream();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args([
            "serve",
            "--port",
            "0",
            "--proxy",
            &format!("0=ws://{up}"),
            "--record",
        ])
        .arg(&pcapng)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut relay = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("wsinspect: relay ") {
            relay = Some(rest.split(" -> ").next().unwrap().to_string());
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let relay = relay.expect("the relay's address is printed");

    let mut client = TcpStream::connect(&relay).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    client.write_all(format!("GET /chat HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"\x81\x02hi") {
        let n = client.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    // "Hello" masked with the RFC 6455 §5.7 key, then a close (1000), masked with zeros.
    client
        .write_all(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ])
        .unwrap();
    client
        .write_all(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
        .unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let seen_upstream = upstream_thread.join().unwrap();
    assert!(seen_upstream.ends_with(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    assert!(String::from_utf8_lossy(&seen_upstream).contains(&format!("Host: {up}\r\n")));

    // Ctrl-C: the server stops by itself and says so.
    let mut child = running;
    let pid = child.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(lines.any(|l| l.unwrap().contains("stopped")));

    // The recording is complete: `wsinspect pcap` finds the connection and both messages.
    let out = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(["pcap", "--jsonl"])
        .arg(&pcapng)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let messages: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(r#""event":"message""#))
        .collect();
    assert_eq!(messages.len(), 2, "{text}");
    assert!(
        messages[0].contains(r#""direction":"server""#) && messages[0].contains(r#""kept":"6869""#),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains(r#""direction":"client""#)
            && messages[1].contains(r#""kept":"48656c6c6f""#),
        "{}",
        messages[1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listening_beyond_loopback_needs_bind_and_warns() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args([
            "serve",
            "--port",
            "0",
            "--proxy",
            "0.0.0.0:0=ws://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --bind"), "{err}");

    let bad = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(["serve", "--port", "0", "--proxy", "0=http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ws://host:port"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(["serve", "--port", "0", "--bind", "0.0.0.0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let first = BufReader::new(stderr).lines().next().unwrap().unwrap();
    assert!(first.contains("warning: listening on 0.0.0.0"), "{first}");
    drop(running);
}
