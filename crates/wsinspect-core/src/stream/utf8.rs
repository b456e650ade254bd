//! A streaming UTF-8 validator that fails at the first byte that makes the text certainly
//! invalid, even when a character is split across fragments.

/// Validation state carried between pieces of one text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Utf8Stream {
    need: u8,
    lo: u8,
    hi: u8,
    bad: bool,
}

impl Utf8Stream {
    /// Check the next piece. Returns `false` once the text is certainly invalid.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        if self.bad {
            return false;
        }
        // Fast path: no pending character and all ASCII / valid.
        if self.need == 0 {
            match core::str::from_utf8(bytes) {
                Ok(_) => return true,
                Err(e) if e.error_len().is_none() => {
                    // Valid up to an incomplete character at the end: walk just the tail.
                    return self.walk(&bytes[e.valid_up_to()..]);
                }
                Err(_) => {
                    self.bad = true;
                    return false;
                }
            }
        }
        self.walk(bytes)
    }

    fn walk(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.need > 0 {
                if (self.lo..=self.hi).contains(&b) {
                    self.need -= 1;
                    self.lo = 0x80;
                    self.hi = 0xBF;
                    continue;
                }
                self.bad = true;
                return false;
            }
            let (need, lo, hi) = match b {
                0x00..=0x7F => continue,
                0xC2..=0xDF => (1, 0x80, 0xBF),
                0xE0 => (2, 0xA0, 0xBF),
                0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                0xED => (2, 0x80, 0x9F),
                0xF0 => (3, 0x90, 0xBF),
                0xF1..=0xF3 => (3, 0x80, 0xBF),
                0xF4 => (3, 0x80, 0x8F),
                _ => {
                    self.bad = true;
                    return false;
                }
            };
            (self.need, self.lo, self.hi) = (need, lo, hi);
        }
        true
    }

    /// The text ended here: valid only if no character is left unfinished.
    pub fn finish(&self) -> bool {
        !self.bad && self.need == 0
    }

    /// Whether invalidity is already certain.
    pub fn is_bad(&self) -> bool {
        self.bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std_on_every_split() {
        let samples: Vec<Vec<u8>> = vec![
            "héllo €𝄞".as_bytes().to_vec(),
            vec![
                0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5,
            ],
            vec![0xed, 0xa0, 0x80],
            vec![0xf4, 0x90, 0x80, 0x80],
            vec![0xc0, 0xaf],
            vec![0xe0, 0x80, 0xaf],
            vec![0x61, 0xe2, 0x82],
            vec![0xff],
        ];
        for s in samples {
            let want = core::str::from_utf8(&s).is_ok();
            for a in 0..=s.len() {
                for b in a..=s.len() {
                    let mut v = Utf8Stream::default();
                    v.push(&s[..a]);
                    v.push(&s[a..b]);
                    v.push(&s[b..]);
                    assert_eq!(v.finish(), want, "{s:x?} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn fails_as_soon_as_certain() {
        let mut v = Utf8Stream::default();
        assert!(v.push(&[0xce]));
        assert!(!v.push(&[0x41]));
        let mut v = Utf8Stream::default();
        // 0xF4 0x90 can never start a valid character (beyond U+10FFFF).
        assert!(v.push(&[0xf4]));
        assert!(!v.push(&[0x90]));
    }
}
