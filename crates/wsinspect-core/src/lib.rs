//! wsinspect-core: everything the inspector knows about WebSocket, as a sans-IO library.
//!
//! Bytes and text go in, serialisable values come out. No sockets, files, clocks or threads, so
//! the same code runs in the CLI, in the browser (wasm32) and behind the live proxy.
//!
//! The modules are layers; each uses only the layers listed before it:
//!
//! - [`common`]: leaf types every layer shares ([`Direction`], hex formatting).
//! - [`wire`]: one frame, no state across frames: opcodes and close codes, the declarative
//!   header field table, header decoding with spans, unmasking, the encoder.
//! - [`finding`]: the one table of rules that findings come from.
//! - [`ext`]: the `Sec-WebSocket-Extensions` grammar, permessage-deflate's parameters and
//!   negotiation rules (RFC 7692), and the inflater.
//! - [`stream`]: one direction's state machine: frames, message reassembly, UTF-8, inflation.
//! - [`handshake`]: the opening handshake parsed, checked against RFC 6455 §4, the
//!   Sec-WebSocket-Accept math and the diagnosis of a wrong one.
//! - [`session`]: a whole connection, both directions and the handshake, as timestamped events.
//! - [`diagnose`]: why a connection failed (cause, remedy, evidence, what clients print) and
//!   each peer's conformance per class, from a session's events and how TCP ended.
//! - [`inspect`]: the "paste anything" front door: notation detection, then handshake and frames.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod common;
pub mod diagnose;
pub mod ext;
pub mod finding;
pub mod handshake;
pub mod inspect;
pub mod session;
pub mod stream;
pub mod wire;

pub use common::Direction;
pub use ext::ExtensionError;
pub use stream::{decode_all, DecodeConfig, Decoder, Incomplete, StreamReport};
