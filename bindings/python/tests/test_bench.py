"""Benchmark of a cached validation from Python, the same call as the Rust criterion bench
`python-binding/core-cached` (bindings/uniffi/benches/validate.rs): license bytes, facts and time
of the vector `valid/all-fingerprint-fields`, on a validator that has already verified it
(`validate_at`, the what-if at that time; and `validate` at a Python clock reading it).

`scripts/test-python.sh --bench` runs both and prints Python/Rust ratios. In the normal test run
(`--benchmark-disable`) each benchmark body runs once and its result is still checked.
"""

from __future__ import annotations

import pytest

import hwf_license as hl
from hwf_license._native import hwf_license_uniffi as native

from conftest import roots_of

VECTOR = "valid/all-fingerprint-fields"


@pytest.fixture(scope="module")
def case(vectors, by_name) -> dict:
    v = by_name[VECTOR]
    return {
        "vector": v,
        "license": v["license"].encode("utf-8"),
        "facts": hl.NodeFacts(**v["facts"]),
        "now": v["now"],
        "roots": roots_of(vectors),
    }


def test_bench_python_validate_cached(benchmark, case) -> None:
    """The public API: bytes in, typed Verdict (datetimes, enums) out."""
    validator = hl.Validator(case["roots"])
    expected = validator.validate_at(case["license"], case["facts"], case["now"])
    benchmark.group = "validate-cached"
    got = benchmark(validator.validate_at, case["license"], case["facts"], case["now"])
    assert got == expected and got.site_id == case["vector"]["expect"]["ok"]["site_id"]


def test_bench_uniffi_validate_cached(benchmark, case) -> None:
    """The generated uniffi layer alone, the whole verdict record parsed on every call (what the
    API did before it reused the conversion of an unchanged verdict)."""
    roots = [r._native() for r in case["roots"]]
    validator = native.Validator(native.Environment.PROD, roots, False, None)
    facts = case["facts"]._native
    validator.validate_at(case["license"], facts, case["now"])
    benchmark.group = "validate-cached"
    got = benchmark(validator.validate_at, case["license"], facts, case["now"])
    assert got.license_id == case["vector"]["expect"]["ok"]["license_id"]


def test_bench_python_validate_at_clock(benchmark, case) -> None:
    """validate() at a Python clock (a callback from Rust into Python per call) that raises the
    floor: what a host calls in production."""
    now = case["now"]
    validator = hl.Validator(case["roots"], clock=lambda: now)
    expected = validator.validate(case["license"], case["facts"])
    benchmark.group = "validate-cached"
    got = benchmark(validator.validate, case["license"], case["facts"])
    assert got == expected
