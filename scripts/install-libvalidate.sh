#!/usr/bin/env bash
# Builds libvalidate (release) and installs it under PREFIX:
#
#   PREFIX/include/validate.h
#   PREFIX/lib/libvalidate.so.X.Y.Z, libvalidate.so.0 (the SONAME), libvalidate.so
#   PREFIX/lib/libvalidate.a
#   PREFIX/lib/pkgconfig/libvalidate.pc       cc app.c $(pkg-config --cflags --libs libvalidate)
#   PREFIX/lib/pkgconfig/validate.pc          the same under its first name (validate)
#   PREFIX/lib/pkgconfig/validate-static.pc   cc app.c $(pkg-config --cflags --libs validate-static)
#
#   scripts/install-libvalidate.sh PREFIX [--no-build] [--relocatable]
#
# --relocatable: the .pc files name their prefix as ${pcfiledir}/../.. instead of PREFIX, so the
# folder can be moved or unpacked anywhere (the release tarball, scripts/package.sh).
#
# With a PREFIX outside the linker's default paths, point PKG_CONFIG_PATH at PREFIX/lib/pkgconfig
# and, for the shared library, LD_LIBRARY_PATH at PREFIX/lib (or run ldconfig for /usr/local).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

# ABI major: the SONAME suffix (ffi/build.rs sets the same).
ABI_MAJOR=0
# What a Rust staticlib needs from the C runtime on Linux (rustc --print native-static-libs).
STATIC_DEPS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

PREFIX=""
BUILD=1
RELOCATABLE=0
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    --relocatable) RELOCATABLE=1 ;;
    -*) die "unknown option: $arg (usage: $0 PREFIX [--no-build] [--relocatable])" ;;
    *) [ -z "$PREFIX" ] || die "one PREFIX only"; PREFIX=$arg ;;
  esac
done
[ -n "$PREFIX" ] || die "usage: $0 PREFIX [--no-build]"
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd -P)

if [ "$BUILD" = 1 ]; then
  log "cargo build --release -p hwf-license-ffi"
  cargo build --release -q -p hwf-license-ffi
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
SO="$TARGET_DIR/release/libvalidate.so"
A="$TARGET_DIR/release/libvalidate.a"
[ -f "$SO" ] && [ -f "$A" ] || die "$SO or $A missing: build with cargo build --release -p hwf-license-ffi"

VERSION=$(cargo pkgid -p hwf-license-ffi | sed -E 's/.*[#@]([0-9][^#@]*)$/\1/')
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot read the crate version (got '$VERSION')"

log "installing libvalidate $VERSION into $PREFIX"
install -d "$PREFIX/include" "$PREFIX/lib/pkgconfig"
install -m 0644 include/validate.h "$PREFIX/include/validate.h"
install -m 0755 "$SO" "$PREFIX/lib/libvalidate.so.$VERSION"
ln -sfn "libvalidate.so.$VERSION" "$PREFIX/lib/libvalidate.so.$ABI_MAJOR"
ln -sfn "libvalidate.so.$ABI_MAJOR" "$PREFIX/lib/libvalidate.so"
install -m 0644 "$A" "$PREFIX/lib/libvalidate.a"

PC_PREFIX=$PREFIX
# shellcheck disable=SC2016
[ "$RELOCATABLE" = 1 ] && PC_PREFIX='${pcfiledir}/../..'
pc_head() {
  cat <<PC
prefix=$PC_PREFIX
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Version: $VERSION
Cflags: -I\${includedir}
PC
}
{
  pc_head
  cat <<PC
Name: validate
Description: libvalidate, offline validation of hwf site licenses (C ABI of hwf-license)
Libs: -L\${libdir} -lvalidate
Libs.private: $STATIC_DEPS
PC
} >"$PREFIX/lib/pkgconfig/validate.pc"
sed 's/^Name: validate$/Name: libvalidate/' "$PREFIX/lib/pkgconfig/validate.pc" >"$PREFIX/lib/pkgconfig/libvalidate.pc"
{
  pc_head
  cat <<PC
Name: validate-static
Description: libvalidate linked statically (libvalidate.a and the C runtime it needs)
Libs: \${libdir}/libvalidate.a $STATIC_DEPS
PC
} >"$PREFIX/lib/pkgconfig/validate-static.pc"
info "$PREFIX/lib/pkgconfig/libvalidate.pc (= validate.pc), validate-static.pc"
info "use: PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig cc app.c \$(pkg-config --cflags --libs libvalidate)"
