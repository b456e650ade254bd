//! The page's end of the capture worker: start it for a file, hold messages until it is ready,
//! pass its answers on, stop it (cancel, close, or a new file: a fresh worker each time, so a
//! cancelled read can never post into the next one).
//!
//! A worker is started ahead of need (at the page's start, and after each read): its wasm is
//! compiled and instantiated while the user picks a file, so a file's first rows do not wait
//! for that (on a busy 2-core machine, most of the second they used to take).
//!
//! A file the user gives is told by its first bytes: an NSS key log is kept (and given to every
//! capture read after it, before the capture's bytes); anything else is read as a capture. The
//! capture file is remembered, so a key log that comes after it reads it again with the secrets.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wsinspect_view::capture_view::{looks_like_keylog, Ask, Loader, Progress, Tell};
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

/// Bytes of a file's start read to tell a key log from a capture.
const HEAD: f64 = 64.0 * 1024.0;
/// A key log bigger than this is refused (a browser's, over months, is a few MB).
const MAX_KEYLOG: f64 = 64.0 * 1024.0 * 1024.0;

/// The files the user gave: the capture (read again when a key log comes) and the key logs.
#[derive(Default)]
struct Files {
    capture: Option<web_sys::File>,
    keylogs: Vec<Vec<u8>>,
    /// The user's `.proto` (`Ask::Proto`), given to every capture after its file.
    proto: Option<Ask>,
}

/// A worker started before a file needs it, and whether it said it is ready.
struct Spare {
    worker: web_sys::Worker,
    ready: Rc<Cell<bool>>,
    _on_msg: Handler,
}

/// Says on the page's root element that a capture worker finished its warm-up
/// (`data-capture-worker="warm"`, and `data-warm-up`: its rounds and milliseconds), for the
/// browser tests that time a file's load as a user who opened the page a moment before would.
fn mark_warm(said: &str) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = root.set_attribute("data-capture-worker", "warm");
    let _ = root.set_attribute("data-warm-up", said);
}

/// The worker, if one runs.
#[derive(Clone, Default)]
pub struct WorkerLink {
    inner: Rc<RefCell<Inner>>,
    files: Rc<RefCell<Files>>,
    spare: Rc<RefCell<Option<Spare>>>,
}

/// What became of a file the user gave.
pub enum Taken {
    /// A capture: its reading began (again, with the key logs, when one came after it).
    Capture(String),
    /// A key log: how many secrets it held, or why it could not be read.
    KeyLog {
        name: String,
        secrets: Result<usize, String>,
    },
}

async fn bytes_of(blob: &web_sys::Blob, end: f64) -> Result<Vec<u8>, String> {
    let part = blob
        .slice_with_f64_and_f64(0.0, end)
        .map_err(|_| "the browser could not slice the file".to_string())?;
    let buf = wasm_bindgen_futures::JsFuture::from(part.array_buffer())
        .await
        .map_err(|_| "the browser could not read the file".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

impl WorkerLink {
    /// Take a file the user chose or dropped: a key log (`keylog`: chosen as one, else told by
    /// its first bytes) or a capture. What became of it goes to `on_taken` (before the
    /// capture's reading starts), the worker's answers to `on_tell`.
    pub fn take(
        &self,
        file: web_sys::File,
        keylog: bool,
        on_tell: Callback<Tell>,
        on_taken: Callback<Taken>,
    ) {
        let link = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let size = file.size();
            let is_keylog = keylog
                || bytes_of(&file, size.min(HEAD))
                    .await
                    .is_ok_and(|head| looks_like_keylog(&head));
            if !is_keylog {
                on_taken.emit(Taken::Capture(file.name()));
                link.open(&file, on_tell);
                return;
            }
            let secrets = if size > MAX_KEYLOG {
                Err(format!(
                    "it is over {} MiB: not a key log?",
                    MAX_KEYLOG as u64 >> 20
                ))
            } else {
                bytes_of(&file, size).await.and_then(|bytes| {
                    // Checked here so a bad one is told at once; the worker adds it.
                    let n = Loader::new(0).add_keylog(&bytes)?;
                    link.files.borrow_mut().keylogs.push(bytes);
                    Ok(n)
                })
            };
            let reread = secrets.is_ok();
            on_taken.emit(Taken::KeyLog {
                name: file.name(),
                secrets,
            });
            let capture = link.files.borrow().capture.clone();
            if let (true, Some(c)) = (reread, capture) {
                on_taken.emit(Taken::Capture(c.name()));
                link.open(&c, on_tell);
            }
        });
    }

    /// Start a worker for the next file, unless one waits already.
    pub fn warm(&self) {
        if self.spare.borrow().is_some() {
            return;
        }
        let Ok(worker) = web_sys::Worker::new(WORKER_URL) else {
            // `open` says why when a file comes.
            return;
        };
        let ready = Rc::new(Cell::new(false));
        let on_msg = {
            let ready = ready.clone();
            let worker = worker.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                if text == "ready" {
                    ready.set(true);
                    // While no file comes, it runs its decoder until the browser has optimised
                    // it (worker.rs, WARM_ROUNDS); a file that comes first ends that.
                    let _ = worker.post_message(&JsValue::from_str("warm-up"));
                } else if let Some(said) = text.strip_prefix("warm ") {
                    mark_warm(said);
                }
            })
        };
        worker.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        *self.spare.borrow_mut() = Some(Spare {
            worker,
            ready,
            _on_msg: on_msg,
        });
    }

    /// The spare worker (and whether it is ready), or a new one.
    fn take_worker(&self) -> Option<(web_sys::Worker, bool)> {
        match self.spare.borrow_mut().take() {
            Some(s) => Some((s.worker, s.ready.get())),
            None => web_sys::Worker::new(WORKER_URL).ok().map(|w| (w, false)),
        }
    }

    /// Read `file` in a new worker, with the key logs given so far; its answers go to
    /// `on_tell`.
    pub fn open(&self, file: &web_sys::File, on_tell: Callback<Tell>) {
        self.stop();
        self.files.borrow_mut().capture = Some(file.clone());
        let Some((worker, ready)) = self.take_worker() else {
            on_tell.emit(failed("the browser could not start the reading worker"));
            return;
        };
        let inner = self.inner.clone();
        let on_msg = {
            let on_tell = on_tell.clone();
            let link = self.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                // A binary export (the pcapng) comes as a File: offered as a download.
                if let Some(file) = e.data().dyn_ref::<web_sys::File>() {
                    let _ = save(&file.name(), file);
                    return;
                }
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
                    let done = matches!(t, Tell::Done { .. });
                    on_tell.emit(t);
                    if done {
                        // Ready for the next file, now that this one no longer needs the CPU.
                        link.warm();
                    }
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
        let mut queue: Vec<JsValue> = self
            .files
            .borrow()
            .keylogs
            .iter()
            .filter_map(|k| serde_json::to_string(&Ask::KeyLog { bytes: k.clone() }).ok())
            .map(|json| JsValue::from_str(&json))
            .collect();
        queue.push(file.into());
        let proto = self
            .files
            .borrow()
            .proto
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok());
        queue.extend(proto.map(|json| JsValue::from_str(&json)));
        i.handlers = Some((on_msg, on_err));
        if ready {
            // A spare that said so already: its "ready" will not come again.
            i.ready = true;
            if let Some(w) = &i.worker {
                for m in &queue {
                    let _ = w.post_message(m);
                }
            }
        } else {
            i.queue = queue;
        }
    }

    /// The user's `.proto` (`Ask::Proto`; `None`: forgotten): told to the running worker, and
    /// to every later one after its file.
    pub fn set_proto(&self, ask: Option<Ask>) {
        let now = ask.clone().unwrap_or(Ask::Proto {
            files: Vec::new(),
            message: None,
        });
        self.files.borrow_mut().proto = ask;
        self.ask(&now);
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

    /// Stop the worker (and whatever it was reading), and forget its file (the key logs stay).
    pub fn stop(&self) {
        self.files.borrow_mut().capture = None;
        let mut i = self.inner.borrow_mut();
        if let Some(w) = i.worker.take() {
            w.terminate();
        }
        *i = Inner::default();
    }
}

/// Offer `blob` as a file download named `name` (a Blob URL; nothing leaves the page).
pub fn save(name: &str, blob: &web_sys::Blob) -> Option<()> {
    let doc = web_sys::window()?.document()?;
    let url = web_sys::Url::create_object_url_with_blob(blob).ok()?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

fn failed(why: &str) -> Tell {
    Tell::Done {
        progress: Progress::default(),
        error: Some(why.to_string()),
        ms: 0.0,
        memory: 0,
    }
}
