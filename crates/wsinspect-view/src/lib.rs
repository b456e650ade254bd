//! wsinspect-view: what the CLI's text and the page show, computed from wsinspect-core's
//! reports so that the front-ends only arrange it. Pure Rust, no Yew, no DOM.
//!
//! - [`view`]: bit-grid rows, hex rows, payload views, findings and handshake rows for the page.
//! - [`render`]: the readable text view of a decoded stream (the CLI's `decode`).
//! - [`examples`]: the page's examples, with their own fixtures.
//! - [`compose`]: the page's frame composer.
//! - [`connection_doc`]: one connection as `wsinspect pcap --json` shows it.
//! - [`decoded`]: the page's "Decoded" view of a message (wsinspect-payload's tree, linked to bytes).
//! - [`diagnose`]: the text of diagnoses, conformance verdicts and `explain` answers.
//! - [`share`]: share links (the page's state in a URL fragment).
//! - [`paste_job`]: a pasted input read in the page's worker, then decoded in slices.
//! - [`live`]: the page's live view of `wsinspect serve`'s feed (bounded), its client's inputs.
//! - [`capture_view`]: capture files for the page (its Web Worker's index, rows, search, details).
//! - [`capture_decoded`]: a capture's messages decoded in their connection's context (labels,
//!   trees rebuilt on demand from checkpoints).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod capture_decoded;
pub mod capture_view;
pub mod compose;
pub mod connection_doc;
pub mod decoded;
pub mod diagnose;
pub mod examples;
pub mod live;
pub mod paste_job;
pub mod render;
pub mod share;
pub mod view;
