//! Private keys at rest: sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
//! master secret. The database holds only sealed blobs, each bound to its row name as
//! associated data, so a copy of the database reveals no key and a blob moved to another row
//! does not open. Keys are never logged ([`SigningKey`]'s `Debug` shows only the key id).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use hkdf::Hkdf;
use hwf_license::SigningKey;
use sha2::Sha256;

use super::ServiceError;
use crate::config::MASTER_SECRET_ENV;
use crate::store::{secrets, Connection, Db};

/// Shortest accepted master secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;
const SEAL_VERSION: &str = "v1";

/// Seals and opens secrets with keys derived from the master secret.
#[derive(Clone)]
pub struct Sealer {
    aead: Aes256Gcm,
    jwt_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// Derives the sealing and token keys from `master_secret` (at least [`MIN_SECRET_LEN`]
    /// bytes; generate one with `hwf-license keys master-secret`).
    pub fn new(master_secret: &str) -> Result<Self, ServiceError> {
        if master_secret.len() < MIN_SECRET_LEN {
            return Err(ServiceError::Config(format!(
                "{MASTER_SECRET_ENV} must be at least {MIN_SECRET_LEN} bytes"
            )));
        }
        let hk = Hkdf::<Sha256>::new(Some(b"hwf-license-server v1"), master_secret.as_bytes());
        let mut seal_key = [0u8; 32];
        let mut jwt_key = [0u8; 32];
        hk.expand(b"keys at rest: aes-256-gcm", &mut seal_key)
            .and_then(|_| hk.expand(b"api tokens: hs256", &mut jwt_key))
            .map_err(|_| ServiceError::internal("hkdf expand"))?;
        Ok(Self {
            aead: Aes256Gcm::new(&seal_key.into()),
            jwt_key,
        })
    }

    /// A fresh random master secret (43 base64 characters, 256 bits).
    pub fn generate_secret() -> String {
        B64.encode(random_bytes::<32>())
    }

    /// The HS256 key for API tokens.
    pub fn jwt_key(&self) -> &[u8; 32] {
        &self.jwt_key
    }

    /// Seals `plaintext` bound to `name`: `v1.<base64(nonce || ciphertext || tag)>`.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<String, ServiceError> {
        let nonce = random_bytes::<12>();
        let ct = self
            .aead
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| ServiceError::internal("seal failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("{SEAL_VERSION}.{}", B64.encode(blob)))
    }

    /// Opens a blob sealed for `name`; fails on another master secret, name or any change.
    pub fn open(&self, name: &str, sealed: &str) -> Result<Vec<u8>, ServiceError> {
        let wrong = || ServiceError::SealedKey(name.into());
        let b64 = sealed
            .strip_prefix(SEAL_VERSION)
            .and_then(|s| s.strip_prefix('.'))
            .ok_or_else(wrong)?;
        let blob = B64.decode(b64).map_err(|_| wrong())?;
        if blob.len() < 12 + 16 {
            return Err(wrong());
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| wrong())?;
        self.aead
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| wrong())
    }

    /// Stores `key` sealed under `name` on `c` (a transaction, to store the key together with
    /// the rows that name it), replacing any previous one.
    pub async fn store_key(
        &self,
        c: &mut Connection,
        name: &str,
        key: &SigningKey,
        at: i64,
    ) -> Result<(), ServiceError> {
        let sealed = self.seal(name, &key.to_bytes())?;
        secrets::put(c, name, &sealed, &key.public_key().to_pem(), at).await?;
        Ok(())
    }

    /// Loads and opens the key stored under `name`, if any.
    pub async fn load_key(&self, db: &Db, name: &str) -> Result<Option<SigningKey>, ServiceError> {
        let Some(sealed) = secrets::sealed(&mut *db.conn().await?, name).await? else {
            return Ok(None);
        };
        let bytes = self.open(name, &sealed)?;
        let scalar: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| ServiceError::internal("sealed key has the wrong length"))?;
        Ok(Some(SigningKey::from_bytes(&scalar)?))
    }

    /// Loads the key under `name`, generating and storing a fresh one (at `at`) if there is
    /// none. Returns the key and whether it was generated now.
    pub async fn load_or_generate(
        &self,
        db: &Db,
        name: &str,
        at: i64,
    ) -> Result<(SigningKey, bool), ServiceError> {
        if let Some(k) = self.load_key(db, name).await? {
            return Ok((k, false));
        }
        let key = SigningKey::generate()?;
        let sealed = self.seal(name, &key.to_bytes())?;
        // Two processes starting at once: the first insert wins, both use the stored key.
        secrets::put_if_absent(
            &mut *db.conn().await?,
            name,
            &sealed,
            &key.public_key().to_pem(),
            at,
        )
        .await?;
        let stored = self
            .load_key(db, name)
            .await?
            .ok_or_else(|| ServiceError::internal("stored key vanished"))?;
        let generated = stored.public_key() == key.public_key();
        Ok((stored, generated))
    }
}

/// `N` bytes from the operating system's random number generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the OS random number generator is unavailable");
    b
}

/// A random identifier: `prefix` followed by 32 hex digits.
pub fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(random_bytes::<16>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blobs_open_only_with_the_same_secret_and_name() {
        let s = Sealer::new(&"s".repeat(32)).unwrap();
        let blob = s.seal("hub:org", b"secret scalar").unwrap();
        assert_eq!(s.open("hub:org", &blob).unwrap(), b"secret scalar");
        assert!(s.open("root:x", &blob).is_err());
        assert!(Sealer::new(&"t".repeat(32))
            .unwrap()
            .open("hub:org", &blob)
            .is_err());
        assert_ne!(
            blob,
            s.seal("hub:org", b"secret scalar").unwrap(),
            "fresh nonce"
        );
        // Any flipped character fails.
        let mut chars: Vec<char> = blob.chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        assert!(s
            .open("hub:org", &chars.into_iter().collect::<String>())
            .is_err());
        assert!(s.open("hub:org", "v1.").is_err());
        assert!(s.open("hub:org", "v2.AAAA").is_err());
    }

    #[test]
    fn short_master_secrets_are_refused_and_keys_differ_by_secret() {
        assert!(matches!(Sealer::new("short"), Err(ServiceError::Config(_))));
        let a = Sealer::new(&"a".repeat(32)).unwrap();
        let b = Sealer::new(&"b".repeat(32)).unwrap();
        assert_ne!(a.jwt_key(), b.jwt_key());
        assert!(Sealer::generate_secret().len() >= MIN_SECRET_LEN);
    }
}
