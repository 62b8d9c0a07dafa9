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

// BenchmarkValidateParallel: ValidateAt (the cached path, at a given time) from GOMAXPROCS
// goroutines on one validator; `go test -bench Parallel -cpu 1,2,4` gives 1, 2 and 4 threads
// (ns/op is wall time per validation of all of them together: 1e9/ns is validations/s).
func BenchmarkValidateParallel(b *testing.B) {
	f, v, facts := benchSetup(b)
	defer v.Close()
	defer facts.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			verdict, err := v.ValidateAt(f.license, facts, f.now)
			if err != nil {
				b.Error(err)
				return
			}
			verdict.Close()
		}
	})
}

// BenchmarkValidateNowParallel: the same with Validate at the validator's clock (WithClock),
// which also raises the clock floor (a write of the trust state) on every call.
func BenchmarkValidateNowParallel(b *testing.B) {
	f := newFixture(b)
	v, err := hwflicense.New(hwflicense.Prod,
		hwflicense.WithRoots(hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM}),
		hwflicense.WithClock(func() int64 { return f.now }))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	facts := f.facts(b)
	defer facts.Close()
	if _, err := v.Validate(f.license, facts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			verdict, err := v.Validate(f.license, facts)
			if err != nil {
				b.Error(err)
				return
			}
			verdict.Close()
		}
	})
}
