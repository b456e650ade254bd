//! `wsinspect serve`: live capture (crates/wsinspect-serve does the work; docs/live.md). This
//! file reads the flags, says where everything is, and stops cleanly on Ctrl-C.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use wsinspect_serve::proxy::{Listen, ProxySpec};
use wsinspect_serve::{Config, Server};

/// Arguments of `wsinspect serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The port of the page and the live feed (ws://127.0.0.1:PORT/api/live).
    #[arg(long, default_value_t = wsinspect_serve::DEFAULT_PORT)]
    port: u16,
    /// Listen on this address instead of 127.0.0.1 (anyone who can reach it sees the traffic).
    #[arg(long)]
    bind: Option<IpAddr>,
    /// A relay: LISTEN=UPSTREAM, e.g. 127.0.0.1:9001=ws://127.0.0.1:8765 (or 9001=...); clients
    /// connect to LISTEN and are relayed byte for byte to that one upstream (wss://: over TLS,
    /// the client speaking plain ws to the relay). Repeatable.
    #[arg(long, value_name = "LISTEN=UPSTREAM")]
    proxy: Vec<ProxySpec>,
    /// Record every relayed byte to this pcapng file (Wireshark, tshark, wsinspect pcap read it).
    #[arg(long, value_name = "FILE.pcapng")]
    record: Option<PathBuf>,
    /// Record every feed line (the events, one JSON object a line) to this file.
    #[arg(long, value_name = "FILE")]
    record_jsonl: Option<PathBuf>,
    /// Also decode a pcap/pcapng stream into the feed (`-`: standard input, e.g. from
    /// `tcpdump -i lo -U -w - port 8888`).
    #[arg(long, value_name = "FILE|-")]
    pcap: Option<PathBuf>,
    /// Follow the --pcap FILE as it grows (one dumpcap or tcpdump is still writing), like
    /// `tail -f`, instead of ending at its end.
    #[arg(long, requires = "pcap")]
    follow: bool,
    /// The page Trunk built (default: ./dist when it has an index.html).
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// Also trust these certificates (PEM) for wss:// upstreams, besides the web's roots.
    #[arg(long, value_name = "FILE.pem")]
    ca: Option<PathBuf>,
    /// Payload bytes kept in each frame and message event of the feed.
    #[arg(long, default_value_t = wsinspect_serve::DEFAULT_KEEP)]
    keep: usize,
    /// Let the page send new messages into relayed connections (between whole frames).
    #[arg(long)]
    allow_inject: bool,
}

pub fn run(args: ServeArgs) -> Result<()> {
    let bind = args.bind.unwrap_or(Config::default().bind);
    let outside = |ip: IpAddr| !ip.is_loopback();
    if outside(bind) {
        eprintln!("wsinspect: warning: listening on {bind}: anyone who can reach this address can watch the relayed traffic and use the relays");
    }
    for p in &args.proxy {
        if let Listen::Addr(a) = p.listen {
            if outside(a.ip()) && !outside(bind) {
                anyhow::bail!("--proxy {a}: listening beyond loopback needs --bind {} too (and prints a warning)", a.ip());
            }
        }
    }
    let dist = args.dist.or_else(|| {
        let here = PathBuf::from("dist");
        here.join("index.html").is_file().then_some(here)
    });
    let config = Config {
        bind,
        port: args.port,
        proxies: args.proxy,
        dist,
        record_pcapng: args.record,
        record_jsonl: args.record_jsonl,
        pcap: args.pcap,
        pcap_follow: args.follow,
        keep: args.keep,
        ca: args.ca,
        allow_inject: args.allow_inject,
        ..Config::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let dist = config.dist.clone();
        let inject = config.allow_inject;
        let server = Server::start(config).await?;
        let page = server.page_addr();
        match &dist {
            Some(d) => {
                println!("wsinspect: the page ({}) on http://{page}/", d.display());
                println!("wsinspect: the live view on http://{page}/live");
            }
            None => println!("wsinspect: no built page (--dist DIR); a note on http://{page}/"),
        }
        println!("wsinspect: the live feed on ws://{page}/api/live");
        for r in server.relays() {
            println!("wsinspect: relay {} -> {}", r.listen, r.upstream);
        }
        if inject {
            println!("wsinspect: --allow-inject: the page may send new messages into relayed connections");
        }
        // The handler is in place (its future polled once) before the line says Ctrl-C works:
        // a Ctrl-C right after it stops cleanly too, however late this task runs.
        let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
        let early = tokio::select! {
            biased;
            r = &mut ctrl_c => Some(r),
            _ = std::future::ready(()) => None,
        };
        println!("wsinspect: Ctrl-C to stop");
        match early {
            Some(r) => r,
            None => ctrl_c.await,
        }
        .context("waiting for Ctrl-C")?;
        server.shutdown().await.context("finishing the recording")?;
        println!("wsinspect: stopped");
        anyhow::Ok(())
    })?;
    // Relayed connections still open end with the runtime.
    runtime.shutdown_background();
    Ok(())
}
