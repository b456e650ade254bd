//! A browser WebSocket with its handlers kept alive as long as the value: dropping it closes
//! the socket and lets the handlers go. The page's two sockets (the feed and the page's own
//! client) are both this.

use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// What a socket tells its owner.
pub enum SocketEvent {
    /// The handshake succeeded.
    Open,
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// It closed (code, reason, whether cleanly).
    Closed(u16, String, bool),
    /// An error (browsers say nothing more; a close follows).
    Error,
}

type MsgHandler = Closure<dyn FnMut(MessageEvent)>;
type CloseHandler = Closure<dyn FnMut(CloseEvent)>;
type PlainHandler = Closure<dyn FnMut(JsValue)>;

/// An open (or opening) socket.
pub struct Socket {
    pub ws: WebSocket,
    _handlers: (MsgHandler, CloseHandler, PlainHandler, PlainHandler),
}

impl Socket {
    /// Connect to `url`; `on` hears everything that happens.
    pub fn connect(url: &str, on: impl Fn(SocketEvent) + 'static) -> Result<Socket, String> {
        let ws = WebSocket::new(url).map_err(|e| {
            e.as_string()
                .or_else(|| js_sys::Error::from(e).message().as_string())
                .unwrap_or_else(|| format!("cannot open {url}"))
        })?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on = std::rc::Rc::new(on);
        let on_msg = {
            let on = on.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let data = e.data();
                if let Some(s) = data.as_string() {
                    on(SocketEvent::Text(s));
                } else if let Ok(buf) = data.dyn_into::<js_sys::ArrayBuffer>() {
                    on(SocketEvent::Binary(js_sys::Uint8Array::new(&buf).to_vec()));
                }
            })
        };
        let on_close = {
            let on = on.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
                on(SocketEvent::Closed(e.code(), e.reason(), e.was_clean()));
            })
        };
        let on_open = {
            let on = on.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| on(SocketEvent::Open))
        };
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_| on(SocketEvent::Error));
        ws.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _handlers: (on_msg, on_close, on_open, on_error),
        })
    }

    /// Whether it is open now.
    pub fn is_open(&self) -> bool {
        self.ws.ready_state() == WebSocket::OPEN
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onopen(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

/// `ws://` + this page's host + `path`.
pub fn same_host(path: &str) -> String {
    let host = web_sys::window()
        .and_then(|w| w.location().host().ok())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    format!("ws://{host}{path}")
}
