#!/usr/bin/env bash
# The WASM layer: builds the npm package (scripts/build-wasm.sh), checks the crate (fmt, clippy for
# wasm32, its unit tests), the size of the shipped .wasm, then runs with node's test runner every
# conformance vector in Node, the API and documentation tests, a TypeScript check, and the example
# page in headless Chromium with the timings. Prints a summary; exits non-zero on any failure.
#
#   scripts/test-wasm.sh              everything
#   scripts/test-wasm.sh --compare    also build with opt-level 3 (wasm/pkg-o3) and time both
#   scripts/test-wasm.sh --bench      also the peer benchmark (benches/peers/js: hwf-license sync
#                                     cold, async cold and cached against jose) in Node and Chromium
#
# Environment: HWF_WASM_SKIP_BUILD=1 reuses wasm/pkg; CHROMIUM, PLAYWRIGHT_CORE, TSC override the
# tools (defaults: /usr/bin/chromium and .tools/node from scripts/install-deps.sh).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

COMPARE=0
BENCH=0
for arg in "$@"; do
  case "$arg" in
    --compare) COMPARE=1 ;;
    --bench) BENCH=1 ;;
    *) die "unknown argument $arg (only --compare, --bench)" ;;
  esac
done
if [ "$BENCH" = 1 ]; then
  [ -f .tools/node/node_modules/jose/package.json ] ||
    die "--bench needs jose: npm install --prefix .tools/node --save-exact jose@6.2.18"
  export HWF_PEER_BENCH=1
fi

# Size: the budget, asserted. The package has two modules (docs/WASM.md "Size"): the node module
# (web/ and node/: what a site node or a browser loads, `Validator` with validation, CML, trust
# state, revocation lists and heartbeats) must stay within 200,000 B raw / 80,000 B gzip -9 (the
# issue's budget); the hub module (hub/: the same plus verifyManifest, verifyLedger,
# verifyReceipt, for the Hub side) within its own 204,800 B (200 KiB) raw / 88,000 B gzip -9.
# The test fails above either. Before the split (2026-12-01) the one module was 197,925 B /
# 85,725 B, over the gzip budget by 5.7 KB, checked against a regression ceiling of 198,200 /
# 85,900 B instead of the budget; the split took the Hub-side verifications (20.2 KB raw /
# 8.6 KB gzip) out of the node module: 179,266 / 78,139 B and 199,503 / 86,746 B now.
BUDGET_RAW=200000
BUDGET_GZ=80000
HUB_BUDGET_RAW=204800
HUB_BUDGET_GZ=88000

checks_passed=0
checks_failed=0
failures=()
check() { # check NAME COMMAND...: runs a step, counts it
  local name=$1
  shift
  log "$name"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    checks_failed=$((checks_failed + 1))
    failures+=("$name")
    warn "$name FAILED"
  fi
}

have node || die "node not found"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || die "chromium not found (scripts/install-deps.sh)"

if [ "${HWF_WASM_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/build-wasm.sh || die "scripts/build-wasm.sh failed"
fi
[ -f wasm/pkg/web/hwf_license_wasm_bg.wasm ] || die "wasm/pkg is not built"

check "cargo fmt --check (hwf-license-wasm)" cargo fmt -p hwf-license-wasm -- --check
check "cargo clippy --target wasm32-unknown-unknown -D warnings" \
  cargo clippy -q -p hwf-license-wasm --target wasm32-unknown-unknown -- -D warnings
check "cargo clippy --target wasm32-unknown-unknown --features hub -D warnings" \
  cargo clippy -q -p hwf-license-wasm --target wasm32-unknown-unknown --features hub -- -D warnings
check "cargo test -p hwf-license-wasm --features hub (host)" cargo test -q -p hwf-license-wasm --features hub

# size_check WASM RAW GZ: the module within RAW bytes raw and GZ bytes gzip -9 (fails above).
size_check() {
  local wasm=$1 budget_raw=$2 budget_gz=$3 raw gz r g line
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  [ "$raw" -le "$budget_raw" ] && r="within" || r="OVER"
  [ "$gz" -le "$budget_gz" ] && g="within" || g="OVER"
  line="$wasm: $raw bytes raw ($((raw / 1024)) KiB, $r $budget_raw), $gz bytes gzip -9 ($((gz / 1024)) KiB, $g $budget_gz)"
  SIZE_LINES+=("$line")
  info "$line"
  [ "$raw" -le "$budget_raw" ] && [ "$gz" -le "$budget_gz" ] || {
    warn "$wasm is over its budget of $budget_raw B raw / $budget_gz B gzip (docs/WASM.md \"Size\")"
    return 1
  }
}
SIZE_LINES=()
check "size of the node module (budget $BUDGET_RAW B raw, $BUDGET_GZ B gzip)" \
  size_check wasm/pkg/web/hwf_license_wasm_bg.wasm "$BUDGET_RAW" "$BUDGET_GZ"
check "size of the hub module (budget $HUB_BUDGET_RAW B raw, $HUB_BUDGET_GZ B gzip)" \
  size_check wasm/pkg/hub/web/hwf_license_wasm_bg.wasm "$HUB_BUDGET_RAW" "$HUB_BUDGET_GZ"

# The console embeds a committed copy of the web build (server/assets/wasm/, docs/CONSOLE.md
# "Sites"): it must be byte-identical to what this build gives (the wasm build is deterministic:
# two builds, one in a fresh target folder, give the same bytes).
console_copy() {
  local fresh
  fresh=$(mktemp -d)
  bash scripts/console-wasm.sh wasm/pkg/web "$fresh" 2>/dev/null || { rm -rf "$fresh"; return 1; }
  if diff -r "$fresh" server/assets/wasm >/dev/null; then
    info "server/assets/wasm/ is byte-identical to this build"
    rm -rf "$fresh"
  else
    diff -rq "$fresh" server/assets/wasm >&2 || true
    warn "server/assets/wasm/ differs from this build: run scripts/build-wasm.sh --console and commit it"
    rm -rf "$fresh"
    return 1
  fi
}
check "the console's embedded WASM copy matches this build" console_copy

# The tests import the package by its npm name, through its package.json "exports".
mkdir -p wasm/tests/node_modules
ln -sfn ../../pkg wasm/tests/node_modules/hwf-license-wasm

# Figures of this run only.
rm -f target/wasm-bench.json target/wasm-bench-node.json target/wasm-bench-o3.json \
  target/peer-bench-node.json target/peer-bench-chromium.json
NODE_LOG=$(mktemp)
trap 'rm -f "$NODE_LOG"' EXIT
node_tests() {
  # One file at a time: the timing tests must not share the two cores with the browser test.
  (cd wasm/tests && node --test --test-concurrency=1 --test-reporter=spec \
    vectors.test.mjs api.test.mjs async.test.mjs wycheproof.test.mjs state.test.mjs docs.test.mjs \
    bench.test.mjs browser.test.mjs) 2>&1 | tee "$NODE_LOG"
  return "${PIPESTATUS[0]}"
}
check "node --test: vectors, API, trust state and scenarios, docs, TypeScript, timing, Chromium" node_tests
count() { sed -nE "s/^ℹ $1 ([0-9]+)$/\\1/p" "$NODE_LOG" | tail -n1; }
node_pass=$(count pass)
node_fail=$(count fail)
node_skip=$(count skipped)
if [ "${node_skip:-0}" != 0 ]; then
  # Skipped without --bench: the page's jose peer benchmark. Anything else skipped (tsc missing,
  # say) is named in the log with "# SKIP".
  info "$node_skip node tests skipped:"
  grep -F "# SKIP" "$NODE_LOG" | sed 's/^/     /' >&2 || true
fi

if [ "$COMPARE" = 1 ]; then
  compare() {
    HWF_WASM_OPT_LEVEL=3 HWF_WASM_OUT=wasm/pkg-o3 bash scripts/build-wasm.sh || return 1
    (cd wasm/tests && HWF_WASM_PKG=wasm/pkg-o3 HWF_WASM_BENCH_OUT="$REPO/target/wasm-bench-o3.json" \
      node --test --test-reporter=spec --test-name-pattern "timing|valid license" browser.test.mjs) || return 1
    # Put the shipped build (opt-level z) back for later runs.
    bash scripts/build-wasm.sh >/dev/null 2>&1
  }
  check "opt-level 3 build, timed in Chromium" compare
fi

if [ "$BENCH" = 1 ]; then
  check "peer benchmark in Node (benches/peers/js/node.mjs)" node benches/peers/js/node.mjs
fi

log "summary"
for line in "${SIZE_LINES[@]}"; do info "$line"; done
node - "$REPO/target/wasm-bench.json" "$REPO/target/wasm-bench-node.json" "$REPO/target/wasm-bench-o3.json" \
  "$REPO/target/peer-bench-node.json" "$REPO/target/peer-bench-chromium.json" <<'EOF' || true
const fs = require("node:fs");
const [chromium, node, o3] = process.argv.slice(2).map((f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } });
const line = (label, r) => r && console.log(
  `   ${label}: cold ${(r.coldUs / 1000).toFixed(3)} ms, cached ${r.cachedUs.toFixed(1)} µs ` +
  `(at a JS clock ${r.cachedClockUs?.toFixed(1) ?? "?"} µs), ` +
  `WebCrypto 2×verify ${(r.webcryptoUs / 1000).toFixed(3)} ms, cold/WebCrypto ${r.coldOverWebcrypto.toFixed(1)}×`);
if (chromium?.vectors) {
  const s = chromium.vectors;
  console.log(`   chromium: ${s.passed} of ${s.count} vectors and document vectors replayed identically (every member) in ${s.ms.toFixed(1)} ms`);
}
if (chromium?.scenarios) {
  const s = chromium.scenarios;
  console.log(`   chromium: ${s.passed} of ${s.count} trust-state scenarios replayed identically in ${s.ms.toFixed(1)} ms`);
}
if (chromium?.firstLoad) {
  const f = chromium.firstLoad;
  console.log(`   chromium first call after load: init (fetch + compile) ${f.initMs.toFixed(1)} ms, ` +
    `new Validator ${f.constructMs.toFixed(2)} ms, first validate ${f.firstValidateMs.toFixed(2)} ms`);
}
line("chromium (opt-level z)", chromium?.chromium);
line("chromium (opt-level 3)", o3?.chromium);
line(`node ${node?.node?.version ?? ""} (opt-level z)`, node?.node);
for (const [label, r] of [["chromium", chromium?.chromium], ["node", node?.node]]) {
  if (r?.asyncColdUs) console.log(`   ${label}: async cold (WebCrypto) ${(r.asyncColdUs / 1000).toFixed(3)} ms, sync cold ${(r.coldUs / 1000).toFixed(3)} ms`);
}
for (const f of process.argv.slice(5)) {
  try {
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    const where = f.includes("chromium") ? "chromium" : `node ${r.node}`;
    console.log(`   peers (${where}, jose ${r.jose}): jose ${(r.us.jose / 1000).toFixed(3)} ms; ours/jose: ` +
      `sync cold ${r.ratios.syncCold.toFixed(2)}, async cold ${r.ratios.asyncCold.toFixed(2)}, cached ${r.ratios.cached.toFixed(3)}`);
  } catch {}
}
EOF
info "node tests: ${node_pass:-?} passed, ${node_fail:-?} failed, ${node_skip:-0} skipped"
info "screenshots: target/web-screenshot.png, target/web-screenshot-invalid.png, target/web-screenshot-rollback.png"
if [ ${#failures[@]} -gt 0 ]; then
  warn "failed: ${failures[*]}"
fi
echo "wasm: $((checks_passed)) passed, $((checks_failed)) failed"
[ "$checks_failed" -eq 0 ]
