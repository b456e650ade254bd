//! TLS in capture files, decrypted with the session secrets a key log gives (sans-IO: the key
//! log is passed as bytes, the records come from the reassembled TCP streams).
//!
//! Layers, each using only the ones before it: [`keylog`] (the NSS key log format, from a file
//! or a pcapng Decryption Secrets Block), [`cipher`] (the suites, their key schedules and one
//! record's decryption, by RustCrypto's crates), [`hello`] (the handshake messages read as far
//! as needed), [`conn`] (one connection: both directions' records, the handshake, which keys
//! when, the plaintext out, and a [`TlsReport`]).
//!
//! What is decrypted: TLS 1.3 with TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
//! TLS_CHACHA20_POLY1305_SHA256 (handshake keys to read past the encrypted handshake, then the
//! application traffic secrets, KeyUpdate followed); TLS 1.2 with the AES-GCM and
//! ChaCha20-Poly1305 suites ([`cipher::SUITES`]). Not: CBC and CCM suites, SSL 3 to TLS 1.1,
//! 0-RTT early data, TLS 1.2 renegotiation, DTLS and QUIC. Each of them is reported, never
//! guessed at: a record that does not authenticate stops its direction, and nothing of it is
//! handed on as plaintext.

pub mod cipher;
pub mod conn;
pub mod hello;
pub mod keylog;

use serde::Serialize;
use wsinspect_core::Direction;

pub use conn::{TlsConn, TlsOut};
pub use keylog::{KeyLog, KeyLogError, Secrets};

/// What a TLS connection was, and how far it was decrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsReport {
    /// The version the server chose (`TLS 1.2`, `TLS 1.3`, ...).
    pub version: Option<String>,
    /// The suite the server chose (its IANA name, or its number).
    pub suite: Option<String>,
    /// The server name the client asked for.
    pub sni: Option<String>,
    /// The application protocol the server chose (ALPN).
    pub alpn: Option<String>,
    /// The protocols the client offered.
    pub alpn_offered: Vec<String>,
    /// The client random (hex): the key log's key for this connection.
    pub client_random: Option<String>,
    /// Whether the key log had secrets for this connection (`None`: never looked, as no
    /// encrypted record came).
    pub secrets_found: Option<bool>,
    /// Records decrypted from the client.
    pub client_records: u64,
    /// Records decrypted from the server.
    pub server_records: u64,
    /// Plaintext application bytes from the client.
    pub client_plaintext: u64,
    /// Plaintext application bytes from the server.
    pub server_plaintext: u64,
    /// TLS 1.3 KeyUpdates followed.
    pub key_updates: u64,
    /// Why decryption stopped or did not start, and other facts (see [`ProblemKind`]).
    pub problems: Vec<TlsProblem>,
}

/// One reason something was not decrypted, or a fact about what was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsProblem {
    /// What kind.
    pub kind: ProblemKind,
    /// The direction it is about (none: the connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The offset in that direction's TCP byte stream of the record it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What happened, in words.
    pub message: String,
}

/// The kinds of [`TlsProblem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The key log has nothing for this client random.
    NoSecrets,
    /// The capture began after the handshake: no client random to look secrets up by.
    NoHandshake,
    /// The key log has some secrets for it but not the one needed here.
    MissingSecret,
    /// A record did not authenticate with the keys derived: wrong secrets, or the bytes were
    /// changed. Its direction stops there.
    NotAuthentic,
    /// A suite we do not decrypt.
    UnsupportedSuite,
    /// A version we do not decrypt.
    UnsupportedVersion,
    /// Bytes missing from the capture: records cannot be followed past them.
    Gap,
    /// Bytes that are not TLS records, or a handshake message we cannot read.
    Malformed,
    /// The stream ended inside a record.
    Truncated,
    /// 0-RTT data (before the ServerHello), not decrypted.
    EarlyData,
    /// A TLS 1.2 renegotiation, not followed.
    Renegotiation,
    /// An alert other than close_notify (a handshake or certificate failure, say).
    Alert,
    /// ALPN `h2`: HTTP/2 inside, whose WebSocket streams (RFC 8441) are not decoded.
    Http2,
}
