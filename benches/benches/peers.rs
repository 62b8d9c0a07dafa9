//! Peer benchmark (Rust): validating the vector `valid/basic` cold with hwf-license against what
//! a Rust user would write instead with `jsonwebtoken` 9 (ring, the same backend as core's
//! `native`), in one run. The peer is defined to do the least a correct checker must:
//! - the root key is imported once, outside the timed loop (both sides);
//! - per call: split the site.lic JSON, verify the CML with the root key (`alg` ES256 only, `typ`
//!   `hwf-cml+jws`), import the `org_key` JWK from the verified CML, verify the site license with
//!   it (`typ` `hwf-site+jws`), and check the site's `org_id` equals the CML's.
//!
//! It does not check what hwf-license also checks (document-id binding of the site to its CML,
//! feature packs, expiry and grace, fingerprint, strict payload schemas, revocation, rollback),
//! so a ratio near 1 means the rules cost little. `scripts/bench.sh` prints ours/peer.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use hwf_license::*;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::hint::black_box;

struct Vector {
    license: Vec<u8>,
    now: i64,
    root_pem: String,
    root_jwk: Value,
}

fn vector() -> Vector {
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/vectors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "valid/basic")
        .unwrap();
    Vector {
        license: v["license"].as_str().unwrap().as_bytes().to_vec(),
        now: v["now"].as_i64().unwrap(),
        root_pem: file["roots"]["root-prod-1"]["pem"]
            .as_str()
            .unwrap()
            .to_string(),
        root_jwk: file["roots"]["root-prod-1"]["jwk"].clone(),
    }
}

/// What a user would write with jsonwebtoken. Returns the site claims on success.
fn peer_validate(root: &DecodingKey, license: &[u8]) -> Option<Value> {
    let file: Value = serde_json::from_slice(license).ok()?;
    let cml_jws = file["cml"].as_str()?;
    let site_jws = file["site"].as_str()?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let h = decode_header(cml_jws).ok()?;
    if h.alg != Algorithm::ES256 || h.typ.as_deref() != Some("hwf-cml+jws") {
        return None;
    }
    let cml = decode::<Value>(cml_jws, root, &validation).ok()?.claims;
    let jwk = &cml["org_key"];
    let org = DecodingKey::from_ec_components(jwk["x"].as_str()?, jwk["y"].as_str()?).ok()?;
    let h = decode_header(site_jws).ok()?;
    if h.alg != Algorithm::ES256 || h.typ.as_deref() != Some("hwf-site+jws") {
        return None;
    }
    let site = decode::<Value>(site_jws, &org, &validation).ok()?.claims;
    (site["org_id"] == cml["org_id"]).then_some(site)
}

fn bench_peers(c: &mut Criterion) {
    let v = vector();
    let root_key = PublicKey::from_pem(&v.root_pem).unwrap();
    let roots = vec![TrustedRoot::new(
        "root-prod-1",
        Environment::Prod,
        root_key.clone(),
    )];
    let peer_root = DecodingKey::from_ec_components(
        v.root_jwk["x"].as_str().unwrap(),
        v.root_jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    // Both sides accept the vector before anything is timed.
    assert!(peer_validate(&peer_root, &v.license).is_some());
    assert!(Validator::new(Environment::Prod, roots.clone())
        .validate_at(&v.license, &NodeFacts::default(), v.now)
        .is_ok());

    let mut g = c.benchmark_group("peers");
    g.bench_function("hwf-license-cold", |b| {
        b.iter_batched(
            || Validator::new(Environment::Prod, roots.clone()),
            |val| {
                black_box(
                    val.validate_at(black_box(&v.license), &NodeFacts::default(), v.now)
                        .is_ok(),
                )
            },
            BatchSize::SmallInput,
        )
    });
    let warm = Validator::new(Environment::Prod, roots.clone());
    warm.validate_at(&v.license, &NodeFacts::default(), v.now)
        .unwrap();
    g.bench_function("hwf-license-cached", |b| {
        b.iter(|| {
            black_box(
                warm.validate_at(black_box(&v.license), &NodeFacts::default(), v.now)
                    .is_ok(),
            )
        })
    });
    g.bench_function("jsonwebtoken-cold", |b| {
        b.iter(|| black_box(peer_validate(&peer_root, black_box(&v.license)).is_some()))
    });
    // One ring verify of the same kind, for the "cold ≤ 2.3 × one verify" target.
    let cml_jws = parse_license_file(&v.license).unwrap().cml;
    let (input, sig) = cml_jws.rsplit_once('.').unwrap();
    let sig = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap()
    };
    let sec1 = *root_key.sec1_uncompressed();
    g.bench_function("ring-one-verify", |b| {
        b.iter(|| {
            let k = ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &sec1[..],
            );
            black_box(k.verify(input.as_bytes(), &sig).is_ok())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_peers);
criterion_main!(benches);
