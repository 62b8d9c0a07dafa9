//! Sign-in, users and the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{created, AccountsState, ApiResult};
use crate::http::extract::{AdminOnly, ApiJson, ApiQuery, Auth, Peer};
use crate::http::problem::Problem;
use crate::http::wire::{CreatedUser, Health, Login, NewUser, Page};
use crate::service::accounts::{LoginAnswer, UserInfo};
use crate::service::audit::AuditPage;

#[utoipa::path(
    get, path = "/api/health", tag = "operations",
    description = "Liveness with a database round trip (kept for existing clients; see /healthz and /readyz).",
    responses((status = 200, description = "Up", body = Health)),
)]
pub(crate) async fn health(State(s): State<AccountsState>) -> ApiResult {
    s.health.ping().await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
    .into_response())
}

#[utoipa::path(
    post, path = "/api/auth/login", tag = "account",
    description = "Signs in; the token is sent as `Authorization: Bearer <token>`. Rate-limited per client IP.",
    request_body = Login,
    responses((status = 200, description = "Signed in", body = LoginAnswer),
        (status = 401, description = "Wrong user name or password", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn login(
    State(s): State<AccountsState>,
    Peer(origin): Peer,
    ApiJson(l): ApiJson<Login>,
) -> ApiResult {
    let answer = s.accounts.login(&l.username, &l.password, &origin).await?;
    Ok(Json(answer).into_response())
}

#[utoipa::path(
    get, path = "/api/users", tag = "account", security(("bearer" = [])),
    description = "Every user. Role: admin.",
    responses((status = 200, description = "The users", body = Vec<UserInfo>)),
)]
pub(crate) async fn list_users(_: Auth<AdminOnly>, State(s): State<AccountsState>) -> ApiResult {
    Ok(Json(s.accounts.list_users().await?).into_response())
}

#[utoipa::path(
    post, path = "/api/users", tag = "account", security(("bearer" = [])),
    description = "Adds a user. Role: admin.",
    request_body = NewUser,
    responses((status = 201, description = "Created", body = CreatedUser),
        (status = 409, description = "`user-exists`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn create_user(
    a: Auth<AdminOnly>,
    State(s): State<AccountsState>,
    ApiJson(u): ApiJson<NewUser>,
) -> ApiResult {
    s.accounts
        .create_user(&a.actor(), &u.username, &u.password, u.role)
        .await?;
    Ok(created(CreatedUser {
        username: u.username,
        role: u.role,
    }))
}

#[utoipa::path(
    delete, path = "/api/users/{username}", tag = "account", security(("bearer" = [])),
    description = "Deletes a user; their tokens stop working. Role: admin.",
    params(("username" = String, Path, description = "User name")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cannot-delete-self`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn delete_user(
    a: Auth<AdminOnly>,
    State(s): State<AccountsState>,
    Path(username): Path<String>,
) -> ApiResult {
    s.accounts.delete_user(&a.actor(), &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/api/audit", tag = "account", security(("bearer" = [])),
    description = "The audit log, newest first. Role: admin.",
    params(Page),
    responses((status = 200, description = "A page of entries", body = AuditPage)),
)]
pub(crate) async fn audit_log(
    _: Auth<AdminOnly>,
    State(s): State<AccountsState>,
    ApiQuery(p): ApiQuery<Page>,
) -> Result<Response, Problem> {
    let page = s
        .accounts
        .audit_page(p.limit.unwrap_or(100), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(page).into_response())
}
