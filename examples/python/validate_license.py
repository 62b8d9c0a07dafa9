#!/usr/bin/env python3
"""Validates a site.lic with the conformance vectors' prod root key, keeping the trust state.

    python examples/python/validate_license.py path/to/site.lic --state trust.state
    python examples/python/validate_license.py site.lic --state trust.state \
        --clock 2026-10-27T00:00:00+00:00 \
        --address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue

With --state the validator starts from what earlier runs learnt (the clock floor, revocation
lists) and saves it again when it changed, so a later run whose clock was set back is refused
with clock_rollback. --clock replaces the system clock by a fixed time (for demonstrations).

Exit status: 0 when the license is usable (valid or in grace), 1 when it is not or the trust
state file is bad (the error's stable code and name are printed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import hwf_license as hl

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors" / "vectors.json"


def prod_root() -> hl.TrustedRoot:
    """The vectors' prod root key (a real deployment ships its own root public key)."""
    root = json.loads(VECTORS.read_text())["roots"]["root-prod-1"]
    return hl.TrustedRoot("root-prod-1", hl.Environment.PROD, root["pem"])


def aware(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone (add +00:00)")
    return t


def floor(validator: hl.Validator) -> str:
    return f"{validator.clock_floor:%Y-%m-%d %H:%M:%S %Z}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("license", type=Path, help="the site.lic file")
    p.add_argument("--state", type=Path, help="the trust state file (read at start, saved on change)")
    p.add_argument("--clock", type=aware, help="ISO time with zone the clock reads (default: system clock)")
    p.add_argument("--address", action="append", default=[], help="a node IP address (repeatable)")
    p.add_argument("--dns-name", help="the node's DNS name")
    p.add_argument("--deployment-tag", help="the node's deployment tag")
    args = p.parse_args()

    clock = None if args.clock is None else (lambda: args.clock)
    validator = hl.Validator([prod_root()], hl.Environment.PROD, clock=clock)
    try:
        facts = hl.NodeFacts(args.address, args.dns_name, args.deployment_tag)
        license = args.license.read_bytes()
        if args.state is not None:
            if validator.load_state(args.state):
                print(f"trust state: loaded {args.state} (clock floor {floor(validator)})")
            else:
                print(f"trust state: none at {args.state} yet (first run)")
    except hl.LicenseError as e:
        print(f"trust state not usable: {e.code} {e.name}: {e}")
        return 1
    except (OSError, ValueError) as e:
        p.error(str(e))

    status = 0
    try:
        verdict = validator.validate(license, facts)
    except hl.LicenseError as e:
        print(f"not usable: {e.code} {e.name}: {e}")
        status = 1
    else:
        print(f"{verdict.status.value}: site {verdict.site_id} of {verdict.org_id} ({verdict.license_id})")
        print(f"  product/tier: {verdict.product}/{verdict.tier}")
        print(f"  features:     {', '.join(verdict.features) or '(none)'}")
        print(f"  expires:      {verdict.expires_at:%Y-%m-%d %H:%M:%S %Z}, grace until {verdict.grace_end:%Y-%m-%d}")
        print(
            f"  CML:          {verdict.cml_license_id}, valid until {verdict.cml_valid_until:%Y-%m-%d}, "
            f"up to {verdict.max_sites} sites, packs {', '.join(verdict.feature_packs) or '(none)'}"
        )
        fp = verdict.fingerprint
        bound = [f"{k} {x}" for k, x in (("address", fp.address), ("dns", fp.dns_suffix),
                                         ("tag", fp.deployment_tag)) if x is not None]
        print(f"  bound to:     {', '.join(bound) or '(any node)'}")
        for w in verdict.warnings:
            print(f"  warning {w.name}: {w.message}")
    # Save only what changed (a validation at the clock raises the floor; a refused one does not).
    if args.state is not None and validator.state_changed():
        validator.save_state(args.state)
        print(f"trust state: saved {args.state} (clock floor {floor(validator)})")
    return status


if __name__ == "__main__":
    sys.exit(main())
