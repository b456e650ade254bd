//! Sessions run outside the capture (`Sessions::Outside`, a `SessionHost` per share of the
//! connections, as `wsinspect pcap --summary` runs them on several threads) give the events a
//! capture running them inside gives, in the same order, for every capture fixture: plain,
//! compressed, fragmented, cut, a lost segment, TLS with embedded secrets, refused upgrades and
//! a proxy's two hops.

use std::path::PathBuf;

use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent, SessionHost, Sessions};

/// Every `.pcap` and `.pcapng` file under tests/data.
fn fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The capture's events, fed in chunks of `chunk` bytes.
fn read(file: &[u8], sessions: Sessions, chunk: usize) -> Vec<CaptureEvent> {
    let mut c = Capture::new(CaptureConfig {
        sessions,
        ..CaptureConfig::default()
    });
    let mut out = Vec::new();
    for part in file.chunks(chunk) {
        let _ = c.feed(part);
        while let Some(e) = c.poll_event() {
            out.push(e);
        }
    }
    let _ = c.finish();
    while let Some(e) = c.poll_event() {
        out.push(e);
    }
    out
}

/// The id of the connection an event is about (`None` for another flow).
fn connection(e: &CaptureEvent) -> Option<u64> {
    match e {
        CaptureEvent::Connection(c) => Some(c.id),
        CaptureEvent::Event { connection, .. }
        | CaptureEvent::Closed { connection, .. }
        | CaptureEvent::Tls { connection, .. }
        | CaptureEvent::Input { connection, .. } => Some(*connection),
        CaptureEvent::Note(n) => Some(n.connection),
        CaptureEvent::OtherFlow(_) => None,
    }
}

/// `events` with each connection's events given to one of `hosts` hosts (by its id), then
/// put back in the capture's order: each event stays where its input was.
fn hosted(events: Vec<CaptureEvent>, hosts: u64) -> Vec<CaptureEvent> {
    let config = CaptureConfig::default().session;
    let mut each: Vec<_> = (0..hosts)
        .map(|_| SessionHost::new(config.clone()))
        .collect();
    let mut out = Vec::new();
    for e in events {
        let Some(id) = connection(&e) else {
            out.push(e);
            continue;
        };
        let _ = each[(id % hosts) as usize].take(e, &mut |e| out.push(e));
    }
    assert!(each.iter().all(|h| h.open() == 0), "every session ended");
    out
}

#[test]
fn sessions_run_outside_give_the_events_of_sessions_run_inside() {
    let files = fixtures();
    assert!(files.len() >= 20, "{files:?}");
    let mut inputs = 0;
    for p in &files {
        let file = std::fs::read(p).unwrap();
        let inside = read(&file, Sessions::Inside, 64 << 10);
        assert!(
            !inside
                .iter()
                .any(|e| matches!(e, CaptureEvent::Input { .. })),
            "{}",
            p.display()
        );
        for (hosts, chunk) in [(1, 64 << 10), (3, 1000)] {
            let outside = read(&file, Sessions::Outside, chunk);
            inputs += outside
                .iter()
                .filter(|e| matches!(e, CaptureEvent::Input { .. }))
                .count();
            assert!(
                !outside
                    .iter()
                    .any(|e| matches!(e, CaptureEvent::Event { .. })),
                "{}: an event from a session the capture should not run",
                p.display()
            );
            let got = hosted(outside, hosts);
            assert_eq!(got.len(), inside.len(), "{} ({hosts} hosts)", p.display());
            for (i, (a, b)) in got.iter().zip(&inside).enumerate() {
                assert_eq!(a, b, "{}: event {i} ({hosts} hosts)", p.display());
            }
        }
    }
    assert!(inputs > 1000, "{inputs} inputs");
}
