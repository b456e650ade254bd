//! The session engine: arbitrary bytes for both directions, with or without an HTTP handshake,
//! with or without permessage-deflate forced (context takeover or not, small windows), fed in
//! arbitrary interleaved chunks with gaps. Invariants: no panic; each direction's events are the
//! same however the bytes were chunked; every event reads back from JSON as itself; each frame's
//! header fields tile its header bits; what the events hold is bounded by the input plus the
//! inflate budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_core::ext::extensions::{Deflate, DeflateParams};
use wsinspect_core::session::{ConnectionCollector, Event, EventKind, Session, SessionConfig};
use wsinspect_core::stream::DecodeConfig;
use wsinspect_core::Direction;

const BUDGET: u64 = 1 << 20;

fn config(flags: u8) -> SessionConfig {
    let params = |no_context_takeover, bits| DeflateParams {
        no_context_takeover,
        max_window_bits: bits,
    };
    let deflate = (flags & 2 != 0).then(|| Deflate {
        client: params(flags & 4 != 0, 8 + (flags >> 4 & 7)),
        server: params(flags & 8 != 0, 15 - (flags >> 4 & 7)),
    });
    SessionConfig {
        handshake: flags & 1 != 0,
        force_extensions: deflate.is_some(),
        decode: DecodeConfig {
            deflate,
            max_inflated: 1 << 18,
            inflate_budget: BUDGET,
            ..DecodeConfig::default()
        },
        ..SessionConfig::default()
    }
}

/// Where the client's head ends by the session's rule (a line feed, then CRLF or LF), or all of
/// it: before that, a response has nothing to be checked against, so the order would matter.
fn head_end(client: &[u8]) -> usize {
    (0..client.len())
        .find(|&i| client[i] == b'\n' && matches!(client.get(i + 1), Some(b'\n')))
        .map(|i| i + 2)
        .into_iter()
        .chain((0..client.len()).find(|&i| client[i..].starts_with(b"\n\r\n")).map(|i| i + 3))
        .min()
        .unwrap_or(client.len())
}

/// Feed `client` and `server` in chunks drawn from `seed` (the client's request head first, as
/// on a real connection), a gap where the seed says, then finish both.
fn run(config: SessionConfig, client: &[u8], server: &[u8], seed: &[u8]) -> Vec<Event> {
    let request = head_end(client);
    let mut s = Session::new(config);
    let mut events = Vec::new();
    let (mut at, mut seeds) = ([0usize; 2], seed.iter().cycle());
    let bufs = [client, server];
    while at[0] < client.len() || at[1] < server.len() {
        let b = if seed.is_empty() { 0xff } else { *seeds.next().unwrap() };
        let mut side = usize::from(b & 1 == 1 && at[0] >= request);
        if at[side] >= bufs[side].len() {
            side = 1 - side;
        }
        let d = [Direction::Client, Direction::Server][side];
        let end = (at[side] + 1 + usize::from(b >> 1) * 3).min(bufs[side].len());
        s.feed(d, &bufs[side][at[side]..end], None);
        at[side] = end;
        events.extend(std::iter::from_fn(|| s.poll_event()));
    }
    s.finish(Direction::Client, None);
    s.finish(Direction::Server, None);
    events.extend(std::iter::from_fn(|| s.poll_event()));
    events
}

/// Each direction's events. An HTTP body (after a refused upgrade) is reported as its bytes
/// arrive, so consecutive `body` events are merged into one: only their total (and their
/// prefixes joined: the body's first bytes) is invariant.
fn per_direction(events: &[Event]) -> [Vec<Event>; 2] {
    let mut out: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    for e in events {
        let side = &mut out[usize::from(e.direction == Direction::Server)];
        if let (EventKind::Body { len, prefix }, Some(last)) = (&e.kind, side.last_mut()) {
            if let EventKind::Body {
                len: total,
                prefix: kept,
            } = &mut last.kind
            {
                *total += len;
                kept.0.extend_from_slice(&prefix.0);
                last.end = e.end;
                continue;
            }
        }
        side.push(e.clone());
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // flags, the client's length (2 bytes, big-endian), the seed's length, the seed, the bytes.
    if data.len() < 4 {
        return;
    }
    let flags = data[0];
    let split = usize::from(u16::from_be_bytes([data[1], data[2]]));
    let seed_len = usize::from(data[3] & 15);
    let rest = &data[4..];
    let seed = &rest[..seed_len.min(rest.len())];
    let bytes = &rest[seed.len()..];
    let (client, server) = bytes.split_at(split.min(bytes.len()));
    let whole = run(config(flags), client, server, &[]);
    let chunked = run(config(flags), client, server, seed);
    let (w, c) = (per_direction(&whole), per_direction(&chunked));
    for d in 0..2 {
        let at = w[d].iter().zip(&c[d]).position(|(a, b)| a != b);
        let brief = |e: Option<&Event>| {
            let mut j = e.map(|e| serde_json::to_string(e).unwrap()).unwrap_or_default();
            j.truncate(j.char_indices().nth(400).map_or(j.len(), |(i, _)| i));
            j
        };
        assert!(
            at.is_none() && w[d].len() == c[d].len(),
            "direction {d}: chunking changed the events at {at:?} ({} vs {} events):\n{}\n{}",
            w[d].len(),
            c[d].len(),
            brief(at.map(|i| &w[d][i])),
            brief(at.map(|i| &c[d][i])),
        );
    }
    let mut held = 0u64;
    let mut report = ConnectionCollector::default();
    for e in &whole {
        let json = serde_json::to_string(e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        // The upgrade's whole handshake analysis is not serialised (a reader has the heads).
        let mut written = e.clone();
        if let EventKind::Upgrade(u) = &mut written.kind {
            u.report = None;
        }
        assert!(back == written, "{json}\n{e:?}\n{back:?}");
        match &e.kind {
            EventKind::Frame(f) => held += f.payload.kept.0.len() as u64,
            EventKind::Message(m) => held += m.payload.kept.0.len() as u64,
            _ => {}
        }
        report.push(e.clone());
    }
    // A frame's payload and its message's are each at most the input, or inflated output.
    assert!(held <= 2 * bytes.len() as u64 + BUDGET, "{held} bytes held");
    let report = report.finish();
    for f in report.client.frames.iter().chain(&report.server.frames) {
        let bits = f.header.header_len * 8;
        let mut spans: Vec<_> = f.fields.iter().map(|v| v.bits.clone()).collect();
        spans.sort_by_key(|r| r.start);
        let mut next = 0;
        for s in &spans {
            assert_eq!(s.start, next, "fields tile the header: {spans:?}");
            next = s.end;
        }
        assert_eq!(next, bits, "fields cover the header: {spans:?}");
        for v in &f.fields {
            assert!(v.bytes.end <= f.header.header_len);
        }
    }
});
