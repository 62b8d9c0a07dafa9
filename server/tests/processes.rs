//! The built `hwf-license serve` binary as separate processes on the suite's database
//! (`HWF_TEST_DATABASE`, see `common`): two replicas sharing one database, and a server killed
//! with SIGKILL in the middle of a stream of writes, then restarted on the same data.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hwf_license::{
    verify_ledger, verify_ledger_entry, Environment, LedgerEvent, NodeFacts, PublicKey,
    TrustedRoot, Validator, VerifiedCml,
};
use hwf_license_server::service::totp;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_hwf-license");
const SECRET: &str = "a-master-secret-for-the-process-tests-0123456789";
const ADMIN_PASSWORD: &str = "admin-password-for-the-process-tests";

/// One `hwf-license serve --role both` process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts a server on `database_url`; call [`Server::ready`] before using it.
    fn spawn(dir: &Path, database_url: &str, name: &str) -> Server {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(BIN)
            .args(["--data-dir", &dir.join("data").display().to_string()])
            .args(["--database-url", database_url])
            .args(["serve", "--role", "both", "--insecure-http"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--root-url", &format!("http://127.0.0.1:{port}")])
            // Every request of these tests comes from 127.0.0.1: no per-IP limits.
            .args(["--rate-limit-node", "0", "--rate-limit-login", "0"])
            .env("HWF_MASTER_SECRET", SECRET)
            .env("HWF_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HWF_LOG", "warn")
            .env_remove("HWF_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Waits until the server answers `/api/health` (at most 60 s).
    async fn ready(&mut self, http: &reqwest::Client) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("server exited with {status}: {}", self.log_text());
            }
            if let Ok(r) = http.get(format!("{}/api/health", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server not ready after 60 s: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as systemd stops the service; waits (at most 30 s) for the process to exit and
    /// asserts that it exited successfully.
    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server still running 30 s after SIGTERM: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}: {}", self.log_text());
    }

    /// SIGKILL: no shutdown, no flush, no cleanup.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Res {
    status: u16,
    body: Value,
}

/// An HTTP client signed in as the admin of one server (the Hub's and the Root's, each with a
/// fresh second factor).
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    root_token: String,
}

/// The TOTP secrets of one database's admins by realm, once enrolled (replicas share them).
type Factors = std::sync::Mutex<std::collections::HashMap<String, String>>;

impl Client {
    /// Signs both admins in: the first sign-in on a database enrols TOTP (the secret kept in
    /// `factors`), later ones send the next code (one step ahead, within the ±1 step).
    async fn login(http: &reqwest::Client, base: &str, factors: &Factors) -> Client {
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
        };
        let post = |path: &str, token: Option<&str>, body: Value| {
            let mut req = http.post(format!("{base}{path}")).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                assert_eq!(status, 200, "{body}");
                body
            }
        };
        let mut tokens = Vec::new();
        for realm in ["hub", "root"] {
            let known = factors.lock().unwrap().get(realm).cloned();
            let mut body = json!({"username": "admin", "password": ADMIN_PASSWORD, "realm": realm});
            if let Some(secret) = &known {
                body["code"] = json!(totp::code_from_base32(secret, now() + 30).unwrap());
            }
            let login = post("/api/auth/login", None, body).await;
            let token = login["token"].as_str().unwrap().to_string();
            if known.is_some() {
                tokens.push(token);
                continue;
            }
            let e = post("/api/auth/totp/enrol", Some(&token), json!({})).await;
            let secret = e["secret"].as_str().unwrap().to_string();
            let code = totp::code_from_base32(&secret, now()).unwrap();
            let done = post(
                "/api/auth/totp/confirm",
                Some(&token),
                json!({ "code": code }),
            )
            .await;
            factors.lock().unwrap().insert(realm.into(), secret);
            tokens.push(done["login"]["token"].as_str().unwrap().to_string());
        }
        Client {
            http: http.clone(),
            base: base.into(),
            token: tokens[0].clone(),
            root_token: tokens[1].clone(),
        }
    }

    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<Res> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(match path.starts_with("/api/root/") {
                true => &self.root_token,
                false => &self.token,
            });
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok(Res {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        })
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let r = self.try_call(method.clone(), path, body).await.unwrap();
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        r.body
    }
}

/// Runs the CLI on the database (for the org key, which only the Hub's host can read).
fn cli(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(["--data-dir", &dir.join("data").display().to_string()])
        .args(["--database-url", database_url])
        .args(args)
        .env("HWF_MASTER_SECRET", SECRET)
        .env("HWF_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("HWF_LOG", "warn")
        .env_remove("HWF_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Issues a CML for the Hub's org key at the Root and installs it on the Hub; returns it.
async fn install(c: &Client, dir: &Path, database_url: &str, max_sites: u32) -> String {
    let pem = dir.join("org.pem");
    cli(
        dir,
        database_url,
        &["keys", "org", "--out", &pem.display().to_string()],
    );
    let org_key = std::fs::read_to_string(&pem).unwrap();
    let issued = c
        .ok(
            reqwest::Method::POST,
            "/api/root/cml",
            Some(
                json!({"org_id": "acme", "org_key": org_key, "max_sites": max_sites,
                        "valid_days": 365, "feature_packs": ["analytics"],
                        "environment": "prod"}),
            ),
        )
        .await;
    let cml = issued["cml"].as_str().unwrap().to_string();
    c.ok(
        reqwest::Method::POST,
        "/api/cml/upload",
        Some(json!({"cml": cml})),
    )
    .await;
    cml
}

/// The database as the test reads it directly.
async fn pool(database_url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(database_url)
        .await
        .unwrap()
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// What the ledger says, read from the database and checked with core alone: the whole chain
/// verifies and ends at the recorded head; the sites created and revoked, by event.
struct LedgerFacts {
    length: u64,
    created: BTreeSet<String>,
    revoked: BTreeSet<String>,
}

/// A node's validator trusting the Root's keys as served.
async fn validator(c: &Client) -> Validator {
    let keys = c.ok(reqwest::Method::GET, "/api/root/keys", None).await;
    let roots = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            TrustedRoot::new(
                k["kid"].as_str().unwrap(),
                Environment::parse(k["environment"].as_str().unwrap()).unwrap(),
                PublicKey::from_pem(k["public_key_pem"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    Validator::new(Environment::Prod, roots)
}

async fn ledger_facts(c: &Client, pool: &sqlx::AnyPool, cml_jws: &str) -> LedgerFacts {
    use sqlx::Row;
    let cml: Arc<VerifiedCml> = validator(c).await.verify_cml(cml_jws).unwrap();
    let rows = sqlx::query("SELECT seq, jws FROM ledger ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap();
    let jws: Vec<String> = rows.iter().map(|r| r.try_get(1).unwrap()).collect();
    let summary = verify_ledger(&cml, jws.iter().map(String::as_str)).expect("ledger chain");
    let head: String = sqlx::query("SELECT ledger_head FROM hub_state WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(summary.head, head, "the chain ends at the recorded head");
    let api = c.ok(reqwest::Method::GET, "/api/ledger/verify", None).await;
    assert_eq!(
        (api["ok"].as_bool(), api["length"].as_u64()),
        (Some(true), Some(summary.length))
    );
    let mut facts = LedgerFacts {
        length: summary.length,
        created: BTreeSet::new(),
        revoked: BTreeSet::new(),
    };
    for j in &jws {
        let e = verify_ledger_entry(&cml, j).unwrap().claims;
        let site = e.site_id.clone().unwrap_or_default();
        let fresh = match e.event {
            LedgerEvent::SiteCreated => facts.created.insert(site),
            LedgerEvent::SiteRevoked => facts.revoked.insert(site),
            _ => true,
        };
        assert!(fresh, "one ledger entry per creation and revocation");
    }
    facts
}

/// Two `serve` processes started at once on one empty database: one admin and one root key per
/// environment between them; then 100 concurrent creations, alternating between the two,
/// against `max_sites = 25`: exactly 25 created, 75 refused with 409 `max-sites-reached`, no
/// 5xx, and one unbroken ledger that both replicas and core verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_database_hold_max_sites_and_keep_one_ledger() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let url = common::fresh_database_url(&dir.path().join("data")).await;
    let http = reqwest::Client::new();
    let mut a = Server::spawn(dir.path(), &url, "a");
    let mut b = Server::spawn(dir.path(), &url, "b");
    a.ready(&http).await;
    b.ready(&http).await;
    let db = pool(&url).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM users").await,
        2,
        "one first admin per realm, not one per process"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM root_keys").await,
        2,
        "one root key per environment, not one per process"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM schema_migrations").await,
        6
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM receipt_keys").await,
        2,
        "one receipt key per environment, not one per process"
    );

    let factors = Factors::default();
    let ca = Client::login(&http, &a.base, &factors).await;
    let cb = Client::login(&http, &b.base, &factors).await;
    let cml = install(&ca, dir.path(), &url, 25).await;
    let status = cb.ok(reqwest::Method::GET, "/api/cml", None).await;
    assert_eq!(
        status["max_sites"], 25,
        "replica b sees the CML a installed"
    );

    let mut tasks = Vec::new();
    for i in 0..100 {
        let c = if i % 2 == 0 { ca.clone() } else { cb.clone() };
        tasks.push(tokio::spawn(async move {
            c.try_call(
                reqwest::Method::POST,
                "/api/sites/create",
                Some(json!({"site_id": format!("replica-{i:03}")})),
            )
            .await
            .unwrap()
        }));
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 409 {
            assert_eq!(
                r.body["type"], "urn:hwf-license:problem:max-sites-reached",
                "{}",
                r.body
            );
        } else {
            assert_eq!(r.status, 201, "{}", r.body);
        }
        *by_status.entry(r.status).or_default() += 1;
    }
    assert_eq!(by_status, BTreeMap::from([(201, 25), (409, 75)]));
    assert_eq!(
        count(&db, "SELECT count(*) FROM sites WHERE status = 'active'").await,
        25
    );
    for c in [&ca, &cb] {
        let v = c.ok(reqwest::Method::GET, "/api/ledger/verify", None).await;
        assert_eq!(
            (v["ok"].as_bool(), v["length"].as_u64()),
            (Some(true), Some(26))
        );
    }
    let facts = ledger_facts(&cb, &db, &cml).await;
    assert_eq!((facts.length, facts.created.len()), (26, 25));
    db.close().await;
}

/// A server killed with SIGKILL while 8 clients create sites, heartbeat them and revoke some:
/// after a restart on the same data every acknowledged creation and revocation is there, every
/// site row has its license and its ledger entry (and every ledger entry its row), the ledger
/// verifies, and the active count is the ledger's created − revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_stream_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let url = common::fresh_database_url(&dir.path().join("data")).await;
    let http = reqwest::Client::new();
    let mut server = Server::spawn(dir.path(), &url, "first");
    server.ready(&http).await;
    let factors = Factors::default();
    let c = Client::login(&http, &server.base, &factors).await;
    let cml = install(&c, dir.path(), &url, 100_000).await;

    #[derive(Default)]
    struct Acked {
        created: BTreeSet<String>,
        revoked: BTreeSet<String>,
        heartbeats: usize,
    }
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (c, acked) = (c.clone(), Arc::clone(&acked));
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let site = format!("k-{w}-{i}");
                let Ok(r) = c
                    .try_call(
                        reqwest::Method::POST,
                        "/api/sites/create",
                        Some(json!({"site_id": site})),
                    )
                    .await
                else {
                    return; // the server is gone
                };
                assert_eq!(r.status, 201, "{}", r.body);
                acked.lock().unwrap().created.insert(site.clone());
                let license_id = r.body["site"]["license_id"].as_str().unwrap().to_string();
                let nonce = hwf_license_server::service::keys::random_id("nonce-");
                let Ok(r) = c
                    .try_call(
                        reqwest::Method::POST,
                        &format!("/api/sites/{site}/heartbeat"),
                        Some(json!({"license_id": license_id, "nonce": nonce})),
                    )
                    .await
                else {
                    return;
                };
                assert_eq!(r.status, 200, "{}", r.body);
                acked.lock().unwrap().heartbeats += 1;
                if i % 5 == 4 {
                    let Ok(r) = c
                        .try_call(reqwest::Method::DELETE, &format!("/api/sites/{site}"), None)
                        .await
                    else {
                        return;
                    };
                    assert_eq!(r.status, 200, "{}", r.body);
                    acked.lock().unwrap().revoked.insert(site);
                }
            }
        }));
    }
    // Kill once the stream is well under way (writes in flight on every client).
    let started = Instant::now();
    while acked.lock().unwrap().created.len() < 80 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stream stalled: {}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.heartbeats > 0 && !acked.revoked.is_empty());

    let mut server = Server::spawn(dir.path(), &url, "restarted");
    server.ready(&http).await;
    let c = Client::login(&http, &server.base, &factors).await;
    let db = pool(&url).await;
    let facts = ledger_facts(&c, &db, &cml).await;

    use sqlx::Row;
    let node = validator(&c).await;
    let rows = sqlx::query("SELECT site_id, status, license, license_id FROM sites")
        .fetch_all(&db)
        .await
        .unwrap();
    let mut in_table = BTreeSet::new();
    let mut revoked_in_table = BTreeSet::new();
    for r in &rows {
        let (site, status, license, license_id): (String, String, String, String) = (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
            r.try_get(3).unwrap(),
        );
        let verdict = node
            .validate(license.as_bytes(), &NodeFacts::default())
            .unwrap_or_else(|e| panic!("{site}: its stored site.lic does not validate: {e}"));
        assert_eq!(
            (verdict.site_id.as_str(), verdict.license_id.as_str()),
            (site.as_str(), license_id.as_str())
        );
        if status == "revoked" {
            revoked_in_table.insert(site.clone());
        }
        in_table.insert(site);
    }
    assert!(
        acked.created.is_subset(&in_table),
        "acknowledged creations lost: {:?}",
        acked.created.difference(&in_table).collect::<Vec<_>>()
    );
    assert!(acked.revoked.is_subset(&revoked_in_table));
    assert_eq!(
        in_table, facts.created,
        "every site row has its ledger entry"
    );
    assert_eq!(revoked_in_table, facts.revoked);
    let active = count(&db, "SELECT count(*) FROM sites WHERE status = 'active'").await;
    assert_eq!(
        active,
        (facts.created.len() - facts.revoked.len()) as i64,
        "active sites = created − revoked in the ledger"
    );
    let status = c.ok(reqwest::Method::GET, "/api/cml", None).await;
    assert_eq!(status["active_sites"], active);

    // The restarted server carries on the same chain.
    c.ok(
        reqwest::Method::POST,
        "/api/sites/create",
        Some(json!({"site_id": "after-restart"})),
    )
    .await;
    let after = ledger_facts(&c, &db, &cml).await;
    assert_eq!(after.length, facts.length + 1);
    db.close().await;
}

/// The validation results a Hub counts in memory (the dashboard's activity chart) are written
/// when the service is stopped with SIGTERM, not lost with the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_writes_the_validation_counts_it_held() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let url = common::fresh_database_url(&dir.path().join("data")).await;
    let http = reqwest::Client::new();
    let mut server = Server::spawn(dir.path(), &url, "stopped");
    server.ready(&http).await;
    let factors = Factors::default();
    let c = Client::login(&http, &server.base, &factors).await;
    install(&c, dir.path(), &url, 10).await;
    let created = c
        .ok(
            reqwest::Method::POST,
            "/api/sites/create",
            Some(json!({"site_id": "counted"})),
        )
        .await;
    let license = created["license"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let r = c
            .try_call(
                reqwest::Method::POST,
                "/api/validate",
                Some(json!({"license": license, "facts": {}})),
            )
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("valid")),
            "{}",
            r.body
        );
    }
    // No idle keep-alive connection holds the graceful shutdown open.
    drop(c);
    drop(http);
    server.terminate();
    let db = pool(&url).await;
    let sql =
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM node_activity WHERE kind = 'valid'";
    assert_eq!(count(&db, sql).await, 3);
}
