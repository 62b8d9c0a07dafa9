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
# LOAD_COMPARE_PG (default 1; 0 skips PostgreSQL), LOAD_ROUNDS (default 1: with more, every pair
# of runs is repeated, before and after alternating, and the table shows each figure's median and
# its range). Every run is bounded by LOAD_DURATION and sends traffic to 127.0.0.1 only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

[ $# -eq 2 ] || die "usage: scripts/load-compare.sh BEFORE_BIN AFTER_BIN"
before=$(realpath "$1")
after=$(realpath "$2")
[ -x "$before" ] && [ -x "$after" ] || die "both binaries must exist and be executable"
export LOAD_DURATION=${LOAD_DURATION:-10s}
counts=${LOAD_SITE_COUNTS:-1 1000 10000}
rounds=${LOAD_ROUNDS:-1}
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

port=""
for round in $(seq 1 "$rounds"); do
  for db in sqlite postgres; do
    if [ "$db" = postgres ]; then
      [ "${LOAD_COMPARE_PG:-1}" = 1 ] || continue
      have initdb && have pg_ctl && have createdb ||
        die "PostgreSQL (initdb, pg_ctl, createdb) not found: run scripts/install-deps.sh"
      if [ -z "$pg_dir" ]; then
        pg_dir=$(mktemp -d)
        chmod 755 "$pg_dir"
        if [ "$(id -u)" = 0 ]; then
          chown postgres "$pg_dir"
          as_pg=(runuser -u postgres --)
        fi
      fi
    fi
    if [ "$db" = postgres ] && [ -z "$port" ]; then
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
done

log "results ($(nproc) cores shared by server and wrk, $LOAD_DURATION per run, $rounds round(s): median [min–max])"
python3 - "$out/all.tsv" <<'PY'
import statistics, sys
def ms(v):  # wrk prints 850.00us, 2.18ms, 1.10s, 1.02m
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if v.endswith(suffix):
            return float(v[: -len(suffix)]) * factor
    return float(v)
rows = {}
order = []
for line in open(sys.argv[1]):
    build, db, endpoint, rps, p50, p99 = line.rstrip("\n").split("\t")
    key = (db, endpoint, build)
    if key not in rows:
        rows[key] = []
        order.append(key)
    rows[key].append((float(rps), ms(p50), ms(p99)))
def fmt(vals, digits):
    med = statistics.median(vals)
    if len(vals) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{min(vals):.{digits}f}–{max(vals):.{digits}f}]"
print(f"{'database':<13} {'endpoint':<10} {'build':<7} {'req/s':>26} {'p50 ms':>20} {'p99 ms':>22}")
for key in sorted(order, key=lambda k: (k[0], k[1], k[2] != "before")):
    v = rows[key]
    print(f"{key[0]:<13} {key[1]:<10} {key[2]:<7} {fmt([x[0] for x in v], 0):>26} "
          f"{fmt([x[1] for x in v], 2):>20} {fmt([x[2] for x in v], 2):>22}")
PY
