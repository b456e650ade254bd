//! Sec-WebSocket-Extensions (RFC 6455 §9.1) and the permessage-deflate parameters (RFC 7692 §7).

use serde::{Deserialize, Serialize};

/// One extension of a Sec-WebSocket-Extensions list, with its parameters in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters as `[name, value]`, value `null` when absent; quoted values are unquoted.
    pub params: Vec<(String, Option<String>)>,
}

impl Extension {
    /// The value of parameter `name` (case-insensitive): `Some(None)` when it has no value.
    pub fn param(&self, name: &str) -> Option<&Option<String>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The window bits parameter `name` holds, when present with a valid value (RFC 7692 §7.1.2).
    pub fn window_bits(&self, name: &str) -> Option<u8> {
        self.param(name)
            .and_then(|v| v.as_deref().and_then(window_bits))
    }
}

/// Split on `sep` (ASCII) outside double quotes. Bytewise: no byte of a multi-byte UTF-8
/// character is ASCII, so every split falls between characters.
fn split_outside_quotes(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let (mut start, mut done) = (0, false);
    // Most lists quote nothing: their separators are found without following quotes.
    let quotes = s.as_bytes().contains(&b'"');
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let (mut quoted, mut escaped) = (false, false);
        let rest = &s.as_bytes()[start..];
        let at = if quotes {
            rest.iter().position(|&c| {
                match c {
                    _ if escaped => escaped = false,
                    b'\\' if quoted => escaped = true,
                    b'"' => quoted = !quoted,
                    c if c == sep && !quoted => return true,
                    _ => {}
                }
                false
            })
        } else {
            rest.iter().position(|&c| c == sep)
        };
        let from = start;
        match at {
            Some(i) => {
                start += i + 1;
                Some(&s[from..from + i])
            }
            None => {
                done = true;
                Some(&s[from..])
            }
        }
    })
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_string(),
    }
}

/// Parse an extension list (the combined value of every Sec-WebSocket-Extensions field).
///
/// ```
/// use wsinspect_core::ext::extensions::parse_extensions;
/// let e = parse_extensions("permessage-deflate; client_max_window_bits, x-foo; a=\"1\"");
/// assert_eq!(e[0].params, [("client_max_window_bits".to_string(), None)]);
/// assert_eq!(e[1].params, [("a".to_string(), Some("1".to_string()))]);
/// ```
pub fn parse_extensions(value: &str) -> Vec<Extension> {
    split_outside_quotes(value, b',')
        .filter_map(|ext| {
            let mut parts = split_outside_quotes(ext, b';').map(str::trim);
            let name = parts.next().unwrap_or("").to_string();
            if name.is_empty() {
                return None;
            }
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((n, v)) => (n.trim().to_string(), Some(unquote(v.trim()))),
                    None => (p.to_string(), None),
                })
                .collect();
            Some(Extension { name, params })
        })
        .collect()
}

/// The permessage-deflate settings for what one side sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeflateParams {
    /// The sender resets its compression context after each message.
    pub no_context_takeover: bool,
    /// The LZ77 window size the sender uses, as a base-2 logarithm (8-15; 15 by default).
    pub max_window_bits: u8,
}

/// The negotiated permessage-deflate configuration, per direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deflate {
    /// What the client compresses with (client-to-server messages).
    pub client: DeflateParams,
    /// What the server compresses with (server-to-client messages).
    pub server: DeflateParams,
}

/// The permessage-deflate parameter names (RFC 7692 §7.1).
const PMD_PARAMS: &[&str] = &[
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
];

fn window_bits(v: &str) -> Option<u8> {
    // RFC 7692 §7.1.2: 1*DIGIT without leading zeros, 8 to 15.
    if v.starts_with('0') || v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}

/// Problems with one permessage-deflate element's parameters (RFC 7692 §7). `in_response`
/// selects the rules for a server's answer; empty means valid.
pub fn deflate_param_errors(ext: &Extension, in_response: bool) -> Vec<String> {
    let mut errs = Vec::new();
    // Names seen so far, lower-cased, in a set when there are many, so an element with many
    // parameters stays linear.
    let many = ext.params.len() > 8;
    let mut seen = std::collections::HashSet::new();
    for (i, (name, value)) in ext.params.iter().enumerate() {
        let again = if many {
            !seen.insert(name.to_ascii_lowercase())
        } else {
            ext.params[..i]
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if again {
            errs.push(format!(
                "`{name}` appears twice (RFC 7692 §7: no duplicates)"
            ));
            continue;
        }
        let Some(&known) = PMD_PARAMS.iter().find(|p| p.eq_ignore_ascii_case(name)) else {
            errs.push(format!(
                "`{name}` is not a permessage-deflate parameter (RFC 7692 §7.1)"
            ));
            continue;
        };
        match (known, value) {
            ("server_no_context_takeover" | "client_no_context_takeover", Some(v)) => {
                errs.push(format!("`{name}` takes no value, got `{v}` (RFC 7692 §7.1.1)"))
            }
            ("server_max_window_bits", None) => errs.push(format!(
                "`{name}` needs a value from 8 to 15 (RFC 7692 §7.1.2.1)"
            )),
            ("client_max_window_bits", None) if in_response => errs.push(format!(
                "`{name}` in a response needs a value from 8 to 15 (RFC 7692 §7.1.2.2)"
            )),
            (_, Some(v)) if window_bits(v).is_none() => errs.push(format!(
                "`{name}={v}`: window bits must be a number from 8 to 15 without leading zeros (RFC 7692 §7.1.2)"
            )),
            _ => {}
        }
    }
    errs
}

/// Why `response` (a permessage-deflate element of a server's answer) cannot be the answer to
/// `offer` (one of the client's permessage-deflate offers); empty when it can (RFC 7692 §7.1).
pub fn deflate_answer_errors(offer: &Extension, response: &Extension) -> Vec<String> {
    let mut errs = Vec::new();
    if response.param("client_max_window_bits").is_some()
        && offer.param("client_max_window_bits").is_none()
    {
        errs.push(
            "`client_max_window_bits` is in the response but the client did not offer it (RFC 7692 §7.1.2.2)"
                .to_string(),
        );
    }
    if offer.param("server_no_context_takeover").is_some()
        && response.param("server_no_context_takeover").is_none()
    {
        errs.push(
            "the client asked for `server_no_context_takeover` and the response accepted the offer without it (RFC 7692 §7.1.1.1)"
                .to_string(),
        );
    }
    if let Some(limit) = offer.window_bits("server_max_window_bits") {
        match response.window_bits("server_max_window_bits") {
            Some(b) if b <= limit => {}
            Some(b) => errs.push(format!(
                "`server_max_window_bits={b}` is larger than the {limit} the client offered (RFC 7692 §7.1.2.1)"
            )),
            None => errs.push(format!(
                "the client limited `server_max_window_bits` to {limit} and the response accepted the offer without it (RFC 7692 §7.1.2.1)"
            )),
        }
    }
    errs
}

/// The per-direction settings a permessage-deflate response element sets.
pub fn deflate_session(response: &Extension) -> Deflate {
    let side = |takeover: &str, bits: &str| DeflateParams {
        no_context_takeover: response.param(takeover).is_some(),
        max_window_bits: response.window_bits(bits).unwrap_or(15),
    };
    Deflate {
        client: side("client_no_context_takeover", "client_max_window_bits"),
        server: side("server_no_context_takeover", "server_max_window_bits"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Extension {
        parse_extensions(s).remove(0)
    }

    #[test]
    fn parses_lists_params_and_quotes() {
        let e = parse_extensions(
            " permessage-deflate ; client_max_window_bits ; server_max_window_bits=\"10\", x-webkit-deflate-frame,,",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "permessage-deflate");
        assert_eq!(
            e[0].params,
            [
                ("client_max_window_bits".into(), None),
                ("server_max_window_bits".into(), Some("10".into()))
            ]
        );
        assert_eq!(e[1].name, "x-webkit-deflate-frame");
        assert_eq!(
            parse_extensions("a; p=\"x,y\"")[0].params[0].1.as_deref(),
            Some("x,y")
        );
    }

    #[test]
    fn offer_and_response_parameter_rules() {
        assert!(
            deflate_param_errors(&one("permessage-deflate; client_max_window_bits"), false)
                .is_empty()
        );
        assert!(
            !deflate_param_errors(&one("permessage-deflate; client_max_window_bits"), true)
                .is_empty()
        );
        for bad in [
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; foo",
        ] {
            assert!(!deflate_param_errors(&one(bad), false).is_empty(), "{bad}");
        }
    }

    #[test]
    fn answers_must_fit_an_offer() {
        let offer =
            one("permessage-deflate; server_max_window_bits=10; server_no_context_takeover");
        let ok = one("permessage-deflate; server_max_window_bits=9; server_no_context_takeover");
        assert!(deflate_answer_errors(&offer, &ok).is_empty());
        assert_eq!(
            deflate_answer_errors(&offer, &one("permessage-deflate")).len(),
            2
        );
        assert_eq!(
            deflate_answer_errors(
                &one("permessage-deflate"),
                &one("permessage-deflate; client_max_window_bits=10")
            )
            .len(),
            1
        );
    }

    #[test]
    fn session_per_direction() {
        let d = deflate_session(&one(
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=10; client_no_context_takeover",
        ));
        assert_eq!(
            d.server,
            DeflateParams {
                no_context_takeover: false,
                max_window_bits: 12
            }
        );
        assert_eq!(
            d.client,
            DeflateParams {
                no_context_takeover: true,
                max_window_bits: 10
            }
        );
    }
}
