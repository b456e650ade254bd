//! gzip (RFC 1952), zlib (RFC 1950) and Zstandard (RFC 8878) bodies inside a message, found by their magic bytes,
//! inflated (at most [`MAX_INFLATED`] bytes, like permessage-deflate's limit) and decoded again
//! by content. The inflated bytes are not in the message: the `inflated` node's descendants
//! count their spans in them (see [`crate::Node`]); findings of the inner decoding are placed
//! on the compressed data and say the inflated offset.

use miniz_oxide::inflate::{
    decompress_to_vec_with_limit, decompress_to_vec_zlib_with_limit, DecompressError, TINFLStatus,
};

use crate::tree::{hex, Code, Finding, Kind, Node};
use crate::{detect, MessageKind, Out, MAX_NESTING};

/// The most bytes a compressed body is inflated to.
pub const MAX_INFLATED: usize = 4 << 20;

/// A compressed container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// gzip: `1f 8b 08`.
    Gzip,
    /// zlib: `78` then a check byte (no preset dictionary).
    Zlib,
    /// Zstandard: `28 b5 2f fd`.
    Zstd,
}

/// The container `b` starts with, if any.
pub fn sniff(b: &[u8]) -> Option<Format> {
    match b {
        [0x1f, 0x8b, 8, ..] if b.len() >= 18 => Some(Format::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] if b.len() >= 9 => Some(Format::Zstd),
        [0x78, f, ..] if b.len() >= 6 && (0x7800 | u16::from(*f)) % 31 == 0 && f & 0x20 == 0 => {
            Some(Format::Zlib)
        }
        _ => None,
    }
}

/// Decodes a compressed message: its header fields, the inflated data and what that holds.
pub fn decode(f: Format, b: &[u8], nesting: usize, out: &mut Out) -> String {
    let mut kids = Vec::new();
    let (data_start, data_end) = match f {
        Format::Gzip => match gzip_header(b, &mut kids, out) {
            Some(s) => (s, b.len().saturating_sub(8).max(s)),
            None => {
                out.nodes
                    .push(Node::parent("gzip", Kind::Packet, [0, b.len()], kids));
                return "gzip (bad header)".into();
            }
        },
        Format::Zlib => {
            if b.len() < 6 {
                out.finding(Finding::new(
                    Code::Truncated,
                    "a zlib stream needs at least 6 bytes",
                    [0, b.len()],
                ));
                return "zlib (cut short)".into();
            }
            kids.push(Node::value(
                "CMF",
                Kind::Field,
                format!("0x{:02x} (deflate, window 2^{})", b[0], (b[0] >> 4) + 8),
                [0, 1],
            ));
            kids.push(Node::value(
                "FLG",
                Kind::Field,
                format!("0x{:02x} (level {})", b[1], b[1] >> 6),
                [1, 2],
            ));
            (2, b.len() - 4)
        }
        Format::Zstd => {
            if !b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                out.finding(Finding::new(
                    Code::Syntax,
                    "not a Zstandard frame (28 b5 2f fd)",
                    [0, b.len().min(4)],
                ));
                return "zstd (no magic)".into();
            }
            kids.push(Node::value("magic", Kind::Field, "28 b5 2f fd", [0, 4]));
            (4, b.len())
        }
    };
    let result = match f {
        Format::Gzip => decompress_to_vec_with_limit(&b[data_start..data_end], MAX_INFLATED),
        Format::Zlib => decompress_to_vec_zlib_with_limit(b, MAX_INFLATED),
        Format::Zstd => zstd(b),
    };
    let inflated = match result {
        Ok(v) => v,
        Err(DecompressError { status, output }) => {
            let why = match status {
                TINFLStatus::HasMoreOutput => format!(
                    "inflated beyond {MAX_INFLATED} bytes: cut there (a limit of wsinspect)"
                ),
                TINFLStatus::FailedCannotMakeProgress => {
                    "the compressed data is cut short".to_string()
                }
                s => format!("the compressed data is corrupt ({s:?})"),
            };
            out.finding(Finding::new(
                Code::Inflate,
                format!("{why}; {} bytes inflated", output.len()),
                [data_start, data_end],
            ));
            output
        }
    };
    let mut node = Node::parent(
        "inflated",
        Kind::Inflated,
        [data_start, data_end],
        Vec::new(),
    );
    node.value = Some(format!("{} bytes", inflated.len()));
    let mut summary = format!("{} ({} -> {} bytes)", name(f), b.len(), inflated.len());
    if nesting + 1 < MAX_NESTING {
        let kind = if core::str::from_utf8(&inflated).is_ok() {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        if let Some(d) = detect::by_content(kind, &inflated) {
            let mut inner = Out::default();
            let s = crate::decode_with(d, &inflated, nesting + 1, &mut inner);
            summary = format!("{summary}: {d} {s}");
            node.children = inner.nodes;
            for f in inner.findings {
                out.finding(Finding::new(
                    f.code,
                    format!(
                        "in the inflated data at offset {}: {}",
                        f.span[0], f.message
                    ),
                    [data_start, data_end],
                ));
            }
        }
    }
    if node.children.is_empty() {
        node.children.push(Node::value(
            "data",
            Kind::Bytes,
            hex(&inflated, 256),
            [0, inflated.len()],
        ));
    }
    kids.push(node);
    if f == Format::Gzip && b.len() >= data_start + 8 {
        let t = &b[b.len() - 8..];
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        kids.push(Node::value(
            "CRC32",
            Kind::Int,
            format!("0x{crc:08x}"),
            [b.len() - 8, b.len() - 4],
        ));
        kids.push(Node::value(
            "ISIZE",
            Kind::Int,
            size.to_string(),
            [b.len() - 4, b.len()],
        ));
        if inflated.len() < MAX_INFLATED {
            // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1), whatever the platform's usize.
            if u64::from(size) != inflated.len() as u64 & 0xffff_ffff {
                out.finding(Finding::new(
                    Code::BadValue,
                    format!("ISIZE says {size} bytes, {} were inflated", inflated.len()),
                    [b.len() - 4, b.len()],
                ));
            }
            let actual = crc32(&inflated);
            if actual != crc {
                out.finding(Finding::new(
                    Code::BadValue,
                    format!("CRC32 says 0x{crc:08x}, the inflated data's is 0x{actual:08x}"),
                    [b.len() - 8, b.len() - 4],
                ));
            }
        }
    }
    out.nodes
        .push(Node::parent(name(f), Kind::Packet, [0, b.len()], kids));
    summary
}

fn name(f: Format) -> &'static str {
    match f {
        Format::Gzip => "gzip",
        Format::Zlib => "zlib",
        Format::Zstd => "zstd",
    }
}

/// A Zstandard frame decompressed by ruzstd, at most [`MAX_INFLATED`] bytes; errors in
/// miniz_oxide's shape so one path reports them.
fn zstd(b: &[u8]) -> Result<Vec<u8>, DecompressError> {
    use std::io::Read as _;
    let mut src = b;
    let mut output = Vec::new();
    let fail = |status, output| Err(DecompressError { status, output });
    let mut dec = match ruzstd::decoding::StreamingDecoder::new(&mut src) {
        Ok(d) => d,
        Err(_) => return fail(TINFLStatus::Failed, output),
    };
    match (&mut dec)
        .take(MAX_INFLATED as u64 + 1)
        .read_to_end(&mut output)
    {
        Ok(_) if output.len() > MAX_INFLATED => {
            output.truncate(MAX_INFLATED);
            fail(TINFLStatus::HasMoreOutput, output)
        }
        Ok(_) => Ok(output),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            fail(TINFLStatus::FailedCannotMakeProgress, output)
        }
        Err(_) => fail(TINFLStatus::Failed, output),
    }
}

/// CRC-32 (ISO 3309, as gzip uses it), bit by bit: inflated sizes are bounded, so this is fine.
fn crc32(d: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in d {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// The gzip member header: its fields pushed; where the compressed data starts.
fn gzip_header(b: &[u8], kids: &mut Vec<Node>, out: &mut Out) -> Option<usize> {
    if b.len() < 18 || b[..3] != [0x1f, 0x8b, 8] {
        out.finding(Finding::new(
            Code::Syntax,
            "not a gzip member (1f 8b 08 and at least 18 bytes)",
            [0, b.len().min(3)],
        ));
        return None;
    }
    let flg = b[3];
    kids.push(Node::value("ID", Kind::Field, "1f 8b", [0, 2]));
    kids.push(Node::value("CM", Kind::Field, "8 (deflate)", [2, 3]));
    kids.push(Node::value(
        "FLG",
        Kind::Field,
        format!("0x{flg:02x}"),
        [3, 4],
    ));
    let mtime = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    kids.push(Node::value("MTIME", Kind::Int, mtime.to_string(), [4, 8]));
    kids.push(Node::value("XFL", Kind::Field, b[8].to_string(), [8, 9]));
    kids.push(Node::value("OS", Kind::Field, b[9].to_string(), [9, 10]));
    let mut pos = 10;
    let cut = |out: &mut Out, what: &str| {
        out.finding(Finding::new(
            Code::Truncated,
            format!("the gzip header's {what} runs past the message"),
            [0, b.len()],
        ));
        None
    };
    if flg & 4 != 0 {
        let Some(x) = b.get(pos..pos + 2) else {
            return cut(out, "FEXTRA");
        };
        let n = usize::from(u16::from_le_bytes([x[0], x[1]]));
        if pos + 2 + n > b.len() {
            return cut(out, "FEXTRA");
        }
        kids.push(Node::value(
            "FEXTRA",
            Kind::Bytes,
            hex(&b[pos + 2..pos + 2 + n], 64),
            [pos, pos + 2 + n],
        ));
        pos += 2 + n;
    }
    for (bit, what) in [(8, "FNAME"), (16, "FCOMMENT")] {
        if flg & bit != 0 {
            let Some(z) = b[pos..].iter().position(|&c| c == 0) else {
                return cut(out, what);
            };
            let text = String::from_utf8_lossy(&b[pos..pos + z]).into_owned();
            kids.push(Node::value(
                what,
                Kind::String,
                crate::tree::quote(&text),
                [pos, pos + z + 1],
            ));
            pos += z + 1;
        }
    }
    if flg & 2 != 0 {
        if pos + 2 > b.len() {
            return cut(out, "FHCRC");
        }
        kids.push(Node::value(
            "FHCRC",
            Kind::Int,
            hex(&b[pos..pos + 2], 2),
            [pos, pos + 2],
        ));
        pos += 2;
    }
    if pos + 8 > b.len() {
        return cut(out, "data");
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode as decode_msg, Choice, Decoder};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        v.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        v.extend(crc32(data).to_le_bytes());
        v.extend((data.len() as u32).to_le_bytes());
        v
    }

    #[test]
    fn gzip_json_is_decoded_again() {
        let m = gzip(br#"{"price": 101.5, "sym": "ABC"}"#);
        let d = decode_msg(Choice::Auto, None, MessageKind::Binary, &m).unwrap();
        assert_eq!(d.decoder, Decoder::Gzip);
        assert!(d.summary.contains("json object (2 keys)"), "{}", d.summary);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let inflated = d
            .tree
            .children
            .iter()
            .find(|c| c.kind == Kind::Inflated)
            .unwrap();
        assert_eq!(inflated.children[0].children[0].name, "price");
    }

    #[test]
    fn zstd_msgpack_is_decoded_again() {
        let packed = [0x81, 0xa1, b'a', 0x01];
        let m = ruzstd::encoding::compress_to_vec(
            &packed[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let d = decode_msg(Choice::Auto, None, MessageKind::Binary, &m).unwrap();
        assert_eq!(d.decoder, Decoder::Zstd);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        assert!(
            d.summary.ends_with("msgpack map (1 entries)"),
            "{}",
            d.summary
        );
        let cut = &m[..m.len() - 2];
        let d = decode_msg(Choice::Force(Decoder::Zstd), None, MessageKind::Binary, cut).unwrap();
        assert_eq!(d.findings[0].code, Code::Inflate);
    }

    #[test]
    fn zlib_and_bombs() {
        let m = miniz_oxide::deflate::compress_to_vec_zlib(&[0u8; 10 << 20], 9);
        assert!(m.len() < 20_000);
        let d = decode_msg(Choice::Auto, None, MessageKind::Binary, &m).unwrap();
        assert_eq!(d.decoder, Decoder::Zlib);
        assert_eq!(d.findings[0].code, Code::Inflate);
        assert!(d.findings[0].message.contains("a limit of wsinspect"));
        let mut bad = gzip(b"hello hello hello");
        bad[12] ^= 0xff;
        let d = decode_msg(
            Choice::Force(Decoder::Gzip),
            None,
            MessageKind::Binary,
            &bad,
        )
        .unwrap();
        assert!(!d.findings.is_empty());
    }
}
