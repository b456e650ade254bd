//! From a captured packet to its TCP segment: the link layer (Ethernet with VLAN tags, Linux
//! cooked SLL and SLL2, BSD loopback NULL/LOOP, raw IP), IPv4 or IPv6, then TCP, by
//! `etherparse`.
//!
//! An IP fragment (IPv4, or IPv6 with a Fragment header) comes out as a [`Fragment`] for
//! [`crate::defrag`] to put back together; the whole datagram's TCP segment is then read by
//! [`tcp_in`]. Non-goals (the packet is counted as skipped): tunnels other than what etherparse
//! follows by itself, and every other link type.

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, IpNumber, Ipv6ExtensionSlice, NetSlice, SlicedPacket, TcpSlice, TransportSlice,
};

/// `LINKTYPE_NULL`: BSD loopback, a 4-byte address family in the capturing host's byte order.
pub const LINKTYPE_NULL: u16 = 0;
/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u16 = 1;
/// `LINKTYPE_RAW`: an IPv4 or IPv6 packet.
pub const LINKTYPE_RAW: u16 = 101;
/// `LINKTYPE_LOOP`: OpenBSD loopback, the address family in network byte order.
pub const LINKTYPE_LOOP: u16 = 108;
/// `LINKTYPE_LINUX_SLL`: Linux cooked capture v1.
pub const LINKTYPE_LINUX_SLL: u16 = 113;
/// `LINKTYPE_IPV4`.
pub const LINKTYPE_IPV4: u16 = 228;
/// `LINKTYPE_IPV6`.
pub const LINKTYPE_IPV6: u16 = 229;
/// `LINKTYPE_LINUX_SLL2`: Linux cooked capture v2.
pub const LINKTYPE_LINUX_SLL2: u16 = 276;

/// One TCP segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful with `ack`).
    pub ack_number: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The segment's data.
    pub payload: &'a [u8],
}

/// Why a packet gave no TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A link type we do not read.
    LinkType,
    /// Not IP, or IP but not TCP.
    NotTcp,
    /// An IP fragment: see [`read`].
    Fragment,
    /// Headers cut short or malformed.
    Malformed,
}

/// One piece of a fragmented IP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// What identifies its datagram: source, destination, the IP identification and the
    /// protocol it carries.
    pub key: FragmentKey,
    /// Where its bytes go in the datagram's payload.
    pub offset: u16,
    /// Whether more fragments follow (the last one says how long the datagram is).
    pub more: bool,
    /// Its part of the payload.
    pub payload: &'a [u8],
}

/// The datagram a [`Fragment`] belongs to (RFC 791 §2.3; RFC 8200 §4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    /// Sender.
    pub src: IpAddr,
    /// Receiver.
    pub dst: IpAddr,
    /// The IP identification (16 bits in IPv4, 32 in IPv6's Fragment header).
    pub id: u32,
    /// The protocol of the payload (6 for TCP).
    pub protocol: u8,
}

/// What a packet holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layer<'a> {
    /// A whole TCP segment.
    Segment(Segment<'a>),
    /// A piece of a fragmented IP datagram.
    Fragment(Fragment<'a>),
}

/// The TCP segment in a packet of link type `link`, or [`Skip::Fragment`] for an IP fragment.
pub fn tcp_segment(link: u16, data: &[u8]) -> Result<Segment<'_>, Skip> {
    match read(link, data)? {
        Layer::Segment(s) => Ok(s),
        Layer::Fragment(_) => Err(Skip::Fragment),
    }
}

/// The TCP segment or IP fragment in a packet of link type `link`.
pub fn read(link: u16, data: &[u8]) -> Result<Layer<'_>, Skip> {
    let sliced = match link {
        LINKTYPE_ETHERNET => SlicedPacket::from_ethernet(data),
        LINKTYPE_LINUX_SLL => SlicedPacket::from_linux_sll(data),
        LINKTYPE_LINUX_SLL2 => {
            // protocol type (2 bytes, network order), then 18 bytes up to the payload.
            if data.len() < 20 {
                return Err(Skip::Malformed);
            }
            let ether_type = EtherType(u16::from_be_bytes([data[0], data[1]]));
            SlicedPacket::from_ether_type(ether_type, &data[20..])
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            if data.len() < 4 {
                return Err(Skip::Malformed);
            }
            let b = [data[0], data[1], data[2], data[3]];
            // NULL's family is in the capturing host's byte order, which the file does not
            // say; the values are small, so either order reads unambiguously.
            let family = if link == LINKTYPE_LOOP {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b).min(u32::from_be_bytes(b))
            };
            match family {
                // AF_INET; AF_INET6 on the BSDs, Darwin, Linux/Windows.
                2 | 24 | 28 | 30 | 10 | 23 => SlicedPacket::from_ip(&data[4..]),
                _ => return Err(Skip::NotTcp),
            }
        }
        LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 | 12 | 14 => SlicedPacket::from_ip(data),
        _ => return Err(Skip::LinkType),
    }
    .map_err(|_| Skip::Malformed)?;
    if let Some(fragment) = fragment(&sliced) {
        return Ok(Layer::Fragment(fragment));
    }
    let (src, dst): (IpAddr, IpAddr) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return Err(Skip::NotTcp),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Err(Skip::NotTcp);
    };
    Ok(Layer::Segment(segment(src, dst, tcp)))
}

/// The TCP segment in a reassembled datagram's payload.
pub fn tcp_in<'a>(key: &FragmentKey, payload: &'a [u8]) -> Result<Segment<'a>, Skip> {
    if key.protocol != IpNumber::TCP.0 {
        return Err(Skip::NotTcp);
    }
    let tcp = TcpSlice::from_slice(payload).map_err(|_| Skip::Malformed)?;
    Ok(segment(key.src, key.dst, &tcp))
}

fn segment<'a>(src: IpAddr, dst: IpAddr, tcp: &TcpSlice<'a>) -> Segment<'a> {
    Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack_number: tcp.acknowledgment_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    }
}

/// The fragment in a packet, if it is one.
fn fragment<'a>(sliced: &SlicedPacket<'a>) -> Option<Fragment<'a>> {
    match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            h.is_fragmenting_payload().then(|| Fragment {
                key: FragmentKey {
                    src: h.source_addr().into(),
                    dst: h.destination_addr().into(),
                    id: u32::from(h.identification()),
                    protocol: h.protocol().0,
                },
                offset: h.fragments_offset().byte_offset(),
                more: h.more_fragments(),
                payload: ip.payload().payload,
            })
        }
        Some(NetSlice::Ipv6(ip)) => {
            let frag = ip.extensions().clone().into_iter().find_map(|e| match e {
                Ipv6ExtensionSlice::Fragment(f) if f.is_fragmenting_payload() => Some(f),
                _ => None,
            })?;
            let h = ip.header();
            Some(Fragment {
                key: FragmentKey {
                    src: h.source_addr().into(),
                    dst: h.destination_addr().into(),
                    id: frag.identification(),
                    protocol: ip.payload().ip_number.0,
                },
                offset: frag.fragment_offset().byte_offset(),
                more: frag.more_fragments(),
                payload: ip.payload().payload,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 TCP segment 10.0.0.1:1234 -> 10.0.0.2:80, seq 7, PSH|ACK, payload "hi".
    fn ipv4_tcp() -> Vec<u8> {
        let b = etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(1234, 80, 7, 1000)
            .ack(1)
            .psh();
        let mut out = Vec::new();
        b.write(&mut out, b"hi").unwrap();
        out
    }

    fn check(link: u16, packet: &[u8]) {
        let s = tcp_segment(link, packet).unwrap();
        assert_eq!(s.src, "10.0.0.1:1234".parse().unwrap());
        assert_eq!(s.dst, "10.0.0.2:80".parse().unwrap());
        assert_eq!(
            (s.seq, s.ack, s.syn, s.payload),
            (7, true, false, &b"hi"[..])
        );
    }

    #[test]
    fn every_link_type_reaches_the_same_segment() {
        let ip = ipv4_tcp();
        check(LINKTYPE_RAW, &ip);
        check(LINKTYPE_IPV4, &ip);
        let with = |head: &[u8]| [head, &ip].concat();
        check(LINKTYPE_NULL, &with(&2u32.to_le_bytes()));
        check(LINKTYPE_NULL, &with(&2u32.to_be_bytes()));
        check(LINKTYPE_LOOP, &with(&2u32.to_be_bytes()));
        let eth = [[0u8; 12].as_slice(), &[0x08, 0x00]].concat();
        check(LINKTYPE_ETHERNET, &with(&eth));
        // 802.1Q tag (VLAN 5) before the IPv4 ether type.
        let vlan = [[0u8; 12].as_slice(), &[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]].concat();
        check(LINKTYPE_ETHERNET, &with(&vlan));
        // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
        let sll = [[0u8, 0, 0, 1, 0, 6].as_slice(), &[0; 8], &[0x08, 0x00]].concat();
        check(LINKTYPE_LINUX_SLL, &with(&sll));
        // SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, address.
        let sll2 = [
            [0x08u8, 0x00, 0, 0].as_slice(),
            &[0, 0, 0, 1],
            &[0, 1, 0, 6],
            &[0; 8],
        ]
        .concat();
        check(LINKTYPE_LINUX_SLL2, &with(&sll2));
    }

    #[test]
    fn ipv6_and_what_is_skipped() {
        let b = etherparse::PacketBuilder::ipv6(
            [0; 16],
            [0; 15]
                .into_iter()
                .chain([1])
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
            64,
        )
        .tcp(40000, 443, 1, 1000)
        .syn();
        let mut p = Vec::new();
        b.write(&mut p, &[]).unwrap();
        let s = tcp_segment(LINKTYPE_IPV6, &p).unwrap();
        assert_eq!(s.dst, "[::1]:443".parse().unwrap());
        assert!(s.syn);
        let udp = etherparse::PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 9).udp(1, 2);
        let mut u = Vec::new();
        udp.write(&mut u, b"x").unwrap();
        assert_eq!(tcp_segment(LINKTYPE_RAW, &u), Err(Skip::NotTcp));
        assert_eq!(tcp_segment(147, &u), Err(Skip::LinkType));
        assert_eq!(
            tcp_segment(LINKTYPE_RAW, &ipv4_tcp()[..30]),
            Err(Skip::Malformed)
        );
    }
}
