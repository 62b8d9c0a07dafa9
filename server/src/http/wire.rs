//! Bodies and queries that exist only on the wire: request bodies of one endpoint, query
//! strings, and answers that wrap a service result. Each converts to or from the service's
//! own types; core's types are never read from the wire (signed content is parsed by core).

use serde::{Deserialize, Serialize};

use crate::domain::{Realm, Role};
use crate::service::hub::{Facts, SiteQuery, SiteView};

/// `GET /api/health`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /readyz`'s answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
}

/// `POST /api/auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The account's realm: `hub` or `root` (default: the only realm served, else `hub`).
    pub realm: Option<Realm>,
    /// The second factor, for an account that has one: a 6-digit TOTP code or a recovery code.
    #[schema(max_length = 64)]
    pub code: Option<String>,
}

/// `POST /api/auth/step-up`, `POST /api/auth/totp/confirm`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// A 6-digit TOTP code (or, for a step-up, a recovery code).
    #[schema(max_length = 64)]
    pub code: String,
}

/// `POST /api/auth/password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new one: at least 12 characters.
    #[schema(min_length = 12)]
    pub new_password: String,
}

/// `POST /api/users/{username}/role`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// The new role.
    pub role: Role,
}

/// `POST /api/service-tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenBody {
    /// What it is for: 1..=64 characters of `A-Z a-z 0-9 . _ - @`.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    pub name: String,
    /// `viewer` or `operator` (never admin).
    pub role: Role,
    /// Days of validity, 1..=365.
    #[schema(minimum = 1, maximum = 365)]
    pub days: u32,
}

/// `POST /api/users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1..=64 characters of `A-Z a-z 0-9 . _ - @`.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    pub username: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
    /// Role.
    pub role: Role,
}

/// A created user.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedUser {
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
}

/// A page of a list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Page size (default 100; at most 1000 for the audit log, 500 for the ledger).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Entries to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// `POST /api/cml/upload`, `POST /api/cml/refresh`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CmlBody {
    /// The CML (compact JWS).
    pub cml: String,
}

/// Filter, order and page of `GET /api/sites`.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SitesQuery {
    /// `active` or `revoked`.
    #[param(pattern = "^(active|revoked)$")]
    pub status: Option<String>,
    /// Only this product.
    #[param(max_length = 128)]
    pub product: Option<String>,
    /// Only this tier.
    #[param(max_length = 128)]
    pub tier: Option<String>,
    /// Substring of site id, product, tier or fingerprint, ignoring ASCII case.
    #[param(max_length = 128)]
    pub search: Option<String>,
    /// Sort key (default `site_id`; ties are broken by site id).
    #[param(pattern = "^(site_id|created|expiry|last_seen)$")]
    pub sort: Option<String>,
    /// Direction (default `asc`; never-seen sites come last either way under `last_seen`).
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Page size (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Offset.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl From<SitesQuery> for SiteQuery {
    fn from(q: SitesQuery) -> Self {
        Self {
            status: q.status,
            product: q.product,
            tier: q.tier,
            search: q.search,
            sort: q.sort,
            order: q.order,
            limit: q.limit,
            offset: q.offset,
        }
    }
}

/// A minted site and its `site.lic`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedSite {
    /// The site.
    pub site: SiteView,
    /// The `site.lic` file's text (see [`SiteLicenseFile`]).
    pub license: String,
}

/// The `site.lic` file (`docs/FORMAT.md`): the CML and the site license, both compact JWS.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteLicenseFile {
    /// `hwf-site-license` (informative).
    pub format: Option<String>,
    /// The CML.
    pub cml: String,
    /// The site license.
    pub site: String,
}

/// `POST /api/validate`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The `site.lic` file's text.
    pub license: String,
    /// What the node observes about itself.
    #[serde(default)]
    pub facts: Facts,
}

/// A period query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// `YYYY-MM` (default: the current month).
    #[param(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
}

/// `POST /api/manifests/generate`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// `YYYY-MM` (default: the current month).
    #[schema(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
}

/// `POST /api/manifests/send`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// The manifest id (or give `period`).
    pub id: Option<String>,
    /// The manifest's period (or give `id`).
    #[schema(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
}

/// The ledger verifies.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerCheck {
    /// `true`.
    pub ok: bool,
    /// Entries.
    pub length: u64,
    /// The head entry's id.
    pub head: String,
}

/// A root public key.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RootKey {
    /// Key id.
    pub kid: String,
    /// `dev` or `prod`.
    pub environment: String,
    /// Whether new CMLs are signed with it.
    pub active: bool,
    /// SPKI PEM.
    pub public_key_pem: String,
}
