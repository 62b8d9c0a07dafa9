#!/usr/bin/env bash
# Every test of every layer: Rust core, C (with valgrind and ASan), Go, Python, WASM in Node and in
# headless Chromium, the server, and the release artefacts installed as their users do (package).
# Installs what the layers need first (scripts/install-deps.sh LAYER...), unless --no-install.
#
#   scripts/test-all.sh [--no-install] [LAYER...]   layers: core c go python wasm server package
# Each layer runs even when an earlier one failed; the last line is "N passed, N failed".
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

# --no-install: skip scripts/install-deps.sh (the tools are there). Layer names: the layers to
# run (default: all), and install-deps installs only what they need.
INSTALL=1
layers=()
for arg in "$@"; do
  case "$arg" in
    --no-install) INSTALL=0 ;;
    -*) die "unknown option: $arg (usage: $0 [--no-install] [LAYER...])" ;;
    *) layers+=("$arg") ;;
  esac
done
if [ ${#layers[@]} -eq 0 ]; then layers=(core c go python wasm server package); fi
if [ "$INSTALL" = 1 ]; then
  bash scripts/install-deps.sh "${layers[@]}" || die "install-deps failed"
fi
export PATH="$HOME/.cargo/bin:$PATH"
passed=0
failed=0
failures=()
for layer in "${layers[@]}"; do
  script="scripts/test-$layer.sh"
  log "layer $layer ($script)"
  start=$SECONDS
  if [ ! -f "$script" ]; then
    warn "$script is missing"
    failed=$((failed + 1)); failures+=("$layer (missing)")
  elif bash "$script"; then
    passed=$((passed + 1))
    info "layer $layer passed in $((SECONDS - start)) s"
    # The package layer packs the wasm/pkg this layer just built and tested.
    [ "$layer" = wasm ] && export HWF_PACKAGE_REUSE_WASM=1
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
