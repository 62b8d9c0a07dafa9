//! Integration tests over real HTTP on 127.0.0.1 (ephemeral ports), each on its own fresh
//! database: embedded SQLite in a temporary directory, or with `HWF_TEST_DATABASE=postgres` a
//! new PostgreSQL database (see `common`).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use hwf_license::standing::period_of;
use hwf_license::{
    issue, verify_ledger, verify_manifest, Environment, ErrorCode, ManifestClaims, NodeFacts,
    PublicKey, SigningKey, TrustedRoot, Validator,
};
use hwf_license_server::app::App;
use hwf_license_server::config::{Config, HubConfig, Roles};
use hwf_license_server::domain::Role;
use hwf_license_server::service::accounts as auth;
use hwf_license_server::service::keys::{random_id, Sealer};
use hwf_license_server::service::ServiceError;
use reqwest::Method;
use serde_json::{json, Value};

use common::CHEAP;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The suite's configuration of a test server on `database_url`.
fn config(database_url: String, master: &str, root_url: Option<String>) -> Config {
    let mut c = Config::new(database_url, master);
    c.hub.root_url = root_url;
    c.hash_cost = CHEAP;
    // The role table signs in dozens of times; the limits are tested in tests/ops.rs.
    c.http.rate_limit_login = hwf_license_server::config::Rate::OFF;
    c
}

struct Env {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    master: String,
    http: reqwest::Client,
    /// The Hub realm's admin (the Root's when only the Root runs), with a fresh second factor.
    admin: String,
    /// The Root realm's admin, when the Root runs.
    root_admin: String,
    _task: tokio::task::JoinHandle<()>,
}

struct Res {
    status: u16,
    body: Value,
    content_type: String,
}

impl Res {
    fn slug(&self) -> &str {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("urn:hwf-license:problem:")
    }
}

impl Env {
    async fn start(roles: Roles) -> Env {
        Self::start_with(roles, None).await
    }

    async fn start_with(roles: Roles, root_url: Option<String>) -> Env {
        Self::start_on(roles, root_url, None).await
    }

    /// Starts on `database_url`, or on a fresh database of the suite's backend.
    async fn start_on(roles: Roles, root_url: Option<String>, database_url: Option<String>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match database_url {
            Some(u) => u,
            None => common::fresh_database_url(dir.path()).await,
        };
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let master = Sealer::generate_secret();
        let root_url = Some(root_url.unwrap_or_else(|| base.clone()));
        let app = App::open(&config(database_url, &master, root_url), roles)
            .await
            .unwrap();
        let password = app.services.admin_password.clone().unwrap();
        let task = app.spawn(listener);
        let mut env = Env {
            _dir: dir,
            app,
            base,
            master,
            http: reqwest::Client::builder()
                .user_agent("hwf-license-tests")
                .build()
                .unwrap(),
            admin: String::new(),
            root_admin: String::new(),
            _task: task,
        };
        if roles.root() {
            env.root_admin = env.enrolled("root", "admin", &password).await.0;
        }
        env.admin = match roles.hub() {
            true => env.enrolled("hub", "admin", &password).await.0,
            false => env.root_admin.clone(),
        };
        env
    }

    /// Signs `user` of `realm` in, enrols a TOTP factor as a client would (the code computed
    /// from the secret at the clock) and answers the token with a fresh second factor and the
    /// secret.
    async fn enrolled(&self, realm: &str, user: &str, password: &str) -> (String, String) {
        let r = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": user, "password": password, "realm": realm})),
            )
            .await;
        assert_eq!(r.status, 200, "login {user}: {}", r.body);
        assert_eq!(
            r.body["scope"], "enrol",
            "an admin without a factor may only enrol"
        );
        let enrol_only = r.body["token"].as_str().unwrap().to_string();
        let e = self
            .call(
                Method::POST,
                "/api/auth/totp/enrol",
                Some(&enrol_only),
                None,
            )
            .await;
        assert_eq!(e.status, 200, "{}", e.body);
        let secret = e.body["secret"].as_str().unwrap().to_string();
        let code = hwf_license_server::service::totp::code_from_base32(&secret, now()).unwrap();
        let c = self
            .call(
                Method::POST,
                "/api/auth/totp/confirm",
                Some(&enrol_only),
                Some(json!({ "code": code })),
            )
            .await;
        assert_eq!(c.status, 200, "{}", c.body);
        (
            c.body["login"]["token"].as_str().unwrap().to_string(),
            secret,
        )
    }

    /// The admin token for `path`: the Root's on Root routes, else the Hub's.
    fn admin_for(&self, path: &str) -> &str {
        match path.starts_with("/api/root/") && !self.root_admin.is_empty() {
            true => &self.root_admin,
            false => &self.admin,
        }
    }

    async fn login(&self, user: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(r.status, 200, "login {user}: {}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    async fn user(&self, name: &str, role: &str) -> String {
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
        self.login(name, &password).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.unwrap()).await
    }

    async fn read(res: reqwest::Response) -> Res {
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Res {
            status,
            body,
            content_type,
        }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Res {
        self.call(method, path, Some(self.admin_for(path)), body)
            .await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let r = self.admin(method.clone(), path, body).await;
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        r.body
    }

    fn hub(&self) -> &Arc<hwf_license_server::service::hub::Hub> {
        self.app.services.hub.as_ref().unwrap()
    }

    async fn roots(&self) -> Vec<TrustedRoot> {
        let keys = self
            .call(Method::GET, "/api/root/keys", None, None)
            .await
            .body;
        keys.as_array()
            .unwrap()
            .iter()
            .map(|k| {
                TrustedRoot::new(
                    k["kid"].as_str().unwrap(),
                    Environment::parse(k["environment"].as_str().unwrap()).unwrap(),
                    PublicKey::from_pem(k["public_key_pem"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }

    /// Issues a CML at this process's Root for `org_key` and returns it.
    async fn issue(&self, org_id: &str, org_key: &PublicKey, max_sites: u32) -> String {
        let r = self
            .ok(
                Method::POST,
                "/api/root/cml",
                Some(json!({
                    "org_id": org_id, "org_key": org_key.to_jwk(), "max_sites": max_sites,
                    "valid_days": 365, "feature_packs": ["analytics", "boost"],
                    "environment": "prod",
                })),
            )
            .await;
        r["cml"].as_str().unwrap().to_string()
    }

    /// Issues a CML for this Hub's org key and installs it.
    async fn install(&self, max_sites: u32) -> String {
        let cml = self
            .issue("acme", self.hub().org_public_key(), max_sites)
            .await;
        self.ok(Method::POST, "/api/cml/upload", Some(json!({"cml": cml})))
            .await;
        cml
    }

    async fn create(&self, site_id: &str) -> Value {
        self.ok(
            Method::POST,
            "/api/sites/create",
            Some(json!({"site_id": site_id, "features": ["analytics"],
                        "fingerprint": {"deployment_tag": site_id}})),
        )
        .await
    }

    async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(self.app.services.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }
}

fn facts(tag: &str) -> NodeFacts {
    NodeFacts {
        deployment_tag: Some(tag.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prd_scenario_cml_upload_ten_sites_manifest_sent_and_verified_by_root() {
    let env = Env::start(Roles::Both).await;
    let cml_jws = env.install(10).await;
    let cml = env.ok(Method::GET, "/api/cml", None).await;
    assert_eq!(
        (cml["status"].as_str(), cml["days_left"].as_u64()),
        (Some("valid"), Some(365))
    );
    assert_eq!(cml["max_sites"], 10);
    for i in 0..10 {
        env.create(&format!("site-{i}")).await;
    }
    let page = env
        .ok(Method::GET, "/api/sites?status=active&limit=5", None)
        .await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["sites"].as_array().unwrap().len()
        ),
        (Some(10), 5)
    );

    let period = period_of(now());
    let gen = env
        .admin(
            Method::POST,
            "/api/manifests/generate",
            Some(json!({"period": period})),
        )
        .await;
    assert_eq!(gen.status, 201, "{}", gen.body);
    let again = env
        .admin(
            Method::POST,
            "/api/manifests/generate",
            Some(json!({"period": period})),
        )
        .await;
    assert_eq!(
        again.status, 200,
        "a second generate returns the stored manifest"
    );
    assert_eq!(again.body["id"], gen.body["id"]);
    let id = gen.body["id"].as_str().unwrap();

    let sent = env
        .ok(Method::POST, "/api/manifests/send", Some(json!({"id": id})))
        .await;
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["attempts"], 1);
    assert!(sent["sent_at"].as_i64().is_some());
    // The stored receipt is the Root's signed receipt, verified by core against the roots.
    let file: Value = serde_json::from_str(sent["receipt"].as_str().unwrap()).unwrap();
    let receipt = hwf_license::verify_receipt(
        &env.roots().await,
        hwf_license::EnvironmentPolicy::only(Environment::Prod),
        file["receipt_key_certificate"].as_str().unwrap(),
        file["receipt"].as_str().unwrap(),
        "acme",
        id,
        now(),
    )
    .unwrap();
    assert_eq!(receipt.claims.period, period);

    let orgs = env.ok(Method::GET, "/api/root/orgs", None).await;
    let acme = &orgs.as_array().unwrap()[0];
    assert_eq!(acme["org_id"], "acme");
    assert_eq!(acme["last_manifest_period"], period.as_str());
    assert_eq!(acme["last_active_sites"], 10);
    assert_eq!(acme["over_limit"], false);
    assert_eq!(acme["manifest_overdue"], false);
    assert_eq!(acme["cml_status"], "valid");

    // The audit log names who did what, from where.
    let audit = env.ok(Method::GET, "/api/audit?limit=1000", None).await;
    let entries = audit["entries"].as_array().unwrap();
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    assert_eq!(
        (
            count("auth.login"),
            count("cml.upload"),
            count("site.create")
        ),
        (1, 1, 10)
    );
    assert_eq!((count("manifest.generate"), count("manifest.send")), (1, 1));
    let login = entries
        .iter()
        .find(|e| e["action"] == "auth.login")
        .unwrap();
    assert_eq!(
        (login["actor"].as_str(), login["ip"].as_str()),
        (Some("admin"), Some("127.0.0.1"))
    );
    let upload = entries
        .iter()
        .find(|e| e["action"] == "cml.upload")
        .unwrap();
    assert_eq!(upload["actor"], "admin");
    assert_eq!(upload["user_agent"], "hwf-license-tests");
    assert!(upload["at"].as_i64().unwrap() > 0);

    // The downloaded manifest verifies with core against the CML, and reports the ledger.
    let res = env
        .http
        .get(format!("{}/api/manifests/{id}/download", env.base))
        .bearer_auth(&env.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/jose");
    let jws = res.text().await.unwrap();
    let v = Validator::new(Environment::Prod, env.roots().await);
    let verified_cml = v.verify_cml(&cml_jws).unwrap();
    let m: ManifestClaims = verify_manifest(&verified_cml, &jws).unwrap().claims;
    assert_eq!(m.stats.total_active_sites, 10);
    assert_eq!(m.sites.len(), 10);
    assert_eq!(
        m.ledger_length, 11,
        "cml_installed + 10 site_created before the manifest"
    );
    let stats = env
        .ok(Method::GET, &format!("/api/stats?period={period}"), None)
        .await;
    assert_eq!(stats["active_sites"], 10);
    assert_eq!(stats["created_in_period"], 10);
    assert_eq!(stats["ledger_length"], 12);

    // Sending again is recorded by the Root as a duplicate, not a second manifest.
    let again = env
        .ok(
            Method::POST,
            "/api/manifests/send",
            Some(json!({"period": period})),
        )
        .await;
    // The same receipt as the first time (the Root's received_at and its signature are fixed).
    assert_eq!(again["receipt"], sent["receipt"]);
    assert_eq!(env.count("SELECT count(*) FROM root_manifests").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_sites_holds_under_fifty_concurrent_creates() {
    max_sites_race(Env::start(Roles::Both).await).await;
}

async fn max_sites_race(env: Env) {
    let env = Arc::new(env);
    env.install(10).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let env = Arc::clone(&env);
        tasks.push(tokio::spawn(async move {
            env.admin(
                Method::POST,
                "/api/sites/create",
                Some(json!({"site_id": format!("race-{i:02}")})),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            409 => {
                assert_eq!(r.slug(), "max-sites-reached", "{}", r.body);
                assert_eq!(r.content_type, "application/problem+json");
                assert!(r.body["detail"].as_str().unwrap().contains("allows 10"));
                refused += 1;
            }
            s => panic!("unexpected status {s}: {}", r.body),
        }
    }
    assert_eq!((created, refused), (10, 40));
    assert_eq!(
        env.count("SELECT count(*) FROM sites WHERE status = 'active'")
            .await,
        10
    );
    let ledger = env.ok(Method::GET, "/api/ledger/verify", None).await;
    assert_eq!(
        ledger["length"], 11,
        "cml_installed + exactly 10 site_created"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM audit WHERE action = 'site.create'")
            .await,
        10
    );
}

/// One row of the role table in docs/SERVER.md.
struct Row {
    method: Method,
    path: String,
    realm: String,      // hub, root or own
    allowed: [bool; 4], // admin, operator, viewer, anonymous
}

fn role_table() -> Vec<Row> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/SERVER.md"))
        .expect("docs/SERVER.md");
    let start = doc
        .find("<!-- role-table:start -->")
        .expect("role table start");
    let end = doc.find("<!-- role-table:end -->").expect("role table end");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| GET") || l.starts_with("| POST") || l.starts_with("| DELETE"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 7, "row {l:?}");
            let yes = |s: &str| match s {
                "yes" => true,
                "no" => false,
                other => panic!("cell {other:?} in {l:?}"),
            };
            assert!(["hub", "root", "own"].contains(&cells[2]), "realm in {l:?}");
            Row {
                method: cells[0].parse().unwrap(),
                path: cells[1].into(),
                realm: cells[2].into(),
                allowed: [yes(cells[3]), yes(cells[4]), yes(cells[5]), yes(cells[6])],
            }
        })
        .collect()
}

impl Env {
    /// Adds `name` with `role` to the realm of `admin` and signs them in there.
    async fn user_in(&self, admin: &str, realm: &str, name: &str, role: &str) -> String {
        let password = format!("{name}-password-long-enough");
        let r = self
            .call(
                Method::POST,
                "/api/users",
                Some(admin),
                Some(json!({"username": name, "password": password, "role": role})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": name, "password": password, "realm": realm})),
            )
            .await;
        assert_eq!(r.status, 200, "login {name}: {}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_follow_the_documented_table() {
    let env = Env::start(Roles::Both).await;
    let operator = env.user("olga", "operator").await;
    let viewer = env.user("victor", "viewer").await;
    let root_operator = env
        .user_in(&env.root_admin, "root", "rolf", "operator")
        .await;
    let root_viewer = env.user_in(&env.root_admin, "root", "rita", "viewer").await;
    let accounts = &env.app.services.accounts;
    let (iss, aud) = accounts.issuer_and_audience(hwf_license_server::domain::Realm::Hub);
    let claims = |iat: i64| auth::TokenClaims {
        iss: iss.clone(),
        aud: aud.clone(),
        sub: "admin".into(),
        uid: "u_whatever".into(),
        generation: 1,
        role: Role::Admin,
        iat,
        exp: iat + auth::TOKEN_TTL,
        mfa: Some(iat),
        scope: auth::Scope::Full,
    };
    let expired = accounts.sign_claims(&claims(now() - auth::TOKEN_TTL - 5));
    let forged = auth::issue_token(&[7u8; 32], &claims(now()));
    let alg_none = {
        use base64::Engine;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            b.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b.encode(serde_json::to_vec(&claims(now())).unwrap())
        )
    };
    let mut rows = role_table();
    assert!(rows.len() >= 35, "the table lists every endpoint");
    // Signing out ends the caller's tokens: those rows go last.
    rows.sort_by_key(|r| r.path == "/api/auth/logout");
    let mut checked = 0;
    for row in &rows {
        let path = row
            .path
            .replace("{site_id}", "no-such-site")
            .replace("{id}", "no-such-manifest")
            .replace("{username}", "no-such-user");
        let body = (row.method == Method::POST).then(|| json!({}));
        let (admin, op, view, other_realm) = match row.realm.as_str() {
            "root" => (
                &env.root_admin,
                &root_operator,
                &root_viewer,
                Some(&env.admin),
            ),
            "hub" => (&env.admin, &operator, &viewer, Some(&env.root_admin)),
            _ => (&env.admin, &operator, &viewer, None),
        };
        let mut principals: Vec<(&str, Option<&str>, bool, u16)> = vec![
            ("admin", Some(admin), row.allowed[0], 403),
            ("operator", Some(op), row.allowed[1], 403),
            ("viewer", Some(view), row.allowed[2], 403),
            ("anonymous", None, row.allowed[3], 401),
            ("expired", Some(&expired), row.allowed[3], 401),
            ("forged", Some(&forged), row.allowed[3], 401),
            ("alg-none", Some(&alg_none), row.allowed[3], 401),
        ];
        if let Some(other) = other_realm {
            // The other realm's admin is refused wherever a token is needed.
            principals.push(("other realm's admin", Some(other), row.allowed[3], 403));
        }
        for (who, token, allowed, denied_status) in principals {
            let r = env
                .call(row.method.clone(), &path, token, body.clone())
                .await;
            let what = format!(
                "{} {} as {who}: {} {}",
                row.method, row.path, r.status, r.body
            );
            assert!(r.status < 500, "{what}");
            assert_ne!(r.slug(), "no-route", "{what}");
            assert_ne!(r.status, 405, "{what}");
            if allowed {
                assert!(r.status != 401 && r.status != 403, "should pass: {what}");
            } else {
                assert_eq!(r.status, denied_status, "should be refused: {what}");
                assert_eq!(r.content_type, "application/problem+json", "{what}");
            }
            checked += 1;
        }
        if row.path == "/api/users/{username}/unlock" {
            // A deleted user's token stops working at once (checked before any sign-out).
            let t = env.user("doomed", "viewer").await;
            assert_eq!(
                env.call(Method::GET, "/api/cml", Some(&t), None)
                    .await
                    .status,
                409
            );
            let r = env.admin(Method::DELETE, "/api/users/doomed", None).await;
            assert_eq!(r.status, 204);
            let r = env.call(Method::GET, "/api/cml", Some(&t), None).await;
            assert_eq!(
                (r.status, r.body["detail"].as_str()),
                (401, Some("the token's user no longer exists"))
            );
        }
    }
    let hub_or_root = rows.iter().filter(|r| r.realm != "own").count();
    assert_eq!(checked, rows.len() * 7 + hub_or_root);
    // After the sign-out rows every token of those users is dead.
    let r = env.call(Method::GET, "/api/cml", Some(&viewer), None).await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_and_hub_reject_tampered_foreign_and_unknown_root_documents() {
    let env = Env::start(Roles::Both).await;
    let cml_jws = env.install(10).await;
    env.create("site-a").await;
    let period = period_of(now());
    let m = env
        .ok(
            Method::POST,
            "/api/manifests/generate",
            Some(json!({"period": period})),
        )
        .await;
    let manifest = m["jws"].as_str().unwrap().to_string();
    let post = |org: &str, jws: &str| {
        env.call(
            Method::POST,
            "/api/root/manifests",
            None,
            Some(json!({"org_id": org, "manifest": jws})),
        )
    };

    // Tampered: the payload says 0 active sites, the signature is the original one.
    let parts: Vec<&str> = manifest.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["period"] = json!("1999-01");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(payload.to_string()),
        parts[2]
    );
    // Up to its signature, a manifest gets one answer whatever failed (issue 18: no org
    // enumeration on the Root).
    let r = post("acme", &tampered).await;
    assert_eq!(
        (r.status, r.slug()),
        (422, "manifest-unverified"),
        "{}",
        r.body
    );

    // Another org's manifest: beta has its own key and CML at this Root.
    let beta = SigningKey::generate().unwrap();
    let beta_cml = env.issue("beta", beta.public_key(), 5).await;
    let v = Validator::new(Environment::Prod, env.roots().await);
    let beta_verified = v.verify_cml(&beta_cml).unwrap();
    let beta_manifest = issue::sign_manifest(
        &beta,
        &ManifestClaims {
            org_id: "beta".into(),
            cml: beta_verified.id.clone(),
            period: period.clone(),
            generated_at: now(),
            ledger_head: hwf_license::GENESIS_PREV.into(),
            ..Default::default()
        },
    )
    .unwrap();
    let r = post("acme", &beta_manifest).await;
    assert_eq!(
        (r.status, r.slug()),
        (422, "manifest-unverified"),
        "{}",
        r.body
    );
    // Signed by beta but claiming to be acme's (acme's CML binding): still refused.
    let acme_verified = v.verify_cml(&cml_jws).unwrap();
    let impostor = issue::sign_manifest(
        &beta,
        &ManifestClaims {
            org_id: "acme".into(),
            cml: acme_verified.id.clone(),
            period: period.clone(),
            generated_at: now(),
            ledger_head: hwf_license::GENESIS_PREV.into(),
            ..Default::default()
        },
    )
    .unwrap();
    for org in ["acme", "beta"] {
        let r = post(org, &impostor).await;
        assert_eq!(r.status, 422, "{org}: {}", r.body);
        // As acme: not signed by acme's key (one answer); as beta: signed by beta's key, so
        // core's code (the org id differs from beta's CML).
        match org {
            "acme" => assert_eq!(r.slug(), "manifest-unverified", "{}", r.body),
            _ => {
                let code = ErrorCode::from_code(r.body["code"].as_u64().unwrap() as u32).unwrap();
                assert!(
                    matches!(code, ErrorCode::OrgMismatch | ErrorCode::BindingMismatch),
                    "{org}: {code:?}"
                );
            }
        }
    }
    // The genuine beta manifest is fine when posted as beta; a future period is not.
    assert_eq!(post("beta", &beta_manifest).await.status, 201);
    let future = issue::sign_manifest(
        &beta,
        &ManifestClaims {
            org_id: "beta".into(),
            cml: beta_verified.id.clone(),
            period: "2999-01".into(),
            generated_at: now(),
            ledger_head: hwf_license::GENESIS_PREV.into(),
            ..Default::default()
        },
    )
    .unwrap();
    let r = post("beta", &future).await;
    assert_eq!((r.status, r.slug()), (422, "manifest-period"), "{}", r.body);
    let r = post("gamma", &manifest).await;
    assert_eq!((r.status, r.slug()), (422, "manifest-unverified"));
    assert_eq!(
        env.count("SELECT count(*) FROM root_manifests WHERE org_id = 'acme'")
            .await,
        0,
        "nothing recorded for acme"
    );
    assert_eq!(
        post("acme", &manifest).await.status,
        201,
        "the genuine one is accepted"
    );

    // A CML signed by an unknown root, by a rogue key under the real kid, or for another org key.
    let rogue = SigningKey::generate().unwrap();
    let claims = acme_verified.claims.clone();
    let unknown_root = issue::sign_cml(&rogue, "rogue-root", &claims).unwrap();
    let r = env
        .admin(
            Method::POST,
            "/api/cml/refresh",
            Some(json!({"cml": unknown_root})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("unknown_key_id")),
        "{}",
        r.body
    );
    let same_kid = issue::sign_cml(&rogue, &claims.issued_by, &claims).unwrap();
    let r = env
        .admin(
            Method::POST,
            "/api/cml/upload",
            Some(json!({"cml": same_kid})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("bad_signature")),
        "{}",
        r.body
    );
    let r = env
        .admin(
            Method::POST,
            "/api/cml/upload",
            Some(json!({"cml": beta_cml})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("signer_mismatch")),
        "{}",
        r.body
    );
    let cml = env.ok(Method::GET, "/api/cml", None).await;
    assert_eq!(
        cml["jws"],
        cml_jws.as_str(),
        "the installed CML is unchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verifies_end_to_end_and_any_edited_entry_is_named() {
    let env = Env::start(Roles::Both).await;
    let cml_jws = env.install(10).await;
    let mut licenses = Vec::new();
    for i in 0..4 {
        licenses.push(env.create(&format!("site-{i}")).await);
    }
    env.ok(Method::DELETE, "/api/sites/site-2", None).await;
    let lic = licenses[0]["license"].as_str().unwrap();
    let license_id = licenses[0]["site"]["license_id"].as_str().unwrap();
    for _ in 0..3 {
        // Three heartbeats on one day: one site_seen entry.
        let r = env
            .call(
                Method::POST,
                "/api/sites/site-0/heartbeat",
                None,
                Some(json!({"license_id": license_id, "nonce": random_id("n-")})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert!(!lic.is_empty());
    env.ok(Method::POST, "/api/manifests/generate", Some(json!({})))
        .await;

    // 1 cml_installed + 4 site_created + 1 site_revoked + 1 site_seen + 1 manifest_generated.
    let ok = env.ok(Method::GET, "/api/ledger/verify", None).await;
    assert_eq!(ok["length"], 8);
    let page = env.ok(Method::GET, "/api/ledger?limit=100", None).await;
    let entries: Vec<String> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["jws"].as_str().unwrap().to_string())
        .collect();
    let events: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "cml_installed",
            "site_created",
            "site_created",
            "site_created",
            "site_created",
            "site_revoked",
            "site_seen",
            "manifest_generated"
        ]
    );
    // Independently, with core alone.
    let v = Validator::new(Environment::Prod, env.roots().await);
    let cml = v.verify_cml(&cml_jws).unwrap();
    let summary = verify_ledger(&cml, entries.iter().map(String::as_str)).unwrap();
    assert_eq!(
        (summary.length, summary.head.as_str()),
        (8, ok["head"].as_str().unwrap())
    );

    // Edit each stored entry in turn (payload changed, signature kept): verification fails
    // and names that entry; restore it.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for (seq, jws) in entries.iter().enumerate() {
        let parts: Vec<&str> = jws.split('.').collect();
        let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["detail"] = json!("edited");
        let edited = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(payload.to_string()),
            parts[2]
        );
        for bad in [edited, entries[(seq + 1) % entries.len()].clone()] {
            sqlx::query("UPDATE ledger SET jws = $1 WHERE seq = $2")
                .bind(&bad)
                .bind(seq as i64)
                .execute(env.app.services.db.pool())
                .await
                .unwrap();
            let r = env.admin(Method::GET, "/api/ledger/verify", None).await;
            assert_eq!(
                (r.status, r.body["error"].as_str()),
                (422, Some("ledger_broken")),
                "{}",
                r.body
            );
            let detail = r.body["detail"].as_str().unwrap();
            assert!(
                detail.starts_with(&format!("ledger entry {seq}:")),
                "entry {seq}: {detail}"
            );
        }
        sqlx::query("UPDATE ledger SET jws = $1 WHERE seq = $2")
            .bind(jws)
            .bind(seq as i64)
            .execute(env.app.services.db.pool())
            .await
            .unwrap();
    }
    env.ok(Method::GET, "/api/ledger/verify", None).await;
    // Dropping the newest entry is caught against the recorded head.
    sqlx::query("DELETE FROM ledger WHERE seq = 7")
        .execute(env.app.services.db.pool())
        .await
        .unwrap();
    let r = env.admin(Method::GET, "/api/ledger/verify", None).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("ledger entry 7:"),
        "{}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloaded_site_lic_validates_and_fails_after_revocation_via_heartbeat() {
    let env = Env::start(Roles::Both).await;
    env.install(10).await;
    let created = env.create("plant-1").await;
    let license_id = created["site"]["license_id"].as_str().unwrap().to_string();
    let res = env
        .http
        .get(format!("{}/api/sites/plant-1/license", env.base))
        .bearer_auth(&env.admin)
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("site.lic"));
    let lic = res.text().await.unwrap();
    assert_eq!(lic, created["license"].as_str().unwrap());

    let node = Validator::new(Environment::Prod, env.roots().await);
    let verdict = node
        .validate_at(lic.as_bytes(), &facts("plant-1"), now())
        .unwrap();
    assert_eq!(
        (verdict.site_id.as_str(), verdict.features.clone()),
        ("plant-1", vec!["analytics".to_string()])
    );
    assert_eq!(
        node.validate_at(lic.as_bytes(), &facts("plant-2"), now())
            .unwrap_err()
            .code(),
        ErrorCode::DeploymentTagMismatch
    );
    // Another site's revocation: the Hub's validator applies that list (and keeps it applied
    // until the list changes), plant-1 stays valid.
    env.create("plant-0").await;
    env.ok(Method::DELETE, "/api/sites/plant-0", None).await;
    for _ in 0..2 {
        let hub_verdict = env
            .call(
                Method::POST,
                "/api/validate",
                None,
                Some(json!({"license": lic, "facts": {"deployment_tag": "plant-1"}})),
            )
            .await;
        assert_eq!(
            (hub_verdict.status, hub_verdict.body["status"].as_str()),
            (200, Some("valid"))
        );
    }

    let heartbeat = |nonce: String| {
        env.call(
            Method::POST,
            "/api/sites/plant-1/heartbeat",
            None,
            Some(json!({"license_id": license_id, "nonce": nonce})),
        )
    };
    let n1 = random_id("n-");
    let hb1 = heartbeat(n1.clone()).await;
    assert_eq!(hb1.status, 200, "{}", hb1.body);
    let info = node
        .verify_heartbeat_at(
            lic.as_bytes(),
            hb1.body["answer"].as_str().unwrap(),
            &n1,
            now(),
        )
        .unwrap();
    assert_eq!((info.status.as_str(), info.revoked), ("active", false));
    let seen = env.ok(Method::GET, "/api/sites/plant-1", None).await;
    assert!(seen["last_seen"].as_i64().is_some());
    // A wrong license id is refused.
    let wrong = env
        .call(
            Method::POST,
            "/api/sites/plant-1/heartbeat",
            None,
            Some(json!({"license_id": "lic-other", "nonce": random_id("n-")})),
        )
        .await;
    assert_eq!((wrong.status, wrong.slug()), (403, "license-mismatch"));
    // A node that announces what it reads (FORMAT.md §8) and cannot read this CML's version is
    // told to upgrade; one that reads it is answered.
    let old_node = env
        .call(
            Method::POST,
            "/api/sites/plant-1/heartbeat",
            None,
            Some(
                json!({"license_id": license_id, "nonce": random_id("n-"), "speaks": {"cml": [2]}}),
            ),
        )
        .await;
    assert_eq!(
        (old_node.status, old_node.slug()),
        (426, "upgrade-required")
    );
    let speaks: serde_json::Map<String, serde_json::Value> = hwf_license::SPEAKS
        .iter()
        .map(|(t, v)| (t.to_string(), json!(v)))
        .collect();
    let current = env
        .call(
            Method::POST,
            "/api/sites/plant-1/heartbeat",
            None,
            Some(json!({"license_id": license_id, "nonce": random_id("n-"), "speaks": speaks})),
        )
        .await;
    assert_eq!(current.status, 200, "{}", current.body);

    env.ok(Method::DELETE, "/api/sites/plant-1", None).await;
    // The node has not heard yet: its license still validates offline.
    node.validate_at(lic.as_bytes(), &facts("plant-1"), now())
        .unwrap();
    // A captured earlier answer cannot be replayed for a new nonce.
    let n2 = random_id("n-");
    assert_eq!(
        node.verify_heartbeat_at(
            lic.as_bytes(),
            hb1.body["answer"].as_str().unwrap(),
            &n2,
            now()
        )
        .unwrap_err()
        .code(),
        ErrorCode::NonceMismatch
    );
    let hb2 = heartbeat(n2.clone()).await;
    assert_eq!(hb2.body["status"], "revoked");
    let info = node
        .verify_heartbeat_at(
            lic.as_bytes(),
            hb2.body["answer"].as_str().unwrap(),
            &n2,
            now(),
        )
        .unwrap();
    assert_eq!((info.status.as_str(), info.revoked), ("revoked", true));
    let err = node
        .validate_at(lic.as_bytes(), &facts("plant-1"), now())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Revoked);
    let hub_verdict = env
        .call(
            Method::POST,
            "/api/validate",
            None,
            Some(json!({"license": lic, "facts": {"deployment_tag": "plant-1"}})),
        )
        .await;
    assert_eq!(
        (hub_verdict.status, hub_verdict.body["error"].as_str()),
        (422, Some("revoked"))
    );
    assert_eq!(hub_verdict.body["code"], 403);
    let again = env.admin(Method::DELETE, "/api/sites/plant-1", None).await;
    assert_eq!((again.status, again.slug()), (409, "site-revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_4xx_problem_and_writes_nothing() {
    let env = Env::start(Roles::Both).await;
    env.install(10).await;
    env.create("site-1").await;
    let snapshot = async || {
        (
            env.count("SELECT count(*) FROM sites").await,
            env.count("SELECT count(*) FROM ledger").await,
            env.count("SELECT count(*) FROM audit").await,
            env.count("SELECT count(*) FROM manifests").await,
        )
    };
    let before = snapshot().await;
    let raw = |method: Method, path: &str, ctype: Option<&str>, body: Vec<u8>| {
        let mut req = env
            .http
            .request(method, format!("{}{path}", env.base))
            .bearer_auth(env.admin_for(path))
            .body(body);
        if let Some(c) = ctype {
            req = req.header("content-type", c);
        }
        async move { Env::read(req.send().await.unwrap()).await }
    };
    let json_ct = Some("application/json");
    let cases: Vec<(Res, u16, &str)> = vec![
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": ".to_vec()).await, 400, "bad-request"),
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": 5}".to_vec()).await, 422, "invalid-input"),
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": \"x\", \"colour\": 1}".to_vec()).await, 422, "invalid-input"),
        (raw(Method::POST, "/api/sites/create", None, b"{\"site_id\": \"x\"}".to_vec()).await, 415, "unsupported-media-type"),
        (raw(Method::POST, "/api/sites/create", json_ct, format!("{{\"site_id\": \"{}\"}}", "x".repeat(300 * 1024)).into_bytes()).await, 413, "body-too-large"),
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": \"bad id/../\"}".to_vec()).await, 422, "invalid-input"),
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": \"x\", \"features\": [\"teleport\"]}".to_vec()).await, 422, "license/feature-not-in-cml"),
        (raw(Method::POST, "/api/sites/create", json_ct, b"{\"site_id\": \"site-1\"}".to_vec()).await, 409, "site-exists"),
        (raw(Method::POST, "/api/sites/nope/heartbeat", json_ct, b"{\"license_id\": \"l\", \"nonce\": \"0123456789abcdef\"}".to_vec()).await, 403, "license-mismatch"),
        (raw(Method::POST, "/api/sites/site-1/heartbeat", json_ct, b"{\"license_id\": \"l\", \"nonce\": \"short\"}".to_vec()).await, 422, "invalid-input"),
        (raw(Method::DELETE, "/api/sites/nope", None, vec![]).await, 404, "unknown-site"),
        (raw(Method::GET, "/api/sites/nope/license", None, vec![]).await, 404, "unknown-site"),
        (raw(Method::GET, "/api/sites?limit=abc", None, vec![]).await, 400, "bad-request"),
        (raw(Method::GET, "/api/sites?limit=100000", None, vec![]).await, 422, "invalid-input"),
        (raw(Method::GET, "/api/stats?period=2026-13", None, vec![]).await, 422, "invalid-input"),
        (raw(Method::POST, "/api/manifests/generate", json_ct, b"{\"period\": \"2026-13\"}".to_vec()).await, 422, "invalid-input"),
        (raw(Method::POST, "/api/manifests/generate", json_ct, b"{\"period\": \"2999-01\"}".to_vec()).await, 422, "manifest-period"),
        // Before the CML was issued: the Root would refuse it, so the Hub does not sign it
        // (found by schemathesis, which generated 1970-01 and then sent it: a 502).
        (raw(Method::POST, "/api/manifests/generate", json_ct, b"{\"period\": \"1970-01\"}".to_vec()).await, 422, "manifest-period"),
        (raw(Method::POST, "/api/validate", json_ct, b"{\"license\": \"not a license\"}".to_vec()).await, 422, "license/malformed"),
        (raw(Method::POST, "/api/cml/upload", json_ct, b"{\"cml\": \"a.b.c\"}".to_vec()).await, 422, "license/bad-encoding"),
        (raw(Method::POST, "/api/root/cml", json_ct, b"{\"org_id\": \"o\", \"org_key\": \"nope\", \"max_sites\": 1, \"valid_days\": 1, \"environment\": \"prod\"}".to_vec()).await, 422, "license/bad-key"),
        (raw(Method::GET, "/api/nothing-here", None, vec![]).await, 404, "no-route"),
        (raw(Method::PUT, "/api/sites/create", json_ct, b"{}".to_vec()).await, 405, "method-not-allowed"),
    ];
    for (i, (r, status, slug)) in cases.iter().enumerate() {
        assert_eq!(
            (r.status, r.slug()),
            (*status, *slug),
            "case {i}: {}",
            r.body
        );
        assert_eq!(r.content_type, "application/problem+json", "case {i}");
        assert_eq!(r.body["status"], *status, "case {i}");
        assert!(
            r.body["title"].is_string() && r.body["detail"].is_string(),
            "case {i}"
        );
    }
    assert_eq!(snapshot().await, before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_delivery_failures_are_recorded() {
    // A Root that is not listening: three attempts, status failed, the last error kept.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let env = Env::start_with(Roles::Both, Some(format!("http://{closed}"))).await;
    env.install(10).await;
    env.create("s1").await;
    let m = env
        .ok(Method::POST, "/api/manifests/generate", Some(json!({})))
        .await;
    let id = m["id"].as_str().unwrap();
    let r = env
        .admin(Method::POST, "/api/manifests/send", Some(json!({"id": id})))
        .await;
    assert_eq!((r.status, r.slug()), (502, "delivery-failed"), "{}", r.body);
    let list = env.ok(Method::GET, "/api/manifests", None).await;
    let rec = &list[0];
    assert_eq!(
        (rec["status"].as_str(), rec["attempts"].as_i64()),
        (Some("pending"), Some(3))
    );
    assert!(rec["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot reach the Root"));
    assert!(rec["sent_at"].is_null());

    // A Root that does not know the org rejects it: one attempt, status rejected.
    let other_root = Env::start(Roles::Root).await;
    let hub = env.hub();
    let err = hub
        .send_manifest(
            id,
            Some(&other_root.base),
            &hwf_license_server::service::audit::Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Delivery { rejected: true, .. }),
        "{err}"
    );
    let rec = hub.manifest(id).await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("rejected", 4));
    assert!(rec.last_error.unwrap().contains("422"));
    // The real Root accepts it afterwards.
    let sent = hub
        .send_manifest(
            id,
            Some(&env.base),
            &hwf_license_server::service::audit::Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!((sent.status.as_str(), sent.last_error), ("sent", None));
}

/// A Root that cannot be reached leaves the manifest `pending` with its attempts and last
/// error; the next send delivers it, and the Root records it exactly once — also when the Root
/// recorded a delivery whose answer was lost and the Hub retried it, and on a resend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_root_leaves_the_manifest_pending_and_it_is_delivered_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let env = Env::start(Roles::Both).await;
    env.install(10).await;
    env.create("s1").await;
    let m = env
        .ok(Method::POST, "/api/manifests/generate", Some(json!({})))
        .await;
    let id = m["id"].as_str().unwrap().to_string();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    // A second Hub process on the same database, with a quick backoff.
    let hub = hwf_license_server::service::hub::Hub::open(
        env.app.services.db.clone(),
        &env.app.services.sealer,
        &HubConfig {
            root_url: Some(closed),
            manifest_attempts: 3,
            manifest_backoff_ms: 100,
            ..HubConfig::default()
        },
        hwf_license_server::service::clock::system(),
    )
    .await
    .unwrap();
    let cli = hwf_license_server::service::audit::Actor::cli();
    let started = std::time::Instant::now();
    let err = hub.send_manifest(&id, None, &cli).await.unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Delivery {
                rejected: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "waited 100 ms, then 200 ms: {:?}",
        started.elapsed()
    );
    let rec = hub.manifest(&id).await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("pending", 3));
    assert!(rec
        .last_error
        .as_deref()
        .unwrap()
        .contains("cannot reach the Root"));
    assert_eq!(rec.sent_at, None);
    let listed = env.ok(Method::GET, "/api/manifests", None).await;
    assert_eq!(
        (listed[0]["status"].as_str(), listed[0]["attempts"].as_i64()),
        (Some("pending"), Some(3))
    );
    assert_eq!(env.count("SELECT count(*) FROM root_manifests").await, 0);

    // The Root is back, but the answer to the first delivery is lost (a proxy that forwards
    // it and answers 503): the Hub retries, the Root answers "duplicate", nothing is doubled.
    let forwarded = Arc::new(AtomicU32::new(0));
    let proxy = {
        let root = env.base.clone();
        let forwarded = Arc::clone(&forwarded);
        let http = reqwest::Client::new();
        axum::Router::new().fallback(move |body: String| {
            let (root, forwarded, http) = (root.clone(), Arc::clone(&forwarded), http.clone());
            async move {
                let res = http
                    .post(format!("{root}/api/root/manifests"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                if forwarded.fetch_add(1, Ordering::SeqCst) == 0 {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new())
                } else {
                    (axum::http::StatusCode::from_u16(status).unwrap(), text)
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    let sent = hub
        .send_manifest(&id, Some(&proxy_url), &cli)
        .await
        .unwrap();
    assert_eq!(
        forwarded.load(Ordering::SeqCst),
        2,
        "one lost answer, one retry"
    );
    assert_eq!(
        (
            sent.status.as_str(),
            sent.attempts,
            sent.last_error.as_deref()
        ),
        ("sent", 5, None)
    );
    let file: Value = serde_json::from_str(sent.receipt.as_deref().unwrap()).unwrap();
    let receipt = hwf_license::verify_receipt(
        &env.roots().await,
        hwf_license::EnvironmentPolicy::only(Environment::Prod),
        file["receipt_key_certificate"].as_str().unwrap(),
        file["receipt"].as_str().unwrap(),
        "acme",
        &id,
        now(),
    )
    .unwrap();
    assert_eq!(receipt.claims.manifest, id);
    assert_eq!(env.count("SELECT count(*) FROM root_manifests").await, 1);

    // A resend straight to the Root: still one record, still sent.
    let again = hub.send_manifest(&id, Some(&env.base), &cli).await.unwrap();
    assert_eq!((again.status.as_str(), again.attempts), ("sent", 6));
    assert_eq!(env.count("SELECT count(*) FROM root_manifests").await, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM audit WHERE action = 'root.manifest.receive'")
            .await,
        1
    );
}

/// Four processes' first starts at once on one empty database migrate it once and create one
/// admin, one org key and one root key per environment between them, and all use the same keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_first_starts_initialise_the_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(dir.path()).await;
    let options = config(url, &Sealer::generate_secret(), None);
    let (a, b, c, d) = tokio::join!(
        App::open(&options, Roles::Both),
        App::open(&options, Roles::Both),
        App::open(&options, Roles::Both),
        App::open(&options, Roles::Both)
    );
    let apps = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    let count = |sql: &'static str| {
        let pool = apps[0].services.db.pool().clone();
        async move {
            use sqlx::Row;
            let n: i64 = sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            n
        }
    };
    // Each migration applied once (the initial schema, the accounts of issue 17, the receipt keys and the manifest schedule of issue 18, the node activity and the site list's indexes of issue 19, the Root's kept receipts of issue 20).
    assert_eq!(count("SELECT count(*) FROM schema_migrations").await, 6);
    assert_eq!(
        count("SELECT count(*) FROM users").await,
        2,
        "one first admin per realm"
    );
    assert_eq!(count("SELECT count(*) FROM root_keys").await, 2);
    assert_eq!(count("SELECT count(*) FROM trusted_roots").await, 2);
    // Two root keys, two receipt keys, the org key.
    assert_eq!(count("SELECT count(*) FROM secrets").await, 5);
    assert_eq!(count("SELECT count(*) FROM receipt_keys").await, 2);
    assert_eq!(
        apps.iter()
            .filter(|a| a.services.admin_password.is_some())
            .count(),
        1,
        "one start created the admin and printed its password"
    );
    let org = apps[0]
        .services
        .hub
        .as_ref()
        .unwrap()
        .org_public_key()
        .clone();
    assert!(apps
        .iter()
        .all(|a| a.services.hub.as_ref().unwrap().org_public_key() == &org));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_delays_a_request_but_never_fails_it() {
    let env = Env::start(Roles::Both).await;
    env.install(10).await;
    // The writer's lock: SQLite's write lock (BEGIN IMMEDIATE), PostgreSQL's hub_state row.
    let db = &env.app.services.db;
    let mut tx = db.begin_write().await.unwrap();
    hwf_license_server::store::hub_state::lock(db, &mut tx)
        .await
        .unwrap();
    let create = env.admin(
        Method::POST,
        "/api/sites/create",
        Some(json!({"site_id": "late"})),
    );
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.rollback().await.unwrap();
    };
    let (r, ()) = tokio::join!(create, release);
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_sealed_at_rest_and_need_the_master_secret() {
    let env = Env::start(Roles::Both).await;
    use sqlx::Row;
    let rows = sqlx::query("SELECT name, sealed FROM secrets")
        .fetch_all(env.app.services.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 5, "org key, two root keys and two receipt keys");
    if env.app.services.db.backend() == hwf_license_server::store::Backend::Sqlite {
        let journal: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(env.app.services.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(journal, "wal");
    }
    let org_scalar = hex::encode(SigningKey::from_seed(b"unused").to_bytes());
    for r in &rows {
        let name: String = r.try_get(0).unwrap();
        let sealed: String = r.try_get(1).unwrap();
        assert!(sealed.starts_with("v1."), "{name}");
        assert!(!sealed.contains(&org_scalar));
        let right = Sealer::new(&env.master).unwrap();
        assert_eq!(right.open(&name, &sealed).unwrap().len(), 32);
        let wrong = Sealer::new(&Sealer::generate_secret()).unwrap();
        assert!(
            wrong.open(&name, &sealed).is_err(),
            "{name} opens without the master secret"
        );
        assert!(
            right.open("another-row", &sealed).is_err(),
            "{name} opens under another name"
        );
    }
    // The key that opens is the Hub's org key.
    let sealer = Sealer::new(&env.master).unwrap();
    let org = sealer
        .load_key(
            &env.app.services.db,
            hwf_license_server::service::hub::ORG_KEY_NAME,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.public_key(), env.hub().org_public_key());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(dir.path()).await;
    let s = hwf_license_server::demo::run_on(&url, "the test database", true)
        .await
        .unwrap();
    assert_eq!((s.active_sites, s.max_sites, s.minted), (10, 10, 11));
    assert_eq!(s.over_limit_status, 409);
    assert_eq!(s.heartbeats_verified, 10);
    assert_eq!(s.revoked_node_error, "revoked");
    assert_eq!(
        (s.manifest_status.as_str(), s.manifest_attempts),
        ("sent", 1)
    );
    // cml + 11 created + 10 seen + 1 revoked + 1 manifest.
    assert_eq!(s.ledger_length, 24);
    assert_eq!(
        s.root_compliance["last_manifest_period"],
        s.manifest_period.as_str()
    );
    assert_eq!(s.root_compliance["last_active_sites"], 10);
}
