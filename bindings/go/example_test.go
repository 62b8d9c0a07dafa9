package hwflicense_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

// A site node at start-up: trust the root key, describe the node, validate site.lic.
func Example() {
	rootPEM, err := os.ReadFile("testdata/root-prod-1.pem")
	if err != nil {
		log.Fatal(err)
	}
	license, err := os.ReadFile("testdata/site.lic")
	if err != nil {
		log.Fatal(err)
	}

	validator, err := hwflicense.NewValidator(hwflicense.Prod,
		hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: string(rootPEM)})
	if err != nil {
		log.Fatal(err)
	}
	defer validator.Close()
	facts, err := hwflicense.NewNodeFacts([]string{"10.20.30.40"}, "node1.berlin.acme.example", "blue")
	if err != nil {
		log.Fatal(err)
	}
	defer facts.Close()

	// Validate uses the validator's clock (the system clock here); ValidateAt asks "what if it
	// were this time" (here 2026-01-31) and writes no trust state.
	verdict, err := validator.ValidateAt(license, facts, 1769817600)
	if err != nil {
		log.Fatal(err)
	}
	defer verdict.Close()
	fmt.Println(verdict.Status, verdict.SiteID, verdict.OrgID, verdict.Features)
	fmt.Println("analytics:", verdict.HasFeature("analytics"), "boost:", verdict.HasFeature("boost"))
	// Output:
	// valid site-berlin-01 acme [analytics reports]
	// analytics: true boost: false
}

// A license that is not usable on this node: the error carries core's stable code.
func ExampleValidator_ValidateAt_error() {
	rootPEM, _ := os.ReadFile("testdata/root-prod-1.pem")
	license, _ := os.ReadFile("testdata/site.lic")
	validator, err := hwflicense.NewValidator(hwflicense.Prod,
		hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: string(rootPEM)})
	if err != nil {
		log.Fatal(err)
	}
	defer validator.Close()
	facts, _ := hwflicense.NewNodeFacts([]string{"192.0.2.7"}, "", "")
	defer facts.Close()

	_, err = validator.ValidateAt(license, facts, 1769817600)
	var e *hwflicense.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, uint32(e.Code), errors.Is(err, hwflicense.CodeAddressMismatch))
		fmt.Println(e.Message)
	}
	// Output:
	// address_mismatch 400 true
	// no node address is within the licensed address 10.20.0.0/16
}

// The thumbprint of a root key, to log which root a node trusts.
func ExampleKeyThumbprint() {
	rootPEM, _ := os.ReadFile("testdata/root-prod-1.pem")
	thumbprint, err := hwflicense.KeyThumbprint(string(rootPEM))
	fmt.Println(thumbprint, err)
	// Output: DxO2k9vr8AkCWbVSUVn6ABjW3LOHP_uuvQrljvsfLUg <nil>
}

// A node keeps its trust state across restarts: run 1 validates at its clock and saves the
// state; run 2, started with the clock set back ten days, loads it and is refused.
func ExampleValidator_ExportState() {
	rootPEM, _ := os.ReadFile("testdata/root-prod-1.pem")
	license, _ := os.ReadFile("testdata/site.lic")
	root := hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: string(rootPEM)}
	facts, _ := hwflicense.NewNodeFacts([]string{"10.20.30.40"}, "node1.berlin.acme.example", "blue")
	defer facts.Close()

	now := int64(1769817600) // what this node's clock reads: 2026-01-31
	clock := hwflicense.WithClock(func() int64 { return now })

	run1, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(root), clock)
	if err != nil {
		log.Fatal(err)
	}
	verdict, err := run1.Validate(license, facts) // at the clock: the floor rises to it
	if err != nil {
		log.Fatal(err)
	}
	verdict.Close()
	var state []byte
	if run1.StateChanged() {
		state, _ = run1.ExportState() // a real node writes it to a file (atomically)
	}
	run1.Close()

	now -= 10 * 86400 // the clock set back
	run2, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(root), clock)
	if err != nil {
		log.Fatal(err)
	}
	defer run2.Close()
	if err := run2.ImportState(state); err != nil {
		log.Fatal(err)
	}
	floor, _ := run2.ClockFloor()
	_, err = run2.Validate(license, facts)
	fmt.Println(floor, hwflicense.CodeOf(err))
	// Output: 1769817600 clock_rollback
}

// Options of New: the roots, a clock the host gives (any func() int64 safe for concurrent use)
// and, for tests only, a fixed nonce seed.
func ExampleNew() {
	rootPEM, _ := os.ReadFile("testdata/root-prod-1.pem")
	validator, err := hwflicense.New(hwflicense.Prod,
		hwflicense.WithRoots(hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: string(rootPEM)}),
		hwflicense.WithClock(func() int64 { return 1769817600 }),
		hwflicense.WithNonceSeed(bytes.Repeat([]byte{0x5a}, 32)))
	if err != nil {
		log.Fatal(err)
	}
	defer validator.Close()
	nonce, _ := validator.NewNonce() // send it with a heartbeat request; VerifyHeartbeatNow the answer
	fmt.Println(len(nonce), validator.StateChanged())
	// Output: 22 false
}
