//! The real `wsinspect` binary, run as a user would.

mod handshake;
mod har;
mod support;

use support::run;

#[test]
fn accept_prints_the_rfc_6455_section_1_3_value() {
    let out = run(&["accept", "dGhlIHNhbXBsZSBub25jZQ=="], b"");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}

mod decode;
mod diagnose;
mod notation;
mod payload;
mod pcap;
mod real;
mod serve;
mod serve_load;
mod stream;
mod tls;
