//! What the C boundary costs: a cached validation of the same license, facts and time, measured
//! in the same run
//! - `core`: `hwf_license::Validator::validate` called directly;
//! - `lv_validate`: `lv_validator_validate` + `lv_verdict_free` through the `extern "C"`
//!   functions (panic boundary, argument checks, read lock, verdict handle with its string
//!   copies);
//! - `lv_validate+has_feature`: the same plus one `lv_verdict_has_feature`, a licensed action;
//! - `lv_validate+read_all`: the same plus every getter, as the Go binding reads a verdict.
//!
//! `scripts/test-c.sh --bench` runs it and prints the ratios to `core`.

use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use validate::*;

/// The vector both sides measure (the one the other bindings' benches use).
const VECTOR: &str = "valid/all-fingerprint-fields";

struct Case {
    file: Value,
    vector: Value,
}

impl Case {
    fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/vectors.json"
        );
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let vector = file["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == VECTOR)
            .unwrap()
            .clone();
        Self { file, vector }
    }

    fn license(&self) -> &[u8] {
        self.vector["license"].as_str().unwrap().as_bytes()
    }

    fn now(&self) -> i64 {
        self.vector["now"].as_i64().unwrap()
    }

    fn roots(&self) -> Vec<(&str, &str, &str)> {
        self.file["roots"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(kid, r)| {
                let env = r["environment"].as_str().unwrap();
                (kid.as_str(), env, r["pem"].as_str().unwrap())
            })
            .collect()
    }

    fn fact(&self, name: &str) -> Option<&str> {
        self.vector["facts"][name].as_str()
    }

    fn addresses(&self) -> Vec<&str> {
        self.vector["facts"]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect()
    }
}

fn core_validator(case: &Case) -> (hwf_license::Validator, hwf_license::NodeFacts) {
    use hwf_license::{Environment, NodeFacts, PublicKey, TrustedRoot, Validator};
    let roots = case
        .roots()
        .into_iter()
        .map(|(kid, env, pem)| {
            TrustedRoot::new(
                kid,
                Environment::parse(env).unwrap(),
                PublicKey::from_pem(pem).unwrap(),
            )
        })
        .collect();
    let facts = NodeFacts::from_strs(
        case.addresses(),
        case.fact("dns_name"),
        case.fact("deployment_tag"),
    )
    .unwrap();
    (Validator::new(Environment::Prod, roots), facts)
}

/// A validator and facts built through the C API.
struct CHandles {
    validator: *mut lv_validator,
    facts: *mut lv_node_facts,
}

impl CHandles {
    fn new(case: &Case) -> Self {
        let env = |e: &str| {
            if e == "prod" {
                lv_environment::Prod as u32
            } else {
                lv_environment::Dev as u32
            }
        };
        let mut validator = ptr::null_mut();
        let mut facts = ptr::null_mut();
        // SAFETY: every pointer is valid for the call; the handles are freed in `drop`.
        unsafe {
            assert_eq!(lv_validator_new(1, &mut validator), lv_result::Ok);
            for (kid, e, pem) in case.roots() {
                let rc = lv_validator_add_root(
                    validator,
                    kid.as_ptr().cast(),
                    kid.len(),
                    env(e),
                    pem.as_ptr().cast(),
                    pem.len(),
                    ptr::null_mut(),
                );
                assert_eq!(rc, lv_result::Ok);
            }
            assert_eq!(lv_node_facts_new(&mut facts), lv_result::Ok);
            for a in case.addresses() {
                let rc =
                    lv_node_facts_add_address(facts, a.as_ptr().cast(), a.len(), ptr::null_mut());
                assert_eq!(rc, lv_result::Ok);
            }
            let dns = case.fact("dns_name").unwrap();
            assert_eq!(
                lv_node_facts_set_dns_name(facts, dns.as_ptr().cast(), dns.len()),
                lv_result::Ok
            );
            let tag = case.fact("deployment_tag").unwrap();
            assert_eq!(
                lv_node_facts_set_deployment_tag(facts, tag.as_ptr().cast(), tag.len()),
                lv_result::Ok
            );
        }
        Self { validator, facts }
    }

    /// One validation through the C functions; `then` runs on the verdict before it is freed.
    fn validate(&self, license: &[u8], now: i64, then: impl FnOnce(*const lv_verdict)) {
        let mut verdict = ptr::null_mut();
        // SAFETY: live handles, a valid buffer, a valid out-pointer; the verdict is freed once.
        unsafe {
            let rc = lv_validator_validate(
                self.validator,
                license.as_ptr(),
                license.len(),
                self.facts,
                now,
                &mut verdict,
            );
            assert_eq!(rc, lv_result::Ok);
            then(verdict);
            lv_verdict_free(verdict);
        }
    }
}

impl Drop for CHandles {
    fn drop(&mut self) {
        // SAFETY: created in `new`, freed once.
        unsafe {
            lv_node_facts_free(self.facts);
            lv_validator_free(self.validator);
        }
    }
}

/// Every getter, as a binding that copies a verdict reads it.
///
/// # Safety
///
/// `v` is a live verdict.
unsafe fn read_all(v: *const lv_verdict) -> usize {
    // SAFETY: forwarded.
    unsafe {
        let mut n = lv_verdict_status(v) as usize + lv_verdict_environment(v) as usize;
        for s in [
            lv_verdict_site_id(v),
            lv_verdict_org_id(v),
            lv_verdict_license_id(v),
            lv_verdict_cml_license_id(v),
            lv_verdict_cml_id(v),
            lv_verdict_product(v),
            lv_verdict_tier(v),
        ] {
            n += s.len;
        }
        for i in 0..lv_verdict_features_len(v) {
            n += lv_verdict_feature(v, i).len;
        }
        for i in 0..lv_verdict_warnings_len(v) {
            n += lv_verdict_warning_name(v, i).len + lv_verdict_warning_message(v, i).len;
        }
        n +=
            (lv_verdict_issued_at(v) + lv_verdict_expires_at(v) + lv_verdict_grace_end(v)) as usize;
        n + lv_verdict_grace_days_left(v) as usize
    }
}

fn bench(c: &mut Criterion) {
    let case = Case::load();
    let (license, now) = (case.license().to_vec(), case.now());
    let mut g = c.benchmark_group("c-crossing");

    let (core, facts) = core_validator(&case);
    core.validate_at(&license, &facts, now).unwrap();
    g.bench_function("core", |b| {
        b.iter(|| black_box(core.validate_at(black_box(&license), &facts, now).unwrap()))
    });

    let handles = CHandles::new(&case);
    handles.validate(&license, now, |_| {});
    g.bench_function("lv_validate", |b| {
        b.iter(|| {
            handles.validate(black_box(&license), now, |v| {
                black_box(v);
            })
        })
    });
    g.bench_function("lv_validate+has_feature", |b| {
        b.iter(|| {
            handles.validate(black_box(&license), now, |v| {
                // SAFETY: a live verdict and a valid name.
                let yes = unsafe { lv_verdict_has_feature(v, c"analytics".as_ptr(), 9) };
                assert!(black_box(yes));
            })
        })
    });
    g.bench_function("lv_validate+read_all", |b| {
        b.iter(|| {
            handles.validate(black_box(&license), now, |v| {
                // SAFETY: a live verdict.
                black_box(unsafe { read_all(v) });
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
