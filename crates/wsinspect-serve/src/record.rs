//! Recording: every relayed chunk into a pcapng file (wsinspect-capture's sans-IO writer, one
//! synthetic TCP flow per connection) and every feed line into a JSON-lines file. The files are
//! written on a thread of their own, from a bounded queue, and flushed whenever the queue runs
//! dry, so they can be read while they grow; `finish` writes what is queued and flushes.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;
use wsinspect_capture::write::{file_header, Flow};
use wsinspect_core::common::Direction;
use wsinspect_core::session::Timestamp;

use crate::event::ConnId;
use crate::feed::Line;

/// What the recorder is told.
#[derive(Debug)]
pub enum Item {
    /// A connection opened.
    Open {
        /// Its id.
        id: ConnId,
        /// The client's address.
        client: SocketAddr,
        /// The server's.
        server: SocketAddr,
        /// When.
        time: Timestamp,
    },
    /// Bytes one side sent.
    Data {
        /// The connection.
        id: ConnId,
        /// Who sent them.
        direction: Direction,
        /// They (shared with the relay and the decoder, not copied).
        bytes: bytes::Bytes,
        /// When they were read.
        time: Timestamp,
    },
    /// One side ended.
    Fin {
        /// The connection.
        id: ConnId,
        /// Which side.
        direction: Direction,
        /// When.
        time: Timestamp,
    },
    /// The connection is over: its flow is forgotten.
    Close {
        /// The connection.
        id: ConnId,
    },
    /// A feed line.
    Line(Line),
    /// Write what is queued, flush, stop.
    Stop,
}

/// The handle the relays send to.
#[derive(Clone)]
pub struct RecordTx {
    tx: mpsc::Sender<Item>,
    /// A pcapng file is written: send `Open`, `Data`, `Fin`, `Close`.
    pub packets: bool,
    /// A JSON-lines file is written: send `Line`.
    pub lines: bool,
}

impl RecordTx {
    /// Queue an item (waits while the queue is full: a recording is never cut).
    pub async fn send(&self, item: Item) {
        let _ = self.tx.send(item).await;
    }
}

/// The recording thread.
pub struct Recorder {
    tx: RecordTx,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

/// How many items wait for the disk at most.
const QUEUE: usize = 4096;

impl Recorder {
    /// Create the files (an error here is reported before anything listens) and start the
    /// thread; `None` when nothing is recorded.
    pub fn start(pcapng: Option<&Path>, jsonl: Option<&Path>) -> io::Result<Option<Recorder>> {
        if pcapng.is_none() && jsonl.is_none() {
            return Ok(None);
        }
        let open = |p: &Path| {
            File::create(p)
                .map(|f| BufWriter::with_capacity(256 << 10, f))
                .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", p.display())))
        };
        let mut packets = pcapng.map(open).transpose()?;
        if let Some(w) = &mut packets {
            w.write_all(&file_header())?;
        }
        let lines = jsonl.map(open).transpose()?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let handle = RecordTx {
            tx,
            packets: packets.is_some(),
            lines: lines.is_some(),
        };
        let names = [pcapng, jsonl].map(|p| p.map(Path::to_path_buf));
        let thread = std::thread::Builder::new()
            .name("wsinspect-record".into())
            .spawn(move || {
                Writer {
                    packets,
                    lines,
                    flows: HashMap::new(),
                    names,
                }
                .run(rx)
            })?;
        Ok(Some(Recorder { tx: handle, thread }))
    }

    /// The handle to send to.
    pub fn tx(&self) -> RecordTx {
        self.tx.clone()
    }

    /// Write what is queued, flush and close the files.
    pub async fn finish(self) -> io::Result<()> {
        self.tx.send(Item::Stop).await;
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(io::Error::other)?
            .map_err(|_| io::Error::other("the recording thread panicked"))?
    }
}

struct Writer {
    packets: Option<BufWriter<File>>,
    lines: Option<BufWriter<File>>,
    flows: HashMap<ConnId, Flow>,
    names: [Option<PathBuf>; 2],
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Item>) -> io::Result<()> {
        let mut buf = Vec::new();
        loop {
            let item = match rx.try_recv() {
                Ok(item) => item,
                Err(mpsc::error::TryRecvError::Empty) => {
                    self.flush()?;
                    match rx.blocking_recv() {
                        Some(item) => item,
                        None => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            };
            if matches!(item, Item::Stop) {
                break;
            }
            buf.clear();
            self.item(item, &mut buf)?;
        }
        self.flush()
    }

    fn item(&mut self, item: Item, buf: &mut Vec<u8>) -> io::Result<()> {
        match item {
            Item::Open {
                id,
                client,
                server,
                time,
            } => {
                let mut flow = Flow::new(client, server);
                flow.open(time, buf);
                self.flows.insert(id, flow);
            }
            Item::Data {
                id,
                direction,
                bytes,
                time,
            } => {
                if let Some(flow) = self.flows.get_mut(&id) {
                    flow.data(direction, &bytes, time, buf);
                }
            }
            Item::Fin {
                id,
                direction,
                time,
            } => {
                if let Some(flow) = self.flows.get_mut(&id) {
                    flow.fin(direction, time, buf);
                }
            }
            Item::Close { id } => {
                self.flows.remove(&id);
            }
            Item::Line(line) => {
                if let Some(w) = &mut self.lines {
                    w.write_all(line.as_bytes())
                        .and_then(|()| w.write_all(b"\n"))
                        .map_err(|e| self.named(1, e))?;
                }
            }
            Item::Stop => {}
        }
        if !buf.is_empty() {
            if let Some(w) = &mut self.packets {
                w.write_all(buf).map_err(|e| self.named(0, e))?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(w) = &mut self.packets {
            w.flush().map_err(|e| self.named(0, e))?;
        }
        if let Some(w) = &mut self.lines {
            w.flush().map_err(|e| self.named(1, e))?;
        }
        Ok(())
    }

    fn named(&self, which: usize, e: io::Error) -> io::Error {
        let name = self.names[which]
            .as_deref()
            .map_or_else(String::new, |p| p.display().to_string());
        io::Error::new(e.kind(), format!("writing {name}: {e}"))
    }
}
