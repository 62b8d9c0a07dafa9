package hwflicense_test

// The Go API's contract: codes and names, errors.Is and CodeOf, text that is not UTF-8, empty
// and oversized input, Close (idempotent, calls after it fail with CodeNullParameter),
// finalizers, versions, the system clock, the clock floor, the environment opt-in, and one
// validator shared by many goroutines. The trust state and options: state_test.go.

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

type fixture struct {
	file      vectorFile
	prodPEM   string
	license   []byte // valid/all-fingerprint-fields
	forever   []byte // valid/year-9999
	now       int64
	addresses []string
	dns, tag  string
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{}
	load(t, vectorsPath, &f.file)
	f.prodPEM = f.file.Roots["root-prod-1"].PEM
	for i := range f.file.Vectors {
		v := &f.file.Vectors[i]
		switch v.Name {
		case "valid/all-fingerprint-fields":
			f.license, f.now = v.license(t), i64(t, v.Now)
			f.addresses, f.dns, f.tag = v.Facts.Addresses, str(v.Facts.DNSName), str(v.Facts.DeploymentTag)
		case "valid/year-9999":
			f.forever = v.license(t)
		}
	}
	if f.license == nil || f.forever == nil {
		t.Fatal("fixture vectors missing")
	}
	return f
}

func (f *fixture) validator(t testing.TB) *hwflicense.Validator {
	t.Helper()
	v, err := hwflicense.NewValidator(hwflicense.Prod,
		hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *fixture) facts(t testing.TB) *hwflicense.NodeFacts {
	t.Helper()
	facts, err := hwflicense.NewNodeFacts(f.addresses, f.dns, f.tag)
	if err != nil {
		t.Fatal(err)
	}
	return facts
}

func TestCodesAreCoreNumbersAndNames(t *testing.T) {
	table := map[hwflicense.Code]struct {
		n    uint32
		name string
	}{
		hwflicense.CodeMalformed: {100, "malformed"}, hwflicense.CodeTooLarge: {101, "too_large"},
		hwflicense.CodeBadEncoding: {102, "bad_encoding"}, hwflicense.CodeBadJWS: {103, "bad_jws"},
		hwflicense.CodeUnsupportedAlgorithm: {104, "unsupported_algorithm"},
		hwflicense.CodeWrongDocumentType:    {105, "wrong_document_type"},
		hwflicense.CodeUnknownKeyID:         {106, "unknown_key_id"}, hwflicense.CodeBadPayload: {107, "bad_payload"},
		hwflicense.CodeUnsupportedVersion: {108, "unsupported_version"}, hwflicense.CodeBadKey: {109, "bad_key"},
		hwflicense.CodeInvalidArgument: {110, "invalid_argument"}, hwflicense.CodeBadState: {111, "bad_state"},
		hwflicense.CodeBadSignature:        {200, "bad_signature"},
		hwflicense.CodeEnvironmentMismatch: {201, "environment_mismatch"},
		hwflicense.CodeParentMismatch:      {202, "parent_mismatch"}, hwflicense.CodeOrgMismatch: {203, "org_mismatch"},
		hwflicense.CodeFeatureNotInCML: {204, "feature_not_in_cml"},
		hwflicense.CodeSignerMismatch:  {205, "signer_mismatch"}, hwflicense.CodeNotYetValid: {300, "not_yet_valid"},
		hwflicense.CodeExpired: {301, "expired"}, hwflicense.CodeClockRollback: {302, "clock_rollback"},
		hwflicense.CodeOfflineTooLong:  {303, "offline_too_long"},
		hwflicense.CodeAddressMismatch: {400, "address_mismatch"}, hwflicense.CodeDNSMismatch: {401, "dns_mismatch"},
		hwflicense.CodeDeploymentTagMismatch: {402, "deployment_tag_mismatch"},
		hwflicense.CodeRevoked:               {403, "revoked"},
		hwflicense.CodeRevocationListStale:   {404, "revocation_list_stale"},
		hwflicense.CodeBindingMismatch:       {405, "binding_mismatch"},
		hwflicense.CodeNonceMismatch:         {406, "nonce_mismatch"}, hwflicense.CodeLedgerBroken: {500, "ledger_broken"},
		hwflicense.CodeManifestInvalid: {501, "manifest_invalid"},
		hwflicense.CodeNullParameter:   {900, "null_parameter"}, hwflicense.CodeInvalidUTF8: {901, "invalid_utf8"},
		hwflicense.CodePanic: {902, "panic"},
	}
	if len(table) != 34 {
		t.Fatalf("%d codes in the table", len(table))
	}
	for code, want := range table {
		if uint32(code) != want.n || code.Name() != want.name || code.String() != want.name {
			t.Errorf("%d %s: want %d %s", uint32(code), code.Name(), want.n, want.name)
		}
	}
	if hwflicense.Code(1).Name() != "unknown" {
		t.Error("Code(1) has a name")
	}
}

func TestErrorsCarryTheStableCode(t *testing.T) {
	f := newFixture(t)
	v := f.validator(t)
	defer v.Close()
	verdict, err := v.ValidateAt(f.license, nil, f.now) // no facts: the address fails
	if verdict != nil || !errors.Is(err, hwflicense.CodeAddressMismatch) ||
		hwflicense.CodeOf(err) != hwflicense.CodeAddressMismatch {
		t.Fatalf("got %v, %v", verdict, err)
	}
	if errors.Is(err, hwflicense.CodeExpired) {
		t.Error("errors.Is matches another code")
	}
	want := "hwflicense: address_mismatch (400): no node address is within the licensed address 10.20.0.0/16"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
	if hwflicense.CodeOf(errors.New("other")) != 0 {
		t.Error("CodeOf of a foreign error")
	}
}

func TestTextThatIsNotUTF8(t *testing.T) {
	f := newFixture(t)
	bad := "\xff\xfe"
	_, err := hwflicense.NewNodeFacts([]string{bad}, "", "")
	if hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 {
		t.Errorf("address: %v", err)
	}
	for _, c := range [][2]string{{bad, ""}, {"", bad}} {
		if _, err := hwflicense.NewNodeFacts(nil, c[0], c[1]); hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 {
			t.Errorf("dns/tag: %v", err)
		}
	}
	_, err = hwflicense.NewValidator(hwflicense.Prod, hwflicense.Root{KID: bad, Environment: hwflicense.Prod, Key: f.prodPEM})
	if hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 || !strings.Contains(err.Error(), "kid is not valid UTF-8") {
		t.Errorf("kid: %v", err)
	}
	v := f.validator(t)
	defer v.Close()
	if _, err := v.ApplyRevocationList(f.license, bad, f.now); hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 {
		t.Errorf("list: %v", err)
	}
	if _, err := v.VerifyHeartbeat(f.license, "a", bad, f.now); hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 {
		t.Errorf("nonce: %v", err)
	}
	if _, err := hwflicense.KeyThumbprint(bad); hwflicense.CodeOf(err) != hwflicense.CodeInvalidUTF8 {
		t.Errorf("thumbprint: %v", err)
	}
}

func TestEmptyAndOversizedInput(t *testing.T) {
	f := newFixture(t)
	v := f.validator(t)
	defer v.Close()
	for _, license := range [][]byte{nil, {}} {
		if _, err := v.ValidateAt(license, nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeMalformed {
			t.Errorf("empty license: %v", err)
		}
	}
	big := make([]byte, 64*1024+1)
	if _, err := v.ValidateAt(big, nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeTooLarge {
		t.Errorf("oversized license: %v", err)
	}
	if _, err := v.ValidateAt(big[:64*1024], nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeMalformed {
		t.Errorf("license at the limit: %v", err)
	}
	if _, err := hwflicense.NewNodeFacts([]string{""}, "", ""); hwflicense.CodeOf(err) != hwflicense.CodeInvalidArgument {
		t.Errorf("empty address: %v", err)
	}
	if _, err := hwflicense.NewValidator(hwflicense.Prod, hwflicense.Root{KID: "k", Environment: hwflicense.Prod}); hwflicense.CodeOf(err) != hwflicense.CodeBadKey {
		t.Errorf("empty key: %v", err)
	}
	if _, err := hwflicense.NewValidator(hwflicense.Environment(7)); hwflicense.CodeOf(err) != hwflicense.CodeInvalidArgument {
		t.Errorf("unknown environment: %v", err)
	}
	if _, err := v.ApplyRevocationList(f.license, "", f.now); hwflicense.CodeOf(err) != hwflicense.CodeBadJWS {
		t.Errorf("empty list: %v", err)
	}
}

func TestCloseIsIdempotentAndCallsAfterItFail(t *testing.T) {
	f := newFixture(t)
	v := f.validator(t)
	facts := f.facts(t)
	verdict, err := v.ValidateAt(f.license, facts, f.now)
	if err != nil {
		t.Fatal(err)
	}
	verdict.Close()
	verdict.Close()
	if verdict.HasFeature("analytics") || verdict.SiteID != "site-berlin-01" {
		t.Error("after Close: HasFeature true, or the copied fields are gone")
	}
	facts.Close()
	facts.Close()
	v.Close()
	v.Close()
	if _, err := v.ValidateAt(f.license, nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("validate after Close: %v", err)
	}
	if err := v.SetLastSeen(1); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("SetLastSeen after Close: %v", err)
	}
	if _, err := v.ClockFloor(); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("ClockFloor after Close: %v", err)
	}
	if err := v.AcceptOtherEnvironment(true); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("AcceptOtherEnvironment after Close: %v", err)
	}
	if _, err := v.Validate(f.license, nil); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("Validate after Close: %v", err)
	}
	if _, err := v.ExportState(); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("ExportState after Close: %v", err)
	}
	if err := v.ImportState([]byte("x")); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("ImportState after Close: %v", err)
	}
	if _, err := v.NewNonce(); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("NewNonce after Close: %v", err)
	}
	if err := v.AddRoot(hwflicense.Root{KID: "k", Environment: hwflicense.Prod, Key: f.prodPEM}); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("AddRoot after Close: %v", err)
	}
	if _, err := v.ApplyRevocationListNow(f.license, "x"); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("ApplyRevocationListNow after Close: %v", err)
	}
	if _, err := v.VerifyHeartbeatNow(f.license, "a", "n"); hwflicense.CodeOf(err) != hwflicense.CodeNullParameter {
		t.Errorf("VerifyHeartbeatNow after Close: %v", err)
	}
	if v.StateChanged() {
		t.Error("StateChanged after Close")
	}
	var nilFacts *hwflicense.NodeFacts
	nilFacts.Close()
	var nilVerdict *hwflicense.Verdict
	if nilVerdict.HasFeature("x") {
		t.Error("nil verdict has a feature")
	}
}

// TestFinalizers drops handles without Close; the finalizers free them (a double free or a
// use after free would crash the test binary).
func TestFinalizers(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 50; i++ {
		v := f.validator(t)
		facts := f.facts(t)
		if _, err := v.ValidateAt(f.license, facts, f.now); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
}

func TestVersions(t *testing.T) {
	if hwflicense.Version() != hwflicense.HeaderVersion() {
		t.Errorf("library %s, header %s", hwflicense.Version(), hwflicense.HeaderVersion())
	}
	// The workspace version in Cargo.toml is the crate version.
	file, err := os.Open("../../Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	re := regexp.MustCompile(`^version = "([^"]+)"`)
	section, crate := "", ""
	for s := bufio.NewScanner(file); s.Scan(); {
		line := s.Text()
		if strings.HasPrefix(line, "[") {
			section = line
		} else if m := re.FindStringSubmatch(line); m != nil && section == "[workspace.package]" {
			crate = m[1]
		}
	}
	if crate == "" || hwflicense.Version() != crate {
		t.Errorf("library %s, crate %q", hwflicense.Version(), crate)
	}
}

func TestClockAndEnvironment(t *testing.T) {
	f := newFixture(t)
	v := f.validator(t)
	defer v.Close()
	// The system clock (Validate): this license is valid from 2026 to 9999.
	verdict, err := v.Validate(f.forever, nil)
	if err != nil {
		t.Fatal(err)
	}
	verdict.Close()
	if floor, err := v.ClockFloor(); err != nil || floor <= 0 {
		t.Errorf("ClockFloor %d, %v", floor, err)
	}
	if err := v.SetLastSeen(-1); hwflicense.CodeOf(err) != hwflicense.CodeInvalidArgument {
		t.Errorf("SetLastSeen(-1): %v", err)
	}
	w := f.validator(t)
	defer w.Close()
	if err := w.SetLastSeen(f.now + 86400); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ValidateAt(f.forever, nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeClockRollback {
		t.Errorf("rollback: %v", err)
	}
	dev, err := hwflicense.NewValidator(hwflicense.Dev,
		hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if _, err := dev.ValidateAt(f.forever, nil, f.now); hwflicense.CodeOf(err) != hwflicense.CodeEnvironmentMismatch {
		t.Errorf("dev validator, prod chain: %v", err)
	}
	if err := dev.AcceptOtherEnvironment(true); err != nil {
		t.Fatal(err)
	}
	verdict, err = dev.ValidateAt(f.forever, nil, f.now)
	if err != nil || verdict.Environment != hwflicense.Prod || verdict.Status != hwflicense.Valid {
		t.Fatalf("opt-in: %+v, %v", verdict, err)
	}
	verdict.Close()
}

func TestOneValidatorManyGoroutines(t *testing.T) {
	f := newFixture(t)
	v := f.validator(t)
	defer v.Close()
	facts := f.facts(t)
	defer facts.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				verdict, err := v.ValidateAt(f.license, facts, f.now)
				if err != nil {
					errs <- err
					return
				}
				if verdict.SiteID != "site-berlin-01" || !verdict.HasFeature("analytics") {
					errs <- errors.New("wrong verdict")
					return
				}
				verdict.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestExampleFixtures: the files example_test.go reads are the vectors' (no drift).
func TestExampleFixtures(t *testing.T) {
	f := newFixture(t)
	lic, err := os.ReadFile("testdata/site.lic")
	if err != nil || string(lic) != string(f.license) {
		t.Errorf("testdata/site.lic is not the vector valid/all-fingerprint-fields (%v)", err)
	}
	pem, err := os.ReadFile("testdata/root-prod-1.pem")
	if err != nil || string(pem) != f.prodPEM {
		t.Errorf("testdata/root-prod-1.pem is not the vectors' root-prod-1 (%v)", err)
	}
}
