//! The payload-length rule of a frame header (RFC 6455 §5.2), in one place: the 7-bit length
//! field holds 0-125 itself, 126 announces a 16-bit extended length and 127 a 64-bit one, and
//! a sender must use the shortest form that holds the length.

use core::ops::Range;

use serde::Serialize;

/// Which field carries a frame's payload length. The forms are ordered by width, so the form a
/// length needs at least is `max(wanted, LengthForm::minimal(len))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthForm {
    /// The 7-bit field alone: lengths 0-125.
    #[default]
    Bits7,
    /// The 7-bit field says 126 and a 16-bit length follows: lengths up to 65535.
    Bits16,
    /// The 7-bit field says 127 and a 64-bit length follows (its most significant bit 0).
    Bits64,
}

impl LengthForm {
    /// The longest payload the 7-bit field holds itself.
    pub const MAX_LEN7: u64 = 125;
    /// The 7-bit value that announces a 16-bit extended length.
    pub const LEN7_16: u8 = 126;
    /// The 7-bit value that announces a 64-bit extended length.
    pub const LEN7_64: u8 = 127;

    /// The shortest form that holds `len`: the one RFC 6455 §5.2 requires.
    ///
    /// ```
    /// use wsinspect_core::wire::length::LengthForm;
    /// assert_eq!(LengthForm::minimal(125), LengthForm::Bits7);
    /// assert_eq!(LengthForm::minimal(256), LengthForm::Bits16); // RFC 6455 §5.7
    /// assert_eq!(LengthForm::minimal(65536), LengthForm::Bits64); // RFC 6455 §5.7
    /// ```
    pub const fn minimal(len: u64) -> LengthForm {
        if len <= Self::MAX_LEN7 {
            LengthForm::Bits7
        } else if len <= u16::MAX as u64 {
            LengthForm::Bits16
        } else {
            LengthForm::Bits64
        }
    }

    /// The form a 7-bit length value announces (only its low 7 bits count).
    pub const fn of_len7(len7: u8) -> LengthForm {
        match len7 & 0x7f {
            Self::LEN7_16 => LengthForm::Bits16,
            Self::LEN7_64 => LengthForm::Bits64,
            _ => LengthForm::Bits7,
        }
    }

    /// The longest payload this form can announce.
    ///
    /// ```
    /// use wsinspect_core::wire::length::LengthForm;
    /// assert_eq!(LengthForm::Bits16.max_len(), 65535);
    /// assert!(!LengthForm::Bits16.holds(70_000));
    /// assert!(LengthForm::Bits64.holds(70_000));
    /// ```
    pub const fn max_len(self) -> u64 {
        match self {
            LengthForm::Bits7 => LengthForm::MAX_LEN7,
            LengthForm::Bits16 => u16::MAX as u64,
            LengthForm::Bits64 => i64::MAX as u64,
        }
    }

    /// Whether this form can announce a payload of `len` bytes.
    pub const fn holds(self, len: u64) -> bool {
        len <= self.max_len()
    }

    /// The form with this many bits of length: 7, 16 or 64.
    pub const fn from_bits(bits: u8) -> Option<LengthForm> {
        match bits {
            7 => Some(LengthForm::Bits7),
            16 => Some(LengthForm::Bits16),
            64 => Some(LengthForm::Bits64),
            _ => None,
        }
    }

    /// 7, 16 or 64.
    pub const fn bits(self) -> u8 {
        match self {
            LengthForm::Bits7 => 7,
            LengthForm::Bits16 => 16,
            LengthForm::Bits64 => 64,
        }
    }

    /// Whether this is the shortest form for `len` (RFC 6455 §5.2: "the minimal number of
    /// bytes MUST be used to encode the length").
    pub fn is_minimal_for(self, len: u64) -> bool {
        self == Self::minimal(len)
    }

    /// How many bytes of extended length follow the first two header bytes: 0, 2 or 8.
    pub const fn ext_len(self) -> usize {
        match self {
            LengthForm::Bits7 => 0,
            LengthForm::Bits16 => 2,
            LengthForm::Bits64 => 8,
        }
    }

    /// Where the extended length sits in the header: `2..2`, `2..4` or `2..10`.
    pub const fn ext_range(self) -> Range<usize> {
        2..2 + self.ext_len()
    }

    /// The header's length in bytes: 2, the extended length, and 4 for a masking key.
    pub const fn header_len(self, masked: bool) -> usize {
        2 + self.ext_len() + if masked { 4 } else { 0 }
    }

    /// Append the length as this form writes it: the second header byte (the MASK bit from
    /// `mask_bit`, then the 7-bit value) and the extended length, big-endian. A `len` too long
    /// for the form is cut to its width (the caller picks a form that fits).
    pub fn write(self, mask_bit: bool, len: u64, out: &mut Vec<u8>) {
        let m = if mask_bit { 0x80 } else { 0 };
        match self {
            LengthForm::Bits7 => out.push(m | (len as u8 & 0x7f)),
            LengthForm::Bits16 => {
                out.push(m | Self::LEN7_16);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            LengthForm::Bits64 => {
                out.push(m | Self::LEN7_64);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundaries_of_rfc6455_5_2() {
        for (len, form) in [
            (0, LengthForm::Bits7),
            (125, LengthForm::Bits7),
            (126, LengthForm::Bits16),
            (65535, LengthForm::Bits16),
            (65536, LengthForm::Bits64),
            (u64::MAX, LengthForm::Bits64),
        ] {
            assert_eq!(LengthForm::minimal(len), form, "{len}");
            assert!(form.is_minimal_for(len));
        }
        assert!(!LengthForm::Bits16.is_minimal_for(125));
        assert!(!LengthForm::Bits64.is_minimal_for(65535));
    }

    #[test]
    fn len7_values_and_header_lengths() {
        assert_eq!(LengthForm::of_len7(125), LengthForm::Bits7);
        assert_eq!(LengthForm::of_len7(126), LengthForm::Bits16);
        assert_eq!(LengthForm::of_len7(0xff), LengthForm::Bits64);
        assert_eq!(LengthForm::Bits7.header_len(false), 2);
        assert_eq!(LengthForm::Bits16.header_len(true), 8);
        assert_eq!(LengthForm::Bits64.header_len(true), 14);
        assert_eq!(LengthForm::Bits64.ext_range(), 2..10);
        for form in [LengthForm::Bits7, LengthForm::Bits16, LengthForm::Bits64] {
            assert_eq!(LengthForm::from_bits(form.bits()), Some(form));
        }
        assert_eq!(LengthForm::from_bits(8), None);
    }

    #[test]
    fn written_lengths_read_back_as_their_form() {
        for (form, len) in [
            (LengthForm::Bits7, 5),
            (LengthForm::Bits16, 256),
            (LengthForm::Bits64, 65536),
            (LengthForm::Bits16, 1),
        ] {
            let mut out = Vec::new();
            form.write(true, len, &mut out);
            assert_eq!(out.len(), form.header_len(false) - 1);
            assert_eq!(out[0] & 0x80, 0x80);
            assert_eq!(LengthForm::of_len7(out[0]), form);
            let ext = out[1..]
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            assert_eq!(
                if form == LengthForm::Bits7 {
                    u64::from(out[0] & 0x7f)
                } else {
                    ext
                },
                len
            );
        }
    }
}
