//! Manifest receipts: the Root's signed acknowledgement that it received a usage manifest.
//!
//! Two documents (FORMAT.md §2.8): a **receipt key certificate** (`hwf-receipt-key+jws`), signed
//! by a trusted root key, certifies the public key a Root signs receipts with, for one
//! environment and a validity window; a **manifest receipt** (`hwf-receipt+jws`), signed by that
//! receipt key (its RFC 7638 thumbprint as `kid`), names the org, the manifest's document id, its
//! period and when the Root received it. The root key signs a certificate once; receipts are
//! signed on every (unauthenticated) delivery by the receipt key only.
//!
//! [`verify_receipt`] checks the whole chain receipt → certificate → trusted root, then the
//! times, the org and the manifest id, in the order FORMAT.md §4.2 gives.

use alloc::string::String;

use crate::chain::{
    check_root_binding, verify_root_signature, verify_signed, EnvironmentPolicy, TrustedRoot,
    Verified,
};
use crate::claims::{ReceiptClaims, ReceiptKeyClaims};
use crate::error::{DocKind, Error, Result};
use crate::jws;
use crate::keys::PublicKey;
use crate::time::{check_now, CLOCK_SKEW};
use crate::verify::{default_verifier, Verifier};

/// A receipt key certificate whose root signature and payload verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceiptKey {
    /// The certificate's document id.
    pub id: String,
    /// The verified claims.
    pub claims: ReceiptKeyClaims,
    /// The certified receipt key.
    pub key: PublicKey,
}

/// A manifest receipt whose whole chain verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The receipt's document id.
    pub id: String,
    /// The verified receipt claims.
    pub claims: ReceiptClaims,
    /// The certificate of the key that signed it.
    pub certificate: VerifiedReceiptKey,
}

/// Verifies a receipt key certificate against trusted roots under an environment policy: root
/// by `kid`, the root's environment accepted, signature, payload, `environment` equal to the
/// root's, `issued_by` equal to the `kid`, and the certified key a P-256 point. Validity in time
/// is checked by [`verify_receipt`].
pub fn verify_receipt_key(
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    certificate: &str,
) -> Result<VerifiedReceiptKey> {
    verify_receipt_key_with(default_verifier(), roots, policy, certificate)
}

/// [`verify_receipt_key`] with a given signature backend.
pub fn verify_receipt_key_with(
    verifier: &dyn Verifier,
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    certificate: &str,
) -> Result<VerifiedReceiptKey> {
    let kind = DocKind::ReceiptKey;
    let (root, verified) = verify_root_signature(verifier, roots, policy, kind, certificate)?;
    let claims: ReceiptKeyClaims = verified.claims()?;
    claims.check()?;
    check_root_binding(kind, root, claims.environment, &claims.issued_by)?;
    let key = PublicKey::from_jwk(&claims.key).map_err(|e| Error::payload(kind, e))?;
    Ok(VerifiedReceiptKey {
        id: jws::hex(&verified.hash),
        claims,
        key,
    })
}

/// Verifies a manifest receipt and its receipt key certificate (FORMAT.md §4.2): the
/// certificate as [`verify_receipt_key`] does and valid at `now`; the receipt signed by the
/// certified key (its thumbprint as `kid`, else `signer_mismatch`); `received_at` within the
/// certificate's validity and not after `now` (both with the 300 s skew); then `org_id` equal to
/// `org_id` (`org_mismatch`) and `manifest` equal to `manifest_id` (`binding_mismatch`).
pub fn verify_receipt(
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    certificate: &str,
    receipt: &str,
    org_id: &str,
    manifest_id: &str,
    now: i64,
) -> Result<VerifiedReceipt> {
    verify_receipt_with(
        default_verifier(),
        roots,
        policy,
        certificate,
        receipt,
        org_id,
        manifest_id,
        now,
    )
}

/// [`verify_receipt`] with a given signature backend.
#[allow(clippy::too_many_arguments)]
pub fn verify_receipt_with(
    verifier: &dyn Verifier,
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    certificate: &str,
    receipt: &str,
    org_id: &str,
    manifest_id: &str,
    now: i64,
) -> Result<VerifiedReceipt> {
    check_now(now)?;
    let cert = verify_receipt_key_with(verifier, roots, policy, certificate)?;
    let (issued_at, valid_until) = (cert.claims.issued_at, cert.claims.valid_until);
    check_window(
        DocKind::ReceiptKey,
        issued_at,
        now,
        DocKind::ReceiptKey,
        valid_until,
    )?;
    let kind = DocKind::Receipt;
    let r: Verified<ReceiptClaims> = verify_signed(verifier, &cert.key, kind, receipt)?;
    r.claims.check()?;
    let at = r.claims.received_at;
    // Not after `now`, then within the certificate's validity.
    check_window(kind, at, now, kind, i64::MAX)?;
    check_window(DocKind::ReceiptKey, issued_at, at, kind, valid_until)?;
    if r.claims.org_id != org_id {
        return Err(Error::OrgMismatch {
            kind,
            expected: org_id.into(),
            found: r.claims.org_id.clone(),
        });
    }
    if r.claims.manifest != manifest_id {
        return Err(Error::BindingMismatch {
            kind,
            what: "manifest",
        });
    }
    Ok(VerifiedReceipt {
        id: r.id,
        claims: r.claims,
        certificate: cert,
    })
}

/// `t` within `[issued_at - CLOCK_SKEW, valid_until)`: else `NotYetValid` for `early` (its
/// `issued_at`, `t` as `now`) or `CertificateExpired` for `late` (`valid_until`, `t` as `now`).
/// One copy for the receipt's three time checks.
fn check_window(
    early: DocKind,
    issued_at: i64,
    t: i64,
    late: DocKind,
    valid_until: i64,
) -> Result<()> {
    if issued_at > t.saturating_add(CLOCK_SKEW) {
        return Err(Error::NotYetValid {
            kind: early,
            issued_at,
            now: t,
            skew: CLOCK_SKEW,
        });
    }
    if t >= valid_until {
        return Err(Error::CertificateExpired {
            kind: late,
            valid_until,
            now: t,
        });
    }
    Ok(())
}
