//! The wsinspect page. Components only arrange what wsinspect-core computes.

mod app;
mod components;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
