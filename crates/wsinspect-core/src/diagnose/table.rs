//! The one table of diagnoses: for each [`DiagnosisId`], its severity, what it is in a few
//! words, how to tell it apart in a capture, what to change, and what the common clients print
//! when it happens (from their sources, and from the runs in `tests/data/diagnose/`).

use serde::Serialize;

use crate::common::ids;
use crate::finding::Severity;

ids! {
    /// What a diagnosis is about: the cause of a failed (or failing) connection.
    pub enum DiagnosisId("diagnosis") {
        /// The answer to the Upgrade request is not 101.
        UpgradeRefused = "upgrade-refused",
        /// A proxy in between does not forward the WebSocket upgrade.
        ProxyDroppedUpgrade = "proxy-dropped-upgrade",
        /// TCP ended without a close frame after an idle gap.
        IdleTimeout = "idle-timeout",
        /// A side ended TCP without a close frame.
        NoCloseFrame = "no-close-frame",
        /// A close frame got no close frame back before TCP ended.
        CloseNotAnswered = "close-not-answered",
        /// Bytes after the 101 read as HTTP or text, not frames.
        HttpAfterUpgrade = "http-after-upgrade",
        /// RSV1 set with no extension negotiated.
        Rsv1Unnegotiated = "rsv1-unnegotiated",
        /// RSV1 set on a control frame.
        Rsv1OnControlFrame = "rsv1-on-control-frame",
        /// The client offered subprotocols and the server selected none.
        SubprotocolNotEchoed = "subprotocol-not-echoed",
        /// The Sec-WebSocket-Accept value is wrong.
        AcceptMismatch = "accept-mismatch",
        /// The server's response lines end in LF only.
        BareLf = "bare-lf",
        /// A ping got no pong.
        PingUnanswered = "ping-unanswered",
    }
}

ids! {
    /// A client library or browser whose error text the table records.
    pub enum Client("client") {
        /// Chromium (Chrome, Edge): the console and the CloseEvent.
        Chromium = "chromium",
        /// Firefox: the console and the CloseEvent.
        Firefox = "firefox",
        /// Node.js `ws`.
        NodeWs = "node-ws",
        /// Python `websockets`.
        PythonWebsockets = "python-websockets",
        /// Rust `tungstenite` (and tokio-tungstenite).
        Tungstenite = "tungstenite",
        /// Go `gorilla/websocket`.
        Gorilla = "gorilla",
    }
}

/// What one client prints for a diagnosis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClientPrint {
    /// The client.
    pub client: Client,
    /// The text as it prints it (numbers and names are examples).
    pub text: &'static str,
    /// Where the text comes from: a source file of the client, or a run recorded in
    /// `tests/data/diagnose/`.
    pub from: &'static str,
}

/// Everything said about one [`DiagnosisId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DiagnosisDef {
    /// The diagnosis.
    pub id: DiagnosisId,
    /// How bad it is.
    pub severity: Severity,
    /// The cause, in a few words.
    pub title: &'static str,
    /// How to recognise it in a capture, and tell it from the causes that print the same.
    pub tell: &'static str,
    /// What to change.
    pub change: &'static str,
    /// What the common clients print.
    pub clients: &'static [ClientPrint],
}

impl DiagnosisId {
    /// Its row of [`DIAGNOSES`].
    pub fn def(self) -> &'static DiagnosisDef {
        &DIAGNOSES[self as usize]
    }
}

const fn p(client: Client, text: &'static str, from: &'static str) -> ClientPrint {
    ClientPrint { client, text, from }
}

use Client::*;

const CR_HS: &str = "net/websockets/websocket_basic_handshake_stream.cc";
const CR_CH: &str = "net/websockets/websocket_channel.cc";
const WS_WS: &str = "ws lib/websocket.js";
const WS_RX: &str = "ws lib/receiver.js";
const PY_EX: &str = "websockets exceptions.py";
const TG_ER: &str = "tungstenite src/error.rs";
const GO_CO: &str = "gorilla conn.go";
const GO_CL: &str = "gorilla client.go";
const FF: &str = "Firefox dom/locales dom.properties";
const RUN: &str = "a run: tests/data/diagnose/clients.json";

const REFUSED: &[ClientPrint] = &[
    p(
        Chromium,
        "Error during WebSocket handshake: Unexpected response code: 404",
        CR_HS,
    ),
    p(
        Firefox,
        "Firefox can't establish a connection to the server at ws://host/path.",
        FF,
    ),
    p(NodeWs, "Unexpected server response: 404", WS_WS),
    p(
        PythonWebsockets,
        "server rejected WebSocket connection: HTTP 404",
        PY_EX,
    ),
    p(Tungstenite, "HTTP error: 404 Not Found", TG_ER),
    p(Gorilla, "websocket: bad handshake", GO_CL),
];

const PROXY: &[ClientPrint] = &[
    p(
        Chromium,
        "Error during WebSocket handshake: Unexpected response code: 400",
        CR_HS,
    ),
    p(
        Firefox,
        "Firefox can't establish a connection to the server at ws://host/path.",
        FF,
    ),
    p(NodeWs, "Unexpected server response: 505", RUN),
    p(
        PythonWebsockets,
        "InvalidStatus: server rejected WebSocket connection: HTTP 505",
        RUN,
    ),
    p(Tungstenite, "HTTP error: 426 Upgrade Required", TG_ER),
    p(Gorilla, "websocket: bad handshake", GO_CL),
];

const ABNORMAL: &[ClientPrint] = &[
    p(
        Chromium,
        "CloseEvent code 1006 (wasClean false), no reason",
        CR_CH,
    ),
    p(
        Firefox,
        "The connection to ws://host/path was interrupted while the page was loading.",
        FF,
    ),
    p(NodeWs, "close: 1006 \"\"", RUN),
    p(
        PythonWebsockets,
        "ConnectionClosedError: no close frame received or sent",
        RUN,
    ),
    p(
        Tungstenite,
        "WebSocket protocol error: Connection reset without closing handshake",
        TG_ER,
    ),
    p(
        Gorilla,
        "websocket: close 1006 (abnormal closure): unexpected EOF",
        GO_CO,
    ),
];

const NOT_ANSWERED: &[ClientPrint] = &[
    p(
        Chromium,
        "CloseEvent code 1006 after the 60 s closing-handshake timeout",
        CR_CH,
    ),
    p(
        NodeWs,
        "close: 1006 \"\" (after ws's 30 s closing timeout)",
        WS_WS,
    ),
    p(
        PythonWebsockets,
        "ConnectionClosedError: sent 1000 (OK); no close frame received",
        RUN,
    ),
    p(
        Tungstenite,
        "WebSocket protocol error: Connection reset without closing handshake",
        TG_ER,
    ),
    p(
        Gorilla,
        "websocket: close 1006 (abnormal closure): unexpected EOF",
        GO_CO,
    ),
];

const HTTP_AFTER: &[ClientPrint] = &[
    p(Chromium, "Invalid frame header", CR_CH),
    p(Chromium, "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0", CR_CH),
    p(NodeWs, "Invalid WebSocket frame: RSV1 must be clear", RUN),
    p(NodeWs, "Invalid WebSocket frame: RSV2 and RSV3 must be clear", WS_RX),
    p(PythonWebsockets, "ConnectionClosedError: sent 1002 (protocol error) reserved bits must be 0; no close frame received", RUN),
    p(Tungstenite, "WebSocket protocol error: Reserved bits are non-zero", TG_ER),
    p(Gorilla, "websocket: unexpected reserved bits 0x40", GO_CO),
];

const RSV1: &[ClientPrint] = &[
    p(Chromium, "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0", CR_CH),
    p(NodeWs, "Invalid WebSocket frame: RSV1 must be clear", RUN),
    p(PythonWebsockets, "ConnectionClosedError: sent 1002 (protocol error) reserved bits must be 0; no close frame received", RUN),
    p(Tungstenite, "WebSocket protocol error: Reserved bits are non-zero", TG_ER),
    p(Gorilla, "websocket: unexpected reserved bits 0x40", GO_CO),
];

const SUBPROTOCOL: &[ClientPrint] = &[
    p(Chromium, "Error during WebSocket handshake: Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received", CR_HS),
    p(NodeWs, "Server sent no subprotocol", RUN),
    p(PythonWebsockets, "(nothing: the connection opens with subprotocol None)", RUN),
    p(Tungstenite, "WebSocket protocol error: SubProtocol error: Server sent no subprotocol", TG_ER),
];

const ACCEPT: &[ClientPrint] = &[
    p(
        Chromium,
        "Error during WebSocket handshake: Incorrect 'Sec-WebSocket-Accept' header value",
        CR_HS,
    ),
    p(
        Firefox,
        "Firefox can't establish a connection to the server at ws://host/path.",
        FF,
    ),
    p(NodeWs, "Invalid Sec-WebSocket-Accept header", RUN),
    p(
        PythonWebsockets,
        "InvalidHeaderValue: invalid Sec-WebSocket-Accept header: RYcgX3pXMeLslRxA1TP7ekcthEg=",
        RUN,
    ),
    p(
        Tungstenite,
        "WebSocket protocol error: Key mismatch in \"Sec-WebSocket-Accept\" header",
        TG_ER,
    ),
    p(Gorilla, "websocket: bad handshake", GO_CL),
];

const BARE_LF: &[ClientPrint] = &[
    p(
        NodeWs,
        "Parse Error: Missing expected CR after response line",
        RUN,
    ),
    p(
        PythonWebsockets,
        "InvalidMessage: did not receive a valid HTTP response",
        RUN,
    ),
    p(
        Chromium,
        "(nothing: Chromium reads bare LF line ends and opens)",
        RUN,
    ),
];

const PING: &[ClientPrint] = &[
    p(PythonWebsockets, "ConnectionClosedError: sent 1011 (internal error) keepalive ping timeout; no close frame received", RUN),
    p(NodeWs, "close: 1006 \"\" (ws sends no keepalive pings by itself; the heartbeat of its README calls terminate() when no pong came)", RUN),
    p(Gorilla, "(nothing by itself: the application's read deadline expires: i/o timeout)", GO_CO),
];

macro_rules! row {
    ($id:ident, $sev:ident, $title:literal, $tell:literal, $change:literal, $clients:expr) => {
        DiagnosisDef {
            id: DiagnosisId::$id,
            severity: Severity::$sev,
            title: $title,
            tell: $tell,
            change: $change,
            clients: $clients,
        }
    };
}

/// Every diagnosis, in [`DiagnosisId`] order.
pub static DIAGNOSES: &[DiagnosisDef] = &[
    row!(UpgradeRefused, Error, "the server refused the upgrade",
        "The response to the Upgrade request has a status other than 101 and is followed by an HTTP body, never frames; the status and the body say why (404: wrong path, 401/403: authentication or Origin check, 400/426: see proxy-dropped-upgrade).",
        "Fix what the status names: the URL path, the credentials, the allowed Origins, or the proxy in between.",
        REFUSED),
    row!(ProxyDroppedUpgrade, Error, "a proxy in between does not forward the WebSocket upgrade",
        "The client sent Upgrade: websocket and Connection: Upgrade, but the answer is 400, 426 or 505 (often with a proxy's Server or Via header): the hop-by-hop headers were dropped, or the request went on as HTTP/1.0; in a capture of both hops, the proxy's request to the backend lacks them.",
        "Make the proxy forward the upgrade: in nginx `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";` (other proxies have a WebSocket switch).",
        PROXY),
    row!(IdleTimeout, Error, "an idle timeout closed the connection",
        "No frame in either direction for a while, then a FIN or RST with no close frame; a gap equal to a known timeout (nginx proxy_read_timeout 60 s, AWS ALB 60 s, Cloudflare 100 s) names the box that closed it.",
        "Send a ping (or any message) more often than the shortest idle timeout on the path, or raise the timeout (nginx: proxy_read_timeout and proxy_send_timeout).",
        ABNORMAL),
    row!(NoCloseFrame, Error, "a side ended TCP without a close frame",
        "The last frames are ordinary, then a FIN or RST with no close frame from the side that ended it; clients report code 1006. A process that crashed or exited, or a proxy that dropped the connection, looks like this.",
        "End connections with a close frame (ws.close(), await websocket.close()) before closing the socket, and find out why the side that ended it quit.",
        ABNORMAL),
    row!(CloseNotAnswered, Error, "a close frame got no close frame back",
        "One side sent a close frame and the other never answered with its own before TCP ended; the closing side then reports 1006 or a closing-handshake timeout.",
        "Make the peer answer a close frame with a close frame (every WebSocket library does; a hand-written server must echo it) before closing TCP.",
        NOT_ANSWERED),
    row!(HttpAfterUpgrade, Error, "the server wrote HTTP or text onto the upgraded socket",
        "The first bytes after the 101 are printable text: 'H' (0x48) reads as FIN 0, RSV1 1 and opcode 8, so clients complain about reserved bits or an invalid frame header; the frame's payload reads as an HTTP response or a plain string.",
        "After the 101, write only WebSocket frames: let the WebSocket library send the data, and make sure the framework does not also write an HTTP response.",
        HTTP_AFTER),
    row!(Rsv1Unnegotiated, Error, "RSV1 (compression) set without permessage-deflate negotiated",
        "A frame has RSV1 set but the 101 response accepted no extension: the sender compresses although the handshake did not agree on it (a proxy that stripped Sec-WebSocket-Extensions, or a server that ignores the negotiation).",
        "Only compress after the server answered Sec-WebSocket-Extensions: permessage-deflate; make the proxy pass the header through, or turn compression off on the sender.",
        RSV1),
    row!(Rsv1OnControlFrame, Error, "RSV1 set on a control frame",
        "A ping, pong or close frame has RSV1 set; control frames are never compressed, even with permessage-deflate (RFC 7692 §6.1).",
        "Never set RSV1 on ping, pong or close frames: compress only text and binary messages.",
        RSV1),
    row!(SubprotocolNotEchoed, Error, "the server selected none of the offered subprotocols",
        "The request has Sec-WebSocket-Protocol and the 101 has none: browsers and ws fail the connection right after the handshake, without a close frame.",
        "Make the server select one of the offered subprotocols in Sec-WebSocket-Protocol, or stop offering them in the client.",
        SUBPROTOCOL),
    row!(AcceptMismatch, Error, "the Sec-WebSocket-Accept value is wrong",
        "The Accept is not base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)); the handshake analysis names the mistake (a misspelt GUID, a decoded key, hex instead of base64...). Clients close right after the 101.",
        "Compute the Accept from the key as received (trimmed) and the exact GUID, SHA-1, then base64; better, let a WebSocket library do the handshake.",
        ACCEPT),
    row!(BareLf, Warning, "the server's response lines end in LF only",
        "The 101 response's lines end in LF without CR; browsers accept it, strict HTTP parsers (Node's llhttp in ws, websockets) reject it.",
        "End every line of the response, and the empty line after it, with CR LF (\\r\\n).",
        BARE_LF),
    row!(PingUnanswered, Error, "a ping got no pong",
        "A ping frame got no pong with its payload back before the pinging side gave up (Python websockets closes with 1011 keepalive ping timeout after 20 s by default).",
        "Make the peer answer every ping with a pong carrying the same payload (libraries do it while the application reads; a blocked event loop or a hand-written server does not).",
        PING),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_its_row() {
        assert_eq!(DIAGNOSES.len(), DiagnosisId::ALL.len());
        for (i, id) in DiagnosisId::ALL.iter().enumerate() {
            assert_eq!(DIAGNOSES[i].id, *id);
            assert!(!id.def().clients.is_empty(), "{id}");
            assert!(id.def().change.ends_with('.'), "{id}");
        }
        assert_eq!("idle-timeout".parse(), Ok(DiagnosisId::IdleTimeout));
        assert_eq!(
            serde_json::to_value(Client::PythonWebsockets).unwrap(),
            "python-websockets"
        );
    }
}
