// The documentation works: every Node block of wasm/README.md and docs/WASM.md runs against the
// installed package (by its npm name, through package.json "exports") and prints what it should,
// and the TypeScript declarations type-check the documented usage (tests/types/*.ts) with tsc.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { REPO, loadJson } from "./support.mjs";
import { docSnippets } from "./snippets.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TSC = process.env.TSC ?? path.join(REPO, ".tools/node/node_modules/.bin/tsc");
const vectors = loadJson("vectors.json");
const documents = loadJson("documents.json");
const byName = (list, name) => list.find((v) => v.name === name) ?? assert.fail(`no vector ${name}`);

/** A folder like a user's project: the package in node_modules, and the documented files. */
function project(license, now) {
  const dir = mkdtempSync(path.join(tmpdir(), "hwf-docs-"));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(path.join(REPO, "wasm/pkg"), path.join(dir, "node_modules/hwf-license-wasm"), "dir");
  const root = vectors.roots["root-prod-1"];
  const manifest = byName(documents.vectors, "manifest/valid");
  const ledger = byName(documents.vectors, "ledger/valid");
  writeFileSync(path.join(dir, "root.pem"), root.pem);
  writeFileSync(path.join(dir, "root.jwk.json"), JSON.stringify(root.jwk));
  writeFileSync(path.join(dir, "site.lic"), license);
  writeFileSync(path.join(dir, "cml.jws"), `${manifest.cml}\n`);
  writeFileSync(path.join(dir, "manifest.jws"), `${manifest.document}\n`);
  writeFileSync(path.join(dir, "ledger.txt"), `${ledger.entries.join("\n")}\n`);
  assert.equal(ledger.cml, manifest.cml);
  writeFileSync(path.join(dir, "clock.mjs"), `Date.now = () => ${now * 1000};\n`);
  return dir;
}

const snippets = docSnippets("node");

test("the docs have Node blocks to run", () => {
  assert.ok(snippets.length >= 3, `only ${snippets.length}`);
});

for (const snippet of snippets) {
  for (const name of ["valid", "tampered"]) {
    test(`${snippet.where} (${name} site.lic)`, () => {
      const lic = byName(vectors.vectors, name === "valid" ? "valid/basic" : "chain/site-payload-edited");
      const dir = project(lic.license, lic.now);
      try {
        writeFileSync(path.join(dir, "snippet.mjs"), snippet.code);
        const run = spawnSync(process.execPath, ["--import", "./clock.mjs", "snippet.mjs"], { cwd: dir, encoding: "utf8" });
        assert.equal(run.stderr, "", run.stderr);
        assert.equal(run.status, 0);
        assert.equal(run.stdout.trim(), snippet.expect[name]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

for (const snippet of snippets.filter((x) => x.expect.rollback !== undefined)) {
  test(`${snippet.where} keeps the trust state: a second run with the clock set back`, () => {
    const lic = byName(vectors.vectors, "valid/basic");
    const dir = project(lic.license, lic.now);
    const run = () => {
      const r = spawnSync(process.execPath, ["--import", "./clock.mjs", "snippet.mjs"], { cwd: dir, encoding: "utf8" });
      assert.equal(r.stderr, "", r.stderr);
      assert.equal(r.status, 0);
      return r.stdout.trim();
    };
    try {
      writeFileSync(path.join(dir, "snippet.mjs"), snippet.code);
      assert.equal(run(), snippet.expect.valid);
      writeFileSync(path.join(dir, "clock.mjs"), `Date.now = () => ${(lic.now - 10 * 86400) * 1000};\n`);
      assert.equal(run(), snippet.expect.rollback);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the TypeScript declarations type-check the documented usage (tsc --strict)", (t) => {
  if (!existsSync(TSC)) {
    // Reported by scripts/test-wasm.sh, which treats a skip here as a failure in CI.
    t.skip(`tsc not found at ${TSC}`);
    return;
  }
  const out = execFileSync(TSC, ["--version"], { encoding: "utf8" });
  assert.match(out, /Version/);
  const run = spawnSync(TSC, ["-p", path.join(HERE, "types/tsconfig.json")], { encoding: "utf8" });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});

test("tsc rejects a wrong use of the declarations (the type-check can fail)", (t) => {
  if (!existsSync(TSC)) {
    t.skip(`tsc not found at ${TSC}`);
    return;
  }
  const dir = mkdtempSync(path.join(HERE, "types/.tmp-"));
  try {
    writeFileSync(
      path.join(dir, "wrong.ts"),
      'import { Validator } from "hwf-license-wasm";\n' +
        'const v = new Validator({ environment: "prod", roots: [] });\n' +
        "export const n: number = v.validate(\"x\").siteId;\n",
    );
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ extends: "../tsconfig.json", files: ["wrong.ts"] }),
    );
    const run = spawnSync(TSC, ["-p", path.join(dir, "tsconfig.json")], { encoding: "utf8" });
    assert.notEqual(run.status, 0);
    assert.match(run.stdout, /siteId|not assignable/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
