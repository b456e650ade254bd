//! The composer: set every header field and the payload, see the bytes and the bit grid, and
//! send the frame to the decoder. Deliberate violations are allowed.

use std::rc::Rc;

use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::Direction;
use wsinspect_view::compose::{compose, ComposerSpec};
use wsinspect_view::view;
use yew::prelude::*;

use super::bit_grid::BitGrid;
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

#[component]
pub fn Composer(props: &Props) -> Html {
    let spec = &props.spec;
    let cb = &props.on_change;
    let out = compose(spec);
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
    let payload = {
        let s = spec.clone();
        cb.reform(move |e: InputEvent| {
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
        Ok(c) => {
            let send = {
                let hex = c.hex.clone();
                let dir = c.direction;
                props
                    .on_send
                    .reform(move |_: MouseEvent| (hex.clone(), dir))
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
            </> }
        }
        Err(e) => html! { <p class="error" data-role="composer-error">{ e.message.clone() }</p> },
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
                        disabled={!spec.mask} oninput={key} size="10" />
                </div>
                <div class="row">
                    <label for="composer-payload">{ "Payload" }</label>
                    { flag(spec, cb, "as hex", "composer-payload-hex", |s| s.payload_hex, |s, v| s.payload_hex = v) }
                </div>
                <textarea id="composer-payload" class="mono" rows="3" data-role="composer-payload"
                    value={spec.payload.clone()} oninput={payload} spellcheck="false" />
            </section>
            { result }
        </div>
    }
}
