//! `wsinspect explain "ERROR TEXT" [--json]`: the causes of an error a client printed, how to
//! tell them apart in a capture, and what to change (the index is the core's diagnosis table).

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use wsinspect_core::diagnose::explain::{explain, ExplainMatch};
use wsinspect_view::diagnose::render_explain;

/// Arguments of `wsinspect explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// The error text as the client printed it (quoted, or as several words); nothing reads it
    /// from standard input.
    text: Vec<String>,
    /// Print the causes as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    text: &'a str,
    causes: &'a [ExplainMatch],
}

pub fn run(args: ExplainArgs) -> Result<()> {
    let text = if args.text.is_empty() {
        String::from_utf8_lossy(&crate::read_input(None)?)
            .trim()
            .to_string()
    } else {
        args.text.join(" ")
    };
    if text.is_empty() {
        anyhow::bail!("give the error text your client printed, e.g. wsinspect explain \"Invalid frame header\"");
    }
    let causes = explain(&text);
    let mut out = crate::output::Output::stdout();
    if args.json {
        out.json_pretty(&Document {
            text: &text,
            causes: &causes,
        })?;
    } else {
        out.text(&render_explain(&text, &causes))?;
    }
    out.done()
}
