//! The payload as text (invisible characters shown), foldable JSON, hex dump and base64; the
//! compressed bytes for compressed messages; code, name and reason for close frames.

use std::rc::Rc;

use wsinspect_view::decoded::{self, DecodedView, Lit};
use wsinspect_view::view::{visible_json_lines, DumpRow, PayloadView as View};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: Rc<View>,
}

fn dump(rows: &[DumpRow], role: &'static str, label: &'static str) -> Html {
    let rows = rows.iter().map(|r| {
        html! { <div class="dump-row"><span class="off">{ r.offset.clone() }</span>
            <span class="hexes">{ r.hex.clone() }</span><span class="chars">{ r.ascii.clone() }</span></div> }
    });
    html! { <div class="dump mono" data-role={role} tabindex="0" role="region" aria-label={label}>{ for rows }</div> }
}

#[component]
pub fn PayloadView(props: &Props) -> Html {
    let folded = use_state(Vec::<usize>::new);
    let v = &props.view;
    let json = v.json.as_ref().map(|lines| {
        let shown = visible_json_lines(lines, &folded);
        let items = shown.into_iter().map(|i| {
            let l = &lines[i];
            let is_folded = folded.contains(&i);
            let style = format!("padding-left: {}ch", l.depth * 2);
            match (&l.folded, l.closes_at) {
                (Some(ft), Some(_)) => {
                    let toggle = {
                        let folded = folded.clone();
                        Callback::from(move |_: MouseEvent| {
                            let mut f = (*folded).clone();
                            match f.iter().position(|&x| x == i) {
                                Some(p) => { f.remove(p); }
                                None => f.push(i),
                            }
                            folded.set(f);
                        })
                    };
                    html! { <div class="jl" {style}>
                        <button class="fold" aria-expanded={(!is_folded).to_string()} onclick={toggle}
                            aria-label={if is_folded { "expand" } else { "fold" }}>
                            { if is_folded { "▸" } else { "▾" } }</button>
                        { if is_folded { ft.clone() } else { l.text.clone() } }
                    </div> }
                }
                _ => html! { <div class="jl" {style}><span class="fold-space"></span>{ l.text.clone() }</div> },
            }
        });
        html! { <div class="json mono" data-role="payload-json" tabindex="0" role="region" aria-label="Payload as JSON">{ for items }</div> }
    });
    html! {
        <section class="card hex-card" aria-labelledby="payload-h">
            <h3 id="payload-h">{ "Payload" }<small class="muted">{ format!(" {} · {} bytes", v.title, v.len) }</small></h3>
            if let Some(c) = &v.close {
                <dl class="close-info" data-role="close-info">
                    <dt>{ "Code" }</dt><dd data-role="close-code">{ c.code.clone() }</dd>
                    <dt>{ "Name" }</dt><dd>{ c.name.clone() }</dd>
                    <dt>{ "Reason" }</dt><dd>{ c.reason.clone() }</dd>
                </dl>
            }
            if let Some(t) = &v.text {
                <h4>{ "Text (UTF-8, invisible characters shown)" }</h4>
                <pre class="text" data-role="payload-text" tabindex="0" role="region" aria-label="Payload as text">{ t.clone() }</pre>
            }
            if let Some(j) = json { <h4>{ "JSON" }</h4>{ j } }
            <h4>{ "Hex dump" }</h4>
            { dump(&v.hex, "payload-hex", "Payload hex dump") }
            if let Some(c) = &v.compressed {
                <h4>{ "Compressed bytes (as sent)" }</h4>
                { dump(c, "payload-compressed", "Compressed bytes hex dump") }
            }
            <h4>{ "Base64" }</h4>
            <pre class="b64" data-role="payload-base64" tabindex="0" role="region" aria-label="Payload as base64">{ v.base64.clone() }</pre>
            if let Some(t) = &v.truncated {
                <p class="muted" data-role="payload-truncated" data-more={v.more.to_string()}>{ t.clone() }</p>
            }
        </section>
    }
}

/// A capture's timeline row: what the payload decoder read in its message (`EVENT "chat
/// message"`, `PUBLISH sensors/t1`), if it read it.
pub fn decoded_label(r: &wsinspect_view::capture_view::FrameRow) -> Html {
    match &r.decoded {
        Some(d) => {
            html! { <span class="decoded-label" data-role="decoded-label" title={d.clone()}>{ d.clone() }</span> }
        }
        None => Html::default(),
    }
}

/// The input bytes a decoded node lights in the hex view (`[start, end)`), shared by the
/// "Decoded" view and the hex view through a context that the frame detail provides.
#[derive(Clone, PartialEq)]
pub struct LitBytes(pub UseStateHandle<Option<(usize, usize)>>);

impl LitBytes {
    /// Whether input byte `offset` is lit.
    pub fn has(&self, offset: usize) -> bool {
        matches!(*self.0, Some((s, e)) if (s..e).contains(&offset))
    }
}

#[derive(Properties, PartialEq)]
pub struct DecodedProps {
    /// The message decoded, or `None` when the frame is not part of a data message.
    pub view: Option<Rc<DecodedView>>,
    /// The decoder choice (`auto`, `none`, a decoder's name).
    pub choice: AttrValue,
    pub on_choice: Callback<String>,
}

/// The message as its decoder reads it: a foldable tree of name, kind and value; hovering or
/// focusing a node lights its bytes in the hex view (or says where they are in a joined or
/// inflated message); the decoder is named and can be switched.
#[component]
pub fn Decoded(props: &DecodedProps) -> Html {
    let folded = use_state(Vec::<usize>::new);
    let note = use_state(|| None::<String>);
    let lit = use_context::<LitBytes>();
    let on_select = props.on_choice.reform(|e: Event| {
        e.target_unchecked_into::<web_sys::HtmlSelectElement>()
            .value()
    });
    let options = decoded::choices().into_iter().map(|(v, label)| {
        html! { <option value={v} selected={*props.choice == *v}>{ label }</option> }
    });
    let light = |l: &Lit| {
        let (lit, note) = (lit.clone(), note.clone());
        let l = l.clone();
        Callback::from(move |_: ()| match &l {
            Lit::Input(s, e) => {
                if let Some(lit) = &lit {
                    lit.0.set(Some((*s, *e)));
                }
                note.set(None);
            }
            Lit::Note(n) => note.set(Some(n.clone())),
        })
    };
    let off = {
        let (lit, note) = (lit.clone(), note.clone());
        Callback::from(move |_: ()| {
            if let Some(lit) = &lit {
                lit.0.set(None);
            }
            note.set(None);
        })
    };
    let body = match &props.view {
        None => html! { <p class="muted">{ "This frame is not part of a data message." }</p> },
        Some(v) if v.decoder.is_none() => html! {
            <p class="muted" data-role="decoded-none">{ if *props.choice == *"none" {
                "Decoding is off."
            } else {
                "No decoder recognises this message; choose one to read it anyway."
            } }</p>
        },
        Some(v) => {
            let rows = decoded::visible_rows(&v.rows, &folded).into_iter().map(|i| {
                let r = &v.rows[i];
                let is_folded = folded.contains(&i);
                let style = format!("padding-left: {}ch", r.depth * 2);
                let on = light(&r.lit);
                let toggle = (r.end > i + 1).then(|| {
                    let folded = folded.clone();
                    let click = Callback::from(move |_: MouseEvent| {
                        let mut f = (*folded).clone();
                        match f.iter().position(|&x| x == i) {
                            Some(p) => { f.remove(p); }
                            None => f.push(i),
                        }
                        folded.set(f);
                    });
                    html! { <button class="fold" aria-expanded={(!is_folded).to_string()} onclick={click}
                        aria-label={if is_folded { "expand" } else { "fold" }}>
                        { if is_folded { "▸" } else { "▾" } }</button> }
                });
                html! {
                    <div class="jl decoded-node" {style} data-role="decoded-node" tabindex="0"
                        data-span={format!("{},{}", r.span[0], r.span[1])}
                        onmouseenter={on.reform(|_: MouseEvent| ())} onfocus={on.reform(|_: FocusEvent| ())}
                        onmouseleave={off.reform(|_: MouseEvent| ())} onblur={off.reform(|_: FocusEvent| ())}>
                        { toggle.unwrap_or_else(|| html! { <span class="fold-space"></span> }) }
                        <span class="dn-name">{ r.name.clone() }</span>
                        <span class="muted">{ format!(" {} [{}..{}]", r.kind, r.span[0], r.span[1]) }</span>
                        if let Some(val) = &r.value { <span class="dn-value">{ format!(" {val}") }</span> }
                    </div>
                }
            });
            let findings = v.findings.iter().map(|f| {
                let on = light(&f.lit);
                html! { <li data-role="decoded-finding" tabindex="0"
                    onmouseenter={on.reform(|_: MouseEvent| ())} onfocus={on.reform(|_: FocusEvent| ())}
                    onmouseleave={off.reform(|_: MouseEvent| ())} onblur={off.reform(|_: FocusEvent| ())}>
                    <strong>{ f.code.clone() }</strong>{ format!(" at bytes {}..{}: {}", f.span[0], f.span[1], f.message) }</li> }
            });
            html! { <>
                <p data-role="decoded-summary"><strong>{ v.decoder.unwrap_or_default() }</strong>{ format!(": {}", v.summary) }</p>
                <div class="json mono" data-role="decoded" tabindex="0" role="region" aria-label="The message decoded">{ for rows }</div>
                if !v.findings.is_empty() { <ul class="findings" data-role="decoded-findings">{ for findings }</ul> }
            </> }
        }
    };
    html! {
        <section class="card" aria-labelledby="decoded-h">
            <h3 id="decoded-h">{ "Decoded" }
                if let Some(v) = &props.view { <small class="muted">{ format!(" {}", v.title) }</small> }
            </h3>
            <label>{ "Decoder " }
                <select data-role="decoder" onchange={on_select}>{ for options }</select></label>
            <super::proto_picker::ProtoPicker />
            if let Some(s) = props.view.as_ref().and_then(|v| v.subprotocol.clone()) {
                <small class="muted">{ format!(" subprotocol {s}") }</small>
            }
            { body }
            <p class="muted" data-role="decoded-span" aria-live="polite">{ (*note).clone().unwrap_or_default() }</p>
        </section>
    }
}
