//! The relay against a plain TCP relay (tokio's `copy_bidirectional`, nothing decoded), in the
//! same run on the same machine (docs/benchmarks.md):
//!
//! - throughput: a client streams large masked binary frames through the relay to an upstream
//!   that answered 101 and discards what it reads; MB/s from the first byte to the upstream's
//!   end of stream;
//! - latency: a small masked frame to an upstream that echoes each read at once, one at a time;
//!   the median round trip through each relay, and directly.
//!
//! `cargo bench -p wsinspect-serve --bench relay` measures (add `-- --subscriber` to attach a
//! feed consumer, `-- --keep N` to keep N payload bytes per event, `-- --allow-inject` to follow
//! frame boundaries as injection needs, `-- --plain-buffer N` to give the plain relay an N-byte
//! buffer instead of socat's 8 KiB, `-- --socat` to measure a real `socat` process as the plain
//! relay, `-- --wsinspect-process BIN` to measure the real `wsinspect serve` (BIN, the CLI
//! binary) in a process of its own, `-- --only-wsinspect` to run only the wsinspect relay's
//! throughput, for a profiler); `cargo test` runs it once on small inputs. Beside MB/s it prints
//! the process's CPU time per GB relayed for each relay: on a machine shared with other work,
//! the steadier of the two measures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use wsinspect_serve::proxy::{Listen, ProxySpec};
use wsinspect_serve::{Config, Server};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// A masked binary frame of `len` bytes.
fn frame(len: usize) -> Vec<u8> {
    let mut f = vec![0x82];
    match len {
        0..=125 => f.push(0x80 | len as u8),
        126..=65535 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    f.extend_from_slice(&key);
    f.extend((0..len).map(|i| (i as u8).wrapping_mul(31) ^ key[i % 4]));
    f
}

/// Upstream: reads the head, answers 101, then discards (`echo: false`) or echoes each read.
async fn upstream(echo: bool) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 256 << 10];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                s.write_all(RESPONSE).await.unwrap();
                loop {
                    let n = match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if echo && s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A plain relay: accept, dial, copy both ways through a `buffer`-byte buffer each way (8 KiB
/// by default: tokio's own default and socat's).
async fn plain_relay(to: SocketAddr, buffer: usize) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = l.accept().await else {
                return;
            };
            let _ = c.set_nodelay(true);
            tokio::spawn(async move {
                let mut u = TcpStream::connect(to).await.unwrap();
                let _ = u.set_nodelay(true);
                let _ =
                    tokio::io::copy_bidirectional_with_sizes(&mut c, &mut u, buffer, buffer).await;
            });
        }
    });
    addr
}

/// A relay in a process of its own (`--socat`, `--wsinspect-process`), stopped when this is
/// dropped.
struct Process {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1: bound, read and let go (the process binds it again at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// Wait until `addr` accepts connections (5 s at most).
async fn listening(addr: SocketAddr) {
    for _ in 0..250 {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("nothing listened on {addr} within 5 s");
}

/// A real `socat` relay to `to` (`--socat`), with a `buffer`-byte buffer (`-b`).
async fn socat_relay(to: SocketAddr, buffer: usize) -> Process {
    let port = free_port();
    let child = std::process::Command::new("socat")
        .arg("-b")
        .arg(buffer.to_string())
        .arg(format!(
            "TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,nodelay"
        ))
        .arg(format!("TCP:{to},nodelay"))
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("--socat needs socat (apt-get install socat)");
    let relay = Process {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    listening(relay.addr).await;
    relay
}

/// The real `wsinspect serve` (`--wsinspect-process BIN`: the CLI binary) relaying to `to`,
/// in a process of its own as a user runs it; with `subscriber`, a feed reader attached.
async fn wsinspect_process(
    bin: &str,
    to: [SocketAddr; 2],
    subscriber: bool,
    keep: usize,
    allow_inject: bool,
) -> (Process, [SocketAddr; 2]) {
    let page = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let relays = to.map(|_| SocketAddr::from(([127, 0, 0, 1], free_port())));
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("serve")
        .arg("--port")
        .arg(page.port().to_string())
        .arg("--keep")
        .arg(keep.to_string());
    for (relay, up) in relays.iter().zip(to) {
        cmd.arg("--proxy").arg(format!("{relay}=ws://{up}"));
    }
    if allow_inject {
        cmd.arg("--allow-inject");
    }
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("--wsinspect-process BIN: the wsinspect binary");
    let process = Process { child, addr: page };
    for addr in relays.into_iter().chain([page]) {
        listening(addr).await;
    }
    if subscriber {
        subscribe(page);
    }
    (process, relays)
}

/// A feed reader on `page`'s `/api/live` that reads and discards every line.
fn subscribe(page: SocketAddr) {
    tokio::spawn(async move {
        let mut s = TcpStream::connect(page).await.unwrap();
        let req = format!("GET /api/live HTTP/1.1\r\nHost: {page}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 256 << 10];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
}

async fn wsinspect_relay(
    to: SocketAddr,
    subscriber: bool,
    keep: usize,
    allow_inject: bool,
) -> (Server, SocketAddr) {
    let config = Config {
        port: 0,
        keep,
        allow_inject,
        proxies: vec![ProxySpec {
            listen: Listen::Port(0),
            upstream: format!("ws://{to}").parse().unwrap(),
        }],
        ..Config::default()
    };
    let server = Server::start(config).await.unwrap();
    let relay = server.relays()[0].listen;
    if subscriber {
        subscribe(server.page_addr());
    }
    (server, relay)
}

/// Connect, handshake, and wait for the 101.
async fn open(to: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(to).await.unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(REQUEST).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while got.len() < RESPONSE.len() {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    s
}

/// The CPU time this process (every thread) has used so far, from /proc/self/stat (user and
/// system, in clock ticks of 10 ms); `None` where there is no /proc.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name (in parentheses, which may hold spaces): state is field 3,
    // utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// One throughput run: MB/s, and the process's CPU seconds per GB relayed (client and
/// upstream included: the same for both relays, so the difference is the relay's own).
struct Run {
    mb_s: f64,
    cpu_s_per_gb: Option<f64>,
}

/// `total` bytes of frames through `to`.
async fn throughput(to: SocketAddr, total: usize) -> Run {
    let f = frame(64 << 10);
    let mut s = open(to).await;
    let cpu = cpu_time();
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        s.write_all(&f).await.unwrap();
        sent += f.len();
    }
    s.shutdown().await.unwrap();
    // The upstream closes after reading everything; its FIN comes back through the relay.
    let mut buf = [0u8; 1024];
    while s.read(&mut buf).await.unwrap() > 0 {}
    let secs = started.elapsed().as_secs_f64();
    let cpu_s_per_gb = cpu
        .zip(cpu_time())
        .map(|(a, b)| (b - a).as_secs_f64() / (sent as f64 / 1e9));
    Run {
        mb_s: sent as f64 / secs / 1e6,
        cpu_s_per_gb,
    }
}

/// The median round trip of a 32-byte frame through `to`.
async fn latency(to: SocketAddr, rounds: usize) -> Duration {
    let f = frame(32);
    let mut s = open(to).await;
    let mut times = Vec::with_capacity(rounds);
    let mut buf = vec![0u8; f.len()];
    for _ in 0..rounds {
        let t = Instant::now();
        s.write_all(&f).await.unwrap();
        s.read_exact(&mut buf).await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median MB/s and the median CPU seconds per GB of `runs`.
fn medians(runs: &[Run]) -> (f64, Option<f64>) {
    let cpu: Option<Vec<f64>> = runs.iter().map(|r| r.cpu_s_per_gb).collect();
    (
        median(runs.iter().map(|r| r.mb_s).collect()),
        cpu.map(median),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let measuring = args.iter().any(|a| a == "--bench");
    let subscriber = args.iter().any(|a| a == "--subscriber");
    // `--keep N`: payload bytes each event keeps (the server's default otherwise).
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(wsinspect_serve::DEFAULT_KEEP);
    let (total, runs, rounds) = if measuring {
        (512 << 20, 5, 5000)
    } else {
        (1 << 20, 1, 20)
    };
    let sink = upstream(false).await;
    let echo = upstream(true).await;
    // `--plain-buffer N`: the plain relay's buffer (8 KiB, socat's default, unless given).
    let plain_buffer = args
        .iter()
        .position(|a| a == "--plain-buffer")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(8 << 10);
    // `--socat`: the plain relay is a real socat process (its CPU is not this process's).
    let socat = args.iter().any(|a| a == "--socat");
    let socats = if socat {
        vec![
            socat_relay(sink, plain_buffer).await,
            socat_relay(echo, plain_buffer).await,
        ]
    } else {
        Vec::new()
    };
    let (plain_sink, plain_echo) = match &socats[..] {
        [a, b] => (a.addr, b.addr),
        _ => (
            plain_relay(sink, plain_buffer).await,
            plain_relay(echo, plain_buffer).await,
        ),
    };
    let inject = args.iter().any(|a| a == "--allow-inject");
    // `--wsinspect-process BIN`: our relay is the real binary in a process of its own.
    let process_bin = args
        .iter()
        .position(|a| a == "--wsinspect-process")
        .and_then(|i| args.get(i + 1));
    let mut servers = Vec::new();
    let mut ours_process = None;
    let (ours_sink, ours_echo) = match process_bin {
        Some(bin) => {
            let (p, [a, b]) = wsinspect_process(bin, [sink, echo], subscriber, keep, inject).await;
            ours_process = Some(p);
            (a, b)
        }
        None => {
            let (s1, a) = wsinspect_relay(sink, subscriber, keep, inject).await;
            let (s2, b) = wsinspect_relay(echo, subscriber, keep, inject).await;
            servers.extend([s1, s2]);
            (a, b)
        }
    };

    // `--only-wsinspect`: the wsinspect relay's throughput runs alone (for a profiler).
    if args.iter().any(|a| a == "--only-wsinspect") {
        for _ in 0..runs {
            let r = throughput(ours_sink, total).await;
            println!("relay/throughput: wsinspect {:.0} MB/s", r.mb_s);
        }
        return;
    }
    let mut plain = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..runs {
        // Alternate, so both see the same machine load.
        plain.push(throughput(plain_sink, total).await);
        ours.push(throughput(ours_sink, total).await);
    }
    let ((p, p_cpu), (o, o_cpu)) = (medians(&plain), medians(&ours));
    let undecoded = servers
        .first()
        .map(|s| {
            format!(
                "{:.1}%",
                100.0 * s.undecoded_bytes() as f64 / (total * runs) as f64
            )
        })
        .unwrap_or_else(|| "?".into());
    let each = |v: &[Run]| {
        v.iter()
            .map(|r| format!("{:.0}", r.mb_s))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "relay/throughput runs (MB/s): plain {}; wsinspect {}",
        each(&plain),
        each(&ours)
    );
    // (Runs too short for the 10 ms clock ticks, as under `cargo test`, show none.)
    let p_cpu = p_cpu.filter(|_| !socat);
    let o_cpu = o_cpu.filter(|_| ours_process.is_none());
    if let (Some(p_cpu), Some(o_cpu)) = (p_cpu.filter(|&c| c > 0.0), o_cpu.filter(|&c| c > 0.0)) {
        println!(
            "relay/cpu (the whole process, client and upstream included): plain {p_cpu:.2} s/GB, wsinspect {o_cpu:.2} s/GB ({:.0}% of plain's)",
            100.0 * p_cpu / o_cpu
        );
    }
    println!(
        "relay/throughput: plain {p:.0} MB/s ({}{} KiB buffer), wsinspect {o:.0} MB/s ({:.0}%), {} MiB x {runs}, 64 KiB frames, keep {keep}, {undecoded} relayed but not decoded{}{}{}",
        if socat { "socat, " } else { "" },
        plain_buffer >> 10,
        100.0 * o / p,
        total >> 20,
        if subscriber { ", one feed subscriber" } else { "" },
        if inject { ", --allow-inject" } else { "" },
        if ours_process.is_some() { ", wsinspect serve in its own process" } else { "" }
    );
    let direct = latency(echo, rounds).await;
    let plain_rt = latency(plain_echo, rounds).await;
    let ours_rt = latency(ours_echo, rounds).await;
    println!(
        "relay/latency (median round trip of a 32-byte frame, {rounds} rounds): direct {:.1} us, plain relay {:.1} us, wsinspect {:.1} us: {:.1} us added over direct, {:.1} us over the plain relay",
        us(direct),
        us(plain_rt),
        us(ours_rt),
        us(ours_rt) - us(direct),
        us(ours_rt) - us(plain_rt)
    );
    for s in servers {
        s.shutdown().await.unwrap();
    }
    drop(ours_process);
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
