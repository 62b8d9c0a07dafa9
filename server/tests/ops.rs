//! Operations: health and readiness, request ids, Prometheus metrics, rate limits, alerts (on
//! the suite's database, see `common`), and logs that carry no secret (the real binary on
//! SQLite, its stderr captured).

mod common;

use std::time::Duration;

use hwf_license::SigningKey;
use hwf_license_server::app::App;
use hwf_license_server::config::{HttpConfig, Rate};
use hwf_license_server::service::alerts::{Alert, AlertWatch, Change};
use hwf_license_server::service::clock::{Clock, ManualClock, SharedClock};
use hwf_license_server::service::keys::Sealer;
use reqwest::Method;
use serde_json::{json, Value};

/// The bearer token of `/metrics` (a scraper's: it does not expire with the clock).
const METRICS_TOKEN: &str = "ops metrics token 5b1e";
const DAY: i64 = 86_400;

/// The two per-client limits of a test server.
#[derive(Clone, Copy)]
struct RateLimits {
    login: Rate,
    node: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        let h = HttpConfig::default();
        Self {
            login: h.rate_limit_login,
            node: h.rate_limit_node,
        }
    }
}

struct Srv {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    http: reqwest::Client,
    password: String,
    /// The Hub admin's token, with a fresh second factor.
    admin: String,
    /// The Root admin's token, with a fresh second factor.
    root_admin: String,
    /// The Hub admin's TOTP secret (base32).
    secret: String,
    clock: SharedClock,
    _task: tokio::task::JoinHandle<()>,
}

struct Res {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    body: Value,
}

impl Srv {
    async fn start(limits: RateLimits) -> Srv {
        Self::start_at(limits, hwf_license_server::service::clock::system()).await
    }

    /// A server whose services read `clock`.
    async fn start_at(limits: RateLimits, clock: SharedClock) -> Srv {
        let common::Served {
            dir,
            app,
            base,
            password,
            task,
        } = common::serve_both(clock.clone(), |config| {
            config.http.rate_limit_login = limits.login;
            config.http.rate_limit_node = limits.node;
            config.secrets.metrics_token = Some(METRICS_TOKEN.into());
        })
        .await;
        let mut s = Srv {
            _dir: dir,
            app,
            base,
            http: reqwest::Client::new(),
            password,
            admin: String::new(),
            root_admin: String::new(),
            secret: String::new(),
            clock,
            _task: task,
        };
        (s.root_admin, _) = s.enrol("root").await;
        (s.admin, s.secret) = s.enrol("hub").await;
        s
    }

    /// Signs the first admin of `realm` in and enrols a TOTP factor: the token with a fresh
    /// second factor, and the secret.
    async fn enrol(&self, realm: &str) -> (String, String) {
        let body = json!({"username": "admin", "password": self.password, "realm": realm});
        let r = self
            .call(Method::POST, "/api/auth/login", None, Some(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let t = r.body["token"].as_str().unwrap().to_string();
        let e = self
            .call(Method::POST, "/api/auth/totp/enrol", Some(&t), None)
            .await;
        let secret = e.body["secret"].as_str().unwrap().to_string();
        let code =
            hwf_license_server::service::totp::code_from_base32(&secret, self.clock.now()).unwrap();
        let c = self
            .call(
                Method::POST,
                "/api/auth/totp/confirm",
                Some(&t),
                Some(json!({ "code": code })),
            )
            .await;
        assert_eq!(c.status, 200, "{}", c.text);
        (
            c.body["login"]["token"].as_str().unwrap().to_string(),
            secret,
        )
    }

    /// Signs `user` in to the Hub; the Hub admin with the password sends the next TOTP code
    /// (one time step ahead of the clock, accepted within the ±1 step).
    async fn login(&self, user: &str, password: &str) -> Res {
        let mut body = json!({"username": user, "password": password});
        if user == "admin" && password == self.password && !self.secret.is_empty() {
            body["code"] = json!(hwf_license_server::service::totp::code_from_base32(
                &self.secret,
                self.clock.now() + 30
            )
            .unwrap());
        }
        self.call(Method::POST, "/api/auth/login", None, Some(body))
            .await
    }

    async fn call(&self, m: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        let mut req = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.unwrap()).await
    }

    async fn admin(&self, m: Method, path: &str, body: Option<Value>) -> Res {
        let token = match path.starts_with("/api/root/") {
            true => &self.root_admin,
            false => &self.admin,
        };
        self.call(m, path, Some(token), body).await
    }

    fn hub(&self) -> &std::sync::Arc<hwf_license_server::service::hub::Hub> {
        self.app.services.hub.as_ref().unwrap()
    }

    /// Issues a CML (`valid_days`, `max_sites`) for this Hub and installs it.
    async fn install(&self, max_sites: u32, valid_days: u32) {
        let r = self
            .admin(
                Method::POST,
                "/api/root/cml",
                Some(
                    json!({"org_id": "acme", "org_key": self.hub().org_public_key().to_pem(),
                    "max_sites": max_sites, "valid_days": valid_days,
                    "feature_packs": ["analytics"], "environment": "prod"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = self
            .admin(
                Method::POST,
                "/api/cml/upload",
                Some(json!({"cml": r.body["cml"]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    async fn create(&self, site_id: &str) -> Value {
        let r = self
            .admin(
                Method::POST,
                "/api/sites/create",
                Some(json!({"site_id": site_id})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    async fn metrics(&self) -> String {
        let r = self
            .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers["content-type"],
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        assert!(r.text.ends_with("# EOF\n"), "{}", r.text);
        r.text
    }
}

async fn read(res: reqwest::Response) -> Res {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res {
        status,
        headers,
        text,
        body,
    }
}

/// The value of the sample `name{labels}` (exact label text) in a scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_request_ids_and_metrics() {
    let s = Srv::start(RateLimits::default()).await;
    let r = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")));
    assert_eq!(
        s.call(Method::GET, "/api/health", None, None).await.status,
        200
    );

    // Request ids: a sane one is echoed, anything else is replaced by a fresh one.
    let with_id = |id: &str| {
        s.http
            .get(format!("{}/healthz", s.base))
            .header("x-request-id", id)
            .send()
    };
    let r = with_id("trace-42:a.b_c").await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42:a.b_c");
    for bad in ["has space", "x\"y", &"a".repeat(129)] {
        let r = with_id(bad).await.unwrap();
        let got = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(got, bad);
        assert!(
            got.len() == 32 && got.bytes().all(|b| b.is_ascii_hexdigit()),
            "{got}"
        );
    }
    let a = s.call(Method::GET, "/healthz", None, None).await;
    let b = s.call(Method::GET, "/healthz", None, None).await;
    assert_ne!(a.headers["x-request-id"], b.headers["x-request-id"]);

    // A scenario to count: sites, a lookup of a known and an unknown site, validations, a
    // manifest sent.
    s.install(10, 365).await;
    let created = s.create("plant-1").await;
    s.create("plant-2").await;
    let license = created["license"].as_str().unwrap();
    assert_eq!(
        s.admin(Method::GET, "/api/sites/plant-1", None)
            .await
            .status,
        200
    );
    assert_eq!(
        s.admin(Method::GET, "/api/sites/nowhere-7", None)
            .await
            .status,
        404
    );
    for _ in 0..3 {
        let r = s
            .call(
                Method::POST,
                "/api/validate",
                None,
                Some(json!({"license": license})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let mut tampered: Value = serde_json::from_str(license).unwrap();
    let site = tampered["site"].as_str().unwrap().to_string();
    let flip = if site.ends_with('A') { "B" } else { "A" };
    tampered["site"] = json!(format!("{}{flip}", &site[..site.len() - 1]));
    let r = s
        .call(
            Method::POST,
            "/api/validate",
            None,
            Some(json!({"license": tampered.to_string()})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let error = r.body["error"].as_str().unwrap().to_string();
    let r = s
        .admin(Method::POST, "/api/manifests/generate", Some(json!({})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .admin(
            Method::POST,
            "/api/manifests/send",
            Some(json!({"id": r.body["id"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        s.call(Method::GET, "/no/such/thing", None, None)
            .await
            .status,
        404
    );

    let m = s.metrics().await;
    let route = |method: &str, route: &str, status: u16| {
        sample(
            &m,
            &format!(
                "hwf_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(route("GET", "/api/sites/{site_id}", 200), Some(1.0), "{m}");
    assert_eq!(route("GET", "/api/sites/{site_id}", 404), Some(1.0), "{m}");
    assert_eq!(route("POST", "/api/sites/create", 201), Some(2.0), "{m}");
    assert_eq!(route("POST", "/api/validate", 200), Some(3.0), "{m}");
    assert_eq!(route("GET", "/healthz", 200), Some(7.0), "{m}");
    assert_eq!(route("GET", "unmatched", 404), Some(1.0), "{m}");
    assert!(
        !m.contains("plant-1") && !m.contains("nowhere-7") && !m.contains("/no/such"),
        "raw paths never become labels: {m}"
    );
    let hist = "hwf_http_request_duration_seconds";
    let l = "method=\"POST\",route=\"/api/validate\",status=\"200\"";
    assert_eq!(
        sample(&m, &format!("{hist}_bucket{{le=\"+Inf\",{l}}}")),
        Some(3.0)
    );
    assert_eq!(sample(&m, &format!("{hist}_count{{{l}}}")), Some(3.0));
    assert!(sample(&m, &format!("{hist}_sum{{{l}}}")).unwrap() > 0.0);
    assert_eq!(
        sample(&m, "hwf_validations_total{result=\"valid\"}"),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &m,
            &format!("hwf_validations_total{{result=\"invalid\",error=\"{error}\"}}")
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "hwf_manifest_deliveries_total{outcome=\"sent\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&m, "hwf_manifests{status=\"sent\"}"), Some(1.0));
    assert_eq!(sample(&m, "hwf_active_sites"), Some(2.0));
    assert_eq!(sample(&m, "hwf_cml_max_sites"), Some(10.0));
    // cml_installed, 2 × site_created, manifest_generated.
    let ledger = sample(&m, "hwf_ledger_length").unwrap();
    let (len, _) = s.hub().ledger_head().await.unwrap();
    assert_eq!(ledger, len as f64);
    assert!(ledger >= 4.0);
    assert_eq!(sample(&m, "hwf_alerts{kind=\"cml_expiring\"}"), Some(0.0));
    // Every sample line parses as `name{labels} value` or `name value`.
    for line in m.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = line.rsplit_once(' ').unwrap();
        assert!(v.parse::<f64>().is_ok() || v == "+Inf", "{line}");
    }

    // Readiness follows the database; liveness does not touch it.
    s.app.services.db.close().await;
    let r = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(
        r.body["type"], "urn:hwf-license:problem:not-ready",
        "{}",
        r.text
    );
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{}",
        r.text
    );
    assert_eq!(
        s.call(Method::GET, "/healthz", None, None).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_login_in_a_burst_gets_429_with_retry_after() {
    // Two logins spent by start (one per realm). Wrong guesses go to a name that does not
    // exist: against an account, its own throttle answers first (tests/accounts.rs).
    let s = Srv::start(RateLimits::default()).await;
    for i in 0..8 {
        let r = s.login("nobody", "wrong password!").await;
        assert_eq!(r.status, 401, "login {i}: {}", r.text);
    }
    let r = s.login("admin", &s.password).await;
    assert_eq!(r.status, 429, "the 11th login: {}", r.text);
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "Retry-After {wait}");
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(
        (r.body["type"].as_str(), r.body["status"].as_u64()),
        (Some("urn:hwf-license:problem:rate-limited"), Some(429))
    );
    // Other endpoints are not limited by it.
    assert_eq!(s.admin(Method::GET, "/api/sites", None).await.status, 200);
    let m = s.metrics().await;
    assert_eq!(
        sample(&m, "hwf_rate_limited_total{limit=\"login\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hwf_http_requests_total{method=\"POST\",route=\"/api/auth/login\",status=\"429\"}"
        ),
        Some(1.0)
    );

    // A higher limit lets the 11th through; 0 turns the limit off.
    for login in [Rate::parse("20/min").unwrap(), Rate::OFF] {
        let s = Srv::start(RateLimits {
            login,
            ..RateLimits::default()
        })
        .await;
        for _ in 0..8 {
            assert_eq!(s.login("nobody", "wrong password!").await.status, 401);
        }
        let r = s.login("admin", &s.password).await;
        assert_eq!(r.status, 200, "{login}: {}", r.text);
        if login.is_off() {
            for _ in 0..20 {
                assert_eq!(s.login("nobody", "wrong password!").await.status, 401);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_endpoints_are_limited_per_ip_and_zero_turns_it_off() {
    for (node, expect_429) in [(Rate::parse("2/s:3").unwrap(), true), (Rate::OFF, false)] {
        let s = Srv::start(RateLimits {
            node,
            ..RateLimits::default()
        })
        .await;
        s.install(5, 365).await;
        let site = s.create("node-1").await;
        let license = site["license"].as_str().unwrap();
        let license_id = site["site"]["license_id"].as_str().unwrap();
        let mut statuses = Vec::new();
        for i in 0..6 {
            let r = if i % 2 == 0 {
                s.call(
                    Method::POST,
                    "/api/validate",
                    None,
                    Some(json!({"license": license})),
                )
                .await
            } else {
                s.call(
                    Method::POST,
                    "/api/sites/node-1/heartbeat",
                    None,
                    Some(
                        json!({"license_id": license_id, "nonce": format!("nonce-{i}-0123456789")}),
                    ),
                )
                .await
            };
            if r.status == 429 {
                assert!(r.headers.contains_key("retry-after"));
                assert_eq!(r.body["type"], "urn:hwf-license:problem:rate-limited");
            }
            statuses.push(r.status);
        }
        if expect_429 {
            assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
            assert!(statuses[3..].contains(&429), "{statuses:?}");
        } else {
            assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        }
        // Operator routes are not node routes.
        assert_eq!(s.admin(Method::GET, "/api/sites", None).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_for_cml_expiry_site_limit_and_overdue_manifest() {
    // The services read a clock the test moves (tokens, CML expiry, overdue manifests).
    let clock = ManualClock::at_system_time();
    let s = Srv::start_at(RateLimits::default(), clock.clone()).await;
    // No CML: nothing to say; anonymous callers are refused; every role may read.
    let r = s.admin(Method::GET, "/api/alerts", None).await;
    assert_eq!((r.status, r.body.clone()), (200, json!([])));
    assert_eq!(
        s.call(Method::GET, "/api/alerts", None, None).await.status,
        401
    );
    let r = s
        .admin(
            Method::POST,
            "/api/users",
            Some(json!({"username": "vera", "password": "vera-password-long", "role": "viewer"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let viewer = s.login("vera", "vera-password-long").await.body["token"]
        .as_str()
        .unwrap()
        .to_string();

    // A CML valid for 3 days, 10 sites.
    s.install(10, 3).await;
    let kinds = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let r = s
        .call(Method::GET, "/api/alerts", Some(&viewer), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(kinds(&r.body), ["cml_expiring"], "{}", r.text);
    let a = &r.body[0];
    assert_eq!(a["severity"], "warning");
    assert!(
        a["message"].as_str().unwrap().contains("expires in "),
        "{a}"
    );
    let left = a["details"]["seconds_left"].as_i64().unwrap();
    assert!((3 * DAY - 60..=3 * DAY).contains(&left), "{a}");
    let until = a["details"]["valid_until"].as_i64().unwrap();
    assert_eq!(a["since"].as_i64(), Some(until - 7 * DAY));

    // 9 of 10 active is 90%: not above. The 10th raises it, as critical.
    for i in 0..9 {
        s.create(&format!("s-{i}")).await;
    }
    let r = s.admin(Method::GET, "/api/alerts", None).await;
    assert_eq!(kinds(&r.body), ["cml_expiring"], "{}", r.text);
    s.create("s-9").await;
    let r = s.admin(Method::GET, "/api/alerts", None).await;
    assert_eq!(
        kinds(&r.body),
        ["cml_expiring", "sites_near_limit"],
        "{}",
        r.text
    );
    assert_eq!(r.body[1]["severity"], "critical");
    assert_eq!(
        r.body[1]["details"],
        json!({"active_sites": 10, "max_sites": 10})
    );
    let r = s.admin(Method::DELETE, "/api/sites/s-9", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.admin(Method::GET, "/api/alerts", None).await;
    assert_eq!(kinds(&r.body), ["cml_expiring"], "{}", r.text);

    // Later on the services' clock: expired, and no manifest ever sent 45 days after the
    // upload. Tokens live an hour on the same clock: the old one has expired by then.
    let t = clock.now();
    let r = s.admin(Method::GET, "/api/cml", None).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["days_left"].as_u64()),
        (Some("expiring"), Some(3)),
        "{}",
        r.text
    );
    // Four days on, the CML has ended but its 30 days of grace run (core's standing).
    clock.advance(4 * DAY);
    let admin = token(&s.login("admin", &s.password).await);
    let r = s.call(Method::GET, "/api/cml", Some(&admin), None).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["days_left"].as_u64()),
        (Some("grace"), Some(29)),
        "{}",
        r.text
    );
    // In grace the site licenses still validate: `cml_grace`, not `cml_expired`.
    let graced = alerts_with(&s, &admin).await;
    assert_eq!(kinds(&graced), ["cml_grace"], "{graced}");
    assert_eq!(graced[0]["severity"], "critical");
    assert_eq!(graced[0]["since"].as_i64(), Some(until));
    assert_eq!(graced[0]["details"]["days_left"].as_u64(), Some(29));
    clock.set(t + 44 * DAY);
    let r = s.admin(Method::GET, "/api/alerts", None).await;
    assert_eq!(
        r.status, 401,
        "the token expired with the clock: {}",
        r.text
    );
    let admin = token(&s.login("admin", &s.password).await);
    let later = alerts_with(&s, &admin).await;
    assert_eq!(kinds(&later), ["cml_expired"], "{later}");
    assert_eq!(later[0]["severity"], "critical");
    // Since the end of its 30 days of grace.
    assert_eq!(later[0]["since"].as_i64(), Some(until + 30 * DAY));
    let cml = s.call(Method::GET, "/api/cml", Some(&admin), None).await;
    assert_eq!(cml.body["status"], "expired", "{}", cml.text);
    assert!(cml.body["days_left"].is_null(), "{}", cml.text);
    assert_eq!(
        sample(&s.metrics().await, "hwf_alerts{kind=\"cml_expired\"}"),
        Some(1.0)
    );
    clock.advance(2 * DAY);
    let admin = token(&s.login("admin", &s.password).await);
    let later = alerts_with(&s, &admin).await;
    assert_eq!(
        kinds(&later),
        ["cml_expired", "manifest_overdue"],
        "{later}"
    );
    let overdue = &later[1];
    assert!(
        overdue["message"]
            .as_str()
            .unwrap()
            .contains("no manifest was ever sent"),
        "{overdue}"
    );
    assert!(overdue["details"]["last_sent_at"].is_null());
    // A manifest accepted by the Root restarts the 45 days (generated and sent back within
    // the CML's life: the clock is set back, the ledger keeps its order).
    clock.set(t);
    let r = s
        .call(
            Method::POST,
            "/api/manifests/generate",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].clone();
    let r = s
        .call(
            Method::POST,
            "/api/manifests/send",
            Some(&admin),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sent_at = clock.now();
    clock.set(sent_at + 44 * DAY);
    assert_eq!(kinds(&alerts_with(&s, &admin).await), ["cml_expired"]);
    // A minute later than the last sign-in: its TOTP code was for that time step.
    clock.set(sent_at + 46 * DAY + 60);
    let admin = token(&s.login("admin", &s.password).await);
    let later = alerts_with(&s, &admin).await;
    assert_eq!(
        kinds(&later),
        ["cml_expired", "manifest_overdue"],
        "{later}"
    );
    assert!(later[1]["message"]
        .as_str()
        .unwrap()
        .contains("last manifest was accepted"));
    assert_eq!(later[1]["details"]["last_sent_at"].as_i64(), Some(sent_at));
    let later: Vec<Alert> = serde_json::from_value(later).unwrap();

    // The watch reports (and logs) each change once.
    let watch = AlertWatch::default();
    assert_eq!(
        watch.observe(&later),
        [
            Change::Raised("cml_expired".into()),
            Change::Raised("manifest_overdue".into())
        ]
    );
    assert_eq!(watch.observe(&later), []);
    assert_eq!(
        watch.observe(&later[..1]),
        [Change::Cleared("manifest_overdue".into())]
    );
    assert_eq!(watch.active(), ["cml_expired"]);
}

/// Every log line of a full scenario run by the real binary, at debug level: none may carry a
/// private key (PEM or JWK `d`), the master secret, the admin password, a token or a license's
/// signature.
#[test]
fn logs_carry_no_secret_or_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let master = Sealer::generate_secret();
    let password = "the admin password 7f3a9c";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.path().join("server.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hwf-license"))
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["serve", "--role", "both", "--insecure-http", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--root-url", &base])
        .env("HWF_MASTER_SECRET", &master)
        .env("HWF_ADMIN_PASSWORD", password)
        .env("HWF_LOG", "debug")
        .env_remove("HWF_LOG_FORMAT")
        .env_remove("HWF_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (token, licenses, factors) = rt.block_on(async {
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
                up = r.status() == 200;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            up,
            "the server did not start: {}",
            std::fs::read_to_string(&log_path).unwrap()
        );
        let call = |m: Method, path: &str, token: Option<&str>, body: Option<Value>| {
            let mut req = http.request(m, format!("{base}{path}"));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                (status, text)
            }
        };
        let ok = |(status, text): (u16, String), want: u16| -> Value {
            assert_eq!(status, want, "{text}");
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        // A failed login too: its password must not be logged either.
        ok(
            call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": "admin", "password": "wrong-but-secret-123"})),
            )
            .await,
            401,
        );
        // Each realm's admin signs in and enrols TOTP: the secret, the codes and the recovery
        // codes must not be logged either.
        let mut tokens = Vec::new();
        let mut factors = Vec::new();
        for realm in ["hub", "root"] {
            let login = ok(
                call(
                    Method::POST,
                    "/api/auth/login",
                    None,
                    Some(json!({"username": "admin", "password": password, "realm": realm})),
                )
                .await,
                200,
            );
            let enrol_only = login["token"].as_str().unwrap().to_string();
            let e = ok(
                call(
                    Method::POST,
                    "/api/auth/totp/enrol",
                    Some(&enrol_only),
                    None,
                )
                .await,
                200,
            );
            let secret = e["secret"].as_str().unwrap().to_string();
            let code = hwf_license_server::service::totp::code_from_base32(
                &secret,
                hwf_license_server::service::clock::system().now(),
            )
            .unwrap();
            let done = ok(
                call(
                    Method::POST,
                    "/api/auth/totp/confirm",
                    Some(&enrol_only),
                    Some(json!({ "code": code })),
                )
                .await,
                200,
            );
            factors.push((format!("{realm} TOTP secret"), secret));
            factors.push((
                format!("{realm} recovery code"),
                done["recovery_codes"][0].as_str().unwrap().into(),
            ));
            tokens.push(done["login"]["token"].as_str().unwrap().to_string());
        }
        let token = tokens[0].clone();
        let t = Some(token.as_str());
        let rt = Some(tokens[1].as_str());
        // The org key the Hub generated, through the CLI-facing key export.
        let keys = ok(call(Method::GET, "/api/root/keys", None, None).await, 200);
        assert!(!keys.as_array().unwrap().is_empty());
        let org_pem = {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_hwf-license"))
                .args(["--data-dir"])
                .arg(dir.path().join("data"))
                .args(["--json", "keys", "org"])
                .env("HWF_MASTER_SECRET", &master)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            v["pem"].as_str().unwrap().to_string()
        };
        let issued = ok(
            call(
                Method::POST,
                "/api/root/cml",
                rt,
                Some(
                    json!({"org_id": "acme", "org_key": org_pem.trim(), "max_sites": 5,
                    "valid_days": 365, "feature_packs": ["analytics"], "environment": "prod"}),
                ),
            )
            .await,
            201,
        );
        ok(
            call(
                Method::POST,
                "/api/cml/upload",
                t,
                Some(json!({"cml": issued["cml"]})),
            )
            .await,
            200,
        );
        let mut licenses = Vec::new();
        for id in ["plant-1", "plant-2"] {
            let created = ok(
                call(
                    Method::POST,
                    "/api/sites/create",
                    t,
                    Some(json!({"site_id": id, "features": ["analytics"],
                        "fingerprint": {"deployment_tag": id}})),
                )
                .await,
                201,
            );
            let (status, lic) =
                call(Method::GET, &format!("/api/sites/{id}/license"), t, None).await;
            assert_eq!(status, 200);
            let hb = ok(
                call(
                    Method::POST,
                    &format!("/api/sites/{id}/heartbeat"),
                    None,
                    Some(json!({"license_id": created["site"]["license_id"],
                        "nonce": "a-fresh-nonce-0123456789"})),
                )
                .await,
                200,
            );
            assert_eq!(hb["status"], "active");
            ok(
                call(
                    Method::POST,
                    "/api/validate",
                    None,
                    Some(json!({"license": lic, "facts": {"deployment_tag": id}})),
                )
                .await,
                200,
            );
            // A failing validation logs its error, not the document.
            ok(
                call(
                    Method::POST,
                    "/api/validate",
                    None,
                    Some(json!({"license": lic, "facts": {"deployment_tag": "elsewhere"}})),
                )
                .await,
                422,
            );
            licenses.push(lic);
        }
        ok(
            call(Method::DELETE, "/api/sites/plant-2", t, None).await,
            200,
        );
        let m = ok(
            call(Method::POST, "/api/manifests/generate", t, Some(json!({}))).await,
            201,
        );
        ok(
            call(
                Method::POST,
                "/api/manifests/send",
                t,
                Some(json!({"id": m["id"]})),
            )
            .await,
            200,
        );
        ok(call(Method::GET, "/api/alerts", t, None).await, 200);
        ok(call(Method::GET, "/api/ledger", t, None).await, 200);
        (token, licenses, factors)
    });
    let child = Kill(child);
    drop(child);
    let log = std::fs::read_to_string(&log_path).unwrap();

    // The log is JSON lines, one access line per request with its id, route and status.
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert!(access.len() >= 20, "{log}");
    for a in &access {
        for f in ["request_id", "method", "route", "status", "latency_ms"] {
            assert!(!a[f].is_null(), "{f} missing: {a}");
        }
    }
    assert!(access
        .iter()
        .any(|a| a["route"] == "/api/sites/{site_id}/license"
            && a["status"] == 200
            && a["method"] == "GET"));

    // The secrets of the run.
    let sealer = Sealer::new(&master).unwrap();
    let keys: Vec<SigningKey> = rt.block_on(async {
        let db = hwf_license_server::store::Db::connect(&hwf_license_server::store::sqlite_url(
            &dir.path().join("data"),
        ))
        .await
        .unwrap();
        use sqlx::Row;
        let names: Vec<String> = sqlx::query("SELECT name FROM secrets")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
        let mut keys = Vec::new();
        for n in names {
            keys.push(sealer.load_key(&db, &n).await.unwrap().unwrap());
        }
        keys
    });
    assert_eq!(keys.len(), 5, "org key, two root keys, two receipt keys");
    let mut secrets: Vec<(String, String)> = vec![
        ("master secret".into(), master.clone()),
        ("admin password".into(), password.into()),
        (
            "failed login's password".into(),
            "wrong-but-secret-123".into(),
        ),
        ("JWT".into(), token.clone()),
        (
            "JWT signature".into(),
            token.rsplit('.').next().unwrap().into(),
        ),
    ];
    secrets.extend(factors);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for (i, k) in keys.iter().enumerate() {
        let pem = k.to_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        secrets.push((format!("key {i} PEM"), body.clone()));
        secrets.push((
            format!("key {i} PEM line"),
            pem.lines().nth(1).unwrap().into(),
        ));
        secrets.push((format!("key {i} JWK d"), b64.encode(k.to_bytes())));
        secrets.push((format!("key {i} hex"), hex::encode(k.to_bytes())));
    }
    for (i, lic) in licenses.iter().enumerate() {
        let file: Value = serde_json::from_str(lic).unwrap();
        for part in ["site", "cml"] {
            let jws = file[part].as_str().unwrap();
            secrets.push((
                format!("site.lic {i} {part} signature"),
                jws.rsplit('.').next().unwrap().into(),
            ));
            secrets.push((format!("site.lic {i} {part}"), jws.into()));
        }
    }
    for (what, secret) in &secrets {
        assert!(secret.len() >= 16, "{what} is too short to search for");
        assert!(
            !log.contains(secret.as_str()),
            "the log contains the {what}"
        );
    }
}

/// The token of a login answer.
fn token(r: &Res) -> String {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["token"].as_str().unwrap().to_string()
}

/// `GET /api/alerts` with `token`.
async fn alerts_with(s: &Srv, token: &str) -> Value {
    let r = s.call(Method::GET, "/api/alerts", Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}
