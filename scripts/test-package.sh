#!/usr/bin/env bash
# Package layer: builds the release artefacts (scripts/package.sh -> target/dist), then installs
# each one the way its users do, in a clean place, and runs the README's snippet for it
# (README.md "Installing a release"; each block marked <!-- package-test: NAME --> runs as it is,
# with set -e, in an empty folder holding only the artefacts and the example inputs):
#
#   checksums  sha256sum -c SHA256SUMS passes; a copy with one byte changed fails
#   c          the tarball unpacked; examples/c/site_node.c compiled with pkg-config libvalidate
#              (shared: SONAME libvalidate.so.0 loaded from the prefix; static: no .so loaded)
#   go         a fresh Go module with a replace directive to the tarball's go/ builds with no
#              pkg-config (PKG_CONFIG=false) and no network (GOPROXY=off); the binary loads no .so
#   python     a fresh venv, pip install of the wheel with no Rust on PATH and no index; py.typed;
#              the README's Python snippet
#   npm        a fresh npm project installs the .tgz; the wasm/README.md Node snippet; tsc against
#              the installed .d.ts; a Vite build of a one-page app loaded in headless Chromium
#   deb        dpkg-deb -x into a throwaway root: files, modes, conffiles; systemd-analyze verify
#              of the unit; the service started from the unit's ExecStart line with its env file
#              and a credentials folder, answering /healthz over TLS; refused without the secret
#   sbom       every artefact has a CycloneDX SBOM naming its crates
#   deny       cargo deny check licenses bans sources (deny.toml; advisories: see deny.toml)
#   msrv       scripts/check-rust-version.py: each crate's rust-version covers its locked graph
#
#   scripts/test-package.sh [--reuse-wasm]   (--reuse-wasm: pack wasm/pkg as test-wasm.sh left it)
# Last line: "test-package: N passed, M failed". Assumes scripts/install-deps.sh package ran.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

PACKAGE_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --reuse-wasm) PACKAGE_ARGS+=(--reuse-wasm) ;;
    *) die "unknown argument: $arg (usage: $0 [--reuse-wasm])" ;;
  esac
done
for tool in cargo-deny gcc go npm node curl systemd-analyze dpkg-deb python3; do
  have "$tool" || die "$tool not found: run scripts/install-deps.sh package"
done

TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
DIST="$TARGET_DIR/dist"
WORK="$TARGET_DIR/package-test"
NODE_TOOLS="$REPO/.tools/node"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
passed=0
failed=0
failures=()
step() {
  local name=$1 start=$SECONDS
  shift
  log "$name"
  if "$@"; then
    passed=$((passed + 1))
    info "ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    warn "FAILED: $name"
  fi
}

start=$SECONDS
bash scripts/package.sh "${PACKAGE_ARGS[@]}" || die "scripts/package.sh failed"
info "artefacts built in $((SECONDS - start)) s"
VERSION=$(cargo pkgid -p hwf-license-ffi | sed -E 's/.*[#@]([0-9][^#@]*)$/\1/')
NAME="hwf-license-$VERSION-linux-x86_64"
rm -rf "$WORK"
mkdir -p "$WORK/inputs"

# Example inputs from the vectors: a license valid until 9999 (address, DNS name, tag), the same
# license tampered, the prod root; valid/basic and its time for the clock-pinned Node snippet.
python3 - "$WORK/inputs" <<'PY' || die "cannot write the inputs"
import json, sys
out = sys.argv[1]
d = json.load(open("testdata/vectors/vectors.json", encoding="utf-8"))
by = {v["name"]: v for v in d["vectors"]}
open(f"{out}/site.lic", "w").write(by["valid/year-9999"]["license"])
open(f"{out}/basic.lic", "w").write(by["valid/basic"]["license"])
open(f"{out}/basic.now", "w").write(str(by["valid/basic"]["now"]))
lic = json.loads(by["valid/year-9999"]["license"])
i = len(lic["site"]) - 10
lic["site"] = lic["site"][:i] + ("B" if lic["site"][i] != "B" else "C") + lic["site"][i + 1:]
open(f"{out}/tampered.lic", "w").write(json.dumps(lic))
open(f"{out}/root.pem", "w").write(d["roots"]["root-prod-1"]["pem"])
PY

# readme_block NAME: the shell block after <!-- package-test: NAME --> in README.md.
readme_block() {
  python3 - "$1" <<'PY'
import re, sys
text = open("README.md", encoding="utf-8").read()
m = re.search(r"<!-- package-test: %s -->\n```[a-z]*\n(.*?)^```$" % re.escape(sys.argv[1]), text, re.S | re.M)
if not m:
    sys.exit(f"README.md has no block marked package-test: {sys.argv[1]}")
print(m.group(1), end="")
PY
}

# clean_dir NAME: an empty folder with the artefacts (and SHA256SUMS) and the example inputs.
clean_dir() {
  local d="$WORK/$1"
  rm -rf "$d"
  mkdir -p "$d"
  cp -a "$DIST"/. "$d/"
  cp "$WORK"/inputs/* "$d/"
  echo "$d"
}

# run_block NAME DIR [ENV...]: runs README block NAME in DIR with bash -e, output in DIR/out.txt.
run_block() {
  local name=$1 dir=$2
  shift 2
  readme_block "$name" >"$dir/snippet.sh" || return 1
  (cd "$dir" && env "$@" bash -euo pipefail snippet.sh) >"$dir/out.txt" 2>&1 ||
    { cat "$dir/out.txt" >&2; echo "README block $name failed" >&2; return 1; }
  sed 's/^/   | /' "$dir/out.txt" >&2
}

checksums() {
  (cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || return 1
  local n
  n=$(wc -l <"$DIST/SHA256SUMS")
  [ "$n" -eq 8 ] || { echo "SHA256SUMS lists $n files, expected 8 (4 artefacts, 4 SBOMs)" >&2; return 1; }
  # A changed byte is caught.
  local d
  d=$(clean_dir checksums-tampered)
  printf 'X' | dd of="$d/$NAME.tar.gz" bs=1 seek=100 conv=notrunc status=none
  if (cd "$d" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    echo "sha256sum -c accepted a changed tarball" >&2
    return 1
  fi
  info "$n files, all match; a tarball with one byte changed is refused"
}

c_prefix() {
  local d
  d=$(clean_dir c) || return 1
  cp examples/c/site_node.c "$d/"
  run_block c "$d" || return 1
  local prefix="$d/$NAME"
  readelf -d "$prefix/lib/libvalidate.so.$VERSION" | grep -q 'SONAME.*\[libvalidate\.so\.0\]' ||
    { echo "no SONAME libvalidate.so.0" >&2; return 1; }
  [ "$(readlink "$prefix/lib/libvalidate.so.0")" = "libvalidate.so.$VERSION" ] &&
    [ "$(readlink "$prefix/lib/libvalidate.so")" = "libvalidate.so.0" ] ||
    { echo "the .so symlinks are not libvalidate.so -> .so.0 -> .so.$VERSION" >&2; return 1; }
  LD_LIBRARY_PATH="$prefix/lib" ldd "$d/site-node" | grep -q "libvalidate.so.0 => $prefix/lib/" ||
    { echo "site-node does not load the prefix's libvalidate.so.0" >&2; return 1; }
  ! ldd "$d/site-node-static" | grep -q libvalidate || { echo "site-node-static loads libvalidate.so" >&2; return 1; }
  grep -q "^site  *site-berlin-01$" "$d/out.txt" || { echo "no valid verdict in the output" >&2; return 1; }
  # The relocatable .pc: the prefix is where the tarball was unpacked.
  [ "$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=libdir libvalidate)" = "$prefix/lib/pkgconfig/../../lib" ] ||
    { echo "libvalidate.pc does not point into the unpacked prefix" >&2; return 1; }
}

go_module() {
  local d
  d=$(clean_dir go) || return 1
  cp examples/go/main.go "$d/"
  # No pkg-config at all (cgo runs $PKG_CONFIG), no module proxy.
  run_block go "$d" PKG_CONFIG=/bin/false GOPROXY=off GOFLAGS=-mod=mod || return 1
  ! ldd "$d/app/site-node" | grep -q libvalidate || { echo "the Go binary loads libvalidate.so" >&2; return 1; }
  grep -q "^site  *site-berlin-01$" "$d/out.txt" || { echo "no valid verdict in the output" >&2; return 1; }
  # The go line: the lowest Go version the code needs (docs/C_API.md "Go version").
  grep -qx 'go 1.17' "$d/$NAME/go/go.mod" || { echo "the module's go.mod is not at go 1.17" >&2; return 1; }
  # ... and one below it does not build: unsafe.Slice and unsafe.Add need go1.17 (so does
  # runtime/cgo.Handle, in $GOROOT/api/go1.17.txt; nothing of api/go1.18.txt or later is used).
  cp -r "$d/$NAME/go" "$d/go116"
  sed -i 's/^go 1.17$/go 1.16/' "$d/go116/go.mod"
  if (cd "$d/go116" && PKG_CONFIG=/bin/false GOPROXY=off go build ./... >"$d/go116.log" 2>&1); then
    echo "the module builds at go 1.16: its go line is not the lowest" >&2
    return 1
  fi
  grep -q 'requires go1.17' "$d/go116.log" || { cat "$d/go116.log" >&2; return 1; }
  info "go 1.16: $(grep -m1 -o 'unsafe[^ ]* requires go1.17.*' "$d/go116.log")"
}

python_wheel() {
  local d
  d=$(clean_dir python) || return 1
  # app.py: the README's Python snippet ("Using it from other languages"), as it is.
  python3 - "$d/app.py" <<'PY' || return 1
import re, sys
text = open("README.md", encoding="utf-8").read()
open(sys.argv[1], "w").write(re.search(r"^\*\*Python\*\*.*?^```python\n(.*?)^```$", text, re.S | re.M).group(1))
PY
  # PATH without ~/.cargo/bin (and no rustc, cargo anywhere on it).
  local path=/usr/local/bin:/usr/bin:/bin
  if PATH=$path command -v cargo >/dev/null || PATH=$path command -v rustc >/dev/null; then
    echo "cargo or rustc is on $path: cannot show an install without Rust" >&2
    return 1
  fi
  run_block python "$d" PATH="$path" || return 1
  grep -qxF "valid ['analytics', 'reports'] 9999-12-31 23:59:59+00:00" "$d/out.txt" ||
    { echo "no valid verdict in the output" >&2; return 1; }
  [ "$(stat -c %a "$d/trust.state")" = 600 ] || { echo "the snippet saved no 0600 trust.state" >&2; return 1; }
  "$d/venv/bin/python" - <<'PY' || return 1
import importlib.resources
import hwf_license
pkg = importlib.resources.files("hwf_license")
assert pkg.joinpath("py.typed").is_file(), "py.typed missing"
assert "site-packages" in hwf_license.__file__, hwf_license.__file__
print("   installed", hwf_license.__file__)
PY
  # Typed: mypy --strict (from .venv) checks a user's file against the installed package, and
  # finds the type error in a second one.
  cat >"$d/user.py" <<'PY'
from hwf_license import LicenseError, NodeFacts, TrustedRoot, Validator, Verdict

def check(pem: str, lic: bytes) -> str:
    validator = Validator([TrustedRoot("root-prod-1", "prod", pem)])
    try:
        verdict: Verdict = validator.validate(lic, NodeFacts(["10.20.30.40"]))
    except LicenseError as e:
        return e.name
    return verdict.site_id
PY
  sed 's/return verdict.site_id/return verdict.features/' "$d/user.py" >"$d/wrong.py"
  local mypy=("$REPO/.venv/bin/mypy" --strict --no-incremental --python-executable "$d/venv/bin/python")
  "${mypy[@]}" "$d/user.py" >"$d/mypy.txt" 2>&1 || { cat "$d/mypy.txt" >&2; return 1; }
  if "${mypy[@]}" "$d/wrong.py" >"$d/mypy-wrong.txt" 2>&1; then
    echo "mypy accepted returning verdict.features as str: the package is not typed" >&2
    return 1
  fi
  info "mypy --strict: $(tail -1 "$d/mypy.txt"); wrong.py: $(grep -m1 -o 'error: .*' "$d/mypy-wrong.txt")"
}

npm_package() {
  local d
  d=$(clean_dir npm) || return 1
  local tgz="$DIST/hwf-license-wasm-$VERSION.tgz"
  local listing
  listing=$(tar tzf "$tgz") || return 1
  grep -qx 'package/web/index.d.ts' <<<"$listing" && grep -qx 'package/node/index.d.ts' <<<"$listing" ||
    { echo "the .tgz has no web/ and node/ index.d.ts" >&2; return 1; }
  # The hub entry (hwf-license-wasm/hub: its own .wasm, docs/WASM.md "Size").
  grep -qx 'package/hub/web/index.d.ts' <<<"$listing" && grep -qx 'package/hub/node/index.d.ts' <<<"$listing" &&
    grep -qx 'package/hub/web/hwf_license_wasm_bg.wasm' <<<"$listing" ||
    { echo "the .tgz has no hub/web and hub/node entry" >&2; return 1; }
  info "$(grep -c '\.d\.ts$' <<<"$listing") .d.ts files in the .tgz"
  run_block npm "$d" || return 1
  # The wasm/README.md Node snippet in the fresh project, the clock at the vector's time.
  python3 - "$d/app/readme.mjs" <<'PY' || return 1
import re, sys
text = open("wasm/README.md", encoding="utf-8").read()
block = re.search(r"^```js node\n(.*?)^```$", text, re.S | re.M).group(1)
open(sys.argv[1], "w").write(block)
PY
  cp "$d/basic.lic" "$d/app/site.lic"
  cp "$d/root.pem" "$d/app/"
  printf 'const now = %s * 1000;\nDate.now = () => now;\n' "$(cat "$d/basic.now")" >"$d/app/clock.mjs"
  local out
  out=$(cd "$d/app" && node --import ./clock.mjs readme.mjs) || { echo "$out" >&2; return 1; }
  info "wasm/README.md Node snippet: $(tr '\n' ' ' <<<"$out")"
  [ "$out" = "$(printf 'valid site-berlin-01 analytics,reports\nanalytics: true')" ] ||
    { echo "unexpected output: $out" >&2; return 1; }
  # TypeScript resolves the installed package's declarations (bundler resolution, the web build).
  cat >"$d/app/check.ts" <<'TS'
import init, { Validator, LicenseError } from "hwf-license-wasm";
export async function check(pem: string, lic: string): Promise<string> {
  await init();
  const v = new Validator({ environment: "prod", roots: [{ kid: "root-prod-1", environment: "prod", key: pem }] });
  try {
    return v.validateAt(lic, { addresses: ["10.20.30.40"] }, 0).status;
  } catch (e) {
    return e instanceof LicenseError ? e.codeName : "?";
  }
}
TS
  (cd "$d/app" && "$NODE_TOOLS/node_modules/.bin/tsc" --noEmit --strict --module esnext --target es2022 --lib esnext,dom \
    --moduleResolution bundler --skipLibCheck false check.ts) || { echo "tsc failed" >&2; return 1; }
  # Vite: a one-page app importing the package, built, served, loaded in Chromium.
  mkdir -p "$d/app/public"
  cp "$d/site.lic" "$d/tampered.lic" "$d/root.pem" "$d/app/public/"
  cat >"$d/app/index.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>hwf-license through Vite</title></head>
<body><pre id="result">loading</pre><script type="module" src="/main.js"></script></body></html>
HTML
  cat >"$d/app/main.js" <<'JS'
import init, { Validator, LicenseError } from "hwf-license-wasm";
await init();
const text = async (p) => (await fetch(p)).text();
const validator = new Validator({ environment: "prod",
  roots: [{ kid: "root-prod-1", environment: "prod", key: await text("root.pem") }] });
const facts = { addresses: ["10.20.30.40"], dnsName: "node1.berlin.acme.example", deploymentTag: "blue" };
const lines = [];
for (const name of ["site.lic", "tampered.lic"]) {
  try {
    const v = validator.validate(await text(name), facts);
    lines.push(`${name}: ${v.status} ${v.siteId}`);
  } catch (e) {
    lines.push(`${name}: ${e instanceof LicenseError ? e.codeName : String(e)}`);
  }
}
// The hub entry: its own .wasm (a second asset), the same LicenseError class.
const hub = await import("hwf-license-wasm/hub");
await hub.default();
const hv = new hub.Validator({ environment: "prod",
  roots: [{ kid: "root-prod-1", environment: "prod", key: await text("root.pem") }] });
lines.push(`hub: ${hv.validate(await text("site.lic"), facts).status} ${typeof hv.verifyManifest} ` +
  `${hub.LicenseError === LicenseError}`);
document.getElementById("result").textContent = lines.join("\n");
JS
  (cd "$d/app" && "$NODE_TOOLS/node_modules/.bin/vite" build --logLevel warn) || { echo "vite build failed" >&2; return 1; }
  [ "$(ls "$d/app/dist/assets/"*.wasm 2>/dev/null | wc -l)" = 2 ] ||
    { echo "vite did not emit the two .wasm assets (node and hub module)" >&2; return 1; }
  info "vite: $(cd "$d/app/dist" && find . -type f | sort | tr '\n' ' ')"
  local port log="$d/http.log"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$d/app/dist" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$log" 2>&1 &
  local server=$!
  local page status=0
  page=$(NODE_PATH="$NODE_TOOLS/node_modules" node - "http://127.0.0.1:$port/" "$CHROMIUM" <<'JS'
const { chromium } = require("playwright-core");
(async () => {
  const [url, exe] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: exe, args: ["--headless", "--no-sandbox",
    "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    for (let i = 0; i < 50; i++) {
      try { await page.goto(url); break; } catch (e) { await new Promise((r) => setTimeout(r, 100)); }
    }
    await page.waitForFunction(() => document.getElementById("result").textContent !== "loading",
      null, { timeout: 15000 }).catch(() => {});
    console.log((await page.textContent("#result")) + (errors.length ? "\nerrors: " + errors.join("; ") : ""));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
JS
  ) || status=$?
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  [ $status -eq 0 ] || { echo "$page" >&2; return 1; }
  info "Chromium: $(tr '\n' ' ' <<<"$page")"
  [ "$page" = "$(printf 'site.lic: valid site-berlin-01\ntampered.lic: bad_signature\nhub: valid function true')" ] ||
    { echo "unexpected page text: $page" >&2; return 1; }
}

deb_package() {
  local d
  d=$(clean_dir deb) || return 1
  run_block deb "$d" || return 1
  local deb root="$d/root"
  deb=$(ls "$d"/hwf-license_*_amd64.deb) || return 1
  # Contents and modes.
  dpkg-deb -c "$deb" >"$d/contents.txt"
  local want
  for want in './usr/bin/hwf-license' './etc/hwf-license/hwf-license.env' \
    './usr/lib/sysusers.d/hwf-license.conf' './usr/share/doc/hwf-license/DEPLOY.md'; do
    grep -q " $want\$" "$d/contents.txt" || { echo "the .deb lacks $want" >&2; return 1; }
  done
  grep -E ' \./(usr/)?lib/systemd/system/hwf-license\.service$' "$d/contents.txt" >/dev/null ||
    { echo "the .deb has no systemd unit" >&2; return 1; }
  grep -q '^-rw-r----- .* \./etc/hwf-license/hwf-license.env$' "$d/contents.txt" ||
    { echo "the env file is not mode 0640" >&2; return 1; }
  dpkg-deb -e "$deb" "$d/control"
  grep -qx '/etc/hwf-license/hwf-license.env' "$d/control/conffiles" ||
    { echo "the env file is not a conffile" >&2; return 1; }
  grep -q 'systemd-sysusers hwf-license.conf' "$d/control/postinst" &&
    grep -q 'chown root:hwf-license /etc/hwf-license/hwf-license.env' "$d/control/postinst" &&
    grep -q 'deb-systemd-helper' "$d/control/postinst" ||
    { echo "postinst lacks the user, the env file's owner or the unit's enablement" >&2; return 1; }
  sh -n "$d/control/postinst" && sh -n "$d/control/postrm" || return 1
  local unit
  unit=$(ls "$root"/lib/systemd/system/hwf-license.service "$root"/usr/lib/systemd/system/hwf-license.service 2>/dev/null | head -1)
  [ -n "$unit" ] || { echo "no unit in the unpacked root" >&2; return 1; }
  # The unit: systemd-analyze verify against the unpacked root (ExecStart's binary must be there),
  # with the host's units beside it (the targets it orders against); any warning fails (an
  # unknown key is only a warning with exit status 0).
  local verify vroot="$d/verify-root"
  cp -a "$root" "$vroot"
  mkdir -p "$vroot/usr/lib/systemd/system"
  cp -an /usr/lib/systemd/system/. "$vroot/usr/lib/systemd/system/"
  verify=$(systemd-analyze verify --man=no --root="$vroot" "$vroot${unit#"$root"}" 2>&1) ||
    { echo "$verify" >&2; return 1; }
  [ -z "$verify" ] || { echo "systemd-analyze verify printed: $verify" >&2; return 1; }
  # systemd's own exposure score of the sandbox (0 = most locked down, 10 = none): at most 2.
  local exposure
  exposure=$(systemd-analyze security --offline=yes --root="$vroot" "$vroot${unit#"$root"}" 2>&1 |
    sed -nE 's/.*Overall exposure level for hwf-license.service: ([0-9.]+).*/\1/p')
  info "systemd-analyze security: exposure ${exposure:-?} (of 10)"
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)' "${exposure:-99}" ||
    { echo "the unit's exposure level is ${exposure:-unknown}, above 2.0" >&2; return 1; }
  rm -rf "$vroot"
  local key
  for key in 'User=hwf-license' 'StateDirectory=hwf-license' 'ProtectSystem=strict' 'ProtectHome=yes' \
    'NoNewPrivileges=yes' 'PrivateTmp=yes' 'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service' 'EnvironmentFile=/etc/hwf-license/hwf-license.env' \
    'LoadCredential=master-secret:/etc/hwf-license/master-secret'; do
    grep -qxF "$key" "$unit" || { echo "the unit lacks $key" >&2; return 1; }
  done
  # The sysusers line creates a system user and group hwf-license.
  grep -qE '^u hwf-license - ' "$root/usr/lib/sysusers.d/hwf-license.conf" || return 1
  # Start it as systemd would: ExecStart with the unit's Environment= and its env file, the state
  # directory and the credentials folder made here (as StateDirectory= and LoadCredential= do).
  local state="$d/state" creds="$d/creds" port
  mkdir -p "$state" "$creds"
  chmod 0700 "$state" "$creds"
  "$root/usr/bin/hwf-license" keys master-secret >"$creds/master-secret" || return 1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$unit" "$root" "$root/etc/hwf-license/hwf-license.env" >"$d/exec.json" <<'PY' || return 1
import json, re, shlex, sys
unit, root, env_file = sys.argv[1:]
env, exec_start = {}, None
for line in open(unit):
    line = line.strip()
    if line.startswith("Environment="):
        k, v = line[len("Environment="):].split("=", 1)
        env[k] = v
    elif line.startswith("ExecStart="):
        exec_start = line[len("ExecStart="):]
for line in open(env_file):
    line = line.strip()
    if line and not line.startswith("#"):
        k, v = line.split("=", 1)
        env[k] = v
argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], a) for a in shlex.split(exec_start)]
argv[0] = root + argv[0]
print(json.dumps({"argv": argv, "env": env}))
PY
  info "ExecStart: $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["argv"]))' "$d/exec.json")"
  # serve_unit CREDS: starts the service (background), pid in $d/pid.
  serve_unit() {
    python3 - "$d/exec.json" "$state" "$1" "$port" "$d/serve.log" <<'PY' &
import json, os, sys
spec, state, creds, port, log = sys.argv[1:]
spec = json.load(open(spec))
env = {"PATH": "/usr/bin:/bin", **spec["env"], "HWF_DATA_DIR": state, "HWF_LISTEN": f"127.0.0.1:{port}"}
if creds:
    env["CREDENTIALS_DIRECTORY"] = creds
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(fd, 1); os.dup2(fd, 2)
os.execve(spec["argv"][0], spec["argv"], env)
PY
    echo $! >"$d/pid"
  }
  # Without the credential the service refuses to start.
  serve_unit ""
  local pid status=0
  pid=$(cat "$d/pid")
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"; echo "the service started without a master secret" >&2; return 1
  fi
  grep -qi 'master' "$d/serve.log" || { cat "$d/serve.log" >&2; return 1; }
  serve_unit "$creds"
  pid=$(cat "$d/pid")
  local health=""
  for _ in $(seq 100); do
    health=$(curl -sk --max-time 2 "https://127.0.0.1:$port/healthz" 2>/dev/null) && [ -n "$health" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  # docs/DEPLOY.md "Backup and restore": an online backup (SQLite's backup API) while it runs.
  local backup="$d/backup"
  mkdir -p "$backup" && chmod 0700 "$backup"
  python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
    "$state/hwf-license.db" "$backup/hwf-license.db" || { kill "$pid"; return 1; }
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  info "/healthz: $health"
  # The restored copy opens the same org key with the same master secret, and none with another.
  local bin="$root/usr/bin/hwf-license" org restored
  org=$(env -i HWF_DATA_DIR="$state" CREDENTIALS_DIRECTORY="$creds" "$bin" keys org --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["kid"])') || return 1
  restored=$(env -i HWF_DATA_DIR="$backup" CREDENTIALS_DIRECTORY="$creds" "$bin" keys org --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["kid"])') || return 1
  [ -n "$org" ] && [ "$org" = "$restored" ] || { echo "org key $org, restored $restored" >&2; return 1; }
  if env -i HWF_DATA_DIR="$backup" HWF_MASTER_SECRET="$("$bin" keys master-secret)" "$bin" keys org \
    >"$d/other-secret.log" 2>&1; then
    echo "the backup opened with another master secret" >&2
    return 1
  fi
  info "backup restored: org key $org with the same master secret; another secret: $(tail -1 "$d/other-secret.log")"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="ok", d' "$health" 2>/dev/null ||
    { echo "no healthy answer from /healthz" >&2; tail -20 "$d/serve.log" >&2; return 1; }
  [ "$(stat -c %a "$state/hwf-license.db")" = 600 ] && [ -f "$state/tls/cert.pem" ] ||
    { echo "the state directory lacks the 0600 database or the TLS certificate" >&2; return 1; }
  ! grep -qF "$(cat "$creds/master-secret")" "$d/serve.log" || { echo "the master secret is in the log" >&2; return 1; }
}

sboms() {
  python3 - "$DIST" "$NAME" "$VERSION" <<'PY'
import json, os, sys
dist, name, version = sys.argv[1:]
want = {
    f"{name}.cdx.json": ("hwf-license-ffi", "ring"),
    f"hwf_license-{version}-python.cdx.json": ("hwf-license-uniffi", "uniffi"),
    f"hwf-license-wasm-{version}.cdx.json": ("hwf-license-wasm", "wasm-bindgen"),
    f"hwf-license_{version}-server-deb.cdx.json": ("hwf-license-server", "sqlx"),
}
for file, (crate, dep) in want.items():
    doc = json.load(open(os.path.join(dist, file)))
    assert doc["bomFormat"] == "CycloneDX", file
    top = doc["metadata"]["component"]["name"]
    names = {c["name"] for c in doc.get("components", [])}
    assert top == crate, (file, top)
    assert dep in names and "hwf-license" in names, (file, sorted(names)[:20])
    # The native backend is in every artefact but the npm package (wasm stays pure).
    assert ("ring" in names) == (crate != "hwf-license-wasm"), (file, "ring" in names)
    print(f"   {file}: {crate}, {len(names)} components")
PY
}

deny() {
  cargo deny --log-level error check licenses bans sources
}

msrv() {
  cargo metadata --format-version 1 --locked >"$WORK/metadata.json" &&
    python3 scripts/check-rust-version.py "$WORK/metadata.json" | sed 's/^/   /' >&2
  return "${PIPESTATUS[0]}"
}

step "checksums: sha256sum -c SHA256SUMS, a changed byte refused" checksums
step "C: the tarball's prefix, README block, pkg-config libvalidate (shared, static)" c_prefix
step "Go: a fresh module with a replace directive, no pkg-config, no proxy" go_module
step "Python: the wheel in a fresh venv without Rust on PATH, the README snippet" python_wheel
step "npm: the .tgz in a fresh project: Node snippet, tsc, Vite build in Chromium" npm_package
step "deb: unpacked root, systemd-analyze verify, ExecStart answering /healthz" deb_package
step "SBOMs: one CycloneDX document per artefact" sboms
step "cargo deny check licenses bans sources" deny
step "rust-version covers each crate's locked graph" msrv

if [ ${#failures[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "test-package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
