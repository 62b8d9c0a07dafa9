#!/usr/bin/env python3
"""Cached validation from Python: the time of one call, and calls per second with 1, 2 and 4
Python threads sharing one validator. Run by `scripts/test-python.sh --bench` (after the wheel is
installed), or alone:

    .venv/bin/python bindings/python/benches/threads.py [--seconds 2]

Each uniffi call releases the GIL while Rust runs (ctypes.CDLL), but lowering the arguments and
lifting the verdict is Python code that holds it; threads scale only by the share of a call spent
in Rust. `verify_ledger` (five ES256 signature checks per call, nothing cached) is the Rust-heavy
comparison: it scales with the free cores. On a shared machine the figures swing from run to run:
each thread count is measured several times, interleaved, and the best kept.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import timeit
from pathlib import Path
from typing import Callable

import hwf_license as hl
from hwf_license._native import hwf_license_uniffi as native

VECTORS = Path(__file__).resolve().parents[3] / "testdata" / "vectors"


def best_us(f: Callable[[], object], number: int = 20000, repeat: int = 5) -> float:
    return min(timeit.repeat(f, number=number, repeat=repeat)) / number * 1e6


def per_second(f: Callable[[], object], threads: int, seconds: float) -> float:
    counts = [0] * threads
    go = threading.Barrier(threads + 1)
    end = 0.0

    def work(k: int) -> None:
        go.wait()
        n = 0
        while time.perf_counter() < end:
            for _ in range(20):
                f()
            n += 20
        counts[k] = n

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    start = time.perf_counter()
    end = start + seconds
    go.wait()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    p.add_argument("--repeat", type=int, default=5, help="measurements per thread count (best kept)")
    args = p.parse_args()

    vectors = json.loads((VECTORS / "vectors.json").read_text())
    documents = json.loads((VECTORS / "documents.json").read_text())
    roots = [hl.TrustedRoot(k, r["environment"], r["pem"]) for k, r in vectors["roots"].items()]
    v = next(x for x in vectors["vectors"] if x["name"] == "valid/all-fingerprint-fields")
    lic, facts, now = v["license"].encode(), hl.NodeFacts(**v["facts"]), v["now"]

    at = hl.Validator(roots)
    at.validate_at(lic, facts, now)
    py_clock = hl.Validator(roots, clock=lambda: now)
    py_clock.validate(lic, facts)
    rust_clock = hl.Validator(roots)
    y = next(x for x in vectors["vectors"] if x["name"] == "valid/year-9999")
    ylic, yfacts = y["license"].encode(), hl.NodeFacts(**y["facts"])
    rust_clock.validate(ylic, yfacts)
    raw = native.Validator(native.Environment.PROD, [r._native() for r in roots])
    raw_facts = facts._native
    raw.validate_at(lic, raw_facts, now)
    ledger = next(x for x in documents["vectors"] if x["name"] == "ledger/valid")
    docs = hl.Validator(roots)
    docs.verify_ledger(ledger["cml"], ledger["entries"])

    calls: list[tuple[str, Callable[[], object]]] = [
        ("generated module, validate_at", lambda: raw.validate_at(lic, raw_facts, now)),
        ("hwf_license, validate_at", lambda: at.validate_at(lic, facts, now)),
        ("hwf_license, validate (system clock)", lambda: rust_clock.validate(ylic, yfacts)),
        ("hwf_license, validate (Python clock)", lambda: py_clock.validate(lic, facts)),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cores {os.cpu_count()}, load average {load:.2f}")
    print("one cached call, best of 5 x 20,000 (µs):")
    for name, f in calls:
        print(f"  {name:40} {best_us(f):7.1f}")
    print(f"  {'generated module, clock_floor (floor)':40} {best_us(raw.clock_floor):7.1f}")
    print(f"calls/s with 1, 2, 4 threads on one validator (best of {args.repeat} x {args.seconds:g} s):")
    heavy = ("hwf_license, verify_ledger (5 signatures)",
             lambda: docs.verify_ledger(ledger["cml"], ledger["entries"]))
    for name, f in [calls[1], calls[2], heavy]:
        # Interleaved and best of several: the machine is shared, a busy neighbour only slows.
        runs = [[per_second(f, n, args.seconds) for n in (1, 2, 4)] for _ in range(args.repeat)]
        rates = [max(r[i] for r in runs) for i in range(3)]
        cells = "  ".join(f"{r:8.0f} (x{r / rates[0]:.2f})" for r in rates)
        print(f"  {name:40} {cells}")


if __name__ == "__main__":
    main()
