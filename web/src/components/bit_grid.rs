//! The header as RFC 6455 §5.2's figure: one cell per bit, each field a coloured group.

use std::rc::Rc;

use wsinspect_core::wire::field::FieldId;
use wsinspect_view::view::{field_info, GridRow, LegendEntry, Part};
use yew::prelude::*;

use crate::state::{HighlightCtx, Hover};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub rows: Rc<Vec<GridRow>>,
    pub legend: Rc<Vec<LegendEntry>>,
}

#[component]
pub fn BitGrid(props: &Props) -> Html {
    let hl = use_context::<HighlightCtx>().expect("highlight context");
    let info = field_info(&props.rows, &hl.fields);
    let ruler = (0..32).map(|b| html! { <span class="bitno">{ b }</span> });
    let rows = props.rows.iter().map(|row| {
        let cells = row.cells.iter().map(|c| {
            let key = c.key;
            let (enter, leave) = hover(&hl, key);
            let style = format!("grid-column: {} / span {}", c.column + 1, c.bits.len());
            let class = classes!(
                "fld",
                format!("c{}", c.colour),
                hl.has(Part::Field(key)).then_some("hl"),
                (!c.first).then_some("cont"),
                (c.bits.len() == 1).then_some("narrow")
            );
            let title = format!("{} = {}\n{}\n{}", c.name, c.shown, c.doc, c.rfc);
            let bits = c.bits.chars().map(|b| html! { <span class="bit">{ b }</span> });
            let label = if c.first {
                c.label.to_string()
            } else {
                format!("{} (cont.)", c.name)
            };
            if c.first {
                html! {
                    <div {class} {style} {title} tabindex="0" role="group" data-field={key.as_str()} data-value={c.value.clone()}
                        aria-label={format!("{} = {}. {} {}", c.name, c.shown, c.doc, c.rfc)}
                        onmouseenter={enter} onmouseleave={leave}
                        onfocus={{ let hl = hl.clone(); Callback::from(move |_: FocusEvent| hl.dispatch(Hover::field(Some(key)))) }}
                        onblur={{ let hl = hl.clone(); Callback::from(move |_: FocusEvent| hl.dispatch(Hover::field(None))) }}>
                        <div class="bits">{ for bits }</div>
                        <div class="fname">{ label }</div>
                        <div class="fval">{ c.shown.clone() }</div>
                    </div>
                }
            } else {
                html! {
                    <div {class} {style} {title} data-part={key.as_str()}
                        onmouseenter={enter} onmouseleave={leave}>
                        <div class="bits">{ for bits }</div>
                        <div class="fname">{ label }</div>
                    </div>
                }
            }
        });
        // Each byte's value over its 8 bits, and a separator where a byte starts.
        let bytes = row.bytes.iter().map(|b| html! {
            <span class="byteval" style={format!("grid-column: {} / span 8", b.column + 1)}
                data-role="grid-byte" data-offset={b.offset.to_string()}
                title={format!("byte {} = 0x{}", b.offset, b.hex)}>{ b.hex.clone() }</span>
        });
        let seps = row.boundaries.iter().map(|&col| html! {
            <span class="byte-sep" aria-hidden="true" data-role="byte-sep"
                data-bit={(row.byte * 8 + col).to_string()} style={format!("grid-column: {}", col + 1)}></span>
        });
        html! { <>
            <div class="grid-row bytes-row" aria-hidden="true">{ for bytes }</div>
            <div class="grid-row">{ for cells }{ for seps }</div>
        </> }
    });
    let legend = props.legend.iter().map(|l| {
        let key = l.key;
        let (enter, leave) = hover(&hl, key);
        html! {
            <li class={classes!("legend-item", hl.has(Part::Field(key)).then_some("hl"))}
                onmouseenter={enter} onmouseleave={leave}>
                <span class={classes!("swatch", format!("c{}", l.colour))}></span>
                { l.name } <small>{ l.place.clone() }</small>
            </li>
        }
    });
    html! {
        <section class="card" aria-labelledby="bitgrid-h">
            <h3 id="bitgrid-h">{ "Header, bit by bit" }</h3>
            <div class="bit-grid" data-role="bit-grid">
                <div class="grid-row ruler" aria-hidden="true">{ for ruler }</div>
                { for rows }
            </div>
            <p class="field-info" data-role="field-info" aria-live="polite">
                { match info {
                    Some(i) => html! { <>
                        <strong>{ i.head }</strong>{ " " }
                        { i.doc }{ " " }<span class="rfc">{ i.rfc }</span>
                        if let Some(also) = i.also { <br /><span class="also">{ also }</span> }
                    </> },
                    None => html! { <span class="muted">{ "Hover, tap or focus a field (or a byte) to see what it means." }</span> },
                } }
            </p>
            <ul class="legend">{ for legend }</ul>
        </section>
    }
}

/// Pointer enter / leave handlers that light field `key` (and its bytes) and clear it.
fn hover<E: 'static>(hl: &HighlightCtx, key: FieldId) -> (Callback<E>, Callback<E>) {
    let on = hl.clone();
    let off = hl.clone();
    (
        Callback::from(move |_| on.dispatch(Hover::field(Some(key)))),
        Callback::from(move |_| off.dispatch(Hover::field(None))),
    )
}
