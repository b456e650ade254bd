//! Which flows of a capture the user asked for: by id (`--connection 3`) and by endpoint
//! (`--filter port=8765`, `host=::1`, `client=127.0.0.1:50000`, `server=127.0.0.1`).
//! Every term given must match; no term matches everything. What is left out is still read
//! (the totals count it), just not shown.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// One condition on a flow's endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// Either endpoint has this port.
    Port(u16),
    /// Either endpoint has this address.
    Host(IpAddr),
    /// The client's address and/or port.
    Client(Endpoint),
    /// The server's address and/or port.
    Server(Endpoint),
}

/// An address, a port, or both (`127.0.0.1`, `:8765`, `127.0.0.1:8765`, `[::1]:8765`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The address, if given.
    pub ip: Option<IpAddr>,
    /// The port, if given.
    pub port: Option<u16>,
}

/// What a filter term could not be read as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermError {
    /// The term as given.
    pub term: String,
    /// What was expected.
    pub expected: &'static str,
}

impl fmt::Display for TermError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter `{}`: expected {}", self.term, self.expected)
    }
}

impl std::error::Error for TermError {}

const TERMS: &str =
    "port=PORT, host=ADDR, client=ADDR[:PORT] or server=ADDR[:PORT] (e.g. port=8765, client=[::1]:50000)";

impl FromStr for Term {
    type Err = TermError;

    fn from_str(s: &str) -> Result<Term, TermError> {
        let error = |expected| TermError {
            term: s.to_string(),
            expected,
        };
        let (key, value) = s.split_once('=').ok_or_else(|| error(TERMS))?;
        let value = value.trim();
        match key.trim() {
            "port" => value
                .parse()
                .map(Term::Port)
                .map_err(|_| error("a port number")),
            "host" => value
                .trim_matches(['[', ']'])
                .parse()
                .map(Term::Host)
                .map_err(|_| error("an IPv4 or IPv6 address")),
            "client" => endpoint(value)
                .map(Term::Client)
                .ok_or_else(|| error(ENDPOINT)),
            "server" => endpoint(value)
                .map(Term::Server)
                .ok_or_else(|| error(ENDPOINT)),
            _ => Err(error(TERMS)),
        }
    }
}

const ENDPOINT: &str = "ADDR, :PORT or ADDR:PORT (IPv6 as [ADDR]:PORT)";

fn endpoint(s: &str) -> Option<Endpoint> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(Endpoint {
            ip: Some(a.ip()),
            port: Some(a.port()),
        });
    }
    if let Some(port) = s.strip_prefix(':') {
        return Some(Endpoint {
            ip: None,
            port: Some(port.parse().ok()?),
        });
    }
    let ip = s.trim_matches(['[', ']']).parse().ok()?;
    Some(Endpoint {
        ip: Some(ip),
        port: None,
    })
}

impl Endpoint {
    fn matches(&self, a: SocketAddr) -> bool {
        self.ip.is_none_or(|ip| ip == a.ip()) && self.port.is_none_or(|p| p == a.port())
    }
}

impl Term {
    fn matches(&self, client: SocketAddr, server: SocketAddr) -> bool {
        match self {
            Term::Port(p) => client.port() == *p || server.port() == *p,
            Term::Host(ip) => client.ip() == *ip || server.ip() == *ip,
            Term::Client(e) => e.matches(client),
            Term::Server(e) => e.matches(server),
        }
    }
}

/// The flows asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Select {
    /// Flow ids (any of them); empty: any id.
    pub ids: Vec<u64>,
    /// Conditions (all of them).
    pub terms: Vec<Term>,
}

impl Select {
    /// Whether flow `id` between these endpoints is shown.
    pub fn matches(&self, id: u64, client: SocketAddr, server: SocketAddr) -> bool {
        (self.ids.is_empty() || self.ids.contains(&id))
            && self.terms.iter().all(|t| t.matches(client, server))
    }

    /// Whether everything is shown.
    pub fn is_all(&self) -> bool {
        self.ids.is_empty() && self.terms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn terms_read_and_match_either_or_one_side() {
        let (c, s) = (a("127.0.0.1:50000"), a("127.0.0.1:8765"));
        let (c6, s6) = (a("[::1]:50001"), a("[::1]:8765"));
        let cases = [
            ("port=8765", true, true),
            ("port=50000", true, false),
            ("host=::1", false, true),
            ("host=[::1]", false, true),
            ("client=:50001", false, true),
            ("client=127.0.0.1", true, false),
            ("server=[::1]:8765", false, true),
            ("server=127.0.0.1:8765", true, false),
            ("server=:50000", false, false),
        ];
        for (term, v4, v6) in cases {
            let t: Term = term.parse().unwrap();
            assert_eq!((t.matches(c, s), t.matches(c6, s6)), (v4, v6), "{term}");
        }
    }

    #[test]
    fn bad_terms_say_what_was_expected() {
        for (term, expected) in [
            ("port=http", "a port number"),
            ("host=localhost", "an IPv4 or IPv6 address"),
            ("client=1.2.3", ENDPOINT),
            ("proto=tcp", TERMS),
            ("8765", TERMS),
        ] {
            let e = term.parse::<Term>().unwrap_err();
            assert_eq!(e.expected, expected, "{term}");
            assert!(e.to_string().contains(term));
        }
    }

    #[test]
    fn ids_and_terms_all_apply() {
        let (c, s) = (a("10.0.0.1:40000"), a("10.0.0.2:80"));
        let select = Select {
            ids: vec![2, 5],
            terms: vec!["port=80".parse().unwrap()],
        };
        assert!(select.matches(5, c, s));
        assert!(!select.matches(3, c, s));
        assert!(!select.matches(2, c, a("10.0.0.2:81")));
        assert!(Select::default().matches(9, c, s) && Select::default().is_all());
    }
}
