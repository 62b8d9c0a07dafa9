//! Issue 18: what the Hub and the Root accept and reveal, the Root's signed receipts, and the
//! monthly send on its own. Each test runs on the suite's backend (SQLite, or PostgreSQL with
//! `HWF_TEST_DATABASE=postgres`, see `common`), over real HTTP on 127.0.0.1.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hwf_license::{
    issue, verify_cml, verify_receipt, Environment, EnvironmentPolicy, PublicKey, ReceiptClaims,
    SigningKey, SiteClaims, TrustedRoot,
};
use hwf_license_server::app::App;
use hwf_license_server::config::{Config, Roles};
use hwf_license_server::service::audit::Actor;
use hwf_license_server::service::clock::ManualClock;
use hwf_license_server::service::hub::{Hub, ScheduleRun};
use hwf_license_server::service::keys::Sealer;
use hwf_license_server::service::root::{IssueCml, ManifestDelivery, Root};
use reqwest::Method;
use serde_json::{json, Value};

use common::CHEAP;
const DAY: i64 = 86_400;
/// 2026-01-15T00:00:00Z.
const JAN15: i64 = 1_768_435_200;
/// 2026-02-01T00:00:00Z.
const FEB1: i64 = 1_769_904_000;

struct Node {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    http: reqwest::Client,
    /// The admin token of the Hub's realm (of the Root's when the process is a Root only).
    admin: String,
    /// The Root realm's admin token (for `/api/root/` routes when the process serves both).
    root_admin: String,
    password: Option<String>,
    roles: Roles,
    clock: Arc<ManualClock>,
    /// Per realm: the first admin's TOTP secret and the time of the last code sent.
    factors: Mutex<Vec<(&'static str, String, i64)>>,
    _task: tokio::task::JoinHandle<()>,
}

struct Res {
    status: u16,
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

async fn listener() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    (l, base)
}

impl Node {
    /// Starts `roles` on `database` (a fresh one when `None`) with `master`, at `clock`, sending
    /// manifests to `root_url` (itself when `None`).
    async fn start(
        roles: Roles,
        database: Option<String>,
        master: &str,
        clock: Arc<ManualClock>,
        root_url: Option<String>,
    ) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let database = match database {
            Some(d) => d,
            None => common::fresh_database_url(dir.path()).await,
        };
        let (l, base) = listener().await;
        let mut c = Config::new(database, master);
        c.hub.root_url = Some(root_url.unwrap_or_else(|| base.clone()));
        c.hub.manifest_backoff_ms = 0;
        c.hash_cost = CHEAP;
        let app = App::open_with_clock(&c, roles, clock.clone())
            .await
            .unwrap();
        let password = app.services.admin_password.clone();
        let task = app.spawn(l);
        let mut n = Node {
            _dir: dir,
            app,
            base,
            http: reqwest::Client::new(),
            admin: String::new(),
            root_admin: String::new(),
            password,
            roles,
            clock,
            factors: Mutex::new(Vec::new()),
            _task: task,
        };
        n.relogin().await;
        n
    }

    /// Signs the admin in again (after the clock moved past the token's lifetime): in each
    /// realm served, the first sign-in enrols TOTP (an admin must), later ones send a code of
    /// a time step later than the last one sent.
    async fn relogin(&mut self) {
        if let Some(p) = self.password.clone() {
            match self.roles {
                Roles::Root => self.admin = self.admin_login("root", &p).await,
                Roles::Hub => self.admin = self.admin_login("hub", &p).await,
                Roles::Both => {
                    self.admin = self.admin_login("hub", &p).await;
                    self.root_admin = self.admin_login("root", &p).await;
                }
            }
        }
    }

    async fn admin_login(&self, realm: &'static str, password: &str) -> String {
        let now = hwf_license::Clock::now(&*self.clock);
        let known = self
            .factors
            .lock()
            .unwrap()
            .iter()
            .find(|f| f.0 == realm)
            .map(|f| (f.1.clone(), f.2));
        let body = json!({"username": "admin", "password": password, "realm": realm});
        if let Some((secret, last)) = known {
            let t = now.max(last + 30);
            let mut body = body;
            body["code"] =
                json!(hwf_license_server::service::totp::code_from_base32(&secret, t).unwrap());
            let r = self
                .call(Method::POST, "/api/auth/login", None, Some(body))
                .await;
            assert_eq!(r.status, 200, "login admin ({realm}): {}", r.body);
            for f in self.factors.lock().unwrap().iter_mut() {
                if f.0 == realm {
                    f.2 = t;
                }
            }
            return r.body["token"].as_str().unwrap().to_string();
        }
        let (token, secret) =
            common::enrol_first_admin(&self.http, &self.base, realm, password, now).await;
        self.factors.lock().unwrap().push((realm, secret, now));
        token
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
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        Res {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Res {
        let token = if path.starts_with("/api/root/") && self.roles == Roles::Both {
            &self.root_admin
        } else {
            &self.admin
        };
        self.call(method, path, Some(token), body).await
    }

    fn hub(&self) -> &Arc<Hub> {
        self.app.services.hub.as_ref().unwrap()
    }

    fn root(&self) -> &Arc<Root> {
        self.app.services.root.as_ref().unwrap()
    }

    /// Issues a CML at this process's Root.
    async fn issue(
        &self,
        org: &str,
        key: &PublicKey,
        max: u32,
        env: &str,
        features: &[&str],
    ) -> String {
        let r = self
            .admin(
                Method::POST,
                "/api/root/cml",
                Some(
                    json!({"org_id": org, "org_key": key.to_jwk(), "max_sites": max,
                    "valid_days": 365, "feature_packs": features, "environment": env}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["cml"].as_str().unwrap().to_string()
    }

    async fn upload(&self, cml: &str) -> Res {
        self.admin(Method::POST, "/api/cml/upload", Some(json!({"cml": cml})))
            .await
    }

    async fn roots(&self) -> Vec<TrustedRoot> {
        self.root()
            .public_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.root)
            .collect()
    }

    async fn generate(&self, period: &str) -> String {
        let r = self
            .admin(
                Method::POST,
                "/api/manifests/generate",
                Some(json!({"period": period})),
            )
            .await;
        assert!(r.status == 201 || r.status == 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn manifest(&self, id: &str) -> Value {
        let r = self.admin(Method::GET, "/api/manifests", None).await;
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap()
    }
}

async fn both(clock: Arc<ManualClock>) -> Node {
    Node::start(Roles::Both, None, &Sealer::generate_secret(), clock, None).await
}

/// Finding 1: an upload of an older CML was accepted and downgraded max_sites.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_refuses_an_older_cml() {
    let clock = ManualClock::new(JAN15);
    let n = both(clock.clone()).await;
    let key = n.hub().org_public_key().clone();
    let older = n
        .issue("acme", &key, 1000, "prod", &["analytics", "boost"])
        .await;
    clock.advance(60);
    let newer = n.issue("acme", &key, 10, "prod", &["analytics"]).await;
    assert_eq!(n.upload(&newer).await.status, 200);
    let r = n.upload(&older).await;
    assert_eq!((r.status, r.slug()), (409, "cml-older"), "{}", r.body);
    let cml = n.admin(Method::GET, "/api/cml", None).await.body;
    assert_eq!(
        (cml["max_sites"].as_u64(), cml["feature_packs"].clone()),
        (Some(10), json!(["analytics"]))
    );
}

/// Finding 2: /api/validate answered `valid` for another org's license with features outside
/// this Hub's CML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_refuses_another_orgs_license_and_features_outside_the_cml() {
    let clock = ManualClock::new(JAN15);
    let n = both(clock.clone()).await;
    let hub_cml = n
        .issue("acme", n.hub().org_public_key(), 10, "prod", &["analytics"])
        .await;
    assert_eq!(n.upload(&hub_cml).await.status, 200);
    let roots = n.roots().await;
    let policy = EnvironmentPolicy::only(Environment::Prod);
    let mint = |org: &SigningKey, cml: &str, features: &[&str]| {
        let cml = verify_cml(&roots, policy, cml).unwrap();
        issue::mint_site_license(
            org,
            &cml,
            &SiteClaims {
                license_id: "lic-x".into(),
                site_id: "site-x".into(),
                issued_at: JAN15,
                expires_at: JAN15 + 100 * DAY,
                features: features.iter().map(|f| f.to_string()).collect(),
                product: "hwf".into(),
                tier: "active".into(),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let validate = |lic: String| {
        let n = &n;
        async move {
            n.call(
                Method::POST,
                "/api/validate",
                None,
                Some(json!({"license": lic})),
            )
            .await
        }
    };
    // Another org's CML from the same Root, another org key, a feature this Hub never had.
    let globex = SigningKey::generate().unwrap();
    let globex_cml = n
        .issue("globex", globex.public_key(), 10, "prod", &["secret"])
        .await;
    let r = validate(mint(&globex, &globex_cml, &["secret"])).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("org_mismatch")),
        "{}",
        r.body
    );
    // This org's id on a CML with another key and more features.
    let rogue = SigningKey::generate().unwrap();
    let rogue_cml = n
        .issue(
            "acme",
            rogue.public_key(),
            10,
            "prod",
            &["analytics", "secret"],
        )
        .await;
    let r = validate(mint(&rogue, &rogue_cml, &["analytics", "secret"])).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("feature_not_in_cml")),
        "{}",
        r.body
    );
    // A license within this Hub's CML still validates.
    let r = validate(mint(&rogue, &rogue_cml, &["analytics"])).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("valid")),
        "{}",
        r.body
    );
    // The Hub's own.
    let created = n
        .admin(
            Method::POST,
            "/api/sites/create",
            Some(json!({"site_id": "s1", "features": ["analytics"]})),
        )
        .await;
    let r = validate(created.body["license"].as_str().unwrap().to_string()).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("valid")),
        "{}",
        r.body
    );
}

/// Finding 3: the Root's compliance mixed dev and prod CMLs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_compliance_keeps_dev_and_prod_apart() {
    let clock = ManualClock::new(JAN15);
    let n = both(clock.clone()).await;
    let key = n.hub().org_public_key().clone();
    n.issue("acme", &key, 10, "prod", &["analytics"]).await;
    clock.advance(60);
    n.issue("acme", &key, 1000, "dev", &["analytics"]).await;
    let orgs = n.admin(Method::GET, "/api/root/orgs", None).await.body;
    let list = orgs.as_array().unwrap();
    let of = |env: &str| {
        list.iter()
            .find(|o| o["org_id"] == "acme" && o["environment"] == env)
            .unwrap_or_else(|| panic!("no {env} entry in {orgs}"))["max_sites"]
            .as_i64()
    };
    assert_eq!(
        (list.len(), of("prod"), of("dev")),
        (2, Some(10), Some(1000))
    );
}

/// Finding 5: viewers saw the license id that authenticates heartbeats; an unknown site and a
/// wrong license id answered differently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_do_not_see_license_ids_and_unknown_sites_answer_like_wrong_ids() {
    let n = both(ManualClock::new(JAN15)).await;
    let cml = n
        .issue("acme", n.hub().org_public_key(), 10, "prod", &["analytics"])
        .await;
    assert_eq!(n.upload(&cml).await.status, 200);
    let created = n
        .admin(
            Method::POST,
            "/api/sites/create",
            Some(json!({"site_id": "s1"})),
        )
        .await;
    let license_id = created.body["site"]["license_id"]
        .as_str()
        .unwrap()
        .to_string();
    let viewer = n.user("vera", "viewer").await;
    let operator = n.user("otto", "operator").await;
    for (token, sees) in [(&viewer, false), (&operator, true), (&n.admin, true)] {
        let one = n
            .call(Method::GET, "/api/sites/s1", Some(token), None)
            .await
            .body;
        let page = n
            .call(Method::GET, "/api/sites", Some(token), None)
            .await
            .body;
        assert_eq!(
            one["license_id"].as_str() == Some(license_id.as_str()),
            sees,
            "{one}"
        );
        assert_eq!(one.get("license_id").is_some(), sees, "{one}");
        assert_eq!(page["sites"][0].get("license_id").is_some(), sees, "{page}");
    }
    let beat = |site: &'static str, lic: String| {
        let n = &n;
        async move {
            n.call(
                Method::POST,
                &format!("/api/sites/{site}/heartbeat"),
                None,
                Some(json!({"license_id": lic, "nonce": "nonce-0123456789abcdef"})),
            )
            .await
        }
    };
    let wrong = beat("s1", "lic-wrong".into()).await;
    let unknown = beat("nobody", "lic-wrong".into()).await;
    assert_eq!((wrong.status, wrong.slug()), (403, "license-mismatch"));
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (wrong.status, wrong.body.clone())
    );
    assert_eq!(beat("s1", license_id).await.status, 200);
}

/// Finding 5 (Root): an unknown org and a known one answered differently to a manifest that
/// does not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_answers_unknown_and_known_orgs_alike() {
    let n = both(ManualClock::new(JAN15)).await;
    let cml = n
        .issue("acme", n.hub().org_public_key(), 10, "prod", &["analytics"])
        .await;
    assert_eq!(n.upload(&cml).await.status, 200);
    let id = n.generate("2026-01").await;
    let jws = n.manifest(&id).await["jws"].as_str().unwrap().to_string();
    let post = |org: &'static str, manifest: String| {
        let n = &n;
        async move {
            n.call(
                Method::POST,
                "/api/root/manifests",
                None,
                Some(json!({"org_id": org, "manifest": manifest})),
            )
            .await
        }
    };
    let forged = {
        let mut parts: Vec<&str> = jws.split('.').collect();
        let other = "A".repeat(86);
        parts[2] = &other;
        parts.join(".")
    };
    let answers = [
        post("nobody", jws.clone()).await,
        post("nobody", "not a jws".into()).await,
        post("acme", "not a jws".into()).await,
        post("acme", forged).await,
    ];
    for a in &answers {
        assert_eq!(
            (a.status, a.slug()),
            (422, "manifest-unverified"),
            "{}",
            a.body
        );
        assert_eq!(a.body["detail"], answers[0].body["detail"]);
    }
    assert_eq!(post("acme", jws).await.status, 201);
}

/// Receipts: a delivered manifest carries a receipt that verifies with core against the roots;
/// a manifest received at the Root from a file gets the same receipt, which the Hub imports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_manifest_stores_a_verified_receipt_and_a_mailed_one_imports_it() {
    let clock = ManualClock::new(JAN15);
    let mut n = both(clock.clone()).await;
    let cml = n
        .issue("acme", n.hub().org_public_key(), 10, "prod", &["analytics"])
        .await;
    assert_eq!(n.upload(&cml).await.status, 200);
    let roots = n.roots().await;
    let policy = EnvironmentPolicy::only(Environment::Prod);

    let id = n.generate("2026-01").await;
    let sent = n
        .admin(Method::POST, "/api/manifests/send", Some(json!({"id": id})))
        .await;
    assert_eq!(
        (sent.status, sent.body["status"].as_str()),
        (200, Some("sent")),
        "{}",
        sent.body
    );
    let file: Value = serde_json::from_str(sent.body["receipt"].as_str().unwrap()).unwrap();
    let r = verify_receipt(
        &roots,
        policy,
        file["receipt_key_certificate"].as_str().unwrap(),
        file["receipt"].as_str().unwrap(),
        "acme",
        &id,
        clock.now_secs(),
    )
    .unwrap();
    assert_eq!(
        (r.claims.period.as_str(), r.claims.received_at),
        ("2026-01", JAN15)
    );

    // By hand: the next month's manifest, received at the Root from its file.
    clock.set(FEB1 + 3600);
    n.relogin().await;
    let id2 = n.generate("2026-02").await;
    let jws = n.manifest(&id2).await["jws"].as_str().unwrap().to_string();
    let at_root = n
        .root()
        .receive_manifest(&ManifestDelivery {
            org_id: "acme".into(),
            manifest: jws.clone(),
        })
        .await
        .unwrap();
    // A receipt for another manifest (the January one) is refused and changes nothing.
    let wrong = n
        .admin(
            Method::POST,
            &format!("/api/manifests/{id2}/receipt"),
            Some(file.clone()),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.slug()),
        (422, "receipt-invalid"),
        "{}",
        wrong.body
    );
    assert_eq!(n.manifest(&id2).await["status"], "generated");
    let imported = n
        .admin(
            Method::POST,
            &format!("/api/manifests/{id2}/receipt"),
            Some(json!({"receipt": at_root.receipt, "receipt_key_certificate": at_root.receipt_key_certificate})),
        )
        .await;
    assert_eq!(
        (imported.status, imported.body["status"].as_str()),
        (200, Some("sent")),
        "{}",
        imported.body
    );
    // The same manifest posted later gets the same receipt (same received_at, same bytes).
    clock.advance(DAY);
    let again = n
        .root()
        .receive_manifest(&ManifestDelivery {
            org_id: "acme".into(),
            manifest: jws,
        })
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.receipt, at_root.receipt);
}

trait NowSecs {
    fn now_secs(&self) -> i64;
}
impl NowSecs for ManualClock {
    fn now_secs(&self) -> i64 {
        hwf_license::Clock::now(self)
    }
}

type Answer = Arc<Mutex<Value>>;

/// A fake Root answering every manifest with 200 and the JSON in `answer`.
async fn fake_root(answer: Answer) -> String {
    let (l, base) = listener().await;
    let app = axum::Router::new().route(
        "/api/root/manifests",
        axum::routing::post(move || {
            let a = answer.clone();
            async move { axum::Json(a.lock().unwrap().clone()) }
        }),
    );
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

/// Finding 4: a fake Root answering 200 made a manifest `sent`. Now only a receipt that
/// verifies (chain to a trusted root, this org, this manifest) does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_root_answering_200_leaves_the_manifest_pending() {
    let clock = ManualClock::new(JAN15);
    let answer: Answer = Arc::new(Mutex::new(json!({})));
    let fake = fake_root(answer.clone()).await;
    let n = Node::start(
        Roles::Both,
        None,
        &Sealer::generate_secret(),
        clock.clone(),
        Some(fake),
    )
    .await;
    let cml = n
        .issue("acme", n.hub().org_public_key(), 10, "prod", &["analytics"])
        .await;
    assert_eq!(n.upload(&cml).await.status, 200);
    let id = n.generate("2026-01").await;
    // The real Root's receipt key signs receipts that are not this manifest's or this org's.
    let (receipt_key, certificate) = n.root().receipt_key(Environment::Prod).await.unwrap();
    let receipt = |org: &str, manifest: &str, key: &SigningKey| {
        issue::sign_receipt(
            key,
            &ReceiptClaims {
                org_id: org.into(),
                manifest: manifest.into(),
                period: "2026-01".into(),
                received_at: JAN15,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let uncertified = SigningKey::generate().unwrap();
    let cases = [
        (json!({"id": id, "duplicate": false}), "no receipt"),
        (
            json!({"receipt": receipt("acme", &id, &uncertified), "receipt_key_certificate": certificate}),
            "signer_mismatch",
        ),
        (
            json!({"receipt": receipt("globex", &id, &receipt_key), "receipt_key_certificate": certificate}),
            "org_mismatch",
        ),
        (
            json!({"receipt": receipt("acme", &"cd".repeat(32), &receipt_key), "receipt_key_certificate": certificate}),
            "binding_mismatch",
        ),
        (
            json!({"receipt": receipt("acme", &id, &receipt_key), "receipt_key_certificate": cml}),
            "wrong_document_type",
        ),
    ];
    let mut attempts = 0;
    for (body, why) in cases {
        *answer.lock().unwrap() = body;
        let r = n
            .admin(Method::POST, "/api/manifests/send", Some(json!({"id": id})))
            .await;
        assert_eq!(
            (r.status, r.slug()),
            (502, "delivery-failed"),
            "{why}: {}",
            r.body
        );
        let m = n.manifest(&id).await;
        attempts += 3;
        assert_eq!(
            (m["status"].as_str(), m["attempts"].as_i64()),
            (Some("pending"), Some(attempts)),
            "{why}"
        );
        assert!(
            m["last_error"].as_str().unwrap().contains(why),
            "{why}: {}",
            m["last_error"]
        );
        assert!(m["receipt"].is_null() && m["sent_at"].is_null());
    }
    // The right receipt from the same fake endpoint: sent.
    *answer.lock().unwrap() = json!({"receipt": receipt("acme", &id, &receipt_key), "receipt_key_certificate": certificate});
    let r = n
        .admin(Method::POST, "/api/manifests/send", Some(json!({"id": id})))
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("sent")),
        "{}",
        r.body
    );
}

/// Finding 6: nothing sent the monthly manifest. Two Hub replicas on one database run the
/// schedule across the month boundary: one manifest, one delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_schedule_sends_last_months_manifest_once_across_two_replicas() {
    let clock = ManualClock::new(JAN15);
    let master = Sealer::generate_secret();
    let root = Node::start(
        Roles::Root,
        None,
        &Sealer::generate_secret(),
        clock.clone(),
        None,
    )
    .await;
    // The Root behind a counter of deliveries.
    let deliveries = Arc::new(AtomicUsize::new(0));
    let (l, root_url) = listener().await;
    {
        let service = root.root().clone();
        let deliveries = deliveries.clone();
        let app = axum::Router::new().route(
            "/api/root/manifests",
            axum::routing::post(move |axum::Json(d): axum::Json<ManifestDelivery>| {
                let service = service.clone();
                let deliveries = deliveries.clone();
                async move {
                    deliveries.fetch_add(1, Ordering::SeqCst);
                    axum::Json(
                        serde_json::to_value(service.receive_manifest(&d).await.unwrap()).unwrap(),
                    )
                }
            }),
        );
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    }
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_database_url(dir.path()).await;
    let mut a = Node::start(
        Roles::Hub,
        Some(db.clone()),
        &master,
        clock.clone(),
        Some(root_url.clone()),
    )
    .await;
    let b = Node::start(Roles::Hub, Some(db), &master, clock.clone(), Some(root_url)).await;
    assert_eq!(a.hub().org_public_key(), b.hub().org_public_key());
    for k in root.roots().await {
        a.hub()
            .trust_root(&k.kid, k.environment, &k.key)
            .await
            .unwrap();
    }
    a.hub().reload_roots().await.unwrap();
    b.hub().reload_roots().await.unwrap();
    let issued = root
        .root()
        .issue_cml(
            &IssueCml {
                org_id: "acme".into(),
                org_key: Value::String(a.hub().org_public_key().to_pem()),
                max_sites: 10,
                valid_days: 365,
                feature_packs: vec![],
                environment: hwf_license_server::domain::EnvironmentName::Prod,
                grace_days: None,
            },
            &Actor::default(),
        )
        .await
        .unwrap();
    a.hub()
        .install_cml(&issued.cml, false, &Actor::default())
        .await
        .unwrap();

    let run = |hub: Arc<Hub>, replica: &'static str| async move {
        hub.run_schedule(1, 0, replica).await.unwrap()
    };
    // January 15: December ended before the CML was issued, so there is nothing to send.
    let first = run(a.hub().clone(), "a").await;
    assert!(
        matches!(&first, ScheduleRun::Failed { period, final_: true, .. } if period == "2025-12"),
        "{first:?}"
    );
    // January 31, 23:59:59: still nothing for January.
    clock.set(FEB1 - 1);
    let (ra, rb) = tokio::join!(run(a.hub().clone(), "a"), run(b.hub().clone(), "b"));
    assert!(!matches!(ra, ScheduleRun::Sent { .. }) && !matches!(rb, ScheduleRun::Sent { .. }));
    assert!(a.hub().manifests(None).await.unwrap().is_empty());
    // February 1, 00:00:30: both replicas run at once.
    clock.set(FEB1 + 30);
    let (ra, rb) = tokio::join!(run(a.hub().clone(), "a"), run(b.hub().clone(), "b"));
    let sent = [&ra, &rb]
        .iter()
        .filter(|r| matches!(r, ScheduleRun::Sent { period, .. } if period == "2026-01"))
        .count();
    assert_eq!(sent, 1, "{ra:?} {rb:?}");
    // Later runs on both find it done.
    clock.advance(600);
    let (ra2, rb2) = tokio::join!(run(a.hub().clone(), "a"), run(b.hub().clone(), "b"));
    for r in [ra2, rb2] {
        assert_eq!(
            r,
            ScheduleRun::Done {
                period: "2026-01".into()
            }
        );
    }
    a.relogin().await;
    let list = a.admin(Method::GET, "/api/manifests", None).await.body;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "one manifest: {list:?}");
    assert_eq!(
        (
            list[0]["period"].as_str(),
            list[0]["status"].as_str(),
            list[0]["attempts"].as_i64()
        ),
        (Some("2026-01"), Some("sent"), Some(1))
    );
    assert_eq!(deliveries.load(Ordering::SeqCst), 1, "one delivery");
    // The schedule acts as a system actor, audited as such.
    let audit = a.admin(Method::GET, "/api/audit", None).await.body;
    let by_schedule: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{audit}"))
        .iter()
        .filter(|e| e["actor"] == "system:manifest-schedule")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        by_schedule.len() >= 2,
        "the schedule's generate and send are audited: {audit}"
    );
}

/// The Root's unauthenticated manifest endpoint is rate-limited per client like the node
/// endpoints (each accepted manifest costs a receipt signature).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_manifest_endpoint_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (l, base) = listener().await;
    let mut c = Config::new(
        common::fresh_database_url(dir.path()).await,
        Sealer::generate_secret(),
    );
    c.hash_cost = CHEAP;
    c.http.rate_limit_manifest = hwf_license_server::config::Rate {
        per_second: 0.001,
        burst: 2,
    };
    let app = App::open_with_clock(&c, Roles::Root, ManualClock::new(JAN15))
        .await
        .unwrap();
    let _task = app.spawn(l);
    let http = reqwest::Client::new();
    let mut statuses = vec![];
    for _ in 0..3 {
        let r = http
            .post(format!("{base}/api/root/manifests"))
            .json(&json!({"org_id": "acme", "manifest": "a.b.c"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 429]);
}
