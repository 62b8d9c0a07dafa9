//! A fixed workload for instruction counting (callgrind counts instructions, so its figures repeat
//! on a shared, loaded machine where timings do not):
//!
//! ```sh
//! cargo build --release -p hwf-license-benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=target/cg.out \
//!     target/release/examples/profile cold 50     # or: cached 2000, verify 50
//! callgrind_annotate --inclusive=yes target/cg.out | head -60
//! ```
//!
//! `cold N`: N new validators, each validating the vector `valid/basic` once (both signatures,
//! native backend, every rule); `cached N`: one validator, the same license N times; `verify N`:
//! N ring verifies of the CML's signature (the "one verify" of the cold target). Divide the
//! inclusive count of `Validator::validate_at` (or `ring…verify`) by N.
//!
//! `ratio N` (timed, not for valgrind): N interleaved rounds, each timing 200 cold validations,
//! 200 ring verifies and 5,000 cached validations back to back, and prints the median and range
//! of the per-round ratio cold / one verify and of the cached time. Load drift on a shared machine
//! hits both sides of a round alike, so the median of ratios is steadier than a ratio of medians:
//! `cargo run --release -p hwf-license-benches --example profile -- ratio 15`.
//!
//! Valgrind hides SHA-NI (and AVX-512) from the program, so under callgrind SHA-256 runs sha2's
//! portable code; a real run on a CPU with SHA-NI hashes several times faster.

use hwf_license::*;
use serde_json::Value;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "cold".into());
    let n: usize = args.next().map_or(50, |s| s.parse().expect("a count"));
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/vectors.json"
        ))
        .expect("testdata/vectors/vectors.json"),
    )
    .expect("JSON");
    let v = file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .find(|v| v["name"] == "valid/basic")
        .expect("valid/basic");
    let license = v["license"].as_str().expect("license").as_bytes().to_vec();
    let now = v["now"].as_i64().expect("now");
    let root = PublicKey::from_pem(file["roots"]["root-prod-1"]["pem"].as_str().expect("pem"))
        .expect("root key");
    let roots = vec![TrustedRoot::new(
        "root-prod-1",
        Environment::Prod,
        root.clone(),
    )];
    let facts = NodeFacts::default();
    match mode.as_str() {
        "cold" => {
            let validators: Vec<Validator> = (0..n)
                .map(|_| Validator::new(Environment::Prod, roots.clone()))
                .collect();
            for val in &validators {
                black_box(val.validate_at(black_box(&license), &facts, now)).expect("valid");
            }
        }
        "cached" => {
            let val = Validator::new(Environment::Prod, roots);
            val.validate_at(&license, &facts, now).expect("valid");
            for _ in 0..n {
                black_box(val.validate_at(black_box(&license), &facts, now)).expect("valid");
            }
        }
        "verify" => {
            let cml = parse_license_file(&license).expect("file").cml;
            let (input, sig) = cml.rsplit_once('.').expect("JWS");
            let sig = b64_decode(sig);
            for _ in 0..n {
                let k = ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_FIXED,
                    &root.sec1_uncompressed()[..],
                );
                assert!(black_box(k.verify(input.as_bytes(), &sig)).is_ok());
            }
        }
        "ratio" => {
            let cml = parse_license_file(&license).expect("file").cml;
            let (input, sig) = cml.rsplit_once('.').expect("JWS");
            let sig = b64_decode(sig);
            let warm = Validator::new(Environment::Prod, roots.clone());
            warm.validate_at(&license, &facts, now).expect("valid");
            let (mut ratios, mut cached) = (Vec::new(), Vec::new());
            for _ in 0..n {
                let validators: Vec<Validator> = (0..200)
                    .map(|_| Validator::new(Environment::Prod, roots.clone()))
                    .collect();
                let t = std::time::Instant::now();
                for val in validators {
                    black_box(val.validate_at(black_box(&license), &facts, now)).expect("valid");
                }
                let cold = t.elapsed().as_secs_f64() / 200.0;
                let t = std::time::Instant::now();
                for _ in 0..200 {
                    let k = ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        &root.sec1_uncompressed()[..],
                    );
                    assert!(black_box(k.verify(black_box(input.as_bytes()), &sig)).is_ok());
                }
                let verify = t.elapsed().as_secs_f64() / 200.0;
                let t = std::time::Instant::now();
                for _ in 0..5000 {
                    black_box(warm.validate_at(black_box(&license), &facts, now)).expect("valid");
                }
                cached.push(t.elapsed().as_secs_f64() / 5000.0 * 1e6);
                ratios.push(cold / verify);
                println!(
                    "round: cold {:.1} µs, one verify {:.1} µs, cold / verify {:.3}, cached {:.2} µs",
                    cold * 1e6,
                    verify * 1e6,
                    cold / verify,
                    cached.last().copied().unwrap_or_default()
                );
            }
            let stats = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                (v[v.len() / 2], v[0], v[v.len() - 1])
            };
            let (m, lo, hi) = stats(&mut ratios);
            println!("cold / one ring verify: median {m:.3} (range {lo:.3}-{hi:.3}) of {n} rounds; target <= 2.3");
            let (m, lo, hi) = stats(&mut cached);
            println!("cached: median {m:.2} µs (range {lo:.2}-{hi:.2}); target <= 2.5 µs");
        }
        other => panic!("unknown mode {other}: cold, cached, verify or ratio"),
    }
}

fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}
