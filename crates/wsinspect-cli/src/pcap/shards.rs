//! `pcap --summary` on several threads. The capture (the file, TCP, the flows) stays on the
//! reading thread; the WebSocket connections' sessions, diagnoses and counts, most of the work
//! (docs/benchmarks.md), are shared between it and the others. The capture hands each
//! session's input over ([`Sessions::Outside`](wsinspect_capture::Sessions)), and sessions do
//! not depend on one another. A connection stays on the thread it started on; a new one goes
//! to the least busy other thread unless that one is behind, then to the reading thread.
//!
//! The text is the one a single thread writes, in the same order: the reading thread keeps a
//! queue of what comes next, its own texts and places for the other threads' (each thread
//! answers in the order it was asked). The queues are bounded by the batches in flight (at most
//! [`QUEUE`] per thread), so memory does not grow with the file.

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};

use anyhow::{anyhow, Result};
use wsinspect_capture::{Capture, CaptureEvent, SessionHost};
use wsinspect_core::diagnose::HopLog;
use wsinspect_core::session::SessionConfig;

use super::{flush_if, quiet, Idle, Progress, Shown, Sink, Source};
use crate::diagnose::Diagnosers;
use crate::ids::IdMap;

/// Batches a thread may have waiting before it takes no more (the reading thread then waits).
const QUEUE: usize = 8;

/// How many batches a thread may have unanswered and still be given new connections. Too few
/// and it runs dry while the reading thread decodes what it could have (on the 100 MB
/// benchmark file with two threads: 2 and 4 of 8 gave 0.32-0.37 s, 6 of 8 0.25-0.26 s, 12 of
/// 16 and 28 of 32 no better, with more memory).
const BEHIND: usize = 6;

/// The events of a chunk for one thread, each `Closed` with the capture's hop log when that
/// is not empty (to link a refused upgrade to a proxy's other hop).
type Batch = Vec<(CaptureEvent, Option<HopLog>)>;

/// What a thread answers a batch with.
#[derive(Default)]
struct Answer {
    /// The text of each `Closed` of the batch, in order.
    texts: Vec<Vec<u8>>,
    /// The buffers of the batch's bytes, read: back to the capture to be filled again (freed on
    /// the thread that made them, which costs less than a free from another thread).
    spent: Vec<Vec<u8>>,
    /// The batch, emptied: to be filled again, without growing a new one for every chunk.
    batch: Batch,
}

/// The connections one thread runs: their sessions, diagnosers and counts.
struct Runner {
    host: SessionHost,
    diag: Diagnosers,
    sink: Sink,
}

impl Runner {
    fn new(config: SessionConfig) -> Runner {
        Runner {
            host: SessionHost::new(config),
            diag: Diagnosers::default(),
            sink: Sink::Summary(IdMap::default()),
        }
    }

    /// Take one event of a connection this runner runs (or of another flow), writing its text
    /// into `out` when it ends; an input's buffer, once read, goes to `spent`.
    fn take(
        &mut self,
        e: CaptureEvent,
        hops: &HopLog,
        out: &mut Vec<u8>,
        spent: &mut Vec<Vec<u8>>,
    ) -> Result<()> {
        let (diag, sink) = (&mut self.diag, &mut self.sink);
        let mut result = Ok(());
        let bytes = self.host.take(e, &mut |e| {
            if result.is_ok() {
                let report = diag.track(&e, hops);
                result = sink.take(e, report, out);
            }
        });
        spent.extend(bytes);
        result
    }
}

/// Another thread's end of the work: its batches out, its answers back.
struct Worker {
    tx: Option<SyncSender<Batch>>,
    rx: Receiver<Answer>,
    /// The batch being filled for it during this chunk.
    batch: Batch,
    /// Batches sent and not yet answered.
    in_flight: usize,
    /// Its texts received and not yet written.
    texts: VecDeque<Vec<u8>>,
    /// Its batches answered, emptied, to fill again.
    empty: Vec<Batch>,
}

impl Worker {
    /// Receive its answers (waiting for one when `wait`), its spent buffers into `spent`; false
    /// when it stopped answering.
    fn receive(&mut self, wait: bool, spent: &mut Vec<Vec<u8>>) -> Result<bool> {
        loop {
            let answer = if wait && self.texts.is_empty() {
                self.rx.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                self.rx.try_recv()
            };
            match answer {
                Ok(answer) => {
                    self.in_flight -= 1;
                    self.texts.extend(answer.texts);
                    spent.extend(answer.spent);
                    self.empty.push(answer.batch);
                }
                Err(TryRecvError::Empty) => return Ok(true),
                Err(TryRecvError::Disconnected) if self.in_flight == 0 => return Ok(false),
                Err(TryRecvError::Disconnected) => {
                    return Err(anyhow!("a summary thread stopped before its work was done"))
                }
            }
            if wait && !self.texts.is_empty() {
                return Ok(true);
            }
        }
    }
}

/// Where a connection runs.
#[derive(Clone, Copy)]
enum Owner {
    Here,
    Worker(usize),
}

/// What the output has next.
enum Slot {
    Text(Vec<u8>),
    /// The next text of this worker.
    Worker(usize),
}

/// The reading thread's side.
struct Shards {
    here: Runner,
    workers: Vec<Worker>,
    owner: IdMap<Owner>,
    queue: VecDeque<Slot>,
    /// Buffers of bytes read, for the capture to fill again.
    spent: Vec<Vec<u8>>,
}

impl Shards {
    /// After a chunk: route the capture's shown events, send the workers theirs, write what is
    /// ready (when the input is idle, all of it: waiting for the workers' texts, and flushed),
    /// and give the capture back the buffers read.
    fn chunk(
        &mut self,
        capture: &mut Capture,
        shown: &mut Shown,
        out: &mut impl io::Write,
        idle: Idle,
    ) -> Result<()> {
        while let Some(e) = capture.poll_event() {
            if shown.admit(&e) {
                self.event(e, capture.hops())?;
            }
        }
        self.send()?;
        self.write(out, idle)?;
        flush_if(idle, out)?;
        for b in self.spent.drain(..) {
            capture.recycle(b);
        }
        Ok(())
    }

    /// Route one shown event of the capture.
    fn event(&mut self, e: CaptureEvent, hops: &HopLog) -> Result<()> {
        let id = match &e {
            CaptureEvent::Connection(c) => {
                let owner = self.choose();
                self.owner.insert(c.id, owner);
                c.id
            }
            CaptureEvent::Event { connection, .. }
            | CaptureEvent::Input { connection, .. }
            | CaptureEvent::Tls { connection, .. }
            | CaptureEvent::Closed { connection, .. } => *connection,
            CaptureEvent::Note(n) => n.connection,
            CaptureEvent::OtherFlow(_) => {
                let mut text = Vec::new();
                self.here.take(e, hops, &mut text, &mut self.spent)?;
                self.queue.push_back(Slot::Text(text));
                return Ok(());
            }
        };
        let closed = matches!(e, CaptureEvent::Closed { .. });
        let owner = if closed {
            self.owner.remove(&id)
        } else {
            self.owner.get(&id).copied()
        };
        match owner {
            None => {}
            Some(Owner::Here) => {
                let mut text = Vec::new();
                self.here.take(e, hops, &mut text, &mut self.spent)?;
                if closed {
                    self.queue.push_back(Slot::Text(text));
                }
            }
            Some(Owner::Worker(i)) => {
                let hops = (closed && !hops.is_empty()).then(|| hops.clone());
                self.workers[i].batch.push((e, hops));
                if closed {
                    self.queue.push_back(Slot::Worker(i));
                }
            }
        }
        Ok(())
    }

    /// The least busy worker, unless it is behind: then here.
    fn choose(&self) -> Owner {
        self.workers
            .iter()
            .enumerate()
            .min_by_key(|(_, w)| w.in_flight)
            .filter(|(_, w)| w.in_flight < BEHIND)
            .map_or(Owner::Here, |(i, _)| Owner::Worker(i))
    }

    /// Send each worker its batch of this chunk.
    fn send(&mut self) -> Result<()> {
        for w in &mut self.workers {
            if w.batch.is_empty() {
                continue;
            }
            let next = w.empty.pop().unwrap_or_default();
            let batch = std::mem::replace(&mut w.batch, next);
            let sent = w.tx.as_ref().map(|tx| tx.send(batch));
            if !matches!(sent, Some(Ok(()))) {
                return Err(anyhow!("a summary thread stopped before its work was done"));
            }
            w.in_flight += 1;
        }
        Ok(())
    }

    /// Write what the queue has ready, in order (waiting for the workers' texts when `wait`).
    fn write(&mut self, out: &mut impl io::Write, wait: bool) -> Result<()> {
        for w in &mut self.workers {
            w.receive(false, &mut self.spent)?;
        }
        while let Some(slot) = self.queue.front() {
            let text = match *slot {
                Slot::Text(_) => match self.queue.pop_front() {
                    Some(Slot::Text(t)) => t,
                    _ => unreachable!("the front was a text"),
                },
                Slot::Worker(i) => {
                    let w = &mut self.workers[i];
                    if w.texts.is_empty() {
                        if !wait {
                            break;
                        }
                        w.receive(true, &mut self.spent)?;
                    }
                    // Each `Closed` sent is answered with a text: none is a thread that ended.
                    let Some(t) = w.texts.pop_front() else {
                        return Err(anyhow!(
                            "a summary thread ended without a connection's text"
                        ));
                    };
                    self.queue.pop_front();
                    t
                }
            };
            quiet(out.write_all(&text))?;
        }
        Ok(())
    }
}

/// A worker thread: run the connections of each batch, answer with their texts.
fn work(rx: Receiver<Batch>, tx: Sender<Answer>, config: SessionConfig) {
    let mut runner = Runner::new(config);
    let none = HopLog::default();
    for mut batch in rx {
        let mut answer = Answer::default();
        for (e, hops) in batch.drain(..) {
            let closed = matches!(e, CaptureEvent::Closed { .. });
            let mut text = Vec::new();
            // Writing into a Vec does not fail; a text cut by an error would still be sent.
            let hops = hops.as_ref().unwrap_or(&none);
            let _ = runner.take(e, hops, &mut text, &mut answer.spent);
            if closed {
                answer.texts.push(text);
            }
        }
        answer.batch = batch;
        if tx.send(answer).is_err() {
            return;
        }
    }
}

/// Read the file as [`super::decode`] does and write each connection's summary, with
/// `threads` other threads running a share of the connections. The capture must have been
/// made with `Sessions::Outside` and `session` as its session configuration.
pub(super) fn summary(
    source: Source<'_>,
    (capture, shown): (&mut Capture, &mut Shown),
    progress: &mut Progress,
    (threads, session): (usize, SessionConfig),
    out: &mut impl io::Write,
) -> Result<()> {
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (tx, rx) = mpsc::sync_channel(QUEUE);
            let (answer_tx, answer_rx) = mpsc::channel();
            let config = session.clone();
            scope.spawn(move || work(rx, answer_tx, config));
            workers.push(Worker {
                tx: Some(tx),
                rx: answer_rx,
                batch: Vec::new(),
                in_flight: 0,
                texts: VecDeque::new(),
                empty: Vec::new(),
            });
        }
        let mut shards = Shards {
            here: Runner::new(session),
            workers,
            owner: IdMap::default(),
            queue: VecDeque::new(),
            spent: Vec::new(),
        };
        let mut failed = Ok(());
        let read = super::read_capture(source, capture, progress, |capture, idle| {
            failed = shards.chunk(capture, shown, out, idle);
            failed.is_ok()
        });
        // The workers end when their channels close; write what they still owe.
        let sent = failed.and_then(|()| shards.send());
        for w in &mut shards.workers {
            w.tx = None;
        }
        sent.and_then(|()| shards.write(out, true)).and(read)
    })
}
