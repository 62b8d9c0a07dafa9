//! What every integration test shares: the database each test runs on.
//!
//! `HWF_TEST_DATABASE` picks the backend of the whole suite: `sqlite` (the default; a file in
//! the test's temporary directory) or `postgres` (a fresh, empty database `hwf_test_<random>`
//! created on the server at `HWF_TEST_POSTGRES_URL`, which `scripts/test-server.sh` starts).
//! The same tests run unchanged on both.

#![allow(dead_code)] // each test binary uses a part of this module

use std::path::Path;

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
