package hwflicense

// The Go side of a validator's clock (WithClock): libvalidate calls the C trampoline
// hwf_clock (options.go) with the cgo.Handle of the Go function as its userdata, and the
// trampoline calls hwfGoClock. This file holds only the export (cgo allows no C definitions in a
// file with //export).

// #include <stdint.h>
import "C"

import "runtime/cgo"

// hwfGoClock reads the clock registered under handle. libvalidate may call it from any thread,
// from several at once (the validations that read it). A clock that panics reads -1, a time out
// of range: the call fails with CodeInvalidArgument instead of crashing the process inside a C
// frame.
//
//export hwfGoClock
func hwfGoClock(handle C.uintptr_t) (now C.int64_t) {
	defer func() {
		if recover() != nil {
			now = -1
		}
	}()
	clock := cgo.Handle(handle).Value().(func() int64)
	return C.int64_t(clock())
}
