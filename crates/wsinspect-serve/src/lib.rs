//! `wsinspect serve`: live capture. One process serves the page, the live feed
//! (`/api/live`) and the relays (`--proxy LISTEN=UPSTREAM`), each a byte-exact reverse proxy to
//! one fixed upstream whose traffic is decoded by the core's session engine as it passes, and
//! optionally records it (pcapng, JSON lines). The decoding is the core's; the recording's
//! packets are wsinspect-capture's; this crate is the sockets, the clock and the files.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let config = wsinspect_serve::Config {
//!     proxies: vec!["127.0.0.1:9001=ws://127.0.0.1:8765".parse().unwrap()],
//!     ..wsinspect_serve::Config::default()
//! };
//! let server = wsinspect_serve::Server::start(config).await?;
//! println!("page and feed on http://{}/", server.page_addr());
//! tokio::signal::ctrl_c().await?;
//! server.shutdown().await
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chunk;
pub mod decode;
pub mod event;
pub mod feed;
pub mod http;
pub mod inject;
pub mod line;
pub mod pcap;
pub mod proxy;
pub mod record;
pub mod tls;
pub mod web;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wsinspect_core::session::SessionConfig;
use wsinspect_core::stream::{Keep, Retain};

use event::{now, relay_line, ConnId, RelayEvent};
use feed::{Feed, Line};
use proxy::{Listen, ProxySpec};
use record::{Item, RecordTx, Recorder};

/// The default port of the page and the feed.
pub const DEFAULT_PORT: u16 = 8080;

/// The default number of payload bytes each frame and message event keeps: enough to read a
/// message in the page; the recording has every byte. (Hex in JSON costs four times the bytes
/// kept per frame and message: at 64 KiB the decoder of a bulk transfer serialises more than
/// the relay forwards.)
pub const DEFAULT_KEEP: usize = 4 << 10;

/// What to serve.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address every listener given as a bare port binds to (default 127.0.0.1).
    pub bind: IpAddr,
    /// The page's and the feed's port (0: any free one).
    pub port: u16,
    /// The relays.
    pub proxies: Vec<ProxySpec>,
    /// Trunk's built `dist/` directory (none: a note saying how to build it).
    pub dist: Option<PathBuf>,
    /// Record every relayed chunk here as pcapng.
    pub record_pcapng: Option<PathBuf>,
    /// Record every feed line here.
    pub record_jsonl: Option<PathBuf>,
    /// Read a pcap or pcapng stream from here (`-`: standard input) into the feed.
    pub pcap: Option<PathBuf>,
    /// Follow `pcap` as it grows (a file a capture tool is still writing), as `tail -f` does,
    /// instead of ending at its end.
    pub pcap_follow: bool,
    /// Payload bytes kept in each frame and message event.
    pub keep: usize,
    /// Lines queued per feed subscriber before lines are dropped.
    pub feed_queue: usize,
    /// Lines replayed to a subscriber that connects late.
    pub backlog: usize,
    /// The bound on a request head (431 above it).
    pub max_head: usize,
    /// More certificates (PEM) to trust for `wss://` upstreams, besides the web's roots.
    pub ca: Option<PathBuf>,
    /// Let the page inject new messages into relayed connections (`--allow-inject`).
    pub allow_inject: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            proxies: Vec::new(),
            dist: None,
            record_pcapng: None,
            record_jsonl: None,
            pcap: None,
            pcap_follow: false,
            keep: DEFAULT_KEEP,
            feed_queue: feed::DEFAULT_QUEUE,
            backlog: feed::DEFAULT_BACKLOG,
            max_head: http::DEFAULT_MAX_HEAD,
            ca: None,
            allow_inject: false,
        }
    }
}

/// What every connection shares: the feed, the recorder, the id counter, the settings.
pub struct Hub {
    feed: Feed,
    record: Option<RecordTx>,
    next: AtomicU64,
    session_config: SessionConfig,
    max_head: usize,
    hello: Line,
    /// Bytes relayed but not decoded (a decoder too far behind), over the run.
    undecoded: AtomicU64,
    /// For `wss://` upstreams.
    tls: Option<tokio_rustls::TlsConnector>,
    /// The open connections' injection queues; `None` unless `--allow-inject`.
    injections: Option<inject::Registry>,
}

/// The first line each subscriber gets.
#[derive(Serialize)]
struct Hello<'a> {
    event: &'static str,
    data: HelloData<'a>,
}

#[derive(Serialize)]
struct HelloData<'a> {
    v: u32,
    session_event_version: u32,
    relays: &'a [RelayInfo],
    keep: usize,
    backlog: usize,
    /// Whether the page may inject (`--allow-inject`).
    inject: bool,
}

/// One relay, as the greeting lists it.
#[derive(Clone, Debug, Serialize)]
pub struct RelayInfo {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Its upstream.
    pub upstream: String,
}

impl Hub {
    fn next_id(&self) -> ConnId {
        ConnId(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn hello(&self) -> Line {
        self.hello.clone()
    }

    fn records_packets(&self) -> bool {
        self.record.as_ref().is_some_and(|r| r.packets)
    }

    /// Publish lines to the feed and the JSON-lines recording, in order.
    async fn publish(&self, lines: Vec<Line>) {
        let record = self.record.as_ref().filter(|r| r.lines);
        for line in lines {
            if let Some(r) = record {
                // Written for the file anyway: the feed keeps the text, not the bytes too.
                let line = line.into_text();
                r.send(Item::Line(line.clone())).await;
                self.feed.publish(line);
                continue;
            }
            self.feed.publish(line);
        }
    }

    async fn relay_event(&self, id: ConnId, event: &RelayEvent) {
        self.publish(vec![relay_line(id, now(), event)]).await;
    }

    /// A command from the page: queue the injection, or say why not.
    fn inject(&self, cmd: &inject::Command) -> Result<(), String> {
        match &self.injections {
            Some(r) => r.send(cmd),
            None => Err("injection is off: start wsinspect serve with --allow-inject".into()),
        }
    }

    async fn record(&self, item: Item) {
        if let Some(r) = self.record.as_ref().filter(|r| r.packets) {
            r.send(item).await;
        }
    }
}

/// A running server.
pub struct Server {
    page_addr: SocketAddr,
    relays: Vec<RelayInfo>,
    tasks: Vec<JoinHandle<()>>,
    recorder: Option<Recorder>,
    hub: Arc<Hub>,
}

impl Server {
    /// Bind every listener (an address in use is an error here, before anything runs), open
    /// the recording files, and start serving.
    pub async fn start(config: Config) -> io::Result<Server> {
        let page = web::Page::load(config.dist.as_deref())?;
        let page_listener = TcpListener::bind((config.bind, config.port))
            .await
            .map_err(|e| named(e, &format!("listening on {}:{}", config.bind, config.port)))?;
        let page_addr = page_listener.local_addr()?;
        let mut relays = Vec::new();
        let mut relay_listeners = Vec::new();
        for spec in &config.proxies {
            let addr = match spec.listen {
                Listen::Port(p) => SocketAddr::new(config.bind, p),
                Listen::Addr(a) => a,
            };
            let l = TcpListener::bind(addr)
                .await
                .map_err(|e| named(e, &format!("listening on {addr} for {}", spec.upstream.url)))?;
            relays.push(RelayInfo {
                listen: l.local_addr()?,
                upstream: spec.upstream.url.clone(),
            });
            relay_listeners.push((l, Arc::new(spec.upstream.clone())));
        }
        let tls = if config.proxies.iter().any(|p| p.upstream.tls) {
            Some(tls::connector(config.ca.as_deref())?)
        } else {
            None
        };
        let recorder = Recorder::start(
            config.record_pcapng.as_deref(),
            config.record_jsonl.as_deref(),
        )?;
        let keep = Keep::Prefix(config.keep);
        let session_config = SessionConfig {
            retain: Retain {
                frames: keep,
                messages: keep,
            },
            ..SessionConfig::default()
        };
        let hello = serde_json::to_string(&Hello {
            event: "hello",
            data: HelloData {
                v: event::RELAY_EVENT_VERSION,
                session_event_version: wsinspect_core::session::EVENT_VERSION,
                relays: &relays,
                keep: config.keep,
                backlog: config.backlog,
                inject: config.allow_inject,
            },
        })
        .map_err(io::Error::other)?;
        let hub = Arc::new(Hub {
            feed: Feed::new(config.feed_queue, config.backlog),
            record: recorder.as_ref().map(Recorder::tx),
            next: AtomicU64::new(0),
            session_config,
            max_head: config.max_head,
            hello: hello.into(),
            undecoded: AtomicU64::new(0),
            tls,
            injections: config.allow_inject.then(inject::Registry::default),
        });
        let relay_addrs: Vec<SocketAddr> = relays.iter().map(|r| r.listen).collect();
        let page = page.with_relays(&relay_addrs);
        let site = Arc::new(web::Site::new(page, page_addr));
        let mut tasks = vec![tokio::spawn(web::serve(hub.clone(), page_listener, site))];
        for (l, upstream) in relay_listeners {
            tasks.push(tokio::spawn(proxy::serve(hub.clone(), l, upstream)));
        }
        if let Some(source) = &config.pcap {
            tasks.push(pcap::spawn(hub.clone(), source.clone(), config.pcap_follow));
        }
        Ok(Server {
            page_addr,
            relays,
            tasks,
            recorder,
            hub,
        })
    }

    /// Where the page and the feed are.
    pub fn page_addr(&self) -> SocketAddr {
        self.page_addr
    }

    /// The relays, in the order given.
    pub fn relays(&self) -> &[RelayInfo] {
        &self.relays
    }

    /// How many pages are subscribed to the feed now.
    pub fn subscribers(&self) -> usize {
        self.hub.feed.subscribers()
    }

    /// Bytes relayed but not decoded so far, because a connection's decoder was too far
    /// behind (each is also a `lost` line in the feed).
    pub fn undecoded_bytes(&self) -> u64 {
        self.hub.undecoded.load(Ordering::Relaxed)
    }

    /// Stop listening, then write what the recorder has queued and close its files. Open
    /// connections are dropped when the runtime ends.
    pub async fn shutdown(self) -> io::Result<()> {
        for t in &self.tasks {
            t.abort();
        }
        match self.recorder {
            Some(r) => r.finish().await,
            None => Ok(()),
        }
    }
}

fn named(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
