//! `wsinspect decode`: read bytes in any notation, decode one direction, print a table or JSON.

use anyhow::Result;
use clap::Args;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::{inspect, InspectOptions};
use wsinspect_core::stream::{decode_all, DecodeConfig};
use wsinspect_core::Direction;
use wsinspect_view::render::render_text;

/// Arguments of `wsinspect decode`.
#[derive(Args)]
pub struct DecodeArgs {
    /// The input file; `-` or nothing reads standard input.
    file: Option<String>,
    /// Which peer sent the bytes: client (frames must be masked), server, or unknown.
    #[arg(long, default_value = "unknown")]
    from: Direction,
    /// The input notation: auto, hex (any spelling), base64 or raw.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// The negotiated Sec-WebSocket-Extensions response value, e.g. "permessage-deflate".
    #[arg(long, default_value = "")]
    extensions: String,
    /// Stop inflating a message beyond this many bytes.
    #[arg(long, default_value_t = wsinspect_core::stream::DEFAULT_MAX_INFLATED)]
    max_inflated: usize,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DecodeArgs) -> Result<()> {
    let input = crate::read_input(args.file.as_deref())?;
    let opts = InspectOptions {
        format: args.format,
        direction: args.from,
        extensions: (!args.extensions.is_empty()).then(|| args.extensions.clone()),
        max_inflated: args.max_inflated,
    };
    let found = inspect(&input, &opts)?;
    if found.handshake.is_some() {
        eprintln!(
            "wsinspect: the input starts with a handshake ({} bytes); decoding the {} bytes after it (`wsinspect handshake` checks the handshake itself)",
            found.frames_offset,
            found.len - found.frames_offset
        );
    }
    if let Some(e) = &found.assumed_extensions {
        eprintln!("wsinspect: assuming the server accepted {e}: the request offered it and the response is not in the input");
    }
    if let Some(e) = &found.extensions_error {
        eprintln!(
            "wsinspect: the negotiated extensions could not be used ({e}); decoding without them"
        );
    }
    let report = found
        .frames
        .unwrap_or_else(|| decode_all(&[], args.from, &DecodeConfig::default()));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "input: {} bytes read as {}",
            found.len,
            found.notation.as_str()
        );
        print!("{}", render_text(&report));
    }
    Ok(())
}
