//! Parsing + validation of arbitrary bytes: the file reader, JWS splitting, strict payloads, the
//! rules, revocation lists and heartbeats. Seeded from the conformance vectors
//! (`scripts/fuzz.sh` writes them into the corpus). Any panic, overflow or unbounded allocation
//! is a bug.
#![no_main]

use hwf_license::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PROD_JWK: &str = include_str!("../prod_root.jwk");

fn roots() -> &'static Vec<TrustedRoot> {
    static ROOTS: OnceLock<Vec<TrustedRoot>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        vec![TrustedRoot::new(
            "root-prod-1",
            Environment::Prod,
            PublicKey::from_jwk_json(PROD_JWK).unwrap(),
        )]
    })
}

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes choose `now` (any i64, extremes included); the rest is the license,
    // optionally followed by "\0" and a revocation list or heartbeat answer.
    let (now, rest) = match data.split_first_chunk::<8>() {
        Some((n, rest)) => (i64::from_le_bytes(*n), rest),
        None => (1_769_817_600, data),
    };
    let (lic, extra) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut v = Validator::new(Environment::Prod, roots().clone());
    let facts = NodeFacts::from_strs(["10.20.30.40"], Some("node1.berlin.acme.example"), Some("blue"))
        .unwrap();
    if let Some(extra) = extra.and_then(|e| std::str::from_utf8(e).ok()) {
        let _ = v.apply_revocation_list_at(lic, extra, now);
        let _ = v.verify_heartbeat_at(lic, extra, "n-123", now);
    }
    let first = v.validate_at(lic, &facts, now);
    let second = v.validate_at(lic, &facts, now);
    // The cached path must agree with the cold one.
    assert_eq!(first.is_ok(), second.is_ok());
    if let Ok(verdict) = first {
        assert!(verdict.expires_at <= verdict.grace_end);
        assert!(verdict.features.iter().all(|f| verdict.has_feature(f)));
    }
    let _ = PublicKey::from_pem_or_jwk(&String::from_utf8_lossy(lic));
});
