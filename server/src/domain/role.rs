//! Roles: ordered, each including the rights of the ones below it.

use serde::{Deserialize, Serialize};

use super::RuleError;

/// A user's role. Each role includes the rights of the roles below it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only.
    Viewer,
    /// Site licenses.
    Operator,
    /// CML, manifests, users, audit log.
    Admin,
}

impl Role {
    /// `"admin"`, `"operator"` or `"viewer"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            "admin" => Ok(Self::Admin),
            _ => Err(RuleError::invalid(
                "role must be \"admin\", \"operator\" or \"viewer\"",
            )),
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn includes(self, needed: Role) -> bool {
        self >= needed
    }
}

/// Whose accounts: the Root's or a Hub's. The two are separate even in one process
/// (`--role both`): an account, its token and its audit entries belong to one realm, and a
/// route of one realm refuses the other's tokens.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Realm {
    /// A Hub's accounts (sites, CML upload, manifests).
    Hub,
    /// The Root's accounts (CML issuance, compliance of every org).
    Root,
}

impl Realm {
    /// `"hub"` or `"root"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hub => "hub",
            Self::Root => "root",
        }
    }

    /// Parses a realm name.
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        match s {
            "hub" => Ok(Self::Hub),
            "root" => Ok(Self::Root),
            _ => Err(RuleError::invalid("realm must be \"hub\" or \"root\"")),
        }
    }
}
