//! `wsinspect decode`: read bytes in any notation, decode one direction, print a table or JSON.

use anyhow::{Context as _, Result};
use clap::Args;
use wsinspect_core::notation::{parse_input, Format};
use wsinspect_core::render::render_text;
use wsinspect_core::stream::{decode_all, DecodeConfig, Direction};

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
    let parsed = parse_input(&input, args.format).context("the input could not be read")?;
    let mut config = DecodeConfig::from_extensions(&args.extensions)
        .context("the --extensions value could not be used")?;
    config.max_inflated = args.max_inflated;
    let report = decode_all(&parsed.bytes, args.from, &config);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "input: {} bytes read as {}",
            parsed.bytes.len(),
            parsed.notation.as_str()
        );
        print!("{}", render_text(&report));
    }
    Ok(())
}
