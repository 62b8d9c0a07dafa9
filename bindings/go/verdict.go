package hwflicense

// #include <string.h>
// #include <validate.h>
//
// /* A verdict's scalars, read in the same crossing as the validation. */
// typedef struct {
//     lv_verdict *verdict;
//     lv_result result;
//     lv_status status;
//     lv_environment environment;
//     lv_str message;
//     int64_t issued_at, expires_at, grace_end, grace_days_left;
//     int64_t site_expires_at, cml_valid_until, max_offline_days;
//     uint32_t max_sites;
//     size_t features_len, packs_len, warnings_len, text_len;
//     int filled;
// } hwf_verdict_view;
//
// enum { HWF_FIXED = 11 };
//
// /* The i-th string of a usable verdict: 11 fields, the features, the CML's feature packs, the
//    warnings' names, their messages. */
// static lv_str hwf_text(const lv_verdict *d, size_t i, size_t nf, size_t np, size_t nw) {
//     switch (i) {
//     case 0: return lv_verdict_site_id(d);
//     case 1: return lv_verdict_org_id(d);
//     case 2: return lv_verdict_license_id(d);
//     case 3: return lv_verdict_cml_license_id(d);
//     case 4: return lv_verdict_cml_id(d);
//     case 5: return lv_verdict_product(d);
//     case 6: return lv_verdict_tier(d);
//     case 7: return lv_verdict_site_document_id(d);
//     case 8: return lv_verdict_fingerprint_address(d);
//     case 9: return lv_verdict_fingerprint_dns_suffix(d);
//     case 10: return lv_verdict_fingerprint_deployment_tag(d);
//     }
//     i -= HWF_FIXED;
//     if (i < nf) return lv_verdict_feature(d, i);
//     i -= nf;
//     if (i < np) return lv_verdict_feature_pack(d, i);
//     i -= np;
//     if (i < nw) return lv_verdict_warning_name(d, i);
//     return lv_verdict_warning_message(d, i - nw);
// }
//
// /* Copies every string back to back into buf and their end offsets into ints, then each
//    warning's days left; writes only when all fits. Returns the bytes needed. */
// static size_t hwf_fill(const lv_verdict *d, size_t nf, size_t np, size_t nw, char *buf, size_t cap,
//                        int64_t *ints, size_t ints_cap, int *filled) {
//     enum { KEEP = 32 };
//     lv_str kept[KEEP];
//     size_t count = HWF_FIXED + nf + np + 2 * nw, total = 0, at = 0;
//     for (size_t i = 0; i < count; i++) {
//         lv_str s = hwf_text(d, i, nf, np, nw);
//         if (i < KEEP) kept[i] = s;
//         total += s.len;
//     }
//     *filled = total <= cap && count + nw <= ints_cap;
//     if (!*filled) return total;
//     for (size_t i = 0; i < count; i++) {
//         lv_str s = i < KEEP ? kept[i] : hwf_text(d, i, nf, np, nw);
//         if (s.len) memcpy(buf + at, s.data, s.len);
//         at += s.len;
//         ints[i] = (int64_t)at;
//     }
//     for (size_t i = 0; i < nw; i++) ints[count + i] = lv_verdict_warning_days_left(d, i);
//     return total;
// }
//
// /* A validation at the validator's clock (at_clock) or at `now`, and its verdict read. */
// static hwf_verdict_view hwf_validate(const lv_validator *v, const uint8_t *license,
//                                      size_t len, const lv_node_facts *facts, int at_clock,
//                                      int64_t now, char *buf, size_t cap, int64_t *ints,
//                                      size_t ints_cap) {
//     hwf_verdict_view out;
//     memset(&out, 0, sizeof out);
//     out.result = at_clock ? lv_validator_validate_now(v, license, len, facts, &out.verdict)
//                           : lv_validator_validate(v, license, len, facts, now, &out.verdict);
//     const lv_verdict *d = out.verdict;
//     out.status = lv_verdict_status(d);
//     out.environment = lv_verdict_environment(d);
//     out.message = lv_verdict_error_message(d);
//     out.issued_at = lv_verdict_issued_at(d);
//     out.expires_at = lv_verdict_expires_at(d);
//     out.grace_end = lv_verdict_grace_end(d);
//     out.grace_days_left = lv_verdict_grace_days_left(d);
//     out.site_expires_at = lv_verdict_site_expires_at(d);
//     out.cml_valid_until = lv_verdict_cml_valid_until(d);
//     out.max_offline_days = lv_verdict_max_offline_days(d);
//     out.max_sites = lv_verdict_max_sites(d);
//     out.features_len = lv_verdict_features_len(d);
//     out.packs_len = lv_verdict_feature_packs_len(d);
//     out.warnings_len = lv_verdict_warnings_len(d);
//     if (out.result == LV_RESULT_OK)
//         out.text_len = hwf_fill(d, out.features_len, out.packs_len, out.warnings_len, buf, cap,
//                                 ints, ints_cap, &out.filled);
//     return out;
// }
//
// /* Validation through the C API alone, the verdict freed at once: the benchmarks' reference. */
// static lv_result hwf_validate_raw(const lv_validator *v, const uint8_t *license, size_t len,
//                                   const lv_node_facts *facts, int64_t now) {
//     lv_verdict *d = NULL;
//     lv_result rc = lv_validator_validate(v, license, len, facts, now, &d);
//     lv_verdict_free(d);
//     return rc;
// }
import "C"

import (
	"runtime"
	"unsafe"
)

// Status tells how a license is usable.
type Status uint32

const (
	// Valid is within its validity.
	Valid Status = C.LV_STATUS_VALID
	// Grace is past its effective expiry but within the grace period: usable, with an
	// "in_grace" warning.
	Grace Status = C.LV_STATUS_GRACE
)

// String is "valid" or "grace".
func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Grace:
		return "grace"
	}
	return "invalid"
}

// Warning is something to show the operator about a usable license.
type Warning struct {
	// Name is the stable name: "in_grace" or "expires_soon".
	Name string
	// Message is one line of English (core's wording).
	Message string
	// DaysLeft is the whole days left (rounded up): until the end of grace for "in_grace",
	// until expiry for "expires_soon".
	DaysLeft int64
}

// Fingerprint is what a site license binds a node to, as licensed; "" where it binds nothing
// (a license never holds an empty value).
type Fingerprint struct {
	// Address is the IP address or CIDR network the node must have an address in.
	Address string
	// DNSSuffix is the suffix the node's DNS name must be within.
	DNSSuffix string
	// DeploymentTag is the tag the node must carry exactly.
	DeploymentTag string
}

// Verdict is a usable license: what it allows. Its fields are Go copies; it also keeps the C
// verdict for HasFeature, so Close it when done (a finalizer does otherwise).
type Verdict struct {
	// Status is Valid or Grace.
	Status Status
	// SiteID is the site.
	SiteID string
	// OrgID is the organisation.
	OrgID string
	// LicenseID is the site license id.
	LicenseID string
	// CMLLicenseID is the CML's license id.
	CMLLicenseID string
	// CMLID is the CML's document id (hex SHA-256).
	CMLID string
	// Environment is the chain's environment.
	Environment Environment
	// Product is for usage statistics.
	Product string
	// Tier is for usage statistics.
	Tier string
	// Features are the enabled features, in license order.
	Features []string
	// IssuedAt is when the site license was issued (unix seconds).
	IssuedAt int64
	// ExpiresAt is the effective expiry: the earlier of the site license's and the CML's.
	ExpiresAt int64
	// GraceEnd is the end of the grace period.
	GraceEnd int64
	// GraceDaysLeft is the whole days of grace left (rounded up) when Status is Grace, else -1.
	GraceDaysLeft int64
	// Warnings are to be shown to the operator.
	Warnings []Warning

	// SiteDocumentID is the site license's document id (hex SHA-256 of its JWS).
	SiteDocumentID string
	// SiteExpiresAt is the site license's own expiry (ExpiresAt is the earlier of it and
	// CMLValidUntil).
	SiteExpiresAt int64
	// CMLValidUntil is the CML's end of validity.
	CMLValidUntil int64
	// MaxSites is how many sites the CML allows.
	MaxSites uint32
	// FeaturePacks are the CML's feature packs, in CML order.
	FeaturePacks []string
	// MaxOfflineDays is how many days the CML lets a node run without a signed time from its
	// Hub, or -1 when it sets no limit.
	MaxOfflineDays int64
	// Fingerprint is what the site license binds the node to.
	Fingerprint Fingerprint

	c *C.lv_verdict
}

func newVerdict(view *C.hwf_verdict_view, buf []byte, ints []int64) *Verdict {
	const fixed = C.HWF_FIXED
	// One Go string holds every text of the verdict; the fields are substrings of it. buf is
	// this function's alone and never written again, so it becomes the string without a copy.
	nf, np, nw := int(view.features_len), int(view.packs_len), int(view.warnings_len)
	buf = buf[:view.text_len]
	all := *(*string)(unsafe.Pointer(&buf))
	at := 0
	next := func(i int) string {
		s := all[at:ints[i]]
		at = int(ints[i])
		return s
	}
	v := &Verdict{
		Status:         Status(view.status),
		SiteID:         next(0),
		OrgID:          next(1),
		LicenseID:      next(2),
		CMLLicenseID:   next(3),
		CMLID:          next(4),
		Product:        next(5),
		Tier:           next(6),
		SiteDocumentID: next(7),
		Fingerprint:    Fingerprint{Address: next(8), DNSSuffix: next(9), DeploymentTag: next(10)},
		SiteExpiresAt:  int64(view.site_expires_at),
		CMLValidUntil:  int64(view.cml_valid_until),
		MaxSites:       uint32(view.max_sites),
		MaxOfflineDays: int64(view.max_offline_days),
		Environment:    Environment(view.environment),
		IssuedAt:       int64(view.issued_at),
		ExpiresAt:      int64(view.expires_at),
		GraceEnd:       int64(view.grace_end),
		GraceDaysLeft:  int64(view.grace_days_left),
		c:              view.verdict,
	}
	if nf > 0 {
		v.Features = make([]string, nf)
		for i := range v.Features {
			v.Features[i] = next(fixed + i)
		}
	}
	if np > 0 {
		v.FeaturePacks = make([]string, np)
		for i := range v.FeaturePacks {
			v.FeaturePacks[i] = next(fixed + nf + i)
		}
	}
	if nw > 0 {
		v.Warnings = make([]Warning, nw)
		for i := range v.Warnings {
			v.Warnings[i].Name = next(fixed + nf + np + i)
		}
		for i := range v.Warnings {
			v.Warnings[i].Message = next(fixed + nf + np + nw + i)
			v.Warnings[i].DaysLeft = ints[fixed+nf+np+2*nw+i]
		}
	}
	runtime.SetFinalizer(v, (*Verdict).Close)
	return v
}

// Validate validates the bytes of a site.lic for a node with facts (nil: none) at the
// validator's clock (the system clock, or [WithClock]). It returns a usable Verdict (valid or in
// grace), or an [*Error] with core's code. On success the clock floor rises to that time:
// persist the trust state when [Validator.StateChanged].
func (v *Validator) Validate(license []byte, facts *NodeFacts) (*Verdict, error) {
	return v.validate(license, facts, true, 0)
}

// ValidateAt is a what-if: Validate as if the time were unixSeconds. Every rule is checked, the
// trust state included (floor, revocation lists), but the trust state is never written. 0 means
// the validator's clock, as Validate (deprecated: call Validate).
func (v *Validator) ValidateAt(license []byte, facts *NodeFacts, unixSeconds int64) (*Verdict, error) {
	return v.validate(license, facts, false, unixSeconds)
}

func (v *Validator) validate(license []byte, facts *NodeFacts, atClock bool, unixSeconds int64) (*Verdict, error) {
	lic, licLen := bytes(license)
	flag := C.int(0)
	if atClock {
		flag = 1
	}
	// Room for a typical verdict, so the strings come back in the same crossing.
	buf := make([]byte, 512)
	ints := make([]int64, 32)
	view := C.hwf_validate(v.c, lic, licLen, facts.ptr(), flag, C.int64_t(unixSeconds),
		(*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)),
		(*C.int64_t)(unsafe.Pointer(&ints[0])), C.size_t(len(ints)))
	runtime.KeepAlive(v)
	runtime.KeepAlive(facts)
	if view.result != C.LV_RESULT_OK {
		err := &Error{Code: Code(view.result), Message: goString(view.message)}
		C.lv_verdict_free(view.verdict)
		return nil, err
	}
	if view.filled == 0 {
		nf, np, nw := view.features_len, view.packs_len, view.warnings_len
		buf = make([]byte, view.text_len+1)
		ints = make([]int64, C.HWF_FIXED+nf+np+3*nw)
		C.hwf_fill(view.verdict, nf, np, nw, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)),
			(*C.int64_t)(unsafe.Pointer(&ints[0])), C.size_t(len(ints)), &view.filled)
	}
	return newVerdict(&view, buf, ints), nil
}

// HasFeature reports whether feature name is enabled: core's rule (exact, case-sensitive),
// asked of the C verdict. false after Close.
func (v *Verdict) HasFeature(name string) bool {
	if v == nil || v.c == nil {
		return false
	}
	p, n := text(name)
	yes := bool(C.lv_verdict_has_feature(v.c, p, n))
	runtime.KeepAlive(v)
	return yes
}

// Close frees the C verdict; the copied fields stay readable. Safe to call more than once; must
// not race with HasFeature.
func (v *Verdict) Close() {
	if v == nil || v.c == nil {
		return
	}
	C.lv_verdict_free(v.c)
	v.c = nil
	runtime.SetFinalizer(v, nil)
}

// validateRaw validates through the C API alone (one crossing, no Go verdict): the benchmarks'
// reference for what the C side costs when called from Go.
func validateRaw(v *Validator, license []byte, facts *NodeFacts, unixSeconds int64) Code {
	lic, licLen := bytes(license)
	rc := C.hwf_validate_raw(v.c, lic, licLen, facts.ptr(), C.int64_t(unixSeconds))
	runtime.KeepAlive(v)
	runtime.KeepAlive(facts)
	return Code(rc)
}
