"""The example script and the snippets of docs/PYTHON.md run as tests, on vector data."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import hwf_license as hl

from conftest import REPO, load, roots_of

EXAMPLE = REPO / "examples" / "python" / "validate_license.py"
DOC = REPO / "docs" / "PYTHON.md"


def vector(file: dict, name: str) -> dict:
    return next(v for v in file["vectors"] if v["name"] == name)


def run_example(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=60
    )


def test_example_prints_a_usable_verdict(tmp_path, by_name) -> None:
    lic = tmp_path / "site.lic"
    lic.write_text(by_name["valid/year-9999"]["license"])
    r = run_example(str(lic))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("valid: site site-berlin-01 of acme (site-lic-0001)\n")
    assert "features:     analytics, reports" in r.stdout
    assert "9999-12-31 23:59:59 UTC" in r.stdout
    assert "  CML:          cml-acme-2026, valid until 9999-12-31, up to 25 sites, packs " in r.stdout
    assert "packs analytics, boost, reports\n  bound to:     (any node)\n" in r.stdout


def test_example_with_facts_and_time(tmp_path, by_name) -> None:
    v = by_name["valid/all-fingerprint-fields"]
    lic = tmp_path / "site.lic"
    lic.write_text(v["license"])
    f = v["facts"]
    base = [str(lic), "--clock", "2026-02-01T00:00:00+00:00"]
    ok = run_example(*base, "--address", f["addresses"][0], "--dns-name", f["dns_name"],
                     "--deployment-tag", f["deployment_tag"])
    assert ok.returncode == 0 and ok.stdout.startswith("valid: "), ok.stdout + ok.stderr
    bad = run_example(*base)  # no node facts: the fingerprint does not match
    assert bad.returncode == 1
    assert re.match(r"not usable: 40[0-2] (address|dns|deployment_tag)_mismatch: ", bad.stdout)


def test_example_reports_an_expired_license(tmp_path, by_name) -> None:
    lic = tmp_path / "site.lic"
    lic.write_text(by_name["valid/basic"]["license"])
    r = run_example(str(lic), "--clock", "2027-01-01T00:00:00+00:00")
    assert r.returncode == 1
    assert r.stdout.startswith("not usable: 301 expired: license expired at 1782777600")


def test_example_usage_errors(tmp_path) -> None:
    assert run_example(str(tmp_path / "missing.lic")).returncode == 2
    (tmp_path / "x.lic").write_text("{}")
    assert run_example(str(tmp_path / "x.lic"), "--clock", "2026-01-01T00:00:00").returncode == 2


NODE = ["--address", "10.20.30.40", "--dns-name", "node1.berlin.acme.example",
        "--deployment-tag", "blue"]


def test_example_keeps_the_trust_state_and_refuses_a_clock_set_back(tmp_path, by_name) -> None:
    lic = tmp_path / "site.lic"
    lic.write_text(by_name["valid/year-9999"]["license"])
    state = tmp_path / "trust.state"
    run1 = run_example(str(lic), "--state", str(state), "--clock", "2026-10-27T00:00:00+00:00", *NODE)
    assert run1.returncode == 0, run1.stdout + run1.stderr
    assert run1.stdout.splitlines()[0] == f"trust state: none at {state} yet (first run)"
    assert run1.stdout.splitlines()[1].startswith("valid: site site-berlin-01")
    assert run1.stdout.endswith(f"trust state: saved {state} (clock floor 2026-10-27 00:00:00 UTC)\n")
    saved = state.read_bytes()
    # Run 2 with the same clock: nothing new learnt, nothing saved.
    same = run_example(str(lic), "--state", str(state), "--clock", "2026-10-27T00:00:00+00:00", *NODE)
    assert same.returncode == 0 and "saved" not in same.stdout and state.read_bytes() == saved
    # Run 3 with the clock set back to 2026-01-03: refused, though the license is valid then.
    run2 = run_example(str(lic), "--state", str(state), "--clock", "2026-01-03T00:00:00+00:00", *NODE)
    assert run2.returncode == 1
    assert run2.stdout.splitlines() == [
        f"trust state: loaded {state} (clock floor 2026-10-27 00:00:00 UTC)",
        "not usable: 302 clock_rollback: clock rollback: now (1767398400) is before the trusted "
        "time 1793059200 by more than 300 s",
    ]
    # Without the state file the same run is accepted: the file is what remembers.
    assert run_example(str(lic), "--clock", "2026-01-03T00:00:00+00:00", *NODE).returncode == 0


def test_example_refuses_a_corrupt_state_file(tmp_path, by_name) -> None:
    lic = tmp_path / "site.lic"
    lic.write_text(by_name["valid/year-9999"]["license"])
    state = tmp_path / "trust.state"
    state.write_bytes(b"hwf-trust-state 1\n" + b"0" * 64 + b"\n{}")
    r = run_example(str(lic), "--state", str(state), *NODE)
    assert r.returncode == 1
    assert r.stdout.startswith("trust state not usable: 111 bad_state: ")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_doc_snippets_run_and_print_what_the_doc_shows(tmp_path, monkeypatch, vectors) -> None:
    docs = load("documents.json")
    manifest = vector(docs, "manifest/valid")
    (tmp_path / "root.pem").write_text(vectors["roots"]["root-prod-1"]["pem"])
    (tmp_path / "site.lic").write_text(vector(vectors, "valid/year-9999")["license"])
    (tmp_path / "cml.jws").write_text(manifest["cml"] + "\n")
    (tmp_path / "manifest.jws").write_text(manifest["document"] + "\n")
    (tmp_path / "ledger.txt").write_text("\n".join(vector(docs, "ledger/valid")["entries"]) + "\n")
    monkeypatch.chdir(tmp_path)
    code, expected = blocks("python"), blocks("text")
    assert len(code) == len(expected) == 2
    namespace: dict = {}
    for snippet, want in zip(code, expected):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(snippet, str(DOC), "exec"), namespace)  # noqa: S102 - our own doc
        assert out.getvalue() == want
    # The first snippet saved what it learnt; a second validator starting from it knows the floor.
    restored = hl.Validator(roots_of(vectors))
    assert restored.load_state(tmp_path / "trust.state") is True
    assert restored.clock_floor == namespace["validator"].clock_floor
