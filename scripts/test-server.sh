#!/usr/bin/env bash
# Server layer: formatting and lints of the server crate, its unit and integration tests (real
# HTTP on 127.0.0.1, ephemeral ports, embedded SQLite), and the demo scenario.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

log "cargo fmt --check (server)"
cargo fmt -p hwf-license-server -- --check

log "cargo clippy (server, all targets, -D warnings)"
cargo clippy -p hwf-license-server --all-targets -- -D warnings

log "cargo test (server)"
cargo test -p hwf-license-server

log "rustdoc (missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p hwf-license-server --no-deps

log "demo scenario (debug build)"
cargo run -q -p hwf-license-server -- demo
