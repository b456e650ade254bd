//! The relay: a reverse proxy to one fixed upstream, byte for byte. It reads the client's
//! request head (bounded: 431 over the limit), rewrites the Host header for the upstream when
//! it differs (the one change it ever makes, announced in the feed), dials the configured
//! upstream (never anything the client names: 502 when it cannot), then copies bytes both ways
//! untouched. Each chunk is timestamped when read, queued for the connection's decoder (a task
//! of its own, so decoding never holds up the bytes) and the recorder, then forwarded; a
//! connection's errors end that connection only. A large read is shared with the decoder and
//! the recorder, not copied (`chunk`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wsinspect_core::common::Direction;
use wsinspect_core::stream::boundary::Boundaries;

use crate::chunk::{Chunk, ReadBuf};
use crate::decode;
use crate::event::{now, ConnId, RelayEvent, Tap};
use crate::http::{self, HeadError};
use crate::inject::Injection;
use crate::record::Item;
use crate::Hub;

/// How long dialling the upstream may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `LISTEN=UPSTREAM`: where the relay listens and the one upstream it dials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySpec {
    /// The address to listen on (a port alone: the server's bind address).
    pub listen: Listen,
    /// The upstream.
    pub upstream: Upstream,
}

/// Where a relay listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// A port on the server's bind address.
    Port(u16),
    /// An address.
    Addr(SocketAddr),
}

/// A `ws://host:port` or `wss://host:port` upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// As given.
    pub url: String,
    /// `host:port` to dial, and the Host header's value.
    pub authority: String,
    /// `wss://`: TLS to the upstream.
    pub tls: bool,
}

impl FromStr for ProxySpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ProxySpec, String> {
        let (listen, upstream) = s
            .split_once('=')
            .ok_or_else(|| format!("--proxy takes LISTEN=UPSTREAM (e.g. 127.0.0.1:9001=ws://127.0.0.1:8765), not {s:?}"))?;
        let listen = if let Ok(port) = listen.parse::<u16>() {
            Listen::Port(port)
        } else {
            Listen::Addr(listen.parse().map_err(|_| {
                format!(
                    "--proxy: {listen:?} is not a port or an address:port (e.g. 127.0.0.1:9001)"
                )
            })?)
        };
        Ok(ProxySpec {
            listen,
            upstream: upstream.parse()?,
        })
    }
}

impl FromStr for Upstream {
    type Err = String;

    fn from_str(url: &str) -> Result<Upstream, String> {
        let (rest, tls) = if let Some(rest) = url.strip_prefix("ws://") {
            (rest, false)
        } else if let Some(rest) = url.strip_prefix("wss://") {
            (rest, true)
        } else {
            return Err(format!(
                "--proxy: the upstream must be a ws://host:port or wss://host:port URL, not {url:?}"
            ));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "--proxy: the upstream is a host and port only (the client's path is forwarded as sent), not {url:?}"
            ));
        }
        let authority = if has_port(authority) {
            authority.to_string()
        } else {
            format!("{authority}:{}", if tls { 443 } else { 80 })
        };
        if tls {
            crate::tls::server_name(&authority).map_err(|e| format!("--proxy: {url:?}: {e}"))?;
        }
        Ok(Upstream {
            url: url.to_string(),
            authority,
            tls,
        })
    }
}

fn has_port(authority: &str) -> bool {
    match authority.rfind(':') {
        Some(i) => !authority[i..].contains(']') && authority[i + 1..].parse::<u16>().is_ok(),
        None => false,
    }
}

/// The head to forward: `head` with its Host value replaced by `host` when it differs (or a
/// Host header added after the request line when there is none), and what was changed.
/// A head that does not parse as HTTP is forwarded as it is (the decoder will say what is
/// wrong with it); nothing else is ever changed.
pub fn rewrite_host(head: &[u8], host: &str) -> (Vec<u8>, Option<RelayEvent>) {
    let mut headers = [httparse::EMPTY_HEADER; http::MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(req.parse(head), Ok(httparse::Status::Complete(_))) {
        return (head.to_vec(), None);
    }
    let found = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("host"));
    match found {
        Some(h) if h.value == host.as_bytes() => (head.to_vec(), None),
        Some(h) => {
            let start = h.value.as_ptr() as usize - head.as_ptr() as usize;
            let end = start + h.value.len();
            let mut out = Vec::with_capacity(head.len() + host.len());
            out.extend_from_slice(&head[..start]);
            out.extend_from_slice(host.as_bytes());
            out.extend_from_slice(&head[end..]);
            let from = String::from_utf8_lossy(h.value).into_owned();
            (
                out,
                Some(RelayEvent::HostRewritten {
                    from: Some(from),
                    to: host.to_string(),
                }),
            )
        }
        None => {
            // After the request line, not after the empty lines a client may send before it.
            let start = head.iter().position(|&b| b != b'\r' && b != b'\n');
            let line_end = start
                .and_then(|s| {
                    head[s..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map(|i| s + i + 1)
                })
                .unwrap_or(0);
            let mut out = head[..line_end].to_vec();
            out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
            out.extend_from_slice(&head[line_end..]);
            (
                out,
                Some(RelayEvent::HostRewritten {
                    from: None,
                    to: host.to_string(),
                }),
            )
        }
    }
}

/// One relay's listener loop: each client in a task of its own.
pub async fn serve(hub: Arc<Hub>, listener: TcpListener, upstream: Arc<Upstream>) {
    let listen = listener.local_addr().ok();
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of file descriptors and the like: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = client.set_nodelay(true);
        let hub = hub.clone();
        let upstream = upstream.clone();
        let Some(listen) = listen else { continue };
        tokio::spawn(async move {
            let id = hub.next_id();
            relay(hub, id, client, peer, listen, &upstream).await;
        });
    }
}

/// One connection, start to end.
async fn relay(
    hub: Arc<Hub>,
    id: ConnId,
    mut client: TcpStream,
    peer: SocketAddr,
    listen: SocketAddr,
    upstream: &Upstream,
) {
    let head = match http::read_head(&mut client, hub.max_head, http::HEAD_TIMEOUT).await {
        Ok(head) => head,
        Err(e) => {
            let status = match &e {
                HeadError::TooLarge { .. } => {
                    http::reply_text(
                        &mut client,
                        431,
                        "Request Header Fields Too Large",
                        &format!("wsinspect: {e}"),
                    )
                    .await;
                    Some(431)
                }
                HeadError::Timeout => {
                    http::reply_text(
                        &mut client,
                        408,
                        "Request Timeout",
                        &format!("wsinspect: {e}"),
                    )
                    .await;
                    Some(408)
                }
                HeadError::Closed { .. } | HeadError::Io(_) => None,
            };
            let event = RelayEvent::Refused {
                client: peer,
                status,
                reason: e.to_string(),
            };
            hub.relay_event(id, &event).await;
            return;
        }
    };
    let dialled =
        tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&upstream.authority)).await;
    let server = match dialled {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return unreachable(&hub, id, client, peer, upstream, e.to_string()).await,
        Err(_) => {
            let why = format!("no answer within {} s", CONNECT_TIMEOUT.as_secs());
            return unreachable(&hub, id, client, peer, upstream, why).await;
        }
    };
    let _ = server.set_nodelay(true);
    let server_addr = server.peer_addr().unwrap_or(listen);
    let server = if upstream.tls {
        match tls_handshake(&hub, upstream, server).await {
            Ok(s) => Upstreamed::Tls(Box::new(s)),
            Err(why) => return unreachable(&hub, id, client, peer, upstream, why).await,
        }
    } else {
        Upstreamed::Plain(server)
    };
    let time = now();
    let open = RelayEvent::Open {
        listen,
        upstream: upstream.url.clone(),
        client: peer,
        server: server_addr,
        source: "relay",
    };
    hub.relay_event(id, &open).await;
    hub.record(Item::Open {
        id,
        client: peer,
        server: server_addr,
        time,
    })
    .await;
    let (forward, rewrite) = rewrite_host(head.head(), &upstream.authority);
    if let Some(rewrite) = rewrite {
        hub.relay_event(id, &rewrite).await;
    }
    let (decoder, decoding) = decode::spawn(hub.clone(), Tap::new(id, hub.session_config.clone()));
    // With --allow-inject: each direction's frame boundaries, followed as the bytes pass.
    let sides = hub.injections.as_ref().map(|r| {
        let ends = r.add(id);
        let [c_rx, s_rx] = ends.rx;
        let mut client_bounds = Boundaries::frames();
        client_bounds.feed(head.rest());
        let side = |rx, bounds, upgraded| InjectSide {
            rx,
            bounds,
            queue: VecDeque::new(),
            upgraded,
            refused: ends.refused.clone(),
        };
        [
            side(c_rx, client_bounds, None),
            side(
                s_rx,
                Boundaries::after_head(true),
                Some(ends.upgraded.clone()),
            ),
        ]
    });
    let mut first = forward;
    first.extend_from_slice(head.rest());
    let relayed = [AtomicU64::new(0), AtomicU64::new(0)];
    let ended = [AtomicBool::new(false), AtomicBool::new(false)];
    let link = Link {
        hub: &hub,
        id,
        decoder,
        relayed: &relayed,
        ended: &ended,
    };
    let (client_r, client_w) = client.into_split();
    let error = match server {
        Upstreamed::Plain(s) => {
            let (r, w) = s.into_split();
            pipe(link, client_r, client_w, r, w, first, sides).await
        }
        Upstreamed::Tls(s) => {
            let (r, w) = tokio::io::split(*s);
            pipe(link, client_r, client_w, r, w, first, sides).await
        }
    }
    .err();
    if let Some(r) = &hub.injections {
        r.remove(id);
    }
    // Every session line of the connection is out before its closing line.
    let _ = decoding.await;
    let closed = RelayEvent::Closed {
        client_bytes: relayed[0].load(Ordering::Relaxed),
        server_bytes: relayed[1].load(Ordering::Relaxed),
        error: error.map(|e| e.to_string()),
    };
    hub.relay_event(id, &closed).await;
    hub.record(Item::Close { id }).await;
}

async fn unreachable(
    hub: &Hub,
    id: ConnId,
    mut client: TcpStream,
    peer: SocketAddr,
    upstream: &Upstream,
    why: String,
) {
    let text = format!(
        "wsinspect: the upstream {} cannot be reached: {why}",
        upstream.url
    );
    http::reply_text(&mut client, 502, "Bad Gateway", &text).await;
    let event = RelayEvent::UpstreamError {
        client: peer,
        upstream: upstream.url.clone(),
        error: why,
    };
    hub.relay_event(id, &event).await;
}

/// What both directions of one connection share.
struct Link<'a> {
    hub: &'a Hub,
    id: ConnId,
    decoder: decode::DecoderTx,
    /// Bytes forwarded: `[client, server]`.
    relayed: &'a [AtomicU64; 2],
    /// The decoder was told the direction ended.
    ended: &'a [AtomicBool; 2],
}

/// One direction's injections: the queue from the page, the frame boundaries, and what the
/// registry is told (the server side says when the 101 has passed, or that it never will).
struct InjectSide {
    rx: mpsc::Receiver<Injection>,
    bounds: Boundaries,
    /// Waiting for their place, in order.
    queue: VecDeque<Injection>,
    upgraded: Option<Arc<AtomicBool>>,
    refused: Arc<std::sync::Mutex<Option<&'static str>>>,
}

impl InjectSide {
    fn note_state(&self) {
        if let Some(up) = &self.upgraded {
            if self.bounds.started() {
                up.store(true, Ordering::Release);
            }
        }
        if let Some(why) = self.bounds.not_frames() {
            *self
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
        }
    }
}

/// The upstream connection: TCP, or TLS over it.
enum Upstreamed {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// The TLS handshake with a `wss://` upstream, bounded by [`CONNECT_TIMEOUT`].
async fn tls_handshake(
    hub: &Hub,
    upstream: &Upstream,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let connector = hub.tls.as_ref().ok_or("TLS is not set up")?;
    let name = crate::tls::server_name(&upstream.authority)?;
    match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("TLS: {e}")),
        Err(_) => Err(format!(
            "TLS: no handshake within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// Copy both ways until both sides have ended, or either fails (then both are dropped).
async fn pipe<CR, CW, SR, SW>(
    link: Link<'_>,
    client_r: CR,
    client_w: CW,
    server_r: SR,
    mut server_w: SW,
    first: Vec<u8>,
    sides: Option<[InjectSide; 2]>,
) -> std::io::Result<()>
where
    CR: AsyncRead + Unpin,
    CW: AsyncWrite + Unpin,
    SR: AsyncRead + Unpin,
    SW: AsyncWrite + Unpin,
{
    // The head (rewritten) and what came with it: the first client chunk.
    let mut lost = 0;
    let first = Chunk::owned(first);
    link.observe(Direction::Client, &first, &mut lost).await;
    server_w.write_all(first.bytes()).await?;
    link.relayed[0].fetch_add(first.len() as u64, Ordering::Relaxed);
    let [up_side, down_side] = match sides {
        Some([c, s]) => [Some(c), Some(s)],
        None => [None, None],
    };
    let up = link.pump(Direction::Client, client_r, server_w, lost, up_side);
    let down = link.pump(Direction::Server, server_r, client_w, 0, down_side);
    tokio::pin!(up, down);
    let result = tokio::select! {
        r = &mut up => match r { Ok(()) => down.await, e => e },
        r = &mut down => match r { Ok(()) => up.await, e => e },
    };
    // A direction cut by an error ends too, so the decoder reports what it was in the middle of.
    let time = now();
    for (i, direction) in [Direction::Client, Direction::Server]
        .into_iter()
        .enumerate()
    {
        if !link.ended[i].load(Ordering::Relaxed) {
            link.decoder.end(direction, 0, time);
        }
    }
    result
}

impl Link<'_> {
    /// One direction: read, observe, forward; at the end, half-close the other side. With
    /// injection on, new frames from the page go in at the first boundary that allows them.
    async fn pump<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
        &self,
        direction: Direction,
        mut from: R,
        mut to: W,
        mut lost: u64,
        mut side: Option<InjectSide>,
    ) -> std::io::Result<()> {
        let mut buf = ReadBuf::default();
        let i = usize::from(direction == Direction::Server);
        loop {
            let n = match &mut side {
                None => from.read_buf(buf.prepare()).await?,
                Some(s) => tokio::select! {
                    // Reads are cancel-safe: nothing is lost when an injection comes first.
                    r = from.read_buf(buf.prepare()) => r?,
                    Some(x) = s.rx.recv() => {
                        s.queue.push_back(x);
                        let none = Chunk::owned(bytes::Bytes::new());
                        self.forward_with(direction, &mut to, none, s, &mut lost).await?;
                        continue;
                    }
                },
            };
            if n == 0 {
                let time = now();
                self.decoder.end(direction, lost, time);
                self.ended[i].store(true, Ordering::Relaxed);
                let fin = Item::Fin {
                    id: self.id,
                    direction,
                    time,
                };
                self.hub.record(fin).await;
                return to.shutdown().await;
            }
            let chunk = buf.take();
            match &mut side {
                None => self.forward(direction, &mut to, &chunk, &mut lost).await?,
                Some(s) => {
                    self.forward_with(direction, &mut to, chunk, s, &mut lost)
                        .await?
                }
            }
        }
    }

    /// Observe and forward `bytes`.
    async fn forward<W: AsyncWrite + Unpin>(
        &self,
        direction: Direction,
        to: &mut W,
        chunk: &Chunk,
        lost: &mut u64,
    ) -> std::io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.observe(direction, chunk, lost).await;
        to.write_all(chunk.bytes()).await?;
        let i = usize::from(direction == Direction::Server);
        self.relayed[i].fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Forward `bytes`, putting each waiting injection in at the first boundary that allows it.
    async fn forward_with<W: AsyncWrite + Unpin>(
        &self,
        direction: Direction,
        to: &mut W,
        mut chunk: Chunk,
        side: &mut InjectSide,
        lost: &mut u64,
    ) -> std::io::Result<()> {
        while let Some(front) = side.queue.front() {
            let k = side.bounds.advance(chunk.bytes(), front.insert);
            self.forward(direction, to, &chunk.slice(0..k), lost)
                .await?;
            chunk = chunk.slice(k..chunk.len());
            if !side.bounds.at(front.insert) {
                break;
            }
            let x = side.queue.pop_front().expect("front was there");
            self.inject(direction, to, x, lost).await?;
        }
        side.bounds.feed(chunk.bytes());
        self.forward(direction, to, &chunk, lost).await?;
        side.note_state();
        Ok(())
    }

    /// Send an injected frame: announced in the feed, marked for the decoder, recorded and
    /// decoded like any other bytes (they are on the wire).
    async fn inject<W: AsyncWrite + Unpin>(
        &self,
        direction: Direction,
        to: &mut W,
        x: Injection,
        lost: &mut u64,
    ) -> std::io::Result<()> {
        let i = usize::from(direction == Direction::Server);
        // Every byte before it was forwarded (lost ones too: only their decoding was skipped).
        let offset = self.relayed[i].load(Ordering::Relaxed);
        let event = RelayEvent::Injected {
            direction,
            offset,
            len: x.bytes.len() as u64,
            kind: x.kind,
        };
        self.hub.relay_event(self.id, &event).await;
        self.decoder.injected(direction, offset);
        self.forward(direction, to, &Chunk::owned(x.bytes), lost)
            .await
    }

    /// Timestamp a chunk, queue it for the decoder (or count it lost when the decoder is
    /// behind) and record it, before it is forwarded: so a reply is never seen before the
    /// bytes it answers.
    async fn observe(&self, direction: Direction, chunk: &Chunk, lost: &mut u64) {
        let time = now();
        self.decoder.chunk(direction, chunk, time, lost);
        if self.hub.records_packets() {
            let item = Item::Data {
                id: self.id,
                direction,
                bytes: chunk.bytes().clone(),
                time,
            };
            self.hub.record(item).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_value_changes() {
        let head =
            b"GET /chat?x=1 HTTP/1.1\r\nhOsT:  127.0.0.1:9001 \r\nUpgrade: websocket\r\n\r\n";
        let (out, event) = rewrite_host(head, "127.0.0.1:8765");
        assert_eq!(
            out,
            b"GET /chat?x=1 HTTP/1.1\r\nhOsT:  127.0.0.1:8765 \r\nUpgrade: websocket\r\n\r\n"
        );
        match event {
            Some(RelayEvent::HostRewritten { from, to }) => {
                assert_eq!(from.as_deref(), Some("127.0.0.1:9001"));
                assert_eq!(to, "127.0.0.1:8765");
            }
            other => panic!("{other:?}"),
        }
        let (same, none) = rewrite_host(&out, "127.0.0.1:8765");
        assert_eq!(same, out);
        assert!(none.is_none());
        let (added, event) = rewrite_host(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "h:1");
        assert_eq!(
            added,
            b"GET / HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\n\r\n"
        );
        assert!(matches!(
            event,
            Some(RelayEvent::HostRewritten { from: None, .. })
        ));
        // Found by the relay_head fuzz target: empty lines before the request line (which
        // HTTP parsers skip) put the added Host line before the request line.
        let (added, _) = rewrite_host(b"\r\n\nGET / HTTP/1.1\nA: b\n\n", "h:1");
        assert_eq!(added, b"\r\n\nGET / HTTP/1.1\nHost: h:1\r\nA: b\n\n");
        assert_eq!(crate::http::header(&added, "host"), Some("h:1"));
        let junk = b"\x16\x03\x01 not http\r\n\r\n";
        let (kept, none) = rewrite_host(junk, "h:1");
        assert_eq!(kept, junk);
        assert!(none.is_none());
    }

    #[test]
    fn specs_name_one_ws_upstream_and_nothing_else() {
        let s: ProxySpec = "127.0.0.1:9001=ws://127.0.0.1:8765".parse().unwrap();
        assert_eq!(s.listen, Listen::Addr("127.0.0.1:9001".parse().unwrap()));
        assert_eq!(s.upstream.authority, "127.0.0.1:8765");
        let s: ProxySpec = "9001=ws://localhost/".parse().unwrap();
        assert_eq!(s.listen, Listen::Port(9001));
        assert_eq!(s.upstream.authority, "localhost:80");
        let s: ProxySpec = "9001=ws://[::1]:8765".parse().unwrap();
        assert_eq!(s.upstream.authority, "[::1]:8765");
        let s: ProxySpec = "9001=ws://[::1]".parse().unwrap();
        assert_eq!(s.upstream.authority, "[::1]:80");
        let s: ProxySpec = "9001=wss://example.com".parse().unwrap();
        assert_eq!(s.upstream.authority, "example.com:443");
        assert!(s.upstream.tls);
        for bad in [
            "9001",
            "x=ws://a:1",
            "9001=http://a:1",
            "9001=ws://a:1/path",
            "9001=ws://u@a:1",
            "9001=wss://bad name:1",
        ] {
            assert!(bad.parse::<ProxySpec>().is_err(), "{bad}");
        }
    }
}
