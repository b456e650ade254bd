//! The page's Web Worker: reads a capture file in slices (`Blob.slice` + `arrayBuffer()`, never
//! the whole file at once, in a helper worker of its own: [`slice_reader`]), feeds them to
//! wsinspect-view's [`Loader`] and posts progress; then
//! answers the page's questions (rows of a view, a frame's detail, exports) from the index it
//! holds. Messages are JSON strings of [`Ask`] and [`Tell`]; the file comes as a `Blob`.
//! Every `await` between slices lets the page's questions in while a big file loads.
//! Key logs ([`Ask::KeyLog`]) come before the file and are given to its [`Loader`].
//! A pasted input is read here too ([`paste_worker`], its own messages, its own worker).

mod paste_worker;
mod slice_reader;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use slice_reader::{Pending, SliceReader};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};
use wsinspect_view::capture_view::{export_refused, Ask, Loader, Tell};

/// Bytes read per slice.
const SLICE: f64 = (1 << 20) as f64;
/// Bytes read in the first slice.
const FIRST_SLICE: f64 = (128 << 10) as f64;
/// Slices asked for ahead of the one being decoded.
const AHEAD: usize = 2;
/// At most one progress message per this many milliseconds.
const TICK_MS: f64 = 400.0;

type Shared = Rc<RefCell<Option<Loader>>>;
type KeyLogs = Rc<RefCell<Vec<Vec<u8>>>>;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(tell: &Tell) {
    if let Ok(json) = serde_json::to_string(tell) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

/// A small capture of real peers (the project's loopback fixture: Python `websockets` with and
/// without permessage-deflate, Node `ws` over IPv6), read once when the worker starts.
const WARM_UP: &[u8] = include_bytes!("../../tests/data/pcap/echo.pcap");

/// Reads [`WARM_UP`] through the path a file takes, and throws the result away. The browser
/// compiles a wasm function when it is first called; without this, the compiling of the whole
/// decoder fell on the first slice of the user's file and held back its first rows.
fn warm_up() {
    let mut l = Loader::new(WARM_UP.len() as u64);
    let _ = feed(&mut l, WARM_UP);
    let _ = serde_json::to_string(&Tell::Progress(l.progress()));
    let _ = l.finish();
}

/// The decoding of a slice: one function for the warm-up and for a file, so that the code the
/// warm-up makes hot is the code a file runs (inlined into each caller, it was two copies).
#[inline(never)]
fn feed(l: &mut Loader, bytes: &[u8]) -> Result<(), String> {
    l.feed(bytes)
}

/// The page's request to read [`WARM_UP`] again in the background ([`WARM_ROUNDS`] times), sent
/// to a capture worker started ahead of a file (a plain string, not an [`Ask`]).
const WARM_ASK: &str = "warm-up";

/// How often the background warm-up reads [`WARM_UP`] (150 times is 4.3 MB).
///
/// The browser first runs a wasm function in code compiled fast, and compiles it again,
/// optimised, once it has run a while ("dynamic tiering"). One read makes the functions hot
/// that a file's first slice needs, not the rest: in a trace of the 100 MB benchmark file, the
/// optimising compiler then took 0.8 s of the second core during the load, on functions called
/// per connection or per message, while the decoding needed it. 150 reads move most of that to
/// before a file is chosen (docs/benchmarks.md, 2026-11-29 afternoon).
const WARM_ROUNDS: u32 = 150;

/// Milliseconds between the page's request and the first background read: the page's own start
/// goes first.
const WARM_DELAY_MS: u32 = 200;

/// Reads [`WARM_UP`] `left` more times, each in a task of its own (a file or a question that
/// comes in between is answered at once, and ends the warm-up: `quiet` is false), then tells
/// the page `warm ROUNDS MS`.
fn warm_rounds(quiet: Rc<Cell<bool>>, left: u32, t0: f64) {
    if !quiet.get() {
        return;
    }
    if left == 0 {
        let ms = js_sys::Date::now() - t0;
        let _ = scope().post_message(&JsValue::from_str(&format!("warm {WARM_ROUNDS} {ms:.0}")));
        return;
    }
    warm_up();
    gloo_timers::callback::Timeout::new(0, move || warm_rounds(quiet, left - 1, t0)).forget();
}

fn main() {
    warm_up();
    let loader: Shared = Rc::new(RefCell::new(None));
    // Its helper starts with the worker, before a file is chosen (the page starts this worker
    // early for the same reason).
    let reader = Rc::new(SliceReader::new());
    let stop = Rc::new(Cell::new(false));
    let keylogs: KeyLogs = Rc::default();
    // No file or question yet: the background warm-up may run.
    let quiet = Rc::new(Cell::new(true));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        if data.as_string().as_deref() == Some(WARM_ASK) {
            let quiet = quiet.clone();
            let t0 = js_sys::Date::now();
            gloo_timers::callback::Timeout::new(WARM_DELAY_MS, move || {
                warm_rounds(quiet, WARM_ROUNDS, t0)
            })
            .forget();
            return;
        }
        quiet.set(false);
        if paste_worker::answer(&data) {
            return;
        }
        if let Some(blob) = data.dyn_ref::<Blob>() {
            let blob = blob.clone();
            let loader = loader.clone();
            stop.set(false);
            let keylogs = keylogs.borrow().clone();
            let reader = reader.clone();
            wasm_bindgen_futures::spawn_local(read(blob, loader, stop.clone(), keylogs, reader));
        } else if let Some(text) = data.as_string() {
            let Ok(ask) = serde_json::from_str::<Ask>(&text) else {
                return;
            };
            if ask == Ask::Stop {
                stop.set(true);
                return;
            }
            if let Ask::KeyLog { bytes } = ask {
                keylogs.borrow_mut().push(bytes);
                return;
            }
            if let Ask::Pcapng { conn } = ask {
                if let Some(l) = loader.borrow().as_ref() {
                    pcapng(l, conn);
                }
                return;
            }
            let tell = loader
                .borrow_mut()
                .as_mut()
                .and_then(|l| l.index.answer(ask));
            if let Some(t) = tell {
                post(&t);
            }
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // The page holds its messages until the worker can take them.
    let _ = scope().post_message(&JsValue::from_str("ready"));
}

/// Connection `conn` as a pcapng `File` (binary: not JSON), then what it holds
/// ([`Tell::Exported`]); or why there is none.
fn pcapng(l: &Loader, conn: u64) {
    let e = match l.index.pcapng(conn) {
        Ok(e) => e,
        Err(why) => return post(&export_refused(conn, why)),
    };
    let bytes = js_sys::Uint8Array::from(&e.bytes[..]);
    let parts = js_sys::Array::of1(&bytes);
    match web_sys::File::new_with_u8_array_sequence(&parts, &e.name) {
        Ok(file) => {
            let _ = scope().post_message(&file);
            post(&e.tell());
        }
        Err(_) => post(&export_refused(
            conn,
            "the browser could not make the file".into(),
        )),
    }
}

async fn read(
    blob: Blob,
    loader: Shared,
    stop: Rc<Cell<bool>>,
    keylogs: Vec<Vec<u8>>,
    reader: Rc<SliceReader>,
) {
    let t0 = js_sys::Date::now();
    let total = blob.size();
    let mut fresh = Loader::new(total as u64);
    for k in &keylogs {
        // A bad key log is kept in the progress (`keylog_error`), the capture read without it.
        let _ = fresh.add_keylog(k);
    }
    *loader.borrow_mut() = Some(fresh);
    let mut at = 0.0;
    // The first slice's progress goes out at once: the page shows the first rows early.
    let mut last = t0 - TICK_MS;
    let mut listed = Vec::new();
    let mut tls_listed = Vec::new();
    let mut error = None;
    // A small first slice, read here (the shortest way): the first rows show before a whole
    // slice is decoded.
    let mut asked = FIRST_SLICE.min(total);
    let mut next: VecDeque<Pending> = VecDeque::from([Pending::here(&blob, 0.0, asked)]);
    while at < total {
        if stop.get() {
            error = Some(format!(
                "Reading stopped at byte {at} of {total}: showing what was read before."
            ));
            break;
        }
        // The next slices are read while this one is decoded; not before the first one's
        // rows are out, so their reading does not compete with it for the file and the cores.
        let ahead = if at == 0.0 { 0 } else { AHEAD };
        while next.len() <= ahead && asked < total {
            let end = (asked + SLICE).min(total);
            next.push_back(reader.start(&blob, asked, end));
            asked = end;
        }
        let Some(this) = next.pop_front() else { break };
        let end = this.end;
        let bytes = this.bytes().await;
        let fed = match bytes {
            Ok(bytes) => loader
                .borrow_mut()
                .as_mut()
                .map_or(Ok(()), |l| feed(l, &bytes)),
            Err(e) => Err(e),
        };
        at = end;
        if let Err(e) = fed {
            error = Some(e);
            break;
        }
        let now = js_sys::Date::now();
        if now - last >= TICK_MS {
            last = now;
            if let Some(l) = loader.borrow().as_ref() {
                let mut p = l.progress();
                // Each list is sent only when it changed: the page parses and renders less.
                if p.connections == listed {
                    p.connections.clear();
                    p.unchanged = true;
                } else {
                    listed.clone_from(&p.connections);
                }
                if p.tls_flows == tls_listed {
                    p.tls_flows.clear();
                    p.tls_unchanged = true;
                } else {
                    tls_listed.clone_from(&p.tls_flows);
                }
                post(&Tell::Progress(p));
            }
        }
    }
    let mut slot = loader.borrow_mut();
    let Some(l) = slot.as_mut() else { return };
    // A stopped read ends its open flows too, so their last messages count.
    let finished = l.finish();
    if error.is_none() {
        error = finished.err();
    }
    post(&Tell::Done {
        progress: l.progress(),
        error,
        ms: js_sys::Date::now() - t0,
        memory: wasm_memory(),
    });
}

/// The worker's linear memory in bytes.
#[cfg(target_arch = "wasm32")]
fn wasm_memory() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * 65536
}

#[cfg(not(target_arch = "wasm32"))]
fn wasm_memory() -> u64 {
    0
}
