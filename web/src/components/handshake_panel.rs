//! The handshake: request and response headers, the checklist, and the Accept math as a worked
//! example whose key is editable.

use std::rc::Rc;

use wsinspect_core::handshake::accept::{explain, GUID};
use wsinspect_core::handshake::HandshakeReport;
use wsinspect_view::view::{
    accept_verdict, char_diff, checks_tally, first_difference, status_label, Checklist,
};
use yew::prelude::*;

/// The key of RFC 6455 §1.3, used when the input has none.
const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub report: Option<Rc<HandshakeReport>>,
    /// The key as edited, if the user edited it.
    pub key_override: Option<Rc<str>>,
    pub on_key: Callback<String>,
    /// Whether the passed checks are unfolded.
    pub show_passed: bool,
    pub on_toggle_passed: Callback<()>,
}

fn check_item(c: &wsinspect_core::handshake::CheckResult) -> Html {
    let status = status_label(c.status);
    html! {
        <li class={classes!("check", status)} data-role="check" data-id={c.id.as_str()} data-status={status}>
            <span class={classes!("badge", status)}>{ status }</span>
            <code>{ c.id.as_str() }</code>
            <span class="rfc">{ c.rfc }</span>
            <p>{ c.message.clone() }</p>
        </li>
    }
}

fn headers(title: &str, first: String, list: &[(String, String)]) -> Html {
    let rows = list.iter().map(|(k, v)| {
        html! {
            <tr><th scope="row">{ k.clone() }</th><td>{ v.clone() }</td></tr>
        }
    });
    html! {
        <div class="headers">
            <h4>{ title.to_string() }</h4>
            <p class="mono first-line">{ first }</p>
            <table><tbody>{ for rows }</tbody></table>
        </div>
    }
}

#[component]
pub fn HandshakePanel(props: &Props) -> Html {
    let report = props.report.as_deref();
    let from_input = report.and_then(|r| r.accept.as_ref());
    let key: String = match (&props.key_override, from_input) {
        (Some(k), _) => k.to_string(),
        (None, Some(a)) => a.key.clone(),
        (None, None) => RFC_KEY.to_string(),
    };
    let received = from_input.and_then(|a| a.received.clone());
    let steps = explain(&key, received.as_deref());
    let edited = from_input.is_some_and(|a| a.key != key);
    let (verdict, sentence) = accept_verdict(&steps, edited);
    // Step 5, character by character: the received value with what differs marked.
    let compared = received.as_ref().map(|r| {
        let runs = char_diff(r, &steps.expected)
            .into_iter()
            .map(|(run, same)| {
                if same {
                    html! { <span>{ run }</span> }
                } else {
                    html! { <mark class="diff" data-role="accept-diff">{ run }</mark> }
                }
            });
        html! { <>{ for runs }</> }
    });
    // Where the server's hashed string leaves the right one: that character marked in the
    // right string (the GUID's dropped 'A').
    let should = steps.diagnosis.as_ref().and_then(|d| d.hashed.as_ref()).and_then(|h| {
        let at = first_difference(&steps.concatenated, h)?;
        let chars: Vec<char> = steps.concatenated.chars().collect();
        let (before, rest) = chars.split_at(at.min(chars.len()));
        let (mid, after) = rest.split_at(rest.len().min(1));
        Some(html! {
            <p class="mono wrap" data-role="accept-should">{ "should have hashed: " }
                { before.iter().collect::<String>() }
                <mark class="diff" data-role="accept-missed">{ mid.iter().collect::<String>() }</mark>
                { after.iter().collect::<String>() }</p>
        })
    });
    let oninput = props.on_key.reform(|e: InputEvent| {
        let el: web_sys::HtmlInputElement = e.target_unchecked_into();
        el.value()
    });
    let checks = report.map(|r| {
        let list = Checklist::of(&r.checks);
        let toggle = props.on_toggle_passed.reform(|_: MouseEvent| ());
        html! {
            <section class="card">
                <h3>{ format!("Checklist: {}", checks_tally(&r.summary)) }</h3>
                <ul class="checks">{ for list.attention.iter().map(|c| check_item(c)) }</ul>
                if !list.passed.is_empty() {
                    <button class="passed-toggle" data-role="checks-passed-toggle" onclick={toggle}
                        aria-expanded={props.show_passed.to_string()}>{ list.passed_toggle(props.show_passed) }</button>
                    if props.show_passed {
                        <ul class="checks">{ for list.passed.iter().map(|c| check_item(c)) }</ul>
                    }
                }
            </section>
        }
    });
    let heads = report.map(|r| html! {
        <section class="card heads">
            <h3>{ "Headers" }</h3>
            <div class="two">
                if let Some(q) = &r.request { { headers("Request", format!("{} {} {}", q.method, q.target, q.version), &q.headers) } }
                if let Some(s) = &r.response { { headers("Response", format!("{} {} {}", s.version, s.status, s.reason), &s.headers) } }
            </div>
        </section>
    });
    html! {
        <div class="handshake" data-role="handshake">
            <h2 class="detail-title">{ "Handshake" }</h2>
            if report.is_none() {
                <p class="muted">{ "No handshake in the input: the Accept calculator below starts from the RFC 6455 §1.3 key. Paste a request and response (or pick a handshake example) to check them." }</p>
            }
            <section class="card accept" aria-labelledby="accept-h">
                <h3 id="accept-h">{ "Sec-WebSocket-Accept, step by step" }<small class="rfc">{ " RFC 6455 §1.3, §4.2.2" }</small></h3>
                <ol class="steps">
                    <li><label for="accept-key">{ "1. Sec-WebSocket-Key (edit it)" }</label>
                        <input id="accept-key" class="mono" data-role="accept-key" value={key.clone()} {oninput} spellcheck="false" />
                        if !steps.key_valid { <p class="warn-text">{ "This key is not base64 of 16 bytes, as RFC 6455 §4.1 requires." }</p> }
                    </li>
                    <li><span class="label">{ "2. + GUID" }</span>
                        <code class="wrap" data-role="accept-concat">{ steps.trimmed.clone() }<mark>{ GUID }</mark></code></li>
                    <li><span class="label">{ "3. SHA-1 (20 bytes)" }</span>
                        <code class="wrap" data-role="accept-sha1">{ steps.sha1.clone() }</code></li>
                    <li><span class="label">{ "4. base64 = expected" }</span>
                        <code class="big" data-role="accept-expected">{ steps.expected.clone() }</code></li>
                    <li><span class="label">{ "5. compare with received" }</span>
                        <code data-role="accept-received">{ compared.unwrap_or_else(|| html! { "(none)" }) }</code>
                        <p class={classes!("verdict", verdict)} data-role="accept-verdict" data-verdict={verdict}>{ sentence }</p>
                        if let Some(d) = &steps.diagnosis {
                            <div class="diagnosis" data-role="accept-diagnosis" data-mistake={d.mistake.as_str()}>
                                <strong>{ "Diagnosis: " }</strong>{ d.message.clone() }
                                if let Some(h) = &d.hashed { <p class="mono wrap">{ format!("hashed: {h}") }</p> }
                                { should.clone().unwrap_or_default() }
                            </div>
                        }
                    </li>
                </ol>
            </section>
            { checks.unwrap_or_default() }
            { heads.unwrap_or_default() }
        </div>
    }
}
