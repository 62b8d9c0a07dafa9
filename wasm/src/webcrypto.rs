//! The WebCrypto path (`validateAsync` and the other `…Async` methods): core runs every rule,
//! JavaScript's `crypto.subtle` only does the elliptic-curve arithmetic.
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
//! Core stops at the first check it cannot answer, so a cold chain takes two WebCrypto rounds:
//! the CML's signature (root key), then — the CML verified and cached, its org key read — the
//! site license's (org key). Discovering both at once (a throw-away validator answering
//! "verified" to unknown checks) was measured: it costs a second full core run, the org key's
//! decoding included, more than the second WebCrypto round it saves (docs/WASM.md).

use std::sync::{Arc, Mutex};

use hwf_license::verify::{PureVerifier, Verifier};
use hwf_license::PublicKey;
use wasm_bindgen::JsValue;

use crate::error::{from_core, JsResult};

/// An answer's identity: SEC1 key (65) | SHA-256 of the signing input (32) | signature (64).
const ID: usize = 65 + 32 + 64;
/// An answer as JavaScript sends it: the identity and one byte, 1 for verified.
const ANSWER: usize = ID + 1;

/// The state of an async round, shared by a [`JsVerifier`] and the binding's validator.
#[derive(Default)]
struct Exchange {
    /// `Some` during a round: the answers JavaScript gave.
    answers: Option<Vec<u8>>,
    /// The checks asked for and not answered: identity, then the signing input.
    missing: Vec<Vec<u8>>,
}

/// Core's [`Verifier`] for this binding: pure Rust, or the answers of a WebCrypto round.
#[derive(Clone, Default)]
pub(crate) struct JsVerifier(Arc<Mutex<Exchange>>);

impl JsVerifier {
    fn exchange(&self) -> std::sync::MutexGuard<'_, Exchange> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
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
        let mut id = [0u8; ID];
        id[..65].copy_from_slice(key.sec1_uncompressed());
        id[65..97].copy_from_slice(digest);
        id[97..].copy_from_slice(signature);
        if let Some(a) = answers.chunks_exact(ANSWER).find(|a| a[..ID] == id) {
            return a[ID] == 1;
        }
        let mut check = id.to_vec();
        check.extend_from_slice(message);
        if !x.missing.contains(&check) {
            x.missing.push(check);
        }
        false
    }

    fn name(&self) -> &'static str {
        "webcrypto"
    }
}

/// The missing checks for JavaScript: one `Uint8Array` each, key | digest | signature | input.
fn to_js(missing: &[Vec<u8>]) -> JsValue {
    missing
        .iter()
        .map(|c| JsValue::from(js_sys::Uint8Array::from(c.as_slice())))
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
    verifier.begin(answer_bytes);
    let outcome = op(inner);
    let verifier_missing = verifier.end();
    if verifier_missing.is_empty() {
        return outcome;
    }
    Ok(to_js(&verifier_missing))
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
        to_js(&missing)
    })
}
