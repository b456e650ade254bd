//! Building frames from fields, including deliberately wrong ones (set RSV bits, non-minimal
//! lengths, unmasked client frames, lengths that lie), for teaching and tests.

use serde::Serialize;

use crate::wire::codes::OpCode;
pub use crate::wire::length::LengthForm;
use crate::wire::mask::apply_mask;

/// Every field of a frame to build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameSpec {
    /// FIN bit.
    pub fin: bool,
    /// RSV1 bit.
    pub rsv1: bool,
    /// RSV2 bit.
    pub rsv2: bool,
    /// RSV3 bit.
    pub rsv3: bool,
    /// Opcode (only the low 4 bits are sent).
    pub opcode: OpCode,
    /// The masking key; `None` sends the payload unmasked.
    pub mask: Option<[u8; 4]>,
    /// The narrowest length form to use: the frame gets this form, or the minimal one when the
    /// length does not fit it. [`LengthForm::Bits7`] (the default) is the minimal form RFC 6455
    /// §5.2 requires; a wider one builds a deliberately non-minimal length.
    pub length_form: LengthForm,
    /// A length to declare instead of the payload's real length (to build lying frames).
    pub declared_len: Option<u64>,
    /// The payload before masking.
    pub payload: Vec<u8>,
}

impl FrameSpec {
    /// A final, unmasked frame with no RSV bits and a minimal length.
    pub fn new(opcode: OpCode, payload: impl Into<Vec<u8>>) -> FrameSpec {
        FrameSpec {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: None,
            length_form: LengthForm::Bits7,
            declared_len: None,
            payload: payload.into(),
        }
    }

    /// The same frame masked with `key`.
    pub fn masked(mut self, key: [u8; 4]) -> FrameSpec {
        self.mask = Some(key);
        self
    }
}

/// A Close body: the 2-byte code and the reason.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(reason);
    v
}

/// The frame's bytes.
///
/// ```
/// use wsinspect_core::wire::{codes::OpCode, encode::{encode, FrameSpec}};
/// let f = encode(&FrameSpec::new(OpCode::TEXT, "Hello").masked([0x37, 0xfa, 0x21, 0x3d]));
/// assert_eq!(f, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
pub fn encode(spec: &FrameSpec) -> Vec<u8> {
    let len = spec.declared_len.unwrap_or(spec.payload.len() as u64);
    let mut out = Vec::with_capacity(14 + spec.payload.len());
    let b0 = (u8::from(spec.fin) << 7)
        | (u8::from(spec.rsv1) << 6)
        | (u8::from(spec.rsv2) << 5)
        | (u8::from(spec.rsv3) << 4)
        | (spec.opcode.0 & 0x0f);
    out.push(b0);
    let form = spec.length_form.max(LengthForm::minimal(len));
    form.write(spec.mask.is_some(), len, &mut out);
    let start = out.len() + if spec.mask.is_some() { 4 } else { 0 };
    if let Some(key) = spec.mask {
        out.extend_from_slice(&key);
    }
    out.extend_from_slice(&spec.payload);
    if let Some(key) = spec.mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// Format bytes as spaced lower-case hex (`81 05 48`).
pub fn spaced_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}
