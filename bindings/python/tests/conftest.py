"""Shared fixtures: the conformance vectors of testdata/vectors and validators built from them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import hwf_license as hl

REPO = Path(os.environ.get("HWF_REPO", Path(__file__).resolve().parents[3]))
VECTORS_DIR = REPO / "testdata" / "vectors"


def load(name: str) -> dict:
    """A vector file; a missing file is an error, never a skip."""
    return json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))


def roots_of(file: dict, kids=None, use: str = "pem") -> list[hl.TrustedRoot]:
    """TrustedRoots for `kids` (default: all) from a vector file's `roots`, keys as PEM or JWK."""
    return [
        hl.TrustedRoot(kid, r["environment"], r[use])
        for kid, r in file["roots"].items()
        if kids is None or kid in kids
    ]


def _ts(t) -> int:
    # Exact: every verdict time is a whole second (int(t.timestamp()) would round through a float).
    return (t - hl._types.EPOCH) // hl._types._SECOND


def verdict_members(verdict: hl.Verdict) -> dict:
    """Every member of a vector's `expect.ok` (testdata/vectors/FORMAT.md), from a Python verdict:
    datetimes back to unix seconds, enums to their names, the fingerprint to an object."""
    fp = verdict.fingerprint
    return {
        "status": verdict.status.value,
        "site_id": verdict.site_id,
        "org_id": verdict.org_id,
        "license_id": verdict.license_id,
        "product": verdict.product,
        "tier": verdict.tier,
        "environment": verdict.environment.value,
        "features": list(verdict.features),
        "expires_at": _ts(verdict.expires_at),
        "grace_end": _ts(verdict.grace_end),
        "grace_days_left": verdict.grace_days_left,
        "warnings": [w.name for w in verdict.warnings],
        "cml_id": verdict.cml_id,
        "cml_license_id": verdict.cml_license_id,
        "site_document_id": verdict.site_document_id,
        "issued_at": _ts(verdict.issued_at),
        "site_expires_at": _ts(verdict.site_expires_at),
        "cml_valid_until": _ts(verdict.cml_valid_until),
        "max_sites": verdict.max_sites,
        "feature_packs": list(verdict.feature_packs),
        "max_offline_days": verdict.max_offline_days,
        "fingerprint": {
            "address": fp.address,
            "dns_suffix": fp.dns_suffix,
            "deployment_tag": fp.deployment_tag,
        },
    }


@pytest.fixture(scope="session")
def vectors() -> dict:
    return load("vectors.json")


@pytest.fixture(scope="session")
def documents() -> dict:
    return load("documents.json")


@pytest.fixture(scope="session")
def by_name(vectors) -> dict:
    return {v["name"]: v for v in vectors["vectors"]}


@pytest.fixture()
def prod_validator(vectors) -> hl.Validator:
    return hl.Validator(roots_of(vectors), "prod")


@pytest.fixture(scope="session")
def basic(by_name) -> dict:
    """valid/basic: a prod chain without fingerprint, valid at its `now`."""
    return by_name["valid/basic"]
