package hwflicense

// #include <stdint.h>
// #include <validate.h>
//
// extern int64_t hwfGoClock(uintptr_t handle);
//
// /* The C clock libvalidate calls: userdata is the cgo.Handle of the Go clock function (a
//    number, never dereferenced). */
// static int64_t hwf_clock(void *userdata) { return hwfGoClock((uintptr_t)userdata); }
//
// static lv_result hwf_builder_set_clock(lv_validator_builder *b, uintptr_t handle) {
//     return lv_validator_builder_set_clock(b, hwf_clock, (void *)handle);
// }
import "C"

import (
	"runtime"
	"runtime/cgo"
)

// Option configures a validator made by [New].
type Option func(*config)

type config struct {
	roots       []Root
	acceptOther bool
	clock       func() int64
	seed        []byte
	seedSet     bool
}

// WithRoots trusts these root keys (kids must be unique: a repeated kid makes New fail with
// CodeInvalidArgument).
func WithRoots(roots ...Root) Option {
	return func(c *config) { c.roots = append(c.roots, roots...) }
}

// WithAcceptOtherEnvironment also accepts CMLs of the other environment (the explicit opt-in
// core requires for a dev license on a prod node or the reverse). A validator can change it
// later with [Validator.AcceptOtherEnvironment].
func WithAcceptOtherEnvironment(accept bool) Option {
	return func(c *config) { c.acceptOther = accept }
}

// WithClock makes clock the validator's clock, read by [Validator.Validate],
// [Validator.ApplyRevocationListNow] and [Validator.VerifyHeartbeatNow]: the current time in
// unix seconds (default: the system clock). It is called from the goroutine making the call,
// by several goroutines at once when they share the validator, so it must be safe for
// concurrent use; it must not call the validator. A time outside 1970..9999, or a panic in
// clock, makes the call fail with CodeInvalidArgument.
func WithClock(clock func() int64) Option {
	return func(c *config) { c.clock = clock }
}

// WithNonceSeed fixes the secret seed heartbeat nonces ([Validator.NewNonce]) are derived from:
// exactly 32 bytes, else New fails with CodeInvalidArgument. By default every validator draws a
// fresh seed from the operating system; a fixed seed makes nonces predictable, so use it only
// in tests and conformance scenarios.
func WithNonceSeed(seed []byte) Option {
	return func(c *config) { c.seed, c.seedSet = append([]byte(nil), seed...), true }
}

// New makes a validator for env configured by opts (roots, environment policy, clock, nonce
// seed), through libvalidate's builder. [NewValidator] is New with roots only.
func New(env Environment, opts ...Option) (*Validator, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var b *C.lv_validator_builder
	if rc := C.lv_validator_builder_new(C.uint32_t(env), &b); rc != C.LV_RESULT_OK {
		return nil, takeError(rc, nil)
	}
	defer C.lv_validator_builder_free(b)
	for _, r := range cfg.roots {
		kid, kidLen := text(r.KID)
		key, keyLen := text(r.Key)
		var cerr *C.lv_error
		rc := C.lv_validator_builder_add_root(b, kid, kidLen, C.uint32_t(r.Environment), key, keyLen, &cerr)
		if rc != C.LV_RESULT_OK {
			return nil, takeError(rc, cerr)
		}
	}
	if rc := C.lv_validator_builder_accept_other_environment(b, C.bool(cfg.acceptOther)); rc != C.LV_RESULT_OK {
		return nil, takeError(rc, nil)
	}
	if cfg.seedSet {
		seed, seedLen := bytes(cfg.seed)
		if rc := C.lv_validator_builder_set_nonce_seed(b, seed, seedLen); rc != C.LV_RESULT_OK {
			return nil, &Error{Code: Code(rc), Message: "invalid argument: a nonce seed is 32 bytes"}
		}
	}
	var clock cgo.Handle
	if cfg.clock != nil {
		clock = cgo.NewHandle(cfg.clock)
		if rc := C.hwf_builder_set_clock(b, C.uintptr_t(clock)); rc != C.LV_RESULT_OK {
			clock.Delete()
			return nil, takeError(rc, nil)
		}
	}
	var c *C.lv_validator
	var cerr *C.lv_error
	if rc := C.lv_validator_builder_build(b, &c, &cerr); rc != C.LV_RESULT_OK {
		if clock != 0 {
			clock.Delete()
		}
		return nil, takeError(rc, cerr)
	}
	v := &Validator{c: c, clock: clock}
	runtime.SetFinalizer(v, (*Validator).Close)
	return v, nil
}
