package hwflicense_test

// A cached validation through Go → C, beside BenchmarkCgoCrossing (internal_test.go: one bare
// cgo call). scripts/test-go.sh --bench prints them with the Rust figures of the same call.

import (
	"testing"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

func benchSetup(b *testing.B) (*fixture, *hwflicense.Validator, *hwflicense.NodeFacts) {
	f := newFixture(b)
	v := f.validator(b)
	facts := f.facts(b)
	if _, err := v.ValidateAt(f.license, facts, f.now); err != nil { // fill the cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	return f, v, facts
}

// BenchmarkValidate: ValidateAt on the cached path (the Go Verdict copied out) and Close.
func BenchmarkValidate(b *testing.B) {
	f, v, facts := benchSetup(b)
	defer v.Close()
	defer facts.Close()
	for i := 0; i < b.N; i++ {
		verdict, err := v.ValidateAt(f.license, facts, f.now)
		if err != nil {
			b.Fatal(err)
		}
		verdict.Close()
	}
}

// BenchmarkValidateHasFeature: the same and one HasFeature, a licensed action.
func BenchmarkValidateHasFeature(b *testing.B) {
	f, v, facts := benchSetup(b)
	defer v.Close()
	defer facts.Close()
	for i := 0; i < b.N; i++ {
		verdict, err := v.ValidateAt(f.license, facts, f.now)
		if err != nil || !verdict.HasFeature("analytics") {
			b.Fatal(err)
		}
		verdict.Close()
	}
}

// BenchmarkHasFeature: HasFeature alone on a kept verdict.
func BenchmarkHasFeature(b *testing.B) {
	f, v, facts := benchSetup(b)
	defer v.Close()
	defer facts.Close()
	verdict, err := v.ValidateAt(f.license, facts, f.now)
	if err != nil {
		b.Fatal(err)
	}
	defer verdict.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !verdict.HasFeature("analytics") {
			b.Fatal("not licensed")
		}
	}
}
