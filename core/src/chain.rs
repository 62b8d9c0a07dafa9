//! The chain of trust, Root → CML → site license, and the documents signed by an org key.
//!
//! Decides which key verifies which document: a CML by a trusted root key (found by `kid`) whose
//! environment the validator accepts and equals the CML's `key_type`; every org-signed document
//! by the org key inside a verified CML, announced by its RFC 7638 thumbprint as `kid`.

use alloc::string::String;

use crate::claims::{
    CmlClaims, Environment, HeartbeatClaims, LedgerEntryClaims, ManifestClaims,
    RevocationListClaims, SiteClaims, GENESIS_PREV,
};
use crate::error::{DocKind, Error, Result};
use crate::jws;
use crate::keys::PublicKey;
use crate::verify::{default_verifier, Verifier};

/// A root public key the validator trusts, with its key id and environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedRoot {
    /// The `kid` CMLs signed by this key announce.
    pub kid: String,
    /// The environment this key signs for.
    pub environment: Environment,
    /// The public key.
    pub key: PublicKey,
}

impl TrustedRoot {
    /// Bundles a key with its kid and environment.
    pub fn new(kid: impl Into<String>, environment: Environment, key: PublicKey) -> Self {
        Self {
            kid: kid.into(),
            environment,
            key,
        }
    }
}

/// Which environments a validator accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvironmentPolicy {
    /// The validator's own environment.
    pub environment: Environment,
    /// Also accept the other environment (explicit opt-in, e.g. staging nodes).
    pub accept_other: bool,
}

impl EnvironmentPolicy {
    /// Accept only `environment`.
    pub const fn only(environment: Environment) -> Self {
        Self {
            environment,
            accept_other: false,
        }
    }

    /// Whether a root (or chain) of environment `env` is accepted.
    pub fn accepts(self, env: Environment) -> bool {
        self.accept_other || env == self.environment
    }
}

/// A CML whose root signature and payload have been verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCml {
    /// The document id (hex SHA-256 of the signing input): what site licenses bind to.
    pub id: String,
    /// The verified claims.
    pub claims: CmlClaims,
    /// The org key, imported from the claims.
    pub org_key: PublicKey,
    /// The compact JWS it was read from.
    pub jws: String,
}

/// An org-signed document whose signature and payload have been verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T> {
    /// The document id (hex SHA-256 of the signing input).
    pub id: String,
    /// The verified claims.
    pub claims: T,
}

/// Verifies a CML against trusted roots under an environment policy.
pub fn verify_cml(
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    jws: &str,
) -> Result<VerifiedCml> {
    verify_cml_with(default_verifier(), roots, policy, jws)
}

/// [`verify_cml`] with a given signature backend.
pub fn verify_cml_with(
    verifier: &dyn Verifier,
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    jws: &str,
) -> Result<VerifiedCml> {
    let (root, verified) = verify_root_signature(verifier, roots, policy, DocKind::Cml, jws)?;
    cml_from(root, &verified, jws)
}

/// The CML half of a two-phase verification (`crate::pending`): everything that needs no
/// signature result. An error here is final (nothing of it depends on the signature); otherwise
/// the index of the root whose key must verify `check`, and what the CML is *if* it does —
/// read before its signature is known valid, so nothing of it may be used (or returned, its
/// error included) until the check verified.
pub(crate) fn prepare_cml(
    roots: &[TrustedRoot],
    policy: EnvironmentPolicy,
    jws: &str,
) -> Result<(usize, crate::pending::Check, Result<VerifiedCml>)> {
    let unverified = jws::parse(DocKind::Cml, jws)?;
    let (i, root) = find_root(roots, policy, DocKind::Cml, &unverified.kid)?;
    let check = unverified.check();
    let then = unverified
        .payload(check.digest)
        .and_then(|v| cml_from(root, &v, jws));
    Ok((i, check, then))
}

/// The site half of a two-phase verification, under a CML that may not be verified yet (its org
/// key): the structure, the signer and the check for the org key. What the site license is if
/// that verifies is read by [`read_site`], which phase 1 leaves for later (`crate::pending`:
/// it needs no signature result, so it can run while the check is being verified).
pub(crate) fn prepare_site(cml: &VerifiedCml, jws: &str) -> Result<crate::pending::Check> {
    let kind = DocKind::Site;
    let unverified = jws::parse(kind, jws)?;
    check_signer(&cml.org_key, kind, &unverified)?;
    Ok(unverified.check())
}

/// The site license of [`prepare_site`] if its `check` verifies: its payload, claims, their
/// rules and the binding to `cml`. The same result whenever it is read (it depends on the text,
/// the check's digest and the CML only).
pub(crate) fn read_site(
    cml: &VerifiedCml,
    jws: &str,
    check: &crate::pending::Check,
) -> Result<Verified<SiteClaims>> {
    let v = jws::parse(DocKind::Site, jws)?.payload(check.digest)?;
    let site = Verified {
        id: jws::hex(&v.hash),
        claims: v.claims::<SiteClaims>()?,
    };
    site.claims.check()?;
    check_site_binding(cml, &site.claims)?;
    Ok(site)
}

/// A CML's payload rules once its root signature verified.
fn cml_from(root: &TrustedRoot, verified: &jws::Verified, jws: &str) -> Result<VerifiedCml> {
    let kind = DocKind::Cml;
    let claims: CmlClaims = verified.claims()?;
    claims.check()?;
    check_root_binding(kind, root, claims.key_type, &claims.issued_by)?;
    let org_key = PublicKey::from_jwk(&claims.org_key).map_err(|e| Error::payload(kind, e))?;
    Ok(VerifiedCml {
        id: jws::hex(&verified.hash),
        claims,
        org_key,
        jws: jws.trim_matches(|c: char| c.is_ascii_whitespace()).into(),
    })
}

/// Verifies a document signed by the CML's org key and parses its claims.
fn verify_org_signed<T: crate::claims::FromJson>(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    kind: DocKind,
    jws: &str,
) -> Result<Verified<T>> {
    verify_signed(verifier, &cml.org_key, kind, jws)
}

/// Verifies a document signed by `key` (its thumbprint as `kid`, else `signer_mismatch`) and
/// parses its claims: the org-signed kinds, and the manifest receipt (signed by its certified
/// receipt key).
pub(crate) fn verify_signed<T: crate::claims::FromJson>(
    verifier: &dyn Verifier,
    key: &PublicKey,
    kind: DocKind,
    jws: &str,
) -> Result<Verified<T>> {
    let verified = verify_key_signature(verifier, key, kind, jws)?;
    Ok(Verified {
        id: jws::hex(&verified.hash),
        claims: verified.claims()?,
    })
}

/// The part of [`verify_signed`] that is the same for every kind (linked once): parse, the
/// signer is `key`, the signature.
fn verify_key_signature(
    verifier: &dyn Verifier,
    key: &PublicKey,
    kind: DocKind,
    jws: &str,
) -> Result<jws::Verified> {
    let unverified = jws::parse(kind, jws)?;
    check_signer(key, kind, &unverified)?;
    unverified.verify(key, verifier)
}

/// An org-signed document announces its signer by the key's thumbprint as `kid`.
fn check_signer(key: &PublicKey, kind: DocKind, unverified: &jws::Unverified<'_>) -> Result<()> {
    if unverified.kid != key.thumbprint() {
        return Err(Error::SignerMismatch {
            kind,
            expected: key.thumbprint().into(),
            found: unverified.kid.clone(),
        });
    }
    Ok(())
}

/// The part of a root-signed kind's verification that is the same for every kind (CML, receipt
/// key certificate): parse, the root by `kid`, its environment accepted by `policy`, the
/// signature.
pub(crate) fn verify_root_signature<'r>(
    verifier: &dyn Verifier,
    roots: &'r [TrustedRoot],
    policy: EnvironmentPolicy,
    kind: DocKind,
    jws: &str,
) -> Result<(&'r TrustedRoot, jws::Verified)> {
    let unverified = jws::parse(kind, jws)?;
    let (_, root) = find_root(roots, policy, kind, &unverified.kid)?;
    Ok((root, unverified.verify(&root.key, verifier)?))
}

/// The trusted root of `kid` (and its index), its environment accepted by `policy`.
fn find_root<'r>(
    roots: &'r [TrustedRoot],
    policy: EnvironmentPolicy,
    kind: DocKind,
    kid: &str,
) -> Result<(usize, &'r TrustedRoot)> {
    let (i, root) = roots
        .iter()
        .enumerate()
        .find(|(_, r)| r.kid == kid)
        .ok_or_else(|| Error::UnknownKeyId {
            kind,
            kid: kid.into(),
        })?;
    if !policy.accepts(root.environment) {
        return Err(Error::EnvironmentMismatch {
            kind,
            expected: policy.environment,
            found: root.environment,
        });
    }
    Ok((i, root))
}

/// A root-signed payload names its signer: its environment is the root's, its `issued_by` the
/// root's `kid`.
pub(crate) fn check_root_binding(
    kind: DocKind,
    root: &TrustedRoot,
    environment: Environment,
    issued_by: &str,
) -> Result<()> {
    if environment != root.environment {
        return Err(Error::EnvironmentMismatch {
            kind,
            expected: root.environment,
            found: environment,
        });
    }
    if issued_by != root.kid {
        return Err(Error::payload(
            kind,
            "issued_by differs from the signing kid",
        ));
    }
    Ok(())
}

fn same_org(cml: &VerifiedCml, kind: DocKind, org_id: &str) -> Result<()> {
    if org_id == cml.claims.org_id {
        Ok(())
    } else {
        Err(Error::OrgMismatch {
            kind,
            expected: cml.claims.org_id.clone(),
            found: org_id.into(),
        })
    }
}

fn same_cml(cml: &VerifiedCml, kind: DocKind, binding: &str) -> Result<()> {
    if binding == cml.id {
        Ok(())
    } else {
        Err(Error::BindingMismatch { kind, what: "CML" })
    }
}

/// Verifies a site license against its (verified) parent CML: signature by the org key, org id,
/// parent binding, and features within the CML's feature packs.
pub fn verify_site(cml: &VerifiedCml, jws: &str) -> Result<Verified<SiteClaims>> {
    verify_site_with(default_verifier(), cml, jws)
}

/// [`verify_site`] with a given signature backend.
pub fn verify_site_with(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<SiteClaims>> {
    let kind = DocKind::Site;
    let site: Verified<SiteClaims> = verify_org_signed(verifier, cml, kind, jws)?;
    site.claims.check()?;
    check_site_binding(cml, &site.claims)?;
    Ok(site)
}

/// The CML-dependent rules of a site license (re-checked on every validation).
pub(crate) fn check_site_binding(cml: &VerifiedCml, site: &SiteClaims) -> Result<()> {
    same_org(cml, DocKind::Site, &site.org_id)?;
    if site.cml != cml.id {
        return Err(Error::ParentMismatch {
            expected: cml.id.clone(),
            found: site.cml.clone(),
        });
    }
    if let Some(f) = site
        .features
        .iter()
        .find(|f| !cml.claims.feature_packs.contains(f))
    {
        return Err(Error::FeatureNotInCml { feature: f.clone() });
    }
    Ok(())
}

/// Whether a site license (its org id and features, from a verified site license or a verdict)
/// lies within `cml`, the CML a Hub holds: the same org (`org_mismatch`) and every feature among
/// the CML's feature packs (`feature_not_in_cml`). A license validated under another CML of a
/// trusted root — another org's, or one granting more — is not this Hub's to vouch for.
pub fn check_site_scope(cml: &VerifiedCml, org_id: &str, features: &[String]) -> Result<()> {
    same_org(cml, DocKind::Site, org_id)?;
    if let Some(f) = features
        .iter()
        .find(|f| !cml.claims.feature_packs.contains(f))
    {
        return Err(Error::FeatureNotInCml { feature: f.clone() });
    }
    Ok(())
}

/// Verifies a revocation list of the CML's org (signature, org id, CML binding).
pub fn verify_revocation_list(
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<RevocationListClaims>> {
    verify_revocation_list_with(default_verifier(), cml, jws)
}

/// [`verify_revocation_list`] with a given signature backend.
pub fn verify_revocation_list_with(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<RevocationListClaims>> {
    let kind = DocKind::RevocationList;
    let rl: Verified<RevocationListClaims> = verify_org_signed(verifier, cml, kind, jws)?;
    rl.claims.check()?;
    same_org(cml, kind, &rl.claims.org_id)?;
    same_cml(cml, kind, &rl.claims.cml)?;
    Ok(rl)
}

/// Verifies a heartbeat answer of the CML's org for `site_id` carrying `nonce`.
///
/// The embedded revocation list is not verified here; [`crate::Validator::verify_heartbeat`]
/// verifies and applies it.
pub fn verify_heartbeat(
    cml: &VerifiedCml,
    site_id: &str,
    nonce: &str,
    jws: &str,
) -> Result<Verified<HeartbeatClaims>> {
    verify_heartbeat_with(default_verifier(), cml, site_id, nonce, jws)
}

/// [`verify_heartbeat`] with a given signature backend.
pub fn verify_heartbeat_with(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    site_id: &str,
    nonce: &str,
    jws: &str,
) -> Result<Verified<HeartbeatClaims>> {
    let hb = verify_heartbeat_binding(verifier, cml, jws)?;
    if hb.claims.site_id != site_id {
        return Err(Error::BindingMismatch {
            kind: DocKind::Heartbeat,
            what: "site",
        });
    }
    if hb.claims.nonce != nonce {
        return Err(Error::NonceMismatch);
    }
    Ok(hb)
}

/// Verifies a heartbeat answer's signature, schema and its org and CML bindings only: what can
/// be re-checked when a stored answer is loaded with the trust state (the nonce was consumed
/// when the answer was first accepted).
pub(crate) fn verify_heartbeat_binding(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<HeartbeatClaims>> {
    let kind = DocKind::Heartbeat;
    let hb: Verified<HeartbeatClaims> = verify_org_signed(verifier, cml, kind, jws)?;
    hb.claims.check()?;
    same_org(cml, kind, &hb.claims.org_id)?;
    same_cml(cml, kind, &hb.claims.cml)?;
    Ok(hb)
}

/// Verifies a usage manifest of the CML's org: signature, org id, CML binding, period format and
/// that its totals add up.
pub fn verify_manifest(cml: &VerifiedCml, jws: &str) -> Result<Verified<ManifestClaims>> {
    verify_manifest_with(default_verifier(), cml, jws)
}

/// [`verify_manifest`] with a given signature backend.
pub fn verify_manifest_with(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<ManifestClaims>> {
    let kind = DocKind::Manifest;
    let m: Verified<ManifestClaims> = verify_org_signed(verifier, cml, kind, jws)?;
    same_org(cml, kind, &m.claims.org_id)?;
    same_cml(cml, kind, &m.claims.cml)?;
    m.claims.check()?;
    Ok(m)
}

/// Verifies one ledger entry's signature and schema (not its place in the chain).
pub fn verify_ledger_entry(cml: &VerifiedCml, jws: &str) -> Result<Verified<LedgerEntryClaims>> {
    verify_ledger_entry_with(default_verifier(), cml, jws)
}

/// [`verify_ledger_entry`] with a given signature backend.
pub fn verify_ledger_entry_with(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    jws: &str,
) -> Result<Verified<LedgerEntryClaims>> {
    let kind = DocKind::LedgerEntry;
    let e: Verified<LedgerEntryClaims> = verify_org_signed(verifier, cml, kind, jws)?;
    e.claims.check()?;
    same_org(cml, kind, &e.claims.org_id)?;
    Ok(e)
}

/// Checks that a verified manifest reports the ledger it claims: same head and length
/// (`manifest_invalid` otherwise).
pub fn check_manifest_ledger(manifest: &ManifestClaims, ledger: &LedgerSummary) -> Result<()> {
    if manifest.ledger_head != ledger.head || manifest.ledger_length != ledger.length {
        return Err(Error::ManifestInvalid(
            "ledger_head/ledger_length differ from the verified ledger",
        ));
    }
    Ok(())
}

/// The result of verifying a whole ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerSummary {
    /// Number of entries.
    pub length: u64,
    /// Document id of the last entry ([`GENESIS_PREV`] when empty).
    pub head: String,
}

/// Verifies a ledger from its first entry: each entry signed by the org key, `seq` equal to its
/// position, `prev` equal to the previous entry's id, times not decreasing. The error names the
/// first bad entry's index.
pub fn verify_ledger<'a>(
    cml: &VerifiedCml,
    entries: impl IntoIterator<Item = &'a str>,
) -> Result<LedgerSummary> {
    verify_ledger_with(default_verifier(), cml, entries)
}

/// [`verify_ledger`] with a given signature backend.
pub fn verify_ledger_with<'a>(
    verifier: &dyn Verifier,
    cml: &VerifiedCml,
    entries: impl IntoIterator<Item = &'a str>,
) -> Result<LedgerSummary> {
    let mut head = String::from(GENESIS_PREV);
    let mut last_at = 0i64;
    let mut length = 0u64;
    for (index, jws) in entries.into_iter().enumerate() {
        let broken = |reason| Error::LedgerBroken { index, reason };
        let entry = verify_ledger_entry_with(verifier, cml, jws).map_err(|e| match e {
            Error::BadSignature { .. } => broken("signature does not verify"),
            Error::SignerMismatch { .. } => broken("not signed by the org key"),
            Error::OrgMismatch { .. } => broken("entry of another org"),
            _ => broken("entry is not a well-formed ledger entry"),
        })?;
        if entry.claims.seq != length {
            return Err(broken("sequence number out of order"));
        }
        if entry.claims.prev != head {
            return Err(broken("prev is not the id of the previous entry"));
        }
        if entry.claims.at < last_at {
            return Err(broken("time goes backwards"));
        }
        last_at = entry.claims.at;
        head = entry.id;
        length += 1;
    }
    Ok(LedgerSummary { length, head })
}
