//! The page's end of the paste worker (wsinspect-view's `paste_job`, the worker's
//! `paste_worker`): a large pasted input goes to a worker of its own, which reads its notation
//! and makes its share link off the main thread. The newest input wins: an input that comes
//! while the worker is still busy with an older one stops that worker (its work can never be
//! shown) and starts a fresh one; answers to older inputs are dropped by their `seq`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wsinspect_view::paste_job::{PasteAsk, PasteRead};
use yew::Callback;

/// The same worker script as capture files (index.html: `data-bin="capture_worker"`).
const WORKER_URL: &str = "./capture_worker_loader.js";
/// The first element of a paste message (the worker's `paste_worker::PASTE`).
const PASTE: &str = "paste";

/// What the worker answered.
pub enum Answer {
    /// The input read: how, and its bytes (or the message for an input that cannot be read).
    Read(PasteRead, Vec<u8>),
    /// The input's share link fragment (none when too big), and what to say about its length.
    Link {
        seq: u64,
        fragment: Option<String>,
        note: Option<String>,
    },
    /// The worker could not run.
    Failed(String),
}

type Handler = Closure<dyn FnMut(web_sys::MessageEvent)>;
type ErrHandler = Closure<dyn FnMut(JsValue)>;

#[derive(Default)]
struct Inner {
    worker: Option<web_sys::Worker>,
    ready: bool,
    /// A message (and the buffers it transfers) held until the worker is ready.
    queue: Option<(JsValue, JsValue)>,
    /// The `seq` whose last answer (the link) has not come yet.
    busy: Option<u64>,
    handlers: Option<(Handler, ErrHandler)>,
}

/// The paste worker, started on the first large input.
#[derive(Clone, Default)]
pub struct PasteLink {
    inner: Rc<RefCell<Inner>>,
}

impl PasteLink {
    /// Read `input` as `ask` says in the worker; its answers go to `on_answer`.
    pub fn read(&self, ask: &PasteAsk, input: &str, on_answer: Callback<Answer>) {
        let Ok(json) = serde_json::to_string(ask) else {
            return;
        };
        // Still busy with an older input: that work is of no use now.
        if self.inner.borrow().busy.is_some() {
            self.stop();
        }
        if self.inner.borrow().worker.is_none() {
            if let Err(e) = self.start() {
                on_answer.emit(Answer::Failed(e));
                return;
            }
        }
        let text = js_sys::Uint8Array::from(input.as_bytes());
        let msg = js_sys::Array::of3(&PASTE.into(), &JsValue::from_str(&json), &text);
        let transfer = js_sys::Array::of1(&text.buffer());
        // The answers go to the newest caller.
        self.listen(on_answer);
        let mut i = self.inner.borrow_mut();
        i.busy = Some(ask.seq);
        match (&i.worker, i.ready) {
            (Some(w), true) => {
                let _ = w.post_message_with_transfer(&msg, &transfer);
            }
            _ => i.queue = Some((msg.into(), transfer.into())),
        }
    }

    fn start(&self) -> Result<(), String> {
        let worker = web_sys::Worker::new(WORKER_URL)
            .map_err(|_| "the browser could not start the worker that reads large inputs")?;
        let mut i = self.inner.borrow_mut();
        i.worker = Some(worker);
        i.ready = false;
        Ok(())
    }

    fn listen(&self, on_answer: Callback<Answer>) {
        let inner = self.inner.clone();
        let on_msg = {
            let on_answer = on_answer.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let data = e.data();
                if data.as_string().as_deref() == Some("ready") {
                    let mut i = inner.borrow_mut();
                    i.ready = true;
                    if let (Some(w), Some((msg, transfer))) = (i.worker.clone(), i.queue.take()) {
                        let _ = w.post_message_with_transfer(&msg, &transfer);
                    }
                    return;
                }
                if let Some(a) = answer(&data) {
                    if let Answer::Link { seq, .. } = &a {
                        let mut i = inner.borrow_mut();
                        if i.busy == Some(*seq) {
                            i.busy = None;
                        }
                    }
                    on_answer.emit(a);
                }
            })
        };
        let on_err = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            on_answer.emit(Answer::Failed(
                "the worker reading the input failed (see the browser console)".into(),
            ));
        });
        let mut i = self.inner.borrow_mut();
        if let Some(w) = &i.worker {
            w.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
            w.set_onerror(Some(on_err.as_ref().unchecked_ref()));
        }
        i.handlers = Some((on_msg, on_err));
    }

    /// Stop the worker and whatever it was doing.
    pub fn stop(&self) {
        let mut i = self.inner.borrow_mut();
        if let Some(w) = i.worker.take() {
            w.terminate();
        }
        *i = Inner::default();
    }
}

/// A worker message as an [`Answer`]: `["read", json, bytes]` or `["link", seq, fragment, note]`.
fn answer(data: &JsValue) -> Option<Answer> {
    let msg = data.dyn_ref::<js_sys::Array>()?;
    match msg.get(0).as_string()?.as_str() {
        "read" => {
            let read: PasteRead = serde_json::from_str(&msg.get(1).as_string()?).ok()?;
            let bytes = js_sys::Uint8Array::new(&msg.get(2)).to_vec();
            Some(Answer::Read(read, bytes))
        }
        "link" => Some(Answer::Link {
            seq: msg.get(1).as_f64()? as u64,
            fragment: msg.get(2).as_string(),
            note: msg.get(3).as_string(),
        }),
        _ => None,
    }
}
