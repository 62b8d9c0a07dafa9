#!/usr/bin/env bash
# Core layer: formatting, lints, the whole Rust test suite, the no_std builds, vectors currency,
# and the Rust example. Assumes scripts/install-deps.sh has run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --exclude hwf-license-wasm --all-targets -- -D warnings
cargo clippy -p hwf-license-wasm --target wasm32-unknown-unknown -- -D warnings

log "no_std: hwf-license without default features on x86_64-unknown-none and wasm32-unknown-unknown"
cargo build -p hwf-license --no-default-features --target x86_64-unknown-none
cargo build -p hwf-license --no-default-features --target wasm32-unknown-unknown

log "conformance vectors are current"
cargo run -q -p hwf-license-vectors -- --check

log "cargo test: core, vectors generator, example, benches (compiled), ffi, uniffi"
cargo test -p hwf-license -p hwf-license-vectors -p hwf-license-example -p hwf-license-benches --all-targets

log "rustdoc (missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p hwf-license --no-deps

log "Rust example"
cargo run -q -p hwf-license-example
