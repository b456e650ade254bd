//! `wsinspect accept KEY`.

use anyhow::Result;
use clap::Args;

/// Arguments of `wsinspect accept`.
#[derive(Args)]
pub struct AcceptArgs {
    /// The Sec-WebSocket-Key value sent by the client.
    key: String,
}

pub fn run(args: AcceptArgs) -> Result<()> {
    println!("{}", wsinspect_core::accept::accept_key(&args.key));
    Ok(())
}
