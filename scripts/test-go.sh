#!/usr/bin/env bash
# Go layer: builds libvalidate once (release), installs it into a private prefix found through
# pkg-config, then for bindings/go (package hwflicense): gofmt, go vet, go test (every
# conformance vector, every documents.json vector, every trust-state scenario, the API
# contract, options and the trust state, the runnable godoc examples), the same linked
# statically (-tags validate_static), the race detector over the concurrency, state, scenario
# and vector tests; then builds examples/go (dynamic and static) and checks its verdicts and
# exit codes, and two runs sharing a trust state file (the second, with the clock set back, is
# refused with clock_rollback). Go is Debian's golang-go, stdlib only, offline (GOPROXY=off).
# Assumes scripts/install-deps.sh ran.
#
#   scripts/test-go.sh           everything above; last line "test-go: N passed, M failed"
#   scripts/test-go.sh --bench   also: go test -bench (a bare cgo call, the C API alone from Go,
#                                the Go API), printed beside the Rust figures of
#                                scripts/test-c.sh --bench when those exist; and validations
#                                per second on one validator from 1, 2 and 4 goroutines
#                                (b.RunParallel with -cpu 1,2,4); and the standard-library
#                                peer (benches/peers/go: Validate cold and cached against
#                                crypto/ecdsa + encoding/json on valid/basic), with the
#                                ours/peer ratios, and the same as PEER_ROUNDS (default 25)
#                                interleaved rounds in one process, median of the ratios
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

BENCH=0
for arg in "$@"; do
  case "$arg" in
    --bench) BENCH=1 ;;
    *) die "unknown argument: $arg (usage: $0 [--bench])" ;;
  esac
done

for tool in go gcc pkg-config python3; do
  have "$tool" || die "$tool not found: run scripts/install-deps.sh"
done

TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
OUT="$TARGET_DIR/go"
PREFIX="$OUT/prefix"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off GO111MODULE=on
export GOCACHE="$OUT/cache"
export CGO_ENABLED=1
passed=0
failed=0
failures=()

step() {
  local name=$1
  shift
  log "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
    warn "FAILED: $name"
  fi
}

expect_status() {
  local want=$1 got=0
  shift
  "$@" >"$OUT/last.out" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$OUT/last.out" >&2
    echo "exit status $got, expected $want: $*" >&2
    return 1
  fi
}

mkdir -p "$OUT"
rm -rf "$OUT/bin" "$OUT/data"
mkdir -p "$OUT/bin" "$OUT/data"
info "$(go version)"

log "cargo build --release -p hwf-license-ffi"
cargo build --release -q -p hwf-license-ffi || die "cargo build failed"
# A fixed prefix: Go caches compiled cgo packages with pkg-config's flags.
bash scripts/install-libvalidate.sh "$PREFIX" --no-build >/dev/null || die "install failed"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
export LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
info "libvalidate $(pkg-config --modversion validate) in $PREFIX"

gofmt_clean() {
  local out
  out=$(gofmt -l bindings/go examples/go) || return 1
  [ -z "$out" ] || { echo "not gofmt'ed: $out" >&2; return 1; }
}
step "gofmt" gofmt_clean
step "go vet (bindings/go, examples/go)" \
  bash -c 'cd bindings/go && go vet ./... && cd ../../examples/go && go vet ./...'

go_test() {
  local log_file="$OUT/test.log"
  (cd bindings/go && go test -count=1 -v "$@" .) >"$log_file" 2>&1
  local status=$?
  grep -E '^(--- FAIL|FAIL|ok|panic)|conformance|documents:|scenarios:' "$log_file" >&2
  [ $status -eq 0 ] || { grep -B2 -A20 -- '--- FAIL' "$log_file" | head -80 >&2; return 1; }
  local vectors
  vectors=$(grep -c -- '--- PASS: TestVectors/' "$log_file")
  local total
  total=$(python3 -c 'import json; print(len(json.load(open("testdata/vectors/vectors.json"))["vectors"]))')
  local scenarios scenario_total
  scenarios=$(grep -c -- '--- PASS: TestScenarios/' "$log_file")
  scenario_total=$(python3 -c 'import json; print(len(json.load(open("testdata/vectors/scenarios.json"))["scenarios"]))')
  info "$vectors of $total vectors and $scenarios of $scenario_total scenarios passed; $(grep -c -- '^--- PASS' "$log_file") top-level tests and examples passed"
  [ "$vectors" = "$total" ] || { echo "ran $vectors vectors of $total" >&2; return 1; }
  [ "$scenarios" = "$scenario_total" ] || { echo "ran $scenarios scenarios of $scenario_total" >&2; return 1; }
}
step "go test: every vector, documents, API, examples (libvalidate.so)" go_test
step "go test -tags validate_static (libvalidate.a)" go_test -tags validate_static
step "go test -race (concurrency, close, finalizers, state, scenarios, vectors)" \
  bash -c 'cd bindings/go && go test -count=1 -race -run "Goroutines|Close|Finalizers|State|Options|Scenarios|Vectors" . >&2'

build_example() {
  (cd examples/go && go build -o "$OUT/bin/site-node" . &&
    go build -tags validate_static -o "$OUT/bin/site-node-static" .) || return 1
  ! ldd "$OUT/bin/site-node-static" | grep libvalidate >/dev/null ||
    { echo "site-node-static loads libvalidate.so" >&2; return 1; }
  ldd "$OUT/bin/site-node" | grep "libvalidate.so.0 => $PREFIX/lib/" >/dev/null ||
    { echo "site-node does not load $PREFIX/lib/libvalidate.so.0" >&2; return 1; }
}
step "build examples/go: dynamic and static" build_example

example_runs() {
  python3 - "$OUT/data" <<'PY' || return 1
import json, sys
out = sys.argv[1]
d = json.load(open("testdata/vectors/vectors.json", encoding="utf-8"))
by_name = {v["name"]: v for v in d["vectors"]}
for name, file in [("valid/all-fingerprint-fields", "site.lic"), ("time/grace-end-exact", "expired.lic"),
                   ("time/grace-middle", "grace.lic"), ("valid/year-9999", "long.lic")]:
    open(f"{out}/{file}", "w", encoding="utf-8").write(by_name[name]["license"])
    open(f"{out}/{file}.now", "w").write(str(by_name[name]["now"]))
root = d["roots"]["root-prod-1"]
open(f"{out}/root.pem", "w").write(root["pem"])
open(f"{out}/root.jwk", "w").write(json.dumps(root["jwk"]))
PY
  local d="$OUT/data"
  local facts=(--address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue)
  local now grace_now expired_now
  now=$(cat "$d/site.lic.now") grace_now=$(cat "$d/grace.lic.now") expired_now=$(cat "$d/expired.lic.now")
  for bin in site-node site-node-static; do
    info "$bin"
    local b="$OUT/bin/$bin"
    expect_status 0 "$b" --now "$now" "${facts[@]}" --feature analytics "$d/site.lic" || return 1
    grep -q "^site  *site-berlin-01$" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 3 "$b" --now "$now" "${facts[@]}" --feature boost "$d/site.lic" || return 1
    expect_status 1 "$b" --now "$now" "$d/site.lic" || return 1
    grep -q "address_mismatch (400)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 1 "$b" --now "$expired_now" "${facts[@]}" "$d/expired.lic" || return 1
    grep -q "expired (301)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 0 "$b" --now "$grace_now" "${facts[@]}" "$d/grace.lic" || return 1
    grep -q "IN GRACE" "$OUT/last.out" && grep -q "WARNING.*in_grace" "$OUT/last.out" ||
      { cat "$OUT/last.out" >&2; return 1; }
    expect_status 0 "$b" --root "$d/root.jwk" --now "$now" "${facts[@]}" "$d/site.lic" || return 1
    expect_status 1 "$b" --root "$d/root.pem" --kid other --now "$now" "${facts[@]}" "$d/site.lic" || return 1
    grep -q "unknown_key_id (106)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 2 "$b" "$d/missing.lic" || return 1
    expect_status 2 "$b" || return 1
    state_runs "$b" || return 1
  done
  "$OUT/bin/site-node" --show-root | cmp -s - "$d/root.pem" ||
    { echo "the example's built-in root is not testdata's root-prod-1" >&2; return 1; }
}
# state_runs BINARY: two runs sharing a trust state file; the second, with the clock set back
# from day 299 to day 2 (of 2026), is refused with clock_rollback. Without the file the same
# second run is accepted; a corrupt file stops the node (exit 2, bad_state).
state_runs() {
  local b=$1 d="$OUT/data" state="$OUT/data/node.state"
  local day299=$((1767225600 + 299 * 86400)) day2=$((1767225600 + 2 * 86400))
  local facts=(--address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue)
  rm -f "$state"
  expect_status 0 "$b" --state "$state" --clock "$day299" "${facts[@]}" "$d/long.lic" || return 1
  grep -q "^state .*(saved, " "$OUT/last.out" && [ -f "$state" ] ||
    { cat "$OUT/last.out" >&2; echo "run 1 saved no state" >&2; return 1; }
  [ "$(stat -c %a "$state")" = 600 ] || { echo "the state file is not mode 0600" >&2; return 1; }
  expect_status 1 "$b" --state "$state" --clock "$day2" "${facts[@]}" "$d/long.lic" || return 1
  grep -q "clock_rollback (302)" "$OUT/last.out" && grep -q "clock floor $day299" "$OUT/last.out" ||
    { cat "$OUT/last.out" >&2; echo "run 2 was not refused with clock_rollback" >&2; return 1; }
  expect_status 0 "$b" --clock "$day2" "${facts[@]}" "$d/long.lic" || return 1
  printf 'hwf-trust-state 1\ngarbage\n' >"$state"
  expect_status 2 "$b" --state "$state" --clock "$day299" "${facts[@]}" "$d/long.lic" || return 1
  grep -q "bad_state (111)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
  rm -f "$state"
}
step "examples/go: verdicts and exit codes, trust state across two runs (dynamic, static)" example_runs

peer_test() {
  (cd benches/peers/go && test -z "$(gofmt -l .)" && go vet . && go test -count=1 -run . . >&2)
}
step "benches/peers/go: gofmt, vet, the peer verifies valid/basic and refuses it tampered" peer_test

if [ "$BENCH" = 1 ]; then
  peer_bench() {
    local log_file="$OUT/peer-bench.log"
    (cd benches/peers/go && go test -run '^$' -bench . -benchmem -benchtime "${BENCH_TIME:-2s}" -count 3 .) \
      >"$log_file" 2>&1 || { cat "$log_file" >&2; return 1; }
    sed 's/^/   /' "$log_file"
    python3 - "$log_file" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        runs.setdefault(m.group(1), []).append(float(m.group(2)))
med = {k: statistics.median(v) for k, v in runs.items()}
peer = med["PeerStdlib"]
for name in ["OursCold", "OursCached", "PeerStdlib"]:
    print(f"   {name:<12} {med[name]:10.0f} ns/op (median of {len(runs[name])})   {med[name] / peer:5.2f}x the standard-library peer")
PY
  }
  step "bench: Go peer (benches/peers/go): ours cold and cached vs crypto/ecdsa + encoding/json" peer_bench
  # The figure to trust on a shared machine: interleaved rounds in one process, median of ratios.
  peer_ratio() {
    (cd benches/peers/go && HWF_PEER_ROUNDS="${PEER_ROUNDS:-25}" go test -count=1 -run '^TestPeerRatio$' -v .) \
      >"$OUT/peer-ratio.log" 2>&1 || { cat "$OUT/peer-ratio.log" >&2; return 1; }
    grep -E '^(round|ours)' "$OUT/peer-ratio.log" | sed 's/^/   /'
  }
  step "bench: Go peer, ${PEER_ROUNDS:-25} interleaved rounds (HWF_PEER_ROUNDS): median of ours cold / peer" peer_ratio

  bench() {
    local log_file="$OUT/bench.log"
    (cd bindings/go && go test -run '^$' -bench . -benchtime "${BENCH_TIME:-2s}" -count 3 .) \
      >"$log_file" 2>&1 || { cat "$log_file" >&2; return 1; }
    python3 - "$log_file" "$TARGET_DIR/criterion" <<'PY'
import json, os, re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        runs.setdefault(m.group(1), []).append(float(m.group(2)))
go = {k: statistics.median(v) for k, v in runs.items()}
def crit(name):
    p = os.path.join(sys.argv[2], "c-crossing", name, "new", "estimates.json")
    return json.load(open(p))["median"]["point_estimate"] if os.path.exists(p) else None
core, lv = crit("core"), crit("lv_validate")
raw = go.get("ValidateRawC")
for name in ["CgoCrossing", "HasFeature", "ValidateRawC", "Validate", "ValidateHasFeature"]:
    t = go.get(name)
    if t is None:
        continue
    extra = f"   {t / raw:5.2f}x the C API from Go" if raw and name.startswith("Validate") else ""
    if core and name.startswith("Validate"):
        extra += f"   {t / core:5.2f}x core in Rust"
    print(f"   Go {name:<22} {t:8.0f} ns{extra}")
if core:
    print(f"   Rust core Validator::validate {core:6.0f} ns;  lv_validator_validate from Rust {lv:6.0f} ns "
          f"({lv / core:4.2f}x)   [criterion, scripts/test-c.sh --bench]")
else:
    print("   (no criterion figures: run scripts/test-c.sh --bench for the Rust side)")
PY
  }
  step "bench: go test -bench, with the Rust figures" bench
  parallel_bench() {
    local log_file="$OUT/bench-parallel.log"
    (cd bindings/go && go test -run '^$' -bench 'Parallel$' -cpu 1,2,4 -benchtime "${BENCH_TIME:-2s}" -count 3 .) \
      >"$log_file" 2>&1 || { cat "$log_file" >&2; return 1; }
    python3 - "$log_file" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\S+?Parallel)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        runs.setdefault((m.group(1), int(m.group(2) or 1)), []).append(float(m.group(3)))
for name in ["ValidateParallel", "ValidateNowParallel"]:
    one = None
    for cpu in [1, 2, 4]:
        t = statistics.median(runs.get((name, cpu), [0])) or None
        if t is None:
            continue
        rate = 1e9 / t
        one = one or rate
        print(f"   Go {name:<20} {cpu} goroutine{'s' if cpu > 1 else ' '} {rate:9.0f} validations/s  {rate / one:4.2f}x of 1")
PY
  }
  step "bench: validations per second on one validator, 1, 2 and 4 goroutines (go test -cpu)" parallel_bench
fi

if [ ${#failures[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "test-go: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
