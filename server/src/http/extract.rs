//! Extractors: JSON bodies and query strings whose rejections are problems, the caller's
//! origin (peer address, user agent), and [`Auth`], which checks a bearer token, its realm, a
//! minimum role and, for admin actions, a recent second factor before the handler reads the
//! body.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::domain::{Realm, Role};
use crate::service::accounts::{Accounts, Caller, Scope};
use crate::service::audit::{Actor, Origin};
use crate::service::ServiceError;

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

/// A query string whose rejection is a 400 problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|e: QueryRejection| Problem::bad_request(e.body_text()))
    }
}

/// The client address ([`super::middleware::ClientIp`]) and user agent of a request (for the
/// audit log).
#[derive(Clone, Debug, Default)]
pub struct Peer(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = match parts.extensions.get::<super::middleware::ClientIp>() {
            Some(c) => Some(c.0.to_string()),
            None => parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        Ok(Self(Origin { ip, user_agent }))
    }
}

/// What a route needs of its caller, as a type for the [`Auth`] extractor: a minimum role,
/// and for admin actions a recent second factor (step-up).
pub trait MinRole {
    /// The least role allowed.
    const ROLE: Role;
    /// Whether a second factor must have been checked within the step-up window.
    const STEP_UP: bool = false;
    /// Whether a token that may only enrol a second factor is enough.
    const ENROL_OK: bool = false;
}

/// Marker: any signed-in user.
#[derive(Debug)]
pub struct AnyUser;
/// Marker: operator or admin.
#[derive(Debug)]
pub struct OperatorUp;
/// Marker: admin only (reads).
#[derive(Debug)]
pub struct AdminOnly;
/// Marker: an admin action: admin with a second factor within the step-up window.
#[derive(Debug)]
pub struct AdminStepUp;
/// Marker: any signed-in user, also with a token that may only enrol (enrolment, sign-out).
#[derive(Debug)]
pub struct Enrolling;

impl MinRole for AnyUser {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for OperatorUp {
    const ROLE: Role = Role::Operator;
}
impl MinRole for AdminOnly {
    const ROLE: Role = Role::Admin;
}
impl MinRole for AdminStepUp {
    const ROLE: Role = Role::Admin;
    const STEP_UP: bool = true;
}
impl MinRole for Enrolling {
    const ROLE: Role = Role::Viewer;
    const ENROL_OK: bool = true;
}

/// The realm whose accounts a router state's routes serve: the Root's routes take Root tokens,
/// the Hub's Hub tokens, the account and operations routes the token's own realm.
pub trait RouteRealm {
    /// The realm, or `None` for "the token's own".
    fn route_realm(&self) -> Option<Realm>;
}

/// Who made a request: the verified token's user, current role and realm, and where from.
/// Extracting `Auth<R>` answers 401 without a valid token, 403 for a token of another realm,
/// below role `R::ROLE`, that may only enrol (`mfa-enrolment-required`), or without a recent
/// second factor where `R::STEP_UP` (`step-up-required`), all before the body is read.
#[derive(Debug)]
pub struct Auth<R> {
    /// The user.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// The user's realm.
    pub realm: Realm,
    /// The verified caller.
    pub caller: Caller,
    /// Where the request came from.
    pub origin: Origin,
    _min: PhantomData<R>,
}

impl<R> Auth<R> {
    /// The caller as the audit log names them.
    pub fn actor(&self) -> Actor {
        self.caller.actor(&self.origin)
    }
}

impl<S, R> FromRequestParts<S> for Auth<R>
where
    S: Send + Sync + RouteRealm,
    Arc<Accounts>: FromRef<S>,
    R: MinRole,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let accounts = Arc::<Accounts>::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ServiceError::Unauthorized("missing bearer token".into()))?;
        let caller = accounts
            .authenticate(token.trim(), state.route_realm())
            .await?;
        if caller.scope == Scope::Enrol && !R::ENROL_OK {
            return Err(ServiceError::EnrolmentRequired.into());
        }
        if !caller.role.includes(R::ROLE) {
            return Err(ServiceError::Forbidden(format!(
                "role {} may not do this (needs {})",
                caller.role.as_str(),
                R::ROLE.as_str()
            ))
            .into());
        }
        if R::STEP_UP {
            accounts.require_step_up(&caller)?;
        }
        let Peer(origin) = Peer::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        Ok(Self {
            user: caller.user.clone(),
            role: caller.role,
            realm: caller.realm,
            caller,
            origin,
            _min: PhantomData,
        })
    }
}
