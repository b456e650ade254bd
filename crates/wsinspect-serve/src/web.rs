//! The server's own port: the built page (Trunk's `dist/`, read at start) with a strict
//! Content-Security-Policy, and the live feed on `/api/live`, a WebSocket that only the page's
//! own origin may open. One request per connection (`Connection: close`); heads are bounded
//! like the relay's.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::feed::Line;
use crate::http::{self, HeadError};
use crate::Hub;

/// The feed's path.
pub const LIVE_PATH: &str = "/api/live";

/// What the page is made of.
pub struct Page {
    dist: Option<PathBuf>,
    index: Vec<u8>,
    /// The CSP without its `connect-src` (which names the request's host).
    csp: String,
    /// The relays' addresses, as `connect-src` sources: the page's own client connects to them.
    relays: String,
}

/// Shown when no built page was given.
const NO_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wsinspect serve</title></head>\n<body><h1>wsinspect serve</h1>\n<p>The page is not built into this run. Build it and serve it with <code>cargo xtask serve</code>, or give <code>wsinspect serve --dist DIR</code> the directory Trunk built (<code>dist/</code>).</p>\n<p>The relays and the live feed work without it: the feed is the WebSocket at <code>/api/live</code>, one JSON object per message (docs/live.md).</p>\n</body></html>\n";

impl Page {
    /// The page in `dist` (its `index.html` read now, the other files when asked for), or a
    /// short note saying how to build it.
    pub fn load(dist: Option<&Path>) -> std::io::Result<Page> {
        let (dist, index) = match dist {
            Some(d) => {
                let index_path = d.join("index.html");
                let index = std::fs::read(&index_path).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!(
                            "reading {}: {e} (is it the directory Trunk built?)",
                            index_path.display()
                        ),
                    )
                })?;
                (Some(d.to_path_buf()), index)
            }
            None => (None, NO_PAGE.as_bytes().to_vec()),
        };
        let csp = csp(&inline_script_hashes(&index));
        Ok(Page {
            dist,
            index,
            csp,
            relays: String::new(),
        })
    }

    /// Let the page's own client connect to these relays (and to nothing else).
    pub fn with_relays(mut self, relays: &[SocketAddr]) -> Page {
        self.relays = relays
            .iter()
            .flat_map(|a| {
                let mut names = vec![format!(" ws://{a}")];
                if a.ip().is_loopback() {
                    names.push(format!(" ws://localhost:{}", a.port()));
                }
                names
            })
            .collect();
        self
    }

    /// The policy sent with every response.
    pub fn csp(&self, host: &str) -> String {
        format!(
            "{}; connect-src 'self' ws://{host}{}",
            self.csp, self.relays
        )
    }
}

/// The policy: our own files only, the wasm compiled, Trunk's one inline loader script by its
/// hash, style attributes (Yew sets grid positions with them), data: images (the icon).
fn csp(script_hashes: &[String]) -> String {
    let scripts: String = script_hashes
        .iter()
        .map(|h| format!(" 'sha256-{h}'"))
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// The base64 SHA-256 of each inline `<script>` (one without `src`) in `html`.
fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(html);
    let mut hashes = Vec::new();
    let mut rest: &str = &text;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &body_and_more[close..];
    }
    hashes
}

/// Which Host values (and so which Origins) are ours.
pub struct Site {
    page: Page,
    /// `None`: any (bound to an unspecified address); else these, compared without case.
    hosts: Option<Vec<String>>,
}

impl Site {
    /// The site for a server listening on `addr`.
    pub fn new(page: Page, addr: SocketAddr) -> Site {
        let port = addr.port();
        let hosts = if addr.ip().is_unspecified() {
            None
        } else {
            let mut hosts = vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ];
            hosts.push(match addr.ip() {
                IpAddr::V4(ip) => format!("{ip}:{port}"),
                IpAddr::V6(ip) => format!("[{ip}]:{port}"),
            });
            Some(hosts)
        };
        Site { page, hosts }
    }

    fn host_ok(&self, host: &str) -> bool {
        match &self.hosts {
            None => true,
            Some(hosts) => hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
        }
    }
}

/// Whether a feed request may be answered: its Host is ours, and its Origin, if it has one
/// (browsers always send one; command-line clients may not), is the page's own.
pub fn origin_ok(host: &str, origin: Option<&str>) -> bool {
    match origin {
        None => true,
        Some(o) => o.eq_ignore_ascii_case(&format!("http://{host}")),
    }
}

/// The listener loop.
pub async fn serve(hub: Arc<Hub>, listener: TcpListener, site: Arc<Site>) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(handle(hub.clone(), site.clone(), stream));
    }
}

async fn handle(hub: Arc<Hub>, site: Arc<Site>, mut stream: TcpStream) {
    let head = match http::read_head(&mut stream, hub.max_head, http::HEAD_TIMEOUT).await {
        Ok(h) => h,
        Err(e @ HeadError::TooLarge { .. }) => {
            let text = format!("wsinspect: {e}");
            return http::reply_text(&mut stream, 431, "Request Header Fields Too Large", &text)
                .await;
        }
        Err(_) => return,
    };
    let Some((method, target)) = http::request_line(head.head()) else {
        return http::reply_text(
            &mut stream,
            400,
            "Bad Request",
            "wsinspect: not an HTTP/1.1 request",
        )
        .await;
    };
    let host = http::header(head.head(), "host")
        .unwrap_or_default()
        .to_string();
    if !site.host_ok(&host) {
        let text = format!(
            "wsinspect: {host:?} is not this server's host name (use http://127.0.0.1:PORT/)"
        );
        return http::reply_text(&mut stream, 403, "Forbidden", &text).await;
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if path == LIVE_PATH {
        return live(hub, stream, head, &host).await;
    }
    if method != "GET" && method != "HEAD" {
        return http::reply_text(
            &mut stream,
            405,
            "Method Not Allowed",
            "wsinspect: GET only",
        )
        .await;
    }
    let (status, reason, kind, body) = match lookup(&site.page, path).await {
        Some((kind, body)) => (200, "OK", kind, body),
        None => (
            404,
            "Not Found",
            "text/plain; charset=utf-8",
            b"not found\n".to_vec(),
        ),
    };
    let csp = site.page.csp(&host);
    let headers = [
        ("Content-Type", kind),
        ("Content-Security-Policy", csp.as_str()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ];
    let mut bytes = http::response(status, reason, &headers, &body);
    if method == "HEAD" {
        bytes.truncate(bytes.len() - body.len());
    }
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// A file of the page: `/` and paths without an extension (the page's own routes, `/live`)
/// are `index.html`; others must be plain names inside `dist`.
async fn lookup(page: &Page, path: &str) -> Option<(&'static str, Vec<u8>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let last = segments.last().copied().unwrap_or_default();
    if !last.contains('.') {
        return Some(("text/html; charset=utf-8", page.index.clone()));
    }
    let plain = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !segments.iter().all(plain) {
        return None;
    }
    let mut file = page.dist.clone()?;
    file.extend(&segments);
    let body = tokio::task::spawn_blocking(move || std::fs::read(file))
        .await
        .ok()?
        .ok()?;
    Some((content_type(last), body))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The feed: check the request, answer 101, then send a greeting, the backlog and every line.
async fn live(hub: Arc<Hub>, mut stream: TcpStream, head: http::Head, host: &str) {
    let h = head.head();
    let origin = http::header(h, "origin");
    if !origin_ok(host, origin) {
        let text = format!(
            "wsinspect: the live feed is only for this server's own page (http://{host}), not {}",
            origin.unwrap_or_default()
        );
        return http::reply_text(&mut stream, 403, "Forbidden", &text).await;
    }
    let upgrade = http::header(h, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version = http::header(h, "sec-websocket-version") == Some("13");
    let Some(key) = http::header(h, "sec-websocket-key").filter(|_| upgrade && version) else {
        let text =
            "wsinspect: /api/live is a WebSocket (Upgrade: websocket, Sec-WebSocket-Version: 13)";
        return http::reply_text(&mut stream, 426, "Upgrade Required", text).await;
    };
    let accept = derive_accept_key(key.as_bytes());
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    // The page sends only short commands: a small read buffer (tungstenite zeroes the whole
    // buffer before each read, 128 KiB by default, and reads each time a line is sent).
    let config = WebSocketConfig::default().read_buffer_size(4 << 10);
    let ws = WebSocketStream::from_partially_read(
        stream,
        head.rest().to_vec(),
        Role::Server,
        Some(config),
    )
    .await;
    let sub = hub.feed.subscribe(hub.hello());
    subscriber(&hub, ws, sub).await;
}

/// The answer to a text message from the page: an injection command (docs/live.md), queued,
/// or a line saying why not (to this subscriber only).
fn command(hub: &Hub, text: &str) -> Option<String> {
    let result = serde_json::from_str::<crate::inject::Command>(text)
        .map_err(|e| format!("not an injection command: {e}"))
        .and_then(|cmd| hub.inject(&cmd));
    let error = result.err()?;
    let line = serde_json::json!({"event": "inject_error", "data": {"error": error}});
    Some(line.to_string())
}

async fn subscriber(
    hub: &Hub,
    mut ws: WebSocketStream<TcpStream>,
    mut sub: crate::feed::Subscription,
) {
    loop {
        tokio::select! {
            line = sub.next() => {
                let Some(line) = line else { break };
                if send_queued(&mut ws, line, &mut sub).await.is_err() {
                    break;
                }
            }
            incoming = ws.next() => match incoming {
                // Pings are answered by tungstenite on the next write; nothing else is read.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(Message::Text(t))) => {
                    if let Some(answer) = command(hub, t.as_str()) {
                        if ws.send(Message::text(answer)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = ws.close(None).await;
}

/// The most bytes of lines written to a subscriber's socket at once.
const BATCH: usize = 256 << 10;

/// Send `first` and the lines queued behind it (up to [`BATCH`] bytes), in one write.
async fn send_queued(
    ws: &mut WebSocketStream<TcpStream>,
    first: Line,
    sub: &mut crate::feed::Subscription,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut batched = first.len();
    ws.feed(Message::Text(first.utf8())).await?;
    while batched < BATCH {
        let Some(line) = sub.try_next() else { break };
        batched += line.len();
        ws.feed(Message::Text(line.utf8())).await?;
    }
    ws.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_trunks_inline_loader_by_its_hash_only() {
        let html = b"<html><script type=\"module\">\nimport init from '/a.js';\n</script><script src=\"/x.js\"></script></html>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"\nimport init from '/a.js';\n"));
        assert_eq!(hashes[0], expected);
        let p = csp(&hashes);
        assert!(p.contains(&format!("'sha256-{expected}'")));
        assert!(!p.contains("unsafe-eval'") || p.contains("'wasm-unsafe-eval'"));
        assert!(p.starts_with("default-src 'none'"));
    }

    #[test]
    fn only_our_own_origin_and_hosts_pass() {
        assert!(origin_ok("127.0.0.1:8080", Some("http://127.0.0.1:8080")));
        assert!(origin_ok("127.0.0.1:8080", None));
        assert!(!origin_ok("127.0.0.1:8080", Some("http://evil.example")));
        assert!(!origin_ok("127.0.0.1:8080", Some("http://127.0.0.1:8081")));
        assert!(!origin_ok("127.0.0.1:8080", Some("null")));
        let site = Site::new(Page::load(None).unwrap(), "127.0.0.1:8080".parse().unwrap());
        assert!(site.host_ok("localhost:8080"));
        assert!(!site.host_ok("evil.example:8080"));
        let any = Site::new(Page::load(None).unwrap(), "0.0.0.0:8080".parse().unwrap());
        assert!(any.host_ok("192.168.1.5:8080"));
    }

    #[test]
    fn the_page_may_connect_to_the_feed_and_the_relays_only() {
        let page = Page::load(None)
            .unwrap()
            .with_relays(&["127.0.0.1:9001".parse().unwrap()]);
        let p = page.csp("127.0.0.1:8080");
        assert!(
            p.ends_with(
                "; connect-src 'self' ws://127.0.0.1:8080 ws://127.0.0.1:9001 ws://localhost:9001"
            ),
            "{p}"
        );
    }
}
