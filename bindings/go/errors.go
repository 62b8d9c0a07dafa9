package hwflicense

// #include <validate.h>
import "C"

import (
	"errors"
	"fmt"
)

// Code is one of core's stable error codes (hwf_license::ErrorCode, the C API's lv_result):
// 100–199 input shape, 200–299 chain of trust, 300–399 time, 400–499 node binding and
// revocation, 500–599 ledger and manifest, 900–999 the bindings. The numbers never change.
//
// A Code is also an error, so errors.Is(err, CodeExpired) tests an [*Error]'s code.
type Code uint32

// The codes, with the C header's values (the C header copies core's numbers; tests check both).
const (
	CodeMalformed             Code = C.LV_RESULT_MALFORMED
	CodeTooLarge              Code = C.LV_RESULT_TOO_LARGE
	CodeBadEncoding           Code = C.LV_RESULT_BAD_ENCODING
	CodeBadJWS                Code = C.LV_RESULT_BAD_JWS
	CodeUnsupportedAlgorithm  Code = C.LV_RESULT_UNSUPPORTED_ALGORITHM
	CodeWrongDocumentType     Code = C.LV_RESULT_WRONG_DOCUMENT_TYPE
	CodeUnknownKeyID          Code = C.LV_RESULT_UNKNOWN_KEY_ID
	CodeBadPayload            Code = C.LV_RESULT_BAD_PAYLOAD
	CodeUnsupportedVersion    Code = C.LV_RESULT_UNSUPPORTED_VERSION
	CodeBadKey                Code = C.LV_RESULT_BAD_KEY
	CodeInvalidArgument       Code = C.LV_RESULT_INVALID_ARGUMENT
	CodeBadState              Code = C.LV_RESULT_BAD_STATE
	CodeBadSignature          Code = C.LV_RESULT_BAD_SIGNATURE
	CodeEnvironmentMismatch   Code = C.LV_RESULT_ENVIRONMENT_MISMATCH
	CodeParentMismatch        Code = C.LV_RESULT_PARENT_MISMATCH
	CodeOrgMismatch           Code = C.LV_RESULT_ORG_MISMATCH
	CodeFeatureNotInCML       Code = C.LV_RESULT_FEATURE_NOT_IN_CML
	CodeSignerMismatch        Code = C.LV_RESULT_SIGNER_MISMATCH
	CodeNotYetValid           Code = C.LV_RESULT_NOT_YET_VALID
	CodeExpired               Code = C.LV_RESULT_EXPIRED
	CodeClockRollback         Code = C.LV_RESULT_CLOCK_ROLLBACK
	CodeOfflineTooLong        Code = C.LV_RESULT_OFFLINE_TOO_LONG
	CodeAddressMismatch       Code = C.LV_RESULT_ADDRESS_MISMATCH
	CodeDNSMismatch           Code = C.LV_RESULT_DNS_MISMATCH
	CodeDeploymentTagMismatch Code = C.LV_RESULT_DEPLOYMENT_TAG_MISMATCH
	CodeRevoked               Code = C.LV_RESULT_REVOKED
	CodeRevocationListStale   Code = C.LV_RESULT_REVOCATION_LIST_STALE
	CodeBindingMismatch       Code = C.LV_RESULT_BINDING_MISMATCH
	CodeNonceMismatch         Code = C.LV_RESULT_NONCE_MISMATCH
	CodeLedgerBroken          Code = C.LV_RESULT_LEDGER_BROKEN
	CodeManifestInvalid       Code = C.LV_RESULT_MANIFEST_INVALID
	CodeNullParameter         Code = C.LV_RESULT_NULL_PARAMETER
	CodeInvalidUTF8           Code = C.LV_RESULT_INVALID_UTF8
	CodePanic                 Code = C.LV_RESULT_PANIC
)

// Name is the code's stable snake_case name, e.g. "expired"; "unknown" for a number that is no
// code.
func (c Code) Name() string {
	return C.GoString(C.lv_result_name(C.uint32_t(c)))
}

// String is the code's name.
func (c Code) String() string { return c.Name() }

// Error is the code's name too; it makes a Code usable as an errors.Is target.
func (c Code) Error() string { return c.Name() }

// Error is a failure of the library: core's stable code and its one-line English message.
type Error struct {
	// Code is the stable code; compare it, never the message.
	Code Code
	// Message is core's message (the same text in every binding), for logs and operators.
	Message string

	index    int  // for CodeLedgerBroken: the first bad entry
	hasIndex bool // whether index is set
}

// LedgerIndex is, for CodeLedgerBroken, the zero-based index of the first bad ledger entry
// (ok true); for any other error ok is false.
func (e *Error) LedgerIndex() (index int, ok bool) {
	return e.index, e.hasIndex
}

// Error is "hwflicense: <name> (<code>): <message>".
func (e *Error) Error() string {
	return fmt.Sprintf("hwflicense: %s (%d): %s", e.Code.Name(), uint32(e.Code), e.Message)
}

// Is reports whether target is this error's Code, so errors.Is(err, CodeExpired) works.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// CodeOf is the Code of err when it is (or wraps) an [*Error], else 0.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// takeError turns a failed call's result and its lv_error (freed here) into an *Error.
func takeError(rc C.lv_result, cerr *C.lv_error) error {
	e := &Error{Code: Code(rc)}
	if cerr != nil {
		m := C.lv_error_message(cerr)
		e.Message = C.GoStringN(m.data, C.int(m.len))
		var index C.size_t
		if C.lv_error_ledger_index(cerr, &index) {
			e.index, e.hasIndex = int(index), true
		}
		C.lv_error_free(cerr)
	} else {
		e.Message = e.Code.Name()
	}
	return e
}
