//! The signed payloads of every document kind, parsed strictly (unknown or duplicate members,
//! wrong types and trailing data are rejected), plus the value checks each kind must pass.
//!
//! Every payload carries `v` (the format version, [`crate::FORMAT_VERSION`]) and `type` (the
//! document kind) inside the signed bytes. The signing functions in [`crate::issue`] set both, so
//! callers can leave them at their `Default`.

use alloc::string::String;
use alloc::vec::Vec;
#[cfg(feature = "deserialize")]
use serde::Deserialize;
use serde::Serialize;

use crate::error::{DocKind, Error, Result};
use crate::fingerprint::Fingerprint;
use crate::json::{Members, Obj, Value};
use crate::keys::Jwk;
use crate::time::check_time;

/// The environment of a key or document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Development and testing.
    Dev,
    /// Production.
    #[default]
    Prod,
}

impl Environment {
    /// `"dev"` or `"prod"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Prod => "prod",
        }
    }

    /// Parses `"dev"` or `"prod"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "dev" => Ok(Self::Dev),
            "prod" => Ok(Self::Prod),
            _ => Err(Error::InvalidArgument(
                "environment must be \"dev\" or \"prod\"",
            )),
        }
    }
}

impl core::fmt::Display for Environment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Default grace period in days.
pub const DEFAULT_GRACE_DAYS: u32 = 30;
/// Largest accepted grace period in days.
pub const MAX_GRACE_DAYS: u32 = 3650;
/// Most features a site license, and feature packs a CML, may list.
pub const MAX_FEATURES: usize = 64;
/// Most site license ids a revocation list may list.
pub const MAX_REVOKED: usize = 100_000;
/// Largest `max_sites` of a CML, and most sites a manifest may list.
pub const MAX_SITES: u32 = 100_000;
/// Most product/tier pairs a manifest may count.
pub const MAX_PRODUCT_TIERS: usize = 1024;
/// Largest `max_offline_days` of a CML.
pub const MAX_OFFLINE_DAYS: u32 = 3650;
/// Payload versions a CML may carry: 1, and 2 (adds `max_offline_days`).
pub const CML_VERSIONS: &[u32] = &[1, 2];
/// Longest identifier (ids, names, features) in bytes.
pub const MAX_ID_LEN: usize = 256;

fn check_id(kind: DocKind, what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_ID_LEN || s.chars().any(char::is_control) {
        return Err(Error::payload(
            kind,
            format_args!("{what} must be 1..={MAX_ID_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

fn check_hash(kind: DocKind, what: &str, s: &str) -> Result<()> {
    if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(Error::payload(
            kind,
            format_args!("{what} must be 64 lowercase hex digits"),
        ));
    }
    Ok(())
}

/// Identifiers, at most `max` of them, none twice (checked in O(n log n)).
fn check_unique(kind: DocKind, what: &str, items: &[String], max: usize) -> Result<()> {
    if items.len() > max {
        return Err(Error::payload(
            kind,
            format_args!("{what} lists more than {max} entries"),
        ));
    }
    for item in items {
        check_id(kind, what, item)?;
    }
    if crate::json::has_duplicate_string(items) {
        return Err(Error::payload(
            kind,
            format_args!("{what} lists an entry twice"),
        ));
    }
    Ok(())
}

/// Customer Master License claims, signed by a root key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct CmlClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"cml"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Unique license id.
    pub license_id: String,
    /// The organisation.
    pub org_id: String,
    /// How many site licenses the org may have active at once.
    pub max_sites: u32,
    /// Unix seconds of issuance.
    pub issued_at: i64,
    /// Unix seconds at which the CML stops being valid (before grace).
    pub valid_until: i64,
    /// Feature packs the org may grant to its sites.
    pub feature_packs: Vec<String>,
    /// `dev` or `prod`; must equal the signing root key's environment.
    pub key_type: Environment,
    /// The `kid` of the root key that signed it.
    pub issued_by: String,
    /// The org public key that signs the org's site licenses and other documents.
    pub org_key: Jwk,
    /// Grace period in days after expiry (default 30).
    pub grace_days: u32,
    /// Format version 2 and later: how many days a node may run without a signed time from its
    /// Hub (a heartbeat answer or a revocation list; the site license's own issuance counts)
    /// before it refuses with `offline_too_long`. `None`: no limit. A CML carrying it is signed
    /// as version 2, which version-1 readers refuse rather than ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_offline_days: Option<u32>,
}

impl CmlClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::Cml;
        check_id(k, "license_id", &self.license_id)?;
        check_id(k, "org_id", &self.org_id)?;
        check_id(k, "issued_by", &self.issued_by)?;
        check_unique(k, "feature_packs", &self.feature_packs, MAX_FEATURES)?;
        check_time(k, "issued_at", self.issued_at)?;
        check_time(k, "valid_until", self.valid_until)?;
        if self.valid_until <= self.issued_at {
            return Err(Error::payload(k, "valid_until must be after issued_at"));
        }
        if !(1..=MAX_SITES).contains(&self.max_sites) {
            return Err(Error::payload(k, "max_sites must be within 1..=100000"));
        }
        if self.grace_days > MAX_GRACE_DAYS {
            return Err(Error::payload(k, "grace_days must be at most 3650"));
        }
        if let Some(d) = self.max_offline_days {
            if !(1..=MAX_OFFLINE_DAYS).contains(&d) {
                return Err(Error::payload(
                    k,
                    "max_offline_days must be within 1..=3650",
                ));
            }
            if self.v < 2 {
                return Err(Error::payload(k, "max_offline_days needs format version 2"));
            }
        }
        Ok(())
    }
}

/// Site license claims, signed by the org key of the parent CML.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct SiteClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"site"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Unique site license id (what revocation lists name).
    pub license_id: String,
    /// The site node.
    pub site_id: String,
    /// The organisation (equals the CML's).
    pub org_id: String,
    /// Parent binding: the document id of the parent CML (hex SHA-256 of its signing input).
    pub cml: String,
    /// Optional node binding.
    pub fingerprint: Fingerprint,
    /// Unix seconds of issuance.
    pub issued_at: i64,
    /// Unix seconds of expiry (before grace).
    pub expires_at: i64,
    /// Enabled features; a subset of the CML's feature packs.
    pub features: Vec<String>,
    /// Product, for usage statistics (e.g. `hwf`, `boost`).
    pub product: String,
    /// Tier, for usage statistics (e.g. `active`, `basic`).
    pub tier: String,
}

impl SiteClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::Site;
        check_id(k, "license_id", &self.license_id)?;
        check_id(k, "site_id", &self.site_id)?;
        check_id(k, "org_id", &self.org_id)?;
        check_id(k, "product", &self.product)?;
        check_id(k, "tier", &self.tier)?;
        check_hash(k, "cml", &self.cml)?;
        check_unique(k, "features", &self.features, MAX_FEATURES)?;
        check_time(k, "issued_at", self.issued_at)?;
        check_time(k, "expires_at", self.expires_at)?;
        if self.expires_at <= self.issued_at {
            return Err(Error::payload(k, "expires_at must be after issued_at"));
        }
        self.fingerprint
            .check_syntax()
            .map_err(|e| Error::payload(k, e))
    }
}

/// Revocation list claims, signed by the org key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct RevocationListClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"revocation_list"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The organisation.
    pub org_id: String,
    /// The CML binding (document id of the CML).
    pub cml: String,
    /// Monotonically increasing sequence number.
    pub seq: u64,
    /// Unix seconds of issuance.
    pub issued_at: i64,
    /// Revoked site license ids.
    pub revoked: Vec<String>,
}

impl RevocationListClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::RevocationList;
        check_id(k, "org_id", &self.org_id)?;
        check_hash(k, "cml", &self.cml)?;
        check_time(k, "issued_at", self.issued_at)?;
        check_unique(k, "revoked", &self.revoked, MAX_REVOKED)
    }
}

/// Heartbeat answer claims, signed by the org key, bound to the node's nonce.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct HeartbeatClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"heartbeat"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The organisation.
    pub org_id: String,
    /// The CML binding.
    pub cml: String,
    /// The site the answer is for.
    pub site_id: String,
    /// The site's status at the Hub (`active` or `revoked`).
    pub status: String,
    /// The nonce the node sent (echoed).
    pub nonce: String,
    /// The Hub's clock, unix seconds.
    pub server_time: i64,
    /// The current revocation list (compact JWS).
    pub revocation_list: String,
}

impl HeartbeatClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::Heartbeat;
        check_id(k, "org_id", &self.org_id)?;
        check_hash(k, "cml", &self.cml)?;
        check_id(k, "site_id", &self.site_id)?;
        if !matches!(self.status.as_str(), "active" | "revoked") {
            return Err(Error::payload(
                k,
                "status must be \"active\" or \"revoked\"",
            ));
        }
        check_id(k, "nonce", &self.nonce)?;
        check_time(k, "server_time", self.server_time)
    }
}

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum LedgerEvent {
    /// A CML was installed on the Hub.
    #[default]
    CmlInstalled,
    /// A site license was minted.
    SiteCreated,
    /// A site license was revoked.
    SiteRevoked,
    /// A site node was seen (at most once per site per day).
    SiteSeen,
    /// A usage manifest was generated.
    ManifestGenerated,
}

/// One usage ledger entry, signed by the org key, chained to its predecessor by hash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct LedgerEntryClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"ledger_entry"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The organisation.
    pub org_id: String,
    /// The CML binding in force when the entry was written.
    pub cml: String,
    /// Zero-based position in the ledger.
    pub seq: u64,
    /// Document id of the previous entry; 64 zeros for the first.
    pub prev: String,
    /// Unix seconds of the event.
    pub at: i64,
    /// What happened.
    pub event: LedgerEvent,
    /// The site concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// Free-form detail (e.g. product/tier, manifest period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The `prev` of the first ledger entry.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl LedgerEntryClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::LedgerEntry;
        check_id(k, "org_id", &self.org_id)?;
        check_hash(k, "cml", &self.cml)?;
        check_hash(k, "prev", &self.prev)?;
        check_time(k, "at", self.at)?;
        if let Some(s) = &self.site_id {
            check_id(k, "site_id", s)?;
        }
        Ok(())
    }
}

/// Active sites counted per product and tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ProductTierCount {
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Active sites with this product and tier.
    pub count: u32,
}

/// Usage statistics of a manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ManifestStats {
    /// Hub users with the admin role.
    pub admin_users: u32,
    /// All Hub users.
    pub total_users: u32,
    /// Active sites by product and tier.
    pub sites_by_product_tier: Vec<ProductTierCount>,
    /// Active sites in all.
    pub total_active_sites: u32,
}

/// One site as reported in a manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ManifestSite {
    /// The site.
    pub site_id: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// When its license was issued.
    pub issued_at: i64,
    /// When the node was last seen, if ever.
    pub last_seen: Option<i64>,
    /// `active` or `revoked`.
    pub status: String,
}

/// Monthly usage manifest claims, signed by the org key and sent to the Root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ManifestClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"manifest"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The organisation.
    pub org_id: String,
    /// The CML binding.
    pub cml: String,
    /// The month reported, `YYYY-MM`.
    pub period: String,
    /// Unix seconds of generation.
    pub generated_at: i64,
    /// Statistics.
    pub stats: ManifestStats,
    /// The sites of the period.
    pub sites: Vec<ManifestSite>,
    /// Document id of the newest ledger entry (64 zeros for an empty ledger).
    pub ledger_head: String,
    /// Number of ledger entries.
    pub ledger_length: u64,
}

impl ManifestClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::Manifest;
        check_id(k, "org_id", &self.org_id)?;
        check_hash(k, "cml", &self.cml)?;
        check_hash(k, "ledger_head", &self.ledger_head)?;
        check_time(k, "generated_at", self.generated_at)?;
        crate::time::parse_period(&self.period)
            .ok_or(Error::ManifestInvalid("period is not YYYY-MM"))?;
        if self.sites.len() > MAX_SITES as usize {
            return Err(Error::payload(k, "sites lists more than 100000 entries"));
        }
        if self.stats.sites_by_product_tier.len() > MAX_PRODUCT_TIERS {
            return Err(Error::payload(
                k,
                "sites_by_product_tier lists more than 1024 entries",
            ));
        }
        let active = self.sites.iter().filter(|s| s.status == "active").count();
        if usize::try_from(self.stats.total_active_sites).ok() != Some(active) {
            return Err(Error::ManifestInvalid(
                "total_active_sites differs from the active sites listed",
            ));
        }
        let by_tier = self
            .stats
            .sites_by_product_tier
            .iter()
            .try_fold(0u32, |acc, c| acc.checked_add(c.count));
        if by_tier != Some(self.stats.total_active_sites) {
            return Err(Error::ManifestInvalid(
                "sites_by_product_tier does not add up to total_active_sites",
            ));
        }
        if self.stats.admin_users > self.stats.total_users {
            return Err(Error::ManifestInvalid("admin_users exceeds total_users"));
        }
        for s in &self.sites {
            check_id(k, "sites.site_id", &s.site_id)?;
            check_time(k, "sites.issued_at", s.issued_at)?;
            if let Some(t) = s.last_seen {
                check_time(k, "sites.last_seen", t)?;
            }
        }
        Ok(())
    }
}

/// Receipt key certificate claims, signed by a root key: "this public key signs this Root's
/// manifest receipts for `environment` from `issued_at` until `valid_until`". The Root's root key
/// signs it once; the certified receipt key signs every receipt, so the root key never signs
/// on an unauthenticated request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ReceiptKeyClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"receipt_key"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The certified receipt public key.
    pub key: Jwk,
    /// `dev` or `prod`; must equal the signing root key's environment.
    pub environment: Environment,
    /// The `kid` of the root key that signed it (equals the header `kid`).
    pub issued_by: String,
    /// Unix seconds from which the key may sign receipts.
    pub issued_at: i64,
    /// Unix seconds at which the certificate ends (after `issued_at`).
    pub valid_until: i64,
}

impl ReceiptKeyClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::ReceiptKey;
        check_id(k, "issued_by", &self.issued_by)?;
        check_time(k, "issued_at", self.issued_at)?;
        check_time(k, "valid_until", self.valid_until)?;
        if self.valid_until <= self.issued_at {
            return Err(Error::payload(k, "valid_until must be after issued_at"));
        }
        Ok(())
    }
}

/// Manifest receipt claims, signed by a certified receipt key: "the Root received the usage
/// manifest `manifest` of `org_id` for `period` at `received_at`".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ReceiptClaims {
    /// Format version (set on signing).
    pub v: u32,
    /// Always `"receipt"` (set on signing).
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The organisation the manifest is from.
    pub org_id: String,
    /// The manifest's document id (64 lowercase hex).
    pub manifest: String,
    /// The manifest's period, `YYYY-MM`.
    pub period: String,
    /// Unix seconds at which the Root first recorded the manifest.
    pub received_at: i64,
}

impl ReceiptClaims {
    pub(crate) fn check(&self) -> Result<()> {
        let k = DocKind::Receipt;
        check_id(k, "org_id", &self.org_id)?;
        check_hash(k, "manifest", &self.manifest)?;
        if crate::time::parse_period(&self.period).is_none() {
            return Err(Error::payload(k, "period must be YYYY-MM"));
        }
        check_time(k, "received_at", self.received_at)
    }
}

/// Strict reading of a payload from a parsed JSON value (every member once, none unknown).
pub(crate) trait FromJson: Sized {
    /// The payload versions `v` this kind may carry.
    const VERSIONS: &'static [u32] = &[crate::FORMAT_VERSION];
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String>;
}

fn environment(s: &str) -> core::result::Result<Environment, String> {
    match s {
        "dev" => Ok(Environment::Dev),
        "prod" => Ok(Environment::Prod),
        _ => Err("`key_type` must be \"dev\" or \"prod\"".into()),
    }
}

/// Reads and marks the `v` and `type` members (their values were checked before); for readers
/// written with [`Obj`] (those below use [`Members`]).
#[allow(dead_code)]
fn header_members(o: &mut Obj<'_, '_>) -> core::result::Result<(u32, String), String> {
    Ok((o.int("v")?, o.str("type")?))
}

impl FromJson for Jwk {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let jwk = Jwk {
            kty: o.str("kty"),
            crv: o.str("crv"),
            x: o.str("x"),
            y: o.str("y"),
        };
        o.finish()?;
        Ok(jwk)
    }
}

impl FromJson for Fingerprint {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let f = Fingerprint {
            address: o.opt_str("address"),
            dns_suffix: o.opt_str("dns_suffix"),
            deployment_tag: o.opt_str("deployment_tag"),
        };
        o.finish()?;
        Ok(f)
    }
}

// The payload readers below read every member in one struct expression with [`Members`] (the
// first error wins, as with `?` after each read) and fail at `finish`.

impl FromJson for CmlClaims {
    const VERSIONS: &'static [u32] = CML_VERSIONS;
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let mut c = CmlClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            license_id: o.str("license_id"),
            org_id: o.str("org_id"),
            max_sites: o.int("max_sites"),
            issued_at: o.int("issued_at"),
            valid_until: o.int("valid_until"),
            feature_packs: o.strs("feature_packs"),
            key_type: {
                let k = o.str_ref("key_type");
                o.check(environment(k))
            },
            issued_by: o.str("issued_by"),
            org_key: o.with("org_key", Jwk::from_json),
            grace_days: o.int("grace_days"),
            max_offline_days: None,
        };
        if c.v >= 2 {
            c.max_offline_days = o.opt_int("max_offline_days");
        }
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for SiteClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = SiteClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            license_id: o.str("license_id"),
            site_id: o.str("site_id"),
            org_id: o.str("org_id"),
            cml: o.str("cml"),
            fingerprint: o.with("fingerprint", Fingerprint::from_json),
            issued_at: o.int("issued_at"),
            expires_at: o.int("expires_at"),
            features: o.strs("features"),
            product: o.str("product"),
            tier: o.str("tier"),
        };
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for RevocationListClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = RevocationListClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            org_id: o.str("org_id"),
            cml: o.str("cml"),
            seq: o.int("seq"),
            issued_at: o.int("issued_at"),
            revoked: o.strs("revoked"),
        };
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for HeartbeatClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = HeartbeatClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            org_id: o.str("org_id"),
            cml: o.str("cml"),
            site_id: o.str("site_id"),
            status: o.str("status"),
            nonce: o.str("nonce"),
            server_time: o.int("server_time"),
            revocation_list: o.str("revocation_list"),
        };
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for LedgerEntryClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = LedgerEntryClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            event: {
                let e = o.str_ref("event");
                o.check(match e {
                    "cml_installed" => Ok(LedgerEvent::CmlInstalled),
                    "site_created" => Ok(LedgerEvent::SiteCreated),
                    "site_revoked" => Ok(LedgerEvent::SiteRevoked),
                    "site_seen" => Ok(LedgerEvent::SiteSeen),
                    "manifest_generated" => Ok(LedgerEvent::ManifestGenerated),
                    _ => Err("unknown `event`".into()),
                })
            },
            org_id: o.str("org_id"),
            cml: o.str("cml"),
            seq: o.int("seq"),
            prev: o.str("prev"),
            at: o.int("at"),
            site_id: o.opt_str("site_id"),
            detail: o.opt_str("detail"),
        };
        o.finish()?;
        Ok(c)
    }
}

fn product_tier_count(c: &Value<'_>) -> core::result::Result<ProductTierCount, String> {
    let mut c = Members::new(c)?;
    let count = ProductTierCount {
        product: c.str("product"),
        tier: c.str("tier"),
        count: c.int("count"),
    };
    c.finish()?;
    Ok(count)
}

fn manifest_stats(s: &Value<'_>) -> core::result::Result<ManifestStats, String> {
    let mut s = Members::new(s)?;
    let stats = ManifestStats {
        admin_users: s.int("admin_users"),
        total_users: s.int("total_users"),
        sites_by_product_tier: s.array("sites_by_product_tier", product_tier_count),
        total_active_sites: s.int("total_active_sites"),
    };
    s.finish()?;
    Ok(stats)
}

fn manifest_site(s: &Value<'_>) -> core::result::Result<ManifestSite, String> {
    let mut s = Members::new(s)?;
    let site = ManifestSite {
        site_id: s.str("site_id"),
        product: s.str("product"),
        tier: s.str("tier"),
        issued_at: s.int("issued_at"),
        last_seen: s.opt_int("last_seen"),
        status: s.str("status"),
    };
    s.finish()?;
    Ok(site)
}

impl FromJson for ManifestClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = ManifestClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            stats: o.with("stats", manifest_stats),
            sites: o.array("sites", manifest_site),
            org_id: o.str("org_id"),
            cml: o.str("cml"),
            period: o.str("period"),
            generated_at: o.int("generated_at"),
            ledger_head: o.str("ledger_head"),
            ledger_length: o.int("ledger_length"),
        };
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for ReceiptKeyClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = ReceiptKeyClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            key: o.with("key", Jwk::from_json),
            environment: {
                let e = o.str_ref("environment");
                o.check(match e {
                    "dev" => Ok(Environment::Dev),
                    "prod" => Ok(Environment::Prod),
                    _ => Err("`environment` must be \"dev\" or \"prod\"".into()),
                })
            },
            issued_by: o.str("issued_by"),
            issued_at: o.int("issued_at"),
            valid_until: o.int("valid_until"),
        };
        o.finish()?;
        Ok(c)
    }
}

impl FromJson for ReceiptClaims {
    fn from_json(v: &Value<'_>) -> core::result::Result<Self, String> {
        let mut o = Members::new(v)?;
        let c = ReceiptClaims {
            v: o.int("v"),
            doc_type: o.str("type"),
            org_id: o.str("org_id"),
            manifest: o.str("manifest"),
            period: o.str("period"),
            received_at: o.int("received_at"),
        };
        o.finish()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    //! The [`Members`] readers against readers written the way they were before, with `?` after
    //! every [`Obj`] read: on every payload of a corpus of faults (each member missing, of the
    //! wrong type, or out of range; two faults at once; an unknown member), the same claims or
    //! the same error message.
    use super::*;
    use crate::json::parse;
    use alloc::string::ToString;
    use alloc::{format, vec};

    fn old_cml(v: &Value<'_>) -> core::result::Result<CmlClaims, String> {
        let mut o = Obj::new(v)?;
        let (v, doc_type) = header_members(&mut o)?;
        let mut c = CmlClaims {
            v,
            doc_type,
            license_id: o.str("license_id")?,
            org_id: o.str("org_id")?,
            max_sites: o.int("max_sites")?,
            issued_at: o.int("issued_at")?,
            valid_until: o.int("valid_until")?,
            feature_packs: o.strs("feature_packs")?,
            key_type: environment(o.str_ref("key_type")?)?,
            issued_by: o.str("issued_by")?,
            org_key: o.with("org_key", Jwk::from_json)?,
            grace_days: o.int("grace_days")?,
            max_offline_days: None,
        };
        if c.v >= 2 {
            c.max_offline_days = o.opt_int("max_offline_days")?;
        }
        o.finish()?;
        Ok(c)
    }

    fn old_ledger(v: &Value<'_>) -> core::result::Result<LedgerEntryClaims, String> {
        let mut o = Obj::new(v)?;
        let (v, doc_type) = header_members(&mut o)?;
        let event = match o.str_ref("event")? {
            "cml_installed" => LedgerEvent::CmlInstalled,
            "site_created" => LedgerEvent::SiteCreated,
            "site_revoked" => LedgerEvent::SiteRevoked,
            "site_seen" => LedgerEvent::SiteSeen,
            "manifest_generated" => LedgerEvent::ManifestGenerated,
            _ => return Err("unknown `event`".into()),
        };
        let c = LedgerEntryClaims {
            v,
            doc_type,
            org_id: o.str("org_id")?,
            cml: o.str("cml")?,
            seq: o.int("seq")?,
            prev: o.str("prev")?,
            at: o.int("at")?,
            event,
            site_id: o.opt_str("site_id")?,
            detail: o.opt_str("detail")?,
        };
        o.finish()?;
        Ok(c)
    }

    fn old_manifest(v: &Value<'_>) -> core::result::Result<ManifestClaims, String> {
        let mut o = Obj::new(v)?;
        let (v, doc_type) = header_members(&mut o)?;
        let stats = o.with("stats", |s| {
            let mut s = Obj::new(s)?;
            let stats = ManifestStats {
                admin_users: s.int("admin_users")?,
                total_users: s.int("total_users")?,
                sites_by_product_tier: s.array("sites_by_product_tier", |c| {
                    let mut c = Obj::new(c)?;
                    let count = ProductTierCount {
                        product: c.str("product")?,
                        tier: c.str("tier")?,
                        count: c.int("count")?,
                    };
                    c.finish()?;
                    Ok(count)
                })?,
                total_active_sites: s.int("total_active_sites")?,
            };
            s.finish()?;
            Ok(stats)
        })?;
        let sites = o.array("sites", |s| {
            let mut s = Obj::new(s)?;
            let site = ManifestSite {
                site_id: s.str("site_id")?,
                product: s.str("product")?,
                tier: s.str("tier")?,
                issued_at: s.int("issued_at")?,
                last_seen: s.opt_int("last_seen")?,
                status: s.str("status")?,
            };
            s.finish()?;
            Ok(site)
        })?;
        let c = ManifestClaims {
            v,
            doc_type,
            org_id: o.str("org_id")?,
            cml: o.str("cml")?,
            period: o.str("period")?,
            generated_at: o.int("generated_at")?,
            stats,
            sites,
            ledger_head: o.str("ledger_head")?,
            ledger_length: o.int("ledger_length")?,
        };
        o.finish()?;
        Ok(c)
    }

    /// JSON text of a value (the test documents' strings need no escapes).
    fn to_text(v: &Value<'_>) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Str(s) => format!("\"{s}\""),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(to_text).collect();
                format!("[{}]", items.join(","))
            }
            Value::Object(m) => {
                let m: Vec<String> = m
                    .iter()
                    .map(|(n, v)| format!("\"{n}\":{}", to_text(v)))
                    .collect();
                format!("{{{}}}", m.join(","))
            }
        }
    }

    /// Top-level members of `doc` (a flat `{"name":value,...}` text, values without commas
    /// except nested ones), as (name, value text).
    fn members(doc: &str) -> Vec<(String, String)> {
        let v = parse(doc.as_bytes()).unwrap();
        let Value::Object(m) = v else { panic!() };
        m.iter().map(|(n, v)| (n.to_string(), to_text(v))).collect()
    }

    fn build(m: &[(String, String)]) -> String {
        let body: Vec<String> = m.iter().map(|(n, v)| format!("\"{n}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    /// Every single and double fault of `doc`'s members, and an unknown member.
    fn corpus(doc: &str) -> Vec<String> {
        let m = members(doc);
        let bad = [
            "true",
            "\"x\"",
            "-1",
            "18446744073709551615",
            "null",
            "{}",
            "[1]",
        ];
        let mut out = vec![doc.to_string()];
        for i in 0..m.len() {
            let mut without = m.clone();
            without.remove(i);
            out.push(build(&without));
            for b in bad {
                let mut one = m.clone();
                one[i].1 = b.into();
                out.push(build(&one));
                for j in i + 1..m.len() {
                    let mut two = one.clone();
                    two[j].1 = "true".into();
                    out.push(build(&two));
                    let mut gone = one.clone();
                    gone.remove(j);
                    out.push(build(&gone));
                }
            }
        }
        let mut extra = m.clone();
        extra.insert(1, ("zzz".into(), "1".into()));
        out.push(build(&extra));
        out
    }

    fn same<T: PartialEq + core::fmt::Debug>(
        doc: &str,
        new: fn(&Value<'_>) -> core::result::Result<T, String>,
        old: fn(&Value<'_>) -> core::result::Result<T, String>,
    ) -> usize {
        let docs = corpus(doc);
        let mut errors = 0;
        for d in &docs {
            let v = parse(d.as_bytes()).unwrap();
            let (n, o) = (new(&v), old(&v));
            assert_eq!(n, o, "{d}");
            errors += usize::from(n.is_err());
        }
        assert!(errors > docs.len() / 2, "the corpus has faults");
        docs.len()
    }

    const JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"BBBB"}"#;

    #[test]
    fn cml_reads_as_before() {
        for (v, extra) in [(1, ""), (2, r#","max_offline_days":30"#)] {
            let doc = format!(
                r#"{{"v":{v},"type":"cml","license_id":"l","org_id":"o","max_sites":5,"issued_at":10,"valid_until":20,"feature_packs":["a","b"],"key_type":"prod","issued_by":"r","org_key":{JWK},"grace_days":30{extra}}}"#
            );
            assert!(same(&doc, CmlClaims::from_json, old_cml) > 500);
        }
    }

    #[test]
    fn site_reads_as_before() {
        fn old_site(v: &Value<'_>) -> core::result::Result<SiteClaims, String> {
            let mut o = Obj::new(v)?;
            let (v, doc_type) = header_members(&mut o)?;
            let c = SiteClaims {
                v,
                doc_type,
                license_id: o.str("license_id")?,
                site_id: o.str("site_id")?,
                org_id: o.str("org_id")?,
                cml: o.str("cml")?,
                fingerprint: o.with("fingerprint", Fingerprint::from_json)?,
                issued_at: o.int("issued_at")?,
                expires_at: o.int("expires_at")?,
                features: o.strs("features")?,
                product: o.str("product")?,
                tier: o.str("tier")?,
            };
            o.finish()?;
            Ok(c)
        }
        let doc = r#"{"v":1,"type":"site","license_id":"l","site_id":"s","org_id":"o","cml":"c","fingerprint":{"address":"10.0.0.1","dns_suffix":null},"issued_at":1,"expires_at":2,"features":["a"],"product":"p","tier":"t"}"#;
        assert!(same(doc, SiteClaims::from_json, old_site) > 500);
    }

    #[test]
    fn ledger_entry_reads_as_before() {
        for event in ["site_seen", "nope"] {
            let doc = format!(
                r#"{{"v":1,"type":"ledger_entry","org_id":"o","cml":"c","seq":3,"prev":"p","at":5,"event":"{event}","site_id":"s","detail":null}}"#
            );
            assert!(same(&doc, LedgerEntryClaims::from_json, old_ledger) > 300);
        }
    }

    #[test]
    fn manifest_reads_as_before() {
        let doc = r#"{"v":1,"type":"manifest","org_id":"o","cml":"c","period":"2026-01","generated_at":9,"stats":{"admin_users":1,"total_users":2,"sites_by_product_tier":[{"product":"p","tier":"t","count":1}],"total_active_sites":1},"sites":[{"site_id":"s","product":"p","tier":"t","issued_at":1,"last_seen":null,"status":"active"}],"ledger_head":"h","ledger_length":4}"#;
        assert!(same(doc, ManifestClaims::from_json, old_manifest) > 500);
        // Faults inside the nested objects too.
        for inner in [
            r#""stats":{"admin_users":true,"total_users":"x","sites_by_product_tier":[],"total_active_sites":0}"#,
            r#""stats":{"admin_users":1,"total_users":2,"sites_by_product_tier":[{"product":1,"count":"x"}],"total_active_sites":1}"#,
            r#""stats":{"admin_users":1,"total_users":2,"sites_by_product_tier":[],"total_active_sites":0,"zz":1}"#,
        ] {
            let d = format!(
                r#"{{"v":1,"type":"manifest","org_id":"o","cml":"c","period":"2026-01","generated_at":9,{inner},"sites":[{{"site_id":1,"status":2}}],"ledger_head":"h","ledger_length":4}}"#
            );
            let v = parse(d.as_bytes()).unwrap();
            let (n, o) = (ManifestClaims::from_json(&v), old_manifest(&v));
            assert!(n.is_err());
            assert_eq!(n, o, "{d}");
        }
    }

    fn old_receipt_key(v: &Value<'_>) -> core::result::Result<ReceiptKeyClaims, String> {
        let mut o = Obj::new(v)?;
        let (v, doc_type) = header_members(&mut o)?;
        let c = ReceiptKeyClaims {
            v,
            doc_type,
            key: o.with("key", Jwk::from_json)?,
            environment: match o.str_ref("environment")? {
                "dev" => Environment::Dev,
                "prod" => Environment::Prod,
                _ => return Err("`environment` must be \"dev\" or \"prod\"".into()),
            },
            issued_by: o.str("issued_by")?,
            issued_at: o.int("issued_at")?,
            valid_until: o.int("valid_until")?,
        };
        o.finish()?;
        Ok(c)
    }

    fn old_receipt(v: &Value<'_>) -> core::result::Result<ReceiptClaims, String> {
        let mut o = Obj::new(v)?;
        let (v, doc_type) = header_members(&mut o)?;
        let c = ReceiptClaims {
            v,
            doc_type,
            org_id: o.str("org_id")?,
            manifest: o.str("manifest")?,
            period: o.str("period")?,
            received_at: o.int("received_at")?,
        };
        o.finish()?;
        Ok(c)
    }

    #[test]
    fn receipt_key_reads_as_before() {
        for env in ["dev", "prod", "test"] {
            let doc = format!(
                r#"{{"v":1,"type":"receipt_key","key":{JWK},"environment":"{env}","issued_by":"r","issued_at":10,"valid_until":20}}"#
            );
            assert!(same(&doc, ReceiptKeyClaims::from_json, old_receipt_key) > 300);
        }
        // Faults inside the certified key too.
        let doc = r#"{"v":1,"type":"receipt_key","key":{"kty":1,"crv":"P-256","zz":"A"},"environment":"nope","issued_by":"r","issued_at":10,"valid_until":20}"#;
        let v = parse(doc.as_bytes()).unwrap();
        let (n, o) = (ReceiptKeyClaims::from_json(&v), old_receipt_key(&v));
        assert!(n.is_err());
        assert_eq!(n, o, "{doc}");
    }

    #[test]
    fn receipt_reads_as_before() {
        let doc = r#"{"v":1,"type":"receipt","org_id":"o","manifest":"m","period":"2026-01","received_at":9}"#;
        assert!(same(doc, ReceiptClaims::from_json, old_receipt) > 250);
    }
}
