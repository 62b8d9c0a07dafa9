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
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# Two modules from the one crate: the node module (what a site node or a browser loads:
# `Validator` with validation, CML, trust state, revocation lists and heartbeats; budget 200 KB
# raw / 80 KB gzip) and, with the crate's `hub` feature, the hub module (the same plus
# verifyManifest, verifyLedger, verifyReceipt: the Hub-side verifications). docs/WASM.md "Size".
# bindgen NAME [FEATURES]: cargo build, wasm-bindgen (web + node), wasm-opt, into $STAGE/NAME/.
bindgen() {
  local name=$1 features=${2:-}
  echo "== cargo build $name module (opt-level $OPT_LEVEL${features:+, features $features})"
  CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=$OPT_LEVEL \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${remap[*]} ${inline[*]}" \
    cargo build --profile wasm-release --target wasm32-unknown-unknown -p hwf-license-wasm \
    ${features:+--features "$features"}
  # (wasm-bindgen names its output after the input file: keep the crate's name.)
  mkdir "$STAGE/$name-cargo"
  cp "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/$CRATE.wasm" "$STAGE/$name-cargo/"
  echo "== wasm-bindgen $have ($name)"
  wasm-bindgen --target web --out-dir "$STAGE/$name/web" "$STAGE/$name-cargo/$CRATE.wasm"
  wasm-bindgen --target experimental-nodejs-module --out-dir "$STAGE/$name/node" "$STAGE/$name-cargo/$CRATE.wasm"
  cmp -s "$STAGE/$name/web/${CRATE}_bg.wasm" "$STAGE/$name/node/${CRATE}_bg.wasm" ||
    { echo "build-wasm: web and node .wasm differ; expected one binary" >&2; exit 1; }
  echo "== wasm-opt -O$OPT_LEVEL (binaryen $opt_version: $WASM_OPT) ($name)"
  # --converge: the passes again until the module stops shrinking (about 200 B less, same code).
  "$WASM_OPT" "-O$OPT_LEVEL" --converge "${WASM_FEATURES[@]}" --strip-debug --strip-producers \
    "$STAGE/$name/web/${CRATE}_bg.wasm" -o "$STAGE/$name/web/opt.wasm"
  mv "$STAGE/$name/web/opt.wasm" "$STAGE/$name/web/${CRATE}_bg.wasm"
  cp "$STAGE/$name/web/${CRATE}_bg.wasm" "$STAGE/$name/node/${CRATE}_bg.wasm"
  rm -f "$STAGE/$name"/*/package.json "$STAGE/$name"/*/.gitignore
}

opt_version=$("$WASM_OPT" --version | sed -nE 's/.*version ([0-9]+).*/\1/p')
if [ -z "$opt_version" ] || [ "$opt_version" -lt 116 ]; then
  echo "build-wasm: $WASM_OPT is binaryen ${opt_version:-?}; need >= 116 (npm install binaryen)" >&2
  exit 1
fi
# Features Rust enables by default for wasm32 and every supported engine (Node >= 20,
# Chromium/Firefox/Safari of the last years) runs.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
bindgen hub hub
bindgen main
# The package's layout: web/ and node/ (the node module), hub/web/ and hub/node/ (the hub module).
mv "$STAGE/main/web" "$STAGE/main/node" "$STAGE/"
mv "$STAGE/hub" "$STAGE/hub-build"
mkdir "$STAGE/hub"
mv "$STAGE/hub-build/web" "$STAGE/hub-build/node" "$STAGE/hub/"
rm -rf "$STAGE/main" "$STAGE/hub-build" "$STAGE"/*-cargo
WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/$CRATE.wasm" # the node module (size report)

# Entry points: the generated module plus LicenseError, the class the binding throws (the same
# module instance the generated code imports, so `instanceof` holds).
snippet=$(cd "$STAGE/web" && ls -d snippets/hwf-license-wasm-*/js/license-error.js)
[ "$(cd "$STAGE/node" && ls -d snippets/hwf-license-wasm-*/js/license-error.js)" = "$snippet" ] ||
  { echo "build-wasm: web and node snippets differ" >&2; exit 1; }
for target in web node; do
  cp wasm/js/license-error.d.ts "$STAGE/$target/${snippet%.js}.d.ts"
  # The hub module throws the node module's LicenseError (one class for both entries, so
  # `instanceof` holds across them): its generated module imports that file instead of its own
  # copy. Its clock registry stays its own (validator ids are per module).
  hub_snippet=$(cd "$STAGE/hub/$target" && ls -d snippets/hwf-license-wasm-*/js/license-error.js)
  sed -i -E "s#(from ['\"])\./$hub_snippet(['\"])#\1../../$target/$snippet\2#" "$STAGE/hub/$target/$CRATE.js"
  grep -qF "../../$target/$snippet" "$STAGE/hub/$target/$CRATE.js" ||
    { echo "build-wasm: the hub module's LicenseError import was not found (wasm-bindgen's output changed shape)" >&2; exit 1; }
  rm "$STAGE/hub/$target/$hub_snippet"
done
ASYNC_DTS='/** Whether the `…Async` methods of `Validator` verify with WebCrypto here (else they run the sync path). */
export declare const webCryptoAvailable: boolean;
/** One ES256 check (SEC1 key, message, r || s signature) through the path of the `…Async` methods:
 * core reads the key and refuses a signature not of 64 bytes, then `crypto.subtle.verify`. For test
 * vectors (Project Wycheproof); documents are verified by a `Validator`. */
export declare function verifyEs256Async(key: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;'

# entries DIR SNIPPET WHAT: index.js and index.d.ts of one build folder (web/, node/, hub/web/,
# hub/node/), and the WebCrypto path (js/async.js: installs the …Async methods on Validator,
# declared in the generated .d.ts).
entries() {
  local dir=$1 snip=$2 what=$3 target=${1##*/}
  cp wasm/js/async.js "$STAGE/$dir/async.js"
  if [ "$target" = web ]; then
    cat >"$STAGE/$dir/index.js" <<EOF
// hwf-license-wasm$what for browsers and bundlers (ES module). Call the default export once
// (\`await init()\`) before anything else; it fetches and compiles the .wasm next to this file.
export * from "./$CRATE.js";
export { default } from "./$CRATE.js";
export { LicenseError } from "$snip";
export { webCryptoAvailable, verifyEs256Async } from "./async.js";
EOF
    cat >"$STAGE/$dir/index.d.ts" <<EOF
export * from "./$CRATE.js";
export { default } from "./$CRATE.js";
export { LicenseError } from "$snip";
$ASYNC_DTS
EOF
  else
    cat >"$STAGE/$dir/index.js" <<EOF
// hwf-license-wasm$what for Node (ES module; \`require()\` works on Node >= 20.19). The module is
// compiled and ready on import; \`init()\` exists so code shared with browsers can await it.
export * from "./$CRATE.js";
export { LicenseError } from "$snip";
export { webCryptoAvailable, verifyEs256Async } from "./async.js";
/** A no-op in Node: the module is ready on import. */
export default async function init() {}
EOF
    cat >"$STAGE/$dir/index.d.ts" <<EOF
export * from "./$CRATE.js";
export { LicenseError } from "$snip";
$ASYNC_DTS
/** A no-op in Node: the module is ready on import (browsers must await their \`init()\`). */
export default function init(): Promise<void>;
EOF
  fi
}
HUB_WHAT="/hub (the node module's API plus verifyManifest, verifyLedger, verifyReceipt)"
entries web "./$snippet" ""
entries node "./$snippet" ""
entries hub/web "../../web/$snippet" "$HUB_WHAT"
entries hub/node "../../node/$snippet" "$HUB_WHAT"

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
    "./hub": {
      "node": {
        "types": "./hub/node/index.d.ts",
        "default": "./hub/node/index.js"
      },
      "types": "./hub/web/index.d.ts",
      "default": "./hub/web/index.js"
    },
    "./hub/web": {
      "types": "./hub/web/index.d.ts",
      "default": "./hub/web/index.js"
    },
    "./hub/node": {
      "types": "./hub/node/index.d.ts",
      "default": "./hub/node/index.js"
    },
    "./${CRATE}_bg.wasm": "./web/${CRATE}_bg.wasm",
    "./hub/${CRATE}_bg.wasm": "./hub/web/${CRATE}_bg.wasm",
    "./package.json": "./package.json"
  },
  "main": "./node/index.js",
  "module": "./web/index.js",
  "browser": "./web/index.js",
  "types": "./web/index.d.ts",
  "files": ["web/", "node/", "hub/", "README.md"],
  "engines": { "node": ">=20.19" },
  "sideEffects": ["./node/*.js", "./hub/node/*.js"],
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
  const h = await import('$OUT/hub/node/index.js');
  if (h.version() !== '$version') throw new Error('hub version ' + h.version());
  if (h.LicenseError !== m.LicenseError) throw new Error('the hub entry has its own LicenseError');
  if (typeof h.Validator.prototype.verifyManifest !== 'function') throw new Error('hub: no verifyManifest');
  if ('verifyManifest' in m.Validator.prototype) throw new Error('the node module has verifyManifest');
" || { echo "build-wasm: the built package does not load in Node" >&2; exit 1; }

for dir in web hub/web; do
  raw=$(stat -c %s "$OUT/$dir/${CRATE}_bg.wasm")
  gz=$(gzip -9 -c "$OUT/$dir/${CRATE}_bg.wasm" | wc -c)
  echo "== $OUT/$dir: ${CRATE}_bg.wasm $raw bytes raw, $gz bytes gzip -9"
done

if [ "$CONSOLE" = 1 ]; then
  echo "== the console's copy: server/assets/wasm/"
  bash scripts/console-wasm.sh "$OUT/web" server/assets/wasm
fi
