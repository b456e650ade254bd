//! permessage-deflate (RFC 7692): negotiated parameters and the per-direction inflater.

use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, BlockBoundaryState, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use serde::Serialize;
use zlib_rs::{Inflate as ZlibInflate, InflateFlush, Status as ZlibStatus};

use crate::ext::blocks::{self, Boundary, Output};
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
/// How much output one call of the decompressor may write into the linear buffer.
const CHUNK: usize = 8192;

/// One inflate context for one direction (RFC 7692 §6.2): the DEFLATE state and the LZ77 window.
///
/// A back-reference may reach neither before the first byte the stream has (`valid`), nor, when
/// the sender does not take over context, before the message; call the later of the two the
/// floor. Nor may it reach further than the negotiated window. Every call of the decompressor is
/// set up so that miniz_oxide's own distance check is exactly that rule for every match it
/// decodes in the call, so a distance reaching too far is a decoding error instead of silently
/// copying older bytes:
///
/// - Linear: output goes into a buffer that holds the bytes before it, and the decompressor runs
///   in its non-wrapping mode on a slice starting at the floor, where a distance may not exceed
///   the output before it in the slice. With a 15-bit window the slice starts at most 32 KiB
///   back, DEFLATE's own limit. With a smaller window this is only used while the output since
///   the floor is no longer than the window (the slice ends there), so the floor is the tighter
///   limit for every match.
/// - Ring (a window under 15 bits, more than a window of output since the floor): the window is
///   the tighter limit, and it does not move with the slice start, so the decompressor runs in
///   its wrapping mode on a ring of exactly the window's size, where a distance may not exceed
///   the ring. The bytes it writes are copied to the linear buffer after each call.
///
/// Whole blocks (stored, fixed and dynamic Huffman) are decoded by `ext::blocks` before
/// miniz_oxide sees them, with the same rule checked for each back-reference; a block it does
/// not finish, for whatever reason, is miniz_oxide's from its first bit.
///
/// With the full 15-bit window (what nearly every connection negotiates) the decompressor is
/// zlib-rs instead, a port of zlib's inflate, which needs no table building for fixed-Huffman
/// blocks: on the small messages WebSocket traffic is made of, it inflates about ten times as fast
/// as miniz_oxide, which builds its tables for every block. Its rule is exact there too: a distance
/// may reach back over the output since its last reset, which is reset where the floor moves (at
/// the stream's start, after a failure or a final block, and at each message without context
/// takeover), and no DEFLATE distance exceeds 32 KiB. Output still goes through `buf`, whose
/// history a failure's explanation replays with miniz_oxide.
///
/// The buffer is at most 2 × 32 KiB + 8 KiB (and the ring at most 16 KiB); a failure is explained
/// by replaying the message, which the caller passes again.
pub struct Inflater {
    engine: Engine,
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
    /// For a window under 15 bits: the last `window` bytes of output, `buf[cur - 1]` at
    /// `ring[ring_at - 1]` (modulo the window), when `ring_synced`.
    ring: Vec<u8>,
    ring_at: usize,
    /// Whether `ring` holds the bytes before `cur`: only while every byte since the last copy from
    /// `buf` was written in ring mode.
    ring_synced: bool,
}

/// The DEFLATE decoder behind an [`Inflater`].
enum Engine {
    /// zlib-rs, for the 15-bit window.
    Zlib(Box<ZlibInflate>),
    /// miniz_oxide, for smaller windows (its modes make the window's rule exact) and for replays.
    Miniz(Box<Miniz>),
    /// None: only while the inflater is dropped, its engine kept for the next (see [`Spare`]).
    Spent,
}

/// What an inflater leaves for the next one made on its thread: its decoder and its buffers. A
/// capture has thousands of connections, each with an inflater per compressed direction, and
/// allocating and zeroing these for each was a tenth of the page worker's time (dlmalloc).
struct Spare {
    engine: Engine,
    buf: Vec<u8>,
    ring: Vec<u8>,
}

/// At most this many are kept per thread: each holds up to about 170 KB.
const SPARES: usize = 16;

thread_local! {
    static SPARE: core::cell::RefCell<Vec<Spare>> = const { core::cell::RefCell::new(Vec::new()) };
}

impl Spare {
    /// A kept engine for a `bits`-bit window, reset as if new, with kept buffers (the ring
    /// empty), if the thread has them.
    fn take(bits: u8) -> Option<(Option<Engine>, Vec<u8>, Vec<u8>)> {
        let spare = SPARE
            .try_with(|s| {
                let mut s = s.try_borrow_mut().ok()?;
                let fits = |e: &Engine| matches!(e, Engine::Zlib(_)) == (bits == 15);
                let i = s
                    .iter()
                    .rposition(|sp| fits(&sp.engine))
                    .unwrap_or(s.len().checked_sub(1)?);
                Some(s.swap_remove(i))
            })
            .ok()
            .flatten()?;
        let Spare {
            mut engine,
            buf,
            mut ring,
        } = spare;
        // `buf` keeps its length and the last inflater's bytes: zeroing it again was most of
        // a new inflater's cost. Nothing reads them: a back-reference may reach only as far
        // back as `valid` (0 for a new inflater), and the ring is refilled from `buf` at or
        // after `valid` before it is read.
        ring.clear();
        let engine = match &mut engine {
            Engine::Zlib(_) if bits == 15 => Some(engine),
            Engine::Miniz(m) if bits < 15 => {
                m.start = Start::Fresh;
                Some(engine)
            }
            _ => None,
        }
        .map(|mut e| {
            e.reset();
            e
        });
        Some((engine, buf, ring))
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        let engine = std::mem::replace(&mut self.engine, Engine::Spent);
        if let Engine::Spent = engine {
            return;
        }
        let spare = Spare {
            engine,
            buf: std::mem::take(&mut self.buf),
            ring: std::mem::take(&mut self.ring),
        };
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if s.len() < SPARES {
                    s.push(spare);
                }
            }
        });
    }
}

/// miniz_oxide's state, and what [`Inflater::explain_failure`] needs of it.
struct Miniz {
    state: DecompressorOxide,
    /// Nothing was decoded since the state was last reset.
    fresh: bool,
    /// The last call wanted more input (and so stopped where its input did).
    waiting: bool,
    /// The state before the current message's first byte.
    start: Start,
    /// Where [`Start::Whole`] is kept (one allocation per inflater, not one per message).
    whole: Option<Box<DecompressorOxide>>,
    /// When set, `state` is behind: [`blocks`] decoded the blocks since, and the decoder stands
    /// between blocks with these bits left.
    pending: Option<Boundary>,
}

/// The DEFLATE state a message started in, kept as cheaply as it allows.
enum Start {
    /// A reset one (every message without context takeover, the stream's first).
    Fresh,
    /// Between two blocks (a message after one that ended in its sync flush, as RFC 7692 has
    /// them end): a few bits, not the 11 KB of tables.
    Boundary(BlockBoundaryState),
    /// Anything else (a message that starts inside a block): the whole state, in `whole`.
    Whole,
}

impl Miniz {
    fn new() -> Miniz {
        Miniz {
            state: DecompressorOxide::default(),
            fresh: true,
            waiting: false,
            start: Start::Fresh,
            whole: None,
            pending: None,
        }
    }

    /// The block boundary the decoder stands at, when it is known to stand at one.
    fn boundary(&self) -> Option<Boundary> {
        if self.fresh {
            return Some(Boundary::default());
        }
        if self.pending.is_some() {
            return self.pending;
        }
        // Between blocks, a call that wanted input has fewer than 3 bits left (see `save_start`).
        let b = self.waiting.then(|| self.state.block_boundary_state())??;
        Some(Boundary {
            bits: b.bit_buf,
            count: b.num_bits,
        })
    }

    /// Bring `state` up to where [`blocks`] left the stream, if it did.
    fn catch_up(&mut self) {
        if let Some(b) = self.pending.take() {
            self.state = DecompressorOxide::from_block_boundary_state(&boundary_state(b));
            self.waiting = true;
        }
    }

    /// Note the state as the message's start.
    fn save_start(&mut self) {
        // Between blocks, a call that wanted input has fewer than 3 bits left (a block header
        // is 3): what `block_boundary_state` requires.
        let boundary = || self.waiting.then(|| self.state.block_boundary_state());
        self.start = if self.fresh {
            Start::Fresh
        } else if let Some(b) = self.pending {
            Start::Boundary(boundary_state(b))
        } else if let Some(b) = boundary().flatten() {
            Start::Boundary(b)
        } else {
            match &mut self.whole {
                Some(w) => (**w).clone_from(&self.state),
                None => self.whole = Some(Box::new(self.state.clone())),
            }
            Start::Whole
        };
    }

    /// The state the current message started in.
    fn start_state(&self) -> DecompressorOxide {
        match (&self.start, &self.whole) {
            (Start::Boundary(b), _) => DecompressorOxide::from_block_boundary_state(b),
            (Start::Whole, Some(w)) => (**w).clone(),
            _ => DecompressorOxide::default(),
        }
    }
}

impl Engine {
    fn miniz() -> Engine {
        Engine::Miniz(Box::new(Miniz::new()))
    }

    /// Forget the DEFLATE state: the next byte starts a new stream.
    fn reset(&mut self) {
        match self {
            // A raw stream with a 15-bit window, the only one this engine is made for.
            Engine::Zlib(z) => z.reset(false),
            Engine::Miniz(m) => {
                m.state.init();
                m.fresh = true;
                m.waiting = false;
                m.pending = None;
            }
            Engine::Spent => {}
        }
    }
}

/// miniz_oxide's state just after the first byte of a fixed-Huffman block that starts on a byte
/// boundary, for each such byte (its BFINAL bit and the 5 bits of data after the block type) and
/// each output mode: built once per thread, then copied where miniz_oxide would build the same
/// fixed tables again (about 3 µs a block). Most fixed blocks never get here: [`blocks`] decodes
/// them whole. These are for the ones it leaves, chiefly a block a frame boundary cuts in two.
/// 128 states of 11 KB at most.
struct FixedStarts {
    states: Vec<Option<Box<DecompressorOxide>>>,
}

thread_local! {
    static FIXED_STARTS: core::cell::RefCell<FixedStarts> =
        core::cell::RefCell::new(FixedStarts { states: (0..128).map(|_| None).collect() });
}

/// When `m` is between blocks with no bits left over (a fresh stream, or the end of a sync
/// flush, where every RFC 7692 message starts) and `input` starts a fixed-Huffman block, put
/// `m.state` where decoding that first byte leaves it and return 1 (the bytes it stands for);
/// otherwise 0. The same state miniz_oxide reaches by itself: its decoder is a function of its
/// state and input, and the copy was made by feeding that byte to a state at such a boundary.
fn fixed_start(m: &mut Miniz, input: &[u8], ring: bool) -> usize {
    let Some(&first) = input.first() else {
        return 0;
    };
    if first & 0b110 != 0b010 {
        return 0;
    }
    // Between blocks, a call that wanted input has fewer than 3 bits left (see `save_start`).
    let aligned = m.fresh
        || (m.waiting
            && m.state
                .block_boundary_state()
                .is_some_and(|b| b.num_bits == 0 && b.bit_buf == 0));
    if !aligned {
        return 0;
    }
    let index = usize::from(first >> 3) << 2 | usize::from(first & 1) << 1 | usize::from(ring);
    FIXED_STARTS.with_borrow_mut(|cache| {
        let start = cache.states[index].get_or_insert_with(|| {
            let mut s = Box::new(DecompressorOxide::from_block_boundary_state(
                &BlockBoundaryState::default(),
            ));
            let flags = if ring {
                TINFL_FLAG_HAS_MORE_INPUT
            } else {
                TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | TINFL_FLAG_HAS_MORE_INPUT
            };
            // Room for output, though 5 bits make no symbol: the call stops for input.
            let (status, used, written) = decompress(&mut s, &[first], &mut [0; 256], 0, flags);
            debug_assert_eq!((status, used, written), (TINFLStatus::NeedsMoreInput, 1, 0));
            s
        });
        m.state.clone_from(start);
    });
    1
}

/// miniz_oxide's state at a block boundary (raw DEFLATE: no zlib header or checksum).
fn boundary_state(b: Boundary) -> BlockBoundaryState {
    BlockBoundaryState {
        num_bits: b.count,
        bit_buf: b.bits,
        ..BlockBoundaryState::default()
    }
}

/// What a replay of the current message needs.
struct MessageStart {
    /// Where its output starts in `buf` (meaningless once `history` is saved).
    at: usize,
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
        let bits = window_bits.clamp(8, 15);
        let (engine, buf, ring) = Spare::take(bits).unwrap_or_default();
        let engine = engine.unwrap_or_else(|| {
            if bits == 15 {
                Engine::Zlib(Box::new(ZlibInflate::new(false, 15)))
            } else {
                Engine::miniz()
            }
        });
        let mut inflater = Inflater::with_engine(engine, bits, no_context_takeover);
        (inflater.buf, inflater.ring) = (buf, ring);
        inflater
    }

    fn with_engine(engine: Engine, bits: u8, no_context_takeover: bool) -> Inflater {
        Inflater {
            engine,
            window: 1 << bits,
            no_context_takeover,
            buf: Vec::new(),
            cur: 0,
            valid: 0,
            message: None,
            ended: false,
            ring: Vec::new(),
            ring_at: 0,
            ring_synced: false,
        }
    }

    /// Forget the window and the DEFLATE state (after an error, or after a final block).
    pub fn reset(&mut self) {
        self.engine.reset();
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
            self.engine.reset();
        }
        self.message = None;
    }

    /// Make `room` bytes free after `cur`: by growing the buffer while it is under its full size
    /// (most connections inflate only a few KiB in all), then by keeping the last 32 KiB before
    /// `cur` at the front.
    fn make_room(&mut self, room: usize) {
        const FULL: usize = 2 * MAX_DISTANCE + CHUNK;
        if self.cur + room <= self.buf.len() {
            return;
        }
        if self.buf.len() < FULL {
            let len = (self.cur + room).max(2 * self.buf.len()).min(FULL);
            self.buf.resize(len, 0);
            if self.cur + room <= len {
                return;
            }
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
            if let Engine::Miniz(m) = &mut self.engine {
                m.save_start();
            }
            self.message = Some(MessageStart {
                at: self.cur,
                history: None,
                produced: 0,
            });
        }
        if let Engine::Zlib(_) = self.engine {
            return self.run_zlib(input, emit);
        }
        input = match self.run_blocks(input, emit) {
            Ok([]) => return InflateOutcome::Ok,
            Ok(rest) => rest,
            Err(limit) => return limit,
        };
        let linear = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | TINFL_FLAG_HAS_MORE_INPUT;
        let small = self.window < MAX_DISTANCE;
        loop {
            // Room for a whole ring's worth too: ring mode writes up to the ring's end.
            self.make_room(if small { CHUNK.max(self.window) } else { CHUNK });
            let floor = self.floor();
            let Engine::Miniz(m) = &mut self.engine else {
                unreachable!("the zlib engine returned above");
            };
            m.catch_up();
            let ring = small && self.cur - floor >= self.window;
            let skipped = fixed_start(m, input, ring);
            m.fresh = false;
            let state = &mut m.state;
            let input_now = &input[skipped..];
            let (status, used, written) = if ring {
                // Every match of this call starts at least a window past the floor: the window
                // is the limit, and the ring's size is what the wrapping mode checks against.
                if !self.ring_synced {
                    self.ring.resize(self.window, 0);
                    self.ring
                        .copy_from_slice(&self.buf[self.cur - self.window..self.cur]);
                    self.ring_at = 0;
                    self.ring_synced = true;
                }
                let at = self.ring_at;
                let r = decompress(
                    state,
                    input_now,
                    &mut self.ring,
                    at,
                    TINFL_FLAG_HAS_MORE_INPUT,
                );
                self.buf[self.cur..self.cur + r.2].copy_from_slice(&self.ring[at..at + r.2]);
                self.ring_at = (at + r.2) & (self.window - 1);
                r
            } else {
                // The slice starts at the floor (or 32 KiB back) and, for a small window, ends
                // where the window overtakes the floor as the limit: a match decoded ahead at
                // the slice's end is still checked against the floor, which is exact there too.
                self.ring_synced = false;
                let base = floor.max(self.cur.saturating_sub(self.window));
                let end = if small {
                    (floor + self.window).min(self.cur + CHUNK)
                } else {
                    self.cur + CHUNK
                };
                decompress(
                    state,
                    input_now,
                    &mut self.buf[base..end],
                    self.cur - base,
                    linear,
                )
            };
            input = &input[skipped + used..];
            m.waiting = status == TINFLStatus::NeedsMoreInput;
            if !self.emit(written, emit) {
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

    /// The earliest byte a back-reference may reach: the stream's first, or without context
    /// takeover the message's.
    fn floor(&self) -> usize {
        match (self.no_context_takeover, &self.message) {
            (true, Some(m)) => self.valid.max(m.at),
            _ => self.valid,
        }
    }

    /// Decode the whole blocks at the start of `input` with [`blocks`],
    /// when miniz_oxide stands between blocks; the rest of the input is miniz_oxide's. Err when
    /// `emit` refused the output.
    fn run_blocks<'i>(
        &mut self,
        input: &'i [u8],
        emit: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<&'i [u8], InflateOutcome> {
        let Engine::Miniz(m) = &self.engine else {
            return Ok(input);
        };
        let Some(start) = m.boundary() else {
            return Ok(input);
        };
        self.make_room(CHUNK);
        let out = Output {
            pos: self.cur,
            floor: self.floor(),
            window: self.window,
            out: &mut self.buf,
        };
        let done = blocks::decode_blocks(start, input, out);
        if !done.any {
            return Ok(input);
        }
        if let Engine::Miniz(m) = &mut self.engine {
            (m.pending, m.fresh) = (Some(done.end), false);
        }
        // The ring, if any, did not see these bytes.
        self.ring_synced = false;
        if !self.emit(done.written, emit) {
            return Err(InflateOutcome::LimitReached);
        }
        Ok(&input[done.used..])
    }

    /// [`Inflater::run`] with zlib-rs: its output goes into `buf` a chunk at a time, as miniz_oxide's
    /// linear mode does, for the history a replay needs.
    fn run_zlib(
        &mut self,
        mut input: &[u8],
        emit: &mut dyn FnMut(&[u8]) -> bool,
    ) -> InflateOutcome {
        loop {
            self.make_room(CHUNK);
            let Engine::Zlib(z) = &mut self.engine else {
                unreachable!("run_zlib runs the zlib engine");
            };
            let (in_before, out_before) = (z.total_in(), z.total_out());
            let out = &mut self.buf[self.cur..self.cur + CHUNK];
            let status = z.decompress(input, out, InflateFlush::NoFlush);
            let used = (z.total_in() - in_before) as usize;
            let written = (z.total_out() - out_before) as usize;
            input = &input[used..];
            if !self.emit(written, emit) {
                return InflateOutcome::LimitReached;
            }
            match status {
                Ok(ZlibStatus::StreamEnd) => {
                    self.ended = true;
                    return InflateOutcome::StreamEnd;
                }
                // The output chunk is full, or input is left: there may be more.
                Ok(_) if written == CHUNK || (!input.is_empty() && used + written > 0) => {}
                Ok(_) if input.is_empty() => return InflateOutcome::Ok,
                // Input zlib-rs will not take (it always does): not silently left unread.
                Ok(_) | Err(_) => return InflateOutcome::Failed(InflateFailure::Invalid),
            }
        }
    }

    /// Hand `written` new bytes at `cur` to `emit` and count them; false when `emit` refused.
    fn emit(&mut self, written: usize, emit: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        let fits = emit(&self.buf[self.cur..self.cur + written]);
        self.cur += written;
        if let Some(m) = &mut self.message {
            m.produced += written;
        }
        fits
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
            // miniz_oxide replays from the message's first byte: its state then (saved for a
            // small window; with zlib-rs, a fresh one, which is what each message starts from
            // when the rule being relaxed is the message start), and the history before it.
            let mut replay = Miniz::new();
            if let Engine::Miniz(m) = &self.engine {
                replay.state = m.start_state();
                replay.fresh = matches!(m.start, Start::Fresh);
            }
            let engine = Engine::Miniz(Box::new(replay));
            let mut r = Inflater::with_engine(engine, window_bits, false);
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
    fn a_new_inflater_never_reads_what_the_last_one_on_its_thread_left() {
        let [a, b] = takeover_pair();
        for bits in [15, 12, 9] {
            // The first message's text stays in the buffer the next inflater is given.
            let mut first = Inflater::new(bits, false);
            assert_eq!(messages(&mut first, &[&a]), [Ok(TAKEOVER_TEXT.to_vec())]);
            drop(first);
            let r = messages(&mut Inflater::new(bits, false), &[&b]);
            assert!(matches!(r[..], [Err(_)]), "{bits} bits: {r:?}");
        }
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

    /// Raw DEFLATE written by hand with the fixed Huffman codes (RFC 1951 §3.2.6), so a test can
    /// put any distance at any position.
    #[derive(Clone, Copy, Debug)]
    enum Token {
        Lit(u8),
        Match { len: u16, dist: u16 },
    }

    const LEN_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEN_EXTRA: [u32; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];

    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, v: u32, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, which DEFLATE packs most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            self.put(code.reverse_bits() >> (32 - len), len);
        }
        fn symbol(&mut self, sym: u32) {
            match sym {
                0..=143 => self.code(0x30 + sym, 8),
                144..=255 => self.code(0x190 + sym - 144, 9),
                256..=279 => self.code(sym - 256, 7),
                _ => self.code(0xc0 + sym - 280, 8),
            }
        }
    }

    /// One message: a fixed-Huffman block, then the empty stored block of a sync flush without
    /// its `00 00 ff ff` (RFC 7692 §7.2.1).
    fn fixed_block(tokens: &[Token]) -> Vec<u8> {
        let mut b = Bits::default();
        b.put(0b010, 3); // BFINAL 0, BTYPE 01
        for t in tokens {
            match *t {
                Token::Lit(v) => b.symbol(v.into()),
                Token::Match { len, dist } => {
                    let i = LEN_BASE.iter().rposition(|&l| l <= len).unwrap();
                    b.symbol(257 + i as u32);
                    b.put((len - LEN_BASE[i]).into(), LEN_EXTRA[i]);
                    let j = DIST_BASE.iter().rposition(|&d| d <= dist).unwrap();
                    b.code(j as u32, 5);
                    b.put(
                        (dist - DIST_BASE[j]).into(),
                        (j as u32).saturating_sub(2) / 2,
                    );
                }
            }
        }
        b.symbol(256);
        b.put(0, 3); // BFINAL 0, BTYPE 00: the stored block whose LEN/NLEN is the tail
        if b.n > 0 {
            b.put(0, 8 - b.n);
        }
        b.out
    }

    /// `n` literals in a pattern that repeats only every 256 bytes.
    fn literals(n: usize, seed: u8) -> Vec<Token> {
        (0..n)
            .map(|i| Token::Lit((i as u8).wrapping_mul(31).wrapping_add(seed)))
            .collect()
    }

    /// What the inflater must report for a message, worked out from its tokens.
    struct Model {
        window: usize,
        no_context_takeover: bool,
        /// Output since the last reset.
        hist: Vec<u8>,
    }

    impl Model {
        fn message(&mut self, tokens: &[Token]) -> (Vec<u8>, Option<InflateFailure>) {
            let at = self.hist.len();
            for t in tokens {
                match *t {
                    Token::Lit(v) => self.hist.push(v),
                    Token::Match { len, dist } => {
                        let (p, d) = (self.hist.len(), usize::from(dist));
                        let floor = if self.no_context_takeover { at } else { 0 };
                        let why = if d <= self.window && d <= p - floor {
                            None
                        } else if self.no_context_takeover && d <= self.window && d <= p {
                            Some(InflateFailure::BeforeMessage)
                        } else if d <= p - at.saturating_sub(MAX_DISTANCE) {
                            Some(InflateFailure::BeyondWindow)
                        } else {
                            Some(InflateFailure::Invalid)
                        };
                        if let Some(why) = why {
                            let out = self.hist[at..].to_vec();
                            self.hist.clear();
                            return (out, Some(why));
                        }
                        for _ in 0..len {
                            self.hist.push(self.hist[self.hist.len() - d]);
                        }
                    }
                }
            }
            (self.hist[at..].to_vec(), None)
        }
    }

    /// Inflate each message whole and say what came out, as [`Model::message`] does.
    fn run_messages(
        inf: &mut Inflater,
        msgs: &[Vec<Token>],
    ) -> Vec<(Vec<u8>, Option<InflateFailure>)> {
        msgs.iter()
            .map(|t| {
                let data = fixed_block(t);
                let mut out = Vec::new();
                let mut o = inf.inflate(&data, &mut out, 1 << 24);
                if o == InflateOutcome::Ok {
                    o = inf.inflate(&[0, 0, 0xff, 0xff], &mut out, 1 << 24);
                }
                let why = match o {
                    InflateOutcome::Ok => None,
                    InflateOutcome::Failed(_) => {
                        let why = inf.explain_failure(&[&data, &[0, 0, 0xff, 0xff]]);
                        inf.reset();
                        Some(why)
                    }
                    other => panic!("{other:?}"),
                };
                inf.end_message();
                (out, why)
            })
            .collect()
    }

    #[test]
    fn distances_at_every_limit_around_where_the_checks_change_hands() {
        // A match at each position around one window past the floor (the stream start, or the
        // message start without context takeover), right after a literal or a match, with each
        // distance around the window and the floor: the verdicts and bytes the rules give.
        for bits in [8, 9, 11, 13] {
            let w = 1usize << bits;
            for nct in [false, true] {
                for k in [0, w + 1] {
                    for after_match in [false, true] {
                        for n in [w - 2, w - 1, w, w + 1, w + 2, 2 * w, 2 * w + 1] {
                            for dist in [w - 1, w, w + 1, n, n + 1, k + n, k + n + 1] {
                                let dist = dist.clamp(1, MAX_DISTANCE) as u16;
                                let first = literals(k, 3);
                                let mut second = literals(n - 5, bits);
                                if after_match {
                                    second.push(Token::Match { len: 5, dist: 3 });
                                } else {
                                    second.extend(literals(5, 9));
                                }
                                second.push(Token::Match { len: 7, dist });
                                second.push(Token::Lit(b'.'));
                                let msgs = [first, second];
                                let mut model = Model {
                                    window: w,
                                    no_context_takeover: nct,
                                    hist: Vec::new(),
                                };
                                let want: Vec<_> = msgs.iter().map(|m| model.message(m)).collect();
                                let got = run_messages(&mut Inflater::new(bits, nct), &msgs);
                                assert!(
                                    got == want,
                                    "bits {bits} nct {nct} k {k} n {n} dist {dist} after_match {after_match}: {:?} != {:?}",
                                    got.iter().map(|g| (g.0.len(), g.1)).collect::<Vec<_>>(),
                                    want.iter().map(|g| (g.0.len(), g.1)).collect::<Vec<_>>()
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_distance_one_past_the_window_fails_wherever_the_match_starts() {
        // 300 literals, then a match: for every window under 15 bits and every distance around
        // it, exactly the distances within the window inflate.
        for bits in 8..=14u8 {
            let w = 1u16 << bits;
            for dist in [w - 1, w, w + 1, w + 2] {
                let mut t = literals(usize::from(w) + 40, bits);
                t.push(Token::Match { len: 10, dist });
                t.push(Token::Lit(b'!'));
                let m = fixed_block(&t);
                let r = messages(&mut Inflater::new(bits, false), &[&m]);
                if dist <= w {
                    assert_eq!(r[0].as_ref().map(Vec::len), Ok(usize::from(w) + 51));
                } else {
                    assert_eq!(
                        r,
                        [Err(InflateFailure::BeyondWindow)],
                        "bits {bits} dist {dist}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_distance_is_checked_exactly_in_random_streams() {
        // Random messages of literals and matches whose distances sit around the window, the
        // message start and the start of the stream, fed in random pieces: output and verdict
        // must be what the rules say (RFC 7692 §7.1.1.1, §7.1.2; RFC 1951 §3.2.5).
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..480 {
            let bits = [8, 9, 10, 12, 14, 15][round % 6];
            let nct = round % 12 >= 6;
            let window = 1usize << bits;
            let mut inf = Inflater::new(bits, nct);
            let mut model = Model {
                window,
                no_context_takeover: nct,
                hist: Vec::new(),
            };
            for _ in 0..1 + rand(5) {
                let mut tokens = Vec::new();
                let mut p = model.hist.len();
                let at = p;
                let most = if rand(4) == 0 { 3000 } else { 300 };
                for _ in 0..rand(most) {
                    let floor = if nct { at } else { 0 };
                    if p == floor || rand(3) == 0 {
                        tokens.push(Token::Lit(rand(256) as u8));
                        p += 1;
                        continue;
                    }
                    // Mostly legal distances, often right at the limit, and now and then one
                    // just past a limit: the window, the message start, the stream start.
                    let allowed = window.min(p - floor);
                    let dist = if rand(150) == 0 {
                        [allowed + 1, window + 1, p - at + 1, p + 1][rand(4)]
                    } else {
                        [
                            allowed,
                            allowed - 1,
                            1 + rand(allowed),
                            (1 + rand(4)).min(allowed),
                        ][rand(4)]
                    }
                    .clamp(1, MAX_DISTANCE);
                    let len = if rand(4) == 0 {
                        3 + rand(256)
                    } else {
                        3 + rand(12)
                    };
                    tokens.push(Token::Match {
                        len: len as u16,
                        dist: dist as u16,
                    });
                    p += len;
                }
                let (want_out, want_err) = model.message(&tokens);
                let data = fixed_block(&tokens);
                let mut parts: Vec<&[u8]> = Vec::new();
                let mut rest = &data[..];
                while !rest.is_empty() {
                    let n = if rand(3) == 0 {
                        rest.len()
                    } else {
                        1 + rand(rest.len().min(64))
                    };
                    parts.push(&rest[..n]);
                    rest = &rest[n..];
                }
                parts.push(&[0, 0, 0xff, 0xff]);
                let mut out = Vec::new();
                let mut fed = 0;
                let mut outcome = InflateOutcome::Ok;
                for part in &parts {
                    fed += 1;
                    outcome = inf.inflate(part, &mut out, 1 << 24);
                    if outcome != InflateOutcome::Ok {
                        break;
                    }
                }
                let got_err = match outcome {
                    InflateOutcome::Ok => None,
                    InflateOutcome::Failed(_) => {
                        let why = inf.explain_failure(&parts[..fed]);
                        inf.reset();
                        Some(why)
                    }
                    other => panic!("round {round}: {other:?}"),
                };
                inf.end_message();
                assert_eq!(
                    (out.len(), got_err),
                    (want_out.len(), want_err),
                    "round {round}, bits {bits}, nct {nct}"
                );
                assert!(out == want_out, "round {round}: output differs");
            }
        }
    }

    #[test]
    fn the_limit_cuts_output_exactly_with_a_small_window() {
        let mut t = literals(600, 1);
        t.push(Token::Match {
            len: 258,
            dist: 500,
        });
        let m = fixed_block(&t);
        for limit in [0, 1, 599, 600, 601, 857, 858] {
            let mut out = Vec::new();
            let mut inf = Inflater::new(9, false);
            let mut o = inf.inflate(&m, &mut out, limit);
            if o == InflateOutcome::Ok {
                o = inf.inflate(&[0, 0, 0xff, 0xff], &mut out, limit);
            }
            let want = if limit < 858 {
                InflateOutcome::LimitReached
            } else {
                InflateOutcome::Ok
            };
            assert_eq!((o, out.len()), (want, limit.min(858)), "limit {limit}");
        }
    }
}
