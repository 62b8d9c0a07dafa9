//! Builds plain JavaScript objects (camelCase members, numbers for times and counts, `null` for
//! absent values) from core results. The shapes are declared in TypeScript in `types.rs`.

use alloc::string::{String, ToString};

use hwf_license::{CmlStanding, Fingerprint, HeartbeatInfo, Jwk, Verdict, VerifiedCml, Warning};
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

fn optional_str(v: &Option<String>) -> JsValue {
    v.as_deref().map_or(JsValue::NULL, JsValue::from_str)
}

/// `Fingerprint`: what the site license binds the node to, `null` for an absent field.
fn fingerprint(f: &Fingerprint) -> JsValue {
    Obj::new()
        .set("address", optional_str(&f.address))
        .set("dnsSuffix", optional_str(&f.dns_suffix))
        .set("deploymentTag", optional_str(&f.deployment_tag))
        .build()
}

fn warning(w: &Warning) -> JsValue {
    let o = Obj::new()
        .set("name", w.name())
        .set("message", w.to_string());
    match *w {
        Warning::InGrace {
            expired_at,
            grace_end,
            days_left,
        } => o
            .set("expiredAt", num(expired_at))
            .set("graceEnd", num(grace_end))
            .set("daysLeft", num(days_left)),
        Warning::ExpiresSoon {
            expires_at,
            days_left,
        } => o
            .set("expiresAt", num(expires_at))
            .set("daysLeft", num(days_left)),
        // A warning kind newer than this binding: its name and message still reach the user.
        _ => o,
    }
    .build()
}

/// `Verdict`.
pub(crate) fn verdict(v: &Verdict) -> JsValue {
    Obj::new()
        .set("status", v.status.as_str())
        .set("siteId", v.site_id.as_str())
        .set("orgId", v.org_id.as_str())
        .set("licenseId", v.license_id.as_str())
        .set("cmlLicenseId", v.cml_license_id.as_str())
        .set("cmlId", v.cml_id.as_str())
        .set("siteDocumentId", v.site_document_id.as_str())
        .set("environment", v.environment.as_str())
        .set("product", v.product.as_str())
        .set("tier", v.tier.as_str())
        .set("features", strings(&v.features))
        .set("issuedAt", num(v.issued_at))
        .set("expiresAt", num(v.expires_at))
        .set("siteExpiresAt", num(v.site_expires_at))
        .set("cmlValidUntil", num(v.cml_valid_until))
        .set("maxSites", num(v.max_sites))
        .set("featurePacks", strings(&v.feature_packs))
        .set("maxOfflineDays", optional(v.max_offline_days, num))
        .set("fingerprint", fingerprint(&v.fingerprint))
        .set("graceEnd", num(v.grace_end))
        .set("graceDaysLeft", optional(v.grace_days_left, num))
        .set(
            "warnings",
            v.warnings.iter().map(warning).collect::<Array>(),
        )
        .build()
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
