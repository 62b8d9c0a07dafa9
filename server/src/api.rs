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
use serde::Deserialize;

use crate::audit::{self, Actor};
use crate::auth::{self, AdminOnly, AnyUser, Auth, AuthKey, Client, HashCost, OperatorUp, Role};
use crate::db::Db;
use crate::hub::{Facts, HeartbeatRequest, Hub, NewSite, SiteQuery};
use crate::metrics::Metrics;
use crate::ops::Ops;
use crate::problem::{no_method, no_route, ApiJson, Problem};
use crate::root::{IssueCml, ManifestDelivery, RefreshCml, Root};

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
struct HubState {
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
struct RootState {
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

fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

async fn health(State(c): State<Common>) -> ApiResult {
    sqlx::query("SELECT 1").execute(&c.db.pool).await?;
    Ok(
        Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(c): State<Common>, client: Client, ApiJson(l): ApiJson<Login>) -> ApiResult {
    let who = Actor::user(&l.username, &client);
    match auth::check_login(&c.db, &l.username, &l.password).await {
        Ok(role) => {
            audit::record_now(&c.db, &who, "auth.login", Some(&l.username), None).await?;
            let token = auth::issue_token(&c.key.key, &l.username, role, crate::now());
            Ok(Json(serde_json::json!({
                "token": token, "token_type": "Bearer",
                "expires_in": auth::TOKEN_TTL, "role": role,
            }))
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

async fn list_users(_: Auth<AdminOnly>, State(c): State<Common>) -> ApiResult {
    Ok(Json(auth::list_users(&c.db).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    role: Role,
}

async fn create_user(
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
    Ok(created(
        serde_json::json!({"username": u.username, "role": u.role}),
    ))
}

async fn delete_user(
    a: Auth<AdminOnly>,
    State(c): State<Common>,
    Path(username): Path<String>,
) -> ApiResult {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn audit_log(
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
    Ok(Json(serde_json::json!({"total": total, "entries": entries})).into_response())
}

async fn cml_get(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    Ok(Json(s.hub.cml_status().await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CmlBody {
    cml: String,
}

async fn cml_upload(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.install_cml(&b.cml, false, &actor).await?).into_response())
}

async fn cml_refresh(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.install_cml(&b.cml, true, &actor).await?).into_response())
}

async fn sites_list(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<SiteQuery>,
) -> ApiResult {
    Ok(Json(s.hub.list_sites(&q).await?).into_response())
}

async fn site_create(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    ApiJson(n): ApiJson<NewSite>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    let site = s.hub.create_site(&n, &actor).await?;
    let license = s.hub.stored_license(&site.site_id).await?;
    Ok(created(
        serde_json::json!({"site": site, "license": license}),
    ))
}

async fn site_get(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(s.hub.site(&id).await?).into_response())
}

async fn site_revoke(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(Json(s.hub.revoke_site(&id, &actor).await?).into_response())
}

async fn site_license(
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

async fn site_heartbeat(
    State(s): State<HubState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HeartbeatRequest>,
) -> ApiResult {
    Ok(Json(s.hub.heartbeat(&id, &req).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    license: String,
    #[serde(default)]
    facts: Facts,
}

async fn validate(State(s): State<HubState>, ApiJson(b): ApiJson<ValidateBody>) -> ApiResult {
    let verdict = s.hub.validate(&b.license, &b.facts).await;
    match &verdict {
        Ok(v) => s.metrics.record_validation(
            if v["status"] == "grace" {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodQuery {
    period: Option<String>,
}

async fn stats(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    let period = q.period.unwrap_or_else(|| s.hub.current_period());
    Ok(Json(s.hub.stats(&period).await?).into_response())
}

async fn ledger_page(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult {
    let (length, head) = crate::ledger::head(&s.hub.db).await?;
    let entries = s
        .hub
        .ledger_page(p.limit.unwrap_or(100), p.offset.unwrap_or(0))
        .await?;
    Ok(
        Json(serde_json::json!({"length": length, "head": head, "entries": entries}))
            .into_response(),
    )
}

async fn ledger_verify(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    let summary = s.hub.verify_ledger().await?;
    Ok(
        Json(serde_json::json!({"ok": true, "length": summary.length, "head": summary.head}))
            .into_response(),
    )
}

async fn manifests_list(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    Ok(Json(s.hub.manifests(q.period.as_deref()).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    period: Option<String>,
}

async fn manifest_generate(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    id: Option<String>,
    period: Option<String>,
}

async fn manifest_send(
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

async fn manifest_download(
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

async fn root_issue(
    a: Auth<AdminOnly>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<IssueCml>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(created(s.root.issue_cml(&req, &actor).await?))
}

async fn root_refresh(
    a: Auth<AdminOnly>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<RefreshCml>,
) -> ApiResult {
    let actor = Actor::user(&a.user, &a.client);
    Ok(created(s.root.refresh_cml(&req, &actor).await?))
}

async fn root_orgs(_: Auth<AnyUser>, State(s): State<RootState>) -> ApiResult {
    Ok(Json(s.root.compliance().await?).into_response())
}

async fn root_keys(State(s): State<RootState>) -> ApiResult {
    let keys: Vec<_> = s
        .root
        .public_keys()
        .await?
        .into_iter()
        .map(|(r, active)| {
            serde_json::json!({
                "kid": r.kid, "environment": r.environment.as_str(),
                "active": active, "public_key_pem": r.key.to_pem(),
            })
        })
        .collect();
    Ok(Json(keys).into_response())
}

async fn root_receive(
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
