//! The exported records and enums, and their translation from core's types. Times are unix seconds
//! (`i64`), exactly as core reports them; each language's wrapper turns them into its own date type.

use hwf_license as core;

use crate::error::{guard, LicenseError};

/// The environment of a key, a document or a validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Environment {
    /// Development and testing.
    Dev,
    /// Production.
    Prod,
}

impl From<Environment> for core::Environment {
    fn from(e: Environment) -> Self {
        match e {
            Environment::Dev => Self::Dev,
            Environment::Prod => Self::Prod,
        }
    }
}

impl From<core::Environment> for Environment {
    fn from(e: core::Environment) -> Self {
        match e {
            core::Environment::Dev => Self::Dev,
            core::Environment::Prod => Self::Prod,
        }
    }
}

/// Whether a usable license is within its validity or running on its grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Status {
    /// Within its validity.
    Valid,
    /// Past its effective expiry but within the grace period: usable, with a warning.
    Grace,
}

impl From<core::Status> for Status {
    fn from(s: core::Status) -> Self {
        match s {
            core::Status::Valid => Self::Valid,
            core::Status::Grace => Self::Grace,
        }
    }
}

/// A root public key to trust: the `kid` CMLs announce, the environment it signs for, and the
/// key itself as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or JWK JSON text.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TrustedRootKey {
    /// The key id.
    pub kid: String,
    /// The environment this key signs for.
    pub environment: Environment,
    /// SPKI PEM or JWK JSON text of the P-256 public key.
    pub key: String,
}

impl TrustedRootKey {
    pub(crate) fn to_core(&self) -> Result<core::TrustedRoot, LicenseError> {
        let key = core::PublicKey::from_pem_or_jwk(&self.key)?;
        Ok(core::TrustedRoot::new(
            self.kid.clone(),
            self.environment.into(),
            key,
        ))
    }
}

/// What the node observes about itself (IP addresses, DNS name, deployment tag), checked
/// against the license's fingerprint. Built once (addresses are parsed here) and reused.
#[derive(Debug, Default, uniffi::Object)]
pub struct NodeFacts {
    facts: core::NodeFacts,
}

impl NodeFacts {
    pub(crate) fn facts(&self) -> &core::NodeFacts {
        &self.facts
    }
}

#[uniffi::export]
impl NodeFacts {
    /// Facts from the node's IP addresses (IPv4 or IPv6 text), DNS name and deployment tag; an
    /// address that does not parse fails with `invalid_argument`.
    #[uniffi::constructor]
    pub fn new(
        addresses: Vec<String>,
        dns_name: Option<String>,
        deployment_tag: Option<String>,
    ) -> Result<Self, LicenseError> {
        guard(|| {
            let facts = core::NodeFacts::from_strs(
                addresses.iter().map(String::as_str),
                dns_name.as_deref(),
                deployment_tag.as_deref(),
            )?;
            Ok(Self { facts })
        })
    }

    /// No facts at all: enough for a license without a fingerprint.
    #[uniffi::constructor]
    pub fn none() -> Self {
        Self::default()
    }

    /// The addresses, in canonical text form.
    pub fn addresses(&self) -> Vec<String> {
        self.facts.addresses.iter().map(|a| a.to_string()).collect()
    }

    /// The DNS name, if any.
    pub fn dns_name(&self) -> Option<String> {
        self.facts.dns_name.clone()
    }

    /// The deployment tag, if any.
    pub fn deployment_tag(&self) -> Option<String> {
        self.facts.deployment_tag.clone()
    }
}

/// A warning attached to a usable license.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Warning {
    /// The stable name: `in_grace` or `expires_soon`.
    pub name: String,
    /// Core's one-line English message.
    pub message: String,
    /// Whole days left (rounded up): until the end of grace for `in_grace`, until expiry for
    /// `expires_soon`.
    pub days_left: Option<u32>,
}

impl From<&core::Warning> for Warning {
    fn from(w: &core::Warning) -> Self {
        let days_left = match w {
            core::Warning::InGrace { days_left, .. }
            | core::Warning::ExpiresSoon { days_left, .. } => Some(*days_left),
            _ => None,
        };
        Self {
            name: w.name().into(),
            message: w.to_string(),
            days_left,
        }
    }
}

/// What a site license binds the node to (core's `Fingerprint`): each field, when set, is
/// checked against the node's facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct Fingerprint {
    /// IP address or CIDR network (v4 or v6) the node must have an address in.
    pub address: Option<String>,
    /// DNS suffix the node's name must be within.
    pub dns_suffix: Option<String>,
    /// Deployment tag the node must carry exactly.
    pub deployment_tag: Option<String>,
}

impl From<core::Fingerprint> for Fingerprint {
    fn from(f: core::Fingerprint) -> Self {
        Self {
            address: f.address,
            dns_suffix: f.dns_suffix,
            deployment_tag: f.deployment_tag,
        }
    }
}

/// What a usable license allows.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Verdict {
    /// Valid or in grace.
    pub status: Status,
    /// The site.
    pub site_id: String,
    /// The organisation.
    pub org_id: String,
    /// The site license id.
    pub license_id: String,
    /// The CML's license id.
    pub cml_license_id: String,
    /// The CML's document id (hex SHA-256).
    pub cml_id: String,
    /// The site license's document id (hex SHA-256 of its signing input).
    pub site_document_id: String,
    /// The environment of the chain.
    pub environment: Environment,
    /// Product (usage statistics).
    pub product: String,
    /// Tier (usage statistics).
    pub tier: String,
    /// Enabled features, in license order.
    pub features: Vec<String>,
    /// When the site license was issued (unix seconds).
    pub issued_at: i64,
    /// Effective expiry: the earlier of the site license's and the CML's (unix seconds).
    pub expires_at: i64,
    /// The site license's own `expires_at` (unix seconds).
    pub site_expires_at: i64,
    /// The CML's `valid_until` (unix seconds).
    pub cml_valid_until: i64,
    /// The CML's `max_sites` (enforced by the Hub; shown to the operator).
    pub max_sites: u32,
    /// The CML's feature packs (what the org may grant), in CML order.
    pub feature_packs: Vec<String>,
    /// The CML's `max_offline_days`, if it sets one.
    pub max_offline_days: Option<u32>,
    /// What the site license binds the node to.
    pub fingerprint: Fingerprint,
    /// End of the grace period (unix seconds).
    pub grace_end: i64,
    /// Whole days of grace left (rounded up) when in grace.
    pub grace_days_left: Option<u32>,
    /// Warnings to show the operator.
    pub warnings: Vec<Warning>,
}

impl From<core::Verdict> for Verdict {
    fn from(v: core::Verdict) -> Self {
        Self {
            status: v.status.into(),
            warnings: v.warnings.iter().map(Warning::from).collect(),
            site_id: v.site_id,
            org_id: v.org_id,
            license_id: v.license_id,
            cml_license_id: v.cml_license_id,
            cml_id: v.cml_id,
            site_document_id: v.site_document_id,
            environment: v.environment.into(),
            product: v.product,
            tier: v.tier,
            features: v.features,
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            site_expires_at: v.site_expires_at,
            cml_valid_until: v.cml_valid_until,
            max_sites: v.max_sites,
            feature_packs: v.feature_packs,
            max_offline_days: v.max_offline_days,
            fingerprint: v.fingerprint.into(),
            grace_end: v.grace_end,
            grace_days_left: v.grace_days_left,
        }
    }
}

/// The answer of a verified heartbeat (whose revocation list has been applied).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HeartbeatInfo {
    /// The site's status at the Hub (`active` or `revoked`).
    pub status: String,
    /// The Hub's clock (unix seconds).
    pub server_time: i64,
    /// Sequence number of the revocation list now applied.
    pub revocation_seq: u64,
    /// Whether this site license is revoked by that list.
    pub revoked: bool,
}

impl From<core::HeartbeatInfo> for HeartbeatInfo {
    fn from(h: core::HeartbeatInfo) -> Self {
        Self {
            status: h.status,
            server_time: h.server_time,
            revocation_seq: h.revocation_seq,
            revoked: h.revoked,
        }
    }
}

/// A verified Customer Master License.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Cml {
    /// The document id (hex SHA-256 of the signing input): what site licenses bind to.
    pub id: String,
    /// Unique license id.
    pub license_id: String,
    /// The organisation.
    pub org_id: String,
    /// How many site licenses the org may have active at once.
    pub max_sites: u32,
    /// Issuance (unix seconds).
    pub issued_at: i64,
    /// End of validity before grace (unix seconds).
    pub valid_until: i64,
    /// Feature packs the org may grant to its sites.
    pub feature_packs: Vec<String>,
    /// The environment (equals the signing root's).
    pub environment: Environment,
    /// The `kid` of the root key that signed it.
    pub issued_by: String,
    /// The RFC 7638 thumbprint of the org key: the `kid` of every org-signed document.
    pub org_key_thumbprint: String,
    /// Grace period in days after expiry.
    pub grace_days: u32,
    /// Most days a node may go without a signed time from the Hub (CML v2), if set.
    pub max_offline_days: Option<u32>,
}

impl From<&core::VerifiedCml> for Cml {
    fn from(c: &core::VerifiedCml) -> Self {
        let claims = &c.claims;
        Self {
            id: c.id.clone(),
            license_id: claims.license_id.clone(),
            org_id: claims.org_id.clone(),
            max_sites: claims.max_sites,
            issued_at: claims.issued_at,
            valid_until: claims.valid_until,
            feature_packs: claims.feature_packs.clone(),
            environment: claims.key_type.into(),
            issued_by: claims.issued_by.clone(),
            org_key_thumbprint: c.org_key.thumbprint().into(),
            grace_days: claims.grace_days,
            max_offline_days: claims.max_offline_days,
        }
    }
}

/// Where a CML stands at a time (core's `CmlStanding`, the Hub's and the Root's view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Standing {
    /// Before `valid_until`, more than 30 days left.
    Valid,
    /// Before `valid_until`, at most 30 days left.
    Expiring,
    /// Past `valid_until`, within the grace period: its site licenses still work.
    Grace,
    /// Past the end of grace.
    Expired,
}

/// A CML's standing at a time, with the days that go with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CmlStanding {
    /// Valid, expiring, in grace or expired.
    pub standing: Standing,
    /// Whole days (rounded up) until `valid_until` (valid, expiring) or the end of grace
    /// (grace); `None` when expired.
    pub days_left: Option<u32>,
    /// Whole days (rounded down) since the end of grace, when expired.
    pub days_ago: Option<u32>,
    /// Whether its site licenses are still usable (all but expired).
    pub usable: bool,
}

impl From<core::CmlStanding> for CmlStanding {
    fn from(s: core::CmlStanding) -> Self {
        let (standing, days_ago) = match s {
            core::CmlStanding::Valid { .. } => (Standing::Valid, None),
            core::CmlStanding::Expiring { .. } => (Standing::Expiring, None),
            core::CmlStanding::Grace { .. } => (Standing::Grace, None),
            core::CmlStanding::Expired { days_ago } => (Standing::Expired, Some(days_ago)),
        };
        Self {
            standing,
            days_left: s.days_left(),
            days_ago,
            usable: s.usable(),
        }
    }
}

/// The bounds of a month a usage manifest may cover: `[start, end)` in unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PeriodBounds {
    /// The first second of the month (UTC).
    pub start: i64,
    /// The first second of the next month.
    pub end: i64,
}

/// Active sites counted per product and tier.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ProductTierCount {
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Active sites with this product and tier.
    pub count: u32,
}

/// Usage statistics of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
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
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ManifestSite {
    /// The site.
    pub site_id: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// When its license was issued (unix seconds).
    pub issued_at: i64,
    /// When the node was last seen (unix seconds), if ever.
    pub last_seen: Option<i64>,
    /// `active` or `revoked`.
    pub status: String,
}

/// A Root's manifest receipt verified with its receipt key certificate.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Receipt {
    /// The receipt's document id.
    pub id: String,
    /// The org the receipted manifest is from.
    pub org_id: String,
    /// The receipted manifest's document id.
    pub manifest: String,
    /// The manifest's period, `YYYY-MM`.
    pub period: String,
    /// When the Root first recorded the manifest (unix seconds).
    pub received_at: i64,
    /// The receipt key certificate's document id.
    pub certificate_id: String,
    /// The RFC 7638 thumbprint of the receipt key (the receipt's `kid`).
    pub receipt_key_thumbprint: String,
    /// When the receipt key certificate ends (unix seconds).
    pub certificate_valid_until: i64,
}

impl From<core::VerifiedReceipt> for Receipt {
    fn from(r: core::VerifiedReceipt) -> Self {
        Self {
            receipt_key_thumbprint: r.certificate.key.thumbprint().into(),
            certificate_id: r.certificate.id,
            certificate_valid_until: r.certificate.claims.valid_until,
            id: r.id,
            org_id: r.claims.org_id,
            manifest: r.claims.manifest,
            period: r.claims.period,
            received_at: r.claims.received_at,
        }
    }
}

/// A verified monthly usage manifest.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Manifest {
    /// The document id (hex SHA-256 of the signing input).
    pub id: String,
    /// The organisation.
    pub org_id: String,
    /// The CML binding (document id of the CML).
    pub cml: String,
    /// The month reported, `YYYY-MM`.
    pub period: String,
    /// Generation time (unix seconds).
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

impl From<core::Verified<core::ManifestClaims>> for Manifest {
    fn from(m: core::Verified<core::ManifestClaims>) -> Self {
        let c = m.claims;
        Self {
            id: m.id,
            org_id: c.org_id,
            cml: c.cml,
            period: c.period,
            generated_at: c.generated_at,
            stats: ManifestStats {
                admin_users: c.stats.admin_users,
                total_users: c.stats.total_users,
                sites_by_product_tier: c
                    .stats
                    .sites_by_product_tier
                    .into_iter()
                    .map(|p| ProductTierCount {
                        product: p.product,
                        tier: p.tier,
                        count: p.count,
                    })
                    .collect(),
                total_active_sites: c.stats.total_active_sites,
            },
            sites: c
                .sites
                .into_iter()
                .map(|s| ManifestSite {
                    site_id: s.site_id,
                    product: s.product,
                    tier: s.tier,
                    issued_at: s.issued_at,
                    last_seen: s.last_seen,
                    status: s.status,
                })
                .collect(),
            ledger_head: c.ledger_head,
            ledger_length: c.ledger_length,
        }
    }
}

/// The result of verifying a whole usage ledger.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LedgerSummary {
    /// Number of entries.
    pub length: u64,
    /// Document id of the last entry (64 zeros when empty).
    pub head: String,
}

impl From<core::LedgerSummary> for LedgerSummary {
    fn from(l: core::LedgerSummary) -> Self {
        Self {
            length: l.length,
            head: l.head,
        }
    }
}
