//! The composer: a frame described by form fields (as a user types them) turned into bytes with
//! [`wsinspect_core::wire::encode`], then decoded back so it can be drawn like any other frame. Deliberate
//! violations (RSV bits, reserved opcodes, unmasked client frames) are allowed: the decode shows
//! their findings. Non-goal: checking anything the decoder does not.

use serde::Serialize;

use wsinspect_core::inspect::notation::parse_hex;
use wsinspect_core::stream::{decode_all, DecodeConfig, FrameReport, StreamReport};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::{encode, spaced_hex, FrameSpec};
use wsinspect_core::wire::mask::MaskKey;
use wsinspect_core::Direction;

/// The composer's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposerSpec {
    /// FIN bit.
    pub fin: bool,
    /// RSV1 bit.
    pub rsv1: bool,
    /// RSV2 bit.
    pub rsv2: bool,
    /// RSV3 bit.
    pub rsv3: bool,
    /// Opcode, 0 to 15.
    pub opcode: OpCode,
    /// Whether to mask (a client frame).
    pub mask: bool,
    /// The masking key as 8 hex digits (spaces and `0x` allowed, see [`MaskKey`]).
    pub key: String,
    /// The payload, as text or hex.
    pub payload: String,
    /// Whether `payload` is hex.
    pub payload_hex: bool,
}

impl Default for ComposerSpec {
    /// RFC 6455 §5.7's masked "Hello".
    fn default() -> Self {
        ComposerSpec {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: OpCode::TEXT,
            mask: true,
            key: "37fa213d".into(),
            payload: "Hello".into(),
            payload_hex: false,
        }
    }
}

impl ComposerSpec {
    /// The form filled in from a decoded frame ("edit this frame in the composer"): its bits,
    /// opcode, masking key and payload (unmasked; as text when the frame's bytes are UTF-8 text
    /// of a text message, as hex otherwise). Composing it gives the same bytes back, except a
    /// length the sender did not write in its shortest form.
    pub fn from_frame(f: &FrameReport) -> ComposerSpec {
        let h = &f.header;
        let text = std::str::from_utf8(&f.payload)
            .ok()
            .filter(|t| f.is_text && !f.compressed && !t.contains('\0'));
        ComposerSpec {
            fin: h.fin,
            rsv1: h.rsv1,
            rsv2: h.rsv2,
            rsv3: h.rsv3,
            opcode: OpCode(h.opcode),
            mask: h.mask_key.is_some(),
            key: h
                .mask_key
                .map(|k| spaced_hex(&k).replace(' ', ""))
                .unwrap_or_else(|| ComposerSpec::default().key),
            payload: text.map_or_else(|| spaced_hex(&f.payload), str::to_string),
            payload_hex: text.is_none(),
        }
    }

    /// The form with the payload switched to hex (`true`) or text (`false`), converted so it
    /// still means the same bytes. Hex that does not parse, or bytes that are not UTF-8 text,
    /// cannot become text: the error says why and the form stays as it was.
    pub fn with_payload_hex(&self, hex: bool) -> Result<ComposerSpec, ComposeError> {
        if hex == self.payload_hex {
            return Ok(self.clone());
        }
        let payload = if hex {
            spaced_hex(self.payload.as_bytes())
        } else {
            let bytes = parse_hex(&self.payload).map_err(|e| ComposeError {
                field: "payload",
                message: format!("payload: {e}"),
            })?;
            String::from_utf8(bytes).map_err(|e| ComposeError {
                field: "payload",
                message: format!(
                    "the payload is not UTF-8 text (byte {} starts an invalid sequence), so it stays hex",
                    e.utf8_error().valid_up_to()
                ),
            })?
        };
        Ok(ComposerSpec {
            payload,
            payload_hex: hex,
            ..self.clone()
        })
    }
}

/// A composed frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    /// The frame's bytes.
    pub bytes: Vec<u8>,
    /// The bytes as spaced hex (what "send to decoder" pastes).
    pub hex: String,
    /// The direction it is decoded as: client when masked, server otherwise.
    pub direction: Direction,
    /// The frame decoded back.
    pub report: StreamReport,
}

/// Why the form does not describe a frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposeError {
    /// The form field at fault (`key` or `payload`).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Build the frame the form describes.
///
/// ```
/// use wsinspect_view::compose::{compose, ComposerSpec};
/// let c = compose(&ComposerSpec::default()).unwrap();
/// assert_eq!(c.hex, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
/// ```
pub fn compose(spec: &ComposerSpec) -> Result<Composed, ComposeError> {
    let payload = if spec.payload_hex {
        parse_hex(&spec.payload).map_err(|e| ComposeError {
            field: "payload",
            message: format!("payload: {e}"),
        })?
    } else {
        spec.payload.as_bytes().to_vec()
    };
    let mask = if spec.mask {
        let k: MaskKey = spec.key.parse().map_err(|e| ComposeError {
            field: "key",
            message: format!("masking key: {e}"),
        })?;
        Some(k.0)
    } else {
        None
    };
    let bytes = encode(&FrameSpec {
        fin: spec.fin,
        rsv1: spec.rsv1,
        rsv2: spec.rsv2,
        rsv3: spec.rsv3,
        mask,
        ..FrameSpec::new(OpCode(spec.opcode.0 & 0x0f), payload)
    });
    let direction = if spec.mask {
        Direction::Client
    } else {
        Direction::Server
    };
    let report = decode_all(&bytes, direction, &DecodeConfig::default());
    Ok(Composed {
        hex: spaced_hex(&bytes),
        bytes,
        direction,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::finding::Rule;

    #[test]
    fn as_hex_converts_the_payload_both_ways() {
        let text = ComposerSpec::default();
        let hex = text.with_payload_hex(true).unwrap();
        assert_eq!(
            (hex.payload.as_str(), hex.payload_hex),
            ("48 65 6c 6c 6f", true)
        );
        assert_eq!(compose(&hex).unwrap().bytes, compose(&text).unwrap().bytes);
        assert_eq!(hex.with_payload_hex(false).unwrap(), text);
        let binary = ComposerSpec {
            payload: "ff 00".into(),
            payload_hex: true,
            ..ComposerSpec::default()
        };
        let e = binary.with_payload_hex(false).unwrap_err();
        assert_eq!(e.field, "payload");
        assert!(
            e.message.contains("not UTF-8 text (byte 0"),
            "{}",
            e.message
        );
        let bad = ComposerSpec {
            payload: "4g".into(),
            ..binary
        };
        assert!(bad
            .with_payload_hex(false)
            .unwrap_err()
            .message
            .contains("column 2"));
    }

    #[test]
    fn a_decoded_frame_fills_the_form_and_composes_to_the_same_bytes() {
        for bytes in [
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ][..],
            &[0x82, 0x03, 0xff, 0x00, 0x41],
            &[0x49, 0x00],
        ] {
            let r = decode_all(bytes, Direction::Unknown, &DecodeConfig::default());
            let spec = ComposerSpec::from_frame(&r.frames[0]);
            assert_eq!(compose(&spec).unwrap().bytes, bytes, "{spec:?}");
        }
        let r = decode_all(
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ],
            Direction::Client,
            &DecodeConfig::default(),
        );
        assert_eq!(
            ComposerSpec::from_frame(&r.frames[0]),
            ComposerSpec::default()
        );
        let r = decode_all(
            &[0x82, 0x02, 0xff, 0x00],
            Direction::Server,
            &DecodeConfig::default(),
        );
        let spec = ComposerSpec::from_frame(&r.frames[0]);
        assert_eq!(
            (spec.payload.as_str(), spec.payload_hex, spec.mask),
            ("ff 00", true, false)
        );
    }

    #[test]
    fn the_default_is_rfc6455_5_7_masked_hello() {
        let c = compose(&ComposerSpec::default()).unwrap();
        assert_eq!(
            c.bytes,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        assert_eq!(c.report.frames[0].text(), Some("Hello"));
        assert_eq!(c.direction, Direction::Client);
    }

    #[test]
    fn violations_are_allowed_and_found() {
        let spec = ComposerSpec {
            rsv2: true,
            opcode: OpCode(3),
            mask: false,
            payload: "81 ff".into(),
            payload_hex: true,
            ..ComposerSpec::default()
        };
        let c = compose(&spec).unwrap();
        assert_eq!(c.hex, "a3 02 81 ff");
        let codes: Vec<_> = c.report.findings().map(|f| f.rule).collect();
        assert!(
            codes.contains(&Rule::ReservedBits) && codes.contains(&Rule::ReservedOpcode),
            "{codes:?}"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let bad_key = ComposerSpec {
            key: "37fa".into(),
            ..ComposerSpec::default()
        };
        let e = compose(&bad_key).unwrap_err();
        assert!(
            e.field == "key" && e.message.contains("8 hex digits"),
            "{e:?}"
        );
        let bad_hex = ComposerSpec {
            payload: "4g".into(),
            payload_hex: true,
            ..ComposerSpec::default()
        };
        let e = compose(&bad_hex).unwrap_err();
        assert!(
            e.field == "payload" && e.message.contains("column 2"),
            "{e:?}"
        );
    }
}
