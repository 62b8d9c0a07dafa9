//! The verifier seam: one small trait, "verify an ES256 signature over these bytes with this
//! key", and its backends. Everything else — which key, which document, every rule — stays in
//! core; a backend only does the elliptic-curve arithmetic.
//!
//! | backend | where | what |
//! |---------|-------|------|
//! | [`PureVerifier`] | always (`no_std`, wasm) | RustCrypto `p256` (constant-time, pure Rust) |
//! | `NativeVerifier` | feature `native` (`std` targets with a C compiler) | `ring`'s assembly P-256 |
//!
//! [`default_verifier`] is the native one when the feature is on, the pure one otherwise; the C,
//! Python and server builds turn `native` on.

use crate::keys::PublicKey;

/// Verifies ES256 (ECDSA P-256 with SHA-256, the 64-byte `r || s` signature of RFC 7518 §3.4).
pub trait Verifier: Send + Sync {
    /// Whether `signature` is valid for `message` under `key`. `digest` is SHA-256 of `message`,
    /// already computed by the caller (a backend may use either).
    fn verify(
        &self,
        key: &PublicKey,
        message: &[u8],
        digest: &[u8; 32],
        signature: &[u8; 64],
    ) -> bool;

    /// A short name for diagnostics and benchmarks.
    fn name(&self) -> &'static str;
}

/// The pure-Rust backend (`p256`).
#[derive(Clone, Copy, Debug, Default)]
pub struct PureVerifier;

impl Verifier for PureVerifier {
    fn verify(
        &self,
        key: &PublicKey,
        _message: &[u8],
        digest: &[u8; 32],
        signature: &[u8; 64],
    ) -> bool {
        key.verify_prehash(digest, signature)
    }

    fn name(&self) -> &'static str {
        "p256"
    }
}

/// The native backend (`ring`, assembly field arithmetic), feature `native`.
#[cfg(feature = "native")]
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeVerifier;

#[cfg(feature = "native")]
impl Verifier for NativeVerifier {
    fn verify(
        &self,
        key: &PublicKey,
        message: &[u8],
        _digest: &[u8; 32],
        signature: &[u8; 64],
    ) -> bool {
        // ring takes the message and hashes it itself; it has no pre-hashed ECDSA entry point.
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            key.sec1_uncompressed(),
        )
        .verify(message, signature)
        .is_ok()
    }

    fn name(&self) -> &'static str {
        "ring"
    }
}

/// The backend core uses: native when built with the `native` feature, pure otherwise.
pub fn default_verifier() -> &'static dyn Verifier {
    #[cfg(feature = "native")]
    {
        &NativeVerifier
    }
    #[cfg(not(feature = "native"))]
    {
        &PureVerifier
    }
}
