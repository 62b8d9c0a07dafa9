// Package hwflicense validates hwf site licenses offline from Go, through libvalidate (the C ABI
// of the Rust core hwf-license) over cgo. Every rule is core's; this package only translates
// types and errors.
//
// A node builds one [Validator] at start-up (its environment and trusted root keys; [New] also
// takes a clock, the environment policy and, for tests, a nonce seed), loads the trust state it
// saved in its last run, builds one [NodeFacts] (what it observes about itself), then validates
// site.lic and saves the trust state when it changed:
//
//	v, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(
//		hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: rootPEM}))
//	err = v.ImportState(saved) // the bytes of ExportState from the last run, if any
//	facts, err := hwflicense.NewNodeFacts([]string{"10.20.30.40"}, "node1.acme.example", "blue")
//	verdict, err := v.Validate(license, facts) // the validator's clock; ValidateAt is a what-if
//	if v.StateChanged() {
//		saved, err = v.ExportState() // write it to a file, atomically
//	}
//	if err != nil {
//		var e *hwflicense.Error
//		errors.As(err, &e) // e.Code is core's stable code, e.g. hwflicense.CodeClockRollback
//	}
//	defer verdict.Close()
//	if verdict.HasFeature("analytics") { ... }
//
// Errors are [*Error] values carrying core's stable numeric [Code] and its name; compare codes
// (errors.Is(err, hwflicense.CodeExpired)), never messages.
//
// Handles: [Validator], [NodeFacts] and [Verdict] hold C memory. Close them when done; a
// finalizer frees what is not closed, later. After Close, calls fail with CodeNullParameter.
//
// Threads: a Validator may be used from several goroutines at once, and their calls run at the
// same time in libvalidate; a [WithClock] function is then called concurrently. NodeFacts and
// Verdict are immutable. Close must not race with other calls on the same value.
//
// Linking: cgo finds libvalidate with pkg-config (package validate, or validate-static with the
// build tag validate_static); see docs/C_API.md for the install step.
package hwflicense
