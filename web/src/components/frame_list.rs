//! The frame list: one row per frame, virtualised (only visible rows exist), keyboard-driven.

use std::rc::Rc;

use wsinspect_core::inspect::Inspection;
use wsinspect_view::view;
use yew::prelude::*;

use crate::virtual_list::{scroll_to_row, visible_window};

/// Row height and viewport height in CSS pixels (style.css uses the same numbers).
pub const ROW_HEIGHT: f64 = 30.0;
pub const VIEWPORT: f64 = 330.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub inspection: Rc<Inspection>,
    pub selected: usize,
    pub scroll_top: f64,
    pub on_select: Callback<usize>,
    pub on_move: Callback<isize>,
    pub on_scroll: Callback<f64>,
}

#[component]
pub fn FrameList(props: &Props) -> Html {
    let node = use_node_ref();
    let Some(report) = props.inspection.frames.as_ref() else {
        return html! {};
    };
    let total = view::row_count(report);
    {
        // Keep the selected row in view when the keyboard moves the selection.
        let node = node.clone();
        use_effect_with(props.selected, move |&sel| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                let top = f64::from(el.scroll_top());
                if let Some(to) = scroll_to_row(sel, top, VIEWPORT, ROW_HEIGHT) {
                    el.set_scroll_top(to as i32);
                }
            }
        });
    }
    let (start, end) = visible_window(props.scroll_top, VIEWPORT, ROW_HEIGHT, total, 8);
    let rows = (start..end).map(|i| {
        let r = view::frame_row(report, i);
        let selected = i == props.selected;
        let onclick = props.on_select.reform(move |_: MouseEvent| i);
        let style = format!("top: {}px", i as f64 * ROW_HEIGHT);
        let badges = r.badges.iter().map(|b| html! {
            <span class={classes!("badge", b.severity)} title={b.code.as_str()}>{ b.code.as_str() }</span>
        });
        html! {
            <div key={i} class={classes!("frame-row", selected.then_some("sel"), format!("g-{}", r.group_pos), r.incomplete.then_some("incomplete"))}
                data-incomplete={r.incomplete.then_some("true")}
                data-role="frame-row" data-index={i.to_string()} role="option" id={format!("frame-{i}")}
                aria-selected={selected.to_string()} {style} {onclick}>
                <span class="idx">{ r.index }</span>
                <span class={classes!("dir", r.direction)} title={r.direction}>{ r.arrow }</span>
                <span class={classes!("op", r.opcode)}>{ r.opcode }</span>
                <span class="fin" title="FIN">{ r.fin }</span>
                <span class="len">{ r.len.clone() }</span>
                <span class="preview">{ r.preview.clone() }</span>
                if let Some(g) = &r.group { <span class="group-tag">{ g.clone() }</span> }
                { for badges }
            </div>
        }
    });
    let onscroll = {
        let cb = props.on_scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlElement = e.target_unchecked_into();
            cb.emit(f64::from(el.scroll_top()));
        })
    };
    let onkeydown = {
        let on_move = props.on_move.clone();
        let on_select = props.on_select.clone();
        let selected = props.selected;
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowDown" => {
                e.prevent_default();
                on_move.emit(1)
            }
            "ArrowUp" => {
                e.prevent_default();
                on_move.emit(-1)
            }
            "PageDown" => {
                e.prevent_default();
                on_move.emit(10)
            }
            "PageUp" => {
                e.prevent_default();
                on_move.emit(-10)
            }
            "Home" => {
                e.prevent_default();
                on_select.emit(0)
            }
            "End" => {
                e.prevent_default();
                on_select.emit(total.saturating_sub(1))
            }
            "Enter" => {
                e.prevent_default();
                on_select.emit(selected);
                if let Some(d) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| {
                        d.query_selector("[data-role=\"frame-detail\"] [tabindex]")
                            .ok()
                            .flatten()
                    })
                    .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
                {
                    let _ = d.focus();
                }
            }
            _ => {}
        })
    };
    let spacer = format!("height: {}px", total as f64 * ROW_HEIGHT);
    let next = view::next_finding_row(report, props.selected);
    let on_next = {
        let on_select = props.on_select.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = next {
                on_select.emit(i)
            }
        })
    };
    let on_goto = {
        let on_select = props.on_select.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = el.value().trim().parse::<usize>() {
                on_select.emit(n.min(total.saturating_sub(1)))
            }
        })
    };
    html! {
        // The index column as wide as the largest index (six digits at 200 000 frames).
        <div class="frames" style={format!("--idx-digits: {}", total.saturating_sub(1).to_string().len().max(2))}>
        <div class="list-tools">
            <label>{ "Go to frame " }
                <input type="number" class="mono" data-role="goto-frame" min="0" max={total.saturating_sub(1).to_string()}
                    placeholder={format!("0-{}", total.saturating_sub(1))} onchange={on_goto} /></label>
            <button data-role="next-finding" onclick={on_next} disabled={next.is_none()}
                title="The next frame with a finding (from the selected one, wrapping round)">{ "Next finding ↓" }</button>
        </div>
        // Column headers, outside the scrolling box so they stay in view (the rows are options of
        // a listbox, not table cells: screen readers get each row's text instead).
        <div class="frame-head" data-role="frame-head" aria-hidden="true">
            <span class="idx">{ "#" }</span><span class="dir" title="sender">{ "dir" }</span>
            <span class="op">{ "opcode" }</span><span class="fin">{ "FIN" }</span>
            <span class="len">{ "length" }</span><span class="preview">{ "payload" }</span>
        </div>
        <div class="frame-list" data-role="frame-list" ref={node} tabindex="0" role="listbox"
            aria-label="Frames (up and down to move, Enter to open)"
            aria-activedescendant={format!("frame-{}", props.selected)}
            data-count={total.to_string()} {onscroll} {onkeydown}>
            <div class="spacer" style={spacer}>{ for rows }</div>
        </div>
        </div>
    }
}
