//! `hwf-license demo`: the product's end-to-end scenario in one process, over real HTTPS
//! (TLS 1.3, a self-signed certificate held in memory, pinned by the Hub by its SHA-256
//! fingerprint) on 127.0.0.1, on embedded SQLite in a temporary directory. Root and Hub keys are generated, the
//! Root issues a CML for the Hub's org key, the Hub installs it, mints 10 site licenses (an
//! 11th is refused), nodes send heartbeats and check the signed answers with core, a site is
//! revoked (its node then fails validation), the month's manifest is generated, sent to the
//! Root and verified there, and the ledger is verified end to end.

//!
//! Imports: `app`, `service`, `config`, `domain`, `http` (problem objects), `tls`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hwf_license::{Clock, Environment, NodeFacts, PublicKey, TrustedRoot, Validator};
use serde::Serialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::config::{Config, Roles};
use crate::domain::Realm;
use crate::http::problem::Problem;
use crate::service::accounts::generate_password;
use crate::service::keys::{random_id, Sealer};

/// A directory under the system's temporary directory, removed when dropped (where the demo
/// keeps its data unless told otherwise).
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, private directory.
    pub fn new() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(random_id("hwf-license-demo-"));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&path)?;
        Ok(Self(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the demo did, for the printed summary and for tests.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The data directory used.
    pub data_dir: String,
    /// Where it served.
    pub url: String,
    /// The org.
    pub org_id: String,
    /// Active sites at the end.
    pub active_sites: i64,
    /// The CML's limit.
    pub max_sites: u32,
    /// Sites minted in all.
    pub minted: usize,
    /// The status code of the refused create beyond the limit.
    pub over_limit_status: u16,
    /// Heartbeat answers verified by the node validator.
    pub heartbeats_verified: usize,
    /// The revoked site.
    pub revoked_site: String,
    /// The error code name the revoked node got from core.
    pub revoked_node_error: String,
    /// Ledger length.
    pub ledger_length: u64,
    /// Ledger head.
    pub ledger_head: String,
    /// Manifest period.
    pub manifest_period: String,
    /// Manifest id.
    pub manifest_id: String,
    /// Manifest delivery status at the Hub.
    pub manifest_status: String,
    /// Delivery attempts.
    pub manifest_attempts: i64,
    /// The Root's view of the org after the manifest.
    pub root_compliance: Value,
}

/// A small JSON client over HTTP with a bearer token.
struct Http {
    base: String,
    client: reqwest::Client,
    token: Option<String>,
    /// The Root realm's token, sent to `/api/root/` routes (the realms are separate).
    root_token: Option<String>,
}

impl Http {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Problem> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        let token = match path.starts_with("/api/root/") {
            true => &self.root_token,
            false => &self.token,
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(Problem::internal)?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(Problem::internal)?;
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, v))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Problem> {
        let (status, v) = self.call(method.clone(), path, body).await?;
        if !(200..300).contains(&status) {
            return Err(Problem::internal(format_args!(
                "{method} {path} answered {status}: {v}"
            )));
        }
        Ok(v)
    }
}

/// Signs the first admin of `realm` in as a client would: the password gives a token that may
/// only enrol; the client enrols a TOTP factor, computes the current code from the secret (as an
/// authenticator app does) and confirms it, which answers a token with a fresh second factor.
async fn sign_in(http: &Http, realm: &str, password: &str) -> Result<String, Problem> {
    use reqwest::Method;
    let login = http
        .ok(
            Method::POST,
            "/api/auth/login",
            Some(json!({"username": "admin", "password": password, "realm": realm})),
        )
        .await?;
    let enrol_only = Http {
        base: http.base.clone(),
        client: http.client.clone(),
        token: login["token"].as_str().map(String::from),
        root_token: None,
    };
    let enrolment = enrol_only
        .ok(Method::POST, "/api/auth/totp/enrol", None)
        .await?;
    let secret = enrolment["secret"].as_str().unwrap_or_default();
    let code = crate::service::totp::code_from_base32(secret, hwf_license::SystemClock.now())?;
    let done = enrol_only
        .ok(
            Method::POST,
            "/api/auth/totp/confirm",
            Some(json!({ "code": code })),
        )
        .await?;
    done["login"]["token"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| Problem::internal("no token after the enrolment"))
}

fn say(quiet: bool, line: impl AsRef<str>) {
    if !quiet {
        println!("{}", line.as_ref());
    }
}

/// Runs the scenario with its SQLite data in `dir`; prints each step unless `quiet`.
pub async fn run(dir: &Path, quiet: bool) -> Result<Summary, Problem> {
    run_on(
        &crate::store::sqlite_url(dir),
        &dir.display().to_string(),
        quiet,
    )
    .await
}

/// Runs the scenario on the database at `database_url` (which must be empty), described as
/// `where_` in the output.
pub async fn run_on(database_url: &str, where_: &str, quiet: bool) -> Result<Summary, Problem> {
    use reqwest::Method;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(Problem::internal)?;
    let addr = listener.local_addr().map_err(Problem::internal)?;
    let base = format!("https://{addr}");
    let tls = crate::tls::ephemeral(crate::config::TlsVersion::Tls13)
        .map_err(|e| Problem::internal(e.to_string()))?;
    let admin_password = generate_password();
    let mut config = Config::new(database_url, Sealer::generate_secret());
    config.hub.root_url = Some(base.clone());
    config.hub.root_fingerprint =
        Some(crate::config::parse_fingerprint(&tls.fingerprint).map_err(Problem::internal)?);
    // The demo sets its own admin password instead of printing a generated one.
    config.secrets.admin_password = Some(admin_password.clone());
    let app = App::open(&config, Roles::Both).await?;
    for realm in [Realm::Hub, Realm::Root] {
        app.services
            .accounts
            .set_password(realm, "admin", &admin_password)
            .await?;
    }
    let server = app.spawn_tls(listener, &tls);
    let hub = app
        .services
        .hub
        .clone()
        .ok_or_else(|| Problem::internal("no hub"))?;
    say(
        quiet,
        format!(
            "hwf-license demo: Root and Hub on {base} (TLS 1.3, self-signed certificate SHA-256 \
             {}, pinned by the Hub), data in {where_}",
            tls.fingerprint
        ),
    );

    let mut http = Http {
        base: base.clone(),
        client: reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_3)
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(tls.cert_pem.as_bytes())
                    .map_err(Problem::internal)?,
            )
            .build()
            .map_err(Problem::internal)?,
        token: None,
        root_token: None,
    };
    http.token = Some(sign_in(&http, "hub", &admin_password).await?);
    http.root_token = Some(sign_in(&http, "root", &admin_password).await?);
    say(
        quiet,
        "1. Hub and Root admins signed in (separate accounts), enrolled TOTP, step-up for admin actions",
    );

    let keys = http.ok(Method::GET, "/api/root/keys", None).await?;
    let roots: Vec<TrustedRoot> = keys
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| {
            Some(TrustedRoot::new(
                k["kid"].as_str()?,
                Environment::parse(k["environment"].as_str()?).ok()?,
                PublicKey::from_pem(k["public_key_pem"].as_str()?).ok()?,
            ))
        })
        .collect();
    let org_jwk = serde_json::to_value(hub.org_public_key().to_jwk()).map_err(Problem::internal)?;
    say(
        quiet,
        format!(
        "2. keys: {} root keys (prod + dev), Hub org key {} — private keys sealed with AES-256-GCM",
        roots.len(),
        hub.org_public_key().thumbprint()
    ),
    );

    let org_id = "acme-energy";
    let issued = http
        .ok(
            Method::POST,
            "/api/root/cml",
            Some(json!({
                "org_id": org_id, "org_key": org_jwk, "max_sites": 10, "valid_days": 365,
                "feature_packs": ["analytics", "boost"], "environment": "prod", "grace_days": 30,
            })),
        )
        .await?;
    let cml = issued["cml"].as_str().unwrap_or_default().to_string();
    let status = http
        .ok(Method::POST, "/api/cml/upload", Some(json!({"cml": cml})))
        .await?;
    say(
        quiet,
        format!(
            "3. Root issued CML {} (max_sites 10, prod); Hub verified and installed it: {}",
            issued["license_id"].as_str().unwrap_or("?"),
            status["status"].as_str().unwrap_or("?")
        ),
    );

    let mut licenses = Vec::new();
    for i in 1..=10 {
        let site_id = format!("site-{i:02}");
        let tier = if i % 3 == 0 { "basic" } else { "active" };
        let r = http
            .ok(
                Method::POST,
                "/api/sites/create",
                Some(json!({
                    "site_id": site_id, "product": "hwf", "tier": tier,
                    "features": ["analytics"],
                    "fingerprint": {"deployment_tag": format!("plant-{i:02}")},
                })),
            )
            .await?;
        licenses.push((
            site_id,
            r["license"].as_str().unwrap_or_default().to_string(),
            format!("plant-{i:02}"),
        ));
    }
    let (over_status, over) = http
        .call(
            Method::POST,
            "/api/sites/create",
            Some(json!({"site_id": "site-11"})),
        )
        .await?;
    say(
        quiet,
        format!(
            "4. minted 10 site licenses; an 11th was refused: {over_status} {}",
            over["type"].as_str().unwrap_or("?")
        ),
    );

    let node = Validator::new(Environment::Prod, roots);
    let mut verified = 0;
    let mut license_ids = Vec::new();
    for (site_id, lic, tag) in &licenses {
        let facts = NodeFacts {
            deployment_tag: Some(tag.clone()),
            ..Default::default()
        };
        let verdict = node.validate(lic.as_bytes(), &facts)?;
        let nonce = node.new_nonce()?;
        let hb = http
            .ok(
                Method::POST,
                &format!("/api/sites/{site_id}/heartbeat"),
                Some(json!({"license_id": verdict.license_id, "nonce": nonce})),
            )
            .await?;
        let info =
            node.verify_heartbeat(lic.as_bytes(), hb["answer"].as_str().unwrap_or(""), &nonce)?;
        if info.status == "active" && !info.revoked {
            verified += 1;
        }
        license_ids.push(verdict.license_id);
    }
    say(quiet, format!("5. {verified} nodes sent heartbeats; each verified the signed, nonce-bound answer and its license offline"));

    let (revoked_site, revoked_lic, revoked_tag) = licenses[6].clone();
    http.ok(Method::DELETE, &format!("/api/sites/{revoked_site}"), None)
        .await?;
    let license_id = license_ids[6].clone();
    let nonce = node.new_nonce()?;
    let hb = http
        .ok(
            Method::POST,
            &format!("/api/sites/{revoked_site}/heartbeat"),
            Some(json!({"license_id": license_id, "nonce": nonce})),
        )
        .await?;
    let info = node.verify_heartbeat(
        revoked_lic.as_bytes(),
        hb["answer"].as_str().unwrap_or(""),
        &nonce,
    )?;
    let facts = NodeFacts {
        deployment_tag: Some(revoked_tag),
        ..Default::default()
    };
    // The node restarts: its trust state (floor, revocation list) comes back from the bytes it
    // saved, so the revocation it learnt is not forgotten.
    let saved = node.export_state();
    let node = Validator::new(Environment::Prod, node.roots().to_vec());
    node.import_state(&saved)?;
    let revoked_err = match node.validate(revoked_lic.as_bytes(), &facts) {
        Ok(_) => return Err(Problem::internal("a revoked license still validates")),
        Err(e) => e,
    };
    say(quiet, format!(
        "6. revoked {revoked_site}; its node got revocation list #{} in its heartbeat and, after a restart with its saved trust state, fails: {} ({})",
        info.revocation_seq,
        revoked_err.code().name(),
        revoked_err
    ));
    http.ok(
        Method::POST,
        "/api/sites/create",
        Some(json!({"site_id": "site-11", "features": ["boost"]})),
    )
    .await?;
    say(quiet, "7. the freed slot took site-11");

    let period = hub.current_period();
    let m = http
        .ok(
            Method::POST,
            "/api/manifests/generate",
            Some(json!({"period": period})),
        )
        .await?;
    let manifest_id = m["id"].as_str().unwrap_or_default().to_string();
    let sent = http
        .ok(
            Method::POST,
            "/api/manifests/send",
            Some(json!({"id": manifest_id})),
        )
        .await?;
    // What the Root recorded from the manifest it verified (its compliance view of the org);
    // `sent` means the Hub verified the Root's signed receipt.
    let orgs = http.ok(Method::GET, "/api/root/orgs", None).await?;
    let compliance = orgs
        .as_array()
        .and_then(|a| a.iter().find(|o| o["org_id"] == org_id).cloned())
        .unwrap_or(Value::Null);
    say(quiet, format!(
        "8. manifest {period} generated (signed by the org key) and sent over HTTPS (pinned); the Root verified it and recorded {} active sites; its signed receipt verified at the Hub: {}",
        compliance["last_active_sites"], sent["status"].as_str().unwrap_or("?")
    ));

    let ledger = http.ok(Method::GET, "/api/ledger/verify", None).await?;
    let stats = http.ok(Method::GET, "/api/stats", None).await?;
    server.abort();
    let summary = Summary {
        data_dir: where_.into(),
        url: base,
        org_id: org_id.into(),
        active_sites: stats["active_sites"].as_i64().unwrap_or(-1),
        max_sites: stats["max_sites"].as_u64().unwrap_or(0) as u32,
        minted: licenses.len() + 1,
        over_limit_status: over_status,
        heartbeats_verified: verified,
        revoked_site,
        revoked_node_error: revoked_err.code().name().into(),
        ledger_length: ledger["length"].as_u64().unwrap_or(0),
        ledger_head: ledger["head"].as_str().unwrap_or_default().into(),
        manifest_period: period,
        manifest_id,
        manifest_status: sent["status"].as_str().unwrap_or_default().into(),
        manifest_attempts: sent["attempts"].as_i64().unwrap_or(0),
        root_compliance: compliance,
    };
    say(quiet, "");
    say(quiet, "Summary");
    say(
        quiet,
        format!(
            "  sites active/max   {}/{}",
            summary.active_sites, summary.max_sites
        ),
    );
    say(
        quiet,
        format!(
            "  ledger             {} entries, verified; head {}",
            summary.ledger_length, summary.ledger_head
        ),
    );
    say(
        quiet,
        format!(
            "  manifest {}    {} after {} attempt(s), id {}",
            summary.manifest_period,
            summary.manifest_status,
            summary.manifest_attempts,
            summary.manifest_id
        ),
    );
    say(
        quiet,
        format!(
            "  Root compliance    CML {}, last manifest {}, over limit: {}",
            summary.root_compliance["cml_status"]
                .as_str()
                .unwrap_or("?"),
            summary.root_compliance["last_manifest_period"]
                .as_str()
                .unwrap_or("none"),
            summary.root_compliance["over_limit"]
        ),
    );
    Ok(summary)
}
