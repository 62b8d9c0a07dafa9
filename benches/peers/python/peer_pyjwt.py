"""hwf_license against PyJWT, the library a Python user would reach for instead.

Both sides take the same input, the vector `valid/basic` of testdata/vectors/vectors.json (a
site license: a CML signed by a root key, carrying the org key as a JWK, and a site license
signed by that org key), and must accept it. Measured in one run, interleaved:

- **hwf cold**: `Validator(roots)` built for every call (the root key PEM parsed in Rust each
  time), then `validate_at(license, facts, now)`: both signatures verified, every rule checked,
  the typed `Verdict` built.
- **hwf cold + reads**: the same, then `status` and `has_feature("analytics")`; and **+ every
  member**: `as_dict()` (all 22 members converted, datetimes and all).
- **hwf cold, root keys parsed per call**: the settings cache of equal `Validator` arguments
  emptied before each call, so the root key PEMs are parsed again (the peer imports its root key
  once; this row shows what that reuse saves).
- **hwf cached**: one validator, the same `validate_at` again (core skips the signature checks it
  already made, never the rules: time, trust state, revocation, policy, fingerprint).
- **hwf cached + reads**: the same, then `status` and `has_feature("analytics")`, what a request
  handler does with the verdict.
- **PyJWT** (with `cryptography`), what a user would write: the root key imported once, outside
  the timed loop (`load_pem_public_key`, looked up by the CML's `kid`); on every call the file's
  JSON parsed, the CML verified with `jwt.decode_complete(cml, root, algorithms=["ES256"])`, its
  `typ` (`hwf-cml+jws`) and `alg` checked, its `org_key` JWK imported (`jwt.PyJWK`), the site
  license verified with that key the same way, its `typ` (`hwf-site+jws`) and `alg` checked, and
  the site's `org_id` compared with the CML's. Nothing else: no time, environment, CML document
  binding, key thumbprint or fingerprint rule (hwf_license checks all of these, so the ratios
  favour the peer). PyJWT has no cache, so its cold call is also its repeated call.

Each case runs `--number` calls per sample, `--repeat` samples, the cases in turn (so a load
change on a shared machine hits all of them); the median and best sample are printed, and the
ratios ours / PyJWT of the medians.

    python benches/peers/python/peer_pyjwt.py [--repeat 15] [--number 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cryptography
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

import hwf_license as hl
from hwf_license import _validator

REPO = Path(os.environ.get("HWF_REPO", Path(__file__).resolve().parents[3]))
VECTOR = "valid/basic"


def load_case() -> dict:
    file = json.loads((REPO / "testdata/vectors/vectors.json").read_text(encoding="utf-8"))
    v = next(v for v in file["vectors"] if v["name"] == VECTOR)
    return {
        "file": file,
        "vector": v,
        "license": v["license"].encode("utf-8"),
        "facts": hl.NodeFacts(**v["facts"]),
        "now": v["now"],
        "roots": [
            hl.TrustedRoot(kid, r["environment"], r["pem"])
            for kid, r in file["roots"].items()
            if kid in v["roots"]
        ],
        "root_pems": {kid: r["pem"] for kid, r in file["roots"].items() if kid in v["roots"]},
    }


# --- the peer --------------------------------------------------------------------------------


class PeerError(Exception):
    pass


def pyjwt_validate(license: bytes, root_keys: dict) -> dict:
    """What a user would write with PyJWT: both links verified, typ/alg and org_id checked."""
    doc = json.loads(license)
    if doc.get("format") != "hwf-site-license":
        raise PeerError("not a site license")
    cml_token, site_token = doc["cml"], doc["site"]

    cml_header = jwt.get_unverified_header(cml_token)
    root = root_keys.get(cml_header.get("kid"))
    if root is None:
        raise PeerError("unknown root kid")
    cml = jwt.decode_complete(cml_token, root, algorithms=["ES256"])
    if cml["header"].get("typ") != "hwf-cml+jws" or cml["header"].get("alg") != "ES256":
        raise PeerError("bad CML header")
    cml_claims = cml["payload"]

    org_key = jwt.PyJWK(cml_claims["org_key"], algorithm="ES256").key  # imported on every call
    site = jwt.decode_complete(site_token, org_key, algorithms=["ES256"])
    if site["header"].get("typ") != "hwf-site+jws" or site["header"].get("alg") != "ES256":
        raise PeerError("bad site header")
    site_claims = site["payload"]
    if site_claims.get("org_id") != cml_claims.get("org_id"):
        raise PeerError("org_id binding")
    return site_claims


# --- measurement -----------------------------------------------------------------------------


def sample(fn, number: int) -> float:
    """Seconds per call over `number` calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="samples per case (default 15)")
    ap.add_argument("--number", type=int, default=400, help="calls per sample (default 400)")
    args = ap.parse_args()

    case = load_case()
    lic, facts, now, roots = case["license"], case["facts"], case["now"], case["roots"]
    expect = case["vector"]["expect"]["ok"]

    # The peer's one-time setup, outside the timed loop.
    root_keys = {kid: load_pem_public_key(pem.encode()) for kid, pem in case["root_pems"].items()}

    # Both sides accept the vector and agree on it; the peer refuses a forged site signature.
    claims = pyjwt_validate(lic, root_keys)
    assert (claims["site_id"], claims["license_id"], claims["features"]) == (
        expect["site_id"], expect["license_id"], expect["features"]), claims
    forged = json.loads(lic)
    h, p, s = forged["site"].split(".")
    forged["site"] = ".".join((h, p, ("A" if s[0] != "A" else "B") + s[1:]))
    try:
        pyjwt_validate(json.dumps(forged).encode(), root_keys)
        raise SystemExit("the PyJWT peer accepted a forged signature")
    except jwt.InvalidSignatureError:
        pass
    cached_validator = hl.Validator(roots)
    verdict = cached_validator.validate_at(lic, facts, now)
    assert (verdict.site_id, verdict.license_id, verdict.features) == (
        expect["site_id"], expect["license_id"], expect["features"])
    assert hl.Validator(roots).validate_at(lic, facts, now) == verdict

    def hwf_cold():
        return hl.Validator(roots).validate_at(lic, facts, now)

    def hwf_cold_reads():
        v = hl.Validator(roots).validate_at(lic, facts, now)
        return v.status, v.has_feature("analytics")

    def hwf_cold_all():
        return hl.Validator(roots).validate_at(lic, facts, now).as_dict()

    def hwf_cold_parse_roots():
        _validator._SETTINGS.clear()  # the root keys parsed again on this call
        return hl.Validator(roots).validate_at(lic, facts, now)

    def hwf_cached():
        return cached_validator.validate_at(lic, facts, now)

    def hwf_cached_reads():
        v = cached_validator.validate_at(lic, facts, now)
        return v.status, v.has_feature("analytics")

    def peer():
        return pyjwt_validate(lic, root_keys)

    cases = {
        "hwf cold (new Validator + validate_at)": (hwf_cold, 1),
        "hwf cold + status + has_feature": (hwf_cold_reads, 1),
        "hwf cold + every member (as_dict)": (hwf_cold_all, 1),
        "hwf cold, root keys parsed per call": (hwf_cold_parse_roots, 1),
        "hwf cached (validate_at)": (hwf_cached, 10),
        "hwf cached + status + has_feature": (hwf_cached_reads, 10),
        "PyJWT + cryptography (both links)": (peer, 1),
    }
    for fn, _ in cases.values():  # warm-up
        sample(fn, 50)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, (fn, scale) in cases.items():
            times[name].append(sample(fn, args.number * scale) * 1e6)

    print(f"peer benchmark: vector {VECTOR}, {args.repeat} samples x {args.number} calls "
          f"(x10 for the cached cases), interleaved")
    print(f"python {sys.version.split()[0]}, hwf_license {hl.__version__} (core {hl.CORE_VERSION}), "
          f"PyJWT {jwt.__version__}, cryptography {cryptography.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':42} {'median':>10} {'best':>10}")
    med = {}
    for name, ts in times.items():
        med[name] = statistics.median(ts)
        print(f"{name:42} {med[name]:8.2f} µs {min(ts):8.2f} µs")
    peer_t = med["PyJWT + cryptography (both links)"]
    print("ratios ours / PyJWT (medians):")
    for name in [n for n in cases if n.startswith("hwf")]:
        print(f"  {name:40} {med[name] / peer_t:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
