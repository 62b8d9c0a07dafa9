"""Every conformance vector of testdata/vectors/vectors.json, run as FORMAT.md says: build the
validator, apply the revocation lists, validate twice (the second call takes the cached path) and
compare every member of the verdict (all FORMAT.md lists: the operator's CML and fingerprint
fields too), or the error's code and step. Each vector runs twice: as a what-if at
its `now` (`validate_at`), and at a validator clock that reads `now` (`validate`)."""

from __future__ import annotations

import pytest

import hwf_license as hl

from conftest import VECTORS_DIR, load, roots_of, verdict_members

FILE = load("vectors.json")
VECTORS = FILE["vectors"]


def license_bytes(v: dict) -> bytes:
    return bytes.fromhex(v["license_hex"]) if "license_hex" in v else v["license"].encode("utf-8")


def facts_of(v: dict) -> hl.NodeFacts:
    f = v["facts"]
    return hl.NodeFacts(f["addresses"], f["dns_name"], f["deployment_tag"])


def run(v: dict, use: str = "pem", at_clock: bool = False) -> list[dict]:
    """Runs one vector; returns one outcome per step ({"ok": ...} or {"error": ...})."""
    now = v["now"]
    validator = hl.Validator(
        roots_of(FILE, v["roots"], use),
        v["environment"],
        accept_other_environment=v["accept_other_environment"],
        last_seen=v["last_seen"],
        clock=(lambda: now) if at_clock else None,
    )
    lic = license_bytes(v)
    for rl in v["revocation_lists"]:
        try:
            if at_clock:
                validator.apply_revocation_list(lic, rl)
            else:
                validator.apply_revocation_list_at(lic, rl, now)
        except hl.LicenseError as e:
            return [{"error": {"code": e.code, "name": e.name, "step": "revocation_list"}}]
    outcomes = []
    for _ in range(2):
        try:
            if at_clock:
                verdict = validator.validate(lic, facts_of(v))
            else:
                verdict = validator.validate_at(lic, facts_of(v), now)
            outcomes.append({"ok": verdict_members(verdict)})
        except hl.LicenseError as e:
            outcomes.append({"error": {"code": e.code, "name": e.name, "step": "validate"}})
    return outcomes


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict) -> None:
    outcomes = run(vector)
    for outcome in outcomes:
        assert outcome == vector["expect"], vector["description"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_at_the_clock(vector: dict) -> None:
    """The same outcomes through validate() with a clock reading the vector's now."""
    for outcome in run(vector, at_clock=True):
        assert outcome == vector["expect"], vector["description"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["expect"].get("ok")][:8],
    ids=lambda v: v["name"],
)
def test_vector_with_jwk_roots(vector: dict) -> None:
    """The same verdicts when the roots are given as JWK instead of PEM."""
    assert run(vector, use="jwk") == [vector["expect"]] * 2


VERDICT_MEMBERS = {
    "status", "site_id", "org_id", "license_id", "product", "tier", "environment", "features",
    "expires_at", "grace_end", "grace_days_left", "warnings", "cml_id", "cml_license_id",
    "site_document_id", "issued_at", "site_expires_at", "cml_valid_until", "max_sites",
    "feature_packs", "max_offline_days", "fingerprint",
}


def test_every_ok_vector_lists_every_verdict_member() -> None:
    """The comparison above is whole-dict equality, so it covers every member only if the file
    lists them all: FORMAT.md's list, no more, no less (a new member must be added here)."""
    oks = [v for v in VECTORS if "ok" in v["expect"]]
    assert len(oks) >= 40
    for v in oks:
        assert set(v["expect"]["ok"]) == VERDICT_MEMBERS, v["name"]
        assert set(v["expect"]["ok"]["fingerprint"]) == {"address", "dns_suffix", "deployment_tag"}
    # Some vectors bind each fingerprint field, so those are compared with values, not only as
    # null (a max_offline_days with a value is in scenarios.json).
    for member in ("address", "dns_suffix", "deployment_tag"):
        assert any(v["expect"]["ok"]["fingerprint"][member] is not None for v in oks), member


def test_vector_file_is_complete() -> None:
    names = [v["name"] for v in VECTORS]
    assert FILE["format"] == "hwf-license-vectors/1"
    assert len(names) == len(set(names)), "vector names must be unique"
    assert len(names) >= 145
    index = (VECTORS_DIR / "INDEX.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in index, f"{name} missing from INDEX.md"


def test_verdicts_compare_as_a_whole(by_name) -> None:
    """Validating twice gives equal Verdict objects (all fields, not only the vector's); on one
    validator the second is the first's conversion reused (core answered with the same verdict),
    on another validator a conversion of its own, equal to it."""
    v = by_name["valid/all-fingerprint-fields"]
    validator = hl.Validator(roots_of(FILE, v["roots"]), v["environment"])
    first = validator.validate_at(license_bytes(v), facts_of(v), v["now"])
    second = validator.validate_at(license_bytes(v), facts_of(v), v["now"])
    assert first == second and first is second
    other = hl.Validator(roots_of(FILE, v["roots"]), v["environment"])
    third = other.validate_at(license_bytes(v), facts_of(v), v["now"])
    assert third == first and third is not first
    assert verdict_members(third) == verdict_members(first) == v["expect"]["ok"]
