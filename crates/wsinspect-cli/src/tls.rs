//! The text of a TLS report in `wsinspect pcap`'s summary: one line for what the connection
//! was (version, suite, SNI, ALPN, secrets, records decrypted), one per problem. The values are
//! wsinspect-capture's `TlsReport` (docs/tls.md); `--json` prints it as it is.

use wsinspect_capture::tls::TlsReport;

/// The lines, each indented by two spaces and ending in a newline.
pub fn tls_text(t: &TlsReport) -> String {
    let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_string());
    let secrets = match t.secrets_found {
        Some(true) => "secrets found",
        Some(false) => "no secrets",
        None => "secrets not looked up",
    };
    let mut s = format!(
        "  tls: {}, {}, SNI {}, ALPN {}; {}; {} record(s) decrypted from the client, {} from the server",
        or(&t.version, "version unknown"),
        or(&t.suite, "suite unknown"),
        or(&t.sni, "none"),
        or(&t.alpn, "none"),
        secrets,
        t.client_records,
        t.server_records
    );
    if t.key_updates > 0 {
        s.push_str(&format!(", {} key update(s)", t.key_updates));
    }
    s.push('\n');
    for p in &t.problems {
        let kind = serde_json::to_value(p.kind).map_or_else(
            |_| String::new(),
            |v| v.as_str().unwrap_or_default().to_string(),
        );
        let mut at = kind;
        if let Some(d) = p.direction {
            at.push_str(", ");
            at.push_str(d.as_str());
        }
        if let Some(o) = p.offset {
            at.push_str(&format!(", offset {o}"));
        }
        s.push_str(&format!("  tls problem ({at}): {}\n", p.message));
    }
    s
}
