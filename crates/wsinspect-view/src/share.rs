//! Share links: the page's input, format, direction, extensions and inflate limit in a URL
//! fragment, so a link reproduces the view. The input is DEFLATE-compressed and base64url-encoded; nothing goes to a server
//! (fragments are never sent). Non-goal: shortening; a link is as long as the data needs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use crate::view::format_value;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::Direction;

/// What a share link restores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shared {
    /// The input text, exactly.
    pub input: String,
    /// The format override.
    pub format: Format,
    /// The direction chosen.
    pub direction: Direction,
    /// The extensions override (empty for none).
    pub extensions: String,
    /// The most bytes one message may inflate to ([`DEFAULT_MAX_INFLATED`] unless chosen).
    pub max_inflated: usize,
}

/// The most bytes a link's input may inflate to.
const MAX_INPUT: usize = 64 << 20;

/// The fragment (without `#`) for `s`: `v=1&f=hex&d=client&z=...&x=...&m=...`. The inflate
/// limit `m` (in bytes) is written only when it is not the default, so links made before it
/// existed and links that keep the default look the same.
pub fn encode(s: &Shared) -> String {
    let z = miniz_oxide::deflate::compress_to_vec(s.input.as_bytes(), 6);
    let mut out = format!(
        "v=1&f={}&d={}&z={}",
        format_value(s.format),
        s.direction.as_str(),
        URL_SAFE_NO_PAD.encode(z)
    );
    if !s.extensions.is_empty() {
        out.push_str("&x=");
        out.push_str(&URL_SAFE_NO_PAD.encode(s.extensions.as_bytes()));
    }
    if s.max_inflated != DEFAULT_MAX_INFLATED {
        out.push_str(&format!("&m={}", s.max_inflated));
    }
    out
}

/// Links longer than this are not put in the address bar: Chromium refuses URLs over 2 MiB.
pub const MAX_LINK: usize = 2 << 20;
/// Links longer than this work in a browser, but mail and chat programs often cut them.
pub const LONG_LINK: usize = 64 << 10;

/// The share link's fragment for `s`, if a browser can hold it, and what the page should say
/// about its length (the input still decodes either way).
pub fn link(s: &Shared) -> (Option<String>, Option<String>) {
    if s.input.is_empty() {
        return (None, None);
    }
    let f = encode(s);
    let kb = f.len().div_ceil(1024);
    if f.len() > MAX_LINK {
        let note = format!("This input is too big for a share link ({kb} KB; browsers take up to 2 MB): share the input itself.");
        (None, Some(note))
    } else if f.len() > LONG_LINK {
        let note = format!("The share link is {kb} KB long: mail and chat programs may cut it.");
        (Some(f), Some(note))
    } else {
        (Some(f), None)
    }
}

/// Read a fragment (with or without `#`) made by [`encode`]; `None` for an empty fragment.
pub fn decode(fragment: &str) -> Result<Option<Shared>, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.is_empty() {
        return Ok(None);
    }
    let mut s = Shared {
        input: String::new(),
        format: Format::Auto,
        direction: Direction::Unknown,
        extensions: String::new(),
        max_inflated: DEFAULT_MAX_INFLATED,
    };
    let mut version = None;
    for part in fragment.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match k {
            "v" => version = Some(v),
            "f" => s.format = v.parse()?,
            "d" => s.direction = v.parse()?,
            "x" => {
                let b = URL_SAFE_NO_PAD
                    .decode(v)
                    .map_err(|e| format!("the link's extensions are damaged: {e}"))?;
                s.extensions = String::from_utf8_lossy(&b).into_owned();
            }
            "m" => {
                s.max_inflated = v.parse().ok().filter(|&m| m > 0).ok_or_else(|| {
                    format!("the link's inflate limit {v:?} is not a positive number of bytes")
                })?;
            }
            "z" => {
                let z = URL_SAFE_NO_PAD
                    .decode(v)
                    .map_err(|e| format!("the link's input is damaged: {e}"))?;
                let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&z, MAX_INPUT)
                    .map_err(|e| format!("the link's input is damaged: {e:?}"))?;
                s.input = String::from_utf8(raw)
                    .map_err(|_| "the link's input is not text".to_string())?;
            }
            _ => {}
        }
    }
    match version {
        Some("1") => Ok(Some(s)),
        _ => Err("this is not a wsinspect share link (no v=1)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly_including_crlf() {
        let s = Shared {
            input: "GET / HTTP/1.1\r\nHost: a\r\n\r\n<script>é".into(),
            format: Format::Raw,
            direction: Direction::Client,
            extensions: "permessage-deflate".into(),
            max_inflated: DEFAULT_MAX_INFLATED,
        };
        let f = encode(&s);
        assert!(f.starts_with("v=1&f=raw&d=client&z="), "{f}");
        assert!(!f.contains("&m="), "the default limit is not written: {f}");
        assert!(f
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "=&-_".contains(c)));
        assert_eq!(decode(&format!("#{f}")).unwrap(), Some(s));
    }

    #[test]
    fn a_chosen_inflate_limit_round_trips_and_old_links_get_the_default() {
        let s = Shared {
            input: "c1 07 f2 48 cd c9 c9 07 00".into(),
            format: Format::Auto,
            direction: Direction::Server,
            extensions: "permessage-deflate".into(),
            max_inflated: 64 << 10,
        };
        let f = encode(&s);
        assert!(f.ends_with("&m=65536"), "{f}");
        assert_eq!(decode(&f).unwrap(), Some(s.clone()));
        // A link made before the limit existed: the same fragment without `m`.
        let old = f.replace("&m=65536", "");
        let restored = decode(&old).unwrap().unwrap();
        assert_eq!(restored.max_inflated, DEFAULT_MAX_INFLATED);
        assert_eq!(restored.input, s.input);
        // A link from an earlier page version, byte for byte (RFC 6455 §5.7 masked "Hello").
        let legacy =
            decode("#v=1&f=auto&d=client&z=szBUsDBVMDZXSEtUMDJUME5RME9TsExTMElRMDVUMLUAAA")
                .unwrap()
                .unwrap();
        assert_eq!(legacy.input, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
        assert_eq!(legacy.max_inflated, DEFAULT_MAX_INFLATED);
        assert!(decode("#v=1&m=0&z=").is_err());
        assert!(decode("#v=1&m=lots&z=").is_err());
    }

    #[test]
    fn long_links_are_warned_about_and_oversized_ones_not_made() {
        let mut s = Shared {
            input: "81 05 48 65 6c 6c 6f".into(),
            format: Format::Auto,
            direction: Direction::Unknown,
            extensions: String::new(),
            max_inflated: DEFAULT_MAX_INFLATED,
        };
        assert!(matches!(link(&s), (Some(_), None)));
        // Hex of bytes that do not compress (a simple generator, no repeats in reach).
        let mut x = 1u32;
        let mut noise = |n: usize| {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    format!("{:02x}", x as u8)
                })
                .collect::<String>()
        };
        s.input = noise(100 << 10);
        let (f, note) = link(&s);
        assert!(f.is_some() && note.unwrap().contains("may cut it"));
        s.input = noise(2 << 20);
        let (f, note) = link(&s);
        assert!(f.is_none() && note.unwrap().contains("too big for a share link"));
        s.input.clear();
        assert_eq!(link(&s), (None, None));
    }

    #[test]
    fn empty_and_damaged_fragments() {
        assert_eq!(decode("").unwrap(), None);
        assert_eq!(decode("#").unwrap(), None);
        assert!(decode("#v=1&z=!!").is_err());
        assert!(decode("#hello").is_err());
        assert!(decode("#v=1&d=sideways").is_err());
    }
}
