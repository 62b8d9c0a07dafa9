//! What a use case can answer instead of its result. The HTTP layer maps each variant to a
//! status and a problem type; the CLI prints it. Nothing here knows HTTP.

use crate::domain::RuleError;
use crate::store::{Retry, StoreError};

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A value is invalid (malformed or out of bounds).
    #[error("{0}")]
    Invalid(String),
    /// The configuration does not allow starting (master secret, database URL).
    #[error("{0}")]
    Config(String),
    /// Core refused a document or a request (its stable code tells which rule).
    #[error(transparent)]
    License(#[from] hwf_license::Error),
    /// A manifest period that does not qualify (core's rule, `check_manifest_period`).
    #[error("period {period}: {why}")]
    ManifestPeriod {
        /// The period.
        period: String,
        /// Why, in core's words.
        why: &'static str,
    },
    /// No CML is installed.
    #[error("upload a CML first")]
    NoCml,
    /// The CML to install has ended.
    #[error("the CML expired at {}", hwf_license::time::Utc(*.valid_until))]
    CmlExpired {
        /// Its end of validity.
        valid_until: i64,
    },
    /// The installed CML has ended: no site can be minted under it.
    #[error("the CML has expired; refresh it first")]
    CmlEnded,
    /// A CML for another org than the installed one.
    #[error("the installed CML is for org {installed:?}, this one for {offered:?}")]
    CmlOrgChanged {
        /// The installed CML's org.
        installed: String,
        /// The new CML's org.
        offered: String,
    },
    /// A refresh older than the installed CML.
    #[error("the new CML was issued before the installed one")]
    CmlOlder,
    /// The site id is taken.
    #[error("site {site_id:?} already exists ({status})")]
    SiteExists {
        /// The site.
        site_id: String,
        /// Its status.
        status: String,
    },
    /// The CML's site limit is reached.
    #[error("the CML allows {max_sites} active sites and {active} are active")]
    MaxSitesReached {
        /// The limit.
        max_sites: u32,
        /// Active sites.
        active: i64,
    },
    /// No such site.
    #[error("no site {0:?}")]
    UnknownSite(String),
    /// The site is revoked already.
    #[error("site {0:?} is already revoked")]
    SiteRevoked(String),
    /// A manifest posted to the Root that does not verify up to its signature under any CML
    /// issued to the org it names, or that names an org the Root does not know: one answer for
    /// both, so org ids cannot be enumerated.
    #[error("the manifest does not verify under a CML issued to this org")]
    ManifestUnverified,
    /// A Root's answer to a manifest whose receipt does not verify (chain to a trusted root,
    /// org, manifest id): the manifest stays `pending`.
    #[error("the Root's receipt does not verify: {0}")]
    ReceiptInvalid(String),
    /// A heartbeat naming another license id than the site's.
    #[error("the license id is not this site's license")]
    LicenseMismatch,
    /// A node that cannot read the installed CML's format version.
    #[error("this Hub's CML is format version {cml_version}, which the node does not read")]
    UpgradeRequired {
        /// The CML's payload version.
        cml_version: u32,
    },
    /// No such org at this Root.
    #[error("this Root issued no CML to org {0:?}")]
    UnknownOrg(String),
    /// Something else named does not exist (a manifest, a user, an org's CML).
    #[error("{0}")]
    NotFound(String),
    /// The Hub has no Root URL to send to.
    #[error("set --root-url (HWF_ROOT_URL) to send manifests")]
    NoRootUrl,
    /// The Root has no key for the environment.
    #[error("no root key for {0}")]
    NoRootKey(hwf_license::Environment),
    /// A manifest delivery that did not get through (`rejected`: the Root refused it with a
    /// 4xx; else it could not be reached or answered 5xx/429).
    #[error("after {attempts} attempt(s): {error}")]
    Delivery {
        /// Refused by the Root (not retried).
        rejected: bool,
        /// Attempts recorded in all.
        attempts: i64,
        /// The last error.
        error: String,
    },
    /// The user name is taken.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// An admin deleting their own account.
    #[error("an admin cannot delete their own account; sign in as another admin")]
    CannotDeleteSelf,
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failed sign-ins on this account: wait before the next attempt.
    #[error("too many failed sign-ins on this account; retry in {retry_after} s")]
    LoginThrottled {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The account is locked after repeated failed sign-ins (an admin can unlock it).
    #[error("the account is locked after repeated failed sign-ins; ask an admin to unlock it or retry in {retry_after} s")]
    AccountLocked {
        /// Seconds until the lock ends by itself.
        retry_after: i64,
    },
    /// The password is right; the account needs its second factor (`code`).
    #[error("this account has a second factor: send `code` (TOTP or recovery code)")]
    MfaRequired,
    /// An admin action without a second factor checked within the step-up window.
    #[error("this action needs a second factor within the last {window_minutes} minutes: POST /api/auth/step-up with a code, then retry with the new token")]
    StepUpRequired {
        /// The window.
        window_minutes: i64,
    },
    /// An admin account without a second factor may only enrol one.
    #[error("enrol a second factor first: POST /api/auth/totp/enrol, then /api/auth/totp/confirm")]
    EnrolmentRequired,
    /// Valid credentials of a role that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A sealed key that does not open with this master secret.
    #[error("the key {0:?} does not open with this master secret")]
    SealedKey(String),
    /// The database stayed busy through every retry of the transaction.
    #[error("the database stayed busy; retry shortly")]
    Busy,
    /// Every verification worker is busy and the queue is full ([`super::cpu::CpuPool`]).
    #[error("the server is verifying as much as it can; retry shortly")]
    Overloaded,
    /// Storage failed otherwise (the cause is for the log only).
    #[error(transparent)]
    Store(StoreError),
    /// Anything else (the cause is for the log only).
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// An [`ServiceError::Internal`] from anything displayable.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::Internal(what.to_string())
    }
}

/// Core's manifest-period rule for `period` under `cml` at `now`: the month's bounds, or
/// [`ServiceError::Invalid`] (not `YYYY-MM`) / [`ServiceError::ManifestPeriod`] (core's reason).
pub(crate) fn manifest_period(
    cml: &hwf_license::CmlClaims,
    period: &str,
    now: i64,
) -> Result<(i64, i64), ServiceError> {
    crate::domain::period::bounds(period)?;
    hwf_license::check_manifest_period(cml, period, now).map_err(|e| match e {
        hwf_license::Error::ManifestInvalid(why) => ServiceError::ManifestPeriod {
            period: period.into(),
            why,
        },
        other => other.into(),
    })
}

impl Retry for ServiceError {
    fn is_busy(&self) -> bool {
        matches!(self, Self::Busy)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => Self::Busy,
            StoreError::BadUrl => Self::Config(e.to_string()),
            other => Self::Store(other),
        }
    }
}

impl From<RuleError> for ServiceError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Invalid(m) => Self::Invalid(m),
        }
    }
}
