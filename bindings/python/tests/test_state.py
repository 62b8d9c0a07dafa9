"""The trust state from Python: what a validator remembers across restarts (clock floor,
revocation lists), the environment policy on cached chains, bad state bytes, the clock and nonce
arguments, the deprecated `now=` arguments, and validations running concurrently on one
validator. Licenses come from vectors.json; signed revocation lists from scenarios.json (found by
content, not by scenario name).
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import hwf_license as hl

from conftest import VECTORS_DIR, load, roots_of

UTC = timezone.utc
DAY = 86400
YEAR_2026 = 1767225600  # 2026-01-01T00:00:00Z, "day 0"
DAY_2, DAY_299 = YEAR_2026 + 2 * DAY, YEAR_2026 + 299 * DAY

VECTORS = load("vectors.json")
SCENARIOS = load("scenarios.json")
BY_NAME = {v["name"]: v for v in VECTORS["vectors"]}


def facts(v: dict) -> hl.NodeFacts:
    return hl.NodeFacts(**v["facts"])


def payload(jws: str) -> dict:
    p = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def revocation_list(seq: int, revokes: bool) -> tuple[str, str]:
    """(license, list): a signed list with sequence `seq` for the license's CML, revoking it or
    not, as some scenario applies it."""
    for s in SCENARIOS["scenarios"]:
        for st in s["steps"]:
            if st["op"] != "apply_revocation_list":
                continue
            p = payload(st["list"])
            site = payload(json.loads(st["license"])["site"])
            if p["seq"] == seq and (site["license_id"] in p["revoked"]) == revokes:
                return st["license"], st["list"]
    raise LookupError(f"scenarios.json has no list #{seq} (revokes={revokes})")


class Clock:
    """A settable clock for validators under test."""

    def __init__(self, t: int) -> None:
        self.t = t

    def __call__(self) -> int:
        return self.t


def validator(clock: Clock | None = None, env: str = "prod", **kw) -> hl.Validator:
    return hl.Validator(roots_of(VECTORS), env, clock=clock, **kw)


def at(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


# --- (a) a clock set back after a restart ---------------------------------------------------


@pytest.mark.parametrize("carrier", ["bytes", "file"])
def test_rollback_is_refused_after_a_restart_with_the_saved_state(carrier, tmp_path) -> None:
    v = BY_NAME["valid/year-9999"]
    path = tmp_path / "trust.state"
    run1 = validator(Clock(DAY_299))
    assert run1.validate(v["license"], facts(v)).site_id == "site-berlin-01"
    assert run1.clock_floor == at(DAY_299) and run1.state_changed()
    if carrier == "bytes":
        saved = run1.export_state()
        assert isinstance(saved, bytes) and saved.startswith(b"hwf-trust-state 1\n")
    else:
        run1.save_state(path)
    assert not run1.state_changed()

    run2 = validator(Clock(DAY_2))
    # Without the state the license looks valid on day 2: the state is what refuses it.
    assert validator(Clock(DAY_2)).validate(v["license"], facts(v)).site_id == "site-berlin-01"
    if carrier == "bytes":
        run2.import_state(saved)
    else:
        assert run2.load_state(path) is True
    assert run2.clock_floor == at(DAY_299)
    with pytest.raises(hl.TimeError) as e:
        run2.validate(v["license"], facts(v))
    assert (e.value.code, e.value.name) == (302, "clock_rollback")
    with pytest.raises(hl.TimeError) as e:
        run2.validate_at(v["license"], facts(v), DAY_2)
    assert e.value.code == 302


# --- (b) a revocation list across a restart --------------------------------------------------


def test_revocation_survives_a_restart_and_an_older_list_is_stale() -> None:
    lic, list5 = revocation_list(5, revokes=True)
    _, list1 = revocation_list(1, revokes=False)
    now = Clock(BY_NAME["valid/basic"]["now"])
    node = facts(BY_NAME["valid/basic"])
    run1 = validator(now)
    assert run1.validate(lic, node).license_id == "site-lic-0001"
    assert run1.apply_revocation_list(lic, list5) == 5
    with pytest.raises(hl.NodeError) as e:
        run1.validate(lic, node)
    assert (e.value.code, e.value.name) == (403, "revoked")
    saved = run1.export_state()

    run2 = validator(now)
    run2.import_state(saved)
    with pytest.raises(hl.NodeError) as e:
        run2.apply_revocation_list(lic, list1)
    assert (e.value.code, e.value.name) == (404, "revocation_list_stale")
    with pytest.raises(hl.NodeError) as e:
        run2.validate(lic, node)
    assert (e.value.code, e.value.name) == (403, "revoked")
    # A fresh validator without the state accepts list #1, and the license.
    fresh = validator(now)
    assert fresh.apply_revocation_list(lic, list1) == 1
    assert fresh.validate(lic, node).license_id == "site-lic-0001"


# --- (c) the environment policy on a cached chain --------------------------------------------


def test_policy_change_applies_to_a_cached_dev_chain() -> None:
    v = BY_NAME["valid/dev-chain-prod-validator-opt-in"]
    val = validator(Clock(v["now"]))
    assert not val.accepts_other_environment
    with pytest.raises(hl.TrustError) as e:
        val.validate(v["license"], facts(v))
    assert e.value.code == 201
    val.accept_other_environment(True)
    assert val.accepts_other_environment
    verdict = val.validate(v["license"], facts(v))
    assert verdict.environment is hl.Environment.DEV
    val.validate(v["license"], facts(v))  # cached now
    val.accept_other_environment(False)
    for call in (lambda: val.validate(v["license"], facts(v)),
                 lambda: val.validate_at(v["license"], facts(v), v["now"])):
        with pytest.raises(hl.TrustError) as e:
            call()
        assert (e.value.code, e.value.name) == (201, "environment_mismatch")
    val.accept_other_environment(True)
    assert val.validate(v["license"], facts(v)) == verdict


# --- bad state bytes -------------------------------------------------------------------------


def rich_validator() -> tuple[hl.Validator, str, hl.NodeFacts]:
    lic, list5 = revocation_list(5, revokes=True)
    val = validator(Clock(BY_NAME["valid/basic"]["now"]))
    val.validate(lic, facts(BY_NAME["valid/basic"]))
    val.apply_revocation_list(lic, list5)
    return val, lic, facts(BY_NAME["valid/basic"])


def test_truncated_or_corrupt_state_is_bad_state_and_changes_nothing(tmp_path) -> None:
    val, lic, node = rich_validator()
    good = val.export_state()
    before = val.export_state()
    floor = val.clock_floor
    bad: list[bytes] = [good[:n] for n in range(len(good))]  # every truncation, "" included
    for i in range(0, len(good), max(1, len(good) // 97)):  # flipped bytes all along
        bad.append(good[:i] + bytes([good[i] ^ 0x01]) + good[i + 1:])
    bad += [b"hwf-trust-state 2" + good[17:], good + b"x", b"\x00" * 64, "é".encode() * 40]
    for data in bad:
        with pytest.raises(hl.FormatError) as e:
            val.import_state(data)
        assert (e.value.code, e.value.name) == (111, "bad_state"), data[:40]
    assert val.export_state() == before and val.clock_floor == floor
    assert not val.state_changed()
    with pytest.raises(hl.NodeError, match="revoked"):
        val.validate(lic, node)
    # The same through a file.
    path = tmp_path / "trust.state"
    path.write_bytes(good[:-10])
    with pytest.raises(hl.FormatError) as e:
        val.load_state(path)
    assert e.value.code == 111
    assert val.export_state() == before
    # Oversized input is too_large, not read as state.
    with pytest.raises(hl.FormatError) as e:
        val.import_state(b"\x00" * (4 * 1024 * 1024 + 1))
    assert (e.value.code, e.value.name) == (101, "too_large")
    assert val.export_state() == before
    # And a fresh validator given only bad bytes stays empty.
    fresh = validator()
    empty = fresh.export_state()
    with pytest.raises(hl.FormatError):
        fresh.import_state(good[: len(good) // 2])
    assert fresh.export_state() == empty and fresh.clock_floor == at(0)


def test_state_of_another_environment_is_bad_state() -> None:
    val, _, _ = rich_validator()
    dev = validator(env="dev")
    with pytest.raises(hl.FormatError) as e:
        dev.import_state(val.export_state())
    assert e.value.code == 111


def test_state_bytes_types() -> None:
    val, _, _ = rich_validator()
    data = val.export_state()
    for form in (bytearray(data), memoryview(data)):
        other = validator()
        other.import_state(form)
        assert other.export_state() == data
    with pytest.raises(TypeError, match="trust state must be bytes"):
        validator().import_state(data.hex())  # type: ignore[arg-type]


# --- the state flag and files ----------------------------------------------------------------


def test_state_changed_tells_when_to_save(tmp_path) -> None:
    v = BY_NAME["valid/year-9999"]
    clock = Clock(DAY_2)
    val = validator(clock)
    assert not val.state_changed()
    val.validate_at(v["license"], facts(v), DAY_299)
    assert not val.state_changed(), "a what-if writes nothing"
    val.validate(v["license"], facts(v))
    assert val.state_changed()
    val.save_state(tmp_path / "s")
    assert not val.state_changed()
    val.validate(v["license"], facts(v))
    assert not val.state_changed(), "same clock: the floor did not move"
    clock.t += 60
    val.validate(v["license"], facts(v))
    assert val.state_changed()
    val.export_state()
    assert not val.state_changed()


def test_save_and_load_state_files(tmp_path) -> None:
    v = BY_NAME["valid/year-9999"]
    val = validator(Clock(DAY_299))
    val.validate(v["license"], facts(v))
    path = tmp_path / "state" / "trust.state"
    path.parent.mkdir()
    val.save_state(path)
    assert path.read_bytes() == val.export_state()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["trust.state"], "no temporary file left"
    for form in (path, str(path), os.fsencode(path)):
        other = validator(Clock(DAY_2))
        assert other.load_state(form) is True
        assert other.clock_floor == at(DAY_299)
    assert validator().load_state(tmp_path / "missing") is False


def test_state_file_os_errors_are_oserrors(tmp_path) -> None:
    val = validator(Clock(DAY_2))
    with pytest.raises(FileNotFoundError) as e:
        val.save_state(tmp_path / "no-such-dir" / "trust.state")
    assert e.value.errno == 2 and e.value.filename == str(tmp_path / "no-such-dir" / "trust.state")
    assert not isinstance(e.value, hl.LicenseError)
    with pytest.raises(IsADirectoryError):
        val.load_state(tmp_path)
    if os.name == "posix" and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.write_bytes(b"x")
        locked.chmod(0)
        with pytest.raises(PermissionError):
            val.load_state(locked)


# --- clock and nonce seed --------------------------------------------------------------------


def test_clock_forms_int_float_datetime_and_object() -> None:
    v = BY_NAME["valid/year-9999"]

    class Obj:
        def now(self) -> int:
            return DAY_2

    for clock in (lambda: DAY_2, lambda: DAY_2 + 0.75, lambda: at(DAY_2), Obj()):
        val = validator(clock)  # type: ignore[arg-type]
        val.validate(v["license"], facts(v))
        assert val.clock_floor == at(DAY_2)
    val = validator(time.time)  # the system clock, read in Python
    val.validate(v["license"], facts(v))
    assert abs(val.clock_floor.timestamp() - time.time()) < 5


def test_a_failing_clock_raises_its_own_exception() -> None:
    v = BY_NAME["valid/year-9999"]

    class Broken(Exception):
        pass

    def broken() -> int:
        raise Broken("ntp down")

    val = validator(broken)
    with pytest.raises(Broken, match="ntp down"):
        val.validate(v["license"], facts(v))
    lic, list5 = revocation_list(5, revokes=True)
    with pytest.raises(Broken):
        val.apply_revocation_list(lic, list5)
    # The what-if calls do not read it, and the validator is still usable.
    assert val.validate_at(v["license"], facts(v), DAY_2).site_id == "site-berlin-01"
    assert val.apply_revocation_list_at(lic, list5, DAY_299) == 5
    for bad in (lambda: "now", lambda: None, lambda: datetime(2026, 1, 3)):
        with pytest.raises((TypeError, ValueError)):
            validator(bad).validate(v["license"], facts(v))  # type: ignore[arg-type]
    # Out of range values are core's invalid_argument.
    for t in (-1, 2**70, float("nan"), 253402300800):
        with pytest.raises(hl.FormatError) as e:
            validator(lambda t=t: t).validate(v["license"], facts(v))
        assert e.value.code == 110
    with pytest.raises(TypeError, match="clock must be a callable"):
        validator(42)  # type: ignore[arg-type]


def first_nonce() -> tuple[bytes, str]:
    """(seed, nonce): the first nonce a validator built with a scenario's seed hands out."""
    for s in SCENARIOS["scenarios"]:
        fresh = True
        for st in s["steps"]:
            if st["op"] == "restart":
                fresh = True
            elif st["op"] == "new_nonce":
                if fresh and "ok" in st.get("expect", {}):
                    return bytes.fromhex(s["nonce_seed"]), st["expect"]["ok"]["nonce"]
                fresh = False
    raise LookupError("no scenario asks a fresh validator for a nonce")


def test_nonce_seed_fixes_nonces_and_must_be_32_bytes() -> None:
    seed, want = first_nonce()
    a = validator(nonce_seed=seed)
    b = validator(nonce_seed=bytearray(seed))
    first = a.new_nonce()
    assert first == b.new_nonce() == want
    assert a.new_nonce() != first
    assert validator().new_nonce() != validator().new_nonce()
    for bad in (b"", seed[:31], seed + b"\x00"):
        with pytest.raises(hl.FormatError) as e:
            validator(nonce_seed=bad)
        assert (e.value.code, e.value.name) == (110, "invalid_argument")
        assert "32 bytes" in str(e.value)
    with pytest.raises(TypeError):
        validator(nonce_seed=seed.hex())  # type: ignore[arg-type]


# --- deprecated now= -------------------------------------------------------------------------


def test_validate_with_now_is_a_deprecated_what_if() -> None:
    v = BY_NAME["valid/basic"]
    val = validator(Clock(DAY_2))
    with pytest.warns(DeprecationWarning, match="validate_at"):
        verdict = val.validate(v["license"], facts(v), v["now"])
    assert verdict == val.validate_at(v["license"], facts(v), v["now"])
    assert val.clock_floor == at(0) and not val.state_changed(), "now= writes nothing"
    with pytest.warns(DeprecationWarning):
        val.validate(v["license"], facts(v), at(v["now"]))
    lic, list5 = revocation_list(5, revokes=True)
    with pytest.warns(DeprecationWarning, match="apply_revocation_list_at"):
        assert val.apply_revocation_list(lic, list5, v["now"]) == 5
    with pytest.raises(TypeError):
        val.validate_at(v["license"], facts(v), None)  # type: ignore[arg-type]


def test_verify_heartbeat_with_now_is_deprecated(documents) -> None:
    hb = next(d for d in documents["vectors"] if d["operation"] == "verify_heartbeat"
              and "ok" in d["expect"])
    val = hl.Validator(roots_of(documents), "prod")
    with pytest.warns(DeprecationWarning, match="verify_heartbeat_at"):
        info = val.verify_heartbeat(hb["license"], hb["answer"], hb["nonce"], hb["now"])
    assert info.revocation_seq == hb["expect"]["ok"]["revocation_seq"]


# --- threads ---------------------------------------------------------------------------------


def test_validations_run_concurrently_inside_the_library() -> None:
    """Two threads are inside validate() at the same time: each one's clock (called from Rust,
    inside the call) waits for the other at a barrier. With calls serialised by a lock the
    barrier would time out."""
    v = BY_NAME["valid/year-9999"]
    barrier = threading.Barrier(2, timeout=10)

    def clock() -> int:
        barrier.wait()
        return DAY_2

    val = validator(clock)
    results: list[object] = []

    def work() -> None:
        try:
            results.append(val.validate(v["license"], facts(v)).site_id)
        except BaseException as e:  # noqa: BLE001 - reported below
            results.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["site-berlin-01"] * 2


def test_threads_share_one_validator_while_its_state_and_policy_change() -> None:
    cases = [BY_NAME[n] for n in ("valid/basic", "valid/all-fingerprint-fields", "valid/year-9999")]
    dev = BY_NAME["valid/dev-chain-prod-validator-opt-in"]
    clock = Clock(BY_NAME["valid/basic"]["now"])
    val = validator(clock)
    expected = [val.validate(c["license"], facts(c)) for c in cases]
    errors: list[BaseException] = []
    stop = threading.Event()

    def validate(k: int) -> None:
        try:
            for i in range(300):
                c = cases[(i + k) % 3]
                assert val.validate(c["license"], facts(c)) == expected[(i + k) % 3]
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def churn() -> None:
        try:
            while not stop.is_set():
                val.accept_other_environment(True)
                val.validate(dev["license"], facts(dev))
                val.accept_other_environment(False)
                val.import_state(val.export_state())
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    workers = [threading.Thread(target=validate, args=(k,)) for k in range(4)]
    side = threading.Thread(target=churn)
    side.start()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    side.join()
    assert errors == []
    assert val.clock_floor == at(clock.t)


GIL_PROBE = r"""
import json, sys, threading, time
import hwf_license as hl
F = json.load(open(sys.argv[1]))
v = next(x for x in F["vectors"] if x["name"] == "valid/year-9999")
roots = [hl.TrustedRoot(k, r["environment"], r["pem"]) for k, r in F["roots"].items()]
release, inside = threading.Event(), threading.Event()
def clock():
    inside.set()
    release.wait()
    return 1767398400
val = hl.Validator(roots, clock=clock)
a = threading.Thread(target=val.validate, args=(v["license"], hl.NodeFacts(**v["facts"])))
a.start()
inside.wait()
# B waits inside Rust for the write lock that A's read lock holds. Were the GIL kept during
# B's native call, this thread could never set `release`: a deadlock.
b = threading.Thread(target=val.accept_other_environment, args=(True,))
b.start()
time.sleep(0.2)
assert b.is_alive(), "the policy setter did not wait for the validation in flight"
release.set()
a.join(); b.join()
assert val.accepts_other_environment
print("ok")
"""


def test_a_call_blocked_inside_the_library_releases_the_gil() -> None:
    """uniffi's Python runtime calls Rust through ctypes.CDLL, which releases the GIL for the
    call: a thread waiting inside the library (here for the policy setter's write lock, behind a
    validation in flight) does not stop the other Python threads. Run in a subprocess: were the
    GIL kept, it would deadlock rather than fail."""
    r = subprocess.run(
        [sys.executable, "-c", GIL_PROBE, str(VECTORS_DIR / "vectors.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr


def test_new_calls_are_typed() -> None:
    import typing

    hints = {name: typing.get_type_hints(getattr(hl.Validator, name))
             for name in ("validate_at", "export_state", "import_state", "state_changed",
                          "save_state", "load_state", "new_nonce", "accept_other_environment",
                          "apply_revocation_list_at", "verify_heartbeat_at", "__init__")}
    assert hints["validate_at"]["return"] is hl.Verdict
    assert hints["export_state"]["return"] is bytes
    assert hints["state_changed"]["return"] is bool and hints["load_state"]["return"] is bool
    assert hints["new_nonce"]["return"] is str
    assert hints["apply_revocation_list_at"]["return"] is int
    assert hints["verify_heartbeat_at"]["return"] is hl.HeartbeatInfo
    assert hints["import_state"]["state"] == hl.StateBytes
    assert hints["save_state"]["path"] == hl.StatePath
    assert hints["__init__"]["clock"] == typing.Optional[hl.Clock]
