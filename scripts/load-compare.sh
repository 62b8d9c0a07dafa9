#!/usr/bin/env bash
# Load figures of two server builds, back to back on one machine (not a test): scripts/load.sh
# for each binary on SQLite and on a throwaway PostgreSQL cluster (validate, heartbeat, create),
# then site creation starting from 1, 1,000 and 10,000 sites on SQLite. Prints one table.
#
#   scripts/load-compare.sh BEFORE_BIN AFTER_BIN
#
# Build the older binary from its commit in a worktree with its own target directory, e.g.
#   git worktree add --detach /tmp/hwf-before <commit>
#   (cd /tmp/hwf-before && CARGO_TARGET_DIR=/tmp/hwf-before-target cargo build --release -p hwf-license-server)
#   cargo build --release -p hwf-license-server
#   scripts/load-compare.sh /tmp/hwf-before-target/release/hwf-license target/release/hwf-license
#
# Environment: LOAD_DURATION (per run, default 10s), LOAD_SITE_COUNTS (default "1 1000 10000"),
# LOAD_COMPARE_PG (default 1; 0 skips PostgreSQL). Every run is bounded by LOAD_DURATION and
# sends traffic to 127.0.0.1 only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

[ $# -eq 2 ] || die "usage: scripts/load-compare.sh BEFORE_BIN AFTER_BIN"
before=$(realpath "$1")
after=$(realpath "$2")
[ -x "$before" ] && [ -x "$after" ] || die "both binaries must exist and be executable"
export LOAD_DURATION=${LOAD_DURATION:-10s}
counts=${LOAD_SITE_COUNTS:-1 1000 10000}
out=$(mktemp -d)
pg_dir=""
as_pg=()
cleanup() {
  if [ -n "$pg_dir" ]; then
    "${as_pg[@]}" pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  rm -rf "$out"
}
trap cleanup EXIT

# run LABEL DB [env...]: one load.sh run, its lines tagged "LABEL DB".
run() {
  local label=$1 db=$2
  shift 2
  local file="$out/$label-$db-$RANDOM.tsv"
  log "$label on $db ($*)"
  env "$@" LOAD_RESULTS="$file" bash scripts/load.sh >"$out/last.log" 2>&1 ||
    die "load.sh failed: $(tail -20 "$out/last.log")"
  sed "s/^/$label\t$db\t/" "$file" >>"$out/all.tsv"
}

for db in sqlite postgres; do
  if [ "$db" = postgres ]; then
    [ "${LOAD_COMPARE_PG:-1}" = 1 ] || continue
    have initdb && have pg_ctl && have createdb ||
      die "PostgreSQL (initdb, pg_ctl, createdb) not found: run scripts/install-deps.sh"
    pg_dir=$(mktemp -d)
    chmod 755 "$pg_dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$pg_dir"
      as_pg=(runuser -u postgres --)
    fi
    "${as_pg[@]}" initdb -D "$pg_dir/data" -A trust -U hwf >/dev/null
    port=$((20000 + RANDOM % 20000))
    "${as_pg[@]}" pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w \
      -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" \
      start >/dev/null || die "PostgreSQL did not start: $(tail -5 "$pg_dir/log")"
  fi
  for label in before after; do
    bin=$before
    [ "$label" = after ] && bin=$after
    if [ "$db" = postgres ]; then
      name="hwf_load_${label}_$RANDOM"
      createdb -h 127.0.0.1 -p "$port" -U hwf "$name"
      run "$label" "$db" LOAD_BIN="$bin" LOAD_DATABASE_URL="postgres://hwf@127.0.0.1:$port/$name"
    else
      run "$label" "$db" LOAD_BIN="$bin"
    fi
  done
done

for n in $counts; do
  for label in before after; do
    bin=$before
    [ "$label" = after ] && bin=$after
    run "$label" "sqlite@$n" LOAD_BIN="$bin" LOAD_SITES="$n" LOAD_ENDPOINTS=create
  done
done

log "results ($(nproc) cores shared by server and wrk, $LOAD_DURATION per run)"
printf '%-7s %-13s %-10s %12s %10s %10s\n' build database endpoint req/s p50 p99
sort -s -t$'\t' -k2,2 -k3,3 "$out/all.tsv" | awk -F'\t' '{printf "%-7s %-13s %-10s %12s %10s %10s\n", $1, $2, $3, $4, $5, $6}'
