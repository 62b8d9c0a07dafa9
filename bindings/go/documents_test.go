package hwflicense_test

import (
	"errors"
	"testing"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

// The standalone document calls beyond the vectors: the empty ledger, a manifest against the
// ledger it reports, the ledger index only on ledger_broken, the time checked first.
func TestDocumentCalls(t *testing.T) {
	var file struct {
		Roots   map[string]rootEntry `json:"roots"`
		Vectors []document           `json:"vectors"`
	}
	load(t, documentsPath, &file)
	by := map[string]*document{}
	for i := range file.Vectors {
		by[file.Vectors[i].Name] = &file.Vectors[i]
	}
	v, err := hwflicense.NewValidator(hwflicense.Prod, roots(t, file.Roots, []string{"root-prod-1"}, false)...)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	cml := by["manifest/valid"].CML
	entries := by["ledger/valid"].Entries

	l, err := v.VerifyLedger(cml, nil)
	if err != nil || l.Length != 0 || len(l.Head) != 64 {
		t.Fatalf("empty ledger: %+v, %v", l, err)
	}
	full, err := v.VerifyLedger(cml, entries)
	if err != nil {
		t.Fatal(err)
	}
	m, err := v.VerifyManifest(cml, by["manifest/valid"].Document)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.VerifyCML(cml)
	if err != nil || m.CMLID != c.ID || len(m.Sites) == 0 || m.Sites[0].SiteID == "" {
		t.Fatalf("manifest %+v, CML %+v, %v", m, c, err)
	}
	_, err = v.VerifyManifestWithLedger(cml, by["manifest/valid"].Document, entries)
	same := m.LedgerHead == full.Head && m.LedgerLength == full.Length
	if same != (err == nil) || (!same && hwflicense.CodeOf(err) != hwflicense.CodeManifestInvalid) {
		t.Fatalf("with ledger: %v (manifest reports %s/%d, ledger %s/%d)", err, m.LedgerHead, m.LedgerLength, full.Head, full.Length)
	}

	_, err = v.VerifyLedger(cml, append([]string{entries[1], entries[0]}, entries[2:]...))
	var e *hwflicense.Error
	if !errors.As(err, &e) || e.Code != hwflicense.CodeLedgerBroken {
		t.Fatalf("swapped: %v", err)
	}
	if i, ok := e.LedgerIndex(); !ok || i != 0 {
		t.Fatalf("index %d, %v", i, ok)
	}
	_, err = v.VerifyCML("x.y.z")
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if _, ok := e.LedgerIndex(); ok {
		t.Fatalf("a ledger index on %v", err)
	}
	if _, err := v.CMLStanding("not a cml", 1<<62); hwflicense.CodeOf(err) != hwflicense.CodeInvalidArgument {
		t.Fatalf("time not checked first: %v", err)
	}
	if _, err := v.ManifestPeriod("not a cml", "2026-01", -1); hwflicense.CodeOf(err) != hwflicense.CodeInvalidArgument {
		t.Fatalf("time not checked first: %v", err)
	}
	if hwflicense.StandingExpiring.String() != "expiring" || hwflicense.Standing(0).String() != "unknown" {
		t.Fatal("standing names")
	}
}
