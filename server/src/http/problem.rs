//! Errors as `application/problem+json` (RFC 9457): one [`Problem`] per answer with a stable
//! `type` URI, carrying core's stable error code and name for license errors. Every service
//! error maps to its problem here, in one table ([`Problem::from`]): the only place that
//! decides status codes.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;

/// The prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "urn:hwf-license:problem:";

/// An RFC 9457 problem: what went wrong, with a stable `type` and an HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable problem type URI, e.g. `urn:hwf-license:problem:max-sites-reached`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, stable human summary of the type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Human explanation of this occurrence.
    pub detail: String,
    /// Core's stable numeric error code, for license errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// Core's stable error name (e.g. `bad_signature`), for license errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub error: Option<&'static str>,
    /// Seconds for the `Retry-After` header (not part of the body).
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of type `slug` (appended to [`TYPE_PREFIX`]).
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_PREFIX}{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            code: None,
            error: None,
            retry_after: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 422: the request is well-formed but a value is invalid.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
            detail,
        )
    }

    /// 404: the named thing does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, slug, title, detail)
    }

    /// 500: an unexpected failure (the cause is logged, not shown).
    pub fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {what}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "an internal error occurred; see the server log",
        )
    }

    /// 503 `database-busy`: the database stayed busy through every retry.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-busy",
            "Database busy",
            ServiceError::Busy.to_string(),
        )
    }

    /// A license error from core, as a 422 with core's stable code and name.
    pub fn license(e: &hwf_license::Error) -> Self {
        let code = e.code();
        Self {
            code: Some(code.code()),
            error: Some(code.name()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("license/{}", code.name().replace('_', "-")),
                "License check failed",
                e.to_string(),
            )
        }
    }

    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The slug after [`TYPE_PREFIX`].
    pub fn slug(&self) -> &str {
        self.kind.strip_prefix(TYPE_PREFIX).unwrap_or(&self.kind)
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        use StatusCode as S;
        let detail = e.to_string();
        let p = |status, slug, title| Problem::new(status, slug, title, detail.clone());
        match &e {
            E::Invalid(_) => Problem::invalid(detail),
            E::Config(_) => Problem::bad_request(detail),
            E::License(l) => Problem::license(l),
            E::ManifestPeriod { .. } => p(
                S::UNPROCESSABLE_ENTITY,
                "manifest-period",
                "Manifest period out of range",
            ),
            E::NoCml => p(S::CONFLICT, "no-cml", "No CML installed"),
            E::CmlExpired { .. } => p(S::UNPROCESSABLE_ENTITY, "cml-expired", "CML expired"),
            E::CmlEnded => p(S::CONFLICT, "cml-expired", "CML expired"),
            E::CmlOrgChanged { .. } => p(S::CONFLICT, "cml-org-changed", "CML for another org"),
            E::CmlOlder => p(S::CONFLICT, "cml-older", "Older CML"),
            E::SiteExists { .. } => p(S::CONFLICT, "site-exists", "Site exists"),
            E::MaxSitesReached { .. } => p(S::CONFLICT, "max-sites-reached", "Site limit reached"),
            E::UnknownSite(_) => p(S::NOT_FOUND, "unknown-site", "Unknown site"),
            E::SiteRevoked(_) => p(S::CONFLICT, "site-revoked", "Site already revoked"),
            E::LicenseMismatch => p(S::FORBIDDEN, "license-mismatch", "License mismatch"),
            E::UpgradeRequired { .. } => {
                p(S::UPGRADE_REQUIRED, "upgrade-required", "Upgrade required")
            }
            E::UnknownOrg(_) => p(S::NOT_FOUND, "unknown-org", "Unknown org"),
            E::ManifestUnverified => p(
                S::UNPROCESSABLE_ENTITY,
                "manifest-unverified",
                "Manifest does not verify for this org",
            ),
            E::ReceiptInvalid(_) => p(
                S::UNPROCESSABLE_ENTITY,
                "receipt-invalid",
                "Receipt does not verify",
            ),
            E::NotFound(_) => Problem::not_found(detail),
            E::NoRootUrl => p(S::CONFLICT, "no-root-url", "No Root endpoint"),
            E::NoRootKey(_) => p(S::CONFLICT, "no-root-key", "No root key"),
            E::Delivery { rejected: true, .. } => p(
                S::BAD_GATEWAY,
                "delivery-rejected",
                "Root rejected the manifest",
            ),
            E::Delivery { .. } => p(
                S::BAD_GATEWAY,
                "delivery-failed",
                "Manifest delivery failed",
            ),
            E::UserExists(_) => p(S::CONFLICT, "user-exists", "User exists"),
            E::CannotDeleteSelf => p(S::CONFLICT, "cannot-delete-self", "Cannot delete yourself"),
            E::LoginThrottled { retry_after } => Problem {
                retry_after: Some((*retry_after).max(1) as u64),
                ..p(S::TOO_MANY_REQUESTS, "login-throttled", "Sign-in throttled")
            },
            E::AccountLocked { retry_after } => Problem {
                retry_after: Some((*retry_after).max(1) as u64),
                ..p(S::LOCKED, "account-locked", "Account locked")
            },
            E::MfaRequired => p(S::UNAUTHORIZED, "mfa-required", "Second factor required"),
            E::StepUpRequired { .. } => p(S::FORBIDDEN, "step-up-required", "Step-up required"),
            E::EnrolmentRequired => p(
                S::FORBIDDEN,
                "mfa-enrolment-required",
                "Second factor enrolment required",
            ),
            E::Unauthorized(_) => p(S::UNAUTHORIZED, "unauthorized", "Authentication required"),
            E::Forbidden(_) => p(S::FORBIDDEN, "forbidden", "Forbidden"),
            E::SealedKey(_) => p(
                S::INTERNAL_SERVER_ERROR,
                "sealed-key",
                "Sealed key does not open",
            ),
            E::Busy => Problem::busy(),
            E::Overloaded => p(S::SERVICE_UNAVAILABLE, "overloaded", "Overloaded"),
            E::Store(_) | E::Internal(_) => Problem::internal(detail),
        }
    }
}

impl From<hwf_license::Error> for Problem {
    fn from(e: hwf_license::Error) -> Self {
        Self::license(&e)
    }
}

impl From<crate::domain::RuleError> for Problem {
    fn from(e: crate::domain::RuleError) -> Self {
        ServiceError::from(e).into()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)?;
        if let (Some(code), Some(name)) = (self.code, self.error) {
            write!(f, " [{code} {name}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        res
    }
}

/// Fallback for unknown routes.
pub async fn no_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no-route",
        "Not found",
        "no such endpoint",
    )
}

/// Fallback for a known route with another method.
pub async fn no_method() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not accept this method",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_error_has_its_status_and_type() {
        let cases: Vec<(ServiceError, u16, &str)> = vec![
            (ServiceError::NoCml, 409, "no-cml"),
            (ServiceError::CmlEnded, 409, "cml-expired"),
            (
                ServiceError::CmlExpired { valid_until: 0 },
                422,
                "cml-expired",
            ),
            (ServiceError::UnknownSite("x".into()), 404, "unknown-site"),
            (
                ServiceError::UpgradeRequired { cml_version: 2 },
                426,
                "upgrade-required",
            ),
            (ServiceError::Busy, 503, "database-busy"),
            (ServiceError::Overloaded, 503, "overloaded"),
            (
                ServiceError::LoginThrottled { retry_after: 4 },
                429,
                "login-throttled",
            ),
            (
                ServiceError::AccountLocked { retry_after: 60 },
                423,
                "account-locked",
            ),
            (ServiceError::MfaRequired, 401, "mfa-required"),
            (
                ServiceError::StepUpRequired { window_minutes: 15 },
                403,
                "step-up-required",
            ),
            (
                ServiceError::EnrolmentRequired,
                403,
                "mfa-enrolment-required",
            ),
            (ServiceError::Internal("boom".into()), 500, "internal"),
            (
                ServiceError::Delivery {
                    rejected: true,
                    attempts: 1,
                    error: "404".into(),
                },
                502,
                "delivery-rejected",
            ),
            (
                hwf_license::Error::ManifestInvalid("x").into(),
                422,
                "license/manifest-invalid",
            ),
        ];
        for (e, status, slug) in cases {
            let p = Problem::from(e);
            assert_eq!((p.status, p.slug()), (status, slug), "{p}");
        }
        let hidden = Problem::from(ServiceError::Internal("secret cause".into()));
        assert!(!hidden.detail.contains("secret"));
    }
}
