#!/usr/bin/env bash
# Installs everything the build and the tests need on a Debian 12 machine (run as root):
#   Debian packages  Go, Chromium, binaryen (wasm-opt), cJSON, valgrind, pkg-config, gcc/g++, wrk,
#                    PostgreSQL 15, curl and openssl (the server's TLS tests use them as real
#                    clients) (and python3-venv / nodejs+npm when missing)
#   Rust             stable targets wasm32-unknown-unknown and x86_64-unknown-none, the nightly
#                    toolchain, cargo-fuzz, wasm-bindgen-cli (pinned)
#   Python           $REPO/.venv with pinned maturin, pytest, pytest-benchmark, cryptography,
#                    schemathesis
#   npm              playwright-core, binaryen, typescript (pinned) in $REPO/.tools/node (no browser is downloaded: the
#                    tests drive Debian's /usr/bin/chromium)
#
#   cargo tools      cargo-deb, cargo-deny, cargo-cyclonedx (pinned, --locked) for the package layer
#
#   scripts/install-deps.sh [LAYER...]   only what those test layers need (core c go python wasm
#                                        server package); no layer: everything, with the fuzz tools
#
# Idempotent: every step checks first and does nothing when the right thing is already there, so
# a second run takes a few seconds. `apt-get update` runs only if a Debian package is missing.
#
# Environment:
#   PYTHON   the interpreter the virtualenv is made from (default: python3 on PATH)
set -euo pipefail

# --- pinned versions -------------------------------------------------------------------------
# Must equal the `=` pin of the wasm-bindgen crate in wasm/Cargo.toml (scripts/build-wasm.sh
# refuses to build otherwise).
WASM_BINDGEN_VERSION=0.2.130
CARGO_FUZZ_VERSION=0.13.2
# Generates include/validate.h; scripts/gen-header.sh --check needs exactly this version.
CBINDGEN_VERSION=0.29.2
PY_PACKAGES=(
  maturin==1.16.0
  pytest==9.2.0
  pytest-benchmark==5.3.1
  cryptography==50.0.2
  pyjwt==2.15.1
  schemathesis==4.32.5
  # the package layer: the installed wheel type-checks (py.typed)
  mypy==2.4.1
)
# npm packages in $REPO/.tools/node: playwright-core drives Debian's Chromium (never downloads a
# browser); binaryen's wasm-opt (Debian's binaryen 108 emits modules Node 20 cannot instantiate);
# typescript checks the package's .d.ts; jose is the JavaScript peer of `scripts/test-wasm.sh --bench`;
# axe-core checks the web console's pages for accessibility (scripts/test-console.sh).
NPM_PACKAGES=(
  axe-core@4.14.1
  jose@6.2.18
  playwright-core@1.65.1
  binaryen@132.0.0
  typescript@7.0.2
  # the package layer's bundler test: a Vite build of a one-page app using the packed tarball
  vite@7.3.8
)
# The package layer (scripts/test-package.sh): the Debian package, supply-chain checks, SBOMs.
CARGO_DEB_VERSION=3.8.0
CARGO_DENY_VERSION=0.20.2
CARGO_CYCLONEDX_VERSION=0.5.9

APT_PACKAGES=(
  golang-go
  chromium
  binaryen
  libcjson-dev
  valgrind
  pkg-config
  gcc
  g++
  wrk
  postgresql
  curl
  openssl
  poppler-utils # pdftoppm, pdftotext: the PDF usage report is rendered and read in the server tests
  sqlite3
)
RUST_TARGETS=(wasm32-unknown-unknown x86_64-unknown-none)
# ---------------------------------------------------------------------------------------------

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# needs LAYER...: true if one of these layers was asked for (or none was: everything).
LAYERS=("$@")
for layer in "${LAYERS[@]}"; do
  case "$layer" in
    core | c | go | python | wasm | server | package) ;;
    *) die "unknown layer: $layer (core c go python wasm server package)" ;;
  esac
done
needs() {
  [ ${#LAYERS[@]} -eq 0 ] && return 0
  local want have
  for want in "$@"; do
    for have in "${LAYERS[@]}"; do [ "$want" = "$have" ] && return 0; done
  done
  return 1
}

PYTHON=${PYTHON:-python3}
VENV="$REPO/.venv"
NODE_TOOLS="$REPO/.tools/node"
CHANGED=0
START=$SECONDS

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif have sudo; then
  SUDO=(sudo)
else
  die "not root and no sudo: cannot install Debian packages"
fi

# True if the venv at $VENV has a working interpreter.
venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1
}

# --- 1. Debian packages ----------------------------------------------------------------------
log "Debian packages"
wanted=()
if [ ${#LAYERS[@]} -eq 0 ]; then
  wanted=("${APT_PACKAGES[@]}")
else
  needs core c go python wasm server package && wanted+=(gcc pkg-config)
  needs c && wanted+=(g++ libcjson-dev valgrind)
  needs go package && wanted+=(golang-go)
  # server: the web console's browser tests (issue 19) drive Chromium through playwright-core too.
  needs wasm server package && wanted+=(chromium binaryen)
  needs server && wanted+=(postgresql wrk sqlite3 poppler-utils)
  needs server package && wanted+=(curl openssl)
fi
# systemd-analyze (verify the unit) and dpkg-shlibdeps (cargo-deb's dependencies) for the .deb.
needs package && wanted+=(systemd dpkg-dev)
# python3-venv: only when the venv has to be made and the interpreter can't make one.
if needs python server package && ! venv_ok && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  wanted+=(python3-venv)
fi
# Node.js and npm: the machine usually has them; Debian's otherwise.
if needs wasm server package; then
  have node || wanted+=(nodejs)
  have npm || wanted+=(npm)
fi

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null |
  awk '$2 == "installed" { print $1 }' || true)
missing=()
for pkg in "${wanted[@]}"; do
  grep -qxF "$pkg" <<<"$installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  CHANGED=1
else
  info "all present: ${wanted[*]}"
fi
! needs server || [ -x /usr/lib/postgresql/15/bin/initdb ] || warn "PostgreSQL 15 server (initdb) not found"

# --- 2. Rust toolchains, targets, cargo-fuzz -------------------------------------------------
log "Rust toolchains and targets"
have rustup || die "rustup not found: the machine's Rust toolchain is expected"
have_targets=$(rustup target list --installed --toolchain stable)
for target in "${RUST_TARGETS[@]}"; do
  # x86_64-unknown-none: core's no_std build; wasm32: that and the wasm layer.
  case "$target" in
    wasm32-*) needs core wasm package || continue ;;
    *) needs core || continue ;;
  esac
  if grep -qxF "$target" <<<"$have_targets"; then
    info "stable target $target present"
  else
    rustup target add --toolchain stable "$target"
    CHANGED=1
  fi
done

# The fuzz tools: no test layer uses them (scripts/fuzz.sh), so only a full install has them.
if [ ${#LAYERS[@]} -gt 0 ]; then
  info "nightly and cargo-fuzz: not needed by the layers ${LAYERS[*]}"
elif rustup toolchain list | grep '^nightly-' >/dev/null; then
  info "nightly toolchain present"
else
  # This machine's network may not reach the toolchain server: the fuzz targets need nightly,
  # nothing else does, so a failure here is only a warning.
  if rustup toolchain install nightly --profile minimal; then
    CHANGED=1
  else
    warn "could not install the nightly toolchain: cargo +nightly fuzz will not work"
  fi
fi

if [ ${#LAYERS[@]} -gt 0 ]; then
  :
elif have cargo-fuzz; then
  info "$(cargo-fuzz --version 2>/dev/null || echo cargo-fuzz) present"
else
  log "cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
  CHANGED=1
fi

# --- 3. wasm-bindgen-cli ---------------------------------------------------------------------
if needs wasm package; then
  log "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  crate_pin=$(sed -nE 's/^wasm-bindgen = \{ version = "=([0-9.]+)".*/\1/p' "$REPO/wasm/Cargo.toml" 2>/dev/null || true)
  if [ -n "$crate_pin" ] && [ "$crate_pin" != "$WASM_BINDGEN_VERSION" ]; then
    warn "wasm/Cargo.toml pins wasm-bindgen $crate_pin but this script installs $WASM_BINDGEN_VERSION"
  fi
  current=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$current" = "$WASM_BINDGEN_VERSION" ]; then
    info "wasm-bindgen $current present"
  else
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (have: ${current:-none})"
    # Not --locked: its lock file pins a webpki-roots release the registry here does not serve.
    cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    CHANGED=1
  fi
fi

if needs c; then
  current=$(cbindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$current" = "$CBINDGEN_VERSION" ]; then
    info "cbindgen $current present"
  else
    log "cargo install cbindgen $CBINDGEN_VERSION (have: ${current:-none})"
    cargo install --locked --force cbindgen --version "$CBINDGEN_VERSION" ||
      cargo install --force cbindgen --version "$CBINDGEN_VERSION"
    CHANGED=1
  fi
fi

# --- 4. Python virtualenv --------------------------------------------------------------------
# maturin, pytest (python), schemathesis (server), maturin for the wheel (package).
if needs python server package; then
  log "Python venv $VENV"
  if ! venv_ok; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    CHANGED=1
  fi
  # Exit 0 only if every pinned distribution is installed at exactly its version.
  if "$VENV/bin/python" - "${PY_PACKAGES[@]}" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
  then
    info "all present: ${PY_PACKAGES[*]}"
  else
    log "pip install ${PY_PACKAGES[*]}"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PY_PACKAGES[@]}"
    CHANGED=1
  fi
fi

# --- 5. npm tools ----------------------------------------------------------------------------
if needs wasm server package; then
  log "npm tools in $NODE_TOOLS: ${NPM_PACKAGES[*]}"
  missing=()
  for spec in "${NPM_PACKAGES[@]}"; do
    name=${spec%@*}
    want=${spec##*@}
    current=$(node -p "require(process.argv[1]).version" "$NODE_TOOLS/node_modules/$name/package.json" 2>/dev/null || true)
    if [ "$current" = "$want" ]; then
      info "$name $current present"
    else
      missing+=("$spec")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mkdir -p "$NODE_TOOLS"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$NODE_TOOLS" --save-exact \
      --no-audit --no-fund --loglevel=error "${missing[@]}"
    CHANGED=1
  fi
fi

# --- 6. cargo tools of the package layer -----------------------------------------------------
if needs package; then
  log "cargo-deb, cargo-deny, cargo-cyclonedx"
  # cargo_tool CRATE VERSION: cargo install --locked at exactly VERSION, timed.
  cargo_tool() {
    local crate=$1 want=$2 current
    current=$("$crate" "${crate#cargo-}" --version 2>/dev/null | awk '{print $2}' || true)
    if [ "$current" = "$want" ]; then
      info "$crate $current present"
    else
      log "cargo install --locked $crate $want (have: ${current:-none})"
      local t=$SECONDS
      cargo install --locked --force "$crate" --version "$want"
      info "$crate $want installed in $((SECONDS - t)) s"
      CHANGED=1
    fi
  }
  cargo_tool cargo-deb "$CARGO_DEB_VERSION"
  cargo_tool cargo-deny "$CARGO_DENY_VERSION"
  cargo_tool cargo-cyclonedx "$CARGO_CYCLONEDX_VERSION"
fi

if [ "$CHANGED" -eq 0 ]; then
  log "done in $((SECONDS - START)) s: everything was already installed, nothing changed"
else
  log "done in $((SECONDS - START)) s"
fi
