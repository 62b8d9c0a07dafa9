//! Two middlewares around the routes: [`track`] wraps the whole router (the client's address
//! — the TCP peer, or from a trusted proxy the address it forwarded — request id, the request
//! timeout, the security headers, one access log line and the request metrics, so unknown
//! routes are counted too, as route `unmatched`); [`guard`] wraps each matched route (it sees
//! the route template, applies the rate limits, and hands the template to [`track`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::metrics::Metrics;
use super::problem::Problem;
use super::ratelimit::Limiter;
use crate::config::{canonical, Cidr};
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

/// What the middlewares share: the metrics, the limiters and the transport settings.
#[derive(Clone)]
pub struct Layer {
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// `POST /api/auth/login` limiter.
    pub login: Arc<Limiter>,
    /// Site-node endpoints limiter.
    pub node: Arc<Limiter>,
    /// The other endpoints that need no token.
    pub public: Arc<Limiter>,
    /// `POST /api/root/manifests` limiter.
    pub manifest: Arc<Limiter>,
    /// Site exports limiter.
    pub export: Arc<Limiter>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[Cidr]>,
    /// Whether answers go out over TLS (then with `Strict-Transport-Security`).
    pub tls: bool,
    /// Longest time a request may take (then 408 `request-timeout`).
    pub request_timeout: Duration,
}

/// The address a request is counted under (rate limits, access log, audit): the TCP peer, or,
/// when the peer is a trusted proxy, the address it forwarded ([`client_ip`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Most `X-Forwarded-For` entries read (the rightmost ones).
pub const MAX_FORWARDED: usize = 16;

/// The client's address: `peer`, unless `peer` is in `trusted`; then the rightmost address of
/// `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it
/// received from, so entries to the left of an untrusted one may be forged). A missing or
/// unreadable header leaves `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut hops: Vec<&str> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { return peer };
        hops.extend(v.split(','));
    }
    let mut last = peer;
    for hop in hops.iter().rev().take(MAX_FORWARDED) {
        let hop = hop.trim();
        // `1.2.3.4`, `[2001:db8::1]:443` or `1.2.3.4:80`.
        let ip = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()));
        let Ok(ip) = ip.map(canonical) else {
            return last;
        };
        if !is_trusted(ip) {
            return ip;
        }
        last = ip;
    }
    last
}

/// Which limit applies to `method route` (a route template): every route that needs no token
/// has one, and so does every export whose answer grows with the data (the sites CSV).
pub fn limit_of(method: &Method, route: &str) -> Option<&'static str> {
    match (method.as_str(), route) {
        ("POST", "/api/auth/login") | ("POST", "/login") => Some("login"),
        ("POST", "/api/validate")
        | ("POST", "/api/sites/{site_id}/heartbeat")
        | ("GET", "/api/sites/{site_id}/license") => Some("node"),
        // Unauthenticated, and each accepted manifest is answered with a signed receipt.
        ("POST", "/api/root/manifests") => Some("manifest"),
        // Authenticated, but each answer reads every matching site (up to 100,000 rows).
        ("GET", "/sites.csv") | ("GET", "/api/sites/export") => Some("export"),
        ("GET", "/healthz")
        | ("GET", "/readyz")
        | ("GET", "/metrics")
        | ("GET", "/api/health")
        | ("GET", "/api/openapi.json")
        | ("GET", "/api/root/keys")
        | ("GET", "/login")
        | ("GET", "/assets/{file}") => Some("public"),
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
                .get::<ClientIp>()
                .map(|c| c.0)
                .or_else(|| {
                    req.extensions()
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| c.0.ip())
                })
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            let limiter = match name {
                "login" => &layer.login,
                "node" => &layer.node,
                "manifest" => &layer.manifest,
                "export" => &layer.export,
                _ => &layer.public,
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

/// 408 `request-timeout`.
pub fn timed_out(after: Duration) -> Response {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "Request timeout",
        format!("the request took longer than {} s", after.as_secs()),
    )
    .into_response()
}

/// `Strict-Transport-Security` under TLS: a year, subdomains not included.
pub const HSTS: &str = "max-age=31536000";

/// The headers on every answer: `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`
/// (tokens, licenses, keys and business figures must not stay in caches), no framing, no
/// referrer, and HSTS under TLS. A route that set its own `Cache-Control` or `Referrer-Policy`
/// keeps it (the console's hashed assets are cached; its pages send a same-origin referrer).
pub fn security_headers(h: &mut HeaderMap, tls: bool) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
}

/// Outer middleware: the client's address ([`ClientIp`]), request id (echoed in
/// `x-request-id`), a span carrying it around the handler under the request timeout, the
/// security headers, one access log line and the request metrics.
pub async fn track(State(layer): State<Layer>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = RequestId::from_headers(req.headers());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = peer.map(|p| client_ip(p, req.headers(), &layer.trusted_proxies));
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientIp(ip));
    }
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = id.0.as_str());
    let mut res =
        match tokio::time::timeout(layer.request_timeout, next.run(req).instrument(span)).await {
            Ok(res) => res,
            Err(_) => timed_out(layer.request_timeout),
        };
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
    security_headers(res.headers_mut(), layer.tls);
    let client = client.map(|c| c.to_string());
    tracing::info!(
        target: "hwf_license_server::access",
        request_id = id.0.as_str(),
        client = client.as_deref().unwrap_or("-"),
        method = method.as_str(),
        route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in v {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // An untrusted peer: its header is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff(&["198.51.100.1"]), &trusted),
            ip("203.0.113.9")
        );
        // A trusted proxy: the rightmost untrusted hop; forged entries to its left are not read.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff(&["6.6.6.6, 198.51.100.1"]), &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &xff(&["198.51.100.1", "10.0.0.7"]),
                &trusted
            ),
            ip("198.51.100.1"),
            "a chain of trusted proxies"
        );
        assert_eq!(
            client_ip(
                ip("::ffff:10.0.0.2"),
                &xff(&["[2001:db8::1]:443"]),
                &trusted
            ),
            ip("2001:db8::1")
        );
        // No header or garbage: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff(&["not-an-address"]), &trusted),
            ip("10.0.0.2")
        );
        // No trusted proxy configured: never read.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff(&["198.51.100.1"]), &[]),
            ip("10.0.0.2")
        );
    }
}
