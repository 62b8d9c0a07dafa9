// Command site-node is what an hwf site node does at start-up, in Go: load site.lic, validate it
// offline with the root public key built into the binary, print the verdict, and refuse to run
// (exit 1) when the license is not usable.
//
//	go build -o site-node .          # libvalidate found with pkg-config (package validate)
//	go build -tags validate_static . # linked with libvalidate.a (validate-static)
//
//	site-node [--root FILE] [--kid KID] [--dev] [--address IP]... [--dns-name NAME]
//	          [--deployment-tag TAG] [--now UNIX] [--feature NAME] site.lic
//
// Exit status: 0 usable (valid or in grace), 1 not usable, 2 usage or I/O error, 3 the feature
// asked for is not licensed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

// The built-in root: testdata's prod root (kid root-prod-1), as SPKI PEM. A real node embeds the
// production root key here.
const (
	builtinRootKID = "root-prod-1"
	builtinRootPEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEU+7juWhpexuCTx+YnRMUNxsJPdQS
vs9h9++CiLxEbDpg2RJKZv2DkQFHfNHdPN8WpkNU3w7aEgMPZcLKPUbx+g==
-----END PUBLIC KEY-----
`
)

type addresses []string

func (a *addresses) String() string     { return strings.Join(*a, ",") }
func (a *addresses) Set(v string) error { *a = append(*a, v); return nil }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	flags := flag.NewFlagSet("site-node", flag.ContinueOnError)
	rootPath := flags.String("root", "", "trust this root public key (PEM or JWK file) instead of the built-in one")
	kid := flags.String("kid", builtinRootKID, "the root's key id")
	dev := flags.Bool("dev", false, "a dev node (default prod)")
	var addrs addresses
	flags.Var(&addrs, "address", "a node address (repeatable)")
	dnsName := flags.String("dns-name", "", "the node's DNS name")
	tag := flags.String("deployment-tag", "", "the node's deployment tag")
	now := flags.Int64("now", 0, "validate at this time, unix seconds (default: the system clock)")
	feature := flags.String("feature", "", "also check that a feature is licensed (exit 3 if not)")
	showRoot := flags.Bool("show-root", false, "print the built-in root key and exit")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *showRoot {
		fmt.Print(builtinRootPEM)
		return 0
	}
	if flags.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: site-node [options] site.lic")
		return 2
	}
	if hwflicense.Version() != hwflicense.HeaderVersion() {
		fmt.Fprintf(os.Stderr, "libvalidate %s loaded, but built against %s\n", hwflicense.Version(), hwflicense.HeaderVersion())
		return 2
	}

	env := hwflicense.Prod
	if *dev {
		env = hwflicense.Dev
	}
	rootKey := builtinRootPEM
	if *rootPath != "" {
		b, err := os.ReadFile(*rootPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		rootKey = string(b)
	}
	validator, err := hwflicense.NewValidator(env, hwflicense.Root{KID: *kid, Environment: env, Key: rootKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, "root key:", err)
		return 2
	}
	defer validator.Close()
	if tp, err := hwflicense.KeyThumbprint(rootKey); err == nil {
		fmt.Printf("%-14s %s (%s)\n", "root", *kid, tp)
	}

	facts, err := hwflicense.NewNodeFacts(addrs, *dnsName, *tag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer facts.Close()

	license, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	verdict, err := validator.ValidateAt(license, facts, *now)
	var e *hwflicense.Error
	if errors.As(err, &e) {
		fmt.Printf("%-14s INVALID: %s (%d)\n", "license", e.Code, uint32(e.Code))
		fmt.Printf("%-14s %s\n", "reason", e.Message)
		return 1
	}
	defer verdict.Close()

	state := "VALID"
	if verdict.Status == hwflicense.Grace {
		state = "IN GRACE"
	}
	fmt.Printf("%-14s %s\n", "license", state)
	fmt.Printf("%-14s %s\n", "site", verdict.SiteID)
	fmt.Printf("%-14s %s\n", "organisation", verdict.OrgID)
	fmt.Printf("%-14s %s\n", "license id", verdict.LicenseID)
	fmt.Printf("%-14s %s\n", "environment", verdict.Environment)
	fmt.Printf("%-14s %s / %s\n", "product/tier", verdict.Product, verdict.Tier)
	fmt.Printf("%-14s %s\n", "features", strings.Join(verdict.Features, " "))
	fmt.Printf("%-14s %s (%d)\n", "expires", utc(verdict.ExpiresAt), verdict.ExpiresAt)
	fmt.Printf("%-14s %s (%d)\n", "grace ends", utc(verdict.GraceEnd), verdict.GraceEnd)
	for _, w := range verdict.Warnings {
		fmt.Printf("%-14s %s: %s\n", "WARNING", w.Name, w.Message)
	}

	// On every licensed action: one call.
	if *feature != "" {
		licensed := verdict.HasFeature(*feature)
		word := "NOT licensed"
		if licensed {
			word = "licensed"
		}
		fmt.Printf("%-14s %s: %s\n", "feature", *feature, word)
		if !licensed {
			return 3
		}
	}
	return 0
}

func utc(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05Z")
}
