//! The other way round: a relayed connection's chunks out as a pcapng file, with synthetic
//! Ethernet, IP and TCP headers, so Wireshark, `tshark` and `wsinspect pcap` read the same
//! bytes the relay saw. Sans-IO: each call appends bytes to the caller's buffer; the caller
//! writes them where it likes (a file, a download in the page).
//!
//! One [`Flow`] per connection keeps both directions' sequence numbers, so the segments are
//! consistent: a three-way handshake when it opens, each chunk as one or more segments (at most
//! [`MAX_SEGMENT`] bytes each) that acknowledge everything the other side sent, a FIN when a
//! direction ends. Times are the caller's (nanoseconds since the epoch), written in
//! microseconds, pcapng's default resolution, or in nanoseconds with [`file_header_ns`] and
//! [`Flow::nanoseconds`] (the page's export of a capture keeps its times exactly).

use std::net::{IpAddr, SocketAddr};

use etherparse::PacketBuilder;
use wsinspect_core::common::Direction;
use wsinspect_core::session::Timestamp;

/// The largest TCP payload in one synthetic segment (IPv4's total length is 16 bits).
pub const MAX_SEGMENT: usize = 65_535 - 20 - 20;

/// The section header and the one (Ethernet) interface every packet is on.
pub fn file_header() -> Vec<u8> {
    header(false)
}

/// [`file_header`] with an interface whose timestamps are in nanoseconds (`if_tsresol` 9), for
/// a [`Flow::nanoseconds`].
pub fn file_header_ns() -> Vec<u8> {
    header(true)
}

fn header(nanos: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(60);
    // Section header block: byte-order magic, version 1.0, section length unknown.
    block(&mut out, 0x0A0D_0D0A, |b| {
        b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
    });
    // Interface description block: LINKTYPE_ETHERNET, no snap length, default (us) resolution
    // or the if_tsresol option (code 9, one byte: 10^-9), then opt_endofopt.
    block(&mut out, 1, |b| {
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        if nanos {
            b.extend_from_slice(&9u16.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&[9, 0, 0, 0]);
            b.extend_from_slice(&[0; 4]);
        }
    });
    out
}

/// Append one block: type, total length, body (padded to 4 bytes), total length.
fn block(out: &mut Vec<u8>, kind: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    body(out);
    while (out.len() - start) % 4 != 0 {
        out.push(0);
    }
    let total = (out.len() - start + 4) as u32;
    out[start + 4..start + 8].copy_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
}

/// An enhanced packet block on interface 0 (its time in nanoseconds or microseconds).
fn packet_block(out: &mut Vec<u8>, time: Timestamp, nanos: bool, packet: &[u8]) {
    let units = if nanos { time.0 } else { time.0 / 1_000 };
    block(out, 6, |b| {
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(units as u32).to_le_bytes());
        b.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        b.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        b.extend_from_slice(packet);
    });
}

/// Which TCP flags a segment carries besides ACK.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    Fin,
}

/// One synthetic TCP connection between a client and a server.
#[derive(Clone, Debug)]
pub struct Flow {
    client: SocketAddr,
    server: SocketAddr,
    /// The next sequence number each side sends: `[client, server]`.
    next: [u32; 2],
    /// A side has sent its FIN.
    fin: [bool; 2],
    /// Times written in nanoseconds (the file's header is [`file_header_ns`]).
    nanos: bool,
}

impl Flow {
    /// A flow between these endpoints; both must be the same IP version (an IPv4 one and an
    /// IPv6 one are written as IPv6, the IPv4 one mapped).
    pub fn new(client: SocketAddr, server: SocketAddr) -> Flow {
        Flow {
            client,
            server,
            // Fixed initial sequence numbers: a recording is reproducible.
            next: [1_000, 500_000],
            fin: [false; 2],
            nanos: false,
        }
    }

    /// Times in nanoseconds: the file must start with [`file_header_ns`].
    pub fn nanoseconds(mut self) -> Flow {
        self.nanos = true;
        self
    }

    /// The three-way handshake (SYN, SYN-ACK, ACK) at `time`.
    pub fn open(&mut self, time: Timestamp, out: &mut Vec<u8>) {
        self.segment(Side::Client, Flags::Syn, &[], time, out);
        self.segment(Side::Server, Flags::SynAck, &[], time, out);
        self.segment(Side::Client, Flags::Ack, &[], time, out);
    }

    /// The bytes `direction` sent at `time` (`Direction::Unknown` counts as the client).
    pub fn data(&mut self, direction: Direction, bytes: &[u8], time: Timestamp, out: &mut Vec<u8>) {
        let side = Side::of(direction);
        for piece in bytes.chunks(MAX_SEGMENT) {
            self.segment(side, Flags::Ack, piece, time, out);
        }
    }

    /// `direction` ended (its FIN). A second call for the same side writes nothing.
    pub fn fin(&mut self, direction: Direction, time: Timestamp, out: &mut Vec<u8>) {
        let side = Side::of(direction);
        if !std::mem::replace(&mut self.fin[side as usize], true) {
            self.segment(side, Flags::Fin, &[], time, out);
        }
    }

    fn segment(
        &mut self,
        side: Side,
        flags: Flags,
        payload: &[u8],
        time: Timestamp,
        out: &mut Vec<u8>,
    ) {
        let (src, dst) = match side {
            Side::Client => (self.client, self.server),
            Side::Server => (self.server, self.client),
        };
        let me = side as usize;
        let seq = self.next[me];
        let ack = self.next[1 - me];
        let ip = ip_step(side, src, dst);
        let tcp = ip.tcp(src.port(), dst.port(), seq, 65_535);
        let tcp = match flags {
            Flags::Syn => tcp.syn(),
            Flags::SynAck => tcp.syn().ack(ack),
            Flags::Ack if payload.is_empty() => tcp.ack(ack),
            Flags::Ack => tcp.ack(ack).psh(),
            Flags::Fin => tcp.fin().ack(ack),
        };
        let mut packet = Vec::with_capacity(tcp.size(payload.len()));
        // Writing into a Vec fails only when the payload does not fit the IP length, which
        // MAX_SEGMENT rules out.
        if tcp.write(&mut packet, payload).is_err() {
            return;
        }
        packet_block(out, time, self.nanos, &packet);
        let consumed = match flags {
            Flags::Syn | Flags::SynAck | Flags::Fin => 1,
            Flags::Ack => payload.len() as u32,
        };
        self.next[me] = seq.wrapping_add(consumed);
    }
}

#[derive(Clone, Copy)]
enum Side {
    Client = 0,
    Server = 1,
}

impl Side {
    fn of(direction: Direction) -> Side {
        match direction {
            Direction::Server => Side::Server,
            Direction::Client | Direction::Unknown => Side::Client,
        }
    }
}

/// Locally administered MAC addresses, one per side.
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

fn ip_step(
    side: Side,
    src: SocketAddr,
    dst: SocketAddr,
) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
    let (smac, dmac) = match side {
        Side::Client => (CLIENT_MAC, SERVER_MAC),
        Side::Server => (SERVER_MAC, CLIENT_MAC),
    };
    let eth = PacketBuilder::ethernet2(smac, dmac);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (s, d) => eth.ipv6(v6(s), v6(d), 64),
    }
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capture, CaptureConfig, CaptureEvent};
    use wsinspect_core::session::EventKind;

    #[test]
    fn a_written_flow_reads_back_with_the_same_bytes() {
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let server: SocketAddr = "127.0.0.1:8765".parse().unwrap();
        let mut out = file_header();
        let mut flow = Flow::new(client, server);
        let t = Timestamp(1_700_000_000_123_456_000);
        flow.open(t, &mut out);
        let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        flow.data(Direction::Client, request, t, &mut out);
        flow.data(Direction::Server, response, t, &mut out);
        // An unmasked server text frame "hi", and a big binary frame split into segments.
        flow.data(Direction::Server, &[0x81, 2, b'h', b'i'], t, &mut out);
        let big = vec![7u8; 100_000];
        let mut frame = vec![0x82, 127];
        frame.extend_from_slice(&(big.len() as u64).to_be_bytes());
        frame.extend_from_slice(&big);
        flow.data(Direction::Server, &frame, t, &mut out);
        flow.fin(Direction::Client, t, &mut out);
        flow.fin(Direction::Server, t, &mut out);
        flow.fin(Direction::Server, t, &mut out);

        let mut capture = Capture::new(CaptureConfig::default());
        capture.feed(&out).unwrap();
        capture.finish().unwrap();
        let mut messages = Vec::new();
        let mut upgraded = false;
        while let Some(e) = capture.poll_event() {
            if let CaptureEvent::Event { event, .. } = e {
                match &event.kind {
                    EventKind::Upgrade(u) => upgraded = u.accepted,
                    EventKind::Message(m) => {
                        assert_eq!(event.time, Some(Timestamp(1_700_000_000_123_456_000)));
                        messages.push((m.payload.len, m.payload.kept.0.len()));
                    }
                    _ => {}
                }
            }
        }
        assert!(upgraded);
        assert_eq!(messages, vec![(2, 2), (100_000, 100_000)]);
        assert_eq!(capture.totals().duplicate_bytes, 0);
    }

    #[test]
    fn nanosecond_times_read_back_exactly() {
        let client: SocketAddr = "[::1]:40000".parse().unwrap();
        let server: SocketAddr = "[::1]:8765".parse().unwrap();
        let mut out = file_header_ns();
        let mut flow = Flow::new(client, server).nanoseconds();
        let t = Timestamp(1_700_000_000_123_456_789);
        flow.open(t, &mut out);
        flow.data(Direction::Client, b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", t, &mut out);
        flow.data(Direction::Server, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", t, &mut out);
        let later = Timestamp(t.0 + 1);
        flow.data(Direction::Server, &[0x81, 2, b'h', b'i'], later, &mut out);
        let mut capture = Capture::new(CaptureConfig::default());
        capture.feed(&out).unwrap();
        capture.finish().unwrap();
        let mut times = Vec::new();
        while let Some(e) = capture.poll_event() {
            if let CaptureEvent::Event { event, .. } = e {
                if let EventKind::Message(_) = event.kind {
                    times.push(event.time);
                }
            }
        }
        assert_eq!(times, vec![Some(later)]);
    }
}
