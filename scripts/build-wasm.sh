#!/usr/bin/env bash
# Builds the npm package of the WebAssembly binding into wasm/pkg/:
#   cargo build (profile wasm-release, wasm32-unknown-unknown) -> wasm-bindgen (web + node)
#   -> wasm-opt -> entry points, TypeScript declarations, package.json, README.
#
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli at exactly the version the crate
# pins (checked below), binaryen's wasm-opt >= 116, node. scripts/install-deps.sh installs them.
#
# wasm-opt: $WASM_OPT if set, else the npm build of binaryen in .tools/node, else wasm-opt on PATH.
# Binaryen before 116 (Debian 12 ships 108) writes wasm-bindgen's externref table as a pre-standard
# `anyref` table that V8 rejects at instantiation, so older versions are refused.
#
# Environment (for measurements; the defaults build what ships):
#   HWF_WASM_OUT        output folder                     (default wasm/pkg)
#   HWF_WASM_OPT_LEVEL  rustc opt-level: z, s or 3        (default z; wasm-opt gets -Oz, -Os, -O3)
#   HWF_WASM_SIZE_REPORT=1  also print a size breakdown by crate (needs twiggy:
#                       cargo install --locked twiggy --version 0.8.0), before and after wasm-opt
#
#   scripts/build-wasm.sh --console   also refresh the console's embedded copy (server/assets/wasm/,
#                       scripts/console-wasm.sh): run it after changing wasm/ or core/, and commit
#                       the result (scripts/test-wasm.sh fails while the copy differs from a build)
set -euo pipefail

CONSOLE=0
for arg in "$@"; do
  case "$arg" in
    --console) CONSOLE=1 ;;
    *) echo "build-wasm: unknown argument $arg (only --console)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${HWF_WASM_OUT:-wasm/pkg}
case "$OUT" in /*) ;; *) OUT=$ROOT/$OUT ;; esac
OPT_LEVEL=${HWF_WASM_OPT_LEVEL:-z}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
CRATE=hwf_license_wasm

case "$OPT_LEVEL" in
  z | s | 3) ;;
  *) echo "build-wasm: HWF_WASM_OPT_LEVEL must be z, s or 3" >&2; exit 2 ;;
esac

if [ -z "${WASM_OPT:-}" ]; then
  if [ -x "$ROOT/.tools/node/node_modules/.bin/wasm-opt" ]; then
    WASM_OPT="$ROOT/.tools/node/node_modules/.bin/wasm-opt"
  else
    WASM_OPT=wasm-opt
  fi
fi
for tool in cargo wasm-bindgen "$WASM_OPT" node gzip; do
  command -v "$tool" >/dev/null || { echo "build-wasm: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

# The CLI must be exactly the version of the wasm-bindgen crate (the crate pins it with `=`).
want=$(sed -nE 's/^wasm-bindgen = \{ version = "=([0-9.]+)".*/\1/p' wasm/Cargo.toml)
have=$(wasm-bindgen --version | awk '{print $2}')
locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
if [ -z "$want" ] || [ "$want" != "$have" ] || [ "$want" != "$locked" ]; then
  echo "build-wasm: wasm-bindgen crate pin '$want', Cargo.lock '$locked', CLI '$have' differ;" >&2
  echo "  cargo install wasm-bindgen-cli --version =$want" >&2
  exit 1
fi

# The panic locations compiled into the module name source files: strip the build machine's
# folders (cargo's registry, this checkout) so the module holds no local path, is the same on
# every machine, and is about 0.9 KB smaller (docs/WASM.md "Size").
# (Cargo splits these flags at spaces: a folder with a space in its name is left as it is.)
remap=()
for src in "$ROOT/" "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  case "$src" in *' '*) continue ;; esac
  [ -d "$src" ] && remap+=("--remap-path-prefix=$src=")
done
# LLVM's inliner at threshold 15 instead of opt-level z's 5: small helpers inlined where that
# lets the caller shrink; the module is 2.3 KB (1.1 KB gzip) smaller (docs/WASM.md "Size"; 10
# gives 200,173 B, 17 and 20 give 200,848 B, 25 gives 202,950 B, 60 gives 213,572 B). Only for
# opt-level z (s and 3 have their own, larger thresholds).
inline=()
[ "$OPT_LEVEL" = z ] && inline=(-Cllvm-args=-inline-threshold=15)
echo "== cargo build (opt-level $OPT_LEVEL)"
CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=$OPT_LEVEL \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${remap[*]} ${inline[*]}" \
  cargo build --profile wasm-release --target wasm32-unknown-unknown -p hwf-license-wasm
WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/$CRATE.wasm"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

echo "== wasm-bindgen $have"
wasm-bindgen --target web --out-dir "$STAGE/web" "$WASM"
wasm-bindgen --target experimental-nodejs-module --out-dir "$STAGE/node" "$WASM"
cmp -s "$STAGE/web/${CRATE}_bg.wasm" "$STAGE/node/${CRATE}_bg.wasm" ||
  { echo "build-wasm: web and node .wasm differ; expected one binary" >&2; exit 1; }

opt_version=$("$WASM_OPT" --version | sed -nE 's/.*version ([0-9]+).*/\1/p')
if [ -z "$opt_version" ] || [ "$opt_version" -lt 116 ]; then
  echo "build-wasm: $WASM_OPT is binaryen ${opt_version:-?}; need >= 116 (npm install binaryen)" >&2
  exit 1
fi
echo "== wasm-opt -O$OPT_LEVEL (binaryen $opt_version: $WASM_OPT)"
# Features Rust enables by default for wasm32 and every supported engine (Node >= 20,
# Chromium/Firefox/Safari of the last years) runs.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# --converge: the passes again until the module stops shrinking (about 200 B less, same code).
"$WASM_OPT" "-O$OPT_LEVEL" --converge "${WASM_FEATURES[@]}" --strip-debug --strip-producers \
  "$STAGE/web/${CRATE}_bg.wasm" -o "$STAGE/web/opt.wasm"
mv "$STAGE/web/opt.wasm" "$STAGE/web/${CRATE}_bg.wasm"
cp "$STAGE/web/${CRATE}_bg.wasm" "$STAGE/node/${CRATE}_bg.wasm"
rm -f "$STAGE"/*/package.json "$STAGE"/*/.gitignore

# Entry points: the generated module plus LicenseError, the class the binding throws (the same
# module instance the generated code imports, so `instanceof` holds).
snippet=$(cd "$STAGE/web" && ls -d snippets/hwf-license-wasm-*/js/license-error.js)
[ "$(cd "$STAGE/node" && ls -d snippets/hwf-license-wasm-*/js/license-error.js)" = "$snippet" ] ||
  { echo "build-wasm: web and node snippets differ" >&2; exit 1; }
for target in web node; do
  cp wasm/js/license-error.d.ts "$STAGE/$target/${snippet%.js}.d.ts"
  # The WebCrypto path: installs the …Async methods on Validator (declared in the generated .d.ts).
  cp wasm/js/async.js "$STAGE/$target/async.js"
done
ASYNC_DTS='/** Whether the `…Async` methods of `Validator` verify with WebCrypto here (else they run the sync path). */
export declare const webCryptoAvailable: boolean;
/** One ES256 check (SEC1 key, message, r || s signature) through the path of the `…Async` methods:
 * core reads the key and refuses a signature not of 64 bytes, then `crypto.subtle.verify`. For test
 * vectors (Project Wycheproof); documents are verified by a `Validator`. */
export declare function verifyEs256Async(key: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;'

cat >"$STAGE/web/index.js" <<EOF
// hwf-license-wasm for browsers and bundlers (ES module). Call the default export once
// (\`await init()\`) before anything else; it fetches and compiles the .wasm next to this file.
export * from "./$CRATE.js";
export { default } from "./$CRATE.js";
export { LicenseError } from "./$snippet";
export { webCryptoAvailable, verifyEs256Async } from "./async.js";
EOF
cat >"$STAGE/web/index.d.ts" <<EOF
export * from "./$CRATE.js";
export { default } from "./$CRATE.js";
export { LicenseError } from "./$snippet";
$ASYNC_DTS
EOF
cat >"$STAGE/node/index.js" <<EOF
// hwf-license-wasm for Node (ES module; \`require()\` works on Node >= 20.19). The module is
// compiled and ready on import; \`init()\` exists so code shared with browsers can await it.
export * from "./$CRATE.js";
export { LicenseError } from "./$snippet";
export { webCryptoAvailable, verifyEs256Async } from "./async.js";
/** A no-op in Node: the module is ready on import. */
export default async function init() {}
EOF
cat >"$STAGE/node/index.d.ts" <<EOF
export * from "./$CRATE.js";
export { LicenseError } from "./$snippet";
$ASYNC_DTS
/** A no-op in Node: the module is ready on import (browsers must await their \`init()\`). */
export default function init(): Promise<void>;
EOF

# package.json: Node gets the node build, browsers and bundlers the web build.
version=$(sed -nE 's/^version = "([^"]+)"/\1/p' Cargo.toml | head -n1)
license=$(sed -nE 's/^license = "([^"]+)"/\1/p' Cargo.toml | head -n1)
cat >"$STAGE/package.json" <<EOF
{
  "name": "hwf-license-wasm",
  "version": "$version",
  "description": "Verify hwf site licenses, usage manifests and ledgers offline, in browsers and Node (WebAssembly).",
  "license": "$license",
  "type": "module",
  "exports": {
    ".": {
      "node": {
        "types": "./node/index.d.ts",
        "default": "./node/index.js"
      },
      "types": "./web/index.d.ts",
      "default": "./web/index.js"
    },
    "./web": {
      "types": "./web/index.d.ts",
      "default": "./web/index.js"
    },
    "./node": {
      "types": "./node/index.d.ts",
      "default": "./node/index.js"
    },
    "./${CRATE}_bg.wasm": "./web/${CRATE}_bg.wasm",
    "./package.json": "./package.json"
  },
  "main": "./node/index.js",
  "module": "./web/index.js",
  "browser": "./web/index.js",
  "types": "./web/index.d.ts",
  "files": ["web/", "node/", "README.md"],
  "engines": { "node": ">=20.19" },
  "sideEffects": ["./node/*.js"],
  "keywords": ["license", "jws", "es256", "wasm", "webassembly"]
}
EOF
cp wasm/README.md "$STAGE/README.md"

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -r "$STAGE" "$OUT"
chmod -R a+rX "$OUT"

if [ "${HWF_WASM_SIZE_REPORT:-0}" = 1 ]; then
  command -v twiggy >/dev/null || { echo "build-wasm: twiggy not found (cargo install --locked twiggy --version 0.8.0)" >&2; exit 1; }
  wasm-bindgen --keep-debug --target web --out-dir "$STAGE/named" "$WASM"
  "$WASM_OPT" -g "-O$OPT_LEVEL" "${WASM_FEATURES[@]}" "$STAGE/named/${CRATE}_bg.wasm" -o "$STAGE/named/opt.wasm"
  echo "== size by crate, before wasm-opt (wasm-bindgen output; less inlining, truer attribution)"
  twiggy top -n 1000000 --format csv "$STAGE/named/${CRATE}_bg.wasm" | python3 wasm/tools/size_breakdown.py 20
  echo "== size by crate, after wasm-opt (what ships; inlined code counts for the exports)"
  twiggy top -n 1000000 --format csv "$STAGE/named/opt.wasm" | python3 wasm/tools/size_breakdown.py 20
  echo "== largest functions after wasm-opt"
  twiggy top -n 15 "$STAGE/named/opt.wasm"
  rm -rf "$STAGE/named"
fi

# Smoke test: the optimized module instantiates and answers.
node --input-type=module -e "
  const m = await import('$OUT/node/index.js');
  if (m.version() !== '$version') throw new Error('version ' + m.version());
" || { echo "build-wasm: the built package does not load in Node" >&2; exit 1; }

raw=$(stat -c %s "$OUT/web/${CRATE}_bg.wasm")
gz=$(gzip -9 -c "$OUT/web/${CRATE}_bg.wasm" | wc -c)
echo "== $OUT: ${CRATE}_bg.wasm $raw bytes raw, $gz bytes gzip -9"

if [ "$CONSOLE" = 1 ]; then
  echo "== the console's copy: server/assets/wasm/"
  bash scripts/console-wasm.sh "$OUT/web" server/assets/wasm
fi
