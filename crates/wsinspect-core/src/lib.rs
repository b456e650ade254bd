//! wsinspect-core: everything the inspector knows about WebSocket, as a sans-IO library.
//!
//! Bytes and text go in, serialisable values come out. No sockets, files, clocks or threads, so
//! the same code runs in the CLI, in the browser (wasm32) and, later, behind the live proxy.
//!
//! - [`notation`]: turn what a user pasted (hex in its many spellings, base64) into bytes.
//! - [`field`]: the one declarative table of frame header fields (RFC 6455 §5.2).
//! - [`header`]: decode one frame header into field values with their exact spans.
//! - [`stream`]: the streaming decoder: frames, messages, findings ([`stream::Decoder`]).
//! - [`codes`]: opcodes and close codes, named from one table each.
//! - [`finding`]: the one table of rules findings come from.
//! - [`mask`], [`utf8`], [`deflate`]: unmasking, streaming UTF-8 validation, permessage-deflate.
//! - [`encode`]: build frames from fields, including deliberately wrong ones.
//! - [`render`]: the readable text view of a decoded stream.
//! - [`accept`]: the Sec-WebSocket-Accept computation (RFC 6455 §1.3, §4.2.2).
//! - [`handshake`]: the opening handshake parsed, checked against RFC 6455 §4, and explained.
//! - [`inspect`]: one call for anything pasted: notation, handshake, then frames.
//! - [`view`], [`examples`], [`share`], [`compose`]: what the web page shows, offers, links
//!   and builds, computed here so the page only arranges it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accept;
pub mod codes;
pub mod compose;
pub mod deflate;
pub mod encode;
pub mod examples;
pub mod field;
pub mod finding;
pub mod handshake;
pub mod header;
pub mod inspect;
pub mod mask;
pub mod notation;
pub mod render;
pub mod share;
pub mod stream;
pub mod utf8;
pub mod view;

pub use stream::{
    decode_all, DecodeConfig, Decoder, Direction, ExtensionError, Incomplete, StreamReport,
};
