//! Replays every conformance vector in testdata/vectors/vectors.json against core, exactly as the
//! bindings do (see testdata/vectors/FORMAT.md).

use hwf_license::*;
use serde_json::Value;

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json")).expect("json")
}

fn license_bytes(v: &Value) -> Vec<u8> {
    if let Some(s) = v["license"].as_str() {
        return s.as_bytes().to_vec();
    }
    let hex = v["license_hex"].as_str().expect("license or license_hex");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn outcome(r: Result<Verdict>, step: &str) -> Value {
    match r {
        Ok(d) => serde_json::json!({"ok": {
            "status": d.status.as_str(), "site_id": d.site_id, "org_id": d.org_id,
            "license_id": d.license_id, "product": d.product, "tier": d.tier,
            "environment": d.environment.as_str(), "features": d.features,
            "expires_at": d.expires_at, "grace_end": d.grace_end,
            "grace_days_left": d.grace_days_left,
            "warnings": d.warnings.iter().map(|w| w.name()).collect::<Vec<_>>(),
        }}),
        Err(e) => {
            serde_json::json!({"error": {"code": e.code().code(), "name": e.code().name(), "step": step}})
        }
    }
}

#[test]
fn every_vector_matches() {
    let file = load();
    let roots = &file["roots"];
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 80, "only {} vectors", vectors.len());
    let mut codes_seen = std::collections::BTreeSet::new();
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let env = Environment::parse(v["environment"].as_str().unwrap()).unwrap();
        let trusted = v["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kid| {
                let kid = kid.as_str().unwrap();
                let r = &roots[kid];
                // Alternate between the PEM and the JWK form of the same key.
                let key = if name.len() % 2 == 0 {
                    PublicKey::from_pem(r["pem"].as_str().unwrap()).unwrap()
                } else {
                    PublicKey::from_jwk_json(&r["jwk"].to_string()).unwrap()
                };
                let e = Environment::parse(r["environment"].as_str().unwrap()).unwrap();
                TrustedRoot::new(kid, e, key)
            })
            .collect();
        let mut val = Validator::new(env, trusted);
        val.accept_other_environment(v["accept_other_environment"].as_bool().unwrap());
        if let Some(t) = v["last_seen"].as_i64() {
            val.set_last_seen(t).unwrap();
        }
        let lic = license_bytes(v);
        let now = v["now"].as_i64().unwrap();
        let mut got = None;
        for rl in v["revocation_lists"].as_array().unwrap() {
            if let Err(e) = val.apply_revocation_list_at(&lic, rl.as_str().unwrap(), now) {
                got = Some(outcome(Err(e), "revocation_list"));
                break;
            }
        }
        let facts = &v["facts"];
        let facts = NodeFacts::from_strs(
            facts["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap()),
            facts["dns_name"].as_str(),
            facts["deployment_tag"].as_str(),
        )
        .unwrap();
        let results = match got {
            Some(o) => vec![o],
            None => (0..2)
                .map(|_| outcome(val.validate_at(&lic, &facts, now), "validate"))
                .collect(),
        };
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r, &v["expect"], "vector {name} (call {})", i + 1);
        }
        if let Some(c) = v["expect"]["error"]["code"].as_u64() {
            codes_seen.insert(c);
        }
    }
    println!(
        "{} vectors passed; error codes covered: {codes_seen:?}",
        vectors.len()
    );
}

#[test]
fn every_document_vector_matches() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/documents.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let roots: Vec<TrustedRoot> = file["roots"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(kid, r)| {
            let env = Environment::parse(r["environment"].as_str().unwrap()).unwrap();
            TrustedRoot::new(
                kid.clone(),
                env,
                PublicKey::from_pem(r["pem"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let err =
        |e: Error| serde_json::json!({"error": {"code": e.code().code(), "name": e.code().name()}});
    let vectors = file["vectors"].as_array().unwrap();
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let s = |k: &str| v[k].as_str().unwrap();
        let cml =
            || verify_cml(&roots, EnvironmentPolicy::only(Environment::Prod), s("cml")).unwrap();
        let got = match s("operation") {
            "verify_manifest" => match verify_manifest(&cml(), s("document")) {
                Ok(m) => {
                    serde_json::json!({"ok": {"id": m.id, "org_id": m.claims.org_id, "period": m.claims.period,
                    "total_active_sites": m.claims.stats.total_active_sites, "sites": m.claims.sites.len()}})
                }
                Err(e) => err(e),
            },
            "verify_ledger" => {
                let entries: Vec<&str> = v["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap())
                    .collect();
                match verify_ledger(&cml(), entries) {
                    Ok(l) => serde_json::json!({"ok": {"length": l.length, "head": l.head}}),
                    Err(e @ Error::LedgerBroken { index, .. }) => {
                        serde_json::json!({"error": {"code": e.code().code(), "name": e.code().name(), "index": index}})
                    }
                    Err(e) => err(e),
                }
            }
            "verify_heartbeat" => {
                let val = Validator::new(Environment::Prod, roots.clone());
                match val.verify_heartbeat_at(
                    s("license").as_bytes(),
                    s("answer"),
                    s("nonce"),
                    v["now"].as_i64().unwrap(),
                ) {
                    Ok(i) => {
                        serde_json::json!({"ok": {"status": i.status, "server_time": i.server_time, "revocation_seq": i.revocation_seq, "revoked": i.revoked}})
                    }
                    Err(e) => err(e),
                }
            }
            "load_root_key" => match PublicKey::from_pem_or_jwk(s("key")) {
                Ok(k) => serde_json::json!({"ok": {"thumbprint": k.thumbprint()}}),
                Err(e) => err(e),
            },
            op => panic!("{name}: unknown operation {op}"),
        };
        assert_eq!(got, v["expect"], "document vector {name}");
    }
    assert!(vectors.len() >= 20);
}

#[test]
fn vectors_cover_every_core_error_code() {
    let mut seen = std::collections::BTreeSet::new();
    for f in ["vectors.json", "documents.json"] {
        let path = format!("{}/../testdata/vectors/{f}", env!("CARGO_MANIFEST_DIR"));
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for v in file["vectors"].as_array().unwrap() {
            if let Some(c) = v["expect"]["error"]["code"].as_u64() {
                seen.insert(c as u32);
            }
        }
    }
    let missing: Vec<_> = ErrorCode::ALL
        .iter()
        .filter(|c| c.code() < 900 && !seen.contains(&c.code()))
        .map(|c| c.name())
        .collect();
    assert!(missing.is_empty(), "no vector for {missing:?}");
}
