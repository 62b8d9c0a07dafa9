#!/usr/bin/env bash
# Every test of every layer: Rust core, C (with valgrind and ASan), Go, Python, WASM in Node and in
# headless Chromium, and the server. Installs what it needs first (scripts/install-deps.sh).
# Each layer runs even when an earlier one failed; the last line is "N passed, N failed".
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

bash scripts/install-deps.sh || die "install-deps failed"
export PATH="$HOME/.cargo/bin:$PATH"

layers=(core c go python wasm server)
if [ $# -gt 0 ]; then layers=("$@"); fi
passed=0
failed=0
failures=()
for layer in "${layers[@]}"; do
  script="scripts/test-$layer.sh"
  log "layer $layer ($script)"
  start=$SECONDS
  if [ ! -x "$script" ]; then
    warn "$script is missing"
    failed=$((failed + 1)); failures+=("$layer (missing)")
  elif bash "$script"; then
    passed=$((passed + 1))
    info "layer $layer passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1)); failures+=("$layer")
    warn "layer $layer FAILED after $((SECONDS - start)) s"
  fi
done
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed layers: ${failures[*]}"
fi
echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
