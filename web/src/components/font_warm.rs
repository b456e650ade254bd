//! Font strikes looked up before a capture is opened.
//!
//! The first text a page lays out in a new font, size, weight and style makes Chromium look up
//! that "strike" (on Linux a synchronous call to the browser process, for the render style).
//! The capture view uses about fifteen strikes the paste view does not (and a frame's detail,
//! the composer and the handshake tab about ten more); while a file loads, the
//! browser process is busy serving the worker's slice reads, and in a trace of a 100 MB load
//! those lookups took 3-62 ms each, the bulk of the first rows' render and of every task over
//! 50 ms. So the page lays out one hidden word in each of them in its first idle moments, a few
//! per task. `tests/browser/capture.test.mjs` checks that every strike the capture view uses is
//! here, so a new one in style.css is named there rather than missed.

use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// The strikes the page's first view does not use: (style, weight, size in px, family),
/// `mono` meaning `--mono` and `sans` the page's own.
pub const STRIKES: &[(&str, u16, f32, &str)] = &[
    ("normal", 400, 11.0, "mono"),
    ("normal", 400, 11.2, "sans"),
    ("italic", 400, 11.2, "sans"),
    ("normal", 400, 11.2, "mono"),
    ("italic", 400, 11.2, "mono"),
    ("normal", 600, 11.2, "sans"),
    ("normal", 600, 11.2, "mono"),
    ("italic", 600, 11.2, "sans"),
    ("normal", 700, 11.2, "sans"),
    ("normal", 400, 12.0, "sans"),
    ("normal", 400, 12.0, "mono"),
    ("normal", 600, 12.6, "sans"),
    ("normal", 600, 12.6, "mono"),
    ("normal", 700, 14.0, "sans"),
    // A frame's detail, the composer and the handshake tab, which a capture's user opens next.
    ("normal", 400, 11.0, "sans"),
    ("normal", 700, 11.0833, "sans"),
    ("normal", 500, 11.2, "sans"),
    ("normal", 400, 11.9, "mono"),
    ("normal", 600, 11.9, "mono"),
    ("normal", 700, 13.3, "sans"),
    ("normal", 400, 14.0, "mono"),
    ("normal", 700, 14.7, "sans"),
    ("normal", 700, 14.7, "mono"),
];

/// Strikes laid out per task: each lookup took up to about 10 ms on an idle page.
const PER_TASK: usize = 3;

/// Renders the strikes' words a few at a time, hidden from sight and from assistive technology.
#[component]
pub fn FontWarm() -> Html {
    let shown = use_state(|| 0usize);
    {
        let shown = shown.clone();
        use_effect_with(*shown, move |&n| {
            let timer = (n < STRIKES.len()).then(|| {
                Timeout::new(if n == 0 { 50 } else { 0 }, move || {
                    shown.set((n + PER_TASK).min(STRIKES.len()))
                })
            });
            move || drop(timer)
        });
    }
    let words = STRIKES[..*shown]
        .iter()
        .map(|&(style, weight, px, family)| {
            let family = if family == "mono" {
                "font-family: var(--mono); "
            } else {
                ""
            };
            let style =
                format!("{family}font-style: {style}; font-weight: {weight}; font-size: {px}px");
            // The capture view's own glyphs beside letters and digits: arrows and marks may come
            // from a fallback font, a strike of its own.
            html! { <span {style}>{ "Aa0 → · ✓ ✗ " }</span> }
        });
    html! {
        <div class="font-warm" aria-hidden="true" data-role="font-warm"
            data-done={(*shown == STRIKES.len()).to_string()}>{ for words }</div>
    }
}
