//! Behaviour beyond a single validation: the clock floor, heartbeats, revocation state, ledgers,
//! manifests, and key import/export compatible with OpenSSL.

mod common;
use common::*;
use hwf_license::*;

#[test]
fn a_validation_at_the_clock_is_a_floor_the_clock_cannot_go_under() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let v = clocked_validator(&f.root, &clock);
    let facts = NodeFacts::default();
    // A what-if question at a later time moves nothing.
    v.validate_at(f.license.as_bytes(), &facts, NOW + 5 * DAY)
        .unwrap();
    assert_eq!(v.clock_floor(), 0);
    // A validation at the clock raises the floor to the clock's time.
    v.validate(f.license.as_bytes(), &facts).unwrap();
    assert_eq!(v.clock_floor(), NOW);
    let floor = v.clock_floor();
    for (now, ok) in [
        (floor - 300, true),
        (floor - 301, false),
        (floor - 299, true),
    ] {
        let r = v.validate_at(f.license.as_bytes(), &facts, now);
        assert_eq!(r.is_ok(), ok, "now = floor - {}", floor - now);
        if !ok {
            assert!(matches!(r, Err(Error::ClockRollback { floor: fl, .. }) if fl == floor));
        }
    }
    // A fresh validator knows nothing yet: the same early time is only "not yet valid" by skew.
    let fresh = validator(&f.root);
    assert_eq!(
        fresh
            .validate_at(f.license.as_bytes(), &facts, T0)
            .unwrap_err()
            .code(),
        ErrorCode::NotYetValid
    );
}

#[test]
fn revocation_list_issued_at_raises_the_floor() {
    let f = fixture();
    let v = validator(&f.root);
    let cml = v.verify_cml(&f.cml_jws).unwrap();
    let rl = issue::sign_revocation_list(
        &f.org,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: cml.id.clone(),
            seq: 7,
            issued_at: NOW,
            revoked: vec![],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        v.apply_revocation_list_at(f.license.as_bytes(), &rl, NOW),
        Ok(7)
    );
    assert_eq!(v.clock_floor(), NOW);
    let err = v
        .validate_at(f.license.as_bytes(), &NodeFacts::default(), NOW - DAY)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ClockRollback);
}

fn heartbeat(
    f: &Fixture,
    cml_id: &str,
    site: &str,
    nonce: &str,
    rl_seq: u64,
    revoked: &[&str],
) -> String {
    let rl = issue::sign_revocation_list(
        &f.org,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: cml_id.into(),
            seq: rl_seq,
            issued_at: NOW - 60,
            revoked: revoked.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .unwrap();
    issue::sign_heartbeat(
        &f.org,
        &HeartbeatClaims {
            org_id: "acme".into(),
            cml: cml_id.into(),
            site_id: site.into(),
            status: if revoked.contains(&"lic-1") {
                "revoked"
            } else {
                "active"
            }
            .into(),
            nonce: nonce.into(),
            server_time: NOW,
            revocation_list: rl,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn heartbeat_answers_are_bound_to_nonce_site_and_cml() {
    let f = fixture();
    let v = validator(&f.root);
    let lic = f.license.as_bytes();
    let cml_id = v.verify_cml(&f.cml_jws).unwrap().id.clone();

    let ok = heartbeat(&f, &cml_id, "site-1", "nonce-1", 1, &[]);
    let info = v.verify_heartbeat_at(lic, &ok, "nonce-1", NOW).unwrap();
    assert_eq!(
        (info.status.as_str(), info.revocation_seq, info.revoked),
        ("active", 1, false)
    );

    // A captured answer replayed for a new nonce is refused.
    assert_eq!(
        v.verify_heartbeat_at(lic, &ok, "nonce-2", NOW),
        Err(Error::NonceMismatch)
    );
    // An answer for another site, or another CML, is refused.
    let other_site = heartbeat(&f, &cml_id, "site-2", "nonce-3", 1, &[]);
    assert_eq!(
        v.verify_heartbeat_at(lic, &other_site, "nonce-3", NOW)
            .unwrap_err()
            .code(),
        ErrorCode::BindingMismatch
    );
    let other_cml = heartbeat(&f, &"cd".repeat(32), "site-1", "nonce-4", 1, &[]);
    assert_eq!(
        v.verify_heartbeat_at(lic, &other_cml, "nonce-4", NOW)
            .unwrap_err()
            .code(),
        ErrorCode::BindingMismatch
    );

    // The revocation carried by a heartbeat takes effect on the next validation.
    assert!(v.validate_at(lic, &NodeFacts::default(), NOW).is_ok());
    let revoking = heartbeat(&f, &cml_id, "site-1", "nonce-5", 2, &["lic-1"]);
    let info = v
        .verify_heartbeat_at(lic, &revoking, "nonce-5", NOW)
        .unwrap();
    assert!(info.revoked);
    assert_eq!(
        v.validate_at(lic, &NodeFacts::default(), NOW),
        Err(Error::Revoked {
            license_id: "lic-1".into(),
            seq: 2
        })
    );
    // An older answer (lower revocation sequence) cannot un-revoke it.
    let older = heartbeat(&f, &cml_id, "site-1", "nonce-6", 1, &[]);
    assert_eq!(
        v.verify_heartbeat_at(lic, &older, "nonce-6", NOW)
            .unwrap_err()
            .code(),
        ErrorCode::RevocationListStale
    );
    assert_eq!(
        v.validate_at(lic, &NodeFacts::default(), NOW)
            .unwrap_err()
            .code(),
        ErrorCode::Revoked
    );
}

fn ledger(f: &Fixture, cml: &VerifiedCml, n: u64) -> Vec<String> {
    let mut prev = GENESIS_PREV.to_string();
    (0..n)
        .map(|seq| {
            let e = issue::sign_ledger_entry(
                &f.org,
                &LedgerEntryClaims {
                    org_id: "acme".into(),
                    cml: cml.id.clone(),
                    seq,
                    prev: prev.clone(),
                    at: T0 + seq as i64,
                    event: LedgerEvent::SiteCreated,
                    site_id: Some(format!("site-{seq}")),
                    detail: Some("hwf/active".into()),
                    ..Default::default()
                },
            )
            .unwrap();
            prev = document_id(&e).unwrap();
            e
        })
        .collect()
}

#[test]
fn ledger_chain_verifies_and_names_the_first_bad_entry() {
    let f = fixture();
    let cml = validator(&f.root).verify_cml(&f.cml_jws).unwrap();
    let entries = ledger(&f, &cml, 6);
    let summary = verify_ledger(&cml, entries.iter().map(String::as_str)).unwrap();
    assert_eq!(summary.length, 6);
    assert_eq!(summary.head, document_id(&entries[5]).unwrap());
    assert_eq!(verify_ledger(&cml, []).unwrap().head, GENESIS_PREV);

    let broken = |e: &[String]| match verify_ledger(&cml, e.iter().map(String::as_str)) {
        Err(Error::LedgerBroken { index, .. }) => index,
        other => panic!("expected a broken ledger, got {other:?}"),
    };
    // Dropping, swapping, or editing an entry is detected at the right index.
    let mut dropped = entries.clone();
    dropped.remove(2);
    assert_eq!(broken(&dropped), 2);
    let mut swapped = entries.clone();
    swapped.swap(3, 4);
    assert_eq!(broken(&swapped), 3);
    for i in 0..entries.len() {
        let mut edited = entries.clone();
        let mut chars: Vec<char> = edited[i].chars().collect();
        let mid = edited[i].find('.').unwrap() + 20;
        chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
        edited[i] = chars.into_iter().collect();
        assert_eq!(broken(&edited), i);
    }
    // An entry signed by another key is named too.
    let mut foreign = entries.clone();
    let other = SigningKey::from_seed(b"other org");
    foreign[1] = issue::sign_ledger_entry(
        &other,
        &LedgerEntryClaims {
            org_id: "acme".into(),
            cml: cml.id.clone(),
            seq: 1,
            prev: document_id(&entries[0]).unwrap(),
            at: T0 + 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(broken(&foreign), 1);
}

fn manifest_claims(cml: &VerifiedCml) -> ManifestClaims {
    ManifestClaims {
        org_id: "acme".into(),
        cml: cml.id.clone(),
        period: "2026-01".into(),
        generated_at: T0 + 31 * DAY,
        stats: ManifestStats {
            admin_users: 1,
            total_users: 3,
            sites_by_product_tier: vec![ProductTierCount {
                product: "hwf".into(),
                tier: "active".into(),
                count: 2,
            }],
            total_active_sites: 2,
        },
        sites: (1..=3)
            .map(|i| ManifestSite {
                site_id: format!("site-{i}"),
                product: "hwf".into(),
                tier: "active".into(),
                issued_at: T0,
                last_seen: Some(T0 + DAY),
                status: if i == 3 { "revoked" } else { "active" }.into(),
            })
            .collect(),
        ledger_head: GENESIS_PREV.into(),
        ledger_length: 0,
        ..Default::default()
    }
}

#[test]
fn manifests_verify_only_for_their_org_and_when_consistent() {
    let f = fixture();
    let v = validator(&f.root);
    let cml = v.verify_cml(&f.cml_jws).unwrap();
    let m = issue::sign_manifest(&f.org, &manifest_claims(&cml)).unwrap();
    let got = verify_manifest(&cml, &m).unwrap();
    assert_eq!(got.claims.stats.total_active_sites, 2);
    assert_eq!(got.id, document_id(&m).unwrap());

    // Another org's manifest (its own key and CML) does not verify under this CML.
    let org_b = SigningKey::from_seed(b"org b");
    let mut cb = cml_claims(&org_b);
    cb.org_id = "globex".into();
    let cml_b = v
        .verify_cml(&issue::sign_cml(&f.root, "root-1", &cb).unwrap())
        .unwrap();
    let mut mb = manifest_claims(&cml_b);
    mb.org_id = "globex".into();
    let m_b = issue::sign_manifest(&org_b, &mb).unwrap();
    assert_eq!(
        verify_manifest(&cml, &m_b).unwrap_err().code(),
        ErrorCode::SignerMismatch
    );
    // Signed by the right key but naming another org.
    let mut wrong_org = manifest_claims(&cml);
    wrong_org.org_id = "globex".into();
    let m_wrong = issue::sign_manifest(&f.org, &wrong_org).unwrap();
    assert_eq!(
        verify_manifest(&cml, &m_wrong).unwrap_err().code(),
        ErrorCode::OrgMismatch
    );
    // Totals that do not add up are refused at signing and at verification.
    let mut bad = manifest_claims(&cml);
    bad.stats.total_active_sites = 3;
    assert_eq!(
        issue::sign_manifest(&f.org, &bad).unwrap_err().code(),
        ErrorCode::ManifestInvalid
    );
    let mut bad_period = manifest_claims(&cml);
    bad_period.period = "2026-13".into();
    assert_eq!(
        issue::sign_manifest(&f.org, &bad_period)
            .unwrap_err()
            .code(),
        ErrorCode::ManifestInvalid
    );
}

#[test]
fn issuance_refuses_what_validation_would_reject() {
    let f = fixture();
    let cml = validator(&f.root).verify_cml(&f.cml_jws).unwrap();
    let mut s = site_claims();
    s.features.push("enterprise".into());
    assert_eq!(
        issue::mint_site_license(&f.org, &cml, &s)
            .unwrap_err()
            .code(),
        ErrorCode::FeatureNotInCml
    );
    let other = SigningKey::from_seed(b"not the org");
    assert_eq!(
        issue::mint_site_license(&other, &cml, &site_claims())
            .unwrap_err()
            .code(),
        ErrorCode::SignerMismatch
    );
    let mut s = site_claims();
    s.fingerprint.address = Some("10.0.0.0/40".into());
    assert_eq!(
        issue::mint_site_license(&f.org, &cml, &s)
            .unwrap_err()
            .code(),
        ErrorCode::BadPayload
    );
    let mut c = cml_claims(&f.org);
    c.valid_until = i64::MAX;
    assert_eq!(
        issue::sign_cml(&f.root, "root-1", &c).unwrap_err().code(),
        ErrorCode::BadPayload
    );
}

#[test]
fn signatures_are_deterministic() {
    let f = fixture();
    let again = issue::sign_cml(&f.root, "root-1", &cml_claims(&f.org)).unwrap();
    assert_eq!(again, f.cml_jws);
}

// Generated with `openssl ecparam -name prime256v1 -genkey -noout`, `openssl pkcs8 -topk8 -nocrypt`,
// `openssl ec -pubout`, and `openssl dgst -sha256 -sign` over "hello hwf" (DER signature below).
const OPENSSL_SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEILpCxzL/A2fE/LsxuXvYsvzzk73HMX1wnE+MII3je7lLoAoGCCqGSM49
AwEHoUQDQgAEw0DkGcMlG+tugcVn+yzbIafNYzMcFh7qJ8y7/YNoXDKD5Isn95K3
t0c14OuetcQ4VdcSAEdLmjg7fMhGmBzj1Q==
-----END EC PRIVATE KEY-----
";
const OPENSSL_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgukLHMv8DZ8T8uzG5
e9iy/POTvccxfXCcT4wgjeN7uUuhRANCAATDQOQZwyUb626BxWf7LNshp81jMxwW
HuonzLv9g2hcMoPkiyf3kre3RzXg6561xDhV1xIAR0uaODt8yEaYHOPV
-----END PRIVATE KEY-----
";
const OPENSSL_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEw0DkGcMlG+tugcVn+yzbIafNYzMc
Fh7qJ8y7/YNoXDKD5Isn95K3t0c14OuetcQ4VdcSAEdLmjg7fMhGmBzj1Q==
-----END PUBLIC KEY-----
";
/// r || s of the OpenSSL DER signature over "hello hwf".
const OPENSSL_SIG: &str = "84ac299c5dc7f114d1205c421ac15a62e05259f4cacca0790e7b7c874b334c63\
f50afe4db95598103f1befef2f402a971602b0d3fe0b3f1a70d013adb3e42f8c";

#[test]
fn openssl_keys_import_and_export() {
    let from_sec1 = SigningKey::from_pem(OPENSSL_SEC1).unwrap();
    let from_pkcs8 = SigningKey::from_pem(OPENSSL_PKCS8).unwrap();
    let public = PublicKey::from_pem(OPENSSL_SPKI).unwrap();
    assert_eq!(from_sec1.public_key(), &public);
    assert_eq!(from_pkcs8.public_key(), &public);
    assert_eq!(from_pkcs8.to_pem(), OPENSSL_PKCS8);
    assert_eq!(public.to_pem(), OPENSSL_SPKI);
    assert_eq!(
        PublicKey::from_pem_or_jwk(&serde_json::to_string(&public.to_jwk()).unwrap()).unwrap(),
        public
    );
    let sig = hex::decode(OPENSSL_SIG).unwrap();
    assert!(public.verify_es256(b"hello hwf", &sig));
    assert!(!public.verify_es256(b"hello hwf!", &sig));
    // Our signatures verify with the same key material OpenSSL produced.
    let ours = from_pkcs8.sign_es256(b"hello hwf");
    assert!(public.verify_es256(b"hello hwf", &ours));
    for bad in [
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        OPENSSL_PKCS8,
    ] {
        assert_eq!(
            PublicKey::from_pem(bad).unwrap_err().code(),
            ErrorCode::BadKey
        );
    }
    assert_eq!(
        SigningKey::from_pem(OPENSSL_SPKI).unwrap_err().code(),
        ErrorCode::BadKey
    );
}

#[test]
fn generated_keys_round_trip() {
    let k = SigningKey::generate().unwrap();
    let back = SigningKey::from_pem(&k.to_pem()).unwrap();
    assert_eq!(back.public_key(), k.public_key());
    assert_ne!(SigningKey::generate().unwrap().public_key(), k.public_key());
    // Debug output never shows the secret.
    let dbg = format!("{k:?}");
    assert!(!dbg.contains(&hex::encode(k.to_bytes())));
}

#[test]
fn error_codes_are_stable_and_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for c in ErrorCode::ALL {
        assert!(seen.insert(c.code()), "duplicate code {}", c.code());
        assert_eq!(ErrorCode::from_code(c.code()), Some(c));
    }
    // The published table (docs/FORMAT.md) pins these numbers.
    assert_eq!(ErrorCode::Malformed.code(), 100);
    assert_eq!(ErrorCode::BadSignature.code(), 200);
    assert_eq!(ErrorCode::Expired.code(), 301);
    assert_eq!(ErrorCode::Revoked.code(), 403);
    assert_eq!(ErrorCode::LedgerBroken.code(), 500);
    assert_eq!(ErrorCode::Panic.code(), 902);
}

#[test]
fn validator_is_send_and_sync_and_its_cache_is_bounded() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Validator>();

    let f = fixture();
    let v = validator(&f.root);
    let cml = v.verify_cml(&f.cml_jws).unwrap();
    let facts = NodeFacts::default();
    let n = hwf_license::validator::CACHE_CAPACITY + 5;
    for i in 0..n {
        let mut s = site_claims();
        s.license_id = format!("lic-{i}");
        s.site_id = format!("site-{i}");
        let lic = issue::mint_site_license(&f.org, &cml, &s).unwrap();
        assert_eq!(
            v.validate_at(lic.as_bytes(), &facts, NOW).unwrap().site_id,
            s.site_id
        );
    }
    let (cmls, cached) = v.cached();
    assert_eq!(cmls, 1);
    assert!(
        cached <= hwf_license::validator::CACHE_CAPACITY,
        "{cached} cached"
    );
    // The first license still validates after its entry was evicted.
    assert!(v.validate_at(f.license.as_bytes(), &facts, NOW).is_ok());
}

#[test]
fn standalone_documents_ignore_surrounding_whitespace_and_manifests_match_their_ledger() {
    let f = fixture();
    let v = validator(&f.root);
    let cml = v.verify_cml(&format!("\n {}\r\n", f.cml_jws)).unwrap();
    assert_eq!(cml.jws, f.cml_jws);
    let entries = ledger(&f, &cml, 3);
    let padded: Vec<String> = entries.iter().map(|e| format!("{e}\n")).collect();
    let summary = verify_ledger(&cml, padded.iter().map(String::as_str)).unwrap();
    let mut m = manifest_claims(&cml);
    m.ledger_head = summary.head.clone();
    m.ledger_length = summary.length;
    let signed = issue::sign_manifest(&f.org, &m).unwrap();
    let got = verify_manifest(&cml, &format!("{signed}\n")).unwrap();
    assert_eq!(check_manifest_ledger(&got.claims, &summary), Ok(()));
    let shorter = verify_ledger(&cml, entries[..2].iter().map(String::as_str)).unwrap();
    assert_eq!(
        check_manifest_ledger(&got.claims, &shorter)
            .unwrap_err()
            .code(),
        ErrorCode::ManifestInvalid
    );
    // Whitespace inside a standalone JWS is not tolerated.
    let inner = signed.replacen('.', ". ", 1);
    assert!(verify_manifest(&cml, &inner).is_err());
}

#[test]
fn messages_name_missing_facts_plainly() {
    let fp = Fingerprint {
        dns_suffix: Some("acme.example".into()),
        deployment_tag: Some("blue".into()),
        ..Default::default()
    };
    let e = fp.check(&NodeFacts::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "node DNS name (none) is not within the licensed suffix \"acme.example\""
    );
    let facts = NodeFacts::from_strs([], Some("x.acme.example"), Some("green")).unwrap();
    assert_eq!(
        fp.check(&facts).unwrap_err().to_string(),
        "node deployment tag \"green\" differs from the licensed \"blue\""
    );
}
