package hwflicense

// #include <validate.h>
import "C"

import (
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// Environment is a validator's, a root key's or a chain's environment.
type Environment uint32

const (
	// Prod is production.
	Prod Environment = C.LV_ENVIRONMENT_PROD
	// Dev is development.
	Dev Environment = C.LV_ENVIRONMENT_DEV
)

// String is "prod", "dev", or "none".
func (e Environment) String() string {
	switch e {
	case Prod:
		return "prod"
	case Dev:
		return "dev"
	}
	return "none"
}

// Root is a trusted root public key.
type Root struct {
	// KID is the key id CMLs signed by this key announce.
	KID string
	// Environment is the environment the key signs for.
	Environment Environment
	// Key is the P-256 public key as SPKI PEM ("-----BEGIN PUBLIC KEY-----") or JWK JSON text.
	Key string
}

// Validator validates site.lic files offline: trusted roots, the environment policy, its clock,
// the trust state (clock floor, applied revocation lists, heartbeat answers) and the cache of
// verified chains (a repeated validation skips the signature checks, never the rules). Safe for
// concurrent use: calls from several goroutines run at the same time in libvalidate. Close
// frees it (a finalizer does otherwise).
//
// The trust state lives in memory: persist it across restarts with [Validator.ExportState]
// (when [Validator.StateChanged]) and [Validator.ImportState] at start-up.
type Validator struct {
	c     *C.lv_validator
	clock cgo.Handle // the WithClock function, or 0
}

// NewValidator makes a validator for env trusting roots, reading the system clock, with a
// random nonce seed. A key that is not a P-256 public key fails with CodeBadKey. [New] takes
// options (a clock, a nonce seed, the environment policy).
func NewValidator(env Environment, roots ...Root) (*Validator, error) {
	var c *C.lv_validator
	if rc := C.lv_validator_new(C.uint32_t(env), &c); rc != C.LV_RESULT_OK {
		return nil, takeError(rc, nil)
	}
	v := &Validator{c: c}
	runtime.SetFinalizer(v, (*Validator).Close)
	for _, r := range roots {
		kid, kidLen := text(r.KID)
		key, keyLen := text(r.Key)
		var cerr *C.lv_error
		rc := C.lv_validator_add_root(v.c, kid, kidLen, C.uint32_t(r.Environment), key, keyLen, &cerr)
		if rc != C.LV_RESULT_OK {
			v.Close()
			return nil, takeError(rc, cerr)
		}
	}
	runtime.KeepAlive(v)
	return v, nil
}

// Close frees the validator. Safe to call more than once; must not race with other calls on v.
func (v *Validator) Close() {
	if v == nil || v.c == nil {
		return
	}
	C.lv_validator_free(v.c)
	v.c = nil
	if v.clock != 0 {
		v.clock.Delete()
		v.clock = 0
	}
	runtime.SetFinalizer(v, nil)
}

// AddRoot trusts one more root key, at any time: the cache and the trust state are kept. A kid
// already trusted fails with CodeInvalidArgument; a key that is not a P-256 public key with
// CodeBadKey.
func (v *Validator) AddRoot(r Root) error {
	kid, kidLen := text(r.KID)
	key, keyLen := text(r.Key)
	var cerr *C.lv_error
	rc := C.lv_validator_add_root(v.c, kid, kidLen, C.uint32_t(r.Environment), key, keyLen, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// AcceptOtherEnvironment also accepts CMLs of the other environment (the explicit opt-in core
// requires), or stops accepting them; cached chains are re-checked on the next call.
func (v *Validator) AcceptOtherEnvironment(accept bool) error {
	rc := C.lv_validator_accept_other_environment(v.c, C.bool(accept))
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, nil)
	}
	return nil
}

// SetLastSeen raises the clock floor to a host's persisted last-seen time (unix seconds; never
// lowers it): the clock may not go under it (CodeClockRollback). Prefer persisting the whole
// trust state ([Validator.ExportState], [Validator.ImportState]).
func (v *Validator) SetLastSeen(unixSeconds int64) error {
	var cerr *C.lv_error
	rc := C.lv_validator_set_last_seen(v.c, C.int64_t(unixSeconds), &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// ClockFloor is the time (unix seconds) the clock may not go under (by more than the allowed
// skew): the highest of every validation time at the clock, every signed time accepted and
// every last-seen time given, lowered only by a heartbeat answer to a nonce of NewNonce.
func (v *Validator) ClockFloor() (int64, error) {
	var floor C.int64_t
	rc := C.lv_validator_clock_floor(v.c, &floor)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return 0, takeError(rc, nil)
	}
	return int64(floor), nil
}

// ApplyRevocationListNow verifies a revocation list (compact JWS) against the CML of license
// (not issued after the validator's clock) and applies it to the trust state; it returns the
// list's sequence number. An older list than the one applied fails with
// CodeRevocationListStale; the same list again is a no-op.
func (v *Validator) ApplyRevocationListNow(license []byte, list string) (uint64, error) {
	lic, licLen := bytes(license)
	l, lLen := text(list)
	var seq C.uint64_t
	var cerr *C.lv_error
	rc := C.lv_validator_apply_revocation_list_now(v.c, lic, licLen, l, lLen, &seq, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return 0, takeError(rc, cerr)
	}
	return uint64(seq), nil
}

// ApplyRevocationList is ApplyRevocationListNow with the time of the "not issued in the future"
// check given (unix seconds); the list is applied all the same. 0 means the validator's clock
// (deprecated: use ApplyRevocationListNow).
func (v *Validator) ApplyRevocationList(license []byte, list string, unixSeconds int64) (uint64, error) {
	lic, licLen := bytes(license)
	l, lLen := text(list)
	var seq C.uint64_t
	var cerr *C.lv_error
	rc := C.lv_validator_apply_revocation_list(v.c, lic, licLen, l, lLen, C.int64_t(unixSeconds), &seq, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return 0, takeError(rc, cerr)
	}
	return uint64(seq), nil
}

// Heartbeat is a verified heartbeat answer from the Hub.
type Heartbeat struct {
	// Status is the site's status at the Hub (e.g. "active", "revoked").
	Status string
	// ServerTime is the Hub's clock when it answered (unix seconds).
	ServerTime int64
	// RevocationSeq is the sequence number of the revocation list the answer carried, now
	// applied.
	RevocationSeq uint64
	// Revoked tells whether that list revokes this site license.
	Revoked bool
}

// VerifyHeartbeatNow verifies a heartbeat answer (compact JWS) for license carrying the nonce
// the node sent, at the validator's clock; it applies the revocation list the answer carries
// and records the Hub's time: the clock floor rises to ServerTime. For a nonce from
// [Validator.NewNonce] (accepted once; the same answer again fails with CodeNonceMismatch) the
// floor may also come down to ServerTime, never under the newest signed time held.
func (v *Validator) VerifyHeartbeatNow(license []byte, answer, nonce string) (*Heartbeat, error) {
	return v.verifyHeartbeat(license, answer, nonce, true, 0)
}

// VerifyHeartbeat is VerifyHeartbeatNow with the time of the embedded revocation list's "not
// issued in the future" check given (unix seconds); the answer is applied all the same. 0 means
// the validator's clock (deprecated: use VerifyHeartbeatNow).
func (v *Validator) VerifyHeartbeat(license []byte, answer, nonce string, unixSeconds int64) (*Heartbeat, error) {
	return v.verifyHeartbeat(license, answer, nonce, false, unixSeconds)
}

func (v *Validator) verifyHeartbeat(license []byte, answer, nonce string, atClock bool, unixSeconds int64) (*Heartbeat, error) {
	lic, licLen := bytes(license)
	a, aLen := text(answer)
	n, nLen := text(nonce)
	var hb *C.lv_heartbeat
	var cerr *C.lv_error
	var rc C.lv_result
	if atClock {
		rc = C.lv_validator_verify_heartbeat_now(v.c, lic, licLen, a, aLen, n, nLen, &hb, &cerr)
	} else {
		rc = C.lv_validator_verify_heartbeat(v.c, lic, licLen, a, aLen, n, nLen, C.int64_t(unixSeconds), &hb, &cerr)
	}
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.lv_heartbeat_free(hb)
	return &Heartbeat{
		Status:        goString(C.lv_heartbeat_status(hb)),
		ServerTime:    int64(C.lv_heartbeat_server_time(hb)),
		RevocationSeq: uint64(C.lv_heartbeat_revocation_seq(hb)),
		Revoked:       bool(C.lv_heartbeat_revoked(hb)),
	}, nil
}

// NewNonce is a fresh nonce for a heartbeat request: send it to the Hub and verify the answer
// with [Validator.VerifyHeartbeatNow]. Nonces are kept in memory only.
func (v *Validator) NewNonce() (string, error) {
	var p *C.char
	var cerr *C.lv_error
	rc := C.lv_validator_new_nonce(v.c, &p, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return "", takeError(rc, cerr)
	}
	defer C.lv_string_free(p)
	return C.GoString(p), nil
}

// ExportState is the validator's trust state as bytes (the clock floor, the newest signed time,
// per CML the revocation list applied and the newest heartbeat answer, each the signed
// document); it clears [Validator.StateChanged]. Store them (atomically: a temporary file,
// fsync, rename) and give them to [Validator.ImportState] at the next start.
func (v *Validator) ExportState() ([]byte, error) {
	var p *C.uint8_t
	var n C.size_t
	var cerr *C.lv_error
	rc := C.lv_validator_export_state(v.c, &p, &n, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.lv_bytes_free(p, n)
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
}

// ImportState merges trust state bytes of [Validator.ExportState] (an earlier run's) into the
// validator: the floor only rises, a revocation list only replaces an older one. Every signed
// document in them is verified under this validator's roots and policy. Truncated, corrupt or
// foreign bytes fail with CodeBadState (over 4 MiB with CodeTooLarge) and change nothing.
func (v *Validator) ImportState(state []byte) error {
	p, n := bytes(state)
	var cerr *C.lv_error
	rc := C.lv_validator_import_state(v.c, p, n, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// StateChanged reports whether the trust state changed since the last ExportState (or since
// the validator was made, or an ImportState of bytes equal to its state): export and store it
// when true. false after Close.
func (v *Validator) StateChanged() bool {
	changed := bool(C.lv_validator_state_changed(v.c))
	runtime.KeepAlive(v)
	return changed
}

// KeyThumbprint is the RFC 7638 thumbprint (SHA-256, base64url) of a P-256 public key given as
// SPKI PEM or JWK text; CodeBadKey when it is not one.
func KeyThumbprint(key string) (string, error) {
	k, kLen := text(key)
	var buf [C.LV_THUMBPRINT_SIZE]C.char
	var cerr *C.lv_error
	rc := C.lv_key_thumbprint(k, kLen, &buf[0], C.size_t(len(buf)), &cerr)
	if rc != C.LV_RESULT_OK {
		return "", takeError(rc, cerr)
	}
	return C.GoString(&buf[0]), nil
}

// Version is libvalidate's version, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.lv_version())
}
