//! Turning what a user pasted into bytes.
//!
//! [`parse_input`] detects the notation (or takes an explicit [`Format`]): plain hex with any mix
//! of spaces, newlines, colons, commas and `0x` prefixes ([`parse_hex`]), C and Rust array
//! literals (with C comments; `xxd -i` output; Wireshark's "C Arrays" export, one array per
//! packet), `\x81` escapes (also in `"..."` and Python's `b'...'`), Wireshark, `hexdump -C`,
//! `xxd` and `od -tx1` dumps (their ASCII column ignored, `*` repeat lines expanded), base64, or
//! raw bytes; a leading byte order mark is skipped. A character that does not belong is an error
//! naming its line and column: nothing is silently dropped, and `od -x` words (whose byte order
//! the text does not say) are refused rather than guessed.

use base64::Engine as _;

use crate::common::Direction;
use serde::{Deserialize, Serialize};

/// The notation to read, as chosen by the user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notation {
    /// Hex digits with separators and optional `0x` prefixes.
    Hex,
    /// A C or Rust array literal (`{0x81, 0x05}`, `[0x81u8, 5]`).
    Array,
    /// `\x81\x05` escapes, optionally in a quoted string.
    Escapes,
    /// A Wireshark, `hexdump -C`, `xxd` or `od -tx1` dump: offset column, hex, ASCII column.
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
    /// Another notation the same text is also valid in, when detection had a choice (plain hex
    /// digits are base64 too): the output names it, so a wrong guess can be seen.
    pub also: Option<Notation>,
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
        also: None,
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
    // A byte order mark (Windows editors write one) is not part of any notation.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if format == Format::Base64 {
        return parse_base64(text).map(|bytes| Parsed {
            bytes,
            notation: Notation::Base64,
            also: None,
        });
    }
    let hex = parse_hex_family(text);
    if format == Format::Hex {
        return hex;
    }
    detect(text, hex)
}

/// Auto-detection between the hex family and base64, saying when it had a choice
/// ([`Parsed::also`]) and, when neither reads the text, reporting the error of the one the text
/// looks more like.
fn detect(text: &str, hex: Result<Parsed, NotationError>) -> Result<Parsed, NotationError> {
    let t = text.trim();
    match hex {
        Ok(mut p) => {
            // Plain hex digits are base64 characters too: say the other reading exists.
            let plain = p.notation == Notation::Hex
                && t.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b'\n' || b == b'\r');
            if plain && plain_hex_is_base64(t) {
                p.also = Some(Notation::Base64);
            }
            Ok(p)
        }
        Err(e) => {
            let b64 = parse_base64(text).map(|bytes| Parsed {
                bytes,
                notation: Notation::Base64,
                also: None,
            });
            // Base64 may be wrapped in lines but has no spaces within a line: spaced text is
            // hex with a typo, and the hex error (naming the typo) is the useful answer. Text
            // with characters only base64 has (g-z, +, /, =) was meant as base64.
            let spaced = t.lines().any(|l| l.trim().contains([' ', '\t', ',', ':']));
            // Mostly base64's alphabet, some characters only base64 has, and none of the hex
            // notations' marks.
            let in_alphabet =
                |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=');
            let chars = t.chars().filter(|c| !c.is_whitespace()).count().max(1);
            let alphabet = t.chars().filter(|&c| in_alphabet(c)).count();
            let base64_only = t.chars().any(|c| {
                matches!(c, 'g'..='z' | 'G'..='Z' | '+' | '/' | '=') && !c.is_ascii_hexdigit()
            }) && !["\\x", "0x", "{", "[", ";"].iter().any(|m| t.contains(m))
                && alphabet * 10 >= chars * 8;
            let controls = t
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
            let hint = |e: NotationError| {
                if !controls {
                    return e;
                }
                NotationError {
                    message: format!(
                        "the input holds control characters, so it looks like raw bytes: use --format raw (read as text, {})",
                        e.message
                    ),
                    ..e
                }
            };
            match b64 {
                Ok(p) if !spaced => Ok(p),
                Err(b) if base64_only && !spaced => Err(hint(NotationError {
                    message: format!("{} (and the text is not hex either)", b.message),
                    ..b
                })),
                _ if !spaced
                    && t.chars().all(|c| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, '+' | '/' | '-' | '_' | '=' | '\n' | '\r')
                    }) =>
                {
                    Err(hint(NotationError {
                        message: format!("{} (and the text is not valid base64 either)", e.message),
                        ..e
                    }))
                }
                _ => Err(hint(e)),
            }
        }
    }
}

/// Any hex spelling: dumps, escapes, arrays, plain.
///
/// Dumps come first: their ASCII column may hold anything (`[`, `{`, `\x`), and it is ignored.
fn parse_hex_family(text: &str) -> Result<Parsed, NotationError> {
    let (bytes, notation) = if looks_like_od(text) {
        (parse_dump(text, DumpKind::Od)?, Notation::HexDump)
    } else if looks_like_dump(text) {
        (parse_dump(text, DumpKind::Hex)?, Notation::HexDump)
    } else if text.contains("\\x") || text.contains("\\X") {
        (parse_escapes(text)?, Notation::Escapes)
    } else if text.contains('{') || text.contains('[') {
        (parse_array(text)?, Notation::Array)
    } else {
        refuse_od_words(text)?;
        (parse_hex(text)?, Notation::Hex)
    };
    Ok(Parsed {
        bytes,
        notation,
        also: None,
    })
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
            error(line, column, ch.to_string(), &base64_problem(&e, ch, url))
        })
}

/// Whether text of hex digits and line breaks only also reads as base64, as [`parse_base64`]
/// would say, without decoding it all (that kept a position per character: 24 bytes each).
/// Hex digits are all in base64's standard alphabet, so every full group of four reads; only
/// the last, short group can fail (one character, or bits left over in its last symbol).
fn plain_hex_is_base64(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_hexdigit);
    let n = digits.clone().count();
    let tail: Vec<u8> = digits.skip(n - n % 4).collect();
    tail.is_empty() || parse_base64(core::str::from_utf8(&tail).unwrap_or("")).is_ok()
}

/// What is wrong with base64 text, as a plain sentence (the base64 crate's own messages, e.g.
/// "Invalid last symbol 54, offset 97.", name bytes and offsets a reader has no use for).
fn base64_problem(e: &base64::DecodeError, ch: char, url: bool) -> String {
    use base64::DecodeError as E;
    let alphabet = if url {
        "the URL-safe alphabet is A-Z, a-z, 0-9, - and _ (it was chosen because the text has - or _)"
    } else {
        "the alphabet is A-Z, a-z, 0-9, + and /"
    };
    match e {
        E::InvalidByte(_, b'=') => {
            "not valid base64: the = padding may only end the text".to_string()
        }
        E::InvalidByte(..) => format!("not valid base64: {ch:?} is not a base64 character; {alphabet}"),
        E::InvalidLength(n) => format!(
            "not valid base64: {n} characters cannot make whole bytes (base64 comes in groups of 4); a character is missing or one too many"
        ),
        E::InvalidLastSymbol(..) => format!(
            "not valid base64: the last character {ch:?} leaves bits over, so the text was probably cut short or has a character too many"
        ),
        E::InvalidPadding => {
            "not valid base64: the = padding at the end is not the length the text needs".to_string()
        }
    }
}

/// `\x81\x05`, possibly inside quoted strings (`b"\x81\x05Hi"`, Python's `b'\x81\x05Hi'`),
/// where other characters stand for themselves and `\n \r \t \0 \\ \" \'` are understood.
fn parse_escapes(text: &str) -> Result<Vec<u8>, NotationError> {
    let quoted = text.contains('"') || text.contains('\'');
    let mut out = Vec::new();
    for (l, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        // The quote that opened the string we are in (`"` or `'`); the other one is literal.
        let mut open: Option<char> = None;
        let in_str = |open: Option<char>| !quoted || open.is_some();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = |i: usize| (l + 1, i + 1);
            if quoted && (open == Some(c) || (open.is_none() && matches!(c, '"' | '\''))) {
                open = if open.is_some() { None } else { Some(c) };
                i += 1;
                continue;
            }
            if !in_str(open) {
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

/// `text` with its C comments (`/* ... */`, `// ...`) blanked out, character for character, so
/// lines and columns stay where they were.
fn blank_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut block = false;
    let mut line = false;
    while let Some(c) = chars.next() {
        let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
        if block {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                out.push_str("  ");
                block = false;
            } else {
                out.push(blank(c));
            }
        } else if line {
            if c == '\n' {
                line = false;
            }
            out.push(blank(c));
        } else if c == '/' && matches!(chars.peek(), Some('*' | '/')) {
            block = chars.next() == Some('*');
            line = !block;
            out.push_str("  ");
        } else {
            out.push(c);
        }
    }
    out
}

/// One integer literal of an array (`0x81`, `129`, `0b1`, `0o7`, `0x81u8`, `1_0`).
fn array_int(token: &str) -> Option<u64> {
    let t = token.replace('_', "");
    let t = t
        .strip_suffix("u8")
        .or_else(|| t.strip_suffix("i8"))
        .unwrap_or(&t);
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else {
        lower.parse::<u64>().ok()
    }
}

/// C and Rust array literals: integer literals (`0x81`, `129`, `0b1`, `0x81u8`) between brackets
/// or braces, with C comments. Several declarations (`type name[] = {...};`) are concatenated,
/// as in `xxd -i` output and Wireshark's "C Arrays" export (one array per packet); a scalar
/// declaration such as `xxd -i`'s `unsigned int x_len = 7;` must equal the length of the array
/// before it.
fn parse_array(text: &str) -> Result<Vec<u8>, NotationError> {
    let text = blank_comments(text);
    let mut out = Vec::new();
    let with_declarations = text.contains('=');
    // Before an `=` (a declaration, skipped) or after it (a value).
    let mut in_declaration = with_declarations;
    // The first character of a declaration that is not followed by an `=`.
    let mut declaration_at: Option<(usize, usize, char)> = None;
    let mut depth = 0usize;
    let mut value_has_array = false;
    let mut array_start = 0;
    let mut scalars: Vec<(String, (usize, usize))> = Vec::new();
    let mut token = String::new();
    let mut token_at = (1, 1);
    let (mut line, mut col) = (1, 1);
    let mut rest = text.as_str();
    let flush = |token: &mut String,
                 at: (usize, usize),
                 depth: usize,
                 out: &mut Vec<u8>,
                 scalars: &mut Vec<(String, (usize, usize))>|
     -> Result<(), NotationError> {
        if token.is_empty() {
            return Ok(());
        }
        if depth == 0 && with_declarations {
            scalars.push((core::mem::take(token), at));
            return Ok(());
        }
        match array_int(token) {
            Some(v) if v <= 255 => out.push(v as u8),
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
    // The end of a `name = value;` statement: a scalar value is a declared length.
    let end_value = |scalars: &mut Vec<(String, (usize, usize))>,
                     value_has_array: bool,
                     array_len: usize|
     -> Result<(), NotationError> {
        let Some((first, at)) = scalars.first().cloned() else {
            return Ok(());
        };
        if value_has_array || scalars.len() > 1 {
            return Err(error(
                at.0,
                at.1,
                first,
                "unexpected text outside the brackets of an array literal",
            ));
        }
        match array_int(&first) {
            Some(n) if n == array_len as u64 => {}
            Some(_) => {
                return Err(error(
                    at.0,
                    at.1,
                    first,
                    &format!(
                        "this declared length does not match the {array_len} bytes of the array before it"
                    ),
                ))
            }
            None => {
                return Err(error(
                    at.0,
                    at.1,
                    first,
                    "not an array literal or a length",
                ))
            }
        }
        scalars.clear();
        Ok(())
    };
    while let Some(c) = rest.chars().next() {
        let n = c.len_utf8();
        if in_declaration {
            if c == '=' {
                in_declaration = false;
                declaration_at = None;
                value_has_array = false;
            } else if !c.is_whitespace() && declaration_at.is_none() {
                declaration_at = Some((line, col, c));
            }
        } else if rest.starts_with("vec!") {
            rest = &rest[4..];
            col += 4;
            continue;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            if token.is_empty() {
                token_at = (line, col);
            }
            token.push(c);
        } else {
            flush(&mut token, token_at, depth, &mut out, &mut scalars)?;
            match c {
                '{' | '[' | '(' => {
                    if depth == 0 && !value_has_array {
                        value_has_array = true;
                        array_start = out.len();
                    }
                    depth += 1;
                }
                '}' | ']' | ')' => depth = depth.saturating_sub(1),
                ';' if depth == 0 && with_declarations => {
                    end_value(&mut scalars, value_has_array, out.len() - array_start)?;
                    in_declaration = true;
                }
                ',' | ';' | '&' => {}
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
        if c == '\n' {
            line += 1;
            col = 0;
        }
        rest = &rest[n..];
        col += 1;
    }
    flush(&mut token, token_at, depth, &mut out, &mut scalars)?;
    end_value(&mut scalars, value_has_array, out.len() - array_start)?;
    if let Some((l, c, ch)) = declaration_at {
        return Err(error(
            l,
            c,
            ch.to_string(),
            "text after the last array literal that is not a declaration (`name = {...};`)",
        ));
    }
    Ok(out)
}

/// Which dump: `hexdump -C`, Wireshark and `xxd` (hex offsets), or `od` (octal offsets).
#[derive(Clone, Copy, PartialEq, Eq)]
enum DumpKind {
    Hex,
    Od,
}

/// The offset column of a dump line: 4-8 hex digits followed by two spaces, a tab or `:`
/// (`hexdump -C`, Wireshark, `xxd`).
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

/// `od`'s offset column: exactly 7 octal digits, then a space.
fn od_offset(line: &str) -> Option<(usize, &str)> {
    let end = line
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len());
    if end != 7 || !line[..end].bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let rest = line[end..].strip_prefix(' ')?;
    Some((usize::from_str_radix(&line[..end], 8).ok()?, rest))
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().find(|l| !l.trim().is_empty())
}

fn looks_like_dump(text: &str) -> bool {
    matches!(first_line(text).and_then(dump_offset), Some((0, _)))
}

fn looks_like_od(text: &str) -> bool {
    matches!(first_line(text).and_then(od_offset), Some((0, _)))
}

const OD_WORDS: &str =
    "this looks like `od -x` output: 16-bit words in the byte order of the machine that \
     made it, which the text does not say; dump bytes with `od -An -tx1` instead";

/// `od -An -x` prints 16-bit words with a leading space (` 0581 6548`): read as bytes in order
/// they would be silently swapped, so a text whose every line is that is refused.
fn refuse_od_words(text: &str) -> Result<(), NotationError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let od = first_line(text).is_some()
        && lines.all(|l| {
            l.starts_with(' ')
                && l.split_whitespace()
                    .all(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        });
    if od {
        let l = first_line(text).unwrap_or_default();
        return Err(error(
            1,
            1,
            l.trim().chars().take(14).collect::<String>(),
            OD_WORDS,
        ));
    }
    Ok(())
}

/// The bytes of one dump line after its offset. Hex bytes are 2-digit tokens separated by one
/// or two spaces (at most 16 a line); a gap of 3 or more spaces or a `|` starts the ASCII
/// column. `xxd` groups bytes (`8105 4865`): there a gap of 2 spaces starts the ASCII column.
/// Whatever the ASCII column holds is ignored.
fn dump_line(
    rest: &str,
    kind: DumpKind,
    at: (usize, usize),
    out: &mut Vec<u8>,
) -> Result<(), NotationError> {
    let b = rest.as_bytes();
    let (mut i, mut gap, mut count, mut group) = (0, 0, 0, 0);
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            gap += 1;
            i += 1;
            continue;
        }
        if b[i] == b'|' || (count > 0 && (gap >= 3 || (group > 2 && gap >= 2))) {
            break;
        }
        let tok_end = rest[i..]
            .find(|c: char| c.is_whitespace())
            .map_or(rest.len(), |p| i + p);
        let tok = &rest[i..tok_end];
        let hex = tok.bytes().all(|c| c.is_ascii_hexdigit()) && tok.len() % 2 == 0;
        if count == 0 {
            group = tok.len();
        }
        let fits = if kind == DumpKind::Od || group == 2 {
            tok.len() == 2 && count < 16
        } else {
            tok.len() <= group
        };
        if !(hex && fits && (2..=16).contains(&tok.len())) {
            if count > 0 {
                break; // the ASCII column
            }
            if kind == DumpKind::Od && hex && tok.len() == 4 {
                return Err(error(at.0, at.1 + i + 1, tok.to_string(), OD_WORDS));
            }
            let message = if kind == DumpKind::Od {
                "expected a 2-digit hex byte: dump bytes with `od -An -tx1` (or `od -tx1`)"
            } else {
                "expected a 2-digit hex byte"
            };
            return Err(error(at.0, at.1 + i + 1, tok.to_string(), message));
        }
        for k in (0..tok.len()).step_by(2) {
            out.push(u8::from_str_radix(&tok[k..k + 2], 16).unwrap_or_default());
        }
        count += tok.len() / 2;
        gap = 0;
        i = tok_end;
    }
    Ok(())
}

/// The most bytes `*` repeat lines may stand for in all (a limit of wsinspect, so a short text
/// cannot make it allocate gigabytes).
const MAX_REPEATED: usize = 64 << 20;

/// A Wireshark, `hexdump -C`, `xxd` or `od -tx1` dump. The ASCII column is a rendering of the
/// same bytes and is skipped; the offset of each line must match the bytes read so far. A `*`
/// line (`hexdump`, `od`) means the line before it repeats up to the next offset.
fn parse_dump(text: &str, kind: DumpKind) -> Result<Vec<u8>, NotationError> {
    let radix = if kind == DumpKind::Od { 8 } else { 16 };
    let mut out = Vec::new();
    let mut previous: Vec<u8> = Vec::new();
    let mut repeat: Option<usize> = None; // the line of a pending `*`
    let mut repeated = 0;
    let mut fill = |out: &mut Vec<u8>,
                    off: usize,
                    repeat: &mut Option<usize>,
                    previous: &[u8],
                    line: usize,
                    found: &str|
     -> Result<(), NotationError> {
        let Some(star) = repeat.take() else {
            return Ok(());
        };
        let missing = off.checked_sub(out.len());
        match missing {
            Some(m) if !previous.is_empty() && m % previous.len() == 0 => {
                repeated += m;
                if repeated > MAX_REPEATED {
                    return Err(error(
                        star,
                        1,
                        "*",
                        "the `*` lines stand for more than 64 MiB, a limit of wsinspect",
                    ));
                }
                for _ in 0..m / previous.len() {
                    out.extend_from_slice(previous);
                }
                Ok(())
            }
            _ => Err(error(
                line,
                1,
                found,
                "this offset is not the line before the `*` repeated a whole number of times",
            )),
        }
    };
    for (l, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.trim() == "*" {
            if previous.is_empty() {
                return Err(error(
                    l + 1,
                    1,
                    "*",
                    "a `*` line must follow a line of bytes",
                ));
            }
            repeat = Some(l + 1);
            continue;
        }
        let parsed = match kind {
            DumpKind::Od => od_offset(line),
            DumpKind::Hex => dump_offset(line),
        };
        let Some((off, rest)) = parsed else {
            let t = line.trim();
            let final_offset = t.bytes().all(|c| c.is_ascii_hexdigit())
                && usize::from_str_radix(t, radix).is_ok_and(|o| {
                    let mut probe = out.len();
                    if repeat.is_some() && !previous.is_empty() && o >= probe {
                        probe += (o - probe) / previous.len() * previous.len();
                    }
                    o == probe
                });
            if final_offset {
                // hexdump's and od's final offset line: the length
                let off = usize::from_str_radix(t, radix).unwrap_or_default();
                fill(&mut out, off, &mut repeat, &previous, l + 1, t)?;
                continue;
            }
            return Err(error(
                l + 1,
                1,
                line.chars().take(12).collect::<String>(),
                "a dump line must start with an offset",
            ));
        };
        let offset_text = line[..line.len() - rest.len()].trim();
        fill(&mut out, off, &mut repeat, &previous, l + 1, offset_text)?;
        if off != out.len() {
            return Err(error(
                l + 1,
                1,
                offset_text.to_string(),
                "this offset does not match the number of bytes before it",
            ));
        }
        let base_col = line[..line.len() - rest.len()].chars().count();
        let start = out.len();
        dump_line(rest, kind, (l + 1, base_col), &mut out)?;
        previous = out[start..].to_vec();
    }
    if let Some(star) = repeat {
        return Err(error(
            star,
            1,
            "*",
            "a `*` line must be followed by the offset where the repetition ends",
        ));
    }
    Ok(out)
}

/// Hex dumps of one or more whole packets (`tshark -x` prints one dump per packet, each from
/// offset 0): the bytes of each, or `None` when the text is not such dumps. tshark's titled
/// sections are understood: `Frame (N bytes):` is the packet, and the sections it derives from
/// it (`Unmasked data`, `Decompressed payload`, `Reassembled TCP`...) are not packets; a blank
/// line ends a packet.
pub fn packet_dumps(text: &str) -> Option<Vec<Vec<u8>>> {
    let mut blocks: Vec<String> = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            // tshark ends each packet with a blank line: what follows is the next packet.
            skipping = false;
            continue;
        }
        if t.ends_with("bytes):") {
            skipping = !t.starts_with("Frame (");
            if !skipping {
                blocks.push(String::new());
            }
            continue;
        }
        if skipping {
            continue;
        }
        let (off, _) = dump_offset(line)?;
        if off == 0 || blocks.is_empty() {
            blocks.push(String::new());
        }
        let block = blocks.last_mut()?;
        block.push_str(line);
        block.push('\n');
    }
    blocks.retain(|b| !b.is_empty());
    if blocks.is_empty() {
        return None;
    }
    blocks
        .iter()
        .map(|b| parse_dump(b, DumpKind::Hex).ok())
        .collect()
}

/// The header lines `tshark -z follow,tcp,hex` writes around the dump.
fn is_follow_header(line: &str) -> bool {
    let t = line.trim();
    t.chars().all(|c| c == '=')
        || ["Follow:", "Filter:", "Node 0:", "Node 1:"]
            .iter()
            .any(|h| t.starts_with(h))
}

/// A dump line of the server's side: indented by a tab (tshark) or four spaces (Wireshark's
/// Follow TCP Stream window), without the indentation.
fn follow_server_line(line: &str) -> Option<&str> {
    line.strip_prefix('\t')
        .or_else(|| line.strip_prefix("    "))
        .filter(|rest| dump_offset(rest).is_some())
}

/// Whether `text` is Wireshark's "Follow TCP Stream" hex output of both directions: dump lines
/// of which the server's are indented (or tshark's `Follow: tcp,hex` header).
pub fn looks_like_follow(text: &str) -> bool {
    let mut client = false;
    let mut server = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if line.trim_start().starts_with("Follow: tcp,hex") {
            return true;
        }
        if follow_server_line(line).is_some() {
            server = true;
        } else if dump_offset(line).is_some() {
            client = true;
        }
    }
    client && server
}

/// Read "Follow TCP Stream" hex output (Wireshark's window or `tshark -z follow,tcp,hex`) as
/// the two directions of one connection, in the order the segments came: the lines at the
/// margin are what the first sender (the client) sent, the indented ones the server's. Each
/// side's offsets count that side's bytes, and each is checked.
pub fn parse_follow(text: &str) -> Result<Vec<(Direction, Vec<u8>)>, NotationError> {
    let mut segments: Vec<(Direction, Vec<u8>)> = Vec::new();
    let mut sent = [0usize; 2];
    for (l, line) in text.lines().enumerate() {
        if line.trim().is_empty() || is_follow_header(line) {
            continue;
        }
        let (direction, body) = match follow_server_line(line) {
            Some(rest) => (Direction::Server, rest),
            None => (Direction::Client, line),
        };
        let Some((off, rest)) = dump_offset(body) else {
            return Err(error(
                l + 1,
                1,
                line.chars().take(12).collect::<String>(),
                "a Follow TCP Stream line must start with an offset (indented for the server's bytes)",
            ));
        };
        let side = usize::from(direction == Direction::Server);
        if off != sent[side] {
            return Err(error(
                l + 1,
                line.len() - body.len() + 1,
                body[..body.len() - rest.len()].trim().to_string(),
                &format!(
                    "this offset does not match the {} bytes the {direction} sent before it",
                    sent[side]
                ),
            ));
        }
        if segments.last().is_none_or(|(d, _)| *d != direction) {
            segments.push((direction, Vec::new()));
        }
        let Some((_, out)) = segments.last_mut() else {
            continue;
        };
        let before = out.len();
        let col = line[..line.len() - rest.len()].chars().count();
        dump_line(rest, DumpKind::Hex, (l + 1, col), out)?;
        sent[side] += out.len() - before;
    }
    Ok(segments)
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
    // The first digit of a byte: its value, line, column and byte offset in its line.
    let mut pending: Option<(u8, usize, usize, usize)> = None;
    for (line_no, line) in text.lines().enumerate() {
        // Characters one at a time (a line can be megabytes: no copy of it).
        let mut chars = line.char_indices().enumerate().peekable();
        while let Some((i, (b, c))) = chars.next() {
            let at = (line_no + 1, i + 1);
            if c == '0' && matches!(chars.peek(), Some((_, (_, 'x' | 'X')))) && pending.is_none() {
                chars.next();
                continue;
            }
            if let Some(d) = c.to_digit(16) {
                match pending.take() {
                    Some((hi, ..)) => out.push(hi << 4 | d as u8),
                    None => pending = Some((d as u8, at.0, at.1, b)),
                }
            } else if c.is_whitespace() || matches!(c, ':' | ',' | '-') {
                if let Some((_, l, col, from)) = pending {
                    return Err(NotationError {
                        line: l,
                        column: col,
                        found: line[from..b + c.len_utf8()].to_string(),
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
        }
        if let Some((_, l, col, from)) = pending.take() {
            return Err(NotationError {
                line: l,
                column: col,
                found: line[from..].to_string(),
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
    fn plain_hex_is_said_to_be_base64_too_exactly_when_it_decodes_as_base64() {
        for text in [
            "81",
            "810",
            "8100",
            "81 05",
            "abcde",
            "abcdef",
            "8105ab\n0c",
            "4142434",
            "41424",
        ] {
            let t = text.replace(' ', "");
            assert_eq!(
                plain_hex_is_base64(&t),
                parse_base64(&t).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn base64_errors_are_plain_sentences_with_the_place() {
        let e = parse_base64("gYU3+iE9f59NUVh").unwrap_err();
        assert_eq!((e.line, e.column, e.found.as_str()), (1, 15, "h"));
        assert!(
            e.message
                .contains("the last character 'h' leaves bits over"),
            "{e}"
        );
        let e = parse_base64("gYU3+iE9\nf59N-Vg=").unwrap_err();
        assert_eq!((e.line, e.column, e.found.as_str()), (1, 5, "+"));
        assert!(
            e.message
                .contains("'+' is not a base64 character; the URL-safe alphabet"),
            "{e}"
        );
        for e in ["gYU3*iE9", "gYU3iE9f5", "gY=U3iE9", "gYU3iE9f59NUVg==="].map(parse_base64) {
            let m = e.unwrap_err().to_string();
            assert!(!m.contains("Invalid") && !m.contains("offset"), "{m}");
        }
    }

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

#[cfg(test)]
mod issue9 {
    use super::*;

    const HELLO: &[u8] = b"\x81\x05Hello";

    fn read(text: &str) -> Parsed {
        parse_input(text.as_bytes(), Format::Auto).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn dump_ascii_column_is_ignored_whatever_it_holds() {
        // printf '\x81\x05Hel[o' | hexdump -C
        let p = read(
            "00000000  81 05 48 65 6c 5b 6f                              |..Hel[o|\n00000007\n",
        );
        assert_eq!(
            (p.bytes.as_slice(), p.notation),
            (&b"\x81\x05Hel[o"[..], Notation::HexDump)
        );
        let p = read("0000  81 05 7b 5c 78 38 31                              ..{\\x81\n");
        assert_eq!(p.bytes, b"\x81\x05{\\x81");
    }

    #[test]
    fn xxd_default_groups_and_xxd_i() {
        let p = read("00000000: 8105 4865 6c6c 6f                        ..Hello\n");
        assert_eq!((p.bytes.as_slice(), p.notation), (HELLO, Notation::HexDump));
        // A full line: the ASCII column (hex-looking here) starts after two spaces.
        let p = read(
            "00000000: 8105 6162 6364 6566 6162 6364 6566 6162  ..abcdefabcdefab\n00000010: 6364                                     cd\n",
        );
        assert_eq!(p.bytes.len(), 18);
        assert_eq!(&p.bytes[16..], b"cd");
        let p = read("unsigned char x[] = {\n  0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f\n};\nunsigned int x_len = 7;\n");
        assert_eq!((p.bytes.as_slice(), p.notation), (HELLO, Notation::Array));
        let e = parse_input(
            b"unsigned char x[] = {0x81, 0x05};\nunsigned int x_len = 3;\n",
            Format::Auto,
        )
        .unwrap_err();
        assert_eq!((e.line, e.found.as_str()), (2, "3"));
    }

    #[test]
    fn hexdump_star_repeats_the_line_before() {
        let text = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000030  01 02                                             |..|\n00000032\n";
        let p = read(text);
        assert_eq!(p.bytes.len(), 50);
        assert_eq!(&p.bytes[48..], [1, 2]);
        // Up to the final offset line too.
        let p = read("00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n*\n00000040\n");
        assert_eq!(p.bytes, vec![0x61; 64]);
        let e = parse_input(b"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000031  01\n", Format::Auto).unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn python_single_quotes_comments_and_wireshark_c_arrays() {
        assert_eq!(read("b'\\x81\\x05Hello'").bytes, HELLO);
        assert_eq!(read("b'\\x81\\x02\\'\"'").bytes, b"\x81\x02'\"");
        let p = read("{ 0x81, /* FIN, text */ 0x05, // length\n 0x48, 0x65, 0x6c, 0x6c, 0x6f }");
        assert_eq!(p.bytes, HELLO);
        let text = "/* Packet 4 */\nstatic const unsigned char pkt4[2] = {\n0x81, 0x05 /* .. */\n};\n\n/* Packet 6 */\nstatic const unsigned char pkt6[5] = {\n0x48, 0x65, 0x6c, 0x6c, 0x6f /* Hello */\n};\n";
        assert_eq!(read(text).bytes, HELLO);
        // A Rust declaration keeps working.
        assert_eq!(
            read("let f: [u8; 7] = [0x81, 5, 72, 101, 108, 108, 111];").bytes,
            HELLO
        );
        let e = parse_input(b"{0x81};\nfoo", Format::Auto).unwrap_err();
        assert_eq!(e.found, "foo");
    }

    #[test]
    fn bom_od_tx1_and_od_x() {
        assert_eq!(read("\u{feff}81 05 48 65 6c 6c 6f").bytes, HELLO);
        assert_eq!(read(" 81 05 48 65 6c 6c 6f\n").bytes, HELLO);
        let p = read("0000000 81 05 48 65 6c 6c 6f\n0000007\n");
        assert_eq!((p.bytes.as_slice(), p.notation), (HELLO, Notation::HexDump));
        for od_x in [
            " 0581 6548 6c6c 006f\n",
            "0000000 0581 6548 6c6c 006f\n0000007\n",
        ] {
            let e = parse_input(od_x.as_bytes(), Format::Auto).unwrap_err();
            assert!(e.message.contains("od -An -tx1"), "{e}");
        }
    }
}
