//! Two-phase validation: for callers whose signature backend answers later (WebCrypto's
//! `crypto.subtle.verify` is a promise), a validation in two calls instead of one.
//!
//! **Phase 1** ([`crate::Validator::begin_validate`], [`crate::Validator::begin_verify_cml`])
//! reads and checks everything that needs no signature result — the file, both JWS structures
//! and headers, the root by `kid` and the environment policy, the signer of the site license —
//! and returns either the finished outcome (a cached chain needs no signature check; an error
//! found before any signature is final) or a [`Pending`]: the (at most two) ES256 checks still
//! to make ([`crate::Validator::pending_checks`]: key, signing input, its SHA-256, signature)
//! and what phase 2 needs.
//!
//! Between the two, [`crate::Validator::prepare`] may do the part of phase 1 that the checks do
//! not need — reading the site license's payload, its claims and their rules — so that a caller
//! whose backend works on another thread (WebCrypto) runs it while the checks are verified;
//! phase 2 does it otherwise. Either way it is the same reading with the same result, kept in the
//! pending validation and reported in phase 2 in the order below.
//!
//! **Phase 2** ([`crate::Validator::finish`]) takes the answers and completes every remaining
//! rule, in the order of a one-call validation, so the verdicts and errors are the same: the
//! CML's root signature first (`bad_signature` for the CML unless the root→CML answer is `true`:
//! the org key that the site license's check used was read from the CML before its signature was
//! known valid, so nothing read from the CML counts before that), then the CML's payload rules,
//! then the site license's signature and rules, then the trust state, expiry and fingerprint.
//!
//! The one-call methods ([`crate::Validator::validate`] and the others) are these two phases
//! with the validator's own [`crate::verify::Verifier`] answering in between: one code path.
//!
//! A pending validation is finished once (`finish` takes it), only by the validator that began
//! it (another refuses it with `invalid_argument`), and an answer is asked for each check by its
//! exact identity (key, digest, signature): an answer function that has no answer for a check
//! refuses it, and a missing answer is never taken as verified.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;

use crate::chain::{Verified, VerifiedCml};
use crate::claims::SiteClaims;
use crate::error::{Error, Result};
use crate::fingerprint::NodeFacts;
use crate::keys::PublicKey;
use crate::validator::{At, SiteEntry, Verdict};

/// One ES256 signature check of a document: what is signed, its SHA-256 and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub(crate) signing_input: String,
    pub(crate) digest: [u8; 32],
    pub(crate) signature: [u8; 64],
}

impl Check {
    /// The JWS signing input (`header.payload`, ASCII): the message to verify.
    pub fn message(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// SHA-256 of [`Check::message`].
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The signature, `r || s` (RFC 7518 §3.4).
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }
}

/// A check of a pending validation with its key, as [`crate::Validator::pending_checks`] lists
/// them.
#[derive(Clone, Copy, Debug)]
pub struct PendingCheck<'a> {
    /// The key that must verify it.
    pub key: &'a PublicKey,
    /// Whether `key` is one of the validator's trusted roots (else an org key read from a CML).
    pub by_root: bool,
    /// What to verify.
    pub check: &'a Check,
}

/// What phase 1 gives: the outcome already, or a validation waiting for signature checks.
#[derive(Debug)]
pub enum Begun {
    /// Finished without a signature check (a cached chain).
    Done(Outcome),
    /// Waiting for the checks of [`crate::Validator::pending_checks`].
    Pending(Pending),
}

/// The outcome of a two-phase operation.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Of [`crate::Validator::begin_validate`].
    Verdict(Box<Verdict>),
    /// Of [`crate::Validator::begin_verify_cml`].
    Cml(Arc<VerifiedCml>),
}

/// A validation waiting for its signature checks (see the module documentation). Opaque: it is
/// given back to [`crate::Validator::finish`] of the validator that began it.
pub struct Pending {
    pub(crate) validator: usize,
    pub(crate) op: Box<Op>,
}

impl core::fmt::Debug for Pending {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pending")
    }
}

// Held in the one `Box` of a `Pending`, moved a few times per validation: not boxed again.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Op {
    Validate {
        chain: ChainStep,
        facts: NodeFacts,
        at: At,
    },
    Cml(CmlStep),
}

/// The CML of a chain: verified (from the cache), or its check and what it is if that verifies.
// Held in the one `Box` of a `Pending`, moved a few times per validation: not boxed again.
#[allow(clippy::large_enum_variant)]
pub(crate) enum CmlStep {
    Cached(Arc<VerifiedCml>),
    Fresh {
        /// The CML's text as given: the cache's key.
        text: String,
        root: usize,
        check: Check,
        then: Result<VerifiedCml>,
    },
}

/// The site license of a chain, under a CML that may still be pending.
// Held in the one `Box` of a `Pending`, moved a few times per validation: not boxed again.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SiteStep {
    /// From the cache (its CML-dependent rules already re-checked).
    Cached(Result<Arc<SiteEntry>>),
    /// Its check and what it is if that verifies: `None` until read (by
    /// [`crate::Validator::prepare`], or by phase 2).
    Fresh {
        text: String,
        check: Check,
        then: Option<Result<Verified<SiteClaims>>>,
    },
    /// Refused before its signature (its structure or signer).
    Failed(Error),
}

pub(crate) struct ChainStep {
    pub(crate) cml: CmlStep,
    /// `None` when the CML is refused whatever its signature (nothing of the site was read).
    pub(crate) site: Option<SiteStep>,
}

impl ChainStep {
    /// Whether no signature check is needed.
    pub(crate) fn ready(&self) -> bool {
        matches!(self.cml, CmlStep::Cached(_)) && !matches!(self.site, Some(SiteStep::Fresh { .. }))
    }
}
