#!/usr/bin/env bash
# The PRD's end-to-end scenario: Root and Hub in one process over real HTTP on 127.0.0.1, on
# embedded SQLite in a temporary directory (nothing to install or configure). Extra arguments go
# to `hwf-license demo` (e.g. --json, --keep DIR).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
log "hwf-license demo"
cargo run --release -q -p hwf-license-server -- demo "$@"
