"""Every vector of testdata/vectors/documents.json: manifests, ledgers, heartbeats and root keys,
through the Python API (FORMAT.md, "Other operations")."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest

import hwf_license as hl

from conftest import load, roots_of

FILE = load("documents.json")
VECTORS = FILE["vectors"]


def error(e: hl.LicenseError) -> dict:
    out = {"code": e.code, "name": e.name}
    if e.name == "ledger_broken":
        assert isinstance(e, hl.UsageError)
        out["index"] = e.index
    return {"error": out}


def run(v: dict) -> dict:
    op = v["operation"]
    validator = hl.Validator(roots_of(FILE), "prod")
    try:
        if op == "verify_manifest":
            m = validator.verify_manifest(v["cml"], v["document"])
            return {
                "ok": {
                    "id": m.id,
                    "org_id": m.org_id,
                    "period": m.period,
                    "total_active_sites": m.stats.total_active_sites,
                    "sites": len(m.sites),
                }
            }
        if op == "verify_ledger":
            s = validator.verify_ledger(v["cml"], v["entries"])
            return {"ok": {"length": s.length, "head": s.head}}
        if op == "verify_heartbeat":
            h = validator.verify_heartbeat_at(v["license"], v["answer"], v["nonce"], v["now"])
            return {
                "ok": {
                    "status": h.status,
                    "server_time": int(h.server_time.timestamp()),
                    "revocation_seq": h.revocation_seq,
                    "revoked": h.revoked,
                }
            }
        if op == "load_root_key":
            return {"ok": {"thumbprint": hl.key_thumbprint(v["key"])}}
    except hl.LicenseError as e:
        return error(e)
    raise AssertionError(f"unknown operation {op}")


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_document_vector(vector: dict) -> None:
    assert run(vector) == vector["expect"], vector["description"]


def test_document_file_is_complete() -> None:
    assert FILE["format"] == "hwf-license-documents/1"
    assert len(VECTORS) >= 20
    ops = {v["operation"] for v in VECTORS}
    assert ops == {"verify_manifest", "verify_ledger", "verify_heartbeat", "load_root_key"}


def test_vectors_cover_every_core_code(vectors) -> None:
    """Together the two files exercise every core code (100–599) through this binding."""
    seen = {
        v["expect"]["error"]["code"]
        for f in (vectors, FILE)
        for v in f["vectors"]
        if "error" in v["expect"]
    }
    assert {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110} <= seen
    assert {200, 201, 202, 203, 204, 205, 300, 301, 302} <= seen
    assert {400, 401, 402, 403, 404, 405, 406, 500, 501} <= seen


def _claims(jws: str) -> dict:
    payload = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _ts(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp())


def test_manifest_fields_are_typed_and_match_the_signed_payload() -> None:
    v = next(v for v in VECTORS if v["name"] == "manifest/valid")
    validator = hl.Validator(roots_of(FILE), "prod")
    m = validator.verify_manifest(v["cml"], v["document"].encode("ascii"))
    claims = _claims(v["document"])
    assert m.generated_at.tzinfo is not None
    assert _ts(m.generated_at) == claims["generated_at"]
    assert (m.period, m.ledger_head, m.ledger_length) == (
        claims["period"],
        claims["ledger_head"],
        claims["ledger_length"],
    )
    assert [
        {
            "site_id": s.site_id,
            "product": s.product,
            "tier": s.tier,
            "issued_at": _ts(s.issued_at),
            "last_seen": _ts(s.last_seen),
            "status": s.status,
        }
        for s in m.sites
    ] == claims["sites"]
    assert [vars(p) for p in m.stats.sites_by_product_tier] == claims["stats"]["sites_by_product_tier"]
    assert (m.stats.admin_users, m.stats.total_users) == (
        claims["stats"]["admin_users"],
        claims["stats"]["total_users"],
    )


def test_cml_fields_match_the_signed_payload() -> None:
    v = next(v for v in VECTORS if v["name"] == "manifest/valid")
    validator = hl.Validator(roots_of(FILE), "prod")
    cml = validator.verify_cml(v["cml"])
    claims = _claims(v["cml"])
    assert (cml.license_id, cml.org_id, cml.max_sites, cml.issued_by, cml.grace_days) == (
        claims["license_id"],
        claims["org_id"],
        claims["max_sites"],
        claims["issued_by"],
        claims["grace_days"],
    )
    assert (_ts(cml.issued_at), _ts(cml.valid_until)) == (claims["issued_at"], claims["valid_until"])
    assert cml.feature_packs == claims["feature_packs"]
    assert cml.environment is hl.Environment(claims["key_type"])
    assert cml.org_key_thumbprint == hl.key_thumbprint(claims["org_key"])
    assert cml.id == validator.verify_manifest(v["cml"], v["document"]).cml
