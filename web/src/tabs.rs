//! The view tabs' keyboard (WAI-ARIA tabs pattern): Left/Right move between the tabs and wrap,
//! Home/End go to the first and last; the tab moved to is selected and focused.

use yew::prelude::*;

use crate::state::{Action, Tab};

/// The tabs in their order on screen, with their `data-role` hooks.
pub const TABS: [(Tab, &str); 3] = [
    (Tab::Frames, "tab-frames"),
    (Tab::Handshake, "tab-handshake"),
    (Tab::Composer, "tab-composer"),
];

/// The tab a key moves to from `from`, if the key moves at all.
pub fn tab_after_key(from: Tab, key: &str) -> Option<Tab> {
    let at = TABS.iter().position(|(t, _)| *t == from)?;
    let n = TABS.len();
    let to = match key {
        "ArrowRight" => (at + 1) % n,
        "ArrowLeft" => (at + n - 1) % n,
        "Home" => 0,
        "End" => n - 1,
        _ => return None,
    };
    Some(TABS[to].0)
}

/// The keydown handler of tab `from`: select the tab the key moves to and focus it.
pub fn on_tab_key(from: Tab, dispatch: Callback<Action>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        let Some(to) = tab_after_key(from, &e.key()) else {
            return;
        };
        e.prevent_default();
        dispatch.emit(Action::SetTab(to));
        let role = TABS.iter().find(|(t, _)| *t == to).map(|(_, r)| *r);
        if let Some(el) = role
            .and_then(|r| {
                web_sys::window()?
                    .document()?
                    .query_selector(&format!("[data-role=\"{r}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
        {
            let _ = el.focus();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_wrap_and_home_end_jump() {
        assert_eq!(
            tab_after_key(Tab::Frames, "ArrowRight"),
            Some(Tab::Handshake)
        );
        assert_eq!(
            tab_after_key(Tab::Composer, "ArrowRight"),
            Some(Tab::Frames)
        );
        assert_eq!(tab_after_key(Tab::Frames, "ArrowLeft"), Some(Tab::Composer));
        assert_eq!(tab_after_key(Tab::Handshake, "Home"), Some(Tab::Frames));
        assert_eq!(tab_after_key(Tab::Frames, "End"), Some(Tab::Composer));
        assert_eq!(tab_after_key(Tab::Frames, "Enter"), None);
    }
}
