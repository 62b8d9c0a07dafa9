//! The chain of trust end to end, in one process:
//! a Root key issues a CML to org "acme", the org's Hub mints a site license bound to a network,
//! a DNS suffix and a deployment tag, and a site node validates it three times: on time and on
//! the right machine (valid), after expiry (in grace), and on the wrong machine (refused).
//!
//! With `--state FILE`, the node also validates at its clock (`--clock UNIX` sets it; the system
//! clock otherwise) and keeps its trust state in FILE across runs: a second run with the clock set
//! back is refused with `clock_rollback` (exit status 3).
//!
//! Run: `cargo run -p hwf-license-example [-- --state node.state [--clock 1775000000]]`

use hwf_license::*;

const DAY: i64 = 86_400;

fn show(label: &str, r: &Result<Verdict>) {
    match r {
        Ok(v) => {
            println!(
                "{label}: {} — site {} of org {}",
                v.status.as_str().to_uppercase(),
                v.site_id,
                v.org_id
            );
            println!("    features: {}", v.features.join(", "));
            println!(
                "    expires: {}  grace ends: {}",
                time::Utc(v.expires_at),
                time::Utc(v.grace_end)
            );
            for w in &v.warnings {
                println!("    warning [{}]: {w}", w.name());
            }
        }
        Err(e) => println!(
            "{label}: INVALID — error {} {}: {e}",
            e.code().code(),
            e.code().name()
        ),
    }
}

fn main() -> Result<()> {
    // Root (A-Stack): a fresh prod root key. Nodes have only its public half built in.
    // (Derived from fixed seeds here so that two runs of the example share one chain and the
    // saved state of the first run is valid in the second; a real Root generates its key.)
    let root = SigningKey::from_seed(b"hwf-license example: root");
    let root_kid = "root-prod-2026";
    println!(
        "root key {root_kid}, public key:\n{}",
        root.public_key().to_pem()
    );

    // Hub: generates the org key and sends only the public key to the Root.
    let org = SigningKey::from_seed(b"hwf-license example: org acme");
    let issued = 1_767_225_600; // 2026-01-01T00:00:00Z
    let cml_jws = issue::sign_cml(
        &root,
        root_kid,
        &CmlClaims {
            license_id: "cml-acme-2026".into(),
            org_id: "acme".into(),
            max_sites: 10,
            issued_at: issued,
            valid_until: issued + 365 * DAY,
            feature_packs: vec!["analytics".into(), "reports".into(), "boost".into()],
            key_type: Environment::Prod,
            org_key: org.public_key().to_jwk(),
            grace_days: DEFAULT_GRACE_DAYS,
            ..Default::default()
        },
    )?;

    // The site node's validator: only the root public key, prod environment.
    let node = Validator::new(
        Environment::Prod,
        vec![TrustedRoot::new(
            root_kid,
            Environment::Prod,
            root.public_key().clone(),
        )],
    );

    // Hub: verifies the CML it received, then mints site.lic for one site node.
    let cml = node.verify_cml(&cml_jws)?;
    println!(
        "CML {} for org {} verified (id {})",
        cml.claims.license_id, cml.claims.org_id, cml.id
    );
    let site_lic = issue::mint_site_license(
        &org,
        &cml,
        &SiteClaims {
            license_id: "site-lic-0001".into(),
            site_id: "site-berlin-01".into(),
            fingerprint: Fingerprint {
                address: Some("10.20.0.0/16".into()),
                dns_suffix: Some("berlin.acme.example".into()),
                deployment_tag: Some("blue".into()),
            },
            issued_at: issued + DAY,
            expires_at: issued + 180 * DAY,
            features: vec!["analytics".into(), "reports".into()],
            product: "hwf".into(),
            tier: "active".into(),
            ..Default::default()
        },
    )?;
    println!("site.lic: {} bytes\n", site_lic.len());

    let right_machine = NodeFacts::from_strs(
        ["10.20.30.40"],
        Some("node1.berlin.acme.example"),
        Some("blue"),
    )?;
    let wrong_machine = NodeFacts::from_strs(
        ["192.168.1.10"],
        Some("node1.berlin.acme.example"),
        Some("blue"),
    )?;

    let valid = node.validate_at(site_lic.as_bytes(), &right_machine, issued + 30 * DAY);
    show("day 30, right machine ", &valid);
    let grace = node.validate_at(site_lic.as_bytes(), &right_machine, issued + 185 * DAY);
    show("day 185, right machine", &grace);
    let wrong = node.validate_at(site_lic.as_bytes(), &wrong_machine, issued + 185 * DAY);
    show("day 185, wrong machine", &wrong);

    // The program checks its own story, so a regression makes it fail.
    assert_eq!(valid.as_ref().map(|v| v.status), Ok(Status::Valid));
    assert_eq!(grace.as_ref().map(|v| v.status), Ok(Status::Grace));
    assert_eq!(wrong.map_err(|e| e.code()), Err(ErrorCode::AddressMismatch));

    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    if let Some(state_path) = arg("--state") {
        let code = persisted_node(
            &state_path,
            arg("--clock").map(|c| c.parse::<i64>().expect("--clock takes unix seconds")),
            node.roots().to_vec(),
            site_lic.as_bytes(),
            &right_machine,
        );
        std::process::exit(code);
    }
    Ok(())
}

/// A node that remembers: loads its trust state, validates at its clock, saves the state when
/// it changed. Returns the exit status (0 valid or in grace, 3 refused).
fn persisted_node(
    path: &str,
    clock: Option<i64>,
    roots: Vec<TrustedRoot>,
    site_lic: &[u8],
    facts: &NodeFacts,
) -> i32 {
    let mut builder = Validator::builder(Environment::Prod).roots(roots);
    if let Some(t) = clock {
        builder = builder.clock(move || t);
    }
    let node = builder.build().expect("validator");
    match node.load_state(path) {
        Ok(true) => println!(
            "\nloaded trust state from {path}: clock floor {}",
            time::Utc(node.clock_floor())
        ),
        Ok(false) => println!("\nno trust state at {path} yet"),
        Err(e) => println!("\ntrust state at {path} not loaded: {e}"),
    }
    let verdict = node.validate(site_lic, facts);
    show("at the node's clock   ", &verdict);
    if node.state_changed() {
        node.save_state(path).expect("save the trust state");
        println!(
            "saved trust state to {path}: clock floor {}",
            time::Utc(node.clock_floor())
        );
    }
    if verdict.is_ok() {
        0
    } else {
        3
    }
}
