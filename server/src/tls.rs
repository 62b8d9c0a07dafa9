//! TLS, on rustls with the *ring* provider: what `serve` presents (a given certificate, or a
//! self-signed one generated on first start and kept in the data directory), TLS 1.3 only unless
//! configured; and the Hub's client to the Root (TLS 1.3 only, no redirects, `http://` only to
//! a loopback address, the Root's certificate checked against the web roots, a given CA, or a
//! pinned SHA-256 fingerprint).
//!
//! Imports: `config` only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::{HubConfig, TlsVersion};

/// The self-signed certificate's directory under the data directory.
pub const SELF_SIGNED_DIR: &str = "tls";

/// A TLS failure at start: a file that cannot be read or written, or a certificate or key
/// that rustls does not take.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// The certificate, key or settings.
    #[error("TLS: {0}")]
    Config(String),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        error: e.to_string(),
    }
}

/// What `serve` presents.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The rustls configuration (ALPN `http/1.1`).
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate file (empty for [`ephemeral`]).
    pub cert_path: PathBuf,
    /// The certificate chain (PEM), for clients that trust it.
    pub cert_pem: String,
    /// SHA-256 of the leaf certificate (DER), as [`fingerprint`] writes it.
    pub fingerprint: String,
    /// Whether this start generated the self-signed certificate.
    pub generated: bool,
}

/// The SHA-256 fingerprint of a DER certificate as upper-case hex pairs joined by `:` (what
/// `openssl x509 -noout -fingerprint -sha256` prints after `=`).
pub fn fingerprint(der: &[u8]) -> String {
    let d = Sha256::digest(der);
    d.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
static TLS12_UP: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn versions(min: TlsVersion) -> &'static [&'static rustls::SupportedProtocolVersion] {
    match min {
        TlsVersion::Tls13 => TLS13_ONLY,
        TlsVersion::Tls12 => TLS12_UP,
    }
}

/// The server configuration of `cert` and `key` (PEM files) accepting `min` and above.
pub fn server(cert: &Path, key: &Path, min: TlsVersion) -> Result<ServerTls, TlsError> {
    let pem = std::fs::read_to_string(cert).map_err(|e| file_err(cert, e))?;
    let key_pem = std::fs::read(key).map_err(|e| file_err(key, e))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| file_err(key, e))?;
    let mut tls = from_pem(pem, key, min).map_err(|e| match e {
        TlsError::Config(why) => file_err(cert, why),
        other => other,
    })?;
    tls.cert_path = cert.to_path_buf();
    Ok(tls)
}

fn from_pem(
    pem: String,
    key: PrivateKeyDer<'static>,
    min: TlsVersion,
) -> Result<ServerTls, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let leaf = chain
        .first()
        .ok_or_else(|| TlsError::Config("no certificate in the file".into()))?;
    let fp = fingerprint(leaf);
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(min))
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        cert_path: PathBuf::new(),
        cert_pem: pem,
        fingerprint: fp,
        generated: false,
    })
}

/// A self-signed certificate for `localhost`, `127.0.0.1` and `::1` held in memory only (the
/// demo's: nothing is written).
pub fn ephemeral(min: TlsVersion) -> Result<ServerTls, TlsError> {
    let (cert, key) = generate(&[])?;
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut tls = from_pem(cert, key, min)?;
    tls.generated = true;
    Ok(tls)
}

/// A new self-signed certificate and its key (PEM).
fn generate(names: &[String]) -> Result<(String, String), TlsError> {
    let mut sans = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    for n in names {
        if !sans.contains(n) {
            sans.push(n.clone());
        }
    }
    let bad = |e: rcgen::Error| TlsError::Config(e.to_string());
    let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(bad)?;
    let mut params = rcgen::CertificateParams::new(sans).map_err(bad)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hwf-license self-signed");
    let year = this_year();
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
    let c = params.self_signed(&key_pair).map_err(bad)?;
    Ok((c.pem(), key_pair.serialize_pem()))
}

/// The self-signed certificate in `data_dir/tls/` (`cert.pem`, and `key.pem` readable by the
/// owner only), generated when absent: ECDSA P-256, for `localhost`, `127.0.0.1`, `::1` and
/// `names`, valid for ten years (from January 1st of last year).
pub fn self_signed(
    data_dir: &Path,
    names: &[String],
    min: TlsVersion,
) -> Result<ServerTls, TlsError> {
    let dir = data_dir.join(SELF_SIGNED_DIR);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut generated = false;
    if !cert.exists() || !key.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| file_err(&dir, e))?;
        let (cert_pem, key_pem) = generate(names)?;
        write_private(&key, key_pem.as_bytes())?;
        std::fs::write(&cert, cert_pem).map_err(|e| file_err(&cert, e))?;
        generated = true;
    }
    let mut tls = server(&cert, &key, min)?;
    tls.generated = generated;
    Ok(tls)
}

/// The current year (UTC, to within a day: the certificate's validity starts a year before).
fn this_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + (secs / 31_556_952) as i32
}

/// Writes `bytes` to a new file `path` that only its owner may read (0600 on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| file_err(path, e))?;
    f.write_all(bytes).map_err(|e| file_err(path, e))
}

/// Whether `url` may be used as the Root's URL: `https://`, or `http://` to a loopback host
/// (`localhost`, `127.0.0.0/8`, `::1`). The error says why not.
pub fn check_root_url(url: &str) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("root URL {url:?}: {e}"))?;
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&u) => Ok(()),
        "http" => Err(format!(
            "root URL {url:?}: plain http:// is refused except to a loopback address; use https://"
        )),
        other => Err(format!("root URL {url:?}: scheme {other:?} is not https")),
    }
}

fn is_loopback(u: &reqwest::Url) -> bool {
    let Some(host) = u.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => crate::config::canonical(ip).is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The Hub's HTTP client to the Root: TLS 1.3 only, no redirects (a redirect answer is a
/// failed delivery), a 15 s timeout; the Root's certificate is checked against
/// `config.root_fingerprint` (exactly that certificate), else `config.root_ca` (only that CA),
/// else the public web roots.
pub fn root_client(config: &HubConfig) -> Result<reqwest::Client, TlsError> {
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hwf-license-hub/", env!("CARGO_PKG_VERSION")));
    if let Some(pin) = config.root_fingerprint {
        let provider = provider();
        let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(TLS13_ONLY)
            .map_err(|e| TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider }))
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        b = b.use_preconfigured_tls(tls);
    } else {
        b = b.min_tls_version(reqwest::tls::Version::TLS_1_3);
        if let Some(ca) = &config.root_ca {
            let pem = std::fs::read(ca).map_err(|e| file_err(ca, e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| file_err(ca, e))?;
            if certs.is_empty() {
                return Err(file_err(ca, "no certificate in the file"));
            }
            b = b.tls_built_in_root_certs(false);
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
    }
    b.build().map_err(|e| TlsError::Config(e.to_string()))
}

/// Accepts exactly the certificate whose SHA-256 is `pin` (names and expiry are not checked:
/// the pin is the identity); the handshake signature is still verified with its key.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Sha256::digest(end_entity.as_ref())[..] == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // The client offers TLS 1.3 only.
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_urls_need_https_except_on_loopback() {
        for ok in [
            "https://root.example",
            "http://127.0.0.1:8080",
            "http://127.9.0.1",
            "http://[::1]:9",
            "http://localhost:1",
        ] {
            assert_eq!(check_root_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://root.example",
            "http://10.0.0.1",
            "http://[::ffff:10.0.0.1]",
            "ftp://root.example",
            "root.example",
        ] {
            assert!(check_root_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_self_signed_certificate_is_kept_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = self_signed(dir.path(), &[], TlsVersion::Tls13).unwrap();
        assert!(first.generated);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let again = self_signed(dir.path(), &[], TlsVersion::Tls13).unwrap();
        assert!(!again.generated);
        assert_eq!(
            again.fingerprint, first.fingerprint,
            "reused, not regenerated"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
