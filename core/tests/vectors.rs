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
            "cml_id": d.cml_id, "cml_license_id": d.cml_license_id,
            "site_document_id": d.site_document_id, "issued_at": d.issued_at,
            "site_expires_at": d.site_expires_at, "cml_valid_until": d.cml_valid_until,
            "max_sites": d.max_sites, "feature_packs": d.feature_packs,
            "max_offline_days": d.max_offline_days,
            "fingerprint": {"address": d.fingerprint.address, "dns_suffix": d.fingerprint.dns_suffix,
                "deployment_tag": d.fingerprint.deployment_tag},
        }}),
        Err(e) => {
            serde_json::json!({"error": {"code": e.code().code(), "name": e.code().name(), "step": step}})
        }
    }
}

/// A validation in two phases (`hwf_license::pending`), the signatures verified in between by
/// the pure backend outside the validator, as the WASM binding's WebCrypto path does; the
/// answer function is asked only for the checks phase 1 listed. With `prepare`, the site
/// license is read between the phases (`Validator::prepare`, as the binding does while
/// WebCrypto works), twice to show it is idempotent.
fn two_phase(
    val: &Validator,
    lic: &[u8],
    facts: &NodeFacts,
    now: i64,
    prepare: bool,
) -> Result<Verdict> {
    use hwf_license::verify::Verifier;
    let mut pending = match val.begin_validate_at(lic, facts, now)? {
        Begun::Done(Outcome::Verdict(v)) => return Ok(*v),
        Begun::Done(_) => panic!("not a verdict"),
        Begun::Pending(p) => p,
    };
    if prepare {
        val.prepare(&mut pending);
        val.prepare(&mut pending);
    }
    let listed: Vec<(Vec<u8>, Check)> = val
        .pending_checks(&pending)
        .iter()
        .map(|c| (c.key.to_sec1(), c.check.clone()))
        .collect();
    assert!(
        !listed.is_empty() && listed.len() <= 2,
        "{} checks",
        listed.len()
    );
    let mut asked = 0;
    let r = val.finish(pending, &mut |key, check| {
        assert_eq!(
            listed[asked],
            (key.to_sec1(), check.clone()),
            "asked out of order"
        );
        asked += 1;
        let (m, d, s) = (check.message(), check.digest(), check.signature());
        Ok(hwf_license::verify::PureVerifier.verify(key, m, d, s))
    });
    match r? {
        Outcome::Verdict(v) => Ok(*v),
        Outcome::Cml(_) => panic!("not a verdict"),
    }
}

#[test]
fn every_vector_matches() {
    every_vector_matches_by(None);
}

/// Every vector again through the two phases: the same outcome, the first call and the cached
/// second alike.
#[test]
fn every_vector_matches_in_two_phases() {
    every_vector_matches_by(Some(false));
}

/// And with the site license read between the phases (`Validator::prepare`).
#[test]
fn every_vector_matches_in_two_phases_prepared() {
    every_vector_matches_by(Some(true));
}

/// `two_phases`: `None` one call, `Some(prepare)` two phases (see [`two_phase`]).
fn every_vector_matches_by(two_phases: Option<bool>) {
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
                .map(|_| {
                    let r = match two_phases {
                        Some(prepare) => two_phase(&val, &lic, &facts, now, prepare),
                        None => val.validate_at(&lic, &facts, now),
                    };
                    outcome(r, "validate")
                })
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
            "verify_cml" => {
                match verify_cml(&roots, EnvironmentPolicy::only(Environment::Prod), s("cml")) {
                    Ok(c) => {
                        serde_json::json!({"ok": {"id": c.id, "license_id": c.claims.license_id,
                    "org_id": c.claims.org_id, "max_sites": c.claims.max_sites,
                    "valid_until": c.claims.valid_until, "grace_days": c.claims.grace_days,
                    "feature_packs": c.claims.feature_packs, "environment": c.claims.key_type.as_str(),
                    "max_offline_days": c.claims.max_offline_days,
                    "org_key_thumbprint": c.org_key.thumbprint()}})
                    }
                    Err(e) => err(e),
                }
            }
            "cml_standing" => {
                let st = cml_standing(&cml().claims, v["now"].as_i64().unwrap());
                serde_json::json!({"ok": {"standing": st.as_str(), "days_left": st.days_left(), "usable": st.usable()}})
            }
            "manifest_period" => {
                match check_manifest_period(&cml().claims, s("period"), v["now"].as_i64().unwrap())
                {
                    Ok((start, end)) => serde_json::json!({"ok": {"start": start, "end": end}}),
                    Err(e) => err(e),
                }
            }
            "verify_receipt" => {
                let val = Validator::new(Environment::Prod, roots.clone());
                match val.verify_receipt(
                    s("certificate"),
                    s("receipt"),
                    s("org_id"),
                    s("manifest_id"),
                    v["now"].as_i64().unwrap(),
                ) {
                    Ok(r) => serde_json::json!({"ok": {"id": r.id, "org_id": r.claims.org_id,
                    "manifest": r.claims.manifest, "period": r.claims.period,
                    "received_at": r.claims.received_at, "certificate_id": r.certificate.id,
                    "receipt_key_thumbprint": r.certificate.key.thumbprint(),
                    "certificate_valid_until": r.certificate.claims.valid_until}}),
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
    for s in load_scenarios()["scenarios"].as_array().unwrap() {
        for step in s["steps"].as_array().unwrap() {
            if let Some(c) = step["expect"]["error"]["code"].as_u64() {
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

fn load_scenarios() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/scenarios.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("scenarios.json")).expect("json")
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn facts_of(f: &Value) -> NodeFacts {
    NodeFacts::from_strs(
        f["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap()),
        f["dns_name"].as_str(),
        f["deployment_tag"].as_str(),
    )
    .unwrap()
}

/// Compares an outcome with `expect`: the error code, or every member listed under `ok`.
fn check_expect(what: &str, got: std::result::Result<Value, Error>, expect: &Value) {
    match (&got, expect.get("ok"), expect.get("error")) {
        (Ok(v), Some(ok), None) => {
            for (k, want) in ok.as_object().unwrap() {
                assert_eq!(&v[k], want, "{what}: member {k}");
            }
        }
        (Err(e), None, Some(err)) => {
            assert_eq!(
                u64::from(e.code().code()),
                err["code"].as_u64().unwrap(),
                "{what}: {e}"
            )
        }
        _ => panic!("{what}: got {got:?}, expected {expect}"),
    }
}

fn verdict_value(d: &Verdict) -> Value {
    match outcome(Ok(d.clone()), "validate") {
        Value::Object(mut o) => o.remove("ok").unwrap(),
        _ => unreachable!(),
    }
}

/// Replays testdata/vectors/scenarios.json as a binding does (FORMAT.md there): one validator at
/// a time, built from the scenario's settings with a clock the steps move.
#[test]
fn every_scenario_matches() {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    let file = load_scenarios();
    let roots = &file["roots"];
    let scenarios = file["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 12, "only {} scenarios", scenarios.len());
    let mut steps_run = 0;
    for s in scenarios {
        let name = s["name"].as_str().unwrap();
        let env = Environment::parse(s["environment"].as_str().unwrap()).unwrap();
        let trusted: Vec<TrustedRoot> = s["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kid| {
                let kid = kid.as_str().unwrap();
                let r = &roots[kid];
                let key = PublicKey::from_pem(r["pem"].as_str().unwrap()).unwrap();
                let e = Environment::parse(r["environment"].as_str().unwrap()).unwrap();
                TrustedRoot::new(kid, e, key)
            })
            .collect();
        let seed: [u8; 32] = hex_bytes(s["nonce_seed"].as_str().unwrap())
            .try_into()
            .unwrap();
        let clock = Arc::new(AtomicI64::new(s["clock"].as_i64().unwrap()));
        let mut accept = s["accept_other_environment"].as_bool().unwrap();
        let build = |accept: bool| {
            let c = Arc::clone(&clock);
            Validator::builder(env)
                .roots(trusted.iter().cloned())
                .accept_other_environment(accept)
                .clock(move || c.load(Ordering::SeqCst))
                .nonce_seed(seed)
                .build()
                .unwrap()
        };
        let mut v = build(accept);
        let mut saved: Option<Vec<u8>> = None;
        for (i, step) in s["steps"].as_array().unwrap().iter().enumerate() {
            let what = format!("{name} step {i} ({})", step["op"]);
            let expect = &step["expect"];
            let lic = || step["license"].as_str().unwrap().as_bytes();
            match step["op"].as_str().unwrap() {
                "set_clock" => clock.store(step["time"].as_i64().unwrap(), Ordering::SeqCst),
                "validate" => check_expect(
                    &what,
                    v.validate(lic(), &facts_of(&step["facts"]))
                        .map(|d| verdict_value(&d)),
                    expect,
                ),
                "validate_at" => check_expect(
                    &what,
                    v.validate_at(
                        lic(),
                        &facts_of(&step["facts"]),
                        step["now"].as_i64().unwrap(),
                    )
                    .map(|d| verdict_value(&d)),
                    expect,
                ),
                "apply_revocation_list" => check_expect(
                    &what,
                    v.apply_revocation_list(lic(), step["list"].as_str().unwrap())
                        .map(|seq| serde_json::json!({ "seq": seq })),
                    expect,
                ),
                "new_nonce" => check_expect(
                    &what,
                    v.new_nonce().map(|n| serde_json::json!({ "nonce": n })),
                    expect,
                ),
                "verify_heartbeat" => check_expect(
                    &what,
                    v.verify_heartbeat(
                        lic(),
                        step["answer"].as_str().unwrap(),
                        step["nonce"].as_str().unwrap(),
                    )
                    .map(|h| {
                        serde_json::json!({"status": h.status, "server_time": h.server_time,
                            "revocation_seq": h.revocation_seq, "revoked": h.revoked})
                    }),
                    expect,
                ),
                "set_accept_other_environment" => {
                    accept = step["accept"].as_bool().unwrap();
                    v.accept_other_environment(accept);
                }
                "expect_floor" => {
                    assert_eq!(v.clock_floor(), step["floor"].as_i64().unwrap(), "{what}")
                }
                "expect_state_changed" => assert_eq!(
                    v.state_changed(),
                    step["changed"].as_bool().unwrap(),
                    "{what}"
                ),
                "export_state" => {
                    let bytes = v.export_state();
                    if let Some(h) = step["state_hex"].as_str() {
                        assert_eq!(bytes, hex_bytes(h), "{what}: exported bytes");
                    }
                    saved = Some(bytes);
                }
                "restart" => {
                    v = build(accept);
                    if step["import"].as_bool().unwrap() {
                        v.import_state(saved.as_deref().unwrap()).unwrap();
                    }
                }
                "import_state" => check_expect(
                    &what,
                    v.import_state(&hex_bytes(step["state_hex"].as_str().unwrap()))
                        .map(|()| serde_json::json!({})),
                    expect,
                ),
                op => panic!("{what}: unknown op {op}"),
            }
            steps_run += 1;
        }
    }
    assert!(steps_run >= 100, "only {steps_run} steps");
}
