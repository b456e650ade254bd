//! The page: wires the state to the components, and owns the effects (debounced and chunked
//! decoding, the URL fragment, the clipboard, downloads).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::{inspect, Job};
use wsinspect_core::Direction;
use wsinspect_view::examples::example;
use wsinspect_view::paste_job::PasteAsk;
use wsinspect_view::share::{self, Shared};
use wsinspect_view::view;
use yew::prelude::*;

use wsinspect_view::capture_view::{Ask, Tell};

use crate::capture_link::{Taken, WorkerLink};
use crate::capture_state::{CaptureAction, CaptureState};
use crate::components::capture_diagnosis::CaptureDiagnosis;
use crate::components::capture_panel::{wanted, CapturePanel};
use crate::components::composer::Composer;
use crate::components::diagnosis_panel::DiagnosisPanel;
use crate::components::frame_detail::{FrameDetail, InContext, Same};
use crate::components::frame_list::FrameList;
use crate::components::handshake_panel::HandshakePanel;
use crate::components::input_panel::InputPanel;
use crate::components::proto_picker::{is_proto, ProtoProvider};
use crate::components::share_bar::ShareBar;
use crate::paste_link::{Answer, PasteLink};
use crate::state::{Action, Highlight, State, Tab};

/// Inputs up to this size are read and decoded at once; larger ones are read in the paste
/// worker, then decoded in slices with progress shown.
const SYNC_LIMIT: usize = 64 * 1024;
/// Frame bytes decoded per step; steps go on until a slice's time is up.
const STEP: usize = 16 * 1024;
/// Milliseconds of decoding before the page gets the main thread back (a frame at 60 Hz).
const SLICE_MS: f64 = 12.0;
const DEBOUNCE_MS: u32 = 200;
/// How long "copied ..." stays in the share bar.
const STATUS_MS: u32 = 3000;

fn paste_ask(s: &State, seq: u64) -> PasteAsk {
    PasteAsk {
        seq,
        format: s.format,
        direction: s.direction,
        extensions: s.extensions.to_string(),
        max_inflated: s.max_inflated,
        typed: s.typed,
    }
}

/// Decode slices of about `SLICE_MS` until done, yielding to the page between slices; stop if
/// a newer input came.
fn run_slices(
    job: Rc<RefCell<Option<Job>>>,
    live: Rc<Cell<u64>>,
    me: u64,
    dispatch: Callback<Action>,
) {
    if live.get() != me {
        return;
    }
    let done = {
        let mut slot = job.borrow_mut();
        let Some(j) = slot.as_mut() else { return };
        let t0 = js_sys::Date::now();
        let finished = loop {
            if j.step(STEP) {
                break true;
            }
            if js_sys::Date::now() - t0 >= SLICE_MS {
                break false;
            }
        };
        let (d, all) = j.progress();
        dispatch.emit(Action::Progress(d, all));
        finished
    };
    if done {
        // The result is shown in a task of its own (its render is the next long piece of work).
        Timeout::new(0, move || {
            if live.get() != me {
                return;
            }
            if let Some(j) = job.borrow_mut().take() {
                dispatch.emit(Action::Decoded(Some(Ok(Rc::new(j.finish())))));
            }
        })
        .forget();
    } else {
        Timeout::new(0, move || run_slices(job, live, me, dispatch)).forget();
    }
}

/// Put the share link's fragment (none: no link) in the address bar and the share bar.
fn show_link(fragment: Option<&str>, share_url: &UseStateHandle<String>) {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_default();
        let url = match fragment {
            Some(f) => format!("{path}#{f}"),
            None => path.clone(),
        };
        // The address already says it (a link being replaced by the same one): no history call.
        let now = format!("{path}{}", w.location().hash().unwrap_or_default());
        if now != url {
            if let Ok(h) = w.history() {
                let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
        }
        share_url.set(w.location().href().unwrap_or_default());
    }
}

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let hash = location().and_then(|l| l.hash().ok()).unwrap_or_default();
        State::new(share::decode(&hash).ok().flatten())
    });
    let highlight = use_reducer(Highlight::default);
    let live = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    let share_url = use_state(String::new);
    // What the share bar says about the link's length, if anything.
    let link_note = use_state(|| None::<String>);
    // The worker that reads large pasted inputs (started on the first one).
    let paste = use_mut_ref(PasteLink::default).borrow().clone();
    let status = use_state(String::new);
    let dispatch = {
        let state = state.clone();
        Callback::from(move |a: Action| state.dispatch(a))
    };

    // A capture file: read in the worker; the page keeps only what it shows.
    let capture = use_reducer(CaptureState::default);
    let link = use_mut_ref(WorkerLink::default).borrow().clone();
    {
        // The reading worker starts while the user picks a file, not after.
        let link = link.clone();
        use_effect_with((), move |_| link.warm());
    }
    // The handshake analysis and the reading of a capture's progress run once, in a task of
    // their own, as the page starts: the browser compiles a wasm function at its first call.
    // The first analysis (a capture's first diagnosis, or a frame's detail) took 14-42 ms of a
    // message's task, against 0-1 ms after; the first progress message's JSON 3-19 ms, against
    // 0-2 ms.
    use_effect_with((), |_| {
        Timeout::new(0, warm_up).forget();
    });
    let panel = use_panel_callbacks(&capture, &state, &link);
    let tabs = use_tab_callbacks(&capture, &state);
    let seq = use_mut_ref(|| 0u64);
    let on_tell = {
        let capture = capture.clone();
        Callback::from(move |t: Tell| match t {
            Tell::Export { name, text } => {
                let _ = download(&name, &text);
            }
            t => capture.dispatch(CaptureAction::Told(t)),
        })
    };
    // A file chosen or dropped: a key log (told by its content, or chosen as one) or a capture.
    let on_taken = {
        let capture = capture.clone();
        Callback::from(move |t: Taken| match t {
            Taken::Capture(name) => capture.dispatch(CaptureAction::Open(name)),
            Taken::KeyLog { name, secrets } => {
                capture.dispatch(CaptureAction::KeyLog(name, secrets))
            }
        })
    };
    let on_files = {
        let link = link.clone();
        let on_tell = on_tell.clone();
        Callback::from(move |(file, keylog): (web_sys::File, bool)| {
            link.take(file, keylog, on_tell.clone(), on_taken.clone());
        })
    };
    let on_file = on_files.reform(|f: web_sys::File| (f, false));
    let on_keylog = on_files.reform(|f: web_sys::File| (f, true));
    // Ask for the rows in view whenever the view, the scroll window or the row count changes.
    {
        let link = link.clone();
        let capture_d = capture.clone();
        let seq = seq.clone();
        let (start, end) = wanted(capture.scroll_top, capture.window.total.max(1 << 20));
        let key = (
            capture.conn,
            capture.filter.clone(),
            start / 10,
            capture.conn_frames(),
            capture.payload.epoch,
            // A connection out of the lists the page holds has a summary as last seen: its
            // rows are asked for again when the file ends.
            capture.loading,
        );
        use_effect_with(key, move |(conn, filter, ..)| {
            if let Some(conn) = *conn {
                let n = {
                    let mut s = seq.borrow_mut();
                    *s += 1;
                    *s
                };
                capture_d.dispatch(CaptureAction::Asked(n));
                link.ask(&Ask::Window {
                    seq: n,
                    conn,
                    filter: filter.clone(),
                    start: start.saturating_sub(10),
                    count: end - start + 20,
                });
            }
        });
    }
    // Ask for the plot when the connection changes or grows.
    {
        let link = link.clone();
        use_effect_with(
            (capture.conn, capture.conn_frames(), capture.loading),
            move |&(conn, ..)| {
                if let Some(conn) = conn {
                    link.ask(&Ask::Plot { conn });
                }
            },
        );
    }
    // Ask for the connection's diagnoses when it is chosen and when it (or the file) ends.
    {
        let link = link.clone();
        use_effect_with(
            (capture.conn, capture.conn_closed(), capture.loading),
            move |&(conn, ..)| {
                if let Some(conn) = conn {
                    link.ask(&Ask::Diagnosis { conn });
                }
            },
        );
    }
    // Ask for the selected frame's detail (again when the worker decoded everything again).
    {
        let link = link.clone();
        let key = (capture.conn, capture.selected, capture.payload.epoch);
        use_effect_with(key, move |&(conn, row, _)| {
            if let (Some(conn), Some(row)) = (conn, row) {
                link.ask(&Ask::Detail { seq: 0, conn, row });
            }
        });
    }
    // A decoder other than auto for the selected message: the worker replays its connection.
    {
        let link = link.clone();
        let p = &capture.payload;
        let key = (
            capture.conn,
            capture.selected,
            p.choice().to_string(),
            p.epoch,
        );
        use_effect_with(key, move |(conn, row, choice, _)| {
            if let (Some(conn), Some(row), false) = (*conn, *row, choice == "auto") {
                let choice = choice.clone();
                link.ask(&Ask::Decoded { conn, row, choice });
            }
        });
    }

    // Decode (debounced) whenever the input or how to read it changes: a small input at once,
    // a large one read in the paste worker, then decoded here in slices bounded in time.
    {
        let dispatch = dispatch.clone();
        let live = live.borrow().clone();
        let paste = paste.clone();
        let share_url = share_url.clone();
        let link_note = link_note.clone();
        let me = live.get() + 1;
        let ask = paste_ask(&state, me);
        use_effect_with(state.decode_key(), move |(input, ..)| {
            let input = input.clone();
            live.set(me);
            let t = Timeout::new(DEBOUNCE_MS, move || {
                if live.get() != me {
                    return;
                }
                if input.trim().is_empty() {
                    dispatch.emit(Action::Decoded(None));
                } else if input.len() <= SYNC_LIMIT {
                    let r = inspect(input.as_bytes(), &ask.options())
                        .map(Rc::new)
                        .map_err(|e| view::input_error(&e, &input));
                    dispatch.emit(Action::Decoded(Some(r)));
                } else {
                    dispatch.emit(Action::Progress(0, input.len()));
                    let text = input.clone();
                    let asked = ask.clone();
                    let on_answer = Callback::from(move |a: Answer| match a {
                        Answer::Read(r, bytes) if r.seq == live.get() => {
                            match r.job(&ask, bytes, &text) {
                                Ok(j) => {
                                    let job = Rc::new(RefCell::new(Some(j)));
                                    let (live, dispatch) = (live.clone(), dispatch.clone());
                                    Timeout::new(0, move || run_slices(job, live, me, dispatch))
                                        .forget();
                                }
                                Err(e) => dispatch.emit(Action::Decoded(Some(Err(e)))),
                            }
                        }
                        Answer::Link {
                            seq,
                            fragment,
                            note,
                        } if seq == live.get() => {
                            show_link(fragment.as_deref(), &share_url);
                            link_note.set(note);
                        }
                        Answer::Failed(e) if live.get() == me => {
                            dispatch.emit(Action::Decoded(Some(Err(e))))
                        }
                        // An answer about an older input.
                        _ => {}
                    });
                    paste.read(&asked, &input, on_answer);
                }
            });
            move || drop(t)
        });
    }

    // Back / Forward to an entry "Send to decoder" kept: show the input its address holds.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |()| {
            use wasm_bindgen::JsCast as _;
            let on_pop = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                let hash = location().and_then(|l| l.hash().ok()).unwrap_or_default();
                dispatch.emit(Action::Restore(share::decode(&hash).ok().flatten()));
            });
            let w = web_sys::window();
            if let Some(w) = &w {
                let _ =
                    w.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback(
                        "popstate",
                        on_pop.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // Keep the input in the URL fragment, so the address is a share link (a large input's
    // link is made in the paste worker, and shown when it comes).
    {
        let share_url = share_url.clone();
        let link_note = link_note.clone();
        use_effect_with(
            state.decode_key(),
            move |(input, format, direction, extensions, max_inflated, _)| {
                if input.len() <= SYNC_LIMIT {
                    let (fragment, note) = share::link(&Shared {
                        input: input.to_string(),
                        format: *format,
                        direction: *direction,
                        extensions: extensions.to_string(),
                        max_inflated: *max_inflated,
                    });
                    show_link(fragment.as_deref(), &share_url);
                    link_note.set(note);
                } else {
                    show_link(None, &share_url);
                    link_note.set(None);
                }
            },
        );
    }

    let on_copy = {
        let state = state.clone();
        let status = status.clone();
        let share_url = share_url.clone();
        Callback::from(move |what: &'static str| {
            let text = match what {
                "link" => Some((*share_url).clone()),
                other => state.result.as_ref().and_then(|i| view::export(i, other)),
            };
            let Some(text) = text else { return };
            let Some(w) = web_sys::window() else { return };
            let promise = w.navigator().clipboard().write_text(&text);
            let status = status.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                status.set(if ok {
                    format!("copied {what}")
                } else {
                    format!("the browser refused the clipboard; select the {what} by hand")
                });
                // The confirmation goes away on its own (a refusal stays until the next copy).
                if ok {
                    Timeout::new(STATUS_MS, move || status.set(String::new())).forget();
                }
            });
        })
    };
    let on_download = {
        let state = state.clone();
        Callback::from(move |()| {
            let Some(text) = state.result.as_ref().and_then(|i| view::export(i, "json")) else {
                return;
            };
            let _ = download("wsinspect-decode.json", &text);
        })
    };
    let on_example = {
        let dispatch = dispatch.clone();
        Callback::from(move |id: String| {
            if let Some(e) = example(&id) {
                dispatch.emit(Action::LoadExample {
                    id,
                    input: (e.input)(),
                    direction: e.direction,
                    extensions: e.extensions.to_string(),
                    max_inflated: e.inflate_limit(),
                });
            }
        })
    };
    let tab = |t: Tab, label: String, role: &'static str| {
        let onclick = dispatch.reform(move |_: MouseEvent| Action::SetTab(t));
        let onkeydown = crate::tabs::on_tab_key(t, dispatch.clone());
        let on = state.tab == t;
        html! {
            <button role="tab" aria-selected={on.to_string()} class={classes!("tab", on.then_some("on"))}
                id={role} aria-controls={if t == Tab::Frames { "tabpanel-frames" } else { "tabpanel" }}
                tabindex={if on { "0" } else { "-1" }}
                data-role={role} {onclick} {onkeydown}>{ label }</button>
        }
    };
    let result = state.result.clone();
    // The last good decode stays on screen while the input has an error, marked stale.
    let stale = state.error.is_some() && result.is_some();
    // The summary walks every frame: once per decode, not on every render (a scroll step).
    let summary = use_memo(result.clone().map(Same), |r| {
        r.as_ref().map(|Same(i)| view::summary(i))
    });
    let summary = (*summary).clone();
    // The Frame tab's view stays mounted (hidden) while another tab shows: leaving it and coming
    // back does not tear down and build a capture's frame detail again (a tab switch was the
    // longest main-thread task while a big capture loaded). The other two are built when shown.
    let frames_view = main_view(Tab::Frames, &state, &capture, (&dispatch, &tabs), &result);
    let other_view = (state.tab != Tab::Frames)
        .then(|| main_view(state.tab, &state, &capture, (&dispatch, &tabs), &result));
    html! {
        <ContextProvider<crate::state::HighlightCtx> context={highlight}>
        <div class="app" data-busy={state.busy.to_string()} data-capture={capture.active().to_string()}
            ondragover={Callback::from(|e: DragEvent| e.prevent_default())}
            ondrop={{ let on_file = on_file.clone(); Callback::from(move |e: DragEvent| {
                e.prevent_default();
                // A capture and its key log may come together (each is told by its content).
                if let Some(l) = e.data_transfer().and_then(|d| d.files()) { (0..l.length()).filter_map(|i| l.get(i)).filter(|f| !is_proto(f)).for_each(|f| on_file.emit(f)) }
            }) }}>
            <ProtoProvider on_change={{ let l = link.clone(); Callback::from(move |a| l.set_proto(a)) }}>
            <header class="top">
                <button class="skip-link" data-role="skip-to-input" onclick={Callback::from(|_: MouseEvent| focus_input())}>{ "Skip to the input" }</button>
                <h1><span class="logo">{ "ws" }</span>{ "inspect" }<small>{ " WebSocket protocol inspector" }</small></h1>
                <label class="open-file button" title="pcap, pcapng, HAR or a Follow-TCP-Stream dump; or drop a file anywhere on the page">
                    { "Open capture…" }
                    <input type="file" data-role="open-file" class="sr-only"
                        onchange={{ let on_file = on_file.clone(); Callback::from(move |e: Event| {
                            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
                            if let Some(f) = el.files().and_then(|l| l.get(0)) { on_file.emit(f) }
                            el.set_value("");
                        }) }} />
                </label>
                <label class="open-file button" title="An SSLKEYLOGFILE (NSS key log) to decrypt wss (TLS) connections in the capture; or drop it on the page">
                    { "Key log…" }
                    <input type="file" data-role="open-keylog" class="sr-only"
                        onchange={Callback::from(move |e: Event| {
                            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
                            if let Some(f) = el.files().and_then(|l| l.get(0)) { on_keylog.emit(f) }
                            el.set_value("");
                        })} />
                </label>
                if let Some(line) = capture.keylog.line() {
                    <span class={classes!("small", if capture.keylog.error.is_some() { "error" } else { "muted" })} data-role="keylog-status" role="status">{ line }</span>
                }
                <ShareBar url={(*share_url).clone()} status={(*status).clone()} has_result={result.is_some() && !stale}
                    note={(*link_note).clone().map(AttrValue::from)}
                    on_copy={on_copy} on_download={on_download} />
            </header>
            <main class={classes!("layout", stale.then_some("stale"), capture.active().then_some("capture-mode"))}>
                <div class="left">
                    if capture.active() {
                        <CapturePanel state={Rc::new((*capture).clone())}
                            on_cancel={panel.cancel.clone()} on_close={panel.close.clone()}
                            on_conn={panel.conn.clone()} on_filter={panel.filter.clone()}
                            on_scroll={panel.scroll.clone()} on_select={panel.select.clone()}
                            diagnosis={capture_diagnosis(&capture, &panel)}
                            on_export={panel.export.clone()} on_conns={panel.conns.clone()} />
                    } else {
                    <InputPanel input={state.input.clone()} format={state.format} direction={state.direction}
                        extensions={state.extensions.clone()} max_inflated={state.max_inflated}
                        example={state.example.clone()}
                        detected={result.as_ref().map(|i| view::notation_label(i.notation))}
                        error={state.error.clone()} progress={state.progress}
                        on_input={dispatch.reform(Action::SetInput)}
                        on_format={dispatch.reform(|f: Format| Action::SetFormat(f))}
                        on_direction={dispatch.reform(Action::SetDirection)}
                        on_extensions={dispatch.reform(Action::SetExtensions)}
                        on_max_inflated={dispatch.reform(Action::SetMaxInflated)}
                        on_example={on_example} />
                    if stale {
                        <p class="stale-note" data-role="stale">{ "Showing the last input that could be read; fix the error above to update it." }</p>
                    }
                    if let Some(s) = summary { <p class="summary" data-role="summary">{ s }</p> }
                    if let Some(i) = result.as_ref().filter(|_| state.has_frames()) {
                        <FrameList inspection={i.clone()} selected={state.selected} scroll_top={state.scroll_top}
                            on_select={dispatch.reform(Action::Select)} on_move={dispatch.reform(Action::Move)}
                            on_scroll={dispatch.reform(Action::Scroll)} />
                    }
                    }
                </div>
                <div class="right">
                    if !capture.active() {
                        <DiagnosisPanel inspection={result.clone()}
                            on_frame={{ let d = dispatch.clone(); Callback::from(move |f| { d.emit(Action::Select(f)); d.emit(Action::SetTab(Tab::Frames)) }) }}
                            on_handshake={dispatch.reform(|()| Action::SetTab(Tab::Handshake))} />
                    }
                    <nav class="tabs" role="tablist" aria-label="Views">
                        { tab(Tab::Frames, "Frame".into(), "tab-frames") }
                        { tab(Tab::Handshake, if capture.active() { view::handshake_tab_label(capture.handshake().as_deref()) } else { view::handshake_tab_label(result.as_ref().and_then(|i| i.handshake.as_ref())) }, "tab-handshake") }
                        { tab(Tab::Composer, "Composer".into(), "tab-composer") }
                    </nav>
                    <div role="tabpanel" id="tabpanel-frames" aria-labelledby="tab-frames" hidden={state.tab != Tab::Frames}>{ frames_view }</div>
                    <div role="tabpanel" id="tabpanel" aria-labelledby={if state.tab == Tab::Composer { "tab-composer" } else { "tab-handshake" }} hidden={other_view.is_none()}>{ other_view.unwrap_or_default() }</div>
                </div>
            </main>
            <crate::components::font_warm::FontWarm />
            </ProtoProvider>
        </div>
        </ContextProvider<crate::state::HighlightCtx>>
    }
}

/// What the first capture's first messages run, run once beforehand (see its caller).
fn warm_up() {
    drop(wsinspect_core::handshake::analyze(WARM_HANDSHAKE));
    let progress = wsinspect_view::capture_view::Progress {
        connections: vec![Default::default()],
        ..Default::default()
    };
    if let Ok(json) = serde_json::to_string(&Tell::Progress(progress)) {
        drop(serde_json::from_str::<Tell>(&json));
    }
}

/// A whole handshake with permessage-deflate (RFC 6455 §1.3's key), for the first analysis.
const WARM_HANDSHAKE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n";

/// What tab `tab` shows.
fn main_view(
    tab: Tab,
    state: &State,
    capture: &UseReducerHandle<CaptureState>,
    (dispatch, tabs): (&Callback<Action>, &TabCallbacks),
    result: &Option<Rc<wsinspect_core::inspect::Inspection>>,
) -> Html {
    match tab {
        Tab::Frames if capture.active() => capture_detail(capture, state, tabs),
        Tab::Handshake if capture.active() => html! {
            <HandshakePanel report={capture.handshake()}
                key_override={state.accept_key.clone()}
                on_key={tabs.accept_key.clone()}
                show_passed={state.show_passed}
                on_toggle_passed={tabs.toggle_passed.clone()} />
        },
        Tab::Frames => match &result {
            Some(i) if state.has_frames() => html! {
                <FrameDetail inspection={i.clone()} index={state.selected} unmask_all={state.unmask_all}
                    on_edit={tabs.edit.clone()}
                    on_unmask_all={tabs.unmask_all.clone()} />
            },
            Some(i) if i.handshake.is_some() => html! {
                <div class="empty" data-role="no-frames">
                    <p class="muted">{ "This input holds a handshake and no frames: its checks and the Accept math are on the Handshake tab." }</p>
                    <button data-role="to-handshake" onclick={dispatch.reform(|_: MouseEvent| Action::SetTab(Tab::Handshake))}>{ "Show the handshake" }</button>
                </div>
            },
            Some(_) => {
                html! { <p class="muted empty" data-role="no-frames">{ "No complete frame in the input." }</p> }
            }
            None => html! {
                <div class="empty welcome">
                    <h2>{ "Dissect WebSocket frames, bit by bit" }</h2>
                    <p>{ "Paste frame bytes (any hex notation, base64, a Wireshark dump), a handshake, or a whole captured stream into the input box, or pick an example. Everything is decoded in this page: nothing you paste leaves it." }</p>
                    <p>{ "Or open a capture file (pcap, pcapng, a HAR saved from the browser's DevTools, a Follow-TCP-Stream dump) with the Open button or by dropping it anywhere on the page: it is read in a background worker, on this machine." }</p>
                </div>
            },
        },
        Tab::Handshake => html! {
            <HandshakePanel report={result.as_ref().and_then(|i| i.handshake.clone()).map(Rc::new)}
                key_override={state.accept_key.clone()}
                on_key={tabs.accept_key.clone()}
                show_passed={state.show_passed}
                on_toggle_passed={tabs.toggle_passed.clone()} />
        },
        Tab::Composer => html! {
            <Composer spec={state.composer.clone()} on_change={tabs.compose.clone()}
                on_send={tabs.send.clone()} />
        },
    }
}

/// The tab views' callbacks, made once on the reducers' dispatchers, for the reason the panel's
/// are: made anew at each render of the page (each progress message while a capture loads),
/// they redrew the shown frame's detail, the handshake's checks or the composer every time.
struct TabCallbacks {
    edit: Callback<wsinspect_view::compose::ComposerSpec>,
    unmask_all: Callback<()>,
    /// A payload decoder chosen for the capture's selected message.
    choice: Callback<String>,
    accept_key: Callback<String>,
    toggle_passed: Callback<()>,
    compose: Callback<wsinspect_view::compose::ComposerSpec>,
    send: Callback<(String, Direction)>,
}

#[hook]
fn use_tab_callbacks(
    capture: &UseReducerHandle<CaptureState>,
    state: &UseReducerHandle<State>,
) -> TabCallbacks {
    let s = &state.dispatcher();
    TabCallbacks {
        edit: use_callback((), dispatching(s, Action::EditInComposer)),
        unmask_all: use_callback((), dispatching(s, |()| Action::ShowAllUnmask)),
        choice: use_callback(
            (),
            dispatching(&capture.dispatcher(), CaptureAction::Choose),
        ),
        accept_key: use_callback((), dispatching(s, Action::SetAcceptKey)),
        toggle_passed: use_callback((), dispatching(s, |()| Action::TogglePassed)),
        compose: use_callback((), dispatching(s, Action::SetComposer)),
        send: use_callback(
            (),
            dispatching(s, |(hex, direction)| Action::SendComposed {
                hex,
                direction,
            }),
        ),
    }
}

/// The capture panel's callbacks, made once (on the reducers' dispatchers, which do not change)
/// or when what they read changes: Yew compares callbacks by identity, so callbacks made anew at
/// each render of the page made every render (a tab switch) redraw the whole panel, its
/// connection list, timeline and plot.
struct PanelCallbacks {
    cancel: Callback<()>,
    close: Callback<()>,
    conn: Callback<u64>,
    filter: Callback<wsinspect_view::capture_view::Filter>,
    scroll: Callback<f64>,
    select: Callback<u32>,
    export: Callback<&'static str>,
    /// Connections `[start, end)` of the list are in view but not held: asked of the worker.
    conns: Callback<(u32, u32)>,
    /// A diagnosis's evidence: its row selected (scrolled into the window) on the Frame tab.
    evidence: Callback<u32>,
    /// A diagnosis's header: the Handshake tab.
    handshake: Callback<()>,
}

#[hook]
fn use_panel_callbacks(
    capture: &UseReducerHandle<CaptureState>,
    state: &UseReducerHandle<State>,
    link: &WorkerLink,
) -> PanelCallbacks {
    let (c, s) = (capture.dispatcher(), state.dispatcher());
    let (l1, l2, l3, l4) = (link.clone(), link.clone(), link.clone(), link.clone());
    let conns_seq = use_mut_ref(|| 0u64);
    let (c1, c2) = (c.clone(), c.clone());
    PanelCallbacks {
        cancel: use_callback((), move |(), _| {
            l1.ask(&Ask::Stop);
            c1.dispatch(CaptureAction::Cancel)
        }),
        close: use_callback((), move |(), _| {
            l2.stop();
            c2.dispatch(CaptureAction::Close)
        }),
        conn: use_callback((), dispatching(&c, CaptureAction::SelectConn)),
        filter: use_callback((), dispatching(&c, CaptureAction::SetFilter)),
        scroll: use_callback((), dispatching(&c, CaptureAction::Scroll)),
        select: use_callback((), dispatching(&c, CaptureAction::Select)),
        export: use_callback(capture.conn, move |format: &'static str, conn| {
            match (*conn, format) {
                (Some(conn), "pcapng") => l3.ask(&Ask::Pcapng { conn }),
                (Some(conn), _) => l3.ask(&Ask::Export {
                    conn,
                    format: format.into(),
                }),
                (None, _) => {}
            }
        }),
        conns: use_callback((), move |(start, end): (u32, u32), _| {
            let seq = {
                let mut n = conns_seq.borrow_mut();
                *n += 1;
                *n
            };
            l4.ask(&Ask::Connections {
                seq,
                start,
                count: end - start,
            });
        }),
        evidence: {
            let (c, s) = (c.clone(), s.clone());
            use_callback((), move |row: u32, _| {
                c.dispatch(CaptureAction::Scroll(
                    f64::from(row.saturating_sub(5)) * crate::components::capture_panel::TL_ROW,
                ));
                c.dispatch(CaptureAction::Select(row));
                s.dispatch(Action::SetTab(Tab::Frames));
            })
        },
        handshake: use_callback((), move |(), _| s.dispatch(Action::SetTab(Tab::Handshake))),
    }
}

/// A callback that dispatches `action` of its value to a reducer (the capture's or the page's).
fn dispatching<R: Reducible + 'static, T: 'static>(
    r: &UseReducerDispatcher<R>,
    action: fn(T) -> R::Action,
) -> impl Fn(T, &()) + 'static {
    let r = r.clone();
    move |v, _| r.dispatch(action(v))
}

/// The selected connection's Diagnosis panel: a frame evidence selects its row (scrolled into
/// the window) on the Frame tab, a header opens the Handshake tab, a hop selects its connection.
fn capture_diagnosis(capture: &UseReducerHandle<CaptureState>, panel: &PanelCallbacks) -> Html {
    html! {
        <CaptureDiagnosis diagnosis={capture.diagnosis.as_ref().map(|(d, _)| d.clone())}
            on_select={panel.evidence.clone()} on_conn={panel.conn.clone()}
            on_handshake={panel.handshake.clone()} />
    }
}

/// The Frame tab for a capture: the selected frame's usual detail (its bytes rebuilt as sent).
fn capture_detail(capture: &CaptureState, state: &State, tabs: &TabCallbacks) -> Html {
    let Some(shown) = &capture.shown else {
        let why = capture.conn_summary().and_then(|c| c.no_frames());
        return match why {
            Some(why) => html! { <p class="muted empty" data-role="no-frames">{ why }</p> },
            None => {
                html! { <p class="muted empty">{ "Select a frame in the timeline to see it bit by bit." }</p> }
            }
        };
    };
    let d = &shown.detail;
    let side = match d.row.side {
        wsinspect_view::capture_view::Side::Client => "client",
        wsinspect_view::capture_view::Side::Server => "server",
    };
    let caption = format!(
        "Connection {} · {side} frame {} · row {}{}",
        d.conn,
        d.row.index,
        d.row.row,
        d.row.time.map_or(String::new(), |t| format!(" · {t:.6} s"))
    );
    let extensions = capture
        .conn_summary()
        .and_then(|c| c.extensions.clone())
        .map(AttrValue::from);
    html! { <div data-role="capture-detail" data-conn={d.conn.to_string()} data-row={d.row.row.to_string()} data-direction={side}>
        <p class="muted capture-caption">{ caption }</p>
        if d.bytes.is_some() {
            <crate::components::frame_link::FrameLinkButton key={format!("{}-{}", d.conn, d.row.row)}
                detail={shown.detail.clone()} {extensions} />
        }
        if let Some(n) = &d.note { <p class="muted" data-role="detail-note">{ n.clone() }</p> }
        if let Some(i) = &shown.inspection {
            <FrameDetail inspection={i.clone()} index={0} unmask_all={state.unmask_all}
                label={AttrValue::from(format!("{} frame {}", side, d.row.index))}
                in_context={InContext {
                    decoded: capture.decoded().map(Rc::new),
                    choice: AttrValue::from(capture.payload.choice().to_string()),
                    on_choice: tabs.choice.clone(),
                }}
                on_unmask_all={tabs.unmask_all.clone()}
                on_edit={tabs.edit.clone()} />
        }
        if let Some(p) = &d.har_payload {
            <div class="detail" data-role="frame-detail" data-har="true">
                <h2 class="detail-title">{ format!("HAR message {} · {} bytes", d.row.index, p.len()) }</h2>
                <p class="muted">{ "A HAR records messages, not frames: there are no header bits or masks to show." }</p>
                <pre class="payload-text" data-role="payload-text" tabindex="0">{ view::visible_text(&p[..p.len().min(4096)]) }</pre>
            </div>
        }
    </div> }
}

/// Move the keyboard focus to the input box (the skip link before the share bar).
fn focus_input() {
    use wasm_bindgen::JsCast as _;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("input"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Offer `text` as a file download (a Blob URL; nothing leaves the page).
fn download(name: &str, text: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()?;
    crate::capture_link::save(name, &blob)
}
