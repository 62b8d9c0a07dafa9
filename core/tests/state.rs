//! The trust state a node keeps between calls and runs: the three bypasses found in review
//! (rollback after a restart, revocation forgotten on restart, policy skipped by the cache), the
//! state file on disk, and many threads on one validator.

mod common;
use common::*;
use hwf_license::*;

fn revocation_list(f: &Fixture, seq: u64, issued_at: i64, revoked: &[&str]) -> String {
    issue::sign_revocation_list(
        &f.org,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: document_id(&f.cml_jws).unwrap(),
            seq,
            issued_at,
            revoked: revoked.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A license valid until day 300, so day 299 is inside its validity.
fn long_license(f: &Fixture) -> String {
    let cml = validator(&f.root).verify_cml(&f.cml_jws).unwrap();
    let mut s = site_claims();
    s.expires_at = T0 + 300 * DAY;
    issue::mint_site_license(&f.org, &cml, &s).unwrap()
}

#[test]
fn finding_1_rollback_is_refused_after_a_restart() {
    let f = fixture();
    let lic = long_license(&f);
    let facts = NodeFacts::default();
    let clock = TestClock::at(T0 + 299 * DAY);
    let run1 = clocked_validator(&f.root, &clock);
    run1.validate(lic.as_bytes(), &facts).unwrap();
    assert_eq!(run1.clock_floor(), T0 + 299 * DAY);
    let saved = run1.export_state();

    clock.set(T0 + 2 * DAY);
    let run2 = clocked_validator(&f.root, &clock);
    run2.import_state(&saved).unwrap();
    let err = run2.validate(lic.as_bytes(), &facts).unwrap_err();
    assert_eq!(
        err,
        Error::ClockRollback {
            now: T0 + 2 * DAY,
            floor: T0 + 299 * DAY,
            skew: CLOCK_SKEW
        }
    );
    // The legacy host flow (persist clock_floor(), give it back as last seen) holds too.
    let legacy = clocked_validator(&f.root, &clock);
    legacy.set_last_seen(run1.clock_floor()).unwrap();
    assert_eq!(
        legacy.validate(lic.as_bytes(), &facts).unwrap_err().code(),
        ErrorCode::ClockRollback
    );
}

#[test]
fn finding_2_revocation_survives_a_restart() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let run1 = clocked_validator(&f.root, &clock);
    let lic = f.license.as_bytes();
    run1.apply_revocation_list(lic, &revocation_list(&f, 5, NOW - 60, &["lic-1"]))
        .unwrap();
    let saved = run1.export_state();

    let run2 = clocked_validator(&f.root, &clock);
    run2.import_state(&saved).unwrap();
    assert_eq!(
        run2.apply_revocation_list(lic, &revocation_list(&f, 1, NOW - DAY, &[])),
        Err(Error::RevocationListStale { seq: 1, current: 5 })
    );
    assert_eq!(
        run2.validate(lic, &NodeFacts::default()).unwrap_err(),
        Error::Revoked {
            license_id: "lic-1".into(),
            seq: 5
        }
    );
}

#[test]
fn finding_3_policy_is_checked_on_cached_chains() {
    let root = SigningKey::from_seed(b"tests root");
    let dev_root = SigningKey::from_seed(b"tests dev root");
    let org = SigningKey::from_seed(b"tests org");
    let mut c = cml_claims(&org);
    c.key_type = Environment::Dev;
    let dev_cml_jws = issue::sign_cml(&dev_root, "root-dev", &c).unwrap();
    let mut v = Validator::builder(Environment::Prod)
        .root(TrustedRoot::new(
            "root-1",
            Environment::Prod,
            root.public_key().clone(),
        ))
        .root(TrustedRoot::new(
            "root-dev",
            Environment::Dev,
            dev_root.public_key().clone(),
        ))
        .accept_other_environment(true)
        .build()
        .unwrap();
    let dev_cml = v.verify_cml(&dev_cml_jws).unwrap();
    let lic = issue::mint_site_license(&org, &dev_cml, &site_claims()).unwrap();
    let facts = NodeFacts::default();
    v.validate_at(lic.as_bytes(), &facts, NOW).unwrap();
    assert_eq!(v.cached(), (1, 1));
    v.accept_other_environment(false);
    assert_eq!(
        v.validate_at(lic.as_bytes(), &facts, NOW).unwrap_err(),
        Error::EnvironmentMismatch {
            kind: DocKind::Cml,
            expected: Environment::Prod,
            found: Environment::Dev
        }
    );
    assert_eq!(
        v.verify_cml(&dev_cml_jws).unwrap_err().code(),
        ErrorCode::EnvironmentMismatch
    );
}

#[test]
fn a_root_added_later_keeps_the_state() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let mut v = Validator::builder(Environment::Prod)
        .clock({
            let c = clock.clone();
            move || c.now()
        })
        .build()
        .unwrap();
    v.set_last_seen(NOW - DAY).unwrap();
    assert_eq!(
        v.validate(f.license.as_bytes(), &NodeFacts::default())
            .unwrap_err()
            .code(),
        ErrorCode::UnknownKeyId
    );
    v.add_root(TrustedRoot::new(
        "root-1",
        Environment::Prod,
        f.root.public_key().clone(),
    ))
    .unwrap();
    assert_eq!(
        v.add_root(TrustedRoot::new(
            "root-1",
            Environment::Prod,
            f.org.public_key().clone()
        ))
        .unwrap_err()
        .code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(v.clock_floor(), NOW - DAY);
    v.validate(f.license.as_bytes(), &NodeFacts::default())
        .unwrap();
}

#[test]
fn duplicate_root_kids_are_refused_by_the_builder() {
    let f = fixture();
    let r = TrustedRoot::new("root-1", Environment::Prod, f.root.public_key().clone());
    assert_eq!(
        Validator::builder(Environment::Prod)
            .root(r.clone())
            .root(r)
            .build()
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn the_state_file_is_written_atomically_and_privately() {
    let f = fixture();
    let dir = std::env::temp_dir().join(format!("hwf-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trust.state");
    let _ = std::fs::remove_file(&path);
    let clock = TestClock::at(NOW);
    let v = clocked_validator(&f.root, &clock);
    assert!(!v.load_state(&path).unwrap(), "no file yet");
    v.validate(f.license.as_bytes(), &NodeFacts::default())
        .unwrap();
    assert!(v.state_changed());
    v.save_state(&path).unwrap();
    assert!(!v.state_changed());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("trust.state")]);

    let again = clocked_validator(&f.root, &clock);
    assert!(again.load_state(&path).unwrap());
    assert_eq!(again.clock_floor(), NOW);
    assert!(!again.state_changed());

    // A corrupt file is refused and changes nothing.
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 2] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let third = clocked_validator(&f.root, &clock);
    let err = third.load_state(&path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(third.clock_floor(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_truncation_of_a_state_is_refused_without_change() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let v = clocked_validator(&f.root, &clock);
    let lic = f.license.as_bytes();
    v.apply_revocation_list(lic, &revocation_list(&f, 2, NOW - 60, &["lic-9"]))
        .unwrap();
    v.validate(lic, &NodeFacts::default()).unwrap();
    let good = v.export_state();
    let target = clocked_validator(&f.root, &clock);
    target.set_last_seen(NOW - DAY).unwrap();
    let before = target.export_state();
    for len in 0..good.len() {
        let err = target.import_state(&good[..len]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadState, "prefix of {len} bytes");
    }
    assert_eq!(target.export_state(), before);
    let big = vec![b' '; MAX_STATE_BYTES + 1];
    assert_eq!(
        target.import_state(&big).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    target.import_state(&good).unwrap();
    assert_eq!(target.clock_floor(), NOW);
}

#[test]
fn many_threads_validate_at_once_on_one_validator() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let v = std::sync::Arc::new(clocked_validator(&f.root, &clock));
    let lic = std::sync::Arc::new(f.license.clone());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let v = std::sync::Arc::clone(&v);
            let lic = std::sync::Arc::clone(&lic);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let verdict = v.validate(lic.as_bytes(), &NodeFacts::default()).unwrap();
                    assert_eq!(verdict.site_id, "site-1");
                    if i == 0 {
                        let _ = v.export_state();
                    }
                    let _ = v.new_nonce().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(v.cached(), (1, 1));
    assert_eq!(v.clock_floor(), NOW);
}

#[test]
fn a_clock_reading_out_of_range_is_an_invalid_argument() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let v = clocked_validator(&f.root, &clock);
    // A clock reading out of range is an invalid argument, never a panic.
    clock.set(-5);
    assert_eq!(
        v.validate(f.license.as_bytes(), &NodeFacts::default())
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn a_cml_with_max_offline_days_is_format_version_2() {
    let f = fixture();
    let mut c = cml_claims(&f.org);
    c.max_offline_days = Some(7);
    let jws = issue::sign_cml(&f.root, "root-1", &c).unwrap();
    let cml = validator(&f.root).verify_cml(&jws).unwrap();
    assert_eq!(cml.claims.v, 2);
    assert_eq!(cml.claims.max_offline_days, Some(7));
    // Without it, issuers keep writing version 1, which deployed readers understand.
    let cml = validator(&f.root).verify_cml(&f.cml_jws).unwrap();
    assert_eq!(cml.claims.v, 1);
    c.max_offline_days = Some(0);
    assert_eq!(
        issue::sign_cml(&f.root, "root-1", &c).unwrap_err().code(),
        ErrorCode::BadPayload
    );
}

/// The state holds at most `MAX_STATE_CMLS` CMLs. A 65th is refused while every held CML can
/// still carry valid licenses; once one is past its grace end at the clock floor, that one is
/// evicted (only that one) and the new CML takes its place.
#[test]
fn a_full_state_evicts_only_a_cml_past_its_grace_end() {
    let f = fixture();
    let clock = TestClock::at(NOW);
    let v = clocked_validator(&f.root, &clock);
    // CML 0 ends at T0 + 10 days, grace 30 days: dead from T0 + 40 days. The others live a year.
    let chains: Vec<(String, String)> = (0..=MAX_STATE_CMLS)
        .map(|i| {
            let mut c = cml_claims(&f.org);
            c.license_id = format!("cml-{i}");
            if i == 0 {
                c.valid_until = T0 + 10 * DAY;
            }
            let cml_jws = issue::sign_cml(&f.root, "root-1", &c).unwrap();
            let cml = validator(&f.root).verify_cml(&cml_jws).unwrap();
            let lic = issue::mint_site_license(&f.org, &cml, &site_claims()).unwrap();
            (cml_jws, lic)
        })
        .collect();
    let list_for = |cml_jws: &str| {
        issue::sign_revocation_list(
            &f.org,
            &RevocationListClaims {
                org_id: "acme".into(),
                cml: document_id(cml_jws).unwrap(),
                seq: 1,
                issued_at: T0 + 5 * DAY,
                revoked: vec![],
                ..Default::default()
            },
        )
        .unwrap()
    };
    for (cml_jws, lic) in &chains[..MAX_STATE_CMLS] {
        assert_eq!(
            v.apply_revocation_list(lic.as_bytes(), &list_for(cml_jws)),
            Ok(1)
        );
    }
    let (last_cml, last_lic) = &chains[MAX_STATE_CMLS];
    assert_eq!(
        v.apply_revocation_list(last_lic.as_bytes(), &list_for(last_cml)),
        Err(Error::TooLarge {
            size: MAX_STATE_CMLS + 1,
            limit: MAX_STATE_CMLS
        })
    );

    // The floor passes CML 0's grace end (a validation at the clock raises it).
    clock.set(T0 + 41 * DAY);
    v.validate(chains[1].1.as_bytes(), &NodeFacts::default())
        .unwrap();
    assert_eq!(
        v.apply_revocation_list(last_lic.as_bytes(), &list_for(last_cml)),
        Ok(1)
    );
    let state = String::from_utf8(v.export_state()).unwrap();
    assert!(
        !state.contains(chains[0].0.as_str()),
        "the dead CML is still held"
    );
    for (cml_jws, _) in &chains[1..] {
        assert!(state.contains(cml_jws.as_str()), "a live CML was evicted");
    }
    // A live CML's list is kept: other content under the same number is stale.
    let other = issue::sign_revocation_list(
        &f.org,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: document_id(&chains[2].0).unwrap(),
            seq: 1,
            issued_at: T0 + 5 * DAY,
            revoked: vec!["lic-1".into()],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        v.apply_revocation_list(chains[2].1.as_bytes(), &other),
        Err(Error::RevocationListStale { seq: 1, current: 1 })
    );
}
