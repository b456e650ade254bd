//! The findings of one frame, each with its RFC section and the sentence that explains it.

use wsinspect_core::finding::Finding;
use wsinspect_core::wire::header::Header;
use wsinspect_view::view::{finding_parts, Part};
use yew::prelude::*;

use crate::state::{HighlightCtx, Hover};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub findings: Vec<Finding>,
    /// The frame's header, when it has a bit grid: hovering or focusing a finding lights the
    /// fields (or the payload) it is about.
    #[prop_or_default]
    pub header: Option<Header>,
}

#[component]
pub fn Findings(props: &Props) -> Html {
    if props.findings.is_empty() {
        return html! {
            <section class="card ok" data-role="findings"><h3>{ "Findings" }</h3>
                <p class="muted">{ "No protocol violations in this frame." }</p></section>
        };
    }
    let hl = use_context::<HighlightCtx>();
    let items = props.findings.iter().map(|f| {
        let explain = Some(f.rule.def().message).filter(|m| *m != f.message);
        let parts = props
            .header
            .as_ref()
            .map(|h| finding_parts(f.rule, h))
            .unwrap_or_default();
        let lights = parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ");
        let light = |on: bool| {
            let hl = hl.clone();
            let parts: Vec<Part> = if on { parts.clone() } else { Vec::new() };
            Callback::from(move |_: Event| {
                if let Some(hl) = &hl {
                    hl.dispatch(Hover(parts.clone()))
                }
            })
        };
        let (enter, leave) = (light(true), light(false));
        let lit = !parts.is_empty();
        html! {
            <li class={classes!("finding", f.severity.as_str(), lit.then_some("lights"))} data-role="finding" data-code={f.rule.as_str()}
                data-lights={lit.then_some(lights)} tabindex={lit.then_some("0")}
                onmouseenter={lit.then(|| enter.reform(|e: MouseEvent| e.into()))}
                onmouseleave={lit.then(|| leave.reform(|e: MouseEvent| e.into()))}
                onfocus={lit.then(|| enter.reform(|e: FocusEvent| e.into()))}
                onblur={lit.then(|| leave.reform(|e: FocusEvent| e.into()))}>
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
