//! The hostile corpus (`testdata/hostile/`): site.lic files built to cost the reader as much as
//! its limits allow, each with the outcome core must give. `core/tests/hostile.rs` replays them;
//! `benches` times each against a normal cold validation in the same run (FORMAT.md §1.6 and
//! docs/PERFORMANCE.md).

use hwf_license::issue::{self, raw};
use hwf_license::*;
use serde_json::{json, Value};

use crate::{b64, base_site, root_of, Keys, DEV, NOW, PROD};

/// One hostile file: name, description, bytes.
pub(crate) struct Hostile {
    pub name: &'static str,
    pub description: &'static str,
    pub bytes: Vec<u8>,
    /// What core must answer: a status or an error code.
    pub intent: Result<&'static str, ErrorCode>,
}

fn fill_to(mut prefix: String, suffix: &str, unit: impl Fn(usize) -> String) -> String {
    let mut i = 0;
    loop {
        let u = unit(i);
        if prefix.len() + u.len() + suffix.len() > MAX_LICENSE_BYTES {
            break;
        }
        prefix.push_str(&u);
        i += 1;
    }
    prefix.push_str(suffix);
    prefix
}

pub(crate) fn corpus(k: &Keys, cml: &str) -> Vec<Hostile> {
    let site = issue::sign_site(&k.org, &base_site(cml)).unwrap();
    let valid = license_file(cml, &site);
    let mut out = vec![];

    out.push(Hostile {
        name: "wrapper-7700-members",
        intent: Err(ErrorCode::Malformed),
        description: "A 64 KiB wrapper of about 7,700 tiny members after cml and site: refused at the 65th member.",
        bytes: fill_to(
            format!("{{\"cml\":\"{cml}\",\"site\":\"{site}\""),
            "}",
            |i| format!(",\"m{i}\":0"),
        )
        .into_bytes(),
    });
    out.push(Hostile {
        name: "wrapper-7700-members-first",
        intent: Err(ErrorCode::Malformed),
        description: "The same with the many members before cml and site (a reader that reads the whole object first pays for all of them).",
        bytes: {
            let body = fill_to(String::from("{"), "", |i| format!("\"m{i}\":0,"));
            let tail = format!("\"cml\":\"{cml}\",\"site\":\"{site}\"}}");
            let cut = MAX_LICENSE_BYTES - tail.len();
            let mut b = body[..body[..cut].rfind(',').unwrap() + 1].to_string();
            b.push_str(&tail);
            b.into_bytes()
        },
    });
    out.push(Hostile {
        name: "nesting-32-deep",
        intent: Ok("valid"),
        description: "An ignored member nested 32 deep (the limit) beside a valid chain: valid.",
        bytes: {
            let deep = format!("{}{}", "[".repeat(31), "]".repeat(31));
            format!("{{\"x\":{deep},\"cml\":\"{cml}\",\"site\":\"{site}\"}}").into_bytes()
        },
    });
    out.push(Hostile {
        name: "nesting-64k-deep",
        intent: Err(ErrorCode::Malformed),
        description: "64 KiB of '[': refused at depth 33.",
        bytes: format!("{{\"x\":{}", "[".repeat(MAX_LICENSE_BYTES - 10)).into_bytes(),
    });
    out.push(Hostile {
        name: "escapes-64k",
        intent: Err(ErrorCode::BadJws),
        description:
            "A cml string of 64 KiB of \\u0041 escapes: decoded once, then not a JWS (bad_jws).",
        bytes: fill_to(String::from("{\"site\":\"x\",\"cml\":\""), "\"}", |_| {
            String::from("\\u0041")
        })
        .into_bytes(),
    });
    out.push(Hostile {
        name: "crlf-everywhere",
        intent: Ok("valid"),
        description: "A valid chain whose JWS strings have runs of CR LF between every two characters, filling 64 KiB (what a second reading pass would pay for): valid.",
        bytes: {
            let wrap = |s: &str, run: &str| -> String {
                s.chars().map(String::from).collect::<Vec<_>>().join(run)
            };
            let mut r = 1;
            let mut best = None;
            loop {
                let run = "\r\n".repeat(r);
                let text = format!("{{\"cml\":\"{}\",\"site\":\"{}\"}}", wrap(cml, &run), wrap(&site, &run));
                if text.len() > MAX_LICENSE_BYTES {
                    break best.unwrap();
                }
                best = Some(text.into_bytes());
                r += 1;
            }
        },
    });
    out.push(Hostile {
        name: "ignored-numbers",
        intent: Ok("valid"),
        description: "Ignored members with a fraction, an exponent and a 30-digit integer beside a valid chain: valid (unknown members are ignored whatever their JSON).",
        bytes: format!(
            "{{\"cml\":\"{cml}\",\"site\":\"{site}\",\"a\":1.5,\"b\":-2E+300,\"c\":123456789012345678901234567890,\"d\":{{\"e\":[0.0,1e-9]}}}}"
        )
        .into_bytes(),
    });
    out.push(Hostile {
        name: "duplicate-names-64",
        intent: Err(ErrorCode::Malformed),
        description: "64 members of one name: malformed (duplicate), found by sorting.",
        bytes: {
            let mut s = format!("{{\"cml\":\"{cml}\",\"site\":\"{site}\"");
            for _ in 0..62 {
                s.push_str(",\"z\":0");
            }
            s.push('}');
            s.into_bytes()
        },
    });
    out.push(Hostile {
        name: "cml-60k-bad-signature",
        intent: Err(ErrorCode::BadSignature),
        description: "A 60 KB CML with a trusted kid and a wrong signature: one hash of 60 KB and one signature check (bad_signature).",
        bytes: {
            let header = raw::header(DocKind::Cml, PROD);
            let payload = b64(&vec![b'a'; 44_000]);
            let forged = format!("{}.{}.{}", b64(header.as_bytes()), payload, b64(&[7u8; 64]));
            license_file(&forged, &site).into_bytes()
        },
    });
    out.push(Hostile {
        name: "bogus-site-signature",
        intent: Err(ErrorCode::BadSignature),
        description: "A valid CML and a site license whose signature was replaced: two signature checks, as a cold validation (bad_signature).",
        bytes: {
            let cut = site.rfind('.').unwrap();
            let forged = format!("{}.{}", &site[..cut], b64(&[9u8; 64]));
            license_file(cml, &forged).into_bytes()
        },
    });
    out.push(Hostile {
        name: "header-7700-members",
        intent: Err(ErrorCode::BadJws),
        description: "A CML whose protected header holds thousands of members: refused by its length before it is decoded (bad_jws).",
        bytes: {
            let h = fill_to(String::from("{\"alg\":\"ES256\""), "}", |i| format!(",\"h{i}\":0"));
            let h = &h[..40_000.min(h.len())];
            let forged = format!("{}.{}.{}", b64(h.as_bytes()), b64(b"{}"), b64(&[1u8; 64]));
            license_file(&forged, &site).into_bytes()
        },
    });
    out.push(Hostile {
        name: "valid",
        intent: Ok("valid"),
        description: "The normal chain (the baseline of the benchmark).",
        bytes: valid.into_bytes(),
    });
    out
}

/// The expected outcome of each file, from core, at NOW with the vectors' prod validator.
pub(crate) fn index(k: &Keys, corpus: &[Hostile]) -> Value {
    let facts = NodeFacts::default();
    let items: Vec<Value> = corpus
        .iter()
        .map(|h| {
            let v = Validator::new(Environment::Prod, vec![root_of(k, PROD), root_of(k, DEV)]);
            let r = v.validate_at(&h.bytes, &facts, NOW);
            assert_eq!(
                r.as_ref().map(|d| d.status.as_str()).map_err(Error::code),
                h.intent,
                "hostile file {} does not do what it says",
                h.name
            );
            let expect = match r {
                Ok(d) => json!({"ok": {"status": d.status.as_str()}}),
                Err(e) => json!({"error": {"code": e.code().code(), "name": e.code().name()}}),
            };
            json!({"name": h.name, "file": format!("{}.lic", h.name), "bytes": h.bytes.len(),
                "description": h.description, "now": NOW, "expect": expect})
        })
        .collect();
    json!({"format": "hwf-license-hostile/1",
        "validator": {"environment": "prod", "roots": [PROD, DEV], "facts": {"addresses": [], "dns_name": null, "deployment_tag": null}},
        "files": items})
}
