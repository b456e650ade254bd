//! The composer: set every header field and the payload, see the bytes and the bit grid, and
//! send the frame to the decoder. Deliberate violations are allowed.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::Direction;
use wsinspect_view::compose::{compose, ComposerSpec};
use wsinspect_view::view;
use yew::prelude::*;

use super::bit_grid::BitGrid;
use super::hex_view::HexView;
use crate::choices::opcode_choices;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub spec: ComposerSpec,
    pub on_change: Callback<ComposerSpec>,
    pub on_send: Callback<(String, Direction)>,
}

fn flag(
    spec: &ComposerSpec,
    cb: &Callback<ComposerSpec>,
    label: &'static str,
    role: &'static str,
    get: fn(&ComposerSpec) -> bool,
    set: fn(&mut ComposerSpec, bool),
) -> Html {
    let spec2 = spec.clone();
    let onchange = cb.reform(move |e: Event| {
        let el: web_sys::HtmlInputElement = e.target_unchecked_into();
        let mut s = spec2.clone();
        set(&mut s, el.checked());
        s
    });
    html! {
        <label class="flag"><input type="checkbox" data-role={role} checked={get(spec)} {onchange} />{ label }</label>
    }
}

/// Bytes of the composed frame the linked bytes view shows.
const HEX_LIMIT: usize = 1024;

/// Before "Send to decoder" replaces the input: keep the page as it is in the browser's
/// history, so Back brings the user's input back (the app restores it on `popstate`).
fn keep_in_history() {
    if let Some(w) = web_sys::window() {
        if let (Ok(h), Ok(href)) = (w.history(), w.location().href()) {
            let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&href));
        }
    }
}

#[component]
pub fn Composer(props: &Props) -> Html {
    let spec = &props.spec;
    let cb = &props.on_change;
    let out = compose(spec);
    // Why "as hex" could not be switched off (the payload is not text), until the next edit.
    let hex_note = use_state(|| None::<String>);
    // The frame's bytes, bit grid and bytes view are drawn in a task after the form's: drawing
    // the whole tab in one was the longest main-thread task when it was opened during a big
    // capture's read.
    let drawn = use_state(|| false);
    {
        let drawn = drawn.clone();
        use_effect_with((), move |_| {
            let t = Timeout::new(0, move || drawn.set(true));
            move || drop(t)
        });
    }
    let key_error = out.as_ref().err().filter(|e| e.field == "key");
    let payload_error = out.as_ref().err().filter(|e| e.field == "payload");
    let opcode = {
        let s = spec.clone();
        cb.reform(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            ComposerSpec {
                opcode: el.value().parse().unwrap_or(OpCode::TEXT),
                ..s.clone()
            }
        })
    };
    let key = {
        let s = spec.clone();
        cb.reform(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            ComposerSpec {
                key: el.value(),
                ..s.clone()
            }
        })
    };
    let as_hex = {
        let s = spec.clone();
        let cb = cb.clone();
        let note = hex_note.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            match s.with_payload_hex(el.checked()) {
                Ok(next) => {
                    note.set(None);
                    cb.emit(next)
                }
                Err(err) => {
                    el.set_checked(s.payload_hex);
                    note.set(Some(err.message));
                }
            }
        })
    };
    let payload = {
        let s = spec.clone();
        let note = hex_note.clone();
        cb.reform(move |e: InputEvent| {
            note.set(None);
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            ComposerSpec {
                payload: el.value(),
                ..s.clone()
            }
        })
    };
    let options = opcode_choices().into_iter().map(|(v, label)| {
        html! {
            <option value={v.0.to_string()} selected={v == spec.opcode}>{ label }</option>
        }
    });
    let result = match &out {
        Ok(_) if !*drawn => {
            html! { <p class="muted card" data-role="composer-drawing">{ "Drawing the frame…" }</p> }
        }
        Ok(c) => {
            let send = {
                let hex = c.hex.clone();
                let dir = c.direction;
                props.on_send.reform(move |_: MouseEvent| {
                    keep_in_history();
                    (hex.clone(), dir)
                })
            };
            let frame = &c.report.frames[0];
            html! { <>
                <section class="card">
                    <h3>{ format!("Frame bytes ({})", c.bytes.len()) }</h3>
                    <pre class="mono wrap" data-role="composer-output">{ c.hex.clone() }</pre>
                    <button class="primary" data-role="composer-send" onclick={send}>{ "Send to decoder →" }</button>
                    if c.report.findings().next().is_some() {
                        <ul class="findings">{ for c.report.findings().map(|f| html! {
                            <li data-role="composer-finding" data-code={f.rule.as_str()}><span class={classes!("badge", f.severity.as_str())}>{ f.rule.as_str() }</span>{ " " }{ f.message.clone() }</li>
                        }) }</ul>
                    }
                </section>
                <BitGrid rows={Rc::new(view::bit_grid(frame))} legend={Rc::new(view::legend(frame))} />
                <HexView rows={Rc::new(view::hex_view(frame, &c.bytes, HEX_LIMIT))}
                    note={view::shown_note(HEX_LIMIT, c.bytes.len())} />
            </> }
        }
        // The error itself is shown at its field; here only what it holds up.
        Err(e) => html! {
            <p class="muted card" data-role="composer-error" data-field={e.field}>
                { format!("No frame until the {} above is fixed.", if e.field == "key" { "masking key" } else { "payload" }) }
            </p>
        },
    };
    html! {
        <div class="composer" data-role="composer">
            <h2 class="detail-title">{ "Composer" }</h2>
            <section class="card form">
                <h3>{ "Compose a frame" }</h3>
                <div class="flags">
                    { flag(spec, cb, "FIN", "composer-fin", |s| s.fin, |s, v| s.fin = v) }
                    { flag(spec, cb, "RSV1", "composer-rsv1", |s| s.rsv1, |s, v| s.rsv1 = v) }
                    { flag(spec, cb, "RSV2", "composer-rsv2", |s| s.rsv2, |s, v| s.rsv2 = v) }
                    { flag(spec, cb, "RSV3", "composer-rsv3", |s| s.rsv3, |s, v| s.rsv3 = v) }
                    { flag(spec, cb, "MASK", "composer-mask", |s| s.mask, |s, v| s.mask = v) }
                </div>
                <div class="row">
                    <label for="composer-opcode">{ "Opcode" }</label>
                    <select id="composer-opcode" data-role="composer-opcode" onchange={opcode}>{ for options }</select>
                    <label for="composer-key">{ "Masking key" }</label>
                    <input id="composer-key" class="mono" data-role="composer-key" value={spec.key.clone()}
                        disabled={!spec.mask} oninput={key} size="10"
                        aria-invalid={key_error.is_some().then_some("true")}
                        aria-describedby={key_error.is_some().then_some("composer-key-error")} />
                </div>
                if let Some(e) = key_error {
                    <p class="error" id="composer-key-error" data-role="composer-key-error" role="alert">{ e.message.clone() }</p>
                }
                <div class="row">
                    <label for="composer-payload">{ "Payload" }</label>
                    <label class="flag"><input type="checkbox" data-role="composer-payload-hex" checked={spec.payload_hex} onchange={as_hex} />{ "as hex" }</label>
                </div>
                <textarea id="composer-payload" class="mono" rows="3" data-role="composer-payload"
                    value={spec.payload.clone()} oninput={payload} spellcheck="false"
                    aria-invalid={payload_error.is_some().then_some("true")}
                    aria-describedby={payload_error.is_some().then_some("composer-payload-error")} />
                if let Some(e) = payload_error {
                    <p class="error" id="composer-payload-error" data-role="composer-payload-error" role="alert">{ e.message.clone() }</p>
                }
                if let Some(n) = &*hex_note {
                    <p class="warn-text" data-role="composer-hex-note" role="status">{ n.clone() }</p>
                }
            </section>
            { result }
        </div>
    }
}
