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
// On wasm32 the module links no std (nor std's panic machinery, which formats every panic's
// message and location): alloc, core, the allocator and panic handler below. Host builds (the
// unit tests) keep std.
#![cfg_attr(target_family = "wasm", no_std)]

extern crate alloc;

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

/// The module's allocator: talc's dynamic allocator for single-threaded WebAssembly, which grows
/// linear memory as needed (std's default on wasm32 is dlmalloc, several KB larger in the module;
/// docs/WASM.md "Size"). The module is built without atomics, so it never runs on two threads.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic (a bug: core and the binding return errors for every input) stops the module with
/// WebAssembly's `unreachable` trap, a `RuntimeError` in JavaScript, as std's `panic = "abort"`
/// did; its message is not formatted, so none of that code is in the module.
#[cfg(target_family = "wasm")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The version of the hwf-license core this package wraps.
#[wasm_bindgen]
pub fn version() -> alloc::string::String {
    hwf_license::VERSION.into()
}
