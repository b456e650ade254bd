//! One direction of a TCP connection put back in order: segments in (sequence number, data,
//! FIN), the byte stream out, with the holes a capture left reported as gaps.
//!
//! - The stream starts after the SYN, or at the first data seen when the capture began
//!   mid-connection (a segment that belongs before that point is dropped).
//! - Segments that arrive early are held until the bytes before them arrive. What is held is
//!   bounded ([`Reassembler::new`]'s cap): past it, the oldest hole is declared lost (a gap) and
//!   the held bytes after it are delivered.
//! - Bytes already delivered or already held are dropped (retransmissions, overlaps); the first
//!   copy wins. Overlapping bytes are compared where we still have them (everything held, and
//!   the last [`TAIL`] bytes delivered) and a note says when they differ.
//! - A hole that the other side acknowledged was received by it and lost by the capture: it is
//!   reported as a gap at once (the data after it held no longer). Bytes acknowledged beyond
//!   everything seen are not reported until the end, as a capture may show an ACK before the
//!   data it acknowledges.
//! - At the end (FIN, RST or the end of the capture), what is held is delivered with the holes
//!   before it as gaps, and a hole before the FIN as a last gap.
//!
//! Sequence numbers are compared relative to the next expected one, so wrap-around is fine as
//! long as no segment lies more than 2 GiB away from it.

use std::collections::BTreeMap;

/// How many delivered bytes are kept to compare retransmissions with.
pub const TAIL: usize = 4096;

/// What the reassembler hands on, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// The next bytes of the stream.
    Data(&'a [u8]),
    /// The next `len` bytes of the stream were not captured.
    Gap(u64),
    /// The out-of-order cap was hit (once per direction).
    CapHit {
        /// The cap, in bytes.
        cap: usize,
    },
    /// Bytes sent twice were different the second time.
    OverlapDiffers {
        /// Where in the stream.
        offset: u64,
        /// How many overlapping bytes were compared.
        len: u64,
    },
}

/// One direction's reassembly state.
#[derive(Debug)]
pub struct Reassembler {
    /// The sequence number of the byte at `delivered`, once known.
    next_seq: Option<u32>,
    /// Stream bytes delivered (and gaps reported) so far.
    delivered: u64,
    /// Held segments by stream offset. INVARIANT: disjoint, all after `delivered`.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    cap: usize,
    cap_hit: bool,
    /// The last bytes delivered (at most TAIL), ending at `delivered`.
    tail: Vec<u8>,
    /// The stream offset of the FIN, once seen.
    fin_at: Option<u64>,
    finished: bool,
    /// Bytes dropped as already seen.
    pub duplicate_bytes: u64,
}

impl Reassembler {
    /// A direction holding at most `cap` out-of-order bytes.
    pub fn new(cap: usize) -> Reassembler {
        Reassembler {
            next_seq: None,
            delivered: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            cap,
            cap_hit: false,
            tail: Vec::new(),
            fin_at: None,
            finished: false,
            duplicate_bytes: 0,
        }
    }

    /// The stream ended (its FIN and everything before it were delivered, or it was closed).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Bytes held out of order.
    pub fn held(&self) -> usize {
        self.pending_bytes
    }

    /// A SYN with sequence number `seq`: the stream starts after it.
    pub fn syn(&mut self, seq: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(seq.wrapping_add(1));
        }
    }

    /// A segment: its sequence number, data and FIN flag.
    pub fn segment(&mut self, seq: u32, data: &[u8], fin: bool, out: &mut dyn FnMut(Delivery)) {
        if self.finished || (data.is_empty() && !fin) {
            return;
        }
        let next = *self.next_seq.get_or_insert(seq);
        let rel = i64::from(seq.wrapping_sub(next) as i32);
        let mut start = self.delivered as i64 + rel;
        let mut data = data;
        if start < 0 {
            // Before the first byte we saw (a capture that began mid-connection).
            let skip = (-start).min(data.len() as i64) as usize;
            data = &data[skip..];
            start += skip as i64;
            if start < 0 {
                // Wholly before it (a FIN there cannot be this stream's).
                return;
            }
        }
        let start = start as u64;
        if fin && self.fin_at.is_none() {
            self.fin_at = Some(start + data.len() as u64);
        }
        self.insert(start, data, out);
        self.flush(out);
        while self.pending_bytes > self.cap {
            if !self.cap_hit {
                self.cap_hit = true;
                out(Delivery::CapHit { cap: self.cap });
            }
            self.skip_hole(out);
        }
        if self.fin_at.is_some_and(|f| f <= self.delivered) {
            self.finished = true;
        }
    }

    /// The other side acknowledged everything before `ack`: holes before it were lost by the
    /// capture, not by the network.
    pub fn acked(&mut self, ack: u32, out: &mut dyn FnMut(Delivery)) {
        let Some(next) = self.next_seq else {
            return;
        };
        let rel = ack.wrapping_sub(next) as i32;
        if self.finished || rel <= 0 {
            return;
        }
        let upto = self.delivered + rel as u64;
        while self
            .pending
            .keys()
            .next()
            .is_some_and(|&first| first < upto)
        {
            self.skip_hole(out);
        }
    }

    /// The connection ended (RST, or the end of the capture): deliver what is held, the holes
    /// before it as gaps, and a hole before the FIN.
    pub fn close(&mut self, out: &mut dyn FnMut(Delivery)) {
        if self.finished {
            return;
        }
        while !self.pending.is_empty() {
            self.skip_hole(out);
        }
        if let Some(f) = self.fin_at {
            if f > self.delivered {
                out(Delivery::Gap(f - self.delivered));
                self.delivered = f;
            }
        }
        self.finished = true;
    }

    /// Declare the hole before the first held segment lost, and deliver what follows it.
    fn skip_hole(&mut self, out: &mut dyn FnMut(Delivery)) {
        if let Some((&first, _)) = self.pending.iter().next() {
            let len = first - self.delivered;
            out(Delivery::Gap(len));
            self.advance(len);
            self.tail.clear();
            self.flush(out);
        }
    }

    fn advance(&mut self, n: u64) {
        self.delivered += n;
        if let Some(s) = &mut self.next_seq {
            *s = s.wrapping_add(n as u32);
        }
    }

    fn deliver(&mut self, data: &[u8], out: &mut dyn FnMut(Delivery)) {
        out(Delivery::Data(data));
        self.advance(data.len() as u64);
        let keep = data.len().min(TAIL);
        let drop = (self.tail.len() + keep).saturating_sub(TAIL);
        self.tail.drain(..drop);
        self.tail.extend_from_slice(&data[data.len() - keep..]);
    }

    fn flush(&mut self, out: &mut dyn FnMut(Delivery)) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() != self.delivered {
                break;
            }
            let data = entry.remove();
            self.pending_bytes -= data.len();
            self.deliver(&data, out);
        }
    }

    fn insert(&mut self, start: u64, data: &[u8], out: &mut dyn FnMut(Delivery)) {
        let mut start = start;
        let mut data = data;
        // Already delivered: compare with the tail where it still reaches.
        if start < self.delivered {
            let dup = ((self.delivered - start) as usize).min(data.len());
            let tail_start = self.delivered - self.tail.len() as u64;
            let from = start.max(tail_start);
            let to = start + dup as u64;
            if from < to {
                let ours = &self.tail[(from - tail_start) as usize..(to - tail_start) as usize];
                let theirs = &data[(from - start) as usize..(to - start) as usize];
                if ours != theirs {
                    out(Delivery::OverlapDiffers {
                        offset: from,
                        len: to - from,
                    });
                }
            }
            self.duplicate_bytes += dup as u64;
            data = &data[dup..];
            start += dup as u64;
        }
        if data.is_empty() {
            return;
        }
        if start == self.delivered && self.pending.is_empty() {
            // The common case: in order, nothing held.
            self.deliver(data, out);
            return;
        }
        let end = start + data.len() as u64;
        let mut cur = start;
        let mut pieces = Vec::new();
        for (&o, held) in self.pending.range(..end) {
            let held_end = o + held.len() as u64;
            if held_end <= cur {
                continue;
            }
            if o > cur {
                pieces.push(cur..o);
            }
            let (from, to) = (o.max(cur), held_end.min(end));
            let ours = &held[(from - o) as usize..(to - o) as usize];
            if ours != &data[(from - start) as usize..(to - start) as usize] {
                out(Delivery::OverlapDiffers {
                    offset: from,
                    len: to - from,
                });
            }
            self.duplicate_bytes += to - from;
            cur = to;
        }
        if cur < end {
            pieces.push(cur..end);
        }
        for r in pieces {
            let bytes = data[(r.start - start) as usize..(r.end - start) as usize].to_vec();
            self.pending_bytes += bytes.len();
            self.pending.insert(r.start, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed segments (seq, data, fin) and collect the stream with gaps as `?` times len.
    fn run(
        cap: usize,
        syn: Option<u32>,
        segs: &[(u32, &[u8], bool)],
        close: bool,
    ) -> (String, Vec<String>) {
        let mut r = Reassembler::new(cap);
        let mut s = String::new();
        let mut notes = Vec::new();
        let mut f = |d: Delivery| match d {
            Delivery::Data(b) => s.push_str(std::str::from_utf8(b).unwrap()),
            Delivery::Gap(n) => s.push_str(&format!("[gap {n}]")),
            other => notes.push(format!("{other:?}")),
        };
        if let Some(seq) = syn {
            r.syn(seq);
        }
        for &(seq, data, fin) in segs {
            r.segment(seq, data, fin, &mut f);
        }
        if close {
            r.close(&mut f);
        }
        (s, notes)
    }

    #[test]
    fn in_order_out_of_order_and_retransmitted() {
        let segs: &[(u32, &[u8], bool)] = &[
            (101, b"hello ", false),
            (113, b"ld", false),
            (107, b"wor", false),
            (107, b"wor", false),
            (110, b"x", false),
        ];
        let (s, notes) = run(1 << 20, Some(100), segs, false);
        assert_eq!(s, "hello worx");
        assert!(notes.is_empty(), "{notes:?}");
        let (s, _) = run(
            1 << 20,
            Some(100),
            &[segs, &[(110, b"lo ", false)]].concat(),
            false,
        );
        // "x" was held first and wins over the "l" of the later copy; the difference is noted.
        assert_eq!(s, "hello worxo ld");
    }

    #[test]
    fn overlap_that_differs_is_noted() {
        let (s, notes) = run(
            1 << 20,
            Some(0),
            &[(1, b"abcdef", false), (3, b"XY", false)],
            false,
        );
        assert_eq!(s, "abcdef");
        assert_eq!(notes, ["OverlapDiffers { offset: 2, len: 2 }"]);
    }

    #[test]
    fn wraps_around_the_sequence_space() {
        let (s, _) = run(
            1 << 20,
            Some(u32::MAX - 2),
            &[(u32::MAX - 1, b"ab", false), (0, b"cd", true)],
            false,
        );
        assert_eq!(s, "abcd");
    }

    #[test]
    fn mid_connection_start_and_cap() {
        // No SYN: starts at the first data; an older segment is dropped.
        let (s, _) = run(
            1 << 20,
            None,
            &[(50, b"mid", false), (40, b"old", false)],
            false,
        );
        assert_eq!(s, "mid");
        // A cap of 4 bytes: a hole of 2, then 5 bytes held -> declared lost.
        let (s, notes) = run(
            4,
            Some(0),
            &[(1, b"a", false), (4, b"xyzzy", false), (9, b"!", false)],
            false,
        );
        assert_eq!(s, "a[gap 2]xyzzy!");
        assert_eq!(notes, ["CapHit { cap: 4 }"]);
    }

    #[test]
    fn an_acknowledged_hole_is_a_gap_at_once() {
        let mut r = Reassembler::new(1 << 20);
        let mut got = Vec::new();
        r.syn(0);
        r.segment(1, b"ab", false, &mut |d| got.push(format!("{d:?}")));
        r.segment(6, b"f", false, &mut |d| got.push(format!("{d:?}")));
        r.acked(4, &mut |d| got.push(format!("{d:?}")));
        assert_eq!(got.len(), 1, "{got:?}");
        r.acked(7, &mut |d| got.push(format!("{d:?}")));
        assert_eq!(got[1..], ["Gap(3)", "Data([102])"]);
        // Acknowledged beyond everything seen: nothing yet.
        r.acked(100, &mut |d| got.push(format!("{d:?}")));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn close_reports_holes_and_a_missing_end() {
        let (s, _) = run(
            1 << 20,
            Some(0),
            &[(1, b"ab", false), (6, b"f", false), (9, b"", true)],
            true,
        );
        assert_eq!(s, "ab[gap 3]f[gap 2]");
    }
}
