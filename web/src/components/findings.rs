//! The findings of one frame, each with its RFC section and the sentence that explains it.

use wsinspect_core::finding::Finding;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub findings: Vec<Finding>,
}

#[component]
pub fn Findings(props: &Props) -> Html {
    if props.findings.is_empty() {
        return html! {
            <section class="card ok" data-role="findings"><h3>{ "Findings" }</h3>
                <p class="muted">{ "No protocol violations in this frame." }</p></section>
        };
    }
    let items = props.findings.iter().map(|f| {
        let explain = Some(f.rule.def().message).filter(|m| *m != f.message);
        html! {
            <li class={classes!("finding", f.severity.as_str())} data-role="finding" data-code={f.rule.as_str()}>
                <span class={classes!("badge", f.severity.as_str())}>{ f.rule.as_str() }</span>
                <span class="rfc">{ f.rfc }</span>
                <p>{ f.message.clone() }</p>
                if let Some(m) = explain { <p class="muted">{ m }</p> }
            </li>
        }
    });
    html! {
        <section class="card" data-role="findings"><h3>{ "Findings" }</h3>
            <ul class="findings">{ for items }</ul></section>
    }
}
