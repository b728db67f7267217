//! The roots TLS trusts, for every HTTPS client in the binary (the installer's
//! and the server's pull-through from upstream indexes): the system's CA bundle,
//! because networks that inspect TLS add their own authority there; Mozilla's
//! roots (built in) only for systems without a bundle, such as scratch containers.

use std::fmt;
use std::path::{Path, PathBuf};

use ureq::tls::{Certificate, PemItem, RootCerts};

use crate::util::fs::{Context, FsError};

/// Where distributions keep their CA bundle, in the order Go and curl look.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Why the certificates to trust could not be read.
#[derive(Debug)]
pub enum CertError {
    /// The bundle could not be read.
    Read(FsError),
    /// The bundle holds no certificate, or a malformed one.
    Invalid { path: PathBuf, reason: String },
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Read(e) => e.fmt(f),
            CertError::Invalid { path, reason } => write!(
                f,
                "cannot use the certificates in `{}`: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CertError::Read(e) => Some(e),
            CertError::Invalid { .. } => None,
        }
    }
}

/// The trusted roots: `cert` if given (`--cert`, else `SSL_CERT_FILE`), else the
/// first system bundle that holds certificates, else Mozilla's built-in list.
pub fn root_certs(cert: Option<&Path>) -> Result<RootCerts, CertError> {
    if let Some(path) = cert.map(Path::to_path_buf) {
        let certs = load_pem(&path)?;
        if certs.is_empty() {
            return Err(CertError::Invalid {
                path,
                reason: "no certificates in it".into(),
            });
        }
        return Ok(RootCerts::from(certs));
    }
    for path in SYSTEM_BUNDLES.iter().map(Path::new) {
        if path.is_file() {
            let certs = load_pem(path)?;
            if !certs.is_empty() {
                return Ok(RootCerts::from(certs));
            }
        }
    }
    Ok(RootCerts::WebPki)
}

fn load_pem(path: &Path) -> Result<Vec<Certificate<'static>>, CertError> {
    let pem = std::fs::read(path)
        .context("read", path)
        .map_err(CertError::Read)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(CertError::Invalid {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_certificates_must_hold_some() {
        let dir = std::env::temp_dir().join(format!("curd-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = root_certs(Some(&empty)).unwrap_err().to_string();
        assert!(err.starts_with("cannot use the certificates in `"), "{err}");
        let err = root_certs(Some(&dir.join("missing.pem")))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot read `"), "{err}");
        if let Some(system) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            assert!(matches!(
                root_certs(Some(system)),
                Ok(RootCerts::Specific(certs)) if !certs.is_empty()
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
