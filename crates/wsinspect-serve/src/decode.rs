//! Each relayed connection's decoder runs in a task of its own, fed from a queue bounded in
//! bytes, so the relay forwards at its own pace. When the decoder falls that far behind (a
//! flood of large frames on a slow machine), the relay stops queueing and counts the bytes it
//! did not queue; the decoder is told how many (a `lost` line, then the core's gap handling),
//! and the bytes themselves were still forwarded and recorded. The queue holds the relay's
//! chunks themselves (no copy); each is charged the memory it may keep alive
//! ([`Chunk::held`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wsinspect_core::common::Direction;
use wsinspect_core::session::Timestamp;

use crate::chunk::Chunk;
use crate::event::Tap;
use crate::Hub;

/// The bytes one connection's decoder may have waiting (charged as [`Chunk::held`]).
pub const QUEUE_BYTES: usize = 8 << 20;

enum Input {
    Chunk {
        direction: Direction,
        chunk: Chunk,
        time: Timestamp,
    },
    Lost {
        direction: Direction,
        len: u64,
        time: Timestamp,
    },
    End {
        direction: Direction,
        time: Timestamp,
    },
    /// The frame starting at `offset` of `direction` was injected by the relay.
    Injected { direction: Direction, offset: u64 },
}

/// The relay's end of a decoder's queue. Dropping it ends the decoder (after what is queued).
pub struct DecoderTx {
    tx: mpsc::UnboundedSender<Input>,
    queued: Arc<AtomicUsize>,
}

/// Start a decoder for `tap`'s connection; the task ends when the sender is dropped and every
/// queued chunk is decoded and published.
pub fn spawn(hub: Arc<Hub>, tap: Tap) -> (DecoderTx, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(run(hub, tap, rx, queued.clone()));
    (DecoderTx { tx, queued }, task)
}

impl DecoderTx {
    /// Queue a chunk; when the queue is full, add its length to `lost` instead (told to the
    /// decoder before the next chunk that fits).
    pub fn chunk(&self, direction: Direction, chunk: &Chunk, time: Timestamp, lost: &mut u64) {
        let held = chunk.held();
        if self.queued.load(Ordering::Relaxed) + held > QUEUE_BYTES {
            *lost += chunk.len() as u64;
            return;
        }
        self.flush_lost(direction, lost, time);
        self.queued.fetch_add(held, Ordering::Relaxed);
        let _ = self.tx.send(Input::Chunk {
            direction,
            chunk: chunk.clone(),
            time,
        });
    }

    /// The frame about to be queued at `offset` of `direction` is an injected one.
    pub fn injected(&self, direction: Direction, offset: u64) {
        let _ = self.tx.send(Input::Injected { direction, offset });
    }

    /// `direction` ended (after `lost` bytes that were not queued).
    pub fn end(&self, direction: Direction, mut lost: u64, time: Timestamp) {
        self.flush_lost(direction, &mut lost, time);
        let _ = self.tx.send(Input::End { direction, time });
    }

    fn flush_lost(&self, direction: Direction, lost: &mut u64, time: Timestamp) {
        let len = std::mem::take(lost);
        if len > 0 {
            let _ = self.tx.send(Input::Lost {
                direction,
                len,
                time,
            });
        }
    }
}

async fn run(
    hub: Arc<Hub>,
    mut tap: Tap,
    mut rx: mpsc::UnboundedReceiver<Input>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(input) = rx.recv().await {
        let mut lines = Vec::new();
        match input {
            Input::Chunk {
                direction,
                chunk,
                time,
            } => {
                tap.chunk(direction, chunk.bytes(), time, &mut lines);
                queued.fetch_sub(chunk.held(), Ordering::Relaxed);
            }
            Input::Lost {
                direction,
                len,
                time,
            } => {
                hub.undecoded.fetch_add(len, Ordering::Relaxed);
                tap.lost(direction, len, time, &mut lines);
            }
            Input::End { direction, time } => tap.end(direction, time, &mut lines),
            Input::Injected { direction, offset } => tap.injected(direction, offset),
        }
        hub.publish(lines).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::session::SessionConfig;

    use crate::event::ConnId;

    #[test]
    fn bytes_that_do_not_fit_are_counted_and_reported_before_the_next_chunk_that_does() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(QUEUE_BYTES - 10));
        let decoder = DecoderTx {
            tx,
            queued: queued.clone(),
        };
        let t = Timestamp(1_000);
        let mut lost = 0;
        let chunk = |bytes: &'static [u8]| Chunk::owned(bytes);
        decoder.chunk(
            Direction::Server,
            &chunk(&[0x81, 5, b'h', b'e', b'l', b'l', b'o', 0x81, 0, 0x81, 2]),
            t,
            &mut lost,
        );
        assert_eq!(lost, 11, "did not fit");
        decoder.chunk(
            Direction::Server,
            &chunk(&[0x81, 2, b'o', b'k']),
            t,
            &mut lost,
        );
        assert_eq!(lost, 0);
        let mut tap = Tap::new(
            ConnId(7),
            SessionConfig {
                handshake: false,
                ..SessionConfig::default()
            },
        );
        let mut lines = Vec::new();
        while let Ok(input) = rx.try_recv() {
            match input {
                Input::Lost {
                    direction,
                    len,
                    time,
                } => {
                    tap.lost(direction, len, time, &mut lines);
                }
                Input::Chunk {
                    direction,
                    chunk,
                    time,
                } => tap.chunk(direction, chunk.bytes(), time, &mut lines),
                Input::End { .. } | Input::Injected { .. } => unreachable!(),
            }
        }
        let lost_line = lines
            .iter()
            .find(|l| l.contains(r#""event":"lost""#))
            .unwrap();
        assert!(lost_line.contains(r#""offset":0,"len":11"#), "{lost_line}");
        let chunk = lines
            .iter()
            .find(|l| l.contains(r#""event":"chunk""#))
            .unwrap();
        assert!(chunk.contains(r#""offset":11,"len":4"#), "{chunk}");
        assert!(
            lines.iter().any(|l| l.contains(r#""event":"gap""#)),
            "{lines:?}"
        );
        assert_eq!(queued.load(Ordering::Relaxed), QUEUE_BYTES - 10 + 4);
    }
}
