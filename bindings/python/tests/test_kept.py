"""The kept conversion (docs/PYTHON.md, "Why a cached validation is fast"): a validator converts
each distinct verdict core gives once and hands the same Verdict again while core's answer is
unchanged. Core still validates every call in full, so nothing a cached Verdict holds may
outlive a change of time, trust state or policy: these tests replay one license through many
times, revocations, rollbacks and policy changes on one validator and compare every member with
the vectors, and they check the bounds and the fallback when core no longer keeps a verdict."""

from __future__ import annotations

import threading

import pytest

import hwf_license as hl
from hwf_license import _validator

from conftest import load, roots_of, verdict_members
from test_state import BY_NAME, Clock, facts, revocation_list, validator
from test_vectors import license_bytes

FILE = load("vectors.json")
BASIC = BY_NAME["valid/basic"]
# Every vector of the same license, roots and policy as valid/basic (times, fingerprints,
# node facts): one validator must give each its own outcome whatever it answered before.
SAME_LICENSE = [
    v
    for v in FILE["vectors"]
    if "license" in v
    and v["license"] == BASIC["license"]
    and v["roots"] == BASIC["roots"]
    and v["environment"] == BASIC["environment"]
    and not v["accept_other_environment"]
    and v["last_seen"] is None
    and not v["revocation_lists"]
]


def outcome(val: hl.Validator, v: dict, at_clock: Clock | None = None) -> dict:
    try:
        if at_clock is not None:
            at_clock.t = v["now"]
            verdict = val.validate(license_bytes(v), facts(v))
        else:
            verdict = val.validate_at(license_bytes(v), facts(v), v["now"])
        return {"ok": verdict_members(verdict)}
    except hl.LicenseError as e:
        return {"error": {"code": e.code, "name": e.name, "step": "validate"}}


def test_the_same_license_at_many_times_on_one_validator() -> None:
    assert len(SAME_LICENSE) >= 8, [v["name"] for v in SAME_LICENSE]
    assert len({str(v["expect"]) for v in SAME_LICENSE}) >= 6  # really different outcomes
    val = hl.Validator(roots_of(FILE, BASIC["roots"]), BASIC["environment"])
    order = SAME_LICENSE + SAME_LICENSE[::-1] + SAME_LICENSE[::2] + SAME_LICENSE
    for v in order:
        assert outcome(val, v) == v["expect"], v["name"]
        assert outcome(val, v) == v["expect"], v["name"]  # again, on the kept conversion


def test_the_same_license_at_a_clock_moving_forward() -> None:
    clock = Clock(0)
    val = hl.Validator(roots_of(FILE, BASIC["roots"]), BASIC["environment"], clock=clock)
    for v in sorted(SAME_LICENSE, key=lambda v: v["now"]):
        for _ in range(2):
            assert outcome(val, v, clock) == v["expect"], v["name"]


def test_a_repeated_validation_returns_the_same_verdict_object() -> None:
    val = validator()
    lic, f = license_bytes(BASIC), facts(BASIC)
    first = val.validate_at(lic, f, BASIC["now"])
    assert first.has_feature("analytics")
    again = val.validate_at(lic.decode(), f, BASIC["now"])  # text of the same bytes
    assert again is first
    # A later time with another verdict (expires_soon) is a new conversion...
    soon = BY_NAME["valid/expires-soon"]
    later = val.validate_at(lic, f, soon["now"])
    assert later is not first and verdict_members(later) == soon["expect"]["ok"]
    # ...and going back gives an equal verdict, converted again (core keeps the latest id).
    back = val.validate_at(lic, f, BASIC["now"])
    assert back == first and verdict_members(back) == BASIC["expect"]["ok"]


def test_a_revocation_after_a_kept_verdict_is_refused() -> None:
    lic, list5 = revocation_list(5, revokes=True)
    val = validator(Clock(BASIC["now"]))
    kept = val.validate(lic, facts(BASIC))
    assert val.validate(lic, facts(BASIC)) is kept
    val.apply_revocation_list(lic, list5)
    for call in (lambda: val.validate(lic, facts(BASIC)),
                 lambda: val.validate_at(lic, facts(BASIC), BASIC["now"])):
        with pytest.raises(hl.NodeError) as e:
            call()
        assert (e.value.code, e.value.name) == (403, "revoked")


def test_a_rollback_after_a_kept_verdict_is_refused() -> None:
    clock = Clock(BASIC["now"])
    val = validator(clock)
    lic = license_bytes(BASIC)
    kept = val.validate(lic, facts(BASIC))
    assert val.validate(lic, facts(BASIC)) is kept
    clock.t = BASIC["now"] - 2 * 86400
    for call in (lambda: val.validate(lic, facts(BASIC)),
                 lambda: val.validate_at(lic, facts(BASIC), clock.t)):
        with pytest.raises(hl.TimeError) as e:
            call()
        assert (e.value.code, e.value.name) == (302, "clock_rollback")


def test_a_policy_change_after_a_kept_verdict_is_refused() -> None:
    v = BY_NAME["valid/dev-chain-prod-validator-opt-in"]
    val = validator(Clock(v["now"]), accept_other_environment=True)
    kept = val.validate(v["license"], facts(v))
    assert val.validate(v["license"], facts(v)) is kept
    val.accept_other_environment(False)
    with pytest.raises(hl.TrustError) as e:
        val.validate(v["license"], facts(v))
    assert e.value.code == 201
    val.accept_other_environment(True)
    assert val.validate(v["license"], facts(v)) is kept


def test_a_fingerprint_mismatch_after_a_kept_verdict_is_refused() -> None:
    v = BY_NAME["valid/all-fingerprint-fields"]
    val = validator()
    lic = license_bytes(v)
    kept = val.validate_at(lic, facts(v), v["now"])
    assert val.validate_at(lic, facts(v), v["now"]) is kept
    with pytest.raises(hl.NodeError):
        val.validate_at(lic, hl.NodeFacts(["192.0.2.1"]), v["now"])
    with pytest.raises(hl.NodeError):
        val.validate_at(lic, None, v["now"])
    assert val.validate_at(lic, facts(v), v["now"]) is kept


def test_the_kept_licenses_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(_validator, "_KEPT_LICENSES", 2)
    oks = [v for v in FILE["vectors"] if "ok" in v["expect"] and v["environment"] == "prod"
           and not v["accept_other_environment"] and not v["revocation_lists"]
           and v["last_seen"] is None and "license" in v]
    licenses = {v["license"]: v for v in oks}
    assert len(licenses) >= 4
    val = validator()
    for _ in range(2):
        for v in licenses.values():
            assert outcome(val, v) == v["expect"], v["name"]
            assert len(val._kept) <= 2


def test_more_verdicts_than_core_keeps() -> None:
    """Core keeps KEPT_VERDICTS verdicts; a license whose id was pushed out is converted again."""
    val = validator()
    lic, f = license_bytes(BASIC), facts(BASIC)
    first = val.validate_at(lic, f, BASIC["now"])
    assert val.validate_at(lic, f, BASIC["now"]) is first
    other = BY_NAME["valid/all-fingerprint-fields"]
    other_lic = license_bytes(other)
    assert other_lic != lic
    for _ in range(70):  # 70 new ids for the other license (its Python entry forgotten each time)
        val._kept.pop(other_lic, None)
        val.validate_at(other_lic, facts(other), other["now"])
    again = val.validate_at(lic, f, BASIC["now"])
    assert again is not first and again == first
    assert verdict_members(again) == BASIC["expect"]["ok"]
    assert val.validate_at(lic, f, BASIC["now"]) is again


class _Forgetful:
    """The native validator, except that it no longer keeps any verdict (as if other threads had
    pushed it out between the two calls)."""

    def __init__(self, native) -> None:
        self._native = native
        self.plain = 0

    def kept_verdict_object(self, verdict_id: int):
        return self._native.kept_verdict_object(verdict_id + 10**12)  # invalid_argument

    def validate(self, *args):
        self.plain += 1
        return self._native.validate(*args)

    def validate_at(self, *args):
        self.plain += 1
        return self._native.validate_at(*args)

    def __getattr__(self, name: str):
        return getattr(self._native, name)


def test_a_verdict_no_longer_kept_is_validated_again_in_full() -> None:
    val = validator(Clock(BASIC["now"]))
    forgetful = _Forgetful(val._native)
    val._native = forgetful
    lic = license_bytes(BASIC)
    for call in (lambda: val.validate_at(lic, facts(BASIC), BASIC["now"]),
                 lambda: val.validate(lic, facts(BASIC))):
        assert verdict_members(call()) == BASIC["expect"]["ok"]
        assert verdict_members(call()) == BASIC["expect"]["ok"]
    assert forgetful.plain == 4 and val._kept == {}


def test_threads_on_one_validator_each_get_their_own_outcome() -> None:
    val = hl.Validator(roots_of(FILE, BASIC["roots"]), BASIC["environment"])
    failures: list[str] = []

    def work(vs: list[dict]) -> None:
        for _ in range(30):
            for v in vs:
                if outcome(val, v) != v["expect"]:
                    failures.append(v["name"])

    threads = [threading.Thread(target=work, args=(SAME_LICENSE[i::3],)) for i in range(3)]
    threads += [threading.Thread(target=work, args=(SAME_LICENSE,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_validators_of_the_same_arguments_share_parsed_settings_not_state() -> None:
    roots = roots_of(FILE)
    a, b = hl.Validator(roots), hl.Validator(list(roots))
    assert len(_validator._SETTINGS) >= 1
    lic = license_bytes(BASIC)
    a.set_last_seen(BASIC["now"])
    assert a.clock_floor != b.clock_floor
    lic_r, list5 = revocation_list(5, revokes=True)
    a.apply_revocation_list_at(lic_r, list5, BASIC["now"])
    with pytest.raises(hl.NodeError):
        a.validate_at(lic_r, facts(BASIC), BASIC["now"])
    assert verdict_members(b.validate_at(lic, facts(BASIC), BASIC["now"])) == BASIC["expect"]["ok"]
    a.accept_other_environment(True)
    assert not b.accepts_other_environment and not hl.Validator(roots).accepts_other_environment
    # Other arguments, other settings; JWK mappings (unhashable) are parsed every time.
    dev = hl.Validator(roots, "dev")
    assert dev.environment is hl.Environment.DEV
    mappings = [hl.TrustedRoot(r.kid, r.environment, dict(FILE["roots"][r.kid]["jwk"]))
                for r in roots]
    jwk = hl.Validator(mappings)
    assert verdict_members(jwk.validate_at(lic, facts(BASIC), BASIC["now"])) == BASIC["expect"]["ok"]
    seeded = [hl.Validator(roots, nonce_seed=bytes(32)) for _ in range(2)]
    assert seeded[0].new_nonce() == seeded[1].new_nonce() != hl.Validator(roots).new_nonce()
    assert hl.Validator(roots, last_seen=BASIC["now"]).clock_floor == a.clock_floor


def test_the_parsed_settings_are_bounded() -> None:
    roots = roots_of(FILE)
    for seed in range(40):
        hl.Validator(roots, nonce_seed=bytes([seed]) * 32)
    assert len(_validator._SETTINGS) <= _validator._KEPT_SETTINGS
