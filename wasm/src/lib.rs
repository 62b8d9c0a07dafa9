//! # hwf-license-wasm
//!
//! The WebAssembly binding of [`hwf_license`] for browsers and Node: verify a `site.lic`, a usage
//! manifest or a ledger export on the client, offline. Built with the wasm-bindgen CLI into an
//! npm package (`scripts/build-wasm.sh`; see `docs/WASM.md`).
//!
//! This crate holds no license logic. It translates JavaScript values into core types
//! ([`input`](crate::input)), calls core, and translates results into plain camelCase objects
//! ([`output`](crate::output)) and errors into a JS `LicenseError` (a real `Error` subclass with
//! core's stable `code` and `codeName`; [`error`](crate::error)). The TypeScript declarations of
//! those objects are in [`types`](crate::types).
//!
//! Core is built without `std`, so it has no clock and no randomness of its own: the binding
//! gives each validator a clock (the caller's function, or `Date.now()`) and a nonce seed (the
//! caller's, or `crypto.getRandomValues`), see [`clock`](crate::clock).
//!
//! Trusted root keys are accepted as SPKI PEM or JWK; core reads both without `std`, so the
//! module is built from core's `no_std` configuration.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod error;
mod input;
mod output;
mod types;
mod validator;
mod webcrypto;

pub use error::{error_code_name, ErrorCode};
pub use validator::{has_feature, key_thumbprint, Validator};

use wasm_bindgen::prelude::wasm_bindgen;

/// The version of the hwf-license core this package wraps.
#[wasm_bindgen]
pub fn version() -> String {
    hwf_license::VERSION.into()
}
