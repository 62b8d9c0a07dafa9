//! The JS `Validator` class: a core [`hwf_license::Validator`] behind JavaScript arguments.
//! Every method reads its arguments (`input`), calls core once, and builds the result
//! (`output`) or throws a `LicenseError` (`error`).

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use crate::clock::{self, JsClock};
use crate::error::{from_core, invalid, JsResult};
use crate::webcrypto::{self, JsVerifier};
use crate::{input, output};

#[wasm_bindgen]
extern "C" {
    /// `NodeFacts` in TypeScript: read by `input::facts`.
    #[wasm_bindgen(typescript_type = "NodeFacts")]
    pub type NodeFactsArg;
}

/// Validates `site.lic` files offline against trusted root keys, and verifies the documents an
/// org signs: usage manifests, ledgers, revocation lists and heartbeat answers.
///
/// Holds a cache of verified documents (by exact text) and the trust state: the clock floor,
/// the revocation lists applied and the newest heartbeat answers. Reuse one validator; persist
/// its state with `exportState()` and give it back with `importState()` after a restart.
/// Every method throws a `LicenseError` on failure.
///
/// ```js
/// const v = new Validator({ environment: "prod", roots: [{ kid: "root-1", environment: "prod", key: pem }] });
/// const verdict = v.validate(siteLic); // at the clock: Math.floor(Date.now() / 1000)
/// ```
#[wasm_bindgen]
pub struct Validator {
    inner: hwf_license::Validator,
    /// The caller's clock function; `None` reads `Date.now()`.
    clock: Option<JsClock>,
    has_nonce_seed: bool,
    /// Core's verifier of `inner`: pure Rust, or the answers of a WebCrypto round.
    verifier: JsVerifier,
}

impl Validator {
    /// The time `now` given, or the validator's clock read without writing anything.
    fn now_or_clock(&self, now: Option<f64>) -> JsResult<i64> {
        let t = match now {
            Some(t) => input::time(t)?,
            None => match &self.clock {
                Some(clock) => clock.guard(|| Ok(clock.reader()()))?,
                None => clock::date_now(),
            },
        };
        hwf_license::time::check_now(t).map_err(from_core)?;
        Ok(t)
    }

    /// Runs a core call that reads the validator's clock, reporting a failed JS clock as such.
    fn at_clock<T>(
        &self,
        f: impl FnOnce(&hwf_license::Validator) -> hwf_license::Result<T>,
    ) -> JsResult<T> {
        let run = || f(&self.inner).map_err(from_core);
        match &self.clock {
            Some(clock) => clock.guard(run),
            None => run(),
        }
    }

    /// One round of an `…Async` method (see [`webcrypto::round`]): the result, or the array of
    /// checks for `crypto.subtle` to verify.
    /// Without `answers` (the sync methods), `op` on the validator as it is: pure Rust.
    fn run(
        &self,
        answers: Option<&[u8]>,
        op: &dyn Fn(&hwf_license::Validator) -> JsResult<JsValue>,
    ) -> JsResult<JsValue> {
        match answers {
            None => op(&self.inner),
            Some(a) => webcrypto::round(&self.inner, &self.verifier, a, op),
        }
    }

    /// `validate` (`now` undefined: at the clock) and `validateAt`: the sync call, or (`two`)
    /// phase 1 of the async one.
    fn validate_op(
        &self,
        license: &JsValue,
        facts: &JsValue,
        now: &JsValue,
        two: bool,
    ) -> JsResult<JsValue> {
        let license = input::license_bytes(license)?;
        let facts = input::facts(facts)?;
        let now = at(now)?;
        let v = &self.inner;
        if two {
            let begun = match now {
                Some(now) => v
                    .begin_validate_at(&license, &facts, now)
                    .map_err(from_core),
                None => self.at_clock(|_| v.begin_validate(&license, &facts)),
            }?;
            return Ok(webcrypto::begun(&self.inner, begun));
        }
        match now {
            Some(now) => v.validate_at(&license, &facts, now).map_err(from_core),
            None => self.at_clock(|_| v.validate(&license, &facts)),
        }
        .map(|v| output::verdict(&v))
    }

    /// `verifyCml`, or (`two`) phase 1 of `verifyCmlAsync`.
    fn verify_cml_op(&self, cml: &JsValue, two: bool) -> JsResult<JsValue> {
        let cml = input::string(cml, "cml", "cml must be a compact JWS string")?;
        if two {
            let begun = self.inner.begin_verify_cml(&cml).map_err(from_core)?;
            return Ok(webcrypto::begun(&self.inner, begun));
        }
        self.inner
            .verify_cml(&cml)
            .map(|c| output::cml(&c))
            .map_err(from_core)
    }

    fn revocation_op(
        &self,
        license: &JsValue,
        list: &JsValue,
        now: &JsValue,
        answers: Option<&[u8]>,
    ) -> JsResult<JsValue> {
        let license = input::license_bytes(license)?;
        let list = input::string(list, "list", "list must be a compact JWS string")?;
        let now = at(now)?;
        self.run(answers, &|v| {
            match now {
                Some(now) => v
                    .apply_revocation_list_at(&license, &list, now)
                    .map_err(from_core),
                None => self.at_clock(|_| v.apply_revocation_list(&license, &list)),
            }
            .map(|seq| JsValue::from_f64(seq as f64))
        })
    }

    fn heartbeat_op(
        &self,
        license: &JsValue,
        answer: &JsValue,
        nonce: &JsValue,
        now: &JsValue,
        answers: Option<&[u8]>,
    ) -> JsResult<JsValue> {
        let license = input::license_bytes(license)?;
        let answer = input::string(answer, "answer", "answer must be a compact JWS string")?;
        let nonce = input::string(nonce, "nonce", "nonce must be a string")?;
        let now = at(now)?;
        self.run(answers, &|v| {
            match now {
                Some(now) => v
                    .verify_heartbeat_at(&license, &answer, &nonce, now)
                    .map_err(from_core),
                None => self.at_clock(|_| v.verify_heartbeat(&license, &answer, &nonce)),
            }
            .map(|h| output::heartbeat(&h))
        })
    }
}

/// `undefined`: at the validator's clock; anything else is a required `now`.
fn at(now: &JsValue) -> JsResult<Option<i64>> {
    if now.is_undefined() {
        Ok(None)
    } else {
        input::required_time(now, "now").map(Some)
    }
}

/// `now` of a `…At` method: required (`undefined` is not the clock there).
fn at_required(now: JsValue) -> JsValue {
    if now.is_undefined() {
        JsValue::NULL
    } else {
        now
    }
}

#[wasm_bindgen]
impl Validator {
    /// A validator for `options.environment` trusting `options.roots`. Its clock is
    /// `options.clock` (a function returning unix seconds; fractions are floored), by default
    /// `Math.floor(Date.now() / 1000)`. Its heartbeat nonces come from `options.nonceSeed`
    /// (32 bytes), by default from `crypto.getRandomValues`.
    ///
    /// @throws {LicenseError} `bad_key` for a key that is not a P-256 public key,
    /// `invalid_argument` for a malformed option or two roots with the same kid.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ValidatorOptions")] options: JsValue,
    ) -> JsResult<Validator> {
        if !options.is_object() {
            return Err(invalid(
                "options must be an object { environment, roots, acceptOtherEnvironment?, lastSeen?, clock?, nonceSeed? }",
            ));
        }
        let member = |name: &str| input::member(&options, name);
        let environment = input::environment(&member("environment"), "options.environment")?;
        let roots = input::roots(&member("roots"))?;
        let accept_other = input::optional_bool(
            &member("acceptOtherEnvironment"),
            "options.acceptOtherEnvironment must be a boolean",
        )?;
        let last_seen = input::optional_time(
            &member("lastSeen"),
            "options.lastSeen must be a whole number of unix seconds",
        )?;
        let clock = input::optional_function(
            &member("clock"),
            "options.clock must be a function returning unix seconds",
        )?;
        let seed = match input::optional_seed(&member("nonceSeed"))? {
            Some(seed) => Some(seed),
            None => clock::random_seed(),
        };

        let verifier = JsVerifier::default();
        let mut builder = hwf_license::Validator::builder(environment)
            .verifier(verifier.clone())
            .roots(roots)
            .accept_other_environment(accept_other.unwrap_or(false));
        let clock = clock.map(JsClock::register);
        builder = match &clock {
            Some(c) => builder.clock(c.reader()),
            None => builder.clock(clock::date_now),
        };
        if let Some(seed) = seed {
            builder = builder.nonce_seed(seed);
        }
        let inner = builder.build().map_err(from_core)?;
        if let Some(t) = last_seen {
            inner.set_last_seen(t).map_err(from_core)?;
        }
        Ok(Self {
            inner,
            clock,
            has_nonce_seed: seed.is_some(),
            verifier,
        })
    }

    /// Validates a `site.lic` (text or bytes) for a node with `facts` at the validator's clock;
    /// on success the clock floor rises to that time (persist it with `exportState()`).
    ///
    /// `now` is deprecated: given, the call is `validateAt(license, facts, now)`, a what-if that
    /// changes nothing.
    ///
    /// @throws {LicenseError} when the license is not usable: bad signature, expired past grace,
    /// revoked, fingerprint mismatch, clock rollback, offline too long, ... (`code` says which).
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn validate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        facts: Option<NodeFactsArg>,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let now = now.map_or(JsValue::UNDEFINED, JsValue::from_f64);
        self.validate_op(
            &license,
            &facts.map_or(JsValue::UNDEFINED, JsValue::from),
            &now,
            false,
        )
    }

    /// What-if: validates a `site.lic` as if the time were `now` (unix seconds). Every rule is
    /// checked, the trust state included (a `now` under the clock floor is `clock_rollback`),
    /// but nothing is written: the clock floor does not move.
    #[wasm_bindgen(js_name = validateAt, unchecked_return_type = "Verdict")]
    pub fn validate_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        facts: Option<NodeFactsArg>,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> JsResult<JsValue> {
        let facts = facts.map_or(JsValue::UNDEFINED, JsValue::from);
        self.validate_op(&license, &facts, &at_required(now), false)
    }

    /// Verifies a revocation list (compact JWS) against the license's CML and applies it to this
    /// validator, checking it was not issued after the clock; later validations of a listed
    /// license throw `revoked`. Returns the list's sequence number. The list is kept in the
    /// trust state, so it survives `exportState()` / `importState()`.
    ///
    /// `now` is deprecated: given, the call is `applyRevocationListAt(license, list, now)`.
    ///
    /// @throws {LicenseError} e.g. `revocation_list_stale` for an older list than one applied.
    #[wasm_bindgen(js_name = applyRevocationList)]
    pub fn apply_revocation_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] list: JsValue,
        now: Option<f64>,
    ) -> JsResult<f64> {
        let now = now.map_or(JsValue::UNDEFINED, JsValue::from_f64);
        self.revocation_op(&license, &list, &now, None)
            .map(|seq| seq.as_f64().unwrap_or_default())
    }

    /// `applyRevocationList` with `now` (unix seconds) for the "not issued in the future" check.
    /// The list is applied all the same (a list only ever restricts).
    #[wasm_bindgen(js_name = applyRevocationListAt)]
    pub fn apply_revocation_list_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] list: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> JsResult<f64> {
        self.revocation_op(&license, &list, &at_required(now), None)
            .map(|seq| seq.as_f64().unwrap_or_default())
    }

    /// Verifies a heartbeat answer for this license (org key, CML, site, the `nonce` the node
    /// sent), applies the revocation list it carries and records the Hub's time: the clock floor
    /// rises to it; for a nonce from `newNonce()` (accepted once) it may also come down to it.
    ///
    /// `now` is deprecated: given, the call is `verifyHeartbeatAt(license, answer, nonce, now)`.
    ///
    /// @throws {LicenseError} e.g. `nonce_mismatch` for another nonce or one already answered.
    #[wasm_bindgen(js_name = verifyHeartbeat, unchecked_return_type = "HeartbeatInfo")]
    pub fn verify_heartbeat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] answer: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] nonce: JsValue,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let now = now.map_or(JsValue::UNDEFINED, JsValue::from_f64);
        self.heartbeat_op(&license, &answer, &nonce, &now, None)
    }

    /// `verifyHeartbeat` with `now` (unix seconds) for the "not issued in the future" check of
    /// the embedded revocation list. The answer is applied as by `verifyHeartbeat`.
    #[wasm_bindgen(js_name = verifyHeartbeatAt, unchecked_return_type = "HeartbeatInfo")]
    pub fn verify_heartbeat_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] answer: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] nonce: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    ) -> JsResult<JsValue> {
        self.heartbeat_op(&license, &answer, &nonce, &at_required(now), None)
    }

    /// A fresh nonce to send with a heartbeat request. An answer carrying it may also lower the
    /// clock floor (a clock that was wrong ahead can be corrected by the Hub); each nonce is
    /// accepted once.
    ///
    /// @throws {LicenseError} `invalid_argument` when the validator has no nonce seed (no
    /// `options.nonceSeed` and no `crypto.getRandomValues`).
    #[wasm_bindgen(js_name = newNonce)]
    pub fn new_nonce(&self) -> JsResult<String> {
        if !self.has_nonce_seed {
            return Err(invalid(
                "no nonce seed: crypto.getRandomValues is not available here; pass options.nonceSeed (32 random bytes)",
            ));
        }
        self.inner.new_nonce().map_err(from_core)
    }

    /// Verifies a CML (compact JWS) against the trusted roots and the environment policy.
    #[wasm_bindgen(js_name = verifyCml, unchecked_return_type = "CmlInfo")]
    pub fn verify_cml(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
    ) -> JsResult<JsValue> {
        self.verify_cml_op(&cml, false)
    }

    /// Where a CML (compact JWS, verified against the trusted roots) stands at `now` (default:
    /// the validator's clock, read without changing anything): `valid` (more than 30 days
    /// left), `expiring`, `grace` (its site licenses still work) or `expired`. Core's rule, for
    /// consoles that show a CML's life.
    #[wasm_bindgen(js_name = cmlStanding, unchecked_return_type = "CmlStanding")]
    pub fn cml_standing(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let cml = input::string(&cml, "cml", "cml must be a compact JWS string")?;
        let cml = self.inner.verify_cml(&cml).map_err(from_core)?;
        let now = self.now_or_clock(now)?;
        Ok(output::standing(hwf_license::cml_standing(
            &cml.claims,
            now,
        )))
    }

    /// Whether a usage manifest may cover `period` (`YYYY-MM`) under `cml` (compact JWS,
    /// verified against the trusted roots) at `now` (default: the validator's clock): the month
    /// has started, did not end before the CML was issued and does not start after its grace
    /// ended. Returns the month's bounds `{ start, end }` (unix seconds, end excluded).
    ///
    /// @throws {LicenseError} `manifest_invalid` for a period the CML cannot cover.
    #[wasm_bindgen(js_name = manifestPeriod, unchecked_return_type = "ManifestPeriod")]
    pub fn manifest_period(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] period: JsValue,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let cml = input::string(&cml, "cml", "cml must be a compact JWS string")?;
        let period = input::string(&period, "period", "period must be a string, YYYY-MM")?;
        let cml = self.inner.verify_cml(&cml).map_err(from_core)?;
        let now = self.now_or_clock(now)?;
        hwf_license::check_manifest_period(&cml.claims, &period, now)
            .map(output::period)
            .map_err(from_core)
    }

    /// Phase 1 of `validateAsync` (`op` 0: `a` license, `b` facts, `c` now, undefined for the
    /// clock) or `verifyCmlAsync` (`op` 1: `a` the CML), `js/async.js`: the result when no
    /// signature check is needed (a cached chain), else an array of a `__Pending` (for
    /// `__prepare` and `__finish`) and its checks (core's two-phase validation,
    /// `hwf_license::pending`; each check as `webcrypto::begun` writes it).
    #[wasm_bindgen(js_name = __begin, skip_typescript)]
    pub fn begin_js(&self, op: u8, a: JsValue, b: JsValue, c: JsValue) -> JsResult<JsValue> {
        if op == 0 {
            self.validate_op(&a, &b, &c, true)
        } else {
            self.verify_cml_op(&a, true)
        }
    }

    /// Between the phases, while WebCrypto verifies (`js/async.js`): the part of phase 1 that
    /// the checks do not need (core's `Validator::prepare`); optional, `__finish` does it
    /// otherwise.
    #[wasm_bindgen(js_name = __prepare, skip_typescript)]
    pub fn prepare_js(&self, pending: &mut webcrypto::PendingJs) {
        webcrypto::prepare(&self.inner, pending)
    }

    /// Phase 2: `pending` (consumed) completed with WebCrypto's `answers` (each key | digest |
    /// signature | 1 or 0); a check without an answer is refused (`invalid_argument`).
    #[wasm_bindgen(js_name = __finish, skip_typescript)]
    pub fn finish_js(&self, pending: webcrypto::PendingJs, answers: &[u8]) -> JsResult<JsValue> {
        webcrypto::finish(&self.inner, pending, answers)
    }

    /// One round of an `…Async` method without two phases (`js/async.js`): the result, or an
    /// array of the checks to verify with WebCrypto. `op`: 2 `applyRevocationList(a license,
    /// b list, c now)`, 3 `verifyHeartbeat(a license, b answer, c nonce, d now)`, 4 one ES256
    /// check `(a key, b message, c digest, d signature)`; `now` undefined is the validator's
    /// clock. One export for all: each costs the module ~0.7 KB.
    #[wasm_bindgen(js_name = __round, skip_typescript)]
    pub fn round_js(
        &self,
        op: u8,
        a: JsValue,
        b: JsValue,
        c: JsValue,
        d: JsValue,
        answers: &[u8],
    ) -> JsResult<JsValue> {
        match op {
            2 => self.revocation_op(&a, &b, &c, Some(answers)),
            3 => self.heartbeat_op(&a, &b, &c, &d, Some(answers)),
            _ => {
                let bytes = |v: &JsValue| input::bytes(v, "bytes", "a Uint8Array");
                let (key, message) = (bytes(&a)?, bytes(&b)?);
                let (digest, signature) = (bytes(&c)?, bytes(&d)?);
                webcrypto::es256_round(&self.verifier, &key, &message, &digest, &signature, answers)
            }
        }
    }

    /// The trust state as bytes (ASCII text, `docs/FORMAT.md` §7): the clock floor, and the
    /// signed revocation lists and heartbeat answers with their CMLs. Store them and give them
    /// to `importState()` after a restart. Clears `stateChanged()`.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> Vec<u8> {
        self.inner.export_state()
    }

    /// Merges saved trust state (a `Uint8Array` from `exportState()`, or its text) into this
    /// validator: the floor only rises, a revocation list only replaces an older one, and every
    /// signature in it is verified again under this validator's roots.
    ///
    /// @throws {LicenseError} `bad_state` for corrupt, truncated, foreign or forged bytes (or
    /// `too_large`); the validator is then left exactly as it was.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] bytes: JsValue,
    ) -> JsResult<()> {
        let bytes = input::bytes(
            &bytes,
            "state",
            "state must be a Uint8Array (from exportState) or its text",
        )?;
        self.inner.import_state(&bytes).map_err(from_core)
    }

    /// Whether the trust state changed since the last `exportState()` (or since construction):
    /// save only when it did.
    #[wasm_bindgen(js_name = stateChanged)]
    pub fn state_changed(&self) -> bool {
        self.inner.state_changed()
    }

    /// Also accept (`true`) or stop accepting (`false`) CMLs of the other environment. Takes
    /// effect on the next call, for cached chains too.
    #[wasm_bindgen(js_name = acceptOtherEnvironment)]
    pub fn accept_other_environment(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] accept: JsValue,
    ) -> JsResult<()> {
        let accept = input::boolean(&accept, "accept", "accept must be a boolean")?;
        self.inner.accept_other_environment(accept);
        Ok(())
    }

    /// Raises the clock floor to a persisted last-seen time (unix seconds); never lowers it.
    /// `exportState()` / `importState()` keep more (the revocation lists too): prefer them.
    #[wasm_bindgen(js_name = setLastSeen)]
    pub fn set_last_seen(&self, seconds: f64) -> JsResult<()> {
        let t = input::time(seconds)?;
        self.inner.set_last_seen(t).map_err(from_core)
    }

    /// The time the clock may not go under (unix seconds, less a small skew): the highest
    /// validation time by the clock, signed time accepted and last-seen time given so far.
    #[wasm_bindgen(getter, js_name = clockFloor)]
    pub fn clock_floor(&self) -> f64 {
        self.inner.clock_floor() as f64
    }

    /// The validator's environment.
    #[wasm_bindgen(getter, unchecked_return_type = "Environment")]
    pub fn environment(&self) -> String {
        self.inner.policy().environment.as_str().into()
    }

    /// Whether CMLs of the other environment are accepted (see `acceptOtherEnvironment`).
    #[wasm_bindgen(getter, js_name = acceptsOtherEnvironment)]
    pub fn accepts_other_environment(&self) -> bool {
        self.inner.policy().accept_other
    }
}

/// The Hub-side verifications, only in the module built with the `hub` feature (the package's
/// `hwf-license-wasm/hub` entry): a node never verifies manifests, ledgers or receipts, and
/// they are about 24 KB of the module (docs/WASM.md "Size").
#[cfg(feature = "hub")]
#[wasm_bindgen]
impl Validator {
    /// Verifies a monthly usage manifest (compact JWS) signed by the org key of `cml` (compact
    /// JWS, verified against the trusted roots): signature, org, CML binding, totals.
    ///
    /// @throws {LicenseError} e.g. `bad_signature`, `binding_mismatch`, `manifest_invalid`.
    #[wasm_bindgen(js_name = verifyManifest, unchecked_return_type = "Manifest")]
    pub fn verify_manifest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] manifest: JsValue,
    ) -> JsResult<JsValue> {
        let cml = input::string(&cml, "cml", "cml must be a compact JWS string")?;
        let manifest = input::string(
            &manifest,
            "manifest",
            "manifest must be a compact JWS string",
        )?;
        let cml = self.inner.verify_cml(&cml).map_err(from_core)?;
        hwf_license::verify_manifest(&cml, &manifest)
            .map(|m| output::manifest(&m))
            .map_err(from_core)
    }

    /// Verifies a Root's manifest receipt (compact JWS, `hwf-receipt+jws`) and its receipt key
    /// certificate (`hwf-receipt-key+jws`) with the trusted roots and the environment policy
    /// at `now` (default: the validator's clock, read without changing anything): the
    /// certificate signed by a trusted root and valid, the receipt signed by the certified key
    /// and dated within the certificate, for `orgId` and the manifest whose document id is
    /// `manifestId` (core's `Validator::verify_receipt`).
    ///
    /// @throws {LicenseError} e.g. `signer_mismatch`, `org_mismatch`, `binding_mismatch`,
    /// `expired`, `wrong_document_type`.
    #[wasm_bindgen(js_name = verifyReceipt, unchecked_return_type = "Receipt")]
    pub fn verify_receipt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] certificate: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] receipt: JsValue,
        #[wasm_bindgen(js_name = orgId, unchecked_param_type = "string")] org_id: JsValue,
        #[wasm_bindgen(js_name = manifestId, unchecked_param_type = "string")] manifest_id: JsValue,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let certificate = input::string(
            &certificate,
            "certificate",
            "certificate must be a compact JWS string",
        )?;
        let receipt = input::string(&receipt, "receipt", "receipt must be a compact JWS string")?;
        let org_id = input::string(&org_id, "orgId", "orgId must be a string")?;
        let manifest_id = input::string(&manifest_id, "manifestId", "manifestId must be a string")?;
        let now = self.now_or_clock(now)?;
        self.inner
            .verify_receipt(&certificate, &receipt, &org_id, &manifest_id, now)
            .map(|r| output::receipt(&r))
            .map_err(from_core)
    }

    /// Verifies a usage ledger from its first entry (an array of compact JWS) against the org key
    /// of `cml`: every signature, sequence numbers, hash chain, times.
    ///
    /// @throws {LicenseError} `ledger_broken` naming the first bad entry's index.
    #[wasm_bindgen(js_name = verifyLedger, unchecked_return_type = "LedgerSummary")]
    pub fn verify_ledger(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] entries: JsValue,
    ) -> JsResult<JsValue> {
        let cml = input::string(&cml, "cml", "cml must be a compact JWS string")?;
        let entries = input::strings(
            &entries,
            "entries",
            "entries must be an array of compact JWS strings",
        )?;
        let cml = self.inner.verify_cml(&cml).map_err(from_core)?;
        hwf_license::verify_ledger(&cml, entries.iter().map(String::as_str))
            .map(|s| output::ledger(&s))
            .map_err(from_core)
    }
}

/// Whether `verdict` enables `feature` (core's `has_feature` rule: exact, case-sensitive).
#[wasm_bindgen(js_name = hasFeature)]
pub fn has_feature(
    #[wasm_bindgen(unchecked_param_type = "Verdict")] verdict: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] feature: JsValue,
) -> JsResult<bool> {
    let feature = input::string(&feature, "feature", "feature must be a string")?;
    if !verdict.is_object() {
        return Err(invalid("verdict must be a Verdict object"));
    }
    let features = input::strings(
        &input::member(&verdict, "features"),
        "verdict.features",
        "verdict.features must be an array of strings",
    )?;
    Ok(hwf_license::has_feature(&features, &feature))
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a P-256 public key given as SPKI PEM, JWK JSON
/// text or a JWK object: the `kid` of documents an org key signs. Checks the key as
/// `new Validator` does.
///
/// @throws {LicenseError} `bad_key` for anything but a P-256 public key.
#[wasm_bindgen(js_name = keyThumbprint)]
pub fn key_thumbprint(
    #[wasm_bindgen(unchecked_param_type = "string | Jwk")] key: JsValue,
) -> JsResult<String> {
    input::public_key(&key).map(|k| k.thumbprint().into())
}
