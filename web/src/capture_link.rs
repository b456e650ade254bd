//! The page's end of the capture worker: start it for a file, hold messages until it is ready,
//! pass its answers on, stop it (cancel, close, or a new file: a fresh worker each time, so a
//! cancelled read can never post into the next one).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wsinspect_view::capture_view::{Ask, Progress, Tell};
use yew::Callback;

/// Where Trunk puts the worker's loader (index.html: `data-bin="capture_worker"`,
/// `data-loader-shim`).
const WORKER_URL: &str = "./capture_worker_loader.js";

type Handler = Closure<dyn FnMut(web_sys::MessageEvent)>;
type ErrHandler = Closure<dyn FnMut(JsValue)>;

#[derive(Default)]
struct Inner {
    worker: Option<web_sys::Worker>,
    ready: bool,
    queue: Vec<JsValue>,
    handlers: Option<(Handler, ErrHandler)>,
}

/// The worker, if one runs.
#[derive(Clone, Default)]
pub struct WorkerLink {
    inner: Rc<RefCell<Inner>>,
}

impl WorkerLink {
    /// Read `file` in a new worker; its answers go to `on_tell`.
    pub fn open(&self, file: &web_sys::Blob, on_tell: Callback<Tell>) {
        self.stop();
        let worker = match web_sys::Worker::new(WORKER_URL) {
            Ok(w) => w,
            Err(_) => {
                on_tell.emit(failed("the browser could not start the reading worker"));
                return;
            }
        };
        let inner = self.inner.clone();
        let on_msg = {
            let on_tell = on_tell.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                if text == "ready" {
                    let (w, queue) = {
                        let mut i = inner.borrow_mut();
                        i.ready = true;
                        (i.worker.clone(), std::mem::take(&mut i.queue))
                    };
                    if let Some(w) = w {
                        for m in queue {
                            let _ = w.post_message(&m);
                        }
                    }
                } else if let Ok(t) = serde_json::from_str::<Tell>(&text) {
                    on_tell.emit(t);
                }
            })
        };
        let on_err = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            on_tell.emit(failed(
                "the reading worker failed (see the browser console)",
            ));
        });
        worker.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_err.as_ref().unchecked_ref()));
        let mut i = self.inner.borrow_mut();
        i.worker = Some(worker);
        i.ready = false;
        i.queue = vec![file.into()];
        i.handlers = Some((on_msg, on_err));
    }

    /// Ask the worker (held until it is ready).
    pub fn ask(&self, ask: &Ask) {
        let Ok(json) = serde_json::to_string(ask) else {
            return;
        };
        let msg = JsValue::from_str(&json);
        let mut i = self.inner.borrow_mut();
        match (&i.worker, i.ready) {
            (Some(w), true) => {
                let _ = w.post_message(&msg);
            }
            (Some(_), false) => i.queue.push(msg),
            (None, _) => {}
        }
    }

    /// Stop the worker (and whatever it was reading).
    pub fn stop(&self) {
        let mut i = self.inner.borrow_mut();
        if let Some(w) = i.worker.take() {
            w.terminate();
        }
        *i = Inner::default();
    }
}

fn failed(why: &str) -> Tell {
    Tell::Done {
        progress: Progress::default(),
        error: Some(why.to_string()),
        ms: 0.0,
        memory: 0,
    }
}
