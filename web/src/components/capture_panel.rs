//! A capture file: progress and cancel while it loads, the connections list, and the chosen
//! connection as a two-lane timeline (client left, server right, time downwards) with filters
//! and search. Rows come from the worker a window at a time; only visible rows exist.

use std::rc::Rc;

use wsinspect_core::wire::codes::OpCode;
use wsinspect_view::capture_view::{
    clock, duration, grouped, ConnSummary, Filter, FrameRow, GroupMark, GroupRole, OpFilter,
    PlotPoint, Progress, RateBin, Rates, SearchMode, Side, TlsSummary,
};
use yew::prelude::*;

use crate::capture_state::{CaptureState, ConnWindow, Exported, Window};
use crate::virtual_list::{scroll_to_row, visible_window};

/// Timeline row and viewport heights in CSS pixels (style.css uses the same numbers).
pub const TL_ROW: f64 = 34.0;
pub const TL_VIEWPORT: f64 = 510.0;
/// Rows asked for beyond the visible ones, each side.
pub const OVERSCAN: usize = 20;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: Rc<CaptureState>,
    pub on_cancel: Callback<()>,
    pub on_close: Callback<()>,
    pub on_conn: Callback<u64>,
    pub on_filter: Callback<Filter>,
    pub on_scroll: Callback<f64>,
    pub on_select: Callback<u32>,
    pub on_export: Callback<&'static str>,
    /// Connections `[start, end)` of the list are in view but not held.
    pub on_conns: Callback<(u32, u32)>,
    /// Shown first under the connection's title (its Diagnosis panel).
    #[prop_or_default]
    pub diagnosis: Html,
}

/// The rows `[start, end)` to ask for at a scroll position.
pub fn wanted(scroll_top: f64, total: u32) -> (u32, u32) {
    let (a, b) = visible_window(scroll_top, TL_VIEWPORT, TL_ROW, total as usize, OVERSCAN);
    (a as u32, b as u32)
}

fn progress_bar(p: &Progress, on_cancel: &Callback<()>) -> Html {
    let pct = if p.total > 0 {
        p.read as f64 * 100.0 / p.total as f64
    } else {
        0.0
    };
    let cancel = on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="capture-progress" data-role="progress" role="status">
            <progress max="100" value={format!("{pct:.0}")}></progress>
            <span>{ format!("{} of {} bytes · {} connections · {} frames",
                grouped(p.read), grouped(p.total), grouped(p.connection_count), grouped(p.frames)) }</span>
            <button data-role="cancel" onclick={cancel}>{ "Cancel" }</button>
        </div>
    }
}

fn findings_cell(c: &ConnSummary) -> Html {
    let [e, w, n] = c.findings;
    if e + w + n == 0 {
        return html! { <span class="muted">{ "none" }</span> };
    }
    html! { <>
        if e > 0 { <span class="badge error" title="errors">{ format!("{e} error") }</span> }
        if w > 0 { <span class="badge warning" title="warnings">{ format!("{w} warn") }</span> }
        if n > 0 { <span class="badge note" title="notes">{ format!("{n} note") }</span> }
    </> }
}

/// A TLS report as a badge: version, SNI, and "decrypted" or why not (the whole in its title);
/// `short` (in a connection's row): the version and ✓ or ✗.
fn tls_badge(t: &TlsSummary, short: bool) -> Html {
    let title = [Some(t.line()), t.suite.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    let version = t.version.as_deref().unwrap_or("TLS");
    let text = if short {
        format!("{version} {}", if t.decrypted { "✓" } else { "✗" })
    } else {
        let sni = t
            .sni
            .as_deref()
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        let state = if t.decrypted {
            "decrypted"
        } else {
            "not decrypted"
        };
        format!("{version}{sni} · {state}")
    };
    html! {
        <span class={classes!("badge", "tls", if t.decrypted { "pass" } else { "warning" })} data-role="tls"
            data-decrypted={t.decrypted.to_string()} data-version={t.version.clone().unwrap_or_default()}
            data-sni={t.sni.clone().unwrap_or_default()} {title}>{ text }
            if short { <span class="sr-only">{ format!(" ({})", t.line()) }</span> }</span>
    }
}

/// TLS list row height and most visible height in CSS pixels (style.css uses the same numbers).
const TLS_ROW: f64 = 22.0;
const TLS_VIEWPORT: f64 = 176.0;

#[derive(Properties, PartialEq)]
struct TlsProps {
    progress: Rc<Progress>,
}

/// The TLS flows that are not WebSocket connections (none decrypted, or decrypted HTTP), and
/// what the user can do: give the key log. Virtualised like the connections: a capture of a
/// browser's traffic lists up to 200, and drawing them all made the first rows' render long.
#[component]
fn TlsFlows(props: &TlsProps) -> Html {
    let top = use_state(|| 0.0f64);
    let p = &props.progress;
    if p.tls_flow_count == 0 {
        return Html::default();
    }
    let needs = p.tls_flows.iter().filter(|f| f.tls.needs_keylog).count();
    let (a, b) = visible_window(*top, TLS_VIEWPORT, TLS_ROW, p.tls_flows.len(), 4);
    let rows = p.tls_flows[a..b].iter().enumerate().map(|(i, f)| {
        html! { <div role="listitem" class="tls-row" data-role="tls-flow" data-id={f.id.to_string()} data-kind={f.kind.clone()}
        data-needs-keylog={f.tls.needs_keylog.to_string()} style={format!("top: {}px", (a + i) as f64 * TLS_ROW)}>
        <span class="mono">{ format!("{} {} → {}", f.id, f.client, f.server) }</span>{ " " }
        { tls_badge(&f.tls, false) }{ " " }<span class="muted">{ f.tls.line() }</span></div> }
    });
    let onscroll = {
        let top = top.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlElement = e.target_unchecked_into();
            top.set(f64::from(el.scroll_top()));
        })
    };
    let height = p.tls_flows.len() as f64 * TLS_ROW;
    html! {
        <details class="tls-flows" open={needs > 0}>
            <summary data-role="tls-flows" data-count={p.tls_flow_count.to_string()}>
                { format!("{} TLS flow(s) not shown as WebSocket connections", grouped(p.tls_flow_count)) }</summary>
            if needs > 0 {
                <p class="warn-text" data-role="keylog-needed" role="status">{ format!(
                    "{needs} TLS flow(s) could not be decrypted: no secrets for them. To read wss connections, give the key log the browser or client wrote (SSLKEYLOGFILE): the Key log… button, or drop it on the page{}.",
                    if p.secrets > 0 { " (the secrets given are not for these)" } else { "" }) }</p>
            }
            <div class="tls-list" role="list" tabindex="0" aria-label="TLS flows" {onscroll}
                style={format!("height: {}px", height.min(TLS_VIEWPORT))}>
                <div class="spacer" style={format!("height: {height}px")}>{ for rows }</div>
            </div>
        </details>
    }
}

/// Connection list row and viewport heights in CSS pixels (style.css uses the same numbers).
pub const CONN_ROW: f64 = 40.0;
pub const CONN_VIEWPORT: f64 = 200.0;

fn connection_row(c: &ConnSummary, pos: usize, sel: bool, on_conn: &Callback<u64>) -> Html {
    let id = c.id;
    let onclick = on_conn.reform(move |_: MouseEvent| id);
    let total = |a: [u64; 2]| (a[0] + a[1]).to_string();
    let span = match (c.start, c.end) {
        (Some(a), Some(b)) => duration(b - a),
        _ => "-".into(),
    };
    let ext = [c.subprotocol.as_deref(), c.extensions.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let upgrade_ok = c.upgrade == "101";
    let ends = if c.har {
        c.client.clone()
    } else {
        format!("{} → {}", c.client, c.server)
    };
    html! {
        <div key={id} class={classes!("conn-row", sel.then_some("sel"))} data-role="connection-row"
            data-id={id.to_string()} data-client={c.client.clone()}
            data-frames={total(c.frames)} data-messages={total(c.messages)}
            data-client-frames={c.frames[0].to_string()} data-server-frames={c.frames[1].to_string()}
            data-client-messages={c.messages[0].to_string()} data-server-messages={c.messages[1].to_string()}
            role="option" aria-selected={sel.to_string()} style={format!("top: {}px", pos as f64 * CONN_ROW)} {onclick}>
            <span class="num">{ id }</span>
            <span class="ends mono" title={ends.clone()}>{ ends }<br/>
                <span class="muted small">{ c.start.map_or("-".into(), clock) }{ " · " }{ span }</span></span>
            <span class="num" title="frames: client / server">{ format!("{} / {}", c.frames[0], c.frames[1]) }</span>
            <span class="num" title="messages: client / server">{ format!("{} / {}", c.messages[0], c.messages[1]) }</span>
            <span class="num" title="bytes: client / server">{ format!("{} / {}", grouped(c.bytes[0]), grouped(c.bytes[1])) }</span>
            <span class="findings">{ super::capture_diagnosis::badge(c) }{ findings_cell(c) }</span>
            <span class={classes!("upgrade", (!upgrade_ok).then_some("bad"))} title={ext.clone()}>{ c.upgrade.clone() }
                if let Some(t) = &c.tls { { " " }{ tls_badge(t, true) } }
                if !ext.is_empty() { <br/><span class="muted small">{ ext }</span> }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ConnProps {
    progress: Rc<Progress>,
    /// The list past the progress message's, where it was asked for.
    window: ConnWindow,
    /// The file is still being read.
    loading: bool,
    selected: Option<u64>,
    on_conn: Callback<u64>,
    /// Connections `[start, end)` of the list are in view but not held: ask the worker.
    on_need: Callback<(u32, u32)>,
}

/// The connections, virtualised (a capture can hold thousands); its scroll is its own. The
/// progress messages carry the first [`MAX_LISTED`](wsinspect_view::capture_view::MAX_LISTED);
/// the rest come from the worker as they scroll into view, again as it reads on.
#[component]
fn Connections(props: &ConnProps) -> Html {
    let top = use_state(|| 0.0f64);
    let p = &props.progress;
    let listed = p.connections.len();
    let total = (p.connection_count as usize).max(listed);
    let (a, b) = visible_window(*top, CONN_VIEWPORT, CONN_ROW, total, 4);
    {
        let on_need = props.on_need.clone();
        // Asked again as the file is read (the rows' counts grow: `frames` moves then) and
        // when it ends (the connections still open end then).
        use_effect_with(
            (a, b, listed, p.frames, props.loading),
            move |&(a, b, listed, ..)| {
                if b > listed {
                    on_need.emit((a as u32, b as u32));
                }
            },
        );
    }
    let at = |i: usize| p.connections.get(i).or_else(|| props.window.at(i));
    let rows = (a..b).filter_map(|i| {
        at(i).map(|c| connection_row(c, i, props.selected == Some(c.id), &props.on_conn))
    });
    let onscroll = {
        let top = top.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlElement = e.target_unchecked_into();
            top.set(f64::from(el.scroll_top()));
        })
    };
    html! {
        <div class="conn-list">
            // Header and rows scroll sideways together on a narrow screen.
            <div class="conn-table">
            <div class="conn-head conn-grid" aria-hidden="true">
                <span>{ "#" }</span><span>{ "client → server · start · duration" }</span>
                <span class="num">{ "frames c/s" }</span><span class="num">{ "msgs c/s" }</span>
                <span class="num">{ "bytes c/s" }</span><span>{ "findings" }</span><span>{ "upgrade" }</span>
            </div>
            <div class="conn-scroll" role="listbox" aria-label="WebSocket connections" {onscroll}
                style={format!("height: {}px", (total.clamp(1, 5) as f64) * CONN_ROW)}
                data-count={total.to_string()}>
                <div class="spacer" style={format!("height: {}px", total as f64 * CONN_ROW)}>{ for rows }</div>
            </div>
            </div>
            <p class="muted small" data-role="other-flows">{ format!(
                "{} WebSocket connection(s); {} other TCP flow(s) (not WebSocket: HTTP, TLS, other) not shown{}",
                grouped(p.connection_count),
                p.other_flows,
                if p.packets > 0 { format!("; {} packets", grouped(p.packets)) } else { String::new() }) }</p>
            <TlsFlows progress={props.progress.clone()} />
        </div>
    }
}

/// What the last pcapng (or refused JSON) export holds, or why there is none.
fn export_note(e: &Exported) -> Html {
    let text = match &e.name {
        Some(name) => format!(
            "{name}: {} frames, {} bytes{}",
            grouped(e.frames),
            grouped(e.size),
            e.note
                .as_deref()
                .map(|n| format!(". Not in it: {n}"))
                .unwrap_or_default()
        ),
        None => format!(
            "Not exported: {}",
            e.note.as_deref().unwrap_or("the worker gave no reason")
        ),
    };
    html! {
        <p class={classes!("small", if e.note.is_some() { "warn-text" } else { "muted" })} data-role="export-note"
            data-name={e.name.clone().unwrap_or_default()} data-frames={e.frames.to_string()}
            data-size={e.size.to_string()} data-complete={e.note.is_none().to_string()} role="status">{ text }</p>
    }
}

/// The connection's exports (a row of their own under the filters), and what the last binary
/// one holds.
fn exports(on_export: &Callback<&'static str>, exported: Option<&Exported>) -> Html {
    html! {
        <div class="toolbar exports" role="group" aria-label="Export the connection">
            <span>{ "Export the connection:" }</span>
            <button data-role="export-jsonl" onclick={on_export.reform(|_: MouseEvent| "jsonl")}
                title="Its messages, one JSON object a line">{ "JSONL" }</button>
            <button data-role="export-csv" onclick={on_export.reform(|_: MouseEvent| "csv")}
                title="Its messages as CSV">{ "CSV" }</button>
            <button data-role="export-json" onclick={on_export.reform(|_: MouseEvent| "json")}
                title="Its decode as `wsinspect pcap --json --connection ID` prints it">{ "JSON (CLI)" }</button>
            <button data-role="export-pcapng" onclick={on_export.reform(|_: MouseEvent| "pcapng")}
                title="Its bytes, both directions with the handshake, at their capture times: opens in Wireshark">{ "pcapng" }</button>
            if let Some(e) = exported { { export_note(e) } }
        </div>
    }
}

fn filters(f: &Filter, w: &Window, on_filter: &Callback<Filter>) -> Html {
    let set = |change: fn(&mut Filter, String)| {
        let f = f.clone();
        on_filter.reform(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut f = f.clone();
            change(&mut f, el.value());
            f
        })
    };
    let on_side = set(|f, v| {
        f.side = match v.as_str() {
            "client" => Some(Side::Client),
            "server" => Some(Side::Server),
            _ => None,
        }
    });
    let on_op = set(|f, v| f.opcode = OpFilter::parse(&v));
    let on_mode = set(|f, v| {
        f.mode = match v.as_str() {
            "case" => SearchMode::Case,
            "regex" => SearchMode::Regex,
            _ => SearchMode::Plain,
        }
    });
    let on_findings = {
        let f = f.clone();
        on_filter.reform(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Filter {
                findings: el.checked(),
                ..f.clone()
            }
        })
    };
    let on_search = {
        let f = f.clone();
        on_filter.reform(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Filter {
                query: el.value(),
                ..f.clone()
            }
        })
    };
    let side = match f.side {
        None => "all",
        Some(Side::Client) => "client",
        Some(Side::Server) => "server",
    };
    let op_options = OpFilter::ALL.iter().map(|(o, v, label)| {
        html! {
            <option value={*v} selected={*o == f.opcode}>{ *label }</option>
        }
    });
    let mode = match f.mode {
        SearchMode::Plain => "plain",
        SearchMode::Case => "case",
        SearchMode::Regex => "regex",
    };
    let count = if f.query.is_empty() {
        format!("{} frames", grouped(w.total.into()))
    } else {
        format!(
            "{} matching messages · {} frames",
            w.matches,
            grouped(w.total.into())
        )
    };
    html! {
        <div class="filters toolbar" role="group" aria-label="Filters and search">
            <label>{ "Direction " }
                <select data-role="filter-direction" onchange={on_side}>
                    <option value="all" selected={side == "all"}>{ "both" }</option>
                    <option value="client" selected={side == "client"}>{ "client → server" }</option>
                    <option value="server" selected={side == "server"}>{ "server → client" }</option>
                </select></label>
            <label>{ "Opcode " }<select data-role="filter-opcode" onchange={on_op}>{ for op_options }</select></label>
            <label><input type="checkbox" data-role="filter-findings" checked={f.findings} onchange={on_findings} />{ " has findings" }</label>
            // The box and its mode wrap together.
            <span class="search-group">
                <label class="grow">{ "Search " }
                    <input type="search" data-role="search" placeholder="message text" value={f.query.clone()}
                        oninput={on_search} aria-invalid={w.error.is_some().then_some("true")} /></label>
                <select data-role="search-mode" aria-label="Search mode" onchange={on_mode}>
                    <option value="plain" selected={mode == "plain"}>{ "any case" }</option>
                    <option value="case" selected={mode == "case"}>{ "match case" }</option>
                    <option value="regex" selected={mode == "regex"}>{ "regex" }</option>
                </select>
            </span>
            <span class="search-count" data-role="search-count" data-matches={w.matches.to_string()}
                data-total={w.total.to_string()} aria-live="polite">{ count }</span>
            if let Some(e) = &w.error { <p class="error" data-role="search-error">{ e.to_string() }</p> }
        </div>
    }
}

/// The plots' width in SVG units (the plots stretch to the panel's width).
const PLOT_W: f64 = 600.0;

/// A rate as people read it: `0.5 msg/s`, `4,000 msg/s`, `850 B/s`, `7.4 MB/s`.
fn rate_text(v: f64, unit: &str) -> String {
    let prefixed = unit == "B/s";
    match v {
        v if prefixed && v >= 1e6 => format!("{:.1} M{unit}", v / 1e6),
        v if prefixed && v >= 1e3 => format!("{:.1} k{unit}", v / 1e3),
        v if v >= 10.0 => format!("{} {unit}", grouped(v.round() as u64)),
        v => format!("{v:.1} {unit}"),
    }
}

/// One strip of the rates: a bar per bin, the client's above the line and the server's below,
/// scaled to the strip's peak; a bar selects its bin's first message of that side.
fn rate_strip(
    rates: &Rates,
    t_max: f64,
    kind: &'static str,
    value: fn(&RateBin) -> [f64; 2],
    selected: Option<u32>,
    on_select: &Callback<u32>,
) -> Html {
    const H: f64 = 56.0;
    const MID: f64 = H / 2.0;
    let (unit, peak) = match kind {
        "messages" => ("msg/s", rates.peaks().0),
        _ => ("B/s", rates.peaks().1),
    };
    let peak = peak.max(1e-9);
    let scale = (PLOT_W - 12.0) / t_max;
    let bars = rates.bins.iter().enumerate().flat_map(|(i, b)| {
        let v = value(b);
        [Side::Client, Side::Server].into_iter().filter_map(move |side| {
            let s = side as usize;
            let row = b.row[s]?;
            let h = (v[s] / peak * (MID - 2.0)).max(1.0);
            let x = 6.0 + i as f64 * rates.bin * scale;
            let w = (rates.bin * scale - 0.6).max(0.8);
            let (y, name) = match side {
                Side::Client => (MID - h, "client"),
                Side::Server => (MID, "server"),
            };
            let from = i as f64 * rates.bin;
            let title = format!(
                "{name}: {} · {} from {} to {}",
                rate_text(b.messages[s], "msg/s"),
                rate_text(b.bytes[s], "B/s"),
                duration(from),
                duration(from + rates.bin)
            );
            let onclick = on_select.reform(move |_: MouseEvent| row);
            Some(html! {
                <rect class={classes!("bar", name, (selected == Some(row)).then_some("sel"))} x={format!("{x:.2}")}
                    y={format!("{y:.2}")} width={format!("{w:.2}")} height={format!("{h:.2}")}
                    data-role="rate-bar" data-kind={kind} data-side={name} data-bin={i.to_string()}
                    data-row={row.to_string()} data-rate={format!("{:.6}", v[s])} {onclick}>
                    <title>{ title }</title>
                </rect>
            })
        })
    });
    html! {
        <div class="rate-strip" data-role="rates" data-kind={kind} data-peak={format!("{peak:.6}")}
            data-bin-width={format!("{}", rates.bin)}>
            <span class="rate-label small muted">{ format!("{kind} per second (peak {})", rate_text(peak, unit)) }</span>
            <svg viewBox={format!("0 0 {PLOT_W} {H}")} preserveAspectRatio="none" role="img"
                aria-label={format!("{kind} per second over time: client above the line, server below")}>
                <line x1="0" x2={PLOT_W.to_string()} y1={MID.to_string()} y2={MID.to_string()} class="axis" />
                { for bars }
            </svg>
        </div>
    }
}

/// Message sizes over time: client above the axis, server below (log scale), each point
/// selecting its message's first frame; under it the rates (messages and bytes per second per
/// side, binned) on the same time axis.
fn plot(
    points: &[PlotPoint],
    messages: u32,
    rates: Option<&Rates>,
    selected: Option<u32>,
    on_select: &Callback<u32>,
) -> Html {
    const W: f64 = PLOT_W;
    const H: f64 = 120.0;
    const MID: f64 = H / 2.0;
    let last = points.iter().map(|p| p.time).fold(0.0f64, f64::max);
    // The rates' bins end past the last message: both plots share that axis.
    let t_max = rates
        .filter(|r| !r.bins.is_empty())
        .map_or(last, |r| r.bin * r.bins.len() as f64)
        .max(1e-6);
    let l_max = points
        .iter()
        .map(|p| ((p.len + 1) as f64).log2())
        .fold(1.0f64, f64::max);
    let dots = points.iter().map(|p| {
        let x = 6.0 + p.time / t_max * (W - 12.0);
        let h = ((p.len + 1) as f64).log2() / l_max * (MID - 6.0);
        let (y, side) = match p.side {
            Side::Client => (MID - h, "client"),
            Side::Server => (MID + h, "server"),
        };
        let row = p.row;
        let onclick = on_select.reform(move |_: MouseEvent| row);
        let sel = selected == Some(row);
        html! {
            <circle class={classes!("pt", side, sel.then_some("sel"))} cx={format!("{x:.1}")} cy={format!("{y:.1}")}
                r={if sel { "4.5" } else { "3" }} data-role="plot-point" data-row={row.to_string()} {onclick}>
                <title>{ format!("{side} {} · {} B at {:.3} s", if p.opcode == 1 { "text" } else { "binary" }, grouped(p.len), p.time) }</title>
            </circle>
        }
    });
    let note = if (points.len() as u32) < messages {
        format!(
            " ({} of {} messages shown, evenly thinned)",
            points.len(),
            messages
        )
    } else {
        String::new()
    };
    html! {
        <figure class="plot" data-role="plot" data-points={points.len().to_string()}>
            <span class="rate-label small muted">{ "message sizes (log scale)" }</span>
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img"
                aria-label="Message sizes over time: client above the line, server below">
                <line x1="0" x2={W.to_string()} y1={MID.to_string()} y2={MID.to_string()} class="axis" />
                { for dots }
            </svg>
            if let Some(r) = rates.filter(|r| !r.bins.is_empty()) {
                { rate_strip(r, t_max, "messages", |b| b.messages, selected, on_select) }
                { rate_strip(r, t_max, "bytes", |b| b.bytes, selected, on_select) }
            }
            <figcaption class="muted small">{ format!(
                "Message sizes, then messages and bytes per second{}, over time (client above each line, server below; 0 to {}){note}. Click a point or a bar to open its frame.",
                rates.map(|r| format!(" in bins of {}", duration(r.bin))).unwrap_or_default(),
                duration(t_max)) }</figcaption>
        </figure>
    }
}

/// The preview with the search hit marked.
fn preview(r: &FrameRow) -> Html {
    match r.hit {
        Some((a, b)) => {
            let chars: Vec<char> = r.preview.chars().collect();
            let (a, b) = (a as usize, (b as usize).min(chars.len()));
            let part = |x: &[char]| x.iter().collect::<String>();
            html! { <span class="preview">{ part(&chars[..a]) }<mark data-role="hit">{ part(&chars[a..b]) }</mark>{ part(&chars[b..]) }</span> }
        }
        None => html! { <span class="preview">{ r.preview.clone() }</span> },
    }
}

/// A fragmented message's band on its lane, in one row of its span: shaded from its first
/// frame to its last, bracketed on the lane's outer edge, so the control frames between its
/// fragments (and the other side's frames meanwhile) are visibly inside it.
fn group_band(g: &GroupMark, row: u32) -> Html {
    let role = match g.role {
        GroupRole::Start => "start",
        GroupRole::Fragment => "fragment",
        GroupRole::Inside => "inside",
        GroupRole::Across => "across",
    };
    let end = row == g.last;
    html! {
        <span class={classes!("grp", role, end.then_some("end"), (!g.complete).then_some("open"))}
            data-role="msg-group" data-message={g.message.to_string()} data-frames={g.frames.to_string()}
            data-len={g.len.to_string()} data-first={g.first.to_string()} data-last={g.last.to_string()}
            data-complete={g.complete.to_string()} data-group-role={role} aria-hidden="true"></span>
    }
}

/// The group's name on its first frame: its number, frames and whole length.
fn group_tag(g: &GroupMark) -> Html {
    let text = format!(
        "message {}: {} frames{}, {} B",
        g.message,
        g.frames,
        if g.complete { "" } else { " so far" },
        grouped(g.len)
    );
    html! { <span class="grp-tag" data-role="msg-group-tag" title="the frames of one fragmented message, shaded on this lane down to its last">{ text }</span> }
}

fn timeline_row(r: &FrameRow, pos: u32, selected: bool, on_select: &Callback<u32>) -> Html {
    let row = r.row;
    let onclick = on_select.reform(move |_: MouseEvent| row);
    let side = match r.side {
        Side::Client => "client",
        Side::Server => "server",
    };
    let op = OpCode(r.opcode).label();
    let control = r.opcode >= 8;
    let own = r.groups[r.side as usize]
        .as_ref()
        .filter(|g| g.role == GroupRole::Start);
    let band = |lane: usize| r.groups[lane].as_ref().map(|g| group_band(g, r.row));
    let label = html! {
        <span class="label">
            if let Some(g) = own { { group_tag(g) } }
            <span class={classes!("op", op)}>{ op }</span>
            if !r.fin { <span class="frag" title="FIN clear: more frames follow">{ "…" }</span> }
            if r.rsv & 4 != 0 { <span class="rsv" title="RSV1 set (compressed)">{ "z" }</span> }
            <span class="len">{ format!("{} B", grouped(r.len)) }</span>
            { super::payload_view::decoded_label(r) }
            { preview(r) }
            { for r.findings.iter().map(|c| html! { <span class={classes!("badge", r.severity.clone())} title={c.clone()}>{ c.clone() }</span> }) }
        </span>
    };
    let arrow = match r.side {
        Side::Client => "──────▶",
        Side::Server => "◀──────",
    };
    let style = format!("top: {}px", pos as f64 * TL_ROW);
    html! {
        <div key={row} class={classes!("tl-row", side, control.then_some("control"), (!r.findings.is_empty()).then_some("has-findings"), selected.then_some("sel"))}
            data-role="frame-row" data-index={row.to_string()} data-direction={side}
            data-opcode={r.opcode.to_string()} role="option" id={format!("tl-{row}")}
            aria-selected={selected.to_string()} {style} {onclick}>
            <span class="t mono" title="seconds since the connection's first packet">{ r.time.map_or(String::new(), |t| format!("{t:.6}")) }</span>
            <span class="lane c">{ for band(0) }if r.side == Side::Client { { label.clone() } }</span>
            <span class="arrow" aria-hidden="true">{ arrow }</span>
            <span class="lane s">{ for band(1) }if r.side == Side::Server { { label } }</span>
        </div>
    }
}

#[component]
pub fn CapturePanel(props: &Props) -> Html {
    let s = &props.state;
    let node = use_node_ref();
    let w = &s.window;
    let p = &s.progress;
    let selected_pos = s
        .selected
        .and_then(|sel| w.rows.iter().position(|r| r.row == sel))
        .map(|i| w.start + i as u32);
    {
        // Keep the selected row in view when the keyboard moves the selection.
        let node = node.clone();
        use_effect_with(selected_pos, move |&pos| {
            if let (Some(pos), Some(el)) = (pos, node.cast::<web_sys::HtmlElement>()) {
                let top = f64::from(el.scroll_top());
                if let Some(to) = scroll_to_row(pos as usize, top, TL_VIEWPORT, TL_ROW) {
                    el.set_scroll_top(to as i32);
                }
            }
        });
    }
    {
        // A new connection or filter starts at the top (the state's scroll position already does).
        let node = node.clone();
        use_effect_with((s.conn, s.filter.clone()), move |_| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                el.set_scroll_top(0);
            }
        });
    }
    let rows = w.rows.iter().enumerate().map(|(i, r)| {
        timeline_row(
            r,
            w.start + i as u32,
            s.selected == Some(r.row),
            &props.on_select,
        )
    });
    let onscroll = props.on_scroll.reform(|e: Event| {
        let el: web_sys::HtmlElement = e.target_unchecked_into();
        f64::from(el.scroll_top())
    });
    let onkeydown = {
        let on_select = props.on_select.clone();
        let rows = w.rows.clone();
        let cur = s
            .selected
            .and_then(|sel| rows.iter().position(|r| r.row == sel));
        Callback::from(move |e: KeyboardEvent| {
            let Some(by) = list_step(&e.key()) else {
                return;
            };
            e.prevent_default();
            if rows.is_empty() {
                return;
            }
            let at = cur.map_or(0, |c| {
                (c as isize + by).clamp(0, rows.len() as isize - 1) as usize
            });
            on_select.emit(rows[at].row);
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let conn = s.conn_summary();
    html! {
        <div class="capture" data-role="capture" data-loading={s.loading.to_string()}>
            <div class="capture-head">
                <h2>{ s.name.as_deref().unwrap_or_default() }
                    <small class="muted">{ format!(" {}", p.format.as_deref().unwrap_or("")) }
                    if let Some(ms) = s.ms { { format!(" · read in {ms:.0} ms") } }
                    if s.memory > 0 { <span data-role="worker-memory" data-bytes={s.memory.to_string()}>
                        { format!(" · worker memory {:.1} MB", s.memory as f64 / 1e6) }</span> }</small></h2>
                <button data-role="close-capture" onclick={close}>{ "Back to pasting" }</button>
            </div>
            <p class="muted small share-note">{ "The file stays on this machine: the share link above carries pasted input only (a 100 MB capture cannot fit in a link); to share one frame, select it and use \"Link to this frame\"." }</p>
            if s.loading { { progress_bar(p, &props.on_cancel) } }
            if let Some(e) = &s.error { <p class="error" data-role="capture-error">{ e.to_string() }</p> }
            <Connections progress={p.clone()} window={s.conns.clone()} loading={s.loading} selected={s.conn}
                on_conn={props.on_conn.clone()} on_need={props.on_conns.clone()} />
            if let Some(c) = conn {
                <h3 class="conn-title">{ format!("Connection {}: ", c.id) }<span class="mono">{ c.client.clone() }</span>
                    { " (client, left) ↔ " }<span class="mono">{ c.server.clone() }</span>{ " (server, right)" }</h3>
                { props.diagnosis.clone() }
                if let Some((points, messages)) = &s.plot {
                    if !points.is_empty() { { plot(points, *messages, s.rates.as_deref(), s.selected, &props.on_select) } }
                }
                { filters(&s.filter, w, &props.on_filter) }
                { exports(&props.on_export, s.exported.as_deref()) }
                <div class="tl-head" aria-hidden="true"><span class="t">{ "time (s)" }</span>
                    <span class="lane c">{ "client" }</span><span class="arrow"></span><span class="lane s">{ "server" }</span></div>
                <div class="timeline" data-role="timeline" ref={node} tabindex="0" role="listbox"
                    aria-label="Frames of the connection, client left, server right (up and down to move)"
                    aria-activedescendant={s.selected.map(|r| format!("tl-{r}"))}
                    data-count={w.total.to_string()} {onscroll} {onkeydown}>
                    <div class="spacer" style={format!("height: {}px", w.total as f64 * TL_ROW)}>{ for rows }</div>
                </div>
            }
        </div>
    }
}

/// How far a key moves a list's selection: arrows one row, Page Up/Down ten.
pub fn list_step(key: &str) -> Option<isize> {
    match key {
        "ArrowDown" => Some(1),
        "ArrowUp" => Some(-1),
        "PageDown" => Some(10),
        "PageUp" => Some(-10),
        _ => None,
    }
}
