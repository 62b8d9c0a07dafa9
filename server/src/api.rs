//! HTTP routes: thin handlers that check the caller (see [`crate::auth::Auth`]), read the
//! request, call the Hub or Root service, and answer JSON or a problem. The role each route
//! needs is the table in `docs/SERVER.md`, which the integration tests replay.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::auth::UserInfo;
use crate::auth::{self, AdminOnly, AnyUser, Auth, AuthKey, Client, HashCost, OperatorUp, Role};
use crate::db::Db;
use crate::hub::{
    CmlStatus, Facts, HeartbeatAnswer, HeartbeatRequest, Hub, ManifestRecord, NewSite, SitePage,
    SiteQuery, SiteView, Stats, ValidateAnswer,
};
use crate::metrics::Metrics;
use crate::ops::Ops;
use crate::problem::{no_method, no_route, ApiJson, Problem};
use crate::root::{Compliance, IssueCml, IssuedCml, ManifestDelivery, Receipt, RefreshCml, Root};

/// Body limit of Hub and account routes.
pub const HUB_BODY_LIMIT: usize = 256 * 1024;
/// Body limit of Root routes (manifests list every site).
pub const ROOT_BODY_LIMIT: usize = 8 * 1024 * 1024;

type ApiResult<T = Response> = Result<T, Problem>;

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

/// State shared by the account routes.
#[derive(Clone)]
pub struct Common {
    /// Database.
    pub db: Db,
    /// Token key.
    pub key: AuthKey,
    /// Password hashing cost for new users.
    pub cost: HashCost,
}

impl FromRef<Common> for AuthKey {
    fn from_ref(s: &Common) -> AuthKey {
        s.key.clone()
    }
}

#[derive(Clone)]
pub(crate) struct HubState {
    hub: Arc<Hub>,
    key: AuthKey,
    metrics: Arc<Metrics>,
}

impl FromRef<HubState> for AuthKey {
    fn from_ref(s: &HubState) -> AuthKey {
        s.key.clone()
    }
}

#[derive(Clone)]
pub(crate) struct RootState {
    root: Arc<Root>,
    key: AuthKey,
}

impl FromRef<RootState> for AuthKey {
    fn from_ref(s: &RootState) -> AuthKey {
        s.key.clone()
    }
}

/// The router for the roles served: account and operations routes always, Hub and Root routes
/// when given; every request passes the operations layer ([`crate::ops`]).
pub fn router(common: Common, hub: Option<Arc<Hub>>, root: Option<Arc<Root>>, ops: Ops) -> Router {
    let key = common.key.clone();
    let metrics = ops.metrics.clone();
    let mut app = Router::new()
        .route("/api/health", get(health))
        .route("/api/auth/login", post(login))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{username}", delete(delete_user))
        .route("/api/audit", get(audit_log))
        .with_state(common)
        .layer(DefaultBodyLimit::max(HUB_BODY_LIMIT));
    if let Some(hub) = hub {
        app = app.merge(
            Router::new()
                .route("/api/cml", get(cml_get))
                .route("/api/cml/upload", post(cml_upload))
                .route("/api/cml/refresh", post(cml_refresh))
                .route("/api/sites", get(sites_list))
                .route("/api/sites/create", post(site_create))
                .route("/api/sites/{site_id}", get(site_get).delete(site_revoke))
                .route("/api/sites/{site_id}/license", get(site_license))
                .route("/api/sites/{site_id}/heartbeat", post(site_heartbeat))
                .route("/api/validate", post(validate))
                .route("/api/stats", get(stats))
                .route("/api/ledger", get(ledger_page))
                .route("/api/ledger/verify", get(ledger_verify))
                .route("/api/manifests", get(manifests_list))
                .route("/api/manifests/generate", post(manifest_generate))
                .route("/api/manifests/send", post(manifest_send))
                .route("/api/manifests/{id}/download", get(manifest_download))
                .with_state(HubState {
                    hub,
                    key: key.clone(),
                    metrics,
                })
                .layer(DefaultBodyLimit::max(HUB_BODY_LIMIT)),
        );
    }
    if let Some(root) = root {
        app = app.merge(
            Router::new()
                .route("/api/root/cml", post(root_issue))
                .route("/api/root/cml/refresh", post(root_refresh))
                .route("/api/root/orgs", get(root_orgs))
                .route("/api/root/keys", get(root_keys))
                .route("/api/root/manifests", post(root_receive))
                .with_state(RootState { root, key })
                .layer(DefaultBodyLimit::max(ROOT_BODY_LIMIT)),
        );
    }
    app.merge(crate::ops::routes(ops.clone()))
        .route_layer(axum::middleware::from_fn_with_state(
            ops.clone(),
            crate::ops::guard,
        ))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(axum::middleware::from_fn_with_state(ops, crate::ops::track))
}

/// `GET /api/health`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// A signed-in user's token.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    /// HS256 JWT for `Authorization: Bearer`.
    pub token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The user's role.
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

/// A page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Entries in all.
    pub total: i64,
    /// The page, newest first.
    pub entries: Vec<audit::AuditEntry>,
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
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SiteLicenseFile {
    /// `hwf-site-license` (informative).
    pub format: Option<String>,
    /// The CML.
    pub cml: String,
    /// The site license.
    pub site: String,
}

/// A page of the ledger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    /// Entries in all.
    pub length: u64,
    /// The head entry's id.
    pub head: String,
    /// The page, oldest first.
    pub entries: Vec<crate::ledger::EntryView>,
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

fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

#[utoipa::path(
    get, path = "/api/health", tag = "operations",
    description = "Liveness with a database round trip (kept for existing clients; see /healthz and /readyz).",
    responses((status = 200, description = "Up", body = Health)),
)]
pub(crate) async fn health(State(c): State<Common>) -> ApiResult {
    sqlx::query("SELECT 1").execute(&c.db.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    /// User name.
    username: String,
    /// Password.
    password: String,
}

#[utoipa::path(
    post, path = "/api/auth/login", tag = "account",
    description = "Signs in; the token is sent as `Authorization: Bearer <token>`. Rate-limited per client IP.",
    request_body = Login,
    responses((status = 200, description = "Signed in", body = LoginAnswer),
        (status = 401, description = "Wrong user name or password", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn login(
    State(c): State<Common>,
    client: Client,
    ApiJson(l): ApiJson<Login>,
) -> ApiResult {
    let who = Actor::user(&l.username, &client);
    match auth::check_login(&c.db, &l.username, &l.password).await {
        Ok(role) => {
            audit::record_now(&c.db, &who, "auth.login", Some(&l.username), None).await?;
            let token = auth::issue_token(&c.key.key, &l.username, role, crate::now());
            Ok(Json(LoginAnswer {
                token,
                token_type: "Bearer".into(),
                expires_in: auth::TOKEN_TTL,
                role,
            })
            .into_response())
        }
        Err(p) => {
            if p.status == 401 {
                audit::record_now(&c.db, &who, "auth.login_failed", Some(&l.username), None)
                    .await?;
            }
            Err(p)
        }
    }
}

#[utoipa::path(
    get, path = "/api/users", tag = "account", security(("bearer" = [])),
    description = "Every user. Role: admin.",
    responses((status = 200, description = "The users", body = Vec<UserInfo>)),
)]
pub(crate) async fn list_users(_: Auth<AdminOnly>, State(c): State<Common>) -> ApiResult {
    Ok(Json(auth::list_users(&c.db).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    /// 1..=64 characters of `A-Z a-z 0-9 . _ - @`.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    username: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    password: String,
    /// Role.
    role: Role,
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
    State(c): State<Common>,
    ApiJson(u): ApiJson<NewUser>,
) -> ApiResult {
    auth::create_user(&c.db, &u.username, &u.password, u.role, c.cost).await?;
    audit::record_now(
        &c.db,
        &Actor::user(&a.user, &a.client),
        "user.create",
        Some(&u.username),
        Some(u.role.as_str()),
    )
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
    State(c): State<Common>,
    Path(username): Path<String>,
) -> ApiResult {
    if username == a.user {
        // Deleting oneself would end the session at once and can lock the last admin out.
        return Err(Problem::conflict(
            "cannot-delete-self",
            "Cannot delete yourself",
            "an admin cannot delete their own account; sign in as another admin",
        ));
    }
    auth::delete_user(&c.db, &username).await?;
    audit::record_now(
        &c.db,
        &Actor::user(&a.user, &a.client),
        "user.delete",
        Some(&username),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    /// Page size (default 100; at most 1000 for the audit log, 500 for the ledger).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Entries to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/audit", tag = "account", security(("bearer" = [])),
    description = "The audit log, newest first. Role: admin.",
    params(Page),
    responses((status = 200, description = "A page of entries", body = AuditPage)),
)]
pub(crate) async fn audit_log(
    _: Auth<AdminOnly>,
    State(c): State<Common>,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult {
    let limit = p.limit.unwrap_or(100);
    let offset = p.offset.unwrap_or(0);
    if !(1..=1000).contains(&limit) || offset < 0 {
        return Err(Problem::invalid(
            "limit must be 1..=1000 and offset at least 0",
        ));
    }
    let (entries, total) = audit::list(&c.db, limit, offset).await?;
    Ok(Json(AuditPage { total, entries }).into_response())
}

#[utoipa::path(
    get, path = "/api/cml", tag = "hub", security(("bearer" = [])),
    description = "The installed CML and its status. Role: viewer.",
    responses((status = 200, description = "The CML", body = CmlStatus), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_get(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    Ok(Json(s.hub.cml_status().await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CmlBody {
    /// The CML (compact JWS).
    cml: String,
}

#[utoipa::path(
    post, path = "/api/cml/upload", tag = "hub", security(("bearer" = [])),
    description = "Installs a CML issued by a trusted root for this Hub's org key. Role: admin.",
    request_body = CmlBody,
    responses((status = 200, description = "Installed", body = CmlStatus),
        (status = 409, description = "`cml-org-changed`, `cml-older`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_upload(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.install_cml(&b.cml, false, &actor).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/cml/refresh", tag = "hub", security(("bearer" = [])),
    description = "Replaces the installed CML with a newer one for the same org. Role: admin.",
    request_body = CmlBody,
    responses((status = 200, description = "Installed", body = CmlStatus),
        (status = 409, description = "`no-cml`, `cml-org-changed`, `cml-older`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_refresh(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.install_cml(&b.cml, true, &actor).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/sites", tag = "hub", security(("bearer" = [])),
    description = "Sites, filtered and paged. Role: viewer.",
    params(SiteQuery),
    responses((status = 200, description = "A page of sites", body = SitePage)),
)]
pub(crate) async fn sites_list(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> ApiResult {
    Ok(Json(s.hub.list_sites(&q).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/sites/create", tag = "hub", security(("bearer" = [])),
    description = "Mints a site license under the CML's `max_sites`. Role: operator.",
    request_body = NewSite,
    responses((status = 201, description = "Created", body = CreatedSite),
        (status = 409, description = "`max-sites-reached`, `site-exists`, `no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_create(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    ApiJson(n): ApiJson<NewSite>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    let site = s.hub.create_site(&n, &actor).await?;
    let license = s.hub.stored_license(&site.site_id).await?;
    Ok(created(CreatedSite { site, license }))
}

#[utoipa::path(
    get, path = "/api/sites/{site_id}", tag = "hub", security(("bearer" = [])),
    description = "One site. Role: viewer.",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteView), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_get(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(s.hub.site(&id).await?).into_response())
}

#[utoipa::path(
    delete, path = "/api/sites/{site_id}", tag = "hub", security(("bearer" = [])),
    description = "Revokes a site (signs the next revocation list). Role: operator.",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "Revoked", body = SiteView), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`site-revoked`, `no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_revoke(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.revoke_site(&id, &actor).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/sites/{site_id}/license", tag = "node", security(("bearer" = [])),
    description = "The site's `site.lic` file (recorded as a download). Role: operator. Rate-limited per client IP.",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "The site.lic file", body = SiteLicenseFile), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_license(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    let lic = s.hub.site_license(&id, &actor).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"site.lic\"".to_string(),
            ),
        ],
        lic,
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/api/sites/{site_id}/heartbeat", tag = "node",
    description = "A node's heartbeat: the org-signed, nonce-bound status with the current revocation list. No token. Rate-limited per client IP.",
    params(("site_id" = String, Path, description = "Site id")),
    request_body = HeartbeatRequest,
    responses((status = 200, description = "The signed answer", body = HeartbeatAnswer),
        (status = 403, description = "`license-mismatch`: the license id is not the site's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json"), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json"),
        (status = 426, description = "`upgrade-required`: the node's `speaks` does not include the CML's format version (FORMAT.md §8)", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_heartbeat(
    State(s): State<HubState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HeartbeatRequest>,
) -> ApiResult {
    Ok(Json(s.hub.heartbeat(&id, &req).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    /// The `site.lic` file's text.
    license: String,
    /// What the node observes about itself.
    #[serde(default)]
    facts: Facts,
}

#[utoipa::path(
    post, path = "/api/validate", tag = "node",
    description = "Validates a `site.lic` for a node's facts after applying the current revocation list. No token. Rate-limited per client IP.",
    request_body = ValidateBody,
    responses((status = 200, description = "Core's verdict", body = ValidateAnswer)),
)]
pub(crate) async fn validate(
    State(s): State<HubState>,
    ApiJson(b): ApiJson<ValidateBody>,
) -> ApiResult {
    let verdict = s.hub.validate(&b.license, &b.facts).await;
    match &verdict {
        Ok(v) => s.metrics.record_validation(
            if v.status == "grace" {
                "grace"
            } else {
                "valid"
            },
            "",
        ),
        Err(p) => {
            if let Some(name) = p.error {
                s.metrics.record_validation("invalid", name);
            } else if p.status == 422 {
                s.metrics.record_validation("invalid", "invalid_input");
            }
        }
    }
    Ok(Json(verdict?).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodQuery {
    /// `YYYY-MM` (default: the current month).
    #[param(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    period: Option<String>,
}

#[utoipa::path(
    get, path = "/api/stats", tag = "hub", security(("bearer" = [])),
    description = "Usage statistics of a period (default: this month). Role: viewer.",
    params(PeriodQuery),
    responses((status = 200, description = "The statistics", body = Stats)),
)]
pub(crate) async fn stats(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    let period = q.period.unwrap_or_else(|| s.hub.current_period());
    Ok(Json(s.hub.stats(&period).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/ledger", tag = "hub", security(("bearer" = [])),
    description = "A page of the signed usage ledger, each entry verified. Role: viewer.",
    params(Page),
    responses((status = 200, description = "Entries", body = LedgerPage)),
)]
pub(crate) async fn ledger_page(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult {
    let (length, head) = crate::ledger::head(&s.hub.db).await?;
    let entries = s
        .hub
        .ledger_page(p.limit.unwrap_or(100), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(LedgerPage {
        length,
        head,
        entries,
    })
    .into_response())
}

#[utoipa::path(
    get, path = "/api/ledger/verify", tag = "hub", security(("bearer" = [])),
    description = "Verifies the whole ledger against the recorded head. Role: viewer.",
    responses((status = 200, description = "The ledger verifies", body = LedgerCheck), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn ledger_verify(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    let summary = s.hub.verify_ledger().await?;
    Ok(Json(LedgerCheck {
        ok: true,
        length: summary.length,
        head: summary.head,
    })
    .into_response())
}

#[utoipa::path(
    get, path = "/api/manifests", tag = "hub", security(("bearer" = [])),
    description = "Manifests with their delivery status. Role: viewer.",
    params(PeriodQuery),
    responses((status = 200, description = "Manifests", body = Vec<ManifestRecord>)),
)]
pub(crate) async fn manifests_list(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    Ok(Json(s.hub.manifests(q.period.as_deref()).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateBody {
    /// `YYYY-MM` (default: the current month).
    #[schema(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    period: Option<String>,
}

#[utoipa::path(
    post, path = "/api/manifests/generate", tag = "hub", security(("bearer" = [])),
    description = "Generates the signed manifest of a period (idempotent per period). The period must have started and fall within the CML's life (422 `manifest-period`), as the Root requires. Role: admin.",
    request_body = GenerateBody,
    responses((status = 201, description = "Generated", body = ManifestRecord),
        (status = 200, description = "The stored one", body = ManifestRecord), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_generate(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<GenerateBody>,
) -> ApiResult {
    let period = b.period.unwrap_or_else(|| s.hub.current_period());
    let actor = Actor::user(&a.user, &a.client);
    let (m, new) = s.hub.generate_manifest(&period, &actor).await?;
    Ok(if new {
        created(m)
    } else {
        Json(m).into_response()
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendBody {
    /// The manifest id (or give `period`).
    id: Option<String>,
    /// The manifest's period (or give `id`).
    #[schema(pattern = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$")]
    period: Option<String>,
}

#[utoipa::path(
    post, path = "/api/manifests/send", tag = "hub", security(("bearer" = [])),
    description = "Sends a manifest to the Root (retried on network errors and 5xx/429). Role: admin.",
    request_body = SendBody,
    responses((status = 200, description = "Delivered", body = ManifestRecord), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-root-url`, `no-cml`", body = Problem, content_type = "application/problem+json"), (status = 502, description = "`delivery-failed`, `delivery-rejected`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_send(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<SendBody>,
) -> ApiResult {
    let id = match (b.id, b.period) {
        (Some(id), None) => id,
        (None, Some(p)) => {
            s.hub
                .manifests(Some(&p))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| Problem::not_found(format!("no manifest for {p}")))?
                .id
        }
        _ => return Err(Problem::invalid("give exactly one of id or period")),
    };
    let actor = Actor::user(&a.user, &a.client);
    let sent = s.hub.send_manifest(&id, None, &actor).await;
    s.metrics.record_delivery(match &sent {
        Ok(_) => "sent",
        Err(p) if p.slug() == "delivery-rejected" => "rejected",
        Err(p) if p.slug() == "delivery-failed" => "failed",
        Err(_) => "error",
    });
    Ok(Json(sent?).into_response())
}

#[utoipa::path(
    get, path = "/api/manifests/{id}/download", tag = "hub", security(("bearer" = [])),
    description = "The signed manifest. Role: viewer.",
    params(("id" = String, Path, description = "Manifest id")),
    responses((status = 200, description = "The manifest (compact JWS)", body = String, content_type = "application/jose"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_download(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let m = s.hub.manifest(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jose".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"manifest-{}.jws\"", m.period),
            ),
        ],
        m.jws,
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/api/root/cml", tag = "root", security(("bearer" = [])),
    description = "Issues a CML for an org key, signed by the environment's active root key. Role: admin.",
    request_body = IssueCml,
    responses((status = 201, description = "Issued", body = IssuedCml), (status = 409, description = "`no-root-key`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_issue(
    a: Auth<AdminOnly>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<IssueCml>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(created(s.root.issue_cml(&req, &actor).await?))
}

#[utoipa::path(
    post, path = "/api/root/cml/refresh", tag = "root", security(("bearer" = [])),
    description = "Issues a new CML for the same org and key. Role: admin.",
    request_body = RefreshCml,
    responses((status = 201, description = "Issued", body = IssuedCml), (status = 404, description = "`unknown-org`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-root-key`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_refresh(
    a: Auth<AdminOnly>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<RefreshCml>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(created(s.root.refresh_cml(&req, &actor).await?))
}

#[utoipa::path(
    get, path = "/api/root/orgs", tag = "root", security(("bearer" = [])),
    description = "Compliance of every org. Role: viewer.",
    responses((status = 200, description = "Per org", body = Vec<Compliance>)),
)]
pub(crate) async fn root_orgs(_: Auth<AnyUser>, State(s): State<RootState>) -> ApiResult {
    Ok(Json(s.root.compliance().await?).into_response())
}

#[utoipa::path(
    get, path = "/api/root/keys", tag = "root",
    description = "The root public keys (what `keys trust-root` reads). No token.",
    responses((status = 200, description = "The keys", body = Vec<RootKey>)),
)]
pub(crate) async fn root_keys(State(s): State<RootState>) -> ApiResult {
    let keys: Vec<_> = s
        .root
        .public_keys()
        .await?
        .into_iter()
        .map(|(r, active)| RootKey {
            kid: r.kid.to_string(),
            environment: r.environment.as_str().into(),
            active,
            public_key_pem: r.key.to_pem(),
        })
        .collect();
    Ok(Json(keys).into_response())
}

#[utoipa::path(
    post, path = "/api/root/manifests", tag = "root",
    description = "Receives a Hub's manifest, authenticated by its org signature. No token.",
    request_body = ManifestDelivery,
    responses((status = 201, description = "Recorded", body = Receipt),
        (status = 200, description = "A duplicate of a recorded manifest", body = Receipt),
        (status = 404, description = "`unknown-org`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_receive(
    State(s): State<RootState>,
    ApiJson(d): ApiJson<ManifestDelivery>,
) -> ApiResult {
    let receipt = s.root.receive_manifest(&d).await?;
    Ok(if receipt.duplicate {
        Json(receipt).into_response()
    } else {
        created(receipt)
    })
}
