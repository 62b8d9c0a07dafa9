package hwflicense_test

// Every conformance vector of testdata/vectors/vectors.json, run as testdata/vectors/FORMAT.md
// says (validated twice, every verdict field or the error code compared), and every vector of
// documents.json.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

const (
	vectorsPath   = "../../testdata/vectors/vectors.json"
	documentsPath = "../../testdata/vectors/documents.json"
)

type rootEntry struct {
	Environment string          `json:"environment"`
	JWK         json.RawMessage `json:"jwk"`
	PEM         string          `json:"pem"`
}

type expectOK struct {
	Status        string      `json:"status"`
	SiteID        string      `json:"site_id"`
	OrgID         string      `json:"org_id"`
	LicenseID     string      `json:"license_id"`
	Product       string      `json:"product"`
	Tier          string      `json:"tier"`
	Environment   string      `json:"environment"`
	Features      []string    `json:"features"`
	ExpiresAt     json.Number `json:"expires_at"`
	GraceEnd      json.Number `json:"grace_end"`
	GraceDaysLeft json.Number `json:"grace_days_left"`
	Warnings      []string    `json:"warnings"`

	CMLID          string      `json:"cml_id"`
	CMLLicenseID   string      `json:"cml_license_id"`
	SiteDocumentID string      `json:"site_document_id"`
	IssuedAt       json.Number `json:"issued_at"`
	SiteExpiresAt  json.Number `json:"site_expires_at"`
	CMLValidUntil  json.Number `json:"cml_valid_until"`
	MaxSites       json.Number `json:"max_sites"`
	FeaturePacks   []string    `json:"feature_packs"`
	MaxOfflineDays json.Number `json:"max_offline_days"`
	Fingerprint    struct {
		Address       *string `json:"address"`
		DNSSuffix     *string `json:"dns_suffix"`
		DeploymentTag *string `json:"deployment_tag"`
	} `json:"fingerprint"`

	members map[string]json.RawMessage // every member the file has, to find any not compared
}

// UnmarshalJSON decodes the members (numbers exact) and remembers which the file has.
func (e *expectOK) UnmarshalJSON(b []byte) error {
	type plain expectOK
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*e = expectOK(p)
	return json.Unmarshal(b, &e.members)
}

type expectError struct {
	Code json.Number `json:"code"`
	Name string      `json:"name"`
	Step string      `json:"step"`
}

type vector struct {
	Name                   string       `json:"name"`
	Environment            string       `json:"environment"`
	AcceptOtherEnvironment bool         `json:"accept_other_environment"`
	Roots                  []string     `json:"roots"`
	LastSeen               *json.Number `json:"last_seen"`
	RevocationLists        []string     `json:"revocation_lists"`
	License                *string      `json:"license"`
	LicenseHex             *string      `json:"license_hex"`
	Facts                  struct {
		Addresses     []string `json:"addresses"`
		DNSName       *string  `json:"dns_name"`
		DeploymentTag *string  `json:"deployment_tag"`
	} `json:"facts"`
	Now    json.Number `json:"now"`
	Expect struct {
		OK    *expectOK    `json:"ok"`
		Error *expectError `json:"error"`
	} `json:"expect"`
}

type vectorFile struct {
	Format  string               `json:"format"`
	Roots   map[string]rootEntry `json:"roots"`
	Vectors []vector             `json:"vectors"`
}

// load decodes a vectors file with exact integers (json.Number; times reach i64::MIN and MAX).
func load(t testing.TB, path string, into interface{}) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func env(t testing.TB, name string) hwflicense.Environment {
	switch name {
	case "prod":
		return hwflicense.Prod
	case "dev":
		return hwflicense.Dev
	}
	t.Fatalf("unknown environment %q", name)
	return 0
}

func i64(t testing.TB, n json.Number) int64 {
	t.Helper()
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("not an int64: %q", n)
	}
	return v
}

// roots gives the listed roots, keys as JWK text or as PEM.
func roots(t testing.TB, all map[string]rootEntry, kids []string, useJWK bool) []hwflicense.Root {
	var out []hwflicense.Root
	for _, kid := range kids {
		r, ok := all[kid]
		if !ok {
			t.Fatalf("unknown root %q", kid)
		}
		key := r.PEM
		if useJWK {
			var compact bytes.Buffer
			if err := json.Compact(&compact, r.JWK); err != nil {
				t.Fatal(err)
			}
			key = compact.String()
		}
		out = append(out, hwflicense.Root{KID: kid, Environment: env(t, r.Environment), Key: key})
	}
	return out
}

func (v *vector) license(t testing.TB) []byte {
	if v.License != nil {
		return []byte(*v.License)
	}
	if v.LicenseHex == nil {
		t.Fatal("neither license nor license_hex")
	}
	b, err := hex.DecodeString(*v.LicenseHex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func checkVerdict(t *testing.T, round int, verdict *hwflicense.Verdict, err error, v *vector) {
	t.Helper()
	if want := v.Expect.Error; want != nil {
		code := hwflicense.Code(i64(t, want.Code))
		var e *hwflicense.Error
		if !errors.As(err, &e) {
			t.Fatalf("round %d: got verdict %+v, err %v; want %s", round, verdict, err, want.Name)
		}
		if e.Code != code || e.Code.Name() != want.Name || !errors.Is(err, code) {
			t.Errorf("round %d: got %v; want %s (%d)", round, err, want.Name, code)
		}
		if e.Message == "" || verdict != nil {
			t.Errorf("round %d: error without message, or with a verdict", round)
		}
		return
	}
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	defer verdict.Close()
	ok := v.Expect.OK
	days := int64(-1)
	if ok.GraceDaysLeft != "" {
		days = i64(t, ok.GraceDaysLeft)
	}
	offline := int64(-1)
	if ok.MaxOfflineDays != "" {
		offline = i64(t, ok.MaxOfflineDays)
	}
	got := map[string]interface{}{
		"status": verdict.Status.String(), "site_id": verdict.SiteID, "org_id": verdict.OrgID,
		"license_id": verdict.LicenseID, "product": verdict.Product, "tier": verdict.Tier,
		"environment": verdict.Environment.String(), "features": verdict.Features,
		"expires_at": verdict.ExpiresAt, "grace_end": verdict.GraceEnd,
		"grace_days_left": verdict.GraceDaysLeft, "warnings": warningNames(verdict),
		"cml_id": verdict.CMLID, "cml_license_id": verdict.CMLLicenseID,
		"site_document_id": verdict.SiteDocumentID, "issued_at": verdict.IssuedAt,
		"site_expires_at": verdict.SiteExpiresAt, "cml_valid_until": verdict.CMLValidUntil,
		"max_sites": int64(verdict.MaxSites), "feature_packs": verdict.FeaturePacks,
		"max_offline_days": verdict.MaxOfflineDays, "fingerprint": verdict.Fingerprint,
	}
	want := map[string]interface{}{
		"status": ok.Status, "site_id": ok.SiteID, "org_id": ok.OrgID,
		"license_id": ok.LicenseID, "product": ok.Product, "tier": ok.Tier,
		"environment": ok.Environment, "features": nilIfEmpty(ok.Features),
		"expires_at": i64(t, ok.ExpiresAt), "grace_end": i64(t, ok.GraceEnd),
		"grace_days_left": days, "warnings": nilIfEmpty(ok.Warnings),
		"cml_id": ok.CMLID, "cml_license_id": ok.CMLLicenseID,
		"site_document_id": ok.SiteDocumentID, "issued_at": i64(t, ok.IssuedAt),
		"site_expires_at": i64(t, ok.SiteExpiresAt), "cml_valid_until": i64(t, ok.CMLValidUntil),
		"max_sites": i64(t, ok.MaxSites), "feature_packs": nilIfEmpty(ok.FeaturePacks),
		"max_offline_days": offline,
		"fingerprint": hwflicense.Fingerprint{Address: str(ok.Fingerprint.Address),
			DNSSuffix: str(ok.Fingerprint.DNSSuffix), DeploymentTag: str(ok.Fingerprint.DeploymentTag)},
	}
	for k := range ok.members {
		if _, compared := want[k]; !compared {
			t.Errorf("expect.ok member %q is not compared by this runner", k)
		}
	}
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("round %d: %s = %#v, want %#v", round, k, got[k], want[k])
		}
	}
	for _, f := range ok.Features {
		if !verdict.HasFeature(f) {
			t.Errorf("HasFeature(%q) = false", f)
		}
	}
	if verdict.HasFeature("no-such-feature") {
		t.Error("HasFeature(no-such-feature) = true")
	}
	for _, w := range verdict.Warnings {
		if w.Message == "" || w.DaysLeft < 0 {
			t.Errorf("warning %+v", w)
		}
	}
}

func warningNames(v *hwflicense.Verdict) []string {
	var names []string
	for _, w := range v.Warnings {
		names = append(names, w.Name)
	}
	return names
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func runVector(t *testing.T, all map[string]rootEntry, v *vector, useJWK bool) {
	validator, err := hwflicense.NewValidator(env(t, v.Environment), roots(t, all, v.Roots, useJWK)...)
	if err != nil {
		t.Fatal(err)
	}
	defer validator.Close()
	if v.AcceptOtherEnvironment {
		if err := validator.AcceptOtherEnvironment(true); err != nil {
			t.Fatal(err)
		}
	}
	if v.LastSeen != nil {
		if err := validator.SetLastSeen(i64(t, *v.LastSeen)); err != nil {
			t.Fatal(err)
		}
	}
	facts, err := hwflicense.NewNodeFacts(v.Facts.Addresses, str(v.Facts.DNSName), str(v.Facts.DeploymentTag))
	if err != nil {
		t.Fatal(err)
	}
	defer facts.Close()
	license, now := v.license(t), i64(t, v.Now)
	for _, list := range v.RevocationLists {
		_, err := validator.ApplyRevocationList(license, list, now)
		if err == nil {
			continue
		}
		want := v.Expect.Error
		if want == nil || want.Step != "revocation_list" {
			t.Fatalf("revocation list: %v", err)
		}
		if code := hwflicense.Code(i64(t, want.Code)); hwflicense.CodeOf(err) != code {
			t.Fatalf("revocation list: got %v, want %s", err, want.Name)
		}
		return
	}
	if v.Expect.Error != nil && v.Expect.Error.Step != "validate" {
		t.Fatalf("expected the %s step to fail", v.Expect.Error.Step)
	}
	for round := 1; round <= 2; round++ {
		verdict, err := validator.ValidateAt(license, facts, now)
		checkVerdict(t, round, verdict, err, v)
	}
}

// TestVectors runs every conformance vector; roots come from PEM for even-numbered vectors and
// from JWK for odd ones.
func TestVectors(t *testing.T) {
	var file vectorFile
	load(t, vectorsPath, &file)
	if file.Format != "hwf-license-vectors/1" || len(file.Vectors) == 0 {
		t.Fatalf("format %q with %d vectors", file.Format, len(file.Vectors))
	}
	for i := range file.Vectors {
		v := &file.Vectors[i]
		t.Run(v.Name, func(t *testing.T) { runVector(t, file.Roots, v, i%2 == 1) })
	}
	t.Logf("Go conformance: %d vectors", len(file.Vectors))
}

type document struct {
	Name      string      `json:"name"`
	Operation string      `json:"operation"`
	License   string      `json:"license"`
	Answer    string      `json:"answer"`
	Nonce     string      `json:"nonce"`
	Now       json.Number `json:"now"`
	Key       string      `json:"key"`
	CML       string      `json:"cml"`
	Document  string      `json:"document"`
	Entries   []string    `json:"entries"`
	Period    string      `json:"period"`
	// verify_receipt
	Certificate string `json:"certificate"`
	Receipt     string `json:"receipt"`
	OrgID       string `json:"org_id"`
	ManifestID  string `json:"manifest_id"`
	Expect      struct {
		OK    map[string]interface{} `json:"ok"`
		Error map[string]interface{} `json:"error"`
	} `json:"expect"`
}

// TestDocuments runs every documents.json vector, every member of expect compared (the outcome
// is rebuilt as the file's JSON and compared whole, so a member the test does not produce is a
// failure): verify_heartbeat, load_root_key, verify_cml, verify_manifest, verify_ledger (with
// the first bad entry's index), cml_standing, manifest_period and verify_receipt.
func TestDocuments(t *testing.T) {
	var file struct {
		Format  string               `json:"format"`
		Roots   map[string]rootEntry `json:"roots"`
		Vectors []document           `json:"vectors"`
	}
	load(t, documentsPath, &file)
	kids := []string{}
	for kid := range file.Roots {
		kids = append(kids, kid)
	}
	ran := map[string]int{}
	for i := range file.Vectors {
		d := &file.Vectors[i]
		t.Run(d.Name, func(t *testing.T) {
			v, err := hwflicense.NewValidator(hwflicense.Prod, roots(t, file.Roots, kids, false)...)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			var got interface{}
			switch d.Operation {
			case "verify_heartbeat":
				hb, e := v.VerifyHeartbeat([]byte(d.License), d.Answer, d.Nonce, i64(t, d.Now))
				err = e
				if e == nil {
					got = map[string]interface{}{"status": hb.Status, "server_time": num(hb.ServerTime),
						"revocation_seq": num(int64(hb.RevocationSeq)), "revoked": hb.Revoked}
				}
			case "load_root_key":
				tp, e := hwflicense.KeyThumbprint(d.Key)
				err = e
				if e == nil {
					got = map[string]interface{}{"thumbprint": tp}
				}
				k, e2 := hwflicense.NewValidator(hwflicense.Prod, hwflicense.Root{KID: "k", Environment: hwflicense.Prod, Key: d.Key})
				if hwflicense.CodeOf(e2) != hwflicense.CodeOf(e) {
					t.Errorf("NewValidator: %v; KeyThumbprint: %v", e2, e)
				}
				k.Close()
			case "verify_cml":
				c, e := v.VerifyCML(d.CML)
				err = e
				if e == nil {
					packs := []interface{}{}
					for _, p := range c.FeaturePacks {
						packs = append(packs, p)
					}
					var offline interface{}
					if c.MaxOfflineDays != nil {
						offline = num(int64(*c.MaxOfflineDays))
					}
					got = map[string]interface{}{"id": c.ID, "license_id": c.LicenseID, "org_id": c.OrgID,
						"max_sites": num(int64(c.MaxSites)), "valid_until": num(c.ValidUntil),
						"grace_days": num(int64(c.GraceDays)), "feature_packs": packs,
						"environment": c.Environment.String(), "max_offline_days": offline,
						"org_key_thumbprint": c.OrgKeyThumbprint}
				}
			case "verify_manifest":
				m, e := v.VerifyManifest(d.CML, d.Document)
				err = e
				if e == nil {
					got = map[string]interface{}{"id": m.ID, "org_id": m.OrgID, "period": m.Period,
						"total_active_sites": num(int64(m.TotalActiveSites)), "sites": num(int64(len(m.Sites)))}
				}
			case "verify_ledger":
				l, e := v.VerifyLedger(d.CML, d.Entries)
				err = e
				if e == nil {
					got = map[string]interface{}{"length": num(int64(l.Length)), "head": l.Head}
				}
			case "cml_standing":
				s, e := v.CMLStanding(d.CML, i64(t, d.Now))
				err = e
				if e == nil {
					var days interface{}
					if s.DaysLeft != nil {
						days = num(int64(*s.DaysLeft))
					}
					got = map[string]interface{}{"standing": s.Standing.String(), "days_left": days, "usable": s.Usable}
				}
			case "manifest_period":
				b, e := v.ManifestPeriod(d.CML, d.Period, i64(t, d.Now))
				err = e
				if e == nil {
					got = map[string]interface{}{"start": num(b.Start), "end": num(b.End)}
				}
			case "verify_receipt":
				r, e := v.VerifyReceipt(d.Certificate, d.Receipt, d.OrgID, d.ManifestID, i64(t, d.Now))
				err = e
				if e == nil {
					got = map[string]interface{}{"id": r.ID, "org_id": r.OrgID, "manifest": r.ManifestID,
						"period": r.Period, "received_at": num(r.ReceivedAt), "certificate_id": r.CertificateID,
						"receipt_key_thumbprint":  r.ReceiptKeyThumbprint,
						"certificate_valid_until": num(r.CertificateValidUntil)}
				}
			default:
				t.Fatalf("operation %q is not in the Go API", d.Operation)
			}
			ran[d.Operation]++
			if d.Expect.Error != nil {
				var e *hwflicense.Error
				if !errors.As(err, &e) {
					t.Fatalf("got %v, %v; want error %v", got, err, d.Expect.Error)
				}
				gotErr := map[string]interface{}{"code": num(int64(e.Code)), "name": e.Code.Name()}
				if index, ok := e.LedgerIndex(); ok {
					gotErr["index"] = num(int64(index))
				}
				if !reflect.DeepEqual(gotErr, d.Expect.Error) {
					t.Errorf("got error %v (%v), want %v", gotErr, err, d.Expect.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := interface{}(d.Expect.OK); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	total := 0
	for _, n := range ran {
		total += n
	}
	if total != len(file.Vectors) || len(file.Vectors) == 0 {
		t.Fatalf("ran %d of %d document vectors", total, len(file.Vectors))
	}
	t.Logf("Go documents: %d vectors, every one run (%v)", total, ran)
}

func num(n int64) json.Number { return json.Number(itoa(n)) }

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
