//! The wsinspect page. Components only arrange what wsinspect-core computes.

use web_sys::HtmlTextAreaElement;
use wsinspect_core::field;
use wsinspect_core::header::{decode_header, opcode_name, Progress};
use wsinspect_core::notation::parse_hex;
use yew::prelude::*;

#[component]
fn App() -> Html {
    let text = use_state(String::new);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            text.set(area.value());
        })
    };
    html! {
        <main>
            <h1>{ "wsinspect" }</h1>
            <label for="input">{ "Frame bytes (hex)" }</label>
            <textarea id="input" data-role="input" rows="4" spellcheck="false"
                placeholder="81 85 37 fa 21 3d 7f 9f 4d 51 58" {oninput} />
            <FrameView text={(*text).clone()} />
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct FrameViewProps {
    text: String,
}

#[component]
fn FrameView(props: &FrameViewProps) -> Html {
    if props.text.trim().is_empty() {
        return html! {};
    }
    let bytes = match parse_hex(&props.text) {
        Ok(b) => b,
        Err(e) => return html! { <p class="error" data-role="error">{ e.to_string() }</p> },
    };
    let header = match decode_header(&bytes) {
        Progress::Done(h) => h,
        Progress::NeedMore { at_least } => {
            return html! {
                <p class="error" data-role="error">
                    { format!("incomplete header: {} of {at_least} bytes", bytes.len()) }
                </p>
            }
        }
    };
    let rows = header.fields(&bytes).into_iter().map(|f| {
        let def = field::field(f.key).expect("decoded fields come from FIELDS");
        let shown = match f.key {
            "opcode" => match opcode_name(header.opcode) {
                Some(name) => format!("{} ({name})", f.text),
                None => format!("{} (reserved)", f.text),
            },
            _ => f.text.clone(),
        };
        html! {
            <tr data-field={f.key} data-value={f.text.clone()} title={format!("{} ({})", def.doc, def.rfc)}>
                <th scope="row">{ def.name }</th>
                <td>{ shown }</td>
                <td class="bits">{ format!("bits {}-{}", f.bits.start, f.bits.end - 1) }</td>
            </tr>
        }
    });
    html! {
        <table data-role="fields">
            <thead><tr><th>{ "Field" }</th><th>{ "Value" }</th><th>{ "Where" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
