//! Two middlewares around the routes: [`track`] wraps the whole router (request id, one access
//! log line and the request metrics, so unknown routes are counted too, as route `unmatched`);
//! [`guard`] wraps each matched route (it sees the route template, applies the rate limits,
//! and hands the template to [`track`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::metrics::Metrics;
use super::problem::Problem;
use super::ratelimit::Limiter;
use crate::service::keys::random_bytes;

/// The response (and request) header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

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
            _ => Self(hex::encode(random_bytes::<16>())),
        }
    }
}

/// What the middlewares share: the metrics and the two limiters.
#[derive(Clone)]
pub struct Layer {
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// `POST /api/auth/login` limiter.
    pub login: Arc<Limiter>,
    /// Site-node endpoints limiter.
    pub node: Arc<Limiter>,
}

/// Which limit applies to `method route` (a route template).
pub fn limit_of(method: &Method, route: &str) -> Option<&'static str> {
    match (method.as_str(), route) {
        ("POST", "/api/auth/login") => Some("login"),
        ("POST", "/api/validate")
        | ("POST", "/api/sites/{site_id}/heartbeat")
        | ("GET", "/api/sites/{site_id}/license")
        // Unauthenticated, and each accepted manifest is answered with a signed receipt.
        | ("POST", "/api/root/manifests") => Some("node"),
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
pub async fn guard(State(layer): State<Layer>, req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    if let Some(m) = &matched {
        if let Some(name) = limit_of(req.method(), m.as_str()) {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            let limiter = if name == "login" {
                &layer.login
            } else {
                &layer.node
            };
            if let Err(wait) = limiter.check(ip) {
                layer.metrics.record_rate_limited(name);
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
pub async fn track(State(layer): State<Layer>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = RequestId::from_headers(req.headers());
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = id.0.as_str());
    let mut res = next.run(req).instrument(span).await;
    let latency = start.elapsed();
    let status = res.status().as_u16();
    let route = res.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", |m| m.as_str());
    layer
        .metrics
        .record_request(method.as_str(), route, status, latency);
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    tracing::info!(
        target: "hwf_license_server::access",
        request_id = id.0.as_str(),
        method = method.as_str(),
        route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    res
}
