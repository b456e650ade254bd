//! `wss://` upstreams: the relay speaks TLS to the upstream (rustls with the ring provider,
//! Mozilla's roots from webpki-roots, plus any given CA file), so the client speaks plain ws to
//! the relay and the feed and the recording show the decrypted bytes.

use std::io;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A connector that trusts the web's roots and the certificates in `ca` (PEM), if given.
pub fn connector(ca: Option<&Path>) -> io::Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca {
        let named = |what: String| io::Error::other(format!("--ca {}: {what}", path.display()));
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| named(e.to_string()))? {
            let cert = cert.map_err(|e| named(e.to_string()))?;
            roots.add(cert).map_err(|e| named(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(named("no PEM certificate in it".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The name a `host:port` authority's certificate must carry (a DNS name or an IP address).
pub fn server_name(authority: &str) -> Result<ServerName<'static>, String> {
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_name_is_the_host_without_port_or_brackets() {
        assert_eq!(
            server_name("example.com:443").unwrap().to_str(),
            "example.com"
        );
        assert_eq!(server_name("127.0.0.1:8443").unwrap().to_str(), "127.0.0.1");
        assert_eq!(server_name("[::1]:8443").unwrap().to_str(), "::1");
        assert!(server_name("bad name:1").is_err());
    }
}
