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
