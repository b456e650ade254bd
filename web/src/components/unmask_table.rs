//! The unmasking table (RFC 6455 §5.3): each payload byte XORed with key byte i mod 4.

use std::rc::Rc;

use wsinspect_view::view::UnmaskRow;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub rows: Rc<Vec<UnmaskRow>>,
    /// How many payload bytes there are in all.
    pub total: usize,
    /// Whether "show all" was asked for (the rows may still be capped).
    pub all: bool,
    pub on_all: Callback<()>,
}

#[component]
pub fn UnmaskTable(props: &Props) -> Html {
    let rows = props.rows.iter().map(|r| {
        html! {
            <tr data-index={r.index.to_string()}>
                <td>{ r.index }</td>
                <td class="mono">{ r.masked.clone() }</td>
                <td class="mono">{ format!("{} [{}]", r.key, r.key_index) }</td>
                <td class="mono xor">{ r.xor.clone() }</td>
                <td class="mono result">{ r.result.clone() }</td>
                <td class="mono">{ r.ch.clone() }</td>
            </tr>
        }
    });
    // Before "show all": a button. After it (capped): the note saying what is left out.
    let more = props.total > props.rows.len() && !props.all;
    let note = (!more)
        .then(|| wsinspect_view::view::shown_note(props.rows.len(), props.total))
        .flatten();
    let on_all = props.on_all.reform(|_: MouseEvent| ());
    html! {
        <section class="card" aria-labelledby="unmask-h">
            <h3 id="unmask-h">{ "Unmasking" }<small class="rfc">{ " RFC 6455 §5.3: payload[i] XOR key[i mod 4]" }</small></h3>
            <table class="unmask" data-role="unmask-table">
                <thead><tr>
                    <th scope="col">{ "i" }</th><th scope="col">{ "masked" }</th>
                    <th scope="col">{ "key [i mod 4]" }</th><th scope="col">{ "XOR" }</th>
                    <th scope="col">{ "result" }</th><th scope="col">{ "char" }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if more {
                <button data-role="unmask-all" onclick={on_all}>
                    { format!("Show all {} bytes", props.total) }
                </button>
            }
            if let Some(n) = note { <p class="muted" data-role="unmask-truncated">{ n }</p> }
        </section>
    }
}
