"""Every vector of testdata/vectors/documents.json: manifests, ledgers, heartbeats, root keys,
CMLs, CML standing and manifest periods, through the Python API (FORMAT.md, "Other operations")."""

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
        if op == "verify_cml":
            c = validator.verify_cml(v["cml"])
            return {
                "ok": {
                    "id": c.id,
                    "license_id": c.license_id,
                    "org_id": c.org_id,
                    "max_sites": c.max_sites,
                    "valid_until": int(c.valid_until.timestamp()),
                    "grace_days": c.grace_days,
                    "feature_packs": c.feature_packs,
                    "environment": c.environment.value,
                    "max_offline_days": c.max_offline_days,
                    "org_key_thumbprint": c.org_key_thumbprint,
                }
            }
        if op == "cml_standing":
            st = validator.cml_standing(v["cml"], v["now"])
            return {"ok": {"standing": st.standing.value, "days_left": st.days_left, "usable": st.usable}}
        if op == "manifest_period":
            b = validator.manifest_period(v["cml"], v["period"], v["now"])
            return {"ok": {"start": int(b.start.timestamp()), "end": int(b.end.timestamp())}}
        if op == "verify_receipt":
            r = validator.verify_receipt(
                v["certificate"], v["receipt"], v["org_id"], v["manifest_id"], v["now"]
            )
            return {
                "ok": {
                    "id": r.id,
                    "org_id": r.org_id,
                    "manifest": r.manifest,
                    "period": r.period,
                    "received_at": int(r.received_at.timestamp()),
                    "certificate_id": r.certificate_id,
                    "receipt_key_thumbprint": r.receipt_key_thumbprint,
                    "certificate_valid_until": int(r.certificate_valid_until.timestamp()),
                }
            }
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
    assert ops == {"verify_manifest", "verify_ledger", "verify_heartbeat", "load_root_key",
                   "verify_cml", "cml_standing", "manifest_period", "verify_receipt"}


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


def test_cml_standing_and_period_values_are_typed() -> None:
    v = next(v for v in VECTORS if v["name"] == "standing/expired-10-days")
    validator = hl.Validator(roots_of(FILE), "prod")
    st = validator.cml_standing(v["cml"], datetime.fromtimestamp(v["now"], hl._types.EPOCH.tzinfo))
    assert st == hl.CmlStanding(hl.Standing.EXPIRED, None, 10, False)
    assert st.standing == "expired"
    fresh = validator.cml_standing(v["cml"], 1769817600)
    assert fresh.standing is hl.Standing.VALID and fresh.days_ago is None and fresh.usable
    with pytest.raises(hl.FormatError) as e:
        validator.cml_standing(v["cml"], -1)
    assert e.value.name == "invalid_argument"
    p = next(v for v in VECTORS if v["name"] == "period/current-month")
    b = validator.manifest_period(p["cml"], p["period"], p["now"])
    assert (b.start.isoformat(), b.end.isoformat()) == ("2026-01-01T00:00:00+00:00",
                                                        "2026-02-01T00:00:00+00:00")
    with pytest.raises(hl.UsageError) as e:
        validator.manifest_period(p["cml"], "2026-13", p["now"])
    assert e.value.name == "manifest_invalid"
    assert validator.verify_cml(p["cml"]).max_offline_days is None


def _vec(name: str) -> dict:
    return next(v for v in VECTORS if v["name"] == name)


def test_a_manifest_is_checked_against_its_ledger_by_core() -> None:
    """verify_manifest(..., ledger=entries): core verifies the ledger and requires the manifest's
    ledger_head/ledger_length to be its (check_manifest_ledger). manifest/valid reports a ledger
    of 42 entries headed abab..., which neither ledger of the file is. (The matching case, which
    needs the org key to sign, is the uniffi crate's Rust test.)"""
    m, good = _vec("manifest/valid"), _vec("ledger/valid")
    validator = hl.Validator(roots_of(FILE), "prod")
    for entries in (good["entries"], _vec("ledger/empty")["entries"]):
        with pytest.raises(hl.UsageError) as e:
            validator.verify_manifest(m["cml"], m["document"], ledger=entries)
        assert (e.value.code, e.value.name) == (501, "manifest_invalid")
    broken = _vec("ledger/swapped-entries")
    with pytest.raises(hl.UsageError) as e:
        validator.verify_manifest(m["cml"], m["document"], ledger=iter(broken["entries"]))
    assert (e.value.name, e.value.index) == ("ledger_broken", 1)
    # The manifest is verified first: a bad one fails as without a ledger.
    with pytest.raises(hl.TrustError) as e:
        validator.verify_manifest(m["cml"], _vec("manifest/tampered")["document"], ledger=[])
    assert e.value.name == "bad_signature"
    with pytest.raises(TypeError):
        validator.verify_manifest(m["cml"], m["document"], ledger=good["entries"][0])
    with pytest.raises(TypeError):
        validator.verify_ledger(m["cml"], good["entries"][0])


def test_standalone_documents_verify_without_a_site_license() -> None:
    """A CML, a manifest and a ledger verify on their own (no site.lic), with the CML info
    carrying max_offline_days, and the month a time falls in is core's period_of."""
    m = _vec("manifest/valid")
    validator = hl.Validator(roots_of(FILE), "prod")
    cml = validator.verify_cml(m["cml"] + "\n")
    assert cml.max_offline_days == _claims(m["cml"]).get("max_offline_days")
    assert validator.verify_manifest(m["cml"], m["document"]).cml == cml.id
    assert validator.verify_ledger(m["cml"], _vec("ledger/valid")["entries"]).length == 5
    assert hl.period_of(1_767_225_599) == "2025-12"
    assert hl.period_of(datetime(2026, 1, 1, tzinfo=hl._types.EPOCH.tzinfo)) == "2026-01"
    assert hl.period_of(0) == "1970-01"
    with pytest.raises(hl.FormatError) as e:
        hl.period_of(-1)
    assert e.value.name == "invalid_argument"
    for v in VECTORS:
        if v["operation"] == "manifest_period" and "ok" in v["expect"]:
            assert hl.period_of(v["expect"]["ok"]["start"]) == v["period"], v["name"]
