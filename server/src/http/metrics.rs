//! Prometheus metrics with `prometheus-client`: request counts and latency histograms by
//! method, route template and status, rate-limited requests, validations and manifest
//! deliveries (per process), and at scrape time the Hub's gauges read from the database (so
//! every replica reports the same values). Exposed in the OpenMetrics text format.
//!
//! Recording takes no global lock: each series is an atomic counter (and a histogram with its
//! own small lock), found in its family's map under a read lock; labels are static strings
//! (route templates are interned once), so a request allocates nothing here.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::service::hub::Gauges;

/// Upper bounds (seconds) of the request latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ValidationLabels {
    result: &'static str,
    error: Option<&'static str>,
}

impl EncodeLabelSet for ValidationLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeLabel;
        ("result", self.result).encode(encoder.encode_label())?;
        if let Some(e) = self.error {
            ("error", e).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The process's counters and histograms (one per served router).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    rate_limited: Family<LimitLabels, Counter>,
    validations: Family<ValidationLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    routes: RwLock<HashSet<&'static str>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let rate_limited = Family::<LimitLabels, Counter>::default();
        let validations = Family::<ValidationLabels, Counter>::default();
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "hwf_http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        registry.register(
            "hwf_http_request_duration_seconds",
            "HTTP request latency by method, matched route and status",
            latency.clone(),
        );
        registry.register(
            "hwf_rate_limited",
            "Requests answered 429 by rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "hwf_validations",
            "License validations (POST /api/validate) by result and error name",
            validations.clone(),
        );
        registry.register(
            "hwf_manifest_deliveries",
            "Manifest deliveries to the Root by outcome",
            deliveries.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            rate_limited,
            validations,
            deliveries,
            routes: RwLock::default(),
        }
    }
}

/// `GET`, `POST`, `DELETE`, … as a static string (`OTHER` for anything unusual).
fn method_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "DELETE" => "DELETE",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// The static copy of a route template (the router's templates are a fixed set, each
    /// interned once).
    fn route(&self, route: &str) -> &'static str {
        if route == "unmatched" {
            return "unmatched";
        }
        if let Some(r) = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(route)
        {
            return r;
        }
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = routes.get(route) {
            return r;
        }
        let leaked: &'static str = Box::leak(route.to_string().into_boxed_str());
        routes.insert(leaked);
        leaked
    }

    /// Counts a request to `route` (the matched template, or `unmatched`) and its latency.
    pub fn record_request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let labels = RequestLabels {
            method: method_name(method),
            route: self.route(route),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(latency.as_secs_f64());
    }

    /// Counts a request refused by the rate limit named `limit`.
    pub fn record_rate_limited(&self, limit: &'static str) {
        self.rate_limited
            .get_or_create(&LimitLabels { limit })
            .inc();
    }

    /// Counts a validation: `result` is `valid`, `grace` or `invalid`; `error` is core's error
    /// name (or `invalid_input`) for an invalid license.
    pub fn record_validation(&self, result: &'static str, error: Option<&'static str>) {
        self.validations
            .get_or_create(&ValidationLabels { result, error })
            .inc();
    }

    /// Counts a manifest delivery by `outcome`.
    pub fn record_delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// The exposition: the counters and histograms, the Hub's `gauges` when there is a Hub,
    /// and `alerts` (the kinds that hold now) as one gauge per kind.
    pub fn render(&self, gauges: Option<(&Gauges, &[&str])>) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        let _ = encode_registry(&mut out, &self.registry);
        if let Some((g, alerts)) = gauges {
            let _ = encode_registry(&mut out, &gauge_registry(g, alerts));
        }
        let _ = encode_eof(&mut out);
        out
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// A registry of the scrape's gauges (built per scrape: the values come from the database).
fn gauge_registry(g: &Gauges, alerts: &[&str]) -> Registry {
    let mut r = Registry::default();
    let gauge = |v: i64| {
        let x = Gauge::<i64>::default();
        x.set(v);
        x
    };
    r.register(
        "hwf_active_sites",
        "Active site licenses",
        gauge(g.active_sites),
    );
    r.register(
        "hwf_revoked_sites",
        "Revoked site licenses",
        gauge(g.revoked_sites),
    );
    r.register(
        "hwf_ledger_length",
        "Entries in the signed usage ledger",
        gauge(g.ledger_length),
    );
    let manifests = Family::<StatusLabels, Gauge>::default();
    for (status, n) in &g.manifests {
        manifests
            .get_or_create(&StatusLabels {
                status: status.clone(),
            })
            .set(*n);
    }
    r.register(
        "hwf_manifests",
        "Stored manifests by delivery status",
        manifests,
    );
    if let Some((max_sites, valid_until)) = g.cml {
        r.register(
            "hwf_cml_max_sites",
            "The installed CML's site limit",
            gauge(i64::from(max_sites)),
        );
        r.register(
            "hwf_cml_valid_until_seconds",
            "The installed CML's end of validity (unix seconds)",
            gauge(valid_until),
        );
    }
    let kinds = Family::<KindLabels, Gauge>::default();
    for kind in crate::domain::alerts::KINDS {
        kinds
            .get_or_create(&KindLabels { kind })
            .set(i64::from(alerts.contains(&kind)));
    }
    r.register("hwf_alerts", "Alerts that hold now (1) by kind", kinds);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(scrape: &str, series: &str) -> Option<f64> {
        scrape
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.record_request("GET", "/api/sites/{site_id}", 200, Duration::from_millis(3));
        m.record_request(
            "GET",
            "/api/sites/{site_id}",
            200,
            Duration::from_millis(300),
        );
        m.record_validation("valid", None);
        m.record_validation("invalid", Some("bad\"sig"));
        let out = m.render(None);
        let l = "method=\"GET\",route=\"/api/sites/{site_id}\",status=\"200\"";
        assert_eq!(
            sample(&out, &format!("hwf_http_requests_total{{{l}}}")),
            Some(2.0),
            "{out}"
        );
        let bucket = |le: &str| {
            sample(
                &out,
                &format!("hwf_http_request_duration_seconds_bucket{{le=\"{le}\",{l}}}"),
            )
        };
        assert_eq!(bucket("0.001"), Some(0.0), "{out}");
        assert_eq!(bucket("0.005"), Some(1.0));
        assert_eq!(bucket("0.5"), Some(2.0));
        assert_eq!(bucket("+Inf"), Some(2.0));
        assert_eq!(
            sample(&out, "hwf_validations_total{result=\"valid\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &out,
                "hwf_validations_total{result=\"invalid\",error=\"bad\\\"sig\"}"
            ),
            Some(1.0),
            "{out}"
        );
        assert!(out.ends_with("# EOF\n"));
    }

    #[test]
    fn gauges_come_with_the_scrape() {
        let m = Metrics::default();
        let g = Gauges {
            active_sites: 2,
            revoked_sites: 1,
            ledger_length: 7,
            manifests: vec![("sent".into(), 1)],
            cml: Some((10, 1_900_000_000)),
        };
        let out = m.render(Some((&g, &["cml_expired"])));
        assert_eq!(sample(&out, "hwf_active_sites"), Some(2.0), "{out}");
        assert_eq!(sample(&out, "hwf_cml_max_sites"), Some(10.0));
        assert_eq!(sample(&out, "hwf_manifests{status=\"sent\"}"), Some(1.0));
        assert_eq!(sample(&out, "hwf_alerts{kind=\"cml_expired\"}"), Some(1.0));
        assert_eq!(sample(&out, "hwf_alerts{kind=\"cml_expiring\"}"), Some(0.0));
        assert_eq!(out.matches("# EOF").count(), 1);
        let none = m.render(Some((&Gauges::default(), &[])));
        assert!(!none.contains("hwf_cml_max_sites"));
    }
}
