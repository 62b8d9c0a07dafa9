"""Every trust-state scenario of testdata/vectors/scenarios.json, replayed as FORMAT.md
("Trust-state scenarios") says: one validator at a time, built from the scenario's settings with a
clock the steps move; each step's outcome compared with its `expect` (every member listed under
`ok`, and for a verdict every member there is, or the error's code and name), exported state bytes
compared with `state_hex`.

Each scenario runs twice: carrying the saved state as bytes (`export_state`/`import_state`) and
as a file (`save_state`/`load_state`), which must behave the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hwf_license as hl

from conftest import load, roots_of, verdict_members

FILE = load("scenarios.json")
SCENARIOS = FILE["scenarios"]


def facts_of(f: dict) -> hl.NodeFacts:
    return hl.NodeFacts(f["addresses"], f["dns_name"], f["deployment_tag"])


def check(what: str, outcome: dict, expect: dict | None, exact: bool = False) -> None:
    """`outcome` is {"ok": {...all members...}} or {"error": {"code", "name"}}. With `exact`
    (verdicts) the members listed must be all the binding's: every verdict member is compared."""
    if expect is None:
        return
    if "error" in expect:
        assert outcome == {"error": {"code": expect["error"]["code"], "name": expect["error"]["name"]}}, what
        return
    assert "ok" in outcome, f"{what}: expected ok, got {outcome}"
    got = outcome["ok"]
    if exact:
        assert set(expect["ok"]) == set(got), f"{what}: members listed"
    for member, want in expect["ok"].items():
        assert member in got, f"{what}: no member {member}"
        assert got[member] == want, f"{what}: member {member}"


def attempt(f, *args) -> dict:
    try:
        return {"ok": f(*args)}
    except hl.LicenseError as e:
        return {"error": {"code": e.code, "name": e.name}}


class Replay:
    """One scenario's host: the clock, the policy as last set, the saved state."""

    def __init__(self, s: dict, state_file: Path | None) -> None:
        self.s = s
        self.clock = s["clock"]
        self.accept = s["accept_other_environment"]
        self.roots = roots_of(FILE, s["roots"])
        self.seed = bytes.fromhex(s["nonce_seed"])
        self.saved: bytes | None = None
        self.state_file = state_file
        self.v = self.build()

    def build(self) -> hl.Validator:
        return hl.Validator(
            self.roots,
            self.s["environment"],
            accept_other_environment=self.accept,
            clock=lambda: self.clock,
            nonce_seed=self.seed,
        )

    def step(self, i: int, st: dict) -> None:
        what = f"{self.s['name']} step {i} ({st['op']})"
        v, op, expect = self.v, st["op"], st.get("expect")
        if op == "set_clock":
            self.clock = st["time"]
        elif op == "validate":
            out = attempt(lambda: verdict_members(v.validate(st["license"], facts_of(st["facts"]))))
            check(what, out, expect, exact=True)
        elif op == "validate_at":
            out = attempt(
                lambda: verdict_members(v.validate_at(st["license"], facts_of(st["facts"]), st["now"]))
            )
            check(what, out, expect, exact=True)
        elif op == "apply_revocation_list":
            out = attempt(lambda: {"seq": v.apply_revocation_list(st["license"], st["list"])})
            check(what, out, expect)
        elif op == "new_nonce":
            check(what, attempt(lambda: {"nonce": v.new_nonce()}), expect)
        elif op == "verify_heartbeat":
            def heartbeat() -> dict:
                h = v.verify_heartbeat(st["license"], st["answer"], st["nonce"])
                return {
                    "status": h.status,
                    "server_time": int(h.server_time.timestamp()),
                    "revocation_seq": h.revocation_seq,
                    "revoked": h.revoked,
                }

            check(what, attempt(heartbeat), expect)
        elif op == "set_accept_other_environment":
            self.accept = st["accept"]
            v.accept_other_environment(self.accept)
        elif op == "expect_floor":
            assert int(v.clock_floor.timestamp()) == st["floor"], what
        elif op == "expect_state_changed":
            assert v.state_changed() is st["changed"], what
        elif op == "export_state":
            if self.state_file is None:
                data = v.export_state()
            else:
                v.save_state(self.state_file)
                data = self.state_file.read_bytes()
            assert isinstance(data, bytes)
            if "state_hex" in st:
                assert data.hex() == st["state_hex"], f"{what}: exported bytes"
            self.saved = data
        elif op == "restart":
            self.v = self.build()
            if st["import"]:
                assert self.saved is not None, f"{what}: nothing saved"
                if self.state_file is None:
                    self.v.import_state(self.saved)
                else:
                    assert self.v.load_state(self.state_file) is True, what
        elif op == "import_state":
            out = attempt(lambda: (v.import_state(bytes.fromhex(st["state_hex"])), {})[1])
            check(what, out, expect)
        else:
            raise AssertionError(f"{what}: unknown op")


@pytest.mark.parametrize("carrier", ["bytes", "file"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict, carrier: str, tmp_path: Path) -> None:
    replay = Replay(scenario, tmp_path / "trust.state" if carrier == "file" else None)
    for i, st in enumerate(scenario["steps"]):
        replay.step(i, st)


def test_scenario_file_is_complete() -> None:
    assert FILE["format"] == "hwf-license-scenarios/1"
    names = [s["name"] for s in SCENARIOS]
    assert len(names) == len(set(names)), "scenario names must be unique"
    assert len(names) >= 12
    ops = {st["op"] for s in SCENARIOS for st in s["steps"]}
    known = {
        "set_clock", "validate", "validate_at", "apply_revocation_list", "new_nonce",
        "verify_heartbeat", "set_accept_other_environment", "expect_floor",
        "expect_state_changed", "export_state", "restart", "import_state",
    }
    assert ops <= known, f"ops this replayer does not know: {ops - known}"
    codes = {st["expect"]["error"]["code"] for s in SCENARIOS for st in s["steps"]
             if "error" in st.get("expect", {})}
    assert {111, 201, 302, 303, 403, 404, 406} <= codes
    verdicts = [st["expect"]["ok"] for s in SCENARIOS for st in s["steps"]
                if st["op"] in ("validate", "validate_at") and "ok" in st.get("expect", {})]
    assert len(verdicts) >= 10
    # A CML with max_offline_days is among them, so the member is compared with a value too.
    assert any(v["max_offline_days"] is not None for v in verdicts)
