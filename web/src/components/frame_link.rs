//! "Link to this frame": a capture cannot travel in a share link, one of its frames can
//! (`wsinspect_view::capture_view::frame_link`). The link is shown to copy, and copied where the
//! browser lets the page write the clipboard, with what the frame alone does not show.

use std::rc::Rc;

use wsinspect_view::capture_view::{frame_link, Detail};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The selected frame.
    pub detail: Rc<Detail>,
    /// Its connection's negotiated extensions (the response's Sec-WebSocket-Extensions).
    pub extensions: Option<AttrValue>,
}

/// The link made, or why there is none, and its notes.
#[derive(Clone, PartialEq)]
struct Made {
    url: Option<String>,
    notes: Vec<String>,
}

#[function_component]
pub fn FrameLinkButton(props: &Props) -> Html {
    let made = use_state(|| None::<Made>);
    let onclick = {
        let made = made.clone();
        let detail = props.detail.clone();
        let extensions = props.extensions.clone();
        Callback::from(move |_: MouseEvent| {
            let link = frame_link(&detail, extensions.as_deref());
            let url = link.fragment.map(|f| format!("{}#{f}", page_address()));
            if let (Some(u), Some(w)) = (&url, web_sys::window()) {
                // Refused without a user's permission in some browsers: the link is shown anyway.
                let copied =
                    wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(u));
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = copied.await;
                });
            }
            made.set(Some(Made {
                url,
                notes: link.notes,
            }));
        })
    };
    html! {
        <div class="frame-link">
            <button data-role="frame-link" {onclick}>{ "Link to this frame" }</button>
            if let Some(m) = &*made {
                if let Some(u) = &m.url {
                    <input readonly=true data-role="frame-link-url" aria-label="Link to this frame" value={u.clone()} />
                }
                { for m.notes.iter().map(|n| html! { <p class="muted" data-role="frame-link-note">{ n.clone() }</p> }) }
            }
        </div>
    }
}

/// The page's address without its fragment.
fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}
