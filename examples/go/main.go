// Command site-node is what an hwf site node does at start-up, in Go: load its trust state,
// load site.lic, validate it offline with the root public key built into the binary, print the
// verdict, save the trust state when it changed, and refuse to run (exit 1) when the license is
// not usable.
//
//	go build -o site-node .          # libvalidate found with pkg-config (package validate)
//	go build -tags validate_static . # linked with libvalidate.a (validate-static)
//
//	site-node [--root FILE] [--kid KID] [--dev] [--address IP]... [--dns-name NAME]
//	          [--deployment-tag TAG] [--state FILE] [--clock UNIX | --now UNIX]
//	          [--feature NAME] site.lic
//
// The trust state (--state FILE) is what the validator learnt: the clock floor (a validation at
// the clock raises it), revocation lists, heartbeat answers. Kept across runs, it makes a node
// whose clock was set back refuse with clock_rollback:
//
//	site-node --state node.state --clock 1793059200 ... site.lic   # VALID; state saved
//	site-node --state node.state --clock 1767398400 ... site.lic   # INVALID: clock_rollback
//
// Exit status: 0 usable (valid or in grace), 1 not usable, 2 usage or I/O error (also: a trust
// state file that is refused), 3 the feature asked for is not licensed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	now := flags.Int64("now", 0, "what-if: validate as if it were this time, unix seconds (writes no trust state)")
	clockAt := flags.Int64("clock", 0, "the validator's clock reads this time, unix seconds (default: the system clock)")
	statePath := flags.String("state", "", "load the trust state from this file at start (if it exists), save it there when it changed")
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
	if *now != 0 && *clockAt != 0 {
		fmt.Fprintln(os.Stderr, "--now and --clock exclude each other")
		return 2
	}
	opts := []hwflicense.Option{hwflicense.WithRoots(hwflicense.Root{KID: *kid, Environment: env, Key: rootKey})}
	if *clockAt != 0 {
		t := *clockAt
		opts = append(opts, hwflicense.WithClock(func() int64 { return t }))
	}
	validator, err := hwflicense.New(env, opts...)
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

	// What this node learnt in earlier runs: the clock floor, revocation lists, ...
	if *statePath != "" {
		if err := loadState(validator, *statePath); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}

	license, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// At the validator's clock (or, with --now, a what-if).
	var verdict *hwflicense.Verdict
	if *now != 0 {
		verdict, err = validator.ValidateAt(license, facts, *now)
	} else {
		verdict, err = validator.Validate(license, facts)
	}
	// Persist what changed (a raised floor), whatever the verdict.
	if *statePath != "" && validator.StateChanged() {
		if err := saveState(validator, *statePath); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
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

// loadState imports the trust state saved at path; a missing file is a first start. A file
// that is refused (bad_state) stops the node: removing it is the operator's decision.
func loadState(v *hwflicense.Validator, path string) error {
	state, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Printf("%-14s %s (none yet: first start)\n", "state", path)
		return nil
	}
	if err != nil {
		return err
	}
	if err := v.ImportState(state); err != nil {
		return fmt.Errorf("%s: %w; refusing to start with this trust state: remove it to start afresh (the node then knows only what its files say)", path, err)
	}
	floor, _ := v.ClockFloor()
	fmt.Printf("%-14s %s (loaded, clock floor %d)\n", "state", path, floor)
	return nil
}

// saveState writes the trust state to path atomically: a temporary file beside it (mode 0600),
// fsync, rename over the old one, fsync of the directory.
func saveState(v *hwflicense.Validator, path string) error {
	state, err := v.ExportState()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing to remove
	if _, err := tmp.Write(state); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	fmt.Printf("%-14s %s (saved, %d bytes)\n", "state", path, len(state))
	return nil
}

func utc(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05Z")
}
