//! The server's own JSON forms of values that core also has. Core reads its signed documents
//! with its own strict parser; what callers send and what the database holds is read into these
//! types, and converted to core's types only to sign or check.

use serde::{Deserialize, Serialize};

/// `dev` or `prod` (core's `Environment`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Environment)]
pub enum EnvironmentName {
    /// Development keys and documents.
    Dev,
    /// Production.
    #[default]
    Prod,
}

impl From<EnvironmentName> for hwf_license::Environment {
    fn from(e: EnvironmentName) -> Self {
        match e {
            EnvironmentName::Dev => Self::Dev,
            EnvironmentName::Prod => Self::Prod,
        }
    }
}

impl From<hwf_license::Environment> for EnvironmentName {
    fn from(e: hwf_license::Environment) -> Self {
        match e {
            hwf_license::Environment::Dev => Self::Dev,
            hwf_license::Environment::Prod => Self::Prod,
        }
    }
}

impl std::fmt::Display for EnvironmentName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(hwf_license::Environment::from(*self).as_str())
    }
}

/// A site license's node binding (core's `Fingerprint`); each member is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Fingerprint)]
pub struct SiteFingerprint {
    /// IP address or CIDR network (v4 or v6) the node must have an address in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// DNS suffix the node's name must be within.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_suffix: Option<String>,
    /// Deployment tag the node must carry exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_tag: Option<String>,
}

impl From<SiteFingerprint> for hwf_license::Fingerprint {
    fn from(f: SiteFingerprint) -> Self {
        Self {
            address: f.address,
            dns_suffix: f.dns_suffix,
            deployment_tag: f.deployment_tag,
        }
    }
}

impl SiteFingerprint {
    /// Whether no member is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Active sites of one product and tier (core's `ProductTierCount`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProductTierCount)]
pub struct TierCount {
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Active sites with this product and tier.
    pub count: u32,
}
