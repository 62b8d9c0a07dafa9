//! Shared fixtures for the integration tests: fixed keys and a valid chain.
#![allow(dead_code)]

use hwf_license::*;

pub const DAY: i64 = 86_400;
pub const T0: i64 = 1_767_225_600;
pub const NOW: i64 = T0 + 30 * DAY;

pub struct Fixture {
    pub root: SigningKey,
    pub org: SigningKey,
    pub cml_jws: String,
    pub license: String,
}

pub fn cml_claims(org: &SigningKey) -> CmlClaims {
    CmlClaims {
        license_id: "cml-1".into(),
        org_id: "acme".into(),
        max_sites: 10,
        issued_at: T0,
        valid_until: T0 + 365 * DAY,
        feature_packs: vec!["analytics".into(), "reports".into()],
        key_type: Environment::Prod,
        org_key: org.public_key().to_jwk(),
        grace_days: 30,
        ..Default::default()
    }
}

pub fn site_claims() -> SiteClaims {
    SiteClaims {
        license_id: "lic-1".into(),
        site_id: "site-1".into(),
        issued_at: T0 + DAY,
        expires_at: T0 + 180 * DAY,
        features: vec!["analytics".into()],
        product: "hwf".into(),
        tier: "active".into(),
        ..Default::default()
    }
}

pub fn validator(root: &SigningKey) -> Validator {
    Validator::new(
        Environment::Prod,
        vec![TrustedRoot::new(
            "root-1",
            Environment::Prod,
            root.public_key().clone(),
        )],
    )
}

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl TestClock {
    pub fn at(t: i64) -> Self {
        Self(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(t)))
    }
    pub fn set(&self, t: i64) {
        self.0.store(t, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A prod validator trusting `root`, reading `clock`, with a fixed nonce seed.
pub fn clocked_validator(root: &SigningKey, clock: &TestClock) -> Validator {
    let c = clock.clone();
    Validator::builder(Environment::Prod)
        .root(TrustedRoot::new(
            "root-1",
            Environment::Prod,
            root.public_key().clone(),
        ))
        .clock(move || c.now())
        .nonce_seed([42; 32])
        .build()
        .unwrap()
}

pub fn fixture() -> Fixture {
    let root = SigningKey::from_seed(b"tests root");
    let org = SigningKey::from_seed(b"tests org");
    let cml_jws = issue::sign_cml(&root, "root-1", &cml_claims(&org)).unwrap();
    let cml = validator(&root).verify_cml(&cml_jws).unwrap();
    let license = issue::mint_site_license(&org, &cml, &site_claims()).unwrap();
    Fixture {
        root,
        org,
        cml_jws,
        license,
    }
}
