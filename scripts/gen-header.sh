#!/usr/bin/env bash
# Regenerates include/validate.h from the hwf-license-ffi crate with cbindgen (pinned below).
#
#   scripts/gen-header.sh           rewrite include/validate.h
#   scripts/gen-header.sh --check   regenerate into a temporary file and fail (printing the diff)
#                                   if it differs from the committed include/validate.h
#
# Install the pinned cbindgen with:  cargo install --locked cbindgen --version 0.29.2
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

CBINDGEN_VERSION=0.29.2
HEADER=include/validate.h

CHECK=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    *) die "unknown argument: $arg (usage: $0 [--check])" ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
have cbindgen || die "cbindgen not found: cargo install --locked cbindgen --version $CBINDGEN_VERSION"
current=$(cbindgen --version | awk '{print $2}')
[ "$current" = "$CBINDGEN_VERSION" ] \
  || die "cbindgen $current found, $CBINDGEN_VERSION required: cargo install --locked --force cbindgen --version $CBINDGEN_VERSION"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cbindgen --quiet --config ffi/cbindgen.toml --crate hwf-license-ffi --output "$tmp" ffi

if [ "$CHECK" = 1 ]; then
  [ -f "$HEADER" ] || die "$HEADER is missing: run scripts/gen-header.sh"
  if ! diff -u "$HEADER" "$tmp" >&2; then
    die "$HEADER is out of date with ffi/src: run scripts/gen-header.sh and commit it"
  fi
  log "$HEADER is current (cbindgen $CBINDGEN_VERSION)"
else
  mkdir -p "$(dirname "$HEADER")"
  cp "$tmp" "$HEADER"
  log "wrote $HEADER (cbindgen $CBINDGEN_VERSION)"
fi
