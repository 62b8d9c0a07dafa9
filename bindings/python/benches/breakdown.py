"""Where a validation's time goes from Python: the pieces of uniffi's generated runtime timed one
by one (timeit, best of 7 samples), on the vector `valid/basic`. The figures behind the design
notes of docs/PYTHON.md ("Why a cached validation is fast").

    python bindings/python/benches/breakdown.py
"""

from __future__ import annotations

import json
import os
import timeit
from pathlib import Path

import hwf_license as hl
from hwf_license._native import hwf_license_uniffi as n

REPO = Path(os.environ.get("HWF_REPO", Path(__file__).resolve().parents[3]))


def main() -> None:
    file = json.loads((REPO / "testdata/vectors/vectors.json").read_text(encoding="utf-8"))
    v = next(v for v in file["vectors"] if v["name"] == "valid/basic")
    roots = [hl.TrustedRoot(k, file["roots"][k]["environment"], file["roots"][k]["pem"])
             for k in v["roots"]]
    lic, facts, now = v["license"].encode(), hl.NodeFacts(**v["facts"]), v["now"]
    val = hl.Validator(roots)
    val.validate_at(lic, facts, now)
    nv, nf = val._native, facts._native
    known = val._kept[lic][0]
    record = nv.validate_at(lic, nf, now)
    handle = nv.kept_verdict_object(known)

    def t(label: str, fn, number: int = 20000) -> None:
        best = min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6
        print(f"{label:62} {best:7.2f} µs")

    print("one FFI round trip and its parts")
    t("clock_floor() (no argument, an i64 back)", nv.clock_floor)
    t("a handle clone (every object argument and self)", nv._uniffi_clone_handle)
    t("lowering an Option None (a RustBuffer)", lambda: n._UniffiFfiConverterOptionalInt64.lower(None))
    t("lowering an enum (a RustBuffer)", lambda: n._UniffiFfiConverterTypeEnvironment.lower(n.Environment.PROD))
    t("lowering the license bytes (zero copy)", lambda: n._UniffiFfiConverterByRefBytes.lower(lic))
    print("a cached validation")
    t("validate_at -> full Verdict record (before)", lambda: nv.validate_at(lic, nf, now))
    t("validate_at_kept -> u64 id", lambda: nv.validate_at_kept(lic, nf, now, known))
    t("kept_verdict(id) -> full record (the record's parse)", lambda: nv.kept_verdict(known))
    t("kept_verdict_object(id) -> KeptVerdict handle", lambda: nv.kept_verdict_object(known))
    t("KeptVerdict.in_grace()", handle.in_grace)
    t("KeptVerdict.has_feature(name)", lambda: handle.has_feature("analytics"))
    t("has_feature(features, name) (the list lowered)", lambda: n.has_feature(record.features, "analytics"))
    t("hwf_license validate_at (kept conversion)", lambda: val.validate_at(lic, facts, now))
    t("hwf_license validate_at + status + has_feature", lambda: (
        lambda r: (r.status, r.has_feature("analytics")))(val.validate_at(lic, facts, now)))
    print("a cold validation")
    t("hwf_license Validator(roots) (settings reused)", lambda: hl.Validator(roots), 2000)
    t("ValidatorSettings(...) (two root PEMs parsed)", lambda: n.ValidatorSettings(
        n.Environment.PROD, [r._native() for r in roots], False, None), 2000)
    t("hwf_license Validator(roots).validate_at(...)",
      lambda: hl.Validator(roots).validate_at(lic, facts, now), 500)


if __name__ == "__main__":
    main()
