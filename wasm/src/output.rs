//! Builds plain JavaScript objects (camelCase members, numbers for times and counts, `null` for
//! absent values) from core results. The shapes are declared in TypeScript in `types.rs`.

use alloc::string::{String, ToString};

use hwf_license::{CmlStanding, HeartbeatInfo, Jwk, Verdict, VerifiedCml, Warning};
#[cfg(feature = "hub")]
use hwf_license::{LedgerSummary, ManifestClaims, Verified};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A plain object under construction.
pub(crate) struct Obj(Object);

impl Obj {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    pub(crate) fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        self.set_value(key, value.into())
    }

    /// The one copy of the property write (not inlined into every `set`: about 90 callers).
    #[inline(never)]
    fn set_value(self, key: &str, value: JsValue) -> Self {
        // Defining a data property on a fresh ordinary object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value);
        self
    }

    pub(crate) fn build(self) -> JsValue {
        self.0.into()
    }
}

/// Integers that become JS numbers: unix seconds and counts, exact (all are far below 2^53).
trait Number {
    fn to_f64(self) -> f64;
}

impl Number for i64 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Number for u64 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Number for u32 {
    fn to_f64(self) -> f64 {
        self.into()
    }
}

fn num(n: impl Number) -> JsValue {
    JsValue::from_f64(n.to_f64())
}

fn strings(items: &[String]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

fn optional<T>(v: Option<T>, f: impl FnOnce(T) -> JsValue) -> JsValue {
    v.map_or(JsValue::NULL, f)
}

/// A JSON text written in one buffer and turned into a JS object by one `JSON.parse`: for the
/// results returned on every validation (the verdict), one string crossing the boundary is
/// cheaper than a property write per member (each with its key's and value's text decoded).
/// Keys are this binding's camelCase names (ASCII, no escaping); values are core's.
struct Json {
    text: String,
    /// Whether the object or array just opened has no member yet (no comma before the next).
    first: bool,
}

impl Json {
    fn object() -> Self {
        let mut text = String::with_capacity(768);
        text.push('{');
        Self { text, first: true }
    }

    /// The next member's key (and its comma).
    fn key(&mut self, key: &str) -> &mut Self {
        self.comma();
        self.text.push('"');
        self.text.push_str(key);
        self.text.push_str("\":");
        self
    }

    fn comma(&mut self) {
        if !self.first {
            self.text.push(',');
        }
        self.first = false;
    }

    /// A string value, escaped as RFC 8259 requires (`"`, `\` and the controls below U+0020).
    fn str(&mut self, s: &str) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.text.push('"');
        // Char by char: no `str` slicing (its panic path formats with `Debug`, ≈ 4 KB).
        for c in s.chars() {
            match c {
                '"' | '\\' => {
                    self.text.push('\\');
                    self.text.push(c);
                }
                '\0'..='\u{1f}' => {
                    let b = c as u8;
                    self.text.push_str("\\u00");
                    self.text.push(char::from(HEX[usize::from(b >> 4)]));
                    self.text.push(char::from(HEX[usize::from(b & 15)]));
                }
                c => self.text.push(c),
            }
        }
        self.text.push('"');
        self
    }

    fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.text.push_str("null");
        self
    }

    /// An integer (unix seconds and counts: exact as a JS number, all far below 2^53).
    fn int(&mut self, n: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut m = n.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if n < 0 {
            self.text.push('-');
        }
        for &d in &digits[i..] {
            self.text.push(char::from(d));
        }
        self
    }

    fn opt_int(&mut self, n: Option<u32>) -> &mut Self {
        match n {
            Some(n) => self.int(n.into()),
            None => self.null(),
        }
    }

    fn strs(&mut self, items: &[String]) -> &mut Self {
        self.array();
        for s in items {
            self.comma();
            self.str(s);
        }
        self.end_array()
    }

    /// Opens an array as the current value (each element after [`Json::comma`]).
    fn array(&mut self) -> &mut Self {
        self.text.push('[');
        self.first = true;
        self
    }

    fn end_array(&mut self) -> &mut Self {
        self.text.push(']');
        self.first = false;
        self
    }

    /// Opens a nested object as the current value (`end` closes it).
    fn open(&mut self) -> &mut Self {
        self.text.push('{');
        self.first = true;
        self
    }

    fn end(&mut self) -> &mut Self {
        self.text.push('}');
        self.first = false;
        self
    }

    /// The object, parsed by `JSON.parse` (the text is well-formed by construction, so this
    /// never fails; `null` if it ever did).
    fn build(mut self) -> JsValue {
        self.text.push('}');
        js_sys::JSON::parse(&self.text).unwrap_or(JsValue::NULL)
    }
}

/// `Verdict`, as one JSON text (see [`Json`]).
pub(crate) fn verdict(v: &Verdict) -> JsValue {
    let mut j = Json::object();
    j.key("status").str(v.status.as_str());
    j.key("siteId").str(&v.site_id);
    j.key("orgId").str(&v.org_id);
    j.key("licenseId").str(&v.license_id);
    j.key("cmlLicenseId").str(&v.cml_license_id);
    j.key("cmlId").str(&v.cml_id);
    j.key("siteDocumentId").str(&v.site_document_id);
    j.key("environment").str(v.environment.as_str());
    j.key("product").str(&v.product);
    j.key("tier").str(&v.tier);
    j.key("features").strs(&v.features);
    j.key("issuedAt").int(v.issued_at);
    j.key("expiresAt").int(v.expires_at);
    j.key("siteExpiresAt").int(v.site_expires_at);
    j.key("cmlValidUntil").int(v.cml_valid_until);
    j.key("maxSites").int(v.max_sites.into());
    j.key("featurePacks").strs(&v.feature_packs);
    j.key("maxOfflineDays").opt_int(v.max_offline_days);
    let f = &v.fingerprint;
    j.key("fingerprint").open();
    j.key("address").opt_str(f.address.as_deref());
    j.key("dnsSuffix").opt_str(f.dns_suffix.as_deref());
    j.key("deploymentTag").opt_str(f.deployment_tag.as_deref());
    j.end();
    j.key("graceEnd").int(v.grace_end);
    j.key("graceDaysLeft").opt_int(v.grace_days_left);
    j.key("warnings").array();
    for w in &v.warnings {
        j.comma();
        j.open();
        j.key("name").str(w.name());
        j.key("message").str(&w.to_string());
        match *w {
            Warning::InGrace {
                expired_at,
                grace_end,
                days_left,
            } => {
                j.key("expiredAt").int(expired_at);
                j.key("graceEnd").int(grace_end);
                j.key("daysLeft").int(days_left.into());
            }
            Warning::ExpiresSoon {
                expires_at,
                days_left,
            } => {
                j.key("expiresAt").int(expires_at);
                j.key("daysLeft").int(days_left.into());
            }
            // A warning kind newer than this binding: its name and message still reach the user.
            _ => {}
        }
        j.end();
    }
    j.end_array();
    j.build()
}

fn jwk(k: &Jwk) -> JsValue {
    Obj::new()
        .set("kty", k.kty.as_str())
        .set("crv", k.crv.as_str())
        .set("x", k.x.as_str())
        .set("y", k.y.as_str())
        .build()
}

/// `CmlInfo`.
pub(crate) fn cml(c: &VerifiedCml) -> JsValue {
    let claims = &c.claims;
    Obj::new()
        .set("id", c.id.as_str())
        .set("licenseId", claims.license_id.as_str())
        .set("orgId", claims.org_id.as_str())
        .set("environment", claims.key_type.as_str())
        .set("issuedBy", claims.issued_by.as_str())
        .set("maxSites", num(claims.max_sites))
        .set("issuedAt", num(claims.issued_at))
        .set("validUntil", num(claims.valid_until))
        .set("graceDays", num(claims.grace_days))
        .set("featurePacks", strings(&claims.feature_packs))
        .set("maxOfflineDays", optional(claims.max_offline_days, num))
        .set("orgKey", jwk(&claims.org_key))
        .set("orgKeyId", c.org_key.thumbprint())
        .build()
}

/// `LedgerSummary`.
#[cfg(feature = "hub")]
pub(crate) fn ledger(s: &LedgerSummary) -> JsValue {
    Obj::new()
        .set("length", num(s.length))
        .set("head", s.head.as_str())
        .build()
}

/// `Receipt`.
#[cfg(feature = "hub")]
pub(crate) fn receipt(r: &hwf_license::VerifiedReceipt) -> JsValue {
    Obj::new()
        .set("id", r.id.as_str())
        .set("orgId", r.claims.org_id.as_str())
        .set("manifestId", r.claims.manifest.as_str())
        .set("period", r.claims.period.as_str())
        .set("receivedAt", num(r.claims.received_at))
        .set("certificateId", r.certificate.id.as_str())
        .set("receiptKeyId", r.certificate.key.thumbprint())
        .set(
            "certificateValidUntil",
            num(r.certificate.claims.valid_until),
        )
        .build()
}

/// `Manifest`.
#[cfg(feature = "hub")]
pub(crate) fn manifest(m: &Verified<ManifestClaims>) -> JsValue {
    let c = &m.claims;
    let stats = Obj::new()
        .set("adminUsers", num(c.stats.admin_users))
        .set("totalUsers", num(c.stats.total_users))
        .set(
            "sitesByProductTier",
            c.stats
                .sites_by_product_tier
                .iter()
                .map(|t| {
                    Obj::new()
                        .set("product", t.product.as_str())
                        .set("tier", t.tier.as_str())
                        .set("count", num(t.count))
                        .build()
                })
                .collect::<Array>(),
        )
        .set("totalActiveSites", num(c.stats.total_active_sites))
        .build();
    let sites = c
        .sites
        .iter()
        .map(|s| {
            Obj::new()
                .set("siteId", s.site_id.as_str())
                .set("product", s.product.as_str())
                .set("tier", s.tier.as_str())
                .set("issuedAt", num(s.issued_at))
                .set("lastSeen", optional(s.last_seen, num))
                .set("status", s.status.as_str())
                .build()
        })
        .collect::<Array>();
    Obj::new()
        .set("id", m.id.as_str())
        .set("orgId", c.org_id.as_str())
        .set("cmlId", c.cml.as_str())
        .set("period", c.period.as_str())
        .set("generatedAt", num(c.generated_at))
        .set("stats", stats)
        .set("sites", sites)
        .set("ledgerHead", c.ledger_head.as_str())
        .set("ledgerLength", num(c.ledger_length))
        .build()
}

/// `CmlStanding`.
pub(crate) fn standing(s: CmlStanding) -> JsValue {
    let days_ago = match s {
        CmlStanding::Expired { days_ago } => num(days_ago),
        _ => JsValue::NULL,
    };
    Obj::new()
        .set("standing", s.as_str())
        .set("daysLeft", optional(s.days_left(), num))
        .set("daysAgo", days_ago)
        .set("usable", s.usable())
        .build()
}

/// `ManifestPeriod`: a month's bounds `[start, end)`.
pub(crate) fn period((start, end): (i64, i64)) -> JsValue {
    Obj::new()
        .set("start", num(start))
        .set("end", num(end))
        .build()
}

/// `HeartbeatInfo`.
pub(crate) fn heartbeat(h: &HeartbeatInfo) -> JsValue {
    Obj::new()
        .set("status", h.status.as_str())
        .set("serverTime", num(h.server_time))
        .set("revocationSeq", num(h.revocation_seq))
        .set("revoked", h.revoked)
        .build()
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn json_text_escapes_what_json_requires_and_writes_integers_exactly() {
        let mut j = Json::object();
        j.key("s").str("a\"b\\c\u{1}\n\u{1f} é\u{2028}");
        j.key("n").int(0);
        j.key("m").int(-1_785_369_600);
        j.key("x").int(i64::MIN);
        j.key("o").opt_int(None);
        j.key("l").strs(&["".into(), "q\"".into()]);
        j.key("f").open();
        j.key("a").opt_str(None);
        j.end();
        j.key("e").array();
        j.end_array();
        assert_eq!(
            j.text,
            "{\"s\":\"a\\\"b\\\\c\\u0001\\u000a\\u001f é\u{2028}\",\"n\":0,\"m\":-1785369600,\
             \"x\":-9223372036854775808,\"o\":null,\"l\":[\"\",\"q\\\"\"],\"f\":{\"a\":null},\"e\":[]"
        );
    }
}
