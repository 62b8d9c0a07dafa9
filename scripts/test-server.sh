#!/usr/bin/env bash
# Server layer: formatting and lints of the server crate, its layer check (imports point down, no
# module cycle, SQL only in store/), its unit and integration tests (real
# HTTP on 127.0.0.1, ephemeral ports) run twice — on embedded SQLite, then on a throwaway
# PostgreSQL cluster — the demo scenario, the web console in Chromium (scripts/test-console.sh),
# and schemathesis against the served OpenAPI document.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

log "cargo fmt --check (server)"
cargo fmt -p hwf-license-server -- --check

log "cargo clippy (server, all targets, -D warnings)"
cargo clippy -p hwf-license-server --all-targets -- -D warnings

log "layers: imports point down, no module cycle, SQL only in store/ (scripts/check-server-layers.sh)"
bash scripts/check-server-layers.sh

log "throwaway PostgreSQL for the PostgreSQL run"
have initdb && have pg_ctl ||
  die "PostgreSQL (initdb, pg_ctl) not found: run scripts/install-deps.sh (Debian package postgresql)"
pg_dir=$(mktemp -d)
chmod 755 "$pg_dir"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user for initdb"
  chown postgres "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" initdb -D "$pg_dir/data" -A trust -U hwf >/dev/null
pg_port=""
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  if "${as_pg[@]}" pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
    start >/dev/null; then
    pg_port=$port
    break
  fi
done
[ -n "$pg_port" ] || die "PostgreSQL did not start: $(tail -5 "$pg_dir/log")"
trap '"${as_pg[@]}" pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
info "PostgreSQL $("${as_pg[@]}" pg_ctl --version | awk '{print $NF}') on 127.0.0.1:$pg_port"
export HWF_TEST_POSTGRES_URL="postgres://hwf@127.0.0.1:$pg_port/postgres"

# The whole suite twice, same build: every test on SQLite, then every test on PostgreSQL.
log "cargo test (server, SQLite)"
HWF_TEST_DATABASE=sqlite cargo test -p hwf-license-server

log "cargo test (server, PostgreSQL)"
HWF_TEST_DATABASE=postgres cargo test -p hwf-license-server

log "rustdoc (missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p hwf-license-server --no-deps

log "demo scenario (debug build)"
cargo run -q -p hwf-license-server -- demo

log "web console in Chromium: scenario, axe, CSP, screenshots (scripts/test-console.sh)"
bash scripts/test-console.sh

log "schemathesis: every OpenAPI operation against a live, seeded server (scripts/test-api-schema.sh)"
bash scripts/test-api-schema.sh
