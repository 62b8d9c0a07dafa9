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
    let Some(y) = Option::<FieldElement>::from(FieldElement::from_bytes(y.into())) else {
        return false;
    };
    curve_rhs(x).is_some_and(|rhs| y.square() == rhs)
}

/// x³ − 3x + b for a field element x (< p).
fn curve_rhs(x: &[u8; 32]) -> Option<p256::FieldElement> {
    use p256::FieldElement;
    let (Some(x), Some(b)) = (
        Option::<FieldElement>::from(FieldElement::from_bytes(x.into())),
        Option::<FieldElement>::from(FieldElement::from_bytes(&P256_B.into())),
    ) else {
        return None;
    };
    Some(x.square() * x - (x.double() + x) + b)
}

/// The y of x on the curve: with `odd` given, the square root of x³ − 3x + b of that parity;
/// without, the smaller of the two roots (SEC1's compact form, as p256 reads it).
fn decompress_y(x: &[u8; 32], odd: Option<bool>) -> Option<[u8; 32]> {
    let root = Option::<p256::FieldElement>::from(curve_rhs(x)?.sqrt())?;
    let (y, neg): ([u8; 32], [u8; 32]) = (root.to_bytes().into(), (-root).to_bytes().into());
    let take_neg = match odd {
        Some(odd) => (y[31] & 1 == 1) != odd,
        None => neg < y,
    };
    Some(if take_neg { neg } else { y })
}

/// How many built p256 verifying keys are kept (see `PublicKey::verifying_key`).
pub(crate) const BUILT_KEYS: usize = 8;

/// The p256 verifying keys built last, by their uncompressed point, oldest first. A pure cache
/// of a function of the point: an entry can only ever be the key of its own point.
static BUILT: crate::sync::Mutex<Vec<([u8; 65], VerifyingKey)>> =
    crate::sync::Mutex::new(Vec::new());

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

    /// The `p256` verifying key (built on first use from the checked point). It is built from
    /// x and the parity of y (a field square root) rather than from the SEC1 bytes: p256's SEC1
    /// reading links, through one `expect`, the `Debug` of every `der` error (≈ 4.5 KB of the
    /// WASM module; docs/WASM.md "Size"). (x, y) was checked to be on the curve when the key was
    /// made, so the point of that x and parity is (x, y).
    ///
    /// The square root is paid once per point and process: the last [`BUILT_KEYS`] verifying
    /// keys built are kept by their exact point (a node sees few keys: its roots, its org's key),
    /// so a new validator with the same roots, or the same CML again, builds none (a sync cold
    /// validation in the WASM module otherwise pays two, ≈ 3–6 %; docs/PERFORMANCE.md).
    fn verifying_key(&self) -> Option<&VerifyingKey> {
        use p256::elliptic_curve::point::DecompressPoint;
        if let Some(k) = self.key.get() {
            return Some(k);
        }
        let known = BUILT
            .lock()
            .iter()
            .find(|(p, _)| *p == self.sec1)
            .map(|e| e.1);
        let k = match known {
            Some(k) => k,
            None => {
                let mut x = p256::FieldBytes::default();
                x.copy_from_slice(&self.sec1[1..33]);
                let odd = p256::elliptic_curve::subtle::Choice::from(self.sec1[64] & 1);
                let point =
                    Option::<p256::AffinePoint>::from(p256::AffinePoint::decompress(&x, odd))?;
                let k = VerifyingKey::from_affine(point).ok()?;
                let mut built = BUILT.lock();
                if built.len() >= BUILT_KEYS {
                    built.remove(0);
                }
                built.push((self.sec1, k));
                k
            }
        };
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

    /// Imports an uncompressed or compressed SEC1 point (or a compact one: `0x05` and x, y the
    /// smaller of its two roots).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        let bad = Error::BadKey("not a SEC1 P-256 point");
        let mut x = [0u8; 32];
        let y = match bytes {
            [0x04, xy @ ..] if xy.len() == 64 => {
                x.copy_from_slice(&xy[..32]);
                let mut y = [0u8; 32];
                y.copy_from_slice(&xy[32..]);
                if !on_curve(&x, &y) {
                    return Err(bad);
                }
                y
            }
            // Compressed (0x02 even y, 0x03 odd y), or compact (0x05: x alone).
            [tag @ (0x02 | 0x03 | 0x05), xs @ ..] if xs.len() == 32 => {
                x.copy_from_slice(xs);
                let odd = (*tag != 0x05).then_some(*tag == 0x03);
                decompress_y(&x, odd).ok_or(bad)?
            }
            _ => return Err(bad),
        };
        Ok(Self::from_coordinates(&x, &y))
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

#[cfg(test)]
mod tests {
    //! The SEC1 reading and the verifying key built from x and y's parity, against p256's own
    //! SEC1 reading (`VerifyingKey::from_sec1_bytes`) as the oracle.
    use super::*;
    use alloc::vec;

    /// Same verdict as p256, and on acceptance the same uncompressed point.
    fn same_as_p256(bytes: &[u8]) -> bool {
        let ours = PublicKey::from_sec1(bytes);
        let theirs = VerifyingKey::from_sec1_bytes(bytes);
        match (&ours, &theirs) {
            (Ok(k), Ok(v)) => assert_eq!(
                &k.sec1_uncompressed()[..],
                v.to_encoded_point(false).as_bytes(),
                "{bytes:02x?}"
            ),
            (Err(e), Err(_)) => assert_eq!(e.code(), crate::ErrorCode::BadKey),
            _ => panic!(
                "{bytes:02x?}: ours {:?}, p256 {:?}",
                ours.is_ok(),
                theirs.is_ok()
            ),
        }
        ours.is_ok()
    }

    #[test]
    fn sec1_points_read_as_p256_reads_them() {
        let mut accepted = 0;
        let mut tried = 0;
        for seed in 0u32..64 {
            let key = SigningKey::from_seed(&seed.to_le_bytes());
            let public = key.public_key();
            let full = public.to_sec1();
            let mut compressed = vec![0x02 | (full[64] & 1)];
            compressed.extend_from_slice(&full[1..33]);
            for point in [full.clone(), compressed.clone()] {
                tried += 1;
                accepted += usize::from(same_as_p256(&point));
                // Every byte changed (tag, x, y), and every length cut.
                for i in 0..point.len() {
                    for flip in [0x01, 0x80, 0xff] {
                        let mut bad = point.clone();
                        bad[i] ^= flip;
                        tried += 1;
                        accepted += usize::from(same_as_p256(&bad));
                    }
                }
                for len in 0..point.len() {
                    tried += 1;
                    same_as_p256(&point[..len]);
                }
            }
            // The other y of x: the point's negation, which is on the curve too.
            let mut other = compressed.clone();
            other[0] ^= 1;
            tried += 1;
            assert!(same_as_p256(&other));
            // The compact form: x alone.
            let mut compact = compressed.clone();
            compact[0] = 0x05;
            tried += 1;
            assert!(same_as_p256(&compact));
        }
        // Identity, x = p (not a field element), x = p - 1 and 0 and all ones, both parities.
        let p: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        let mut p_minus_1 = p;
        p_minus_1[31] = 0xfe;
        for x in [p, p_minus_1, [0u8; 32], [0xff; 32]] {
            for tag in [0x02, 0x03] {
                let mut point = vec![tag];
                point.extend_from_slice(&x);
                tried += 1;
                same_as_p256(&point);
            }
            let mut point = vec![0x04];
            point.extend_from_slice(&x);
            point.extend_from_slice(&x);
            tried += 1;
            same_as_p256(&point);
        }
        // The other SEC1 tags (compact 0x05 with x alone, hybrid 0x06/0x07) at every length
        // a point has.
        let x = SigningKey::from_seed(b"tags").public_key().to_sec1();
        for tag in [0x00, 0x01, 0x05, 0x06, 0x07] {
            for len in [32, 64] {
                let mut point = vec![tag];
                point.extend_from_slice(&x[1..1 + len]);
                tried += 1;
                same_as_p256(&point);
            }
        }
        tried += 1;
        assert!(!same_as_p256(&[0x00]));
        assert!(
            tried > 25_000 && accepted >= 3 * 64,
            "{tried} tried, {accepted} accepted"
        );
    }

    #[test]
    fn built_verifying_keys_are_kept_for_their_point_only_and_bounded() {
        let message = b"built keys";
        let signers: Vec<SigningKey> = (0u8..20)
            .map(|i| SigningKey::from_seed(&[b'k', i]))
            .collect();
        for (i, signer) in signers.iter().enumerate() {
            let signature = signer.sign_es256(message);
            // A fresh copy of the key (nothing of it built), twice: the second is from the memo.
            for _ in 0..2 {
                let key = PublicKey::from_sec1(&signer.public_key().to_sec1()).unwrap();
                assert!(key.verify_es256(message, &signature), "key {i}");
                // Another key's signature never verifies with it, memo or not.
                let other = signers[(i + 1) % signers.len()].sign_es256(message);
                assert!(!key.verify_es256(message, &other), "key {i}");
            }
            assert!(BUILT.lock().len() <= BUILT_KEYS);
        }
        let built = BUILT.lock();
        for (point, key) in built.iter() {
            assert_eq!(key.to_encoded_point(false).as_bytes(), &point[..]);
        }
    }

    #[test]
    fn keys_read_from_sec1_verify_what_their_signing_key_signed() {
        for seed in 0u32..16 {
            let key = SigningKey::from_seed(&seed.to_le_bytes());
            let sig = key.sign_es256(b"message");
            let full = key.public_key().to_sec1();
            let mut compressed = vec![0x02 | (full[64] & 1)];
            compressed.extend_from_slice(&full[1..33]);
            for point in [full, compressed] {
                let public = PublicKey::from_sec1(&point).unwrap();
                assert!(public.verify_es256(b"message", &sig));
                assert!(!public.verify_es256(b"messagf", &sig));
            }
        }
    }
}
