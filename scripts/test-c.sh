#!/usr/bin/env bash
# C layer: builds libvalidate once (release), then checks the crate (fmt, clippy, Rust tests), the
# committed header (regenerated with the pinned cbindgen; compiles as C99 and C++), the install
# step (pkg-config, SONAME, only lv_ symbols exported), and runs, linked against the installed
# library:
#   - ffi/tests/c/vectors.c  every conformance vector (and the heartbeat and key documents) and
#                            every trust-state scenario (scenarios.json)
#   - ffi/tests/c/api.c      the contract: NULL, non-UTF-8, zero length, oversized, free(NULL),
#                            versions, the builder, the trust state across restarts, threads, ...
#   - examples/c/site_node.c linked dynamically, statically (pkg-config validate-static) and
#                            from the source tree; two runs sharing a trust state file, the
#                            second with the clock set back (refused: clock_rollback)
# plainly, under valgrind memcheck (no error, nothing definitely or indirectly lost) and under
# AddressSanitizer + UBSan. Assumes scripts/install-deps.sh ran.
#
#   scripts/test-c.sh           everything above; last line "test-c: N passed, M failed"
#   scripts/test-c.sh --bench   also: criterion, a cached validation through core and through
#                               the lv_ functions, printed as a ratio; and validations per
#                               second on one validator from 1, 2 and 4 threads
#                               (ffi/tests/c/threads_bench.c)
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

for tool in gcc g++ valgrind pkg-config python3; do
  have "$tool" || die "$tool not found: run scripts/install-deps.sh"
done
pkg-config --exists libcjson || die "cJSON (libcjson-dev) not found: run scripts/install-deps.sh"

TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
OUT="$TARGET_DIR/c"
PREFIX="$OUT/prefix"
VECTORS=testdata/vectors/vectors.json
DOCUMENTS=testdata/vectors/documents.json
SCENARIOS=testdata/vectors/scenarios.json
WARN=(-std=c99 -Wall -Wextra -Werror -pedantic)
passed=0
failed=0
failures=()

# step NAME COMMAND...: runs one check, counts it, goes on after a failure.
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

# expect_status WANT COMMAND...: the command exits with status WANT.
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

VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

rm -rf "$OUT"
mkdir -p "$OUT"

log "cargo build --release -p hwf-license-ffi"
cargo build --release -q -p hwf-license-ffi || die "cargo build failed"
VERSION=$(cargo pkgid -p hwf-license-ffi | sed -E 's/.*[#@]([0-9][^#@]*)$/\1/')
info "hwf-license-ffi $VERSION"

step "cargo fmt --check (ffi)" cargo fmt -p hwf-license-ffi -- --check
step "cargo clippy -p hwf-license-ffi --all-targets -D warnings" \
  cargo clippy -q -p hwf-license-ffi --all-targets -- -D warnings
step "cargo test -p hwf-license-ffi (codes, versions, boundary, handles)" \
  cargo test -q -p hwf-license-ffi

step "include/validate.h matches ffi/src (scripts/gen-header.sh --check)" \
  bash scripts/gen-header.sh --check

docs_codes_match() {
  python3 - <<'PY'
import re, sys
header = {int(n): name.lower() for name, n in
          re.findall(r"LV_RESULT_(\w+) = (\d+)", open("include/validate.h").read())}
docs = {int(m.group(1)): m.group(2) for m in
        re.finditer(r"^\| (\d+) \| `(\w+)` \|", open("docs/C_API.md").read(), re.M)}
if header != docs:
    diff = sorted(set(header.items()) ^ set(docs.items()))
    sys.exit(f"docs/C_API.md's error table and include/validate.h differ: {diff}")
print(f"   {len(header)} codes, the same in docs/C_API.md and include/validate.h")
PY
}
step "docs/C_API.md error-code table matches the header" docs_codes_match

header_compiles() {
  printf '#include "validate.h"\nint main(void) { return lv_version()[0] == LV_VERSION[0] ? 0 : 1; }\n' \
    >"$OUT/header.c"
  gcc "${WARN[@]}" -Iinclude -c "$OUT/header.c" -o "$OUT/header-c.o" &&
    g++ -Wall -Wextra -Werror -pedantic -x c++ -Iinclude -c "$OUT/header.c" -o "$OUT/header-cxx.o" &&
    g++ -std=c++11 -Wall -Wextra -Werror -x c++ -Iinclude -c "$OUT/header.c" -o "$OUT/header-cxx11.o"
}
step "header compiles: gcc -std=c99 -pedantic, g++, g++ -std=c++11 (-Wall -Wextra -Werror)" header_compiles

install_check() {
  bash scripts/install-libvalidate.sh "$PREFIX" --no-build || return 1
  export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
  local pcv
  pcv=$(pkg-config --modversion validate) || return 1
  [ "$pcv" = "$VERSION" ] || { echo "validate.pc says $pcv, the crate is $VERSION" >&2; return 1; }
  readelf -d "$PREFIX/lib/libvalidate.so" | grep 'SONAME.*\[libvalidate\.so\.0\]' >/dev/null \
    || { echo "SONAME is not libvalidate.so.0" >&2; return 1; }
  local symbols others
  symbols=$(nm -D --defined-only "$PREFIX/lib/libvalidate.so" | awk '{print $3}')
  others=$(grep -v '^lv_' <<<"$symbols" || true)
  [ -z "$others" ] || { echo "exported symbols without the lv_ prefix: $others" >&2; return 1; }
  info "$(wc -l <<<"$symbols") exported symbols, all lv_*"
  # The header's version macros against the crate version (the runtime string: api.c).
  local macros
  macros=$(printf '#include "validate.h"\nLV_VERSION_MAJOR.LV_VERSION_MINOR.LV_VERSION_PATCH\n' |
    gcc -E -P $(pkg-config --cflags validate) - | tail -1 | tr -d ' ')
  [ "$macros" = "$VERSION" ] || { echo "header says $macros, the crate is $VERSION" >&2; return 1; }
}
step "install to a temporary prefix; pkg-config, SONAME, exported symbols, header version" install_check
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
export LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

build_tests() {
  local cflags libs
  cflags=$(pkg-config --cflags validate libcjson) && libs=$(pkg-config --libs validate libcjson) || return 1
  # shellcheck disable=SC2086
  gcc "${WARN[@]}" -O1 -g $cflags ffi/tests/c/vectors.c -o "$OUT/vectors" $libs &&
    gcc "${WARN[@]}" -O1 -g -pthread $cflags ffi/tests/c/api.c -o "$OUT/api" $libs &&
    gcc "${WARN[@]}" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=all $cflags ffi/tests/c/vectors.c -o "$OUT/vectors-asan" $libs &&
    gcc "${WARN[@]}" -O1 -g -pthread -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=all $cflags ffi/tests/c/api.c -o "$OUT/api-asan" $libs
}
step "build the C tests (plain and -fsanitize=address,undefined) with pkg-config" build_tests

build_example() {
  # shellcheck disable=SC2046
  gcc "${WARN[@]}" examples/c/site_node.c -o "$OUT/site-node" $(pkg-config --cflags --libs validate) &&
    gcc "${WARN[@]}" examples/c/site_node.c -o "$OUT/site-node-static" \
      $(pkg-config --cflags --libs validate-static) &&
    gcc "${WARN[@]}" -Iinclude examples/c/site_node.c "$TARGET_DIR/release/libvalidate.a" \
      -lpthread -ldl -lm -o "$OUT/site-node-tree" &&
    gcc "${WARN[@]}" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=all examples/c/site_node.c -o "$OUT/site-node-asan" \
      $(pkg-config --cflags --libs validate) || return 1
  ! ldd "$OUT/site-node-static" | grep libvalidate >/dev/null ||
    { echo "site-node-static loads libvalidate.so" >&2; return 1; }
  ldd "$OUT/site-node" | grep "libvalidate.so.0 => $PREFIX/lib/" >/dev/null ||
    { echo "site-node does not load $PREFIX/lib/libvalidate.so.0" >&2; return 1; }
}
step "build examples/c: dynamic, static (validate-static.pc), from the tree, ASan" build_example

step "C conformance vectors and scenarios" "$OUT/vectors" "$VECTORS" "$DOCUMENTS" "$SCENARIOS"
step "C API contract tests" "$OUT/api" "$VECTORS" "$DOCUMENTS" "$VERSION"
step "C conformance vectors and scenarios under valgrind memcheck" \
  "${VALGRIND[@]}" "$OUT/vectors" "$VECTORS" "$DOCUMENTS" "$SCENARIOS"
step "C API contract tests under valgrind memcheck" \
  "${VALGRIND[@]}" "$OUT/api" "$VECTORS" "$DOCUMENTS" "$VERSION"
step "C conformance vectors and scenarios under AddressSanitizer + UBSan" \
  "$OUT/vectors-asan" "$VECTORS" "$DOCUMENTS" "$SCENARIOS"
step "C API contract tests under AddressSanitizer + UBSan" \
  "$OUT/api-asan" "$VECTORS" "$DOCUMENTS" "$VERSION"

example_runs() {
  # Licenses and the root from the vectors: usable, tampered, wrong machine, expired, grace, and
  # the root as JWK.
  python3 - "$OUT" <<'PY' || return 1
import json, sys
out = sys.argv[1]
d = json.load(open("testdata/vectors/vectors.json", encoding="utf-8"))
by_name = {v["name"]: v for v in d["vectors"]}
for name, file in [("valid/all-fingerprint-fields", "site.lic"), ("time/grace-end-exact", "expired.lic"),
                   ("time/grace-middle", "grace.lic"), ("valid/year-9999", "long.lic")]:
    open(f"{out}/{file}", "w", encoding="utf-8").write(by_name[name]["license"])
    open(f"{out}/{file}.now", "w").write(str(by_name[name]["now"]))
# A tampered copy of site.lic: one character of the site license's signature changed.
lic = json.loads(by_name["valid/all-fingerprint-fields"]["license"])
i = len(lic["site"]) - 10
lic["site"] = lic["site"][:i] + ("B" if lic["site"][i] != "B" else "C") + lic["site"][i + 1:]
open(f"{out}/tampered.lic", "w", encoding="utf-8").write(json.dumps(lic, indent=2))
root = d["roots"]["root-prod-1"]
open(f"{out}/root.pem", "w").write(root["pem"])
open(f"{out}/root.jwk", "w").write(json.dumps(root["jwk"]))
PY
  local facts=(--address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue)
  local now grace_now expired_now
  now=$(cat "$OUT/site.lic.now") grace_now=$(cat "$OUT/grace.lic.now") expired_now=$(cat "$OUT/expired.lic.now")
  for bin in site-node site-node-static site-node-tree site-node-asan; do
    info "$bin"
    expect_status 0 "$OUT/$bin" --now "$now" "${facts[@]}" --feature analytics "$OUT/site.lic" || return 1
    grep -q "^site  *site-berlin-01$" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 3 "$OUT/$bin" --now "$now" "${facts[@]}" --feature boost "$OUT/site.lic" || return 1
    expect_status 1 "$OUT/$bin" --now "$now" "${facts[@]}" "$OUT/tampered.lic" || return 1
    grep -q "bad_signature (200)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 1 "$OUT/$bin" --now "$now" "$OUT/site.lic" || return 1
    grep -q "address_mismatch (400)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 1 "$OUT/$bin" --now "$expired_now" "${facts[@]}" "$OUT/expired.lic" || return 1
    grep -q "expired (301)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 0 "$OUT/$bin" --now "$grace_now" "${facts[@]}" "$OUT/grace.lic" || return 1
    grep -q "IN GRACE" "$OUT/last.out" && grep -q "WARNING.*in_grace" "$OUT/last.out" ||
      { cat "$OUT/last.out" >&2; return 1; }
    expect_status 0 "$OUT/$bin" --root "$OUT/root.jwk" --now "$now" "${facts[@]}" "$OUT/site.lic" || return 1
    expect_status 1 "$OUT/$bin" --root "$OUT/root.pem" --kid other --now "$now" "${facts[@]}" \
      "$OUT/site.lic" || return 1
    grep -q "unknown_key_id (106)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
    expect_status 2 "$OUT/$bin" "$OUT/missing.lic" || return 1
    expect_status 2 "$OUT/$bin" || return 1
    state_runs "$OUT/$bin" || return 1
  done
  # The built-in key is the vectors' prod root.
  "$OUT/site-node" --show-root | cmp -s - "$OUT/root.pem" ||
    { echo "the example's built-in root is not testdata's root-prod-1" >&2; return 1; }
  expect_status 0 "${VALGRIND[@]}" "$OUT/site-node" --now "$now" "${facts[@]}" "$OUT/site.lic" &&
    state_runs "${VALGRIND[@]}" "$OUT/site-node"
}

# state_runs COMMAND...: two runs of the example sharing a trust state file; the second, with
# the clock set back from day 299 to day 2 (of 2026), is refused with clock_rollback. Without
# the file the same second run is accepted; a corrupt file stops the node (exit 2, bad_state).
state_runs() {
  local state="$OUT/node-$$.state" day299=$((1767225600 + 299 * 86400)) day2=$((1767225600 + 2 * 86400))
  local facts=(--address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue)
  rm -f "$state"
  expect_status 0 "$@" --state "$state" --clock "$day299" "${facts[@]}" "$OUT/long.lic" || return 1
  grep -q "^state .*(saved, " "$OUT/last.out" && [ -f "$state" ] ||
    { cat "$OUT/last.out" >&2; echo "run 1 saved no state" >&2; return 1; }
  [ "$(stat -c %a "$state")" = 600 ] || { echo "the state file is not mode 0600" >&2; return 1; }
  expect_status 1 "$@" --state "$state" --clock "$day2" "${facts[@]}" "$OUT/long.lic" || return 1
  grep -q "clock_rollback (302)" "$OUT/last.out" && grep -q "clock floor $day299" "$OUT/last.out" ||
    { cat "$OUT/last.out" >&2; echo "run 2 was not refused with clock_rollback" >&2; return 1; }
  expect_status 0 "$@" --clock "$day2" "${facts[@]}" "$OUT/long.lic" || return 1
  printf 'hwf-trust-state 1\ngarbage\n' >"$state"
  expect_status 2 "$@" --state "$state" --clock "$day299" "${facts[@]}" "$OUT/long.lic" || return 1
  grep -q "bad_state (111)" "$OUT/last.out" || { cat "$OUT/last.out" >&2; return 1; }
  rm -f "$state"
}
step "examples/c/site_node.c: verdicts and exit codes (dynamic, static, tree, ASan, valgrind)" example_runs

if [ "$BENCH" = 1 ]; then
  bench() {
    local log_file="$OUT/bench.log"
    cargo bench -q -p hwf-license-ffi --bench crossing -- \
      --warm-up-time 1 --measurement-time "${BENCH_SECONDS:-3}" >"$log_file" 2>&1 ||
      { cat "$log_file" >&2; return 1; }
    python3 - "$TARGET_DIR/criterion" <<'PY'
import json, os, sys
root = sys.argv[1]
def ns(group, name):
    with open(os.path.join(root, group, name, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]
core = ns("c-crossing", "core")
for name in ["lv_validate", "lv_validate+has_feature", "lv_validate+read_all"]:
    t = ns("c-crossing", name)
    print(f"   {name:<26} {t:8.0f} ns   {t / core:5.2f}x core ({t - core:+.0f} ns)")
print(f"   {'core Validator::validate':<26} {core:8.0f} ns   1.00x")
PY
  }
  step "bench: cached validation, core vs lv_ functions (criterion)" bench
  threads_bench() {
    local cflags libs
    cflags=$(pkg-config --cflags validate libcjson) && libs=$(pkg-config --libs validate libcjson) || return 1
    # shellcheck disable=SC2086
    gcc "${WARN[@]}" -O2 -pthread $cflags ffi/tests/c/threads_bench.c -o "$OUT/threads-bench" $libs &&
      "$OUT/threads-bench" "$VECTORS" "${BENCH_SECONDS:-3}" | sed 's/^/   /'
  }
  step "bench: validations per second on one validator, 1, 2 and 4 threads (C API)" threads_bench
fi

if [ ${#failures[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "test-c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
