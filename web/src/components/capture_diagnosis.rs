//! A capture's connection: its Diagnosis panel (shown first, above the timeline, when something
//! is wrong; each evidence a click from its frame, the handshake or the proxy's other hop) and
//! each peer's conformance per class (a compact table); and the list's diagnosis badge.

use std::rc::Rc;

use wsinspect_core::diagnose::DiagnosisId;
use wsinspect_view::capture_view::{ConnDiagnosis, ConnSummary};
use wsinspect_view::diagnose::VerdictCell;
use yew::prelude::*;

use super::diagnosis_panel::diagnosis_list;

/// The connections list's badge: how many diagnoses, the first one's id (all in the title).
pub fn badge(c: &ConnSummary) -> Html {
    let Some(first) = c.diagnoses.first() else {
        return Html::default();
    };
    let severity = first
        .parse::<DiagnosisId>()
        .map_or("warning", |id| id.def().severity.as_str());
    let text = match c.diagnoses.len() {
        1 => first.clone(),
        n => format!("{first} +{}", n - 1),
    };
    html! {
        <span class={classes!("badge", "diag", severity)} data-role="diagnosis-badge"
            data-ids={c.diagnoses.join(" ")} data-count={c.diagnoses.len().to_string()}
            title={format!("diagnoses: {}", c.diagnoses.join(", "))}>{ format!("⚠ {text}") }</span>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The selected connection's diagnoses, once the worker sent them.
    pub diagnosis: Option<Rc<ConnDiagnosis>>,
    /// A frame evidence was clicked: its row.
    pub on_select: Callback<u32>,
    /// A header evidence was clicked.
    pub on_handshake: Callback<()>,
    /// Another connection's evidence was clicked.
    pub on_conn: Callback<u64>,
}

fn cell(v: &VerdictCell, who: &'static str, class: &str, on_frame: &Callback<usize>) -> Html {
    let (mark, label) = match v.verdict.as_str() {
        "pass" => ("✓", "pass"),
        "fail" => ("✗", "fail"),
        _ => ("–", "not exercised"),
    };
    let title = if v.text.is_empty() {
        format!("{who}: {label}")
    } else {
        format!("{who}: {}", v.text)
    };
    let body = match (v.verdict.as_str(), v.frame) {
        ("fail", Some(f)) => {
            let onclick = on_frame.reform(move |_: MouseEvent| f);
            html! { <button class="link" data-role="conformance-frame" data-frame={f.to_string()} {onclick}>
            { format!("{mark} {}", v.text.split(':').next().unwrap_or_default()) }</button> }
        }
        ("fail", None) => {
            html! { { format!("{mark} {}", v.text.split(':').next().unwrap_or_default()) } }
        }
        _ => html! { { format!("{mark} {label}") } },
    };
    html! {
        <td class={classes!("verdict", v.verdict.clone())} data-role="verdict" data-peer={who}
            data-class={class.to_string()} data-verdict={v.verdict.clone()} {title}>{ body }</td>
    }
}

#[component]
pub fn CaptureDiagnosis(props: &Props) -> Html {
    let Some(d) = &props.diagnosis else {
        return Html::default();
    };
    if !d.known {
        return html! { <p class="muted small" data-role="diagnosis-pending">{ "Diagnosis and conformance: when the connection has ended." }</p> };
    }
    let on_frame = props.on_select.reform(|f: usize| f as u32);
    let failed = d
        .conformance
        .iter()
        .any(|r| r.peers.iter().any(|p| p.verdict == "fail"));
    let rows = d.conformance.iter().map(|r| {
        html! { <tr><th scope="row">{ r.class.clone() }</th>
            { cell(&r.peers[0], "client", &r.class, &on_frame) }{ cell(&r.peers[1], "server", &r.class, &on_frame) }</tr> }
    });
    html! {
        <section class="card diagnosis-panel capture-diagnosis" data-role="capture-diagnosis"
            data-conn={d.conn.to_string()} data-count={d.diagnoses.len().to_string()}
            aria-labelledby="capture-diagnosis-h">
            if d.diagnoses.is_empty() {
                <h4 id="capture-diagnosis-h" class="muted" data-role="no-diagnosis">{ "Diagnosis: nothing wrong found" }</h4>
            } else {
                <h4 id="capture-diagnosis-h">{ "Diagnosis" }</h4>
                { diagnosis_list(&d.diagnoses, &on_frame, &props.on_handshake, Some(&props.on_conn)) }
            }
            <details class="conformance" data-role="conformance" open={failed} data-failed={failed.to_string()}>
                <summary>{ if failed { "Conformance per peer: a class failed" } else { "Conformance per peer" } }</summary>
                <table class="conformance-table">
                    <thead><tr><th scope="col">{ "class" }</th><th scope="col">{ "client" }</th><th scope="col">{ "server" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </details>
        </section>
    }
}
