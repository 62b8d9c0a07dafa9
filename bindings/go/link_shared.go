//go:build !validate_static && !validate_bundled

package hwflicense

// Links libvalidate.so found through pkg-config (validate.pc, written by
// scripts/install-libvalidate.sh). Build with -tags validate_static to link libvalidate.a instead.

// #cgo pkg-config: validate
import "C"
