package hwflicense

// #include <stdlib.h>
// #include <string.h>
// #include <validate.h>
import "C"

import (
	"runtime"
)

// Receipt is a Root's manifest receipt verified with its receipt key certificate
// ([Validator.VerifyReceipt]).
type Receipt struct {
	// ID is the receipt's document id.
	ID string
	// OrgID is the org the receipted manifest is from.
	OrgID string
	// ManifestID is the receipted manifest's document id.
	ManifestID string
	// Period is the manifest's period, YYYY-MM.
	Period string
	// ReceivedAt is when the Root first recorded the manifest (unix seconds).
	ReceivedAt int64
	// CertificateID is the receipt key certificate's document id.
	CertificateID string
	// ReceiptKeyThumbprint is the RFC 7638 thumbprint of the receipt key (the receipt's kid).
	ReceiptKeyThumbprint string
	// CertificateValidUntil is when the receipt key certificate ends (unix seconds).
	CertificateValidUntil int64
}

// VerifyReceipt verifies a Root's manifest receipt (compact JWS, hwf-receipt+jws) and its
// receipt key certificate (hwf-receipt-key+jws) at now with the validator's trusted roots and
// environment policy (core's Validator::verify_receipt): the certificate signed by a trusted
// root and valid at now, the receipt signed by the certified key and dated within the
// certificate, for orgID and the manifest whose document id is manifestID. Errors carry core's
// codes (e.g. CodeSignerMismatch, CodeOrgMismatch, CodeBindingMismatch, CodeExpired).
func (v *Validator) VerifyReceipt(certificate, receipt, orgID, manifestID string, now int64) (*Receipt, error) {
	c, cLen := text(certificate)
	r, rLen := text(receipt)
	o, oLen := text(orgID)
	m, mLen := text(manifestID)
	var h *C.lv_receipt
	var cerr *C.lv_error
	rc := C.lv_validator_verify_receipt(v.c, c, cLen, r, rLen, o, oLen, m, mLen, C.int64_t(now), &h, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.lv_receipt_free(h)
	return &Receipt{
		ID:                    goString(C.lv_receipt_id(h)),
		OrgID:                 goString(C.lv_receipt_org_id(h)),
		ManifestID:            goString(C.lv_receipt_manifest_id(h)),
		Period:                goString(C.lv_receipt_period(h)),
		ReceivedAt:            int64(C.lv_receipt_received_at(h)),
		CertificateID:         goString(C.lv_receipt_certificate_id(h)),
		ReceiptKeyThumbprint:  goString(C.lv_receipt_key_thumbprint(h)),
		CertificateValidUntil: int64(C.lv_receipt_certificate_valid_until(h)),
	}, nil
}
