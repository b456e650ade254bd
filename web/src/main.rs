//! The wsinspect page. Components only arrange what wsinspect-core computes.

mod app;
mod capture_link;
mod capture_state;
mod choices;
mod components;
mod paste_link;
#[cfg(test)]
mod ssr_tests;
mod state;
mod tabs;
mod virtual_list;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
