//! Accounts that hold (issue 17), over real HTTP on the suite's database (see `common`), with
//! the services' clock in the test's hands: per-account throttling and lockout whatever the
//! client address, tokens that die with their user's generation and are bound to the
//! deployment and realm, TOTP second factors (replay refused, recovery codes once), step-up for
//! admin actions, service tokens, Root and Hub accounts apart, bounded audit names, and private
//! data files.

mod common;

use common::CHEAP;

use std::net::IpAddr;
use std::sync::Arc;

use hwf_license_server::app::App;
use hwf_license_server::config::Config;
use hwf_license_server::service::clock::{Clock, ManualClock};
use hwf_license_server::service::keys::Sealer;
use hwf_license_server::service::totp;
use reqwest::Method;
use serde_json::{json, Value};

struct Srv {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    clock: Arc<ManualClock>,
    password: String,
    /// The Hub admin's token with a fresh second factor, and its TOTP secret.
    admin: String,
    secret: String,
    root_admin: String,
    _task: tokio::task::JoinHandle<()>,
}

struct Res {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Res {
    fn slug(&self) -> &str {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("urn:hwf-license:problem:")
    }
}

impl Srv {
    async fn start() -> Srv {
        Self::start_with(|_| {}).await
    }

    async fn start_with(tune: impl FnOnce(&mut Config)) -> Srv {
        let clock = ManualClock::at_system_time();
        let common::Served {
            dir,
            app,
            base,
            password,
            task,
        } = common::serve_both(clock.clone(), tune).await;
        let mut s = Srv {
            _dir: dir,
            app,
            base,
            clock,
            password,
            admin: String::new(),
            secret: String::new(),
            root_admin: String::new(),
            _task: task,
        };
        (s.root_admin, _) = s.enrol("root", "admin", &s.password.clone()).await;
        (s.admin, s.secret) = s.enrol("hub", "admin", &s.password.clone()).await;
        s
    }

    /// Signs `user` of `realm` in and enrols TOTP as a client would: the token with a fresh
    /// second factor and the secret (base32).
    async fn enrol(&self, realm: &str, user: &str, password: &str) -> (String, String) {
        let r = self.login_as(realm, user, password, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let t = r.body["token"].as_str().unwrap().to_string();
        let e = self
            .call(Method::POST, "/api/auth/totp/enrol", Some(&t), None)
            .await;
        assert_eq!(e.status, 200, "{}", e.body);
        assert!(e.body["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/"));
        assert!(e.body["qr_svg"].as_str().unwrap().contains("<svg"));
        let secret = e.body["secret"].as_str().unwrap().to_string();
        let c = self
            .call(
                Method::POST,
                "/api/auth/totp/confirm",
                Some(&t),
                Some(json!({ "code": self.code(&secret) })),
            )
            .await;
        assert_eq!(c.status, 200, "{}", c.body);
        assert_eq!(c.body["recovery_codes"].as_array().unwrap().len(), 10);
        (
            c.body["login"]["token"].as_str().unwrap().to_string(),
            secret,
        )
    }

    /// The TOTP code of `secret` at the services' clock.
    fn code(&self, secret: &str) -> String {
        totp::code_from_base32(secret, self.clock.now()).unwrap()
    }

    async fn login_as(&self, realm: &str, user: &str, password: &str, code: Option<&str>) -> Res {
        let mut body = json!({"username": user, "password": password, "realm": realm});
        if let Some(c) = code {
            body["code"] = json!(c);
        }
        self.call(Method::POST, "/api/auth/login", None, Some(body))
            .await
    }

    async fn call(&self, m: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        self.call_from(None, m, path, token, body).await
    }

    /// A request whose connection comes from `from` (another loopback address).
    async fn call_from(
        &self,
        from: Option<IpAddr>,
        m: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let http = reqwest::Client::builder()
            .local_address(from)
            .build()
            .unwrap();
        let mut req = http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Res {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn add_user(&self, name: &str, role: &str) -> String {
        let password = format!("{name}-password-long-enough");
        let r = self
            .call(
                Method::POST,
                "/api/users",
                Some(&self.admin),
                Some(json!({"username": name, "password": password, "role": role})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        password
    }

    async fn token(&self, name: &str, password: &str) -> String {
        let r = self.login_as("hub", name, password, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    async fn audit(&self) -> Vec<Value> {
        let r = self
            .call(
                Method::GET,
                "/api/audit?limit=1000",
                Some(&self.admin),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["entries"].as_array().unwrap().clone()
    }
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_two_guesses_from_two_addresses_against_one_account_are_throttled() {
    let s = Srv::start().await; // per-address limit: the default 10/min, burst 10
    let password = s.add_user("olga", "operator").await;
    let (mut checked, mut throttled, mut address_limited) = (0, 0, 0);
    for i in 0..22 {
        let from = if i % 2 == 0 { "127.0.0.4" } else { "127.0.0.5" };
        let r = s
            .call_from(
                ip(from),
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": "olga", "password": format!("guess number {i}")})),
            )
            .await;
        match (r.status, r.slug()) {
            (401, "unauthorized") => checked += 1,
            (429, "login-throttled") => {
                throttled += 1;
                let wait: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
                assert_eq!(wait, 1, "one second after the fifth failure");
            }
            (429, "rate-limited") => address_limited += 1,
            other => panic!("guess {i}: {other:?} {}", r.body),
        }
    }
    // Per address alone, 20 of the 22 guesses would have been checked (10 a minute each).
    assert_eq!((checked, throttled, address_limited), (5, 15, 2));
    // The right password from a third address is refused too while the account waits.
    let r = s
        .call_from(
            ip("127.0.0.3"),
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "olga", "password": password})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (429, "login-throttled"), "{}", r.body);

    // The waits double (1, 2, 4, 8, 16 s); the tenth failure locks the account for an hour.
    for (n, wait) in [(6, 1), (7, 2), (8, 4), (9, 8), (10, 16)] {
        s.clock.advance(wait);
        let r = s
            .call_from(
                ip(&format!("127.0.1.{n}")),
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": "olga", "password": "still guessing"})),
            )
            .await;
        assert_eq!((r.status, r.slug()), (401, "unauthorized"), "failure {n}");
    }
    s.clock.advance(3000);
    let r = s
        .call_from(
            ip("127.0.2.1"),
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "olga", "password": password})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (423, "account-locked"), "{}", r.body);
    let left: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((500..=600).contains(&left), "{left}");

    // The lock is audited as the system's, and the admin sees it and unlocks the account.
    let audit = s.audit().await;
    let locked: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "auth.locked")
        .collect();
    assert_eq!(locked.len(), 1, "{audit:?}");
    assert_eq!(locked[0]["actor"], "system:login-throttle");
    assert_eq!(locked[0]["target"], "olga");
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "auth.login_failed" && e["target"] == "olga")
            .count(),
        10,
        "only the checked guesses reached the password"
    );
    s.clock.advance(30); // a later time step for the step-up code
    let up = s
        .call(
            Method::POST,
            "/api/auth/step-up",
            Some(&s.admin),
            Some(json!({ "code": s.code(&s.secret) })),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let admin = up.body["token"].as_str().unwrap().to_string();
    let users = s.call(Method::GET, "/api/users", Some(&admin), None).await;
    let olga = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "olga")
        .unwrap()
        .clone();
    assert_eq!(olga["failed_logins"], 10);
    assert!(olga["locked_until"].as_i64().unwrap() > s.clock.now());
    // The alert, for the realm's admins.
    let alerts = s.call(Method::GET, "/api/alerts", Some(&admin), None).await;
    let lock = alerts
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "account_locked")
        .unwrap_or_else(|| panic!("{}", alerts.body))
        .clone();
    assert_eq!(lock["details"]["accounts"][0]["username"], "olga");
    assert!(lock["message"].as_str().unwrap().contains("olga"));
    let root_alerts = s
        .call(Method::GET, "/api/alerts", Some(&s.root_admin), None)
        .await;
    assert!(
        !root_alerts.body.to_string().contains("account_locked"),
        "the Root's admins see their own realm: {}",
        root_alerts.body
    );
    let r = s
        .call(Method::POST, "/api/users/olga/unlock", Some(&admin), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let alerts = s.call(Method::GET, "/api/alerts", Some(&admin), None).await;
    assert!(
        !alerts.body.to_string().contains("account_locked"),
        "cleared"
    );
    let r = s
        .call_from(
            ip("127.0.2.2"),
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "olga", "password": password})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_token_after_delete_and_recreate_gets_401_and_so_after_logout_password_and_role_changes(
) {
    let s = Srv::start().await;
    let password = s.add_user("vic", "viewer").await;
    let old = s.token("vic", &password).await;
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&old), None)
            .await
            .status,
        200
    );
    let r = s
        .call(Method::DELETE, "/api/users/vic", Some(&s.admin), None)
        .await;
    assert_eq!(r.status, 204);
    // The same name again, now an operator: the old token must not come back with it.
    let r = s
        .call(
            Method::POST,
            "/api/users",
            Some(&s.admin),
            Some(json!({"username": "vic", "password": password, "role": "operator"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s.call(Method::GET, "/api/sites", Some(&old), None).await;
    assert_eq!((r.status, r.slug()), (401, "unauthorized"), "{}", r.body);
    let r = s
        .call(
            Method::POST,
            "/api/sites/create",
            Some(&old),
            Some(json!({"site_id": "x"})),
        )
        .await;
    assert_eq!(r.status, 401);

    // Sign-out ends every token of the user.
    let a = s.token("vic", &password).await;
    let b = s.token("vic", &password).await;
    let r = s
        .call(Method::POST, "/api/auth/logout", Some(&a), None)
        .await;
    assert_eq!(r.status, 204);
    for t in [&a, &b] {
        assert_eq!(
            s.call(Method::GET, "/api/sites", Some(t), None)
                .await
                .status,
            401
        );
    }
    // A password change answers a new token; the old ones stop working.
    let c = s.token("vic", &password).await;
    let r = s
        .call(
            Method::POST,
            "/api/auth/password",
            Some(&c),
            Some(
                json!({"current_password": "not it at all", "new_password": "a new long password"}),
            ),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = s
        .call(
            Method::POST,
            "/api/auth/password",
            Some(&c),
            Some(json!({"current_password": password, "new_password": "a new long password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&c), None)
            .await
            .status,
        401
    );
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&d), None)
            .await
            .status,
        200
    );
    assert_eq!(s.login_as("hub", "vic", &password, None).await.status, 401);
    // A role change too.
    let r = s
        .call(
            Method::POST,
            "/api/users/vic/role",
            Some(&s.admin),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&d), None)
            .await
            .status,
        401
    );
    let e = s.token("vic", "a new long password").await;
    let r = s
        .call(
            Method::POST,
            "/api/sites/create",
            Some(&e),
            Some(json!({"site_id": "x"})),
        )
        .await;
    assert_eq!(r.status, 403, "viewer now: {}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_bound_to_their_deployment_and_realm() {
    let master = Sealer::generate_secret();
    let with_master = |c: &mut Config| {
        c.secrets = hwf_license_server::config::Secrets::with_master(master.clone())
    };
    let a = Srv::start_with(with_master).await;
    let b = Srv::start_with(|c: &mut Config| {
        c.secrets = hwf_license_server::config::Secrets::with_master(master.clone())
    })
    .await;
    // Same master secret, another deployment: its tokens are refused.
    let r = b
        .call(Method::GET, "/api/sites", Some(&a.admin), None)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        a.call(Method::GET, "/api/sites", Some(&a.admin), None)
            .await
            .status,
        200
    );

    // One process serving both: a Hub viewer cannot read the Root's compliance, a Hub admin
    // cannot issue CMLs, a Root admin cannot upload CMLs or mint sites.
    let password = a.add_user("hilda", "viewer").await;
    let viewer = a.token("hilda", &password).await;
    let r = a
        .call(Method::GET, "/api/root/orgs", Some(&viewer), None)
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"), "{}", r.body);
    let org = a
        .app
        .services
        .hub
        .as_ref()
        .unwrap()
        .org_public_key()
        .to_pem();
    let issue = json!({"org_id": "acme", "org_key": org, "max_sites": 3, "valid_days": 30,
        "environment": "prod"});
    let r = a
        .call(
            Method::POST,
            "/api/root/cml",
            Some(&a.admin),
            Some(issue.clone()),
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"), "{}", r.body);
    let r = a
        .call(
            Method::POST,
            "/api/root/cml",
            Some(&a.root_admin),
            Some(issue),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let cml = r.body["cml"].clone();
    let r = a
        .call(
            Method::POST,
            "/api/cml/upload",
            Some(&a.root_admin),
            Some(json!({"cml": cml})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Hub accounts do not sign in to the Root: the realms hold separate users.
    assert_eq!(
        a.login_as("root", "hilda", &password, None).await.status,
        401
    );
    let users = a
        .call(Method::GET, "/api/users", Some(&a.root_admin), None)
        .await;
    let names: Vec<&str> = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin"]);
    // The audit log of each realm holds its own entries.
    let root_audit = a
        .call(
            Method::GET,
            "/api/audit?limit=1000",
            Some(&a.root_admin),
            None,
        )
        .await;
    let entries = root_audit.body["entries"].as_array().unwrap();
    let issue = entries
        .iter()
        .find(|e| e["action"] == "root.cml.issue")
        .unwrap_or_else(|| panic!("{entries:?}"));
    assert_eq!(
        (issue["actor"].as_str(), issue["realm"].as_str()),
        (Some("admin"), Some("root"))
    );
    assert!(entries.iter().all(|e| e["realm"] != "hub"), "{entries:?}");
    let hub_audit = a
        .call(Method::GET, "/api/audit?limit=1000", Some(&a.admin), None)
        .await;
    let hub_entries = hub_audit.body["entries"].as_array().unwrap();
    assert!(
        hub_entries.iter().all(|e| e["realm"] != "root"),
        "{hub_entries:?}"
    );
    assert!(hub_entries.iter().any(|e| e["action"] == "user.create"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_action_without_a_recent_second_factor_gets_step_up_required() {
    let s = Srv::start().await;
    let new_user = |name: &str| json!({"username": name, "password": "long enough password", "role": "viewer"});
    let r = s
        .call(
            Method::POST,
            "/api/users",
            Some(&s.admin),
            Some(new_user("u1")),
        )
        .await;
    assert_eq!(r.status, 201, "fresh second factor: {}", r.body);
    s.clock.advance(14 * 60);
    let r = s
        .call(
            Method::POST,
            "/api/users",
            Some(&s.admin),
            Some(new_user("u2")),
        )
        .await;
    assert_eq!(r.status, 201, "within the 15 minutes: {}", r.body);
    s.clock.advance(2 * 60);
    for (m, path, body) in [
        (Method::POST, "/api/users", Some(new_user("u3"))),
        (Method::DELETE, "/api/users/u1", None),
        (
            Method::POST,
            "/api/cml/upload",
            Some(json!({"cml": "a.b.c"})),
        ),
        (
            Method::POST,
            "/api/manifests/send",
            Some(json!({"period": "2026-01"})),
        ),
        (
            Method::POST,
            "/api/service-tokens",
            Some(json!({"name": "ci", "role": "viewer", "days": 1})),
        ),
    ] {
        let r = s.call(m.clone(), path, Some(&s.admin), body).await;
        assert_eq!(
            (r.status, r.slug()),
            (403, "step-up-required"),
            "{m} {path}: {}",
            r.body
        );
        assert!(r.body["detail"].as_str().unwrap().contains("15 minutes"));
    }
    let r = s
        .call(
            Method::POST,
            "/api/root/cml/refresh",
            Some(&s.root_admin),
            Some(json!({"org_id": "nobody"})),
        )
        .await;
    assert_eq!(
        (r.status, r.slug()),
        (403, "step-up-required"),
        "{}",
        r.body
    );
    // Replacing the enrolled factor needs a step-up too.
    let r = s
        .call(Method::POST, "/api/auth/totp/enrol", Some(&s.admin), None)
        .await;
    assert_eq!(
        (r.status, r.slug()),
        (403, "step-up-required"),
        "{}",
        r.body
    );
    // Reads need no step-up.
    assert_eq!(
        s.call(Method::GET, "/api/users", Some(&s.admin), None)
            .await
            .status,
        200
    );
    // A step-up renews the window.
    let r = s
        .call(
            Method::POST,
            "/api/auth/step-up",
            Some(&s.admin),
            Some(json!({ "code": s.code(&s.secret) })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["step_up_until"].as_i64(),
        Some(s.clock.now() + 15 * 60)
    );
    let fresh = r.body["token"].as_str().unwrap().to_string();
    let r = s
        .call(
            Method::POST,
            "/api/users",
            Some(&fresh),
            Some(new_user("u3")),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The window is configurable.
    let short = Srv::start_with(|c| c.accounts.step_up_minutes = 1).await;
    short.clock.advance(61);
    let r = short
        .call(
            Method::POST,
            "/api/users",
            Some(&short.admin),
            Some(new_user("u9")),
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "step-up-required"));

    // An admin without a second factor may only enrol: every other route refuses the token.
    s.add_user_via(&fresh, "second-admin", "admin").await;
    let r = s
        .login_as("hub", "second-admin", "second-admin-password-long", None)
        .await;
    assert_eq!((r.status, r.body["scope"].as_str()), (200, Some("enrol")));
    let enrol_only = r.body["token"].as_str().unwrap().to_string();
    for (m, path) in [(Method::GET, "/api/sites"), (Method::GET, "/api/users")] {
        let r = s.call(m, path, Some(&enrol_only), None).await;
        assert_eq!(
            (r.status, r.slug()),
            (403, "mfa-enrolment-required"),
            "{path}"
        );
    }
    let r = s
        .call(
            Method::POST,
            "/api/auth/totp/enrol",
            Some(&enrol_only),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
}

impl Srv {
    async fn add_user_via(&self, admin: &str, name: &str, role: &str) {
        let r = self
            .call(
                Method::POST,
                "/api/users",
                Some(admin),
                Some(json!({"username": name, "password": format!("{name}-password-long"), "role": role})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_totp_code_is_refused_and_a_recovery_code_works_once() {
    let s = Srv::start().await;
    s.clock.advance(30);
    let code = s.code(&s.secret);
    let step_up = |code: String| {
        let s = &s;
        async move {
            s.call(
                Method::POST,
                "/api/auth/step-up",
                Some(&s.admin),
                Some(json!({ "code": code })),
            )
            .await
        }
    };
    assert_eq!(step_up(code.clone()).await.status, 200);
    let again = step_up(code.clone()).await;
    assert_eq!(
        (again.status, again.slug()),
        (401, "unauthorized"),
        "replay"
    );
    // Nor at sign-in, nor the code of an earlier step.
    let r = s.login_as("hub", "admin", &s.password, Some(&code)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let earlier = totp::code_from_base32(&s.secret, s.clock.now() - 30).unwrap();
    assert_eq!(step_up(earlier).await.status, 401);
    // Without a code, an account with a second factor is told so.
    let r = s.login_as("hub", "admin", &s.password, None).await;
    assert_eq!((r.status, r.slug()), (401, "mfa-required"), "{}", r.body);
    // The next step's code works (within ±1 step), then the clock's own step is past.
    let next = totp::code_from_base32(&s.secret, s.clock.now() + 30).unwrap();
    let r = s.login_as("hub", "admin", &s.password, Some(&next)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.clock.advance(2 * 30 + 1);
    let r = s.login_as("hub", "admin", &s.password, Some(&next)).await;
    assert_eq!(r.status, 401, "two steps later: {}", r.body);

    // Recovery codes: each works once, at sign-in or step-up.
    let password = s.add_user("rc-admin", "admin").await;
    let r = s.login_as("hub", "rc-admin", &password, None).await;
    let t = r.body["token"].as_str().unwrap().to_string();
    let e = s
        .call(Method::POST, "/api/auth/totp/enrol", Some(&t), None)
        .await;
    let secret = e.body["secret"].as_str().unwrap().to_string();
    let done = s
        .call(
            Method::POST,
            "/api/auth/totp/confirm",
            Some(&t),
            Some(json!({ "code": s.code(&secret) })),
        )
        .await;
    let codes: Vec<String> = done.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let r = s
        .login_as("hub", "rc-admin", &password, Some(&codes[0]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["step_up_until"].as_i64().is_some());
    let r = s
        .login_as("hub", "rc-admin", &password, Some(&codes[0]))
        .await;
    assert_eq!(r.status, 401, "a recovery code works once: {}", r.body);
    let t = s
        .login_as("hub", "rc-admin", &password, Some(&codes[1].to_uppercase()))
        .await;
    assert_eq!(t.status, 200, "another one, in capitals: {}", t.body);
    // Stored hashed: no code appears in the database.
    use sqlx::Row;
    let rows = sqlx::query("SELECT code_hash FROM recovery_codes")
        .fetch_all(s.app.services.db.pool())
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        30,
        "ten per enrolled account: both first admins and rc-admin"
    );
    for r in &rows {
        let h: String = r.try_get(0).unwrap();
        assert!(codes.iter().all(|c| !h.contains(&c.replace('-', ""))));
        assert_eq!(h.len(), 64);
    }
    let audit = s.audit().await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "auth.recovery_code_used")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_tokens_are_scoped_expiring_revocable_and_never_admin() {
    let s = Srv::start().await;
    let create = |name: &str, role: &str, days: u32| {
        let body = json!({"name": name, "role": role, "days": days});
        let s = &s;
        async move {
            s.call(
                Method::POST,
                "/api/service-tokens",
                Some(&s.admin),
                Some(body),
            )
            .await
        }
    };
    let r = create("deploy-bot", "admin", 30).await;
    assert_eq!((r.status, r.slug()), (422, "invalid-input"), "{}", r.body);
    assert_eq!(create("deploy-bot", "operator", 0).await.status, 422);
    assert_eq!(create("deploy-bot", "operator", 366).await.status, 422);
    let r = create("deploy-bot", "operator", 2).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    let id = r.body["info"]["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("hwfst."));
    // An operator's routes pass, an admin's do not, nor another realm's.
    let r = s
        .call(
            Method::POST,
            "/api/sites/create",
            Some(&token),
            Some(json!({"site_id": "a"})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (409, "no-cml"), "{}", r.body);
    for (m, path) in [
        (Method::GET, "/api/users"),
        (Method::POST, "/api/cml/upload"),
        (Method::GET, "/api/root/orgs"),
    ] {
        let r = s
            .call(m, path, Some(&token), Some(json!({"cml": "x"})))
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    let r = s
        .call(
            Method::POST,
            "/api/auth/step-up",
            Some(&token),
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!(r.status, 403, "a service token cannot step up: {}", r.body);
    // A wrong secret, and the secret is stored hashed.
    let (head, _) = token.rsplit_once('.').unwrap();
    let r = s
        .call(
            Method::GET,
            "/api/sites",
            Some(&format!("{head}.wrong")),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let listed = s
        .call(Method::GET, "/api/service-tokens", Some(&s.admin), None)
        .await;
    assert!(!listed
        .body
        .to_string()
        .contains(token.rsplit('.').next().unwrap()));
    assert_eq!(listed.body[0]["role"], "operator");
    // Expiry on the services' clock, and revocation.
    let later = create("reporter", "viewer", 1).await;
    let later = later.body["token"].as_str().unwrap().to_string();
    s.clock.advance(86_400);
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&later), None)
            .await
            .status,
        401,
        "expired"
    );
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&token), None)
            .await
            .status,
        200
    );
    // (a day later the admin's token has expired: sign in again, with the code)
    let up = s
        .login_as("hub", "admin", &s.password, Some(&s.code(&s.secret)))
        .await;
    let admin = up.body["token"].as_str().unwrap().to_string();
    let r = s
        .call(
            Method::DELETE,
            &format!("/api/service-tokens/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        s.call(Method::GET, "/api/sites", Some(&token), None)
            .await
            .status,
        401,
        "revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_in_the_audit_log_are_bounded_and_sanitised() {
    let s = Srv::start().await;
    let huge = "a".repeat(250_000);
    let r = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": huge, "password": "whatever it is"})),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = s
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "evil\n\u{1b}[31mroot", "password": "whatever it is"})),
        )
        .await;
    assert_eq!(r.status, 401);
    let audit = s.audit().await;
    let failed: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "auth.login_failed")
        .collect();
    assert_eq!(failed.len(), 2);
    for e in &failed {
        for f in ["actor", "target"] {
            let v = e[f].as_str().unwrap();
            assert!(v.chars().count() <= 129, "{f}: {} chars", v.chars().count());
            assert!(!v.chars().any(char::is_control), "{f}: {v:?}");
        }
    }
    assert_eq!(failed[0]["target"], "evil??[31mroot");
    assert!(failed[1]["target"].as_str().unwrap().ends_with('…'));
}

/// The data directory is 0700, the database 0600, and a generated first admin password goes
/// to a 0600 file (its path logged) when stderr is not a terminal, never to the log stream.
#[cfg(unix)]
#[test]
fn data_files_are_private_and_the_first_password_stays_out_of_the_logs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hwf-license"))
        .args(["--data-dir"])
        .arg(&data)
        .args(["user", "list"])
        .env("HWF_MASTER_SECRET", Sealer::generate_secret())
        .env_remove("HWF_ADMIN_PASSWORD")
        .env_remove("HWF_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hwf-license.db")), 0o600);
    let file = data.join("first-admin-password");
    assert_eq!(mode(&file), 0o600);
    let password = std::fs::read_to_string(&file).unwrap();
    let password = password.trim();
    assert!(password.len() >= 20);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(password), "{stderr}");
    assert!(stderr.contains("first-admin-password"), "{stderr}");
    for f in std::fs::read_dir(&data).unwrap() {
        let p = f.unwrap().path();
        assert_eq!(mode(&p) & 0o077, 0, "{} is readable by others", p.display());
    }
}

/// A token holder without the second factor cannot brute-force codes at step-up (nor the
/// password at a password change): those attempts count against the account like sign-ins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_step_up_codes_or_the_current_password_is_throttled() {
    let s = Srv::start().await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let r = s
            .call(
                Method::POST,
                "/api/auth/step-up",
                Some(&s.admin),
                Some(json!({ "code": format!("{:06}", 100_000 + i) })),
            )
            .await;
        statuses.push((r.status, r.slug().to_string()));
    }
    let wrong = (401, "unauthorized".to_string());
    let throttled = (429, "login-throttled".to_string());
    assert_eq!(
        statuses,
        [
            wrong.clone(),
            wrong.clone(),
            wrong.clone(),
            wrong.clone(),
            wrong,
            throttled.clone(),
            throttled.clone()
        ]
    );
    let r = s
        .call(
            Method::POST,
            "/api/auth/password",
            Some(&s.admin),
            Some(json!({"current_password": s.password, "new_password": "another long password"})),
        )
        .await;
    assert_eq!((r.status, r.slug()), (429, "login-throttled"), "{}", r.body);
}

/// A database from before the realms: its users are copied into both realms, keep their
/// passwords, and an admin must enrol a second factor on the next sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_a_database_from_before_the_realms_are_in_both_realms() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(dir.path()).await;
    sqlx::any::install_default_drivers();
    {
        // The tables later migrations change, as migration 1 made them (migration 2: users
        // and audit; migration 5: ledger and sites), with one admin.
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        let serial = match url.starts_with("postgres") {
            true => "BIGSERIAL PRIMARY KEY",
            false => "INTEGER PRIMARY KEY AUTOINCREMENT",
        };
        let audit = format!(
            "CREATE TABLE audit (id {serial}, at BIGINT NOT NULL, actor TEXT NOT NULL, \
             action TEXT NOT NULL, target TEXT, ip TEXT, user_agent TEXT, detail TEXT)"
        );
        for sql in [
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            "INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)",
            "CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, \
             role TEXT NOT NULL, created_at BIGINT NOT NULL)",
            &audit,
            "CREATE TABLE ledger (seq BIGINT PRIMARY KEY, jws TEXT NOT NULL)",
            "CREATE TABLE sites (site_id TEXT PRIMARY KEY, license_id TEXT NOT NULL UNIQUE, \
             cml_id TEXT NOT NULL, product TEXT NOT NULL, tier TEXT NOT NULL, \
             features TEXT NOT NULL, fingerprint TEXT NOT NULL, status TEXT NOT NULL, \
             license TEXT NOT NULL, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, \
             created_at BIGINT NOT NULL, created_by TEXT NOT NULL, revoked_at BIGINT, \
             last_seen BIGINT, seen_day BIGINT)",
            // The Root's tables of version 1 (later migrations add to them).
            "CREATE TABLE root_cmls (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, \
             license_id TEXT NOT NULL, jws TEXT NOT NULL, environment TEXT NOT NULL, \
             max_sites BIGINT NOT NULL, issued_at BIGINT NOT NULL, valid_until BIGINT NOT NULL)",
            "CREATE TABLE root_manifests (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, \
             cml_id TEXT NOT NULL, period TEXT NOT NULL, received_at BIGINT NOT NULL, \
             jws TEXT NOT NULL, total_active_sites BIGINT NOT NULL, ledger_length BIGINT NOT NULL)",
        ] {
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        let hash =
            hwf_license_server::service::accounts::hash_password("an old password", CHEAP).unwrap();
        sqlx::query("INSERT INTO users VALUES ('old-admin', $1, 'admin', 5)")
            .bind(hash)
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let db = hwf_license_server::store::Db::connect(&url).await.unwrap();
    let accounts = hwf_license_server::service::accounts::Accounts::open(
        db,
        Sealer::new(&Sealer::generate_secret()).unwrap(),
        CHEAP,
        hwf_license_server::service::clock::system(),
        &[
            hwf_license_server::domain::Realm::Hub,
            hwf_license_server::domain::Realm::Root,
        ],
        15,
    )
    .await
    .unwrap();
    let origin = hwf_license_server::service::audit::Origin::default();
    for realm in [
        hwf_license_server::domain::Realm::Hub,
        hwf_license_server::domain::Realm::Root,
    ] {
        let a = accounts
            .login(Some(realm), "old-admin", "an old password", None, &origin)
            .await
            .unwrap();
        assert_eq!(
            (a.realm, a.scope),
            (realm, hwf_license_server::service::accounts::Scope::Enrol)
        );
    }
}

/// The same code sent eight times at once is accepted once: the last step and the failure
/// count are updated conditionally, so parallel requests cannot all pass the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_sent_in_parallel_is_accepted_once() {
    let s = Arc::new(Srv::start().await);
    s.clock.advance(30);
    let code = s.code(&s.secret);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (s, code) = (Arc::clone(&s), code.clone());
        tasks.push(tokio::spawn(async move {
            s.call(
                Method::POST,
                "/api/auth/step-up",
                Some(&s.admin),
                Some(json!({ "code": code })),
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|&&st| st == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|st| [200, 401, 429].contains(st)),
        "{statuses:?}"
    );
}
