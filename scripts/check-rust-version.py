#!/usr/bin/env python3
"""rust-version true: for each workspace member, the highest `rust-version` declared by any
package in its locked dependency closure (normal, build and dev dependencies, every platform:
`cargo metadata --format-version 1 --locked`) must not exceed the member's own `rust-version`.

  python3 scripts/check-rust-version.py [METADATA.json]   (default: runs cargo metadata)

Prints one line per member (declared, needed, by which package); exits 1 if any member declares
less than it needs, or declares none.
"""
import json
import subprocess
import sys


def key(v):
    return tuple(int(x) for x in v.split("."))


def norm(v):
    """1.85 and 1.85.0 compare equal."""
    k = list(key(v)) + [0, 0]
    return tuple(k[:3])


def main():
    if len(sys.argv) > 1:
        meta = json.load(open(sys.argv[1]))
    else:
        out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--locked"],
                             check=True, capture_output=True, text=True).stdout
        meta = json.loads(out)
    packages = {p["id"]: p for p in meta["packages"]}
    deps = {n["id"]: [d["pkg"] for d in n["deps"]] for n in meta["resolve"]["nodes"]}
    bad = 0
    for member in sorted(meta["workspace_members"], key=lambda i: packages[i]["name"]):
        pkg = packages[member]
        declared = pkg.get("rust_version")
        seen, todo = set(), [member]
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            todo.extend(deps.get(i, []))
        seen.discard(member)
        needs = [(norm(packages[i]["rust_version"]), packages[i]) for i in seen
                 if packages[i].get("rust_version")]
        top = max(needs, key=lambda t: t[0]) if needs else None
        need_s = f"{top[1]['rust_version']} ({top[1]['name']} {top[1]['version']})" if top else "none"
        if declared is None:
            print(f"FAIL {pkg['name']}: declares no rust-version; its graph needs {need_s}")
            bad += 1
        elif top and top[0] > norm(declared):
            print(f"FAIL {pkg['name']}: declares rust-version {declared}, its locked graph needs {need_s}")
            bad += 1
        else:
            print(f"ok   {pkg['name']}: declares {declared}, its locked graph needs {need_s}"
                  f" ({len(seen)} packages)")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
