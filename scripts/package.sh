#!/usr/bin/env bash
# Builds every release artefact into target/dist/ (docs/DEPLOY.md, README "Installing a release"):
#
#   hwf-license-V-linux-x86_64.tar.gz      the C prefix (include/validate.h, lib/libvalidate.so.V with
#                                          its SONAME link libvalidate.so.0, libvalidate.a,
#                                          lib/pkgconfig/libvalidate.pc, relocatable) and go/, the Go
#                                          module with libvalidate.a in go/lib/linux_amd64/ (cgo,
#                                          no pkg-config)
#   hwf_license-V-py3-none-manylinux_2_34_x86_64.whl   the Python wheel (maturin, audited against
#                                          the manylinux_2_34 policy: glibc >= 2.34)
#   hwf-license-wasm-V.tgz                 the npm package (npm pack of wasm/pkg)
#   hwf-license_V-1_amd64.deb              the server: binary, systemd unit, env file, sysusers
#   *.cdx.json                             a CycloneDX SBOM per artefact (cargo-cyclonedx)
#   SHA256SUMS                             sha256sum of every file above
#
#   scripts/package.sh [--reuse-wasm]
#
# Release builds are shared with the other layers (target/release: libvalidate from test-c/test-go,
# the uniffi cdylib from test-python); --reuse-wasm packs wasm/pkg as scripts/test-wasm.sh left it
# instead of running scripts/build-wasm.sh (so does HWF_PACKAGE_REUSE_WASM=1, which
# scripts/test-all.sh sets after the wasm layer passed). Needs the pinned cargo-deb and cargo-cyclonedx
# (scripts/install-deps.sh package).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

REUSE_WASM=${HWF_PACKAGE_REUSE_WASM:-0}
for arg in "$@"; do
  case "$arg" in
    --reuse-wasm) REUSE_WASM=1 ;;
    *) die "unknown argument: $arg (usage: $0 [--reuse-wasm])" ;;
  esac
done

# The glibc floor of the wheel: the policy maturin audits the extension against (it fails the
# build when the library needs a newer symbol). 2.34 is what the extension needs today
# (Debian 12 has 2.36, Ubuntu 22.04 2.35, RHEL 9 2.34).
MANYLINUX=manylinux_2_34
for tool in cargo-deb cargo-cyclonedx npm go sha256sum; do
  have "$tool" || die "$tool not found: run scripts/install-deps.sh package"
done
[ -x "$REPO/.venv/bin/maturin" ] || die "no maturin in .venv: run scripts/install-deps.sh"

TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
DIST="$TARGET_DIR/dist"
VERSION=$(cargo pkgid -p hwf-license-ffi | sed -E 's/.*[#@]([0-9][^#@]*)$/\1/')
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot read the crate version (got '$VERSION')"
NAME="hwf-license-$VERSION-linux-x86_64"
rm -rf "$DIST"
mkdir -p "$DIST"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

timing() { info "$1: $(($SECONDS - $2)) s"; }

# --- C prefix and Go module: one tarball ------------------------------------------------------
t=$SECONDS
log "C prefix and Go module -> $NAME.tar.gz"
cargo build --release -q -p hwf-license-ffi
root="$STAGE/$NAME"
bash scripts/install-libvalidate.sh "$root" --no-build --relocatable >/dev/null
go_dir="$root/go"
mkdir -p "$go_dir/include" "$go_dir/lib/linux_amd64"
for f in bindings/go/*.go; do
  case "$f" in
    *_test.go | */link_shared.go | */link_static.go) ;;
    *) cp "$f" "$go_dir/" ;;
  esac
done
cp bindings/go/go.mod "$go_dir/"
# In the packaged module the bundled link is the only one: no build tag.
sed -i 's|^//go:build validate_bundled$|//go:build linux \&\& amd64|' "$go_dir/link_bundled.go"
grep -q '^//go:build linux && amd64$' "$go_dir/link_bundled.go" || die "link_bundled.go: build tag not found"
cp include/validate.h "$go_dir/include/"
# A hard link: the archive holds libvalidate.a once.
ln "$root/lib/libvalidate.a" "$go_dir/lib/linux_amd64/libvalidate.a"
cat >"$root/README.txt" <<EOF
hwf-license $VERSION for Linux x86_64 (glibc): libvalidate and the Go module.

C:   export PKG_CONFIG_PATH=\$PWD/$NAME/lib/pkgconfig
     cc app.c \$(pkg-config --cflags --libs libvalidate)            # shared (LD_LIBRARY_PATH or ldconfig)
     cc app.c \$(pkg-config --cflags --libs validate-static)        # static
Go:  in your go.mod:
       require example.invalid/hwf-license/bindings/go v$VERSION
       replace example.invalid/hwf-license/bindings/go => /path/to/$NAME/go
     go build needs cgo (a C compiler) and nothing else: no pkg-config, no install step.
Docs: docs/C_API.md in the source repository.
EOF
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner --sort=name -czf "$DIST/$NAME.tar.gz" "$NAME"
timing "tarball" "$t"

# --- Python wheel -----------------------------------------------------------------------------
t=$SECONDS
log "Python wheel (maturin, --compatibility $MANYLINUX)"
(cd bindings/python && "$REPO/.venv/bin/maturin" build --release --quiet \
  --compatibility "$MANYLINUX" --out "$DIST")
timing "wheel" "$t"

# --- npm package ------------------------------------------------------------------------------
t=$SECONDS
log "npm package (npm pack wasm/pkg)"
if [ "$REUSE_WASM" = 0 ] || [ ! -f wasm/pkg/package.json ]; then
  bash scripts/build-wasm.sh >/dev/null
fi
npm pack ./wasm/pkg --pack-destination "$DIST" --silent >/dev/null
timing "npm" "$t"

# --- Debian package of the server -------------------------------------------------------------
t=$SECONDS
log "Debian package (cargo deb -p hwf-license-server)"
cargo build --release -q -p hwf-license-server
cargo deb -p hwf-license-server --no-build --quiet --output "$DIST/" >/dev/null
timing "deb" "$t"

# --- SBOMs ------------------------------------------------------------------------------------
t=$SECONDS
log "SBOMs (cargo cyclonedx)"
# cargo cyclonedx writes one SBOM per workspace member for one target; the features are those
# cargo metadata resolves for the whole workspace, so the wasm package's SBOM is pruned to what
# cargo tree builds for it alone (core without `native`: no ring).
sboms_for() { # sboms_for TARGET: sbom-hwf.json beside every member's Cargo.toml
  cargo cyclonedx -q --format json --spec-version 1.5 --target "$1" --override-filename sbom-hwf
}
drop_sboms() { find "$REPO" -name sbom-hwf.json -not -path "$TARGET_DIR/*" -delete; }
trap 'rm -rf "$STAGE"; drop_sboms' EXIT
sboms_for x86_64-unknown-linux-gnu
mv ffi/sbom-hwf.json "$DIST/$NAME.cdx.json"
mv bindings/uniffi/sbom-hwf.json "$DIST/hwf_license-$VERSION-python.cdx.json"
mv server/sbom-hwf.json "$DIST/hwf-license_$VERSION-server-deb.cdx.json"
drop_sboms
sboms_for wasm32-unknown-unknown
cargo tree -q -p hwf-license-wasm --target wasm32-unknown-unknown -e normal,build --prefix none \
  >"$STAGE/wasm-tree.txt"
python3 - wasm/sbom-hwf.json "$STAGE/wasm-tree.txt" "$DIST/hwf-license-wasm-$VERSION.cdx.json" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
built = {tuple(m.groups()) for m in re.finditer(r"^(\S+) v(\S+)", open(sys.argv[2]).read(), re.M)}
keep = [c for c in doc.get("components", []) if (c["name"], c["version"]) in built]
refs = {c["bom-ref"] for c in keep} | {doc["metadata"]["component"]["bom-ref"]}
refs |= {sub["bom-ref"] for sub in doc["metadata"]["component"].get("components", [])}
doc["components"] = keep
doc["dependencies"] = [
    {**d, "dependsOn": [r for r in d.get("dependsOn", []) if r in refs]}
    for d in doc.get("dependencies", []) if d["ref"] in refs
]
json.dump(doc, open(sys.argv[3], "w"), indent=2)
PY
drop_sboms
timing "sboms" "$t"

(cd "$DIST" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort |
  xargs sha256sum >SHA256SUMS)
log "target/dist"
(cd "$DIST" && ls -l | sed 's/^/   /' >&2)
