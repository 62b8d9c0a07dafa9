#!/usr/bin/env bash
# Runs the core criterion benchmarks and prints every figure as a ratio against baselines
# measured in the same run (the machine is shared and noisy: absolute times drift, ratios less).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p hwf-license-benches --bench validate -- --warm-up-time 1 --measurement-time "${BENCH_SECONDS:-3}" "$@"
# The figures to trust on a shared machine: cold / one ring verify and cached, as the median of
# interleaved rounds (benches/examples/profile.rs).
cargo run -q --release -p hwf-license-benches --example profile -- ratio "${BENCH_ROUNDS:-15}" | tail -n 2
# The Rust peer (jsonwebtoken 9 on ring) on the vector valid/basic, in the same run.
cargo bench -p hwf-license-benches --bench peers -- --warm-up-time 1 --measurement-time "${BENCH_SECONDS:-3}"
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
def est(group, name):
    p = root / group / name / "new" / "estimates.json"
    return json.loads(p.read_text())["median"]["point_estimate"] if p.exists() else None
f = {k: est(*k.split("/")) for k in ["verify/p256-0.13", "verify/p256-0.14", "verify/ring",
     "validate/cold", "validate/cold-pure", "validate/new-site-cached-cml", "validate/cached", "validate/parse-file-only"]}
def us(x): return "n/a" if x is None else f"{x/1000:.2f} µs"
for k, v in f.items(): print(f"{k:32} {us(v)}")
def r(a, b): return "n/a" if not (f[a] and f[b]) else f"{f[a]/f[b]:.2f}"
print(f"p256 0.13 / ring                 {r('verify/p256-0.13','verify/ring')}")
print(f"p256 0.13 / p256 0.14            {r('verify/p256-0.13','verify/p256-0.14')}")
print(f"cold (native) / one ring verify  {r('validate/cold','verify/ring')}  (two signature checks; target <= 2.3)")
print(f"cold (pure) / one p256 verify    {r('validate/cold-pure','verify/p256-0.13')}  (two signature checks)")
print(f"cold pure / cold native          {r('validate/cold-pure','validate/cold')}")
print(f"new site / one p256 verify       {r('validate/new-site-cached-cml','verify/p256-0.13')}  (one signature check)")
print(f"cached / one p256 verify         {r('validate/cached','verify/p256-0.13')}")
print(f"cached / parse-file-only         {r('validate/cached','validate/parse-file-only')}")
# The hostile corpus against the normal chain, both cold (testdata/hostile/).
idx = json.loads(pathlib.Path("testdata/hostile/index.json").read_text())
base = est("hostile", "valid")
for fl in idx["files"]:
    t = est("hostile", fl["name"])
    if t and base:
        print(f"hostile {fl['name']:28} {us(t):>12}  {t / base:5.2f} x cold")
# The Rust peer: ours / jsonwebtoken on the same vector (targets: cold <= 1.1 x the peer and
# <= 2.3 x one ring verify; cached <= 2.5 us).
p = {k: est("peers", k) for k in ("hwf-license-cold", "hwf-license-cached", "jsonwebtoken-cold", "ring-one-verify")}
if all(p.values()):
    print(f"peers: hwf-license cold {us(p['hwf-license-cold'])}, jsonwebtoken {us(p['jsonwebtoken-cold'])}, "
          f"cached {us(p['hwf-license-cached'])}, one ring verify {us(p['ring-one-verify'])}")
    print(f"cold / jsonwebtoken              {p['hwf-license-cold'] / p['jsonwebtoken-cold']:.2f}  (target <= 1.1)")
    print(f"cold / one ring verify           {p['hwf-license-cold'] / p['ring-one-verify']:.2f}  (target <= 2.3)")
# One iteration of threads/cached-N is one validation on each of N threads sharing a validator.
t = {n: est("threads", f"cached-{n}") for n in (1, 2, 4)}
if all(t.values()):
    rate = {n: n / (t[n] / 1e9) for n in t}
    for n in (1, 2, 4):
        print(f"threads {n}: {rate[n]:,.0f} validations/s  (x{rate[n] / rate[1]:.2f} of 1 thread)")
PY
