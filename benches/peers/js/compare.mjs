// Async cold of one or more builds of hwf-license-wasm against jose, interleaved in one Node
// process (for A/B measurements of the WebCrypto path on a shared machine):
//   node benches/peers/js/compare.mjs wasm/pkg [other/pkg …]     (BATCHES=15 by default)
// Each batch: 40 `validateAtAsync` calls of `valid/basic` on fresh validators per build and 40
// jose calls (joseValidator of peer.js, the root key imported once); printed: the median per
// call and the median of the per-batch ratios build / jose.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { joseValidator } from "./peer.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const JOSE = process.env.JOSE ?? path.join(REPO, ".tools/node/node_modules/jose/dist/webapi/index.js");
const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push("wasm/pkg");
const builds = [];
for (const d of dirs) builds.push([d, await import(pathToFileURL(path.resolve(REPO, d, "node/index.js")).href)]);
const jose = await import(pathToFileURL(JOSE).href);
const vector = JSON.parse(readFileSync(path.join(REPO, "testdata/vectors/vectors.json"), "utf8")).vectors.find((v) => v.name === "valid/basic");
const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
const options = { environment: roots.environment, roots: roots.roots };
const rootKey = await jose.importJWK(roots.roots.find((r) => r.environment === roots.environment).key, "ES256");
const joseValidate = joseValidator(jose, rootKey);
const calls = 40;
const batches = Number(process.env.BATCHES ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const kinds = {
  jose: async () => {
    const t = performance.now();
    for (let i = 0; i < calls; i++) await joseValidate(vector.license);
    return ((performance.now() - t) * 1000) / calls;
  },
};
for (const [name, pkg] of builds) {
  const sync = new pkg.Validator(options).validateAt(vector.license, null, vector.now);
  const viaAsync = await new pkg.Validator(options).validateAtAsync(vector.license, null, vector.now);
  if (JSON.stringify(sync) !== JSON.stringify(viaAsync)) throw new Error(`${name}: async verdict differs from sync`);
  kinds[name] = async () => {
    const fresh = Array.from({ length: calls }, () => new pkg.Validator(options));
    const t = performance.now();
    for (const v of fresh) await v.validateAtAsync(vector.license, null, vector.now);
    const us = ((performance.now() - t) * 1000) / calls;
    fresh.forEach((v) => v.free());
    return us;
  };
}
const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
for (const k of Object.keys(kinds)) await kinds[k](); // warm-up
for (let b = 0; b < batches; b++) for (const k of Object.keys(kinds)) samples[k].push(await kinds[k]());
console.log(`node ${process.version}: ${batches} interleaved batches of ${calls} calls, valid/basic`);
for (const k of Object.keys(kinds)) {
  const r = median(samples[k].map((x, b) => x / samples.jose[b]));
  console.log(`${k.padEnd(24)} async cold median ${median(samples[k]).toFixed(0).padStart(5)} µs   / jose ${r.toFixed(3)} (median of per-batch ratios)`);
}
