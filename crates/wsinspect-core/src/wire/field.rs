//! The one declarative table of frame header fields (RFC 6455 §5.2).
//!
//! Every view (the web page's bit grid and hex view, the CLI text table, JSON) renders from
//! [`FIELDS`] plus the spans the decoder reports, so a field is named, located and explained in
//! exactly one place.

use serde::Serialize;

use crate::common::ids;

/// Where a field sits in a frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Loc {
    /// Bits of one fixed header byte, selected by `mask`.
    Bits {
        /// Byte offset from the start of the frame.
        byte: usize,
        /// Which bits of that byte (most significant bit first on the wire).
        mask: u8,
    },
    /// The 16-bit extended payload length: 2 bytes after the first two (present when len7 = 126).
    ExtLen16,
    /// The 64-bit extended payload length: 8 bytes after the first two (present when len7 = 127).
    ExtLen64,
    /// The 4-byte masking key, after the length (present when MASK = 1).
    MaskKey,
}

/// What kind of value a field holds, which decides how it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One bit: 0 or 1.
    Flag,
    /// An unsigned number.
    Uint,
    /// The opcode: a number with a registered name.
    Opcode,
    /// Raw bytes, shown as hex.
    Bytes,
}

/// One header field: a stable key, where it sits, and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    /// Stable identifier used by the CLI, JSON and the UI's `data-field` hooks.
    pub key: FieldId,
    /// Display name.
    pub name: &'static str,
    /// Where the field is.
    pub loc: Loc,
    /// What kind of value it holds.
    pub kind: Kind,
    /// One sentence for a learner.
    pub doc: &'static str,
    /// The RFC section defining it.
    pub rfc: &'static str,
}

macro_rules! fields {
    ($(
        $var:ident = $key:literal {
            name: $name:literal,
            loc: $loc:expr,
            kind: $kind:expr,
            doc: $doc:literal,
            rfc: $rfc:literal $(,)?
        }
    ),* $(,)?) => {
        ids! {
            /// A frame header field, named by its stable key; [`FieldId::def`] is its row of
            /// [`FIELDS`].
            pub enum FieldId("header field") {
                $( #[doc = $doc] $var = $key, )*
            }
        }

        /// The frame header fields in wire order (the order of [`FieldId`]).
        pub static FIELDS: &[FieldDef] = &[$(
            FieldDef { key: FieldId::$var, name: $name, loc: $loc, kind: $kind, doc: $doc, rfc: $rfc },
        )*];
    };
}

fields! {
    Fin = "fin" {
        name: "FIN",
        loc: Loc::Bits { byte: 0, mask: 0x80 },
        kind: Kind::Flag,
        doc: "1 when this is the final fragment of a message; 0 when continuation frames follow.",
        rfc: "RFC 6455 §5.2",
    },
    Rsv1 = "rsv1" {
        name: "RSV1",
        loc: Loc::Bits { byte: 0, mask: 0x40 },
        kind: Kind::Flag,
        doc: "Reserved for extensions; permessage-deflate sets it on the first frame of a compressed message.",
        rfc: "RFC 6455 §5.2, RFC 7692 §6",
    },
    Rsv2 = "rsv2" {
        name: "RSV2",
        loc: Loc::Bits { byte: 0, mask: 0x20 },
        kind: Kind::Flag,
        doc: "Reserved; must be 0 unless a negotiated extension defines it.",
        rfc: "RFC 6455 §5.2",
    },
    Rsv3 = "rsv3" {
        name: "RSV3",
        loc: Loc::Bits { byte: 0, mask: 0x10 },
        kind: Kind::Flag,
        doc: "Reserved; must be 0 unless a negotiated extension defines it.",
        rfc: "RFC 6455 §5.2",
    },
    Opcode = "opcode" {
        name: "Opcode",
        loc: Loc::Bits { byte: 0, mask: 0x0f },
        kind: Kind::Opcode,
        doc: "How to interpret the payload: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.",
        rfc: "RFC 6455 §5.2",
    },
    Mask = "mask" {
        name: "MASK",
        loc: Loc::Bits { byte: 1, mask: 0x80 },
        kind: Kind::Flag,
        doc: "1 when the payload is masked with the 4-byte masking key; clients must mask, servers must not.",
        rfc: "RFC 6455 §5.2, §5.3",
    },
    PayloadLen = "payload_len" {
        name: "Payload length",
        loc: Loc::Bits { byte: 1, mask: 0x7f },
        kind: Kind::Uint,
        doc: "0-125 is the payload length; 126 means a 16-bit length follows, 127 a 64-bit one.",
        rfc: "RFC 6455 §5.2",
    },
    ExtLen16 = "ext_len16" {
        name: "Extended payload length (16 bit)",
        loc: Loc::ExtLen16,
        kind: Kind::Uint,
        doc: "The payload length as a 16-bit big-endian number, used for lengths 126-65535.",
        rfc: "RFC 6455 §5.2",
    },
    ExtLen64 = "ext_len64" {
        name: "Extended payload length (64 bit)",
        loc: Loc::ExtLen64,
        kind: Kind::Uint,
        doc: "The payload length as a 64-bit big-endian number; its most significant bit must be 0.",
        rfc: "RFC 6455 §5.2",
    },
    MaskKey = "mask_key" {
        name: "Masking key",
        loc: Loc::MaskKey,
        kind: Kind::Bytes,
        doc: "The 32-bit key the payload is XORed with, byte i with key byte i mod 4.",
        rfc: "RFC 6455 §5.3",
    },
}

impl FieldId {
    /// Everything said about this field: its row of [`FIELDS`].
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self.index()]
    }

    /// Its position in [`FIELDS`] (wire order), which the views use to pick its colour.
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_its_row_in_wire_order() {
        assert_eq!(FIELDS.len(), FieldId::ALL.len());
        for (i, f) in FieldId::ALL.iter().enumerate() {
            assert_eq!((f.def().key, f.index()), (*f, i));
        }
        let keys: Vec<&str> = FIELDS.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "fin",
                "rsv1",
                "rsv2",
                "rsv3",
                "opcode",
                "mask",
                "payload_len",
                "ext_len16",
                "ext_len64",
                "mask_key"
            ]
        );
        assert_eq!("mask_key".parse(), Ok(FieldId::MaskKey));
    }

    #[test]
    fn bit_masks_are_disjoint_and_cover_the_first_two_bytes() {
        for byte in 0..2 {
            let masks: Vec<u8> = FIELDS
                .iter()
                .filter_map(|f| match f.loc {
                    Loc::Bits { byte: b, mask } if b == byte => Some(mask),
                    _ => None,
                })
                .collect();
            let mut seen = 0u8;
            for m in &masks {
                assert_eq!(seen & m, 0, "overlapping masks in byte {byte}");
                seen |= m;
            }
            assert_eq!(seen, 0xff, "byte {byte} not fully described");
        }
    }
}
