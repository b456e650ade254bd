//! Turning what a user pasted into bytes.
//!
//! Accepts hex digits with any mix of spaces, newlines, colons, commas and `0x` prefixes.
//! A character that is none of these is an error naming its line and column: nothing is dropped.

use serde::Serialize;

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
/// use wsinspect_core::notation::parse_hex;
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
    fn names_the_place_of_a_bad_character() {
        let err = parse_hex("81 05\n48 6g").unwrap_err();
        assert_eq!((err.line, err.column, err.found.as_str()), (2, 5, "g"));
    }

    #[test]
    fn a_lone_digit_is_an_error_not_dropped() {
        let err = parse_hex("81 5 48").unwrap_err();
        assert_eq!((err.line, err.column), (1, 4));
    }
}
