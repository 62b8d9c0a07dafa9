//! Replays the hostile corpus (testdata/hostile/index.json): files built to cost the reader as
//! much as its limits allow. Each must give its stated outcome; what they cost against a normal
//! validation is measured by the `hostile` criterion group (docs/PERFORMANCE.md), not here.

use hwf_license::*;
use serde_json::Value;

#[test]
fn every_hostile_file_gives_its_outcome() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/hostile");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/index.json")).unwrap())
            .unwrap();
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/vectors/vectors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let roots: Vec<TrustedRoot> = index["validator"]["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kid| {
            let kid = kid.as_str().unwrap();
            let r = &vectors["roots"][kid];
            TrustedRoot::new(
                kid,
                Environment::parse(r["environment"].as_str().unwrap()).unwrap(),
                PublicKey::from_pem(r["pem"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let files = index["files"].as_array().unwrap();
    assert!(files.len() >= 10);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(format!("{dir}/{}", f["file"].as_str().unwrap())).unwrap();
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap(), "{name}");
        let v = Validator::new(Environment::Prod, roots.clone());
        let got = v.validate_at(&bytes, &NodeFacts::default(), f["now"].as_i64().unwrap());
        match (&got, f["expect"]["error"]["code"].as_u64()) {
            (Err(e), Some(code)) => assert_eq!(u64::from(e.code().code()), code, "{name}: {e}"),
            (Ok(d), None) => assert_eq!(
                d.status.as_str(),
                f["expect"]["ok"]["status"].as_str().unwrap(),
                "{name}"
            ),
            _ => panic!("{name}: got {got:?}, expected {}", f["expect"]),
        }
    }
}
