//! The one table of handshake checklist items: RFC 6455 §4.1 (client), §4.2.1/§4.2.2 (server),
//! RFC 7692 §7 (permessage-deflate), the HTTP/1 framing they rely on, and the legacy and HTTP/2
//! forms. Every result the analysis produces names one of these items by its [`CheckId`].

use serde::Serialize;

use crate::common::ids;

/// One checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CheckDef {
    /// Stable identifier (`req-...` checks the request, `res-...` the response).
    pub id: CheckId,
    /// The section that states the requirement.
    pub rfc: &'static str,
    /// What is checked, in a few words.
    pub checks: &'static str,
    /// One sentence for a learner: why it matters.
    pub doc: &'static str,
}

macro_rules! checks {
    ($($var:ident = $id:literal, $rfc:literal, $checks:literal, $doc:literal;)*) => {
        ids! {
            /// A handshake checklist item, named by its stable id; [`CheckId::def`] is its row of
            /// [`CHECKS`].
            pub enum CheckId("check") {
                $( #[doc = $checks] $var = $id, )*
            }
        }

        /// Every checklist item, request first, then response, then the other handshake forms
        /// (the order of [`CheckId`]).
        pub static CHECKS: &[CheckDef] = &[$(CheckDef { id: CheckId::$var, rfc: $rfc, checks: $checks, doc: $doc }),*];
    };
}

checks! {
    ReqSyntax = "req-syntax", "RFC 9112 §3, §5", "the request is well-formed HTTP/1.1",
        "A strict parser (httparse) must accept the request line and every header line, or the server answers 400 or drops the connection.";
    ReqLineEndings = "req-line-endings", "RFC 9112 §2.2", "request lines end in CRLF",
        "HTTP lines end in CR LF; a bare LF is tolerated by many servers but rejected by strict ones.";
    ReqHeadEnd = "req-head-end", "RFC 9112 §2.1", "the request ends with an empty line",
        "The empty line tells the server the headers are complete; without it the server keeps waiting.";
    ReqMethod = "req-method", "RFC 6455 §4.1", "the method is GET",
        "The opening handshake is an HTTP GET request; any other method is not a WebSocket handshake.";
    ReqVersion = "req-version", "RFC 6455 §4.1", "HTTP/1.1 or later",
        "Upgrade needs HTTP/1.1; an HTTP/1.0 request cannot switch protocols.";
    ReqTarget = "req-target", "RFC 6455 §3, §4.1", "the request target is a path (or an absolute http/https URI) without a fragment",
        "The target names the resource (e.g. /chat); ws:// URIs are what the script uses, not what goes on the request line.";
    ReqHost = "req-host", "RFC 6455 §4.1", "exactly one Host header",
        "Host names the server the client wants, so one server can host many sites.";
    ReqUpgrade = "req-upgrade", "RFC 6455 §4.1", "Upgrade contains the token websocket",
        "Upgrade says which protocol the client wants to switch to.";
    ReqConnection = "req-connection", "RFC 6455 §4.1", "Connection contains the token Upgrade",
        "Connection: Upgrade tells every hop that the Upgrade header is meant for this connection; it may be one item of a list, in any case.";
    ReqKey = "req-key", "RFC 6455 §4.1", "Sec-WebSocket-Key is base64 of exactly 16 bytes",
        "The key is a fresh random nonce the server must echo back, hashed, to prove it speaks WebSocket.";
    ReqWsVersion = "req-ws-version", "RFC 6455 §4.1", "Sec-WebSocket-Version is 13",
        "13 is the only version of the final protocol; anything else gets a 426 or 400 listing the versions the server speaks.";
    ReqOrigin = "req-origin", "RFC 6455 §4.1, §10.2", "Origin is present (browsers always send it)",
        "Origin lets the server refuse pages from other sites; browsers always send it, other clients may omit it.";
    ReqProtocol = "req-protocol", "RFC 6455 §4.1", "Sec-WebSocket-Protocol offers unique tokens",
        "The client's subprotocol offers, in order of preference; each a token, none twice.";
    ReqExtensions = "req-extensions", "RFC 6455 §9.1, RFC 7692 §7", "Sec-WebSocket-Extensions offers are well-formed",
        "Each extension offer is a token with parameters; permessage-deflate parameters must be known, unique and within 8-15 window bits.";
    ReqHeaderCase = "req-header-case", "RFC 9110 §5.1", "WebSocket header names use their registered spelling",
        "Header names are case-insensitive, but peers that compare them case-sensitively miss a name like Sec-Websocket-Key.";
    ResSyntax = "res-syntax", "RFC 9112 §4, §5", "the response is well-formed HTTP/1.1",
        "A strict parser (httparse) must accept the status line and every header line, or the client fails the connection.";
    ResLineEndings = "res-line-endings", "RFC 9112 §2.2", "response lines end in CRLF",
        "HTTP lines end in CR LF; browsers tolerate a bare LF but strict clients reject it.";
    ResHeadEnd = "res-head-end", "RFC 9112 §2.1", "the response ends with an empty line",
        "The empty line ends the headers; without it the client waits for more and the first frame is read as a header.";
    ResVersion = "res-version", "RFC 6455 §4.2.2", "HTTP/1.1",
        "The server answers in HTTP/1.1, the version that can switch protocols.";
    ResStatus = "res-status", "RFC 6455 §4.1, §4.2.2", "the status is 101 Switching Protocols",
        "Only 101 completes the handshake; any other status means the server refused or did not understand.";
    ResUpgrade = "res-upgrade", "RFC 6455 §4.1, §4.2.2", "Upgrade is websocket",
        "The client fails the connection unless the response's Upgrade is websocket (any case).";
    ResConnection = "res-connection", "RFC 6455 §4.1, §4.2.2", "Connection contains the token Upgrade",
        "The client fails the connection unless the response's Connection contains Upgrade (any case).";
    ResAccept = "res-accept", "RFC 6455 §1.3, §4.2.2", "Sec-WebSocket-Accept is base64(SHA-1(key + GUID))",
        "The Accept proves the server read this client's key and knows the protocol; a wrong value makes the browser close the connection.";
    ResProtocol = "res-protocol", "RFC 6455 §4.1, §4.2.2", "Sec-WebSocket-Protocol is one of the client's offers, or absent",
        "The server picks at most one subprotocol, and only one the client offered.";
    ResExtensions = "res-extensions", "RFC 6455 §9.1, RFC 7692 §7", "each accepted extension was offered, with valid parameters",
        "The server may only accept extensions the client offered; permessage-deflate answers must fit one of the offers.";
    ResWsVersion = "res-ws-version", "RFC 6455 §4.2.2, §4.4", "a refusal lists the versions the server speaks",
        "When the server refuses the version it answers 426 (or 400) with Sec-WebSocket-Version listing the versions it speaks.";
    ResHeaderCase = "res-header-case", "RFC 9110 §5.1", "WebSocket header names use their registered spelling",
        "Header names are case-insensitive, but clients that compare them case-sensitively miss a name like Sec-Websocket-Accept.";
    ResLegacy = "res-legacy", "RFC 6455 §1.1", "no draft-76 response headers",
        "Sec-WebSocket-Origin and Sec-WebSocket-Location belong to the obsolete draft-76 handshake and are ignored by RFC 6455 clients.";
    Draft76 = "draft76", "RFC 6455 §1.1 (draft-ietf-hybi-thewebsocketprotocol-00)", "not the obsolete draft-76 handshake",
        "Sec-WebSocket-Key1/Key2 with 8 bytes of body is the 2010 draft-76 handshake, which no current browser speaks.";
    H2Method = "h2-method", "RFC 8441 §4", "HTTP/2 extended CONNECT",
        "Over HTTP/2 a WebSocket is opened with :method CONNECT on one stream, not with GET and Upgrade.";
    H2Protocol = "h2-protocol", "RFC 8441 §4", ":protocol is websocket",
        "The :protocol pseudo-header names the protocol the stream will carry.";
    H2Pseudo = "h2-pseudo", "RFC 8441 §4", ":scheme, :path and :authority are present",
        "An extended CONNECT carries the full target in :scheme, :path and :authority.";
    H2NoUpgrade = "h2-no-upgrade", "RFC 8441 §5, RFC 9113 §8.2.2", "no Upgrade, Connection, Key or Accept headers",
        "HTTP/2 forbids connection-specific headers, and the stream needs no Key/Accept proof.";
    H2Status = "h2-status", "RFC 8441 §5", "the response status is 2xx",
        "Over HTTP/2 the server accepts with :status 200, not 101.";
}

impl CheckId {
    /// Everything said about this item: its row of [`CHECKS`].
    pub fn def(self) -> &'static CheckDef {
        &CHECKS[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_has_its_row_and_is_explained() {
        assert_eq!(CHECKS.len(), CheckId::ALL.len());
        for (i, id) in CheckId::ALL.iter().enumerate() {
            assert_eq!(CHECKS[i].id, *id);
            assert_eq!(id.def().id, *id);
        }
        for a in CHECKS {
            assert!(a.doc.ends_with('.') && !a.rfc.is_empty(), "{}", a.id);
        }
        assert_eq!("res-accept".parse(), Ok(CheckId::ResAccept));
        assert!("res-acept".parse::<CheckId>().is_err());
    }
}
