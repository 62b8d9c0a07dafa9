//! P-256 keys: public keys as JWK (RFC 7517) with RFC 7638 thumbprints as key ids, signing keys
//! for issuance, and PEM import-export compatible with OpenSSL (private keys with `std`)
//! (`openssl ecparam -name prime256v1 -genkey | openssl pkcs8 -topk8 -nocrypt`).

use alloc::string::String;
use alloc::vec::Vec;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
#[cfg(feature = "deserialize")]
use serde::Deserialize;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Error, Result};

/// A P-256 public key as a JSON Web Key. Members are exactly `kty`, `crv`, `x`, `y`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// Always `"EC"`.
    pub kty: String,
    /// Always `"P-256"`.
    pub crv: String,
    /// The x coordinate, 32 bytes, base64url.
    pub x: String,
    /// The y coordinate, 32 bytes, base64url.
    pub y: String,
}

/// A P-256 public key that verifies ES256 signatures.
///
/// It holds the uncompressed point (what native backends take) and its thumbprint; the pure-Rust
/// `p256` verifying key is built on first use only, so importing an org key for a native
/// backend costs an on-curve check, not a point decompression.
pub struct PublicKey {
    thumbprint: String,
    /// The uncompressed SEC1 point (0x04 || x || y), on the curve (checked on import).
    sec1: [u8; 65],
    key: crate::sync::Once<VerifyingKey>,
}

impl Clone for PublicKey {
    fn clone(&self) -> Self {
        Self {
            thumbprint: self.thumbprint.clone(),
            sec1: self.sec1,
            key: crate::sync::Once::new(),
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.sec1 == other.sec1
    }
}

impl Eq for PublicKey {}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PublicKey")
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

/// `b` of P-256's equation y² = x³ − 3x + b (FIPS 186-4 D.1.2.3).
const P256_B: [u8; 32] = [
    0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
    0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b,
];

/// Whether (x, y) are field elements (< p) on P-256. The point at infinity has no affine
/// coordinates, so a point that passes is a valid public key.
fn on_curve(x: &[u8; 32], y: &[u8; 32]) -> bool {
    use p256::FieldElement;
    let (Some(x), Some(y), Some(b)) = (
        Option::<FieldElement>::from(FieldElement::from_bytes(x.into())),
        Option::<FieldElement>::from(FieldElement::from_bytes(y.into())),
        Option::<FieldElement>::from(FieldElement::from_bytes(&P256_B.into())),
    ) else {
        return false;
    };
    let rhs = x.square() * x - (x.double() + x) + b;
    y.square() == rhs
}

impl PublicKey {
    /// A key from on-curve affine coordinates.
    fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Self {
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        let (xs, ys) = (b64::encode(x), b64::encode(y));
        // RFC 7638: members in lexicographic order, no whitespace.
        let canonical = alloc::format!(r#"{{"crv":"P-256","kty":"EC","x":"{xs}","y":"{ys}"}}"#);
        let thumbprint = b64::encode(&Sha256::digest(canonical.as_bytes()));
        Self {
            thumbprint,
            sec1,
            key: crate::sync::Once::new(),
        }
    }

    fn from_verifying_key(key: VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        let mut sec1 = [0u8; 65];
        sec1.copy_from_slice(point.as_bytes());
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&sec1[1..33]);
        y.copy_from_slice(&sec1[33..]);
        let k = Self::from_coordinates(&x, &y);
        k.key.call_once(|| key);
        k
    }

    /// The `p256` verifying key (built on first use from the checked point).
    fn verifying_key(&self) -> Option<&VerifyingKey> {
        if let Some(k) = self.key.get() {
            return Some(k);
        }
        let k = VerifyingKey::from_sec1_bytes(&self.sec1).ok()?;
        Some(self.key.call_once(|| k))
    }

    /// Imports a JWK; rejects any curve but P-256 and points not on the curve.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        if jwk.kty != "EC" || jwk.crv != "P-256" {
            return Err(Error::BadKey("JWK is not an EC P-256 key"));
        }
        let x = b64::decode(jwk.x.as_bytes()).ok_or(Error::BadKey("JWK x is not base64url"))?;
        let y = b64::decode(jwk.y.as_bytes()).ok_or(Error::BadKey("JWK y is not base64url"))?;
        if x.len() != 32 || y.len() != 32 {
            return Err(Error::BadKey("JWK coordinates must be 32 bytes"));
        }
        let (Ok(x), Ok(y)) = (<[u8; 32]>::try_from(&x[..]), <[u8; 32]>::try_from(&y[..])) else {
            return Err(Error::BadKey("JWK coordinates must be 32 bytes"));
        };
        if !on_curve(&x, &y) {
            return Err(Error::BadKey("JWK point is not on P-256"));
        }
        Ok(Self::from_coordinates(&x, &y))
    }

    /// Imports a root key's JWK from its JSON text (configuration, not a signed document).
    ///
    /// Required: `kty` `"EC"`, `crv` `"P-256"`, `x`, `y`. Also accepted, as exported by WebCrypto
    /// and JOSE tools, and otherwise ignored: `alg` (only `"ES256"`), `use` (only `"sig"`),
    /// `key_ops` (an array of strings), `ext` (a boolean), `kid` (a string). Any other member,
    /// a private key's `d` above all, is `bad_key`. (An `org_key` inside a CML is a signed
    /// payload member and has exactly the four required members.)
    pub fn from_jwk_json(json: &str) -> Result<Self> {
        use crate::json::Value;
        let bad = Error::BadKey("not a P-256 public JWK object");
        let value = crate::json::parse(json.as_bytes()).map_err(|_| bad.clone())?;
        let Value::Object(members) = &value else {
            return Err(bad);
        };
        let mut jwk = Jwk::default();
        for (name, v) in members {
            match (name.as_ref(), v) {
                ("kty", Value::Str(s)) => jwk.kty = String::from(s.as_ref()),
                ("crv", Value::Str(s)) => jwk.crv = String::from(s.as_ref()),
                ("x", Value::Str(s)) => jwk.x = String::from(s.as_ref()),
                ("y", Value::Str(s)) => jwk.y = String::from(s.as_ref()),
                ("alg", Value::Str(s)) if s == "ES256" => {}
                ("use", Value::Str(s)) if s == "sig" => {}
                ("key_ops", Value::Array(ops))
                    if ops.iter().all(|o| matches!(o, Value::Str(_))) => {}
                ("ext", Value::Bool(_)) | ("kid", Value::Str(_)) => {}
                ("d", _) => {
                    return Err(Error::BadKey(
                        "a private key was given where a public key is expected",
                    ))
                }
                _ => return Err(bad),
            }
        }
        if jwk.x.is_empty() || jwk.y.is_empty() {
            return Err(bad);
        }
        Self::from_jwk(&jwk)
    }

    /// The uncompressed SEC1 encoding (65 bytes: 0x04, x, y).
    pub fn sec1_uncompressed(&self) -> &[u8; 65] {
        &self.sec1
    }

    /// Imports an uncompressed or compressed SEC1 point.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self::from_verifying_key)
            .map_err(|_| Error::BadKey("not a SEC1 P-256 point"))
    }

    /// Exports the key as a JWK.
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: b64::encode(&self.sec1[1..33]),
            y: b64::encode(&self.sec1[33..]),
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): the key id used for org keys.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The uncompressed SEC1 encoding (65 bytes).
    pub fn to_sec1(&self) -> Vec<u8> {
        self.sec1.to_vec()
    }

    /// Verifies a raw ES256 signature (64 bytes r||s, as in JWS) over `message`.
    pub fn verify_es256(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = Sha256::digest(message);
        self.verify_prehash(&digest, signature)
    }

    /// Verifies a raw 64-byte r||s signature over an already computed SHA-256 digest.
    pub fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.verifying_key()
            .is_some_and(|k| k.verify_prehash(digest, &sig).is_ok())
    }

    /// Imports an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of a P-256 key, as written by
    /// `openssl ec -pubout` (uncompressed or compressed point). Needs no `std`.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let point = crate::spki::point_from_pem(pem)
            .ok_or(Error::BadKey("not a P-256 SPKI PEM public key"))?;
        Self::from_sec1(&point).map_err(|_| Error::BadKey("not a P-256 SPKI PEM public key"))
    }

    /// Exports the key as SPKI PEM (uncompressed point, 64-character lines, LF endings).
    pub fn to_pem(&self) -> String {
        crate::spki::pem_from_point(&self.to_sec1())
    }

    /// Imports either a PEM public key or a JWK (JSON) — whichever the text is.
    pub fn from_pem_or_jwk(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk_json(text)
        } else {
            Self::from_pem(text)
        }
    }
}

/// A P-256 private key that issues documents with deterministic (RFC 6979) ES256 signatures.
#[derive(Clone)]
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print secret material.
        f.debug_struct("SigningKey")
            .field("kid", &self.public.thumbprint())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_inner(key: p256::ecdsa::SigningKey) -> Self {
        let public = PublicKey::from_verifying_key(*key.verifying_key());
        Self { key, public }
    }

    /// Builds a key from a 32-byte big-endian scalar (1 ..= n-1).
    pub fn from_bytes(scalar: &[u8; 32]) -> Result<Self> {
        p256::ecdsa::SigningKey::from_bytes(scalar.into())
            .map(Self::from_inner)
            .map_err(|_| Error::BadKey("scalar is zero or not below the group order"))
    }

    /// Derives a key deterministically from a seed (SHA-256 of the seed, re-hashed until valid).
    /// For test fixtures and reproducible vectors only — never for production keys.
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut digest: [u8; 32] = Sha256::digest(seed).into();
        loop {
            if let Ok(key) = Self::from_bytes(&digest) {
                return key;
            }
            digest = Sha256::digest(digest).into();
        }
    }

    /// Generates a fresh key from the operating system's random number generator.
    #[cfg(feature = "std")]
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; 32];
        loop {
            getrandom::getrandom(&mut bytes).map_err(|_| Error::BadKey("no OS randomness"))?;
            if let Ok(key) = Self::from_bytes(&bytes) {
                return Ok(key);
            }
        }
    }

    /// Imports a PKCS#8 PEM (`BEGIN PRIVATE KEY`) or SEC1 PEM (`BEGIN EC PRIVATE KEY`) private key.
    #[cfg(feature = "std")]
    pub fn from_pem(pem: &str) -> Result<Self> {
        use p256::pkcs8::DecodePrivateKey;
        let pem = pem.trim();
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::from_inner(key));
        }
        p256::SecretKey::from_sec1_pem(pem)
            .map(|sk| Self::from_inner(sk.into()))
            .map_err(|_| Error::BadKey("not a P-256 PKCS#8 or SEC1 PEM private key"))
    }

    /// Exports the key as PKCS#8 PEM. Treat the result as a secret.
    #[cfg(feature = "std")]
    pub fn to_pem(&self) -> String {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|s| String::from(s.as_str()))
            .unwrap_or_default()
    }

    /// The 32-byte secret scalar. Treat the result as a secret.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` with ES256 (RFC 6979 nonce); returns 64 bytes r||s (low-S not enforced).
    pub fn sign_es256(&self, message: &[u8]) -> [u8; 64] {
        use p256::ecdsa::signature::Signer;
        let sig: Signature = self.key.sign(message);
        sig.to_bytes().into()
    }
}
