//! The wsinspect page. Components only arrange what wsinspect-core computes.

mod app;
mod capture_link;
mod capture_state;
mod choices;
mod components;
mod live;
mod paste_link;
#[cfg(test)]
mod ssr_tests;
mod state;
mod tabs;
mod virtual_list;

fn main() {
    // The first render is a task of its own, after the one that compiled and started this
    // module: each stays short, and the page can paint and take input between them.
    gloo_timers::callback::Timeout::new(0, || {
        // `/live` (wsinspect serve's live view) is its own page; everything else is the inspector.
        if live::wanted() {
            yew::Renderer::<live::LivePage>::new().render();
        } else {
            yew::Renderer::<app::App>::new().render();
        }
    })
    .forget();
}
