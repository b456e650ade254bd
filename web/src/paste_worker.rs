//! The worker's side of a paste (wsinspect-view's `paste_job`): a message `["paste", ask, text]`
//! (the ask as JSON, the text as UTF-8 in a `Uint8Array`) is read, and two answers go back:
//! `["read", answer, bytes]` at once (the bytes' buffer transferred, not copied), then
//! `["link", fragment, note]` once the share link is compressed (a large input's link takes
//! longer than its reading, and the page can decode meanwhile).

use wasm_bindgen::prelude::*;
use web_sys::DedicatedWorkerGlobalScope;
use wsinspect_view::paste_job::{read, PasteAsk};
use wsinspect_view::share;

/// The first element of a paste message.
pub const PASTE: &str = "paste";

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Whether `data` is a paste message (then it is answered).
pub fn answer(data: &JsValue) -> bool {
    let Some(msg) = data.dyn_ref::<js_sys::Array>() else {
        return false;
    };
    if msg.get(0).as_string().as_deref() != Some(PASTE) {
        return false;
    }
    let Some(ask) = msg
        .get(1)
        .as_string()
        .and_then(|j| serde_json::from_str::<PasteAsk>(&j).ok())
    else {
        return true;
    };
    let text = js_sys::Uint8Array::new(&msg.get(2)).to_vec();
    let text = String::from_utf8_lossy(&text);
    let (answer, bytes) = read(&ask, &text);
    let Ok(json) = serde_json::to_string(&answer) else {
        return true;
    };
    let out = js_sys::Uint8Array::from(&bytes[..]);
    drop(bytes);
    let reply = js_sys::Array::of3(&"read".into(), &json.into(), &out);
    let _ = scope().post_message_with_transfer(&reply, &js_sys::Array::of1(&out.buffer()));
    let (link, note) = share::link(&ask.shared(&text));
    let reply = js_sys::Array::of4(
        &"link".into(),
        &JsValue::from_f64(ask.seq as f64),
        &link.map_or(JsValue::NULL, |l| l.into()),
        &note.map_or(JsValue::NULL, |n| n.into()),
    );
    let _ = scope().post_message(&reply);
    true
}
