//! `wsinspect encode`: build one frame from fields (including wrong ones) and print it as hex.

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use wsinspect_core::inspect::notation::parse_hex;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::{close_payload, encode, spaced_hex, FrameSpec, LengthForm};
use wsinspect_core::wire::mask::MaskKey;

/// Arguments of `wsinspect encode`.
#[derive(Args)]
pub struct EncodeArgs {
    /// text, binary, close, ping, pong, continuation, or a number 0-15 (decimal or 0x hex).
    #[arg(long)]
    opcode: String,
    /// The payload as text (UTF-8).
    #[arg(long, conflicts_with_all = ["payload_hex", "payload_file"])]
    payload: Option<String>,
    /// The payload as hex.
    #[arg(long, conflicts_with = "payload_file")]
    payload_hex: Option<String>,
    /// The payload: the bytes of this file as they are (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    payload_file: Option<String>,
    /// Mask with this 4-byte key (8 hex digits, spaces and 0x allowed), as a client must.
    #[arg(long, conflicts_with = "no_mask")]
    mask: Option<String>,
    /// Send unmasked (the default), as a server must.
    #[arg(long)]
    no_mask: bool,
    /// Set FIN (the default): the last fragment of a message. The last of --fin/--no-fin wins.
    #[arg(long, overrides_with = "no_fin")]
    fin: bool,
    /// Clear FIN: more fragments follow.
    #[arg(long, overrides_with = "fin")]
    no_fin: bool,
    /// Set RSV1.
    #[arg(long)]
    rsv1: bool,
    /// Set RSV2.
    #[arg(long)]
    rsv2: bool,
    /// Set RSV3.
    #[arg(long)]
    rsv3: bool,
    /// For a close frame: put this status code before the payload.
    #[arg(long)]
    close_code: Option<u16>,
    /// The length field to use: 7, 16 or 64 (deliberately non-minimal); without it, the
    /// shortest that holds the payload. A form too short for the payload is an error.
    #[arg(long)]
    length_form: Option<u8>,
}

pub fn run(args: EncodeArgs) -> Result<()> {
    let op: OpCode = args.opcode.parse().context("--opcode")?;
    let mut payload = match (&args.payload, &args.payload_hex, &args.payload_file) {
        (_, _, Some(f)) => crate::read_input(Some(f)).context("--payload-file")?,
        (_, Some(h), None) => parse_hex(h).context("--payload-hex")?,
        (Some(t), None, None) => t.clone().into_bytes(),
        (None, None, None) => Vec::new(),
    };
    if let Some(code) = args.close_code {
        payload = close_payload(code, &payload);
    }
    let mut spec = FrameSpec::new(op, payload);
    // clap keeps only the last of --fin and --no-fin.
    spec.fin = args.fin || !args.no_fin;
    spec.rsv1 = args.rsv1;
    spec.rsv2 = args.rsv2;
    spec.rsv3 = args.rsv3;
    if let Some(bits) = args.length_form {
        let Some(form) = LengthForm::from_bits(bits) else {
            bail!("--length-form {bits}: expected 7, 16 or 64");
        };
        let len = spec.payload.len() as u64;
        if !form.holds(len) {
            bail!(
                "--length-form {bits}: a {bits}-bit length holds at most {}, and the payload is {len} bytes; use --length-form {} or leave it out",
                form.max_len(),
                LengthForm::minimal(len).bits()
            );
        }
        spec.length_form = form;
    }
    if let Some(k) = &args.mask {
        let key: MaskKey = k.parse().map_err(|e| anyhow!("--mask {k:?}: {e}"))?;
        spec.mask = Some(key.0);
    }
    let mut out = crate::output::Output::stdout();
    out.text(&format!("{}\n", spaced_hex(&encode(&spec))))?;
    out.done()
}
