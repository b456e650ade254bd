//! `wsinspect handshake [FILE|-] [--json]`.

use anyhow::Result;
use clap::Args;

/// Arguments of `wsinspect handshake`.
#[derive(Args)]
pub struct HandshakeArgs {
    /// A file holding the request, the response, or both (optionally followed by frames);
    /// `-` or nothing reads standard input.
    file: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: HandshakeArgs) -> Result<()> {
    let input = crate::read_input(args.file.as_deref())?;
    let report = wsinspect_core::handshake::analyze(&input);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
