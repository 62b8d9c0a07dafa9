//! Sign-in and sign-out, passwords, second factors and step-up, users, service tokens and the
//! audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{created, AccountsState, ApiResult};
use crate::http::extract::{
    AdminOnly, AdminStepUp, AnyUser, ApiJson, ApiQuery, Auth, Enrolling, Peer,
};
use crate::http::problem::Problem;
use crate::http::wire::{
    CodeBody, CreatedUser, Health, Login, NewUser, Page, PasswordChange, RoleChange,
    ServiceTokenBody,
};
#[allow(unused_imports)] // named by the OpenAPI annotations
use crate::service::accounts::{
    Enrolled, Enrolment, LoginAnswer, NewServiceToken, ServiceTokenInfo, UserInfo,
};
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
    description = "Signs in to a realm (`hub` or `root`); the token is sent as `Authorization: Bearer <token>`. An account with a second factor also sends `code` (401 `mfa-required` without it). An admin without a second factor gets a token of scope `enrol`. Rate-limited per client IP; per account, 5 consecutive failures start a doubling wait (429 `login-throttled`) and 10 lock the account for an hour (423 `account-locked`).",
    request_body = Login,
    responses((status = 200, description = "Signed in", body = LoginAnswer),
        (status = 401, description = "`unauthorized` (wrong name, password or code) or `mfa-required`", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "`account-locked`, with `Retry-After`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn login(
    State(s): State<AccountsState>,
    Peer(origin): Peer,
    ApiJson(l): ApiJson<Login>,
) -> ApiResult {
    let answer = s
        .accounts
        .login(
            l.realm,
            &l.username,
            &l.password,
            l.code.as_deref(),
            &origin,
        )
        .await?;
    Ok(Json(answer).into_response())
}

#[utoipa::path(
    post, path = "/api/auth/logout", tag = "account", security(("bearer" = [])),
    description = "Signs out everywhere: every token of the caller stops working. Role: viewer (also with an enrol-only token).",
    responses((status = 204, description = "Signed out")),
)]
pub(crate) async fn logout(a: Auth<Enrolling>, State(s): State<AccountsState>) -> ApiResult {
    s.accounts.logout(&a.caller, &a.origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/auth/password", tag = "account", security(("bearer" = [])),
    description = "Changes the caller's password; every older token stops working and a new one is answered. Role: viewer (also with an enrol-only token).",
    request_body = PasswordChange,
    responses((status = 200, description = "Changed; the new token", body = LoginAnswer),
        (status = 423, description = "`account-locked` (failed attempts count like sign-ins), with `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`login-throttled`, with `Retry-After`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn change_password(
    a: Auth<Enrolling>,
    State(s): State<AccountsState>,
    ApiJson(b): ApiJson<PasswordChange>,
) -> ApiResult {
    let answer = s
        .accounts
        .change_password(&a.caller, &b.current_password, &b.new_password, &a.origin)
        .await?;
    Ok(Json(answer).into_response())
}

#[utoipa::path(
    post, path = "/api/auth/step-up", tag = "account", security(("bearer" = [])),
    description = "Checks a second factor (TOTP or recovery code) now and answers a token that allows admin actions for the step-up window (`HWF_STEP_UP_MINUTES`, default 15). A TOTP code is accepted once, for a time step later than the last one accepted. Role: viewer.",
    request_body = CodeBody,
    responses((status = 200, description = "The new token", body = LoginAnswer),
        (status = 423, description = "`account-locked` (failed attempts count like sign-ins), with `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`login-throttled`, with `Retry-After`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn step_up(
    a: Auth<AnyUser>,
    State(s): State<AccountsState>,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult {
    Ok(Json(s.accounts.step_up(&a.caller, &b.code, &a.origin).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/auth/totp/enrol", tag = "account", security(("bearer" = [])),
    description = "Starts enrolling a TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s): the secret, its otpauth URI and a QR code (SVG). Replacing an enrolled factor needs a step-up. Role: viewer (also with an enrol-only token).",
    responses((status = 200, description = "The new secret, to confirm", body = Enrolment)),
)]
pub(crate) async fn totp_enrol(a: Auth<Enrolling>, State(s): State<AccountsState>) -> ApiResult {
    Ok(Json(s.accounts.enrol_start(&a.caller).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/auth/totp/confirm", tag = "account", security(("bearer" = [])),
    description = "Confirms the enrolment with a code of the new secret: answers 10 one-time recovery codes (shown once) and a token with a fresh second factor; every older token stops working. Role: viewer (also with an enrol-only token).",
    request_body = CodeBody,
    responses((status = 200, description = "Enrolled", body = Enrolled)),
)]
pub(crate) async fn totp_confirm(
    a: Auth<Enrolling>,
    State(s): State<AccountsState>,
    ApiJson(b): ApiJson<CodeBody>,
) -> ApiResult {
    Ok(Json(
        s.accounts
            .enrol_confirm(&a.caller, &b.code, &a.origin)
            .await?,
    )
    .into_response())
}

#[utoipa::path(
    get, path = "/api/users", tag = "account", security(("bearer" = [])),
    description = "Every user of the caller's realm. Role: admin.",
    responses((status = 200, description = "The users", body = Vec<UserInfo>)),
)]
pub(crate) async fn list_users(a: Auth<AdminOnly>, State(s): State<AccountsState>) -> ApiResult {
    Ok(Json(s.accounts.list_users(a.realm).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/users", tag = "account", security(("bearer" = [])),
    description = "Adds a user to the caller's realm. Role: admin, with step-up.",
    request_body = NewUser,
    responses((status = 201, description = "Created", body = CreatedUser),
        (status = 409, description = "`user-exists`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn create_user(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    ApiJson(u): ApiJson<NewUser>,
) -> ApiResult {
    s.accounts
        .create_user(&a.actor(), a.realm, &u.username, &u.password, u.role)
        .await?;
    Ok(created(CreatedUser {
        username: u.username,
        role: u.role,
    }))
}

#[utoipa::path(
    delete, path = "/api/users/{username}", tag = "account", security(("bearer" = [])),
    description = "Deletes a user of the caller's realm; their tokens stop working (a new user of the same name gets new ones). Role: admin, with step-up.",
    params(("username" = String, Path, description = "User name")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cannot-delete-self`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn delete_user(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    Path(username): Path<String>,
) -> ApiResult {
    s.accounts
        .delete_user(&a.actor(), a.realm, &username)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/users/{username}/role", tag = "account", security(("bearer" = [])),
    description = "Changes a user's role (not the caller's own); their tokens stop working. Role: admin, with step-up.",
    params(("username" = String, Path, description = "User name")),
    request_body = RoleChange,
    responses((status = 204, description = "Changed"), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn set_role(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<RoleChange>,
) -> ApiResult {
    s.accounts
        .set_role(&a.actor(), a.realm, &username, b.role)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post, path = "/api/users/{username}/unlock", tag = "account", security(("bearer" = [])),
    description = "Unlocks a user locked after failed sign-ins (clears the counter). Role: admin, with step-up.",
    params(("username" = String, Path, description = "User name")),
    responses((status = 204, description = "Unlocked"), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn unlock_user(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    Path(username): Path<String>,
) -> ApiResult {
    s.accounts.unlock(&a.actor(), a.realm, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/api/service-tokens", tag = "account", security(("bearer" = [])),
    description = "The service tokens of the caller's realm (never their secrets). Role: admin.",
    responses((status = 200, description = "The tokens", body = Vec<ServiceTokenInfo>)),
)]
pub(crate) async fn service_tokens(
    a: Auth<AdminOnly>,
    State(s): State<AccountsState>,
) -> ApiResult {
    Ok(Json(s.accounts.service_tokens(a.realm).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/service-tokens", tag = "account", security(("bearer" = [])),
    description = "Creates a service token for a scripted client: role `viewer` or `operator` (never admin), valid 1..=365 days, revocable; the secret is shown once. Role: admin, with step-up.",
    request_body = ServiceTokenBody,
    responses((status = 201, description = "Created", body = NewServiceToken)),
)]
pub(crate) async fn create_service_token(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    ApiJson(b): ApiJson<ServiceTokenBody>,
) -> ApiResult {
    let t = s
        .accounts
        .create_service_token(&a.caller, &b.name, b.role, b.days, &a.origin)
        .await?;
    Ok(created(t))
}

#[utoipa::path(
    delete, path = "/api/service-tokens/{id}", tag = "account", security(("bearer" = [])),
    description = "Revokes a service token of the caller's realm. Role: admin, with step-up.",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn revoke_service_token(
    a: Auth<AdminStepUp>,
    State(s): State<AccountsState>,
    Path(id): Path<String>,
) -> ApiResult {
    s.accounts
        .revoke_service_token(&a.actor(), a.realm, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get, path = "/api/audit", tag = "account", security(("bearer" = [])),
    description = "The audit log as the caller's realm sees it (its own entries and those of the CLI, the system and orgs), newest first. Role: admin.",
    params(Page),
    responses((status = 200, description = "A page of entries", body = AuditPage)),
)]
pub(crate) async fn audit_log(
    a: Auth<AdminOnly>,
    State(s): State<AccountsState>,
    ApiQuery(p): ApiQuery<Page>,
) -> Result<Response, Problem> {
    let page = s
        .accounts
        .audit_page(a.realm, p.limit.unwrap_or(100), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(page).into_response())
}
