//! The live view (`/live`): `wsinspect serve`'s feed (`ws://<this host>/api/live`) shown as it
//! arrives: connections as they open and close, frames in a two-lane timeline (client left,
//! server right), pause, auto-scroll, clear, and the selected frame's usual detail. The model
//! (what is kept, what a frame's detail is) is `wsinspect_view::live`; this is the shell.
//! Below it: the page's own WebSocket client, and injection when the server allows it.

mod client;
mod inject;
pub mod socket;

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::Direction;
use wsinspect_view::capture_view::{detail_inspection, Side};
use wsinspect_view::live::{Change, Live, LiveConn, LiveFrame};
use wsinspect_view::share::{self, Shared};
use yew::prelude::*;

use crate::components::capture_panel::{list_step, TL_ROW, TL_VIEWPORT};
use crate::components::frame_detail::FrameDetail;
use crate::state::Highlight;
use crate::virtual_list::visible_window;
use socket::{same_host, Socket, SocketEvent};

/// The page's path for this view.
pub const PATH: &str = "/live";
/// Redraws at most this often while lines pour in.
const REDRAW_MS: u32 = 100;
/// A closed feed is dialled again after this long.
const RETRY_MS: u32 = 2000;

/// Whether the page was opened as the live view (`/live`, or `?live` / `#live` on any path).
pub fn wanted() -> bool {
    let Some(l) = web_sys::window().map(|w| w.location()) else {
        return false;
    };
    l.pathname().is_ok_and(|p| p.trim_end_matches('/') == PATH)
        || l.search().is_ok_and(|s| s == "?live")
        || l.hash().is_ok_and(|h| h == "#live")
}

/// The feed's state, for the status line.
#[derive(Clone, PartialEq)]
enum FeedState {
    Connecting,
    Open,
    Closed(String),
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn row_html(f: &LiveFrame, pos: usize, all: bool, selected: bool, on: &Callback<u64>) -> Html {
    let r = &f.row;
    let seq = f.seq;
    let onclick = on.reform(move |_: MouseEvent| seq);
    let side = side_name(r.side);
    let op = OpCode(r.opcode).label();
    let label = html! {
        <span class="label">
            if all { <span class="conn-tag" title="connection">{ format!("#{}", f.conn) }</span> }
            if f.injected { <span class="badge injected" data-role="injected" title="sent by wsinspect (--allow-inject), not by the peer">{ "injected" }</span> }
            <span class={classes!("op", op)}>{ op }</span>
            if !r.fin { <span class="frag" title="FIN clear: more frames follow">{ "…" }</span> }
            if r.rsv & 4 != 0 { <span class="rsv" title="RSV1 set (compressed)">{ "z" }</span> }
            <span class="len">{ format!("{} B", r.len) }</span>
            <span class="preview" data-role="frame-preview">{ r.preview.clone() }</span>
            { for r.findings.iter().map(|c| html! { <span class={classes!("badge", r.severity.clone())} title={c.clone()}>{ c.clone() }</span> }) }
        </span>
    };
    let arrow = match r.side {
        Side::Client => "──────▶",
        Side::Server => "◀──────",
    };
    html! {
        <div key={seq} class={classes!("tl-row", side, (r.opcode >= 8).then_some("control"), (!r.findings.is_empty()).then_some("has-findings"), selected.then_some("sel"), f.injected.then_some("injected"))}
            data-role="frame-row" data-seq={seq.to_string()} data-conn={f.conn.to_string()}
            data-direction={side} data-opcode={r.opcode.to_string()} data-injected={f.injected.to_string()}
            role="option" aria-selected={selected.to_string()} id={format!("live-{seq}")}
            style={format!("top: {}px", pos as f64 * TL_ROW)} {onclick}>
            <span class="t mono" title="seconds since the connection opened">{ r.time.map_or(String::new(), |t| format!("{t:.6}")) }</span>
            <span class="lane c">if r.side == Side::Client { { label.clone() } }</span>
            <span class="arrow" aria-hidden="true">{ arrow }</span>
            <span class="lane s">if r.side == Side::Server { { label } }</span>
        </div>
    }
}

fn conn_html(c: &LiveConn, selected: bool, on: &Callback<Option<u64>>) -> Html {
    let id = c.id;
    let onclick = on.reform(move |_: MouseEvent| Some(id));
    let state = if c.open { "open" } else { "closed" };
    html! {
        <tr class={classes!("live-conn", selected.then_some("sel"))} data-role="live-conn"
            data-conn={id.to_string()} data-open={c.open.to_string()} {onclick}>
            <td class="mono">{ format!("#{id}") }</td>
            <td class="mono">{ c.client.clone() }</td>
            <td class="mono">{ c.server.clone() }</td>
            <td>{ c.upgrade.clone().unwrap_or_else(|| "…".into()) }</td>
            <td class="mono">{ format!("{} / {}", c.frames[0], c.frames[1]) }</td>
            <td class={classes!("conn-state", state)} title={c.error.clone().unwrap_or_default()}>
                { state }{ c.error.as_ref().map_or(String::new(), |e| format!(" ({e})")) }
                if c.injected > 0 { { format!(" · {} injected", c.injected) } }
            </td>
        </tr>
    }
}

/// Open the frame's bytes on the main page (where the composer is), in a new tab.
fn open_in_main_page(bytes: &[u8], side: Side) {
    let shared = Shared {
        input: wsinspect_core::common::hex(bytes),
        format: Format::Hex,
        direction: match side {
            Side::Client => Direction::Client,
            Side::Server => Direction::Server,
        },
        extensions: String::new(),
        max_inflated: wsinspect_core::stream::DEFAULT_MAX_INFLATED,
    };
    if let Some(w) = web_sys::window() {
        let _ = w.open_with_url_and_target(&format!("/#{}", share::encode(&shared)), "_blank");
    }
}

#[component]
pub fn LivePage() -> Html {
    let model = use_mut_ref(Live::default);
    let redraw = use_force_update();
    let scheduled = use_mut_ref(|| false);
    let feed_state = use_state(|| FeedState::Connecting);
    let feed = use_mut_ref(|| None::<Socket>);
    let attempt = use_state(|| 0u32);
    let paused = use_state(|| None::<u64>);
    let auto = use_state(|| true);
    let conn_sel = use_state(|| None::<u64>);
    let selected = use_state(|| None::<u64>);
    let unmask_all = use_state(|| false);
    let scroll = use_state(|| 0.0f64);
    let highlight = use_reducer(Highlight::default);
    let timeline = use_node_ref();

    // The feed: every line into the model, a redraw at most every REDRAW_MS; dialled again
    // when it closes.
    {
        let (model, redraw, scheduled) = (model.clone(), redraw.clone(), scheduled.clone());
        let (feed_state, feed, attempt_h) = (feed_state.clone(), feed.clone(), attempt.clone());
        use_effect_with(*attempt, move |&n| {
            let on = {
                let feed_state = feed_state.clone();
                move |e: SocketEvent| match e {
                    SocketEvent::Text(line) => {
                        if model.borrow_mut().push_line(&line) == Change::None {
                            return;
                        }
                        if !*scheduled.borrow() {
                            *scheduled.borrow_mut() = true;
                            let (scheduled, redraw) = (scheduled.clone(), redraw.clone());
                            Timeout::new(REDRAW_MS, move || {
                                *scheduled.borrow_mut() = false;
                                redraw.force_update();
                            })
                            .forget();
                        }
                    }
                    SocketEvent::Open => feed_state.set(FeedState::Open),
                    SocketEvent::Closed(code, reason, _) => {
                        feed_state.set(FeedState::Closed(format!(
                            "the feed closed ({code}{}); trying again",
                            if reason.is_empty() {
                                String::new()
                            } else {
                                format!(" {reason}")
                            }
                        )));
                        let attempt_h = attempt_h.clone();
                        Timeout::new(RETRY_MS, move || attempt_h.set(n + 1)).forget();
                    }
                    SocketEvent::Binary(_) | SocketEvent::Error => {}
                }
            };
            match Socket::connect(&same_host("/api/live"), on) {
                Ok(s) => *feed.borrow_mut() = Some(s),
                Err(e) => feed_state.set(FeedState::Closed(e)),
            }
            let feed = feed.clone();
            move || drop(feed.borrow_mut().take())
        });
    }

    let m = model.borrow();
    let rows: Vec<&LiveFrame> = m
        .rows(*conn_sel)
        .into_iter()
        .filter(|f| paused.is_none_or(|p| f.seq <= p))
        .collect();
    let total = rows.len();
    let waiting = match *paused {
        Some(p) => m.rows(*conn_sel).iter().filter(|f| f.seq > p).count(),
        None => 0,
    };
    // Auto-scroll: the newest row in view whenever rows are added.
    {
        let (timeline, auto) = (timeline.clone(), *auto);
        let last = rows.last().map(|f| f.seq);
        use_effect_with((last, auto), move |_| {
            if let (true, Some(el)) = (auto, timeline.cast::<web_sys::HtmlElement>()) {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let (start, end) = visible_window(*scroll, TL_VIEWPORT, TL_ROW, total, 20);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |seq: u64| selected.set(Some(seq)))
    };
    // Up and down move the selection (the list is a listbox), keeping it in view.
    let onkeydown = {
        let seqs: Vec<u64> = rows.iter().map(|f| f.seq).collect();
        let (selected, timeline, auto) = (selected.clone(), timeline.clone(), auto.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Some(by) = list_step(&e.key()) else {
                return;
            };
            e.prevent_default();
            if seqs.is_empty() {
                return;
            }
            let cur = (*selected).and_then(|s| seqs.iter().position(|&x| x == s));
            let at = cur.map_or(seqs.len() - 1, |c| {
                (c as isize + by).clamp(0, seqs.len() as isize - 1) as usize
            });
            // Moving by hand stops following the newest frame.
            auto.set(false);
            selected.set(Some(seqs[at]));
            if let Some(el) = timeline.cast::<web_sys::HtmlElement>() {
                let top = f64::from(el.scroll_top());
                if let Some(to) = crate::virtual_list::scroll_to_row(at, top, TL_VIEWPORT, TL_ROW) {
                    el.set_scroll_top(to as i32);
                }
            }
        })
    };
    let all = conn_sel.is_none();
    let shown = rows[start..end]
        .iter()
        .enumerate()
        .map(|(i, f)| row_html(f, start + i, all, *selected == Some(f.seq), &on_select))
        .collect::<Vec<Html>>();
    let on_conn = {
        let (conn_sel, scroll) = (conn_sel.clone(), scroll.clone());
        Callback::from(move |c: Option<u64>| {
            conn_sel.set(c);
            scroll.set(0.0);
        })
    };
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlElement = e.target_unchecked_into();
            scroll.set(f64::from(el.scroll_top()));
        })
    };
    let on_pause = {
        let paused = paused.clone();
        let last = m.frames().next_back().map_or(0, |f| f.seq);
        Callback::from(move |_: MouseEvent| {
            paused.set(match *paused {
                Some(_) => None,
                None => Some(last),
            })
        })
    };
    let on_auto = {
        let auto = auto.clone();
        Callback::from(move |_: Event| auto.set(!*auto))
    };
    let on_clear = {
        let (model, selected, redraw) = (model.clone(), selected.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            model.borrow_mut().clear();
            selected.set(None);
            redraw.force_update();
        })
    };
    // The selected frame's detail, as a capture file's: the same FrameDetail.
    let detail = (*selected).and_then(|seq| m.detail(seq));
    let inspection = {
        let d = detail.clone();
        use_memo(*selected, move |_| {
            d.as_ref().and_then(detail_inspection).map(Rc::new)
        })
    };
    let detail_html = match &detail {
        None => html! { <p class="muted empty">{ "Select a frame to see it bit by bit." }</p> },
        Some(d) => {
            let side = side_name(d.row.side);
            let bytes = d.bytes.clone().unwrap_or_default();
            let row_side = d.row.side;
            let on_edit = Callback::from(move |_| open_in_main_page(&bytes, row_side));
            let caption = format!(
                "Connection {} · {side} frame {}{}",
                d.conn,
                d.row.index,
                d.row.time.map_or(String::new(), |t| format!(" · {t:.6} s"))
            );
            let unmask = unmask_all.clone();
            html! {
                <div data-role="live-detail" data-conn={d.conn.to_string()} data-seq={d.seq.to_string()} data-direction={side}>
                    <p class="muted capture-caption">{ caption }</p>
                    if let Some(n) = &d.note { <p class="muted" data-role="detail-note">{ n.clone() }</p> }
                    if let Some(i) = &*inspection {
                        <FrameDetail inspection={i.clone()} index={0} unmask_all={*unmask_all}
                            label={AttrValue::from(format!("{side} frame {}", d.row.index))}
                            on_unmask_all={Callback::from(move |()| unmask.set(true))}
                            {on_edit} />
                    }
                </div>
            }
        }
    };
    let (status_text, status_state) = match &*feed_state {
        FeedState::Connecting => ("connecting to the feed…".to_string(), "connecting"),
        FeedState::Open => (format!("live: {}", same_host("/api/live")), "open"),
        FeedState::Closed(why) => (why.clone(), "closed"),
    };
    let first_relay = m
        .relays
        .first()
        .and_then(|r| r.split(' ').next())
        .map(|l| format!("ws://{l}/"));
    let conns: Vec<LiveConn> = m.conns().cloned().collect();
    let inject = m.inject_allowed;
    let dropped = m.dropped_note();
    let notes: Vec<String> = m.notes.iter().cloned().collect();
    let relays = m.relays.clone();
    drop(rows);
    drop(m);
    html! {
        <ContextProvider<crate::state::HighlightCtx> context={highlight}>
        <div class="app live-page" data-role="live">
            <header class="top">
                <h1><a href="/" class="home"><span class="logo">{ "ws" }</span>{ "inspect" }</a><small>{ " live" }</small></h1>
                <span class={classes!("feed-status", status_state)} data-role="feed-status" data-state={status_state} role="status">{ status_text }</span>
            </header>
            <main class="live-layout">
                <section class="live-left">
                    <p class="small muted" data-role="live-relays">
                        if relays.is_empty() { { "No relays: start wsinspect serve with --proxy LISTEN=ws://UPSTREAM to watch a connection." } }
                        else { { format!("Relays: {}. Point a client at a relay's address and its frames appear here.", relays.join(", ")) } }
                    </p>
                    { for notes.iter().map(|n| html! { <p class="error small" data-role="live-note">{ n.clone() }</p> }) }
                    <table class="live-conns" data-role="live-conns">
                        <thead><tr><th>{ "id" }</th><th>{ "client" }</th><th>{ "upstream" }</th><th>{ "upgrade" }</th><th title="frames client / server">{ "frames c/s" }</th><th>{ "state" }</th></tr></thead>
                        <tbody>
                            <tr class={classes!("live-conn", all.then_some("sel"))} data-role="live-conn-all" onclick={on_conn.reform(|_: MouseEvent| None)}>
                                <td colspan="6">{ format!("All connections ({})", conns.len()) }</td>
                            </tr>
                            { for conns.iter().rev().map(|c| conn_html(c, *conn_sel == Some(c.id), &on_conn)) }
                        </tbody>
                    </table>
                    <div class="live-controls">
                        <button data-role="live-pause" aria-pressed={paused.is_some().to_string()} onclick={on_pause}>
                            { if paused.is_some() { "Resume" } else { "Pause" } }</button>
                        <label><input type="checkbox" data-role="live-autoscroll" checked={*auto} onchange={on_auto} />{ " auto-scroll" }</label>
                        <button data-role="live-clear" onclick={on_clear}>{ "Clear" }</button>
                        <span class="small muted" data-role="live-count" data-count={total.to_string()}>
                            { format!("{total} frames shown") }
                            if waiting > 0 { { format!(" · paused: {waiting} new frames waiting") } }
                        </span>
                    </div>
                    if let Some(d) = dropped { <p class="small warn" data-role="live-dropped">{ d }</p> }
                    <div class="tl-head" aria-hidden="true"><span class="t">{ "time (s)" }</span>
                        <span class="lane c">{ "client" }</span><span class="arrow"></span><span class="lane s">{ "server" }</span></div>
                    <div class="timeline" data-role="timeline" ref={timeline} tabindex="0" role="listbox"
                        aria-label="Frames as they arrive, client left, server right (up and down to move)"
                        aria-activedescendant={selected.map(|s| format!("live-{s}"))}
                        data-count={total.to_string()} {onscroll} {onkeydown}>
                        <div class="spacer" style={format!("height: {}px", total as f64 * TL_ROW)}>{ for shown }</div>
                    </div>
                    <client::LiveClient default_url={first_relay.unwrap_or_default()} />
                    if inject {
                        <inject::InjectPanel conns={Rc::new(conns.clone())} selected={*conn_sel} feed={FeedHandle(feed.clone())} />
                    } else {
                        <p class="small muted" data-role="inject-off">{ "Injection (sending a new message into a relayed connection) is off: start wsinspect serve with --allow-inject to allow it." }</p>
                    }
                </section>
                <section class="live-right">{ detail_html }</section>
            </main>
        </div>
        </ContextProvider<crate::state::HighlightCtx>>
    }
}

/// The feed's socket, shared with the injection panel (which sends its commands on it).
#[derive(Clone)]
pub struct FeedHandle(pub Rc<RefCell<Option<Socket>>>);

impl PartialEq for FeedHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
