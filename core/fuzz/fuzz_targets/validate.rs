//! Parsing + validation of arbitrary bytes: the file reader, JWS splitting, strict payloads, the
//! rules, revocation lists and heartbeats, trust state bytes (import, export round trip) and the
//! environment policy toggled between calls. Seeded from the conformance vectors and the
//! scenarios' exported states (`scripts/fuzz.sh` writes them into the corpus). Any panic,
//! overflow or unbounded allocation is a bug.
#![no_main]

use hwf_license::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PROD_JWK: &str = include_str!("../prod_root.jwk");

const DEV_JWK: &str = include_str!("../dev_root.jwk");

fn roots() -> &'static Vec<TrustedRoot> {
    static ROOTS: OnceLock<Vec<TrustedRoot>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        vec![
            TrustedRoot::new(
                "root-prod-1",
                Environment::Prod,
                PublicKey::from_jwk_json(PROD_JWK).unwrap(),
            ),
            TrustedRoot::new(
                "root-dev-1",
                Environment::Dev,
                PublicKey::from_jwk_json(DEV_JWK).unwrap(),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes choose `now` (any i64, extremes included), the 9th the policy (bit 0:
    // accept the other environment at first; bit 1: toggle it between the two validations); the
    // rest is the license, optionally followed by "\0" and a revocation list or heartbeat
    // answer, and by another "\0" and trust state bytes to import.
    let (now, rest) = match data.split_first_chunk::<8>() {
        Some((n, rest)) => (i64::from_le_bytes(*n), rest),
        None => (1_769_817_600, data),
    };
    let (flags, rest) = rest.split_first().map_or((0, rest), |(f, r)| (*f, r));
    let mut parts = rest.splitn(3, |&b| b == 0);
    let lic = parts.next().unwrap_or_default();
    let extra = parts.next();
    let state = parts.next();
    let clock_now = now;
    let mut v = Validator::builder(Environment::Prod)
        .roots(roots().iter().cloned())
        .accept_other_environment(flags & 1 == 1)
        .clock(move || clock_now)
        .nonce_seed([1; 32])
        .build()
        .unwrap();
    let facts = NodeFacts::from_strs(["10.20.30.40"], Some("node1.berlin.acme.example"), Some("blue"))
        .unwrap();
    if let Some(state) = state {
        let before = v.export_state();
        match v.import_state(state) {
            // An import that succeeded round-trips: exporting and importing again changes nothing.
            Ok(()) => {
                let once = v.export_state();
                v.import_state(&once).unwrap();
                assert_eq!(v.export_state(), once);
                assert!(v.clock_floor() >= 0);
            }
            // A refused import leaves the validator as it was.
            Err(_) => assert_eq!(v.export_state(), before),
        }
    }
    if let Some(extra) = extra.and_then(|e| std::str::from_utf8(e).ok()) {
        let _ = v.apply_revocation_list_at(lic, extra, now);
        let _ = v.verify_heartbeat_at(lic, extra, "n-123", now);
        let _ = v.verify_heartbeat(lic, extra, "n-123");
    }
    let first = v.validate(lic, &facts);
    if flags & 2 == 2 {
        v.accept_other_environment(flags & 1 == 0);
    }
    let second = v.validate_at(lic, &facts, now);
    if flags & 2 == 0 {
        // The cached path must agree with the cold one.
        assert_eq!(first.is_ok(), second.is_ok());
    } else if second.is_ok() && flags & 1 == 1 {
        // The policy now refuses dev chains: a valid verdict must be prod.
        assert_eq!(second.as_ref().unwrap().environment, Environment::Prod);
    }
    if let Ok(verdict) = first {
        assert!(verdict.expires_at <= verdict.grace_end);
        assert!(verdict.features.iter().all(|f| verdict.has_feature(f)));
        assert!(v.clock_floor() >= now);
    }
    let _ = PublicKey::from_pem_or_jwk(&String::from_utf8_lossy(lic));
});
