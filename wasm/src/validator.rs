//! The JS `Validator` class: a core [`hwf_license::Validator`] behind JavaScript arguments.
//! Every method reads its arguments (`input`), calls core once, and builds the result
//! (`output`) or throws a `LicenseError` (`error`).

use wasm_bindgen::prelude::*;

use crate::error::{from_core, invalid, JsResult};
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
/// Keeps a cache of verified documents (by exact text) and the clock floor: reuse one validator.
/// Every method throws a `LicenseError` on failure.
///
/// ```js
/// const v = new Validator({ environment: "prod", roots: [{ kid: "root-1", environment: "prod", key: pem }] });
/// const verdict = v.validate(siteLic); // now = Date.now() / 1000
/// ```
#[wasm_bindgen]
pub struct Validator {
    inner: hwf_license::Validator,
}

#[wasm_bindgen]
impl Validator {
    /// A validator for `options.environment` trusting `options.roots`.
    ///
    /// @throws {LicenseError} `bad_key` for a key that is not a P-256 public key,
    /// `invalid_argument` for a malformed option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ValidatorOptions")] options: JsValue,
    ) -> JsResult<Validator> {
        if !options.is_object() {
            return Err(invalid(
                "options must be an object { environment, roots, acceptOtherEnvironment?, lastSeen? }",
            ));
        }
        let environment = input::environment(
            &input::member(&options, "environment"),
            "options.environment",
        )?;
        let roots = input::roots(&input::member(&options, "roots"))?;
        let mut inner = hwf_license::Validator::new(environment, roots);
        let accept_other = input::member(&options, "acceptOtherEnvironment");
        if !accept_other.is_undefined() && !accept_other.is_null() {
            let accept = accept_other
                .as_bool()
                .ok_or_else(|| invalid("options.acceptOtherEnvironment must be a boolean"))?;
            inner.accept_other_environment(accept);
        }
        let last_seen = input::member(&options, "lastSeen");
        if !last_seen.is_undefined() && !last_seen.is_null() {
            inner
                .set_last_seen(input::time(last_seen.as_f64().ok_or_else(|| {
                    invalid("options.lastSeen must be a whole number of unix seconds")
                })?)?)
                .map_err(from_core)?;
        }
        Ok(Self { inner })
    }

    /// Validates a `site.lic` (text or bytes) for a node with `facts` at `now` (unix seconds;
    /// default: the JS clock, `Math.floor(Date.now() / 1000)`).
    ///
    /// @throws {LicenseError} when the license is not usable: bad signature, expired past grace,
    /// revoked, fingerprint mismatch, clock rollback, ... (`code` says which).
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn validate(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        facts: Option<NodeFactsArg>,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let license = input::license_bytes(&license)?;
        let facts = input::facts(&facts.map_or(JsValue::UNDEFINED, JsValue::from))?;
        let now = input::time_or_now(now)?;
        self.inner
            .validate(&license, &facts, now)
            .map(|v| output::verdict(&v))
            .map_err(from_core)
    }

    /// Verifies a revocation list (compact JWS) against the license's CML and applies it to this
    /// validator; later validations of a listed license throw `revoked`. Returns the list's
    /// sequence number.
    ///
    /// @throws {LicenseError} e.g. `revocation_list_stale` for an older list than one applied.
    #[wasm_bindgen(js_name = applyRevocationList)]
    pub fn apply_revocation_list(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] list: JsValue,
        now: Option<f64>,
    ) -> JsResult<f64> {
        let license = input::license_bytes(&license)?;
        let list = input::string(&list, "list", "list must be a compact JWS string")?;
        let now = input::time_or_now(now)?;
        self.inner
            .apply_revocation_list(&license, &list, now)
            .map(|seq| seq as f64)
            .map_err(from_core)
    }

    /// Verifies a heartbeat answer for this license (org key, CML, site, the `nonce` the node
    /// sent) and applies the revocation list it carries.
    #[wasm_bindgen(js_name = verifyHeartbeat, unchecked_return_type = "HeartbeatInfo")]
    pub fn verify_heartbeat(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "LicenseInput")] license: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] answer: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] nonce: JsValue,
        now: Option<f64>,
    ) -> JsResult<JsValue> {
        let license = input::license_bytes(&license)?;
        let answer = input::string(&answer, "answer", "answer must be a compact JWS string")?;
        let nonce = input::string(&nonce, "nonce", "nonce must be a string")?;
        let now = input::time_or_now(now)?;
        self.inner
            .verify_heartbeat(&license, &answer, &nonce, now)
            .map(|h| output::heartbeat(&h))
            .map_err(from_core)
    }

    /// Verifies a CML (compact JWS) against the trusted roots and the environment policy.
    #[wasm_bindgen(js_name = verifyCml, unchecked_return_type = "CmlInfo")]
    pub fn verify_cml(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] cml: JsValue,
    ) -> JsResult<JsValue> {
        let cml = input::string(&cml, "cml", "cml must be a compact JWS string")?;
        self.inner
            .verify_cml(&cml)
            .map(|c| output::cml(&c))
            .map_err(from_core)
    }

    /// Verifies a monthly usage manifest (compact JWS) signed by the org key of `cml` (compact
    /// JWS, verified against the trusted roots): signature, org, CML binding, totals.
    ///
    /// @throws {LicenseError} e.g. `bad_signature`, `binding_mismatch`, `manifest_invalid`.
    #[wasm_bindgen(js_name = verifyManifest, unchecked_return_type = "Manifest")]
    pub fn verify_manifest(
        &mut self,
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

    /// Verifies a usage ledger from its first entry (an array of compact JWS) against the org key
    /// of `cml`: every signature, sequence numbers, hash chain, times.
    ///
    /// @throws {LicenseError} `ledger_broken` naming the first bad entry's index.
    #[wasm_bindgen(js_name = verifyLedger, unchecked_return_type = "LedgerSummary")]
    pub fn verify_ledger(
        &mut self,
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

    /// Sets the persisted last-seen time (unix seconds): a floor the clock may not go under.
    #[wasm_bindgen(js_name = setLastSeen)]
    pub fn set_last_seen(&mut self, seconds: f64) -> JsResult<()> {
        let t = input::time(seconds)?;
        self.inner.set_last_seen(t).map_err(from_core)
    }

    /// The time the clock may not go under (unix seconds): the last-seen time and every signed
    /// `issued_at` accepted so far. Persist it (e.g. in `localStorage`) and pass it back as
    /// `lastSeen`.
    #[wasm_bindgen(getter, js_name = clockFloor)]
    pub fn clock_floor(&self) -> f64 {
        self.inner.clock_floor() as f64
    }

    /// The validator's environment.
    #[wasm_bindgen(getter, unchecked_return_type = "Environment")]
    pub fn environment(&self) -> String {
        self.inner.policy().environment.as_str().into()
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
