#!/usr/bin/env bash
# The console's copy of the WASM package (server/assets/wasm/, embedded in the server binary for
# the site page's chain preview), made from the web build of scripts/build-wasm.sh:
#   hwf_license_wasm.js, hwf_license_wasm_bg.wasm, and the two snippet files wasm-bindgen writes
#   under snippets/hwf-license-wasm-<hash>/js/, flattened next to it (the generated module's
#   import paths are rewritten to ./<file>), so the server embeds a fixed set of names.
# Nothing else is copied: the preview calls the sync API only (no async.js, no .d.ts).
#
#   scripts/console-wasm.sh [WEB_DIR] [OUT_DIR]   (defaults: wasm/pkg/web, server/assets/wasm)
#
# Deterministic: the same web build gives the same bytes. scripts/build-wasm.sh --console builds
# and runs this; scripts/test-wasm.sh runs it into a temporary folder and fails unless the
# committed server/assets/wasm/ is byte-identical.
set -euo pipefail
cd "$(dirname "$0")/.."
WEB=${1:-wasm/pkg/web}
OUT=${2:-server/assets/wasm}
CRATE=hwf_license_wasm
[ -f "$WEB/${CRATE}_bg.wasm" ] || { echo "console-wasm: no $WEB/${CRATE}_bg.wasm (run scripts/build-wasm.sh)" >&2; exit 1; }
snip=$(cd "$WEB" && ls -d snippets/hwf-license-wasm-*/js)
[ "$(echo "$snip" | wc -l)" = 1 ] || { echo "console-wasm: expected one snippets folder in $WEB, found: $snip" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*.js "$OUT"/*.wasm
cp "$WEB/${CRATE}_bg.wasm" "$OUT/"
for f in "$WEB/$snip"/*.js; do
  cp "$f" "$OUT/$(basename "$f")"
done
# ./snippets/hwf-license-wasm-<hash>/js/X.js -> ./X.js (only in import specifiers).
sed -E "s#(from ['\"])\./$snip/#\1./#g" "$WEB/$CRATE.js" >"$OUT/$CRATE.js"
if grep -q "snippets/" "$OUT/$CRATE.js"; then
  echo "console-wasm: $OUT/$CRATE.js still names snippets/ (wasm-bindgen's output changed shape)" >&2
  exit 1
fi
(cd "$OUT" && sha256sum ./*.js ./*.wasm) >&2
