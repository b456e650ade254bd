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
    // `/live` (wsinspect serve's live view) is its own page; everything else is the inspector.
    if live::wanted() {
        yew::Renderer::<live::LivePage>::new().render();
    } else {
        yew::Renderer::<app::App>::new().render();
    }
}
