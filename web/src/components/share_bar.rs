//! Share and export: the link that reproduces the view, copy as hex / base64 / JSON, and the
//! decode as JSON (the CLI's schema).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub url: String,
    pub status: String,
    pub has_result: bool,
    pub on_copy: Callback<&'static str>,
    pub on_download: Callback<()>,
    /// What to say about the link's length (too long to share well, or too big to be a link).
    #[prop_or_default]
    pub note: Option<AttrValue>,
}

#[component]
pub fn ShareBar(props: &Props) -> Html {
    let copy = |what: &'static str| props.on_copy.reform(move |_: MouseEvent| what);
    let dl = props.on_download.reform(|_: MouseEvent| ());
    let off = !props.has_result;
    html! {
        <div class="share-bar" role="group" aria-label="Share and export">
            <label class="sr-only" for="share-link">{ "Share link" }</label>
            <input id="share-link" class="mono" data-role="share-link" readonly=true value={props.url.clone()}
                title="This link reproduces the view; the data stays in the link (never sent to a server)." />
            <button data-role="copy-link" onclick={copy("link")}>{ "Copy link" }</button>
            <button data-role="copy-hex" onclick={copy("hex")} disabled={off}>{ "Copy hex" }</button>
            <button data-role="copy-base64" onclick={copy("base64")} disabled={off}>{ "Copy base64" }</button>
            <button data-role="copy-json" onclick={copy("json")} disabled={off}>{ "Copy JSON" }</button>
            <button data-role="download-json" onclick={dl} disabled={off}>{ "Download JSON" }</button>
            if let Some(n) = &props.note { <span class="warn-note small" data-role="link-note">{ n.clone() }</span> }
            <span class="muted status" data-role="copy-status" aria-live="polite">{ props.status.clone() }</span>
        </div>
    }
}
