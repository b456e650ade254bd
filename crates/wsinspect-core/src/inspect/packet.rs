//! Whole packets pasted as hex (`tshark -x`, Wireshark's "Copy as Hex Dump" of a packet): the
//! link, IP and TCP headers are recognised and taken off, and the TCP payloads of the packets
//! are put back in order per direction, so that the frames inside are decoded, never the
//! headers. Capture files have their own reader (crates/wsinspect-capture); this is for what
//! people paste.

use core::ops::Range;

use crate::common::Direction;

/// One TCP segment found in a pasted packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `ip:port` of the sender.
    pub src: String,
    /// `ip:port` of the receiver.
    pub dst: String,
    /// The sequence number of the payload's first byte.
    pub seq: u32,
    /// SYN is set (it takes one sequence number).
    pub syn: bool,
    /// FIN is set (it takes one sequence number, after the payload).
    pub fin: bool,
    /// Where the TCP payload is in the packet's bytes.
    pub payload: Range<usize>,
    /// The headers that were recognised, e.g. "Ethernet, IPv4, TCP".
    pub layers: &'static str,
}

/// What the packets' payloads hold, in order: bytes a side sent, or bytes that are missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The next bytes `Direction` sent.
    Data(Direction, Vec<u8>),
    /// Bytes of `Direction` that no pasted packet holds (a segment not copied).
    Gap(Direction, u64),
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

/// The TCP segment in one packet, if the bytes are a whole packet: Ethernet (with VLAN tags),
/// Linux cooked capture (SLL), or raw IP; then IPv4 or IPv6 without extension headers; then TCP.
/// Every length must agree, so frame bytes are not taken for a packet by chance.
pub fn tcp_segment(p: &[u8]) -> Option<Segment> {
    // The link layer: Ethernet's EtherType at 12 (after VLAN tags), SLL's protocol at 14.
    let mut candidates: Vec<(usize, &'static str)> = Vec::new();
    let mut at = 12;
    while be16(p, at) == Some(0x8100) {
        at += 4;
    }
    if let Some(0x0800 | 0x86dd) = be16(p, at) {
        candidates.push((at + 2, "Ethernet"));
    }
    if matches!(be16(p, 14), Some(0x0800 | 0x86dd)) {
        candidates.push((16, "Linux cooked capture"));
    }
    candidates.push((0, "raw IP"));
    candidates
        .into_iter()
        .find_map(|(ip, link)| ip_segment(p, ip, link))
}

fn ip_segment(p: &[u8], ip: usize, link: &'static str) -> Option<Segment> {
    let version = p.get(ip)? >> 4;
    let (src, dst, tcp, end, layers) = match version {
        4 => {
            let ihl = usize::from(p[ip] & 0x0f) * 4;
            let total = be16(p, ip + 2)?;
            let proto = *p.get(ip + 9)?;
            if ihl < 20 || proto != 6 || total < ihl + 20 || ip + total > p.len() {
                return None;
            }
            let a = |o: usize| format!("{}.{}.{}.{}", p[o], p[o + 1], p[o + 2], p[o + 3]);
            let layers = match link {
                "Ethernet" => "Ethernet, IPv4, TCP",
                "Linux cooked capture" => "Linux cooked capture, IPv4, TCP",
                _ => "IPv4, TCP",
            };
            (a(ip + 12), a(ip + 16), ip + ihl, ip + total, layers)
        }
        6 => {
            let len = be16(p, ip + 4)?;
            if *p.get(ip + 6)? != 6 || ip + 40 + len > p.len() || len < 20 {
                return None;
            }
            let a = |o: usize| {
                let words: Vec<String> = (0..8)
                    .map(|i| format!("{:x}", be16(p, o + 2 * i).unwrap_or(0)))
                    .collect();
                format!("[{}]", words.join(":"))
            };
            let layers = match link {
                "Ethernet" => "Ethernet, IPv6, TCP",
                "Linux cooked capture" => "Linux cooked capture, IPv6, TCP",
                _ => "IPv6, TCP",
            };
            (a(ip + 8), a(ip + 24), ip + 40, ip + 40 + len, layers)
        }
        _ => return None,
    };
    let data = usize::from(p.get(tcp + 12)? >> 4) * 4;
    if data < 20 || tcp + data > end {
        return None;
    }
    let seq = u32::from_be_bytes(p.get(tcp + 4..tcp + 8)?.try_into().ok()?);
    Some(Segment {
        src: format!("{src}:{}", be16(p, tcp)?),
        dst: format!("{dst}:{}", be16(p, tcp + 2)?),
        seq,
        syn: p[tcp + 13] & 0x02 != 0,
        fin: p[tcp + 13] & 0x01 != 0,
        payload: tcp + data..end,
        layers,
    })
}

/// Which side is the client: the sender of an HTTP request, else the receiver of an HTTP
/// response, else the sender of masked frames (only clients mask), else the first sender.
fn client_of(segments: &[(Segment, &[u8])]) -> String {
    let with_data = || {
        segments
            .iter()
            .filter(|(s, p)| !p[s.payload.clone()].is_empty())
    };
    let first = |(s, p): &(Segment, &[u8])| p[s.payload.clone()].to_vec();
    if let Some((s, _)) = with_data().find(|x| first(x).starts_with(b"GET ")) {
        return s.src.clone();
    }
    if let Some((s, _)) = with_data().find(|x| first(x).starts_with(b"HTTP/")) {
        return s.dst.clone();
    }
    match with_data().next() {
        Some(x @ (s, _)) if first(x).get(1).is_some_and(|b| b & 0x80 == 0) => s.dst.clone(),
        Some((s, _)) => s.src.clone(),
        None => segments
            .first()
            .map(|(s, _)| s.src.clone())
            .unwrap_or_default(),
    }
}

/// The pieces the packets carry, in order, when every packet is a TCP segment of one connection:
/// a retransmitted byte is taken once, a missing stretch is a [`Piece::Gap`]. `None` when a
/// packet is not TCP or the packets belong to more than one connection.
pub fn tcp_pieces(packets: &[Vec<u8>]) -> Option<(Vec<Piece>, &'static str)> {
    let segments: Vec<(Segment, &[u8])> = packets
        .iter()
        .map(|p| tcp_segment(p).map(|s| (s, &p[..])))
        .collect::<Option<_>>()?;
    let (first, _) = segments.first()?;
    let ends = [first.src.clone(), first.dst.clone()];
    if segments
        .iter()
        .any(|(s, _)| !ends.contains(&s.src) || !ends.contains(&s.dst) || s.src == s.dst)
    {
        return None;
    }
    let client = client_of(&segments);
    let mut next: [Option<u32>; 2] = [None, None];
    let mut pieces = Vec::new();
    for (s, p) in &segments {
        let d = if s.src == client {
            Direction::Client
        } else {
            Direction::Server
        };
        let side = usize::from(d == Direction::Server);
        let start = s.seq.wrapping_add(u32::from(s.syn));
        let data = &p[s.payload.clone()];
        let expected = *next[side].get_or_insert(start);
        let ahead = start.wrapping_sub(expected);
        let skip = if ahead < 1 << 31 {
            if ahead > 0 {
                pieces.push(Piece::Gap(d, u64::from(ahead)));
            }
            0
        } else {
            // Behind what was read: a retransmission, of which only new bytes count.
            expected.wrapping_sub(start) as usize
        };
        if skip < data.len() {
            pieces.push(Piece::Data(d, data[skip..].to_vec()));
        }
        if skip < data.len() || ahead < 1 << 31 {
            let end = start.wrapping_add(data.len() as u32);
            next[side] = Some(end.wrapping_add(u32::from(s.fin)));
        }
    }
    Some((pieces, first.layers))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 + TCP packet from 10.0.0.1:1000 to 10.0.0.2:80 with `payload`.
    fn packet(seq: u32, from_client: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 12];
        p.extend([0x08, 0x00]);
        let total = 20 + 20 + payload.len();
        let (a, b) = if from_client { (1, 2) } else { (2, 1) };
        p.extend([
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ]);
        p.extend([10, 0, 0, a, 10, 0, 0, b]);
        let (sp, dp): (u16, u16) = if from_client { (1000, 80) } else { (80, 1000) };
        p.extend(sp.to_be_bytes());
        p.extend(dp.to_be_bytes());
        p.extend(seq.to_be_bytes());
        p.extend([0, 0, 0, 0, 0x50, 0x18, 0, 0, 0, 0, 0, 0]);
        p.extend(payload);
        p
    }

    #[test]
    fn headers_are_taken_off_and_payloads_put_in_order_per_side() {
        let hello = [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'];
        let packets = vec![
            packet(100, false, &hello),
            packet(107, false, &hello),
            packet(107, false, &hello), // retransmitted
            packet(121, false, &hello), // 7 bytes missing before it
        ];
        let s = tcp_segment(&packets[0]).unwrap();
        assert_eq!(
            (s.src.as_str(), s.dst.as_str()),
            ("10.0.0.2:80", "10.0.0.1:1000")
        );
        assert_eq!(s.layers, "Ethernet, IPv4, TCP");
        let (pieces, _) = tcp_pieces(&packets).unwrap();
        let d = Direction::Server; // unmasked frames: the server's
        assert_eq!(
            pieces,
            [
                Piece::Data(d, hello.to_vec()),
                Piece::Data(d, hello.to_vec()),
                Piece::Gap(d, 7),
                Piece::Data(d, hello.to_vec()),
            ]
        );
        // WebSocket frames are not packets.
        assert!(tcp_segment(&hello).is_none());
        assert!(tcp_pieces(&[hello.to_vec()]).is_none());
    }
}
