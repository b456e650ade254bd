//! The page's own WebSocket client: connect (through a relay, so its frames show in the live
//! list), send text, binary typed as hex, close with a code and reason; what comes back is
//! logged here. A browser cannot send a ping (the WebSocket API has no call for it, and the
//! browser answers the server's pings itself): the page says so and points to injection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wsinspect_view::live::{close_code, close_reason, parse_hex};
use yew::prelude::*;

use super::socket::{Socket, SocketEvent};

/// Lines the client's log keeps.
const LOG: usize = 200;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The first relay's address, once the feed said which relays there are.
    pub default_url: AttrValue,
}

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Connecting,
    Open,
    Closed(String),
}

/// Fill an empty input (a default, set once: a `value` attribute would be put back on every
/// redraw, and the live view redraws as the feed flows, over what the user typed).
pub fn preset(n: &NodeRef, v: &str) {
    if let Some(el) = n.cast::<web_sys::HtmlInputElement>() {
        if el.value().is_empty() {
            el.set_value(v);
        }
    }
}

/// What an input holds now (read at the click, so a value typed just before it counts).
fn read(n: &NodeRef) -> String {
    n.cast::<web_sys::HtmlInputElement>()
        .map(|el| el.value())
        .unwrap_or_default()
}

#[component]
pub fn LiveClient(props: &Props) -> Html {
    let status = use_state(|| Status::Idle);
    let sock = use_mut_ref(|| None::<Socket>);
    let log: Rc<RefCell<VecDeque<(String, String)>>> = use_mut_ref(VecDeque::new);
    let redraw = use_force_update();
    let (url, text, hex) = (use_node_ref(), use_node_ref(), use_node_ref());
    let (code, reason) = (use_node_ref(), use_node_ref());
    let error = use_state(|| None::<String>);
    let shown_url = use_state(String::new);
    {
        let (text, hex, code, reason) = (text.clone(), hex.clone(), code.clone(), reason.clone());
        use_effect_with((), move |_| {
            preset(&text, "hello");
            preset(&hex, "01 02 03 ff");
            preset(&code, "1000");
            preset(&reason, "done");
        });
        let url = url.clone();
        use_effect_with(props.default_url.clone(), move |d| preset(&url, d));
    }

    let push = {
        let (log, redraw) = (log.clone(), redraw.clone());
        Rc::new(move |kind: &str, text: String| {
            let mut l = log.borrow_mut();
            if l.len() >= LOG {
                l.pop_front();
            }
            l.push_back((kind.to_string(), text));
            drop(l);
            redraw.force_update();
        })
    };
    let on_connect = {
        let (sock, status, error, push, url) = (
            sock.clone(),
            status.clone(),
            error.clone(),
            push.clone(),
            url.clone(),
        );
        let shown_url = shown_url.clone();
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            let url = read(&url);
            shown_url.set(url.clone());
            let (status2, push2) = (status.clone(), push.clone());
            let on = move |e: SocketEvent| match e {
                SocketEvent::Open => status2.set(Status::Open),
                SocketEvent::Text(t) => push2("received text", t),
                SocketEvent::Binary(b) => push2("received binary", wsinspect_core::common::hex(&b)),
                SocketEvent::Closed(code, reason, clean) => {
                    let how = if clean { "" } else { ", not cleanly" };
                    status2.set(Status::Closed(format!("closed: {code} {reason:?}{how}")));
                }
                SocketEvent::Error => push2("error", "the browser reported an error".into()),
            };
            match Socket::connect(&url, on) {
                Ok(s) => {
                    *sock.borrow_mut() = Some(s);
                    status.set(Status::Connecting);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let with_open = {
        let (sock, error) = (sock.clone(), error.clone());
        move |f: &dyn Fn(&web_sys::WebSocket) -> Result<(), String>| {
            let s = sock.borrow();
            let r = match s.as_ref().filter(|s| s.is_open()) {
                Some(s) => f(&s.ws),
                None => Err("not connected".into()),
            };
            error.set(r.err());
        }
    };
    let js = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let on_text = {
        let (with_open, push, text) = (with_open.clone(), push.clone(), text.clone());
        Callback::from(move |_: MouseEvent| {
            let text = read(&text);
            with_open(&|ws| ws.send_with_str(&text).map_err(js));
            push("sent text", text);
        })
    };
    let on_binary = {
        let (with_open, push, hex, error) =
            (with_open.clone(), push.clone(), hex.clone(), error.clone());
        Callback::from(move |_: MouseEvent| match parse_hex(&read(&hex)) {
            Ok(bytes) => {
                with_open(&|ws| ws.send_with_u8_array(&bytes).map_err(js));
                push("sent binary", wsinspect_core::common::hex(&bytes));
            }
            Err(e) => error.set(Some(format!("binary message: {e}"))),
        })
    };
    let on_close = {
        let (with_open, code, reason, error) = (
            with_open.clone(),
            code.clone(),
            reason.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (code, reason) = (read(&code), read(&reason));
            let checked = close_code(&code).and_then(|c| Ok((c, close_reason(&reason)?)));
            match checked {
                Ok((Some(c), r)) => {
                    with_open(&|ws| ws.close_with_code_and_reason(c, r).map_err(js))
                }
                Ok((None, _)) => with_open(&|ws| ws.close().map_err(js)),
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let (status_text, state) = match &*status {
        Status::Idle => ("not connected".to_string(), "idle"),
        Status::Connecting => ("connecting…".to_string(), "connecting"),
        Status::Open => (format!("open: {}", *shown_url), "open"),
        Status::Closed(s) => (s.clone(), "closed"),
    };
    let open = *status == Status::Open;
    html! {
        <section class="live-client" data-role="live-client">
            <h2>{ "Client" }</h2>
            <p class="small muted">{ "A WebSocket from this page. Connect it to a relay's address and its frames appear in the list above, both ways, exactly as sent." }</p>
            <div class="row">
                <input class="mono" data-role="client-url" ref={url} aria-label="WebSocket URL" size="32" />
                <button data-role="client-connect" onclick={on_connect} disabled={open}>{ "Connect" }</button>
                <span class={classes!("small", "client-status", state)} data-role="client-status" data-state={state}>{ status_text }</span>
            </div>
            <div class="row">
                <input data-role="client-text" ref={text} aria-label="Text message" />
                <button data-role="client-send-text" onclick={on_text} disabled={!open}>{ "Send text" }</button>
            </div>
            <div class="row">
                <input class="mono" data-role="client-hex" ref={hex} aria-label="Binary message as hex" />
                <button data-role="client-send-binary" onclick={on_binary} disabled={!open}>{ "Send binary (hex)" }</button>
            </div>
            <div class="row">
                <input data-role="client-close-code" ref={code} aria-label="Close code" size="6" />
                <input data-role="client-close-reason" ref={reason} aria-label="Close reason" />
                <button data-role="client-close" onclick={on_close} disabled={!open}>{ "Close" }</button>
            </div>
            <p class="small muted" data-role="client-ping-note">{ "Ping: a browser's WebSocket API cannot send ping frames (and answers the server's pings itself, unseen by the page). To send a ping, inject one into a relayed connection (wsinspect serve --allow-inject)." }</p>
            if let Some(e) = &*error { <p class="error small" data-role="client-error">{ e.clone() }</p> }
            <ol class="client-log mono small" data-role="client-log">
                { for log.borrow().iter().map(|(k, t)| html! { <li data-kind={k.clone()}>{ format!("{k}: {t}") }</li> }) }
            </ol>
        </section>
    }
}
