package hwflicense

// #include <stdlib.h>
// #include <string.h>
// #include <validate.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// CML is a Customer Master License verified on its own ([Validator.VerifyCML]).
type CML struct {
	// ID is the document id (hex SHA-256 of the signing input): what site licenses bind to.
	ID string
	// LicenseID is the CML's license id.
	LicenseID string
	// OrgID is the organisation.
	OrgID string
	// MaxSites is how many site licenses the org may have active at once.
	MaxSites uint32
	// IssuedAt is the issuance (unix seconds).
	IssuedAt int64
	// ValidUntil is the end of validity before grace (unix seconds).
	ValidUntil int64
	// GraceDays is the grace period in days after ValidUntil.
	GraceDays uint32
	// FeaturePacks are the feature packs the org may grant to its sites, in CML order.
	FeaturePacks []string
	// Environment is the CML's environment (its signing root's).
	Environment Environment
	// IssuedBy is the kid of the root key that signed it.
	IssuedBy string
	// OrgKeyThumbprint is the RFC 7638 thumbprint of the org key: the kid of every org-signed
	// document.
	OrgKeyThumbprint string
	// MaxOfflineDays is how many days a node may run without a signed time from its Hub (CML
	// v2); nil when the CML sets no limit.
	MaxOfflineDays *uint32
}

// Manifest is a usage manifest verified against its CML ([Validator.VerifyManifest]).
type Manifest struct {
	// ID is the document id (hex SHA-256 of the signing input).
	ID string
	// OrgID is the organisation.
	OrgID string
	// CMLID is the CML binding (the CML's document id).
	CMLID string
	// Period is the month reported, YYYY-MM.
	Period string
	// GeneratedAt is the generation time (unix seconds).
	GeneratedAt int64
	// TotalActiveSites is the statistics' count of active sites.
	TotalActiveSites uint32
	// AdminUsers and TotalUsers are the Hub's user counts.
	AdminUsers, TotalUsers uint32
	// Sites are the sites listed (active and revoked), in manifest order.
	Sites []ManifestSite
	// LedgerHead is the document id of the newest ledger entry reported (64 zeros when empty).
	LedgerHead string
	// LedgerLength is the number of ledger entries reported.
	LedgerLength uint64
}

// ManifestSite is one site of a manifest.
type ManifestSite struct {
	// SiteID is the site.
	SiteID string
	// Status is "active" or "revoked".
	Status string
}

// Ledger is a usage ledger verified from its first entry ([Validator.VerifyLedger]).
type Ledger struct {
	// Length is the number of entries.
	Length uint64
	// Head is the document id of the last entry (64 zeros when empty).
	Head string
}

// Standing is where a CML stands at a time.
type Standing uint32

const (
	// StandingValid is before valid_until with more than 30 days left.
	StandingValid Standing = C.LV_STANDING_VALID
	// StandingExpiring is before valid_until with 30 days or fewer left.
	StandingExpiring Standing = C.LV_STANDING_EXPIRING
	// StandingGrace is past valid_until within the grace period (site licenses still work).
	StandingGrace Standing = C.LV_STANDING_GRACE
	// StandingExpired is past the end of grace.
	StandingExpired Standing = C.LV_STANDING_EXPIRED
)

// String is core's name: "valid", "expiring", "grace" or "expired" ("unknown" otherwise).
func (s Standing) String() string {
	return C.GoString(C.lv_standing_name(C.uint32_t(s)))
}

// CMLStanding is a CML's standing at a time ([Validator.CMLStanding]).
type CMLStanding struct {
	// Standing is valid, expiring, grace or expired.
	Standing Standing
	// DaysLeft is the whole days (rounded up) until valid_until (valid, expiring) or the end of
	// grace (grace); nil when expired.
	DaysLeft *uint32
	// Usable is whether its site licenses are still usable (all but expired).
	Usable bool
}

// PeriodBounds is a month's bounds [Start, End) in unix seconds.
type PeriodBounds struct {
	Start, End int64
}

// VerifyCML verifies a CML (compact JWS) on its own against the validator's trusted roots and
// environment policy (cached by its exact text).
func (v *Validator) VerifyCML(cml string) (*CML, error) {
	c, cLen := text(cml)
	var h *C.lv_cml
	var cerr *C.lv_error
	rc := C.lv_validator_verify_cml(v.c, c, cLen, &h, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.lv_cml_free(h)
	out := &CML{
		ID:               goString(C.lv_cml_id(h)),
		LicenseID:        goString(C.lv_cml_license_id(h)),
		OrgID:            goString(C.lv_cml_org_id(h)),
		MaxSites:         uint32(C.lv_cml_max_sites(h)),
		IssuedAt:         int64(C.lv_cml_issued_at(h)),
		ValidUntil:       int64(C.lv_cml_valid_until(h)),
		GraceDays:        uint32(C.lv_cml_grace_days(h)),
		Environment:      Environment(C.lv_cml_environment(h)),
		IssuedBy:         goString(C.lv_cml_issued_by(h)),
		OrgKeyThumbprint: goString(C.lv_cml_org_key_thumbprint(h)),
		FeaturePacks:     []string{},
	}
	for i := C.size_t(0); i < C.lv_cml_feature_packs_len(h); i++ {
		out.FeaturePacks = append(out.FeaturePacks, goString(C.lv_cml_feature_pack(h, i)))
	}
	if d := int64(C.lv_cml_max_offline_days(h)); d >= 0 {
		days := uint32(d)
		out.MaxOfflineDays = &days
	}
	return out, nil
}

// VerifyManifest verifies a usage manifest (compact JWS) signed by the org key of cml (compact
// JWS, verified first as [Validator.VerifyCML] does): signature, org, CML binding, period format
// and totals.
func (v *Validator) VerifyManifest(cml, manifest string) (*Manifest, error) {
	c, cLen := text(cml)
	m, mLen := text(manifest)
	var h *C.lv_manifest
	var cerr *C.lv_error
	rc := C.lv_validator_verify_manifest(v.c, c, cLen, m, mLen, &h, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	return takeManifest(h), nil
}

// VerifyManifestWithLedger verifies a usage manifest as [Validator.VerifyManifest] does, the
// whole ledger it reports as [Validator.VerifyLedger] does, and that the manifest's ledger head
// and length are that ledger's (CodeManifestInvalid otherwise).
func (v *Validator) VerifyManifestWithLedger(cml, manifest string, entries []string) (*Manifest, error) {
	c, cLen := text(cml)
	m, mLen := text(manifest)
	arr := newTexts(entries)
	defer arr.free()
	var h *C.lv_manifest
	var cerr *C.lv_error
	rc := C.lv_validator_verify_manifest_with_ledger(v.c, c, cLen, m, mLen, arr.ptrs, arr.lens, arr.count, &h, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	return takeManifest(h), nil
}

func takeManifest(h *C.lv_manifest) *Manifest {
	defer C.lv_manifest_free(h)
	out := &Manifest{
		ID:               goString(C.lv_manifest_id(h)),
		OrgID:            goString(C.lv_manifest_org_id(h)),
		CMLID:            goString(C.lv_manifest_cml_id(h)),
		Period:           goString(C.lv_manifest_period(h)),
		GeneratedAt:      int64(C.lv_manifest_generated_at(h)),
		TotalActiveSites: uint32(C.lv_manifest_total_active_sites(h)),
		AdminUsers:       uint32(C.lv_manifest_admin_users(h)),
		TotalUsers:       uint32(C.lv_manifest_total_users(h)),
		LedgerHead:       goString(C.lv_manifest_ledger_head(h)),
		LedgerLength:     uint64(C.lv_manifest_ledger_length(h)),
		Sites:            []ManifestSite{},
	}
	for i := C.size_t(0); i < C.lv_manifest_sites_len(h); i++ {
		out.Sites = append(out.Sites, ManifestSite{
			SiteID: goString(C.lv_manifest_site_id(h, i)),
			Status: goString(C.lv_manifest_site_status(h, i)),
		})
	}
	return out
}

// VerifyLedger verifies a whole usage ledger (compact JWS entries, oldest first) of the org of
// cml (compact JWS, verified first): signatures, sequence, hash chain and time order. A bad
// entry fails with CodeLedgerBroken; [Error.LedgerIndex] gives the first bad entry's index.
func (v *Validator) VerifyLedger(cml string, entries []string) (*Ledger, error) {
	c, cLen := text(cml)
	arr := newTexts(entries)
	defer arr.free()
	var h *C.lv_ledger
	var cerr *C.lv_error
	rc := C.lv_validator_verify_ledger(v.c, c, cLen, arr.ptrs, arr.lens, arr.count, &h, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	defer C.lv_ledger_free(h)
	return &Ledger{Length: uint64(C.lv_ledger_length(h)), Head: goString(C.lv_ledger_head(h))}, nil
}

// CMLStanding is the standing of cml (compact JWS, verified first) at unixSeconds: valid,
// expiring (30 days or fewer left), in grace or expired, with the days left. A time outside
// 1970..9999 fails with CodeInvalidArgument.
func (v *Validator) CMLStanding(cml string, unixSeconds int64) (*CMLStanding, error) {
	c, cLen := text(cml)
	var standing C.lv_standing
	var days C.int64_t
	var usable C.bool
	var cerr *C.lv_error
	rc := C.lv_validator_cml_standing(v.c, c, cLen, C.int64_t(unixSeconds), &standing, &days, &usable, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return nil, takeError(rc, cerr)
	}
	out := &CMLStanding{Standing: Standing(standing), Usable: bool(usable)}
	if days >= 0 {
		d := uint32(days)
		out.DaysLeft = &d
	}
	return out, nil
}

// ManifestPeriod checks that a usage manifest may cover period (YYYY-MM) under cml (compact
// JWS, verified first) at unixSeconds: the month has started, did not end before the CML was
// issued and does not start after its grace ended. The month's bounds, or CodeManifestInvalid.
func (v *Validator) ManifestPeriod(cml, period string, unixSeconds int64) (PeriodBounds, error) {
	c, cLen := text(cml)
	p, pLen := text(period)
	var start, end C.int64_t
	var cerr *C.lv_error
	rc := C.lv_validator_manifest_period(v.c, c, cLen, p, pLen, C.int64_t(unixSeconds), &start, &end, &cerr)
	runtime.KeepAlive(v)
	if rc != C.LV_RESULT_OK {
		return PeriodBounds{}, takeError(rc, cerr)
	}
	return PeriodBounds{Start: int64(start), End: int64(end)}, nil
}

// cTexts is an array of texts in C memory (cgo forbids passing Go memory that holds Go
// pointers, such as an array of string pointers): one block of bytes, the pointers into it and
// the lengths, freed by free. An empty array is NULL pointers and count 0 (the C API allows it).
type cTexts struct {
	block unsafe.Pointer
	ptrs  **C.char
	lens  *C.size_t
	count C.size_t
}

func newTexts(items []string) cTexts {
	if len(items) == 0 {
		return cTexts{}
	}
	total := 0
	for _, s := range items {
		total += len(s)
	}
	n := len(items)
	ptrSize := int(unsafe.Sizeof((*C.char)(nil)))
	lenSize := int(unsafe.Sizeof(C.size_t(0)))
	block := C.malloc(C.size_t(n*ptrSize + n*lenSize + total + 1))
	if block == nil {
		panic("hwflicense: out of memory")
	}
	ptrs := unsafe.Slice((**C.char)(block), n)
	lens := unsafe.Slice((*C.size_t)(unsafe.Add(block, n*ptrSize)), n)
	data := unsafe.Add(block, n*ptrSize+n*lenSize)
	at := 0
	for i, s := range items {
		p := unsafe.Add(data, at)
		if len(s) > 0 {
			copy(unsafe.Slice((*byte)(p), len(s)), s)
		}
		ptrs[i] = (*C.char)(p)
		lens[i] = C.size_t(len(s))
		at += len(s)
	}
	return cTexts{block: block, ptrs: &ptrs[0], lens: &lens[0], count: C.size_t(n)}
}

func (t cTexts) free() {
	if t.block != nil {
		C.free(t.block)
	}
}
