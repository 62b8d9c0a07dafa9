package hwflicense

// #include <validate.h>
import "C"

import "runtime"

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

// Validator validates site.lic files offline: trusted roots, the environment policy, the
// applied revocation lists, the clock floor and the cache of verified chains (a repeated
// validation skips the signature checks, never the rules). Safe for concurrent use; Close frees
// it (a finalizer does otherwise).
type Validator struct {
	c *C.lv_validator
}

// NewValidator makes a validator for env trusting roots. A key that is not a P-256 public key
// fails with CodeBadKey.
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
	runtime.SetFinalizer(v, nil)
}

// AcceptOtherEnvironment also accepts CMLs of the other environment (the explicit opt-in core
// requires), or stops accepting them.
func (v *Validator) AcceptOtherEnvironment(accept bool) error {
	rc := C.lv_validator_accept_other_environment(v.c, C.bool(accept))
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, nil)
	}
	return nil
}

// SetLastSeen sets the host's persisted last-seen time (unix seconds), a floor the clock may
// not go under (CodeClockRollback). Persist ClockFloor and give it back here at the next start.
func (v *Validator) SetLastSeen(unixSeconds int64) error {
	var cerr *C.lv_error
	rc := C.lv_validator_set_last_seen(v.c, C.int64_t(unixSeconds), &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return takeError(rc, cerr)
	}
	return nil
}

// ClockFloor is the time (unix seconds) the clock may not go under: the maximum of the last-seen
// time and every signed issued_at accepted so far.
func (v *Validator) ClockFloor() (int64, error) {
	var floor C.int64_t
	rc := C.lv_validator_clock_floor(v.c, &floor)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return 0, takeError(rc, nil)
	}
	return int64(floor), nil
}

// ApplyRevocationList verifies a revocation list (compact JWS) against the CML of license and
// applies it at now (unix seconds, 0: the system clock); it returns the list's sequence number.
// An older list than the one applied fails with CodeRevocationListStale.
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

// VerifyHeartbeat verifies a heartbeat answer (compact JWS) for license carrying the nonce the
// node sent, at now (unix seconds, 0: the system clock), and applies the revocation list it
// carries.
func (v *Validator) VerifyHeartbeat(license []byte, answer, nonce string, unixSeconds int64) (*Heartbeat, error) {
	lic, licLen := bytes(license)
	a, aLen := text(answer)
	n, nLen := text(nonce)
	var hb *C.lv_heartbeat
	var cerr *C.lv_error
	rc := C.lv_validator_verify_heartbeat(v.c, lic, licLen, a, aLen, n, nLen, C.int64_t(unixSeconds), &hb, &cerr)
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
