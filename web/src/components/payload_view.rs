//! The payload as text (invisible characters shown), foldable JSON, hex dump and base64; the
//! compressed bytes for compressed messages; code, name and reason for close frames.

use std::rc::Rc;

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
        <section class="card" aria-labelledby="payload-h">
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
