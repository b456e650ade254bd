//! The frame's bytes; each byte knows its fields, so hovering links both ways with the bit grid:
//! hovering a byte lights every field it holds (byte 0: FIN, RSV1-3 and the opcode).

use std::rc::Rc;

use wsinspect_view::view::{HexCell, HexRow, Part};
use yew::prelude::*;

use super::payload_view::LitBytes;
use crate::state::{HighlightCtx, Hover};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub rows: Rc<Vec<HexRow>>,
    /// Set when only part of the frame is shown.
    pub note: Option<String>,
}

#[component]
pub fn HexView(props: &Props) -> Html {
    let hl = use_context::<HighlightCtx>().expect("highlight context");
    // The bytes a node of the "Decoded" view lights (absent outside a frame's detail).
    let lit = use_context::<LitBytes>();
    let lit_at = |offset: usize| lit.as_ref().is_some_and(|l| l.has(offset));
    // The byte last hovered, tapped or clicked, named here: on a phone the bit grid's field
    // info is a screen away.
    let picked = use_state(|| None::<String>);
    let rows = props.rows.iter().map(|row| {
        let cells = row.cells.iter().map(|c| {
            let field = c.field;
            // Hover, or a tap (no hover on a touch screen), lights the byte's fields and names
            // them in words (not by colour only).
            let enter = {
                let hl = hl.clone();
                let fields = c.fields.clone();
                let picked = picked.clone();
                let text = byte_text(c);
                Callback::from(move |_: MouseEvent| {
                    picked.set(Some(text.clone()));
                    hl.dispatch(Hover(fields.clone()))
                })
            };
            let onclick = enter.clone();
            let leave = {
                let hl = hl.clone();
                Callback::from(move |_| hl.dispatch(Hover(Vec::new())))
            };
            let on = hl.any(&c.fields) || lit_at(c.offset);
            html! {
                <span class={classes!("byte", format!("c{}", c.colour), on.then_some("hl"))}
                    data-offset={c.offset.to_string()} data-of={field.as_str()}
                    data-highlight={on.then_some("true")}
                    title={byte_text(c)}
                    onmouseenter={enter} onmouseleave={leave} {onclick}>{ c.hex.clone() }</span>
            }
        });
        let chars = row.cells.iter().map(|c| {
            let on = hl.any(&c.fields) || lit_at(c.offset);
            html! { <span class={classes!("ch", on.then_some("hl"))}>{ c.ch.clone() }</span> }
        });
        html! {
            <div class="hex-row">
                <span class="off">{ row.label.clone() }</span>
                <span class="hexes">{ for cells }</span>
                <span class="chars">{ for chars }</span>
            </div>
        }
    });
    html! {
        <section class="card hex-card" aria-labelledby="hex-h">
            <h3 id="hex-h">{ "Bytes" }</h3>
            <div class="hex-view" data-role="hex-view" tabindex="0" role="region" aria-label="The frame's bytes">{ for rows }</div>
            <p class="byte-info muted" data-role="byte-info" aria-live="polite">
                { (*picked).clone().unwrap_or_else(|| "Hover, tap or click a byte to see the fields it holds.".into()) }
            </p>
            if let Some(n) = &props.note { <p class="muted">{ n.clone() }</p> }
        </section>
    }
}

/// "byte 1 = 0x85: MASK, Payload length (7 bits)": what a tapped byte holds.
fn byte_text(c: &HexCell) -> String {
    let names: Vec<&str> = c
        .fields
        .iter()
        .map(|p| match p {
            Part::Field(f) => f.def().name,
            Part::Payload => "payload",
        })
        .collect();
    format!("byte {} = 0x{}: {}", c.offset, c.hex, names.join(", "))
}
