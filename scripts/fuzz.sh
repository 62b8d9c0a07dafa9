#!/usr/bin/env bash
# Fuzzes parsing + validation with cargo-fuzz (nightly), seeded from the conformance vectors.
# Usage: scripts/fuzz.sh [SECONDS]   (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
corpus=target/fuzz-corpus/validate
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import json, sys, struct, hashlib, pathlib
out = pathlib.Path(sys.argv[1])
for v in json.load(open("testdata/vectors/vectors.json"))["vectors"]:
    lic = v["license"].encode() if "license" in v else bytes.fromhex(v["license_hex"])
    now = max(min(v["now"], 2**63 - 1), -2**63)
    flags = (1 if v["accept_other_environment"] else 0) | (2 if len(v["name"]) % 3 == 0 else 0)
    data = struct.pack("<q", now) + bytes([flags]) + lic
    if v["revocation_lists"]:
        data += b"\0" + v["revocation_lists"][0].encode()
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
# Trust state bytes from the scenarios, each behind a license that uses it.
for s in json.load(open("testdata/vectors/scenarios.json"))["scenarios"]:
    lic = next((st["license"] for st in s["steps"] if "license" in st), "").encode()
    for st in s["steps"]:
        if "state_hex" in st:
            data = struct.pack("<q", s["clock"]) + bytes([2]) + lic + b"\0\0" + bytes.fromhex(st["state_hex"])
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY
cd core
cargo +nightly fuzz run validate "../$corpus" -- -max_total_time="$seconds" -max_len=70000 -rss_limit_mb=2048 2>&1 | tee ../target/fuzz-validate.log | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|panicked|SUMMARY" || true
grep -E "Done [0-9]+ runs" ../target/fuzz-validate.log
! grep -qE "ERROR|panicked" ../target/fuzz-validate.log
