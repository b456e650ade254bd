//! Component tests rendered natively to HTML (yew's server-side renderer).

use std::rc::Rc;

use wsinspect_core::stream::{decode_all, DecodeConfig};
use wsinspect_core::Direction;
use wsinspect_view::view;
use yew::prelude::*;
use yew::LocalServerRenderer;

use crate::components::findings::{Findings, Props as FindingsProps};
use crate::components::payload_view::{PayloadView, Props as PayloadProps};
use crate::components::unmask_table::{Props as UnmaskProps, UnmaskTable};

fn render<C: BaseComponent>(props: C::Properties) -> String {
    futures_executor::block_on(LocalServerRenderer::<C>::with_props(props).render())
}

#[test]
fn payload_markup_is_escaped_text() {
    let evil = b"\x81\x1c<img src=x onerror=alert(1)>";
    let r = decode_all(evil, Direction::Server, &DecodeConfig::default());
    let html = render::<PayloadView>(PayloadProps {
        view: Rc::new(view::payload_view(&r, 0, 4096)),
    });
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains(r#"data-role="payload-text""#));
}

#[test]
fn unmask_table_rows_and_show_all_button() {
    let hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let r = decode_all(&hello, Direction::Client, &DecodeConfig::default());
    let rows = Rc::new(view::unmask_rows(&r.frames[0], &hello, 2));
    let html = render::<UnmaskTable>(UnmaskProps {
        rows: rows.clone(),
        total: 5,
        all: false,
        on_all: Callback::noop(),
    });
    assert_eq!(html.matches("<tr data-index=").count(), 2);
    assert!(
        html.contains("01111111 ^ 00110111") && html.contains("Show all 5 bytes"),
        "{html}"
    );
    // After "show all", a table still cut short says so instead of offering the button again.
    let html = render::<UnmaskTable>(UnmaskProps {
        rows,
        total: 5,
        all: true,
        on_all: Callback::noop(),
    });
    assert!(!html.contains("Show all"), "{html}");
    assert!(
        html.contains("data-role=\"unmask-truncated\"") && html.contains("3 more bytes not shown"),
        "{html}"
    );
}

#[test]
fn findings_carry_code_and_rfc() {
    let r = decode_all(
        b"\x81\x05Hello",
        Direction::Client,
        &DecodeConfig::default(),
    );
    let html = render::<Findings>(FindingsProps {
        findings: r.frames[0].findings.clone(),
        header: Some(r.frames[0].header.clone()),
    });
    assert!(
        html.contains(r#"data-code="unmasked-client-frame""#),
        "{html}"
    );
    assert!(html.contains("RFC 6455 §5.1, §5.3"), "{html}");
    // The finding names the field it lights in the bit grid, and can be focused to light it.
    assert!(html.contains(r#"data-lights="mask""#), "{html}");
}

#[test]
fn the_inflate_limit_select_is_labelled_and_shows_the_current_limit() {
    use crate::components::input_panel::{InputPanel, Props as InputProps};
    use wsinspect_core::inspect::notation::Format;
    let html = render::<InputPanel>(InputProps {
        input: "".into(),
        format: Format::Auto,
        direction: Direction::Server,
        extensions: "permessage-deflate".into(),
        max_inflated: 64 << 10,
        example: "finding-inflate-limit".into(),
        detected: None,
        error: None,
        progress: None,
        on_input: Callback::noop(),
        on_format: Callback::noop(),
        on_direction: Callback::noop(),
        on_extensions: Callback::noop(),
        on_max_inflated: Callback::noop(),
        on_example: Callback::noop(),
    });
    let select = html
        .split(r#"data-role="max-inflated""#)
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .unwrap_or_else(|| panic!("no limit select: {html}"));
    assert!(html.contains("Inflate limit"), "{html}");
    assert!(select.contains("aria-label="), "{select}");
    assert!(
        select.contains(r#"<option value="65536" selected="selected">64 KiB</option>"#),
        "{select}"
    );
    assert_eq!(select.matches("selected=").count(), 1, "{select}");
    assert!(select.contains("64 MiB (default)"), "{select}");
}

/// Renders a function's HTML in a component (for `decoded_label`).
#[derive(Properties, PartialEq)]
struct LabelProps {
    row: wsinspect_view::capture_view::FrameRow,
}

#[component]
fn Label(p: &LabelProps) -> Html {
    crate::components::payload_view::decoded_label(&p.row)
}

#[test]
fn a_decoded_label_is_escaped_text_and_absent_without_one() {
    // A Socket.IO event's name is the sender's text: shown, never run.
    let bytes = br#"42["<img src=x onerror=alert(1)>"]"#;
    let mut d = wsinspect_payload::PayloadSession::new(wsinspect_payload::Choice::Auto, None);
    let summary = d
        .message(wsinspect_payload::MessageKind::Text, bytes)
        .unwrap()
        .summary;
    let row = wsinspect_view::capture_view::FrameRow {
        row: 0,
        side: wsinspect_view::capture_view::Side::Client,
        index: 0,
        opcode: 1,
        fin: true,
        rsv: 0,
        masked: true,
        len: bytes.len() as u64,
        time: None,
        offset: 0,
        message: Some(0),
        findings: Vec::new(),
        severity: None,
        preview: String::new(),
        hit: None,
        decoded: Some(summary),
        groups: [None, None],
    };
    let html = render::<Label>(LabelProps { row: row.clone() });
    assert!(html.contains(r#"data-role="decoded-label""#), "{html}");
    assert!(
        html.contains("EVENT \"&lt;img src=x onerror=alert(1)&gt;\""),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    let html = render::<Label>(LabelProps {
        row: wsinspect_view::capture_view::FrameRow {
            decoded: None,
            ..row
        },
    });
    assert!(!html.contains("decoded-label"), "{html}");
}
