#!/usr/bin/env bash
# The server's layers point one way: domain <- store <- service <- http <- app <- cli/demo, with
# config beside domain, and tls (rustls settings) on config, used by service, app, cli and demo
# (docs/SERVER.md, "Architecture"). Fails on:
#   - an import cycle between the server's modules, top-level or one level down
#     (../shared/tools/rust_mod_cycles.py, the tool CI has beside the clone);
#   - SQL (sqlx::query, .execute, …) in any file outside server/src/store/ (the same tool);
#   - an import that points up or sideways: a `crate::X` path in layer A to a layer X that A may
#     not use (the table below);
#   - the environment read anywhere but server/src/config.rs (configuration is parsed once).
# Run by scripts/test-server.sh; takes a second.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

tool="$REPO/../shared/tools/rust_mod_cycles.py"
[ -f "$tool" ] || die "$tool not found (shared/ is expected beside the repository)"
src=server/src

log "module cycles and SQL outside store/ (top-level modules)"
python3 "$tool" "$src" --sql-only-under store | sed 's/^/   /' >&2 || die "cycle or SQL outside store/ (above)"
log "module cycles (modules one level down, e.g. service::hub <-> service::root)"
python3 "$tool" "$src" --depth 2 --sql-only-under store | sed 's/^/   /' >&2 || die "cycle (above)"

log "imports point down only"
python3 - "$src" <<'PY'
import pathlib, re, sys

src = pathlib.Path(sys.argv[1])
# layer -> the layers it may import (core and external crates are always allowed)
allowed = {
    "domain": set(),
    "config": {"domain"},
    "store": {"domain"},
    "tls": {"config"},
    "service": {"store", "domain", "config", "tls"},
    "http": {"service", "domain", "config"},
    "app": {"http", "service", "config", "domain", "tls"},
    "demo": {"app", "http", "service", "store", "config", "domain", "tls"},
    "cli": {"app", "demo", "http", "service", "store", "config", "domain", "tls"},
}
bad = []
for f in sorted(src.rglob("*.rs")):
    rel = f.relative_to(src)
    layer = rel.with_suffix("").parts[0]
    if layer in ("lib", "main"):
        text = f.read_text()
        if layer == "lib" and re.search(r"^\s*(pub\s+)?(fn|struct|enum|impl|use)\b", text, re.M):
            bad.append(f"{rel}: lib.rs only declares the modules")
        continue
    if layer not in allowed:
        bad.append(f"{rel}: module {layer!r} is in no layer (add it to the table in this script and docs/SERVER.md)")
        continue
    text = f.read_text()
    for n, line in enumerate(text.splitlines(), 1):
        for target in re.findall(r"crate::([a-z_][a-z0-9_]*)", line):
            if target != layer and target in allowed and target not in allowed[layer]:
                bad.append(f"{rel}:{n}: {layer} may not import {target}: {line.strip()}")
        for grp in re.findall(r"use crate::\{([^}]*)\}", line):
            for item in grp.split(","):
                target = item.strip().split("::")[0]
                if target != layer and target in allowed and target not in allowed[layer]:
                    bad.append(f"{rel}:{n}: {layer} may not import {target}: {line.strip()}")
        if re.search(r"\benv::var(_os)?\s*\(", line) and layer != "config":
            if '"USER"' not in line:
                bad.append(f"{rel}:{n}: only config.rs reads the environment: {line.strip()}")
# Cycles between modules one level down, with `super::` and `self::` paths resolved too (the
# shared tool reads `crate::` paths only): e.g. http::handlers <-> http::openapi.
def module_of(rel):
    parts = [p for p in rel.with_suffix("").parts if p != "mod"]
    return parts
edges = {}
for f in src.rglob("*.rs"):
    rel = f.relative_to(src)
    if rel.with_suffix("").parts[0] in ("lib", "main"):
        continue
    mod = module_of(rel)
    here = "::".join(mod[:2])
    text = f.read_text()
    cut = re.search(r"\n#\[cfg\(test\)\]\s*\nmod ", text)
    if cut:
        text = text[: cut.start()]
    # a file's own module for `super::`: mod.rs is its folder's module, x.rs is x
    is_mod_rs = rel.name == "mod.rs"
    for kind, path in re.findall(r"\b(crate|super|self)::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)", text):
        if kind == "crate":
            target = path.split("::")
        elif kind == "self":
            target = mod + path.split("::")
        else:
            target = mod[:-1] + path.split("::")
        key = "::".join(target[:2])
        exists = (src / key.replace("::", "/")).is_dir() or (src / (key.replace("::", "/") + ".rs")).exists()
        if key != here and exists:
            edges.setdefault(here, set()).add(key)
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        strong(v)
for c in sccs:
    bad.append("cycle (super:: paths included): " + " <-> ".join(c))
for b in bad:
    print("   " + b, file=sys.stderr)
if bad:
    sys.exit(1)
print("   %d files, every import points down, no cycle one level down with super:: paths"
      % len(list(src.rglob("*.rs"))), file=sys.stderr)
PY
