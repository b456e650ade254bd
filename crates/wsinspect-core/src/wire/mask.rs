//! Masking and unmasking payloads (RFC 6455 §5.3): byte `i` is XORed with key byte `i mod 4`.
//!
//! [`apply_mask`] works a 64-bit word at a time in safe code; [`apply_mask_bytewise`] is the
//! obviously correct reference it is tested against. [`MaskKey`] reads a key from text.

use crate::wire::ParseError;

/// A masking key as a user writes it: 8 hex digits, optionally split into bytes by spaces,
/// `:`, `,` or `-`, each byte optionally prefixed with `0x` (`37fa213d`, `37 fa 21 3d`,
/// `0x37fa213d`, `0x37, 0xfa, 0x21, 0x3d`).
///
/// ```
/// use wsinspect_core::wire::mask::MaskKey;
/// assert_eq!("37 fa 21 3d".parse(), Ok(MaskKey([0x37, 0xfa, 0x21, 0x3d])));
/// assert_eq!("0x37fa213d".parse(), Ok(MaskKey([0x37, 0xfa, 0x21, 0x3d])));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaskKey(pub [u8; 4]);

impl core::str::FromStr for MaskKey {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars: Vec<char> = s.chars().collect();
        let mut bytes = Vec::with_capacity(4);
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
                i += 2;
                continue;
            }
            if c.is_whitespace() || matches!(c, ':' | ',' | '-') {
                i += 1;
                continue;
            }
            let digit = |at: usize| chars.get(at).and_then(|c| c.to_digit(16));
            let Some(hi) = digit(i) else {
                return Err(ParseError::MaskKeyChar {
                    column: i + 1,
                    found: c,
                });
            };
            match (digit(i + 1), chars.get(i + 1)) {
                (Some(lo), _) => bytes.push((hi << 4 | lo) as u8),
                (None, None) => return Err(ParseError::MaskKeyLoneDigit { column: i + 1 }),
                (None, Some(&next)) if next.is_whitespace() || matches!(next, ':' | ',' | '-') => {
                    return Err(ParseError::MaskKeyLoneDigit { column: i + 1 })
                }
                (None, Some(&found)) => {
                    return Err(ParseError::MaskKeyChar {
                        column: i + 2,
                        found,
                    })
                }
            }
            i += 2;
        }
        <[u8; 4]>::try_from(bytes.as_slice())
            .map(MaskKey)
            .map_err(|_| ParseError::MaskKeyLength { bytes: bytes.len() })
    }
}

/// XOR `buf` with `key`, where `buf[0]` is byte number `offset` of the payload (so a payload
/// that arrives in pieces can be unmasked piece by piece). Masking and unmasking are the same.
///
/// ```
/// use wsinspect_core::wire::mask::apply_mask;
/// let mut p = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// apply_mask(&mut p, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(&p, b"Hello");
/// ```
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // Rotate the key so that buf[0] lines up with key[offset % 4].
    let r = offset % 4;
    let k = [key[r], key[(r + 1) % 4], key[(r + 2) % 4], key[(r + 3) % 4]];
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    // Whole chunks are multiples of 4 bytes, so the tail starts at key index 0 again.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i % 4];
    }
}

/// The byte-at-a-time reference for [`apply_mask`].
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keys_read_in_every_spelling_and_errors_point_at_the_place() {
        let k = Ok(MaskKey([0x37, 0xfa, 0x21, 0x3d]));
        for text in [
            "37fa213d",
            "37 fa 21 3d",
            "37FA213D",
            "0x37fa213d",
            "0x37 0xfa 0x21 0x3d",
            "37:fa:21:3d",
            " 37fa213d\n",
        ] {
            assert_eq!(text.parse::<MaskKey>(), k, "{text:?}");
        }
        let err = |t: &str| t.parse::<MaskKey>().unwrap_err();
        assert_eq!(err("37fa"), ParseError::MaskKeyLength { bytes: 2 });
        assert_eq!(err("37fa213d00"), ParseError::MaskKeyLength { bytes: 5 });
        assert_eq!(err(""), ParseError::MaskKeyLength { bytes: 0 });
        assert_eq!(
            err("37fg213d"),
            ParseError::MaskKeyChar {
                column: 4,
                found: 'g'
            }
        );
        assert_eq!(err("3 7fa213d"), ParseError::MaskKeyLoneDigit { column: 1 });
        assert!(err("37fa").to_string().contains("4 bytes (8 hex digits)"));
    }

    #[test]
    fn word_at_a_time_matches_bytewise_on_every_length_alignment_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let backing: Vec<u8> = (0..80u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        for len in 0..=64 {
            for align in 0..8 {
                for offset in 0..4 {
                    let mut fast = backing.clone();
                    let mut slow = backing.clone();
                    apply_mask(&mut fast[align..align + len], key, offset);
                    apply_mask_bytewise(&mut slow[align..align + len], key, offset);
                    assert_eq!(fast, slow, "len {len} align {align} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn unmasking_in_pieces_equals_unmasking_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..50).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        for split in 0..=data.len() {
            let mut parts = data.clone();
            let (a, b) = parts.split_at_mut(split);
            apply_mask(a, key, 0);
            apply_mask(b, key, split);
            assert_eq!(parts, whole);
        }
    }
}
