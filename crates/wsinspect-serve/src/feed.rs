//! The live feed's fan-out: every line published goes to each subscriber's bounded queue, never
//! waiting for one. A subscriber that does not keep up loses lines, counted, and is told how
//! many with a `{"event":"dropped","dropped":N}` line where they were lost. The last lines are
//! kept (a bounded backlog) so a page that connects late sees the connections already open.
//! Queues and the backlog are bounded in lines and in bytes (a line can carry 128 KiB of hex),
//! counted as each line's full text. While nobody is subscribed, a frame's or a message's
//! line waits in the backlog with its payload as bytes, half its hex's size (`line`); the
//! lines a late subscriber reads keep their text beside those bytes, so the backlog's memory
//! stays under one and a half times its bound in bytes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{self, error::TryRecvError};

pub use crate::line::Line;

/// The default queue per subscriber, in lines.
pub const DEFAULT_QUEUE: usize = 4096;
/// The default backlog replayed to a new subscriber, in lines.
pub const DEFAULT_BACKLOG: usize = 4096;
/// The bytes one subscriber's queue holds at most.
pub const QUEUE_BYTES: usize = 16 << 20;
/// The bytes the backlog holds at most.
pub const BACKLOG_BYTES: usize = 16 << 20;

/// The fan-out.
pub struct Feed {
    inner: Mutex<Inner>,
    /// How many subscribers there were when the lock was last let go.
    subscribed: AtomicUsize,
    queue: usize,
    backlog_max: usize,
}

struct Inner {
    subscribers: Vec<Subscriber>,
    backlog: VecDeque<Line>,
    backlog_bytes: usize,
}

/// What the publisher and a subscriber share.
#[derive(Default)]
struct Shared {
    /// Lines lost since the last marker.
    dropped: AtomicU64,
    /// Bytes in the queue now.
    queued: AtomicUsize,
}

struct Subscriber {
    tx: mpsc::Sender<Line>,
    shared: Arc<Shared>,
}

/// One subscriber's end.
pub struct Subscription {
    rx: mpsc::Receiver<Line>,
    shared: Arc<Shared>,
}

/// The marker line for `n` lost lines.
pub fn dropped_line(n: u64) -> Line {
    format!(r#"{{"event":"dropped","dropped":{n}}}"#).into()
}

impl Feed {
    /// A feed with `queue` lines per subscriber and a backlog of `backlog` lines.
    pub fn new(queue: usize, backlog: usize) -> Feed {
        Feed {
            inner: Mutex::new(Inner {
                subscribers: Vec::new(),
                backlog: VecDeque::new(),
                backlog_bytes: 0,
            }),
            subscribed: AtomicUsize::new(0),
            queue: queue.max(1),
            backlog_max: backlog,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many subscribers there are now.
    pub fn subscribers(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// A new subscriber: `first` (a greeting), then the backlog, then every line published
    /// from now on. A backlog longer than the queue is cut from the front, counted as dropped.
    pub fn subscribe(&self, first: Line) -> Subscription {
        let (tx, rx) = mpsc::channel(self.queue);
        let subscriber = Subscriber {
            tx,
            shared: Arc::default(),
        };
        let mut inner = self.lock();
        subscriber.offer(&first);
        // The backlog fits the queue (both are bounded alike); what does not is counted.
        let skip = inner.backlog.len().saturating_sub(self.queue - 1);
        subscriber
            .shared
            .dropped
            .store(skip as u64, Ordering::Relaxed);
        for line in inner.backlog.iter().skip(skip) {
            subscriber.offer(line);
        }
        let shared = subscriber.shared.clone();
        inner.subscribers.push(subscriber);
        self.subscribed
            .store(inner.subscribers.len(), Ordering::Relaxed);
        Subscription { rx, shared }
    }

    /// Send `line` to every subscriber that has room; count it lost for the others. Never
    /// waits. While nobody is subscribed, a line's payload hex stays unwritten in the backlog
    /// (a late subscriber's task writes it when it sends the line); with subscribers it is
    /// written here, once for all of them.
    pub fn publish(&self, line: Line) {
        let line = if self.subscribed.load(Ordering::Relaxed) > 0 {
            line.into_text()
        } else {
            line
        };
        let mut inner = self.lock();
        if self.backlog_max > 0 && line.len() <= BACKLOG_BYTES {
            inner.backlog_bytes += line.len();
            inner.backlog.push_back(line.clone());
            while inner.backlog.len() > self.backlog_max || inner.backlog_bytes > BACKLOG_BYTES {
                if let Some(old) = inner.backlog.pop_front() {
                    inner.backlog_bytes -= old.len();
                }
            }
        }
        inner.subscribers.retain(|s| s.offer(&line));
        self.subscribed
            .store(inner.subscribers.len(), Ordering::Relaxed);
    }
}

impl Subscriber {
    /// Queue `line` (after a marker for lines lost before it, if any) when the queue has room
    /// for both, else count it lost; false when the subscriber is gone. Only the publisher
    /// sends (under the feed's lock), so room seen here is still there when it sends.
    fn offer(&self, line: &Line) -> bool {
        if self.tx.is_closed() {
            return false;
        }
        let Shared { dropped, queued } = &*self.shared;
        let marker = usize::from(dropped.load(Ordering::Relaxed) > 0);
        let bytes = queued.load(Ordering::Relaxed) + line.len() + marker * 40;
        if self.tx.capacity() < 1 + marker || bytes > QUEUE_BYTES {
            dropped.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            self.send(dropped_line(lost));
        }
        self.send(line.clone());
        true
    }

    fn send(&self, line: Line) {
        let len = line.len();
        if self.tx.try_send(line).is_ok() {
            self.shared.queued.fetch_add(len, Ordering::Relaxed);
        }
    }
}

impl Subscription {
    /// The next line if one is queued now (the dropped marker comes from [`Self::next`]).
    pub fn try_next(&mut self) -> Option<Line> {
        let line = self.rx.try_recv().ok()?;
        self.shared.queued.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }

    /// The next line; a dropped marker as soon as the queue runs dry after a loss; `None` when
    /// the feed is gone.
    pub async fn next(&mut self) -> Option<Line> {
        let line = match self.rx.try_recv() {
            Ok(line) => line,
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                let lost = self.shared.dropped.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    return Some(dropped_line(lost));
                }
                self.rx.recv().await?
            }
        };
        self.shared.queued.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize) -> Line {
        format!("{{\"n\":{i}}}").into()
    }

    #[tokio::test]
    async fn a_full_queue_drops_lines_and_says_how_many_where_they_were_lost() {
        let feed = Feed::new(4, 0);
        let mut sub = feed.subscribe("hello".into());
        for i in 0..10 {
            feed.publish(line(i));
        }
        // hello + 3 lines fit; 7 were lost.
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(sub.next().await.unwrap().to_string());
        }
        assert_eq!(
            got,
            [
                "hello",
                "{\"n\":0}",
                "{\"n\":1}",
                "{\"n\":2}",
                r#"{"event":"dropped","dropped":7}"#
            ]
        );
        feed.publish(line(10));
        assert_eq!(&*sub.next().await.unwrap(), "{\"n\":10}");
    }

    #[tokio::test]
    async fn the_marker_comes_before_the_next_line_that_fits() {
        let feed = Feed::new(3, 0);
        let mut sub = feed.subscribe("hello".into());
        for i in 0..5 {
            feed.publish(line(i));
        }
        assert_eq!(&*sub.next().await.unwrap(), "hello");
        assert_eq!(&*sub.next().await.unwrap(), "{\"n\":0}");
        // Room for two now: the marker for 3 lost lines, then line 5.
        feed.publish(line(5));
        assert_eq!(&*sub.next().await.unwrap(), "{\"n\":1}");
        assert_eq!(
            &*sub.next().await.unwrap(),
            r#"{"event":"dropped","dropped":3}"#
        );
        assert_eq!(&*sub.next().await.unwrap(), "{\"n\":5}");
    }

    #[tokio::test]
    async fn queues_and_the_backlog_are_bounded_in_bytes_too() {
        let feed = Feed::new(1000, 1000);
        let big: Line = "x".repeat(4 << 20).into();
        for _ in 0..10 {
            feed.publish(big.clone());
        }
        // 16 MiB of backlog: the last four lines.
        assert_eq!(feed.lock().backlog.len(), 4);
        let mut sub = feed.subscribe("hello".into());
        for _ in 0..10 {
            feed.publish(big.clone());
        }
        // hello, 3 backlog lines (the 4th would pass 16 MiB), then all 10 new ones lost.
        assert_eq!(&*sub.next().await.unwrap(), "hello");
        for _ in 0..3 {
            assert_eq!(sub.next().await.unwrap().len(), 4 << 20);
        }
        assert_eq!(
            &*sub.next().await.unwrap(),
            r#"{"event":"dropped","dropped":11}"#
        );
        feed.publish("{}".into());
        assert_eq!(&*sub.next().await.unwrap(), "{}");
    }

    #[tokio::test]
    async fn payload_hex_is_written_only_for_lines_someone_reads() {
        let feed = Feed::new(8, 8);
        let deferred = || Line::with_hex(r#"{"kept":""}"#.into(), 9, vec![1, 0xab]).unwrap();
        feed.publish(deferred());
        // Nobody subscribed: kept as bytes, counted at its full length.
        assert!(feed.lock().backlog[0].is_deferred());
        assert_eq!(feed.lock().backlog_bytes, r#"{"kept":"01ab"}"#.len());
        let mut sub = feed.subscribe("hello".into());
        feed.publish(deferred());
        // Subscribed: written once, when published.
        assert!(!feed.lock().backlog[1].is_deferred());
        assert_eq!(&*sub.next().await.unwrap(), "hello");
        assert_eq!(&*sub.next().await.unwrap(), r#"{"kept":"01ab"}"#);
        assert_eq!(&*sub.next().await.unwrap(), r#"{"kept":"01ab"}"#);
    }

    #[tokio::test]
    async fn a_late_subscriber_gets_the_backlog_and_a_gone_one_is_forgotten() {
        let feed = Feed::new(8, 3);
        for i in 0..5 {
            feed.publish(line(i));
        }
        let mut sub = feed.subscribe("hello".into());
        let mut got = Vec::new();
        for _ in 0..4 {
            got.push(sub.next().await.unwrap().to_string());
        }
        assert_eq!(got, ["hello", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"]);
        assert_eq!(feed.subscribers(), 1);
        drop(sub);
        feed.publish(line(5));
        assert_eq!(feed.subscribers(), 0);
    }
}
