// Package peer measures hwf-license's Go API against what a Go user would write instead with the
// standard library (issue 14), on the vector valid/basic of testdata/vectors/vectors.json:
//
//   - BenchmarkOursCold:   a new Validator per call (roots added), ValidateAt, Close: every
//     signature verified (ring, through libvalidate), every rule of core checked.
//   - BenchmarkOursCached: one Validator, the chain cached: ValidateAt and Close.
//   - BenchmarkPeerStdlib: the standard-library peer, defined exactly in peerVerify: the root key
//     imported once outside the timed loop; per call split the site.lic JSON, check both
//     headers' alg (ES256) and typ, verify the CML's signature with the root key, import the
//     org_key JWK from the CML payload, verify the site license's signature with it, check the
//     site's org_id equals the CML's. It checks much less than core does (no times, no
//     binding, no schema, no fingerprint): it is the floor a hand-written check cannot go under.
//
// Run with scripts/test-go.sh --bench, which prints the ours/peer ratios. On a shared machine
// the figure to trust is TestPeerRatio's (HWF_PEER_ROUNDS=N go test -run PeerRatio -v .): N
// interleaved rounds in one process, each timing a batch of ours cold, of the peer and of ours
// cached back to back (the order alternating), and the median of the per-round ratios, so load
// that drifts between benchmarks hits both sides of a ratio alike.
package peer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	hwflicense "example.invalid/hwf-license/bindings/go"
)

const vectorsPath = "../../../testdata/vectors/vectors.json"

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

type fixture struct {
	license   []byte
	now       int64
	roots     []hwflicense.Root
	facts     *hwflicense.NodeFacts
	rootKey   *ecdsa.PublicKey // root-prod-1, imported once (the peer's setup)
	siteOrgID string
}

func load(tb testing.TB) *fixture {
	tb.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Roots map[string]struct {
			Environment string `json:"environment"`
			JWK         jwk    `json:"jwk"`
			PEM         string `json:"pem"`
		} `json:"roots"`
		Vectors []struct {
			Name    string   `json:"name"`
			Roots   []string `json:"roots"`
			License string   `json:"license"`
			Now     int64    `json:"now"`
			Facts   struct {
				Addresses     []string `json:"addresses"`
				DNSName       *string  `json:"dns_name"`
				DeploymentTag *string  `json:"deployment_tag"`
			} `json:"facts"`
			Expect struct {
				OK *struct {
					OrgID string `json:"org_id"`
				} `json:"ok"`
			} `json:"expect"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		tb.Fatal(err)
	}
	for _, v := range file.Vectors {
		if v.Name != "valid/basic" {
			continue
		}
		f := &fixture{license: []byte(v.License), now: v.Now, siteOrgID: v.Expect.OK.OrgID}
		for _, kid := range v.Roots {
			r := file.Roots[kid]
			env := hwflicense.Prod
			if r.Environment == "dev" {
				env = hwflicense.Dev
			}
			f.roots = append(f.roots, hwflicense.Root{KID: kid, Environment: env, Key: r.PEM})
		}
		deref := func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		}
		f.facts, err = hwflicense.NewNodeFacts(v.Facts.Addresses, deref(v.Facts.DNSName), deref(v.Facts.DeploymentTag))
		if err != nil {
			tb.Fatal(err)
		}
		root := file.Roots["root-prod-1"].JWK
		f.rootKey, err = importJWK(&root)
		if err != nil {
			tb.Fatal(err)
		}
		return f
	}
	tb.Fatal("valid/basic not found")
	return nil
}

var b64 = base64.RawURLEncoding

// importJWK is the peer's JWK import: an EC P-256 key, coordinates of 32 bytes, on the curve.
func importJWK(k *jwk) (*ecdsa.PublicKey, error) {
	if k.Kty != "EC" || k.Crv != "P-256" {
		return nil, errors.New("not an EC P-256 key")
	}
	x, err := b64.DecodeString(k.X)
	if err != nil || len(x) != 32 {
		return nil, errors.New("bad x")
	}
	y, err := b64.DecodeString(k.Y)
	if err != nil || len(y) != 32 {
		return nil, errors.New("bad y")
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
		return nil, errors.New("not on the curve")
	}
	return pub, nil
}

type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

// verifyJWS checks a compact JWS's header (alg ES256, typ) and its ES256 signature with key, and
// returns the decoded payload.
func verifyJWS(jws, typ string, key *ecdsa.PublicKey) ([]byte, error) {
	dot1 := strings.IndexByte(jws, '.')
	dot2 := strings.LastIndexByte(jws, '.')
	if dot1 < 0 || dot2 <= dot1 {
		return nil, errors.New("not a compact JWS")
	}
	rawHeader, err := b64.DecodeString(jws[:dot1])
	if err != nil {
		return nil, err
	}
	var h header
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, err
	}
	if h.Alg != "ES256" || h.Typ != typ {
		return nil, errors.New("wrong alg or typ")
	}
	sig, err := b64.DecodeString(jws[dot2+1:])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad signature encoding")
	}
	digest := sha256.Sum256([]byte(jws[:dot2]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, digest[:], r, s) {
		return nil, errors.New("bad signature")
	}
	return b64.DecodeString(jws[dot1+1 : dot2])
}

// peerVerify is the standard-library peer, per call: split the site.lic JSON, verify the CML
// with the root key, import the org key from the CML, verify the site license with it, compare
// the org ids. It returns the site's org id.
func peerVerify(license []byte, root *ecdsa.PublicKey) (string, error) {
	var file struct {
		CML  string `json:"cml"`
		Site string `json:"site"`
	}
	if err := json.Unmarshal(license, &file); err != nil {
		return "", err
	}
	rawCML, err := verifyJWS(file.CML, "hwf-cml+jws", root)
	if err != nil {
		return "", err
	}
	var cml struct {
		OrgID  string `json:"org_id"`
		OrgKey jwk    `json:"org_key"`
	}
	if err := json.Unmarshal(rawCML, &cml); err != nil {
		return "", err
	}
	orgKey, err := importJWK(&cml.OrgKey)
	if err != nil {
		return "", err
	}
	rawSite, err := verifyJWS(file.Site, "hwf-site+jws", orgKey)
	if err != nil {
		return "", err
	}
	var site struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal(rawSite, &site); err != nil {
		return "", err
	}
	if site.OrgID != cml.OrgID {
		return "", errors.New("org mismatch")
	}
	return site.OrgID, nil
}

func oursCold(f *fixture) error {
	v, err := hwflicense.NewValidator(hwflicense.Prod, f.roots...)
	if err != nil {
		return err
	}
	verdict, err := v.ValidateAt(f.license, f.facts, f.now)
	v.Close()
	if err != nil {
		return err
	}
	verdict.Close()
	return nil
}

// TestPeerIsAVerifier: the peer accepts valid/basic and refuses it tampered; ours accepts it.
func TestPeerIsAVerifier(t *testing.T) {
	f := load(t)
	org, err := peerVerify(f.license, f.rootKey)
	if err != nil || org != f.siteOrgID {
		t.Fatalf("peer: %q, %v", org, err)
	}
	var file map[string]string
	if err := json.Unmarshal(f.license, &file); err != nil {
		t.Fatal(err)
	}
	site := []byte(file["site"])
	i := len(site) - 10
	if site[i] == 'B' {
		site[i] = 'C'
	} else {
		site[i] = 'B'
	}
	file["site"] = string(site)
	tampered, _ := json.Marshal(file)
	if bytes.Equal(tampered, f.license) {
		t.Fatal("no change")
	}
	if _, err := peerVerify(tampered, f.rootKey); err == nil {
		t.Fatal("peer accepted a tampered site license")
	}
	if err := oursCold(f); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkOursCold(b *testing.B) {
	f := load(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := oursCold(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOursCached(b *testing.B) {
	f := load(b)
	v, err := hwflicense.NewValidator(hwflicense.Prod, f.roots...)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if _, err := v.ValidateAt(f.license, f.facts, f.now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		verdict, err := v.ValidateAt(f.license, f.facts, f.now)
		if err != nil {
			b.Fatal(err)
		}
		verdict.Close()
	}
}

func BenchmarkPeerStdlib(b *testing.B) {
	f := load(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := peerVerify(f.license, f.rootKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOursNewValidator: NewValidator (two PEM roots) and Close alone, the part of the cold
// call that is not verification.
func BenchmarkOursNewValidator(b *testing.B) {
	f := load(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := hwflicense.NewValidator(hwflicense.Prod, f.roots...)
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// TestPeerRatio (only with HWF_PEER_ROUNDS=N): N interleaved rounds of 200 cold validations,
// 200 peer verifications and 5,000 cached validations; prints each round and the median (and
// range) of ours cold / peer and ours cached / peer.
func TestPeerRatio(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("HWF_PEER_ROUNDS"))
	if rounds <= 0 {
		t.Skip("set HWF_PEER_ROUNDS=N to measure")
	}
	f := load(t)
	warm, err := hwflicense.NewValidator(hwflicense.Prod, f.roots...)
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	const batch, cachedBatch = 200, 5000
	timeIt := func(n int, call func() error) float64 {
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := call(); err != nil {
				t.Fatal(err)
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	cold := func() error { return oursCold(f) }
	peer := func() error { _, err := peerVerify(f.license, f.rootKey); return err }
	cached := func() error {
		verdict, err := warm.ValidateAt(f.license, f.facts, f.now)
		if err == nil {
			verdict.Close()
		}
		return err
	}
	for i := 0; i < 50; i++ { // warm-up: caches, the Go heap, the CPU's clock
		_, _, _ = cold(), peer(), cached()
	}
	var coldRatio, cachedNs, peerNs []float64
	for r := 0; r < rounds; r++ {
		runtime.GC()
		var tc, tp float64
		if r%2 == 0 {
			tc, tp = timeIt(batch, cold), timeIt(batch, peer)
		} else {
			tp, tc = timeIt(batch, peer), timeIt(batch, cold)
		}
		tk := timeIt(cachedBatch, cached)
		fmt.Printf("round %2d: ours cold %7.1f µs, peer %7.1f µs, cold/peer %.3f, cached %.2f µs\n",
			r+1, tc/1e3, tp/1e3, tc/tp, tk/1e3)
		coldRatio, cachedNs, peerNs = append(coldRatio, tc/tp), append(cachedNs, tk), append(peerNs, tp)
	}
	stats := func(v []float64) (float64, float64, float64) {
		sort.Float64s(v)
		return v[len(v)/2], v[0], v[len(v)-1]
	}
	m, lo, hi := stats(coldRatio)
	fmt.Printf("ours cold / standard-library peer: median %.3f (range %.3f-%.3f) of %d rounds; target <= 0.8\n", m, lo, hi, rounds)
	pm, _, _ := stats(peerNs)
	cm, clo, chi := stats(cachedNs)
	fmt.Printf("ours cached: median %.2f µs (range %.2f-%.2f); peer median %.1f µs\n", cm/1e3, clo/1e3, chi/1e3, pm/1e3)
}
