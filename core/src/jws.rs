//! JWS compact serialization (RFC 7515) restricted to one profile: protected header exactly
//! `{"alg":"ES256","typ":<kind>,"kid":<key id>}`, payload JSON, signature 64 bytes r||s.
//!
//! Decides: what a well-formed signed document is, which key verifies it, and what its identity
//! is. A document's id is the SHA-256 of its JWS signing input (`header.payload`, i.e. everything
//! that was signed, never the malleable signature), written as lowercase hex.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::b64;
use crate::claims::FromJson;
use crate::error::{DocKind, Error, Result};
use crate::json::{self, Obj, Value};
use crate::keys::{PublicKey, SigningKey};
use crate::FORMAT_VERSION;

/// The only accepted JWS algorithm.
pub const ALG: &str = "ES256";

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// A JWS whose structure and header have been checked but whose signature has not.
pub(crate) struct Unverified<'a> {
    kind: DocKind,
    /// The `kid` header value.
    pub kid: String,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature: [u8; 64],
}

/// A JWS whose signature verified: its payload bytes may now be read.
pub(crate) struct Verified {
    kind: DocKind,
    /// SHA-256 of the signing input.
    pub hash: [u8; 32],
    payload: Vec<u8>,
}

/// Splits and checks a compact JWS of the given kind, without verifying the signature.
/// Longest protected header accepted, in base64url characters (1 KiB decoded).
pub const MAX_HEADER_B64: usize = 1368;

pub(crate) fn parse(kind: DocKind, jws: &str) -> Result<Unverified<'_>> {
    // Surrounding whitespace (a file's trailing newline) is not part of a compact JWS.
    let jws = jws.trim_matches(|c: char| c.is_ascii_whitespace());
    if jws.len() > kind.max_bytes() {
        return Err(Error::TooLarge {
            size: jws.len(),
            limit: kind.max_bytes(),
        });
    }
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::BadJws {
            kind,
            reason: "not a compact JWS of three segments",
        });
    };
    // The exact header is under 200 bytes: a long one is refused before it is decoded.
    if h.len() > MAX_HEADER_B64 {
        return Err(Error::BadJws {
            kind,
            reason: "protected header must be exactly {alg, typ, kid}",
        });
    }
    let header_bytes = b64::decode(h.as_bytes()).ok_or(Error::BadEncoding { kind })?;
    let bad_header = || Error::BadJws {
        kind,
        reason: "protected header must be exactly {alg, typ, kid}",
    };
    let header_value = json::parse(&header_bytes).map_err(|_| bad_header())?;
    let header = (|| {
        let mut o = Obj::new(&header_value)?;
        let h = Header {
            alg: o.str_ref("alg")?,
            typ: o.str_ref("typ")?,
            kid: o.str_ref("kid")?,
        };
        o.finish()?;
        Ok::<_, String>(h)
    })()
    .map_err(|_| bad_header())?;
    if header.alg != ALG {
        return Err(Error::UnsupportedAlgorithm {
            kind,
            alg: header.alg.into(),
        });
    }
    if header.typ != kind.typ() {
        return Err(Error::WrongDocumentType {
            expected: kind,
            found: header.typ.into(),
        });
    }
    let sig = b64::decode(s.as_bytes()).ok_or(Error::BadEncoding { kind })?;
    let signature: [u8; 64] = sig.as_slice().try_into().map_err(|_| Error::BadJws {
        kind,
        reason: "ES256 signature must be 64 bytes",
    })?;
    Ok(Unverified {
        kind,
        kid: header.kid.into(),
        // Ends at a '.' (ASCII): `get` never refuses.
        signing_input: jws.get(..h.len() + 1 + p.len()).unwrap_or(jws),
        payload_b64: p,
        signature,
    })
}

impl Unverified<'_> {
    /// Verifies the signature with `key`; only then decodes the payload.
    pub fn verify(
        self,
        key: &PublicKey,
        verifier: &dyn crate::verify::Verifier,
    ) -> Result<Verified> {
        let hash: [u8; 32] = Sha256::digest(self.signing_input.as_bytes()).into();
        if !verifier.verify(key, self.signing_input.as_bytes(), &hash, &self.signature) {
            return Err(Error::BadSignature { kind: self.kind });
        }
        self.payload(hash)
    }

    /// The signature check this document needs (by a key the caller chooses), for a two-phase
    /// verification (`crate::pending`): the signing input, its SHA-256 and the signature.
    pub fn check(&self) -> crate::pending::Check {
        crate::pending::Check {
            signing_input: self.signing_input.into(),
            digest: Sha256::digest(self.signing_input.as_bytes()).into(),
            signature: self.signature,
        }
    }

    /// What [`Unverified::verify`] does once the signature verified: decodes the payload.
    /// `hash` is SHA-256 of the signing input.
    pub fn payload(self, hash: [u8; 32]) -> Result<Verified> {
        let payload = b64::decode(self.payload_b64.as_bytes())
            .ok_or(Error::BadEncoding { kind: self.kind })?;
        Ok(Verified {
            kind: self.kind,
            hash,
            payload,
        })
    }
}

impl Verified {
    /// Parses the verified payload strictly into `T`, after checking `v` and `type`.
    pub fn claims<T: FromJson>(&self) -> Result<T> {
        let value = self.payload_value(T::VERSIONS)?;
        T::from_json(&value).map_err(|e| Error::payload(self.kind, e))
    }

    /// The payload as JSON, its `v` one of `versions` and its `type` this kind's: the part of
    /// [`Verified::claims`] that is the same for every kind (linked once, not once per kind).
    fn payload_value(&self, versions: &[u32]) -> Result<Value<'_>> {
        let kind = self.kind;
        let value = json::parse(&self.payload).map_err(|e| Error::payload(kind, e))?;
        let Value::Object(members) = &value else {
            return Err(Error::payload(kind, "expected a JSON object"));
        };
        let member = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        match member("v") {
            Some(Value::Int(v)) if versions.iter().any(|&ok| i128::from(ok) == *v) => {}
            Some(Value::Int(v)) => {
                return Err(Error::UnsupportedVersion {
                    kind,
                    version: u64::try_from(*v).unwrap_or(u64::MAX),
                    supported: versions.iter().copied().max().unwrap_or(FORMAT_VERSION),
                })
            }
            _ => return Err(Error::payload(kind, "`v` must be an integer")),
        }
        match member("type") {
            Some(Value::Str(t)) if t == kind.payload_type() => {}
            Some(Value::Str(t)) => {
                return Err(Error::WrongDocumentType {
                    expected: kind,
                    found: t.as_ref().into(),
                })
            }
            _ => return Err(Error::payload(kind, "`type` must be a string")),
        }
        Ok(value)
    }
}

/// Signs `claims` as a compact JWS of `kind` with `key`, announcing `kid`.
pub(crate) fn sign<T: Serialize>(
    kind: DocKind,
    key: &SigningKey,
    kid: &str,
    claims: &T,
) -> Result<String> {
    let header = serde_json::to_vec(&Header {
        alg: ALG,
        typ: kind.typ(),
        kid,
    })
    .map_err(|e| Error::payload(kind, e))?;
    let payload = serde_json::to_vec(claims).map_err(|e| Error::payload(kind, e))?;
    let mut out = b64::encode(&header);
    out.push('.');
    out.push_str(&b64::encode(&payload));
    let sig = key.sign_es256(out.as_bytes());
    out.push('.');
    out.push_str(&b64::encode(&sig));
    Ok(out)
}

/// Lowercase hex of a hash.
pub(crate) fn hex(hash: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in hash {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The document id of a compact JWS: lowercase hex SHA-256 of its signing input.
///
/// Only the structure is checked, not the signature: use it to name documents, not to trust them.
pub fn document_id(jws: &str) -> Result<String> {
    let mut parts = jws
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .rsplitn(2, '.');
    let (Some(_sig), Some(input)) = (parts.next(), parts.next()) else {
        return Err(Error::BadJws {
            kind: DocKind::Site,
            reason: "not a compact JWS",
        });
    };
    Ok(hex(&Sha256::digest(input.as_bytes()).into()))
}
