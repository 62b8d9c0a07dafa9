//! Writes `testdata/vectors/vectors.json` and `testdata/vectors/INDEX.md`, the conformance vectors
//! every binding replays. Deterministic: fixed keys from fixed seeds, RFC 6979 signatures, fixed
//! times. Each vector states its intended outcome; the generator runs core on it and refuses to
//! write vectors whose actual outcome differs, so the file never records a surprise.
//!
//! Usage: `cargo run -p hwf-license-vectors [-- --check]` (`--check` fails if the committed files
//! differ from what would be written).

use hwf_license::issue::{self, raw};
use hwf_license::*;
use serde_json::{json, Value};
use std::path::PathBuf;

mod hostile;
mod scenarios;

const DAY: i64 = 86_400;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;
const NOW: i64 = T0 + 30 * DAY;
const SITE_EXP: i64 = T0 + 180 * DAY;
const CML_EXP: i64 = T0 + 365 * DAY;

struct Keys {
    root_prod: SigningKey,
    root_dev: SigningKey,
    root_rogue: SigningKey,
    org: SigningKey,
    org_b: SigningKey,
}

fn keys() -> Keys {
    Keys {
        root_prod: SigningKey::from_seed(b"hwf-license vectors: root prod 1"),
        root_dev: SigningKey::from_seed(b"hwf-license vectors: root dev 1"),
        root_rogue: SigningKey::from_seed(b"hwf-license vectors: rogue root"),
        org: SigningKey::from_seed(b"hwf-license vectors: org acme"),
        org_b: SigningKey::from_seed(b"hwf-license vectors: org globex"),
    }
}

const PROD: &str = "root-prod-1";
const DEV: &str = "root-dev-1";

fn base_cml(k: &Keys) -> CmlClaims {
    CmlClaims {
        license_id: "cml-acme-2026".into(),
        org_id: "acme".into(),
        max_sites: 25,
        issued_at: T0,
        valid_until: CML_EXP,
        feature_packs: vec!["analytics".into(), "boost".into(), "reports".into()],
        key_type: Environment::Prod,
        org_key: k.org.public_key().to_jwk(),
        grace_days: 30,
        ..Default::default()
    }
}

fn base_site(cml_jws: &str) -> SiteClaims {
    SiteClaims {
        license_id: "site-lic-0001".into(),
        site_id: "site-berlin-01".into(),
        org_id: "acme".into(),
        cml: document_id(cml_jws).unwrap(),
        fingerprint: Fingerprint::default(),
        issued_at: T0 + DAY,
        expires_at: SITE_EXP,
        features: vec!["analytics".into(), "reports".into()],
        product: "hwf".into(),
        tier: "active".into(),
        ..Default::default()
    }
}

fn sign_cml_as(key: &SigningKey, kid: &str, c: &CmlClaims) -> String {
    issue::sign_cml(key, kid, c).unwrap()
}

/// One vector under construction.
#[derive(Clone)]
struct V {
    name: String,
    description: String,
    environment: Environment,
    accept_other: bool,
    roots: Vec<&'static str>,
    last_seen: Option<i64>,
    revocation_lists: Vec<String>,
    license: Vec<u8>,
    addresses: Vec<String>,
    dns_name: Option<String>,
    deployment_tag: Option<String>,
    now: i64,
    /// Intended outcome: Ok(status name) or Err((code, step)).
    intent: Result<&'static str, (ErrorCode, &'static str)>,
}

struct Gen {
    k: Keys,
    cml: String,
    out: Vec<V>,
}

impl Gen {
    fn lic(&self, site: &SiteClaims) -> Vec<u8> {
        let s = issue::sign_site(&self.k.org, site).unwrap();
        license_file(&self.cml, &s).into_bytes()
    }

    fn base(&self, name: &str, description: &str) -> V {
        V {
            name: name.into(),
            description: description.into(),
            environment: Environment::Prod,
            accept_other: false,
            roots: vec![PROD, DEV],
            last_seen: None,
            revocation_lists: vec![],
            license: self.lic(&base_site(&self.cml)),
            addresses: vec!["10.20.30.40".into()],
            dns_name: Some("node1.berlin.acme.example".into()),
            deployment_tag: Some("blue".into()),
            now: NOW,
            intent: Ok("valid"),
        }
    }

    fn push(&mut self, v: V) {
        assert!(
            self.out.iter().all(|o| o.name != v.name),
            "duplicate vector {}",
            v.name
        );
        self.out.push(v);
    }

    fn ok(&mut self, name: &str, d: &str, f: impl FnOnce(&Self, &mut V)) {
        let mut v = self.base(name, d);
        f(self, &mut v);
        self.push(v);
    }

    fn err(&mut self, name: &str, d: &str, code: ErrorCode, f: impl FnOnce(&Self, &mut V)) {
        let mut v = self.base(name, d);
        v.intent = Err((code, "validate"));
        f(self, &mut v);
        self.push(v);
    }

    fn site_lic(&self, f: impl FnOnce(&mut SiteClaims)) -> Vec<u8> {
        let mut s = base_site(&self.cml);
        f(&mut s);
        self.lic(&s)
    }

    fn rl(&self, seq: u64, issued_at: i64, revoked: &[&str]) -> String {
        issue::sign_revocation_list(
            &self.k.org,
            &RevocationListClaims {
                org_id: "acme".into(),
                cml: document_id(&self.cml).unwrap(),
                seq,
                issued_at,
                revoked: revoked.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
        )
        .unwrap()
    }
}

fn b64(bytes: &[u8]) -> String {
    // Minimal base64url (no padding) for raw documents.
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

/// Re-encodes the payload of `jws` after `edit` on its JSON text, keeping header and signature.
fn edit_payload_keep_sig(jws: &str, edit: impl FnOnce(String) -> String) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = decode_b64(parts[1]);
    let new = edit(String::from_utf8(payload).unwrap());
    format!("{}.{}.{}", parts[0], b64(new.as_bytes()), parts[2])
}

fn decode_b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a' + 26),
            b'0'..=b'9' => u32::from(c - b'0' + 52),
            b'-' => 62,
            _ => 63,
        }
    };
    let mut out = Vec::new();
    for c in s.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &ch) in c.iter().enumerate() {
            n |= val(ch) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..c.len() - 1]);
    }
    out
}

fn payload_json(jws: &str) -> Value {
    serde_json::from_slice(&decode_b64(jws.split('.').nth(1).unwrap())).unwrap()
}

/// Signs an arbitrary JSON payload text as a site license of the org (for malformed payloads).
fn raw_site(g: &Gen, payload: &str) -> Vec<u8> {
    let h = raw::header(DocKind::Site, g.k.org.public_key().thumbprint());
    let s = raw::sign_parts(&g.k.org, h.as_bytes(), payload.as_bytes());
    license_file(&g.cml, &s).into_bytes()
}

fn site_payload_text(g: &Gen) -> String {
    let s = issue::sign_site(&g.k.org, &base_site(&g.cml)).unwrap();
    serde_json::to_string(&payload_json(&s)).unwrap()
}

fn file_of(lic: &[u8]) -> LicenseFile {
    parse_license_file(lic).unwrap()
}

/// The decisions of FORMAT.md §1.7, one vector each where a validation can show it.
fn spec(g: &mut Gen) {
    use ErrorCode as E;
    let site_text = site_payload_text(g);
    let wrapper = |g: &Gen, cml: &str, site: &str, extra: &str| -> Vec<u8> {
        let _ = g;
        format!("{{\"cml\":\"{cml}\",\"site\":\"{site}\"{extra}}}").into_bytes()
    };
    let f = file_of(&g.base("x", "x").license);
    for (name, d, text, code) in [
        (
            "spec/v-fraction",
            "v written 1.0: not an integer (bad_payload).",
            site_text.replace("\"v\":1", "\"v\":1.0"),
            E::BadPayload,
        ),
        (
            "spec/v-exponent",
            "v written 1e0: not an integer (bad_payload).",
            site_text.replace("\"v\":1", "\"v\":1e0"),
            E::BadPayload,
        ),
        (
            "spec/v-string",
            "v written \"1\": not an integer (bad_payload).",
            site_text.replace("\"v\":1", "\"v\":\"1\""),
            E::BadPayload,
        ),
        (
            "spec/v-missing",
            "No v member (bad_payload).",
            site_text.replace("\"v\":1,", ""),
            E::BadPayload,
        ),
        (
            "spec/cml-hash-uppercase",
            "The site's cml binding in uppercase hex: ids are lowercase hex (bad_payload).",
            {
                let id = document_id(&g.cml).unwrap();
                site_text.replace(&id, &id.to_uppercase())
            },
            E::BadPayload,
        ),
        (
            "spec/address-prefix-leading-zero",
            "fingerprint.address 10.0.0.0/08 (bad_payload).",
            site_text.replace(
                "\"fingerprint\":{}",
                "\"fingerprint\":{\"address\":\"10.0.0.0/08\"}",
            ),
            E::BadPayload,
        ),
        (
            "spec/address-prefix-plus",
            "fingerprint.address 10.0.0.0/+8 (bad_payload).",
            site_text.replace(
                "\"fingerprint\":{}",
                "\"fingerprint\":{\"address\":\"10.0.0.0/+8\"}",
            ),
            E::BadPayload,
        ),
        (
            "spec/address-zone-id",
            "fingerprint.address fe80::1%eth0 (a zone id) (bad_payload).",
            site_text.replace(
                "\"fingerprint\":{}",
                "\"fingerprint\":{\"address\":\"fe80::1%eth0\"}",
            ),
            E::BadPayload,
        ),
        (
            "spec/address-empty",
            "fingerprint.address empty (bad_payload).",
            site_text.replace("\"fingerprint\":{}", "\"fingerprint\":{\"address\":\"\"}"),
            E::BadPayload,
        ),
        (
            "spec/dns-suffix-254-bytes",
            "A dns_suffix of 254 bytes without its trailing dot (bad_payload).",
            {
                let name = format!(
                    "{}.{}.{}.{}",
                    "a".repeat(63),
                    "b".repeat(63),
                    "c".repeat(63),
                    "d".repeat(62)
                );
                site_text.replace(
                    "\"fingerprint\":{}",
                    &format!("\"fingerprint\":{{\"dns_suffix\":\"{name}\"}}"),
                )
            },
            E::BadPayload,
        ),
        (
            "spec/status-id-control-character",
            "A product with a U+0085 (a C1 control character) (bad_payload).",
            site_text.replace("\"product\":\"hwf\"", "\"product\":\"hw\\u0085f\""),
            E::BadPayload,
        ),
    ] {
        let lic = raw_site(g, &text);
        g.err(name, d, code, |_, v| v.license = lic);
    }
    for (name, d, text) in [
        ("spec/dns-suffix-253-bytes-and-dot", "A dns_suffix of 253 bytes plus a trailing dot: the dot is not counted (valid).", {
            let name = format!("{}.{}.{}.{}.", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
            site_text.replace("\"fingerprint\":{}", &format!("\"fingerprint\":{{\"dns_suffix\":\"{name}\"}}"))
        }),
        ("spec/site-issued-before-cml", "A site license whose issued_at is before its CML's: accepted (its cml binding already proves the order).", site_text.replace(&(T0 + DAY).to_string(), &(T0 - 30 * DAY).to_string())),
    ] {
        let lic = raw_site(g, &text);
        g.ok(name, d, |_, v| {
            v.license = lic;
            v.dns_name = Some(format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)));
        });
    }
    let mapped = raw_site(
        g,
        &site_text.replace(
            "\"fingerprint\":{}",
            "\"fingerprint\":{\"address\":\"::ffff:10.0.0.0/80\"}",
        ),
    );
    g.err("spec/mapped-network-prefix-80", "fingerprint.address ::ffff:10.0.0.0/80 is the IPv6 network it spells; an IPv4 node is never in it (address_mismatch).", E::AddressMismatch, |_, v| v.license = mapped);
    let long_label = raw_site(
        g,
        &site_text.replace(
            "\"fingerprint\":{}",
            "\"fingerprint\":{\"dns_suffix\":\"acme.example\"}",
        ),
    );
    g.err(
        "spec/node-name-label-64-bytes",
        "A node DNS name with a 64-byte label is no DNS name and matches no suffix (dns_mismatch).",
        E::DnsMismatch,
        |_, v| {
            v.license = long_label;
            v.dns_name = Some(format!("{}.acme.example", "x".repeat(64)));
        },
    );
    let grace_m0 = {
        let mut p = payload_json(&g.cml);
        p["grace_days"] = json!(0);
        let text = p
            .to_string()
            .replace("\"grace_days\":0", "\"grace_days\":-0");
        let cml = raw::sign_parts(
            &g.k.root_prod,
            raw::header(DocKind::Cml, PROD).as_bytes(),
            text.as_bytes(),
        );
        let site = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
        license_file(&cml, &site).into_bytes()
    };
    g.ok("spec/grace-days-minus-zero", "grace_days written -0 is the integer 0 (in grace there is none: expired right after expiry).", |_, v| {
        v.license = grace_m0;
        v.now = SITE_EXP;
        v.intent = Err((E::Expired, "validate"));
    });
    let (c, st) = (f.cml.clone(), f.site.clone());
    g.ok("spec/format-not-a-string", "The informative format member with a non-string value is ignored like any unknown member (valid).", |g, v| v.license = wrapper(g, &c, &st, ",\"format\":5"));
    g.err(
        "spec/format-twice",
        "The format member twice: top-level names are unique (malformed).",
        E::Malformed,
        |g, v| v.license = wrapper(g, &c, &st, ",\"format\":\"a\",\"format\":\"a\""),
    );
    g.err(
        "spec/vt-between-tokens",
        "A vertical tab (0x0B) between tokens is not JSON whitespace (malformed).",
        E::Malformed,
        |_, v| v.license = format!("{{\"cml\":\"{c}\",\u{b}\"site\":\"{st}\"}}").into_bytes(),
    );
    g.err("spec/ff-raw-inside-jws", "A raw form feed (0x0C) inside a JWS string is a control character in a JSON string (malformed).", E::Malformed, |_, v| v.license = format!("{{\"cml\":\"{}\u{c}{}\",\"site\":\"{st}\"}}", &c[..10], &c[10..]).into_bytes());
    g.ok("spec/escaped-whitespace-inside-jws", "Escaped \\n, \\t, \\f and \\u0020 inside the JWS strings are ASCII whitespace after decoding, and removed (valid).", |_, v| v.license = format!("{{\"cml\":\"{}\\n\\t{}\\f\\u0020{}\",\"site\":\"{st}\"}}", &c[..10], &c[10..20], &c[20..]).into_bytes());
    g.ok(
        "spec/escaped-dot-inside-jws",
        "A JWS string's dots written \\u002e decode to dots (valid).",
        |_, v| {
            v.license = format!(
                "{{\"cml\":\"{}\",\"site\":\"{st}\"}}",
                c.replace('.', "\\u002e")
            )
            .into_bytes()
        },
    );
    g.err("spec/now-checked-before-size", "now out of range and the input over the size limit: now is checked first (invalid_argument).", E::InvalidArgument, |_, v| {
        v.license = vec![b' '; MAX_LICENSE_BYTES + 1];
        v.now = -1;
    });
    let spaced_list = {
        let l = g.rl(1, NOW - 60, &[]);
        format!("{} {}", &l[..5], &l[5..])
    };
    let mut v = g.base("spec/whitespace-inside-standalone-jws", "A space inside the header segment of a standalone JWS (a revocation list) is not base64url (bad_encoding).");
    v.revocation_lists = vec![spaced_list];
    v.intent = Err((E::BadEncoding, "revocation_list"));
    g.push(v);
}

fn build(g: &mut Gen) {
    use ErrorCode as E;
    let cml = g.cml.clone();

    // ---- valid ----
    g.ok(
        "valid/basic",
        "A prod chain with no fingerprint, validated well within its term.",
        |_, _| {},
    );
    g.ok(
        "valid/all-fingerprint-fields",
        "Address CIDR, DNS suffix and deployment tag all match the node.",
        |g, v| {
            v.license = g.site_lic(|s| {
                s.fingerprint = Fingerprint {
                    address: Some("10.20.0.0/16".into()),
                    dns_suffix: Some("acme.example".into()),
                    deployment_tag: Some("blue".into()),
                }
            });
        },
    );
    g.ok(
        "valid/no-features",
        "A site license with an empty feature list.",
        |g, v| {
            v.license = g.site_lic(|s| s.features.clear());
        },
    );
    g.ok(
        "valid/no-node-facts",
        "A license without fingerprint needs no node facts at all.",
        |_, v| {
            v.addresses.clear();
            v.dns_name = None;
            v.deployment_tag = None;
        },
    );
    g.ok(
        "valid/cml-expiry-first",
        "The CML expires before the site license: the effective expiry is the CML's.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.valid_until = T0 + 100 * DAY;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
        },
    );
    g.ok(
        "valid/expires-soon",
        "Seven days before expiry the verdict is valid with an expires_soon warning.",
        |_, v| {
            v.now = SITE_EXP - 7 * DAY;
        },
    );
    g.ok(
        "valid/dev-chain-dev-validator",
        "A dev CML signed by the dev root, on a dev validator.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.key_type = Environment::Dev;
            let cml = sign_cml_as(&g.k.root_dev, DEV, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
            v.environment = Environment::Dev;
        },
    );
    g.ok(
        "valid/dev-chain-prod-validator-opt-in",
        "A prod validator that explicitly accepts the other environment takes a dev chain.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.key_type = Environment::Dev;
            let cml = sign_cml_as(&g.k.root_dev, DEV, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
            v.accept_other = true;
        },
    );
    g.ok(
        "valid/zero-grace",
        "A CML with grace_days 0 is valid one second before expiry.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.grace_days = 0;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
            v.now = SITE_EXP - 1;
        },
    );
    g.ok(
        "valid/year-9999",
        "Expiry at 9999-12-31T23:59:59Z: the grace end is clamped, nothing overflows.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.valid_until = MAX_TIME;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            let mut s = base_site(&cml);
            s.expires_at = MAX_TIME;
            let s = issue::sign_site(&g.k.org, &s).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
        },
    );
    g.ok("valid/now-max-time-in-grace", "One second before the largest accepted time, inside the grace period clamped to 9999-12-31T23:59:59Z.", |g, v| {
        let mut c = base_cml(&g.k);
        c.valid_until = MAX_TIME - DAY;
        let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
        let mut s = base_site(&cml);
        s.expires_at = MAX_TIME - DAY;
        let s = issue::sign_site(&g.k.org, &s).unwrap();
        v.license = license_file(&cml, &s).into_bytes();
        v.now = MAX_TIME - 1;
        v.intent = Ok("grace");
    });

    // ---- transport: what the file survives ----
    let clean = String::from_utf8(g.base("x", "x").license).unwrap();
    let transports: Vec<(&str, &str, String)> = vec![
        (
            "transport/crlf",
            "CRLF line endings, as written by Windows editors.",
            clean.replace('\n', "\r\n"),
        ),
        (
            "transport/cr-only",
            "Old Mac CR line endings.",
            clean.replace('\n', "\r"),
        ),
        (
            "transport/utf8-bom",
            "A UTF-8 byte order mark before the object.",
            format!("\u{feff}{clean}"),
        ),
        (
            "transport/reindented",
            "Re-indented with tabs and extra spaces.",
            clean.replace("  ", "\t \t"),
        ),
        (
            "transport/minified",
            "All whitespace between members removed.",
            clean
                .replace("\n", "")
                .replace("  ", "")
                .replace("\": \"", "\":\""),
        ),
        (
            "transport/surrounding-whitespace",
            "Blank lines and spaces around the object, no trailing newline.",
            format!("\n\n   {}   ", clean.trim()),
        ),
        (
            "transport/no-trailing-newline",
            "The trailing newline removed.",
            clean.trim_end().to_string(),
        ),
        (
            "transport/wrapped-jws",
            "A mail client wrapped the JWS strings every 76 characters with CRLF.",
            {
                let f = file_of(clean.as_bytes());
                let wrap = |s: &str| {
                    s.as_bytes()
                        .chunks(76)
                        .map(|c| std::str::from_utf8(c).unwrap())
                        .collect::<Vec<_>>()
                        .join("\r\n")
                };
                format!(
                    "{{\r\n\"cml\": \"{}\",\r\n\"site\": \"{}\"\r\n}}\r\n",
                    wrap(&f.cml),
                    wrap(&f.site)
                )
            },
        ),
        (
            "transport/members-reordered",
            "site before cml, no format member.",
            {
                let f = file_of(clean.as_bytes());
                format!("{{\"site\":\"{}\",\"cml\":\"{}\"}}", f.site, f.cml)
            },
        ),
        (
            "transport/extra-member",
            "An unknown unsigned member (a note) cannot change the verdict.",
            {
                let f = file_of(clean.as_bytes());
                format!("{{\"note\":\"forwarded by ops; features: everything\",\"cml\":\"{}\",\"site\":\"{}\"}}", f.cml, f.site)
            },
        ),
        (
            "transport/max-size",
            "A valid file padded with spaces to exactly the 65536-byte limit.",
            {
                let mut s = clean.clone();
                while s.len() < MAX_LICENSE_BYTES {
                    s.push(' ');
                }
                s
            },
        ),
    ];
    for (name, d, text) in transports {
        g.ok(name, d, |_, v| v.license = text.into_bytes());
    }

    // ---- input shape ----
    let inputs: Vec<(&str, &str, Vec<u8>, ErrorCode)> = vec![
        ("input/empty", "Zero bytes.", vec![], E::Malformed),
        (
            "input/not-json",
            "Plain text.",
            b"this is not a license".to_vec(),
            E::Malformed,
        ),
        (
            "input/json-array",
            "A JSON array instead of an object.",
            b"[\"a\",\"b\"]".to_vec(),
            E::Malformed,
        ),
        (
            "input/json-null",
            "JSON null.",
            b"null".to_vec(),
            E::Malformed,
        ),
        (
            "input/missing-site",
            "Only the cml member.",
            format!("{{\"cml\":\"{cml}\"}}").into_bytes(),
            E::Malformed,
        ),
        (
            "input/site-not-string",
            "site is a number.",
            format!("{{\"cml\":\"{cml}\",\"site\":42}}").into_bytes(),
            E::Malformed,
        ),
        (
            "input/duplicate-member",
            "cml appears twice: ambiguous, rejected.",
            {
                let f = file_of(clean.as_bytes());
                format!(
                    "{{\"cml\":\"{}\",\"site\":\"{}\",\"cml\":\"{}\"}}",
                    f.cml, f.site, f.cml
                )
                .into_bytes()
            },
            E::Malformed,
        ),
        (
            "input/truncated",
            "The file cut in half.",
            clean.as_bytes()[..clean.len() / 2].to_vec(),
            E::Malformed,
        ),
        (
            "input/truncated-last-byte",
            "The closing brace missing.",
            clean.trim_end().trim_end_matches('}').as_bytes().to_vec(),
            E::Malformed,
        ),
        (
            "input/trailing-garbage",
            "A second value after the object.",
            format!("{} {{}}", clean.trim()).into_bytes(),
            E::Malformed,
        ),
        (
            "input/binary",
            "Random non-UTF-8 bytes.",
            (0u16..512)
                .map(|i| (i.wrapping_mul(151) % 256) as u8)
                .collect(),
            E::Malformed,
        ),
        ("input/nul-bytes", "NUL bytes.", vec![0u8; 64], E::Malformed),
        (
            "input/deep-nesting",
            "Nesting 10000 arrays deep: refused without recursion overflow.",
            "[".repeat(10_000).into_bytes(),
            E::Malformed,
        ),
        (
            "input/oversized",
            "One byte over the 65536-byte limit.",
            {
                let mut s = clean.clone();
                while s.len() <= MAX_LICENSE_BYTES {
                    s.push(' ');
                }
                s.into_bytes()
            },
            E::TooLarge,
        ),
        (
            "input/oversized-256kib",
            "256 KiB of data.",
            vec![b'{'; 256 << 10],
            E::TooLarge,
        ),
        (
            "input/empty-strings",
            "cml and site are empty strings.",
            b"{\"cml\":\"\",\"site\":\"\"}".to_vec(),
            E::BadJws,
        ),
        (
            "input/two-segments",
            "The CML has two segments.",
            {
                let f = file_of(clean.as_bytes());
                let two: Vec<&str> = f.cml.split('.').take(2).collect();
                license_file(&two.join("."), &f.site).into_bytes()
            },
            E::BadJws,
        ),
        (
            "input/four-segments",
            "The CML has a fourth segment.",
            {
                let f = file_of(clean.as_bytes());
                license_file(&format!("{}.AAAA", f.cml), &f.site).into_bytes()
            },
            E::BadJws,
        ),
        (
            "input/padded-base64",
            "The CML signature carries base64 padding.",
            {
                let f = file_of(clean.as_bytes());
                license_file(&format!("{}==", f.cml), &f.site).into_bytes()
            },
            E::BadEncoding,
        ),
        (
            "input/standard-base64-alphabet",
            "A '+' from the standard alphabet in the CML header.",
            {
                let f = file_of(clean.as_bytes());
                license_file(&format!("+{}", &f.cml[1..]), &f.site).into_bytes()
            },
            E::BadEncoding,
        ),
        (
            "input/short-signature",
            "The site signature is 63 bytes.",
            {
                let f = file_of(clean.as_bytes());
                let p: Vec<&str> = f.site.split('.').collect();
                let mut sig = decode_b64(p[2]);
                sig.pop();
                license_file(&f.cml, &format!("{}.{}.{}", p[0], p[1], b64(&sig))).into_bytes()
            },
            E::BadJws,
        ),
    ];
    for (name, d, bytes, code) in inputs {
        g.err(name, d, code, |_, v| v.license = bytes);
    }

    // ---- chain ----
    let f = file_of(clean.as_bytes());
    g.err(
        "chain/unknown-kid",
        "The CML names a root kid the validator does not trust.",
        E::UnknownKeyId,
        |g, v| {
            let c = sign_cml_as(&g.k.root_rogue, "root-prod-9", &base_cml(&g.k));
            let s = issue::sign_site(&g.k.org, &base_site(&c)).unwrap();
            v.license = license_file(&c, &s).into_bytes();
        },
    );
    g.err(
        "chain/rogue-root-known-kid",
        "A CML signed by a rogue key claiming the trusted prod kid.",
        E::BadSignature,
        |g, v| {
            let c = sign_cml_as(&g.k.root_rogue, PROD, &base_cml(&g.k));
            let s = issue::sign_site(&g.k.org, &base_site(&c)).unwrap();
            v.license = license_file(&c, &s).into_bytes();
        },
    );
    g.err(
        "chain/root-not-trusted-by-validator",
        "The dev root signed the CML but this validator trusts only the prod root.",
        E::UnknownKeyId,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.key_type = Environment::Dev;
            let cml = sign_cml_as(&g.k.root_dev, DEV, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
            v.roots = vec![PROD];
        },
    );
    g.err(
        "chain/dev-cml-prod-validator",
        "A dev chain on a prod validator without opt-in.",
        E::EnvironmentMismatch,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.key_type = Environment::Dev;
            let cml = sign_cml_as(&g.k.root_dev, DEV, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
        },
    );
    g.err(
        "chain/prod-cml-dev-validator",
        "A prod chain on a dev validator without opt-in.",
        E::EnvironmentMismatch,
        |_, v| {
            v.environment = Environment::Dev;
        },
    );
    g.err(
        "chain/dev-root-signs-prod-cml",
        "The dev root key signed a CML whose key_type is prod.",
        E::EnvironmentMismatch,
        |g, v| {
            let cml = sign_cml_as(&g.k.root_dev, DEV, &base_cml(&g.k));
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
            v.environment = Environment::Dev;
        },
    );
    g.err(
        "chain/grafted-site",
        "A site license bound to a refreshed CML (same org key) presented with the original CML.",
        E::ParentMismatch,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.license_id = "cml-acme-2026-refresh".into();
            let refreshed = sign_cml_as(&g.k.root_prod, PROD, &c);
            let s = issue::sign_site(&g.k.org, &base_site(&refreshed)).unwrap();
            v.license = license_file(&g.cml, &s).into_bytes();
        },
    );
    g.err(
        "chain/site-from-other-org",
        "A site license signed by another org's key under this CML.",
        E::SignerMismatch,
        |g, v| {
            let s = issue::sign_site(&g.k.org_b, &base_site(&g.cml)).unwrap();
            v.license = license_file(&g.cml, &s).into_bytes();
        },
    );
    g.err(
        "chain/site-forged-kid",
        "A site license signed by another key but announcing the org key's kid.",
        E::BadSignature,
        |g, v| {
            let h = raw::header(DocKind::Site, g.k.org.public_key().thumbprint());
            let s = raw::sign_parts(&g.k.org_b, h.as_bytes(), site_payload_text(g).as_bytes());
            v.license = license_file(&g.cml, &s).into_bytes();
        },
    );
    g.err(
        "chain/org-mismatch",
        "The site license names another org id.",
        E::OrgMismatch,
        |g, v| {
            v.license = g.site_lic(|s| s.org_id = "globex".into());
        },
    );
    g.err(
        "chain/feature-superset",
        "The site license enables a feature outside the CML's feature packs.",
        E::FeatureNotInCml,
        |g, v| {
            v.license = g.site_lic(|s| s.features.push("enterprise".into()));
        },
    );
    g.err(
        "chain/typ-swapped-cml-as-site",
        "The CML is presented where the site license belongs.",
        E::WrongDocumentType,
        |_, v| {
            v.license = license_file(&f.cml, &f.cml).into_bytes();
        },
    );
    g.err(
        "chain/typ-swapped-site-as-cml",
        "The site license is presented where the CML belongs.",
        E::WrongDocumentType,
        |_, v| {
            v.license = license_file(&f.site, &f.site).into_bytes();
        },
    );
    g.err("chain/typ-relabelled", "A site license re-signed with the CML typ by the org key: the payload type still says site.", E::UnknownKeyId, |g, v| {
        let h = raw::header(DocKind::Cml, g.k.org.public_key().thumbprint());
        let s = raw::sign_parts(&g.k.org, h.as_bytes(), site_payload_text(g).as_bytes());
        v.license = license_file(&s, &f.site).into_bytes();
    });
    g.err(
        "chain/payload-type-mismatch",
        "The header says site but the signed payload's type says cml.",
        E::WrongDocumentType,
        |g, v| {
            v.license = raw_site(
                g,
                &site_payload_text(g).replace("\"type\":\"site\"", "\"type\":\"cml\""),
            );
        },
    );
    for (alg, name) in [
        ("ES384", "es384"),
        ("none", "none"),
        ("HS256", "hs256"),
        ("RS256", "rs256"),
        ("es256", "lowercase-es256"),
    ] {
        g.err(
            &format!("chain/alg-{name}"),
            &format!("The CML header says alg {alg}."),
            E::UnsupportedAlgorithm,
            |g, v| {
                let h = format!(r#"{{"alg":"{alg}","typ":"hwf-cml+jws","kid":"{PROD}"}}"#);
                let p = serde_json::to_string(&payload_json(&g.cml)).unwrap();
                let c = raw::sign_parts(&g.k.root_prod, h.as_bytes(), p.as_bytes());
                v.license = license_file(&c, &f.site).into_bytes();
            },
        );
    }
    g.err(
        "chain/header-extra-member",
        "The CML header carries an embedded jwk: only alg, typ, kid are allowed.",
        E::BadJws,
        |g, v| {
            let jwk = serde_json::to_string(&g.k.root_rogue.public_key().to_jwk()).unwrap();
            let h = format!(r#"{{"alg":"ES256","typ":"hwf-cml+jws","kid":"{PROD}","jwk":{jwk}}}"#);
            let p = serde_json::to_string(&payload_json(&g.cml)).unwrap();
            v.license = license_file(
                &raw::sign_parts(&g.k.root_rogue, h.as_bytes(), p.as_bytes()),
                &f.site,
            )
            .into_bytes();
        },
    );
    g.err(
        "chain/header-no-kid",
        "The CML header has no kid.",
        E::BadJws,
        |g, v| {
            let h = r#"{"alg":"ES256","typ":"hwf-cml+jws"}"#;
            let p = serde_json::to_string(&payload_json(&g.cml)).unwrap();
            v.license = license_file(
                &raw::sign_parts(&g.k.root_prod, h.as_bytes(), p.as_bytes()),
                &f.site,
            )
            .into_bytes();
        },
    );
    g.err(
        "chain/cml-payload-edited",
        "max_sites raised in the CML payload, signature kept.",
        E::BadSignature,
        |_, v| {
            let c = edit_payload_keep_sig(&f.cml, |p| {
                p.replace("\"max_sites\":25", "\"max_sites\":9999")
            });
            v.license = license_file(&c, &f.site).into_bytes();
        },
    );
    g.err(
        "chain/site-payload-edited",
        "A feature added in the site payload, signature kept.",
        E::BadSignature,
        |_, v| {
            let s = edit_payload_keep_sig(&f.site, |p| {
                p.replace("\"reports\"]", "\"reports\",\"boost\"]")
            });
            v.license = license_file(&f.cml, &s).into_bytes();
        },
    );
    g.err(
        "chain/cml-signature-bit-flip",
        "One bit of the CML signature flipped.",
        E::BadSignature,
        |_, v| {
            let p: Vec<&str> = f.cml.split('.').collect();
            let mut sig = decode_b64(p[2]);
            sig[10] ^= 1;
            v.license =
                license_file(&format!("{}.{}.{}", p[0], p[1], b64(&sig)), &f.site).into_bytes();
        },
    );
    g.err(
        "chain/site-signature-zero",
        "The site signature is all zeros (r = s = 0).",
        E::BadSignature,
        |_, v| {
            let p: Vec<&str> = f.site.split('.').collect();
            v.license = license_file(&f.cml, &format!("{}.{}.{}", p[0], p[1], b64(&[0u8; 64])))
                .into_bytes();
        },
    );

    // ---- payload strictness ----
    let site_text = site_payload_text(g);
    let strict: Vec<(&str, &str, String, ErrorCode)> = vec![
        (
            "payload/unknown-member",
            "The signed site payload has an extra member.",
            site_text.replacen('{', "{\"admin\":true,", 1),
            E::BadPayload,
        ),
        (
            "payload/duplicate-member",
            "The signed site payload names site_id twice.",
            site_text.replacen('{', "{\"site_id\":\"other\",", 1),
            E::BadPayload,
        ),
        (
            "payload/trailing-data",
            "Data after the signed JSON object.",
            format!("{site_text}{{}}"),
            E::BadPayload,
        ),
        (
            "payload/wrong-type",
            "expires_at is a string.",
            site_text.replace(
                &format!("\"expires_at\":{SITE_EXP}"),
                &format!("\"expires_at\":\"{SITE_EXP}\""),
            ),
            E::BadPayload,
        ),
        (
            "payload/missing-member",
            "The product member is missing.",
            site_text.replace("\"product\":\"hwf\",", ""),
            E::BadPayload,
        ),
        (
            "payload/version-2",
            "Format version 2.",
            site_text.replace("\"v\":1", "\"v\":2"),
            E::UnsupportedVersion,
        ),
        (
            "payload/expiry-beyond-9999",
            "expires_at after 9999-12-31.",
            site_text.replace(&SITE_EXP.to_string(), &(MAX_TIME + 1).to_string()),
            E::BadPayload,
        ),
        (
            "payload/expiry-i64-max",
            "expires_at is i64::MAX.",
            site_text.replace(&SITE_EXP.to_string(), &i64::MAX.to_string()),
            E::BadPayload,
        ),
        (
            "payload/expiry-negative",
            "expires_at is negative.",
            site_text.replace(&SITE_EXP.to_string(), "-1"),
            E::BadPayload,
        ),
        (
            "payload/expiry-overflow",
            "expires_at does not fit in 64 bits.",
            site_text.replace(&SITE_EXP.to_string(), "99999999999999999999"),
            E::BadPayload,
        ),
        (
            "payload/expiry-float",
            "expires_at is a float.",
            site_text.replace(&SITE_EXP.to_string(), "1782777600.5"),
            E::BadPayload,
        ),
        (
            "payload/expires-before-issued",
            "expires_at before issued_at.",
            site_text.replace(&SITE_EXP.to_string(), &T0.to_string()),
            E::BadPayload,
        ),
        (
            "payload/bad-cidr",
            "fingerprint.address is not an address.",
            site_text.replace(
                "\"fingerprint\":{}",
                "\"fingerprint\":{\"address\":\"10.0.0.0/33\"}",
            ),
            E::BadPayload,
        ),
        (
            "payload/bad-dns-suffix",
            "fingerprint.dns_suffix has an empty label.",
            site_text.replace(
                "\"fingerprint\":{}",
                "\"fingerprint\":{\"dns_suffix\":\"acme..example\"}",
            ),
            E::BadPayload,
        ),
        (
            "payload/duplicate-feature",
            "A feature listed twice.",
            site_text.replace("\"analytics\",\"reports\"", "\"analytics\",\"analytics\""),
            E::BadPayload,
        ),
        (
            "payload/not-json",
            "The signed payload is not JSON.",
            "not json".into(),
            E::BadPayload,
        ),
    ];
    for (name, d, text, code) in strict {
        assert!(
            text != site_text || name == "payload/not-json",
            "{name}: edit did not apply"
        );
        g.err(name, d, code, |g, v| v.license = raw_site(g, &text));
    }
    g.err(
        "payload/cml-bad-org-key",
        "The CML's org key is not a point on P-256.",
        E::BadPayload,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.org_key.x = b64(&[1u8; 32]);
            let p = serde_json::to_value(CmlClaims {
                v: 1,
                doc_type: "cml".into(),
                issued_by: PROD.into(),
                ..c
            })
            .unwrap();
            let cml = raw::sign_parts(
                &g.k.root_prod,
                raw::header(DocKind::Cml, PROD).as_bytes(),
                p.to_string().as_bytes(),
            );
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
        },
    );
    g.err(
        "payload/cml-issued-by-mismatch",
        "The CML's issued_by names another root than the signing kid.",
        E::BadPayload,
        |g, v| {
            let mut p = payload_json(&g.cml);
            p["issued_by"] = json!(DEV);
            let cml = raw::sign_parts(
                &g.k.root_prod,
                raw::header(DocKind::Cml, PROD).as_bytes(),
                p.to_string().as_bytes(),
            );
            let s = issue::sign_site(&g.k.org, &base_site(&cml)).unwrap();
            v.license = license_file(&cml, &s).into_bytes();
        },
    );

    // ---- time ----
    let exp = SITE_EXP;
    let grace_end = SITE_EXP + 30 * DAY;
    for (name, d, now, intent) in [
        (
            "time/expiry-minus-1s",
            "One second before the effective expiry: valid.",
            exp - 1,
            Ok("valid"),
        ),
        (
            "time/expiry-exact",
            "At the effective expiry: grace starts (30 days left).",
            exp,
            Ok("grace"),
        ),
        (
            "time/expiry-plus-1s",
            "One second after expiry: in grace.",
            exp + 1,
            Ok("grace"),
        ),
        (
            "time/grace-middle",
            "Fifteen and a half days into grace: 15 days left, rounded up.",
            exp + 15 * DAY + DAY / 2,
            Ok("grace"),
        ),
        (
            "time/grace-end-minus-1s",
            "One second before the grace end: in grace, 1 day left.",
            grace_end - 1,
            Ok("grace"),
        ),
        (
            "time/grace-end-exact",
            "At the grace end: expired.",
            grace_end,
            Err((E::Expired, "validate")),
        ),
        (
            "time/grace-end-plus-1s",
            "One second after the grace end: expired.",
            grace_end + 1,
            Err((E::Expired, "validate")),
        ),
        (
            "time/far-future",
            "Ten years later: expired.",
            exp + 3650 * DAY,
            Err((E::Expired, "validate")),
        ),
        (
            "time/now-negative",
            "now = -1 is outside the accepted range.",
            -1,
            Err((E::InvalidArgument, "validate")),
        ),
        (
            "time/now-i64-min",
            "now = i64::MIN.",
            i64::MIN,
            Err((E::InvalidArgument, "validate")),
        ),
        (
            "time/now-i64-max",
            "now = i64::MAX.",
            i64::MAX,
            Err((E::InvalidArgument, "validate")),
        ),
        (
            "time/now-year-10000",
            "now one second after 9999-12-31T23:59:59Z.",
            MAX_TIME + 1,
            Err((E::InvalidArgument, "validate")),
        ),
    ] {
        let mut v = g.base(name, d);
        v.now = now;
        v.intent = intent;
        g.push(v);
    }
    for (name, d, delta, intent) in [
        (
            "time/site-issued-future-299s",
            "Site issued 299 s after now: within the 5-minute skew.",
            299,
            Ok("valid"),
        ),
        (
            "time/site-issued-future-300s",
            "Site issued 300 s after now: the skew's edge, still valid.",
            300,
            Ok("valid"),
        ),
        (
            "time/site-issued-future-301s",
            "Site issued 301 s after now: not yet valid.",
            301,
            Err((E::NotYetValid, "validate")),
        ),
    ] {
        let mut v = g.base(name, d);
        v.license = g.site_lic(|s| s.issued_at = NOW + delta);
        v.intent = intent;
        g.push(v);
    }
    g.err(
        "time/cml-issued-future",
        "The CML is issued a day after now.",
        E::NotYetValid,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.issued_at = NOW + DAY;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            let mut s = base_site(&cml);
            s.issued_at = NOW - DAY;
            v.license = license_file(&cml, &issue::sign_site(&g.k.org, &s).unwrap()).into_bytes();
        },
    );
    g.err(
        "time/cml-expired-site-not",
        "The CML expired past its grace while the site license has not.",
        E::Expired,
        |g, v| {
            let mut c = base_cml(&g.k);
            c.valid_until = T0 + 10 * DAY;
            c.grace_days = 5;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            v.license = license_file(&cml, &issue::sign_site(&g.k.org, &base_site(&cml)).unwrap())
                .into_bytes();
        },
    );
    g.ok(
        "time/cml-grace",
        "The CML expired 10 days ago, within its grace: grace verdict.",
        |g, v| {
            let mut c = base_cml(&g.k);
            c.valid_until = NOW - 10 * DAY;
            let cml = sign_cml_as(&g.k.root_prod, PROD, &c);
            v.license = license_file(&cml, &issue::sign_site(&g.k.org, &base_site(&cml)).unwrap())
                .into_bytes();
            v.intent = Ok("grace");
        },
    );
    for (name, d, back, intent) in [
        (
            "time/rollback-299s",
            "now 299 s before the persisted last-seen time: tolerated skew.",
            299,
            Ok("valid"),
        ),
        (
            "time/rollback-300s",
            "now 300 s before last seen: the skew's edge, valid.",
            300,
            Ok("valid"),
        ),
        (
            "time/rollback-301s",
            "now 301 s before last seen: clock rollback.",
            301,
            Err((E::ClockRollback, "validate")),
        ),
        (
            "time/rollback-30-days",
            "now 30 days before last seen: clock rollback.",
            30 * DAY,
            Err((E::ClockRollback, "validate")),
        ),
    ] {
        let mut v = g.base(name, d);
        v.last_seen = Some(NOW + back);
        v.intent = intent;
        g.push(v);
    }

    // ---- fingerprint ----
    let fp_cases: Vec<FpCase> = vec![
        (
            "fingerprint/address-exact",
            "A single licensed address equal to the node's.",
            fp(Some("10.20.30.40"), None, None),
            vec!["10.20.30.40"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/address-other",
            "A single licensed address the node does not have.",
            fp(Some("10.20.30.41"), None, None),
            vec!["10.20.30.40"],
            None,
            None,
            Err(E::AddressMismatch),
        ),
        (
            "fingerprint/cidr-first",
            "The first address of a /24.",
            fp(Some("192.168.7.0/24"), None, None),
            vec!["192.168.7.0"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/cidr-last",
            "The last address of a /24.",
            fp(Some("192.168.7.0/24"), None, None),
            vec!["192.168.7.255"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/cidr-below",
            "One below a /24.",
            fp(Some("192.168.7.0/24"), None, None),
            vec!["192.168.6.255"],
            None,
            None,
            Err(E::AddressMismatch),
        ),
        (
            "fingerprint/cidr-above",
            "One above a /24.",
            fp(Some("192.168.7.0/24"), None, None),
            vec!["192.168.8.0"],
            None,
            None,
            Err(E::AddressMismatch),
        ),
        (
            "fingerprint/cidr-v6",
            "An IPv6 node inside a /48.",
            fp(Some("2001:db8:ac3e::/48"), None, None),
            vec!["2001:db8:ac3e:1::5"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/cidr-v6-outside",
            "An IPv6 node outside a /48.",
            fp(Some("2001:db8:ac3e::/48"), None, None),
            vec!["2001:db8:ac3f::5"],
            None,
            None,
            Err(E::AddressMismatch),
        ),
        (
            "fingerprint/ipv4-mapped-node",
            "A node reporting its address as IPv4-mapped IPv6.",
            fp(Some("10.0.0.0/8"), None, None),
            vec!["::ffff:10.1.2.3"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/one-of-many",
            "The second of three node addresses matches.",
            fp(Some("10.0.0.0/8"), None, None),
            vec!["192.168.1.1", "10.9.9.9", "fe80::1"],
            None,
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/no-address",
            "The license binds an address; the node reports none.",
            fp(Some("10.0.0.0/8"), None, None),
            vec![],
            None,
            None,
            Err(E::AddressMismatch),
        ),
        (
            "fingerprint/dns-exact",
            "The node name equals the suffix.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("acme.example"),
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/dns-subdomain",
            "The node name is within the suffix.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("node1.berlin.acme.example"),
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/dns-label-boundary",
            "evilacme.example is not within acme.example.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("evilacme.example"),
            None,
            Err(E::DnsMismatch),
        ),
        (
            "fingerprint/dns-suffix-appended",
            "acme.example.evil.com is not within acme.example.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("acme.example.evil.com"),
            None,
            Err(E::DnsMismatch),
        ),
        (
            "fingerprint/dns-case",
            "Upper-case node name matches case-insensitively.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("NODE1.ACME.Example"),
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/dns-trailing-dot-node",
            "A fully qualified node name with a trailing dot.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("node1.acme.example."),
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/dns-trailing-dot-license",
            "A licensed suffix with a trailing dot.",
            fp(None, Some("acme.example."), None),
            vec![],
            Some("node1.acme.example"),
            None,
            Ok("valid"),
        ),
        (
            "fingerprint/dns-empty-label",
            "A node name with an empty label never matches.",
            fp(None, Some("acme.example"), None),
            vec![],
            Some("node1..acme.example"),
            None,
            Err(E::DnsMismatch),
        ),
        (
            "fingerprint/dns-missing",
            "The license binds a suffix; the node has no name.",
            fp(None, Some("acme.example"), None),
            vec![],
            None,
            None,
            Err(E::DnsMismatch),
        ),
        (
            "fingerprint/tag-exact",
            "The deployment tag matches.",
            fp(None, None, Some("blue")),
            vec![],
            None,
            Some("blue"),
            Ok("valid"),
        ),
        (
            "fingerprint/tag-case",
            "Deployment tags are case-sensitive.",
            fp(None, None, Some("blue")),
            vec![],
            None,
            Some("Blue"),
            Err(E::DeploymentTagMismatch),
        ),
        (
            "fingerprint/tag-missing",
            "The license binds a tag; the node has none.",
            fp(None, None, Some("blue")),
            vec![],
            None,
            None,
            Err(E::DeploymentTagMismatch),
        ),
        (
            "fingerprint/first-mismatch-named",
            "Address and tag both mismatch: the address is reported.",
            fp(Some("10.0.0.0/8"), None, Some("blue")),
            vec!["11.0.0.1"],
            None,
            Some("green"),
            Err(E::AddressMismatch),
        ),
    ];
    for (name, d, fingerprint, addrs, dns, tag, intent) in fp_cases {
        let mut v = g.base(name, d);
        v.license = g.site_lic(|s| s.fingerprint = fingerprint);
        v.addresses = addrs.into_iter().map(String::from).collect();
        v.dns_name = dns.map(String::from);
        v.deployment_tag = tag.map(String::from);
        v.intent = intent.map_err(|c| (c, "validate"));
        g.push(v);
    }

    // ---- revocation ----
    let rl1 = g.rl(1, T0 + 2 * DAY, &["site-lic-0001"]);
    let rl1_other = g.rl(1, T0 + 2 * DAY, &["site-lic-0099"]);
    let rl2_other = g.rl(2, T0 + 3 * DAY, &["site-lic-0099"]);
    let rl2_revoke = g.rl(2, T0 + 3 * DAY, &["site-lic-0099", "site-lic-0001"]);
    g.err(
        "revocation/revoked",
        "The site license id is on the revocation list.",
        E::Revoked,
        |_, v| {
            v.revocation_lists = vec![rl1.clone()];
        },
    );
    g.ok(
        "revocation/other-site-revoked",
        "Another site is revoked; this one stays valid.",
        |_, v| {
            v.revocation_lists = vec![rl1_other.clone()];
        },
    );
    g.err(
        "revocation/revoked-in-newer-list",
        "Sequence 1 revokes another site, sequence 2 adds this one.",
        E::Revoked,
        |_, v| {
            v.revocation_lists = vec![rl1_other.clone(), rl2_revoke.clone()];
        },
    );
    g.ok(
        "revocation/same-list-twice",
        "Applying the same list twice is idempotent.",
        |_, v| {
            v.revocation_lists = vec![rl1_other.clone(), rl1_other.clone()];
        },
    );
    let mut stale = g.base(
        "revocation/stale",
        "Sequence 2 then sequence 1: the older list is rejected.",
    );
    stale.revocation_lists = vec![rl2_other.clone(), rl1.clone()];
    stale.intent = Err((E::RevocationListStale, "revocation_list"));
    g.push(stale);
    let mut equiv = g.base(
        "revocation/same-seq-different-content",
        "Two different lists under sequence 1.",
    );
    equiv.revocation_lists = vec![rl1_other.clone(), rl1.clone()];
    equiv.intent = Err((E::RevocationListStale, "revocation_list"));
    g.push(equiv);
    let rl_foreign = issue::sign_revocation_list(
        &g.k.org_b,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: document_id(&g.cml).unwrap(),
            seq: 5,
            issued_at: T0 + 2 * DAY,
            revoked: vec![],
            ..Default::default()
        },
    )
    .unwrap();
    let rl_other_cml = issue::sign_revocation_list(
        &g.k.org,
        &RevocationListClaims {
            org_id: "acme".into(),
            cml: "ab".repeat(32),
            seq: 5,
            issued_at: T0 + 2 * DAY,
            revoked: vec![],
            ..Default::default()
        },
    )
    .unwrap();
    let rl_future = g.rl(3, NOW + DAY, &[]);
    let rl_tampered = edit_payload_keep_sig(&rl1, |p| p.replace("site-lic-0001", "site-lic-0002"));
    for (name, d, list, code) in [
        (
            "revocation/foreign-signer",
            "A list signed by another org key.",
            rl_foreign,
            E::SignerMismatch,
        ),
        (
            "revocation/other-cml",
            "A list bound to another CML.",
            rl_other_cml,
            E::BindingMismatch,
        ),
        (
            "revocation/issued-future",
            "A list issued a day after now.",
            rl_future,
            E::NotYetValid,
        ),
        (
            "revocation/tampered",
            "A revoked id edited in the list, signature kept.",
            rl_tampered,
            E::BadSignature,
        ),
        (
            "revocation/site-as-list",
            "A site license offered as a revocation list.",
            f.site.clone(),
            E::WrongDocumentType,
        ),
        (
            "revocation/garbage",
            "Not a JWS at all.",
            "revoked: everything".to_string(),
            E::BadJws,
        ),
    ] {
        let mut v = g.base(name, d);
        v.revocation_lists = vec![list];
        v.intent = Err((code, "revocation_list"));
        g.push(v);
    }
}

/// name, description, fingerprint, node addresses, DNS name, tag, intended outcome.
type FpCase = (
    &'static str,
    &'static str,
    Fingerprint,
    Vec<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Result<&'static str, ErrorCode>,
);

fn fp(a: Option<&str>, d: Option<&str>, t: Option<&str>) -> Fingerprint {
    Fingerprint {
        address: a.map(String::from),
        dns_suffix: d.map(String::from),
        deployment_tag: t.map(String::from),
    }
}

fn root_of(k: &Keys, kid: &str) -> TrustedRoot {
    match kid {
        PROD => TrustedRoot::new(PROD, Environment::Prod, k.root_prod.public_key().clone()),
        DEV => TrustedRoot::new(DEV, Environment::Dev, k.root_dev.public_key().clone()),
        _ => unreachable!(),
    }
}

/// Runs a vector through core: the outcome as JSON (`{"ok":…}` or `{"error":…}`).
fn run(k: &Keys, v: &V) -> Value {
    let mut val = Validator::new(
        v.environment,
        v.roots.iter().map(|r| root_of(k, r)).collect(),
    );
    val.accept_other_environment(v.accept_other);
    if let Some(t) = v.last_seen {
        val.set_last_seen(t).unwrap();
    }
    for rl in &v.revocation_lists {
        if let Err(e) = val.apply_revocation_list_at(&v.license, rl, v.now) {
            return json!({"error": {"code": e.code().code(), "name": e.code().name(), "step": "revocation_list"}});
        }
    }
    let facts = NodeFacts::from_strs(
        v.addresses.iter().map(String::as_str),
        v.dns_name.as_deref(),
        v.deployment_tag.as_deref(),
    )
    .unwrap();
    let first = val.validate_at(&v.license, &facts, v.now);
    let second = val.validate_at(&v.license, &facts, v.now);
    assert_eq!(first, second, "{}: cached validation differs", v.name);
    match first {
        Ok(d) => json!({ "ok": verdict_fields(&d) }),
        Err(e) => {
            json!({"error": {"code": e.code().code(), "name": e.code().name(), "step": "validate"}})
        }
    }
}

/// A verdict as the vectors list it (testdata/vectors/FORMAT.md): every member a binding
/// compares.
pub(crate) fn verdict_fields(d: &Verdict) -> Value {
    json!({
        "status": d.status.as_str(),
        "site_id": d.site_id,
        "org_id": d.org_id,
        "license_id": d.license_id,
        "product": d.product,
        "tier": d.tier,
        "environment": d.environment.as_str(),
        "features": d.features,
        "expires_at": d.expires_at,
        "grace_end": d.grace_end,
        "grace_days_left": d.grace_days_left,
        "warnings": d.warnings.iter().map(|w| w.name()).collect::<Vec<_>>(),
        "cml_id": d.cml_id,
        "cml_license_id": d.cml_license_id,
        "site_document_id": d.site_document_id,
        "issued_at": d.issued_at,
        "site_expires_at": d.site_expires_at,
        "cml_valid_until": d.cml_valid_until,
        "max_sites": d.max_sites,
        "feature_packs": d.feature_packs,
        "max_offline_days": d.max_offline_days,
        "fingerprint": {"address": d.fingerprint.address, "dns_suffix": d.fingerprint.dns_suffix,
            "deployment_tag": d.fingerprint.deployment_tag},
    })
}

/// Vectors of the other operations: manifests, ledgers, heartbeats and root keys.
fn documents(g: &Gen) -> Vec<Value> {
    let k = &g.k;
    let roots = vec![root_of(k, PROD), root_of(k, DEV)];
    let cml = verify_cml(&roots, EnvironmentPolicy::only(Environment::Prod), &g.cml).unwrap();
    let mut out = vec![];
    let err = |e: &Error| json!({"error": {"code": e.code().code(), "name": e.code().name()}});

    // Manifests.
    let manifest = |f: &dyn Fn(&mut ManifestClaims)| {
        let mut m = ManifestClaims {
            org_id: "acme".into(),
            cml: cml.id.clone(),
            period: "2026-01".into(),
            generated_at: T0 + 31 * DAY,
            stats: ManifestStats {
                admin_users: 1,
                total_users: 4,
                sites_by_product_tier: vec![
                    ProductTierCount {
                        product: "hwf".into(),
                        tier: "active".into(),
                        count: 2,
                    },
                    ProductTierCount {
                        product: "boost".into(),
                        tier: "basic".into(),
                        count: 1,
                    },
                ],
                total_active_sites: 3,
            },
            sites: ["hwf/active", "hwf/active", "boost/basic", "hwf/basic"]
                .iter()
                .enumerate()
                .map(|(i, pt)| {
                    let (p, t) = pt.split_once('/').unwrap();
                    ManifestSite {
                        site_id: format!("site-{i}"),
                        product: p.into(),
                        tier: t.into(),
                        issued_at: T0 + DAY,
                        last_seen: if i == 1 { None } else { Some(T0 + 20 * DAY) },
                        status: if i == 3 { "revoked" } else { "active" }.into(),
                    }
                })
                .collect(),
            ledger_head: "ab".repeat(32),
            ledger_length: 42,
            ..Default::default()
        };
        f(&mut m);
        m
    };
    let good = issue::sign_manifest(&k.org, &manifest(&|_| {})).unwrap();
    let raw_manifest = |key: &SigningKey, m: &ManifestClaims| {
        let mut m = m.clone();
        m.v = 1;
        m.doc_type = "manifest".into();
        raw::sign_parts(
            key,
            raw::header(DocKind::Manifest, key.public_key().thumbprint()).as_bytes(),
            serde_json::to_string(&m).unwrap().as_bytes(),
        )
    };
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "manifest/valid",
            "A consistent manifest signed by the org key.",
            good.clone(),
        ),
        (
            "manifest/tampered",
            "total_users edited after signing.",
            edit_payload_keep_sig(&good, |p| {
                p.replace("\"total_users\":4", "\"total_users\":5")
            }),
        ),
        (
            "manifest/other-org-key",
            "Signed by another org's key.",
            raw_manifest(&k.org_b, &manifest(&|_| {})),
        ),
        (
            "manifest/other-org-id",
            "Signed by this org's key but naming another org.",
            raw_manifest(&k.org, &manifest(&|m| m.org_id = "globex".into())),
        ),
        (
            "manifest/other-cml",
            "Bound to another CML.",
            raw_manifest(&k.org, &manifest(&|m| m.cml = "cd".repeat(32))),
        ),
        (
            "manifest/totals-do-not-add-up",
            "total_active_sites differs from the active sites listed.",
            raw_manifest(&k.org, &manifest(&|m| m.stats.total_active_sites = 4)),
        ),
        (
            "manifest/bad-period",
            "period 2026-13.",
            raw_manifest(&k.org, &manifest(&|m| m.period = "2026-13".into())),
        ),
        (
            "manifest/site-license-instead",
            "A site license presented as a manifest.",
            file_of(&g.base("x", "x").license).site,
        ),
    ];
    for (name, d, doc) in cases {
        let expect = match verify_manifest(&cml, &doc) {
            Ok(m) => {
                json!({"ok": {"id": m.id, "org_id": m.claims.org_id, "period": m.claims.period,
                "total_active_sites": m.claims.stats.total_active_sites, "sites": m.claims.sites.len()}})
            }
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "verify_manifest", "cml": g.cml, "document": doc, "expect": expect}));
    }

    // Ledgers.
    let mut prev = GENESIS_PREV.to_string();
    let entries: Vec<String> = (0..5u64)
        .map(|seq| {
            let e = issue::sign_ledger_entry(
                &k.org,
                &LedgerEntryClaims {
                    org_id: "acme".into(),
                    cml: cml.id.clone(),
                    seq,
                    prev: prev.clone(),
                    at: T0 + seq as i64 * 3600,
                    event: if seq == 0 {
                        LedgerEvent::CmlInstalled
                    } else {
                        LedgerEvent::SiteCreated
                    },
                    site_id: (seq > 0).then(|| format!("site-{seq}")),
                    detail: None,
                    ..Default::default()
                },
            )
            .unwrap();
            prev = document_id(&e).unwrap();
            e
        })
        .collect();
    let mut edited = entries.clone();
    edited[3] = edit_payload_keep_sig(&edited[3], |p| p.replace("site-3", "site-9"));
    let mut dropped = entries.clone();
    dropped.remove(2);
    let mut swapped = entries.clone();
    swapped.swap(1, 2);
    let ledgers: Vec<(&str, &str, Vec<String>)> = vec![
        ("ledger/valid", "Five chained entries.", entries.clone()),
        (
            "ledger/empty",
            "An empty ledger: length 0, genesis head.",
            vec![],
        ),
        (
            "ledger/edited-entry",
            "Entry 3 edited after signing: named as the broken entry.",
            edited,
        ),
        (
            "ledger/dropped-entry",
            "Entry 2 removed: entry 2 (formerly 3) no longer chains.",
            dropped,
        ),
        (
            "ledger/swapped-entries",
            "Entries 1 and 2 swapped.",
            swapped,
        ),
        (
            "ledger/foreign-entry",
            "A manifest in place of entry 0.",
            vec![good.clone()],
        ),
    ];
    for (name, d, list) in ledgers {
        let expect = match verify_ledger(&cml, list.iter().map(String::as_str)) {
            Ok(s) => json!({"ok": {"length": s.length, "head": s.head}}),
            Err(e @ Error::LedgerBroken { index, .. }) => {
                json!({"error": {"code": e.code().code(), "name": e.code().name(), "index": index}})
            }
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "verify_ledger", "cml": g.cml, "entries": list, "expect": expect}));
    }

    // Heartbeats.
    let lic = g.base("x", "x").license;
    let hb = |site: &str, nonce: &str, seq: u64, revoked: &[&str]| {
        issue::sign_heartbeat(
            &k.org,
            &HeartbeatClaims {
                org_id: "acme".into(),
                cml: cml.id.clone(),
                site_id: site.into(),
                status: if revoked.contains(&"site-lic-0001") {
                    "revoked"
                } else {
                    "active"
                }
                .into(),
                nonce: nonce.into(),
                server_time: NOW,
                revocation_list: g.rl(seq, NOW - 60, revoked),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let beats: Vec<(&str, &str, String, &str)> = vec![
        (
            "heartbeat/active",
            "An answer for this site and nonce, nothing revoked.",
            hb("site-berlin-01", "n-123", 1, &[]),
            "n-123",
        ),
        (
            "heartbeat/revoked",
            "The answer's revocation list revokes this site license.",
            hb("site-berlin-01", "n-124", 2, &["site-lic-0001"]),
            "n-124",
        ),
        (
            "heartbeat/replayed-nonce",
            "A captured answer presented for a new nonce.",
            hb("site-berlin-01", "n-125", 1, &[]),
            "n-999",
        ),
        (
            "heartbeat/other-site",
            "An answer for another site.",
            hb("site-paris-02", "n-126", 1, &[]),
            "n-126",
        ),
        (
            "heartbeat/unknown-status",
            "A signed answer whose status is neither active nor revoked (bad_payload).",
            issue::raw::sign_parts(
                &k.org,
                issue::raw::header(DocKind::Heartbeat, k.org.public_key().thumbprint()).as_bytes(),
                serde_json::to_string(&json!({"v": 1, "type": "heartbeat", "org_id": "acme", "cml": cml.id,
                    "site_id": "site-berlin-01", "status": "paused", "nonce": "n-128", "server_time": NOW,
                    "revocation_list": g.rl(1, NOW - 60, &[])}))
                .unwrap()
                .as_bytes(),
            ),
            "n-128",
        ),
        (
            "heartbeat/tampered",
            "status edited after signing.",
            edit_payload_keep_sig(&hb("site-berlin-01", "n-127", 2, &["site-lic-0001"]), |p| {
                p.replace("\"revoked\",", "\"active\",")
            }),
            "n-127",
        ),
    ];
    for (name, d, answer, nonce) in beats {
        let v = Validator::new(Environment::Prod, roots.clone());
        let expect = match v.verify_heartbeat_at(&lic, &answer, nonce, NOW) {
            Ok(i) => {
                json!({"ok": {"status": i.status, "server_time": i.server_time, "revocation_seq": i.revocation_seq, "revoked": i.revoked}})
            }
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "verify_heartbeat", "license": String::from_utf8(lic.clone()).unwrap(),
            "answer": answer, "nonce": nonce, "now": NOW, "expect": expect}));
    }

    // Root keys.
    let keys: Vec<(&str, &str, String)> = vec![
        (
            "key/pem",
            "The prod root as SPKI PEM.",
            k.root_prod.public_key().to_pem(),
        ),
        (
            "key/jwk",
            "The prod root as a JWK.",
            serde_json::to_string(&k.root_prod.public_key().to_jwk()).unwrap(),
        ),
        (
            "key/pem-garbage",
            "A PEM block with garbage inside.",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
        ),
        (
            "key/private-key-pem",
            "A private key offered as a root public key.",
            k.root_rogue.to_pem(),
        ),
        (
            "key/jwk-wrong-curve",
            "A P-384 JWK.",
            r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#.into(),
        ),
        (
            "key/jwk-off-curve",
            "A JWK whose point is not on P-256.",
            serde_json::to_string(&Jwk {
                x: b64(&[1u8; 32]),
                ..k.root_prod.public_key().to_jwk()
            })
            .unwrap(),
        ),
        ("key/empty", "An empty string.", String::new()),
        (
            "key/jwk-webcrypto-export",
            "A JWK as WebCrypto exports it (ext, key_ops) with alg ES256, use sig and a kid: accepted, the extras ignored.",
            {
                let j = k.root_prod.public_key().to_jwk();
                json!({"kty": "EC", "crv": "P-256", "x": j.x, "y": j.y, "ext": true,
                    "key_ops": ["verify"], "alg": "ES256", "use": "sig", "kid": "root-prod-1"})
                .to_string()
            },
        ),
        (
            "key/jwk-with-private-d",
            "A private JWK (with d) offered as a root public key (bad_key).",
            {
                let j = k.root_prod.public_key().to_jwk();
                json!({"kty": "EC", "crv": "P-256", "x": j.x, "y": j.y, "d": b64(&[3u8; 32])}).to_string()
            },
        ),
        (
            "key/jwk-alg-rs256",
            "A JWK announcing another algorithm (alg RS256) (bad_key).",
            {
                let j = k.root_prod.public_key().to_jwk();
                json!({"kty": "EC", "crv": "P-256", "x": j.x, "y": j.y, "alg": "RS256"}).to_string()
            },
        ),
    ];
    for (name, d, text) in keys {
        let expect = match PublicKey::from_pem_or_jwk(&text) {
            Ok(p) => json!({"ok": {"thumbprint": p.thumbprint()}}),
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "load_root_key", "key": text, "expect": expect}));
    }

    // A standalone CML, its standing and the manifest-period rule (FORMAT.md §2.7).
    let cml_v = |jws: &str| verify_cml(&roots, EnvironmentPolicy::only(Environment::Prod), jws);
    let dev_cml = {
        let mut c = base_cml(k);
        c.key_type = Environment::Dev;
        sign_cml_as(&k.root_dev, DEV, &c)
    };
    for (name, d, jws) in [
        (
            "cml/valid",
            "The vectors' CML, verified on its own by a prod validator.",
            g.cml.clone(),
        ),
        (
            "cml/dev-for-prod",
            "A dev CML given to a prod validator (environment_mismatch).",
            dev_cml,
        ),
        (
            "cml/tampered",
            "The CML with its payload edited (bad_signature).",
            edit_payload_keep_sig(&g.cml, |p| {
                p.replace("\"max_sites\":25", "\"max_sites\":2500")
            }),
        ),
    ] {
        let expect = match cml_v(&jws) {
            Ok(c) => {
                json!({"ok": {"id": c.id, "license_id": c.claims.license_id, "org_id": c.claims.org_id,
                "max_sites": c.claims.max_sites, "valid_until": c.claims.valid_until, "grace_days": c.claims.grace_days,
                "feature_packs": c.claims.feature_packs, "environment": c.claims.key_type.as_str(),
                "max_offline_days": c.claims.max_offline_days, "org_key_thumbprint": c.org_key.thumbprint()}})
            }
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "verify_cml", "cml": jws, "expect": expect}));
    }
    let grace_end = CML_EXP + 30 * DAY;
    for (name, d, now) in [
        (
            "standing/valid",
            "Day 30 of a one-year CML: valid, 335 days left.",
            NOW,
        ),
        (
            "standing/expiring-31-days",
            "31 days before valid_until: still valid.",
            CML_EXP - 31 * DAY,
        ),
        (
            "standing/expiring-30-days",
            "Exactly 30 days before valid_until: expiring.",
            CML_EXP - 30 * DAY,
        ),
        (
            "standing/expiring-last-second",
            "1 s before valid_until: expiring, 1 day left (rounded up).",
            CML_EXP - 1,
        ),
        (
            "standing/grace-first-second",
            "At valid_until: in grace, 30 days left.",
            CML_EXP,
        ),
        (
            "standing/grace-last-second",
            "1 s before the end of grace: in grace, 1 day left.",
            grace_end - 1,
        ),
        (
            "standing/expired",
            "At the end of grace: expired, 0 days ago.",
            grace_end,
        ),
        (
            "standing/expired-10-days",
            "Ten days after the end of grace: expired, 10 days ago.",
            grace_end + 10 * DAY,
        ),
    ] {
        let s = cml_standing(&cml.claims, now);
        out.push(json!({"name": name, "description": d, "operation": "cml_standing", "cml": g.cml, "now": now,
            "expect": {"ok": {"standing": s.as_str(), "days_left": s.days_left(), "usable": s.usable()}}}));
    }
    for (name, d, period, now) in [
        (
            "period/current-month",
            "The month that contains now.",
            "2026-01",
            NOW - 10 * DAY,
        ),
        (
            "period/last-month",
            "The previous month.",
            "2026-01",
            NOW + 10 * DAY,
        ),
        (
            "period/not-started",
            "Next month (manifest_invalid).",
            "2026-03",
            NOW,
        ),
        (
            "period/starts-within-skew",
            "A month that starts 300 s from now: started, by the clock skew.",
            "2026-02",
            T0 + 31 * DAY - 300,
        ),
        (
            "period/starts-after-skew",
            "A month that starts 301 s from now (manifest_invalid).",
            "2026-02",
            T0 + 31 * DAY - 301,
        ),
        (
            "period/before-the-cml",
            "A month that ended before the CML was issued (manifest_invalid).",
            "2025-12",
            NOW,
        ),
        (
            "period/after-grace",
            "A month that starts after the CML's grace ended (manifest_invalid).",
            "2027-03",
            CML_EXP + 90 * DAY,
        ),
        (
            "period/malformed",
            "Not YYYY-MM (manifest_invalid).",
            "2026-1",
            NOW,
        ),
    ] {
        let expect = match check_manifest_period(&cml.claims, period, now) {
            Ok((start, end)) => json!({"ok": {"start": start, "end": end}}),
            Err(e) => err(&e),
        };
        out.push(
            json!({"name": name, "description": d, "operation": "manifest_period", "cml": g.cml,
            "period": period, "now": now, "expect": expect}),
        );
    }

    // Manifest receipts: a receipt key certified by the prod root, receipts it signs.
    let receipt_key = SigningKey::from_seed(b"hwf-license vectors: receipt key");
    let rogue_receipt_key = SigningKey::from_seed(b"hwf-license vectors: uncertified receipt key");
    let manifest_id = document_id(&good).unwrap();
    let received = T0 + 31 * DAY + 60;
    let r_now = T0 + 32 * DAY;
    let cert_claims = |issued_at: i64, valid_until: i64, env: Environment| ReceiptKeyClaims {
        key: receipt_key.public_key().to_jwk(),
        environment: env,
        issued_at,
        valid_until,
        ..Default::default()
    };
    let cert = issue::sign_receipt_key(
        &k.root_prod,
        PROD,
        &cert_claims(T0, CML_EXP, Environment::Prod),
    )
    .unwrap();
    let receipt_claims = |f: &dyn Fn(&mut ReceiptClaims)| {
        let mut r = ReceiptClaims {
            org_id: "acme".into(),
            manifest: manifest_id.clone(),
            period: "2026-01".into(),
            received_at: received,
            ..Default::default()
        };
        f(&mut r);
        r
    };
    let good_receipt = issue::sign_receipt(&receipt_key, &receipt_claims(&|_| {})).unwrap();
    let raw_json = |key: &SigningKey, kind: DocKind, kid: &str, payload: Value| {
        raw::sign_parts(
            key,
            raw::header(kind, kid).as_bytes(),
            serde_json::to_string(&payload).unwrap().as_bytes(),
        )
    };
    let mut receipt_payload = serde_json::to_value(receipt_claims(&|_| {})).unwrap();
    receipt_payload["v"] = json!(1);
    receipt_payload["type"] = json!("receipt");
    let mut cert_payload =
        serde_json::to_value(cert_claims(T0, CML_EXP, Environment::Prod)).unwrap();
    cert_payload["v"] = json!(1);
    cert_payload["type"] = json!("receipt_key");
    cert_payload["issued_by"] = json!(PROD);
    // (name, description, certificate, receipt, org_id, manifest_id, now)
    type ReceiptCase = (
        &'static str,
        &'static str,
        String,
        String,
        &'static str,
        String,
        i64,
    );
    let rc = |name, d, c: &str, r: &str| -> ReceiptCase {
        (
            name,
            d,
            c.into(),
            r.into(),
            "acme",
            manifest_id.clone(),
            r_now,
        )
    };
    let receipts: Vec<ReceiptCase> = vec![
        rc("receipt/valid", "A receipt for this org's manifest, signed by a receipt key the prod root certified.", &cert, &good_receipt),
        rc("receipt/tampered", "received_at edited after signing (bad_signature).", &cert,
            &edit_payload_keep_sig(&good_receipt, |p| p.replace(&format!("\"received_at\":{received}"), &format!("\"received_at\":{}", received + 1)))),
        ("receipt/foreign-org", "A valid receipt of this Root for org acme, presented to org globex's Hub (org_mismatch).",
            cert.clone(), good_receipt.clone(), "globex", manifest_id.clone(), r_now),
        ("receipt/wrong-manifest", "A valid receipt for another manifest of this org (binding_mismatch).",
            cert.clone(), good_receipt.clone(), "acme", "cd".repeat(32), r_now),
        rc("receipt/signed-by-root-key", "The receipt signed by the root key itself, announcing its kid (signer_mismatch: only the certified key signs receipts).", &cert,
            &raw_json(&k.root_prod, DocKind::Receipt, PROD, receipt_payload.clone())),
        rc("receipt/uncertified-key", "The receipt signed by a key no certificate names, announcing its own thumbprint (signer_mismatch).", &cert,
            &issue::sign_receipt(&rogue_receipt_key, &receipt_claims(&|_| {})).unwrap()),
        rc("receipt/uncertified-key-certified-kid", "The receipt signed by an uncertified key announcing the certified key's thumbprint (bad_signature).", &cert,
            &raw_json(&rogue_receipt_key, DocKind::Receipt, receipt_key.public_key().thumbprint(), receipt_payload.clone())),
        rc("receipt/certificate-of-another-typ", "A CML given as the receipt key certificate (wrong_document_type).", &g.cml, &good_receipt),
        rc("receipt/certificate-cml-typ-receipt-key-payload", "A receipt key certificate payload signed by the root under the CML typ (wrong_document_type).",
            &raw_json(&k.root_prod, DocKind::Cml, PROD, cert_payload.clone()), &good_receipt),
        rc("receipt/receipt-as-certificate", "The receipt given as its own certificate (wrong_document_type).", &good_receipt, &good_receipt),
        rc("receipt/manifest-instead-of-receipt", "The manifest given as the receipt (wrong_document_type).", &cert, &good),
        ("receipt/certificate-expired", "The certificate ended (valid_until) before now (expired).",
            issue::sign_receipt_key(&k.root_prod, PROD, &cert_claims(T0, T0 + 32 * DAY - 1, Environment::Prod)).unwrap(),
            good_receipt.clone(), "acme", manifest_id.clone(), r_now),
        ("receipt/certificate-expired-last-second", "Now is the certificate's last second (ok).",
            issue::sign_receipt_key(&k.root_prod, PROD, &cert_claims(T0, T0 + 32 * DAY + 1, Environment::Prod)).unwrap(),
            good_receipt.clone(), "acme", manifest_id.clone(), r_now),
        ("receipt/certificate-not-yet-valid", "The certificate starts a day after now (not_yet_valid).",
            issue::sign_receipt_key(&k.root_prod, PROD, &cert_claims(r_now + DAY, CML_EXP, Environment::Prod)).unwrap(),
            good_receipt.clone(), "acme", manifest_id.clone(), r_now),
        ("receipt/received-before-certificate", "received_at is an hour before the certificate's issued_at (not_yet_valid).",
            issue::sign_receipt_key(&k.root_prod, PROD, &cert_claims(received + 3600, CML_EXP, Environment::Prod)).unwrap(),
            good_receipt.clone(), "acme", manifest_id.clone(), r_now),
        rc("receipt/received-in-the-future", "received_at is 301 s after now (not_yet_valid).", &cert,
            &issue::sign_receipt(&receipt_key, &receipt_claims(&|r| r.received_at = r_now + 301)).unwrap()),
        rc("receipt/certificate-unknown-root", "The certificate signed by a root nobody trusts (unknown_key_id).",
            &issue::sign_receipt_key(&k.root_rogue, "root-rogue-1", &cert_claims(T0, CML_EXP, Environment::Prod)).unwrap(), &good_receipt),
        rc("receipt/certificate-forged-root", "The certificate signed by a rogue key announcing the prod root's kid (bad_signature).",
            &issue::sign_receipt_key(&k.root_rogue, PROD, &cert_claims(T0, CML_EXP, Environment::Prod)).unwrap(), &good_receipt),
        rc("receipt/dev-certificate-for-prod", "The certificate signed by the dev root, read by a prod validator (environment_mismatch).",
            &issue::sign_receipt_key(&k.root_dev, DEV, &cert_claims(T0, CML_EXP, Environment::Dev)).unwrap(), &good_receipt),
        rc("receipt/certificate-environment-differs", "The prod root certifying a key for dev (environment_mismatch).",
            &issue::sign_receipt_key(&k.root_prod, PROD, &cert_claims(T0, CML_EXP, Environment::Dev)).unwrap(), &good_receipt),
        rc("receipt/certificate-issued-by-mismatch", "The certificate's issued_by differs from its kid (bad_payload).",
            &raw_json(&k.root_prod, DocKind::ReceiptKey, PROD, { let mut p = cert_payload.clone(); p["issued_by"] = json!("root-prod-2"); p }), &good_receipt),
        rc("receipt/certificate-unknown-member", "The certificate's payload carries an unknown member (bad_payload).",
            &raw_json(&k.root_prod, DocKind::ReceiptKey, PROD, { let mut p = cert_payload.clone(); p["max_receipts"] = json!(10); p }), &good_receipt),
        rc("receipt/version-2", "A receipt of payload version 2 (unsupported_version).", &cert,
            &raw_json(&receipt_key, DocKind::Receipt, receipt_key.public_key().thumbprint(), { let mut p = receipt_payload.clone(); p["v"] = json!(2); p })),
        rc("receipt/manifest-id-uppercase", "The receipt names the manifest id in uppercase hex (bad_payload).", &cert,
            &raw_json(&receipt_key, DocKind::Receipt, receipt_key.public_key().thumbprint(), { let mut p = receipt_payload.clone(); p["manifest"] = json!(manifest_id.to_uppercase()); p })),
    ];
    for (name, d, certificate, receipt, org_id, mid, now) in receipts {
        let v = Validator::new(Environment::Prod, roots.clone());
        let expect = match v.verify_receipt(&certificate, &receipt, org_id, &mid, now) {
            Ok(r) => {
                json!({"ok": {"id": r.id, "org_id": r.claims.org_id, "manifest": r.claims.manifest,
                "period": r.claims.period, "received_at": r.claims.received_at,
                "certificate_id": r.certificate.id, "receipt_key_thumbprint": r.certificate.key.thumbprint(),
                "certificate_valid_until": r.certificate.claims.valid_until}})
            }
            Err(e) => err(&e),
        };
        out.push(json!({"name": name, "description": d, "operation": "verify_receipt", "certificate": certificate,
            "receipt": receipt, "org_id": org_id, "manifest_id": mid, "now": now, "expect": expect}));
    }

    // Every document vector states its intent; the generator refuses a surprise.
    let intents: &[(&str, &str)] = &[
        ("manifest/valid", "ok"),
        ("manifest/tampered", "bad_signature"),
        ("manifest/other-org-key", "signer_mismatch"),
        ("manifest/other-org-id", "org_mismatch"),
        ("manifest/other-cml", "binding_mismatch"),
        ("manifest/totals-do-not-add-up", "manifest_invalid"),
        ("manifest/bad-period", "manifest_invalid"),
        ("manifest/site-license-instead", "wrong_document_type"),
        ("ledger/valid", "ok"),
        ("ledger/empty", "ok"),
        ("ledger/edited-entry", "ledger_broken"),
        ("ledger/dropped-entry", "ledger_broken"),
        ("ledger/swapped-entries", "ledger_broken"),
        ("ledger/foreign-entry", "ledger_broken"),
        ("heartbeat/active", "ok"),
        ("heartbeat/revoked", "ok"),
        ("heartbeat/replayed-nonce", "nonce_mismatch"),
        ("heartbeat/other-site", "binding_mismatch"),
        ("heartbeat/unknown-status", "bad_payload"),
        ("heartbeat/tampered", "bad_signature"),
        ("key/pem", "ok"),
        ("key/jwk", "ok"),
        ("key/pem-garbage", "bad_key"),
        ("key/private-key-pem", "bad_key"),
        ("key/jwk-wrong-curve", "bad_key"),
        ("key/jwk-off-curve", "bad_key"),
        ("key/empty", "bad_key"),
        ("key/jwk-webcrypto-export", "ok"),
        ("key/jwk-with-private-d", "bad_key"),
        ("key/jwk-alg-rs256", "bad_key"),
        ("cml/valid", "ok"),
        ("cml/dev-for-prod", "environment_mismatch"),
        ("cml/tampered", "bad_signature"),
        ("standing/valid", "valid"),
        ("standing/expiring-31-days", "valid"),
        ("standing/expiring-30-days", "expiring"),
        ("standing/expiring-last-second", "expiring"),
        ("standing/grace-first-second", "grace"),
        ("standing/grace-last-second", "grace"),
        ("standing/expired", "expired"),
        ("standing/expired-10-days", "expired"),
        ("period/current-month", "ok"),
        ("period/last-month", "ok"),
        ("period/not-started", "manifest_invalid"),
        ("period/starts-within-skew", "ok"),
        ("period/starts-after-skew", "manifest_invalid"),
        ("period/before-the-cml", "manifest_invalid"),
        ("period/after-grace", "manifest_invalid"),
        ("period/malformed", "manifest_invalid"),
        ("receipt/valid", "ok"),
        ("receipt/tampered", "bad_signature"),
        ("receipt/foreign-org", "org_mismatch"),
        ("receipt/wrong-manifest", "binding_mismatch"),
        ("receipt/signed-by-root-key", "signer_mismatch"),
        ("receipt/uncertified-key", "signer_mismatch"),
        ("receipt/uncertified-key-certified-kid", "bad_signature"),
        ("receipt/certificate-of-another-typ", "wrong_document_type"),
        (
            "receipt/certificate-cml-typ-receipt-key-payload",
            "wrong_document_type",
        ),
        ("receipt/receipt-as-certificate", "wrong_document_type"),
        ("receipt/manifest-instead-of-receipt", "wrong_document_type"),
        ("receipt/certificate-expired", "expired"),
        ("receipt/certificate-expired-last-second", "ok"),
        ("receipt/certificate-not-yet-valid", "not_yet_valid"),
        ("receipt/received-before-certificate", "not_yet_valid"),
        ("receipt/received-in-the-future", "not_yet_valid"),
        ("receipt/certificate-unknown-root", "unknown_key_id"),
        ("receipt/certificate-forged-root", "bad_signature"),
        ("receipt/dev-certificate-for-prod", "environment_mismatch"),
        (
            "receipt/certificate-environment-differs",
            "environment_mismatch",
        ),
        ("receipt/certificate-issued-by-mismatch", "bad_payload"),
        ("receipt/certificate-unknown-member", "bad_payload"),
        ("receipt/version-2", "unsupported_version"),
        ("receipt/manifest-id-uppercase", "bad_payload"),
    ];
    assert_eq!(
        intents.len(),
        out.len(),
        "every document vector needs an intent"
    );
    for v in &out {
        let name = v["name"].as_str().unwrap();
        let intent = intents
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no intent for {name}"))
            .1;
        let actual = v["expect"]["error"]["name"]
            .as_str()
            .or(v["expect"]["ok"]["standing"].as_str())
            .unwrap_or("ok");
        assert_eq!(
            actual, intent,
            "document vector {name} does not do what it says: {}",
            v["expect"]
        );
    }
    out
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let k = keys();
    let cml = sign_cml_as(&k.root_prod, PROD, &base_cml(&k));
    let mut g = Gen {
        k,
        cml,
        out: vec![],
    };
    build(&mut g);
    spec(&mut g);

    let mut vectors = vec![];
    let mut index = String::from(
        "# Conformance vectors\n\nGenerated by `cargo run -p hwf-license-vectors`; do not edit. \
         Format: [FORMAT.md](FORMAT.md).\n\n| # | name | expect | description |\n|---|------|--------|-------------|\n",
    );
    for (i, v) in g.out.iter().enumerate() {
        let expect = run(&g.k, v);
        let actual: Result<&str, (u64, &str)> = match (&expect["ok"], &expect["error"]) {
            (Value::Object(o), _) => Ok(o["status"].as_str().unwrap()),
            (_, e) => Err((e["code"].as_u64().unwrap(), e["step"].as_str().unwrap())),
        };
        let intended = v.intent.map_err(|(c, s)| (u64::from(c.code()), s));
        assert_eq!(
            actual, intended,
            "vector {} does not do what it says: {expect}",
            v.name
        );
        let summary = match &actual {
            Ok(s) => s.to_string(),
            Err((c, s)) => format!(
                "{} {}{}",
                c,
                ErrorCode::from_code(*c as u32).unwrap().name(),
                if *s == "revocation_list" {
                    " (list)"
                } else {
                    ""
                }
            ),
        };
        index.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            i + 1,
            v.name,
            summary,
            v.description
        ));
        let mut obj = json!({
            "name": v.name,
            "description": v.description,
            "environment": v.environment.as_str(),
            "accept_other_environment": v.accept_other,
            "roots": v.roots,
            "last_seen": v.last_seen,
            "revocation_lists": v.revocation_lists,
        });
        match std::str::from_utf8(&v.license) {
            Ok(s) => obj["license"] = json!(s),
            Err(_) => {
                obj["license_hex"] = json!(v
                    .license
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>())
            }
        }
        obj["facts"] = json!({"addresses": v.addresses, "dns_name": v.dns_name, "deployment_tag": v.deployment_tag});
        obj["now"] = json!(v.now);
        obj["expect"] = expect;
        vectors.push(obj);
    }
    let roots = json!({
        PROD: {"environment": "prod", "jwk": g.k.root_prod.public_key().to_jwk(), "pem": g.k.root_prod.public_key().to_pem()},
        DEV: {"environment": "dev", "jwk": g.k.root_dev.public_key().to_jwk(), "pem": g.k.root_dev.public_key().to_pem()},
    });
    let docs = documents(&g);
    index.push_str("\n## Other operations (documents.json)\n\n| # | name | operation | expect | description |\n|---|------|-----------|--------|-------------|\n");
    for (i, d) in docs.iter().enumerate() {
        let e = &d["expect"];
        let summary = match e["error"]["name"].as_str() {
            Some(n) => format!("{} {}", e["error"]["code"], n),
            None => "ok".into(),
        };
        index.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            i + 1,
            d["name"].as_str().unwrap(),
            d["operation"].as_str().unwrap(),
            summary,
            d["description"].as_str().unwrap()
        ));
    }
    let docs_file =
        json!({"format": "hwf-license-documents/1", "roots": roots.clone(), "vectors": docs});
    let docs_text = serde_json::to_string_pretty(&docs_file).unwrap() + "\n";
    let scns = scenarios::scenarios(&g.k);
    index.push_str("\n## Trust-state scenarios (scenarios.json)\n\n| # | name | steps | description |\n|---|------|-------|-------------|\n");
    for (i, s) in scns.iter().enumerate() {
        index.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            i + 1,
            s["name"].as_str().unwrap(),
            s["steps"].as_array().map_or(0, Vec::len),
            s["description"].as_str().unwrap()
        ));
    }
    let scn_file =
        json!({"format": "hwf-license-scenarios/1", "roots": roots.clone(), "scenarios": scns});
    let scn_text = serde_json::to_string_pretty(&scn_file).unwrap() + "\n";
    let file = json!({"format": "hwf-license-vectors/1", "roots": roots, "vectors": vectors});
    let text = serde_json::to_string_pretty(&file).unwrap() + "\n";

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let outputs = [
        (dir.join("vectors.json"), text),
        (dir.join("documents.json"), docs_text),
        (dir.join("scenarios.json"), scn_text),
        (dir.join("INDEX.md"), index),
    ];
    let hostile_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hostile");
    let corpus = hostile::corpus(&g.k, &g.cml);
    let hostile_index =
        serde_json::to_string_pretty(&hostile::index(&g.k, &corpus)).unwrap() + "\n";
    let mut binary_outputs: Vec<(PathBuf, Vec<u8>)> = corpus
        .iter()
        .map(|h| (hostile_dir.join(format!("{}.lic", h.name)), h.bytes.clone()))
        .collect();
    binary_outputs.push((hostile_dir.join("index.json"), hostile_index.into_bytes()));
    let mut stale = false;
    std::fs::create_dir_all(&hostile_dir).unwrap();
    for (path, content) in &binary_outputs {
        if check {
            if std::fs::read(path).unwrap_or_default() != *content {
                eprintln!(
                    "{} is not current: run `cargo run -p hwf-license-vectors`",
                    path.display()
                );
                stale = true;
            }
        } else {
            std::fs::write(path, content).unwrap();
        }
    }
    for (path, content) in &outputs {
        if check {
            let current = std::fs::read_to_string(path).unwrap_or_default();
            if &current != content {
                eprintln!(
                    "{} is not current: run `cargo run -p hwf-license-vectors`",
                    path.display()
                );
                stale = true;
            }
        } else {
            std::fs::write(path, content).unwrap();
        }
    }
    if stale {
        std::process::exit(1);
    }
    println!(
        "{} validation vectors, {} document vectors and {} scenarios {}",
        g.out.len(),
        docs_file["vectors"].as_array().map_or(0, Vec::len),
        scn_file["scenarios"].as_array().map_or(0, Vec::len),
        if check { "are current" } else { "written" }
    );
}
