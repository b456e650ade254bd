//! IP fragments put back into datagrams (RFC 791 §3.2, RFC 8200 §4.5), by etherparse's
//! `IpDefragBuf` (one per datagram), in memory we bound ourselves: at most
//! [`MAX_PENDING`] datagrams and `max_bytes` bytes are held at once, the oldest dropped first
//! (etherparse's own pool has no bound). A datagram that never completes is counted, not
//! guessed at: the TCP reassembly then sees its bytes as lost.

use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber};

use crate::link::{Fragment, FragmentKey};

/// The most datagrams held incomplete at once.
pub const MAX_PENDING: usize = 256;

/// The default for [`Defrag::new`]'s `max_bytes`: a few dozen datagrams of the largest size.
pub const DEFAULT_MAX_FRAGMENT_BYTES: usize = 4 << 20;

/// Counts of what happened to fragments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefragCounts {
    /// Fragments read.
    pub fragments: u64,
    /// Datagrams put back together.
    pub reassembled: u64,
    /// Datagrams given up: fragments that contradict each other, too many held (our limit), or
    /// missing pieces at the end of the file.
    pub incomplete: u64,
}

/// The datagrams being put back together.
pub struct Defrag {
    pending: Vec<Pending>,
    max_bytes: usize,
    counts: DefragCounts,
}

struct Pending {
    key: FragmentKey,
    buf: IpDefragBuf,
}

impl Defrag {
    /// Nothing held; at most `max_bytes` of fragments held at once.
    pub fn new(max_bytes: usize) -> Defrag {
        Defrag {
            pending: Vec::new(),
            max_bytes,
            counts: DefragCounts::default(),
        }
    }

    /// Counts so far ([`DefragCounts::incomplete`] includes what is held only after
    /// [`Defrag::finish`]).
    pub fn counts(&self) -> DefragCounts {
        self.counts
    }

    /// Add a fragment: its datagram's payload and key when this was the piece that completed it.
    pub fn add(&mut self, fragment: &Fragment) -> Option<(FragmentKey, Vec<u8>)> {
        self.counts.fragments += 1;
        let at = match self.pending.iter().position(|p| p.key == fragment.key) {
            Some(at) => at,
            None => self.start(fragment.key),
        };
        let offset = IpFragOffset::try_new(fragment.offset / 8).unwrap_or(IpFragOffset::ZERO);
        let buf = &mut self.pending[at].buf;
        if fragment.offset % 8 != 0 || buf.add(offset, fragment.more, fragment.payload).is_err() {
            self.give_up(at);
            return None;
        }
        if !buf.is_complete() {
            self.bound();
            return None;
        }
        let done = self.pending.remove(at);
        self.counts.reassembled += 1;
        Some((done.key, done.buf.take_bufs().0))
    }

    /// The end of the file: whatever is still held will never complete.
    pub fn finish(&mut self) {
        self.counts.incomplete += self.pending.len() as u64;
        self.pending.clear();
    }

    fn start(&mut self, key: FragmentKey) -> usize {
        if self.pending.len() == MAX_PENDING {
            self.give_up(0);
        }
        let buf = IpDefragBuf::new(IpNumber(key.protocol), Vec::new(), Vec::new());
        self.pending.push(Pending { key, buf });
        self.pending.len() - 1
    }

    fn give_up(&mut self, at: usize) {
        self.pending.remove(at);
        self.counts.incomplete += 1;
    }

    /// Drop the oldest datagrams until what is held fits in `max_bytes`.
    fn bound(&mut self) {
        let held = |p: &Pending| p.buf.data().len();
        let mut total: usize = self.pending.iter().map(held).sum();
        while total > self.max_bytes && !self.pending.is_empty() {
            total -= held(&self.pending[0]);
            self.give_up(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{read, tcp_in, Layer, LINKTYPE_RAW};

    /// An IPv4 TCP segment with `payload`, cut into IP fragments of `size` payload bytes.
    fn fragments(payload: &[u8], size: usize, id: u16) -> Vec<Vec<u8>> {
        let b = etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(1234, 80, 7, 1000)
            .ack(1);
        let mut whole = Vec::new();
        b.write(&mut whole, payload).unwrap();
        let (header, body) = whole.split_at(20);
        body.chunks(size)
            .enumerate()
            .map(|(i, part)| {
                let mut h = etherparse::Ipv4Header::from_slice(header).unwrap().0;
                h.identification = id;
                h.dont_fragment = false;
                h.more_fragments = (i + 1) * size < body.len();
                h.fragment_offset = IpFragOffset::try_new((i * size / 8) as u16).unwrap();
                h.set_payload_len(part.len()).unwrap();
                h.header_checksum = h.calc_header_checksum();
                [h.to_bytes().as_slice(), part].concat()
            })
            .collect()
    }

    fn feed(defrag: &mut Defrag, packet: &[u8]) -> Option<Vec<u8>> {
        let Ok(Layer::Fragment(f)) = read(LINKTYPE_RAW, packet) else {
            panic!("not a fragment");
        };
        let (key, payload) = defrag.add(&f)?;
        Some(tcp_in(&key, &payload).unwrap().payload.to_vec())
    }

    #[test]
    fn fragments_in_any_order_give_the_segment() {
        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let mut pieces = fragments(&data, 512, 9);
        pieces.swap(0, 3);
        pieces.reverse();
        let mut defrag = Defrag::new(DEFAULT_MAX_FRAGMENT_BYTES);
        let n = pieces.len();
        for (i, p) in pieces.iter().enumerate() {
            let got = feed(&mut defrag, p);
            assert_eq!(got.is_some(), i + 1 == n, "fragment {i}");
            if let Some(got) = got {
                assert_eq!(got, data);
            }
        }
        assert_eq!(
            defrag.counts(),
            DefragCounts {
                fragments: n as u64,
                reassembled: 1,
                incomplete: 0
            }
        );
    }

    #[test]
    fn held_bytes_are_bounded_and_what_never_completes_is_counted() {
        let mut defrag = Defrag::new(8 << 10);
        // 100 datagrams whose last fragment never comes: each holds 1 KiB.
        for id in 0..100 {
            let pieces = fragments(&[0; 2000], 1024, id);
            assert_eq!(feed(&mut defrag, &pieces[0]), None);
        }
        assert!(defrag.pending.len() <= 8);
        // One that completes still does.
        let pieces = fragments(b"whole at last", 8, 500);
        let got: Vec<_> = pieces.iter().filter_map(|p| feed(&mut defrag, p)).collect();
        assert_eq!(got, vec![b"whole at last".to_vec()]);
        defrag.finish();
        assert_eq!(defrag.counts().incomplete, 100);
        assert_eq!(defrag.counts().reassembled, 1);
    }

    #[test]
    fn contradicting_fragments_give_the_datagram_up() {
        let pieces = fragments(&[1; 64], 16, 3);
        let mut defrag = Defrag::new(DEFAULT_MAX_FRAGMENT_BYTES);
        // The last: 84 bytes in all (a TCP header and 64 bytes).
        assert_eq!(feed(&mut defrag, pieces.last().unwrap()), None);
        // A "last" fragment that ends elsewhere contradicts it.
        let mut other = pieces[1].clone();
        other[6] &= !0x20; // clear More Fragments
        assert_eq!(feed(&mut defrag, &other), None);
        assert_eq!(defrag.counts().incomplete, 1);
        assert!(defrag.pending.is_empty());
    }
}
