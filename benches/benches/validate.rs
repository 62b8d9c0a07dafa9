//! Criterion benchmarks of validation, with reference points measured in the same run:
//! - `verify/p256-0.13` (what core uses), `verify/p256-0.14` and `verify/ring` verify the same
//!   ES256 signature over the same message;
//! - `validate/cold` (new validator: two signature checks), `validate/new-site-cached-cml` (one
//!   signature check), `validate/cached` (no signature check, every rule re-checked).
//!
//! `scripts/bench.sh` runs this and prints the ratios.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use hwf_license::*;
use std::hint::black_box;

const DAY: i64 = 86_400;
const T0: i64 = 1_767_225_600;

struct Setup {
    root: SigningKey,
    org: SigningKey,
    cml_jws: String,
    licenses: Vec<String>,
}

fn setup() -> Setup {
    let root = SigningKey::from_seed(b"bench root");
    let org = SigningKey::from_seed(b"bench org");
    let cml_jws = issue::sign_cml(
        &root,
        "root-1",
        &CmlClaims {
            license_id: "cml-bench".into(),
            org_id: "acme".into(),
            max_sites: 1000,
            issued_at: T0,
            valid_until: T0 + 365 * DAY,
            feature_packs: vec!["analytics".into(), "boost".into(), "reports".into()],
            key_type: Environment::Prod,
            org_key: org.public_key().to_jwk(),
            grace_days: 30,
            ..Default::default()
        },
    )
    .unwrap();
    let cml = validator(&root).verify_cml(&cml_jws).unwrap();
    let licenses = (0..64)
        .map(|i| {
            issue::mint_site_license(
                &org,
                &cml,
                &SiteClaims {
                    license_id: format!("lic-{i}"),
                    site_id: format!("site-{i}"),
                    fingerprint: Fingerprint {
                        address: Some("10.0.0.0/8".into()),
                        dns_suffix: Some("acme.example".into()),
                        deployment_tag: Some("blue".into()),
                    },
                    issued_at: T0 + DAY,
                    expires_at: T0 + 180 * DAY,
                    features: vec!["analytics".into(), "reports".into()],
                    product: "hwf".into(),
                    tier: "active".into(),
                    ..Default::default()
                },
            )
            .unwrap()
        })
        .collect();
    Setup {
        root,
        org,
        cml_jws,
        licenses,
    }
}

fn validator(root: &SigningKey) -> Validator {
    Validator::new(
        Environment::Prod,
        vec![TrustedRoot::new(
            "root-1",
            Environment::Prod,
            root.public_key().clone(),
        )],
    )
}

fn facts() -> NodeFacts {
    NodeFacts::from_strs(["10.1.2.3"], Some("n1.acme.example"), Some("blue")).unwrap()
}

fn bench_verify(c: &mut Criterion) {
    let s = setup();
    let msg = b"eyJhbGciOiJFUzI1NiJ9.eyJzaXRlIjoiYmVuY2gifQ";
    let sig = s.org.sign_es256(msg);
    let sec1 = s.org.public_key().to_sec1();
    let ours = s.org.public_key().clone();
    assert!(ours.verify_es256(msg, &sig));

    let ring_key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &sec1);
    assert!(ring_key.verify(msg, &sig).is_ok());

    use p256_014::ecdsa::signature::Verifier as _;
    let k14 = p256_014::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let sig14 = p256_014::ecdsa::Signature::from_slice(&sig).unwrap();
    assert!(k14.verify(msg, &sig14).is_ok());

    let mut g = c.benchmark_group("verify");
    g.bench_function("p256-0.13", |b| {
        b.iter(|| black_box(ours.verify_es256(black_box(msg), black_box(&sig))))
    });
    g.bench_function("p256-0.14", |b| {
        b.iter(|| black_box(k14.verify(black_box(msg), black_box(&sig14)).is_ok()))
    });
    g.bench_function("ring", |b| {
        b.iter(|| black_box(ring_key.verify(black_box(msg), black_box(&sig)).is_ok()))
    });
    g.finish();
}

fn bench_validate(c: &mut Criterion) {
    let s = setup();
    let lic = s.licenses[0].as_bytes();
    let f = facts();
    // Sizes: a format change shows up here.
    let size = lic.len();
    println!(
        "site.lic size: {size} bytes (cml {} bytes)",
        s.cml_jws.len()
    );
    assert!((1000..4096).contains(&size), "site.lic is {size} bytes");
    let now = T0 + 30 * DAY;
    assert!(validator(&s.root).validate_at(lic, &f, now).is_ok());

    let mut g = c.benchmark_group("validate");
    g.bench_function("cold", |b| {
        b.iter_batched(
            || validator(&s.root),
            |v| black_box(v.validate_at(black_box(lic), &f, now).is_ok()),
            BatchSize::SmallInput,
        )
    });
    // The same with the pure-Rust backend (what no_std and wasm builds use).
    g.bench_function("cold-pure", |b| {
        b.iter_batched(
            || {
                Validator::builder(Environment::Prod)
                    .root(TrustedRoot::new(
                        "root-1",
                        Environment::Prod,
                        s.root.public_key().clone(),
                    ))
                    .verifier(hwf_license::verify::PureVerifier)
                    .build()
                    .unwrap()
            },
            |v| black_box(v.validate_at(black_box(lic), &f, now).is_ok()),
            BatchSize::SmallInput,
        )
    });
    let mut i = 0;
    g.bench_function("new-site-cached-cml", |b| {
        b.iter_batched(
            || {
                let v = validator(&s.root);
                v.verify_cml(&s.cml_jws).unwrap();
                i = (i + 1) % s.licenses.len();
                (v, s.licenses[i].as_bytes())
            },
            |(v, l)| black_box(v.validate_at(black_box(l), &f, now).is_ok()),
            BatchSize::SmallInput,
        )
    });
    let warm = validator(&s.root);
    warm.validate_at(lic, &f, now).unwrap();
    g.bench_function("cached", |b| {
        b.iter(|| black_box(warm.validate_at(black_box(lic), &f, now).is_ok()))
    });
    g.bench_function("parse-file-only", |b| {
        b.iter(|| black_box(parse_license_file(black_box(lic)).is_ok()))
    });
    g.finish();
}

/// Validations per second with 1, 2 and 4 threads sharing one validator (cached path, at the
/// validator's clock, so every call also takes the trust-state lock). One criterion iteration is
/// one validation on each thread; throughput is in validations.
fn bench_threads(c: &mut Criterion) {
    let s = setup();
    let now = T0 + 30 * DAY;
    let v = std::sync::Arc::new(
        Validator::builder(Environment::Prod)
            .root(TrustedRoot::new(
                "root-1",
                Environment::Prod,
                s.root.public_key().clone(),
            ))
            .clock(move || now)
            .build()
            .unwrap(),
    );
    let lic: std::sync::Arc<[u8]> = s.licenses[0].as_bytes().into();
    v.validate(&lic, &facts()).unwrap();
    let mut g = c.benchmark_group("threads");
    for n in [1u64, 2, 4] {
        g.throughput(criterion::Throughput::Elements(n));
        g.bench_function(format!("cached-{n}"), |b| {
            b.iter_custom(|iters| {
                let start = std::sync::Arc::new(std::sync::Barrier::new(n as usize + 1));
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        let (v, lic, start) = (v.clone(), lic.clone(), start.clone());
                        std::thread::spawn(move || {
                            let f = facts();
                            start.wait();
                            for _ in 0..iters {
                                black_box(v.validate(black_box(&lic), &f).is_ok());
                            }
                        })
                    })
                    .collect();
                start.wait();
                let t = std::time::Instant::now();
                for h in handles {
                    h.join().unwrap();
                }
                t.elapsed()
            })
        });
    }
    g.finish();
}

/// The hostile corpus (testdata/hostile/) against the normal chain of the same corpus, cold, in
/// the same run: each file should cost at most 2x a cold validation (docs/PERFORMANCE.md).
fn bench_hostile(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/hostile");
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/vectors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let root = |kid: &str, env| {
        TrustedRoot::new(
            kid,
            env,
            PublicKey::from_pem(vectors["roots"][kid]["pem"].as_str().unwrap()).unwrap(),
        )
    };
    let roots = vec![
        root("root-prod-1", Environment::Prod),
        root("root-dev-1", Environment::Dev),
    ];
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/index.json")).unwrap())
            .unwrap();
    let mut g = c.benchmark_group("hostile");
    for f in index["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap().to_string();
        let bytes = std::fs::read(format!("{dir}/{}", f["file"].as_str().unwrap())).unwrap();
        let now = f["now"].as_i64().unwrap();
        g.bench_function(&name, |b| {
            b.iter_batched(
                || Validator::new(Environment::Prod, roots.clone()),
                |v| {
                    black_box(
                        v.validate_at(black_box(&bytes), &NodeFacts::default(), now)
                            .is_ok(),
                    )
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_verify,
    bench_validate,
    bench_threads,
    bench_hostile
);
criterion_main!(benches);
