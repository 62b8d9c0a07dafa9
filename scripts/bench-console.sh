#!/usr/bin/env bash
# Server-side render times of the web console with 10,000 sites (a measurement, not a test; not
# part of scripts/test-all.sh): runs the ignored test bench_console_pages_with_10000_sites of
# server/tests/console.rs in a release build on SQLite and prints p50/p95/max per page (30
# requests each over loopback, the time from request to the last byte). The browser's page
# load times are printed by scripts/test-console.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
log "console render times, 10,000 sites (release build)"
HWF_TEST_DATABASE=sqlite cargo test -q --release -p hwf-license-server --test console \
  bench_console_pages_with_10000_sites -- --ignored --nocapture
log "the Root console's render times, 301 orgs, 3,601 received manifests, 10,000 sites (release build)"
HWF_TEST_DATABASE=sqlite cargo test -q --release -p hwf-license-server --test console_root \
  bench_root_pages_with_many_orgs_and_10000_sites -- --ignored --nocapture
