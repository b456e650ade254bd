//! The input: one large box, the format (detected, overridable), the direction, extensions, the
//! inflate limit, the examples menu, and errors that point at the place.

use std::rc::Rc;

use wsinspect_core::inspect::notation::Format;
use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::Direction;
use wsinspect_view::examples::groups;
use wsinspect_view::view::format_value;
use yew::prelude::*;

use crate::choices::{inflate_limit_choices, DIRECTIONS, FORMATS};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub input: Rc<str>,
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
    pub on_input: Callback<String>,
    pub on_format: Callback<Format>,
    pub on_direction: Callback<Direction>,
    pub on_extensions: Callback<String>,
    pub on_max_inflated: Callback<usize>,
    pub on_example: Callback<String>,
}

#[component]
pub fn InputPanel(props: &Props) -> Html {
    let oninput = props.on_input.reform(|e: InputEvent| {
        let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        el.value()
    });
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
    let value: String = props.input.to_string();
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
            <textarea id="input" data-role="input" rows="7" spellcheck="false" {value} {oninput}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-describedby={props.error.is_some().then_some("input-error")}
                placeholder="Paste frame bytes in any hex notation or base64, a handshake, or a captured stream. e.g. 81 85 37 fa 21 3d 7f 9f 4d 51 58" />
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
