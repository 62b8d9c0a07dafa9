//! Operations around the API: request ids, one access log line and the metrics of every
//! request, rate limits on the login and site-node endpoints, `GET /healthz`, `GET /readyz`,
//! `GET /metrics` and `GET /api/alerts`.
//!
//! Two middlewares: [`track`] wraps the whole router (request id, access log, metrics, so
//! unknown routes are counted too, as route `unmatched`); [`guard`] wraps each matched route
//! (it sees the route template, applies the rate limits, and hands the template to [`track`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRef, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sqlx::Row;
use tracing::Instrument;

use crate::alerts::{self, Alert, AlertWatch};
use crate::auth::{AnyUser, Auth, AuthKey};
use crate::db::Db;
use crate::hub::Hub;
use crate::metrics::{self, Metrics};
use crate::problem::Problem;
use crate::ratelimit::{Limiter, RateLimits};

/// The response (and request) header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// How long `/readyz` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The id of a request: the client's `x-request-id` when it is 1..=128 characters of
/// `A-Z a-z 0-9 . _ : -`, else 32 random hex digits. Handlers may read it from the request's
/// extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The client's id if sane, else a fresh one.
    pub fn from_headers(h: &HeaderMap) -> Self {
        let sane = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        };
        match h.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()) {
            Some(s) if sane(s) => Self(s.to_string()),
            _ => Self(hex::encode(crate::keys_at_rest::random_bytes::<16>())),
        }
    }
}

/// State of the operations layer, shared by every request of a router.
#[derive(Clone)]
pub struct Ops {
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Alerts already logged.
    pub alerts: Arc<AlertWatch>,
    /// `POST /api/auth/login` limiter.
    pub login: Arc<Limiter>,
    /// Site-node endpoints limiter.
    pub node: Arc<Limiter>,
    /// The database (readiness, gauges).
    pub db: Db,
    /// The Hub, when served (gauges, alerts).
    pub hub: Option<Arc<Hub>>,
    /// Token key (for `/api/alerts`).
    pub key: AuthKey,
}

impl Ops {
    /// The operations state for `limits`, sharing `metrics` and `alerts` with the [`crate::App`].
    pub fn new(
        metrics: Arc<Metrics>,
        alerts: Arc<AlertWatch>,
        limits: RateLimits,
        db: Db,
        hub: Option<Arc<Hub>>,
        key: AuthKey,
    ) -> Self {
        Self {
            metrics,
            alerts,
            login: Arc::new(Limiter::new(limits.login)),
            node: Arc::new(Limiter::new(limits.node)),
            db,
            hub,
            key,
        }
    }
}

impl FromRef<Ops> for AuthKey {
    fn from_ref(s: &Ops) -> AuthKey {
        s.key.clone()
    }
}

/// The operations routes: `/healthz`, `/readyz`, `/metrics`, `/api/alerts`,
/// `/api/openapi.json`.
pub fn routes(ops: Ops) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/alerts", get(alerts_list))
        .route("/api/openapi.json", get(crate::openapi::openapi_json))
        .with_state(ops)
}

/// Which limit applies to `method route` (a route template).
pub fn limit_of(method: &Method, route: &str) -> Option<&'static str> {
    match (method.as_str(), route) {
        ("POST", "/api/auth/login") => Some("login"),
        ("POST", "/api/validate")
        | ("POST", "/api/sites/{site_id}/heartbeat")
        | ("GET", "/api/sites/{site_id}/license") => Some("node"),
        _ => None,
    }
}

/// 429 `rate-limited` with `Retry-After: wait`.
pub fn too_many(wait: u64) -> Response {
    let mut res = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("rate limit reached; retry in {wait} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Route middleware: applies the rate limit of the matched route and passes the route
/// template on to [`track`] in the response's extensions.
pub async fn guard(State(ops): State<Ops>, req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    if let Some(m) = &matched {
        if let Some(name) = limit_of(req.method(), m.as_str()) {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            let limiter = if name == "login" {
                &ops.login
            } else {
                &ops.node
            };
            if let Err(wait) = limiter.check(ip, Instant::now()) {
                ops.metrics.record_rate_limited(name);
                let mut res = too_many(wait);
                res.extensions_mut().insert(m.clone());
                return res;
            }
        }
    }
    let mut res = next.run(req).await;
    if let Some(m) = matched {
        res.extensions_mut().insert(m);
    }
    res
}

/// Outer middleware: request id (echoed in `x-request-id`), a span carrying it around the
/// handler, one access log line and the request metrics.
pub async fn track(State(ops): State<Ops>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = RequestId::from_headers(req.headers());
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = id.0.as_str());
    let mut res = next.run(req).instrument(span).await;
    let latency = start.elapsed();
    let route = res
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let status = res.status().as_u16();
    ops.metrics
        .record_request(method.as_str(), &route, status, latency);
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    tracing::info!(
        target: "hwf_license_server::access",
        request_id = id.0.as_str(),
        method = method.as_str(),
        route = route.as_str(),
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    res
}

/// `GET /healthz` and `GET /api/health`'s answer.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    description = "Liveness: the process answers. Never touches the database.",
    responses((status = 200, description = "Up", body = crate::api::Health)))]
pub(crate) async fn healthz() -> Response {
    Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})).into_response()
}

/// `GET /readyz`.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    description = "Readiness: 200 when a trivial database query answers within 2 s, else 503 `not-ready`.",
    responses((status = 200, description = "Ready", body = Ready),
        (status = 503, description = "`not-ready`", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn readyz(State(ops): State<Ops>) -> Response {
    let q = sqlx::query("SELECT 1").execute(&ops.db.pool);
    match tokio::time::timeout(READY_TIMEOUT, q).await {
        Ok(Ok(_)) => Json(Ready {
            status: "ready".into(),
        })
        .into_response(),
        Ok(Err(e)) => not_ready(format!("database: {e}")),
        Err(_) => not_ready(format!(
            "database did not answer within {} ms",
            READY_TIMEOUT.as_millis()
        )),
    }
}

/// `GET /readyz`'s answer.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
}

fn not_ready(why: String) -> Response {
    tracing::warn!("not ready: {why}");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-ready",
        "Not ready",
        "the database is not reachable",
    )
    .into_response()
}

/// `GET /api/alerts`.
#[utoipa::path(get, path = "/api/alerts", tag = "operations", security(("bearer" = [])),
    description = "Alerts that hold now: `cml_expiring` (within 7 days), `cml_expired`, `sites_near_limit` (above 90% of `max_sites`), `manifest_overdue` (none accepted for 45 days). Role: viewer.",
    responses((status = 200, description = "The alerts (empty when all is well)", body = Vec<Alert>)))]
pub(crate) async fn alerts_list(
    _: Auth<AnyUser>,
    State(ops): State<Ops>,
) -> Result<Json<Vec<Alert>>, Problem> {
    let list = match &ops.hub {
        Some(hub) => alerts::current(hub, crate::now()).await?,
        None => Vec::new(),
    };
    ops.alerts.observe(&list);
    Ok(Json(list))
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus metrics (text exposition format 0.0.4); see docs/SERVER.md for the names.",
    responses((status = 200, description = "The metrics", body = String, content_type = "text/plain")))]
pub(crate) async fn metrics_text(State(ops): State<Ops>) -> Response {
    let mut out = String::new();
    ops.metrics.render(&mut out);
    if let Some(hub) = &ops.hub {
        if let Err(p) = hub_gauges(hub, &ops, &mut out).await {
            tracing::warn!("metrics: cannot read the gauges: {p}");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

async fn hub_gauges(hub: &Hub, ops: &Ops, out: &mut String) -> Result<(), Problem> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM sites WHERE status = 'active'), \
                (SELECT count(*) FROM sites WHERE status = 'revoked'), \
                (SELECT ledger_length FROM hub_state WHERE id = 1)",
    )
    .fetch_one(&hub.db.pool)
    .await?;
    let active: i64 = row.try_get(0)?;
    let revoked: i64 = row.try_get(1)?;
    let ledger: Option<i64> = row.try_get(2)?;
    let g = |v: i64| vec![(String::new(), v as f64)];
    metrics::gauge(out, "hwf_active_sites", "Active site licenses.", &g(active));
    metrics::gauge(
        out,
        "hwf_revoked_sites",
        "Revoked site licenses.",
        &g(revoked),
    );
    metrics::gauge(
        out,
        "hwf_ledger_length",
        "Entries in the signed usage ledger.",
        &g(ledger.unwrap_or(0)),
    );
    let rows =
        sqlx::query("SELECT status, count(*) FROM manifests GROUP BY status ORDER BY status")
            .fetch_all(&hub.db.pool)
            .await?;
    let mut by_status = Vec::new();
    for r in &rows {
        let s: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        by_status.push((format!("status=\"{}\"", metrics::escape(&s)), n as f64));
    }
    metrics::gauge(
        out,
        "hwf_manifests",
        "Stored manifests by delivery status.",
        &by_status,
    );
    if let Some(cml) = hub.active_cml().await? {
        let c = &cml.claims;
        metrics::gauge(
            out,
            "hwf_cml_max_sites",
            "The installed CML's site limit.",
            &g(i64::from(c.max_sites)),
        );
        metrics::gauge(
            out,
            "hwf_cml_valid_until_seconds",
            "The installed CML's end of validity (unix seconds).",
            &g(c.valid_until),
        );
    }
    let list = alerts::current(hub, crate::now()).await?;
    ops.alerts.observe(&list);
    let kinds = [
        "cml_expiring",
        "cml_expired",
        "sites_near_limit",
        "manifest_overdue",
    ];
    let samples: Vec<_> = kinds
        .iter()
        .map(|k| {
            (
                format!("kind=\"{k}\""),
                if list.iter().any(|a| a.kind == *k) {
                    1.0
                } else {
                    0.0
                },
            )
        })
        .collect();
    metrics::gauge(
        out,
        "hwf_alerts",
        "Alerts that hold now (1) by kind.",
        &samples,
    );
    Ok(())
}

/// Runs the alert check every `every` and logs changes (see [`AlertWatch`]), until dropped.
pub fn watch_alerts(
    hub: Arc<Hub>,
    watch: Arc<AlertWatch>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match alerts::current(&hub, crate::now()).await {
                Ok(list) => {
                    watch.observe(&list);
                }
                Err(p) => tracing::warn!("alert check failed: {p}"),
            }
        }
    })
}
