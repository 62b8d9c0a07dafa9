//go:build validate_static && !validate_bundled

package hwflicense

// Links libvalidate.a and the C runtime it needs (validate-static.pc), so the Go binary does not
// load libvalidate.so at run time.

// #cgo pkg-config: validate-static
import "C"
