//! `wsinspect accept KEY [--received VALUE]`.

use anyhow::Result;
use clap::Args;

/// Arguments of `wsinspect accept`.
#[derive(Args)]
pub struct AcceptArgs {
    /// The Sec-WebSocket-Key value sent by the client.
    key: String,
    /// The Sec-WebSocket-Accept value the server sent: compare and diagnose.
    #[arg(long)]
    received: Option<String>,
    /// Print the steps as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: AcceptArgs) -> Result<()> {
    let steps = wsinspect_core::handshake::accept::explain(&args.key, args.received.as_deref());
    let mut out = crate::output::Output::stdout();
    if args.json {
        out.json_pretty(&steps)?;
    } else {
        out.text(&steps.to_text())?;
    }
    out.done()
}
