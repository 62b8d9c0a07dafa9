package hwflicense_test

// Every trust-state scenario of testdata/vectors/scenarios.json, run as
// testdata/vectors/FORMAT.md ("Trust-state scenarios") says: validators made by New with the
// scenario's roots, policy, nonce seed and a clock reading the scenario's clock; each step run
// and checked in order, with the same results as the C runner (ffi/tests/c/vectors.c).

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"
	"testing"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

const scenariosPath = "../../testdata/vectors/scenarios.json"

type scenarioStep struct {
	Op      string      `json:"op"`
	Time    json.Number `json:"time"`
	License string      `json:"license"`
	Facts   struct {
		Addresses     []string `json:"addresses"`
		DNSName       *string  `json:"dns_name"`
		DeploymentTag *string  `json:"deployment_tag"`
	} `json:"facts"`
	Now      json.Number     `json:"now"`
	List     string          `json:"list"`
	Answer   string          `json:"answer"`
	Nonce    string          `json:"nonce"`
	Accept   bool            `json:"accept"`
	Floor    json.Number     `json:"floor"`
	Changed  bool            `json:"changed"`
	StateHex *string         `json:"state_hex"`
	Import   bool            `json:"import"`
	Expect   json.RawMessage `json:"expect"`
}

type scenarioDoc struct {
	Name                   string         `json:"name"`
	Environment            string         `json:"environment"`
	AcceptOtherEnvironment bool           `json:"accept_other_environment"`
	Roots                  []string       `json:"roots"`
	NonceSeed              string         `json:"nonce_seed"`
	Clock                  json.Number    `json:"clock"`
	Steps                  []scenarioStep `json:"steps"`
}

// stepExpect is a step's expect: ok members (any) or the error code.
type stepExpect struct {
	OK    map[string]json.RawMessage `json:"ok"`
	Error *expectError               `json:"error"`
}

type scenarioRun struct {
	t           *testing.T
	doc         *scenarioDoc
	roots       []hwflicense.Root
	seed        []byte
	acceptOther bool
	clock       int64
	saved       []byte
	v           *hwflicense.Validator
}

func (r *scenarioRun) build() {
	r.t.Helper()
	v, err := hwflicense.New(env(r.t, r.doc.Environment),
		hwflicense.WithRoots(r.roots...),
		hwflicense.WithAcceptOtherEnvironment(r.acceptOther),
		hwflicense.WithNonceSeed(r.seed),
		hwflicense.WithClock(func() int64 { return atomic.LoadInt64(&r.clock) }))
	if err != nil {
		r.t.Fatal(err)
	}
	r.v = v
}

func decodeExpect(t *testing.T, raw json.RawMessage) stepExpect {
	t.Helper()
	var e stepExpect
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("expect: %v", err)
	}
	return e
}

// checkCode compares err with the expected error code (none: success); true when it
// succeeded as expected.
func checkCode(t *testing.T, what string, err error, e stepExpect) bool {
	t.Helper()
	if e.Error == nil {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return err == nil
	}
	want := hwflicense.Code(i64(t, e.Error.Code))
	if hwflicense.CodeOf(err) != want || want.Name() != e.Error.Name {
		t.Errorf("%s: got %v, want %s (%d)", what, err, e.Error.Name, want)
	}
	return false
}

func jsonInt(t *testing.T, raw json.RawMessage) int64 {
	t.Helper()
	return i64(t, json.Number(raw))
}

func (r *scenarioRun) step(i int, s *scenarioStep) {
	t := r.t
	t.Helper()
	what := s.Op
	switch s.Op {
	case "set_clock":
		atomic.StoreInt64(&r.clock, i64(t, s.Time))
	case "validate", "validate_at":
		facts, err := hwflicense.NewNodeFacts(s.Facts.Addresses, str(s.Facts.DNSName), str(s.Facts.DeploymentTag))
		if err != nil {
			t.Fatal(err)
		}
		defer facts.Close()
		var verdict *hwflicense.Verdict
		if s.Op == "validate" {
			verdict, err = r.v.Validate([]byte(s.License), facts)
		} else {
			verdict, err = r.v.ValidateAt([]byte(s.License), facts, i64(t, s.Now))
		}
		var vec vector
		dec := json.NewDecoder(bytes.NewReader(s.Expect))
		dec.UseNumber()
		if err := dec.Decode(&vec.Expect); err != nil {
			t.Fatal(err)
		}
		checkVerdict(t, i, verdict, err, &vec)
	case "apply_revocation_list":
		e := decodeExpect(t, s.Expect)
		seq, err := r.v.ApplyRevocationListNow([]byte(s.License), s.List)
		if checkCode(t, what, err, e) && seq != uint64(jsonInt(t, e.OK["seq"])) {
			t.Errorf("step %d: seq %d, want %s", i, seq, e.OK["seq"])
		}
	case "new_nonce":
		e := decodeExpect(t, s.Expect)
		nonce, err := r.v.NewNonce()
		var want string
		if checkCode(t, what, err, e) {
			if err := json.Unmarshal(e.OK["nonce"], &want); err != nil || nonce != want {
				t.Errorf("step %d: nonce %q, want %s", i, nonce, e.OK["nonce"])
			}
		}
	case "verify_heartbeat":
		e := decodeExpect(t, s.Expect)
		hb, err := r.v.VerifyHeartbeatNow([]byte(s.License), s.Answer, s.Nonce)
		if checkCode(t, what, err, e) {
			var status string
			var revoked bool
			_ = json.Unmarshal(e.OK["status"], &status)
			_ = json.Unmarshal(e.OK["revoked"], &revoked)
			if hb.Status != status || hb.ServerTime != jsonInt(t, e.OK["server_time"]) ||
				hb.RevocationSeq != uint64(jsonInt(t, e.OK["revocation_seq"])) || hb.Revoked != revoked {
				t.Errorf("step %d: heartbeat %+v, want %v", i, hb, e.OK)
			}
		} else if hb != nil {
			t.Errorf("step %d: a heartbeat with an error", i)
		}
	case "set_accept_other_environment":
		r.acceptOther = s.Accept
		if err := r.v.AcceptOtherEnvironment(s.Accept); err != nil {
			t.Fatal(err)
		}
	case "expect_floor":
		if floor, err := r.v.ClockFloor(); err != nil || floor != i64(t, s.Floor) {
			t.Errorf("step %d: floor %d (%v), want %s", i, floor, err, s.Floor)
		}
	case "expect_state_changed":
		if got := r.v.StateChanged(); got != s.Changed {
			t.Errorf("step %d: StateChanged %v, want %v", i, got, s.Changed)
		}
	case "export_state":
		state, err := r.v.ExportState()
		if err != nil {
			t.Fatal(err)
		}
		r.saved = state
		if s.StateHex != nil && hex.EncodeToString(state) != *s.StateHex {
			t.Errorf("step %d: exported state differs from state_hex", i)
		}
	case "restart":
		r.v.Close()
		r.build()
		if s.Import {
			if err := r.v.ImportState(r.saved); err != nil {
				t.Fatalf("step %d: import of the saved state: %v", i, err)
			}
		}
	case "import_state":
		b, err := hex.DecodeString(*s.StateHex)
		if err != nil {
			t.Fatal(err)
		}
		checkCode(t, what, r.v.ImportState(b), decodeExpect(t, s.Expect))
	default:
		t.Fatalf("step %d: unknown op %q", i, s.Op)
	}
}

// TestScenarios runs every trust-state scenario; roots come from PEM for even-numbered
// scenarios and from JWK for odd ones.
func TestScenarios(t *testing.T) {
	var file struct {
		Format    string               `json:"format"`
		Roots     map[string]rootEntry `json:"roots"`
		Scenarios []scenarioDoc        `json:"scenarios"`
	}
	load(t, scenariosPath, &file)
	if file.Format != "hwf-license-scenarios/1" || len(file.Scenarios) == 0 {
		t.Fatalf("format %q with %d scenarios", file.Format, len(file.Scenarios))
	}
	steps := 0
	for i := range file.Scenarios {
		doc := &file.Scenarios[i]
		steps += len(doc.Steps)
		t.Run(doc.Name, func(t *testing.T) {
			seed, err := hex.DecodeString(doc.NonceSeed)
			if err != nil {
				t.Fatal(err)
			}
			r := &scenarioRun{t: t, doc: doc, roots: roots(t, file.Roots, doc.Roots, i%2 == 1),
				seed: seed, acceptOther: doc.AcceptOtherEnvironment, clock: i64(t, doc.Clock)}
			r.build()
			defer func() { r.v.Close() }()
			for j := range doc.Steps {
				r.step(j, &doc.Steps[j])
			}
		})
	}
	t.Logf("Go scenarios: %d scenarios, %d steps", len(file.Scenarios), steps)
}
