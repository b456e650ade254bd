//! The Diagnosis panel, shown first when the pasted handshake or stream has diagnoses (each
//! with its sentence and its evidence, a click away from the frame or the handshake), and
//! "paste the error your client printed": the likely causes from the core's explain index.

use std::rc::Rc;

use wsinspect_core::inspect::Inspection;
use wsinspect_view::diagnose::{explain_items, pasted_diagnoses, DiagnosisItem};
use yew::prelude::*;

use super::frame_detail::Same;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The pasted input's decode, if any.
    pub inspection: Option<Rc<Inspection>>,
    /// An evidence item about a frame was clicked.
    pub on_frame: Callback<usize>,
    /// An evidence item about the handshake was clicked.
    pub on_handshake: Callback<()>,
}

/// The diagnoses with their evidence, each item a button: a frame row selects that frame, a
/// header opens the Handshake tab, another connection (`on_conn`, in a capture) selects it.
/// Shared by the pasted input's panel and a capture's connection.
pub fn diagnosis_list(
    diagnoses: &[DiagnosisItem],
    on_frame: &Callback<usize>,
    on_handshake: &Callback<()>,
    on_conn: Option<&Callback<u64>>,
) -> Html {
    let items = diagnoses.iter().map(|d| {
        let evidence = d.evidence.iter().map(|e| {
            let target = match (e.frame, e.connection, on_conn) {
                (Some(f), ..) => Some((on_frame.reform(move |_: MouseEvent| f), format!("Show frame {f}"))),
                (None, Some(c), Some(on_conn)) => Some((on_conn.reform(move |_: MouseEvent| c), format!("Show connection {c}"))),
                _ if e.handshake => Some((on_handshake.reform(|_: MouseEvent| ()), "Show the handshake".to_string())),
                _ => None,
            };
            match target {
                Some((onclick, label)) => html! { <li><button class="link" data-role="evidence"
                    data-frame={e.frame.map(|f| f.to_string())} data-connection={e.connection.map(|c| c.to_string())}
                    data-handshake={e.handshake.then_some("true")} title={label} {onclick}>{ e.text.clone() }</button></li> },
                None => html! { <li data-role="evidence">{ e.text.clone() }</li> },
            }
        });
        html! {
            <li class={classes!("diagnosis", d.severity.clone())} data-role="diagnosis" data-id={d.id.clone()}>
                <p><strong>{ format!("{} ({})", d.id, d.severity) }</strong>{ ": " }{ d.message.clone() }</p>
                <ul class="evidence">{ for evidence }</ul>
                if !d.clients_print.is_empty() {
                    <details><summary>{ "What clients print" }</summary>
                        <ul>{ for d.clients_print.iter().map(|c| html! { <li class="mono">{ c.clone() }</li> }) }</ul>
                    </details>
                }
            </li>
        }
    });
    html! { <ul class="diagnoses" data-role="diagnoses">{ for items }</ul> }
}

#[component]
pub fn DiagnosisPanel(props: &Props) -> Html {
    // Diagnosing walks the whole input: once per decode, not per render.
    let diagnoses = {
        use_memo(props.inspection.clone().map(Same), |i| {
            i.as_ref()
                .map(|Same(i)| pasted_diagnoses(i))
                .unwrap_or_default()
        })
    };
    let error_text = use_state(String::new);
    let on_error_text = {
        let error_text = error_text.clone();
        Callback::from(move |e: InputEvent| {
            error_text.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let causes = explain_items(&error_text);
    let result = (!error_text.trim().is_empty()).then(|| {
        if causes.is_empty() {
            return html! { <p class="muted" data-role="explain-result">{ "No known cause prints this. Paste the handshake and frames to read their diagnoses." }</p> };
        }
        let list = causes.iter().map(|c| html! {
            <li data-id={c.id.clone()}>
                <p><strong>{ c.title }</strong>{ format!(" ({}, match {}%)", c.id, c.score) }</p>
                <p>{ "How to tell: " }{ c.tell }</p>
                <p>{ "What to change: " }{ c.change }</p>
                if !c.matched.is_empty() {
                    <ul>{ for c.matched.iter().map(|m| html! { <li class="mono">{ m.clone() }</li> }) }</ul>
                }
            </li>
        });
        html! { <ol data-role="explain-result">{ for list }</ol> }
    });
    html! {
        <section class="card diagnosis-panel" aria-labelledby="diagnosis-h">
            if !diagnoses.is_empty() {
                <h2 id="diagnosis-h">{ "Diagnosis" }</h2>
                { diagnosis_list(&diagnoses, &props.on_frame, &props.on_handshake, None) }
            }
            <div class="explain">
                <label for="explain-input" id={diagnoses.is_empty().then_some("diagnosis-h")}>{ "Paste the error your client printed " }</label>
                <input id="explain-input" type="text" data-role="explain-input"
                    placeholder="e.g. Invalid frame header" value={(*error_text).clone()} oninput={on_error_text} />
                { result.unwrap_or_default() }
            </div>
        </section>
    }
}
