//! Every single-bit change to the signed bytes of a valid site.lic is rejected, and a signature
//! made for one document kind never verifies as another.

mod common;
use common::*;
use hwf_license::issue::raw;
use hwf_license::*;

fn b64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a' + 26),
        b'0'..=b'9' => u32::from(c - b'0' + 52),
        b'-' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for c in s.as_bytes().chunks(4) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &ch)| n | val(ch) << (18 - 6 * i));
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..c.len() - 1]);
    }
    out
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Flips every bit of every character of both JWS strings in the file text.
#[test]
fn every_bit_flip_of_the_file_text_is_rejected() {
    let f = fixture();
    let v = validator(&f.root);
    let facts = NodeFacts::default();
    assert!(v.validate_at(f.license.as_bytes(), &facts, NOW).is_ok());
    let file = parse_license_file(f.license.as_bytes()).unwrap();
    let mut flips = 0;
    for (field, jws) in [("cml", &file.cml), ("site", &file.site)] {
        let start = f.license.find(jws.as_str()).unwrap();
        for i in start..start + jws.len() {
            for bit in 0..8 {
                let mut bytes = f.license.clone().into_bytes();
                bytes[i] ^= 1 << bit;
                let r = v.validate_at(&bytes, &facts, NOW);
                assert!(
                    r.is_err(),
                    "{field}: flipping bit {bit} of byte {i} was accepted"
                );
                flips += 1;
            }
        }
    }
    assert!(flips > 8 * 1000, "only {flips} flips");
}

/// Flips every bit of the decoded header, payload and signature of both documents, re-encoding
/// canonically, so each flip reaches the signature check.
#[test]
fn every_bit_flip_of_the_decoded_documents_is_rejected() {
    let f = fixture();
    let v = validator(&f.root);
    let facts = NodeFacts::default();
    let file = parse_license_file(f.license.as_bytes()).unwrap();
    let mut flips = 0;
    for doc in 0..2 {
        let jws = if doc == 0 { &file.cml } else { &file.site };
        let parts: Vec<Vec<u8>> = jws.split('.').map(b64url_decode).collect();
        for part in 0..3 {
            for i in 0..parts[part].len() {
                for bit in 0..8 {
                    let mut p = parts.clone();
                    p[part][i] ^= 1 << bit;
                    let edited = p.iter().map(|x| b64url(x)).collect::<Vec<_>>().join(".");
                    let lic = if doc == 0 {
                        license_file(&edited, &file.site)
                    } else {
                        license_file(&file.cml, &edited)
                    };
                    let r = v.validate_at(lic.as_bytes(), &facts, NOW);
                    assert!(
                        r.is_err(),
                        "doc {doc} part {part} byte {i} bit {bit} accepted"
                    );
                    flips += 1;
                }
            }
        }
    }
    assert!(flips > 8 * 700, "only {flips} flips");
    // The cache never turned a tampered copy into a hit: the original still validates.
    assert!(v.validate_at(f.license.as_bytes(), &facts, NOW).is_ok());
}

/// One key is trusted as a root AND is the org key, so only `typ` and the payload `type` keep
/// the kinds apart. Every kind presented where every other kind is expected: only the diagonal
/// verifies.
#[test]
fn document_kind_confusion_matrix() {
    let key = SigningKey::from_seed(b"one key for everything");
    let kid = key.public_key().thumbprint().to_string();
    let roots = vec![TrustedRoot::new(
        kid.clone(),
        Environment::Prod,
        key.public_key().clone(),
    )];
    let policy = EnvironmentPolicy::only(Environment::Prod);
    let cml_jws = issue::sign_cml(&key, &kid, &cml_claims(&key)).unwrap();
    let cml = verify_cml(&roots, policy, &cml_jws).unwrap();
    let mut site = site_claims();
    site.org_id = "acme".into();
    site.cml = cml.id.clone();
    let cml_binding = cml.id.clone();
    let docs: Vec<(DocKind, String)> = vec![
        (DocKind::Cml, cml_jws.clone()),
        (DocKind::Site, issue::sign_site(&key, &site).unwrap()),
        (
            DocKind::RevocationList,
            issue::sign_revocation_list(
                &key,
                &RevocationListClaims {
                    org_id: "acme".into(),
                    cml: cml_binding.clone(),
                    seq: 1,
                    issued_at: T0,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        (
            DocKind::Heartbeat,
            issue::sign_heartbeat(
                &key,
                &HeartbeatClaims {
                    org_id: "acme".into(),
                    cml: cml_binding.clone(),
                    site_id: "site-1".into(),
                    status: "active".into(),
                    nonce: "n".into(),
                    server_time: T0,
                    revocation_list: String::new(),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        (
            DocKind::LedgerEntry,
            issue::sign_ledger_entry(
                &key,
                &LedgerEntryClaims {
                    org_id: "acme".into(),
                    cml: cml_binding.clone(),
                    seq: 0,
                    prev: GENESIS_PREV.into(),
                    at: T0,
                    event: LedgerEvent::SiteCreated,
                    site_id: Some("site-1".into()),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        (
            DocKind::Manifest,
            issue::sign_manifest(
                &key,
                &ManifestClaims {
                    org_id: "acme".into(),
                    cml: cml_binding.clone(),
                    period: "2026-01".into(),
                    generated_at: T0,
                    ledger_head: GENESIS_PREV.into(),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
    ];
    // The same key certified as its own receipt key (kid = the root's = its thumbprint).
    let certificate = issue::sign_receipt_key(
        &key,
        &kid,
        &ReceiptKeyClaims {
            key: key.public_key().to_jwk(),
            environment: Environment::Prod,
            issued_at: T0,
            valid_until: T0 + 365 * 86_400,
            ..Default::default()
        },
    )
    .unwrap();
    let manifest_id = "ab".repeat(32);
    let mut docs = docs;
    docs.push((DocKind::ReceiptKey, certificate.clone()));
    docs.push((
        DocKind::Receipt,
        issue::sign_receipt(
            &key,
            &ReceiptClaims {
                org_id: "acme".into(),
                manifest: manifest_id.clone(),
                period: "2026-01".into(),
                received_at: T0,
                ..Default::default()
            },
        )
        .unwrap(),
    ));
    let verify = |expected: DocKind, jws: &str| -> Result<()> {
        match expected {
            DocKind::Cml => verify_cml(&roots, policy, jws).map(drop),
            DocKind::Site => verify_site(&cml, jws).map(drop),
            DocKind::RevocationList => verify_revocation_list(&cml, jws).map(drop),
            DocKind::Heartbeat => verify_heartbeat(&cml, "site-1", "n", jws).map(drop),
            DocKind::LedgerEntry => verify_ledger_entry(&cml, jws).map(drop),
            DocKind::Manifest => verify_manifest(&cml, jws).map(drop),
            DocKind::ReceiptKey => verify_receipt_key(&roots, policy, jws).map(drop),
            DocKind::Receipt => verify_receipt(
                &roots,
                policy,
                &certificate,
                jws,
                "acme",
                &manifest_id,
                T0 + 86_400,
            )
            .map(drop),
            _ => unreachable!(),
        }
    };
    let mut cells = 0;
    for expected in DocKind::ALL {
        for (kind, jws) in &docs {
            let r = verify(expected, jws);
            if *kind == expected {
                assert_eq!(r, Ok(()), "{kind} must verify as itself");
            } else {
                assert_eq!(
                    r.map_err(|e| e.code()),
                    Err(ErrorCode::WrongDocumentType),
                    "{kind} presented as {expected}"
                );
            }
            cells += 1;
        }
    }
    assert_eq!(cells, 64);

    // Relabel each document's header with every other kind's typ and re-sign with the same key:
    // the signed payload's `type` still refuses it.
    for expected in DocKind::ALL {
        for (kind, jws) in &docs {
            if *kind == expected {
                continue;
            }
            let payload = b64url_decode(jws.split('.').nth(1).unwrap());
            let relabelled =
                raw::sign_parts(&key, raw::header(expected, &kid).as_bytes(), &payload);
            assert_eq!(
                verify(expected, &relabelled).map_err(|e| e.code()),
                Err(ErrorCode::WrongDocumentType),
                "{kind} payload relabelled as {expected}"
            );
        }
    }
}
