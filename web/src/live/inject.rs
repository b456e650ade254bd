//! Injection (only when `wsinspect serve --allow-inject`): a new message sent into a relayed
//! connection, as the client (masked with a fresh key) or as the server, at a frame boundary.
//! The command goes on the feed's own socket (same-origin checked by the server); the frame
//! then shows in the list marked "injected", and a refusal comes back as a note.

use std::rc::Rc;

use wsinspect_core::Direction;
use wsinspect_view::live::{parse_hex, Inject, InjectKind, LiveConn};
use yew::prelude::*;

use super::FeedHandle;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub conns: Rc<Vec<LiveConn>>,
    /// The connection chosen in the list, if one is.
    pub selected: Option<u64>,
    pub feed: FeedHandle,
}

/// What an input holds now (read at the click, so a value typed just before it counts).
fn read(n: &NodeRef) -> String {
    n.cast::<web_sys::HtmlInputElement>()
        .map(|el| el.value())
        .unwrap_or_default()
}

fn value(e: &Event) -> String {
    let el: web_sys::HtmlInputElement = e.target_unchecked_into();
    el.value()
}

#[component]
pub fn InjectPanel(props: &Props) -> Html {
    let direction = use_state(|| Direction::Client);
    let kind = use_state(|| InjectKind::Text);
    let payload = use_node_ref();
    {
        let payload = payload.clone();
        use_effect_with((), move |_| {
            super::client::preset(&payload, "injected hello")
        });
    }
    let error = use_state(|| None::<String>);
    let target = props
        .selected
        .or_else(|| props.conns.iter().rev().find(|c| c.open).map(|c| c.id));
    let open = target.is_some_and(|t| props.conns.iter().any(|c| c.id == t && c.open));
    let on_send = {
        let (direction, kind, payload, error) = (
            direction.clone(),
            kind.clone(),
            payload.clone(),
            error.clone(),
        );
        let feed = props.feed.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(connection) = target else { return };
            let payload = read(&payload);
            let bytes = match *kind {
                InjectKind::Text => Ok(payload.as_bytes().to_vec()),
                _ => parse_hex(&payload),
            };
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => return error.set(Some(format!("payload: {e}"))),
            };
            let cmd = Inject {
                connection,
                direction: *direction,
                kind: *kind,
                payload: wsinspect_core::common::hex(&bytes),
            };
            let sent = match feed.0.borrow().as_ref().filter(|s| s.is_open()) {
                Some(s) => serde_json::to_string(&cmd)
                    .map_err(|e| e.to_string())
                    .and_then(|j| s.ws.send_with_str(&j).map_err(|e| format!("{e:?}"))),
                None => Err("the feed is not connected".into()),
            };
            error.set(sent.err());
        })
    };
    let on_dir = {
        let direction = direction.clone();
        Callback::from(move |e: Event| {
            direction.set(if value(&e) == "server" {
                Direction::Server
            } else {
                Direction::Client
            })
        })
    };
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            kind.set(match value(&e).as_str() {
                "binary" => InjectKind::Binary,
                "ping" => InjectKind::Ping,
                _ => InjectKind::Text,
            })
        })
    };
    html! {
        <section class="live-inject" data-role="inject">
            <h2>{ "Inject" }</h2>
            <p class="small muted">{ "Send a new message into a relayed connection, between whole frames: as the client (masked with a fresh key) or as the server; uncompressed, RSV bits clear. It shows in the list marked injected. Text is sent as typed; binary and ping take hex." }</p>
            <div class="row">
                <span class="small">{ match target { Some(t) => format!("into connection #{t}"), None => "no open connection".into() } }</span>
                <select data-role="inject-direction" onchange={on_dir} aria-label="Sent as">
                    <option value="client" selected={*direction == Direction::Client}>{ "as the client → server" }</option>
                    <option value="server" selected={*direction == Direction::Server}>{ "as the server → client" }</option>
                </select>
                <select data-role="inject-kind" onchange={on_kind} aria-label="Message kind">
                    <option value="text" selected={*kind == InjectKind::Text}>{ "text" }</option>
                    <option value="binary" selected={*kind == InjectKind::Binary}>{ "binary (hex)" }</option>
                    <option value="ping" selected={*kind == InjectKind::Ping}>{ "ping (hex)" }</option>
                </select>
            </div>
            <div class="row">
                <input data-role="inject-payload" ref={payload} aria-label="Payload" />
                <button data-role="inject-send" onclick={on_send} disabled={!open}>{ "Inject" }</button>
            </div>
            if let Some(e) = &*error { <p class="error small" data-role="inject-error">{ e.clone() }</p> }
        </section>
    }
}
