//! permessage-deflate (RFC 7692): negotiated parameters and the per-direction inflater.

use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use serde::Serialize;

use crate::ext::extensions::{self, deflate_param_errors, deflate_session, Deflate};

/// Why a `Sec-WebSocket-Extensions` response value could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtensionError {
    /// What was wrong, in one sentence.
    pub message: String,
}

impl core::fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtensionError {}

fn err(message: String) -> ExtensionError {
    ExtensionError { message }
}

/// Parse a `Sec-WebSocket-Extensions` response value for decoding: the handshake's grammar
/// ([`extensions::parse_extensions`]) and its rules for a response's
/// permessage-deflate parameters, then strict about what the decoder can use. `Ok(None)` when
/// no extension is in use.
pub fn deflate_for_decoding(value: &str) -> Result<Option<Deflate>, ExtensionError> {
    let mut found: Option<Deflate> = None;
    for e in extensions::parse_extensions(value) {
        if !e.name.eq_ignore_ascii_case("permessage-deflate") {
            return Err(err(format!(
                "unsupported extension {:?}: only permessage-deflate can be decoded",
                e.name
            )));
        }
        if found.is_some() {
            return Err(err(
                "permessage-deflate appears twice in a response (RFC 7692 §7)".into(),
            ));
        }
        let errs = deflate_param_errors(&e, true);
        if !errs.is_empty() {
            return Err(err(errs.join("; ")));
        }
        found = Some(deflate_session(&e));
    }
    Ok(found)
}

/// How one call to [`Inflater::inflate`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateOutcome {
    /// All input was consumed.
    Ok,
    /// The data cannot be inflated under the negotiated parameters; output stops there.
    Failed(InflateFailure),
    /// The output would exceed the limit; output was cut at the limit.
    LimitReached,
    /// A final block (BFINAL) ended the DEFLATE stream; later input is ignored.
    StreamEnd,
}

/// Why compressed data could not be inflated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateFailure {
    /// Not valid raw DEFLATE data (RFC 1951), or a back-reference to bytes that were never sent.
    Invalid,
    /// A back-reference reaches before the start of the message although the sender agreed to
    /// reset its compression context after each message (RFC 7692 §7.1.1.1, §7.1.1.2).
    BeforeMessage,
    /// A back-reference reaches further back than the negotiated LZ77 window (RFC 7692 §7.1.2.1,
    /// §7.1.2.2).
    BeyondWindow,
}

/// DEFLATE's largest back-reference distance (RFC 1951 §3.2.5): the window of 15 bits.
const MAX_DISTANCE: usize = 1 << 15;
/// How much output one call of the decompressor may write when the window does not need
/// checking distance by distance.
const CHUNK: usize = 8192;

/// One inflate context for one direction (RFC 7692 §6.2): the DEFLATE state and the LZ77 window.
///
/// Output goes into a buffer that holds the bytes before it, and the decompressor runs in its
/// non-wrapping mode on a slice that starts exactly where back-references may still reach: the
/// negotiated window, and, when the sender does not take over context, the start of the message.
/// A distance reaching further is then a decoding error instead of silently copying older bytes.
/// When the window is smaller than DEFLATE's own 32 KiB, each call writes one byte so the slice
/// start is exact for every back-reference. The buffer is at most 2 × 32 KiB + 8 KiB; a failure
/// is explained by replaying the message, which the caller passes again.
pub struct Inflater {
    state: Box<DecompressorOxide>,
    window: usize,
    no_context_takeover: bool,
    /// Output so far, of which `buf[valid..cur]` is real history (older bytes are kept up to
    /// 32 KiB even when out of bounds, to tell why a back-reference failed).
    buf: Vec<u8>,
    cur: usize,
    valid: usize,
    /// The message in progress, if any.
    message: Option<MessageStart>,
    ended: bool,
}

/// What a replay of the current message needs.
struct MessageStart {
    /// Where its output starts in `buf` (meaningless once `history` is saved).
    at: usize,
    /// The DEFLATE state before its first byte.
    state: Box<DecompressorOxide>,
    /// The up to 32 KiB before it, saved when the buffer is compacted past them.
    history: Option<Vec<u8>>,
    /// Bytes it inflated to so far.
    produced: usize,
}

impl Default for Inflater {
    /// No limit beyond DEFLATE's own: a 15-bit window with context takeover.
    fn default() -> Self {
        Inflater::new(15, false)
    }
}

impl core::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inflater")
            .field("window", &self.window)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Inflater {
    /// An inflater for data compressed with an LZ77 window of `window_bits` (8-15; other values
    /// are clamped), resetting at each message when the sender does not take over context.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Inflater {
        Inflater {
            state: Box::default(),
            window: 1 << window_bits.clamp(8, 15),
            no_context_takeover,
            buf: Vec::new(),
            cur: 0,
            valid: 0,
            message: None,
            ended: false,
        }
    }

    /// Forget the window and the DEFLATE state (after an error, or after a final block).
    pub fn reset(&mut self) {
        self.state.init();
        self.valid = self.cur;
        self.message = None;
        self.ended = false;
    }

    /// The current message's data ended (the caller has fed the `00 00 ff ff` tail): the next
    /// call to [`Inflater::inflate`] starts a new message.
    pub fn end_message(&mut self) {
        if self.ended {
            self.reset();
        } else if self.no_context_takeover {
            // Nothing of this message's DEFLATE state may matter to the next one.
            self.state.init();
        }
        self.message = None;
    }

    /// Keep the last 32 KiB before `cur` at the front when fewer than `room` bytes are free.
    fn make_room(&mut self, room: usize) {
        if self.buf.is_empty() {
            self.buf = vec![0; 2 * MAX_DISTANCE + CHUNK];
        }
        if self.cur + room <= self.buf.len() {
            return;
        }
        let from = self.cur - MAX_DISTANCE;
        if let Some(m) = &mut self.message {
            if m.history.is_none() {
                let h = self.valid.max(m.at.saturating_sub(MAX_DISTANCE));
                m.history = Some(self.buf[h..m.at].to_vec());
            }
            m.at = m.at.saturating_sub(from);
        }
        self.buf.copy_within(from..self.cur, 0);
        self.cur -= from;
        self.valid = self.valid.saturating_sub(from);
    }

    /// Inflate `input`, appending to `out` but never letting `out` grow beyond `limit` bytes.
    pub fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>, limit: usize) -> InflateOutcome {
        let mut emit = |b: &[u8]| {
            let room = limit.saturating_sub(out.len());
            out.extend_from_slice(&b[..b.len().min(room)]);
            b.len() <= room
        };
        self.run(input, &mut emit)
    }

    /// Inflate `input`, handing the output to `sink` a piece at a time (so nothing need hold a
    /// whole message); `sink` returns `false` to stop, which ends in
    /// [`InflateOutcome::LimitReached`].
    pub fn inflate_with(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> InflateOutcome {
        self.run(input, sink)
    }

    fn run(&mut self, mut input: &[u8], emit: &mut dyn FnMut(&[u8]) -> bool) -> InflateOutcome {
        if self.ended {
            return InflateOutcome::StreamEnd;
        }
        if self.message.is_none() {
            self.message = Some(MessageStart {
                at: self.cur,
                state: self.state.clone(),
                history: None,
                produced: 0,
            });
        }
        let flags = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | TINFL_FLAG_HAS_MORE_INPUT;
        // Checking the window distance by distance needs one output byte per call; a 15-bit
        // window is DEFLATE's own, which no distance can exceed.
        let step = if self.window < MAX_DISTANCE { 1 } else { CHUNK };
        loop {
            self.make_room(step);
            let mut base = self.valid.max(self.cur.saturating_sub(self.window));
            if let (true, Some(m)) = (self.no_context_takeover, &self.message) {
                base = base.max(m.at);
            }
            let end = self.cur + step;
            let (status, used, written) = decompress(
                &mut self.state,
                input,
                &mut self.buf[base..end],
                self.cur - base,
                flags,
            );
            input = &input[used..];
            let fits = emit(&self.buf[self.cur..self.cur + written]);
            self.cur += written;
            if let Some(m) = &mut self.message {
                m.produced += written;
            }
            if !fits {
                return InflateOutcome::LimitReached;
            }
            match status {
                TINFLStatus::Done => {
                    self.ended = true;
                    return InflateOutcome::StreamEnd;
                }
                TINFLStatus::HasMoreOutput => {}
                TINFLStatus::NeedsMoreInput => return InflateOutcome::Ok,
                _ => return InflateOutcome::Failed(InflateFailure::Invalid),
            }
        }
    }

    /// Why the current message failed to inflate, given its compressed data again (every part
    /// fed so far, in order): replayed without the message-start limit, then without the window
    /// limit, the first relaxation that gets past the failure names the broken rule.
    pub fn explain_failure(&self, parts: &[&[u8]]) -> InflateFailure {
        let Some(m) = &self.message else {
            return InflateFailure::Invalid;
        };
        let history: &[u8] = match &m.history {
            Some(h) => h,
            None => &self.buf[self.valid.max(m.at.saturating_sub(MAX_DISTANCE))..m.at],
        };
        let passes = |window_bits: u8| {
            let mut r = Inflater::new(window_bits, false);
            r.state = m.state.clone();
            r.make_room(history.len());
            r.buf[..history.len()].copy_from_slice(history);
            r.cur = history.len();
            let produced = core::cell::Cell::new(0usize);
            let mut count = |b: &[u8]| {
                produced.set(produced.get() + b.len());
                produced.get() <= m.produced
            };
            for p in parts {
                match r.run(p, &mut count) {
                    InflateOutcome::Ok => {}
                    InflateOutcome::Failed(_) => return produced.get() > m.produced,
                    // Past the failure point, or a final block the failed run never reached.
                    InflateOutcome::LimitReached | InflateOutcome::StreamEnd => return true,
                }
            }
            true
        };
        let bits = self.window.trailing_zeros() as u8;
        if self.no_context_takeover && passes(bits) {
            InflateFailure::BeforeMessage
        } else if bits < 15 && passes(15) {
            InflateFailure::BeyondWindow
        } else {
            InflateFailure::Invalid
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflate messages (each without its `00 00 ff ff` tail) and say how each ended.
    fn messages(inf: &mut Inflater, msgs: &[&[u8]]) -> Vec<Result<Vec<u8>, InflateFailure>> {
        msgs.iter()
            .map(|m| {
                let mut out = Vec::new();
                let mut o = inf.inflate(m, &mut out, 1 << 20);
                if o == InflateOutcome::Ok {
                    o = inf.inflate(&[0, 0, 0xff, 0xff], &mut out, 1 << 20);
                }
                let r = match o {
                    InflateOutcome::Failed(_) => {
                        let why = inf.explain_failure(&[m]);
                        inf.reset();
                        Err(why)
                    }
                    _ => Ok(out),
                };
                inf.end_message();
                r
            })
            .collect()
    }

    /// Two messages from one compressor, the second a back-reference into the first
    /// (tests/data/deflate/README.md says how they were made).
    fn takeover_pair() -> [Vec<u8>; 2] {
        let v = vector(include_str!(
            "../../../../tests/data/deflate/takeover-pair.hex"
        ));
        [v[0].clone(), v[1].clone()]
    }
    const TAKEOVER_TEXT: &[u8] = b"Hello, context takeover!";

    /// One message per line, in hex.
    fn vector(text: &str) -> Vec<Vec<u8>> {
        text.lines()
            .map(|l| {
                (0..l.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                    .collect()
            })
            .collect()
    }

    /// 300 random letters twice: the second half is a back-reference of distance 300.
    fn far_reference() -> (Vec<u8>, Vec<u8>) {
        let c = vector(include_str!(
            "../../../../tests/data/deflate/far-reference.hex"
        ))
        .remove(0);
        let mut out = Vec::new();
        let o = Inflater::default().inflate(&c, &mut out, 1 << 20);
        assert_eq!((o, out.len()), (InflateOutcome::Ok, 600));
        assert_eq!(out[..300], out[300..]);
        (c, out)
    }

    #[test]
    fn rfc7692_7_1_1_context_takeover_lets_a_message_refer_to_the_previous_one() {
        let [a, b] = takeover_pair();
        let r = messages(&mut Inflater::new(15, false), &[&a, &b]);
        assert_eq!(r, [Ok(TAKEOVER_TEXT.to_vec()), Ok(TAKEOVER_TEXT.to_vec())]);
    }

    #[test]
    fn rfc7692_7_1_1_1_no_context_takeover_forbids_referring_before_the_message() {
        let [a, b] = takeover_pair();
        let r = messages(&mut Inflater::new(15, true), &[&a, &b, &a]);
        assert_eq!(
            r,
            [
                Ok(TAKEOVER_TEXT.to_vec()),
                Err(InflateFailure::BeforeMessage),
                Ok(TAKEOVER_TEXT.to_vec())
            ]
        );
        // Without any earlier message the same data refers to bytes never sent.
        assert_eq!(
            messages(&mut Inflater::new(15, true), &[&b]),
            [Err(InflateFailure::Invalid)]
        );
    }

    #[test]
    fn rfc7692_7_1_2_a_distance_beyond_the_window_fails() {
        let (c, text) = far_reference();
        assert_eq!(
            messages(&mut Inflater::new(9, false), &[&c]),
            [Ok(text.clone())]
        );
        assert_eq!(
            messages(&mut Inflater::new(8, false), &[&c]),
            [Err(InflateFailure::BeyondWindow)]
        );
        // Inflated in small pieces, the result is the same.
        let mut inf = Inflater::new(8, true);
        let mut out = Vec::new();
        let mut o = InflateOutcome::Ok;
        let mut at = 0;
        while o == InflateOutcome::Ok && at < c.len() {
            let next = (at + 7).min(c.len());
            o = inf.inflate(&c[at..next], &mut out, 1 << 20);
            at = next;
        }
        assert!(matches!(o, InflateOutcome::Failed(_)));
        let parts: Vec<&[u8]> = c[..at].chunks(7).collect();
        assert_eq!(inf.explain_failure(&parts), InflateFailure::BeyondWindow);
    }

    #[test]
    fn context_survives_the_buffer_being_compacted() {
        // Stored blocks of 60 000 bytes, then the takeover pair: the window slides over the
        // buffer's end, and a back-reference into the kept 32 KiB still works.
        let mut inf = Inflater::new(15, false);
        for _ in 0..3 {
            let mut stored = vec![0x00, 0x60, 0xea, 0x9f, 0x15];
            stored.extend(std::iter::repeat_n(b'x', 60_000));
            // The first byte of the empty stored block whose rest is the `00 00 ff ff` tail.
            stored.push(0);
            assert_eq!(
                messages(&mut inf, &[&stored])[0].as_ref().unwrap().len(),
                60_000
            );
        }
        let [a, b] = takeover_pair();
        assert_eq!(
            messages(&mut inf, &[&a, &b]),
            [Ok(TAKEOVER_TEXT.to_vec()), Ok(TAKEOVER_TEXT.to_vec())]
        );
    }

    #[test]
    fn parses_a_typical_response() {
        let p = deflate_for_decoding(
            "permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.client.max_window_bits, 10);
        assert_eq!(p.server.max_window_bits, 15);
        assert!(p.server.no_context_takeover && !p.client.no_context_takeover);
        assert_eq!(deflate_for_decoding("").unwrap(), None);
        assert_eq!(
            deflate_for_decoding("permessage-deflate; server_max_window_bits=\"8\"")
                .unwrap()
                .unwrap()
                .server
                .max_window_bits,
            8
        );
    }

    #[test]
    fn rejects_bad_responses() {
        for bad in [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate, permessage-deflate",
            "x-webkit-deflate-frame",
        ] {
            assert!(deflate_for_decoding(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc7692_7_2_3_1_hello_inflates() {
        let mut i = Inflater::default();
        let mut out = Vec::new();
        let o = i.inflate(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0, 0, 0xff, 0xff],
            &mut out,
            100,
        );
        assert_eq!((o, out.as_slice()), (InflateOutcome::Ok, &b"Hello"[..]));
    }

    #[test]
    fn limit_cuts_output() {
        // 000ffff0 is a stored block of 65535 bytes? Use a repeated-zero bomb from a tiny input:
        // compress "aaaa..." by hand is hard, so use a stored block and a small limit.
        let mut data = vec![0x00, 0x05, 0x00, 0xfa, 0xff];
        data.extend_from_slice(b"Hello");
        let mut out = Vec::new();
        let o = Inflater::default().inflate(&data, &mut out, 3);
        assert_eq!(
            (o, out.as_slice()),
            (InflateOutcome::LimitReached, &b"Hel"[..])
        );
    }
}
