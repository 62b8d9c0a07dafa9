#!/usr/bin/env bash
# The web console in a browser (issue 19): builds the server (debug), then runs
# server/tests/console/scenario.mjs, part2.mjs and root.mjs (the Root console) in Debian's Chromium through playwright-core — the
# requirements' scenario through the console only, axe-core on every page (fails on serious or
# critical violations), a CSP-enforced pass that fails on any violation or console error,
# screenshots at 1280 and 390 px in target/console-screenshots/ (not committed), page load
# times, and the database checked with sqlite3. Called by scripts/test-server.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

[ -x /usr/bin/chromium ] || die "Chromium not found: run scripts/install-deps.sh (Debian package chromium)"
have sqlite3 || die "sqlite3 not found: run scripts/install-deps.sh (Debian package sqlite3)"
[ -f .tools/node/node_modules/axe-core/axe.min.js ] && [ -d .tools/node/node_modules/playwright-core ] ||
  die "axe-core or playwright-core missing in .tools/node: run scripts/install-deps.sh"

log "cargo build (server, debug)"
cargo build -q -p hwf-license-server

start=$SECONDS
log "console scenario in Chromium (server/tests/console/scenario.mjs)"
rm -rf target/console-screenshots
node server/tests/console/scenario.mjs
info "console scenario took $((SECONDS - start)) s"
start=$SECONDS
log "console part 2 pages in Chromium (server/tests/console/part2.mjs: statistics, PDF via pdftoppm/pdftotext, ledger, audit, users, alerts)"
have pdftoppm && have pdftotext || die "pdftoppm/pdftotext not found: run scripts/install-deps.sh (Debian package poppler-utils)"
node server/tests/console/part2.mjs
info "console part 2 took $((SECONDS - start)) s"
start=$SECONDS
log "the Root's console in Chromium (server/tests/console/root.mjs: a CML issued through its preview, uploaded by the Hub, the month's manifest on the Root's org page)"
node server/tests/console/root.mjs
info "Root console took $((SECONDS - start)) s; screenshots: $(ls target/console-screenshots | wc -l) in target/console-screenshots/"
