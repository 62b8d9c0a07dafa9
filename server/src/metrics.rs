//! Prometheus metrics in the text exposition format (version 0.0.4), written by hand: counters
//! and histograms live in small mutex-guarded maps, gauges that describe stored state (active
//! sites, ledger length, manifests) are read from the database when `/metrics` is scraped.
//!
//! | metric | type | labels |
//! |--------|------|--------|
//! | `hwf_http_requests_total` | counter | `method`, `route` (the matched template), `status` |
//! | `hwf_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `hwf_rate_limited_total` | counter | `limit` (`login` or `node`) |
//! | `hwf_validations_total` | counter | `result` (`valid`, `grace`, `invalid`), `error` (invalid only) |
//! | `hwf_manifest_deliveries_total` | counter | `outcome` (`sent`, `duplicate`, `rejected`, `failed`, `error`) |
//! | `hwf_active_sites`, `hwf_revoked_sites`, `hwf_cml_max_sites`, `hwf_cml_valid_until_seconds` | gauge | |
//! | `hwf_ledger_length` | gauge | |
//! | `hwf_manifests` | gauge | `status` |
//! | `hwf_alerts` | gauge | `kind` (1 while the alert holds) |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the request latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    count: u64,
    sum: f64,
    buckets: [u64; LATENCY_BUCKETS.len()],
}

type RequestKey = (String, String, u16);

/// The process's counters and histograms (one per served [`crate::App`]).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, Histogram>>,
    rate_limited: Mutex<BTreeMap<&'static str, u64>>,
    validations: Mutex<BTreeMap<(&'static str, String), u64>>,
    deliveries: Mutex<BTreeMap<&'static str, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Escapes a label value (backslash, double quote, newline).
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Formats a float the way Prometheus reads it.
fn num(v: f64) -> String {
    if v.is_infinite() {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

impl Metrics {
    /// Counts a request to `route` (the matched template, or `unmatched`) and its latency.
    pub fn record_request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let secs = latency.as_secs_f64();
        let mut map = lock(&self.requests);
        let h = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        h.count += 1;
        h.sum += secs;
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.buckets[i] += 1;
            }
        }
    }

    /// Counts a request refused by the rate limit named `limit`.
    pub fn record_rate_limited(&self, limit: &'static str) {
        *lock(&self.rate_limited).entry(limit).or_default() += 1;
    }

    /// Counts a validation: `result` is `valid`, `grace` or `invalid`; `error` is core's error
    /// name for an invalid license (empty otherwise).
    pub fn record_validation(&self, result: &'static str, error: &str) {
        *lock(&self.validations)
            .entry((result, error.to_string()))
            .or_default() += 1;
    }

    /// Counts a manifest delivery by `outcome`.
    pub fn record_delivery(&self, outcome: &'static str) {
        *lock(&self.deliveries).entry(outcome).or_default() += 1;
    }

    /// The number of requests counted for `method route status` (for tests and checks).
    pub fn requests(&self, method: &str, route: &str, status: u16) -> u64 {
        lock(&self.requests)
            .get(&(method.to_string(), route.to_string(), status))
            .map_or(0, |h| h.count)
    }

    /// Writes the counters and histograms in the text exposition format.
    pub fn render(&self, out: &mut String) {
        let requests = lock(&self.requests).clone();
        out.push_str("# HELP hwf_http_requests_total HTTP requests by method, matched route and status.\n# TYPE hwf_http_requests_total counter\n");
        for ((m, r, s), h) in &requests {
            let _ = writeln!(
                out,
                "hwf_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {}",
                escape(m),
                escape(r),
                h.count
            );
        }
        out.push_str("# HELP hwf_http_request_duration_seconds HTTP request latency by method, matched route and status.\n# TYPE hwf_http_request_duration_seconds histogram\n");
        for ((m, r, s), h) in &requests {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{s}\"",
                escape(m),
                escape(r)
            );
            for (le, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "hwf_http_request_duration_seconds_bucket{{{labels},le=\"{}\"}} {n}",
                    num(*le)
                );
            }
            let _ = writeln!(
                out,
                "hwf_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "hwf_http_request_duration_seconds_sum{{{labels}}} {}",
                num(h.sum)
            );
            let _ = writeln!(
                out,
                "hwf_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP hwf_rate_limited_total Requests answered 429 by rate limit.\n# TYPE hwf_rate_limited_total counter\n");
        for (l, n) in lock(&self.rate_limited).iter() {
            let _ = writeln!(out, "hwf_rate_limited_total{{limit=\"{l}\"}} {n}");
        }
        out.push_str("# HELP hwf_validations_total License validations (POST /api/validate) by result and error name.\n# TYPE hwf_validations_total counter\n");
        for ((r, e), n) in lock(&self.validations).iter() {
            if e.is_empty() {
                let _ = writeln!(out, "hwf_validations_total{{result=\"{r}\"}} {n}");
            } else {
                let _ = writeln!(
                    out,
                    "hwf_validations_total{{result=\"{r}\",error=\"{}\"}} {n}",
                    escape(e)
                );
            }
        }
        out.push_str("# HELP hwf_manifest_deliveries_total Manifest deliveries to the Root by outcome.\n# TYPE hwf_manifest_deliveries_total counter\n");
        for (o, n) in lock(&self.deliveries).iter() {
            let _ = writeln!(out, "hwf_manifest_deliveries_total{{outcome=\"{o}\"}} {n}");
        }
    }
}

/// Writes one gauge with its HELP and TYPE lines; `samples` are `(labels, value)` where labels
/// is `""` or `name="value",…` (already escaped).
pub fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {}", num(*v));
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {}", num(*v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        m.record_validation("invalid", "bad\"sig");
        let mut out = String::new();
        m.render(&mut out);
        let l = "method=\"GET\",route=\"/api/sites/{site_id}\",status=\"200\"";
        assert!(out.contains(&format!("hwf_http_requests_total{{{l}}} 2\n")));
        assert!(out.contains(&format!(
            "hwf_http_request_duration_seconds_bucket{{{l},le=\"0.001\"}} 0\n"
        )));
        assert!(out.contains(&format!(
            "hwf_http_request_duration_seconds_bucket{{{l},le=\"0.005\"}} 1\n"
        )));
        assert!(out.contains(&format!(
            "hwf_http_request_duration_seconds_bucket{{{l},le=\"0.5\"}} 2\n"
        )));
        assert!(out.contains(&format!(
            "hwf_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 2\n"
        )));
        assert!(out.contains("hwf_validations_total{result=\"invalid\",error=\"bad\\\"sig\"} 1\n"));
        assert_eq!(m.requests("GET", "/api/sites/{site_id}", 200), 2);
    }
}
