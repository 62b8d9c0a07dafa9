//! The WebCrypto path (`validateAsync` and the other `…Async` methods): core runs every rule,
//! JavaScript's `crypto.subtle` only does the elliptic-curve arithmetic.
//!
//! `validateAsync` and `verifyCmlAsync` use core's **two-phase validation**
//! (`hwf_license::pending`): phase 1 (`__begin`) returns a [`PendingJs`] with the (at most two)
//! checks, JavaScript verifies them concurrently, phase 2 (`__finish`) completes every rule with
//! the answers ([`finish`]): one core run per call. The other `…Async` methods run in rounds:
//!
//! Each core validator of this binding is built with a [`JsVerifier`], core's [`Verifier`]
//! trait. Outside an async round it is core's pure-Rust backend (the sync methods are unchanged).
//! During a round (see [`Exchange`]) it answers from the results JavaScript computed, keyed by the
//! exact check — the SEC1 public key, SHA-256 of the signing input and the signature, never a
//! `kid` — and records every check it could not answer, returning "not verified" for them. Core
//! stops at such a check with `bad_signature`; the round's outcome is then discarded (never
//! returned, and nothing was cached or written: core caches a document and writes the trust state
//! only after its signatures verified), the missing checks go to JavaScript, which verifies them
//! with `crypto.subtle.verify` and runs the round again with the answers (`js/async.js`).
//!
//! Core stops at the first check it cannot answer, so on its own a cold chain takes two
//! WebCrypto rounds, one after the other: the CML's signature (root key), then — the CML
//! verified, its org key read — the site license's (org key). So the first round of a validator
//! that has nothing cached runs the operation instead on a **throw-away** core validator with
//! the same roots and policy, whose verifier answers "verified" to every check it is asked and
//! records it ([`speculate`]): that finds the checks down the chain without waiting for the
//! first, JavaScript verifies them concurrently (WebCrypto works off the main thread), and the
//! next round runs the binding's validator with WebCrypto's answers. The throw-away validator
//! and its outcome are dropped and its "verified" never reaches the binding's validator, which
//! runs every rule and decides alone: a check found but not needed costs one verification, a
//! check not found is asked for in the next round as before. A validator with something cached
//! runs its own first round (a cached chain needs no check at all).

use alloc::sync::Arc;
use alloc::vec::Vec;

use spin::Mutex;

use hwf_license::verify::{PureVerifier, Verifier};
use hwf_license::PublicKey;
use wasm_bindgen::JsValue;

use crate::error::{from_core, JsResult};
use crate::output;

/// A validation waiting for WebCrypto (core's `Pending`); consumed by `__finish`.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = __Pending, skip_typescript)]
pub struct PendingJs(hwf_license::Pending);

/// Phase 1's outcome for JavaScript: the result, or an array of the pending validation and
/// its checks (one call: no second crossing to list them), each check a `Uint8Array`: 1 if by a
/// trusted root else 0 | SEC1 key | SHA-256 of the signing input | signature | signing input.
/// The checks are views of one `Uint8Array` (one copy out of wasm memory and one buffer for
/// JavaScript to allocate, not one per check).
pub(crate) fn begun(inner: &hwf_license::Validator, begun: hwf_license::Begun) -> JsValue {
    let pending = match begun {
        hwf_license::Begun::Done(outcome) => return outcome_js(outcome),
        hwf_license::Begun::Pending(p) => p,
    };
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for c in inner.pending_checks(&pending) {
        bytes.push(u8::from(c.by_root));
        bytes.extend_from_slice(c.key.sec1_uncompressed());
        bytes.extend_from_slice(c.check.digest());
        bytes.extend_from_slice(c.check.signature());
        bytes.extend_from_slice(c.check.message());
        ends.push(bytes.len());
    }
    let all = js_sys::Uint8Array::from(bytes.as_slice());
    let out = js_sys::Array::new();
    out.push(&PendingJs(pending).into());
    let mut start = 0;
    for end in ends {
        // A check's end fits in u32: the checks came from a file wasm memory (u32) holds.
        out.push(&all.subarray(start as u32, end as u32));
        start = end;
    }
    out.into()
}

fn outcome_js(outcome: hwf_license::Outcome) -> JsValue {
    match outcome {
        hwf_license::Outcome::Verdict(v) => output::verdict(&v),
        hwf_license::Outcome::Cml(c) => output::cml(&c),
    }
}

/// The part of phase 1 the checks do not need (core's `Validator::prepare`: the site license's
/// payload and rules), run by `js/async.js` while WebCrypto verifies.
pub(crate) fn prepare(inner: &hwf_license::Validator, pending: &mut PendingJs) {
    inner.prepare(&mut pending.0);
}

/// Phase 2 with WebCrypto's answers, each found by the check's exact identity (key, digest,
/// signature): an answer for another check answers nothing, and a check without an answer is
/// refused, never taken as verified.
pub(crate) fn finish(
    inner: &hwf_license::Validator,
    pending: PendingJs,
    answers: &[u8],
) -> JsResult<JsValue> {
    let mut answer = |key: &PublicKey, c: &hwf_license::Check| {
        let id = identity(key, c.digest(), c.signature());
        answers
            .chunks_exact(ANSWER)
            .find(|a| a[..ID] == id)
            .map(|a| a[ID] == 1)
            .ok_or(hwf_license::Error::InvalidArgument(
                "no WebCrypto answer for a pending signature check",
            ))
    };
    inner
        .finish(pending.0, &mut answer)
        .map(outcome_js)
        .map_err(from_core)
}

fn identity(key: &PublicKey, digest: &[u8; 32], signature: &[u8; 64]) -> [u8; ID] {
    let mut id = [0u8; ID];
    id[..65].copy_from_slice(key.sec1_uncompressed());
    id[65..97].copy_from_slice(digest);
    id[97..].copy_from_slice(signature);
    id
}

/// An answer's identity: SEC1 key (65) | SHA-256 of the signing input (32) | signature (64).
const ID: usize = 65 + 32 + 64;
/// An answer as JavaScript sends it: the identity and one byte, 1 for verified.
const ANSWER: usize = ID + 1;

/// The state of an async round, shared by a [`JsVerifier`] and the binding's validator.
#[derive(Default)]
struct Exchange {
    /// `Some` during a round: the answers JavaScript gave.
    answers: Option<Vec<u8>>,
    /// A throw-away validator's verifier ([`speculate`]): unknown checks are recorded and
    /// answered "verified".
    speculative: bool,
    /// The checks asked for and not answered: identity, then the signing input.
    missing: Vec<Vec<u8>>,
}

/// Core's [`Verifier`] for this binding: pure Rust, or the answers of a WebCrypto round.
#[derive(Clone, Default)]
pub(crate) struct JsVerifier(Arc<Mutex<Exchange>>);

impl JsVerifier {
    fn exchange(&self) -> spin::MutexGuard<'_, Exchange> {
        self.0.lock()
    }

    fn begin(&self, answers: &[u8]) {
        let mut x = self.exchange();
        x.answers = Some(answers.to_vec());
        x.missing.clear();
    }

    /// Ends a round: back to pure Rust; the checks that were missing.
    fn end(&self) -> Vec<Vec<u8>> {
        let mut x = self.exchange();
        x.answers = None;
        core::mem::take(&mut x.missing)
    }
}

impl Verifier for JsVerifier {
    fn verify(
        &self,
        key: &PublicKey,
        message: &[u8],
        digest: &[u8; 32],
        signature: &[u8; 64],
    ) -> bool {
        let mut x = self.exchange();
        let Some(answers) = &x.answers else {
            drop(x);
            return PureVerifier.verify(key, message, digest, signature);
        };
        let id = identity(key, digest, signature);
        if let Some(a) = answers.chunks_exact(ANSWER).find(|a| a[..ID] == id) {
            return a[ID] == 1;
        }
        let mut check = id.to_vec();
        check.extend_from_slice(message);
        if !x.missing.contains(&check) {
            x.missing.push(check);
        }
        x.speculative
    }

    fn name(&self) -> &'static str {
        "webcrypto"
    }
}

/// The missing checks for JavaScript: one `Uint8Array` each, a byte 1 when the key is one of
/// the validator's trusted roots (else 0) | key | digest | signature | input. JavaScript keeps a
/// root's imported `CryptoKey` across validators (roots are configuration, imported once like a
/// peer's); every other key's per validator.
fn to_js(missing: &[Vec<u8>], is_root: &dyn Fn(&[u8]) -> bool) -> JsValue {
    missing
        .iter()
        .map(|c| {
            let mut flagged = Vec::with_capacity(c.len() + 1);
            flagged.push(u8::from(is_root(&c[..65])));
            flagged.extend_from_slice(c);
            JsValue::from(js_sys::Uint8Array::from(flagged.as_slice()))
        })
        .collect::<js_sys::Array>()
        .into()
}

/// One round of an async operation: `op` on `inner` with the answers given. Its outcome when
/// every check was answered (errors included: core's), else an array of the checks to verify
/// (the outcome is discarded). A result is never an array.
pub(crate) fn round(
    inner: &hwf_license::Validator,
    verifier: &JsVerifier,
    answer_bytes: &[u8],
    op: &dyn Fn(&hwf_license::Validator) -> JsResult<JsValue>,
) -> JsResult<JsValue> {
    // A validator with nothing cached, asked for the first time: its run would stop at the
    // first (a root's) check and then speculate anyway, so speculate first. Whatever that finds
    // is only a list of questions; the binding's validator still runs with WebCrypto's answers.
    if answer_bytes.is_empty() && inner.cached() == (0, 0) {
        let checks = speculate(inner, answer_bytes, op);
        if !checks.is_empty() {
            return Ok(to_js(&checks, &|key| is_root(inner, key)));
        }
    }
    verifier.begin(answer_bytes);
    let outcome = op(inner);
    let missing = verifier.end();
    if missing.is_empty() {
        return outcome;
    }
    Ok(to_js(&missing, &|key| is_root(inner, key)))
}

/// Whether `key` (SEC1) is one of `inner`'s trusted roots.
fn is_root(inner: &hwf_license::Validator, key: &[u8]) -> bool {
    inner
        .roots()
        .iter()
        .any(|r| key == &r.key.sec1_uncompressed()[..])
}

/// The checks `op` asks for when every check it makes is answered "verified": `op` on a
/// throw-away core validator with `inner`'s roots and policy and no cache or trust state, its
/// outcome dropped. Only a list of checks to verify leaves this function. Hostile input costs one
/// more core run and at most the checks that run makes.
fn speculate(
    inner: &hwf_license::Validator,
    answer_bytes: &[u8],
    op: &dyn Fn(&hwf_license::Validator) -> JsResult<JsValue>,
) -> Vec<Vec<u8>> {
    let verifier = JsVerifier::default();
    let policy = inner.policy();
    let Ok(throwaway) = hwf_license::Validator::builder(policy.environment)
        .verifier(verifier.clone())
        .roots(inner.roots().iter().cloned())
        .accept_other_environment(policy.accept_other)
        .clock(crate::clock::date_now)
        .build()
    else {
        return Vec::new();
    };
    verifier.begin(answer_bytes);
    verifier.exchange().speculative = true;
    let _ = op(&throwaway);
    verifier.end()
}

/// One ES256 check through the WebCrypto path, for the Wycheproof vectors: `key` (SEC1) read by
/// core, a signature of any length other than the 64 bytes of core's [`Verifier`] refused before
/// any backend, then the binding's verifier as in a round: `true`/`false`, or the array of the
/// one check to verify. `digest` (SHA-256 of `message`, from `crypto.subtle.digest`) is only the
/// answer's key here; core computes its own in a validation.
///
pub(crate) fn es256_round(
    verifier: &JsVerifier,
    key: &[u8],
    message: &[u8],
    digest: &[u8],
    signature: &[u8],
    answers: &[u8],
) -> JsResult<JsValue> {
    let key = PublicKey::from_sec1(key).map_err(from_core)?;
    let Ok(signature) = <[u8; 64]>::try_from(signature) else {
        return Ok(JsValue::FALSE);
    };
    let Ok(digest) = <[u8; 32]>::try_from(digest) else {
        return Err(crate::error::invalid("digest must be 32 bytes"));
    };
    verifier.begin(answers);
    let ok = verifier.verify(&key, message, &digest, &signature);
    let missing = verifier.end();
    Ok(if missing.is_empty() {
        JsValue::from_bool(ok)
    } else {
        to_js(&missing, &|_| false)
    })
}
