"""The Python API itself: input types, time conversion, the error hierarchy, value types, state
(revocation, clock floor) and threads. The rules are core's; these tests check the translation."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import typing
from types import MappingProxyType
from datetime import datetime, timedelta, timezone
from importlib import resources

import pytest

import hwf_license as hl

from conftest import roots_of

UTC = timezone.utc


def dt(t: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=t)


def facts(v: dict) -> hl.NodeFacts:
    return hl.NodeFacts(**v["facts"])


def validator_for(vectors: dict, v: dict, **kw) -> hl.Validator:
    return hl.Validator(
        roots_of(vectors, v["roots"]),
        v["environment"],
        accept_other_environment=v["accept_other_environment"],
        **kw,
    )


# --- license input -------------------------------------------------------------------------


def test_license_as_bytes_str_bytearray_and_memoryview_agree(prod_validator, basic) -> None:
    text = basic["license"]
    raw = text.encode()
    verdicts = [
        prod_validator.validate_at(x, facts(basic), basic["now"])
        for x in (raw, text, bytearray(raw), memoryview(raw))
    ]
    assert all(v == verdicts[0] for v in verdicts)
    assert verdicts[0].site_id == "site-berlin-01"


@pytest.mark.parametrize("bad", [None, 12, ["x"], {"cml": "a"}])
def test_license_of_another_type_is_a_type_error(prod_validator, basic, bad) -> None:
    with pytest.raises(TypeError, match="license must be bytes or str"):
        prod_validator.validate_at(bad, None, basic["now"])


def test_non_utf8_license_bytes_reach_core(prod_validator, by_name) -> None:
    v = by_name["input/binary"]
    with pytest.raises(hl.FormatError) as e:
        prod_validator.validate_at(bytes.fromhex(v["license_hex"]), None, v["now"])
    assert (e.value.code, e.value.name) == (100, "malformed")


# --- time ------------------------------------------------------------------------------------


def test_now_as_aware_datetime_equals_unix_seconds(prod_validator, basic) -> None:
    lic, now = basic["license"], basic["now"]
    by_int = prod_validator.validate_at(lic, None, now)
    assert prod_validator.validate_at(lic, None, dt(now)) == by_int
    berlin = timezone(timedelta(hours=2))
    assert prod_validator.validate_at(lic, None, dt(now).astimezone(berlin)) == by_int


def test_fractional_seconds_are_floored(vectors, by_name) -> None:
    """valid/zero-grace is valid one second before expiry: 0.999 s later is still that second,
    one whole second later is the expiry itself (no grace: expired)."""
    v = by_name["valid/zero-grace"]
    val = validator_for(vectors, v)
    assert val.validate_at(v["license"], None, dt(v["now"]) + timedelta(milliseconds=999)).status is hl.Status.VALID
    with pytest.raises(hl.TimeError) as e:
        val.validate_at(v["license"], None, dt(v["now"] + 1))
    assert e.value.name == "expired"


def test_naive_datetime_is_refused(prod_validator, basic) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        prod_validator.validate_at(basic["license"], None, datetime(2026, 2, 1))


@pytest.mark.parametrize("bad", [True, 1.5, "1769817600"])
def test_now_of_another_type_is_a_type_error(prod_validator, basic, bad) -> None:
    with pytest.raises(TypeError):
        prod_validator.validate_at(basic["license"], None, bad)


def test_validate_without_a_clock_reads_the_system_clock(vectors, by_name) -> None:
    v = by_name["valid/year-9999"]
    val = validator_for(vectors, v)
    before = int(time.time())
    implicit = val.validate(v["license"], facts(v))
    assert implicit == validator_for(vectors, v).validate_at(v["license"], facts(v), before)
    # validate at the clock raised the floor to the system time.
    assert before <= int(val.clock_floor.timestamp()) <= int(time.time())
    # A license only valid at its vector's now (2026) is expired at the system clock (later).
    basic = by_name["valid/basic"]
    fresh = validator_for(vectors, basic)
    if before > int(fresh.validate_at(basic["license"], None, basic["now"]).grace_end.timestamp()):
        with pytest.raises(hl.TimeError, match="expired"):
            fresh.validate(basic["license"])


def test_out_of_range_times_are_core_invalid_argument(prod_validator, basic) -> None:
    for now in (-1, 253402300800, -(2**63), 2**63 - 1):
        with pytest.raises(hl.FormatError) as e:
            prod_validator.validate_at(basic["license"], None, now)
        assert (e.value.code, e.value.name) == (110, "invalid_argument")


def test_verdict_times_are_aware_utc_datetimes(prod_validator, basic) -> None:
    v = prod_validator.validate_at(basic["license"], None, basic["now"])
    for t in (v.issued_at, v.expires_at, v.grace_end):
        assert isinstance(t, datetime) and t.utcoffset() == timedelta(0)
    assert v.issued_at < v.expires_at < v.grace_end
    assert int(v.expires_at.timestamp()) == basic["expect"]["ok"]["expires_at"]


def test_year_9999_is_representable(vectors, by_name) -> None:
    v = by_name["valid/now-max-time-in-grace"]
    verdict = validator_for(vectors, v).validate_at(v["license"], facts(v), v["now"])
    assert verdict.grace_end == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert verdict.in_grace and verdict.grace_days_left == 1


# --- errors ----------------------------------------------------------------------------------

DOMAIN = {
    1: hl.FormatError,
    2: hl.TrustError,
    3: hl.TimeError,
    4: hl.NodeError,
    5: hl.UsageError,
    9: hl.BindingError,
}


def test_every_vector_error_is_the_class_of_its_code_range(vectors) -> None:
    seen = set()
    for v in vectors["vectors"]:
        exp = v["expect"].get("error")
        if not exp:
            continue
        val = validator_for(vectors, v, last_seen=v["last_seen"])
        lic = bytes.fromhex(v["license_hex"]) if "license_hex" in v else v["license"].encode()
        with pytest.raises(hl.LicenseError) as info:
            for rl in v["revocation_lists"]:
                val.apply_revocation_list_at(lic, rl, v["now"])
            val.validate_at(lic, facts(v), v["now"])
        e = info.value
        assert type(e) is DOMAIN[e.code // 100], v["name"]
        assert (e.code, e.name) == (exp["code"], exp["name"])
        # str() is core's message, not the generated "code=..., name=..." rendering.
        assert str(e) == e.message and e.message and "code=" not in e.message
        assert e.args == (e.message,)
        assert repr(e).startswith(f"{type(e).__name__}(code={e.code}, name='{e.name}'")
        seen.add(type(e))
    assert seen == {hl.FormatError, hl.TrustError, hl.TimeError, hl.NodeError}


def test_messages_are_cores(prod_validator, by_name) -> None:
    v = by_name["time/grace-end-exact"]
    with pytest.raises(hl.TimeError) as e:
        prod_validator.validate_at(v["license"], facts(v), v["now"])
    assert str(e.value).startswith("license expired at ")
    assert f"(now {v['now']})" in str(e.value)


def test_errors_are_exceptions_to_catch_by_domain() -> None:
    for cls in DOMAIN.values():
        assert issubclass(cls, hl.LicenseError) and issubclass(cls, Exception)
    e = hl.UsageError(500, "ledger_broken", "ledger entry 2: x", 2)
    assert (e.code, e.name, e.index, str(e)) == (500, "ledger_broken", 2, "ledger entry 2: x")


def test_native_errors_do_not_leak_their_traceback(prod_validator) -> None:
    with pytest.raises(hl.FormatError) as e:
        prod_validator.validate_at(b"", None, 1769817600)
    assert e.value.__cause__ is None and e.value.__suppress_context__


# --- roots and keys --------------------------------------------------------------------------


def test_roots_as_pem_jwk_text_jwk_mapping_and_pem_bytes(vectors, basic) -> None:
    r = vectors["roots"]["root-prod-1"]
    for key in (r["pem"], json.dumps(r["jwk"]), r["jwk"], r["pem"].encode()):
        val = hl.Validator([hl.TrustedRoot("root-prod-1", hl.Environment.PROD, key)])
        assert val.validate_at(basic["license"], None, basic["now"]).org_id == "acme"


def _jwk(vectors) -> dict:
    return dict(vectors["roots"]["root-prod-1"]["jwk"])


def test_a_webcrypto_jwk_dict_is_accepted(vectors, basic) -> None:
    """What crypto.subtle.exportKey("jwk", key) gives (with ext and key_ops), as a dict: passed
    to core as its JSON text and accepted by core's key rule, like the text itself."""
    jwk = _jwk(vectors) | {"ext": True, "key_ops": ["verify"]}
    full = jwk | {"alg": "ES256", "use": "sig", "kid": "root-prod-1"}
    want = hl.key_thumbprint(vectors["roots"]["root-prod-1"]["pem"])
    for key in (jwk, full, json.dumps(jwk), MappingProxyType(full)):
        assert hl.key_thumbprint(key) == want
        val = hl.Validator([hl.TrustedRoot("root-prod-1", hl.Environment.PROD, key)])
        assert val.validate_at(basic["license"], None, basic["now"]).org_id == "acme"


@pytest.mark.parametrize(
    "extra",
    [{"d": "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM"}, {"alg": "RS256"}, {"use": "enc"},
     {"key_ops": [1]}, {"ext": "true"}, {"x5c": []}],
    ids=["d", "alg-rs256", "use-enc", "key_ops-not-strings", "ext-not-bool", "unknown-member"],
)
def test_a_jwk_dict_core_refuses_is_bad_key(vectors, extra) -> None:
    """`d` (a private key) and anything else core's rule does not accept: code 109, whether the
    JWK is given as a dict or as text, for a root and for a thumbprint."""
    jwk = _jwk(vectors) | {"ext": True, "key_ops": ["verify"]} | extra
    for key in (jwk, json.dumps(jwk)):
        with pytest.raises(hl.FormatError) as e:
            hl.Validator([hl.TrustedRoot("root-prod-1", "prod", key)])
        assert (e.value.code, e.value.name) == (109, "bad_key")
        with pytest.raises(hl.FormatError) as e:
            hl.key_thumbprint(key)
        assert (e.value.code, e.value.name) == (109, "bad_key")


def test_a_jwk_dict_is_serialised_as_it_is(vectors, monkeypatch) -> None:
    """The binding does not look inside a JWK: the dict's JSON text goes to core unchanged (no
    member dropped or added by Python), and a dict JSON cannot hold is a TypeError."""
    from hwf_license._native import hwf_license_uniffi as native

    seen = []
    monkeypatch.setattr(native, "key_thumbprint", lambda text: seen.append(text) or "t")
    jwk = _jwk(vectors) | {"d": "x", "ext": True}
    assert hl.key_thumbprint(jwk) == "t"
    assert json.loads(seen[0]) == jwk and list(json.loads(seen[0])) == list(jwk)
    monkeypatch.undo()
    with pytest.raises(TypeError):
        hl.key_thumbprint(_jwk(vectors) | {"ext": object()})


def test_bad_root_key_fails_at_construction(vectors) -> None:
    with pytest.raises(hl.FormatError) as e:
        hl.Validator([hl.TrustedRoot("k", "prod", "-----BEGIN PUBLIC KEY-----\nAAAA\n")])
    assert (e.value.code, e.value.name) == (109, "bad_key")
    with pytest.raises(TypeError):
        hl.Validator([hl.TrustedRoot("k", "prod", 42)])  # type: ignore[arg-type]


def test_unknown_environment_is_a_value_error(vectors) -> None:
    with pytest.raises(ValueError):
        hl.Validator(roots_of(vectors), "staging")
    with pytest.raises(ValueError):
        hl.TrustedRoot("k", "test", "x")._native()


def test_key_thumbprint_of_every_key_form(documents) -> None:
    pem = next(v for v in documents["vectors"] if v["name"] == "key/pem")
    jwk = next(v for v in documents["vectors"] if v["name"] == "key/jwk")
    want = pem["expect"]["ok"]["thumbprint"]
    assert hl.key_thumbprint(pem["key"]) == want
    assert hl.key_thumbprint(pem["key"].encode()) == want
    assert hl.key_thumbprint(jwk["key"]) == want
    assert hl.key_thumbprint(json.loads(jwk["key"])) == want
    with pytest.raises(hl.FormatError, match="bad key"):
        hl.key_thumbprint({"kty": "EC", "crv": "P-384", "x": "", "y": ""})


# --- node facts ------------------------------------------------------------------------------


def test_node_facts_accept_ip_objects_and_compare_by_value() -> None:
    a = hl.NodeFacts([ipaddress.ip_address("10.1.2.3"), "fd00::1"], "n.example", "blue")
    b = hl.NodeFacts(["10.1.2.3", "fd00::1"], dns_name="n.example", deployment_tag="blue")
    assert a == b and hash(a) == hash(b)
    assert a.addresses == ("10.1.2.3", "fd00::1")
    assert (a.dns_name, a.deployment_tag) == ("n.example", "blue")
    assert a != hl.NodeFacts(["10.1.2.3"])
    assert "10.1.2.3" in repr(a)


def test_bad_node_address_is_core_invalid_argument() -> None:
    with pytest.raises(hl.FormatError) as e:
        hl.NodeFacts(["10.0.0.300"])
    assert (e.value.code, e.value.name) == (110, "invalid_argument")


def test_facts_of_another_type_is_a_type_error(prod_validator, basic) -> None:
    with pytest.raises(TypeError, match="NodeFacts"):
        prod_validator.validate_at(basic["license"], basic["facts"], basic["now"])  # a dict


def test_facts_decide_fingerprinted_licenses(vectors, by_name) -> None:
    v = by_name["valid/all-fingerprint-fields"]
    val = validator_for(vectors, v)
    assert val.validate_at(v["license"], facts(v), v["now"]).status is hl.Status.VALID
    with pytest.raises(hl.NodeError):
        val.validate_at(v["license"], None, v["now"])


# --- verdict ---------------------------------------------------------------------------------


def test_verdict_has_feature_is_exact(prod_validator, basic) -> None:
    v = prod_validator.validate_at(basic["license"], None, basic["now"])
    assert v.features == ["analytics", "reports"]
    assert v.has_feature("analytics") and v.has_feature("reports")
    # Case-sensitive, exact: no case folding, no prefixes, no whitespace trimming, no wildcards;
    # a CML feature pack the site license does not enable is not a feature of the verdict.
    for name in ("Analytics", "ANALYTICS", "analytic", "analytics ", " analytics", "*", "",
                 "analytics,reports", "boost"):
        assert not v.has_feature(name), name
    assert "boost" in v.feature_packs
    with pytest.raises(TypeError):
        v.has_feature(None)  # type: ignore[arg-type]


def test_has_feature_is_cores_rule_not_pythons(vectors, basic, monkeypatch) -> None:
    """Verdict.has_feature asks core: about the verdict core keeps (KeptVerdict.has_feature, core's
    hwf_license::has_feature in Rust), or, for a verdict over a plain record, the exported
    has_feature with the verdict's own feature list. The answer is core's even where a Python rule
    would differ."""
    from hwf_license._native import hwf_license_uniffi as native

    validator = hl.Validator(roots_of(vectors), "prod")
    v = validator.validate_at(basic["license"], None, basic["now"])
    kept_calls, list_calls = [], []

    def kept_spy(self, name):
        kept_calls.append(name)
        return name == "from-core"

    def list_spy(features, name):
        list_calls.append((list(features), name))
        return name == "from-core-list"

    monkeypatch.setattr(native.KeptVerdict, "has_feature", kept_spy)
    monkeypatch.setattr(native, "has_feature", list_spy)
    assert v.has_feature("from-core") and not v.has_feature("analytics")
    assert kept_calls == ["from-core", "analytics"] and list_calls == []
    # Core's answer is kept per verdict: asking again does not cross the FFI.
    assert v.has_feature("from-core") and not v.has_feature("analytics") and len(kept_calls) == 2
    # The same verdict again from the same validator is the same object, answers included.
    assert validator.validate_at(basic["license"], None, basic["now"]) is v
    assert len(kept_calls) == 2
    for i in range(100):  # the kept answers are bounded; beyond them core is asked every time
        v.has_feature(f"f{i}")
    n = len(kept_calls)
    v.has_feature("f99")
    v.has_feature("f0")
    assert len(kept_calls) == n + 1
    # A verdict over a plain record asks core with its feature list.
    record = validator._native.validate_at(basic["license"].encode(), validator_facts(), basic["now"])
    plain = hl.Verdict._from_native(record)
    assert plain == v
    assert plain.has_feature("from-core-list") and not plain.has_feature("analytics")
    assert list_calls == [(["analytics", "reports"], "from-core-list"),
                          (["analytics", "reports"], "analytics")]
    monkeypatch.undo()
    assert native.has_feature(["analytics"], "analytics") is True
    assert native.has_feature(["analytics"], "Analytics") is False
    assert native.has_feature([], "") is False
    fresh = hl.Validator(roots_of(vectors), "prod").validate_at(basic["license"], None, basic["now"])
    assert fresh.has_feature("analytics") and not fresh.has_feature("Analytics")
    assert plain.has_feature("reports") and not plain.has_feature("boost")


def validator_facts():
    from hwf_license._validator import _NO_FACTS

    return _NO_FACTS


def test_verdict_is_immutable_and_complete(prod_validator, basic) -> None:
    v = prod_validator.validate_at(basic["license"], None, basic["now"])
    with pytest.raises(AttributeError):
        v.status = hl.Status.GRACE  # type: ignore[misc]
    with pytest.raises(AttributeError):
        v.note = "x"  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        hl.Verdict()
    v.features.append("boost")  # a copy: the verdict does not change
    assert not v.has_feature("boost")
    d = v.as_dict()
    assert list(d) == ["status", "site_id", "org_id", "license_id", "cml_license_id", "cml_id",
                       "site_document_id", "environment", "product", "tier", "features",
                       "issued_at", "expires_at", "site_expires_at", "cml_valid_until",
                       "max_sites", "feature_packs", "max_offline_days", "fingerprint",
                       "grace_end", "grace_days_left", "warnings"]
    assert d["expires_at"] == v.expires_at and repr(v).startswith("Verdict(status=<Status.VALID")
    assert v.cml_license_id == "cml-acme-2026" and len(v.cml_id) == 64
    assert v.environment is hl.Environment.PROD and v.status is hl.Status.VALID
    assert v.status == "valid"  # str enums compare with their value
    assert v.issued_at == dt(1767312000)
    want = basic["expect"]["ok"]
    assert len(v.site_document_id) == 64 and v.site_document_id == want["site_document_id"]
    assert v.site_expires_at == dt(want["site_expires_at"]) and v.site_expires_at.tzinfo
    assert v.cml_valid_until == dt(want["cml_valid_until"])
    assert v.expires_at == min(v.site_expires_at, v.cml_valid_until)
    assert (v.max_sites, v.feature_packs, v.max_offline_days) == (25, ["analytics", "boost", "reports"], None)
    v.feature_packs.append("x")  # a copy too
    assert v.feature_packs == ["analytics", "boost", "reports"]
    assert v.fingerprint == hl.Fingerprint(None, None, None)
    assert d["fingerprint"] is not v.fingerprint and d["fingerprint"] == v.fingerprint


def test_verdict_fingerprint_is_typed(vectors, by_name) -> None:
    v = by_name["valid/all-fingerprint-fields"]
    verdict = validator_for(vectors, v).validate_at(v["license"], facts(v), v["now"])
    fp = verdict.fingerprint
    assert isinstance(fp, hl.Fingerprint)
    assert vars(fp) == v["expect"]["ok"]["fingerprint"]
    assert all(isinstance(x, str) for x in (fp.address, fp.dns_suffix, fp.deployment_tag))
    with pytest.raises(AttributeError):
        fp.address = "0.0.0.0/0"  # type: ignore[misc]


def test_warnings_in_grace_and_expires_soon(vectors, by_name) -> None:
    g = by_name["time/grace-middle"]
    verdict = validator_for(vectors, g).validate_at(g["license"], facts(g), g["now"])
    assert verdict.in_grace and [w.name for w in verdict.warnings] == ["in_grace"]
    w = verdict.warnings[0]
    assert w.days_left == verdict.grace_days_left and w.days_left > 0
    assert w.message.startswith("license expired at ")
    s = by_name["valid/expires-soon"]
    verdict = validator_for(vectors, s).validate_at(s["license"], facts(s), s["now"])
    assert [(w.name, w.days_left) for w in verdict.warnings] == [("expires_soon", 7)]
    assert verdict.grace_days_left is None


# --- validator state -------------------------------------------------------------------------


def test_properties_and_repr(vectors) -> None:
    val = hl.Validator(roots_of(vectors), "dev", accept_other_environment=True)
    assert val.environment is hl.Environment.DEV and val.accepts_other_environment
    assert repr(val) == "Validator(environment='dev', accept_other_environment=True)"
    assert repr(hl.Validator(roots_of(vectors))) == "Validator(environment='prod')"


def test_clock_floor_follows_the_clock_last_seen_and_signed_times(vectors, basic) -> None:
    clock = [basic["now"]]
    val = hl.Validator(roots_of(vectors), clock=lambda: clock[0])
    assert val.clock_floor == dt(0)
    verdict = val.validate_at(basic["license"], None, basic["now"] + 60)
    assert val.clock_floor == dt(0), "validate_at is a what-if: it writes nothing"
    assert verdict.issued_at < dt(basic["now"])
    assert val.validate(basic["license"]) == verdict
    assert val.clock_floor == dt(basic["now"]), "validate raises the floor to the clock"
    later = dt(basic["now"] + 86400)
    val.set_last_seen(later)
    assert val.clock_floor == later
    val.set_last_seen(dt(0))  # never lowers it
    assert val.clock_floor == later
    with pytest.raises(hl.TimeError) as e:
        val.validate(basic["license"])
    assert e.value.name == "clock_rollback"
    with pytest.raises(hl.TimeError, match="clock rollback"):
        val.validate_at(basic["license"], None, basic["now"])
    restored = hl.Validator(roots_of(vectors), last_seen=val.clock_floor)
    with pytest.raises(hl.TimeError, match="clock rollback"):
        restored.validate_at(basic["license"], None, basic["now"])


def test_bad_last_seen_is_invalid_argument(vectors) -> None:
    with pytest.raises(hl.FormatError, match="invalid argument"):
        hl.Validator(roots_of(vectors), last_seen=-5)


def test_revocation_list_applies_to_later_validations(vectors, by_name) -> None:
    v = by_name["revocation/revoked"]
    val = validator_for(vectors, v)
    lic = v["license"]
    assert val.validate_at(lic, facts(v), v["now"]).license_id  # usable before the list
    (rl,) = v["revocation_lists"]
    seq = val.apply_revocation_list_at(lic, rl.encode(), v["now"])
    assert isinstance(seq, int) and seq >= 1
    with pytest.raises(hl.NodeError) as e:
        val.validate_at(lic, facts(v), v["now"])
    assert e.value.name == "revoked" and f"#{seq}" in str(e.value)


def test_documents_of_another_type_are_type_errors(prod_validator, basic) -> None:
    with pytest.raises(TypeError):
        prod_validator.verify_cml(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        prod_validator.apply_revocation_list_at(basic["license"], 5, basic["now"])  # type: ignore[arg-type]


def test_non_ascii_document_bytes_are_rejected_by_core(prod_validator) -> None:
    with pytest.raises(hl.FormatError):
        prod_validator.verify_cml(b"\xff\xfe.\x00.\x01")


def test_one_validator_shared_by_threads(prod_validator, by_name) -> None:
    cases = [by_name[n] for n in ("valid/basic", "valid/all-fingerprint-fields", "time/grace-middle")]
    expected = [prod_validator.validate_at(c["license"], facts(c), c["now"]) for c in cases]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(150):
                c = cases[(i + k) % 3]
                assert prod_validator.validate_at(c["license"], facts(c), c["now"]) == expected[(i + k) % 3]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- packaging -------------------------------------------------------------------------------


def test_package_is_typed_and_versioned() -> None:
    assert resources.files("hwf_license").joinpath("py.typed").is_file()
    def hint(prop: str) -> object:
        return typing.get_type_hints(getattr(hl.Verdict, prop).fget)["return"]

    assert hint("expires_at") is datetime and hint("features") == list[str]
    assert hint("status") is hl.Status and hint("grace_days_left") == typing.Optional[int]
    assert typing.get_type_hints(hl.Validator.validate)["return"] is hl.Verdict
    assert hl.__version__ == hl.CORE_VERSION
    assert set(hl.__all__) <= set(dir(hl))
