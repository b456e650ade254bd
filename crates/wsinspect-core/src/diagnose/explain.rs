//! "Paste the error your client printed": a client's error text matched, fuzzily, to the
//! diagnoses whose clients print it. Case, quotes, punctuation and numbers do not matter
//! (`Unexpected response code: 426` matches the recorded `... 404`), except close codes
//! (1000-1999), which name different causes.

use serde::Serialize;

use super::table::{ClientPrint, DiagnosisDef, DIAGNOSES};

/// One diagnosis that can cause the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExplainMatch {
    /// The diagnosis, with how to tell it apart and what to change.
    pub diagnosis: &'static DiagnosisDef,
    /// How well the text matched, 0-100.
    pub score: u8,
    /// The client texts it matched.
    pub matched: Vec<ClientPrint>,
}

/// The diagnoses whose clients print `text`, best match first (empty when none matches); a
/// diagnosis id gives that diagnosis.
pub fn explain(text: &str) -> Vec<ExplainMatch> {
    // A diagnosis id (`idle-timeout`) names itself.
    if let Ok(id) = text.trim().parse::<super::DiagnosisId>() {
        return vec![ExplainMatch {
            diagnosis: id.def(),
            score: 100,
            matched: Vec::new(),
        }];
    }
    let input = words(text);
    if input.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<ExplainMatch> = DIAGNOSES
        .iter()
        .filter_map(|def| {
            let mut matched: Vec<(u8, ClientPrint)> = def
                .clients
                .iter()
                .filter(|c| !c.text.starts_with('('))
                .filter_map(|c| {
                    let s = score(&input, &words(c.text));
                    (s > 0).then_some((s, *c))
                })
                .collect();
            matched.sort_by_key(|m| core::cmp::Reverse(m.0));
            let best = matched.first()?.0;
            Some(ExplainMatch {
                diagnosis: def,
                score: best,
                matched: matched.into_iter().map(|(_, c)| c).collect(),
            })
        })
        .collect();
    out.sort_by_key(|m| core::cmp::Reverse(m.score));
    out
}

/// The text as words: lower case, quotes dropped, other punctuation a separator, numbers `#`
/// except close codes.
fn words(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\'' | '"' | '`' | '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => {}
            c if c.is_alphanumeric() => cleaned.extend(c.to_lowercase()),
            _ => cleaned.push(' '),
        }
    }
    cleaned
        .split_whitespace()
        .map(|w| {
            let close_code =
                w.len() == 4 && w.starts_with('1') && w.bytes().all(|b| b.is_ascii_digit());
            if w.bytes().all(|b| b.is_ascii_digit()) && !close_code {
                "#".to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

/// 100 when one contains the other as a run of words (the shorter has 2 words or more);
/// otherwise the share of the pattern's words (3 letters or more) found in the input, when
/// that is at least 70 % and 2 words.
fn score(input: &[String], pattern: &[String]) -> u8 {
    let contains = |a: &[String], b: &[String]| b.len() >= 2 && a.windows(b.len()).any(|w| w == b);
    if contains(input, pattern) || contains(pattern, input) {
        return 100;
    }
    let significant: Vec<&String> = pattern.iter().filter(|w| w.len() >= 3).collect();
    let found = significant.iter().filter(|w| input.contains(w)).count();
    if found >= 2 && found * 10 >= significant.len() * 7 {
        (found * 100 / significant.len()).min(99) as u8
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::DiagnosisId;

    fn ids(text: &str) -> Vec<DiagnosisId> {
        explain(text).iter().map(|m| m.diagnosis.id).collect()
    }

    #[test]
    fn a_browser_console_line_finds_its_causes() {
        let found = ids("WebSocket connection to 'ws://localhost:8080/chat' failed: Error during WebSocket handshake: Unexpected response code: 426");
        assert!(found.contains(&DiagnosisId::UpgradeRefused), "{found:?}");
        assert!(
            found.contains(&DiagnosisId::ProxyDroppedUpgrade),
            "{found:?}"
        );
        assert!(!found.contains(&DiagnosisId::AcceptMismatch), "{found:?}");
    }

    #[test]
    fn quotes_case_and_numbers_do_not_matter() {
        let a =
            ids("error during websocket handshake: incorrect sec-websocket-accept header value");
        assert_eq!(a.first(), Some(&DiagnosisId::AcceptMismatch));
        let b = ids("Invalid WebSocket frame: RSV1 must be clear");
        assert_eq!(
            b[..3],
            [
                DiagnosisId::HttpAfterUpgrade,
                DiagnosisId::Rsv1Unnegotiated,
                DiagnosisId::Rsv1OnControlFrame
            ]
        );
        let c = ids("websocket: close 1006 (abnormal closure): unexpected EOF");
        assert!(c.contains(&DiagnosisId::IdleTimeout) && c.contains(&DiagnosisId::NoCloseFrame));
        let d = ids("received 1011 (internal error) keepalive ping timeout; then sent 1011 (internal error) keepalive ping timeout");
        assert_eq!(d.first(), Some(&DiagnosisId::PingUnanswered));
    }

    #[test]
    fn an_id_names_its_diagnosis() {
        assert_eq!(ids(" close-not-answered "), [DiagnosisId::CloseNotAnswered]);
    }

    #[test]
    fn unrelated_text_matches_nothing() {
        assert!(ids("the weather is fine today").is_empty());
        assert!(ids("").is_empty());
        assert!(ids("error").is_empty());
    }
}
