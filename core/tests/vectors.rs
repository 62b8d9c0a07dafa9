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
            if let Err(e) = val.apply_revocation_list(&lic, rl.as_str().unwrap(), now) {
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
                .map(|_| outcome(val.validate(&lic, &facts, now), "validate"))
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
