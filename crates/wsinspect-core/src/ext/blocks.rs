//! DEFLATE blocks (RFC 1951 §3.2.4-§3.2.7: stored, fixed and dynamic Huffman), decoded whole,
//! ahead of miniz_oxide.
//!
//! A small permessage-deflate message is one or two Huffman blocks followed by the empty stored
//! block of its sync flush. miniz_oxide's state is 11 KB that can only be reset or copied
//! whole, and it builds its full tables for every block: for messages of a few hundred bytes
//! that was most of the time spent inflating. Here the fixed code's tables are built once, a
//! dynamic block's are small (codes longer than 9 bits are decoded from their counts), and the
//! state between blocks is the few bits left of the last byte.
//!
//! This decoder only ever finishes a block or leaves it alone: anything it does not take (a
//! final block, a block cut off by the end of the input, one whose output does not fit, an
//! incomplete or over-subscribed code, a code DEFLATE does not allow, a back-reference outside
//! the allowed span) is left, from its first bit, to miniz_oxide, which decodes it or says
//! exactly why not. So every verdict is still miniz_oxide's.

/// Where the decoder stands between two blocks: the bits of the last byte read that are not
/// used yet (DEFLATE blocks need not start on a byte boundary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Boundary {
    /// The unused bits, in the low `count` bits.
    pub bits: u8,
    /// How many there are, 0-7.
    pub count: u8,
}

/// Where output goes: `out[..pos]` is history, new bytes are written from `pos` on, and a
/// back-reference may reach neither further than `window` bytes nor before `floor`.
pub(crate) struct Output<'a> {
    pub out: &'a mut [u8],
    pub pos: usize,
    pub floor: usize,
    pub window: usize,
}

/// What [`decode_blocks`] finished.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Input bytes used (a byte whose bits are partly left over counts as used).
    pub used: usize,
    /// Bytes written at `pos`.
    pub written: usize,
    /// Where the decoder stands after the last block it finished.
    pub end: Boundary,
    /// Whether it finished any block: when not, `used` and `written` are 0 and `end` is the
    /// boundary it started from.
    pub any: bool,
}

/// Decode every whole stored, fixed or dynamic block at the start of `input`, starting at the
/// block boundary `start`, and stop before the first block it does not finish.
pub(crate) fn decode_blocks(start: Boundary, input: &[u8], o: Output<'_>) -> Decoded {
    let mut bits = Bits::new(start, input);
    let (mut pos, first) = (o.pos, o.pos);
    let mut done = Decoded {
        used: 0,
        written: 0,
        end: start,
        any: false,
    };
    loop {
        if !bits.fill(3) {
            return done;
        }
        let header = bits.peek() & 0b111;
        bits.consume(3);
        let end = match header {
            // BFINAL clear, and BTYPE 00 (stored), 01 (fixed) or 10 (dynamic); a final block is
            // not ours.
            0b000 => stored(&mut bits, &mut *o.out, pos),
            0b010 => {
                let (lit, dist) = fixed_codes();
                codes(&mut bits, &mut *o.out, pos, (o.floor, o.window), lit, dist)
            }
            0b100 => DYNAMIC.with_borrow_mut(|[lengths, lit, dist]| {
                dynamic_codes(&mut bits, lengths, lit, dist)?;
                codes(&mut bits, &mut *o.out, pos, (o.floor, o.window), lit, dist)
            }),
            _ => None,
        };
        let Some(end) = end else {
            return done;
        };
        pos = end;
        done = Decoded {
            used: bits.used(),
            written: pos - first,
            end: bits.boundary(),
            any: true,
        };
    }
}

/// A stored block after its header: its length, checked against its complement, and its bytes.
/// The end of the output, or None.
fn stored(bits: &mut Bits<'_>, out: &mut [u8], pos: usize) -> Option<usize> {
    bits.align();
    if !bits.fill(32) {
        return None;
    }
    let word = bits.peek() as u32;
    bits.consume(32);
    let (len, nlen) = ((word & 0xffff) as usize, (word >> 16) as u16);
    if nlen != !(len as u16) {
        return None;
    }
    let data = bits.take_bytes(len)?;
    out.get_mut(pos..pos + len)?.copy_from_slice(data);
    Some(pos + len)
}

/// A Huffman block's codes after its header (and code lengths), up to and with its end-of-block
/// code, where a back-reference may reach neither before `floor` nor further than `window`. The
/// end of the output, or None.
fn codes(
    bits: &mut Bits<'_>,
    out: &mut [u8],
    mut pos: usize,
    (floor, window): (usize, usize),
    lit: &Huffman,
    dist: &Huffman,
) -> Option<usize> {
    loop {
        match lit.decode(bits)? {
            symbol @ 0..=255 => {
                *out.get_mut(pos)? = symbol as u8;
                pos += 1;
            }
            256 => return Some(pos),
            symbol @ 257..=285 => {
                let i = usize::from(symbol - 257);
                let length = usize::from(LENGTH_BASE[i]) + bits.extra(LENGTH_EXTRA[i])?;
                let code = usize::from(dist.decode(bits)?);
                let &base = DIST_BASE.get(code)?;
                let distance = usize::from(base) + bits.extra(DIST_EXTRA[code])?;
                if distance > window || distance > pos - floor || pos + length > out.len() {
                    return None;
                }
                copy_match(out, pos, distance, length);
                pos += length;
            }
            // 286 and 287 take part in the fixed code but never occur in valid data.
            _ => return None,
        }
    }
}

/// How many bits of the input the first-level table looks at: every fixed code fits, and a
/// dynamic code longer than this stands for a symbol used less than once in 512.
const PRIMARY: u32 = 9;

/// A canonical Huffman code (RFC 1951 §3.2.2), complete (every bit string starts a code).
struct Huffman {
    /// By the next `bits` input bits (LSB first): symbol << 4 | code length, or 0 where a
    /// longer code starts.
    primary: [u16; 1 << PRIMARY],
    /// The longest code's length, at most `PRIMARY`: how much of `primary` is used.
    bits: u32,
    /// Codes of each length.
    count: [u16; 16],
    /// The symbols in code order (by length, then by value).
    symbol: [u16; 288],
}

thread_local! {
    /// Where a dynamic block's codes are built: the code lengths' code, the literal/length code
    /// and the distance code (kept, not moved about: 1.6 KB each).
    static DYNAMIC: core::cell::RefCell<[Huffman; 3]> =
        const { core::cell::RefCell::new([Huffman::EMPTY, Huffman::EMPTY, Huffman::EMPTY]) };
}

impl Huffman {
    const EMPTY: Huffman = Huffman {
        primary: [0; 1 << PRIMARY],
        bits: 0,
        count: [0; 16],
        symbol: [0; 288],
    };

    /// The code with these lengths (0: symbol unused), or None unless it is complete: an
    /// over-subscribed or incomplete code is miniz_oxide's to judge.
    fn new(lengths: &[u8]) -> Option<Huffman> {
        let mut h = Huffman::EMPTY;
        h.build(lengths)?;
        Some(h)
    }

    /// [`Huffman::new`] in place.
    fn build(&mut self, lengths: &[u8]) -> Option<()> {
        let h = self;
        h.count.fill(0);
        for &l in lengths {
            h.count[usize::from(l)] += 1;
        }
        h.count[0] = 0;
        let longest = h.count.iter().rposition(|&c| c > 0).unwrap_or(0) as u32;
        h.bits = longest.min(PRIMARY);
        let size = 1usize << h.bits;
        h.primary[..size].fill(0);
        let mut left = 1i32;
        for &c in &h.count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        if left > 0 {
            return None;
        }
        let (mut offset, mut next) = ([0u16; 16], [0u16; 16]);
        for len in 1..15 {
            offset[len + 1] = offset[len] + h.count[len];
        }
        for len in 1..16 {
            next[len] = (next[len - 1] + h.count[len - 1]) << 1;
        }
        for (symbol, &l) in lengths.iter().enumerate() {
            let len = usize::from(l);
            if len == 0 {
                continue;
            }
            h.symbol[usize::from(offset[len])] = symbol as u16;
            offset[len] += 1;
            let code = next[len];
            next[len] += 1;
            if len as u32 <= PRIMARY {
                let mut fill = usize::from(reverse(code, l.into()));
                while fill < size {
                    h.primary[fill] = (symbol as u16) << 4 | u16::from(l);
                    fill += 1 << len;
                }
            }
        }
        Some(())
    }

    /// The next symbol, or None where the input ends first.
    #[inline(always)]
    fn decode(&self, bits: &mut Bits<'_>) -> Option<u16> {
        if bits.count < 15 {
            bits.fill(15);
        }
        let entry = self.primary[(bits.peek() & ((1 << self.bits) - 1)) as usize];
        let len = u32::from(entry & 0xf);
        if len != 0 {
            if len > bits.count {
                return None;
            }
            bits.consume(len);
            return Some(entry >> 4);
        }
        // A longer code, a bit at a time from its first (as zlib's puff.c decodes).
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16u32 {
            if len > bits.count {
                return None;
            }
            code |= ((bits.peek() >> (len - 1)) & 1) as i32;
            let count = i32::from(self.count[len as usize]);
            if code - count < first {
                bits.consume(len);
                return Some(self.symbol[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The fixed codes (RFC 1951 §3.2.6), built once.
fn fixed_codes() -> (&'static Huffman, &'static Huffman) {
    static FIXED: std::sync::OnceLock<(Huffman, Huffman)> = std::sync::OnceLock::new();
    let (lit, dist) = FIXED.get_or_init(|| {
        let mut lengths = [8u8; 288];
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        let lit = Huffman::new(&lengths).expect("the fixed code is complete");
        // Distance codes 30 and 31 take part in the code but never occur in valid data.
        let dist = Huffman::new(&[5; 32]).expect("the fixed code is complete");
        (lit, dist)
    });
    (lit, dist)
}

/// The order code length code lengths come in (RFC 1951 §3.2.7).
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A dynamic block's codes, read from its header (RFC 1951 §3.2.7) into `lit` and `dist` (with
/// `lengths_code`), or None.
fn dynamic_codes(
    bits: &mut Bits<'_>,
    lengths_code: &mut Huffman,
    lit: &mut Huffman,
    dist: &mut Huffman,
) -> Option<()> {
    let lit_count = bits.extra(5)? + 257;
    let dist_count = bits.extra(5)? + 1;
    let length_count = bits.extra(4)? + 4;
    if lit_count > 286 || dist_count > 30 {
        return None;
    }
    let mut code_lengths = [0u8; 19];
    for &i in &CODE_LENGTH_ORDER[..length_count] {
        code_lengths[i] = bits.extra(3)? as u8;
    }
    lengths_code.build(&code_lengths)?;
    let n = lit_count + dist_count;
    let mut lengths = [0u8; 286 + 30];
    let mut i = 0;
    while i < n {
        let (value, repeat) = match lengths_code.decode(bits)? {
            l @ 0..=15 => (l as u8, 1),
            16 => (lengths[i.checked_sub(1)?], 3 + bits.extra(2)?),
            17 => (0, 3 + bits.extra(3)?),
            _ => (0, 11 + bits.extra(7)?),
        };
        lengths
            .get_mut(i..i + repeat)
            .filter(|_| i + repeat <= n)?
            .fill(value);
        i += repeat;
    }
    // A block must be able to end.
    if lengths[256] == 0 {
        return None;
    }
    lit.build(&lengths[..lit_count])?;
    dist.build(&lengths[lit_count..n])
}

/// Copy `length` bytes from `dist` back, where the source may overlap what is written.
fn copy_match(out: &mut [u8], pos: usize, dist: usize, length: usize) {
    let from = pos - dist;
    if dist >= length {
        out.copy_within(from..from + length, pos);
    } else {
        for i in 0..length {
            out[pos + i] = out[from + i];
        }
    }
}

/// An LSB-first bit reader over the input, after the bits a boundary left.
struct Bits<'a> {
    input: &'a [u8],
    /// Input bytes moved into `buf` so far.
    at: usize,
    buf: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(start: Boundary, input: &'a [u8]) -> Self {
        Bits {
            input,
            at: 0,
            buf: u64::from(start.bits) & ((1 << start.count) - 1),
            count: u32::from(start.count),
        }
    }

    /// Have at least `n` (at most 56) bits in `buf` if the input has them; whether it has.
    fn fill(&mut self, n: u32) -> bool {
        if self.count >= n {
            return true;
        }
        if let Some(word) = self.input.get(self.at..self.at + 8) {
            let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            self.buf |= word << self.count;
            let bytes = (63 - self.count) / 8;
            self.at += bytes as usize;
            self.count += bytes * 8;
            // Bits shifted in beyond the bytes counted are cleared again.
            self.buf &= (1u64 << self.count) - 1;
            return true;
        }
        while self.count < n {
            let Some(&b) = self.input.get(self.at) else {
                return false;
            };
            self.buf |= u64::from(b) << self.count;
            self.at += 1;
            self.count += 8;
        }
        true
    }

    fn peek(&self) -> u64 {
        self.buf
    }

    fn consume(&mut self, n: u32) {
        self.buf >>= n;
        self.count -= n;
    }

    /// The next `n` (at most 13) bits as a number, or None at the input's end.
    fn extra(&mut self, n: u8) -> Option<usize> {
        let n = u32::from(n);
        if !self.fill(n) {
            return None;
        }
        let v = (self.buf & ((1 << n) - 1)) as usize;
        self.consume(n);
        Some(v)
    }

    /// Skip to the next byte boundary.
    fn align(&mut self) {
        self.consume(self.count % 8);
    }

    /// `n` bytes from a byte boundary: first those in `buf`, then the input's.
    fn take_bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        // Whole bytes in `buf` go back to the input.
        let back = (self.count / 8) as usize;
        let from = self.at - back;
        let data = self.input.get(from..from + n)?;
        self.at = from + n;
        self.buf = 0;
        self.count = 0;
        Some(data)
    }

    /// Input bytes used so far: whole bytes still in `buf` are not.
    fn used(&self) -> usize {
        self.at - (self.count / 8) as usize
    }

    /// The bits left of the last byte used.
    fn boundary(&self) -> Boundary {
        let count = self.count % 8;
        Boundary {
            bits: (self.buf & ((1 << count) - 1)) as u8,
            count: count as u8,
        }
    }
}

/// `code`'s `len` bits in reverse order: Huffman codes are sent most significant bit first.
fn reverse(code: u16, len: u16) -> u16 {
    let mut r = 0;
    let mut i = 0;
    while i < len {
        r |= ((code >> i) & 1) << (len - 1 - i);
        i += 1;
    }
    r
}

static LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
static LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance codes 30 and 31 never occur in valid data: they are not here.
static DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
static DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(start: Boundary, input: &[u8], history: &[u8], window: usize) -> (Decoded, Vec<u8>) {
        let mut out = vec![0u8; history.len() + 4096];
        out[..history.len()].copy_from_slice(history);
        let d = decode_blocks(
            start,
            input,
            Output {
                out: &mut out,
                pos: history.len(),
                floor: 0,
                window,
            },
        );
        let new = out[history.len()..history.len() + d.written].to_vec();
        (d, new)
    }

    /// Raw DEFLATE of `data` with a sync flush (`00 00 ff ff` kept), as miniz_oxide writes it
    /// at `level`, in fixed-Huffman blocks only when `fixed`.
    fn sync_flushed(data: &[u8], level: u8, fixed: bool) -> Vec<u8> {
        use miniz_oxide::deflate::core::deflate_flags::TDEFL_FORCE_ALL_STATIC_BLOCKS;
        use miniz_oxide::deflate::core::{compress, create_comp_flags_from_zip_params};
        use miniz_oxide::deflate::core::{CompressorOxide, TDEFLFlush, TDEFLStatus};
        let mut flags = create_comp_flags_from_zip_params(level.into(), -15, 0);
        if fixed {
            flags |= TDEFL_FORCE_ALL_STATIC_BLOCKS;
        }
        let mut c = CompressorOxide::new(flags);
        let mut out = vec![0; data.len() * 2 + 1024];
        let (status, used, written) = compress(&mut c, data, &mut out, TDEFLFlush::Sync);
        assert_eq!((status, used), (TDEFLStatus::Okay, data.len()));
        out.truncate(written);
        out
    }

    #[test]
    fn rfc7692_7_2_3_1_hello_is_one_fixed_block() {
        // "Hello" compressed (RFC 7692 §7.2.3.1), then the tail the receiver appends.
        let input = [
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ];
        let (d, out) = decode(Boundary::default(), &input, &[], 1 << 15);
        assert_eq!(out, b"Hello");
        assert_eq!((d.used, d.end, d.any), (11, Boundary::default(), true));
        // Without the tail, it stops before the stored block, whose header bits are left over.
        let (d, out) = decode(Boundary::default(), &input[..7], &[], 1 << 15);
        assert_eq!(out, b"Hello");
        // 3 header bits, 5 literals of 8 and the 7-bit end of block: 50 bits.
        assert_eq!((d.used, d.end), (7, Boundary { bits: 0, count: 6 }));
        // Those bits and the tail finish the stored block.
        let (d, out) = decode(d.end, &input[7..], &[], 1 << 15);
        assert_eq!(
            (out.len(), d.used, d.end, d.any),
            (0, 4, Boundary::default(), true)
        );
    }

    #[test]
    fn a_back_reference_across_messages_uses_the_history() {
        // RFC 7692 §7.2.3.2: the second "Hello" refers to the first.
        let (d, out) = decode(
            Boundary::default(),
            &[0xf2, 0x00, 0x11, 0x00, 0x00],
            b"Hello",
            1 << 15,
        );
        assert_eq!(out, b"Hello");
        assert!(d.any);
    }

    #[test]
    fn what_it_does_not_finish_is_left_whole() {
        // A back-reference past the window, a final block, a block cut short: nothing taken.
        let none = |d: &Decoded| (d.used, d.written, d.any) == (0, 0, false);
        let (d, _) = decode(
            Boundary::default(),
            &[0xf2, 0x00, 0x11, 0x00, 0x00],
            b"Hello",
            4,
        );
        assert!(none(&d));
        let (d, _) = decode(
            Boundary::default(),
            &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            &[],
            1 << 15,
        );
        assert!(none(&d));
        let (d, _) = decode(Boundary::default(), &[0xf2, 0x48, 0xcd], &[], 1 << 15);
        assert!(none(&d));
        // A stored block whose length and complement disagree.
        let (d, _) = decode(
            Boundary::default(),
            &[0x00, 0x01, 0x00, 0x00, 0x00, 0x41],
            &[],
            1 << 15,
        );
        assert!(none(&d));
    }

    #[test]
    fn agrees_with_zlib_on_every_block_it_finishes() {
        // Text long and repetitive enough for matches of every length and many distances; the
        // fast levels write fixed blocks for short inputs, and stored blocks at level 0.
        let mut text = Vec::new();
        let mut x = 12345u32;
        while text.len() < 3000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let words: [&[u8]; 5] = [b"the ", b"websocket ", b"frame ", b"\x00\xff", &[b'a'; 300]];
            let word = words[(x >> 16) as usize % 5];
            text.extend_from_slice(word);
        }
        for len in [0, 1, 5, 60, 300, 1200, 3000] {
            for (level, fixed) in [(0, false), (1, true), (6, true), (6, false)] {
                let data = &text[..len];
                let z = sync_flushed(data, level, fixed);
                let (d, out) = decode(Boundary::default(), &z, &[], 1 << 15);
                let case = format!("len {len} level {level} fixed {fixed}");
                // Stored, fixed and dynamic blocks: all of them, to the sync flush's end.
                assert_eq!((d.used, out.as_slice()), (z.len(), data), "{case}");
            }
        }
    }

    /// Text long and repetitive enough for matches of every length and many distances; for odd
    /// seeds, a few letters with every byte value now and then, for Huffman codes of every
    /// length up to 15 bits.
    fn sample_text(len: usize, seed: u32) -> Vec<u8> {
        let mut text = Vec::new();
        let mut x = seed;
        while seed % 2 == 1 && text.len() < len {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let r = x >> 8;
            text.push(match r % 97 {
                0 => (r >> 8) as u8,
                k => b"aab"[k as usize % 3] + (k % 5 == 0) as u8,
            });
        }
        while text.len() < len {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let words: [&[u8]; 6] = [
                b"the ",
                b"websocket ",
                b"frame ",
                b"\x00\xff",
                &[b'a'; 300],
                b"{\"id\": 17, \"op\": \"sub\"} ",
            ];
            text.extend_from_slice(words[(x >> 16) as usize % 6]);
            text.push((x >> 8) as u8);
        }
        text.truncate(len);
        text
    }

    /// What miniz_oxide inflates from `input` (raw, in one buffer) before it stops: its output
    /// and whether it stopped at an error.
    fn miniz(input: &[u8]) -> (Vec<u8>, bool) {
        use miniz_oxide::inflate::core::inflate_flags::*;
        use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
        let mut out = vec![0; 1 << 20];
        let mut state = DecompressorOxide::new();
        let flags = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | TINFL_FLAG_HAS_MORE_INPUT;
        let (status, _, written) = decompress(&mut state, input, &mut out, 0, flags);
        out.truncate(written);
        (out, (status as i32) < 0)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Valid streams with bits flipped: every block it finishes, miniz_oxide decodes to the
        /// same bytes, so it never takes what miniz_oxide would refuse or read differently.
        #[test]
        fn agrees_with_miniz_oxide_on_damaged_streams(
            len in 0usize..2000, seed in 0u32..1000, level in 0u8..10, fixed in proptest::prelude::any::<bool>(),
            flips in proptest::collection::vec((0usize..4000, 0u8..8), 0..4),
        ) {
            let mut z = sync_flushed(&sample_text(len, seed), level, fixed);
            for (at, bit) in flips {
                let n = z.len();
                z[at % n] ^= 1 << bit;
            }
            let (d, ours) = decode(Boundary::default(), &z, &[], 1 << 15);
            let (theirs, failed) = miniz(&z);
            proptest::prop_assert!(theirs.starts_with(&ours), "{} of {} bytes agree", ours.len(), theirs.len());
            if !failed && d.used == z.len() {
                proptest::prop_assert_eq!(ours, theirs);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any bytes, from any boundary, into any room: no panic, and what it reports is in
        /// bounds and consistent (the fixed block header is forced often, to get past it).
        #[test]
        fn any_bytes_are_taken_or_left_without_panicking(
            mut input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            bits in 0u8..128, count in 0u8..8, history in 0usize..40, room in 0usize..300,
            floor in 0usize..40, window in 1usize..64, fixed in proptest::prelude::any::<bool>(),
        ) {
            if let (true, Some(b)) = (fixed, input.first_mut()) {
                *b = *b & !0b111 | 0b010;
            }
            let mut out = vec![7u8; history + room];
            let start = Boundary { bits: bits & ((1u16 << count) - 1) as u8, count };
            let d = decode_blocks(start, &input, Output {
                out: &mut out,
                pos: history,
                floor: floor.min(history),
                window,
            });
            proptest::prop_assert!(d.used <= input.len() && d.written <= room && d.end.count < 8);
            if !d.any {
                proptest::prop_assert_eq!((d.used, d.written, d.end), (0, 0, start));
            }
        }
    }
}
