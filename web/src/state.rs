//! The page's one state and its actions. Reducers are pure: they return a new `Rc` on change.
//! Timers, the URL and the clipboard live in effects and callbacks (app.rs).

use std::rc::Rc;

use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::Inspection;
use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::wire::field::FieldId;
use wsinspect_core::Direction;
use wsinspect_view::compose::ComposerSpec;
use wsinspect_view::share::Shared;
use wsinspect_view::view::{self, Part};
use yew::prelude::*;

/// The right-hand view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The selected frame's detail.
    Frames,
    /// The handshake panel and the Accept math.
    Handshake,
    /// The frame composer.
    Composer,
}

/// How to read the input, besides its format: what an example sets and the user's input must
/// not inherit.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub direction: Direction,
    pub extensions: Rc<str>,
    pub max_inflated: usize,
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub input: Text,
    pub format: Format,
    pub direction: Direction,
    pub extensions: Rc<str>,
    /// The most bytes one message may inflate to (RFC 7692 §8.1).
    pub max_inflated: usize,
    pub example: Rc<str>,
    /// Whether the input was typed or pasted into the box: its line endings are then not the
    /// wire's (a textarea turns CRLF into LF). Examples, share links and the composer are exact.
    pub typed: bool,
    /// The user's own sender, extensions and inflate limit while an example's are applied: they
    /// come back as soon as the user edits the input, so their bytes never inherit an example's.
    pub own: Option<Settings>,
    pub result: Option<Rc<Inspection>>,
    pub error: Option<Rc<str>>,
    pub progress: Option<(usize, usize)>,
    pub selected: usize,
    pub scroll_top: f64,
    pub tab: Tab,
    pub accept_key: Option<Rc<str>>,
    pub unmask_all: bool,
    /// Whether the handshake checklist's passed checks are unfolded.
    pub show_passed: bool,
    pub composer: ComposerSpec,
    /// True from an input change until its decode arrives.
    pub busy: bool,
}

impl State {
    /// The start state, restoring a share link's contents when there is one.
    pub fn new(shared: Option<Shared>) -> State {
        let mut s = State {
            input: "".into(),
            format: Format::Auto,
            direction: Direction::Unknown,
            extensions: "".into(),
            max_inflated: DEFAULT_MAX_INFLATED,
            example: "".into(),
            typed: false,
            own: None,
            result: None,
            error: None,
            progress: None,
            selected: 0,
            scroll_top: 0.0,
            tab: Tab::Frames,
            accept_key: None,
            unmask_all: false,
            show_passed: false,
            composer: ComposerSpec::default(),
            busy: false,
        };
        if let Some(sh) = shared {
            s.busy = !sh.input.trim().is_empty();
            s.input = sh.input.into();
            s.format = sh.format;
            s.direction = sh.direction;
            s.extensions = sh.extensions.into();
            s.max_inflated = sh.max_inflated;
        }
        s
    }

    fn settings(&self) -> Settings {
        Settings {
            direction: self.direction,
            extensions: self.extensions.clone(),
            max_inflated: self.max_inflated,
        }
    }

    /// Leave the example: its settings give way to the user's own.
    fn leave_example(&mut self) {
        self.example = "".into();
        if let Some(own) = self.own.take() {
            self.direction = own.direction;
            self.extensions = own.extensions;
            self.max_inflated = own.max_inflated;
        }
    }

    /// Whether the current result has frames to show (the trailing incomplete one counts).
    pub fn has_frames(&self) -> bool {
        self.frame_rows() > 0
    }

    /// Rows in the frame list: the complete frames, then the incomplete one if any.
    pub fn frame_rows(&self) -> usize {
        self.result
            .as_ref()
            .and_then(|r| r.frames.as_ref())
            .map_or(0, view::row_count)
    }
}

/// What can happen.
pub enum Action {
    SetInput(Rc<str>),
    SetFormat(Format),
    SetDirection(Direction),
    SetExtensions(String),
    SetMaxInflated(usize),
    /// An example was chosen; `max_inflated` is its limit (the default for most).
    LoadExample {
        id: String,
        input: String,
        direction: Direction,
        extensions: String,
        max_inflated: usize,
    },
    /// A decode finished: `None` for empty input.
    Decoded(Option<Result<Rc<Inspection>, String>>),
    Progress(usize, usize),
    Select(usize),
    Move(isize),
    Scroll(f64),
    SetTab(Tab),
    SetAcceptKey(String),
    ShowAllUnmask,
    TogglePassed,
    SetComposer(ComposerSpec),
    SendComposed {
        hex: String,
        direction: Direction,
    },
    /// The browser went Back or Forward to a page whose address holds this input (or none).
    Restore(Option<Shared>),
    /// "Edit this frame in the composer": the form filled in from a decoded frame.
    EditInComposer(ComposerSpec),
}

/// The input's text, shared: compared by address first, so the state, the decode key and the
/// props of a 10 MB input compare in O(1) while it is unchanged (`Rc<str>`'s own `==` always
/// compares the text: std's pointer shortcut is only for sized types).
#[derive(Clone, Debug, Default, Eq)]
pub struct Text(pub Rc<str>);

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(t: &str) -> Self {
        Text(t.into())
    }
}

impl From<String> for Text {
    fn from(t: String) -> Self {
        Text(t.into())
    }
}

impl From<Rc<str>> for Text {
    fn from(t: Rc<str>) -> Self {
        Text(t)
    }
}

/// Everything a decode depends on (and the share link carries): a change of any starts a new
/// decode. Cheap to build and compare: the texts are shared `Rc`s.
pub type DecodeKey = (Text, Format, Direction, Rc<str>, usize, bool);

impl State {
    /// What the current decode depends on.
    pub fn decode_key(&self) -> DecodeKey {
        (
            self.input.clone(),
            self.format,
            self.direction,
            self.extensions.clone(),
            self.max_inflated,
            self.typed,
        )
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetInput(text) => {
                if *s.input == *text {
                    return self;
                }
                s.input = Text(text);
                s.typed = true;
                s.leave_example();
            }
            Action::SetFormat(f) => s.format = f,
            // A setting the user changes is theirs: it stays when they leave the example.
            Action::SetDirection(d) => {
                s.direction = d;
                if let Some(own) = &mut s.own {
                    own.direction = d;
                }
            }
            Action::SetExtensions(x) => {
                s.extensions = x.into();
                if let Some(own) = &mut s.own {
                    own.extensions = s.extensions.clone();
                }
            }
            Action::SetMaxInflated(m) => {
                s.max_inflated = m.max(1);
                if let Some(own) = &mut s.own {
                    own.max_inflated = s.max_inflated;
                }
            }
            Action::LoadExample {
                id,
                input,
                direction,
                extensions,
                max_inflated,
            } => {
                if s.own.is_none() {
                    s.own = Some(s.settings());
                }
                s.example = id.into();
                s.input = input.into();
                s.typed = false;
                s.direction = direction;
                s.extensions = extensions.into();
                s.max_inflated = max_inflated;
                s.format = Format::Auto;
                s.tab = Tab::Frames;
            }
            // An error keeps the last good decode (and where the user was in it) on screen.
            Action::Decoded(Some(Err(e))) => {
                s.busy = false;
                s.progress = None;
                s.error = Some(e.into());
            }
            Action::Decoded(r) => {
                s.busy = false;
                s.progress = None;
                s.selected = 0;
                s.scroll_top = 0.0;
                s.unmask_all = false;
                s.accept_key = None;
                // Errors were taken by the arm above: what is left is a decode or nothing.
                match r {
                    Some(Ok(i)) => {
                        s.error = None;
                        // An example opens on the frame its finding is about.
                        if !s.example.is_empty() {
                            s.selected = i.frames.as_ref().map_or(0, view::first_finding_row);
                        }
                        s.result = Some(i);
                        let frames = s.has_frames();
                        let handshake = s.result.as_ref().is_some_and(|r| r.handshake.is_some());
                        if s.tab == Tab::Frames && handshake && !frames {
                            s.tab = Tab::Handshake;
                        } else if s.tab == Tab::Handshake && !handshake && frames {
                            s.tab = Tab::Frames;
                        }
                    }
                    _ => {
                        s.result = None;
                        s.error = None;
                    }
                }
            }
            Action::Progress(done, all) => s.progress = Some((done, all)),
            Action::Select(i) => {
                s.selected = i;
                s.unmask_all = false;
            }
            Action::Move(by) => {
                let n = s.frame_rows();
                if n == 0 {
                    return self;
                }
                s.selected = (s.selected as isize + by).clamp(0, n as isize - 1) as usize;
                s.unmask_all = false;
            }
            Action::Scroll(top) => s.scroll_top = top,
            Action::SetTab(t) => s.tab = t,
            Action::SetAcceptKey(k) => s.accept_key = Some(k.into()),
            Action::ShowAllUnmask => s.unmask_all = true,
            Action::TogglePassed => s.show_passed = !s.show_passed,
            Action::SetComposer(c) => s.composer = c,
            Action::SendComposed { hex, direction } => {
                s.leave_example();
                s.input = hex.into();
                s.typed = false;
                s.format = Format::Auto;
                s.direction = direction;
                s.extensions = "".into();
                s.tab = Tab::Frames;
            }
            Action::Restore(shared) => {
                s.leave_example();
                let sh = shared.unwrap_or(Shared {
                    input: String::new(),
                    format: Format::Auto,
                    direction: Direction::Unknown,
                    extensions: String::new(),
                    max_inflated: DEFAULT_MAX_INFLATED,
                });
                s.input = sh.input.into();
                s.format = sh.format;
                s.direction = sh.direction;
                s.extensions = sh.extensions.into();
                s.max_inflated = sh.max_inflated;
                s.typed = false;
            }
            Action::EditInComposer(c) => {
                s.composer = c;
                s.tab = Tab::Composer;
            }
        }
        if s.decode_key() != self.decode_key() {
            s.busy = true;
        }
        if s == *self {
            self
        } else {
            Rc::new(s)
        }
    }
}

/// The fields under the pointer or focus, shared by the bit grid and the hex view: one field
/// when a field is hovered, every field a byte holds when a byte is (byte 0 holds FIN, RSV1-3
/// and the opcode).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Highlight {
    pub fields: Vec<Part>,
}

impl Highlight {
    /// Whether `part` is lit.
    pub fn has(&self, part: Part) -> bool {
        self.fields.contains(&part)
    }

    /// Whether any of `parts` is lit (a byte is lit when it holds a lit field).
    pub fn any(&self, parts: &[Part]) -> bool {
        parts.iter().any(|&p| self.has(p))
    }
}

/// Hover or focus moved to these fields (empty: off every field).
pub struct Hover(pub Vec<Part>);

impl Hover {
    /// One header field, or none.
    pub fn field(key: Option<FieldId>) -> Hover {
        Hover(key.map(Part::Field).into_iter().collect())
    }
}

impl Reducible for Highlight {
    type Action = Hover;
    fn reduce(self: Rc<Self>, Hover(fields): Hover) -> Rc<Self> {
        if self.fields == fields {
            self
        } else {
            Rc::new(Highlight { fields })
        }
    }
}

/// The highlight, as a context.
pub type HighlightCtx = UseReducerHandle<Highlight>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_is_clamped_and_unchanged_state_is_the_same_rc() {
        let s = Rc::new(State::new(None));
        let same = s.clone().reduce(Action::Move(1));
        assert!(Rc::ptr_eq(&s, &same));
        let i =
            wsinspect_core::inspect::inspect(b"01 03 48 65 6c 80 02 6c 6f", &Default::default())
                .unwrap();
        let s = s.reduce(Action::Decoded(Some(Ok(Rc::new(i)))));
        let s = s.reduce(Action::Move(5));
        assert_eq!(s.selected, 1);
        let s = s.reduce(Action::Move(-9));
        assert_eq!(s.selected, 0);
    }

    /// The action that loading the example `id` dispatches.
    fn load_example(id: &str) -> Action {
        let e = wsinspect_view::examples::example(id).unwrap();
        Action::LoadExample {
            id: id.into(),
            input: (e.input)(),
            direction: e.direction,
            extensions: e.extensions.into(),
            max_inflated: e.inflate_limit(),
        }
    }

    #[test]
    fn examples_set_their_inflate_limit_and_others_reset_it() {
        let s = Rc::new(State::new(None)).reduce(load_example("finding-inflate-limit"));
        assert_eq!(s.max_inflated, 64 << 10);
        assert!(s.busy);
        let s = s.reduce(load_example("rfc7692-hello"));
        assert_eq!(s.max_inflated, DEFAULT_MAX_INFLATED);
        // Changing the limit alone decodes again.
        let s = s.reduce(Action::Decoded(None));
        assert!(!s.busy);
        let s = s.reduce(Action::SetMaxInflated(1 << 20));
        assert!(s.busy && s.max_inflated == 1 << 20);
        let same = s.clone().reduce(Action::SetMaxInflated(1 << 20));
        assert!(Rc::ptr_eq(&s, &same));
    }

    #[test]
    fn editing_after_an_example_gives_back_the_users_own_settings() {
        let s = Rc::new(State::new(None)).reduce(Action::SetExtensions("x-mine".into()));
        let s = s.reduce(load_example("finding-inflate-limit"));
        let s = s.reduce(load_example("rfc6455-unmasked-hello"));
        assert_eq!((s.direction, &*s.extensions), (Direction::Server, ""));
        let s = s.reduce(Action::SetInput("81 85 37 fa 21 3d 7f 9f 4d 51 58".into()));
        assert_eq!(
            (s.direction, &*s.extensions),
            (Direction::Unknown, "x-mine")
        );
        assert_eq!((s.max_inflated, &*s.example), (DEFAULT_MAX_INFLATED, ""));
        assert!(s.own.is_none());
        // A setting changed while the example is shown is the user's, and stays.
        let s = s.reduce(load_example("rfc6455-unmasked-hello"));
        let s = s.reduce(Action::SetMaxInflated(4096));
        let s = s.reduce(Action::SetInput("81 05 48 65 6c 6c 6f 21".into()));
        assert_eq!((s.direction, s.max_inflated), (Direction::Unknown, 4096));
    }

    #[test]
    fn only_typed_input_has_line_endings_the_page_cannot_know() {
        let s = Rc::new(State::new(None)).reduce(Action::SetInput("GET / HTTP/1.1\n".into()));
        assert!(s.typed);
        let e = wsinspect_view::examples::example("handshake-rfc6455").unwrap();
        let s = s.reduce(Action::LoadExample {
            id: e.id.into(),
            input: (e.input)(),
            direction: e.direction,
            extensions: e.extensions.into(),
            max_inflated: e.inflate_limit(),
        });
        assert!(!s.typed && s.busy);
        let shared = wsinspect_view::share::decode("#v=1&f=auto&d=server&z=AwA")
            .unwrap()
            .unwrap();
        assert!(!State::new(Some(shared)).typed);
    }

    #[test]
    fn an_example_opens_on_its_first_frame_with_a_finding_and_the_incomplete_frame_is_a_row() {
        let decoded = |id: &str| {
            let e = wsinspect_view::examples::example(id).unwrap();
            let opts = wsinspect_core::inspect::InspectOptions {
                direction: e.direction,
                ..Default::default()
            };
            let i = wsinspect_core::inspect::inspect((e.input)().as_bytes(), &opts).unwrap();
            Rc::new(State::new(None))
                .reduce(Action::LoadExample {
                    id: id.into(),
                    input: (e.input)(),
                    direction: e.direction,
                    extensions: e.extensions.into(),
                    max_inflated: e.inflate_limit(),
                })
                .reduce(Action::Decoded(Some(Ok(Rc::new(i)))))
        };
        assert_eq!(decoded("finding-frame-after-close").selected, 1);
        assert_eq!(decoded("finding-expected-continuation").selected, 1);
        let msb = decoded("finding-length-msb-set");
        assert!(msb.has_frames());
        assert_eq!((msb.selected, msb.frame_rows()), (0, 1));
        // Typed input opens on frame 0.
        let i = wsinspect_core::inspect::inspect(b"88 00 81 00", &Default::default()).unwrap();
        let s = Rc::new(State::new(None))
            .reduce(Action::SetInput("88 00 81 00".into()))
            .reduce(Action::Decoded(Some(Ok(Rc::new(i)))));
        assert_eq!(s.selected, 0);
    }

    #[test]
    fn the_passed_checks_fold_and_unfold() {
        let s = Rc::new(State::new(None));
        assert!(!s.show_passed);
        let s = s.reduce(Action::TogglePassed);
        assert!(s.show_passed && !s.busy);
        assert!(!s.reduce(Action::TogglePassed).show_passed);
    }

    #[test]
    fn an_error_keeps_the_last_good_decode() {
        let i =
            wsinspect_core::inspect::inspect(b"01 03 48 65 6c 80 02 6c 6f", &Default::default())
                .unwrap();
        let s = Rc::new(State::new(None)).reduce(Action::Decoded(Some(Ok(Rc::new(i)))));
        let s = s.reduce(Action::Select(1));
        let s = s.reduce(Action::SetInput("01 03 48 65 6g".into()));
        let s = s.reduce(Action::Decoded(Some(Err("line 1, column 14".into()))));
        assert!(s.result.is_some() && s.error.is_some() && !s.busy);
        assert_eq!(s.selected, 1);
        let s = s.reduce(Action::Decoded(None));
        assert!(s.result.is_none() && s.error.is_none());
    }

    #[test]
    fn a_share_link_restores_the_inflate_limit() {
        let shared = wsinspect_view::share::decode("#v=1&f=auto&d=server&z=AwA&m=4096")
            .unwrap()
            .unwrap();
        assert_eq!(State::new(Some(shared)).max_inflated, 4096);
    }

    #[test]
    fn hovering_a_byte_lights_every_field_it_holds() {
        let f = Part::Field;
        let h = Rc::new(Highlight::default()).reduce(Hover(vec![
            f(FieldId::Fin),
            f(FieldId::Rsv1),
            f(FieldId::Opcode),
        ]));
        assert!(h.has(f(FieldId::Fin)) && h.has(f(FieldId::Opcode)) && !h.has(f(FieldId::Mask)));
        assert!(h.any(&[f(FieldId::Mask), f(FieldId::Rsv1)]));
        assert!(!h.has(Part::Payload));
        let off = h.reduce(Hover::field(None));
        assert!(off.fields.is_empty());
    }

    #[test]
    fn a_handshake_alone_opens_the_handshake_tab() {
        let i = wsinspect_core::inspect::inspect(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            &Default::default(),
        )
        .unwrap();
        let s = Rc::new(State::new(None)).reduce(Action::Decoded(Some(Ok(Rc::new(i)))));
        assert_eq!(s.tab, Tab::Handshake);
    }
}
