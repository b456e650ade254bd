//! Capture files in, WebSocket connections out: a sans-IO reader of pcap and pcapng files (fed
//! in chunks of any size: a file, a pipe, a browser's `File` slices) that puts every TCP
//! connection back in order and hands each WebSocket one to a core
//! [`Session`](wsinspect_core::session::Session). No files, sockets or clocks: the caller
//! reads the bytes; times come from the capture.
//!
//! Layers, each using only the ones before it: [`file`] (records and blocks to packets),
//! [`link`] (packets to TCP segments), [`tcp`] (segments to each direction's byte stream, with
//! gaps), [`tls`] (a TLS flow's records, handshake and, with a key log, its plaintext),
//! [`capture`] (flows: what each one is, which side is the client, the sessions).
//! Beside them, [`har`] reads HAR files (DevTools' recordings: messages, not packets).
//!
//! ```
//! use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};
//!
//! let mut capture = Capture::new(CaptureConfig::default());
//! // A classic pcap header (little-endian, microseconds, Ethernet) and no packets.
//! let header = [
//!     0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
//! ];
//! for chunk in header.chunks(7) {
//!     capture.feed(chunk).unwrap();
//!     while let Some(_event) = capture.poll_event() {}
//! }
//! capture.finish().unwrap();
//! assert!(capture.poll_event().is_none());
//! assert_eq!(capture.totals().format, Some("pcap"));
//! ```
//!
//! IP fragments are put back together ([`defrag`], between [`link`] and [`tcp`]). TLS is
//! decrypted only with a key log and only for the suites [`tls`] names. Non-goals for now: only
//! TCP.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod defrag;
pub mod file;
pub mod har;
pub mod link;
mod pool;
pub mod select;
pub mod tcp;
pub mod tls;
pub mod write;

pub use capture::{
    Capture, CaptureConfig, CaptureEvent, ClientBy, Connection, FlowKind, Note, OtherFlow,
    SessionHost, SessionInput, Sessions, Totals,
};

/// Why a file cannot be read on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input is empty.
    Empty,
    /// The first four bytes are neither a pcap nor a pcapng magic number.
    NotACapture {
        /// They.
        magic: [u8; 4],
    },
    /// A record or block is malformed.
    Malformed {
        /// Its file offset.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A record or block claims more than [`file::MAX_BLOCK`] bytes.
    BlockTooLarge {
        /// Its file offset.
        offset: u64,
        /// The length its header gives, when it was read (a damaged length, usually: a pcap
        /// record is at most the file's snapshot length, 256 KiB for tcpdump and dumpcap).
        claimed: Option<u64>,
    },
    /// The input ended inside a record or block.
    Truncated {
        /// The record's file offset.
        offset: u64,
        /// How many of its bytes there were.
        have: usize,
    },
}

impl core::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CaptureError::Empty => write!(f, "the capture file is empty"),
            CaptureError::NotACapture { magic } => write!(
                f,
                "not a pcap or pcapng file (it starts with {:02x} {:02x} {:02x} {:02x})",
                magic[0], magic[1], magic[2], magic[3]
            ),
            CaptureError::Malformed { offset, what } => {
                write!(f, "malformed capture at byte {offset}: {what}")
            }
            CaptureError::BlockTooLarge {
                offset,
                claimed: Some(n),
            } => write!(
                f,
                "the record at byte {offset} claims {n} bytes, more than the {} bytes we hold (is its length damaged?)",
                file::MAX_BLOCK
            ),
            CaptureError::BlockTooLarge {
                offset,
                claimed: None,
            } => write!(
                f,
                "the record at byte {offset} is larger than the {} bytes we hold",
                file::MAX_BLOCK
            ),
            CaptureError::Truncated { offset, have } => write!(
                f,
                "the file ends inside the record at byte {offset} ({have} bytes of it)"
            ),
        }
    }
}

impl core::error::Error for CaptureError {}
