//! Reads a file's slices for the capture worker in a helper worker of its own.
//!
//! `Blob.slice(..).arrayBuffer()` called in the capture worker itself makes progress only when
//! that worker's thread is free: in headless Chromium a 105 MB file read in 1 MiB slices, with
//! 15 ms of work per slice in between, waited 137 ms for its slices and took 245 ms beyond the
//! work. From a helper worker, which transfers each slice's buffer (no copy), it waited 35 ms
//! and took 60 ms beyond it. If the helper cannot be made or fails (a policy forbidding `blob:`
//! workers, a browser without nested workers), the slices are read in the capture worker as
//! before.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, ErrorEvent, MessageEvent, Url, Worker};

/// The helper: one slice at a time, in the order asked, each answered with `{buf}` (the
/// buffer transferred) or `{error}`.
const HELPER_JS: &str = r#"let chain = Promise.resolve();
onmessage = (e) => {
  const { blob, at, end } = e.data;
  chain = chain.then(async () => {
    try {
      const buf = await blob.slice(at, end).arrayBuffer();
      postMessage({ buf }, [buf]);
    } catch (err) {
      postMessage({ error: String(err) });
    }
  });
};"#;

/// Where slices come from: the helper worker, or this worker.
pub struct SliceReader {
    helper: Option<Helper>,
}

struct Helper {
    worker: Worker,
    /// Its script's `blob:` URL, revoked with it.
    url: String,
    /// The resolve functions of the slices asked for, oldest first (the helper answers in order).
    waiting: Queue,
    /// Set when the helper failed: every slice is read here from then on.
    failed: Rc<Cell<bool>>,
    /// Kept alive as long as the helper answers.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

type Queue = Rc<RefCell<VecDeque<js_sys::Function>>>;

/// A slice being read: the browser reads it while the worker decodes the one before.
pub struct Pending {
    blob: Blob,
    at: f64,
    /// Where the slice ends.
    pub end: f64,
    read: Result<JsFuture, String>,
    /// Whether it comes from the helper (its answer is `{buf}` or `{error}`).
    from_helper: bool,
}

impl SliceReader {
    /// A reader with a helper worker if one can be made.
    pub fn new() -> SliceReader {
        SliceReader {
            helper: Helper::new(),
        }
    }

    /// Ask for bytes `at..end` of `blob` (the read starts now).
    pub fn start(&self, blob: &Blob, at: f64, end: f64) -> Pending {
        let asked = self
            .helper
            .as_ref()
            .filter(|h| !h.failed.get())
            .map(|h| h.ask(blob, at, end));
        match asked {
            Some(Ok(answer)) => Pending {
                blob: blob.clone(),
                at,
                end,
                read: Ok(answer),
                from_helper: true,
            },
            // Not asked (or no helper): read here.
            _ => Pending::here(blob, at, end),
        }
    }
}

impl Drop for SliceReader {
    fn drop(&mut self) {
        if let Some(h) = &self.helper {
            h.worker.terminate();
            let _ = Url::revoke_object_url(&h.url);
        }
    }
}

impl Helper {
    fn new() -> Option<Helper> {
        let parts = js_sys::Array::of1(&JsValue::from_str(HELPER_JS));
        let bag = BlobPropertyBag::new();
        bag.set_type("text/javascript");
        let code = Blob::new_with_str_sequence_and_options(&parts, &bag).ok()?;
        let url = Url::create_object_url_with_blob(&code).ok()?;
        let Ok(worker) = Worker::new(&url) else {
            let _ = Url::revoke_object_url(&url);
            return None;
        };
        let waiting: Queue = Rc::default();
        let failed = Rc::new(Cell::new(false));
        let queue = waiting.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(resolve) = queue.borrow_mut().pop_front() {
                let _ = resolve.call1(&JsValue::NULL, &e.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A helper that cannot run (its script refused, say) answers nothing: every slice
        // waiting on it, and every later one, is read here instead.
        let (queue, broken) = (waiting.clone(), failed.clone());
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            e.prevent_default();
            broken.set(true);
            let gone = JsValue::from_str("the helper worker failed");
            let answer = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&answer, &JsValue::from_str("failed"), &gone);
            for resolve in queue.borrow_mut().drain(..) {
                let _ = resolve.call1(&JsValue::NULL, &answer);
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Helper {
            worker,
            url,
            waiting,
            failed,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn ask(&self, blob: &Blob, at: f64, end: f64) -> Result<JsFuture, String> {
        let ask = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&ask, &JsValue::from_str(k), v);
        set("blob", blob)
            .and_then(|_| set("at", &JsValue::from_f64(at)))
            .and_then(|_| set("end", &JsValue::from_f64(end)))
            .map_err(|_| format!("could not ask for the file's bytes at {at}"))?;
        self.worker
            .post_message(&ask)
            .map_err(|_| format!("could not ask for the file's bytes at {at}"))?;
        // Queued only once asked, so the queue and the helper's answers stay in step (its
        // answer comes in a task of its own, after this one).
        let waiting = self.waiting.clone();
        let answer = js_sys::Promise::new(&mut |resolve, _reject| {
            waiting.borrow_mut().push_back(resolve);
        });
        Ok(JsFuture::from(answer))
    }
}

impl Pending {
    /// Bytes `at..end` of `blob`, read by this worker (the read starts now).
    pub fn here(blob: &Blob, at: f64, end: f64) -> Pending {
        Pending {
            blob: blob.clone(),
            at,
            end,
            read: read_here(blob, at, end),
            from_helper: false,
        }
    }

    /// The slice's bytes, or why the browser could not read them.
    pub async fn bytes(self) -> Result<Vec<u8>, String> {
        let failed = || format!("the browser could not read the file at byte {}", self.at);
        let value = self.read?.await.map_err(|_| failed())?;
        let buf = if self.from_helper {
            let field = |k: &str| {
                js_sys::Reflect::get(&value, &JsValue::from_str(k))
                    .ok()
                    .filter(|v| !v.is_undefined())
            };
            if field("failed").is_some() {
                // The helper is gone: this slice is read here.
                let here = read_here(&self.blob, self.at, self.end)?;
                here.await.map_err(|_| failed())?
            } else if let Some(why) = field("error").and_then(|e| e.as_string()) {
                return Err(format!("{}: {why}", failed()));
            } else {
                field("buf").ok_or_else(failed)?
            }
        } else {
            value
        };
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    }
}

/// Bytes `at..end` of `blob`, read by this worker.
fn read_here(blob: &Blob, at: f64, end: f64) -> Result<JsFuture, String> {
    blob.slice_with_f64_and_f64(at, end)
        .map(|part| JsFuture::from(part.array_buffer()))
        .map_err(|_| format!("could not slice the file at byte {at}"))
}
