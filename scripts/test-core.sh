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

# The run above builds core with the `native` (ring) backend, which the benches turn on and
# cargo unifies; this one builds core alone, with the pure-Rust backend no_std and wasm use.
log "cargo test: core alone (pure-Rust p256 backend): vectors, scenarios, hostile corpus, trust state, Wycheproof"
cargo test -p hwf-license --test vectors --test wycheproof --test hostile --test state --test documents --test pending

log "rustdoc (missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p hwf-license --no-deps

log "Rust example"
cargo run -q -p hwf-license-example
log "Rust example: the trust state kept across two runs refuses a clock set back"
state_dir=$(mktemp -d)
trap 'rm -rf "$state_dir"' EXIT
# 2026-01-01 + 100 days, then + 2 days.
cargo run -q -p hwf-license-example -- --state "$state_dir/node.state" --clock $((1767225600 + 100 * 86400)) >"$state_dir/run1.txt" ||
  { cat "$state_dir/run1.txt"; die "run 1 was refused"; }
grep -q "saved trust state" "$state_dir/run1.txt" || die "run 1 did not save its state"
[ "$(stat -c %a "$state_dir/node.state")" = 600 ] || die "the state file is not mode 0600"
status=0
cargo run -q -p hwf-license-example -- --state "$state_dir/node.state" --clock $((1767225600 + 2 * 86400)) >"$state_dir/run2.txt" || status=$?
cat "$state_dir/run2.txt" | tail -3
[ "$status" -eq 3 ] || die "run 2 with the clock set back exited $status, expected 3"
grep -q "clock_rollback" "$state_dir/run2.txt" || die "run 2 was not refused with clock_rollback"
info "run 2 (clock set back 98 days) refused: clock_rollback"
