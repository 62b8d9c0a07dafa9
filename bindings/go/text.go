package hwflicense

// #include <validate.h>
//
// /* A bare cgo crossing, the baseline of the package's benchmarks. */
// static uint32_t hwf_noop(uint32_t x) { return x + 1; }
//
// static const char *hwf_header_version(void) { return LV_VERSION; }
import "C"

import "unsafe"

// empty gives empty text and buffers a non-NULL address (the C API rejects NULL even with
// length 0).
var empty [1]byte

// text is s as a C pointer and length, without copying: the C API reads text as UTF-8 pointer
// + length during the call and keeps no pointer, and string bytes hold no Go pointer, so cgo's
// rules allow it (the pointer argument keeps s alive during the call).
func text(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return (*C.char)(unsafe.Pointer(&empty[0])), 0
	}
	return (*C.char)(unsafe.Pointer(*(**byte)(unsafe.Pointer(&s)))), C.size_t(len(s))
}

// bytes is b as a C pointer and length, without copying (same rules as text).
func bytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return (*C.uint8_t)(unsafe.Pointer(&empty[0])), 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// goString copies a library string into Go memory.
func goString(s C.lv_str) string {
	if s.len == 0 {
		return ""
	}
	return C.GoStringN(s.data, C.int(s.len))
}

// cgoNoop is one call into C that does nothing: the benchmarks' baseline for a crossing.
func cgoNoop(x uint32) uint32 {
	return uint32(C.hwf_noop(C.uint32_t(x)))
}

// HeaderVersion is the version of the validate.h this package was compiled against. It differs
// from [Version] when another libvalidate is loaded at run time.
func HeaderVersion() string {
	return C.GoString(C.hwf_header_version())
}
