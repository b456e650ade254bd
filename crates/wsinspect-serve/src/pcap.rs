//! `--pcap FILE|-`: a pcap or pcapng stream (e.g. `tcpdump -i lo -U -w - port 8888`) read as it
//! arrives, through wsinspect-capture's sans-IO reader, into the live feed. A thread reads the
//! bytes (standard input, or a file: to its end, or with `--follow` as it grows, like
//! `tail -f`, for a file dumpcap or tcpdump is still writing); a task feeds them to the
//! capture and publishes its events with ids from the server's one counter, in the shapes
//! `wsinspect pcap --jsonl` prints.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};

use crate::event::{session_line, ConnId};
use crate::feed::Line;
use crate::Hub;

/// A line that is not a session event: `{"connection", "event", "data"}` (as `wsinspect pcap
/// --jsonl` prints them, with `source: "pcap"`).
#[derive(Serialize)]
struct Other<'a, T: Serialize> {
    connection: ConnId,
    source: &'static str,
    event: &'static str,
    data: &'a T,
}

fn other<T: Serialize>(connection: ConnId, event: &'static str, data: &T) -> Line {
    let line = Other {
        connection,
        source: "pcap",
        event,
        data,
    };
    serde_json::to_string(&line).unwrap_or_default().into()
}

/// How often a followed file is looked at again once its end is reached.
pub const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Start reading `source` (`-`: standard input), following it as it grows when `follow`.
pub fn spawn(hub: Arc<Hub>, source: PathBuf, follow: bool) -> JoinHandle<()> {
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, String>>(8);
    let name = source.display().to_string();
    std::thread::spawn(move || read(&source, follow, &tx));
    tokio::spawn(run(hub, rx, name))
}

/// At the end of a followed file: wait for more, or say it shrank (rewritten from the start:
/// what was read no longer matches it). `Ok(false)` when nobody reads the chunks any more.
fn wait_for_more(
    source: &std::path::Path,
    read_so_far: u64,
    tx: &mpsc::Sender<Result<Vec<u8>, String>>,
) -> Result<bool, String> {
    if tx.is_closed() {
        return Ok(false);
    }
    std::thread::sleep(FOLLOW_POLL);
    let len = std::fs::metadata(source)
        .map_err(|e| format!("following {}: {e}", source.display()))?
        .len();
    if len < read_so_far {
        return Err(format!(
            "following {}: the file shrank to {len} bytes after {read_so_far} were read (it was \
             rewritten); start again to read the new one",
            source.display()
        ));
    }
    Ok(true)
}

/// The reading thread: chunks until the end (for a followed file, until nobody reads them), or
/// an error (sent as the last item).
fn read(source: &std::path::Path, follow: bool, tx: &mpsc::Sender<Result<Vec<u8>, String>>) {
    let follow = follow && source.as_os_str() != "-";
    let mut input: Box<dyn std::io::Read> = if source.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(source) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let _ = tx.blocking_send(Err(format!("reading {}: {e}", source.display())));
                return;
            }
        }
    };
    let mut buf = vec![0u8; 64 << 10];
    let mut read_so_far = 0u64;
    loop {
        match input.read(&mut buf) {
            Ok(0) if follow => match wait_for_more(source, read_so_far, tx) {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            },
            Ok(0) => return,
            Ok(n) => {
                read_so_far += n as u64;
                if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(format!("reading {}: {e}", source.display())));
                return;
            }
        }
    }
}

async fn run(hub: Arc<Hub>, mut rx: mpsc::Receiver<Result<Vec<u8>, String>>, name: String) {
    let mut capture = Capture::new(CaptureConfig {
        session: hub.session_config.clone(),
        ..CaptureConfig::default()
    });
    let mut ids = HashMap::new();
    let mut failed = None;
    while let Some(chunk) = rx.recv().await {
        let result = chunk.and_then(|c| capture.feed(&c).map_err(|e| format!("{name}: {e}")));
        drain(&hub, &mut capture, &mut ids).await;
        if let Err(e) = result {
            failed = Some(e);
            break;
        }
    }
    if failed.is_none() {
        if let Err(e) = capture.finish() {
            failed = Some(format!("{name}: {e}"));
        }
    }
    drain(&hub, &mut capture, &mut ids).await;
    let id = hub.next_id();
    hub.publish(vec![other(id, "totals", capture.totals())])
        .await;
    if let Some(e) = failed {
        hub.publish(vec![other(id, "capture_error", &e)]).await;
    }
}

async fn drain(hub: &Hub, capture: &mut Capture, ids: &mut HashMap<u64, ConnId>) {
    let mut lines = Vec::new();
    while let Some(e) = capture.poll_event() {
        let mut id = |n: u64| *ids.entry(n).or_insert_with(|| hub.next_id());
        let line = match &e {
            // Only from a capture whose sessions run outside it; this one's run inside.
            CaptureEvent::Input { .. } => continue,
            CaptureEvent::Connection(c) => other(id(c.id), "connection", c),
            CaptureEvent::Event { connection, event } => session_line(id(*connection), event),
            CaptureEvent::Note(n) => other(id(n.connection), "capture_note", n),
            CaptureEvent::Tls { connection, tls } => other(id(*connection), "tls", tls),
            CaptureEvent::Closed { connection, .. } => {
                // Its id is not needed again: the map holds only open connections.
                let line = other(id(*connection), "closed", &());
                ids.remove(connection);
                line
            }
            CaptureEvent::OtherFlow(f) => {
                let line = other(id(f.id), "other_flow", f);
                ids.remove(&f.id);
                line
            }
        };
        lines.push(line);
    }
    hub.publish(lines).await;
}
