//! A capture connection's compressed messages inflated again, when the page asks for their text
//! (a search, a frame's detail, an export, a payload decoder), instead of kept as they were read.
//!
//! The index keeps every frame's payload as sent; an inflated copy of each compressed message
//! beside it was 109 MB of the 245 MB index of the 100 MB benchmark capture. So a compressed
//! message keeps its inflated length and the start its preview reads, and its bytes come from
//! feeding the connection's handshake and kept frames, as sent, to a session configured as the
//! capture's: it inflates each side's messages in order, as a message with context takeover
//! needs (RFC 7692 §7.2.3), with the same limits, so it reads what the capture read.
//!
//! That holds while a side's frames are all kept whole and nothing was lost before them; from
//! the row where that ends ([`Conn::cut_from_here`]) the side is not fed, and its compressed
//! messages keep their inflated bytes as read. The last connection asked about is kept and fed
//! on as the file is read on ([`Index::reinflated`]): a search while a big connection loads
//! inflates each frame once, not the connection so far at every question.

use std::cell::Ref;

use foldhash::HashMap;
use wsinspect_capture::CaptureConfig;
use wsinspect_core::session::{EventKind, Session};
use wsinspect_core::Direction;

use super::export::frame_bytes;
use super::{Conn, Index, Side};

/// The inflated payloads of a connection's compressed messages, by (side, message index).
pub(super) type Inflated = HashMap<(Side, u64), Vec<u8>>;

/// A connection fed again so far.
pub(super) struct Again {
    /// The connection's index in [`Index`]'s list (`usize::MAX`: none).
    at: usize,
    /// Started once the connection has a compressed message to inflate again (until then,
    /// nothing is fed).
    session: Option<Session>,
    /// Rows fed (or passed over) so far.
    pub(super) fed: usize,
    inflated: Inflated,
}

impl Default for Again {
    fn default() -> Again {
        Again {
            at: usize::MAX,
            session: None,
            fed: 0,
            inflated: Inflated::default(),
        }
    }
}

impl Conn {
    /// No compressed message of `side` (both sides: `None`) read from now on can be inflated
    /// again from the kept frames: see the module.
    pub(super) fn cut_from_here(&mut self, side: Option<Side>) {
        let row = self.rows.len() as u32;
        for s in [Side::Client, Side::Server] {
            if side.is_none_or(|only| only == s) {
                self.cut_at[s.i()].get_or_insert(row);
            }
        }
    }

    /// Whether a compressed message of its was left to be inflated again.
    pub(super) fn wants_again(&self) -> bool {
        self.msgs
            .iter()
            .any(|m| m.inflated.is_none() && m.inflated_len.is_some())
    }
}

impl Again {
    /// The connection at `at` in the index, nothing fed yet.
    pub(super) fn new(at: usize) -> Again {
        Again {
            at,
            ..Again::default()
        }
    }

    /// Feeds the rows of `c` before row `upto` not fed yet (from its handshake on, once it has
    /// a compressed message to inflate again).
    pub(super) fn catch_up(&mut self, c: &Conn, upto: usize) {
        if self.session.is_none() && c.wants_again() {
            let mut s = Session::new(CaptureConfig::default().session);
            for (d, head) in [
                (Direction::Client, &c.request),
                (Direction::Server, &c.response),
            ] {
                if let Some(h) = head {
                    s.feed(d, h, None);
                }
            }
            self.session = Some(s);
        }
        let Some(session) = &mut self.session else {
            return;
        };
        let end = upto.min(c.rows.len());
        let rows = c.rows.iter().zip(&c.frames).enumerate();
        for (i, (row, f)) in rows.take(end).skip(self.fed) {
            // A frame not kept whole cut its side there (`Conn::cut_at`).
            if c.cut_at[row.side.i()].is_some_and(|from| i as u32 >= from) {
                continue;
            }
            session.feed(row.side.direction(), &frame_bytes(f), None);
            while let Some(e) = session.poll_event() {
                if let EventKind::Message(m) = e.kind {
                    if m.compressed {
                        let key = (Side::of(e.direction), m.index);
                        self.inflated.insert(key, m.payload.kept.0);
                    }
                }
            }
        }
        self.fed = self.fed.max(end);
    }

    /// The payloads inflated again so far.
    pub(super) fn inflated(&self) -> &Inflated {
        &self.inflated
    }

    /// Connection `c` inflated again as far as it was read, for a use that does not keep it.
    pub(super) fn whole(c: &Conn) -> Inflated {
        let mut a = Again::default();
        a.catch_up(c, usize::MAX);
        a.inflated
    }
}

impl Index {
    /// Connection `ci`'s compressed messages inflated again, as far as it was read (or up to
    /// row `upto`, for one message's detail): the last connection asked about is kept, and fed
    /// on from where it was.
    pub(super) fn reinflated(&self, ci: usize, upto: usize) -> Ref<'_, Inflated> {
        {
            let mut again = self.again.borrow_mut();
            let c = &self.conns[ci];
            if again.at != ci {
                *again = Again::new(ci);
            }
            again.catch_up(c, upto);
        }
        Ref::map(self.again.borrow(), Again::inflated)
    }
}
