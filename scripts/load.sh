#!/usr/bin/env bash
# Load benchmark of the Hub (not a test; not part of scripts/test-all.sh). Builds the release
# binary, starts `hwf-license serve --role both` on a fresh SQLite database (or on the empty
# PostgreSQL database in LOAD_DATABASE_URL), installs a CML and 50 sites (one revoked), then runs wrk on
# loopback, LOAD_DURATION each, and prints requests/s and p50/p99 latency per endpoint:
#
#   validate   POST /api/validate            a valid site.lic + facts (the cached chain)
#   heartbeat  POST /api/sites/{id}/heartbeat a fresh nonce per request, over the 50 sites
#   create     POST /api/sites/create        a unique site_id per request (admin token)
#
# Per-IP rate limits are off (--rate-limit-node 0 --rate-limit-login 0): all load comes from
# 127.0.0.1. Needs wrk and python3 (scripts/install-deps.sh).
#
#   scripts/load.sh                                  # SQLite
#   LOAD_DATABASE_URL=postgres://u@host/empty scripts/load.sh
#   LOAD_THREADS=2 LOAD_CONNECTIONS=32 LOAD_DURATION=30s scripts/load.sh
#
# More knobs (scripts/load-compare.sh uses them to compare two builds):
#   LOAD_BIN=path/to/hwf-license   run this binary instead of building one
#   LOAD_SITES=N                   sites created before the runs (default 50; one of them is
#                                  revoked when N >= 2), so `create` is measured from N sites on
#   LOAD_ENDPOINTS="validate heartbeat create"   which runs, in order
#   LOAD_RESULTS=file              also append one tab-separated line per run:
#                                  endpoint, req/s, p50, p99
#   LOAD_NODE_LIMIT=RATE           --rate-limit-node (default 0, off); a rate no run reaches,
#                                  e.g. 1000000/s:1000000, measures what the limiter costs
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

threads=${LOAD_THREADS:-2}
connections=${LOAD_CONNECTIONS:-32}
duration=${LOAD_DURATION:-30s}
sites=${LOAD_SITES:-50}
endpoints=${LOAD_ENDPOINTS:-validate heartbeat create}
[ "$sites" -ge 1 ] 2>/dev/null || die "LOAD_SITES must be at least 1"

have wrk || die "wrk not found: run scripts/install-deps.sh"
have python3 || die "python3 not found"

if [ -n "${LOAD_BIN:-}" ]; then
  bin=$LOAD_BIN
  [ -x "$bin" ] || die "LOAD_BIN=$bin is not an executable"
else
  log "cargo build --release (server)"
  cargo build -q --release -p hwf-license-server
  target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  bin="$target_dir/release/hwf-license"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export HWF_MASTER_SECRET="load-benchmark-master-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export HWF_ADMIN_PASSWORD="load-benchmark-admin-password"
db_args=(--data-dir "$work/data")
if [ -n "${LOAD_DATABASE_URL:-}" ]; then
  db_args+=(--database-url "$LOAD_DATABASE_URL")
  where="PostgreSQL"
else
  where="SQLite"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

log "hwf-license serve on $where, $base"
# Plain HTTP on loopback, every wrk connection admitted and queued: a binary from before issue 16
# (LOAD_BIN, load-compare.sh) has none of these options and serves plain HTTP anyway.
transport=()
if "$bin" serve --help 2>/dev/null | grep -- --insecure-http >/dev/null; then
  transport=(--insecure-http --rate-limit-public 0 --max-connections-per-ip 4096 --verify-queue 4096)
fi
"$bin" "${db_args[@]}" serve --role both "${transport[@]}" --listen "127.0.0.1:$port" --root-url "$base" \
  --rate-limit-node "${LOAD_NODE_LIMIT:-0}" --rate-limit-login 0 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 200); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$base/api/health" 2>/dev/null; then
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(tail -5 "$work/server.log")"
  sleep 0.1
done

log "setup: org key, CML (max_sites 100000, core's largest), $sites site(s), one of them revoked when 2 or more"
"$bin" "${db_args[@]}" keys org --out "$work/org.pem" >/dev/null
python3 - "$base" "$work" "$sites" <<'PY'
import json, sys, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
base, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")
    try:
        return json.loads(text)
    except ValueError:
        return text

def totp(secret):
    """The current RFC 6238 code of a base32 secret, as an authenticator app computes it."""
    import base64, hashlib, hmac, struct, time
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)

def enrol(realm):
    """Signs the realm's first admin in and enrols TOTP: a token with a fresh second factor."""
    t = call("POST", "/api/auth/login", {"username": "admin", "realm": realm,
             "password": "load-benchmark-admin-password"})["token"]
    secret = call("POST", "/api/auth/totp/enrol", None, t)["secret"]
    return call("POST", "/api/auth/totp/confirm", {"code": totp(secret)}, t)["login"]["token"]

token = enrol("hub")
root_token = enrol("root")
org_key = open(f"{work}/org.pem").read()
cml = call("POST", "/api/root/cml", {
    "org_id": "load", "org_key": org_key, "max_sites": 100_000, "valid_days": 365,
    "feature_packs": ["analytics"], "environment": "prod"}, root_token)["cml"]
call("POST", "/api/cml/upload", {"cml": cml}, token)
def create(i):
    site = f"node-{i:02d}"
    created = call("POST", "/api/sites/create", {
        "site_id": site, "features": ["analytics"],
        "fingerprint": {"deployment_tag": site}}, token)
    return site, created
with ThreadPoolExecutor(8) as pool:
    made = list(pool.map(create, range(n)))
lines = [f"{site} {created['site']['license_id']}" for site, created in made]
site0, created0 = made[0]
body = {"license": created0["license"], "facts": {"deployment_tag": site0}}
# One revoked site, so that validation applies a real revocation list, as on a live Hub.
if n >= 2:
    call("DELETE", f"/api/sites/{made[-1][0]}", None, token)
    lines.pop()
# The body must validate: a failing license would measure the error path.
verdict = call("POST", "/api/validate", body)
assert verdict["status"] == "valid", verdict
open(f"{work}/validate.json", "w").write(json.dumps(body))
open(f"{work}/sites.txt", "w").write("\n".join(lines) + "\n")
open(f"{work}/token", "w").write(token)
PY

cat >"$work/validate.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("LOAD_WORK") .. "/validate.json"))
wrk.body = f:read("*a")
f:close()
LUA

cat >"$work/heartbeat.lua" <<'LUA'
-- One heartbeat per request: a site from sites.txt in turn, its license id, a fresh nonce.
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
end
local sites, n = {}, 0
function init(args)
  math.randomseed(os.time() * 1000 + tid)
  for line in io.lines(os.getenv("LOAD_WORK") .. "/sites.txt") do
    local site, license = line:match("^(%S+) (%S+)$")
    sites[#sites + 1] = { site = site, license = license }
  end
end
local headers = { ["Content-Type"] = "application/json" }
function request()
  n = n + 1
  local s = sites[(n + tid) % #sites + 1]
  local nonce = string.format("nonce-%02d-%010d-%08x", tid, n, math.random(0, 0x7fffffff))
  local body = '{"license_id":"' .. s.license .. '","nonce":"' .. nonce .. '"}'
  return wrk.format("POST", "/api/sites/" .. s.site .. "/heartbeat", headers, body)
end
local failures = 0
function response(status, headers, body)
  if status >= 300 then
    failures = failures + 1
    if failures == 1 then
      io.stderr:write(string.format("first failure: %d %s\n", status, body))
    end
  end
end
LUA

cat >"$work/create.lua" <<'LUA'
-- One new site per request: a unique site_id (run, thread, counter).
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
end
local n = 0
local headers
function init(args)
  local f = assert(io.open(os.getenv("LOAD_WORK") .. "/token"))
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. f:read("*a") }
  f:close()
  run = os.getenv("LOAD_RUN")
end
function request()
  n = n + 1
  local body = string.format('{"site_id":"load-%s-%d-%d"}', run, tid, n)
  return wrk.format("POST", "/api/sites/create", headers, body)
end
local failures = 0
function response(status, headers, body)
  if status >= 300 then
    failures = failures + 1
    if failures == 1 then
      io.stderr:write(string.format("first failure: %d %s\n", status, body))
    end
  end
end
LUA

export LOAD_WORK="$work" LOAD_RUN="$$"
results=()
bench() { # name lua path
  local name=$1 lua=$2 path=$3
  log "wrk $name: -t$threads -c$connections -d$duration --latency"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "$base$path" \
    >"$work/$name.out" 2>"$work/$name.err" || die "wrk $name failed: $(cat "$work/$name.err")"
  sed 's/^/   /' "$work/$name.err" >&2
  sed 's/^/   /' "$work/$name.out" >&2
  if grep -q "Non-2xx or 3xx responses" "$work/$name.out"; then
    tail -n 20 "$work/server.log" | sed 's/^/   server: /' >&2
    die "$name: some answers were not 2xx (see above)"
  fi
  results+=("$(awk -v n="$name" '
    /Requests\/sec/ {rps=$2}
    $1=="50%" {p50=$2}
    $1=="99%" {p99=$2}
    END {printf "%-10s %10s req/s   p50 %8s   p99 %8s", n, rps, p50, p99}' "$work/$name.out")")
  if [ -n "${LOAD_RESULTS:-}" ]; then
    awk -v n="$name" '
      /Requests\/sec/ {rps=$2}
      $1=="50%" {p50=$2}
      $1=="99%" {p99=$2}
      END {printf "%s\t%s\t%s\t%s\n", n, rps, p50, p99}' "$work/$name.out" >>"$LOAD_RESULTS"
  fi
}
for e in $endpoints; do
  case $e in
    validate) bench validate "$work/validate.lua" /api/validate ;;
    heartbeat) bench heartbeat "$work/heartbeat.lua" /api/sites/node-00/heartbeat ;;
    create) bench create "$work/create.lua" /api/sites/create ;;
    *) die "unknown endpoint $e (validate, heartbeat, create)" ;;
  esac
done

created=$(python3 - "$base" "$work" <<'PY'
import json, sys, urllib.request
base, work = sys.argv[1], sys.argv[2]
req = urllib.request.Request(base + "/api/ledger/verify")
req.add_header("authorization", "Bearer " + open(f"{work}/token").read())
v = json.load(urllib.request.urlopen(req))
assert v["ok"], v
print(v["length"])
PY
)

log "results ($where, $(nproc) cores shared by server and wrk, wrk -t$threads -c$connections -d$duration)"
for r in "${results[@]}"; do
  printf '%s\n' "$r"
done
info "ledger verifies after the run: $created entries"
