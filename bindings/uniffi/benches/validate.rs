//! The Rust side of the Python binding benchmark: a cached validation of the same license, facts
//! and time as `bindings/python/tests/test_bench.py`, measured on core directly and through this
//! crate's exported `Validator` (still Rust: read lock, panic guard and verdict translation, no FFI).
//! `scripts/test-python.sh --bench` runs both sides and prints the ratios.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;

/// The vector both sides measure.
const VECTOR: &str = "valid/all-fingerprint-fields";

struct Case {
    roots: Vec<(String, String, String)>,
    license: Vec<u8>,
    addresses: Vec<String>,
    dns_name: Option<String>,
    deployment_tag: Option<String>,
    now: i64,
}

fn case() -> Case {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/vectors.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == VECTOR)
        .unwrap();
    let s = |x: &Value| x.as_str().map(String::from);
    Case {
        roots: file["roots"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(kid, r)| {
                let env = r["environment"].as_str().unwrap().to_owned();
                (kid.clone(), env, r["pem"].as_str().unwrap().to_owned())
            })
            .collect(),
        license: v["license"].as_str().unwrap().as_bytes().to_vec(),
        addresses: v["facts"]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect(),
        dns_name: s(&v["facts"]["dns_name"]),
        deployment_tag: s(&v["facts"]["deployment_tag"]),
        now: v["now"].as_i64().unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let case = case();
    let mut g = c.benchmark_group("python-binding");

    let roots = case
        .roots
        .iter()
        .map(|(kid, env, pem)| {
            let env = hwf_license::Environment::parse(env).unwrap();
            let key = hwf_license::PublicKey::from_pem(pem).unwrap();
            hwf_license::TrustedRoot::new(kid.clone(), env, key)
        })
        .collect();
    let core = hwf_license::Validator::new(hwf_license::Environment::Prod, roots);
    let facts = hwf_license::NodeFacts::from_strs(
        case.addresses.iter().map(String::as_str),
        case.dns_name.as_deref(),
        case.deployment_tag.as_deref(),
    )
    .unwrap();
    core.validate_at(&case.license, &facts, case.now).unwrap();
    g.bench_function("core-cached", |b| {
        b.iter(|| {
            core.validate_at(black_box(&case.license), &facts, black_box(case.now))
                .unwrap()
        })
    });

    let roots = case
        .roots
        .iter()
        .map(|(kid, env, pem)| hwf_license_uniffi::TrustedRootKey {
            kid: kid.clone(),
            environment: if env == "dev" {
                hwf_license_uniffi::Environment::Dev
            } else {
                hwf_license_uniffi::Environment::Prod
            },
            key: pem.clone(),
        })
        .collect();
    let binding = hwf_license_uniffi::Validator::new(
        hwf_license_uniffi::Environment::Prod,
        roots,
        false,
        None,
        None,
        None,
    )
    .unwrap();
    let facts = Arc::new(
        hwf_license_uniffi::NodeFacts::new(
            case.addresses.clone(),
            case.dns_name.clone(),
            case.deployment_tag.clone(),
        )
        .unwrap(),
    );
    binding
        .validate_at(&case.license, Arc::clone(&facts), case.now)
        .unwrap();
    g.bench_function("uniffi-rust-cached", |b| {
        b.iter(|| {
            binding
                .validate_at(
                    black_box(&case.license),
                    Arc::clone(&facts),
                    black_box(case.now),
                )
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
