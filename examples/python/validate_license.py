#!/usr/bin/env python3
"""Validates a site.lic with the conformance vectors' prod root key and prints the verdict.

    python examples/python/validate_license.py path/to/site.lic
    python examples/python/validate_license.py site.lic --now 2026-02-01T00:00:00Z \
        --address 10.20.30.40 --dns-name node1.berlin.acme.example --deployment-tag blue

Exit status: 0 when the license is usable (valid or in grace), 1 when it is not (the error's
stable code and name are printed), 2 on a usage error.
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("license", type=Path, help="the site.lic file")
    p.add_argument("--now", type=datetime.fromisoformat, help="ISO time with zone (default: now)")
    p.add_argument("--address", action="append", default=[], help="a node IP address (repeatable)")
    p.add_argument("--dns-name", help="the node's DNS name")
    p.add_argument("--deployment-tag", help="the node's deployment tag")
    args = p.parse_args()

    validator = hl.Validator([prod_root()], hl.Environment.PROD)
    try:
        facts = hl.NodeFacts(args.address, args.dns_name, args.deployment_tag)
        verdict = validator.validate(args.license.read_bytes(), facts, args.now)
    except hl.LicenseError as e:
        print(f"not usable: {e.code} {e.name}: {e}")
        return 1
    except (OSError, ValueError) as e:
        p.error(str(e))
    print(f"{verdict.status.value}: site {verdict.site_id} of {verdict.org_id} ({verdict.license_id})")
    print(f"  product/tier: {verdict.product}/{verdict.tier}")
    print(f"  features:     {', '.join(verdict.features) or '(none)'}")
    print(f"  expires:      {verdict.expires_at:%Y-%m-%d %H:%M:%S %Z}, grace until {verdict.grace_end:%Y-%m-%d}")
    for w in verdict.warnings:
        print(f"  warning {w.name}: {w.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
