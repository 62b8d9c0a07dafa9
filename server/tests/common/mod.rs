//! What every integration test shares: the database each test runs on.
//!
//! `HWF_TEST_DATABASE` picks the backend of the whole suite: `sqlite` (the default; a file in
//! the test's temporary directory) or `postgres` (a fresh, empty database `hwf_test_<random>`
//! created on the server at `HWF_TEST_POSTGRES_URL`, which `scripts/test-server.sh` starts).
//! The same tests run unchanged on both.

#![allow(dead_code)] // each test binary uses a part of this module

pub mod forms;
pub mod page;

use std::path::Path;

use hwf_license_server::app::App;
use hwf_license_server::config::{Config, HashCost, Roles};
use hwf_license_server::service::clock::SharedClock;
use hwf_license_server::service::keys::Sealer;

/// A password hash cheap enough for tests that sign in often (Argon2id, 64 KiB, one pass).
pub const CHEAP: HashCost = HashCost { m_kib: 64, t: 1 };

/// One server of both roles ([`serve_both`]); the test keeps `dir` and `task` alive.
pub struct Served {
    /// The temporary directory of its database (SQLite) and data.
    pub dir: tempfile::TempDir,
    /// The application (its services for direct calls).
    pub app: App,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The first admin's generated password (empty when the configuration set one).
    pub password: String,
    /// The serving task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Serves Root and Hub in one process on a free loopback port over a fresh database (see
/// [`fresh_database_url`]) with services reading `clock`: the Hub's Root is the server itself,
/// passwords hash with [`CHEAP`]; `tune` adjusts the configuration before the server opens.
pub async fn serve_both(clock: SharedClock, tune: impl FnOnce(&mut Config)) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::new(
        fresh_database_url(dir.path()).await,
        Sealer::generate_secret(),
    );
    config.hub.root_url = Some(base.clone());
    config.hash_cost = CHEAP;
    tune(&mut config);
    let app = App::open_with_clock(&config, Roles::Both, clock)
        .await
        .unwrap();
    let password = app.services.admin_password.clone().unwrap_or_default();
    let task = app.spawn(listener);
    Served {
        dir,
        app,
        base,
        password,
        task,
    }
}

/// The backend the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestDb {
    /// An embedded SQLite file per test.
    Sqlite,
    /// A fresh database per test on the PostgreSQL server at `HWF_TEST_POSTGRES_URL`.
    Postgres,
}

/// The backend chosen by `HWF_TEST_DATABASE` (`sqlite` when unset).
pub fn test_db() -> TestDb {
    match std::env::var("HWF_TEST_DATABASE").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => TestDb::Sqlite,
        Ok("postgres") => TestDb::Postgres,
        Ok(other) => panic!("HWF_TEST_DATABASE must be sqlite or postgres, not {other:?}"),
    }
}

/// A fresh, empty database for one test: SQLite in `dir`, or a new PostgreSQL database.
pub async fn fresh_database_url(dir: &Path) -> String {
    match test_db() {
        TestDb::Sqlite => hwf_license_server::store::sqlite_url(dir),
        TestDb::Postgres => fresh_postgres().await,
    }
}

/// [`fresh_database_url`] for synchronous tests.
pub fn fresh_database_url_blocking(dir: &Path) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fresh_database_url(dir))
}

/// Creates `hwf_test_<random>` on the server at `HWF_TEST_POSTGRES_URL` and returns its URL.
pub async fn fresh_postgres() -> String {
    use sqlx::{Connection, Executor};
    let url = std::env::var("HWF_TEST_POSTGRES_URL").expect(
        "HWF_TEST_DATABASE=postgres needs HWF_TEST_POSTGRES_URL (scripts/test-server.sh starts \
         a throwaway server and sets both)",
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}"));
    let name = hwf_license_server::service::keys::random_id("hwf_test_");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// Signs in `realm`'s first admin with `password` (its first sign-in may only enrol a second
/// factor), enrols TOTP and confirms it with the code at `now`, as an authenticator app would.
/// Returns the token the confirmation gives (a fresh second factor, so admin actions pass
/// step-up) and the TOTP secret (for later sign-ins' codes).
pub async fn enrol_first_admin(
    http: &reqwest::Client,
    base: &str,
    realm: &str,
    password: &str,
    now: i64,
) -> (String, String) {
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut req = http.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let path = path.to_string();
        async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            assert_eq!(status, 200, "{path} ({realm}): {body}");
            body
        }
    };
    let first = post(
        "/api/auth/login",
        None,
        serde_json::json!({"username": "admin", "password": password, "realm": realm}),
    )
    .await;
    let token = first["token"].as_str().unwrap().to_string();
    let secret = post("/api/auth/totp/enrol", Some(&token), serde_json::json!({})).await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = hwf_license_server::service::totp::code_from_base32(&secret, now).unwrap();
    let confirmed = post(
        "/api/auth/totp/confirm",
        Some(&token),
        serde_json::json!({ "code": code }),
    )
    .await;
    (
        confirmed["login"]["token"].as_str().unwrap().to_string(),
        secret,
    )
}
