//! Reads JavaScript arguments into core types: license bytes, node facts, times, trusted roots
//! and string arrays. Decides only JavaScript typing (what is a string, an array, a whole
//! number); every license rule, key check and range check is core's.

use alloc::string::String;
use alloc::vec::Vec;

use hwf_license::{Environment, Error, NodeFacts, PublicKey, TrustedRoot};
use js_sys::{Array, Function, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{from_core, invalid, null_parameter, JsResult};

/// `obj[key]`, or `undefined` when `obj` is not an object or the read throws.
pub(crate) fn member(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_none(v: &JsValue) -> bool {
    v.is_null() || v.is_undefined()
}

/// A required string argument.
pub(crate) fn string(v: &JsValue, what: &str, wrong_type: &'static str) -> JsResult<String> {
    if is_none(v) {
        return Err(null_parameter(what));
    }
    v.as_string().ok_or_else(|| invalid(wrong_type))
}

/// An optional string member (`undefined` and `null` are absent).
fn optional_string(v: &JsValue, wrong_type: &'static str) -> JsResult<Option<String>> {
    if is_none(v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| invalid(wrong_type))
}

/// An array of strings.
pub(crate) fn strings(v: &JsValue, what: &str, wrong_type: &'static str) -> JsResult<Vec<String>> {
    if is_none(v) {
        return Err(null_parameter(what));
    }
    if !Array::is_array(v) {
        return Err(invalid(wrong_type));
    }
    Array::from(v)
        .iter()
        .map(|item| item.as_string().ok_or_else(|| invalid(wrong_type)))
        .collect()
}

/// The bytes of a `site.lic`: a string (its UTF-8 encoding) or a `Uint8Array` (e.g. a Node
/// `Buffer` or the bytes of a picked file).
pub(crate) fn license_bytes(v: &JsValue) -> JsResult<Vec<u8>> {
    bytes(v, "license", "license must be a string or a Uint8Array")
}

/// Bytes given as a `Uint8Array` or as a string (its UTF-8 encoding).
pub(crate) fn bytes(v: &JsValue, what: &str, wrong_type: &'static str) -> JsResult<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if is_none(v) {
        return Err(null_parameter(what));
    }
    Err(invalid(wrong_type))
}

/// An optional boolean (`undefined` and `null` are absent).
pub(crate) fn optional_bool(v: &JsValue, wrong_type: &'static str) -> JsResult<Option<bool>> {
    if is_none(v) {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| invalid(wrong_type))
}

/// A required boolean.
pub(crate) fn boolean(v: &JsValue, what: &str, wrong_type: &'static str) -> JsResult<bool> {
    if is_none(v) {
        return Err(null_parameter(what));
    }
    v.as_bool().ok_or_else(|| invalid(wrong_type))
}

/// An optional function (`undefined` and `null` are absent).
pub(crate) fn optional_function(
    v: &JsValue,
    wrong_type: &'static str,
) -> JsResult<Option<Function>> {
    if is_none(v) {
        return Ok(None);
    }
    v.dyn_ref::<Function>()
        .cloned()
        .map(Some)
        .ok_or_else(|| invalid(wrong_type))
}

/// An optional nonce seed: a `Uint8Array` of exactly 32 bytes.
pub(crate) fn optional_seed(v: &JsValue) -> JsResult<Option<[u8; 32]>> {
    const WRONG: &str = "options.nonceSeed must be a Uint8Array of 32 bytes";
    if is_none(v) {
        return Ok(None);
    }
    let bytes = v.dyn_ref::<Uint8Array>().ok_or_else(|| invalid(WRONG))?;
    <[u8; 32]>::try_from(bytes.to_vec().as_slice())
        .map(Some)
        .map_err(|_| invalid(WRONG))
}

/// An optional time member (`undefined` and `null` are absent): a whole number of unix seconds.
pub(crate) fn optional_time(v: &JsValue, wrong_type: &'static str) -> JsResult<Option<i64>> {
    if is_none(v) {
        return Ok(None);
    }
    time(v.as_f64().ok_or_else(|| invalid(wrong_type))?).map(Some)
}

/// Node facts from `{ addresses?, dnsName?, deploymentTag? }`; `undefined` or `null` means none.
pub(crate) fn facts(v: &JsValue) -> JsResult<NodeFacts> {
    if is_none(v) {
        return Ok(NodeFacts::default());
    }
    if !v.is_object() {
        return Err(invalid("facts must be an object"));
    }
    let addresses = member(v, "addresses");
    let addresses = if is_none(&addresses) {
        Vec::new()
    } else {
        strings(
            &addresses,
            "facts.addresses",
            "facts.addresses must be an array of strings",
        )?
    };
    let dns_name = optional_string(
        &member(v, "dnsName"),
        "facts.dnsName must be a string or null",
    )?;
    let tag = optional_string(
        &member(v, "deploymentTag"),
        "facts.deploymentTag must be a string or null",
    )?;
    NodeFacts::from_strs(
        addresses.iter().map(String::as_str),
        dns_name.as_deref(),
        tag.as_deref(),
    )
    .map_err(from_core)
}

/// A required time argument: a whole number of unix seconds.
pub(crate) fn required_time(v: &JsValue, what: &str) -> JsResult<i64> {
    if is_none(v) {
        return Err(null_parameter(what));
    }
    time(
        v.as_f64()
            .ok_or_else(|| invalid("time must be a whole number of unix seconds"))?,
    )
}

/// A whole number of unix seconds (out-of-range values saturate and core rejects them).
pub(crate) fn time(t: f64) -> JsResult<i64> {
    // Every f64 of magnitude 2^52 or more is whole; below, whole means it survives i64.
    const WHOLE: f64 = 4_503_599_627_370_496.0;
    if t.is_finite() && (t >= WHOLE || t <= -WHOLE || (t as i64) as f64 == t) {
        Ok(t as i64)
    } else {
        Err(invalid("time must be a whole number of unix seconds"))
    }
}

/// `t.floor() as i64` for a finite `t` (saturating), without std's `f64::floor`.
pub(crate) fn floor(t: f64) -> i64 {
    let i = t as i64; // toward zero, saturating
    if (i as f64) > t {
        i.saturating_sub(1)
    } else {
        i
    }
}

/// An environment name, `"prod"` or `"dev"` (parsed by core).
pub(crate) fn environment(v: &JsValue, what: &str) -> JsResult<Environment> {
    let s = string(v, what, "environment must be \"prod\" or \"dev\"")?;
    Environment::parse(&s).map_err(from_core)
}

/// A public key: a string (SPKI PEM, or JWK JSON) or a JWK object. An object is read as its
/// JSON text (`JSON.stringify`); every form then goes through core's
/// `PublicKey::from_pem_or_jwk`, so core's rules decide for objects and text alike: WebCrypto
/// and JOSE extras (`alg` ES256, `use` sig, `key_ops`, `ext`, `kid`) are accepted, a private `d`
/// or any other member is `bad_key`.
pub(crate) fn public_key(v: &JsValue) -> JsResult<PublicKey> {
    if let Some(text) = v.as_string() {
        return PublicKey::from_pem_or_jwk(&text).map_err(from_core);
    }
    if is_none(v) {
        return Err(null_parameter("key"));
    }
    if !v.is_object() || Array::is_array(v) {
        return Err(invalid(
            "key must be a PEM string, a JWK JSON string or a JWK object",
        ));
    }
    let text = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| from_core(Error::BadKey("the JWK object cannot be written as JSON")))?;
    // `JSON.stringify` of an object starts with `{`: core reads it as a JWK.
    PublicKey::from_pem_or_jwk(&text).map_err(from_core)
}

/// Trusted roots from `[{ kid, environment, key }]`.
pub(crate) fn roots(v: &JsValue) -> JsResult<Vec<TrustedRoot>> {
    if is_none(v) {
        return Err(null_parameter("options.roots"));
    }
    if !Array::is_array(v) {
        return Err(invalid(
            "options.roots must be an array of { kid, environment, key }",
        ));
    }
    Array::from(v)
        .iter()
        .map(|root| {
            if !root.is_object() {
                return Err(invalid(
                    "options.roots must be an array of { kid, environment, key }",
                ));
            }
            let kid = string(
                &member(&root, "kid"),
                "root.kid",
                "root.kid must be a string",
            )?;
            let environment = environment(&member(&root, "environment"), "root.environment")?;
            let key = public_key(&member(&root, "key"))?;
            Ok(TrustedRoot::new(kid, environment, key))
        })
        .collect()
}
