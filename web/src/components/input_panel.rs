//! The input: one large box, the format (detected, overridable), the direction, extensions, the
//! inflate limit, the examples menu, and errors that point at the place.

use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::Direction;
use wsinspect_view::examples::groups;
use wsinspect_view::view::{self, format_value};
use yew::prelude::*;

use crate::choices::{inflate_limit_choices, DIRECTIONS, FORMATS};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub input: crate::state::Text,
    pub format: Format,
    pub direction: Direction,
    pub extensions: Rc<str>,
    /// The most bytes one message may inflate to.
    pub max_inflated: usize,
    pub example: Rc<str>,
    /// What was detected (`hex`, `base64`, ...).
    pub detected: Option<&'static str>,
    pub error: Option<Rc<str>>,
    pub progress: Option<(usize, usize)>,
    /// The box's text after an edit (the same `Rc` is then the `input` given back).
    pub on_input: Callback<Rc<str>>,
    pub on_format: Callback<Format>,
    pub on_direction: Callback<Direction>,
    pub on_extensions: Callback<String>,
    pub on_max_inflated: Callback<usize>,
    pub on_example: Callback<String>,
}

/// Inputs longer than this are not put in the box whole: the browser lays a box's text out at
/// once (about a second per MB in Chromium, the page frozen meanwhile), so the box shows their
/// start, read-only, and the page holds the whole input.
pub const BOX_LIMIT: usize = 256 * 1024;
/// How much of a larger input the box shows.
const BOX_PREVIEW: usize = 16 * 1024;

/// What the box shows of `input`: all of it, or (beyond [`BOX_LIMIT`]) its start.
fn box_text(input: &str) -> std::borrow::Cow<'_, str> {
    if input.len() <= BOX_LIMIT {
        return input.into();
    }
    let mut end = BOX_PREVIEW;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &input[..end]).into()
}

/// Where the text in the box came from: its address and length, to tell the text the box
/// itself reported from text set from outside (an example, a link, the composer).
fn text_id(t: &Rc<str>) -> (usize, usize) {
    (t.as_ptr() as usize, t.len())
}

#[component]
pub fn InputPanel(props: &Props) -> Html {
    // The box is not a controlled `value`: Yew would read the whole text back out of the DOM on
    // every render to compare it (a 20 MB copy per progress step for a 10 MB paste), so the
    // text is written into the box only when it came from elsewhere.
    let area = use_node_ref();
    let reported = use_mut_ref(|| None::<Rc<str>>);
    {
        let (area, reported) = (area.clone(), reported.clone());
        let input = props.input.0.clone();
        use_effect_with(text_id(&props.input.0), move |_| {
            let ours = reported.borrow().as_ref().map(text_id) == Some(text_id(&input));
            if !ours || input.len() > BOX_LIMIT {
                if let Some(el) = area.cast::<web_sys::HtmlTextAreaElement>() {
                    el.set_value(&box_text(&input));
                }
            }
        });
    }
    // A large paste goes to the page, not into the box (whose layout would freeze the page).
    let onpaste = {
        let (reported, on_input) = (reported.clone(), props.on_input.clone());
        Callback::from(move |e: Event| {
            let Some(e) = e.dyn_ref::<web_sys::ClipboardEvent>() else {
                return;
            };
            let Some(text) = e
                .clipboard_data()
                .and_then(|d| d.get_data("text/plain").ok())
            else {
                return;
            };
            if text.len() > BOX_LIMIT {
                e.prevent_default();
                let text: Rc<str> = text.into();
                *reported.borrow_mut() = Some(text.clone());
                on_input.emit(text);
            }
        })
    };
    let big = props.input.len() > BOX_LIMIT;
    let on_clear = props.on_input.reform(|_: MouseEvent| Rc::<str>::from(""));
    let oninput = {
        let reported = reported.clone();
        props.on_input.reform(move |e: InputEvent| {
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let text: Rc<str> = el.value().into();
            *reported.borrow_mut() = Some(text.clone());
            text
        })
    };
    let on_format = props.on_format.reform(|e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        el.value().parse().unwrap_or(Format::Auto)
    });
    let on_direction = props.on_direction.reform(|e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        el.value().parse().unwrap_or(Direction::Unknown)
    });
    let on_ext = props.on_extensions.reform(|e: InputEvent| {
        let el: web_sys::HtmlInputElement = e.target_unchecked_into();
        el.value()
    });
    let on_limit = props.on_max_inflated.reform(|e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        el.value().parse().unwrap_or(DEFAULT_MAX_INFLATED)
    });
    let limits = inflate_limit_choices(props.max_inflated)
        .into_iter()
        .map(|c| {
            html! { <option value={c.value} selected={c.selected}>{ c.label }</option> }
        });
    let on_example = props.on_example.reform(|e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        el.value()
    });
    let fmt = format_value(props.format);
    let formats = FORMATS.iter().map(|(v, label)| {
        let label = match (*v, props.detected) {
            ("auto", Some(d)) if props.format == Format::Auto => format!("{label} ({d})"),
            _ => label.to_string(),
        };
        html! { <option value={*v} selected={*v == fmt}>{ label }</option> }
    });
    let dirs = DIRECTIONS.iter().map(|(v, label)| {
        html! {
            <option value={*v} selected={*v == props.direction.as_str()}>{ *label }</option>
        }
    });
    let examples = groups().into_iter().map(|(g, list)| {
        html! {
            <optgroup label={g}>{ for list.into_iter().map(|e| html! {
                <option value={e.id} selected={*props.example == *e.id}>{ e.title }</option>
            }) }</optgroup>
        }
    });
    html! {
        <section class="input-panel" aria-label="Input">
            <div class="toolbar">
                <label class="grow">{ "Example " }
                    <select data-role="examples" onchange={on_example} aria-label="Examples">
                        <option value="" selected={props.example.is_empty()}>{ "Choose an example…" }</option>
                        { for examples }
                    </select>
                </label>
            </div>
            <label for="input" class="sr-only">{ "Input: frame bytes (hex, base64, dumps), a handshake, or a whole captured stream" }</label>
            <textarea id="input" data-role="input" rows="7" spellcheck="false" ref={area} {oninput} {onpaste}
                readonly={big} data-big={big.then_some("true")}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-describedby={props.error.is_some().then_some("input-error")}
                placeholder="Paste frame bytes in any hex notation or base64, a handshake, or a captured stream. e.g. 81 85 37 fa 21 3d 7f 9f 4d 51 58" />
            if big {
                <p class="muted small big-input" data-role="input-big">
                    { format!("The input is {} bytes: the box shows its start, read-only (a box this big would freeze the page). ", view::grouped(props.input.len() as u64)) }
                    <button data-role="clear-input" onclick={on_clear}>{ "Clear" }</button>
                </p>
            }
            <div class="toolbar">
                <label>{ "Format " }
                    <select data-role="format" onchange={on_format}>{ for formats }</select></label>
                <label>{ "Sender " }
                    <select data-role="direction" onchange={on_direction}>{ for dirs }</select></label>
                <label class="grow">{ "Extensions " }
                    <input data-role="extensions" class="mono" value={props.extensions.to_string()} oninput={on_ext}
                        placeholder="e.g. permessage-deflate" /></label>
                <label title="The most bytes one compressed message may inflate to; beyond it decompression stops with an inflate-limit finding (RFC 7692 §8.1)">{ "Inflate limit " }
                    <select data-role="max-inflated" onchange={on_limit}
                        aria-label="Inflate limit: the most bytes one compressed message may inflate to">{ for limits }</select></label>
            </div>
            if let Some(e) = &props.error {
                <p class="error" id="input-error" data-role="error" role="alert">{ e.to_string() }</p>
            }
            if let Some((done, all)) = props.progress {
                <div class="progress-row">
                    <progress data-role="progress" max={all.max(1).to_string()} value={done.to_string()}
                        aria-label="Decoding progress"></progress>
                    <span class="muted">{ format!("decoding {} of {} bytes…", done, all) }</span>
                </div>
            }
        </section>
    }
}
