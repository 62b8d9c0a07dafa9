//! The OpenAPI document: what the server serves is what `docs/openapi.json` holds, and it
//! documents every endpoint of the role table in `docs/SERVER.md` with its security.

use std::net::SocketAddr;

use hwf_license_server::app::App;
use hwf_license_server::config::{Config, HashCost, Roles};
use hwf_license_server::service::keys::Sealer;
use serde_json::Value;

const REGENERATE: &str = "cargo run -q -p hwf-license-server -- openapi > docs/openapi.json";

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read docs/openapi.json ({e}); create it with `{REGENERATE}`")
    })
}

async fn served() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::new(
        hwf_license_server::store::sqlite_url(dir.path()),
        Sealer::generate_secret(),
    );
    config.hash_cost = HashCost { m_kib: 64, t: 1 };
    let app = App::open(&config, Roles::Both).await.unwrap();
    let _task = app.spawn(listener);
    let r = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    (ct, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_committed_one() {
    let (ct, doc) = served().await;
    assert_eq!(ct, "application/json");
    let want = committed();
    if doc != want {
        let line = doc
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or("the length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "docs/openapi.json is out of date with the code (first difference at {line}).\n\
             Regenerate it with:\n    {REGENERATE}\nand commit it."
        );
    }
    assert_eq!(doc, hwf_license_server::http::openapi::json());
}

#[test]
fn the_cli_prints_the_same_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hwf-license"))
        .arg("openapi")
        .env_remove("HWF_MASTER_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed());
}

#[test]
fn every_endpoint_of_the_role_table_is_documented_with_its_security() {
    let doc: Value = serde_json::from_str(&hwf_license_server::http::openapi::json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let server_md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/SERVER.md")).unwrap();
    let table = server_md
        .split("<!-- role-table:start -->")
        .nth(1)
        .unwrap()
        .split("<!-- role-table:end -->")
        .next()
        .unwrap();
    let mut rows = 0;
    for line in table.lines().skip(3) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 8 {
            continue;
        }
        // | method | path | realm | admin | operator | viewer | anonymous |
        let (method, path, anonymous) = (cells[1].to_lowercase(), cells[2], cells[7]);
        let op = &doc["paths"][path][&method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(
            secured,
            anonymous == "no",
            "{method} {path}: bearer security must match the role table"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {path}"
        );
        assert!(responses.contains_key("500"), "{method} {path} lacks 500");
        if secured {
            assert!(responses.contains_key("401"), "{method} {path} lacks 401");
        }
        if op.get("requestBody").is_some() {
            for s in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(s), "{method} {path} lacks {s}");
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            assert!(body.is_string(), "{method} {path}: request body schema");
        }
        for code in responses.keys().filter(|k| k.starts_with('4')) {
            let ct = &responses[code]["content"];
            assert!(
                ct.get("application/problem+json").is_some(),
                "{method} {path} {code} is a problem"
            );
        }
        rows += 1;
    }
    assert!(rows >= 28, "{rows} rows read");
    // The rate-limited routes document 429 with Retry-After.
    for (method, path) in [
        ("post", "/api/auth/login"),
        ("post", "/api/validate"),
        ("post", "/api/sites/{site_id}/heartbeat"),
        ("get", "/api/sites/{site_id}/license"),
    ] {
        let r = &doc["paths"][path][method]["responses"]["429"];
        assert!(
            r["headers"]["Retry-After"].is_object(),
            "{method} {path}: 429 with Retry-After"
        );
    }
    assert!(doc["paths"]["/api/sites"]["get"]["responses"]
        .get("429")
        .is_none());
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/alerts",
        "/api/openapi.json",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
