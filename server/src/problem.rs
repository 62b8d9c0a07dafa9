//! Errors as `application/problem+json` (RFC 9457): one [`Problem`] type with a stable `type`
//! URI per failure, carrying core's stable error code and name for license errors.
//!
//! Every handler returns `Result<_, Problem>`; request bodies go through [`ApiJson`], which turns
//! malformed JSON, wrong types and oversized bodies into 4xx problems before anything is written.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

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

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 403: the credentials do not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 503: the database stayed busy through every retry.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-busy",
            "Database busy",
            "the database stayed busy; retry shortly",
        )
    }

    /// 500: an unexpected failure (details are logged, not shown).
    pub fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {what}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "an internal error occurred; see the server log",
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

impl From<hwf_license::Error> for Problem {
    fn from(e: hwf_license::Error) -> Self {
        Self::license(&e)
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_busy(&e) {
            Self::busy()
        } else {
            Self::internal(format_args!("database: {e}"))
        }
    }
}

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
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        res
    }
}

/// A JSON request body whose rejections are problems: 415 without a JSON content type, 413 over
/// the body limit, 400 for malformed JSON, 422 for wrong types or unknown members.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> Problem {
    let detail = r.body_text();
    let status = r.status();
    match r {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "expected Content-Type: application/json",
        ),
        JsonRejection::JsonDataError(_) => Problem::invalid(detail),
        JsonRejection::JsonSyntaxError(_) => Problem::bad_request(detail),
        JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Body too large",
                "the request body exceeds the limit",
            )
        }
        _ => Problem::bad_request(detail),
    }
}

/// A path or query string that does not parse is a 400 problem.
pub fn bad_params(detail: impl Into<String>) -> Problem {
    Problem::bad_request(detail)
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
