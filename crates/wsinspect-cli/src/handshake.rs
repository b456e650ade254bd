//! `wsinspect handshake [FILE|-] [--json]`.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use wsinspect_core::common::escape_controls;
use wsinspect_core::diagnose::{diagnose_stream, Diagnosis};
use wsinspect_core::handshake::HandshakeReport;
use wsinspect_core::inspect::notation::{Format, Notation};
use wsinspect_core::inspect::{handshake_bytes, inspect, InspectOptions};
use wsinspect_core::stream::StreamReport;
use wsinspect_view::diagnose::render_diagnoses;
use wsinspect_view::render::render_text;

/// Arguments of `wsinspect handshake`.
#[derive(Args)]
pub struct HandshakeArgs {
    /// A file holding the request, the response, or both (optionally followed by frames);
    /// `-` or nothing reads standard input.
    file: Option<String>,
    /// The input notation: auto (HTTP text, or hex, base64 or a dump of it), hex, base64 or raw.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The JSON document: the handshake report, plus the frames that followed it.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    handshake: &'a HandshakeReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    frames: Option<&'a StreamReport>,
    /// Why a connection with this handshake fails, if it does (docs/diagnose.md).
    diagnoses: Vec<Diagnosis>,
}

pub fn run(args: HandshakeArgs) -> Result<()> {
    let given = crate::read_input(args.file.as_deref())?;
    let (input, notation) = handshake_bytes(&given, args.format)?;
    if notation != Notation::Raw {
        eprintln!(
            "wsinspect: the input was read as {} ({} bytes)",
            notation.as_str(),
            input.len()
        );
    }
    let opts = InspectOptions {
        format: Format::Raw,
        ..InspectOptions::default()
    };
    let found = inspect(&input, &opts)?;
    let report = match &found.handshake {
        Some(r) => r.clone(),
        // Not starting like HTTP: analyse it anyway, so every check says what is missing.
        None => wsinspect_core::handshake::analyze(&input),
    };
    let frames = found.handshake.as_ref().and(found.frames.as_ref());
    let diagnoses = diagnose_stream(Some(&report), frames).diagnoses;
    let mut out = crate::output::Output::stdout();
    if args.json {
        let doc = Document {
            handshake: &report,
            frames,
            diagnoses,
        };
        out.json_pretty(&doc)?;
    } else {
        out.text(&report.to_text())?;
        // Both quote the input's headers: escape its control characters as to_text does.
        let assumed = found.assumed_extensions.as_deref().map(escape_controls);
        let unusable = found
            .extensions_error
            .as_ref()
            .map(|e| escape_controls(&e.to_string()));
        if let Some(e) = &assumed {
            out.text(&format!(
                "the frames were decoded assuming the server accepted {e} (the request offered it; the response is not in the input)\n"
            ))?;
        }
        if let Some(e) = &unusable {
            out.text(&format!(
                "the negotiated extensions could not configure the decoder: {e}\n"
            ))?;
        }
        if let Some(frames) = frames {
            out.text("\n")?;
            out.text(&render_text(frames))?;
        }
        out.text(&render_diagnoses(&diagnoses, None, ""))?;
    }
    out.done()
}
