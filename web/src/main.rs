//! The wsinspect page. Components only arrange what wsinspect-core computes.

mod app;
mod components;
#[cfg(test)]
mod ssr_tests;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
