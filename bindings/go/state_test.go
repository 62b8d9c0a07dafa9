package hwflicense_test

// Options (New: clock, nonce seed, roots, policy), the trust state across a restart (the clock
// floor, revocation lists), the environment policy on cached chains, bad state bytes, roots
// added after use, nonces, and calls on one validator from several goroutines at once.

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

const (
	day = 86400
	t0  = 1767225600 // 2026-01-01, the vectors' epoch
)

var seed = bytes.Repeat([]byte{0x5a}, 32)

type stateFixture struct {
	*fixture
	devPEM     string
	devLicense []byte // valid/dev-chain-prod-validator-opt-in
	rlLicense  []byte // revocation/revoked-in-newer-list
	revoking   string // its list #2, revoking rlLicense
	older      string // list #1 of revocation/revoked
	other      string // list #1 of revocation/other-site-revoked
}

func newStateFixture(t testing.TB) *stateFixture {
	f := &stateFixture{fixture: newFixture(t)}
	f.devPEM = f.file.Roots["root-dev-1"].PEM
	for i := range f.file.Vectors {
		v := &f.file.Vectors[i]
		switch v.Name {
		case "valid/dev-chain-prod-validator-opt-in":
			f.devLicense = v.license(t)
		case "revocation/revoked-in-newer-list":
			f.rlLicense, f.revoking = v.license(t), v.RevocationLists[1]
		case "revocation/revoked":
			f.older = v.RevocationLists[0]
		case "revocation/other-site-revoked":
			f.other = v.RevocationLists[0]
		}
	}
	if f.devLicense == nil || f.rlLicense == nil || f.older == "" || f.other == "" {
		t.Fatal("fixture vectors missing")
	}
	return f
}

func (f *stateFixture) roots() []hwflicense.Root {
	return []hwflicense.Root{
		{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM},
		{KID: "root-dev-1", Environment: hwflicense.Dev, Key: f.devPEM},
	}
}

// built is a validator of New with both roots, the clock reading *clock, and the fixed seed.
func (f *stateFixture) built(t testing.TB, env hwflicense.Environment, clock *int64, opts ...hwflicense.Option) *hwflicense.Validator {
	t.Helper()
	all := append([]hwflicense.Option{
		hwflicense.WithRoots(f.roots()...),
		hwflicense.WithClock(func() int64 { return atomic.LoadInt64(clock) }),
		hwflicense.WithNonceSeed(seed),
	}, opts...)
	v, err := hwflicense.New(env, all...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantCode(t *testing.T, what string, err error, code hwflicense.Code) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return
	}
	if !errors.Is(err, code) {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

func validateNow(t *testing.T, v *hwflicense.Validator, license []byte, facts *hwflicense.NodeFacts) error {
	t.Helper()
	verdict, err := v.Validate(license, facts)
	verdict.Close()
	return err
}

func floorOf(t *testing.T, v *hwflicense.Validator) int64 {
	t.Helper()
	floor, err := v.ClockFloor()
	if err != nil {
		t.Fatal(err)
	}
	return floor
}

func export(t *testing.T, v *hwflicense.Validator) []byte {
	t.Helper()
	state, err := v.ExportState()
	if err != nil || !bytes.HasPrefix(state, []byte("hwf-trust-state 1\n")) {
		t.Fatalf("ExportState: %q, %v", state, err)
	}
	return state
}

// Run 1 validates at the clock on day 299 and saves the state; run 2, with the clock set back
// to day 2, loads it and is refused.
func TestStateRollbackAfterRestart(t *testing.T) {
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	clock := int64(t0 + 299*day)
	run1 := f.built(t, hwflicense.Prod, &clock)
	if run1.StateChanged() {
		t.Error("a new validator's state changed")
	}
	wantCode(t, "run 1", validateNow(t, run1, f.forever, facts), 0)
	if floorOf(t, run1) != t0+299*day || !run1.StateChanged() {
		t.Errorf("floor %d, changed %v", floorOf(t, run1), run1.StateChanged())
	}
	state := export(t, run1)
	if run1.StateChanged() {
		t.Error("StateChanged after ExportState")
	}
	run1.Close()

	atomic.StoreInt64(&clock, t0+2*day)
	forgetful := f.built(t, hwflicense.Prod, &clock)
	wantCode(t, "without the state", validateNow(t, forgetful, f.forever, facts), 0)
	forgetful.Close()

	run2 := f.built(t, hwflicense.Prod, &clock)
	defer run2.Close()
	if err := run2.ImportState(state); err != nil {
		t.Fatal(err)
	}
	if floorOf(t, run2) != t0+299*day || run2.StateChanged() {
		t.Errorf("after import: floor %d, changed %v", floorOf(t, run2), run2.StateChanged())
	}
	wantCode(t, "run 2", validateNow(t, run2, f.forever, facts), hwflicense.CodeClockRollback)
	_, err := run2.ValidateAt(f.forever, facts, t0+2*day)
	wantCode(t, "run 2, what-if at day 2", err, hwflicense.CodeClockRollback)
	atomic.StoreInt64(&clock, t0+299*day-300) // within the allowed skew
	wantCode(t, "back at day 299", validateNow(t, run2, f.forever, facts), 0)
}

// An applied revocation list survives a restart: an older list is stale and the license stays
// revoked.
func TestStateRevocationSurvivesRestart(t *testing.T) {
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	clock := int64(f.now)
	run1 := f.built(t, hwflicense.Prod, &clock)
	seq, err := run1.ApplyRevocationListNow(f.rlLicense, f.revoking)
	if err != nil || seq != 2 {
		t.Fatalf("seq %d, %v", seq, err)
	}
	wantCode(t, "run 1", validateNow(t, run1, f.rlLicense, facts), hwflicense.CodeRevoked)
	state := export(t, run1)
	run1.Close()

	run2 := f.built(t, hwflicense.Prod, &clock)
	defer run2.Close()
	if err := run2.ImportState(state); err != nil {
		t.Fatal(err)
	}
	_, err = run2.ApplyRevocationListNow(f.rlLicense, f.older)
	wantCode(t, "older list", err, hwflicense.CodeRevocationListStale)
	wantCode(t, "run 2", validateNow(t, run2, f.rlLicense, facts), hwflicense.CodeRevoked)
	_, err = run2.ValidateAt(f.rlLicense, facts, f.now)
	wantCode(t, "run 2 what-if", err, hwflicense.CodeRevoked)
}

// The environment policy is checked on cached chains too.
func TestStatePolicyOnCachedChain(t *testing.T) {
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	clock := int64(f.now)
	v := f.built(t, hwflicense.Prod, &clock, hwflicense.WithAcceptOtherEnvironment(true))
	defer v.Close()
	wantCode(t, "accepted", validateNow(t, v, f.devLicense, facts), 0)
	wantCode(t, "cached", validateNow(t, v, f.devLicense, facts), 0)
	if err := v.AcceptOtherEnvironment(false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "no longer accepted", validateNow(t, v, f.devLicense, facts), hwflicense.CodeEnvironmentMismatch)
	_, err := v.ValidateAt(f.devLicense, facts, f.now)
	wantCode(t, "what-if", err, hwflicense.CodeEnvironmentMismatch)
	wantCode(t, "its own environment", validateNow(t, v, f.forever, facts), 0)
}

// Truncated, corrupt, foreign or empty bytes are CodeBadState and change nothing.
func TestStateBadBytesChangeNothing(t *testing.T) {
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	clock := int64(f.now)
	v := f.built(t, hwflicense.Prod, &clock)
	defer v.Close()
	wantCode(t, "validate", validateNow(t, v, f.rlLicense, facts), 0)
	if _, err := v.ApplyRevocationListNow(f.rlLicense, f.other); err != nil {
		t.Fatal(err)
	}
	good := export(t, v)
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-3] ^= 1
	version := append([]byte(nil), good...)
	version[16] = '2'
	dev := f.built(t, hwflicense.Dev, &clock)
	wantCode(t, "dev", validateNow(t, dev, f.devLicense, facts), 0)
	foreign := export(t, dev)
	dev.Close()
	for name, bad := range map[string][]byte{
		"truncated": good[:len(good)-1], "half": good[:len(good)/2], "empty": nil,
		"corrupt": corrupt, "version 2": version, "json": []byte(`{"floor":0}`), "foreign": foreign,
	} {
		err := v.ImportState(bad)
		var e *hwflicense.Error
		if !errors.As(err, &e) || e.Code != hwflicense.CodeBadState || e.Message == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := v.ImportState(make([]byte, 4<<20+1)); !errors.Is(err, hwflicense.CodeTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	if floorOf(t, v) != f.now || v.StateChanged() {
		t.Errorf("floor %d, changed %v", floorOf(t, v), v.StateChanged())
	}
	wantCode(t, "still usable", validateNow(t, v, f.rlLicense, facts), 0)
	if again := export(t, v); !bytes.Equal(again, good) {
		t.Error("the state changed")
	}
	if err := v.ImportState(good); err != nil || v.StateChanged() {
		t.Errorf("import of its own state: %v, changed %v", err, v.StateChanged())
	}
}

// A root added after use keeps the trust state; a kid already trusted is refused.
func TestStateAddRootAfterUse(t *testing.T) {
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	clock := int64(f.now)
	v, err := hwflicense.New(hwflicense.Prod,
		hwflicense.WithClock(func() int64 { return atomic.LoadInt64(&clock) }))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	wantCode(t, "no root", validateNow(t, v, f.forever, facts), hwflicense.CodeUnknownKeyID)
	if err := v.SetLastSeen(f.now - day); err != nil {
		t.Fatal(err)
	}
	if err := v.AddRoot(hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM}); err != nil {
		t.Fatal(err)
	}
	if floorOf(t, v) != f.now-day {
		t.Errorf("AddRoot lost the floor: %d", floorOf(t, v))
	}
	wantCode(t, "with the root", validateNow(t, v, f.forever, facts), 0)
	err = v.AddRoot(hwflicense.Root{KID: "root-prod-1", Environment: hwflicense.Prod, Key: f.prodPEM})
	wantCode(t, "same kid", err, hwflicense.CodeInvalidArgument)
}

func TestOptions(t *testing.T) {
	f := newStateFixture(t)
	for name, opts := range map[string][]hwflicense.Option{
		"short seed": {hwflicense.WithNonceSeed(seed[:31])},
		"no seed":    {hwflicense.WithNonceSeed(nil)},
		"same kid":   {hwflicense.WithRoots(f.roots()...), hwflicense.WithRoots(f.roots()[0])},
	} {
		if _, err := hwflicense.New(hwflicense.Prod, opts...); !errors.Is(err, hwflicense.CodeInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := hwflicense.New(hwflicense.Environment(9)); !errors.Is(err, hwflicense.CodeInvalidArgument) {
		t.Errorf("environment 9: %v", err)
	}
	bad := hwflicense.Root{KID: "k", Environment: hwflicense.Prod, Key: "not a key"}
	if _, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(bad)); !errors.Is(err, hwflicense.CodeBadKey) {
		t.Errorf("bad key: %v", err)
	}
	// The same seed gives the same nonces; NewValidator draws its own seed.
	clock := int64(f.now)
	a, b := f.built(t, hwflicense.Prod, &clock), f.built(t, hwflicense.Prod, &clock)
	r := f.validator(t)
	defer a.Close()
	defer b.Close()
	defer r.Close()
	for i := 0; i < 3; i++ {
		na, errA := a.NewNonce()
		nb, errB := b.NewNonce()
		nr, errR := r.NewNonce()
		if errA != nil || errB != nil || errR != nil || len(na) != 22 || na != nb || na == nr {
			t.Errorf("nonces %q %q %q (%v %v %v)", na, nb, nr, errA, errB, errR)
		}
	}
	// The clock is read by every call at the clock; a panicking clock is an error, no crash.
	facts := f.facts(t)
	defer facts.Close()
	atomic.StoreInt64(&clock, -1)
	wantCode(t, "clock -1", validateNow(t, a, f.forever, facts), hwflicense.CodeInvalidArgument)
	_, err := a.ApplyRevocationListNow(f.rlLicense, f.other)
	wantCode(t, "list at clock -1", err, hwflicense.CodeInvalidArgument)
	panicky, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(f.roots()...),
		hwflicense.WithClock(func() int64 { panic("clock broke") }))
	if err != nil {
		t.Fatal(err)
	}
	defer panicky.Close()
	wantCode(t, "panicking clock", validateNow(t, panicky, f.forever, facts), hwflicense.CodeInvalidArgument)
}

// The first call of each of four goroutines waits inside the clock until all four are in it:
// it only finishes promptly when calls on one validator really run at the same time in
// libvalidate (a lock around every call would keep three of them out until the deadline).
func TestStateCallsRunAtOnce(t *testing.T) {
	const n = 4
	f := newStateFixture(t)
	facts := f.facts(t)
	defer facts.Close()
	var arrived int32
	var timedOut int32
	all := make(chan struct{})
	var once sync.Once
	clock := func() int64 {
		if atomic.AddInt32(&arrived, 1) == n {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(20 * time.Second):
			atomic.StoreInt32(&timedOut, 1)
		}
		return f.now
	}
	v, err := hwflicense.New(hwflicense.Prod, hwflicense.WithRoots(f.roots()...), hwflicense.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var wg sync.WaitGroup
	errs := make(chan error, n*200)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				verdict, err := v.Validate(f.forever, facts)
				if err != nil {
					errs <- err
					return
				}
				verdict.Close()
				if i%25 == g { // other calls meanwhile: export, nonce, floor, a list
					if _, err := v.ExportState(); err != nil {
						errs <- err
					}
					if _, err := v.NewNonce(); err != nil {
						errs <- err
					}
					if floor, err := v.ClockFloor(); err != nil || floor != f.now {
						errs <- errors.New("floor moved")
					}
					if _, err := v.ApplyRevocationListNow(f.rlLicense, f.other); err != nil {
						errs <- err
					}
					_ = v.StateChanged()
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if atomic.LoadInt32(&timedOut) != 0 {
		t.Error("the four validations were not inside libvalidate at the same time")
	}
}
