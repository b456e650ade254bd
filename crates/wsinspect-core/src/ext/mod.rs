//! Extensions (RFC 6455 §9, RFC 7692): the `Sec-WebSocket-Extensions` grammar, the
//! permessage-deflate parameters and negotiation rules, and the inflater. Below both the
//! handshake (which judges the negotiation) and the stream (which inflates).

mod blocks;
pub mod deflate;
pub mod extensions;

pub use deflate::{deflate_for_decoding, ExtensionError};
pub use extensions::{Deflate, DeflateParams};
