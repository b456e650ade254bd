//! Decoding one frame header (RFC 6455 §5.2) into field values with their exact spans.
//!
//! Incomplete input is a status, not an error: [`decode_header`] returns
//! [`Progress::NeedMore`] with how many bytes the header needs in total.

use core::ops::Range;

use serde::Serialize;

use crate::wire::field::{FieldId, Loc, FIELDS};
use crate::wire::length::LengthForm;

/// The result of looking at a possibly incomplete buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Progress<T> {
    /// Enough bytes were there.
    Done(T),
    /// More bytes are needed: at least this many in total, counted from the start of the buffer.
    NeedMore {
        /// The total length the buffer must reach before decoding can go on.
        at_least: usize,
    },
}

/// A decoded frame header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Header {
    /// FIN bit.
    pub fin: bool,
    /// RSV1 bit.
    pub rsv1: bool,
    /// RSV2 bit.
    pub rsv2: bool,
    /// RSV3 bit.
    pub rsv3: bool,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// MASK bit.
    pub masked: bool,
    /// The 7-bit length field as sent (0-127).
    pub len7: u8,
    /// The payload length, from whichever length field applies.
    pub payload_len: u64,
    /// The masking key, when MASK is set.
    pub mask_key: Option<[u8; 4]>,
    /// The header's length in bytes (2 to 14).
    pub header_len: usize,
}

/// One field of one decoded header: its value and where its bits are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldValue {
    /// Which field (serialised as its key).
    pub key: FieldId,
    /// The value as a number (the masking key as a big-endian u32).
    pub value: u64,
    /// The canonical text of the value: `0`/`1` for flags, decimal for numbers, hex for bytes.
    pub text: String,
    /// The bytes that hold the field, relative to the start of the frame.
    pub bytes: Range<usize>,
    /// The bits that hold the field, relative to the start of the frame (bit 0 is the most
    /// significant bit of byte 0, as in the RFC's figure).
    pub bits: Range<usize>,
}

/// The registered name of an opcode (RFC 6455 §5.2, §11.8), or `None` for a reserved one.
pub fn opcode_name(opcode: u8) -> Option<&'static str> {
    crate::wire::codes::OpCode(opcode).name()
}

/// Decode the header at the start of `buf`.
///
/// ```
/// use wsinspect_core::wire::header::{decode_header, Progress};
/// // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
/// let Progress::Done(h) = decode_header(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]) else {
///     panic!()
/// };
/// assert!(h.fin && !h.masked);
/// assert_eq!((h.opcode, h.payload_len, h.header_len), (1, 5, 2));
/// ```
pub fn decode_header(buf: &[u8]) -> Progress<Header> {
    if buf.len() < 2 {
        return Progress::NeedMore { at_least: 2 };
    }
    let (b0, b1) = (buf[0], buf[1]);
    let len7 = b1 & 0x7f;
    let masked = b1 & 0x80 != 0;
    let form = LengthForm::of_len7(len7);
    let ext = form.ext_len();
    let header_len = form.header_len(masked);
    if buf.len() < header_len {
        return Progress::NeedMore {
            at_least: header_len,
        };
    }
    let payload_len = match ext {
        0 => u64::from(len7),
        n => buf[2..2 + n]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    };
    let mask_key = masked.then(|| {
        let k = &buf[2 + ext..6 + ext];
        [k[0], k[1], k[2], k[3]]
    });
    Progress::Done(Header {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode: b0 & 0x0f,
        masked,
        len7,
        payload_len,
        mask_key,
        header_len,
    })
}

impl Header {
    /// The header's bytes as they were on the wire (every field of the header is kept, so the
    /// bytes are rebuilt exactly): the first `header_len` bytes of the array.
    pub fn to_bytes(&self) -> [u8; 14] {
        let mut b = [0u8; 14];
        let bit = |on: bool, v: u8| if on { v } else { 0 };
        b[0] = bit(self.fin, 0x80)
            | bit(self.rsv1, 0x40)
            | bit(self.rsv2, 0x20)
            | bit(self.rsv3, 0x10)
            | (self.opcode & 0x0f);
        b[1] = bit(self.masked, 0x80) | (self.len7 & 0x7f);
        let ext = self.length_form().ext_range();
        let n = ext.len();
        if n > 0 {
            b[ext.clone()].copy_from_slice(&self.payload_len.to_be_bytes()[8 - n..]);
        }
        if let Some(k) = self.mask_key {
            b[ext.end..ext.end + 4].copy_from_slice(&k);
        }
        b
    }

    /// Which field carries the payload length, as the 7-bit length says.
    pub fn length_form(&self) -> LengthForm {
        LengthForm::of_len7(self.len7)
    }

    /// Every field present in this header, in wire order, with values and spans derived from
    /// [`FIELDS`]. `frame` is the frame's bytes (at least the header).
    pub fn fields(&self, frame: &[u8]) -> Vec<FieldValue> {
        let form = self.length_form();
        let ext = form.ext_range();
        FIELDS
            .iter()
            .filter_map(|def| {
                let bytes = match def.loc {
                    Loc::Bits { byte, mask } => {
                        let first = mask.leading_zeros() as usize;
                        let width = mask.count_ones() as usize;
                        let value = u64::from((frame[byte] & mask) >> mask.trailing_zeros());
                        let bits = byte * 8 + first..byte * 8 + first + width;
                        return Some(FieldValue {
                            key: def.key,
                            value,
                            text: value.to_string(),
                            bytes: byte..byte + 1,
                            bits,
                        });
                    }
                    Loc::ExtLen16 if form == LengthForm::Bits16 => ext.clone(),
                    Loc::ExtLen64 if form == LengthForm::Bits64 => ext.clone(),
                    Loc::MaskKey if self.masked => ext.end..ext.end + 4,
                    _ => return None,
                };
                let raw = &frame[bytes.clone()];
                let value = raw.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                let text = match def.loc {
                    Loc::MaskKey => raw.iter().map(|b| format!("{b:02x}")).collect(),
                    _ => value.to_string(),
                };
                Some(FieldValue {
                    key: def.key,
                    value,
                    text,
                    bits: bytes.start * 8..bytes.end * 8,
                    bytes,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_bytes_rebuilds_every_header_exactly() {
        for head in [
            &[0x81, 0x05][..],
            &[0x7f, 0xfd, 1, 2, 3, 4],
            &[0x02, 0x7e, 0x00, 0x05],
            &[0x82, 0xfe, 0xff, 0xff, 9, 8, 7, 6],
            &[0x80, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1],
            &[0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc, 0xdd],
        ] {
            let h = done(head);
            assert_eq!(&h.to_bytes()[..h.header_len], head);
        }
    }

    fn done(buf: &[u8]) -> Header {
        match decode_header(buf) {
            Progress::Done(h) => h,
            other => panic!("incomplete: {other:?}"),
        }
    }

    #[test]
    fn rfc6455_5_7_masked_hello() {
        let frame = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let h = done(&frame);
        assert_eq!(h.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!((h.payload_len, h.header_len), (5, 6));
        let f = h.fields(&frame);
        let keys: Vec<_> = f
            .iter()
            .map(|f| (f.key.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("fin", "1"),
                ("rsv1", "0"),
                ("rsv2", "0"),
                ("rsv3", "0"),
                ("opcode", "1"),
                ("mask", "1"),
                ("payload_len", "5"),
                ("mask_key", "37fa213d"),
            ]
        );
        assert_eq!(f[4].bits, 4..8);
        assert_eq!(f[7].bytes, 2..6);
    }

    #[test]
    fn rfc6455_5_7_256_byte_binary_uses_16_bit_length() {
        let h = done(&[0x82, 0x7E, 0x01, 0x00]);
        assert_eq!((h.opcode, h.payload_len, h.header_len), (2, 256, 4));
    }

    #[test]
    fn rfc6455_5_7_64k_binary_uses_64_bit_length() {
        let frame = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        let h = done(&frame);
        assert_eq!((h.payload_len, h.header_len), (65536, 10));
        let ext = h
            .fields(&frame)
            .into_iter()
            .find(|f| f.key == FieldId::ExtLen64);
        assert_eq!(ext.map(|f| f.bytes), Some(2..10));
    }

    #[test]
    fn incomplete_header_says_how_much_is_needed() {
        assert_eq!(decode_header(&[0x81]), Progress::NeedMore { at_least: 2 });
        assert_eq!(
            decode_header(&[0x81, 0xFF, 0, 0]),
            Progress::NeedMore { at_least: 14 }
        );
    }

    #[test]
    fn header_spans_tile_the_header_exactly() {
        for frame in [
            &[0x81u8, 0x05][..],
            &[0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4],
            &[0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9],
        ] {
            let h = done(frame);
            let mut bits: Vec<_> = h.fields(frame).into_iter().map(|f| f.bits).collect();
            bits.sort_by_key(|r| r.start);
            let mut at = 0;
            for r in bits {
                assert_eq!(r.start, at);
                at = r.end;
            }
            assert_eq!(at, h.header_len * 8);
        }
    }
}
