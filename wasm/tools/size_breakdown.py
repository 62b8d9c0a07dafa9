#!/usr/bin/env python3
"""Size breakdown of a .wasm by crate, from `twiggy top --format csv` of a build with names.

Usage: twiggy top -n 100000 --format csv FILE.wasm | wasm/tools/size_breakdown.py [N]

Each function is attributed to the first crate named in its (demangled) path (for a trait impl,
the implementing type's crate); Rust's own core/alloc/std are grouped by module (core::fmt,
core::num, ...). After wasm-opt, functions inlined into an exported shim count for the shim ("wasm-bindgen
exports"): run it on the wasm-bindgen output before wasm-opt for a truer split by crate.
"""
import collections
import csv
import re
import sys


def owner(name: str):
    if "function names" in name:
        return None  # the name section itself is stripped from the shipped file
    if name.startswith("data segment") or name.startswith("data["):
        return "[data: strings, tables, constants]"
    if name.startswith("code["):
        return "[unnamed code]"
    if "externref shim" in name or name.startswith("__wbg") or "wasm_bindgen" in name or "js_sys" in name:
        return "wasm-bindgen exports and glue"
    if "dlmalloc" in name:
        return "dlmalloc (allocator)"
    comps = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
    if not comps:
        return f"[other] {name[:40]}"
    if comps[0] in ("core", "alloc", "std"):
        return f"rust {comps[0]}::{comps[1]}" if len(comps) > 1 else f"rust {comps[0]}"
    return comps[0]


def main() -> None:
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    sizes = collections.Counter()
    counts = collections.Counter()
    for row in csv.DictReader(sys.stdin):
        who = owner(row["Name"])
        if who is None:
            continue
        sizes[who] += int(row["ShallowSize"])
        counts[who] += 1
    total = sum(sizes.values())
    print(f"{'bytes':>8} {'share':>6} {'items':>5}  owner")
    for who, size in sizes.most_common(top):
        print(f"{size:8d} {100 * size / total:5.1f}% {counts[who]:5d}  {who}")
    rest = total - sum(s for _, s in sizes.most_common(top))
    print(f"{rest:8d} {100 * rest / total:5.1f}%        (the rest)")
    print(f"{total:8d} 100.0%        total (names section excluded)")


if __name__ == "__main__":
    main()
