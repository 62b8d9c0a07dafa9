//! Trust-state scenarios (`scenarios.json`): sequences of steps against one validator at a time,
//! each run through core as it is written down, each with an intended outcome the generator
//! checks, so the file never records a surprise. Format: `testdata/vectors/FORMAT.md`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hwf_license::issue;
use hwf_license::*;
use serde_json::{json, Value};

use crate::{base_cml, base_site, root_of, Keys, DAY, DEV, NOW, PROD, T0};

/// The nonce seed of every scenario (32 bytes of 0x5a).
const SEED: [u8; 32] = [0x5a; 32];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An intended outcome: `Ok(())` or the error code.
type Intent = Result<(), ErrorCode>;

fn err_json(e: &Error) -> Value {
    json!({"error": {"code": e.code().code(), "name": e.code().name()}})
}

fn verdict_json(d: &Verdict) -> Value {
    json!({ "ok": crate::verdict_fields(d) })
}

fn facts_json() -> Value {
    json!({"addresses": ["10.20.30.40"], "dns_name": "node1.berlin.acme.example", "deployment_tag": "blue"})
}

fn facts() -> NodeFacts {
    NodeFacts::from_strs(
        ["10.20.30.40"],
        Some("node1.berlin.acme.example"),
        Some("blue"),
    )
    .unwrap()
}

/// A scenario being written and run.
struct Scn {
    name: &'static str,
    description: &'static str,
    environment: Environment,
    accept_other: bool,
    initial_accept_other: bool,
    start_clock: i64,
    roots: Vec<TrustedRoot>,
    root_kids: Vec<&'static str>,
    clock: Arc<AtomicI64>,
    validator: Validator,
    saved: Option<Vec<u8>>,
    steps: Vec<Value>,
}

impl Scn {
    fn new(
        k: &Keys,
        name: &'static str,
        description: &'static str,
        accept_other: bool,
        clock: i64,
    ) -> Self {
        let root_kids = vec![PROD, DEV];
        let roots: Vec<TrustedRoot> = root_kids.iter().map(|r| root_of(k, r)).collect();
        let clock_cell = Arc::new(AtomicI64::new(clock));
        let validator = build(Environment::Prod, &roots, accept_other, &clock_cell);
        Self {
            name,
            description,
            environment: Environment::Prod,
            accept_other,
            initial_accept_other: accept_other,
            start_clock: clock,
            roots,
            root_kids,
            clock: clock_cell,
            validator,
            saved: None,
            steps: vec![],
        }
    }

    fn check(&self, what: &str, outcome: &Value, intent: Intent) {
        let actual = match outcome["error"]["code"].as_u64() {
            Some(c) => Err(c),
            None => Ok(()),
        };
        let intended = intent.map_err(|c| u64::from(c.code()));
        assert_eq!(
            actual,
            intended,
            "scenario {} step {} ({what}) does not do what it says: {outcome}",
            self.name,
            self.steps.len()
        );
    }

    fn set_clock(&mut self, t: i64) {
        self.clock.store(t, Ordering::SeqCst);
        self.steps.push(json!({"op": "set_clock", "time": t}));
    }

    fn validate(&mut self, license: &str, intent: Intent) {
        let r = self.validator.validate(license.as_bytes(), &facts());
        let expect = r.as_ref().map_or_else(err_json, verdict_json);
        self.check("validate", &expect, intent);
        self.steps.push(
            json!({"op": "validate", "license": license, "facts": facts_json(), "expect": expect}),
        );
    }

    fn validate_at(&mut self, license: &str, now: i64, intent: Intent) {
        let r = self
            .validator
            .validate_at(license.as_bytes(), &facts(), now);
        let expect = r.as_ref().map_or_else(err_json, verdict_json);
        self.check("validate_at", &expect, intent);
        self.steps.push(json!({"op": "validate_at", "license": license, "facts": facts_json(), "now": now, "expect": expect}));
    }

    fn apply_list(&mut self, license: &str, list: &str, intent: Intent) {
        let expect = match self
            .validator
            .apply_revocation_list(license.as_bytes(), list)
        {
            Ok(seq) => json!({"ok": {"seq": seq}}),
            Err(e) => err_json(&e),
        };
        self.check("apply_revocation_list", &expect, intent);
        self.steps.push(json!({"op": "apply_revocation_list", "license": license, "list": list, "expect": expect}));
    }

    fn new_nonce(&mut self) -> String {
        let nonce = self.validator.new_nonce().unwrap();
        self.steps
            .push(json!({"op": "new_nonce", "expect": {"ok": {"nonce": nonce}}}));
        nonce
    }

    fn heartbeat(&mut self, license: &str, answer: &str, nonce: &str, intent: Intent) {
        let expect = match self
            .validator
            .verify_heartbeat(license.as_bytes(), answer, nonce)
        {
            Ok(i) => json!({"ok": {"status": i.status, "server_time": i.server_time,
                "revocation_seq": i.revocation_seq, "revoked": i.revoked}}),
            Err(e) => err_json(&e),
        };
        self.check("verify_heartbeat", &expect, intent);
        self.steps.push(
            json!({"op": "verify_heartbeat", "license": license, "answer": answer,
            "nonce": nonce, "expect": expect}),
        );
    }

    fn set_accept_other(&mut self, accept: bool) {
        self.accept_other = accept;
        self.validator.accept_other_environment(accept);
        self.steps
            .push(json!({"op": "set_accept_other_environment", "accept": accept}));
    }

    fn expect_floor(&mut self, floor: i64) {
        assert_eq!(self.validator.clock_floor(), floor, "{}: floor", self.name);
        self.steps
            .push(json!({"op": "expect_floor", "floor": floor}));
    }

    fn expect_changed(&mut self, changed: bool) {
        assert_eq!(
            self.validator.state_changed(),
            changed,
            "{}: state_changed",
            self.name
        );
        self.steps
            .push(json!({"op": "expect_state_changed", "changed": changed}));
    }

    fn export(&mut self) -> Vec<u8> {
        let bytes = self.validator.export_state();
        self.steps
            .push(json!({"op": "export_state", "state_hex": hex(&bytes)}));
        self.saved = Some(bytes.clone());
        bytes
    }

    fn restart(&mut self, import: bool) {
        self.validator = build(
            self.environment,
            &self.roots,
            self.accept_other,
            &self.clock,
        );
        if import {
            self.validator
                .import_state(self.saved.as_deref().expect("a saved state"))
                .unwrap();
        }
        self.steps.push(json!({"op": "restart", "import": import}));
    }

    fn import(&mut self, bytes: &[u8], intent: Intent) {
        let expect = match self.validator.import_state(bytes) {
            Ok(()) => json!({"ok": {}}),
            Err(e) => err_json(&e),
        };
        self.check("import_state", &expect, intent);
        self.steps
            .push(json!({"op": "import_state", "state_hex": hex(bytes), "expect": expect}));
    }

    fn finish(self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "environment": self.environment.as_str(),
            "accept_other_environment": self.initial_accept_other,
            "roots": self.root_kids,
            "nonce_seed": hex(&SEED),
            "clock": self.start_clock,
            "steps": self.steps,
        })
    }
}

fn build(
    env: Environment,
    roots: &[TrustedRoot],
    accept_other: bool,
    clock: &Arc<AtomicI64>,
) -> Validator {
    let c = Arc::clone(clock);
    Validator::builder(env)
        .roots(roots.iter().cloned())
        .accept_other_environment(accept_other)
        .clock(move || c.load(Ordering::SeqCst))
        .nonce_seed(SEED)
        .build()
        .unwrap()
}

/// Signed documents the scenarios use.
struct Docs<'k> {
    k: &'k Keys,
}

impl Docs<'_> {
    fn license(&self, cml: &str, f: impl FnOnce(&mut SiteClaims)) -> String {
        let mut s = base_site(cml);
        f(&mut s);
        license_file(cml, &issue::sign_site(&self.k.org, &s).unwrap())
    }

    fn rl(&self, cml: &str, seq: u64, issued_at: i64, revoked: &[&str]) -> String {
        issue::sign_revocation_list(
            &self.k.org,
            &RevocationListClaims {
                org_id: "acme".into(),
                cml: document_id(cml).unwrap(),
                seq,
                issued_at,
                revoked: revoked.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn answer(&self, cml: &str, nonce: &str, server_time: i64, list: String) -> String {
        issue::sign_heartbeat(
            &self.k.org,
            &HeartbeatClaims {
                org_id: "acme".into(),
                cml: document_id(cml).unwrap(),
                site_id: "site-berlin-01".into(),
                status: "active".into(),
                nonce: nonce.into(),
                server_time,
                revocation_list: list,
                ..Default::default()
            },
        )
        .unwrap()
    }
}

/// Every scenario, run and checked.
pub(crate) fn scenarios(k: &Keys) -> Vec<Value> {
    let d = Docs { k };
    let cml = issue::sign_cml(&k.root_prod, PROD, &base_cml(k)).unwrap();
    // A site license valid until day 300 (the CML runs to day 365).
    let long = d.license(&cml, |s| s.expires_at = T0 + 300 * DAY);
    let basic = d.license(&cml, |_| {});
    let mut out = vec![];

    // 1. The rollback finding: a floor that survives a restart.
    let mut s = Scn::new(
        k,
        "state/rollback-after-restart",
        "Run 1 validates at the clock on day 299 and saves the state; run 2 loads it with the clock set back to day 2: clock_rollback, though the license looks valid on day 2.",
        false,
        T0 + 299 * DAY,
    );
    s.validate(&long, Ok(()));
    s.expect_floor(T0 + 299 * DAY);
    s.export();
    s.set_clock(T0 + 2 * DAY);
    s.restart(true);
    s.expect_floor(T0 + 299 * DAY);
    s.validate(&long, Err(ErrorCode::ClockRollback));
    s.validate_at(&long, T0 + 2 * DAY, Err(ErrorCode::ClockRollback));
    out.push(s.finish());

    // What deleting the state gives back (the threat model in FORMAT.md §7.4).
    let mut s = Scn::new(
        k,
        "state/deleted-state-forgets",
        "Without its saved state a node knows only what the files it holds say: after day 299, a restart with no state and the clock on day 2 validates (FORMAT.md §7.4 says what deleting the state gives back).",
        false,
        T0 + 299 * DAY,
    );
    s.validate(&long, Ok(()));
    s.export();
    s.set_clock(T0 + 2 * DAY);
    s.restart(false);
    s.expect_floor(0);
    s.validate(&long, Ok(()));
    out.push(s.finish());

    // 2. The revocation finding.
    let mut s = Scn::new(
        k,
        "state/revocation-survives-restart",
        "List #5 revokes the site license; after a restart with the saved state, list #1 is stale and the license stays revoked.",
        false,
        NOW,
    );
    s.validate(&basic, Ok(()));
    s.apply_list(&basic, &d.rl(&cml, 5, NOW - 60, &["site-lic-0001"]), Ok(()));
    s.validate(&basic, Err(ErrorCode::Revoked));
    s.export();
    s.restart(true);
    s.apply_list(
        &basic,
        &d.rl(&cml, 1, NOW - 30 * DAY, &[]),
        Err(ErrorCode::RevocationListStale),
    );
    s.validate(&basic, Err(ErrorCode::Revoked));
    s.validate_at(&basic, NOW, Err(ErrorCode::Revoked));
    out.push(s.finish());

    // 3. The cache finding: policy re-checked on cached chains.
    let mut dev_cml_claims = base_cml(k);
    dev_cml_claims.key_type = Environment::Dev;
    dev_cml_claims.license_id = "cml-acme-dev".into();
    let dev_cml = issue::sign_cml(&k.root_dev, DEV, &dev_cml_claims).unwrap();
    let dev_lic = d.license(&dev_cml, |_| {});
    let mut s = Scn::new(
        k,
        "policy/toggled-after-cached-validation",
        "A prod validator that accepted the dev environment validates a dev chain; once it stops accepting it, the cached chain is refused with environment_mismatch.",
        true,
        NOW,
    );
    s.validate(&dev_lic, Ok(()));
    s.set_accept_other(false);
    s.validate(&dev_lic, Err(ErrorCode::EnvironmentMismatch));
    s.validate_at(&dev_lic, NOW, Err(ErrorCode::EnvironmentMismatch));
    s.set_accept_other(true);
    s.validate(&dev_lic, Ok(()));
    out.push(s.finish());

    // What-if calls never write the state.
    let mut s = Scn::new(
        k,
        "time/what-if-moves-nothing",
        "Validations at a caller's time (what-if) leave the floor and the state as they were; a validation at the clock raises the floor to the clock.",
        false,
        NOW,
    );
    s.expect_changed(false);
    s.validate_at(&basic, NOW + 100 * DAY, Ok(()));
    s.expect_floor(0);
    s.expect_changed(false);
    s.validate(&basic, Ok(()));
    s.expect_floor(NOW);
    s.expect_changed(true);
    s.validate_at(&basic, NOW - 300, Ok(()));
    s.validate_at(&basic, NOW - 301, Err(ErrorCode::ClockRollback));
    out.push(s.finish());

    // The floor follows the clock, with 300 s of skew.
    let mut s = Scn::new(
        k,
        "time/clock-validation-raises-floor",
        "After a validation at the clock, the clock may fall back 300 s but not 301 s.",
        false,
        NOW,
    );
    s.validate(&basic, Ok(()));
    s.set_clock(NOW - 301);
    s.validate(&basic, Err(ErrorCode::ClockRollback));
    s.set_clock(NOW - 300);
    s.validate(&basic, Ok(()));
    s.expect_floor(NOW);
    out.push(s.finish());

    // Heartbeats raise the floor to the Hub's time.
    let mut s = Scn::new(
        k,
        "heartbeat/raises-floor",
        "A heartbeat answer (a nonce the host chose) raises the floor to the Hub's time: a node clock 10 days behind the Hub is then a rollback.",
        false,
        NOW,
    );
    let list1 = d.rl(&cml, 1, NOW - 60, &[]);
    s.heartbeat(
        &basic,
        &d.answer(&cml, "host-nonce-1", NOW + 10 * DAY, list1.clone()),
        "host-nonce-1",
        Ok(()),
    );
    s.expect_floor(NOW + 10 * DAY);
    s.validate(&basic, Err(ErrorCode::ClockRollback));
    out.push(s.finish());

    // Core nonces may lower the floor, once.
    let mut s = Scn::new(
        k,
        "heartbeat/core-nonce-lowers-floor-once",
        "A node whose clock ran 100 days ahead is refused after the clock is corrected; an answer to a nonce the validator generated brings the floor down to the Hub's time, and the same answer again is refused.",
        false,
        NOW + 100 * DAY,
    );
    s.validate(&basic, Ok(()));
    s.set_clock(NOW);
    s.validate(&basic, Err(ErrorCode::ClockRollback));
    let n = s.new_nonce();
    let answer = d.answer(&cml, &n, NOW, list1.clone());
    s.heartbeat(&basic, &answer, &n, Ok(()));
    s.expect_floor(NOW);
    s.validate(&basic, Ok(()));
    s.heartbeat(&basic, &answer, &n, Err(ErrorCode::NonceMismatch));
    out.push(s.finish());

    let mut s = Scn::new(
        k,
        "heartbeat/host-nonce-cannot-lower-floor",
        "An answer to a nonce the host chose (not generated by the validator) never lowers the floor: a recorded answer cannot pull it down.",
        false,
        NOW + 100 * DAY,
    );
    s.validate(&basic, Ok(()));
    s.set_clock(NOW);
    s.heartbeat(
        &basic,
        &d.answer(&cml, "host-nonce-2", NOW, list1.clone()),
        "host-nonce-2",
        Ok(()),
    );
    s.expect_floor(NOW + 100 * DAY);
    s.validate(&basic, Err(ErrorCode::ClockRollback));
    out.push(s.finish());

    let mut s = Scn::new(
        k,
        "heartbeat/lowering-stops-at-signed-time",
        "The floor comes down to the Hub's time but never under the newest signed time held (here a revocation list issued later than the answer's server_time).",
        false,
        NOW + 100 * DAY,
    );
    s.validate(&basic, Ok(()));
    let n = s.new_nonce();
    let late_list = d.rl(&cml, 2, NOW + 5 * DAY, &[]);
    s.heartbeat(&basic, &d.answer(&cml, &n, NOW, late_list), &n, Ok(()));
    s.expect_floor(NOW + 5 * DAY);
    out.push(s.finish());

    // Freshness: max_offline_days.
    let mut fresh_claims = base_cml(k);
    fresh_claims.license_id = "cml-acme-offline-30".into();
    fresh_claims.max_offline_days = Some(30);
    let fresh_cml = issue::sign_cml(&k.root_prod, PROD, &fresh_claims).unwrap();
    let fresh_lic = d.license(&fresh_cml, |_| {});
    let site_issued = T0 + DAY;
    let mut s = Scn::new(
        k,
        "freshness/max-offline-days",
        "A CML (format version 2) allows 30 days without a signed time from the Hub: day 30 after the site license's issuance is valid, day 30 + 1 s is offline_too_long; a heartbeat answer restarts the 30 days, and the stored answer still counts after a restart.",
        false,
        site_issued + 30 * DAY,
    );
    s.validate(&fresh_lic, Ok(()));
    s.set_clock(site_issued + 30 * DAY + 1);
    s.validate(&fresh_lic, Err(ErrorCode::OfflineTooLong));
    let n = s.new_nonce();
    let hb_time = site_issued + 40 * DAY;
    s.set_clock(hb_time);
    s.heartbeat(
        &fresh_lic,
        &d.answer(
            &fresh_cml,
            &n,
            hb_time,
            d.rl(&fresh_cml, 1, site_issued + 2 * DAY, &[]),
        ),
        &n,
        Ok(()),
    );
    s.validate(&fresh_lic, Ok(()));
    s.export();
    s.set_clock(hb_time + 30 * DAY);
    s.restart(true);
    s.validate(&fresh_lic, Ok(()));
    s.set_clock(hb_time + 30 * DAY + 1);
    s.validate(&fresh_lic, Err(ErrorCode::OfflineTooLong));
    s.validate_at(&fresh_lic, hb_time + 30 * DAY, Ok(()));
    out.push(s.finish());

    let mut s = Scn::new(
        k,
        "freshness/revocation-list-counts",
        "A revocation list applied is a signed time from the Hub too: it restarts the offline period.",
        false,
        site_issued + 31 * DAY,
    );
    s.validate(&fresh_lic, Err(ErrorCode::OfflineTooLong));
    s.apply_list(
        &fresh_lic,
        &d.rl(&fresh_cml, 1, site_issued + 31 * DAY, &[]),
        Ok(()),
    );
    s.validate(&fresh_lic, Ok(()));
    out.push(s.finish());

    // Bad state bytes.
    let mut s = Scn::new(
        k,
        "state/bad-bytes-change-nothing",
        "Truncated, corrupted, foreign (a dev validator's) and unversioned state bytes are refused with bad_state, and the validator keeps its floor and revocation list.",
        false,
        NOW,
    );
    s.validate(&basic, Ok(()));
    s.apply_list(&basic, &d.rl(&cml, 3, NOW - 60, &["site-lic-0002"]), Ok(()));
    let good = s.export();
    s.import(&good[..good.len() - 1], Err(ErrorCode::BadState));
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 1;
    s.import(&flipped, Err(ErrorCode::BadState));
    let foreign = {
        let dev = build(Environment::Dev, &s.roots, false, &s.clock);
        dev.validate(dev_lic.as_bytes(), &facts()).unwrap();
        dev.export_state()
    };
    s.import(&foreign, Err(ErrorCode::BadState));
    s.import(b"{\"floor\":0}", Err(ErrorCode::BadState));
    s.import(
        &[b"hwf-trust-state 2\n".as_slice(), &good[18..]].concat(),
        Err(ErrorCode::BadState),
    );
    s.import(&[], Err(ErrorCode::BadState));
    s.expect_floor(NOW);
    s.validate(&basic, Ok(()));
    s.import(&good, Ok(()));
    s.expect_changed(false);
    out.push(s.finish());

    // A state whose signed parts were edited.
    let mut s = Scn::new(
        k,
        "state/forged-list-refused",
        "A saved state whose revocation list was swapped for one signed by another key is refused whole (bad_state): the lists in a state re-verify when it is loaded.",
        false,
        NOW,
    );
    s.apply_list(&basic, &d.rl(&cml, 4, NOW - 60, &["site-lic-0001"]), Ok(()));
    let saved = s.export();
    let forged = {
        let rogue = issue::sign_revocation_list(
            &k.root_rogue,
            &RevocationListClaims {
                org_id: "acme".into(),
                cml: document_id(&cml).unwrap(),
                seq: 9,
                issued_at: NOW - 60,
                revoked: vec![],
                ..Default::default()
            },
        )
        .unwrap();
        let text = String::from_utf8(saved.clone()).unwrap();
        let body_start = text.match_indices('\n').nth(1).unwrap().0 + 1;
        let body = &text[body_start..];
        let v: Value = serde_json::from_str(body).unwrap();
        let old_list = v["cmls"][0]["revocation_list"].as_str().unwrap();
        let new_body = body.replace(old_list, &rogue);
        use sha2::Digest;
        let sum = hex(&sha2::Sha256::digest(new_body.as_bytes()));
        format!("hwf-trust-state 1\n{sum}\n{new_body}").into_bytes()
    };
    s.restart(false);
    s.import(&forged, Err(ErrorCode::BadState));
    s.validate(&basic, Ok(()));
    s.import(&saved, Ok(()));
    s.validate(&basic, Err(ErrorCode::Revoked));
    out.push(s.finish());

    // Import merges.
    let mut s = Scn::new(
        k,
        "state/import-never-lowers",
        "Importing an older copy of the state never lowers the floor nor replaces a newer list: import merges.",
        false,
        NOW,
    );
    s.validate(&basic, Ok(()));
    let older = s.export();
    s.set_clock(NOW + 10 * DAY);
    s.validate(&basic, Ok(()));
    s.apply_list(
        &basic,
        &d.rl(&cml, 6, NOW + DAY, &["site-lic-0001"]),
        Ok(()),
    );
    s.import(&older, Ok(()));
    s.expect_floor(NOW + 10 * DAY);
    s.expect_changed(true);
    s.validate(&basic, Err(ErrorCode::Revoked));
    out.push(s.finish());

    // The changed flag.
    let mut s = Scn::new(
        k,
        "state/changed-flag",
        "state_changed is true after anything new was learnt and false after an export, until the next change.",
        false,
        NOW,
    );
    s.expect_changed(false);
    s.validate(&basic, Ok(()));
    s.expect_changed(true);
    s.export();
    s.expect_changed(false);
    s.validate(&basic, Ok(()));
    s.expect_changed(false);
    s.set_clock(NOW + 1);
    s.validate(&basic, Ok(()));
    s.expect_changed(true);
    s.restart(true);
    s.expect_changed(false);
    out.push(s.finish());

    out
}
