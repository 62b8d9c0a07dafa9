//! Issuance: signs every document kind with deterministic (RFC 6979) ES256 signatures.
//!
//! Each function fills `v` and `type`, checks the claims with the same rules the validator
//! applies, and refuses to sign what a validator would reject as malformed.

use alloc::string::String;

use crate::chain::VerifiedCml;
use crate::claims::{
    CmlClaims, HeartbeatClaims, LedgerEntryClaims, ManifestClaims, ReceiptClaims, ReceiptKeyClaims,
    RevocationListClaims, SiteClaims,
};
use crate::error::{DocKind, Error, Result};
use crate::file::license_file;
use crate::jws;
use crate::keys::SigningKey;
use crate::FORMAT_VERSION;

fn stamp(v: &mut u32, doc_type: &mut String, kind: DocKind) {
    *v = FORMAT_VERSION;
    *doc_type = kind.payload_type().into();
}

/// The payload [`sign_cml`] signs for `claims` under root key `root_kid`, checked: `v` and
/// `type` stamped, `issued_by` set to `root_kid`. A Root shows it before it signs (what will be
/// signed is exactly this).
pub fn cml_payload(root_kid: &str, claims: &CmlClaims) -> Result<CmlClaims> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::Cml);
    // The lowest version that can say everything: readers of version 1 keep reading CMLs that
    // need nothing newer (FORMAT.md §8).
    if c.max_offline_days.is_some() {
        c.v = 2;
    }
    c.issued_by = root_kid.into();
    c.check()?;
    crate::keys::PublicKey::from_jwk(&c.org_key)?;
    Ok(c)
}

/// Signs a CML with a root key announced as `root_kid`; sets `issued_by` to `root_kid`.
pub fn sign_cml(root: &SigningKey, root_kid: &str, claims: &CmlClaims) -> Result<String> {
    let c = cml_payload(root_kid, claims)?;
    jws::sign(DocKind::Cml, root, root_kid, &c)
}

/// Signs a site license with the org key; the caller sets every binding.
pub fn sign_site(org: &SigningKey, claims: &SiteClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::Site);
    c.check()?;
    jws::sign(DocKind::Site, org, org.public_key().thumbprint(), &c)
}

/// Mints a complete `site.lic` under a verified CML: sets the org id and parent binding from the
/// CML, checks the org key is the CML's and the features are within its feature packs, and signs.
pub fn mint_site_license(
    org: &SigningKey,
    cml: &VerifiedCml,
    claims: &SiteClaims,
) -> Result<String> {
    if org.public_key() != &cml.org_key {
        return Err(Error::SignerMismatch {
            kind: DocKind::Site,
            expected: cml.org_key.thumbprint().into(),
            found: org.public_key().thumbprint().into(),
        });
    }
    let mut c = claims.clone();
    c.org_id = cml.claims.org_id.clone();
    c.cml = cml.id.clone();
    crate::chain::check_site_binding(cml, &c)?;
    let site = sign_site(org, &c)?;
    Ok(license_file(&cml.jws, &site))
}

/// Signs a revocation list with the org key.
pub fn sign_revocation_list(org: &SigningKey, claims: &RevocationListClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::RevocationList);
    c.check()?;
    jws::sign(
        DocKind::RevocationList,
        org,
        org.public_key().thumbprint(),
        &c,
    )
}

/// Signs a heartbeat answer with the org key.
pub fn sign_heartbeat(org: &SigningKey, claims: &HeartbeatClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::Heartbeat);
    c.check()?;
    jws::sign(DocKind::Heartbeat, org, org.public_key().thumbprint(), &c)
}

/// Signs a usage ledger entry with the org key.
pub fn sign_ledger_entry(org: &SigningKey, claims: &LedgerEntryClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::LedgerEntry);
    c.check()?;
    jws::sign(DocKind::LedgerEntry, org, org.public_key().thumbprint(), &c)
}

/// Signs a usage manifest with the org key.
pub fn sign_manifest(org: &SigningKey, claims: &ManifestClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::Manifest);
    c.check()?;
    jws::sign(DocKind::Manifest, org, org.public_key().thumbprint(), &c)
}

/// Certifies a receipt key with a root key announced as `root_kid`; sets `issued_by` to
/// `root_kid`. The caller sets the key, environment (the root key's) and validity.
pub fn sign_receipt_key(
    root: &SigningKey,
    root_kid: &str,
    claims: &ReceiptKeyClaims,
) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::ReceiptKey);
    c.issued_by = root_kid.into();
    c.check()?;
    crate::keys::PublicKey::from_jwk(&c.key)?;
    jws::sign(DocKind::ReceiptKey, root, root_kid, &c)
}

/// Signs a manifest receipt with a (certified) receipt key, announced by its thumbprint.
pub fn sign_receipt(receipt_key: &SigningKey, claims: &ReceiptClaims) -> Result<String> {
    let mut c = claims.clone();
    stamp(&mut c.v, &mut c.doc_type, DocKind::Receipt);
    c.check()?;
    jws::sign(
        DocKind::Receipt,
        receipt_key,
        receipt_key.public_key().thumbprint(),
        &c,
    )
}

/// Low-level signing of arbitrary headers and payloads, for conformance vectors and interop
/// tests that need documents a validator must reject. Never needed to issue licenses.
pub mod raw {
    use super::*;
    use crate::b64;

    /// Signs `header || "." || payload` (both raw JSON bytes, base64url-encoded here) with `key`.
    pub fn sign_parts(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
        let mut out = b64::encode(header);
        out.push('.');
        out.push_str(&b64::encode(payload));
        let sig = key.sign_es256(out.as_bytes());
        out.push('.');
        out.push_str(&b64::encode(&sig));
        out
    }

    /// The protected header this library writes for `kind` and `kid`.
    pub fn header(kind: DocKind, kid: &str) -> String {
        alloc::format!(
            r#"{{"alg":"{}","typ":"{}","kid":"{}"}}"#,
            jws::ALG,
            kind.typ(),
            kid
        )
    }
}
