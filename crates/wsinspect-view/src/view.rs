//! Display-ready views of decoded data, for the web page (or any other front-end).
//!
//! Everything that turns a decoded frame into rows and strings lives here, so the page only
//! arranges values: the header bit grid (RFC 6455 §5.2's figure, drawn from [`FIELDS`] plus the
//! decoder's spans), the hex view with each byte's field, the unmasking table (RFC 6455 §5.3),
//! payload text with invisible characters made visible, foldable pretty JSON, hex dumps, base64
//! and frame-list rows. Non-goals: HTML and what only the DOM needs (the virtual list's pixel
//! arithmetic, the `<select>` option lists), which live in `web/`.

use base64::Engine as _;
use serde::Serialize;

use wsinspect_core::finding::{Rule, Severity};
use wsinspect_core::handshake::Status;
use wsinspect_core::inspect::notation::{Format, Notation};
use wsinspect_core::inspect::Inspection;
use wsinspect_core::stream::{FrameReport, StreamReport};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::field::{self, FieldId, Kind, FIELDS};
use wsinspect_core::wire::length::LengthForm;

/// Bits per row of the bit grid, as in the RFC figure.
pub const GRID_BITS: usize = 32;

/// One field's piece of one bit-grid row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GridCell {
    /// The field (serialised as its key: `fin`, `opcode`, ..., `mask_key`).
    pub key: FieldId,
    /// The field's display name.
    pub name: &'static str,
    /// The name as the grid shows it: short for a 1-bit field (`F`, `R1`, `R2`, `R3`, `M`), so
    /// it fits one bit's cell; the full name stays in the title and the legend.
    pub label: &'static str,
    /// True for the field's first piece (the one that carries its name and value).
    pub first: bool,
    /// The field's value as the decoder states it (the `data-value` hook).
    pub value: String,
    /// The value for a reader (`1 (text)`, `37 fa 21 3d`).
    pub shown: String,
    /// This piece's bits, most significant first (`"0001"`).
    pub bits: String,
    /// First column of this piece in the row (0..32).
    pub column: usize,
    /// Where this field's colour comes from: its position in [`FIELDS`].
    pub colour: usize,
    /// The field's meaning.
    pub doc: &'static str,
    /// The RFC section defining it.
    pub rfc: &'static str,
}

/// One 32-bit row of the bit grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GridRow {
    /// The row's first byte, counted from the frame start.
    pub byte: usize,
    /// The pieces of fields in this row, left to right.
    pub cells: Vec<GridCell>,
    /// The header bytes in this row, each over its 8 bits.
    pub bytes: Vec<GridByte>,
    /// The columns (1..32) where a byte starts inside this row: a separator goes before each.
    pub boundaries: Vec<usize>,
}

/// One header byte in the bit grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GridByte {
    /// Its offset from the frame start.
    pub offset: usize,
    /// Its first column in the row (0, 8, 16 or 24).
    pub column: usize,
    /// Its value in hex (`81`).
    pub hex: String,
}

/// The short label of a 1-bit field; other fields keep their name.
fn grid_label(key: FieldId, name: &'static str) -> &'static str {
    match key {
        FieldId::Fin => "F",
        FieldId::Rsv1 => "R1",
        FieldId::Rsv2 => "R2",
        FieldId::Rsv3 => "R3",
        FieldId::Mask => "M",
        _ => name,
    }
}

/// The shown value of a header field.
fn shown(frame: &FrameReport, key: FieldId, text: &str) -> String {
    match key {
        FieldId::Opcode => format!("{text} ({})", frame.opcode().label()),
        FieldId::PayloadLen => match frame.header.length_form() {
            LengthForm::Bits7 => text.to_string(),
            form => format!("{text} ({}-bit length follows)", form.bits()),
        },
        FieldId::MaskKey => frame
            .header
            .mask_key
            .map(|k| wsinspect_core::wire::encode::spaced_hex(&k))
            .unwrap_or_default(),
        _ => text.to_string(),
    }
}

/// The header as rows of 32 bits, each field a group of cells, split where it crosses a row.
pub fn bit_grid(frame: &FrameReport) -> Vec<GridRow> {
    let mut rows: Vec<GridRow> = Vec::new();
    for f in &frame.fields {
        let def = f.key.def();
        let colour = f.key.index();
        let width = f.bits.len();
        let bits: String = (0..width)
            .map(|i| {
                if (f.value >> (width - 1 - i)) & 1 == 1 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect();
        let mut at = f.bits.start;
        while at < f.bits.end {
            let row = at / GRID_BITS;
            let row_end = (row + 1) * GRID_BITS;
            let end = f.bits.end.min(row_end);
            while rows.len() <= row {
                rows.push(GridRow {
                    byte: rows.len() * GRID_BITS / 8,
                    cells: Vec::new(),
                    bytes: Vec::new(),
                    boundaries: Vec::new(),
                });
            }
            rows[row].cells.push(GridCell {
                key: f.key,
                name: def.name,
                label: grid_label(f.key, def.name),
                first: at == f.bits.start,
                value: f.text.clone(),
                shown: shown(frame, f.key, &f.text),
                bits: bits[at - f.bits.start..end - f.bits.start].to_string(),
                column: at % GRID_BITS,
                colour,
                doc: def.doc,
                rfc: def.rfc,
            });
            at = end;
        }
    }
    // The header's bytes, put back together from its fields' bits.
    let len = frame
        .fields
        .iter()
        .map(|f| f.bits.end)
        .max()
        .unwrap_or(0)
        .div_ceil(8);
    let mut bytes = vec![0u8; len];
    for f in &frame.fields {
        let width = f.bits.len();
        for (i, bit) in f.bits.clone().enumerate() {
            if (f.value >> (width - 1 - i)) & 1 == 1 {
                bytes[bit / 8] |= 0x80 >> (bit % 8);
            }
        }
    }
    for (offset, b) in bytes.iter().enumerate() {
        let row = &mut rows[offset * 8 / GRID_BITS];
        let column = offset * 8 % GRID_BITS;
        if column > 0 {
            row.boundaries.push(column);
        }
        row.bytes.push(GridByte {
            offset,
            column,
            hex: format!("{b:02x}"),
        });
    }
    rows
}

/// One legend entry: a field present in this frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegendEntry {
    /// The field.
    pub key: FieldId,
    /// Display name.
    pub name: &'static str,
    /// Colour index (position in [`FIELDS`]).
    pub colour: usize,
    /// Its span in bits, for a reader (`bits 0-0`, `bytes 2-5`).
    pub place: String,
}

/// The legend of the bit grid: every field the frame has, with where it is.
pub fn legend(frame: &FrameReport) -> Vec<LegendEntry> {
    frame
        .fields
        .iter()
        .map(|f| {
            let def = f.key.def();
            let place = match def.kind {
                Kind::Flag | Kind::Opcode => {
                    if f.bits.len() == 1 {
                        format!("bit {}", f.bits.start)
                    } else {
                        format!("bits {}-{}", f.bits.start, f.bits.end - 1)
                    }
                }
                _ if matches!(def.loc, field::Loc::Bits { .. }) => {
                    format!("bits {}-{}", f.bits.start, f.bits.end - 1)
                }
                _ => format!("bytes {}-{}", f.bytes.start, f.bytes.end - 1),
            };
            LegendEntry {
                key: f.key,
                name: def.name,
                colour: f.key.index(),
                place,
            }
        })
        .collect()
}

/// What a byte of a frame belongs to: a header field, or the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// A header field.
    Field(FieldId),
    /// The payload.
    Payload,
}

impl Part {
    /// The field's key, or `payload` (the page's `data-of` hook).
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Field(f) => f.as_str(),
            Part::Payload => "payload",
        }
    }

    /// Its colour: the field's position in [`FIELDS`], `FIELDS.len()` for the payload.
    pub fn colour(self) -> usize {
        match self {
            Part::Field(f) => f.index(),
            Part::Payload => FIELDS.len(),
        }
    }
}

impl Serialize for Part {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One byte of the hex view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HexCell {
    /// Offset in the input's bytes.
    pub offset: usize,
    /// Two hex digits.
    pub hex: String,
    /// The byte as a printable character, or `·`.
    pub ch: String,
    /// The header field the byte belongs to (the first, for a byte shared by several), or
    /// the payload.
    pub field: Part,
    /// Every field the byte holds bits of (just the payload for payload bytes).
    pub fields: Vec<Part>,
    /// Its colour: the field's position in [`FIELDS`] (`FIELDS.len()` for payload).
    pub colour: usize,
}

/// One row of the hex view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HexRow {
    /// The row's first offset in the input, as 8 hex digits.
    pub label: String,
    /// Its bytes.
    pub cells: Vec<HexCell>,
}

/// The byte as a printable ASCII character, or a middle dot.
pub fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '·'
    }
}

/// The frame's bytes (from `input`, the bytes of the whole inspection, where the frame's
/// offsets point) as rows of 16, at most `limit` bytes, each byte knowing its field.
pub fn hex_view(frame: &FrameReport, input: &[u8], limit: usize) -> Vec<HexRow> {
    let start = frame.offset as usize;
    let end = (frame.range().end as usize)
        .min(input.len())
        .min(start.saturating_add(limit));
    let field_of = |rel: usize| -> Part {
        frame
            .fields
            .iter()
            .find(|f| f.bytes.contains(&rel))
            .map_or(Part::Payload, |f| Part::Field(f.key))
    };
    let cells: Vec<HexCell> = (start..end)
        .map(|at| HexCell {
            offset: at,
            hex: format!("{:02x}", input[at]),
            ch: printable(input[at]).to_string(),
            field: field_of(at - start),
            fields: {
                let all: Vec<Part> = frame
                    .fields
                    .iter()
                    .filter(|f| f.bytes.contains(&(at - start)))
                    .map(|f| Part::Field(f.key))
                    .collect();
                if all.is_empty() {
                    vec![Part::Payload]
                } else {
                    all
                }
            },
            colour: field_of(at - start).colour(),
        })
        .collect();
    cells
        .chunks(16)
        .map(|c| HexRow {
            label: format!("{:08x}", c[0].offset),
            cells: c.to_vec(),
        })
        .collect()
}

/// One row of the unmasking table (RFC 6455 §5.3: `j = i mod 4`, `transformed[i] = original[i]
/// XOR key[j]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnmaskRow {
    /// i: the payload byte's index.
    pub index: usize,
    /// The byte on the wire, in hex.
    pub masked: String,
    /// i mod 4.
    pub key_index: usize,
    /// The key byte used, in hex.
    pub key: String,
    /// The XOR written out in binary (`01111111 ^ 00110111`).
    pub xor: String,
    /// The unmasked byte, in hex.
    pub result: String,
    /// The unmasked byte as a character.
    pub ch: String,
}

/// The unmasking table of a masked frame's first `limit` payload bytes (empty when unmasked).
/// `input` is the inspection's bytes.
pub fn unmask_rows(frame: &FrameReport, input: &[u8], limit: usize) -> Vec<UnmaskRow> {
    let Some(key) = frame.header.mask_key else {
        return Vec::new();
    };
    let start = frame.payload_range().start as usize;
    let wire = input.get(start..).unwrap_or_default();
    frame
        .payload
        .iter()
        .zip(wire)
        .take(limit)
        .enumerate()
        .map(|(i, (&plain, &masked))| UnmaskRow {
            index: i,
            masked: format!("{masked:02x}"),
            key_index: i % 4,
            key: format!("{:02x}", key[i % 4]),
            xor: format!("{masked:08b} ^ {:08b}", key[i % 4]),
            result: format!("{plain:02x}"),
            ch: printable(plain).to_string(),
        })
        .collect()
}

/// Text with control and invisible characters made visible: C0 controls as their Unicode
/// control pictures (a line feed also breaks the line), DEL as `␡`, other invisible or
/// format characters as `⟨U+XXXX⟩`, and bytes that are not UTF-8 as `⟨\xNN⟩`.
pub fn visible_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_visible(&mut out, bytes, "␊\n");
    out
}

/// [`visible_text`] appended to `out`, with `newline` for each line feed.
fn push_visible(out: &mut String, bytes: &[u8], newline: &str) {
    use core::fmt::Write as _;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str(newline),
                ' ' => out.push(' '),
                '\u{00}'..='\u{1f}' => {
                    out.push(char::from_u32(0x2400 + c as u32).expect("control pictures exist"))
                }
                '\u{7f}' => out.push('␡'),
                '\u{80}'..='\u{a0}'
                | '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{feff}' => {
                    let _ = write!(out, "⟨U+{:04X}⟩", c as u32);
                }
                _ => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "⟨\\x{b:02x}⟩");
        }
    }
}

/// One line of pretty-printed JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonLine {
    /// Nesting depth (for indentation).
    pub depth: usize,
    /// The line's text without indentation.
    pub text: String,
    /// For a line that opens an object or array: the index of its closing line (foldable).
    pub closes_at: Option<usize>,
    /// For a line that opens an object or array: the line shown when folded (`"a": {…} 3 keys`).
    pub folded: Option<String>,
}

/// `text` as pretty JSON lines with their folding structure, when it is a JSON object or array.
pub fn json_lines(text: &str) -> Option<Vec<JsonLine>> {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut lines = Vec::new();
    push_json(&mut lines, None, &value, 0, false);
    Some(lines)
}

fn push_json(
    lines: &mut Vec<JsonLine>,
    key: Option<&str>,
    v: &serde_json::Value,
    depth: usize,
    comma: bool,
) {
    use serde_json::Value;
    let prefix = key
        .map(|k| format!("{}: ", serde_json::to_string(k).unwrap_or_default()))
        .unwrap_or_default();
    let tail = if comma { "," } else { "" };
    let (open, close, count, unit) = match v {
        Value::Object(m) => ('{', '}', m.len(), if m.len() == 1 { "key" } else { "keys" }),
        Value::Array(a) => (
            '[',
            ']',
            a.len(),
            if a.len() == 1 { "item" } else { "items" },
        ),
        scalar => {
            lines.push(JsonLine {
                depth,
                text: format!("{prefix}{scalar}{tail}"),
                closes_at: None,
                folded: None,
            });
            return;
        }
    };
    if count == 0 {
        lines.push(JsonLine {
            depth,
            text: format!("{prefix}{open}{close}{tail}"),
            closes_at: None,
            folded: None,
        });
        return;
    }
    let at = lines.len();
    lines.push(JsonLine {
        depth,
        text: format!("{prefix}{open}"),
        closes_at: None,
        folded: Some(format!("{prefix}{open}…{close}{tail}  {count} {unit}")),
    });
    match v {
        Value::Object(m) => {
            for (i, (k, x)) in m.iter().enumerate() {
                push_json(lines, Some(k), x, depth + 1, i + 1 < count);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                push_json(lines, None, x, depth + 1, i + 1 < count);
            }
        }
        _ => {}
    }
    lines[at].closes_at = Some(lines.len());
    lines.push(JsonLine {
        depth,
        text: format!("{close}{tail}"),
        closes_at: None,
        folded: None,
    });
}

/// The indexes of the lines to show when the lines opening at `folded` are folded.
pub fn visible_json_lines(lines: &[JsonLine], folded: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        out.push(i);
        match lines[i].closes_at {
            Some(end) if folded.contains(&i) => i = end + 1,
            _ => i += 1,
        }
    }
    out
}

/// One row of a hex dump.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DumpRow {
    /// Offset of the row, 8 hex digits.
    pub offset: String,
    /// Up to 16 bytes in hex, an extra space after the eighth.
    pub hex: String,
    /// The same bytes as printable characters.
    pub ascii: String,
}

/// A `hexdump -C` style dump of the first `limit` bytes.
pub fn hex_dump(bytes: &[u8], limit: usize) -> Vec<DumpRow> {
    bytes[..bytes.len().min(limit)]
        .chunks(16)
        .enumerate()
        .map(|(row, c)| {
            let mut hex = String::with_capacity(50);
            for (i, b) in c.iter().enumerate() {
                if i > 0 {
                    hex.push(' ');
                }
                if i == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x}"));
            }
            DumpRow {
                offset: format!("{:08x}", row * 16),
                hex,
                ascii: c.iter().map(|&b| printable(b)).collect(),
            }
        })
        .collect()
}

/// Standard base64 (with padding).
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Close frame body, for a reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CloseView {
    /// The code (`1000`), or `none`.
    pub code: String,
    /// Its name (`normal closure`).
    pub name: String,
    /// The reason, made visible, or `(none)`.
    pub reason: String,
}

/// The payload of a frame in every view the page offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayloadView {
    /// What the shown bytes are (`frame payload`, `message 2 (frames 3, 4, 5) joined`, ...).
    pub title: String,
    /// How many bytes the shown data has.
    pub len: usize,
    /// The text, made visible, when the data is meant as text or is valid UTF-8.
    pub text: Option<String>,
    /// Pretty JSON lines when the text is a JSON object or array.
    pub json: Option<Vec<JsonLine>>,
    /// A hex dump of (at most `limit` of) the data.
    pub hex: Vec<DumpRow>,
    /// Base64 of (at most `limit` of) the data.
    pub base64: String,
    /// Set when only part of the data is shown: says how much (see [`shown_note`]).
    pub truncated: Option<String>,
    /// How many bytes of the data no view shows (0 when all are shown).
    pub more: usize,
    /// For a compressed frame: its compressed bytes, dumped.
    pub compressed: Option<Vec<DumpRow>>,
    /// For a Close frame: its code, name and reason.
    pub close: Option<CloseView>,
}

/// Every payload view of frame `index`; data views hold at most `limit` bytes.
pub fn payload_view(report: &StreamReport, index: usize, limit: usize) -> PayloadView {
    let f = &report.frames[index];
    let message = f.message.and_then(|m| report.messages.get(m));
    let (title, data): (String, std::borrow::Cow<'_, [u8]>) = match message {
        Some(m) if m.compressed => (
            format!(
                "message {} inflated (permessage-deflate, {} compressed bytes in this frame)",
                m.index,
                f.payload.len()
            ),
            report.message_payload(m),
        ),
        Some(m) if m.frames.len() > 1 => (
            format!("message {} (frames {}) joined", m.index, join(&m.frames)),
            report.message_payload(m),
        ),
        _ => ("frame payload".to_string(), (&f.payload[..]).into()),
    };
    let shown = &data[..data.len().min(limit)];
    let meant_text =
        f.is_text || f.close.is_some() || message.is_some_and(|m| m.opcode == OpCode::TEXT);
    let utf8 = core::str::from_utf8(shown).ok();
    let text = if meant_text || (utf8.is_some() && !shown.is_empty()) {
        Some(match &f.close {
            Some(c) => visible_text(c.reason.as_deref().unwrap_or_default().as_bytes()),
            None => visible_text(shown),
        })
    } else {
        None
    };
    let json = if f.close.is_none() {
        utf8.and_then(json_lines)
    } else {
        None
    };
    PayloadView {
        title,
        len: data.len(),
        text,
        json,
        hex: hex_dump(&data, limit),
        base64: base64(shown),
        truncated: shown_note(limit, data.len()),
        more: data.len().saturating_sub(limit),
        compressed: f.compressed.then(|| hex_dump(&f.payload, limit)),
        close: f.close.as_ref().map(|c| CloseView {
            code: c.code.map_or("none".into(), |c| c.to_string()),
            name: c.name.unwrap_or("no status code").to_string(),
            reason: match c.reason.as_deref() {
                Some("") | None => "(none)".into(),
                Some(r) => visible_text(r.as_bytes()),
            },
        }),
    }
}

/// The note under a view that shows the first `shown` of `total` bytes, when some are left out:
/// `showing the first 4096 of 1048576 bytes (1044480 more bytes not shown)`.
pub fn shown_note(shown: usize, total: usize) -> Option<String> {
    (total > shown).then(|| {
        format!(
            "showing the first {shown} of {total} bytes ({} more bytes not shown; copy or download the decode for all of them)",
            total - shown
        )
    })
}

fn join(v: &[usize]) -> String {
    v.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A finding badge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// The rule (serialised as its code).
    pub code: Rule,
    /// `error`, `warning` or `note`.
    pub severity: &'static str,
}

/// One row of the frame list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameRow {
    /// Frame index.
    pub index: usize,
    /// `client`, `server` or `?`.
    pub direction: &'static str,
    /// An arrow for the direction.
    pub arrow: &'static str,
    /// Opcode name.
    pub opcode: &'static str,
    /// `1` or `0`.
    pub fin: &'static str,
    /// The payload length.
    pub len: String,
    /// A short payload preview.
    pub preview: String,
    /// Finding badges.
    pub badges: Vec<Badge>,
    /// For a frame of a fragmented message: `msg 2 · 1/3`.
    pub group: Option<String>,
    /// Where in a fragmented message: `first`, `middle`, `last`, or `none`.
    pub group_pos: &'static str,
    /// Whether this is the trailing frame the input ends inside (its findings are known from its
    /// header; its payload is not all there).
    pub incomplete: bool,
}

/// Rows in the frame list: every complete frame, then the trailing incomplete one if any.
pub fn row_count(report: &StreamReport) -> usize {
    report.frames.len() + usize::from(report.incomplete.is_some())
}

/// The findings of frame-list row `index` (the incomplete frame's too).
pub fn row_findings(report: &StreamReport, index: usize) -> &[wsinspect_core::finding::Finding] {
    match report.frames.get(index) {
        Some(f) => &f.findings,
        None if index == report.frames.len() => {
            report.incomplete.as_ref().map_or(&[], |i| &i.findings)
        }
        None => &[],
    }
}

/// The next row after `after` with a finding, wrapping round to the first ("next finding");
/// `None` when no row has one.
pub fn next_finding_row(report: &StreamReport, after: usize) -> Option<usize> {
    let n = row_count(report);
    (1..=n)
        .map(|k| (after + k) % n)
        .find(|&i| !row_findings(report, i).is_empty())
}

/// The parts of a frame a finding is about, lit in the bit grid and the bytes when the finding
/// is hovered or focused: the reserved bits that are set, the opcode, the length fields the
/// header has, the mask bit (and key), or the payload.
pub fn finding_parts(rule: Rule, header: &wsinspect_core::wire::header::Header) -> Vec<Part> {
    use FieldId as F;
    let f = Part::Field;
    let lengths = || {
        let mut v = vec![f(F::PayloadLen)];
        match header.len7 {
            126 => v.push(f(F::ExtLen16)),
            127 => v.push(f(F::ExtLen64)),
            _ => {}
        }
        v
    };
    match rule {
        Rule::ReservedBits => [
            (header.rsv1, F::Rsv1),
            (header.rsv2, F::Rsv2),
            (header.rsv3, F::Rsv3),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, k)| f(k))
        .collect(),
        Rule::ReservedOpcode
        | Rule::UnexpectedContinuation
        | Rule::ExpectedContinuation
        | Rule::FrameAfterClose => vec![f(F::Opcode)],
        Rule::FragmentedControl => vec![f(F::Fin), f(F::Opcode)],
        Rule::ControlTooLong | Rule::LengthNotMinimal | Rule::LengthMsbSet => lengths(),
        Rule::UnmaskedClientFrame => vec![f(F::Mask)],
        Rule::MaskedServerFrame => vec![f(F::Mask), f(F::MaskKey)],
        Rule::InvalidUtf8 | Rule::InvalidCloseCode | Rule::ClosePayloadTooShort => {
            vec![Part::Payload]
        }
        Rule::InflateFailed | Rule::InflateLimit => vec![f(F::Rsv1), Part::Payload],
        _ => Vec::new(),
    }
}

/// The first row with a finding (0 when none has one): where an example opens.
pub fn first_finding_row(report: &StreamReport) -> usize {
    (0..row_count(report))
        .find(|&i| !row_findings(report, i).is_empty())
        .unwrap_or(0)
}

/// The frame list's row for frame `index`.
pub fn frame_row(report: &StreamReport, index: usize) -> FrameRow {
    let (direction, arrow) = match report.direction.as_str() {
        "client" => ("client", "→"),
        "server" => ("server", "←"),
        // Not a dot: a sender the page cannot know is said so.
        _ => ("unknown sender", "?"),
    };
    let badges = |fs: &[wsinspect_core::finding::Finding]| {
        fs.iter()
            .map(|x| Badge {
                code: x.rule,
                severity: severity(x.severity),
            })
            .collect()
    };
    let Some(f) = report.frames.get(index) else {
        // The trailing frame the input ends inside.
        let inc = report.incomplete.as_ref();
        let (have, need) = inc.map_or((0, 0), |i| (i.have, i.need));
        return FrameRow {
            index,
            direction,
            arrow,
            opcode: "incomplete",
            fin: "?",
            len: "?".to_string(),
            preview: format!("incomplete: {have} bytes, {need} more needed"),
            badges: badges(inc.map_or(&[], |i| &i.findings)),
            group: None,
            group_pos: "none",
            incomplete: true,
        };
    };
    let msg = f.message.and_then(|m| report.messages.get(m));
    let (group, group_pos) = match msg {
        Some(m) if m.frames.len() > 1 => {
            let pos = m.frames.iter().position(|&i| i == index).unwrap_or(0);
            (
                Some(format!(
                    "msg {} · {}",
                    m.index,
                    part_of(pos, m.frames.len())
                )),
                if pos == 0 {
                    "first"
                } else if pos + 1 == m.frames.len() {
                    "last"
                } else {
                    "middle"
                },
            )
        }
        _ => (None, "none"),
    };
    FrameRow {
        index,
        direction,
        arrow,
        opcode: f.opcode().label(),
        fin: if f.header.fin { "1" } else { "0" },
        len: grouped(f.header.payload_len),
        preview: match msg {
            // The first frame of a compressed message previews what it inflates to.
            Some(m) if f.compressed && m.frames.first() == Some(&index) => format!(
                "inflated: {}",
                preview_bytes(&report.message_payload(m), m.opcode.0 == 1, 40)
            ),
            _ => preview(f, 40),
        },
        badges: badges(&f.findings),
        group,
        group_pos,
        incomplete: false,
    }
}

fn severity(s: Severity) -> &'static str {
    s.as_str()
}

/// A one-line preview of at most `chars` characters of a frame's payload.
pub fn preview(f: &FrameReport, chars: usize) -> String {
    if let Some(c) = &f.close {
        let code = c.code.map_or("no code".to_string(), |c| c.to_string());
        return match c.reason.as_deref() {
            Some(r) if !r.is_empty() => format!("{code} {r:?}"),
            _ => code,
        };
    }
    if f.compressed {
        return format!("(compressed, {} bytes)", f.payload.len());
    }
    preview_bytes(&f.payload, f.is_text, chars)
}

/// At most `chars` characters of `bytes`: as visible text when they are text, else as hex.
pub fn preview_bytes(bytes: &[u8], is_text: bool, chars: usize) -> String {
    let head = &bytes[..bytes.len().min(chars * 4)];
    // One string, cut where the preview ends (a capture makes one per frame).
    let mut text = if is_text || core::str::from_utf8(head).is_ok() {
        let mut s = String::with_capacity(head.len() + 8);
        push_visible(&mut s, head, "␊");
        s
    } else {
        wsinspect_core::wire::encode::spaced_hex(&bytes[..bytes.len().min(chars / 3)])
    };
    let cut = text.char_indices().nth(chars).map(|(i, _)| i);
    if let Some(i) = cut {
        text.truncate(i);
    }
    if cut.is_some() || head.len() < bytes.len() {
        text.push('…');
    }
    text
}

/// The checklist's counts: "25 pass, 0 warn, 0 fail", and the checks the input cannot settle
/// when there are any ("2 unknown": the line endings of typed text).
pub fn checks_tally(s: &wsinspect_core::handshake::Summary) -> String {
    let mut t = format!("{} pass, {} warn, {} fail", s.pass, s.warn, s.fail);
    if s.unknown > 0 {
        t.push_str(&format!(", {} unknown", s.unknown));
    }
    t
}

/// A one-line summary of an inspection (`hex · 42 bytes · 3 frames · 1 message · 2 findings`).
pub fn summary(i: &Inspection) -> String {
    let mut parts = vec![
        notation_label(i.notation).to_string(),
        plural(i.len, "byte"),
    ];
    if let Some(h) = &i.handshake {
        parts.push(format!("handshake: {}", checks_tally(&h.summary)));
    }
    if let Some(r) = &i.frames {
        parts.push(plural(r.frames.len(), "frame"));
        parts.push(plural(r.messages.len(), "message"));
        parts.push(plural(r.findings().count(), "finding"));
        if let Some(inc) = &r.incomplete {
            parts.push(format!(
                "incomplete frame at {} ({} more bytes needed)",
                grouped(inc.offset),
                grouped(inc.need)
            ));
        }
    }
    parts.join(" · ")
}

fn plural(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{} {unit}s", grouped(n as u64))
    }
}

/// A count with thousands separators: `1,048,576`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where a frame sits in its message, in words (frame and message numbers are indexes from 0,
/// so a position is never written as a second, 1-based number): `first of 3`, `2nd of 3`,
/// `last of 3`.
fn part_of(pos: usize, of: usize) -> String {
    let place = match pos + 1 {
        1 => "first".to_string(),
        n if n == of => "last".to_string(),
        n => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
    };
    format!("{place} of {of}")
}

/// How a notation is named on the page.
pub fn notation_label(n: Notation) -> &'static str {
    match n {
        Notation::Raw => "raw text / bytes",
        other => other.as_str(),
    }
}

/// What the field-info line says about the highlighted fields (in `keys` order): the first one
/// in full, and the others a byte also holds by name and value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldInfo {
    /// `FIN = 1`.
    pub head: String,
    /// The field's meaning.
    pub doc: &'static str,
    /// The RFC section defining it.
    pub rfc: &'static str,
    /// For a byte holding several fields: `also in this byte: RSV1 = 0, RSV2 = 0, ...`.
    pub also: Option<String>,
}

/// The field-info line for the highlighted `keys` of a frame drawn as `rows` ([`bit_grid`]);
/// `None` when none of them is a header field (payload bytes, nothing hovered).
pub fn field_info(rows: &[GridRow], keys: &[Part]) -> Option<FieldInfo> {
    let mut cells = keys.iter().filter_map(|k| {
        rows.iter()
            .flat_map(|r| &r.cells)
            .find(|c| *k == Part::Field(c.key) && c.first)
    });
    let main = cells.next()?;
    let others: Vec<String> = cells.map(|c| format!("{} = {}", c.name, c.shown)).collect();
    Some(FieldInfo {
        head: format!("{} = {}", main.name, main.shown),
        doc: main.doc,
        rfc: main.rfc,
        also: (!others.is_empty()).then(|| format!("also in this byte: {}", others.join(", "))),
    })
}

/// The name of a format, as share links and the page's format select write it (`auto`, `hex`,
/// `base64`, `raw`).
pub fn format_value(f: Format) -> &'static str {
    match f {
        Format::Auto => "auto",
        Format::Hex => "hex",
        Format::Base64 => "base64",
        Format::Raw => "raw",
    }
}

/// `pass`, `warn` or `fail`.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Unknown => "unknown",
        Status::Fail => "fail",
    }
}

/// A handshake checklist arranged for reading: what needs attention first (failures, then
/// warnings, then what the input cannot settle, each in protocol order), the passes apart so they
/// can be folded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checklist<'a> {
    /// Failures, warnings and unknowns, in that order.
    pub attention: Vec<&'a wsinspect_core::handshake::CheckResult>,
    /// The passed checks, in protocol order.
    pub passed: Vec<&'a wsinspect_core::handshake::CheckResult>,
}

impl<'a> Checklist<'a> {
    /// Group `checks` (given in protocol order).
    pub fn of(checks: &'a [wsinspect_core::handshake::CheckResult]) -> Checklist<'a> {
        let rank = |s: Status| match s {
            Status::Fail => 0,
            Status::Warn => 1,
            Status::Unknown => 2,
            Status::Pass => 3,
        };
        let mut attention: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
        attention.sort_by_key(|c| rank(c.status)); // stable: protocol order within a status
        let passed = checks.iter().filter(|c| c.status == Status::Pass).collect();
        Checklist { attention, passed }
    }

    /// The fold's button: "25 passed - show" or "25 passed - hide".
    pub fn passed_toggle(&self, shown: bool) -> String {
        format!(
            "{} passed - {}",
            self.passed.len(),
            if shown { "hide" } else { "show" }
        )
    }
}

/// The Handshake tab's label: "Handshake", or "Handshake (1 failed)" when checks failed.
pub fn handshake_tab_label(report: Option<&wsinspect_core::handshake::HandshakeReport>) -> String {
    match report.map_or(0, |r| r.summary.fail) {
        0 => "Handshake".into(),
        n => format!("Handshake ({n} failed)"),
    }
}

/// What the page says when the input cannot be read: the error, and for words (`hello world`),
/// where to go to put text in a frame.
pub fn input_error(e: &wsinspect_core::inspect::InspectError, input: &str) -> String {
    let mut m = e.to_string();
    if matches!(e, wsinspect_core::inspect::InspectError::Notation(_)) && looks_like_words(input) {
        m.push_str(". This looks like plain text, not frame bytes: to build a frame carrying it, use the Composer tab.");
    }
    m
}

/// Whether text reads as words rather than bytes: two or more words, most of them letters with
/// at least one that is not a hex digit.
fn looks_like_words(input: &str) -> bool {
    let words: Vec<&str> = input.split_whitespace().collect();
    let wordy = words
        .iter()
        .filter(|w| {
            let w = w.trim_matches(|c: char| c.is_ascii_punctuation());
            !w.is_empty()
                && w.chars().all(char::is_alphabetic)
                && w.chars().any(|c| !c.is_ascii_hexdigit())
        })
        .count();
    words.len() >= 2 && wordy * 2 > words.len()
}

/// The Accept verdict: (`match`, `mismatch` or `none`, a sentence).
///
/// `edited`: the user changed the key, so the received value answers another key than the one
/// shown, and the sentence says so instead of blaming the server.
pub fn accept_verdict(
    steps: &wsinspect_core::handshake::accept::AcceptSteps,
    edited: bool,
) -> (&'static str, String) {
    match (steps.matches, &steps.received) {
        (Some(m), Some(r)) if edited => (
            if m { "match" } else { "mismatch" },
            format!(
                "For the key you typed the expected value is {}; the server's {r} answered the key in the input, so they {}.",
                steps.expected,
                if m { "still agree" } else { "differ" }
            ),
        ),
        (Some(true), _) => (
            "match",
            "Match: the server's Sec-WebSocket-Accept equals the expected value.".into(),
        ),
        (Some(false), Some(r)) => (
            "mismatch",
            format!(
                "Mismatch: the server sent {r}, but {} was expected; a client must fail the connection.",
                steps.expected
            ),
        ),
        _ => (
            "none",
            "No Sec-WebSocket-Accept received to compare with: this is the value a server must send."
                .into(),
        ),
    }
}

/// `shown` in runs of characters that equal (`true`) or differ from (`false`) the character at
/// the same place in `other`: step 5's character-by-character comparison.
pub fn char_diff(shown: &str, other: &str) -> Vec<(String, bool)> {
    let mut other = other.chars();
    let mut runs: Vec<(String, bool)> = Vec::new();
    for c in shown.chars() {
        let same = other.next() == Some(c);
        match runs.last_mut() {
            Some((run, s)) if *s == same => run.push(c),
            _ => runs.push((c.to_string(), same)),
        }
    }
    runs
}

/// The index of the first character where `a` and `b` differ (`None` when equal): where a
/// server's hashed string left the right one (the GUID's dropped 'A').
pub fn first_difference(a: &str, b: &str) -> Option<usize> {
    let mut bs = b.chars();
    for (i, c) in a.chars().enumerate() {
        if bs.next() != Some(c) {
            return Some(i);
        }
    }
    bs.next().map(|_| a.chars().count())
}

/// The stream as the JSON document `wsinspect decode --json` prints.
pub fn decode_json(report: &StreamReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// The input exported as `hex`, `base64` or `json` (the decode in the CLI's schema; the whole
/// inspection when the input is a handshake without frames).
pub fn export(i: &Inspection, what: &str) -> Option<String> {
    match what {
        "hex" => Some(hex_lines(&i.bytes)),
        "base64" => Some(base64(&i.bytes)),
        "json" => Some(match &i.frames {
            Some(f) => decode_json(f),
            None => serde_json::to_string_pretty(i).unwrap_or_default(),
        }),
        _ => None,
    }
}

/// Bytes as spaced hex, in lines of 16.
pub fn hex_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(wsinspect_core::wire::encode::spaced_hex)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::inspect::{inspect, InspectOptions};
    use wsinspect_core::stream::{decode_all, DecodeConfig};
    use wsinspect_core::Direction;

    #[test]
    fn next_finding_wraps_and_a_finding_names_its_fields() {
        use wsinspect_core::stream::{decode_all, DecodeConfig};
        use wsinspect_core::Direction;
        // 0: fine, 1: rsv2 set, 2: fine, 3: reserved opcode 3.
        let r = decode_all(
            &[0x81, 0x00, 0xa1, 0x00, 0x81, 0x00, 0x83, 0x00],
            Direction::Server,
            &DecodeConfig::default(),
        );
        assert_eq!(next_finding_row(&r, 0), Some(1));
        assert_eq!(next_finding_row(&r, 1), Some(3));
        assert_eq!(next_finding_row(&r, 3), Some(1));
        let clean = decode_all(&[0x81, 0x00], Direction::Server, &DecodeConfig::default());
        assert_eq!(next_finding_row(&clean, 0), None);
        let h = &r.frames[1].header;
        assert_eq!(
            finding_parts(Rule::ReservedBits, h),
            [Part::Field(FieldId::Rsv2)]
        );
        assert_eq!(
            finding_parts(Rule::ReservedOpcode, &r.frames[3].header),
            [Part::Field(FieldId::Opcode)]
        );
        let long = decode_all(
            &[0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5],
            Direction::Server,
            &DecodeConfig::default(),
        );
        let f = &long.frames[0];
        assert_eq!(f.findings[0].rule, Rule::LengthNotMinimal);
        assert_eq!(
            finding_parts(f.findings[0].rule, &f.header),
            [
                Part::Field(FieldId::PayloadLen),
                Part::Field(FieldId::ExtLen16)
            ]
        );
    }

    #[test]
    fn counts_are_grouped_and_parts_are_words() {
        assert_eq!(
            [0, 999, 1000, 65536, 1048576].map(grouped),
            ["0", "999", "1,000", "65,536", "1,048,576"]
        );
        assert_eq!(plural(200_000, "frame"), "200,000 frames");
        assert_eq!(
            [(0, 3), (1, 3), (2, 3), (1, 12), (10, 12), (20, 30)].map(|(p, n)| part_of(p, n)),
            [
                "first of 3",
                "2nd of 3",
                "last of 3",
                "2nd of 12",
                "11th of 12",
                "21st of 30"
            ]
        );
    }

    const HELLO: [u8; 11] = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];

    fn hello() -> StreamReport {
        decode_all(&HELLO, Direction::Client, &DecodeConfig::default())
    }

    #[test]
    fn bit_grid_draws_rfc6455_5_7_like_the_figure() {
        let r = hello();
        let rows = bit_grid(&r.frames[0]);
        assert_eq!(rows.len(), 2);
        let first: Vec<_> = rows[0]
            .cells
            .iter()
            .map(|c| (c.key.as_str(), c.bits.as_str(), c.column))
            .collect();
        assert_eq!(
            first,
            [
                ("fin", "1", 0),
                ("rsv1", "0", 1),
                ("rsv2", "0", 2),
                ("rsv3", "0", 3),
                ("opcode", "0001", 4),
                ("mask", "1", 8),
                ("payload_len", "0000101", 9),
                ("mask_key", "0011011111111010", 16),
            ]
        );
        assert_eq!(rows[0].cells[4].shown, "1 (text)");
        let mk = &rows[1].cells[0];
        assert_eq!(
            (mk.key.as_str(), mk.first, mk.bits.as_str()),
            ("mask_key", false, "0010000100111101")
        );
        assert_eq!(rows[0].cells[7].shown, "37 fa 21 3d");
        // Every field has exactly one first piece.
        let firsts = rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter(|c| c.first)
            .count();
        assert_eq!(firsts, r.frames[0].fields.len());
        // 1-bit fields have short labels; the others keep their names.
        let labels: Vec<_> = rows[0].cells.iter().map(|c| c.label).collect();
        assert_eq!(
            labels,
            [
                "F",
                "R1",
                "R2",
                "R3",
                "Opcode",
                "M",
                "Payload length",
                "Masking key"
            ]
        );
        // Each header byte in hex over its 8 bits, and where bytes start inside a row.
        let hex = |r: &GridRow| {
            r.bytes
                .iter()
                .map(|b| (b.offset, b.column, b.hex.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hex(&rows[0]),
            [
                (0, 0, "81".into()),
                (1, 8, "85".into()),
                (2, 16, "37".into()),
                (3, 24, "fa".into())
            ]
        );
        assert_eq!(hex(&rows[1]), [(4, 0, "21".into()), (5, 8, "3d".into())]);
        assert_eq!(
            (rows[0].boundaries.as_slice(), rows[1].boundaries.as_slice()),
            (&[8, 16, 24][..], &[8][..])
        );
    }

    #[test]
    fn bit_grid_splits_a_64_bit_length_over_rows() {
        let bytes =
            wsinspect_core::wire::encode::encode(&wsinspect_core::wire::encode::FrameSpec {
                length_form: wsinspect_core::wire::encode::LengthForm::Bits64,
                ..wsinspect_core::wire::encode::FrameSpec::new(OpCode::BINARY, vec![0u8; 3])
            });
        let r = decode_all(&bytes, Direction::Server, &DecodeConfig::default());
        let rows = bit_grid(&r.frames[0]);
        let pieces: Vec<_> = rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter(|c| c.key == FieldId::ExtLen64)
            .map(|c| c.bits.len())
            .collect();
        assert_eq!(pieces, [16, 32, 16]);
        assert_eq!(legend(&r.frames[0]).last().unwrap().place, "bytes 2-9");
    }

    #[test]
    fn hex_view_links_every_byte_to_its_field() {
        let r = hello();
        let rows = hex_view(&r.frames[0], &HELLO, 1 << 20);
        let fields: Vec<_> = rows[0].cells.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "fin", "mask", "mask_key", "mask_key", "mask_key", "mask_key", "payload",
                "payload", "payload", "payload", "payload"
            ]
        );
        assert_eq!(rows[0].cells[6].hex, "7f");
        assert_eq!(
            rows[0].cells[1].fields,
            [Part::Field(FieldId::Mask), Part::Field(FieldId::PayloadLen)]
        );
        assert_eq!(rows[0].cells[0].fields.len(), 5);
        assert_eq!(rows[0].label, "00000000");
    }

    #[test]
    fn unmask_table_follows_rfc6455_5_3() {
        let r = hello();
        let rows = unmask_rows(&r.frames[0], &HELLO, 16);
        assert_eq!(rows.len(), 5);
        assert_eq!(
            (
                &*rows[0].masked,
                &*rows[0].key,
                &*rows[0].result,
                &*rows[0].ch
            ),
            ("7f", "37", "48", "H")
        );
        assert_eq!(rows[4].key_index, 0);
        assert_eq!(rows[1].xor, "10011111 ^ 11111010");
        assert!(unmask_rows(&r.frames[0], &HELLO, 2).len() == 2);
    }

    #[test]
    fn invisible_characters_are_made_visible() {
        assert_eq!(visible_text(b"a\tb\r\nc"), "a␉b␍␊\nc");
        assert_eq!(visible_text("x\u{200b}y".as_bytes()), "x⟨U+200B⟩y");
        assert_eq!(visible_text(b"\xc3\x28"), "⟨\\xc3⟩(");
        assert_eq!(visible_text(b"<script>"), "<script>");
    }

    #[test]
    fn json_is_pretty_and_foldable() {
        let lines = json_lines(r#"{"a":[1,2],"b":{}}"#).unwrap();
        let texts: Vec<_> = lines.iter().map(|l| (l.depth, l.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (0, "{"),
                (1, "\"a\": ["),
                (2, "1,"),
                (2, "2"),
                (1, "],"),
                (1, "\"b\": {}"),
                (0, "}")
            ]
        );
        assert_eq!(lines[1].closes_at, Some(4));
        assert_eq!(lines[1].folded.as_deref(), Some("\"a\": […],  2 items"));
        assert_eq!(visible_json_lines(&lines, &[1]), [0, 1, 5, 6]);
        assert_eq!(visible_json_lines(&lines, &[0]), [0]);
        assert!(json_lines("hello").is_none());
        assert!(json_lines("{broken").is_none());
    }

    #[test]
    fn hex_dump_and_base64() {
        let rows = hex_dump(b"Hello, WebSocket world!", 1 << 20);
        assert_eq!(
            rows[0].hex,
            "48 65 6c 6c 6f 2c 20 57  65 62 53 6f 63 6b 65 74"
        );
        assert_eq!(rows[1].offset, "00000010");
        assert_eq!(rows[1].ascii, " world!");
        assert_eq!(base64(b"Hello"), "SGVsbG8=");
        assert_eq!(hex_dump(&[0; 100], 32).len(), 2);
    }

    #[test]
    fn payload_views_of_close_compressed_and_fragmented_frames() {
        let close = decode_all(
            &[0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e'],
            Direction::Server,
            &DecodeConfig::default(),
        );
        let v = payload_view(&close, 0, 4096);
        let c = v.close.unwrap();
        assert_eq!(
            (c.code.as_str(), c.name.as_str(), c.reason.as_str()),
            ("1000", "normal closure", "bye")
        );

        let deflate = DecodeConfig::from_extensions("permessage-deflate").unwrap();
        let z = decode_all(
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            Direction::Server,
            &deflate,
        );
        let v = payload_view(&z, 0, 4096);
        assert_eq!(v.text.as_deref(), Some("Hello"));
        assert_eq!(v.compressed.unwrap()[0].hex, "f2 48 cd c9 c9 07 00");

        // RFC 6455 §5.7 fragmented "Hel" + "lo".
        let frag = decode_all(
            &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f],
            Direction::Server,
            &DecodeConfig::default(),
        );
        let v = payload_view(&frag, 1, 4096);
        assert_eq!(v.text.as_deref(), Some("Hello"));
        assert!(v.title.contains("frames 0, 1"));
        assert_eq!(
            frame_row(&frag, 0).group.as_deref(),
            Some("msg 0 · first of 2")
        );
        assert_eq!(
            frame_row(&frag, 1).group.as_deref(),
            Some("msg 0 · last of 2")
        );
        assert_eq!(frame_row(&frag, 1).group_pos, "last");

        let json = decode_all(
            b"\x81\x07{\"a\":1}",
            Direction::Server,
            &DecodeConfig::default(),
        );
        assert!(payload_view(&json, 0, 4096).json.is_some());
        let v = payload_view(&json, 0, 3);
        assert!(v.truncated.is_some() && v.base64 == "eyJh");
    }

    #[test]
    fn a_1_mib_payload_is_shown_capped_in_every_view() {
        // 1 MiB of text, sent plain and as a permessage-deflate message (RFC 7692 §7.2.1).
        let big: Vec<u8> = b"{\"k\":\""
            .iter()
            .copied()
            .chain(std::iter::repeat_n(b'a', (1 << 20) - 8))
            .chain(*b"\"}")
            .collect();
        assert_eq!(big.len(), 1 << 20);
        let plain = wsinspect_core::wire::encode::encode(
            &wsinspect_core::wire::encode::FrameSpec::new(OpCode::TEXT, &big[..]),
        );
        let z = miniz_oxide::deflate::compress_to_vec(&big, 6);
        let z = z.strip_suffix(&[0, 0, 0xff, 0xff]).unwrap_or(&z).to_vec();
        let deflated =
            wsinspect_core::wire::encode::encode(&wsinspect_core::wire::encode::FrameSpec {
                rsv1: true,
                ..wsinspect_core::wire::encode::FrameSpec::new(OpCode::TEXT, z)
            });
        let deflate = DecodeConfig::from_extensions("permessage-deflate").unwrap();
        for (bytes, config) in [(&plain, DecodeConfig::default()), (&deflated, deflate)] {
            let r = decode_all(bytes, Direction::Server, &config);
            assert_eq!(
                r.messages[0].inflated.as_ref().map_or(big.len(), Vec::len),
                big.len()
            );
            let v = payload_view(&r, 0, 4096);
            assert_eq!(v.len, 1 << 20);
            assert_eq!(v.more, (1 << 20) - 4096);
            assert!(v.text.as_ref().unwrap().len() <= 4096);
            assert!(v.json.is_none(), "a cut JSON document is not parsed");
            assert_eq!(v.hex.len(), 4096 / 16);
            assert_eq!(v.base64.len(), 4096_usize.div_ceil(3) * 4);
            assert!(v.compressed.as_ref().is_none_or(|c| c.len() <= 4096 / 16));
            let note = v.truncated.unwrap();
            assert!(
                note.contains("first 4096 of 1048576 bytes") && note.contains("1044480 more bytes"),
                "{note}"
            );
            assert!(frame_row(&r, 0).preview.chars().count() <= 60);
            assert_eq!(
                hex_view(&r.frames[0], bytes, 1024)
                    .iter()
                    .map(|r| r.cells.len())
                    .sum::<usize>(),
                1024
            );
        }
        // A payload that fits is not cut and has no note.
        let small = decode_all(b"\x81\x02hi", Direction::Server, &DecodeConfig::default());
        let v = payload_view(&small, 0, 4096);
        assert_eq!((v.more, v.truncated), (0, None));
    }

    #[test]
    fn a_byte_holding_several_fields_names_them_all() {
        let r = hello();
        let rows = bit_grid(&r.frames[0]);
        let hex = hex_view(&r.frames[0], &HELLO, 16);
        let info = field_info(&rows, &hex[0].cells[0].fields).unwrap();
        assert_eq!(info.head, "FIN = 1");
        assert_eq!(
            info.also.as_deref(),
            Some("also in this byte: RSV1 = 0, RSV2 = 0, RSV3 = 0, Opcode = 1 (text)")
        );
        let one = field_info(&rows, &[Part::Field(FieldId::MaskKey)]).unwrap();
        assert_eq!(
            (one.head.as_str(), one.also),
            ("Masking key = 37 fa 21 3d", None)
        );
        assert_eq!(field_info(&rows, &[Part::Payload]), None);
        assert_eq!(field_info(&rows, &[]), None);
    }

    #[test]
    fn frame_rows_carry_badges_and_previews() {
        let r = decode_all(
            b"\x81\x05Hello",
            Direction::Client,
            &DecodeConfig::default(),
        );
        let row = frame_row(&r, 0);
        assert_eq!(
            (row.opcode, row.fin, row.len.as_str(), row.preview.as_str()),
            ("text", "1", "5", "Hello")
        );
        assert_eq!(row.badges[0].code, Rule::UnmaskedClientFrame);
        assert_eq!(row.arrow, "→");
        let long = decode_all(
            &[0x82, 0x04, 0, 1, 2, 0xff],
            Direction::Server,
            &DecodeConfig::default(),
        );
        assert_eq!(frame_row(&long, 0).preview, "00 01 02 ff");
        // RFC 7692 §7.2.3.1 compressed "Hello", fragmented as in §7.2.3.2.
        let deflated = decode_all(
            &[
                0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
            ],
            Direction::Server,
            &DecodeConfig::from_extensions("permessage-deflate").unwrap(),
        );
        assert_eq!(frame_row(&deflated, 0).preview, "inflated: Hello");
        assert_eq!(frame_row(&deflated, 1).preview, "(compressed, 4 bytes)");
    }

    #[test]
    fn the_incomplete_frame_is_a_row_with_its_findings() {
        let cfg = DecodeConfig::default();
        // A 64-bit length with its most significant bit set, and only 5 payload bytes.
        let msb = decode_all(
            &[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5],
            Direction::Server,
            &cfg,
        );
        assert_eq!(row_count(&msb), 1);
        let row = frame_row(&msb, 0);
        assert!(row.incomplete);
        assert_eq!(row.badges[0].code, Rule::LengthMsbSet);
        assert_eq!(row_findings(&msb, 0)[0].rule, Rule::LengthMsbSet);
        assert_eq!(first_finding_row(&msb), 0);
        // One complete frame, then a masked server frame a byte short: its header's finding.
        let short = decode_all(b"\x81\x00\x81\x82abcdh", Direction::Server, &cfg);
        assert_eq!(row_count(&short), 2);
        assert!(!frame_row(&short, 0).incomplete && frame_row(&short, 1).incomplete);
        assert_eq!(
            frame_row(&short, 1).preview,
            "incomplete: 7 bytes, 1 more needed"
        );
        assert_eq!(row_findings(&short, 1)[0].rule, Rule::MaskedServerFrame);
        assert_eq!(first_finding_row(&short), 1);
        // An example opens on its first frame with a finding.
        let after_close = decode_all(&[0x88, 0, 0x81, 0], Direction::Server, &cfg);
        assert_eq!(first_finding_row(&after_close), 1);
        let clean = decode_all(b"\x81\x00", Direction::Server, &cfg);
        assert_eq!(first_finding_row(&clean), 0);
    }

    #[test]
    fn summary_and_verdict() {
        let i = inspect(
            b"81 85 37 fa 21 3d 7f 9f 4d 51 58",
            &InspectOptions::default(),
        )
        .unwrap();
        assert_eq!(
            summary(&i),
            "hex · 11 bytes · 1 frame · 1 message · 0 findings"
        );
        let s = wsinspect_core::handshake::accept::explain(
            "dGhlIHNhbXBsZSBub25jZQ==",
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        );
        assert_eq!(accept_verdict(&s, false).0, "match");
        let s = wsinspect_core::handshake::accept::explain(
            "dGhlIHNhbXBsZSBub25jZX==",
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        );
        assert!(accept_verdict(&s, false)
            .1
            .starts_with("Mismatch: the server sent"));
        let (v, edited) = accept_verdict(&s, true);
        assert_eq!(v, "mismatch");
        assert!(
            edited.starts_with("For the key you typed") && !edited.contains("server sent"),
            "{edited}"
        );
        let s = wsinspect_core::handshake::accept::explain("dGhlIHNhbXBsZSBub25jZQ==", None);
        assert_eq!(accept_verdict(&s, false).0, "none");
        assert_eq!(
            char_diff("abcd", "abXd"),
            [
                ("ab".to_string(), true),
                ("c".to_string(), false),
                ("d".to_string(), true)
            ]
        );
        assert_eq!(
            char_diff("abc", "ab"),
            [("ab".to_string(), true), ("c".to_string(), false)]
        );
        assert_eq!(first_difference("258EAFA5-E9", "258EAF5-E9"), Some(6));
        assert_eq!(first_difference("ab", "ab"), None);
        let json = decode_json(i.frames.as_ref().unwrap());
        assert!(json.contains("\"opcode_name\": \"text\""));
        assert_eq!(hex_lines(&[1, 2]), "01 02");
        assert_eq!(export(&i, "base64").unwrap(), "gYU3+iE9f59NUVg=");
        assert!(export(&i, "json")
            .unwrap()
            .starts_with("{\n  \"direction\""));
    }

    #[test]
    fn the_checklist_puts_failures_first_and_folds_the_passes() {
        // The misspelled GUID (tutorial 003): one failure late in protocol order, one warning.
        let input = crate::examples::example("handshake-misspelled-guid").unwrap();
        let h = wsinspect_core::handshake::analyze((input.input)().as_bytes());
        let list = Checklist::of(&h.checks);
        let statuses: Vec<Status> = list.attention.iter().map(|c| c.status).collect();
        assert_eq!(statuses.first(), Some(&Status::Fail));
        assert!(statuses.windows(2).all(|w| w[0] >= w[1]), "{statuses:?}");
        assert!(list.passed.iter().all(|c| c.status == Status::Pass));
        assert_eq!(list.attention.len() + list.passed.len(), h.checks.len());
        assert_eq!(
            list.passed_toggle(false),
            format!("{} passed - show", h.summary.pass)
        );
        assert!(list.passed_toggle(true).ends_with("- hide"));
        assert_eq!(
            handshake_tab_label(Some(&h)),
            format!("Handshake ({} failed)", h.summary.fail)
        );
        assert_eq!(handshake_tab_label(None), "Handshake");
    }

    #[test]
    fn words_get_a_hint_to_the_composer() {
        let err = |t: &str| {
            input_error(
                &inspect(t.as_bytes(), &InspectOptions::default()).unwrap_err(),
                t,
            )
        };
        assert!(err("hello world").ends_with("use the Composer tab."));
        assert!(err("Hello, world!").contains("Composer tab"));
        assert!(!err("81 05 4z").contains("Composer"));
        assert!(!err("81 85 37 fa 21 3d 7f 9f 4d 51 5g").contains("Composer"));
    }
}
