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

fn value(e: &Event) -> String {
    let el: web_sys::HtmlInputElement = e.target_unchecked_into();
    el.value()
}

#[component]
pub fn LiveClient(props: &Props) -> Html {
    let typed = use_state(|| None::<String>);
    let status = use_state(|| Status::Idle);
    let sock = use_mut_ref(|| None::<Socket>);
    let log: Rc<RefCell<VecDeque<(String, String)>>> = use_mut_ref(VecDeque::new);
    let redraw = use_force_update();
    let text = use_state(|| "hello".to_string());
    let hex = use_state(|| "01 02 03 ff".to_string());
    let code = use_state(|| "1000".to_string());
    let reason = use_state(|| "done".to_string());
    let error = use_state(|| None::<String>);
    let url = typed
        .as_ref()
        .cloned()
        .unwrap_or_else(|| props.default_url.to_string());

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
        Callback::from(move |_: MouseEvent| {
            error.set(None);
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
            with_open(&|ws| ws.send_with_str(&text).map_err(js));
            push("sent text", (*text).clone());
        })
    };
    let on_binary = {
        let (with_open, push, hex, error) =
            (with_open.clone(), push.clone(), hex.clone(), error.clone());
        Callback::from(move |_: MouseEvent| match parse_hex(&hex) {
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
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: Event| h.set(value(&e)))
    };
    let on_url = {
        let typed = typed.clone();
        Callback::from(move |e: Event| typed.set(Some(value(&e))))
    };
    let (status_text, state) = match &*status {
        Status::Idle => ("not connected".to_string(), "idle"),
        Status::Connecting => ("connecting…".to_string(), "connecting"),
        Status::Open => (format!("open: {url}"), "open"),
        Status::Closed(s) => (s.clone(), "closed"),
    };
    let open = *status == Status::Open;
    html! {
        <section class="live-client" data-role="live-client">
            <h2>{ "Client" }</h2>
            <p class="small muted">{ "A WebSocket from this page. Connect it to a relay's address and its frames appear in the list above, both ways, exactly as sent." }</p>
            <div class="row">
                <input class="mono" data-role="client-url" value={url.clone()} onchange={on_url} aria-label="WebSocket URL" size="32" />
                <button data-role="client-connect" onclick={on_connect} disabled={open}>{ "Connect" }</button>
                <span class={classes!("small", "client-status", state)} data-role="client-status" data-state={state}>{ status_text }</span>
            </div>
            <div class="row">
                <input data-role="client-text" value={(*text).clone()} onchange={set(&text)} aria-label="Text message" />
                <button data-role="client-send-text" onclick={on_text} disabled={!open}>{ "Send text" }</button>
            </div>
            <div class="row">
                <input class="mono" data-role="client-hex" value={(*hex).clone()} onchange={set(&hex)} aria-label="Binary message as hex" />
                <button data-role="client-send-binary" onclick={on_binary} disabled={!open}>{ "Send binary (hex)" }</button>
            </div>
            <div class="row">
                <input data-role="client-close-code" value={(*code).clone()} onchange={set(&code)} aria-label="Close code" size="6" />
                <input data-role="client-close-reason" value={(*reason).clone()} onchange={set(&reason)} aria-label="Close reason" />
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
