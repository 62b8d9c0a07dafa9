//! Two-phase validation (`hwf_license::pending`): what phase 1 asks for, and that phase 2 never
//! accepts what a one-call validation would refuse. (Every conformance vector also runs through
//! the two phases: `vectors.rs`, `every_vector_matches_in_two_phases`.)

mod common;

use common::*;
use hwf_license::verify::{PureVerifier, Verifier};
use hwf_license::*;

fn begin(v: &Validator, license: &str) -> Pending {
    match v
        .begin_validate_at(license.as_bytes(), &NodeFacts::default(), NOW)
        .unwrap()
    {
        Begun::Pending(p) => p,
        Begun::Done(_) => panic!("expected a pending validation"),
    }
}

/// (SEC1 key, check) of each listed check, and whether it is by a root.
fn listed(v: &Validator, p: &Pending) -> Vec<(Vec<u8>, Check, bool)> {
    v.pending_checks(p)
        .iter()
        .map(|c| (c.key.to_sec1(), c.check.clone(), c.by_root))
        .collect()
}

fn truth(key: &PublicKey, c: &Check) -> bool {
    PureVerifier.verify(key, c.message(), c.digest(), c.signature())
}

/// Answers by the position of the check asked: `answers[i]` for the i-th.
fn scripted(answers: &[bool]) -> impl FnMut(&PublicKey, &Check) -> Result<bool> + '_ {
    let mut i = 0;
    move |_, _| {
        i += 1;
        answers
            .get(i - 1)
            .copied()
            .ok_or(Error::InvalidArgument("asked for more checks than listed"))
    }
}

fn code(r: Result<Outcome>) -> ErrorCode {
    r.map(|_| ()).unwrap_err().code()
}

#[test]
fn a_cold_chain_asks_for_both_checks_at_once_a_cached_one_for_none() {
    let f = fixture();
    let v = validator(&f.root);
    let p = begin(&v, &f.license);
    let checks = listed(&v, &p);
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].0, f.root.public_key().to_sec1());
    assert!(checks[0].2, "the CML's check is by a root");
    assert_eq!(checks[1].0, f.org.public_key().to_sec1());
    assert!(!checks[1].2, "the site license's check is by the org key");
    let mut answer = |k: &PublicKey, c: &Check| Ok(truth(k, c));
    let Outcome::Verdict(verdict) = v.finish(p, &mut answer).unwrap() else {
        panic!("not a verdict")
    };
    assert_eq!(verdict.status, Status::Valid);
    assert_eq!(v.cached(), (1, 1));
    // Cached: no check at all, the verdict at once and equal to the one-call path's.
    match v
        .begin_validate_at(f.license.as_bytes(), &NodeFacts::default(), NOW)
        .unwrap()
    {
        Begun::Done(Outcome::Verdict(again)) => assert_eq!(again, verdict),
        _ => panic!("a cached chain is pending"),
    }
    let sync = validator(&f.root)
        .validate_at(f.license.as_bytes(), &NodeFacts::default(), NOW)
        .unwrap();
    assert_eq!(sync, *verdict);
}

#[test]
fn nothing_counts_unless_the_root_verified_the_cml() {
    let f = fixture();
    // The CML refused, the site license (by the org key read from that CML) "verified": the
    // CML's bad_signature, nothing cached.
    let v = validator(&f.root);
    let p = begin(&v, &f.license);
    let err = v.finish(p, &mut scripted(&[false, true])).unwrap_err();
    assert_eq!(err, Error::BadSignature { kind: DocKind::Cml });
    assert_eq!(v.cached(), (0, 0));
    // The CML verified, the site license refused: the site's bad_signature, the CML cached.
    let p = begin(&v, &f.license);
    let err = v.finish(p, &mut scripted(&[true, false])).unwrap_err();
    assert_eq!(
        err,
        Error::BadSignature {
            kind: DocKind::Site
        }
    );
    assert_eq!(v.cached(), (1, 0));
    // Then only the site's check is asked for.
    let p = begin(&v, &f.license);
    assert_eq!(listed(&v, &p).len(), 1);
    assert!(v.finish(p, &mut scripted(&[true])).is_ok());
}

#[test]
fn an_answer_function_without_an_answer_refuses_and_caches_nothing() {
    let f = fixture();
    let v = validator(&f.root);
    let p = begin(&v, &f.license);
    // Answers only for the first check (as a binding that was given one answer).
    let r = v.finish(p, &mut scripted(&[true]));
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    assert_eq!(v.cached(), (1, 0), "only the verified CML is cached");
    let p = begin(&v, &f.license);
    assert_eq!(
        code(v.finish(p, &mut scripted(&[]))),
        ErrorCode::InvalidArgument
    );
    assert_eq!(v.cached(), (1, 0));
}

#[test]
fn a_forged_cml_is_refused_even_when_its_own_org_key_verifies_the_site_license() {
    // An attacker's CML (a valid structure, signed by a key the validator does not trust under
    // the trusted root's kid) naming the attacker's org key, and a site license signed by it.
    let f = fixture();
    let attacker = SigningKey::from_seed(b"attacker");
    let forged = issue::sign_cml(&attacker, "root-1", &cml_claims(&attacker)).unwrap();
    let forged_cml = VerifiedCml {
        id: document_id(&forged).unwrap(),
        claims: cml_claims(&attacker),
        org_key: attacker.public_key().clone(),
        jws: forged.clone(),
    };
    let license = issue::mint_site_license(&attacker, &forged_cml, &site_claims()).unwrap();
    let v = validator(&f.root);
    let p = begin(&v, &license);
    let checks = listed(&v, &p);
    assert_eq!(checks.len(), 2);
    // Truthful answers: the root does not verify the CML; the attacker's key does verify the
    // site license.
    let mut answer = |k: &PublicKey, c: &Check| Ok(truth(k, c));
    assert!(!truth(f.root.public_key(), &checks[0].1));
    assert!(truth(attacker.public_key(), &checks[1].1));
    let err = v.finish(p, &mut answer).unwrap_err();
    assert_eq!(err, Error::BadSignature { kind: DocKind::Cml });
    assert_eq!(v.cached(), (0, 0));
    // The one-call path says the same.
    let sync = v.validate_at(license.as_bytes(), &NodeFacts::default(), NOW);
    assert_eq!(sync.unwrap_err(), err);
}

#[test]
fn a_pending_validation_is_finished_only_by_its_validator() {
    let f = fixture();
    let (a, b) = (validator(&f.root), validator(&f.root));
    let p = begin(&a, &f.license);
    assert!(b.pending_checks(&p).is_empty());
    let mut answer = |k: &PublicKey, c: &Check| Ok(truth(k, c));
    assert_eq!(code(b.finish(p, &mut answer)), ErrorCode::InvalidArgument);
    assert_eq!(b.cached(), (0, 0));
    assert_eq!(a.cached(), (0, 0));
}

#[test]
fn answers_of_another_request_do_not_answer_this_one() {
    // Answers kept by the checks' identity (key, digest, signature), as the WASM binding keeps
    // them: those of another license do not answer this one's checks.
    let f = fixture();
    let org = f.org.clone();
    let v = validator(&f.root);
    let cml = v.verify_cml(&f.cml_jws).unwrap();
    let other = issue::mint_site_license(
        &org,
        &cml,
        &SiteClaims {
            site_id: "site-2".into(),
            license_id: "site-lic-2".into(),
            ..site_claims()
        },
    )
    .unwrap();
    let w = validator(&f.root);
    let p_other = begin(&w, &other);
    let known: Vec<(Vec<u8>, Check, bool)> = listed(&w, &p_other)
        .into_iter()
        .map(|(k, c, _)| {
            let ok = truth(&PublicKey::from_sec1(&k).unwrap(), &c);
            (k, c, ok)
        })
        .collect();
    let p = begin(&w, &f.license);
    let mut by_identity = |k: &PublicKey, c: &Check| {
        known
            .iter()
            .find(|(key, check, _)| *key == k.to_sec1() && check == c)
            .map(|(_, _, ok)| *ok)
            .ok_or(Error::InvalidArgument("no answer for this check"))
    };
    // The CML is the same document (its answer applies), the site license is not.
    let r = w.finish(p, &mut by_identity);
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    assert_eq!(w.cached(), (1, 0));
}

#[test]
fn the_policy_is_checked_again_in_phase_two() {
    // A dev chain, accepted by a prod validator that opted in at phase 1 and opted out before
    // phase 2: refused as a one-call validation would be now.
    let root = SigningKey::from_seed(b"dev root");
    let org = SigningKey::from_seed(b"dev org");
    let claims = CmlClaims {
        key_type: Environment::Dev,
        ..cml_claims(&org)
    };
    let cml_jws = issue::sign_cml(&root, "root-dev", &claims).unwrap();
    let mut v = Validator::new(
        Environment::Prod,
        vec![TrustedRoot::new(
            "root-dev",
            Environment::Dev,
            root.public_key().clone(),
        )],
    );
    v.accept_other_environment(true);
    let cml = v.verify_cml(&cml_jws).unwrap();
    let license = issue::mint_site_license(&org, &cml, &site_claims()).unwrap();
    let mut w = Validator::new(
        Environment::Prod,
        vec![TrustedRoot::new(
            "root-dev",
            Environment::Dev,
            root.public_key().clone(),
        )],
    );
    w.accept_other_environment(true);
    let p = begin(&w, &license);
    w.accept_other_environment(false);
    let mut answer = |k: &PublicKey, c: &Check| Ok(truth(k, c));
    assert_eq!(
        code(w.finish(p, &mut answer)),
        ErrorCode::EnvironmentMismatch
    );
    assert_eq!(w.cached(), (0, 0));
    let sync = w.validate_at(license.as_bytes(), &NodeFacts::default(), NOW);
    assert_eq!(sync.unwrap_err().code(), ErrorCode::EnvironmentMismatch);
}

#[test]
fn verify_cml_in_two_phases() {
    let f = fixture();
    let v = validator(&f.root);
    let Begun::Pending(p) = v.begin_verify_cml(&f.cml_jws).unwrap() else {
        panic!("a new CML needs its check")
    };
    assert_eq!(listed(&v, &p).len(), 1);
    let mut answer = |k: &PublicKey, c: &Check| Ok(truth(k, c));
    let Outcome::Cml(cml) = v.finish(p, &mut answer).unwrap() else {
        panic!("not a CML")
    };
    assert_eq!(cml.claims.org_id, "acme");
    assert!(matches!(
        v.begin_verify_cml(&f.cml_jws).unwrap(),
        Begun::Done(Outcome::Cml(_))
    ));
    let w = validator(&f.root);
    let Begun::Pending(p) = w.begin_verify_cml(&f.cml_jws).unwrap() else {
        panic!("a new CML needs its check")
    };
    assert_eq!(
        w.finish(p, &mut scripted(&[false])).unwrap_err(),
        Error::BadSignature { kind: DocKind::Cml }
    );
}
