//! The user's `.proto` for the Decoded view: chosen with a file input or dropped on the page,
//! compiled here (protox + prost-reflect, in wasm, as the CLI's `--proto` does), with a chooser
//! of the message types it defines. It is page-wide: [`ProtoProvider`] holds it and gives it as
//! a context, so the pasted input's Decoded view reads binary messages as the chosen type, and
//! `on_change` hands it to the capture worker (which compiles it again and decodes with it).

use std::rc::Rc;

use wsinspect_view::capture_decoded::{proto_types, PayloadSetup};
use wsinspect_view::capture_view::Ask;
use yew::prelude::*;

/// A `.proto` bigger than this is refused (a schema is a few KB; the page compiles it whole).
const MAX_PROTO: f64 = 4.0 * 1024.0 * 1024.0;

/// A `.proto` taken: its file, the types it defines, the one chosen, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtoState {
    pub name: String,
    pub text: String,
    pub types: Vec<String>,
    pub setup: PayloadSetup,
}

impl ProtoState {
    /// Compiles `text`; `message`: the type chosen (else the outermost one it defines).
    fn new(name: String, text: String, message: Option<String>) -> Result<ProtoState, String> {
        let files = [(name.clone(), text.clone())];
        let (types, first) = proto_types(&files)?;
        let setup = PayloadSetup::compile(&files, Some(message.as_deref().unwrap_or(&first)))?;
        Ok(ProtoState {
            name,
            text,
            types,
            setup,
        })
    }

    /// The chosen type's full name.
    pub fn message(&self) -> &str {
        self.setup.message().unwrap_or_default()
    }

    /// What the capture worker is told.
    fn ask(&self) -> Ask {
        Ask::Proto {
            files: vec![(self.name.clone(), self.text.clone())],
            message: Some(self.message().to_string()),
        }
    }
}

/// The page's `.proto`, as a context.
#[derive(Clone, PartialEq)]
pub struct ProtoCtx {
    pub state: Option<Rc<ProtoState>>,
    /// Why the last file could not be used (file:line:column: what).
    pub error: Option<Rc<str>>,
    pub on_file: Callback<web_sys::File>,
    pub on_message: Callback<String>,
    pub on_clear: Callback<()>,
}

/// Whether a file is a `.proto` (by name: a schema has no magic bytes).
pub fn is_proto(f: &web_sys::File) -> bool {
    f.name().to_ascii_lowercase().ends_with(".proto")
}

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    /// The capture worker's message for the new `.proto` (`None`: forgotten).
    pub on_change: Callback<Option<Ask>>,
    #[prop_or_default]
    pub children: Html,
}

/// Holds the page's `.proto` and gives it to its children; `.proto` files dropped anywhere in
/// it are taken.
#[component]
pub fn ProtoProvider(props: &ProviderProps) -> Html {
    let state = use_state(|| None::<Rc<ProtoState>>);
    let error = use_state(|| None::<Rc<str>>);
    let take = {
        let (state, error, on_change) = (state.clone(), error.clone(), props.on_change.clone());
        Callback::from(move |r: Result<ProtoState, String>| match r {
            Ok(s) => {
                on_change.emit(Some(s.ask()));
                state.set(Some(Rc::new(s)));
                error.set(None);
            }
            Err(e) => error.set(Some(e.into())),
        })
    };
    let on_file = {
        let take = take.clone();
        Callback::from(move |f: web_sys::File| {
            let take = take.clone();
            let name = f.name();
            if f.size() > MAX_PROTO {
                take.emit(Err(format!(
                    "{name} is over {} MiB: not a .proto?",
                    MAX_PROTO as u64 >> 20
                )));
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(f.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string());
                take.emit(match text {
                    Some(t) => ProtoState::new(name, t, None),
                    None => Err(format!("{name}: the browser could not read it as text")),
                });
            });
        })
    };
    let on_message = {
        let (state, take) = (state.clone(), take.clone());
        Callback::from(move |m: String| {
            if let Some(s) = &*state {
                take.emit(ProtoState::new(s.name.clone(), s.text.clone(), Some(m)));
            }
        })
    };
    let on_clear = {
        let (state, error, on_change) = (state.clone(), error.clone(), props.on_change.clone());
        Callback::from(move |()| {
            state.set(None);
            error.set(None);
            on_change.emit(None);
        })
    };
    let ctx = ProtoCtx {
        state: (*state).clone(),
        error: (*error).clone(),
        on_file: on_file.clone(),
        on_message,
        on_clear,
    };
    let ondrop = Callback::from(move |e: DragEvent| {
        if let Some(l) = e.data_transfer().and_then(|d| d.files()) {
            (0..l.length())
                .filter_map(|i| l.get(i))
                .filter(is_proto)
                .for_each(|f| on_file.emit(f));
        }
    });
    html! {
        <ContextProvider<ProtoCtx> context={ctx}>
            <div class="proto-drop" {ondrop}>{ props.children.clone() }</div>
        </ContextProvider<ProtoCtx>>
    }
}

/// The `.proto` controls of the Decoded view: open one, choose the message type, forget it.
#[component]
pub fn ProtoPicker() -> Html {
    let Some(ctx) = use_context::<ProtoCtx>() else {
        return Html::default();
    };
    let onchange = {
        let on_file = ctx.on_file.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = el.files().and_then(|l| l.get(0)) {
                on_file.emit(f)
            }
            el.set_value("");
        })
    };
    let chooser = ctx.state.as_ref().map(|s| {
        let on_message = ctx.on_message.reform(|e: Event| {
            e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
        });
        let options = s.types.iter().map(|t| {
            html! { <option value={t.clone()} selected={t == s.message()}>{ t.clone() }</option> }
        });
        html! { <>
            <span class="muted small" data-role="proto-name">{ format!(" {} ", s.name) }</span>
            <label>{ "message type " }
                <select data-role="proto-message" onchange={on_message}>{ for options }</select></label>
            <button data-role="proto-clear" title="Forget the .proto" onclick={ctx.on_clear.reform(|_: MouseEvent| ())}>{ "×" }</button>
        </> }
    });
    html! {
        <div class="proto-picker" data-role="proto-picker">
            <label class="open-file button small" title="A .proto file: binary messages no protocol claims are read as the message type chosen (or drop it on the page)">
                { ".proto…" }
                <input type="file" accept=".proto" data-role="open-proto" class="sr-only" {onchange} />
            </label>
            { chooser.unwrap_or_default() }
            if let Some(e) = &ctx.error { <p class="error" data-role="proto-error">{ e.to_string() }</p> }
        </div>
    }
}
