//! The `hwf-license` binary from the shell: an operator's whole flow on one data directory
//! (Root and Hub sharing it), with `--json` output read back. The database is the suite's
//! backend (`HWF_TEST_DATABASE`, see `common`): SQLite in the data directory or a fresh
//! PostgreSQL database.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_hwf-license");

struct Shell {
    dir: tempfile::TempDir,
    database_url: String,
    secret: String,
}

impl Shell {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Self {
            database_url: common::fresh_database_url_blocking(&data),
            dir,
            secret: "a-master-secret-of-at-least-thirty-two-bytes".into(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(["--data-dir", &self.path("data")])
            .args(["--database-url", &self.database_url])
            .args(args)
            .env("HWF_MASTER_SECRET", &self.secret)
            .env("HWF_ADMIN_PASSWORD", "admin-password-for-the-cli-test")
            .env_remove("HWF_DATABASE_URL")
            .env("HWF_LOG", "warn")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }
}

#[test]
fn an_operator_runs_root_and_hub_from_the_shell() {
    let sh = Shell::new();
    let secret = sh.json(&["keys", "master-secret"]);
    assert!(secret["master_secret"].as_str().unwrap().len() >= 32);

    // Root keys exist after the first Root command; export them for the Hub and nodes.
    let roots = sh.ok(&["keys", "export-roots"]);
    std::fs::write(sh.path("roots.json"), &roots).unwrap();
    let roots: Value = serde_json::from_str(&roots).unwrap();
    assert_eq!(roots.as_array().unwrap().len(), 2);

    let org = sh.json(&["keys", "org", "--out", &sh.path("org.pem")]);
    assert!(Path::new(&sh.path("org.pem")).exists());
    let issued = sh.json(&[
        "cml",
        "issue",
        "--org-id",
        "acme",
        "--org-key",
        &sh.path("org.pem"),
        "--max-sites",
        "3",
        "--features",
        "analytics,boost",
        "--out",
        &sh.path("acme.cml"),
    ]);
    assert_eq!(issued["org_id"], "acme");
    let status = sh.json(&["cml", "upload", &sh.path("acme.cml")]);
    assert_eq!(
        (status["max_sites"].as_u64(), status["org_kid"].as_str()),
        (Some(3), org["kid"].as_str())
    );
    let text = sh.ok(&["cml", "show"]);
    assert!(text.contains("sites       0/3"), "{text}");

    let site = sh.json(&[
        "site",
        "mint",
        "--site-id",
        "plant-1",
        "--features",
        "analytics",
        "--deployment-tag",
        "tag-1",
        "--out",
        &sh.path("site.lic"),
    ]);
    assert_eq!(site["status"], "active");
    // Offline verification with only the root keys.
    let verdict = sh.json(&[
        "site",
        "verify",
        &sh.path("site.lic"),
        "--roots",
        &sh.path("roots.json"),
        "--deployment-tag",
        "tag-1",
    ]);
    assert_eq!(
        (verdict["status"].as_str(), verdict["site_id"].as_str()),
        (Some("valid"), Some("plant-1"))
    );
    let wrong = sh.run(&[
        "--json",
        "site",
        "verify",
        &sh.path("site.lic"),
        "--roots",
        &sh.path("roots.json"),
        "--deployment-tag",
        "tag-2",
    ]);
    assert!(!wrong.status.success());
    let problem: Value = serde_json::from_slice(&wrong.stderr).unwrap();
    assert_eq!(problem["error"], "deployment_tag_mismatch");

    // Bulk import: two fit, the third is over max_sites and is reported.
    std::fs::write(
        sh.path("sites.csv"),
        "site_id,product,tier,features,address,dns_suffix,deployment_tag,valid_days\n\
         plant-2,hwf,basic,analytics;boost,10.0.0.0/8,,,30\n\
         plant-3,boost,active,,,,tag-3,\n\
         plant-4,hwf,active,,,,,\n",
    )
    .unwrap();
    // The dry run says what each row would do and creates nothing.
    let dry = sh.run(&[
        "--json",
        "site",
        "import",
        "--dry-run",
        &sh.path("sites.csv"),
    ]);
    assert!(!dry.status.success(), "one row would fail");
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(
        (&report["dry_run"], &report["created"], &report["failed"]),
        (&Value::Bool(true), &Value::from(2), &Value::from(1))
    );
    assert_eq!(sh.json(&["site", "list", "--search", "plant"])["total"], 1);
    let out = sh.run(&["--json", "site", "import", &sh.path("sites.csv")]);
    assert!(!out.status.success(), "one row is over the limit");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<(&str, u64)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(outcomes, [("created", 2), ("created", 3), ("failed", 4)]);
    assert_eq!(report["rows"][2]["code"], "max-sites-reached");
    assert_eq!(
        report["rows"][2]["reason"],
        "the CML allows 3 active sites and 3 are active: this row is over the limit"
    );

    let list = sh.json(&["site", "list", "--search", "plant"]);
    assert_eq!(list["total"], 3);
    let two = sh.json(&["site", "list", "--search", "plant-2"]);
    assert_eq!(
        two["sites"][0]["features"],
        serde_json::json!(["analytics", "boost"])
    );
    assert_eq!(two["sites"][0]["fingerprint"]["address"], "10.0.0.0/8");
    sh.json(&["site", "revoke", "plant-3"]);
    let active = sh.json(&["site", "list", "--status", "active"]);
    assert_eq!(active["total"], 2);
    let lic = sh.ok(&["site", "download", "plant-1"]);
    assert_eq!(lic, std::fs::read_to_string(sh.path("site.lic")).unwrap());

    let ledger = sh.json(&["ledger", "verify"]);
    assert_eq!(ledger["length"], 5, "cml + 3 created + 1 revoked");
    let m = sh.json(&["manifest", "generate"]);
    let period = m["period"].as_str().unwrap().to_string();
    std::fs::write(sh.path("m.jws"), m["jws"].as_str().unwrap()).unwrap();
    let checked = sh.json(&["manifest", "verify", &sh.path("m.jws")]);
    assert_eq!(checked["stats"]["total_active_sites"], 2);
    let offline = sh.json(&[
        "manifest",
        "verify",
        &sh.path("m.jws"),
        "--cml",
        &sh.path("acme.cml"),
        "--roots",
        &sh.path("roots.json"),
    ]);
    assert_eq!(offline["period"], period.as_str());
    let text = sh.ok(&["manifest", "list"]);
    assert!(
        text.contains(&period) && text.contains("generated"),
        "{text}"
    );

    // By hand (issue 18): the Root receives the manifest file and writes the receipt file; the
    // Hub imports it, and only a receipt that verifies makes the manifest sent.
    sh.ok(&[
        "manifest",
        "receive",
        &sh.path("m.jws"),
        "--org",
        "acme",
        "--out",
        &sh.path("receipt.json"),
    ]);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(sh.path("receipt.json")).unwrap()).unwrap();
    assert!(
        file["receipt"].as_str().unwrap().starts_with("eyJ"),
        "{file}"
    );
    let mut forged = file.clone();
    forged["receipt"] = forged["receipt_key_certificate"].clone();
    std::fs::write(sh.path("forged.json"), forged.to_string()).unwrap();
    let out = sh.run(&[
        "manifest",
        "import-receipt",
        &sh.path("forged.json"),
        "--period",
        &period,
    ]);
    assert!(!out.status.success(), "a certificate is no receipt");
    let sent = sh.json(&[
        "manifest",
        "import-receipt",
        &sh.path("receipt.json"),
        "--period",
        &period,
    ]);
    assert_eq!(sent["status"], "sent", "{sent}");
    let user = sh.json(&["user", "add", "olga", "--role", "operator"]);
    assert!(
        user["password"].as_str().unwrap().len() >= 20,
        "generated and shown once"
    );
    let users = sh.json(&["user", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 2);
    // The Root's accounts are apart; the host's administrator unlocks and resets factors.
    let root_users = sh.json(&["user", "list", "--realm", "root"]);
    assert_eq!(root_users[0]["username"], "admin");
    assert_eq!(root_users.as_array().unwrap().len(), 1);
    assert_eq!(sh.json(&["user", "unlock", "olga"])["unlocked"], "olga");
    assert_eq!(
        sh.json(&["user", "reset-mfa", "admin", "--realm", "root"])["mfa_reset"],
        "admin"
    );
    let orgs = sh.json(&["orgs"]);
    assert_eq!(orgs[0]["org_id"], "acme");

    // Without the master secret nothing opens.
    let out = Command::new(BIN)
        .args(["--database-url", &sh.database_url, "cml", "show"])
        .env_remove("HWF_MASTER_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HWF_MASTER_SECRET"));
    // With another master secret the sealed org key does not open.
    let out = Command::new(BIN)
        .args(["--database-url", &sh.database_url, "cml", "show"])
        .env(
            "HWF_MASTER_SECRET",
            "another-master-secret-of-32-bytes-or-more",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open"));
}

/// The `HWF_*` names in `text` (not the test suite's own `HWF_TEST_*`).
fn variables(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("HWF_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(tail.len());
        let name = tail[..end].trim_end_matches('_');
        if !name.starts_with("HWF_TEST") && name.len() > 4 {
            out.insert(name.to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// Every variable the configuration reads is in `--help` and in docs/SERVER.md's table, and the
/// table names no variable the code does not read.
#[test]
fn every_configuration_variable_is_in_help_and_in_the_docs() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let config = std::fs::read_to_string(format!("{root}/server/src/config.rs")).unwrap();
    let code = variables(&config);
    assert!(code.len() >= 15, "{code:?}");
    let out = Command::new(BIN)
        .arg("--help")
        .env_remove("HWF_MASTER_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = variables(&String::from_utf8_lossy(&out.stdout));
    let docs = std::fs::read_to_string(format!("{root}/docs/SERVER.md")).unwrap();
    let table = docs
        .split("<!-- config-table:start -->")
        .nth(1)
        .and_then(|t| t.split("<!-- config-table:end -->").next())
        .expect("docs/SERVER.md has the configuration table between its markers");
    let documented = variables(table);
    for v in &code {
        assert!(help.contains(v), "{v} is not in `hwf-license --help`");
        assert!(
            documented.contains(v),
            "{v} is not in docs/SERVER.md's table"
        );
    }
    for v in &documented {
        assert!(
            code.contains(v),
            "docs/SERVER.md documents {v}, which the code does not read"
        );
    }
    // Nothing outside config.rs names a variable the configuration does not have.
    let mut stack = vec![std::path::PathBuf::from(format!("{root}/server/src"))];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                for v in variables(&std::fs::read_to_string(&p).unwrap()) {
                    assert!(
                        code.contains(&v),
                        "{} names {v}, unknown to config.rs",
                        p.display()
                    );
                }
            }
        }
    }
}
