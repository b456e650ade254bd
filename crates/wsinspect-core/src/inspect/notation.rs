//! Turning what a user pasted into bytes.
//!
//! [`parse_input`] detects the notation (or takes an explicit [`Format`]): plain hex with any mix
//! of spaces, newlines, colons, commas and `0x` prefixes ([`parse_hex`]), C and Rust array
//! literals, `\x81` escapes, Wireshark / `hexdump -C` dumps, base64, or raw bytes. A character
//! that does not belong is an error naming its line and column: nothing is silently dropped.

use base64::Engine as _;
use serde::Serialize;

/// The notation to read, as chosen by the user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Detect: non-UTF-8 input is raw; text that is valid hex is hex; else base64.
    #[default]
    Auto,
    /// Any hex spelling (plain, `0x..`, arrays, escapes, dumps).
    Hex,
    /// Base64 (standard or URL-safe alphabet, padding optional).
    Base64,
    /// The bytes as they are.
    Raw,
}

impl core::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => Format::Auto,
            "hex" => Format::Hex,
            "base64" => Format::Base64,
            "raw" => Format::Raw,
            _ => {
                return Err(format!(
                    "unknown format {s:?}: expected auto, hex, base64 or raw"
                ))
            }
        })
    }
}

/// The notation that was actually read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notation {
    /// Hex digits with separators and optional `0x` prefixes.
    Hex,
    /// A C or Rust array literal (`{0x81, 0x05}`, `[0x81u8, 5]`).
    Array,
    /// `\x81\x05` escapes, optionally in a quoted string.
    Escapes,
    /// A Wireshark or `hexdump -C` dump: offset column, hex, ASCII column.
    HexDump,
    /// Base64.
    Base64,
    /// Raw bytes.
    Raw,
}

impl Notation {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Notation::Hex => "hex",
            Notation::Array => "array literal",
            Notation::Escapes => "\\x escapes",
            Notation::HexDump => "hex dump",
            Notation::Base64 => "base64",
            Notation::Raw => "raw bytes",
        }
    }
}

/// Bytes read from the input, and how they were read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The notation detected (or forced).
    pub notation: Notation,
}

fn error(line: usize, column: usize, found: impl Into<String>, message: &str) -> NotationError {
    NotationError {
        line,
        column,
        found: found.into(),
        message: message.into(),
    }
}

/// Read input in the given format (see the module documentation).
///
/// ```
/// use wsinspect_core::inspect::notation::{parse_input, Format, Notation};
/// let p = parse_input(b"unsigned char f[] = { 0x81, 0x05 };", Format::Auto).unwrap();
/// assert_eq!((p.bytes, p.notation), (vec![0x81, 0x05], Notation::Array));
/// let p = parse_input(b"gQVIZWxsbw==", Format::Auto).unwrap();
/// assert_eq!((&p.bytes[..2], p.notation), (&[0x81, 0x05][..], Notation::Base64));
/// ```
pub fn parse_input(input: &[u8], format: Format) -> Result<Parsed, NotationError> {
    let raw = || Parsed {
        bytes: input.to_vec(),
        notation: Notation::Raw,
    };
    if format == Format::Raw {
        return Ok(raw());
    }
    let text = match core::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) if format == Format::Auto => {
            let _ = e;
            return Ok(raw());
        }
        Err(e) => {
            let before = &input[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[col_start..])
                .chars()
                .count()
                + 1;
            return Err(error(
                line,
                column,
                format!("{:#04x}", input[e.valid_up_to()]),
                "the input is not text (UTF-8); use --format raw for binary input",
            ));
        }
    };
    if format == Format::Base64 {
        return parse_base64(text).map(|bytes| Parsed {
            bytes,
            notation: Notation::Base64,
        });
    }
    let hex = parse_hex_family(text);
    if format == Format::Hex {
        return hex;
    }
    match hex {
        Ok(p) => Ok(p),
        Err(e) => {
            // Base64 may be wrapped in lines but has no spaces within a line: spaced text is
            // hex with a typo, and the hex error (naming the typo) is the useful answer.
            let b64_alphabet = text.trim().chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=' | '\n' | '\r')
            });
            if b64_alphabet {
                parse_base64(text)
                    .map(|bytes| Parsed {
                        bytes,
                        notation: Notation::Base64,
                    })
                    .map_err(|_| NotationError {
                        message: format!("{} (and the text is not valid base64 either)", e.message),
                        ..e
                    })
            } else {
                Err(e)
            }
        }
    }
}

/// Any hex spelling: escapes, arrays, dumps, plain.
fn parse_hex_family(text: &str) -> Result<Parsed, NotationError> {
    let (bytes, notation) = if text.contains("\\x") || text.contains("\\X") {
        (parse_escapes(text)?, Notation::Escapes)
    } else if text.contains('{') || text.contains('[') {
        (parse_array(text)?, Notation::Array)
    } else if looks_like_dump(text) {
        (parse_dump(text)?, Notation::HexDump)
    } else {
        (parse_hex(text)?, Notation::Hex)
    };
    Ok(Parsed { bytes, notation })
}

/// Base64 with either alphabet, padding optional, whitespace ignored.
pub fn parse_base64(text: &str) -> Result<Vec<u8>, NotationError> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    // Positions of the non-whitespace characters, to map an error back to line and column.
    let mut pos = Vec::new();
    let mut compact = String::new();
    for (l, line) in text.lines().enumerate() {
        for (c, ch) in line.chars().enumerate() {
            if !ch.is_whitespace() {
                pos.push((l + 1, c + 1, ch));
                compact.push(ch);
            }
        }
    }
    let url = compact.contains('-') || compact.contains('_');
    let alphabet = if url {
        base64::alphabet::URL_SAFE
    } else {
        base64::alphabet::STANDARD
    };
    GeneralPurpose::new(&alphabet, cfg)
        .decode(compact.as_bytes())
        .map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _)
                | base64::DecodeError::InvalidLastSymbol(i, _) => i,
                _ => pos.len().saturating_sub(1),
            };
            let (line, column, ch) = pos.get(at).copied().unwrap_or((1, 1, ' '));
            error(
                line,
                column,
                ch.to_string(),
                &format!("not valid base64 ({e})"),
            )
        })
}

/// `\x81\x05`, possibly inside quoted strings (`b"\x81\x05Hi"`), where other characters stand
/// for themselves and `\n \r \t \0 \\ \" \'` are understood.
fn parse_escapes(text: &str) -> Result<Vec<u8>, NotationError> {
    let quoted = text.contains('"');
    let mut out = Vec::new();
    for (l, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut in_str = !quoted;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = |i: usize| (l + 1, i + 1);
            if quoted && c == '"' {
                in_str = !in_str;
                i += 1;
                continue;
            }
            if !in_str {
                if c.is_whitespace() || matches!(c, 'b' | ';' | '+' | ',' | '&') {
                    i += 1;
                    continue;
                }
                let (ln, col) = at(i);
                return Err(error(
                    ln,
                    col,
                    c.to_string(),
                    "unexpected text outside a quoted string",
                ));
            }
            if c == '\\' {
                let (ln, col) = at(i);
                match chars.get(i + 1) {
                    Some('x' | 'X') => {
                        let h: String = chars
                            .get(i + 2..i + 4)
                            .map(|s| s.iter().collect())
                            .unwrap_or_default();
                        match u8::from_str_radix(&h, 16) {
                            Ok(b) if h.len() == 2 => out.push(b),
                            _ => {
                                let end = (i + 4).min(chars.len());
                                return Err(error(
                                    ln,
                                    col,
                                    chars[i..end].iter().collect::<String>(),
                                    "\\x must be followed by two hex digits",
                                ));
                            }
                        }
                        i += 4;
                    }
                    Some(e @ ('n' | 'r' | 't' | '0' | '\\' | '"' | '\'')) if quoted => {
                        out.push(match e {
                            'n' => b'\n',
                            'r' => b'\r',
                            't' => b'\t',
                            '0' => 0,
                            other => *other as u8,
                        });
                        i += 2;
                    }
                    _ => {
                        let end = (i + 2).min(chars.len());
                        return Err(error(
                            ln,
                            col,
                            chars[i..end].iter().collect::<String>(),
                            "unknown escape",
                        ));
                    }
                }
                continue;
            }
            if quoted {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            } else if !c.is_whitespace() && c != ',' {
                let (ln, col) = at(i);
                return Err(error(ln, col, c.to_string(), "expected \\xHH escapes"));
            }
            i += 1;
        }
    }
    Ok(out)
}

/// A C or Rust array literal: integer literals (`0x81`, `129`, `0b1`, `0x81u8`) between
/// brackets or braces; a declaration before `=` is skipped.
fn parse_array(text: &str) -> Result<Vec<u8>, NotationError> {
    let mut out = Vec::new();
    // Skip a declaration: everything up to the first '=' (if there is one before the literal).
    let skip_to = text.find('=').map_or(0, |p| p + 1);
    let mut line = 1 + text[..skip_to].matches('\n').count();
    let mut col = skip_to - text[..skip_to].rfind('\n').map_or(0, |p| p + 1) + 1;
    let body = &text[skip_to..];
    let mut token = String::new();
    let mut token_at = (line, col);
    let flush =
        |token: &mut String, at: (usize, usize), out: &mut Vec<u8>| -> Result<(), NotationError> {
            if token.is_empty() {
                return Ok(());
            }
            let t = token.replace('_', "");
            let t = t
                .strip_suffix("u8")
                .or_else(|| t.strip_suffix("i8"))
                .unwrap_or(&t);
            let lower = t.to_ascii_lowercase();
            let v = if let Some(h) = lower.strip_prefix("0x") {
                u32::from_str_radix(h, 16)
            } else if let Some(b) = lower.strip_prefix("0b") {
                u32::from_str_radix(b, 2)
            } else if let Some(o) = lower.strip_prefix("0o") {
                u32::from_str_radix(o, 8)
            } else {
                lower.parse::<u32>()
            };
            match v {
                Ok(v) if v <= 255 => out.push(v as u8),
                _ => {
                    return Err(error(
                        at.0,
                        at.1,
                        token.clone(),
                        "not a byte value (0-255) in an array literal",
                    ))
                }
            }
            token.clear();
            Ok(())
        };
    let mut rest = body;
    // Allow `vec!`, `&`, `b` prefixes.
    while let Some(c) = rest.chars().next() {
        let n = c.len_utf8();
        if rest.starts_with("vec!") {
            rest = &rest[4..];
            col += 4;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            if token.is_empty() {
                token_at = (line, col);
            }
            token.push(c);
        } else {
            flush(&mut token, token_at, &mut out)?;
            match c {
                '\n' => {
                    line += 1;
                    col = 0;
                }
                '{' | '}' | '[' | ']' | ',' | ';' | '&' | '(' | ')' => {}
                c if c.is_whitespace() => {}
                _ => {
                    return Err(error(
                        line,
                        col,
                        c.to_string(),
                        "unexpected character in an array literal",
                    ))
                }
            }
        }
        rest = &rest[n..];
        col += 1;
    }
    flush(&mut token, token_at, &mut out)?;
    Ok(out)
}

/// The offset column of a dump line: 4-8 hex digits followed by two spaces, a tab or `:`.
fn dump_offset(line: &str) -> Option<(usize, &str)> {
    let end = line.find(|c: char| !c.is_ascii_hexdigit())?;
    if !(4..=8).contains(&end) {
        return None;
    }
    let rest = &line[end..];
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix("  "))
        .or_else(|| rest.strip_prefix('\t'))?;
    let off = usize::from_str_radix(&line[..end], 16).ok()?;
    Some((off, rest))
}

fn looks_like_dump(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    matches!(lines.next().and_then(dump_offset), Some((0, _)))
}

/// A Wireshark or `hexdump -C` dump. The ASCII column is a rendering of the same bytes and is
/// skipped; the offset of each line must match the bytes read so far.
fn parse_dump(text: &str) -> Result<Vec<u8>, NotationError> {
    let mut out = Vec::new();
    for (l, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((off, rest)) = dump_offset(line) else {
            if line.trim_end().chars().all(|c| c.is_ascii_hexdigit())
                && out.len() == usize::from_str_radix(line.trim(), 16).unwrap_or(usize::MAX)
            {
                continue; // hexdump's final offset line
            }
            return Err(error(
                l + 1,
                1,
                line.chars().take(12).collect::<String>(),
                "a dump line must start with an offset",
            ));
        };
        if off != out.len() {
            return Err(error(
                l + 1,
                1,
                line[..line.len() - rest.len()].trim().to_string(),
                "this offset does not match the number of bytes before it",
            ));
        }
        let base_col = line[..line.len() - rest.len()].chars().count();
        // Hex bytes are 2-digit tokens separated by one or two spaces; a gap of 3 or more spaces
        // or a '|' starts the ASCII column. At most 16 bytes per line.
        let mut count = 0;
        let mut i = 0;
        let b = rest.as_bytes();
        let mut gap = 0;
        while i < b.len() && count < 16 {
            if b[i] == b' ' || b[i] == b'\t' {
                gap += 1;
                i += 1;
                continue;
            }
            if b[i] == b'|' || (gap >= 3 && count > 0) {
                break;
            }
            let tok_end = rest[i..]
                .find(|c: char| c.is_whitespace())
                .map_or(rest.len(), |p| i + p);
            let tok = &rest[i..tok_end];
            match (tok.len(), u8::from_str_radix(tok, 16)) {
                (2, Ok(v)) => out.push(v),
                _ => {
                    if count > 0 {
                        break; // the ASCII column
                    }
                    return Err(error(
                        l + 1,
                        base_col + i + 1,
                        tok.to_string(),
                        "expected a 2-digit hex byte",
                    ));
                }
            }
            count += 1;
            gap = 0;
            i = tok_end;
        }
    }
    Ok(out)
}

/// Why pasted text could not be read as bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotationError {
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// The offending text.
    pub found: String,
    /// What was wrong.
    pub message: String,
}

impl core::fmt::Display for NotationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "line {}, column {}: {} (found {:?})",
            self.line, self.column, self.message, self.found
        )
    }
}

impl std::error::Error for NotationError {}

/// Parse hex text into bytes.
///
/// ```
/// use wsinspect_core::inspect::notation::parse_hex;
/// assert_eq!(parse_hex("0x81 0x05").unwrap(), [0x81, 0x05]);
/// assert_eq!(parse_hex("81:05\n48").unwrap(), [0x81, 0x05, 0x48]);
/// ```
pub fn parse_hex(text: &str) -> Result<Vec<u8>, NotationError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut pending: Option<(u8, usize, usize)> = None;
    for (line_no, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = (line_no + 1, i + 1);
            if c == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) && pending.is_none() {
                i += 2;
                continue;
            }
            if let Some(d) = c.to_digit(16) {
                match pending.take() {
                    Some((hi, _, _)) => out.push(hi << 4 | d as u8),
                    None => pending = Some((d as u8, at.0, at.1)),
                }
            } else if c.is_whitespace() || matches!(c, ':' | ',' | '-') {
                if let Some((_, l, col)) = pending {
                    return Err(NotationError {
                        line: l,
                        column: col,
                        found: chars[col - 1..=i.min(chars.len() - 1)].iter().collect(),
                        message: "a lone hex digit: every byte needs two digits".into(),
                    });
                }
            } else {
                return Err(NotationError {
                    line: at.0,
                    column: at.1,
                    found: c.to_string(),
                    message: "not a hex digit or separator".into(),
                });
            }
            i += 1;
        }
        if let Some((_, l, col)) = pending.take() {
            return Err(NotationError {
                line: l,
                column: col,
                found: chars[col - 1..].iter().collect(),
                message: "a lone hex digit at the end of the line: every byte needs two digits"
                    .into(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_spellings() {
        let want = [0x81, 0x85, 0x37, 0xfa];
        for text in [
            "818537fa",
            "81 85 37 FA",
            "0x81, 0x85, 0x37, 0xfa",
            "81:85\n37:fa",
        ] {
            assert_eq!(parse_hex(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn a_typo_in_spaced_hex_is_a_hex_error_not_base64() {
        // "81054 8zz" without spaces would be valid base64; with them it is hex with a typo.
        let err = parse_input(b"81 05\n48 zz", Format::Auto).unwrap_err();
        assert_eq!((err.line, err.column, err.found.as_str()), (2, 4, "z"));
        // Base64 wrapped over lines is still base64.
        let p = parse_input(b"gQVI\nZWxsbw==", Format::Auto).unwrap();
        assert_eq!(p.notation, Notation::Base64);
    }

    #[test]
    fn names_the_place_of_a_bad_character() {
        let err = parse_hex("81 05\n48 6g").unwrap_err();
        assert_eq!((err.line, err.column, err.found.as_str()), (2, 5, "g"));
    }

    #[test]
    fn detects_every_notation() {
        let want = vec![0x81u8, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        for (text, notation) in [
            ("8105 4865 6c6c 6f", Notation::Hex),
            ("81 05 48 65 6c 6c 6f", Notation::Hex),
            ("81:05:48:65:6c:6c:6f", Notation::Hex),
            ("0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f", Notation::Hex),
            ("81 05\n48 65\n6c 6c 6f\n", Notation::Hex),
            (
                "unsigned char frame[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };",
                Notation::Array,
            ),
            (
                "let f: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6cu8, 0x6c, 111];",
                Notation::Array,
            ),
            ("vec![129, 5, 72, 101, 108, 108, 111]", Notation::Array),
            ("\\x81\\x05\\x48\\x65\\x6c\\x6c\\x6f", Notation::Escapes),
            ("b\"\\x81\\x05Hello\"", Notation::Escapes),
            (
                "0000  81 05 48 65 6c 6c 6f                              ..Hello",
                Notation::HexDump,
            ),
            (
                "00000000  81 05 48 65 6c 6c 6f                              |..Hello|\n00000007\n",
                Notation::HexDump,
            ),
            ("gQVIZWxsbw==", Notation::Base64),
            ("gQVIZWxsbw", Notation::Base64),
        ] {
            let p = parse_input(text.as_bytes(), Format::Auto)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((&p.bytes, p.notation), (&want, notation), "{text}");
        }
    }

    #[test]
    fn multi_line_wireshark_dump_with_ascii_that_looks_like_hex() {
        let text = "0000  82 12 61 62 63 64 65 66 61 62  63 64 65 66 61 62   ..abcdefab cdefab\n0010  63 64 65 66                                       cdef\n";
        let p = parse_input(text.as_bytes(), Format::Auto).unwrap();
        assert_eq!(p.notation, Notation::HexDump);
        assert_eq!(p.bytes.len(), 20);
        assert_eq!(&p.bytes[16..], b"cdef");
    }

    #[test]
    fn ambiguous_text_prefers_hex_and_raw_is_raw() {
        let p = parse_input(b"abcd", Format::Auto).unwrap();
        assert_eq!((p.bytes, p.notation), (vec![0xab, 0xcd], Notation::Hex));
        let p = parse_input(b"abcd", Format::Base64).unwrap();
        assert_eq!(p.notation, Notation::Base64);
        let p = parse_input(&[0x81, 0xff], Format::Auto).unwrap();
        assert_eq!(p.notation, Notation::Raw);
        let p = parse_input(b"81 05", Format::Raw).unwrap();
        assert_eq!(p.bytes, b"81 05");
    }

    #[test]
    fn errors_name_line_column_and_text() {
        let e = parse_input(b"81 05\n48 zz", Format::Hex).unwrap_err();
        assert_eq!((e.line, e.column, e.found.as_str()), (2, 4, "z"));
        let e = parse_input(b"{0x81, 0x105}", Format::Auto).unwrap_err();
        assert_eq!((e.line, e.column, e.found.as_str()), (1, 8, "0x105"));
        let e = parse_input(b"\\x81\\x0g", Format::Auto).unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
        let e = parse_input(b"gQVI\nZW*x", Format::Base64).unwrap_err();
        assert_eq!((e.line, e.column, e.found.as_str()), (2, 3, "*"));
        let e = parse_input(b"0000  81 05\n0005  48", Format::Auto).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn a_lone_digit_is_an_error_not_dropped() {
        let err = parse_hex("81 5 48").unwrap_err();
        assert_eq!((err.line, err.column), (1, 4));
    }
}
