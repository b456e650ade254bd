//! The live feed's fan-out: every line published goes to each subscriber's bounded queue, never
//! waiting for one. A subscriber that does not keep up loses lines, counted, and is told how
//! many with a `{"event":"dropped","dropped":N}` line where they were lost. The last lines are
//! kept (a bounded backlog) so a page that connects late sees the connections already open.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

/// One serialised feed line (a JSON object, no newline).
pub type Line = Arc<str>;

/// The default queue per subscriber, in lines.
pub const DEFAULT_QUEUE: usize = 4096;
/// The default backlog replayed to a new subscriber, in lines.
pub const DEFAULT_BACKLOG: usize = 4096;

/// The fan-out.
pub struct Feed {
    inner: Mutex<Inner>,
    queue: usize,
    backlog_max: usize,
}

struct Inner {
    subscribers: Vec<Subscriber>,
    backlog: VecDeque<Line>,
}

struct Subscriber {
    tx: mpsc::Sender<Line>,
    dropped: Arc<AtomicU64>,
}

/// One subscriber's end.
pub struct Subscription {
    rx: mpsc::Receiver<Line>,
    dropped: Arc<AtomicU64>,
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
            }),
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
        let dropped = Arc::new(AtomicU64::new(0));
        let mut inner = self.lock();
        let _ = tx.try_send(first);
        let room = self.queue - 1;
        let skip = inner.backlog.len().saturating_sub(room);
        if skip > 0 {
            let _ = tx.try_send(dropped_line(skip as u64));
        }
        for line in inner.backlog.iter().skip(skip) {
            if tx.try_send(line.clone()).is_err() {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        inner.subscribers.push(Subscriber {
            tx,
            dropped: dropped.clone(),
        });
        Subscription { rx, dropped }
    }

    /// Send `line` to every subscriber that has room; count it lost for the others. Never
    /// waits.
    pub fn publish(&self, line: Line) {
        let mut inner = self.lock();
        if self.backlog_max > 0 {
            if inner.backlog.len() == self.backlog_max {
                inner.backlog.pop_front();
            }
            inner.backlog.push_back(line.clone());
        }
        inner.subscribers.retain(|s| s.offer(&line));
    }
}

impl Subscriber {
    /// Queue `line` (after a marker for lines lost before it); false when the subscriber is gone.
    fn offer(&self, line: &Line) -> bool {
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            match self.tx.try_send(dropped_line(lost)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(lost + 1, Ordering::Relaxed);
                    return true;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.tx.try_send(line.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

impl Subscription {
    /// The next line; a dropped marker as soon as the queue runs dry after a loss; `None` when
    /// the feed is gone.
    pub async fn next(&mut self) -> Option<Line> {
        match self.rx.try_recv() {
            Ok(line) => return Some(line),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            return Some(dropped_line(lost));
        }
        self.rx.recv().await
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
