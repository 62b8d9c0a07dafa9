// Where a cold `validateAtAsync` spends its time in Node: the path of js/async.js timed step by
// step on fresh validators (`valid/basic`, medians of 10 × 100 calls):
//   node benches/peers/js/parts.mjs [pkg, default wasm/pkg]
// p1 phase 1 with its checks (`__begin`); start: the CML's verify started with the root's
// CryptoKey and the org key's importKey (synchronous in Node) with its verify chained; prepare:
// `__prepare` while WebCrypto works; wait: until both answers are in; p2: `__finish` (the rules
// and the verdict as a JS object). Then, for scale: a cached sync validation, one importKey and
// one verify awaited alone. (benches/peers/js/compare-chromium.cjs prints the same in Chromium.)
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pkgDir = process.argv[2] ?? "wasm/pkg";
const { Validator } = await import(pathToFileURL(path.resolve(REPO, pkgDir, "node/index.js")).href);
if (typeof Validator.prototype.__prepare !== "function") throw new Error(`${pkgDir}: a build before __prepare (its parts are not these)`);
const vector = JSON.parse(readFileSync(path.join(REPO, "testdata/vectors/vectors.json"), "utf8")).vectors.find((v) => v.name === "valid/basic");
const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
const options = { environment: roots.environment, roots: roots.roots };
const subtle = crypto.subtle;
const IMPORT = { name: "ECDSA", namedCurve: "P-256" }, VERIFY = { name: "ECDSA", hash: "SHA-256" };
const N = 100;
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parts = { p1: [], start: [], prepare: [], wait: [], p2: [], total: [], cachedSync: [], oneVerify: [], oneImport: [] };
let rootKey;
for (let round = 0; round < 10; round++) {
  const vs = Array.from({ length: N }, () => new Validator(options));
  for (const v of vs) {
    const t0 = performance.now();
    const r = v.__begin(0, vector.license, null, vector.now);
    const t1 = performance.now();
    const [p, c0, c1] = r;
    if (!rootKey) rootKey = await subtle.importKey("raw", c0.slice(1, 66), IMPORT, false, ["verify"]);
    const t1b = performance.now();
    const a = subtle.verify(VERIFY, rootKey, c0.subarray(98, 162), c0.subarray(162));
    const b = subtle.importKey("raw", c1.slice(1, 66), IMPORT, false, ["verify"]).then((k) => subtle.verify(VERIFY, k, c1.subarray(98, 162), c1.subarray(162)));
    const t2 = performance.now();
    v.__prepare(p);
    const t3 = performance.now();
    const res = await Promise.all([a, b]);
    const out = new Uint8Array(2 * 162);
    [c0, c1].forEach((c, i) => { out.set(c.subarray(1, 162), i * 162); out[i * 162 + 161] = res[i] ? 1 : 0; });
    const t4 = performance.now();
    const verdict = v.__finish(p, out);
    const t5 = performance.now();
    if (verdict.status !== "valid") throw new Error("not valid");
    v.validateAt(vector.license, null, vector.now);
    const t6 = performance.now();
    const k = await subtle.importKey("raw", c1.slice(1, 66), IMPORT, false, ["verify"]);
    const t7 = performance.now();
    await subtle.verify(VERIFY, k, c1.subarray(98, 162), c1.subarray(162));
    const t8 = performance.now();
    parts.p1.push(t1 - t0); parts.start.push(t2 - t1b); parts.prepare.push(t3 - t2); parts.wait.push(t4 - t3); parts.p2.push(t5 - t4);
    parts.total.push(t5 - t0 - (t1b - t1)); parts.cachedSync.push(t6 - t5); parts.oneImport.push(t7 - t6); parts.oneVerify.push(t8 - t7);
  }
  vs.forEach((v) => v.free());
}
console.log(pkgDir.padEnd(22), Object.entries(parts).map(([k, xs]) => `${k} ${(med(xs) * 1000).toFixed(1)}`).join("  "), "µs");
