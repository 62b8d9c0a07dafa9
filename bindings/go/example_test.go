package hwflicense_test

import (
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

	// Validate uses the system clock; ValidateAt takes a time (here 2026-01-31).
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
