//! The hop log: the requests a capture reads that cannot upgrade (the proxy's request to the
//! backend in tests/data/diagnose/proxy-dropped-upgrade.pcapng, nginx with `proxy_pass` only),
//! whatever the chunking; and none from healthy WebSocket captures.

use std::path::PathBuf;

use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent, FlowKind};

fn data(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A hop as compared here: connection, request line, http10, upgrade, connection_upgrade.
type Hop = (u64, String, bool, bool, bool);

/// The capture read in `chunk`-byte pieces: the HTTP other flows' ids and the hop log.
fn read(bytes: &[u8], chunk: usize) -> (Vec<u64>, Vec<Hop>) {
    let mut c = Capture::new(CaptureConfig::default());
    let mut http = Vec::new();
    let mut drain = |c: &mut Capture| {
        while let Some(e) = c.poll_event() {
            if let CaptureEvent::OtherFlow(f) = e {
                if f.kind == FlowKind::Http {
                    http.push(f.id);
                }
            }
        }
    };
    for piece in bytes.chunks(chunk) {
        c.feed(piece).unwrap();
        drain(&mut c);
    }
    c.finish().unwrap();
    drain(&mut c);
    assert!(c.hops().len() <= wsinspect_core::diagnose::hops::MAX_HOPS);
    let hops = (0..c.hops().len())
        .map(|i| c.hops().get(i).unwrap())
        .map(|h| {
            (
                h.connection,
                h.line.clone(),
                h.http10,
                h.upgrade,
                h.connection_upgrade,
            )
        })
        .collect();
    http.sort_unstable();
    (http, hops)
}

#[test]
fn the_proxys_requests_to_the_backend_are_in_the_hop_log() {
    let bytes = data("diagnose/proxy-dropped-upgrade.pcapng");
    let (http, hops) = read(&bytes, 1 << 16);
    assert_eq!(http.len(), 3, "{http:?}");
    let mut ids: Vec<u64> = hops.iter().map(|h| h.0).collect();
    ids.sort_unstable();
    assert_eq!(ids, http, "one request per HTTP flow: {hops:?}");
    for h in &hops {
        assert_eq!(
            (&*h.1, h.2, h.3, h.4),
            ("GET / HTTP/1.0", true, false, false),
            "{h:?}"
        );
    }
    for chunk in [1, 7, 4096] {
        assert_eq!(read(&bytes, chunk).1, hops, "chunks of {chunk}");
    }
}

#[test]
fn upgrade_requests_are_not_hops_and_plain_ones_are() {
    // nginx with the WebSocket headers: both hops upgrade.
    for path in ["diagnose/accept.pcapng", "diagnose/idle-timeout.pcapng"] {
        let (_, hops) = read(&data(path), 1 << 16);
        assert!(hops.is_empty(), "{path}: {hops:?}");
    }
    // echo.pcapng's plain GET beside its WebSocket connections (a refused upgrade to /plain
    // made while it was in flight would be linked to it; none is refused there).
    let (http, hops) = read(&data("pcap/echo.pcapng"), 1 << 16);
    assert_eq!(hops.len(), 1, "{hops:?}");
    assert!(http.contains(&hops[0].0));
    assert_eq!(
        (&*hops[0].1, hops[0].2, hops[0].3, hops[0].4),
        ("GET /plain HTTP/1.1", false, false, false)
    );
}
