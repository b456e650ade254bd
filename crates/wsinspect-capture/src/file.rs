//! Capture files, fed in chunks of any size: classic pcap (either byte order, microsecond or
//! nanosecond timestamps) and pcapng (section headers of either byte order, interface
//! descriptions with their own link types and timestamp resolutions, enhanced and simple packet
//! blocks, Decryption Secrets Blocks holding a TLS key log; other blocks are skipped). Parsing is `pcap-parser`'s streaming functions over a
//! buffer that holds at most one incomplete record or block.
//!
//! Non-goals: the "modified" (Kuznetzov) pcap variant, pcapng's obsolete packet block, and the
//! compressed or encrypted forms some tools write.

use pcap_parser::nom;
use pcap_parser::pcapng::{Block, SecretsType};
use pcap_parser::{
    parse_block_be, parse_block_le, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header,
    parse_sectionheaderblock, PcapError,
};
use wsinspect_core::session::Timestamp;

use crate::CaptureError;

/// The largest record or block held while waiting for the rest of it.
pub const MAX_BLOCK: usize = 16 << 20;

/// One packet of a capture file, owned (see [`Packets`] for the reader's own form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The link type (`LINKTYPE_*` number) of the interface it was captured on.
    pub link: u16,
    /// When it was captured (pcapng's simple packet blocks have no time).
    pub time: Option<Timestamp>,
    /// The captured bytes (maybe fewer than were sent: see `orig_len`).
    pub data: Vec<u8>,
    /// The length the packet had on the wire.
    pub orig_len: u32,
}

/// The packets of one [`FileReader::read`]: their bytes back to back in one buffer, kept from
/// one read to the next. A capture's steady state copies each packet once and allocates nothing
/// per packet (a buffer per packet was a tenth of the page worker's time, in its allocator).
#[derive(Debug, Default)]
pub struct Packets {
    bytes: Vec<u8>,
    list: Vec<PacketAt>,
}

/// Where a packet's bytes are in [`Packets::bytes`], and what else it has.
#[derive(Clone, Copy, Debug)]
struct PacketAt {
    link: u16,
    time: Option<Timestamp>,
    start: usize,
    end: usize,
    orig_len: u32,
}

/// A packet of [`Packets`], borrowed.
#[derive(Clone, Copy, Debug)]
pub struct PacketRef<'a> {
    /// The link type (`LINKTYPE_*` number) of the interface it was captured on.
    pub link: u16,
    /// When it was captured (pcapng's simple packet blocks have no time).
    pub time: Option<Timestamp>,
    /// The captured bytes (maybe fewer than were sent: see `orig_len`).
    pub data: &'a [u8],
    /// The length the packet had on the wire.
    pub orig_len: u32,
}

impl Packets {
    fn push(&mut self, link: u16, time: Option<Timestamp>, data: &[u8], orig_len: u32) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(data);
        self.list.push(PacketAt {
            link,
            time,
            start,
            end: self.bytes.len(),
            orig_len,
        });
    }

    /// The packets, in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = PacketRef<'_>> {
        self.list.iter().map(|p| PacketRef {
            link: p.link,
            time: p.time,
            data: &self.bytes[p.start..p.end],
            orig_len: p.orig_len,
        })
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    /// Forget the packets, keeping the buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.list.clear();
    }
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link: u16,
    /// Timestamp units per second.
    units: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

#[derive(Debug)]
enum Format {
    /// Not yet known: fewer than 4 bytes seen.
    Unknown,
    Pcap {
        big_endian: bool,
        nanos: bool,
        link: u16,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads a capture file's packets from chunks of any size (sans-IO).
///
/// Call [`FileReader::feed`] with each chunk, taking the packets it returns; call
/// [`FileReader::finish`] at the end of the input to learn whether it was cut short.
#[derive(Debug)]
pub struct FileReader {
    buf: Vec<u8>,
    format: Format,
    /// File offset of `buf[0]`.
    offset: u64,
    header_done: bool,
    /// TLS key logs from Decryption Secrets Blocks, not yet taken.
    /// Each with the length `out` had when it was read: the packets before it.
    secrets: Vec<(usize, Vec<u8>)>,
}

impl Default for FileReader {
    fn default() -> Self {
        FileReader::new()
    }
}

impl FileReader {
    /// A reader at the start of a file.
    pub fn new() -> FileReader {
        FileReader {
            buf: Vec::new(),
            format: Format::Unknown,
            offset: 0,
            header_done: false,
            secrets: Vec::new(),
        }
    }

    /// The file's format, once its first bytes are read: `"pcap"` or `"pcapng"`.
    pub fn format(&self) -> Option<&'static str> {
        match self.format {
            Format::Unknown => None,
            Format::Pcap { .. } => Some("pcap"),
            Format::PcapNg { .. } => Some("pcapng"),
        }
    }

    /// Read the next bytes; the packets they complete are appended to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Packet>) -> Result<(), CaptureError> {
        let mut read = Packets::default();
        let (secrets, before) = (self.secrets.len(), out.len());
        let r = self.read(bytes, &mut read);
        // A key log's place counts the packets `out` held already.
        for (at, _) in &mut self.secrets[secrets..] {
            *at += before;
        }
        out.extend(read.iter().map(|p| Packet {
            link: p.link,
            time: p.time,
            data: p.data.to_vec(),
            orig_len: p.orig_len,
        }));
        r
    }

    /// [`FileReader::feed`] into [`Packets`] (added to what `out` holds): the packets' bytes
    /// in one buffer, not one each.
    pub fn read(&mut self, bytes: &[u8], out: &mut Packets) -> Result<(), CaptureError> {
        let (used, result) = if self.buf.is_empty() {
            // Read in place; only the unfinished block at the end is kept.
            let (used, result) = self.read_blocks(bytes, out);
            self.buf.extend_from_slice(&bytes[used..]);
            (used, result)
        } else {
            let mut buf = std::mem::take(&mut self.buf);
            buf.extend_from_slice(bytes);
            let (used, result) = self.read_blocks(&buf, out);
            buf.drain(..used);
            self.buf = buf;
            (used, result)
        };
        self.offset += used as u64;
        if result.is_ok() && self.buf.len() > MAX_BLOCK {
            return Err(CaptureError::BlockTooLarge {
                offset: self.offset,
                claimed: None,
            });
        }
        result
    }

    /// The TLS key logs of the Decryption Secrets Blocks read since the last call.
    /// Each comes with its place among the packets [`FileReader::feed`] put out: the number of
    /// packets in `out` before it.
    pub fn take_secrets(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.secrets)
    }

    /// The input ended: an error if it ended inside a record or block.
    pub fn finish(&self) -> Result<(), CaptureError> {
        if self.buf.is_empty() && self.header_done {
            Ok(())
        } else if !self.header_done && self.buf.is_empty() && self.offset == 0 {
            Err(CaptureError::Empty)
        } else {
            Err(CaptureError::Truncated {
                offset: self.offset,
                have: self.buf.len(),
            })
        }
    }

    /// Parse one record at `buf[at..]`: how many bytes it used, or `None` when incomplete.
    /// Every whole record or block of `data` (which starts at `self.offset`): how many bytes
    /// they took, and the error that stopped the reading, if one did.
    fn read_blocks(&mut self, data: &[u8], out: &mut Packets) -> (usize, Result<(), CaptureError>) {
        let mut used = 0;
        loop {
            match self.next(data, used, out) {
                Ok(Some(n)) => used += n,
                Ok(None) => return (used, Ok(())),
                Err(e) => return (used, Err(e)),
            }
        }
    }

    fn next(
        &mut self,
        data: &[u8],
        at: usize,
        out: &mut Packets,
    ) -> Result<Option<usize>, CaptureError> {
        let i = &data[at..];
        let offset = self.offset + at as u64;
        let bad = |what: String| CaptureError::Malformed { offset, what };
        if let Format::Unknown = self.format {
            if i.len() < 4 {
                return Ok(None);
            }
            let magic = [i[0], i[1], i[2], i[3]];
            self.format = match magic {
                [0x0a, 0x0d, 0x0d, 0x0a] => Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
                [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d] => Format::Pcap {
                    big_endian: false,
                    nanos: false,
                    link: 0,
                },
                _ => return Err(CaptureError::NotACapture { magic }),
            };
        }
        match &mut self.format {
            Format::Unknown => unreachable!("decided above"),
            Format::Pcap {
                big_endian,
                nanos,
                link,
            } => {
                if !self.header_done {
                    return match parse_pcap_header(i) {
                        Ok((rest, h)) => {
                            *big_endian = h.is_bigendian();
                            *nanos = h.is_nanosecond_precision();
                            *link = h.network.0 as u16;
                            self.header_done = true;
                            Ok(Some(i.len() - rest.len()))
                        }
                        Err(nom::Err::Incomplete(_)) => Ok(None),
                        Err(e) => incomplete_or(e, |what| bad(format!("pcap file header: {what}"))),
                    };
                }
                let parsed = if *big_endian {
                    parse_pcap_frame_be(i)
                } else {
                    parse_pcap_frame(i)
                };
                match parsed {
                    Ok((rest, r)) => {
                        let sub = if *nanos { 1 } else { 1000 };
                        let ns = r.ts_sec as u64 * 1_000_000_000 + r.ts_usec as u64 * sub;
                        out.push(*link, Some(Timestamp(ns)), r.data, r.origlen);
                        Ok(Some(i.len() - rest.len()))
                    }
                    // The record header (16 bytes) gives the captured length at 8..12.
                    Err(e) => claims_too_much(i, 8, *big_endian, 16, offset)
                        .map_or_else(|| incomplete_or(e, bad), Err),
                }
            }
            Format::PcapNg {
                big_endian,
                interfaces,
            } => {
                // A section header starts every section and gives its byte order.
                if i.len() >= 4 && i[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
                    return match parse_sectionheaderblock(i) {
                        Ok((rest, shb)) => {
                            *big_endian = shb.big_endian();
                            interfaces.clear();
                            self.header_done = true;
                            Ok(Some(i.len() - rest.len()))
                        }
                        Err(e) => incomplete_or(e, bad),
                    };
                }
                if !self.header_done {
                    return Err(bad("pcapng without a section header block".into()));
                }
                let parsed = if *big_endian {
                    parse_block_be(i)
                } else {
                    parse_block_le(i)
                };
                let (rest, block) = match parsed {
                    Ok(v) => v,
                    // A block's total length is at 4..8.
                    Err(e) => {
                        return claims_too_much(i, 4, *big_endian, 0, offset)
                            .map_or_else(|| incomplete_or(e, bad), Err)
                    }
                };
                match block {
                    Block::InterfaceDescription(idb) => interfaces.push(Interface {
                        link: idb.linktype.0 as u16,
                        units: idb.ts_resolution().unwrap_or(1_000_000),
                        offset: idb.ts_offset(),
                    }),
                    Block::EnhancedPacket(epb) => {
                        let Some(itf) = interfaces.get(epb.if_id as usize).copied() else {
                            return Err(bad(format!(
                                "packet block names interface {} of {}",
                                epb.if_id,
                                interfaces.len()
                            )));
                        };
                        let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let data = &epb.data[..(epb.caplen as usize).min(epb.data.len())];
                        out.push(itf.link, Some(itf.time(ts)), data, epb.origlen);
                    }
                    Block::DecryptionSecrets(dsb) if dsb.secrets_type == SecretsType::TlsKeyLog => {
                        let n = (dsb.secrets_len as usize).min(dsb.data.len());
                        self.secrets.push((out.len(), dsb.data[..n].to_vec()));
                    }
                    Block::SimplePacket(spb) => {
                        let Some(itf) = interfaces.first().copied() else {
                            return Err(bad("simple packet block before any interface".into()));
                        };
                        let data = &spb.data[..(spb.origlen as usize).min(spb.data.len())];
                        out.push(itf.link, None, data, spb.origlen);
                    }
                    _ => {}
                }
                Ok(Some(i.len() - rest.len()))
            }
        }
    }
}

impl Interface {
    fn time(self, ts: u64) -> Timestamp {
        let ns = u128::from(ts) * 1_000_000_000 / u128::from(self.units.max(1));
        let ns = ns as i128 + i128::from(self.offset) * 1_000_000_000;
        Timestamp(ns.clamp(0, i128::from(u64::MAX)) as u64)
    }
}

/// A record or block whose header (the u32 at `at..at + 4` of `i`, plus `extra` bytes) claims
/// more than [`MAX_BLOCK`]: said at once, where it starts, not after 16 MiB more are read (or
/// as a file cut short, when the file is smaller than that).
fn claims_too_much(
    i: &[u8],
    at: usize,
    big_endian: bool,
    extra: u64,
    offset: u64,
) -> Option<CaptureError> {
    let b: [u8; 4] = i.get(at..at + 4)?.try_into().ok()?;
    let n = match big_endian {
        true => u32::from_be_bytes(b),
        false => u32::from_le_bytes(b),
    };
    let claimed = u64::from(n) + extra;
    (claimed > MAX_BLOCK as u64).then_some(CaptureError::BlockTooLarge {
        offset,
        claimed: Some(claimed),
    })
}

fn incomplete_or(
    e: nom::Err<PcapError<&[u8]>>,
    bad: impl FnOnce(String) -> CaptureError,
) -> Result<Option<usize>, CaptureError> {
    match e {
        nom::Err::Incomplete(_) => Ok(None),
        nom::Err::Error(PcapError::Incomplete(_)) | nom::Err::Failure(PcapError::Incomplete(_)) => {
            Ok(None)
        }
        nom::Err::Error(e) | nom::Err::Failure(e) => Err(bad(describe(&e))),
    }
}

/// What a parser error says, without the input bytes pcap-parser's own message quotes (which
/// would print a buffer, and differ with the size of the chunks read).
fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("a field fails pcap-parser's {kind:?} check"),
        PcapError::OwnedNomError(_, kind) => format!("a field fails pcap-parser's {kind:?} check"),
        PcapError::HeaderNotRecognized => "the header is not a pcap or pcapng header".into(),
        PcapError::BufferTooSmall => "a block is larger than the reader's buffer".into(),
        PcapError::Eof | PcapError::UnexpectedEof | PcapError::Incomplete(_) => {
            "the block ends early".into()
        }
        PcapError::ReadError => "the block could not be read".into(),
    }
}
