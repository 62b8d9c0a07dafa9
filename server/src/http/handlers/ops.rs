//! Operations routes: liveness, readiness, metrics, alerts (the OpenAPI document is served by
//! `http/openapi.rs`).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::OpsState;
use crate::http::extract::{AnyUser, Auth};
use crate::http::problem::Problem;
use crate::http::wire::{Health, Ready};
use crate::service::alerts::{self, Alert};
use crate::service::ServiceError;
use sha2::{Digest, Sha256};

/// How long `/readyz` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz` and `GET /api/health`'s answer.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    description = "Liveness: the process answers. Never touches the database.",
    responses((status = 200, description = "Up", body = Health)))]
pub(crate) async fn healthz() -> Response {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
    .into_response()
}

/// `GET /readyz`.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    description = "Readiness: 200 when a trivial database query answers within 2 s, else 503 `not-ready`.",
    responses((status = 200, description = "Ready", body = Ready),
        (status = 503, description = "`not-ready`", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn readyz(State(s): State<OpsState>) -> Response {
    match s.health.ready(READY_TIMEOUT).await {
        Ok(()) => Json(Ready {
            status: "ready".into(),
        })
        .into_response(),
        Err(e) => {
            tracing::warn!("not ready: {e}");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "Not ready",
                "the database is not reachable",
            )
            .into_response()
        }
    }
}

/// `GET /api/alerts`.
#[utoipa::path(get, path = "/api/alerts", tag = "operations", security(("bearer" = [])),
    description = "Alerts that hold now: `cml_expiring` (within 7 days), `cml_grace` (ended, its grace period running), `cml_expired` (grace ended), `sites_near_limit` (above 90% of `max_sites`), `manifest_overdue` (none accepted for 45 days); for an admin also `account_locked` (accounts of the caller's realm locked after failed sign-ins). Role: viewer.",
    responses((status = 200, description = "The alerts (empty when all is well)", body = Vec<Alert>)))]
pub(crate) async fn alerts_list(
    a: Auth<AnyUser>,
    State(s): State<OpsState>,
) -> Result<Json<Vec<Alert>>, Problem> {
    let mut list = match &s.hub {
        Some(hub) => alerts::current(hub).await?,
        None => Vec::new(),
    };
    s.alerts.observe(&list);
    // Locked accounts are shown to the admins of their realm (logged when the lock happens).
    if a.role == crate::domain::Role::Admin {
        list.extend(s.accounts.lock_alerts(a.realm).await?);
    }
    Ok(Json(list))
}

/// Whether `headers` carry the metrics token or a signed-in user's token.
async fn may_read_metrics(s: &OpsState, headers: &HeaderMap) -> Result<(), Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ServiceError::Unauthorized(
                "missing bearer token (the metrics token or a user's)".into(),
            )
        })?;
    if let Some(expected) = &s.metrics_token {
        // Compared as digests: the time taken says nothing about the token.
        if Sha256::digest(token.as_bytes()) == Sha256::digest(expected.as_bytes()) {
            return Ok(());
        }
    }
    s.accounts.authenticate(token, None).await?;
    Ok(())
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    description = "Prometheus metrics (OpenMetrics text format 1.0.0); see docs/SERVER.md for the names. Needs `HWF_METRICS_TOKEN` as a bearer token, or any signed-in user's token (on `--metrics-listen` no token).",
    responses((status = 200, description = "The metrics", body = String, content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics_text(State(s): State<OpsState>, headers: HeaderMap) -> Response {
    if !s.metrics_open {
        if let Err(p) = may_read_metrics(&s, &headers).await {
            return p.into_response();
        }
    }
    let gauges = match &s.hub {
        Some(hub) => {
            let read = async {
                let g = hub.gauges().await?;
                let list = alerts::current(hub).await?;
                s.alerts.observe(&list);
                Ok::<_, crate::service::ServiceError>((g, list))
            };
            match read.await {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!("metrics: cannot read the gauges: {e}");
                    None
                }
            }
        }
        None => None,
    };
    let kinds: Vec<&str> = gauges
        .as_ref()
        .map(|(_, list)| list.iter().map(|a| a.kind.as_str()).collect())
        .unwrap_or_default();
    let body = s
        .metrics
        .render(gauges.as_ref().map(|(g, _)| (g, kinds.as_slice())));
    (
        [(header::CONTENT_TYPE, crate::http::metrics::CONTENT_TYPE)],
        body,
    )
        .into_response()
}
