"""The example script and the snippets of docs/PYTHON.md run as tests, on vector data."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

from conftest import REPO, load

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


def test_example_with_facts_and_time(tmp_path, by_name) -> None:
    v = by_name["valid/all-fingerprint-fields"]
    lic = tmp_path / "site.lic"
    lic.write_text(v["license"])
    f = v["facts"]
    base = [str(lic), "--now", "2026-02-01T00:00:00+00:00"]
    ok = run_example(*base, "--address", f["addresses"][0], "--dns-name", f["dns_name"],
                     "--deployment-tag", f["deployment_tag"])
    assert ok.returncode == 0 and ok.stdout.startswith("valid: "), ok.stdout + ok.stderr
    bad = run_example(*base)  # no node facts: the fingerprint does not match
    assert bad.returncode == 1
    assert re.match(r"not usable: 40[0-2] (address|dns|deployment_tag)_mismatch: ", bad.stdout)


def test_example_reports_an_expired_license(tmp_path, by_name) -> None:
    lic = tmp_path / "site.lic"
    lic.write_text(by_name["valid/basic"]["license"])
    r = run_example(str(lic), "--now", "2027-01-01T00:00:00+00:00")
    assert r.returncode == 1
    assert r.stdout.startswith("not usable: 301 expired: license expired at 1782777600")


def test_example_usage_errors(tmp_path) -> None:
    assert run_example(str(tmp_path / "missing.lic")).returncode == 2
    (tmp_path / "x.lic").write_text("{}")
    assert run_example(str(tmp_path / "x.lic"), "--now", "2026-01-01T00:00:00").returncode == 2


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
