//! `wsinspect`: a thin shell over wsinspect-core. Parsing, decoding and formatting live in the
//! core crate; this file reads arguments and files and prints.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

/// mimalloc instead of the system's malloc: a capture makes a few small allocations per packet
/// and per event, where glibc's malloc and free took a fifth of `pcap --summary`'s time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod accept;
mod decode;
mod diagnose;
mod encode;
mod explain;
mod handshake;
mod har;
mod ids;
mod output;
mod payload;
mod pcap;
mod serve;
mod tls;

/// WebSocket protocol inspector.
#[derive(Parser)]
#[command(name = "wsinspect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute Sec-WebSocket-Accept for a Sec-WebSocket-Key, step by step.
    Accept(accept::AcceptArgs),
    /// Decode a WebSocket byte stream: frames, messages and what is wrong with them.
    Decode(decode::DecodeArgs),
    /// Build one frame from its fields (including deliberately wrong ones) and print it as hex.
    Encode(encode::EncodeArgs),
    /// Explain an error text a WebSocket client printed: its likely causes, how to tell them
    /// apart in a capture, and what to change.
    Explain(explain::ExplainArgs),
    /// Check an opening handshake (request, response or both) against RFC 6455, step by step.
    Handshake(handshake::HandshakeArgs),
    /// Find the WebSocket connections in a pcap or pcapng capture (or a HAR file) and decode them.
    Pcap(pcap::PcapArgs),
    /// Live capture: relay WebSocket traffic byte for byte, decode it as it passes, serve the
    /// page and the live feed, record pcapng.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Accept(args) => accept::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Encode(args) => encode::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Handshake(args) => handshake::run(args),
        Command::Pcap(args) => pcap::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One clear line (with its causes), never a backtrace: bad input is normal input.
            eprintln!("wsinspect: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Read a file, or standard input for `-` or no path.
pub(crate) fn read_input(path: Option<&str>) -> Result<Vec<u8>> {
    match path {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            Ok(buf)
        }
        Some(p) => std::fs::read(p).with_context(|| format!("reading {p}")),
    }
}
