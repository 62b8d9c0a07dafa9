//go:build validate_bundled

package hwflicense

// Links the libvalidate.a shipped inside the module, with no pkg-config and no install step:
// the release tarball's copy of this module (scripts/package.sh) has the header in include/ and
// the static library in lib/<GOOS>_<GOARCH>/, and in that copy this file has no build tag (and
// the pkg-config files link_shared.go and link_static.go are left out). In the repository it
// needs -tags validate_bundled and those two folders (scripts/test-package.sh builds them).

// #cgo CFLAGS: -I${SRCDIR}/include
// #cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libvalidate.a -lutil -lrt -lpthread -lm -ldl
import "C"
