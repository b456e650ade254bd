//! One frame in detail: bit grid, findings, bytes, unmasking and payload views (or, for the
//! trailing incomplete frame, what its header already makes certain).

use std::rc::Rc;

use wsinspect_core::inspect::Inspection;
use wsinspect_payload::Choice;
use wsinspect_payload::Decoded as DecodedPayload;
use wsinspect_view::compose::ComposerSpec;
use wsinspect_view::decoded::{decoded_view_with, view_of};
use wsinspect_view::view;
use yew::prelude::*;

use super::bit_grid::BitGrid;
use super::findings::Findings;
use super::hex_view::HexView;
use super::payload_view::{Decoded, LitBytes, PayloadView};
use super::proto_picker::ProtoCtx;
use super::unmask_table::UnmaskTable;

/// Bytes of a frame the hex view shows; payload views show at most `PAYLOAD_LIMIT`.
const HEX_LIMIT: usize = 1024;
const PAYLOAD_LIMIT: usize = 4096;
const UNMASK_FIRST: usize = 16;
/// "Show all" stops here: a 64 KiB frame must not put 65 536 rows in the page.
const UNMASK_ALL: usize = 4096;
/// A frame with a larger payload is shown in stages (see `FrameDetail`).
const STAGED: usize = 1024;

/// A hook dependency that is the same `Rc` (compared by pointer, not by walking the whole
/// inspection); holding it keeps the address from being reused by the next decode.
#[derive(Clone)]
pub struct Same<T>(pub Rc<T>);

impl<T> PartialEq for Same<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub inspection: Rc<Inspection>,
    pub index: usize,
    pub unmask_all: bool,
    pub on_unmask_all: Callback<()>,
    /// The title's name for the frame when it is not "Frame N" of the input (a capture's frame).
    #[prop_or_default]
    pub label: Option<AttrValue>,
    /// "Edit this frame in the composer".
    pub on_edit: Callback<ComposerSpec>,
    /// A capture's frame: its message decoded by the worker in its connection's context.
    #[prop_or_default]
    pub in_context: Option<InContext>,
}

/// A capture's message as the worker decoded it (earlier messages of its connection first), and
/// the decoder choice, which the worker applies.
#[derive(Clone, PartialEq)]
pub struct InContext {
    pub decoded: Option<Rc<DecodedPayload>>,
    pub choice: AttrValue,
    pub on_choice: Callback<String>,
}

#[component]
pub fn FrameDetail(props: &Props) -> Html {
    // The payload decoder chosen (kept while frames are selected) and the bytes a decoded node
    // lights; hooks come before the early returns.
    let choice = use_state(|| AttrValue::from("auto"));
    let lit = LitBytes(use_state(|| None::<(usize, usize)>));
    // Another frame or input: the lit offsets were the last one's.
    {
        let lit = lit.clone();
        let deps = (Same(props.inspection.clone()), props.index);
        use_effect_with(deps, move |_| {
            if lit.0.is_some() {
                lit.0.set(None)
            }
        });
    }
    // A large payload's frame is shown in three renders, a task apart: the header, then the
    // bytes, then the payload views (each render short: no long task after a large paste).
    let stage = use_state(|| (0usize, 0usize, 0u8));
    let key = (Rc::as_ptr(&props.inspection) as usize, props.index);
    let big = props
        .inspection
        .frames
        .as_ref()
        .and_then(|r| r.frames.get(props.index))
        .is_some_and(|f| f.payload.len() > STAGED);
    let now = if !big {
        2
    } else if (stage.0, stage.1) == key {
        stage.2
    } else {
        0
    };
    {
        let stage = stage.clone();
        use_effect_with((key, now), move |&(key, now)| {
            let t = (now < 2).then(|| {
                gloo_timers::callback::Timeout::new(0, move || stage.set((key.0, key.1, now + 1)))
            });
            move || drop(t)
        });
    }
    // Decoding runs every earlier message through the session: once per frame and choice, not
    // on every hover.
    // The page's .proto, if one was given (binary messages read as its chosen type).
    let proto = use_context::<ProtoCtx>().and_then(|c| c.state);
    let decoded = {
        let deps = (
            Same(props.inspection.clone()),
            props.index,
            (*choice).clone(),
            proto,
            props.in_context.as_ref().map(|c| c.decoded.clone()),
        );
        use_memo(deps, |(Same(i), index, c, proto, in_context)| {
            match in_context {
                Some(d) => view_of(i, *index, d.as_deref().cloned()),
                None => decoded_view_with(
                    i,
                    *index,
                    c.parse().unwrap_or(Choice::Auto),
                    proto.as_ref().and_then(|p| p.setup.proto.as_ref()),
                ),
            }
            .map(Rc::new)
        })
    };
    let i = &props.inspection;
    let Some(report) = i.frames.as_ref() else {
        return html! {};
    };
    let Some(frame) = report.frames.get(props.index) else {
        // The trailing frame the input ends inside: what its header already makes certain.
        let Some(inc) = report
            .incomplete
            .as_ref()
            .filter(|_| props.index == report.frames.len())
        else {
            return html! {};
        };
        return html! {
            <div class="detail" data-role="frame-detail" data-index={props.index.to_string()} data-incomplete="true">
                <h2 class="detail-title">{ format!("Frame {} · incomplete", props.index) }</h2>
                <p class="muted incomplete-note" tabindex="0">{ format!(
                    "The input ends inside this frame: {} bytes from offset {} are here, {} more are needed.",
                    inc.have, inc.offset, inc.need
                ) }</p>
                <Findings findings={inc.findings.clone()} />
            </div>
        };
    };
    let rows = Rc::new(view::bit_grid(frame));
    let legend = Rc::new(view::legend(frame));
    let hex = Rc::new(view::hex_view(frame, &i.bytes, HEX_LIMIT));
    let frame_len = (frame.range().end - frame.range().start) as usize;
    let note = view::shown_note(HEX_LIMIT, frame_len);
    let limit = if props.unmask_all {
        UNMASK_ALL
    } else {
        UNMASK_FIRST
    };
    let unmask = Rc::new(view::unmask_rows(frame, &i.bytes, limit));
    let payload = Rc::new(view::payload_view(report, props.index, PAYLOAD_LIMIT));
    let row = view::frame_row(report, props.index);
    let on_choice = {
        let (choice, lit) = (choice.clone(), lit.clone());
        let outer = props.in_context.as_ref().map(|c| c.on_choice.clone());
        Callback::from(move |c: String| {
            lit.0.set(None);
            match &outer {
                Some(o) => o.emit(c),
                None => choice.set(c.into()),
            }
        })
    };
    let shown_choice = props
        .in_context
        .as_ref()
        .map_or_else(|| (*choice).clone(), |c| c.choice.clone());
    let edit = {
        // Made on the click: a large payload's hex is megabytes, not worth making per render.
        let (i, index) = (props.inspection.clone(), props.index);
        props.on_edit.reform(move |_: MouseEvent| {
            let frames = i.frames.as_ref().map_or(&[][..], |r| &r.frames[..]);
            frames
                .get(index)
                .map(ComposerSpec::from_frame)
                .unwrap_or_default()
        })
    };
    html! {
        <div class="detail" data-role="frame-detail" data-index={props.index.to_string()}>
            <h2 class="detail-title">
                { match &props.label {
                    Some(l) => format!("{l} · {} · {} bytes payload", row.opcode, row.len),
                    None => format!("Frame {} · {} · {} bytes payload", row.index, row.opcode, row.len),
                } }
                if let Some(g) = &row.group { <span class="group-tag">{ g.clone() }</span> }
            </h2>
            <button class="edit-frame" data-role="edit-in-composer" onclick={edit}>{ "Edit this frame in the composer" }</button>
            <BitGrid rows={rows} legend={legend} />
            <Findings findings={frame.findings.clone()} header={Some(frame.header.clone())} />
            if now >= 1 {
            <ContextProvider<LitBytes> context={lit.clone()}>
            <HexView rows={hex} note={note} />
            </ContextProvider<LitBytes>>
            }
            if now >= 2 {
            if frame.header.masked {
                <UnmaskTable rows={unmask} total={frame.payload.len()} all={props.unmask_all} on_all={props.on_unmask_all.clone()} />
            }
            <ContextProvider<LitBytes> context={lit}>
            <Decoded key={props.index} view={(*decoded).clone()} choice={shown_choice} {on_choice} />
            </ContextProvider<LitBytes>>
            <PayloadView view={payload} />
            } else {
                <p class="muted" data-role="payload-pending">{ "Payload…" }</p>
            }
        </div>
    }
}
