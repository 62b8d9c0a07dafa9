package hwflicense

import (
	"encoding/json"
	"os"
	"testing"
)

func TestCgoNoop(t *testing.T) {
	if cgoNoop(41) != 42 {
		t.Fatal("hwf_noop(41) != 42")
	}
}

// BenchmarkCgoCrossing is the baseline: one call into a C function that does nothing.
func BenchmarkCgoCrossing(b *testing.B) {
	x := uint32(0)
	for i := 0; i < b.N; i++ {
		x = cgoNoop(x)
	}
	if x != uint32(b.N) {
		b.Fatal("lost calls")
	}
}

// BenchmarkValidateRawC: the same cached validation as BenchmarkValidate, through the C API
// alone (lv_validator_validate + lv_verdict_free in one crossing, no Go verdict).
func BenchmarkValidateRawC(b *testing.B) {
	raw, err := os.ReadFile("../../testdata/vectors/vectors.json")
	if err != nil {
		b.Fatal(err)
	}
	var file struct {
		Roots map[string]struct {
			PEM string `json:"pem"`
		} `json:"roots"`
		Vectors []struct {
			Name    string `json:"name"`
			License string `json:"license"`
			Now     int64  `json:"now"`
			Facts   struct {
				Addresses     []string `json:"addresses"`
				DNSName       string   `json:"dns_name"`
				DeploymentTag string   `json:"deployment_tag"`
			} `json:"facts"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		b.Fatal(err)
	}
	for _, vec := range file.Vectors {
		if vec.Name != "valid/all-fingerprint-fields" {
			continue
		}
		v, err := NewValidator(Prod, Root{KID: "root-prod-1", Environment: Prod, Key: file.Roots["root-prod-1"].PEM})
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		facts, err := NewNodeFacts(vec.Facts.Addresses, vec.Facts.DNSName, vec.Facts.DeploymentTag)
		if err != nil {
			b.Fatal(err)
		}
		defer facts.Close()
		license := []byte(vec.License)
		if code := validateRaw(v, license, facts, vec.Now); code != 0 {
			b.Fatal(code)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if validateRaw(v, license, facts, vec.Now) != 0 {
				b.Fatal("not usable")
			}
		}
		return
	}
	b.Fatal("vector missing")
}
